/*
 * hostcap.c: a hash table from client host to its open connections.
 *
 * Entries exist while their host has connections open, or was refused
 * within the last minute (so that it is warned about once a minute, not
 * once per reconnect).  Idle entries are freed as the acceptor walks
 * their bucket, so the table holds at most about --max-conns entries.
 * The hash is keyed with a random seed, so that a client choosing its
 * source addresses cannot pile them into one bucket.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "hostcap.h"
#include "hostkey.h"

#define HOSTCAP_WARN_INTERVAL	60	/* seconds between warnings per host */
#define HOSTCAP_MIN_BUCKETS	64

struct hostcap_entry {
	struct hostcap_entry	*next;		/* in its bucket */
	uint8_t			 key[HOSTKEY_LEN];	/* v4-mapped, or the
							   /64 */
	int			 v6;		/* key is an IPv6 prefix */
	atomic_uint		 open;		/* connections open */
	time_t			 warned;	/* last warning, 0: never */
	unsigned long		 refused;	/* refused in all */
};

struct hostcap {
	unsigned		 cap;
	uint64_t		 seed;
	struct hostcap_entry	**buckets;
	size_t			 nbuckets;	/* a power of two */
	size_t			 nentries;
	unsigned long		 refused;	/* over every host */
};

/* The bucket of a host's key. */
static inline size_t
hostcap_bucket(const struct hostcap *hc, const uint8_t *key)
{
	return ((size_t)hostkey_hash(hc->seed, key) & (hc->nbuckets - 1));
}

static void	hostcap_prune(struct hostcap *, time_t);
static int	hostcap_grow(struct hostcap *);
static int	hostcap_stale(const struct hostcap_entry *, time_t);

/* An empty table for a cap of cap connections per host; NULL, errno set. */
struct hostcap *
hostcap_new(unsigned cap)
{
	struct hostcap	*hc;

	if ((hc = calloc(1, sizeof *hc)) == NULL)
		return (NULL);
	hc->cap = cap;
	evutil_secure_rng_get_bytes(&hc->seed, sizeof hc->seed);
	hc->nbuckets = HOSTCAP_MIN_BUCKETS;
	if ((hc->buckets = calloc(hc->nbuckets, sizeof *hc->buckets)) ==
	    NULL) {
		free(hc);
		return (NULL);
	}
	return (hc);
}

/*
 * Count a new connection from sa.  HOSTCAP_OK: counted against *entry,
 * to be given back with hostcap_release().  HOSTCAP_FULL: not counted,
 * *entry is the host's, for the warning.  HOSTCAP_NOMEM: nothing known.
 * A peer of an unknown family is counted as one host.
 */
enum hostcap_result
hostcap_take(struct hostcap *hc, const struct sockaddr *sa,
    struct hostcap_entry **entry)
{
	struct hostcap_entry	**pp, *e;
	uint8_t			 key[HOSTKEY_LEN];
	time_t			 now = time(NULL);
	int			 v6;

	*entry = NULL;
	v6 = hostkey_of(sa, key) == HOSTKEY_V6;
	for (pp = &hc->buckets[hostcap_bucket(hc, key)]; (e = *pp) != NULL;) {
		if (memcmp(e->key, key, sizeof key) == 0)
			break;
		if (hostcap_stale(e, now)) {	/* tidy up on the way */
			*pp = e->next;
			free(e);
			hc->nentries--;
			continue;
		}
		pp = &e->next;
	}
	if (e == NULL) {
		if (hc->nentries >= hc->nbuckets) {
			/* Grow only if pruning leaves it over half full. */
			hostcap_prune(hc, now);
			if (hc->nentries > hc->nbuckets / 2 &&
			    hostcap_grow(hc) == -1)
				return (HOSTCAP_NOMEM);
		}
		if ((e = calloc(1, sizeof *e)) == NULL)
			return (HOSTCAP_NOMEM);
		memcpy(e->key, key, sizeof key);
		e->v6 = v6;
		atomic_init(&e->open, 0);
		pp = &hc->buckets[hostcap_bucket(hc, key)];
		e->next = *pp;
		*pp = e;
		hc->nentries++;
	}
	*entry = e;
	if (atomic_load(&e->open) >= hc->cap) {
		e->refused++;
		hc->refused++;
		return (HOSTCAP_FULL);
	}
	atomic_fetch_add(&e->open, 1);
	return (HOSTCAP_OK);
}

/* A connection counted by hostcap_take() closed; from any thread. */
void
hostcap_release(struct hostcap_entry *e)
{
	if (e != NULL)
		atomic_fetch_sub(&e->open, 1);
}

/* Whether to log a refusal of e's host now: at most once a minute. */
int
hostcap_should_warn(struct hostcap_entry *e, time_t now)
{
	if (e->warned != 0 && now - e->warned < HOSTCAP_WARN_INTERVAL)
		return (0);
	e->warned = now;
	return (1);
}

/* Connections refused to e's host so far. */
unsigned long
hostcap_refused(const struct hostcap_entry *e)
{
	return (e->refused);
}

/* Connections refused to every host so far. */
unsigned long
hostcap_refused_total(const struct hostcap *hc)
{
	return (hc == NULL ? 0 : hc->refused);
}

/* "192.0.2.7", or "2001:db8:1:2::/64", for log lines. */
const char *
hostcap_name(const struct hostcap_entry *e, char *buf, size_t len)
{
	char	 addr[INET6_ADDRSTRLEN];

	if (e->v6) {
		if (inet_ntop(AF_INET6, e->key, addr, sizeof addr) == NULL)
			snprintf(addr, sizeof addr, "?");
		snprintf(buf, len, "%s/64", addr);
	} else if (inet_ntop(AF_INET, e->key + 12, buf, len) == NULL)
		snprintf(buf, len, "?");
	return (buf);
}

/* Hosts in the table, for the tests. */
size_t
hostcap_count(const struct hostcap *hc)
{
	return (hc->nentries);
}

/* Free the table; no connection may still hold an entry. */
void
hostcap_free(struct hostcap *hc)
{
	struct hostcap_entry	*e, *next;
	size_t			 i;

	if (hc == NULL)
		return;
	for (i = 0; i < hc->nbuckets; i++) {
		for (e = hc->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(hc->buckets);
	free(hc);
}

/* Free every stale entry. */
static void
hostcap_prune(struct hostcap *hc, time_t now)
{
	struct hostcap_entry	**pp, *e;
	size_t			 i;

	for (i = 0; i < hc->nbuckets; i++) {
		for (pp = &hc->buckets[i]; (e = *pp) != NULL;) {
			if (hostcap_stale(e, now)) {
				*pp = e->next;
				free(e);
				hc->nentries--;
			} else
				pp = &e->next;
		}
	}
}

/* Double the buckets; entries keep their addresses. */
static int
hostcap_grow(struct hostcap *hc)
{
	struct hostcap_entry	**old = hc->buckets, *e, *next;
	size_t			 oldn = hc->nbuckets, i, b;

	if ((hc->buckets = calloc(oldn * 2, sizeof *hc->buckets)) == NULL) {
		hc->buckets = old;
		return (-1);
	}
	hc->nbuckets = oldn * 2;
	for (i = 0; i < oldn; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			b = hostcap_bucket(hc, e->key);
			e->next = hc->buckets[b];
			hc->buckets[b] = e;
		}
	}
	free(old);
	return (0);
}

/* An entry no connection holds, and not warned about in the last minute. */
static int
hostcap_stale(const struct hostcap_entry *e, time_t now)
{
	return (atomic_load(&e->open) == 0 && (e->warned == 0 ||
	    now - e->warned >= HOSTCAP_WARN_INTERVAL));
}

/*
 * ratelimit.c: per-host token buckets in a fixed, set-associative table.
 *
 * A bucket holds up to one second of --udp-rate datagrams, counted in
 * thousandths so that a rate of a few per second refills smoothly from a
 * millisecond clock.  The hash is keyed with a random seed, so that a
 * sender choosing its source addresses cannot aim them all at one set.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "hostkey.h"
#include "ratelimit.h"

#define RATELIMIT_UNIT		1000	/* thousandths of a datagram */
#define RATELIMIT_BURST_MS	1000	/* a full bucket: a second's worth */

struct ratelimit_bucket {
	uint8_t		 key[HOSTKEY_LEN];	/* v4-mapped address, or the
						   /64 */
	uint64_t	 tokens;	/* in RATELIMIT_UNIT */
	uint64_t	 last_ms;	/* tokens counted up to then */
	int		 used;
};

struct ratelimit {
	unsigned long		 rate;		/* datagrams per second */
	uint64_t		 seed;
	unsigned long		 hosts;		/* buckets in use */
	struct ratelimit_bucket	 sets[RATELIMIT_SETS][RATELIMIT_WAYS];
};

static void	ratelimit_refill(const struct ratelimit *,
		    struct ratelimit_bucket *, uint64_t);

/* A table for rate datagrams per second per host (rate > 0); NULL, errno. */
struct ratelimit *
ratelimit_new(unsigned long rate)
{
	struct ratelimit	*rl;

	if ((rl = calloc(1, sizeof *rl)) == NULL)
		return (NULL);
	rl->rate = rate;
	evutil_secure_rng_get_bytes(&rl->seed, sizeof rl->seed);
	return (rl);
}

/*
 * One datagram from sa at now_ms: 1 if its host's bucket has a token
 * (taken), 0 if the host is over the rate.
 */
int
ratelimit_take(struct ratelimit *rl, const struct sockaddr *sa,
    uint64_t now_ms)
{
	struct ratelimit_bucket	*set, *b, *victim = NULL;
	uint8_t			 key[HOSTKEY_LEN];
	int			 i;

	(void)hostkey_of(sa, key);
	set = rl->sets[(size_t)hostkey_hash(rl->seed, key) &
	    (RATELIMIT_SETS - 1)];
	for (i = 0; i < RATELIMIT_WAYS; i++) {
		b = &set[i];
		if (b->used && memcmp(b->key, key, sizeof key) == 0)
			break;
		if (!b->used) {
			if (victim == NULL || victim->used)
				victim = b;
			continue;
		}
		ratelimit_refill(rl, b, now_ms);
		if (victim == NULL || (victim->used &&
		    b->tokens > victim->tokens))
			victim = b;
	}
	if (i == RATELIMIT_WAYS) {
		/* New here: a full bucket, in the fullest one's place. */
		b = victim;
		if (!b->used)
			rl->hosts++;
		memcpy(b->key, key, sizeof key);
		b->used = 1;
		b->tokens = (uint64_t)rl->rate * RATELIMIT_UNIT;
		b->last_ms = now_ms;
	} else
		ratelimit_refill(rl, b, now_ms);
	if (b->tokens < RATELIMIT_UNIT)
		return (0);
	b->tokens -= RATELIMIT_UNIT;
	return (1);
}

/* Hosts with a bucket now, for the tests: at most SETS * WAYS. */
unsigned long
ratelimit_hosts(const struct ratelimit *rl)
{
	return (rl->hosts);
}

/* Free the table; NULL is nothing to free. */
void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

/* The tokens b earned since it was last counted, up to a full bucket. */
static void
ratelimit_refill(const struct ratelimit *rl, struct ratelimit_bucket *b,
    uint64_t now_ms)
{
	uint64_t	 full = (uint64_t)rl->rate * RATELIMIT_UNIT, ms;

	if (now_ms <= b->last_ms)
		return;		/* the same tick, or a clock gone back */
	ms = now_ms - b->last_ms;
	if (ms > RATELIMIT_BURST_MS)
		ms = RATELIMIT_BURST_MS;	/* no overflow, and full */
	/* rate per second is rate thousandths per millisecond. */
	b->tokens += ms * rl->rate;
	if (b->tokens > full)
		b->tokens = full;
	b->last_ms = now_ms;
}


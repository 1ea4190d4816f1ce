/*
 * hostcap.h: open connections per client host, for --max-conns-per-host.
 *
 * A host is an IPv4 address, or an IPv6 /64: one subscriber's prefix, so
 * that a client cannot dodge the cap by cycling through the addresses of
 * its own network.  The acceptor alone takes, looks up and frees entries;
 * a worker only gives its connection's count back, atomically, when the
 * connection closes, and never touches the entry again.
 */
#ifndef EVECHO_HOSTCAP_H
#define EVECHO_HOSTCAP_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct hostcap;
struct hostcap_entry;

enum hostcap_result {
	HOSTCAP_OK,		/* counted: the connection may be served */
	HOSTCAP_FULL,		/* the host is at the cap: refuse */
	HOSTCAP_NOMEM		/* cannot count it: refuse */
};

struct hostcap	*hostcap_new(unsigned);
enum hostcap_result
		 hostcap_take(struct hostcap *, const struct sockaddr *,
		    struct hostcap_entry **);
void		 hostcap_release(struct hostcap_entry *);
int		 hostcap_should_warn(struct hostcap_entry *, time_t);
unsigned long	 hostcap_refused(const struct hostcap_entry *);
unsigned long	 hostcap_refused_total(const struct hostcap *);
const char	*hostcap_name(const struct hostcap_entry *, char *, size_t);
size_t		 hostcap_count(const struct hostcap *);
void		 hostcap_free(struct hostcap *);

#endif /* EVECHO_HOSTCAP_H */

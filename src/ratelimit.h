/*
 * ratelimit.h: a token bucket per source host, in a table of fixed size,
 * for --udp-rate.
 *
 * The table never grows: a spoofed flood from millions of addresses costs
 * the same memory as one client.  When a new host finds its set full, it
 * takes the place of the fullest bucket there: a full bucket is the same
 * as no bucket, so that loses nothing, and a host being limited (an
 * empty bucket) is the last to be pushed out.  A host is an IPv4 address
 * or an IPv6 /64, as for --max-conns-per-host.  Pure: the caller gives
 * the time, so the tests need no clock.
 */
#ifndef EVECHO_RATELIMIT_H
#define EVECHO_RATELIMIT_H

#include <sys/socket.h>

#include <stdint.h>

#define RATELIMIT_WAYS		8	/* buckets per set */
#define RATELIMIT_SETS		512	/* a power of two */

struct ratelimit;

struct ratelimit	*ratelimit_new(unsigned long);
int			 ratelimit_take(struct ratelimit *,
			    const struct sockaddr *, uint64_t);
unsigned long		 ratelimit_hosts(const struct ratelimit *);
void			 ratelimit_free(struct ratelimit *);

#endif /* EVECHO_RATELIMIT_H */

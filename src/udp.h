/*
 * udp.h: echo of datagrams (RFC 862, the UDP half) on udp: listeners.
 *
 * Design: one socket per worker for each udp: address, joined by
 * SO_REUSEPORT, each served on its worker's event loop: no lock and no
 * hand-off, and every worker's share of the load is read in batches on
 * its own loop.  A small BPF program (udp_steer) makes the kernel pick
 * the socket by the source host, so that a host keeps to one worker,
 * whose rate table (--udp-rate) then sees all of it.  With one worker
 * (--threads 1), or a system without SO_REUSEPORT, there is one socket,
 * on the first worker.  The other design, one socket on one loop, caps
 * UDP at one core whatever --threads says; a socket per worker is what
 * scales.  Measured on two CPUs that the load generator shares (see the
 * man page, UDP), one socket cost less CPU per datagram than two: with
 * no core to spare, --threads 1 is the better choice there.
 *
 * A worker reads at most UDP_WAKE_MAX datagrams per wake-up, in batches
 * of UDP_BATCH (recvmmsg), and answers each batch with one sendmmsg,
 * grouped for segmentation offload where the kernel has it (udpplan.h).  An
 * echo the kernel does not take (its send buffer full) is dropped and
 * counted: a datagram service keeps no queue.
 */
#ifndef EVECHO_UDP_H
#define EVECHO_UDP_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "udpguard.h"
#include "udpplan.h"	/* UDP_BATCH */

#define UDP_WAKE_MAX	64	/* datagrams read per wake-up at most */
#define UDP_BUF		65536	/* a buffer: any datagram but a jumbogram */

struct addr_spec;
struct config;
struct mmsghdr;
struct ratelimit;
struct udp_sock;
struct udp_worker;
struct worker;

/* Every udp: socket, and each worker's share of the work. */
struct udp_set {
	struct udp_sock		*socks;
	size_t			 nsocks;
	unsigned		 per_addr;	/* sockets for each address */
	struct udp_worker	*workers;	/* one per worker, or NULL */
	unsigned		 nworkers;
};

unsigned	udp_sockets_per_address(unsigned);
int		udp_open(struct udp_set *, const struct addr_spec *, unsigned,
		    char *, size_t);
int		udp_attach(struct udp_set *, struct worker *, unsigned,
		    const struct config *, char *, size_t);
void		udp_log_listening(const struct udp_set *);
void		udp_worker_stop(struct udp_worker *);
void		udp_free(struct udp_set *);

/* The pure step of a batch, apart so that the tests can reach it. */
int		udp_judge(struct ratelimit *, const struct sockaddr *,
		    socklen_t, unsigned, int, uint64_t,
		    enum udpguard_reason *);

#endif /* EVECHO_UDP_H */

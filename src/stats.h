/*
 * stats.h: what each worker counts, for SIGUSR1, --stats-interval and
 * the metrics to come.
 *
 * A worker's counters are written by its own thread only, so a relaxed
 * load, an add and a relaxed store make an increment: no locked
 * instruction on the echo path, and nothing shared is written there.
 * Any thread may read them with relaxed loads and sum the workers.
 */
#ifndef EVECHO_STATS_H
#define EVECHO_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Why a connection ended. */
enum stats_end {
	STATS_END_CLIENT,	/* the client closed: EOF after its echo */
	STATS_END_RESET,	/* the client reset it, or vanished */
	STATS_END_IDLE,		/* -t */
	STATS_END_ERROR,	/* an error here: memory, a failed call */
	STATS_END_SHUTDOWN,	/* evecho stopping: drain, exit */
	STATS_END_PROTOCOL,	/* a bad PROXY header or TLS handshake */
	STATS_END_HANDSHAKE,	/* neither done within the time allowed */
	STATS_END_N
};

struct stats {
	_Atomic uint64_t	 accepted;	/* connections taken on */
	_Atomic uint64_t	 accepted_unix;	/* of those, Unix-domain */
	_Atomic uint64_t	 ended[STATS_END_N];
	_Atomic uint64_t	 bytes_in;	/* read from clients */
	_Atomic uint64_t	 bytes_out;	/* handed to the kernel */
	_Atomic uint64_t	 bytes_acked;	/* of those, acknowledged by the
						   client, counted at close */
	_Atomic uint64_t	 pauses;	/* reading paused: --max-queue */
	_Atomic uint64_t	 memory_waits;	/* reading paused: --max-memory */
	_Atomic uint64_t	 proxy_headers[3];	/* taken: v1, v2, and
							   v2 LOCAL */
	_Atomic uint64_t	 udp_in;	/* datagrams received */
	_Atomic uint64_t	 udp_out;	/* datagrams echoed */
	_Atomic uint64_t	 udp_bytes_in;	/* their payload bytes */
	_Atomic uint64_t	 udp_bytes_out;
	_Atomic uint64_t	 udp_refused[4];	/* enum stats_udp_refusal */
	_Atomic uint64_t	 tls_handshakes;	/* TLS handshakes done */
	_Atomic uint64_t	 tls_failures;	/* failed, or too late */
};

/* Why a datagram got no echo, for udp_refused[]. */
enum stats_udp_refusal {
	STATS_UDP_GUARDED,	/* a source evecho never answers */
	STATS_UDP_RATE,		/* its host is over --udp-rate */
	STATS_UDP_TRUNCATED,	/* larger than the receive buffer */
	STATS_UDP_SEND_FAILED,	/* the kernel did not take the echo */
	STATS_UDP_REFUSAL_N
};

/* Which kind of PROXY header a connection sent, for proxy_headers[]. */
enum stats_proxy {
	STATS_PROXY_V1,
	STATS_PROXY_V2,
	STATS_PROXY_LOCAL	/* v2 LOCAL or v1 UNKNOWN: no client given */
};

/*
 * The acceptor's counts, written on the main thread only.  A pause at
 * --max-conns is timed: paused_since_ms is when the current one began
 * (0: none), paused_ms the sum of those that ended.  The two change
 * together, so they are read and written under limit_lock: read apart, a
 * pause ending in between would count twice, and the next read would
 * seem to go back.
 */
struct stats_accept {
	_Atomic uint64_t	 refused_per_host;	/* closed at once */
	_Atomic uint64_t	 accept_errors;		/* accept(2) failed */
	_Atomic uint64_t	 limit_pauses;		/* --max-conns reached */
	pthread_mutex_t		 limit_lock;
	uint64_t		 limit_paused_ms;
	uint64_t		 limit_paused_since_ms;
};

/* n more, from the counter's own thread. */
static inline void
stats_add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static inline uint64_t
stats_get(const _Atomic uint64_t *counter)
{
	return (atomic_load_explicit((_Atomic uint64_t *)counter,
	    memory_order_relaxed));
}

/* Set a counter, from its own thread (or before any other reads it). */
static inline void
stats_set(_Atomic uint64_t *counter, uint64_t value)
{
	atomic_store_explicit(counter, value, memory_order_relaxed);
}

/*
 * Everything the counters say at one moment, gathered by the server for
 * a stats line or a scrape.  Plain values: a snapshot, not live counters.
 */
struct stats_report {
	struct stats		 sum;		/* of every worker */
	unsigned		 open;		/* connections now */
	unsigned		 max_conns;	/* --max-conns, as fixed */
	uint64_t		 refused_per_host;
	uint64_t		 accept_errors;
	uint64_t		 limit_pauses;	/* times --max-conns was hit */
	uint64_t		 limit_paused_ms;	/* time spent there */
	size_t			 queued;	/* against --max-memory */
	size_t			 budget;
	uint64_t		 log_lost;
	int			 draining;	/* shutting down */
};

const char	*stats_end_name(enum stats_end);
const char	*stats_udp_refusal_name(enum stats_udp_refusal);
void		 stats_log(const struct stats_report *);
enum stats_end	 stats_end_of_errno(int);
void		 stats_sum(struct stats *, const struct stats *);
int		 stats_accept_init(struct stats_accept *);
void		 stats_accept_free(struct stats_accept *);
void		 stats_limit_pause(struct stats_accept *, int, uint64_t);
void		 stats_read_accept(struct stats_report *,
		    struct stats_accept *, uint64_t);

#endif /* EVECHO_STATS_H */

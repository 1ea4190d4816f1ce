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

#include <stdatomic.h>
#include <stdint.h>

/* Why a connection ended. */
enum stats_end {
	STATS_END_CLIENT,	/* the client closed: EOF after its echo */
	STATS_END_RESET,	/* the client reset it, or vanished */
	STATS_END_IDLE,		/* -t */
	STATS_END_ERROR,	/* an error here: memory, a failed call */
	STATS_END_SHUTDOWN,	/* evecho stopping: drain, exit */
	STATS_END_N
};

struct stats {
	_Atomic uint64_t	 accepted;	/* connections taken on */
	_Atomic uint64_t	 ended[STATS_END_N];
	_Atomic uint64_t	 bytes_in;	/* read from clients */
	_Atomic uint64_t	 bytes_out;	/* handed to the kernel */
	_Atomic uint64_t	 pauses;	/* reading paused: --max-queue */
	_Atomic uint64_t	 memory_waits;	/* reading paused: --max-memory */
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

/* Everything one stats line says, gathered by the server. */
struct stats_report {
	struct stats		 sum;		/* of every worker */
	unsigned		 open;		/* connections now */
	unsigned long		 refused_per_host;
	unsigned long		 accept_errors;
	size_t			 queued;	/* against --max-memory */
	size_t			 budget;
	uint64_t		 log_lost;
};

const char	*stats_end_name(enum stats_end);
void		 stats_log(const struct stats_report *);
enum stats_end	 stats_end_of_errno(int);
void		 stats_sum(struct stats *, const struct stats *);

#endif /* EVECHO_STATS_H */

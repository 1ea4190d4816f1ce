/*
 * bench_tally.h: what one thread counted, and the sum of all of them.
 * Each thread owns its tally and nothing else writes it, so the hot path
 * needs no locks or atomics; tallies are merged after the threads end.
 */
#ifndef EVECHO_BENCH_TALLY_H
#define EVECHO_BENCH_TALLY_H

#include <stdint.h>

#include "bench_hist.h"

#define TALLY_WHY_MAX	192	/* the first error of a kind, described */

/* The kinds of error; each is counted, and any makes the exit status 1. */
enum tally_error {
	ERR_CONNECT,		/* a connect failed or timed out */
	ERR_RESET,		/* the server reset the connection */
	ERR_EOF,		/* the server closed with echo outstanding,
				   or closed an idle connection */
	ERR_MISMATCH,		/* a byte of the echo was wrong, or more came
				   back than was sent */
	ERR_TIMEOUT,		/* echo still missing when the run stopped */
	ERR_IO,			/* any other socket error */
	ERR_NKINDS
};

struct tally {
	uint64_t	 messages;	/* completed in the measured window */
	uint64_t	 bytes;		/* echo bytes checked in the window */
	uint64_t	 errors[ERR_NKINDS];	/* over the whole run */
	char		 first[ERR_NKINDS][TALLY_WHY_MAX];	/* "" if none */
	uint64_t	 cpu_ns;	/* thread CPU time in the window */
	int		 server_cpu;	/* the next two are measured */
	uint64_t	 server_user_ns;	/* --server-pid's CPU time */
	uint64_t	 server_sys_ns;	/* in the window */
	uint64_t	 window_ns;	/* time measured: the window, or less
					   if interrupted or every connection
					   failed */
	int		 interrupted;	/* SIGINT or SIGTERM ended it */
	uint64_t	 dgram_sent;	/* --udp, in the window: datagrams */
	uint64_t	 dgram_lost;	/* sent, never echoed in time */
	uint64_t	 dgram_late;	/* echoed after being counted lost */
	struct hist	 latency;	/* in nanoseconds */
};

void	 tally_init(struct tally *);
void	 tally_error(struct tally *, enum tally_error, const char *, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	 tally_merge(struct tally *, const struct tally *);
uint64_t tally_errors(const struct tally *);
const char *
	 tally_error_name(enum tally_error);

#endif /* EVECHO_BENCH_TALLY_H */

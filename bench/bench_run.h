/*
 * bench_run.h: a whole run: the open-file limit it needs, its threads
 * (one load each), the common start, the progress line, and the tallies
 * merged at the end.
 */
#ifndef EVECHO_BENCH_RUN_H
#define EVECHO_BENCH_RUN_H

#include <stddef.h>

#include "bench_opts.h"
#include "bench_tally.h"

#define RUN_FD_RESERVE	32	/* descriptors besides the connections */

int	run_raise_nofile(const struct bench_opts *, char *, size_t);
int	run_bench(const struct bench_opts *, int, struct tally *, char *,
	    size_t);

#endif /* EVECHO_BENCH_RUN_H */

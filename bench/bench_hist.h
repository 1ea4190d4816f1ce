/*
 * bench_hist.h: a log-linear latency histogram in the manner of
 * HdrHistogram.  Values (nanoseconds) below 32 have a bucket each; above
 * that, every power-of-two range [2^e, 2^(e+1)) is cut into 32 linear
 * sub-buckets of width 2^(e-5).  A value is thus known to within 1/32
 * (3.1%) of itself, over the whole 64-bit range, in 15 KiB of counters
 * whatever the number of samples; recording is a few instructions.
 */
#ifndef EVECHO_BENCH_HIST_H
#define EVECHO_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS	5			/* 32 sub-buckets per range */
#define HIST_SUB	(1 << HIST_SUB_BITS)
#define HIST_NBUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)	/* 1920 */

struct hist {
	uint64_t	 count;		/* values recorded */
	uint64_t	 min;		/* exact; UINT64_MAX when empty */
	uint64_t	 max;		/* exact; 0 when empty */
	uint64_t	 sum;		/* for the mean; wraps after 584
					   years of summed latency */
	uint64_t	 buckets[HIST_NBUCKETS];	/* by hist_index() */
};

void	 hist_init(struct hist *);
void	 hist_record(struct hist *, uint64_t);
void	 hist_merge(struct hist *, const struct hist *);
uint64_t hist_percentile(const struct hist *, double);
double	 hist_mean(const struct hist *);

unsigned hist_index(uint64_t);
uint64_t hist_bucket_low(unsigned);
uint64_t hist_bucket_high(unsigned);

#endif /* EVECHO_BENCH_HIST_H */

/*
 * bench_hist.c: the log-linear histogram.  Index i < 32 holds the value i;
 * above, index (e - 4) * 32 + s holds the values whose highest set bit is
 * e and whose next five bits are s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "bench_hist.h"

/* An empty histogram: min starts high so the first value replaces it. */
void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

/* The bucket of v: the position of its top bit, then its next 5 bits. */
unsigned
hist_index(uint64_t v)
{
	unsigned	 e;

	if (v < HIST_SUB)
		return ((unsigned)v);
	e = 63 - (unsigned)__builtin_clzll(v);
	return ((e - HIST_SUB_BITS + 1) * HIST_SUB +
	    (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1)));
}

/* The smallest value bucket i holds. */
uint64_t
hist_bucket_low(unsigned i)
{
	unsigned	 e;

	if (i < HIST_SUB)
		return (i);
	e = i / HIST_SUB + HIST_SUB_BITS - 1;
	return ((uint64_t)(HIST_SUB + i % HIST_SUB) << (e - HIST_SUB_BITS));
}

/* The largest value bucket i holds (HdrHistogram's "highest equivalent"). */
uint64_t
hist_bucket_high(unsigned i)
{
	unsigned	 e;

	if (i < HIST_SUB)
		return (i);
	e = i / HIST_SUB + HIST_SUB_BITS - 1;
	return (hist_bucket_low(i) + ((uint64_t)1 << (e - HIST_SUB_BITS)) - 1);
}

/* Count one value; the hot path, so no branches beyond the bucket's. */
void
hist_record(struct hist *h, uint64_t v)
{
	h->buckets[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Add src into dst, as if dst had recorded every value src did. */
void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned	 i;

	if (src->count == 0)
		return;
	for (i = 0; i < HIST_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/*
 * The value below which pct percent of the values lie: the highest value
 * of the bucket holding the ceil(pct% of count)-th smallest value, capped
 * by the exact maximum, so it errs high by less than 1/32.  0 when empty.
 */
uint64_t
hist_percentile(const struct hist *h, double pct)
{
	uint64_t	 rank, seen = 0, v;
	double		 want;
	unsigned	 i;

	if (h->count == 0)
		return (0);
	if (pct >= 100.0)
		return (h->max);
	want = pct <= 0.0 ? 0.0 : pct / 100.0 * (double)h->count;
	rank = (uint64_t)want;
	if ((double)rank < want || rank == 0)
		rank++;			/* ceiling, and at least the first */
	for (i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_NBUCKETS)
		return (h->max);
	v = hist_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return (v);
}

/* The exact mean, 0 when empty. */
double
hist_mean(const struct hist *h)
{
	return (h->count == 0 ? 0.0 : (double)h->sum / (double)h->count);
}

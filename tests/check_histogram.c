/*
 * check_histogram.c: the log-linear latency histogram of evecho-bench:
 * bucket bounds, percentiles within the bucket precision (1/32) on known
 * distributions, merging, and the exact min, max and mean.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bench_hist.h"
#include "harness.h"

/* Precision of a reported value v for a true value want: [want, +1/32]. */
static void
assert_near(uint64_t v, uint64_t want, const char *what)
{
	ck_assert_msg(v >= want && v <= want + want / HIST_SUB,
	    "%s: %llu, expected %llu to %llu", what, (unsigned long long)v,
	    (unsigned long long)want,
	    (unsigned long long)(want + want / HIST_SUB));
}

/* A fresh histogram on the heap: at 15 KiB, too big for every stack. */
static struct hist *
new_hist(void)
{
	struct hist	*h = malloc(sizeof *h);

	ck_assert_ptr_nonnull(h);
	hist_init(h);
	return (h);
}

/* An empty histogram answers 0 and has no samples. */
START_TEST(test_empty)
{
	struct hist	*h = new_hist();

	ck_assert_uint_eq(h->count, 0);
	ck_assert_uint_eq(hist_percentile(h, 50.0), 0);
	ck_assert_uint_eq(hist_percentile(h, 100.0), 0);
	ck_assert(hist_mean(h) == 0.0);
	free(h);
}
END_TEST

/*
 * Every value lies within its bucket's bounds, buckets are contiguous and
 * in order, and no bucket is wider than 1/32 of its lowest value.
 */
START_TEST(test_bucket_bounds)
{
	uint64_t	 v, lo, hi;
	unsigned	 i, e;
	int		 d;

	for (i = 0; i < HIST_NBUCKETS; i++) {
		lo = hist_bucket_low(i);
		hi = hist_bucket_high(i);
		ck_assert_uint_le(lo, hi);
		ck_assert_uint_eq(hist_index(lo), i);
		ck_assert_uint_eq(hist_index(hi), i);
		if (i + 1 < HIST_NBUCKETS)
			ck_assert_uint_eq(hist_bucket_low(i + 1), hi + 1);
		ck_assert_msg(hi - lo <= lo / HIST_SUB, "bucket %u is "
		    "[%llu, %llu]: wider than 1/32", i,
		    (unsigned long long)lo, (unsigned long long)hi);
	}
	ck_assert_uint_eq(hist_bucket_low(0), 0);
	ck_assert_uint_eq(hist_bucket_high(HIST_NBUCKETS - 1), UINT64_MAX);
	for (e = 0; e < 64; e++) {
		for (d = -1; d <= 1; d++) {
			v = ((uint64_t)1 << e) + (uint64_t)(int64_t)d;
			i = hist_index(v);
			ck_assert_uint_lt(i, HIST_NBUCKETS);
			ck_assert_uint_le(hist_bucket_low(i), v);
			ck_assert_uint_ge(hist_bucket_high(i), v);
		}
	}
}
END_TEST

/* Below 32 every value has its own bucket: percentiles are exact. */
START_TEST(test_small_exact)
{
	struct hist	*h = new_hist();
	uint64_t	 v;

	for (v = 0; v < 32; v++)
		hist_record(h, v);
	ck_assert_uint_eq(hist_percentile(h, 50.0), 15);
	ck_assert_uint_eq(hist_percentile(h, 0.0), 0);
	ck_assert_uint_eq(hist_percentile(h, 100.0), 31);
	ck_assert_uint_eq(h->min, 0);
	ck_assert_uint_eq(h->max, 31);
	free(h);
}
END_TEST

/* 1 to 1,000,000 ns once each: p50 is 500,000 and so on, within 1/32. */
START_TEST(test_uniform)
{
	struct hist	*h = new_hist();
	uint64_t	 v;

	for (v = 1; v <= 1000000; v++)
		hist_record(h, v);
	ck_assert_uint_eq(h->count, 1000000);
	assert_near(hist_percentile(h, 50.0), 500000, "p50");
	assert_near(hist_percentile(h, 90.0), 900000, "p90");
	assert_near(hist_percentile(h, 99.0), 990000, "p99");
	assert_near(hist_percentile(h, 99.9), 999000, "p99.9");
	ck_assert_uint_eq(hist_percentile(h, 100.0), 1000000);
	ck_assert_uint_eq(h->min, 1);
	ck_assert_uint_eq(h->max, 1000000);
	ck_assert(hist_mean(h) == 500000.5);
	free(h);
}
END_TEST

/* One value many times: every percentile is that value, exactly. */
START_TEST(test_constant)
{
	struct hist	*h = new_hist();
	int		 i;

	for (i = 0; i < 10000; i++)
		hist_record(h, 12345);
	ck_assert_uint_eq(hist_percentile(h, 0.0), 12345);
	ck_assert_uint_eq(hist_percentile(h, 50.0), 12345);
	ck_assert_uint_eq(hist_percentile(h, 99.9), 12345);
	ck_assert_uint_eq(h->max, 12345);
	free(h);
}
END_TEST

/*
 * 99% fast (20 us) and 1% slow (5 ms): p50 and p99 are fast, p99.9 and
 * max are slow, as a tail should be told.
 */
START_TEST(test_bimodal)
{
	struct hist	*h = new_hist();
	int		 i;

	for (i = 0; i < 99000; i++)
		hist_record(h, 20000 + (uint64_t)(i % 100));
	for (i = 0; i < 1000; i++)
		hist_record(h, 5000000 + (uint64_t)i);
	assert_near(hist_percentile(h, 50.0), 20050, "p50");
	assert_near(hist_percentile(h, 99.0), 20099, "p99");
	assert_near(hist_percentile(h, 99.9), 5000899, "p99.9");
	ck_assert_uint_eq(hist_percentile(h, 100.0), 5000999);
	ck_assert_uint_eq(h->max, 5000999);
	free(h);
}
END_TEST

/* Two halves merged answer exactly as one histogram of everything. */
START_TEST(test_merge)
{
	struct hist	*all = new_hist(), *a = new_hist(), *b = new_hist();
	uint64_t	 v, x = 88172645463325252ULL;
	int		 i;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x % 10000000;
		hist_record(all, v);
		hist_record(i % 3 == 0 ? a : b, v);
	}
	hist_merge(a, b);
	ck_assert_uint_eq(a->count, all->count);
	ck_assert_uint_eq(a->min, all->min);
	ck_assert_uint_eq(a->max, all->max);
	ck_assert_uint_eq(a->sum, all->sum);
	ck_assert(memcmp(a->buckets, all->buckets, sizeof a->buckets) == 0);
	ck_assert_uint_eq(hist_percentile(a, 99.0),
	    hist_percentile(all, 99.0));
	free(all);
	free(a);
	free(b);
}
END_TEST

/* Merging an empty histogram changes nothing; into one, copies. */
START_TEST(test_merge_empty)
{
	struct hist	*a = new_hist(), *empty = new_hist();

	hist_record(a, 700);
	hist_record(a, 900);
	hist_merge(a, empty);
	ck_assert_uint_eq(a->count, 2);
	ck_assert_uint_eq(a->min, 700);
	hist_merge(empty, a);
	ck_assert_uint_eq(empty->count, 2);
	ck_assert_uint_eq(empty->min, 700);
	ck_assert_uint_eq(empty->max, 900);
	free(a);
	free(empty);
}
END_TEST

/*
 * The maximum is exact, not a bucket bound, and caps every percentile,
 * even for the largest value there is.
 */
START_TEST(test_max)
{
	struct hist	*h = new_hist();

	hist_record(h, 1000);
	hist_record(h, 123456789);
	ck_assert_uint_eq(h->max, 123456789);
	ck_assert_uint_eq(hist_percentile(h, 99.99), 123456789);
	ck_assert_uint_le(hist_percentile(h, 50.0), 1000 + 1000 / 32);
	hist_record(h, UINT64_MAX);
	ck_assert_uint_eq(h->max, UINT64_MAX);
	ck_assert_uint_eq(hist_percentile(h, 100.0), UINT64_MAX);
	ck_assert_uint_eq(hist_percentile(h, 99.0), UINT64_MAX);
	free(h);
}
END_TEST

static Suite *
histogram_suite(void)
{
	Suite	*s = suite_create("histogram");
	TCase	*tc = tcase_create("histogram");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_bucket_bounds);
	tcase_add_test(tc, test_small_exact);
	tcase_add_test(tc, test_uniform);
	tcase_add_test(tc, test_constant);
	tcase_add_test(tc, test_bimodal);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_merge_empty);
	tcase_add_test(tc, test_max);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(histogram_suite()));
}

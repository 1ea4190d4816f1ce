/*
 * check_pattern.c: the pseudo-random byte streams of evecho-bench: the
 * same (seed, connection) gives the same stream and others differ; any
 * piece made or checked at its offset agrees with the whole, however the
 * stream is split; and a wrong byte is found at its exact offset.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bench_pattern.h"
#include "harness.h"

#define LEN	20000

/* xorshift64: the split points, so that each run splits the same way. */
static uint64_t
next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

/* The same seed and connection: the same bytes; otherwise not. */
START_TEST(test_same_seed_same_stream)
{
	static unsigned char	 a[LEN], b[LEN], c[LEN], d[LEN];
	struct pat		 p1, p2, other_seed, other_conn;

	pat_init(&p1, 1, 7);
	pat_init(&p2, 1, 7);
	pat_init(&other_seed, 2, 7);
	pat_init(&other_conn, 1, 8);
	pat_fill(&p1, 0, a, LEN);
	pat_fill(&p2, 0, b, LEN);
	pat_fill(&other_seed, 0, c, LEN);
	pat_fill(&other_conn, 0, d, LEN);
	ck_assert(memcmp(a, b, LEN) == 0);
	ck_assert(memcmp(a, c, LEN) != 0);
	ck_assert(memcmp(a, d, LEN) != 0);
	/* Not a shifted copy either: an echo crossing connections fails. */
	ck_assert(memcmp(a + 8, d, LEN - 8) != 0);
	ck_assert(memcmp(a, d + 8, LEN - 8) != 0);
}
END_TEST

/* The stream is fixed: seed 1, connection 0 starts with these bytes. */
START_TEST(test_known_answer)
{
	static const unsigned char want[8] = {
		0xb2, 0xad, 0x9b, 0x9a, 0x39, 0xdc, 0x4f, 0x57
	};
	unsigned char	 got[8];
	struct pat	 p;

	pat_init(&p, 1, 0);
	pat_fill(&p, 0, got, sizeof got);
	ck_assert(memcmp(got, want, sizeof want) == 0);
}
END_TEST

/* The bytes look random: every byte value turns up, none too often. */
START_TEST(test_spread)
{
	static unsigned char	 a[1 << 20];
	unsigned		 count[256] = { 0 };
	struct pat		 p;
	size_t			 i;

	pat_init(&p, 99, 3);
	pat_fill(&p, 0, a, sizeof a);
	for (i = 0; i < sizeof a; i++)
		count[a[i]]++;
	/* Expect 4096 each; 5 sigma is about 320. */
	for (i = 0; i < 256; i++)
		ck_assert_msg(count[i] > 3700 && count[i] < 4500,
		    "byte 0x%02zx appears %u times in 1 MiB", i, count[i]);
}
END_TEST

/*
 * Filled in pieces of random sizes at their own offsets, from a far
 * unaligned start, the stream equals the stream filled at once; byte by
 * byte too.
 */
START_TEST(test_fill_split)
{
	static unsigned char	 whole[LEN], pieces[LEN];
	const uint64_t		 base[] = { 0, 1, 7, 8, 13,
	    ((uint64_t)1 << 40) + 3 };
	uint64_t		 x = 2463534242ULL;
	struct pat		 p;
	size_t			 b, off, n;

	pat_init(&p, 42, 5);
	for (b = 0; b < sizeof base / sizeof base[0]; b++) {
		pat_fill(&p, base[b], whole, LEN);
		memset(pieces, 0, LEN);
		for (off = 0; off < LEN; off += n) {
			n = 1 + (size_t)(next_rand(&x) % 100);
			if (n > LEN - off)
				n = LEN - off;
			pat_fill(&p, base[b] + off, pieces + off, n);
		}
		ck_assert(memcmp(whole, pieces, LEN) == 0);
		for (off = 0; off < 64; off++)
			ck_assert_uint_eq(pat_byte(&p, base[b] + off),
			    whole[off]);
	}
}
END_TEST

/* Checked in pieces of any size at their offsets, the stream passes. */
START_TEST(test_check_split)
{
	static unsigned char	 a[LEN];
	uint64_t		 x = 88172645463325252ULL;
	struct pat		 p;
	size_t			 off, n;

	pat_init(&p, 42, 6);
	pat_fill(&p, 5, a, LEN);
	ck_assert_uint_eq(pat_check(&p, 5, a, LEN), LEN);
	for (off = 0; off < LEN; off += n) {
		n = 1 + (size_t)(next_rand(&x) % 3000);
		if (n > LEN - off)
			n = LEN - off;
		ck_assert_uint_eq(pat_check(&p, 5 + off, a + off, n), n);
	}
	ck_assert_uint_eq(pat_check(&p, 0, a, 0), 0);
}
END_TEST

/*
 * One wrong byte anywhere, in the unaligned head, the word-sized middle
 * or the tail of a buffer, at any stream alignment, is reported at its
 * own index; with two, the first is.
 */
START_TEST(test_mismatch_offset)
{
	unsigned char	 a[80];
	struct pat	 p;
	uint64_t	 start;
	size_t		 i;

	pat_init(&p, 7, 0);
	for (start = 1000; start < 1008; start++) {
		for (i = 0; i < sizeof a; i++) {
			pat_fill(&p, start, a, sizeof a);
			a[i] ^= 0x01;
			ck_assert_uint_eq(pat_check(&p, start, a, sizeof a), i);
			/* The same buffer checked from just after the byte. */
			ck_assert_uint_eq(pat_check(&p, start + i + 1,
			    a + i + 1, sizeof a - i - 1), sizeof a - i - 1);
		}
		pat_fill(&p, start, a, sizeof a);
		a[70] ^= 0x80;
		a[9] ^= 0x80;
		ck_assert_uint_eq(pat_check(&p, start, a, sizeof a), 9);
	}
	/* The right bytes at the wrong offset are wrong too. */
	pat_fill(&p, 100, a, sizeof a);
	ck_assert_uint_lt(pat_check(&p, 101, a, sizeof a), sizeof a);
}
END_TEST

static Suite *
pattern_suite(void)
{
	Suite	*s = suite_create("pattern");
	TCase	*tc = tcase_create("pattern");

	tcase_add_test(tc, test_same_seed_same_stream);
	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_spread);
	tcase_add_test(tc, test_fill_split);
	tcase_add_test(tc, test_check_split);
	tcase_add_test(tc, test_mismatch_offset);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(pattern_suite()));
}

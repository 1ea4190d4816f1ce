/*
 * check_transform.c: the -U transform: exactly ASCII a-z change, on flat
 * memory and in place across every extent of an evbuffer.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "harness.h"
#include "transform.h"
#include <event2/buffer.h>


#define PEEK_BATCH	16	/* extents transform_upper_evbuffer() peeks */

/* The rule, written out independently of the code under test. */
static unsigned char
want_upper(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return ((unsigned char)(c - 0x20));
	return (c);
}

/* Bytes of every value, letters and their neighbours, in a mixed order. */
static void
fill_pattern(unsigned char *p, size_t len, unsigned seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 3)) & 0xff);
}

/*
 * Make the first and last byte of each piece a lower-case letter, so a
 * chain the transform skipped cannot go unnoticed.
 */
static void
mark_piece(unsigned char *p, size_t len, unsigned seed)
{
	p[0] = (unsigned char)('a' + seed % 26);
	p[len - 1] = (unsigned char)('z' - seed % 26);
}

/* Allocate or fail the test. */
static void *
xmalloc(size_t len)
{
	void	*p;

	p = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* Number of extents (chains holding data) in buf. */
static int
extents(struct evbuffer *buf)
{
	return (evbuffer_peek(buf, -1, NULL, NULL, 0));
}

/*
 * Fail unless buf holds exactly want_upper() of orig, len bytes; the
 * buffer is left as it was.
 */
static void
check_upper(struct evbuffer *buf, const unsigned char *orig, size_t len)
{
	unsigned char	*got;
	size_t		 i;

	ck_assert_uint_eq(evbuffer_get_length(buf), len);
	got = xmalloc(len);
	ck_assert_int_eq(evbuffer_copyout(buf, got, len), (int)len);
	for (i = 0; i < len; i++) {
		ck_assert_msg(got[i] == want_upper(orig[i]),
		    "byte %zu of %zu: 0x%02x became 0x%02x, want 0x%02x", i,
		    len, orig[i], got[i], want_upper(orig[i]));
	}
	free(got);
}

/* Over all 256 byte values only 'a'..'z' change, each by exactly 0x20. */
START_TEST(test_upper_all_bytes)
{
	unsigned char	 b[256];
	int		 i;

	for (i = 0; i < 256; i++)
		b[i] = (unsigned char)i;
	transform_upper(b, sizeof b);
	for (i = 0; i < 256; i++) {
		if (i >= 'a' && i <= 'z') {
			ck_assert_msg(b[i] == i - 0x20, "'%c' became 0x%02x",
			    i, b[i]);
			ck_assert(b[i] >= 'A' && b[i] <= 'Z');
		} else
			ck_assert_msg(b[i] == i, "0x%02x became 0x%02x", i,
			    b[i]);
	}
}
END_TEST

/* Only the first len bytes are touched; len 0 touches none. */
START_TEST(test_upper_length)
{
	unsigned char	 b[] = "abcdef";

	transform_upper(b, 0);
	ck_assert_str_eq((char *)b, "abcdef");
	transform_upper(b, 2);
	ck_assert_str_eq((char *)b, "ABcdef");
	transform_upper(b + 3, 2);
	ck_assert_str_eq((char *)b, "ABcDEf");
}
END_TEST

/* Upper-casing twice is upper-casing once. */
START_TEST(test_upper_idempotent)
{
	unsigned char	 a[256], b[256];
	int		 i;

	for (i = 0; i < 256; i++)
		a[i] = (unsigned char)i;
	transform_upper(a, sizeof a);
	memcpy(b, a, sizeof b);
	transform_upper(b, sizeof b);
	ck_assert_mem_eq(a, b, sizeof a);
}
END_TEST

/* An empty buffer succeeds and stays empty. */
START_TEST(test_evbuffer_empty)
{
	struct evbuffer	*buf;

	buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(transform_upper_evbuffer(buf), 0);
	ck_assert_uint_eq(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}
END_TEST

/* Extent counts around multiples of the peek batch. */
static const int chain_counts[] = {
	1, 2, PEEK_BATCH - 1, PEEK_BATCH, PEEK_BATCH + 1, 2 * PEEK_BATCH - 1,
	2 * PEEK_BATCH, 2 * PEEK_BATCH + 1, 3 * PEEK_BATCH, 100, 257
};

/*
 * A buffer made of n separate chains, each moved in with
 * evbuffer_add_buffer(), is transformed in every chain, the last ones
 * beyond the first batches of 16 included.
 */
START_TEST(test_evbuffer_chains)
{
	int		 n = chain_counts[_i], i;
	struct evbuffer	*buf, *piece;
	unsigned char	*orig;
	size_t		 len = 0, plen;

	/* Pieces of 1 to 97 bytes, so extents do not line up with anything. */
	for (i = 0; i < n; i++)
		len += (size_t)(i * 37 % 97) + 1;
	orig = xmalloc(len);
	fill_pattern(orig, len, (unsigned)n);

	buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	len = 0;
	for (i = 0; i < n; i++) {
		plen = (size_t)(i * 37 % 97) + 1;
		piece = evbuffer_new();
		ck_assert_ptr_nonnull(piece);
		mark_piece(orig + len, plen, (unsigned)i);
		ck_assert_int_eq(evbuffer_add(piece, orig + len, plen), 0);
		ck_assert_int_eq(evbuffer_add_buffer(buf, piece), 0);
		evbuffer_free(piece);
		len += plen;
	}
	ck_assert_int_eq(extents(buf), n);

	ck_assert_int_eq(transform_upper_evbuffer(buf), 0);
	check_upper(buf, orig, len);
	ck_assert_int_eq(extents(buf), n);
	evbuffer_free(buf);
	free(orig);
}
END_TEST

/*
 * Many small evbuffer_add() calls fill one chain after another; a large
 * buffer built that way, its first chain partly drained so extents start
 * mid-chain, is transformed throughout.
 */
START_TEST(test_evbuffer_small_adds)
{
	struct evbuffer	*buf;
	unsigned char	*orig;
	size_t		 len = 256 * 1024, off, step, drained = 1000;

	orig = xmalloc(len);
	fill_pattern(orig, len, 3);
	buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	for (off = 0, step = 1; off < len; off += step, step = step % 61 + 1) {
		if (step > len - off)
			step = len - off;
		ck_assert_int_eq(evbuffer_add(buf, orig + off, step), 0);
	}
	ck_assert_int_eq(evbuffer_drain(buf, drained), 0);
	ck_assert_int_gt(extents(buf), 2 * PEEK_BATCH);

	ck_assert_int_eq(transform_upper_evbuffer(buf), 0);
	check_upper(buf, orig + drained, len - drained);
	evbuffer_free(buf);
	free(orig);
}
END_TEST

/*
 * Buffers of several chains each, appended to one another, then appended
 * to: every byte of the result is transformed, none is lost or added.
 */
START_TEST(test_evbuffer_nested)
{
	struct evbuffer	*buf, *mid, *piece;
	unsigned char	*orig;
	size_t		 len = 0, total = 0, plen;
	int		 i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < 5; j++)
			total += (size_t)(i * 5 + j) * 13 + 1;
	total += 4000;
	orig = xmalloc(total);
	fill_pattern(orig, total, 11);

	buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < 8; i++) {
		mid = evbuffer_new();
		ck_assert_ptr_nonnull(mid);
		for (j = 0; j < 5; j++) {
			plen = (size_t)(i * 5 + j) * 13 + 1;
			piece = evbuffer_new();
			ck_assert_ptr_nonnull(piece);
			mark_piece(orig + len, plen, (unsigned)(i * 5 + j));
			ck_assert_int_eq(evbuffer_add(piece, orig + len, plen),
			    0);
			ck_assert_int_eq(evbuffer_add_buffer(mid, piece), 0);
			evbuffer_free(piece);
			len += plen;
		}
		ck_assert_int_eq(evbuffer_add_buffer(buf, mid), 0);
		evbuffer_free(mid);
	}
	mark_piece(orig + len, 4000, 99);
	ck_assert_int_eq(evbuffer_add(buf, orig + len, 4000), 0);
	len += 4000;
	ck_assert_uint_eq(len, total);
	ck_assert_int_gt(extents(buf), 2 * PEEK_BATCH);

	ck_assert_int_eq(transform_upper_evbuffer(buf), 0);
	check_upper(buf, orig, total);
	evbuffer_free(buf);
	free(orig);
}
END_TEST

/* Text survives as text: only the letters of a sentence change. */
START_TEST(test_evbuffer_text)
{
	static const char	 in[] = "Hello, world! 0-9 a-z A-Z {|}~ "
				    "`@[\\]^_ caf\xc3\xa9 \xe2\x82\xac";
	static const char	 want[] = "HELLO, WORLD! 0-9 A-Z A-Z {|}~ "
				    "`@[\\]^_ CAF\xc3\xa9 \xe2\x82\xac";
	struct evbuffer		*buf;
	unsigned char		*p;
	size_t			 i;

	buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof in - 1; i++) {
		struct evbuffer *one = evbuffer_new();

		ck_assert_ptr_nonnull(one);
		ck_assert_int_eq(evbuffer_add(one, in + i, 1), 0);
		ck_assert_int_eq(evbuffer_add_buffer(buf, one), 0);
		evbuffer_free(one);
	}
	ck_assert_int_eq(extents(buf), (int)(sizeof in - 1));
	ck_assert_int_eq(transform_upper_evbuffer(buf), 0);
	ck_assert_uint_eq(evbuffer_get_length(buf), sizeof want - 1);
	p = evbuffer_pullup(buf, -1);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, want, sizeof want - 1);
	evbuffer_free(buf);
}
END_TEST

static Suite *
transform_suite(void)
{
	Suite	*s = suite_create("transform");
	TCase	*tc_flat = tcase_create("flat");
	TCase	*tc_evbuffer = tcase_create("evbuffer");

	tcase_add_test(tc_flat, test_upper_all_bytes);
	tcase_add_test(tc_flat, test_upper_length);
	tcase_add_test(tc_flat, test_upper_idempotent);
	suite_add_tcase(s, tc_flat);

	tcase_add_test(tc_evbuffer, test_evbuffer_empty);
	tcase_add_loop_test(tc_evbuffer, test_evbuffer_chains, 0,
	    sizeof chain_counts / sizeof chain_counts[0]);
	tcase_add_test(tc_evbuffer, test_evbuffer_small_adds);
	tcase_add_test(tc_evbuffer, test_evbuffer_nested);
	tcase_add_test(tc_evbuffer, test_evbuffer_text);
	suite_add_tcase(s, tc_evbuffer);
	return (s);
}

int
main(void)
{
	return (harness_run(transform_suite()));
}

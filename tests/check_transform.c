/*
 * check_transform.c: the -U transform: exactly ASCII a-z change, whatever
 * the locale, and only within the bytes given, in every chain of a buffer.
 */
#include "autoconfig.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "harness.h"
#include "transform.h"

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

/* Bytes >= 0x80, as in UTF-8 text, never change, in any locale. */
START_TEST(test_upper_utf8_locale)
{
	static const unsigned char in[] = "caf\xc3\xa9 \xc3\xa0 \xc3\xbf";
	static const unsigned char want[] = "CAF\xc3\xa9 \xc3\xa0 \xc3\xbf";
	unsigned char	 b[sizeof in];

	setlocale(LC_ALL, "C.UTF-8");
	memcpy(b, in, sizeof b);
	transform_upper(b, sizeof b - 1);
	ck_assert_mem_eq(b, want, sizeof want);
}
END_TEST

/*
 * A buffer of many chains (TLS's plaintext, read record by record) is
 * upper-cased to its last byte, not only its first four chains.
 */
START_TEST(test_upper_buffer_chains)
{
	char		 chunks[10][27];
	struct evbuffer	*buf;
	size_t		 i;

	ck_assert_ptr_nonnull(buf = evbuffer_new());
	for (i = 0; i < 10; i++) {
		memcpy(chunks[i], "abcdefghijklmnopqrstuvwxyz", 27);
		/* A reference is a chain of its own: ten chains. */
		ck_assert_int_eq(evbuffer_add_reference(buf, chunks[i], 26,
		    NULL, NULL), 0);
	}
	ck_assert_int_eq(evbuffer_peek(buf, 260, NULL, NULL, 0), 10);
	transform_upper_buffer(buf);
	for (i = 0; i < 10; i++)
		ck_assert_str_eq(chunks[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	evbuffer_free(buf);
}
END_TEST

static Suite *
transform_suite(void)
{
	Suite	*s = suite_create("transform");
	TCase	*tc = tcase_create("upper");

	harness_add_test(tc, test_upper_all_bytes);
	harness_add_test(tc, test_upper_length);
	harness_add_test(tc, test_upper_idempotent);
	harness_add_test(tc, test_upper_utf8_locale);
	harness_add_test(tc, test_upper_buffer_chains);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(transform_suite()));
}

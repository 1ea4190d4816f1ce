/*
 * check_proxy.c: the PROXY protocol parser against the specification's
 * own examples and its edges: versions 1 and 2, every family, LOCAL,
 * headers that arrive a byte at a time, bytes after the header, and the
 * malformed, oversized and foreign beginnings that must be refused.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "harness.h"
#include "proxy.h"

#define ERRLEN	256

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/*
 * Parse the whole of buf, and every prefix of it: each prefix shorter
 * than a header found must ask for more.
 */
static enum proxy_result
parse_all(const void *buf, size_t len, struct proxy_header *h, char *err)
{
	struct proxy_header	 part;
	enum proxy_result	 r;
	size_t			 n;

	r = proxy_parse(buf, len, h, err, ERRLEN);
	if (r != PROXY_DONE)
		return (r);
	for (n = 0; n < h->len; n++)
		ck_assert_msg(proxy_parse(buf, n, &part, err, ERRLEN) ==
		    PROXY_MORE, "prefix of %zu of %zu not MORE", n, h->len);
	return (r);
}

static const char *
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*s6 = (const struct sockaddr_in6 *)ss;
	char				 a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET)
		snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &s4->sin_addr,
		    a, sizeof a), ntohs(s4->sin_port));
	else if (ss->ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", inet_ntop(AF_INET6,
		    &s6->sin6_addr, a, sizeof a), ntohs(s6->sin6_port));
	else
		snprintf(buf, len, "family %d", ss->ss_family);
	return (buf);
}

/* Version 1, as the specification writes it, and bytes after it. */
START_TEST(test_v1)
{
	static const struct {
		const char	*in;
		const char	*src, *dst;
		int		 local;
	} cases[] = {
		{ "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET",
		    "192.168.0.1:56324", "192.168.0.11:443", 0 },
		{ "PROXY TCP6 2001:db8::1 ::1 0 65535\r\n",
		    "[2001:db8::1]:0", "[::1]:65535", 0 },
		{ "PROXY UNKNOWN\r\n", NULL, NULL, 1 },
		{ "PROXY UNKNOWN ffff:f...f:ffff 65535 65535\r\nx", NULL, NULL,
		    1 },
	};
	struct proxy_header	 h;
	char			 err[ERRLEN], a[64];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *end = strstr(cases[i].in, "\r\n") + 2;

		ck_assert_msg(parse_all(cases[i].in, strlen(cases[i].in), &h,
		    err) == PROXY_DONE, "%s: %s", cases[i].in, err);
		ck_assert_int_eq(h.version, 1);
		ck_assert_uint_eq(h.len, (size_t)(end - cases[i].in));
		ck_assert_int_eq(h.local, cases[i].local);
		if (cases[i].local)
			continue;
		ck_assert_str_eq(addr_text(&h.src, a, sizeof a),
		    cases[i].src);
		ck_assert_str_eq(addr_text(&h.dst, a, sizeof a),
		    cases[i].dst);
	}
}
END_TEST

/* Version 1 refused: malformed, foreign or too long. */
START_TEST(test_v1_bad)
{
	static const char *const bad[] = {
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 x\r\n",
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",
		"PROXY TCP4  192.168.0.1 192.168.0.11 56324 443\r\n",
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 65536\r\n",
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 0443\r\n",
		"PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n",
		"PROXY TCP4 ::1 192.168.0.11 1 443\r\n",
		"PROXY TCP6 192.168.0.1 ::1 1 443\r\n",
		"PROXY TCP4 192.168.0.256 192.168.0.11 1 443\r\n",
		"PROXY UDP4 192.168.0.1 192.168.0.11 1 443\r\n",
		"PROXY UNKNOWNX\r\n",
		"PROXY tcp4 192.168.0.1 192.168.0.11 1 443\r\n",
		"PROXY TCP4 192.168.0.1\r192.168.0.11 1 443\r\n",
		"PROXY TCP4 192.168.0.1\n192.168.0.11 1 443\r\n",
		"PROXY TCP4 192.168.0.1\t192.168.0.11 1 443\r\n",
		"PROXY \r\n",
		"PROXY\r\n",
		"GET / HTTP/1.1\r\n",
		"proxy TCP4",
		"\r\n\r\n\r\n",
	};
	struct proxy_header	 h;
	char			 err[ERRLEN], line[200];
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(proxy_parse((const unsigned char *)bad[i],
		    strlen(bad[i]), &h, err, sizeof err) == PROXY_BAD,
		    "accepted: %s", bad[i]);
		ck_assert_msg(err[0] != '\0' && strchr(err, '\n') == NULL,
		    "error for %s: '%s'", bad[i], err);
	}
	/* The longest line is 107 bytes: 108 is refused, CRLF or not. */
	memset(line, 0, sizeof line);
	snprintf(line, sizeof line, "PROXY UNKNOWN ");
	memset(line + 14, 'x', 91);
	memcpy(line + 105, "\r\n", 2);
	ck_assert_int_eq(proxy_parse((unsigned char *)line, 107, &h, err,
	    sizeof err), PROXY_DONE);
	ck_assert_uint_eq(h.len, 107);
	memset(line + 14, 'x', 92);
	memcpy(line + 106, "\r\n", 2);
	ck_assert_int_eq(proxy_parse((unsigned char *)line, 108, &h, err,
	    sizeof err), PROXY_BAD);
	ck_assert_int_eq(proxy_parse((unsigned char *)line, 106, &h, err,
	    sizeof err), PROXY_MORE);
	memset(line + 14, 'x', 120);
	ck_assert_int_eq(proxy_parse((unsigned char *)line, 134, &h, err,
	    sizeof err), PROXY_BAD);
}
END_TEST

/* A version 2 header: signature, ver_cmd, fam, length, then body. */
static size_t
v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *body,
    size_t len)
{
	memcpy(out, v2sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	if (len > 0)
		memcpy(out + 16, body, len);
	return (16 + len);
}

/* Version 2: IPv4, IPv6, UNIX, LOCAL and UNSPEC, TLVs skipped. */
START_TEST(test_v2)
{
	static const unsigned char in4[] = { 10, 0, 0, 1, 10, 0, 0, 2,
	    0xdc, 0x04, 0x01, 0xbb, 0x03, 0x00, 0x02, 'h', '2' };
	unsigned char		 in6[36], un[216], buf[600];
	struct proxy_header	 h;
	struct sockaddr_un	*su = (struct sockaddr_un *)&h.src;
	char			 err[ERRLEN], a[64];
	size_t			 n;

	n = v2(buf, 0x21, 0x11, in4, sizeof in4);	/* with an ALPN TLV */
	buf[n] = 'x';					/* the client's byte */
	ck_assert_int_eq(parse_all(buf, n + 1, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.version, 2);
	ck_assert_uint_eq(h.len, n);
	ck_assert_int_eq(h.local, 0);
	ck_assert_str_eq(addr_text(&h.src, a, sizeof a), "10.0.0.1:56324");
	ck_assert_str_eq(addr_text(&h.dst, a, sizeof a), "10.0.0.2:443");

	memset(in6, 0, sizeof in6);
	in6[15] = 1;			/* ::1 */
	in6[16] = 0x20;
	in6[17] = 0x01;			/* 2001:: */
	in6[32] = 0;
	in6[33] = 7;
	in6[34] = 0xff;
	in6[35] = 0xff;
	n = v2(buf, 0x21, 0x21, in6, sizeof in6);
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_str_eq(addr_text(&h.src, a, sizeof a), "[::1]:7");
	ck_assert_str_eq(addr_text(&h.dst, a, sizeof a), "[2001::]:65535");

	memset(un, 0, sizeof un);
	memcpy(un, "/run/client.sock", 16);
	memcpy(un + 108, "/run/evecho.sock", 16);
	n = v2(buf, 0x21, 0x31, un, sizeof un);
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.src.ss_family, AF_UNIX);
	ck_assert_str_eq(su->sun_path, "/run/client.sock");

	/* LOCAL (a health check), with or without addresses: local. */
	n = v2(buf, 0x20, 0x00, NULL, 0);
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.local, 1);
	ck_assert_uint_eq(h.len, 16);
	n = v2(buf, 0x20, 0x11, in4, 12);
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.local, 1);
	n = v2(buf, 0x21, 0x00, NULL, 0);		/* PROXY, UNSPEC */
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.local, 1);
	n = v2(buf, 0x21, 0x12, in4, 12);		/* UDP over IPv4 */
	ck_assert_int_eq(parse_all(buf, n, &h, err), PROXY_DONE);
	ck_assert_int_eq(h.src.ss_family, AF_INET);
}
END_TEST

/* Version 2 refused, each as soon as the wrong byte is in. */
START_TEST(test_v2_bad)
{
	static const struct {
		unsigned	 ver_cmd, fam;
		size_t		 len;
		size_t		 bad_at;	/* bytes that show it */
	} cases[] = {
		{ 0x11, 0x11, 12, 13 },		/* version 1 in binary */
		{ 0x22, 0x11, 12, 13 },		/* command 2 */
		{ 0x21, 0x41, 12, 14 },		/* family 4 */
		{ 0x21, 0x13, 12, 14 },		/* transport 3 */
		{ 0x21, 0x10, 12, 14 },		/* INET, transport UNSPEC */
		{ 0x21, 0x01, 12, 14 },		/* UNSPEC, transport STREAM */
		{ 0x21, 0x11, 11, 16 },		/* IPv4 addresses cut */
		{ 0x21, 0x21, 35, 16 },		/* IPv6 addresses cut */
		{ 0x21, 0x31, 215, 16 },	/* UNIX paths cut */
		{ 0x21, 0x11, PROXY_V2_MAX - 15, 16 },	/* too long */
		{ 0x20, 0x00, 65535, 16 },	/* far too long */
	};
	unsigned char		*buf;
	struct proxy_header	 h;
	char			 err[ERRLEN];
	size_t			 i, n;

	ck_assert_ptr_nonnull(buf = calloc(1, 16 + 65535));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = v2(buf, cases[i].ver_cmd, cases[i].fam, NULL, 0);
		buf[14] = (unsigned char)(cases[i].len >> 8);
		buf[15] = (unsigned char)cases[i].len;
		n = 16 + cases[i].len;
		ck_assert_msg(proxy_parse(buf, cases[i].bad_at - 1, &h, err,
		    sizeof err) == PROXY_MORE, "case %zu early", i);
		ck_assert_msg(proxy_parse(buf, cases[i].bad_at, &h, err,
		    sizeof err) == PROXY_BAD, "case %zu not refused", i);
		ck_assert_msg(proxy_parse(buf, n, &h, err, sizeof err) ==
		    PROXY_BAD, "case %zu accepted whole", i);
	}
	/* A signature wrong in its last byte. */
	memcpy(buf, v2sig, 12);
	buf[11] = 0x0b;
	ck_assert_int_eq(proxy_parse(buf, 11, &h, err, sizeof err),
	    PROXY_MORE);
	ck_assert_int_eq(proxy_parse(buf, 12, &h, err, sizeof err),
	    PROXY_BAD);
	free(buf);
}
END_TEST

/* Nothing yet, or a beginning shared by both versions: read on. */
START_TEST(test_more)
{
	struct proxy_header	 h;
	char			 err[ERRLEN];

	ck_assert_int_eq(proxy_parse((const unsigned char *)"", 0, &h, err,
	    sizeof err), PROXY_MORE);
	ck_assert_int_eq(proxy_parse((const unsigned char *)"PRO", 3, &h, err,
	    sizeof err), PROXY_MORE);
	ck_assert_int_eq(proxy_parse(v2sig, 7, &h, err, sizeof err),
	    PROXY_MORE);
	ck_assert_int_eq(proxy_parse((const unsigned char *)"PROXY TCP4 1.2",
	    14, &h, err, sizeof err), PROXY_MORE);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("proxy");

	harness_add_test(tc, test_v1);
	harness_add_test(tc, test_v1_bad);
	harness_add_test(tc, test_v2);
	harness_add_test(tc, test_v2_bad);
	harness_add_test(tc, test_more);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(proxy_suite()));
}

/*
 * check_addr.c: listen addresses: every accepted form and every refusal
 * of addr_parse() word for word, formatting back to text, and resolving.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "addr.h"
#include "harness.h"
#include <event2/util.h>


#define ERRLEN		1024
#define DEFPORT		4242	/* default port handed to addr_parse() */

/* addr_parse() inputs it accepts, and what they mean. */
static const struct good_case {
	const char	*spec;
	const char	*host;
	unsigned	 port;
} good_cases[] = {
	{ "localhost",			"localhost",		DEFPORT },
	{ "localhost:80",		"localhost",		80 },
	{ "127.0.0.1",			"127.0.0.1",		DEFPORT },
	{ "127.0.0.1:7777",		"127.0.0.1",		7777 },
	{ "192.0.2.1:0",		"192.0.2.1",		0 },
	{ "my-host_1.example.com:8080",	"my-host_1.example.com", 8080 },
	{ "EXAMPLE.org:65535",		"EXAMPLE.org",		65535 },
	{ "h:007",			"h",			7 },
	{ "[::1]:9",			"::1",			9 },
	{ "[::1]",			"::1",			DEFPORT },
	{ "[::]:0",			"::",			0 },
	{ "[2001:db8::1]:65535",	"2001:db8::1",		65535 },
	{ "[::ffff:192.0.2.1]:7",	"::ffff:192.0.2.1",	7 },
	{ "[fe80::1%lo]:7",		"fe80::1%lo",		7 },
	{ "[fe80::1%eth0]",		"fe80::1%eth0",		DEFPORT },
	{ ":7",				"",			7 },
	{ ":0",				"",			0 },
	{ ":65535",			"",			65535 },
	{ "*:7",			"",			7 },
	{ "*",				"",			DEFPORT },
};

/* Each accepted form gives the host and port in the table. */
START_TEST(test_parse_good)
{
	const struct good_case	*gc = &good_cases[_i];
	struct addr_spec	 spec;
	char			 err[ERRLEN] = "";

	ck_assert_msg(addr_parse(gc->spec, DEFPORT, &spec, err,
	    sizeof err) == 0, "'%s' refused: %s", gc->spec, err);
	ck_assert_msg(strcmp(spec.host, gc->host) == 0,
	    "'%s': host '%s', want '%s'", gc->spec, spec.host, gc->host);
	ck_assert_msg(spec.port == gc->port, "'%s': port %u, want %u",
	    gc->spec, (unsigned)spec.port, gc->port);
}
END_TEST

/* Listener kinds and options, and what they mean. */
static const struct kind_case {
	const char	*spec;
	enum addr_kind	 kind;
	unsigned	 options;
	const char	*host;		/* or the path, for unix */
	unsigned	 port;
	const char	*formatted;	/* addr_spec_format() */
} kind_cases[] = {
	{ "udp:127.0.0.1:7", ADDR_UDP, 0, "127.0.0.1", 7, "udp:127.0.0.1:7" },
	{ "udp:[::1]", ADDR_UDP, 0, "::1", DEFPORT, "udp:[::1]:4242" },
	{ "udp::9", ADDR_UDP, 0, "", 9, "udp:*:9" },
	{ "tcp:localhost:1", ADDR_TCP, 0, "localhost", 1, "localhost:1" },
	{ "unix:/run/evecho.sock", ADDR_UNIX, 0, "/run/evecho.sock", 0,
	    "unix:/run/evecho.sock" },
	{ "unix:rel/x.sock,proxy", ADDR_UNIX, ADDR_OPT_PROXY, "rel/x.sock", 0,
	    "unix:rel/x.sock,proxy" },
	{ "127.0.0.1:7443,tls", ADDR_TCP, ADDR_OPT_TLS, "127.0.0.1", 7443,
	    "127.0.0.1:7443,tls" },
	{ "127.0.0.1:7001,proxy", ADDR_TCP, ADDR_OPT_PROXY, "127.0.0.1", 7001,
	    "127.0.0.1:7001,proxy" },
	{ "127.0.0.1:7002,tls,proxy", ADDR_TCP, ADDR_OPT_TLS | ADDR_OPT_PROXY,
	    "127.0.0.1", 7002, "127.0.0.1:7002,tls,proxy" },
	{ "[::1]:7,proxy,tls", ADDR_TCP, ADDR_OPT_TLS | ADDR_OPT_PROXY, "::1",
	    7, "[::1]:7,tls,proxy" },
	{ "unix:/s,tls", ADDR_UNIX, ADDR_OPT_TLS, "/s", 0, "unix:/s,tls" },
};

/* Each kind and option is read as meant, and formats back the same. */
START_TEST(test_parse_kinds)
{
	const struct kind_case	*kc = &kind_cases[_i];
	struct addr_spec	 spec, again;
	char			 err[ERRLEN] = "", buf[ADDR_STRLEN + 32];

	ck_assert_msg(addr_parse(kc->spec, DEFPORT, &spec, err,
	    sizeof err) == 0, "'%s' refused: %s", kc->spec, err);
	ck_assert_int_eq(spec.kind, kc->kind);
	ck_assert_uint_eq(spec.options, kc->options);
	ck_assert_str_eq(kc->kind == ADDR_UNIX ? spec.path : spec.host,
	    kc->host);
	ck_assert_uint_eq(spec.port, kc->port);
	addr_spec_format(&spec, buf, sizeof buf);
	ck_assert_str_eq(buf, kc->formatted);
	ck_assert_int_eq(addr_parse(buf, 1, &again, err, sizeof err), 0);
	ck_assert_int_eq(again.kind, spec.kind);
	ck_assert_uint_eq(again.options, spec.options);
}
END_TEST

/* A socket path fills sun_path at most, NUL included; longer is refused. */
START_TEST(test_parse_long_path)
{
	struct addr_spec	 spec;
	char			 in[ADDR_PATH_MAX + 16], want[ERRLEN];
	char			 err[ERRLEN];

	memcpy(in, "unix:/", 6);
	memset(in + 6, 'p', ADDR_PATH_MAX - 2);
	in[6 + ADDR_PATH_MAX - 2] = '\0';	/* a path of ADDR_PATH_MAX - 1 */
	ck_assert_msg(addr_parse(in, DEFPORT, &spec, err, sizeof err) == 0,
	    "refused: %s", err);
	ck_assert_uint_eq(strlen(spec.path), ADDR_PATH_MAX - 1);
	strcat(in, "p");
	snprintf(want, sizeof want, "listen address '%.40s...': a socket "
	    "path has at most %d characters", in, ADDR_PATH_MAX - 1);
	ck_assert_int_eq(addr_parse(in, DEFPORT, &spec, err, sizeof err), -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A spec without a port takes whatever default the caller passes. */
START_TEST(test_parse_default_port)
{
	struct addr_spec	 spec;
	char			 err[ERRLEN];

	ck_assert_int_eq(addr_parse("localhost", 0, &spec, err, sizeof err),
	    0);
	ck_assert_uint_eq(spec.port, 0);
	ck_assert_int_eq(addr_parse("[::1]", 65535, &spec, err, sizeof err),
	    0);
	ck_assert_uint_eq(spec.port, 65535);
	ck_assert_int_eq(addr_parse("h:1", 65535, &spec, err, sizeof err), 0);
	ck_assert_uint_eq(spec.port, 1);
}
END_TEST

#define PORT_ERR(s, p)	"listen address '" s "': port '" p "' is not a " \
			    "number from 0 to 65535"
#define NUMBER_ERR(n)	"listen address '" n "' is only a number; write " \
			    "':" n "' for every interface or '127.0.0.1:" n \
			    "' for loopback"
#define NUMBER_ERR2(s, n) "listen address '" s "' is only a number; write " \
			    "':" n "' for every interface or '127.0.0.1:" n \
			    "' for loopback"
#define KIND_ERR(s, k)	"listen address '" s "': unknown kind '" k "'; the " \
			    "kinds are tcp:, udp: and unix:, and TLS is an " \
			    "option: HOST:PORT,tls"
#define COLONS_ERR(s)	"listen address '" s "' has several ':'; write IPv6 " \
			    "addresses in brackets, as in [::1]:7777"
#define BRACKET_ERR(s)	"listen address '" s "' has '[' without ']'"
#define AFTER_ERR(s)	"listen address '" s "': expected ':PORT' after ']'"
#define EMPTY6_ERR(s)	"listen address '" s "': '[...]' must hold an IPv6 " \
			    "address"
#define BAD6_ERR(s, h)	"listen address '" s "': '" h "' is not an IPv6 " \
			    "address"
#define NAME_ERR(s, h)	"listen address '" s "': '" h "' is not a valid " \
			    "host name or address"

/* addr_parse() inputs it refuses, and the sentence for each. */
static const struct bad_case {
	const char	*spec;
	const char	*err;
} bad_cases[] = {
	{ "",			"empty listen address" },
	/* Ports. */
	{ "host:65536",		PORT_ERR("host:65536", "65536") },
	{ "host:99999",		PORT_ERR("host:99999", "99999") },
	{ "host:123456",	PORT_ERR("host:123456", "123456") },
	{ "host:000080",	PORT_ERR("host:000080", "000080") },
	{ "host:http",		PORT_ERR("host:http", "http") },
	{ "host:",		PORT_ERR("host:", "") },
	{ "host:-1",		PORT_ERR("host:-1", "-1") },
	{ "host:+1",		PORT_ERR("host:+1", "+1") },
	{ "host: 1",		PORT_ERR("host: 1", " 1") },
	{ "host:1 ",		PORT_ERR("host:1 ", "1 ") },
	{ "host:0x10",		PORT_ERR("host:0x10", "0x10") },
	{ ":",			PORT_ERR(":", "") },
	{ "*:",			PORT_ERR("*:", "") },
	{ ":x",			PORT_ERR(":x", "x") },
	{ "[::1]:65536",	PORT_ERR("[::1]:65536", "65536") },
	{ "[::1]:",		PORT_ERR("[::1]:", "") },
	{ "[::1]:x",		PORT_ERR("[::1]:x", "x") },
	{ "[::1]:7]",		PORT_ERR("[::1]:7]", "7]") },
	/* A bare number is a port typed without its colon. */
	{ "7777",		NUMBER_ERR("7777") },
	{ "0",			NUMBER_ERR("0") },
	/* IPv6 without brackets. */
	{ "::1",		COLONS_ERR("::1") },
	{ "::1:7",		COLONS_ERR("::1:7") },
	{ "fe80::1",		COLONS_ERR("fe80::1") },
	{ "2001:db8::1:80",	COLONS_ERR("2001:db8::1:80") },
	{ "host:7:8",		COLONS_ERR("host:7:8") },
	/* Brackets. */
	{ "[",			BRACKET_ERR("[") },
	{ "[::1",		BRACKET_ERR("[::1") },
	{ "[::1:7",		BRACKET_ERR("[::1:7") },
	{ "[::1]x",		AFTER_ERR("[::1]x") },
	{ "[::1]7",		AFTER_ERR("[::1]7") },
	{ "[::1]]",		AFTER_ERR("[::1]]") },
	{ "[::1] :7",		AFTER_ERR("[::1] :7") },
	{ "[]",			EMPTY6_ERR("[]") },
	{ "[]:7",		EMPTY6_ERR("[]:7") },
	{ "[zzz]:7",		BAD6_ERR("[zzz]:7", "zzz") },
	{ "[127.0.0.1]:7",	BAD6_ERR("[127.0.0.1]:7", "127.0.0.1") },
	{ "[localhost]",	BAD6_ERR("[localhost]", "localhost") },
	{ "[::1::2]:7",		BAD6_ERR("[::1::2]:7", "::1::2") },
	{ "[ ::1]:7",		BAD6_ERR("[ ::1]:7", " ::1") },
	{ "[fe80::1%]:7",	BAD6_ERR("[fe80::1%]:7", "fe80::1%") },
	{ "[%lo]:7",		BAD6_ERR("[%lo]:7", "%lo") },
	{ "[fe80::1%l/o]:7",	BAD6_ERR("[fe80::1%l/o]:7", "fe80::1%l/o") },
	{ "[fe80::1%l o]",	BAD6_ERR("[fe80::1%l o]", "fe80::1%l o") },
	/* Host names. */
	{ "ho st:7",		NAME_ERR("ho st:7", "ho st") },
	{ "a/b",		NAME_ERR("a/b", "a/b") },
	{ "host!:7",		NAME_ERR("host!:7", "host!") },
	{ "*x:7",		NAME_ERR("*x:7", "*x") },
	{ "**:7",		NAME_ERR("**:7", "**") },
	{ "h]:7",		NAME_ERR("h]:7", "h]") },
	{ "h[1]",		NAME_ERR("h[1]", "h[1]") },
	{ " localhost",		NAME_ERR(" localhost", " localhost") },
	/* Kinds and options. */
	{ "udp:",		"listen address 'udp:' names no host or port" },
	{ "unix:",		"listen address 'unix:' names no socket path" },
	{ "unix:,tls",		"listen address 'unix:,tls' names no socket "
				    "path" },
	{ ",tls",		"listen address ',tls' names no host or port" },
	{ "udp:7777",		NUMBER_ERR2("udp:7777", "7777") },
	{ "udp:h:x",		PORT_ERR("udp:h:x", "x") },
	{ "h:7,",		"listen address 'h:7,': unknown option ''; the "
				    "options are tls and proxy" },
	{ "h:7,ssl",		"listen address 'h:7,ssl': unknown option "
				    "'ssl'; the options are tls and proxy" },
	{ "h:7,TLS",		"listen address 'h:7,TLS': unknown option "
				    "'TLS'; the options are tls and proxy" },
	{ "h:7,tls,",		"listen address 'h:7,tls,': unknown option ''; "
				    "the options are tls and proxy" },
	{ "h:7,tls,tls",	"listen address 'h:7,tls,tls': option 'tls' "
				    "given twice" },
	{ "h:7,proxy,tls,proxy",	"listen address 'h:7,proxy,tls,proxy': "
				    "option 'proxy' given twice" },
	{ "udp:h:7,tls",	"listen address 'udp:h:7,tls': option 'tls' is "
				    "for stream listeners, not udp" },
	{ "udp:h:7,proxy",	"listen address 'udp:h:7,proxy': option "
				    "'proxy' is for stream listeners, not udp" },
	{ "sctp:h:7",		KIND_ERR("sctp:h:7", "sctp") },
	{ "tls:[::1]:7",	KIND_ERR("tls:[::1]:7", "tls") },
	{ "udp6:h",		KIND_ERR("udp6:h", "udp6") },
};

/* Each refused form gets its exact sentence. */
START_TEST(test_parse_bad)
{
	const struct bad_case	*bc = &bad_cases[_i];
	struct addr_spec	 spec;
	char			 err[ERRLEN] = "(err not written)";

	ck_assert_msg(addr_parse(bc->spec, DEFPORT, &spec, err,
	    sizeof err) == -1, "'%s' accepted as '%s' port %u", bc->spec,
	    spec.host, (unsigned)spec.port);
	ck_assert_msg(strcmp(err, bc->err) == 0,
	    "'%s':\n  got  \"%s\"\n  want \"%s\"", bc->spec, err, bc->err);
}
END_TEST

/*
 * Host names up to ADDR_HOST_MAX - 1 characters fit; one more is refused
 * with the spec's first 32 characters in the sentence.
 */
START_TEST(test_parse_long_host)
{
	struct addr_spec	 spec;
	char			 host[ADDR_HOST_MAX + 1];
	char			 in[ADDR_HOST_MAX + 16];
	char			 err[ERRLEN], want[ERRLEN];

	memset(host, 'a', ADDR_HOST_MAX - 1);
	host[ADDR_HOST_MAX - 1] = '\0';
	snprintf(in, sizeof in, "%s:7", host);
	ck_assert_msg(addr_parse(in, DEFPORT, &spec, err, sizeof err) == 0,
	    "%d-character host refused: %s", ADDR_HOST_MAX - 1, err);
	ck_assert_str_eq(spec.host, host);
	ck_assert_uint_eq(spec.port, 7);
	ck_assert_int_eq(addr_parse(host, DEFPORT, &spec, err, sizeof err),
	    0);
	ck_assert_str_eq(spec.host, host);

	strcat(host, "b");
	snprintf(want, sizeof want, "listen address '%.32s...': host name "
	    "longer than 255 characters", host);
	ck_assert_int_eq(addr_parse(host, DEFPORT, &spec, err, sizeof err),
	    -1);
	ck_assert_str_eq(err, want);
	snprintf(in, sizeof in, "%s:7", host);
	ck_assert_int_eq(addr_parse(in, DEFPORT, &spec, err, sizeof err), -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A bracketed address too long for the host field is refused, not cut. */
START_TEST(test_parse_long_ipv6)
{
	struct addr_spec	 spec;
	char			 in[ADDR_HOST_MAX + 16], want[ERRLEN];
	char			 err[ERRLEN];
	size_t			 i;

	in[0] = '[';
	for (i = 1; i <= ADDR_HOST_MAX; i++)
		in[i] = ':';
	snprintf(in + i, sizeof in - i, "]:7");
	snprintf(want, sizeof want, "listen address '%s': '[...]' must hold "
	    "an IPv6 address", in);
	ck_assert_int_eq(addr_parse(in, DEFPORT, &spec, err, sizeof err), -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* IPv4 sockaddrs format as ADDRESS:PORT. */
START_TEST(test_format_ipv4)
{
	static const struct {
		const char	*addr;
		unsigned	 port;
		const char	*want;
	} cases[] = {
		{ "192.0.2.1", 7777, "192.0.2.1:7777" },
		{ "0.0.0.0", 0, "0.0.0.0:0" },
		{ "255.255.255.255", 65535, "255.255.255.255:65535" },
		{ "127.0.0.1", 1, "127.0.0.1:1" },
	};
	struct sockaddr_in	 sin;
	char			 buf[ADDR_STRLEN];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(cases[i].port);
		ck_assert_int_eq(inet_pton(AF_INET, cases[i].addr,
		    &sin.sin_addr), 1);
		memset(buf, 'X', sizeof buf);
		ck_assert_ptr_eq(addr_format((struct sockaddr *)&sin, buf,
		    sizeof buf), buf);
		ck_assert_str_eq(buf, cases[i].want);
	}
}
END_TEST

/* IPv6 sockaddrs format as [ADDRESS]:PORT, in the shortest text form. */
START_TEST(test_format_ipv6)
{
	static const struct {
		const char	*addr;
		unsigned	 port;
		const char	*want;
	} cases[] = {
		{ "2001:db8::1", 7777, "[2001:db8::1]:7777" },
		{ "::", 0, "[::]:0" },
		{ "::1", 65535, "[::1]:65535" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", 80,
		    "[2001:db8::1]:80" },
		{ "fe80::1:2:3:4", 9, "[fe80::1:2:3:4]:9" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	};
	struct sockaddr_in6	 sin6;
	char			 buf[ADDR_STRLEN];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(cases[i].port);
		ck_assert_int_eq(inet_pton(AF_INET6, cases[i].addr,
		    &sin6.sin6_addr), 1);
		memset(buf, 'X', sizeof buf);
		ck_assert_ptr_eq(addr_format((struct sockaddr *)&sin6, buf,
		    sizeof buf), buf);
		ck_assert_str_eq(buf, cases[i].want);
	}
}
END_TEST

/*
 * A Unix-domain address formats as "unix:" and its path, the longest
 * path whole; a family addr_format() does not know is named, not
 * misprinted.
 */
START_TEST(test_format_unknown_family)
{
	struct sockaddr_un	 sun;
	struct sockaddr_storage	 ss;
	char			 buf[ADDR_STRLEN], want[ADDR_STRLEN];

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memset(buf, 'X', sizeof buf);
	ck_assert_ptr_eq(addr_format((struct sockaddr *)&sun, buf,
	    sizeof buf), buf);
	ck_assert_str_eq(buf, "unix:");
	memset(sun.sun_path, 'p', sizeof sun.sun_path - 1);
	snprintf(want, sizeof want, "unix:%s", sun.sun_path);
	addr_format((struct sockaddr *)&sun, buf, sizeof buf);
	ck_assert_str_eq(buf, want);

	memset(&ss, 0, sizeof ss);
	ss.ss_family = 12345;
	ck_assert_ptr_eq(addr_format((struct sockaddr *)&ss, buf, sizeof buf),
	    buf);
	ck_assert_str_eq(buf, "(address family 12345)");
}
END_TEST

/* addr_spec_format() writes a spec back as the user would type it. */
START_TEST(test_spec_format)
{
	static const struct {
		const char	*host;
		unsigned	 port;
		const char	*want;
	} cases[] = {
		{ "", 7777, "*:7777" },
		{ "", 0, "*:0" },
		{ "127.0.0.1", 65535, "127.0.0.1:65535" },
		{ "example.com", 80, "example.com:80" },
		{ "::1", 0, "[::1]:0" },
		{ "2001:db8::1", 7, "[2001:db8::1]:7" },
		{ "fe80::1%lo", 7, "[fe80::1%lo]:7" },
	};
	struct addr_spec	 spec;
	char			 buf[ADDR_HOST_MAX + 16];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&spec, 0, sizeof spec);
		snprintf(spec.host, sizeof spec.host, "%s", cases[i].host);
		spec.port = cases[i].port;
		memset(buf, 'X', sizeof buf);
		addr_spec_format(&spec, buf, sizeof buf);
		ck_assert_str_eq(buf, cases[i].want);
	}
}
END_TEST

/* Parsing what addr_spec_format() wrote gives back the same spec. */
START_TEST(test_spec_round_trip)
{
	static const char *const specs[] = { "127.0.0.1:1", "[::1]:2", ":3",
	    "*:4", "[fe80::1%lo]:5", "localhost", "[2001:db8::7]", "https",
	    "udp", "unix", "tcp", "sctp", "tcp:udp:1,proxy", "udp:unix:2",
	    "unixgram" };
	struct addr_spec	 a, b;
	char			 buf[ADDR_HOST_MAX + 16], err[ERRLEN];
	size_t			 i;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		ck_assert_int_eq(addr_parse(specs[i], DEFPORT, &a, err,
		    sizeof err), 0);
		addr_spec_format(&a, buf, sizeof buf);
		ck_assert_msg(addr_parse(buf, 1, &b, err, sizeof err) == 0,
		    "'%s' formatted as '%s', refused: %s", specs[i], buf, err);
		ck_assert_str_eq(a.host, b.host);
		ck_assert_uint_eq(a.port, b.port);
		ck_assert_int_eq(a.kind, b.kind);
		ck_assert_uint_eq(a.options, b.options);
	}
}
END_TEST

/* Port of a resolved IPv4 or IPv6 address. */
static unsigned
sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port));
	return (ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
	    sin6_port));
}

/* A numeric IPv4 address resolves to itself, a stream socket, the port. */
START_TEST(test_resolve_ipv4)
{
	struct addr_spec	 spec;
	struct evutil_addrinfo	*res = NULL, *ai;
	char			 err[ERRLEN] = "", buf[ADDR_STRLEN];
	int			 n = 0;

	ck_assert_int_eq(addr_parse("127.0.0.1:7", DEFPORT, &spec, err,
	    sizeof err), 0);
	ck_assert_msg(addr_resolve(&spec, &res, err, sizeof err) == ADDR_OK,
	    "127.0.0.1 did not resolve: %s", err);
	ck_assert_ptr_nonnull(res);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ck_assert_int_eq(ai->ai_family, AF_INET);
		ck_assert_int_eq(ai->ai_socktype, SOCK_STREAM);
		ck_assert_str_eq(addr_format(ai->ai_addr, buf, sizeof buf),
		    "127.0.0.1:7");
		n++;
	}
	ck_assert_int_ge(n, 1);
	evutil_freeaddrinfo(res);
}
END_TEST

/* A numeric IPv6 address resolves to itself, even with no IPv6 network. */
START_TEST(test_resolve_ipv6)
{
	struct addr_spec	 spec;
	struct evutil_addrinfo	*res = NULL, *ai;
	char			 err[ERRLEN] = "", buf[ADDR_STRLEN];
	int			 n = 0;

	ck_assert_int_eq(addr_parse("[::1]:65535", DEFPORT, &spec, err,
	    sizeof err), 0);
	ck_assert_msg(addr_resolve(&spec, &res, err, sizeof err) == ADDR_OK,
	    "::1 did not resolve: %s", err);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ck_assert_int_eq(ai->ai_family, AF_INET6);
		ck_assert_str_eq(addr_format(ai->ai_addr, buf, sizeof buf),
		    "[::1]:65535");
		n++;
	}
	ck_assert_int_ge(n, 1);
	evutil_freeaddrinfo(res);
}
END_TEST

/*
 * The empty host is every interface: at least one wildcard address, the
 * IPv4 one among them, and nothing that is not a wildcard.
 */
START_TEST(test_resolve_wildcard)
{
	struct addr_spec	 spec;
	struct evutil_addrinfo	*res = NULL, *ai;
	char			 err[ERRLEN] = "", buf[ADDR_STRLEN];
	int			 n = 0, any4 = 0;

	ck_assert_int_eq(addr_parse(":0", DEFPORT, &spec, err, sizeof err),
	    0);
	ck_assert_str_eq(spec.host, "");
	ck_assert_msg(addr_resolve(&spec, &res, err, sizeof err) == ADDR_OK,
	    "the wildcard did not resolve: %s", err);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		addr_format(ai->ai_addr, buf, sizeof buf);
		ck_assert_msg(strcmp(buf, "0.0.0.0:0") == 0 ||
		    strcmp(buf, "[::]:0") == 0, "not a wildcard: %s", buf);
		ck_assert_uint_eq(sockaddr_port(ai->ai_addr), 0);
		if (ai->ai_family == AF_INET)
			any4 = 1;
		n++;
	}
	ck_assert_int_ge(n, 1);
	ck_assert_msg(any4, "no AF_INET 0.0.0.0 among %d addresses", n);
	evutil_freeaddrinfo(res);
}
END_TEST

/*
 * A name that cannot resolve is ADDR_NOHOST, with the name and a reason.
 * The .invalid TLD never resolves, but a machine whose resolver cannot be
 * reached answers "try again" instead; then ADDR_TEMPFAIL is right.  The
 * resolver is asked directly first, to know which answer to expect.
 */
START_TEST(test_resolve_nohost)
{
	static const char	 prefix[] = "cannot resolve "
				    "'no-such-host.invalid': ";
	struct addr_spec	 spec;
	struct evutil_addrinfo	 hints, *res = (void *)&spec;
	char			 err[ERRLEN] = "";
	enum addr_error		 rc, want = ADDR_NOHOST;
	int			 gai;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = evutil_getaddrinfo("no-such-host.invalid", "7", &hints, &res);
	ck_assert_msg(gai != 0, "no-such-host.invalid resolved");
	if (gai == EVUTIL_EAI_AGAIN)
		want = ADDR_TEMPFAIL;

	res = (void *)&spec;
	ck_assert_int_eq(addr_parse("no-such-host.invalid:7", DEFPORT, &spec,
	    err, sizeof err), 0);
	rc = addr_resolve(&spec, &res, err, sizeof err);
	ck_assert_msg(rc == want, "addr_resolve gave %d (%s), want %d "
	    "(resolver said %d)", rc, err, want, gai);
	ck_assert_ptr_null(res);
	ck_assert_msg(strncmp(err, prefix, sizeof prefix - 1) == 0,
	    "err is \"%s\"", err);
	ck_assert_msg(strlen(err) > sizeof prefix - 1, "no reason given: "
	    "\"%s\"", err);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite	*s = suite_create("addr");
	TCase	*tc_parse = tcase_create("parse");
	TCase	*tc_format = tcase_create("format");
	TCase	*tc_resolve = tcase_create("resolve");

	tcase_add_loop_test(tc_parse, test_parse_good, 0,
	    sizeof good_cases / sizeof good_cases[0]);
	tcase_add_test(tc_parse, test_parse_default_port);
	tcase_add_loop_test(tc_parse, test_parse_kinds, 0,
	    sizeof kind_cases / sizeof kind_cases[0]);
	tcase_add_test(tc_parse, test_parse_long_path);
	tcase_add_loop_test(tc_parse, test_parse_bad, 0,
	    sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_test(tc_parse, test_parse_long_host);
	tcase_add_test(tc_parse, test_parse_long_ipv6);
	suite_add_tcase(s, tc_parse);

	tcase_add_test(tc_format, test_format_ipv4);
	tcase_add_test(tc_format, test_format_ipv6);
	tcase_add_test(tc_format, test_format_unknown_family);
	tcase_add_test(tc_format, test_spec_format);
	tcase_add_test(tc_format, test_spec_round_trip);
	suite_add_tcase(s, tc_format);

	/* A resolver with no network may take its time to say no. */
	tcase_set_timeout(tc_resolve, 60);
	tcase_add_test(tc_resolve, test_resolve_ipv4);
	tcase_add_test(tc_resolve, test_resolve_ipv6);
	tcase_add_test(tc_resolve, test_resolve_wildcard);
	tcase_add_test(tc_resolve, test_resolve_nohost);
	suite_add_tcase(s, tc_resolve);
	return (s);
}

int
main(void)
{
	return (harness_run(addr_suite()));
}

/*
 * check_bench_opts.c: evecho-bench's command line: defaults, every flag,
 * the modes and server addresses, and the exact sentence for each
 * mistake.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "bench_opts.h"
#include "bench_target.h"
#include "harness.h"

#define MAX_ARGS	24

/* Parse a NULL-terminated list of words after the program name. */
static enum opts_action
parse(struct bench_opts *o, const char *const *words, char *err,
    size_t errlen)
{
	char	*argv[MAX_ARGS + 2];
	int	 argc = 0;

	argv[argc++] = (char *)"evecho-bench";
	while (*words != NULL && argc <= MAX_ARGS)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	err[0] = '\0';
	return (opts_parse(o, argc, argv, err, errlen));
}

/* Just a port: every default, on 127.0.0.1. */
START_TEST(test_defaults)
{
	static const char *const words[] = { "7777", NULL };
	struct bench_opts	 o;
	char			 err[256];

	ck_assert_int_eq(parse(&o, words, err, sizeof err), OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_PINGPONG);
	ck_assert_uint_eq(o.conns, 50);
	ck_assert_uint_eq(o.size, 64);
	ck_assert_uint_eq(o.depth, 1);
	ck_assert_uint_eq(o.duration_ms, 10000);
	ck_assert_uint_eq(o.warmup_ms, 1000);
	ck_assert_uint_eq(o.threads, 1);
	ck_assert_uint_eq(o.idle, 0);
	ck_assert_uint_eq(o.seed, 1);
	ck_assert_int_eq(o.json, 0);
	ck_assert_str_eq(o.target.host, "127.0.0.1");
	ck_assert_uint_eq(o.target.port, 7777);
}
END_TEST

/* Every flag, long and short, and options after the operands. */
START_TEST(test_every_flag)
{
	static const char *const words[] = { "stream", "-c", "8", "--size",
	    "16k", "--duration=2.5", "--warmup", "0", "--threads", "2",
	    "--idle", "3", "--seed", "18446744073709551615", "[::1]:9000",
	    "--json", NULL };
	static const char *const words2[] = { "pingpong", "-d", "16",
	    "--connections=4", "-s", "1M", "localhost:80", NULL };
	struct bench_opts	 o;
	char			 err[256];

	ck_assert_int_eq(parse(&o, words, err, sizeof err), OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_STREAM);
	ck_assert_uint_eq(o.conns, 8);
	ck_assert_uint_eq(o.size, 16384);
	ck_assert_uint_eq(o.duration_ms, 2500);
	ck_assert_uint_eq(o.warmup_ms, 0);
	ck_assert_uint_eq(o.threads, 2);
	ck_assert_uint_eq(o.idle, 3);
	ck_assert_uint_eq(o.seed, UINT64_MAX);
	ck_assert_int_eq(o.json, 1);
	ck_assert_str_eq(o.target.host, "::1");
	ck_assert_uint_eq(o.target.port, 9000);

	ck_assert_int_eq(parse(&o, words2, err, sizeof err), OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_PINGPONG);
	ck_assert_uint_eq(o.depth, 16);
	ck_assert_uint_eq(o.conns, 4);
	ck_assert_uint_eq(o.size, 1024 * 1024);
	ck_assert_str_eq(o.target.host, "localhost");
	ck_assert_uint_eq(o.target.port, 80);
}
END_TEST

/* churn by name; --help wins over everything, even a bad operand. */
START_TEST(test_modes_help_version)
{
	static const char *const churn[] = { "churn", ":7", NULL };
	static const char *const help[] = { "-V", "--help", "bogus", NULL };
	static const char *const version[] = { "--version", NULL };
	struct bench_opts	 o;
	char			 err[256];

	ck_assert_int_eq(parse(&o, churn, err, sizeof err), OPTS_RUN);
	ck_assert_int_eq(o.mode, MODE_CHURN);
	ck_assert_str_eq(o.target.host, "127.0.0.1");
	ck_assert_uint_eq(o.target.port, 7);
	ck_assert_int_eq(parse(&o, help, err, sizeof err), OPTS_HELP);
	ck_assert_int_eq(parse(&o, version, err, sizeof err), OPTS_VERSION);
}
END_TEST

/* Each mistake, and the one sentence that explains it. */
START_TEST(test_errors)
{
	static const struct {
		const char	*words[6];
		const char	*msg;
	} cases[] = {
		{ { "-c", "0", "7", NULL }, "invalid value '0' for "
		    "--connections: expected a whole number from 1 to "
		    "1000000" },
		{ { "-c", "12x", "7", NULL }, "invalid value '12x' for "
		    "--connections: expected a whole number from 1 to "
		    "1000000" },
		{ { "--size", "0", "7", NULL }, "invalid value '0' for "
		    "--size: expected bytes from 1 to 16M, with an optional k "
		    "or M suffix" },
		{ { "-s", "17M", "7", NULL }, "invalid value '17M' for "
		    "--size: expected bytes from 1 to 16M, with an optional k "
		    "or M suffix" },
		{ { "-d", "1025", "7", NULL }, "invalid value '1025' for "
		    "--depth: expected a whole number from 1 to 1024" },
		{ { "--duration", "0", "7", NULL }, "invalid value '0' for "
		    "--duration: expected seconds from 0.001 to 86400, such "
		    "as 10 or 0.5" },
		{ { "--warmup", "-1", "7", NULL }, "invalid value '-1' for "
		    "--warmup: expected seconds from 0 to 86400, such as 1 or "
		    "0.5" },
		{ { "--threads", "257", "7", NULL }, "invalid value '257' for "
		    "--threads: expected a whole number from 1 to 256" },
		{ { "--idle", "x", "7", NULL }, "invalid value 'x' for "
		    "--idle: expected a whole number from 0 to 1000000" },
		{ { "--seed", "18446744073709551616", "7", NULL }, "invalid "
		    "value '18446744073709551616' for --seed: expected a "
		    "whole number from 0 to 18446744073709551615" },
		{ { "--proxy", "v3", "7", NULL }, "invalid value 'v3' for "
		    "--proxy: expected v1 or v2" },
		{ { "--proxy", "1", "7", NULL }, "invalid value '1' for "
		    "--proxy: expected v1 or v2" },
		{ { "--bogus", "7", NULL }, "unknown option '--bogus'" },
		{ { "-x", "7", NULL }, "unknown option '-x'" },
		{ { "--d", "1", "7", NULL }, "option '--d' is ambiguous: it "
		    "could be --depth, --duration" },
		{ { "--json=1", "7", NULL }, "option '--json' takes no "
		    "value" },
		{ { "7", "-c", NULL }, "option '-c' needs a value" },
		{ { "7", "--threads", NULL }, "option '--threads' needs a "
		    "value" },
		{ { NULL }, "missing the server's [HOST:]PORT" },
		{ { "stream", NULL }, "missing the server's [HOST:]PORT" },
		{ { "ping", "7", NULL }, "unknown mode 'ping': expected "
		    "pingpong, stream or churn" },
		{ { "churn", "7", "8", NULL }, "unexpected argument '8': "
		    "expected [MODE] [HOST:]PORT" },
		{ { "stream", "-d", "2", "7", NULL }, "--depth applies to "
		    "pingpong only, not to stream" },
		{ { "--threads", "3", "-c", "2", "7", NULL }, "--threads 3 is "
		    "more than the 2 connections to share among them" },
		{ { "::1:7", NULL }, "server address '::1:7' has several ':'; "
		    "write IPv6 addresses in brackets, as in [::1]:7777" },
		{ { "[::1]", NULL }, "server address '[::1]': expected "
		    "[IPV6]:PORT, as in [::1]:7777" },
		{ { "[nope]:7", NULL }, "server address '[nope]:7': 'nope' is "
		    "not an IPv6 address" },
		{ { "0", NULL }, "server address '0': expected a port from 1 "
		    "to 65535 or HOST:PORT" },
		{ { "host:65536", NULL }, "server address 'host:65536': "
		    "expected a port from 1 to 65535 after ':'" },
		{ { "ho$t:7", NULL }, "server address 'ho$t:7': 'ho$t' is not "
		    "a host name or IPv4 address" },
	};
	struct bench_opts	 o;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(parse(&o, cases[i].words, err, sizeof err) ==
		    OPTS_ERROR, "case %zu (%s) was accepted", i,
		    cases[i].msg);
		ck_assert_str_eq(err, cases[i].msg);
	}
}
END_TEST

/* Server addresses the parser takes, including an IPv6 zone. */
START_TEST(test_targets)
{
	struct target	 t;
	char		 err[256];

	ck_assert_int_eq(target_parse(&t, "1", err, sizeof err), 0);
	ck_assert_str_eq(t.host, "127.0.0.1");
	ck_assert_uint_eq(t.port, 1);
	ck_assert_int_eq(target_parse(&t, "10.1.2.3:65535", err, sizeof err),
	    0);
	ck_assert_str_eq(t.host, "10.1.2.3");
	ck_assert_uint_eq(t.port, 65535);
	ck_assert_int_eq(target_parse(&t, "[fe80::1%eth0]:7", err,
	    sizeof err), 0);
	ck_assert_str_eq(t.host, "fe80::1%eth0");
	ck_assert_int_eq(target_parse(&t, "[::1]:", err, sizeof err), -1);
}
END_TEST

/* unix:PATH and unix:@name, as evecho's -l writes them; no path, no. */
START_TEST(test_unix_targets)
{
	struct target	 t;
	char		 err[256], longest[160];

	ck_assert_int_eq(target_parse(&t, "unix:/run/e.sock", err, sizeof err),
	    0);
	ck_assert_str_eq(t.path, "/run/e.sock");
	ck_assert_uint_eq(t.port, 0);
	ck_assert_int_eq(target_parse(&t, "unix:@e", err, sizeof err), 0);
	ck_assert_str_eq(t.path, "@e");
	ck_assert_int_eq(target_parse(&t, "unix:", err, sizeof err), -1);
	ck_assert_str_eq(err, "server address 'unix:' names no socket path");
	ck_assert_int_eq(target_parse(&t, "unix:@", err, sizeof err), -1);
	memset(longest, 'a', sizeof longest);
	memcpy(longest, "unix:", 5);
	longest[5 + sizeof t.path] = '\0';	/* one too many */
	ck_assert_int_eq(target_parse(&t, longest, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "a socket path has at most 107 characters")
	    != NULL, "%s", err);
	longest[5 + sizeof t.path - 1] = '\0';
	ck_assert_int_eq(target_parse(&t, longest, err, sizeof err), 0);
}
END_TEST

static Suite *
bench_opts_suite(void)
{
	Suite	*s = suite_create("bench_opts");
	TCase	*tc = tcase_create("bench_opts");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_flag);
	tcase_add_test(tc, test_modes_help_version);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_unix_targets);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(bench_opts_suite()));
}

/*
 * check_bench.c: evecho-bench end to end.  Each test runs the built
 * evecho-bench ($EVECHO_BENCH, default bench/evecho-bench, behind
 * $EVECHO_BENCH_WRAPPER when set, such as valgrind) for about a second
 * against the real evecho on 127.0.0.1:0, or against tests/corrupt-echo
 * ($CORRUPT_ECHO), which gets one byte wrong, or against a port where
 * nothing answers; and checks its exit status, its JSON and its messages.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define RUN_TIMEOUT_MS	60000	/* any one run, even under valgrind */
#define MAX_WORDS	32

/* What one run of evecho-bench left behind. */
struct outcome {
	int	 status;		/* exit status; -1 if killed */
	char	 out[16384];		/* its stdout */
	char	 err[16384];		/* its stderr */
	long	 ms;			/* how long it ran */
};

static const char *const loopback4[] = { "-l", "127.0.0.1:0", NULL };

/* The content of a temporary file, NUL-terminated, cut to len - 1. */
static void
read_fd(int fd, char *buf, size_t len)
{
	ssize_t	 n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/* An environment variable, or a default when unset or empty. */
static const char *
env_or(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0' ? v : def);
}

/*
 * Run evecho-bench with args to its end (killed after RUN_TIMEOUT_MS,
 * failing the test) and collect its status and output; if term_ms > 0,
 * send it SIGTERM after that many milliseconds.
 */
static void
run_bench_term(const char *const *args, struct outcome *r, long term_ms)
{
	const char	*argv[MAX_WORDS + 1];
	char		*wrapper, *word, *save = NULL;
	int		 argc = 0, outfd, errfd, status;
	long		 start = now_ms(), deadline = start + RUN_TIMEOUT_MS;
	pid_t		 pid, w;

	wrapper = strdup(env_or("EVECHO_BENCH_WRAPPER", ""));
	ck_assert_ptr_nonnull(wrapper);
	for (word = strtok_r(wrapper, " ", &save); word != NULL &&
	    argc < MAX_WORDS / 2; word = strtok_r(NULL, " ", &save))
		argv[argc++] = word;
	argv[argc++] = env_or("EVECHO_BENCH", "bench/evecho-bench");
	while (*args != NULL && argc < MAX_WORDS)
		argv[argc++] = *args++;
	argv[argc] = NULL;

	ck_assert_int_ne(outfd = harness_temp_fd(), -1);
	ck_assert_int_ne(errfd = harness_temp_fd(), -1);
	ck_assert_int_ne(pid = harness_spawn(argv, NULL, outfd, errfd), -1);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    now_ms() < deadline) {
		if (term_ms > 0 && now_ms() - start >= term_ms) {
			ck_assert_int_eq(kill(pid, SIGTERM), 0);
			term_ms = 0;
		}
		sleep_ms(5);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	r->ms = now_ms() - start;
	read_fd(outfd, r->out, sizeof r->out);
	read_fd(errfd, r->err, sizeof r->err);
	close(outfd);
	close(errfd);
	free(wrapper);
	ck_assert_msg(w == pid, "evecho-bench still running after %d s; "
	    "stderr:\n%s", RUN_TIMEOUT_MS / 1000, r->err);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run evecho-bench with args to its end. */
static void
run_bench(const char *const *args, struct outcome *r)
{
	run_bench_term(args, r, 0);
}

/* The number after "key": in a one-line JSON object; fails if absent. */
static double
json_num(const struct outcome *r, const char *key)
{
	char		 needle[64];
	const char	*p;
	char		*end;
	double		 v;

	snprintf(needle, sizeof needle, "\"%s\":", key);
	p = strstr(r->out, needle);
	ck_assert_msg(p != NULL, "no \"%s\" in the JSON:\n%s", key, r->out);
	v = strtod(p + strlen(needle), &end);
	ck_assert_msg(end != p + strlen(needle), "\"%s\" is not a number in "
	    "the JSON:\n%s", key, r->out);
	return (v);
}

/*
 * The output is one JSON object on one line, braces and quotes
 * balanced, with every field the manual documents.
 */
static void
assert_json_shape(const struct outcome *r)
{
	static const char *const keys[] = { "mode", "target", "connections",
	    "size", "depth", "threads", "idle", "seed", "duration_s",
	    "warmup_s", "measured_s", "interrupted", "messages",
	    "messages_per_s", "bytes", "mib_per_s", "latency_us", "samples",
	    "min", "mean", "p50", "p90", "p99", "p99_9", "max", "errors",
	    "total", "connect", "reset", "eof", "mismatch", "timeout", "io",
	    "cpu_s", "cpu_cores" };
	const char	*p;
	char		 needle[64];
	size_t		 i, len = strlen(r->out);
	int		 depth = 0, quotes = 0;

	ck_assert_msg(len > 2 && r->out[0] == '{' && r->out[len - 2] == '}' &&
	    r->out[len - 1] == '\n' && strchr(r->out, '\n') == r->out +
	    len - 1, "not one JSON object on one line:\n%s", r->out);
	for (p = r->out; *p != '\0'; p++) {
		if (*p == '"')
			quotes++;
		else if (*p == '{')
			depth++;
		else if (*p == '}')
			ck_assert_int_ge(--depth, 0);
	}
	ck_assert_int_eq(depth, 0);
	ck_assert_int_eq(quotes % 2, 0);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(needle, sizeof needle, "\"%s\":", keys[i]);
		ck_assert_msg(strstr(r->out, needle) != NULL,
		    "no \"%s\" in the JSON:\n%s", keys[i], r->out);
	}
}

/*
 * A clean run: exit 0, nothing on stderr, messages and bytes counted,
 * no error of any kind, and percentiles in order.
 */
static void
assert_clean(const struct outcome *r, const char *mode)
{
	char	 want[64];

	ck_assert_msg(r->status == 0, "exit %d; stderr:\n%s", r->status,
	    r->err);
	ck_assert_msg(r->err[0] == '\0', "stderr:\n%s", r->err);
	assert_json_shape(r);
	snprintf(want, sizeof want, "\"mode\":\"%s\"", mode);
	ck_assert_msg(strstr(r->out, want) != NULL, "not %s:\n%s", mode,
	    r->out);
	ck_assert_msg(json_num(r, "messages") > 0, "no messages:\n%s",
	    r->out);
	ck_assert(json_num(r, "messages_per_s") > 0);
	ck_assert(json_num(r, "bytes") > 0);
	ck_assert(json_num(r, "mib_per_s") > 0);
	ck_assert_msg(json_num(r, "total") == 0, "errors:\n%s", r->out);
	ck_assert(json_num(r, "samples") > 0);
	ck_assert(json_num(r, "p50") > 0);
	ck_assert(json_num(r, "p50") <= json_num(r, "p90"));
	ck_assert(json_num(r, "p90") <= json_num(r, "p99"));
	ck_assert(json_num(r, "p99") <= json_num(r, "p99_9"));
	ck_assert(json_num(r, "p99_9") <= json_num(r, "max"));
	ck_assert(json_num(r, "min") <= json_num(r, "p50"));
	ck_assert(json_num(r, "cpu_s") > 0);
}

/* "127.0.0.1:PORT" of a running evecho, for the command line. */
static const char *
target_of(const struct evecho *e)
{
	return (e->addrs[0]);
}

/* The run failed (exit 1) with exactly one error, of the kind named. */
static void
assert_one_error(const struct outcome *r, const char *kind)
{
	ck_assert_msg(r->status == 1, "exit %d; stderr:\n%s", r->status,
	    r->err);
	assert_json_shape(r);
	ck_assert_msg(json_num(r, kind) == 1, "no %s error:\n%s", kind,
	    r->out);
	ck_assert(json_num(r, "total") == 1);
}

/* The most connections evecho -v says it had open at once. */
static int
max_open(struct evecho *e)
{
	char	*log = evecho_log(e), *p;
	int	 n, most = 0;

	ck_assert_ptr_nonnull(log);
	for (p = log; (p = strstr(p, " connected (")) != NULL; p++) {
		n = atoi(p + strlen(" connected ("));
		if (n > most)
			most = n;
	}
	free(log);
	return (most);
}

/*
 * Start tests/corrupt-echo, doing fault (flip, reset or close) at the
 * byte at offset, and learn its port from its first line.  It dies with
 * this test process.
 */
static pid_t
corrupt_start(const char *offset, const char *fault, char *target,
    size_t len)
{
	const char	*argv[] = { env_or("CORRUPT_ECHO",
	    "tests/corrupt-echo"), offset, fault, NULL };
	char		 out[256], *p;
	long		 deadline = now_ms() + 10000;
	int		 outfd, errfd;
	pid_t		 pid;

	ck_assert_int_ne(outfd = harness_temp_fd(), -1);
	ck_assert_int_ne(errfd = harness_temp_fd(), -1);
	ck_assert_int_ne(pid = harness_spawn(argv, NULL, outfd, errfd), -1);
	for (;;) {
		read_fd(outfd, out, sizeof out);
		if ((p = strstr(out, "listening on ")) != NULL &&
		    strchr(p, '\n') != NULL)
			break;
		ck_assert_msg(now_ms() < deadline && waitpid(pid, NULL,
		    WNOHANG) == 0, "corrupt-echo did not start");
		sleep_ms(5);
	}
	snprintf(target, len, "%.*s", (int)strcspn(p + 13, "\n"), p + 13);
	close(outfd);
	close(errfd);
	return (pid);
}

/* Stop a child started here. */
static void
child_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * Run evecho-bench with args and then the address of a tests/corrupt-echo
 * doing fault at offset, and expect exactly one error, of the kind named.
 */
static void
run_faulty(const char *offset, const char *fault, const char *const *args,
    const char *kind, struct outcome *r)
{
	const char	*argv[MAX_WORDS + 1];
	char		 target[64];
	pid_t		 pid = corrupt_start(offset, fault, target,
	    sizeof target);
	int		 argc = 0;

	while (*args != NULL && argc < MAX_WORDS - 1)
		argv[argc++] = *args++;
	argv[argc++] = target;
	argv[argc] = NULL;
	run_bench(argv, r);
	child_stop(pid);
	assert_one_error(r, kind);
}

/*
 * A loopback port that refuses connections: bound, so nobody else gets
 * it during the test, but not listening.  Returns the socket.
 */
static int
refusing_port(char *target, size_t len)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	int			 fd;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(target, len, "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	return (fd);
}

/* pingpong, 4 connections, 2 messages in flight each, for 1 s. */
START_TEST(test_pingpong)
{
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "pingpong", "-c", "4", "-d", "2",
	    "--duration", "1", "--warmup", "0", "--json", NULL, NULL };
	double		 msgs;

	evecho_must_start(&e, loopback4);
	args[10] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	msgs = json_num(&r, "messages");
	ck_assert(json_num(&r, "connections") == 4);
	ck_assert(json_num(&r, "depth") == 2);
	ck_assert(json_num(&r, "size") == 64);
	ck_assert(json_num(&r, "duration_s") == 1.0);
	ck_assert(json_num(&r, "warmup_s") == 0.0);
	ck_assert(json_num(&r, "measured_s") == 1.0);
	ck_assert_msg(strstr(r.out, "\"interrupted\":false") != NULL, "%s",
	    r.out);
	/* A latency per message; bytes as whole messages, give or take
	 * those in flight at either edge of the window. */
	ck_assert(json_num(&r, "samples") == msgs);
	ck_assert(json_num(&r, "messages_per_s") == msgs);
	ck_assert(json_num(&r, "bytes") >= (msgs - 8) * 64 &&
	    json_num(&r, "bytes") <= (msgs + 8) * 64);
	ck_assert_msg(r.ms < 5000, "took %ld ms", r.ms);
	evecho_stop(&e);
}
END_TEST

/*
 * --server-pid: the server's CPU time in the window, per message, is in
 * the JSON; without it, server_cpu is null.
 */
START_TEST(test_server_pid)
{
	struct evecho	 e;
	struct outcome	 r;
	char		 pid[32];
	const char	*args[] = { "pingpong", "-c", "4", "--duration", "1",
	    "--warmup", "0", "--json", NULL, "--server-pid", pid, NULL };

	evecho_must_start(&e, loopback4);
	snprintf(pid, sizeof pid, "%ld", (long)e.pid);
	args[8] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	ck_assert(json_num(&r, "pid") == (double)e.pid);
	ck_assert_msg(json_num(&r, "user_s") + json_num(&r, "sys_s") > 0,
	    "the server spent no CPU time?\n%s", r.out);
	ck_assert(json_num(&r, "cores") > 0);
	ck_assert(json_num(&r, "us_per_message") > 0);

	args[9] = NULL;		/* the same run without --server-pid */
	run_bench(args, &r);
	ck_assert_msg(strstr(r.out, "\"server_cpu\":null}") != NULL, "%s",
	    r.out);
	evecho_stop(&e);
}
END_TEST

/* stream, 2 connections of 16 KiB messages: messages are bytes / size. */
START_TEST(test_stream)
{
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "stream", "-c", "2", "-s", "16k",
	    "--duration", "1", "--warmup", "0", "--json", NULL, NULL };
	double		 bytes;

	evecho_must_start(&e, loopback4);
	args[10] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "stream");
	bytes = json_num(&r, "bytes");
	ck_assert(bytes >= 16384);
	ck_assert(json_num(&r, "messages") == (double)((long long)bytes /
	    16384));
	ck_assert(json_num(&r, "size") == 16384);
	evecho_stop(&e);
}
END_TEST

/* churn: each message is a connection of its own, as evecho counts. */
START_TEST(test_churn)
{
	static const char *const verbose[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "churn", "-c", "4", "-s", "100",
	    "--duration", "1", "--warmup", "0", "--json", NULL, NULL };
	int		 conns;

	evecho_must_start(&e, verbose);
	args[10] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "churn");
	/* Every connection the server saw, bar the first test connection,
	 * echoed one message, so it saw at least as many as were counted. */
	conns = evecho_wait_log_count(&e, " connected (",
	    (int)json_num(&r, "messages") + 1, 10000);
	ck_assert_msg(conns >= json_num(&r, "messages") + 1, "evecho saw %d "
	    "connections for %.0f messages", conns, json_num(&r, "messages"));
	evecho_stop(&e);
}
END_TEST

/*
 * --proxy v1 and v2 against a proxy listener: clean runs, and the server
 * logs each connection through a header of that version naming the
 * client's own address; without --proxy the same listener fails the run.
 */
START_TEST(test_proxy)
{
	static const char *const proxied[] = { "-v", "-l",
	    "127.0.0.1:0,proxy", NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "pingpong", "-c", "2", "--duration", "0.5",
	    "--warmup", "0", "--json", "--proxy", NULL, NULL, NULL };
	static const char *const versions[] = { "v1", "v2" };
	char		 want[64], peer[64], via[64], *log, *line;
	int		 v;

	evecho_must_start(&e, proxied);
	for (v = 0; v < 2; v++) {
		args[9] = versions[v];
		args[10] = target_of(&e);
		run_bench(args, &r);
		assert_clean(&r, "pingpong");
		snprintf(want, sizeof want, ", PROXY v%d (", v + 1);
		ck_assert_int_eq(evecho_wait_log_count(&e, want, 2, 10000), 2);
	}
	/* The header names the client's own end: the peer is the "via". */
	ck_assert_ptr_nonnull(log = evecho_log(&e));
	ck_assert_ptr_nonnull(line = strstr(log, ", PROXY v2 ("));
	while (line > log && line[-1] != '\n')
		line--;
	ck_assert_int_eq(sscanf(line, "%*s %63s connected via %63[^,]", peer,
	    via), 2);
	ck_assert_str_eq(peer, via);
	free(log);
	args[8] = target_of(&e);	/* no --proxy */
	args[9] = NULL;
	run_bench(args, &r);
	ck_assert_msg(r.status == 1, "exit %d without --proxy; stderr:\n%s",
	    r.status, r.err);
	evecho_stop(&e);

	args[8] = "--proxy";
	args[9] = "v3";
	args[10] = "127.0.0.1:7";
	run_bench(args, &r);
	ck_assert_int_eq(r.status, 64);
	ck_assert_msg(strstr(r.err, "evecho-bench: invalid value 'v3' for "
	    "--proxy: expected v1 or v2") != NULL, "stderr:\n%s", r.err);
}
END_TEST

/* --idle 20: the server holds 22 connections at once, all stay up. */
START_TEST(test_idle)
{
	static const char *const verbose[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "-c", "2", "--idle", "20", "--duration",
	    "0.5", "--warmup", "0", "--json", NULL, NULL };

	evecho_must_start(&e, verbose);
	args[9] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	ck_assert(json_num(&r, "idle") == 20);
	ck_assert_int_ge(max_open(&e), 22);
	evecho_stop(&e);
}
END_TEST

/*
 * An idle connection the server closes is an error: evecho with a 0.3 s
 * idle timeout closes all three; the busy one survives.
 */
START_TEST(test_idle_closed)
{
	static const char *const impatient[] = { "-t", "0.3", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "-c", "1", "--idle", "3", "--duration",
	    "1", "--warmup", "0", "--json", NULL, NULL };

	evecho_must_start(&e, impatient);
	args[9] = target_of(&e);
	run_bench(args, &r);
	ck_assert_msg(r.status == 1, "exit %d; stderr:\n%s", r.status, r.err);
	assert_json_shape(&r);
	ck_assert(json_num(&r, "eof") == 3);
	ck_assert(json_num(&r, "total") == 3);
	ck_assert(json_num(&r, "messages") > 0);
	ck_assert_msg(strstr(r.err, "evecho-bench: 3 errors: 3 eof\n") !=
	    NULL && strstr(r.err, "evecho-bench: first eof error: idle "
	    "connection ") != NULL, "stderr:\n%s", r.err);
	evecho_stop(&e);
}
END_TEST

/* Two threads share 4 connections and 2 idle ones. */
START_TEST(test_threads)
{
	static const char *const verbose[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "--threads", "2", "-c", "4", "--idle",
	    "2", "-d", "3", "--duration", "1", "--warmup", "0", "--json",
	    NULL, NULL };

	evecho_must_start(&e, verbose);
	args[13] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	ck_assert(json_num(&r, "threads") == 2);
	ck_assert(json_num(&r, "samples") == json_num(&r, "messages"));
	ck_assert_int_ge(max_open(&e), 6);
	evecho_stop(&e);
}
END_TEST

/* The human table, with a warm-up: parameters, results, no errors. */
START_TEST(test_table)
{
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "-c", "2", "--duration", "0.3",
	    "--warmup", "0.3", NULL, NULL };
	char		 want[128];

	evecho_must_start(&e, loopback4);
	args[6] = target_of(&e);
	run_bench(args, &r);
	ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
	snprintf(want, sizeof want, "evecho-bench pingpong against %s\n",
	    target_of(&e));
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "table:\n%s",
	    r.out);
	ck_assert_msg(strstr(r.out, "  time          0.300 s measured after "
	    "0.300 s of warm-up\n") != NULL && strstr(r.out, "  errors        "
	    "none\n") != NULL && strstr(r.out, "  latency (us)  p50 ") !=
	    NULL, "table:\n%s", r.out);
	evecho_stop(&e);
}
END_TEST

/*
 * corrupt-echo flips byte 100000 of a single stream connection: caught
 * at that byte, counted once as a mismatch, exit status 1.
 */
START_TEST(test_corrupt_stream)
{
	struct outcome	 r;
	const char	*args[] = { "stream", "-c", "1", "-s", "4k",
	    "--duration", "0.5", "--warmup", "0", "--json", NULL };

	run_faulty("100000", "flip", args, "mismatch", &r);
	ck_assert_msg(strstr(r.err, "evecho-bench: 1 error: 1 mismatch\n") !=
	    NULL && strstr(r.err, "evecho-bench: first mismatch error: "
	    "connection 0: echo byte 100000 is 0x") != NULL, "stderr:\n%s",
	    r.err);
}
END_TEST

/*
 * pingpong against corrupt-echo: one connection is caught and dropped,
 * the other goes on; exactly one mismatch.
 */
START_TEST(test_corrupt_pingpong)
{
	struct outcome	 r;
	const char	*args[] = { "-c", "2", "--duration", "0.5",
	    "--warmup", "0", "--json", NULL };

	run_faulty("1000", "flip", args, "mismatch", &r);
	ck_assert(json_num(&r, "messages") > 0);
}
END_TEST

/* churn against corrupt-echo: the bad connection is counted, the loop
 * moves on to new connections. */
START_TEST(test_corrupt_churn)
{
	struct outcome	 r;
	const char	*args[] = { "churn", "-c", "2", "--duration",
	    "0.5", "--warmup", "0", "--json", NULL };

	run_faulty("640", "flip", args, "mismatch", &r);
	ck_assert(json_num(&r, "messages") > 20);
}
END_TEST

/*
 * A server that resets the only connection after 10 messages: a reset
 * error, and the run ends at once, with the time it measured.
 */
START_TEST(test_reset)
{
	struct outcome	 r;
	const char	*args[] = { "-c", "1", "--duration", "5",
	    "--warmup", "0", "--json", NULL };

	run_faulty("640", "reset", args, "reset", &r);
	ck_assert(json_num(&r, "messages") == 10);
	ck_assert(json_num(&r, "measured_s") < 4);
	ck_assert_msg(strstr(r.err, "evecho-bench: first reset error: "
	    "connection 0: ") != NULL, "stderr:\n%s", r.err);
	ck_assert_msg(r.ms < 4000, "took %ld ms", r.ms);
}
END_TEST

/* A server that closes with echo outstanding: an eof error. */
START_TEST(test_early_close)
{
	struct outcome	 r;
	const char	*args[] = { "-c", "1", "--duration", "5",
	    "--warmup", "0", "--json", NULL };

	run_faulty("650", "close", args, "eof", &r);
	ck_assert(json_num(&r, "messages") == 10);
	ck_assert_msg(strstr(r.err, "evecho-bench: first eof error: "
	    "connection 0: closed by the server with 54 bytes of echo "
	    "outstanding\n") != NULL, "stderr:\n%s", r.err);
}
END_TEST

/*
 * A server that accepts nothing and echoes nothing (a socket that
 * listens, never accepts): the run still ends on time, warm-up, window
 * and 2 s of grace, with the missing echo counted as a timeout.
 */
START_TEST(test_stalled_server)
{
	struct outcome		 r;
	char			 target[64];
	const char		*args[] = { "-c", "1", "--duration", "0.3",
	    "--warmup", "0", "--json", target, NULL };
	int			 fd, port;

	ck_assert_int_ne(fd = tcp_listen_loopback(16, &port), -1);
	snprintf(target, sizeof target, "127.0.0.1:%d", port);
	run_bench(args, &r);
	ck_assert_msg(r.status == 1, "exit %d; stderr:\n%s", r.status, r.err);
	assert_json_shape(&r);
	ck_assert(json_num(&r, "timeout") == 1);
	ck_assert(json_num(&r, "messages") == 0);
	ck_assert_msg(strstr(r.out, "\"p50\":null") != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.err, "connection 0: 64 bytes of echo still "
	    "missing 2 s after the run") != NULL, "stderr:\n%s", r.err);
	if (getenv("EVECHO_BENCH_WRAPPER") == NULL)
		ck_assert_msg(r.ms >= 2200 && r.ms < 4000, "took %ld ms",
		    r.ms);
	close(fd);
}
END_TEST

/*
 * SIGTERM 1.5 s into a 30 s run: the window ends there, the report covers
 * what was measured and says so, and the exit status is 0.
 */
START_TEST(test_interrupt)
{
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "-c", "2", "--duration", "30", "--warmup",
	    "0.5", "--json", NULL, NULL };

	evecho_must_start(&e, loopback4);
	args[7] = target_of(&e);
	run_bench_term(args, &r, 1500);
	assert_clean(&r, "pingpong");
	ck_assert_msg(strstr(r.out, "\"interrupted\":true") != NULL, "%s",
	    r.out);
	ck_assert(json_num(&r, "duration_s") == 30);
	ck_assert_msg(json_num(&r, "measured_s") > 0.2 &&
	    json_num(&r, "measured_s") < 10, "%s", r.out);
	ck_assert_msg(r.ms < 15000, "took %ld ms", r.ms);
	evecho_stop(&e);
}
END_TEST

/* Nothing listens: exit 69, naming the address, before any load. */
START_TEST(test_server_down)
{
	struct outcome	 r;
	char		 target[64], want[160];
	const char	*args[] = { "--json", target, NULL };
	int		 fd = refusing_port(target, sizeof target);

	run_bench(args, &r);
	ck_assert_msg(r.status == 69, "exit %d; stderr:\n%s", r.status,
	    r.err);
	snprintf(want, sizeof want, "evecho-bench: cannot connect to %s: "
	    "Connection refused\n", target);
	ck_assert_str_eq(r.err, want);
	ck_assert_str_eq(r.out, "");
	close(fd);
}
END_TEST

/* Bad command lines: exit 64, the problem, then the pointer to --help. */
START_TEST(test_bad_flags)
{
	static const struct {
		const char	*args[6];
		const char	*msg;
	} cases[] = {
		{ { "-c", "0", "7", NULL }, "invalid value '0' for "
		    "--connections: expected a whole number from 1 to "
		    "1000000" },
		{ { "--size", "big", "7", NULL }, "invalid value 'big' for "
		    "--size: expected bytes from 1 to 16M, with an optional k "
		    "or M suffix" },
		{ { "--duration", "0", "7", NULL }, "invalid value '0' for "
		    "--duration: expected seconds from 0.001 to 86400, such "
		    "as 10 or 0.5" },
		{ { "--frobnicate", "7", NULL }, "unknown option "
		    "'--frobnicate'" },
		{ { "churn", "-d", "4", "7", NULL }, "--depth applies to "
		    "pingpong only, not to churn" },
		{ { "flood", "7", NULL }, "unknown mode 'flood': expected "
		    "pingpong, stream or churn" },
		{ { "--json", NULL }, "missing the server's [HOST:]PORT" },
		{ { "::1:7", NULL }, "server address '::1:7' has several ':'; "
		    "write IPv6 addresses in brackets, as in [::1]:7777" },
		{ { "stream", "--udp", "7", NULL }, "--udp runs pingpong only, "
		    "without --idle: a datagram service has no stream, no "
		    "connection to churn and none to hold idle" },
		{ { "--udp", "-s", "4", "7", NULL }, "--size 4 does not fit a "
		    "datagram of --udp: expected 8 to 65507 bytes" },
		{ { "--udp", "-s", "64k", "7", NULL }, "--size 65536 does not "
		    "fit a datagram of --udp: expected 8 to 65507 bytes" },
	};
	struct outcome	 r;
	char		 want[512];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_bench(cases[i].args, &r);
		ck_assert_msg(r.status == 64, "case %zu: exit %d", i,
		    r.status);
		snprintf(want, sizeof want, "evecho-bench: %s\nTry "
		    "'evecho-bench --help' for more information.\n",
		    cases[i].msg);
		ck_assert_str_eq(r.err, want);
		ck_assert_str_eq(r.out, "");
	}
}
END_TEST

/* --help names every long flag; --version the program and libevent. */
START_TEST(test_help_version)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const version[] = { "-V", NULL };
	static const char *const flags[] = { "--connections", "--size",
	    "--depth", "--duration", "--warmup", "--threads", "--idle",
	    "--seed", "--json", "--help", "--version", "pingpong", "stream",
	    "churn", "(default 1)" };
	static const char want[] = "evecho-bench " PACKAGE_VERSION
	    " (libevent ";
	struct outcome	 r;
	size_t		 i;

	run_bench(help, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, "usage: evecho-bench ", 20) == 0, "%s",
	    r.out);
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
		ck_assert_msg(strstr(r.out, flags[i]) != NULL, "--help lacks "
		    "%s", flags[i]);
	run_bench(version, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
}
END_TEST

/* [::1]:PORT, where the machine has IPv6 loopback. */
START_TEST(test_ipv6)
{
	static const char *const args6[] = { "-l", "[::1]:0", NULL };
	struct evecho	 e;
	struct outcome	 r;
	char		 want[96];
	const char	*args[] = { "-c", "2", "--duration", "0.3",
	    "--warmup", "0", "--json", NULL, NULL };

	if (!ipv6_loopback_available()) {
		fprintf(stderr, "test_ipv6: no IPv6 loopback here, skipped\n");
		return;
	}
	evecho_must_start(&e, args6);
	args[7] = target_of(&e);
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	snprintf(want, sizeof want, "\"target\":\"%s\"", target_of(&e));
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	evecho_stop(&e);
}
END_TEST

/*
 * unix:PATH, as evecho's -l writes it: the load goes over a Unix-domain
 * socket, and evecho counts it so; a path nobody listens on is exit 69.
 */
START_TEST(test_unix)
{
	struct evecho	 e;
	struct outcome	 r;
	char		 path[96], where[112], want[192];
	const char	*listen[] = { "-l", where, NULL };
	const char	*args[] = { "stream", "-c", "2", "--duration", "0.3",
	    "--warmup", "0", "--json", where, NULL };

	snprintf(path, sizeof path, "/tmp/evecho-check-bench-%ld.sock",
	    (long)getpid());
	snprintf(where, sizeof where, "unix:%s", path);
	(void)unlink(path);
	evecho_must_start(&e, listen);
	run_bench(args, &r);
	assert_clean(&r, "stream");
	snprintf(want, sizeof want, "\"target\":\"%s\"", where);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "; 3 accepted over Unix-domain "
	    "sockets", 10000), 0);	/* the probe, and the two */
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, 20000);
	evecho_stop(&e);

	/* Gone with evecho: nobody there. */
	run_bench(args, &r);
	ck_assert_msg(r.status == 69, "exit %d; stderr:\n%s", r.status,
	    r.err);
	snprintf(want, sizeof want, "evecho-bench: cannot connect to %s: No "
	    "such file or directory\n", where);
	ck_assert_str_eq(r.err, want);
}
END_TEST

/*
 * --proxy over unix:PATH: version 1 can only say UNKNOWN (a local
 * header), version 2 names the socket paths; both runs are clean.
 */
START_TEST(test_unix_proxy)
{
	struct evecho	 e;
	struct outcome	 r;
	char		 path[96], where[112], want[192];
	const char	*listen[] = { "-v", "-l", where, NULL };
	const char	*args[] = { "-c", "2", "--duration", "0.3", "--warmup",
	    "0", "--json", "--proxy", NULL, NULL, NULL };

	snprintf(path, sizeof path, "/tmp/evecho-check-bench-p%ld.sock",
	    (long)getpid());
	snprintf(where, sizeof where, "unix:%s,proxy", path);
	(void)unlink(path);
	evecho_must_start(&e, listen);
	snprintf(where, sizeof where, "unix:%s", path);
	args[9] = where;
	args[8] = "v1";
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	ck_assert_int_eq(evecho_wait_log_count(&e, ", PROXY v1 LOCAL (", 2,
	    10000), 2);
	args[8] = "v2";
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	snprintf(want, sizeof want, "unix: connected via %s pid ", where);
	ck_assert_int_eq(evecho_wait_log_count(&e, want, 2, 10000), 2);
	ck_assert_int_eq(evecho_wait_log_count(&e, ", PROXY v2 (", 2, 10000),
	    2);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, 20000);
	evecho_stop(&e);
}
END_TEST

/* The count of "key" inside the "datagrams" object of the JSON. */
static double
json_dgram(const struct outcome *r, const char *key)
{
	const char	*p = strstr(r->out, "\"datagrams\":{");
	char		 needle[64];

	ck_assert_msg(p != NULL, "no datagrams object:\n%s", r->out);
	snprintf(needle, sizeof needle, "\"%s\":", key);
	ck_assert_ptr_nonnull(p = strstr(p, needle));
	return (strtod(p + strlen(needle), NULL));
}

/*
 * --udp against evecho's udp: listener: every datagram checked, a
 * latency per message, the bytes whole datagrams, and none lost on the
 * loopback (under valgrind, a slow echo may count as lost: then only
 * the rest is checked).
 */
START_TEST(test_udp)
{
	static const char *const udp4[] = { "-l", "udp:127.0.0.1:0",
	    "--udp-rate", "0", NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "--udp", "-c", "4", "-d", "4", "-s", "100",
	    "--duration", "1", "--warmup", "0", "--json", NULL, NULL };
	double		 msgs;

	evecho_must_start(&e, udp4);
	args[12] = target_of(&e) + strlen("udp:");
	run_bench(args, &r);
	assert_clean(&r, "pingpong");
	ck_assert_msg(strstr(r.out, "\"transport\":\"udp\"") != NULL, "%s",
	    r.out);
	msgs = json_num(&r, "messages");
	ck_assert(json_num(&r, "samples") == msgs);
	ck_assert(json_num(&r, "bytes") == msgs * 100);
	ck_assert_msg(json_dgram(&r, "sent") >= msgs - 16 &&
	    json_dgram(&r, "sent") <= msgs + 16, "%s", r.out);
	if (!harness_wrapped("test_udp (loss)"))
		ck_assert_msg(json_dgram(&r, "lost") == 0, "%s", r.out);
	ck_assert_msg(r.ms < 5000, "took %ld ms", r.ms);
	evecho_stop(&e);
}
END_TEST

/*
 * Loss is not corruption: evecho at --udp-rate 20 drops most datagrams;
 * they are counted lost, the run has no error and exits 0.  Against -U,
 * the echoes differ: mismatch errors, exit 1.
 */
START_TEST(test_udp_loss_and_corruption)
{
	static const char *const limited[] = { "-l", "udp:127.0.0.1:0",
	    "--udp-rate", "20", NULL };
	static const char *const upper[] = { "-l", "udp:127.0.0.1:0", "-U",
	    NULL };
	struct evecho	 e;
	struct outcome	 r;
	const char	*args[] = { "--udp", "-c", "2", "-d", "4",
	    "--duration", "1.5", "--warmup", "0", "--json", NULL, NULL };

	evecho_must_start(&e, limited);
	args[10] = target_of(&e) + strlen("udp:");
	run_bench(args, &r);
	ck_assert_msg(r.status == 0, "exit %d; stderr:\n%s", r.status, r.err);
	ck_assert_msg(json_num(&r, "total") == 0, "%s", r.out);
	ck_assert_msg(json_dgram(&r, "lost") > 0, "%s", r.out);
	ck_assert_msg(json_num(&r, "messages") > 10 &&
	    json_num(&r, "messages") < 60, "%s", r.out);
	evecho_stop(&e);

	evecho_must_start(&e, upper);
	args[10] = target_of(&e) + strlen("udp:");
	run_bench(args, &r);
	ck_assert_msg(r.status == 1, "exit %d; stderr:\n%s", r.status, r.err);
	ck_assert_msg(json_num(&r, "mismatch") == 2, "%s", r.out);
	ck_assert_msg(strstr(r.err, "first mismatch error: connection ") !=
	    NULL && strstr(r.err, " of datagram ") != NULL, "%s", r.err);
	evecho_stop(&e);
}
END_TEST

/*
 * --tls: pingpong and churn (a handshake per message) against a ",tls"
 * evecho, every byte checked; --tls verifies, so a self-signed
 * certificate is a connect error; the two flags do not go together.
 */
START_TEST(test_tls)
{
#ifdef HAVE_OPENSSL
	char		 dir[] = "/tmp/evecho-bench-tls-XXXXXX";
	char		 cmd[512], cert[64], key[64], where[64];
	const char	*server[] = { "-v", "-l", "127.0.0.1:0,tls",
	    "--tls-cert", cert, "--tls-key", key, NULL };
	const char	*pp[] = { "pingpong", "-c", "2", "--duration", "1",
	    "--warmup", "0", "--json", "--tls-no-verify", NULL, NULL };
	const char	*churn[] = { "churn", "-c", "2", "--duration", "1",
	    "--warmup", "0", "--json", "--tls-no-verify", NULL, NULL };
	const char	*verify[] = { "-c", "1", "--duration", "1",
	    "--warmup", "0", "--tls", NULL, NULL };
	const char	*both[] = { "--tls", "--tls-no-verify", "7", NULL };
	struct evecho	 e;
	struct outcome	 r;
	int		 conns;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout %s -out %s -days 2 "
	    "-subj /CN=localhost >/dev/null 2>&1", key, cert);
	ck_assert_int_eq(system(cmd), 0);
	evecho_must_start(&e, server);

	pp[9] = target_of(&e);
	run_bench(pp, &r);
	assert_clean(&r, "pingpong");
	ck_assert_int_ge(evecho_wait_log_count(&e, "connected, TLSv1.3 (",
	    2, 10000), 2);

	churn[9] = target_of(&e);
	run_bench(churn, &r);
	assert_clean(&r, "churn");
	conns = evecho_wait_log_count(&e, "connected, TLSv1.3 (",
	    (int)json_num(&r, "messages") + 2, 10000);
	ck_assert_msg(conns >= json_num(&r, "messages") + 2, "evecho saw %d "
	    "TLS connections for %.0f messages", conns,
	    json_num(&r, "messages"));
	ck_assert_int_eq(evecho_log_count(&e, "warning: "), 1);	/* root */

	verify[7] = target_of(&e);
	run_bench(verify, &r);
	ck_assert_msg(r.status == 1, "exit %d; stderr:\n%s", r.status,
	    r.err);
	ck_assert_msg(strstr(r.err, "TLS handshake with ") != NULL &&
	    strstr(r.err, "certificate not trusted: self-signed "
	    "certificate") != NULL, "stderr:\n%s", r.err);
	evecho_stop(&e);

	/* Over a unix: target, no name to send or check: clean, and each
	   connection ends as the client's, not in a failed close_notify. */
	snprintf(where, sizeof where, "unix:%s/s,tls", dir);
	server[2] = where;
	evecho_must_start(&e, server);
	where[strlen(where) - 4] = '\0';	/* the target, without ",tls" */
	pp[9] = where;
	run_bench(pp, &r);
	assert_clean(&r, "pingpong");
	ck_assert_int_eq(evecho_wait_log_count(&e, " closed (closed by client)",
	    2, 10000), 2);
	ck_assert_int_eq(evecho_log_count(&e, "close_notify"), 0);
	evecho_stop(&e);

	run_bench(both, &r);
	ck_assert_int_eq(r.status, 64);
	ck_assert_msg(strstr(r.err, "--tls and --tls-no-verify cannot be "
	    "used together") != NULL, "stderr:\n%s", r.err);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
#endif
}
END_TEST

static Suite *
bench_suite(void)
{
	Suite	*s = suite_create("bench");
	TCase	*tc = tcase_create("bench");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_pingpong);
	harness_add_test(tc, test_server_pid);
	harness_add_test(tc, test_stream);
	harness_add_test(tc, test_churn);
	harness_add_test(tc, test_proxy);
	harness_add_test(tc, test_idle);
	harness_add_test(tc, test_idle_closed);
	harness_add_test(tc, test_threads);
	harness_add_test(tc, test_table);
	harness_add_test(tc, test_corrupt_stream);
	harness_add_test(tc, test_corrupt_pingpong);
	harness_add_test(tc, test_corrupt_churn);
	harness_add_test(tc, test_reset);
	harness_add_test(tc, test_early_close);
	harness_add_test(tc, test_stalled_server);
	harness_add_test(tc, test_interrupt);
	harness_add_test(tc, test_server_down);
	harness_add_test(tc, test_bad_flags);
	harness_add_test(tc, test_help_version);
	harness_add_test(tc, test_ipv6);
	harness_add_test(tc, test_unix);
	harness_add_test(tc, test_unix_proxy);
	harness_add_test(tc, test_udp);
	harness_add_test(tc, test_udp_loss_and_corruption);
	harness_add_test(tc, test_tls);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(bench_suite()));
}

/*
 * check_lifecycle.c: the server as a process: start-up errors and their
 * exit statuses, --help and --version, logging levels, and the shutdown
 * on SIGTERM/SIGINT with its drain.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	30000
#define HINT		"Try 'evecho --help' for more information.\n"

/* Wait until evecho's -vv lines say it has read len bytes in all. */
static void
wait_read_all(struct evecho *e, size_t len, int timeout_ms)
{
	char	 all_in[64];

	snprintf(all_in, sizeof all_in, ", %zu B in,", len);
	ck_assert_msg(evecho_wait_log(e, all_in, timeout_ms) == 0,
	    "evecho never read all %zu bytes", len);
}

/*
 * Read fd to EOF within timeout_ms, checking that what comes back is the
 * start of data (len bytes at most); returns how much came back.
 */
static size_t
recv_echo_to_eof(int fd, const unsigned char *data, size_t len,
    int timeout_ms)
{
	unsigned char	 buf[65536];
	size_t		 got = 0;
	long		 deadline = now_ms() + timeout_ms;
	ssize_t		 n;

	for (;;) {
		ck_assert_msg(now_ms() < deadline, "no EOF after %zu bytes",
		    got);
		if (!wait_readable(fd, 100))
			continue;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == 0)
			return (got);
		if (n == -1 && errno == EAGAIN)
			continue;
		ck_assert_msg(n > 0, "after %zu bytes back: %s, not a clean "
		    "EOF", got, strerror(errno));
		ck_assert_msg(got + (size_t)n <= len &&
		    memcmp(buf, data + got, (size_t)n) == 0,
		    "wrong bytes at offset %zu", got);
		got += (size_t)n;
	}
}

/*
 * A client with a 4 KiB receive buffer that has sent 8 MiB, or 2 MiB more
 * than the kernel can hold of its echo, without reading, so that evecho's
 * queue (1 MiB by default) fills with echo that waits for good.
 */
static int
stalled_client(struct evecho *e, uint32_t seed)
{
	unsigned char	*data;
	size_t		 len;
	int		 fd;

	len = kernel_echo_room(4096) + 2 * 1024 * 1024;
	if (len < 8 * 1024 * 1024)
		len = 8 * 1024 * 1024;
	data = pattern_new(len, seed);
	fd = tcp_connect_buffers(e->addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	send_all(fd, data, len, 500);	/* stalls: that is the point */
	free(data);
	return (fd);
}

/*
 * Start evecho with -q, which logs nothing to learn its port from, and
 * find the port in /proc instead.
 */
static int
quiet_port(struct evecho *e, const char *const *args)
{
	long	 deadline;
	int	 port;

	ck_assert_int_eq(evecho_spawn(e, args, NULL), 0);
	deadline = now_ms() + HARNESS_START_MS;
	while ((port = evecho_listen_port(e)) == 0 && now_ms() < deadline)
		sleep_ms(10);
	ck_assert_msg(port != 0, "cannot find evecho's listening port");
	return (port);
}

/* The number after `after` in the log, or -1 if it is not there. */
static long long
logged_number(struct evecho *e, const char *after)
{
	char		*log, *p;
	long long	 n = -1;

	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	if ((p = strstr(log, after)) != NULL && sscanf(p + strlen(after),
	    "%lld", &n) != 1)
		n = -1;
	free(log);
	return (n);
}

/*
 * Bad command lines: one line naming the problem, the hint, exit 64, and
 * nothing on stdout.
 */
static const struct {
	const char	*args[6];
	const char	*message;
} bad_flags[] = {
	{ { "--bogus" }, "unknown option '--bogus'" },
	{ { "-x" }, "unknown option '-x'" },
	{ { "-l" }, "option '-l' needs a value" },
	{ { "--listen" }, "option '--listen' needs a value" },
	{ { "--version=2" }, "option '--version' takes no value" },
	{ { "--max" }, "option '--max' is ambiguous: it could be "
	    "--max-conns, --max-queue, --max-memory, --max-conns-per-host" },
	{ { "extra" }, "unexpected argument 'extra': evecho takes options "
	    "only" },
	{ { "-q", "-v" }, "--quiet and --verbose cannot be used together" },
	{ { "-b", "0" }, "invalid value '0' for --backlog: expected a whole "
	    "number from 1 to 65535" },
	{ { "--backlog", "x" }, "invalid value 'x' for --backlog: expected a "
	    "whole number from 1 to 65535" },
	{ { "-m", "0" }, "invalid value '0' for --max-conns: expected a whole "
	    "number from 1 to 10000000" },
	{ { "--max-conns", "-5" }, "invalid value '-5' for --max-conns: "
	    "expected a whole number from 1 to 10000000" },
	{ { "--max-queue", "2G" }, "invalid value '2G' for --max-queue: "
	    "expected bytes from 1 to 1G, with an optional k, M or G suffix" },
	{ { "--max-queue", "1x" }, "invalid value '1x' for --max-queue: "
	    "expected bytes from 1 to 1G, with an optional k, M or G suffix" },
	{ { "-t", "abc" }, "invalid value 'abc' for --idle-timeout: expected "
	    "seconds from 0 to 86400, such as 30 or 0.5" },
	{ { "--idle-timeout", "86401" }, "invalid value '86401' for "
	    "--idle-timeout: expected seconds from 0 to 86400, such as 30 or "
	    "0.5" },
	{ { "--drain-timeout", "1.0001" }, "invalid value '1.0001' for "
	    "--drain-timeout: expected seconds from 0 to 86400, such as 5 or "
	    "0.5" },
	{ { "-B", "kqueue" }, "unknown backend 'kqueue' for --backend: "
	    "expected epoll, poll or select" },
	{ { "--threads", "0" }, "invalid value '0' for --threads: expected a "
	    "whole number from 1 to 256" },
	{ { "--threads", "257" }, "invalid value '257' for --threads: "
	    "expected a whole number from 1 to 256" },
	{ { "-l", "8080" }, "listen address '8080' is only a number; write "
	    "':8080' for every interface or '127.0.0.1:8080' for loopback" },
	{ { "-l", "::1" }, "listen address '::1' has several ':'; write IPv6 "
	    "addresses in brackets, as in [::1]:7777" },
	{ { "-l", "127.0.0.1:65536" }, "listen address '127.0.0.1:65536': "
	    "port '65536' is not a number from 0 to 65535" },
	{ { "-l", "[::1" }, "listen address '[::1' has '[' without ']'" },
	{ { "-l", "[nope]:1" }, "listen address '[nope]:1': 'nope' is not an "
	    "IPv6 address" },
	{ { "-l", "bad host:1" }, "listen address 'bad host:1': 'bad host' is "
	    "not a valid host name or address" },
	/* What the user typed is quoted back on one line, escapes shown. */
	{ { "-l", "a\nb" }, "listen address 'a\\nb': 'a\\nb' is not a valid "
	    "host name or address" },
	{ { "-B", "\033[31mred" }, "unknown backend '\\x1b[31mred' for "
	    "--backend: expected epoll, poll or select" },
	{ { "--max-memory", "512k" }, "invalid value '512k' for --max-memory: "
	    "expected bytes from 1M to 1024G, with an optional k, M or G "
	    "suffix" },
	{ { "--max-memory", "1M", "--threads", "4" }, "--max-memory 1M is too "
	    "small for 4 threads: give at least 2M, or fewer --threads" },
	{ { "--max-conns-per-host", "x" }, "invalid value 'x' for "
	    "--max-conns-per-host: expected a whole number from 0 (no cap) to "
	    "10000000" },
};

START_TEST(test_bad_flags)
{
	char		 out[256], err[1024], want[1024];
	int		 status;

	ck_assert_int_eq(run_evecho(bad_flags[_i].args, NULL, &status, out,
	    sizeof out, err, sizeof err), 0);
	snprintf(want, sizeof want, "evecho: %s\n" HINT, bad_flags[_i].message);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(out, "");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 64);
}
END_TEST

/* --help lists every option on stdout and exits 0; so does -h. */
START_TEST(test_help)
{
	static const char *const longs[] = { "--listen", "--backlog",
	    "--backend", "--uppercase", "--idle-timeout", "--max-conns",
	    "--max-queue", "--max-memory", "--max-conns-per-host",
	    "--drain-timeout", "--threads", "--verbose", "--quiet", "--help",
	    "--version", NULL };
	static const char *const args[] = { "--help", NULL };
	static const char *const short_args[] = { "-h", NULL };
	char		 out[8192], err[256], out2[8192];
	int		 status, i;

	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(err, "");
	ck_assert(strncmp(out, "usage: evecho ", 14) == 0);
	for (i = 0; longs[i] != NULL; i++)
		ck_assert_msg(strstr(out, longs[i]) != NULL,
		    "--help does not mention %s", longs[i]);
	ck_assert_int_eq(run_evecho(short_args, NULL, &status, out2,
	    sizeof out2, err, sizeof err), 0);
	ck_assert_str_eq(out, out2);
}
END_TEST

START_TEST(test_version)
{
	static const char *const args[] = { "--version", NULL };
	char		 out[256], err[256], want[64];
	int		 status;

	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(want, sizeof want, "evecho %s (libevent ", PACKAGE_VERSION);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "version '%s'",
	    out);
}
END_TEST

/* An address in use: one line naming it and the reason, exit 71. */
START_TEST(test_address_in_use)
{
	char		 addr[64], out[256], err[1024], want[256];
	const char	*args[] = { "-l", addr, NULL };
	int		 fd, port, status;

	ck_assert_int_ne(fd = tcp_listen_loopback(1, &port), -1);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	snprintf(want, sizeof want, "evecho: cannot listen on 127.0.0.1:%d: "
	    "Address already in use\n", port);
	ck_assert_str_eq(err, want);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 71);
	close(fd);
}
END_TEST

/* A host that does not resolve: exit 68 (EX_NOHOST). */
START_TEST(test_unknown_host)
{
	static const char *const args[] = { "-l", "no-such-host.invalid:0",
	    NULL };
	static const char want[] = "evecho: cannot resolve "
	    "'no-such-host.invalid': ";
	char		 out[256], err[1024];
	int		 status;

	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "stderr: %s",
	    err);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
	    "more than one line: %s", err);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 68);
}
END_TEST

/* A privileged port without privilege: exit 77 (EX_NOPERM). */
START_TEST(test_permission_denied)
{
	static const char *const args[] = { "-l", "127.0.0.1:1", NULL };
	struct spawn_opts opts = { .as_nobody = 1 };
	char		 out[256], err[1024];
	int		 status;
	FILE		*fp;
	int		 start_port = 1024;

	/* Some containers let anyone bind any port. */
	if ((fp = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    "r")) != NULL) {
		if (fscanf(fp, "%d", &start_port) != 1)
			start_port = 1024;
		fclose(fp);
	}
	if (start_port <= 1) {
		fprintf(stderr, "test_permission_denied: every port is "
		    "unprivileged here, skipped\n");
		return;
	}
	ck_assert_int_eq(run_evecho(args, &opts, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert_str_eq(err, "evecho: cannot listen on 127.0.0.1:1: "
	    "Permission denied\n");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 77);
}
END_TEST

/*
 * SIGTERM with echo still queued: the listener closes at once (new
 * clients are refused), the client still receives every byte evecho had
 * read, then EOF, and evecho exits 0.  The client sends 1 MiB more than
 * the kernel can hold of its echo, and evecho reads it all (--max-queue
 * 1G), so at least that much waits in evecho's queue.
 */
START_TEST(test_sigterm_drains)
{
	static const char *const args[] = { "-vv", "--max-queue", "1G", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	*data, *back;
	size_t		 len;
	int		 fd, late;

	len = kernel_echo_room(4096) + 1024 * 1024;
	data = pattern_new(len, 30);
	back = malloc(len);
	ck_assert_ptr_nonnull(back);
	evecho_must_start(&e, args);
	/* A tiny receive buffer: most of the echo waits in evecho. */
	fd = tcp_connect_buffers(e.addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	wait_read_all(&e, len, IO_TIMEOUT_MS);

	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "SIGTERM: stopped listening",
	    IO_TIMEOUT_MS), 0);
	late = tcp_connect_addr(e.addrs[0]);
	ck_assert_msg(late == -1 && errno == ECONNREFUSED,
	    "a new client was not refused during the drain");

	ck_assert_int_eq(recv_exact(fd, back, len, IO_TIMEOUT_MS), 0);
	ck_assert(memcmp(data, back, len) == 0);
	ck_assert_msg(recv_eof(fd, IO_TIMEOUT_MS) == 0, "no EOF after drain");
	close(fd);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	ck_assert_int_eq(evecho_wait_log(&e, "stopped\n", 0), 0);
	free(data);
	free(back);
	evecho_stop(&e);
}
END_TEST

/*
 * SIGTERM while evecho has stopped reading a client that sends faster
 * than it reads, so unread input sits in evecho's socket: evecho must
 * still deliver the echo of everything it had read and end with a clean
 * EOF.  Closing with unread input would instead reset the connection and
 * destroy the echo in flight.  What the client gets is an exact prefix of
 * what it sent.
 */
START_TEST(test_sigterm_unread_input)
{
	static const char *const args[] = { "-vv", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, sent, got;
	int		 fd;

	/* Past the kernel's room for the echo and the 1 MiB queue: a pause. */
	len = kernel_echo_room(65536) + 2 * 1024 * 1024;
	if (len < 32 * 1024 * 1024)
		len = 32 * 1024 * 1024;
	data = pattern_new(len, 34);
	evecho_must_start(&e, args);
	fd = tcp_connect_buffers(e.addrs[0], 65536, 65536);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	sent = send_until_stalled(fd, data, len, 300);
	/* (The kernel may have taken all of it, unread: that is fine.) */
	ck_assert_msg(evecho_wait_log(&e, "paused reading", IO_TIMEOUT_MS) ==
	    0, "evecho never stopped reading");

	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	got = recv_echo_to_eof(fd, data, sent, IO_TIMEOUT_MS);
	ck_assert_msg(got >= 1024 * 1024, "only %zu bytes echoed before EOF",
	    got);
	close(fd);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	free(data);
	evecho_stop(&e);
}
END_TEST

/*
 * SIGINT and SIGTERM: idle clients get EOF at once, not when
 * --drain-timeout runs out, since evecho has nothing to flush to them and
 * shuts down its sending side straight away; and once they close, evecho
 * exits 0, again long before the timeout, having cut nobody off.
 */
START_TEST(test_signal_idle_clients)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	static const char *const names[] = { "SIGINT", "SIGTERM" };
	static const char *const args[] = { "--drain-timeout", "20", "-l",
	    "127.0.0.1:0", NULL };
	const long	 prompt_ms = 3000;	/* the drain timeout is 20 s */
	struct evecho	 e;
	char		 want[64];
	long		 t0, left;
	int		 fd[3], i;

	evecho_must_start(&e, args);
	for (i = 0; i < 3; i++) {
		fd[i] = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fd[i], -1);
	}
	t0 = now_ms();
	ck_assert_int_eq(kill(e.pid, sigs[_i]), 0);
	for (i = 0; i < 3; i++) {
		left = t0 + prompt_ms - now_ms();
		ck_assert_msg(recv_eof(fd[i], left > 0 ? (int)left : 0) == 0,
		    "idle client %d got no EOF within %ld ms of %s", i,
		    prompt_ms, names[_i]);
	}
	for (i = 0; i < 3; i++)
		close(fd[i]);	/* the clients' close ends the drain */
	evecho_must_exit_0(&e, (int)prompt_ms);
	snprintf(want, sizeof want, "%s: stopped listening", names[_i]);
	ck_assert_int_eq(evecho_wait_log(&e, want, 0), 0);
	ck_assert_int_eq(evecho_log_count(&e, "drain timeout"), 0);
	evecho_stop(&e);
}
END_TEST

/* SIGTERM with no clients: exit 0 at once, not at the drain timeout. */
START_TEST(test_sigterm_no_clients)
{
	static const char *const args[] = { "--drain-timeout", "30", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, 5000);
	evecho_stop(&e);
}
END_TEST

/*
 * A client that never reads cannot hold the shutdown past
 * --drain-timeout: evecho cuts it off, says so, and exits 0.
 */
START_TEST(test_drain_timeout)
{
	static const char *const args[] = { "--drain-timeout", "0.5", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	long		 t0, took;
	int		 fd;

	evecho_must_start(&e, args);
	fd = stalled_client(&e, 31);
	t0 = now_ms();
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, 10000);
	took = now_ms() - t0;
	ck_assert_msg(took >= 400, "exited after %ld ms, before the drain "
	    "timeout", took);
	ck_assert_int_eq(evecho_wait_log(&e, "drain timeout: closed 1 "
	    "connection", 0), 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * The drain timeout's line counts the echo thrown away: the bytes still
 * queued in evecho when it cuts a client off.  A client with a 4 KiB
 * receive buffer sends L bytes, 2 MiB more than the kernel can hold of
 * the echo, and reads nothing; evecho reads them all (--max-queue 1G),
 * hands some W to the kernel and queues the rest.  At the cut it closes
 * with no input unread, so the kernel still delivers those W bytes, then
 * FIN.  The client, reading only after the cut, gets exactly W bytes
 * then EOF, and the line must say exactly L - W.  (Counting bytes read
 * would say L.)
 */
START_TEST(test_drain_timeout_unsent)
{
	static const char *const args[] = { "-vv", "--max-queue", "1G",
	    "--drain-timeout", "0.5", "-l", "127.0.0.1:0", NULL };
	static const char line[] = "drain timeout: closed 1 connection, ";
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, got;
	long long	 unsent;
	int		 fd;

	len = kernel_echo_room(4096) + 2 * 1024 * 1024;
	data = pattern_new(len, 35);
	evecho_must_start(&e, args);
	fd = tcp_connect_buffers(e.addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	wait_read_all(&e, len, IO_TIMEOUT_MS);

	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	unsent = logged_number(&e, line);
	ck_assert_msg(unsent >= 0, "no line '%s...'", line);

	got = recv_echo_to_eof(fd, data, len, IO_TIMEOUT_MS);
	ck_assert_msg(unsent > 0, "nothing was queued at the cut: the test "
	    "proves nothing");
	ck_assert_msg((size_t)unsent == len - got, "evecho says %lld B of "
	    "echo not sent, but of %zu B it read the client got %zu, so %zu "
	    "were not sent", unsent, len, got, len - got);
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/* A second signal during the drain ends the process at once, by it. */
START_TEST(test_second_signal)
{
	static const char *const args[] = { "--drain-timeout", "60", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	int		 fd, status;

	evecho_must_start(&e, args);
	fd = stalled_client(&e, 32);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "draining 1 connection",
	    IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_msg(evecho_wait_exit(&e, 5000, &status) == 0,
	    "a second SIGTERM did not end evecho");
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	    "wait status 0x%x: not killed by SIGTERM", status);
	ck_assert_int_eq(evecho_wait_log(&e, "SIGTERM again: exiting at "
	    "once", 0), 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/* -v: a line for each connection's open and close, with its numbers. */
START_TEST(test_verbose_connection_lines)
{
	static const char *const args[] = { "-v", "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 data[1000], back[1000];
	int		 fd;

	pattern_fill(data, sizeof data, 33);
	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, data, sizeof data, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, back, sizeof back, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "connected (1 open)",
	    IO_TIMEOUT_MS), 0);
	ck_assert_msg(evecho_wait_log(&e, "closed (closed by client): "
	    "1000 B in, 1000 B out, ", IO_TIMEOUT_MS) == 0,
	    "no close line with the byte counts");
	ck_assert_int_eq(evecho_log_count(&e, " read "), 0);	/* not -vv */
	evecho_stop(&e);
}
END_TEST

/* Default level: start-up and stop lines only, none per connection. */
START_TEST(test_default_log_level)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b = 1;
	int		 fd;

	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &b, 1, IO_TIMEOUT_MS), 0);
	close(fd);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	ck_assert_int_eq(evecho_log_count(&e, "connected"), 0);
	ck_assert_int_eq(evecho_log_count(&e, "listening on "), 1);
	ck_assert_int_eq(evecho_log_count(&e, "stopped\n"), 1);
	evecho_stop(&e);
}
END_TEST

/*
 * -q: nothing at all on stderr from a clean run, yet it serves; as root,
 * only the warning that evecho keeps root (-q hides no warning).
 */
START_TEST(test_quiet)
{
	static const char *const args[] = { "-q", "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b = 'q';
	int		 fd, port;
	char		*log, *p;

	port = quiet_port(&e, args);
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(b, 'q');
	close(fd);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	log = evecho_log(&e);
	ck_assert_ptr_nonnull(log);
	if (geteuid() == 0) {
		p = strchr(log, '\n');
		ck_assert_msg(p != NULL && p[1] == '\0' && strstr(log,
		    " warning: running as root: ") != NULL, "-q logged more "
		    "than the root warning: %s", log);
	} else
		ck_assert_msg(log[0] == '\0', "-q still logged: %s", log);
	free(log);
	evecho_stop(&e);
}
END_TEST

/*
 * -q silences information, not warnings: with -m 1 the first client
 * fills the limit, and evecho warns that new clients wait in the backlog,
 * -q or not, while its info lines stay silent.
 */
START_TEST(test_quiet_warnings)
{
	static const char *const args[] = { "-q", "-m", "1", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b = 'w';
	int		 fd, port;

	port = quiet_port(&e, args);
	fd = tcp_connect("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_msg(evecho_wait_log(&e, "warning: connection limit of 1 "
	    "reached; new clients wait in the backlog\n", IO_TIMEOUT_MS) == 0,
	    "-q hid the warning that the connection limit was reached");
	ck_assert_int_eq(evecho_log_count(&e, "listening on"), 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * libevent's environment switches are honoured by default and ignored
 * when --backend names one.
 */
START_TEST(test_backend_environment)
{
	static const char *const plain[] = { "-l", "127.0.0.1:0", NULL };
	static const char *const forced[] = { "-B", "epoll", "-l",
	    "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .env = "EVENT_NOEPOLL=1" };
	struct evecho	 e;

	ck_assert_int_eq(evecho_spawn(&e, plain, &opts), 0);
	ck_assert_msg(evecho_wait_log(&e, " ready: ", HARNESS_START_MS) == 0,
	    "did not start");
	ck_assert_int_eq(evecho_log_count(&e, "backend epoll"), 0);
	evecho_stop(&e);

	ck_assert_int_eq(evecho_spawn(&e, forced, &opts), 0);
	ck_assert_msg(evecho_wait_log(&e, "backend epoll,",
	    HARNESS_START_MS) == 0, "-B epoll lost to EVENT_NOEPOLL");
	evecho_stop(&e);
}
END_TEST

static Suite *
lifecycle_suite(void)
{
	Suite	*s = suite_create("lifecycle");
	TCase	*tc = tcase_create("lifecycle");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_loop_test(tc, test_bad_flags, 0,
	    (int)(sizeof bad_flags / sizeof bad_flags[0]));
	harness_add_test(tc, test_help);
	harness_add_test(tc, test_version);
	harness_add_test(tc, test_address_in_use);
	harness_add_test(tc, test_unknown_host);
	harness_add_test(tc, test_permission_denied);
	harness_add_test(tc, test_sigterm_drains);
	harness_add_test(tc, test_sigterm_unread_input);
	harness_add_loop_test(tc, test_signal_idle_clients, 0, 2);
	harness_add_test(tc, test_sigterm_no_clients);
	harness_add_test(tc, test_drain_timeout);
	harness_add_test(tc, test_drain_timeout_unsent);
	harness_add_test(tc, test_second_signal);
	harness_add_test(tc, test_verbose_connection_lines);
	harness_add_test(tc, test_default_log_level);
	harness_add_test(tc, test_quiet);
	harness_add_test(tc, test_quiet_warnings);
	harness_add_test(tc, test_backend_environment);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(lifecycle_suite()));
}

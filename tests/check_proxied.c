/*
 * check_proxied.c: ",proxy" listeners on the real binary: the PROXY
 * header, v1 and v2, is consumed and never echoed, the bytes after it
 * are, the client it names is the one logged, and malformed, oversized,
 * slow and missing headers close the connection while the server goes
 * on serving.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	10000
#define WAIT_MS		10000

/* The version 2 signature, then "PROXY" command, TCP over IPv4. */
static const unsigned char v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* A version 2 header for TCP4 src:sport -> dst:dport, into buf: its size. */
static size_t
v2_tcp4(unsigned char *buf, const char *src, unsigned sport,
    const char *dst, unsigned dport)
{
	struct in_addr	 a;

	memcpy(buf, v2_sig, sizeof v2_sig);
	buf[12] = 0x21;			/* version 2, PROXY */
	buf[13] = 0x11;			/* AF_INET, STREAM */
	buf[14] = 0;
	buf[15] = 12;
	ck_assert_int_eq(inet_pton(AF_INET, src, &a), 1);
	memcpy(buf + 16, &a, 4);
	ck_assert_int_eq(inet_pton(AF_INET, dst, &a), 1);
	memcpy(buf + 20, &a, 4);
	buf[24] = (unsigned char)(sport >> 8);
	buf[25] = (unsigned char)sport;
	buf[26] = (unsigned char)(dport >> 8);
	buf[27] = (unsigned char)dport;
	return (28);
}

/* Start evecho with a proxy listener (addrs[0]) and a plain one. */
static void
start_proxied(struct evecho *e, const char *extra)
{
	const char	*args[] = { "-v", "--threads", "1", "-l",
	    "127.0.0.1:0,proxy", "-l", "127.0.0.1:0", extra, extra != NULL ?
	    "0.5" : NULL, NULL };

	evecho_must_start(e, args);
	ck_assert_int_eq(e->naddrs, 2);
}

/* SIGTERM, and a clean exit. */
static void
stop_clean(struct evecho *e)
{
	ck_assert_int_eq(evecho_kill(e, SIGTERM), 0);
	evecho_must_exit_0(e, WAIT_MS);
}

/* The port of the second, plain listener. */
static int
plain_port(const struct evecho *e)
{
	return (atoi(strrchr(e->addrs[1], ':') + 1));
}

/* Send all of data, then half-close: the echo must be exactly want. */
static void
expect_echo(int fd, const void *data, size_t len, const char *want)
{
	char	 got[256];
	size_t	 n = strlen(want);

	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_uint_lt(n, sizeof got);
	ck_assert_msg(recv_exact(fd, got, n, IO_TIMEOUT_MS) == 0,
	    "no echo of '%s'", want);
	got[n] = '\0';
	ck_assert_str_eq(got, want);
	ck_assert_msg(recv_eof(fd, IO_TIMEOUT_MS) == 0,
	    "more than the bytes after the header came back");
}

/* The server shut the connection without echoing a byte. */
static void
expect_closed(int fd)
{
	char	 byte;
	ssize_t	 n;

	ck_assert_msg(wait_readable(fd, IO_TIMEOUT_MS), "never closed");
	n = recv(fd, &byte, 1, 0);
	ck_assert_msg(n <= 0, "the server echoed '%c'", byte);
}

/*
 * A client sends the start of a header, then stalls, or with shut shuts
 * down its side: ms until closed.
 */
static long
stalled_header_ms(const struct evecho *e, int shut)
{
	long	 start, took;
	int	 fd;

	fd = tcp_connect("127.0.0.1", e->port);
	start = now_ms();
	ck_assert_int_eq(send_all(fd, "PROXY TCP4 ", 11, IO_TIMEOUT_MS), 0);
	if (shut)
		ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	expect_closed(fd);
	took = now_ms() - start;
	close(fd);
	return (took);
}

/*
 * A v1 header and data in one segment: the data alone comes back, and
 * the log names the client from the header, via the real peer.
 */
START_TEST(test_v1_same_segment)
{
	static const char msg[] = "PROXY TCP4 192.0.2.1 192.0.2.9 5555 7\r\n"
	    "hello, proxied\n";
	struct evecho	 e;
	char		 want[160];
	int		 fd;

	start_proxied(&e, NULL);
	fd = tcp_connect("127.0.0.1", e.port);
	snprintf(want, sizeof want, "192.0.2.1:5555 connected via "
	    "127.0.0.1:%u, PROXY v1", tcp_local_port(fd));
	expect_echo(fd, msg, sizeof msg - 1, "hello, proxied\n");
	close(fd);
	ck_assert_msg(evecho_wait_log(&e, want, WAIT_MS) == 0, "no '%s'",
	    want);
	ck_assert_int_eq(evecho_wait_log(&e, "192.0.2.1:5555 closed (closed "
	    "by client): 15 B in, 15 B out", WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/* A v2 header sent a byte at a time, then data: all taken in time. */
START_TEST(test_v2_trickled)
{
	unsigned char	 hdr[64];
	struct evecho	 e;
	size_t		 len, i;
	int		 fd;

	start_proxied(&e, NULL);
	len = v2_tcp4(hdr, "198.51.100.7", 40000, "127.0.0.1", 7);
	fd = tcp_connect("127.0.0.1", e.port);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(send_all(fd, hdr + i, 1, IO_TIMEOUT_MS), 0);
		sleep_ms(5);
	}
	expect_echo(fd, "after v2", 8, "after v2");
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "198.51.100.7:40000 connected "
	    "via 127.0.0.1:", WAIT_MS), 0);
	ck_assert_int_eq(evecho_wait_log(&e, ", PROXY v2 (", WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/*
 * A v2 LOCAL header (a balancer's health check) is taken and names no
 * client: the real peer stays; SIGUSR1 counts each kind of header.
 */
START_TEST(test_v2_local_counted)
{
	static const char v1[] = "PROXY TCP6 2001:db8::1 ::1 1 2\r\nsix";
	unsigned char	 hdr[64];
	struct evecho	 e;
	char		 want[160];
	int		 fd;

	start_proxied(&e, NULL);
	memcpy(hdr, v2_sig, sizeof v2_sig);
	memcpy(hdr + 12, "\x20\x00\x00\x00", 4);	/* LOCAL, UNSPEC */
	fd = tcp_connect("127.0.0.1", e.port);
	snprintf(want, sizeof want, "127.0.0.1:%u connected via "
	    "127.0.0.1:%u, PROXY v2 LOCAL", tcp_local_port(fd), tcp_local_port(fd));
	expect_echo(fd, hdr, 16, "");
	close(fd);
	ck_assert_msg(evecho_wait_log(&e, want, WAIT_MS) == 0, "no '%s'",
	    want);
	fd = tcp_connect("127.0.0.1", e.port);
	expect_echo(fd, v1, sizeof v1 - 1, "six");
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "[2001:db8::1]:1 connected",
	    WAIT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "PROXY headers 1 v1, 0 v2, "
	    "1 local", WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/*
 * A v2 header may name a Unix-domain client by any bytes at all: the log
 * shows its control characters escaped, and no line can be forged.
 */
START_TEST(test_unix_path_escaped)
{
	static const char path[] = "/x\nFORGED LINE\x1b[2J";
	unsigned char	 msg[16 + 216 + 2];
	struct evecho	 e;
	int		 fd;

	start_proxied(&e, NULL);
	memset(msg, 0, sizeof msg);
	memcpy(msg, v2_sig, sizeof v2_sig);
	msg[12] = 0x21;			/* version 2, PROXY */
	msg[13] = 0x31;			/* AF_UNIX, STREAM */
	msg[15] = 216;			/* two paths of 108 bytes */
	memcpy(msg + 16, path, sizeof path - 1);
	memcpy(msg + 16 + 108, "/run/to", 7);
	memcpy(msg + 16 + 216, "ok", 2);
	fd = tcp_connect("127.0.0.1", e.port);
	expect_echo(fd, msg, sizeof msg, "ok");
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "unix:/x\\nFORGED LINE\\x1b[2J "
	    "connected via", WAIT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, "\nFORGED"), 0);
	ck_assert_int_eq(evecho_log_count(&e, "\x1b"), 0);
	stop_clean(&e);
}
END_TEST

/* Headers no proxy sends, each closed at once, none echoed. */
static const char *const bad_headers[] = {
	"hello, no header\n",
	"PROXY TCP4 192.0.2.1 192.0.2.9 5555\r\n",
	"PROXY TCP4 192.0.2.1 192.0.2.9 05555 7\r\n",
	"PROXY TCP5 192.0.2.1 192.0.2.9 1 7\r\n",
	"PROXY TCP4 192.0.2.1 192.0.2.9 1 7\n",
	/* 108 bytes and no CRLF yet: longer than any v1 line. */
	"PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

/*
 * Each malformed or oversized header closes its connection without an
 * echo, counted as "protocol" and warned about, once for the flood; the
 * plain listener beside it serves on.
 */
START_TEST(test_bad_headers)
{
	struct evecho	 e;
	char		 want[64];
	size_t		 i, n = sizeof bad_headers / sizeof bad_headers[0];
	int		 fd;

	start_proxied(&e, NULL);
	for (i = 0; i < n; i++) {
		fd = tcp_connect("127.0.0.1", e.port);
		ck_assert_int_eq(send_all(fd, bad_headers[i],
		    strlen(bad_headers[i]), IO_TIMEOUT_MS), 0);
		expect_closed(fd);
		close(fd);
	}
	ck_assert_int_eq(evecho_wait_log_count(&e, " closed (",
	    (int)n, WAIT_MS), (int)n);
	ck_assert_int_eq(evecho_log_count(&e, "warning: 127.0.0.1:"), 1);
	fd = tcp_connect("127.0.0.1", plain_port(&e));
	echo_pattern(fd, 1000, 3);
	close(fd);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	snprintf(want, sizeof want, "0 shutdown, %zu protocol, 0 handshake",
	    n);
	ck_assert_msg(evecho_wait_log(&e, want, WAIT_MS) == 0, "no '%s'",
	    want);
	stop_clean(&e);
}
END_TEST

/*
 * A header begun and never finished is closed at --handshake-timeout,
 * and not before, and the server meanwhile takes no CPU to speak of; so
 * is a client that sends nothing.
 */
START_TEST(test_slow_header)
{
	struct evecho	 e;
	long		 start, took, cpu;
	int		 fd;

	start_proxied(&e, "--handshake-timeout");
	cpu = evecho_cpu_ms(&e);
	took = stalled_header_ms(&e, 0);
	ck_assert_msg(took >= 400 && took < 3000, "closed after %ld ms", took);
	if (!harness_wrapped("test_slow_header: CPU"))
		ck_assert_msg(evecho_cpu_ms(&e) - cpu < 200, "%ld ms of CPU "
		    "spent waiting for a header", evecho_cpu_ms(&e) - cpu);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (no PROXY header within "
	    "0.500 s)", WAIT_MS), 0);

	/* Nor does a client that sends nothing at all stay. */
	fd = tcp_connect("127.0.0.1", e.port);
	start = now_ms();
	expect_closed(fd);
	took = now_ms() - start;
	close(fd);
	ck_assert_msg(took >= 400 && took < 3000, "silent client closed after "
	    "%ld ms", took);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "0 protocol, 2 handshake",
	    WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/*
 * With no --handshake-timeout, -t still bounds a header that stops
 * half-way: looking at the same bytes again is no sign of life.
 */
START_TEST(test_partial_header_idles)
{
	static const char *const args[] = { "-v", "--threads", "1",
	    "--handshake-timeout", "0", "-t", "0.5", "-l",
	    "127.0.0.1:0,proxy", NULL };
	struct evecho	 e;
	long		 took;

	evecho_must_start(&e, args);
	took = stalled_header_ms(&e, 0);
	ck_assert_msg(took >= 400 && took < 3000, "closed after %ld ms", took);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (idle timeout)",
	    WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/*
 * A client that shuts down its side part-way through a header is closed
 * at once, as a protocol error: the header can never be whole.  With no
 * deadline and no -t, nothing else would ever end it.
 */
START_TEST(test_partial_header_fin)
{
	static const char *const args[] = { "-v", "--threads", "1",
	    "--handshake-timeout", "0", "-t", "0", "-l", "127.0.0.1:0,proxy",
	    NULL };
	unsigned char	 v2[64];
	struct evecho	 e;
	int		 fd;

	evecho_must_start(&e, args);
	(void)stalled_header_ms(&e, 1);
	fd = tcp_connect("127.0.0.1", e.port);
	ck_assert_int_eq(send_all(fd, v2, v2_tcp4(v2, "192.0.2.1", 5555,
	    "192.0.2.9", 7) - 8, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	expect_closed(fd);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "(PROXY header cut short: the "
	    "client shut down after 11 B)", WAIT_MS), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "(PROXY header cut short: the "
	    "client shut down after 20 B)", WAIT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "2 protocol, 0 handshake",
	    WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/*
 * A client that connects and leaves without a byte, as a TCP health
 * check does, is no error: closed as "client", with no warning.
 */
START_TEST(test_empty_connection)
{
	struct evecho	 e;
	int		 fd;

	start_proxied(&e, NULL);
	fd = tcp_connect("127.0.0.1", e.port);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (closed before its PROXY "
	    "header)", WAIT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, "warning: 127.0.0.1"), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "ended 1 client", WAIT_MS), 0);
	stop_clean(&e);
}
END_TEST

/* SIGTERM does not wait for a header still to come. */
START_TEST(test_drain_mid_header)
{
	struct evecho	 e;
	long		 start;
	int		 fd, status;

	start_proxied(&e, NULL);
	fd = tcp_connect("127.0.0.1", e.port);
	ck_assert_int_eq(send_all(fd, "PROX", 4, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_wait_log(&e, " connected", 200), -1);
	start = now_ms();
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	expect_closed(fd);
	close(fd);
	ck_assert_int_eq(evecho_wait_exit(&e, WAIT_MS, &status), 0);
	ck_assert_msg(now_ms() - start < 2000, "the drain waited %ld ms",
	    now_ms() - start);
	ck_assert_int_eq(status, 0);
}
END_TEST

/* The JSON log carries the client as peer, and via and proto. */
START_TEST(test_json_fields)
{
	static const char *const args[] = { "-v", "--log-format", "json",
	    "-l", "127.0.0.1:0,proxy", NULL };
	static const char msg[] = "PROXY TCP4 203.0.113.5 127.0.0.1 61000 7"
	    "\r\nj";
	struct evecho	 e;
	char		 want[160];
	int		 fd;

	evecho_must_start(&e, args);
	fd = tcp_connect("127.0.0.1", e.port);
	snprintf(want, sizeof want, "\"event\":\"connected\",\"peer\":"
	    "\"203.0.113.5:61000\",\"via\":\"127.0.0.1:%u\",\"proto\":"
	    "\"PROXY v1\"", tcp_local_port(fd));
	expect_echo(fd, msg, sizeof msg - 1, "j");
	close(fd);
	ck_assert_msg(evecho_wait_log(&e, want, WAIT_MS) == 0, "no %s", want);
	stop_clean(&e);
}
END_TEST

static Suite *
proxied_suite(void)
{
	Suite	*s = suite_create("proxied");
	TCase	*tc = tcase_create("proxied");

	tcase_set_timeout(tc, 60);
	harness_add_test(tc, test_v1_same_segment);
	harness_add_test(tc, test_v2_trickled);
	harness_add_test(tc, test_v2_local_counted);
	harness_add_test(tc, test_unix_path_escaped);
	harness_add_test(tc, test_bad_headers);
	harness_add_test(tc, test_slow_header);
	harness_add_test(tc, test_partial_header_idles);
	harness_add_test(tc, test_partial_header_fin);
	harness_add_test(tc, test_empty_connection);
	harness_add_test(tc, test_drain_mid_header);
	harness_add_test(tc, test_json_fields);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(proxied_suite()));
}

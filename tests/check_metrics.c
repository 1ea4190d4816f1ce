/*
 * check_metrics.c: --metrics on the real binary: scrapes over real HTTP
 * whose counters match what the test's clients did, byte for byte and
 * connection for connection; promtool(1) validating the text; scrapes
 * under load; /healthz through a drain; the answers to wrong methods
 * and paths.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

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
#define HTTP_MAX	(256 * 1024)	/* a scrape is some 4 KiB */

struct http_reply {
	int	 status;
	char	*head;		/* status line and headers */
	char	*body;
};

/* The metrics port, from the "metrics on http://..." line of e's log. */
static int
metrics_port(struct evecho *e)
{
	char	*log, *p;
	int	 port = -1;

	ck_assert_int_eq(evecho_wait_log(e, "metrics on http://",
	    HARNESS_START_MS), 0);
	ck_assert_ptr_nonnull(log = evecho_log(e));
	if ((p = strstr(log, "metrics on http://127.0.0.1:")) != NULL)
		port = atoi(p + strlen("metrics on http://127.0.0.1:"));
	free(log);
	ck_assert_int_gt(port, 0);
	return (port);
}

/* An answer read to EOF from fd, then parsed; what asks it, for errors. */
static void
http_read(int fd, const char *what, struct http_reply *r)
{
	char	*buf, *sep;
	size_t	 len = 0;
	ssize_t	 n;

	ck_assert_ptr_nonnull(buf = malloc(HTTP_MAX + 1));
	for (;;) {
		ck_assert_msg(wait_readable(fd, IO_TIMEOUT_MS) == 1,
		    "no answer to %s", what);
		n = recv(fd, buf + len, HTTP_MAX - len, 0);
		ck_assert_msg(n >= 0, "recv: %s after %zu B", strerror(errno),
		    len);
		if (n == 0)
			break;
		len += (size_t)n;
		ck_assert_uint_lt(len, HTTP_MAX);
	}
	buf[len] = '\0';
	ck_assert_msg(sscanf(buf, "HTTP/1.1 %d ", &r->status) == 1,
	    "not HTTP: %.200s", buf);
	ck_assert_ptr_nonnull(sep = strstr(buf, "\r\n\r\n"));
	*sep = '\0';
	r->head = buf;
	r->body = sep + 4;
}

/* One HTTP/1.1 request with Connection: close, read to EOF. */
static void
http_ask(int port, const char *method, const char *path,
    struct http_reply *r)
{
	char	 req[256];
	int	 fd;

	snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", method, path);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(send_all(fd, req, strlen(req), IO_TIMEOUT_MS), 0);
	http_read(fd, req, r);
	close(fd);
}

static void
http_free(struct http_reply *r)
{
	free(r->head);
}

/* The value of one sample line ("name{labels} value"), or -1. */
static double
sample(const char *body, const char *name)
{
	const char	*p = body;
	size_t		 len = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == body || p[-1] == '\n') && p[len] == ' ')
			return (strtod(p + len + 1, NULL));
		p += len;
	}
	return (-1);
}

/*
 * promtool check metrics over body, when promtool is installed (the
 * README's test command installs it).
 */
static void
promtool_check(const char *body)
{
	char	 path[] = "/tmp/evecho-metrics-XXXXXX", cmd[256], out[2048];
	FILE	*fp;
	size_t	 n;
	int	 fd, status;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "promtool not installed: not validating the "
		    "scrape (Debian: apt-get install prometheus)\n");
		return;
	}
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, body, strlen(body)),
	    (ssize_t)strlen(body));
	close(fd);
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	n = fread(out, 1, sizeof out - 1, fp);
	out[n] = '\0';
	status = pclose(fp);
	unlink(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "promtool rejects the scrape: %s", out);
	/* Lint findings print but still exit 0: there must be none. */
	ck_assert_msg(n == 0, "promtool: %s", out);
}

/*
 * Known traffic, then a scrape: three clients echo and close, one resets
 * after taking its echo, one idles out, one is held open, and a second
 * host's third connection is refused at its cap.  Every counter says
 * exactly that, and promtool accepts the text.
 */
START_TEST(test_scrape_counts)
{
	static const char *const args[] = { "-v", "-t", "0.3",
	    "--max-conns-per-host", "2", "-l", "127.0.0.1:0", "--metrics",
	    "127.0.0.1:0", NULL };
	struct linger		 rst = { 1, 0 };
	struct http_reply	 r;
	struct evecho		 e;
	unsigned char		 b;
	size_t			 in = 0;
	int			 fd, held[2], port, i, one = 1;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	for (i = 0; i < 3; i++) {
		fd = tcp_connect_from("127.0.0.1", e.port);
		echo_pattern(fd, 5000 * (size_t)(i + 1), (uint32_t)i);
		in += 5000 * (size_t)(i + 1);
		ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
		ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
		close(fd);
	}
	fd = tcp_connect_from("127.0.0.1", e.port);	/* reset */
	/* Its ACK of the echo goes out at once, before the reset. */
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
	    sizeof one), 0);
	echo_pattern(fd, 700, 7);
	in += 700;
	sleep_ms(50);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
	    sizeof rst), 0);
	close(fd);
	fd = tcp_connect_from("127.0.0.1", e.port);	/* idles out */
	echo_pattern(fd, 11, 8);
	in += 11;
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	for (i = 0; i < 2; i++) {	/* a second host, at its cap */
		held[i] = tcp_connect_from("127.0.0.2", e.port);
		echo_pattern(held[i], 3, 9);
		in += 3;
	}
	fd = tcp_connect_from("127.0.0.2", e.port);
	ck_assert_int_eq(wait_readable(fd, IO_TIMEOUT_MS), 1);
	ck_assert_int_le(recv(fd, &b, 1, 0), 0);
	close(fd);
	close(held[1]);
	/* All closes seen; held[0] stays open. */
	ck_assert_int_eq(evecho_wait_log_count(&e, " closed (", 6,
	    IO_TIMEOUT_MS), 6);

	/* A worker logs a close just before it counts the connection out. */
	for (i = 0; i < 100; i++) {
		http_ask(port, "GET", "/metrics", &r);
		if (sample(r.body, "evecho_connections_open") == 1)
			break;
		http_free(&r);
		sleep_ms(50);
	}
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/plain; "
	    "version=0.0.4"));
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_accepted_total"), 7);
	ck_assert_double_eq(sample(r.body,
	    "evecho_unix_connections_accepted_total"), 0);
	ck_assert_double_eq(sample(r.body, "evecho_connections_open"), 1);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"client\"}"), 4);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"reset\"}"), 1);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"idle\"}"), 1);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"error\"}"), 0);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"shutdown\"}"), 0);
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_closed_total{reason=\"per_host_cap\"}"), 1);
	ck_assert_double_eq(sample(r.body, "evecho_received_bytes_total"),
	    (double)in);
	ck_assert_double_eq(sample(r.body, "evecho_written_bytes_total"),
	    (double)in);
	/* Sent counts at close: all but the open one's 3 B. */
	ck_assert_double_eq(sample(r.body, "evecho_sent_bytes_total"),
	    (double)(in - 3));
	ck_assert_double_eq(sample(r.body, "evecho_draining"), 0);
	ck_assert_double_gt(sample(r.body, "process_open_fds"), 5);
	ck_assert_double_gt(sample(r.body, "process_resident_memory_bytes"),
	    0);
	ck_assert_double_gt(sample(r.body, "process_start_time_seconds"),
	    1.7e9);
	ck_assert_ptr_nonnull(strstr(r.body, "evecho_build_info{version=\""
	    PACKAGE_VERSION "\""));
	promtool_check(r.body);
	http_free(&r);

	close(held[0]);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * Scrapes every 20 ms while clients echo: each answers 200, passes
 * promtool, and no counter ever goes backwards.
 */
START_TEST(test_scrape_under_load)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", "--metrics",
	    "127.0.0.1:0", NULL };
	enum { CLIENTS = 4, ROUNDS = 40 };
	struct http_reply	 r;
	struct evecho		 e;
	double			 in, last_in = 0, acc, last_acc = 0;
	int			 fd[CLIENTS], port, i, round;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	for (i = 0; i < CLIENTS; i++)
		ck_assert_int_ne(fd[i] = tcp_connect("127.0.0.1", e.port), -1);
	for (round = 0; round < ROUNDS; round++) {
		if (round % 10 == 9) {	/* connections come and go too */
			close(fd[0]);
			ck_assert_int_ne(fd[0] = tcp_connect("127.0.0.1",
			    e.port), -1);
		}
		/* Echoed, so accepted before the scrape. */
		for (i = 0; i < CLIENTS; i++)
			echo_pattern(fd[i], 64 * 1024, (uint32_t)(round + i));
		http_ask(port, "GET", "/metrics", &r);
		ck_assert_int_eq(r.status, 200);
		in = sample(r.body, "evecho_received_bytes_total");
		acc = sample(r.body, "evecho_connections_accepted_total");
		ck_assert_double_ge(in, last_in);
		/*
		 * A worker counts a read just after it writes the echo
		 * back, so this round's last bytes may not be counted yet;
		 * the rounds before surely are.
		 */
		ck_assert_double_ge(in, (double)round * CLIENTS * 64 * 1024);
		ck_assert_double_ge(acc, last_acc);
		last_in = in;
		last_acc = acc;
		if (round == ROUNDS / 2)
			promtool_check(r.body);
		http_free(&r);
		sleep_ms(20);
	}
	ck_assert_double_eq(last_acc, CLIENTS + ROUNDS / 10);
	for (i = 0; i < CLIENTS; i++)
		close(fd[i]);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * /healthz says 200 while serving and 503 while draining; other methods
 * get 405 with Allow, other paths 404, and HEAD a head without a body.
 */
START_TEST(test_health_and_errors)
{
	static const char *const args[] = { "-v", "-l", "127.0.0.1:0",
	    "--metrics", "127.0.0.1:0", "--drain-timeout", "20", NULL };
	static const char *const methods[] = { "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH", "CONNECT", "TRACE", "FOO" };
	struct http_reply	 r;
	struct evecho		 e;
	size_t			 i, length;
	char			*p;
	int			 fd, port;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	http_ask(port, "GET", "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok\n");
	http_free(&r);
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		http_ask(port, methods[i], "/metrics", &r);
		ck_assert_msg(r.status == 405, "%s: %d", methods[i], r.status);
		ck_assert_ptr_nonnull(strstr(r.head, "Allow: GET, HEAD"));
		http_free(&r);
	}
	http_ask(port, "GET", "/", &r);
	ck_assert_int_eq(r.status, 404);
	http_free(&r);
	http_ask(port, "GET", "/metrics/extra", &r);
	ck_assert_int_eq(r.status, 404);
	http_free(&r);
	http_ask(port, "GET", "/metrics?name[]=x", &r);	/* queries ignored */
	ck_assert_int_eq(r.status, 200);
	http_free(&r);
	http_ask(port, "GET", "/healthz", &r);
	length = strlen(r.body);
	http_free(&r);
	http_ask(port, "HEAD", "/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "");
	ck_assert_ptr_nonnull(p = strstr(r.head, "Content-Length: "));
	ck_assert_uint_eq(strtoul(p + 16, NULL, 10), length);
	http_free(&r);
	http_ask(port, "GET", "/metrics HTTP/2.0\r\nX: y", &r);
	ck_assert_int_eq(r.status, 400);
	http_free(&r);
	http_ask(port, "get", "/metrics", &r);
	ck_assert_int_eq(r.status, 400);
	http_free(&r);
	http_ask(port, "GET", "http://127.0.0.1/metrics", &r);
	ck_assert_int_eq(r.status, 400);
	http_free(&r);

	/* A client still open holds the drain; health says so. */
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	echo_pattern(fd, 10, 1);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "draining 1 connection",
	    IO_TIMEOUT_MS), 0);
	http_ask(port, "GET", "/healthz", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "draining\n");
	http_free(&r);
	http_ask(port, "GET", "/metrics", &r);
	ck_assert_double_eq(sample(r.body, "evecho_draining"), 1);
	http_free(&r);
	close(fd);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * At most 16 scrapers at once, each for at most 10 s: with 16 clients
 * holding connections open (one trickling a byte a second, which resets
 * no clock), a 17th waits in the backlog, unanswered, while the echo
 * goes on; once the deadline closes the 16, it is answered.
 */
START_TEST(test_clients_capped)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", "--metrics",
	    "127.0.0.1:0", NULL };
	static const char req[] = "GET /healthz HTTP/1.1\r\n\r\n";
	struct evecho	 e;
	char		 buf[256];
	long		 start, answered;
	int		 idle[16], waiting, fd, port, i, tick;
	ssize_t		 n;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	start = now_ms();
	for (i = 0; i < 16; i++) {
		ck_assert_int_ne(idle[i] = tcp_connect("127.0.0.1", port), -1);
		ck_assert_int_eq(send_all(idle[i], "G", 1, IO_TIMEOUT_MS), 0);
	}
	ck_assert_int_ne(waiting = tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(send_all(waiting, req, sizeof req - 1,
	    IO_TIMEOUT_MS), 0);
	for (tick = 0; tick < 6; tick++) {	/* 6 s: the cap holds */
		ck_assert_int_eq(wait_readable(waiting, 1000), 0);
		ck_assert_int_eq(send_all(idle[0], "E", 1, IO_TIMEOUT_MS), 0);
	}
	fd = tcp_connect("127.0.0.1", e.port);	/* the echo is served */
	echo_pattern(fd, 1000, 3);
	close(fd);
	ck_assert_int_eq(wait_readable(waiting, 10000), 1);
	answered = now_ms() - start;
	ck_assert_int_gt(n = recv(waiting, buf, sizeof buf - 1, 0), 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	/* Not before the 10 s deadline freed the 16, nor long after. */
	ck_assert_int_ge(answered, 9500);
	ck_assert_int_le(answered, 14000);
	for (i = 0; i < 16; i++) {	/* each was closed, unanswered */
		ck_assert_int_eq(wait_readable(idle[i], 1000), 1);
		ck_assert_int_le(recv(idle[i], buf, sizeof buf, 0), 0);
		close(idle[i]);
	}
	close(waiting);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * A client that pipelines requests without reading the answers holds at
 * most a request head's worth in evecho: 4 MiB sent at it leaves evecho's
 * memory where it was, and it gets one answer, then the end.
 */
START_TEST(test_pipelined_flood)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", "--metrics",
	    "127.0.0.1:0", NULL };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct evecho	 e;
	char		*flood, buf[4096];
	size_t		 len = 4 << 20, off, sent = 0, got = 0;
	long		 rss0, rss1, deadline;
	ssize_t		 n;
	int		 fd, port, answers = 0;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	ck_assert_ptr_nonnull(flood = malloc(len));
	for (off = 0; off + sizeof req - 1 <= len; off += sizeof req - 1)
		memcpy(flood + off, req, sizeof req - 1);
	rss0 = evecho_rss_kb(&e);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	deadline = now_ms() + 3000;
	while (sent < off && now_ms() < deadline) {
		n = send(fd, flood + sent, off - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else if (n == -1 && errno != EAGAIN)
			break;		/* evecho hung up: fine */
		else
			sleep_ms(10);
	}
	rss1 = evecho_rss_kb(&e);
	/* A sanitizer's or valgrind's own memory is no measure of ours. */
	if (!harness_wrapped("test_pipelined_flood: RSS") &&
	    !harness_sanitized("test_pipelined_flood: RSS"))
		ck_assert_int_lt(rss1 - rss0, 2048);
	deadline = now_ms() + IO_TIMEOUT_MS;
	while (now_ms() < deadline) {
		if (wait_readable(fd, 1000) != 1)
			continue;
		if ((n = recv(fd, buf, sizeof buf, 0)) <= 0)
			break;
		if (got == 0 && strncmp(buf, "HTTP/1.1 200 ", 13) == 0)
			answers++;
		got += (size_t)n;
	}
	ck_assert_int_eq(answers, 1);
	ck_assert_uint_lt(got, 64 * 1024);
	close(fd);
	free(flood);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * A client with a small window, and more sent after its request that the
 * endpoint never reads: the answer still arrives whole, because the
 * endpoint shuts down its side and waits for the client's end rather
 * than close with unread input, which would reset the connection and
 * throw away what the kernel had not sent yet.
 */
START_TEST(test_answer_whole)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", "--metrics",
	    "127.0.0.1:0", NULL };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_reply	 r;
	struct evecho		 e;
	char			 addr[64], junk[16384], *p;
	int			 fd, port;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	ck_assert_int_ne(fd = tcp_connect_buffers(addr, 0, 2048), -1);
	memset(junk, 'x', sizeof junk);
	ck_assert_int_eq(send_all(fd, req, sizeof req - 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	(void)send(fd, junk, sizeof junk, MSG_NOSIGNAL);
	sleep_ms(300);		/* the endpoint has answered, and waits */
	http_read(fd, req, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(p = strstr(r.head, "Content-Length: "));
	ck_assert_uint_eq(strtoul(p + 16, NULL, 10), strlen(r.body));
	ck_assert_ptr_nonnull(strstr(r.body, "process_start_time_seconds "));
	http_free(&r);
	close(fd);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * The endpoint's descriptors count in the reserve: the start-up line
 * says so, and the connection limit is that much lower than without it.
 */
START_TEST(test_reserve)
{
	static const char *const with[] = { "-l", "127.0.0.1:0",
	    "--metrics", "127.0.0.1:0", NULL };
	static const char *const without[] = { "-l", "127.0.0.1:0", NULL };
	struct spawn_opts	 opts = { .nofile = 200 };
	struct evecho		 e;
	char			*log, *p, *q;
	int			 held[2], conns[2], k;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(evecho_start_opts(&e, k == 0 ? with :
		    without, &opts), 0);
		ck_assert_ptr_nonnull(log = evecho_log(&e));
		ck_assert_ptr_nonnull(p = strstr(log, "descriptors: "));
		ck_assert_int_eq(sscanf(p, "descriptors: %d held", &held[k]),
		    1);
		if (k == 0)
			ck_assert_ptr_nonnull(strstr(p, "spare, 16 for metrics "
			    "clients, "));
		ck_assert_ptr_nonnull(q = strstr(p, " for connections"));
		while (q > p && q[-1] >= '0' && q[-1] <= '9')
			q--;
		conns[k] = atoi(q);
		free(log);
		ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
		evecho_must_exit_0(&e, IO_TIMEOUT_MS);
		evecho_stop(&e);
	}
	/* Its loop, control pipe and listener: at least 4 held. */
	ck_assert_int_ge(held[0] - held[1], 4);
	ck_assert_int_eq(conns[1] - conns[0], held[0] - held[1] + 16);
}
END_TEST

/*
 * A metrics address already taken fails the start, with status 71 and
 * the address named.
 */
START_TEST(test_address_in_use)
{
	char			 spec[64], out[256], err[1024];
	int			 fd, port, status;

	ck_assert_int_ne(fd = tcp_listen_loopback(1, &port), -1);
	snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
	{
		const char *const args[] = { "-l", "127.0.0.1:0", "--metrics",
		    spec, NULL };

		ck_assert_int_eq(run_evecho(args, NULL, &status, out,
		    sizeof out, err, sizeof err), 0);
	}
	close(fd);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 71);
	ck_assert_msg(strstr(err, "evecho: --metrics: cannot listen on ") !=
	    NULL && strstr(err, "Address already in use") != NULL, "%s", err);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_scrape_counts);
	harness_add_test(tc, test_scrape_under_load);
	harness_add_test(tc, test_health_and_errors);
	harness_add_test(tc, test_clients_capped);
	harness_add_test(tc, test_pipelined_flood);
	harness_add_test(tc, test_answer_whole);
	harness_add_test(tc, test_reserve);
	harness_add_test(tc, test_address_in_use);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(metrics_suite()));
}

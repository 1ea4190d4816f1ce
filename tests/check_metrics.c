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

/* One HTTP/1.1 request with Connection: close, read to EOF. */
static void
http_ask(int port, const char *method, const char *path,
    struct http_reply *r)
{
	char	 req[256], *buf, *sep;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", method, path);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(send_all(fd, req, strlen(req), IO_TIMEOUT_MS), 0);
	ck_assert_ptr_nonnull(buf = malloc(HTTP_MAX + 1));
	for (;;) {
		ck_assert_msg(wait_readable(fd, IO_TIMEOUT_MS) == 1,
		    "no answer to %s %s", method, path);
		n = recv(fd, buf + len, HTTP_MAX - len, 0);
		ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		ck_assert_uint_lt(len, HTTP_MAX);
	}
	close(fd);
	buf[len] = '\0';
	ck_assert_msg(sscanf(buf, "HTTP/1.1 %d ", &r->status) == 1,
	    "not HTTP: %.200s", buf);
	ck_assert_ptr_nonnull(sep = strstr(buf, "\r\n\r\n"));
	*sep = '\0';
	r->head = buf;
	r->body = sep + 4;
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

/* len bytes there and back on fd, checked. */
static void
echo_on(int fd, size_t len, uint32_t seed)
{
	unsigned char	*data = pattern_new(len, seed);

	ck_assert_int_eq(echo_stream(fd, data, len, len, IO_TIMEOUT_MS), 0);
	free(data);
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
	int			 fd, held[2], port, i;

	evecho_must_start(&e, args);
	port = metrics_port(&e);
	for (i = 0; i < 3; i++) {
		fd = tcp_connect_from("127.0.0.1", e.port);
		echo_on(fd, 5000 * (size_t)(i + 1), (uint32_t)i);
		in += 5000 * (size_t)(i + 1);
		ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
		ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
		close(fd);
	}
	fd = tcp_connect_from("127.0.0.1", e.port);	/* reset */
	echo_on(fd, 700, 7);
	in += 700;
	sleep_ms(100);		/* its ACK of the echo goes out first */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
	    sizeof rst), 0);
	close(fd);
	fd = tcp_connect_from("127.0.0.1", e.port);	/* idles out */
	echo_on(fd, 11, 8);
	in += 11;
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	for (i = 0; i < 2; i++) {	/* a second host, at its cap */
		held[i] = tcp_connect_from("127.0.0.2", e.port);
		echo_on(held[i], 3, 9);
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

	http_ask(port, "GET", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/plain; "
	    "version=0.0.4"));
	ck_assert_double_eq(sample(r.body,
	    "evecho_connections_accepted_total"), 7);
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
	ck_assert_int_eq(kill(e.pid, SIGTERM), 0);
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
			echo_on(fd[i], 64 * 1024, (uint32_t)(round + i));
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
	ck_assert_int_eq(kill(e.pid, SIGTERM), 0);
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
	    "OPTIONS", "PATCH" };
	struct http_reply	 r;
	struct evecho		 e;
	size_t			 i;
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
	http_ask(port, "HEAD", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "");
	http_free(&r);

	/* A client still open holds the drain; health says so. */
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	echo_on(fd, 10, 1);
	ck_assert_int_eq(kill(e.pid, SIGTERM), 0);
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
		ck_assert_int_eq(kill(e.pid, SIGTERM), 0);
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

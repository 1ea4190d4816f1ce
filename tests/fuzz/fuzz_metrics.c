/*
 * fuzz_metrics.c: libFuzzer target for the --metrics endpoint: what a
 * peer sends it, parsed by httpd.c and answered by metrics.c.  The input
 * is the bytes a client sends on one connection, then its end of
 * sending.  A real endpoint listens on 127.0.0.1 (its loop run here,
 * not on a thread), and a client socket carries the input.
 *
 * Checked on every input: the endpoint answers within a bounded number of
 * loop turns and never crashes; it sends at most one answer, and only if
 * the input holds the end of a request's head: one HTTP/1.1 status line
 * of 200, 400, 404, 405 or 431, with a Content-Length that the body
 * matches (for a GET; none is sent for HEAD); a GET or HEAD of exactly
 * /metrics or /healthz as the request is answered 200, and /metrics then
 * carries the exposition's content type.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "addr.h"
#include "fuzz.h"
#include "httpd.h"
#include "metrics.h"
#include "net.h"
#include "stats.h"

#define FUZZ_INPUT_MAX	(64 * 1024)	/* more is the same cap again */
#define FUZZ_TURNS	2000		/* loop turns before giving up */
#define FUZZ_REPLY_MAX	(1024 * 1024)

static struct metrics	 fuzz_endpoint;
static int		 fuzz_port;

static void	fuzz_metrics_open(void);
static void	fuzz_metrics_gather(struct stats_report *, void *);
static int	fuzz_metrics_connect(void);
static void	fuzz_metrics_check(const uint8_t *, size_t, const char *,
		    size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 reply[FUZZ_REPLY_MAX + 1];
	struct linger	 rst = { 1, 0 };
	size_t		 got = 0, sent = 0;
	ssize_t		 n;
	int		 fd, turn, eof = 0;

	if (size > FUZZ_INPUT_MAX)
		return (0);
	if (fuzz_port == 0)
		fuzz_metrics_open();
	fd = fuzz_metrics_connect();
	for (turn = 0; turn < FUZZ_TURNS && !eof; turn++) {
		if (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				sent = size;	/* the endpoint hung up */
			if (sent == size)
				(void)shutdown(fd, SHUT_WR);
		} else if (size == 0 && turn == 0)
			(void)shutdown(fd, SHUT_WR);
		if (event_base_loop(fuzz_endpoint.base, EVLOOP_NONBLOCK) ==
		    -1)
			fuzz_fail(__FILE__, __LINE__, "event loop failed");
		while ((n = recv(fd, reply + got, FUZZ_REPLY_MAX - got, 0)) >
		    0 && got < FUZZ_REPLY_MAX)
			got += (size_t)n;
		if (n == 0 || (n == -1 && errno != EAGAIN))
			eof = 1;	/* closed, or reset */
	}
	reply[got] = '\0';
	/* Reset: no TIME_WAIT left behind by a million connections. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
	close(fd);
	FUZZ_CHECK(eof);	/* answered and closed, or closed, in time */
	fuzz_metrics_check(data, size, reply, got);
	/* Let the endpoint see the reset and free the connection. */
	for (turn = 0; turn < 4; turn++)
		(void)event_base_loop(fuzz_endpoint.base, EVLOOP_NONBLOCK);
	return (0);
}

/* The endpoint, once per process; its loop is turned by hand. */
static void
fuzz_metrics_open(void)
{
	static const struct prom_build	 build = { "fuzz", "2.1", "epoll",
					    1 };
	struct addr_spec		 spec;
	char				 err[256];

	memset(&spec, 0, sizeof spec);
	snprintf(spec.host, sizeof spec.host, "127.0.0.1");
	if (metrics_open(&fuzz_endpoint, &spec, NULL, &build,
	    fuzz_metrics_gather, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_metrics: %s\n", err);
		abort();
	}
	fuzz_port = atoi(strrchr(fuzz_endpoint.http.names[0], ':') + 1);
}

/* Counters for the scrape: made up, but not all zero. */
static void
fuzz_metrics_gather(struct stats_report *r, void *arg)
{
	(void)arg;
	memset(r, 0, sizeof *r);
	stats_set(&r->sum.accepted, 3);
	r->open = 1;
}

/* A non-blocking client connection to the endpoint, accepted. */
static int
fuzz_metrics_connect(void)
{
	struct sockaddr_in	 sin;
	int			 fd, turn;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)fuzz_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Non-blocking first: libFuzzer's timer signal may interrupt it. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    evutil_make_socket_nonblocking(fd) == -1 ||
	    (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 &&
	    errno != EINPROGRESS && errno != EINTR)) {
		perror("fuzz_metrics: connect");
		abort();
	}
	for (turn = 0; turn < 4; turn++)	/* the endpoint accepts */
		(void)event_base_loop(fuzz_endpoint.base, EVLOOP_NONBLOCK);
	return (fd);
}

/* The invariants on what the endpoint answered to the input. */
static void
fuzz_metrics_check(const uint8_t *data, size_t size, const char *reply,
    size_t len)
{
	static const char *const good[] = {
		"GET /metrics HTTP/1.1\r\n", "GET /metrics HTTP/1.0\r\n",
		"HEAD /metrics HTTP/1.1\r\n", "GET /healthz HTTP/1.1\r\n",
		"HEAD /healthz HTTP/1.0\r\n", "GET /metrics?x HTTP/1.1\r\n",
	};
	const char	*body;
	size_t		 i, length;
	int		 code, head;

	if (len == 0) {
		/* Silence only for an unfinished head. */
		FUZZ_CHECK(memmem(data, size, "\r\n\r\n", 4) == NULL &&
		    memmem(data, size, "\n\n", 2) == NULL &&
		    size < HTTPD_REQUEST_MAX);
		return;
	}
	FUZZ_CHECK(sscanf(reply, "HTTP/1.1 %d ", &code) == 1);
	FUZZ_CHECK(code == 200 || code == 400 || code == 404 ||
	    code == 405 || code == 431);
	FUZZ_CHECK((body = strstr(reply, "\r\n\r\n")) != NULL);
	body += 4;
	FUZZ_CHECK(sscanf(strstr(reply, "Content-Length: ") +
	    strlen("Content-Length: "), "%zu", &length) == 1);
	head = size >= 5 && memcmp(data, "HEAD ", 5) == 0 && code != 400 &&
	    code != 431;
	FUZZ_CHECK((size_t)(reply + len - body) == (head ? 0 : length));
	FUZZ_CHECK(code != 405 || strstr(reply, "\r\nAllow: GET, HEAD\r\n") !=
	    NULL);
	/* A well-formed request for a known path is answered 200. */
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		size_t	 n = strlen(good[i]);

		if (size < n || memcmp(data, good[i], n) != 0)
			continue;
		FUZZ_CHECK(code == 200);
		if (strstr(good[i], "/metrics") != NULL)
			FUZZ_CHECK(strstr(reply, PROM_CONTENT_TYPE) != NULL);
	}
}

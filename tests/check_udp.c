/*
 * check_udp.c: the echo of datagrams on udp: listeners, end to end: the
 * real evecho, real UDP sockets on the loopback, every byte compared;
 * the guards, the rate limit, -U, the counters, and the drain.
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

#define WAIT_MS		10000	/* for an echo: sanitizers and valgrind */
#define QUIET_MS	400	/* no echo within this: none is coming */

/* Sizes echoed whole: the empty datagram, one byte, up to the largest. */
static const size_t sizes[] = { 0, 1, 2, 63, 64, 1400, 1472, 1473, 9000,
	32768, 65507 };

/* Send len pattern bytes on fd and expect exactly them back (or upper). */
static void
assert_udp_echo(int fd, size_t len, uint32_t seed)
{
	unsigned char	*data = pattern_new(len > 0 ? len : 1, seed);
	unsigned char	*back = malloc(65536);
	ssize_t		 n;

	ck_assert_ptr_nonnull(back);
	ck_assert_msg(send(fd, data, len, 0) == (ssize_t)len, "send %zu: %s",
	    len, strerror(errno));
	n = udp_recv(fd, back, 65536, WAIT_MS);
	ck_assert_msg(n == (ssize_t)len, "echo of %zu bytes: got %zd (%s)",
	    len, n, n == -1 ? strerror(errno) : "short");
	ck_assert_msg(memcmp(back, data, len) == 0, "echo of %zu bytes "
	    "differs", len);
	free(back);
	free(data);
}

/* The count before label in the last stats line, after a SIGUSR1. */
static unsigned long long
stats_count(struct evecho *e, const char *label)
{
	char			*log, *line, *p;
	unsigned long long	 v = 0;
	int			 before;

	before = evecho_log_count(e, "stats: ");
	ck_assert_int_eq(evecho_kill(e, SIGUSR1), 0);
	ck_assert_int_ge(evecho_wait_log_count(e, "stats: ", before + 1,
	    WAIT_MS), before + 1);
	ck_assert_ptr_nonnull(log = evecho_log(e));
	for (line = log; (p = strstr(line, "stats: ")) != NULL; line = p + 1)
		;
	ck_assert_msg(line != log, "no stats line");
	line = strstr(line - 1, "UDP ");
	ck_assert_ptr_nonnull(line);
	/* "..., 3 label": the number before label in the UDP part. */
	p = strstr(line, label);
	ck_assert_msg(p != NULL, "no '%s' in the stats line", label);
	while (p > line && p[-1] == ' ')
		p--;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	v = strtoull(p, NULL, 10);
	free(log);
	return (v);
}

/*
 * Assert that the count before label comes to want: a worker counts an
 * echo just after sending it, so the client may hold it a moment before
 * the count says so; asked again for up to WAIT_MS.
 */
static void
stats_expect(struct evecho *e, const char *label, unsigned long long want)
{
	long			 deadline = now_ms() + WAIT_MS;
	unsigned long long	 got;

	while ((got = stats_count(e, label)) != want && now_ms() < deadline)
		sleep_ms(20);
	ck_assert_msg(got == want, "stats: %llu%s, expected %llu", got, label,
	    want);
}

/* SIGTERM, and a clean exit. */
static void
udp_stop(struct evecho *e)
{
	ck_assert_int_eq(evecho_kill(e, SIGTERM), 0);
	evecho_must_exit_0(e, WAIT_MS);
}

/* Start evecho on udp:127.0.0.1:0 with more arguments; its UDP port. */
static int
start_udp(struct evecho *e, const char *addr, const char *const *more)
{
	const char	*argv[24] = { "-l", addr };
	size_t		 n = 2;
	int		 i;

	while (more != NULL && *more != NULL && n < 22)
		argv[n++] = *more++;
	argv[n] = NULL;
	evecho_must_start(e, argv);
	for (i = 0; i < e->naddrs; i++) {
		if (strncmp(e->addrs[i], "udp:", 4) == 0)
			return (atoi(strrchr(e->addrs[i], ':') + 1));
	}
	ck_abort_msg("no udp: address in the log");
	return (-1);
}

/* Every size from nothing to 65,507 bytes comes back whole, byte for byte. */
START_TEST(test_sizes)
{
	struct evecho	 e;
	int		 port, fd;

	port = start_udp(&e, "udp:127.0.0.1:0", NULL);
	fd = udp_connected(AF_INET, port);
	assert_udp_echo(fd, sizes[_i], (uint32_t)_i + 1);
	/* And again, the same socket: each datagram stands alone. */
	assert_udp_echo(fd, sizes[_i], (uint32_t)_i + 100);
	close(fd);
	udp_stop(&e);
}
END_TEST

/*
 * More than 65,507 bytes cannot even be sent over IPv4: the sender's
 * kernel refuses (EMSGSIZE), and nothing reaches evecho, which goes on.
 */
START_TEST(test_oversized)
{
	struct evecho	 e;
	unsigned char	*big = pattern_new(65508, 7);
	int		 port, fd;

	port = start_udp(&e, "udp:127.0.0.1:0", NULL);
	fd = udp_connected(AF_INET, port);
	ck_assert_int_eq(send(fd, big, 65508, 0), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	assert_udp_echo(fd, 65507, 8);
	stats_expect(&e, " in,", 1);
	stats_expect(&e, " truncated", 0);
	close(fd);
	free(big);
	udp_stop(&e);
}
END_TEST

/*
 * -U upper-cases a datagram, and leaves what is not a letter alone; -vv
 * logs it.
 */
START_TEST(test_uppercase)
{
	static const char	 in[] = "echo, Echo! 862 \xe9t\xe9";
	static const char	 want[] = "ECHO, ECHO! 862 \xe9T\xe9";
	const char *const	 more[] = { "-U", "-vv", NULL };
	struct evecho		 e;
	char			 back[64], line[96];
	int			 port, fd;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	fd = udp_connected(AF_INET, port);
	ck_assert_int_eq(send(fd, in, sizeof in - 1, 0), sizeof in - 1);
	ck_assert_int_eq(udp_recv(fd, back, sizeof back, WAIT_MS),
	    sizeof want - 1);
	ck_assert(memcmp(back, want, sizeof want - 1) == 0);
	/* -vv: a line per datagram, naming the transport. */
	snprintf(line, sizeof line, "udp:127.0.0.1:%d: datagram of %zu B "
	    "from 127.0.0.1:", port, sizeof in - 1);
	ck_assert_int_eq(evecho_wait_log(&e, line, WAIT_MS), 0);
	close(fd);
	udp_stop(&e);
}
END_TEST

/* IPv6: ::1, up to the largest payload IPv6 allows, 65,527 bytes. */
START_TEST(test_ipv6)
{
	struct evecho	 e;
	int		 port, fd;

	if (!ipv6_loopback_available()) {
		fprintf(stderr, "test_ipv6: skipped: no IPv6 loopback\n");
		return;
	}
	port = start_udp(&e, "udp:[::1]:0", NULL);
	ck_assert(strncmp(e.addrs[0], "udp:[::1]:", 10) == 0);
	fd = udp_connected(AF_INET6, port);
	assert_udp_echo(fd, 0, 1);
	assert_udp_echo(fd, 1400, 2);
	assert_udp_echo(fd, 65527, 3);
	close(fd);
	udp_stop(&e);
}
END_TEST

/*
 * A datagram from fd (bound where evecho must not answer) to evecho's
 * port gets no echo, and fd is closed; a client elsewhere is echoed.
 */
static void
assert_refused_then_served(int fd, int port)
{
	char	 back[16];
	int	 ok;

	udp_aim(fd, AF_INET, port);
	ck_assert_int_eq(send(fd, "loop?", 5, 0), 5);
	ck_assert_int_eq(udp_recv(fd, back, sizeof back, QUIET_MS), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(fd);
	ok = udp_connected(AF_INET, port);
	assert_udp_echo(ok, 5, 9);
	close(ok);
}

/*
 * A client bound to a port below 1024 (a service: echo, chargen, DNS...)
 * is never answered, and the refusal is counted and logged; a client on
 * an ordinary port still is.  Binding there takes root.
 */
START_TEST(test_low_port_refused)
{
	struct evecho	 e;
	int		 port, fd = -1, p;

	if (geteuid() != 0) {
		fprintf(stderr, "test_low_port_refused: skipped: binding a "
		    "port below 1024 takes root\n");
		return;
	}
	port = start_udp(&e, "udp:127.0.0.1:0", NULL);
	for (p = 1000; p < 1024 && fd == -1; p++)
		fd = udp_client(AF_INET, p);
	ck_assert_msg(fd != -1, "no free port from 1000 to 1023");
	assert_refused_then_served(fd, port);
	stats_expect(&e, " guarded", 1);
	stats_expect(&e, " out,", 1);
	stats_expect(&e, " in,", 2);
	ck_assert_int_eq(evecho_wait_log(&e, "no echo to 127.0.0.1:", WAIT_MS),
	    0);
	ck_assert_int_eq(evecho_log_count(&e, "source port below 1024"), 1);
	udp_stop(&e);
}
END_TEST

/*
 * A source on evecho's own port (here 127.0.0.2, at the listener's port
 * number) is taken for another echo service and never answered: two
 * echoes on one port would otherwise answer each other for ever.
 */
START_TEST(test_own_port_refused)
{
	struct sockaddr_in	 sin;
	struct evecho		 e;
	int			 port, fd;

	port = start_udp(&e, "udp:127.0.0.1:0", NULL);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr), 1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind 127.0.0.2:%d: %s", port, strerror(errno));
	assert_refused_then_served(fd, port);
	stats_expect(&e, " guarded", 1);
	ck_assert_int_eq(evecho_wait_log(&e, "no echo to 127.0.0.2:", WAIT_MS),
	    0);
	ck_assert_int_eq(evecho_log_count(&e, "source port is the listener's "
	    "own"), 1);
	udp_stop(&e);
}
END_TEST

/*
 * Within one batch: datagrams from a guarded port and from a good one,
 * queued while evecho is stopped, so one recvmmsg() takes them all.
 * Only the good ones come back, each whole and in order.
 */
START_TEST(test_mixed_batch)
{
	struct evecho	 e;
	unsigned char	 msg[8][200], back[256];
	const char *const more[] = { "--threads", "1", NULL };
	int		 port, bad = -1, good, p, i;
	ssize_t		 n;

	if (geteuid() != 0) {
		fprintf(stderr, "test_mixed_batch: skipped: binding a port "
		    "below 1024 takes root\n");
		return;
	}
	port = start_udp(&e, "udp:127.0.0.1:0", more);
	for (p = 1000; p < 1024 && bad == -1; p++)
		bad = udp_client(AF_INET, p);
	ck_assert(bad != -1);
	udp_aim(bad, AF_INET, port);
	good = udp_connected(AF_INET, port);
	ck_assert_int_eq(kill(e.pid, SIGSTOP), 0);
	for (i = 0; i < 8; i++) {
		pattern_fill(msg[i], sizeof msg[i], (uint32_t)i + 40);
		/* Lengths 100 to 170: a mix-up of lengths shows. */
		ck_assert_int_eq(send(i % 2 ? bad : good, msg[i], 100 + 10 * i,
		    0), 100 + 10 * i);
	}
	ck_assert_int_eq(kill(e.pid, SIGCONT), 0);
	for (i = 0; i < 8; i += 2) {
		n = udp_recv(good, back, sizeof back, WAIT_MS);
		ck_assert_int_eq(n, 100 + 10 * i);
		ck_assert(memcmp(back, msg[i], (size_t)n) == 0);
	}
	ck_assert_int_eq(udp_recv(good, back, sizeof back, QUIET_MS), -1);
	ck_assert_int_eq(udp_recv(bad, back, sizeof back, 0), -1);
	stats_expect(&e, " guarded", 4);
	stats_expect(&e, " B out,", 100 + 120 + 140 + 160);
	close(bad);
	close(good);
	udp_stop(&e);
}
END_TEST

/*
 * Echoes the kernel cuts (UDP_SEGMENT), from three sockets whose
 * datagrams are queued while evecho is stopped, so one batch holds them:
 * a run of equal lengths with another source between, a shorter one that
 * ends the run, a longer one, and a run too long for one message.  Each
 * comes back alone, whole and in its order; at -vv evecho says which it
 * sent as one message, so the test sees the grouping, not only its result.
 * Over IPv4, then IPv6.
 */
START_TEST(test_grouped_batch)
{
	static const struct {
		int		 af;
		const char	*listen, *peer;
	} fam[] = {
		{ AF_INET, "udp:127.0.0.1:0", "echoes to 127.0.0.1:" },
		{ AF_INET6, "udp:[::1]:0", "echoes to [::1]:" },
	};
	static const struct {
		int	 from;
		size_t	 len;
	} order[] = {
		{ 0, 300 }, { 1, 300 }, { 0, 300 }, { 2, 9000 }, { 0, 300 },
		{ 1, 300 }, { 2, 9000 }, { 0, 120 }, { 2, 9000 }, { 0, 300 },
		{ 2, 9000 }, { 0, 500 }, { 2, 9000 }, { 2, 9000 }, { 2, 9000 },
		{ 2, 9000 },
	};
	enum { N = sizeof order / sizeof order[0] };
	static unsigned char	 msg[N][9000], back[65536];
	const char *const more[] = { "--threads", "1", "-vv", NULL };
	struct evecho		 e;
	size_t			 i, bytes = 0;
	ssize_t			 n;
	char			 want[64];
	int			 port, fd[3], k;

	if (fam[_i].af == AF_INET6 && !ipv6_loopback_available()) {
		fprintf(stderr, "test_grouped_batch: IPv6: skipped: no IPv6 "
		    "loopback\n");
		return;
	}
	port = start_udp(&e, fam[_i].listen, more);
	for (k = 0; k < 3; k++)
		fd[k] = udp_connected(fam[_i].af, port);
	ck_assert_int_eq(kill(e.pid, SIGSTOP), 0);
	for (i = 0; i < N; i++) {
		pattern_fill(msg[i], order[i].len, (uint32_t)i + 70);
		ck_assert_int_eq(send(fd[order[i].from], msg[i], order[i].len,
		    0), (ssize_t)order[i].len);
		bytes += order[i].len;
	}
	ck_assert_int_eq(kill(e.pid, SIGCONT), 0);
	for (i = 0; i < N; i++) {
		n = udp_recv(fd[order[i].from], back, sizeof back, WAIT_MS);
		ck_assert_msg(n == (ssize_t)order[i].len, "datagram %zu: %zd "
		    "bytes back, not %zu", i, n, order[i].len);
		ck_assert_msg(memcmp(back, msg[i], order[i].len) == 0,
		    "datagram %zu differs", i);
	}
	for (k = 0; k < 3; k++)
		ck_assert_int_eq(udp_recv(fd[k], back, sizeof back, 0), -1);
	stats_expect(&e, " B out,", bytes);
	/* 4 x 300 B with the 120 B; 2 x 300 B; 7 x 9000 B; then the rest. */
	for (k = 2; k <= 7; k++) {
		snprintf(want, sizeof want, "%d %s", k, fam[_i].peer);
		ck_assert_int_eq(evecho_log_count(&e, want),
		    k == 2 || k == 4 || k == 7);
	}
	ck_assert_int_eq(evecho_log_count(&e, "in one message"), 3);
	for (k = 0; k < 3; k++)
		close(fd[k]);
	udp_stop(&e);
}
END_TEST

/*
 * --udp-rate 10: a burst of 50 from one host gets its bucket's 10 echoes
 * (and perhaps one refilled while the burst lasted), the rest are counted
 * as rate limited; another burst a second later gets 10 again.
 */
START_TEST(test_rate_limit)
{
	const char *const more[] = { "--udp-rate", "10", NULL };
	struct evecho	 e;
	char		 back[16];
	int		 port, fd, i, got, round, total = 0;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	fd = udp_connected(AF_INET, port);
	for (round = 0; round < 2; round++) {
		if (round > 0)
			sleep_ms(1100);		/* the bucket fills again */
		for (i = 0; i < 50; i++)
			ck_assert_int_eq(send(fd, "burst", 5, 0), 5);
		for (got = 0; udp_recv(fd, back, sizeof back,
		    got < 10 ? WAIT_MS : QUIET_MS) == 5; got++)
			;
		ck_assert_msg(got >= 10 && got <= 12, "round %d: %d echoes "
		    "of 50 at --udp-rate 10", round, got);
		total += got;
	}
	stats_expect(&e, " in,", 100);
	stats_expect(&e, " out,", (unsigned)total);
	stats_expect(&e, " rate_limited", (unsigned)(100 - total));
	ck_assert_int_eq(evecho_wait_log(&e, "is over --udp-rate 10",
	    WAIT_MS), 0);
	close(fd);
	udp_stop(&e);
}
END_TEST

/*
 * --udp-rate is per host however many workers: with --threads 3, eight
 * sockets of one host (eight ports, which the kernel's own hash would
 * spread over the workers) share one bucket of 10.
 */
START_TEST(test_rate_per_host)
{
	const char *const more[] = { "--threads", "3", "--udp-rate", "10",
		NULL };
	struct evecho	 e;
	char		 back[16];
	int		 port, fd[8], i, j, got = 0;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	ck_assert_int_eq(evecho_log_count(&e, "a host to one)"), 1);
	for (i = 0; i < 8; i++)
		fd[i] = udp_connected(AF_INET, port);
	for (j = 0; j < 10; j++)
		for (i = 0; i < 8; i++)
			ck_assert_int_eq(send(fd[i], "burst", 5, 0), 5);
	for (i = 0; i < 8; i++) {
		while (udp_recv(fd[i], back, sizeof back, QUIET_MS) == 5)
			got++;
		close(fd[i]);
	}
	ck_assert_msg(got >= 10 && got <= 12, "%d echoes of 80 from one host "
	    "at --udp-rate 10 over 3 workers", got);
	stats_expect(&e, " rate_limited", (unsigned)(80 -
	    got));
	udp_stop(&e);
}
END_TEST

/* --udp-rate 0 lifts the limit: a burst of 300 is echoed to the last. */
START_TEST(test_rate_unlimited)
{
	const char *const more[] = { "--udp-rate", "0", NULL };
	struct evecho	 e;
	char		 back[16];
	int		 port, fd, i, got;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	fd = udp_connected(AF_INET, port);
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(send(fd, "burst", 5, 0), 5);
	for (got = 0; got < 300 && udp_recv(fd, back, sizeof back,
	    WAIT_MS) == 5; got++)
		;
	ck_assert_int_eq(got, 300);
	stats_expect(&e, " rate_limited", 0);
	close(fd);
	udp_stop(&e);
}
END_TEST

/* Several workers, many clients: each gets its own echoes back. */
START_TEST(test_threads)
{
	const char *const more[] = { "--threads", "3", "--udp-rate", "0",
		NULL };
	struct evecho	 e;
	int		 port, fd[16], i, j;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	ck_assert_int_eq(evecho_log_count(&e, "(3 sockets, SO_REUSEPORT, one "
	    "per worker, a host to one)"), 1);
	for (i = 0; i < 16; i++)
		fd[i] = udp_connected(AF_INET, port);
	for (j = 0; j < 4; j++)
		for (i = 0; i < 16; i++)
			assert_udp_echo(fd[i], 100 + (size_t)i, (uint32_t)(i *
			    7 + j));
	for (i = 0; i < 16; i++)
		close(fd[i]);
	stats_expect(&e, " out,", 64);
	udp_stop(&e);
}
END_TEST

/* The counters in a scrape of --metrics, by transport and by reason. */
START_TEST(test_metrics)
{
	const char *const more[] = { "--metrics", "127.0.0.1:0", NULL };
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct evecho	 e;
	char		*log, *p, *body;
	size_t		 len, cap = 1 << 16;
	ssize_t		 n;
	long		 deadline;
	int		 port, mport, fd, web;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	ck_assert_int_eq(evecho_wait_log(&e, "metrics on http://", WAIT_MS), 0);
	log = evecho_log(&e);
	ck_assert_ptr_nonnull(p = strstr(log, "metrics on http://127.0.0.1:"));
	mport = atoi(p + strlen("metrics on http://127.0.0.1:"));
	free(log);
	fd = udp_connected(AF_INET, port);
	assert_udp_echo(fd, 10, 1);
	assert_udp_echo(fd, 20, 2);
	assert_udp_echo(fd, 0, 3);
	close(fd);

	/* The worker counts an echo just after sending it: ask again. */
	ck_assert_ptr_nonnull(body = malloc(cap));
	for (deadline = now_ms() + WAIT_MS;;) {
		ck_assert_int_ne(web = tcp_connect("127.0.0.1", mport), -1);
		ck_assert_int_eq(send_all(web, req, sizeof req - 1, WAIT_MS),
		    0);
		for (len = 0; len < cap - 1 && wait_readable(web, WAIT_MS) ==
		    1 && (n = recv(web, body + len, cap - 1 - len, 0)) > 0;)
			len += (size_t)n;
		body[len] = '\0';
		close(web);
		/* The empty echo adds no byte: wait for both counts. */
		if ((strstr(body, "\nevecho_udp_sent_bytes_total 30\n") !=
		    NULL && strstr(body, "\nevecho_udp_datagrams_sent_total "
		    "3\n") != NULL) || now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	ck_assert_msg(strstr(body, "\nevecho_udp_datagrams_received_total 3\n")
	    != NULL, "%s", body);
	ck_assert(strstr(body, "\nevecho_udp_datagrams_sent_total 3\n") != NULL);
	ck_assert(strstr(body, "\nevecho_udp_received_bytes_total 30\n") !=
	    NULL);
	ck_assert(strstr(body, "\nevecho_udp_sent_bytes_total 30\n") != NULL);
	ck_assert(strstr(body, "\nevecho_udp_refused_total{reason=\"guarded\"} "
	    "0\n") != NULL);
	ck_assert(strstr(body, "\nevecho_udp_refused_total{reason="
	    "\"rate_limited\"} 0\n") != NULL);
	ck_assert(strstr(body, "\nevecho_udp_refused_total{reason="
	    "\"truncated\"} 0\n") != NULL);
	ck_assert(strstr(body, "\nevecho_udp_refused_total{reason="
	    "\"send_failed\"} 0\n") != NULL);
	/* The TCP counters are apart: no connection, no byte. */
	ck_assert(strstr(body, "\nevecho_received_bytes_total 0\n") != NULL);
	free(body);
	udp_stop(&e);
}
END_TEST

/*
 * SIGTERM closes the UDP socket at once, even while a TCP client keeps
 * the drain going: a datagram then meets a closed port (ECONNREFUSED)
 * while evecho still runs; and evecho with UDP alone exits promptly.
 */
START_TEST(test_sigterm)
{
	const char *const more[] = { "-l", "127.0.0.1:0", "--drain-timeout",
		"20", NULL };
	struct evecho	 e;
	char		 back[16], tcpaddr[64];
	long		 t0;
	int		 port, fd, tcp, i, refused = 0, status;

	port = start_udp(&e, "udp:127.0.0.1:0", more);
	snprintf(tcpaddr, sizeof tcpaddr, "%s", e.addrs[0]);
	ck_assert(strncmp(tcpaddr, "127.0.0.1:", 10) == 0);
	ck_assert_int_ne(tcp = tcp_connect_addr(tcpaddr), -1);
	fd = udp_connected(AF_INET, port);
	assert_udp_echo(fd, 4, 1);
	t0 = now_ms();
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "SIGTERM", WAIT_MS), 0);
	for (i = 0; i < 50 && !refused; i++) {
		if (send(fd, "late", 4, 0) == -1 && errno == ECONNREFUSED) {
			refused = 1;
			break;
		}
		if (udp_recv(fd, back, sizeof back, 100) == -1 &&
		    errno == ECONNREFUSED)
			refused = 1;
	}
	ck_assert_msg(refused, "the UDP port still open after SIGTERM");
	ck_assert_int_ne(evecho_wait_exit(&e, 0, &status), 0);	/* draining */
	close(tcp);
	evecho_must_exit_0(&e, WAIT_MS);
	ck_assert_msg(now_ms() - t0 < 15000, "the drain waited for UDP");
	close(fd);

	/* UDP alone: nothing to drain, out at once. */
	port = start_udp(&e, "udp:127.0.0.1:0", NULL);
	t0 = now_ms();
	udp_stop(&e);
	ck_assert_msg(now_ms() - t0 < 3000, "%ld ms to stop", now_ms() - t0);
}
END_TEST

static Suite *
udp_suite(void)
{
	Suite	*s = suite_create("udp");
	TCase	*tc = tcase_create("udp");

	tcase_set_timeout(tc, 60);
	harness_add_loop_test(tc, test_sizes, 0,
	    sizeof sizes / sizeof sizes[0]);
	harness_add_test(tc, test_oversized);
	harness_add_test(tc, test_uppercase);
	harness_add_test(tc, test_ipv6);
	harness_add_test(tc, test_low_port_refused);
	harness_add_test(tc, test_own_port_refused);
	harness_add_test(tc, test_mixed_batch);
	harness_add_loop_test(tc, test_grouped_batch, 0, 2);
	harness_add_test(tc, test_rate_limit);
	harness_add_test(tc, test_rate_unlimited);
	harness_add_test(tc, test_rate_per_host);
	harness_add_test(tc, test_threads);
	harness_add_test(tc, test_metrics);
	harness_add_test(tc, test_sigterm);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(udp_suite()));
}

/*
 * check_abuse.c: what bounds hostile clients as a whole, on the real
 * evecho: the memory budget (--max-memory) that all their queued echo
 * shares, its fairness to clients with little queued, and the cap on
 * connections per host (--max-conns-per-host).
 */
#include "autoconfig.h"

#include <sys/socket.h>
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
#define MIB		(1024 * 1024)
#define GREEDY_BUF	65536	/* a greedy client's receive buffer */

/* A greedy client: connected, sending without reading. */
struct greedy {
	int		 fd;
	unsigned char	*data;
	size_t		 len, sent, got;
};

/*
 * Open n clients, with receive buffers of rcvbuf bytes, that each send
 * len bytes and read nothing, until the server stops taking more from
 * them all; every byte they sent stays owed to them.
 */
static struct greedy *
greedy_start(const char *addr, int n, size_t len, int rcvbuf)
{
	struct greedy	*g;
	long		 last, deadline = now_ms() + IO_TIMEOUT_MS;
	ssize_t		 k;
	int		 i, moved;

	g = calloc((size_t)n, sizeof *g);
	ck_assert_ptr_nonnull(g);
	for (i = 0; i < n; i++) {
		g[i].fd = tcp_connect_buffers(addr, GREEDY_BUF, rcvbuf);
		ck_assert_int_ne(g[i].fd, -1);
		ck_assert_int_eq(set_nonblocking(g[i].fd), 0);
		g[i].data = pattern_new(len, 100 + (uint32_t)i);
		g[i].len = len;
	}
	for (last = now_ms(); now_ms() - last < 300;) {
		ck_assert_msg(now_ms() < deadline, "greedy clients never "
		    "stalled");
		for (i = 0, moved = 0; i < n; i++) {
			if (g[i].sent == len)
				continue;
			k = send(g[i].fd, g[i].data + g[i].sent, len - g[i].sent,
			    MSG_NOSIGNAL);
			if (k > 0) {
				g[i].sent += (size_t)k;
				moved = 1;
			} else
				ck_assert_msg(errno == EAGAIN, "send: %s",
				    strerror(errno));
		}
		if (moved)
			last = now_ms();
		else
			sleep_ms(5);
	}
	return (g);
}

/* Read what greedy client c has waiting; fail on a wrong byte or EOF. */
static void
greedy_read(struct greedy *c, int i)
{
	unsigned char	 buf[65536];
	ssize_t		 k;

	while (c->got < c->len) {
		k = recv(c->fd, buf, sizeof buf, 0);
		ck_assert_msg(k != 0, "client %d: EOF after %zu of %zu bytes",
		    i, c->got, c->len);
		if (k < 0) {
			ck_assert_msg(errno == EAGAIN, "client %d: %s", i,
			    strerror(errno));
			return;
		}
		ck_assert_msg(c->got + (size_t)k <= c->sent && memcmp(buf,
		    c->data + c->got, (size_t)k) == 0, "client %d: wrong bytes "
		    "at offset %zu", i, c->got);
		c->got += (size_t)k;
	}
}

/*
 * Now every greedy client reads, and sends what it had left, then with
 * half_close shuts down its sending side: each gets all it sent, exact.
 */
static void
greedy_finish(struct greedy *g, int n, int half_close)
{
	struct pollfd	*pfd;
	long		 deadline = now_ms() + 2 * IO_TIMEOUT_MS;
	ssize_t		 k;
	int		*idx, i, m;

	pfd = calloc((size_t)n, sizeof *pfd);
	idx = calloc((size_t)n, sizeof *idx);
	ck_assert(pfd != NULL && idx != NULL);
	for (i = 0; half_close && i < n; i++) {
		if (g[i].sent == g[i].len)
			shutdown(g[i].fd, SHUT_WR);
	}
	for (;;) {
		for (i = 0, m = 0; i < n; i++) {
			if (g[i].got == g[i].len)
				continue;
			pfd[m].fd = g[i].fd;
			pfd[m].events = POLLIN | (g[i].sent < g[i].len ?
			    POLLOUT : 0);
			idx[m++] = i;
		}
		if (m == 0)
			break;
		ck_assert_msg(now_ms() < deadline, "%d greedy clients never "
		    "got all their echo", m);
		ck_assert_int_ne(poll(pfd, (nfds_t)m, 100), -1);
		for (i = 0; i < m; i++) {
			struct greedy *c = &g[idx[i]];

			if ((pfd[i].revents & POLLOUT) && (k = send(c->fd,
			    c->data + c->sent, c->len - c->sent,
			    MSG_NOSIGNAL)) > 0 && (c->sent += (size_t)k) ==
			    c->len && half_close)
				shutdown(c->fd, SHUT_WR);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				greedy_read(c, idx[i]);
		}
	}
	for (i = 0; i < n; i++) {
		close(g[i].fd);
		free(g[i].data);
	}
	free(pfd);
	free(idx);
	free(g);
}

/*
 * Many clients that send without reading, each allowed a 1 MiB queue,
 * together hold no more memory than --max-memory: evecho stops reading
 * from them instead.  Once they read, each gets every byte, in order.
 */
START_TEST(test_budget_bounds_memory)
{
	static const char *const args[] = { "-vv", "--max-memory", "4M",
	    "--threads", "2", "-l", "127.0.0.1:0", NULL };
	const int	 n = 20;
	struct greedy	*g;
	struct evecho	 e;
	long		 rss0, rss1;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_wait_log(&e, "memory 4M,", 0), 0);
	rss0 = evecho_rss_kb(&e);
	g = greedy_start(e.addrs[0], n, 8 * MIB, GREEDY_BUF);
	rss1 = evecho_rss_kb(&e);
	fprintf(stderr, "test_budget_bounds_memory: %d clients sent without "
	    "reading; RSS %ld -> %ld KiB\n", n, rss0, rss1);
	ck_assert_msg(evecho_wait_log(&e, "waits for memory", 1000) == 0,
	    "no client ever waited for memory");
	/* 20 queues of 1 MiB would be 20 MiB; the budget is 4. */
	if (!harness_wrapped("test_budget_bounds_memory: RSS") &&
	    !harness_sanitized("test_budget_bounds_memory: RSS"))
		ck_assert_msg(rss1 - rss0 < 4 * 1024 + 1536, "RSS grew by %ld "
		    "KiB with --max-memory 4M", rss1 - rss0);
	greedy_finish(g, n, 0);
	ck_assert_int_eq(evecho_wait_exit(&e, 0, NULL), -1);
	evecho_stop(&e);
}
END_TEST

/*
 * Hundreds of clients share a budget of a few KiB each: however they
 * wait for room, none is left waiting once they all read, though a read
 * echoed straight back frees no memory to say room has come.
 */
START_TEST(test_budget_no_starving)
{
	static const char *const args[] = { "--max-memory", "1M",
	    "--threads", "1", "-l", "127.0.0.1:0", NULL };
	struct greedy	*g;
	struct evecho	 e;

	/* 1.2 GB of traffic: a load test, too slow instrumented. */
	if (harness_wrapped("test_budget_no_starving") ||
	    harness_sanitized("test_budget_no_starving"))
		return;
	evecho_must_start(&e, args);
	g = greedy_start(e.addrs[0], 300, 4 * MIB, 4096);
	greedy_finish(g, 300, 1);
	evecho_stop(&e);
}
END_TEST

/*
 * One round trip of len bytes in pieces of piece bytes, reading as it
 * goes: a client that keeps up.  0 if it all came back in time.
 */
static int
polite_exchange(const char *addr, size_t len, size_t piece, int timeout_ms)
{
	unsigned char	*data;
	int		 fd, rc;

	data = pattern_new(len, 7);
	fd = tcp_connect_addr(addr);
	ck_assert_int_ne(fd, -1);
	rc = echo_stream(fd, data, len, piece, timeout_ms);
	close(fd);
	free(data);
	return (rc);
}

/*
 * Greedy clients cannot starve the rest: while they hold the budget, a
 * client with nothing queued still gets its echo, at once, because the
 * last quarter of the budget is kept for such clients.  With several
 * workers, credit one of them holds spare goes to the one in need.
 */
START_TEST(test_budget_fair)
{
	/*
	 * One worker and ten greedy clients; or four workers and three,
	 * on workers 0 to 2, so that the polite client lands on worker 3,
	 * which holds no credit while the others may hold some spare.
	 */
	static const char *const threads[] = { "1", "4" };
	static const int greedy[] = { 10, 3 };
	const char	*args[] = { "-vv", "--max-memory", "2M", "--threads",
	    threads[_i], "-l", "127.0.0.1:0", NULL };
	const int	 n = greedy[_i];
	struct greedy	*g;
	struct evecho	 e;
	long		 t0;
	int		 i;

	evecho_must_start(&e, args);
	g = greedy_start(e.addrs[0], n, 8 * MIB, GREEDY_BUF);
	ck_assert_msg(evecho_wait_log(&e, "waits for memory", 1000) == 0,
	    "the greedy clients never met the budget");
	t0 = now_ms();
	for (i = 0; i < 3; i++) {
		ck_assert_msg(polite_exchange(e.addrs[0], 64 * 1024, 512,
		    5000) == 0, "a polite client was starved while greedy "
		    "ones held the budget");
		ck_assert_msg(polite_exchange(e.addrs[0], 2 * MIB, 0,
		    5000) == 0, "a polite stream was starved while greedy "
		    "ones held the budget");
	}
	fprintf(stderr, "test_budget_fair: polite clients served in %ld ms\n",
	    now_ms() - t0);
	greedy_finish(g, n, 0);
	evecho_stop(&e);
}
END_TEST

/* The default budget is a quarter of RAM (or of the cgroup's limit). */
START_TEST(test_budget_default)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	char		*log, *p, size[32], source[64], line[256], want[32];
	unsigned long long total = 0;
	double		 quarter;
	FILE		*fp;

	evecho_must_start(&e, args);
	log = evecho_log(&e);
	ck_assert_ptr_nonnull(log);
	p = strstr(log, "memory budget ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "memory budget %31s (a quarter of %63[^)])",
	    size, source), 2);
	free(log);
	if (strcmp(source, "RAM") != 0) {
		fprintf(stderr, "test_budget_default: a quarter of %s, not "
		    "checked against RAM\n", source);
		evecho_stop(&e);
		return;
	}
	fp = fopen("/proc/meminfo", "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "MemTotal: %llu kB", &total) == 1)
			break;
	fclose(fp);
	ck_assert_uint_gt(total, 0);
	quarter = (double)total * 1024 / 4;
	if (quarter >= 1024.0 * MIB)
		snprintf(want, sizeof want, "%.1fG", quarter / (1024.0 * MIB));
	else
		snprintf(want, sizeof want, "%.1fM", quarter / MIB);
	/* Exact units print without the ".0". */
	if (strcmp(size, want) != 0 && strlen(want) > 3 &&
	    strstr(want, ".0") != NULL) {
		char *dot = strstr(want, ".0");

		memmove(dot, dot + 2, strlen(dot + 2) + 1);
	}
	ck_assert_str_eq(size, want);
	evecho_stop(&e);
}
END_TEST

/* One byte there and back: 0, or -1 if the connection is closed. */
static int
ping(int fd, unsigned char b)
{
	unsigned char	 in;

	if (send_all(fd, &b, 1, IO_TIMEOUT_MS) == -1 ||
	    recv_exact(fd, &in, 1, IO_TIMEOUT_MS) == -1)
		return (-1);
	ck_assert_uint_eq(in, b);
	return (0);
}

/*
 * --max-conns-per-host: a host at its cap has its next connections closed
 * at once, each counted and the host named in the log once a minute;
 * another host has a cap of its own, and a closed connection makes room.
 */
START_TEST(test_per_host_cap)
{
	static const char *const args[] = { "-v", "--max-conns-per-host",
	    "3", "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b;
	int		 fds[3], extra, i, status;
	long		 t0;
	char		 want[128];

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_wait_log(&e, "connections, 3 per host,", 0),
	    0);
	for (i = 0; i < 3; i++) {
		fds[i] = tcp_connect_from("127.0.0.1", e.port);
		ck_assert_int_eq(ping(fds[i], (unsigned char)i), 0);
	}
	for (i = 0; i < 6; i++) {	/* refused at once, every time */
		extra = tcp_connect_from("127.0.0.1", e.port);
		t0 = now_ms();
		b = 'x';
		send_all(extra, &b, 1, IO_TIMEOUT_MS);
		ck_assert_msg(wait_readable(extra, 2000) == 1, "a connection "
		    "over the cap was left open");
		ck_assert_msg(recv(extra, &b, 1, 0) <= 0, "a connection over "
		    "the cap was served");
		ck_assert_int_lt(now_ms() - t0, 2000);
		close(extra);
	}
	/* The log comes in order: once the refusals are in, so is that. */
	ck_assert_int_eq(evecho_wait_log_count(&e, "refused: its host is at "
	    "--max-conns-per-host", 5, IO_TIMEOUT_MS), 5);
	ck_assert_int_eq(evecho_log_count(&e, "warning: host 127.0.0.1 is at "
	    "--max-conns-per-host 3; closing its new connections (1 so far)"),
	    1);
	ck_assert_int_eq(evecho_log_count(&e, "warning: host "), 1);
	ck_assert_int_eq(evecho_log_count(&e, "refused: its host is at "
	    "--max-conns-per-host"), 5);
	/* Another host, 127.0.0.2, has room of its own. */
	extra = tcp_connect_from("127.0.0.2", e.port);
	ck_assert_int_eq(ping(extra, 'y'), 0);
	/* A connection closed makes room for its host. */
	close(fds[0]);
	for (i = 0; i < 100; i++) {	/* until evecho has seen the close */
		fds[0] = tcp_connect_from("127.0.0.1", e.port);
		if (ping(fds[0], 'z') == 0)
			break;
		close(fds[0]);
		sleep_ms(10);
	}
	ck_assert_int_lt(i, 100);
	snprintf(want, sizeof want, "refused %d connection%s over "
	    "--max-conns-per-host", 6 + i, 6 + i == 1 ? "" : "s");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ping(fds[i], 'w'), 0);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(extra);
	evecho_kill(&e, SIGTERM);
	ck_assert_int_eq(evecho_wait_exit(&e, IO_TIMEOUT_MS, &status), 0);
	ck_assert_msg(evecho_log_count(&e, want) == 1, "no line '%s'", want);
	evecho_stop(&e);
}
END_TEST

/*
 * Hosts at the cap are warned about once per flood, not one line each:
 * five loopback hosts reach a cap of 1 within 10 s, and one warning
 * stands for them all; the exit line still counts every refusal.
 */
START_TEST(test_per_host_warnings_summarised)
{
	static const char *const args[] = { "--max-conns-per-host", "1",
	    "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b;
	int		 kept[5], extra, i;
	char		 src[32];

	evecho_must_start(&e, args);
	for (i = 0; i < 5; i++) {
		snprintf(src, sizeof src, "127.0.0.%d", i + 2);
		kept[i] = tcp_connect_from(src, e.port);
		ck_assert_int_eq(ping(kept[i], 'k'), 0);
		extra = tcp_connect_from(src, e.port);
		ck_assert_msg(wait_readable(extra, 2000) == 1, "a connection "
		    "over the cap was left open");
		ck_assert_msg(recv(extra, &b, 1, 0) <= 0, "served over the "
		    "cap");
		close(extra);
	}
	for (i = 0; i < 5; i++)
		close(kept[i]);
	/* Once evecho has exited, its log is all written. */
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(evecho_wait_exit(&e, IO_TIMEOUT_MS, NULL), 0);
	ck_assert_int_eq(evecho_log_count(&e, "refused 5 connections over "
	    "--max-conns-per-host"), 1);
	ck_assert_int_eq(evecho_log_count(&e, "warning: host 127.0.0.2 is at "
	    "--max-conns-per-host 1"), 1);
	ck_assert_int_eq(evecho_log_count(&e, "warning: host "), 1);
	evecho_stop(&e);
}
END_TEST

static Suite *
abuse_suite(void)
{
	Suite	*s = suite_create("abuse");
	TCase	*tc = tcase_create("abuse");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_budget_bounds_memory);
	harness_add_loop_test(tc, test_budget_fair, 0, 2);
	harness_add_test(tc, test_budget_no_starving);
	harness_add_test(tc, test_budget_default);
	harness_add_test(tc, test_per_host_cap);
	harness_add_test(tc, test_per_host_warnings_summarised);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(abuse_suite()));
}

/*
 * check_stats.c: evecho's counters, as SIGUSR1 and --stats-interval log
 * them, against what the test's own clients did: connections by how they
 * ended, refusals, bytes each way.
 */
#include "autoconfig.h"

#include <sys/ioctl.h>
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

#define IO_TIMEOUT_MS	30000

struct counted {
	unsigned		 open;
	unsigned long long	 accepted, client, reset, idle, error, shutdown;
	unsigned long		 refused;
	unsigned long long	 in, out, acked;
	unsigned long long	 limit_pauses, limit_s, limit_ms;
};

/* The last stats line in the log, parsed. */
static void
last_stats(struct evecho *e, struct counted *c)
{
	char	*log, *p, *last = NULL, *limit;

	ck_assert_ptr_nonnull(log = evecho_log(e));
	for (p = log; (p = strstr(p, "stats: ")) != NULL; p++)
		last = p;
	ck_assert_ptr_nonnull(last);
	ck_assert_msg(sscanf(last, "stats: %u open, %llu accepted; ended %llu "
	    "client, %llu reset, %llu idle, %llu error, %llu shutdown, %*u "
	    "protocol, %*u handshake; %lu "
	    "refused per host; %llu B in, %llu B out, %llu B acked;",
	    &c->open, &c->accepted, &c->client, &c->reset, &c->idle,
	    &c->error, &c->shutdown, &c->refused, &c->in, &c->out,
	    &c->acked) == 11, "cannot read: %.300s", last);
	ck_assert_ptr_nonnull(limit = strstr(last, " of "));
	ck_assert_msg(sscanf(limit, " of %*s %llu pauses at --max-conns "
	    "(%llu.%llu s);", &c->limit_pauses, &c->limit_s,
	    &c->limit_ms) == 3, "cannot read: %.300s", last);
	free(log);
}

/*
 * Three clients echo and close, one resets, one idles out, and from a
 * second host three are served and a fourth refused at the cap: SIGUSR1
 * then says exactly that, and every byte in came back out.
 */
START_TEST(test_sigusr1_counts)
{
	static const char *const args[] = { "-v", "-t", "0.3",
	    "--max-conns-per-host", "3", "-l", "127.0.0.1:0", NULL };
	struct linger	 rst = { 1, 0 };
	struct evecho	 e;
	struct counted	 c;
	unsigned char	 b;
	int		 fd, held[3], i;
	size_t		 in = 0;

	evecho_must_start(&e, args);
	for (i = 0; i < 3; i++) {	/* echoed, then closed by the client */
		fd = tcp_connect_from("127.0.0.1", e.port);
		echo_pattern(fd, 1000 * (size_t)(i + 1), (uint32_t)i);
		in += 1000 * (size_t)(i + 1);
		ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
		ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
		close(fd);
	}
	fd = tcp_connect_from("127.0.0.1", e.port);	/* reset */
	echo_pattern(fd, 500, 7);
	in += 500;
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
	    sizeof rst), 0);
	close(fd);
	fd = tcp_connect_from("127.0.0.1", e.port);	/* idles out */
	echo_pattern(fd, 10, 8);
	in += 10;
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	for (i = 0; i < 3; i++) {		/* a second host, at its cap */
		held[i] = tcp_connect_from("127.0.0.2", e.port);
		echo_pattern(held[i], 1, 9);
		in += 1;
	}
	fd = tcp_connect_from("127.0.0.2", e.port);
	ck_assert_int_eq(wait_readable(fd, IO_TIMEOUT_MS), 1);
	ck_assert_int_le(recv(fd, &b, 1, 0), 0);
	close(fd);
	for (i = 0; i < 3; i++)
		close(held[i]);
	/* Every close seen, then asked. */
	ck_assert_int_eq(evecho_wait_log_count(&e, " closed (", 8,
	    IO_TIMEOUT_MS), 8);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "stats: ", IO_TIMEOUT_MS), 0);
	last_stats(&e, &c);
	ck_assert_uint_eq(c.open, 0);
	ck_assert_uint_eq(c.accepted, 8);
	ck_assert_uint_eq(c.client, 6);
	ck_assert_uint_eq(c.reset, 1);
	ck_assert_uint_eq(c.idle, 1);
	ck_assert_uint_eq(c.error, 0);
	ck_assert_uint_eq(c.shutdown, 0);
	ck_assert_uint_eq(c.refused, 1);
	ck_assert_uint_eq(c.in, in);
	ck_assert_uint_eq(c.out, in);
	/* All but the reset one's 500 B surely arrived. */
	ck_assert_uint_ge(c.acked, in - 500);
	ck_assert_uint_le(c.acked, in);
	ck_assert_uint_eq(c.limit_pauses, 0);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * --stats-interval logs the line by itself; a connection still open at
 * SIGTERM ends as a shutdown, and echo bigger than the socket takes at
 * once is counted out as the queue drains.
 */
START_TEST(test_stats_interval)
{
	static const char *const args[] = { "--stats-interval", "0.2", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	struct counted	 c;
	unsigned char	*data, *back;
	size_t		 sent;
	int		 fd;

	evecho_must_start(&e, args);
	ck_assert_int_ne(fd = tcp_connect_buffers(e.addrs[0], 4096, 4096),
	    -1);
	/*
	 * Sent unread until evecho stops reading: then the kernel's buffers
	 * are full and echo waits in evecho's queue, whose sending counts
	 * too.  Then the rest, and all of it read back.
	 */
	ck_assert_ptr_nonnull(data = pattern_new(4 << 20, 11));
	ck_assert_int_eq(set_nonblocking(fd), 0);
	sent = send_until_stalled(fd, data, 4 << 20, 500);
	ck_assert_uint_gt(sent, 0);
	ck_assert_ptr_nonnull(back = malloc(sent));
	ck_assert_int_eq(recv_exact(fd, back, sent, IO_TIMEOUT_MS), 0);
	ck_assert_mem_eq(back, data, sent);
	free(back);
	if (sent < 4 << 20)
		ck_assert_int_eq(echo_stream(fd, data + sent, (4 << 20) - sent,
		    (4 << 20) - sent, IO_TIMEOUT_MS), 0);
	free(data);
	ck_assert_int_ge(evecho_wait_log_count(&e, "stats: ", 3, 5000), 3);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	/* The last line, at exit, has the drained connection too. */
	last_stats(&e, &c);
	ck_assert_uint_eq(c.open, 0);
	ck_assert_uint_eq(c.shutdown, 1);
	ck_assert_uint_eq(c.accepted, 1);
	ck_assert_uint_eq(c.in, 4 << 20);
	ck_assert_uint_eq(c.out, 4 << 20);
	ck_assert_uint_eq(c.acked, 4 << 20);
	evecho_stop(&e);
}
END_TEST

/*
 * Bytes handed to the kernel are not bytes sent: a client that takes
 * 1000 B of its echo and resets has acknowledged only what it read and
 * what its own socket holds, and the count at close says so.
 */
START_TEST(test_acked_is_what_arrived)
{
	static const char *const args[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct linger	 rst = { 1, 0 };
	struct evecho	 e;
	struct counted	 c;
	unsigned char	*data = pattern_new(256 << 10, 21), got[1000];
	int		 fd, inq;

	evecho_must_start(&e, args);
	ck_assert_int_ne(fd = tcp_connect_buffers(e.addrs[0], 0, 4096), -1);
	ck_assert_int_eq(send_all(fd, data, 256 << 10, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, got, sizeof got, IO_TIMEOUT_MS), 0);
	ck_assert_mem_eq(got, data, sizeof got);
	sleep_ms(300);		/* the client's delayed ACKs go out */
	ck_assert_int_eq(ioctl(fd, FIONREAD, &inq), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst,
	    sizeof rst), 0);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, " closed (", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "stats: ", IO_TIMEOUT_MS), 0);
	last_stats(&e, &c);
	ck_assert_uint_eq(c.in, 256 << 10);
	ck_assert_uint_ge(c.acked, sizeof got);
	ck_assert_uint_le(c.acked, sizeof got + (unsigned)inq);
	ck_assert_uint_gt(c.out, c.acked);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
	free(data);
}
END_TEST

/*
 * At --max-conns 1 a second client waits in the backlog: that is one
 * pause, timed until the first client leaves.
 */
START_TEST(test_limit_pauses)
{
	static const char *const args[] = { "-m", "1", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	struct counted	 c;
	int		 first, second;

	evecho_must_start(&e, args);
	first = tcp_connect("127.0.0.1", e.port);
	echo_pattern(first, 10, 31);
	second = tcp_connect("127.0.0.1", e.port);	/* in the backlog */
	sleep_ms(400);
	close(first);
	echo_pattern(second, 10, 32);	/* accepted now */
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "stats: ", IO_TIMEOUT_MS), 0);
	last_stats(&e, &c);
	/* Paused at the first client, and again at the second. */
	ck_assert_uint_eq(c.limit_pauses, 2);
	ck_assert_uint_ge(c.limit_s * 1000 + c.limit_ms, 350);
	close(second);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite	*s = suite_create("stats");
	TCase	*tc = tcase_create("stats");

	tcase_set_timeout(tc, 60);
	harness_add_test(tc, test_sigusr1_counts);
	harness_add_test(tc, test_stats_interval);
	harness_add_test(tc, test_acked_is_what_arrived);
	harness_add_test(tc, test_limit_pauses);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(stats_suite()));
}

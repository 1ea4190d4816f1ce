/*
 * check_limits.c: what bounds the server: backpressure on clients that do
 * not read, the idle timeout, and the connection limit.
 */
#include "autoconfig.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	30000
#define SMALL_BUF	65536	/* client socket buffers, to stall early */

/* Start a connect to 127.0.0.1:port on a non-blocking socket. */
static int
connect_nowait(int fd, int port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 &&
	    errno != EINPROGRESS)
		return (-1);
	return (0);
}

/* A non-blocking client with small socket buffers: the kernel holds little. */
static int
small_client(const char *addr)
{
	int	 fd;

	fd = tcp_connect_buffers(addr, SMALL_BUF, SMALL_BUF);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	return (fd);
}

/*
 * How much a small_client() must send, without reading, so that evecho
 * surely stops reading it: more than the kernel can hold of the echo on
 * its way back, plus evecho's queue of `queue` bytes and one read, with
 * a megabyte to spare; never less than `min`.
 */
static size_t
past_pause(size_t queue, size_t min)
{
	size_t	 len = kernel_echo_room(SMALL_BUF) + queue + 65536 +
		    1024 * 1024;

	return (len > min ? len : min);
}

/*
 * Check the queue size of every -vv line "<what>: N B queued" (what is
 * "paused reading" or "resumed reading") against [min, max]; how many.
 */
static int
check_logged_queue(struct evecho *e, const char *what, size_t min,
    size_t max)
{
	char	*log, *p, fmt[64];
	size_t	 queued;
	int	 n = 0;

	snprintf(fmt, sizeof fmt, "%s: %%zu B queued", what);
	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	for (p = log; (p = strstr(p, what)) != NULL; p += strlen(what)) {
		ck_assert_msg(sscanf(p, fmt, &queued) == 1, "cannot read the "
		    "queue size in '%.80s'", p);
		ck_assert_msg(queued >= min && queued <= max, "%s with %zu B "
		    "queued, outside [%zu, %zu]", what, queued, min, max);
		n++;
	}
	free(log);
	return (n);
}

/*
 * Read the echo of all len bytes from offset `got` on, in order, while
 * sending what is left after the first `sent`; reading at most `per_read`
 * bytes every `pause_ms` to play a slow reader.
 */
static void
finish_echo_at(int fd, const unsigned char *data, size_t len, size_t sent,
    size_t got, size_t per_read, int pause_ms)
{
	unsigned char	 buf[65536];
	size_t		 want;
	long		 deadline = now_ms() + 2 * IO_TIMEOUT_MS;
	struct pollfd	 pfd;
	ssize_t		 n;

	pfd.fd = fd;
	while (got < len) {
		ck_assert_msg(now_ms() < deadline, "timed out at %zu of %zu",
		    got, len);
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		ck_assert_int_ne(poll(&pfd, 1, 100), -1);
		if ((pfd.revents & POLLOUT) && (n = send(fd, data + sent,
		    len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		want = per_read < sizeof buf ? per_read : sizeof buf;
		n = recv(fd, buf, want, 0);
		ck_assert_msg(n > 0 || (n == -1 && errno == EAGAIN),
		    "connection lost at %zu of %zu bytes", got, len);
		if (n <= 0)
			continue;
		ck_assert_msg(memcmp(buf, data + got, (size_t)n) == 0,
		    "wrong bytes at offset %zu", got);
		got += (size_t)n;
		if (pause_ms > 0)
			sleep_ms(pause_ms);
	}
}

static void
finish_echo(int fd, const unsigned char *data, size_t len, size_t sent,
    size_t per_read, int pause_ms)
{
	finish_echo_at(fd, data, len, sent, 0, per_read, pause_ms);
}

/* The rest of the echo, read as fast as it comes. */
static void
finish_echo_from(int fd, const unsigned char *data, size_t len,
    size_t sent, size_t got)
{
	finish_echo_at(fd, data, len, sent, got, SIZE_MAX, 0);
}

/*
 * A client that sends 32 MiB (or more, past what the kernel can hold)
 * without reading cannot grow the server: the server stops reading at
 * --max-queue (default 1 MiB) and its memory stays bounded, whatever the
 * kernel's buffers hold; once the client reads, every byte arrives, in
 * order.
 */
START_TEST(test_backpressure)
{
	static const char *const args[] = { "-vv", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, sent;
	long		 rss0, rss1;
	int		 fd;

	len = past_pause(1024 * 1024, 32 * 1024 * 1024);
	data = pattern_new(len, 20);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	rss0 = evecho_rss_kb(&e);
	ck_assert_int_gt(rss0, 0);

	sent = send_until_stalled(fd, data, len, 500);
	rss1 = evecho_rss_kb(&e);
	fprintf(stderr, "test_backpressure: client stalled after %zu bytes; "
	    "server RSS %ld -> %ld KiB\n", sent, rss0, rss1);
	ck_assert_msg(evecho_wait_log(&e, "paused reading: ", 1000) == 0,
	    "the client sent %zu bytes without reading: the server never "
	    "stopped reading", sent);
	/* Under valgrind RSS measures valgrind; the stall still counts. */
	if (!harness_wrapped("test_backpressure RSS check"))
		ck_assert_msg(rss1 - rss0 < 12 * 1024, "server RSS grew by "
		    "%ld KiB while a client sent %zu bytes without reading",
		    rss1 - rss0, sent);

	finish_echo(fd, data, len, sent, SIZE_MAX, 0);
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/* A small --max-queue: reading pauses and resumes, and -vv says so. */
START_TEST(test_backpressure_small_queue)
{
	static const char *const args[] = { "-vv", "--max-queue", "16k",
	    "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, sent;
	int		 fd;

	len = past_pause(16 * 1024, 8 * 1024 * 1024);
	data = pattern_new(len, 21);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	sent = send_until_stalled(fd, data, len, 300);
	ck_assert_msg(evecho_wait_log(&e, "paused reading", 1000) == 0,
	    "no pause logged");
	finish_echo(fd, data, len, sent, SIZE_MAX, 0);
	ck_assert_msg(evecho_wait_log(&e, "resumed reading", 1000) == 0,
	    "no resume logged");
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/*
 * Reading resumes at the low watermark, half of --max-queue, not at the
 * high one.  With --max-queue 64k evecho stops reading a client once 64
 * KiB are queued for it and reads again only when the queue has drained
 * to 32 KiB; -vv logs the queue at every pause and resume, and the test
 * checks each one.  (Resuming at the high mark pauses more often, but
 * how much more depends on the reader's pace and the machine; the logged
 * levels do not.  libevent writes at most 16 KiB per write event, so a
 * resume on the first write below 64 KiB logs more than 32.)
 */
START_TEST(test_backpressure_resume_low)
{
	static const char *const args[] = { "-vv", "--max-queue", "64k",
	    "-l", "127.0.0.1:0", NULL };
	const size_t	 high = 64 * 1024, low = high / 2;
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, sent;
	int		 fd, pauses, resumes;

	len = past_pause(high, 8 * 1024 * 1024);
	data = pattern_new(len, 25);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	sent = send_until_stalled(fd, data, len, 300);
	/* 16 KiB a millisecond: slower than evecho, so the queue refills. */
	finish_echo(fd, data, len, sent, 16 * 1024, 1);
	close(fd);
	pauses = check_logged_queue(&e, "paused reading", high, SIZE_MAX);
	resumes = check_logged_queue(&e, "resumed reading", 0, low);
	ck_assert_msg(pauses > 0 && resumes > 0, "%d pauses and %d resumes "
	    "logged: the test proves nothing", pauses, resumes);
	fprintf(stderr, "test_backpressure_resume_low: %zu B, %d pauses, %d "
	    "resumes\n", len, pauses, resumes);
	free(data);
	evecho_stop(&e);
}
END_TEST

/* A connection with no traffic either way is closed after -t. */
START_TEST(test_idle_timeout)
{
	static const char *const args[] = { "-v", "-t", "0.5", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	long		 t0, waited;
	int		 fd;

	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	t0 = now_ms();
	ck_assert_msg(recv_eof(fd, 10000) == 0, "idle connection not closed");
	waited = now_ms() - t0;
	ck_assert_msg(waited >= 400 && waited <= 5000, "closed after %ld ms "
	    "with -t 0.5", waited);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (idle timeout)", 1000),
	    0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * The idle timeout is precise: a connection closes no earlier than -t
 * after its last byte moved, and no later than -t plus -t/8 (here 125 ms),
 * whether it never sent anything or exchanged a byte a moment ago.  The
 * client measures from before its last byte left and to after the close
 * reached it, so its figures can only err long; the upper bound allows
 * 250 ms more for a loaded machine's scheduling.
 */
START_TEST(test_idle_precise)
{
	static const char *const args[] = { "-v", "-t", "1", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	 b = 'p';
	long		 t0, waited;
	int		 fd, round;

	evecho_must_start(&e, args);
	for (round = 0; round < 4; round++) {
		fd = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fd, -1);
		t0 = now_ms();
		if (round % 2 == 1) {	/* one byte, then quiet */
			sleep_ms(300);
			t0 = now_ms();
			ck_assert_int_eq(send_all(fd, &b, 1, IO_TIMEOUT_MS), 0);
			ck_assert_int_eq(recv_exact(fd, &b, 1, IO_TIMEOUT_MS),
			    0);
		}
		ck_assert_msg(recv_eof(fd, 10000) == 0, "not closed");
		waited = now_ms() - t0;
		ck_assert_msg(waited >= 1000 && waited <= 1000 + 125 + 250,
		    "round %d (%s): closed %ld ms after the last byte, with "
		    "-t 1", round, round % 2 ? "one byte" : "silent", waited);
		close(fd);
	}
	ck_assert_int_eq(evecho_wait_log_count(&e, "closed (idle timeout)", 4,
	    IO_TIMEOUT_MS), 4);
	evecho_stop(&e);
}
END_TEST

/*
 * A -t so short that its slack is the least there is, 10 ms: the close
 * comes 80 ms after the last byte, give or take 10.
 */
START_TEST(test_idle_short)
{
	static const char *const args[] = { "-t", "0.08", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	 b = 's';
	long		 t0, waited;
	int		 fd;

	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	t0 = now_ms();
	ck_assert_int_eq(send_all(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_msg(recv_eof(fd, 10000) == 0, "not closed");
	waited = now_ms() - t0;
	ck_assert_msg(waited >= 80 && waited <= 80 + 10 + 250, "closed %ld ms "
	    "after the last byte, with -t 0.08", waited);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/* Traffic keeps a connection open well past -t. */
START_TEST(test_idle_active_survives)
{
	static const char *const args[] = { "-t", "1", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	 out, in;
	int		 fd, i;

	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	for (i = 0; i < 25; i++) {	/* 2.5 s, two and a half -t */
		out = (unsigned char)i;
		ck_assert_int_eq(send_all(fd, &out, 1, IO_TIMEOUT_MS), 0);
		ck_assert_msg(recv_exact(fd, &in, 1, IO_TIMEOUT_MS) == 0,
		    "closed while active, after %d round trips", i);
		ck_assert_uint_eq(in, out);
		sleep_ms(100);
	}
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * A slow reader that has stopped sending is not idle while its echo still
 * flows out of evecho's queue: it gets every byte even though it sends
 * nothing for far longer than -t.  The queue is made large so that evecho
 * keeps reading, and holds echo beyond what the kernel buffers take.
 */
START_TEST(test_idle_slow_reader)
{
	static const char *const args[] = { "-v", "-t", "1", "--max-queue",
	    "16M", "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	*data;
	size_t		 len, sent;
	int		 fd;

	/* 2 MiB past the kernel: over a second of echo from evecho's queue. */
	len = kernel_echo_room(SMALL_BUF) + 2 * 1024 * 1024;
	if (len < 6 * 1024 * 1024)
		len = 6 * 1024 * 1024;
	data = pattern_new(len, 22);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	sent = send_until_stalled(fd, data, len, 300);
	ck_assert_uint_eq(sent, len);	/* fits: the server queues it */
	/* 32 KiB every 20 ms: seconds of output and no input at all. */
	finish_echo(fd, data, len, sent, 32 * 1024, 20);
	ck_assert_int_eq(evecho_log_count(&e, "closed (idle timeout)"), 0);
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/*
 * Echo can leave evecho at once and still take seconds to reach a slow
 * reader: it waits in the kernel's send buffer, and only the client's
 * acknowledgements show it moving.  Such a client is not idle either.
 * Here evecho queues nothing (the -vv log says so), and the client takes
 * its 512 KiB at 16 KiB every 100 ms, three seconds against a -t of 1.
 */
START_TEST(test_idle_kernel_drain)
{
	static const char *const args[] = { "-vv", "-t", "1", "-l",
	    "127.0.0.1:0", NULL };
	const size_t	 len = 512 * 1024;
	struct evecho	 e;
	unsigned char	*data;
	size_t		 sent;
	int		 fd;

	data = pattern_new(len, 25);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	sent = send_until_stalled(fd, data, len, 300);
	ck_assert_uint_eq(sent, len);
	/* Every read went straight to the kernel: nothing ever queued. */
	ck_assert_msg(evecho_wait_log(&e, "524288 B in", IO_TIMEOUT_MS) == 0,
	    "evecho did not read it all");
	ck_assert_msg(evecho_log_count(&e, " 0 B queued") ==
	    evecho_log_count(&e, " B queued"), "evecho queued echo; the test "
	    "wants it all in the kernel");
	finish_echo(fd, data, len, sent, 16 * 1024, 100);
	ck_assert_int_eq(evecho_log_count(&e, "closed (idle timeout)"), 0);
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/*
 * A client paused by backpressure that reads slowly, far slower than a
 * third of a socket buffer per timeout, is not idle: the kernel's send
 * buffer drains (the client acknowledges bytes in every timeout period),
 * yet the socket does not turn writable for evecho for longer than -t.
 * It must keep its connection and get every byte.
 */
START_TEST(test_idle_paused_slow_reader)
{
	static const char *const args[] = { "-vv", "-t", "1", "--max-queue",
	    "64k", "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	struct pollfd	 pfd;
	unsigned char	*data, buf[32768];
	size_t		 len, sent = 0, got = 0;
	long		 until, next_read, wait;
	ssize_t		 n;

	/*
	 * 4 MiB more than the kernel can hold of the echo, so that evecho's
	 * queue fills and it pauses, and plenty stays to read.  Made before
	 * connecting: it takes a while, and the connection must not sit
	 * idle meanwhile.
	 */
	len = kernel_echo_room(4 * SMALL_BUF) + 4 * 1024 * 1024;
	if (len < 16 * 1024 * 1024)
		len = 16 * 1024 * 1024;
	data = pattern_new(len, 24);
	evecho_must_start(&e, args);
	/*
	 * A receive buffer of 256 KiB, not 64: with loopback's 64 KiB
	 * segments a smaller one opens its window in bursts, which a client
	 * starved of CPU can stretch past a timeout.
	 */
	pfd.fd = tcp_connect_buffers(e.addrs[0], SMALL_BUF, 4 * SMALL_BUF);
	ck_assert_int_ne(pfd.fd, -1);
	ck_assert_int_eq(set_nonblocking(pfd.fd), 0);

	/*
	 * Send what the kernel takes, and from the start read 32 KiB every
	 * 50 ms, for three idle timeouts: window updates reach evecho many
	 * times within each timeout (on loopback the window opens a whole 64
	 * KiB segment at a time), with room to spare on a loaded machine,
	 * yet its socket, with megabytes queued, can stay unwritable for
	 * longer than a timeout.  The client never leaves its receive buffer
	 * full and unread: the kernel then drops segments it cannot hold,
	 * and evecho's side, waiting on a retransmission timer that backs
	 * off, moves nothing for more than a second, idle by any measure.
	 */
	next_read = now_ms();
	for (until = now_ms() + 3000; now_ms() < until;) {
		wait = next_read - now_ms();
		pfd.events = (sent < len ? POLLOUT : 0) | (wait <= 0 ?
		    POLLIN : 0);
		ck_assert_int_ne(poll(&pfd, 1, wait > 0 ? (int)wait : 10), -1);
		if ((pfd.revents & POLLOUT) && (n = send(pfd.fd, data + sent,
		    len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(pfd.fd, buf, sizeof buf, 0);
		ck_assert_msg(n > 0 || (n == -1 && errno == EAGAIN),
		    "connection lost while reading slowly, after %zu bytes",
		    got);
		if (n <= 0)
			continue;
		ck_assert(memcmp(buf, data + got, (size_t)n) == 0);
		got += (size_t)n;
		next_read = now_ms() + 50;
	}
	ck_assert_msg(evecho_wait_log_count(&e, "paused reading", 1,
	    IO_TIMEOUT_MS) > 0, "evecho never paused: the test proves "
	    "nothing");
	ck_assert_int_eq(evecho_log_count(&e, "closed (idle timeout)"), 0);

	/* Then quickly: the rest of the stream, still intact. */
	finish_echo_from(pfd.fd, data, len, sent, got);
	close(pfd.fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/* A client that sends but never reads is idle once its echo stalls. */
START_TEST(test_idle_stalled_reader)
{
	static const char *const args[] = { "-v", "-t", "0.5", "-l",
	    "127.0.0.1:0", NULL };
	const size_t	 len = 32 * 1024 * 1024;
	struct evecho	 e;
	unsigned char	*data;
	int		 fd;

	data = pattern_new(len, 23);
	evecho_must_start(&e, args);
	fd = small_client(e.addrs[0]);
	send_until_stalled(fd, data, len, 200);
	ck_assert_msg(evecho_wait_log(&e, "closed (idle timeout)", 10000) ==
	    0, "a stalled connection was never closed");
	close(fd);
	free(data);
	evecho_stop(&e);
}
END_TEST

/* -t 0 turns the idle timeout off. */
START_TEST(test_idle_off)
{
	static const char *const args[] = { "-t", "0", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	 out = 'z', in = 0;
	int		 fd;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_wait_log(&e, "idle timeout off", 0), 0);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(wait_readable(fd, 1200), 0);	/* not closed */
	ck_assert_int_eq(send_all(fd, &out, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &in, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(in, out);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * At --max-conns, accepting pauses: the next client waits in the backlog
 * unserved, and is served as soon as a slot frees.
 */
START_TEST(test_max_conns)
{
	static const char *const args[] = { "-m", "2", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	 b = 'm';
	int		 fd1, fd2, fd3;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_wait_log(&e, "up to 2 connections", 0), 0);
	fd1 = tcp_connect_addr(e.addrs[0]);
	fd2 = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd1, -1);
	ck_assert_int_ne(fd2, -1);
	ck_assert_int_eq(send_all(fd2, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd2, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_msg(evecho_wait_log(&e, "connection limit of 2 reached",
	    IO_TIMEOUT_MS) == 0, "reaching the limit was not logged");

	fd3 = tcp_connect_addr(e.addrs[0]);	/* the kernel's backlog */
	ck_assert_int_ne(fd3, -1);
	ck_assert_int_eq(send_all(fd3, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_msg(wait_readable(fd3, 500) == 0,
	    "a client past the limit was served");

	close(fd1);
	ck_assert_msg(recv_exact(fd3, &b, 1, IO_TIMEOUT_MS) == 0,
	    "the waiting client was not served once a slot freed");
	ck_assert_uint_eq(b, 'm');
	ck_assert_int_eq(evecho_wait_exit(&e, 0, NULL), -1);
	close(fd2);
	close(fd3);
	evecho_stop(&e);
}
END_TEST

/*
 * The "descriptors: H held by evecho, S spare, N for connections, of an
 * open-file limit of L" line, checked for consistency: N = L - H - S, and
 * H is what the server really has open (valgrind's own descriptors aside).
 */
static void
check_descriptors(struct evecho *e, long *held, unsigned long *conns,
    unsigned long *limit)
{
	char		*log, *p;
	long		 spare;
	int		 n;

	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	p = strstr(log, "descriptors: ");
	ck_assert_msg(p != NULL, "no descriptors line in the log");
	n = sscanf(p, "descriptors: %ld held by evecho, %ld spare, %lu for "
	    "connections, of an open-file limit of %lu", held, &spare, conns,
	    limit);
	free(log);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(spare, 8);
	ck_assert_uint_eq(*conns, *limit - (unsigned long)*held - 8);
	if (!harness_wrapped("check_descriptors: open count"))
		ck_assert_int_eq(*held, evecho_open_fds(e));
}

/*
 * select(2) cannot watch a descriptor past FD_SETSIZE (glibc aborts the
 * process instead): with -B select evecho caps its connections below
 * it, and many more clients than that cannot crash it.
 */
START_TEST(test_select_fd_setsize)
{
	static const char *const args[] = { "-B", "select", "--threads", "1",
	    "-l", "127.0.0.1:0", NULL };
	enum { NCLIENTS = 1100 };
	struct evecho	 e;
	struct rlimit	 rl;
	unsigned char	 b = 's';
	unsigned long	 conns, limit;
	long		 held;
	char		 want[64];
	int		 fd[NCLIENTS], i, n = 0;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NCLIENTS + 64) {
		fprintf(stderr, "test_select_fd_setsize: open-file hard limit "
		    "too low here, skipped\n");
		return;
	}
	rl.rlim_cur = NCLIENTS + 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

	evecho_must_start(&e, args);
	/* FD_SETSIZE less what evecho holds and 8 spare. */
	check_descriptors(&e, &held, &conns, &limit);
	ck_assert_uint_eq(limit, 1024);
	snprintf(want, sizeof want, "up to %lu connections", conns);
	ck_assert_int_eq(evecho_wait_log(&e, want, 0), 0);
	for (i = 0; i < NCLIENTS; i++) {
		if ((fd[n] = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			break;
		ck_assert_int_eq(set_nonblocking(fd[n]), 0);
		if (connect_nowait(fd[n], e.port) == -1) {
			close(fd[n]);
			break;
		}
		n++;
	}
	snprintf(want, sizeof want, "connection limit of %lu reached", conns);
	ck_assert_msg(evecho_wait_log(&e, want, IO_TIMEOUT_MS) == 0,
	    "the limit was not reached");
	ck_assert_int_eq(evecho_log_count(&e, "accept on "), 0);
	ck_assert_int_eq(evecho_wait_exit(&e, 0, NULL), -1);	/* alive */
	for (i = 0; i < n; i++)
		close(fd[i]);
	i = tcp_connect_addr(e.addrs[0]);	/* slots free again */
	ck_assert_int_ne(i, -1);
	ck_assert_int_eq(send_all(i, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(i, &b, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(b, 's');
	close(i);
	evecho_stop(&e);
}
END_TEST

/* -B select refuses an --max-conns it cannot watch, and says why. */
START_TEST(test_select_max_conns)
{
	static const char *const args[] = { "-B", "select", "-m", "2000",
	    "--threads", "1", "-l", "127.0.0.1:0", NULL };
	char		 out[256], err[1024], want[512];
	long		 most, held;
	int		 status;

	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 71);
	ck_assert_int_eq(sscanf(err, "evecho: --max-conns 2000 is more than "
	    "the select backend can watch: at most %ld, as select(2) stops at "
	    "FD_SETSIZE (1024) descriptors and evecho holds %ld", &most,
	    &held), 2);
	ck_assert_int_gt(held, 3);
	ck_assert_int_eq(most, 1024 - held - 8);
	snprintf(want, sizeof want, "evecho: --max-conns 2000 is more than the "
	    "select backend can watch: at most %ld, as select(2) stops at "
	    "FD_SETSIZE (1024) descriptors and evecho holds %ld and keeps 8 "
	    "spare; use --backend poll or epoll\n", most, held);
	ck_assert_str_eq(err, want);
}
END_TEST

/* The default limit is the open-file limit less what evecho holds. */
START_TEST(test_max_conns_default)
{
	static const char *const args[] = { "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .nofile = 256 };
	struct evecho	 e;
	unsigned long	 conns, limit;
	long		 held;
	char		 want[64];

	/* valgrind keeps some descriptors of the limit for itself. */
	if (harness_wrapped("test_max_conns_default"))
		return;

	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	check_descriptors(&e, &held, &conns, &limit);
	ck_assert_uint_eq(limit, 256);
	snprintf(want, sizeof want, "up to %lu connections", conns);
	ck_assert_int_eq(evecho_wait_log(&e, want, 0), 0);
	evecho_stop(&e);
}
END_TEST

/* An explicit -m raises the soft open-file limit when it must. */
START_TEST(test_max_conns_raises_limit)
{
	static const char *const args[] = { "-m", "1000", "--threads", "2",
	    "-l", "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .nofile = 256, .nofile_hard = 4096 };
	struct evecho	 e;
	unsigned long	 conns, limit;
	long		 held;
	char		 want[64];

	/* valgrind keeps some descriptors of the limit for itself. */
	if (harness_wrapped("test_max_conns_raises_limit"))
		return;

	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	ck_assert_msg(evecho_wait_log(&e, "up to 1000 connections", 0) == 0,
	    "-m 1000 not applied");
	check_descriptors(&e, &held, &conns, &limit);
	ck_assert_uint_eq(conns, 1000);
	ck_assert_uint_eq(limit, 1000 + (unsigned long)held + 8);
	snprintf(want, sizeof want, "raised the open-file limit to %lu", limit);
	ck_assert_int_eq(evecho_wait_log(&e, want, 0), 0);
	evecho_stop(&e);
}
END_TEST

/* An -m beyond the hard limit is refused at start-up, exit 71. */
START_TEST(test_max_conns_over_hard_limit)
{
	static const char *const args[] = { "-m", "1000", "--threads", "2",
	    "-l", "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .nofile = 256 };
	char		 out[256], err[1024], want[512];
	long		 need, held;
	int		 status;

	/* valgrind keeps some descriptors of the limit for itself. */
	if (harness_wrapped("test_max_conns_over_hard_limit"))
		return;

	ck_assert_int_eq(run_evecho(args, &opts, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 71);
	ck_assert_int_eq(sscanf(err, "evecho: --max-conns 1000 needs %ld open "
	    "files (evecho holds %ld", &need, &held), 2);
	ck_assert_int_eq(need, 1000 + held + 8);
	snprintf(want, sizeof want, "evecho: --max-conns 1000 needs %ld open "
	    "files (evecho holds %ld and keeps 8 spare), but the hard limit is "
	    "256; raise it (ulimit -Hn) or lower --max-conns\n", need, held);
	ck_assert_str_eq(err, want);
}
END_TEST

/*
 * The reserve is counted, not guessed: with 32 worker threads (each with
 * its own event loop and descriptors) and 40 descriptors inherited from a
 * careless parent, the default limit is still exactly reachable, with no
 * accept(2) failing for want of a descriptor, and the client past it
 * waits in the backlog.
 */
START_TEST(test_max_conns_reachable)
{
	static const char *const args[] = { "--threads", "32", "-l",
	    "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .nofile = 320, .inherit_fds = 40 };
	struct evecho	 e;
	unsigned long	 conns, limit, i;
	unsigned char	 byte;
	long		 held;
	int		*fds, extra;

	/* valgrind keeps some descriptors of the limit for itself. */
	if (harness_wrapped("test_max_conns_reachable"))
		return;

	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	check_descriptors(&e, &held, &conns, &limit);
	ck_assert_uint_eq(limit, 320);
	ck_assert_int_gt(held, 40 + 32 * 3);	/* inherited, and 3 a loop */
	ck_assert_uint_gt(conns, 0);
	fds = calloc(conns, sizeof *fds);
	ck_assert_ptr_nonnull(fds);
	for (i = 0; i < conns; i++) {
		fds[i] = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fds[i], -1);
		byte = (unsigned char)i;
		ck_assert_int_eq(send_all(fds[i], &byte, 1, IO_TIMEOUT_MS), 0);
		ck_assert_msg(recv_exact(fds[i], &byte, 1, IO_TIMEOUT_MS) == 0,
		    "client %lu of %lu was not served", i + 1, conns);
		ck_assert_uint_eq(byte, (unsigned char)i);
	}
	extra = tcp_connect_addr(e.addrs[0]);	/* the kernel's backlog */
	ck_assert_int_ne(extra, -1);
	byte = 'x';
	ck_assert_int_eq(send_all(extra, &byte, 1, IO_TIMEOUT_MS), 0);
	ck_assert_msg(wait_readable(extra, 300) == 0,
	    "a client past the limit was served");
	ck_assert_int_eq(evecho_log_count(&e, "accept on "), 0);
	close(fds[0]);
	ck_assert_int_eq(recv_exact(extra, &byte, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(byte, 'x');
	for (i = 1; i < conns; i++)
		close(fds[i]);
	close(extra);
	free(fds);
	ck_assert_int_eq(evecho_log_count(&e, "accept on "), 0);
	evecho_stop(&e);
}
END_TEST

/*
 * An operator can lower the open-file limit under a running evecho
 * (prlimit(1)), and then accept(2) fails with EMFILE below the connection
 * limit.  The listener stays readable then, and a server that kept it on
 * would spin: evecho pauses accepting for a second instead, serves the
 * clients it has, and takes the waiting ones once descriptors are free.
 */
START_TEST(test_accept_emfile)
{
	static const char *const args[] = { "--threads", "1", "-l",
	    "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .nofile = 256 };
	struct evecho	 e;
	struct rlimit	 rl;
	unsigned char	 byte = 7;
	int		 fds[30], i;
	long		 cpu, open_now;

	/* valgrind keeps some descriptors of the limit for itself. */
	if (harness_wrapped("test_accept_emfile"))
		return;

	ck_assert_msg(evecho_start_opts(&e, args, &opts) == 0,
	    "evecho did not start");
	/* Room for about 15 clients, where evecho counted on hundreds. */
	open_now = evecho_open_fds(&e);
	ck_assert_int_gt(open_now, 0);
	rl.rlim_cur = rl.rlim_max = (rlim_t)(open_now + 15);
	ck_assert_int_eq(prlimit(e.pid, RLIMIT_NOFILE, &rl, NULL), 0);
	for (i = 0; i < 30; i++) {
		fds[i] = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fds[i], -1);
	}
	ck_assert_msg(evecho_wait_log(&e, "Too many open files; pausing "
	    "accepts for 1 s", IO_TIMEOUT_MS) == 0, "no pause at EMFILE");
	/* Spinning on the listener would burn most of this second and a half. */
	cpu = evecho_cpu_ms(&e);
	ck_assert_int_ne(cpu, -1);
	sleep_ms(1500);
	ck_assert_msg(evecho_cpu_ms(&e) - cpu < 300, "evecho spins at EMFILE "
	    "(%ld ms of CPU in 1500 ms)", evecho_cpu_ms(&e) - cpu);
	/* The first client was accepted before the pause, and is served. */
	ck_assert_int_eq(send_all(fds[0], &byte, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fds[0], &byte, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(byte, 7);
	/* Closing those frees descriptors: the clients waiting get their turn. */
	for (i = 0; i < 20; i++)
		close(fds[i]);
	for (i = 20; i < 30; i++) {
		byte = (unsigned char)i;
		ck_assert_int_eq(send_all(fds[i], &byte, 1, IO_TIMEOUT_MS), 0);
		ck_assert_msg(recv_exact(fds[i], &byte, 1, IO_TIMEOUT_MS) == 0,
		    "client %d waiting in the backlog was never served", i);
		ck_assert_uint_eq(byte, (unsigned char)i);
		close(fds[i]);
	}
	ck_assert_int_eq(evecho_wait_exit(&e, 0, NULL), -1);	/* alive */
	evecho_stop(&e);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite	*s = suite_create("limits");
	TCase	*tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_backpressure);
	harness_add_test(tc, test_backpressure_small_queue);
	harness_add_test(tc, test_backpressure_resume_low);
	harness_add_test(tc, test_idle_timeout);
	harness_add_test(tc, test_idle_precise);
	harness_add_test(tc, test_idle_short);
	harness_add_test(tc, test_idle_active_survives);
	harness_add_test(tc, test_idle_slow_reader);
	harness_add_test(tc, test_idle_kernel_drain);
	harness_add_test(tc, test_idle_paused_slow_reader);
	harness_add_test(tc, test_idle_stalled_reader);
	harness_add_test(tc, test_idle_off);
	harness_add_test(tc, test_max_conns);
	harness_add_test(tc, test_select_fd_setsize);
	harness_add_test(tc, test_select_max_conns);
	harness_add_test(tc, test_max_conns_default);
	harness_add_test(tc, test_max_conns_raises_limit);
	harness_add_test(tc, test_max_conns_over_hard_limit);
	harness_add_test(tc, test_max_conns_reachable);
	harness_add_test(tc, test_accept_emfile);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(limits_suite()));
}

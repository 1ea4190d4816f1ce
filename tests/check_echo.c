/*
 * check_echo.c: the echo itself, end to end: the real evecho on an
 * ephemeral loopback port, real sockets, every byte compared.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	30000	/* generous: sanitizers and valgrind */

static const char *const loopback4[] = { "-l", "127.0.0.1:0", NULL };

/* Send len pattern bytes over a new connection and expect them back. */
static void
assert_echo(const char *addr, size_t len, size_t chunk, uint32_t seed)
{
	unsigned char	*data;
	int		 fd, rc;

	data = pattern_new(len, seed);
	fd = tcp_connect_addr(addr);
	ck_assert_msg(fd != -1, "connect %s: %s", addr, strerror(errno));
	rc = echo_stream(fd, data, len, chunk, IO_TIMEOUT_MS);
	ck_assert_msg(rc == 0, "echo of %zu bytes via %s failed (%d)", len,
	    addr, rc);
	close(fd);
	free(data);
}

/* assert_echo() to host, on the port of a logged (wildcard) address. */
static void
assert_echo_to(const char *host, const char *logged, size_t len,
    uint32_t seed)
{
	char	 addr[80];

	snprintf(addr, sizeof addr, strchr(host, ':') != NULL ? "[%s]%s" :
	    "%s%s", host, strrchr(logged, ':'));
	assert_echo(addr, len, 0, seed);
}

/*
 * How much to send, without reading, from a client with a receive buffer
 * of rcvbuf so that at least `min` bytes of echo must wait in evecho's
 * own queue, whatever the kernel's buffers take; never less than 8 MiB.
 */
static size_t
beyond_kernel(int rcvbuf, size_t min)
{
	size_t	 len = kernel_echo_room(rcvbuf) + min;

	return (len > 8 * 1024 * 1024 ? len : 8 * 1024 * 1024);
}

/* The offset of the first byte where a and b differ; len if none. */
static size_t
first_difference(const unsigned char *a, const unsigned char *b,
    size_t len)
{
	size_t	 i;

	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return (i);
}

/*
 * The queue after the last read, from -vv's per-read lines ("... read N
 * B, M B in, Q B queued"); 0 if there are none.
 */
static size_t
last_logged_queue(struct evecho *e)
{
	char	*log, *p;
	size_t	 q, last = 0;

	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	for (p = log; (p = strstr(p, " B in, ")) != NULL; p++) {
		if (sscanf(p, " B in, %zu B queued", &q) == 1)
			last = q;
	}
	free(log);
	return (last);
}

/* One byte comes back as that byte. */
START_TEST(test_one_byte)
{
	struct evecho	 e;
	unsigned char	 out = 0xa5, in = 0;
	int		 fd;

	evecho_must_start(&e, loopback4);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, &out, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &in, 1, IO_TIMEOUT_MS), 0);
	ck_assert_uint_eq(in, out);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/* 64 KiB in one write, read back whole. */
START_TEST(test_64k)
{
	struct evecho	 e;

	evecho_must_start(&e, loopback4);
	assert_echo(e.addrs[0], 64 * 1024, 64 * 1024, 1);
	evecho_stop(&e);
}
END_TEST

/* 16 MiB pipelined in writes of varying size while the echo is read. */
START_TEST(test_16m_pipelined)
{
	struct evecho	 e;

	evecho_must_start(&e, loopback4);
	assert_echo(e.addrs[0], 16 * 1024 * 1024, 0, 2);
	evecho_stop(&e);
}
END_TEST

/* Single-byte writes: however the client splits, nothing is lost. */
START_TEST(test_tiny_writes)
{
	struct evecho	 e;

	evecho_must_start(&e, loopback4);
	assert_echo(e.addrs[0], 2000, 1, 3);
	evecho_stop(&e);
}
END_TEST

/*
 * 50 clients at once, each with its own random payload, all sending and
 * reading concurrently from one poll loop.
 */
START_TEST(test_50_clients)
{
	enum { NCLIENTS = 50 };
	struct evecho	 e;
	struct pollfd	 pfd[NCLIENTS];
	unsigned char	*data[NCLIENTS], buf[65536];
	size_t		 len[NCLIENTS], sent[NCLIENTS], got[NCLIENTS];
	long		 deadline;
	int		 i, done = 0;
	ssize_t		 n;

	evecho_must_start(&e, loopback4);
	for (i = 0; i < NCLIENTS; i++) {
		len[i] = 1 + (size_t)(i * 7919) % (256 * 1024);
		data[i] = malloc(len[i]);
		ck_assert_ptr_nonnull(data[i]);
		pattern_fill(data[i], len[i], 100 + (uint32_t)i);
		sent[i] = got[i] = 0;
		pfd[i].fd = tcp_connect_addr(e.addrs[0]);
		ck_assert_msg(pfd[i].fd != -1, "client %d cannot connect", i);
		ck_assert_int_eq(set_nonblocking(pfd[i].fd), 0);
	}
	deadline = now_ms() + IO_TIMEOUT_MS;
	while (done < NCLIENTS) {
		ck_assert_msg(now_ms() < deadline, "timed out with %d of %d "
		    "clients done", done, NCLIENTS);
		for (i = 0; i < NCLIENTS; i++) {
			pfd[i].events = got[i] < len[i] ? POLLIN : 0;
			if (sent[i] < len[i])
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		ck_assert_int_ne(poll(pfd, NCLIENTS, 100), -1);
		for (i = 0; i < NCLIENTS; i++) {
			if (pfd[i].revents & POLLOUT) {
				n = send(pfd[i].fd, data[i] + sent[i],
				    len[i] - sent[i], MSG_NOSIGNAL);
				ck_assert_msg(n > 0 || (n == -1 &&
				    errno == EAGAIN), "client %d send: %s", i,
				    strerror(errno));
				if (n > 0)
					sent[i] += (size_t)n;
			}
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = recv(pfd[i].fd, buf, sizeof buf, 0);
			ck_assert_msg(n > 0 || (n == -1 && errno == EAGAIN),
			    "client %d lost its connection after %zu of %zu "
			    "bytes", i, got[i], len[i]);
			if (n <= 0)
				continue;
			ck_assert_msg(got[i] + (size_t)n <= len[i] &&
			    memcmp(buf, data[i] + got[i], (size_t)n) == 0,
			    "client %d: wrong bytes at offset %zu", i, got[i]);
			got[i] += (size_t)n;
			if (got[i] == len[i])
				done++;
		}
	}
	for (i = 0; i < NCLIENTS; i++) {
		close(pfd[i].fd);
		free(data[i]);
	}
	evecho_stop(&e);
}
END_TEST

/*
 * Half-close: the client sends, shuts down its writing side, and still
 * gets every byte back before the server's EOF.
 */
START_TEST(test_half_close)
{
	struct evecho	 e;
	size_t		 len = 300 * 1024;
	unsigned char	*data, *back = malloc(len);
	int		 fd;

	ck_assert_ptr_nonnull(back);
	data = pattern_new(len, 4);
	evecho_must_start(&e, loopback4);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	/* 300 KiB fits in the socket buffers and evecho's queue. */
	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(recv_exact(fd, back, len, IO_TIMEOUT_MS), 0);
	ck_assert(memcmp(data, back, len) == 0);
	ck_assert_msg(recv_eof(fd, IO_TIMEOUT_MS) == 0,
	    "no EOF after the echo of a half-closed connection");
	close(fd);
	free(data);
	free(back);
	evecho_stop(&e);
}
END_TEST

/* A half-close with nothing sent ends the connection cleanly at once. */
START_TEST(test_half_close_empty)
{
	struct evecho	 e;
	int		 fd;

	evecho_must_start(&e, loopback4);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * Half-close with echo queued in evecho: a client with a 4 KiB receive
 * buffer sends more than the kernel can hold on the way back, and shuts
 * down its sending side before reading a byte, so evecho meets the EOF
 * with megabytes still queued.  It must flush them all, exact, before
 * its own EOF; closing at the client's EOF would lose them.  (In
 * test_half_close everything fits in kernel buffers, so nothing waits.)
 */
START_TEST(test_half_close_queued)
{
	static const char *const args[] = { "-vv", "--max-queue", "1G",
	    "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	unsigned char	*data, *back;
	size_t		 len, at;
	int		 fd;

	len = beyond_kernel(4096, 4 * 1024 * 1024);
	data = pattern_new(len, 40);
	back = malloc(len);
	ck_assert_ptr_nonnull(back);
	evecho_must_start(&e, args);
	fd = tcp_connect_buffers(e.addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	/* --max-queue 1G: evecho reads it all, queueing what waits. */
	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_msg(recv_exact(fd, back, len, IO_TIMEOUT_MS) == 0,
	    "the echo of a half-closed connection was cut short");
	at = first_difference(data, back, len);
	ck_assert_msg(at == len, "wrong echo at offset %zu of %zu", at, len);
	ck_assert_msg(recv_eof(fd, IO_TIMEOUT_MS) == 0,
	    "no EOF after the echo of a half-closed connection");
	/* The premise: echo was still queued when the client's EOF came. */
	ck_assert_msg(last_logged_queue(&e) > 0, "nothing was queued in "
	    "evecho at the client's EOF: the test proves nothing");
	close(fd);
	free(data);
	free(back);
	evecho_stop(&e);
}
END_TEST

/* -U changes a-z only: every other byte value passes unchanged. */
START_TEST(test_uppercase)
{
	static const char *const args[] = { "-U", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	unsigned char	 data[4 * 256], want[4 * 256], back[4 * 256];
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof data; i++) {
		data[i] = (unsigned char)i;
		want[i] = data[i] >= 'a' && data[i] <= 'z' ?
		    data[i] - 32 : data[i];
	}
	evecho_must_start(&e, args);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, data, sizeof data, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, back, sizeof back, IO_TIMEOUT_MS), 0);
	ck_assert(memcmp(back, want, sizeof want) == 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/* -U over a large stream: the in-place transform across many chains. */
START_TEST(test_uppercase_stream)
{
	static const char *const args[] = { "--uppercase", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	size_t		 len = 4 * 1024 * 1024, i;
	unsigned char	*data = malloc(len), *want = malloc(len);
	unsigned char	 buf[65536];
	size_t		 sent = 0, got = 0;
	long		 deadline = now_ms() + IO_TIMEOUT_MS;
	struct pollfd	 pfd;
	ssize_t		 n;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < len; i++) {
		data[i] = (unsigned char)('a' + i % 26 + (i % 3 == 0 ? 32 :
		    0));
		want[i] = data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 :
		    data[i];
	}
	evecho_must_start(&e, args);
	pfd.fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(pfd.fd, -1);
	ck_assert_int_eq(set_nonblocking(pfd.fd), 0);
	while (got < len) {
		ck_assert_msg(now_ms() < deadline, "timed out at %zu", got);
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		ck_assert_int_ne(poll(&pfd, 1, 100), -1);
		if ((pfd.revents & POLLOUT) && (n = send(pfd.fd, data + sent,
		    len - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(pfd.fd, buf, sizeof buf, 0);
			ck_assert_msg(n > 0 || (n == -1 && errno == EAGAIN),
			    "lost at %zu", got);
			if (n > 0) {
				ck_assert(memcmp(buf, want + got,
				    (size_t)n) == 0);
				got += (size_t)n;
			}
		}
	}
	close(pfd.fd);
	free(data);
	free(want);
	evecho_stop(&e);
}
END_TEST

/*
 * -U on echo read while output is queued: a client with a 4 KiB receive
 * buffer sends its whole stream before reading a byte, more than the
 * kernel can hold on the way back, so most of it is read into evecho's
 * queue (conn_read) rather than echoed at once from the scratch buffer
 * (conn_read_direct).  --max-queue is large so that evecho reads it all
 * without pausing.  Every letter must still come back upper case.
 * (test_uppercase_stream reads while it sends, so nothing queues.)
 */
START_TEST(test_uppercase_queued)
{
	static const char *const args[] = { "--uppercase", "--max-queue",
	    "1G", "-l", "127.0.0.1:0", NULL };
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz"
	    "0123456789 ABCXYZ.\n";
	struct evecho	 e;
	unsigned char	*data, *want, *back;
	size_t		 len, i, at;
	int		 fd;

	len = beyond_kernel(4096, 4 * 1024 * 1024);
	data = pattern_new(len, 41);
	want = malloc(len);
	back = malloc(len);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(back);
	for (i = 0; i < len; i++) {
		data[i] = (unsigned char)alphabet[data[i] %
		    (sizeof alphabet - 1)];
		want[i] = data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 :
		    data[i];
	}
	evecho_must_start(&e, args);
	fd = tcp_connect_buffers(e.addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, back, len, IO_TIMEOUT_MS), 0);
	at = first_difference(want, back, len);
	ck_assert_msg(at == len, "-U: byte %zu of %zu came back as '%c', not "
	    "'%c'", at, len, at < len ? back[at] : ' ', at < len ? want[at] :
	    ' ');
	close(fd);
	free(data);
	free(want);
	free(back);
	evecho_stop(&e);
}
END_TEST

/*
 * Whether -vv's log shows a write on the direct path that took part of a
 * read: a read line "read N B, ..., Q B queued" with 0 < Q < N, right
 * after a line with nothing queued (so that this read was echoed at once,
 * and only its own remainder was queued).
 */
static int
logged_partial_write(struct evecho *e)
{
	char	*log, *p;
	size_t	 n, q, prev = 0;
	int	 found = 0;

	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	for (p = log; !found && (p = strstr(p, " read ")) != NULL; p++) {
		if (sscanf(p, " read %zu B, %*u B in, %zu B queued", &n,
		    &q) != 2)
			continue;
		found = prev == 0 && q > 0 && q < n;
		prev = q;
	}
	free(log);
	return (found);
}

/*
 * Short writes on the direct path: with nothing queued, evecho echoes
 * each read at once with write(2), and what the kernel does not take of
 * it must be queued, in order, ahead of anything read later.  A client
 * with a 4 KiB receive buffer sends, without reading, more than the
 * kernel can hold of the echo (--max-queue 1G lets evecho read it all),
 * so a direct write must come up short; then it reads the echo back,
 * every byte compared.  A write that takes nothing queues the whole read
 * and would hide a lost remainder, so the burst is repeated, each time
 * from an empty queue, until -vv's log shows a write that took part of a
 * read: a few times at most.
 */
START_TEST(test_short_writes)
{
	static const char *const args[] = { "-vv", "--max-queue", "1G", "-l",
	    "127.0.0.1:0", NULL };
	enum { ROUNDS = 8 };
	struct evecho	 e;
	unsigned char	*data, *back;
	size_t		 len, at;
	int		 fd, round, partial = 0;

	len = kernel_echo_room(4096) + 256 * 1024;
	back = malloc(len);
	ck_assert_ptr_nonnull(back);
	evecho_must_start(&e, args);
	fd = tcp_connect_buffers(e.addrs[0], 0, 4096);
	ck_assert_int_ne(fd, -1);
	for (round = 0; round < ROUNDS && !partial; round++) {
		data = pattern_new(len, 42 + (uint32_t)round);
		ck_assert_int_eq(send_all(fd, data, len, IO_TIMEOUT_MS), 0);
		ck_assert_msg(recv_exact(fd, back, len, IO_TIMEOUT_MS) == 0,
		    "round %d: the echo was cut short", round);
		at = first_difference(data, back, len);
		ck_assert_msg(at == len, "round %d: wrong echo at offset %zu "
		    "of %zu", round, at, len);
		free(data);
		partial = logged_partial_write(&e);
	}
	ck_assert_msg(partial, "in %d bursts no direct write took part of a "
	    "read: the test proves nothing", ROUNDS);
	fprintf(stderr, "test_short_writes: a partial write in burst %d\n",
	    round);
	close(fd);
	free(back);
	evecho_stop(&e);
}
END_TEST

/* Each backend -B offers is used as asked and echoes correctly. */
START_TEST(test_backend)
{
	static const char *const names[] = { "select", "poll", "epoll" };
	const char	*args[] = { "-B", names[_i], "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	char		 want[64];

	evecho_must_start(&e, args);
	snprintf(want, sizeof want, "backend %s,", names[_i]);
	ck_assert_msg(evecho_wait_log(&e, want, 1000) == 0,
	    "log does not say '%s'", want);
	assert_echo(e.addrs[0], 1024 * 1024, 0, 5);
	assert_echo(e.addrs[0], 1, 1, 6);
	evecho_stop(&e);
}
END_TEST

/*
 * Several worker threads: the ready line says how many, and concurrent
 * clients, handed to the workers in turn, all get their echo.
 */
START_TEST(test_threads)
{
	static const char *const args[] = { "--threads", "3", "-l",
	    "127.0.0.1:0", NULL };
	struct evecho	 e;
	int		 fd[6], i;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_wait_log(&e, "backend epoll, 3 threads,", 0),
	    0);
	for (i = 0; i < 6; i++) {	/* held open: two per worker */
		fd[i] = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fd[i], -1);
	}
	for (i = 0; i < 6; i++) {
		unsigned char b = (unsigned char)i;

		ck_assert_int_eq(send_all(fd[i], &b, 1, IO_TIMEOUT_MS), 0);
		ck_assert_int_eq(recv_exact(fd[i], &b, 1, IO_TIMEOUT_MS), 0);
		ck_assert_uint_eq(b, (unsigned char)i);
	}
	assert_echo(e.addrs[0], 4 * 1024 * 1024, 0, 17);
	for (i = 0; i < 6; i++)
		close(fd[i]);
	evecho_stop(&e);
}
END_TEST

/* Bytes thread tid of process pid has read with read(2) and readv(2). */
static int
task_read_bytes(pid_t pid, const char *tid, unsigned long long *bytes)
{
	char	 path[128], line[128];
	FILE	*fp;
	int	 found = 0;

	snprintf(path, sizeof path, "/proc/%ld/task/%.20s/io", (long)pid,
	    tid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (!found && fgets(line, sizeof line, fp) != NULL)
		found = sscanf(line, "rchar: %llu", bytes) == 1;
	fclose(fp);
	return (found ? 0 : -1);
}

/*
 * --threads spreads connections over the workers.  A client cannot see
 * which thread serves it, so the test reads each thread's I/O counters:
 * /proc/PID/task/TID/io counts, exactly, the bytes each thread got from
 * read(2) and readv(2), which is how evecho reads from clients.  Four
 * clients in a row each echo 1 MiB; with two workers taking them in
 * turn, each worker thread (every thread but the main one, which only
 * accepts) has read at least 2 MiB.  Were every connection handed to one
 * worker, the other would have read next to nothing.
 */
START_TEST(test_threads_spread)
{
	static const char *const args[] = { "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	const size_t	 each = 1024 * 1024;
	struct evecho	 e;
	struct dirent	*de;
	DIR		*dir;
	unsigned long long bytes;
	char		 path[64], seen[256] = "";
	int		 i, busy = 0, threads = 0;

	evecho_must_start(&e, args);
	for (i = 0; i < 4; i++)
		assert_echo(e.addrs[0], each, 0, 43 + (uint32_t)i);
	snprintf(path, sizeof path, "/proc/%ld/task", (long)e.pid);
	dir = opendir(path);
	ck_assert_msg(dir != NULL, "%s: %s", path, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || atol(de->d_name) == (long)e.pid)
			continue;
		if (task_read_bytes(e.pid, de->d_name, &bytes) == -1) {
			fprintf(stderr, "test_threads_spread: no per-thread "
			    "I/O counters here, skipped\n");
			closedir(dir);
			evecho_stop(&e);
			return;
		}
		threads++;
		if (bytes >= 2 * each)
			busy++;
		snprintf(seen + strlen(seen), sizeof seen - strlen(seen),
		    " %.20s:%llu", de->d_name, bytes);
	}
	closedir(dir);
	ck_assert_msg(busy == 2, "of %d worker threads, %d read 2 MiB or more "
	    "(thread:bytes read%s)", threads, busy, seen);
	evecho_stop(&e);
}
END_TEST

/* IPv6 loopback, where the machine has it. */
START_TEST(test_ipv6)
{
	static const char *const args[] = { "-l", "[::1]:0", NULL };
	struct evecho	 e;

	if (!ipv6_loopback_available()) {
		fprintf(stderr, "test_ipv6: no IPv6 loopback here, skipped\n");
		return;
	}
	evecho_must_start(&e, args);
	ck_assert_msg(strncmp(e.addrs[0], "[::1]:", 6) == 0,
	    "listening on '%s', not [::1]", e.addrs[0]);
	assert_echo(e.addrs[0], 1, 1, 7);
	assert_echo(e.addrs[0], 1024 * 1024, 0, 8);
	evecho_stop(&e);
}
END_TEST

/* Several -l: a listener on each, all serving, each with its own port. */
START_TEST(test_several_listeners)
{
	static const char *const args4[] = { "-l", "127.0.0.1:0", "-l",
	    "127.0.0.1:0", NULL };
	static const char *const args46[] = { "-l", "127.0.0.1:0", "-l",
	    "[::1]:0", NULL };
	struct evecho	 e;
	int		 i;

	evecho_must_start(&e, ipv6_loopback_available() ? args46 : args4);
	ck_assert_int_eq(e.naddrs, 2);
	ck_assert_str_ne(e.addrs[0], e.addrs[1]);
	for (i = 0; i < e.naddrs; i++)
		assert_echo(e.addrs[i], 100 * 1024, 0, 9 + (uint32_t)i);
	evecho_stop(&e);
}
END_TEST

/*
 * ":PORT" means every interface: the wildcard of each family the system
 * has, each its own listener.  Only loopback is ever connected to.
 */
START_TEST(test_wildcard)
{
	static const char *const args[] = { "-l", ":0", NULL };
	struct evecho	 e;
	int		 i, v4 = -1, v6 = -1;

	evecho_must_start(&e, args);
	for (i = 0; i < e.naddrs; i++) {
		if (strncmp(e.addrs[i], "0.0.0.0:", 8) == 0)
			v4 = i;
		else if (strncmp(e.addrs[i], "[::]:", 5) == 0)
			v6 = i;
	}
	ck_assert_msg(v4 != -1, "no 0.0.0.0 listener for ':0'");
	assert_echo_to("127.0.0.1", e.addrs[v4], 4096, 13);
	if (ipv6_loopback_available()) {
		ck_assert_msg(v6 != -1, "no [::] listener for ':0'");
		ck_assert_int_eq(e.naddrs, 2);
		assert_echo_to("::1", e.addrs[v6], 4096, 14);
	}
	evecho_stop(&e);
}
END_TEST

/*
 * A socket bound to 0.0.0.0:port (0: a port the kernel picks), with the
 * SO_REUSEADDR evecho sets so that it meets the same conflicts; and
 * listening, with listen set.  -1 if the port is taken.
 */
static int
bind4(int port, int listen_too)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof on), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    (listen_too && listen(fd, 1) == -1)) {
		ck_assert_msg(errno == EADDRINUSE, "bind 0.0.0.0:%d: %s", port,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* A port free for IPv4 just now: the one the kernel picks for port 0. */
static int
free_port4(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	fd = bind4(0, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return (ntohs(sin.sin_port));
}

/*
 * Start evecho on addr; 0, or -1 if it exits at once because the port is
 * in use (exit 71, "Address already in use"); anything else fails.
 */
static int
start_unless_in_use(struct evecho *e, const char *addr)
{
	const char	*args[] = { "-l", addr, NULL };
	char		*log;
	int		 status, in_use;

	if (evecho_start(e, args) == 0)
		return (0);
	ck_assert_msg(evecho_wait_exit(e, IO_TIMEOUT_MS, &status) == 0,
	    "evecho on %s neither started nor exited", addr);
	log = evecho_log(e);
	ck_assert_ptr_nonnull(log);
	in_use = strstr(log, "Address already in use") != NULL;
	free(log);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 71 && in_use,
	    "evecho on %s failed, and not for want of the port (wait status "
	    "0x%x)", addr, status);
	evecho_stop(e);
	return (-1);
}

/*
 * IPV6_V6ONLY: a server on [::]:P leaves 0.0.0.0:P free, so another
 * listener (here a second evecho) can take it, as "-l 0.0.0.0:7 -l
 * [::]:7" needs.
 *
 * P must be free for both families, and the kernel's choice for [::]:0
 * is free for IPv6 alone: after other suites, many IPv4 ports are held
 * by sockets in TIME_WAIT.  So P is the kernel's choice for 0.0.0.0:0
 * instead, and both evechos listen on it.  Someone may still take it in
 * between; then the test stops the [::] evecho and tries 0.0.0.0:P
 * itself: if it is free now, evecho held it, which is the bug, and the
 * test fails at once; if it is still taken, someone else holds it, and
 * the test starts over on a new port, a bounded number of times.
 */
START_TEST(test_v6only)
{
	enum { ATTEMPTS = 20 };
	struct evecho	 e6, e4;
	char		 addr6[64], addr4[64];
	int		 attempt, port = 0, fd;

	if (!ipv6_loopback_available()) {
		fprintf(stderr, "test_v6only: no IPv6 here, skipped\n");
		return;
	}
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		port = free_port4();
		snprintf(addr6, sizeof addr6, "[::]:%d", port);
		snprintf(addr4, sizeof addr4, "0.0.0.0:%d", port);
		if (start_unless_in_use(&e6, addr6) == -1)
			continue;
		if (start_unless_in_use(&e4, addr4) == 0)
			break;
		evecho_stop(&e6);
		fd = bind4(port, 1);
		ck_assert_msg(fd == -1, "[::]:%d took 0.0.0.0:%d too: "
		    "IPV6_V6ONLY is not set", port, port);
		fprintf(stderr, "test_v6only: 0.0.0.0:%d was taken by another "
		    "socket; trying a new port\n", port);
	}
	ck_assert_msg(attempt < ATTEMPTS, "%d ports in a row were taken",
	    ATTEMPTS);
	ck_assert_int_eq(e4.port, port);
	ck_assert_int_eq(e6.port, port);
	assert_echo_to("127.0.0.1", e4.addrs[0], 4096, 15);
	assert_echo_to("::1", e6.addrs[0], 4096, 16);
	evecho_stop(&e4);
	evecho_stop(&e6);
}
END_TEST

/*
 * A client that resets its connection (SO_LINGER 0) mid-stream costs the
 * server that connection only: it logs why and serves the next client.
 */
START_TEST(test_reset_mid_stream)
{
	static const char *const args[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	struct linger	 lg = { 1, 0 };
	unsigned char	 data[200000];
	int		 fd, i;

	pattern_fill(data, sizeof data, 10);
	evecho_must_start(&e, args);
	for (i = 0; i < 20; i++) {
		fd = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(send_all(fd, data, sizeof data,
		    IO_TIMEOUT_MS), 0);
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof lg), 0);
		close(fd);	/* RST, with echo still in flight */
	}
	ck_assert_msg(evecho_wait_log(&e, "Connection reset by peer",
	    IO_TIMEOUT_MS) == 0, "no reset logged");
	assert_echo(e.addrs[0], 100 * 1024, 0, 11);
	ck_assert_int_eq(evecho_wait_exit(&e, 0, NULL), -1);	/* alive */
	evecho_stop(&e);
}
END_TEST

/* Many short connections in a row: each gets its echo, none leaks. */
START_TEST(test_churn)
{
	static const char *const args[] = { "-v", "-l", "127.0.0.1:0",
	    NULL };
	struct evecho	 e;
	int		 i;

	evecho_must_start(&e, args);
	for (i = 0; i < 200; i++)
		assert_echo(e.addrs[0], 64, 64, 12 + (uint32_t)i);
	ck_assert_msg(evecho_wait_log_count(&e, " connected (", 200,
	    IO_TIMEOUT_MS) == 200, "not every connection was logged");
	ck_assert_msg(evecho_wait_log(&e, "closed (closed by client)",
	    IO_TIMEOUT_MS) == 0, "no close was logged");
	evecho_stop(&e);
}
END_TEST

/*
 * Accepted sockets have TCP_NODELAY, so that a small echo is not held
 * back by Nagle's algorithm while an earlier one is unacknowledged.  A
 * client cannot see the option; so the test borrows the server's end of
 * its connection with pidfd_getfd(2) (Linux 5.6 and later) and asks it.
 */
START_TEST(test_nodelay)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	struct evecho		 e;
	struct sockaddr_in	 mine, peer;
	socklen_t		 len;
	unsigned char		 byte = 1;
	int			 fd, pidfd, theirs, on, i, found = 0;

	evecho_must_start(&e, loopback4);
	fd = tcp_connect_addr(e.addrs[0]);
	ck_assert_int_ne(fd, -1);
	/* One echo, so that the server has surely accepted us. */
	ck_assert_int_eq(send_all(fd, &byte, 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, &byte, 1, IO_TIMEOUT_MS), 0);
	len = sizeof mine;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&mine, &len), 0);
	pidfd = (int)syscall(SYS_pidfd_open, e.pid, 0);
	if (pidfd == -1 && errno == ENOSYS) {
		fprintf(stderr, "test_nodelay: no pidfd_open here, skipped\n");
		close(fd);
		evecho_stop(&e);
		return;
	}
	ck_assert_msg(pidfd != -1, "pidfd_open: %s", strerror(errno));
	/* valgrind keeps its own descriptors above 1024. */
	for (i = 0; i < 1024 && !found; i++) {
		if ((theirs = (int)syscall(SYS_pidfd_getfd, pidfd, i, 0)) ==
		    -1) {
			ck_assert_msg(errno == EBADF, "pidfd_getfd %d: %s", i,
			    strerror(errno));
			continue;
		}
		len = sizeof peer;
		if (getpeername(theirs, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET &&
		    peer.sin_port == mine.sin_port &&
		    peer.sin_addr.s_addr == mine.sin_addr.s_addr) {
			found = 1;
			on = 0;
			len = sizeof on;
			ck_assert_int_eq(getsockopt(theirs, IPPROTO_TCP,
			    TCP_NODELAY, &on, &len), 0);
			ck_assert_msg(on != 0, "TCP_NODELAY is off");
		}
		close(theirs);
	}
	ck_assert_msg(found, "the server's end of the connection not found");
	close(pidfd);
	close(fd);
	evecho_stop(&e);
#else
	fprintf(stderr, "test_nodelay: no pidfd_getfd here, skipped\n");
#endif
}
END_TEST

static Suite *
echo_suite(void)
{
	Suite	*s = suite_create("echo");
	TCase	*tc = tcase_create("echo");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_one_byte);
	harness_add_test(tc, test_64k);
	harness_add_test(tc, test_16m_pipelined);
	harness_add_test(tc, test_tiny_writes);
	harness_add_test(tc, test_50_clients);
	harness_add_test(tc, test_half_close);
	harness_add_test(tc, test_half_close_empty);
	harness_add_test(tc, test_half_close_queued);
	harness_add_test(tc, test_uppercase);
	harness_add_test(tc, test_uppercase_stream);
	harness_add_test(tc, test_uppercase_queued);
	harness_add_test(tc, test_short_writes);
	harness_add_loop_test(tc, test_backend, 0, 3);
	harness_add_test(tc, test_threads);
	harness_add_test(tc, test_threads_spread);
	harness_add_test(tc, test_ipv6);
	harness_add_test(tc, test_several_listeners);
	harness_add_test(tc, test_wildcard);
	harness_add_test(tc, test_v6only);
	harness_add_test(tc, test_reset_mid_stream);
	harness_add_test(tc, test_churn);
	harness_add_test(tc, test_nodelay);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(echo_suite()));
}

/*
 * check_faults.c: failures evecho cannot be made to meet from outside,
 * injected into the real binary by tests/faultinject.so (LD_PRELOAD):
 * allocations that fail at every point of a run of real traffic, an
 * event loop that fails, and a wall clock that steps.
 *
 * The shim replaces malloc, which the sanitizers and valgrind replace
 * too, so the allocation tests skip themselves there.  They check for
 * leaks themselves: the shim counts the blocks still allocated at exit,
 * and a run in which an allocation failed must not leave more than a run
 * in which none did.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	10000	/* past this a client is left hanging */

static char	fault_run[160];	/* which run, for failure messages */

/*
 * Whether the shim can be used here; if not, say the test is skipped.
 * With alloc, the test needs the shim's malloc, which valgrind overrides.
 */
static int
fault_usable(const char *test, int alloc)
{
	const char	*shim = getenv("FAULTINJECT");

	if ((alloc && harness_wrapped(test)) || harness_sanitized(test))
		return (0);
	ck_assert_msg(shim != NULL && access(shim, R_OK) == 0,
	    "$FAULTINJECT does not name the shim (run from make check)");
	return (1);
}

/* "LD_PRELOAD=<the shim>", in static storage for putenv(). */
static const char *
fault_preload(void)
{
	static char	 env[1024];

	snprintf(env, sizeof env, "LD_PRELOAD=%s", getenv("FAULTINJECT"));
	return (env);
}

/* A path in the log directory that does not exist yet. */
static void
fault_trigger_path(char *buf, size_t len, const char *what)
{
	const char	*dir = getenv("EVECHO_TEST_LOGDIR");

	snprintf(buf, len, "%s/%s-%ld", dir != NULL && *dir != '\0' ? dir :
	    "tests/logs", what, (long)getpid());
	unlink(buf);
}

static void
fault_trigger(const char *path)
{
	FILE	*fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fclose(fp);
}

/* How one client of the traffic ended. */
enum outcome {
	ECHOED,			/* every byte came back, exact */
	CUT			/* the connection ended early, bytes exact */
};

/*
 * Send len bytes, shutting down the sending side at the end if
 * half_close, while reading the echo; with rcvbuf, the client's receive
 * buffer is that small and it sends everything it can before reading,
 * so that evecho has to queue.  (Not smaller than 64 KiB: a window of a
 * few KiB trickles on loopback, zero-window probes and all.)  Fails the test on a wrong byte or a
 * client left hanging; else says whether the echo was whole.
 */
static enum outcome
fault_client(const char *addr, size_t len, int rcvbuf, int half_close,
    uint32_t seed)
{
	unsigned char	*data, buf[65536];
	size_t		 sent = 0, got = 0;
	long		 deadline = now_ms() + IO_TIMEOUT_MS;
	ssize_t		 n;
	int		 fd;

	data = pattern_new(len, seed);
	fd = tcp_connect_buffers(addr, 0, rcvbuf);
	ck_assert_msg(fd != -1, "%s: cannot connect to %s: is evecho gone?",
	    fault_run, addr);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	if (rcvbuf > 0)
		sent = send_until_stalled(fd, data, len, 200);
	if (half_close && sent == len)
		shutdown(fd, SHUT_WR);
	while (got < len) {
		ck_assert_msg(now_ms() < deadline, "%s: client left hanging: "
		    "%zu of %zu bytes back after %d ms", fault_run, got, len,
		    IO_TIMEOUT_MS);
		if (sent < len && (n = send(fd, data + sent, len - sent,
		    MSG_NOSIGNAL)) > 0) {
			sent += (size_t)n;
			if (half_close && sent == len)
				shutdown(fd, SHUT_WR);
		} else if (sent < len && n == -1 && errno != EAGAIN)
			break;	/* reset: cut */
		if (!wait_readable(fd, 20))
			continue;
		n = recv(fd, buf, sizeof buf, 0);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			break;	/* cut */
		if (n > 0) {
			ck_assert_msg(got + (size_t)n <= sent && memcmp(buf,
			    data + got, (size_t)n) == 0, "%s: wrong bytes at "
			    "offset %zu", fault_run, got);
			got += (size_t)n;
		}
	}
	if (got == len && half_close)
		ck_assert_msg(recv_eof(fd, IO_TIMEOUT_MS) == 0,
		    "no EOF after the echo of a half-closed stream");
	close(fd);
	free(data);
	return (got == len ? ECHOED : CUT);
}

/*
 * The traffic each run carries: small round trips, a stream that
 * evecho must queue (so it allocates a bufferevent and its chains), a
 * half-closed stream, and short connections.  Returns how many clients
 * were cut off.
 */
static int
fault_traffic(const char *addr, uint32_t seed)
{
	int	 cut = 0, i;

	cut += fault_client(addr, 1000, 0, 0, seed) == CUT;
	cut += fault_client(addr, 8 * 1024 * 1024, 65536, 0, seed + 1) == CUT;
	cut += fault_client(addr, 100 * 1024, 0, 1, seed + 2) == CUT;
	for (i = 0; i < 4; i++)
		cut += fault_client(addr, 10, 0, 0, seed + 3 + i) == CUT;
	return (cut);
}

/* SIGTERM, then a clean exit 0 within the drain; valgrind's 99 fails. */
static void
fault_clean_exit(struct evecho *e, const char *what)
{
	int	 status;
	char	*log;

	evecho_kill(e, SIGTERM);
	if (evecho_wait_exit(e, 20000, &status) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		log = evecho_log(e);
		ck_abort_msg("%s: no clean exit (status 0x%x); log:\n%s", what,
		    status, log != NULL ? log : "");
	}
}

/* The number after needle in the log, or -1. */
static long
fault_log_number(struct evecho *e, const char *needle)
{
	char	*log, *p;
	long	 n = -1;

	if ((log = evecho_log(e)) == NULL)
		return (-1);
	if ((p = strstr(log, needle)) != NULL)
		n = strtol(p + strlen(needle), NULL, 10);
	free(log);
	return (n);
}

/*
 * A clean exit, leaving no more blocks allocated than live0, what a run
 * without failures leaves: whatever failed leaked nothing.
 */
static void
fault_exit_no_leak(struct evecho *e, const char *what, long live0)
{
	long	 live;

	fault_clean_exit(e, what);
	live = fault_log_number(e, "allocations counted, ");
	ck_assert_msg(live >= 0 && live <= live0, "%s: %ld blocks left at "
	    "exit, %ld without failures: a leak", what, live, live0);
}

/*
 * Whether evecho's log says why a client was cut off, within timeout_ms:
 * its log has a thread of its own, so a line comes a moment after the
 * cut.
 */
static int
log_says_why(struct evecho *e, int timeout_ms)
{
	long	 deadline = now_ms() + timeout_ms;

	for (;;) {
		if (evecho_log_count(e, "error: ") +
		    evecho_log_count(e, "out of memory") > 0)
			return (1);
		if (now_ms() >= deadline)
			return (0);
		sleep_ms(5);
	}
}

/*
 * A failed allocation after start-up costs at most the connection that
 * needed it, with a line in the log saying why; every other client's
 * echo stays exact, evecho serves new clients afterwards, and it exits
 * cleanly (with no leak, under valgrind).  First a run counts the
 * allocations the traffic makes; then one run fails each of them in
 * turn (every fourth under valgrind), and a few runs fail everything
 * from some point on for a while.
 */
START_TEST(test_alloc_failures)
{
	static const char *const args[] = { "-v", "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	const char	*env[5];
	char		 nth[64], count[64];
	struct spawn_opts opts = { .envv = env };
	struct evecho	 e;
	long		 total, n, step, injected = 0, cut_runs = 0;
	long		 live0;
	int		 cut, burst, tries;

	if (!fault_usable("test_alloc_failures", 1))
		return;
	env[0] = fault_preload();
	env[1] = "EVECHO_FAULT_REPORT=1";
	env[2] = NULL;
	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	ck_assert_int_eq(fault_traffic(e.addrs[0], 1), 0);
	fault_clean_exit(&e, "counting run");
	total = fault_log_number(&e, "faultinject: ");
	live0 = fault_log_number(&e, "allocations counted, ");
	evecho_stop(&e);
	ck_assert_msg(total > 5, "only %ld allocations counted", total);
	ck_assert_int_ge(live0, 0);

	/*
	 * Threads allocate in an order that varies from run to run (the log
	 * writer's start among them), so the last allocations, those of the
	 * shut-down, may come a few later than in the counting run: go 8
	 * past it.
	 */
	step = 1;
	for (burst = 0; burst < 2; burst++) {
		for (n = 1; n <= total + 8; n += burst ? total / 6 + 1 : step) {
			snprintf(nth, sizeof nth, "EVECHO_FAULT_MALLOC=%ld", n);
			snprintf(count, sizeof count,
			    "EVECHO_FAULT_MALLOC_COUNT=%d", burst ? 50 : 1);
			env[1] = nth;
			env[2] = count;
			env[3] = "EVECHO_FAULT_REPORT=1";
			env[4] = NULL;
			snprintf(fault_run, sizeof fault_run, "%s, %s", nth,
			    count);
			ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
			cut = fault_traffic(e.addrs[0], (uint32_t)n);
			if (evecho_log_count(&e, "faultinject: failing") > 0)
				injected++;
			if (cut > 0) {
				cut_runs++;
				ck_assert_msg(log_says_why(&e, 5000),
				    "allocation %ld: %d client(s) cut off, and "
				    "nothing in the log says why", n, cut);
			}
			/*
			 * Whatever failed, evecho serves again once memory is
			 * back: each try costs allocations, so a burst of 50
			 * failures ends within 50 tries.
			 */
			for (tries = 0; fault_client(e.addrs[0], 5000, 0, 0,
			    99) != ECHOED; tries++)
				ck_assert_msg(tries < (burst ? 60 : 1),
				    "%s: no echo afterwards", fault_run);
			fault_exit_no_leak(&e, fault_run, live0);
			evecho_stop(&e);
		}
	}
	fprintf(stderr, "test_alloc_failures: %ld allocations in a run; "
	    "%ld runs hit a failure, %ld of them cut a client off\n", total,
	    injected, cut_runs);
	ck_assert_int_gt(injected, total / step / 2);
}
END_TEST

/*
 * An allocation failing while evecho starts ends it with one line
 * "evecho: ..." and a non-zero status, never a crash or a hang; or, if
 * it survives the failure, it starts and stops cleanly.
 */
START_TEST(test_alloc_failures_startup)
{
	static const char *const args[] = { "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	const char	*env[5];
	char		 nth[64], out[256], err[2048];
	struct spawn_opts opts = { .envv = env };
	int		 status, n, failed = 0;
	long		 live0;

	if (!fault_usable("test_alloc_failures_startup", 1))
		return;
	env[0] = fault_preload();
	env[1] = "EVECHO_FAULT_REPORT=1";
	env[2] = NULL;
	{
		struct evecho e;

		ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
		fault_clean_exit(&e, "start-up without failures");
		live0 = fault_log_number(&e, "allocations counted, ");
		evecho_stop(&e);
		ck_assert_int_ge(live0, 0);
	}
	env[1] = nth;
	env[2] = "EVECHO_FAULT_MALLOC_FROM=start";
	env[3] = "EVECHO_FAULT_REPORT=1";
	env[4] = NULL;
	for (n = 1; n <= 200; n++) {
		struct evecho e;

		snprintf(nth, sizeof nth, "EVECHO_FAULT_MALLOC=%d", n);
		if (evecho_spawn(&e, args, &opts) == -1)
			ck_abort_msg("cannot start evecho");
		if (evecho_wait_log(&e, " ready: ", HARNESS_START_MS) == 0) {
			fault_exit_no_leak(&e, nth, live0);
			evecho_stop(&e);
			continue;
		}
		ck_assert_msg(evecho_wait_exit(&e, 20000, &status) == 0,
		    "allocation %d failing at start-up: evecho hangs", n);
		snprintf(err, sizeof err, "%s", evecho_log(&e));
		evecho_stop(&e);
		ck_assert_msg(WIFEXITED(status), "allocation %d failing at "
		    "start-up: killed by signal %d", n, WTERMSIG(status));
		ck_assert_msg(WEXITSTATUS(status) != 0, "allocation %d: "
		    "exit 0 without starting", n);
		ck_assert_msg(strstr(err, "evecho: ") != NULL, "allocation %d "
		    "failing at start-up, status %d, and no message: %s", n,
		    WEXITSTATUS(status), err);
		failed++;
	}
	(void)out;
	fprintf(stderr, "test_alloc_failures_startup: %d of the first 200 "
	    "allocations stopped the start-up cleanly\n", failed);
	ck_assert_int_gt(failed, 0);
}
END_TEST

/*
 * A worker whose event loop fails ends the process with status 70 and a
 * line naming the cause, so that a supervisor restarts it; every client,
 * on that worker or another, gets its connection closed at once rather
 * than left hanging.
 */
START_TEST(test_worker_loop_fails)
{
	static const char *const args[] = { "-v", "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	char		 trigger[512], file_env[600];
	const char	*env[4];
	struct spawn_opts opts = { .envv = env };
	struct evecho	 e;
	unsigned char	 b;
	int		 fds[4], i, status;
	long		 t0;

	if (!fault_usable("test_worker_loop_fails", 0))
		return;
	fault_trigger_path(trigger, sizeof trigger, "loopfail");
	snprintf(file_env, sizeof file_env, "EVECHO_FAULT_LOOP_FILE=%s",
	    trigger);
	env[0] = fault_preload();
	env[1] = "EVECHO_FAULT_LOOP_THREAD=evecho-w1";
	env[2] = file_env;
	env[3] = NULL;
	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	for (i = 0; i < 4; i++) {	/* two on each worker, in turn */
		fds[i] = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(fds[i], -1);
		b = (unsigned char)i;
		ck_assert_int_eq(send_all(fds[i], &b, 1, IO_TIMEOUT_MS), 0);
		ck_assert_int_eq(recv_exact(fds[i], &b, 1, IO_TIMEOUT_MS), 0);
	}
	fault_trigger(trigger);
	t0 = now_ms();
	b = 'w';
	for (i = 0; i < 4; i++)	/* wake the worker, whichever it is */
		send_all(fds[i], &b, 1, IO_TIMEOUT_MS);
	ck_assert_msg(evecho_wait_exit(&e, IO_TIMEOUT_MS, &status) == 0,
	    "evecho did not exit after its worker's loop failed");
	unlink(trigger);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 70);
	ck_assert_int_eq(evecho_log_count(&e, "error: worker 1: event loop "
	    "failed: Invalid argument; closing every connection and "
	    "exiting"), 1);
	for (i = 0; i < 4; i++) {
		unsigned char buf[8];
		ssize_t n;

		/* The echo of 'w' may come first, then the end. */
		while ((n = recv(fds[i], buf, sizeof buf, 0)) > 0)
			;
		ck_assert_msg(n == 0 || errno == ECONNRESET, "client %d: %s",
		    i, strerror(errno));
		close(fds[i]);
	}
	ck_assert_msg(now_ms() - t0 < 5000, "clients waited %ld ms",
	    now_ms() - t0);
	evecho_stop(&e);
}
END_TEST

/*
 * The idle timeout runs on the monotonic clock: a step of the wall
 * clock, forward or back, neither closes a busy connection nor keeps an
 * idle one open past its time.
 */
START_TEST(test_wall_clock_step)
{
	static const char *const args[] = { "-v", "-t", "1", "--threads", "1",
	    "-l", "127.0.0.1:0", NULL };
	static const char *const steps[] = { "EVECHO_FAULT_CLOCK_STEP=3600",
	    "EVECHO_FAULT_CLOCK_STEP=-3600" };
	char		 trigger[512], file_env[600];
	const char	*env[4];
	struct spawn_opts opts = { .envv = env };
	struct evecho	 e;
	unsigned char	 b;
	long		 t0, closed;
	int		 busy, idle, i, k;

	if (!fault_usable("test_wall_clock_step", 0))
		return;
	for (k = 0; k < 2; k++) {
		fault_trigger_path(trigger, sizeof trigger, "clockstep");
		snprintf(file_env, sizeof file_env,
		    "EVECHO_FAULT_CLOCK_FILE=%s", trigger);
		env[0] = fault_preload();
		env[1] = steps[k];
		env[2] = file_env;
		env[3] = NULL;
		ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
		busy = tcp_connect_addr(e.addrs[0]);
		idle = tcp_connect_addr(e.addrs[0]);
		ck_assert_int_ne(busy, -1);
		ck_assert_int_ne(idle, -1);
		b = 'i';
		ck_assert_int_eq(send_all(idle, &b, 1, IO_TIMEOUT_MS), 0);
		ck_assert_int_eq(recv_exact(idle, &b, 1, IO_TIMEOUT_MS), 0);
		t0 = now_ms();
		closed = -1;
		for (i = 0; i < 25; i++) {	/* 2.5 s, busy every 100 ms */
			if (i == 3)
				fault_trigger(trigger);
			b = (unsigned char)i;
			ck_assert_int_eq(send_all(busy, &b, 1, IO_TIMEOUT_MS),
			    0);
			ck_assert_msg(recv_exact(busy, &b, 1, IO_TIMEOUT_MS) ==
			    0, "%s: a busy connection was closed", steps[k]);
			if (closed == -1 && wait_readable(idle, 0))
				closed = now_ms() - t0;
			sleep_ms(100);
		}
		ck_assert_msg(closed >= 900 && closed <= 1400, "%s: the idle "
		    "connection closed after %ld ms, with -t 1", steps[k],
		    closed);
		ck_assert_int_eq(recv_eof(idle, 0), 0);
		close(busy);
		close(idle);
		unlink(trigger);
		evecho_stop(&e);
	}
}
END_TEST

/*
 * A group of echoes the kernel will not cut (a path whose MTU is below
 * the segment; here the shim's EINVAL) goes out again a datagram at a
 * time: every echo arrives, whole and in order, and none is counted lost.
 */
START_TEST(test_gso_refused)
{
	static const char *const args[] = { "-vv", "--threads", "1", "-l",
	    "udp:127.0.0.1:0", NULL };
	const char	*env[3];
	struct spawn_opts opts = { .envv = env };
	struct evecho	 e;
	unsigned char	 msg[5][300], back[512];
	ssize_t		 n;
	int		 fd, i;

	if (!fault_usable("test_gso_refused", 0))
		return;
	env[0] = fault_preload();
	env[1] = "EVECHO_FAULT_GSO=1";
	env[2] = NULL;
	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	fd = udp_connected(AF_INET, atoi(strrchr(e.addrs[0], ':') + 1));
	ck_assert_int_eq(kill(e.pid, SIGSTOP), 0);
	for (i = 0; i < 5; i++) {
		pattern_fill(msg[i], sizeof msg[i], (uint32_t)i + 90);
		ck_assert_int_eq(send(fd, msg[i], sizeof msg[i], 0),
		    (ssize_t)sizeof msg[i]);
	}
	ck_assert_int_eq(kill(e.pid, SIGCONT), 0);
	for (i = 0; i < 5; i++) {
		n = udp_recv(fd, back, sizeof back, IO_TIMEOUT_MS);
		ck_assert_msg(n == (ssize_t)sizeof msg[i], "echo %d: %zd "
		    "bytes", i, n);
		ck_assert(memcmp(back, msg[i], sizeof msg[i]) == 0);
	}
	ck_assert_int_ge(evecho_log_count(&e, "faultinject: refusing a "
	    "segmented"), 1);
	ck_assert_int_eq(evecho_log_count(&e, "in one message"), 0);
	ck_assert_int_eq(evecho_log_count(&e, "no echo to"), 0);
	close(fd);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite	*s = suite_create("faults");
	TCase	*tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 900);
	harness_add_test(tc, test_worker_loop_fails);
	harness_add_test(tc, test_wall_clock_step);
	harness_add_test(tc, test_gso_refused);
	harness_add_test(tc, test_alloc_failures_startup);
	harness_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(faults_suite()));
}

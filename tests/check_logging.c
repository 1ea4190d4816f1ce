/*
 * check_logging.c: where evecho's log goes and in what form, on the real
 * binary: --log-file and its reopening on SIGHUP, JSON lines checked by
 * jq(1), and an event loop that never waits on a log nobody reads.
 */
#include "autoconfig.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	30000
#define WAIT_MS		10000

static char	 dir[256];	/* this test's own directory */

static void
make_dir(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/evecho-log-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
remove_dir(void)
{
	char	 cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The whole of a file, NUL-terminated; "" if it is missing. */
static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		return (strdup(""));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	if (len > 0)
		ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return (buf);
}

static int
count(const char *text, const char *needle)
{
	int	 n = 0;

	for (; (text = strstr(text, needle)) != NULL; text++)
		n++;
	return (n);
}

/* Wait until the file at path holds needle n times. */
static int
wait_file(const char *path, const char *needle, int n, int timeout_ms)
{
	long	 deadline = now_ms() + timeout_ms;
	char	*text;
	int	 found;

	for (;;) {
		text = slurp(path);
		found = count(text, needle);
		free(text);
		if (found >= n)
			return (0);
		if (now_ms() >= deadline)
			return (-1);
		sleep_ms(10);
	}
}

/* Start evecho logging to path; the address it listens on into addr. */
static void
start_logging_to(struct evecho *e, const char *const *args, const char *path,
    char *addr, size_t addrlen)
{
	char	*text, *p;

	ck_assert_int_eq(evecho_spawn(e, args, NULL), 0);
	ck_assert_msg(wait_file(path, " ready: ", 1, WAIT_MS) == 0,
	    "evecho never said it was ready in %s", path);
	text = slurp(path);
	ck_assert_ptr_nonnull(p = strstr(text, "listening on "));
	p += strlen("listening on ");
	snprintf(addr, addrlen, "%.*s", (int)strcspn(p, " \n\""), p);
	free(text);
}

/* One connection: a line out and back, then closed by us. */
static void
one_echo(const char *addr)
{
	static const char	 msg[] = "hello, log\n";
	char			 back[sizeof msg];
	int			 fd;

	ck_assert_int_ne(fd = tcp_connect_addr(addr), -1);
	ck_assert_int_eq(send_all(fd, msg, sizeof msg - 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, back, sizeof msg - 1, IO_TIMEOUT_MS),
	    0);
	ck_assert_int_eq(memcmp(back, msg, sizeof msg - 1), 0);
	close(fd);
}

/*
 * --log-file appends there, not to stderr; after the file is moved away
 * (as logrotate does), lines still go to it until SIGHUP, then to a new
 * file under the name.
 */
START_TEST(test_log_file_reopen)
{
	struct evecho	 e;
	char		 path[300], moved[310], addr[64], *old, *now;

	make_dir();
	snprintf(path, sizeof path, "%s/evecho.log", dir);
	snprintf(moved, sizeof moved, "%s.1", path);
	{
		const char *const args[] = { "-v", "-l", "127.0.0.1:0",
		    "--log-file", path, NULL };

		start_logging_to(&e, args, path, addr, sizeof addr);
	}
	one_echo(addr);
	ck_assert_int_eq(wait_file(path, " closed (", 1, WAIT_MS), 0);
	ck_assert_int_eq(rename(path, moved), 0);
	one_echo(addr);
	ck_assert_int_eq(wait_file(moved, " closed (", 2, WAIT_MS), 0);

	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	ck_assert_msg(wait_file(path, "SIGHUP: reopened log file", 1,
	    WAIT_MS) == 0, "no new log file after SIGHUP");
	one_echo(addr);
	ck_assert_int_eq(wait_file(path, " closed (", 1, WAIT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);

	old = slurp(moved);
	now = slurp(path);
	ck_assert_int_eq(count(old, " closed ("), 2);
	ck_assert_int_eq(count(now, " closed ("), 1);
	ck_assert_int_eq(count(now, " stopped\n"), 1);
	ck_assert_int_eq(count(old, " stopped\n"), 0);
	free(old);
	free(now);
	old = evecho_log(&e);
	ck_assert_msg(old != NULL && *old == '\0', "stderr has: %s", old);
	free(old);
	evecho_stop(&e);
	remove_dir();
}
END_TEST

/* Without --log-file, SIGHUP has nothing to reopen: evecho serves on. */
START_TEST(test_sighup_ignored)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;

	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	sleep_ms(100);
	one_echo(e.addrs[0]);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	evecho_stop(&e);
}
END_TEST

/* A log file that cannot be opened: one line, exit 73 (EX_CANTCREAT). */
START_TEST(test_log_file_unopenable)
{
	static const char *const args[] = { "-l", "127.0.0.1:0",
	    "--log-file", "/nonexistent/evecho.log", NULL };
	char	 out[256], err[512];
	int	 status;

	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out, err,
	    sizeof err), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 73,
	    "wait status 0x%x", status);
	ck_assert_str_eq(err, "evecho: cannot open log file "
	    "/nonexistent/evecho.log: No such file or directory\n");
}
END_TEST

/* Run jq over path with filter; its output. */
static char *
jq(const char *filter, const char *path)
{
	char	 cmd[1024], out[300];
	FILE	*fp;
	int	 status;

	snprintf(out, sizeof out, "%s/jq.out", dir);
	/* -a: past ASCII as \u escapes, as evecho wrote them. */
	snprintf(cmd, sizeof cmd, "jq -ac '%s' '%s' > '%s' 2>&1", filter,
	    path, out);
	ck_assert_msg((fp = popen(cmd, "r")) != NULL, "popen jq");
	status = pclose(fp);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "jq failed on %s (is jq installed?): %s", path, slurp(out));
	return (slurp(out));
}

/*
 * --log-format json: every line parses (jq reads them all, one value
 * per line), connection lines carry their fields, and strings are
 * escaped: the file's own name, with a quote, a backslash, a tab and a
 * byte past ASCII, comes back whole in the SIGHUP line.
 */
START_TEST(test_log_json)
{
	static const char	 name[] = "ev\"ec\\ho\t\xc3\xa9.log";
	struct evecho		 e;
	char			 path[300], addr[64], *text, *got, *want;
	int			 lines;

	make_dir();
	snprintf(path, sizeof path, "%s/%s", dir, name);
	{
		const char *const args[] = { "-vv", "--threads", "1", "-l",
		    "127.0.0.1:0", "--log-format", "json", "--log-file", path,
		    NULL };

		start_logging_to(&e, args, path, addr, sizeof addr);
	}
	one_echo(addr);
	ck_assert_int_eq(wait_file(path, "\"event\":\"closed\"", 1, WAIT_MS),
	    0);
	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	ck_assert_int_eq(wait_file(path, "SIGHUP", 1, WAIT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);

	text = slurp(path);
	lines = count(text, "\n");
	ck_assert_int_ge(lines, 8);
	free(text);
	/* One compact object out per line in: each line is one value. */
	got = jq(".", path);
	ck_assert_int_eq(count(got, "\n"), lines);
	free(got);
	got = jq("select(.event == \"closed\") | [.level, .reason, .bytes_in, "
	    ".bytes_out, (.duration | type), .worker, (.peer | "
	    "startswith(\"127.0.0.1:\"))]", path);
	ck_assert_str_eq(got, "[\"conn\",\"closed by client\",11,11,"
	    "\"number\",0,true]\n");
	free(got);
	got = jq("select(.event == \"connected\") | .level", path);
	ck_assert_str_eq(got, "\"conn\"\n");
	free(got);
	got = jq("[.[\"time\", \"level\", \"event\", \"msg\"] | type] | "
	    "unique", path);
	ck_assert_int_eq(count(got, "[\"string\"]\n"), lines);
	free(got);
	got = jq("select(.msg | startswith(\"SIGHUP\")) | .msg", path);
	if (asprintf(&want, "\"SIGHUP: reopened log file %s/ev\\\"ec\\\\ho\\t"
	    "\\u00c3\\u00a9.log\"\n", dir) == -1)
		ck_abort_msg("asprintf");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	evecho_stop(&e);
	remove_dir();
}
END_TEST

/*
 * A real rsyslogd, unprivileged, listening on dir/dev/log and writing
 * every message to dir/syslog.out as "facility.severity tag: message".
 */
static pid_t
start_rsyslogd(void)
{
	char	 conf[300], out[300], devdir[300], sock[310], pidfile[300];
	FILE	*fp;
	pid_t	 pid;
	long	 deadline;
	struct stat st;

	snprintf(conf, sizeof conf, "%s/rsyslog.conf", dir);
	snprintf(out, sizeof out, "%s/syslog.out", dir);
	snprintf(devdir, sizeof devdir, "%s/dev", dir);
	snprintf(sock, sizeof sock, "%s/log", devdir);
	snprintf(pidfile, sizeof pidfile, "%s/rsyslogd.pid", dir);
	ck_assert_int_eq(mkdir(devdir, 0755), 0);
	ck_assert_ptr_nonnull(fp = fopen(conf, "w"));
	fprintf(fp,
	    "global(workDirectory=\"%s\")\n"
	    "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
	    "input(type=\"imuxsock\" Socket=\"%s\" RateLimit.Interval=\"0\")\n"
	    "template(name=\"t\" type=\"string\" string=\"%%syslogfacility-"
	    "text%%.%%syslogseverity-text%% %%syslogtag%%%%msg%%\\n\")\n"
	    "*.* action(type=\"omfile\" file=\"%s\" template=\"t\")\n",
	    dir, sock, out);
	ck_assert_int_eq(fclose(fp), 0);
	if ((pid = fork()) == 0) {
		/* /usr/sbin is not on every user's PATH. */
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidfile,
		    (char *)NULL);
		execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", conf, "-i",
		    pidfile, (char *)NULL);
		fprintf(stderr, "cannot run rsyslogd (from Debian's rsyslog, "
		    "which the README's test command installs): %s\n",
		    strerror(errno));
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	for (deadline = now_ms() + WAIT_MS; stat(sock, &st) == -1; ) {
		ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "rsyslogd "
		    "exited: is Debian's rsyslog installed?");
		ck_assert_msg(now_ms() < deadline, "rsyslogd made no socket");
		sleep_ms(10);
	}
	return (pid);
}

/*
 * --syslog-facility local3 to a real rsyslogd: lines arrive under
 * evecho's name and pid, at the facility asked for and the severity of
 * each (info, warning), without a timestamp of evecho's own.
 */
START_TEST(test_syslog)
{
	struct spawn_opts	 opts;
	struct evecho		 e;
	pid_t			 rsyslogd;
	char			 out[300], devdir[300], addr[64], tag[128];
	char			*text, *p;
	int			 fd1, fd2;

	make_dir();
	rsyslogd = start_rsyslogd();
	snprintf(out, sizeof out, "%s/syslog.out", dir);
	snprintf(devdir, sizeof devdir, "%s/dev", dir);
	memset(&opts, 0, sizeof opts);
	opts.dev_dir = devdir;
	{
		const char *const args[] = { "-v", "-l", "127.0.0.1:0",
		    "--syslog-facility", "local3", "--max-conns-per-host",
		    "1", NULL };

		ck_assert_int_eq(evecho_spawn(&e, args, &opts), 0);
	}
	snprintf(tag, sizeof tag, "local3.info evecho[%ld]: ", (long)e.pid);
	ck_assert_msg(wait_file(out, " ready: ", 1, WAIT_MS) == 0,
	    "no ready line through rsyslogd");
	text = slurp(out);
	ck_assert_ptr_nonnull(p = strstr(text, "listening on "));
	p += strlen("listening on ");
	snprintf(addr, sizeof addr, "%.*s", (int)strcspn(p, " \n"), p);
	ck_assert_msg(strstr(text, tag) != NULL, "no '%s' in: %s", tag, text);
	free(text);

	/* The second connection from this host is refused: a warning. */
	ck_assert_int_ne(fd1 = tcp_connect_addr(addr), -1);
	ck_assert_int_eq(wait_file(out, " connected (1 open)", 1, WAIT_MS),
	    0);
	ck_assert_int_ne(fd2 = tcp_connect_addr(addr), -1);
	ck_assert_int_eq(recv_eof(fd2, IO_TIMEOUT_MS), 0);
	close(fd2);
	close(fd1);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	ck_assert_int_eq(wait_file(out, "]: stopped", 1, WAIT_MS), 0);

	text = slurp(out);
	snprintf(tag, sizeof tag, "local3.warning evecho[%ld]: host "
	    "127.0.0.1 is at --max-conns-per-host 1", (long)e.pid);
	ck_assert_msg(strstr(text, tag) != NULL, "no '%s' in: %s", tag, text);
	/* The message itself first: syslog has the time already. */
	snprintf(tag, sizeof tag, "local3.info evecho[%ld]: listening on ",
	    (long)e.pid);
	ck_assert_msg(strstr(text, tag) != NULL, "no '%s' in: %s", tag, text);
	free(text);
	kill(rsyslogd, SIGTERM);
	waitpid(rsyslogd, NULL, 0);
	evecho_stop(&e);
	remove_dir();
}
END_TEST

/* Read from fd, appending to buf, until it holds needle. */
static int
read_until(int fd, char *buf, size_t size, const char *needle,
    int timeout_ms)
{
	long	 deadline = now_ms() + timeout_ms;
	size_t	 len = strlen(buf);
	ssize_t	 n;

	while (strstr(buf, needle) == NULL) {
		if (now_ms() >= deadline || len + 1 >= size)
			return (-1);
		if (wait_readable(fd, 100) <= 0)
			continue;
		if ((n = read(fd, buf + len, size - 1 - len)) <= 0)
			return (-1);
		len += (size_t)n;
		buf[len] = '\0';
	}
	return (0);
}

/* Read fd and throw it away, until EOF or for timeout_ms at most. */
static void
drain_until_eof(int fd, int timeout_ms)
{
	char	 buf[65536];
	long	 deadline = now_ms() + timeout_ms;

	while (now_ms() < deadline) {
		if (wait_readable(fd, 100) <= 0)
			continue;
		if (read(fd, buf, sizeof buf) <= 0)
			return;
	}
}

/*
 * Start evecho -vv on two threads with stderr on a pipe the test reads
 * only until it is ready; the address into addr, the pipe's read end
 * returned.
 */
static int
start_on_pipe(struct evecho *e, char *addr, size_t addrlen)
{
	static const char *const args[] = { "-vv", "--threads", "2", "-l",
	    "127.0.0.1:0", NULL };
	static char	 seen[65536];
	int		 fds[2];
	char		*p;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(evecho_spawn_stderr(e, args, NULL, fds[1]), 0);
	close(fds[1]);
	seen[0] = '\0';
	ck_assert_msg(read_until(fds[0], seen, sizeof seen, " ready: ",
	    WAIT_MS) == 0, "evecho never got ready: %s", seen);
	ck_assert_ptr_nonnull(p = strstr(seen, "listening on "));
	p += strlen("listening on ");
	snprintf(addr, addrlen, "%.*s", (int)strcspn(p, " \n"), p);
	return (fds[0]);
}

/*
 * Four clients each echo 64-byte messages one at a time, want in all or
 * for at most ms; at -vv that is two log lines per message, and a pipe
 * and evecho's queue hold some 1,200.  Returns the messages echoed;
 * every byte is checked, and an echo that stalls fails the test.
 */
static long
pingpong(const char *addr, long want, int ms)
{
	enum { CLIENTS = 4, SIZE = 64 };
	unsigned char	 out[SIZE], in[SIZE];
	int		 fd[CLIENTS], i;
	long		 deadline = now_ms() + ms, n = 0;

	for (i = 0; i < CLIENTS; i++)
		ck_assert_int_ne(fd[i] = tcp_connect_addr(addr), -1);
	while (n < want && now_ms() < deadline) {
		for (i = 0; i < CLIENTS; i++) {
			pattern_fill(out, sizeof out, (uint32_t)(n + i));
			ck_assert_msg(send_all(fd[i], out, SIZE, 5000) == 0,
			    "send stalled after %ld messages", n);
			ck_assert_msg(recv_exact(fd[i], in, SIZE, 5000) == 0,
			    "echo stalled after %ld messages", n);
			ck_assert_int_eq(memcmp(in, out, SIZE), 0);
		}
		n += CLIENTS;
	}
	for (i = 0; i < CLIENTS; i++)
		close(fd[i]);
	return (n);
}

/*
 * Nobody reads evecho's stderr: the pipe fills, yet the echo goes on,
 * lines are dropped; once the pipe is read again, a line says how many
 * were lost, and SIGTERM still drains and exits 0.
 */
START_TEST(test_log_stalled_reader)
{
	static char	 seen[1 << 20];
	struct evecho	 e;
	char		 addr[64];
	long		 n, want;
	int		 rfd, queued = 0;

	/* Well past what the pipe and the queue hold, valgrind or not. */
	want = getenv("EVECHO_WRAPPER") != NULL ? 1500 : 4000;

	rfd = start_on_pipe(&e, addr, sizeof addr);
	n = pingpong(addr, want, 20000);
	/*
	 * A pipe is full when its pages are, and a page may be part empty,
	 * so its byte count proves little past half; the lines lost, below,
	 * prove the stall.
	 */
	ck_assert_int_eq(ioctl(rfd, FIONREAD, &queued), 0);
	ck_assert_msg(queued >= 32768, "the pipe holds %d bytes: not full",
	    queued);
	ck_assert_msg(n == want, "only %ld messages echoed in 20 s with the "
	    "log stalled", n);

	/* Read again: the writer wakes and says what it lost. */
	seen[0] = '\0';
	ck_assert_msg(read_until(rfd, seen, sizeof seen, " log lines lost: "
	    "the log could not keep up", WAIT_MS) == 0,
	    "no line about lost lines");
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(read_until(rfd, seen, sizeof seen, " stopped\n",
	    WAIT_MS), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	close(rfd);
	evecho_stop(&e);
}
END_TEST

/* Still nobody reading: SIGTERM drains and exits 0, the log left behind. */
START_TEST(test_log_stalled_exit)
{
	struct evecho	 e;
	char		 addr[64];
	int		 rfd, fd;
	long		 t0;

	rfd = start_on_pipe(&e, addr, sizeof addr);
	(void)pingpong(addr, 2000, 20000);
	/* A client still connected at the signal is drained: FIN, then 0. */
	ck_assert_int_ne(fd = tcp_connect_addr(addr), -1);
	ck_assert_int_eq(send_all(fd, "x", 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, (char [1]){ 0 }, 1, IO_TIMEOUT_MS), 0);
	t0 = now_ms();
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	if (harness_wrapped("test_log_stalled_exit: exit status and time")) {
		/*
		 * valgrind reports the writer left behind, and its queue, as
		 * a leak (exit status 99), on the very stderr nobody reads:
		 * once the writer is left behind, read, so that it can.
		 */
		sleep_ms(3000);
		drain_until_eof(rfd, IO_TIMEOUT_MS);
		ck_assert_int_eq(evecho_wait_exit(&e, WAIT_MS, NULL), 0);
	} else {
		evecho_must_exit_0(&e, WAIT_MS);
		ck_assert_msg(now_ms() - t0 < 5000, "exit took %ld ms",
		    now_ms() - t0);
	}
	close(rfd);
	evecho_stop(&e);
}
END_TEST

static Suite *
logging_suite(void)
{
	Suite	*s = suite_create("logging");
	TCase	*tc = tcase_create("logging");

	tcase_set_timeout(tc, 60);
	harness_add_test(tc, test_log_file_reopen);
	harness_add_test(tc, test_log_file_unopenable);
	harness_add_test(tc, test_sighup_ignored);
	harness_add_test(tc, test_log_json);
	harness_add_test(tc, test_syslog);
	harness_add_test(tc, test_log_stalled_reader);
	harness_add_test(tc, test_log_stalled_exit);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(logging_suite()));
}

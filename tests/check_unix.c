/*
 * check_unix.c: evecho on Unix-domain stream sockets, on the real binary:
 * the echo itself (a large transfer, half-close), a stale socket file
 * replaced, a live one and a file of another kind refused with their exit
 * statuses and messages, paths that cannot hold a socket, --unix-mode and
 * --unix-owner on the file, its removal at exit (and only of our own
 * file), the client's pid and uid in the log, a PROXY header on a unix:
 * listener, abstract sockets, and a socket passed in by systemd.
 *
 * Each test works in a directory of its own under $TMPDIR (or /tmp).
 * The owner and permission tests need root and say so without it.
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	10000
#define EXIT_MS		20000	/* a drain's end, under valgrind */
#define ACTIVATE	"systemd-socket-activate"

static char	 dir[128];		/* this test's own directory */
static char	 sock[192];		/* dir/e.sock */
static char	 spec[200];		/* "unix:" sock */

/* A fresh directory for the test, and the socket path in it. */
static void
unix_setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	harness_setup();
	snprintf(dir, sizeof dir, "%s/evecho-unix-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/e.sock", dir);
	snprintf(spec, sizeof spec, "unix:%s", sock);
}

static void
unix_teardown(void)
{
	char	 cmd[300];

	harness_teardown();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* Whether the test may change ids; if not, say it is skipped. */
static int
unix_root(const char *test)
{
	if (geteuid() == 0)
		return (1);
	fprintf(stderr, "%s: skipped: needs root, as the README runs it\n",
	    test);
	return (0);
}

/* A connected stream socket to path ("@name": abstract), or the test fails. */
static int
unix_connect(const char *path)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@') {
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(path));
	}
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, len) == 0,
	    "connect %s: %s", path, strerror(errno));
	return (fd);
}

/* A socket bound at path; listening if listening, else left stale. */
static int
unix_bind(const char *path, int listening)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path));
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 4), 0);
	return (fd);
}

/* evecho started on the test's socket path, with more flags. */
static void
unix_start(struct evecho *e, const char *const *more)
{
	const char	*args[16];
	int		 n = 0;

	args[n++] = "-l";
	args[n++] = spec;
	while (more != NULL && *more != NULL && n < 15)
		args[n++] = *more++;
	args[n] = NULL;
	evecho_must_start(e, args);
}

/* Run evecho to its end; its status, with its stderr in err. */
static int
unix_run(const char *const *args, const struct spawn_opts *opts, char *err,
    size_t errlen)
{
	char	 out[256];
	int	 status;

	ck_assert_int_eq(run_evecho(args, opts, &status, out, sizeof out, err,
	    errlen), 0);
	ck_assert_str_eq(out, "");
	return (status);
}

/* Fail unless status is exit(want). */
static void
unix_exit_is(int status, int want, const char *err)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want,
	    "wait status 0x%x, not exit %d; stderr: %s", status, want, err);
}

/* Stop with SIGTERM and wait for a clean exit. */
static void
unix_term(struct evecho *e)
{
	ck_assert_int_eq(evecho_kill(e, SIGTERM), 0);
	evecho_must_exit_0(e, EXIT_MS);
}

/* The whole of a small file, NUL-terminated, or the test fails. */
static void
unix_read(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_ge(n = read(fd, buf, len - 1), 0);
	buf[n] = '\0';
	close(fd);
}

/* 4 MiB there and back, then half-close: the rest comes back, then EOF. */
START_TEST(test_echo)
{
	struct evecho	 e;
	char		 buf[8];
	int		 fd;

	unix_start(&e, NULL);
	ck_assert_str_eq(e.addrs[0], spec);
	fd = unix_connect(sock);
	echo_pattern(fd, 4 * 1024 * 1024, 7);
	ck_assert_int_eq(send_all(fd, "tail", 4, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(recv_exact(fd, buf, 4, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(memcmp(buf, "tail", 4), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* A socket file nobody accepts on is replaced, and served. */
START_TEST(test_stale_replaced)
{
	struct evecho	 e;
	struct stat	 before, after;
	int		 fd;

	close(unix_bind(sock, 0));
	/* Not by its inode, which the new file may get again. */
	ck_assert_int_eq(chmod(sock, 0601), 0);
	ck_assert_int_eq(lstat(sock, &before), 0);
	ck_assert_msg(S_ISSOCK(before.st_mode), "not a socket");
	unix_start(&e, NULL);
	ck_assert_int_eq(lstat(sock, &after), 0);
	ck_assert_msg((after.st_mode & 07777) == 0660, "the stale file "
	    "stayed: mode %o", (unsigned)(after.st_mode & 07777));
	fd = unix_connect(sock);
	echo_pattern(fd, 1000, 1);
	close(fd);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* A socket somebody accepts on is left to it: exit 71, and why. */
START_TEST(test_live_refused)
{
	const char *const args[] = { "-l", spec, NULL };
	char		 err[512], want[300];
	int		 lfd, fd, cfd, status;

	lfd = unix_bind(sock, 1);
	status = unix_run(args, NULL, err, sizeof err);
	unix_exit_is(status, 71, err);
	snprintf(want, sizeof want, "evecho: cannot listen on %s: another "
	    "process accepts on it\n", spec);
	ck_assert_str_eq(err, want);
	/* Still the test's socket, still accepting. */
	fd = unix_connect(sock);
	ck_assert_int_eq(wait_readable(lfd, IO_TIMEOUT_MS), 1);
	ck_assert_int_ne(cfd = accept(lfd, NULL, NULL), -1);
	close(cfd);
	/* The probe's connection was queued before it. */
	close(fd);
	close(lfd);
}
END_TEST

/* A regular file at the path is not evecho's to remove: exit 73. */
START_TEST(test_file_refused)
{
	const char *const args[] = { "-l", spec, NULL };
	char		 err[512], want[400], text[16];
	int		 fd, status;

	ck_assert_int_ne(fd = open(sock, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    -1);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	status = unix_run(args, NULL, err, sizeof err);
	unix_exit_is(status, 73, err);
	snprintf(want, sizeof want, "evecho: cannot listen on %s: it is a "
	    "regular file, not a socket; evecho removes only stale sockets\n",
	    spec);
	ck_assert_str_eq(err, want);
	unix_read(sock, text, sizeof text);
	ck_assert_str_eq(text, "keep");
}
END_TEST

/*
 * Paths that cannot hold a socket, root or not: a file where a directory
 * should be, a directory that does not exist (73); a directory the user
 * may not write in (77), as nobody.
 */
START_TEST(test_bad_paths)
{
	static const struct {
		const char	*tail;		/* after dir */
		int		 status;
		const char	*why;
	} cases[] = {
		{ "/plain/e.sock", 73, "Not a directory" },
		{ "/none/e.sock", 73, "No such file or directory" },
	};
	struct spawn_opts opts;
	char		 path[256], where[300], err[512], want[600];
	const char	*args[] = { "-l", where, NULL };
	size_t		 i;
	int		 fd, status;

	snprintf(path, sizeof path, "%s/plain", dir);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(where, sizeof where, "unix:%s%s", dir, cases[i].tail);
		status = unix_run(args, NULL, err, sizeof err);
		unix_exit_is(status, cases[i].status, err);
		snprintf(want, sizeof want, "evecho: cannot listen on %s: %s\n",
		    where, cases[i].why);
		ck_assert_str_eq(err, want);
	}
	if (!unix_root("test_bad_paths (as nobody)"))
		return;
	/* dir is root's, 0755: nobody may look, not create. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	memset(&opts, 0, sizeof opts);
	opts.as_nobody = 1;
	snprintf(where, sizeof where, "%s", spec);
	status = unix_run(args, &opts, err, sizeof err);
	unix_exit_is(status, 77, err);
	snprintf(want, sizeof want, "evecho: cannot listen on %s: Permission "
	    "denied\n", spec);
	ck_assert_str_eq(err, want);
}
END_TEST

/* --unix-mode is the file's mode; 0660 by default; bad values refused. */
START_TEST(test_mode)
{
	static const char *const bad[] = { "0778", "8", "01777", "", "-1",
	    "07777", "0o660", NULL };
	const char *const mode[] = { "--unix-mode", "0604", NULL };
	const char	*args[] = { "-l", spec, "--unix-mode", NULL, NULL };
	struct evecho	 e;
	struct stat	 st;
	char		 err[512], want[300];
	size_t		 i;
	int		 status;

	unix_start(&e, NULL);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_msg(S_ISSOCK(st.st_mode), "not a socket");
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	unix_term(&e);
	evecho_stop(&e);

	unix_start(&e, mode);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0604);
	unix_term(&e);
	evecho_stop(&e);

	for (i = 0; bad[i] != NULL; i++) {
		args[3] = bad[i];
		status = unix_run(args, NULL, err, sizeof err);
		unix_exit_is(status, 64, err);
		snprintf(want, sizeof want, "evecho: invalid value '%s' for "
		    "--unix-mode: expected an octal mode from 0 to 0777, such "
		    "as 0660\nTry 'evecho --help' for more information.\n",
		    bad[i]);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

/* --unix-owner gives the file away; an unknown name is exit 67. */
START_TEST(test_owner)
{
	const char *const owner[] = { "--unix-owner", "nobody", NULL };
	const char *const unknown[] = { "-l", spec, "--unix-owner",
	    "evecho-no-such-user", NULL };
	const struct passwd *pw;
	struct evecho	 e;
	struct stat	 st;
	char		 err[512];
	int		 status, fd;

	if (!unix_root("test_owner"))
		return;
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	unix_start(&e, owner);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_uid, pw->pw_uid);
	ck_assert_uint_eq(st.st_gid, pw->pw_gid);
	fd = unix_connect(sock);
	echo_pattern(fd, 100, 3);
	close(fd);
	unix_term(&e);
	evecho_stop(&e);

	status = unix_run(unknown, NULL, err, sizeof err);
	unix_exit_is(status, 67, err);
	ck_assert_str_eq(err, "evecho: unknown user 'evecho-no-such-user' for "
	    "--unix-owner\n");
}
END_TEST

/* The socket file goes at exit, after SIGTERM's drain too. */
START_TEST(test_removed_at_exit)
{
	struct evecho	 e;
	struct stat	 st;
	char		 buf[4];
	int		 fd;

	unix_start(&e, NULL);
	fd = unix_connect(sock);
	ck_assert_int_eq(send_all(fd, "abc", 3, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, buf, 3, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	/* Listening stops, and the file goes, as the drain begins. */
	ck_assert_int_eq(evecho_wait_log(&e, "SIGTERM: stopped listening",
	    IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	evecho_must_exit_0(&e, EXIT_MS);
	ck_assert_msg(lstat(sock, &st) == -1 && errno == ENOENT,
	    "%s is still there", sock);
	evecho_stop(&e);
}
END_TEST

/*
 * With --daemon the file is the daemon's to remove, not the command's,
 * which exits once the daemon serves; and a relative path is refused.
 */
START_TEST(test_daemon_removes)
{
	char		 pidfile[256], log[256], err[512], text[32];
	const char *const args[] = { "--daemon", "-l", spec, "--pidfile",
	    pidfile, "--log-file", log, NULL };
	const char *const relative[] = { "--daemon", "-l", "unix:e.sock",
	    NULL };
	struct stat	 st;
	long		 deadline;
	pid_t		 pid, r;
	int		 status, fd;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	snprintf(log, sizeof log, "%s/evecho.log", dir);
	status = unix_run(args, NULL, err, sizeof err);
	unix_exit_is(status, 0, err);
	ck_assert_int_eq(lstat(sock, &st), 0);
	unix_read(pidfile, text, sizeof text);
	ck_assert_int_gt(pid = (pid_t)atol(text), 0);
	fd = unix_connect(sock);
	echo_pattern(fd, 1000, 8);
	close(fd);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	deadline = now_ms() + EXIT_MS;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		sleep_ms(5);
	ck_assert_msg(r == pid, "the daemon did not exit");
	unix_exit_is(status, 0, "(see the log)");
	ck_assert_msg(lstat(sock, &st) == -1 && errno == ENOENT,
	    "%s is still there", sock);

	status = unix_run(relative, NULL, err, sizeof err);
	unix_exit_is(status, 64, err);
	ck_assert_str_eq(err, "evecho: -l unix:e.sock must be an absolute path "
	    "with --daemon, which changes directory to /\nTry 'evecho --help' "
	    "for more information.\n");
}
END_TEST

/* A file that replaced ours meanwhile is not ours to remove. */
START_TEST(test_newer_file_kept)
{
	struct evecho	 e;
	char		*log, text[16];
	int		 fd;

	unix_start(&e, NULL);
	ck_assert_int_eq(unlink(sock), 0);
	ck_assert_int_ne(fd = open(sock, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    -1);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	close(fd);
	unix_term(&e);
	unix_read(sock, text, sizeof text);
	ck_assert_str_eq(text, "new");
	log = evecho_log(&e);
	ck_assert_msg(strstr(log, "left socket file ") != NULL, "log:\n%s",
	    log);
	free(log);
	evecho_stop(&e);
}
END_TEST

/* With --user the directory may be root's: a warning, and exit 0. */
START_TEST(test_remove_after_user)
{
	const char *const user[] = { "--user", "nobody", NULL };
	struct evecho	 e;
	struct stat	 st;
	char		*log, want[300];

	if (!unix_root("test_remove_after_user"))
		return;
	unix_start(&e, user);
	unix_term(&e);
	ck_assert_int_eq(lstat(sock, &st), 0);	/* dir is root's, 0700 */
	log = evecho_log(&e);
	snprintf(want, sizeof want, "warning: cannot remove socket file %s: "
	    "Permission denied\n", sock);
	ck_assert_msg(strstr(log, want) != NULL, "log:\n%s", log);
	free(log);
	evecho_stop(&e);
}
END_TEST

/*
 * At -v, the client is the listener's path with its pid and uid (the
 * test's own), in the connected and closed lines and in JSON; no line
 * about TCP_NODELAY.
 */
START_TEST(test_peer_credentials)
{
	const char *const verbose[] = { "-v", NULL };
	const char *const json[] = { "-v", "--log-format", "json", NULL };
	struct evecho	 e;
	char		*log, want[400];
	int		 fd;

	unix_start(&e, verbose);
	fd = unix_connect(sock);
	echo_pattern(fd, 10, 2);
	close(fd);
	snprintf(want, sizeof want, "%s pid %ld uid %lu closed", spec,
	    (long)getpid(), (unsigned long)geteuid());
	ck_assert_int_eq(evecho_wait_log(&e, want, IO_TIMEOUT_MS), 0);
	log = evecho_log(&e);
	snprintf(want, sizeof want, " %s pid %ld uid %lu connected (1 open)\n",
	    spec, (long)getpid(), (unsigned long)geteuid());
	ck_assert_msg(strstr(log, want) != NULL, "no '%s' in:\n%s", want,
	    log);
	ck_assert_msg(strstr(log, "NODELAY") == NULL, "log:\n%s", log);
	free(log);
	unix_term(&e);
	evecho_stop(&e);

	unix_start(&e, json);
	fd = unix_connect(sock);
	echo_pattern(fd, 10, 2);
	close(fd);
	snprintf(want, sizeof want, "\"event\":\"closed\",\"peer\":\"%s\","
	    "\"pid\":%ld,\"uid\":%lu,", spec, (long)getpid(),
	    (unsigned long)geteuid());
	ck_assert_int_eq(evecho_wait_log(&e, want, IO_TIMEOUT_MS), 0);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* --max-conns-per-host counts IP hosts: Unix-domain clients pass. */
START_TEST(test_no_host_cap)
{
	const char *const cap[] = { "--max-conns-per-host", "1", NULL };
	struct evecho	 e;
	int		 fd[3], i;

	unix_start(&e, cap);
	for (i = 0; i < 3; i++)
		fd[i] = unix_connect(sock);
	for (i = 0; i < 3; i++)
		echo_pattern(fd[i], 100, (uint32_t)i);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* unix:PATH,proxy: a PROXY header first, then the echo. */
START_TEST(test_proxy)
{
	static const char header[] = "PROXY TCP4 192.0.2.1 192.0.2.2 1234 7"
	    "\r\n";
	struct evecho	 e;
	char		 where[256], want[400];
	const char *const args[] = { "-l", where, "-v", NULL };
	int		 fd;

	snprintf(where, sizeof where, "%s,proxy", spec);
	evecho_must_start(&e, args);
	fd = unix_connect(sock);
	ck_assert_int_eq(send_all(fd, header, sizeof header - 1,
	    IO_TIMEOUT_MS), 0);
	echo_pattern(fd, 65536, 4);
	close(fd);
	snprintf(want, sizeof want, "192.0.2.1:1234 connected via %s pid %ld "
	    "uid %lu, PROXY v1", spec, (long)getpid(),
	    (unsigned long)geteuid());
	ck_assert_int_eq(evecho_wait_log(&e, want, IO_TIMEOUT_MS), 0);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* A GET /metrics to port, read to EOF into buf, or the test fails. */
static void
unix_scrape(int port, char *buf, size_t len)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	size_t	 got = 0;
	ssize_t	 n;
	int	 fd;

	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ck_assert_int_eq(send_all(fd, req, sizeof req - 1, IO_TIMEOUT_MS), 0);
	for (;;) {
		ck_assert_int_eq(wait_readable(fd, IO_TIMEOUT_MS), 1);
		ck_assert_int_ge(n = recv(fd, buf + got, len - 1 - got, 0), 0);
		if (n == 0)
			break;
		got += (size_t)n;
		ck_assert_uint_lt(got, len - 1);
	}
	buf[got] = '\0';
	close(fd);
}

/*
 * unix:@name: an abstract socket, no file; counted as unix in the stats
 * line and the metrics.
 */
START_TEST(test_abstract)
{
	struct evecho	 e;
	char		 name[64], where[80], want[128], *log, *p;
	char		 body[65536];
	const char *const args[] = { "-l", where, "-v", "--metrics",
	    "127.0.0.1:0", NULL };
	int		 fd;

	snprintf(name, sizeof name, "@evecho-check-unix-%ld", (long)getpid());
	snprintf(where, sizeof where, "unix:%s", name);
	evecho_must_start(&e, args);
	ck_assert_str_eq(e.addrs[0], where);
	fd = unix_connect(name);
	echo_pattern(fd, 1000, 5);
	close(fd);
	/* No TCP_INFO here: what was written counts as acknowledged. */
	ck_assert_int_eq(evecho_wait_log(&e, "closed (closed by client)",
	    IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGUSR1), 0);
	snprintf(want, sizeof want, "; 1 accepted over Unix-domain sockets");
	ck_assert_int_eq(evecho_wait_log(&e, want, IO_TIMEOUT_MS), 0);
	log = evecho_log(&e);
	ck_assert_msg(strstr(log, "1000 B in, 1000 B out, 1000 B acked") !=
	    NULL, "log:\n%s", log);
	ck_assert_ptr_nonnull(p = strstr(log, "metrics on http://127.0.0.1:"));
	unix_scrape(atoi(p + strlen("metrics on http://127.0.0.1:")), body,
	    sizeof body);
	free(log);
	ck_assert_msg(strstr(body, "\nevecho_unix_connections_accepted_total "
	    "1\n") != NULL, "%s", body);
	unix_term(&e);
	evecho_stop(&e);
}
END_TEST

/* A Unix-domain socket passed in by systemd is served and left to it. */
START_TEST(test_systemd_unix)
{
	static const char *const args[] = { NULL };
	struct spawn_opts opts;
	struct evecho	 e;
	struct stat	 st;
	char		 listen[256], said[256];
	const char	*launcher[] = { ACTIVATE, listen, "--fdname=echo",
	    "--", NULL };
	int		 fd, rc;

	rc = system(ACTIVATE " --help >/dev/null 2>&1");
	if (rc != 0) {
		fprintf(stderr, "test_systemd_unix: skipped: no %s\n",
		    ACTIVATE);
		return;
	}
	snprintf(listen, sizeof listen, "--listen=%s", sock);
	memset(&opts, 0, sizeof opts);
	opts.launcher = launcher;
	ck_assert_int_eq(evecho_spawn(&e, args, &opts), 0);
	snprintf(said, sizeof said, "Listening on %s as 3.", sock);
	ck_assert_int_eq(evecho_wait_log(&e, said, HARNESS_START_MS), 0);
	fd = unix_connect(sock);	/* what starts evecho */
	ck_assert_int_eq(evecho_wait_log(&e, " ready: ", HARNESS_START_MS), 0);
	snprintf(said, sizeof said, "listening on %s (passed in as 'echo')",
	    spec);
	ck_assert_int_eq(evecho_wait_log(&e, said, IO_TIMEOUT_MS), 0);
	echo_pattern(fd, 1000, 6);
	close(fd);
	unix_term(&e);
	ck_assert_msg(lstat(sock, &st) == 0, "evecho removed systemd's socket");
	evecho_stop(&e);
}
END_TEST

static Suite *
unix_suite(void)
{
	Suite	*s = suite_create("unix");
	TCase	*tc = tcase_create("unix");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, unix_setup, unix_teardown);
	harness_add_test(tc, test_echo);
	harness_add_test(tc, test_stale_replaced);
	harness_add_test(tc, test_live_refused);
	harness_add_test(tc, test_file_refused);
	harness_add_test(tc, test_bad_paths);
	harness_add_test(tc, test_mode);
	harness_add_test(tc, test_owner);
	harness_add_test(tc, test_removed_at_exit);
	harness_add_test(tc, test_daemon_removes);
	harness_add_test(tc, test_newer_file_kept);
	harness_add_test(tc, test_remove_after_user);
	harness_add_test(tc, test_peer_credentials);
	harness_add_test(tc, test_no_host_cap);
	harness_add_test(tc, test_proxy);
	harness_add_test(tc, test_abstract);
	harness_add_test(tc, test_systemd_unix);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(unix_suite()));
}

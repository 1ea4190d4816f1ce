/*
 * check_service.c: evecho run as a service, on the real binary: --user
 * giving up root after binding a privileged port, --chroot, --daemon with
 * its readiness pipe, and --pidfile with its lock, stale files and
 * removal.
 *
 * Tests that change ids need root and say they were skipped without it;
 * the README runs the suite as root.  A daemon leaves the process that
 * started it: each test makes itself a child subreaper, so that the
 * daemon becomes its child, and it can reap it and check its exit status
 * (valgrind's 99 included).  main() is a subreaper too, and kills any
 * daemon a failed test left behind.
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	10000
#define WAIT_MS		20000	/* a daemon's start, under valgrind too */
#define MAX_GROUPS	64

static char	 dir[256];	/* this test's own directory */

/* Whether the test may change ids; if not, say it is skipped. */
static int
service_root(const char *test)
{
	if (geteuid() == 0)
		return (1);
	fprintf(stderr, "%s: skipped: needs root, as the README runs it\n",
	    test);
	return (0);
}

/* A fresh directory for the test, mode 0700, owned by whoever runs it. */
static void
service_make_dir(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/evecho-service-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
service_remove_dir(void)
{
	char	 cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The whole of a file, NUL-terminated; NULL if it is missing. */
static char *
service_slurp(const char *path)
{
	char	 buf[65536];
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (NULL);
	while (got < sizeof buf - 1 && (n = read(fd, buf + got,
	    sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return (strdup(buf));
}

/* The pid a pidfile holds: -1 if it is missing, 0 if empty or junk. */
static long
service_read_pid(const char *path)
{
	char	*text, *end;
	long	 pid;

	if ((text = service_slurp(path)) == NULL)
		return (-1);
	pid = strtol(text, &end, 10);
	if (end == text || strcmp(end, "\n") != 0)
		pid = 0;
	free(text);
	return (pid);
}

/* SIGTERM a foreground evecho: it exits 0 and its pidfile is gone. */
static void
service_stop_unlinks(struct evecho *e, const char *pidfile)
{
	ck_assert_int_eq(evecho_kill(e, SIGTERM), 0);
	evecho_must_exit_0(e, WAIT_MS);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	evecho_stop(e);
}

/* The port of the last "listening on 127.0.0.1:PORT" in a log file. */
static int
service_log_port(const char *path)
{
	const char	 needle[] = "listening on 127.0.0.1:";
	char		*text, *p, *last = NULL;
	int		 port;

	ck_assert_ptr_nonnull(text = service_slurp(path));
	for (p = text; (p = strstr(p, needle)) != NULL; p++)
		last = p;
	ck_assert_msg(last != NULL, "no listening line in %s: %s", path,
	    text);
	port = atoi(last + strlen(needle));
	free(text);
	return (port);
}

/* One connection: a line out and back, then closed by us. */
static void
service_echo(int port)
{
	static const char	 msg[] = "hello, service\n";
	char			 back[sizeof msg];
	int			 fd;

	ck_assert_msg((fd = tcp_connect("127.0.0.1", port)) != -1,
	    "cannot connect to port %d: %s", port, strerror(errno));
	ck_assert_int_eq(send_all(fd, msg, sizeof msg - 1, IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv_exact(fd, back, sizeof msg - 1, IO_TIMEOUT_MS),
	    0);
	ck_assert_int_eq(memcmp(back, msg, sizeof msg - 1), 0);
	close(fd);
}

/*
 * A port below 1024 that is free on 127.0.0.1: 7, the echo port, unless
 * something on this machine holds it.
 */
static int
service_privileged_port(void)
{
	struct sockaddr_in	 sin;
	int			 fd, port, ok;

	for (port = 7; port < 1024; port = port == 7 ? 900 : port + 1) {
		ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
		close(fd);
		if (ok)
			return (port);
	}
	ck_abort_msg("no free port below 1024 on 127.0.0.1");
	return (-1);
}

/* The numbers after key in /proc/PID/task/TID/status, into v. */
static int
service_status_ids(const char *status_path, const char *key, long *v,
    int max)
{
	char	 line[1024], *p, *end;
	FILE	*fp;
	int	 n = -1;

	if ((fp = fopen(status_path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		n = 0;
		for (p = line + strlen(key); n < max; p = end) {
			v[n] = strtol(p, &end, 10);
			if (end == p)
				break;
			n++;
		}
		break;
	}
	fclose(fp);
	return (n);
}

/* Whether the set of groups in have[] is that of want[]. */
static int
service_same_groups(const long *have, int nhave, const gid_t *want,
    int nwant)
{
	int	 i, j;

	if (nhave != nwant)
		return (0);
	for (i = 0; i < nhave; i++) {
		for (j = 0; j < nwant && (gid_t)have[i] != want[j]; j++)
			;
		if (j == nwant)
			return (0);
	}
	return (1);
}

/*
 * Every thread of pid runs as uid and gid in all four fields (real,
 * effective, saved, filesystem) with exactly the groups initgroups(3)
 * gives user with gid.
 */
static void
service_check_ids(pid_t pid, const char *user, uid_t uid, gid_t gid)
{
	char		 path[300], status[600];
	gid_t		 want[MAX_GROUPS];
	long		 v[MAX_GROUPS];
	struct dirent	*de;
	DIR		*d;
	int		 n, nwant = MAX_GROUPS, i, tasks = 0;

	ck_assert_int_ne(getgrouplist(user, gid, want, &nwant), -1);
	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(status, sizeof status, "%s/%s/status", path,
		    de->d_name);
		ck_assert_int_eq(service_status_ids(status, "Uid:", v, 4), 4);
		for (i = 0; i < 4; i++)
			ck_assert_msg(v[i] == (long)uid, "thread %s: Uid "
			    "field %d is %ld, not %lu", de->d_name, i, v[i],
			    (unsigned long)uid);
		ck_assert_int_eq(service_status_ids(status, "Gid:", v, 4), 4);
		for (i = 0; i < 4; i++)
			ck_assert_msg(v[i] == (long)gid, "thread %s: Gid "
			    "field %d is %ld, not %lu", de->d_name, i, v[i],
			    (unsigned long)gid);
		n = service_status_ids(status, "Groups:", v, MAX_GROUPS);
		ck_assert_msg(service_same_groups(v, n, want, nwant),
		    "thread %s: %d supplementary groups, not those of %s",
		    de->d_name, n, user);
		tasks++;
	}
	closedir(d);
	ck_assert_int_ge(tasks, 1);
}

/* Wait for a child to exit, within timeout_ms: 0 with its status. */
static int
service_wait(pid_t pid, int timeout_ms, int *status)
{
	long	 deadline = now_ms() + timeout_ms;
	pid_t	 r;

	while ((r = waitpid(pid, status, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		sleep_ms(5);
	return (r == pid ? 0 : -1);
}

/* SIGTERM to a daemon we reap: it must exit 0 (99: valgrind found). */
static void
service_stop(pid_t pid)
{
	int	 status;

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_msg(service_wait(pid, WAIT_MS, &status) == 0,
	    "pid %ld did not exit after SIGTERM", (long)pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "pid %ld ended with wait status 0x%x, not exit 0", (long)pid,
	    status);
}

/*
 * Reap the child of a daemon start that failed, now ours as a subreaper:
 * it must have exited with want, as its parent did.
 */
static void
service_reap_failed(int want)
{
	long	 deadline = now_ms() + WAIT_MS;
	pid_t	 r;
	int	 status;

	while ((r = waitpid(-1, &status, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		sleep_ms(5);
	ck_assert_msg(r > 0, "the failed daemon did not exit");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want,
	    "the failed daemon ended with wait status 0x%x, not exit %d",
	    status, want);
}

/* Run an evecho to its exit; its wait status, and what it printed. */
static int
service_run(const char *const *args, const struct spawn_opts *opts,
    char *out, size_t outlen, char *err, size_t errlen)
{
	int	 status;

	ck_assert_int_eq(run_evecho(args, opts, &status, out, outlen, err,
	    errlen), 0);
	return (status);
}

/* Fail unless status is exit(want). */
static void
service_exit_is(int status, int want, const char *err)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want,
	    "wait status 0x%x, not exit %d; stderr: %s", status, want, err);
}

/* nobody, whom the tests become. */
static const struct passwd *
service_nobody(void)
{
	static struct passwd	 pw;
	struct passwd		*p;

	ck_assert_msg((p = getpwnam("nobody")) != NULL, "no user nobody");
	pw = *p;	/* the ids only: the strings are getpwnam(3)'s */
	return (&pw);
}

/*
 * As root, --user nobody: evecho binds a port below 1024 first, then
 * every thread runs as nobody, in all four uid and gid fields, with
 * nobody's groups only; the echo works, no root warning, and it exits 0.
 */
START_TEST(test_user_nobody)
{
	const struct passwd	*pw;
	struct evecho		 e;
	char			 where[32], *log;
	int			 port;

	if (!service_root("test_user_nobody"))
		return;
	pw = service_nobody();
	port = service_privileged_port();
	snprintf(where, sizeof where, "127.0.0.1:%d", port);
	{
		const char *const args[] = { "-l", where, "--user", "nobody",
		    "--threads", "2", NULL };

		ck_assert_msg(evecho_start(&e, args) == 0, "evecho did not "
		    "start");
	}
	ck_assert_int_eq(e.port, port);
	service_check_ids(e.pid, "nobody", pw->pw_uid, pw->pw_gid);
	service_echo(port);
	ck_assert_ptr_nonnull(log = evecho_log(&e));
	ck_assert_msg(strstr(log, "running as user nobody (uid ") != NULL,
	    "%s", log);
	ck_assert_msg(strstr(log, "running as root") == NULL, "%s", log);
	free(log);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	evecho_stop(&e);
}
END_TEST

/* --user nobody:GROUP: GROUP in every gid field, not nobody's own. */
START_TEST(test_user_group)
{
	static const char *const names[] = { "daemon", "users", "staff",
	    "bin", NULL };
	const struct passwd	*pw;
	struct group		*gr = NULL;
	struct evecho		 e;
	char			 spec[64];
	int			 i;

	if (!service_root("test_user_group"))
		return;
	pw = service_nobody();
	for (i = 0; names[i] != NULL; i++) {
		if ((gr = getgrnam(names[i])) != NULL &&
		    gr->gr_gid != pw->pw_gid && gr->gr_gid != 0)
			break;
	}
	ck_assert_msg(names[i] != NULL, "no group to try --user nobody:GROUP");
	snprintf(spec, sizeof spec, "nobody:%s", names[i]);
	{
		const char *const args[] = { "-l", "127.0.0.1:0", "--user",
		    spec, NULL };

		ck_assert_msg(evecho_start(&e, args) == 0, "evecho did not "
		    "start");
	}
	service_check_ids(e.pid, "nobody", pw->pw_uid, gr->gr_gid);
	service_echo(e.port);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * An unknown user or group: exit 67 (EX_NOUSER) with one line saying
 * which, before anything is bound; no root needed to see it.
 */
START_TEST(test_user_unknown)
{
	static const struct {
		const char	*spec, *err;
	} cases[] = {
		{ "evecho-no-such-user", "evecho: unknown user "
		    "'evecho-no-such-user' for --user\n" },
		{ "nobody:evecho-no-such-group", "evecho: unknown group "
		    "'evecho-no-such-group' for --user\n" },
	};
	char	 out[256], err[1024];
	size_t	 i;
	int	 status;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *const args[] = { "-l", "127.0.0.1:0", "--user",
		    cases[i].spec, NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
		service_exit_is(status, 67, err);
		ck_assert_str_eq(err, cases[i].err);
		ck_assert_str_eq(out, "");
	}
}
END_TEST

/* As root without --user: a warning says so, once. */
START_TEST(test_root_warning)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;

	if (!service_root("test_root_warning"))
		return;
	evecho_must_start(&e, args);
	ck_assert_int_eq(evecho_log_count(&e, "warning: running as root: "
	    "give --user to drop privileges once listening\n"), 1);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * The spawn options for an evecho that will chroot.  In an ASan build,
 * LeakSanitizer's check at exit reads /proc/PID/task, which the chroot
 * hides, and dies of it: that check alone is turned off, for that evecho
 * alone (ASan's own checks stay on, and valgrind, which needs no /proc,
 * checks for leaks there).
 */
static const struct spawn_opts *
service_chroot_opts(struct spawn_opts *opts, char *env, size_t envlen)
{
	memset(opts, 0, sizeof *opts);
#if defined(__SANITIZE_ADDRESS__)
	{
		const char *asan = getenv("ASAN_OPTIONS");

		snprintf(env, envlen, "ASAN_OPTIONS=%s%sdetect_leaks=0",
		    asan != NULL ? asan : "", asan != NULL && *asan != '\0' ?
		    ":" : "");
		opts->env = env;
		fprintf(stderr, "test_chroot: no LeakSanitizer check in the "
		    "chroot, which hides /proc\n");
	}
#else
	(void)env;
	(void)envlen;
#endif
	return (opts);
}

/*
 * --chroot to an empty directory: evecho's root is that directory, it
 * runs as nobody, and echoes as ever; a directory that is not there is
 * exit 71 with one line.
 */
START_TEST(test_chroot)
{
	const struct passwd	*pw;
	struct evecho		 e;
	struct spawn_opts	 opts;
	char			 path[64], root[300], missing[300];
	char			 out[256], err[1024], want[600], env[512];
	ssize_t			 n;
	int			 status;

	if (!service_root("test_chroot"))
		return;
	pw = service_nobody();
	service_make_dir();
	{
		const char *const args[] = { "-l", "127.0.0.1:0", "--user",
		    "nobody", "--chroot", dir, NULL };

		ck_assert_msg(evecho_start_opts(&e, args, service_chroot_opts(
		    &opts, env, sizeof env)) == 0, "evecho did not start");
	}
	snprintf(path, sizeof path, "/proc/%ld/root", (long)e.pid);
	ck_assert_int_gt(n = readlink(path, root, sizeof root - 1), 0);
	root[n] = '\0';
	ck_assert_str_eq(root, dir);
	service_check_ids(e.pid, "nobody", pw->pw_uid, pw->pw_gid);
	service_echo(e.port);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	evecho_stop(&e);

	snprintf(missing, sizeof missing, "%s/missing", dir);
	{
		const char *const args[] = { "-l", "127.0.0.1:0", "--user",
		    "nobody", "--chroot", missing, NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 71, err);
	snprintf(want, sizeof want, "evecho: cannot chroot to %s: No such "
	    "file or directory\n", missing);
	ck_assert_str_eq(err, want);
	service_remove_dir();
}
END_TEST

/*
 * --daemon --pidfile --log-file, its whole life: the command returns 0
 * only once evecho serves (the port answers at once, the ready line is
 * logged), with nothing on the terminal; the pidfile names the daemon, a
 * process of its own session with /dev/null for stdio; a second start on
 * the same pidfile is refused with 75 naming that pid; SIGTERM stops it
 * with exit 0 and the pidfile gone; and a stale pidfile, the pid of a
 * dead process, unlocked, is taken over.
 */
START_TEST(test_daemon_lifecycle)
{
	char	 pidfile[300], log[300], log2[300], out[256], err[1024];
	char	 want[600], path[64], target[64], *text;
	long	 pid, pid2;
	pid_t	 dead;
	ssize_t	 n;
	int	 status, fd;
	FILE	*fp;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	service_make_dir();
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	snprintf(log, sizeof log, "%s/evecho.log", dir);
	snprintf(log2, sizeof log2, "%s/second.log", dir);
	{
		const char *const args[] = { "--daemon", "--pidfile", pidfile,
		    "--log-file", log, "-l", "127.0.0.1:0", NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 0, err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	/* Ready before the parent exited: no waiting, no retrying here. */
	ck_assert_ptr_nonnull(text = service_slurp(log));
	ck_assert_msg(strstr(text, " ready: ") != NULL, "not ready when the "
	    "parent exited: %s", text);
	free(text);
	pid = service_read_pid(pidfile);
	ck_assert_msg(pid > 0, "pidfile holds no pid");
	service_echo(service_log_port(log));
	ck_assert_int_eq(getsid((pid_t)pid), (pid_t)pid);
	for (fd = 0; fd <= 2; fd++) {
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
		ck_assert_int_gt(n = readlink(path, target, sizeof target - 1),
		    0);
		target[n] = '\0';
		ck_assert_str_eq(target, "/dev/null");
	}

	/* The same pidfile again: refused, on the terminal, file intact. */
	{
		const char *const args[] = { "--daemon", "--pidfile", pidfile,
		    "--log-file", log2, "-l", "127.0.0.1:0", NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 75, err);
	snprintf(want, sizeof want, "evecho: pidfile %s is locked by pid %ld: "
	    "evecho is running already\n", pidfile, pid);
	ck_assert_str_eq(err, want);
	service_reap_failed(75);
	ck_assert_int_eq(service_read_pid(pidfile), pid);

	service_stop((pid_t)pid);
	ck_assert_msg(access(pidfile, F_OK) == -1 && errno == ENOENT,
	    "pidfile left behind");

	/* A stale pidfile: a dead process's pid, and no lock. */
	if ((dead = fork()) == 0)
		_exit(0);
	ck_assert_int_gt(dead, 0);
	ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
	ck_assert_ptr_nonnull(fp = fopen(pidfile, "w"));
	fprintf(fp, "%ld\n", (long)dead);
	ck_assert_int_eq(fclose(fp), 0);
	{
		const char *const args[] = { "--daemon", "--pidfile", pidfile,
		    "--log-file", log2, "-l", "127.0.0.1:0", NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 0, err);
	pid2 = service_read_pid(pidfile);
	ck_assert_msg(pid2 > 0 && pid2 != (long)dead, "pidfile holds %ld",
	    pid2);
	service_echo(service_log_port(log2));
	service_stop((pid_t)pid2);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	service_remove_dir();
}
END_TEST

/*
 * A daemon that cannot start (its port is taken): the command exits with
 * the child's status, 71, and the child's error is on the terminal; the
 * child has removed its pidfile by then.
 */
START_TEST(test_daemon_start_failure)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	char			 pidfile[300], log[300], addr[32];
	char			 out[256], err[1024], want[128];
	int			 fd, status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	service_make_dir();
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	snprintf(log, sizeof log, "%s/evecho.log", dir);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sin.sin_port));
	{
		const char *const args[] = { "--daemon", "--pidfile", pidfile,
		    "--log-file", log, "-l", addr, NULL };

		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 71, err);
	snprintf(want, sizeof want, "evecho: cannot listen on %s: Address "
	    "already in use\n", addr);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(access(pidfile, F_OK), -1);
	service_reap_failed(71);
	close(fd);
	service_remove_dir();
}
END_TEST

/*
 * --pidfile without --daemon: it holds evecho's own pid while it runs,
 * and only that (the stale file it replaced held a longer number), a
 * second evecho on it is refused with 75, and it is gone after exit.
 */
START_TEST(test_pidfile_foreground)
{
	struct evecho	 e;
	char		 pidfile[300], out[256], err[1024], want[600];
	FILE		*fp;
	int		 status;

	service_make_dir();
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	/* Past any pid_max (4194304 at most): no process has it. */
	ck_assert_ptr_nonnull(fp = fopen(pidfile, "w"));
	fprintf(fp, "999999999\n");
	ck_assert_int_eq(fclose(fp), 0);
	{
		const char *const args[] = { "--pidfile", pidfile, "-l",
		    "127.0.0.1:0", NULL };

		evecho_must_start(&e, args);
		ck_assert_int_eq(service_read_pid(pidfile), (long)e.pid);
		status = service_run(args, NULL, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 75, err);
	snprintf(want, sizeof want, "evecho: pidfile %s is locked by pid %ld: "
	    "evecho is running already\n", pidfile, (long)e.pid);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(service_read_pid(pidfile), (long)e.pid);
	service_stop_unlinks(&e, pidfile);
	service_remove_dir();
}
END_TEST

/*
 * --user with the pidfile in a directory only root may write: it is
 * created before the drop, and at exit, not removable, it is emptied,
 * with a warning; the next evecho takes it over as stale.
 */
START_TEST(test_pidfile_after_drop)
{
	struct evecho	 e;
	char		 pidfile[300], want[600], *text;

	if (!service_root("test_pidfile_after_drop"))
		return;
	service_make_dir();
	ck_assert_int_eq(chmod(dir, 0755), 0);	/* as /run is */
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	{
		const char *const args[] = { "--pidfile", pidfile, "--user",
		    "nobody", "-l", "127.0.0.1:0", NULL };

		evecho_must_start(&e, args);
	}
	ck_assert_int_eq(service_read_pid(pidfile), (long)e.pid);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	evecho_must_exit_0(&e, WAIT_MS);
	ck_assert_ptr_nonnull(text = service_slurp(pidfile));
	ck_assert_str_eq(text, "");
	free(text);
	snprintf(want, sizeof want, "warning: cannot remove pidfile %s: "
	    "Permission denied; emptied it instead\n", pidfile);
	ck_assert_int_eq(evecho_log_count(&e, want), 1);
	evecho_stop(&e);
	{
		const char *const args[] = { "--pidfile", pidfile, "-l",
		    "127.0.0.1:0", NULL };

		evecho_must_start(&e, args);
	}
	ck_assert_int_eq(service_read_pid(pidfile), (long)e.pid);
	service_stop_unlinks(&e, pidfile);
	service_remove_dir();
}
END_TEST

/*
 * --daemon with no sink named logs to syslog, not to the terminal: its
 * lines reach /dev/log (a socket of the test's, bound over /dev for it)
 * under the daemon's pid.
 */
START_TEST(test_daemon_syslog)
{
	struct spawn_opts	 opts;
	struct sockaddr_un	 sun;
	char			 devdir[300], pidfile[300], out[256];
	char			 err[1024], msg[2048], tag[64];
	long			 pid, deadline;
	ssize_t			 n;
	int			 fd, status, seen = 0;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	service_make_dir();
	snprintf(devdir, sizeof devdir, "%s/dev", dir);
	snprintf(pidfile, sizeof pidfile, "%s/evecho.pid", dir);
	ck_assert_int_eq(mkdir(devdir, 0755), 0);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM, 0), -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_int_lt(strlen(devdir) + 4, sizeof sun.sun_path);
	memcpy(sun.sun_path, devdir, strlen(devdir));
	memcpy(sun.sun_path + strlen(devdir), "/log", 4);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	memset(&opts, 0, sizeof opts);
	opts.dev_dir = devdir;
	{
		const char *const args[] = { "--daemon", "--pidfile", pidfile,
		    "-l", "127.0.0.1:0", NULL };

		status = service_run(args, &opts, out, sizeof out, err,
		    sizeof err);
	}
	service_exit_is(status, 0, err);
	ck_assert_str_eq(err, "");
	ck_assert_int_gt(pid = service_read_pid(pidfile), 0);
	snprintf(tag, sizeof tag, "evecho[%ld]: ", pid);
	for (deadline = now_ms() + WAIT_MS; !seen && now_ms() < deadline; ) {
		if (wait_readable(fd, 100) <= 0)
			continue;
		ck_assert_int_gt(n = recv(fd, msg, sizeof msg - 1, 0), 0);
		msg[n] = '\0';
		seen = strstr(msg, tag) != NULL && strstr(msg, " ready: ") !=
		    NULL;
	}
	ck_assert_msg(seen, "no ready line from pid %ld in syslog", pid);
	service_stop((pid_t)pid);
	close(fd);
	service_remove_dir();
}
END_TEST

/* Kill what a failed test left: daemons reparented to this process. */
static void
service_kill_orphans(void)
{
	char		 path[300], line[512], *p;
	struct dirent	*de;
	DIR		*d;
	FILE		*fp;
	long		 ppid;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		p = fgets(line, sizeof line, fp);
		fclose(fp);
		/* "pid (comm) state ppid ...", comm may hold anything. */
		if (p == NULL || (p = strrchr(line, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1 ||
		    ppid != (long)getpid())
			continue;
		kill((pid_t)atol(de->d_name), SIGKILL);
		waitpid((pid_t)atol(de->d_name), NULL, 0);
	}
	closedir(d);
}

static Suite *
service_suite(void)
{
	Suite	*s = suite_create("service");
	TCase	*tc = tcase_create("service");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	harness_add_test(tc, test_user_nobody);
	harness_add_test(tc, test_user_group);
	harness_add_test(tc, test_user_unknown);
	harness_add_test(tc, test_root_warning);
	harness_add_test(tc, test_chroot);
	harness_add_test(tc, test_daemon_lifecycle);
	harness_add_test(tc, test_daemon_start_failure);
	harness_add_test(tc, test_pidfile_foreground);
	harness_add_test(tc, test_pidfile_after_drop);
	harness_add_test(tc, test_daemon_syslog);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	int	 rc;

	/* Orphaned daemons come here, where they can be killed. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
		return (EXIT_FAILURE);
	}
	rc = harness_run(service_suite());
	service_kill_orphans();
	return (rc);
}

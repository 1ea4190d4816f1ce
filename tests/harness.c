/*
 * harness.c: process and socket helpers for the integration suites.
 *
 * Every server the tests start is killed when the test process ends, even
 * when an assertion fails: the child asks for SIGKILL on its parent's
 * death.  Each server logs to a file in tests/logs ($EVECHO_TEST_LOGDIR);
 * a test that passes removes its logs in the teardown, so what is left
 * there after a run belongs to failed tests.  $EVECHO_TESTS runs only the
 * tests it names, for instance the one that should catch a planted bug.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define MAX_SPAWNED	64
#define MAX_WRAPPER	16

/* Servers started by this test process, by value: the test's own copies
 * live on its stack, gone by the time the teardown runs. */
static struct {
	pid_t	 pid;
	char	 log[512];
} spawned[MAX_SPAWNED];

static void	forget(pid_t);
static int	bind_dev(const char *);
static int	log_fd(char *, size_t);
static char	*read_all(int);
static pid_t	spawn(const char *const *, const struct spawn_opts *, int,
		    int);
static int	find_listening_port(const unsigned long *, int,
		    const char *);

/*
 * Tests asked for by name in $EVECHO_TESTS ("test_a test_b", or with
 * commas), which Check cannot select by itself below a test case; and
 * whether each was found, so that a misspelt name fails the run instead
 * of passing with nothing run.
 */
#define MAX_SELECTED	32
static char	*selected[MAX_SELECTED];
static int	 selected_found[MAX_SELECTED];
static int	 nselected = -1;	/* -1: $EVECHO_TESTS not read yet */

static void
harness_read_selection(void)
{
	const char	*env = getenv("EVECHO_TESTS");
	char		*copy, *word, *save;

	if (nselected != -1)
		return;
	nselected = 0;
	if (env == NULL || (copy = strdup(env)) == NULL)
		return;
	for (word = strtok_r(copy, " ,", &save); word != NULL &&
	    nselected < MAX_SELECTED; word = strtok_r(NULL, " ,", &save))
		selected[nselected++] = word;
	/* copy stays allocated: selected points into it until exit. */
}

/* Whether the test called name runs: all do without $EVECHO_TESTS. */
static int
harness_selected(const char *name)
{
	int	 i, match = 0;

	harness_read_selection();
	if (nselected == 0)
		return (1);
	for (i = 0; i < nselected; i++) {
		if (strcmp(selected[i], name) == 0) {
			selected_found[i] = 1;
			match = 1;
		}
	}
	return (match);
}

/* tcase_add_test(), honouring $EVECHO_TESTS. */
void
harness_add_test(TCase *tc, const TTest *t)
{
	if (harness_selected(t->name))
		tcase_add_test(tc, t);
}

/* tcase_add_loop_test(), honouring $EVECHO_TESTS. */
void
harness_add_loop_test(TCase *tc, const TTest *t, int start, int end)
{
	if (harness_selected(t->name))
		tcase_add_loop_test(tc, t, start, end);
}

/* Run every test of a suite; the exit status for the test program. */
int
harness_run(Suite *suite)
{
	SRunner	*sr;
	int	 failed, i;

	harness_read_selection();
	for (i = 0; i < nselected; i++) {
		if (!selected_found[i]) {
			fprintf(stderr, "EVECHO_TESTS names '%s', which is not "
			    "a test of this program\n", selected[i]);
			return (EXIT_FAILURE);
		}
	}
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* Checked fixture; nothing to prepare yet. */
void
harness_setup(void)
{
}

/*
 * Reached only when the test passed (a failed assertion ends the test
 * process at once): stop whatever it left running and drop the logs.
 */
void
harness_teardown(void)
{
	int	 i;

	for (i = 0; i < MAX_SPAWNED; i++) {
		if (spawned[i].pid != 0) {
			if (spawned[i].pid > 0) {
				kill(spawned[i].pid, SIGKILL);
				waitpid(spawned[i].pid, NULL, 0);
			}
			unlink(spawned[i].log);
			spawned[i].pid = 0;
		}
	}
}

/*
 * Whether evecho runs under $EVECHO_WRAPPER (valgrind, say), which changes
 * what some tests measure; if so, say that test is skipped.
 */
int
harness_wrapped(const char *test)
{
	const char	*wrap = getenv("EVECHO_WRAPPER");

	if (wrap == NULL || *wrap == '\0')
		return (0);
	fprintf(stderr, "%s: skipped under EVECHO_WRAPPER\n", test);
	return (1);
}

/*
 * Whether this build runs under a sanitizer, which changes what some
 * tests measure (memory, speed) or owns what they replace (malloc); if
 * so, say that test is skipped.
 */
int
harness_sanitized(const char *test)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	fprintf(stderr, "%s: skipped in a sanitizer build\n", test);
	return (1);
#else
	(void)test;
	return (0);
#endif
}

/* The server is gone; keep its log for the teardown to remove. */
static void
forget(pid_t pid)
{
	int	 i;

	for (i = 0; i < MAX_SPAWNED; i++) {
		if (spawned[i].pid == pid)
			spawned[i].pid = -1;
	}
}

/* A new log file in $EVECHO_TEST_LOGDIR, default tests/logs. */
static int
log_fd(char *path, size_t len)
{
	const char	*dir = getenv("EVECHO_TEST_LOGDIR");

	if (dir == NULL || *dir == '\0')
		dir = "tests/logs";
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return (-1);
	snprintf(path, len, "%s/evecho-XXXXXX", dir);
	return (mkstemp(path));
}

/* An anonymous temporary file: created, then unlinked at once. */
int
harness_temp_fd(void)
{
	const char	*dir = getenv("TMPDIR");
	char		 path[512];
	int		 fd;

	snprintf(path, sizeof path, "%s/evecho-test-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	return (fd);
}

/* The whole content of a file, NUL-terminated; NULL on failure. */
static char *
read_all(int fd)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n;

	if (fstat(fd, &st) == -1 || (buf = malloc((size_t)st.st_size +
	    1)) == NULL)
		return (NULL);
	while (got < (size_t)st.st_size) {
		n = pread(fd, buf + got, (size_t)st.st_size - got,
		    (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (buf);
}

/*
 * Start $EVECHO (default src/evecho) with args, behind $EVECHO_WRAPPER
 * (for example "valgrind -q --error-exitcode=99") when that is set, both
 * behind opts->launcher (systemd-socket-activate, say) if any, and
 * with the words of $EVECHO_TEST_ARGS (for example "--threads 4") before
 * args, so that a test's own flags still come last and win.
 */
static pid_t
spawn(const char *const *args, const struct spawn_opts *opts, int outfd,
    int errfd)
{
	const char	*argv[2 * MAX_WRAPPER + 64];
	char		*wrapper = NULL, *extra = NULL, *word, *save;
	const char	*bin = getenv("EVECHO");
	const char	*wrap = getenv("EVECHO_WRAPPER");
	const char	*more = getenv("EVECHO_TEST_ARGS");
	pid_t		 pid;
	int		 argc = 0, i;

	for (i = 0; opts != NULL && opts->launcher != NULL &&
	    opts->launcher[i] != NULL && argc < MAX_WRAPPER; i++)
		argv[argc++] = opts->launcher[i];
	if (wrap != NULL && *wrap != '\0' && (wrapper = strdup(wrap)) !=
	    NULL) {
		int first = argc;

		for (word = strtok_r(wrapper, " ", &save);
		    word != NULL && argc - first < MAX_WRAPPER;
		    word = strtok_r(NULL, " ", &save))
			argv[argc++] = word;
	}
	argv[argc++] = bin != NULL && *bin != '\0' ? bin : "src/evecho";
	if (more != NULL && *more != '\0' && (extra = strdup(more)) != NULL) {
		int first = argc;

		for (word = strtok_r(extra, " ", &save);
		    word != NULL && argc - first < MAX_WRAPPER;
		    word = strtok_r(NULL, " ", &save))
			argv[argc++] = word;
	}
	for (i = 0; args[i] != NULL && argc < (int)(sizeof argv /
	    sizeof argv[0]) - 1; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	pid = harness_spawn(argv, opts, outfd, errfd);
	free(wrapper);
	free(extra);
	return (pid);
}

/*
 * Fork and exec argv with stdin from /dev/null and stdout and stderr to
 * the given descriptors, set up as opts says (may be NULL).  The child
 * is killed if this test process dies, so a failed assertion, which ends
 * the test process at once, leaves nothing running.
 */
pid_t
harness_spawn(const char *const *argv, const struct spawn_opts *opts,
    int outfd, int errfd)
{
	pid_t	 parent = getpid(), pid;
	int	 devnull, i;

	if ((pid = fork()) != 0)
		return (pid);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	if ((devnull = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(outfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		_exit(127);
	closefrom(3);
	/* Descriptors a careless parent would leave open across exec. */
	for (i = 0; opts != NULL && i < opts->inherit_fds; i++) {
		if (open("/dev/null", O_RDONLY) == -1)
			_exit(127);
	}
	if (opts != NULL && opts->nofile > 0) {
		struct rlimit rl = { (rlim_t)opts->nofile,
		    (rlim_t)(opts->nofile_hard > 0 ? opts->nofile_hard :
		    opts->nofile) };

		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(127);
	}
	if (opts != NULL && opts->env != NULL &&
	    putenv((char *)opts->env) != 0)
		_exit(127);
	for (i = 0; opts != NULL && opts->envv != NULL &&
	    opts->envv[i] != NULL; i++) {
		if (putenv((char *)opts->envv[i]) != 0)
			_exit(127);
	}
	if (opts != NULL && opts->dev_dir != NULL &&
	    bind_dev(opts->dev_dir) == -1) {
		fprintf(stderr, "cannot bind %s over /dev: %s\n",
		    opts->dev_dir, strerror(errno));
		_exit(127);
	}
	if (opts != NULL && opts->as_nobody && geteuid() == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(127);
	}
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Write text to the file at path, as one write. */
static int
write_file(const char *path, const char *text)
{
	int	 fd, rc = 0;

	if ((fd = open(path, O_WRONLY)) == -1)
		return (-1);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = -1;
	close(fd);
	return (rc);
}

/*
 * In the child, before exec: give it a /dev of its own, dir, in a mount
 * namespace, with the real null, zero and urandom bound into it; dir
 * holds what the test wants there, such as a syslog socket as "log".
 * Root unshares the mount namespace; anyone else first enters a user
 * namespace where they are root, as Debian allows.
 */
static int
bind_dev(const char *dir)
{
	static const char *const nodes[] = { "null", "zero", "urandom" };
	char	 path[512], map[64];
	uid_t	 uid = getuid();
	gid_t	 gid = getgid();
	size_t	 i;
	int	 fd;

	if (unshare(CLONE_NEWNS) == -1) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1)
			return (-1);
		snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)uid,
		    (unsigned long)uid);
		if (write_file("/proc/self/setgroups", "deny") == -1 ||
		    write_file("/proc/self/uid_map", map) == -1)
			return (-1);
		snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)gid,
		    (unsigned long)gid);
		if (write_file("/proc/self/gid_map", map) == -1)
			return (-1);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return (-1);
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, nodes[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) == -1)
			return (-1);
		close(fd);
		snprintf(map, sizeof map, "/dev/%s", nodes[i]);
		if (mount(map, path, NULL, MS_BIND, NULL) == -1)
			return (-1);
	}
	return (mount(dir, "/dev", NULL, MS_BIND | MS_REC, NULL));
}

/*
 * A socket listening on 127.0.0.1 on a free port, for a test to hold a
 * port taken or to stand in for a server; its port in *port.  Returns
 * the descriptor, or -1.
 */
int
tcp_listen_loopback(int backlog, int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* The loopback address of family af at port, into ss: its length. */
socklen_t
loopback_addr(int af, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons((uint16_t)port);
		return (sizeof *sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons((uint16_t)port);
		return (sizeof *sin);
	}
}

/* A UDP socket of family af bound to the loopback at port (0: any). */
int
udp_client(int af, int port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd;

	len = loopback_addr(af, port, &ss);
	if ((fd = socket(af, SOCK_DGRAM, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Connect fd to evecho's udp: port, so plain send() and recv() do. */
void
udp_aim(int fd, int af, int port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	len = loopback_addr(af, port, &ss);
	ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0,
	    "connect: %s", strerror(errno));
}

/* A connected client of evecho's port; its receive buffer holds plenty. */
int
udp_connected(int af, int port)
{
	int	 fd, size = 1 << 20;

	fd = udp_client(af, 0);
	ck_assert_msg(fd != -1, "udp socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	udp_aim(fd, af, port);
	return (fd);
}

/* One datagram from fd within ms: its length, or -1 (errno set). */
ssize_t
udp_recv(int fd, void *buf, size_t len, int ms)
{
	if (wait_readable(fd, ms) != 1) {
		errno = ETIMEDOUT;
		return (-1);
	}
	return (recv(fd, buf, len, MSG_DONTWAIT));
}

/*
 * A TCP connection to port on 127.0.0.1 from the loopback address src
 * (127.0.0.2, say), as from another host; the test fails if it cannot.
 */
int
tcp_connect_from(const char *src, int port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	sin.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return (fd);
}

/* Start evecho in the background, its output to a log file we can read. */
int
evecho_spawn(struct evecho *e, const char *const *args,
    const struct spawn_opts *opts)
{
	int	 i;

	char	 path[512];

	memset(e, 0, sizeof *e);
	e->pid = -1;
	if ((e->logfd = log_fd(path, sizeof path)) == -1)
		return (-1);
	if ((e->pid = spawn(args, opts, e->logfd, e->logfd)) == -1) {
		close(e->logfd);
		unlink(path);
		return (-1);
	}
	for (i = 0; i < MAX_SPAWNED; i++) {
		if (spawned[i].pid == 0) {
			spawned[i].pid = e->pid;
			snprintf(spawned[i].log, sizeof spawned[i].log, "%s",
			    path);
			break;
		}
	}
	return (0);
}

/*
 * Start evecho with its standard error on errfd (a pipe the test reads,
 * or stops reading), under the wrapper like every server; it is killed
 * at teardown if it still runs.  e->logfd is -1: there is no log file.
 */
int
evecho_spawn_stderr(struct evecho *e, const char *const *args,
    const struct spawn_opts *opts, int errfd)
{
	int	 i;

	memset(e, 0, sizeof *e);
	e->logfd = -1;
	if ((e->pid = spawn(args, opts, errfd, errfd)) == -1)
		return (-1);
	for (i = 0; i < MAX_SPAWNED; i++) {
		if (spawned[i].pid == 0) {
			spawned[i].pid = e->pid;
			spawned[i].log[0] = '\0';
			break;
		}
	}
	return (0);
}

/*
 * Start evecho and wait until it logs "ready", noting every address it
 * logs as "listening on ADDR".  Returns -1, with the log on stderr, if it
 * exits or stays silent instead.
 */
int
evecho_start(struct evecho *e, const char *const *args)
{
	return (evecho_start_opts(e, args, NULL));
}

/* evecho_start(), with the child set up as opts says. */
int
evecho_start_opts(struct evecho *e, const char *const *args,
    const struct spawn_opts *opts)
{
	char		*log, *p;

	if (evecho_spawn(e, args, opts) == -1)
		return (-1);
	if (evecho_wait_log(e, " ready: ", HARNESS_START_MS) == -1) {
		log = evecho_log(e);
		fprintf(stderr, "evecho did not start; its log:\n%s\n",
		    log != NULL ? log : "(unreadable)");
		free(log);
		return (-1);
	}
	if ((log = evecho_log(e)) == NULL)
		return (-1);
	for (p = log; (p = strstr(p, "listening on ")) != NULL &&
	    e->naddrs < HARNESS_MAX_ADDRS; e->naddrs++) {
		p += strlen("listening on ");
		snprintf(e->addrs[e->naddrs], sizeof e->addrs[0], "%.*s",
		    (int)strcspn(p, " \n"), p);
	}
	free(log);
	if (e->naddrs == 0)
		return (-1);
	e->port = atoi(strrchr(e->addrs[0], ':') + 1);
	return (0);
}

/* evecho_start(), failing the test if evecho does not come up. */
void
evecho_must_start(struct evecho *e, const char *const *args)
{
	ck_assert_msg(evecho_start(e, args) == 0, "evecho did not start");
}

/* Wait until the log contains needle: 0, or -1 on timeout or exit. */
int
evecho_wait_log(struct evecho *e, const char *needle, int timeout_ms)
{
	long	 deadline = now_ms() + timeout_ms;
	char	*log;
	int	 found, dead;

	for (;;) {
		dead = evecho_wait_exit(e, 0, NULL) == 0;
		if ((log = evecho_log(e)) == NULL)
			return (-1);
		found = strstr(log, needle) != NULL;
		free(log);
		if (found)
			return (0);
		if (dead || now_ms() >= deadline)
			return (-1);
		sleep_ms(5);
	}
}

/* Everything the server has logged so far; the caller frees it. */
char *
evecho_log(struct evecho *e)
{
	return (read_all(e->logfd));
}

/* How many times needle occurs in the log. */
int
evecho_log_count(struct evecho *e, const char *needle)
{
	char	*log, *p;
	int	 n = 0;

	if ((log = evecho_log(e)) == NULL)
		return (-1);
	for (p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(log);
	return (n);
}

/*
 * Wait up to timeout_ms until needle occurs n times in the log, which a
 * thread of evecho's writes a moment after the event; how many times it
 * occurs then.
 */
int
evecho_wait_log_count(struct evecho *e, const char *needle, int n,
    int timeout_ms)
{
	long	 deadline = now_ms() + timeout_ms;
	int	 found;

	while ((found = evecho_log_count(e, needle)) < n && found != -1 &&
	    now_ms() < deadline)
		sleep_ms(5);
	return (found);
}

/*
 * Wait up to timeout_ms for the server to exit: 0 once it has (status in
 * *status when not NULL), -1 if it is still running.
 */
int
evecho_wait_exit(struct evecho *e, int timeout_ms, int *status)
{
	long	 deadline = now_ms() + timeout_ms;
	pid_t	 r;

	while (!e->exited) {
		r = waitpid(e->pid, &e->status, WNOHANG);
		if (r == e->pid) {
			e->exited = 1;
			forget(e->pid);
			break;
		}
		if (r == -1 || now_ms() >= deadline)
			return (-1);
		sleep_ms(2);
	}
	if (status != NULL)
		*status = e->status;
	return (0);
}

/*
 * Send evecho a signal.  Under ThreadSanitizer, first wait (2 s at most)
 * until its main thread is blocked in the event loop's wait: the runtime
 * defers a signal that arrives while the thread runs, and sometimes never
 * hands it over (seen about once in 200 starts, with the main thread
 * back in epoll_wait and no signal pending in the kernel; never without
 * TSan in 600).  Elsewhere, at once: a signal at any moment must work.
 */
int
evecho_kill(struct evecho *e, int sig)
{
#ifdef __SANITIZE_THREAD__
	static const long waits[] = { SYS_epoll_wait, SYS_epoll_pwait,
	    SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6 };
	char		 path[64];
	long		 nr, deadline = now_ms() + 2000;
	size_t		 i;
	FILE		*fp;

	snprintf(path, sizeof path, "/proc/%ld/syscall", (long)e->pid);
	while (now_ms() < deadline && (fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%ld", &nr) != 1)
			nr = -1;
		fclose(fp);
		for (i = 0; i < sizeof waits / sizeof waits[0]; i++) {
			if (nr == waits[i])
				break;
		}
		if (i < sizeof waits / sizeof waits[0])
			break;
		sleep_ms(2);
	}
#endif
	return (kill(e->pid, sig));
}

/* Wait for the server to exit by itself; its status must be exit(0). */
void
evecho_must_exit_0(struct evecho *e, int timeout_ms)
{
	int	 status;

	ck_assert_msg(evecho_wait_exit(e, timeout_ms, &status) == 0,
	    "evecho did not exit within %d ms", timeout_ms);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "evecho ended with wait status 0x%x, not exit 0", status);
}

/* Kill the server if it still runs, reap it, drop its log. */
void
evecho_stop(struct evecho *e)
{
	if (e->pid > 0 && !e->exited) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, &e->status, 0);
		e->exited = 1;
	}
	forget(e->pid);
	if (e->logfd >= 0)
		close(e->logfd);
	e->logfd = -1;
}

/* The server's resident set size in KiB, or -1. */
long
evecho_rss_kb(const struct evecho *e)
{
	char	 path[64], line[256];
	FILE	*fp;
	long	 kb = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)e->pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(fp);
	return (kb);
}

/* The server's CPU time so far, user and system, in ms; or -1. */
long
evecho_cpu_ms(const struct evecho *e)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 utime, stime;
	long			 hz = sysconf(_SC_CLK_TCK);
	FILE			*fp;
	int			 ok;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)e->pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	p = fgets(buf, sizeof buf, fp);
	fclose(fp);
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	if (p == NULL || hz <= 0 || (p = strrchr(buf, ')')) == NULL)
		return (-1);
	ok = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &utime, &stime) == 2;
	return (ok ? (long)((utime + stime) * 1000 / (unsigned long long)hz) :
	    -1);
}

/* How many descriptors the server has open, from /proc; or -1. */
long
evecho_open_fds(const struct evecho *e)
{
	char		 path[64];
	struct dirent	*de;
	DIR		*dir;
	long		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)e->pid);
	if ((dir = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return (n);
}

/*
 * The TCP port the server listens on, found without its log: the inodes
 * of its sockets in /proc/PID/fd, matched against listening sockets in
 * /proc/net/tcp.  For -q, which logs nothing to learn the port from.
 * Returns 0 while there is none yet.
 */
int
evecho_listen_port(const struct evecho *e)
{
	char		 path[64], link[64];
	unsigned long	 inodes[64];
	struct dirent	*de;
	DIR		*dir;
	int		 n = 0, port;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)e->pid);
	if ((dir = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(dir)) != NULL && n < 64) {
		char fdpath[384];
		ssize_t len;

		snprintf(fdpath, sizeof fdpath, "%s/%s", path, de->d_name);
		if ((len = readlink(fdpath, link, sizeof link - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &inodes[n]) == 1)
			n++;
	}
	closedir(dir);
	if ((port = find_listening_port(inodes, n, "/proc/net/tcp")) == 0)
		port = find_listening_port(inodes, n, "/proc/net/tcp6");
	return (port);
}

/* Lines: "sl local rem st tx:rx tr:when retr uid timeout inode ...". */
static int
find_listening_port(const unsigned long *inodes, int n, const char *table)
{
	char		 line[512];
	FILE		*fp;
	int		 i, port = 0;

	if ((fp = fopen(table, "r")) == NULL)
		return (0);
	while (port == 0 && fgets(line, sizeof line, fp) != NULL) {
		char *tok[12], *save, *w;
		int ntok = 0;

		for (w = strtok_r(line, " \n", &save); w != NULL && ntok < 12;
		    w = strtok_r(NULL, " \n", &save))
			tok[ntok++] = w;
		if (ntok < 10 || strcmp(tok[3], "0A") != 0)
			continue;	/* header, or not listening */
		for (i = 0; i < n; i++) {
			if (strtoul(tok[9], NULL, 10) == inodes[i] &&
			    strchr(tok[1], ':') != NULL)
				port = (int)strtol(strchr(tok[1], ':') + 1,
				    NULL, 16);
		}
	}
	fclose(fp);
	return (port);
}

/*
 * Run evecho to completion (bounded by 10 s, then killed) and capture its
 * stdout and stderr.  Returns 0 with the wait status in *status, or -1.
 */
int
run_evecho(const char *const *args, const struct spawn_opts *opts,
    int *status, char *out, size_t outlen, char *err, size_t errlen)
{
	struct evecho	 e;
	int		 outfd, errfd, rc = -1;
	char		*text;

	memset(&e, 0, sizeof e);
	if ((outfd = harness_temp_fd()) == -1)
		return (-1);
	if ((errfd = harness_temp_fd()) == -1) {
		close(outfd);
		return (-1);
	}
	if ((e.pid = spawn(args, opts, outfd, errfd)) == -1)
		goto done;
	e.logfd = -1;
	if (evecho_wait_exit(&e, 10000, status) == -1) {
		kill(e.pid, SIGKILL);
		waitpid(e.pid, NULL, 0);
		goto done;
	}
	if ((text = read_all(outfd)) != NULL) {
		snprintf(out, outlen, "%s", text);
		free(text);
	}
	if ((text = read_all(errfd)) != NULL) {
		snprintf(err, errlen, "%s", text);
		free(text);
	}
	rc = 0;
done:
	close(outfd);
	close(errfd);
	return (rc);
}

/*
 * Connect to host:port (numeric) within 5 s, with the socket buffers set
 * first (0 leaves one as it is); a blocking socket, or -1.  The buffers
 * must be set before connect(2): the window scale is agreed in the
 * handshake, from the buffer then, and a receive buffer shrunk afterwards
 * to less than a segment leaves the sender waiting on its silly-window
 * rules, at a few kilobytes a second on loopback.
 */
static int
tcp_connect_with(const char *host, int port, int sndbuf, int rcvbuf)
{
	struct addrinfo	 hints, *res;
	struct pollfd	 pfd;
	char		 service[16];
	int		 fd, on = 1, err = 0;
	socklen_t	 len = sizeof err;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%d", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return (-1);
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || set_nonblocking(fd) == -1)
		goto fail;
	if ((sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof sndbuf) == -1) || (rcvbuf > 0 && setsockopt(fd,
	    SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == -1))
		goto fail;
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET,
		    SO_ERROR, &err, &len) == -1 || err != 0) {
			errno = err != 0 ? err : ETIMEDOUT;
			goto fail;
		}
	}
	freeaddrinfo(res);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	errno = err;
	return (-1);
}

/* Connect to host:port (numeric) within 5 s; a blocking socket, or -1. */
int
tcp_connect(const char *host, int port)
{
	return (tcp_connect_with(host, port, 0, 0));
}

/*
 * Connect to "127.0.0.1:7777" or "[::1]:7777", as the log writes them,
 * with the socket buffers set before connecting (0 leaves one as it is),
 * so that the kernel holds little of a stream a test keeps unread.
 */
int
tcp_connect_buffers(const char *addr, int sndbuf, int rcvbuf)
{
	char		 host[64];
	const char	*colon = strrchr(addr, ':');
	size_t		 len;

	if (colon == NULL)
		return (-1);
	len = (size_t)(colon - addr);
	if (addr[0] == '[' && len >= 2 && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len >= sizeof host)
		return (-1);
	memcpy(host, addr, len);
	host[len] = '\0';
	return (tcp_connect_with(host, atoi(colon + 1), sndbuf, rcvbuf));
}

/* Connect to "127.0.0.1:7777" or "[::1]:7777", as the log writes them. */
int
tcp_connect_addr(const char *addr)
{
	return (tcp_connect_buffers(addr, 0, 0));
}

/*
 * The largest buffer TCP autotuning may give a socket that did not set
 * its own: the third number of /proc/sys/net/ipv4/tcp_rmem or tcp_wmem.
 * Where that cannot be read, 64 MiB, more than any default we know.
 */
static size_t
tcp_autotune_max(const char *name)
{
	char		 path[64];
	unsigned long	 lo, def, max;
	FILE		*fp;
	int		 ok;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
	if ((fp = fopen(path, "r")) == NULL)
		return (64 * 1024 * 1024);
	ok = fscanf(fp, "%lu %lu %lu", &lo, &def, &max) == 3;
	fclose(fp);
	return (ok ? (size_t)max : 64 * 1024 * 1024);
}

/*
 * The buffer the kernel grants a client that asks for `size` of SO_SNDBUF
 * or SO_RCVBUF (about twice that, within limits), learnt from a socket
 * made for the purpose; for 0, a buffer left to autotuning, at its
 * largest.  So a test can size its data before it connects.
 */
static size_t
client_buffer(int which, int size)
{
	socklen_t	 len = sizeof size;
	int		 fd, granted = -1;

	if (size <= 0)
		return (tcp_autotune_max(which == SO_RCVBUF ? "tcp_rmem" :
		    "tcp_wmem"));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1) {
		if (setsockopt(fd, SOL_SOCKET, which, &size, sizeof size) ==
		    -1 || getsockopt(fd, SOL_SOCKET, which, &granted,
		    &len) == -1)
			granted = -1;
		close(fd);
	}
	return (granted > 0 ? (size_t)granted : 64 * 1024 * 1024);
}

/*
 * The most echo the kernel can hold on its way from evecho to a client
 * that asked tcp_connect_buffers() for a receive buffer of rcvbuf: evecho's
 * send buffer, which it leaves to autotuning, at its largest, and the
 * client's receive buffer; twice that, as a send queue may run past its
 * buffer (840 KB queued against a 410 KB buffer, seen on loopback).  An
 * upper bound, not an estimate: a test that needs echo to wait in
 * evecho's own queue sends more than this.
 */
size_t
kernel_echo_room(int rcvbuf)
{
	return (2 * (tcp_autotune_max("tcp_wmem") +
	    client_buffer(SO_RCVBUF, rcvbuf)));
}

/*
 * The most input the kernel can hold on its way to evecho from a client
 * that asked for a send buffer of sndbuf, bounded the same way: the
 * client's send buffer and evecho's receive buffer at its autotuned
 * largest, twice over.  A test that needs the client to stall while
 * evecho has stopped reading sends more than this, the echo room and
 * evecho's queue together.
 */
size_t
kernel_input_room(int sndbuf)
{
	return (2 * (client_buffer(SO_SNDBUF, sndbuf) +
	    tcp_autotune_max("tcp_rmem")));
}

/*
 * Send without reading until the connection refuses more for stall_ms, or
 * the server closes it (which the caller then notices).
 */
size_t
send_until_stalled(int fd, const unsigned char *data, size_t len,
    int stall_ms)
{
	size_t	 sent = 0;
	long	 last = now_ms();
	ssize_t	 n;

	while (sent < len && now_ms() - last < stall_ms) {
		n = send(fd, data + sent, len - sent > 65536 ? 65536 :
		    len - sent, MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			last = now_ms();
		} else if (errno == ECONNRESET || errno == EPIPE) {
			break;
		} else {
			ck_assert_msg(errno == EAGAIN, "send: %s",
			    strerror(errno));
			sleep_ms(5);
		}
	}
	return (sent);
}

int
set_nonblocking(int fd)
{
	int	 flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/* Poll one descriptor for events until the deadline: 1 ready, 0 not. */
static int
poll_until(int fd, short events, long deadline)
{
	struct pollfd	 pfd;
	long		 left;

	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		switch (poll(&pfd, 1, (int)left)) {
		case 1:
			return (1);
		case 0:
			return (0);
		default:
			if (errno != EINTR)
				return (0);
		}
	}
}

/* Send everything within timeout_ms: 0, or -1. */
int
send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const unsigned char	*p = buf;
	long			 deadline = now_ms() + timeout_ms;
	ssize_t			 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return (-1);
		if (!poll_until(fd, POLLOUT, deadline))
			return (-1);
	}
	return (0);
}

/* Receive exactly len bytes within timeout_ms: 0, or -1 (short/EOF). */
int
recv_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	unsigned char	*p = buf;
	long		 deadline = now_ms() + timeout_ms;
	ssize_t		 n;

	while (len > 0) {
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			return (-1);
		if (!poll_until(fd, POLLIN, deadline))
			return (-1);
	}
	return (0);
}

/* The local port of a connected IPv4 socket: how evecho names a client. */
unsigned
tcp_local_port(int fd)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return (ntohs(sin.sin_port));
}

/* 0 if the peer closes (EOF) within timeout_ms with no data first. */
int
recv_eof(int fd, int timeout_ms)
{
	unsigned char	 byte;
	long		 deadline = now_ms() + timeout_ms;
	ssize_t		 n;

	for (;;) {
		n = recv(fd, &byte, 1, MSG_DONTWAIT);
		if (n == 0)
			return (0);
		if (n > 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			return (-1);
		if (!poll_until(fd, POLLIN, deadline))
			return (-1);
	}
}

/* 1 if fd turns readable (data, EOF or error) within timeout_ms. */
int
wait_readable(int fd, int timeout_ms)
{
	return (poll_until(fd, POLLIN, now_ms() + timeout_ms));
}

/*
 * len bytes of pattern seed there and back on fd, every byte checked,
 * within 30 s; the test fails otherwise.
 */
void
echo_pattern(int fd, size_t len, uint32_t seed)
{
	unsigned char	*data = pattern_new(len, seed);

	ck_assert_msg(echo_stream(fd, data, len, len, 30000) == 0,
	    "no echo of %zu bytes", len);
	free(data);
}

/*
 * Send data while reading the echo, as a pipelining client does, and
 * compare every byte as it arrives.  Writes are cut into pieces of
 * `chunk` bytes, or of varying sizes (1 byte to 64 KiB) when chunk is 0.
 * Returns 0 when all len bytes came back identical; -1 on a mismatch
 * (reported on stderr), -2 on timeout, -3 on a socket error or early EOF.
 */
int
echo_stream(int fd, const unsigned char *data, size_t len, size_t chunk,
    int timeout_ms)
{
	unsigned char	 buf[65536];
	size_t		 sent = 0, got = 0, piece;
	long		 deadline = now_ms() + timeout_ms;
	uint32_t	 r = 2463534242u;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (got < len) {
		if (now_ms() >= deadline)
			return (-2);
		pfd.fd = fd;
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			return (-3);
		if (sent < len && (pfd.revents & POLLOUT)) {
			if (chunk == 0) {
				r ^= r << 13;
				r ^= r >> 17;
				r ^= r << 5;
				piece = 1 + r % 65536;
			} else
				piece = chunk;
			if (piece > len - sent)
				piece = len - sent;
			n = send(fd, data + sent, piece, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
			else if (errno != EAGAIN && errno != EINTR)
				return (-3);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
			if (n == 0)
				return (-3);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					return (-3);
				continue;
			}
			if ((size_t)n > len - got ||
			    memcmp(buf, data + got, (size_t)n) != 0) {
				fprintf(stderr, "echo mismatch in %zd bytes at "
				    "offset %zu\n", n, got);
				return (-1);
			}
			got += (size_t)n;
		}
	}
	return (0);
}

/* len bytes of pattern_fill(), in memory the caller frees. */
unsigned char *
pattern_new(size_t len, uint32_t seed)
{
	unsigned char	*buf = malloc(len);

	ck_assert_msg(buf != NULL, "cannot allocate %zu bytes", len);
	pattern_fill(buf, len, seed);
	return (buf);
}

/* Seeded xorshift bytes: distinct per seed, the same every run. */
void
pattern_fill(unsigned char *buf, size_t len, uint32_t seed)
{
	uint32_t	 x = seed * 2654435761u + 1;
	size_t		 i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}

long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Whether [::1] can be bound here: IPv6 tests are skipped otherwise. */
int
ipv6_loopback_available(void)
{
	struct sockaddr_in6	 sin6;
	int			 fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return (0);
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0;
	close(fd);
	return (ok);
}

/*
 * check_systemd.c: evecho under systemd's protocols, without systemd
 * itself: socket activation through systemd-socket-activate(1), which
 * listens, then runs evecho with the socket passed in as systemd would;
 * and sd_notify(3) readiness, read from a NOTIFY_SOCKET this test binds.
 * Built without libsystemd, the whole suite is skipped (exit 77).
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS		10000
#define ACTIVATE		"systemd-socket-activate"
#define PORT_TRIES		5	/* a free port, taken meanwhile */
#define NOTIFY_MAX		4096	/* the datagrams, all together */

#ifdef HAVE_LIBSYSTEMD
#define BUILT_WITH_SYSTEMD	1
#else
#define BUILT_WITH_SYSTEMD	0
#endif

/* What a test read from its NOTIFY_SOCKET, every datagram in order. */
struct notify {
	int	 fd;
	char	 dir[128];
	char	 path[160];
	char	 env[192];		/* "NOTIFY_SOCKET=path" */
	char	 seen[NOTIFY_MAX];	/* the datagrams, one per line */
	size_t	 len;
};

/* Whether prog is on $PATH; if not, say that test is skipped. */
static int
have_program(const char *prog, const char *test)
{
	const char	*path = getenv("PATH");
	char		*copy, *dir, *save, full[512];
	int		 found = 0;

	if (path == NULL || (copy = strdup(path)) == NULL)
		return (0);
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof full, "%s/%s", dir, prog);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	if (!found)
		fprintf(stderr, "%s: skipped: %s not found (apt-get install "
		    "systemd)\n", test, prog);
	return (found);
}

/* A loopback port free a moment ago: bound to port 0, read, closed. */
static int
free_port(int type)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd, port;

	ck_assert_int_ne(fd = socket(AF_INET, type, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/*
 * Start evecho (args) behind systemd-socket-activate listening on a free
 * 127.0.0.1 port, stream or datagram, passing the socket as "echo"; the
 * port once it listens.  evecho itself runs at the first connection or
 * datagram.  A port taken between free_port() and the bind is retried.
 */
static int
activate(struct evecho *e, const char *const *args, int datagram)
{
	char		 listen[64], said[96];
	const char	*launcher[8];
	struct spawn_opts opts;
	int		 n, port, try;

	for (try = 0; try < PORT_TRIES; try++) {
		port = free_port(datagram ? SOCK_DGRAM : SOCK_STREAM);
		snprintf(listen, sizeof listen, "--listen=127.0.0.1:%d",
		    port);
		n = 0;
		launcher[n++] = ACTIVATE;
		launcher[n++] = listen;
		if (datagram)
			launcher[n++] = "--datagram";
		launcher[n++] = "--fdname=echo";
		launcher[n++] = "--";
		launcher[n] = NULL;
		memset(&opts, 0, sizeof opts);
		opts.launcher = launcher;
		ck_assert_int_eq(evecho_spawn(e, args, &opts), 0);
		snprintf(said, sizeof said, "Listening on 127.0.0.1:%d as 3.",
		    port);
		if (evecho_wait_log(e, said, HARNESS_START_MS) == 0)
			return (port);
		evecho_stop(e);
	}
	ck_abort_msg("%s did not listen in %d tries", ACTIVATE, PORT_TRIES);
	return (-1);
}

/* The flags of the server's descriptor fd, from /proc: -1 if unknown. */
static long
fd_flags(const struct evecho *e, int fd)
{
	char	 path[64], line[128];
	FILE	*fp;
	long	 flags = -1;

	snprintf(path, sizeof path, "/proc/%ld/fdinfo/%d", (long)e->pid, fd);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	}
	fclose(fp);
	return (flags);
}

/*
 * A NOTIFY_SOCKET for evecho: an AF_UNIX datagram socket bound in a
 * directory of its own, non-blocking, for notify_wait() to read.
 */
static void
notify_open(struct notify *n)
{
	struct sockaddr_un	 sun;
	const char		*tmp = getenv("TMPDIR");

	memset(n, 0, sizeof *n);
	snprintf(n->dir, sizeof n->dir, "%s/evecho-notify-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(n->dir));
	snprintf(n->path, sizeof n->path, "%s/notify", n->dir);
	snprintf(n->env, sizeof n->env, "NOTIFY_SOCKET=%s", n->path);
	ck_assert_int_ne(n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK,
	    0), -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(n->path), sizeof sun.sun_path);
	memcpy(sun.sun_path, n->path, strlen(n->path) + 1);
	ck_assert_int_eq(bind(n->fd, (struct sockaddr *)&sun, sizeof sun), 0);
}

/* Close and remove the NOTIFY_SOCKET and its directory. */
static void
notify_close(struct notify *n)
{
	close(n->fd);
	unlink(n->path);
	rmdir(n->dir);
}

/*
 * How many times the line want appears among the notifications: whole
 * lines only, "READY=1" is not "READY=10".
 */
static int
notify_count(const struct notify *n, const char *want)
{
	char		 line[128];
	const char	*p;
	int		 count = 0;

	snprintf(line, sizeof line, "%s\n", want);
	for (p = n->seen; (p = strstr(p, line)) != NULL; p += strlen(line)) {
		if (p == n->seen || p[-1] == '\n')
			count++;
	}
	return (count);
}

/*
 * Read datagrams for up to timeout_ms until one has the line want
 * ("READY=1"); each is kept in n->seen, its lines each ending in "\n".
 * 0 once seen, -1 on timeout.
 */
static int
notify_wait(struct notify *n, const char *want, int timeout_ms)
{
	char		 buf[1024];
	long		 deadline = now_ms() + timeout_ms;
	ssize_t		 got;
	struct pollfd	 pfd;
	int		 found = 0;

	while (!found && now_ms() < deadline) {
		pfd.fd = n->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((got = recv(n->fd, buf, sizeof buf - 1, 0)) == -1) {
			ck_assert_msg(errno == EAGAIN || errno == EINTR,
			    "NOTIFY_SOCKET: %s", strerror(errno));
			continue;
		}
		buf[got] = '\0';
		ck_assert_msg(n->len + (size_t)got + 2 < sizeof n->seen,
		    "too many notifications: %s", n->seen);
		memcpy(n->seen + n->len, buf, (size_t)got);
		n->len += (size_t)got;
		if (n->len > 0 && n->seen[n->len - 1] != '\n')
			n->seen[n->len++] = '\n';
		n->seen[n->len] = '\0';
		found = notify_count(n, want) > 0;
	}
	return (found ? 0 : -1);
}

/*
 * Socket activation: evecho serves the listening socket passed in (the
 * bytes come back), logs it by its address and name, makes it
 * non-blocking and close-on-exec, and opens no default 127.0.0.1:7777
 * beside it.
 */
START_TEST(test_socket_activation)
{
	static const char *const args[] = { NULL };
	struct evecho	 e;
	char		 want[96];
	long		 flags;
	int		 port, fd;

	if (!have_program(ACTIVATE, "test_socket_activation"))
		return;
	port = activate(&e, args, 0);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	echo_pattern(fd, 100000, 1);
	ck_assert_msg(evecho_wait_log(&e, " ready: ", HARNESS_START_MS) == 0,
	    "evecho did not log ready");
	snprintf(want, sizeof want, "listening on 127.0.0.1:%d (passed in as "
	    "'echo')\n", port);
	ck_assert_int_eq(evecho_log_count(&e, want), 1);
	ck_assert_int_eq(evecho_log_count(&e, "listening on "), 1);
	ck_assert_int_eq(evecho_log_count(&e, ":7777"), 0);
	flags = fd_flags(&e, 3);
	ck_assert_msg(flags != -1 && (flags & O_NONBLOCK) &&
	    (flags & O_CLOEXEC), "the socket passed in has flags 0%lo", flags);
	close(fd);
	evecho_kill(&e, SIGTERM);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * A -l beside the socket passed in is opened too: sockets passed in
 * replace only the default address.  Both echo.
 */
START_TEST(test_socket_activation_and_listen)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct evecho	 e;
	char		*log, *p, want[96];
	int		 port, other, fd;

	if (!have_program(ACTIVATE, "test_socket_activation_and_listen"))
		return;
	port = activate(&e, args, 0);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	echo_pattern(fd, 1000, 2);
	close(fd);
	ck_assert_msg(evecho_wait_log(&e, " ready: ", HARNESS_START_MS) == 0,
	    "evecho did not log ready");
	snprintf(want, sizeof want, "listening on 127.0.0.1:%d (passed in as "
	    "'echo')\n", port);
	ck_assert_int_eq(evecho_log_count(&e, want), 1);
	ck_assert_int_eq(evecho_log_count(&e, "listening on "), 2);

	/* The other one, the -l: its port is the one that is not passed. */
	ck_assert_ptr_nonnull(log = evecho_log(&e));
	other = 0;
	for (p = log; (p = strstr(p, "listening on 127.0.0.1:")) != NULL;
	    p++) {
		if (atoi(p + strlen("listening on 127.0.0.1:")) != port)
			other = atoi(p + strlen("listening on 127.0.0.1:"));
	}
	free(log);
	ck_assert_int_ne(other, 0);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", other), -1);
	echo_pattern(fd, 1000, 3);
	close(fd);
	evecho_kill(&e, SIGTERM);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
}
END_TEST

/*
 * A datagram socket passed in is refused: one clear "evecho: " line
 * naming it, and exit status 78 (EX_CONFIG), not a server that never
 * accepts.
 */
START_TEST(test_datagram_refused)
{
	static const char *const args[] = { NULL };
	struct sockaddr_in	 sin;
	struct evecho		 e;
	int			 port, fd, status;
	char			*log;

	if (!have_program(ACTIVATE, "test_datagram_refused"))
		return;
	port = activate(&e, args, 1);
	/* A datagram is what makes systemd-socket-activate run evecho. */
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM, 0), -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
	    sizeof sin), 1);
	close(fd);
	ck_assert_msg(evecho_wait_exit(&e, IO_TIMEOUT_MS, &status) == 0,
	    "evecho took a datagram socket and ran");
	log = evecho_log(&e);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == EX_CONFIG,
	    "wait status 0x%x, not exit %d; log:\n%s", status, EX_CONFIG,
	    log);
	ck_assert_msg(strstr(log, "\nevecho: socket 3 passed in as 'echo' is "
	    "a datagram socket: evecho takes listening TCP sockets only "
	    "(ListenStream=)\n") != NULL, "log:\n%s", log);
	ck_assert_msg(strstr(log, " ready: ") == NULL, "log:\n%s", log);
	free(log);
	evecho_stop(&e);
}
END_TEST

/*
 * A connection passed in (Accept=yes; here systemd-socket-activate
 * --accept) is refused too, as not listening, with the same status.
 * The activator forks evecho per connection and logs how it ended.
 */
START_TEST(test_connection_refused)
{
	static const char *const args[] = { NULL };
	const char	*launcher[8];
	struct spawn_opts opts;
	struct evecho	 e;
	char		 listen[64], said[96];
	int		 port, fd, try;

	if (!have_program(ACTIVATE, "test_connection_refused"))
		return;
	for (try = 0; try < PORT_TRIES; try++) {
		port = free_port(SOCK_STREAM);
		snprintf(listen, sizeof listen, "--listen=127.0.0.1:%d",
		    port);
		launcher[0] = ACTIVATE;
		launcher[1] = listen;
		launcher[2] = "--accept";
		launcher[3] = "--fdname=conn";
		launcher[4] = "--";
		launcher[5] = NULL;
		memset(&opts, 0, sizeof opts);
		opts.launcher = launcher;
		ck_assert_int_eq(evecho_spawn(&e, args, &opts), 0);
		snprintf(said, sizeof said, "Listening on 127.0.0.1:%d as 3.",
		    port);
		if (evecho_wait_log(&e, said, HARNESS_START_MS) == 0)
			break;
		evecho_stop(&e);
	}
	ck_assert_int_lt(try, PORT_TRIES);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ck_assert_msg(evecho_wait_log(&e, "died with code 78",
	    IO_TIMEOUT_MS) == 0, "evecho took a connection as a listener");
	ck_assert_int_eq(evecho_log_count(&e, "\nevecho: socket 3 passed in "
	    "as 'conn' is not listening: evecho takes listening TCP sockets "
	    "only (Accept=no)\n"), 1);
	ck_assert_int_eq(recv_eof(fd, IO_TIMEOUT_MS), 0);
	close(fd);
	evecho_stop(&e);
}
END_TEST

/*
 * Readiness: READY=1 once, and only when the port answers; a STATUS=
 * line with it, refreshed as connections open; STOPPING=1 on SIGTERM,
 * with the connections left to drain.
 */
START_TEST(test_notify)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct spawn_opts opts;
	struct notify	 n;
	struct evecho	 e;
	int		 port, fd;

	notify_open(&n);
	memset(&opts, 0, sizeof opts);
	opts.env = n.env;
	ck_assert_int_eq(evecho_spawn(&e, args, &opts), 0);
	ck_assert_msg(notify_wait(&n, "READY=1", HARNESS_START_MS) == 0,
	    "no READY=1; got:\n%s", n.seen);
	/* Ready means it answers now, not in a moment. */
	ck_assert_msg((port = evecho_listen_port(&e)) != 0,
	    "READY=1 before evecho listens");
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	echo_pattern(fd, 1000, 4);
	ck_assert_int_eq(notify_count(&n, "STATUS=0 connections open"), 1);

	/* The status follows the connections, every 2 s at most. */
	ck_assert_msg(notify_wait(&n, "STATUS=1 connection open",
	    IO_TIMEOUT_MS) == 0, "no STATUS= for 1 connection; got:\n%s",
	    n.seen);

	evecho_kill(&e, SIGTERM);
	ck_assert_msg(notify_wait(&n, "STOPPING=1", IO_TIMEOUT_MS) == 0,
	    "no STOPPING=1; got:\n%s", n.seen);
	ck_assert_int_eq(notify_count(&n, "STATUS=draining 1 connection"), 1);
	ck_assert_int_eq(notify_count(&n, "READY=1"), 1);
	ck_assert_int_eq(notify_count(&n, "STOPPING=1"), 1);
	close(fd);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	evecho_stop(&e);
	notify_close(&n);
}
END_TEST

/*
 * A NOTIFY_SOCKET nobody listens on costs one warning, not the service:
 * evecho serves, and exits 0 on SIGTERM, though STOPPING=1 fails too.
 */
START_TEST(test_notify_fails)
{
	static const char *const args[] = { "-l", "127.0.0.1:0", NULL };
	struct spawn_opts opts = { .env =
	    "NOTIFY_SOCKET=/nonexistent/evecho-notify" };
	struct evecho	 e;
	int		 fd;

	ck_assert_int_eq(evecho_start_opts(&e, args, &opts), 0);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	echo_pattern(fd, 1000, 5);
	close(fd);
	evecho_kill(&e, SIGTERM);
	evecho_must_exit_0(&e, IO_TIMEOUT_MS);
	ck_assert_int_eq(evecho_log_count(&e, "cannot notify systemd at "
	    "NOTIFY_SOCKET /nonexistent/evecho-notify: No such file or "
	    "directory; serving on regardless"), 1);
	evecho_stop(&e);
}
END_TEST

static Suite *
systemd_suite(void)
{
	Suite	*s = suite_create("systemd");
	TCase	*tc = tcase_create("systemd");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_socket_activation);
	harness_add_test(tc, test_socket_activation_and_listen);
	harness_add_test(tc, test_datagram_refused);
	harness_add_test(tc, test_connection_refused);
	harness_add_test(tc, test_notify);
	harness_add_test(tc, test_notify_fails);
	suite_add_tcase(s, tc);
	return (s);
}

/* Skipped as a whole (77, automake's SKIP) in a build without libsystemd. */
int
main(void)
{
	if (!BUILT_WITH_SYSTEMD) {
		fprintf(stderr, "check_systemd: skipped: evecho is built "
		    "without libsystemd (configure --without-systemd, or no "
		    "libsystemd-dev)\n");
		return (77);
	}
	return (harness_run(systemd_suite()));
}

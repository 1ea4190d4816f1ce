/*
 * check_haproxy.c: the scale-out recipe of README's "Scaling out", run
 * for real: HAProxy (haproxy(1), Debian's package) on loopback, with
 * contrib/haproxy.cfg as shipped, in front of two evechos with ",proxy"
 * listeners, one frontend sending PROXY v1 (send-proxy) and one v2
 * (send-proxy-v2).  Every byte through it is checked; each evecho must
 * log the real clients, by the ports they connected from, and both must
 * serve.  Without haproxy installed the suite is skipped (exit 77).
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define WAIT_MS		15000
#define CLIENTS		8	/* per frontend */
#define ECHO_BYTES	(64 * 1024)
#define PORT_TRIES	5	/* a free port, taken meanwhile */

/* HAProxy, running on the shipped configuration. */
struct haproxy {
	pid_t	 pid;
	int	 logfd;
	int	 port_v1, port_v2;	/* its frontends */
	char	 env[4][160];
};

/* A port free on 127.0.0.1 a moment ago. */
static int
free_port(void)
{
	int	 fd, port;

	ck_assert_int_ne(fd = tcp_listen_loopback(1, &port), -1);
	close(fd);
	return (port);
}

/* What HAProxy has said on stdout and stderr, for a failure message. */
static char *
haproxy_output(const struct haproxy *h)
{
	static char	 buf[2048];
	ssize_t		 n;

	n = pread(h->logfd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/*
 * Start HAProxy in the foreground on contrib/haproxy.cfg, in front of
 * the two evechos; wait until both frontends accept.  A frontend port
 * taken in between makes HAProxy exit: try again with others.
 */
static void
haproxy_start(struct haproxy *h, const struct evecho *a,
    const struct evecho *b)
{
	const char	*cfg = getenv("EVECHO_HAPROXY_CFG");
	const char	*argv[] = { "haproxy", "-db", "-f", cfg, NULL };
	const char	*envv[5];
	long		 deadline;
	int		 try, fd1, fd2, status;

	ck_assert_msg(cfg != NULL, "EVECHO_HAPROXY_CFG is not set");
	for (try = 0; try < PORT_TRIES; try++) {
		h->port_v1 = free_port();
		h->port_v2 = free_port();
		snprintf(h->env[0], sizeof h->env[0],
		    "EVECHO_FRONT_V1=127.0.0.1:%d", h->port_v1);
		snprintf(h->env[1], sizeof h->env[1],
		    "EVECHO_FRONT_V2=127.0.0.1:%d", h->port_v2);
		snprintf(h->env[2], sizeof h->env[2], "EVECHO_1=%s",
		    a->addrs[0]);
		snprintf(h->env[3], sizeof h->env[3], "EVECHO_2=%s",
		    b->addrs[0]);
		envv[0] = h->env[0];
		envv[1] = h->env[1];
		envv[2] = h->env[2];
		envv[3] = h->env[3];
		envv[4] = NULL;
		ck_assert_int_ne(h->logfd = harness_temp_fd(), -1);
		h->pid = harness_spawn(argv, &(struct spawn_opts){ .envv =
		    envv }, h->logfd, h->logfd);
		ck_assert_int_gt(h->pid, 0);

		deadline = now_ms() + WAIT_MS;
		while (now_ms() < deadline) {
			if (waitpid(h->pid, &status, WNOHANG) == h->pid)
				break;
			fd1 = tcp_connect("127.0.0.1", h->port_v1);
			fd2 = fd1 == -1 ? -1 :
			    tcp_connect("127.0.0.1", h->port_v2);
			if (fd1 != -1)
				close(fd1);
			if (fd2 != -1) {
				close(fd2);
				return;
			}
			sleep_ms(20);
		}
		kill(h->pid, SIGKILL);
		waitpid(h->pid, &status, 0);
		fprintf(stderr, "haproxy did not start (try %d): %s\n", try + 1,
		    haproxy_output(h));
		close(h->logfd);
	}
	ck_abort_msg("haproxy never started");
}

static void
haproxy_stop(struct haproxy *h)
{
	int	 status;

	kill(h->pid, SIGTERM);
	waitpid(h->pid, &status, 0);
	close(h->logfd);
}

/*
 * Which of the two evechos logged the client on this port as connected
 * through a header of this version: 0 or 1; the test fails if neither
 * or both did.
 */
static int
served_by(struct evecho *e, unsigned port, int version)
{
	char	 want[96], *log, *line;
	long	 deadline = now_ms() + WAIT_MS;
	int	 in0, in1;

	snprintf(want, sizeof want, "127.0.0.1:%u connected via 127.0.0.1:",
	    port);
	do {
		in0 = evecho_log_count(&e[0], want);
		in1 = evecho_log_count(&e[1], want);
		if (in0 + in1 > 0)
			break;
		sleep_ms(10);
	} while (now_ms() < deadline);
	ck_assert_msg(in0 + in1 == 1, "client port %u logged %d and %d times",
	    port, in0, in1);
	ck_assert_ptr_nonnull(log = evecho_log(&e[in0 ? 0 : 1]));
	line = strstr(log, want);
	line[strcspn(line, "\n")] = '\0';
	snprintf(want, sizeof want, ", PROXY v%d (", version);
	ck_assert_msg(strstr(line, want) != NULL, "'%s' lacks '%s'", line,
	    want);
	free(log);
	snprintf(want, sizeof want, "127.0.0.1:%u closed (closed by client): "
	    "%d B in, %d B out", port, ECHO_BYTES, ECHO_BYTES);
	ck_assert_msg(evecho_wait_log(&e[in0 ? 0 : 1], want, WAIT_MS) == 0,
	    "no '%s'", want);
	return (in0 ? 0 : 1);
}

/*
 * Through HAProxy, with v1 and with v2 headers, every client's echo is
 * exact, each client is logged by exactly one evecho under its own
 * address and port, both evechos serve clients of each version, and
 * HAProxy's v2 health checks arrive as LOCAL headers.
 */
START_TEST(test_scale_out)
{
	static const char *const args[] = { "-v", "--threads", "1", "-l",
	    "127.0.0.1:0,proxy", NULL };
	struct evecho	 e[2];
	struct haproxy	 h;
	unsigned	 ports[2][CLIENTS];
	int		 served[2][2] = { { 0, 0 }, { 0, 0 } };
	int		 v, i, fd, who;

	evecho_must_start(&e[0], args);
	evecho_must_start(&e[1], args);
	haproxy_start(&h, &e[0], &e[1]);

	for (v = 0; v < 2; v++) {
		for (i = 0; i < CLIENTS; i++) {
			fd = tcp_connect("127.0.0.1", v == 0 ? h.port_v1 :
			    h.port_v2);
			ck_assert_int_ne(fd, -1);
			ports[v][i] = tcp_local_port(fd);
			echo_pattern(fd, ECHO_BYTES, (uint32_t)(v * 100 + i));
			close(fd);
		}
	}
	for (v = 0; v < 2; v++) {
		for (i = 0; i < CLIENTS; i++) {
			who = served_by(e, ports[v][i], v + 1);
			served[v][who]++;
		}
		ck_assert_msg(served[v][0] > 0 && served[v][1] > 0,
		    "PROXY v%d: evechos served %d and %d clients", v + 1,
		    served[v][0], served[v][1]);
	}
	ck_assert_msg(evecho_wait_log(&e[0], ", PROXY v2 LOCAL", WAIT_MS) ==
	    0 || evecho_wait_log(&e[1], ", PROXY v2 LOCAL", 0) == 0,
	    "no health check came as a PROXY v2 LOCAL header");
	haproxy_stop(&h);
	ck_assert_int_eq(evecho_kill(&e[0], SIGTERM), 0);
	ck_assert_int_eq(evecho_kill(&e[1], SIGTERM), 0);
	evecho_must_exit_0(&e[0], WAIT_MS);
	evecho_must_exit_0(&e[1], WAIT_MS);
}
END_TEST

static Suite *
haproxy_suite(void)
{
	Suite	*s = suite_create("haproxy");
	TCase	*tc = tcase_create("haproxy");

	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_scale_out);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	if (system("command -v haproxy >/dev/null 2>&1") != 0) {
		fprintf(stderr, "haproxy is not installed: skipping the "
		    "scale-out test (Debian: apt-get install haproxy)\n");
		return (77);
	}
	return (harness_run(haproxy_suite()));
}

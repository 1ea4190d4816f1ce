/*
 * harness.h: what the integration suites share: start the real evecho on
 * an ephemeral loopback port and learn the port from its log, stop it,
 * and talk to it over real sockets with every wait bounded in time.
 */
#ifndef EVECHO_HARNESS_H
#define EVECHO_HARNESS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define HARNESS_MAX_ADDRS	8
#define HARNESS_START_MS	10000	/* start-up, however slow the build */

/* A running evecho whose stderr goes to an unlinked temporary file. */
struct evecho {
	pid_t	 pid;
	int	 logfd;
	int	 exited;			/* status below is valid */
	int	 status;			/* from waitpid() */
	int	 naddrs;
	char	 addrs[HARNESS_MAX_ADDRS][64];	/* "listening on" values */
	int	 port;				/* port of addrs[0] */
};

/* Extra set-up for the child before exec, for the tests that need it. */
struct spawn_opts {
	int		 as_nobody;	/* drop to uid/gid 65534 if root */
	long		 nofile;	/* RLIMIT_NOFILE soft; 0: leave */
	long		 nofile_hard;	/* RLIMIT_NOFILE hard; 0: = soft */
	const char	*env;		/* one "NAME=value" to add; NULL: none */
	const char *const *envv;	/* more of them, NULL-terminated */
	int		 inherit_fds;	/* extra descriptors left open */
	const char	*dev_dir;	/* bound over /dev for it; NULL: none */
	const char *const *launcher;	/* argv run first, given the rest
					   as its command (such as
					   systemd-socket-activate ... --);
					   NULL-terminated; NULL: none */
};

struct Suite;
struct TCase;
struct TTest;

int	 harness_run(struct Suite *);
void	 harness_add_test(struct TCase *, const struct TTest *);
void	 harness_add_loop_test(struct TCase *, const struct TTest *, int,
	    int);
void	 harness_setup(void);
void	 harness_teardown(void);
int	 harness_wrapped(const char *);
int	 harness_sanitized(const char *);

int	 evecho_start(struct evecho *, const char *const *);
int	 evecho_start_opts(struct evecho *, const char *const *,
	    const struct spawn_opts *);
void	 evecho_must_start(struct evecho *, const char *const *);
int	 evecho_spawn(struct evecho *, const char *const *,
	    const struct spawn_opts *);
int	 evecho_spawn_stderr(struct evecho *, const char *const *,
	    const struct spawn_opts *, int);
int	 evecho_wait_log(struct evecho *, const char *, int);
char	*evecho_log(struct evecho *);
int	 evecho_log_count(struct evecho *, const char *);
int	 evecho_wait_log_count(struct evecho *, const char *, int, int);
int	 evecho_wait_exit(struct evecho *, int, int *);
int	 evecho_kill(struct evecho *, int);
void	 evecho_must_exit_0(struct evecho *, int);
void	 evecho_stop(struct evecho *);
long	 evecho_rss_kb(const struct evecho *);
long	 evecho_cpu_ms(const struct evecho *);
long	 evecho_open_fds(const struct evecho *);
int	 evecho_listen_port(const struct evecho *);

int	 run_evecho(const char *const *, const struct spawn_opts *, int *,
	    char *, size_t, char *, size_t);
pid_t	 harness_spawn(const char *const *, const struct spawn_opts *, int,
	    int);
int	 harness_temp_fd(void);

int	 tcp_connect(const char *, int);
int	 tcp_connect_addr(const char *);
int	 tcp_connect_from(const char *, int);
int	 tcp_listen_loopback(int, int *);
unsigned tcp_local_port(int);
int	 tcp_connect_buffers(const char *, int, int);
size_t	 send_until_stalled(int, const unsigned char *, size_t, int);
int	 set_nonblocking(int);
int	 send_all(int, const void *, size_t, int);
int	 recv_exact(int, void *, size_t, int);
int	 recv_eof(int, int);
void	 echo_pattern(int, size_t, uint32_t);
int	 echo_stream(int, const unsigned char *, size_t, size_t, int);
int	 wait_readable(int, int);

socklen_t loopback_addr(int, int, struct sockaddr_storage *);
int	 udp_client(int, int);
void	 udp_aim(int, int, int);
int	 udp_connected(int, int);
ssize_t	 udp_recv(int, void *, size_t, int);

size_t	 kernel_echo_room(int);
size_t	 kernel_input_room(int);

void	 pattern_fill(unsigned char *, size_t, uint32_t);
unsigned char	*pattern_new(size_t, uint32_t);
long	 now_ms(void);
void	 sleep_ms(int);
int	 ipv6_loopback_available(void);

#endif /* EVECHO_HARNESS_H */

/*
 * net.c: socket helpers for listeners and accepted connections.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#ifdef __linux__
#include <linux/tcp.h>		/* the full struct tcp_info */
#else
#include <netinet/tcp.h>
#endif

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/util.h>

#include "addr.h"
#include "net.h"

static int	net_open_spec(const struct addr_spec *, int, unsigned,
		    net_take_fn, void *, char *, size_t);
static int	net_same_port(int, struct sockaddr_storage *);
static int	net_socket(int, int, int, char *, size_t);
static int	net_fail(int, const char *, char *, size_t);

/*
 * Listen on every address spec resolves to, handing each socket to take(),
 * which owns it from then on.  For the wildcard, a family the system does
 * not support (no IPv6) is skipped as long as another family works.
 * Returns EX_OK or the exit status for the failure, with err set.
 */
int
net_listen_spec(const struct addr_spec *spec, int backlog,
    net_take_fn take, void *arg, char *err, size_t errlen)
{
	return (net_open_spec(spec, backlog, 1, take, arg, err, errlen));
}

/*
 * Open n sockets for every address spec resolves to, stream or datagram
 * as its kind says, and hand each to take(): n of one address in a row,
 * the first of them deciding the port when spec asks for port 0.  With
 * n > 1 they share the address by SO_REUSEPORT (datagram sockets only).
 */
static int
net_open_spec(const struct addr_spec *spec, int backlog, unsigned n,
    net_take_fn take, void *arg, char *err, size_t errlen)
{
	struct evutil_addrinfo	*res, *ai, *prev;
	struct sockaddr_storage	 ss;
	const char		*kind = spec->kind == ADDR_UDP ? "udp:" : "";
	char			 what[ADDR_STRLEN + ADDR_HOST_MAX];
	char			 why[256];
	size_t			 opened = 0;
	socklen_t		 sslen;
	unsigned		 i;
	int			 fd, status = EX_OK;

	switch (addr_resolve(spec, &res, err, errlen)) {
	case ADDR_OK:
		break;
	case ADDR_NOHOST:
		return (EX_NOHOST);
	case ADDR_TEMPFAIL:
		return (EX_TEMPFAIL);
	default:
		return (EX_OSERR);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* Resolvers may list an address twice; bind it once. */
		for (prev = res; prev != ai; prev = prev->ai_next) {
			if (prev->ai_addrlen == ai->ai_addrlen &&
			    memcmp(prev->ai_addr, ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
		}
		if (prev != ai)
			continue;
		addr_format(ai->ai_addr, what, sizeof what);
		sslen = (socklen_t)ai->ai_addrlen;
		if (sslen > sizeof ss)
			sslen = sizeof ss;
		memcpy(&ss, ai->ai_addr, sslen);
		for (i = 0; i < n; i++) {
			fd = spec->kind == ADDR_UDP ?
			    net_udp_bind((struct sockaddr *)&ss, sslen, n > 1,
			    why, sizeof why) : net_listen((struct sockaddr *)&ss,
			    sslen, backlog, why, sizeof why);
			if (fd == -1) {
				if (i == 0 && errno == EAFNOSUPPORT &&
				    spec->host[0] == '\0')
					break;
				status = (errno == EACCES || errno == EPERM) ?
				    EX_NOPERM : EX_OSERR;
				snprintf(err, errlen, "cannot listen on %s%s: %s",
				    kind, what, why);
				goto done;
			}
			/* Port 0: the others join the port the first got. */
			if (i == 0 && n > 1 && net_same_port(fd, &ss) == -1) {
				snprintf(err, errlen, "getsockname: %s",
				    strerror(errno));
				close(fd);
				status = EX_OSERR;
				goto done;
			}
			if (take(fd, arg, err, errlen) == -1) {
				status = EX_OSERR;
				goto done;
			}
			opened++;
		}
	}
	if (opened == 0) {
		addr_spec_format(spec, what, sizeof what);
		snprintf(err, errlen, "cannot listen on %s: no usable address",
		    what);
		status = EX_OSERR;
	}
done:
	evutil_freeaddrinfo(res);
	return (status);
}

/* Give ss the port fd is bound to: 0, or -1 with errno set. */
static int
net_same_port(int fd, struct sockaddr_storage *ss)
{
	struct sockaddr_storage	 got;

	if (net_local_addr(fd, &got) == -1)
		return (-1);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port =
		    ((struct sockaddr_in *)&got)->sin_port;
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port =
		    ((struct sockaddr_in6 *)&got)->sin6_port;
	return (0);
}

/*
 * Open a non-blocking, close-on-exec TCP socket listening on sa.
 * SO_REUSEADDR lets a restarted server bind while old connections sit in
 * TIME_WAIT; IPV6_V6ONLY keeps [::] from claiming IPv4 too, so that
 * 0.0.0.0:P and [::]:P can both be given.  Returns the descriptor, or -1
 * with errno set and the failing step named in err.
 */
int
net_listen(const struct sockaddr *sa, socklen_t salen, int backlog,
    char *err, size_t errlen)
{
	const char	*step;
	int		 fd, on = 1;

	if ((fd = net_socket(sa->sa_family, SOCK_STREAM, IPPROTO_TCP, err,
	    errlen)) == -1)
		return (-1);
	step = "setsockopt SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
		goto fail;
	step = "setsockopt IPV6_V6ONLY";
	if (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof on) == -1)
		goto fail;
	step = NULL;		/* bind and listen speak for themselves */
	if (bind(fd, sa, salen) == -1 || listen(fd, backlog) == -1)
		goto fail;
	return (fd);

fail:
	return (net_fail(fd, step, err, errlen));
}

/*
 * Open a non-blocking, close-on-exec Unix-domain stream socket listening
 * at sun (len bytes of it).  A mode of 0 or more is the file's mode from
 * its first moment: Linux creates the file with the socket's own mode
 * less the umask, so fchmod(2) before bind(2) and a zero umask around it
 * leave no moment in which the file is more open than asked.  umask(2)
 * is per process: call this before any thread starts.  -1 leaves the
 * mode to the umask (abstract sockets have no file).  Returns the
 * descriptor, or -1 with errno set and the failing step named in err.
 */
int
net_listen_unix(const struct sockaddr_un *sun, socklen_t len, int mode,
    int backlog, char *err, size_t errlen)
{
	const char	*step;
	mode_t		 old_mask = 0;
	int		 fd, rc, saved_errno;

	if ((fd = net_socket(AF_UNIX, SOCK_STREAM, 0, err, errlen)) == -1)
		return (-1);
	step = "fchmod";
	if (mode >= 0 && fchmod(fd, (mode_t)mode) == -1)
		goto fail;
	if (mode >= 0)
		old_mask = umask(0);
	rc = bind(fd, (const struct sockaddr *)sun, len);
	saved_errno = errno;
	if (mode >= 0)
		umask(old_mask);
	errno = saved_errno;
	step = NULL;		/* bind and listen speak for themselves */
	if (rc == -1 || listen(fd, backlog) == -1)
		goto fail;
	return (fd);

fail:
	return (net_fail(fd, step, err, errlen));
}

/*
 * Bind n datagram sockets to every address spec (a udp: spec) resolves
 * to, handing each to take(), which owns it from then on: n sockets of
 * one address in a row, the first of them deciding the port when spec
 * asks for port 0.  With n > 1 they share the address by SO_REUSEPORT,
 * which the kernel balances by the source's address and port.  Returns
 * EX_OK or the exit status for the failure, with err set.
 */
int
net_udp_spec(const struct addr_spec *spec, unsigned n, net_take_fn take,
    void *arg, char *err, size_t errlen)
{
	return (net_open_spec(spec, 0, n, take, arg, err, errlen));
}

/*
 * Open a non-blocking, close-on-exec UDP socket bound to sa, with
 * SO_REUSEPORT when reuseport (a socket per worker), a receive buffer of
 * NET_UDP_RCVBUF, and IPV6_V6ONLY as for TCP.  Returns the descriptor,
 * or -1 with errno set and err.
 */
int
net_udp_bind(const struct sockaddr *sa, socklen_t salen, int reuseport,
    char *err, size_t errlen)
{
	const char	*step;
	int		 fd, on = 1, rcvbuf = NET_UDP_RCVBUF;

	if ((fd = net_socket(sa->sa_family, SOCK_DGRAM, IPPROTO_UDP, err,
	    errlen)) == -1)
		return (-1);
#ifdef SO_REUSEPORT
	step = "setsockopt SO_REUSEPORT";
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof on) == -1)
		goto fail;
#else
	(void)reuseport;	/* one socket serves every worker's turn */
#endif
	/*
	 * A burst from many sources waits here while the loop is busy: the
	 * default (about 200 KiB, some 270 small datagrams) drops it.  The
	 * kernel caps the size at net.core.rmem_max by itself.
	 */
	step = "setsockopt SO_RCVBUF";
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof rcvbuf) == -1)
		goto fail;
	step = "setsockopt IPV6_V6ONLY";
	if (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof on) == -1)
		goto fail;
	step = NULL;
	if (bind(fd, sa, salen) == -1)
		goto fail;
	return (fd);

fail:
	return (net_fail(fd, step, err, errlen));
}

/* An echo must never wait on Nagle's algorithm for the next byte. */
int
net_set_nodelay(int fd)
{
	int	 on = 1;

	return (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on));
}

/* The address fd is bound to, to report the real port of port 0. */
int
net_local_addr(int fd, struct sockaddr_storage *ss)
{
	socklen_t	 len = sizeof *ss;

	memset(ss, 0, sizeof *ss);
	return (getsockname(fd, (struct sockaddr *)ss, &len));
}

/*
 * Ask the kernel how far the peer of TCP socket fd has taken our output:
 * 0, or -1 where the system cannot tell (then nothing is known).  Linux's
 * TCP_INFO has it all in one call: bytes acknowledged, the age of the
 * last ACK, and what is unsent or unacknowledged.
 */
int
net_progress(int fd, struct net_progress *p)
{
#if defined(__linux__) && defined(TCP_INFO)
	struct tcp_info	 ti;
	socklen_t	 len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return (-1);
	/* Kernels before 4.6 fill less: without these, nothing is known. */
	if (len < offsetof(struct tcp_info, tcpi_notsent_bytes) +
	    sizeof ti.tcpi_notsent_bytes) {
		errno = ENOSYS;
		return (-1);
	}
	p->acked = ti.tcpi_bytes_acked;
	p->in_flight = ti.tcpi_unacked > 0 || ti.tcpi_notsent_bytes > 0;
	return (0);
#else
	(void)fd;
	(void)p;
	errno = ENOSYS;
	return (-1);
#endif
}

/*
 * A new socket, non-blocking and close-on-exec, as every socket evecho
 * opens must be; or -1 with errno set and the failing step in err.
 */
static int
net_socket(int family, int type, int protocol, char *err, size_t errlen)
{
	int	 fd;

	if ((fd = socket(family, type, protocol)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1)
		return (net_fail(fd, "cannot make socket non-blocking", err,
		    errlen));
	return (fd);
}

/*
 * A socket being set up failed at step (NULL: the call speaks for
 * itself): say so in err, close it, and return -1 with errno kept.
 */
static int
net_fail(int fd, const char *step, char *err, size_t errlen)
{
	int	 saved_errno = errno;

	if (step != NULL)
		snprintf(err, errlen, "%s: %s", step, strerror(saved_errno));
	else
		snprintf(err, errlen, "%s", strerror(saved_errno));
	close(fd);
	errno = saved_errno;
	return (-1);
}

/*
 * bench_target.c: where the load goes.  [HOST:]PORT is parsed without
 * touching the network; target_probe() resolves it and makes one test
 * connection, so that a server that is down is reported once, by name,
 * before any load starts; target_connect() starts each load connection.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bench_target.h"
#include "value.h"

static int	valid_host_name(const char *);
static int	valid_ipv6_literal(const char *);
static int	target_parse_path(struct target *, const char *, char *,
		    size_t);
static int	target_probe_path(struct target *, int, char *, size_t);
static int	open_socket(int, int);
static int	probe_one(const struct sockaddr *, socklen_t, int, char *,
		    size_t);
static int	probe_dgram(const struct sockaddr *, socklen_t, int, char *,
		    size_t);

/*
 * Parse PORT, HOST:PORT, [IPV6]:PORT or unix:PATH; the host defaults to
 * 127.0.0.1.  On error return -1 with a sentence for the user in err.
 */
int
target_parse(struct target *t, const char *spec, char *err, size_t errlen)
{
	const char	*host = spec, *port, *colon;
	size_t		 hostlen;
	unsigned long	 value;

	memset(t, 0, sizeof *t);
	if (strncmp(spec, "unix:", 5) == 0)
		return (target_parse_path(t, spec, err, errlen));
	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "server address '%s': expected "
			    "[IPV6]:PORT, as in [::1]:7777", spec);
			return (-1);
		}
		host = spec + 1;
		hostlen = (size_t)(close - host);
		port = close + 2;
		if (hostlen == 0 || hostlen >= sizeof t->host) {
			snprintf(err, errlen, "server address '%s': '[...]' "
			    "must hold an IPv6 address", spec);
			return (-1);
		}
		memcpy(t->host, host, hostlen);
		if (!valid_ipv6_literal(t->host)) {
			snprintf(err, errlen, "server address '%s': '%s' is "
			    "not an IPv6 address", spec, t->host);
			return (-1);
		}
	} else if ((colon = strchr(spec, ':')) == NULL) {
		snprintf(t->host, sizeof t->host, "%s", TARGET_DEFAULT_HOST);
		port = spec;
	} else {
		if (strchr(colon + 1, ':') != NULL) {
			snprintf(err, errlen, "server address '%s' has several "
			    "':'; write IPv6 addresses in brackets, as in "
			    "[::1]:7777", spec);
			return (-1);
		}
		hostlen = (size_t)(colon - spec);
		port = colon + 1;
		if (hostlen >= sizeof t->host) {
			snprintf(err, errlen, "server address '%s': the host "
			    "name is too long", spec);
			return (-1);
		}
		if (hostlen == 0)
			snprintf(t->host, sizeof t->host, "%s",
			    TARGET_DEFAULT_HOST);
		else
			memcpy(t->host, spec, hostlen);
		if (!valid_host_name(t->host)) {
			snprintf(err, errlen, "server address '%s': '%s' is "
			    "not a host name or IPv4 address", spec, t->host);
			return (-1);
		}
	}
	if (value_parse_uint(port, 1, 65535, &value) == -1) {
		snprintf(err, errlen, "server address '%s': expected a port "
		    "from 1 to 65535 %s", spec, port == spec ? "or HOST:PORT" :
		    "after ':'");
		return (-1);
	}
	t->port = (uint16_t)value;
	return (0);
}

/*
 * unix:PATH, a Unix-domain socket as evecho's -l names it; "unix:@name"
 * is an abstract one (Linux).
 */
static int
target_parse_path(struct target *t, const char *spec, char *err,
    size_t errlen)
{
	const char	*path = spec + 5;

	if (*path == '\0' || (path[0] == '@' && path[1] == '\0')) {
		snprintf(err, errlen, "server address '%s' names no socket "
		    "path", spec);
		return (-1);
	}
	if (strlen(path) >= sizeof t->path) {
		snprintf(err, errlen, "server address '%.40s...': a socket "
		    "path has at most %zu characters", spec,
		    sizeof t->path - 1);
		return (-1);
	}
	snprintf(t->path, sizeof t->path, "%s", path);
	return (0);
}

/* Letters, digits, '-', '_' and '.': a DNS name or dotted IPv4. */
static int
valid_host_name(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return (0);
	}
	return (1);
}

/* An IPv6 address, with a zone ("%eth0") allowed after it. */
static int
valid_ipv6_literal(const char *s)
{
	struct in6_addr	 a;
	char		 bare[INET6_ADDRSTRLEN];
	size_t		 len = strcspn(s, "%");

	if (len >= sizeof bare || (s[len] == '%' && s[len + 1] == '\0'))
		return (0);
	memcpy(bare, s, len);
	bare[len] = '\0';
	return (inet_pton(AF_INET6, bare, &a) == 1);
}

/*
 * A non-blocking, close-on-exec stream socket: TCP with Nagle turned off,
 * or Unix-domain, which has no Nagle to turn off; or with dgram a UDP
 * socket.
 */
static int
open_socket(int family, int dgram)
{
	int	 fd, on = 1, saved_errno;

	if (dgram)
		return (socket(family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, IPPROTO_UDP));
	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    family == AF_UNIX ? 0 : IPPROTO_TCP)) == -1)
		return (-1);
	if (family == AF_UNIX)
		return (fd);
	/* A message must leave at once, not wait for the next one. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	return (fd);
}

/* Connect to sa within timeout_ms: 0, or -1 with the reason in err. */
static int
probe_one(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
    char *err, size_t errlen)
{
	struct pollfd	 pfd;
	struct timespec	 now, end;
	socklen_t	 len = sizeof(int);
	int		 fd, soerr = 0, left, rc = -1;

	if ((fd = open_socket(sa->sa_family, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	if (connect(fd, sa, salen) == 0) {
		rc = 0;
		goto done;
	}
	if (errno != EINPROGRESS) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int)((end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000);
		if (left <= 0) {
			snprintf(err, errlen, "no answer within %d s",
			    timeout_ms / 1000);
			goto done;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, left) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto done;
		}
		if (pfd.revents != 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
		snprintf(err, errlen, "getsockopt SO_ERROR: %s",
		    strerror(errno));
		goto done;
	}
	if (soerr != 0) {
		snprintf(err, errlen, "%s", strerror(soerr));
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return (rc);
}

/*
 * UDP has no connection to try: send sa one datagram and wait up to
 * timeout_ms for its echo, so that a server that is not there is found
 * before the load (a closed port answers at once, by ICMP).  0, or -1
 * with the reason in err.
 */
static int
probe_dgram(const struct sockaddr *sa, socklen_t salen, int timeout_ms,
    char *err, size_t errlen)
{
	static const char	 probe[8] = "862:\x01\x02\x03";	/* no letter: -U */
	struct pollfd		 pfd;
	char			 back[sizeof probe + 1];
	ssize_t			 n;
	int			 fd, rc = -1;

	if ((fd = open_socket(sa->sa_family, 1)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	if (connect(fd, sa, salen) == -1 || send(fd, probe, sizeof probe,
	    0) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto done;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		snprintf(err, errlen, "no echo of a datagram within %d s",
		    timeout_ms / 1000);
		goto done;
	}
	if ((n = recv(fd, back, sizeof back, 0)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto done;
	}
	if (n != sizeof probe || memcmp(back, probe, sizeof probe) != 0) {
		snprintf(err, errlen, "a datagram of %zd bytes came back for "
		    "one of %zu, not its echo", n, sizeof probe);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return (rc);
}

/*
 * Resolve the target and connect to it once, trying each address in the
 * resolver's order; the first that answers is the one the load will use.
 * Returns a sysexits(3) status, with a sentence in err unless EX_OK:
 * EX_NOHOST, EX_TEMPFAIL or EX_OSERR for the resolver, EX_UNAVAILABLE
 * when no address can be connected to.
 */
int
target_probe(struct target *t, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 port[8], why[256], name[ADDR_STRLEN];
	char		 tried[768] = "";
	int		 rc, status = EX_UNAVAILABLE, n = 0;

	if (t->path[0] != '\0')
		return (target_probe_path(t, timeout_ms, err, errlen));
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = t->dgram ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_protocol = t->dgram ? IPPROTO_UDP : IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", (unsigned)t->port);
	if ((rc = getaddrinfo(t->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", t->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (rc == EAI_NONAME || rc == EAI_NODATA)
			return (EX_NOHOST);
		return (rc == EAI_AGAIN ? EX_TEMPFAIL : EX_OSERR);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((size_t)ai->ai_addrlen > sizeof t->ss)
			continue;
		addr_format(ai->ai_addr, name, sizeof name);
		if ((t->dgram ? probe_dgram : probe_one)(ai->ai_addr,
		    ai->ai_addrlen, timeout_ms, why, sizeof why) == 0) {
			memcpy(&t->ss, ai->ai_addr, ai->ai_addrlen);
			t->sslen = ai->ai_addrlen;
			snprintf(t->name, sizeof t->name, "%s", name);
			status = EX_OK;
			break;
		}
		snprintf(tried + strlen(tried), sizeof tried - strlen(tried),
		    "%s%s: %s", n++ > 0 ? "; " : "", name, why);
	}
	freeaddrinfo(res);
	if (status != EX_OK)
		snprintf(err, errlen, "cannot connect to %s", tried[0] != '\0' ?
		    tried : t->host);
	return (status);
}

/* target_probe() for unix:PATH: no resolver, one address. */
static int
target_probe_path(struct target *t, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&t->ss;
	size_t			 n = strlen(t->path);
	char			 why[256];

	memset(&t->ss, 0, sizeof t->ss);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, t->path, n);
	if (t->path[0] == '@') {
		sun->sun_path[0] = '\0';	/* abstract: no NUL after it */
		t->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    n);
	} else
		t->sslen = (socklen_t)sizeof *sun;
	snprintf(t->name, sizeof t->name, "unix:%s", t->path);
	if (probe_one((struct sockaddr *)sun, t->sslen, timeout_ms, why,
	    sizeof why) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", t->name, why);
		return (EX_UNAVAILABLE);
	}
	return (EX_OK);
}

/*
 * Open a socket and start connecting it to the probed address.  Returns
 * the descriptor, to be watched for writability (then SO_ERROR says how
 * the connect ended), or -1 with errno set.
 */
int
target_connect(const struct target *t, int *fdp)
{
	int	 fd, saved_errno;

	if ((fd = open_socket(t->ss.ss_family, t->dgram)) == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)&t->ss, t->sslen) == -1 &&
	    errno != EINPROGRESS) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	*fdp = fd;
	return (0);
}

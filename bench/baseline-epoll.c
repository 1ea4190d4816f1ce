/*
 * baseline-epoll: the practical limit for an echo server on one core, for
 * bench/run to measure evecho against.  A minimal single-threaded epoll
 * loop: non-blocking sockets, level-triggered, one read and one write per
 * message into and out of one shared buffer; only what a partial write
 * leaves is kept for the connection, which stops reading until it is
 * sent.  Nothing else: no timeouts, no limits, no logging beyond the port.
 *
 * usage: baseline-epoll [PORT]	(127.0.0.1; default 0, an ephemeral port)
 */
#define _GNU_SOURCE	/* accept4 */

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	16384
#define MAX_EVENTS	256

struct client {
	int	 fd;
	char	*pending;	/* what a partial write left, or NULL */
	size_t	 off, len;	/* unsent part of pending */
};

static char	 buf[BUF_SIZE];	/* every read lands here */

static void
die(const char *what)
{
	fprintf(stderr, "baseline-epoll: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
drop(int ep, struct client *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pending);
	free(c);
}

/*
 * Write p[0..len); keep what the kernel does not take and wait for
 * EPOLLOUT.  0 when all of it went, 1 if some is left, -1 on error.
 */
static int
send_or_keep(int ep, struct client *c, const char *p, size_t len)
{
	struct epoll_event	 ev;
	ssize_t			 n;

	while (len > 0) {
		n = write(c->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (c->pending != p) {
				char *keep = malloc(len);

				if (keep == NULL)
					return (-1);
				memcpy(keep, p, len);
				free(c->pending);
				c->pending = keep;
			}
			c->off = 0;
			c->len = len;
			ev.events = EPOLLOUT;	/* stop reading until sent */
			ev.data.ptr = c;
			if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == -1)
				return (-1);
			return (1);
		}
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct epoll_event	 ev, events[MAX_EVENTS];
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 lfd, ep, n, i, on = 1;

	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(argc > 1 ? (unsigned short)atoi(argv[1]) : 0);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(lfd, 511) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		die("listen");
	fprintf(stderr, "listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));

	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;		/* NULL marks the listener */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");

	for (;;) {
		if ((n = epoll_wait(ep, events, MAX_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			ssize_t r;

			if (c == NULL) {
				int fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK);

				if (fd == -1)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
				    sizeof on);
				if ((c = calloc(1, sizeof *c)) == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					drop(ep, c);
				continue;
			}
			if (c->pending != NULL) { /* EPOLLOUT: finish it */
				int rc = send_or_keep(ep, c, c->pending +
				    c->off, c->len - c->off);

				if (rc == -1) {
					drop(ep, c);
					continue;
				}
				if (rc == 0) {
					free(c->pending);
					c->pending = NULL;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
					    &ev) == -1)
						drop(ep, c);
				}
				continue;
			}
			r = read(c->fd, buf, sizeof buf);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				drop(ep, c);
				continue;
			}
			if (send_or_keep(ep, c, buf, (size_t)r) == -1)
				drop(ep, c);
		}
	}
}

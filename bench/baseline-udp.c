/*
 * baseline-udp: the plain way to echo datagrams, for bench/run to measure
 * evecho's udp: listener against.  A single-threaded epoll loop on one
 * non-blocking UDP socket: each wake-up, recvfrom() one datagram and
 * sendto() it back, until the socket is empty; an echo the kernel does
 * not take is dropped.  Nothing else: no batching, no guards, no rate
 * limit, no logging beyond the port.
 *
 * usage: baseline-udp [PORT]	(127.0.0.1; default 0, an ephemeral port)
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	65536	/* any datagram but a jumbogram */

static char	 buf[BUF_SIZE];

static void
die(const char *what)
{
	fprintf(stderr, "baseline-udp: %s: %s\n", what, strerror(errno));
	exit(1);
}

int
main(int argc, char **argv)
{
	struct epoll_event	 ev;
	struct sockaddr_storage	 from;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin, fromlen;
	ssize_t			 n;
	int			 fd, ep;

	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(argc > 1 ? (unsigned short)atoi(argv[1]) : 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("bind");
	fprintf(stderr, "listening on udp:127.0.0.1:%u\n",
	    ntohs(sin.sin_port));

	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");

	for (;;) {
		if (epoll_wait(ep, &ev, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (;;) {
			fromlen = sizeof from;
			n = recvfrom(fd, buf, sizeof buf, 0,
			    (struct sockaddr *)&from, &fromlen);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				break;		/* EAGAIN: empty */
			}
			(void)sendto(fd, buf, (size_t)n, 0,
			    (struct sockaddr *)&from, fromlen);
		}
	}
}

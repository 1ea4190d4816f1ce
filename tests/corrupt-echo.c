/*
 * corrupt-echo: a test-only echo server that gets one byte wrong, to prove
 * that evecho-bench notices.  It listens on 127.0.0.1 on an ephemeral
 * port, prints "listening on 127.0.0.1:PORT", and echoes every
 * connection, except at byte number OFFSET (counting from 0 across all
 * connections, in the order it echoes them), where it does one of:
 *
 *	flip	flip the low bit of that byte (the default)
 *	reset	echo up to it, then reset the connection
 *	close	echo up to it, then close the connection
 *
 * It exits after 60 seconds whatever happens, or when its parent dies.
 *
 * usage: corrupt-echo OFFSET [flip | reset | close]
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CLIENTS	256
#define LIFETIME_S	60

enum fault { FLIP, RESET, CLOSE };

static int	listen_loopback(uint16_t *);
static int	write_all(int, const unsigned char *, size_t);

/* Listen, say where, and echo every client from one poll loop. */
int
main(int argc, char **argv)
{
	struct pollfd	 pfd[1 + MAX_CLIENTS];
	unsigned char	 buf[65536];
	unsigned long long offset, echoed = 0, at;
	struct linger	 reset = { 1, 0 };
	enum fault	 fault = FLIP;
	char		*end;
	uint16_t	 port;
	nfds_t		 n = 1, i;
	ssize_t		 r;
	int		 fd;

	if (argc == 3 && strcmp(argv[2], "reset") == 0)
		fault = RESET;
	else if (argc == 3 && strcmp(argv[2], "close") == 0)
		fault = CLOSE;
	else if (argc == 3 && strcmp(argv[2], "flip") != 0)
		argc = 0;
	if ((argc != 2 && argc != 3) || argv[1][0] < '0' ||
	    argv[1][0] > '9' || (errno = 0, offset = strtoull(argv[1], &end,
	    10), errno != 0) || *end != '\0') {
		fprintf(stderr, "usage: corrupt-echo OFFSET "
		    "[flip | reset | close]\n");
		return (64);
	}
	/* Never outlive the test, however it ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("corrupt-echo: set-up");
		return (71);
	}
	alarm(LIFETIME_S);
	if ((pfd[0].fd = listen_loopback(&port)) == -1) {
		perror("corrupt-echo: listen on 127.0.0.1:0");
		return (71);
	}
	pfd[0].events = POLLIN;
	printf("listening on 127.0.0.1:%u\n", (unsigned)port);
	if (fflush(stdout) != 0)
		return (74);

	for (;;) {
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("corrupt-echo: poll");
			return (70);
		}
		if ((pfd[0].revents & POLLIN) && n < 1 + MAX_CLIENTS &&
		    (fd = accept(pfd[0].fd, NULL, NULL)) != -1) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if ((r = read(pfd[i].fd, buf, sizeof buf)) > 0) {
				at = offset - echoed;
				echoed += (unsigned long long)r;
				if (offset < echoed - (unsigned long long)r ||
				    at >= (unsigned long long)r) {
					if (write_all(pfd[i].fd, buf,
					    (size_t)r) == 0)
						continue;
				} else if (fault == FLIP) {
					buf[at] ^= 0x01;
					if (write_all(pfd[i].fd, buf,
					    (size_t)r) == 0)
						continue;
				} else {
					/* Up to the byte, then the end. */
					write_all(pfd[i].fd, buf, (size_t)at);
					if (fault == RESET)
						setsockopt(pfd[i].fd,
						    SOL_SOCKET, SO_LINGER,
						    &reset, sizeof reset);
				}
			} else if (r == -1 && errno == EINTR)
				continue;
			close(pfd[i].fd);
			pfd[i--] = pfd[--n];
		}
	}
}

/* A blocking socket listening on 127.0.0.1, on a port the kernel picks. */
static int
listen_loopback(uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* Write everything, blocking: the load generator always reads. */
static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		len -= (size_t)w;
	}
	return (0);
}

/*
 * net.h: socket helpers.  They never log and never exit: they return -1
 * with errno set and, where there is more to say, a sentence in err.
 */
#ifndef EVECHO_NET_H
#define EVECHO_NET_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* How far a TCP peer has taken what was sent to it. */
struct net_progress {
	uint64_t	 acked;		/* bytes it acknowledged, ever */
	int		 in_flight;	/* bytes sent or queued, not acknowledged */
};

#define NET_UDP_RCVBUF	(1024 * 1024)	/* asked for; the kernel doubles it */

struct addr_spec;
struct sockaddr_un;

/* Takes a listening socket, owning it from then on; 0, or -1 and err. */
typedef int	(*net_take_fn)(int, void *, char *, size_t);

int	net_listen(const struct sockaddr *, socklen_t, int, char *, size_t);
int	net_listen_spec(const struct addr_spec *, int, net_take_fn, void *,
	    char *, size_t);
int	net_listen_unix(const struct sockaddr_un *, socklen_t, int, int,
	    char *, size_t);
int	net_udp_bind(const struct sockaddr *, socklen_t, int, char *,
	    size_t);
int	net_udp_spec(const struct addr_spec *, unsigned, net_take_fn,
	    void *, char *, size_t);
int	net_set_nodelay(int);
int	net_local_addr(int, struct sockaddr_storage *);
int	net_progress(int, struct net_progress *);

#endif /* EVECHO_NET_H */

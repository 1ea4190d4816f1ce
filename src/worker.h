/*
 * worker.h: one event loop and the connections it owns.
 *
 * Everything a connection touches on the echo path lives here or in the
 * connection itself, never in process-wide state, so that each of several
 * threads can own a worker of its own.
 */
#ifndef EVECHO_WORKER_H
#define EVECHO_WORKER_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>

#include <event2/util.h>

struct config;
struct conn;
struct event_base;

TAILQ_HEAD(conn_list, conn);

struct worker {
	struct event_base	*base;		/* the loop every conn runs on */
	const struct config	*cfg;
	const struct timeval	*idle_tv;	/* common timeout; NULL: off */
	size_t			 queue_high;	/* pause reading at this */
	size_t			 queue_low;	/* resume reading at this */
	struct conn_list	 conns;		/* every open connection */
	unsigned		 nconns;	/* length of conns */
	int			 draining;	/* shutting down: no new input */
	void			(*on_close)(void *);	/* after each close */
	void			*on_close_arg;
};

int	worker_init(struct worker *, struct event_base *,
	    const struct config *, void (*)(void *), void *);
int	worker_accept(struct worker *, evutil_socket_t,
	    const struct sockaddr *, int);
void	worker_drain(struct worker *);
unsigned
	worker_close_all(struct worker *, const char *, size_t *);
void	worker_free(struct worker *);

#endif /* EVECHO_WORKER_H */

/*
 * acceptor.h: the listening sockets and the accept path: opening a
 * listener for every address of every -l, or taking one passed in by
 * systemd, accepting while there is room, pausing on accept errors,
 * refusing hosts over their cap, and handing each accepted socket on
 * with the listener it came from.
 */
#ifndef EVECHO_ACCEPTOR_H
#define EVECHO_ACCEPTOR_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <event2/util.h>

#include "addr.h"
#include "log.h"
#include "stats.h"

struct acceptor;
struct addr_spec;
struct config;
struct event;
struct event_base;
struct evconnlistener;
struct hostcap;
struct hostcap_entry;
struct unixsock_file;

/* One listening socket. */
struct listener {
	struct evconnlistener	*lev;		/* NULL once closed */
	struct acceptor		*acceptor;	/* the set it belongs to */
	unsigned		 index;		/* in acceptor->listeners */
	char			 name[ADDR_STRLEN];	/* real address */
	char			 passed_as[64];	/* name it was passed in
						   as; "" if opened here */
	unsigned		 options;	/* ADDR_OPT_*: its stages */
	struct unixsock_file	*file;		/* socket file to remove once
						   closed; NULL: none */
};

/*
 * An accepted socket on its way to a worker: what it needs to become a
 * connection.  The listener outlives every connection it accepted.
 */
struct handoff {
	evutil_socket_t		 fd;
	const struct listener	*from;		/* where it was accepted */
	struct hostcap_entry	*host;		/* its host's count, or NULL */
	socklen_t		 salen;
	struct sockaddr_storage	 ss;		/* the peer */
};

/* Takes an accepted socket, already counted; owns it from then on. */
typedef void	(*acceptor_hand_off_fn)(const struct handoff *, void *);

/* Every listener, and whether and how they accept. */
struct acceptor {
	const struct config	*cfg;
	struct event_base	*base;
	struct listener		*listeners;
	size_t			 nlisteners;
	atomic_uint		*nconns;	/* open connections, everywhere */
	unsigned		 max_conns;	/* accept while nconns is below */
	struct hostcap		*hosts;		/* per-host counts, or NULL */
	acceptor_hand_off_fn	 hand_off;
	void			*arg;		/* for hand_off */
	struct event		*backoff_timer;	/* ends an accept pause */
	int			 started;	/* acceptor_start() was called */
	int			 accepting;	/* listeners enabled */
	int			 paused_once;	/* "accepting again" makes sense */
	int			 backoff;	/* accept failed; waiting */
	int			 stopped;	/* no more accepting, ever */
	time_t			 limit_warned;	/* last limit warning */
	struct log_flood	 accept_errors;	/* lines, summarised */
	struct stats_accept	 stats;		/* read by any thread */
	struct log_flood	 host_warnings;
	struct log_flood	 oom_errors;
};

int	acceptor_init(struct acceptor *, const struct config *,
	    struct event_base *, atomic_uint *, acceptor_hand_off_fn, void *,
	    char *, size_t);
int	acceptor_listen(struct acceptor *, const struct addr_spec *, char *,
	    size_t);
int	acceptor_adopt(struct acceptor *, int, const char *, char *,
	    size_t);
void	acceptor_start(struct acceptor *, unsigned);
void	acceptor_update(struct acceptor *);
void	acceptor_stop(struct acceptor *);
void	acceptor_free(struct acceptor *);

#endif /* EVECHO_ACCEPTOR_H */

/*
 * httpd.h: a small HTTP/1.x server for read-only endpoints: GET and HEAD,
 * one request per connection, answered and closed.
 *
 * Why not libevent's evhttp: in libevent 2.1 it has no cap on
 * connections (evhttp_set_max_connections() came in 2.2), no error
 * callback on its listener (EMFILE makes it spin), no deadline for a
 * whole request (a client sending a byte every few seconds stays for
 * hours), and it goes on reading and buffering pipelined requests while
 * an answer waits to be sent, without bound.  Each of those lets any
 * client of a metrics port take memory or descriptors from the echo.
 * Here every connection is capped in number, in bytes buffered and in
 * time.
 */
#ifndef EVECHO_HTTPD_H
#define EVECHO_HTTPD_H

#include <sys/queue.h>

#include <stddef.h>

#include "addr.h"
#include "log.h"

#define HTTPD_REQUEST_MAX	8192	/* request line and headers */
#define HTTPD_DEADLINE_SEC	10	/* for a whole connection */
#define HTTPD_BACKLOG		64
#define HTTPD_LISTENERS_MAX	4	/* addresses one spec may give */

struct bufferevent;
struct evbuffer;
struct event;
struct event_base;
struct evconnlistener;
struct httpd_conn;

/*
 * Answers a GET or HEAD of path (the query cut off) with httpd_reply(),
 * at once; called on the server's loop.  For HEAD, httpd_reply() sends
 * the head only.
 */
typedef void	(*httpd_handler_fn)(struct httpd_conn *, const char *, void *);

struct httpd {
	struct event_base	*base;
	struct evconnlistener	*listeners[HTTPD_LISTENERS_MAX];
	char			 names[HTTPD_LISTENERS_MAX][ADDR_STRLEN];
	size_t			 nlisteners;
	TAILQ_HEAD(, httpd_conn) conns;
	unsigned		 nconns;
	unsigned		 max_conns;	/* accepting pauses there */
	int			 accepting;	/* listeners enabled */
	int			 backoff;	/* accept failed; waiting */
	struct event		*backoff_timer;
	struct log_flood	 accept_errors;
	httpd_handler_fn	 handler;
	void			*arg;		/* for handler */
};

int	httpd_init(struct httpd *, struct event_base *, unsigned,
	    httpd_handler_fn, void *);
int	httpd_listen(struct httpd *, const struct addr_spec *, char *, size_t);
void	httpd_reply(struct httpd_conn *, int, const char *, const char *,
	    struct evbuffer *);
void	httpd_reply_text(struct httpd_conn *, int, const char *,
	    const char *);
void	httpd_free(struct httpd *);

#endif /* EVECHO_HTTPD_H */

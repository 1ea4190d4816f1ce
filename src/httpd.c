/*
 * httpd.c: one request per connection, for GET and HEAD (see httpd.h for
 * why not evhttp).  A connection reads until the blank line that ends the
 * request's head, at most HTTPD_REQUEST_MAX bytes (a read watermark, so
 * nothing more is ever buffered); the handler answers; the answer is sent
 * with Connection: close; then the server shuts down its side and reads
 * and drops what the client still sends until it closes, so that closing
 * with unread input cannot reset the connection and destroy the answer.
 * Everything, answer and all, has HTTPD_DEADLINE_SEC.  At max_conns
 * connections, accepting pauses until one closes; an accept(2) failure
 * pauses it for a second, as for the echo.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "httpd.h"
#include "log.h"
#include "net.h"

#define HTTPD_BACKOFF_SEC	1	/* pause after EMFILE and the like */
#define HTTPD_METHOD_MAX	16	/* longer is no method we know */

enum httpd_state {
	HTTPD_READING,		/* the request's head */
	HTTPD_ANSWERING,	/* the answer is being sent */
	HTTPD_CLOSING		/* sent and shut down; await the client's EOF */
};

struct httpd_conn {
	TAILQ_ENTRY(httpd_conn)	 entry;		/* in httpd->conns */
	struct httpd		*httpd;
	struct bufferevent	*bev;
	struct event		*deadline;
	enum httpd_state	 state;
	int			 head;		/* HEAD: answer without body */
};

static int	httpd_take(int, void *, char *, size_t);
static void	httpd_update(struct httpd *);
static void	httpd_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	httpd_accept_error_cb(struct evconnlistener *, void *);
static void	httpd_backoff_cb(evutil_socket_t, short, void *);
static void	httpd_read_cb(struct bufferevent *, void *);
static void	httpd_write_cb(struct bufferevent *, void *);
static void	httpd_event_cb(struct bufferevent *, short, void *);
static void	httpd_deadline_cb(evutil_socket_t, short, void *);
static void	httpd_request(struct httpd_conn *, char *);
static void	httpd_close(struct httpd_conn *);

/* An HTTP server on base, not yet listening, for at most max_conns. */
int
httpd_init(struct httpd *h, struct event_base *base, unsigned max_conns,
    httpd_handler_fn handler, void *arg)
{
	memset(h, 0, sizeof *h);
	TAILQ_INIT(&h->conns);
	h->base = base;
	h->max_conns = max_conns;
	h->handler = handler;
	h->arg = arg;
	if ((h->backoff_timer = evtimer_new(base, httpd_backoff_cb,
	    h)) == NULL)
		return (-1);
	return (0);
}

/*
 * Listen on every address spec resolves to, accepting at once.
 * Returns EX_OK, or the exit status with err set.
 */
int
httpd_listen(struct httpd *h, const struct addr_spec *spec, char *err,
    size_t errlen)
{
	int	 status;

	if ((status = net_listen_spec(spec, HTTPD_BACKLOG, httpd_take, h,
	    err, errlen)) == EX_OK)
		httpd_update(h);
	return (status);
}

/* net_listen_spec() hands over each listening socket. */
static int
httpd_take(int fd, void *arg, char *err, size_t errlen)
{
	struct httpd		*h = arg;
	struct sockaddr_storage	 ss;
	struct evconnlistener	*lev;

	if (h->nlisteners == HTTPD_LISTENERS_MAX) {
		snprintf(err, errlen, "more than %d addresses",
		    HTTPD_LISTENERS_MAX);
		evutil_closesocket(fd);
		return (-1);
	}
	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		evutil_closesocket(fd);
		return (-1);
	}
	lev = evconnlistener_new(h->base, httpd_accept_cb, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
	    0, fd);
	if (lev == NULL) {
		snprintf(err, errlen, "cannot create a listener");
		evutil_closesocket(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(lev, httpd_accept_error_cb);
	addr_format((struct sockaddr *)&ss, h->names[h->nlisteners],
	    sizeof h->names[0]);
	h->listeners[h->nlisteners++] = lev;
	return (0);
}

/* Close every connection and listener. */
void
httpd_free(struct httpd *h)
{
	size_t	 i;

	while (!TAILQ_EMPTY(&h->conns))
		httpd_close(TAILQ_FIRST(&h->conns));
	for (i = 0; i < h->nlisteners; i++)
		evconnlistener_free(h->listeners[i]);
	h->nlisteners = 0;
	if (h->backoff_timer != NULL)
		event_free(h->backoff_timer);
	h->backoff_timer = NULL;
}

/* Accept while below the cap and no accept error is being waited out. */
static void
httpd_update(struct httpd *h)
{
	size_t	 i;
	int	 want = !h->backoff && h->nconns < h->max_conns;

	if (want == h->accepting)
		return;
	for (i = 0; i < h->nlisteners; i++) {
		if ((want ? evconnlistener_enable(h->listeners[i]) :
		    evconnlistener_disable(h->listeners[i])) == -1)
			log_error("--metrics: cannot %s accepting on %s",
			    want ? "resume" : "pause", h->names[i]);
	}
	h->accepting = want;
}

/* A new client: read its request, within the deadline. */
static void
httpd_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	const struct timeval	 deadline = { HTTPD_DEADLINE_SEC, 0 };
	struct httpd		*h = arg;
	struct httpd_conn	*c;

	(void)lev;
	(void)sa;
	(void)salen;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->httpd = h;
	if ((c->bev = bufferevent_socket_new(h->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	h->nconns++;
	httpd_update(h);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTPD_REQUEST_MAX);
	bufferevent_setcb(c->bev, httpd_read_cb, NULL, httpd_event_cb, c);
	if ((c->deadline = evtimer_new(h->base, httpd_deadline_cb,
	    c)) == NULL || evtimer_add(c->deadline, &deadline) == -1 ||
	    bufferevent_enable(c->bev, EV_READ) == -1)
		httpd_close(c);
}

/*
 * accept() failed for a reason libevent does not retry by itself
 * (EMFILE, ENFILE...): pause, rather than spin on the pending client.
 */
static void
httpd_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	const struct timeval	 backoff = { HTTPD_BACKOFF_SEC, 0 };
	struct httpd		*h = arg;
	int			 err = EVUTIL_SOCKET_ERROR();
	unsigned long		 held;
	char			 note[80];

	(void)lev;
	if (log_flood_pass(&h->accept_errors, &held))
		log_error("--metrics: accept failed: %s; pausing accepts for "
		    "%d s%s", evutil_socket_error_to_string(err),
		    HTTPD_BACKOFF_SEC, log_flood_note(held, note, sizeof note));
	h->backoff = 1;
	httpd_update(h);
	if (evtimer_add(h->backoff_timer, &backoff) == -1) {
		h->backoff = 0;
		httpd_update(h);
	}
}

static void
httpd_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd	*h = arg;

	(void)fd;
	(void)what;
	h->backoff = 0;
	httpd_update(h);
}

/*
 * Input: while reading, wait for the end of the request's head and
 * answer; once answered, drop whatever else comes.
 */
static void
httpd_read_cb(struct bufferevent *bev, void *arg)
{
	struct httpd_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 end, eol;
	char			 line[HTTPD_REQUEST_MAX + 1];
	size_t			 len;

	if (c->state != HTTPD_READING) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) >= HTTPD_REQUEST_MAX)
			httpd_reply_text(c, 431,
			    "Request Header Fields Too Large",
			    "request head over 8 KiB\n");
		return;
	}
	/*
	 * Copied out, not evbuffer_readln(): its string comes from
	 * libevent's allocator, which budget.c replaces, not from malloc.
	 */
	eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_CRLF);
	len = eol.pos < 0 || (size_t)eol.pos >= sizeof line ? 0 :
	    (size_t)eol.pos;
	if (evbuffer_remove(in, line, len) != (int)len)
		len = 0;
	line[len] = '\0';
	evbuffer_drain(in, evbuffer_get_length(in));
	httpd_request(c, line);
}

/*
 * One request line, "METHOD TARGET HTTP/1.x": a GET or HEAD of an
 * origin-form target goes to the handler, the path without its query;
 * any other method gets 405, anything malformed 400.
 */
static void
httpd_request(struct httpd_conn *c, char *line)
{
	char	*method = line, *target, *version, *p;

	if ((target = strchr(method, ' ')) == NULL ||
	    (version = strchr(target + 1, ' ')) == NULL) {
		httpd_reply_text(c, 400, "Bad Request",
		    "malformed request line\n");
		return;
	}
	*target++ = '\0';
	*version++ = '\0';
	if (strncmp(version, "HTTP/1.", 7) != 0 || version[7] < '0' ||
	    version[7] > '9' || version[8] != '\0' || *target != '/' ||
	    *method == '\0' || strlen(method) > HTTPD_METHOD_MAX ||
	    strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method)) {
		httpd_reply_text(c, 400, "Bad Request",
		    "malformed request line\n");
		return;
	}
	if ((p = strchr(target, '?')) != NULL)
		*p = '\0';
	if (strcmp(method, "HEAD") == 0)
		c->head = 1;
	else if (strcmp(method, "GET") != 0) {
		httpd_reply_text(c, 405, "Method Not Allowed",
		    "only GET and HEAD\n");
		return;
	}
	c->httpd->handler(c, target, c->httpd->arg);
}

/*
 * Send the answer (for HEAD, its head only) and close once it is sent.
 * Takes the body's bytes out of body, which may be NULL.
 */
void
httpd_reply(struct httpd_conn *c, int code, const char *reason,
    const char *content_type, struct evbuffer *body)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 len = body != NULL ? evbuffer_get_length(body) : 0;

	if (c->state != HTTPD_READING)
		return;
	c->state = HTTPD_ANSWERING;
	if (evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", code,
	    reason, content_type, len, code == 405 ? "Allow: GET, HEAD\r\n" :
	    "") < 0 || (!c->head && len > 0 &&
	    evbuffer_add_buffer(out, body) == -1)) {
		httpd_close(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, httpd_read_cb, httpd_write_cb,
	    httpd_event_cb, c);
	if (bufferevent_enable(c->bev, EV_WRITE) == -1)
		httpd_close(c);
}

/* A short plain-text answer. */
void
httpd_reply_text(struct httpd_conn *c, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*body = evbuffer_new();

	if (body != NULL && evbuffer_add(body, text, strlen(text)) == -1) {
		evbuffer_free(body);
		body = NULL;
	}
	httpd_reply(c, code, reason, "text/plain; charset=utf-8", body);
	if (body != NULL)
		evbuffer_free(body);
}

/* The answer is sent: shut down our side, and wait for the client's. */
static void
httpd_write_cb(struct bufferevent *bev, void *arg)
{
	struct httpd_conn	*c = arg;

	if (c->state != HTTPD_ANSWERING ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	c->state = HTTPD_CLOSING;
	if (shutdown(bufferevent_getfd(bev), SHUT_WR) == -1)
		httpd_close(c);
}

/* EOF, an error: the client is gone, whatever the state. */
static void
httpd_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		httpd_close(arg);
}

/* HTTPD_DEADLINE_SEC passed: whatever the connection was doing, end it. */
static void
httpd_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	httpd_close(arg);
}

/* Free the connection, and accept again if the cap had been reached. */
static void
httpd_close(struct httpd_conn *c)
{
	struct httpd	*h = c->httpd;

	TAILQ_REMOVE(&h->conns, c, entry);
	h->nconns--;
	if (c->deadline != NULL)
		event_free(c->deadline);
	bufferevent_free(c->bev);	/* closes the socket */
	free(c);
	httpd_update(h);
}

/*
 * conn.c: one client connection.
 *
 * The read callback moves whole chains from the input buffer to the output
 * buffer (no byte is copied).  When a client's pending output reaches the
 * high watermark, reading from it stops until the output drains to the low
 * watermark, so a client that does not read costs at most about
 * --max-queue bytes plus kernel buffers.  A client's EOF ends the echo only
 * once everything it sent has been written back.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "net.h"
#include "transform.h"
#include "worker.h"

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_pause(struct conn *);
static void	conn_resume(struct conn *);
static void	conn_finish(struct conn *);
static void	conn_flushed(struct conn *);
static void	conn_timeout(struct conn *, short);
static int	conn_wants_input(const struct conn *);
static int	conn_kernel_sending(struct conn *);
static const char *
		conn_peer(const struct conn *, char *, size_t);

/*
 * Take over an accepted, non-blocking socket.  The descriptor is owned from
 * here on: on failure it is closed, the reason logged, and NULL returned.
 */
struct conn *
conn_new(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    int salen)
{
	struct conn	*c;
	char		 peer[ADDR_STRLEN];

	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_error("cannot accept %s: out of memory",
		    addr_format(sa, peer, sizeof peer));
		evutil_closesocket(fd);
		return (NULL);
	}
	c->worker = w;
	c->state = CONN_ECHOING;
	if (salen > 0 && (size_t)salen <= sizeof c->peer)
		memcpy(&c->peer, sa, (size_t)salen);
	else
		c->peer.sa.sa_family = AF_UNSPEC;

	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_error("cannot accept %s: cannot create its buffers",
		    conn_peer(c, peer, sizeof peer));
		evutil_closesocket(fd);
		free(c);
		return (NULL);
	}
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	if ((w->idle_tv != NULL &&
	    bufferevent_set_timeouts(c->bev, w->idle_tv, w->idle_tv) == -1) ||
	    bufferevent_enable(c->bev, EV_READ) == -1) {
		log_error("cannot accept %s: cannot start reading",
		    conn_peer(c, peer, sizeof peer));
		bufferevent_free(c->bev);
		free(c);
		return (NULL);
	}
	event_base_gettimeofday_cached(w->base, &c->opened);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	if (log_enabled(LOG_CONN))
		log_msg(LOG_CONN, "%s connected (%u open)",
		    conn_peer(c, peer, sizeof peer), w->nconns);
	return (c);
}

/* Server shutdown: take no more input, send what was received, then end. */
void
conn_drain(struct conn *c)
{
	if (c->state == CONN_ECHOING)
		conn_finish(c);
}

/* Bytes received but not yet handed to the kernel. */
size_t
conn_pending(const struct conn *c)
{
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/* Free the connection now, whatever it still holds, and tell the worker. */
void
conn_close(struct conn *c, const char *reason)
{
	struct worker	*w = c->worker;

	if (log_enabled(LOG_CONN)) {
		struct timeval	 now, age;
		char		 peer[ADDR_STRLEN];
		uint64_t	 out = c->bytes_in - conn_pending(c);

		event_base_gettimeofday_cached(w->base, &now);
		evutil_timersub(&now, &c->opened, &age);
		log_msg(LOG_CONN, "%s closed (%s): %llu B in, %llu B out, "
		    "%ld.%03ld s", conn_peer(c, peer, sizeof peer), reason,
		    (unsigned long long)c->bytes_in, (unsigned long long)out,
		    (long)age.tv_sec, (long)age.tv_usec / 1000);
	}
	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	bufferevent_free(c->bev);
	free(c);
	if (w->on_close != NULL)
		w->on_close(w->on_close_arg);
}

/*
 * The echo: hand every chain of input to the output as it is, transformed
 * in place when -U asks for it, then apply backpressure.
 */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct evbuffer	*out = bufferevent_get_output(bev);
	size_t		 len = evbuffer_get_length(in), queued;

	c->read_idle = 0;
	if (c->state != CONN_ECHOING) {
		/* Lingering after our shutdown: the echo is over. */
		evbuffer_drain(in, len);
		return;
	}
	if (c->worker->cfg->uppercase && transform_upper_evbuffer(in) == -1) {
		conn_close(c, "cannot transform input");
		return;
	}
	if (evbuffer_add_buffer(out, in) == -1) {
		conn_close(c, "out of memory");
		return;
	}
	c->bytes_in += len;
	queued = evbuffer_get_length(out);
	if (log_enabled(LOG_DEBUG)) {
		char peer[ADDR_STRLEN];

		log_msg(LOG_DEBUG, "%s read %zu B, %llu B in, %zu B queued",
		    conn_peer(c, peer, sizeof peer), len,
		    (unsigned long long)c->bytes_in, queued);
	}
	if (queued >= c->worker->queue_high)
		conn_pause(c);
}

/* Called only while paused or flushing: output fell to the low mark. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	size_t		 left = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->state == CONN_FLUSHING) {
		if (left == 0)
			conn_flushed(c);
		return;
	}
	if (c->paused && left <= c->worker->queue_low)
		conn_resume(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();

		conn_close(c, evutil_socket_error_to_string(err));
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		conn_timeout(c, what);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (c->state == CONN_LINGERING) {
			conn_close(c, "server shutdown");
			return;
		}
		if (what & BEV_EVENT_WRITING) {
			conn_close(c, "write failed");
			return;
		}
		/* Half-close: the client has sent all; finish the echo. */
		c->client_eof = 1;
		conn_finish(c);
	}
}

/* Output reached the high watermark: stop reading until it drains. */
static void
conn_pause(struct conn *c)
{
	c->paused = 1;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, c->worker->queue_low, 0);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	if (log_enabled(LOG_DEBUG)) {
		char peer[ADDR_STRLEN];

		log_msg(LOG_DEBUG, "%s paused reading: %zu B queued",
		    conn_peer(c, peer, sizeof peer), conn_pending(c));
	}
}

/* Output drained to the low watermark: read again. */
static void
conn_resume(struct conn *c)
{
	c->paused = 0;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	if (bufferevent_enable(c->bev, EV_READ) == -1) {
		conn_close(c, "cannot resume reading");
		return;
	}
	if (log_enabled(LOG_DEBUG)) {
		char peer[ADDR_STRLEN];

		log_msg(LOG_DEBUG, "%s resumed reading: %zu B queued",
		    conn_peer(c, peer, sizeof peer), conn_pending(c));
	}
}

/* No more input will be echoed: send what is queued, then end. */
static void
conn_finish(struct conn *c)
{
	c->state = CONN_FLUSHING;
	c->paused = 0;
	bufferevent_disable(c->bev, EV_READ);
	if (conn_pending(c) == 0) {
		conn_flushed(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
}

/*
 * Everything queued has been handed to the kernel.  After the client's EOF
 * we can close: its input is empty, so the close sends FIN and the kernel
 * still delivers what it holds.  On our own shutdown the client may still
 * be sending, and closing with unread input would reset the connection and
 * destroy the echo still in flight; so send FIN, then read and discard
 * until the client closes (bounded by --drain-timeout).
 */
static void
conn_flushed(struct conn *c)
{
	if (c->client_eof) {
		conn_close(c, "closed by client");
		return;
	}
	if (shutdown(bufferevent_getfd(c->bev), SHUT_WR) == -1) {
		conn_close(c, strerror(errno));
		return;
	}
	c->state = CONN_LINGERING;
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	if (bufferevent_enable(c->bev, EV_READ) == -1)
		conn_close(c, "cannot read after shutdown");
}

/*
 * A bufferevent timeout covers one direction; idle means no bytes either
 * way.  Quiet input while the echo still flows out is not idle: out of
 * our queue (the write timeout watches that flow) or out of the kernel's
 * send buffer to a slow reader.  A stalled write while input still
 * arrives is not idle either.
 */
static void
conn_timeout(struct conn *c, short what)
{
	if (what & BEV_EVENT_READING) {
		if (conn_pending(c) > 0 || conn_kernel_sending(c)) {
			c->read_idle = 1;
			if (conn_wants_input(c) &&
			    bufferevent_enable(c->bev, EV_READ) == -1)
				conn_close(c, "cannot re-arm reading");
			return;
		}
	} else if (conn_wants_input(c) && !c->read_idle) {
		if (bufferevent_enable(c->bev, EV_WRITE) == -1)
			conn_close(c, "cannot re-arm writing");
		return;
	}
	conn_close(c, "idle timeout");
}

/*
 * Whether the kernel's send buffer moved during the last timeout period:
 * a reader slowly taking echo we have already handed over.  Bytes seen
 * for the first time, fewer bytes than last time, or none left where
 * there were some all count as traffic; an unchanged, or empty, buffer
 * over a whole period does not.
 */
static int
conn_kernel_sending(struct conn *c)
{
	int		 unsent = net_unsent(bufferevent_getfd(c->bev));
	unsigned	 now = unsent > 0 ? (unsigned)unsent : 0;
	int		 moving;

	if (now == 0)
		moving = c->kernel_unsent > 0;
	else
		moving = c->kernel_unsent == 0 || now < c->kernel_unsent;
	c->kernel_unsent = now;
	return (moving);
}

/* Whether reading should be on right now. */
static int
conn_wants_input(const struct conn *c)
{
	return ((c->state == CONN_ECHOING && !c->paused) ||
	    c->state == CONN_LINGERING);
}

static const char *
conn_peer(const struct conn *c, char *buf, size_t len)
{
	if (c->peer.sa.sa_family == AF_UNSPEC)
		return ("(unknown peer)");
	return (addr_format(&c->peer.sa, buf, len));
}

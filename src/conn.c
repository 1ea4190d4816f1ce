/*
 * conn.c: one client connection.
 *
 * Reading is ours, not the bufferevent's, which would ask FIONREAD before
 * every read and read at most 4096 bytes.  When nothing is queued, one
 * read(2) lands in the worker's scratch buffer and one write(2) sends it
 * straight back, as in a hand-written loop: no allocation, no copy, and
 * no write event armed.  Only what the kernel does not take goes to the
 * output queue of the connection's bufferevent, which then owns writing,
 * with its watermark, write callback and write timeout.  The bufferevent
 * is created the first time it is needed, so idle clients, and clients
 * that keep up, cost little memory.  While output is queued, reads land
 * directly at the queue's tail, in evbuffer space reserved there, so the
 * queue stays densely packed.  When a client's queue reaches the high
 * watermark, reading from it stops until the queue drains to the low
 * watermark, so a client that does not read costs at most about
 * --max-queue bytes plus kernel buffers.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Bytes asked of one readv(2): 64 KiB less room for libevent's chain
 * header, so that the chain allocated for it is 64 KiB and not 128.
 */
#define CONN_READ_MAX	(65536 - 256)

static void	conn_read_cb(evutil_socket_t, short, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static struct evbuffer *
		conn_queue(struct conn *);
static ssize_t	conn_read(struct conn *, struct evbuffer *);
static ssize_t	conn_read_direct(struct conn *);
static void	conn_echoed(struct conn *, size_t);
static void	conn_pause(struct conn *);
static void	conn_resume(struct conn *);
static void	conn_finish(struct conn *);
static void	conn_flushed(struct conn *);
static void	conn_timeout(struct conn *, short);
static int	conn_start_reading(struct conn *);
static int	conn_idle(struct conn *);
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
	const char	*why;
	char		 peer[ADDR_STRLEN];

	why = "out of memory";
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto fail;
	c->worker = w;
	c->state = CONN_ECHOING;
	if (salen > 0 && (size_t)salen <= sizeof c->peer)
		memcpy(&c->peer, sa, (size_t)salen);
	else
		c->peer.sa.sa_family = AF_UNSPEC;
	why = "cannot start reading";
	if (event_assign(&c->ev_read, w->base, fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c) == -1 || conn_start_reading(c) == -1)
		goto fail;

	event_base_gettimeofday_cached(w->base, &c->opened);
	c->mark_at = c->opened;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	if (log_enabled(LOG_CONN))
		log_msg(LOG_CONN, "%s connected (%u open)",
		    conn_peer(c, peer, sizeof peer),
		    atomic_load(&w->group->nconns));
	return (c);

fail:
	log_error("cannot accept %s: %s", addr_format(sa, peer, sizeof peer),
	    why);
	evutil_closesocket(fd);
	free(c);
	return (NULL);
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
	if (c->bev == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(c->bev)));
}

/*
 * Free the connection now, whatever it still holds, and tell the worker.
 * Safe from any of its own callbacks: libevent touches neither the read
 * event nor the bufferevent after a callback returns.
 */
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
	event_del(&c->ev_read);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* closes the socket */
	else
		evutil_closesocket(event_get_fd(&c->ev_read));
	free(c);
	worker_conn_closed(w);
}

/* The socket is readable, or has been quiet for the idle timeout. */
static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	(void)fd;
	if (what & EV_TIMEOUT) {
		conn_timeout(c, BEV_EVENT_READING);
		return;
	}
	if (c->state == CONN_ECHOING && conn_pending(c) > 0)
		n = conn_read(c, bufferevent_get_output(c->bev));
	else
		n = conn_read_direct(c);
	if (n > 0)
		return;
	if (n == 0) {
		if (c->state == CONN_LINGERING) {
			conn_close(c, "server shutdown");
			return;
		}
		/* Half-close: the client has sent all; finish the echo. */
		c->client_eof = 1;
		conn_finish(c);
		return;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		conn_close(c, evutil_socket_error_to_string(errno));
}

/*
 * Nothing queued: read into the worker's scratch buffer and write from it
 * at once, as a hand-written loop does; only what the kernel does not
 * take is copied, to the output queue.  Returns what read(2) returned;
 * after a positive return c may have been closed.
 */
static ssize_t
conn_read_direct(struct conn *c)
{
	struct worker	*w = c->worker;
	struct evbuffer	*out;
	ssize_t		 n, sent;
	int		 fd = event_get_fd(&c->ev_read);

	if ((n = read(fd, w->scratch, sizeof w->scratch)) <= 0)
		return (n);
	if (c->state != CONN_ECHOING)
		return (n);	/* lingering after our shutdown: discard */
	if (w->cfg->uppercase)
		transform_upper(w->scratch, (size_t)n);
	if ((sent = write(fd, w->scratch, (size_t)n)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(c, evutil_socket_error_to_string(errno));
			return (n);
		}
		sent = 0;
	}
	if (sent < n && ((out = conn_queue(c)) == NULL ||
	    evbuffer_add(out, w->scratch + sent, (size_t)(n - sent)) == -1)) {
		conn_close(c, "out of memory");
		return (n);
	}
	conn_echoed(c, (size_t)n);
	return (n);
}

/*
 * Output is queued: one readv(2) into space reserved at the end of buf,
 * the queue itself, upper-cased there for -U before it is committed.
 * Returns the bytes read, 0 at EOF, or -1 with errno set; after a
 * positive return c may have been closed.
 */
static ssize_t
conn_read(struct conn *c, struct evbuffer *buf)
{
	struct evbuffer_iovec	 vec[2];
	struct iovec		 iov[2];
	ssize_t			 n;
	size_t			 left;
	int			 i, nvec;

	nvec = evbuffer_reserve_space(buf, CONN_READ_MAX, vec, 2);
	if (nvec <= 0) {
		errno = ENOMEM;
		return (-1);
	}
	for (i = 0; i < nvec; i++) {
		iov[i].iov_base = vec[i].iov_base;
		iov[i].iov_len = vec[i].iov_len;
	}
	n = readv(event_get_fd(&c->ev_read), iov, nvec);
	if (n <= 0) {
		int saved_errno = errno;

		evbuffer_commit_space(buf, NULL, 0);	/* give it back */
		errno = saved_errno;
		return (n);
	}
	for (i = 0, left = (size_t)n; i < nvec; i++) {
		if (vec[i].iov_len > left)
			vec[i].iov_len = left;
		left -= vec[i].iov_len;
		if (c->worker->cfg->uppercase)
			transform_upper(vec[i].iov_base, vec[i].iov_len);
	}
	if (evbuffer_commit_space(buf, vec, nvec) == -1) {
		errno = ENOMEM;
		return (-1);
	}
	conn_echoed(c, (size_t)n);
	return (n);
}

/* len more bytes echoed or queued: count them, then backpressure. */
static void
conn_echoed(struct conn *c, size_t len)
{
	size_t		 queued = conn_pending(c);

	c->bytes_in += len;
	if (log_enabled(LOG_DEBUG)) {
		char peer[ADDR_STRLEN];

		log_msg(LOG_DEBUG, "%s read %zu B, %llu B in, %zu B queued",
		    conn_peer(c, peer, sizeof peer), len,
		    (unsigned long long)c->bytes_in, queued);
	}
	if (queued >= c->worker->queue_high)
		conn_pause(c);
}

/*
 * The output queue, and the bufferevent that owns it, created the first
 * time the kernel does not take an echo whole.  The bufferevent closes the
 * socket when it is freed.
 */
static struct evbuffer *
conn_queue(struct conn *c)
{
	struct worker		*w = c->worker;
	struct bufferevent	*bev;

	if (c->bev != NULL)
		return (bufferevent_get_output(c->bev));
	bev = bufferevent_socket_new(w->base, event_get_fd(&c->ev_read),
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return (NULL);
	if (w->idle_tv != NULL &&
	    bufferevent_set_timeouts(bev, NULL, w->idle_tv) == -1) {
		bufferevent_setfd(bev, -1);	/* the socket stays ours */
		bufferevent_free(bev);
		return (NULL);
	}
	bufferevent_setcb(bev, NULL, NULL, conn_event_cb, c);
	c->bev = bev;
	return (bufferevent_get_output(bev));
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

/* Errors and timeouts of the write side, which the bufferevent owns. */
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
	if (what & BEV_EVENT_EOF)
		conn_close(c, "write failed");
}

/* Output reached the high watermark: stop reading until it drains. */
static void
conn_pause(struct conn *c)
{
	c->paused = 1;
	event_del(&c->ev_read);
	bufferevent_setwatermark(c->bev, EV_WRITE, c->worker->queue_low, 0);
	bufferevent_setcb(c->bev, NULL, conn_write_cb, conn_event_cb, c);
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
	bufferevent_setcb(c->bev, NULL, NULL, conn_event_cb, c);
	if (conn_start_reading(c) == -1) {
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
	event_del(&c->ev_read);
	if (conn_pending(c) == 0) {
		conn_flushed(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, NULL, conn_write_cb, conn_event_cb, c);
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
	if (shutdown(event_get_fd(&c->ev_read), SHUT_WR) == -1) {
		conn_close(c, strerror(errno));
		return;
	}
	c->state = CONN_LINGERING;
	if (c->bev != NULL)
		bufferevent_setcb(c->bev, NULL, NULL, conn_event_cb, c);
	if (conn_start_reading(c) == -1)
		conn_close(c, "cannot read after shutdown");
}

/*
 * A read or write timeout: close the connection if it is idle, else
 * re-arm.  The read event is persistent and re-arms itself; the
 * bufferevent disables writing when its timer fires.
 */
static void
conn_timeout(struct conn *c, short what)
{
	if (conn_idle(c)) {
		conn_close(c, "idle timeout");
		return;
	}
	if ((what & BEV_EVENT_WRITING) &&
	    bufferevent_enable(c->bev, EV_WRITE) == -1)
		conn_close(c, "cannot re-arm writing");
}

/*
 * Idle means no byte moved either way for a whole timeout.  Two counters
 * that only grow measure movement: bytes read from the client, and bytes
 * the client's side has taken, which is what we read less what is still
 * queued here or unacknowledged in the kernel.  The second one sees a slow
 * reader draining the kernel's send buffer even while our own writes
 * refill it, when the bufferevent cannot tell.  With two timers (read and
 * write) the judgement needs a mark at least a timeout old; so a quiet
 * connection closes one to two timeouts after its last byte moved.
 */
static int
conn_idle(struct conn *c)
{
	struct timeval	 now, since;
	uint64_t	 taken = c->bytes_in - conn_pending(c);
	int		 unsent;

	unsent = net_unsent(event_get_fd(&c->ev_read));
	if (unsent > 0 && (uint64_t)unsent <= taken)
		taken -= (uint64_t)unsent;
	event_base_gettimeofday_cached(c->worker->base, &now);
	if (c->bytes_in != c->mark_in || taken != c->mark_taken) {
		c->mark_in = c->bytes_in;
		c->mark_taken = taken;
		c->mark_at = now;
		return (0);
	}
	/* Timers fire on a coarse clock: allow them 10 ms early. */
	evutil_timersub(&now, &c->mark_at, &since);
	return ((uint64_t)since.tv_sec * 1000 + (uint64_t)since.tv_usec /
	    1000 + 10 >= c->worker->cfg->idle_timeout_ms);
}

/* Arm the read event, with the idle timeout when there is one. */
static int
conn_start_reading(struct conn *c)
{
	return (event_add(&c->ev_read, c->worker->idle_tv));
}

static const char *
conn_peer(const struct conn *c, char *buf, size_t len)
{
	if (c->peer.sa.sa_family == AF_UNSPEC)
		return ("(unknown peer)");
	return (addr_format(&c->peer.sa, buf, len));
}

/*
 * conn.c: one client connection.
 *
 * Reading is ours, not the bufferevent's, which would ask FIONREAD before
 * every read and read at most 4096 bytes.  When nothing is queued, one
 * read(2) lands in the worker's scratch buffer and one write(2) sends it
 * straight back, as in a hand-written loop: no allocation, no copy, and
 * no write event armed.  Only what the kernel does not take goes to the
 * output queue of the connection's bufferevent, which then owns writing,
 * with its watermark and write callback.  The bufferevent is created the
 * first time it is needed, so idle clients, and clients that keep up,
 * cost little memory.  While output is queued, reads land directly at
 * the queue's tail, in evbuffer space reserved there, so the queue stays
 * densely packed.
 *
 * Two things stop reading from a client, each resumed by its own event:
 * its queue reaching --max-queue (until the queue drains to half), and
 * the memory budget having no room for a read (until its worker gets
 * room back).  Every read is sized by the budget first, so the memory
 * echo takes is bounded before it is read, never after.
 *
 * A TLS connection (conn_tls.c) is a bufferevent from its first byte:
 * OpenSSL reads, and conn_take() moves the plaintext to the output queue.
 * The states, holds, budget and drain below are the same for both; only
 * the few steps in struct conn_xprt differ.
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
#include "budget.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "conn_tls.h"
#include "handshake.h"
#include "hostcap.h"
#include "log.h"
#include "net.h"
#include "transform.h"
#include "unixsock.h"
#include "worker.h"

static void	conn_read_cb(evutil_socket_t, short, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static struct evbuffer *
		conn_queue(struct conn *);
static ssize_t	conn_read(struct conn *, struct evbuffer *, size_t);
static ssize_t	conn_read_direct(struct conn *, size_t);
static void	conn_echoed(struct conn *, size_t);
static int	conn_kick(struct conn *);
static void	conn_hold_queue(struct conn *);
static void	conn_hold_room(struct conn *);
static void	conn_unhold(struct conn *);
static void	conn_resume(struct conn *);
static void	conn_unpromise(struct conn *);
static void	conn_finish(struct conn *);
static uint64_t	conn_acked(const struct conn *);
static int	conn_start_reading(struct conn *);
static void	conn_stop_reading(struct conn *);
static void	conn_setcb(struct conn *, void (*)(struct bufferevent *,
		    void *));
static int	conn_plain_start_reading(struct conn *);
static void	conn_plain_stop_reading(struct conn *);
static void	conn_sent_cb(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static int	conn_who(const struct conn *, char *, size_t,
		    struct unixsock_cred *);
static const char *
		conn_describe(const struct conn *, struct log_fields *, char *,
		    size_t, char *, size_t);

/* The plain socket: conn_read_cb() reads, the bufferevent only writes. */
static const struct conn_xprt conn_plain = {
	"tcp", conn_plain_start_reading, conn_plain_stop_reading, NULL,
	NULL, conn_event_cb
};

/*
 * Take over an accepted, non-blocking socket.  The descriptor is owned from
 * here on: on failure it is closed, the reason logged, and NULL returned.
 */
struct conn *
conn_new(struct worker *w, const struct handoff *h)
{
	struct conn	*c;
	const char	*why;
	char		 peer[ADDR_STRLEN], note[80];
	unsigned long	 held;

	why = "out of memory";
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto fail;
	c->worker = w;
	c->fd = h->fd;
	c->listener = h->from;
	c->xprt = &conn_plain;
	c->state = CONN_ECHOING;
	c->hold = CONN_READING;
	if (h->salen > 0 && (size_t)h->salen <= sizeof c->peer)
		memcpy(&c->peer, &h->ss, (size_t)h->salen);
	else
		c->peer.sa.sa_family = AF_UNSPEC;
	why = "cannot start reading";
	if (event_assign(&c->ev_read, w->base, h->fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c) == -1)
		goto fail;
	if (h->from->options & ADDR_OPT_PROXY) {
		why = "cannot await its PROXY header";
		if (handshake_start(c) == -1)
			goto fail;
	} else if (h->from->options & ADDR_OPT_TLS) {
		why = "cannot start TLS";
		if (conn_tls_start(c) == -1)
			goto fail;
	}
	/* The PROXY stage's reading, or the echo's; TLS reads by itself. */
	if (c->xprt == &conn_plain && conn_start_reading(c) == -1)
		goto fail;

	c->host = h->host;	/* from here on, conn_close() gives it back */
	c->opened_ms = clock_coarse_ms();
	idle_add(&w->idle, &c->idle);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	stats_add(&w->stats.accepted, 1);
	if (h->ss.ss_family == AF_UNIX)
		stats_add(&w->stats.accepted_unix, 1);
	if (c->state != CONN_HANDSHAKING)
		conn_log_connected(c, NULL, NULL);
	return (c);

fail:
	if (log_flood_pass(&w->setup_errors, &held))
		log_error("cannot accept %s: %s%s", addr_format((const struct
		    sockaddr *)&h->ss, peer, sizeof peer), why,
		    log_flood_note(held, note, sizeof note));
	if (c == NULL) {
		evutil_closesocket(h->fd);
		return (NULL);
	}
	handshake_free(c);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* closes the socket */
	else
		evutil_closesocket(h->fd);
	conn_tls_free(c);
	free(c);
	return (NULL);
}

/* The stage before the echo is over: echo from now on. 0, or -1. */
int
conn_begin(struct conn *c)
{
	event_del(&c->ev_read);
	if (c->listener->options & ADDR_OPT_TLS)
		return (conn_tls_start(c));	/* the echo begins after it */
	c->state = CONN_ECHOING;
	if (event_assign(&c->ev_read, c->worker->base, c->fd,
	    EV_READ | EV_PERSIST, conn_read_cb, c) == -1)
		return (-1);
	return (conn_start_reading(c));
}

/*
 * The "connected" line, once the client is known: through a proxy (via),
 * with a protocol worth naming (proto), when either is not NULL.
 */
void
conn_log_connected(const struct conn *c, const char *via, const char *proto)
{
	struct worker	*w = c->worker;
	char		 name[ADDR_STRLEN], peer[CONN_PEER_STRLEN];

	if (log_enabled(LOGLV_CONN)) {
		struct log_fields f = { .event = "connected", .via = via,
		    .proto = proto, .worker = w->id, .has = LOG_HAS_WORKER };

		log_event(LOGLV_CONN, &f, "%s connected%s%s%s%s (%u open)",
		    conn_describe(c, &f, name, sizeof name, peer, sizeof peer),
		    via != NULL ? " via " : "", via != NULL ? via : "",
		    proto != NULL ? ", " : "", proto != NULL ? proto : "",
		    atomic_load(&w->group->nconns));
	}
}

/* Server shutdown: take no more input, send what was received, then end. */
void
conn_drain(struct conn *c)
{
	if (c->state == CONN_HANDSHAKING)
		conn_close(c, STATS_END_SHUTDOWN, "server shutdown");
	else if (c->state == CONN_ECHOING)
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
 * Of the echo handed to the kernel, what the client acknowledged: the
 * bytes it surely has.  The kernel counts our FIN too, hence the cap; where
 * it cannot say, what it was handed stands in.
 */
static uint64_t
conn_acked(const struct conn *c)
{
	struct net_progress	 p;
	uint64_t		 written = c->bytes_in - conn_pending(c);

	/* The kernel counts ciphertext: no measure of TLS's plaintext. */
	if (c->tls != NULL || net_progress(c->fd, &p) == -1)
		return (written);
	return (p.acked < written ? p.acked : written);
}

/*
 * Free the connection now, whatever it still holds, and tell the worker.
 * Safe from any of its own callbacks: libevent touches neither the read
 * event nor the bufferevent after a callback returns.
 */
void
conn_close(struct conn *c, enum stats_end end, const char *reason)
{
	struct worker		*w = c->worker;
	char			 name[ADDR_STRLEN];
	char			 peer[CONN_PEER_STRLEN];
	const char		*who = NULL;
	struct log_fields	 f;

	stats_add(&w->stats.ended[end], 1);
	stats_add(&w->stats.bytes_acked, conn_acked(c));
	if (log_enabled(LOGLV_CONN)) {	/* while the socket can say who */
		memset(&f, 0, sizeof f);
		f.event = "closed";
		f.reason = reason;
		f.bytes_in = c->bytes_in;
		f.bytes_out = c->bytes_in - conn_pending(c);
		f.duration_ms = clock_coarse_ms() - c->opened_ms;
		f.worker = w->id;
		f.has = LOG_HAS_BYTES | LOG_HAS_DURATION | LOG_HAS_WORKER;
		who = conn_describe(c, &f, name, sizeof name, peer,
		    sizeof peer);
	}
	handshake_free(c);
	conn_unhold(c);
	conn_unpromise(c);
	idle_remove(&w->idle, &c->idle);
	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	event_del(&c->ev_read);
	conn_tls_free(c);	/* first: it may say close_notify */
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* closes the socket */
	else
		evutil_closesocket(c->fd);
	hostcap_release(c->host);
	free(c);
	/*
	 * The slot goes before the line is logged, so that whoever reads
	 * the line and then asks (SIGUSR1, /metrics) finds it closed.
	 */
	worker_release_slot(w);
	if (who != NULL)
		log_event(LOGLV_CONN, &f, "%s closed (%s): %llu B in, %llu B "
		    "out, %llu.%03llu s", who, reason,
		    (unsigned long long)f.bytes_in,
		    (unsigned long long)f.bytes_out,
		    (unsigned long long)(f.duration_ms / 1000),
		    (unsigned long long)(f.duration_ms % 1000));
	worker_conn_closed(w);
}

/*
 * The socket is readable.  While echoing, the budget first says how much
 * may be read; lingering after our shutdown, input is read and dropped.
 */
static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	struct worker	*w = c->worker;
	size_t		 pending, room = CONN_READ_MAX;
	ssize_t		 n;

	(void)fd;
	(void)what;
	conn_unpromise(c);
	pending = conn_pending(c);
	if (c->state == CONN_ECHOING && (room = budget_room(&w->account,
	    pending, CONN_READ_MAX, w->read_cost)) == 0) {
		conn_hold_room(c);
		return;
	}
	if (c->state == CONN_ECHOING && pending > 0)
		n = conn_read(c, bufferevent_get_output(c->bev), room);
	else
		n = conn_read_direct(c, room);
	if (n > 0)
		return;
	if (n == 0) {
		conn_eof(c);
		return;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		conn_close(c, stats_end_of_errno(errno), errno == ENOMEM ?
		    "out of memory" : evutil_socket_error_to_string(errno));
}

/*
 * Nothing queued: read up to room bytes into the worker's scratch buffer
 * and write them at once, as a hand-written loop does; only what the
 * kernel does not take is copied, to the output queue.  Returns what
 * read(2) returned; after a positive return c may have been closed.
 */
static ssize_t
conn_read_direct(struct conn *c, size_t room)
{
	struct worker	*w = c->worker;
	struct evbuffer	*out;
	ssize_t		 n, sent;
	int		 fd = c->fd;

	if ((n = read(fd, w->scratch, room)) <= 0)
		return (n);
	idle_touch(&w->idle, &c->idle);
	if (c->state != CONN_ECHOING)
		return (n);	/* lingering after our shutdown: discard */
	if (w->cfg->uppercase)
		transform_upper(w->scratch, (size_t)n);
	if ((sent = write(fd, w->scratch, (size_t)n)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(c, stats_end_of_errno(errno),
			    evutil_socket_error_to_string(errno));
			return (n);
		}
		sent = 0;
	}
	stats_add(&w->stats.bytes_out, (uint64_t)sent);
	if (sent < n && ((out = conn_queue(c)) == NULL ||
	    evbuffer_add(out, w->scratch + sent, (size_t)(n - sent)) == -1 ||
	    conn_kick(c) == -1)) {
		conn_close(c, STATS_END_ERROR, "out of memory");
		return (n);
	}
	conn_echoed(c, (size_t)n);
	return (n);
}

/*
 * Output is queued: one readv(2) of up to room bytes into space reserved
 * at the end of buf, the queue itself, upper-cased there for -U before it
 * is committed.  Returns the bytes read, 0 at EOF, or -1 with errno set;
 * after a positive return c may have been closed.
 */
static ssize_t
conn_read(struct conn *c, struct evbuffer *buf, size_t room)
{
	struct evbuffer_iovec	 vec[2];
	struct iovec		 iov[2];
	ssize_t			 n;
	size_t			 left;
	int			 i, nvec;

	nvec = evbuffer_reserve_space(buf, (ev_ssize_t)room, vec, 2);
	if (nvec <= 0) {
		errno = ENOMEM;
		return (-1);
	}
	for (i = 0, left = room; i < nvec; i++) {
		iov[i].iov_base = vec[i].iov_base;
		iov[i].iov_len = vec[i].iov_len < left ? vec[i].iov_len : left;
		left -= iov[i].iov_len;
	}
	n = readv(c->fd, iov, nvec);
	if (n <= 0) {
		int saved_errno = errno;

		evbuffer_commit_space(buf, NULL, 0);	/* give it back */
		errno = saved_errno;
		return (n);
	}
	idle_touch(&c->worker->idle, &c->idle);
	for (i = 0, left = (size_t)n; i < nvec; i++) {
		vec[i].iov_len = iov[i].iov_len < left ? iov[i].iov_len : left;
		left -= vec[i].iov_len;
		if (c->worker->cfg->uppercase)
			transform_upper(vec[i].iov_base, vec[i].iov_len);
	}
	if (evbuffer_commit_space(buf, vec, nvec) == -1 ||
	    conn_kick(c) == -1) {
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
	stats_add(&c->worker->stats.bytes_in, len);
	if (log_enabled(LOGLV_DEBUG)) {
		char peer[CONN_PEER_STRLEN];

		log_msg(LOGLV_DEBUG, "%s read %zu B, %llu B in, %zu B queued",
		    conn_peer_name(c, peer, sizeof peer), len,
		    (unsigned long long)c->bytes_in, queued);
	}
	if (queued >= c->worker->queue_high)
		conn_hold_queue(c);
}

/*
 * The output queue, and the bufferevent that owns it, created the first
 * time the kernel does not take an echo whole.  The bufferevent closes the
 * socket when it is freed.
 */
static struct evbuffer *
conn_queue(struct conn *c)
{
	struct bufferevent	*bev;

	if (c->bev != NULL)
		return (bufferevent_get_output(c->bev));
	bev = bufferevent_socket_new(c->worker->base,
	    c->fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL || conn_set_bev(c, bev) == -1)
		return (NULL);
	return (bufferevent_get_output(bev));
}

/*
 * bev owns c's socket from now on, and c's output queue: count what it
 * sends.  0, or -1 (bev is c's all the same, freed with it).
 */
int
conn_set_bev(struct conn *c, struct bufferevent *bev)
{
	c->bev = bev;
	conn_setcb(c, NULL);
	if (evbuffer_add_cb(bufferevent_get_output(bev), conn_sent_cb,
	    c->worker) == NULL)
		return (-1);
	return (0);
}

/*
 * The transport read in (TLS's plaintext): echo it all, moving its
 * chains to the output queue, and read again only within the budget and
 * below --max-queue.  Lingering after our shutdown, input is dropped.
 */
void
conn_take(struct conn *c, struct evbuffer *in)
{
	struct worker		*w = c->worker;
	size_t			 len = evbuffer_get_length(in);

	conn_unpromise(c);
	if (len == 0)
		return;
	idle_touch(&w->idle, &c->idle);
	if (c->state != CONN_ECHOING) {
		evbuffer_drain(in, len);
		return;
	}
	if (w->cfg->uppercase)
		transform_upper_buffer(in);
	if (evbuffer_add_buffer(bufferevent_get_output(c->bev), in) == -1) {
		conn_close(c, STATS_END_ERROR, "out of memory");
		return;
	}
	conn_echoed(c, len);
	if (c->hold == CONN_READING && budget_room(&w->account,
	    conn_pending(c), CONN_READ_MAX, w->read_cost) == 0)
		conn_hold_room(c);
}

/*
 * The client's EOF (or TLS close_notify): finish the echo; or, lingering
 * after our own shutdown, close.
 */
void
conn_eof(struct conn *c)
{
	if (c->state == CONN_LINGERING) {
		conn_close(c, STATS_END_SHUTDOWN, "server shutdown");
		return;
	}
	/* Half-close: the client has sent all; finish the echo. */
	c->client_eof = 1;
	conn_finish(c);
}

/* The bufferevent handed queued echo to the kernel: count it. */
static void
conn_sent_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct worker	*w = arg;

	(void)buf;
	stats_add(&w->stats.bytes_out, info->n_deleted);
}

/*
 * Make sure the bufferevent writes what was just queued.  It should see
 * that by itself, through a callback on its output buffer; but libevent
 * 2.1's bufferevent_socket_new() does not check that registering that
 * callback succeeded, and without it queued echo would wait forever.
 * On a write event already pending this costs a few tests.
 */
static int
conn_kick(struct conn *c)
{
	return (bufferevent_enable(c->bev, EV_WRITE));
}

/* Called only while held by the queue or flushing: output fell low. */
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
	if (c->hold == CONN_HELD_QUEUE && left <= c->worker->queue_low)
		conn_resume(c);
}

/* Errors of the write side, which the bufferevent owns. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();

		conn_close(c, stats_end_of_errno(err),
		    evutil_socket_error_to_string(err));
		return;
	}
	if (what & BEV_EVENT_EOF)
		conn_close(c, STATS_END_RESET, "write failed");
}

/* Output reached the high watermark: stop reading until it drains. */
static void
conn_hold_queue(struct conn *c)
{
	stats_add(&c->worker->stats.pauses, 1);
	c->hold = CONN_HELD_QUEUE;
	conn_stop_reading(c);
	bufferevent_setwatermark(c->bev, EV_WRITE, c->worker->queue_low, 0);
	conn_setcb(c, conn_write_cb);
	if (log_enabled(LOGLV_DEBUG)) {
		char peer[CONN_PEER_STRLEN];

		log_msg(LOGLV_DEBUG, "%s paused reading: %zu B queued",
		    conn_peer_name(c, peer, sizeof peer), conn_pending(c));
	}
}

/*
 * The budget has no room for a read: wait, first come first served, for
 * the worker to get room back (conn_try_resume()).
 */
static void
conn_hold_room(struct conn *c)
{
	struct worker	*w = c->worker;

	stats_add(&w->stats.memory_waits, 1);
	conn_stop_reading(c);
	c->hold = CONN_HELD_ROOM;
	TAILQ_INSERT_TAIL(&w->waiting, c, wait_entry);
	if (log_enabled(LOGLV_DEBUG)) {
		char peer[CONN_PEER_STRLEN];

		log_msg(LOGLV_DEBUG, "%s waits for memory: %zu B queued",
		    conn_peer_name(c, peer, sizeof peer), conn_pending(c));
	}
}

/*
 * The worker may have room again: if c's read now fits the budget, hold
 * that room for it and read again.
 */
void
conn_try_resume(struct conn *c)
{
	struct worker	*w = c->worker;

	if (c->hold != CONN_HELD_ROOM || budget_room(&w->account,
	    conn_pending(c), CONN_READ_MAX, w->read_cost) == 0)
		return;
	c->promised = (uint32_t)w->read_cost;
	w->account.promised += w->read_cost;
	conn_resume(c);
}

/* Whatever holds reading stops holding it; reading stays off. */
static void
conn_unhold(struct conn *c)
{
	if (c->hold == CONN_HELD_ROOM)
		TAILQ_REMOVE(&c->worker->waiting, c, wait_entry);
	else if (c->hold == CONN_HELD_QUEUE) {
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		conn_setcb(c, NULL);
	}
	c->hold = CONN_READING;
}

/* Read again. */
static void
conn_resume(struct conn *c)
{
	int	 held_queue = c->hold == CONN_HELD_QUEUE;

	conn_unhold(c);
	if (conn_start_reading(c) == -1) {
		conn_close(c, STATS_END_ERROR, "cannot resume reading");
		return;
	}
	if (log_enabled(LOGLV_DEBUG)) {
		char peer[CONN_PEER_STRLEN];

		log_msg(LOGLV_DEBUG, "%s resumed reading%s: %zu B queued",
		    conn_peer_name(c, peer, sizeof peer), held_queue ? "" :
		    " with room", conn_pending(c));
	}
}

/*
 * Room held for c's next read goes back to its worker: to the next reader
 * waiting, if any.  Nothing else would tell them, since a read echoed
 * straight back allocates nothing, so frees nothing either.
 */
static void
conn_unpromise(struct conn *c)
{
	struct worker	*w = c->worker;

	if (c->promised == 0)
		return;
	w->account.promised -= c->promised;
	c->promised = 0;
	if (w->account.waiting && !TAILQ_EMPTY(&w->waiting))
		worker_room_later(w);
}

/* No more input will be echoed: send what is queued, then end. */
static void
conn_finish(struct conn *c)
{
	conn_unhold(c);
	conn_unpromise(c);
	c->state = CONN_FLUSHING;
	conn_stop_reading(c);
	if (conn_pending(c) == 0) {
		conn_flushed(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_setcb(c, conn_write_cb);
}

/*
 * Everything queued has been handed to the kernel, and the transport has
 * ended its stream (TLS: close_notify).  After the client's EOF we can
 * close: its input is empty, so the close sends FIN and the kernel still
 * delivers what it holds.  On our own shutdown the client may still be
 * sending, and closing with unread input would reset the connection and
 * destroy the echo still in flight; so send FIN, then read and discard
 * until the client closes (bounded by --drain-timeout).
 */
void
conn_flushed(struct conn *c)
{
	const char	*why;
	int		 r;

	if (c->xprt->end_stream != NULL &&
	    (r = c->xprt->end_stream(c, &why)) != 1) {
		/* A client gone after its EOF cannot take close_notify
		   (a Unix-domain socket says so at once): its echo is out. */
		if (r == -1 && c->client_eof)
			conn_close(c, STATS_END_CLIENT, "closed by client");
		else if (r == -1)
			conn_close(c, STATS_END_ERROR, why);
		return;
	}
	if (c->client_eof) {
		conn_close(c, STATS_END_CLIENT, "closed by client");
		return;
	}
	if (shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c, stats_end_of_errno(errno), strerror(errno));
		return;
	}
	c->state = CONN_LINGERING;
	if (c->bev != NULL)
		conn_setcb(c, NULL);
	if (conn_start_reading(c) == -1)
		conn_close(c, STATS_END_ERROR, "cannot read after shutdown");
}

/*
 * For the idle sweep: how far the client has taken c's echo.  The kernel
 * counts what it acknowledged; where it cannot say, what was handed to
 * the kernel stands in, and only the queue counts as in flight.  Either
 * way a connection is compared with itself only: over TLS the kernel
 * counts ciphertext, the fallback plaintext, never one against the other.
 */
void
conn_idle_sample(struct idle_entry *e, struct idle_sample *s, void *arg)
{
	struct conn		*c = (struct conn *)((char *)e -
				    offsetof(struct conn, idle));
	struct net_progress	 p;
	size_t			 pending = conn_pending(c);

	(void)arg;
	if (net_progress(c->fd, &p) == 0) {
		s->acked = p.acked;
		s->in_flight = p.in_flight || pending > 0;
	} else {
		s->acked = c->bytes_in - pending;
		s->in_flight = pending > 0;
	}
}

/* For the idle sweep: nothing moved for the whole timeout. */
void
conn_idle_expire(struct idle_entry *e, void *arg)
{
	(void)arg;
	conn_close((struct conn *)((char *)e - offsetof(struct conn, idle)),
	    STATS_END_IDLE, "idle timeout");
}

/* Read from the client, by its transport's means. */
static int
conn_start_reading(struct conn *c)
{
	return (c->xprt->start_reading(c));
}

static void
conn_stop_reading(struct conn *c)
{
	c->xprt->stop_reading(c);
}

/* The bufferevent's callbacks: the transport's, and write_cb. */
static void
conn_setcb(struct conn *c, void (*write_cb)(struct bufferevent *, void *))
{
	bufferevent_setcb(c->bev, c->xprt->read_cb, write_cb,
	    c->xprt->event_cb, c);
}

/* Arm the read event; the idle timeout needs no timer of its own. */
static int
conn_plain_start_reading(struct conn *c)
{
	return (event_add(&c->ev_read, NULL));
}

static void
conn_plain_stop_reading(struct conn *c)
{
	event_del(&c->ev_read);
}

/*
 * The client's name into buf: its address; for a Unix-domain client,
 * whose socket is seldom bound, the listener's path, and 1 with the pid
 * and uid the kernel took at connect(2) in *cred.
 */
static int
conn_who(const struct conn *c, char *buf, size_t len,
    struct unixsock_cred *cred)
{
	const struct sockaddr_un *sun = &c->peer.sun;

	if (c->peer.sa.sa_family == AF_UNSPEC) {
		snprintf(buf, len, "(unknown peer)");
		return (0);
	}
	if (c->peer.sa.sa_family != AF_UNIX || CONN_PEER_PROXIED(c)) {
		addr_format(&c->peer.sa, buf, len);
		return (0);
	}
	if (sun->sun_path[0] != '\0' || sun->sun_path[1] != '\0')
		addr_format(&c->peer.sa, buf, len);
	else
		snprintf(buf, len, "%s", c->listener->name);
	return (unixsock_peer_cred(c->fd, cred) == 0);
}

/*
 * The client for a log line: its name for the fields (f->peer, and the
 * credentials of a Unix-domain client), and as text, returned.
 */
static const char *
conn_describe(const struct conn *c, struct log_fields *f, char *name,
    size_t namelen, char *text, size_t textlen)
{
	struct unixsock_cred	 cred;

	f->peer = name;
	if (!conn_who(c, name, namelen, &cred))
		return (name);
	f->pid = cred.pid;
	f->uid = cred.uid;
	f->has |= LOG_HAS_CRED;
	snprintf(text, textlen, "%s pid %ld uid %lu", name, cred.pid,
	    cred.uid);
	return (text);
}

/* The client, as log lines name it: "unix:/run/e.sock pid 7 uid 0". */
const char *
conn_peer_name(const struct conn *c, char *buf, size_t len)
{
	struct log_fields	 f;
	char			 name[ADDR_STRLEN];

	memset(&f, 0, sizeof f);
	if (conn_describe(c, &f, name, sizeof name, buf, len) == name)
		snprintf(buf, len, "%s", name);
	return (buf);
}

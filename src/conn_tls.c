/*
 * conn_tls.c: the TLS transport of a connection.
 *
 * The connection is an OpenSSL bufferevent from its first byte: OpenSSL
 * reads and decrypts, at most a record's worth per read (the input's
 * high watermark), and conn_take() moves the plaintext to the output
 * queue, which the same bufferevent encrypts and writes.  Backpressure,
 * the budget, the idle timeout and the drain are conn.c's, as for plain
 * TCP, through struct conn_xprt.  The bytes counted are plaintext.
 *
 * The handshake has until --handshake-timeout after the connection was
 * accepted (after the PROXY header too, on ",tls,proxy" listeners: one
 * deadline covers both stages).  The end of the stream is a close_notify
 * alert, sent once the echo is flushed and before FIN.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "acceptor.h"
#include "addr.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "conn_tls.h"
#include "log.h"
#include "tls.h"
#include "worker.h"

static int	conn_tls_start_reading(struct conn *);
static void	conn_tls_stop_reading(struct conn *);
static int	conn_tls_end_stream(struct conn *, const char **);
static void	conn_tls_read_cb(struct bufferevent *, void *);
static void	conn_tls_event_cb(struct bufferevent *, short, void *);
static void	conn_tls_timer_cb(evutil_socket_t, short, void *);
static void	conn_tls_retry_cb(evutil_socket_t, short, void *);
static void	conn_tls_ready(struct conn *);
static void	conn_tls_fail(struct conn *, enum stats_end, const char *);
static int	conn_tls_reason(struct bufferevent *, const char *, int,
		    char *, size_t);

static const struct conn_xprt conn_tls_xprt = {
	"tls", conn_tls_start_reading, conn_tls_stop_reading,
	conn_tls_end_stream, conn_tls_read_cb, conn_tls_event_cb
};

/*
 * Begin TLS on c's socket: the handshake first, the echo once it is done.
 * 0, or -1; then c->bev, if set, owns the socket, and conn_close() (or
 * conn_new()'s failure path) frees both.
 */
int
conn_tls_start(struct conn *c)
{
	struct worker		*w = c->worker;
	struct conn_tls		*t;
	struct bufferevent	*bev;
	SSL			*ssl;
	unsigned		 ms = w->cfg->handshake_timeout_ms;
	uint64_t		 now = clock_coarse_ms(), since, left;
	struct timeval		 tv;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return (-1);
	if (evtimer_assign(&t->timer, w->base, conn_tls_timer_cb, c) == -1 ||
	    (ssl = tls_store_new_ssl(w->group->tls)) == NULL) {
		ERR_clear_error();
		free(t);
		return (-1);
	}
	/* On failure libevent 2.1 frees ssl itself (BEV_OPT_CLOSE_ON_FREE). */
	if ((bev = bufferevent_openssl_socket_new(w->base, c->fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(t);
		return (-1);
	}
	c->tls = t;
	c->xprt = &conn_tls_xprt;
	c->state = CONN_HANDSHAKING;
	/* A client's bare FIN ends its input as close_notify would. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setwatermark(bev, EV_READ, 0, CONN_TLS_READ_MAX);
	if (conn_set_bev(c, bev) == -1 ||
	    bufferevent_enable(bev, EV_READ | EV_WRITE) == -1)
		return (-1);	/* c owns bev now: conn_close() frees it */
	if (ms == 0)
		return (0);
	/* One deadline from accept, whatever stage came before. */
	since = c->opened_ms != 0 && c->opened_ms <= now ? now - c->opened_ms : 0;
	left = since < ms ? ms - since : 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	return (evtimer_add(&t->timer, &tv));
}

/*
 * The connection is closing: let the transport's own state go.  Closed
 * early (-t, an error) with nothing left to send, it still ends with
 * close_notify, if the socket takes it at once; with echo still queued,
 * the client sees a truncation, as it should.
 */
void
conn_tls_free(struct conn *c)
{
	SSL	*ssl;

	if (c == NULL || c->tls == NULL)
		return;
	if (c->state != CONN_HANDSHAKING && conn_pending(c) == 0 &&
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) {
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
	}
	event_del(&c->tls->timer);
	free(c->tls);
	c->tls = NULL;
}

static int
conn_tls_start_reading(struct conn *c)
{
	return (bufferevent_enable(c->bev, EV_READ));
}

static void
conn_tls_stop_reading(struct conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * Send close_notify, once the echo is flushed.  With the socket's buffer
 * full, OpenSSL keeps the alert, and the next writable moment sends it
 * (then conn_flushed() goes on).  1 sent, 0 under way, -1 failed.
 */
static int
conn_tls_end_stream(struct conn *c, const char **why)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(c->bev);
	int	 r;

	ERR_clear_error();
	if ((r = SSL_shutdown(ssl)) >= 0)
		return (1);
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		if (event_assign(&c->ev_read, c->worker->base, c->fd, EV_WRITE,
		    conn_tls_retry_cb, c) == -1 ||
		    event_add(&c->ev_read, NULL) == -1) {
			*why = "cannot wait to send close_notify";
			return (-1);
		}
		return (0);
	case SSL_ERROR_WANT_READ:
		ERR_clear_error();
		return (1);	/* sent; only the client's is awaited */
	default:
		ERR_clear_error();
		*why = "cannot send close_notify";
		return (-1);
	}
}

/* The socket has room for the close_notify OpenSSL holds. */
static void
conn_tls_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_flushed(arg);
}

/* Plaintext arrived: conn.c echoes it. */
static void
conn_tls_read_cb(struct bufferevent *bev, void *arg)
{
	conn_take(arg, bufferevent_get_input(bev));
}

/*
 * The handshake finished or failed, the client ended its stream
 * (close_notify, or FIN alone), or the connection failed.
 */
static void
conn_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[160];
	int		 err = EVUTIL_SOCKET_ERROR(), tls_err;

	if (what & BEV_EVENT_CONNECTED) {
		conn_tls_ready(c);
		return;
	}
	tls_err = conn_tls_reason(bev, c->state == CONN_HANDSHAKING ?
	    "TLS handshake failed" : "TLS failed", err, why, sizeof why);
	if (c->state == CONN_HANDSHAKING) {
		if (!tls_err && (what & BEV_EVENT_EOF)) {
			/* A health check that only connects ends so. */
			conn_close(c, STATS_END_CLIENT, "closed during the TLS "
			    "handshake");
			return;
		}
		conn_tls_fail(c, STATS_END_PROTOCOL, why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/*
		 * libevent 2.1 stops writing when the read side ends, too:
		 * the echo still queued must go on (a half-close).
		 */
		if (conn_pending(c) > 0 && bufferevent_enable(bev,
		    EV_WRITE) == -1) {
			conn_close(c, STATS_END_ERROR, "cannot write after the "
			    "client's close_notify");
			return;
		}
		conn_eof(c);
		return;
	}
	conn_close(c, tls_err || err == 0 ? STATS_END_PROTOCOL :
	    stats_end_of_errno(err), why);
}

/*
 * Why the bufferevent failed, after what, for a log line: "TLS handshake
 * failed: wrong version number".  1 if OpenSSL said why, 0 if only the
 * socket's error (err) or nothing did.
 */
static int
conn_tls_reason(struct bufferevent *bev, const char *what, int err,
    char *buf, size_t len)
{
	unsigned long	 e, first = 0;
	const char	*reason;

	/*
	 * What the bufferevent kept comes back newest first, so the cause
	 * comes last; libevent 2.1 may keep SSL_get_error()'s small code
	 * among them, which says nothing, and may leave OpenSSL's own in
	 * this thread's queue, oldest first.
	 */
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (ERR_GET_LIB(e) != 0)
			first = e;
	if (first == 0)
		first = ERR_get_error();
	ERR_clear_error();
	if (first == 0) {
		snprintf(buf, len, "%s: %s", what, err != 0 ?
		    evutil_socket_error_to_string(err) : "connection lost");
		return (0);
	}
	if (ERR_GET_LIB(first) == ERR_LIB_SYS)
		snprintf(buf, len, "%s: %s", what,
		    strerror(ERR_GET_REASON(first)));
	else if ((reason = ERR_reason_error_string(first)) != NULL)
		snprintf(buf, len, "%s: %s", what, reason);
	else
		snprintf(buf, len, "%s: error %lx", what, first);
	return (1);
}

/* The handshake is done: the echo begins, and the log says how. */
static void
conn_tls_ready(struct conn *c)
{
	struct worker	*w = c->worker;
	struct sockaddr_storage ss;
	socklen_t	 sslen = sizeof ss;
	char		 desc[128], proto[160], via[ADDR_STRLEN];
	const char	*via_p = NULL;

	event_del(&c->tls->timer);
	stats_add(&w->stats.tls_handshakes, 1);
	c->state = CONN_ECHOING;
	tls_describe(bufferevent_openssl_get_ssl(c->bev), desc, sizeof desc);
	memset(&ss, 0, sizeof ss);	/* an unbound Unix client fills no path */
	if (c->proxied != 0) {
		snprintf(proto, sizeof proto, "PROXY v%d%s, %s",
		    c->proxied & ~CONN_PROXY_LOCAL, c->proxied &
		    CONN_PROXY_LOCAL ? " LOCAL" : "",
		    desc);
		if (getpeername(c->fd, (struct sockaddr *)&ss, &sslen) == 0)
			via_p = addr_format((struct sockaddr *)&ss, via,
			    sizeof via);
	} else
		snprintf(proto, sizeof proto, "%s", desc);
	conn_log_connected(c, via_p, proto);
}

/* The handshake's deadline passed. */
static void
conn_tls_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[64];

	(void)fd;
	(void)what;
	snprintf(why, sizeof why, "no TLS handshake within %u.%03u s",
	    c->worker->cfg->handshake_timeout_ms / 1000,
	    c->worker->cfg->handshake_timeout_ms % 1000);
	conn_tls_fail(c, STATS_END_HANDSHAKE, why);
}

/* A failed or late handshake: say so, within the flood limit, and close. */
static void
conn_tls_fail(struct conn *c, enum stats_end end, const char *why)
{
	struct worker	*w = c->worker;
	char		 peer[CONN_PEER_STRLEN], note[80];
	unsigned long	 held;

	stats_add(&w->stats.tls_failures, 1);
	if (log_flood_pass(&w->handshake_errors, &held))
		log_warn("%s on %s: %s; closed%s", conn_peer_name(c, peer,
		    sizeof peer), c->listener->name, why,
		    log_flood_note(held, note, sizeof note));
	conn_close(c, end, why);
}

/*
 * bench_client.c: one connection's work, on plain events and
 * non-blocking read(2)/write(2): bufferevents would copy every byte into
 * an evbuffer and back, and the tool must cost less than the server it
 * loads.  Bytes to send are made from the stream straight into the
 * thread's scratch buffer and written; bytes read are checked there
 * against the same stream, then forgotten.
 *
 * A failed connection is closed and counted, never retried, except in
 * churn, where the loop moves on to its next connection.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_client.h"
#include "bench_clock.h"
#include "bench_dgram.h"
#include "bench_hist.h"
#include "bench_load.h"
#include "bench_pattern.h"
#include "bench_proxy.h"
#include "bench_tally.h"
#include "bench_target.h"
#include "bench_tls.h"

static void	connect_start(struct client *, uint64_t);
static void	connect_cb(evutil_socket_t, short, void *);
static int	client_send_proxy(struct client *, int);
static void	client_open(struct client *);
static ssize_t	client_read(struct client *, void *, size_t);
static ssize_t	client_write(struct client *, const void *, size_t);
#ifdef HAVE_OPENSSL
static void	handshake_step(struct client *);
static void	handshake_cb(evutil_socket_t, short, void *);
#endif
static void	read_cb(evutil_socket_t, short, void *);
static void	write_cb(evutil_socket_t, short, void *);
static void	backoff_cb(evutil_socket_t, short, void *);
static void	echoed(struct client *, const unsigned char *, size_t);
static void	flush(struct client *, uint64_t);
static int	arm(struct client *, struct event *, const struct timeval *);
static void	fail(struct client *, enum tally_error, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static void	fail_errno(struct client *, const char *, int);
static void	finish(struct client *);
static void	close_socket(struct client *);
static int	working(const struct client *);

/*
 * Set up connection number id of load l; no socket yet.  Returns -1 when
 * memory runs out, with nothing left to free.
 */
int
client_init(struct client *c, struct load *l, uint32_t id,
    enum client_role role)
{
	memset(c, 0, sizeof *c);
	c->load = l;
	c->id = id;
	c->role = role;
	c->fd = -1;
	c->state = CS_NEW;
	pat_init(&c->pat, l->opts->seed, id);
	if ((c->rev = event_new(l->base, -1, 0, read_cb, c)) == NULL ||
	    (c->wev = event_new(l->base, -1, 0, write_cb, c)) == NULL)
		goto fail;
	if ((role == ROLE_PINGPONG || role == ROLE_DGRAM) &&
	    (c->sent_at = calloc(l->opts->depth, sizeof *c->sent_at)) == NULL)
		goto fail;
	if (role == ROLE_DGRAM && (c->dg_seq = calloc(l->opts->depth,
	    sizeof *c->dg_seq)) == NULL)
		goto fail;
	return (0);

fail:
	client_free(c);
	return (-1);
}

/* Close the socket and release the events. */
void
client_free(struct client *c)
{
	close_socket(c);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	free(c->sent_at);
	free(c->dg_seq);
	c->rev = c->wev = NULL;
	c->sent_at = NULL;
	c->dg_seq = NULL;
}

/* The start-up connect of a pingpong, stream or idle connection. */
void
client_connect(struct client *c)
{
	c->startup = 1;
	connect_start(c, 0);
}

/*
 * Start connecting; the connect callback, or its timeout, says how it
 * ended.  A socket that cannot even be opened is a connect error.
 */
static void
connect_start(struct client *c, uint64_t now)
{
	struct load	*l = c->load;
	struct timeval	 tv = { LOAD_CONNECT_TIMEOUT_MS / 1000,
	    (LOAD_CONNECT_TIMEOUT_MS % 1000) * 1000 };
	int		 fd;

	c->started = now;
	c->state = CS_CONNECTING;
	if (target_connect(l->target, &fd) == -1) {
		fail(c, ERR_CONNECT, "cannot connect to %s: %s",
		    l->target->name, strerror(errno));
		return;
	}
	c->fd = fd;
	if (event_assign(c->wev, l->base, fd, EV_WRITE, connect_cb, c) ==
	    -1 || arm(c, c->wev, &tv) == -1)
		fail(c, ERR_IO, "cannot watch the socket (event_add failed)");
}

/* The connect has ended, or timed out. */
static void
connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	struct load	*l = c->load;
	socklen_t	 len = sizeof(int);
	int		 soerr = 0;

	c->wev_on = 0;
	if (what & EV_TIMEOUT) {
		fail(c, ERR_CONNECT, "cannot connect to %s: no answer within "
		    "%d s", l->target->name, LOAD_CONNECT_TIMEOUT_MS / 1000);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr != 0) {
		fail(c, ERR_CONNECT, "cannot connect to %s: %s",
		    l->target->name, strerror(soerr));
		return;
	}
	if (l->opts->proxy != 0 && client_send_proxy(c, fd) == -1)
		return;
#ifdef HAVE_OPENSSL
	if (l->tls != NULL) {
		if ((c->ssl = btls_new(l->tls, fd, l->target->host)) == NULL) {
			fail(c, ERR_IO, "cannot set up TLS: out of memory");
			return;
		}
		handshake_step(c);
		return;
	}
#endif
	client_open(c);
}

#ifdef HAVE_OPENSSL
/*
 * --tls: take the handshake one step on, waiting (within the connect
 * timeout) for what it needs; the connection opens once it is over.
 */
static void
handshake_step(struct client *c)
{
	struct load	*l = c->load;
	struct timeval	 tv = { LOAD_CONNECT_TIMEOUT_MS / 1000,
	    (LOAD_CONNECT_TIMEOUT_MS % 1000) * 1000 };
	char		 why[160];
	short		 what;

	switch (btls_handshake(c->ssl, why, sizeof why)) {
	case BTLS_DONE:
		client_open(c);
		return;
	case BTLS_WANT_READ:
		what = EV_READ;
		break;
	case BTLS_WANT_WRITE:
		what = EV_WRITE;
		break;
	default:
		fail(c, ERR_CONNECT, "TLS handshake with %s failed: %s",
		    l->target->name, why);
		return;
	}
	if (event_assign(c->wev, l->base, c->fd, what, handshake_cb, c) ==
	    -1 || arm(c, c->wev, &tv) == -1)
		fail(c, ERR_IO, "cannot watch the socket (event_add failed)");
}

/* The socket is ready for the handshake's next step, or it timed out. */
static void
handshake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	c->wev_on = 0;
	if (what & EV_TIMEOUT) {
		fail(c, ERR_CONNECT, "TLS handshake with %s: no answer within "
		    "%d s", c->load->target->name,
		    LOAD_CONNECT_TIMEOUT_MS / 1000);
		return;
	}
	handshake_step(c);
}
#endif

/* Connected (and through TLS, with --tls): the role's work can begin. */
static void
client_open(struct client *c)
{
	struct load	*l = c->load;
	int		 fd = c->fd;

	c->state = CS_OPEN;
	if (event_assign(c->rev, l->base, fd, EV_READ | EV_PERSIST, read_cb,
	    c) == -1 || event_assign(c->wev, l->base, fd, EV_WRITE |
	    EV_PERSIST, write_cb, c) == -1 || arm(c, c->rev, NULL) == -1) {
		fail(c, ERR_IO, "cannot watch the socket (event_add failed)");
		return;
	}
	if (c->startup) {
		c->startup = 0;
		load_client_connected(l);
		return;
	}
	/* Churn: this connection's one message. */
	c->tx_limit = c->tx + l->opts->size;
	flush(c, 0);
}

/*
 * --proxy: the header goes first, whole, in one send on a socket with
 * nothing queued yet, so it never waits; it is not echoed, so it is not
 * counted.  0, or -1 when the connection failed.
 */
static int
client_send_proxy(struct client *c, int fd)
{
	unsigned char	 hdr[BENCH_PROXY_MAX];
	ssize_t		 n;
	int		 len;

	if ((len = bench_proxy_header(fd, c->load->opts->proxy, hdr,
	    sizeof hdr)) == -1) {
		fail(c, ERR_IO, "cannot make a PROXY header: %s",
		    strerror(errno));
		return (-1);
	}
	if ((n = send(fd, hdr, (size_t)len, MSG_NOSIGNAL)) != len) {
		fail(c, ERR_IO, "cannot send the PROXY header: %s", n == -1 ?
		    strerror(errno) : "short write");
		return (-1);
	}
	return (0);
}

/* After the warm-up barrier: begin the work of the connection's role. */
void
client_start(struct client *c, uint64_t now)
{
	const struct bench_opts	*o = c->load->opts;
	unsigned long		 i;

	switch (c->role) {
	case ROLE_PINGPONG:
		if (c->state != CS_OPEN)
			return;
		for (i = 0; i < o->depth; i++)
			c->sent_at[i] = now;
		c->tx_limit = (uint64_t)o->depth * o->size;
		flush(c, now);
		break;
	case ROLE_STREAM:
		if (c->state != CS_OPEN)
			return;
		c->tx_limit = UINT64_MAX;
		flush(c, now);
		break;
	case ROLE_CHURN:
		connect_start(c, now);
		break;
	case ROLE_DGRAM:
		if (c->state == CS_OPEN)
			dgram_start(c, now);
		break;
	case ROLE_IDLE:
		break;
	}
}

/*
 * The run is over: send nothing more and wait for the echo of what was
 * sent.  A churn connection not yet sending is dropped without error.
 */
void
client_drain(struct client *c)
{
	switch (c->state) {
	case CS_OPEN:
		if (c->role == ROLE_DGRAM) {
			dgram_drain(c);
			break;
		}
		c->tx_limit = c->tx;
		flush(c, 0);
		if (c->state == CS_OPEN && c->rx == c->tx)
			finish(c);
		break;
	case CS_CONNECTING:
	case CS_BACKOFF:
		finish(c);
		break;
	default:
		break;
	}
}

/* The grace time is over too: echo still missing is an error. */
void
client_expire(struct client *c)
{
	if (c->role == ROLE_DGRAM) {
		dgram_expire(c);
		return;
	}
	if (c->state != CS_OPEN || c->role == ROLE_IDLE)
		return;
	fail(c, ERR_TIMEOUT, "%llu bytes of echo still missing %d s after "
	    "the run", (unsigned long long)(c->tx - c->rx),
	    LOAD_GRACE_MS / 1000);
}

/* Echo has arrived, or the server closed or reset the connection. */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	unsigned char	*buf = c->load->buf;
	ssize_t		 n;
	int		 reads = 0;

	(void)what;
	if (c->role == ROLE_DGRAM) {
		dgram_read(c);
		return;
	}
	(void)fd;
	/*
	 * TLS may hold decrypted bytes no readable event will announce:
	 * read on while it does, and a few times more (fairness).
	 */
	do {
		n = client_read(c, buf, LOAD_BUF_SIZE);
		if (n > 0)
			echoed(c, buf, (size_t)n);
	} while (n > 0 && c->ssl != NULL && c->state == CS_OPEN &&
	    (++reads < 8 || btls_pending(c->ssl) > 0));
	if (n > 0)
		return;
	if (n == 0 && c->role == ROLE_IDLE)
		fail(c, ERR_EOF, "closed by the server");
	else if (n == 0)
		fail(c, ERR_EOF, "closed by the server with %llu bytes of "
		    "echo outstanding", (unsigned long long)(c->tx - c->rx));
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		fail_errno(c, "read", errno);
}

/* The socket can take more of what is due to be sent. */
static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)what;
	flush(c, c->role == ROLE_STREAM ? now_ns() : 0);
}

/* Churn: the pause after a failed connection is over; try the next. */
static void
backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)what;
	c->wev_on = 0;
	connect_start(c, now_ns());
}

/*
 * Check len bytes of echo against the stream, then account for what
 * they complete: messages and their latency in pingpong, the latency
 * probe in stream, the connection in churn.  Only what completes inside
 * the measured window is counted.
 */
static void
echoed(struct client *c, const unsigned char *buf, size_t len)
{
	struct load		*l = c->load;
	const struct bench_opts	*o = l->opts;
	uint64_t		 now, m, last, *at;
	size_t			 due, ok;
	int			 in;

	if (c->role == ROLE_IDLE) {
		fail(c, ERR_MISMATCH, "the server sent %zu bytes unasked",
		    len);
		return;
	}
	due = c->tx - c->rx < len ? (size_t)(c->tx - c->rx) : len;
	if ((ok = pat_check(&c->pat, c->rx, buf, due)) < due) {
		fail(c, ERR_MISMATCH, "echo byte %llu is 0x%02x, expected "
		    "0x%02x", (unsigned long long)(c->rx + ok), buf[ok],
		    pat_byte(&c->pat, c->rx + ok));
		return;
	}
	if (due < len) {
		fail(c, ERR_MISMATCH, "%zu bytes came back beyond the %llu "
		    "sent", len - due, (unsigned long long)c->tx);
		return;
	}

	now = now_ns();
	in = now >= l->t_measure && now < l->t_end;
	m = c->rx;
	c->rx += len;
	l->live_bytes += len;
	if (in)
		l->tally.bytes += len;

	switch (c->role) {
	case ROLE_PINGPONG:
		/* Message m takes ring slot m % depth, as m + depth will. */
		for (m /= o->size, last = c->rx / o->size; m < last; m++) {
			at = &c->sent_at[m % o->depth];
			if (in) {
				hist_record(&l->tally.latency, now - *at);
				l->tally.messages++;
			}
			l->live_messages++;
			*at = now;
			if (!l->draining)
				c->tx_limit += o->size;
		}
		if (l->draining && c->rx == c->tx)
			finish(c);
		else
			flush(c, now);
		break;
	case ROLE_STREAM:
		if (c->probe_off != 0 && c->rx >= c->probe_off) {
			if (in)
				hist_record(&l->tally.latency,
				    now - c->probe_at);
			c->probe_off = 0;
		}
		if (l->draining && c->rx == c->tx)
			finish(c);
		break;
	case ROLE_CHURN:
		if (c->rx < c->tx_limit)
			break;
		if (in) {
			hist_record(&l->tally.latency, now - c->started);
			l->tally.messages++;
		}
		l->live_messages++;
		close_socket(c);
		if (l->draining)
			finish(c);
		else
			connect_start(c, now);
		break;
	case ROLE_IDLE:
	case ROLE_DGRAM:	/* bench_dgram.c checks its own */
		break;
	}
}

/*
 * Write what is due, up to LOAD_WRITE_BUDGET bytes per call so that one
 * connection cannot starve the others, and watch for writability only
 * while something is left.  In stream, the first write with no probe in
 * flight starts one: its last byte's echo ends it.
 */
static void
flush(struct client *c, uint64_t now)
{
	struct load	*l = c->load;
	size_t		 budget = LOAD_WRITE_BUDGET, n;
	ssize_t		 w;

	while (c->tx < c->tx_limit && budget > 0) {
		n = budget < LOAD_BUF_SIZE ? budget : LOAD_BUF_SIZE;
		if (c->tx_limit - c->tx < n)
			n = (size_t)(c->tx_limit - c->tx);
		pat_fill(&c->pat, c->tx, l->buf, n);
		if ((w = client_write(c, l->buf, n)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			fail_errno(c, "write", errno);
			return;
		}
		if (c->role == ROLE_STREAM && c->probe_off == 0 && w > 0) {
			c->probe_off = c->tx + (uint64_t)w;
			c->probe_at = now;
		}
		c->tx += (uint64_t)w;
		budget -= (size_t)w;
		if ((size_t)w < n)
			break;
	}
	if (c->tx < c->tx_limit) {
		if (!c->wev_on && arm(c, c->wev, NULL) == -1)
			fail(c, ERR_IO, "cannot watch the socket "
			    "(event_add failed)");
	} else if (c->wev_on) {
		event_del(c->wev);
		c->wev_on = 0;
	}
}

/* event_add(), noting whether the write event is now pending. */
static int
arm(struct client *c, struct event *ev, const struct timeval *tv)
{
	if (event_add(ev, tv) == -1)
		return (-1);
	if (ev == c->wev)
		c->wev_on = 1;
	return (0);
}

/* Whether the connection still counts among the load's working ones. */
static int
working(const struct client *c)
{
	return (c->role != ROLE_IDLE && c->state != CS_FINISHED &&
	    c->state != CS_DEAD);
}

/*
 * Count an error against this connection, naming it, and stop using it;
 * a churn loop instead pauses briefly, then connects again.
 */
static void
fail(struct client *c, enum tally_error kind, const char *fmt, ...)
{
	struct load	*l = c->load;
	struct timeval	 tv = { 0, LOAD_CHURN_BACKOFF_MS * 1000 };
	char		 why[TALLY_WHY_MAX] = "";
	va_list		 ap;

	/* Only the first error of a kind is kept, so only it is worded. */
	if (l->tally.errors[kind] == 0) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	tally_error(&l->tally, kind, "%sconnection %u: %s",
	    c->role == ROLE_IDLE ? "idle " : "", c->id, why);
	close_socket(c);
	if (c->startup) {
		c->startup = 0;
		load_client_connected(l);
	}
	if (c->role == ROLE_CHURN && !l->draining && c->state != CS_DEAD) {
		/* The next connection's message starts after this one's. */
		c->tx = c->rx = c->tx_limit;
		c->state = CS_BACKOFF;
		if (event_assign(c->wev, l->base, -1, 0, backoff_cb, c) == 0 &&
		    arm(c, c->wev, &tv) == 0)
			return;
		tally_error(&l->tally, ERR_IO, "connection %u: cannot set a "
		    "timer (event_add failed)", c->id);
	}
	if (working(c)) {
		c->state = CS_DEAD;
		load_client_finished(l);
	}
	c->state = CS_DEAD;
}

/* A failed read or write, by what the error says about the server. */
static void
fail_errno(struct client *c, const char *call, int error)
{
	if (error == ECONNRESET || error == EPIPE)
		fail(c, ERR_RESET, "%s: %s", call, strerror(error));
	else
		fail(c, ERR_IO, "%s: %s", call, strerror(error));
}

/* The connection's work is over without error. */
static void
finish(struct client *c)
{
	close_socket(c);
	if (working(c)) {
		c->state = CS_FINISHED;
		load_client_finished(c->load);
	}
}

/* Stop watching the socket and close it; its events can be reused. */
static void
close_socket(struct client *c)
{
	if (c->rev != NULL)
		event_del(c->rev);
	if (c->wev != NULL)
		event_del(c->wev);
	c->wev_on = 0;
#ifdef HAVE_OPENSSL
	if (c->ssl != NULL) {
		btls_free(c->ssl);
		c->ssl = NULL;
	}
#endif
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

/* For bench_dgram.c: a failed send or recv, as fail_errno() counts it. */
void
client_failed(struct client *c, enum tally_error kind, const char *call,
    int error)
{
	fail(c, kind, "%s: %s", call, strerror(error));
}

/* For bench_dgram.c: an echo that is not what was sent. */
void
client_mismatch(struct client *c, const char *why)
{
	fail(c, ERR_MISMATCH, "%s", why);
}

/* For bench_dgram.c: the connection's work is over, without error. */
void
client_done(struct client *c)
{
	finish(c);
}

/* read(2), or its TLS equivalent with --tls. */
static ssize_t
client_read(struct client *c, void *buf, size_t len)
{
#ifdef HAVE_OPENSSL
	if (c->ssl != NULL)
		return (btls_read(c->ssl, buf, len));
#endif
	return (read(c->fd, buf, len));
}

/* write(2), or its TLS equivalent with --tls. */
static ssize_t
client_write(struct client *c, const void *buf, size_t len)
{
#ifdef HAVE_OPENSSL
	if (c->ssl != NULL)
		return (btls_write(c->ssl, buf, len));
#endif
	return (write(c->fd, buf, len));
}

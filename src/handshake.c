/*
 * handshake.c: the PROXY protocol stage of a connection.
 *
 * The header is read with MSG_PEEK into the worker's scratch buffer, and
 * only once proxy_parse() finds it whole is exactly its length consumed:
 * whatever the client sent after it stays in the socket, for the echo
 * (or the transport) that follows, and no connection ever holds a
 * header buffer of its own.  While the bytes peeked are only the start
 * of a header, the socket stays readable, so waiting for readability
 * would spin: the stage stops reading and peeks again after a short,
 * growing pause instead, until the header is whole, proves bad, the
 * client shuts down its side with the header still in part, or
 * --handshake-timeout runs out.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "handshake.h"
#include "log.h"
#include "proxy.h"
#include "worker.h"

#define HANDSHAKE_RETRY_MIN_MS	1	/* first pause after a part */
#define HANDSHAKE_RETRY_MAX_MS	64	/* pauses double up to this */

static void	handshake_read_cb(evutil_socket_t, short, void *);
static void	handshake_timer_cb(evutil_socket_t, short, void *);
static void	handshake_peek(struct conn *);
static void	handshake_wait(struct conn *, unsigned);
static int	handshake_peer_shut(int);
static void	handshake_done(struct conn *, const struct proxy_header *);
static void	handshake_fail(struct conn *, enum stats_end, const char *);

/*
 * Begin the stage: await the header, within the deadline.  Reading is
 * not started yet when this is called.  0, or -1 (c is unchanged).
 */
int
handshake_start(struct conn *c)
{
	struct worker		*w = c->worker;
	struct handshake	*hs;
	unsigned		 ms = w->cfg->handshake_timeout_ms;
	struct timeval		 tv = { ms / 1000, (ms % 1000) * 1000 };

	if ((hs = calloc(1, sizeof *hs)) == NULL)
		return (-1);
	if (evtimer_assign(&hs->timer, w->base, handshake_timer_cb, c) == -1 ||
	    event_assign(&c->ev_read, w->base, c->fd, EV_READ | EV_PERSIST,
	    handshake_read_cb, c) == -1 ||
	    (ms > 0 && evtimer_add(&hs->timer, &tv) == -1)) {
		free(hs);
		return (-1);
	}
	hs->deadline_ms = ms > 0 ? clock_coarse_ms() + ms : 0;
	hs->retry_ms = HANDSHAKE_RETRY_MIN_MS;
	c->hs = hs;
	c->state = CONN_HANDSHAKING;
	return (0);
}

/* The stage is over, one way or another: let its state go. */
void
handshake_free(struct conn *c)
{
	if (c->hs == NULL)
		return;
	event_del(&c->hs->timer);
	free(c->hs);
	c->hs = NULL;
}

static void
handshake_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	handshake_peek(arg);
}

/* The deadline passed, or it is time to peek again. */
static void
handshake_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	char		 why[64];

	(void)fd;
	(void)what;
	if (c->hs->deadline_ms != 0 && clock_coarse_ms() >=
	    c->hs->deadline_ms) {
		snprintf(why, sizeof why, "no PROXY header within %u.%03u s",
		    c->worker->cfg->handshake_timeout_ms / 1000,
		    c->worker->cfg->handshake_timeout_ms % 1000);
		handshake_fail(c, STATS_END_HANDSHAKE, why);
		return;
	}
	handshake_peek(c);
}

/* Look at what has arrived, and take the header once it is whole. */
static void
handshake_peek(struct conn *c)
{
	struct worker		*w = c->worker;
	struct proxy_header	 hdr;
	char			 why[160];
	ssize_t			 n;

	n = recv(c->fd, w->scratch, PROXY_MAX, MSG_PEEK);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			handshake_wait(c, 0);
		else
			conn_close(c, stats_end_of_errno(errno),
			    evutil_socket_error_to_string(errno));
		return;
	}
	if (n == 0) {
		/* A health check that only connects ends so: no error. */
		conn_close(c, STATS_END_CLIENT, "closed before its PROXY "
		    "header");
		return;
	}
	/* New bytes are activity; the same ones peeked again are not. */
	if ((size_t)n > c->hs->peeked)
		idle_touch(&w->idle, &c->idle);
	switch (proxy_parse(w->scratch, (size_t)n, &hdr, why, sizeof why)) {
	case PROXY_MORE:
		if (handshake_peer_shut(c->fd)) {
			snprintf(why, sizeof why, "PROXY header cut short: "
			    "the client shut down after %zd B", n);
			handshake_fail(c, STATS_END_PROTOCOL, why);
			return;
		}
		handshake_wait(c, (unsigned)n);
		return;
	case PROXY_BAD:
		handshake_fail(c, STATS_END_PROTOCOL, why);
		return;
	case PROXY_DONE:
		break;
	}
	/* Peeked, so there: a short read here is the kernel's failure. */
	if ((n = recv(c->fd, w->scratch, hdr.len, 0)) != (ssize_t)hdr.len) {
		conn_close(c, STATS_END_ERROR, n == -1 ?
		    evutil_socket_error_to_string(errno) :
		    "PROXY header shrank between peek and read");
		return;
	}
	handshake_done(c, &hdr);
}

/*
 * Only the start of a header has arrived (peeked bytes), or nothing
 * after all (0).  With nothing, readability says when to look again,
 * and the timer keeps the deadline.  With a part, readability would say
 * so at once and forever, so stop reading and look again after a pause
 * instead: short while bytes keep coming, longer while not.  Either way
 * the timer is armed anew: it may have fired a moment before the
 * deadline by our clock, and must not be left unarmed.
 */
static void
handshake_wait(struct conn *c, unsigned peeked)
{
	struct handshake	*hs = c->hs;
	uint64_t		 now, left = UINT64_MAX;
	struct timeval		 tv;

	if (hs->deadline_ms != 0) {
		now = clock_coarse_ms();
		left = hs->deadline_ms > now ? hs->deadline_ms - now : 0;
	}
	if (peeked > 0) {
		if (peeked > hs->peeked)
			hs->retry_ms = HANDSHAKE_RETRY_MIN_MS;
		else if (hs->retry_ms < HANDSHAKE_RETRY_MAX_MS)
			hs->retry_ms *= 2;
		hs->peeked = peeked;
		if (hs->retry_ms < left)
			left = hs->retry_ms;
		event_del(&c->ev_read);
	}
	if (left == UINT64_MAX)
		return;		/* no deadline, and reading waits */
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	if (evtimer_add(&hs->timer, &tv) == -1)
		conn_close(c, STATS_END_ERROR, "cannot arm the header timer");
}

/*
 * Whether the client has shut down its side, so that a header still in
 * part can never be whole.  A peek returns the same bytes before the
 * FIN, never the 0 that would tell it; libevent's EV_CLOSED would need
 * the read event this stage leaves off while it waits.  poll(2) with
 * POLLRDHUP (Linux) asks the socket at once; without it, the deadline
 * or -t ends such a header.
 */
static int
handshake_peer_shut(int fd)
{
#ifdef POLLRDHUP
	struct pollfd	 p;

	memset(&p, 0, sizeof p);
	p.fd = fd;
	p.events = POLLRDHUP;
	return (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP |
	    POLLERR)) != 0);
#else
	(void)fd;
	return (0);
#endif
}

/*
 * The header is taken: the client it names becomes the connection's
 * peer, in the log and in the counters, and the echo begins.
 */
static void
handshake_done(struct conn *c, const struct proxy_header *hdr)
{
	struct worker	*w = c->worker;
	char		 via[CONN_PEER_STRLEN], proto[16];
	socklen_t	 len = 0;

	conn_peer_name(c, via, sizeof via);
	snprintf(proto, sizeof proto, "PROXY v%d%s", hdr->version,
	    hdr->local ? " LOCAL" : "");
	stats_add(&w->stats.proxy_headers[hdr->local ? STATS_PROXY_LOCAL :
	    hdr->version == 1 ? STATS_PROXY_V1 : STATS_PROXY_V2], 1);
	switch (hdr->src.ss_family) {	/* AF_UNSPEC for a local one */
	case AF_INET:
		len = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		len = sizeof(struct sockaddr_in6);
		break;
	case AF_UNIX:
		len = sizeof(struct sockaddr_un);
		break;
	}
	if (len > 0 && len <= sizeof c->peer)
		memcpy(&c->peer, &hdr->src, len);
	handshake_free(c);
	c->proxied = (uint8_t)(hdr->version | (hdr->local ?
	    CONN_PROXY_LOCAL : 0));
	/* On a ",tls" listener, the line waits for the TLS handshake. */
	if (!(c->listener->options & ADDR_OPT_TLS))
		conn_log_connected(c, via, proto);
	if (conn_begin(c) == -1)
		conn_close(c, STATS_END_ERROR, "cannot start reading");
}

/* A bad or late header: say so, within the flood limit, and close. */
static void
handshake_fail(struct conn *c, enum stats_end end, const char *why)
{
	struct worker	*w = c->worker;
	char		 peer[CONN_PEER_STRLEN], note[80];
	unsigned long	 held;

	if (log_flood_pass(&w->handshake_errors, &held))
		log_warn("%s on %s: %s; closed%s", conn_peer_name(c,
		    peer, sizeof peer), c->listener->name, why,
		    log_flood_note(held, note, sizeof note));
	conn_close(c, end, why);
}

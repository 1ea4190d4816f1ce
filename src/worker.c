/*
 * worker.c: an event loop's share of the service: its connections, their
 * shared settings, and their orderly end.
 */
#include "autoconfig.h"

#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "worker.h"

/*
 * Prepare w to own connections on base.  on_close runs after every close,
 * so the owner can resume accepting or finish a shutdown.
 */
int
worker_init(struct worker *w, struct event_base *base,
    const struct config *cfg, void (*on_close)(void *), void *arg)
{
	memset(w, 0, sizeof *w);
	w->base = base;
	w->cfg = cfg;
	w->queue_high = cfg->max_queue;
	w->queue_low = cfg->max_queue / 2;
	TAILQ_INIT(&w->conns);
	w->on_close = on_close;
	w->on_close_arg = arg;

	if (cfg->idle_timeout_ms > 0) {
		struct timeval tv;

		tv.tv_sec = cfg->idle_timeout_ms / 1000;
		tv.tv_usec = (cfg->idle_timeout_ms % 1000) * 1000;
		/* One shared queue: re-arming on every read is O(1). */
		w->idle_tv = event_base_init_common_timeout(base, &tv);
		if (w->idle_tv == NULL)
			return (-1);
	}
	return (0);
}

/* Adopt an accepted socket; the descriptor is closed on failure. */
int
worker_accept(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, int salen)
{
	if (w->draining) {
		evutil_closesocket(fd);
		return (-1);
	}
	return (conn_new(w, fd, sa, salen) != NULL ? 0 : -1);
}

/* Stop taking input everywhere; each connection ends once flushed. */
void
worker_drain(struct worker *w)
{
	struct conn	*c, *next;

	w->draining = 1;
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);	/* may close c, never another */
	}
}

/*
 * Close every connection now.  Returns how many there were and adds the
 * bytes they had not yet sent to *unsent when it is not NULL.
 */
unsigned
worker_close_all(struct worker *w, const char *reason, size_t *unsent)
{
	struct conn	*c;
	unsigned	 n = 0;

	while ((c = TAILQ_FIRST(&w->conns)) != NULL) {
		if (unsent != NULL)
			*unsent += conn_pending(c);
		conn_close(c, reason);
		n++;
	}
	return (n);
}

void
worker_free(struct worker *w)
{
	w->on_close = NULL;	/* the owner is going away too */
	worker_close_all(w, "server exit", NULL);
}

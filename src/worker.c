/*
 * worker.c: an event loop's share of the service: the sockets handed to it,
 * its connections, their shared settings, and their orderly end.
 *
 * The acceptor counts a connection in the group when it accepts it; the
 * worker counts it out when it closes, and tells the acceptor when that
 * frees a slot at the limit.  When a draining worker has no connection
 * left, it is done: it says so and, if it has its own loop, stops it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "worker.h"

static void	*worker_main(void *);
static void	 worker_mailbox_cb(unsigned, void *);
static void	 worker_adopt(struct worker *, evutil_socket_t,
		    const struct sockaddr *, int);
static void	 worker_adopt_queued(struct worker *);
static void	 worker_drain(struct worker *);
static void	 worker_close_all(struct worker *);
static void	 worker_finish(struct worker *);
static void	 worker_release_slot(struct worker *);

/*
 * Prepare w to own connections on base.  With own_base, base belongs to w
 * and w will run it in a thread of its own (worker_start); otherwise w
 * shares the caller's loop and thread.
 */
int
worker_init(struct worker *w, unsigned id, struct worker_group *group,
    struct event_base *base, int own_base)
{
	const struct config	*cfg = group->cfg;
	int			 rc;

	memset(w, 0, sizeof *w);
	w->mailbox.fd[0] = w->mailbox.fd[1] = -1;	/* for worker_free() */
	w->id = id;
	w->group = group;
	w->base = base;
	w->own_base = own_base;
	w->cfg = cfg;
	w->queue_high = cfg->max_queue;
	w->queue_low = cfg->max_queue / 2;
	TAILQ_INIT(&w->conns);
	if ((rc = pthread_mutex_init(&w->lock, NULL)) != 0) {
		errno = rc;
		return (-1);
	}
	if (cfg->idle_timeout_ms > 0) {
		struct timeval tv;

		tv.tv_sec = cfg->idle_timeout_ms / 1000;
		tv.tv_usec = (cfg->idle_timeout_ms % 1000) * 1000;
		/* One shared queue: re-arming on every read is O(1). */
		w->idle_tv = event_base_init_common_timeout(base, &tv);
		if (w->idle_tv == NULL)
			return (-1);
	}
	if (mailbox_init(&w->mailbox, base, worker_mailbox_cb, w) == -1)
		return (-1);
	return (0);
}

/* Run a worker that owns its loop in its own thread. */
int
worker_start(struct worker *w)
{
	int	 rc;

	if (!w->own_base)
		return (0);	/* runs on the caller's loop */
	if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		errno = rc;
		return (-1);
	}
	w->started = 1;
	return (0);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	if (event_base_dispatch(w->base) == -1) {
		log_error("worker %u: event loop failed", w->id);
		worker_close_all(w);
	}
	return (NULL);
}

/*
 * Give an accepted socket, already counted in the group, to w.  From any
 * thread; w adopts it on its own loop.  On failure the socket is closed
 * and its slot given back.
 */
int
worker_hand_off(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, int salen)
{
	struct handoff	*h;

	if (!w->own_base) {
		worker_adopt(w, fd, sa, salen);	/* same thread */
		return (0);
	}
	pthread_mutex_lock(&w->lock);
	if (w->queued == w->queue_cap) {
		size_t cap = w->queue_cap > 0 ? w->queue_cap * 2 : 16;

		h = reallocarray(w->queue, cap, sizeof *h);
		if (h == NULL) {
			pthread_mutex_unlock(&w->lock);
			log_error("cannot hand a connection to worker %u: out "
			    "of memory", w->id);
			evutil_closesocket(fd);
			worker_release_slot(w);
			return (-1);
		}
		w->queue = h;
		w->queue_cap = cap;
	}
	h = &w->queue[w->queued++];
	h->fd = fd;
	h->salen = salen > 0 && (size_t)salen <= sizeof h->ss ?
	    (socklen_t)salen : 0;
	memcpy(&h->ss, sa, h->salen);
	pthread_mutex_unlock(&w->lock);
	worker_post(w, WORKER_ADOPT);
	return (0);
}

/* Ask w, from any thread, to act on the given WORKER_* commands. */
void
worker_post(struct worker *w, unsigned commands)
{
	mailbox_post(&w->mailbox, commands);
}

/* A connection of w has closed (conn_close): free its slot, maybe finish. */
void
worker_conn_closed(struct worker *w)
{
	worker_release_slot(w);
	if (w->draining && w->nconns == 0)
		worker_finish(w);
}

/* Wait for a worker's thread, once it has been told to stop. */
void
worker_join(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = 0;
}

/* Free what is left; the thread, if any, must have been joined. */
void
worker_free(struct worker *w)
{
	struct conn	*c;
	size_t		 i;

	w->done = 1;		/* nobody to tell any more */
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_close(c, "server exit");
	for (i = 0; i < w->queued; i++)
		evutil_closesocket(w->queue[i].fd);
	free(w->queue);
	w->queue = NULL;
	w->queued = 0;
	mailbox_free(&w->mailbox);
	pthread_mutex_destroy(&w->lock);
	if (w->own_base && w->base != NULL)
		event_base_free(w->base);
	w->base = NULL;
}

/* Commands from other threads; sockets queued for us come first. */
static void
worker_mailbox_cb(unsigned commands, void *arg)
{
	struct worker	*w = arg;

	worker_adopt_queued(w);
	if (commands & WORKER_DRAIN)
		worker_drain(w);
	if (commands & WORKER_CLOSE_ALL)
		worker_close_all(w);
}

/* Turn an accepted socket into a connection of w. */
static void
worker_adopt(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    int salen)
{
	struct conn	*c;

	if ((c = conn_new(w, fd, sa, salen)) == NULL) {
		worker_release_slot(w);	/* conn_new closed fd */
		return;
	}
	if (w->draining)
		conn_drain(c);	/* accepted just before the shutdown */
}

static void
worker_adopt_queued(struct worker *w)
{
	struct handoff	*queue;
	size_t		 n, i;

	pthread_mutex_lock(&w->lock);
	queue = w->queue;
	n = w->queued;
	w->queue = NULL;
	w->queued = w->queue_cap = 0;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++)
		worker_adopt(w, queue[i].fd, (struct sockaddr *)&queue[i].ss,
		    (int)queue[i].salen);
	free(queue);
}

/* Stop taking input everywhere; each connection ends once flushed. */
static void
worker_drain(struct worker *w)
{
	struct conn	*c, *next;

	w->draining = 1;
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);	/* may close c, never another */
	}
	if (w->nconns == 0)
		worker_finish(w);
}

/* Close every connection now, counting what their clients lose. */
static void
worker_close_all(struct worker *w)
{
	struct worker_group	*g = w->group;
	struct conn		*c;

	w->draining = 1;
	while ((c = TAILQ_FIRST(&w->conns)) != NULL) {
		atomic_fetch_add(&g->cut_conns, 1);
		atomic_fetch_add(&g->cut_bytes, conn_pending(c));
		conn_close(c, "drain timeout");
	}
	worker_finish(w);
}

/* Drained: stop our loop if we own it, and tell the acceptor. */
static void
worker_finish(struct worker *w)
{
	struct worker_group	*g = w->group;

	if (w->done)
		return;
	w->done = 1;
	if (w->own_base)
		event_base_loopexit(w->base, NULL);
	atomic_fetch_sub(&g->running, 1);
	if (g->worker_done != NULL)
		g->worker_done(g->arg);
}

/* One connection fewer; at the limit, that lets the acceptor go on. */
static void
worker_release_slot(struct worker *w)
{
	struct worker_group	*g = w->group;

	if (atomic_fetch_sub(&g->nconns, 1) == g->max_conns &&
	    g->slot_freed != NULL)
		g->slot_freed(g->arg);
}

/*
 * worker.c: an event loop's share of the service: the sockets handed to it,
 * its connections, their shared settings, and their orderly end.
 *
 * The acceptor counts a connection in the group when it accepts it; the
 * worker counts it out when it closes, and tells the acceptor when that
 * frees a slot at the limit.  When a draining worker has no connection
 * left, it is done: it says so and, if it has its own loop, stops it.
 * A worker whose loop fails closes every connection it has, so that no
 * client is left waiting on a loop that no longer runs, and says so.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "hostcap.h"
#include "log.h"
#include "udp.h"
#include "worker.h"

static void	*worker_main(void *);
static void	 worker_mailbox_cb(unsigned, void *);
static void	 worker_adopt(struct worker *, const struct handoff *);
static void	 worker_adopt_queued(struct worker *);
static void	 worker_drain(struct worker *);
static void	 worker_close_all(struct worker *, enum stats_end,
		    const char *, int);
static void	 worker_finish(struct worker *);
static void	 worker_room_cb(evutil_socket_t, short, void *);
static void	 worker_budget_room(void *);
static void	 worker_budget_wake(void *);
static void	 worker_resume_waiting(struct worker *);

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
	w->read_cost = budget_read_cost(CONN_READ_MAX);
	TAILQ_INIT(&w->conns);
	TAILQ_INIT(&w->waiting);
	budget_account_init(&w->account, &group->budget, worker_budget_room,
	    worker_budget_wake, w);
	if ((rc = pthread_mutex_init(&w->lock, NULL)) != 0) {
		errno = rc;
		return (-1);
	}
	if (idle_init(&w->idle, base, cfg->idle_timeout_ms, conn_idle_sample,
	    conn_idle_expire, w) == -1)
		return (-1);
	if (event_assign(&w->room_ev, base, -1, 0, worker_room_cb, w) == -1)
		return (-1);
	w->room_ready = 1;
	if (mailbox_init(&w->mailbox, base, worker_mailbox_cb, w) == -1)
		return (-1);
	return (0);
}

/*
 * Run a worker that owns its loop in its own thread.  A worker sharing
 * the caller's loop charges the caller's thread from now on.
 */
int
worker_start(struct worker *w)
{
	int	 rc;

	if (!w->own_base) {
		budget_account_enter(&w->account);
		return (0);
	}
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
	struct worker		*w = arg;
	struct worker_group	*g = w->group;

#ifdef HAVE_PTHREAD_SETNAME_NP
	{
		char name[16];	/* what top -H and the tests see */

		snprintf(name, sizeof name, "evecho-w%u", w->id);
		pthread_setname_np(pthread_self(), name);
	}
#endif
	budget_account_enter(&w->account);
	if (event_base_dispatch(w->base) == -1) {
		w->loop_errno = errno;
		w->failed = 1;
		worker_close_all(w, STATS_END_ERROR, "event loop failed", 0);
		if (g->worker_failed != NULL)
			g->worker_failed(g->arg);
	}
	budget_account_leave(&w->account);
	return (NULL);
}

/*
 * Give an accepted socket, already counted in the group, to w.  From any
 * thread; w adopts it on its own loop.  On failure the socket is closed,
 * its slot given back, and the failure logged.
 */
void
worker_hand_off(struct worker *w, const struct handoff *h)
{
	struct handoff	*grown;

	if (!w->own_base) {
		worker_adopt(w, h);	/* same thread */
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (w->queued == w->queue_cap) {
		size_t cap = w->queue_cap > 0 ? w->queue_cap * 2 : 16;

		grown = reallocarray(w->queue, cap, sizeof *grown);
		if (grown == NULL) {
			unsigned long	 held;
			char		 note[80];

			pthread_mutex_unlock(&w->lock);
			if (log_flood_pass(&w->handoff_errors, &held))
				log_error("cannot hand a connection to worker "
				    "%u: out of memory; closing it%s", w->id,
				    log_flood_note(held, note, sizeof note));
			evutil_closesocket(h->fd);
			hostcap_release(h->host);
			worker_release_slot(w);
			return;
		}
		w->queue = grown;
		w->queue_cap = cap;
	}
	w->queue[w->queued++] = *h;
	pthread_mutex_unlock(&w->lock);
	worker_post(w, WORKER_ADOPT);
}

/* Ask w, from any thread, to act on the given WORKER_* commands. */
void
worker_post(struct worker *w, unsigned commands)
{
	mailbox_post(&w->mailbox, commands);
}

/*
 * A connection of w has closed (conn_close) and released its slot: when
 * draining, that may have been the last.
 */
void
worker_conn_closed(struct worker *w)
{
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
		conn_close(c, STATS_END_SHUTDOWN, "server exit");
	for (i = 0; i < w->queued; i++) {
		evutil_closesocket(w->queue[i].fd);
		hostcap_release(w->queue[i].host);
	}
	free(w->queue);
	w->queue = NULL;
	w->queued = 0;
	if (w->room_ready)
		event_del(&w->room_ev);
	w->room_ready = 0;
	idle_free(&w->idle);
	mailbox_free(&w->mailbox);
	pthread_mutex_destroy(&w->lock);
	budget_account_leave(&w->account);
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
		worker_close_all(w, STATS_END_SHUTDOWN, "drain timeout", 1);
	if (commands & WORKER_ABORT)
		worker_close_all(w, STATS_END_SHUTDOWN,
		    "exiting after a failure", 0);
	if (commands & WORKER_ROOM) {
		/* Another account is hungry, or credit came back for us. */
		budget_give_back(&w->account);
		worker_resume_waiting(w);
	}
}

/* Turn an accepted socket into a connection of w. */
static void
worker_adopt(struct worker *w, const struct handoff *h)
{
	struct conn	*c;

	if ((c = conn_new(w, h)) == NULL) {
		hostcap_release(h->host);	/* conn_new closed the socket */
		worker_release_slot(w);
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
		worker_adopt(w, &queue[i]);
	free(queue);
}

/* Stop taking input everywhere; each connection ends once flushed. */
static void
worker_drain(struct worker *w)
{
	struct conn	*c, *next;

	w->draining = 1;
	if (w->udp != NULL)
		udp_worker_stop(w->udp);	/* nothing to drain there */
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);	/* may close c, never another */
	}
	if (w->nconns == 0)
		worker_finish(w);
}

/*
 * Close every connection now, with reason; when count_cut, count them
 * and what their clients lose, for the drain-timeout warning.
 */
static void
worker_close_all(struct worker *w, enum stats_end end, const char *reason,
    int count_cut)
{
	struct worker_group	*g = w->group;
	struct conn		*c;

	w->draining = 1;
	if (w->udp != NULL)
		udp_worker_stop(w->udp);
	while ((c = TAILQ_FIRST(&w->conns)) != NULL) {
		if (count_cut) {
			atomic_fetch_add(&g->cut_conns, 1);
			atomic_fetch_add(&g->cut_bytes, conn_pending(c));
		}
		conn_close(c, end, reason);
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
	/* Not loopexit, which allocates, and may fail to. */
	if (w->own_base)
		event_base_loopbreak(w->base);
	atomic_fetch_sub(&g->running, 1);
	if (g->worker_done != NULL)
		g->worker_done(g->arg);
}

/* One connection fewer; at the limit, that lets the acceptor go on. */
void
worker_release_slot(struct worker *w)
{
	struct worker_group	*g = w->group;

	if (atomic_fetch_sub(&g->nconns, 1) == g->max_conns &&
	    g->slot_freed != NULL)
		g->slot_freed(g->arg);
}

/*
 * Readers wait for room, and there may be some: resume them from the
 * loop, soon, not from whatever freed it (inside libevent, maybe).
 */
void
worker_room_later(struct worker *w)
{
	if (w->room_ready)
		event_active(&w->room_ev, EV_TIMEOUT, 0);
}

/* From the budget, on our thread: memory came free. */
static void
worker_budget_room(void *arg)
{
	worker_room_later(arg);
}

/* From the budget, on any thread: credit came back that we wanted. */
static void
worker_budget_wake(void *arg)
{
	struct worker	*w = arg;

	worker_post(w, WORKER_ROOM);
}

static void
worker_room_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_resume_waiting(arg);
}

/* Let waiting readers read again, first come first, while there is room. */
static void
worker_resume_waiting(struct worker *w)
{
	struct conn	*c, *next;

	for (c = TAILQ_FIRST(&w->waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, wait_entry);
		conn_try_resume(c);	/* may take c off the list */
	}
	if (TAILQ_EMPTY(&w->waiting))
		w->account.waiting = 0;
}

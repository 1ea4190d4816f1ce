/*
 * idle.c: the sweep behind the idle timeout.
 *
 * Guarantee: a connection is closed no earlier than -t after the last
 * byte moved either way, and no later than -t plus the slack, -t/8 held
 * between 10 ms and 1 s.
 *
 * Nothing on the echo path reads a clock: a read marks its connection
 * with the current sweep period (idle_touch), and the sweep that ends the
 * period gives every connection so marked the time it reads then.  That
 * time is after the movement, by at most a period and the timer's
 * lateness, so a close is never early; the client taking echo is seen the
 * same way, by the first sweep after it.  A connection is closed by the
 * first sweep a timeout after that time, a period and lateness more at
 * most: with sweeps every quarter slack, and a timer late by less than a
 * quarter slack, every close comes within the slack.
 *
 * One clock read per sweep, where a stamp per read, or per turn of the
 * loop, costs tens of nanoseconds per message once the kernel's work has
 * evicted the clock's page from the caches; and libevent 2.1 has no hook
 * at the end of its turns to settle a per-turn reading.
 *
 * Only a connection's own callbacks and the sweep touch its entry, all
 * on the worker's thread.
 */
#include "autoconfig.h"

#include <event2/event.h>

#include "clock.h"
#include "idle.h"

#define IDLE_SLACK_MIN_MS	10
#define IDLE_SLACK_MAX_MS	1000

static void	idle_sweep_cb(evutil_socket_t, short, void *);
static void	idle_settle(struct idle_clock *, uint64_t);
static void	idle_insert(struct idle_clock *, struct idle_entry *,
		    enum idle_list_id);
static void	idle_arm(struct idle_clock *);

/* How late a close may come for a timeout of timeout_ms: -t/8, bounded. */
uint64_t
idle_slack_ms(unsigned timeout_ms)
{
	uint64_t	 slack = timeout_ms / 8;

	if (slack < IDLE_SLACK_MIN_MS)
		return (IDLE_SLACK_MIN_MS);
	if (slack > IDLE_SLACK_MAX_MS)
		return (IDLE_SLACK_MAX_MS);
	return (slack);
}

/*
 * Set up the idle clock of a worker whose loop is base, for a timeout of
 * timeout_ms (0: off).  sample asks a connection about its output; expire
 * closes it (and must idle_remove() it).
 */
int
idle_init(struct idle_clock *ic, struct event_base *base, unsigned timeout_ms,
    void (*sample)(struct idle_entry *, struct idle_sample *, void *),
    void (*expire)(struct idle_entry *, void *), void *arg)
{
	TAILQ_INIT(&ic->busy);
	TAILQ_INIT(&ic->quiet);
	ic->timeout_ms = timeout_ms;
	ic->slack_ms = idle_slack_ms(timeout_ms);
	ic->period_ms = ic->slack_ms / 4;
	ic->period = 1;
	ic->armed = 0;
	ic->sweeps = 0;
	ic->sample = sample;
	ic->expire = expire;
	ic->arg = arg;
	ic->timer = NULL;
	if (timeout_ms == 0)
		return (0);
	if ((ic->timer = event_new(base, -1, EV_PERSIST, idle_sweep_cb,
	    ic)) == NULL)
		return (-1);
	return (0);
}

/* A new connection: marked as moving now, on the busy list (unless off). */
void
idle_add(struct idle_clock *ic, struct idle_entry *e)
{
	e->list = IDLE_NONE;
	e->at = 0;
	e->acked = 0;
	e->swept = 0;
	if (ic->timeout_ms == 0)
		return;
	e->period = ic->period;
	e->list = IDLE_BUSY;
	TAILQ_INSERT_TAIL(&ic->busy, e, link);
	idle_arm(ic);
}

/* A connection going away. */
void
idle_remove(struct idle_clock *ic, struct idle_entry *e)
{
	if (e->list == IDLE_BUSY)
		TAILQ_REMOVE(&ic->busy, e, link);
	else if (e->list == IDLE_QUIET)
		TAILQ_REMOVE(&ic->quiet, e, link);
	e->list = IDLE_NONE;
}

void
idle_free(struct idle_clock *ic)
{
	if (ic->timer != NULL)
		event_free(ic->timer);
	ic->timer = NULL;
}

/*
 * End the sweep period: what moved in it, the run marked with it at the
 * busy list's tail, moved before now.  Later marks start the next period.
 */
static void
idle_settle(struct idle_clock *ic, uint64_t now)
{
	struct idle_entry	*e;

	for (e = TAILQ_LAST(&ic->busy, idle_list); e != NULL &&
	    e->period == ic->period; e = TAILQ_PREV(e, idle_list, link))
		e->at = now;
	ic->period++;
}

/* Put e on list, in order of at: from the tail, where it nearly always is. */
static void
idle_insert(struct idle_clock *ic, struct idle_entry *e,
    enum idle_list_id id)
{
	struct idle_list	*list = id == IDLE_BUSY ? &ic->busy : &ic->quiet;
	struct idle_entry	*after;

	for (after = TAILQ_LAST(list, idle_list); after != NULL &&
	    after->at > e->at; after = TAILQ_PREV(after, idle_list, link))
		;
	if (after == NULL)
		TAILQ_INSERT_HEAD(list, e, link);
	else
		TAILQ_INSERT_AFTER(list, after, e, link);
	e->list = id;
}

/* Sweep only while there is something to sweep. */
static void
idle_arm(struct idle_clock *ic)
{
	struct timeval	 tv;

	if (ic->armed)
		return;
	tv.tv_sec = (time_t)(ic->period_ms / 1000);
	tv.tv_usec = (suseconds_t)(ic->period_ms % 1000) * 1000;
	if (event_add(ic->timer, &tv) == 0)
		ic->armed = 1;
	/*
	 * On failure the next idle_add() tries again; until then nothing
	 * times out, which is the safe way to fail.
	 */
}

/*
 * Close what has been quiet for the timeout.  The quiet list needs no
 * questions: its head is the oldest.  On the busy list, every connection
 * that did not move in the period just ended is asked how far its client
 * has acknowledged: any progress means it moved in that period, so it
 * takes this sweep's time; nothing in flight moves it to the quiet list.
 */
static void
idle_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idle_clock	*ic = arg;
	struct idle_entry	*e, *next;
	struct idle_sample	 s;
	uint64_t		 now = clock_precise_ms();
	uint32_t		 id = ++ic->sweeps;

	(void)fd;
	(void)what;
	idle_settle(ic, now);
	while ((e = TAILQ_FIRST(&ic->quiet)) != NULL && now >= e->at &&
	    now - e->at >= ic->timeout_ms)
		ic->expire(e, ic->arg);

	for (e = TAILQ_FIRST(&ic->busy); e != NULL && e->at < now; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->swept == id)
			continue;	/* moved along this sweep already */
		e->swept = id;
		ic->sample(e, &s, ic->arg);
		if (s.acked != e->acked) {
			/* The client took bytes since the last sweep. */
			e->acked = s.acked;
			TAILQ_REMOVE(&ic->busy, e, link);
			e->at = now;
			TAILQ_INSERT_TAIL(&ic->busy, e, link);
		}
		if (!s.in_flight) {
			TAILQ_REMOVE(&ic->busy, e, link);
			idle_insert(ic, e, IDLE_QUIET);
		} else if (now - e->at >= ic->timeout_ms)
			ic->expire(e, ic->arg);
	}
	/* Settled connections may be due now too. */
	while ((e = TAILQ_FIRST(&ic->quiet)) != NULL && now >= e->at &&
	    now - e->at >= ic->timeout_ms)
		ic->expire(e, ic->arg);

	if (TAILQ_EMPTY(&ic->busy) && TAILQ_EMPTY(&ic->quiet)) {
		event_del(ic->timer);
		ic->armed = 0;
	}
}

/*
 * idle.c: the sweep behind the idle timeout.
 *
 * Guarantee: a connection is closed no earlier than -t after the last
 * byte moved either way, and no later than -t plus the slack, -t/8 held
 * between 10 ms and 1 s.  Stamps come from the coarse monotonic clock,
 * which may lag by one kernel tick; the sweep judges with the precise
 * one and allows that tick, so a close is never early.  The sweep runs
 * every half slack; with the tick, the timer's own lateness and a tick's
 * error in the kernel's ACK times, a close comes within the slack.  When
 * -t is so short that a tick would eat the slack, stamps read the
 * precise clock instead.
 *
 * Coarse stamps read the clock once per turn of the loop and reuse it.
 * A stamp reused after a clock step is early by up to the turn's length
 * so far, and an early stamp could close a connection early: the turn's
 * end, and a sweep before judging, stamp this turn's entries again with
 * the clock read then.  That costs one more read in a turn that stamped
 * twice or more, and a walk of this turn's entries once per clock step.
 *
 * Only a connection's own callbacks and the sweep touch its entry, all
 * on the worker's thread.
 */
#include "autoconfig.h"

#include <errno.h>

#include <event2/event.h>

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
	uint64_t	 tick = clock_coarse_step_ms();

	TAILQ_INIT(&ic->busy);
	TAILQ_INIT(&ic->quiet);
	ic->timeout_ms = timeout_ms;
	ic->slack_ms = idle_slack_ms(timeout_ms);
	ic->period_ms = ic->slack_ms / 2;
	/* A tick would eat more than a quarter of the slack: be exact. */
	ic->precise = tick * 4 > ic->slack_ms;
	ic->step_ms = tick;
	ic->armed = 0;
	ic->sweeps = 0;
	ic->turn = 1;		/* now is not read yet */
	ic->now_turn = 0;
	ic->now = 0;
	ic->reused = 0;
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

/* A new connection: stamped now, on the busy list (unless -t is off). */
void
idle_add(struct idle_clock *ic, struct idle_entry *e)
{
	e->list = IDLE_NONE;
	e->acked = 0;
	e->swept = 0;
	if (ic->timeout_ms == 0)
		return;
	e->at = idle_now(ic);
	e->turn = (uint32_t)ic->turn;
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
 * Run base until it is stopped, a turn at a time (EVLOOP_ONCE), so that
 * each turn's stamps settle at its end.  libevent 2.1 has no hook at the
 * end of its own turns, and its cached time (event_base_gettimeofday_cached)
 * follows the wall clock.  With the timeout off or stamps precise there is
 * nothing to settle.  Returns 0 once stopped, -1 (errno set) if the loop
 * failed.
 */
int
idle_run(struct idle_clock *ic, struct event_base *base)
{
	int	 rc, saved_errno;

	if (ic->timeout_ms == 0 || ic->precise)
		return (event_base_dispatch(base) == -1 ? -1 : 0);
	for (;;) {
		rc = event_base_loop(base, EVLOOP_ONCE);
		saved_errno = errno;
		idle_turn_end(ic);
		if (rc == -1) {
			errno = saved_errno;
			return (-1);
		}
		if (rc == 1 || event_base_got_break(base) ||
		    event_base_got_exit(base))
			return (0);
	}
}

/* A turn of the loop ended: settle its reused stamps, start the next. */
void
idle_turn_end(struct idle_clock *ic)
{
	if (ic->reused > 0)
		idle_settle(ic, clock_coarse_ms());
	ic->turn++;
}

/*
 * The coarse clock reads fresh now: restamp with it the entries this turn
 * stamped with an older reading, and use it for the rest of the turn.
 * Every stamp is at most ic->now, so this turn's stamps are in the run of
 * entries stamped ic->now at the busy list's tail; moving them to the
 * tail, in order, keeps the list ordered.
 */
static void
idle_settle(struct idle_clock *ic, uint64_t fresh)
{
	struct idle_entry	*e, *next, *first = NULL, *last;

	if (ic->reused > 0 && fresh > ic->now) {
		last = TAILQ_LAST(&ic->busy, idle_list);
		for (e = last; e != NULL && e->at == ic->now;
		    e = TAILQ_PREV(e, idle_list, link))
			first = e;
		for (e = first; e != NULL; e = next) {
			next = e == last ? NULL : TAILQ_NEXT(e, link);
			if (e->turn != (uint32_t)ic->turn)
				continue;
			TAILQ_REMOVE(&ic->busy, e, link);
			e->at = fresh;
			TAILQ_INSERT_TAIL(&ic->busy, e, link);
		}
	}
	if (fresh > ic->now)
		ic->now = fresh;
	ic->now_turn = ic->turn;
	ic->reused = 0;
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
 * quiet on the read side for half a slack or more is asked how far its
 * client has acknowledged: any progress stamps it with the time of the
 * last ACK; nothing in flight moves it to the quiet list.
 */
static void
idle_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idle_clock	*ic = arg;
	struct idle_entry	*e, *next;
	struct idle_sample	 s;
	uint64_t		 now = clock_precise_ms();
	uint64_t		 stamp = ic->precise ? now : clock_coarse_ms();
	uint64_t		 margin = ic->precise ? 0 : ic->step_ms;
	uint64_t		 pin, limit = ic->timeout_ms + margin;
	uint32_t		 id = ++ic->sweeps;

	(void)fd;
	(void)what;
	if (!ic->precise)
		idle_settle(ic, stamp);	/* no stamp of this turn is early */
	while ((e = TAILQ_FIRST(&ic->quiet)) != NULL && now >= e->at &&
	    now - e->at >= limit)
		ic->expire(e, ic->arg);

	for (e = TAILQ_FIRST(&ic->busy); e != NULL && stamp >= e->at &&
	    stamp - e->at >= ic->period_ms; e = next) {
		next = TAILQ_NEXT(e, link);
		if (e->swept == id)
			continue;	/* moved along this sweep already */
		e->swept = id;
		ic->sample(e, &s, ic->arg);
		if (s.acked != e->acked) {
			/* The client took bytes, at its last ACK at the latest. */
			e->acked = s.acked;
			pin = stamp;
			if (s.ack_age_ms != IDLE_AGE_UNKNOWN &&
			    s.ack_age_ms < stamp &&
			    stamp - s.ack_age_ms + ic->step_ms < stamp)
				pin = stamp - s.ack_age_ms + ic->step_ms;
			if (pin > e->at) {
				TAILQ_REMOVE(&ic->busy, e, link);
				e->at = pin;
				idle_insert(ic, e, IDLE_BUSY);
			}
		}
		if (!s.in_flight) {
			TAILQ_REMOVE(&ic->busy, e, link);
			idle_insert(ic, e, IDLE_QUIET);
		} else if (now >= e->at && now - e->at >= limit)
			ic->expire(e, ic->arg);
	}
	/* Settled connections may be due now too. */
	while ((e = TAILQ_FIRST(&ic->quiet)) != NULL && now >= e->at &&
	    now - e->at >= limit)
		ic->expire(e, ic->arg);

	if (TAILQ_EMPTY(&ic->busy) && TAILQ_EMPTY(&ic->quiet)) {
		event_del(ic->timer);
		ic->armed = 0;
	}
}

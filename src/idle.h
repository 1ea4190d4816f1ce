/*
 * idle.h: the idle timeout (-t) of one worker's connections, kept off the
 * echo path.
 *
 * Reading from a connection only marks it with the sweep period it moved
 * in and, the first time in that period, moves it to the tail of a list
 * ordered by last movement: a compare, or a few stores; no clock, no timer.
 * Each sweep reads the monotonic clock once, gives the connections that
 * moved in the period just ended that time (they moved before it), then
 * closes what has been quiet for the timeout, walking from the list's head
 * and stopping at the first connection still in time.
 *
 * Echo can also move after the last read: the client takes bytes the
 * kernel still held for it.  So a connection quiet on the read side but
 * with output in flight stays on a "busy" list, where each sweep asks the
 * connection (idle_sample) how far the client has acknowledged; once
 * nothing is in flight it moves to the "quiet" list, which needs no
 * questions at all.  A sweep costs one question per connection quiet on
 * the read side with output in flight, one store per connection that
 * moved since the last sweep, and nothing per quiet one.
 */
#ifndef EVECHO_IDLE_H
#define EVECHO_IDLE_H

#include <sys/queue.h>

#include <stdint.h>

struct event;
struct event_base;

enum idle_list_id {
	IDLE_NONE,		/* on no list: timeout off, or removed */
	IDLE_BUSY,		/* read lately, or output in flight */
	IDLE_QUIET		/* nothing in flight: only a read can move it */
};

/* One connection's place on its worker's lists. */
struct idle_entry {
	TAILQ_ENTRY(idle_entry)	 link;
	uint64_t		 at;	/* last movement known, ms */
	uint64_t		 acked;	/* output acknowledged at last sample */
	uint64_t		 period;	/* sweep period it last moved in */
	uint32_t		 swept;	/* sweep that last sampled it */
	uint8_t			 list;	/* enum idle_list_id */
};

TAILQ_HEAD(idle_list, idle_entry);

/* What a connection says of its output when sampled. */
struct idle_sample {
	uint64_t		 acked;	/* bytes the client acknowledged, ever */
	int			 in_flight;	/* output not yet acknowledged */
};

struct idle_clock {
	struct idle_list	 busy;	/* ordered by at; this period's last */
	struct idle_list	 quiet;	/* ordered by at */
	uint64_t		 timeout_ms;	/* -t; 0: off */
	uint64_t		 slack_ms;	/* how late a close may come */
	uint64_t		 period_ms;	/* between sweeps */
	uint64_t		 period;	/* sweep periods so far, from 1 */
	int			 armed;		/* the sweep timer is pending */
	uint32_t		 sweeps;
	struct event		*timer;
	void			(*sample)(struct idle_entry *,
				    struct idle_sample *, void *);
	void			(*expire)(struct idle_entry *, void *);
	void			*arg;	/* for both */
};

int	idle_init(struct idle_clock *, struct event_base *, unsigned,
	    void (*)(struct idle_entry *, struct idle_sample *, void *),
	    void (*)(struct idle_entry *, void *), void *);
void	idle_add(struct idle_clock *, struct idle_entry *);
void	idle_remove(struct idle_clock *, struct idle_entry *);
void	idle_free(struct idle_clock *);
uint64_t
	idle_slack_ms(unsigned);

/*
 * A byte moved on e's connection: mark it with this sweep period, at the
 * busy list's tail.  The sweep gives this period's marks their time.
 * Marked already this period, it is in that run at the tail: nothing to do.
 */
static inline void
idle_touch(struct idle_clock *ic, struct idle_entry *e)
{
	if (e->list == IDLE_NONE || e->period == ic->period)
		return;		/* timeout off, or marked already */
	TAILQ_REMOVE(e->list == IDLE_BUSY ? &ic->busy : &ic->quiet, e, link);
	e->period = ic->period;
	e->list = IDLE_BUSY;
	TAILQ_INSERT_TAIL(&ic->busy, e, link);
}

#endif /* EVECHO_IDLE_H */

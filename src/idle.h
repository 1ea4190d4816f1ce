/*
 * idle.h: the idle timeout (-t) of one worker's connections, kept off the
 * echo path.
 *
 * Reading from a connection only stamps it with the time and moves it to
 * the tail of a list ordered by that stamp: a few stores, no timer.  A
 * periodic sweep closes what has been quiet for the timeout, walking from
 * the list's head and stopping at the first connection still in time.
 *
 * Echo can also move after the last read: the client takes bytes the
 * kernel still held for it.  So a connection quiet on the read side but
 * with output in flight stays on a "busy" list, where each sweep asks the
 * connection (idle_sample) how far the client has acknowledged; once
 * nothing is in flight it moves to the "quiet" list, which needs no
 * questions at all.  A sweep costs one question per connection quiet on
 * the read side with output in flight, and nothing per quiet one.
 *
 * The clock is read once per turn of the loop (idle_run), at the first
 * stamp: reading it costs tens of nanoseconds after the kernel's work has
 * evicted it from the caches, as much as the rest of the stamp.  A turn
 * that outlasts a clock step would leave its later stamps early, so the
 * turn's end (or a sweep within it) stamps them again (idle_settle).
 */
#ifndef EVECHO_IDLE_H
#define EVECHO_IDLE_H

#include <sys/queue.h>

#include <stdint.h>

#include "clock.h"

struct event;
struct event_base;

#define IDLE_AGE_UNKNOWN	UINT32_MAX

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
	uint32_t		 swept;	/* sweep that last sampled it */
	uint32_t		 turn;	/* of the loop, that last stamped it */
	uint8_t			 list;	/* enum idle_list_id */
};

TAILQ_HEAD(idle_list, idle_entry);

/* What a connection says of its output when sampled. */
struct idle_sample {
	uint64_t		 acked;	/* bytes the client acknowledged, ever */
	uint32_t		 ack_age_ms;	/* since the last ACK; or unknown */
	int			 in_flight;	/* output not yet acknowledged */
};

struct idle_clock {
	struct idle_list	 busy;	/* ordered by at */
	struct idle_list	 quiet;	/* ordered by at */
	uint64_t		 timeout_ms;	/* -t; 0: off */
	uint64_t		 slack_ms;	/* how late a close may come */
	uint64_t		 period_ms;	/* between sweeps */
	uint64_t		 step_ms;	/* error of a stamp's clock */
	int			 precise;	/* stamps read the precise clock */
	int			 armed;		/* the sweep timer is pending */
	uint32_t		 sweeps;
	uint64_t		 turn;		/* turns of the loop so far */
	uint64_t		 now_turn;	/* the turn now was read in */
	uint64_t		 now;		/* coarse clock, this turn */
	unsigned		 reused;	/* stamps given now since read */
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
int	idle_run(struct idle_clock *, struct event_base *);
void	idle_turn_end(struct idle_clock *);
uint64_t
	idle_slack_ms(unsigned);

/* The time to stamp with: the coarse clock, read once a turn. */
static inline uint64_t
idle_now(struct idle_clock *ic)
{
	if (ic->precise)
		return (clock_precise_ms());
	if (ic->now_turn != ic->turn) {
		ic->now = clock_coarse_ms();
		ic->now_turn = ic->turn;
	} else
		ic->reused++;
	return (ic->now);
}

/*
 * A byte moved on e's connection: stamp it now.  Entries stamped in the
 * same clock step need not move: the list stays ordered.
 */
static inline void
idle_touch(struct idle_clock *ic, struct idle_entry *e)
{
	uint64_t	 now;

	if (e->list == IDLE_NONE)
		return;		/* timeout off */
	now = idle_now(ic);
	e->turn = (uint32_t)ic->turn;
	if (e->at == now && e->list == IDLE_BUSY)
		return;
	TAILQ_REMOVE(e->list == IDLE_BUSY ? &ic->busy : &ic->quiet, e, link);
	e->at = now;
	e->list = IDLE_BUSY;
	TAILQ_INSERT_TAIL(&ic->busy, e, link);
}

#endif /* EVECHO_IDLE_H */

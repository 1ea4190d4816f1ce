/*
 * clock.h: milliseconds on the monotonic clock, which no change of the
 * wall clock (NTP, an operator) moves.
 *
 * The coarse clock is the one libevent's own timers use on Linux: it is
 * read from the vDSO without a system call in a few nanoseconds, and
 * advances in steps of the kernel's tick.  The precise one costs several
 * times more per call.
 */
#ifndef EVECHO_CLOCK_H
#define EVECHO_CLOCK_H

#include <stdint.h>
#include <time.h>

#ifdef CLOCK_MONOTONIC_COARSE
#define CLOCK_COARSE_ID		CLOCK_MONOTONIC_COARSE
#else
#define CLOCK_COARSE_ID		CLOCK_MONOTONIC
#endif

static inline uint64_t
clock_ms_of(clockid_t id)
{
	struct timespec	 ts;

	if (clock_gettime(id, &ts) == -1)
		return (0);	/* cannot happen for the monotonic clocks */
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Now, in ms, exact. */
static inline uint64_t
clock_precise_ms(void)
{
	return (clock_ms_of(CLOCK_MONOTONIC));
}

/* Now, in ms, up to one kernel tick behind. */
static inline uint64_t
clock_coarse_ms(void)
{
	return (clock_ms_of(CLOCK_COARSE_ID));
}

#endif /* EVECHO_CLOCK_H */

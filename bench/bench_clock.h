/*
 * bench_clock.h: the clocks evecho-bench reads, in nanoseconds.  The
 * monotonic clock is read once per event callback and shared by all it
 * does, since on Linux each read costs a vDSO call.
 */
#ifndef EVECHO_BENCH_CLOCK_H
#define EVECHO_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_MS	1000000ULL
#define NS_PER_S	1000000000ULL

/* Monotonic time: for latencies and the run's timeline. */
static inline uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec);
}

/* CPU time the calling thread has used: the tool's own cost. */
static inline uint64_t
thread_cpu_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == -1)
		return (0);
	return ((uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec);
}

#endif /* EVECHO_BENCH_CLOCK_H */

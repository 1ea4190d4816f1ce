/*
 * bench_proc.h: another process's CPU time, read from /proc, so that a
 * run can say what the server spent per message, not only what it did.
 */
#ifndef EVECHO_BENCH_PROC_H
#define EVECHO_BENCH_PROC_H

#include <sys/types.h>

#include <stdint.h>

/* User and system CPU time of a process, in nanoseconds. */
struct proc_cpu {
	uint64_t	 user_ns;
	uint64_t	 sys_ns;
};

int	proc_cpu(pid_t, struct proc_cpu *);

#endif /* EVECHO_BENCH_PROC_H */

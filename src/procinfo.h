/*
 * procinfo.h: what the kernel says of this process, for the standard
 * process_* metrics: CPU time, memory, descriptors, start time.  What
 * /proc tells (memory, descriptors) is unknown in a --chroot without it.
 */
#ifndef EVECHO_PROCINFO_H
#define EVECHO_PROCINFO_H

#include <stdint.h>

struct procinfo {
	uint64_t	 cpu_ms;	/* user and system, every thread */
	uint64_t	 rss_bytes;	/* resident set */
	uint64_t	 vsize_bytes;	/* virtual memory */
	int		 has_memory;	/* the two above were read */
	long		 open_fds;	/* -1: unknown */
	uint64_t	 max_fds;	/* the soft open-file limit */
	double		 start_time;	/* seconds since the Epoch */
};

int	procinfo_read(struct procinfo *);
double	procinfo_start_time(void);

#endif /* EVECHO_PROCINFO_H */

/*
 * procinfo.c: the process's own resource use, from getrusage(2),
 * getrlimit(2) and /proc/self (Linux); what a system lacks reads as 0.
 */
#include "autoconfig.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdlimit.h"
#include "procinfo.h"

static int	procinfo_memory(struct procinfo *);

/*
 * Fill p with the process's figures now.  Returns 0, or -1 with errno
 * set if the CPU time cannot be read; the rest is best effort, as a
 * scrape is better with most of its figures than with none.
 */
int
procinfo_read(struct procinfo *p)
{
	struct rusage	 ru;
	struct rlimit	 rl;

	memset(p, 0, sizeof *p);
	p->start_time = procinfo_start_time();
	p->open_fds = fdlimit_open_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
		    (uint64_t)rl.rlim_cur;
	(void)procinfo_memory(p);
	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return (-1);
	p->cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000 + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
	    1000;
	return (0);
}

/* Resident and virtual size, in pages, from /proc/self/statm. */
static int
procinfo_memory(struct procinfo *p)
{
	unsigned long long	 vsize, rss;
	long			 page = sysconf(_SC_PAGESIZE);
	FILE			*fp;
	int			 n;

	if (page <= 0 || (fp = fopen("/proc/self/statm", "re")) == NULL)
		return (-1);
	n = fscanf(fp, "%llu %llu", &vsize, &rss);
	fclose(fp);
	if (n != 2)
		return (-1);
	p->vsize_bytes = vsize * (uint64_t)page;
	p->rss_bytes = rss * (uint64_t)page;
	p->has_memory = 1;
	return (0);
}

/*
 * When the process started, in seconds since the Epoch: the wall clock
 * now, less the process's age on the monotonic clock (field 22 of
 * /proc/self/stat counts clock ticks since boot).  Read once, so every
 * scrape gives the same figure.
 */
double
procinfo_start_time(void)
{
	static double		 start;	/* set once, before any thread */
	struct timespec		 now, up;
	unsigned long long	 ticks;
	char			 buf[1024], *p;
	long			 hz = sysconf(_SC_CLK_TCK);
	FILE			*fp;
	size_t			 n;
	int			 field;

	if (start > 0)
		return (start);
	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		return (0);
	start = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &up) == -1 ||
	    (fp = fopen("/proc/self/stat", "re")) == NULL)
		return (start);
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The name, field 2, may hold anything but ends at the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (start);
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL && sscanf(p, " %llu", &ticks) == 1)
		start -= (double)up.tv_sec + (double)up.tv_nsec / 1e9 -
		    (double)ticks / (double)hz;
	return (start);
}

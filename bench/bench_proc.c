/*
 * bench_proc.c: CPU time of a process from /proc/PID/stat (Linux).  The
 * kernel counts it in clock ticks, so the resolution is 1/CLK_TCK seconds
 * (10 ms at the usual 100 Hz): enough over a run of seconds.
 */
#include "autoconfig.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_proc.h"

/* 0 and the times in *cpu, or -1 with errno set. */
int
proc_cpu(pid_t pid, struct proc_cpu *cpu)
{
	char			 path[64], line[1024], *p;
	unsigned long long	 utime, stime;
	long			 hz = sysconf(_SC_CLK_TCK);
	FILE			*fp;
	int			 ok;

	if (hz <= 0) {
		errno = EINVAL;
		return (-1);
	}
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	ok = fgets(line, sizeof line, fp) != NULL;
	fclose(fp);
	/* The command name may hold spaces and ')': skip past the last ')'. */
	if (!ok || (p = strrchr(line, ')')) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime: fields 3 to 15 of proc(5). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &utime, &stime) != 2) {
		errno = EINVAL;
		return (-1);
	}
	cpu->user_ns = utime * 1000000000ULL / (unsigned long long)hz;
	cpu->sys_ns = stime * 1000000000ULL / (unsigned long long)hz;
	return (0);
}

/*
 * fdlimit.c: how many connections the open-file limit leaves room for.
 *
 * The reserve is counted, not guessed: it is every descriptor open once
 * the listeners, workers and signal handling are set up, inherited ones
 * included, plus a few spare.  So the default --max-conns can always be
 * reached without accept(2) failing for want of a descriptor.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/select.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fdlimit.h"

static int	fdlimit_fit_select(struct fdlimit *, struct rlimit *, unsigned,
		    rlim_t, char *, size_t);

/*
 * Fix the connection limit: the explicit max_conns (raising the soft
 * open-file limit if it must), or what the limit leaves after the reserve
 * (0): the descriptors open now, FDLIMIT_SPARE, and extra for others to
 * open while serving.  With select, every descriptor must stay below
 * FD_SETSIZE.  Returns 0, or -1 with err set.
 */
int
fdlimit_fix(struct fdlimit *lim, unsigned max_conns, unsigned extra,
    int select_backend, char *err, size_t errlen)
{
	struct rlimit	 rl;
	rlim_t		 reserve, need;

	memset(lim, 0, sizeof *lim);
	if ((lim->open_fds = fdlimit_open_fds()) == -1) {
		snprintf(err, errlen, "cannot count open descriptors: %s",
		    strerror(errno));
		return (-1);
	}
	lim->extra = extra;
	reserve = (rlim_t)lim->open_fds + FDLIMIT_SPARE + extra;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit RLIMIT_NOFILE: %s",
		    strerror(errno));
		return (-1);
	}
	if (select_backend && fdlimit_fit_select(lim, &rl, max_conns, reserve,
	    err, errlen) == -1)
		return (-1);
	lim->nofile = rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 :
	    (unsigned long)rl.rlim_cur;

	if (max_conns == 0) {
		rlim_t cur = rl.rlim_cur;

		if (cur == RLIM_INFINITY || cur > CONFIG_MAX_CONNS_MAX +
		    reserve)
			cur = CONFIG_MAX_CONNS_MAX + reserve;
		if (cur <= reserve) {
			snprintf(err, errlen, "the open-file limit (%llu) "
			    "leaves no room for connections: evecho holds %ld "
			    "descriptors and keeps %d spare; raise it with "
			    "ulimit -n", (unsigned long long)rl.rlim_cur,
			    lim->open_fds, FDLIMIT_SPARE + (int)extra);
			return (-1);
		}
		lim->max_conns = (unsigned)(cur - reserve);
		return (0);
	}

	need = max_conns + reserve;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
			snprintf(err, errlen, "--max-conns %u needs %llu open "
			    "files (evecho holds %ld and keeps %d spare), but "
			    "the hard limit is %llu; raise it (ulimit -Hn) or "
			    "lower --max-conns", max_conns,
			    (unsigned long long)need, lim->open_fds,
			    FDLIMIT_SPARE + (int)extra,
			    (unsigned long long)rl.rlim_max);
			return (-1);
		}
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			snprintf(err, errlen, "cannot raise the open-file "
			    "limit to %llu: %s", (unsigned long long)need,
			    strerror(errno));
			return (-1);
		}
		lim->raised = 1;
		lim->nofile = (unsigned long)need;
	}
	lim->max_conns = max_conns;
	return (0);
}

/*
 * select(2) cannot watch a descriptor numbered FD_SETSIZE or more, and
 * glibc aborts the process rather than try.  Descriptors are numbered
 * lowest first, so lowering the soft open-file limit to FD_SETSIZE keeps
 * every new one below it: then accept fails with EMFILE (and pauses)
 * instead.  An explicit --max-conns that cannot fit is refused.
 */
static int
fdlimit_fit_select(struct fdlimit *lim, struct rlimit *rl, unsigned max_conns,
    rlim_t reserve, char *err, size_t errlen)
{
	const rlim_t	 cap = FD_SETSIZE;

	if (max_conns > 0 && max_conns + reserve > cap) {
		snprintf(err, errlen, "--max-conns %u is more than the select "
		    "backend can watch: at most %llu, as select(2) stops at "
		    "FD_SETSIZE (%d) descriptors and evecho holds %ld and "
		    "keeps %d spare; use --backend poll or epoll", max_conns,
		    (unsigned long long)(cap > reserve ? cap - reserve : 0),
		    FD_SETSIZE, lim->open_fds,
		    (int)(reserve - (rlim_t)lim->open_fds));
		return (-1);
	}
	if (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > cap) {
		rl->rlim_cur = cap;
		if (setrlimit(RLIMIT_NOFILE, rl) == -1) {
			snprintf(err, errlen, "cannot lower the open-file limit "
			    "to FD_SETSIZE (%d) for the select backend: %s",
			    FD_SETSIZE, strerror(errno));
			return (-1);
		}
		lim->lowered = 1;
	}
	return (0);
}

/*
 * How many descriptors this process has open: the entries of
 * /proc/self/fd less the one reading it, or, without /proc, every
 * descriptor number below the limit that fcntl(2) finds open.
 */
long
fdlimit_open_fds(void)
{
	struct rlimit	 rl;
	struct dirent	*de;
	DIR		*dir;
	long		 n = 0, fd, top;

	if ((dir = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] != '.')
				n++;
		}
		closedir(dir);
		return (n - 1);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (-1);
	top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ?
	    1048576 : (long)rl.rlim_cur;
	for (fd = 0; fd < top; fd++) {
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	}
	return (n);
}

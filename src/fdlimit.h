/*
 * fdlimit.h: the open-file limit, the descriptors evecho holds itself, and
 * the connection limit (--max-conns) they leave.
 */
#ifndef EVECHO_FDLIMIT_H
#define EVECHO_FDLIMIT_H

#include <stddef.h>

/*
 * Descriptors kept free beyond those open at start-up, for what opens
 * one for a moment while serving (a library reading a file, say).
 */
#define FDLIMIT_SPARE		8

struct fdlimit {
	unsigned	 max_conns;	/* the connection limit */
	long		 open_fds;	/* open when it was fixed */
	unsigned	 extra;		/* kept for others: metrics clients */
	unsigned long	 nofile;	/* the soft open-file limit then */
	int		 raised;	/* the soft limit had to be raised */
	int		 lowered;	/* ... or lowered, for select */
};

int	fdlimit_fix(struct fdlimit *, unsigned, unsigned, int, char *,
	    size_t);
long	fdlimit_open_fds(void);

#endif /* EVECHO_FDLIMIT_H */

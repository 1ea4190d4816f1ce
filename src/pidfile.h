/*
 * pidfile.h: --pidfile.  The file is created and locked at start-up,
 * before privileges are dropped, holds the pid once evecho serves, and
 * stays locked for the life of the process: a locked file means a live
 * evecho, an unlocked one is stale and is taken over.
 */
#ifndef EVECHO_PIDFILE_H
#define EVECHO_PIDFILE_H

#include <sys/types.h>

#include <stddef.h>

struct pidfile {
	const char	*path;		/* NULL: no --pidfile */
	int		 fd;		/* open and locked; -1: none */
	dev_t		 dev;		/* which file is ours, */
	ino_t		 ino;		/* so as to remove no other */
};

void	pidfile_init(struct pidfile *);
int	pidfile_open(struct pidfile *, const char *, char *, size_t);
int	pidfile_write(struct pidfile *, char *, size_t);
int	pidfile_remove(struct pidfile *, char *, size_t);

#endif /* EVECHO_PIDFILE_H */

/*
 * unixsock.h: Unix-domain stream listeners as files in the file system:
 * replacing a stale socket file and refusing a live one, the file's mode
 * and owner, removing it again only if it is still ours, and naming a
 * client by the credentials the kernel gives for it.
 */
#ifndef EVECHO_UNIXSOCK_H
#define EVECHO_UNIXSOCK_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#define UNIXSOCK_DEFAULT_MODE	0660	/* owner and group may connect */
#define UNIXSOCK_MODE_MAX	0777	/* permission bits only */

struct addr_spec;

/* How to make the file: its mode and, unless -1, its owner and group. */
struct unixsock_opts {
	int		 mode;		/* 0 to 0777 */
	uid_t		 uid;		/* (uid_t)-1: leave */
	gid_t		 gid;		/* (gid_t)-1: leave */
};

/* A socket file bound here, to remove at exit if it is still this one. */
struct unixsock_file {
	char		 path[PATH_MAX];	/* absolute: a later chdir
						   must not move it */
	dev_t		 dev;
	ino_t		 ino;
};

/* Who is at the other end of an accepted Unix-domain socket. */
struct unixsock_cred {
	long		 pid;
	unsigned long	 uid;
};

int	unixsock_owner(const char *, const char *, uid_t *, gid_t *, char *,
	    size_t);
int	unixsock_listen(const struct addr_spec *, const struct unixsock_opts *,
	    int, int *, struct unixsock_file **, char *, size_t);
int	unixsock_remove(const struct unixsock_file *, char *, size_t);
int	unixsock_peer_cred(int, struct unixsock_cred *);

#endif /* EVECHO_UNIXSOCK_H */

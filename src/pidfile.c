/*
 * pidfile.c: --pidfile, created and locked before privileges are dropped
 * (an unprivileged user cannot create files in /run), written with the
 * pid once evecho serves, removed at exit.
 *
 * The lock is an fcntl(2) write lock on the whole file.  The kernel drops
 * it when the process ends, however it ends, so a file left behind by a
 * crash or a SIGKILL is unlocked, stale, and the next evecho takes it
 * over; a locked one belongs to a live process, which F_GETLK names.
 * Such a lock belongs to the process and goes with the first close(2) of
 * any descriptor for the file, so nothing else in evecho opens it.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pidfile.h"

#define PIDFILE_MODE		0644
#define PIDFILE_TRIES		3	/* rounds lost to a racing remover */

static int	pidfile_busy(int, const char *, char *, size_t);
static int	pidfile_ours(const struct pidfile *);

/* No pidfile yet: pidfile_remove() then has nothing to do. */
void
pidfile_init(struct pidfile *pf)
{
	memset(pf, 0, sizeof *pf);
	pf->fd = -1;
}

/*
 * Create or open path and lock it, leaving it empty until
 * pidfile_write().  Returns EX_OK; EX_TEMPFAIL, with the holder's pid in
 * err, if a live process holds it; EX_CANTCREAT, with the reason in err,
 * if it cannot be had.
 */
int
pidfile_open(struct pidfile *pf, const char *path, char *err, size_t errlen)
{
	struct flock	 fl;
	struct stat	 st;
	int		 fd, tries, status;

	for (tries = 0; tries < PIDFILE_TRIES; tries++) {
		/* O_NOFOLLOW: root is not to be led to write through a link. */
		if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    PIDFILE_MODE)) == -1) {
			snprintf(err, errlen, "cannot open pidfile %s: %s", path,
			    strerror(errno));
			return (EX_CANTCREAT);
		}
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == -1) {
			if (errno == EACCES || errno == EAGAIN)
				status = pidfile_busy(fd, path, err, errlen);
			else {
				snprintf(err, errlen, "cannot lock pidfile %s: "
				    "%s", path, strerror(errno));
				status = EX_CANTCREAT;
			}
			close(fd);
			return (status);
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "pidfile %s is not a regular file",
			    path);
			close(fd);
			return (EX_CANTCREAT);
		}
		pf->path = path;
		pf->fd = fd;
		pf->dev = st.st_dev;
		pf->ino = st.st_ino;
		/*
		 * The evecho that held it may have unlinked it between our
		 * open and our lock: then the lock is on a file nobody will
		 * see, and the name must be opened afresh.
		 */
		if (pidfile_ours(pf))
			break;
		pidfile_init(pf);
		close(fd);
	}
	if (pf->fd == -1) {
		snprintf(err, errlen, "pidfile %s was replaced %d times while "
		    "evecho locked it", path, PIDFILE_TRIES);
		return (EX_TEMPFAIL);
	}
	/* A stale pid, from a process that is gone, must not linger. */
	if (ftruncate(pf->fd, 0) == -1) {
		snprintf(err, errlen, "cannot truncate pidfile %s: %s", path,
		    strerror(errno));
		close(pf->fd);
		pidfile_init(pf);
		return (EX_CANTCREAT);
	}
	return (EX_OK);
}

/*
 * The sentence for a pidfile a live process holds: its pid, from the
 * kernel's lock table, or else from the file.  EX_TEMPFAIL: it may be an
 * evecho still draining its connections, which will soon let go.
 */
static int
pidfile_busy(int fd, const char *path, char *err, size_t errlen)
{
	struct flock	 fl;
	char		 buf[32];
	ssize_t		 n;
	long		 pid = 0;

	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = (long)fl.l_pid;
	else if ((n = pread(fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	if (pid > 0)
		snprintf(err, errlen, "pidfile %s is locked by pid %ld: evecho "
		    "is running already", path, pid);
	else
		snprintf(err, errlen, "pidfile %s is locked by another process: "
		    "evecho is running already", path);
	return (EX_TEMPFAIL);
}

/* Whether the name still leads to the file we hold. */
static int
pidfile_ours(const struct pidfile *pf)
{
	struct stat	 st;

	return (stat(pf->path, &st) == 0 && st.st_dev == pf->dev &&
	    st.st_ino == pf->ino);
}

/*
 * Write our pid, once serving.  Returns EX_OK, or EX_IOERR with a
 * sentence in err.  Nothing to do without a pidfile.
 */
int
pidfile_write(struct pidfile *pf, char *err, size_t errlen)
{
	char	 buf[32];
	ssize_t	 n;
	int	 len;

	if (pf->fd == -1)
		return (EX_OK);
	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if ((n = pwrite(pf->fd, buf, (size_t)len, 0)) != len) {
		snprintf(err, errlen, "cannot write pidfile %s: %s", pf->path,
		    n == -1 ? strerror(errno) : "short write");
		return (EX_IOERR);
	}
	return (EX_OK);
}

/*
 * At exit: remove the pidfile if the name still leads to ours, then let
 * go of the lock.  A process that gave up root, or is in a chroot, may
 * no longer be able to: then the file is emptied instead, and left
 * unlocked, which marks it stale for the next evecho.  Returns 0 once
 * removed (or with no pidfile), -1 with a sentence in err if it stays.
 */
int
pidfile_remove(struct pidfile *pf, char *err, size_t errlen)
{
	struct stat	 st;
	int		 rc = -1;

	if (pf->fd == -1)
		return (0);
	if (stat(pf->path, &st) == -1)
		snprintf(err, errlen, "cannot remove pidfile %s: %s; emptied "
		    "it instead", pf->path, errno == ENOENT ? "out of sight "
		    "(outside --chroot, or removed)" : strerror(errno));
	else if (st.st_dev != pf->dev || st.st_ino != pf->ino) {
		/* Someone else's file has the name now: leave it alone. */
		snprintf(err, errlen, "pidfile %s was replaced by another "
		    "file: left it alone", pf->path);
		goto done;
	} else if (unlink(pf->path) == -1)
		snprintf(err, errlen, "cannot remove pidfile %s: %s; emptied "
		    "it instead", pf->path, strerror(errno));
	else {
		rc = 0;
		goto done;
	}
	/* An empty file names no process; the lock goes with us. */
	if (ftruncate(pf->fd, 0) == -1)
		snprintf(err, errlen, "cannot remove pidfile %s, nor empty it: "
		    "%s", pf->path, strerror(errno));
done:
	close(pf->fd);
	pidfile_init(pf);
	return (rc);
}

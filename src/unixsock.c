/*
 * unixsock.c: Unix-domain stream listeners as files.
 *
 * Before bind(2), what is at the path decides: nothing, or a socket
 * nobody accepts on (connect(2) is refused: a stale file left by a
 * process that died), and the path is ours; a socket somebody accepts on
 * is refused, and so is anything that is not a socket, which is never
 * removed.  The check and the removal are two steps: two evechos started
 * at the same moment on one path can both find it stale, and the later
 * bind fails with "Address already in use" rather than sharing it.
 *
 * "unix:@name" is an abstract socket (Linux): no file, so no stale file,
 * mode, owner or removal either.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "net.h"
#include "unixsock.h"

static int	unixsock_address(const char *, struct sockaddr_un *,
		    socklen_t *);
static int	unixsock_absolute(const char *, struct unixsock_file *,
		    char *, size_t);
static int	unixsock_clear(const char *, const struct sockaddr_un *,
		    socklen_t, char *, size_t);
static int	unixsock_probe(const struct sockaddr_un *, socklen_t);
static int	unixsock_finish(const char *, const struct unixsock_opts *,
		    struct unixsock_file *, char *, size_t);
static int	unixsock_status(int);
static const char *
		unixsock_kind(mode_t);

/*
 * --unix-owner's names as ids, looked up at start-up as --user's are,
 * while /etc is readable; no group means the user's own.  Returns EX_OK,
 * EX_NOUSER for a name that does not exist, or EX_OSERR; err is set.
 */
int
unixsock_owner(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		/* getpwnam(3): these errno values mean "no such user". */
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM) {
			snprintf(err, errlen, "unknown user '%s' for "
			    "--unix-owner", user);
			return (EX_NOUSER);
		}
		snprintf(err, errlen, "cannot look up user '%s': %s", user,
		    strerror(errno));
		return (EX_OSERR);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group == NULL)
		return (EX_OK);
	errno = 0;
	if ((gr = getgrnam(group)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM) {
			snprintf(err, errlen, "unknown group '%s' for "
			    "--unix-owner", group);
			return (EX_NOUSER);
		}
		snprintf(err, errlen, "cannot look up group '%s': %s", group,
		    strerror(errno));
		return (EX_OSERR);
	}
	*gid = gr->gr_gid;
	return (EX_OK);
}

/*
 * Listen on spec's socket path, replacing a stale socket file there, with
 * the mode and owner of opts.  The descriptor goes to *fd; the file to
 * remove at exit to *file (NULL for an abstract socket), for the caller
 * to free.  Returns EX_OK, or the exit status with err set: EX_OSERR
 * when another process accepts on the path, EX_CANTCREAT when something
 * that is not a socket is there or the path cannot hold a file,
 * EX_NOPERM when permission is denied.
 */
int
unixsock_listen(const struct addr_spec *spec, const struct unixsock_opts *opts,
    int backlog, int *fd, struct unixsock_file **file, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct unixsock_file	*f = NULL;
	socklen_t		 len;
	char			 why[256];
	int			 status;

	*fd = -1;
	*file = NULL;
	if (unixsock_address(spec->path, &sun, &len) == -1) {
		snprintf(err, errlen, "cannot listen on unix:%s: the path is "
		    "too long", spec->path);
		return (EX_USAGE);
	}
	if (spec->path[0] == '@') {
		if ((*fd = net_listen_unix(&sun, len, -1, backlog, why,
		    sizeof why)) == -1) {
			status = unixsock_status(errno);
			snprintf(err, errlen, "cannot listen on unix:%s: %s",
			    spec->path, why);
			return (status);
		}
		return (EX_OK);
	}
	if ((f = calloc(1, sizeof *f)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (EX_OSERR);
	}
	if ((status = unixsock_absolute(spec->path, f, err, errlen)) !=
	    EX_OK ||
	    (status = unixsock_clear(spec->path, &sun, len, err,
	    errlen)) != EX_OK)
		goto fail;
	if ((*fd = net_listen_unix(&sun, len, opts->mode, backlog, why,
	    sizeof why)) == -1) {
		status = unixsock_status(errno);
		snprintf(err, errlen, "cannot listen on unix:%s: %s",
		    spec->path, why);
		goto fail;
	}
	if ((status = unixsock_finish(spec->path, opts, f, err, errlen)) !=
	    EX_OK) {
		close(*fd);
		*fd = -1;
		(void)unlink(spec->path);	/* ours: just bound */
		goto fail;
	}
	*file = f;
	return (EX_OK);

fail:
	free(f);
	return (status);
}

/*
 * Remove the socket file f if it is still the one bound: a newer evecho
 * may have replaced it since, and its file is not ours to remove.
 * Returns 1 removed, 0 left (gone already, or replaced: err says which),
 * -1 on failure with err set.
 */
int
unixsock_remove(const struct unixsock_file *f, char *err, size_t errlen)
{
	struct stat	 st;

	err[0] = '\0';
	if (lstat(f->path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "cannot remove socket file %s: %s",
		    f->path, strerror(errno));
		return (-1);
	}
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		snprintf(err, errlen, "left socket file %s: another file is "
		    "there now", f->path);
		return (0);
	}
	if (unlink(f->path) == -1) {
		snprintf(err, errlen, "cannot remove socket file %s: %s",
		    f->path, strerror(errno));
		return (-1);
	}
	return (1);
}

/*
 * The credentials of fd's peer as the kernel took them at connect(2):
 * 0, or -1 where the system has no SO_PEERCRED.
 */
int
unixsock_peer_cred(int fd, struct unixsock_cred *cred)
{
#ifdef SO_PEERCRED
	struct ucred	 uc;
	socklen_t	 len = sizeof uc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return (-1);
	cred->pid = (long)uc.pid;
	cred->uid = (unsigned long)uc.uid;
	return (0);
#else
	(void)fd;
	(void)cred;
	errno = ENOSYS;
	return (-1);
#endif
}

/* The socket address of path, or of "@name" as an abstract one. */
static int
unixsock_address(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	size_t	 n = strlen(path);

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (n >= sizeof sun->sun_path)
		return (-1);
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@') {
		sun->sun_path[0] = '\0';	/* no NUL after the name */
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		*len = (socklen_t)sizeof *sun;
	return (0);
}

/*
 * The path to remove at exit, made absolute now: a relative one would
 * name another file once the directory changes.
 */
static int
unixsock_absolute(const char *path, struct unixsock_file *f, char *err,
    size_t errlen)
{
	char	 cwd[PATH_MAX];
	int	 n;

	if (path[0] == '/')
		n = snprintf(f->path, sizeof f->path, "%s", path);
	else if (getcwd(cwd, sizeof cwd) == NULL) {
		snprintf(err, errlen, "cannot listen on unix:%s: cannot tell "
		    "the current directory: %s", path, strerror(errno));
		return (EX_OSERR);
	} else
		n = snprintf(f->path, sizeof f->path, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= sizeof f->path) {
		snprintf(err, errlen, "cannot listen on unix:%s: its absolute "
		    "path is too long", path);
		return (EX_CANTCREAT);
	}
	return (EX_OK);
}

/*
 * Make room at path for a new socket: nothing there, or a stale socket,
 * removed.  A live socket, or anything else, stays and is refused.
 */
static int
unixsock_clear(const char *path, const struct sockaddr_un *sun,
    socklen_t len, char *err, size_t errlen)
{
	struct stat	 st;
	int		 why;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return (EX_OK);
		snprintf(err, errlen, "cannot listen on unix:%s: %s", path,
		    strerror(errno));
		return (unixsock_status(errno));
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "cannot listen on unix:%s: it is %s, "
		    "not a socket; evecho removes only stale sockets", path,
		    unixsock_kind(st.st_mode));
		return (EX_CANTCREAT);
	}
	switch ((why = unixsock_probe(sun, len))) {
	case 0:
		break;
	case ECONNREFUSED:
		if (unlink(path) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "cannot listen on unix:%s: "
			    "cannot remove the stale socket: %s", path,
			    strerror(errno));
			return (unixsock_status(errno));
		}
		return (EX_OK);
	case ENOENT:
		return (EX_OK);		/* gone meanwhile */
	case EPROTOTYPE:
		snprintf(err, errlen, "cannot listen on unix:%s: another "
		    "process holds it as a non-stream socket", path);
		return (EX_OSERR);
	default:
		snprintf(err, errlen, "cannot listen on unix:%s: cannot tell "
		    "whether another process accepts on it: %s", path,
		    strerror(why));
		return (unixsock_status(why));
	}
	snprintf(err, errlen, "cannot listen on unix:%s: another process "
	    "accepts on it", path);
	return (EX_OSERR);
}

/*
 * Connect to the socket at sun, without waiting: 0 when somebody
 * listens (a full backlog says so too), else why not, with errno set.
 */
static int
unixsock_probe(const struct sockaddr_un *sun, socklen_t len)
{
	int	 fd, rc, saved_errno;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (errno);
	rc = connect(fd, (const struct sockaddr *)sun, len);
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	if (rc == 0 || saved_errno == EAGAIN || saved_errno == EINPROGRESS)
		return (0);
	return (saved_errno);
}

/*
 * The new file: its owner, its mode if the system did not create it so
 * (Linux does), and its identity, to know it again at exit.  The owner
 * comes after bind(2), but the file is root's and as closed as its mode
 * meanwhile, never more open.
 */
static int
unixsock_finish(const char *path, const struct unixsock_opts *opts,
    struct unixsock_file *f, char *err, size_t errlen)
{
	struct stat	 st;

	if ((opts->uid != (uid_t)-1 || opts->gid != (gid_t)-1) &&
	    fchownat(AT_FDCWD, path, opts->uid, opts->gid,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(err, errlen, "cannot listen on unix:%s: cannot give "
		    "it to --unix-owner: %s", path, strerror(errno));
		return (unixsock_status(errno));
	}
	if (lstat(path, &st) == -1) {
		snprintf(err, errlen, "cannot listen on unix:%s: lstat: %s",
		    path, strerror(errno));
		return (EX_OSERR);
	}
	/* Swapped since bind(2) by someone who can write the directory:
	 * chmod would follow a symbolic link to its target. */
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "cannot listen on unix:%s: the socket "
		    "file was replaced while evecho set it up", path);
		return (EX_CANTCREAT);
	}
	if ((st.st_mode & 07777) != (mode_t)opts->mode &&
	    fchmodat(AT_FDCWD, path, (mode_t)opts->mode, 0) == -1) {
		snprintf(err, errlen, "cannot listen on unix:%s: chmod: %s",
		    path, strerror(errno));
		return (unixsock_status(errno));
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return (EX_OK);
}

/*
 * The exit status for a failure to make the file: no permission is
 * EX_NOPERM; a path that cannot hold it (no such directory, a file
 * where a directory should be, a read-only file system) EX_CANTCREAT.
 */
static int
unixsock_status(int error)
{
	switch (error) {
	case EACCES:
	case EPERM:
		return (EX_NOPERM);
	case ENOENT:
	case ENOTDIR:
	case EROFS:
	case ELOOP:
	case ENAMETOOLONG:
	case EISDIR:
		return (EX_CANTCREAT);
	default:
		return (EX_OSERR);
	}
}

/* What a file that is not a socket is, for the error. */
static const char *
unixsock_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return ("a regular file");
	if (S_ISDIR(mode))
		return ("a directory");
	if (S_ISLNK(mode))
		return ("a symbolic link");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return ("a device");
	return ("a file of another kind");
}

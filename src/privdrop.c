/*
 * privdrop.c: --user and --chroot.  evecho starts as root only to bind a
 * port below 1024; once its listeners are open it becomes the user asked
 * for, in every one of its ids (real, effective and saved, user and group,
 * and the supplementary groups), and then checks that root cannot come
 * back: a process that merely believes it dropped privileges is worse
 * than one that refuses to run.
 */
#include "autoconfig.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "privdrop.h"

#define PRIVDROP_GROUPS_TRIES	4	/* getgrouplist() sizing rounds */

static int	privdrop_groups(struct privdrop *, char *, size_t);
static int	privdrop_errno_status(int);
static int	privdrop_verify(const struct privdrop *, char *, size_t);

/*
 * Look up --user's names while /etc is readable: after a chroot it is
 * not, and a typo should fail before anything is forked or bound.
 * Returns EX_OK, or a sysexits status with one sentence in err.
 */
int
privdrop_resolve(struct privdrop *pd, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	if (pd->user == NULL)
		return (EX_OK);
	errno = 0;
	if ((pw = getpwnam(pd->user)) == NULL) {
		/* getpwnam(3): these errno values mean "no such user". */
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM) {
			snprintf(err, errlen, "unknown user '%s' for --user",
			    pd->user);
			return (EX_NOUSER);
		}
		snprintf(err, errlen, "cannot look up user '%s': %s",
		    pd->user, strerror(errno));
		return (EX_OSERR);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--user %s has uid 0, which keeps every "
		    "privilege: name an unprivileged user", pd->user);
		return (EX_USAGE);
	}
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	if (pd->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(pd->group)) == NULL) {
			if (errno == 0 || errno == ENOENT || errno == ESRCH ||
			    errno == EBADF || errno == EPERM) {
				snprintf(err, errlen, "unknown group '%s' for "
				    "--user", pd->group);
				return (EX_NOUSER);
			}
			snprintf(err, errlen, "cannot look up group '%s': %s",
			    pd->group, strerror(errno));
			return (EX_OSERR);
		}
		pd->gid = gr->gr_gid;
	}
	if (privdrop_groups(pd, err, errlen) == -1)
		return (EX_OSERR);
	pd->resolved = 1;
	return (EX_OK);
}

/*
 * The supplementary groups initgroups(3) would set, listed now so that
 * privdrop_apply() can set them with setgroups(2) inside a chroot.
 */
static int
privdrop_groups(struct privdrop *pd, char *err, size_t errlen)
{
	gid_t	*groups = NULL, *grown;
	int	 n = 16, tries;

	for (tries = 0; tries < PRIVDROP_GROUPS_TRIES; tries++) {
		if ((grown = reallocarray(groups, (size_t)n,
		    sizeof *groups)) == NULL) {
			snprintf(err, errlen, "out of memory");
			free(groups);
			return (-1);
		}
		groups = grown;
		/* -1 when too small, with n set to the size needed. */
		if (getgrouplist(pd->user, pd->gid, groups, &n) != -1) {
			free(pd->groups);
			pd->groups = groups;
			pd->ngroups = n;
			return (0);
		}
	}
	free(groups);
	snprintf(err, errlen, "cannot list the groups of user '%s'", pd->user);
	return (-1);
}

/*
 * Become pd's user, within pd's chroot if any: called once every
 * listener is open and before any thread starts.  Nothing to do without
 * --user.  Returns EX_OK, or a sysexits status with one sentence in err;
 * the caller must then exit, since some ids may already be gone.
 */
int
privdrop_apply(const struct privdrop *pd, char *err, size_t errlen)
{
	const char	*step;
	int		 error;

	if (pd->user == NULL)
		return (EX_OK);
	if (!pd->resolved) {
		snprintf(err, errlen, "--user %s was never looked up",
		    pd->user);
		return (EX_SOFTWARE);
	}
	if (pd->chroot_dir != NULL) {
		if (chroot(pd->chroot_dir) == -1) {
			error = errno;
			snprintf(err, errlen, "cannot chroot to %s: %s",
			    pd->chroot_dir, strerror(error));
			return (privdrop_errno_status(error));
		}
		if (chdir("/") == -1) {
			snprintf(err, errlen, "cannot change to / in chroot "
			    "%s: %s", pd->chroot_dir, strerror(errno));
			return (EX_OSERR);
		}
	}
	/* Groups first: once the uid is gone, so is the right to set them. */
	if (setgroups((size_t)pd->ngroups, pd->groups) == -1)
		step = "setgroups";
	else if (setresgid(pd->gid, pd->gid, pd->gid) == -1)
		step = "setresgid";
	else if (setresuid(pd->uid, pd->uid, pd->uid) == -1)
		step = "setresuid";
	else
		return (privdrop_verify(pd, err, errlen));
	error = errno;
	snprintf(err, errlen, "cannot drop privileges to user %s: %s: %s",
	    pd->user, step, strerror(error));
	return (privdrop_errno_status(error));
}

/* Permission problems are EX_NOPERM; the rest, the system's fault. */
static int
privdrop_errno_status(int error)
{
	return (error == EPERM || error == EACCES ? EX_NOPERM : EX_OSERR);
}

/*
 * Prove the drop: every id is the one asked for, the groups are exactly
 * those listed, and root cannot be had back.  EX_OSERR if any of that
 * fails, for a process that might regain root must not serve.
 */
static int
privdrop_verify(const struct privdrop *pd, char *err, size_t errlen)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid, *have = NULL;
	int	 i, j, n, status = EX_OSERR;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1) {
		snprintf(err, errlen, "cannot read back the ids after dropping "
		    "privileges: %s", strerror(errno));
		return (EX_OSERR);
	}
	if (ruid != pd->uid || euid != pd->uid || suid != pd->uid ||
	    getuid() != pd->uid || geteuid() != pd->uid) {
		snprintf(err, errlen, "dropping privileges to user %s left uids "
		    "%lu, %lu, %lu", pd->user, (unsigned long)ruid,
		    (unsigned long)euid, (unsigned long)suid);
		return (EX_OSERR);
	}
	if (rgid != pd->gid || egid != pd->gid || sgid != pd->gid ||
	    getgid() != pd->gid || getegid() != pd->gid) {
		snprintf(err, errlen, "dropping privileges to user %s left gids "
		    "%lu, %lu, %lu", pd->user, (unsigned long)rgid,
		    (unsigned long)egid, (unsigned long)sgid);
		return (EX_OSERR);
	}
	if ((n = getgroups(0, NULL)) == -1 ||
	    (have = calloc((size_t)n + 1, sizeof *have)) == NULL ||
	    (n = getgroups(n, have)) == -1) {
		snprintf(err, errlen, "cannot read back the groups after "
		    "dropping privileges: %s", strerror(errno));
		goto done;
	}
	/* The kernel keeps the groups sorted: compare as sets. */
	for (i = 0; i < n && n == pd->ngroups; i++) {
		for (j = 0; j < pd->ngroups && pd->groups[j] != have[i]; j++)
			;
		if (j == pd->ngroups)
			break;
	}
	if (n != pd->ngroups || i < n) {
		snprintf(err, errlen, "dropping privileges to user %s left "
		    "supplementary groups other than the user's", pd->user);
		goto done;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		snprintf(err, errlen, "dropped privileges to user %s, yet could "
		    "become root again", pd->user);
		goto done;
	}
	if (pd->gid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		snprintf(err, errlen, "dropped privileges to user %s, yet could "
		    "take group 0 again", pd->user);
		goto done;
	}
	status = EX_OK;
done:
	free(have);
	return (status);
}

/*
 * privdrop.h: giving up root once the listeners are open (--user), with an
 * optional chroot(2) (--chroot), and proving that it cannot be taken back.
 *
 * The names are looked up by privdrop_resolve() while /etc is still
 * there, before any fork or chroot; privdrop_apply() then only makes
 * system calls, so it works inside an empty directory.
 */
#ifndef EVECHO_PRIVDROP_H
#define EVECHO_PRIVDROP_H

#include <sys/types.h>

#include <stddef.h>

struct privdrop {
	char	*user;		/* --user USER; NULL: keep the ids we have */
	char	*group;		/* --user USER:GROUP; NULL: USER's own group */
	char	*chroot_dir;	/* --chroot; NULL: none (needs user) */

	/* Filled by privdrop_resolve(); all freed by config_free(). */
	int	 resolved;	/* the ids below are valid */
	uid_t	 uid;
	gid_t	 gid;
	gid_t	*groups;	/* supplementary groups, as initgroups(3) */
	int	 ngroups;
};

int	privdrop_resolve(struct privdrop *, char *, size_t);
int	privdrop_apply(const struct privdrop *, char *, size_t);

#endif /* EVECHO_PRIVDROP_H */

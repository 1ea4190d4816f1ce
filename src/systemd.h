/*
 * systemd.h: what evecho tells systemd and takes from it: readiness,
 * status and stopping through sd_notify(3), and the listening sockets of
 * socket activation through sd_listen_fds_with_names(3).  Built without
 * libsystemd (configure --without-systemd), every function is a stub: no
 * socket is ever passed in and nobody is notified, so callers need no
 * #ifdef of their own.
 */
#ifndef EVECHO_SYSTEMD_H
#define EVECHO_SYSTEMD_H

#include <stddef.h>

#define SYSTEMD_NAME_MAX	256	/* FileDescriptorName= is up to 255 */

/* A socket passed in: its descriptor, and the name the unit gave it. */
struct systemd_socket {
	int	 fd;
	char	 name[SYSTEMD_NAME_MAX];	/* "unknown" if unnamed */
};

int	systemd_listen_fds(struct systemd_socket **, size_t *, char *,
	    size_t);
void	systemd_close_fds(struct systemd_socket *, size_t, size_t);
int	systemd_notifying(void);
int	systemd_notify(const char *, char *, size_t);

#endif /* EVECHO_SYSTEMD_H */

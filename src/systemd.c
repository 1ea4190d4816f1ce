/*
 * systemd.c: sd_notify(3) and sd_listen_fds_with_names(3), behind
 * functions that take an error buffer, never log and never exit.
 *
 * The sockets of socket activation are taken once, at start-up, and the
 * variables that pass them (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) are
 * unset then, so that nothing evecho might run later takes them for its
 * own.  NOTIFY_SOCKET stays set: evecho notifies until it exits.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "systemd.h"

#ifdef HAVE_LIBSYSTEMD

/*
 * The sockets systemd (or systemd-socket-activate) passed in, as a new
 * array in *out of *n entries (NULL and 0 when there are none), which
 * the caller owns with every descriptor in it.  -1 with err set if the
 * variables that pass them are malformed.
 */
int
systemd_listen_fds(struct systemd_socket **out, size_t *n, char *err,
    size_t errlen)
{
	struct systemd_socket	*socks = NULL;
	char			**names = NULL;
	int			 count, i, rc = 0;

	*out = NULL;
	*n = 0;
	if ((count = sd_listen_fds_with_names(1, &names)) < 0) {
		snprintf(err, errlen, "cannot take the sockets passed in "
		    "(LISTEN_FDS): %s", strerror(-count));
		return (-1);
	}
	if (count == 0)
		goto done;
	if ((socks = calloc((size_t)count, sizeof *socks)) == NULL) {
		snprintf(err, errlen, "out of memory");
		for (i = 0; i < count; i++)
			close(SD_LISTEN_FDS_START + i);
		rc = -1;
		goto done;
	}
	for (i = 0; i < count; i++) {
		socks[i].fd = SD_LISTEN_FDS_START + i;
		snprintf(socks[i].name, sizeof socks[i].name, "%s",
		    names != NULL && names[i] != NULL ? names[i] : "unknown");
	}
	*out = socks;
	*n = (size_t)count;
done:
	for (i = 0; names != NULL && i < count; i++)
		free(names[i]);
	free(names);
	return (rc);
}

/*
 * Whether anyone listens for notifications: NOTIFY_SOCKET is set, as
 * systemd sets it for a Type=notify service.  Saves a timer otherwise.
 */
int
systemd_notifying(void)
{
	const char	*sock = getenv("NOTIFY_SOCKET");

	return (sock != NULL && *sock != '\0');
}

/*
 * Send state ("READY=1", "STATUS=...", newline-separated) to systemd: 1
 * sent, 0 nobody listens, -1 with err set if sending failed.
 */
int
systemd_notify(const char *state, char *err, size_t errlen)
{
	const char	*sock;
	int		 r;

	if ((r = sd_notify(0, state)) < 0) {
		sock = getenv("NOTIFY_SOCKET");
		snprintf(err, errlen, "cannot notify systemd at NOTIFY_SOCKET "
		    "%s: %s", sock != NULL ? sock : "(unset)", strerror(-r));
		return (-1);
	}
	return (r > 0);
}

#else /* !HAVE_LIBSYSTEMD */

/* Without libsystemd no socket is taken: there are none. */
int
systemd_listen_fds(struct systemd_socket **out, size_t *n, char *err,
    size_t errlen)
{
	(void)err;
	(void)errlen;
	*out = NULL;
	*n = 0;
	return (0);
}

/* Without libsystemd nobody is notified. */
int
systemd_notifying(void)
{
	return (0);
}

/* Without libsystemd nobody is notified. */
int
systemd_notify(const char *state, char *err, size_t errlen)
{
	(void)state;
	(void)err;
	(void)errlen;
	return (0);
}

#endif /* HAVE_LIBSYSTEMD */

/*
 * Close the descriptors of socks[from..n) and free the array: what a
 * failed start-up had not yet handed to the acceptor.
 */
void
systemd_close_fds(struct systemd_socket *socks, size_t from, size_t n)
{
	size_t	 i;

	for (i = from; i < n; i++)
		close(socks[i].fd);
	free(socks);
}

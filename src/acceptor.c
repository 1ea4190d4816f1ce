/*
 * acceptor.c: the listening sockets and the accept path, on the
 * acceptor's event loop (the main thread).
 *
 * One acceptor serves every listener.  It accepts while fewer than
 * max_conns connections are open anywhere; at the limit it disables the
 * listeners, so pending clients wait in the kernel's backlog instead of
 * being accepted and dropped, and the loop never spins on a listener it
 * cannot serve.  An accept error such as EMFILE pauses accepting for a
 * second, for the same reason.  A host over --max-conns-per-host is
 * accepted and closed at once: leaving it in the backlog would stall
 * every other client behind it.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "addr.h"
#include "clock.h"
#include "config.h"
#include "hostcap.h"
#include "acceptor.h"
#include "log.h"
#include "net.h"
#include "unixsock.h"

#define ACCEPT_BACKOFF_SEC	1	/* pause after EMFILE and the like */
#define LIMIT_WARN_INTERVAL	60	/* seconds between limit warnings */

/* What acceptor_take() needs to add the sockets of one listen address. */
struct acceptor_take_ctx {
	struct acceptor		*acc;
	const struct addr_spec	*spec;
};

static int	acceptor_take(evutil_socket_t, void *, char *, size_t);
static int	acceptor_listen_unix(struct acceptor *,
		    const struct addr_spec *, char *, size_t);
static void	acceptor_unlink(struct acceptor *, struct listener *);
static int	acceptor_add(struct acceptor *, evutil_socket_t, char *,
		    size_t);
static int	acceptor_admit(struct acceptor *, evutil_socket_t,
		    const struct sockaddr *, struct hostcap_entry **);
static void	acceptor_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	acceptor_error_cb(struct evconnlistener *, void *);
static void	acceptor_backoff_cb(evutil_socket_t, short, void *);
static void	acceptor_close(struct acceptor *);

/*
 * Prepare an acceptor on base, with no listener yet.  nconns is the count
 * of open connections that the workers decrement as they close them;
 * hand_off receives each accepted socket.
 */
int
acceptor_init(struct acceptor *acc, const struct config *cfg,
    struct event_base *base, atomic_uint *nconns,
    acceptor_hand_off_fn hand_off, void *arg, char *err, size_t errlen)
{
	memset(acc, 0, sizeof *acc);
	acc->cfg = cfg;
	acc->base = base;
	acc->nconns = nconns;
	acc->hand_off = hand_off;
	acc->arg = arg;
	if (stats_accept_init(&acc->stats) == -1) {
		snprintf(err, errlen, "cannot set up the accept counters: %s",
		    strerror(errno));
		return (-1);
	}
	if ((acc->backoff_timer = evtimer_new(base, acceptor_backoff_cb,
	    acc)) == NULL) {
		snprintf(err, errlen, "cannot create the accept timer");
		return (-1);
	}
	if (cfg->max_conns_per_host > 0 && (acc->hosts =
	    hostcap_new(cfg->max_conns_per_host)) == NULL) {
		snprintf(err, errlen, "cannot create the per-host table: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Listen on every address spec resolves to (net_listen_spec()).
 * Listeners stay disabled until acceptor_start().  Returns EX_OK or the
 * exit status for the failure, with err set.
 */
int
acceptor_listen(struct acceptor *acc, const struct addr_spec *spec,
    char *err, size_t errlen)
{
	struct acceptor_take_ctx	 ctx = { acc, spec };
	char				 name[ADDR_STRLEN];

	if (spec->kind == ADDR_UDP) {	/* udp_open()'s, never here */
		addr_spec_format(spec, name, sizeof name);
		snprintf(err, errlen, "listen address '%s' is not a stream "
		    "listener", name);
		return (EX_SOFTWARE);
	}
	if (spec->kind == ADDR_UNIX)
		return (acceptor_listen_unix(acc, spec, err, errlen));
	return (net_listen_spec(spec, acc->cfg->backlog, acceptor_take, &ctx,
	    err, errlen));
}

/*
 * Listen on a Unix-domain socket path (unixsock.c), with the mode and
 * owner of --unix-mode and --unix-owner; the listener removes its file
 * when it closes.
 */
static int
acceptor_listen_unix(struct acceptor *acc, const struct addr_spec *spec,
    char *err, size_t errlen)
{
	const struct config	*cfg = acc->cfg;
	struct unixsock_opts	 opts = { cfg->unix_mode, (uid_t)-1,
				    (gid_t)-1 };
	struct unixsock_file	*file;
	struct listener		*l;
	int			 fd, status;

	if (cfg->unix_owner != NULL && (status = unixsock_owner(
	    cfg->unix_owner, cfg->unix_group, &opts.uid, &opts.gid, err,
	    errlen)) != EX_OK)
		return (status);
	if ((status = unixsock_listen(spec, &opts, cfg->backlog, &fd, &file,
	    err, errlen)) != EX_OK)
		return (status);
	if (acceptor_add(acc, fd, err, errlen) == -1) {
		if (file != NULL)
			(void)unlink(file->path);	/* ours: just bound */
		free(file);
		return (EX_OSERR);
	}
	l = &acc->listeners[acc->nlisteners - 1];
	l->options = spec->options;
	l->file = file;
	return (EX_OK);
}

/* net_listen_spec() hands over each listening socket: add it, as spec. */
static int
acceptor_take(evutil_socket_t fd, void *arg, char *err, size_t errlen)
{
	struct acceptor_take_ctx	*ctx = arg;
	struct acceptor			*acc = ctx->acc;

	if (acceptor_add(acc, fd, err, errlen) == -1)
		return (-1);
	acc->listeners[acc->nlisteners - 1].options = ctx->spec->options;
	return (0);
}

/*
 * Take a socket passed in (socket activation) as a listener, under the
 * name its unit gave it.  It must be a listening stream socket, TCP or
 * Unix-domain (whose file is systemd's: never removed here): a
 * datagram socket, or a connection (Accept=yes), would be misread, so it is
 * refused with EX_CONFIG.  It is made non-blocking and close-on-exec
 * here, whatever the passer left.  The acceptor owns fd from here on,
 * and closes it on failure.  Returns EX_OK or the exit status, err set.
 */
int
acceptor_adopt(struct acceptor *acc, int fd, const char *name, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	char			 what[96];
	socklen_t		 len;
	int			 flags, listening, type, status = EX_CONFIG;

	snprintf(what, sizeof what, "socket %d passed in as '%s'", fd, name);
	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		if (errno == ENOTSOCK)
			snprintf(err, errlen, "%s is not a socket", what);
		else {
			snprintf(err, errlen, "%s: cannot read its type: %s",
			    what, strerror(errno));
			status = EX_OSERR;
		}
		goto fail;
	}
	if (type != SOCK_STREAM) {
		snprintf(err, errlen, "%s is a %s socket: evecho takes "
		    "listening TCP sockets only (ListenStream=)", what,
		    type == SOCK_DGRAM ? "datagram" : type == SOCK_SEQPACKET ?
		    "sequenced-packet" : "non-stream");
		goto fail;
	}
	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "%s: getsockname: %s", what,
		    strerror(errno));
		status = EX_OSERR;
		goto fail;
	}
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 &&
	    ss.ss_family != AF_UNIX) {
		snprintf(err, errlen, "%s is a socket of address family %d: "
		    "evecho takes listening TCP and Unix-domain sockets only "
		    "(ListenStream=)", what, ss.ss_family);
		goto fail;
	}
	len = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &len) == -1) {
		snprintf(err, errlen, "%s: cannot tell if it listens: %s", what,
		    strerror(errno));
		status = EX_OSERR;
		goto fail;
	}
	if (!listening) {
		snprintf(err, errlen, "%s is not listening: evecho takes "
		    "listening TCP sockets only (Accept=no)", what);
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    (flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "%s: fcntl: %s", what, strerror(errno));
		status = EX_OSERR;
		goto fail;
	}
	if (acceptor_add(acc, fd, err, errlen) == -1)
		return (EX_OSERR);
	l = &acc->listeners[acc->nlisteners - 1];
	snprintf(l->passed_as, sizeof l->passed_as, "%s", name);
	return (EX_OK);

fail:
	evutil_closesocket(fd);
	return (status);
}

/*
 * Wrap a listening socket in a disabled evconnlistener; it owns fd from
 * here on.  The array of listeners only grows before accepting starts, so
 * the pointers connections keep to them stay valid.
 */
static int
acceptor_add(struct acceptor *acc, evutil_socket_t fd, char *err,
    size_t errlen)
{
	struct listener		*grown, *l;
	struct sockaddr_storage	 ss;
	size_t			 i;

	grown = reallocarray(acc->listeners, acc->nlisteners + 1,
	    sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		evutil_closesocket(fd);
		return (-1);
	}
	acc->listeners = grown;
	for (i = 0; i < acc->nlisteners; i++)	/* the array moved */
		evconnlistener_set_cb(acc->listeners[i].lev,
		    acceptor_accept_cb, &acc->listeners[i]);
	l = &acc->listeners[acc->nlisteners];
	memset(l, 0, sizeof *l);
	l->acceptor = acc;
	l->index = (unsigned)acc->nlisteners;

	/* Port 0 binds an ephemeral port: report the real one. */
	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		evutil_closesocket(fd);
		return (-1);
	}
	addr_format((struct sockaddr *)&ss, l->name, sizeof l->name);

	/* Backlog 0: the socket is already listening. */
	l->lev = evconnlistener_new(acc->base, acceptor_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
	    0, fd);
	if (l->lev == NULL) {
		snprintf(err, errlen, "cannot listen on %s: cannot create "
		    "its listener", l->name);
		evutil_closesocket(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(l->lev, acceptor_error_cb);
	acc->nlisteners++;
	return (0);
}

/* Accept up to max_conns connections at once from now on. */
void
acceptor_start(struct acceptor *acc, unsigned max_conns)
{
	acc->max_conns = max_conns;
	acc->started = 1;
	acceptor_update(acc);
}

/*
 * Accept while there is room, no accept error is being waited out and no
 * shutdown has begun.  Call whenever one of those may have changed.
 */
void
acceptor_update(struct acceptor *acc)
{
	size_t	 i;
	int	 want;

	want = acc->started && !acc->stopped && !acc->backoff &&
	    atomic_load(acc->nconns) < acc->max_conns;
	if (want == acc->accepting)
		return;
	for (i = 0; i < acc->nlisteners; i++) {
		if ((want ? evconnlistener_enable(acc->listeners[i].lev) :
		    evconnlistener_disable(acc->listeners[i].lev)) == -1)
			log_error("cannot %s accepting on %s", want ?
			    "resume" : "pause", acc->listeners[i].name);
	}
	acc->accepting = want;

	/* Counted and timed, for the stats. */
	stats_limit_pause(&acc->stats, !want && !acc->stopped &&
	    !acc->backoff, clock_coarse_ms());
	if (!want && !acc->stopped && !acc->backoff) {
		time_t now = time(NULL);

		if (now - acc->limit_warned >= LIMIT_WARN_INTERVAL) {
			log_warn("connection limit of %u reached; new clients "
			    "wait in the backlog", acc->max_conns);
			acc->limit_warned = now;
		} else
			log_msg(LOGLV_CONN, "connection limit of %u reached",
			    acc->max_conns);
	} else if (want && acc->paused_once)
		log_msg(LOGLV_CONN, "accepting again (%u open)",
		    atomic_load(acc->nconns));
	if (!want)
		acc->paused_once = 1;
}

/*
 * Shutdown: close every listening socket, so that new clients are refused
 * rather than left in a backlog nobody will read.  The listeners' records
 * stay, for the connections that came from them.
 */
void
acceptor_stop(struct acceptor *acc)
{
	acc->stopped = 1;
	stats_limit_pause(&acc->stats, 0, clock_coarse_ms());
	acceptor_close(acc);
}

/* Free everything; no connection may still refer to a listener. */
void
acceptor_free(struct acceptor *acc)
{
	acceptor_close(acc);
	free(acc->listeners);
	acc->listeners = NULL;
	acc->nlisteners = 0;
	if (acc->backoff_timer != NULL)
		event_free(acc->backoff_timer);
	acc->backoff_timer = NULL;
	hostcap_free(acc->hosts);
	acc->hosts = NULL;
	stats_accept_free(&acc->stats);
}

static void
acceptor_close(struct acceptor *acc)
{
	size_t	 i;

	for (i = 0; i < acc->nlisteners; i++) {
		/*
		 * The file first: while the socket is open its inode cannot
		 * be reused, so the device and inode still tell ours from
		 * a new evecho's at the same path.
		 */
		acceptor_unlink(acc, &acc->listeners[i]);
		if (acc->listeners[i].lev != NULL)
			evconnlistener_free(acc->listeners[i].lev);
		acc->listeners[i].lev = NULL;
	}
	acc->accepting = 0;
}

/*
 * A closed listener's socket file goes with it, if it is still ours.
 * Not with --chroot: the path is outside the new root, and the next
 * start replaces the file as stale.  Failing to remove it (after
 * --user, the directory may be root's) is worth a warning, no more.
 */
static void
acceptor_unlink(struct acceptor *acc, struct listener *l)
{
	char	 why[PATH_MAX + 64];

	if (l->file == NULL)
		return;
	if (acc->cfg->priv.chroot_dir == NULL) {
		switch (unixsock_remove(l->file, why, sizeof why)) {
		case -1:
			log_warn("%s", why);
			break;
		case 0:
			if (why[0] != '\0')
				log_msg(LOGLV_INFO, "%s", why);
			break;
		}
	}
	free(l->file);
	l->file = NULL;
}

/*
 * Whether to serve a socket just accepted: 0 yes, with its host's entry
 * (NULL when hosts are not counted) in *host; -1 no, and it was closed.
 */
static int
acceptor_admit(struct acceptor *acc, evutil_socket_t fd,
    const struct sockaddr *sa, struct hostcap_entry **host)
{
	char		 name[ADDR_STRLEN], note[80];
	unsigned long	 held;

	*host = NULL;
	if (acc->hosts == NULL)
		return (0);
	switch (hostcap_take(acc->hosts, sa, host)) {
	case HOSTCAP_OK:
		return (0);
	case HOSTCAP_FULL:
		stats_add(&acc->stats.refused_per_host, 1);
		/* Once a minute per host, and once per flood for them all. */
		if (hostcap_should_warn(*host, time(NULL)) &&
		    log_flood_pass(&acc->host_warnings, &held)) {
			hostcap_name(*host, name, sizeof name);
			log_warn("host %s is at --max-conns-per-host %u; "
			    "closing its new connections (%lu so far)%s", name,
			    acc->cfg->max_conns_per_host,
			    hostcap_refused(*host), log_flood_note(held, note,
			    sizeof note));
		} else if (log_enabled(LOGLV_CONN))
			log_msg(LOGLV_CONN, "%s refused: its host is at "
			    "--max-conns-per-host",
			    addr_format(sa, name, sizeof name));
		break;
	default:
		if (log_flood_pass(&acc->oom_errors, &held))
			log_error("cannot count the connections of %s: out of "
			    "memory; closing it%s", addr_format(sa, name,
			    sizeof name), log_flood_note(held, note,
			    sizeof note));
		break;
	}
	*host = NULL;
	evutil_closesocket(fd);
	return (-1);
}

static void
acceptor_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener		*l = arg;
	struct acceptor		*acc = l->acceptor;
	struct handoff		 h;

	(void)lev;
	h.host = NULL;
	/* A Unix-domain client has no host to cap, and no Nagle delay. */
	if (sa->sa_family != AF_UNIX) {
		if (acceptor_admit(acc, fd, sa, &h.host) == -1)
			return;
		if (net_set_nodelay(fd) == -1 && log_enabled(LOGLV_CONN)) {
			char peer[ADDR_STRLEN];

			log_msg(LOGLV_CONN, "%s: cannot set TCP_NODELAY: %s",
			    addr_format(sa, peer, sizeof peer),
			    strerror(errno));
		}
	}
	h.fd = fd;
	h.from = l;
	h.salen = salen > 0 && (size_t)salen <= sizeof h.ss ?
	    (socklen_t)salen : 0;
	memset(&h.ss, 0, sizeof h.ss);
	memcpy(&h.ss, sa, h.salen);
	/* Counted now, so the limit holds; the worker counts it out. */
	atomic_fetch_add(acc->nconns, 1);
	acc->hand_off(&h, acc->arg);
	acceptor_update(acc);
}

/*
 * accept() failed for a reason libevent does not retry by itself (EMFILE,
 * ENFILE, ENOBUFS...).  The pending connection stays readable, so keeping
 * the listener on would spin: pause accepting for a moment instead.
 */
static void
acceptor_error_cb(struct evconnlistener *lev, void *arg)
{
	struct listener		*l = arg;
	struct acceptor		*acc = l->acceptor;
	const struct timeval	 backoff = { ACCEPT_BACKOFF_SEC, 0 };
	int			 err = EVUTIL_SOCKET_ERROR();
	unsigned long		 held;
	char			 note[80];

	(void)lev;
	stats_add(&acc->stats.accept_errors, 1);
	if (log_flood_pass(&acc->accept_errors, &held))
		log_error("accept on %s failed: %s; pausing accepts for %d "
		    "s%s", l->name, evutil_socket_error_to_string(err),
		    ACCEPT_BACKOFF_SEC, log_flood_note(held, note,
		    sizeof note));
	acc->backoff = 1;
	acceptor_update(acc);
	if (evtimer_add(acc->backoff_timer, &backoff) == -1) {
		log_error("cannot arm the accept back-off timer");
		acc->backoff = 0;
		acceptor_update(acc);
	}
}

static void
acceptor_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor	*acc = arg;

	(void)fd;
	(void)what;
	acc->backoff = 0;
	acceptor_update(acc);
}

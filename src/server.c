/*
 * server.c: the acceptor and control loop, in the main thread: one
 * evconnlistener per listening address, the connection limit, accept
 * errors, the workers (one per --threads, each with its own event loop
 * and thread; a single worker shares this loop), and shutdown on SIGINT
 * or SIGTERM: close the listeners, let every connection finish its echo
 * for up to --drain-timeout, then exit.
 *
 * One acceptor hands each accepted socket to a worker in turn.  This keeps
 * the limit exact and the listeners in one place: closing them at shutdown
 * refuses new clients at once, and a second evecho on the same port fails
 * instead of silently sharing it, as SO_REUSEPORT listeners would.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "mailbox.h"
#include "net.h"
#include "server.h"
#include "worker.h"

#define ACCEPT_BACKOFF_SEC	1	/* pause after EMFILE and the like */
#define LIMIT_WARN_INTERVAL	60	/* seconds between limit warnings */

/* What workers ask of the acceptor through its mailbox. */
#define CONTROL_ACCEPT		0x1	/* a slot freed at the limit */
#define CONTROL_DONE		0x2	/* a worker has finished */

struct listener {
	struct evconnlistener	*lev;
	char			 name[ADDR_STRLEN];	/* real address */
};

struct server {
	const struct config	*cfg;
	struct event_base	*base;		/* acceptor and control */
	struct worker_group	 group;
	struct worker		*workers;
	unsigned		 nworkers;	/* initialised so far */
	unsigned		 next_worker;	/* round robin */
	struct mailbox		 control;	/* from the workers */
	int			 control_ready;
	struct listener		*listeners;
	size_t			 nlisteners;
	struct event		*sigint_ev;
	struct event		*sigterm_ev;
	struct event		*drain_timer;	/* ends the drain */
	struct event		*backoff_timer;	/* ends an accept pause */
	int			 accepting;	/* listeners enabled */
	int			 backoff;	/* accept failed; waiting */
	int			 stopping;	/* a signal asked us to stop */
	time_t			 limit_warned;	/* last limit warning */
};

static struct event_base *
		server_new_base(const char *, int *, char *, size_t);
static struct event_base *
		server_new_base_only(const char *);
static void	server_backends_available(char *, size_t);
static int	server_listen(struct server *, const struct addr_spec *,
		    char *, size_t);
static int	server_add_listener(struct server *, evutil_socket_t,
		    char *, size_t);
static int	server_set_conn_limit(struct server *, char *, size_t);
static int	server_fit_select(struct server *, struct rlimit *, rlim_t,
		    char *, size_t);
static int	server_new_workers(struct server *, int *, char *, size_t);
static int	server_start_workers(struct server *, char *, size_t);
static void	server_post_all(struct server *, unsigned);
static void	server_control_cb(unsigned, void *);
static void	server_slot_freed(void *);
static void	server_worker_done(void *);
static void	server_update_accepting(struct server *);
static void	server_close_listeners(struct server *);
static void	server_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	server_accept_error_cb(struct evconnlistener *, void *);
static void	server_backoff_cb(evutil_socket_t, short, void *);
static void	server_signal_cb(evutil_socket_t, short, void *);
static void	server_drain_timeout_cb(evutil_socket_t, short, void *);
static const char *
		seconds(unsigned, char *, size_t);

/*
 * Build the whole service from cfg: event loop, listeners, limits and
 * signal handling.  Returns EX_OK, or a sysexits status with one sentence
 * in err; on failure everything opened so far is closed again.
 */
int
server_open(struct server **out, const struct config *cfg, char *err,
    size_t errlen)
{
	struct server	*srv;
	char		 idle[32];
	size_t		 i;
	int		 status = EX_OSERR;

	*out = NULL;
	if ((srv = calloc(1, sizeof *srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (EX_OSERR);
	}
	srv->cfg = cfg;
	srv->group.cfg = cfg;
	atomic_init(&srv->group.nconns, 0);
	atomic_init(&srv->group.running, 0);
	atomic_init(&srv->group.cut_conns, 0);
	atomic_init(&srv->group.cut_bytes, 0);
	srv->group.slot_freed = server_slot_freed;
	srv->group.worker_done = server_worker_done;
	srv->group.arg = srv;
	if ((srv->base = server_new_base(cfg->backend, &status, err,
	    errlen)) == NULL)
		goto fail;
	status = EX_OSERR;
	if (mailbox_init(&srv->control, srv->base, server_control_cb,
	    srv) == -1) {
		snprintf(err, errlen, "cannot create the control pipe: %s",
		    strerror(errno));
		goto fail;
	}
	srv->control_ready = 1;
	for (i = 0; i < cfg->nlisten; i++) {
		if ((status = server_listen(srv, &cfg->listen[i], err,
		    errlen)) != EX_OK)
			goto fail;
	}
	status = EX_OSERR;
	if (server_set_conn_limit(srv, err, errlen) == -1)
		goto fail;
	if ((status = server_new_workers(srv, &status, err, errlen)) != EX_OK)
		goto fail;
	status = EX_OSERR;

	srv->sigint_ev = evsignal_new(srv->base, SIGINT, server_signal_cb,
	    srv);
	srv->sigterm_ev = evsignal_new(srv->base, SIGTERM, server_signal_cb,
	    srv);
	srv->drain_timer = evtimer_new(srv->base, server_drain_timeout_cb,
	    srv);
	srv->backoff_timer = evtimer_new(srv->base, server_backoff_cb, srv);
	if (srv->sigint_ev == NULL || srv->sigterm_ev == NULL ||
	    srv->drain_timer == NULL || srv->backoff_timer == NULL ||
	    event_add(srv->sigint_ev, NULL) == -1 ||
	    event_add(srv->sigterm_ev, NULL) == -1) {
		snprintf(err, errlen, "cannot set up signal handling");
		goto fail;
	}
	if (server_start_workers(srv, err, errlen) == -1)
		goto fail;

	for (i = 0; i < srv->nlisteners; i++)
		log_msg(LOG_INFO, "listening on %s", srv->listeners[i].name);
	log_msg(LOG_INFO, "evecho %s ready: libevent %s, backend %s, "
	    "%u thread%s, up to %u connection%s, queue %zu B each, idle "
	    "timeout %s", PACKAGE_VERSION, event_get_version(),
	    event_base_get_method(srv->base), srv->nworkers,
	    srv->nworkers == 1 ? "" : "s", srv->group.max_conns,
	    srv->group.max_conns == 1 ? "" : "s", cfg->max_queue,
	    cfg->idle_timeout_ms == 0 ? "off" : seconds(cfg->idle_timeout_ms,
	    idle, sizeof idle));
	srv->accepting = 1;
	*out = srv;
	return (EX_OK);

fail:
	server_free(srv);
	return (status);
}

/* Run until shut down and every worker has finished; the exit status. */
int
server_run(struct server *srv)
{
	if (event_base_dispatch(srv->base) == -1) {
		log_error("event loop failed");
		return (EX_SOFTWARE);
	}
	log_msg(LOG_INFO, "stopped");
	return (EX_OK);
}

/*
 * Tear down in the reverse order of server_open().  Workers still running
 * (after a failure) are told to close everything, then joined.
 */
void
server_free(struct server *srv)
{
	unsigned	 i;

	if (srv == NULL)
		return;
	server_post_all(srv, WORKER_CLOSE_ALL);
	for (i = 0; i < srv->nworkers; i++)
		worker_join(&srv->workers[i]);
	srv->group.slot_freed = NULL;	/* nobody to tell any more */
	srv->group.worker_done = NULL;
	for (i = 0; i < srv->nworkers; i++)
		worker_free(&srv->workers[i]);
	free(srv->workers);
	if (srv->backoff_timer != NULL)
		event_free(srv->backoff_timer);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	if (srv->sigterm_ev != NULL)
		event_free(srv->sigterm_ev);
	if (srv->sigint_ev != NULL)
		event_free(srv->sigint_ev);
	server_close_listeners(srv);
	free(srv->listeners);
	if (srv->control_ready)
		mailbox_free(&srv->control);
	if (srv->base != NULL)
		event_base_free(srv->base);
	free(srv);
}

/*
 * One worker per --threads.  A single worker shares the acceptor's loop
 * and thread; several get an event loop each, on the same backend.
 */
static int
server_new_workers(struct server *srv, int *status, char *err,
    size_t errlen)
{
	const struct config	*cfg = srv->cfg;
	struct event_base	*base;
	unsigned		 i, n = cfg->threads;

	*status = EX_OSERR;
	if ((srv->workers = calloc(n, sizeof *srv->workers)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (*status);
	}
	for (i = 0; i < n; i++) {
		if (n == 1)
			base = srv->base;
		else if ((base = server_new_base(cfg->backend, status, err,
		    errlen)) == NULL)
			return (*status);
		if (worker_init(&srv->workers[i], i, &srv->group, base,
		    n > 1) == -1) {
			snprintf(err, errlen, "cannot set up worker %u: %s", i,
			    strerror(errno));
			srv->nworkers = i + 1;	/* worker_free() frees base */
			return (*status);
		}
		srv->nworkers = i + 1;
		atomic_fetch_add(&srv->group.running, 1);
	}
	return (EX_OK);
}

/*
 * Start the worker threads.  They block SIGINT and SIGTERM, so that the
 * signals reach the main thread, whose loop handles them.
 */
static int
server_start_workers(struct server *srv, char *err, size_t errlen)
{
	sigset_t	 block, old;
	unsigned	 i;
	int		 rc = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if ((errno = pthread_sigmask(SIG_BLOCK, &block, &old)) != 0) {
		snprintf(err, errlen, "pthread_sigmask: %s", strerror(errno));
		return (-1);
	}
	for (i = 0; i < srv->nworkers && rc == 0; i++) {
		if ((rc = worker_start(&srv->workers[i])) == -1)
			snprintf(err, errlen, "cannot start worker %u: %s", i,
			    strerror(errno));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (rc);
}

/* Post commands to every worker. */
static void
server_post_all(struct server *srv, unsigned commands)
{
	unsigned	 i;

	for (i = 0; i < srv->nworkers; i++)
		worker_post(&srv->workers[i], commands);
}

/* From a worker's thread: a slot freed at the limit. */
static void
server_slot_freed(void *arg)
{
	struct server	*srv = arg;

	mailbox_post(&srv->control, CONTROL_ACCEPT);
}

/* From a worker's thread: it has drained and stopped. */
static void
server_worker_done(void *arg)
{
	struct server	*srv = arg;

	mailbox_post(&srv->control, CONTROL_DONE);
}

/* Requests from the workers, run on the acceptor's loop. */
static void
server_control_cb(unsigned commands, void *arg)
{
	struct server		*srv = arg;
	struct worker_group	*g = &srv->group;
	unsigned		 cut;

	if (commands & CONTROL_ACCEPT)
		server_update_accepting(srv);
	if (!(commands & CONTROL_DONE) || atomic_load(&g->running) > 0)
		return;
	if ((cut = atomic_load(&g->cut_conns)) > 0)
		log_warn("drain timeout: closed %u connection%s, %llu B of "
		    "echo not sent", cut, cut == 1 ? "" : "s",
		    (unsigned long long)atomic_load(&g->cut_bytes));
	event_base_loopexit(srv->base, NULL);
}

/*
 * An event base on the requested backend, or libevent's best.  With -B
 * every other method is avoided and libevent's EVENT_NO* switches are
 * ignored, so the choice is exactly what the user asked for.
 */
static struct event_base *
server_new_base(const char *backend, int *status, char *err, size_t errlen)
{
	struct event_base	*base;
	char			 avail[128];

	*status = EX_OSERR;
	if ((base = server_new_base_only(backend)) != NULL &&
	    (backend == NULL || strcmp(event_base_get_method(base),
	    backend) == 0))
		return (base);
	if (base != NULL)
		event_base_free(base);
	if (backend == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return (NULL);
	}
	server_backends_available(avail, sizeof avail);
	*status = EX_UNAVAILABLE;
	snprintf(err, errlen, "backend '%s' is not available on this system "
	    "(available: %s)", backend, avail[0] != '\0' ? avail : "none");
	return (NULL);
}

/*
 * An event base on backend, every other method avoided and libevent's
 * EVENT_NO* switches ignored; or libevent's own choice for NULL.  The
 * methods are named here rather than asked of event_get_supported_methods,
 * whose answer libevent keeps allocated until exit.
 */
static struct event_base *
server_new_base_only(const char *backend)
{
	static const char *const methods[] = { "epoll", "poll", "select",
	    "kqueue", "devpoll", "evport", "win32", NULL };
	struct event_config	*ecfg;
	struct event_base	*base = NULL;
	int			 i;

	if ((ecfg = event_config_new()) == NULL)
		return (NULL);
	if (backend != NULL) {
		for (i = 0; methods[i] != NULL; i++) {
			if (strcmp(methods[i], backend) != 0 &&
			    event_config_avoid_method(ecfg, methods[i]) == -1)
				goto done;
		}
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_IGNORE_ENV);
	}
	base = event_base_new_with_config(ecfg);
done:
	event_config_free(ecfg);
	return (base);
}

/* The backends -B could use here, for the message when one cannot. */
static void
server_backends_available(char *buf, size_t len)
{
	static const char *const backends[] = { "epoll", "poll", "select",
	    NULL };
	struct event_base	*base;
	int			 i;

	buf[0] = '\0';
	for (i = 0; backends[i] != NULL; i++) {
		if ((base = server_new_base_only(backends[i])) == NULL)
			continue;
		if (strcmp(event_base_get_method(base), backends[i]) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    buf[0] != '\0' ? ", " : "", backends[i]);
		event_base_free(base);
	}
}

/*
 * Listen on every address spec resolves to.  For the wildcard, a family
 * the system does not support (no IPv6) is skipped as long as another
 * family works.  Returns EX_OK or the exit status for the failure.
 */
static int
server_listen(struct server *srv, const struct addr_spec *spec, char *err,
    size_t errlen)
{
	struct evutil_addrinfo	*res, *ai, *prev;
	char			 what[ADDR_STRLEN + ADDR_HOST_MAX];
	char			 why[256];
	size_t			 opened = 0;
	int			 fd, status = EX_OK;

	switch (addr_resolve(spec, &res, err, errlen)) {
	case ADDR_OK:
		break;
	case ADDR_NOHOST:
		return (EX_NOHOST);
	case ADDR_TEMPFAIL:
		return (EX_TEMPFAIL);
	default:
		return (EX_OSERR);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* Resolvers may list an address twice; bind it once. */
		for (prev = res; prev != ai; prev = prev->ai_next) {
			if (prev->ai_addrlen == ai->ai_addrlen &&
			    memcmp(prev->ai_addr, ai->ai_addr,
			    ai->ai_addrlen) == 0)
				break;
		}
		if (prev != ai)
			continue;

		addr_format(ai->ai_addr, what, sizeof what);
		fd = net_listen(ai->ai_addr, (socklen_t)ai->ai_addrlen,
		    srv->cfg->backlog, why, sizeof why);
		if (fd == -1) {
			if (errno == EAFNOSUPPORT && spec->host[0] == '\0')
				continue;
			status = (errno == EACCES || errno == EPERM) ?
			    EX_NOPERM : EX_OSERR;
			snprintf(err, errlen, "cannot listen on %s: %s", what,
			    why);
			goto done;
		}
		if (server_add_listener(srv, fd, err, errlen) == -1) {
			status = EX_OSERR;
			goto done;
		}
		opened++;
	}
	if (opened == 0) {
		addr_spec_format(spec, what, sizeof what);
		snprintf(err, errlen, "cannot listen on %s: no usable address",
		    what);
		status = EX_OSERR;
	}
done:
	evutil_freeaddrinfo(res);
	return (status);
}

/* Wrap a listening socket in an evconnlistener; it owns fd from here on. */
static int
server_add_listener(struct server *srv, evutil_socket_t fd, char *err,
    size_t errlen)
{
	struct listener		*grown, *l;
	struct sockaddr_storage	 ss;

	grown = reallocarray(srv->listeners, srv->nlisteners + 1,
	    sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		evutil_closesocket(fd);
		return (-1);
	}
	srv->listeners = grown;
	l = &srv->listeners[srv->nlisteners];
	memset(l, 0, sizeof *l);

	/* Port 0 binds an ephemeral port: report the real one. */
	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		evutil_closesocket(fd);
		return (-1);
	}
	addr_format((struct sockaddr *)&ss, l->name, sizeof l->name);

	/* Backlog 0: the socket is already listening. */
	l->lev = evconnlistener_new(srv->base, server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->lev == NULL) {
		snprintf(err, errlen, "cannot listen on %s: cannot create "
		    "its listener", l->name);
		evutil_closesocket(fd);
		return (-1);
	}
	evconnlistener_set_error_cb(l->lev, server_accept_error_cb);
	srv->nlisteners++;
	return (0);
}

/*
 * Fix the connection limit.  By default it is what the open-file limit
 * allows after a reserve for listeners and libevent's own descriptors;
 * an explicit --max-conns raises the soft limit if it must.
 */
static int
server_set_conn_limit(struct server *srv, char *err, size_t errlen)
{
	struct rlimit	 rl;
	rlim_t		 reserve = CONFIG_FD_RESERVE + srv->nlisteners +
			    CONFIG_FD_PER_THREAD * srv->cfg->threads;
	rlim_t		 need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit RLIMIT_NOFILE: %s",
		    strerror(errno));
		return (-1);
	}
	if (strcmp(event_base_get_method(srv->base), "select") == 0 &&
	    server_fit_select(srv, &rl, reserve, err, errlen) == -1)
		return (-1);
	if (srv->cfg->max_conns == 0) {
		rlim_t cur = rl.rlim_cur;

		if (cur == RLIM_INFINITY || cur > CONFIG_MAX_CONNS_MAX +
		    reserve)
			cur = CONFIG_MAX_CONNS_MAX + reserve;
		if (cur <= reserve) {
			snprintf(err, errlen, "the open-file limit (%llu) "
			    "leaves no room for connections; raise it with "
			    "ulimit -n", (unsigned long long)rl.rlim_cur);
			return (-1);
		}
		srv->group.max_conns = (unsigned)(cur - reserve);
		return (0);
	}

	need = srv->cfg->max_conns + reserve;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
			snprintf(err, errlen, "--max-conns %u needs %llu open "
			    "files, but the hard limit is %llu; raise it "
			    "(ulimit -Hn) or lower --max-conns",
			    srv->cfg->max_conns, (unsigned long long)need,
			    (unsigned long long)rl.rlim_max);
			return (-1);
		}
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			snprintf(err, errlen, "cannot raise the open-file "
			    "limit to %llu: %s", (unsigned long long)need,
			    strerror(errno));
			return (-1);
		}
		log_msg(LOG_INFO, "raised the open-file limit to %llu for "
		    "--max-conns %u", (unsigned long long)need,
		    srv->cfg->max_conns);
	}
	srv->group.max_conns = srv->cfg->max_conns;
	return (0);
}

/*
 * select(2) cannot watch a descriptor numbered FD_SETSIZE or more, and
 * glibc aborts the process rather than try.  Descriptors are numbered
 * lowest first, so lowering the soft open-file limit to FD_SETSIZE keeps
 * every one below it: then accept fails with EMFILE (and pauses) instead.
 * An explicit --max-conns that cannot fit is refused.
 */
static int
server_fit_select(struct server *srv, struct rlimit *rl, rlim_t reserve,
    char *err, size_t errlen)
{
	const rlim_t	 cap = FD_SETSIZE;

	if (srv->cfg->max_conns > 0 && srv->cfg->max_conns + reserve > cap) {
		snprintf(err, errlen, "--max-conns %u is more than the select "
		    "backend can watch: at most %llu, as select(2) stops at "
		    "FD_SETSIZE (%d) descriptors; use --backend poll or epoll",
		    srv->cfg->max_conns, (unsigned long long)(cap - reserve),
		    FD_SETSIZE);
		return (-1);
	}
	if (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > cap) {
		rl->rlim_cur = cap;
		if (setrlimit(RLIMIT_NOFILE, rl) == -1) {
			snprintf(err, errlen, "cannot lower the open-file limit "
			    "to FD_SETSIZE (%d) for the select backend: %s",
			    FD_SETSIZE, strerror(errno));
			return (-1);
		}
		log_msg(LOG_INFO, "select backend: open-file limit lowered to "
		    "FD_SETSIZE (%d)", FD_SETSIZE);
	}
	return (0);
}

/*
 * Accept while there is room, no accept error is being waited out and no
 * shutdown has begun.  At the limit the listeners are disabled, so pending
 * clients wait in the kernel's backlog instead of being accepted and
 * dropped, and the loop never spins on a listener it cannot serve.
 */
static void
server_update_accepting(struct server *srv)
{
	size_t	 i;
	int	 want;

	want = !srv->stopping && !srv->backoff &&
	    atomic_load(&srv->group.nconns) < srv->group.max_conns;
	if (want == srv->accepting)
		return;
	for (i = 0; i < srv->nlisteners; i++) {
		if ((want ? evconnlistener_enable(srv->listeners[i].lev) :
		    evconnlistener_disable(srv->listeners[i].lev)) == -1)
			log_error("cannot %s accepting on %s", want ?
			    "resume" : "pause", srv->listeners[i].name);
	}
	srv->accepting = want;

	if (!want && !srv->stopping && !srv->backoff) {
		time_t now = time(NULL);

		if (now - srv->limit_warned >= LIMIT_WARN_INTERVAL) {
			log_warn("connection limit of %u reached; new clients "
			    "wait in the backlog", srv->group.max_conns);
			srv->limit_warned = now;
		} else
			log_msg(LOG_CONN, "connection limit of %u reached",
			    srv->group.max_conns);
	} else if (want)
		log_msg(LOG_CONN, "accepting again (%u open)",
		    atomic_load(&srv->group.nconns));
}

static void
server_close_listeners(struct server *srv)
{
	size_t	 i;

	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
		srv->listeners[i].lev = NULL;
	}
	srv->nlisteners = 0;
	srv->accepting = 0;
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server	*srv = arg;

	(void)lev;
	if (net_set_nodelay(fd) == -1 && log_enabled(LOG_CONN)) {
		char peer[ADDR_STRLEN];

		log_msg(LOG_CONN, "%s: cannot set TCP_NODELAY: %s",
		    addr_format(sa, peer, sizeof peer), strerror(errno));
	}
	/* Counted now, so the limit holds; the worker counts it out. */
	atomic_fetch_add(&srv->group.nconns, 1);
	worker_hand_off(&srv->workers[srv->next_worker++ % srv->nworkers], fd,
	    sa, salen);		/* logs failures */
	server_update_accepting(srv);
}

/*
 * accept() failed for a reason libevent does not retry by itself (EMFILE,
 * ENFILE, ENOBUFS...).  The pending connection stays readable, so keeping
 * the listener on would spin: pause accepting for a moment instead.
 */
static void
server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct server		*srv = arg;
	const struct timeval	 backoff = { ACCEPT_BACKOFF_SEC, 0 };
	const char		*name = "?";
	int			 err = EVUTIL_SOCKET_ERROR();
	size_t			 i;

	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev == lev)
			name = srv->listeners[i].name;
	}
	log_error("accept on %s failed: %s; pausing accepts for %d s", name,
	    evutil_socket_error_to_string(err), ACCEPT_BACKOFF_SEC);
	srv->backoff = 1;
	server_update_accepting(srv);
	if (evtimer_add(srv->backoff_timer, &backoff) == -1) {
		log_error("cannot arm the accept back-off timer");
		srv->backoff = 0;
		server_update_accepting(srv);
	}
}

static void
server_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	(void)fd;
	(void)what;
	srv->backoff = 0;
	server_update_accepting(srv);
}

/*
 * First SIGINT or SIGTERM: close the listeners (new clients are refused,
 * not left in a backlog nobody will read), let connections finish their
 * echo, and exit when the last one closes or --drain-timeout passes.
 * A second signal ends the process at once, by that signal.
 */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;
	const char	*name = sig == SIGINT ? "SIGINT" : "SIGTERM";
	unsigned	 ms = srv->cfg->drain_timeout_ms, n;
	struct timeval	 tv;
	char		 limit[32];

	(void)what;
	if (srv->stopping) {
		log_warn("%s again: exiting at once", name);
		signal(sig, SIG_DFL);
		raise(sig);
		_exit(EX_SOFTWARE);	/* not reached */
	}
	srv->stopping = 1;
	server_close_listeners(srv);
	n = atomic_load(&srv->group.nconns);
	log_msg(LOG_INFO, "%s: stopped listening; draining %u connection%s "
	    "for up to %s", name, n, n == 1 ? "" : "s", seconds(ms, limit,
	    sizeof limit));
	server_post_all(srv, WORKER_DRAIN);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(srv->drain_timer, &tv) == -1) {
		log_error("cannot arm the drain timer; closing now");
		server_post_all(srv, WORKER_CLOSE_ALL);
	}
}

/* The drain took too long: cut off whoever is left. */
static void
server_drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	(void)fd;
	(void)what;
	server_post_all(srv, WORKER_CLOSE_ALL);
}

/* "5 s" or "0.250 s", for log lines. */
static const char *
seconds(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u.%03u s", ms / 1000, ms % 1000);
	return (buf);
}

/*
 * server.c: the service as a whole, in the main thread: it sets up the
 * event loop, the listeners (acceptor.c), the workers (one per --threads,
 * each with its own event loop and thread; a single worker shares this
 * loop), the memory budget and the connection limit; then runs until a
 * signal asks it to stop: close the listeners, let every connection
 * finish its echo for up to --drain-timeout, then exit.  If a worker's
 * event loop fails, every connection is closed and evecho exits with
 * status 70, for a supervisor to restart it.
 *
 * One acceptor hands each accepted socket to a worker in turn.  This keeps
 * the limit exact and the listeners in one place: closing them at shutdown
 * refuses new clients at once, and a second evecho on the same port fails
 * instead of silently sharing it, as SO_REUSEPORT listeners would.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "budget.h"
#include "clock.h"
#include "config.h"
#include "fdlimit.h"
#include "acceptor.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "privdrop.h"
#include "server.h"
#include "stats.h"
#include "systemd.h"
#include "tls.h"
#include "udp.h"
#include "value.h"
#include "worker.h"

/* What workers ask of the main thread through its mailbox. */
#define CONTROL_ACCEPT		0x1	/* a slot freed at the limit */
#define CONTROL_DONE		0x2	/* a worker has finished */
#define CONTROL_FAILED		0x4	/* a worker's event loop failed */

#define NOTIFY_INTERVAL_SEC	2	/* STATUS= to systemd, if changed */

struct server {
	const struct config	*cfg;
	struct event_base	*base;		/* acceptor and control */
	struct worker_group	 group;
	int			 budget_ready;
	struct worker		*workers;
	unsigned		 nworkers;	/* initialised so far */
	unsigned		 next_worker;	/* round robin */
	struct mailbox		 control;	/* from the workers */
	int			 control_ready;
	struct acceptor		 acceptor;
	int			 acceptor_ready;
	struct udp_set		 udp;		/* udp: listeners */
	struct fdlimit		 limits;
	char			 budget_source[64];	/* for the log */
	struct metrics		 metrics;	/* --metrics */
	int			 metrics_ready;
	struct event		*sigint_ev;
	struct event		*sigterm_ev;
	struct event		*sighup_ev;
	struct event		*sigusr1_ev;
	struct event		*stats_timer;	/* --stats-interval */
	struct event		*drain_timer;	/* ends the drain */
	atomic_int		 stopping;	/* a signal asked us to stop */
	int			 failed;	/* a worker's loop failed */
	struct event		*notify_timer;	/* STATUS= to systemd */
	char			 notify_status[64];	/* last STATUS= sent */
	int			 notify_warned;	/* a notification failed */
#ifdef HAVE_OPENSSL
	struct tls_store	 tls;		/* --tls-cert, --tls-key */
	int			 tls_ready;
#endif
};

static int	server_new_workers(struct server *, char *, size_t);
static int	server_open_metrics(struct server *, char *, size_t);
static void	server_gather(struct stats_report *, void *);
static int	server_set_signals(struct server *, char *, size_t);
static int	server_fix_limits(struct server *, char *, size_t);
static int	server_start_workers(struct server *, char *, size_t);
static void	server_log_ready(struct server *, const char *);
static void	server_post_all(struct server *, unsigned);
static void	server_hand_off(const struct handoff *, void *);
static void	server_control_cb(unsigned, void *);
static void	server_slot_freed(void *);
static void	server_worker_done(void *);
static void	server_worker_failed(void *);
static void	server_report_failure(struct server *);
static void	server_signal_cb(evutil_socket_t, short, void *);
static void	server_sighup_cb(evutil_socket_t, short, void *);
static void	server_stats_cb(evutil_socket_t, short, void *);
static void	server_drain_timeout_cb(evutil_socket_t, short, void *);
static const char *
		server_seconds(unsigned, char *, size_t);
static int	server_adopt(struct server *, size_t *, char *, size_t);
static int	server_notify_ready(struct server *, char *, size_t);
static void	server_notify(struct server *, const char *);
static void	server_notify_cb(evutil_socket_t, short, void *);
static int	server_open_tls(struct server *, char *, size_t);
static void	server_reload_tls(struct server *);

/*
 * Build the whole service from cfg: event loop, listeners, workers,
 * signal handling, then the limits, counted once all that is open; then
 * give up root (--user, --chroot) before any worker thread starts.
 * Nothing is accepted until server_start().  Returns EX_OK, or a
 * sysexits status with one sentence in err; on failure everything opened
 * so far is closed again.
 */
int
server_open(struct server **out, const struct config *cfg, char *err,
    size_t errlen)
{
	struct server	*srv;
	size_t		 i, nlisten, adopted, limit = cfg->max_memory;
	int		 status = EX_OSERR;

	*out = NULL;
	if ((srv = calloc(1, sizeof *srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (EX_OSERR);
	}
	srv->cfg = cfg;
	snprintf(srv->budget_source, sizeof srv->budget_source,
	    "--max-memory");
	srv->group.cfg = cfg;
	atomic_init(&srv->group.nconns, 0);
	atomic_init(&srv->group.running, 0);
	atomic_init(&srv->group.cut_conns, 0);
	atomic_init(&srv->group.cut_bytes, 0);
	srv->group.slot_freed = server_slot_freed;
	srv->group.worker_done = server_worker_done;
	srv->group.worker_failed = server_worker_failed;
	srv->group.arg = srv;
	if (limit == 0)
		limit = budget_default_limit(srv->budget_source,
		    sizeof srv->budget_source);
	if (budget_init(&srv->group.budget, limit, cfg->threads) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv->budget_ready = 1;
	/* Before listening, and as root: the key may be root's alone. */
	if ((status = server_open_tls(srv, err, errlen)) != EX_OK)
		goto fail;
	if ((srv->base = backend_new_base(cfg->backend, &status, err,
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
	if (acceptor_init(&srv->acceptor, cfg, srv->base, &srv->group.nconns,
	    server_hand_off, srv, err, errlen) == -1)
		goto fail;
	srv->acceptor_ready = 1;
	if ((status = server_adopt(srv, &adopted, err, errlen)) != EX_OK)
		goto fail;
	/* Sockets passed in replace the default address, not a -l. */
	nlisten = adopted > 0 && cfg->listen_default ? 0 : cfg->nlisten;
	for (i = 0; i < nlisten; i++) {
		if (cfg->listen[i].kind == ADDR_UDP)
			status = udp_open(&srv->udp, &cfg->listen[i],
			    udp_sockets_per_address(cfg->threads), err, errlen);
		else
			status = acceptor_listen(&srv->acceptor,
			    &cfg->listen[i], err, errlen);
		if (status != EX_OK)
			goto fail;
	}
	if ((status = server_new_workers(srv, err, errlen)) != EX_OK ||
	    (status = server_open_metrics(srv, err, errlen)) != EX_OK)
		goto fail;
	status = EX_OSERR;
	if (udp_attach(&srv->udp, srv->workers, srv->nworkers, cfg, err,
	    errlen) == -1)
		goto fail;
	if (server_set_signals(srv, err, errlen) == -1 ||
	    server_fix_limits(srv, err, errlen) == -1)
		goto fail;
	/* Listening, the limit raised, no thread yet: give up root. */
	if ((status = privdrop_apply(&cfg->priv, err, errlen)) != EX_OK)
		goto fail;
	status = EX_OSERR;
	if (server_start_workers(srv, err, errlen) == -1)
		goto fail;
	*out = srv;
	return (EX_OK);

fail:
	server_free(srv);
	return (status);
}

/*
 * Start serving: say so in the log and to systemd, and accept.  Apart
 * from server_open(), so that what must exist before anyone is told
 * (the pidfile) can be written in between.  0, or -1 with err set.
 */
int
server_start(struct server *srv, char *err, size_t errlen)
{
	server_log_ready(srv, srv->budget_source);
	acceptor_start(&srv->acceptor, srv->group.max_conns);
	return (server_notify_ready(srv, err, errlen));
}

/* Run until shut down and every worker has finished; the exit status. */
int
server_run(struct server *srv)
{
	uint64_t	 refused;

	if (event_base_dispatch(srv->base) == -1) {
		log_error("event loop failed: %s; closing every connection "
		    "and exiting", strerror(errno));
		return (EX_SOFTWARE);
	}
	if ((refused = stats_get(&srv->acceptor.stats.refused_per_host)) > 0)
		log_msg(LOGLV_INFO, "refused %llu connection%s over "
		    "--max-conns-per-host", (unsigned long long)refused,
		    refused == 1 ? "" : "s");
	if (srv->cfg->stats_interval_ms > 0)
		server_stats_cb(-1, 0, srv);	/* the final count */
	if (srv->failed)
		return (EX_SOFTWARE);
	log_msg(LOGLV_INFO, "stopped");
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
	if (srv->metrics_ready)		/* it reads the workers' counters */
		metrics_free(&srv->metrics);
	server_post_all(srv, WORKER_CLOSE_ALL);
	for (i = 0; i < srv->nworkers; i++)
		worker_join(&srv->workers[i]);
	srv->group.slot_freed = NULL;	/* nobody to tell any more */
	srv->group.worker_done = NULL;
	srv->group.worker_failed = NULL;
	udp_free(&srv->udp);		/* its events are on the workers' loops */
	for (i = 0; i < srv->nworkers; i++)
		worker_free(&srv->workers[i]);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	if (srv->sigterm_ev != NULL)
		event_free(srv->sigterm_ev);
	if (srv->sighup_ev != NULL)
		event_free(srv->sighup_ev);
	if (srv->sigusr1_ev != NULL)
		event_free(srv->sigusr1_ev);
	if (srv->stats_timer != NULL)
		event_free(srv->stats_timer);
	if (srv->notify_timer != NULL)
		event_free(srv->notify_timer);
	if (srv->sigint_ev != NULL)
		event_free(srv->sigint_ev);
	if (srv->acceptor_ready)
		acceptor_free(&srv->acceptor);
	if (srv->control_ready)
		mailbox_free(&srv->control);
	if (srv->base != NULL)
		event_base_free(srv->base);
	/*
	 * Only now: a single worker shares this loop, so what libevent
	 * allocated in it while running (its epoll event array, grown under
	 * load) is charged to that worker's budget account.
	 */
	free(srv->workers);
	if (srv->budget_ready)
		budget_free(&srv->group.budget);
#ifdef HAVE_OPENSSL
	if (srv->tls_ready)
		tls_store_free(&srv->tls);
#endif
	free(srv);
}

/*
 * One worker per --threads.  A single worker shares the acceptor's loop
 * and thread; several get an event loop each, on the same backend.
 */
static int
server_new_workers(struct server *srv, char *err, size_t errlen)
{
	const struct config	*cfg = srv->cfg;
	struct event_base	*base;
	unsigned		 i, n = cfg->threads;
	int			 status = EX_OSERR;

	if ((srv->workers = calloc(n, sizeof *srv->workers)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (status);
	}
	for (i = 0; i < n; i++) {
		if (n == 1)
			base = srv->base;
		else if ((base = backend_new_base(cfg->backend, &status, err,
		    errlen)) == NULL)
			return (status);
		if (worker_init(&srv->workers[i], i, &srv->group, base,
		    n > 1) == -1) {
			snprintf(err, errlen, "cannot set up worker %u: %s", i,
			    strerror(errno));
			srv->nworkers = i + 1;	/* worker_free() frees base */
			return (EX_OSERR);
		}
		srv->nworkers = i + 1;
		atomic_fetch_add(&srv->group.running, 1);
	}
	return (EX_OK);
}

/*
 * --metrics: its listener and event loop, open before the limits are
 * fixed, so that its descriptors count among those evecho holds.
 */
static int
server_open_metrics(struct server *srv, char *err, size_t errlen)
{
	const struct config	*cfg = srv->cfg;
	struct prom_build	 build;

	if (!cfg->metrics_on)
		return (EX_OK);
	build.version = PACKAGE_VERSION;
	build.libevent = event_get_version();
	build.backend = event_base_get_method(srv->base);
	build.threads = srv->nworkers;
	srv->metrics_ready = 1;		/* metrics_free() undoes a failure */
	return (metrics_open(&srv->metrics, &cfg->metrics, cfg->backend,
	    &build, server_gather, srv, err, errlen));
}

/* For the metrics thread: every counter, as server_report() reads it. */
static void
server_gather(struct stats_report *r, void *arg)
{
	server_report(arg, r);
}

/*
 * SIGINT and SIGTERM start the drain, on this loop; SIGHUP reopens the
 * log; SIGUSR1, and every --stats-interval, logs the counters.
 */
static int
server_set_signals(struct server *srv, char *err, size_t errlen)
{
	srv->sigint_ev = evsignal_new(srv->base, SIGINT, server_signal_cb,
	    srv);
	srv->sigterm_ev = evsignal_new(srv->base, SIGTERM, server_signal_cb,
	    srv);
	srv->sighup_ev = evsignal_new(srv->base, SIGHUP, server_sighup_cb,
	    srv);
	srv->sigusr1_ev = evsignal_new(srv->base, SIGUSR1, server_stats_cb,
	    srv);
	srv->stats_timer = event_new(srv->base, -1, EV_PERSIST,
	    server_stats_cb, srv);
	srv->drain_timer = evtimer_new(srv->base, server_drain_timeout_cb,
	    srv);
	if (srv->sigint_ev == NULL || srv->sigterm_ev == NULL ||
	    srv->sighup_ev == NULL || srv->sigusr1_ev == NULL ||
	    srv->stats_timer == NULL || srv->drain_timer == NULL ||
	    event_add(srv->sigint_ev, NULL) == -1 ||
	    event_add(srv->sigterm_ev, NULL) == -1 ||
	    event_add(srv->sighup_ev, NULL) == -1 ||
	    event_add(srv->sigusr1_ev, NULL) == -1) {
		snprintf(err, errlen, "cannot set up signal handling");
		return (-1);
	}
	if (srv->cfg->stats_interval_ms > 0) {
		struct timeval tv = { srv->cfg->stats_interval_ms / 1000,
		    (srv->cfg->stats_interval_ms % 1000) * 1000 };

		if (event_add(srv->stats_timer, &tv) == -1) {
			snprintf(err, errlen, "cannot arm --stats-interval");
			return (-1);
		}
	}
	return (0);
}

/*
 * The connection limit, now that every descriptor evecho holds for
 * itself is open and can be counted.
 */
static int
server_fix_limits(struct server *srv, char *err, size_t errlen)
{
	struct fdlimit	*lim = &srv->limits;

	if (fdlimit_fix(lim, srv->cfg->max_conns, srv->metrics_ready ?
	    METRICS_CLIENTS : 0, backend_is(srv->base, "select"), err,
	    errlen) == -1)
		return (-1);
	if (lim->lowered)
		log_msg(LOGLV_INFO, "select backend: open-file limit lowered to "
		    "FD_SETSIZE (%lu)", lim->nofile);
	if (lim->raised)
		log_msg(LOGLV_INFO, "raised the open-file limit to %lu for "
		    "--max-conns %u", lim->nofile, lim->max_conns);
	srv->group.max_conns = lim->max_conns;
	return (0);
}

/*
 * Start the worker threads, and the metrics thread.  They block the
 * signals evecho handles, so that those reach the main thread, whose loop
 * handles them.
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
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	if ((errno = pthread_sigmask(SIG_BLOCK, &block, &old)) != 0) {
		snprintf(err, errlen, "pthread_sigmask: %s", strerror(errno));
		return (-1);
	}
	for (i = 0; i < srv->nworkers && rc == 0; i++) {
		if ((rc = worker_start(&srv->workers[i])) == -1)
			snprintf(err, errlen, "cannot start worker %u: %s", i,
			    strerror(errno));
	}
	if (rc == 0 && srv->metrics_ready)
		rc = metrics_start(&srv->metrics, err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (rc);
}

/* The lines that say evecho is up, and how it is set. */
static void
server_log_ready(struct server *srv, const char *budget_source)
{
	const struct config	*cfg = srv->cfg;
	const struct fdlimit	*lim = &srv->limits;
	char			 idle[32], mem[32], per_host[48] = "";
	char			 extra[48] = "";
	size_t			 i;

	for (i = 0; i < srv->acceptor.nlisteners; i++) {
		const struct listener *l = &srv->acceptor.listeners[i];

		const char *stages = (l->options & ADDR_OPT_TLS) ?
		    ((l->options & ADDR_OPT_PROXY) ? " (PROXY header, TLS)" :
		    " (TLS)") : (l->options & ADDR_OPT_PROXY) ?
		    " (PROXY header)" : "";

		if (l->passed_as[0] != '\0')
			log_msg(LOGLV_INFO, "listening on %s%s (passed in as "
			    "'%s')", l->name, stages, l->passed_as);
		else
			log_msg(LOGLV_INFO, "listening on %s%s", l->name,
			    stages);
	}
	udp_log_listening(&srv->udp);
	for (i = 0; srv->metrics_ready && i < srv->metrics.http.nlisteners; i++)
		log_msg(LOGLV_INFO, "metrics on http://%s/metrics",
		    srv->metrics.http.names[i]);
	if (cfg->priv.user != NULL)
		log_msg(LOGLV_INFO, "running as user %s (uid %lu, gid %lu)%s%s",
		    cfg->priv.user, (unsigned long)cfg->priv.uid,
		    (unsigned long)cfg->priv.gid, cfg->priv.chroot_dir != NULL ?
		    ", chrooted to " : "", cfg->priv.chroot_dir != NULL ?
		    cfg->priv.chroot_dir : "");
	else if (geteuid() == 0)
		log_warn("running as root: give --user to drop privileges once "
		    "listening");
	if (lim->extra > 0)
		snprintf(extra, sizeof extra, ", %u for metrics clients",
		    lim->extra);
	log_msg(LOGLV_INFO, "descriptors: %ld held by evecho, %d spare%s, %u "
	    "for connections, of an open-file limit of %lu", lim->open_fds,
	    FDLIMIT_SPARE, extra, lim->max_conns, lim->nofile);
	log_msg(LOGLV_INFO, "memory budget %s (%s) for queued echo",
	    value_format_size(srv->group.budget.limit, mem, sizeof mem),
	    budget_source);
	if (cfg->max_conns_per_host > 0)
		snprintf(per_host, sizeof per_host, ", %u per host",
		    cfg->max_conns_per_host);
	log_msg(LOGLV_INFO, "evecho %s ready: libevent %s, backend %s, "
	    "%u thread%s, up to %u connection%s%s, queue %zu B each, "
	    "memory %s, idle timeout %s", PACKAGE_VERSION,
	    event_get_version(), event_base_get_method(srv->base),
	    srv->nworkers, srv->nworkers == 1 ? "" : "s", lim->max_conns,
	    lim->max_conns == 1 ? "" : "s", per_host, cfg->max_queue, mem,
	    cfg->idle_timeout_ms == 0 ? "off" : server_seconds(
	    cfg->idle_timeout_ms, idle, sizeof idle));
}

/* Post commands to every worker. */
static void
server_post_all(struct server *srv, unsigned commands)
{
	unsigned	 i;

	for (i = 0; i < srv->nworkers; i++)
		worker_post(&srv->workers[i], commands);
}

/* An accepted socket goes to the next worker in turn. */
static void
server_hand_off(const struct handoff *h, void *arg)
{
	struct server	*srv = arg;

	worker_hand_off(&srv->workers[srv->next_worker++ % srv->nworkers], h);
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

/* From a worker's thread: its event loop failed. */
static void
server_worker_failed(void *arg)
{
	struct server	*srv = arg;

	mailbox_post(&srv->control, CONTROL_FAILED);
}

/* Requests from the workers, run on the acceptor's loop. */
static void
server_control_cb(unsigned commands, void *arg)
{
	struct server		*srv = arg;
	struct worker_group	*g = &srv->group;
	unsigned		 cut;

	if (commands & CONTROL_FAILED)
		server_report_failure(srv);
	if (commands & CONTROL_ACCEPT)
		acceptor_update(&srv->acceptor);
	if (atomic_load(&g->running) > 0)
		return;
	if ((cut = atomic_load(&g->cut_conns)) > 0)
		log_warn("drain timeout: closed %u connection%s, %llu B of "
		    "echo not sent", cut, cut == 1 ? "" : "s",
		    (unsigned long long)atomic_load(&g->cut_bytes));
	/* Not loopexit, which allocates, and may fail to. */
	event_base_loopbreak(srv->base);
}

/*
 * A worker's loop failed and it closed its connections.  A process that
 * cannot serve part of its clients should not linger half alive: stop
 * accepting, close every other connection now, and exit with status 70
 * once all workers are done, so that a supervisor starts it afresh.
 */
static void
server_report_failure(struct server *srv)
{
	unsigned	 i;

	for (i = 0; i < srv->nworkers; i++) {
		if (srv->workers[i].failed &&
		    !srv->workers[i].failure_logged) {
			srv->workers[i].failure_logged = 1;
			log_error("worker %u: event loop failed: %s; closing "
			    "every connection and exiting", i,
			    strerror(srv->workers[i].loop_errno));
		}
	}
	if (srv->failed)
		return;
	srv->failed = 1;
	acceptor_stop(&srv->acceptor);
	server_post_all(srv, WORKER_ABORT);
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
	if (atomic_load(&srv->stopping)) {
		log_warn("%s again: exiting at once", name);
		log_stop();	/* that line, and what is queued, first */
		signal(sig, SIG_DFL);
		raise(sig);
		_exit(EX_SOFTWARE);	/* not reached */
	}
	atomic_store(&srv->stopping, 1);
	acceptor_stop(&srv->acceptor);
	n = atomic_load(&srv->group.nconns);
	log_msg(LOGLV_INFO, "%s: stopped listening; draining %u connection%s "
	    "for up to %s", name, n, n == 1 ? "" : "s", server_seconds(ms,
	    limit, sizeof limit));
	server_notify(srv, "STOPPING=1");
	server_post_all(srv, WORKER_DRAIN);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(srv->drain_timer, &tv) == -1) {
		log_error("cannot arm the drain timer; closing now");
		server_post_all(srv, WORKER_CLOSE_ALL);
	}
}

/*
 * SIGHUP: reopen the log file, which logrotate may have moved, and load
 * the TLS certificate and key again.
 */
static void
server_sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;

	(void)sig;
	(void)what;
	server_reload_tls(srv);
	if (srv->cfg->log_file == NULL)
		return;
	log_reopen();
	log_msg(LOGLV_INFO, "SIGHUP: reopened log file %s",
	    srv->cfg->log_file);
}

/* SIGUSR1, or --stats-interval: one line of every counter, summed. */
static void
server_stats_cb(evutil_socket_t sig, short what, void *arg)
{
	struct stats_report	 r;

	(void)sig;
	(void)what;
	server_report(arg, &r);
	stats_log(&r);
}

/*
 * Every counter as it stands, summed over the workers.  Any thread may
 * call it once the server is open: it reads only atomics and what does
 * not change while serving.
 */
void
server_report(struct server *srv, struct stats_report *r)
{
	unsigned	 i;

	memset(r, 0, sizeof *r);
	for (i = 0; i < srv->nworkers; i++)
		stats_sum(&r->sum, &srv->workers[i].stats);
	r->open = atomic_load(&srv->group.nconns);
	r->max_conns = srv->group.max_conns;
	stats_read_accept(r, &srv->acceptor.stats, clock_coarse_ms());
	r->queued = budget_used(&srv->group.budget);
	r->budget = srv->group.budget.limit;
	r->log_lost = log_dropped();
	r->draining = atomic_load(&srv->stopping);
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
server_seconds(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u.%03u s", ms / 1000, ms % 1000);
	return (buf);
}

/*
 * Take the sockets systemd passed in (socket activation) as listeners;
 * how many in *adopted.  Those not yet taken when one is refused are
 * closed, so none outlives a failed start-up.
 */
static int
server_adopt(struct server *srv, size_t *adopted, char *err, size_t errlen)
{
	struct systemd_socket	*socks;
	size_t			 i, n;
	int			 status;

	*adopted = 0;
	if (systemd_listen_fds(&socks, &n, err, errlen) == -1)
		return (EX_OSERR);
	for (i = 0; i < n; i++) {
		if ((status = acceptor_adopt(&srv->acceptor, socks[i].fd,
		    socks[i].name, err, errlen)) != EX_OK) {
			systemd_close_fds(socks, i + 1, n);
			return (status);
		}
	}
	systemd_close_fds(socks, n, n);
	*adopted = n;
	return (EX_OK);
}

/*
 * Serving: tell systemd READY=1, and from now on every few seconds how
 * many connections are open; only if it listens, to spare the timer.
 */
static int
server_notify_ready(struct server *srv, char *err, size_t errlen)
{
	const struct timeval	 tv = { NOTIFY_INTERVAL_SEC, 0 };

	if (!systemd_notifying())
		return (0);
	if ((srv->notify_timer = event_new(srv->base, -1, EV_PERSIST,
	    server_notify_cb, srv)) == NULL ||
	    event_add(srv->notify_timer, &tv) == -1) {
		snprintf(err, errlen, "cannot arm the systemd status timer");
		return (-1);
	}
	server_notify(srv, "READY=1");
	return (0);
}

/*
 * Send state (NULL: none) with a STATUS= line of the connections open,
 * when there is something new to say.  A failure is logged once and
 * never ends evecho: serving matters more than being watched.
 */
static void
server_notify(struct server *srv, const char *state)
{
	char		 status[sizeof srv->notify_status], msg[128], why[512];
	unsigned	 n = atomic_load(&srv->group.nconns);
	int		 stopping = atomic_load(&srv->stopping);

	snprintf(status, sizeof status, "%s%u connection%s%s",
	    stopping ? "draining " : "", n, n == 1 ? "" : "s",
	    stopping ? "" : " open");
	if (state == NULL && strcmp(status, srv->notify_status) == 0)
		return;
	snprintf(msg, sizeof msg, "%s%sSTATUS=%s", state != NULL ? state : "",
	    state != NULL ? "\n" : "", status);
	switch (systemd_notify(msg, why, sizeof why)) {
	case -1:
		if (!srv->notify_warned)
			log_warn("%s; serving on regardless", why);
		srv->notify_warned = 1;
		break;
	case 1:
		memcpy(srv->notify_status, status, sizeof status);
		break;
	default:
		break;
	}
}

/* Every NOTIFY_INTERVAL_SEC: the connections open, if that changed. */
static void
server_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_notify(arg, NULL);
}

/*
 * The TLS context of ",tls" listeners, if there are any (config_rules.c saw
 * to it that there are files exactly then).  EX_OK, or the status for the
 * files' fault: EX_NOINPUT, EX_DATAERR.
 */
static int
server_open_tls(struct server *srv, char *err, size_t errlen)
{
#ifdef HAVE_OPENSSL
	int	 status;

	if (srv->cfg->tls_cert == NULL)
		return (EX_OK);
	if ((status = tls_store_init(&srv->tls, srv->cfg->tls_cert,
	    srv->cfg->tls_key, err, errlen)) != EX_OK)
		return (status);
	srv->tls_ready = 1;
	srv->group.tls = &srv->tls;
#else
	(void)srv;
	(void)err;
	(void)errlen;
#endif
	return (EX_OK);
}

/*
 * SIGHUP: new TLS connections take the files as they are now, if they
 * load; if not, the old certificate goes on serving, and the log says
 * why.  Connections already open keep theirs.  After --user (and
 * --chroot), the files are read as that user (inside the chroot).
 */
static void
server_reload_tls(struct server *srv)
{
#ifdef HAVE_OPENSSL
	char	 err[512];

	if (!srv->tls_ready)
		return;
	if (tls_store_reload(&srv->tls, err, sizeof err) == -1) {
		log_error("SIGHUP: %s; still serving the certificate loaded "
		    "before", err);
		return;
	}
	log_msg(LOGLV_INFO, "SIGHUP: reloaded TLS certificate %s and key %s",
	    srv->cfg->tls_cert, srv->cfg->tls_key);
#else
	(void)srv;
#endif
}

/*
 * metrics.c: the --metrics endpoint: its thread and event loop, and what
 * it answers: /metrics and /healthz; httpd.c does the HTTP.  Each scrape
 * reads the counters as they stand: relaxed loads of per-worker atomics,
 * nothing the echo loops wait on.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "procinfo.h"
#include "prom.h"
#include "stats.h"

#define METRICS_STOP		0x1

static void	*metrics_main(void *);
static void	metrics_control_cb(unsigned, void *);
static void	metrics_request_cb(struct httpd_conn *, const char *, void *);
static void	metrics_scrape(struct metrics *, struct httpd_conn *);
static void	metrics_health(struct metrics *, struct httpd_conn *);

/*
 * Listen on spec for HTTP, on a new event loop (on the given backend)
 * that metrics_start() will run.  Returns EX_OK, or the exit status with
 * err set; metrics_free() undoes what was done either way.
 */
int
metrics_open(struct metrics *m, const struct addr_spec *spec,
    const char *backend, const struct prom_build *build,
    metrics_gather_fn gather, void *arg, char *err, size_t errlen)
{
	char	 why[256];
	int	 status;

	memset(m, 0, sizeof *m);
	m->gather = gather;
	m->arg = arg;
	m->build = *build;
	(void)procinfo_start_time();	/* fixed now, before the thread */
	if ((m->base = backend_new_base(backend, &status, why,
	    sizeof why)) == NULL) {
		snprintf(err, errlen, "--metrics: %s", why);
		return (status);
	}
	if (mailbox_init(&m->control, m->base, metrics_control_cb, m) == -1) {
		snprintf(err, errlen, "--metrics: cannot create its control "
		    "pipe: %s", strerror(errno));
		return (EX_OSERR);
	}
	m->control_ready = 1;
	if (httpd_init(&m->http, m->base, METRICS_CLIENTS,
	    metrics_request_cb, m) == -1) {
		snprintf(err, errlen, "--metrics: out of memory");
		return (EX_OSERR);
	}
	m->http_ready = 1;
	if ((status = httpd_listen(&m->http, spec, why, sizeof why)) !=
	    EX_OK) {
		snprintf(err, errlen, "--metrics: %s", why);
		return (status);
	}
	return (EX_OK);
}

/*
 * Run the endpoint's loop on a thread of its own.  The caller blocks the
 * signals the main thread handles before calling, as for the workers.
 */
int
metrics_start(struct metrics *m, char *err, size_t errlen)
{
	if ((errno = pthread_create(&m->thread, NULL, metrics_main, m)) != 0) {
		snprintf(err, errlen, "cannot start the --metrics thread: %s",
		    strerror(errno));
		return (-1);
	}
	m->running = 1;
	return (0);
}

/* Stop the thread, if it runs, and close everything. */
void
metrics_free(struct metrics *m)
{
	if (m->running) {
		mailbox_post(&m->control, METRICS_STOP);
		pthread_join(m->thread, NULL);
		m->running = 0;
	}
	if (m->http_ready)
		httpd_free(&m->http);
	if (m->control_ready)
		mailbox_free(&m->control);
	if (m->base != NULL)
		event_base_free(m->base);
	memset(m, 0, sizeof *m);
}

/*
 * The endpoint's thread.  A failed loop leaves the endpoint dead, not
 * the echo: it is logged, and scrapes then fail, which a scraper reports.
 */
static void *
metrics_main(void *arg)
{
	struct metrics	*m = arg;

#ifdef HAVE_PTHREAD_SETNAME_NP
	(void)pthread_setname_np(pthread_self(), "evecho-metrics");
#endif
	if (event_base_dispatch(m->base) == -1)
		log_error("--metrics: event loop failed: %s; the endpoint is "
		    "down, the echo goes on", strerror(errno));
	return (NULL);
}

/* metrics_free() asks the thread to stop. */
static void
metrics_control_cb(unsigned commands, void *arg)
{
	struct metrics	*m = arg;

	if (commands & METRICS_STOP)
		event_base_loopbreak(m->base);
}

/* Route a GET or HEAD by its path. */
static void
metrics_request_cb(struct httpd_conn *c, const char *path, void *arg)
{
	struct metrics	*m = arg;

	if (strcmp(path, "/metrics") == 0)
		metrics_scrape(m, c);
	else if (strcmp(path, "/healthz") == 0)
		metrics_health(m, c);
	else
		httpd_reply_text(c, 404, "Not Found",
		    "not found: try /metrics or /healthz\n");
}

/*
 * GET /metrics: every counter, in Prometheus's text format.  Without the
 * process's CPU time, a 500 rather than a counter that seems to reset.
 */
static void
metrics_scrape(struct metrics *m, struct httpd_conn *c)
{
	struct stats_report	 r;
	struct procinfo		 p;
	struct evbuffer		*body;

	m->gather(&r, m->arg);
	if (procinfo_read(&p) == -1) {
		httpd_reply_text(c, 500, "Internal Server Error",
		    "cannot read the process's CPU time\n");
		return;
	}
	if ((body = evbuffer_new()) == NULL ||
	    prom_render(body, &m->build, &r, &p) == -1) {
		if (body != NULL)
			evbuffer_free(body);
		httpd_reply_text(c, 500, "Internal Server Error",
		    "out of memory\n");
		return;
	}
	httpd_reply(c, 200, "OK", PROM_CONTENT_TYPE, body);
	evbuffer_free(body);
}

/* GET /healthz: 200 while serving, 503 once draining. */
static void
metrics_health(struct metrics *m, struct httpd_conn *c)
{
	struct stats_report	 r;

	m->gather(&r, m->arg);
	if (r.draining)
		httpd_reply_text(c, 503, "Service Unavailable", "draining\n");
	else
		httpd_reply_text(c, 200, "OK", "ok\n");
}

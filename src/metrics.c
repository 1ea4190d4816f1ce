/*
 * metrics.c: the --metrics endpoint.  evhttp parses the requests (with
 * its limits on header and body size, and a timeout); this file answers
 * them: /metrics and /healthz to GET and HEAD, 405 to other methods and
 * 404 to other paths.  Each scrape reads the counters as they stand:
 * relaxed loads of per-worker atomics, nothing the echo loops wait on.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "backend.h"
#include "metrics.h"
#include "net.h"
#include "procinfo.h"
#include "prom.h"
#include "stats.h"

#define METRICS_HEADERS_MAX	8192	/* request line and headers */
#define METRICS_BODY_MAX	1024	/* a GET has no business with more */
#define METRICS_STOP		0x1

static int	metrics_take(int, void *, char *, size_t);
static void	*metrics_main(void *);
static void	metrics_control_cb(unsigned, void *);
static void	metrics_request_cb(struct evhttp_request *, void *);
static void	metrics_scrape(struct metrics *, struct evhttp_request *);
static void	metrics_health(struct metrics *, struct evhttp_request *);
static void	metrics_reply(struct evhttp_request *, int, const char *,
		    const char *);
static void	metrics_send(struct evhttp_request *, int, const char *,
		    struct evbuffer *);

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
	if ((m->http = evhttp_new(m->base)) == NULL) {
		snprintf(err, errlen, "--metrics: cannot set up its HTTP "
		    "server");
		return (EX_OSERR);
	}
	evhttp_set_max_headers_size(m->http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, METRICS_BODY_MAX);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_SEC);
	/* Let every method through, so that the wrong ones get 405. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request_cb, m);
	if ((status = net_listen_spec(spec, 64, metrics_take, m, why,
	    sizeof why)) != EX_OK) {
		snprintf(err, errlen, "--metrics: %s", why);
		return (status);
	}
	return (EX_OK);
}

/* A listening socket for evhttp, which owns it from here on. */
static int
metrics_take(int fd, void *arg, char *err, size_t errlen)
{
	struct metrics		*m = arg;
	struct sockaddr_storage	 ss;

	if (m->nnames == METRICS_LISTENERS_MAX) {
		snprintf(err, errlen, "more than %d addresses",
		    METRICS_LISTENERS_MAX);
		evutil_closesocket(fd);
		return (-1);
	}
	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		evutil_closesocket(fd);
		return (-1);
	}
	if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		snprintf(err, errlen, "cannot serve HTTP on a socket");
		evutil_closesocket(fd);
		return (-1);
	}
	addr_format((struct sockaddr *)&ss, m->names[m->nnames++],
	    sizeof m->names[0]);
	return (0);
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
	if (m->http != NULL)
		evhttp_free(m->http);	/* closes its sockets */
	if (m->control_ready)
		mailbox_free(&m->control);
	if (m->base != NULL)
		event_base_free(m->base);
	memset(m, 0, sizeof *m);
}

static void *
metrics_main(void *arg)
{
	struct metrics	*m = arg;

#ifdef HAVE_PTHREAD_SETNAME_NP
	(void)pthread_setname_np(pthread_self(), "evecho-metrics");
#endif
	/*
	 * A failed loop leaves the endpoint dead, not the echo: scrapes
	 * then time out, which a scraper reports.
	 */
	(void)event_base_dispatch(m->base);
	return (NULL);
}

static void
metrics_control_cb(unsigned commands, void *arg)
{
	struct metrics	*m = arg;

	if (commands & METRICS_STOP)
		event_base_loopbreak(m->base);
}

/* Route a request by method, then by path. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics			*m = arg;
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	const char			*path = NULL;

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		break;
	default:
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		metrics_reply(req, 405, "Method Not Allowed",
		    "only GET and HEAD\n");
		return;
	}
	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	if (path != NULL && strcmp(path, "/metrics") == 0)
		metrics_scrape(m, req);
	else if (path != NULL && strcmp(path, "/healthz") == 0)
		metrics_health(m, req);
	else
		metrics_reply(req, 404, "Not Found",
		    "not found: try /metrics or /healthz\n");
}

/* GET /metrics: every counter, in Prometheus's text format. */
static void
metrics_scrape(struct metrics *m, struct evhttp_request *req)
{
	struct stats_report	 r;
	struct procinfo		 p;
	struct evbuffer		*body;

	m->gather(&r, m->arg);
	(void)procinfo_read(&p);
	if ((body = evbuffer_new()) == NULL ||
	    prom_render(body, &m->build, &r, &p) == -1) {
		if (body != NULL)
			evbuffer_free(body);
		metrics_reply(req, 500, "Internal Server Error",
		    "out of memory\n");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", PROM_CONTENT_TYPE);
	metrics_send(req, 200, "OK", body);
	evbuffer_free(body);
}

/* GET /healthz: 200 while serving, 503 once draining. */
static void
metrics_health(struct metrics *m, struct evhttp_request *req)
{
	struct stats_report	 r;

	m->gather(&r, m->arg);
	if (r.draining)
		metrics_reply(req, 503, "Service Unavailable", "draining\n");
	else
		metrics_reply(req, 200, "OK", "ok\n");
}

/* A short plain-text answer. */
static void
metrics_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*body = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	if (body != NULL && evbuffer_add(body, text, strlen(text)) == 0)
		metrics_send(req, code, reason, body);
	else
		evhttp_send_reply(req, code, reason, NULL);
	if (body != NULL)
		evbuffer_free(body);
}

/*
 * Send the answer; to HEAD, only its length.  (libevent 2.1 leaves out
 * Content-Length for HEAD but would still send the body after the head.)
 */
static void
metrics_send(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *body)
{
	char	 len[32];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, code, reason, body);
		return;
	}
	snprintf(len, sizeof len, "%zu", evbuffer_get_length(body));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Length", len);
	evhttp_send_reply(req, code, reason, NULL);
}

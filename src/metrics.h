/*
 * metrics.h: --metrics: an HTTP endpoint for Prometheus (GET /metrics)
 * and for health checks (GET /healthz), served by httpd.c on a thread
 * and event loop of its own, so that a scrape never waits on an echo
 * loop, nor an echo loop on a scrape.
 */
#ifndef EVECHO_METRICS_H
#define EVECHO_METRICS_H

#include <pthread.h>
#include <stddef.h>

#include "addr.h"
#include "httpd.h"
#include "mailbox.h"
#include "prom.h"

/*
 * Scrapers' connections at once, at most; as many descriptors are kept
 * in reserve for them, on top of those the endpoint holds itself.
 */
#define METRICS_CLIENTS		16

struct event_base;
struct stats_report;

/* Fills a snapshot of every counter; called on the endpoint's thread. */
typedef void	(*metrics_gather_fn)(struct stats_report *, void *);

struct metrics {
	struct event_base	*base;		/* the endpoint's own loop */
	struct httpd		 http;
	int			 http_ready;
	struct mailbox		 control;	/* asks the thread to stop */
	int			 control_ready;
	pthread_t		 thread;
	int			 running;	/* thread started */
	metrics_gather_fn	 gather;
	void			*arg;		/* for gather */
	struct prom_build	 build;
};

int	metrics_open(struct metrics *, const struct addr_spec *,
	    const char *, const struct prom_build *, metrics_gather_fn,
	    void *, char *, size_t);
int	metrics_start(struct metrics *, char *, size_t);
void	metrics_free(struct metrics *);

#endif /* EVECHO_METRICS_H */

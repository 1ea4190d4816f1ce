/*
 * prom.h: the counters in Prometheus's text exposition format (0.0.4),
 * for GET /metrics.
 */
#ifndef EVECHO_PROM_H
#define EVECHO_PROM_H

struct evbuffer;
struct procinfo;
struct stats_report;

#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* What does not change while evecho runs. */
struct prom_build {
	const char	*version;	/* evecho's */
	const char	*libevent;	/* libevent's, at run time */
	const char	*backend;	/* epoll, poll, select */
	unsigned	 threads;	/* workers */
};

int	prom_render(struct evbuffer *, const struct prom_build *,
	    const struct stats_report *, const struct procinfo *);

#endif /* EVECHO_PROM_H */

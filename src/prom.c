/*
 * prom.c: one scrape's text, from a snapshot of the counters.  Every
 * family has its HELP and TYPE lines; counters end in _total, sizes are
 * in bytes and times in seconds, as Prometheus's naming rules ask.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "procinfo.h"
#include "prom.h"
#include "stats.h"

static int	prom_family(struct evbuffer *, const char *, const char *,
		    const char *);
static int	prom_uint(struct evbuffer *, const char *, const char *,
		    const char *, uint64_t);
static int	prom_label_value(struct evbuffer *, const char *,
		    const char *);

/* Append the whole scrape to out.  Returns 0, or -1 if out of memory. */
int
prom_render(struct evbuffer *out, const struct prom_build *b,
    const struct stats_report *r, const struct procinfo *p)
{
	const struct stats	*s = &r->sum;
	int			 i, rc = 0;

	rc |= prom_family(out, "evecho_build_info", "gauge",
	    "Always 1; the labels say which evecho, libevent and backend.");
	rc |= evbuffer_add_printf(out, "evecho_build_info{version=") < 0;
	rc |= prom_label_value(out, b->version, ",libevent=");
	rc |= prom_label_value(out, b->libevent, ",backend=");
	rc |= prom_label_value(out, b->backend, "");
	rc |= evbuffer_add_printf(out, ",threads=\"%u\"} 1\n",
	    b->threads) < 0;

	rc |= prom_uint(out, "evecho_connections_accepted_total", "counter",
	    "Connections accepted and served; not those closed at once for "
	    "the per-host cap.", stats_get(&s->accepted));
	rc |= prom_uint(out, "evecho_unix_connections_accepted_total",
	    "counter", "Of the connections accepted, those on Unix-domain "
	    "sockets.", stats_get(&s->accepted_unix));
	rc |= prom_uint(out, "evecho_connections_open", "gauge",
	    "Connections open now.", r->open);
	rc |= prom_uint(out, "evecho_connections_max", "gauge",
	    "The connection limit (--max-conns).", r->max_conns);
	rc |= prom_family(out, "evecho_connections_closed_total", "counter",
	    "Connections ended, by reason; per_host_cap ones were closed as "
	    "soon as accepted.");
	for (i = 0; i < STATS_END_N; i++)
		rc |= evbuffer_add_printf(out, "evecho_connections_closed_total"
		    "{reason=\"%s\"} %llu\n", stats_end_name((enum stats_end)i),
		    (unsigned long long)stats_get(&s->ended[i])) < 0;
	rc |= evbuffer_add_printf(out, "evecho_connections_closed_total"
	    "{reason=\"per_host_cap\"} %llu\n",
	    (unsigned long long)r->refused_per_host) < 0;
	rc |= prom_uint(out, "evecho_max_conns_pauses_total", "counter",
	    "Times accepting paused at --max-conns; new clients waited in "
	    "the backlog.", r->limit_pauses);
	rc |= prom_family(out, "evecho_max_conns_paused_seconds_total",
	    "counter", "Time spent paused at --max-conns.");
	rc |= evbuffer_add_printf(out, "evecho_max_conns_paused_seconds_total "
	    "%llu.%03llu\n", (unsigned long long)(r->limit_paused_ms / 1000),
	    (unsigned long long)(r->limit_paused_ms % 1000)) < 0;
	rc |= prom_family(out, "evecho_proxy_headers_total", "counter",
	    "PROXY protocol headers taken, by version; local ones (v2 LOCAL, "
	    "v1 UNKNOWN) named no client.");
	for (i = 0; i < 3; i++)
		rc |= evbuffer_add_printf(out, "evecho_proxy_headers_total"
		    "{version=\"%s\"} %llu\n", i == STATS_PROXY_V1 ? "1" :
		    i == STATS_PROXY_V2 ? "2" : "local",
		    (unsigned long long)stats_get(&s->proxy_headers[i])) < 0;
	rc |= prom_uint(out, "evecho_udp_datagrams_received_total", "counter",
	    "Datagrams received on udp: listeners, echoed or not.",
	    stats_get(&s->udp_in));
	rc |= prom_uint(out, "evecho_udp_datagrams_sent_total", "counter",
	    "Datagrams echoed on udp: listeners.", stats_get(&s->udp_out));
	rc |= prom_uint(out, "evecho_udp_received_bytes_total", "counter",
	    "Payload bytes of the datagrams received.",
	    stats_get(&s->udp_bytes_in));
	rc |= prom_uint(out, "evecho_udp_sent_bytes_total", "counter",
	    "Payload bytes of the datagrams echoed.",
	    stats_get(&s->udp_bytes_out));
	rc |= prom_family(out, "evecho_udp_refused_total", "counter",
	    "Datagrams not echoed, by reason: a guarded source, over "
	    "--udp-rate, truncated, or the kernel refused the echo.");
	for (i = 0; i < STATS_UDP_REFUSAL_N; i++)
		rc |= evbuffer_add_printf(out, "evecho_udp_refused_total"
		    "{reason=\"%s\"} %llu\n", stats_udp_refusal_name(
		    (enum stats_udp_refusal)i),
		    (unsigned long long)stats_get(&s->udp_refused[i])) < 0;
	rc |= prom_family(out, "evecho_tls_handshakes_total", "counter",
	    "TLS handshakes on ,tls listeners, by result; failed ones were "
	    "bad, or not done within --handshake-timeout.");
	rc |= evbuffer_add_printf(out, "evecho_tls_handshakes_total"
	    "{result=\"done\"} %llu\nevecho_tls_handshakes_total"
	    "{result=\"failed\"} %llu\n",
	    (unsigned long long)stats_get(&s->tls_handshakes),
	    (unsigned long long)stats_get(&s->tls_failures)) < 0;
	rc |= prom_uint(out, "evecho_accept_errors_total", "counter",
	    "accept(2) failures, each followed by a pause in accepting.",
	    r->accept_errors);

	rc |= prom_uint(out, "evecho_received_bytes_total", "counter",
	    "Bytes read from clients.", stats_get(&s->bytes_in));
	rc |= prom_uint(out, "evecho_written_bytes_total", "counter",
	    "Echo bytes handed to the kernel, some perhaps still in its "
	    "send queue.", stats_get(&s->bytes_out));
	rc |= prom_uint(out, "evecho_sent_bytes_total", "counter",
	    "Echo bytes actually sent: acknowledged by the clients (TCP), "
	    "counted as each connection closes.", stats_get(&s->bytes_acked));
	rc |= prom_uint(out, "evecho_queue_pauses_total", "counter",
	    "Times reading from a client paused at --max-queue.",
	    stats_get(&s->pauses));
	rc |= prom_uint(out, "evecho_memory_waits_total", "counter",
	    "Times reading from a client waited for --max-memory room.",
	    stats_get(&s->memory_waits));
	rc |= prom_uint(out, "evecho_queued_bytes", "gauge",
	    "Memory held for queued echo, counted against --max-memory.",
	    r->queued);
	rc |= prom_uint(out, "evecho_memory_budget_bytes", "gauge",
	    "The memory budget (--max-memory).", r->budget);
	rc |= prom_uint(out, "evecho_log_lines_dropped_total", "counter",
	    "Log lines lost because the log could not keep up.", r->log_lost);
	rc |= prom_uint(out, "evecho_draining", "gauge",
	    "1 once SIGTERM or SIGINT started the drain.",
	    (uint64_t)r->draining);

	rc |= prom_family(out, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	rc |= evbuffer_add_printf(out, "process_cpu_seconds_total "
	    "%llu.%03llu\n", (unsigned long long)(p->cpu_ms / 1000),
	    (unsigned long long)(p->cpu_ms % 1000)) < 0;
	/* Unknown (no /proc in a chroot) is left out, not said to be 0. */
	if (p->has_memory) {
		rc |= prom_uint(out, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.", p->rss_bytes);
		rc |= prom_uint(out, "process_virtual_memory_bytes", "gauge",
		    "Virtual memory size in bytes.", p->vsize_bytes);
	}
	if (p->open_fds >= 0)
		rc |= prom_uint(out, "process_open_fds", "gauge",
		    "Number of open file descriptors.",
		    (uint64_t)p->open_fds);
	rc |= prom_uint(out, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors.", p->max_fds);
	rc |= prom_family(out, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	rc |= evbuffer_add_printf(out, "process_start_time_seconds %.3f\n",
	    p->start_time) < 0;
	return (rc ? -1 : 0);
}

/* A family's HELP and TYPE lines. */
static int
prom_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	return (evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name,
	    help, name, type) < 0);
}

/* A family of one unlabelled whole number. */
static int
prom_uint(struct evbuffer *out, const char *name, const char *type,
    const char *help, uint64_t value)
{
	return (prom_family(out, name, type, help) |
	    (evbuffer_add_printf(out, "%s %llu\n", name,
	    (unsigned long long)value) < 0));
}

/*
 * A label's value in quotes, escaped as the format asks (backslash,
 * quote, newline), then what follows it.
 */
static int
prom_label_value(struct evbuffer *out, const char *value, const char *then)
{
	int	 rc = evbuffer_add(out, "\"", 1);

	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			rc |= evbuffer_add_printf(out, "\\%c", *value) < 0;
		else if (*value == '\n')
			rc |= evbuffer_add(out, "\\n", 2);
		else
			rc |= evbuffer_add(out, value, 1);
	}
	rc |= evbuffer_add(out, "\"", 1);
	return (rc | evbuffer_add(out, then, strlen(then)));
}

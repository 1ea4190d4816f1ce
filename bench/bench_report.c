/*
 * bench_report.c: the report.  Rates are over the time measured: the
 * window every thread counted in, unless the run was interrupted or every
 * connection failed before its end.  Latencies are in microseconds, from
 * the histogram, so within 1/32 of the truth.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>

#include "bench_clock.h"
#include "bench_hist.h"
#include "bench_opts.h"
#include "bench_report.h"
#include "bench_tally.h"

#define MIB	(1024.0 * 1024.0)

/* The percentiles reported, with their names in the table and JSON. */
static const struct {
	double		 pct;
	const char	*label;		/* table */
	const char	*key;		/* JSON */
} percentiles[] = {
	{ 50.0, "p50", "p50" },
	{ 90.0, "p90", "p90" },
	{ 99.0, "p99", "p99" },
	{ 99.9, "p99.9", "p99_9" },
};
#define NPERCENTILES	(sizeof percentiles / sizeof percentiles[0])

static uint64_t	messages(const struct bench_opts *, const struct tally *);
static double	per_s(double, const struct tally *);
static double	server_us_per(const struct bench_opts *,
		    const struct tally *);
static double	seconds(unsigned);
static double	us(uint64_t);

/* Messages completed in the window; in stream, bytes by message size. */
static uint64_t
messages(const struct bench_opts *o, const struct tally *t)
{
	return (o->mode == MODE_STREAM ? t->bytes / o->size : t->messages);
}

/* A count over the time measured, as a rate; 0 if nothing was measured. */
static double
per_s(double n, const struct tally *t)
{
	return (t->window_ns == 0 ? 0.0 : n / ((double)t->window_ns /
	    NS_PER_S));
}

/* Milliseconds as seconds. */
static double
seconds(unsigned ms)
{
	return ((double)ms / 1000.0);
}

/* Nanoseconds as microseconds. */
static double
us(uint64_t ns)
{
	return ((double)ns / 1000.0);
}

/* The human report: parameters, then one line per result. */
void
report_table(FILE *fp, const struct bench_opts *o, const struct tally *t)
{
	const struct hist	*h = &t->latency;
	double			 secs = seconds(o->duration_ms);
	double			 measured = (double)t->window_ns / NS_PER_S;
	uint64_t		 errors = tally_errors(t);
	size_t			 i;
	int			 k, n;

	fprintf(fp, "evecho-bench %s%s against %s\n", opts_mode_name(o->mode),
	    o->udp ? " over UDP" : "", o->target.name);
	fprintf(fp, "  connections   %lu%s on %lu thread%s, %lu idle\n",
	    o->conns, o->mode == MODE_CHURN ? " loops" : "", o->threads,
	    o->threads == 1 ? "" : "s", o->idle);
	switch (o->mode) {
	case MODE_PINGPONG:
		fprintf(fp, "  messages      %lu B, %lu in flight per "
		    "connection\n", o->size, o->depth);
		break;
	case MODE_STREAM:
		fprintf(fp, "  messages      %lu B, sent without pause\n",
		    o->size);
		break;
	case MODE_CHURN:
		fprintf(fp, "  messages      %lu B, one per connection\n",
		    o->size);
		break;
	}
	if (t->window_ns == (uint64_t)o->duration_ms * NS_PER_MS)
		fprintf(fp, "  time          %.3f s measured after %.3f s of "
		    "warm-up\n", secs, seconds(o->warmup_ms));
	else
		fprintf(fp, "  time          %.3f s measured of %.3f, after "
		    "%.3f s of warm-up: %s\n", measured, secs,
		    seconds(o->warmup_ms), t->interrupted ? "interrupted" :
		    "every connection failed");
	fprintf(fp, "  completed     %llu %s, %.1f per second\n",
	    (unsigned long long)messages(o, t), o->mode == MODE_CHURN ?
	    "connections" : "messages", per_s((double)messages(o, t), t));
	if (o->udp)
		fprintf(fp, "  datagrams     %llu sent, %llu lost (%.3f%%), "
		    "%llu late\n", (unsigned long long)t->dgram_sent,
		    (unsigned long long)t->dgram_lost, t->dgram_sent == 0 ? 0 :
		    100.0 * (double)t->dgram_lost / (double)t->dgram_sent,
		    (unsigned long long)t->dgram_late);
	fprintf(fp, "  throughput    %.3f MiB/s of echo\n",
	    per_s((double)t->bytes / MIB, t));
	fprintf(fp, "  latency (us)  ");
	if (h->count == 0)
		fprintf(fp, "none measured");
	for (i = 0; h->count > 0 && i < NPERCENTILES; i++)
		fprintf(fp, "%s %.1f  ", percentiles[i].label,
		    us(hist_percentile(h, percentiles[i].pct)));
	if (h->count > 0)
		fprintf(fp, "max %.1f", us(h->max));
	if (o->mode == MODE_STREAM && h->count > 0)
		fprintf(fp, "\n                (%llu probes)",
		    (unsigned long long)h->count);
	fprintf(fp, "\n  errors        ");
	if (errors == 0)
		fprintf(fp, "none\n");
	else {
		fprintf(fp, "%llu (", (unsigned long long)errors);
		for (n = 0, k = 0; k < ERR_NKINDS; k++) {
			if (t->errors[k] > 0)
				fprintf(fp, "%s%llu %s", n++ > 0 ? ", " : "",
				    (unsigned long long)t->errors[k],
				    tally_error_name(k));
		}
		fprintf(fp, ")\n");
	}
	fprintf(fp, "  bench CPU     %.3f s, %.2f of a core\n",
	    (double)t->cpu_ns / NS_PER_S, per_s((double)t->cpu_ns / NS_PER_S,
	    t));
	if (t->server_cpu)
		fprintf(fp, "  server CPU    %.3f s user, %.3f s system, %.2f of "
		    "a core, %.3f us per %s\n",
		    (double)t->server_user_ns / NS_PER_S,
		    (double)t->server_sys_ns / NS_PER_S,
		    per_s((double)(t->server_user_ns + t->server_sys_ns) /
		    NS_PER_S, t), server_us_per(o, t), o->mode == MODE_CHURN ?
		    "connection" : "message");
}

/* The server's CPU microseconds per message (per connection for churn). */
static double
server_us_per(const struct bench_opts *o, const struct tally *t)
{
	uint64_t	 n = messages(o, t);

	if (n == 0)
		return (0);
	return ((double)(t->server_user_ns + t->server_sys_ns) / 1000.0 /
	    (double)n);
}

/*
 * One JSON object on one line, the fields of evecho-bench(1).  The
 * latency fields are null when nothing was measured.
 */
void
report_json(FILE *fp, const struct bench_opts *o, const struct tally *t)
{
	const struct hist	*h = &t->latency;
	size_t			 i;
	int			 k;

	fprintf(fp, "{\"mode\":\"%s\",\"target\":\"%s\",\"connections\":%lu,"
	    "\"size\":%lu,\"depth\":%lu,\"threads\":%lu,\"idle\":%lu,"
	    "\"seed\":%llu,\"duration_s\":%.3f,\"warmup_s\":%.3f,"
	    "\"measured_s\":%.3f,\"interrupted\":%s,",
	    opts_mode_name(o->mode), o->target.name, o->conns, o->size,
	    o->depth, o->threads, o->idle, (unsigned long long)o->seed,
	    seconds(o->duration_ms), seconds(o->warmup_ms),
	    (double)t->window_ns / NS_PER_S, t->interrupted ? "true" : "false");
	fprintf(fp, "\"messages\":%llu,\"messages_per_s\":%.1f,"
	    "\"bytes\":%llu,\"mib_per_s\":%.3f,",
	    (unsigned long long)messages(o, t),
	    per_s((double)messages(o, t), t), (unsigned long long)t->bytes,
	    per_s((double)t->bytes / MIB, t));
	fprintf(fp, "\"latency_us\":{\"samples\":%llu",
	    (unsigned long long)h->count);
	if (h->count == 0) {
		fprintf(fp, ",\"min\":null,\"mean\":null");
		for (i = 0; i < NPERCENTILES; i++)
			fprintf(fp, ",\"%s\":null", percentiles[i].key);
		fprintf(fp, ",\"max\":null},");
	} else {
		fprintf(fp, ",\"min\":%.1f,\"mean\":%.1f", us(h->min),
		    hist_mean(h) / 1000.0);
		for (i = 0; i < NPERCENTILES; i++)
			fprintf(fp, ",\"%s\":%.1f", percentiles[i].key,
			    us(hist_percentile(h, percentiles[i].pct)));
		fprintf(fp, ",\"max\":%.1f},", us(h->max));
	}
	if (o->udp)
		fprintf(fp, "\"transport\":\"udp\",\"datagrams\":{\"sent\":%llu,"
		    "\"lost\":%llu,\"late\":%llu},",
		    (unsigned long long)t->dgram_sent,
		    (unsigned long long)t->dgram_lost,
		    (unsigned long long)t->dgram_late);
	else
		fprintf(fp, "\"transport\":\"tcp\",\"datagrams\":null,");
	fprintf(fp, "\"errors\":{\"total\":%llu",
	    (unsigned long long)tally_errors(t));
	for (k = 0; k < ERR_NKINDS; k++)
		fprintf(fp, ",\"%s\":%llu", tally_error_name(k),
		    (unsigned long long)t->errors[k]);
	fprintf(fp, "},\"cpu_s\":%.3f,\"cpu_cores\":%.3f,\"server_cpu\":",
	    (double)t->cpu_ns / NS_PER_S, per_s((double)t->cpu_ns / NS_PER_S,
	    t));
	if (!t->server_cpu)
		fprintf(fp, "null}\n");
	else
		fprintf(fp, "{\"pid\":%ld,\"user_s\":%.3f,\"sys_s\":%.3f,"
		    "\"cores\":%.3f,\"us_per_message\":%.4f}}\n",
		    o->server_pid, (double)t->server_user_ns / NS_PER_S,
		    (double)t->server_sys_ns / NS_PER_S,
		    per_s((double)(t->server_user_ns + t->server_sys_ns) /
		    NS_PER_S, t), server_us_per(o, t));
}

/*
 * On stderr after the run, when there were errors: how many of each
 * kind, and the first of each kind, described.
 */
void
report_errors(FILE *fp, const struct tally *t)
{
	uint64_t	 errors = tally_errors(t);
	int		 k, n;

	if (errors == 0)
		return;
	fprintf(fp, "evecho-bench: %llu error%s: ", (unsigned long long)errors,
	    errors == 1 ? "" : "s");
	for (n = 0, k = 0; k < ERR_NKINDS; k++) {
		if (t->errors[k] > 0)
			fprintf(fp, "%s%llu %s", n++ > 0 ? ", " : "",
			    (unsigned long long)t->errors[k],
			    tally_error_name(k));
	}
	fputc('\n', fp);
	for (k = 0; k < ERR_NKINDS; k++) {
		if (t->errors[k] > 0)
			fprintf(fp, "evecho-bench: first %s error: %s\n",
			    tally_error_name(k), t->first[k]);
	}
}

/*
 * The live line: the phase, seconds since the start, and the last
 * second's rates; \r first so each one overwrites the one before.
 */
void
report_progress(FILE *fp, const struct bench_opts *o, double elapsed,
    uint64_t msgs, uint64_t bytes, uint64_t errors)
{
	double		 warmup = seconds(o->warmup_ms);
	double		 end = warmup + seconds(o->duration_ms);
	const char	*phase = elapsed < warmup ? "warm-up" :
	    elapsed < end ? "measuring" : "finishing";

	fprintf(fp, "\r%s %.0f/%g s: %llu %s/s, %.2f MiB/s, %llu error%s   ",
	    phase, elapsed, end, (unsigned long long)msgs,
	    o->mode == MODE_CHURN ? "conn" : "msg", (double)bytes / MIB,
	    (unsigned long long)errors, errors == 1 ? "" : "s");
	fflush(fp);
}

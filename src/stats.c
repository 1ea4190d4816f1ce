/*
 * stats.c: names for the counters, and their sums.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "stats.h"
#include "value.h"

static const char *const stats_end_names[STATS_END_N] = {
	[STATS_END_CLIENT] = "client",
	[STATS_END_RESET] = "reset",
	[STATS_END_IDLE] = "idle",
	[STATS_END_ERROR] = "error",
	[STATS_END_SHUTDOWN] = "shutdown",
	[STATS_END_PROTOCOL] = "protocol",
	[STATS_END_HANDSHAKE] = "handshake",
};

const char *
stats_end_name(enum stats_end end)
{
	return (end < STATS_END_N ? stats_end_names[end] : "?");
}

/* A refused datagram's reason, as the stats line and metrics name it. */
const char *
stats_udp_refusal_name(enum stats_udp_refusal why)
{
	static const char *const names[STATS_UDP_REFUSAL_N] = {
		[STATS_UDP_GUARDED] = "guarded",
		[STATS_UDP_RATE] = "rate_limited",
		[STATS_UDP_TRUNCATED] = "truncated",
		[STATS_UDP_SEND_FAILED] = "send_failed",
	};

	return (why < STATS_UDP_REFUSAL_N ? names[why] : "?");
}

/* A failed read or write: the client's doing, or ours. */
enum stats_end
stats_end_of_errno(int err)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
	case ETIMEDOUT:		/* the client's host went away */
	case EHOSTUNREACH:
		return (STATS_END_RESET);
	default:
		return (STATS_END_ERROR);
	}
}

/* Add one worker's counters to a sum, read as they stand now. */
void
stats_sum(struct stats *sum, const struct stats *s)
{
	int	 i;

	stats_add(&sum->accepted, stats_get(&s->accepted));
	stats_add(&sum->accepted_unix, stats_get(&s->accepted_unix));
	for (i = 0; i < STATS_END_N; i++)
		stats_add(&sum->ended[i], stats_get(&s->ended[i]));
	stats_add(&sum->bytes_in, stats_get(&s->bytes_in));
	stats_add(&sum->bytes_out, stats_get(&s->bytes_out));
	stats_add(&sum->bytes_acked, stats_get(&s->bytes_acked));
	stats_add(&sum->pauses, stats_get(&s->pauses));
	stats_add(&sum->memory_waits, stats_get(&s->memory_waits));
	for (i = 0; i < 3; i++)
		stats_add(&sum->proxy_headers[i],
		    stats_get(&s->proxy_headers[i]));
	stats_add(&sum->udp_in, stats_get(&s->udp_in));
	stats_add(&sum->udp_out, stats_get(&s->udp_out));
	stats_add(&sum->udp_bytes_in, stats_get(&s->udp_bytes_in));
	stats_add(&sum->udp_bytes_out, stats_get(&s->udp_bytes_out));
	for (i = 0; i < STATS_UDP_REFUSAL_N; i++)
		stats_add(&sum->udp_refused[i], stats_get(&s->udp_refused[i]));
	stats_add(&sum->tls_handshakes, stats_get(&s->tls_handshakes));
	stats_add(&sum->tls_failures, stats_get(&s->tls_failures));
}

/* The acceptor's counts, zero. */
int
stats_accept_init(struct stats_accept *a)
{
	memset(a, 0, sizeof *a);
	return ((errno = pthread_mutex_init(&a->limit_lock, NULL)) == 0 ?
	    0 : -1);
}

void
stats_accept_free(struct stats_accept *a)
{
	pthread_mutex_destroy(&a->limit_lock);
}

/*
 * At now_ms, the acceptor is at --max-conns (paused) or not: a pause
 * begins, and is counted, or ends, and is timed.
 */
void
stats_limit_pause(struct stats_accept *a, int paused, uint64_t now_ms)
{
	pthread_mutex_lock(&a->limit_lock);
	if (paused && a->limit_paused_since_ms == 0) {
		stats_add(&a->limit_pauses, 1);
		a->limit_paused_since_ms = now_ms > 0 ? now_ms : 1;
	} else if (!paused && a->limit_paused_since_ms != 0) {
		if (now_ms > a->limit_paused_since_ms)
			a->limit_paused_ms += now_ms - a->limit_paused_since_ms;
		a->limit_paused_since_ms = 0;
	}
	pthread_mutex_unlock(&a->limit_lock);
}

/* The acceptor's counts into r, a pause still going timed up to now_ms. */
void
stats_read_accept(struct stats_report *r, struct stats_accept *a,
    uint64_t now_ms)
{
	r->refused_per_host = stats_get(&a->refused_per_host);
	r->accept_errors = stats_get(&a->accept_errors);
	r->limit_pauses = stats_get(&a->limit_pauses);
	pthread_mutex_lock(&a->limit_lock);
	r->limit_paused_ms = a->limit_paused_ms;
	if (a->limit_paused_since_ms != 0 &&
	    now_ms > a->limit_paused_since_ms)
		r->limit_paused_ms += now_ms - a->limit_paused_since_ms;
	pthread_mutex_unlock(&a->limit_lock);
}

/*
 * One line of every counter, for SIGUSR1 and --stats-interval:
 * "stats: 3 open, 12 accepted; ended 8 client, 1 reset, 1 idle, 0 error,
 * 0 shutdown; 2 refused per host; 1200 B in, 1200 B out, 1200 B acked;
 * 0 pauses, 0 memory waits; memory 224 of 5.9G; 0 pauses at --max-conns
 * (0.000 s); 0 accept errors; 0 log lines lost; PROXY headers 0 v1, 0 v2,
 * 0 local; TLS handshakes 0 done, 0 failed; 0 accepted over
 * Unix-domain sockets; UDP 5 in, 4 out, 320 B in, 256 B out, refused
 * 1 guarded, 0 rate_limited, 0 truncated, 0 send_failed"
 */
void
stats_log(const struct stats_report *r)
{
	char	 ended[256], queued[32], budget[32];
	size_t	 len = 0;
	int	 i, n;

	for (i = 0; i < STATS_END_N; i++) {
		n = snprintf(ended + len, sizeof ended - len, "%s%llu %s",
		    i == 0 ? "" : ", ",
		    (unsigned long long)stats_get(&r->sum.ended[i]),
		    stats_end_name((enum stats_end)i));
		if (n < 0 || (size_t)n >= sizeof ended - len)
			break;
		len += (size_t)n;
	}
	log_msg(LOGLV_INFO, "stats: %u open, %llu accepted; ended %s; %llu "
	    "refused per host; %llu B in, %llu B out, %llu B acked; %llu "
	    "pauses, %llu memory waits; memory %s of %s; %llu pauses at "
	    "--max-conns (%llu.%03llu s); %llu accept errors; %llu log "
	    "lines lost; PROXY headers %llu v1, %llu v2, %llu local; TLS "
	    "handshakes %llu done, %llu failed; %llu accepted over "
	    "Unix-domain sockets; UDP %llu in, %llu out, %llu B in, %llu B "
	    "out, refused %llu %s, %llu %s, %llu %s, %llu %s", r->open,
	    (unsigned long long)stats_get(&r->sum.accepted), ended,
	    (unsigned long long)r->refused_per_host,
	    (unsigned long long)stats_get(&r->sum.bytes_in),
	    (unsigned long long)stats_get(&r->sum.bytes_out),
	    (unsigned long long)stats_get(&r->sum.bytes_acked),
	    (unsigned long long)stats_get(&r->sum.pauses),
	    (unsigned long long)stats_get(&r->sum.memory_waits),
	    value_format_size(r->queued, queued, sizeof queued),
	    value_format_size(r->budget, budget, sizeof budget),
	    (unsigned long long)r->limit_pauses,
	    (unsigned long long)(r->limit_paused_ms / 1000),
	    (unsigned long long)(r->limit_paused_ms % 1000),
	    (unsigned long long)r->accept_errors,
	    (unsigned long long)r->log_lost,
	    (unsigned long long)stats_get(&r->sum.proxy_headers[0]),
	    (unsigned long long)stats_get(&r->sum.proxy_headers[1]),
	    (unsigned long long)stats_get(&r->sum.proxy_headers[2]),
	    (unsigned long long)stats_get(&r->sum.tls_handshakes),
	    (unsigned long long)stats_get(&r->sum.tls_failures),
	    (unsigned long long)stats_get(&r->sum.accepted_unix),
	    (unsigned long long)stats_get(&r->sum.udp_in),
	    (unsigned long long)stats_get(&r->sum.udp_out),
	    (unsigned long long)stats_get(&r->sum.udp_bytes_in),
	    (unsigned long long)stats_get(&r->sum.udp_bytes_out),
	    (unsigned long long)stats_get(&r->sum.udp_refused[0]),
	    stats_udp_refusal_name(STATS_UDP_GUARDED),
	    (unsigned long long)stats_get(&r->sum.udp_refused[1]),
	    stats_udp_refusal_name(STATS_UDP_RATE),
	    (unsigned long long)stats_get(&r->sum.udp_refused[2]),
	    stats_udp_refusal_name(STATS_UDP_TRUNCATED),
	    (unsigned long long)stats_get(&r->sum.udp_refused[3]),
	    stats_udp_refusal_name(STATS_UDP_SEND_FAILED));
}

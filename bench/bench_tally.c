/*
 * bench_tally.c: counters, errors by kind, and the latency histogram of
 * one thread, and their merge.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench_hist.h"
#include "bench_tally.h"

/* The names errors have in the report and the JSON object. */
static const char *const error_names[ERR_NKINDS] = {
	"connect", "reset", "eof", "mismatch", "timeout", "io"
};

/* An empty tally. */
void
tally_init(struct tally *t)
{
	memset(t, 0, sizeof *t);
	hist_init(&t->latency);
}

/*
 * Count an error of a kind.  Only the first of each kind is described,
 * so a server that fails every connection costs a counter per failure,
 * not a formatted message.
 */
void
tally_error(struct tally *t, enum tally_error kind, const char *fmt, ...)
{
	va_list	 ap;

	if (t->errors[kind]++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(t->first[kind], sizeof t->first[kind], fmt, ap);
	va_end(ap);
}

/* Add src into dst; dst keeps its own first errors where it has them. */
void
tally_merge(struct tally *dst, const struct tally *src)
{
	int	 k;

	dst->messages += src->messages;
	dst->bytes += src->bytes;
	dst->dgram_sent += src->dgram_sent;
	dst->dgram_lost += src->dgram_lost;
	dst->dgram_late += src->dgram_late;
	dst->cpu_ns += src->cpu_ns;
	dst->server_cpu |= src->server_cpu;
	dst->server_user_ns += src->server_user_ns;
	dst->server_sys_ns += src->server_sys_ns;
	if (src->window_ns > dst->window_ns)
		dst->window_ns = src->window_ns;
	dst->interrupted |= src->interrupted;
	for (k = 0; k < ERR_NKINDS; k++) {
		if (dst->errors[k] == 0 && src->errors[k] != 0)
			memcpy(dst->first[k], src->first[k],
			    sizeof dst->first[k]);
		dst->errors[k] += src->errors[k];
	}
	hist_merge(&dst->latency, &src->latency);
}

/* All errors, of every kind. */
uint64_t
tally_errors(const struct tally *t)
{
	uint64_t	 n = 0;
	int		 k;

	for (k = 0; k < ERR_NKINDS; k++)
		n += t->errors[k];
	return (n);
}

/* The name of an error kind ("mismatch"). */
const char *
tally_error_name(enum tally_error kind)
{
	return (error_names[kind]);
}

/*
 * bench_report.h: what a run found, told as a table for people, as one
 * JSON object for programs, as error lines on stderr, and while it runs
 * as a progress line.
 */
#ifndef EVECHO_BENCH_REPORT_H
#define EVECHO_BENCH_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "bench_opts.h"
#include "bench_tally.h"

void	report_table(FILE *, const struct bench_opts *, const struct tally *);
void	report_json(FILE *, const struct bench_opts *, const struct tally *);
void	report_errors(FILE *, const struct tally *);
void	report_progress(FILE *, const struct bench_opts *, double, uint64_t,
	    uint64_t, uint64_t);

#endif /* EVECHO_BENCH_REPORT_H */

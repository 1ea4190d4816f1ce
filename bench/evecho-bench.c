/*
 * evecho-bench: a load generator for TCP echo servers (RFC 862), which
 * checks every byte of the echo.
 *
 * main() only wires things together: flags into options, a first
 * connection to the server, the run, the report, and the outcome as an
 * exit status (sysexits(3), and 1 for errors found during the run).
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_load.h"
#include "cli.h"
#include "bench_opts.h"
#include "bench_report.h"
#include "bench_run.h"
#include "bench_tally.h"
#include "bench_target.h"

#define EXIT_ECHO_ERRORS	1	/* the run found errors */

/* Options, first connection, limits, run, report: each failure its status. */
int
main(int argc, char **argv)
{
	struct bench_opts	 opts;
	struct tally		 total;
	char			 err[1024];
	int			 status;

	switch (opts_parse(&opts, argc, argv, err, sizeof err)) {
	case OPTS_ERROR:
		cli_error("evecho-bench", err, 1);
		return (EX_USAGE);
	case OPTS_HELP:
		opts_usage(stdout);
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	case OPTS_VERSION:
		printf("evecho-bench %s (libevent %s)\n", PACKAGE_VERSION,
		    event_get_version());
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	case OPTS_RUN:
		break;
	}

	/* A server that resets a connection must cost an error, not us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "evecho-bench: cannot ignore SIGPIPE: %s\n",
		    strerror(errno));
		return (EX_OSERR);
	}
	if ((status = target_probe(&opts.target, LOAD_CONNECT_TIMEOUT_MS, err,
	    sizeof err)) != EX_OK) {
		cli_error("evecho-bench", err, 0);
		return (status);
	}
	if (run_raise_nofile(&opts, err, sizeof err) == -1) {
		cli_error("evecho-bench", err, 0);
		return (EX_OSERR);
	}
	if ((status = run_bench(&opts, isatty(STDERR_FILENO), &total, err,
	    sizeof err)) != EX_OK) {
		cli_error("evecho-bench", err, 0);
		return (status);
	}

	if (opts.json)
		report_json(stdout, &opts, &total);
	else
		report_table(stdout, &opts, &total);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "evecho-bench: cannot write the report: %s\n",
		    strerror(errno));
		return (EX_IOERR);
	}
	report_errors(stderr, &total);
	return (tally_errors(&total) > 0 ? EXIT_ECHO_ERRORS : EX_OK);
}

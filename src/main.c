/*
 * evecho: a TCP echo service (RFC 862) on libevent.
 *
 * main() only wires things together: flags into a config, the config into
 * a running server, the outcome into an exit status (sysexits(3)).
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>

#include "budget.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "server.h"

static int	start_log(const struct config *, char *, size_t);

int
main(int argc, char **argv)
{
	struct config	 cfg;
	struct server	*srv;
	char		 err[512];
	int		 status;

	budget_install();	/* before libevent allocates anything */
	switch (config_parse(&cfg, argc, argv, err, sizeof err)) {
	case CONFIG_ERROR:
		cli_error("evecho", err, 1);
		return (EX_USAGE);
	case CONFIG_NOMEM:
		cli_error("evecho", err, 0);
		return (EX_OSERR);
	case CONFIG_HELP:
		config_usage(stdout);
		config_free(&cfg);
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	case CONFIG_VERSION:
		printf("evecho %s (libevent %s)\n", PACKAGE_VERSION,
		    event_get_version());
		config_free(&cfg);
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	case CONFIG_RUN:
		break;
	}

	/* A client that vanishes must cost an EPIPE, not the process. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "evecho: cannot ignore SIGPIPE: %s\n",
		    strerror(errno));
		config_free(&cfg);
		return (EX_OSERR);
	}
	if (start_log(&cfg, err, sizeof err) == -1) {
		cli_error("evecho", err, 0);
		config_free(&cfg);
		return (EX_CANTCREAT);
	}

	if ((status = server_open(&srv, &cfg, err, sizeof err)) != EX_OK) {
		cli_error("evecho", err, 0);
		log_stop();
		config_free(&cfg);
		return (status);
	}
	/* The loops are about to run: from now on no line waits on the sink. */
	if (log_start(err, sizeof err) == -1)
		log_warn("%s; logging from the event loops", err);
	status = server_run(srv);
	server_free(srv);
	log_stop();
	config_free(&cfg);
	return (status);
}

/* The log as the flags say: its level, format and sink. */
static int
start_log(const struct config *cfg, char *err, size_t errlen)
{
	struct log_options	 opt;

	memset(&opt, 0, sizeof opt);
	opt.verbosity = cfg->verbosity;
	opt.format = (enum log_format)cfg->log_format;
	if (cfg->log_file != NULL) {
		opt.sink.kind = LOGSINK_FILE;
		opt.sink.path = cfg->log_file;
	} else if (cfg->syslog) {
		opt.sink.kind = LOGSINK_SYSLOG;
		opt.sink.facility = cfg->syslog_facility;
	} else
		opt.sink.kind = LOGSINK_STDERR;
	return (log_init(&opt, err, errlen));
}

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
#include "daemonize.h"
#include "log.h"
#include "pidfile.h"
#include "privdrop.h"
#include "server.h"
#include "tls.h"

static int	start_log(const struct config *, char *, size_t);

int
main(int argc, char **argv)
{
	struct config	 cfg;
	struct server	*srv = NULL;
	struct pidfile	 pidfile;
	char		 err[512];
	int		 status, logging = 0;

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
#ifdef HAVE_OPENSSL
		printf("TLS: %s\n", tls_library_version());
#else
		printf("TLS: not built in\n");
#endif
		config_free(&cfg);
		return (fflush(stdout) == 0 ? EX_OK : EX_IOERR);
	case CONFIG_RUN:
		break;
	}

	pidfile_init(&pidfile);
	err[0] = '\0';
	/* A client that vanishes must cost an EPIPE, not the process. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		snprintf(err, sizeof err, "cannot ignore SIGPIPE: %s",
		    strerror(errno));
		status = EX_OSERR;
		goto done;
	}
	/* Now, while /etc/passwd is in sight: a chroot hides it. */
	if ((status = privdrop_resolve(&cfg.priv, err, sizeof err)) != EX_OK)
		goto done;
	if (start_log(&cfg, err, sizeof err) == -1) {
		status = EX_CANTCREAT;
		goto done;
	}
	logging = 1;
	/* Before any thread or event loop exists: fork(2) keeps neither. */
	if (cfg.daemon) {
		switch (daemonize_begin(&status, err, sizeof err)) {
		case -1:
			status = EX_OSERR;
			goto done;
		case 1:
			goto done;	/* the parent, with the child's status */
		}
	}
	/* Before the privileges go: /run is root's to write in. */
	if (cfg.pidfile != NULL && (status = pidfile_open(&pidfile,
	    cfg.pidfile, err, sizeof err)) != EX_OK)
		goto done;
	if ((status = server_open(&srv, &cfg, err, sizeof err)) != EX_OK ||
	    (status = pidfile_write(&pidfile, err, sizeof err)) != EX_OK)
		goto done;
	/* The pidfile first: whoever reads "ready" may look for it. */
	if (server_start(srv, err, sizeof err) == -1) {
		status = EX_OSERR;
		goto done;
	}
	if (daemonize_ready(err, sizeof err) == -1) {
		status = EX_OSERR;
		goto done;
	}
	/* The loops are about to run: from now on no line waits on the sink. */
	if (log_start(err, sizeof err) == -1) {
		log_warn("%s; logging from the event loops", err);
		err[0] = '\0';
	}
	status = server_run(srv);

done:
	/* Still the terminal's stderr, in a daemon not yet ready. */
	if (err[0] != '\0')
		cli_error("evecho", err, 0);
	server_free(srv);
	if (pidfile_remove(&pidfile, err, sizeof err) == -1)
		log_warn("%s", err);
	/* Only now, so that the parent exits after the clean-up. */
	if (status != EX_OK)
		daemonize_fail(status);
	if (logging)
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
	} else if (cfg->syslog || cfg->daemon) {
		/* A daemon's stderr goes to /dev/null once it serves. */
		opt.sink.kind = LOGSINK_SYSLOG;
		opt.sink.facility = cfg->syslog_facility;
	} else
		opt.sink.kind = LOGSINK_STDERR;
	return (log_init(&opt, err, errlen));
}

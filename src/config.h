/*
 * config.h: the command line, parsed and checked into a struct config.
 * The parser never prints and never exits: it returns what to do and, on
 * error, one sentence for the user.
 */
#ifndef EVECHO_CONFIG_H
#define EVECHO_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "privdrop.h"

#define CONFIG_DEFAULT_HOST		"127.0.0.1"
#define CONFIG_DEFAULT_PORT		7777
#define CONFIG_DEFAULT_BACKLOG		511
#define CONFIG_DEFAULT_IDLE_MS		(300 * 1000)
#define CONFIG_DEFAULT_MAX_QUEUE	(1024 * 1024)
#define CONFIG_DEFAULT_DRAIN_MS		(5 * 1000)
#define CONFIG_DEFAULT_METRICS_PORT	9777
#define CONFIG_DEFAULT_HANDSHAKE_MS	(5 * 1000)
#define CONFIG_DEFAULT_UDP_RATE		100	/* datagrams/s per host */
#define CONFIG_UDP_RATE_MAX		10000000

#define CONFIG_BACKLOG_MAX		65535
#define CONFIG_MAX_CONNS_MAX		10000000
#define CONFIG_MAX_QUEUE_MAX		(1024L * 1024 * 1024)
#define CONFIG_SECONDS_MAX		86400
#define CONFIG_MAX_MEMORY_MAX		(1024UL * 1024 * 1024 * 1024)
#define CONFIG_THREADS_MAX		256

struct config {
	struct addr_spec	*listen;	/* -l, in the order given */
	size_t			 nlisten;
	int			 backlog;	/* listen(2) backlog */
	const char		*backend;	/* NULL: libevent chooses */
	int			 uppercase;	/* -U transform */
	unsigned		 idle_timeout_ms;	/* 0: never */
	unsigned		 max_conns;	/* 0: from RLIMIT_NOFILE */
	unsigned		 max_conns_per_host;	/* 0: no cap */
	size_t			 max_memory;	/* budget; 0: the default */
	size_t			 max_queue;	/* bytes queued per client */
	unsigned		 threads;	/* workers, each a thread */
	unsigned		 drain_timeout_ms;	/* after SIGTERM */
	unsigned		 handshake_timeout_ms;	/* PROXY header;
							   0: only -t */
	unsigned		 stats_interval_ms;	/* 0: no stats lines */
	int			 verbosity;	/* enum log_level */
	int			 log_format;	/* enum log_format */
	char			*log_file;	/* --log-file; NULL: none */
	int			 syslog;	/* --syslog */
	int			 syslog_facility;	/* LOG_DAEMON... */
	struct addr_spec	 metrics;	/* --metrics, if metrics_on */
	int			 metrics_on;
	int			 listen_default;	/* no -l: listen holds
							   the default only */
	struct privdrop		 priv;		/* --user, --chroot */
	int			 daemon;	/* --daemon */
	char			*pidfile;	/* --pidfile; NULL: none */
	int			 unix_mode;	/* --unix-mode: 0 to 0777 */
	int			 unix_mode_set;	/* given, not the default */
	char			*unix_owner;	/* --unix-owner USER; NULL:
						   leave it to evecho's */
	char			*unix_group;	/* :GROUP; NULL: USER's */
	unsigned long		 udp_rate;	/* --udp-rate; 0: no limit */
	char			*tls_cert;	/* --tls-cert: PEM chain */
	char			*tls_key;	/* --tls-key: PEM key */
};

enum config_action {
	CONFIG_RUN,		/* start the service */
	CONFIG_HELP,		/* print help, exit 0 */
	CONFIG_VERSION,		/* print version, exit 0 */
	CONFIG_ERROR,		/* usage error: report, exit EX_USAGE */
	CONFIG_NOMEM		/* out of memory: report, exit EX_OSERR */
};

enum config_action
	config_parse(struct config *, int, char **, char *, size_t);
void	config_free(struct config *);
void	config_usage(FILE *);
int	config_check(const struct config *, int, char *, size_t);
unsigned
	config_default_threads(void);

#endif /* EVECHO_CONFIG_H */

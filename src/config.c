/*
 * config.c: command-line parsing with getopt_long.  Every flag, range and
 * conflict is checked here; each error is one sentence naming the flag and
 * what it expects.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "budget.h"
#include "cli.h"
#include "config.h"
#include "fdlimit.h"
#include "log.h"
#include "unixsock.h"

enum {
	OPT_MAX_QUEUE = 256,	/* long-only options: beyond any char */
	OPT_DRAIN_TIMEOUT,
	OPT_THREADS,
	OPT_MAX_MEMORY,
	OPT_MAX_CONNS_PER_HOST,
	OPT_LOG_FILE,
	OPT_LOG_FORMAT,
	OPT_SYSLOG,
	OPT_SYSLOG_FACILITY,
	OPT_STATS_INTERVAL,
	OPT_METRICS,
	OPT_USER,
	OPT_CHROOT,
	OPT_DAEMON,
	OPT_PIDFILE,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_UNIX_MODE,
	OPT_UNIX_OWNER,
	OPT_UDP_RATE,
	OPT_TLS_CERT,
	OPT_TLS_KEY
};

static const char short_options[] = ":l:b:B:Ut:m:vqhV";

static const struct option long_options[] = {
	{ "listen",		required_argument,	NULL, 'l' },
	{ "backlog",		required_argument,	NULL, 'b' },
	{ "backend",		required_argument,	NULL, 'B' },
	{ "uppercase",		no_argument,		NULL, 'U' },
	{ "idle-timeout",	required_argument,	NULL, 't' },
	{ "max-conns",		required_argument,	NULL, 'm' },
	{ "max-queue",		required_argument,	NULL, OPT_MAX_QUEUE },
	{ "max-memory",		required_argument,	NULL, OPT_MAX_MEMORY },
	{ "max-conns-per-host",	required_argument,	NULL,
	    OPT_MAX_CONNS_PER_HOST },
	{ "drain-timeout",	required_argument,	NULL, OPT_DRAIN_TIMEOUT },
	{ "handshake-timeout",	required_argument,	NULL,
	    OPT_HANDSHAKE_TIMEOUT },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "stats-interval",	required_argument,	NULL,
	    OPT_STATS_INTERVAL },
	{ "log-file",		required_argument,	NULL, OPT_LOG_FILE },
	{ "log-format",		required_argument,	NULL, OPT_LOG_FORMAT },
	{ "syslog",		no_argument,		NULL, OPT_SYSLOG },
	{ "syslog-facility",	required_argument,	NULL,
	    OPT_SYSLOG_FACILITY },
	{ "metrics",		required_argument,	NULL, OPT_METRICS },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "user",		required_argument,	NULL, OPT_USER },
	{ "chroot",		required_argument,	NULL, OPT_CHROOT },
	{ "daemon",		no_argument,		NULL, OPT_DAEMON },
	{ "pidfile",		required_argument,	NULL, OPT_PIDFILE },
	{ "unix-mode",		required_argument,	NULL, OPT_UNIX_MODE },
	{ "unix-owner",		required_argument,	NULL, OPT_UNIX_OWNER },
	{ "udp-rate",		required_argument,	NULL, OPT_UDP_RATE },
	{ "tls-cert",		required_argument,	NULL, OPT_TLS_CERT },
	{ "tls-key",		required_argument,	NULL, OPT_TLS_KEY },
	{ NULL,			0,			NULL, 0 }
};

/* The backends -B accepts, by libevent's names for them. */
static const char *const backends[] = { "epoll", "poll", "select", NULL };

static enum config_action
		add_listen(struct config *, const char *, char *, size_t);
static int	parse_seconds_flag(const char *, const char *, const char *,
		    unsigned *, char *, size_t);
static enum config_action
		config_parse_user(char **, char **, const char *, const char *,
		    char *, size_t);
static int	config_parse_mode(const char *, int *);
static int	config_check_unix(const struct config *, char *, size_t);
static enum config_action
		config_copy_path(char **, const char *, const char *, int,
		    char *, size_t);
static int	config_check_service(const struct config *, char *, size_t);
static int	config_check_tls(const struct config *, char *, size_t);

/* Print the help text: every flag with its default. */
void
config_usage(FILE *fp)
{
	char	 mem[32], what[64];

	fprintf(fp,
"usage: evecho [-hqUVv] [-B backend] [-b backlog] [-l address] [-m max-conns]\n"
"              [-t seconds] [--drain-timeout seconds] [--max-conns-per-host n]\n"
"              [--max-memory bytes] [--max-queue bytes] [--threads n]\n"
"              [--log-file path | --syslog] [--log-format text|json]\n"
"              [--metrics address] [--stats-interval seconds]\n"
"              [--syslog-facility name] [--daemon] [--pidfile path]\n"
"              [--user user[:group]] [--chroot dir]\n"
"              [--handshake-timeout seconds] [--udp-rate pps]\n"
"              [--unix-mode mode] [--unix-owner user[:group]]\n"
"              [--tls-cert file --tls-key file]\n"
"\n"
"Echo service (RFC 862): every byte a client sends is sent back to it, over\n"
"TCP, or a datagram at a time over UDP.\n"
"\n"
"  -l, --listen ADDR          listen on ADDR: HOST, HOST:PORT, [IPV6],\n"
"                             [IPV6]:PORT, or :PORT for every interface;\n"
"                             repeatable (default %s:%d; port 0 picks\n"
"                             a free port); ADDR,proxy takes a PROXY\n"
"                             protocol header (v1 or v2) first; ADDR,tls\n"
"                             speaks TLS (after the header, if both);\n"
"                             unix:PATH is a Unix-domain socket,\n"
"                             udp:ADDR echoes datagrams\n"
"  -b, --backlog N            listen(2) backlog (default %d)\n"
"  -B, --backend NAME         event backend: epoll, poll or select\n"
"                             (default: the best one available)\n"
"  -U, --uppercase            echo ASCII letters in upper case\n"
"  -t, --idle-timeout SECS    close a connection after SECS with no bytes\n"
"                             either way, within SECS/8 (at most 1 s) more;\n"
"                             0 turns it off (default %d)\n"
"  -m, --max-conns N          most connections at once; more wait in the\n"
"                             backlog (default: the open-file limit less\n"
"                             the descriptors evecho holds and %d spare)\n"
"      --max-conns-per-host N most connections from one IPv4 address or\n"
"                             IPv6 /64; more are closed at once (default 0:\n"
"                             no cap)\n"
"      --max-memory BYTES     memory for queued echo, all clients together;\n"
"                             reading waits when it runs short (default: a\n"
"                             quarter of RAM, here %s)\n"
"      --max-queue BYTES      echo bytes queued for one client before\n"
"                             reading from it pauses; k, M, G suffixes\n"
"                             (default 1M)\n"
"      --drain-timeout SECS   on SIGTERM or SIGINT, time left to connections\n"
"                             to receive their echo (default %d)\n"
"      --handshake-timeout SECS\n"
"                             time a client of a proxy listener has to send\n"
"                             its PROXY header, and a client of a TLS\n"
"                             listener to finish its handshake; 0: only -t\n"
"                             (default %d)\n"
"      --udp-rate PPS         datagrams echoed per second to one IPv4\n"
"                             address or IPv6 /64, bursts of a second's\n"
"                             worth; 0: no limit (default %d)\n"
"      --stats-interval SECS  log a line of counters every SECS, as SIGUSR1\n"
"                             does (default 0: off)\n"
"      --metrics ADDR         serve GET /metrics (Prometheus) and /healthz\n"
"                             over HTTP on ADDR, given as for -l (default\n"
"                             port %d; default: off)\n"
"      --threads N            worker threads, each with its own event loop\n"
"                             (default: the number of online CPUs, here %u)\n"
"  -v, --verbose              more log detail: -v a line per connection,\n"
"                             -vv a line per read\n"
"  -q, --quiet                log errors and warnings only\n"
"      --log-file PATH        log to PATH, appending; reopened on SIGHUP\n"
"                             (default: standard error)\n"
"      --syslog               log to syslog(3)\n"
"      --syslog-facility NAME syslog facility: daemon, user or local0 to\n"
"                             local7; implies --syslog (default daemon)\n"
"      --log-format FORMAT    text, or json: one object per line\n"
"                             (default text)\n"
"      --user USER[:GROUP]    once listening, run as USER and GROUP (default:\n"
"                             USER's group), never root again (default: as\n"
"                             started; a warning if that is root)\n"
"      --chroot DIR           with --user, chroot to DIR, an absolute path,\n"
"                             before becoming USER (default: none)\n"
"      --daemon               run in the background; exit once it serves, or\n"
"                             with its start-up status; log to syslog unless\n"
"                             --log-file or --syslog says otherwise\n"
"      --pidfile PATH         write evecho's pid to PATH once it serves, kept\n"
"                             locked while it runs, removed at exit\n"
"                             (default: none)\n"
"      --unix-mode MODE       octal mode of unix: socket files (default\n"
"                             %04o: owner and group may connect)\n"
"      --unix-owner USER[:GROUP]\n"
"                             owner of unix: socket files (default: as\n"
"                             started)\n"
"      --tls-cert FILE        certificate chain (PEM: the server's first) of\n"
"                             every ,tls listener; reread on SIGHUP\n"
"      --tls-key FILE         its private key (PEM, not encrypted)\n"
"  -h, --help                 print this help and exit\n"
"  -V, --version              print the version and exit\n"
"\n"
"SECS may have up to three decimals (0.25).  See evecho(1) for more.\n",
	    CONFIG_DEFAULT_HOST, CONFIG_DEFAULT_PORT, CONFIG_DEFAULT_BACKLOG,
	    CONFIG_DEFAULT_IDLE_MS / 1000, FDLIMIT_SPARE,
	    config_format_size(budget_default_limit(what, sizeof what), mem,
	    sizeof mem), CONFIG_DEFAULT_DRAIN_MS / 1000,
	    CONFIG_DEFAULT_HANDSHAKE_MS / 1000, CONFIG_DEFAULT_UDP_RATE,
	    CONFIG_DEFAULT_METRICS_PORT, config_default_threads(),
	    UNIXSOCK_DEFAULT_MODE);
}

/*
 * Fill cfg from argv.  On CONFIG_ERROR (or CONFIG_NOMEM), err holds one
 * sentence for the user and cfg holds nothing that needs freeing;
 * otherwise call config_free().
 */
enum config_action
config_parse(struct config *cfg, int argc, char **argv, char *err,
    size_t errlen)
{
	enum config_action	 action = CONFIG_RUN;
	enum config_action	 failure = CONFIG_ERROR, listened;
	unsigned long		 value;
	int			 ch, quiet = 0, verbose = 0;

	memset(cfg, 0, sizeof *cfg);
	cfg->backlog = CONFIG_DEFAULT_BACKLOG;
	cfg->idle_timeout_ms = CONFIG_DEFAULT_IDLE_MS;
	cfg->max_queue = CONFIG_DEFAULT_MAX_QUEUE;
	cfg->drain_timeout_ms = CONFIG_DEFAULT_DRAIN_MS;
	cfg->handshake_timeout_ms = CONFIG_DEFAULT_HANDSHAKE_MS;
	cfg->threads = config_default_threads();
	cfg->syslog_facility = LOG_DAEMON;
	cfg->unix_mode = UNIXSOCK_DEFAULT_MODE;
	cfg->udp_rate = CONFIG_DEFAULT_UDP_RATE;

	optind = 0;		/* glibc: restart, forgetting all state */
	opterr = 0;		/* we word the errors ourselves */
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'l':
			if ((listened = add_listen(cfg, optarg, err,
			    errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case 'b':
			if (config_parse_uint(optarg, 1, CONFIG_BACKLOG_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--backlog: expected a whole number from 1 "
				    "to %d", optarg, CONFIG_BACKLOG_MAX);
				goto fail;
			}
			cfg->backlog = (int)value;
			break;
		case 'B': {
			const char *const *b;

			for (b = backends; *b != NULL; b++) {
				if (strcmp(*b, optarg) == 0)
					break;
			}
			if (*b == NULL) {
				snprintf(err, errlen, "unknown backend '%s' for "
				    "--backend: expected epoll, poll or select",
				    optarg);
				goto fail;
			}
			cfg->backend = *b;
			break;
		}
		case 'U':
			cfg->uppercase = 1;
			break;
		case 't':
			if (parse_seconds_flag("--idle-timeout", "30", optarg,
			    &cfg->idle_timeout_ms, err, errlen) == -1)
				goto fail;
			break;
		case 'm':
			if (config_parse_uint(optarg, 1, CONFIG_MAX_CONNS_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--max-conns: expected a whole number from 1 "
				    "to %d", optarg, CONFIG_MAX_CONNS_MAX);
				goto fail;
			}
			cfg->max_conns = (unsigned)value;
			break;
		case OPT_MAX_QUEUE:
			if (config_parse_size(optarg, 1, CONFIG_MAX_QUEUE_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--max-queue: expected bytes from 1 to 1G, "
				    "with an optional k, M or G suffix", optarg);
				goto fail;
			}
			cfg->max_queue = value;
			break;
		case OPT_MAX_MEMORY:
			if (config_parse_size(optarg, 1024 * 1024,
			    CONFIG_MAX_MEMORY_MAX, &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--max-memory: expected bytes from 1M to "
				    "1024G, with an optional k, M or G suffix",
				    optarg);
				goto fail;
			}
			cfg->max_memory = value;
			break;
		case OPT_MAX_CONNS_PER_HOST:
			if (config_parse_uint(optarg, 0, CONFIG_MAX_CONNS_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--max-conns-per-host: expected a whole "
				    "number from 0 (no cap) to %d", optarg,
				    CONFIG_MAX_CONNS_MAX);
				goto fail;
			}
			cfg->max_conns_per_host = (unsigned)value;
			break;
		case OPT_DRAIN_TIMEOUT:
			if (parse_seconds_flag("--drain-timeout", "5", optarg,
			    &cfg->drain_timeout_ms, err, errlen) == -1)
				goto fail;
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			if (parse_seconds_flag("--handshake-timeout", "5",
			    optarg, &cfg->handshake_timeout_ms, err,
			    errlen) == -1)
				goto fail;
			break;
		case OPT_UDP_RATE:
			if (config_parse_uint(optarg, 0, CONFIG_UDP_RATE_MAX,
			    &cfg->udp_rate) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--udp-rate: expected datagrams per second "
				    "from 0 (no limit) to %d", optarg,
				    CONFIG_UDP_RATE_MAX);
				goto fail;
			}
			break;
		case OPT_STATS_INTERVAL:
			if (parse_seconds_flag("--stats-interval", "60", optarg,
			    &cfg->stats_interval_ms, err, errlen) == -1)
				goto fail;
			break;
		case OPT_THREADS:
			if (config_parse_uint(optarg, 1, CONFIG_THREADS_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--threads: expected a whole number from 1 "
				    "to %d", optarg, CONFIG_THREADS_MAX);
				goto fail;
			}
			cfg->threads = (unsigned)value;
			break;
		case OPT_LOG_FILE:
			if (*optarg == '\0') {
				snprintf(err, errlen, "--log-file needs a path");
				goto fail;
			}
			/* A copy: argv may not outlive cfg. */
			free(cfg->log_file);
			if ((cfg->log_file = strdup(optarg)) == NULL) {
				snprintf(err, errlen, "out of memory");
				failure = CONFIG_NOMEM;
				goto fail;
			}
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "text") == 0)
				cfg->log_format = LOG_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				cfg->log_format = LOG_FORMAT_JSON;
			else {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--log-format: expected text or json",
				    optarg);
				goto fail;
			}
			break;
		case OPT_SYSLOG_FACILITY:
			if (config_parse_facility(optarg,
			    &cfg->syslog_facility) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--syslog-facility: expected daemon, user "
				    "or local0 to local7", optarg);
				goto fail;
			}
			/* FALLTHROUGH */
		case OPT_SYSLOG:
			cfg->syslog = 1;
			break;
		case OPT_METRICS: {
			size_t n;

			/* Into err itself: a cut shows at its very end. */
			n = (size_t)snprintf(err, errlen, "--metrics: ");
			if (n >= errlen || addr_parse(optarg,
			    CONFIG_DEFAULT_METRICS_PORT, &cfg->metrics,
			    err + n, errlen - n) == -1)
				goto fail;
			if (cfg->metrics.kind != ADDR_TCP ||
			    cfg->metrics.options != 0) {
				snprintf(err, errlen, "--metrics: '%s' is not "
				    "a TCP address; udp:, unix: and listener "
				    "options are for -l", optarg);
				goto fail;
			}
			err[0] = '\0';
			cfg->metrics_on = 1;
			break;
		}
		case OPT_USER:
			if ((listened = config_parse_user(&cfg->priv.user,
			    &cfg->priv.group, "--user", optarg, err,
			    errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case OPT_CHROOT:
			if ((listened = config_copy_path(&cfg->priv.chroot_dir,
			    "--chroot", optarg, 1, err, errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case OPT_DAEMON:
			cfg->daemon = 1;
			break;
		case OPT_PIDFILE:
			if ((listened = config_copy_path(&cfg->pidfile,
			    "--pidfile", optarg, 0, err, errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case OPT_UNIX_MODE:
			if (config_parse_mode(optarg, &cfg->unix_mode) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--unix-mode: expected an octal mode from 0 "
				    "to %04o, such as 0660", optarg,
				    UNIXSOCK_MODE_MAX);
				goto fail;
			}
			cfg->unix_mode_set = 1;
			break;
		case OPT_UNIX_OWNER:
			if ((listened = config_parse_user(&cfg->unix_owner,
			    &cfg->unix_group, "--unix-owner", optarg, err,
			    errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case OPT_TLS_CERT:
		case OPT_TLS_KEY:
			if ((listened = config_copy_path(ch == OPT_TLS_CERT ?
			    &cfg->tls_cert : &cfg->tls_key, ch == OPT_TLS_CERT ?
			    "--tls-cert" : "--tls-key", optarg, 0, err,
			    errlen)) != CONFIG_RUN) {
				failure = listened;
				goto fail;
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			action = CONFIG_HELP;
			break;
		case 'V':
			if (action != CONFIG_HELP)
				action = CONFIG_VERSION;
			break;
		default:
			cli_bad_option(long_options, ch, argv, err, errlen);
			goto fail;
		}
	}

	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s': evecho takes "
		    "options only", argv[optind]);
		goto fail;
	}
	if (quiet && verbose) {
		snprintf(err, errlen, "--quiet and --verbose cannot be used "
		    "together");
		goto fail;
	}
	if (cfg->syslog && cfg->log_file != NULL) {
		snprintf(err, errlen, "--log-file and --syslog cannot be used "
		    "together: choose where the log goes");
		goto fail;
	}
	if (config_check_service(cfg, err, errlen) == -1 ||
	    config_check_unix(cfg, err, errlen) == -1 ||
	    (action == CONFIG_RUN && config_check_tls(cfg, err, errlen) == -1))
		goto fail;
	if (cfg->max_memory > 0 &&
	    cfg->max_memory < budget_min_limit(cfg->threads)) {
		char min[32], given[32];

		snprintf(err, errlen, "--max-memory %s is too small for %u "
		    "threads: give at least %s, or fewer --threads",
		    config_format_size(cfg->max_memory, given, sizeof given),
		    cfg->threads, config_format_size(budget_min_limit(
		    cfg->threads), min, sizeof min));
		goto fail;
	}
	cfg->verbosity = quiet ? LOGLV_ERROR : LOGLV_INFO + verbose;
	if (cfg->verbosity > LOGLV_DEBUG)
		cfg->verbosity = LOGLV_DEBUG;

	if (cfg->nlisten == 0 && action == CONFIG_RUN) {
		char def[64];

		snprintf(def, sizeof def, "%s:%d", CONFIG_DEFAULT_HOST,
		    CONFIG_DEFAULT_PORT);
		if ((listened = add_listen(cfg, def, err, errlen)) !=
		    CONFIG_RUN) {
			failure = listened;
			goto fail;
		}
		cfg->listen_default = 1;	/* not if sockets are passed in */
	}
	return (action);

fail:
	config_free(cfg);
	return (failure);
}

void
config_free(struct config *cfg)
{
	free(cfg->listen);
	cfg->listen = NULL;
	cfg->nlisten = 0;
	free(cfg->log_file);
	cfg->log_file = NULL;
	free(cfg->priv.user);
	free(cfg->priv.group);
	free(cfg->priv.chroot_dir);
	free(cfg->priv.groups);
	memset(&cfg->priv, 0, sizeof cfg->priv);
	free(cfg->pidfile);
	cfg->pidfile = NULL;
	free(cfg->unix_owner);
	free(cfg->unix_group);
	cfg->unix_owner = cfg->unix_group = NULL;
	free(cfg->tls_cert);
	cfg->tls_cert = NULL;
	free(cfg->tls_key);
	cfg->tls_key = NULL;
}

/*
 * TLS flags and ",tls" listeners go together: each needs the other, and
 * both need a build with OpenSSL.  --daemon changes directory to /, and
 * SIGHUP reads the files again, so their paths must be absolute there.
 */
static int
config_check_tls(const struct config *cfg, char *err, size_t errlen)
{
	size_t	 i;
	int	 tls = 0;

	/* The address as typed is gone: the sentences name the option. */
	for (i = 0; i < cfg->nlisten; i++)
		tls |= (cfg->listen[i].options & ADDR_OPT_TLS) != 0;
#ifndef HAVE_OPENSSL
	if (tls) {
		snprintf(err, errlen, "a ,tls listen address needs TLS, and "
		    "this evecho is built without it (configure "
		    "--without-openssl, or OpenSSL was not found)");
		return (-1);
	}
#endif
	if (!tls && (cfg->tls_cert != NULL || cfg->tls_key != NULL)) {
		snprintf(err, errlen, "%s is for TLS listeners: add ,tls to a "
		    "-l address", cfg->tls_cert != NULL ? "--tls-cert" :
		    "--tls-key");
		return (-1);
	}
	if (tls && (cfg->tls_cert == NULL || cfg->tls_key == NULL)) {
		snprintf(err, errlen, "a ,tls listen address needs %s",
		    cfg->tls_cert == NULL && cfg->tls_key == NULL ?
		    "--tls-cert and --tls-key" : cfg->tls_cert == NULL ?
		    "--tls-cert too" : "--tls-key too");
		return (-1);
	}
	if (cfg->daemon && tls && (*cfg->tls_cert != '/' ||
	    *cfg->tls_key != '/')) {
		snprintf(err, errlen, "%s %s must be an absolute path with "
		    "--daemon, which changes directory to /",
		    *cfg->tls_cert != '/' ? "--tls-cert" : "--tls-key",
		    *cfg->tls_cert != '/' ? cfg->tls_cert : cfg->tls_key);
		return (-1);
	}
	return (0);
}

/*
 * USER or USER:GROUP of flag (--user, --unix-owner) into *user and
 * *group, replacing earlier ones; the names are looked up only at
 * start-up (privdrop_resolve(), unixsock_owner()).
 */
static enum config_action
config_parse_user(char **user, char **group, const char *flag,
    const char *spec, char *err, size_t errlen)
{
	const char	*colon = strchr(spec, ':');
	size_t		 ulen = colon != NULL ? (size_t)(colon - spec) :
			    strlen(spec);

	if (ulen == 0 || (colon != NULL && (colon[1] == '\0' ||
	    strchr(colon + 1, ':') != NULL))) {
		snprintf(err, errlen, "invalid value '%s' for %s: expected "
		    "USER or USER:GROUP", spec, flag);
		return (CONFIG_ERROR);
	}
	free(*user);
	free(*group);
	*group = NULL;
	if ((*user = strndup(spec, ulen)) == NULL ||
	    (colon != NULL && (*group = strdup(colon + 1)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return (CONFIG_NOMEM);
	}
	return (CONFIG_RUN);
}

/*
 * A copy of a path flag's value into *field (argv may not outlive the
 * config), replacing an earlier one; absolute says it must start at /.
 */
static enum config_action
config_copy_path(char **field, const char *flag, const char *value,
    int absolute, char *err, size_t errlen)
{
	if (*value == '\0') {
		snprintf(err, errlen, "%s needs a path", flag);
		return (CONFIG_ERROR);
	}
	if (absolute && *value != '/') {
		snprintf(err, errlen, "invalid value '%s' for %s: expected an "
		    "absolute path", value, flag);
		return (CONFIG_ERROR);
	}
	free(*field);
	if ((*field = strdup(value)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (CONFIG_NOMEM);
	}
	return (CONFIG_RUN);
}

/*
 * The rules between --user, --chroot, --daemon and the paths: a chroot
 * that keeps root can be left, so it needs --user; --daemon changes
 * directory to /, so the paths it will open later must be absolute.
 */
static int
config_check_service(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->priv.chroot_dir != NULL && cfg->priv.user == NULL) {
		snprintf(err, errlen, "--chroot needs --user: a process that "
		    "keeps root can leave a chroot");
		return (-1);
	}
	if (cfg->daemon && cfg->pidfile != NULL && *cfg->pidfile != '/') {
		snprintf(err, errlen, "--pidfile %s must be an absolute path "
		    "with --daemon, which changes directory to /",
		    cfg->pidfile);
		return (-1);
	}
	if (cfg->daemon && cfg->log_file != NULL && *cfg->log_file != '/') {
		snprintf(err, errlen, "--log-file %s must be an absolute path "
		    "with --daemon, which changes directory to /",
		    cfg->log_file);
		return (-1);
	}
	return (0);
}

/* An octal file mode, 0 to 0777, of one to four digits: "0660". */
static int
config_parse_mode(const char *s, int *mode)
{
	size_t	 len = strlen(s), i;
	int	 value = 0;

	if (len == 0 || len > 4)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return (-1);
		value = value * 8 + (s[i] - '0');
	}
	if (value > UNIXSOCK_MODE_MAX)
		return (-1);
	*mode = value;
	return (0);
}

/*
 * The rules of unix: listeners: one path, one listener; their flags need
 * one; and --daemon changes directory to /, so their paths must be
 * absolute with it.
 */
static int
config_check_unix(const struct config *cfg, char *err, size_t errlen)
{
	size_t	 i, j;
	int	 files = 0;

	for (i = 0; i < cfg->nlisten; i++) {
		const struct addr_spec *a = &cfg->listen[i];

		if (a->kind != ADDR_UNIX)
			continue;
		/* The second would find the first live, and blame another. */
		for (j = 0; j < i; j++) {
			if (cfg->listen[j].kind == ADDR_UNIX &&
			    strcmp(cfg->listen[j].path, a->path) == 0) {
				snprintf(err, errlen, "-l unix:%s is given "
				    "twice", a->path);
				return (-1);
			}
		}
		if (a->path[0] == '@')
			continue;
		files++;
		if (cfg->daemon && a->path[0] != '/') {
			snprintf(err, errlen, "-l unix:%s must be an absolute "
			    "path with --daemon, which changes directory to /",
			    a->path);
			return (-1);
		}
	}
	if (files == 0 && (cfg->unix_mode_set || cfg->unix_owner != NULL)) {
		snprintf(err, errlen, "%s needs a unix: listener with a path "
		    "(-l unix:PATH)", cfg->unix_mode_set ? "--unix-mode" :
		    "--unix-owner");
		return (-1);
	}
	return (0);
}

/*
 * The value of a flag in seconds into *ms; on error, the sentence for it,
 * with example as the sort of value the flag expects.
 */
static int
parse_seconds_flag(const char *flag, const char *example, const char *value,
    unsigned *ms, char *err, size_t errlen)
{
	if (config_parse_seconds(value, CONFIG_SECONDS_MAX, ms) == 0)
		return (0);
	snprintf(err, errlen, "invalid value '%s' for %s: expected seconds "
	    "from 0 to %d, such as %s or 0.5", value, flag, CONFIG_SECONDS_MAX,
	    example);
	return (-1);
}

/* Parse one -l argument and append it: CONFIG_RUN, or what failed. */
static enum config_action
add_listen(struct config *cfg, const char *spec, char *err, size_t errlen)
{
	struct addr_spec	*grown;

	grown = reallocarray(cfg->listen, cfg->nlisten + 1, sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		return (CONFIG_NOMEM);
	}
	cfg->listen = grown;
	if (addr_parse(spec, CONFIG_DEFAULT_PORT, &cfg->listen[cfg->nlisten],
	    err, errlen) == -1)
		return (CONFIG_ERROR);
	cfg->nlisten++;
	return (CONFIG_RUN);
}

/* One worker per online CPU, within 1..CONFIG_THREADS_MAX. */
unsigned
config_default_threads(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return (1);
	return (n > CONFIG_THREADS_MAX ? CONFIG_THREADS_MAX : (unsigned)n);
}

/*
 * Parse a decimal whole number in [min, max]: digits only, no sign, no
 * spaces, no trailing junk (strtonum-style; atoi would accept "12abc").
 */
int
config_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long	 value = 0;
	const char	*p;

	if (*s == '\0')
		return (-1);
	for (p = s; *p != '\0'; p++) {
		unsigned long digit = (unsigned long)(*p - '0');

		if (!isdigit((unsigned char)*p))
			return (-1);
		/* Stop before passing max, so nothing can overflow. */
		if (value > max / 10)
			return (-1);
		value *= 10;
		if (digit > max - value)
			return (-1);
		value += digit;
	}
	if (value < min)
		return (-1);
	*out = value;
	return (0);
}

/* A byte count with an optional binary suffix: 512, 64k, 1M, 1G. */
int
config_parse_size(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char		 digits[32];
	size_t		 len = strlen(s);
	unsigned long	 unit = 1, value;

	if (len == 0 || len >= sizeof digits)
		return (-1);
	switch (s[len - 1]) {
	case 'k': case 'K':
		unit = 1024UL;
		break;
	case 'm': case 'M':
		unit = 1024UL * 1024;
		break;
	case 'g': case 'G':
		unit = 1024UL * 1024 * 1024;
		break;
	}
	if (unit != 1)
		len--;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (config_parse_uint(digits, 0, max / unit, &value) == -1)
		return (-1);
	value *= unit;
	if (value < min)
		return (-1);
	*out = value;
	return (0);
}

/*
 * A byte count as config_parse_size() reads it ("64k", "1M"), when it is
 * a whole number of a unit; else to one decimal of the largest unit it
 * holds ("5.9G", "1.5k").
 */
const char *
config_format_size(size_t n, char *buf, size_t len)
{
	static const char units[] = "kMG";
	double		 v = (double)n;
	size_t		 unit = 1;
	int		 u = -1;

	while (u < 2 && n / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%zu", n);
	else if (n % unit == 0)
		snprintf(buf, len, "%zu%c", n / unit, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v / (double)unit, units[u]);
	return (buf);
}

/*
 * Seconds with up to three decimals ("30", "0.5", "1.250"), at most max_s,
 * returned in milliseconds.
 */
int
config_parse_seconds(const char *s, unsigned max_s, unsigned *out_ms)
{
	char		 whole[16];
	const char	*dot = strchr(s, '.');
	size_t		 wlen = dot != NULL ? (size_t)(dot - s) : strlen(s);
	unsigned long	 secs, ms = 0;
	unsigned long long total;
	unsigned	 scale = 100;

	if ((wlen == 0 && dot == NULL) || wlen >= sizeof whole)
		return (-1);
	memcpy(whole, s, wlen);
	whole[wlen] = '\0';
	if (wlen == 0)
		secs = 0;	/* ".5" */
	else if (config_parse_uint(whole, 0, max_s, &secs) == -1)
		return (-1);
	if (dot != NULL) {
		const char *p = dot + 1;

		if (*p == '\0' || strlen(p) > 3)
			return (-1);
		for (; *p != '\0'; p++, scale /= 10) {
			if (!isdigit((unsigned char)*p))
				return (-1);
			ms += (unsigned long)(*p - '0') * scale;
		}
	}
	total = (unsigned long long)secs * 1000 + ms;
	if ((secs == max_s && ms > 0) || total > UINT_MAX)
		return (-1);	/* past max, or too large for milliseconds */
	*out_ms = (unsigned)total;
	return (0);
}

/* The syslog facilities --syslog-facility takes, by name. */
static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* A facility by name into *facility: 0, or -1 if there is none such. */
int
config_parse_facility(const char *name, int *facility)
{
	size_t	 i;

	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (strcmp(facilities[i].name, name) == 0) {
			*facility = facilities[i].facility;
			return (0);
		}
	}
	return (-1);
}

/* A facility's name, for the start-up log. */
const char *
config_facility_name(int facility)
{
	size_t	 i;

	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (facilities[i].facility == facility)
			return (facilities[i].name);
	}
	return ("?");
}

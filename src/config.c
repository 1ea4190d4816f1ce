/*
 * config.c: command-line parsing with getopt_long.  Each flag is read and
 * checked here (its value by value.c); the rules between flags are in
 * config_rules.c.  Each error is one sentence naming the flag and what it
 * expects.
 */
#include "autoconfig.h"

#include <getopt.h>
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
#include "value.h"

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

/*
 * The flags whose value is a number in a range, read the same way and
 * refused with the same sentence: "expected NOUN from MIN[ZERO] to MAX".
 */
enum number_kind {
	NUMBER_COUNT,		/* a whole number */
	NUMBER_BYTES,		/* a byte count, with k, M or G */
	NUMBER_SECONDS		/* seconds, to the millisecond */
};

static const struct number_flag {
	int			 ch;
	enum number_kind	 kind;
	unsigned long		 min, max;
	const char		*noun;	/* NUMBER_SECONDS: an example */
	const char		*zero;	/* what a minimum of 0 means */
} number_flags[] = {
	{ 'b', NUMBER_COUNT, 1, CONFIG_BACKLOG_MAX, "a whole number", "" },
	{ 'm', NUMBER_COUNT, 1, CONFIG_MAX_CONNS_MAX, "a whole number", "" },
	{ OPT_MAX_CONNS_PER_HOST, NUMBER_COUNT, 0, CONFIG_MAX_CONNS_MAX,
	    "a whole number", " (no cap)" },
	{ OPT_THREADS, NUMBER_COUNT, 1, CONFIG_THREADS_MAX, "a whole number",
	    "" },
	{ OPT_UDP_RATE, NUMBER_COUNT, 0, CONFIG_UDP_RATE_MAX,
	    "datagrams per second", " (no limit)" },
	{ OPT_MAX_QUEUE, NUMBER_BYTES, 1, CONFIG_MAX_QUEUE_MAX, NULL, NULL },
	{ OPT_MAX_MEMORY, NUMBER_BYTES, 1024 * 1024, CONFIG_MAX_MEMORY_MAX,
	    NULL, NULL },
	{ 't', NUMBER_SECONDS, 0, CONFIG_SECONDS_MAX, "30", NULL },
	{ OPT_DRAIN_TIMEOUT, NUMBER_SECONDS, 0, CONFIG_SECONDS_MAX, "5",
	    NULL },
	{ OPT_HANDSHAKE_TIMEOUT, NUMBER_SECONDS, 0, CONFIG_SECONDS_MAX, "5",
	    NULL },
	{ OPT_STATS_INTERVAL, NUMBER_SECONDS, 0, CONFIG_SECONDS_MAX, "60",
	    NULL },
};

/* What the loop over argv keeps beside cfg. */
struct config_reading {
	enum config_action	 action;	/* run, or print */
	int			 quiet;
	int			 verbose;	/* how many -v */
};

static enum config_action
		config_option(struct config *, struct config_reading *, int,
		    char **, char *, size_t);
static int	config_number(struct config *, const struct number_flag *,
		    const char *, char *, size_t);
static void	config_store_number(struct config *, int, unsigned long);
static enum config_action
		add_listen(struct config *, const char *, char *, size_t);
static enum config_action
		config_parse_user(char **, char **, const char *, const char *,
		    char *, size_t);
static enum config_action
		config_copy_path(char **, const char *, const char *, int,
		    char *, size_t);
static int	config_metrics(struct config *, const char *, char *, size_t);

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
	    value_format_size(budget_default_limit(what, sizeof what), mem,
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
	struct config_reading	 r = { .action = CONFIG_RUN };
	enum config_action	 failure;
	int			 ch;

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
		if ((failure = config_option(cfg, &r, ch, argv, err,
		    errlen)) != CONFIG_RUN)
			goto fail;
	}

	failure = CONFIG_ERROR;
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s': evecho takes "
		    "options only", argv[optind]);
		goto fail;
	}
	if (r.quiet && r.verbose) {
		snprintf(err, errlen, "--quiet and --verbose cannot be used "
		    "together");
		goto fail;
	}
	if (config_check(cfg, r.action == CONFIG_RUN, err, errlen) == -1)
		goto fail;
	cfg->verbosity = r.quiet ? LOGLV_ERROR : LOGLV_INFO + r.verbose;
	if (cfg->verbosity > LOGLV_DEBUG)
		cfg->verbosity = LOGLV_DEBUG;

	if (cfg->nlisten == 0 && r.action == CONFIG_RUN) {
		char def[64];

		snprintf(def, sizeof def, "%s:%d", CONFIG_DEFAULT_HOST,
		    CONFIG_DEFAULT_PORT);
		if ((failure = add_listen(cfg, def, err, errlen)) !=
		    CONFIG_RUN)
			goto fail;
		cfg->listen_default = 1;	/* not if sockets are passed in */
	}
	return (r.action);

fail:
	config_free(cfg);
	return (failure);
}

/* Take one flag, ch, with its value in optarg: CONFIG_RUN, or what failed. */
static enum config_action
config_option(struct config *cfg, struct config_reading *r, int ch,
    char **argv, char *err, size_t errlen)
{
	const char *const	*b;
	size_t			 i;

	for (i = 0; i < sizeof number_flags / sizeof number_flags[0]; i++) {
		if (number_flags[i].ch == ch)
			return (config_number(cfg, &number_flags[i], optarg,
			    err, errlen) == 0 ? CONFIG_RUN : CONFIG_ERROR);
	}
	switch (ch) {
	case 'l':
		return (add_listen(cfg, optarg, err, errlen));
	case 'B':
		for (b = backends; *b != NULL; b++) {
			if (strcmp(*b, optarg) == 0) {
				cfg->backend = *b;
				return (CONFIG_RUN);
			}
		}
		snprintf(err, errlen, "unknown backend '%s' for --backend: "
		    "expected epoll, poll or select", optarg);
		return (CONFIG_ERROR);
	case 'U':
		cfg->uppercase = 1;
		return (CONFIG_RUN);
	case OPT_LOG_FILE:
		return (config_copy_path(&cfg->log_file, "--log-file", optarg,
		    0, err, errlen));
	case OPT_LOG_FORMAT:
		if (strcmp(optarg, "text") == 0)
			cfg->log_format = LOG_FORMAT_TEXT;
		else if (strcmp(optarg, "json") == 0)
			cfg->log_format = LOG_FORMAT_JSON;
		else {
			snprintf(err, errlen, "invalid value '%s' for "
			    "--log-format: expected text or json", optarg);
			return (CONFIG_ERROR);
		}
		return (CONFIG_RUN);
	case OPT_SYSLOG_FACILITY:
		if (value_parse_facility(optarg, &cfg->syslog_facility) == -1) {
			snprintf(err, errlen, "invalid value '%s' for "
			    "--syslog-facility: expected daemon, user or "
			    "local0 to local7", optarg);
			return (CONFIG_ERROR);
		}
		/* FALLTHROUGH */
	case OPT_SYSLOG:
		cfg->syslog = 1;
		return (CONFIG_RUN);
	case OPT_METRICS:
		return (config_metrics(cfg, optarg, err, errlen) == 0 ?
		    CONFIG_RUN : CONFIG_ERROR);
	case OPT_USER:
		return (config_parse_user(&cfg->priv.user, &cfg->priv.group,
		    "--user", optarg, err, errlen));
	case OPT_CHROOT:
		return (config_copy_path(&cfg->priv.chroot_dir, "--chroot",
		    optarg, 1, err, errlen));
	case OPT_DAEMON:
		cfg->daemon = 1;
		return (CONFIG_RUN);
	case OPT_PIDFILE:
		return (config_copy_path(&cfg->pidfile, "--pidfile", optarg,
		    0, err, errlen));
	case OPT_UNIX_MODE:
		if (value_parse_mode(optarg, UNIXSOCK_MODE_MAX,
		    &cfg->unix_mode) == -1) {
			snprintf(err, errlen, "invalid value '%s' for "
			    "--unix-mode: expected an octal mode from 0 to "
			    "%04o, such as 0660", optarg, UNIXSOCK_MODE_MAX);
			return (CONFIG_ERROR);
		}
		cfg->unix_mode_set = 1;
		return (CONFIG_RUN);
	case OPT_UNIX_OWNER:
		return (config_parse_user(&cfg->unix_owner, &cfg->unix_group,
		    "--unix-owner", optarg, err, errlen));
	case OPT_TLS_CERT:
		return (config_copy_path(&cfg->tls_cert, "--tls-cert", optarg,
		    0, err, errlen));
	case OPT_TLS_KEY:
		return (config_copy_path(&cfg->tls_key, "--tls-key", optarg,
		    0, err, errlen));
	case 'v':
		r->verbose++;
		return (CONFIG_RUN);
	case 'q':
		r->quiet = 1;
		return (CONFIG_RUN);
	case 'h':
		r->action = CONFIG_HELP;
		return (CONFIG_RUN);
	case 'V':
		if (r->action != CONFIG_HELP)
			r->action = CONFIG_VERSION;
		return (CONFIG_RUN);
	default:
		cli_bad_option(long_options, ch, argv, err, errlen);
		return (CONFIG_ERROR);
	}
}

/* A number flag's value, checked against its range and stored. */
static int
config_number(struct config *cfg, const struct number_flag *nf,
    const char *value, char *err, size_t errlen)
{
	const char	*flag = cli_long_name(long_options, nf->ch);
	char		 min[32], max[32];
	unsigned long	 n;
	unsigned	 ms;

	switch (nf->kind) {
	case NUMBER_COUNT:
		if (value_parse_uint(value, nf->min, nf->max, &n) == 0) {
			config_store_number(cfg, nf->ch, n);
			return (0);
		}
		snprintf(err, errlen, "invalid value '%s' for --%s: expected "
		    "%s from %lu%s to %lu", value, flag, nf->noun, nf->min,
		    nf->zero, nf->max);
		return (-1);
	case NUMBER_BYTES:
		if (value_parse_size(value, nf->min, nf->max, &n) == 0) {
			config_store_number(cfg, nf->ch, n);
			return (0);
		}
		snprintf(err, errlen, "invalid value '%s' for --%s: expected "
		    "bytes from %s to %s, with an optional k, M or G suffix",
		    value, flag, value_format_size(nf->min, min, sizeof min),
		    value_format_size(nf->max, max, sizeof max));
		return (-1);
	case NUMBER_SECONDS:
		if (value_parse_seconds(value, (unsigned)nf->max, &ms) == 0) {
			config_store_number(cfg, nf->ch, ms);
			return (0);
		}
		snprintf(err, errlen, "invalid value '%s' for --%s: expected "
		    "seconds from 0 to %lu, such as %s or 0.5", value, flag,
		    nf->max, nf->noun);
		return (-1);
	}
	return (-1);
}

/* Where each number flag's value goes; each is within its field's range. */
static void
config_store_number(struct config *cfg, int ch, unsigned long n)
{
	switch (ch) {
	case 'b':
		cfg->backlog = (int)n;
		break;
	case 'm':
		cfg->max_conns = (unsigned)n;
		break;
	case OPT_MAX_CONNS_PER_HOST:
		cfg->max_conns_per_host = (unsigned)n;
		break;
	case OPT_THREADS:
		cfg->threads = (unsigned)n;
		break;
	case OPT_UDP_RATE:
		cfg->udp_rate = n;
		break;
	case OPT_MAX_QUEUE:
		cfg->max_queue = n;
		break;
	case OPT_MAX_MEMORY:
		cfg->max_memory = n;
		break;
	case 't':
		cfg->idle_timeout_ms = (unsigned)n;
		break;
	case OPT_DRAIN_TIMEOUT:
		cfg->drain_timeout_ms = (unsigned)n;
		break;
	case OPT_HANDSHAKE_TIMEOUT:
		cfg->handshake_timeout_ms = (unsigned)n;
		break;
	case OPT_STATS_INTERVAL:
		cfg->stats_interval_ms = (unsigned)n;
		break;
	}
}

/* --metrics ADDRESS: TCP only, and no listener options. */
static int
config_metrics(struct config *cfg, const char *value, char *err,
    size_t errlen)
{
	size_t	 n;

	/* Into err itself: a cut shows at its very end. */
	n = (size_t)snprintf(err, errlen, "--metrics: ");
	if (n >= errlen || addr_parse(value, CONFIG_DEFAULT_METRICS_PORT,
	    &cfg->metrics, err + n, errlen - n) == -1)
		return (-1);
	if (cfg->metrics.kind != ADDR_TCP || cfg->metrics.options != 0) {
		snprintf(err, errlen, "--metrics: '%s' is not a TCP address; "
		    "udp:, unix: and listener options are for -l", value);
		return (-1);
	}
	err[0] = '\0';
	cfg->metrics_on = 1;
	return (0);
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


/*
 * bench_opts.c: evecho-bench's command line, with getopt_long.  Numbers go
 * through the same range-checked parsers as evecho's own flags; each error
 * is one sentence naming the flag and what it expects.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bench_opts.h"
#include "cli.h"
#include "value.h"

enum {
	OPT_DURATION = 256,	/* long-only options: beyond any char */
	OPT_WARMUP,
	OPT_THREADS,
	OPT_IDLE,
	OPT_SEED,
	OPT_JSON,
	OPT_SERVER_PID,
	OPT_PROXY,
	OPT_UDP,
	OPT_TLS,
	OPT_TLS_NO_VERIFY
};

static const char short_options[] = ":c:s:d:hV";

static const struct option long_options[] = {
	{ "connections",	required_argument,	NULL, 'c' },
	{ "size",		required_argument,	NULL, 's' },
	{ "depth",		required_argument,	NULL, 'd' },
	{ "duration",		required_argument,	NULL, OPT_DURATION },
	{ "warmup",		required_argument,	NULL, OPT_WARMUP },
	{ "threads",		required_argument,	NULL, OPT_THREADS },
	{ "idle",		required_argument,	NULL, OPT_IDLE },
	{ "seed",		required_argument,	NULL, OPT_SEED },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "server-pid",		required_argument,	NULL, OPT_SERVER_PID },
	{ "proxy",		required_argument,	NULL, OPT_PROXY },
	{ "udp",		no_argument,		NULL, OPT_UDP },
	{ "tls",		no_argument,		NULL, OPT_TLS },
	{ "tls-no-verify",	no_argument,		NULL, OPT_TLS_NO_VERIFY },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

static const char *const mode_names[] = { "pingpong", "stream", "churn" };

static int	parse_count(const char *, const char *, unsigned long,
		    unsigned long, unsigned long *, char *, size_t);
static int	parse_positional(struct bench_opts *, int, char **, char *,
		    size_t);

/* Print the help text: every flag with its default. */
void
opts_usage(FILE *fp)
{
	fprintf(fp,
"usage: evecho-bench [pingpong|stream|churn] [-hV] [-c conns] [-d depth]\n"
"                    [-s size] [--duration secs] [--idle conns] [--json]\n"
"                    [--proxy v1|v2] [--seed n] [--server-pid pid]\n"
"                    [--threads n] [--tls | --tls-no-verify] [--udp]\n"
"                    [--warmup secs] [host:]port | unix:path\n"
"\n"
"Load generator for TCP and UDP echo servers (RFC 862): connections send\n"
"pseudo-random bytes, every byte of the echo is checked, and the rate,\n"
"throughput, latency percentiles and errors are reported.\n"
"\n"
"Modes:\n"
"  pingpong             each connection keeps DEPTH messages in flight,\n"
"                       sending the next when one has come back (default)\n"
"  stream               each connection sends and reads continuously\n"
"  churn                connect, echo one message, close, over and over\n"
"\n"
"  -c, --connections N  connections, or concurrent loops for churn\n"
"                       (default %d)\n"
"  -s, --size BYTES     message size, k and M suffixes, up to 16M\n"
"                       (default %d)\n"
"  -d, --depth N        pingpong only: messages in flight on each\n"
"                       connection, up to %d (default %d)\n"
"      --duration SECS  how long to measure (default %d)\n"
"      --warmup SECS    how long to run before measuring; 0 for no\n"
"                       warm-up (default %d)\n"
"      --threads N      threads, each with its own event loop and share\n"
"                       of the connections (default %d)\n"
"      --idle K         also hold K idle connections open (default 0)\n"
"      --seed N         seed of the pseudo-random bytes (default %d)\n"
"      --json           print one JSON object instead of the table\n"
"      --proxy v1|v2    begin each connection with a PROXY protocol\n"
"                       header of that version, naming its own ends, for\n"
"                       a server's proxy listener (default: none)\n"
"      --server-pid PID Linux: also report the CPU time process PID (the\n"
"                       server) spent in the measured window\n"
"      --udp            pingpong over UDP: each connection is a socket of\n"
"                       its own keeping DEPTH datagrams of SIZE bytes (8\n"
"                       to 65507) in flight; one not echoed within %d ms\n"
"                       is counted lost, not as an error, and sent anew\n"
"      --tls            speak TLS 1.2 or later, checking the server's\n"
"                       certificate against the system's trust store and\n"
"                       HOST; every connection does a full handshake\n"
"      --tls-no-verify  --tls, taking any certificate (test ones)\n"
"  -h, --help           print this help and exit\n"
"  -V, --version        print the version and exit\n"
"\n"
"HOST is %s unless given; write IPv6 addresses as [::1]:PORT, and a\n"
"Unix-domain socket as unix:PATH, as for evecho -l.\n"
"SECS may have up to three decimals (0.25).  Exit status: 0 no errors,\n"
"1 errors in the echo or the connections, 64 usage, 69 cannot connect.\n"
"See evecho-bench(1) for more.\n",
	    OPTS_DEFAULT_CONNS, OPTS_DEFAULT_SIZE, OPTS_DEPTH_MAX,
	    OPTS_DEFAULT_DEPTH, OPTS_DEFAULT_DURATION_MS / 1000,
	    OPTS_DEFAULT_WARMUP_MS / 1000, OPTS_DEFAULT_THREADS,
	    OPTS_DEFAULT_SEED, OPTS_UDP_LOSS_MS, TARGET_DEFAULT_HOST);
}

/* The mode's name, as typed on the command line and reported. */
const char *
opts_mode_name(enum bench_mode mode)
{
	return (mode_names[mode]);
}

/*
 * Fill o from argv.  On OPTS_ERROR, err holds one sentence for the user;
 * o holds nothing that needs freeing either way.
 */
enum opts_action
opts_parse(struct bench_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	enum opts_action action = OPTS_RUN;
	unsigned long	 value;
	int		 ch, depth_given = 0;

	memset(o, 0, sizeof *o);
	o->mode = MODE_PINGPONG;
	o->conns = OPTS_DEFAULT_CONNS;
	o->size = OPTS_DEFAULT_SIZE;
	o->depth = OPTS_DEFAULT_DEPTH;
	o->duration_ms = OPTS_DEFAULT_DURATION_MS;
	o->warmup_ms = OPTS_DEFAULT_WARMUP_MS;
	o->threads = OPTS_DEFAULT_THREADS;
	o->seed = OPTS_DEFAULT_SEED;

	optind = 0;		/* glibc: restart, forgetting all state */
	opterr = 0;		/* we word the errors ourselves */
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (parse_count(optarg, "connections", 1,
			    OPTS_CONNS_MAX, &o->conns, err, errlen) == -1)
				return (OPTS_ERROR);
			break;
		case 's':
			if (value_parse_size(optarg, 1, OPTS_SIZE_MAX,
			    &o->size) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--size: expected bytes from 1 to 16M, "
				    "with an optional k or M suffix", optarg);
				return (OPTS_ERROR);
			}
			break;
		case 'd':
			if (parse_count(optarg, "depth", 1, OPTS_DEPTH_MAX,
			    &o->depth, err, errlen) == -1)
				return (OPTS_ERROR);
			depth_given = 1;
			break;
		case OPT_DURATION:
			if (value_parse_seconds(optarg, OPTS_SECONDS_MAX,
			    &o->duration_ms) == -1 || o->duration_ms == 0) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--duration: expected seconds from 0.001 "
				    "to %d, such as 10 or 0.5", optarg,
				    OPTS_SECONDS_MAX);
				return (OPTS_ERROR);
			}
			break;
		case OPT_WARMUP:
			if (value_parse_seconds(optarg, OPTS_SECONDS_MAX,
			    &o->warmup_ms) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--warmup: expected seconds from 0 to %d, "
				    "such as 1 or 0.5", optarg,
				    OPTS_SECONDS_MAX);
				return (OPTS_ERROR);
			}
			break;
		case OPT_THREADS:
			if (parse_count(optarg, "threads", 1,
			    OPTS_THREADS_MAX, &o->threads, err, errlen) == -1)
				return (OPTS_ERROR);
			break;
		case OPT_IDLE:
			if (parse_count(optarg, "idle", 0, OPTS_CONNS_MAX,
			    &o->idle, err, errlen) == -1)
				return (OPTS_ERROR);
			break;
		case OPT_SEED:
			if (value_parse_uint(optarg, 0, ULONG_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--seed: expected a whole number from 0 to "
				    "%lu", optarg, ULONG_MAX);
				return (OPTS_ERROR);
			}
			o->seed = value;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_PROXY:
			if (strcmp(optarg, "v1") != 0 &&
			    strcmp(optarg, "v2") != 0) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--proxy: expected v1 or v2", optarg);
				return (OPTS_ERROR);
			}
			o->proxy = optarg[1] - '0';
			break;
		case OPT_UDP:
			o->udp = 1;
			break;
		case OPT_TLS:
		case OPT_TLS_NO_VERIFY:
#ifndef HAVE_OPENSSL
			snprintf(err, errlen, "--%s: this evecho-bench is built "
			    "without TLS (configure --without-openssl, or "
			    "OpenSSL was not found)", ch == OPT_TLS ? "tls" :
			    "tls-no-verify");
			return (OPTS_ERROR);
#endif
			if (o->tls && o->tls_verify != (ch == OPT_TLS)) {
				snprintf(err, errlen, "--tls and --tls-no-verify "
				    "cannot be used together");
				return (OPTS_ERROR);
			}
			o->tls = 1;
			o->tls_verify = ch == OPT_TLS;
			break;
		case OPT_SERVER_PID:
			if (value_parse_uint(optarg, 1, INT_MAX,
			    &value) == -1) {
				snprintf(err, errlen, "invalid value '%s' for "
				    "--server-pid: expected a process id",
				    optarg);
				return (OPTS_ERROR);
			}
			o->server_pid = (long)value;
			break;
		case 'h':
			action = OPTS_HELP;
			break;
		case 'V':
			if (action != OPTS_HELP)
				action = OPTS_VERSION;
			break;
		default:
			cli_bad_option(long_options, ch, argv, err, errlen);
			return (OPTS_ERROR);
		}
	}
	if (action != OPTS_RUN)
		return (action);

	if (parse_positional(o, argc - optind, argv + optind, err,
	    errlen) == -1)
		return (OPTS_ERROR);
	if (depth_given && o->mode != MODE_PINGPONG) {
		snprintf(err, errlen, "--depth applies to pingpong only, not "
		    "to %s", opts_mode_name(o->mode));
		return (OPTS_ERROR);
	}
	if (o->udp && (o->mode != MODE_PINGPONG || o->idle > 0)) {
		snprintf(err, errlen, "--udp runs pingpong only, without "
		    "--idle: a datagram service has no stream, no connection "
		    "to churn and none to hold idle");
		return (OPTS_ERROR);
	}
	if (o->udp && (o->tls || o->proxy != 0 ||
	    o->target.path[0] != '\0')) {
		snprintf(err, errlen, "--udp cannot be used with %s",
		    o->tls ? (o->tls_verify ? "--tls" : "--tls-no-verify") :
		    o->proxy != 0 ? "--proxy" : "a unix: target");
		return (OPTS_ERROR);
	}
	if (o->udp && (o->size < OPTS_UDP_SIZE_MIN ||
	    o->size > OPTS_UDP_SIZE_MAX)) {
		snprintf(err, errlen, "--size %lu does not fit a datagram of "
		    "--udp: expected %d to %d bytes", o->size,
		    OPTS_UDP_SIZE_MIN, OPTS_UDP_SIZE_MAX);
		return (OPTS_ERROR);
	}
	o->target.dgram = o->udp;
	if (o->threads > o->conns) {
		snprintf(err, errlen, "--threads %lu is more than the %lu "
		    "connections to share among them", o->threads, o->conns);
		return (OPTS_ERROR);
	}
	return (OPTS_RUN);
}

/* A whole number for --name in [min, max], or a sentence saying not. */
static int
parse_count(const char *arg, const char *name, unsigned long min,
    unsigned long max, unsigned long *out, char *err, size_t errlen)
{
	if (value_parse_uint(arg, min, max, out) == 0)
		return (0);
	snprintf(err, errlen, "invalid value '%s' for --%s: expected a whole "
	    "number from %lu to %lu", arg, name, min, max);
	return (-1);
}

/* [MODE] [HOST:]PORT: the words getopt_long left after the options. */
static int
parse_positional(struct bench_opts *o, int n, char **words, char *err,
    size_t errlen)
{
	size_t		 i;
	int		 mode = -1;

	if (n > 0) {
		for (i = 0; i < sizeof mode_names / sizeof mode_names[0];
		    i++) {
			if (strcmp(words[0], mode_names[i]) == 0)
				mode = (int)i;
		}
	}
	if (n == 2 && mode == -1) {
		snprintf(err, errlen, "unknown mode '%s': expected pingpong, "
		    "stream or churn", words[0]);
		return (-1);
	}
	if (n > 2) {
		snprintf(err, errlen, "unexpected argument '%s': expected "
		    "[MODE] [HOST:]PORT", words[2]);
		return (-1);
	}
	if (n == 0 || (n == 1 && mode != -1)) {
		snprintf(err, errlen, "missing the server's [HOST:]PORT");
		return (-1);
	}
	if (mode != -1)
		o->mode = (enum bench_mode)mode;
	return (target_parse(&o->target, words[n - 1], err, errlen));
}

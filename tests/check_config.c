/*
 * check_config.c: the command-line parser: every flag in short and long
 * form, the defaults, every error sentence word for word, and the number
 * parsers behind the flags at their boundaries.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <check.h>

#include "cli.h"
#include "config.h"
#include "harness.h"
#include "log.h"
#include "value.h"

#define MAX_ARGS	16
#define ERRLEN		512
#define GIB		(1024UL * 1024 * 1024)
#define MIB		(1024UL * 1024)
#define KIB		1024UL

/* The struct config fields a flag can change. */
enum field {
	F_BACKLOG,
	F_BACKEND,
	F_UPPERCASE,
	F_IDLE,
	F_MAX_CONNS,
	F_MAX_QUEUE,
	F_DRAIN,
	F_VERBOSITY,
	F_MAX_MEMORY,
	F_PER_HOST,
	F_THREADS,
	F_HANDSHAKE,
	F_STATS,
	F_UDP_RATE
};

/* Copy s, failing the test if memory runs out. */
static char *
xstrdup(const char *s)
{
	char	*p;

	p = strdup(s);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* args as the user would type them, for failure messages. */
static const char *
show_args(const char *const *args)
{
	static char	 buf[512];
	size_t		 len = 0;
	int		 i;

	buf[0] = '\0';
	for (i = 0; args[i] != NULL && len < sizeof buf; i++) {
		snprintf(buf + len, sizeof buf - len, "%s%s", i > 0 ? " " : "",
		    args[i]);
		len += strlen(buf + len);
	}
	return (buf);
}

/*
 * Run config_parse() on "evecho" followed by args (NULL-terminated).  The
 * parser gets mutable copies, since getopt_long permutes argv.
 */
static enum config_action
parse(struct config *cfg, const char *const *args, char *err, size_t errlen)
{
	char			*argv[MAX_ARGS + 2];
	enum config_action	 action;
	int			 argc = 0, i;

	argv[argc++] = xstrdup("evecho");
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_int_le(argc, MAX_ARGS);
		argv[argc++] = xstrdup(args[i]);
	}
	argv[argc] = NULL;
	snprintf(err, errlen, "(err not written)");
	action = config_parse(cfg, argc, argv, err, errlen);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return (action);
}

/* Fail unless cfg has every default except field, which holds value. */
static void
check_fields(const struct config *cfg, const char *what, int field,
    unsigned long value, const char *backend)
{
	unsigned long	 backlog = CONFIG_DEFAULT_BACKLOG;
	unsigned long	 idle = CONFIG_DEFAULT_IDLE_MS;
	unsigned long	 max_conns = 0, max_queue = CONFIG_DEFAULT_MAX_QUEUE;
	unsigned long	 drain = CONFIG_DEFAULT_DRAIN_MS;
	unsigned long	 uppercase = 0, verbosity = LOGLV_INFO;
	unsigned long	 max_memory = 0, per_host = 0;
	unsigned long	 threads = config_default_threads();
	unsigned long	 handshake = CONFIG_DEFAULT_HANDSHAKE_MS, stats = 0;
	unsigned long	 udp_rate = CONFIG_DEFAULT_UDP_RATE;

	switch (field) {
	case F_BACKLOG:
		backlog = value;
		break;
	case F_UPPERCASE:
		uppercase = value;
		break;
	case F_IDLE:
		idle = value;
		break;
	case F_MAX_CONNS:
		max_conns = value;
		break;
	case F_MAX_QUEUE:
		max_queue = value;
		break;
	case F_DRAIN:
		drain = value;
		break;
	case F_VERBOSITY:
		verbosity = value;
		break;
	case F_MAX_MEMORY:
		max_memory = value;
		break;
	case F_PER_HOST:
		per_host = value;
		break;
	case F_THREADS:
		threads = value;
		break;
	case F_HANDSHAKE:
		handshake = value;
		break;
	case F_STATS:
		stats = value;
		break;
	case F_UDP_RATE:
		udp_rate = value;
		break;
	}
	ck_assert_msg((unsigned long)cfg->backlog == backlog,
	    "%s: backlog %d, want %lu", what, cfg->backlog, backlog);
	ck_assert_msg((unsigned long)cfg->uppercase == uppercase,
	    "%s: uppercase %d, want %lu", what, cfg->uppercase, uppercase);
	ck_assert_msg(cfg->idle_timeout_ms == idle,
	    "%s: idle_timeout_ms %u, want %lu", what, cfg->idle_timeout_ms,
	    idle);
	ck_assert_msg(cfg->max_conns == max_conns,
	    "%s: max_conns %u, want %lu", what, cfg->max_conns, max_conns);
	ck_assert_msg(cfg->max_queue == max_queue,
	    "%s: max_queue %zu, want %lu", what, cfg->max_queue, max_queue);
	ck_assert_msg(cfg->drain_timeout_ms == drain,
	    "%s: drain_timeout_ms %u, want %lu", what, cfg->drain_timeout_ms,
	    drain);
	ck_assert_msg(cfg->max_memory == max_memory,
	    "%s: max_memory %zu, want %lu", what, cfg->max_memory, max_memory);
	ck_assert_msg(cfg->max_conns_per_host == per_host,
	    "%s: max_conns_per_host %u, want %lu", what,
	    cfg->max_conns_per_host, per_host);
	ck_assert_msg(cfg->threads == threads, "%s: threads %u, want %lu",
	    what, cfg->threads, threads);
	ck_assert_msg(cfg->handshake_timeout_ms == handshake,
	    "%s: handshake_timeout_ms %u, want %lu", what,
	    cfg->handshake_timeout_ms, handshake);
	ck_assert_msg(cfg->stats_interval_ms == stats,
	    "%s: stats_interval_ms %u, want %lu", what,
	    cfg->stats_interval_ms, stats);
	ck_assert_msg(cfg->udp_rate == udp_rate,
	    "%s: udp_rate %lu, want %lu", what, cfg->udp_rate, udp_rate);
	ck_assert_msg((unsigned long)cfg->verbosity == verbosity,
	    "%s: verbosity %d, want %lu", what, cfg->verbosity, verbosity);
	if (backend == NULL)
		ck_assert_msg(cfg->backend == NULL, "%s: backend '%s', want "
		    "NULL", what, cfg->backend);
	else {
		ck_assert_msg(cfg->backend != NULL, "%s: backend NULL, want "
		    "'%s'", what, backend);
		ck_assert_msg(strcmp(cfg->backend, backend) == 0,
		    "%s: backend '%s', want '%s'", what, cfg->backend, backend);
	}
}

/* Fail unless cfg listens only on the default 127.0.0.1:7777. */
static void
check_default_listen(const struct config *cfg, const char *what)
{
	ck_assert_msg(cfg->nlisten == 1, "%s: %zu listen specs, want 1",
	    what, cfg->nlisten);
	ck_assert_ptr_nonnull(cfg->listen);
	ck_assert_str_eq(cfg->listen[0].host, "127.0.0.1");
	ck_assert_uint_eq(cfg->listen[0].port, 7777);
}

/* With no flags every field has its documented default. */
START_TEST(test_defaults)
{
	static const char *const args[] = { NULL };
	struct config	 cfg;
	char		 err[ERRLEN];

	ck_assert_int_eq(parse(&cfg, args, err, sizeof err), CONFIG_RUN);
	check_default_listen(&cfg, "no flags");
	ck_assert_int_eq(cfg.backlog, 511);
	ck_assert_uint_eq(cfg.idle_timeout_ms, 300000);
	ck_assert_uint_eq(cfg.max_queue, 1048576);
	ck_assert_uint_eq(cfg.drain_timeout_ms, 5000);
	ck_assert_int_eq(cfg.verbosity, 1);
	ck_assert_ptr_null(cfg.backend);
	ck_assert_int_eq(cfg.uppercase, 0);
	ck_assert_uint_eq(cfg.max_conns, 0);
	ck_assert_uint_eq(cfg.max_memory, 0);	/* from RAM at start-up */
	ck_assert_uint_eq(cfg.max_conns_per_host, 0);
	ck_assert_uint_eq(cfg.handshake_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.stats_interval_ms, 0);
	ck_assert_uint_eq(cfg.udp_rate, 100);
	config_free(&cfg);
	ck_assert_ptr_null(cfg.listen);
	ck_assert_uint_eq(cfg.nlisten, 0);
}
END_TEST

/* Flags that set one field, in every spelling getopt_long accepts. */
static const struct flag_case {
	const char	*args[4];
	int		 field;
	unsigned long	 value;
	const char	*backend;	/* for F_BACKEND */
} flag_cases[] = {
	{ { "-b", "1" },			F_BACKLOG, 1, NULL },
	{ { "-b42" },				F_BACKLOG, 42, NULL },
	{ { "--backlog", "65535" },		F_BACKLOG, 65535, NULL },
	{ { "--backlog=128" },			F_BACKLOG, 128, NULL },
	{ { "--backl", "7" },			F_BACKLOG, 7, NULL },
	{ { "-B", "epoll" },			F_BACKEND, 0, "epoll" },
	{ { "-Bpoll" },				F_BACKEND, 0, "poll" },
	{ { "--backend", "select" },		F_BACKEND, 0, "select" },
	{ { "--backend=poll" },			F_BACKEND, 0, "poll" },
	{ { "-U" },				F_UPPERCASE, 1, NULL },
	{ { "--uppercase" },			F_UPPERCASE, 1, NULL },
	{ { "--up" },				F_UPPERCASE, 1, NULL },
	{ { "-t", "0" },			F_IDLE, 0, NULL },
	{ { "-t0.25" },				F_IDLE, 250, NULL },
	{ { "--idle-timeout", "86400" },	F_IDLE, 86400000, NULL },
	{ { "--idle-timeout=1.5" },		F_IDLE, 1500, NULL },
	{ { "--idle", ".001" },			F_IDLE, 1, NULL },
	{ { "-m", "1" },			F_MAX_CONNS, 1, NULL },
	{ { "-m10000000" },			F_MAX_CONNS, 10000000, NULL },
	{ { "--max-conns", "500" },		F_MAX_CONNS, 500, NULL },
	{ { "--max-conns=2" },			F_MAX_CONNS, 2, NULL },
	{ { "--max-conns", "3" },		F_MAX_CONNS, 3, NULL },
	{ { "--max-memory", "1M" },		F_MAX_MEMORY, MIB, NULL },
	{ { "--max-memory=64m" },		F_MAX_MEMORY, 64 * MIB, NULL },
	{ { "--max-memory", "1048576" },	F_MAX_MEMORY, MIB, NULL },
	{ { "--max-memory", "1024G" },		F_MAX_MEMORY, 1024 * GIB,
	    NULL },
	{ { "--max-mem", "2g" },		F_MAX_MEMORY, 2 * GIB, NULL },
	{ { "--max-conns-per-host", "0" },	F_PER_HOST, 0, NULL },
	{ { "--max-conns-per-host=1" },		F_PER_HOST, 1, NULL },
	{ { "--max-conns-per-host", "10000000" },	F_PER_HOST, 10000000,
	    NULL },
	{ { "--max-conns-p", "20" },		F_PER_HOST, 20, NULL },
	{ { "--max-queue", "1" },		F_MAX_QUEUE, 1, NULL },
	{ { "--max-queue=64k" },		F_MAX_QUEUE, 64 * KIB, NULL },
	{ { "--max-queue", "2M" },		F_MAX_QUEUE, 2 * MIB, NULL },
	{ { "--max-queue", "1G" },		F_MAX_QUEUE, GIB, NULL },
	{ { "--max-queue=1073741824" },		F_MAX_QUEUE, GIB, NULL },
	{ { "--max-q", "3K" },			F_MAX_QUEUE, 3 * KIB, NULL },
	{ { "--drain-timeout", "0" },		F_DRAIN, 0, NULL },
	{ { "--drain-timeout=0.001" },		F_DRAIN, 1, NULL },
	{ { "--drain-timeout", "86400" },	F_DRAIN, 86400000, NULL },
	{ { "--drain", "12.5" },		F_DRAIN, 12500, NULL },
	{ { "-v" },				F_VERBOSITY, LOGLV_CONN, NULL },
	{ { "--verbose" },			F_VERBOSITY, LOGLV_CONN, NULL },
	{ { "--verb" },				F_VERBOSITY, LOGLV_CONN, NULL },
	{ { "-vv" },				F_VERBOSITY, LOGLV_DEBUG, NULL },
	{ { "-v", "--verbose" },		F_VERBOSITY, LOGLV_DEBUG, NULL },
	{ { "-vvv" },				F_VERBOSITY, LOGLV_DEBUG, NULL },
	{ { "-vvvvvvvvvv" },			F_VERBOSITY, LOGLV_DEBUG, NULL },
	{ { "-q" },				F_VERBOSITY, LOGLV_ERROR, NULL },
	{ { "--quiet" },			F_VERBOSITY, LOGLV_ERROR, NULL },
	{ { "-q", "--qu" },			F_VERBOSITY, LOGLV_ERROR, NULL },
	{ { "--threads", "1" },			F_THREADS, 1, NULL },
	{ { "--threads=256" },			F_THREADS, 256, NULL },
	{ { "--handshake-timeout", "0" },	F_HANDSHAKE, 0, NULL },
	{ { "--handshake-timeout=0.25" },	F_HANDSHAKE, 250, NULL },
	{ { "--stats-interval", "60" },		F_STATS, 60000, NULL },
	{ { "--stats-interval=0.25" },		F_STATS, 250, NULL },
	{ { "--stats-interval", "0" },		F_STATS, 0, NULL },
	{ { "--udp-rate", "0" },		F_UDP_RATE, 0, NULL },
	{ { "--udp-rate=5" },			F_UDP_RATE, 5, NULL },
	{ { "--udp-rate", "10000000" },		F_UDP_RATE, 10000000, NULL },
};

/* Each flag sets its field, and only its field, to the value given. */
START_TEST(test_flag)
{
	const struct flag_case	*fc = &flag_cases[_i];
	const char		*what = show_args(fc->args);
	struct config		 cfg;
	char			 err[ERRLEN];

	ck_assert_msg(parse(&cfg, fc->args, err, sizeof err) == CONFIG_RUN,
	    "'%s' was refused: %s", what, err);
	check_default_listen(&cfg, what);
	check_fields(&cfg, what, fc->field, fc->value, fc->backend);
	config_free(&cfg);
}
END_TEST

/* Several flags at once each land in their own field. */
START_TEST(test_flags_combined)
{
	static const char *const args[] = { "-U", "-b", "9", "-Bselect",
	    "--max-conns=4", "-t", "2", "--max-queue", "8k",
	    "--drain-timeout", "0.5", "-v", NULL };
	struct config	 cfg;
	char		 err[ERRLEN];

	ck_assert_msg(parse(&cfg, args, err, sizeof err) == CONFIG_RUN,
	    "refused: %s", err);
	check_default_listen(&cfg, "combined");
	ck_assert_int_eq(cfg.uppercase, 1);
	ck_assert_int_eq(cfg.backlog, 9);
	ck_assert_str_eq(cfg.backend, "select");
	ck_assert_uint_eq(cfg.max_conns, 4);
	ck_assert_uint_eq(cfg.idle_timeout_ms, 2000);
	ck_assert_uint_eq(cfg.max_queue, 8192);
	ck_assert_uint_eq(cfg.drain_timeout_ms, 500);
	ck_assert_int_eq(cfg.verbosity, LOGLV_CONN);
	config_free(&cfg);
}
END_TEST

/* -l is repeatable; the specs are kept in the order given, all forms. */
START_TEST(test_listen_repeated)
{
	static const char *const args[] = { "-l", "127.0.0.1:1",
	    "--listen", "[::1]:2", "--listen=:3", "-llocalhost",
	    "--lis", "*:0", NULL };
	static const struct {
		const char	*host;
		unsigned	 port;
	} want[] = {
		{ "127.0.0.1", 1 }, { "::1", 2 }, { "", 3 },
		{ "localhost", 7777 }, { "", 0 }
	};
	struct config	 cfg;
	char		 err[ERRLEN];
	size_t		 i;

	ck_assert_msg(parse(&cfg, args, err, sizeof err) == CONFIG_RUN,
	    "refused: %s", err);
	ck_assert_uint_eq(cfg.nlisten, sizeof want / sizeof want[0]);
	for (i = 0; i < cfg.nlisten; i++) {
		ck_assert_str_eq(cfg.listen[i].host, want[i].host);
		ck_assert_uint_eq(cfg.listen[i].port, want[i].port);
	}
	check_fields(&cfg, "-l repeated", -1, 0, NULL);
	config_free(&cfg);
	ck_assert_ptr_null(cfg.listen);
	ck_assert_uint_eq(cfg.nlisten, 0);
}
END_TEST

/* Where the log goes and in what form; the default is text on stderr. */
START_TEST(test_log_options)
{
	static const struct {
		const char	*args[4];
		int		 format;
		const char	*file;
		int		 syslog, facility;
	} cases[] = {
		{ { NULL }, LOG_FORMAT_TEXT, NULL, 0, LOG_DAEMON },
		{ { "--log-format", "json" }, LOG_FORMAT_JSON, NULL, 0,
		    LOG_DAEMON },
		{ { "--log-format=text" }, LOG_FORMAT_TEXT, NULL, 0,
		    LOG_DAEMON },
		{ { "--log-file", "/var/log/e.log" }, LOG_FORMAT_TEXT,
		    "/var/log/e.log", 0, LOG_DAEMON },
		{ { "--syslog" }, LOG_FORMAT_TEXT, NULL, 1, LOG_DAEMON },
		{ { "--syslog-facility", "local3" }, LOG_FORMAT_TEXT, NULL, 1,
		    LOG_LOCAL3 },
		{ { "--syslog", "--syslog-facility=user" }, LOG_FORMAT_TEXT,
		    NULL, 1, LOG_USER },
	};
	struct config	 cfg;
	char		 err[ERRLEN];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(parse(&cfg, cases[i].args, err, sizeof err) ==
		    CONFIG_RUN, "case %zu refused: %s", i, err);
		ck_assert_int_eq(cfg.log_format, cases[i].format);
		if (cases[i].file == NULL)
			ck_assert_ptr_null(cfg.log_file);
		else
			ck_assert_str_eq(cfg.log_file, cases[i].file);
		ck_assert_int_eq(cfg.syslog, cases[i].syslog);
		ck_assert_int_eq(cfg.syslog_facility, cases[i].facility);
		ck_assert_str_eq(value_facility_name(cfg.syslog_facility),
		    cases[i].facility == LOG_DAEMON ? "daemon" :
		    cases[i].facility == LOG_USER ? "user" : "local3");
		config_free(&cfg);
	}
}
END_TEST

/* --metrics takes the forms -l does, with port 9777 by default. */
START_TEST(test_metrics)
{
	static const struct {
		const char	*args[3];
		int		 on;
		const char	*host;
		unsigned	 port;
	} cases[] = {
		{ { NULL }, 0, "", 0 },
		{ { "--metrics", "127.0.0.1:9100" }, 1, "127.0.0.1", 9100 },
		{ { "--metrics=[::1]" }, 1, "::1", 9777 },
		{ { "--metrics", ":0" }, 1, "", 0 },
		{ { "--metrics", "localhost" }, 1, "localhost", 9777 },
	};
	struct config	 cfg;
	char		 err[ERRLEN];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(parse(&cfg, cases[i].args, err, sizeof err) ==
		    CONFIG_RUN, "case %zu refused: %s", i, err);
		ck_assert_int_eq(cfg.metrics_on, cases[i].on);
		if (cases[i].on) {
			ck_assert_str_eq(cfg.metrics.host, cases[i].host);
			ck_assert_uint_eq(cfg.metrics.port, cases[i].port);
		}
		config_free(&cfg);
	}
}
END_TEST

/*
 * --user, --chroot, --daemon and --pidfile: off by default; the names
 * kept as given (looked up only at start-up), the last --user winning,
 * a relative pidfile allowed without --daemon.
 */
START_TEST(test_service_options)
{
	static const struct {
		const char	*args[7];
		const char	*user, *group, *chroot_dir, *pidfile;
		int		 daemon;
	} cases[] = {
		{ { NULL }, NULL, NULL, NULL, NULL, 0 },
		{ { "--user", "nobody" }, "nobody", NULL, NULL, NULL, 0 },
		{ { "--user=nobody:nogroup" }, "nobody", "nogroup", NULL, NULL,
		    0 },
		{ { "--user", "a:b", "--user", "c" }, "c", NULL, NULL, NULL,
		    0 },
		{ { "--user", "www", "--chroot", "/var/empty" }, "www", NULL,
		    "/var/empty", NULL, 0 },
		{ { "--pidfile", "evecho.pid" }, NULL, NULL, NULL,
		    "evecho.pid", 0 },
		{ { "--daemon", "--pidfile=/run/e.pid", "--log-file",
		    "/var/log/e.log" }, NULL, NULL, NULL, "/run/e.pid", 1 },
		{ { "--daem" }, NULL, NULL, NULL, NULL, 1 },
	};
	struct config	 cfg;
	char		 err[ERRLEN];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(parse(&cfg, cases[i].args, err, sizeof err) ==
		    CONFIG_RUN, "case %zu refused: %s", i, err);
		ck_assert_pstr_eq(cfg.priv.user, cases[i].user);
		ck_assert_pstr_eq(cfg.priv.group, cases[i].group);
		ck_assert_pstr_eq(cfg.priv.chroot_dir, cases[i].chroot_dir);
		ck_assert_pstr_eq(cfg.pidfile, cases[i].pidfile);
		ck_assert_int_eq(cfg.daemon, cases[i].daemon);
		ck_assert_int_eq(cfg.priv.resolved, 0);
		/* A daemon's syslog default is main's: no sink is named. */
		ck_assert_int_eq(cfg.syslog, 0);
		check_default_listen(&cfg, show_args(cases[i].args));
		config_free(&cfg);
		ck_assert_ptr_null(cfg.priv.user);
		ck_assert_ptr_null(cfg.pidfile);
	}
}
END_TEST

/*
 * --unix-mode (octal, 0660 by default) and --unix-owner (names kept as
 * given, looked up only at start-up); a relative unix: path is allowed
 * without --daemon.
 */
START_TEST(test_unix_options)
{
	static const struct {
		const char	*args[7];
		int		 mode;
		const char	*owner, *group;
	} cases[] = {
		{ { "-l", "unix:e.sock" }, 0660, NULL, NULL },
		{ { "-l", "unix:/e", "--unix-mode", "0" }, 0, NULL, NULL },
		{ { "-l", "unix:/e", "--unix-mode=777" }, 0777, NULL, NULL },
		{ { "-l", "unix:/e", "--unix-mode", "0600", "--unix-owner",
		    "www:staff" }, 0600, "www", "staff" },
		{ { "-l", "unix:/e", "--unix-owner", "a:b", "--unix-owner",
		    "c" }, 0660, "c", NULL },
	};
	struct config	 cfg;
	char		 err[ERRLEN];
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(parse(&cfg, cases[i].args, err, sizeof err) ==
		    CONFIG_RUN, "case %zu refused: %s", i, err);
		ck_assert_int_eq(cfg.unix_mode, cases[i].mode);
		ck_assert_pstr_eq(cfg.unix_owner, cases[i].owner);
		ck_assert_pstr_eq(cfg.unix_group, cases[i].group);
		ck_assert_ptr_null(cfg.priv.user);
		config_free(&cfg);
		ck_assert_ptr_null(cfg.unix_owner);
	}
}
END_TEST

/* A single -l replaces the default address instead of adding to it. */
START_TEST(test_listen_replaces_default)
{
	static const char *const args[] = { "--listen", "[::]:7", NULL };
	struct config	 cfg;
	char		 err[ERRLEN];

	ck_assert_int_eq(parse(&cfg, args, err, sizeof err), CONFIG_RUN);
	ck_assert_uint_eq(cfg.nlisten, 1);
	ck_assert_str_eq(cfg.listen[0].host, "::");
	ck_assert_uint_eq(cfg.listen[0].port, 7);
	config_free(&cfg);
}
END_TEST

/* --help and --version win over running; help wins over version. */
static const struct action_case {
	const char		*args[4];
	enum config_action	 action;
} action_cases[] = {
	{ { "-h" },			CONFIG_HELP },
	{ { "--help" },			CONFIG_HELP },
	{ { "--he" },			CONFIG_HELP },
	{ { "-V" },			CONFIG_VERSION },
	{ { "--version" },		CONFIG_VERSION },
	{ { "--vers" },			CONFIG_VERSION },
	{ { "-V", "-h" },		CONFIG_HELP },
	{ { "-h", "-V" },		CONFIG_HELP },
	{ { "-hV" },			CONFIG_HELP },
	{ { "-U", "--version" },	CONFIG_VERSION },
	{ { "-l", ":1", "--help" },	CONFIG_HELP },
};

/* Each of those argument lists asks for the action in the table. */
START_TEST(test_action)
{
	const struct action_case	*ac = &action_cases[_i];
	struct config			 cfg;
	char				 err[ERRLEN];
	enum config_action		 got;

	got = parse(&cfg, ac->args, err, sizeof err);
	ck_assert_msg(got == ac->action, "'%s': action %d, want %d (%s)",
	    show_args(ac->args), got, ac->action, err);
	config_free(&cfg);
}
END_TEST

#define BACKLOG_ERR(v)	"invalid value '" v "' for --backlog: expected a " \
			    "whole number from 1 to 65535"
#define CONNS_ERR(v)	"invalid value '" v "' for --max-conns: expected a " \
			    "whole number from 1 to 10000000"
#define MEMORY_ERR(v)	"invalid value '" v "' for --max-memory: expected " \
			    "bytes from 1M to 1024G, with an optional k, M or " \
			    "G suffix"
#define PER_HOST_ERR(v)	"invalid value '" v "' for --max-conns-per-host: " \
			    "expected a whole number from 0 (no cap) to " \
			    "10000000"
#define QUEUE_ERR(v)	"invalid value '" v "' for --max-queue: expected " \
			    "bytes from 1 to 1G, with an optional k, M or G " \
			    "suffix"
#define IDLE_ERR(v)	"invalid value '" v "' for --idle-timeout: expected " \
			    "seconds from 0 to 86400, such as 30 or 0.5"
#define DRAIN_ERR(v)	"invalid value '" v "' for --drain-timeout: " \
			    "expected seconds from 0 to 86400, such as 5 or 0.5"
#define BACKEND_ERR(v)	"unknown backend '" v "' for --backend: expected " \
			    "epoll, poll or select"
#define USER_ERR(v)	"invalid value '" v "' for --user: expected USER or " \
			    "USER:GROUP"
#define OPERAND_ERR(v)	"unexpected argument '" v "': evecho takes options " \
			    "only"

/* Argument lists config_parse must refuse, and the sentence it writes. */
static const struct error_case {
	const char	*args[6];
	const char	*err;
} error_cases[] = {
	/* Unknown options. */
	{ { "--frobnicate" },		"unknown option '--frobnicate'" },
	{ { "--frobnicate=3" },		"unknown option '--frobnicate'" },
	{ { "--listens", "x" },		"unknown option '--listens'" },
	{ { "-x" },			"unknown option '-x'" },
	{ { "-Ux" },			"unknown option '-x'" },
	{ { "-xU" },			"unknown option '-x'" },
	{ { "-:" },			"unknown option '-:'" },
	{ { "-?" },			"unknown option '-?'" },
	{ { "-\001" },			"unknown option character 0x01" },
	{ { "-\303" },			"unknown option character 0xc3" },
	{ { "--uppercase", "-xU" },	"unknown option '-x'" },
	{ { "--backlog=5", "-Zv" },	"unknown option '-Z'" },
	/* Missing values. */
	{ { "-l" },			"option '-l' needs a value" },
	{ { "-b" },			"option '-b' needs a value" },
	{ { "-B" },			"option '-B' needs a value" },
	{ { "-t" },			"option '-t' needs a value" },
	{ { "-m" },			"option '-m' needs a value" },
	{ { "-Ub" },			"option '-b' needs a value" },
	{ { "--listen" },		"option '--listen' needs a value" },
	{ { "--backlog" },		"option '--backlog' needs a value" },
	{ { "--backend" },		"option '--backend' needs a value" },
	{ { "--idle-timeout" },		"option '--idle-timeout' needs a "
					    "value" },
	{ { "--max-conns" },		"option '--max-conns' needs a value" },
	{ { "--max-queue" },		"option '--max-queue' needs a value" },
	{ { "--drain-timeout" },	"option '--drain-timeout' needs a "
					    "value" },
	/* Values given to options that take none. */
	{ { "--help=x" },		"option '--help' takes no value" },
	{ { "--version=1" },		"option '--version' takes no value" },
	{ { "--uppercase=yes" },	"option '--uppercase' takes no value" },
	{ { "--verbose=2" },		"option '--verbose' takes no value" },
	{ { "--quiet=" },		"option '--quiet' takes no value" },
	{ { "--he=x" },			"option '--help' takes no value" },
	/* Ambiguous abbreviations. */
	{ { "--max" },			"option '--max' is ambiguous: it could "
					    "be --max-conns, --max-queue, "
					    "--max-memory, --max-conns-per-host" },
	{ { "--max=5" },		"option '--max' is ambiguous: it could "
					    "be --max-conns, --max-queue, "
					    "--max-memory, --max-conns-per-host" },
	{ { "--max-c", "3" },		"option '--max-c' is ambiguous: it "
					    "could be --max-conns, "
					    "--max-conns-per-host" },
	{ { "--ver" },			"option '--ver' is ambiguous: it could "
					    "be --verbose, --version" },
	{ { "--back", "5" },		"option '--back' is ambiguous: it "
					    "could be --backlog, --backend" },
	/* --backlog: 1 to 65535. */
	{ { "-b", "0" },		BACKLOG_ERR("0") },
	{ { "-b", "65536" },		BACKLOG_ERR("65536") },
	{ { "--backlog", "-1" },	BACKLOG_ERR("-1") },
	{ { "--backlog=+5" },		BACKLOG_ERR("+5") },
	{ { "--backlog= 5" },		BACKLOG_ERR(" 5") },
	{ { "--backlog=5 " },		BACKLOG_ERR("5 ") },
	{ { "--backlog=5k" },		BACKLOG_ERR("5k") },
	{ { "--backlog=" },		BACKLOG_ERR("") },
	{ { "-b", "many" },		BACKLOG_ERR("many") },
	{ { "-b", "99999999999999999999999" },
	    BACKLOG_ERR("99999999999999999999999") },
	/* --max-conns: 1 to 10000000. */
	{ { "-m", "0" },		CONNS_ERR("0") },
	{ { "-m", "10000001" },		CONNS_ERR("10000001") },
	{ { "--max-conns=1.5" },	CONNS_ERR("1.5") },
	{ { "--max-conns", "lots" },	CONNS_ERR("lots") },
	{ { "--max-conns=" },		CONNS_ERR("") },
	{ { "--max-conns", "99999999999999999999999" },
	    CONNS_ERR("99999999999999999999999") },
	/* --max-queue: 1 to 1G. */
	{ { "--max-queue", "0" },	QUEUE_ERR("0") },
	{ { "--max-queue", "0k" },	QUEUE_ERR("0k") },
	{ { "--max-queue", "1073741825" },	QUEUE_ERR("1073741825") },
	{ { "--max-queue", "1025M" },	QUEUE_ERR("1025M") },
	{ { "--max-queue", "1048577k" },	QUEUE_ERR("1048577k") },
	{ { "--max-queue", "2G" },	QUEUE_ERR("2G") },
	{ { "--max-queue", "1T" },	QUEUE_ERR("1T") },
	{ { "--max-queue", "1kB" },	QUEUE_ERR("1kB") },
	{ { "--max-queue", "k" },	QUEUE_ERR("k") },
	{ { "--max-queue=" },		QUEUE_ERR("") },
	{ { "--max-queue", "-1" },	QUEUE_ERR("-1") },
	{ { "--max-queue", "99999999999999999999999" },
	    QUEUE_ERR("99999999999999999999999") },
	/* --max-memory: 1M to 1024G, and enough for the threads. */
	{ { "--max-memory", "1048575" },	MEMORY_ERR("1048575") },
	{ { "--max-memory", "1023k" },	MEMORY_ERR("1023k") },
	{ { "--max-memory", "0" },	MEMORY_ERR("0") },
	{ { "--max-memory", "1025G" },	MEMORY_ERR("1025G") },
	{ { "--max-memory", "1T" },	MEMORY_ERR("1T") },
	{ { "--max-memory", "lots" },	MEMORY_ERR("lots") },
	{ { "--max-memory=" },		MEMORY_ERR("") },
	{ { "--max-memory", "99999999999999999999999" },
	    MEMORY_ERR("99999999999999999999999") },
	{ { "--max-memory", "1M", "--threads", "4" },
	    "--max-memory 1M is too small for 4 threads: give at least 2M, "
	    "or fewer --threads" },
	{ { "--threads=3", "--max-memory", "1.5M" },
	    MEMORY_ERR("1.5M") },
	{ { "--threads=4", "--max-memory", "1536k" },
	    "--max-memory 1.5M is too small for 4 threads: give at least "
	    "2M, or fewer --threads" },
	/* --max-conns-per-host: 0 to 10000000. */
	{ { "--max-conns-per-host", "10000001" },	PER_HOST_ERR("10000001") },
	{ { "--max-conns-per-host", "-1" },	PER_HOST_ERR("-1") },
	{ { "--max-conns-per-host=" },		PER_HOST_ERR("") },
	{ { "--max-conns-per-host", "2x" },	PER_HOST_ERR("2x") },
	/* --idle-timeout: 0 to 86400 seconds. */
	{ { "-t", "86401" },		IDLE_ERR("86401") },
	{ { "-t", "86400.5" },		IDLE_ERR("86400.5") },
	{ { "-t", "-1" },		IDLE_ERR("-1") },
	{ { "-t", "1.2345" },		IDLE_ERR("1.2345") },
	{ { "-t", "1." },		IDLE_ERR("1.") },
	{ { "--idle-timeout=" },	IDLE_ERR("") },
	{ { "--idle-timeout", "5s" },	IDLE_ERR("5s") },
	{ { "--idle-timeout", "99999999999999999999999" },
	    IDLE_ERR("99999999999999999999999") },
	/* --drain-timeout: 0 to 86400 seconds. */
	{ { "--drain-timeout", "86401" },	DRAIN_ERR("86401") },
	{ { "--drain-timeout", "86400.001" },	DRAIN_ERR("86400.001") },
	{ { "--drain-timeout", "soon" },	DRAIN_ERR("soon") },
	{ { "--drain-timeout=" },		DRAIN_ERR("") },
	{ { "--drain-timeout", "1,5" },		DRAIN_ERR("1,5") },
	{ { "--drain-timeout", "99999999999999999999999" },
	    DRAIN_ERR("99999999999999999999999") },
	/* --backend. */
	{ { "-B", "kqueue" },		BACKEND_ERR("kqueue") },
	{ { "--backend", "EPOLL" },	BACKEND_ERR("EPOLL") },
	{ { "--backend=" },		BACKEND_ERR("") },
	{ { "--backend", "epol" },	BACKEND_ERR("epol") },
	/* Conflicts and operands. */
	{ { "-q", "-v" },		"--quiet and --verbose cannot be used "
					    "together" },
	{ { "--verbose", "--quiet" },	"--quiet and --verbose cannot be used "
					    "together" },
	{ { "-vq" },			"--quiet and --verbose cannot be used "
					    "together" },
	{ { "--stats-interval", "-1" },	"invalid value '-1' for "
					    "--stats-interval: expected seconds "
					    "from 0 to 86400, such as 60 or 0.5" },
	{ { "--stats-interval", "1h" },	"invalid value '1h' for "
					    "--stats-interval: expected seconds "
					    "from 0 to 86400, such as 60 or 0.5" },
	{ { "--metrics", "" },		"--metrics: empty listen address" },
	{ { "--metrics", "9100" },	"--metrics: listen address '9100' is "
					    "only a number; write ':9100' for "
					    "every interface or "
					    "'127.0.0.1:9100' for loopback" },
	{ { "--metrics", "[::1" },	"--metrics: listen address '[::1' has "
					    "'[' without ']'" },
	{ { "--log-format", "xml" },	"invalid value 'xml' for --log-format: "
					    "expected text or json" },
	{ { "--log-format=JSON" },	"invalid value 'JSON' for --log-format: "
					    "expected text or json" },
	{ { "--log-file=" },		"--log-file needs a path" },
	{ { "--syslog", "--log-file", "/x" },
					"--log-file and --syslog cannot be "
					    "used together: choose where the "
					    "log goes" },
	{ { "--log-file", "/x", "--syslog-facility", "local0" },
					"--log-file and --syslog cannot be "
					    "used together: choose where the "
					    "log goes" },
	{ { "--syslog-facility", "kern" },
					"invalid value 'kern' for "
					    "--syslog-facility: expected "
					    "daemon, user or local0 to local7" },
	{ { "--syslog-facility", "local8" },
					"invalid value 'local8' for "
					    "--syslog-facility: expected "
					    "daemon, user or local0 to local7" },
	/* --user, --chroot, --daemon, --pidfile. */
	{ { "--user" },			"option '--user' needs a value" },
	{ { "--user", "" },		USER_ERR("") },
	{ { "--user", ":staff" },	USER_ERR(":staff") },
	{ { "--user", "nobody:" },	USER_ERR("nobody:") },
	{ { "--user", "a:b:c" },	USER_ERR("a:b:c") },
	{ { "--user=:" },		USER_ERR(":") },
	{ { "--u", "nobody" },		"option '--u' is ambiguous: it could "
					    "be --uppercase, --user, "
					    "--unix-mode, --unix-owner, --udp-rate" },
	{ { "--udp-rate", "fast" },	"invalid value 'fast' for --udp-rate: "
					    "expected datagrams per second from "
					    "0 (no limit) to 10000000" },
	{ { "--udp-rate", "10000001" },	"invalid value '10000001' for "
					    "--udp-rate: expected datagrams per "
					    "second from 0 (no limit) to "
					    "10000000" },
	{ { "--d" },			"option '--d' is ambiguous: it could "
					    "be --drain-timeout, --daemon" },
	{ { "--daemon=yes" },		"option '--daemon' takes no value" },
	{ { "--chroot=" },		"--chroot needs a path" },
	{ { "--chroot", "var/empty", "--user", "nobody" },
					"invalid value 'var/empty' for "
					    "--chroot: expected an absolute "
					    "path" },
	{ { "--chroot", "/var/empty" },	"--chroot needs --user: a process "
					    "that keeps root can leave a "
					    "chroot" },
	{ { "--user", "nobody:nogroup", "--chroot", "/var/empty", "--user=" },
					USER_ERR("") },
	{ { "--pidfile=" },		"--pidfile needs a path" },
	{ { "--daemon", "--pidfile", "evecho.pid" },
					"--pidfile evecho.pid must be an "
					    "absolute path with --daemon, which "
					    "changes directory to /" },
	{ { "--log-file", "e.log", "--daemon" },
					"--log-file e.log must be an absolute "
					    "path with --daemon, which changes "
					    "directory to /" },
	/* --tls-cert, --tls-key and ,tls listeners. */
	{ { "--tls-cert", "c.pem", "--tls-key", "k.pem" },
					"--tls-cert is for TLS listeners: add "
					    ",tls to a -l address" },
	{ { "-l", ":1", "--tls-key", "k.pem" },
					"--tls-key is for TLS listeners: add "
					    ",tls to a -l address" },
	{ { "--tls-key=" },		"--tls-key needs a path" },
#ifdef HAVE_OPENSSL
	{ { "-l", ":7443,tls" },	"a ,tls listen address needs "
					    "--tls-cert and --tls-key" },
	{ { "-l", ":7443,tls", "--tls-key", "k.pem" },
					"a ,tls listen address needs "
					    "--tls-cert too" },
	{ { "-l", ":7443,tls,proxy", "--tls-cert", "c.pem" },
					"a ,tls listen address needs "
					    "--tls-key too" },
	{ { "-l", ":7443,tls", "--tls-cert=c.pem", "--tls-key=/k.pem",
	    "--daemon" },		"--tls-cert c.pem must be an absolute "
					    "path with --daemon, which changes "
					    "directory to /" },
#else
	{ { "-l", ":7443,tls", "--tls-cert=c.pem", "--tls-key=k.pem" },
					"a ,tls listen address needs TLS, "
					    "and this evecho is built without "
					    "it (configure --without-openssl, "
					    "or OpenSSL was not found)" },
#endif
	{ { "foo" },			OPERAND_ERR("foo") },
	{ { "-U", "foo", "-v" },	OPERAND_ERR("foo") },
	{ { "--", "-v" },		OPERAND_ERR("-v") },
	{ { "-" },			OPERAND_ERR("-") },
	/* Listen addresses, worded by addr_parse(). */
	{ { "-l", "" },			"empty listen address" },
	{ { "--listen=::1" },		"listen address '::1' has several ':'; "
					    "write IPv6 addresses in brackets, "
					    "as in [::1]:7777" },
	{ { "-l", "7777" },		"listen address '7777' is only a "
					    "number; write ':7777' for every "
					    "interface or '127.0.0.1:7777' for "
					    "loopback" },
	{ { "-l", "host:65536" },	"listen address 'host:65536': port "
					    "'65536' is not a number from 0 to "
					    "65535" },
	{ { "-l", "[::1" },		"listen address '[::1' has '[' "
					    "without ']'" },
	{ { "-l", ":1", "-b", "0" },	BACKLOG_ERR("0") },
	{ { "-l", ":1", "-l", "a b" },	"listen address 'a b': 'a b' is not a "
					    "valid host name or address" },
	/* Unix-domain listeners' flags and rules. */
	{ { "-l", "unix:/s", "--unix-mode", "0778" },
					"invalid value '0778' for --unix-mode: "
					    "expected an octal mode from 0 to "
					    "0777, such as 0660" },
	{ { "-l", "unix:/s", "--unix-mode", "1000" },
					"invalid value '1000' for --unix-mode: "
					    "expected an octal mode from 0 to "
					    "0777, such as 0660" },
	{ { "-l", "unix:/s", "--unix-owner", "a:" },
					"invalid value 'a:' for --unix-owner: "
					    "expected USER or USER:GROUP" },
	{ { "--unix-mode", "0600" },	"--unix-mode needs a unix: listener "
					    "with a path (-l unix:PATH)" },
	{ { "-l", "unix:@a", "--unix-owner", "nobody" },
					"--unix-owner needs a unix: listener "
					    "with a path (-l unix:PATH)" },
	{ { "-l", "unix:/e", "-l", "unix:/e,proxy" },
					"-l unix:/e is given twice" },
	{ { "-l", "unix:e.sock", "--daemon" },
					"-l unix:e.sock must be an absolute "
					    "path with --daemon, which changes "
					    "directory to /" },
};

/* Each bad argument list is refused with its exact sentence, cfg empty. */
START_TEST(test_error)
{
	const struct error_case	*ec = &error_cases[_i];
	struct config		 cfg;
	char			 err[ERRLEN];
	enum config_action	 got;

	got = parse(&cfg, ec->args, err, sizeof err);
	ck_assert_msg(got == CONFIG_ERROR, "'%s' was accepted (action %d)",
	    show_args(ec->args), got);
	ck_assert_msg(strcmp(err, ec->err) == 0,
	    "'%s':\n  got  \"%s\"\n  want \"%s\"", show_args(ec->args), err,
	    ec->err);
	ck_assert_ptr_null(cfg.listen);
	ck_assert_uint_eq(cfg.nlisten, 0);
}
END_TEST

/* A short err buffer gets a truncated, NUL-terminated sentence. */
START_TEST(test_error_truncated)
{
	static const char *const args[] = { "--frobnicate", NULL };
	struct config	 cfg;
	char		 err[13];

	memset(err, 'X', sizeof err);
	ck_assert_int_eq(parse(&cfg, args, err, sizeof err - 1),
	    CONFIG_ERROR);
	ck_assert_str_eq(err, "unknown opt");
	ck_assert_int_eq(err[sizeof err - 1], 'X');
}
END_TEST

/*
 * The parser starts afresh on every call: an error half-way through a
 * cluster ("-xv") leaves nothing behind for the next parse.
 */
START_TEST(test_reparse)
{
	static const char *const bad[] = { "-xv", NULL };
	static const char *const good[] = { "-U", NULL };
	struct config	 cfg;
	char		 err[ERRLEN];

	ck_assert_int_eq(parse(&cfg, bad, err, sizeof err), CONFIG_ERROR);
	ck_assert_str_eq(err, "unknown option '-x'");
	ck_assert_int_eq(parse(&cfg, good, err, sizeof err), CONFIG_RUN);
	check_default_listen(&cfg, "-U after -xv");
	check_fields(&cfg, "-U after -xv", F_UPPERCASE, 1, NULL);
	config_free(&cfg);
}
END_TEST

/* value_parse_uint() cases: input, range, and the answer. */
static const struct uint_case {
	const char	*s;
	unsigned long	 min, max;
	int		 rc;
	unsigned long	 value;
} uint_cases[] = {
	{ "0",		0, 10, 0, 0 },
	{ "10",		0, 10, 0, 10 },
	{ "11",		0, 10, -1, 0 },
	{ "100",	0, 10, -1, 0 },
	{ "1",		1, 1, 0, 1 },
	{ "0",		1, 1, -1, 0 },
	{ "2",		1, 1, -1, 0 },
	{ "0",		0, 0, 0, 0 },
	{ "1",		0, 0, -1, 0 },
	{ "007",	0, 10, 0, 7 },
	{ "65535",	1, 65535, 0, 65535 },
	{ "65536",	1, 65535, -1, 0 },
	{ "65540",	1, 65535, -1, 0 },
	{ "4294967295",	0, 4294967295UL, 0, 4294967295UL },
	{ "4294967296",	0, 4294967295UL, -1, 0 },
	{ "10000000",	1, 10000000, 0, 10000000 },
	{ "10000001",	1, 10000000, -1, 0 },
	{ "99999999999999999999999", 0, ULONG_MAX, -1, 0 },
	{ "",		0, 10, -1, 0 },
	{ "+1",		0, 10, -1, 0 },
	{ "-1",		0, 10, -1, 0 },
	{ "-0",		0, 10, -1, 0 },
	{ " 1",		0, 10, -1, 0 },
	{ "1 ",		0, 10, -1, 0 },
	{ "1x",		0, 10, -1, 0 },
	{ "x1",		0, 10, -1, 0 },
	{ "0x1",	0, 10, -1, 0 },
	{ "1.0",	0, 10, -1, 0 },
	{ "1e1",	0, 100, -1, 0 },
	{ "1k",		0, 10000, -1, 0 },
};

/* Digits only, in range, nothing else; the value when accepted. */
START_TEST(test_parse_uint)
{
	const struct uint_case	*uc = &uint_cases[_i];
	unsigned long		 value = 12345;
	int			 rc;

	rc = value_parse_uint(uc->s, uc->min, uc->max, &value);
	ck_assert_msg(rc == uc->rc, "value_parse_uint(\"%s\", %lu, %lu) "
	    "returned %d, want %d", uc->s, uc->min, uc->max, rc, uc->rc);
	if (rc == 0)
		ck_assert_msg(value == uc->value, "value_parse_uint(\"%s\") "
		    "gave %lu, want %lu", uc->s, value, uc->value);
}
END_TEST

/* ULONG_MAX itself parses; one more does not wrap around to 0. */
START_TEST(test_parse_uint_ulong_max)
{
	char		 s[32];
	unsigned long	 value = 0;
	size_t		 len;

	snprintf(s, sizeof s, "%lu", ULONG_MAX);
	ck_assert_int_eq(value_parse_uint(s, 0, ULONG_MAX, &value), 0);
	ck_assert(value == ULONG_MAX);
	len = strlen(s);
	ck_assert(s[len - 1] != '9');	/* so +1 is one digit's change */
	s[len - 1]++;
	ck_assert_int_eq(value_parse_uint(s, 0, ULONG_MAX, &value), -1);
}
END_TEST

/* value_parse_size() cases, with --max-queue's range unless stated. */
static const struct size_case {
	const char	*s;
	unsigned long	 min, max;
	int		 rc;
	unsigned long	 value;
} size_cases[] = {
	{ "1",		1, GIB, 0, 1 },
	{ "512",	1, GIB, 0, 512 },
	{ "1073741824",	1, GIB, 0, GIB },
	{ "1073741825",	1, GIB, -1, 0 },
	{ "0",		1, GIB, -1, 0 },
	{ "0",		0, GIB, 0, 0 },
	{ "1k",		1, GIB, 0, KIB },
	{ "1K",		1, GIB, 0, KIB },
	{ "64k",	1, GIB, 0, 64 * KIB },
	{ "1m",		1, GIB, 0, MIB },
	{ "1M",		1, GIB, 0, MIB },
	{ "1g",		1, GIB, 0, GIB },
	{ "1G",		1, GIB, 0, GIB },
	{ "1024M",	1, GIB, 0, GIB },
	{ "1025M",	1, GIB, -1, 0 },
	{ "1048576k",	1, GIB, 0, GIB },
	{ "1048577k",	1, GIB, -1, 0 },
	{ "2G",		1, GIB, -1, 0 },
	{ "0k",		1, GIB, -1, 0 },
	{ "0G",		1, GIB, -1, 0 },
	{ "1k",		2048, GIB, -1, 0 },
	{ "2k",		2048, GIB, 0, 2048 },
	{ "1k",		1, 1500, 0, KIB },
	{ "2k",		1, 1500, -1, 0 },
	{ "007k",	1, GIB, 0, 7 * KIB },
	{ "",		1, GIB, -1, 0 },
	{ "k",		1, GIB, -1, 0 },
	{ "G",		1, GIB, -1, 0 },
	{ "1T",		1, GIB, -1, 0 },
	{ "1b",		1, GIB, -1, 0 },
	{ "1kb",	1, GIB, -1, 0 },
	{ "1kk",	1, GIB, -1, 0 },
	{ "1k1",	1, GIB, -1, 0 },
	{ "1 k",	1, GIB, -1, 0 },
	{ " 1k",	1, GIB, -1, 0 },
	{ "1k ",	1, GIB, -1, 0 },
	{ "+1k",	1, GIB, -1, 0 },
	{ "-1k",	1, GIB, -1, 0 },
	{ "-1",		1, GIB, -1, 0 },
	{ "1.5M",	1, GIB, -1, 0 },
	{ "0x10",	1, GIB, -1, 0 },
	{ "99999999999999999999999",	1, GIB, -1, 0 },
	{ "99999999999999999999999k",	1, GIB, -1, 0 },
	{ "99999999999999999999999G",	1, ULONG_MAX, -1, 0 },
};

/* Sizes with and without suffixes, at and past their limits. */
START_TEST(test_parse_size)
{
	const struct size_case	*sc = &size_cases[_i];
	unsigned long		 value = 12345;
	int			 rc;

	rc = value_parse_size(sc->s, sc->min, sc->max, &value);
	ck_assert_msg(rc == sc->rc, "value_parse_size(\"%s\", %lu, %lu) "
	    "returned %d, want %d", sc->s, sc->min, sc->max, rc, sc->rc);
	if (rc == 0)
		ck_assert_msg(value == sc->value, "value_parse_size(\"%s\") "
		    "gave %lu, want %lu", sc->s, value, sc->value);
}
END_TEST

/* With max ULONG_MAX, the largest count of each unit fits; one more not. */
/* cli_escape(): control characters as C escapes, the rest as it is. */
START_TEST(test_escape)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "", "" }, { "plain", "plain" }, { "a\nb", "a\\nb" },
		{ "tab\there", "tab\\there" }, { "cr\r", "cr\\r" },
		{ "\033[31m", "\\x1b[31m" }, { "\x7f", "\\x7f" },
		{ "\x01\x1f", "\\x01\\x1f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 stays */
		{ "back\\slash", "back\\slash" },
	};
	char	 buf[64], small[5];
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_str_eq(cli_escape(cases[i].in, buf, sizeof buf),
		    cases[i].want);
	/* Cut short at a whole escape, terminated, never overrun. */
	ck_assert_str_eq(cli_escape("ab\ncd", small, sizeof small), "ab\\n");
	ck_assert_str_eq(cli_escape("abc\n", small, sizeof small), "abc");
}
END_TEST

/* value_format_size(): exact units where it can, one decimal where not. */
START_TEST(test_format_size)
{
	static const struct {
		size_t		 n;
		const char	*want;
	} cases[] = {
		{ 0, "0" }, { 1, "1" }, { 1023, "1023" }, { 1024, "1k" },
		{ 1536, "1.5k" }, { 65536, "64k" }, { MIB, "1M" },
		{ 3 * MIB / 2, "1.5M" }, { GIB, "1G" }, { 6 * GIB, "6G" },
		{ 1024 * GIB, "1024G" }, { 6335800320UL, "5.9G" },
	};
	char	 buf[32];
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_str_eq(value_format_size(cases[i].n, buf,
		    sizeof buf), cases[i].want);
}
END_TEST

START_TEST(test_parse_size_overflow)
{
	static const struct {
		char		 suffix;
		unsigned long	 unit;
	} units[] = { { 'k', KIB }, { 'M', MIB }, { 'G', GIB } };
	char		 s[40];
	unsigned long	 value;
	size_t		 i;

	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		unsigned long n = ULONG_MAX / units[i].unit;

		snprintf(s, sizeof s, "%lu%c", n, units[i].suffix);
		value = 0;
		ck_assert_msg(value_parse_size(s, 1, ULONG_MAX, &value) == 0,
		    "\"%s\" refused", s);
		ck_assert_msg(value == n * units[i].unit, "\"%s\" gave %lu",
		    s, value);
		snprintf(s, sizeof s, "%lu%c", n + 1, units[i].suffix);
		ck_assert_msg(value_parse_size(s, 1, ULONG_MAX, &value) == -1,
		    "\"%s\" accepted as %lu", s, value);
	}
}
END_TEST

/* value_parse_seconds() cases: input, max seconds, answer in ms. */
static const struct seconds_case {
	const char	*s;
	unsigned	 max;
	int		 rc;
	unsigned	 ms;
} seconds_cases[] = {
	{ "0",		86400, 0, 0 },
	{ "1",		86400, 0, 1000 },
	{ "30",		86400, 0, 30000 },
	{ "0.5",	86400, 0, 500 },
	{ ".5",		86400, 0, 500 },
	{ "0.25",	86400, 0, 250 },
	{ "1.250",	86400, 0, 1250 },
	{ "1.125",	86400, 0, 1125 },
	{ "0.001",	86400, 0, 1 },
	{ ".001",	86400, 0, 1 },
	{ "0.0",	86400, 0, 0 },
	{ "1.0",	86400, 0, 1000 },
	{ "1.05",	86400, 0, 1050 },
	{ "2.005",	86400, 0, 2005 },
	{ "007.5",	86400, 0, 7500 },
	{ "86399.999",	86400, 0, 86399999 },
	{ "86400",	86400, 0, 86400000 },
	{ "86400.000",	86400, 0, 86400000 },
	{ "86400.5",	86400, -1, 0 },
	{ "86400.001",	86400, -1, 0 },
	{ "86401",	86400, -1, 0 },
	{ "10",		10, 0, 10000 },
	{ "9.999",	10, 0, 9999 },
	{ "10.1",	10, -1, 0 },
	{ "11",		10, -1, 0 },
	{ "0",		0, 0, 0 },
	{ "0.001",	0, -1, 0 },
	{ "1",		0, -1, 0 },
	{ "",		86400, -1, 0 },
	{ ".",		86400, -1, 0 },
	{ "1.",		86400, -1, 0 },
	{ "1.2345",	86400, -1, 0 },
	{ "0.0001",	86400, -1, 0 },
	{ "1..5",	86400, -1, 0 },
	{ "..5",	86400, -1, 0 },
	{ "1.5.",	86400, -1, 0 },
	{ "1.5x",	86400, -1, 0 },
	{ "1.x",	86400, -1, 0 },
	{ "1.-5",	86400, -1, 0 },
	{ "1.+5",	86400, -1, 0 },
	{ "1. 5",	86400, -1, 0 },
	{ "1,5",	86400, -1, 0 },
	{ "-1",		86400, -1, 0 },
	{ "-0.5",	86400, -1, 0 },
	{ "+1",		86400, -1, 0 },
	{ " 1",		86400, -1, 0 },
	{ "1 ",		86400, -1, 0 },
	{ "1s",		86400, -1, 0 },
	{ "1e3",	86400, -1, 0 },
	{ "0x10",	86400, -1, 0 },
	{ "inf",	86400, -1, 0 },
	{ "99999999999999999999999",	86400, -1, 0 },
	{ "99999999999999999999999.5",	86400, -1, 0 },
	{ "1.99999999999999999999999",	86400, -1, 0 },
};

/* Whole seconds and up to three decimals, bounded; the result in ms. */
START_TEST(test_parse_seconds)
{
	const struct seconds_case	*sc = &seconds_cases[_i];
	unsigned			 ms = 12345;
	int				 rc;

	rc = value_parse_seconds(sc->s, sc->max, &ms);
	ck_assert_msg(rc == sc->rc, "value_parse_seconds(\"%s\", %u) "
	    "returned %d, want %d", sc->s, sc->max, rc, sc->rc);
	if (rc == 0)
		ck_assert_msg(ms == sc->ms, "value_parse_seconds(\"%s\") "
		    "gave %u ms, want %u", sc->s, ms, sc->ms);
}
END_TEST

/*
 * The result is unsigned milliseconds: with a max too large for that, the
 * largest representable value parses and anything beyond it is refused
 * rather than wrapped around.
 */
START_TEST(test_parse_seconds_ms_overflow)
{
	char		 s[40];
	unsigned	 ms = 0;

	snprintf(s, sizeof s, "%u.%03u", UINT_MAX / 1000, UINT_MAX % 1000);
	ck_assert_msg(value_parse_seconds(s, UINT_MAX, &ms) == 0,
	    "\"%s\" refused", s);
	ck_assert_uint_eq(ms, UINT_MAX);

	snprintf(s, sizeof s, "%u", UINT_MAX / 1000 + 1);
	ms = 0;
	ck_assert_msg(value_parse_seconds(s, UINT_MAX, &ms) == -1,
	    "\"%s\" s accepted as %u ms", s, ms);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc_parse = tcase_create("config_parse");
	TCase	*tc_numbers = tcase_create("numbers");

	tcase_add_test(tc_parse, test_defaults);
	tcase_add_loop_test(tc_parse, test_flag, 0,
	    sizeof flag_cases / sizeof flag_cases[0]);
	tcase_add_test(tc_parse, test_flags_combined);
	tcase_add_test(tc_parse, test_listen_repeated);
	tcase_add_test(tc_parse, test_log_options);
	tcase_add_test(tc_parse, test_metrics);
	tcase_add_test(tc_parse, test_service_options);
	tcase_add_test(tc_parse, test_unix_options);
	tcase_add_test(tc_parse, test_listen_replaces_default);
	tcase_add_loop_test(tc_parse, test_action, 0,
	    sizeof action_cases / sizeof action_cases[0]);
	tcase_add_loop_test(tc_parse, test_error, 0,
	    sizeof error_cases / sizeof error_cases[0]);
	tcase_add_test(tc_parse, test_error_truncated);
	tcase_add_test(tc_parse, test_reparse);
	suite_add_tcase(s, tc_parse);

	tcase_add_loop_test(tc_numbers, test_parse_uint, 0,
	    sizeof uint_cases / sizeof uint_cases[0]);
	tcase_add_test(tc_numbers, test_parse_uint_ulong_max);
	tcase_add_loop_test(tc_numbers, test_parse_size, 0,
	    sizeof size_cases / sizeof size_cases[0]);
	tcase_add_test(tc_numbers, test_parse_size_overflow);
	tcase_add_test(tc_numbers, test_format_size);
	tcase_add_test(tc_numbers, test_escape);
	tcase_add_loop_test(tc_numbers, test_parse_seconds, 0,
	    sizeof seconds_cases / sizeof seconds_cases[0]);
	tcase_add_test(tc_numbers, test_parse_seconds_ms_overflow);
	suite_add_tcase(s, tc_numbers);
	return (s);
}

int
main(void)
{
	return (harness_run(config_suite()));
}

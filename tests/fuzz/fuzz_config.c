/*
 * fuzz_config.c: libFuzzer target for config_parse(), the whole command
 * line.  The input, split at NUL bytes, is the arguments after "evecho";
 * an empty input is no arguments at all.
 *
 * Checked on every input: an error is one non-empty line, quotes only
 * what the user typed, and leaves nothing to free; otherwise every field
 * is within the range its flag allows, RUN has at least one listen
 * address, and each address formats back to text that parses to the same
 * address; TLS files come exactly with ,tls listeners.  The same arguments parse the same way again after a parse
 * that left getopt_long in the middle of a cluster (config_parse() resets
 * it), the argument strings come back unchanged, and config_free() leaves
 * nothing behind (LeakSanitizer).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "budget.h"
#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "value.h"

#define FUZZ_ERRLEN	512		/* what main() gives config_parse() */

/* An argument vector built from the input. */
struct fuzz_argv {
	int	  argc;
	char	**argv;	/* for config_parse(), which may reorder it */
	char	**own;	/* the same strings in order, to check and free */
};

static void	fuzz_config_argv(struct fuzz_argv *, const uint8_t *, size_t);
static void	fuzz_config_argv_free(struct fuzz_argv *);
static void	fuzz_config_argv_unchanged(const struct fuzz_argv *,
		    const uint8_t *, size_t);
static void	fuzz_config_quoted(const char *, size_t,
		    const struct fuzz_argv *, const uint8_t *, size_t);
static void	fuzz_config_sane(const struct config *, enum config_action);
static void	fuzz_config_same(const struct config *,
		    const struct config *);
static void	fuzz_config_stale_getopt(void);

/* Parse the arguments twice, getopt_long disturbed between, and compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_argv	 a, b;
	struct config		 cfg, cfg2;
	enum config_action	 action, action2;
	char			 err[FUZZ_ERRLEN] = "", err2[FUZZ_ERRLEN] = "";

	fuzz_config_argv(&a, data, size);
	fuzz_config_argv(&b, data, size);

	action = config_parse(&cfg, a.argc, a.argv, err, sizeof err);
	FUZZ_CHECK(action == CONFIG_RUN || action == CONFIG_HELP ||
	    action == CONFIG_VERSION || action == CONFIG_ERROR ||
	    action == CONFIG_NOMEM);
	if (action == CONFIG_NOMEM)
		return (0);	/* out of memory: nothing to check */
	if (action == CONFIG_ERROR) {
		/* Nothing to free: the parser freed it. */
		FUZZ_CHECK(cfg.listen == NULL && cfg.nlisten == 0);
		fuzz_check_error(err, sizeof err, data, size);
		fuzz_config_quoted(err, sizeof err, &a, data, size);
	} else
		fuzz_config_sane(&cfg, action);
	fuzz_config_argv_unchanged(&a, data, size);

	fuzz_config_stale_getopt();
	action2 = config_parse(&cfg2, b.argc, b.argv, err2, sizeof err2);
	FUZZ_CHECK(action2 == action);
	if (action == CONFIG_ERROR)
		FUZZ_CHECK(strcmp(err, err2) == 0);
	else {
		fuzz_config_same(&cfg, &cfg2);
		config_free(&cfg);
		config_free(&cfg2);
		FUZZ_CHECK(cfg.listen == NULL && cfg.nlisten == 0);
	}

	fuzz_config_argv_free(&a);
	fuzz_config_argv_free(&b);
	return (0);
}

/*
 * "evecho", then each NUL-separated piece of the input, each string
 * allocated on its own so that a read past its end is caught.
 */
static void
fuzz_config_argv(struct fuzz_argv *v, const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size, *nul;
	size_t		 nargs = 1;
	int		 i;

	for (nul = data; size > 0 && nul < end; nul++) {
		if (*nul == '\0')
			nargs++;
	}
	v->argc = 1 + (size > 0 ? (int)nargs : 0);
	if ((v->argv = calloc((size_t)v->argc + 1, sizeof *v->argv)) == NULL ||
	    (v->own = calloc((size_t)v->argc + 1, sizeof *v->own)) == NULL) {
		perror("calloc");
		abort();
	}
	v->own[0] = fuzz_strndup((const uint8_t *)"evecho", 6);
	for (i = 1; i < v->argc; i++) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL)
			nul = end;
		v->own[i] = fuzz_strndup(p, (size_t)(nul - p));
		p = nul + 1;
	}
	memcpy(v->argv, v->own, ((size_t)v->argc + 1) * sizeof *v->argv);
}

/* Free the strings and both vectors. */
static void
fuzz_config_argv_free(struct fuzz_argv *v)
{
	int	 i;

	for (i = 0; i < v->argc; i++)
		free(v->own[i]);
	free(v->own);
	free(v->argv);
}

/* getopt_long may reorder argv, but no string may change, nor argv end. */
static void
fuzz_config_argv_unchanged(const struct fuzz_argv *v, const uint8_t *data,
    size_t size)
{
	size_t	 off = 0, len;
	int	 i;

	FUZZ_CHECK(v->argv[v->argc] == NULL);
	FUZZ_CHECK(strcmp(v->own[0], "evecho") == 0);
	for (i = 1; i < v->argc; i++) {
		len = strlen(v->own[i]);
		FUZZ_CHECK(off + len <= size);
		FUZZ_CHECK(memcmp(v->own[i], data + off, len) == 0);
		FUZZ_CHECK(off + len == size || data[off + len] == '\0');
		off += len + 1;
	}
}

/*
 * The first thing an error quotes is something the user typed: part of an
 * argument, a letter from a cluster of short options, the long option an
 * argument abbreviates, or the start of an argument cut short with "...".
 * An error that names an option the user did not give fails here.  Not
 * checked when an argument holds a quote, or the buffer cut the error.
 */
static void
fuzz_config_quoted(const char *err, size_t errlen, const struct fuzz_argv *v,
    const uint8_t *data, size_t size)
{
	const char	*open, *close, *a;
	size_t		 len, n;
	int		 i;

	if (memchr(data, '\'', size) != NULL || strlen(err) + 1 >= errlen)
		return;
	if ((open = strchr(err, '\'')) == NULL)
		return;
	open++;
	close = strchr(open, '\'');
	FUZZ_CHECK(close != NULL);
	len = (size_t)(close - open);

	if (memmem(data, size, open, len) != NULL)
		return;
	if (len > 3 && strncmp(close - 3, "...", 3) == 0 &&
	    memmem(data, size, open, len - 3) != NULL)
		return;
	for (i = 1; i < v->argc; i++) {
		a = v->own[i];
		/* "-x" from "-Ux". */
		if (len == 2 && open[0] == '-' && a[0] == '-' && a[1] != '-' &&
		    strchr(a + 1, open[1]) != NULL)
			return;
		/* "--listen" from "--lis" or "--lis=x". */
		if (len > 2 && strncmp(open, "--", 2) == 0 &&
		    strncmp(a, "--", 2) == 0) {
			n = strcspn(a + 2, "=");
			if (n > 0 && n <= len - 2 &&
			    strncmp(open + 2, a + 2, n) == 0)
				return;
		}
	}
	fuzz_fail(__FILE__, __LINE__, "the error quotes what was not typed");
}

/*
 * Every field as its flag allows, and every listen address one that
 * formats back to itself.  HELP and VERSION parse every flag too, but
 * add no default address.
 */
static void
fuzz_config_sane(const struct config *cfg, enum config_action action)
{
	struct addr_spec	 again;
	char			 text[ADDR_STRLEN + ADDR_HOST_MAX];
	char			 err[FUZZ_ERRLEN];
	size_t			 i;

	if (action == CONFIG_RUN)
		FUZZ_CHECK(cfg->nlisten >= 1);
	FUZZ_CHECK((cfg->listen == NULL) == (cfg->nlisten == 0));
	FUZZ_CHECK(cfg->backlog >= 1 && cfg->backlog <= CONFIG_BACKLOG_MAX);
	FUZZ_CHECK(cfg->backend == NULL || strcmp(cfg->backend, "epoll") == 0 ||
	    strcmp(cfg->backend, "poll") == 0 ||
	    strcmp(cfg->backend, "select") == 0);
	FUZZ_CHECK(cfg->uppercase == 0 || cfg->uppercase == 1);
	FUZZ_CHECK(cfg->idle_timeout_ms <= CONFIG_SECONDS_MAX * 1000U);
	FUZZ_CHECK(cfg->max_conns <= CONFIG_MAX_CONNS_MAX);
	FUZZ_CHECK(cfg->max_queue >= 1 &&
	    cfg->max_queue <= CONFIG_MAX_QUEUE_MAX);
	FUZZ_CHECK(cfg->threads >= 1 && cfg->threads <= CONFIG_THREADS_MAX);
	FUZZ_CHECK(cfg->max_conns_per_host <= CONFIG_MAX_CONNS_MAX);
	/* 0 is the default; else within range, and enough for the threads. */
	FUZZ_CHECK(cfg->max_memory == 0 ||
	    (cfg->max_memory <= CONFIG_MAX_MEMORY_MAX &&
	    cfg->max_memory >= budget_min_limit(cfg->threads)));
	FUZZ_CHECK(cfg->drain_timeout_ms <= CONFIG_SECONDS_MAX * 1000U);
	FUZZ_CHECK(cfg->stats_interval_ms <= CONFIG_SECONDS_MAX * 1000U);
	FUZZ_CHECK(cfg->verbosity >= LOGLV_ERROR &&
	    cfg->verbosity <= LOGLV_DEBUG);
	/* One sink, a known format and facility, a path that is a string. */
	FUZZ_CHECK(cfg->log_format == LOG_FORMAT_TEXT ||
	    cfg->log_format == LOG_FORMAT_JSON);
	FUZZ_CHECK(!(cfg->syslog && cfg->log_file != NULL));
	FUZZ_CHECK(cfg->log_file == NULL || *cfg->log_file != '\0');
	FUZZ_CHECK(strcmp(value_facility_name(cfg->syslog_facility), "?") !=
	    0);
	/* A metrics address is a string, or untouched when off. */
	FUZZ_CHECK(memchr(cfg->metrics.host, '\0', sizeof cfg->metrics.host) !=
	    NULL);
	FUZZ_CHECK(cfg->metrics_on || (cfg->metrics.host[0] == '\0' &&
	    cfg->metrics.port == 0));
	/* --user USER[:GROUP], both named; a chroot absolute, with --user. */
	FUZZ_CHECK(cfg->priv.user == NULL || (*cfg->priv.user != '\0' &&
	    strchr(cfg->priv.user, ':') == NULL));
	FUZZ_CHECK(cfg->priv.group == NULL || (cfg->priv.user != NULL &&
	    *cfg->priv.group != '\0' && strchr(cfg->priv.group, ':') == NULL));
	FUZZ_CHECK(cfg->priv.chroot_dir == NULL || (cfg->priv.user != NULL &&
	    *cfg->priv.chroot_dir == '/'));
	FUZZ_CHECK(!cfg->priv.resolved && cfg->priv.groups == NULL);
	FUZZ_CHECK(cfg->daemon == 0 || cfg->daemon == 1);
	/* --daemon changes directory to /: its paths are absolute. */
	FUZZ_CHECK(cfg->pidfile == NULL || *cfg->pidfile != '\0');
	FUZZ_CHECK(!cfg->daemon || cfg->pidfile == NULL ||
	    *cfg->pidfile == '/');
	FUZZ_CHECK(!cfg->daemon || cfg->log_file == NULL ||
	    *cfg->log_file == '/');
	/* TLS files come with a ,tls listener, both of them, never apart
	   (HELP and VERSION skip that rule); absolute with --daemon. */
	FUZZ_CHECK(cfg->tls_cert == NULL || *cfg->tls_cert != '\0');
	FUZZ_CHECK(cfg->tls_key == NULL || *cfg->tls_key != '\0');
	if (action == CONFIG_RUN) {
		int tls = 0;

		for (i = 0; i < cfg->nlisten; i++)
			tls |= (cfg->listen[i].options & ADDR_OPT_TLS) != 0;
#ifndef HAVE_OPENSSL
		FUZZ_CHECK(!tls);
#endif
		FUZZ_CHECK(tls ? cfg->tls_cert != NULL && cfg->tls_key != NULL :
		    cfg->tls_cert == NULL && cfg->tls_key == NULL);
		FUZZ_CHECK(!cfg->daemon || !tls || (*cfg->tls_cert == '/' &&
		    *cfg->tls_key == '/'));
	}

	for (i = 0; i < cfg->nlisten; i++) {
		const struct addr_spec *spec = &cfg->listen[i];

		FUZZ_CHECK(memchr(spec->host, '\0', sizeof spec->host) != NULL);
		addr_spec_format(spec, text, sizeof text);
		FUZZ_CHECK(strlen(text) + 1 < sizeof text);
		FUZZ_CHECK(addr_parse(text, CONFIG_DEFAULT_PORT, &again, err,
		    sizeof err) == 0);
		FUZZ_CHECK(strcmp(again.host, spec->host) == 0);
		FUZZ_CHECK(again.port == spec->port);
	}
}

/* Two parses of the same arguments agree on every field. */
static void
fuzz_config_same(const struct config *a, const struct config *b)
{
	size_t	 i;

	FUZZ_CHECK(a->nlisten == b->nlisten);
	for (i = 0; i < a->nlisten; i++) {
		FUZZ_CHECK(strcmp(a->listen[i].host, b->listen[i].host) == 0);
		FUZZ_CHECK(a->listen[i].port == b->listen[i].port);
	}
	FUZZ_CHECK(a->backlog == b->backlog);
	FUZZ_CHECK(a->backend == b->backend);
	FUZZ_CHECK(a->uppercase == b->uppercase);
	FUZZ_CHECK(a->idle_timeout_ms == b->idle_timeout_ms);
	FUZZ_CHECK(a->max_conns == b->max_conns);
	FUZZ_CHECK(a->max_queue == b->max_queue);
	FUZZ_CHECK(a->threads == b->threads);
	FUZZ_CHECK(a->max_conns_per_host == b->max_conns_per_host);
	FUZZ_CHECK(a->max_memory == b->max_memory);
	FUZZ_CHECK(a->drain_timeout_ms == b->drain_timeout_ms);
	FUZZ_CHECK(a->verbosity == b->verbosity);
	FUZZ_CHECK((a->priv.user == NULL) == (b->priv.user == NULL));
	FUZZ_CHECK(a->priv.user == NULL ||
	    strcmp(a->priv.user, b->priv.user) == 0);
	FUZZ_CHECK((a->priv.group == NULL) == (b->priv.group == NULL));
	FUZZ_CHECK(a->daemon == b->daemon);
	FUZZ_CHECK((a->pidfile == NULL) == (b->pidfile == NULL));
}

/*
 * Leave getopt_long stopped inside a cluster ("-vxU" fails at x), behind
 * a non-option it has skipped, with its strings freed: a parse that did
 * not start afresh would read them (AddressSanitizer) or go wrong.
 */
static void
fuzz_config_stale_getopt(void)
{
	static const uint8_t	 args[] = "stray\0-vxU";
	struct fuzz_argv	 v;
	struct config		 cfg;
	char			 err[FUZZ_ERRLEN];

	fuzz_config_argv(&v, args, sizeof args - 1);
	FUZZ_CHECK(config_parse(&cfg, v.argc, v.argv, err, sizeof err) ==
	    CONFIG_ERROR);
	FUZZ_CHECK(strcmp(err, "unknown option '-x'") == 0);
	fuzz_config_argv_free(&v);
}

/*
 * config_rules.c: the rules between flags, checked once all are read
 * (config_parse()): which go together, which exclude each other, and
 * which paths must be absolute.  Each broken rule is one sentence.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "config.h"
#include "value.h"

static int	config_check_service(const struct config *, char *, size_t);
static int	config_check_unix(const struct config *, char *, size_t);
static int	config_check_tls(const struct config *, char *, size_t);

/*
 * Whether cfg, as read, keeps the rules; run says evecho is to serve
 * (not print --help or --version), which the TLS rules need to know.
 * 0, or -1 with the sentence in err.
 */
int
config_check(const struct config *cfg, int run, char *err, size_t errlen)
{
	if (cfg->syslog && cfg->log_file != NULL) {
		snprintf(err, errlen, "--log-file and --syslog cannot be used "
		    "together: choose where the log goes");
		return (-1);
	}
	if (config_check_service(cfg, err, errlen) == -1 ||
	    config_check_unix(cfg, err, errlen) == -1 ||
	    (run && config_check_tls(cfg, err, errlen) == -1))
		return (-1);
	if (cfg->max_memory > 0 &&
	    cfg->max_memory < budget_min_limit(cfg->threads)) {
		char min[32], given[32];

		snprintf(err, errlen, "--max-memory %s is too small for %u "
		    "threads: give at least %s, or fewer --threads",
		    value_format_size(cfg->max_memory, given, sizeof given),
		    cfg->threads, value_format_size(budget_min_limit(
		    cfg->threads), min, sizeof min));
		return (-1);
	}
	return (0);
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

/*
 * cli.c: what evecho and evecho-bench share on the command line: the
 * wording of getopt_long's complaints, so both programs say the same, and
 * errors printed as one line whatever bytes the user typed.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The long name of option val in longopts, for messages ("--listen"). */
const char *
cli_long_name(const struct option *longopts, int val)
{
	const struct option *o;

	for (o = longopts; o->name != NULL; o++) {
		if (o->val == val)
			return (o->name);
	}
	return (NULL);
}

/*
 * Word getopt_long's '?' and ':' returns.  optopt is the short option (or a
 * long option's val) when known, 0 for an unknown long option; argv[optind
 * - 1] is what the user typed for a long option.
 */
void
cli_bad_option(const struct option *longopts, int ch, char **argv,
    char *err, size_t errlen)
{
	const char	*typed = argv[optind - 1];
	const char	*name = cli_long_name(longopts, optopt);
	size_t		 namelen = strcspn(typed, "=");

	/*
	 * Inside a cluster such as "-Ux", optind has not moved on, so typed
	 * may be an earlier long option: it is ours only if optopt is 0 (an
	 * unknown long option) or is that long option's own value.
	 */
	if (strncmp(typed, "--", 2) == 0 && (optopt == 0 || (name != NULL &&
	    namelen > 2 && strncmp(name, typed + 2, namelen - 2) == 0))) {
		const struct option	*o;
		char			 list[256] = "";
		int			 matches = 0;

		namelen -= 2;
		if (ch == ':' && name != NULL) {
			snprintf(err, errlen, "option '--%s' needs a value",
			    name);
			return;
		}
		if (optopt != 0 && name != NULL) {
			snprintf(err, errlen, "option '--%s' takes no value",
			    name);
			return;
		}
		for (o = longopts; o->name != NULL; o++) {
			if (namelen == 0 ||
			    strncmp(o->name, typed + 2, namelen) != 0)
				continue;
			snprintf(list + strlen(list), sizeof list -
			    strlen(list), "%s--%s", matches > 0 ? ", " : "",
			    o->name);
			matches++;
		}
		if (matches > 1) {
			snprintf(err, errlen, "option '--%.*s' is ambiguous: "
			    "it could be %s", (int)namelen, typed + 2, list);
			return;
		}
		snprintf(err, errlen, "unknown option '--%.*s'", (int)namelen,
		    typed + 2);
		return;
	}
	if (ch == ':')
		snprintf(err, errlen, "option '-%c' needs a value", optopt);
	else if (isprint(optopt))
		snprintf(err, errlen, "unknown option '-%c'", optopt);
	else
		snprintf(err, errlen, "unknown option character 0x%02x",
		    (unsigned)optopt & 0xff);
}

/*
 * msg with its control characters written as C escapes (\n, \t, \x1b),
 * so that what a user typed, quoted back in an error, can neither break
 * the one line an error is nor send the terminal an escape sequence.
 * Cut short, not overrun, if out is too small.
 */
const char *
cli_escape(const char *msg, char *out, size_t outlen)
{
	const unsigned char	*p;
	char			 esc[8];
	size_t			 len = 0, n;

	if (outlen == 0)
		return (out);
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (*p == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else if (*p == '\r')
			snprintf(esc, sizeof esc, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", *p);
		else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		n = strlen(esc);
		if (len + n >= outlen)
			break;
		memcpy(out + len, esc, n);
		len += n;
	}
	out[len] = '\0';
	return (out);
}

/* "prog: msg" on stderr, one line; with hint, where to read more. */
void
cli_error(const char *prog, const char *msg, int hint)
{
	char	 line[2048];

	fprintf(stderr, "%s: %s\n", prog, cli_escape(msg, line, sizeof line));
	if (hint)
		fprintf(stderr, "Try '%s --help' for more information.\n", prog);
}

/*
 * cli.c: what evecho and evecho-bench share on the command line: the
 * wording of getopt_long's complaints, so both programs say the same.
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

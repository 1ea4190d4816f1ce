/*
 * cli.h: command-line helpers shared by evecho and evecho-bench: the
 * wording of getopt_long's complaints, and printing an error as one line.
 */
#ifndef EVECHO_CLI_H
#define EVECHO_CLI_H

#include <getopt.h>
#include <stddef.h>

const char *
	cli_long_name(const struct option *, int);
void	cli_bad_option(const struct option *, int, char **, char *, size_t);
const char *
	cli_escape(const char *, char *, size_t);
void	cli_error(const char *, const char *, int);

#endif /* EVECHO_CLI_H */

/*
 * cli.h: command-line helpers shared by evecho and evecho-bench.
 */
#ifndef EVECHO_CLI_H
#define EVECHO_CLI_H

#include <getopt.h>
#include <stddef.h>

const char *
	cli_long_name(const struct option *, int);
void	cli_bad_option(const struct option *, int, char **, char *, size_t);

#endif /* EVECHO_CLI_H */

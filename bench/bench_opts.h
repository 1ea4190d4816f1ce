/*
 * bench_opts.h: evecho-bench's command line, parsed and checked into a
 * struct bench_opts.  The parser never prints and never exits: it returns
 * what to do and, on error, one sentence for the user.
 */
#ifndef EVECHO_BENCH_OPTS_H
#define EVECHO_BENCH_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_target.h"

#define OPTS_DEFAULT_CONNS	50
#define OPTS_DEFAULT_SIZE	64
#define OPTS_DEFAULT_DEPTH	1
#define OPTS_DEFAULT_DURATION_MS (10 * 1000)
#define OPTS_DEFAULT_WARMUP_MS	(1 * 1000)
#define OPTS_DEFAULT_THREADS	1
#define OPTS_DEFAULT_SEED	1

#define OPTS_CONNS_MAX		1000000
#define OPTS_SIZE_MAX		(16UL * 1024 * 1024)
#define OPTS_DEPTH_MAX		1024
#define OPTS_THREADS_MAX	256
#define OPTS_SECONDS_MAX	86400
#define OPTS_UDP_SIZE_MIN	8	/* room for the sequence number */
#define OPTS_UDP_SIZE_MAX	65507	/* the largest UDP payload, IPv4 */
#define OPTS_UDP_LOSS_MS	500	/* no echo by then: the datagram is lost */

enum bench_mode {
	MODE_PINGPONG,		/* DEPTH messages in flight per connection */
	MODE_STREAM,		/* send and read continuously */
	MODE_CHURN		/* connect, echo one message, close; repeat */
};

struct bench_opts {
	enum bench_mode	 mode;
	unsigned long	 conns;		/* -c: connections, or churn loops */
	unsigned long	 size;		/* -s: message size in bytes */
	unsigned long	 depth;		/* -d: pingpong messages in flight */
	unsigned	 duration_ms;	/* --duration: the measured time */
	unsigned	 warmup_ms;	/* --warmup: before measuring */
	unsigned long	 threads;	/* --threads */
	unsigned long	 idle;		/* --idle: extra idle connections */
	uint64_t	 seed;		/* --seed: of the byte streams */
	int		 json;		/* --json instead of the table */
	int		 tls;		/* --tls: speak TLS to the server */
	int		 tls_verify;	/* check its certificate; not with
					   --tls-no-verify */
	long		 server_pid;	/* --server-pid: its CPU; 0: none */
	int		 proxy;		/* --proxy: header version; 0: none */
	int		 udp;		/* --udp: datagrams, one socket per
					   connection */
	struct target	 target;	/* [HOST:]PORT, parsed, unresolved */
};

enum opts_action {
	OPTS_RUN,		/* run the benchmark */
	OPTS_HELP,		/* print help, exit 0 */
	OPTS_VERSION,		/* print version, exit 0 */
	OPTS_ERROR		/* usage error: report, exit EX_USAGE */
};

enum opts_action
	opts_parse(struct bench_opts *, int, char **, char *, size_t);
void	opts_usage(FILE *);
const char *
	opts_mode_name(enum bench_mode);

#endif /* EVECHO_BENCH_OPTS_H */

/*
 * bench_load.h: one thread's share of the load: its own event_base, its
 * connections, its timeline and its tally.  Nothing in a load is touched
 * by another thread while it runs, except the progress counters, which
 * it publishes with relaxed atomic stores a few times a second.
 */
#ifndef EVECHO_BENCH_LOAD_H
#define EVECHO_BENCH_LOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_opts.h"
#include "bench_proc.h"
#include "bench_tally.h"

#define LOAD_CONNECT_TIMEOUT_MS	5000	/* any connect, in any mode */
#define LOAD_GRACE_MS		2000	/* after the run, for echo in flight */
#define LOAD_BUF_SIZE		(128 * 1024)	/* one read or write */
#define LOAD_WRITE_BUDGET	(256 * 1024)	/* bytes per write event */
#define LOAD_CHURN_BACKOFF_MS	1	/* churn: pause after a failure */
#define LOAD_PUBLISH_MS		250	/* progress counters, when shown */

/* Which of its two loops a load is in, so each knows when to end. */
enum load_loop {
	LOOP_NONE,
	LOOP_CONNECT,		/* ends when every connect has ended */
	LOOP_RUN		/* ends when every load client is done */
};

struct client;
struct ssl_ctx_st;
struct event;
struct event_base;

struct load {
	struct event_base	*base;
	const struct bench_opts	*opts;
	const struct target	*target;
	struct client		*clients;	/* load ones, then idle ones */
	size_t			 nclients;
	size_t			 nload;		/* clients[0..nload) do load */
	unsigned char		*buf;		/* LOAD_BUF_SIZE of scratch */
	struct ssl_ctx_st	*tls;		/* --tls: this thread's context */

	uint64_t		 t_measure;	/* window start, monotonic ns */
	uint64_t		 t_end;		/* window end */
	int			 draining;	/* past t_end: no new work */
	enum load_loop		 loop;		/* which loop is running */
	size_t			 connecting;	/* start-up connects left */
	size_t			 active;	/* load clients still working */

	struct event		*ev_measure;	/* at t_measure */
	struct event		*ev_end;	/* at t_end */
	struct event		*ev_stop;	/* t_end + LOAD_GRACE_MS */
	struct event		*ev_publish;	/* progress, or NULL */
	struct event		*ev_interrupt;	/* the run's stop pipe */
	struct event		*ev_loss;	/* --udp: the loss check */

	struct tally		 tally;
	uint64_t		 cpu_at_measure;	/* thread CPU ns */
	uint64_t		 cpu_at_end;	/* 0 until t_end */
	int			 samples_server;	/* --server-pid, thread 0 */
	int			 server_sampled;	/* server_at_measure is set */
	struct proc_cpu		 server_at_measure;
	uint64_t		 live_messages;	/* whole run, for progress */
	uint64_t		 live_bytes;
	_Atomic uint64_t	 pub_messages;	/* published copies of the */
	_Atomic uint64_t	 pub_bytes;	/* above, and of the errors */
	_Atomic uint64_t	 pub_errors;
	char			 fatal[256];	/* why the loop itself failed */
};

int	load_new(struct load **, const struct bench_opts *,
	    const struct target *, unsigned, int, int, char *, size_t);
int	load_connect(struct load *);
int	load_run(struct load *, uint64_t);
void	load_free(struct load *);

void	load_client_connected(struct load *);
void	load_client_finished(struct load *);

#endif /* EVECHO_BENCH_LOAD_H */

/*
 * worker.h: one event loop and the connections it owns.
 *
 * Everything a connection touches on the echo path lives in its worker or
 * in the connection itself.  Workers share only what struct worker_group
 * holds, read-only or atomic, and take commands through their mailbox.
 * With one worker, it runs on the acceptor's event loop in the main
 * thread; with several, each runs its own event loop in its own thread.
 */
#ifndef EVECHO_WORKER_H
#define EVECHO_WORKER_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <event2/event_struct.h>
#include <event2/util.h>

#include "budget.h"
#include "idle.h"
#include "log.h"
#include "stats.h"
#include "acceptor.h"
#include "mailbox.h"

struct config;
struct conn;
struct event_base;
struct tls_store;
struct udp_worker;

TAILQ_HEAD(conn_list, conn);

/* Commands a worker takes through its mailbox. */
#define WORKER_ADOPT		0x1	/* sockets wait in the hand-off queue */
#define WORKER_DRAIN		0x2	/* finish every echo, then stop */
#define WORKER_CLOSE_ALL	0x4	/* close every connection now, stop */
#define WORKER_ROOM		0x8	/* the memory budget has room again */
#define WORKER_ABORT		0x10	/* another loop failed: close all, stop */

/* What the acceptor and all workers share. */
struct worker_group {
	const struct config	*cfg;
	unsigned		 max_conns;
	atomic_uint		 nconns;	/* open, in every worker */
	atomic_uint		 running;	/* workers not yet done */
	atomic_uint		 cut_conns;	/* closed by CLOSE_ALL */
	atomic_ullong		 cut_bytes;	/* their echo not sent */
	struct budget		 budget;	/* --max-memory */
	struct tls_store	*tls;		/* ",tls" listeners; or NULL */
	void			(*slot_freed)(void *);	/* at the limit */
	void			(*worker_done)(void *);
	void			(*worker_failed)(void *);
	void			*arg;		/* for the three callbacks */
};

struct worker {
	unsigned		 id;
	struct worker_group	*group;
	struct event_base	*base;		/* the loop every conn runs on */
	int			 own_base;	/* base and thread are ours */
	pthread_t		 thread;
	int			 started;	/* thread is running */
	const struct config	*cfg;
	size_t			 queue_high;	/* pause reading at this */
	size_t			 queue_low;	/* resume reading at this */
	size_t			 read_cost;	/* budget of a full read */
	struct idle_clock	 idle;		/* -t, off the echo path */
	struct stats		 stats;		/* written by its thread only */
	struct log_flood	 setup_errors;	/* its thread's, summarised */
	struct log_flood	 handoff_errors;	/* the acceptor's */
	struct log_flood	 handshake_errors;	/* bad PROXY headers */
	struct budget_account	 account;	/* our share of --max-memory */
	struct event		 room_ev;	/* the budget has room again */
	int			 room_ready;	/* room_ev was assigned */
	struct conn_list	 waiting;	/* readers waiting for room */
	unsigned char		 scratch[65536];	/* a read, until written */
	struct conn_list	 conns;		/* every open connection */
	unsigned		 nconns;	/* length of conns */
	struct udp_worker	*udp;		/* its udp: sockets, or NULL */
	int			 draining;	/* shutting down: no new input */
	int			 done;		/* drained; loop told to stop */
	int			 failed;	/* its event loop failed */
	int			 loop_errno;	/* and why */
	int			 failure_logged;	/* by the main thread */
	struct mailbox		 mailbox;	/* commands from other threads */
	pthread_mutex_t		 lock;		/* guards the hand-off queue */
	struct handoff		*queue;		/* accepted, not yet adopted */
	size_t			 queued, queue_cap;
};

int	worker_init(struct worker *, unsigned, struct worker_group *,
	    struct event_base *, int);
int	worker_start(struct worker *);
void	worker_hand_off(struct worker *, const struct handoff *);
void	worker_post(struct worker *, unsigned);
void	worker_release_slot(struct worker *);
void	worker_conn_closed(struct worker *);
void	worker_room_later(struct worker *);
void	worker_join(struct worker *);
void	worker_free(struct worker *);

#endif /* EVECHO_WORKER_H */

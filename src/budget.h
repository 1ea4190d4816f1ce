/*
 * budget.h: one memory budget, --max-memory, for everything libevent
 * holds on the workers' threads: above all the echo queued for clients
 * that read slower than they send, and the buffers and events around it.
 *
 * libevent allocates through evecho's hooks (budget_install()), which
 * charge each block to the account of the thread that allocates it.  A
 * worker's account draws credit from the shared budget in chunks, so the
 * shared counter is touched once per chunk, not per allocation.  Before a
 * connection reads, it asks its account how much it may read
 * (budget_room()): enough room for the worst that read could allocate,
 * so the memory held does not pass the credit drawn, nor the credit the
 * budget.  (Only what no read asks for, such as libevent's event map
 * growing with a new connection, can run ahead; the next read covers it
 * first.)  A read that cannot be afforded waits; reading, never memory,
 * is what gives.
 *
 * Fairness: above three quarters of the budget, only a connection with
 * nothing queued may read, and only BUDGET_TIGHT_READ bytes at a time.
 * A client that keeps up with its echo has nothing queued, so it goes on
 * being served from the last quarter while greedy ones hold the rest;
 * each greedy one, once it has echo queued, waits for its own queue to
 * drain, and can take no more than one small read of the last quarter.
 */
#ifndef EVECHO_BUDGET_H
#define EVECHO_BUDGET_H

#include <stdatomic.h>
#include <stddef.h>

#define BUDGET_CHUNK		(128 * 1024)	/* credit drawn at a time */
#define BUDGET_TIGHT_READ	4096		/* reads in the last quarter */
#define BUDGET_READ_MIN		512		/* the smallest read allowed */
#define BUDGET_PER_THREAD_MIN	(512 * 1024)	/* least --max-memory per thread */

struct budget_account;

struct budget {
	size_t			 limit;		/* --max-memory */
	size_t			 greedy_limit;	/* above it, only empty queues
						   read, and little */
	atomic_size_t		 granted;	/* credit the accounts hold */
	atomic_uint		 hungry;	/* accounts waiting for credit */
	struct budget_account	**accounts;
	unsigned		 naccounts;
};

/*
 * One worker's share.  Only its own thread changes credit and promised;
 * used is atomic because a block may be freed on another thread at exit.
 */
struct budget_account {
	struct budget		*budget;
	size_t			 credit;	/* drawn from the budget */
	size_t			 promised;	/* room held for resumed readers */
	atomic_size_t		 used;		/* what our blocks hold */
	atomic_int		 hungry;	/* waiting for the budget */
	int			 waiting;	/* readers wait for room here */
	void			(*room)(void *);	/* on our thread */
	void			(*wake)(void *);	/* from any thread */
	void			*arg;		/* for both */
};

void	budget_install(void);
int	budget_init(struct budget *, size_t, unsigned);
void	budget_free(struct budget *);
void	budget_account_init(struct budget_account *, struct budget *,
	    void (*)(void *), void (*)(void *), void *);
void	budget_account_enter(struct budget_account *);
void	budget_account_leave(struct budget_account *);
size_t	budget_room_slow(struct budget_account *, size_t, size_t);
void	budget_give_back(struct budget_account *);
size_t	budget_read_cost(size_t);
size_t	budget_default_limit(char *, size_t);
size_t	budget_min_limit(unsigned);
size_t	budget_used(struct budget *);

/*
 * How many bytes a connection with queued bytes in its queue may read
 * now, up to want, whose worst cost is want_cost (budget_read_cost()):
 * want itself while the account has room to spare, which is the echo
 * path's case; or less; or 0, and the account's room callback runs when
 * there may be more.
 */
static inline size_t
budget_room(struct budget_account *a, size_t queued, size_t want,
    size_t want_cost)
{
	size_t	 held = atomic_load_explicit(&a->used,
		    memory_order_relaxed) + a->promised;

	if (queued == 0 && a->credit >= held && a->credit - held >= want_cost &&
	    atomic_load_explicit(&a->budget->granted, memory_order_relaxed) <
	    a->budget->greedy_limit)
		return (want);
	return (budget_room_slow(a, queued, want));
}

#endif /* EVECHO_BUDGET_H */

/*
 * budget.c: the memory budget and libevent's allocation hooks.
 *
 * libevent's own allocator hooks are the only place that sees every block
 * its buffers allocate and free, chain slack included, which a count of
 * queued bytes would miss (a chain is allocated to a power of two, and a
 * half-drained one keeps its size).  Each block carries a small header
 * naming the account it was charged to, so that it is given back to the
 * same account wherever it is freed.  Which account a thread charges to
 * is thread-local state: the hooks take no argument to pass it in.
 */
#include "autoconfig.h"

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "budget.h"

/*
 * The worst a read of n bytes allocates: one chain for it, rounded up to
 * a power of two by libevent with its header and ours, plus a new
 * bufferevent with its two buffers when the connection has none yet.
 */
#define BUDGET_CHAIN_OVERHEAD	128
#define BUDGET_BEV_COST		2048

/* In front of every block libevent allocates; keeps 16-byte alignment. */
struct budget_header {
	struct budget_account	*account;	/* charged to; NULL: none */
	size_t			 size;		/* as asked for */
};

static __thread struct budget_account *budget_current;

static void	*budget_malloc(size_t);
static void	*budget_realloc(void *, size_t);
static void	 budget_freefn(void *);
static void	 budget_charge(struct budget_account *, size_t);
static void	 budget_uncharge(struct budget_account *, size_t);
static int	 budget_draw(struct budget_account *, size_t);
static void	 budget_wake_hungry(struct budget *);
static void	 budget_wake_others(struct budget *, struct budget_account *);
static int	 budget_cgroup_limit(uint64_t *);

/* Route libevent's allocations through the budget; call before any other
 * libevent function. */
void
budget_install(void)
{
	event_set_mem_functions(budget_malloc, budget_realloc, budget_freefn);
}

/* A budget of limit bytes, shared by naccounts accounts. */
int
budget_init(struct budget *b, size_t limit, unsigned naccounts)
{
	memset(b, 0, sizeof *b);
	b->limit = limit;
	b->greedy_limit = limit / 4 * 3;
	atomic_init(&b->granted, 0);
	atomic_init(&b->hungry, 0);
	if ((b->accounts = calloc(naccounts, sizeof *b->accounts)) == NULL)
		return (-1);
	return (0);
}

void
budget_free(struct budget *b)
{
	free(b->accounts);
	b->accounts = NULL;
	b->naccounts = 0;
}

/*
 * Open an account on b.  room(arg) runs on the account's own thread when
 * a reader waiting on it (a->waiting) may now have room; wake(arg) runs
 * on any thread when the budget, which could not give it credit, has
 * some again, or when another account is hungry: it should get the
 * account's thread to call budget_give_back(), then room().
 */
void
budget_account_init(struct budget_account *a, struct budget *b,
    void (*room)(void *), void (*wake)(void *), void *arg)
{
	memset(a, 0, sizeof *a);
	a->budget = b;
	atomic_init(&a->used, 0);
	atomic_init(&a->hungry, 0);
	a->room = room;
	a->wake = wake;
	a->arg = arg;
	b->accounts[b->naccounts++] = a;
}

/* From now on, libevent's allocations on this thread are charged to a. */
void
budget_account_enter(struct budget_account *a)
{
	budget_current = a;
}

/* Stop charging this thread's allocations; give back a's spare credit. */
void
budget_account_leave(struct budget_account *a)
{
	size_t	 used = atomic_load(&a->used);

	if (budget_current == a)
		budget_current = NULL;
	a->waiting = 0;
	if (atomic_exchange(&a->hungry, 0))
		atomic_fetch_sub(&a->budget->hungry, 1);
	if (a->credit > used) {
		atomic_fetch_sub(&a->budget->granted, a->credit - used);
		a->credit = used;
	}
}

/* The most a read of n bytes may allocate. */
size_t
budget_read_cost(size_t n)
{
	size_t	 chain = 512;

	while (chain < n + BUDGET_CHAIN_OVERHEAD)
		chain <<= 1;
	return (chain + BUDGET_BEV_COST);
}

/*
 * budget_room() when the account is short, or the queue is not small:
 * draw credit if the budget has it, and fit the read into what there is.
 * 0 marks the account as waiting, so that room() runs when that changes.
 */
size_t
budget_room_slow(struct budget_account *a, size_t queued, size_t want)
{
	struct budget	*b = a->budget;
	size_t		 held, room;

	if (atomic_load(&b->granted) >= b->greedy_limit) {
		if (queued > 0)
			goto wait;	/* until its own queue drains */
		if (want > BUDGET_TIGHT_READ)
			want = BUDGET_TIGHT_READ;
	}
	/*
	 * Allocations no read asked for (an event map growing, say) can
	 * leave the account holding more than its credit: cover that too.
	 */
	held = atomic_load_explicit(&a->used, memory_order_relaxed) +
	    a->promised;
	if (a->credit < held + budget_read_cost(want) &&
	    budget_draw(a, held + budget_read_cost(want) - a->credit) == -1 &&
	    a->credit < held + budget_read_cost(BUDGET_READ_MIN))
		(void)budget_draw(a, held + budget_read_cost(BUDGET_READ_MIN) -
		    a->credit);
	room = a->credit > held ? a->credit - held : 0;
	while (want > BUDGET_READ_MIN && budget_read_cost(want) > room)
		want /= 2;
	if (budget_read_cost(want) <= room)
		return (want);
wait:
	a->waiting = 1;
	return (0);
}

/*
 * Draw at least need bytes of credit from the budget, a chunk at least
 * when there is that much: 0, or -1 with the account marked hungry, to
 * be woken when credit comes back.
 */
static int
budget_draw(struct budget_account *a, size_t need)
{
	struct budget	*b = a->budget;
	size_t		 granted, take;
	int		 retried = 0;

	for (;;) {
		granted = atomic_load(&b->granted);
		while (granted < b->limit && b->limit - granted >= need) {
			take = need > BUDGET_CHUNK ? need : BUDGET_CHUNK;
			if (take > b->limit - granted)
				take = b->limit - granted;
			if (atomic_compare_exchange_weak(&b->granted, &granted,
			    granted + take)) {
				a->credit += take;
				if (atomic_exchange(&a->hungry, 0))
					atomic_fetch_sub(&b->hungry, 1);
				return (0);
			}
		}
		if (retried)
			return (-1);
		/*
		 * Say we are hungry, then look once more: whoever gives
		 * credit back after this sees the flag and wakes us.  The
		 * first time, ask the other accounts to give back what they
		 * hold spare, which they do only on their own threads.
		 */
		if (!atomic_exchange(&a->hungry, 1)) {
			atomic_fetch_add(&b->hungry, 1);
			budget_wake_others(b, a);
		}
		retried = 1;
	}
}

/*
 * Give back credit held spare, keeping a chunk (so that the next reads
 * need not draw again) unless some account is hungry; then wake those.
 * On a's own thread.
 */
void
budget_give_back(struct budget_account *a)
{
	size_t	 held = atomic_load_explicit(&a->used, memory_order_relaxed) +
		    a->promised;
	int	 hungry = atomic_load(&a->budget->hungry) > 0;
	size_t	 keep = hungry ? 0 : BUDGET_CHUNK, spare;

	if (a->credit <= held || a->credit - held <= (hungry ? 0 :
	    2 * BUDGET_CHUNK))
		return;
	spare = a->credit - held - keep;
	a->credit -= spare;
	atomic_fetch_sub(&a->budget->granted, spare);
	if (hungry)
		budget_wake_hungry(a->budget);
}

/* Ask every account but a to give back what it holds spare. */
static void
budget_wake_others(struct budget *b, struct budget_account *a)
{
	unsigned	 i;

	for (i = 0; i < b->naccounts; i++) {
		if (b->accounts[i] != a && b->accounts[i]->wake != NULL)
			b->accounts[i]->wake(b->accounts[i]->arg);
	}
}

static void
budget_wake_hungry(struct budget *b)
{
	unsigned	 i;

	for (i = 0; i < b->naccounts; i++) {
		if (atomic_load(&b->accounts[i]->hungry) &&
		    b->accounts[i]->wake != NULL)
			b->accounts[i]->wake(b->accounts[i]->arg);
	}
}

static void
budget_charge(struct budget_account *a, size_t n)
{
	atomic_fetch_add_explicit(&a->used, n, memory_order_relaxed);
}

/*
 * A block of a's came free.  On a's own thread, that is room: for its
 * waiting readers, and, past a chunk to spare, for the other accounts.
 */
static void
budget_uncharge(struct budget_account *a, size_t n)
{
	atomic_fetch_sub_explicit(&a->used, n, memory_order_relaxed);
	if (a != budget_current)
		return;		/* freed elsewhere, at exit */
	if (a->waiting && a->room != NULL)
		a->room(a->arg);
	budget_give_back(a);
}

static void *
budget_malloc(size_t n)
{
	struct budget_header	*h;

	if (n > SIZE_MAX - sizeof *h || (h = malloc(sizeof *h + n)) == NULL)
		return (NULL);
	h->account = budget_current;
	h->size = n;
	if (h->account != NULL)
		budget_charge(h->account, sizeof *h + n);
	return (h + 1);
}

static void *
budget_realloc(void *p, size_t n)
{
	struct budget_header	*h, *grown;
	size_t			 old;

	if (p == NULL)
		return (budget_malloc(n));
	h = (struct budget_header *)p - 1;
	old = h->size;
	if (n > SIZE_MAX - sizeof *h ||
	    (grown = realloc(h, sizeof *h + n)) == NULL)
		return (NULL);
	grown->size = n;
	if (grown->account != NULL) {
		if (n > old)
			budget_charge(grown->account, n - old);
		else if (old > n)
			budget_uncharge(grown->account, old - n);
	}
	return (grown + 1);
}

static void
budget_freefn(void *p)
{
	struct budget_header	*h;
	struct budget_account	*a;
	size_t			 n;

	if (p == NULL)
		return;
	h = (struct budget_header *)p - 1;
	a = h->account;
	n = sizeof *h + h->size;
	free(h);
	if (a != NULL)
		budget_uncharge(a, n);
}

/* The least --max-memory for threads workers. */
size_t
budget_min_limit(unsigned threads)
{
	size_t	 min = (size_t)threads * BUDGET_PER_THREAD_MIN;

	return (min > 1024 * 1024 ? min : 1024 * 1024);
}

/*
 * The default --max-memory: a quarter of the memory evecho may use, the
 * machine's RAM or its cgroup's limit, whichever is less.  A quarter,
 * because the kernel's socket buffers behind the same connections can
 * hold as much again, and the machine has other work.  what says where
 * the figure came from, for the log.
 */
size_t
budget_default_limit(char *what, size_t whatlen)
{
	long		 pages = sysconf(_SC_PHYS_PAGES);
	long		 pagesize = sysconf(_SC_PAGESIZE);
	uint64_t	 total = 0, cg;
	const char	*source = "RAM";

	if (pages > 0 && pagesize > 0)
		total = (uint64_t)pages * (uint64_t)pagesize;
	if (budget_cgroup_limit(&cg) == 0 && (total == 0 || cg < total)) {
		total = cg;
		source = "the cgroup's memory.max";
	}
	if (total == 0) {
		total = (uint64_t)4 * 1024 * 1024 * 1024;
		source = "an assumed 4 GiB";
	}
	if (total / 4 > SIZE_MAX)
		total = (uint64_t)SIZE_MAX * 4;
	snprintf(what, whatlen, "a quarter of %s", source);
	return ((size_t)(total / 4));
}

/* The memory.max of our cgroup (v2), if it sets one: 0, or -1. */
static int
budget_cgroup_limit(uint64_t *limit)
{
	char		 line[512], path[600], value[32];
	FILE		*fp;
	char		*rel = NULL;
	int		 rc = -1;

	if ((fp = fopen("/proc/self/cgroup", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			rel = line + 3;
			break;
		}
	}
	fclose(fp);
	if (rel == NULL || strstr(rel, "..") != NULL)
		return (-1);
	snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max",
	    strcmp(rel, "/") == 0 ? "" : rel);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	if (fgets(value, sizeof value, fp) != NULL && value[0] >= '0' &&
	    value[0] <= '9') {
		*limit = strtoull(value, NULL, 10);
		rc = *limit > 0 ? 0 : -1;
	}
	fclose(fp);
	return (rc);
}

/* What every account holds now: the queued echo and its containers. */
size_t
budget_used(struct budget *b)
{
	size_t		 used = 0;
	unsigned	 i;

	for (i = 0; i < b->naccounts; i++)
		used += atomic_load_explicit(&b->accounts[i]->used,
		    memory_order_relaxed);
	return (used);
}

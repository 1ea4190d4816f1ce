/*
 * check_budget.c: the memory budget's accounting, on libevent's real
 * allocations through the hooks: what a read may take, drawing credit in
 * chunks never past the limit, the last quarter kept for readers with
 * nothing queued, waiting readers told when room comes back, and spare
 * credit handed over to an account in need.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <check.h>

#include "budget.h"
#include "harness.h"

#define KIB	1024
#define MIB	(1024 * 1024)

/* What the callbacks of an account saw. */
struct calls {
	int	 room;
	int	 wake;
};

static void
room_cb(void *arg)
{
	((struct calls *)arg)->room++;
}

static void
wake_cb(void *arg)
{
	((struct calls *)arg)->wake++;
}

/* Memory held by libevent for the current account: n bytes in a buffer. */
static struct evbuffer *
hold(size_t n)
{
	struct evbuffer	*buf;
	char		*junk;

	ck_assert_ptr_nonnull(buf = evbuffer_new());
	ck_assert_ptr_nonnull(junk = calloc(1, n));
	ck_assert_int_eq(evbuffer_add(buf, junk, n), 0);
	free(junk);
	return (buf);
}

/* A buffer whose allocation is exactly kib KiB (a power of two). */
static struct evbuffer *
hold_chain(size_t kib)
{
	return (hold(kib * KIB - 256));
}

/* budget_room() as conn.c calls it, for a full read. */
static size_t
room(struct budget_account *a, size_t queued)
{
	return (budget_room(a, queued, 65280, budget_read_cost(65280)));
}

/* The cost of a read covers its chain, rounded up, and a bufferevent. */
START_TEST(test_read_cost)
{
	ck_assert_uint_eq(budget_read_cost(65280), 65536 + 2048);
	ck_assert_uint_eq(budget_read_cost(4096), 8192 + 2048);
	ck_assert_uint_eq(budget_read_cost(1), 512 + 2048);
	ck_assert_uint_eq(budget_min_limit(1), MIB);
	ck_assert_uint_eq(budget_min_limit(4), 2 * MIB);
}
END_TEST

/*
 * Reads are allowed while the account can draw credit; allocations are
 * charged to it, and credit is drawn in chunks, never past the limit.
 */
START_TEST(test_draws_within_limit)
{
	struct budget		 b;
	struct budget_account	 a;
	struct calls		 c = { 0, 0 };
	struct evbuffer		*bufs[64];
	int			 n = 0;

	ck_assert_int_eq(budget_init(&b, MIB, 1), 0);
	budget_account_init(&a, &b, room_cb, wake_cb, &c);
	budget_account_enter(&a);
	ck_assert_uint_eq(room(&a, 0), 65280);
	ck_assert_uint_ge(a.credit, budget_read_cost(65280));
	ck_assert_uint_eq(atomic_load(&b.granted), a.credit);
	/* Fill it, 64 KiB at a time, as long as reads are allowed. */
	while (n < 64 && room(&a, 0) == 65280)
		bufs[n++] = hold(64 * KIB);
	ck_assert_int_lt(n, 64);
	ck_assert_uint_le(atomic_load(&b.granted), MIB);
	ck_assert_uint_le(atomic_load(&a.used), a.credit);
	/* Past three quarters, reads with nothing queued shrink to 4 KiB. */
	ck_assert_uint_ge(atomic_load(&b.granted), MIB / 4 * 3);
	ck_assert_uint_le(room(&a, 0), 4096);
	while (n > 0)
		evbuffer_free(bufs[--n]);
	ck_assert_uint_eq(atomic_load(&a.used), 0);
	budget_account_leave(&a);
	ck_assert_uint_eq(atomic_load(&b.granted), 0);
	budget_free(&b);
}
END_TEST

/*
 * Above three quarters, a reader with echo queued waits; its account is
 * marked waiting, and the next free on its thread calls room().
 */
START_TEST(test_tight_waits_for_own_queue)
{
	struct budget		 b;
	struct budget_account	 a;
	struct calls		 c = { 0, 0 };
	struct evbuffer		*bufs[32], *small;
	int			 n = 0;

	ck_assert_int_eq(budget_init(&b, MIB, 1), 0);
	budget_account_init(&a, &b, room_cb, wake_cb, &c);
	budget_account_enter(&a);
	while (n < 32 && atomic_load(&b.granted) < MIB / 4 * 3) {
		ck_assert_uint_eq(room(&a, 0), 65280);
		bufs[n++] = hold_chain(64);
	}
	ck_assert_int_lt(n, 32);
	small = hold_chain(8);
	ck_assert_uint_eq(room(&a, 100), 0);	/* something queued: wait */
	ck_assert_int_eq(a.waiting, 1);
	ck_assert_int_eq(c.room, 0);
	evbuffer_free(small);			/* room, on our thread */
	ck_assert_int_ge(c.room, 1);
	ck_assert_uint_eq(room(&a, 0), 4096);	/* nothing queued: 4 KiB */
	while (n > 0)
		evbuffer_free(bufs[--n]);
	budget_account_leave(&a);
	budget_free(&b);
}
END_TEST

/*
 * An account that cannot draw is hungry: the others are asked to give
 * back their spare credit, and when one does, the hungry one is woken
 * and can read again.
 */
START_TEST(test_spare_goes_to_the_hungry)
{
	struct budget		 b;
	struct budget_account	 a1, a2;
	struct calls		 c1 = { 0, 0 }, c2 = { 0, 0 };
	struct evbuffer		*bufs[100], *buf;
	int			 n = 0;

	ck_assert_int_eq(budget_init(&b, 2 * MIB, 2), 0);
	budget_account_init(&a1, &b, room_cb, wake_cb, &c1);
	budget_account_init(&a2, &b, room_cb, wake_cb, &c2);
	/* a1 draws, then frees: it keeps one chunk spare. */
	budget_account_enter(&a1);
	buf = hold_chain(256);
	ck_assert_uint_gt(room(&a1, 0), 0);
	evbuffer_free(buf);
	ck_assert_uint_ge(a1.credit, atomic_load(&a1.used) + BUDGET_CHUNK);
	ck_assert_uint_le(a1.credit, atomic_load(&a1.used) + 2 * BUDGET_CHUNK);
	/* a2 fills the rest, until it cannot draw: then it is hungry. */
	budget_account_enter(&a2);
	while (n < 100 && room(&a2, 0) > 0)
		bufs[n++] = hold_chain(64);
	ck_assert_int_lt(n, 100);
	ck_assert_uint_le(atomic_load(&b.granted), 2 * MIB);
	ck_assert_int_eq(atomic_load(&a2.hungry), 1);
	ck_assert_uint_eq(atomic_load(&b.hungry), 1);
	ck_assert_int_eq(c1.wake, 1);		/* a1 asked for its spare */
	ck_assert_int_eq(c2.wake, 0);
	/* On a1's thread, it gives back all it holds spare. */
	budget_account_enter(&a1);
	budget_give_back(&a1);
	ck_assert_uint_eq(a1.credit, atomic_load(&a1.used));
	ck_assert_int_eq(c2.wake, 1);		/* the hungry one is woken */
	budget_account_enter(&a2);
	ck_assert_uint_gt(room(&a2, 0), 0);
	ck_assert_int_eq(atomic_load(&a2.hungry), 0);
	ck_assert_uint_eq(atomic_load(&b.hungry), 0);
	ck_assert_uint_le(atomic_load(&b.granted), 2 * MIB);
	while (n > 0)
		evbuffer_free(bufs[--n]);
	budget_account_leave(&a2);
	budget_account_leave(&a1);
	ck_assert_uint_eq(atomic_load(&b.granted), 0);
	budget_free(&b);
}
END_TEST

/*
 * Memory taken without asking (an event map growing) leaves the account
 * holding more than its credit; the next read is sized to cover that
 * debt too, not waved through by an unsigned wrap-around.
 */
START_TEST(test_debt_is_covered)
{
	struct budget		 b;
	struct budget_account	 a;
	struct calls		 c = { 0, 0 };
	struct evbuffer		*buf;

	ck_assert_int_eq(budget_init(&b, MIB, 1), 0);
	budget_account_init(&a, &b, room_cb, wake_cb, &c);
	budget_account_enter(&a);
	buf = hold_chain(1024);		/* all of it, unasked */
	ck_assert_uint_gt(atomic_load(&a.used), MIB);
	ck_assert_uint_eq(room(&a, 0), 0);
	ck_assert_uint_le(atomic_load(&b.granted), MIB);
	evbuffer_free(buf);
	ck_assert_uint_gt(room(&a, 0), 0);
	budget_account_leave(&a);
	budget_free(&b);
}
END_TEST

static Suite *
budget_suite(void)
{
	Suite	*s = suite_create("budget");
	TCase	*tc = tcase_create("budget");

	harness_add_test(tc, test_read_cost);
	harness_add_test(tc, test_draws_within_limit);
	harness_add_test(tc, test_tight_waits_for_own_queue);
	harness_add_test(tc, test_spare_goes_to_the_hungry);
	harness_add_test(tc, test_debt_is_covered);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	budget_install();	/* before libevent allocates anything */
	return (harness_run(budget_suite()));
}

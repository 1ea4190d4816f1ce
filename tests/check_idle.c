/*
 * check_idle.c: the idle clock behind -t, on a real event loop with fake
 * connections: the margins it promises, progress seen through samples,
 * and that a sweep asks nothing of connections with nothing in flight.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <check.h>

#include "clock.h"
#include "harness.h"
#include "idle.h"

/* A fake connection: what it says when sampled, and when it expired. */
struct fake {
	struct idle_entry	 idle;	/* first: the entry is the fake */
	uint64_t		 acked;
	uint64_t		 ack_until;	/* acks grow until this time */
	int			 in_flight;
	long			 expired_ms;	/* -1: not yet */
	long			 moved_ms;	/* the last progress sampled */
	unsigned		 samples;
};

struct world {
	struct event_base	*base;
	struct idle_clock	 ic;
	int			 left;	/* fakes not yet expired */
};

static void
fake_sample(struct idle_entry *e, struct idle_sample *s, void *arg)
{
	struct fake	*f = (struct fake *)e;

	(void)arg;
	f->samples++;
	if (clock_precise_ms() < f->ack_until) {
		f->acked++;		/* the client took a byte just now */
		f->moved_ms = now_ms();
	}
	s->acked = f->acked;
	s->in_flight = f->in_flight;
}

static void
fake_expire(struct idle_entry *e, void *arg)
{
	struct world	*w = arg;
	struct fake	*f = (struct fake *)e;

	idle_remove(&w->ic, e);
	f->expired_ms = now_ms();
	if (--w->left == 0)
		event_base_loopbreak(w->base);
}

static void
world_init(struct world *w, unsigned timeout_ms)
{
	memset(w, 0, sizeof *w);
	w->base = event_base_new();
	ck_assert_ptr_nonnull(w->base);
	ck_assert_int_eq(idle_init(&w->ic, w->base, timeout_ms, fake_sample,
	    fake_expire, w), 0);
}

static void
world_add(struct world *w, struct fake *f, int in_flight, long ack_for_ms)
{
	memset(f, 0, sizeof *f);
	f->expired_ms = -1;
	f->in_flight = in_flight;
	f->ack_until = ack_for_ms > 0 ? clock_precise_ms() +
	    (uint64_t)ack_for_ms : 0;
	idle_add(&w->ic, &f->idle);
	w->left++;
}

/* Run the loop until every fake expired, or for at most ms. */
static void
world_run(struct world *w, long ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(w->base, &tv);
	ck_assert_int_eq(event_base_dispatch(w->base), 0);
}

static void
world_free(struct world *w)
{
	idle_free(&w->ic);
	event_base_free(w->base);
}

/*
 * f expired no earlier than 200 ms (the tests' -t) after from, and within
 * the slack of 25 ms, with 30 ms more allowed for a loaded machine.
 */
static void
assert_expired_in_window(const struct fake *f, long from)
{
	ck_assert_int_ge(f->expired_ms - from, 200);
	ck_assert_int_le(f->expired_ms - from, 200 + 25 + 30);
}

/* The slack and the sweep's period. */
START_TEST(test_params)
{
	struct world	 w;

	ck_assert_uint_eq(idle_slack_ms(300000), 1000);
	ck_assert_uint_eq(idle_slack_ms(8000), 1000);
	ck_assert_uint_eq(idle_slack_ms(2000), 250);
	ck_assert_uint_eq(idle_slack_ms(500), 62);
	ck_assert_uint_eq(idle_slack_ms(80), 10);
	ck_assert_uint_eq(idle_slack_ms(1), 10);
	world_init(&w, 300000);
	ck_assert_uint_eq(w.ic.period_ms, 250);
	world_free(&w);
	world_init(&w, 80);
	ck_assert_uint_eq(w.ic.period_ms, 2);
	world_free(&w);
}
END_TEST

/*
 * Quiet connections expire no earlier than the timeout and within its
 * slack (25 ms for 200 ms), with nothing in flight or stalled with
 * output nobody takes; 30 ms more is allowed for a loaded machine.
 */
START_TEST(test_expires_in_window)
{
	struct world	 w;
	struct fake	 quiet, stalled;
	long		 t0;

	world_init(&w, 200);
	t0 = now_ms();
	world_add(&w, &quiet, 0, 0);
	world_add(&w, &stalled, 1, 0);
	world_run(&w, 2000);
	assert_expired_in_window(&quiet, t0);
	assert_expired_in_window(&stalled, t0);
	world_free(&w);
}
END_TEST

/*
 * A connection whose client keeps taking echo for 400 ms after its last
 * read is not idle until 200 ms after the last byte it took, which the
 * sweep sees at most one period (6 ms) before the 400 ms are up.
 */
START_TEST(test_progress_defers)
{
	struct world	 w;
	struct fake	 f;
	long		 t0;

	world_init(&w, 200);
	t0 = now_ms();
	world_add(&w, &f, 1, 400);
	world_run(&w, 3000);
	ck_assert_int_ge(f.moved_ms - t0, 400 - 6 - 30);
	ck_assert_int_ge(f.expired_ms - f.moved_ms, 200);
	ck_assert_int_le(f.expired_ms - t0, 400 + 200 + 25 + 30);
	world_free(&w);
}
END_TEST

static void
touch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake	*f = arg;
	struct world	*w = *(struct world **)(f + 1);

	(void)fd;
	(void)what;
	idle_touch(&w->ic, &f->idle);
}

/* Reads (touches) every 50 ms for 500 ms keep it; then 200 ms more. */
START_TEST(test_touch_defers)
{
	struct {
		struct fake	 f;
		struct world	*w;
	}		 t;
	struct world	 w;
	struct event	*ev;
	struct timeval	 every = { 0, 50000 };
	long		 t0, last = 0;
	int		 i;

	world_init(&w, 200);
	t.w = &w;
	world_add(&w, &t.f, 0, 0);
	ev = event_new(w.base, -1, EV_PERSIST, touch_cb, &t.f);
	ck_assert_ptr_nonnull(ev);
	t0 = now_ms();
	ck_assert_int_eq(event_add(ev, &every), 0);
	for (i = 0; i < 10; i++) {
		world_run(&w, 50);
		last = now_ms();
	}
	event_del(ev);
	ck_assert_int_eq(t.f.expired_ms, -1);
	world_run(&w, 2000);
	ck_assert_int_ge(t.f.expired_ms - t0, 500);
	ck_assert_int_ge(t.f.expired_ms - (last - 50), 200);
	ck_assert_int_le(t.f.expired_ms - last, 200 + 25 + 30);
	event_free(ev);
	world_free(&w);
}
END_TEST

/*
 * One turn of the loop marks y, works for 450 ms, then marks x: time taken
 * when the period began would be 450 ms early for x, and a timeout of
 * 400 ms would close it at once.
 */
struct long_turn {
	struct world	*w;
	struct fake	 x, y;
	long		 x_ms, y_ms;	/* when each moved */
};

static void
long_turn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct long_turn	*lt = arg;
	long			 until;

	(void)fd;
	(void)what;
	lt->y_ms = now_ms();
	idle_touch(&lt->w->ic, &lt->y.idle);
	for (until = now_ms() + 450; now_ms() < until; )
		;	/* a turn busy with other connections */
	lt->x_ms = now_ms();
	idle_touch(&lt->w->ic, &lt->x.idle);
}

START_TEST(test_long_turn)
{
	struct world		 w;
	struct long_turn	 lt;
	struct timeval		 at_once = { 0, 0 };

	memset(&lt, 0, sizeof lt);
	lt.w = &w;
	world_init(&w, 400);
	world_add(&w, &lt.x, 0, 0);
	world_add(&w, &lt.y, 0, 0);
	ck_assert_int_eq(event_base_once(w.base, -1, EV_TIMEOUT, long_turn_cb,
	    &lt, &at_once), 0);
	world_run(&w, 3000);
	ck_assert_int_ge(lt.y.expired_ms - lt.y_ms, 400);
	ck_assert_int_ge(lt.x.expired_ms - lt.x_ms, 400);
	ck_assert_int_le(lt.x.expired_ms - lt.x_ms, 400 + 50 + 30);
	world_free(&w);
}
END_TEST

/*
 * A connection that moves after sweeps have settled it, here from the
 * head of the quiet list, leaves its place: a and b were quiet for
 * 100 ms when a moves, so b expires 200 ms after the start, a not
 * before 200 ms after its move.
 */
START_TEST(test_touch_moves)
{
	struct world	 w;
	struct fake	 a, b;
	long		 t0, moved;

	world_init(&w, 200);
	t0 = now_ms();
	world_add(&w, &a, 0, 0);
	world_add(&w, &b, 0, 0);
	world_run(&w, 100);
	ck_assert_uint_eq(a.idle.list, IDLE_QUIET);
	moved = now_ms();
	idle_touch(&w.ic, &a.idle);
	world_run(&w, 2000);
	assert_expired_in_window(&b, t0);
	assert_expired_in_window(&a, moved);
	world_free(&w);
}
END_TEST

/*
 * A sweep asks nothing of connections that are settled: 10,000 quiet
 * ones are each sampled once, to see nothing is in flight, then expire
 * together without another question.
 */
START_TEST(test_quiet_costs_nothing)
{
	enum { N = 10000 };
	struct world	 w;
	struct fake	*f;
	unsigned	 samples = 0;
	int		 i;

	f = calloc(N, sizeof *f);
	ck_assert_ptr_nonnull(f);
	world_init(&w, 300);
	for (i = 0; i < N; i++)
		world_add(&w, &f[i], 0, 0);
	world_run(&w, 3000);
	for (i = 0; i < N; i++) {
		ck_assert_int_ne(f[i].expired_ms, -1);
		samples += f[i].samples;
	}
	ck_assert_uint_eq(samples, N);
	ck_assert_int_eq(w.left, 0);
	ck_assert_int_eq(w.ic.armed, 0);	/* nothing left to sweep */
	free(f);
	world_free(&w);
}
END_TEST

/* -t 0: no list, no timer, touching is free. */
START_TEST(test_off)
{
	struct world	 w;
	struct fake	 f;

	world_init(&w, 0);
	ck_assert_ptr_null(w.ic.timer);
	world_add(&w, &f, 0, 0);
	ck_assert_uint_eq(f.idle.list, IDLE_NONE);
	idle_touch(&w.ic, &f.idle);
	ck_assert_uint_eq(f.idle.list, IDLE_NONE);
	idle_remove(&w.ic, &f.idle);
	world_free(&w);
}
END_TEST

static Suite *
idle_suite(void)
{
	Suite	*s = suite_create("idle");
	TCase	*tc = tcase_create("idle");

	tcase_set_timeout(tc, 60);
	harness_add_test(tc, test_params);
	harness_add_test(tc, test_expires_in_window);
	harness_add_test(tc, test_progress_defers);
	harness_add_test(tc, test_touch_defers);
	harness_add_test(tc, test_long_turn);
	harness_add_test(tc, test_touch_moves);
	harness_add_test(tc, test_quiet_costs_nothing);
	harness_add_test(tc, test_off);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(idle_suite()));
}

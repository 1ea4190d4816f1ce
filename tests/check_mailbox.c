/*
 * check_mailbox.c: unit tests for the mailbox, how threads ask one
 * another to act: bits posted before the owner runs all arrive, in one
 * call; however many posts, one wake-up; a handled mailbox wakes again;
 * and a post from another thread wakes a loop that is waiting.
 */
#include "autoconfig.h"

#include <sys/ioctl.h>
#include <sys/time.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "harness.h"
#include "mailbox.h"

/* What the handler saw. */
struct seen {
	int		 calls;
	unsigned	 bits;		/* of every call, or-ed */
	unsigned	 last;		/* of the last call */
	struct event_base *base;	/* to stop, when set */
};

static void
record(unsigned bits, void *arg)
{
	struct seen	*seen = arg;

	seen->calls++;
	seen->bits |= bits;
	seen->last = bits;
	if (seen->base != NULL)
		event_base_loopexit(seen->base, NULL);
}

/* Run whatever is ready on base, without waiting. */
static void
run_ready(struct event_base *base)
{
	ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
}

/* Bytes waiting in the mailbox's pipe. */
static int
pipe_pending(const struct mailbox *mb)
{
	int	 n = -1;

	ck_assert_int_eq(ioctl(mb->fd[0], FIONREAD, &n), 0);
	return (n);
}

/* Two posts before the owner runs: both bits, in one handler call. */
START_TEST(test_bits_merge)
{
	struct event_base	*base = event_base_new();
	struct mailbox		 mb;
	struct seen		 seen;

	memset(&seen, 0, sizeof seen);
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(mailbox_init(&mb, base, record, &seen), 0);
	mailbox_post(&mb, 0x1);
	mailbox_post(&mb, 0x4);
	mailbox_post(&mb, 0x1);
	run_ready(base);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.last, 0x5);
	run_ready(base);
	ck_assert_int_eq(seen.calls, 1);	/* nothing new: no call */
	mailbox_free(&mb);
	event_base_free(base);
}
END_TEST

/* However many posts, one byte in the pipe: it never fills. */
START_TEST(test_one_wake)
{
	struct event_base	*base = event_base_new();
	struct mailbox		 mb;
	struct seen		 seen;
	int			 i;

	memset(&seen, 0, sizeof seen);
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(mailbox_init(&mb, base, record, &seen), 0);
	ck_assert_int_eq(pipe_pending(&mb), 0);
	for (i = 0; i < 100000; i++)
		mailbox_post(&mb, 1u << (i % 3));
	ck_assert_int_eq(pipe_pending(&mb), 1);
	run_ready(base);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.last, 0x7);
	ck_assert_int_eq(pipe_pending(&mb), 0);
	mailbox_free(&mb);
	event_base_free(base);
}
END_TEST

/* Once handled, the mailbox is empty, and the next post wakes it again. */
START_TEST(test_wakes_again)
{
	struct event_base	*base = event_base_new();
	struct mailbox		 mb;
	struct seen		 seen;
	int			 i;

	memset(&seen, 0, sizeof seen);
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(mailbox_init(&mb, base, record, &seen), 0);
	for (i = 0; i < 5; i++) {
		mailbox_post(&mb, 0x2 << i);
		run_ready(base);
		ck_assert_msg(seen.calls == i + 1, "post %d was not handled",
		    i + 1);
		ck_assert_uint_eq(seen.last, 0x2u << i);
	}
	mailbox_free(&mb);
	event_base_free(base);
}
END_TEST

struct poster {
	struct mailbox	*mb;
	unsigned	 bits;
};

static void *
post_later(void *arg)
{
	struct poster	*p = arg;

	usleep(50 * 1000);
	mailbox_post(p->mb, p->bits);
	return (NULL);
}

/* A post from another thread wakes a loop that waits for nothing else. */
START_TEST(test_cross_thread)
{
	struct event_base	*base = event_base_new();
	struct timeval		 guard = { 10, 0 };
	struct mailbox		 mb;
	struct poster		 p;
	struct seen		 seen;
	pthread_t		 t;

	memset(&seen, 0, sizeof seen);
	ck_assert_ptr_nonnull(base);
	seen.base = base;
	ck_assert_int_eq(mailbox_init(&mb, base, record, &seen), 0);
	p.mb = &mb;
	p.bits = 0x8;
	ck_assert_int_eq(pthread_create(&t, NULL, post_later, &p), 0);
	ck_assert_int_eq(event_base_loopexit(base, &guard), 0);
	ck_assert_int_ne(event_base_dispatch(base), -1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(seen.calls == 1, "the loop was not woken (%d calls)",
	    seen.calls);
	ck_assert_uint_eq(seen.last, 0x8);
	mailbox_free(&mb);
	event_base_free(base);
}
END_TEST

static Suite *
mailbox_suite(void)
{
	Suite	*s = suite_create("mailbox");
	TCase	*tc = tcase_create("mailbox");

	tcase_add_test(tc, test_bits_merge);
	tcase_add_test(tc, test_one_wake);
	tcase_add_test(tc, test_wakes_again);
	tcase_add_test(tc, test_cross_thread);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(mailbox_suite()));
}

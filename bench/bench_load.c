/*
 * bench_load.c: one thread's share of the load.  Connection j (of the
 * load, then of the idle ones) belongs to thread j % threads.  The thread
 * connects its share, waits for the others, then runs its own timeline
 * from the common start: warm-up, the measured window, a grace time for
 * echo in flight, and a hard stop.
 */
#include "autoconfig.h"

#include <sys/time.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench_client.h"
#include "bench_clock.h"
#include "bench_dgram.h"
#include "bench_load.h"
#include "bench_tally.h"
#include "bench_tls.h"

static size_t	share(unsigned long, unsigned, unsigned);
static void	ns_to_tv(uint64_t, struct timeval *);
static void	measure_cb(evutil_socket_t, short, void *);
static void	measure_start(struct load *);
static void	measure_server_end(struct load *);
static void	end_cb(evutil_socket_t, short, void *);
static void	stop_cb(evutil_socket_t, short, void *);
static void	publish_cb(evutil_socket_t, short, void *);
static void	interrupt_cb(evutil_socket_t, short, void *);
static void	publish(struct load *);
static void	loss_cb(evutil_socket_t, short, void *);

/* How many of n numbered things thread index of threads gets. */
static size_t
share(unsigned long n, unsigned index, unsigned threads)
{
	return (n > index ? (size_t)((n - index + threads - 1) / threads) : 0);
}

/*
 * Make thread index's load: an event base without locks (only this
 * thread will use it), its connections, not yet connected, and its
 * timers.  progress asks for counters published for the progress line;
 * stop_fd turns readable when the run is interrupted.  Returns -1 with a
 * sentence in err on failure.
 */
int
load_new(struct load **lp, const struct bench_opts *o,
    const struct target *t, unsigned index, int progress, int stop_fd,
    char *err, size_t errlen)
{
	struct event_config	*cfg = NULL;
	struct load		*l;
	enum client_role	 role;
	size_t			 nidle, i;
	unsigned		 threads = (unsigned)o->threads;
	uint32_t		 id;

	if ((l = calloc(1, sizeof *l)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	l->opts = o;
	l->target = t;
	l->samples_server = index == 0 && o->server_pid > 0;
	tally_init(&l->tally);
	l->nload = share(o->conns, index, threads);
	nidle = share(o->idle, index, threads);
	l->nclients = l->nload + nidle;

	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) == -1 ||
	    (l->base = event_base_new_with_config(cfg)) == NULL) {
		snprintf(err, errlen, "cannot create an event base");
		goto fail;
	}
#ifdef HAVE_OPENSSL
	if (o->tls && (l->tls = btls_ctx_new(o->tls_verify, err,
	    errlen)) == NULL)
		goto fail;
#endif
	if ((l->buf = malloc(LOAD_BUF_SIZE)) == NULL ||
	    (l->clients = calloc(l->nclients, sizeof *l->clients)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	switch (o->mode) {
	case MODE_STREAM:
		role = ROLE_STREAM;
		break;
	case MODE_CHURN:
		role = ROLE_CHURN;
		break;
	default:
		role = o->udp ? ROLE_DGRAM : ROLE_PINGPONG;
		break;
	}
	for (i = 0; i < l->nclients; i++) {
		id = (uint32_t)(index + i * threads);
		if (i >= l->nload)
			id = (uint32_t)(o->conns + index + (i - l->nload) *
			    threads);
		if (client_init(&l->clients[i], l, id, i < l->nload ? role :
		    ROLE_IDLE) == -1) {
			snprintf(err, errlen, "cannot set up connection %u: "
			    "out of memory", (unsigned)id);
			l->nclients = i;
			goto fail;
		}
	}
	if ((l->ev_measure = evtimer_new(l->base, measure_cb, l)) == NULL ||
	    (l->ev_end = evtimer_new(l->base, end_cb, l)) == NULL ||
	    (l->ev_stop = evtimer_new(l->base, stop_cb, l)) == NULL ||
	    (l->ev_interrupt = event_new(l->base, stop_fd, EV_READ,
	    interrupt_cb, l)) == NULL ||
	    (progress && (l->ev_publish = event_new(l->base, -1, EV_PERSIST,
	    publish_cb, l)) == NULL) ||
	    (o->udp && (l->ev_loss = event_new(l->base, -1, EV_PERSIST,
	    loss_cb, l)) == NULL)) {
		snprintf(err, errlen, "cannot create timers");
		goto fail;
	}
	l->active = l->nload;
	event_config_free(cfg);
	*lp = l;
	return (0);

fail:
	if (cfg != NULL)
		event_config_free(cfg);
	load_free(l);
	return (-1);
}

/* Close every connection, then release the rest in reverse order. */
void
load_free(struct load *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nclients; i++)
		client_free(&l->clients[i]);
	if (l->ev_publish != NULL)
		event_free(l->ev_publish);
	if (l->ev_loss != NULL)
		event_free(l->ev_loss);
	if (l->ev_interrupt != NULL)
		event_free(l->ev_interrupt);
	if (l->ev_stop != NULL)
		event_free(l->ev_stop);
	if (l->ev_end != NULL)
		event_free(l->ev_end);
	if (l->ev_measure != NULL)
		event_free(l->ev_measure);
	free(l->clients);
	free(l->buf);
#ifdef HAVE_OPENSSL
	if (l->tls != NULL)
		btls_ctx_free(l->tls);
#endif
	if (l->base != NULL)
		event_base_free(l->base);
	free(l);
}

/*
 * In the thread: open every connection that lives for the whole run
 * (all but churn's), and return once each has connected or failed,
 * within LOAD_CONNECT_TIMEOUT_MS.  -1 if the event loop itself failed.
 */
int
load_connect(struct load *l)
{
	size_t	 i;

	for (i = 0; i < l->nclients; i++) {
		if (l->clients[i].role != ROLE_CHURN)
			l->connecting++;
	}
	for (i = 0; i < l->nclients; i++) {
		if (l->clients[i].role != ROLE_CHURN)
			client_connect(&l->clients[i]);
	}
	if (l->connecting == 0)
		return (0);
	l->loop = LOOP_CONNECT;
	if (event_base_dispatch(l->base) == -1) {
		snprintf(l->fatal, sizeof l->fatal, "the event loop failed "
		    "while connecting");
		return (-1);
	}
	l->loop = LOOP_NONE;
	return (0);
}

/* A start-up connect has ended: the loop ends with the last of them. */
void
load_client_connected(struct load *l)
{
	if (--l->connecting == 0 && l->loop == LOOP_CONNECT)
		event_base_loopbreak(l->base);
}

/* A load connection has no work left: the loop ends with the last. */
void
load_client_finished(struct load *l)
{
	if (--l->active == 0 && l->loop == LOOP_RUN)
		event_base_loopbreak(l->base);
}

/* Nanoseconds from now as a timeout; a moment already past is 0. */
static void
ns_to_tv(uint64_t ns, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ns / NS_PER_S);
	tv->tv_usec = (suseconds_t)(ns % NS_PER_S / 1000);
}

/*
 * In the thread, after every thread has connected: run from the common
 * start t0 (monotonic ns) to the hard stop.  -1 if the event loop or a
 * timer failed; errors of connections are in the tally either way.
 */
int
load_run(struct load *l, uint64_t t0)
{
	const struct bench_opts	*o = l->opts;
	struct timeval		 tv;
	uint64_t		 now = now_ns(), cpu_end;
	size_t			 i;
	int			 rc = 0;

	l->t_measure = t0 + (uint64_t)o->warmup_ms * NS_PER_MS;
	l->t_end = l->t_measure + (uint64_t)o->duration_ms * NS_PER_MS;
	l->cpu_at_measure = UINT64_MAX;		/* not reached yet */
	if (now >= l->t_measure)
		measure_start(l);
	else {
		ns_to_tv(l->t_measure - now, &tv);
		if (evtimer_add(l->ev_measure, &tv) == -1)
			goto timer_failed;
	}
	ns_to_tv(l->t_end > now ? l->t_end - now : 0, &tv);
	if (evtimer_add(l->ev_end, &tv) == -1 ||
	    event_add(l->ev_interrupt, NULL) == -1)
		goto timer_failed;
	if (l->ev_publish != NULL) {
		tv.tv_sec = 0;
		tv.tv_usec = LOAD_PUBLISH_MS * 1000;
		if (event_add(l->ev_publish, &tv) == -1)
			goto timer_failed;
	}

	if (l->ev_loss != NULL) {
		tv.tv_sec = 0;
		tv.tv_usec = DGRAM_TICK_MS * 1000;
		if (event_add(l->ev_loss, &tv) == -1)
			goto timer_failed;
	}
	for (i = 0; i < l->nload; i++)
		client_start(&l->clients[i], now);
	if (l->active > 0) {
		l->loop = LOOP_RUN;
		if (event_base_dispatch(l->base) == -1)
			snprintf(l->fatal, sizeof l->fatal, "the event loop "
			    "failed");
		l->loop = LOOP_NONE;
	}
	if (l->fatal[0] != '\0')
		rc = -1;

	/*
	 * The time and CPU time measured: the whole window, or up to now if
	 * every connection failed before it ended.
	 */
	now = l->draining ? l->t_end : now_ns();
	if (now > l->t_measure)
		l->tally.window_ns = (now < l->t_end ? now : l->t_end) -
		    l->t_measure;
	cpu_end = l->cpu_at_end != 0 ? l->cpu_at_end : thread_cpu_ns();
	if (l->cpu_at_measure != UINT64_MAX && cpu_end > l->cpu_at_measure)
		l->tally.cpu_ns = cpu_end - l->cpu_at_measure;
	if (l->cpu_at_end == 0)
		measure_server_end(l);	/* the run ended early */
	publish(l);
	return (rc);

timer_failed:
	snprintf(l->fatal, sizeof l->fatal, "cannot set a timer (event_add "
	    "failed)");
	return (-1);
}

/* Warm-up is over: what follows is measured, CPU time included. */
static void
measure_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load	*l = arg;

	(void)fd;
	(void)what;
	measure_start(l);
}

/* The measured window opens: note our CPU time, and the server's. */
static void
measure_start(struct load *l)
{
	l->cpu_at_measure = thread_cpu_ns();
	if (l->samples_server && proc_cpu((pid_t)l->opts->server_pid,
	    &l->server_at_measure) == 0)
		l->server_sampled = 1;
}

/* The window closes: the server's CPU time spent in it, if we can tell. */
static void
measure_server_end(struct load *l)
{
	struct proc_cpu	 now;

	if (!l->server_sampled || proc_cpu((pid_t)l->opts->server_pid,
	    &now) == -1)
		return;
	l->server_sampled = 0;
	l->tally.server_cpu = 1;
	l->tally.server_user_ns = now.user_ns - l->server_at_measure.user_ns;
	l->tally.server_sys_ns = now.sys_ns - l->server_at_measure.sys_ns;
}

/*
 * The measured window is over: every connection stops sending and gets
 * LOAD_GRACE_MS for the echo of what it sent; the loop ends when all of
 * them have it, or at the hard stop.
 */
static void
end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load	*l = arg;
	struct timeval	 tv = { LOAD_GRACE_MS / 1000,
	    (LOAD_GRACE_MS % 1000) * 1000 };
	size_t		 i;

	(void)fd;
	(void)what;
	l->cpu_at_end = thread_cpu_ns();
	measure_server_end(l);
	l->draining = 1;
	if (l->ev_publish != NULL)
		event_del(l->ev_publish);
	if (evtimer_add(l->ev_stop, &tv) == -1) {
		snprintf(l->fatal, sizeof l->fatal, "cannot set a timer "
		    "(event_add failed)");
		event_base_loopbreak(l->base);
		return;
	}
	for (i = 0; i < l->nload && l->active > 0; i++)
		client_drain(&l->clients[i]);
}

/*
 * SIGINT or SIGTERM: the window ends now (or is empty, in the warm-up),
 * and the run ends as it would have at its end.
 */
static void
interrupt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load	*l = arg;
	uint64_t	 now = now_ns();

	(void)fd;
	(void)what;
	if (l->draining)
		return;		/* the window was whole: only the grace is left */
	l->tally.interrupted = 1;
	evtimer_del(l->ev_measure);
	evtimer_del(l->ev_end);
	if (now < l->t_end)
		l->t_end = now > l->t_measure ? now : l->t_measure;
	end_cb(-1, 0, l);
}

/* The hard stop: whatever echo is still missing will not be waited for. */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load	*l = arg;
	size_t		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < l->nload; i++)
		client_expire(&l->clients[i]);
	event_base_loopbreak(l->base);
}

/* Copy the live counters where the progress line can read them. */
static void
publish(struct load *l)
{
	atomic_store_explicit(&l->pub_messages, l->live_messages,
	    memory_order_relaxed);
	atomic_store_explicit(&l->pub_bytes, l->live_bytes,
	    memory_order_relaxed);
	atomic_store_explicit(&l->pub_errors, tally_errors(&l->tally),
	    memory_order_relaxed);
}

/* The progress timer: publish, a few times a second. */
static void
publish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publish(arg);
}

/* --udp: every DGRAM_TICK_MS, datagrams unanswered too long are lost. */
static void
loss_cb(evutil_socket_t fd, short what, void *arg)
{
	struct load	*l = arg;
	uint64_t	 now = now_ns();
	size_t		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < l->nload; i++) {
		if (l->clients[i].role == ROLE_DGRAM)
			dgram_tick(&l->clients[i], now);
	}
}

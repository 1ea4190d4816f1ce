/*
 * bench_run.c: the threads of a run.  Each thread owns one load and runs
 * it alone; the only shared state is the start handshake below (a mutex
 * and a condition, used twice per run), the progress counters each load
 * publishes, and a pipe that tells every load the run was interrupted.
 * Counters and histograms are merged after the joins.
 *
 * SIGINT and SIGTERM are blocked in every thread; the main thread waits
 * for them with sigtimedwait() while the loads run, so the first one
 * ends the run early, with a report, and a second one kills at once.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "bench_load.h"
#include "bench_opts.h"
#include "bench_report.h"
#include "bench_run.h"
#include "bench_tally.h"

/* The start handshake: workers report ready, then wait for go. */
struct start {
	pthread_mutex_t	 mutex;
	pthread_cond_t	 cond;
	unsigned	 ready;		/* workers done connecting */
	int		 go;		/* t0 is set, or abort */
	int		 abort;		/* set-up failed: do not run */
	uint64_t	 t0;		/* the common start, monotonic ns */
};

struct worker {
	struct start	*start;
	struct load	*load;
	pthread_t	 thread;
	int		 created;	/* thread is valid */
	int		 failed;	/* its event loop failed */
	atomic_int	 done;		/* the thread has finished its run */
};

static int	 stop_signals(sigset_t *);
static void	*worker_main(void *);
static void	 wait_ready(struct start *, unsigned);
static void	 release(struct start *, int);
static void	 supervise(struct worker *, size_t, const struct bench_opts *,
		    int, const sigset_t *, int);

/*
 * Make sure the open-file limit allows every connection: raise the soft
 * limit up to the hard one if need be.  -1, with a sentence in err, if
 * the hard limit is too low or the raise fails.
 */
int
run_raise_nofile(const struct bench_opts *o, char *err, size_t errlen)
{
	struct rlimit	 rl;
	rlim_t		 need;

	need = (rlim_t)(o->conns + o->idle + 4 * o->threads +
	    RUN_FD_RESERVE);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "cannot read the open-file limit: %s",
		    strerror(errno));
		return (-1);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return (0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen, "%lu connections%s need about %llu open "
		    "files, but the hard limit is %llu (see ulimit -Hn)",
		    o->conns + o->idle, o->idle > 0 ? " (idle included)" : "",
		    (unsigned long long)need, (unsigned long long)rl.rlim_max);
		return (-1);
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "cannot raise the open-file limit to "
		    "%llu: %s", (unsigned long long)need, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Run the benchmark to its end and merge every thread's tally into
 * total.  progress asks for the live line on stderr.  Returns EX_OK
 * (errors of the echo are in the tally), EX_OSERR if it could not be set
 * up, or EX_SOFTWARE if an event loop failed, with a sentence in err.
 */
int
run_bench(const struct bench_opts *o, int progress, struct tally *total,
    char *err, size_t errlen)
{
	struct start	 start;
	struct worker	*w;
	sigset_t	 sigs, old;
	size_t		 n = o->threads, i, created = 0;
	int		 status = EX_OSERR, rc, stop[2] = { -1, -1 };

	tally_init(total);
	memset(&start, 0, sizeof start);
	if (stop_signals(&sigs) == -1) {
		snprintf(err, errlen, "cannot read signal dispositions: %s",
		    strerror(errno));
		return (EX_OSERR);
	}
	if ((rc = pthread_sigmask(SIG_BLOCK, &sigs, &old)) != 0) {
		snprintf(err, errlen, "cannot block signals: %s",
		    strerror(rc));
		return (EX_OSERR);
	}
	if ((w = calloc(n, sizeof *w)) == NULL) {
		snprintf(err, errlen, "out of memory");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return (EX_OSERR);
	}
	if ((rc = pthread_mutex_init(&start.mutex, NULL)) != 0 ||
	    (rc = pthread_cond_init(&start.cond, NULL)) != 0) {
		snprintf(err, errlen, "cannot set up threads: %s",
		    strerror(rc));
		free(w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return (EX_OSERR);
	}
	if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	for (i = 0; i < n; i++) {
		w[i].start = &start;
		if (load_new(&w[i].load, o, &o->target, (unsigned)i,
		    progress, stop[0], err, errlen) == -1)
			goto done;
	}
	for (i = 0; i < n; i++) {
		if ((rc = pthread_create(&w[i].thread, NULL, worker_main,
		    &w[i])) != 0) {
			snprintf(err, errlen, "cannot start thread %zu: %s",
			    i + 1, strerror(rc));
			goto done;
		}
		w[i].created = 1;
		created++;
	}

	/* Every connection is up or has failed: start the clock. */
	wait_ready(&start, (unsigned)n);
	release(&start, 0);
	created = 0;		/* joined below, not aborted */
	supervise(w, n, o, progress, &sigs, stop[1]);
	status = EX_OK;
	for (i = 0; i < n; i++) {
		if ((rc = pthread_join(w[i].thread, NULL)) != 0) {
			snprintf(err, errlen, "cannot join thread %zu: %s",
			    i + 1, strerror(rc));
			status = EX_OSERR;
		}
		w[i].created = 0;
		if (w[i].failed && status == EX_OK) {
			snprintf(err, errlen, "thread %zu: %s", i + 1,
			    w[i].load->fatal);
			status = EX_SOFTWARE;
		}
		tally_merge(total, &w[i].load->tally);
	}

done:
	if (created > 0) {
		/* Set-up failed after some threads started: stop them. */
		wait_ready(&start, (unsigned)created);
		release(&start, 1);
	}
	for (i = 0; i < n; i++) {
		if (w[i].created)
			pthread_join(w[i].thread, NULL);
		load_free(w[i].load);
	}
	if (stop[0] != -1) {
		close(stop[0]);
		close(stop[1]);
	}
	pthread_cond_destroy(&start.cond);
	pthread_mutex_destroy(&start.mutex);
	free(w);
	/* A signal that came too late to matter takes effect now. */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (status);
}

/*
 * SIGINT and SIGTERM, less any this process inherited as ignored (as a
 * background job's SIGINT is): blocked signals would be queued even so.
 */
static int
stop_signals(sigset_t *set)
{
	static const int	 sigs[] = { SIGINT, SIGTERM };
	struct sigaction	 sa;
	size_t			 i;

	sigemptyset(set);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], NULL, &sa) == -1)
			return (-1);
		if (sa.sa_handler != SIG_IGN)
			sigaddset(set, sigs[i]);
	}
	return (0);
}

/* A thread: connect its share, wait for the common start, run. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct start	*s = w->start;
	int		 ok, run;

	ok = load_connect(w->load) == 0;
	pthread_mutex_lock(&s->mutex);
	s->ready++;
	pthread_cond_broadcast(&s->cond);
	while (!s->go)
		pthread_cond_wait(&s->cond, &s->mutex);
	run = !s->abort;
	pthread_mutex_unlock(&s->mutex);
	if (ok && run)
		ok = load_run(w->load, s->t0) == 0;
	w->failed = !ok && run;
	atomic_store(&w->done, 1);
	return (NULL);
}

/* Wait until n workers have finished connecting. */
static void
wait_ready(struct start *s, unsigned n)
{
	pthread_mutex_lock(&s->mutex);
	while (s->ready < n)
		pthread_cond_wait(&s->cond, &s->mutex);
	pthread_mutex_unlock(&s->mutex);
}

/* Let the workers go, all from the same t0, or tell them to quit. */
static void
release(struct start *s, int abort)
{
	pthread_mutex_lock(&s->mutex);
	s->t0 = now_ns();
	s->abort = abort;
	s->go = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mutex);
}

/*
 * Until every worker is done: wait for SIGINT or SIGTERM, a tenth of a
 * second at a time; tell the loads through the stop pipe at the first,
 * die of the second.  With progress, once a second: the phase, the rates
 * over the last second, and the errors so far, on one line redrawn with
 * \r and ended with \n.
 */
static void
supervise(struct worker *w, size_t n, const struct bench_opts *o,
    int progress, const sigset_t *sigs, int stop_fd)
{
	struct timespec	 tick = { 0, 100 * 1000 * 1000 };
	uint64_t	 t0 = now_ns(), next = t0 + NS_PER_S, now;
	uint64_t	 msgs, bytes, errors, last_msgs = 0, last_bytes = 0;
	size_t		 i, done;
	int		 shown = 0, interrupted = 0, sig;

	for (;;) {
		for (done = 0, i = 0; i < n; i++)
			done += atomic_load(&w[i].done) != 0;
		if (done == n)
			break;
		if ((sig = sigtimedwait(sigs, NULL, &tick)) > 0) {
			if (interrupted) {
				/* The second one: as if nothing caught it. */
				pthread_sigmask(SIG_UNBLOCK, sigs, NULL);
				raise(sig);
			}
			interrupted = 1;
			if (write(stop_fd, "", 1) == -1)
				fprintf(stderr, "evecho-bench: cannot stop "
				    "the threads: %s\n", strerror(errno));
		}
		if (!progress || (now = now_ns()) < next)
			continue;
		msgs = bytes = errors = 0;
		for (i = 0; i < n; i++) {
			msgs += atomic_load_explicit(&w[i].load->pub_messages,
			    memory_order_relaxed);
			bytes += atomic_load_explicit(&w[i].load->pub_bytes,
			    memory_order_relaxed);
			errors += atomic_load_explicit(&w[i].load->pub_errors,
			    memory_order_relaxed);
		}
		if (o->mode == MODE_STREAM)
			msgs = bytes / o->size;
		report_progress(stderr, o, (double)(now - t0) / NS_PER_S,
		    msgs - last_msgs, bytes - last_bytes, errors);
		shown = 1;
		last_msgs = msgs;
		last_bytes = bytes;
		next += NS_PER_S;
	}
	if (shown)
		fputc('\n', stderr);
}

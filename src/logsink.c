/*
 * logsink.c: the queue between the threads that log and the sink (stderr,
 * a file, syslog), and the writer thread that empties it.
 *
 * A thread that logs copies its line into a slot of a fixed ring under a
 * mutex and, if the writer sleeps, wakes it: a few hundred nanoseconds,
 * and never a wait on the sink.  The writer takes every filled slot at
 * once and writes them with one writev(2) (or a syslog(3) call each)
 * without the lock, so logging goes on while it writes.  A full ring
 * drops the line and counts it.  syslog(3) and a pipe nobody reads can
 * block for ever: only the writer waits on them, and at shut-down it is
 * given LOGSINK_STOP_WAIT_MS to finish before it is left behind.
 */
#include "autoconfig.h"

#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logsink.h"

#define LOGSINK_SLOTS		512
#define LOGSINK_BATCH		64	/* lines per writev(2) */
#define LOGSINK_STOP_WAIT_MS	2000
#define LOGSINK_FILE_MODE	0640

struct logsink_slot {
	int			 prio;
	size_t			 len;
	char			 text[LOGSINK_LINE_MAX];
};

/*
 * The one sink of the process; the lock guards the ring, the counters
 * and the flags.  fd is the writer's alone while it runs.
 */
static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;		/* for the writer */
	pthread_cond_t		 done;		/* the writer has finished */
	pthread_t		 writer;
	struct logsink_config	 cfg;
	int			 fd;		/* stderr or the file */
	struct logsink_slot	*ring;
	size_t			 head, count;	/* next to fill, filled */
	uint64_t		 dropped;	/* lost, ever */
	uint64_t		 reported;	/* of those, said so */
	int			 armed;		/* lines queue, once a writer runs */
	int			 running;	/* the writer owns the sink */
	int			 sleeping;	/* the writer waits for lines */
	int			 stopping, finished, reopen;
	int			 abandoned;	/* the writer hung: drop all */
} sink = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = STDERR_FILENO,
};

static int	 logsink_spawn(void);
static void	*logsink_main(void *);
static int	 logsink_write(int, const char *, size_t);
static int	 logsink_write_fd(int, struct iovec *, int);
static int	 logsink_say_lost(uint64_t);
static void	 logsink_do_reopen(void);
static size_t	 logsink_default_lost(char *, size_t, uint64_t);

/*
 * Open the sink cfg names: the file, created if need be, or the syslog
 * connection (now, so that a chroot or a dropped privilege later cannot
 * stop it).  On failure, a sentence in err.
 */
int
logsink_open(const struct logsink_config *cfg, char *err, size_t errlen)
{
	int	 fd;

	sink.cfg = *cfg;
	if (sink.cfg.lost_line == NULL)
		sink.cfg.lost_line = logsink_default_lost;
	switch (cfg->kind) {
	case LOGSINK_FILE:
		if ((fd = open(cfg->path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, LOGSINK_FILE_MODE)) == -1) {
			snprintf(err, errlen, "cannot open log file %s: %s",
			    cfg->path, strerror(errno));
			return (-1);
		}
		sink.fd = fd;
		break;
	case LOGSINK_SYSLOG:
		openlog("evecho", LOG_PID | LOG_NDELAY, cfg->facility);
		break;
	case LOGSINK_STDERR:
		sink.fd = STDERR_FILENO;
		break;
	}
	return (0);
}

/* Whether lines go to syslog, which has their time and severity. */
int
logsink_is_syslog(void)
{
	return (sink.cfg.kind == LOGSINK_SYSLOG);
}

/* From now on, lines go through the queue to the writer thread. */
int
logsink_start(char *err, size_t errlen)
{
	pthread_condattr_t	 attr;
	int			 rc;

	if (sink.armed)
		return (0);
	if ((sink.ring = calloc(LOGSINK_SLOTS, sizeof *sink.ring)) == NULL) {
		snprintf(err, errlen, "cannot start the log writer: out of "
		    "memory");
		return (-1);
	}
	/* The stop waits by the monotonic clock, which no one steps. */
	if ((rc = pthread_condattr_init(&attr)) != 0 ||
	    (rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&sink.done, &attr)) != 0 ||
	    (rc = pthread_cond_init(&sink.wake, NULL)) != 0) {
		snprintf(err, errlen, "cannot start the log writer: %s",
		    strerror(rc));
		free(sink.ring);
		sink.ring = NULL;
		return (-1);
	}
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&sink.lock);
	sink.head = sink.count = 0;
	sink.stopping = sink.finished = 0;
	sink.armed = 1;
	pthread_mutex_unlock(&sink.lock);
	return (0);
}

/*
 * Start the writer, with the lock held: at the first line to queue, not
 * before.  A single-threaded evecho that logs nothing while it serves
 * stays single-threaded, and glibc's read(2) and write(2) skip their
 * thread-cancellation steps, some 100 instructions a message.  If the
 * thread cannot start, lines are written at once instead.
 */
static int
logsink_spawn(void)
{
	sigset_t	 all, old;
	int		 rc;

	/* Signals are for the main loop: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&sink.writer, NULL, logsink_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sink.armed = 0;
		return (-1);
	}
	sink.running = 1;
	return (0);
}

/*
 * One line, ending in a newline, of at most LOGSINK_LINE_MAX bytes; prio
 * is its syslog(3) priority.  From any thread; never waits on the sink
 * once the writer runs.
 */
void
logsink_put(int prio, const char *line, size_t len)
{
	struct logsink_slot	*slot;
	int			 wake;

	if (len > LOGSINK_LINE_MAX)
		len = LOGSINK_LINE_MAX;
	pthread_mutex_lock(&sink.lock);
	if (sink.abandoned) {
		sink.dropped++;
		pthread_mutex_unlock(&sink.lock);
		return;
	}
	if (sink.armed && !sink.running)
		(void)logsink_spawn();
	if (!sink.running) {
		/* Start-up or shut-down: one thread, nothing to stall. */
		if (logsink_write(prio, line, len) == -1)
			sink.dropped++;
		pthread_mutex_unlock(&sink.lock);
		return;
	}
	if (sink.count == LOGSINK_SLOTS) {
		sink.dropped++;
		pthread_mutex_unlock(&sink.lock);
		return;
	}
	slot = &sink.ring[sink.head];
	slot->prio = prio;
	slot->len = len;
	memcpy(slot->text, line, len);
	sink.head = (sink.head + 1) % LOGSINK_SLOTS;
	sink.count++;
	wake = sink.sleeping;
	pthread_mutex_unlock(&sink.lock);
	if (wake)
		pthread_cond_signal(&sink.wake);
}

/* Reopen the log file (SIGHUP, after logrotate moved it). */
void
logsink_reopen(void)
{
	if (sink.cfg.kind != LOGSINK_FILE)
		return;
	pthread_mutex_lock(&sink.lock);
	if (sink.running) {
		sink.reopen = 1;
		pthread_cond_signal(&sink.wake);
	} else
		logsink_do_reopen();
	pthread_mutex_unlock(&sink.lock);
}

/*
 * Write out what is queued and stop the writer; lines are written at
 * once again.  A writer stuck on a sink that takes nothing is left
 * behind after LOGSINK_STOP_WAIT_MS, and later lines are dropped, so
 * that the process can still exit.
 */
void
logsink_stop(void)
{
	struct timespec	 deadline;
	int		 finished, rc;

	pthread_mutex_lock(&sink.lock);
	if (!sink.running) {
		sink.armed = 0;		/* no writer was needed */
		pthread_mutex_unlock(&sink.lock);
		free(sink.ring);
		sink.ring = NULL;
		return;
	}
	sink.stopping = 1;
	pthread_cond_signal(&sink.wake);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LOGSINK_STOP_WAIT_MS / 1000;
	while (!sink.finished) {
		rc = pthread_cond_timedwait(&sink.done, &sink.lock, &deadline);
		if (rc != 0 && rc != EINTR)
			break;		/* ETIMEDOUT: it hangs */
	}
	/* Finished, the writer left the ring empty, with the lock held. */
	if ((finished = sink.finished))
		sink.running = sink.armed = 0;
	else
		sink.abandoned = 1;
	pthread_mutex_unlock(&sink.lock);
	if (!finished) {
		pthread_detach(sink.writer);
		return;		/* its ring stays: it may still read it */
	}
	pthread_join(sink.writer, NULL);
	free(sink.ring);
	sink.ring = NULL;
}

/* Close the sink at exit. */
void
logsink_close(void)
{
	if (sink.running)
		return;
	if (sink.cfg.kind == LOGSINK_SYSLOG)
		closelog();
	else if (sink.cfg.kind == LOGSINK_FILE && sink.fd != -1) {
		close(sink.fd);
		sink.fd = -1;
	}
}

/* Lines lost so far: the queue was full, or the sink failed. */
uint64_t
logsink_dropped(void)
{
	uint64_t	 n;

	pthread_mutex_lock(&sink.lock);
	n = sink.dropped;
	pthread_mutex_unlock(&sink.lock);
	return (n);
}

/*
 * The writer: take every filled slot, write them without the lock, free
 * them; say how many were lost once writing works again.  The sink is
 * touched only with the lock released, so no one logging ever waits on it.
 */
static void *
logsink_main(void *arg)
{
	struct iovec	 iov[LOGSINK_BATCH];
	size_t		 tail, n, i;
	uint64_t	 lost;

	(void)arg;
	pthread_mutex_lock(&sink.lock);
	for (;;) {
		if (sink.reopen) {
			sink.reopen = 0;
			pthread_mutex_unlock(&sink.lock);
			logsink_do_reopen();
			pthread_mutex_lock(&sink.lock);
			continue;
		}
		if (sink.count == 0) {
			if (sink.stopping)
				break;
			sink.sleeping = 1;
			pthread_cond_wait(&sink.wake, &sink.lock);
			sink.sleeping = 0;
			continue;
		}
		tail = (sink.head + LOGSINK_SLOTS - sink.count) %
		    LOGSINK_SLOTS;
		n = sink.count < LOGSINK_BATCH ? sink.count : LOGSINK_BATCH;
		if (n > LOGSINK_SLOTS - tail)
			n = LOGSINK_SLOTS - tail;	/* up to the ring's end */
		pthread_mutex_unlock(&sink.lock);

		if (sink.cfg.kind == LOGSINK_SYSLOG) {
			for (i = 0; i < n; i++)
				(void)logsink_write(sink.ring[tail + i].prio,
				    sink.ring[tail + i].text,
				    sink.ring[tail + i].len);
			lost = 0;
		} else {
			for (i = 0; i < n; i++) {
				iov[i].iov_base = sink.ring[tail + i].text;
				iov[i].iov_len = sink.ring[tail + i].len;
			}
			lost = logsink_write_fd(sink.fd, iov, (int)n) == -1 ?
			    n : 0;
		}

		pthread_mutex_lock(&sink.lock);
		sink.count -= n;
		sink.dropped += lost;
		if (lost == 0 && sink.dropped > sink.reported) {
			lost = sink.dropped - sink.reported;
			sink.reported = sink.dropped;
			pthread_mutex_unlock(&sink.lock);
			n = logsink_say_lost(lost) == -1;
			pthread_mutex_lock(&sink.lock);
			sink.dropped += n;	/* that line too */
		}
	}
	sink.finished = 1;
	pthread_cond_signal(&sink.done);
	pthread_mutex_unlock(&sink.lock);
	return (NULL);
}

/* One line to the sink, now; the caller owns the sink.  -1: lost. */
static int
logsink_write(int prio, const char *line, size_t len)
{
	struct iovec	 iov;

	if (sink.cfg.kind == LOGSINK_SYSLOG) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		syslog(prio, "%.*s", (int)len, line);
		return (0);
	}
	iov.iov_base = (void *)(uintptr_t)line;
	iov.iov_len = len;
	return (logsink_write_fd(sink.fd, &iov, 1));
}

/*
 * All of iov to fd, however the kernel splits it.  A descriptor someone
 * else made non-blocking is waited for with poll(2), here on the writer.
 * -1 if the sink failed: those lines are lost.
 */
static int
logsink_write_fd(int fd, struct iovec *iov, int iovcnt)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	while (iovcnt > 0) {
		if ((n = writev(fd, iov, iovcnt)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					return (-1);
				continue;
			}
			return (-1);
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return (0);
}

/* The sink works again: say how many lines it missed.  -1: lost too. */
static int
logsink_say_lost(uint64_t lost)
{
	char	 line[LOGSINK_LINE_MAX];

	return (logsink_write(LOG_WARNING, line,
	    sink.cfg.lost_line(line, sizeof line, lost)));
}

/*
 * Open the file again under its name; if that fails, keep writing to the
 * one open and say why there.  By whoever owns the sink.
 */
static void
logsink_do_reopen(void)
{
	char	 line[LOGSINK_LINE_MAX];
	int	 fd, n;

	if ((fd = open(sink.cfg.path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, LOGSINK_FILE_MODE)) == -1) {
		n = snprintf(line, sizeof line, "evecho: cannot reopen log "
		    "file %s: %s; still writing to the old one\n",
		    sink.cfg.path, strerror(errno));
		if (n > 0)
			(void)logsink_write(LOG_ERR, line, (size_t)n <
			    sizeof line ? (size_t)n : sizeof line - 1);
		return;
	}
	close(sink.fd);
	sink.fd = fd;
}

static size_t
logsink_default_lost(char *buf, size_t len, uint64_t lost)
{
	int	 n;

	n = snprintf(buf, len, "warning: %llu log lines lost: the log could "
	    "not keep up\n", (unsigned long long)lost);
	return (n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1);
}

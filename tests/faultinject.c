/*
 * faultinject.c: a test-only LD_PRELOAD shim that makes the real evecho
 * meet failures it cannot be made to meet from outside.  Built for the
 * tests, never installed.  Each fault is off unless its variables are set:
 *
 *   EVECHO_FAULT_MALLOC=N        fail the Nth malloc, calloc or realloc
 *   EVECHO_FAULT_MALLOC_COUNT=K  ... and the K-1 after it (default 1)
 *   EVECHO_FAULT_MALLOC_FROM=W   count from "start" (exec) or "accept"
 *                                (the first accepted connection; default)
 *   EVECHO_FAULT_REPORT=1        at exit, say how many were counted, and
 *                                how many blocks allocated since the
 *                                start are still not freed: a failure
 *                                path that leaks leaves more than a run
 *                                without failures
 *   EVECHO_FAULT_BACKTRACE=1     with each failure, the stack that asked
 *   EVECHO_FAULT_LOOP_THREAD=T   in the thread named T (evecho-w1...),
 *   EVECHO_FAULT_LOOP_FILE=F     once file F exists, make the event
 *                                loop's next wait (epoll_wait, poll or
 *                                select) fail with EINVAL
 *   EVECHO_FAULT_CLOCK_FILE=F    once file F exists, step the wall clock
 *   EVECHO_FAULT_CLOCK_STEP=S    (gettimeofday, CLOCK_REALTIME) by S
 *                                seconds, as NTP or an operator might
 *   EVECHO_FAULT_GSO=1           make sendmmsg() refuse, with EINVAL, a
 *                                UDP message the kernel is to cut into
 *                                datagrams (UDP_SEGMENT), as Linux does
 *                                for a segment over the path's MTU
 *
 * On stderr the shim says "faultinject: failing allocation N" each time
 * it fails one, so that a test can tell what was hit.  Allocations go
 * to glibc's __libc_malloc and friends, so the shim never recurses into
 * itself or into dlsym.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);

static long		 fault_malloc_nth;	/* 0: off */
static long		 fault_malloc_count = 1;
static int		 fault_from_start;
static atomic_int	 fault_counting;
static atomic_long	 fault_allocs;
static atomic_long	 fault_live;	/* blocks not yet freed */
static const char	*fault_loop_thread;
static const char	*fault_loop_file;
static const char	*fault_clock_file;
static long		 fault_clock_step;
static int		 fault_report;
static int		 fault_backtrace;
static int		 fault_gso;

__attribute__((constructor))
static void
fault_init(void)
{
	const char	*v;

	if ((v = getenv("EVECHO_FAULT_MALLOC")) != NULL)
		fault_malloc_nth = atol(v);
	if ((v = getenv("EVECHO_FAULT_MALLOC_COUNT")) != NULL)
		fault_malloc_count = atol(v);
	if ((v = getenv("EVECHO_FAULT_MALLOC_FROM")) != NULL)
		fault_from_start = strcmp(v, "start") == 0;
	atomic_store(&fault_counting, fault_from_start);
	fault_loop_thread = getenv("EVECHO_FAULT_LOOP_THREAD");
	fault_loop_file = getenv("EVECHO_FAULT_LOOP_FILE");
	fault_clock_file = getenv("EVECHO_FAULT_CLOCK_FILE");
	if ((v = getenv("EVECHO_FAULT_CLOCK_STEP")) != NULL)
		fault_clock_step = atol(v);
	fault_report = getenv("EVECHO_FAULT_REPORT") != NULL;
	fault_backtrace = getenv("EVECHO_FAULT_BACKTRACE") != NULL;
	fault_gso = getenv("EVECHO_FAULT_GSO") != NULL;
}

/* How many allocations were counted, for a test to sweep them all. */
__attribute__((destructor))
static void
fault_fini(void)
{
	char	 msg[80];
	int	 len;

	if (!fault_report)
		return;
	len = snprintf(msg, sizeof msg, "faultinject: %ld allocations "
	    "counted, %ld blocks live at exit\n", atomic_load(&fault_allocs),
	    atomic_load(&fault_live));
	if (write(STDERR_FILENO, msg, (size_t)len) == -1) {
		/* nowhere to say it */
	}
}

/* Whether this allocation is one to fail. */
static int
fault_alloc_fails(void)
{
	long	 n;
	char	 msg[64];
	int	 len;

	if ((fault_malloc_nth <= 0 && !fault_report) ||
	    !atomic_load(&fault_counting))
		return (0);
	n = atomic_fetch_add(&fault_allocs, 1) + 1;
	if (n < fault_malloc_nth || n >= fault_malloc_nth + fault_malloc_count)
		return (0);
	len = snprintf(msg, sizeof msg, "faultinject: failing allocation %ld\n",
	    n);
	if (write(STDERR_FILENO, msg, (size_t)len) == -1) {
		/* nowhere to say it */
	}
	if (fault_backtrace) {
		void	*frames[32];

		/* backtrace() allocates only on its first call. */
		backtrace_symbols_fd(frames, backtrace(frames, 32),
		    STDERR_FILENO);
	}
	errno = ENOMEM;
	return (1);
}

/* A block came into being (p not NULL): one more live. */
static void *
fault_born(void *p)
{
	if (p != NULL)
		atomic_fetch_add(&fault_live, 1);
	return (p);
}

void *
malloc(size_t n)
{
	return (fault_alloc_fails() ? NULL : fault_born(__libc_malloc(n)));
}

void *
calloc(size_t n, size_t size)
{
	return (fault_alloc_fails() ? NULL :
	    fault_born(__libc_calloc(n, size)));
}

void *
realloc(void *p, size_t n)
{
	void	*q;

	if (fault_alloc_fails())
		return (NULL);
	q = __libc_realloc(p, n);
	if (p == NULL)
		fault_born(q);
	else if (n == 0 && q == NULL)
		atomic_fetch_sub(&fault_live, 1);	/* freed */
	return (q);
}

void
free(void *p)
{
	if (p != NULL)
		atomic_fetch_sub(&fault_live, 1);
	__libc_free(p);
}

/* The first connection accepted starts the count of allocations. */
int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int	 rc = (int)syscall(SYS_accept4, fd, sa, len, flags);

	if (rc >= 0)
		atomic_store(&fault_counting, 1);
	return (rc);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return (accept4(fd, sa, len, 0));
}

/* Whether the event loop of this thread is to fail now. */
static int
fault_loop_fails(void)
{
	char	 name[17] = "";

	if (fault_loop_thread == NULL || fault_loop_file == NULL ||
	    access(fault_loop_file, F_OK) == -1)
		return (0);
	if (prctl(PR_GET_NAME, name) == -1 ||
	    strcmp(name, fault_loop_thread) != 0)
		return (0);
	errno = EINVAL;
	return (1);
}

int
epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (fault_loop_fails())
		return (-1);
	return ((int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, NULL,
	    (size_t)8));
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int	(*real)(struct pollfd *, nfds_t, int);

	if (fault_loop_fails())
		return (-1);
	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT,
		    "poll");
	return (real(fds, n, timeout));
}

int
select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	static int	(*real)(int, fd_set *, fd_set *, fd_set *,
			    struct timeval *);

	if (fault_loop_fails())
		return (-1);
	if (real == NULL)
		real = (int (*)(int, fd_set *, fd_set *, fd_set *,
		    struct timeval *))dlsym(RTLD_NEXT, "select");
	return (real(n, r, w, e, tv));
}

/* Whether m asks the kernel to cut it into datagrams. */
static int
fault_is_segmented(struct msghdr *m)
{
	struct cmsghdr	*c;

	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT)
			return (1);
	}
	return (0);
}

/*
 * With EVECHO_FAULT_GSO, the messages before the first segmented one go
 * out, as sendmmsg() sends a batch up to a failure; that one fails.
 */
int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	static const char	 msg[] = "faultinject: refusing a segmented "
				    "UDP message\n";
	unsigned int		 i;

	for (i = 0; fault_gso && i < n; i++) {
		if (fault_is_segmented(&v[i].msg_hdr))
			break;
	}
	if (fault_gso && i == 0 && n > 0) {
		if (write(STDERR_FILENO, msg, sizeof msg - 1) == -1) {
			/* nowhere to say it */
		}
		errno = EINVAL;
		return (-1);
	}
	return ((int)syscall(SYS_sendmmsg, fd, v, fault_gso ? i : n, flags));
}

/* The wall clock, stepped once the clock file exists. */
static long
fault_clock_offset(void)
{
	if (fault_clock_file == NULL || access(fault_clock_file, F_OK) == -1)
		return (0);
	return (fault_clock_step);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 rc = (int)syscall(SYS_clock_gettime, id, ts);

	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += fault_clock_offset();
	return (rc);
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec	 ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (-1);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return (0);
}

/*
 * daemonize.c: fork, a session of the child's own, and a readiness pipe
 * from child to parent.  The child writes one byte on it: 0 once it is
 * serving, or the exit status of its failed start-up.  The parent blocks
 * on the pipe and exits with that byte; if the pipe closes empty, the
 * child died without a word, and its wait status says how.
 *
 * The fork comes before any thread or event loop exists: fork(2) copies
 * only the thread that calls it, and an event loop's descriptors would
 * be shared with a parent about to exit.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemonize.h"

#define DAEMONIZE_READY		0	/* the byte that says "serving" */

/* The child's end of the readiness pipe: -1 in the parent, or once used. */
static int daemonize_fd = -1;
/* /dev/null, opened early: a --chroot would hide it by the time it serves. */
static int daemonize_null = -1;

static int	daemonize_wait(int, pid_t, char *, size_t);
static void	daemonize_report(int);

/*
 * Fork.  Returns 0 in the child, which is then in a session of its own
 * with / as its directory; 1 in the parent, once the child has reported,
 * with the status to exit with in *status and, if the child could not
 * say why it failed, a sentence in err (else err is empty); -1 on
 * failure, with a sentence in err (in the child, which must then report
 * it with daemonize_fail()).
 */
int
daemonize_begin(int *status, char *err, size_t errlen)
{
	int	 fds[2];
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "cannot create the readiness pipe: %s",
		    strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	if (pid != 0) {
		close(fds[1]);
		if (errlen > 0)
			err[0] = '\0';
		*status = daemonize_wait(fds[0], pid, err, errlen);
		close(fds[0]);
		return (1);
	}
	close(fds[0]);
	daemonize_fd = fds[1];
	/* No controlling terminal, so no SIGHUP when the shell's ends. */
	if (setsid() == -1) {
		snprintf(err, errlen, "setsid: %s", strerror(errno));
		return (-1);
	}
	/* Hold no directory busy; the paths --daemon takes are absolute. */
	if (chdir("/") == -1) {
		snprintf(err, errlen, "cannot change directory to /: %s",
		    strerror(errno));
		return (-1);
	}
	if ((daemonize_null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open /dev/null: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * In the parent: the child's report on the pipe, or, if it closed the
 * pipe by dying first, what its wait status says.  The exit status.
 */
static int
daemonize_wait(int fd, pid_t pid, char *err, size_t errlen)
{
	unsigned char	 byte;
	ssize_t		 n;
	int		 st;

	while ((n = read(fd, &byte, 1)) == -1 && errno == EINTR)
		;
	if (n == 1)
		return (byte);	/* 0 when ready, else the child's status */
	if (n == -1) {
		snprintf(err, errlen, "cannot read the daemon's readiness: %s",
		    strerror(errno));
		return (EX_SOFTWARE);
	}
	/* Empty and closed: the child has exited, or is about to. */
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			snprintf(err, errlen, "the daemon ended before it was "
			    "ready: waitpid: %s", strerror(errno));
			return (EX_SOFTWARE);
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return (WEXITSTATUS(st));	/* it said why on stderr */
	if (WIFSIGNALED(st))
		snprintf(err, errlen, "the daemon was killed by signal %d (%s) "
		    "before it was ready", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(err, errlen, "the daemon exited before it was ready");
	return (EX_SOFTWARE);
}

/*
 * In the child, once it serves: standard input, output and error to
 * /dev/null, then the ready byte, so that the parent exits 0 only when
 * nothing that could still fail is left.  Does nothing without --daemon.
 * -1 with a sentence in err if the descriptors cannot be moved.
 */
int
daemonize_ready(char *err, size_t errlen)
{
	int	 rc = 0;

	if (daemonize_fd == -1)
		return (0);
	if (dup2(daemonize_null, STDIN_FILENO) == -1 ||
	    dup2(daemonize_null, STDOUT_FILENO) == -1 ||
	    dup2(daemonize_null, STDERR_FILENO) == -1) {
		snprintf(err, errlen, "cannot redirect to /dev/null: %s",
		    strerror(errno));
		rc = -1;
	}
	if (daemonize_null > STDERR_FILENO)
		close(daemonize_null);
	daemonize_null = -1;
	if (rc == 0)
		daemonize_report(DAEMONIZE_READY);
	return (rc);
}

/*
 * In the child, when start-up failed (after saying why on standard
 * error): the parent exits with status.  Does nothing without --daemon.
 */
void
daemonize_fail(int status)
{
	if (status <= 0 || status > 255)
		status = EX_SOFTWARE;	/* 0 would read as "ready" */
	daemonize_report(status);
}

/* Write the one byte the parent waits for, and close the pipe. */
static void
daemonize_report(int status)
{
	unsigned char	 byte = (unsigned char)status;

	if (daemonize_fd == -1)
		return;
	/* EPIPE if the parent was killed meanwhile: nobody to tell. */
	while (write(daemonize_fd, &byte, 1) == -1 && errno == EINTR)
		;
	close(daemonize_fd);
	daemonize_fd = -1;
}

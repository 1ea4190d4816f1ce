/*
 * log.c: leveled, timestamped log lines on stderr, with libevent's own
 * messages routed through the same path.
 */
#include "autoconfig.h"

#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

#define LOG_LINE_MAX	1024

int log_verbosity_ = LOG_INFO;

static void	log_line(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	log_libevent_cb(int, const char *);
static void	log_fatal_cb(int);

/* Set the level and take over libevent's warnings, so none leak raw. */
void
log_init(int verbosity)
{
	if (verbosity < LOG_ERROR)
		verbosity = LOG_ERROR;
	if (verbosity > LOG_DEBUG)
		verbosity = LOG_DEBUG;
	log_verbosity_ = verbosity;
	event_set_log_callback(log_libevent_cb);
	event_set_fatal_callback(log_fatal_cb);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error: ", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

/*
 * Format "2026-11-23T18:58:53.123+0000 <prefix><message>\n" into one buffer
 * and write it at once; a message too long for the buffer is cut, not lost.
 */
static void
log_line(const char *prefix, const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX];
	struct timeval	 tv;
	struct tm	 tm;
	size_t		 len = 0;
	int		 n, saved_errno = errno;

	if (gettimeofday(&tv, NULL) == 0 &&
	    localtime_r(&tv.tv_sec, &tm) != NULL) {
		char date[32], zone[8];

		strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof zone, "%z", &tm);
		n = snprintf(line, sizeof line, "%s.%03ld%s ", date,
		    (long)tv.tv_usec / 1000, zone);
		if (n > 0)
			len = (size_t)n;
	}
	n = snprintf(line + len, sizeof line - len, "%s", prefix);
	if (n > 0)
		len += (size_t)n;
	if (len < sizeof line) {
		n = vsnprintf(line + len, sizeof line - len, fmt, ap);
		if (n > 0)
			len += (size_t)n;
	}
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';

	if (write(STDERR_FILENO, line, len) == -1) {
		/* stderr is gone: there is nowhere left to say so. */
	}
	errno = saved_errno;
}

/* libevent's messages, marked as such, at the matching level. */
static void
log_libevent_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_msg(LOG_DEBUG, "libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_msg(LOG_INFO, "libevent: %s", msg);
		break;
	case EVENT_LOG_WARN:
		log_warn("libevent: %s", msg);
		break;
	default:
		log_error("libevent: %s", msg);
		break;
	}
}

/* libevent found its own state corrupt: say so, then stop hard. */
static void
log_fatal_cb(int err)
{
	log_error("libevent: fatal internal error %d, aborting", err);
	abort();
}

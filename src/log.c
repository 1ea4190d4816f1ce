/*
 * log.c: log lines formatted as text or JSON and handed to the sink, with
 * libevent's own messages routed through the same path.
 */
#include "autoconfig.h"

#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"

#define LOG_FIELD_MAX	192	/* bytes of a JSON string field, quoted */

/* How a line is marked: its level, or a warning, which -q still shows. */
enum log_severity {
	LOG_SEV_ERROR,
	LOG_SEV_WARN,
	LOG_SEV_INFO,
	LOG_SEV_CONN,
	LOG_SEV_DEBUG
};

static const struct {
	const char	*name;		/* in JSON */
	const char	*prefix;	/* in text */
	int		 prio;		/* for syslog */
} log_severities[] = {
	[LOG_SEV_ERROR] = { "error", "error: ", LOG_ERR },
	[LOG_SEV_WARN] = { "warning", "warning: ", LOG_WARNING },
	[LOG_SEV_INFO] = { "info", "", LOG_INFO },
	[LOG_SEV_CONN] = { "conn", "", LOG_INFO },
	[LOG_SEV_DEBUG] = { "debug", "", LOG_DEBUG },
};

int log_verbosity_ = LOGLV_INFO;
static enum log_format log_format_ = LOG_FORMAT_TEXT;

static enum log_severity
log_severity_of(int level)
{
	switch (level) {
	case LOGLV_ERROR:
		return (LOG_SEV_ERROR);
	case LOGLV_INFO:
		return (LOG_SEV_INFO);
	case LOGLV_CONN:
		return (LOG_SEV_CONN);
	default:
		return (LOG_SEV_DEBUG);
	}
}

static void	log_line(enum log_severity, const struct log_fields *,
		    const char *, va_list) __attribute__((format(printf, 3, 0)));
static size_t	log_text(char *, size_t, enum log_severity, const char *);
static size_t	log_json(char *, size_t, enum log_severity,
		    const struct log_fields *, const char *);
static size_t	log_stamp(char *, size_t);
static size_t	log_lost_line(char *, size_t, uint64_t);
static void	log_libevent_cb(int, const char *);
static void	log_fatal_cb(int);

/*
 * Set the level and format, open the sink, and take over libevent's
 * warnings, so none leak raw.  Lines are written at once until
 * log_start().  On failure, a sentence in err.
 */
int
log_init(const struct log_options *opt, char *err, size_t errlen)
{
	struct logsink_config	 sink = opt->sink;
	int			 verbosity = opt->verbosity;

	if (verbosity < LOGLV_ERROR)
		verbosity = LOGLV_ERROR;
	if (verbosity > LOGLV_DEBUG)
		verbosity = LOGLV_DEBUG;
	log_verbosity_ = verbosity;
	log_format_ = opt->format;
	sink.lost_line = log_lost_line;
	if (logsink_open(&sink, err, errlen) == -1)
		return (-1);
	event_set_log_callback(log_libevent_cb);
	event_set_fatal_callback(log_fatal_cb);
	return (0);
}

/* From now on no line waits on the sink: the event loops are running. */
int
log_start(char *err, size_t errlen)
{
	return (logsink_start(err, errlen));
}

/* SIGHUP: reopen the log file. */
void
log_reopen(void)
{
	logsink_reopen();
}

/* Write out what is queued; lines are written at once again. */
void
log_stop(void)
{
	logsink_stop();
	logsink_close();
}

/* Lines lost because the sink could not keep up or failed. */
uint64_t
log_dropped(void)
{
	return (logsink_dropped());
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_SEV_ERROR, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_SEV_WARN, NULL, fmt, ap);
	va_end(ap);
}

/* A line at level; about what f says, if f is not NULL. */
void
log_event(int level, const struct log_fields *f, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_line(log_severity_of(level), f, fmt, ap);
	va_end(ap);
}

/*
 * Whether a line of a flood may go out now: one per LOG_FLOOD_MS.  If
 * so, *held says how many were held back since the last one went out.
 */
int
log_flood_pass(struct log_flood *fl, unsigned long *held)
{
	uint64_t	 now = clock_coarse_ms();

	if (fl->next_ms != 0 && now < fl->next_ms) {
		fl->held++;
		return (0);
	}
	*held = fl->held;
	fl->held = 0;
	fl->next_ms = now + LOG_FLOOD_MS;
	return (1);
}

/* "" or " (and 12 more like it in the last 10 s)", for a flood's line. */
const char *
log_flood_note(unsigned long held, char *buf, size_t len)
{
	if (held == 0)
		return ("");
	snprintf(buf, len, " (and %lu more like it in the last %d s)", held,
	    LOG_FLOOD_MS / 1000);
	return (buf);
}

/*
 * Format the message, then the line around it, into one buffer for the
 * sink; a message too long for it is cut, not lost.
 */
static void
log_line(enum log_severity sev, const struct log_fields *f, const char *fmt,
    va_list ap)
{
	char	 msg[LOGSINK_LINE_MAX], line[LOGSINK_LINE_MAX];
	size_t	 len;
	int	 saved_errno = errno;

	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	if (log_format_ == LOG_FORMAT_JSON)
		len = log_json(line, sizeof line, sev, f, msg);
	else
		len = log_text(line, sizeof line, sev, msg);
	logsink_put(log_severities[sev].prio, line, len);
	errno = saved_errno;
}

/* Append s to buf[*len..size), cutting it to leave room for a newline. */
static void
log_append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t	 n = strlen(s);

	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
}

/*
 * "2026-11-23T18:58:53.123+0000 warning: <message>\n"; for syslog, which
 * has the time and the severity already, "<message>\n".
 */
static size_t
log_text(char *buf, size_t size, enum log_severity sev, const char *msg)
{
	size_t	 len = 0;

	if (!logsink_is_syslog()) {
		len = log_stamp(buf, size);
		log_append(buf, size, &len, " ");
		log_append(buf, size, &len, log_severities[sev].prefix);
	}
	log_append(buf, size, &len, msg);
	buf[len++] = '\n';
	return (len);
}

/*
 * Append s as a JSON string, escaped, in at most max bytes, always leaving
 * room to close the object and the line.  Fields are held to
 * LOG_FIELD_MAX, so that all of them fit in a line and only the message,
 * which comes last, is ever cut.
 */
static void
log_append_json(char *buf, size_t size, size_t *len, const char *s,
    size_t max)
{
	size_t		 n = *len, need, end = size - 2;	/* "}\n" */
	unsigned char	 ch;

	if (end > n + max)
		end = n + max;
	if (n + 2 > end)
		return;		/* cannot happen: fields are held short */
	buf[n++] = '"';
	for (; (ch = (unsigned char)*s) != '\0'; s++) {
		/* Bytes past ASCII (a path's) as \u00XX: valid JSON always. */
		need = ch == '"' || ch == '\\' ? 2 :
		    ch < 0x20 || ch >= 0x7f ? 6 : 1;
		if (n + need + 1 > end)
			break;		/* room for the closing quote */
		if (need == 1)
			buf[n++] = (char)ch;
		else if (need == 2) {
			buf[n++] = '\\';
			buf[n++] = (char)ch;
		} else {
			snprintf(buf + n, 7, "\\u%04x", ch);
			n += 6;
		}
	}
	buf[n++] = '"';
	*len = n;
}

static void
log_append_field(char *buf, size_t size, size_t *len, const char *name,
    const char *value)
{
	log_append(buf, size, len, ",\"");
	log_append(buf, size, len, name);
	log_append(buf, size, len, "\":");
	log_append_json(buf, size, len, value, LOG_FIELD_MAX);
}

static void
log_append_number(char *buf, size_t size, size_t *len, const char *name,
    unsigned long long value)
{
	char	 num[48];

	snprintf(num, sizeof num, ",\"%s\":%llu", name, value);
	log_append(buf, size, len, num);
}

/*
 * {"time":"...","level":"conn","event":"closed","peer":"...",...,
 * "msg":"..."}: one object per line.  The message goes last, so that
 * cutting it, if it must be, leaves every field whole.
 */
static size_t
log_json(char *buf, size_t size, enum log_severity sev,
    const struct log_fields *f, const char *msg)
{
	char	 stamp[64], num[48];
	size_t	 len = 0;

	log_stamp(stamp, sizeof stamp);
	log_append(buf, size, &len, "{\"time\":");
	log_append_json(buf, size, &len, stamp, LOG_FIELD_MAX);
	log_append_field(buf, size, &len, "level", log_severities[sev].name);
	log_append_field(buf, size, &len, "event", f != NULL &&
	    f->event != NULL ? f->event : "message");
	if (f != NULL) {
		if (f->peer != NULL)
			log_append_field(buf, size, &len, "peer", f->peer);
		if (f->via != NULL)
			log_append_field(buf, size, &len, "via", f->via);
		if (f->proto != NULL)
			log_append_field(buf, size, &len, "proto", f->proto);
		if (f->has & LOG_HAS_CRED) {
			log_append_number(buf, size, &len, "pid",
			    (unsigned long long)f->pid);
			log_append_number(buf, size, &len, "uid", f->uid);
		}
		if (f->has & LOG_HAS_WORKER)
			log_append_number(buf, size, &len, "worker",
			    f->worker);
		if (f->reason != NULL)
			log_append_field(buf, size, &len, "reason",
			    f->reason);
		if (f->has & LOG_HAS_BYTES) {
			log_append_number(buf, size, &len, "bytes_in",
			    (unsigned long long)f->bytes_in);
			log_append_number(buf, size, &len, "bytes_out",
			    (unsigned long long)f->bytes_out);
		}
		if (f->has & LOG_HAS_DURATION) {
			snprintf(num, sizeof num, ",\"duration\":%llu.%03llu",
			    (unsigned long long)(f->duration_ms / 1000),
			    (unsigned long long)(f->duration_ms % 1000));
			log_append(buf, size, &len, num);
		}
	}
	log_append(buf, size, &len, ",\"msg\":");
	log_append_json(buf, size, &len, msg, size);
	/* log_append_json left room for these two. */
	buf[len++] = '}';
	buf[len++] = '\n';
	return (len);
}

/* The local time, to the millisecond: "2026-11-23T18:58:53.123+0000". */
static size_t
log_stamp(char *buf, size_t size)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 date[32], zone[8];
	int		 n;

	if (gettimeofday(&tv, NULL) == -1 ||
	    localtime_r(&tv.tv_sec, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof zone, "%z", &tm) == 0)
		return ((size_t)snprintf(buf, size, "-"));
	n = snprintf(buf, size, "%s.%03ld%s", date, (long)tv.tv_usec / 1000,
	    zone);
	return (n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1);
}

/* For the writer: the line that says lost lines were dropped. */
static size_t
log_lost_line(char *buf, size_t size, uint64_t lost)
{
	char	 msg[128];

	snprintf(msg, sizeof msg, "%llu log line%s lost: the log could not "
	    "keep up", (unsigned long long)lost, lost == 1 ? "" : "s");
	if (log_format_ == LOG_FORMAT_JSON) {
		struct log_fields f = { .event = "log lost" };

		return (log_json(buf, size, LOG_SEV_WARN, &f, msg));
	}
	return (log_text(buf, size, LOG_SEV_WARN, msg));
}

/* libevent's messages, marked as such, at the matching level. */
static void
log_libevent_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_msg(LOGLV_DEBUG, "libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_msg(LOGLV_INFO, "libevent: %s", msg);
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
	log_stop();
	abort();
}

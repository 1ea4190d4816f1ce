/*
 * log.h: leveled log lines, as text or as JSON objects, to stderr, a file
 * or syslog (logsink.h), never blocking an event loop.
 *
 * The level is chosen once at start-up and only read afterwards, so the
 * connection path may test it without locks.
 */
#ifndef EVECHO_LOG_H
#define EVECHO_LOG_H

#include <stdint.h>

#include "logsink.h"

/* Not LOG_INFO and the like: those are <syslog.h>'s priorities. */
enum log_level {
	LOGLV_ERROR = 0,	/* errors and warnings only (-q) */
	LOGLV_INFO = 1,		/* start, listeners, stop (default) */
	LOGLV_CONN = 2,		/* one line per connection open and close (-v) */
	LOGLV_DEBUG = 3		/* per-read detail (-vv) */
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON		/* one object per line */
};

struct log_options {
	int			 verbosity;	/* enum log_level */
	enum log_format		 format;
	struct logsink_config	 sink;
};

/*
 * What a line is about, for JSON; the text form has it all in its
 * message.  Unset strings (NULL) and numbers (has) are left out.
 */
struct log_fields {
	const char		*event;		/* "connected", "closed", ... */
	const char		*peer;
	const char		*reason;
	const char		*via;		/* the proxy it came through */
	const char		*proto;		/* "proxy v2", "TLSv1.3"... */
	uint64_t		 bytes_in, bytes_out;
	uint64_t		 duration_ms;
	unsigned		 worker;
	long			 pid;		/* a Unix-domain client's */
	unsigned long		 uid;
	unsigned		 has;		/* LOG_HAS_* */
};

#define LOG_HAS_BYTES		0x1
#define LOG_HAS_DURATION	0x2
#define LOG_HAS_WORKER		0x4
#define LOG_HAS_CRED		0x8	/* pid and uid */

/* Read-only after log_init(); use log_enabled() rather than this. */
extern int log_verbosity_;

int	log_init(const struct log_options *, char *, size_t);
int	log_start(char *, size_t);
void	log_reopen(void);
void	log_stop(void);
uint64_t
	log_dropped(void);

static inline int
log_enabled(int level)
{
	return level <= log_verbosity_;
}

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_event(int, const struct log_fields *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* A line at level, if -q, -v or -vv let it through. */
#define log_msg(level, ...)	log_event((level), NULL, __VA_ARGS__)

/*
 * A flood of one kind of line (accept failures, refusals) summarised:
 * at most one line per interval, saying how many were held back since
 * the last.  Each belongs to one thread.
 */
struct log_flood {
	uint64_t		 next_ms;	/* quiet until then */
	unsigned long		 held;		/* held back since the last */
};

#define LOG_FLOOD_MS		10000	/* one line of a kind per 10 s */

int	log_flood_pass(struct log_flood *, unsigned long *);
const char *
	log_flood_note(unsigned long, char *, size_t);

#endif /* EVECHO_LOG_H */

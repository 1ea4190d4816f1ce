/*
 * log.h: leveled, timestamped log lines on stderr.
 *
 * The level is chosen once at start-up and only read afterwards, so the
 * connection path may test it without locks.  Each line is written with a
 * single write(2), so lines from several threads never interleave.
 */
#ifndef EVECHO_LOG_H
#define EVECHO_LOG_H

enum log_level {
	LOG_ERROR = 0,		/* errors and warnings only (-q) */
	LOG_INFO = 1,		/* start, listeners, stop (default) */
	LOG_CONN = 2,		/* one line per connection open and close (-v) */
	LOG_DEBUG = 3		/* per-read detail (-vv) */
};

/* Read-only after log_init(); use log_enabled() rather than this. */
extern int log_verbosity_;

void	log_init(int);

static inline int
log_enabled(int level)
{
	return level <= log_verbosity_;
}

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_msg(int, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif /* EVECHO_LOG_H */

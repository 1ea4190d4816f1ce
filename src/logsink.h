/*
 * logsink.h: where log lines go, without ever blocking an event loop.
 *
 * Until logsink_start(), and after logsink_stop(), a line is written at
 * once by the thread that logs it: start-up and shut-down have no loop to
 * stall.  In between, lines go through a bounded queue to a writer thread
 * of their own, started at the first such line; when the sink cannot keep
 * up and the queue is full, lines
 * are dropped and counted, and once the writer can write again one line
 * says how many were lost.
 */
#ifndef EVECHO_LOGSINK_H
#define EVECHO_LOGSINK_H

#include <stddef.h>
#include <stdint.h>

#define LOGSINK_LINE_MAX	1024	/* longer lines are cut */

enum logsink_kind {
	LOGSINK_STDERR,
	LOGSINK_FILE,		/* appended to; reopened on request */
	LOGSINK_SYSLOG
};

struct logsink_config {
	enum logsink_kind	 kind;
	const char		*path;		/* LOGSINK_FILE */
	int			 facility;	/* LOGSINK_SYSLOG: LOG_DAEMON... */
	/* Formats the line that says n lines were lost; NULL: a default. */
	size_t			(*lost_line)(char *, size_t, uint64_t);
};

int	logsink_open(const struct logsink_config *, char *, size_t);
int	logsink_start(char *, size_t);
void	logsink_put(int, const char *, size_t);
void	logsink_reopen(void);
void	logsink_stop(void);
void	logsink_close(void);
uint64_t
	logsink_dropped(void);
int	logsink_is_syslog(void);

#endif /* EVECHO_LOGSINK_H */

/*
 * daemonize.h: --daemon.  The process forks; the parent waits until the
 * child says it is serving, or why it is not, and exits with that, so
 * that "evecho --daemon && echo up" tells the truth.  The child keeps the
 * terminal's standard error until it is ready, so that a start-up error
 * still reaches the user.
 */
#ifndef EVECHO_DAEMONIZE_H
#define EVECHO_DAEMONIZE_H

#include <stddef.h>

int	daemonize_begin(int *, char *, size_t);
int	daemonize_ready(char *, size_t);
void	daemonize_fail(int);

#endif /* EVECHO_DAEMONIZE_H */

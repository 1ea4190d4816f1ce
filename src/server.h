/*
 * server.h: the service as a whole: start-up in order, the workers,
 * signals and the orderly shutdown, and the exit status.
 */
#ifndef EVECHO_SERVER_H
#define EVECHO_SERVER_H

#include <stddef.h>

struct config;
struct server;
struct stats_report;

int	server_open(struct server **, const struct config *, char *, size_t);
int	server_start(struct server *, char *, size_t);
int	server_run(struct server *);
void	server_free(struct server *);
void	server_report(struct server *, struct stats_report *);

#endif /* EVECHO_SERVER_H */

/*
 * bench_target.h: the server under load: its [HOST:]PORT (or unix:PATH,
 * as evecho's -l writes a Unix-domain socket) as typed, the
 * address chosen for it by a first test connection, and the non-blocking
 * connects every load connection starts from there.
 */
#ifndef EVECHO_BENCH_TARGET_H
#define EVECHO_BENCH_TARGET_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define TARGET_DEFAULT_HOST	"127.0.0.1"
#define TARGET_HOST_MAX		256	/* longest host name, plus NUL */

struct target {
	char			 host[TARGET_HOST_MAX];	/* as typed, no [] */
	uint16_t		 port;			/* 1-65535; 0: path */
	char			 path[ADDR_PATH_MAX];	/* unix:PATH, or "" */
	int			 dgram;		/* UDP, not TCP */
	struct sockaddr_storage	 ss;		/* set by target_probe() */
	socklen_t		 sslen;
	char			 name[ADDR_STRLEN];	/* ss for messages */
};

int	target_parse(struct target *, const char *, char *, size_t);
int	target_probe(struct target *, int, char *, size_t);
int	target_connect(const struct target *, int *);

#endif /* EVECHO_BENCH_TARGET_H */

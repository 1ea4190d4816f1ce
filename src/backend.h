/*
 * backend.h: libevent event bases on the backend the user asked for.
 */
#ifndef EVECHO_BACKEND_H
#define EVECHO_BACKEND_H

#include <stddef.h>

struct event_base;

struct event_base *
	backend_new_base(const char *, int *, char *, size_t);
int	backend_is(struct event_base *, const char *);

#endif /* EVECHO_BACKEND_H */

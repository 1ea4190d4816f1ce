/*
 * transform.h: optional rewriting of echoed bytes, done in place on the
 * bytes just read, so the echo still moves chains instead of copying them.
 */
#ifndef EVECHO_TRANSFORM_H
#define EVECHO_TRANSFORM_H

#include <stddef.h>

struct evbuffer;

void	transform_upper(unsigned char *, size_t);
void	transform_upper_buffer(struct evbuffer *);

#endif /* EVECHO_TRANSFORM_H */

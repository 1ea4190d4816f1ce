/*
 * transform.c: the -U transform.  Only ASCII a-z change; every other byte,
 * including bytes >= 0x80 of UTF-8 text, passes unchanged, whatever the
 * locale.
 */
#include "autoconfig.h"

#include <stddef.h>

#include <event2/buffer.h>

#include "transform.h"

#define TRANSFORM_IOVECS	16	/* extents examined per peek */

/* Upper-case ASCII letters in place; locale-independent by design. */
void
transform_upper(unsigned char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
	}
}

/*
 * Upper-case everything in buf where it lies, extent by extent, with no
 * copy.  The input buffer of a socket bufferevent holds only chains libevent
 * allocated for reading, so writing into them is safe.
 */
int
transform_upper_evbuffer(struct evbuffer *buf)
{
	struct evbuffer_iovec	 vec[TRANSFORM_IOVECS];
	struct evbuffer_ptr	 pos;
	int			 i, n;

	if (evbuffer_ptr_set(buf, &pos, 0, EVBUFFER_PTR_SET) == -1)
		return (-1);
	for (;;) {
		size_t done = 0;

		n = evbuffer_peek(buf, -1, &pos, vec, TRANSFORM_IOVECS);
		if (n < 0)
			return (-1);
		if (n > TRANSFORM_IOVECS)
			n = TRANSFORM_IOVECS;
		for (i = 0; i < n; i++) {
			transform_upper(vec[i].iov_base, vec[i].iov_len);
			done += vec[i].iov_len;
		}
		/* A short answer means every extent has been seen. */
		if (n < TRANSFORM_IOVECS || done == 0)
			return (0);
		if (evbuffer_ptr_set(buf, &pos, done, EVBUFFER_PTR_ADD) == -1)
			return (-1);
	}
}

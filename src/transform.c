/*
 * transform.c: the -U transform.  Only ASCII a-z change; every other byte,
 * including bytes >= 0x80 of UTF-8 text, passes unchanged, whatever the
 * locale.
 */
#include "autoconfig.h"

#include <stddef.h>

#include <event2/buffer.h>

#include "transform.h"

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
 * Upper-case all of buf in place, chain by chain: for TLS's plaintext,
 * whose chains SSL_read() wrote and are ours.  Asked for the whole
 * buffer (-1), evbuffer_peek() fills at most the iovecs it is given and
 * says no more, so a full batch means: look again after it.
 */
void
transform_upper_buffer(struct evbuffer *buf)
{
	struct evbuffer_iovec	 v[4];
	struct evbuffer_ptr	 at;
	int			 i, n;

	if (evbuffer_ptr_set(buf, &at, 0, EVBUFFER_PTR_SET) == -1)
		return;
	while ((n = evbuffer_peek(buf, -1, &at, v, 4)) > 0) {
		for (i = 0; i < n && i < 4; i++) {
			transform_upper(v[i].iov_base, v[i].iov_len);
			evbuffer_ptr_set(buf, &at, v[i].iov_len,
			    EVBUFFER_PTR_ADD);
		}
		if (n < 4)
			break;
	}
}

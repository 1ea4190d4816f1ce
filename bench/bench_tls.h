/*
 * bench_tls.h: evecho-bench's TLS client side (--tls): a context per
 * load thread, and per connection an SSL over its non-blocking socket,
 * read and written as read(2) and write(2) would be.  Without OpenSSL
 * the options are refused, and these are never called.
 */
#ifndef EVECHO_BENCH_TLS_H
#define EVECHO_BENCH_TLS_H

#include <sys/types.h>

#include <stddef.h>

struct ssl_ctx_st;
struct ssl_st;

/* What a handshake step needs next. */
enum btls_step {
	BTLS_DONE,		/* the handshake is over */
	BTLS_WANT_READ,		/* wait for the socket to be readable */
	BTLS_WANT_WRITE,	/* wait for it to be writable */
	BTLS_FAILED		/* see btls_error() */
};

#ifdef HAVE_OPENSSL
struct ssl_ctx_st *
	btls_ctx_new(int, char *, size_t);
void	btls_ctx_free(struct ssl_ctx_st *);
struct ssl_st *
	btls_new(struct ssl_ctx_st *, int, const char *);
enum btls_step
	btls_handshake(struct ssl_st *, char *, size_t);
ssize_t	btls_read(struct ssl_st *, void *, size_t);
ssize_t	btls_write(struct ssl_st *, const void *, size_t);
int	btls_pending(struct ssl_st *);
void	btls_free(struct ssl_st *);
#else
static inline int
btls_pending(struct ssl_st *ssl)
{
	(void)ssl;
	return (0);
}
#endif /* HAVE_OPENSSL */

#endif /* EVECHO_BENCH_TLS_H */

/*
 * bench_tls.c: TLS for evecho-bench's connections.
 *
 * Each load thread has its own context, so that no lock is shared on the
 * hot path.  Every connection does a full handshake (no session reuse):
 * churn over TLS measures handshakes.  With verification on, the server
 * must show a certificate the system trusts for the target's host name;
 * --tls-no-verify takes any, for test certificates.  Either way every
 * byte of echo is checked, as over plain TCP.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "bench_tls.h"

static void	btls_reason(char *, size_t);
static ssize_t	btls_failed(SSL *, int);

/* A client context: TLS 1.2 or later; verify says whether to check. */
SSL_CTX *
btls_ctx_new(int verify, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (verify && SSL_CTX_set_default_verify_paths(ctx) != 1)) {
		snprintf(err, errlen, "cannot set up TLS: ");
		btls_reason(err + strlen(err), errlen - strlen(err));
		SSL_CTX_free(ctx);
		return (NULL);
	}
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	/* write(2)'s contract: a short write is fine, the buffer moves. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return (ctx);
}

void
btls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

/* A client SSL over fd, for host (SNI, and the name verified); or NULL. */
SSL *
btls_new(SSL_CTX *ctx, int fd, const char *host)
{
	SSL		*ssl;
	struct in6_addr	 ip;
	int		 literal, verify;

	if ((ssl = SSL_new(ctx)) == NULL)
		return (NULL);
	/* An address is no server name (RFC 6066): no SNI, and the
	   certificate must name the address itself.  A unix: target has
	   neither: its chain is checked, no name. */
	literal = inet_pton(AF_INET, host, &ip) == 1 ||
	    inet_pton(AF_INET6, host, &ip) == 1;
	verify = SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE;
	if (*host == '\0')
		literal = verify = 0;
	if (SSL_set_fd(ssl, fd) != 1 || (*host != '\0' &&
	    !literal && SSL_set_tlsext_host_name(ssl, host) != 1) ||
	    (verify && !literal && SSL_set1_host(ssl, host) != 1) ||
	    (verify && literal && X509_VERIFY_PARAM_set1_ip_asc(
	    SSL_get0_param(ssl), host) != 1)) {
		SSL_free(ssl);
		ERR_clear_error();
		return (NULL);
	}
	SSL_set_connect_state(ssl);
	return (ssl);
}

/* One step of the handshake; on failure, why in err. */
enum btls_step
btls_handshake(SSL *ssl, char *err, size_t errlen)
{
	int	 r;

	if ((r = SSL_do_handshake(ssl)) == 1)
		return (BTLS_DONE);
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return (BTLS_WANT_READ);
	case SSL_ERROR_WANT_WRITE:
		return (BTLS_WANT_WRITE);
	default:
		if (SSL_get_verify_result(ssl) != X509_V_OK) {
			snprintf(err, errlen, "certificate not trusted: %s "
			    "(--tls-no-verify takes any)",
			    X509_verify_cert_error_string(
			    SSL_get_verify_result(ssl)));
			ERR_clear_error();
		} else
			btls_reason(err, errlen);
		return (BTLS_FAILED);
	}
}

/*
 * As read(2): bytes read, 0 at the server's close_notify (or its FIN), or
 * -1 with errno EAGAIN (nothing yet) or EIO, EPROTO.
 */
ssize_t
btls_read(SSL *ssl, void *buf, size_t len)
{
	int	 r = SSL_read(ssl, buf, len > INT_MAX ? INT_MAX : (int)len);

	return (r > 0 ? r : btls_failed(ssl, r));
}

/* As write(2): bytes written, or -1 with errno EAGAIN, EPIPE, EPROTO. */
ssize_t
btls_write(SSL *ssl, const void *buf, size_t len)
{
	int	 r = SSL_write(ssl, buf, len > INT_MAX ? INT_MAX : (int)len);

	if (r > 0)
		return (r);
	if (btls_failed(ssl, r) == 0) {		/* close_notify: no write */
		errno = EPROTO;
		return (-1);
	}
	return (-1);
}

/*
 * What an SSL_read() or SSL_write() that returned r <= 0 means, as the
 * system call would say it: -1 with errno EAGAIN (wait), EPIPE or EPROTO;
 * or 0, the peer's close_notify (only a read sees it).
 */
static ssize_t
btls_failed(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return (-1);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			errno = EPIPE;
		return (-1);
	default:
		ERR_clear_error();
		errno = EPROTO;
		return (-1);
	}
}

/* Decrypted bytes waiting in OpenSSL: no socket event will say so. */
int
btls_pending(SSL *ssl)
{
	return (SSL_pending(ssl));
}

/* The connection is over: say so with close_notify, if the socket takes
   it now, and let the SSL go. */
void
btls_free(SSL *ssl)
{
	if (ssl == NULL)
		return;
	(void)SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
}

/* The oldest error OpenSSL queued, as a reason; the queue is emptied. */
static void
btls_reason(char *buf, size_t len)
{
	unsigned long	 e = ERR_get_error();
	const char	*r = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r != NULL ? r : e != 0 ? "TLS error" :
	    errno != 0 ? strerror(errno) : "connection closed");
	ERR_clear_error();
}

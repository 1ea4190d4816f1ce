/*
 * conn_tls.h: the TLS transport of a connection on a ",tls" listener: an
 * OpenSSL bufferevent from its first byte (or from the first byte after
 * its PROXY header), the handshake within --handshake-timeout, and
 * close_notify before FIN.  Built only with OpenSSL; without it a ",tls"
 * listener is refused at start-up, so the stubs below are never reached.
 */
#ifndef EVECHO_CONN_TLS_H
#define EVECHO_CONN_TLS_H

#include <stddef.h>

#include <event2/event_struct.h>

struct conn;

#ifdef HAVE_OPENSSL
/* Bytes OpenSSL may decrypt into the input at a time: a TLS record. */
#define CONN_TLS_READ_MAX	16384

struct conn_tls {
	struct event	 timer;		/* the handshake's deadline */
};

int	conn_tls_start(struct conn *);
void	conn_tls_free(struct conn *);
#else
static inline int
conn_tls_start(struct conn *c)
{
	(void)c;
	return (-1);
}

static inline void
conn_tls_free(struct conn *c)
{
	(void)c;
}
#endif /* HAVE_OPENSSL */

#endif /* EVECHO_CONN_TLS_H */

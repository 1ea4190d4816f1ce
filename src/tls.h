/*
 * tls.h: the TLS context every ",tls" listener serves with: the chain of
 * --tls-cert and the key of --tls-key, loaded before the first client is
 * accepted and again on SIGHUP.  A reload builds a whole new context and
 * publishes it only if it loaded: new connections take the new one, and
 * each connection keeps the context it started with (its SSL holds a
 * reference) until it closes.
 */
#ifndef EVECHO_TLS_H
#define EVECHO_TLS_H

#include <stddef.h>

#ifdef HAVE_OPENSSL
#include <pthread.h>

#include <openssl/ssl.h>

/* TLS 1.2 is the oldest version served: 1.0 and 1.1 are deprecated. */
#define TLS_MIN_VERSION		TLS1_2_VERSION
#define TLS_FILE_MAX		(1024 * 1024)	/* a chain, or a key */

struct tls_store {
	pthread_mutex_t	 lock;		/* guards current */
	SSL_CTX		*current;	/* what new connections take */
	const char	*cert_path;	/* --tls-cert: leaf, then chain */
	const char	*key_path;	/* --tls-key */
	unsigned	 reloads;	/* successful reloads so far */
};

int	tls_store_init(struct tls_store *, const char *, const char *,
	    char *, size_t);
int	tls_store_reload(struct tls_store *, char *, size_t);
SSL	*tls_store_new_ssl(struct tls_store *);
void	tls_store_free(struct tls_store *);
const char *
	tls_library_version(void);
const char *
	tls_describe(SSL *, char *, size_t);
const char *
	tls_error_string(char *, size_t);
#else
struct tls_store;
#endif /* HAVE_OPENSSL */

#endif /* EVECHO_TLS_H */

/*
 * tls.c: the server's TLS context, from --tls-cert and --tls-key.
 *
 * The files are read here, not by OpenSSL's *_file() loaders, so that an
 * error can say which file, and why, in words a user can act on: it does
 * not exist or cannot be read (EX_NOINPUT), or it holds no PEM
 * certificate or key, or the key is not the certificate's (EX_DATAERR).
 *
 * Publishing a reloaded context is a pointer swap under a mutex, taken
 * once per new TLS connection for as long as SSL_new() needs it: an
 * atomic pointer alone would let a reload free the old context between
 * a worker's load and SSL_new()'s reference.  Connections hold their
 * context through their SSL, so the swap never waits for them.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls.h"

#define TLS_SNI_MAX	64	/* SNI shown in the log, at most */

static int	tls_read_file(const char *, const char *, BIO **, char *,
		    size_t);
static int	tls_ctx_new(const char *, const char *, SSL_CTX **, char *,
		    size_t);
static int	tls_load_chain(SSL_CTX *, const char *, char *, size_t);
static int	tls_load_key(SSL_CTX *, const char *, const char *, char *,
		    size_t);
static int	tls_no_passphrase(char *, int, int, void *);

/*
 * Load the context new connections will take.  Returns EX_OK, or the
 * exit status for the failure with err set; on failure nothing is held.
 */
int
tls_store_init(struct tls_store *ts, const char *cert, const char *key,
    char *err, size_t errlen)
{
	int	 status;

	memset(ts, 0, sizeof *ts);
	ts->cert_path = cert;
	ts->key_path = key;
	if ((status = tls_ctx_new(cert, key, &ts->current, err,
	    errlen)) != EX_OK)
		return (status);
	if ((errno = pthread_mutex_init(&ts->lock, NULL)) != 0) {
		snprintf(err, errlen, "cannot create the TLS lock: %s",
		    strerror(errno));
		SSL_CTX_free(ts->current);
		ts->current = NULL;
		return (EX_OSERR);
	}
	return (EX_OK);
}

/*
 * SIGHUP: load the files again and, only if they load, make the result
 * what new connections take.  0, or -1 with err set and the old context
 * still current.
 */
int
tls_store_reload(struct tls_store *ts, char *err, size_t errlen)
{
	SSL_CTX		*ctx, *old;

	if (tls_ctx_new(ts->cert_path, ts->key_path, &ctx, err,
	    errlen) != EX_OK)
		return (-1);
	pthread_mutex_lock(&ts->lock);
	old = ts->current;
	ts->current = ctx;
	pthread_mutex_unlock(&ts->lock);
	SSL_CTX_free(old);	/* connections keep theirs alive */
	ts->reloads++;
	return (0);
}

/* A new server-side SSL on the current context, or NULL. */
SSL *
tls_store_new_ssl(struct tls_store *ts)
{
	SSL	*ssl;

	pthread_mutex_lock(&ts->lock);
	ssl = SSL_new(ts->current);
	pthread_mutex_unlock(&ts->lock);
	return (ssl);
}

void
tls_store_free(struct tls_store *ts)
{
	if (ts->current == NULL)
		return;
	SSL_CTX_free(ts->current);
	ts->current = NULL;
	pthread_mutex_destroy(&ts->lock);
}

/* For --version and the start-up line: "OpenSSL 3.0.11 19 Sep 2023". */
const char *
tls_library_version(void)
{
	return (OpenSSL_version(OPENSSL_VERSION));
}

/*
 * A finished handshake, for the log: "TLSv1.3 sni=example.org".  The
 * name is the client's to choose, so only what a host name may hold is
 * shown as sent; anything else becomes '?', and a long name is cut.
 */
const char *
tls_describe(SSL *ssl, char *buf, size_t len)
{
	const char	*sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	char		 name[TLS_SNI_MAX + 4];
	size_t		 i;

	if (sni == NULL || *sni == '\0') {
		snprintf(buf, len, "%s", SSL_get_version(ssl));
		return (buf);
	}
	for (i = 0; sni[i] != '\0' && i < TLS_SNI_MAX; i++)
		name[i] = isalnum((unsigned char)sni[i]) || sni[i] == '.' ||
		    sni[i] == '-' || sni[i] == '_' ? sni[i] : '?';
	name[i] = '\0';
	if (sni[i] != '\0')
		memcpy(name + i, "...", 4);
	snprintf(buf, len, "%s sni=%s", SSL_get_version(ssl), name);
	return (buf);
}

/*
 * The reason of the oldest error OpenSSL queued on this thread, which is
 * the one that started the failure ("wrong version number"); the queue
 * is emptied, so that the next failure is not blamed on this one.
 */
const char *
tls_error_string(char *buf, size_t len)
{
	unsigned long	 e = ERR_get_error();
	const char	*reason;

	if (e == 0)
		snprintf(buf, len, "TLS error");
	else if ((reason = ERR_reason_error_string(e)) != NULL)
		snprintf(buf, len, "%s", reason);
	else
		snprintf(buf, len, "TLS error %lu", e);
	ERR_clear_error();
	return (buf);
}

/* A context with evecho's settings and the two files' contents. */
static int
tls_ctx_new(const char *cert, const char *key, SSL_CTX **out, char *err,
    size_t errlen)
{
	SSL_CTX	*ctx;
	char	 why[128];
	int	 status;

	*out = NULL;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "cannot create a TLS context: %s",
		    tls_error_string(why, sizeof why));
		return (EX_SOFTWARE);
	}
	/*
	 * No compression (CRIME), no renegotiation (a client could make us
	 * do handshakes at will); session tickets, OpenSSL's default, stay.
	 */
	if (SSL_CTX_set_min_proto_version(ctx, TLS_MIN_VERSION) != 1) {
		snprintf(err, errlen, "cannot set the oldest TLS version");
		status = EX_SOFTWARE;
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A client's FIN without close_notify ends its input, as in TCP. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/* Idle connections give their record buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if ((status = tls_load_chain(ctx, cert, err, errlen)) != EX_OK ||
	    (status = tls_load_key(ctx, key, cert, err, errlen)) != EX_OK)
		goto fail;
	*out = ctx;
	return (EX_OK);

fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return (status);
}

/*
 * The whole of a file, at most TLS_FILE_MAX bytes, in a memory BIO: read
 * by us so that errno says what was wrong with it.
 */
static int
tls_read_file(const char *flag, const char *path, BIO **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, status = EX_NOINPUT;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot read %s %s: %s", flag, path,
		    strerror(errno));
		return (EX_NOINPUT);
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot read %s %s: %s", flag, path,
		    strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s %s: %s", flag, path,
		    strerror(EISDIR));
		goto done;
	}
	if ((buf = malloc(TLS_FILE_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		status = EX_OSERR;
		goto done;
	}
	while (len < TLS_FILE_MAX && (n = read(fd, buf + len,
	    TLS_FILE_MAX - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read %s %s: %s", flag,
			    path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	if (len == TLS_FILE_MAX) {
		snprintf(err, errlen, "%s %s is larger than %d KiB: not a "
		    "certificate chain or key", flag, path, TLS_FILE_MAX / 1024);
		status = EX_DATAERR;
		goto done;
	}
	/* A copy the BIO owns: buf is freed below, whatever happens. */
	if ((*out = BIO_new(BIO_s_mem())) == NULL ||
	    BIO_write(*out, buf, (int)len) != (int)len) {
		BIO_free(*out);
		*out = NULL;
		snprintf(err, errlen, "out of memory");
		status = EX_OSERR;
		goto done;
	}
	status = EX_OK;
done:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);	/* it may be a key */
		free(buf);
	}
	close(fd);
	return (status);
}

/* --tls-cert: the server's certificate first, then its chain, if any. */
static int
tls_load_chain(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	BIO		*bio;
	X509		*x;
	unsigned long	 e;
	char		 why[128];
	int		 status, n;

	if ((status = tls_read_file("--tls-cert", path, &bio, err,
	    errlen)) != EX_OK)
		return (status);
	status = EX_DATAERR;
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, tls_no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "--tls-cert %s holds no PEM "
		    "certificate", path);
		goto done;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		snprintf(err, errlen, "--tls-cert %s: cannot use its "
		    "certificate: %s", path,
		    tls_error_string(why, sizeof why));
		X509_free(x);
		goto done;
	}
	X509_free(x);
	for (n = 2; (x = PEM_read_bio_X509(bio, NULL, tls_no_passphrase,
	    NULL)) != NULL; n++) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			snprintf(err, errlen, "--tls-cert %s: cannot use "
			    "certificate %d of its chain: %s", path, n,
			    tls_error_string(why, sizeof why));
			X509_free(x);
			goto done;
		}
	}
	/* The end of the file ends the chain; anything else is damage. */
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		snprintf(err, errlen, "--tls-cert %s: certificate %d of its "
		    "chain is damaged: %s", path, n,
		    tls_error_string(why, sizeof why));
		goto done;
	}
	ERR_clear_error();
	status = EX_OK;
done:
	BIO_free(bio);
	return (status);
}

/* --tls-key: the private key, which must be the certificate's. */
static int
tls_load_key(SSL_CTX *ctx, const char *path, const char *cert, char *err,
    size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*key;
	int		 status;

	if ((status = tls_read_file("--tls-key", path, &bio, err,
	    errlen)) != EX_OK)
		return (status);
	status = EX_DATAERR;
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "--tls-key %s holds no PEM private key "
		    "(or an encrypted one, which evecho cannot ask a "
		    "passphrase for)", path);
		goto done;
	}
	if (!X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "--tls-key %s does not match the "
		    "certificate in --tls-cert %s", path, cert);
		goto done;
	}
	status = EX_OK;
done:
	EVP_PKEY_free(key);
	BIO_free(bio);
	return (status);
}

/* Keys are read without a terminal: an encrypted one fails to load. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return (-1);
}

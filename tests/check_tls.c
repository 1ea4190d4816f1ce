/*
 * check_tls.c: ",tls" listeners end to end: the real evecho with a
 * certificate made at test time, clients built on libssl and openssl
 * s_client, every byte compared; versions, SNI, close_notify, bad
 * handshakes, the handshake deadline, backpressure, -U, start-up errors,
 * SIGHUP reloads (good, broken, and after --user), and ",tls,proxy".
 * Skipped (status 77) in a build without OpenSSL.
 */
#include "autoconfig.h"

#ifndef HAVE_OPENSSL
int
main(void)
{
	return (77);	/* configure --without-openssl: nothing to test */
}
#else
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <check.h>

#include "harness.h"

#define IO_TIMEOUT_MS	30000	/* generous: sanitizers and valgrind */
#define SOCK_TIMEOUT_S	10	/* bounds every blocking SSL call */

/* A temporary directory with two certificates and a foreign key. */
struct tls_files {
	char	 dir[64];
	char	 cert[96], key[96];	/* what evecho is given */
	char	 cert2[96], key2[96];	/* another pair, for reloads */
	char	 other_key[96];		/* matches neither */
};

/* Make the files with the openssl command: as an operator would. */
static void
tls_files_make(struct tls_files *f)
{
	char	 cmd[1024];

	snprintf(f->dir, sizeof f->dir, "/tmp/evecho-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	ck_assert_int_eq(chmod(f->dir, 0755), 0);
	snprintf(f->cert, sizeof f->cert, "%s/cert.pem", f->dir);
	snprintf(f->key, sizeof f->key, "%s/key.pem", f->dir);
	snprintf(f->cert2, sizeof f->cert2, "%s/cert2.pem", f->dir);
	snprintf(f->key2, sizeof f->key2, "%s/key2.pem", f->dir);
	snprintf(f->other_key, sizeof f->other_key, "%s/other.pem", f->dir);
	snprintf(cmd, sizeof cmd,
	    "cd %s && for n in '' 2; do openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key$n.pem "
	    "-out cert$n.pem -days 2 -subj /CN=evecho-test$n || exit 1; "
	    "done && openssl genpkey -algorithm ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -out other.pem", f->dir);
	strncat(cmd, " >/dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
	ck_assert_msg(system(cmd) == 0, "openssl could not make test "
	    "certificates");
}

static void
tls_files_remove(struct tls_files *f)
{
	char	 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

/* evecho on 127.0.0.1:0,tls (or spec) with f's files and more flags. */
static void
start_tls(struct evecho *e, const struct tls_files *f, const char *spec,
    const char *const *more, const struct spawn_opts *opts)
{
	const char	*args[24];
	int		 n = 0;

	args[n++] = "-v";
	args[n++] = "-l";
	args[n++] = spec != NULL ? spec : "127.0.0.1:0,tls";
	args[n++] = "--tls-cert";
	args[n++] = f->cert;
	args[n++] = "--tls-key";
	args[n++] = f->key;
	while (more != NULL && *more != NULL && n < 22)
		args[n++] = *more++;
	args[n] = NULL;
	ck_assert_msg(evecho_start_opts(e, args, opts) == 0,
	    "evecho did not start");
}

/* SIGTERM, and a clean exit. */
static void
stop_tls(struct evecho *e)
{
	ck_assert_int_eq(evecho_kill(e, SIGTERM), 0);
	evecho_must_exit_0(e, IO_TIMEOUT_MS);
}

/* A client context, willing to speak versions minv to maxv, trusting all. */
static SSL_CTX *
client_ctx(int minv, int maxv)
{
	SSL_CTX	*ctx = SSL_CTX_new(TLS_client_method());

	ck_assert_ptr_nonnull(ctx);
	if (minv < TLS1_2_VERSION) {
		/* Let this client offer what OpenSSL 3 refuses by default. */
		SSL_CTX_set_security_level(ctx, 0);
		ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx,
		    "DEFAULT:@SECLEVEL=0"), 1);
	}
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx, minv), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx, maxv), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return (ctx);
}

/* Every blocking call on fd ends within SOCK_TIMEOUT_S. */
static void
bound_socket(int fd)
{
	struct timeval	 tv = { SOCK_TIMEOUT_S, 0 };

	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof tv), 0);
}

/* TLS over an open socket; NULL if the handshake fails. */
static SSL *
tls_over(SSL_CTX *ctx, int fd, const char *sni)
{
	SSL	*ssl;

	bound_socket(fd);
	ck_assert_ptr_nonnull(ssl = SSL_new(ctx));
	ck_assert_int_eq(SSL_set_fd(ssl, fd), 1);
	if (sni != NULL)
		ck_assert_int_eq(SSL_set_tlsext_host_name(ssl, sni), 1);
	if (SSL_connect(ssl) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		return (NULL);
	}
	return (ssl);
}

/* A TLS client of port, which must get through the handshake. */
static SSL *
tls_connect(SSL_CTX *ctx, int port, const char *sni)
{
	SSL	*ssl;
	int	 fd;

	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	ssl = tls_over(ctx, fd, sni);
	ck_assert_msg(ssl != NULL, "TLS handshake with evecho failed");
	return (ssl);
}

static void
tls_close(SSL *ssl)
{
	int	 fd = SSL_get_fd(ssl);

	SSL_free(ssl);
	close(fd);
}

static void
ssl_write_all(SSL *ssl, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	int			 n;

	while (len > 0) {
		n = SSL_write(ssl, p, len > 16384 ? 16384 : (int)len);
		ck_assert_msg(n > 0, "SSL_write failed: %d",
		    SSL_get_error(ssl, n));
		p += n;
		len -= (size_t)n;
	}
}

static void
ssl_read_exact(SSL *ssl, void *buf, size_t len)
{
	unsigned char	*p = buf;
	int		 n;

	while (len > 0) {
		n = SSL_read(ssl, p, len > 16384 ? 16384 : (int)len);
		ck_assert_msg(n > 0, "SSL_read failed: %d, %zu B short",
		    SSL_get_error(ssl, n), len);
		p += n;
		len -= (size_t)n;
	}
}

/* len pattern bytes through ssl, a chunk at a time, compared. */
static void
ssl_echo(SSL *ssl, size_t len, uint32_t seed)
{
	unsigned char	*data = pattern_new(len, seed), *back = malloc(len);
	size_t		 off, n;

	ck_assert_ptr_nonnull(back);
	for (off = 0; off < len; off += n) {
		n = len - off < 32768 ? len - off : 32768;
		ssl_write_all(ssl, data + off, n);
		ssl_read_exact(ssl, back + off, n);
	}
	ck_assert_msg(memcmp(data, back, len) == 0, "echo differs");
	free(data);
	free(back);
}

/*
 * The server closes fd: EOF, or a reset where unread bytes were left in
 * its socket; whatever alert came first is skipped.
 */
static void
expect_closed(int fd)
{
	char	 buf[512];
	long	 deadline = now_ms() + IO_TIMEOUT_MS;
	ssize_t	 n;

	bound_socket(fd);
	while (now_ms() < deadline) {
		if ((n = recv(fd, buf, sizeof buf, 0)) == 0 ||
		    (n == -1 && errno == ECONNRESET))
			return;
		ck_assert_msg(n > 0 || errno == EINTR, "recv: %s",
		    strerror(errno));
	}
	ck_abort_msg("the server did not close");
}

/* The server ends its stream with close_notify, not a bare FIN. */
static void
expect_close_notify(SSL *ssl)
{
	char	 c;
	int	 n = SSL_read(ssl, &c, 1);

	ck_assert_msg(n == 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN,
	    "no close_notify: SSL_read %d, error %d", n, SSL_get_error(ssl,
	    n));
	ERR_clear_error();
}

/* The SHA-256 of the certificate the server showed. */
static void
peer_fingerprint(SSL *ssl, unsigned char md[EVP_MAX_MD_SIZE])
{
	X509		*x = SSL_get1_peer_certificate(ssl);
	unsigned	 n;

	ck_assert_ptr_nonnull(x);
	memset(md, 0, EVP_MAX_MD_SIZE);
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &n), 1);
	X509_free(x);
}

/* The counters' line, after SIGUSR1: the nth ("stats: " lines) one. */
static char *
stats_line(struct evecho *e, int nth)
{
	char	*log, *p, *line;

	ck_assert_int_eq(evecho_kill(e, SIGUSR1), 0);
	ck_assert_int_ge(evecho_wait_log_count(e, "stats: ", nth,
	    IO_TIMEOUT_MS), nth);
	ck_assert_ptr_nonnull(log = evecho_log(e));
	for (p = log; nth-- > 0; p++)
		p = strstr(p, "stats: ");
	line = strndup(p - 1, strcspn(p - 1, "\n"));
	free(log);
	return (line);
}

/* Half a handshake's worth of a shell command's output, bounded. */
static char *
run_shell(const char *cmd, int *status)
{
	char	 buf[8192];
	size_t	 len = 0, n;
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	while (len < sizeof buf - 1 && (n = fread(buf + len, 1,
	    sizeof buf - 1 - len, fp)) > 0)
		len += n;
	buf[len] = '\0';
	*status = pclose(fp);
	return (strdup(buf));
}

/* GET /metrics from e's --metrics port: the body, to free. */
static char *
scrape(struct evecho *e)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: "
	    "127.0.0.1\r\nConnection: close\r\n\r\n";
	char	*log, *p, *buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 port, fd;

	ck_assert_int_eq(evecho_wait_log(e, "metrics on http://127.0.0.1:",
	    IO_TIMEOUT_MS), 0);
	ck_assert_ptr_nonnull(log = evecho_log(e));
	p = strstr(log, "metrics on http://127.0.0.1:");
	port = atoi(p + strlen("metrics on http://127.0.0.1:"));
	free(log);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", port), -1);
	bound_socket(fd);
	ck_assert_int_eq(send_all(fd, req, sizeof req - 1, IO_TIMEOUT_MS), 0);
	ck_assert_ptr_nonnull(buf = malloc(1 << 20));
	while (len < (1 << 20) - 1 && (n = recv(fd, buf + len,
	    (1 << 20) - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return (buf);
}

/* Echo through libssl, then our close_notify, and the server's. */
START_TEST(test_echo_close_notify)
{
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	char			 line[160];

	tls_files_make(&f);
	start_tls(&e, &f, NULL, NULL, NULL);
	ssl = tls_connect(ctx, e.port, "echo.example");
	ssl_echo(ssl, 300 * 1000, 1);
	/* Half-close: our close_notify; the echo is done, so is theirs. */
	ck_assert_int_ge(SSL_shutdown(ssl), 0);
	expect_close_notify(ssl);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (closed by client): "
	    "300000 B in, 300000 B out", IO_TIMEOUT_MS), 0);
	snprintf(line, sizeof line, "connected, TLSv1.3 sni=echo.example");
	ck_assert_int_eq(evecho_log_count(&e, line), 1);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* TLS 1.2 and 1.3 are served, and the log names each; 1.1 is refused. */
START_TEST(test_versions)
{
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx12 = client_ctx(TLS1_2_VERSION,
				    TLS1_2_VERSION);
	SSL_CTX			*ctx11 = client_ctx(TLS1_VERSION,
				    TLS1_1_VERSION);
	SSL			*ssl;
	int			 fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, NULL, NULL);
	ssl = tls_connect(ctx12, e.port, NULL);
	ck_assert_str_eq(SSL_get_version(ssl), "TLSv1.2");
	ssl_echo(ssl, 50000, 2);
	ck_assert_int_ge(SSL_shutdown(ssl), 0);
	expect_close_notify(ssl);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_log(&e, "connected, TLSv1.2 (",
	    IO_TIMEOUT_MS), 0);

	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	ck_assert_msg(tls_over(ctx11, fd, NULL) == NULL, "TLS 1.1 accepted");
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "TLS handshake failed: "
	    "unsupported protocol; closed", IO_TIMEOUT_MS), 0);
	stop_tls(&e);
	SSL_CTX_free(ctx12);
	SSL_CTX_free(ctx11);
	tls_files_remove(&f);
}
END_TEST

/* openssl s_client, as an operator would try it: 1.2 and 1.3, not 1.1. */
START_TEST(test_s_client)
{
	static const char *const versions[] = { "-tls1_2", "-tls1_3" };
	struct tls_files	 f;
	struct evecho		 e;
	char			 cmd[512], *out;
	int			 i, status;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, NULL, NULL);
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof cmd, "(printf 'hello s_client %d\\n'; "
		    "sleep 1) | timeout 10 openssl s_client -connect "
		    "127.0.0.1:%d -servername s-client.test %s -quiet "
		    "2>/dev/null", i, e.port, versions[i]);
		out = run_shell(cmd, &status);
		snprintf(cmd, sizeof cmd, "hello s_client %d\n", i);
		ck_assert_msg(strstr(out, cmd) != NULL, "s_client %s got "
		    "'%s'", versions[i], out);
		free(out);
	}
	ck_assert_int_eq(evecho_wait_log(&e, "connected, TLSv1.2 "
	    "sni=s-client.test", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "connected, TLSv1.3 "
	    "sni=s-client.test", IO_TIMEOUT_MS), 0);
	snprintf(cmd, sizeof cmd, "echo x | timeout 10 openssl s_client "
	    "-connect 127.0.0.1:%d -tls1_1 -cipher DEFAULT@SECLEVEL=0 -quiet "
	    "2>/dev/null", e.port);
	out = run_shell(cmd, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	    strstr(out, "x\n") == NULL, "s_client -tls1_1 got through");
	free(out);
	stop_tls(&e);
	tls_files_remove(&f);
}
END_TEST

/*
 * Half-close with echo queued: the client sends 12 MB without reading,
 * more than the kernel's buffers hold, then its close_notify; it still
 * gets every byte, then evecho's own close_notify.
 */
START_TEST(test_half_close_queued)
{
	static const char *const more[] = { "--max-queue", "16M", NULL };
	const size_t		 total = 12 * 1024 * 1024;
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	unsigned char		*data = pattern_new(total, 14), *back;
	size_t			 sent = 0;
	long			 deadline;
	int			 n, fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ck_assert_int_ne(fd = tcp_connect_buffers(e.addrs[0], 0, 65536), -1);
	ck_assert_ptr_nonnull(ssl = tls_over(ctx, fd, NULL));
	ck_assert_int_eq(set_nonblocking(fd), 0);
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (deadline = now_ms() + IO_TIMEOUT_MS; sent < total &&
	    now_ms() < deadline; ) {
		if ((n = SSL_write(ssl, data + sent, total - sent > 16384 ?
		    16384 : (int)(total - sent))) > 0)
			sent += (size_t)n;
		else
			sleep_ms(2);
	}
	ck_assert_uint_eq(sent, total);
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK),
	    0);
	ck_assert_int_ge(SSL_shutdown(ssl), 0);	/* our close_notify */
	ck_assert_ptr_nonnull(back = malloc(total));
	ssl_read_exact(ssl, back, total);
	ck_assert_msg(memcmp(back, data, total) == 0, "echo differs");
	expect_close_notify(ssl);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (closed by client): "
	    "12582912 B in, 12582912 B out", IO_TIMEOUT_MS), 0);
	free(back);
	free(data);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* On SIGTERM, an idle TLS client gets close_notify, then EOF. */
START_TEST(test_drain_close_notify)
{
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, NULL, NULL);
	ssl = tls_connect(ctx, e.port, NULL);
	ssl_echo(ssl, 1000, 3);
	ck_assert_int_eq(evecho_kill(&e, SIGTERM), 0);
	expect_close_notify(ssl);
	ck_assert_int_ge(SSL_shutdown(ssl), 0);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_exit(&e, IO_TIMEOUT_MS, NULL), 0);
	ck_assert_msg(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0,
	    "evecho did not exit 0");
	ck_assert_int_eq(evecho_log_count(&e, "closed (server shutdown)"),
	    1);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* -t closes an idle TLS client, with close_notify: nothing was lost. */
START_TEST(test_idle_timeout)
{
	static const char *const more[] = { "-t", "0.5", NULL };
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	long			 t0;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ssl = tls_connect(ctx, e.port, NULL);
	ssl_echo(ssl, 1000, 13);
	t0 = now_ms();
	expect_close_notify(ssl);
	ck_assert_int_ge(now_ms() - t0, 400);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (idle timeout): 1000 B "
	    "in, 1000 B out", IO_TIMEOUT_MS), 0);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* Bytes that are no ClientHello: a warning, a close; others served. */
START_TEST(test_garbage_handshake)
{
	static const char	 http[] = "GET / HTTP/1.0\r\n\r\n";
	static const char *const more[] = { "--metrics", "127.0.0.1:0",
	    NULL };
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	char			*line, *body;
	int			 fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	ck_assert_int_eq(send_all(fd, http, sizeof http - 1, IO_TIMEOUT_MS),
	    0);
	expect_closed(fd);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "TLS handshake failed: http "
	    "request; closed", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, "warning: 127.0.0.1:"), 1);
	ssl = tls_connect(ctx, e.port, NULL);
	ssl_echo(ssl, 4000, 4);
	tls_close(ssl);
	line = stats_line(&e, 1);
	ck_assert_msg(strstr(line, "1 protocol") != NULL &&
	    strstr(line, "TLS handshakes 1 done, 1 failed") != NULL,
	    "stats: %s", line);
	free(line);
	body = scrape(&e);
	ck_assert_msg(strstr(body, "\nevecho_tls_handshakes_total{result="
	    "\"done\"} 1\n") != NULL && strstr(body, "\nevecho_tls_"
	    "handshakes_total{result=\"failed\"} 1\n") != NULL,
	    "metrics:\n%s", body);
	free(body);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* A client that starts a handshake and never finishes is cut off. */
START_TEST(test_handshake_timeout)
{
	static const char *const more[] = { "--handshake-timeout", "0.3",
	    NULL };
	static const unsigned char hello_start[] = { 0x16, 0x03, 0x01, 0x02,
	    0x00, 0x01 };
	struct tls_files	 f;
	struct evecho		 e;
	long			 t0;
	int			 fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	t0 = now_ms();
	ck_assert_int_eq(send_all(fd, hello_start, sizeof hello_start,
	    IO_TIMEOUT_MS), 0);
	expect_closed(fd);
	ck_assert_int_ge(now_ms() - t0, 250);
	close(fd);
	ck_assert_int_eq(evecho_wait_log(&e, "no TLS handshake within 0.300 s;"
	    " closed", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "closed (no TLS handshake",
	    IO_TIMEOUT_MS), 0);
	stop_tls(&e);
	tls_files_remove(&f);
}
END_TEST

/*
 * A client that sends without reading: evecho stops reading once its
 * queue is full, so the client stalls early, and all it sent comes back.
 */
START_TEST(test_backpressure)
{
	static const char *const more[] = { "--max-queue", "64k", NULL };
	const size_t		 total = 32 * 1024 * 1024;
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	unsigned char		*data = pattern_new(total, 5), *back;
	size_t			 sent = 0;
	long			 last;
	char			*line;
	int			 n, fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ssl = tls_connect(ctx, e.port, NULL);
	fd = SSL_get_fd(ssl);
	ck_assert_int_eq(set_nonblocking(fd), 0);
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (last = now_ms(); sent < total && now_ms() - last < 500; ) {
		n = SSL_write(ssl, data + sent, total - sent > 16384 ? 16384 :
		    (int)(total - sent));
		if (n > 0) {
			sent += (size_t)n;
			last = now_ms();
			continue;
		}
		ck_assert_int_eq(SSL_get_error(ssl, n), SSL_ERROR_WANT_WRITE);
		sleep_ms(5);
	}
	ck_assert_msg(sent < 12 * 1024 * 1024, "sent %zu B unread: no "
	    "backpressure", sent);
	line = stats_line(&e, 1);
	ck_assert_msg(strstr(line, "0 pauses,") == NULL, "stats: %s", line);
	free(line);
	/* Everything sent comes back, in order. */
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK),
	    0);
	ck_assert_ptr_nonnull(back = malloc(sent));
	ssl_read_exact(ssl, back, sent);
	ck_assert_msg(memcmp(back, data, sent) == 0, "echo differs");
	tls_close(ssl);
	free(back);
	free(data);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/*
 * Clients that send without reading share --max-memory: reading from
 * them waits for room, on the TLS path as on plain TCP, and once they
 * read, each gets every byte back, in order.
 */
START_TEST(test_budget)
{
	static const char *const more[] = { "-vv", "--max-memory", "1M",
	    "--threads", "1", NULL };
	enum { N = 6 };
	const size_t		 cap = 8 * 1024 * 1024;
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl[N];
	unsigned char		*data[N], buf[16384];
	size_t			 sent[N], got[N], left;
	unsigned long long	 waits = 0;
	long			 deadline, look;
	char			*line, *p;
	int			 i, n, moved, fd;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	for (i = 0; i < N; i++) {
		/* A small receive buffer: the echo has to queue in evecho. */
		ck_assert_int_ne(fd = tcp_connect_buffers(e.addrs[0], 0,
		    65536), -1);
		ck_assert_ptr_nonnull(ssl[i] = tls_over(ctx, fd, NULL));
		ck_assert_int_eq(set_nonblocking(fd), 0);
		SSL_set_mode(ssl[i], SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		data[i] = pattern_new(cap, 20 + i);
		sent[i] = got[i] = 0;
	}
	/* Send, without reading, until a read has to wait for memory. */
	deadline = now_ms() + IO_TIMEOUT_MS;
	for (look = now_ms() + 100; now_ms() < deadline; ) {
		for (i = 0, moved = 0; i < N; i++) {
			if (sent[i] == cap || (n = SSL_write(ssl[i], data[i] +
			    sent[i], (int)(cap - sent[i] < 16384 ? cap -
			    sent[i] : 16384))) <= 0)
				continue;
			sent[i] += (size_t)n;
			moved = 1;
		}
		if (now_ms() >= look) {
			if (evecho_log_count(&e, "waits for memory") > 0)
				break;
			look = now_ms() + 100;
		}
		if (!moved)
			sleep_ms(5);
	}
	ERR_clear_error();
	line = stats_line(&e, 1);
	ck_assert_ptr_nonnull(p = strstr(line, " memory waits"));
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	waits = strtoull(p, NULL, 10);
	ck_assert_msg(waits > 0, "no TLS client waited for memory: %s", line);
	free(line);
	/* All read at once: the room one frees lets another go on. */
	deadline = now_ms() + IO_TIMEOUT_MS;
	do {
		for (i = 0, moved = 0, left = 0; i < N; i++) {
			left += sent[i] - got[i];
			if (got[i] == sent[i] ||
			    (n = SSL_read(ssl[i], buf, sizeof buf)) <= 0)
				continue;
			ck_assert_msg(got[i] + (size_t)n <= sent[i] &&
			    memcmp(buf, data[i] + got[i], (size_t)n) == 0,
			    "client %d: wrong echo at %zu", i, got[i]);
			got[i] += (size_t)n;
			moved = 1;
		}
		if (!moved)
			sleep_ms(1);
	} while (left > 0 && now_ms() < deadline);
	ck_assert_msg(left == 0, "%zu B of echo never came back", left);
	for (i = 0; i < N; i++) {
		tls_close(ssl[i]);
		free(data[i]);
	}
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* -U applies to the plaintext of a TLS connection too. */
START_TEST(test_uppercase)
{
	static const char *const more[] = { "-U", NULL };
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	char			 back[32];
	static char		 big[256 << 10];
	size_t			 i;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, more, NULL);
	ssl = tls_connect(ctx, e.port, NULL);
	ssl_write_all(ssl, "Hello, TLS 1.3!", 15);
	ssl_read_exact(ssl, back, 15);
	ck_assert_mem_eq(back, "HELLO, TLS 1.3!", 15);
	/* A burst that OpenSSL reads as many records, in many chains. */
	for (i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	ssl_write_all(ssl, big, sizeof big);
	ssl_read_exact(ssl, big, sizeof big);
	for (i = 0; i < sizeof big; i++) {
		if (big[i] != (char)('A' + i % 26))
			ck_abort_msg("byte %zu came back as '%c'", i, big[i]);
	}
	tls_close(ssl);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* Start-up: the exact message and status for each bad file or flag. */
START_TEST(test_start_errors)
{
	struct tls_files	 f;
	char			 out[512], err[1024], want[512], missing[128];
	int			 status;
	struct {
		const char	*cert, *key, *listen;
		int		 status;
		const char	*fmt;	/* of the one line, %s: a path */
	} cases[] = {
		{ NULL, NULL, "127.0.0.1:0,tls", 66,
		    "evecho: cannot read --tls-cert %s: No such file or "
		    "directory\n" },
		{ NULL, NULL, "127.0.0.1:0,tls", 66,
		    "evecho: cannot read --tls-key %s: Is a directory\n" },
		{ NULL, NULL, "127.0.0.1:0,tls", 65,
		    "evecho: --tls-key %s does not match the certificate in "
		    "--tls-cert %s\n" },
		{ NULL, NULL, "127.0.0.1:0,tls", 65,
		    "evecho: --tls-cert %s holds no PEM certificate\n" },
		{ NULL, NULL, "127.0.0.1:0", 64,
		    "evecho: --tls-cert is for TLS listeners: add ,tls to a "
		    "-l address\nTry 'evecho --help' for more "
		    "information.\n" },
	};
	const char	*args[12];
	size_t		 i;

	tls_files_make(&f);
	snprintf(missing, sizeof missing, "%s/missing.pem", f.dir);
	cases[0].cert = missing;	cases[0].key = f.key;
	cases[1].cert = f.cert;		cases[1].key = f.dir;
	cases[2].cert = f.cert;		cases[2].key = f.other_key;
	cases[3].cert = f.key;		cases[3].key = f.key;
	cases[4].cert = f.cert;		cases[4].key = f.key;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		args[0] = "-l";
		args[1] = cases[i].listen;
		args[2] = "--tls-cert";
		args[3] = cases[i].cert;
		args[4] = "--tls-key";
		args[5] = cases[i].key;
		args[6] = NULL;
		ck_assert_int_eq(run_evecho(args, NULL, &status, out,
		    sizeof out, err, sizeof err), 0);
		if (i == 0 || i == 3)
			snprintf(want, sizeof want, cases[i].fmt,
			    cases[i].cert);
		else if (i == 1)
			snprintf(want, sizeof want, cases[i].fmt, cases[i].key);
		else
			snprintf(want, sizeof want, cases[i].fmt,
			    cases[i].key, cases[i].cert);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) ==
		    cases[i].status, "case %zu: status %d, want %d", i,
		    WEXITSTATUS(status), cases[i].status);
		ck_assert_str_eq(err, want);
	}
	/* A TLS listener without the files. */
	args[0] = "-l";
	args[1] = "127.0.0.1:0,tls";
	args[2] = "--tls-cert";
	args[3] = f.cert;
	args[4] = NULL;
	ck_assert_int_eq(run_evecho(args, NULL, &status, out, sizeof out,
	    err, sizeof err), 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 64,
	    "status %d", WEXITSTATUS(status));
	ck_assert_str_eq(err, "evecho: a ,tls listen address needs "
	    "--tls-key too\nTry 'evecho --help' for more information.\n");
	tls_files_remove(&f);
}
END_TEST

/*
 * SIGHUP with a new pair: new clients see it, an old one goes on.  Then
 * SIGHUP with a broken certificate: an error, and the pair before stays.
 */
START_TEST(test_reload)
{
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*old, *ssl;
	unsigned char		 md1[EVP_MAX_MD_SIZE], md2[EVP_MAX_MD_SIZE];
	unsigned char		 md[EVP_MAX_MD_SIZE];
	FILE			*fp;

	tls_files_make(&f);
	start_tls(&e, &f, NULL, NULL, NULL);
	old = tls_connect(ctx, e.port, NULL);
	peer_fingerprint(old, md1);
	ssl_echo(old, 1000, 6);

	ck_assert_int_eq(rename(f.cert2, f.cert), 0);
	ck_assert_int_eq(rename(f.key2, f.key), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "SIGHUP: reloaded TLS "
	    "certificate", IO_TIMEOUT_MS), 0);
	ssl = tls_connect(ctx, e.port, NULL);
	peer_fingerprint(ssl, md2);
	ck_assert_msg(memcmp(md1, md2, sizeof md1) != 0, "still the old "
	    "certificate after SIGHUP");
	ssl_echo(ssl, 1000, 7);
	tls_close(ssl);
	ssl_echo(old, 100000, 8);	/* the old connection goes on */

	ck_assert_ptr_nonnull(fp = fopen(f.cert, "w"));
	fputs("-----BEGIN CERTIFICATE-----\nbroken\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "error: SIGHUP: --tls-cert ",
	    IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, "holds no PEM certificate; "
	    "still serving the certificate loaded before"), 1);
	ssl = tls_connect(ctx, e.port, NULL);
	peer_fingerprint(ssl, md);
	ck_assert_msg(memcmp(md, md2, sizeof md) == 0, "a broken reload "
	    "changed the certificate");
	ssl_echo(ssl, 1000, 9);
	tls_close(ssl);
	ssl_echo(old, 1000, 10);
	tls_close(old);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/*
 * After --user, a reload reads the files as that user: a key only root
 * may read fails to reload, with the reason, and the old pair serves.
 */
START_TEST(test_reload_after_user)
{
	static const char *const more[] = { "--user", "nobody", NULL };
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;

	if (geteuid() != 0) {
		SSL_CTX_free(ctx);
		return;		/* only root can drop to another user */
	}
	tls_files_make(&f);
	ck_assert_int_eq(chmod(f.key, 0600), 0);
	start_tls(&e, &f, NULL, more, NULL);
	ck_assert_int_eq(evecho_kill(&e, SIGHUP), 0);
	ck_assert_int_eq(evecho_wait_log(&e, "error: SIGHUP: cannot read "
	    "--tls-key ", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, ": Permission denied; still "
	    "serving"), 1);
	ssl = tls_connect(ctx, e.port, NULL);
	ssl_echo(ssl, 1000, 11);
	tls_close(ssl);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

/* ",tls,proxy": the PROXY header first, in the clear, then TLS. */
START_TEST(test_tls_proxy)
{
	static const char	 hdr[] = "PROXY TCP4 192.0.2.1 192.0.2.2 "
				    "4242 7\r\n";
	struct tls_files	 f;
	struct evecho		 e;
	SSL_CTX			*ctx = client_ctx(TLS1_2_VERSION, 0);
	SSL			*ssl;
	int			 fd;

	tls_files_make(&f);
	start_tls(&e, &f, "127.0.0.1:0,tls,proxy", NULL, NULL);
	ck_assert_int_ne(fd = tcp_connect("127.0.0.1", e.port), -1);
	ck_assert_int_eq(send_all(fd, hdr, sizeof hdr - 1, IO_TIMEOUT_MS), 0);
	ck_assert_ptr_nonnull(ssl = tls_over(ctx, fd, "proxied.test"));
	ssl_echo(ssl, 20000, 12);
	ck_assert_int_ge(SSL_shutdown(ssl), 0);
	expect_close_notify(ssl);
	tls_close(ssl);
	ck_assert_int_eq(evecho_wait_log(&e, "192.0.2.1:4242 connected via "
	    "127.0.0.1:", IO_TIMEOUT_MS), 0);
	ck_assert_int_eq(evecho_log_count(&e, ", PROXY v1, TLSv1.3 "
	    "sni=proxied.test ("), 1);
	ck_assert_int_eq(evecho_wait_log(&e, "192.0.2.1:4242 closed (closed "
	    "by client): 20000 B in", IO_TIMEOUT_MS), 0);
	stop_tls(&e);
	SSL_CTX_free(ctx);
	tls_files_remove(&f);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite	*s = suite_create("tls");
	TCase	*tc = tcase_create("tls");

	tcase_add_checked_fixture(tc, harness_setup, harness_teardown);
	tcase_set_timeout(tc, 120);
	harness_add_test(tc, test_echo_close_notify);
	harness_add_test(tc, test_versions);
	harness_add_test(tc, test_s_client);
	harness_add_test(tc, test_half_close_queued);
	harness_add_test(tc, test_drain_close_notify);
	harness_add_test(tc, test_idle_timeout);
	harness_add_test(tc, test_garbage_handshake);
	harness_add_test(tc, test_handshake_timeout);
	harness_add_test(tc, test_backpressure);
	harness_add_test(tc, test_budget);
	harness_add_test(tc, test_uppercase);
	harness_add_test(tc, test_start_errors);
	harness_add_test(tc, test_reload);
	harness_add_test(tc, test_reload_after_user);
	harness_add_test(tc, test_tls_proxy);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(tls_suite()));
}
#endif /* HAVE_OPENSSL */

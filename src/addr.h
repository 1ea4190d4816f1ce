/*
 * addr.h: listen addresses: parsing what the user typed, resolving it, and
 * formatting socket addresses back as "127.0.0.1:7777" or "[::1]:7777".
 */
#ifndef EVECHO_ADDR_H
#define EVECHO_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>

#include <event2/util.h>

#define ADDR_HOST_MAX	256	/* longest host name we accept, plus NUL */
#define ADDR_PATH_MAX	108	/* sun_path on Linux, NUL included */
/* "[v6]:65535", or "unix:" and a socket path, and a NUL. */
#define ADDR_STRLEN	(ADDR_PATH_MAX + 8)

/* What a listener serves. */
enum addr_kind {
	ADDR_TCP,		/* echo over TCP: the default */
	ADDR_UDP,		/* echo of datagrams */
	ADDR_UNIX		/* echo over a Unix-domain stream socket */
};

/* Options of a stream listener, written after the address: ",tls". */
#define ADDR_OPT_TLS	0x1	/* clients speak TLS */
#define ADDR_OPT_PROXY	0x2	/* a PROXY protocol header comes first */

/* One -l argument after parsing; nothing resolved yet. */
struct addr_spec {
	enum addr_kind	kind;
	unsigned	options;		/* ADDR_OPT_* */
	char		host[ADDR_HOST_MAX];	/* "" means every interface */
	uint16_t	port;			/* 0 asks for an ephemeral port */
	char		path[ADDR_PATH_MAX];	/* ADDR_UNIX: the socket */
};

/* Why addr_resolve() failed, so the caller can pick the exit status. */
enum addr_error {
	ADDR_OK = 0,
	ADDR_NOHOST,		/* the name does not resolve */
	ADDR_TEMPFAIL,		/* the resolver could not answer now */
	ADDR_SYSTEM		/* the resolver itself failed */
};

int	addr_parse(const char *, uint16_t, struct addr_spec *, char *,
	    size_t);
enum addr_error
	addr_resolve(const struct addr_spec *, struct evutil_addrinfo **,
	    char *, size_t);
const char *
	addr_format(const struct sockaddr *, char *, size_t);
void	addr_spec_format(const struct addr_spec *, char *, size_t);

#endif /* EVECHO_ADDR_H */

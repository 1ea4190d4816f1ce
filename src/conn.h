/*
 * conn.h: one client connection: the echo itself, backpressure, the
 * memory budget, half-close, idle timeout and the graceful end on
 * shutdown.
 */
#ifndef EVECHO_CONN_H
#define EVECHO_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <stdint.h>

#include <event2/event_struct.h>
#include <event2/util.h>

#include "addr.h"
#include "idle.h"
#include "stats.h"

/*
 * Bytes asked of one read: 64 KiB less room for libevent's chain header
 * and ours, so that a chain allocated for it is 64 KiB and not 128.
 */
#define CONN_READ_MAX	(65536 - 256)

/* In struct conn's proxied: the PROXY header named no client. */
#define CONN_PROXY_LOCAL	0x80
/* Its peer is the client a PROXY header named, not the socket's. */
#define CONN_PEER_PROXIED(c)	((c)->proxied != 0 && \
				    !((c)->proxied & CONN_PROXY_LOCAL))

/* A client's name in log lines: an address, or a Unix-domain socket's
   path and " pid N uid N". */
#define CONN_PEER_STRLEN	(ADDR_STRLEN + 48)

struct bufferevent;
struct conn;
struct conn_tls;
struct evbuffer;
struct handoff;
struct handshake;
struct hostcap_entry;
struct listener;
struct worker;

enum conn_state {
	CONN_HANDSHAKING,	/* before the echo: see handshake.h */
	CONN_ECHOING,		/* reading and echoing */
	CONN_FLUSHING,		/* no more input; close once output is sent */
	CONN_LINGERING		/* output sent and shut down; await client EOF */
};

/* Why a connection is not reading while it echoes. */
enum conn_hold {
	CONN_READING,		/* it is */
	CONN_HELD_QUEUE,	/* its queue reached --max-queue */
	CONN_HELD_ROOM		/* the memory budget has no room for a read */
};

/*
 * How a connection's bytes move once its echo begins: the plain socket,
 * read by conn.c itself, or TLS (conn_tls.c), read by an OpenSSL
 * bufferevent that hands plaintext to conn_take().  The echo's state
 * machine calls these and never asks which one it has.
 */
struct conn_xprt {
	const char	*name;		/* "tcp" or "tls" */
	int		(*start_reading)(struct conn *);
	void		(*stop_reading)(struct conn *);
	/* End our stream before FIN: 1 done, 0 under way (it calls
	   conn_flushed() again), -1 failed, with why. */
	int		(*end_stream)(struct conn *, const char **);
	void		(*read_cb)(struct bufferevent *, void *);
	void		(*event_cb)(struct bufferevent *, short, void *);
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* in worker->conns */
	TAILQ_ENTRY(conn)	 wait_entry;	/* in worker->waiting */
	struct worker		*worker;	/* owner: loop and settings */
	const struct listener	*listener;	/* where it was accepted */
	struct hostcap_entry	*host;		/* its host's count, or NULL */
	struct event		 ev_read;	/* the socket is readable */
	struct bufferevent	*bev;		/* its output queue; NULL until
						   the echo first has to wait */
	struct idle_entry	 idle;		/* its place for -t */
	struct handshake	*hs;		/* until the echo begins, on
						   listeners with a stage */
	const struct conn_xprt	*xprt;		/* its transport */
	struct conn_tls		*tls;		/* on ",tls" listeners */
	uint64_t		 bytes_in;	/* read from the client */
	uint64_t		 opened_ms;	/* for the duration logged */
	evutil_socket_t		 fd;		/* the socket */
	uint32_t		 promised;	/* budget room held for it */
	uint8_t			 state;		/* enum conn_state */
	uint8_t			 hold;		/* enum conn_hold */
	uint8_t			 client_eof;	/* client shut down its side */
	uint8_t			 proxied;	/* PROXY header taken: its
						   version, | CONN_PROXY_LOCAL
						   if it named no client */
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
		struct sockaddr_un	sun;
	}			 peer;		/* the client, for log lines:
						   as a PROXY header names it */
};

struct conn	*conn_new(struct worker *, const struct handoff *);
int		 conn_begin(struct conn *);
void		 conn_log_connected(const struct conn *, const char *,
		    const char *);
const char	*conn_peer_name(const struct conn *, char *, size_t);
void		 conn_drain(struct conn *);
void		 conn_close(struct conn *, enum stats_end, const char *);
size_t		 conn_pending(const struct conn *);
void		 conn_try_resume(struct conn *);
void		 conn_idle_sample(struct idle_entry *, struct idle_sample *,
		    void *);
void		 conn_idle_expire(struct idle_entry *, void *);
int		 conn_set_bev(struct conn *, struct bufferevent *);
void		 conn_take(struct conn *, struct evbuffer *);
void		 conn_eof(struct conn *);
void		 conn_flushed(struct conn *);

#endif /* EVECHO_CONN_H */

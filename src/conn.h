/*
 * conn.h: one client connection: the echo itself, backpressure,
 * half-close, idle timeout and the graceful end on shutdown.
 */
#ifndef EVECHO_CONN_H
#define EVECHO_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>

#include <stdint.h>

#include <event2/event_struct.h>
#include <event2/util.h>

struct bufferevent;
struct worker;

enum conn_state {
	CONN_ECHOING,		/* reading and echoing */
	CONN_FLUSHING,		/* no more input; close once output is sent */
	CONN_LINGERING		/* output sent and shut down; await client EOF */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* in worker->conns */
	struct worker		*worker;	/* owner: loop and settings */
	struct event		 ev_read;	/* the socket: readable, or idle */
	struct bufferevent	*bev;		/* its output queue; NULL until
						   the echo first has to wait */
	uint64_t		 bytes_in;	/* read from the client */
	struct timeval		 opened;	/* for the duration logged */
	uint64_t		 mark_in;	/* bytes_in at mark_at */
	uint64_t		 mark_taken;	/* bytes the client had taken */
	struct timeval		 mark_at;	/* when they last moved */
	enum conn_state		 state;
	unsigned		 paused:1;	/* backpressure stopped reading */
	unsigned		 client_eof:1;	/* client shut down its side */
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}			 peer;		/* for log lines */
};

struct conn	*conn_new(struct worker *, evutil_socket_t,
		    const struct sockaddr *, int);
void		 conn_drain(struct conn *);
void		 conn_close(struct conn *, const char *);
size_t		 conn_pending(const struct conn *);

#endif /* EVECHO_CONN_H */

/*
 * bench_client.h: one connection of the load, in one of four roles.  Its
 * bytes are one pseudo-random stream (bench_pattern.h): tx counts what
 * was written, rx what came back and was checked, so the echo is checked
 * however it is split, with no copy of what was sent.
 */
#ifndef EVECHO_BENCH_CLIENT_H
#define EVECHO_BENCH_CLIENT_H

#include <stdint.h>

#include "bench_pattern.h"
#include "bench_tally.h"

struct event;
struct load;
struct ssl_st;

enum client_role {
	ROLE_PINGPONG,		/* depth messages in flight, each timed */
	ROLE_STREAM,		/* write and read without pause */
	ROLE_CHURN,		/* connect, one message, close; repeat */
	ROLE_IDLE,		/* connected, silent, must stay so */
	ROLE_DGRAM		/* --udp: depth datagrams in flight */
};

enum client_state {
	CS_NEW,			/* no socket yet */
	CS_CONNECTING,		/* connect under way */
	CS_OPEN,		/* connected, working */
	CS_BACKOFF,		/* churn: pausing after a failure */
	CS_FINISHED,		/* its work is over, without error */
	CS_DEAD			/* failed: error counted, socket closed */
};

struct client {
	struct load		*load;
	struct event		*rev;		/* readable, persistent */
	struct event		*wev;		/* connected, or writable */
	int			 fd;		/* -1 when closed */
	struct ssl_st		*ssl;		/* --tls: over fd; or NULL */
	uint32_t		 id;		/* connection number */
	enum client_role	 role;
	enum client_state	 state;
	int			 wev_on;	/* wev is pending */
	int			 startup;	/* in the start-up connect */
	struct pat		 pat;		/* the stream of this id */
	uint64_t		 tx;		/* stream bytes written */
	uint64_t		 rx;		/* echo read and checked */
	uint64_t		 tx_limit;	/* write up to here */
	uint64_t		*sent_at;	/* pingpong: ring of depth
						   send times, by message */
	uint64_t		 probe_off;	/* stream: rx that ends the
						   probe; 0: none in flight */
	uint64_t		 probe_at;	/* stream: when it was sent */
	uint64_t		 started;	/* churn: when connect began */
	uint64_t		*dg_seq;	/* --udp: each slot's datagram;
						   its sent_at is 0 when free */
	unsigned long		 dg_out;	/* --udp: slots in flight */
};

int	client_init(struct client *, struct load *, uint32_t,
	    enum client_role);
void	client_connect(struct client *);
void	client_start(struct client *, uint64_t);
void	client_drain(struct client *);
void	client_expire(struct client *);
void	client_free(struct client *);
void	client_failed(struct client *, enum tally_error, const char *, int);
void	client_mismatch(struct client *, const char *);
void	client_done(struct client *);

#endif /* EVECHO_BENCH_CLIENT_H */

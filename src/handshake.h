/*
 * handshake.h: what a connection goes through before its echo begins.
 * On a ",proxy" listener that is the PROXY protocol header, read in full
 * and never echoed, within --handshake-timeout.  The stage's state lives
 * apart from struct conn and only while the stage lasts, so connections
 * of plain listeners pay nothing for it.
 */
#ifndef EVECHO_HANDSHAKE_H
#define EVECHO_HANDSHAKE_H

#include <stdint.h>

#include <event2/event_struct.h>

struct conn;

struct handshake {
	struct event	 timer;		/* the deadline, or the next peek */
	uint64_t	 deadline_ms;	/* monotonic; 0: none */
	unsigned	 retry_ms;	/* wait before peeking again */
	unsigned	 peeked;	/* bytes seen at the last peek */
};

int	handshake_start(struct conn *);
void	handshake_free(struct conn *);

#endif /* EVECHO_HANDSHAKE_H */

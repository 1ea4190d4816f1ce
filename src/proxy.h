/*
 * proxy.h: the PROXY protocol header (HAProxy's proxy-protocol.txt),
 * versions 1 (text) and 2 (binary), which a load balancer sends before
 * the client's bytes to say who the client is.
 *
 * proxy_parse() works on the bytes received so far: it says whether they
 * hold a whole header (and how long it is), need more, or can never be
 * one.  It keeps no state between calls, so a caller may hand it the
 * same growing buffer after each read.
 */
#ifndef EVECHO_PROXY_H
#define EVECHO_PROXY_H

#include <sys/socket.h>

#include <stddef.h>

#define PROXY_V1_MAX	107	/* the longest line, CRLF included */
#define PROXY_V2_FIXED	16	/* signature, version, family, length */
/*
 * The longest version 2 header taken: addresses and TLVs (ALPN, authority,
 * SSL) fit well within it, and a connection never holds more.
 */
#define PROXY_V2_MAX	2048
#define PROXY_MAX	PROXY_V2_MAX	/* the most either may need */

enum proxy_result {
	PROXY_DONE,		/* a whole header: see struct proxy_header */
	PROXY_MORE,		/* a header's beginning: read on */
	PROXY_BAD		/* no header can begin so: err says why */
};

struct proxy_header {
	int			 version;	/* 1 or 2 */
	int			 local;		/* no client address given: v1
						   UNKNOWN, v2 LOCAL or UNSPEC */
	size_t			 len;		/* bytes the header takes */
	struct sockaddr_storage	 src;		/* the client, unless local */
	struct sockaddr_storage	 dst;		/* where it connected to */
};

enum proxy_result
	proxy_parse(const unsigned char *, size_t, struct proxy_header *,
	    char *, size_t);

#endif /* EVECHO_PROXY_H */

/*
 * udpguard.h: which datagram sources evecho never answers, as OpenBSD's
 * inetd refuses them in dg_badinput(): an answer there would reflect
 * traffic at a spoofed victim, or start an endless loop with another
 * UDP service.  Beyond inetd: a source on the listener's own port, most
 * likely another echo service on the same port, which a spoofed datagram
 * would set answering evecho for ever.
 */
#ifndef EVECHO_UDPGUARD_H
#define EVECHO_UDPGUARD_H

#include <sys/socket.h>

#define UDPGUARD_NFS_PORT	2049	/* NFS: answered never, as in inetd */

/* Why a source is refused; UDPGUARD_OK if it may be answered. */
enum udpguard_reason {
	UDPGUARD_OK = 0,
	UDPGUARD_BAD_ADDR,	/* too short, or not IPv4 or IPv6 */
	UDPGUARD_LOW_PORT,	/* port 0, below 1024, or NFS's */
	UDPGUARD_BROADCAST,	/* 255.255.255.255, or 255/8 */
	UDPGUARD_MULTICAST,	/* 224/4, ff00::/8 */
	UDPGUARD_THIS_NET,	/* 0.0.0.0/8, :: */
	UDPGUARD_MAPPED,	/* ::ffff:0:0/96 on an IPv6 socket */
	UDPGUARD_OWN_PORT	/* the listener's own port: another echo */
};

enum udpguard_reason
		 udpguard_check(const struct sockaddr *, socklen_t,
		    unsigned);
const char	*udpguard_reason_name(enum udpguard_reason);

#endif /* EVECHO_UDPGUARD_H */

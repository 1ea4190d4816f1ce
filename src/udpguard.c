/*
 * udpguard.c: the sources a datagram echo must not answer.
 *
 * After OpenBSD inetd's dg_badinput(): a reserved source port (below
 * 1024) is another service, such as echo, chargen, daytime, time, DNS
 * or NTP, or a forged address of one: answering would loop between the
 * two, or turn evecho into a reflector.  Broadcast, multicast and
 * "this network" sources cannot send a datagram at all; one that
 * claims them is forged.  IPv4-mapped sources never arrive on an
 * IPV6_V6ONLY socket except forged.  Directed broadcasts of the local
 * networks are not looked up (inetd walks the interfaces for them); the
 * rate limit bounds what could go there.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "udpguard.h"

#define UDPGUARD_RESERVED	1024	/* IPPORT_RESERVED */

static const char *const udpguard_names[] = {
	[UDPGUARD_OK] = "ok",
	[UDPGUARD_BAD_ADDR] = "unknown address family",
	[UDPGUARD_LOW_PORT] = "source port below 1024",
	[UDPGUARD_BROADCAST] = "broadcast source",
	[UDPGUARD_MULTICAST] = "multicast source",
	[UDPGUARD_THIS_NET] = "source in 0.0.0.0/8",
	[UDPGUARD_MAPPED] = "IPv4-mapped source",
	[UDPGUARD_OWN_PORT] = "source port is the listener's own",
};

static enum udpguard_reason	udpguard_v4(uint32_t);

/*
 * Whether a datagram from sa (salen bytes of it) to a listener on port
 * own (0: no such check) may be answered.
 */
enum udpguard_reason
udpguard_check(const struct sockaddr *sa, socklen_t salen, unsigned own)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	enum udpguard_reason	 r;
	uint32_t		 v4;
	uint16_t		 port;

	if (salen < (socklen_t)sizeof sa->sa_family)
		return (UDPGUARD_BAD_ADDR);
	switch (sa->sa_family) {
	case AF_INET:
		if (salen < (socklen_t)sizeof sin)
			return (UDPGUARD_BAD_ADDR);
		memcpy(&sin, sa, sizeof sin);	/* no alignment assumed */
		if ((r = udpguard_v4(ntohl(sin.sin_addr.s_addr))) !=
		    UDPGUARD_OK)
			return (r);
		port = ntohs(sin.sin_port);
		break;
	case AF_INET6:
		if (salen < (socklen_t)sizeof sin6)
			return (UDPGUARD_BAD_ADDR);
		memcpy(&sin6, sa, sizeof sin6);
		if (IN6_IS_ADDR_MULTICAST(&sin6.sin6_addr))
			return (UDPGUARD_MULTICAST);
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr))
			return (UDPGUARD_THIS_NET);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
			return (UDPGUARD_MAPPED);
		if (IN6_IS_ADDR_V4COMPAT(&sin6.sin6_addr)) {
			/* Deprecated ::a.b.c.d: judge the IPv4 inside. */
			memcpy(&v4, &sin6.sin6_addr.s6_addr[12], sizeof v4);
			if ((r = udpguard_v4(ntohl(v4))) != UDPGUARD_OK)
				return (r);
		}
		port = ntohs(sin6.sin6_port);
		break;
	default:
		return (UDPGUARD_BAD_ADDR);
	}
	if (port < UDPGUARD_RESERVED || port == UDPGUARD_NFS_PORT)
		return (UDPGUARD_LOW_PORT);
	if (port == own)
		return (UDPGUARD_OWN_PORT);
	return (UDPGUARD_OK);
}

/* For log lines: "source port below 1024". */
const char *
udpguard_reason_name(enum udpguard_reason r)
{
	if ((size_t)r >= sizeof udpguard_names / sizeof udpguard_names[0])
		return ("?");
	return (udpguard_names[r]);
}

/* An IPv4 source, in host order: multicast, broadcast or this-net. */
static enum udpguard_reason
udpguard_v4(uint32_t a)
{
	if ((a & 0xf0000000U) == 0xe0000000U)		/* 224/4 */
		return (UDPGUARD_MULTICAST);
	if ((a >> 24) == 255)				/* 255/8 */
		return (UDPGUARD_BROADCAST);
	if ((a >> 24) == 0)				/* 0/8 */
		return (UDPGUARD_THIS_NET);
	return (UDPGUARD_OK);
}

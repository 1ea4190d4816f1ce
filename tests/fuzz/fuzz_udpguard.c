/*
 * fuzz_udpguard.c: libFuzzer target for udpguard_check(), the judge of a
 * datagram's source address (what a peer controls, and may forge), and
 * for ratelimit_take() on the sources it lets through.  The first input
 * byte is the address length the kernel would report (0 to 255); the
 * rest are the address, copied to a buffer of exactly that length, for
 * ASan, zeros past the input.  Checked: nothing is read past the length;
 * the reason is one the guard names; an accepted source is IPv4 or IPv6
 * of full length, from port 1024 or above and neither 2049 nor the
 * listener's own (FUZZ_OWN_PORT), not multicast, broadcast, 0/8, :: or
 * IPv4-mapped; the rate limit answers 0 or 1, the first datagram of a
 * new table is always let through, and the table never holds more hosts
 * than its fixed size.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ratelimit.h"
#include "udpguard.h"

/* The port of the listener the datagrams are judged for. */
#define FUZZ_OWN_PORT	7777

/* One table for the whole run: its memory must stay bounded too. */
static struct ratelimit	*fuzz_rl;
static uint64_t		 fuzz_clock;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	enum udpguard_reason	 r;
	struct ratelimit	*fresh;
	const char		*name;
	uint8_t			*sa;
	socklen_t		 len;
	uint32_t		 a;
	uint16_t		 port = 0;
	size_t			 have;

	if (size == 0)
		return (0);
	len = data[0];
	have = size - 1 < len ? size - 1 : len;
	FUZZ_CHECK((sa = calloc(1, len > 0 ? len : 1)) != NULL);
	memcpy(sa, data + 1, have);
	r = udpguard_check((const struct sockaddr *)sa, len, FUZZ_OWN_PORT);
	name = udpguard_reason_name(r);
	FUZZ_CHECK(name != NULL && strcmp(name, "?") != 0);
	if (r == UDPGUARD_OK) {
		sa_family_t family;

		memcpy(&family, sa, sizeof family);
		if (family == AF_INET) {
			FUZZ_CHECK(len >= sizeof sin);
			memcpy(&sin, sa, sizeof sin);
			a = ntohl(sin.sin_addr.s_addr);
			FUZZ_CHECK((a >> 24) != 0 && (a >> 24) != 255 &&
			    (a >> 28) != 0xe);
			port = ntohs(sin.sin_port);
		} else {
			FUZZ_CHECK(family == AF_INET6);
			FUZZ_CHECK(len >= sizeof sin6);
			memcpy(&sin6, sa, sizeof sin6);
			FUZZ_CHECK(!IN6_IS_ADDR_MULTICAST(&sin6.sin6_addr) &&
			    !IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr) &&
			    !IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr));
			port = ntohs(sin6.sin6_port);
		}
		FUZZ_CHECK(port >= 1024 && port != UDPGUARD_NFS_PORT &&
		    port != FUZZ_OWN_PORT);

		/* Only a source the guard passed reaches the rate limit. */
		if (fuzz_rl == NULL)
			FUZZ_CHECK((fuzz_rl = ratelimit_new(3)) != NULL);
		fuzz_clock += data[size - 1];	/* time goes on, unevenly */
		a = (uint32_t)ratelimit_take(fuzz_rl,
		    (const struct sockaddr *)sa, fuzz_clock);
		FUZZ_CHECK(a == 0 || a == 1);
		FUZZ_CHECK(ratelimit_hosts(fuzz_rl) <=
		    RATELIMIT_SETS * RATELIMIT_WAYS);
		FUZZ_CHECK((fresh = ratelimit_new(1)) != NULL);
		FUZZ_CHECK(ratelimit_take(fresh, (const struct sockaddr *)sa,
		    fuzz_clock) == 1);
		FUZZ_CHECK(ratelimit_take(fresh, (const struct sockaddr *)sa,
		    fuzz_clock) == 0);
		ratelimit_free(fresh);
	}
	free(sa);
	return (0);
}

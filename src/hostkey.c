/*
 * hostkey.c: one client host as a key, and its keyed hash.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "hostkey.h"

/*
 * The host of sa as HOSTKEY_LEN bytes: an IPv4 address as
 * ::ffff:a.b.c.d, so the two families never collide, an IPv6 address
 * cut to its /64, and an IPv4-mapped IPv6 peer as its IPv4 host.
 */
enum hostkey_kind
hostkey_of(const struct sockaddr *sa, uint8_t *key)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(key, 0, HOSTKEY_LEN);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &sin->sin_addr, 4);
		return (HOSTKEY_V4);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(key, &sin6->sin6_addr, 16);
			return (HOSTKEY_V4);
		}
		memcpy(key, &sin6->sin6_addr, 8);
		return (HOSTKEY_V6);
	default:
		return (HOSTKEY_OTHER);
	}
}

/*
 * A keyed 64-bit mix of a key (splitmix64 rounds): with a seed drawn at
 * start-up, nobody outside can pick hosts that share a slot.
 */
uint64_t
hostkey_hash(uint64_t seed, const uint8_t *key)
{
	uint64_t	 h = seed, w;
	int		 i;

	for (i = 0; i < HOSTKEY_LEN / 8; i++) {
		memcpy(&w, key + 8 * i, sizeof w);
		h ^= w;
		h += 0x9e3779b97f4a7c15ULL;
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
		h ^= h >> 31;
	}
	return (h);
}

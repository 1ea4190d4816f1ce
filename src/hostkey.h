/*
 * hostkey.h: what counts as one client host, for --max-conns-per-host
 * and --udp-rate alike: an IPv4 address, or an IPv6 /64 (one
 * subscriber's prefix), as a 16-byte key, and a keyed hash of it for
 * tables a flood of made-up hosts must not be able to steer.
 */
#ifndef EVECHO_HOSTKEY_H
#define EVECHO_HOSTKEY_H

#include <sys/socket.h>

#include <stdint.h>

#define HOSTKEY_LEN	16

/* What hostkey_of() found. */
enum hostkey_kind {
	HOSTKEY_V4,		/* an IPv4 host, or an IPv4-mapped one */
	HOSTKEY_V6,		/* an IPv6 /64 */
	HOSTKEY_OTHER		/* another family: all zeros, one host */
};

enum hostkey_kind
	hostkey_of(const struct sockaddr *, uint8_t *);
uint64_t
	hostkey_hash(uint64_t, const uint8_t *);

#endif /* EVECHO_HOSTKEY_H */

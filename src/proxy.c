/*
 * proxy.c: the PROXY protocol header, as proxy-protocol.txt specifies.
 * The header is required where it is expected, never guessed: bytes that
 * cannot begin one are refused at once, without waiting for more.
 *
 * Whatever is decided on a prefix of the input stays decided on a longer
 * one: a refused beginning is refused however it goes on, and a header
 * found is the same header.  The fuzz target checks that.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"

static const char proxy_v1_sig[] = "PROXY ";
static const unsigned char proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PROXY_V1_SIGLEN		(sizeof proxy_v1_sig - 1)
#define PROXY_V2_SIGLEN		(sizeof proxy_v2_sig)

/* Version 2's address families, with the transport in the low nibble. */
#define PROXY_AF_UNSPEC		0x00
#define PROXY_AF_INET		0x10
#define PROXY_AF_INET6		0x20
#define PROXY_AF_UNIX		0x30

static enum proxy_result
		proxy_v1(const unsigned char *, size_t, struct proxy_header *,
		    char *, size_t);
static enum proxy_result
		proxy_v1_line(char *, struct proxy_header *, char *, size_t);
static int	proxy_v1_port(const char *, uint16_t *);
static enum proxy_result
		proxy_v2(const unsigned char *, size_t, struct proxy_header *,
		    char *, size_t);
static void	proxy_v2_addresses(const unsigned char *, unsigned,
		    struct proxy_header *);

/*
 * Look for a header at the start of buf (len bytes received so far).
 * PROXY_DONE fills h; PROXY_BAD puts one sentence in err.
 */
enum proxy_result
proxy_parse(const unsigned char *buf, size_t len, struct proxy_header *h,
    char *err, size_t errlen)
{
	size_t	 n;

	memset(h, 0, sizeof *h);
	n = len < PROXY_V1_SIGLEN ? len : PROXY_V1_SIGLEN;
	if (memcmp(buf, proxy_v1_sig, n) == 0)
		return (len < PROXY_V1_SIGLEN ? PROXY_MORE :
		    proxy_v1(buf, len, h, err, errlen));
	n = len < PROXY_V2_SIGLEN ? len : PROXY_V2_SIGLEN;
	if (memcmp(buf, proxy_v2_sig, n) == 0)
		return (len < PROXY_V2_SIGLEN ? PROXY_MORE :
		    proxy_v2(buf, len, h, err, errlen));
	snprintf(err, errlen, "no PROXY protocol header: the connection must "
	    "begin with one");
	return (PROXY_BAD);
}

/*
 * Version 1: "PROXY TCP4|TCP6|UNKNOWN ...\r\n", printable ASCII, at most
 * PROXY_V1_MAX bytes in all.
 */
static enum proxy_result
proxy_v1(const unsigned char *buf, size_t len, struct proxy_header *h,
    char *err, size_t errlen)
{
	char	 line[PROXY_V1_MAX];
	size_t	 i;

	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\r') {
			if (i + 2 > PROXY_V1_MAX) {
				i = PROXY_V1_MAX;	/* too long for CRLF */
				break;
			}
			if (i + 1 == len)
				return (PROXY_MORE);
			if (buf[i + 1] != '\n')
				break;
			memcpy(line, buf, i);
			line[i] = '\0';
			h->version = 1;
			h->len = i + 2;
			return (proxy_v1_line(line, h, err, errlen));
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			break;
	}
	if (i < len && i < PROXY_V1_MAX) {
		snprintf(err, errlen, "malformed PROXY v1 header: a byte that "
		    "is not printable ASCII");
		return (PROXY_BAD);
	}
	if (i == PROXY_V1_MAX) {
		snprintf(err, errlen, "malformed PROXY v1 header: no CRLF "
		    "within %d bytes", PROXY_V1_MAX);
		return (PROXY_BAD);
	}
	return (PROXY_MORE);
}

/* The line without its CRLF: protocol, addresses and ports. */
static enum proxy_result
proxy_v1_line(char *line, struct proxy_header *h, char *err, size_t errlen)
{
	char			*field[6], *p = line;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&h->dst;
	uint16_t		 sport, dport;
	int			 n = 0, af;

	/* Fields apart by exactly one space; UNKNOWN may have anything after. */
	while (n < 6) {
		field[n++] = p;
		if (n == 2 && strncmp(field[1], "UNKNOWN", 7) == 0 &&
		    (p[7] == '\0' || p[7] == ' ')) {
			h->local = 1;
			return (PROXY_DONE);
		}
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 6 || p != NULL) {
		snprintf(err, errlen, "malformed PROXY v1 header: expected "
		    "'PROXY TCP4|TCP6 SRC DST SPORT DPORT'");
		return (PROXY_BAD);
	}
	if (strcmp(field[1], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(field[1], "TCP6") == 0)
		af = AF_INET6;
	else {
		snprintf(err, errlen, "malformed PROXY v1 header: unknown "
		    "protocol '%.8s'", field[1]);
		return (PROXY_BAD);
	}
	if (inet_pton(af, field[2], af == AF_INET ? (void *)&s4->sin_addr :
	    (void *)&s6->sin6_addr) != 1 || inet_pton(af, field[3],
	    af == AF_INET ? (void *)&d4->sin_addr :
	    (void *)&d6->sin6_addr) != 1) {
		snprintf(err, errlen, "malformed PROXY v1 header: an address "
		    "that is not %s", af == AF_INET ? "IPv4" : "IPv6");
		return (PROXY_BAD);
	}
	if (proxy_v1_port(field[4], &sport) == -1 ||
	    proxy_v1_port(field[5], &dport) == -1) {
		snprintf(err, errlen, "malformed PROXY v1 header: a port that "
		    "is not 0 to 65535");
		return (PROXY_BAD);
	}
	h->src.ss_family = h->dst.ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		s4->sin_port = htons(sport);
		d4->sin_port = htons(dport);
	} else {
		s6->sin6_port = htons(sport);
		d6->sin6_port = htons(dport);
	}
	return (PROXY_DONE);
}

/* A port in decimal, 0 to 65535, without a leading zero. */
static int
proxy_v1_port(const char *s, uint16_t *port)
{
	unsigned long	 v = 0;
	size_t		 i, n = strlen(s);

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return (-1);
	*port = (uint16_t)v;
	return (0);
}

/*
 * Version 2: the signature, version 2 with LOCAL or PROXY, a family and
 * transport, and the length of what follows; each refused as soon as it
 * is seen to be wrong.  TLVs after the addresses are skipped.
 */
static enum proxy_result
proxy_v2(const unsigned char *buf, size_t len, struct proxy_header *h,
    char *err, size_t errlen)
{
	unsigned	 cmd, fam, alen, need;

	if (len > 12 && ((buf[12] >> 4) != 2 || (buf[12] & 0xf) > 1)) {
		snprintf(err, errlen, "malformed PROXY v2 header: version and "
		    "command 0x%02x, not 0x20 (LOCAL) or 0x21 (PROXY)",
		    buf[12]);
		return (PROXY_BAD);
	}
	/* UNSPEC, or INET, INET6 or UNIX over STREAM (1) or DGRAM (2). */
	if (len > 13 && buf[13] != 0 && ((buf[13] & 0xf0) == 0 ||
	    (buf[13] & 0xf0) > PROXY_AF_UNIX || (buf[13] & 0x0f) == 0 ||
	    (buf[13] & 0x0f) > 2)) {
		snprintf(err, errlen, "malformed PROXY v2 header: unknown "
		    "family and transport 0x%02x", buf[13]);
		return (PROXY_BAD);
	}
	if (len < PROXY_V2_FIXED)
		return (PROXY_MORE);
	cmd = buf[12] & 0xf;
	fam = buf[13] & 0xf0;
	alen = (unsigned)buf[14] << 8 | buf[15];
	if (PROXY_V2_FIXED + alen > PROXY_V2_MAX) {
		snprintf(err, errlen, "PROXY v2 header of %u bytes: more than "
		    "the %d taken", PROXY_V2_FIXED + alen, PROXY_V2_MAX);
		return (PROXY_BAD);
	}
	need = fam == PROXY_AF_INET ? 12 : fam == PROXY_AF_INET6 ? 36 :
	    fam == PROXY_AF_UNIX ? 216 : 0;
	if (cmd == 1 && alen < need) {
		snprintf(err, errlen, "malformed PROXY v2 header: %u bytes of "
		    "addresses, too few for its family", alen);
		return (PROXY_BAD);
	}
	if (len < PROXY_V2_FIXED + alen)
		return (PROXY_MORE);
	h->version = 2;
	h->len = PROXY_V2_FIXED + alen;
	/* LOCAL (a health check) and UNSPEC carry no client address. */
	if (cmd == 0 || fam == PROXY_AF_UNSPEC)
		h->local = 1;
	else
		proxy_v2_addresses(buf + PROXY_V2_FIXED, fam, h);
	return (PROXY_DONE);
}

/* The addresses of a PROXY command, in network byte order, into h. */
static void
proxy_v2_addresses(const unsigned char *a, unsigned fam,
    struct proxy_header *h)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&h->dst;
	struct sockaddr_un	*su = (struct sockaddr_un *)&h->src;
	struct sockaddr_un	*du = (struct sockaddr_un *)&h->dst;

	switch (fam) {
	case PROXY_AF_INET:
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		memcpy(&d4->sin_port, a + 10, 2);
		break;
	case PROXY_AF_INET6:
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&d6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		memcpy(&d6->sin6_port, a + 34, 2);
		break;
	default:	/* PROXY_AF_UNIX: two paths of 108 bytes */
		su->sun_family = du->sun_family = AF_UNIX;
		memcpy(su->sun_path, a, sizeof su->sun_path - 1);
		memcpy(du->sun_path, a + 108, sizeof du->sun_path - 1);
		break;
	}
}

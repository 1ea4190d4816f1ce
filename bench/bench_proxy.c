/*
 * bench_proxy.c: the PROXY protocol header (HAProxy's proxy-protocol.txt)
 * for one connection, naming its own two ends, as a load balancer would
 * name the client it relays and the address that client reached.  Over
 * a Unix-domain socket, version 1 can only say UNKNOWN; version 2 names
 * the two socket paths (the client's is usually empty).
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench_proxy.h"

/* The version 2 signature. */
static const unsigned char proxy_v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a,
    0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static int	bench_proxy_v1(const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned char *, size_t);
static int	bench_proxy_v2(const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned char *, size_t);

/*
 * The header of version 1 or 2 for connected socket fd into buf: its
 * length, or -1 with errno set.
 */
int
bench_proxy_header(int fd, int version, unsigned char *buf, size_t len)
{
	struct sockaddr_storage	 src, dst;
	socklen_t		 slen = sizeof src, dlen = sizeof dst;

	memset(&src, 0, sizeof src);	/* an unnamed socket fills little */
	memset(&dst, 0, sizeof dst);
	if (getsockname(fd, (struct sockaddr *)&src, &slen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&dst, &dlen) == -1)
		return (-1);
	if (src.ss_family != dst.ss_family || (src.ss_family != AF_INET &&
	    src.ss_family != AF_INET6 && src.ss_family != AF_UNIX)) {
		errno = EAFNOSUPPORT;
		return (-1);
	}
	if (version == 1)
		return (bench_proxy_v1(&src, &dst, buf, len));
	return (bench_proxy_v2(&src, &dst, buf, len));
}

/* "PROXY TCP4 SRC DST SPORT DPORT\r\n". */
static int
bench_proxy_v1(const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, unsigned char *buf, size_t len)
{
	char		 s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	unsigned	 sport, dport;
	int		 n;

	if (src->ss_family == AF_UNIX) {
		if ((n = snprintf((char *)buf, len, "PROXY UNKNOWN\r\n")) < 0 ||
		    (size_t)n >= len) {
			errno = ENOSPC;
			return (-1);
		}
		return (n);
	}
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src;
		const struct sockaddr_in *b = (const void *)dst;

		inet_ntop(AF_INET, &a->sin_addr, s, sizeof s);
		inet_ntop(AF_INET, &b->sin_addr, d, sizeof d);
		sport = ntohs(a->sin_port);
		dport = ntohs(b->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)src;
		const struct sockaddr_in6 *b = (const void *)dst;

		inet_ntop(AF_INET6, &a->sin6_addr, s, sizeof s);
		inet_ntop(AF_INET6, &b->sin6_addr, d, sizeof d);
		sport = ntohs(a->sin6_port);
		dport = ntohs(b->sin6_port);
	}
	n = snprintf((char *)buf, len, "PROXY %s %s %s %u %u\r\n",
	    src->ss_family == AF_INET ? "TCP4" : "TCP6", s, d, sport, dport);
	if (n < 0 || (size_t)n >= len) {
		errno = ENOSPC;
		return (-1);
	}
	return (n);
}

/* The binary form: signature, PROXY over STREAM, the two addresses. */
static int
bench_proxy_v2(const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, unsigned char *buf, size_t len)
{
	size_t	 alen = src->ss_family == AF_INET ? 12 :
		    src->ss_family == AF_INET6 ? 36 : 216;
	size_t	 at = 16, half = alen / 2 - 2;	/* bytes of one address */

	if (len < 16 + alen) {
		errno = ENOSPC;
		return (-1);
	}
	memcpy(buf, proxy_v2_sig, sizeof proxy_v2_sig);
	buf[12] = 0x21;			/* version 2, PROXY */
	buf[13] = src->ss_family == AF_INET ? 0x11 :	/* over STREAM */
	    src->ss_family == AF_INET6 ? 0x21 : 0x31;
	buf[14] = (unsigned char)(alen >> 8);
	buf[15] = (unsigned char)(alen & 0xff);
	if (src->ss_family == AF_UNIX) {
		const struct sockaddr_un *a = (const void *)src;
		const struct sockaddr_un *b = (const void *)dst;

		memcpy(buf + at, a->sun_path, 108);
		memcpy(buf + at + 108, b->sun_path, 108);
	} else if (src->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src;
		const struct sockaddr_in *b = (const void *)dst;

		memcpy(buf + at, &a->sin_addr, half);
		memcpy(buf + at + half, &b->sin_addr, half);
		memcpy(buf + at + 2 * half, &a->sin_port, 2);
		memcpy(buf + at + 2 * half + 2, &b->sin_port, 2);
	} else {
		const struct sockaddr_in6 *a = (const void *)src;
		const struct sockaddr_in6 *b = (const void *)dst;

		memcpy(buf + at, &a->sin6_addr, half);
		memcpy(buf + at + half, &b->sin6_addr, half);
		memcpy(buf + at + 2 * half, &a->sin6_port, 2);
		memcpy(buf + at + 2 * half + 2, &b->sin6_port, 2);
	}
	return ((int)(16 + alen));
}

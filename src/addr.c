/*
 * addr.c: listen addresses.  The accepted forms are HOST, HOST:PORT,
 * [IPV6], [IPV6]:PORT and :PORT (every interface; "*" may stand for the
 * empty host).  Parsing never touches the network; resolving does.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "addr.h"

static int	parse_port(const char *, uint16_t *);
static int	valid_host_name(const char *);
static int	valid_ipv6_literal(const char *);

/*
 * Parse one listen address.  A missing port becomes default_port.  On error
 * return -1 with a sentence for the user in err; nothing is resolved here.
 */
int
addr_parse(const char *spec, uint16_t default_port, struct addr_spec *out,
    char *err, size_t errlen)
{
	const char	*host, *port = NULL, *colon;
	size_t		 hostlen;

	memset(out, 0, sizeof *out);
	out->port = default_port;

	if (*spec == '\0') {
		snprintf(err, errlen, "empty listen address");
		return (-1);
	}

	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL) {
			snprintf(err, errlen,
			    "listen address '%s' has '[' without ']'", spec);
			return (-1);
		}
		host = spec + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "listen address '%s': expected "
			    "':PORT' after ']'", spec);
			return (-1);
		}
		if (hostlen == 0 || hostlen >= sizeof out->host) {
			snprintf(err, errlen, "listen address '%s': '[...]' "
			    "must hold an IPv6 address", spec);
			return (-1);
		}
		memcpy(out->host, host, hostlen);
		if (!valid_ipv6_literal(out->host)) {
			snprintf(err, errlen, "listen address '%s': '%s' is "
			    "not an IPv6 address", spec, out->host);
			return (-1);
		}
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			snprintf(err, errlen, "listen address '%s' has several "
			    "':'; write IPv6 addresses in brackets, as in "
			    "[::1]:7777", spec);
			return (-1);
		}
		hostlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
		if (colon != NULL)
			port = colon + 1;
		if (hostlen >= sizeof out->host) {
			snprintf(err, errlen, "listen address '%.32s...': host "
			    "name longer than %d characters", spec,
			    ADDR_HOST_MAX - 1);
			return (-1);
		}
		memcpy(out->host, spec, hostlen);
		if (strcmp(out->host, "*") == 0)
			out->host[0] = '\0';
		if (colon == NULL && strspn(spec, "0123456789") == hostlen) {
			snprintf(err, errlen, "listen address '%s' is only a "
			    "number; write ':%s' for every interface or "
			    "'127.0.0.1:%s' for loopback", spec, spec, spec);
			return (-1);
		}
		if (out->host[0] != '\0' && !valid_host_name(out->host)) {
			snprintf(err, errlen, "listen address '%s': '%s' is "
			    "not a valid host name or address", spec,
			    out->host);
			return (-1);
		}
	}

	if (port != NULL && parse_port(port, &out->port) == -1) {
		snprintf(err, errlen, "listen address '%s': port '%s' is not "
		    "a number from 0 to 65535", spec, port);
		return (-1);
	}
	return (0);
}

/* Decimal 0..65535, digits only: no sign, no spaces, no service names. */
static int
parse_port(const char *s, uint16_t *out)
{
	unsigned long	 value = 0;
	size_t		 i;

	if (*s == '\0' || strlen(s) > 5)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		value = value * 10 + (unsigned long)(s[i] - '0');
	}
	if (value > 65535)
		return (-1);
	*out = (uint16_t)value;
	return (0);
}

/* Letters, digits, '-', '_' and '.': names and IPv4 literals. */
static int
valid_host_name(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return (0);
	}
	return (1);
}

/*
 * An IPv6 literal, optionally with a "%zone" suffix (fe80::1%eth0).  Read
 * by the C library's inet_pton, as getaddrinfo will read it when resolving:
 * libevent's own evutil_inet_pton takes a trailing ':' ("::1:") that the
 * resolver then refuses.
 */
static int
valid_ipv6_literal(const char *s)
{
	struct in6_addr	 in6;
	char		 addr[INET6_ADDRSTRLEN];
	const char	*zone = strchr(s, '%');
	size_t		 len = zone != NULL ? (size_t)(zone - s) : strlen(s);

	if (len == 0 || len >= sizeof addr)
		return (0);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (zone != NULL && (zone[1] == '\0' || !valid_host_name(zone + 1)))
		return (0);
	return (inet_pton(AF_INET6, addr, &in6) == 1);
}

/*
 * Resolve a parsed address into one or more socket addresses to bind.  A
 * name may yield several (127.0.0.1 and ::1 for "localhost"); the empty
 * host yields the wildcard of every family the system knows.
 */
enum addr_error
addr_resolve(const struct addr_spec *spec, struct evutil_addrinfo **res,
    char *err, size_t errlen)
{
	struct evutil_addrinfo	 hints;
	char			 port[8];
	int			 rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", (unsigned)spec->port);

	rc = evutil_getaddrinfo(spec->host[0] != '\0' ? spec->host : NULL,
	    port, &hints, res);
	if (rc == 0)
		return (ADDR_OK);
	*res = NULL;
	switch (rc) {
	case EVUTIL_EAI_AGAIN:
		snprintf(err, errlen, "cannot resolve '%s': %s", spec->host,
		    evutil_gai_strerror(rc));
		return (ADDR_TEMPFAIL);
	case EVUTIL_EAI_NONAME:
	case EVUTIL_EAI_FAIL:
	case EVUTIL_EAI_FAMILY:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		snprintf(err, errlen, "cannot resolve '%s': %s", spec->host,
		    evutil_gai_strerror(rc));
		return (ADDR_NOHOST);
	case EVUTIL_EAI_SYSTEM:
		snprintf(err, errlen, "cannot resolve '%s': %s", spec->host,
		    strerror(errno));
		return (ADDR_SYSTEM);
	default:
		snprintf(err, errlen, "cannot resolve '%s': %s", spec->host,
		    evutil_gai_strerror(rc));
		return (ADDR_SYSTEM);
	}
}

/* "192.0.2.1:7777" or "[2001:db8::1]:7777"; never fails, never NULL. */
const char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;

		if (evutil_inet_ntop(AF_INET, &sin->sin_addr, host,
		    sizeof host) == NULL)
			break;
		snprintf(buf, len, "%s:%u", host,
		    (unsigned)ntohs(sin->sin_port));
		return (buf);
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host,
		    sizeof host) == NULL)
			break;
		snprintf(buf, len, "[%s]:%u", host,
		    (unsigned)ntohs(sin6->sin6_port));
		return (buf);
	}
	default:
		snprintf(buf, len, "(address family %d)", sa->sa_family);
		return (buf);
	}
	snprintf(buf, len, "(unprintable address)");
	return (buf);
}

/* The spec as the user would write it: "*:7777", "[::1]:0", "h:80". */
void
addr_spec_format(const struct addr_spec *spec, char *buf, size_t len)
{
	if (spec->host[0] == '\0')
		snprintf(buf, len, "*:%u", (unsigned)spec->port);
	else if (strchr(spec->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", spec->host, (unsigned)spec->port);
	else
		snprintf(buf, len, "%s:%u", spec->host, (unsigned)spec->port);
}

/*
 * addr.c: listen addresses.  An address is [KIND:]WHERE[,OPTION]...:
 * KIND is tcp (the default), udp or unix; WHERE is HOST, HOST:PORT,
 * [IPV6], [IPV6]:PORT or :PORT (every interface; "*" may stand for the
 * empty host), or a path for unix; OPTION is tls or proxy, for stream
 * listeners.  Parsing never touches the network; resolving does.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "addr.h"
#include "cli.h"

/* The listener options, as written after a comma. */
static const struct {
	const char	*name;
	unsigned	 flag;
} addr_options[] = {
	{ "tls",	ADDR_OPT_TLS },
	{ "proxy",	ADDR_OPT_PROXY },
};

static int	addr_wrong_kind(const char *, size_t *);
static int	addr_host_is_kind(const char *);
static int	addr_parse_options(const char *, const char *,
		    struct addr_spec *, char *, size_t);
static int	addr_parse_path(const char *, const char *,
		    struct addr_spec *, char *, size_t);
static int	addr_parse_inet(const char *, const char *,
		    struct addr_spec *, char *, size_t);
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
	char		 where[4 * ADDR_HOST_MAX];
	const char	*rest = spec, *comma;
	size_t		 len;

	memset(out, 0, sizeof *out);
	out->kind = ADDR_TCP;
	out->port = default_port;

	if (strncmp(rest, "tcp:", 4) == 0)
		rest += 4;
	else if (strncmp(rest, "udp:", 4) == 0) {
		out->kind = ADDR_UDP;
		rest += 4;
	} else if (strncmp(rest, "unix:", 5) == 0) {
		out->kind = ADDR_UNIX;
		rest += 5;
	} else if (addr_wrong_kind(rest, &len)) {
		snprintf(err, errlen, "listen address '%s': unknown kind "
		    "'%.*s'; the kinds are tcp:, udp: and unix:, and TLS is "
		    "an option: HOST:PORT,tls", spec, (int)len, rest);
		return (-1);
	}
	comma = strchr(rest, ',');
	len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (len == 0) {
		snprintf(err, errlen, *spec == '\0' ? "empty listen address" :
		    "listen address '%s' names no %s", spec,
		    out->kind == ADDR_UNIX ? "socket path" : "host or port");
		return (-1);
	}
	if (len >= sizeof where) {
		snprintf(err, errlen, "listen address '%.32s...' is longer "
		    "than %zu characters", spec, sizeof where - 1);
		return (-1);
	}
	memcpy(where, rest, len);
	where[len] = '\0';
	if (comma != NULL &&
	    addr_parse_options(spec, comma + 1, out, err, errlen) == -1)
		return (-1);
	if (out->kind == ADDR_UNIX)
		return (addr_parse_path(spec, where, out, err, errlen));
	return (addr_parse_inet(spec, where, out, err, errlen));
}

/*
 * Whether spec begins with a kind of listener people may try that evecho
 * does not have ("tls:", "udp6:"), rather than a host name: without this,
 * "sctp:h:7" would be refused as an IPv6 address missing its brackets.
 */
static int
addr_wrong_kind(const char *spec, size_t *len)
{
	static const char *const kinds[] = { "tls", "ssl", "sctp", "tcp4",
	    "tcp6", "udp4", "udp6", "http", "https", "dccp", "unix-dgram",
	    "unixgram", "abstract", NULL };
	size_t		 i, n;

	for (i = 0; kinds[i] != NULL; i++) {
		n = strlen(kinds[i]);
		if (strncmp(spec, kinds[i], n) == 0 && spec[n] == ':') {
			*len = n;
			return (1);
		}
	}
	return (0);
}

/*
 * Whether HOST:PORT would be read back as a kind of listener, not as a
 * host: a host named "udp" or "https" needs "tcp:" written before it.
 */
static int
addr_host_is_kind(const char *host)
{
	char	 probe[24];
	size_t	 len;

	if (strlen(host) + 2 > sizeof probe)
		return (0);
	snprintf(probe, sizeof probe, "%s:", host);
	return (strcmp(host, "tcp") == 0 || strcmp(host, "udp") == 0 ||
	    strcmp(host, "unix") == 0 || addr_wrong_kind(probe, &len));
}

/*
 * The comma-separated options after the address, each known and given
 * once, and each fit for the kind of listener.
 */
static int
addr_parse_options(const char *spec, const char *opts, struct addr_spec *out,
    char *err, size_t errlen)
{
	const char	*p = opts, *end;
	size_t		 i, len;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < sizeof addr_options / sizeof addr_options[0];
		    i++) {
			if (strlen(addr_options[i].name) == len &&
			    strncmp(addr_options[i].name, p, len) == 0)
				break;
		}
		if (i == sizeof addr_options / sizeof addr_options[0]) {
			snprintf(err, errlen, "listen address '%s': unknown "
			    "option '%.*s'; the options are tls and proxy",
			    spec, (int)(len > 32 ? 32 : len), p);
			return (-1);
		}
		if (out->options & addr_options[i].flag) {
			snprintf(err, errlen, "listen address '%s': option "
			    "'%s' given twice", spec, addr_options[i].name);
			return (-1);
		}
		if (out->kind == ADDR_UDP) {
			snprintf(err, errlen, "listen address '%s': option "
			    "'%s' is for stream listeners, not udp", spec,
			    addr_options[i].name);
			return (-1);
		}
		out->options |= addr_options[i].flag;
		if (end == NULL)
			return (0);
		p = end + 1;
	}
}

/*
 * A Unix-domain socket path: it must fit sun_path, NUL included.  A
 * relative path is taken from the directory evecho starts in.
 */
static int
addr_parse_path(const char *spec, const char *path, struct addr_spec *out,
    char *err, size_t errlen)
{
	if (strlen(path) >= sizeof out->path) {
		snprintf(err, errlen, "listen address '%.40s...': a socket "
		    "path has at most %zu characters", spec,
		    sizeof out->path - 1);
		return (-1);
	}
	snprintf(out->path, sizeof out->path, "%s", path);
	out->port = 0;
	return (0);
}

/* HOST, HOST:PORT, [IPV6], [IPV6]:PORT or :PORT, of the whole spec. */
static int
addr_parse_inet(const char *whole, const char *spec, struct addr_spec *out,
    char *err, size_t errlen)
{
	const char	*host, *port = NULL, *colon;
	size_t		 hostlen;

	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL) {
			snprintf(err, errlen,
			    "listen address '%s' has '[' without ']'", whole);
			return (-1);
		}
		host = spec + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "listen address '%s': expected "
			    "':PORT' after ']'", whole);
			return (-1);
		}
		if (hostlen == 0 || hostlen >= sizeof out->host) {
			snprintf(err, errlen, "listen address '%s': '[...]' "
			    "must hold an IPv6 address", whole);
			return (-1);
		}
		memcpy(out->host, host, hostlen);
		if (!valid_ipv6_literal(out->host)) {
			snprintf(err, errlen, "listen address '%s': '%s' is "
			    "not an IPv6 address", whole, out->host);
			return (-1);
		}
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			snprintf(err, errlen, "listen address '%s' has several "
			    "':'; write IPv6 addresses in brackets, as in "
			    "[::1]:7777", whole);
			return (-1);
		}
		hostlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
		if (colon != NULL)
			port = colon + 1;
		if (hostlen >= sizeof out->host) {
			snprintf(err, errlen, "listen address '%.32s...': host "
			    "name longer than %d characters", whole,
			    ADDR_HOST_MAX - 1);
			return (-1);
		}
		memcpy(out->host, spec, hostlen);
		if (strcmp(out->host, "*") == 0)
			out->host[0] = '\0';
		if (colon == NULL && strspn(spec, "0123456789") == hostlen) {
			snprintf(err, errlen, "listen address '%s' is only a "
			    "number; write ':%s' for every interface or "
			    "'127.0.0.1:%s' for loopback", whole, spec, spec);
			return (-1);
		}
		if (out->host[0] != '\0' && !valid_host_name(out->host)) {
			snprintf(err, errlen, "listen address '%s': '%s' is "
			    "not a valid host name or address", whole,
			    out->host);
			return (-1);
		}
	}

	if (port != NULL && parse_port(port, &out->port) == -1) {
		snprintf(err, errlen, "listen address '%s': port '%s' is not "
		    "a number from 0 to 65535", whole, port);
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
 * host yields the wildcard of every family the system knows.  The kind
 * of spec says which socket type: datagrams for udp:, else streams.
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
	hints.ai_socktype = spec->kind == ADDR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_protocol = spec->kind == ADDR_UDP ? IPPROTO_UDP : IPPROTO_TCP;
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
	case AF_UNIX: {
		const struct sockaddr_un *sun = (const void *)sa;
		char	 path[sizeof sun->sun_path + 1], shown[ADDR_STRLEN];
		int	 abstract;

		/* An abstract name (Linux) starts with a NUL: "@name". */
		abstract = sun->sun_path[0] == '\0' && sun->sun_path[1] != '\0';
		snprintf(path, sizeof path, "%.*s",
		    (int)sizeof sun->sun_path - abstract,
		    sun->sun_path + abstract);
		/* Peers choose paths (a PROXY header, any bytes): no line
		 * breaks or terminal escapes reach the log. */
		snprintf(buf, len, "unix:%s%s", abstract ? "@" : "",
		    cli_escape(path, shown, sizeof shown));
		return (buf);
	}
	default:
		snprintf(buf, len, "(address family %d)", sa->sa_family);
		return (buf);
	}
	snprintf(buf, len, "(unprintable address)");
	return (buf);
}

/*
 * The spec as the user would write it: "*:7777", "[::1]:0", "h:80",
 * "udp:127.0.0.1:7", "unix:/run/evecho.sock", "127.0.0.1:7443,tls".
 */
void
addr_spec_format(const struct addr_spec *spec, char *buf, size_t len)
{
	const char	*kind = spec->kind == ADDR_UDP ? "udp:" :
			    addr_host_is_kind(spec->host) ? "tcp:" : "";
	size_t		 used, i;

	if (spec->kind == ADDR_UNIX)
		snprintf(buf, len, "unix:%s", spec->path);
	else if (spec->host[0] == '\0')
		snprintf(buf, len, "%s*:%u", kind, (unsigned)spec->port);
	else if (strchr(spec->host, ':') != NULL)
		snprintf(buf, len, "%s[%s]:%u", kind, spec->host,
		    (unsigned)spec->port);
	else
		snprintf(buf, len, "%s%s:%u", kind, spec->host,
		    (unsigned)spec->port);
	for (i = 0; i < sizeof addr_options / sizeof addr_options[0]; i++) {
		used = strlen(buf);
		if ((spec->options & addr_options[i].flag) && used < len)
			snprintf(buf + used, len - used, ",%s",
			    addr_options[i].name);
	}
}

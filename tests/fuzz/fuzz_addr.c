/*
 * fuzz_addr.c: libFuzzer target for addr_parse(), the argument of -l.
 * The input is the address as typed.  Checked on every input: the default
 * port only fills in a missing port and never decides validity; an
 * accepted address holds only the characters of the documented forms, its
 * host is a name, empty, or an IPv6 literal that the resolver reads as
 * one without a name lookup; addr_spec_format() writes it
 * back as text that parses to the same spec and formats the same again,
 * and cuts rather than overruns a short buffer; an error is one line.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

#define FUZZ_ERRLEN	512		/* what main() gives config_parse() */
#define FUZZ_FMTLEN	(ADDR_STRLEN + ADDR_HOST_MAX)	/* server.c's */
#define FUZZ_PORT	7777		/* the default port, as config.c's */

/* Every character an accepted address may hold, in any of its forms. */
#define FUZZ_ADDR_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789-_.:[]%*,"
#define FUZZ_NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789-_."

static void	fuzz_addr_host(const struct addr_spec *);
static void	fuzz_addr_round_trip(const struct addr_spec *);
static void	fuzz_addr_short_buffers(const struct addr_spec *,
		    const char *);

/* Parse the input with two default ports and check what comes back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_spec	 a, b;
	char			 erra[FUZZ_ERRLEN], errb[FUZZ_ERRLEN];
	char			 tiny[8];
	char			*spec;
	int			 ra, rb, rc;

	/* A C string cannot hold NUL, nor can a command-line argument. */
	if (memchr(data, '\0', size) != NULL)
		return (0);
	spec = fuzz_strndup(data, size);

	ra = addr_parse(spec, FUZZ_PORT, &a, erra, sizeof erra);
	rb = addr_parse(spec, 0, &b, errb, sizeof errb);
	FUZZ_CHECK(ra == 0 || ra == -1);
	FUZZ_CHECK(ra == rb);
	if (ra == -1) {
		fuzz_check_error(erra, sizeof erra, data, size);
		FUZZ_CHECK(strcmp(erra, errb) == 0);
	} else {
		FUZZ_CHECK(a.kind == b.kind && a.options == b.options);
		FUZZ_CHECK(strcmp(a.path, b.path) == 0);
		FUZZ_CHECK(a.kind != ADDR_UDP || a.options == 0);
		FUZZ_CHECK(strcmp(a.host, b.host) == 0);
		if (a.kind == ADDR_UNIX) {
			/* A path may hold anything but a comma. */
			FUZZ_CHECK(a.path[0] != '\0' &&
			    strchr(a.path, ',') == NULL);
			FUZZ_CHECK(a.host[0] == '\0' && a.port == 0);
		} else {
			FUZZ_CHECK(strspn(spec, FUZZ_ADDR_CHARS) == size);
			FUZZ_CHECK(a.port == b.port ||
			    (a.port == FUZZ_PORT && b.port == 0));
			fuzz_addr_host(&a);
		}
		fuzz_addr_round_trip(&a);
	}

	/* A short error buffer gets the start of the sentence, no more. */
	rc = addr_parse(spec, FUZZ_PORT, &b, tiny, sizeof tiny);
	FUZZ_CHECK(rc == ra);
	if (rc == -1) {
		FUZZ_CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
		FUZZ_CHECK(strncmp(tiny, erra, strlen(tiny)) == 0);
	}

	free(spec);
	return (0);
}

/*
 * The host is empty (every interface), a name, or an IPv6 literal that
 * getaddrinfo(), which addr_resolve() ends in, takes as a number.  The
 * zone is left out: whether it names an interface depends on the machine.
 */
static void
fuzz_addr_host(const struct addr_spec *spec)
{
	struct addrinfo	 hints, *res = NULL;
	char		 literal[ADDR_HOST_MAX];
	const char	*zone;
	size_t		 len;

	len = strnlen(spec->host, sizeof spec->host);
	FUZZ_CHECK(len < sizeof spec->host);
	if (strchr(spec->host, ':') == NULL) {
		FUZZ_CHECK(strspn(spec->host, FUZZ_NAME_CHARS) == len);
		return;
	}
	zone = strchr(spec->host, '%');
	if (zone != NULL) {
		FUZZ_CHECK(zone[1] != '\0');
		FUZZ_CHECK(strspn(zone + 1, FUZZ_NAME_CHARS) ==
		    strlen(zone + 1));
		len = (size_t)(zone - spec->host);
	}
	memcpy(literal, spec->host, len);
	literal[len] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	FUZZ_CHECK(getaddrinfo(literal, "7", &hints, &res) == 0);
	freeaddrinfo(res);
}

/*
 * What addr_spec_format() writes fits the buffer server.c gives it, has
 * the documented shape (the kind first, the options last), and parses
 * back to the same spec.
 */
static void
fuzz_addr_round_trip(const struct addr_spec *spec)
{
	struct addr_spec	 again;
	char			 text[FUZZ_FMTLEN], text2[FUZZ_FMTLEN];
	char			 port[8], opts[16] = "", err[FUZZ_ERRLEN];
	const char		*where = text;
	size_t			 len;

	addr_spec_format(spec, text, sizeof text);
	len = strlen(text);
	FUZZ_CHECK(len + 1 < sizeof text);	/* room to spare: not cut */

	if (spec->options & ADDR_OPT_TLS)
		strcat(opts, ",tls");
	if (spec->options & ADDR_OPT_PROXY)
		strcat(opts, ",proxy");
	FUZZ_CHECK(len > strlen(opts));
	FUZZ_CHECK(strcmp(text + len - strlen(opts), opts) == 0);
	len -= strlen(opts);
	if (spec->kind == ADDR_UNIX) {
		FUZZ_CHECK(strncmp(text, "unix:", 5) == 0);
		FUZZ_CHECK(len == 5 + strlen(spec->path));
		FUZZ_CHECK(strncmp(text + 5, spec->path, len - 5) == 0);
	} else {
		if (spec->kind == ADDR_UDP) {
			FUZZ_CHECK(strncmp(text, "udp:", 4) == 0);
			where += 4;
		} else if (strncmp(text, "tcp:", 4) == 0)
			where += 4;	/* a host named as a kind is */
		/* "*:PORT", "[V6]:PORT" or "HOST:PORT". */
		snprintf(port, sizeof port, ":%u", (unsigned)spec->port);
		FUZZ_CHECK(len > strlen(port));
		FUZZ_CHECK(strncmp(text + len - strlen(port), port,
		    strlen(port)) == 0);
		if (spec->host[0] == '\0')
			FUZZ_CHECK(where[0] == '*' && where[1] == ':');
		else if (strchr(spec->host, ':') != NULL)
			FUZZ_CHECK(where[0] == '[');
		else
			FUZZ_CHECK(strncmp(where, spec->host,
			    strlen(spec->host)) == 0);
	}

	/* Any default port: the text names its port. */
	FUZZ_CHECK(addr_parse(text, (uint16_t)(spec->port + 1), &again, err,
	    sizeof err) == 0);
	FUZZ_CHECK(again.kind == spec->kind);
	FUZZ_CHECK(again.options == spec->options);
	FUZZ_CHECK(strcmp(again.host, spec->host) == 0);
	FUZZ_CHECK(strcmp(again.path, spec->path) == 0);
	FUZZ_CHECK(again.port == spec->port);
	addr_spec_format(&again, text2, sizeof text2);
	FUZZ_CHECK(strcmp(text, text2) == 0);

	fuzz_addr_short_buffers(spec, text);
}

/* A buffer too short for the text gets its start, cut and terminated. */
static void
fuzz_addr_short_buffers(const struct addr_spec *spec, const char *text)
{
	size_t	 full = strlen(text);
	size_t	 sizes[] = { 1, 2, full / 2 + 1, full, full + 1 };
	size_t	 i, want;
	char	*buf;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		/* Exactly this long, so that a sanitizer sees an overrun. */
		if ((buf = malloc(sizes[i])) == NULL) {
			perror("malloc");
			abort();
		}
		addr_spec_format(spec, buf, sizes[i]);
		want = sizes[i] - 1 < full ? sizes[i] - 1 : full;
		FUZZ_CHECK(strnlen(buf, sizes[i]) == want);
		FUZZ_CHECK(strncmp(buf, text, want) == 0);
		free(buf);
	}
}

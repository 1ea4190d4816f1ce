/*
 * fuzz_proxy.c: libFuzzer target for proxy_parse(), the PROXY protocol
 * header a load balancer sends first.  The input is the bytes a peer
 * sent.  Checked on every input: the parser reads only what it is given
 * (the input is copied to a buffer of exactly its size, for ASan); a
 * header found is no longer than the input, at least as long as its
 * version's least, at most PROXY_MAX, and its addresses are of a family
 * evecho knows unless it is local; what is decided on the input stays
 * decided on every longer input and never is on a shorter one: every
 * prefix of a refused input is either refused or asks for more, every
 * prefix shorter than a header found asks for more, and the input with a
 * byte more gives the same header; a refusal says why in one line.
 */
#include "autoconfig.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proxy.h"

#define FUZZ_ERRLEN	256

static enum proxy_result
fuzz_proxy_parse(const uint8_t *data, size_t size, struct proxy_header *h,
    char *err)
{
	uint8_t			*copy = malloc(size > 0 ? size : 1);
	enum proxy_result	 r;

	FUZZ_CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	err[0] = '\0';
	r = proxy_parse(copy, size, h, err, FUZZ_ERRLEN);
	free(copy);
	return (r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header	 h, part;
	enum proxy_result	 r, pr;
	char			 err[FUZZ_ERRLEN], perr[FUZZ_ERRLEN];
	uint8_t			*more;
	size_t			 n;

	if (size > PROXY_MAX + 64)
		return (0);
	r = fuzz_proxy_parse(data, size, &h, err);
	switch (r) {
	case PROXY_DONE:
		FUZZ_CHECK(h.len <= size && h.len <= PROXY_MAX);
		FUZZ_CHECK((h.version == 1 && h.len >= 8 &&
		    h.len <= PROXY_V1_MAX) || (h.version == 2 &&
		    h.len >= PROXY_V2_FIXED));
		FUZZ_CHECK(h.local || h.src.ss_family == AF_INET ||
		    h.src.ss_family == AF_INET6 || h.src.ss_family == AF_UNIX);
		FUZZ_CHECK(h.local || h.dst.ss_family == h.src.ss_family);
		break;
	case PROXY_BAD:
		FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL &&
		    memchr(err, '\0', sizeof err) != NULL);
		break;
	case PROXY_MORE:
		FUZZ_CHECK(size < PROXY_MAX);
		break;
	default:
		FUZZ_CHECK(!"an unknown result");
	}
	/* Prefixes: never decided earlier than the whole. */
	for (n = 0; n < size; n++) {
		pr = fuzz_proxy_parse(data, n, &part, perr);
		if (r == PROXY_DONE && n < h.len)
			FUZZ_CHECK(pr == PROXY_MORE);
		else if (r == PROXY_DONE)
			FUZZ_CHECK(pr == PROXY_DONE && part.len == h.len);
		else if (r == PROXY_MORE)
			FUZZ_CHECK(pr == PROXY_MORE);
		else
			FUZZ_CHECK(pr != PROXY_DONE);
	}
	/* One byte more changes nothing decided. */
	more = malloc(size + 1);
	FUZZ_CHECK(more != NULL);
	if (size > 0)
		memcpy(more, data, size);
	more[size] = size > 0 ? data[0] : 'x';
	pr = fuzz_proxy_parse(more, size + 1, &part, perr);
	if (r == PROXY_DONE)
		FUZZ_CHECK(pr == PROXY_DONE && part.len == h.len &&
		    memcmp(&part.src, &h.src, sizeof h.src) == 0);
	if (r == PROXY_BAD)
		FUZZ_CHECK(pr == PROXY_BAD);
	free(more);
	return (0);
}

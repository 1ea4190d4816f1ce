/*
 * fuzz.h: what the fuzz targets share: libFuzzer's entry point, which
 * tests/fuzz/replay.c also drives, and a check for their invariants.
 *
 * A broken invariant aborts, so libFuzzer keeps the input as a crash and
 * the replay under make check fails; assert() would vanish under NDEBUG.
 */
#ifndef EVECHO_FUZZ_H
#define EVECHO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

/* Name the invariant that broke, and where, then abort. */
static inline void __attribute__((noreturn))
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/* Copy len bytes into a string of its own, exactly len + 1 bytes long. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL) {
		perror("malloc");
		abort();
	}
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return (s);
}

/*
 * An error for the user is one sentence on one line: not empty, ended
 * within its buffer, and holding no control character (a newline, an
 * escape) that the user did not type.  The parsers quote what they were
 * given, so a typed newline may come back; see tests/fuzz/README.
 */
static inline void
fuzz_check_error(const char *err, size_t errlen, const uint8_t *typed,
    size_t typedlen)
{
	const char	*end = memchr(err, '\0', errlen);
	const char	*p;

	FUZZ_CHECK(end != NULL);
	FUZZ_CHECK(end > err);
	for (p = err; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			FUZZ_CHECK(memchr(typed, c, typedlen) != NULL);
	}
}

#endif /* EVECHO_FUZZ_H */

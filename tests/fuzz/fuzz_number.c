/*
 * fuzz_number.c: libFuzzer target for the number parsers behind the flags:
 * value_parse_uint(), value_parse_size() and value_parse_seconds().
 *
 * The first input byte picks the parser and its bounds: 'A' + an index
 * into fuzz_cases[] (the bounds the flags use, then edge cases); any other
 * byte takes the bounds from the next 16 bytes (8 for seconds).  The rest
 * is the argument as typed.  Each parser is checked against a model of
 * its grammar written independently (on strtoul), in both
 * directions: it accepts exactly what the model accepts, with the model's
 * value.  What it accepts lies in [min, max], printed back parses to the
 * same number, and a failure leaves the result alone.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "value.h"

#define FUZZ_UNTOUCHED	0x5a5a5a5aUL	/* result before a parse */
#define FUZZ_SIZE_MAX	31	/* longest size value_parse_size() reads */
#define FUZZ_WHOLE_MAX	15	/* longest whole part of seconds it reads */
#define FUZZ_DIGITS	"0123456789"
#define KIB		1024UL
#define MIB		(1024UL * 1024)
#define GIB		(1024UL * 1024 * 1024)

enum fuzz_kind { FUZZ_UINT, FUZZ_SIZE, FUZZ_SECONDS };

/* A parser and the bounds it is called with. */
static const struct fuzz_case {
	enum fuzz_kind	 kind;
	unsigned long	 min, max;	/* seconds: max only */
} fuzz_cases[] = {
	{ FUZZ_UINT,	1, CONFIG_BACKLOG_MAX },	/* A --backlog */
	{ FUZZ_UINT,	1, CONFIG_MAX_CONNS_MAX },	/* B --max-conns */
	{ FUZZ_UINT,	1, CONFIG_THREADS_MAX },	/* C --threads */
	{ FUZZ_SIZE,	1, CONFIG_MAX_QUEUE_MAX },	/* D --max-queue */
	{ FUZZ_SECONDS,	0, CONFIG_SECONDS_MAX },	/* E -t, --drain-... */
	{ FUZZ_UINT,	0, ULONG_MAX },			/* F bench's --seed */
	{ FUZZ_UINT,	1, INT_MAX },			/* G bench's pid */
	{ FUZZ_SIZE,	1, 16 * MIB },			/* H bench's --size */
	{ FUZZ_UINT,	0, 0 },				/* I */
	{ FUZZ_UINT,	7, 7 },				/* J */
	{ FUZZ_UINT,	ULONG_MAX, ULONG_MAX },		/* K */
	{ FUZZ_UINT,	10, 9 },			/* L nothing fits */
	{ FUZZ_SIZE,	0, ULONG_MAX },			/* M */
	{ FUZZ_SIZE,	KIB, KIB },			/* N */
	{ FUZZ_SIZE,	1, KIB - 1 },			/* O */
	{ FUZZ_SIZE,	GIB + 1, ULONG_MAX },		/* P */
	{ FUZZ_SECONDS,	0, 0 },				/* Q */
	{ FUZZ_SECONDS,	0, UINT_MAX / 1000 },		/* R */
	{ FUZZ_SECONDS,	0, UINT_MAX / 1000 + 1 },	/* S */
	{ FUZZ_SECONDS,	0, UINT_MAX },			/* T */
};

static int	fuzz_number_model(const char *, size_t, unsigned long *);
static void	fuzz_number_uint(const char *, unsigned long, unsigned long);
static void	fuzz_number_size(const char *, unsigned long, unsigned long);
static void	fuzz_number_seconds(const char *, unsigned);

/* Pick the parser and bounds, then check it on the rest of the input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_case	 c;
	size_t			 pick, ncases, need;
	char			*s;

	ncases = sizeof fuzz_cases / sizeof fuzz_cases[0];
	if (size == 0)
		return (0);
	pick = (size_t)(data[0] - 'A');
	if (data[0] >= 'A' && pick < ncases) {
		c = fuzz_cases[pick];
		data++;
		size--;
	} else {
		c.kind = (enum fuzz_kind)(data[0] % 3);
		need = c.kind == FUZZ_SECONDS ? 4 : 2 * sizeof c.min;
		if (size < 1 + need)
			return (0);
		if (c.kind == FUZZ_SECONDS) {
			uint32_t max_s;

			memcpy(&max_s, data + 1, sizeof max_s);
			c.min = 0;
			c.max = max_s;
		} else {
			memcpy(&c.min, data + 1, sizeof c.min);
			memcpy(&c.max, data + 1 + sizeof c.min, sizeof c.max);
		}
		data += 1 + need;
		size -= 1 + need;
	}
	/* A C string cannot hold NUL, nor can a command-line argument. */
	if (memchr(data, '\0', size) != NULL)
		return (0);
	s = fuzz_strndup(data, size);

	switch (c.kind) {
	case FUZZ_UINT:
		fuzz_number_uint(s, c.min, c.max);
		break;
	case FUZZ_SIZE:
		fuzz_number_size(s, c.min, c.max);
		break;
	case FUZZ_SECONDS:
		fuzz_number_seconds(s, (unsigned)c.max);
		break;
	}
	free(s);
	return (0);
}

/* The model of a whole number: one or more digits, at most ULONG_MAX. */
static int
fuzz_number_model(const char *s, size_t len, unsigned long *out)
{
	char		*copy;
	unsigned long	 value;
	int		 rc = -1;

	if (len == 0 || strspn(s, FUZZ_DIGITS) < len)
		return (-1);
	copy = fuzz_strndup((const uint8_t *)s, len);
	errno = 0;
	value = strtoul(copy, NULL, 10);
	if (errno == 0) {
		*out = value;
		rc = 0;
	}
	free(copy);
	return (rc);
}

/* value_parse_uint(): digits only, value in [min, max]. */
static void
fuzz_number_uint(const char *s, unsigned long min, unsigned long max)
{
	unsigned long	 got = FUZZ_UNTOUCHED, again, want = 0;
	char		 text[32];
	int		 ok;

	ok = fuzz_number_model(s, strlen(s), &want) == 0 && want >= min &&
	    want <= max;
	if (value_parse_uint(s, min, max, &got) == -1) {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK(got == FUZZ_UNTOUCHED);
		return;
	}
	FUZZ_CHECK(ok);
	FUZZ_CHECK(got == want);
	FUZZ_CHECK(got >= min && got <= max);

	/* Printed back, it parses to the same number. */
	snprintf(text, sizeof text, "%lu", got);
	FUZZ_CHECK(value_parse_uint(text, min, max, &again) == 0);
	FUZZ_CHECK(again == got);

	/* The bounds are inclusive, and one past them excludes it. */
	FUZZ_CHECK(value_parse_uint(s, got, got, &again) == 0);
	FUZZ_CHECK(again == got);
	if (got > 0)
		FUZZ_CHECK(value_parse_uint(s, 0, got - 1, &again) == -1);
	if (got < ULONG_MAX)
		FUZZ_CHECK(value_parse_uint(s, got + 1, ULONG_MAX,
		    &again) == -1);
}

/*
 * value_parse_size(): a whole number with an optional k, M or G (either
 * case) for 2^10, 2^20, 2^30; at most FUZZ_SIZE_MAX characters, the length
 * of its buffer; bytes in [min, max].
 */
static void
fuzz_number_size(const char *s, unsigned long min, unsigned long max)
{
	static const char	 suffixes[] = "kMG";
	unsigned long		 got = FUZZ_UNTOUCHED, again, n = 0, unit = 1;
	unsigned long		 want = 0;
	size_t			 len = strlen(s), i;
	char			 text[40];
	int			 ok;

	if (len > 0 && strchr("kK", s[len - 1]) != NULL)
		unit = KIB;
	else if (len > 0 && strchr("mM", s[len - 1]) != NULL)
		unit = MIB;
	else if (len > 0 && strchr("gG", s[len - 1]) != NULL)
		unit = GIB;
	ok = len <= FUZZ_SIZE_MAX &&
	    fuzz_number_model(s, unit == 1 ? len : len - 1, &n) == 0 &&
	    !__builtin_mul_overflow(n, unit, &want) &&
	    want >= min && want <= max;
	if (value_parse_size(s, min, max, &got) == -1) {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK(got == FUZZ_UNTOUCHED);
		return;
	}
	FUZZ_CHECK(ok);
	FUZZ_CHECK(got == want);
	FUZZ_CHECK(got >= min && got <= max);
	FUZZ_CHECK(got % unit == 0);

	/* Printed back in bytes, and with each suffix that divides it. */
	snprintf(text, sizeof text, "%lu", got);
	FUZZ_CHECK(value_parse_size(text, min, max, &again) == 0);
	FUZZ_CHECK(again == got);
	for (i = 0, unit = KIB; suffixes[i] != '\0'; i++, unit *= KIB) {
		if (got % unit != 0)
			continue;
		snprintf(text, sizeof text, "%lu%c", got / unit, suffixes[i]);
		FUZZ_CHECK(value_parse_size(text, min, max, &again) == 0);
		FUZZ_CHECK(again == got);
	}
	FUZZ_CHECK(value_parse_size(s, got, got, &again) == 0);
	FUZZ_CHECK(again == got);
}

/*
 * value_parse_seconds(): WHOLE, WHOLE.F or .F, with one to three
 * decimals and a whole part of at most FUZZ_WHOLE_MAX digits, the length
 * of its buffer; at most max_s seconds, and at most UINT_MAX ms.
 */
static void
fuzz_number_seconds(const char *s, unsigned max_s)
{
	const char		*dot = strchr(s, '.');
	size_t			 wlen = dot != NULL ? (size_t)(dot - s) :
				    strlen(s);
	size_t			 flen = dot != NULL ? strlen(dot + 1) : 0;
	unsigned long		 whole = 0, frac = 0;
	unsigned long long	 want = 0;
	unsigned		 got = FUZZ_UNTOUCHED, again;
	char			 decimals[4] = "000", text[32];
	int			 ok;

	/* The model: whole seconds and milliseconds, each by strtoul. */
	ok = (wlen > 0 || dot != NULL) && wlen <= FUZZ_WHOLE_MAX &&
	    (wlen == 0 || fuzz_number_model(s, wlen, &whole) == 0);
	if (ok && dot != NULL) {
		ok = flen >= 1 && flen <= 3 &&
		    strspn(dot + 1, FUZZ_DIGITS) == flen;
		if (ok) {
			memcpy(decimals, dot + 1, flen);
			ok = fuzz_number_model(decimals, 3, &frac) == 0;
		}
	}
	if (ok) {
		want = (unsigned long long)whole * 1000 + frac;
		ok = want <= (unsigned long long)max_s * 1000 &&
		    want <= UINT_MAX;
	}
	if (value_parse_seconds(s, max_s, &got) == -1) {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK(got == FUZZ_UNTOUCHED);
		return;
	}
	FUZZ_CHECK(ok);
	FUZZ_CHECK(got == want);
	FUZZ_CHECK(got / 1000 <= max_s);
	FUZZ_CHECK(got / 1000 < max_s || got % 1000 == 0);

	/* Printed back with three decimals, and whole when it is. */
	snprintf(text, sizeof text, "%u.%03u", got / 1000, got % 1000);
	FUZZ_CHECK(value_parse_seconds(text, max_s, &again) == 0);
	FUZZ_CHECK(again == got);
	if (got % 1000 == 0) {
		snprintf(text, sizeof text, "%u", got / 1000);
		FUZZ_CHECK(value_parse_seconds(text, max_s, &again) == 0);
		FUZZ_CHECK(again == got);
	}
}

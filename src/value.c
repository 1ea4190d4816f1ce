/*
 * value.c: the values flags take, read strictly and written back: whole
 * numbers, byte counts, seconds, octal modes and syslog facilities.  Each
 * reader takes the whole string or nothing (strtonum-style: atoi would
 * accept "12abc", strtoul " -1"); evecho and evecho-bench share them.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "value.h"

/* A decimal whole number in [min, max]: digits only, no sign, no spaces. */
int
value_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long	 value = 0;
	const char	*p;

	if (*s == '\0')
		return (-1);
	for (p = s; *p != '\0'; p++) {
		unsigned long digit = (unsigned long)(*p - '0');

		if (!isdigit((unsigned char)*p))
			return (-1);
		/* Stop before passing max, so nothing can overflow. */
		if (value > max / 10)
			return (-1);
		value *= 10;
		if (digit > max - value)
			return (-1);
		value += digit;
	}
	if (value < min)
		return (-1);
	*out = value;
	return (0);
}

/* A byte count with an optional binary suffix: 512, 64k, 1M, 1G. */
int
value_parse_size(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char		 digits[32];
	size_t		 len = strlen(s);
	unsigned long	 unit = 1, value;

	if (len == 0 || len >= sizeof digits)
		return (-1);
	switch (s[len - 1]) {
	case 'k': case 'K':
		unit = 1024UL;
		break;
	case 'm': case 'M':
		unit = 1024UL * 1024;
		break;
	case 'g': case 'G':
		unit = 1024UL * 1024 * 1024;
		break;
	}
	if (unit != 1)
		len--;
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (value_parse_uint(digits, 0, max / unit, &value) == -1)
		return (-1);
	value *= unit;
	if (value < min)
		return (-1);
	*out = value;
	return (0);
}

/*
 * A byte count as value_parse_size() reads it ("64k", "1M"), when it is
 * a whole number of a unit; else to one decimal of the largest unit it
 * holds ("5.9G", "1.5k").
 */
const char *
value_format_size(size_t n, char *buf, size_t len)
{
	static const char units[] = "kMG";
	double		 v = (double)n;
	size_t		 unit = 1;
	int		 u = -1;

	while (u < 2 && n / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%zu", n);
	else if (n % unit == 0)
		snprintf(buf, len, "%zu%c", n / unit, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v / (double)unit, units[u]);
	return (buf);
}

/*
 * Seconds with up to three decimals ("30", "0.5", "1.250"), at most max_s,
 * returned in milliseconds.
 */
int
value_parse_seconds(const char *s, unsigned max_s, unsigned *out_ms)
{
	char		 whole[16];
	const char	*dot = strchr(s, '.');
	size_t		 wlen = dot != NULL ? (size_t)(dot - s) : strlen(s);
	unsigned long	 secs, ms = 0;
	unsigned long long total;
	unsigned	 scale = 100;

	if ((wlen == 0 && dot == NULL) || wlen >= sizeof whole)
		return (-1);
	memcpy(whole, s, wlen);
	whole[wlen] = '\0';
	if (wlen == 0)
		secs = 0;	/* ".5" */
	else if (value_parse_uint(whole, 0, max_s, &secs) == -1)
		return (-1);
	if (dot != NULL) {
		const char *p = dot + 1;

		if (*p == '\0' || strlen(p) > 3)
			return (-1);
		for (; *p != '\0'; p++, scale /= 10) {
			if (!isdigit((unsigned char)*p))
				return (-1);
			ms += (unsigned long)(*p - '0') * scale;
		}
	}
	total = (unsigned long long)secs * 1000 + ms;
	if ((secs == max_s && ms > 0) || total > UINT_MAX)
		return (-1);	/* past max, or too large for milliseconds */
	*out_ms = (unsigned)total;
	return (0);
}

/* The syslog facilities --syslog-facility takes, by name. */
static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* A facility by name into *facility: 0, or -1 if there is none such. */
int
value_parse_facility(const char *name, int *facility)
{
	size_t	 i;

	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (strcmp(facilities[i].name, name) == 0) {
			*facility = facilities[i].facility;
			return (0);
		}
	}
	return (-1);
}

/* A facility's name, for the start-up log. */
const char *
value_facility_name(int facility)
{
	size_t	 i;

	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
		if (facilities[i].facility == facility)
			return (facilities[i].name);
	}
	return ("?");
}

/* An octal file mode from 0 to max, of one to four digits: "0660". */
int
value_parse_mode(const char *s, int max, int *mode)
{
	size_t	 len = strlen(s), i;
	int	 value = 0;

	if (len == 0 || len > 4)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return (-1);
		value = value * 8 + (s[i] - '0');
	}
	if (value > max)
		return (-1);
	*mode = value;
	return (0);
}

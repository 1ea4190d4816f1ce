/*
 * value.h: the values flags take (whole numbers, byte counts, seconds,
 * octal modes, syslog facilities), read strictly: 0, or -1 and *out left
 * alone.
 */
#ifndef EVECHO_VALUE_H
#define EVECHO_VALUE_H

#include <stddef.h>

int	value_parse_uint(const char *, unsigned long, unsigned long,
	    unsigned long *);
int	value_parse_size(const char *, unsigned long, unsigned long,
	    unsigned long *);
const char *
	value_format_size(size_t, char *, size_t);
int	value_parse_seconds(const char *, unsigned, unsigned *);
int	value_parse_mode(const char *, int, int *);
int	value_parse_facility(const char *, int *);
const char *
	value_facility_name(int);

#endif /* EVECHO_VALUE_H */

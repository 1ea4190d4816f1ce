/*
 * transform.c: the -U transform.  Only ASCII a-z change; every other byte,
 * including bytes >= 0x80 of UTF-8 text, passes unchanged, whatever the
 * locale.
 */
#include "autoconfig.h"

#include <stddef.h>

#include "transform.h"

/* Upper-case ASCII letters in place; locale-independent by design. */
void
transform_upper(unsigned char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] -= 'a' - 'A';
	}
}

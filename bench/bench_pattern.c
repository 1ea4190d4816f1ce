/*
 * bench_pattern.c: the positional pseudo-random stream.  splitmix64 is a
 * counter-based generator: word k costs two multiplies and three
 * xor-shifts, with no state carried from word k - 1, and passes BigCrush.
 * Words are laid out little-endian, so on the usual hosts filling and
 * checking the aligned middle of a buffer is a load or store per 8 bytes.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench_pattern.h"

#define GOLDEN	0x9e3779b97f4a7c15ULL	/* splitmix64's increment */

/* splitmix64's finaliser: every input bit flips about half the output. */
static inline uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Word k of the stream, as a number. */
static inline uint64_t
pat_word(const struct pat *p, uint64_t k)
{
	return (mix64(p->key + (k + 1) * GOLDEN));
}

/* Word k as it lies in memory: its low byte first. */
static inline uint64_t
pat_word_le(const struct pat *p, uint64_t k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (__builtin_bswap64(pat_word(p, k)));
#else
	return (pat_word(p, k));
#endif
}

/*
 * The stream of connection conn under seed.  The key is itself mixed, so
 * no two streams are the same sequence shifted, and an echo sent to the
 * wrong connection does not match by chance.
 */
void
pat_init(struct pat *p, uint64_t seed, uint64_t conn)
{
	p->key = mix64(mix64(seed + GOLDEN) ^ (conn * 0xd1342543de82ef95ULL +
	    0x2545f4914f6cdd1dULL));
}

/* Byte off of the stream. */
uint8_t
pat_byte(const struct pat *p, uint64_t off)
{
	return ((uint8_t)(pat_word(p, off >> 3) >> ((off & 7) * 8)));
}

/* Write len bytes of the stream, starting at offset off, into buf. */
void
pat_fill(const struct pat *p, uint64_t off, void *buf, size_t len)
{
	unsigned char	*b = buf;
	uint64_t	 k, w;
	size_t		 i = 0;

	for (; i < len && ((off + i) & 7) != 0; i++)
		b[i] = pat_byte(p, off + i);
	for (k = (off + i) >> 3; len - i >= 8; i += 8, k++) {
		w = pat_word_le(p, k);
		memcpy(b + i, &w, 8);
	}
	for (; i < len; i++)
		b[i] = pat_byte(p, off + i);
}

/*
 * Check that buf holds len bytes of the stream from offset off.  Returns
 * len if it does, else the index in buf of the first wrong byte.
 */
size_t
pat_check(const struct pat *p, uint64_t off, const void *buf, size_t len)
{
	const unsigned char	*b = buf;
	uint64_t		 k, w, got;
	size_t			 i = 0, j;

	for (; i < len && ((off + i) & 7) != 0; i++) {
		if (b[i] != pat_byte(p, off + i))
			return (i);
	}
	for (k = (off + i) >> 3; len - i >= 8; i += 8, k++) {
		w = pat_word_le(p, k);
		memcpy(&got, b + i, 8);
		if (got != w) {
			for (j = 0; j < 8; j++) {
				if (b[i + j] != pat_byte(p, off + i + j))
					return (i + j);
			}
		}
	}
	for (; i < len; i++) {
		if (b[i] != pat_byte(p, off + i))
			return (i);
	}
	return (len);
}

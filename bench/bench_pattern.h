/*
 * bench_pattern.h: the bytes a connection sends, as one endless
 * pseudo-random stream per (seed, connection number).  The stream is
 * positional: byte o is byte o % 8 of the 64-bit word o / 8, and word k
 * is splitmix64's output for counter k under the stream's key.  Any piece
 * can be made or checked on its own, at any offset, so the receiving side
 * checks the echo however it is split, keeping only an offset.
 */
#ifndef EVECHO_BENCH_PATTERN_H
#define EVECHO_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

struct pat {
	uint64_t	 key;		/* from the seed and the connection */
};

void	 pat_init(struct pat *, uint64_t, uint64_t);
uint8_t	 pat_byte(const struct pat *, uint64_t);
void	 pat_fill(const struct pat *, uint64_t, void *, size_t);
size_t	 pat_check(const struct pat *, uint64_t, const void *, size_t);

#endif /* EVECHO_BENCH_PATTERN_H */

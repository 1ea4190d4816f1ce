/*
 * bench_dgram.h: pingpong over UDP (--udp).  A connection is a connected
 * UDP socket keeping DEPTH datagrams in flight, one in each slot of its
 * ring.  Slot i sends the datagrams numbered i, i + DEPTH, i + 2 DEPTH...
 * one at a time: each is an 8-byte sequence number, then the bytes of
 * the connection's stream (bench_pattern.h) that follow it at offset
 * number * SIZE, so every byte of an echo is checked, and an echo names
 * its slot.  A datagram not echoed within OPTS_UDP_LOSS_MS is counted
 * lost, which UDP allows, not as an error, and its slot sends the next;
 * an echo of one already counted lost is late, also no error.  Bytes
 * that are not what was sent are a mismatch, as over TCP.
 */
#ifndef EVECHO_BENCH_DGRAM_H
#define EVECHO_BENCH_DGRAM_H

#include <stdint.h>

#define DGRAM_READS_MAX		64	/* datagrams read per wake-up */
#define DGRAM_TICK_MS		(OPTS_UDP_LOSS_MS / 5)	/* loss checks */

struct client;

void	dgram_start(struct client *, uint64_t);
void	dgram_read(struct client *);
void	dgram_tick(struct client *, uint64_t);
void	dgram_drain(struct client *);
void	dgram_expire(struct client *);

#endif /* EVECHO_BENCH_DGRAM_H */

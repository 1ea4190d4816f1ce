/*
 * bench_dgram.c: one UDP connection's pingpong (bench_dgram.h): send,
 * check each echo, time it, count what is lost, and refill the window.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench_client.h"
#include "bench_clock.h"
#include "bench_dgram.h"
#include "bench_hist.h"
#include "bench_load.h"
#include "bench_opts.h"
#include "bench_pattern.h"
#include "bench_tally.h"

static void	dgram_send(struct client *, unsigned long, uint64_t,
		    uint64_t);
static void	dgram_echoed(struct client *, const unsigned char *, size_t,
		    uint64_t);
static void	dgram_freed(struct client *, unsigned long, uint64_t,
		    uint64_t);
static int	dgram_in_window(const struct load *, uint64_t);

/* After the warm-up barrier: fill every slot of the window. */
void
dgram_start(struct client *c, uint64_t now)
{
	unsigned long	 i;

	for (i = 0; i < c->load->opts->depth && c->state == CS_OPEN; i++)
		dgram_send(c, i, i, now);
}

/* Whether a moment falls in the measured window. */
static int
dgram_in_window(const struct load *l, uint64_t now)
{
	return (now >= l->t_measure && now < l->t_end);
}

/*
 * Send datagram seq from slot.  A datagram the kernel does not take now
 * (a full buffer) is left to the loss check, as if lost on the way.
 */
static void
dgram_send(struct client *c, unsigned long slot, uint64_t seq, uint64_t now)
{
	struct load		*l = c->load;
	const struct bench_opts	*o = l->opts;
	unsigned char		*buf = l->buf;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(seq >> (8 * i));
	pat_fill(&c->pat, seq * o->size + 8, buf + 8, o->size - 8);
	c->dg_seq[slot] = seq;
	c->sent_at[slot] = now;
	c->dg_out++;
	c->tx += o->size;
	if (dgram_in_window(l, now))
		l->tally.dgram_sent++;
	do
		n = send(c->fd, buf, o->size, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ENOBUFS)
		client_failed(c, errno == ECONNREFUSED ? ERR_RESET : ERR_IO,
		    "send", errno);
}

/* The socket is readable: take up to DGRAM_READS_MAX echoes. */
void
dgram_read(struct client *c)
{
	struct load	*l = c->load;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < DGRAM_READS_MAX && c->state == CS_OPEN; i++) {
		n = recv(c->fd, l->buf, LOAD_BUF_SIZE, MSG_DONTWAIT);
		if (n >= 0) {
			dgram_echoed(c, l->buf, (size_t)n, now_ns());
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			/* ECONNREFUSED: the port answered ICMP, unreachable. */
			client_failed(c, errno == ECONNREFUSED ? ERR_RESET :
			    ERR_IO, "recv", errno);
		break;
	}
}

/* Check one echo, byte for byte, and count what it completes. */
static void
dgram_echoed(struct client *c, const unsigned char *buf, size_t len,
    uint64_t now)
{
	struct load		*l = c->load;
	const struct bench_opts	*o = l->opts;
	unsigned long		 slot;
	uint64_t		 seq = 0;
	size_t			 ok;
	char			 why[TALLY_WHY_MAX];
	int			 i;

	if (len < 8) {
		snprintf(why, sizeof why, "a datagram of %zu bytes came back, "
		    "shorter than any sent", len);
		client_mismatch(c, why);
		return;
	}
	for (i = 0; i < 8; i++)
		seq |= (uint64_t)buf[i] << (8 * i);
	slot = (unsigned long)(seq % o->depth);
	if (len != o->size) {
		snprintf(why, sizeof why, "datagram %llu came back as %zu "
		    "bytes of %lu", (unsigned long long)seq, len, o->size);
		client_mismatch(c, why);
		return;
	}
	if ((ok = pat_check(&c->pat, seq * o->size + 8, buf + 8,
	    len - 8)) < len - 8) {
		snprintf(why, sizeof why, "byte %zu of datagram %llu is 0x%02x, "
		    "expected 0x%02x", ok + 8, (unsigned long long)seq,
		    buf[ok + 8], pat_byte(&c->pat, seq * o->size + 8 + ok));
		client_mismatch(c, why);
		return;
	}
	if (c->sent_at[slot] == 0 || c->dg_seq[slot] != seq) {
		if (seq < c->dg_seq[slot] || (c->sent_at[slot] == 0 &&
		    seq == c->dg_seq[slot])) {
			/* Already counted lost (or echoed twice). */
			if (dgram_in_window(l, now))
				l->tally.dgram_late++;
			return;
		}
		snprintf(why, sizeof why, "datagram %llu came back, which was "
		    "never sent", (unsigned long long)seq);
		client_mismatch(c, why);
		return;
	}
	if (dgram_in_window(l, now)) {
		hist_record(&l->tally.latency, now - c->sent_at[slot]);
		l->tally.messages++;
		l->tally.bytes += len;
	}
	l->live_messages++;
	l->live_bytes += len;
	c->rx += len;
	dgram_freed(c, slot, seq, now);
}

/* Slot is free again (echoed, or lost): send its next, or finish. */
static void
dgram_freed(struct client *c, unsigned long slot, uint64_t seq,
    uint64_t now)
{
	struct load	*l = c->load;

	c->sent_at[slot] = 0;
	c->dg_out--;
	if (!l->draining)
		dgram_send(c, slot, seq + l->opts->depth, now);
	else if (c->dg_out == 0)
		client_done(c);
}

/* Every DGRAM_TICK_MS: datagrams unanswered for too long are lost. */
void
dgram_tick(struct client *c, uint64_t now)
{
	struct load	*l = c->load;
	uint64_t	 limit = (uint64_t)OPTS_UDP_LOSS_MS * NS_PER_MS;
	unsigned long	 slot;

	for (slot = 0; slot < l->opts->depth && c->state == CS_OPEN;
	    slot++) {
		if (c->sent_at[slot] == 0 || now - c->sent_at[slot] < limit)
			continue;
		if (dgram_in_window(l, c->sent_at[slot]))
			l->tally.dgram_lost++;
		dgram_freed(c, slot, c->dg_seq[slot], now);
	}
}

/* The run is over: send no more; done once nothing is in flight. */
void
dgram_drain(struct client *c)
{
	if (c->state == CS_OPEN && c->dg_out == 0)
		client_done(c);
}

/* The hard stop: what is still in flight is lost, not an error. */
void
dgram_expire(struct client *c)
{
	struct load	*l = c->load;
	unsigned long	 slot;

	if (c->state != CS_OPEN)
		return;
	for (slot = 0; slot < l->opts->depth; slot++) {
		if (c->sent_at[slot] != 0 && dgram_in_window(l,
		    c->sent_at[slot]))
			l->tally.dgram_lost++;
	}
	client_done(c);
}

/*
 * fuzz_udpplan.c: libFuzzer target for udp_plan() and udp_plan_ungroup(),
 * which group a batch's echoes for the kernel to cut (udpplan.h): the
 * lengths and the sources are a peer's to choose, and a wrong group
 * would hand a client datagrams cut at the wrong places.  The input is a
 * batch, four bytes a datagram, UDP_BATCH at most: a source (0 to 3, of
 * the low two bits), whether it is kept (bit 2), and a length (two bytes,
 * big-endian, capped at 65527, IPv6's largest).  The first datagram's
 * length also picks the message to ungroup.  Checked, for the plan and
 * again after ungrouping: every kept datagram is in exactly one message
 * and no other is; a message goes to the source of every datagram in it;
 * each source's datagrams go out in the order received; a message of
 * several asks for segments of its first's length, its others are that
 * long but the last, which is no longer and not empty, and it holds at
 * most UDP_GSO_SEGS datagrams and UDP_PAYLOAD_MAX bytes; a message of one
 * asks nothing; without offload every message is of one datagram.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#ifdef __linux__
#include <netinet/udp.h>	/* UDP_SEGMENT */
#endif

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "udpplan.h"

#define FUZZ_SOURCES	4
#define FUZZ_LEN_MAX	65527

/* The batch, as recvmmsg() would leave it. */
struct fuzz_batch {
	unsigned		 n;
	struct mmsghdr		 in[UDP_BATCH];
	struct iovec		 iov[UDP_BATCH];
	struct sockaddr_in	 from[FUZZ_SOURCES];
	unsigned char		 keep[UDP_BATCH];
	unsigned char		 src[UDP_BATCH];	/* from[src[i]] */
	unsigned char		 buf[UDP_BATCH];	/* told apart only */
};

/* Which datagram of b an iovec of a plan carries. */
static unsigned
fuzz_which(const struct fuzz_batch *b, const struct iovec *iov)
{
	const unsigned char	*p = iov->iov_base;

	FUZZ_CHECK(p >= b->buf && p < b->buf + b->n);
	return ((unsigned)(p - b->buf));
}

/* The segment size message m asks for, or -1 for none. */
static long
fuzz_segment(const struct msghdr *m)
{
	const struct cmsghdr	*c;
	uint16_t		 size;

	if (m->msg_control == NULL)
		return (-1);
	c = CMSG_FIRSTHDR(m);
	FUZZ_CHECK(c != NULL);
#ifdef UDP_SEGMENT
	FUZZ_CHECK(c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT);
#endif
	FUZZ_CHECK(c->cmsg_len == CMSG_LEN(sizeof size));
	memcpy(&size, CMSG_DATA(c), sizeof size);
	return (size);
}

/* Every invariant of the header comment, on plan p of batch b. */
static void
fuzz_check_plan(const struct fuzz_batch *b, const struct udp_plan *p,
    int gso)
{
	unsigned	 seen[UDP_BATCH] = { 0 }, last[FUZZ_SOURCES];
	unsigned	 g, j, d, total = 0, kept = 0;
	size_t		 bytes, len;
	long		 seg;

	for (j = 0; j < FUZZ_SOURCES; j++)
		last[j] = UDP_BATCH;		/* none yet */
	FUZZ_CHECK(p->nmsg <= UDP_BATCH);
	for (g = 0; g < p->nmsg; g++) {
		const struct msghdr *m = &p->msg[g].msg_hdr;
		const struct sockaddr_in *to = m->msg_name;

		FUZZ_CHECK(p->segs[g] >= 1 && m->msg_iovlen == p->segs[g]);
		FUZZ_CHECK(p->segs[g] <= UDP_GSO_SEGS);
		FUZZ_CHECK(gso || p->segs[g] == 1);
		seg = fuzz_segment(m);
		FUZZ_CHECK((seg == -1) == (p->segs[g] == 1));
		for (j = 0, bytes = 0; j < p->segs[g]; j++) {
			d = fuzz_which(b, &m->msg_iov[j]);
			len = b->in[d].msg_len;
			FUZZ_CHECK(b->keep[d] && seen[d]++ == 0);
			FUZZ_CHECK(m->msg_iov[j].iov_len == len);
			FUZZ_CHECK(to == b->in[d].msg_hdr.msg_name);
			FUZZ_CHECK(m->msg_namelen == sizeof *to);
			/* a source's datagrams in the order received */
			FUZZ_CHECK(last[b->src[d]] == UDP_BATCH ||
			    last[b->src[d]] < d);
			last[b->src[d]] = d;
			if (seg != -1) {
				FUZZ_CHECK(len > 0 && len <= (size_t)seg);
				FUZZ_CHECK(j > 0 || len == (size_t)seg);
				FUZZ_CHECK(j + 1 == p->segs[g] ||
				    len == (size_t)seg);
			}
			bytes += len;
		}
		FUZZ_CHECK(p->bytes[g] == bytes);
		FUZZ_CHECK(p->segs[g] == 1 || bytes <= UDP_PAYLOAD_MAX);
		total += p->segs[g];
	}
	for (d = 0; d < b->n; d++)
		kept += b->keep[d];
	FUZZ_CHECK(total == kept);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_batch b;
	static struct udp_plan	 p;
	unsigned		 i, src, len, which;
	int			 gso;

	memset(&b, 0, sizeof b);
	for (i = 0; i < FUZZ_SOURCES; i++) {
		b.from[i].sin_family = AF_INET;
		b.from[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		b.from[i].sin_port = htons((uint16_t)(5000 + i));
	}
	for (i = 0; i < UDP_BATCH && 4 * (size_t)i + 4 <= size; i++) {
		const uint8_t *d = data + 4 * (size_t)i;

		src = d[0] % FUZZ_SOURCES;
		b.src[i] = (unsigned char)src;
		len = ((unsigned)d[2] << 8 | d[3]) % (FUZZ_LEN_MAX + 1);
		b.n = i + 1;
		b.iov[i].iov_base = &b.buf[i];
		b.iov[i].iov_len = 65536;
		b.in[i].msg_hdr.msg_name = &b.from[src];
		b.in[i].msg_hdr.msg_namelen = sizeof b.from[src];
		b.in[i].msg_hdr.msg_iov = &b.iov[i];
		b.in[i].msg_hdr.msg_iovlen = 1;
		b.in[i].msg_len = len;
		b.keep[i] = (d[0] & 4) != 0;
	}
	for (gso = 0; gso <= 1; gso++) {
		FUZZ_CHECK(udp_plan(&p, b.in, b.n, b.keep, gso) == p.nmsg);
		fuzz_check_plan(&b, &p, gso);
		which = size > 0 ? data[0] % (p.nmsg + 1) : 0;
		udp_plan_ungroup(&p, which);
		fuzz_check_plan(&b, &p, gso);
	}
	return (0);
}

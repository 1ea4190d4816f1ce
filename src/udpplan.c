/*
 * udpplan.c: the echoes of a batch of datagrams, grouped for UDP
 * segmentation offload where the system has it (udpplan.h).
 *
 * A group is the echoes to one source, each as long as the first but
 * the last, which may be shorter: that is what the kernel cuts a message
 * into when UDP_SEGMENT gives it the first's length.  A datagram joins
 * the latest group of its source or starts one, so that each source gets
 * its echoes in the order it sent them; different sources may be
 * answered in another order, as datagrams may be.  A group holds at most
 * UDP_GSO_SEGS datagrams and UDP_PAYLOAD_MAX bytes, what one UDP message
 * can carry; an empty datagram is never grouped, since a segment size
 * of 0 means no segmentation.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#ifdef __linux__
#include <netinet/udp.h>	/* UDP_SEGMENT */
#endif

#include <string.h>

#include "udpplan.h"

/* The group being filled, one per message: whose, and how far. */
struct udp_group {
	const struct msghdr	*src;		/* the first datagram's */
	size_t			 seg;		/* its length */
	int			 closed;	/* a shorter one ended it */
};

static int	udp_same_source(const struct msghdr *, const struct msghdr *);
static int	udp_group_takes(const struct udp_plan *, unsigned,
		    const struct udp_group *, size_t);
static void	udp_plan_segment(struct udp_plan *, unsigned, size_t);

/*
 * Plan the echoes of the n datagrams received in in[] that keep[] marks,
 * each to its source, of the length received; grouped if gso, else one
 * message a datagram.  The plan points into in[] (names and buffers).
 * Returns how many messages.
 */
unsigned
udp_plan(struct udp_plan *p, const struct mmsghdr *in, unsigned n,
    const unsigned char *keep, int gso)
{
	struct udp_group	 group[UDP_BATCH];
	unsigned		 of[UDP_BATCH], start[UDP_BATCH];
	unsigned		 i, g, k;
	size_t			 len;

#ifndef UDP_SEGMENT
	gso = 0;	/* a group would go out as one long datagram */
#endif
	p->nmsg = 0;
	for (i = 0; i < n && i < UDP_BATCH; i++) {
		if (!keep[i])
			continue;
		len = in[i].msg_len;
		for (g = p->nmsg; gso && len > 0 && g > 0; g--) {
			if (udp_same_source(group[g - 1].src, &in[i].msg_hdr))
				break;
		}
		if (gso && len > 0 && g > 0 &&
		    udp_group_takes(p, g - 1, &group[g - 1], len)) {
			g--;
			group[g].closed = len < group[g].seg;
		} else {
			g = p->nmsg++;
			group[g].src = &in[i].msg_hdr;
			group[g].seg = len;
			group[g].closed = len == 0;
			p->segs[g] = 0;
			p->bytes[g] = 0;
		}
		of[i] = g;
		p->segs[g]++;
		p->bytes[g] += len;
	}

	/* Lay each message's datagrams side by side, in the order received. */
	for (g = 0, k = 0; g < p->nmsg; k += p->segs[g], g++) {
		start[g] = k;
		memset(&p->msg[g], 0, sizeof p->msg[g]);
		p->msg[g].msg_hdr.msg_name = group[g].src->msg_name;
		p->msg[g].msg_hdr.msg_namelen = group[g].src->msg_namelen;
		p->msg[g].msg_hdr.msg_iov = &p->iov[k];
		p->msg[g].msg_hdr.msg_iovlen = p->segs[g];
		if (p->segs[g] > 1)
			udp_plan_segment(p, g, group[g].seg);
	}
	for (i = 0; i < n && i < UDP_BATCH; i++) {
		if (!keep[i])
			continue;
		k = start[of[i]]++;
		p->iov[k].iov_base = in[i].msg_hdr.msg_iov[0].iov_base;
		p->iov[k].iov_len = in[i].msg_len;
	}
	return (p->nmsg);
}

/*
 * The kernel refused message i as a group (a path whose MTU is below
 * the segment, a route through IPsec): make each of its datagrams a
 * message of its own, in its place.  The batch never holds more
 * datagrams than msg[] has room for messages.
 */
void
udp_plan_ungroup(struct udp_plan *p, unsigned i)
{
	struct msghdr	 group;
	unsigned	 more, j;

	if (i >= p->nmsg || p->segs[i] < 2)
		return;
	group = p->msg[i].msg_hdr;
	more = p->segs[i] - 1;
	memmove(&p->msg[i + 1 + more], &p->msg[i + 1],
	    (p->nmsg - i - 1) * sizeof p->msg[0]);
	memmove(&p->segs[i + 1 + more], &p->segs[i + 1],
	    (p->nmsg - i - 1) * sizeof p->segs[0]);
	memmove(&p->bytes[i + 1 + more], &p->bytes[i + 1],
	    (p->nmsg - i - 1) * sizeof p->bytes[0]);
	for (j = 0; j <= more; j++) {
		memset(&p->msg[i + j], 0, sizeof p->msg[0]);
		p->msg[i + j].msg_hdr.msg_name = group.msg_name;
		p->msg[i + j].msg_hdr.msg_namelen = group.msg_namelen;
		p->msg[i + j].msg_hdr.msg_iov = &group.msg_iov[j];
		p->msg[i + j].msg_hdr.msg_iovlen = 1;
		p->segs[i + j] = 1;
		p->bytes[i + j] = group.msg_iov[j].iov_len;
	}
	p->nmsg += more;
}

/* Whether two datagrams came from the same address and port. */
static int
udp_same_source(const struct msghdr *a, const struct msghdr *b)
{
	return (a->msg_namelen == b->msg_namelen &&
	    memcmp(a->msg_name, b->msg_name, a->msg_namelen) == 0);
}

/* Whether message g, the group gr, can take one more datagram of len. */
static int
udp_group_takes(const struct udp_plan *p, unsigned g,
    const struct udp_group *gr, size_t len)
{
	return (!gr->closed && len <= gr->seg &&
	    p->segs[g] < UDP_GSO_SEGS &&
	    p->bytes[g] + len <= UDP_PAYLOAD_MAX);
}

/* Tell the kernel to cut message g into datagrams of seg bytes. */
static void
udp_plan_segment(struct udp_plan *p, unsigned g, size_t seg)
{
#ifdef UDP_SEGMENT
	struct msghdr	*m = &p->msg[g].msg_hdr;
	struct cmsghdr	*c;
	uint16_t	 size = (uint16_t)seg;

	memset(&p->ctl[g], 0, sizeof p->ctl[g]);
	m->msg_control = p->ctl[g].buf;
	m->msg_controllen = sizeof p->ctl[g].buf;
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof size);
	memcpy(CMSG_DATA(c), &size, sizeof size);
#else
	(void)p;
	(void)g;
	(void)seg;
#endif
}

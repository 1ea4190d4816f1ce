/*
 * udpplan.h: how a batch of echoes goes to sendmmsg().  With UDP
 * segmentation offload (Linux's UDP_SEGMENT, "GSO"), the echoes of one
 * source that follow each other in a batch and share a size go out as
 * one message, which the kernel cuts back into the same datagrams: the
 * routing, the IP output and the loopback or driver work are paid once
 * for the group, not once a datagram.  The receiver still gets each
 * datagram apart, whole and in order.
 */
#ifndef EVECHO_UDPPLAN_H
#define EVECHO_UDPPLAN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#define UDP_BATCH	16	/* datagrams per recvmmsg and sendmmsg */
#define UDP_PAYLOAD_MAX	65507	/* the largest UDP payload over IPv4 */
#define UDP_GSO_SEGS	64	/* datagrams in one message: the kernel's cap */

/* The messages that echo one batch, laid out for sendmmsg(). */
struct udp_plan {
	unsigned	 nmsg;			/* messages in msg[] */
	struct mmsghdr	 msg[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];	/* one a datagram, by message */
	unsigned	 segs[UDP_BATCH];	/* datagrams in msg[i] */
	size_t		 bytes[UDP_BATCH];	/* and their payload */
	union {
		char		 buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	 align;
	}		 ctl[UDP_BATCH];	/* UDP_SEGMENT, if segs > 1 */
};

unsigned	udp_plan(struct udp_plan *, const struct mmsghdr *, unsigned,
		    const unsigned char *, int);
void		udp_plan_ungroup(struct udp_plan *, unsigned);

#endif /* EVECHO_UDPPLAN_H */

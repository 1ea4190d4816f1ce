/*
 * check_udpguard.c: the pure parts of the UDP echo, without sockets: the
 * sources never answered, the per-host token buckets of --udp-rate in
 * their fixed table, the verdict on one datagram, and the plan of a
 * batch's echoes, grouped for segmentation offload.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#ifdef __linux__
#include <netinet/udp.h>	/* UDP_SEGMENT */
#endif
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "harness.h"
#include "ratelimit.h"
#include "stats.h"
#include "udp.h"
#include "udpguard.h"

/* A socket address for a numeric IPv4 or IPv6 address and port. */
static const struct sockaddr *
sa_of(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		*len = sizeof *sin6;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		*len = sizeof *sin;
	}
	return ((const struct sockaddr *)ss);
}

static const struct {
	const char		*addr;
	int			 port;
	enum udpguard_reason	 want;
} guard_cases[] = {
	{ "192.0.2.7", 40000, UDPGUARD_OK },
	{ "127.0.0.1", 1024, UDPGUARD_OK },
	{ "127.0.0.1", 65535, UDPGUARD_OK },
	{ "127.0.0.1", 1023, UDPGUARD_LOW_PORT },
	{ "127.0.0.1", 7, UDPGUARD_LOW_PORT },		/* echo */
	{ "127.0.0.1", 19, UDPGUARD_LOW_PORT },		/* chargen */
	{ "127.0.0.1", 53, UDPGUARD_LOW_PORT },		/* DNS */
	{ "127.0.0.1", 123, UDPGUARD_LOW_PORT },	/* NTP */
	{ "127.0.0.1", 0, UDPGUARD_LOW_PORT },
	{ "127.0.0.1", 2049, UDPGUARD_LOW_PORT },	/* NFS */
	{ "255.255.255.255", 40000, UDPGUARD_BROADCAST },
	{ "255.1.2.3", 40000, UDPGUARD_BROADCAST },
	{ "224.0.0.1", 40000, UDPGUARD_MULTICAST },
	{ "239.255.255.250", 40000, UDPGUARD_MULTICAST },
	{ "223.255.255.255", 40000, UDPGUARD_OK },
	{ "240.0.0.1", 40000, UDPGUARD_OK },
	{ "0.0.0.0", 40000, UDPGUARD_THIS_NET },
	{ "0.1.2.3", 40000, UDPGUARD_THIS_NET },
	{ "1.0.0.0", 40000, UDPGUARD_OK },
	{ "::1", 40000, UDPGUARD_OK },
	{ "2001:db8::1", 1023, UDPGUARD_LOW_PORT },
	{ "2001:db8::1", 1024, UDPGUARD_OK },
	{ "ff02::1", 40000, UDPGUARD_MULTICAST },
	{ "::", 40000, UDPGUARD_THIS_NET },
	{ "::ffff:192.0.2.7", 40000, UDPGUARD_MAPPED },
	{ "::224.0.0.1", 40000, UDPGUARD_MULTICAST },	/* v4-compatible */
	{ "::192.0.2.7", 40000, UDPGUARD_OK },
};

/* Each source is judged as inetd's dg_badinput() would. */
START_TEST(test_guard)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	socklen_t		 len;

	sa = sa_of(guard_cases[_i].addr, guard_cases[_i].port, &ss, &len);
	ck_assert_msg(udpguard_check(sa, len, 0) == guard_cases[_i].want,
	    "%s port %d: %s, expected %s", guard_cases[_i].addr,
	    guard_cases[_i].port, udpguard_reason_name(udpguard_check(sa,
	    len, 0)), udpguard_reason_name(guard_cases[_i].want));
}
END_TEST

/*
 * A source on the listener's own port is most likely another echo
 * service: answering it would start a loop a spoofed datagram could keep
 * going for ever.  Port 0 as the own port checks nothing.
 */
START_TEST(test_guard_own_port)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	socklen_t		 len;

	sa = sa_of("192.0.2.7", 7777, &ss, &len);
	ck_assert_int_eq(udpguard_check(sa, len, 7777), UDPGUARD_OWN_PORT);
	ck_assert_int_eq(udpguard_check(sa, len, 7778), UDPGUARD_OK);
	ck_assert_int_eq(udpguard_check(sa, len, 0), UDPGUARD_OK);
	sa = sa_of("2001:db8::1", 7777, &ss, &len);
	ck_assert_int_eq(udpguard_check(sa, len, 7777), UDPGUARD_OWN_PORT);
	sa = sa_of("192.0.2.7", 7, &ss, &len);	/* the low port says it */
	ck_assert_int_eq(udpguard_check(sa, len, 7), UDPGUARD_LOW_PORT);
	ck_assert_str_eq(udpguard_reason_name(UDPGUARD_OWN_PORT),
	    "source port is the listener's own");
}
END_TEST

/* A short address, or one of another family, is never answered. */
START_TEST(test_guard_bad_addr)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	socklen_t		 len;

	sa = sa_of("192.0.2.7", 40000, &ss, &len);
	ck_assert_int_eq(udpguard_check(sa, 0, 0), UDPGUARD_BAD_ADDR);
	ck_assert_int_eq(udpguard_check(sa, len - 1, 0), UDPGUARD_BAD_ADDR);
	sa = sa_of("::1", 40000, &ss, &len);
	ck_assert_int_eq(udpguard_check(sa, len - 1, 0), UDPGUARD_BAD_ADDR);
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(udpguard_check(sa, sizeof ss, 0), UDPGUARD_BAD_ADDR);
	ck_assert_str_eq(udpguard_reason_name(UDPGUARD_LOW_PORT),
	    "source port below 1024");
	ck_assert_str_eq(udpguard_reason_name((enum udpguard_reason)99), "?");
}
END_TEST

/* A full bucket is rate datagrams; then one per 1/rate s, no more. */
START_TEST(test_bucket)
{
	struct ratelimit	*rl = ratelimit_new(10);
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	socklen_t		 len;
	int			 i, got = 0;

	ck_assert_ptr_nonnull(rl);
	sa = sa_of("192.0.2.7", 40000, &ss, &len);
	for (i = 0; i < 50; i++)
		got += ratelimit_take(rl, sa, 1000);
	ck_assert_int_eq(got, 10);
	/* 99 ms: not yet a token; 100 ms: one. */
	ck_assert_int_eq(ratelimit_take(rl, sa, 1099), 0);
	ck_assert_int_eq(ratelimit_take(rl, sa, 1100), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa, 1100), 0);
	/* Half a second: five. */
	for (got = 0, i = 0; i < 20; i++)
		got += ratelimit_take(rl, sa, 1600);
	ck_assert_int_eq(got, 5);
	/* An hour: still a second's worth, no more. */
	for (got = 0, i = 0; i < 50; i++)
		got += ratelimit_take(rl, sa, 1600 + 3600 * 1000);
	ck_assert_int_eq(got, 10);
	/* A clock that goes back gives nothing, and takes nothing. */
	ck_assert_int_eq(ratelimit_take(rl, sa, 5), 0);
	ratelimit_free(rl);
}
END_TEST

/* Each host has a bucket of its own; the port does not matter; IPv6 /64. */
START_TEST(test_bucket_hosts)
{
	struct ratelimit	*rl = ratelimit_new(2);
	struct sockaddr_storage	 ss;
	socklen_t		 len;

	ck_assert_ptr_nonnull(rl);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("192.0.2.7", 40000, &ss,
	    &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("192.0.2.7", 40001, &ss,
	    &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("192.0.2.7", 40002, &ss,
	    &len), 0), 0);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("192.0.2.8", 40000, &ss,
	    &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("2001:db8:1:2::1", 40000,
	    &ss, &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("2001:db8:1:2::ffff", 40000,
	    &ss, &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("2001:db8:1:2:3::", 40000,
	    &ss, &len), 0), 0);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("2001:db8:1:3::1", 40000,
	    &ss, &len), 0), 1);
	/* ::ffff:192.0.2.8 is the IPv4 host 192.0.2.8, its bucket near empty. */
	ck_assert_int_eq(ratelimit_take(rl, sa_of("::ffff:192.0.2.8", 40000,
	    &ss, &len), 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, sa_of("192.0.2.8", 40000,
	    &ss, &len), 0), 0);
	ck_assert_uint_eq(ratelimit_hosts(rl), 4);
	ratelimit_free(rl);
}
END_TEST

/*
 * A flood of a million spoofed hosts: the table stays at its fixed size,
 * and a host being limited (its bucket empty) keeps its place, so the
 * flood cannot refill it by pushing it out.
 */
START_TEST(test_bucket_fixed_memory)
{
	struct ratelimit	*rl = ratelimit_new(5);
	struct sockaddr_storage	 ss, victim;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	socklen_t		 len;
	uint32_t		 a;
	int			 i;

	ck_assert_ptr_nonnull(rl);
	sa_of("198.51.100.1", 40000, &victim, &len);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(ratelimit_take(rl,
		    (struct sockaddr *)&victim, 0), 1);
	ck_assert_int_eq(ratelimit_take(rl, (struct sockaddr *)&victim, 0), 0);
	sa_of("10.0.0.0", 40000, &ss, &len);
	for (a = 0; a < 1000000; a++) {
		sin->sin_addr.s_addr = htonl(0x0a000000U + a);
		ratelimit_take(rl, (struct sockaddr *)&ss, 0);
	}
	ck_assert_uint_le(ratelimit_hosts(rl), RATELIMIT_SETS * RATELIMIT_WAYS);
	ck_assert_uint_ge(ratelimit_hosts(rl), RATELIMIT_SETS * RATELIMIT_WAYS /
	    2);
	ck_assert_int_eq(ratelimit_take(rl, (struct sockaddr *)&victim, 0), 0);
	ratelimit_free(rl);
}
END_TEST

/* The verdict on one datagram: guard first, then a cut, then the rate. */
START_TEST(test_judge)
{
	struct ratelimit	*rl = ratelimit_new(1);
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	enum udpguard_reason	 g;
	socklen_t		 len;

	ck_assert_ptr_nonnull(rl);
	sa = sa_of("127.0.0.1", 53, &ss, &len);
	ck_assert_int_eq(udp_judge(rl, sa, len, 7, 0, 0, &g), STATS_UDP_GUARDED);
	ck_assert_int_eq(g, UDPGUARD_LOW_PORT);
	ck_assert_int_eq(udp_judge(rl, sa, len, 7, MSG_TRUNC, 0, &g),
	    STATS_UDP_GUARDED);
	sa = sa_of("127.0.0.1", 5353, &ss, &len);
	ck_assert_int_eq(udp_judge(rl, sa, len, 7, MSG_TRUNC, 0, &g),
	    STATS_UDP_TRUNCATED);
	ck_assert_int_eq(g, UDPGUARD_OK);
	/* Neither cost a token: the one there is still is. */
	ck_assert_int_eq(udp_judge(rl, sa, len, 7, 0, 0, &g), STATS_UDP_REFUSAL_N);
	ck_assert_int_eq(udp_judge(rl, sa, len, 7, 0, 0, &g), STATS_UDP_RATE);
	ck_assert_int_eq(udp_judge(NULL, sa, len, 7, 0, 0, &g),
	    STATS_UDP_REFUSAL_N);
	ratelimit_free(rl);
}
END_TEST

/* A received batch, as recvmmsg() leaves it, for udp_plan(). */
struct batch {
	unsigned		 n;
	struct mmsghdr		 in[UDP_BATCH];
	struct iovec		 iov[UDP_BATCH];
	struct sockaddr_storage	 from[UDP_BATCH];
	unsigned char		 keep[UDP_BATCH];
	unsigned char		 buf[UDP_BATCH][1];	/* only told apart */
};

/* Add a datagram of len bytes from 127.0.0.1:port; kept unless !keep. */
static void
batch_add(struct batch *b, int port, unsigned len, int keep)
{
	struct msghdr	*m = &b->in[b->n].msg_hdr;
	socklen_t	 salen;

	ck_assert_uint_lt(b->n, UDP_BATCH);
	sa_of("127.0.0.1", port, &b->from[b->n], &salen);
	b->iov[b->n].iov_base = b->buf[b->n];
	b->iov[b->n].iov_len = 65536;
	memset(m, 0, sizeof *m);
	m->msg_name = &b->from[b->n];
	m->msg_namelen = salen;
	m->msg_iov = &b->iov[b->n];
	m->msg_iovlen = 1;
	b->in[b->n].msg_len = len;
	b->keep[b->n] = (unsigned char)keep;
	b->n++;
}

/* The UDP_SEGMENT size a message asks for, or -1 if none. */
static int
msg_segment(const struct mmsghdr *mm)
{
#ifdef UDP_SEGMENT
	const struct msghdr	*m = &mm->msg_hdr;
	const struct cmsghdr	*c;
	uint16_t		 size;

	if (m->msg_control == NULL)
		return (-1);
	c = CMSG_FIRSTHDR(m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_level, SOL_UDP);
	ck_assert_int_eq(c->cmsg_type, UDP_SEGMENT);
	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof size));
	memcpy(&size, CMSG_DATA(c), sizeof size);
	return (size);
#else
	return (mm->msg_hdr.msg_control == NULL ? -1 : 0);
#endif
}

/* Fail unless message g of p goes to b's datagram src and carries its
 * datagrams at (i, in order), with segment size seg (-1: none). */
static void
plan_is(const struct udp_plan *p, unsigned g, const struct batch *b,
    const unsigned *at, unsigned n, unsigned src, int seg)
{
	const struct msghdr	*m = &p->msg[g].msg_hdr;
	size_t			 bytes = 0;
	unsigned		 j;

	ck_assert_uint_lt(g, p->nmsg);
	ck_assert_ptr_eq(m->msg_name, &b->from[src]);
	ck_assert_uint_eq(m->msg_namelen, b->in[src].msg_hdr.msg_namelen);
	ck_assert_uint_eq(m->msg_iovlen, n);
	ck_assert_uint_eq(p->segs[g], n);
	for (j = 0; j < n; j++) {
		ck_assert_ptr_eq(m->msg_iov[j].iov_base, b->buf[at[j]]);
		ck_assert_uint_eq(m->msg_iov[j].iov_len, b->in[at[j]].msg_len);
		bytes += b->in[at[j]].msg_len;
	}
	ck_assert_uint_eq(p->bytes[g], bytes);
	ck_assert_int_eq(msg_segment(&p->msg[g]), seg);
}

/* Without offload: the kept datagrams, in order, each to its source. */
START_TEST(test_plan)
{
	static struct batch	 b;
	static struct udp_plan	 p;
	static const unsigned	 one[] = { 1 }, two[] = { 2 }, four[] = { 4 };

	memset(&b, 0, sizeof b);
	batch_add(&b, 5000, 0, 0);
	batch_add(&b, 5000, 10, 1);
	batch_add(&b, 5000, 10, 1);
	batch_add(&b, 5001, 3, 0);
	batch_add(&b, 5001, 4, 1);
	ck_assert_uint_eq(udp_plan(&p, b.in, b.n, b.keep, 0), 3);
	plan_is(&p, 0, &b, one, 1, 1, -1);
	plan_is(&p, 1, &b, two, 1, 2, -1);
	plan_is(&p, 2, &b, four, 1, 4, -1);
	memset(b.keep, 0, sizeof b.keep);
	ck_assert_uint_eq(udp_plan(&p, b.in, b.n, b.keep, 1), 0);
}
END_TEST

/*
 * With offload: a source's echoes join its latest group while they are
 * as long as its first; a shorter one joins and ends it; a longer one,
 * or an empty one, goes alone; other sources between change nothing.
 */
static void
plan_mixed(struct batch *b, struct udp_plan *p)
{
	memset(b, 0, sizeof *b);
	batch_add(b, 5000, 100, 1);	/* 0: A */
	batch_add(b, 5000, 100, 1);	/* 1: A */
	batch_add(b, 5001, 50, 1);	/* 2: B */
	batch_add(b, 5000, 999, 0);	/* 3: A, refused */
	batch_add(b, 5000, 100, 1);	/* 4: A */
	batch_add(b, 5000, 40, 1);	/* 5: A, shorter: ends the group */
	batch_add(b, 5000, 100, 1);	/* 6: A, a group of its own */
	batch_add(b, 5001, 50, 1);	/* 7: B */
	batch_add(b, 5001, 60, 1);	/* 8: B, longer */
	batch_add(b, 5002, 0, 1);	/* 9: C, empty */
	batch_add(b, 5002, 0, 1);	/* 10: C, empty */
	ck_assert_uint_eq(udp_plan(p, b->in, b->n, b->keep, 1), 6);
}

START_TEST(test_plan_groups)
{
	static struct batch	 b;
	static struct udp_plan	 p;
	static const unsigned	 a[] = { 0, 1, 4, 5 }, bb[] = { 2, 7 },
				 a2[] = { 6 }, b2[] = { 8 }, c1[] = { 9 },
				 c2[] = { 10 };

	plan_mixed(&b, &p);
	plan_is(&p, 0, &b, a, 4, 0, 100);
	plan_is(&p, 1, &b, bb, 2, 2, 50);
	plan_is(&p, 2, &b, a2, 1, 6, -1);
	plan_is(&p, 3, &b, b2, 1, 8, -1);
	plan_is(&p, 4, &b, c1, 1, 9, -1);
	plan_is(&p, 5, &b, c2, 1, 10, -1);
}
END_TEST

/* A group carries what one UDP message can: UDP_PAYLOAD_MAX bytes. */
START_TEST(test_plan_caps)
{
	static struct batch	 b;
	static struct udp_plan	 p;
	static const unsigned	 first[] = { 0, 1, 2, 3, 4, 5, 6, 7 },
				 rest[] = { 8, 9, 10, 11, 12, 13, 14, 15 },
				 one[] = { 0 }, two[] = { 1 };
	unsigned		 i;

	memset(&b, 0, sizeof b);
	for (i = 0; i < UDP_BATCH; i++)
		batch_add(&b, 5000, 8000, 1);
	ck_assert_uint_eq(udp_plan(&p, b.in, b.n, b.keep, 1), 2);
	plan_is(&p, 0, &b, first, 8, 0, 8000);
	plan_is(&p, 1, &b, rest, 8, 8, 8000);

	memset(&b, 0, sizeof b);
	batch_add(&b, 5000, UDP_PAYLOAD_MAX, 1);
	batch_add(&b, 5000, UDP_PAYLOAD_MAX, 1);
	ck_assert_uint_eq(udp_plan(&p, b.in, b.n, b.keep, 1), 2);
	plan_is(&p, 0, &b, one, 1, 0, -1);
	plan_is(&p, 1, &b, two, 1, 1, -1);
	ck_assert_uint_le(UDP_BATCH, UDP_GSO_SEGS);
}
END_TEST

/* A group the kernel refused becomes a message a datagram, in place. */
START_TEST(test_plan_ungroup)
{
	static struct batch	 b;
	static struct udp_plan	 p;
	static const unsigned	 a[][1] = { { 0 }, { 1 }, { 4 }, { 5 } },
				 bb[] = { 2, 7 }, c2[] = { 10 };
	unsigned		 j;

	plan_mixed(&b, &p);
	udp_plan_ungroup(&p, 0);
	ck_assert_uint_eq(p.nmsg, 9);
	for (j = 0; j < 4; j++)
		plan_is(&p, j, &b, a[j], 1, 0, -1);
	plan_is(&p, 4, &b, bb, 2, 2, 50);
	plan_is(&p, 8, &b, c2, 1, 10, -1);
	udp_plan_ungroup(&p, 8);	/* one datagram: nothing to do */
	udp_plan_ungroup(&p, 9);	/* past the end: nothing either */
	ck_assert_uint_eq(p.nmsg, 9);
	udp_plan_ungroup(&p, 4);
	ck_assert_uint_eq(p.nmsg, 10);
	plan_is(&p, 5, &b, &bb[1], 1, 2, -1);
	plan_is(&p, 9, &b, c2, 1, 10, -1);
}
END_TEST

static Suite *
udpguard_suite(void)
{
	Suite	*s = suite_create("udpguard");
	TCase	*tc = tcase_create("udpguard");

	harness_add_loop_test(tc, test_guard, 0,
	    sizeof guard_cases / sizeof guard_cases[0]);
	harness_add_test(tc, test_guard_bad_addr);
	harness_add_test(tc, test_guard_own_port);
	harness_add_test(tc, test_bucket);
	harness_add_test(tc, test_bucket_hosts);
	harness_add_test(tc, test_bucket_fixed_memory);
	harness_add_test(tc, test_judge);
	harness_add_test(tc, test_plan);
	harness_add_test(tc, test_plan_groups);
	harness_add_test(tc, test_plan_caps);
	harness_add_test(tc, test_plan_ungroup);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(udpguard_suite()));
}

/*
 * check_hostcap.c: the per-host connection counts behind
 * --max-conns-per-host: what counts as one host, the cap, giving counts
 * back, the warning once a minute, and a table that forgets idle hosts.
 */
#include "autoconfig.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "harness.h"
#include "hostcap.h"

/* A socket address for a numeric IPv4 or IPv6 address, port 4242. */
static const struct sockaddr *
sa_of(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(4242);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(4242);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	}
	return ((const struct sockaddr *)ss);
}

/* Take one connection from addr: the result, and its entry. */
static enum hostcap_result
take(struct hostcap *hc, const char *addr, struct hostcap_entry **e)
{
	struct sockaddr_storage	 ss;

	return (hostcap_take(hc, sa_of(addr, &ss), e));
}

/* Up to the cap a host is served; past it refused; a release makes room. */
START_TEST(test_cap)
{
	struct hostcap		*hc = hostcap_new(2);
	struct hostcap_entry	*a, *b, *c;

	ck_assert_ptr_nonnull(hc);
	ck_assert_int_eq(take(hc, "192.0.2.1", &a), HOSTCAP_OK);
	ck_assert_int_eq(take(hc, "192.0.2.1", &b), HOSTCAP_OK);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(take(hc, "192.0.2.1", &c), HOSTCAP_FULL);
	ck_assert_ptr_eq(c, a);
	ck_assert_uint_eq(hostcap_refused(c), 1);
	ck_assert_int_eq(take(hc, "192.0.2.1", &c), HOSTCAP_FULL);
	ck_assert_uint_eq(hostcap_refused(c), 2);
	ck_assert_uint_eq(hostcap_refused_total(hc), 2);
	/* Another host has a cap of its own. */
	ck_assert_int_eq(take(hc, "192.0.2.2", &c), HOSTCAP_OK);
	ck_assert_ptr_ne(c, a);
	hostcap_release(a);
	ck_assert_int_eq(take(hc, "192.0.2.1", &b), HOSTCAP_OK);
	ck_assert_int_eq(take(hc, "192.0.2.1", &b), HOSTCAP_FULL);
	hostcap_free(hc);
}
END_TEST

/* What counts as one host: an IPv4 address, an IPv6 /64. */
static const struct host_case {
	const char	*a, *b;
	int		 same;
	const char	*name;		/* of a */
} host_cases[] = {
	{ "192.0.2.1", "192.0.2.1", 1, "192.0.2.1" },
	{ "192.0.2.1", "192.0.2.2", 0, "192.0.2.1" },
	{ "10.0.0.1", "10.0.1.1", 0, "10.0.0.1" },
	{ "2001:db8:1:2::1", "2001:db8:1:2::2", 1, "2001:db8:1:2::/64" },
	{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 1,
	    "2001:db8:1:2::/64" },
	{ "2001:db8:1:2::1", "2001:db8:1:3::1", 0, "2001:db8:1:2::/64" },
	{ "2001:db8::1", "2001:db9::1", 0, "2001:db8::/64" },
	{ "::1", "::2", 1, "::/64" },
	/* An IPv4-mapped peer is its IPv4 host, never an IPv6 prefix. */
	{ "::ffff:192.0.2.1", "192.0.2.1", 1, "192.0.2.1" },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.2", 0, "192.0.2.1" },
	/* An IPv4 address does not collide with the IPv6 prefix ::/64. */
	{ "0.0.0.1", "::1", 0, "0.0.0.1" },
};

START_TEST(test_host_identity)
{
	const struct host_case	*hcase = &host_cases[_i];
	struct hostcap		*hc = hostcap_new(1);
	struct hostcap_entry	*a, *b;
	char			 name[64];

	ck_assert_ptr_nonnull(hc);
	ck_assert_int_eq(take(hc, hcase->a, &a), HOSTCAP_OK);
	ck_assert_msg(take(hc, hcase->b, &b) == (hcase->same ? HOSTCAP_FULL :
	    HOSTCAP_OK), "%s and %s should %sbe one host", hcase->a, hcase->b,
	    hcase->same ? "" : "not ");
	ck_assert_str_eq(hostcap_name(a, name, sizeof name), hcase->name);
	ck_assert_uint_eq(hostcap_count(hc), hcase->same ? 1 : 2);
	hostcap_free(hc);
}
END_TEST

/* A refused host is warned about once a minute, not once a refusal. */
START_TEST(test_warn_once_a_minute)
{
	struct hostcap		*hc = hostcap_new(1);
	struct hostcap_entry	*e, *other;
	time_t			 t = 1000000;

	ck_assert_int_eq(take(hc, "192.0.2.9", &e), HOSTCAP_OK);
	ck_assert_int_eq(take(hc, "192.0.2.9", &e), HOSTCAP_FULL);
	ck_assert_int_eq(hostcap_should_warn(e, t), 1);
	ck_assert_int_eq(hostcap_should_warn(e, t + 1), 0);
	ck_assert_int_eq(hostcap_should_warn(e, t + 59), 0);
	ck_assert_int_eq(hostcap_should_warn(e, t + 60), 1);
	ck_assert_int_eq(hostcap_should_warn(e, t + 61), 0);
	/* Each host has its own minute. */
	ck_assert_int_eq(take(hc, "192.0.2.10", &other), HOSTCAP_OK);
	ck_assert_int_eq(hostcap_should_warn(other, t + 61), 1);
	hostcap_free(hc);
}
END_TEST

/*
 * Hosts with nothing open and no recent warning are forgotten, so the
 * table stays about as big as the connections open, however many hosts
 * come and go; and it grows to hold many hosts at once.
 */
START_TEST(test_forgets_idle_hosts)
{
	struct hostcap		*hc = hostcap_new(5);
	struct hostcap_entry	*e[2000];
	char			 addr[32];
	int			 i;

	for (i = 0; i < 2000; i++) {	/* 2,000 hosts at once */
		snprintf(addr, sizeof addr, "10.%d.%d.1", i / 256, i % 256);
		ck_assert_int_eq(take(hc, addr, &e[i]), HOSTCAP_OK);
	}
	ck_assert_uint_eq(hostcap_count(hc), 2000);
	for (i = 0; i < 2000; i++)
		hostcap_release(e[i]);
	for (i = 0; i < 20000; i++) {	/* 20,000 more, one at a time */
		struct hostcap_entry *one;

		snprintf(addr, sizeof addr, "172.16.%d.%d", i / 256 % 256,
		    i % 256);
		ck_assert_int_eq(take(hc, addr, &one), HOSTCAP_OK);
		hostcap_release(one);
	}
	ck_assert_msg(hostcap_count(hc) <= 4096, "%zu hosts kept for none "
	    "open", hostcap_count(hc));
	/* The ones still open are never forgotten. */
	ck_assert_int_eq(take(hc, "192.0.2.77", &e[0]), HOSTCAP_OK);
	for (i = 0; i < 5000; i++) {
		struct hostcap_entry *one;

		snprintf(addr, sizeof addr, "172.17.%d.%d", i / 256 % 256,
		    i % 256);
		ck_assert_int_eq(take(hc, addr, &one), HOSTCAP_OK);
		hostcap_release(one);
	}
	for (i = 1; i < 5; i++)
		ck_assert_int_eq(take(hc, "192.0.2.77", &e[i]), HOSTCAP_OK);
	ck_assert_int_eq(take(hc, "192.0.2.77", &e[5]), HOSTCAP_FULL);
	hostcap_free(hc);
}
END_TEST

/* A peer of no known family counts as one host, and still has a cap. */
START_TEST(test_unknown_family)
{
	struct hostcap		*hc = hostcap_new(1);
	struct hostcap_entry	*e;
	struct sockaddr		 sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_family = AF_UNIX;
	ck_assert_int_eq(hostcap_take(hc, &sa, &e), HOSTCAP_OK);
	ck_assert_int_eq(hostcap_take(hc, &sa, &e), HOSTCAP_FULL);
	hostcap_free(hc);
}
END_TEST

static Suite *
hostcap_suite(void)
{
	Suite	*s = suite_create("hostcap");
	TCase	*tc = tcase_create("hostcap");

	harness_add_test(tc, test_cap);
	harness_add_loop_test(tc, test_host_identity, 0,
	    sizeof host_cases / sizeof host_cases[0]);
	harness_add_test(tc, test_warn_once_a_minute);
	harness_add_test(tc, test_forgets_idle_hosts);
	harness_add_test(tc, test_unknown_family);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(hostcap_suite()));
}

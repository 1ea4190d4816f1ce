/*
 * check_prom.c: the Prometheus text renderer on a made-up snapshot:
 * every sample belongs to a family announced by HELP and TYPE lines just
 * before it, counters end in _total, values come out exact, and label
 * values are escaped.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "harness.h"
#include "procinfo.h"
#include "prom.h"
#include "stats.h"

/* Render a snapshot with distinct values into a string. */
static char *
render(const struct prom_build *b, int has_memory)
{
	struct stats_report	 r;
	struct procinfo		 p;
	struct evbuffer		*out;
	char			*text;
	size_t			 len;
	int			 i;

	memset(&r, 0, sizeof r);
	memset(&p, 0, sizeof p);
	stats_set(&r.sum.accepted, 12);
	for (i = 0; i < STATS_END_N; i++)
		stats_set(&r.sum.ended[i], (uint64_t)(100 + i));
	stats_set(&r.sum.bytes_in, 18446744073709551615ULL);
	stats_set(&r.sum.bytes_acked, 7);
	stats_set(&r.sum.proxy_headers[STATS_PROXY_V2], 9);
	stats_set(&r.sum.proxy_headers[STATS_PROXY_LOCAL], 4);
	r.open = 3;
	r.refused_per_host = 5;
	r.limit_paused_ms = 1234;
	p.cpu_ms = 2005;
	p.open_fds = -1;	/* unknown: its family is left out */
	p.rss_bytes = 4096;
	p.has_memory = has_memory;
	p.start_time = 1796000000.5;
	ck_assert_ptr_nonnull(out = evbuffer_new());
	ck_assert_int_eq(prom_render(out, b, &r, &p), 0);
	len = evbuffer_get_length(out);
	ck_assert_ptr_nonnull(text = malloc(len + 1));
	ck_assert_int_eq(evbuffer_remove(out, text, len), (int)len);
	text[len] = '\0';
	evbuffer_free(out);
	return (text);
}

START_TEST(test_values)
{
	static const struct prom_build b = { "0.1.0", "2.1.12-stable",
	    "epoll", 2 };
	static const char *const want[] = {
		"\nevecho_build_info{version=\"0.1.0\",libevent="
		    "\"2.1.12-stable\",backend=\"epoll\",threads=\"2\"} 1\n",
		"\nevecho_connections_accepted_total 12\n",
		"\nevecho_connections_open 3\n",
		"\nevecho_connections_closed_total{reason=\"client\"} 100\n",
		"\nevecho_connections_closed_total{reason=\"shutdown\"} 104\n",
		"\nevecho_connections_closed_total{reason=\"per_host_cap\"} 5\n",
		"\nevecho_received_bytes_total 18446744073709551615\n",
		"\nevecho_sent_bytes_total 7\n",
		"\nevecho_proxy_headers_total{version=\"1\"} 0\n",
		"\nevecho_proxy_headers_total{version=\"2\"} 9\n",
		"\nevecho_proxy_headers_total{version=\"local\"} 4\n",
		"\nevecho_connections_closed_total{reason=\"protocol\"} 105\n",
		"\nevecho_connections_closed_total{reason=\"handshake\"} 106\n",
		"\nevecho_max_conns_paused_seconds_total 1.234\n",
		"\nprocess_cpu_seconds_total 2.005\n",
		"\nprocess_start_time_seconds 1796000000.500\n",
		"\nprocess_resident_memory_bytes 4096\n",
	};
	char	*text = render(&b, 1);
	size_t	 i;

	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(text, want[i]) != NULL, "missing %s",
		    want[i]);
	ck_assert_ptr_null(strstr(text, "process_open_fds"));
	free(text);
	/* Memory unknown (a chroot without /proc): left out, not 0. */
	text = render(&b, 0);
	ck_assert_ptr_null(strstr(text, "process_resident_memory_bytes"));
	ck_assert_ptr_null(strstr(text, "process_virtual_memory_bytes"));
	free(text);
}
END_TEST

/*
 * Each sample line's name was announced by the HELP and TYPE lines
 * before it; counters, and only they, end in _total.
 */
START_TEST(test_families)
{
	static const struct prom_build b = { "0.1.0", "2.1.12", "epoll", 1 };
	char	*text = render(&b, 1), *line, *save = NULL;
	char	 family[128] = "", type[16] = "", name[128];
	int	 samples = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line, "# HELP %127s", family),
			    1);
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line, "# TYPE %127s %15s",
			    name, type), 2);
			ck_assert_str_eq(name, family);
			continue;
		}
		ck_assert_int_eq(sscanf(line, "%127[a-z_]", name), 1);
		ck_assert_msg(strcmp(name, family) == 0, "%s outside its "
		    "family %s", name, family);
		ck_assert_msg(type[0] != '\0', "%s has no TYPE", name);
		ck_assert_int_eq(strcmp(type, "counter") == 0,
		    strlen(name) > 6 &&
		    strcmp(name + strlen(name) - 6, "_total") == 0);
		samples++;
	}
	ck_assert_int_ge(samples, 25);
	free(text);
}
END_TEST

/* Label values are quoted with \\, \" and \n escaped. */
START_TEST(test_escaping)
{
	static const struct prom_build b = { "1.0 \"x\"\\y\nz", "2.1",
	    "epoll", 1 };
	char	*text = render(&b, 1);

	ck_assert_ptr_nonnull(strstr(text, "{version=\"1.0 \\\"x\\\"\\\\y\\nz\","
	    "libevent=\"2.1\","));
	free(text);
}
END_TEST

static Suite *
prom_suite(void)
{
	Suite	*s = suite_create("prom");
	TCase	*tc = tcase_create("prom");

	harness_add_test(tc, test_values);
	harness_add_test(tc, test_families);
	harness_add_test(tc, test_escaping);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(prom_suite()));
}

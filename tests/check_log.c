/*
 * check_log.c: the log module in-process: text and JSON lines as written
 * to a file sink (JSON checked by jq), cutting without breaking JSON,
 * the queue's accounting, and flood summaries.
 */
#include "autoconfig.h"

#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "log.h"

static char	 path[256];

/* Log to a fresh file, in format, at -vv. */
static void
log_to_file(enum log_format format)
{
	struct log_options	 opt;
	char			 err[256];
	const char		*tmp = getenv("TMPDIR");
	int			 fd;

	snprintf(path, sizeof path, "%s/evecho-log-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_int_ne(fd = mkstemp(path), -1);
	close(fd);
	memset(&opt, 0, sizeof opt);
	opt.verbosity = LOGLV_DEBUG;
	opt.format = format;
	opt.sink.kind = LOGSINK_FILE;
	opt.sink.path = path;
	ck_assert_msg(log_init(&opt, err, sizeof err) == 0, "%s", err);
}

static char *
slurp(void)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	ck_assert_ptr_nonnull(buf = calloc(1, (size_t)len + 1));
	if (len > 0)
		ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return (buf);
}

/* jq -c filter over the log; its output. */
static char *
jq(const char *filter)
{
	char	 cmd[512];
	FILE	*fp;
	char	*out;
	size_t	 len = 0;
	int	 status;

	snprintf(cmd, sizeof cmd, "jq -ac '%s' '%s' 2>&1", filter, path);
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	ck_assert_ptr_nonnull(out = calloc(1, 65536));
	len = fread(out, 1, 65535, fp);
	out[len] = '\0';
	status = pclose(fp);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "jq failed (is jq installed?): %s", out);
	return (out);
}

/* Text: "<time> <prefix><message>", the time to the millisecond. */
START_TEST(test_text_line)
{
	char	*text;
	int	 y, mo, d, h, mi, s, ms;
	char	 zone[8], rest[64];

	log_to_file(LOG_FORMAT_TEXT);
	log_warn("disk %s", "full");
	log_msg(LOGLV_CONN, "one");
	text = slurp();
	ck_assert_int_eq(sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%5s %63[^\n]",
	    &y, &mo, &d, &h, &mi, &s, &ms, zone, rest), 9);
	ck_assert_str_eq(rest, "warning: disk full");
	ck_assert_ptr_nonnull(strstr(text, " one\n"));
	free(text);
	unlink(path);
}
END_TEST

/*
 * JSON: fields as given, and a message far past a line's length cut so
 * that the object still parses, every field whole, the line 1024 bytes.
 */
START_TEST(test_json_cut)
{
	struct log_fields	 f = { .event = "closed", .peer = "[::1]:4000",
	    .reason = "idle timeout", .bytes_in = 12, .bytes_out = 10,
	    .duration_ms = 1500, .worker = 3,
	    .has = LOG_HAS_BYTES | LOG_HAS_DURATION | LOG_HAS_WORKER };
	char			 big[3000], *text, *got;

	memset(big, '"', sizeof big - 1);	/* each escapes to two */
	big[sizeof big - 1] = '\0';
	log_to_file(LOG_FORMAT_JSON);
	log_event(LOGLV_CONN, &f, "%s", big);
	log_msg(LOGLV_INFO, "tab\there, bell\a, byte \xff");
	text = slurp();
	ck_assert_ptr_nonnull(strchr(text, '\n'));
	ck_assert_int_ge(strchr(text, '\n') - text + 1, 1020);
	ck_assert_int_le(strchr(text, '\n') - text + 1, 1024);
	free(text);
	got = jq("[.level, .event, .peer, .reason, .bytes_in, .bytes_out, "
	    ".duration, .worker, (.msg | length > 400)]");
	ck_assert_str_eq(got, "[\"conn\",\"closed\",\"[::1]:4000\","
	    "\"idle timeout\",12,10,1.5,3,true]\n"
	    "[\"info\",\"message\",null,null,null,null,null,null,false]\n");
	free(got);
	got = jq("select(.event == \"message\") | .msg");
	ck_assert_str_eq(got, "\"tab\\there, bell\\u0007, byte \\u00ff\"\n");
	free(got);
	unlink(path);
}
END_TEST

/*
 * Through the queue and the writer thread, from two threads at once:
 * every line is either in the file or counted as lost, and a loss is
 * said.
 */
static void *
log_many(void *arg)
{
	int	 i;

	for (i = 0; i < 2000; i++)
		log_msg(LOGLV_INFO, "thread %s line %d", (const char *)arg, i);
	return (NULL);
}

START_TEST(test_queue_accounts)
{
	pthread_t	 a, b;
	char		 err[256], *text;
	int		 lines;

	log_to_file(LOG_FORMAT_TEXT);
	ck_assert_msg(log_start(err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(pthread_create(&a, NULL, log_many, "a"), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, log_many, "b"), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	log_stop();
	text = slurp();
	lines = 0;
	for (char *p = text; (p = strstr(p, " line ")) != NULL; p++)
		lines++;
	ck_assert_uint_eq((uint64_t)lines + log_dropped(), 4000);
	if (log_dropped() > 0)
		ck_assert_ptr_nonnull(strstr(text, " log lines lost: "));
	free(text);
	unlink(path);
}
END_TEST

/* One line per interval for a flood; the next says how many were held. */
START_TEST(test_flood)
{
	struct log_flood	 fl = { 0, 0 };
	unsigned long		 held = 99;
	char			 note[80];
	int			 i;

	ck_assert_int_eq(log_flood_pass(&fl, &held), 1);
	ck_assert_uint_eq(held, 0);
	ck_assert_str_eq(log_flood_note(held, note, sizeof note), "");
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(log_flood_pass(&fl, &held), 0);
	fl.next_ms = 1;		/* the interval is over */
	ck_assert_int_eq(log_flood_pass(&fl, &held), 1);
	ck_assert_uint_eq(held, 4);
	ck_assert_str_eq(log_flood_note(held, note, sizeof note),
	    " (and 4 more like it in the last 10 s)");
	ck_assert_int_eq(log_flood_pass(&fl, &held), 0);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("log");

	tcase_set_timeout(tc, 30);
	harness_add_test(tc, test_text_line);
	harness_add_test(tc, test_json_cut);
	harness_add_test(tc, test_queue_accounts);
	harness_add_test(tc, test_flood);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (harness_run(log_suite()));
}

/* test_flow_log.c - unit tests of the JSON flow log (policy/flow_log.c):
 * each record is one line that json-c parses back to the fields written,
 * in order, with IPv6 in brackets, null for a missing host or end,
 * "default" for no rule; the file is appended to, opened close-on-exec,
 * and "-" writes to stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policy/policy.h"

static char path[64];
static char err[512];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/tungate-log-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static struct tg_endpoint ep(const char *addr, uint16_t port)
{
	struct tg_endpoint e;

	assert_true(tg_endpoint_parse_addr(&e, addr));
	e.port = port;
	return e;
}

/* 2026-11-26T08:30:21.123Z */
static uint64_t sample_ts(void)
{
	struct tm tm = {
		.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 26,
		.tm_hour = 8, .tm_min = 30, .tm_sec = 21,
	};

	return (uint64_t)timegm(&tm) * 1000 + 123;
}

static struct flow_record sample(void)
{
	struct flow_record r = {
		.ts_ms = sample_ts(),
		.proto = "tcp",
		.src = ep("10.12.0.2", 41234),
		.dst = ep("203.0.113.9", 443),
		.host = "api.example.com",
		.host_source = "dns",
		.scope = POLICY_SCOPE_EXTERNAL,
		.verdict = FLOW_VERDICT_ALLOW,
		.rule = "allow tcp:*.example.com:443",
		.bytes_out = 517,
		.bytes_in = 9000000000ULL,
		.duration_ms = 1234,
		.end = "closed",
	};

	return r;
}

static void write_records(const struct flow_record *recs, size_t n)
{
	struct flow_log *log = flow_log_open(path, err, sizeof(err));
	size_t i;

	assert_non_null(log);
	for (i = 0; i < n; i++)
		assert_int_equal(flow_log_write(log, &recs[i]), 0);
	flow_log_close(log);
}

/* The file's lines; each must end with a newline. */
static size_t read_lines(char lines[][1024], size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	assert_non_null(f);
	while (n < max && fgets(lines[n], 1024, f)) {
		size_t len = strlen(lines[n]);

		assert_true(len > 0 && lines[n][len - 1] == '\n');
		n++;
	}
	assert_false(fgets(lines[0], 1024, f));
	fclose(f);
	return n;
}

static void expect_str(struct json_object *obj, const char *key,
		       const char *want)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		fail_msg("no field \"%s\"", key);
	if (!want) {
		assert_null(v);
		return;
	}
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), want);
}

static void expect_u64(struct json_object *obj, const char *key,
		       uint64_t want)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		fail_msg("no field \"%s\"", key);
	assert_true(json_object_is_type(v, json_type_int));
	assert_true(json_object_get_uint64(v) == want);
}

static void test_fields(void **state)
{
	static const char *const order[] = {
		"ts", "proto", "src", "dst", "host", "host_source", "scope",
		"verdict", "rule", "bytes_out", "bytes_in", "duration_ms", "end",
	};
	struct flow_record r = sample();
	struct json_object *obj;
	char lines[4][1024];
	size_t i = 0;

	(void)state;
	write_records(&r, 1);
	assert_int_equal(read_lines(lines, 4), 1);
	obj = json_tokener_parse(lines[0]);
	assert_non_null(obj);
	assert_true(json_object_is_type(obj, json_type_object));
	assert_int_equal(json_object_object_length(obj), ARRAY_SIZE(order));
	json_object_object_foreach(obj, key, val) {
		(void)val;
		assert_string_equal(key, order[i]);
		i++;
	}
	expect_str(obj, "ts", "2026-11-26T08:30:21.123Z");
	expect_str(obj, "proto", "tcp");
	expect_str(obj, "src", "10.12.0.2:41234");
	expect_str(obj, "dst", "203.0.113.9:443");
	expect_str(obj, "host", "api.example.com");
	expect_str(obj, "host_source", "dns");
	expect_str(obj, "scope", "external");
	expect_str(obj, "verdict", "allow");
	expect_str(obj, "rule", "allow tcp:*.example.com:443");
	expect_u64(obj, "bytes_out", 517);
	expect_u64(obj, "bytes_in", 9000000000ULL);
	expect_u64(obj, "duration_ms", 1234);
	expect_str(obj, "end", "closed");
	json_object_put(obj);
	/* One compact line. */
	assert_int_equal(strncmp(lines[0], "{\"ts\":\"2026-", 12), 0);
	assert_null(strstr(lines[0], "\": "));
	assert_null(strstr(lines[0], ", \""));
}

static void test_ipv6_null_host_default(void **state)
{
	struct flow_record r = sample();
	struct json_object *obj;
	char lines[4][1024];

	(void)state;
	r.ts_ms = 1000;		/* 1970-01-01T00:00:01.000Z */
	r.proto = "udp";
	r.src = ep("fd12::2", 5353);
	r.dst = ep("2001:db8::53", 53);
	r.host = NULL;
	r.scope = POLICY_SCOPE_HOST;
	r.verdict = FLOW_VERDICT_WOULD_DENY;
	r.rule = NULL;
	r.bytes_out = 0;
	r.bytes_in = 0;
	r.duration_ms = 0;
	r.end = NULL;
	write_records(&r, 1);
	assert_int_equal(read_lines(lines, 4), 1);
	obj = json_tokener_parse(lines[0]);
	assert_non_null(obj);
	expect_str(obj, "ts", "1970-01-01T00:00:01.000Z");
	expect_str(obj, "proto", "udp");
	expect_str(obj, "src", "[fd12::2]:5353");
	expect_str(obj, "dst", "[2001:db8::53]:53");
	expect_str(obj, "host", NULL);
	expect_str(obj, "host_source", NULL);
	expect_str(obj, "scope", "host");
	expect_str(obj, "verdict", "would_deny");
	expect_str(obj, "rule", "default");
	expect_u64(obj, "bytes_out", 0);
	expect_str(obj, "end", NULL);
	json_object_put(obj);
	assert_non_null(strstr(lines[0], "\"host\":null"));
}

static void test_odd_strings(void **state)
{
	struct flow_record r = sample();
	struct json_object *obj;
	char lines[4][1024];

	(void)state;
	r.host = "we\"ird\\na\xc3\xa9me\n";
	r.rule = "deny 10.0.0.0/8";
	r.verdict = FLOW_VERDICT_DENY;
	r.scope = POLICY_SCOPE_LOOPBACK;
	r.ts_ms = UINT64_MAX;
	write_records(&r, 1);
	assert_int_equal(read_lines(lines, 4), 1);
	obj = json_tokener_parse(lines[0]);
	assert_non_null(obj);
	/* Quotes, backslashes and controls escaped; non-ASCII as '?'. */
	expect_str(obj, "host", "we\"ird\\na??me\n");
	expect_str(obj, "rule", "deny 10.0.0.0/8");
	expect_str(obj, "verdict", "deny");
	expect_str(obj, "scope", "loopback");
	/* Clamped to the last RFC 3339 year. */
	expect_str(obj, "ts", "9999-12-31T23:59:59.615Z");
	json_object_put(obj);
	/* '/' is not escaped, for grep's sake. */
	assert_non_null(strstr(lines[0], "\"deny 10.0.0.0/8\""));
}

static void test_appends(void **state)
{
	struct flow_record r[2] = { sample(), sample() };
	char lines[8][1024];
	struct json_object *obj;

	(void)state;
	r[1].dst.port = 80;
	write_records(r, 2);
	write_records(&r[0], 1);
	assert_int_equal(read_lines(lines, 8), 3);
	obj = json_tokener_parse(lines[1]);
	expect_str(obj, "dst", "203.0.113.9:80");
	json_object_put(obj);
}

static void test_cloexec(void **state)
{
	struct flow_log *log = flow_log_open(path, err, sizeof(err));
	char link[PATH_MAX], fdpath[64];
	int fd, found = 0;

	(void)state;
	assert_non_null(log);
	for (fd = 3; fd < 1024; fd++) {
		ssize_t n;

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, path))
			continue;
		found++;
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	}
	assert_int_equal(found, 1);
	flow_log_close(log);
}

static void test_open_error(void **state)
{
	(void)state;
	assert_null(flow_log_open("/nonexistent/dir/log.json", err,
				  sizeof(err)));
	assert_string_equal(err, "/nonexistent/dir/log.json: No such file or "
			    "directory");
}

static void test_stderr(void **state)
{
	struct flow_record r = sample();
	struct flow_log *log;
	char lines[4][1024];
	int saved, fd;

	(void)state;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log = flow_log_open("-", err, sizeof(err));
	assert_non_null(log);
	assert_int_equal(flow_log_write(log, &r), 0);
	flow_log_close(log);
	/* stderr stays open */
	assert_true(fcntl(STDERR_FILENO, F_GETFD) >= 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(read_lines(lines, 4), 1);
	assert_non_null(strstr(lines[0], "\"src\":\"10.12.0.2:41234\""));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_scope_name(POLICY_SCOPE_EXTERNAL), "external");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_LOOPBACK), "loopback");
	assert_string_equal(policy_scope_name(POLICY_SCOPE_HOST), "host");
	assert_string_equal(policy_scope_name((enum policy_scope)9), "?");
	assert_string_equal(flow_verdict_name(FLOW_VERDICT_ALLOW), "allow");
	assert_string_equal(flow_verdict_name(FLOW_VERDICT_DENY), "deny");
	assert_string_equal(flow_verdict_name(FLOW_VERDICT_WOULD_DENY),
			    "would_deny");
	assert_string_equal(flow_verdict_name((enum flow_verdict)9), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_null_host_default,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cloexec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

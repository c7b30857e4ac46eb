/* test_policy_report.c - unit tests of the denial lines
 * (policy/deny_report.c: wording, rate limit with injected time, the count
 * of lines not shown) and of the end-of-run summary
 * (policy/flow_summary.c: grouping, order, sizes, layout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static char *buf;
static size_t buflen;
static FILE *out;

static int setup(void **state)
{
	(void)state;
	out = open_memstream(&buf, &buflen);
	return out ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fclose(out);
	free(buf);
	return 0;
}

/* Start the output afresh. */
static void reset_output(void)
{
	fclose(out);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &buflen);
	assert_non_null(out);
}

/* What was written so far. */
static const char *output(void)
{
	fflush(out);
	return buf;
}

static struct tg_endpoint ep(const char *addr, uint16_t port)
{
	struct tg_endpoint e;

	assert_true(tg_endpoint_parse_addr(&e, addr));
	e.port = port;
	return e;
}

static struct flow_record rec(const char *proto, const char *dst,
			      uint16_t port, const char *host,
			      enum flow_verdict verdict)
{
	struct flow_record r = {
		.proto = proto,
		.src = ep(strchr(dst, ':') ? "fd12::2" : "10.12.0.2", 41234),
		.dst = ep(dst, port),
		.host = host,
		.verdict = verdict,
	};

	return r;
}

/* --- Denial lines ------------------------------------------------------- */

static void test_deny_lines(void **state)
{
	struct policy_rule rule = { .number = 3, .text = "deny *" };
	struct flow_record r = rec("tcp", "203.0.113.9", 443, NULL,
				   FLOW_VERDICT_DENY);
	struct deny_reporter d;

	(void)state;
	deny_reporter_init(&d, out, 0, 0);
	deny_report(&d, &r, &rule, 0);
	r.verdict = FLOW_VERDICT_WOULD_DENY;
	deny_report(&d, &r, NULL, 0);
	r = rec("udp", "2001:db8::53", 53, "ns.example.com", FLOW_VERDICT_DENY);
	rule.number = 12;
	rule.text = "deny udp:*.example.com:53";
	deny_report(&d, &r, &rule, 0);
	r.host = "evil\x1b[2J.example";
	deny_report(&d, &r, NULL, 0);
	assert_string_equal(output(),
		"tungate: denied tcp 10.12.0.2:41234 -> 203.0.113.9:443 "
		"(rule 3: deny *)\n"
		"tungate: would deny tcp 10.12.0.2:41234 -> 203.0.113.9:443 "
		"(default deny)\n"
		"tungate: denied udp [fd12::2]:41234 -> [2001:db8::53]:53 "
		"(ns.example.com, rule 12: deny udp:*.example.com:53)\n"
		"tungate: denied udp [fd12::2]:41234 -> [2001:db8::53]:53 "
		"(evil?[2J.example, default deny)\n");
}

static void test_deny_rate_limit(void **state)
{
	struct flow_record r = rec("tcp", "192.0.2.1", 80, NULL,
				   FLOW_VERDICT_DENY);
	const char *line = "tungate: denied tcp 10.12.0.2:41234 -> "
			   "192.0.2.1:80 (default deny)\n";
	struct deny_reporter d;
	char want[1024];
	int i;

	(void)state;
	deny_reporter_init(&d, out, 3, 2);
	for (i = 0; i < 5; i++)
		deny_report(&d, &r, NULL, 1000);
	/* 3 at once; 2 counted */
	snprintf(want, sizeof(want), "%s%s%s", line, line, line);
	assert_string_equal(output(), want);
	assert_int_equal(d.suppressed, 2);

	/* 2 a second: after 400 ms not yet a whole token... */
	deny_report(&d, &r, NULL, 1400);
	assert_string_equal(output(), want);
	assert_int_equal(d.suppressed, 3);
	/* ...after 500 ms one: the count, then the line */
	deny_report(&d, &r, NULL, 1500);
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
		 "tungate: 3 more denials not shown\n%s", line);
	assert_string_equal(output(), want);
	assert_int_equal(d.suppressed, 0);

	/* A long pause refills up to the burst, no more. */
	for (i = 0; i < 4; i++)
		deny_report(&d, &r, NULL, 100000);
	assert_int_equal(d.suppressed, 1);
	/* Time going backwards earns nothing. */
	deny_report(&d, &r, NULL, 50);
	assert_int_equal(d.suppressed, 2);

	deny_report_flush(&d);
	assert_non_null(strstr(output(), "tungate: 2 more denials not shown\n"));
	assert_int_equal(d.suppressed, 0);
	/* Nothing more to say */
	i = (int)strlen(output());
	deny_report_flush(&d);
	assert_int_equal(strlen(output()), i);
}

static void test_deny_one_more(void **state)
{
	struct flow_record r = rec("tcp", "192.0.2.1", 80, NULL,
				   FLOW_VERDICT_DENY);
	struct deny_reporter d;

	(void)state;
	deny_reporter_init(&d, out, 1, 1);
	deny_report(&d, &r, NULL, 0);
	deny_report(&d, &r, NULL, 0);
	deny_report_flush(&d);
	assert_non_null(strstr(output(), "tungate: 1 more denial not shown\n"));
}

static void test_deny_defaults_and_silence(void **state)
{
	struct flow_record r = rec("tcp", "192.0.2.1", 80, NULL,
				   FLOW_VERDICT_DENY);
	struct deny_reporter d = { .out = out };
	struct deny_reporter quiet = { .out = NULL };
	int i;

	(void)state;
	/* Zeroed fields: DENY_REPORT_BURST at once. */
	for (i = 0; i < DENY_REPORT_BURST + 5; i++)
		deny_report(&d, &r, NULL, 0);
	assert_int_equal(d.suppressed, 5);
	/* Silent: nothing, not even counts. */
	for (i = 0; i < 50; i++)
		deny_report(&quiet, &r, NULL, 0);
	deny_report_flush(&quiet);
	assert_int_equal(quiet.suppressed, 0);
	i = 0;
	for (const char *s = output(); (s = strchr(s, '\n')); s++)
		i++;
	assert_int_equal(i, DENY_REPORT_BURST);
}

/* --- Summary ------------------------------------------------------------ */

static void add(struct flow_summary *s, struct flow_record r, uint64_t out_b,
		uint64_t in_b)
{
	r.bytes_out = out_b;
	r.bytes_in = in_b;
	flow_summary_add(s, &r);
}

static void test_summary_table(void **state)
{
	struct flow_summary *s = flow_summary_new();

	(void)state;
	assert_non_null(s);
	add(s, rec("tcp", "151.101.2.132", 80, "deb.debian.org",
		   FLOW_VERDICT_ALLOW), 600, 20000000);
	add(s, rec("tcp", "151.101.66.132", 80, "deb.debian.org",
		   FLOW_VERDICT_ALLOW), 629, 20266393);
	add(s, rec("tcp", "10.12.0.1", 8080, NULL, FLOW_VERDICT_ALLOW), 312,
	    4096);
	add(s, rec("tcp", "203.0.113.9", 443, NULL, FLOW_VERDICT_DENY), 0, 0);
	add(s, rec("tcp", "203.0.113.9", 443, NULL, FLOW_VERDICT_DENY), 0, 0);
	add(s, rec("udp", "2001:db8::53", 53, NULL, FLOW_VERDICT_WOULD_DENY),
	    45, 1023);
	add(s, rec("tcp", "203.0.113.9", 443, NULL, FLOW_VERDICT_ALLOW), 1536,
	    10240);
	flow_summary_print(s, out);
	assert_string_equal(output(),
		"tungate: summary: 7 flows (4 allowed, 1 would be denied, "
		"2 denied)\n"
		"  DESTINATION     PROTO   PORT  FLOWS       OUT        IN  VERDICT\n"
		"  deb.debian.org  tcp       80      2   1.2 KiB    38 MiB  allow\n"
		"  203.0.113.9     tcp      443      1   1.5 KiB    10 KiB  allow\n"
		"  10.12.0.1       tcp     8080      1     312 B   4.0 KiB  allow\n"
		"  2001:db8::53    udp       53      1      45 B    1023 B  would_deny\n"
		"  203.0.113.9     tcp      443      2       0 B       0 B  deny\n");
	flow_summary_free(s);
}

static void test_summary_order_is_stable(void **state)
{
	struct flow_summary *a = flow_summary_new(), *b = flow_summary_new();
	const char *row[4];
	char *copy;

	(void)state;
	/* Same bytes and flows: by name, then protocol, then port. */
	add(a, rec("udp", "192.0.2.1", 53, "b.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(a, rec("tcp", "192.0.2.1", 53, "b.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(a, rec("tcp", "192.0.2.1", 80, "a.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(a, rec("tcp", "192.0.2.1", 22, "a.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(b, rec("tcp", "192.0.2.1", 22, "a.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(b, rec("tcp", "192.0.2.1", 80, "a.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(b, rec("tcp", "192.0.2.1", 53, "b.example", FLOW_VERDICT_ALLOW), 1, 1);
	add(b, rec("udp", "192.0.2.1", 53, "b.example", FLOW_VERDICT_ALLOW), 1, 1);
	flow_summary_print(a, out);
	copy = strdup(output());
	assert_non_null(copy);
	row[0] = strstr(copy, "  a.example    tcp       22");
	row[1] = strstr(copy, "  a.example    tcp       80");
	row[2] = strstr(copy, "  b.example    tcp       53");
	row[3] = strstr(copy, "  b.example    udp       53");
	assert_true(row[0] && row[1] && row[2] && row[3]);
	assert_true(row[0] < row[1] && row[1] < row[2] && row[2] < row[3]);
	reset_output();
	flow_summary_print(b, out);
	assert_string_equal(output(), copy);
	free(copy);
	flow_summary_free(a);
	flow_summary_free(b);
}

static void test_summary_sizes(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} sizes[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" }, { 10188, "9.9 KiB" }, { 10189, "10 KiB" },
		{ 1048064, "1.0 MiB" }, { 1047552, "1023 KiB" },
		{ 5ULL << 30, "5.0 GiB" }, { UINT64_MAX, "16 EiB" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct flow_summary *s = flow_summary_new();
		char want[64];

		reset_output();
		add(s, rec("tcp", "192.0.2.1", 1, NULL, FLOW_VERDICT_ALLOW),
		    sizes[i].bytes, 0);
		flow_summary_print(s, out);
		snprintf(want, sizeof(want), "  %8s       0 B  allow\n",
			 sizes[i].text);
		if (!strstr(output(), want))
			fail_msg("%llu bytes: want \"%s\" in:\n%s",
				 (unsigned long long)sizes[i].bytes, want, output());
		flow_summary_free(s);
	}
}

static void test_summary_empty(void **state)
{
	struct flow_summary *s = flow_summary_new();

	(void)state;
	flow_summary_print(s, out);
	assert_string_equal(output(), "tungate: summary: no flows\n");
	flow_summary_free(s);
	flow_summary_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deny_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deny_rate_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deny_one_more, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deny_defaults_and_silence,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_summary_order_is_stable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_sizes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_summary_empty, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_resolv_conf.c - unit tests of reading resolv.conf's nameservers
 * (cmd/resolv_conf.c): which lines count, order, duplicates, the limit,
 * and glibc's local default when there is none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cmd/resolv_conf.h"

/**
 * parse_text() - resolv_conf_parse() on @text; the found servers as
 * "a,b,c" (each "addr:port" as tg_endpoint_format() writes it)
 */
static size_t parse_text(const char *text, size_t max, char *out, size_t cap)
{
	struct tg_endpoint eps[8];
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	size_t i, n;

	assert_non_null(f);
	n = resolv_conf_parse(f, eps, max);
	fclose(f);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		char buf[TG_ENDPOINT_STRLEN];

		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, tg_endpoint_format(&eps[i], buf, sizeof(buf)),
			cap - strlen(out) - 1);
	}
	return n;
}

static void test_nameserver_lines(void **state)
{
	char got[512];

	(void)state;
	assert_int_equal(parse_text(
		"# generated\n"
		"search example.com\n"
		"nameserver 127.0.0.53\n"
		"  nameserver\t2001:db8::53   # with a comment\n"
		"nameserver 198.51.100.53;another\n"
		"options edns0 trust-ad\n", 8, got, sizeof(got)), 3);
	assert_string_equal(got, "127.0.0.53:53,[2001:db8::53]:53,198.51.100.53:53");
}

static void test_lines_glibc_skips(void **state)
{
	char got[512];

	(void)state;
	assert_int_equal(parse_text(
		"nameserver fe80::1%eth0\n"	/* zone index: unreachable */
		"nameserver\n"
		"nameservers 198.51.100.1\n"
		"nameserver not-an-address\n"
		"#nameserver 198.51.100.2\n"
		"; nameserver 198.51.100.3\n"
		"nameserver 198.51.100.4\n", 8, got, sizeof(got)), 1);
	assert_string_equal(got, "198.51.100.4:53");
}

static void test_duplicates_and_limit(void **state)
{
	char got[512];

	(void)state;
	assert_int_equal(parse_text(
		"nameserver 198.51.100.1\n"
		"nameserver 198.51.100.1\n"
		"nameserver 198.51.100.2\n"
		"nameserver 198.51.100.3\n", 2, got, sizeof(got)), 2);
	assert_string_equal(got, "198.51.100.1:53,198.51.100.2:53");
}

static void test_local_default(void **state)
{
	struct tg_endpoint eps[4];
	char got[512];

	(void)state;
	assert_int_equal(parse_text("search example.com\n", 8, got, sizeof(got)), 2);
	assert_string_equal(got, "127.0.0.1:53,[::1]:53");
	assert_int_equal(resolv_conf_read("/nonexistent/resolv.conf", eps, 4), 2);
}

static void test_overlong_line(void **state)
{
	char text[3000], got[512];

	(void)state;
	memset(text, ' ', sizeof(text));
	memcpy(text, "nameserver 198.51.100.7", 23);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	/* Its rest must not be read as a line of its own either. */
	memcpy(text + 2000, "nameserver 198.51.100.8", 23);
	assert_int_equal(parse_text(text, 8, got, sizeof(got)), 2);
	assert_string_equal(got, "127.0.0.1:53,[::1]:53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nameserver_lines),
		cmocka_unit_test(test_lines_glibc_skips),
		cmocka_unit_test(test_duplicates_and_limit),
		cmocka_unit_test(test_local_default),
		cmocka_unit_test(test_overlong_line),
	};

	return cmocka_run_group_tests_name("resolv_conf", tests, NULL, NULL);
}

/* test_options.c - unit tests of tungate-run's option parsing
 * (cmd/options.c): defaults, each option, the end of options, and errors
 * that quote the bad text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cmd/options.h"
#include "stack/stack.h"

static char err[256];

static char *words[32];

/* Parse the given words, NULL-terminated (argv[0] added). The words stay
 * in a static array: options.command points into it. */
static enum options_result parse(struct options *o, ...)
{
	va_list ap;
	int n = 0;

	words[n++] = "tungate-run";
	va_start(ap, o);
	while (n < 31 && (words[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	words[n] = NULL;
	return options_parse(o, n, words, err, sizeof(err));
}

#define PARSE(o, ...) parse(o, __VA_ARGS__, (char *)NULL)

static void test_defaults(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--", "true"), OPTIONS_RUN);
	assert_int_equal(o.mtu, 65520);
	assert_int_equal(o.max_flows, TG_MAX_FLOWS_DEFAULT);
	assert_int_equal(o.udp_timeout_s, 60);
	assert_int_equal(o.drain_s, 5);
	assert_int_equal(o.verbosity, 0);
	assert_string_equal(o.command[0], "true");
	assert_null(o.command[1]);
}

static void test_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--mtu", "1500", "--max-flows=100",
			       "--udp-timeout", "5", "--drain-timeout", "0",
			       "-vv", "--", "ls", "-l"), OPTIONS_RUN);
	assert_int_equal(o.mtu, 1500);
	assert_int_equal(o.max_flows, 100);
	assert_int_equal(o.udp_timeout_s, 5);
	assert_int_equal(o.drain_s, 0);
	assert_int_equal(o.verbosity, 2);
	assert_string_equal(o.command[0], "ls");
	assert_string_equal(o.command[1], "-l");
}

/* The command's own options are not ours, with or without "--". */
static void test_command_options_untouched(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "-q", "curl", "-v", "--mtu", "x"), OPTIONS_RUN);
	assert_int_equal(o.verbosity, -1);
	assert_string_equal(o.command[0], "curl");
	assert_string_equal(o.command[1], "-v");
	assert_string_equal(o.command[2], "--mtu");
}

static void test_mtu_edges(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--mtu", "1280", "true"), OPTIONS_RUN);
	assert_int_equal(o.mtu, 1280);
	assert_int_equal(PARSE(&o, "--mtu", "65520", "true"), OPTIONS_RUN);
	assert_int_equal(o.mtu, 65520);
	assert_int_equal(PARSE(&o, "--mtu", "1279", "true"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'1279'"));
	assert_non_null(strstr(err, "--mtu"));
	assert_int_equal(PARSE(&o, "--mtu", "65521", "true"), OPTIONS_ERROR);
}

static void test_bad_numbers(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--max-flows", "12x", "true"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'12x'"));
	assert_int_equal(PARSE(&o, "--max-flows", "0", "true"), OPTIONS_ERROR);
	assert_int_equal(PARSE(&o, "--max-flows", "-1", "true"), OPTIONS_ERROR);
	assert_int_equal(PARSE(&o, "--udp-timeout", "", "true"), OPTIONS_ERROR);
	assert_int_equal(PARSE(&o, "--udp-timeout", "99999999999999999999", "true"),
			 OPTIONS_ERROR);
}

static void test_errors_quote_the_option(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--frobnicate", "true"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'--frobnicate'"));
	assert_int_equal(PARSE(&o, "-x", "true"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'-x'"));
	assert_int_equal(PARSE(&o, "--mtu"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'--mtu'"));
}

static void test_no_command(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "-v"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "no command"));
	assert_int_equal(PARSE(&o, "--"), OPTIONS_ERROR);
}

static void test_help_and_version(void **state)
{
	struct options o;
	FILE *saved = stdout;

	(void)state;
	stdout = fopen("/dev/null", "w");
	assert_int_equal(PARSE(&o, "--help"), OPTIONS_EXIT);
	assert_int_equal(PARSE(&o, "--version"), OPTIONS_EXIT);
	fclose(stdout);
	stdout = saved;
	assert_non_null(strstr(options_usage(), "Exit status"));
}

static void test_policy_options_in_order(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--deny", "tcp:198.51.100.7:22",
			       "--allow", "198.51.100.0/24", "--default", "allow",
			       "--audit", "--fail-on-deny", "--log", "-",
			       "--summary", "--", "true"), OPTIONS_RUN);
	assert_int_equal(o.policy.n_rules, 2);
	assert_int_equal(o.policy.rules[0].action, POLICY_DENY);
	assert_int_equal(o.policy.rules[1].action, POLICY_ALLOW);
	assert_int_equal(o.policy.default_action, POLICY_ALLOW);
	assert_true(o.audit);
	assert_true(o.fail_on_deny);
	assert_true(o.summary);
	assert_string_equal(o.log_path, "-");
	options_free(&o);

	assert_int_equal(PARSE(&o, "true"), OPTIONS_RUN);
	assert_int_equal(o.policy.default_action, POLICY_DENY);
	assert_false(o.audit);
	options_free(&o);
}

static void test_policy_errors(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--allow", "tcp:10.0.0.0/33", "true"),
			 OPTIONS_ERROR);
	assert_non_null(strstr(err, "'tcp:10.0.0.0/33'"));
	options_free(&o);
	assert_int_equal(PARSE(&o, "--default", "maybe", "true"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "'maybe'"));
	options_free(&o);
	assert_int_equal(PARSE(&o, "--policy", "/nonexistent/rules", "true"),
			 OPTIONS_ERROR);
	assert_non_null(strstr(err, "/nonexistent/rules"));
	options_free(&o);
}

static void test_dns_modes(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(PARSE(&o, "true"), OPTIONS_RUN);
	assert_int_equal(o.dns, OPTIONS_DNS_FORWARD);
	options_free(&o);
	assert_int_equal(PARSE(&o, "--dns=fake", "true"), OPTIONS_RUN);
	assert_int_equal(o.dns, OPTIONS_DNS_FAKE);
	options_free(&o);
	assert_int_equal(PARSE(&o, "--dns", "off", "--dns", "forward", "true"),
			 OPTIONS_RUN);
	assert_int_equal(o.dns, OPTIONS_DNS_FORWARD);
	options_free(&o);
	assert_int_equal(PARSE(&o, "--dns", "Fake", "true"), OPTIONS_ERROR);
	assert_string_equal(err, "--dns: 'Fake': expected forward, fake or off");
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_command_options_untouched),
		cmocka_unit_test(test_mtu_edges),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_errors_quote_the_option),
		cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_policy_options_in_order),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_dns_modes),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}

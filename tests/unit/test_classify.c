/* test_classify.c - unit tests of gateway_classify() (stack/gateway.c):
 * which destinations are the host's loopback (the gateway address), the
 * sandbox's own loopback, or external, and where each is relayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "stack/gateway.h"

static struct tg_stack_config cfg;

static struct tg_endpoint ep(const char *addr, uint16_t port)
{
	struct tg_endpoint e;

	assert_true(tg_endpoint_parse_addr(&e, addr));
	e.port = port;
	return e;
}

static int setup(void **state)
{
	(void)state;
	cfg.gateway4 = ep("10.12.0.1", 0);
	cfg.sandbox4 = ep("10.12.0.2", 0);
	cfg.gateway6 = ep("fd12::1", 0);
	cfg.sandbox6 = ep("fd12::2", 0);
	return 0;
}

static void expect(const char *dst, enum tg_scope scope, const char *upstream)
{
	struct tg_endpoint d = ep(dst, 8080), up, want = ep(upstream, 8080);

	assert_int_equal(gateway_classify(&cfg, &d, &up), scope);
	assert_true(tg_endpoint_equal(&up, &want));
}

static void test_gateway_is_host_loopback(void **state)
{
	(void)state;
	expect("10.12.0.1", TG_SCOPE_HOST, "127.0.0.1");
	expect("fd12::1", TG_SCOPE_HOST, "::1");
}

static void test_own_loopback(void **state)
{
	(void)state;
	expect("127.0.0.1", TG_SCOPE_LOOPBACK, "127.0.0.1");
	expect("127.255.0.9", TG_SCOPE_LOOPBACK, "127.255.0.9");
	expect("10.12.0.2", TG_SCOPE_LOOPBACK, "10.12.0.2");
	expect("::1", TG_SCOPE_LOOPBACK, "::1");
	expect("fd12::2", TG_SCOPE_LOOPBACK, "fd12::2");
}

static void test_external(void **state)
{
	(void)state;
	expect("198.51.100.2", TG_SCOPE_EXTERNAL, "198.51.100.2");
	expect("10.12.0.3", TG_SCOPE_EXTERNAL, "10.12.0.3");
	expect("128.0.0.1", TG_SCOPE_EXTERNAL, "128.0.0.1");
	expect("2001:db8::1", TG_SCOPE_EXTERNAL, "2001:db8::1");
	expect("::2", TG_SCOPE_EXTERNAL, "::2");
	expect("fd12::3", TG_SCOPE_EXTERNAL, "fd12::3");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tg_scope_name(TG_SCOPE_HOST), "host");
	assert_string_equal(tg_scope_name(TG_SCOPE_LOOPBACK), "loopback");
	assert_string_equal(tg_scope_name(TG_SCOPE_EXTERNAL), "external");
	assert_string_equal(tg_flow_end_name(TG_END_REFUSED), "refused");
	assert_string_equal(tg_flow_end_name((enum tg_flow_end)999), "?");
}

/* Resolvers: address and port both; a loopback one stays a loopback
 * scope (the per-packet path relays it instead of reflecting it) and is
 * relayed to the same address on the host. */
static void test_resolvers(void **state)
{
	struct tg_endpoint d, up;

	(void)state;
	cfg.resolvers[0] = ep("127.0.0.53", 53);
	cfg.resolvers[1] = ep("2001:db8::53", 53);
	cfg.n_resolvers = 2;
	d = ep("127.0.0.53", 53);
	assert_true(gateway_is_resolver(&cfg, &d));
	assert_int_equal(gateway_classify(&cfg, &d, &up), TG_SCOPE_LOOPBACK);
	assert_true(tg_endpoint_equal(&up, &d));
	d = ep("2001:db8::53", 53);
	assert_true(gateway_is_resolver(&cfg, &d));
	d = ep("127.0.0.53", 5353);
	assert_false(gateway_is_resolver(&cfg, &d));
	d = ep("127.0.0.54", 53);
	assert_false(gateway_is_resolver(&cfg, &d));
	cfg.n_resolvers = 1;
	d = ep("2001:db8::53", 53);
	assert_false(gateway_is_resolver(&cfg, &d));
	cfg.n_resolvers = 0;
	d = ep("127.0.0.53", 53);
	assert_false(gateway_is_resolver(&cfg, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gateway_is_host_loopback),
		cmocka_unit_test(test_own_loopback),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resolvers),
	};

	return cmocka_run_group_tests_name("classify", tests, setup, NULL);
}

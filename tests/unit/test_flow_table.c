/* test_flow_table.c - unit tests of the flow table (stack/flow_table.c):
 * insert, lookup by key, removal from the middle of a chain, reuse with a
 * new generation, capacity limit, and the service-list link surviving reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "stack/flow.h"

static struct tg_endpoint ep4(const char *addr, uint16_t port)
{
	struct tg_endpoint ep;

	assert_true(tg_endpoint_parse_addr(&ep, addr));
	ep.port = port;
	return ep;
}

static void test_init_rejects_bad_capacity(void **state)
{
	struct flow_table t;

	(void)state;
	assert_int_equal(flow_table_init(&t, 0, 1), -EINVAL);
	assert_int_equal(flow_table_init(&t, TG_MAX_FLOWS_LIMIT + 1, 1), -EINVAL);
}

static void test_insert_lookup(void **state)
{
	struct tg_endpoint a = ep4("10.12.0.2", 40000), b = ep4("198.51.100.2", 80);
	struct tg_endpoint c = ep4("fd12::2", 40000), d = ep4("2001:db8::2", 80);
	struct flow_table t;
	struct flow *f1, *f2;

	(void)state;
	assert_int_equal(flow_table_init(&t, 8, 42), 0);
	f1 = flow_table_insert(&t, IPPROTO_TCP, &a, &b, FLOW_TCP_CONNECTING);
	f2 = flow_table_insert(&t, IPPROTO_TCP, &c, &d, FLOW_TCP_CONNECTING);
	assert_non_null(f1);
	assert_non_null(f2);
	assert_ptr_not_equal(f1, f2);
	assert_int_equal(t.used, 2);
	assert_int_equal(f1->fd, -1);
	assert_true(f2->info.id > f1->info.id);

	assert_ptr_equal(flow_table_lookup(&t, IPPROTO_TCP, &a, &b), f1);
	assert_ptr_equal(flow_table_lookup(&t, IPPROTO_TCP, &c, &d), f2);
	/* Same addresses, other protocol or direction: not found. */
	assert_null(flow_table_lookup(&t, IPPROTO_UDP, &a, &b));
	assert_null(flow_table_lookup(&t, IPPROTO_TCP, &b, &a));
	b.port = 81;
	assert_null(flow_table_lookup(&t, IPPROTO_TCP, &a, &b));
	flow_table_fini(&t);
}

static void test_full_table(void **state)
{
	struct tg_endpoint a = ep4("10.12.0.2", 1), b = ep4("203.0.113.9", 53);
	struct flow_table t;
	uint16_t i;

	(void)state;
	assert_int_equal(flow_table_init(&t, 4, 7), 0);
	for (i = 0; i < 4; i++) {
		a.port = (uint16_t)(1000 + i);
		assert_non_null(flow_table_insert(&t, IPPROTO_UDP, &a, &b, FLOW_UDP));
	}
	a.port = 2000;
	assert_null(flow_table_insert(&t, IPPROTO_UDP, &a, &b, FLOW_UDP));
	assert_int_equal(t.used, 4);
	flow_table_fini(&t);
}

/* Many keys in a tiny table share buckets: removing from the middle of a
 * chain must leave the others findable. */
static void test_remove_keeps_chains(void **state)
{
	struct tg_endpoint a = ep4("10.12.0.2", 0), b = ep4("198.51.100.2", 443);
	struct flow *flows[64];
	struct flow_table t;
	unsigned int i;

	(void)state;
	assert_int_equal(flow_table_init(&t, 64, 3), 0);
	for (i = 0; i < 64; i++) {
		a.port = (uint16_t)(5000 + i);
		flows[i] = flow_table_insert(&t, IPPROTO_TCP, &a, &b, FLOW_TCP_RELAY);
		assert_non_null(flows[i]);
	}
	for (i = 0; i < 64; i += 2)
		flow_table_remove(&t, flows[i]);
	assert_int_equal(t.used, 32);
	for (i = 0; i < 64; i++) {
		a.port = (uint16_t)(5000 + i);
		if (i % 2)
			assert_ptr_equal(flow_table_lookup(&t, IPPROTO_TCP, &a, &b),
					 flows[i]);
		else
			assert_null(flow_table_lookup(&t, IPPROTO_TCP, &a, &b));
	}
	flow_table_fini(&t);
}

static void test_reuse_bumps_generation(void **state)
{
	struct tg_endpoint a = ep4("10.12.0.2", 1), b = ep4("198.51.100.2", 2);
	struct flow_table t;
	struct flow *f, *g;
	uint32_t idx, gen;

	(void)state;
	assert_int_equal(flow_table_init(&t, 2, 9), 0);
	f = flow_table_insert(&t, IPPROTO_TCP, &a, &b, FLOW_TCP_RELAY);
	idx = flow_table_index(&t, f);
	gen = f->gen;
	assert_ptr_equal(flow_table_get(&t, idx, gen), f);

	f->dirty = true;
	f->dirty_next = 7;
	flow_table_remove(&t, f);
	assert_null(flow_table_get(&t, idx, gen));
	assert_int_equal(f->state, FLOW_FREE);

	/* LIFO free list: the same entry comes back, newer generation,
	 * its service-list link intact. */
	g = flow_table_insert(&t, IPPROTO_UDP, &a, &b, FLOW_UDP);
	assert_ptr_equal(g, f);
	assert_int_not_equal(g->gen, gen);
	assert_null(flow_table_get(&t, idx, gen));
	assert_ptr_equal(flow_table_get(&t, idx, g->gen), g);
	assert_true(g->dirty);
	assert_int_equal(g->dirty_next, 7);
	assert_null(flow_table_get(&t, 99, g->gen));
	flow_table_fini(&t);
}

static void test_high_water(void **state)
{
	struct tg_endpoint a = ep4("10.12.0.2", 1), b = ep4("198.51.100.2", 2);
	struct flow_table t;
	struct flow *f;

	(void)state;
	assert_int_equal(flow_table_init(&t, 100, 1), 0);
	assert_int_equal(t.high_water, 0);
	f = flow_table_insert(&t, IPPROTO_TCP, &a, &b, FLOW_TCP_RELAY);
	a.port = 2;
	flow_table_insert(&t, IPPROTO_TCP, &a, &b, FLOW_TCP_RELAY);
	assert_int_equal(t.high_water, 2);
	flow_table_remove(&t, f);
	assert_int_equal(t.high_water, 2);
	flow_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_capacity),
		cmocka_unit_test(test_insert_lookup),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_remove_keeps_chains),
		cmocka_unit_test(test_reuse_bumps_generation),
		cmocka_unit_test(test_high_water),
	};

	return cmocka_run_group_tests_name("flow_table", tests, NULL, NULL);
}

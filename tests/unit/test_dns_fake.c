/* test_dns_fake.c - unit tests of --dns=fake's table and answers
 * (dns/dns_fake.c): one made-up address per name in both families, the
 * real addresses kept with it, the oldest name giving its address up when
 * the table is full, and the rewritten answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

static const char *fmt(const struct tg_endpoint *ep)
{
	static char buf[4][TG_ENDPOINT_STRLEN];
	static int i;
	struct tg_endpoint a = *ep;

	a.port = 0;
	i = (i + 1) % 4;
	return tg_endpoint_format(&a, buf[i], sizeof(buf[i]));
}

/* A response for "a.test" type @qtype: one A (203.0.113.10, TTL 30) and
 * one AAAA (2001:db8:2::10, TTL 20) record, the name compressed. */
static size_t response(uint16_t qtype, uint8_t rcode, uint8_t *out)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		1, 'a', 4, 't', 'e', 's', 't', 0,
	};
	static const uint8_t rrs[] = {
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 203, 0, 113, 10,
		0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 20, 0, 16,
		0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	size_t n = 0;

	memcpy(out, head, sizeof(head));
	out[3] |= rcode;
	n = sizeof(head);
	out[n++] = (uint8_t)(qtype >> 8);
	out[n++] = (uint8_t)qtype;
	out[n++] = 0;
	out[n++] = 1;
	memcpy(out + n, rrs, sizeof(rrs));
	return n + sizeof(rrs);
}

static void test_addresses(void **state)
{
	struct tg_endpoint ep;

	(void)state;
	dns_fake_address(1, AF_INET, &ep);
	assert_string_equal(fmt(&ep), "198.18.0.1:0");
	assert_true(dns_fake_in_range(&ep));
	dns_fake_address(65536 + 258, AF_INET, &ep);
	assert_string_equal(fmt(&ep), "198.19.1.2:0");
	assert_true(dns_fake_in_range(&ep));
	dns_fake_address(258, AF_INET6, &ep);
	assert_string_equal(fmt(&ep), "[fdff:7467::102]:0");
	assert_true(dns_fake_in_range(&ep));

	tg_endpoint_parse_addr(&ep, "198.20.0.1");
	assert_false(dns_fake_in_range(&ep));
	tg_endpoint_parse_addr(&ep, "198.17.255.255");
	assert_false(dns_fake_in_range(&ep));
	tg_endpoint_parse_addr(&ep, "fdff:7468::1");
	assert_false(dns_fake_in_range(&ep));
}

static void test_assign_and_lookup(void **state)
{
	struct dns_fake *t = dns_fake_new(100);
	struct dns_answer *a = calloc(1, sizeof(*a));
	struct tg_endpoint fake4, fake6, real, other;
	uint8_t msg[512];
	uint32_t idx;

	(void)state;
	assert_non_null(t);
	assert_non_null(a);
	idx = dns_fake_assign(t, "a.test");
	assert_int_equal(idx, 1);
	assert_int_equal(dns_fake_assign(t, "b.test"), 2);
	assert_int_equal(dns_fake_assign(t, "a.test"), 1);

	assert_int_equal(dns_parse_answer(msg, response(1, 0, msg), a), 0);
	dns_fake_set_real(t, idx, a);
	dns_fake_address(idx, AF_INET, &fake4);
	dns_fake_address(idx, AF_INET6, &fake6);
	fake4.port = fake6.port = 443;
	assert_string_equal(dns_fake_lookup(t, &fake4, &real), "a.test");
	assert_string_equal(fmt(&real), "203.0.113.10:0");
	assert_int_equal(real.port, 443);
	assert_string_equal(dns_fake_lookup(t, &fake6, &real), "a.test");
	assert_string_equal(fmt(&real), "[2001:db8:2::10]:0");

	/* A later answer replaces the family it gives, not the other. */
	a->bindings[0].addr.addr[3] = 11;	/* 203.0.113.11 */
	a->n_bindings = 1;
	dns_fake_set_real(t, idx, a);
	assert_string_equal(dns_fake_lookup(t, &fake4, &real), "a.test");
	assert_string_equal(fmt(&real), "203.0.113.11:0");
	assert_string_equal(dns_fake_lookup(t, &fake6, &real), "a.test");
	assert_string_equal(fmt(&real), "[2001:db8:2::10]:0");

	/* b.test has no real address yet; index 3 stands for nothing. */
	dns_fake_address(2, AF_INET, &other);
	assert_string_equal(dns_fake_lookup(t, &other, &real), "b.test");
	assert_int_equal(real.family, 0);
	dns_fake_address(3, AF_INET, &other);
	assert_null(dns_fake_lookup(t, &other, &real));
	tg_endpoint_parse_addr(&other, "203.0.113.10");
	assert_null(dns_fake_lookup(t, &other, &real));
	free(a);
	dns_fake_free(t);
}

static void test_oldest_gives_way(void **state)
{
	struct dns_fake *t = dns_fake_new(3);
	struct tg_endpoint ep, real;
	char name[32];
	int i;

	(void)state;
	assert_non_null(t);
	assert_int_equal(dns_fake_assign(t, "n1.test"), 1);
	assert_int_equal(dns_fake_assign(t, "n2.test"), 2);
	assert_int_equal(dns_fake_assign(t, "n3.test"), 3);
	assert_int_equal(dns_fake_assign(t, "n4.test"), 1);	/* n1 went */
	dns_fake_address(1, AF_INET, &ep);
	assert_string_equal(dns_fake_lookup(t, &ep, &real), "n4.test");
	assert_int_equal(dns_fake_assign(t, "n1.test"), 2);	/* new */
	assert_int_equal(dns_fake_assign(t, "n3.test"), 3);	/* still */

	/* Many rounds: the hash never loses a live name (backward shift). */
	for (i = 0; i < 1000; i++) {
		uint32_t idx;

		snprintf(name, sizeof(name), "r%d.test", i);
		idx = dns_fake_assign(t, name);
		assert_int_not_equal(idx, 0);
		assert_int_equal(dns_fake_assign(t, name), idx);
		dns_fake_address(idx, AF_INET6, &ep);
		assert_string_equal(dns_fake_lookup(t, &ep, &real), name);
	}
	dns_fake_free(t);

	assert_null(dns_fake_new(0));
	assert_null(dns_fake_new(131071));
}

static void test_rewritten_answer(void **state)
{
	struct dns_answer *a = calloc(1, sizeof(*a));
	uint8_t msg[512], out[512];
	struct tg_endpoint fake;
	size_t n;

	(void)state;
	assert_non_null(a);
	dns_fake_address(7, AF_INET, &fake);
	n = dns_build_fake_answer(msg, response(1, 0, msg), &fake, 30, out,
				  sizeof(out));
	assert_true(n > 12);
	assert_int_equal(out[0], 0x12);		/* the query's id */
	assert_int_equal(out[1], 0x34);
	assert_int_equal(dns_parse_answer(out, n, a), 0);
	assert_string_equal(a->query.name, "a.test");
	assert_int_equal(a->n_bindings, 1);
	assert_string_equal(fmt(&a->bindings[0].addr), "198.18.0.7:0");
	assert_int_equal(a->bindings[0].ttl, 30);

	dns_fake_address(7, AF_INET6, &fake);
	n = dns_build_fake_answer(msg, response(28, 0, msg), &fake, 5, out,
				  sizeof(out));
	assert_int_equal(dns_parse_answer(out, n, a), 0);
	assert_int_equal(a->n_bindings, 1);
	assert_string_equal(fmt(&a->bindings[0].addr), "[fdff:7467::7]:0");

	/* Garbage and a buffer too small give nothing. */
	assert_int_equal(dns_build_fake_answer(msg, 5, &fake, 5, out,
					       sizeof(out)), 0);
	assert_int_equal(dns_build_fake_answer(msg, response(28, 0, msg), &fake,
					       5, out, 20), 0);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_assign_and_lookup),
		cmocka_unit_test(test_oldest_gives_way),
		cmocka_unit_test(test_rewritten_answer),
	};

	return cmocka_run_group_tests_name("dns_fake", tests, NULL, NULL);
}

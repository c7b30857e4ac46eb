/* test_policy_bench.c - how fast policy_decide() is with 10,000 mixed
 * rules: IPv4 and IPv6 addresses and prefixes, hostnames, wildcards, "*"
 * with ports, loopback and host rules. It times 100,000 indexed decisions
 * and, for comparison, a plain scan of every rule on fewer, and prints
 * ns per decision. Nothing here asserts a time (machines differ); it
 * asserts only that the index and the scan agree on the queries timed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"

#define BENCH_RULES	10000U
#define BENCH_QUERIES	100000U
#define BENCH_LINEAR	2000U
#define NAME_POOL	4000

static struct policy p;
static char err[512];
static char names[NAME_POOL][64];	/* exact names, then wildcard domains */
static struct tg_endpoint addrs[BENCH_RULES];
static size_t n_addrs;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void random_ports(char *buf, size_t len)
{
	uint16_t a = (uint16_t)rnd(65536), b = (uint16_t)rnd(65536);

	switch (rnd(10)) {
	case 0: case 1: case 2: case 3: case 4:
		buf[0] = '\0';
		break;
	case 5: case 6: case 7:
		snprintf(buf, len, ":%u", rnd(2) ? 443U : (unsigned int)a);
		break;
	default:
		snprintf(buf, len, ":%u-%u", (unsigned int)MIN(a, b),
			 (unsigned int)MAX(a, b));
		break;
	}
}

/* An address, masked to @plen, remembered for the queries. */
static void random_prefix(char *buf, size_t len, int family, unsigned int plen)
{
	struct tg_endpoint a = { .family = (sa_family_t)family };
	char text[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < tg_endpoint_addr_len(&a); i++) {
		unsigned int keep = plen > 8 * i ? plen - 8 * (unsigned int)i : 0;

		a.addr[i] = (uint8_t)rnd(256);
		if (keep < 8)
			a.addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	addrs[n_addrs++] = a;
	tg_addr_format(&a, text, sizeof(text));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s/%u]", text, plen);
	else
		snprintf(buf, len, "%s/%u", text, plen);
}

static void random_rule(char *buf, size_t len)
{
	static const char *const protos[] = { "", "", "tcp:", "udp:" };
	uint32_t kind = rnd(100);
	char host[96], ports[32];

	if (kind < 30)
		random_prefix(host, sizeof(host), AF_INET, 32);
	else if (kind < 40)
		random_prefix(host, sizeof(host), AF_INET, 8 + rnd(23));
	else if (kind < 45)
		random_prefix(host, sizeof(host), AF_INET6, 128);
	else if (kind < 50)
		random_prefix(host, sizeof(host), AF_INET6, 32 + 8 * rnd(5));
	else if (kind < 75)
		snprintf(host, sizeof(host), "%s", names[rnd(NAME_POOL / 2)]);
	else if (kind < 90)
		snprintf(host, sizeof(host), "*.%s",
			 names[NAME_POOL / 2 + rnd(NAME_POOL / 2)]);
	else if (kind < 95)
		snprintf(host, sizeof(host), "*");
	else
		snprintf(host, sizeof(host), rnd(2) ? "loopback" : "host");
	random_ports(ports, sizeof(ports));
	/* "*", loopback and host on one random port: on all ports (or 443,
	 * which half the queries use) one such rule would decide early. */
	if (kind >= 90)
		snprintf(ports, sizeof(ports), ":%u", rnd(65536));
	snprintf(buf, len, "%s%s%s", protos[rnd(4)], host, ports);
}

struct bench_query {
	struct policy_query q;
	const char *names[2];
	char sub[80];
};

static void random_query(struct bench_query *bq)
{
	struct policy_query *q = &bq->q;
	size_t i;

	memset(bq, 0, sizeof(*bq));
	q->protos = rnd(2) ? POLICY_PROTO_TCP : POLICY_PROTO_UDP;
	if (rnd(2)) {
		q->dst = addrs[rnd((uint32_t)n_addrs)];
		q->dst.addr[q->dst.family == AF_INET6 ? 15 : 3] |= (uint8_t)rnd(2);
	} else {
		q->dst.family = rnd(4) ? AF_INET : AF_INET6;
		for (i = 0; i < 16; i++)
			q->dst.addr[i] = (uint8_t)rnd(256);
	}
	q->dst.port = rnd(2) ? 443 : (uint16_t)rnd(65536);
	q->scope = rnd(10) ? POLICY_SCOPE_EXTERNAL :
		   (enum policy_scope)(1 + rnd(2));
	q->n_names = rnd(3);
	for (i = 0; i < q->n_names; i++) {
		uint32_t k = rnd(NAME_POOL);

		if (k < NAME_POOL / 2) {
			bq->names[i] = names[k];
		} else {
			snprintf(bq->sub, sizeof(bq->sub), "www.%s", names[k]);
			bq->names[i] = bq->sub;
		}
	}
	q->names = bq->names;
}

static void decide_naive(const struct policy_query *q, struct policy_verdict *v)
{
	size_t i;

	v->action = p.default_action;
	v->rule = NULL;
	v->name = NULL;
	for (i = 0; i < p.n_rules; i++) {
		if (policy_rule_matches(&p.rules[i], q, &v->name)) {
			v->rule = &p.rules[i];
			v->action = v->rule->action;
			return;
		}
	}
}

static void test_bench(void **state)
{
	static struct bench_query bq[BENCH_QUERIES];
	uint64_t t0, t_build, t_index, t_linear;
	struct policy_verdict v, w;
	unsigned int i, matched = 0;
	char text[160];

	(void)state;
	policy_init(&p);
	for (i = 0; i < NAME_POOL; i++)
		snprintf(names[i], sizeof(names[i]), "%s%u.zone%u.example",
			 i < NAME_POOL / 2 ? "host" : "svc", i, rnd(50));
	for (i = 0; i < BENCH_RULES; i++) {
		random_rule(text, sizeof(text));
		if (policy_add_rule(&p, rnd(2) ? POLICY_ALLOW : POLICY_DENY, text,
				    "bench", err, sizeof(err)))
			fail_msg("%s", err);
	}
	for (i = 0; i < BENCH_QUERIES; i++)
		random_query(&bq[i]);

	t0 = ns_now();
	policy_decide(&p, &bq[0].q, &v);	/* builds the index */
	t_build = ns_now() - t0;

	t0 = ns_now();
	for (i = 0; i < BENCH_QUERIES; i++) {
		policy_decide(&p, &bq[i].q, &v);
		matched += !!v.rule;
	}
	t_index = ns_now() - t0;

	t0 = ns_now();
	for (i = 0; i < BENCH_LINEAR; i++)
		decide_naive(&bq[i].q, &w);
	t_linear = ns_now() - t0;

	printf("policy bench: %u rules, index built in %.1f ms\n", BENCH_RULES,
	       (double)t_build / 1e6);
	printf("policy bench: indexed: %.0f ns/decision (%u decisions, %u "
	       "matched a rule)\n", (double)t_index / BENCH_QUERIES,
	       BENCH_QUERIES, matched);
	printf("policy bench: linear scan: %.0f ns/decision (%u decisions)\n",
	       (double)t_linear / BENCH_LINEAR, BENCH_LINEAR);

	for (i = 0; i < BENCH_LINEAR; i++) {
		policy_decide(&p, &bq[i].q, &v);
		decide_naive(&bq[i].q, &w);
		assert_ptr_equal(v.rule, w.rule);
		assert_ptr_equal(v.name, w.name);
	}
	assert_true(matched > BENCH_QUERIES / 10);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_dns.c - libFuzzer harness for dns/: arbitrary bytes as a query, as
 * a response (learned into a small table, then looked up), and as the
 * query dns_build_error() answers.
 *
 * For what parses, the harness checks what the parser promises: names
 * that are valid hostnames (or the root), a chain of at most 8 distinct
 * names starting with the query name, bindings owned by names on it with
 * TTLs no larger than the chain allows; that a built refusal parses back
 * with the same id, question and rcode; and that the table hands back
 * names it was taught. Any broken invariant abort()s.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *	tests/fuzz/fuzz_dns.c dns/dns_msg.c dns/dns_names.c util/util.c \
 *	$(pkg-config --libs ldns) -o /tmp/fzdns
 *   /tmp/fzdns -max_total_time=60
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * check_name() - @name is "" or a normalised hostname
 * @name:	name from the parser
 */
static void check_name(const char *name)
{
	char copy[DNS_NAME_MAX];

	fuzz_assert(memchr(name, '\0', DNS_NAME_MAX));
	if (!*name)
		return;
	strcpy(copy, name);
	fuzz_assert(dns_name_normalise(copy));
	fuzz_assert(!strcmp(copy, name));
}

/**
 * alias_index() - where @name is among @a's aliases, or -1
 */
static int alias_index(const struct dns_answer *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_aliases; i++) {
		if (!strcmp(a->aliases[i], name))
			return (int)i;
	}
	return -1;
}

/**
 * check_answer() - the invariants of a parsed response
 * @a:		answer
 */
static void check_answer(const struct dns_answer *a)
{
	size_t i, j;

	check_name(a->query.name);
	fuzz_assert(a->rcode <= 15);
	fuzz_assert(a->n_aliases >= 1 && a->n_aliases <= 8);
	fuzz_assert(!strcmp(a->aliases[0], a->query.name));
	for (i = 0; i < a->n_aliases; i++) {
		check_name(a->aliases[i]);
		for (j = 0; j < i; j++)
			fuzz_assert(strcmp(a->aliases[i], a->aliases[j]));
	}
	fuzz_assert(a->n_bindings <= DNS_ANSWER_MAX);
	for (i = 0; i < a->n_bindings; i++) {
		const struct dns_binding *b = &a->bindings[i];

		fuzz_assert(b->addr.family == AF_INET ||
			    b->addr.family == AF_INET6);
		fuzz_assert(!b->addr.port);
		fuzz_assert(alias_index(a, b->name) >= 0);
		fuzz_assert(b->ttl <= INT32_MAX);
	}
}

/**
 * check_learn() - learn @a, then every binding's name must be found
 * @t:		table, large enough for one answer
 * @a:		answer
 */
static void check_learn(struct dns_names *t, const struct dns_answer *a)
{
	const char *names[16];
	size_t i, n;

	dns_names_learn(t, a, 1000);
	for (i = 0; i < a->n_bindings; i++) {
		n = dns_names_lookup(t, &a->bindings[i].addr, 1000, names,
				     ARRAY_SIZE(names));
		fuzz_assert(n >= 1 && n <= 8);
		while (n--)
			check_name(names[n]);
		/* Past any TTL and the floor: nothing */
		fuzz_assert(!dns_names_lookup(t, &a->bindings[i].addr,
					      1000 + (uint64_t)UINT32_MAX * 1000,
					      names, ARRAY_SIZE(names)));
	}
}

/**
 * check_error() - a refusal built for @data parses back as its answer
 * @data:	input
 * @size:	its length
 */
static void check_error(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	struct dns_answer *a;
	struct dns_query q;
	size_t n;

	n = dns_build_error(data, size, 3, out, sizeof(out));
	if (!n || dns_parse_query(data, size, &q))
		return;
	a = malloc(sizeof(*a));
	fuzz_assert(a);
	fuzz_assert(!dns_parse_answer(out, n, a));
	fuzz_assert(a->query.id == q.id && a->query.qtype == q.qtype &&
		    a->query.qclass == q.qclass);
	fuzz_assert(!strcmp(a->query.name, q.name));
	fuzz_assert(a->rcode == 3 && !a->n_bindings);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_names *t = dns_names_new(DNS_ANSWER_MAX, DNS_TTL_FLOOR_S);
	struct dns_answer *a = malloc(sizeof(*a));
	struct dns_query q;

	fuzz_assert(t && a);
	if (!dns_parse_query(data, size, &q))
		check_name(q.name);
	if (!dns_parse_answer(data, size, a)) {
		check_answer(a);
		check_learn(t, a);
	}
	check_error(data, size);

	free(a);
	dns_names_free(t);
	return 0;
}

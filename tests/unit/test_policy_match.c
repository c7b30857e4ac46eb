/* test_policy_match.c - unit tests of matching and verdicts
 * (policy/rule_match.c): first match wins, the default, what each HOST
 * form matches in each scope, ports at their edges, hostnames and
 * wildcards, and a cross-check of the indexed policy_decide() against a
 * plain scan of policy_rule_matches() over random rules and queries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static struct policy p;
static char err[512];

static int setup(void **state)
{
	(void)state;
	policy_init(&p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(&p);
	return 0;
}

static void add(enum policy_action action, const char *text)
{
	if (policy_add_rule(&p, action, text, "--test", err, sizeof(err)))
		fail_msg("'%s' refused: %s", text, err);
}

static void allow(const char *text)
{
	add(POLICY_ALLOW, text);
}

static void deny(const char *text)
{
	add(POLICY_DENY, text);
}

/**
 * query() - a query to "ADDR" port @port, with up to 3 names
 */
static struct policy_query query(uint8_t proto, const char *addr,
				 uint16_t port, enum policy_scope scope,
				 const char *const *names, size_t n_names)
{
	struct policy_query q = {
		.protos = proto, .scope = scope, .names = names,
		.n_names = n_names,
	};

	assert_true(tg_endpoint_parse_addr(&q.dst, addr));
	q.dst.port = port;
	return q;
}

/* The rule number that decides, 0 for the default; checks the action. */
static unsigned int decide(const struct policy_query *q)
{
	struct policy_verdict v;

	policy_decide(&p, q, &v);
	if (!v.rule) {
		assert_int_equal(v.action, p.default_action);
		assert_null(v.name);
		return 0;
	}
	assert_int_equal(v.action, v.rule->action);
	return v.rule->number;
}

static unsigned int decide_ext(uint8_t proto, const char *addr, uint16_t port)
{
	struct policy_query q = query(proto, addr, port, POLICY_SCOPE_EXTERNAL,
				      NULL, 0);

	return decide(&q);
}

static unsigned int decide_scope(const char *addr, uint16_t port,
				 enum policy_scope scope)
{
	struct policy_query q = query(POLICY_PROTO_TCP, addr, port, scope,
				      NULL, 0);

	return decide(&q);
}

static void test_empty_policy(void **state)
{
	struct policy_query q = query(POLICY_PROTO_TCP, "1.2.3.4", 80,
				      POLICY_SCOPE_EXTERNAL, NULL, 0);
	struct policy_verdict v;

	(void)state;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.action, POLICY_DENY);
	assert_null(v.rule);
	assert_int_equal(policy_parse_default(&p, "allow", err, sizeof(err)), 0);
	policy_decide(&p, &q, &v);
	assert_int_equal(v.action, POLICY_ALLOW);
	assert_null(v.rule);
}

static void test_first_match_wins(void **state)
{
	(void)state;
	deny("tcp:10.0.0.1:22");
	allow("10.0.0.0/8");
	deny("*");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.0.0.1", 22), 1);
	assert_int_equal(decide_ext(POLICY_PROTO_UDP, "10.0.0.1", 22), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.0.0.1", 23), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.255.0.1", 22), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "11.0.0.1", 22), 3);
	/* A later, narrower rule never beats an earlier, wider one. */
	allow("11.0.0.1");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "11.0.0.1", 22), 3);
}

static void test_default_when_nothing_matches(void **state)
{
	(void)state;
	allow("tcp:192.0.2.0/24:443");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "192.0.2.7", 443), 1);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "192.0.3.7", 443), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_UDP, "192.0.2.7", 443), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "192.0.2.7", 442), 0);
}

static void test_scopes(void **state)
{
	(void)state;
	allow("loopback:8080");
	allow("host:5432");
	allow("127.0.0.1:80");
	deny("*:9");

	/* loopback: only scope LOOPBACK, whatever the address */
	assert_int_equal(decide_scope("127.0.0.1", 8080, POLICY_SCOPE_LOOPBACK), 1);
	assert_int_equal(decide_scope("10.12.0.2", 8080, POLICY_SCOPE_LOOPBACK), 1);
	assert_int_equal(decide_scope("::1", 8080, POLICY_SCOPE_LOOPBACK), 1);
	assert_int_equal(decide_scope("127.0.0.1", 8080, POLICY_SCOPE_HOST), 0);
	assert_int_equal(decide_scope("127.0.0.1", 8080, POLICY_SCOPE_EXTERNAL), 0);

	/* host: only scope HOST */
	assert_int_equal(decide_scope("10.12.0.1", 5432, POLICY_SCOPE_HOST), 2);
	assert_int_equal(decide_scope("fd12::1", 5432, POLICY_SCOPE_HOST), 2);
	assert_int_equal(decide_scope("10.12.0.1", 5432, POLICY_SCOPE_EXTERNAL), 0);
	assert_int_equal(decide_scope("10.12.0.1", 5432, POLICY_SCOPE_LOOPBACK), 0);

	/* an address rule: by address, in any scope */
	assert_int_equal(decide_scope("127.0.0.1", 80, POLICY_SCOPE_LOOPBACK), 3);
	assert_int_equal(decide_scope("127.0.0.1", 80, POLICY_SCOPE_EXTERNAL), 3);
	assert_int_equal(decide_scope("127.0.0.1", 80, POLICY_SCOPE_HOST), 3);
	assert_int_equal(decide_scope("127.0.0.2", 80, POLICY_SCOPE_LOOPBACK), 0);

	/* "*": every scope */
	assert_int_equal(decide_scope("1.2.3.4", 9, POLICY_SCOPE_EXTERNAL), 4);
	assert_int_equal(decide_scope("127.0.0.1", 9, POLICY_SCOPE_LOOPBACK), 4);
	assert_int_equal(decide_scope("10.12.0.1", 9, POLICY_SCOPE_HOST), 4);
	assert_int_equal(decide_scope("2001:db8::1", 9, POLICY_SCOPE_EXTERNAL), 4);
}

static void test_ports(void **state)
{
	(void)state;
	deny("1.1.1.1:0");
	deny("1.1.1.1:65535");
	allow("1.1.1.1:8000-9000");
	allow("udp:*:53");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 0), 1);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 1), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 65535), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 65534), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 7999), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 8000), 3);
	assert_int_equal(decide_ext(POLICY_PROTO_UDP, "1.1.1.1", 9000), 3);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.1.1.1", 9001), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_UDP, "8.8.8.8", 53), 4);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "8.8.8.8", 53), 0);
}

static void test_prefixes(void **state)
{
	(void)state;
	allow("10.1.2.3/32");
	deny("10.1.2.0/23");
	allow("[2001:db8::/32]:443");
	deny("[::/0]");
	allow("0.0.0.0/0:25");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.1.2.3", 25), 1);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.1.3.255", 25), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.1.4.0", 25), 5);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "10.1.1.255", 24), 0);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "2001:db8:ffff::1", 443), 3);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "2001:db9::1", 443), 4);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "::", 1), 4);
	/* Families never mix. */
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "::ffff:10.1.2.3", 1), 4);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "0.0.0.0", 1), 0);
}

static void test_names(void **state)
{
	const char *const one[] = { "api.example.com" };
	const char *const two[] = { "cdn.example.net", "a.b.example.com" };
	const char *const three[] = { "x.example.org", "Example.ORG.", NULL };
	struct policy_verdict v;
	struct policy_query q;

	(void)state;
	deny("tcp:example.org:443");
	allow("*.example.com");
	allow("example.org");
	deny("*.org:80");

	q = query(POLICY_PROTO_TCP, "192.0.2.1", 443, POLICY_SCOPE_EXTERNAL,
		  one, 1);
	policy_decide(&p, &q, &v);
	assert_non_null(v.rule);
	assert_int_equal(v.rule->number, 2);
	assert_ptr_equal(v.name, one[0]);

	q.names = two;
	q.n_names = 2;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 2);
	assert_ptr_equal(v.name, two[1]);

	/* The lowest rule wins, whichever name matched it. */
	q.names = three;
	q.n_names = 3;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 1);
	assert_ptr_equal(v.name, three[1]);
	q.dst.port = 80;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 3);
	assert_ptr_equal(v.name, three[1]);
	q.dst.port = 81;
	q.n_names = 1;
	policy_decide(&p, &q, &v);
	assert_null(v.rule);
	assert_null(v.name);
	q.dst.port = 80;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 4);
	assert_ptr_equal(v.name, three[0]);

	/* A domain is not below itself; no names, no name rule. */
	q.names = NULL;
	q.n_names = 0;
	policy_decide(&p, &q, &v);
	assert_null(v.rule);
}

static void test_name_and_address_rules(void **state)
{
	const char *const names[] = { "db.internal" };
	struct policy_verdict v;
	struct policy_query q = query(POLICY_PROTO_TCP, "10.0.0.5", 5432,
				      POLICY_SCOPE_EXTERNAL, names, 1);

	(void)state;
	deny("10.0.0.0/8");
	allow("db.internal");
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 1);
	assert_null(v.name);	/* an address rule decided */
}

static void test_name_matches(void **state)
{
	char longname[300];

	(void)state;
	assert_true(policy_name_matches("example.com", false, "example.com"));
	assert_true(policy_name_matches("example.com", false, "EXAMPLE.com."));
	assert_false(policy_name_matches("example.com", false, "a.example.com"));
	assert_false(policy_name_matches("example.com", false, "example.co"));
	assert_false(policy_name_matches("example.com", false, "example.com.."));
	assert_false(policy_name_matches("example.com", false, ""));
	assert_false(policy_name_matches("example.com", false, "."));

	assert_true(policy_name_matches("example.com", true, "a.example.com"));
	assert_true(policy_name_matches("example.com", true, "a.b.c.Example.Com."));
	assert_false(policy_name_matches("example.com", true, "example.com"));
	assert_false(policy_name_matches("example.com", true, "badexample.com"));
	assert_false(policy_name_matches("example.com", true, ".example.com"));
	assert_false(policy_name_matches("example.com", true, "a.example.com.."));
	assert_true(policy_name_matches("com", true, "example.com"));

	/* Longer than a name can be: matches nothing. */
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + 250, ".example.com");
	assert_false(policy_name_matches("example.com", true, longname));
}

static void test_rule_matches(void **state)
{
	const char *const names[] = { "x.example", "y.example" };
	struct policy_query q = query(POLICY_PROTO_UDP, "10.0.0.1", 53,
				      POLICY_SCOPE_EXTERNAL, names, 2);
	const char *name = "junk";

	(void)state;
	allow("udp:y.example:53");
	allow("tcp:*");
	assert_true(policy_rule_matches(&p.rules[0], &q, &name));
	assert_ptr_equal(name, names[1]);
	assert_false(policy_rule_matches(&p.rules[1], &q, &name));
	assert_null(name);
	assert_true(policy_rule_matches(&p.rules[0], &q, NULL));
}

/* --- Name matching semantics --------------------------------------------
 *
 * What a hostname rule matches, as docs/policy.md ("Names") says:
 *   - names are compared case-insensitively (ASCII): "GitHub.COM" in a
 *     rule matches the name "github.com" and "GITHUB.com";
 *   - one trailing dot is ignored, in the rule and in the name:
 *     "Example.COM." == "example.com"; two are an empty label;
 *   - "*.example.com" matches names below example.com at any depth
 *     (a.example.com, a.b.example.com), never example.com itself, nor
 *     names that merely end in it (badexample.com);
 *   - "*" alone is not a hostname wildcard: it is the HOST that matches
 *     every flow, with names or without, and a verdict it gives names no
 *     name;
 *   - IDNs are compared in their ASCII (punycode, xn--) form, which is
 *     what DNS carries; a rule in Unicode is refused by the parser
 *     (test_policy_parse.c), and a name in UTF-8 matches no rule;
 *   - a name with an empty label ("a..example.com", ".example.com") or
 *     longer than 253 characters is no hostname and matches nothing.
 * The indexed policy_decide() and the plain scan of policy_rule_matches()
 * must agree on all of it: name_rule() checks both.
 */

/**
 * name_rule() - the rule that decides a TCP flow to port 443 known by
 * @name alone, by the index and by a scan, which must agree
 * @name:	the flow's one name
 *
 * Return: the rule's number, 0 for the default
 */
static unsigned int name_rule(const char *name)
{
	const char *const names[] = { name };
	struct policy_query q = query(POLICY_PROTO_TCP, "192.0.2.1", 443,
				      POLICY_SCOPE_EXTERNAL, names, 1);
	struct policy_verdict v;
	unsigned int scan = 0;
	size_t i;

	for (i = 0; i < p.n_rules && !scan; i++) {
		if (policy_rule_matches(&p.rules[i], &q, NULL))
			scan = p.rules[i].number;
	}
	policy_decide(&p, &q, &v);
	if ((v.rule ? v.rule->number : 0) != scan)
		fail_msg("'%s': index says rule %u, scan says rule %u", name,
			 v.rule ? v.rule->number : 0, scan);
	if (v.rule && (v.rule->kind == POLICY_HOST_NAME ||
		       v.rule->kind == POLICY_HOST_WILDCARD))
		assert_ptr_equal(v.name, names[0]);
	else
		assert_null(v.name);
	return scan;
}

static void test_name_case(void **state)
{
	(void)state;
	allow("GitHub.COM");
	allow("*.PyPI.org");
	assert_int_equal(name_rule("github.com"), 1);
	assert_int_equal(name_rule("GITHUB.com"), 1);
	assert_int_equal(name_rule("gItHuB.CoM."), 1);
	assert_int_equal(name_rule("files.pypi.org"), 2);
	assert_int_equal(name_rule("FILES.PyPi.ORG."), 2);
	assert_int_equal(name_rule("github.co"), 0);
	assert_true(policy_name_matches("github.com", false, "GITHUB.COM"));
	assert_true(policy_name_may_be_allowed(&p, "Files.PYPI.org."));
}

static void test_name_trailing_dot(void **state)
{
	(void)state;
	allow("Example.COM.");
	allow("*.example.net.");
	assert_string_equal(p.rules[0].name, "example.com");
	assert_string_equal(p.rules[1].name, "example.net");
	assert_int_equal(name_rule("example.com"), 1);
	assert_int_equal(name_rule("example.com."), 1);
	assert_int_equal(name_rule("example.com.."), 0);
	assert_int_equal(name_rule("a.example.net"), 2);
	assert_int_equal(name_rule("a.example.net."), 2);
	assert_int_equal(name_rule("a.example.net.."), 0);
	assert_int_equal(name_rule("example.net."), 0);
	assert_int_equal(name_rule("."), 0);
	assert_int_equal(name_rule(""), 0);
}

static void test_wildcard_depth(void **state)
{
	(void)state;
	allow("*.example.com");
	deny("*.b.example.com");
	assert_int_equal(name_rule("a.example.com"), 1);
	assert_int_equal(name_rule("a.b.example.com"), 1);
	assert_int_equal(name_rule("x.y.z.a.b.example.com"), 1);
	assert_int_equal(name_rule("b.example.com"), 1);
	assert_int_equal(name_rule("example.com"), 0);
	assert_int_equal(name_rule("badexample.com"), 0);
	assert_int_equal(name_rule("example.com.evil"), 0);
	assert_int_equal(name_rule("a.example.co"), 0);
	assert_int_equal(name_rule("com"), 0);
	/* Empty labels: no hostname, no match */
	assert_int_equal(name_rule(".example.com"), 0);
	assert_int_equal(name_rule("..example.com"), 0);
	assert_int_equal(name_rule("a..example.com"), 0);
	assert_int_equal(name_rule("a.b..example.com"), 0);
	assert_false(policy_name_matches("example.com", true, "a..example.com"));
	assert_false(policy_name_matches("example.com", false, ".example.com"));

	/* The later, narrower rule only decides where the first does not */
	policy_free(&p);
	deny("*.b.example.com");
	allow("*.example.com");
	assert_int_equal(name_rule("a.b.example.com"), 1);
	assert_int_equal(name_rule("b.example.com"), 2);
	assert_true(policy_name_may_be_allowed(&p, "a.b.example.com"));
	assert_false(policy_name_may_be_allowed(&p, "example.com"));
}

static void test_wildcard_long_names(void **state)
{
	char name[300];

	(void)state;
	allow("*.example.com");
	/* 253 characters in all match; 254 do not */
	memset(name, 'a', sizeof(name));
	name[61] = '.';
	name[123] = '.';
	name[185] = '.';
	strcpy(name + 241, ".example.com");
	assert_int_equal(strlen(name), 253);
	assert_int_equal(name_rule(name), 1);
	strcat(name, ".");
	assert_int_equal(name_rule(name), 1);
	memmove(name + 1, name, strlen(name) + 1);
	assert_int_equal(name_rule(name), 0);
}

static void test_star_is_not_a_name_wildcard(void **state)
{
	const char *const names[] = { "a.example.com" };
	struct policy_query q = query(POLICY_PROTO_TCP, "192.0.2.1", 443,
				      POLICY_SCOPE_EXTERNAL, NULL, 0);
	struct policy_verdict v;

	(void)state;
	deny("*.example.com:80");
	allow("*:443");
	assert_int_equal(p.rules[1].kind, POLICY_HOST_ANY);

	/* Every flow, whether a name is known or not */
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 2);
	assert_null(v.name);
	q.names = names;
	q.n_names = 1;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 2);
	assert_null(v.name);
	assert_int_equal(name_rule("example.com"), 2);
	assert_int_equal(name_rule("a.b.example.com"), 2);
	assert_int_equal(name_rule(""), 2);

	/* Port 80: the name rule comes first; without a name, nothing */
	q.dst.port = 80;
	policy_decide(&p, &q, &v);
	assert_int_equal(v.rule->number, 1);
	assert_ptr_equal(v.name, names[0]);
	q.n_names = 0;
	policy_decide(&p, &q, &v);
	assert_null(v.rule);

	/* "*" is no name: every query name may be allowed */
	assert_true(policy_name_may_be_allowed(&p, "anything.test"));
}

static void test_idn_punycode(void **state)
{
	(void)state;
	allow("xn--bcher-kva.example");
	allow("*.xn--bcher-kva.example");
	deny("*.example");

	/* The name itself: the exact rule, not the wildcard */
	assert_int_equal(name_rule("xn--bcher-kva.example"), 1);
	assert_int_equal(name_rule("XN--BCHER-KVA.Example."), 1);
	assert_false(policy_name_matches("xn--bcher-kva.example", true,
					 "xn--bcher-kva.example"));
	/* Below it, any depth: the wildcard */
	assert_int_equal(name_rule("www.xn--bcher-kva.example"), 2);
	assert_int_equal(name_rule("a.xn--5ca.xn--bcher-kva.example"), 2);
	/* Another IDN under the same domain */
	assert_int_equal(name_rule("xn--caf-dma.example"), 3);
	/* The same name in UTF-8 is not its punycode form */
	assert_int_equal(name_rule("b\xc3\xbc" "cher.example"), 3);
	assert_int_equal(name_rule("www.b\xc3\xbc" "cher.example"), 3);
	assert_false(policy_name_matches("xn--bcher-kva.example", false,
					 "b\xc3\xbc" "cher.example"));

	assert_true(policy_name_may_be_allowed(&p, "xn--bcher-kva.example"));
	assert_true(policy_name_may_be_allowed(&p, "cdn.xn--bcher-kva.example"));
	assert_false(policy_name_may_be_allowed(&p, "xn--caf-dma.example"));

	/* A rule in Unicode is refused, with the rule quoted */
	assert_int_equal(policy_add_rule(&p, POLICY_ALLOW, "b\xc3\xbc" "cher"
					 ".example", "--allow", err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "--allow: 'b\\xc3\\xbccher.example': "));
	assert_non_null(strstr(err, "punycode"));
	assert_int_equal(p.n_rules, 3);
}

static void test_rules_added_after_decisions(void **state)
{
	(void)state;
	allow("1.2.3.4");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.2.3.4", 1), 1);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "5.6.7.8", 1), 0);
	deny("5.6.7.8");
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "5.6.7.8", 1), 2);
	assert_int_equal(decide_ext(POLICY_PROTO_TCP, "1.2.3.4", 1), 1);
}

/* --- Cross-check against a plain scan ----------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const uint16_t port_pool[] = { 0, 1, 22, 53, 80, 443, 8080, 65534, 65535 };

static const char *const name_pool[] = {
	"example.com", "a.example.com", "b.a.example.com", "example.org",
	"x.example.org", "com", "org", "a.b", "b", "A.Example.COM.",
	"example.com.", ".example.com", "a..example.com", "",
};

static const char *const rule_names[] = {
	"example.com", "a.example.com", "*.example.com", "*.a.example.com",
	"example.org", "*.org", "*.com", "a.b", "*.b", "b", "*.example.org",
};

/* A random address in a small space, so that rules and queries meet. */
static void random_addr(struct tg_endpoint *a)
{
	memset(a, 0, sizeof(*a));
	if (rnd(2)) {
		a->family = AF_INET;
		a->addr[0] = 10;
		a->addr[1] = (uint8_t)rnd(3);
		a->addr[2] = (uint8_t)rnd(3);
		a->addr[3] = (uint8_t)(rnd(2) ? rnd(4) : 128 + rnd(4));
	} else {
		a->family = AF_INET6;
		a->addr[0] = 0xfd;
		a->addr[7] = (uint8_t)rnd(3);
		a->addr[15] = (uint8_t)rnd(4);
	}
}

static void random_ports(char *buf, size_t len)
{
	uint16_t a = port_pool[rnd(ARRAY_SIZE(port_pool))];
	uint16_t b = port_pool[rnd(ARRAY_SIZE(port_pool))];

	switch (rnd(4)) {
	case 0:
		buf[0] = '\0';
		break;
	case 1:
		snprintf(buf, len, ":*");
		break;
	case 2:
		snprintf(buf, len, ":%u", (unsigned int)a);
		break;
	default:
		snprintf(buf, len, ":%u-%u", (unsigned int)MIN(a, b),
			 (unsigned int)MAX(a, b));
		break;
	}
}

static void random_prefix(char *buf, size_t len)
{
	static const unsigned int lens4[] = { 0, 8, 16, 23, 24, 30, 31, 32 };
	static const unsigned int lens6[] = { 0, 8, 56, 64, 120, 127, 128 };
	char text[INET6_ADDRSTRLEN];
	struct tg_endpoint a;
	unsigned int plen;
	size_t i;

	random_addr(&a);
	plen = a.family == AF_INET ? lens4[rnd(ARRAY_SIZE(lens4))] :
				     lens6[rnd(ARRAY_SIZE(lens6))];
	for (i = 0; i < tg_endpoint_addr_len(&a); i++) {
		unsigned int keep = plen > 8 * i ? plen - 8 * (unsigned int)i : 0;

		if (keep < 8)
			a.addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	tg_addr_format(&a, text, sizeof(text));
	if (a.family == AF_INET)
		snprintf(buf, len, "%s/%u", text, plen);
	else
		snprintf(buf, len, "[%s/%u]", text, plen);
}

static void random_rule(char *buf, size_t len)
{
	static const char *const protos[] = { "", "tcp:", "udp:" };
	char host[64], ports[32];

	switch (rnd(8)) {
	case 0:
		snprintf(host, sizeof(host), "*");
		break;
	case 1:
		snprintf(host, sizeof(host), rnd(2) ? "loopback" : "host");
		break;
	case 2:
	case 3:
	case 4:
		random_prefix(host, sizeof(host));
		break;
	default:
		snprintf(host, sizeof(host), "%s",
			 rule_names[rnd(ARRAY_SIZE(rule_names))]);
		break;
	}
	random_ports(ports, sizeof(ports));
	snprintf(buf, len, "%s%s%s", protos[rnd(3)], host, ports);
}

static void random_query(struct policy_query *q, const char **names)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->protos = rnd(8) ? (rnd(2) ? POLICY_PROTO_TCP : POLICY_PROTO_UDP) :
			     POLICY_PROTO_ANY;
	random_addr(&q->dst);
	q->dst.port = rnd(4) ? port_pool[rnd(ARRAY_SIZE(port_pool))] :
			       (uint16_t)rnd(65536);
	q->scope = (enum policy_scope)rnd(3);
	q->n_names = rnd(4);
	for (i = 0; i < q->n_names; i++)
		names[i] = rnd(10) ? name_pool[rnd(ARRAY_SIZE(name_pool))] : NULL;
	q->names = names;
}

/* The reference: every rule in order. */
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

static void test_cross_check(void **state)
{
	unsigned int round, i, n, matched = 0, total = 0;
	const char *names[4];
	char text[128];

	(void)state;
	for (round = 0; round < 300; round++) {
		policy_free(&p);
		if (rnd(2))
			assert_int_equal(policy_parse_default(&p, "allow", err,
							      sizeof(err)), 0);
		n = 1 + rnd(round < 150 ? 20 : 400);
		for (i = 0; i < n; i++) {
			random_rule(text, sizeof(text));
			add(rnd(2) ? POLICY_ALLOW : POLICY_DENY, text);
		}
		for (i = 0; i < 400; i++) {
			struct policy_verdict a, b;
			struct policy_query q;

			random_query(&q, names);
			policy_decide(&p, &q, &a);
			decide_naive(&q, &b);
			total++;
			matched += !!b.rule;
			if (a.rule != b.rule || a.action != b.action ||
			    a.name != b.name)
				fail_msg("round %u query %u: index says rule %u "
					 "name %s, scan says rule %u name %s",
					 round, i, a.rule ? a.rule->number : 0,
					 a.name ? a.name : "-",
					 b.rule ? b.rule->number : 0,
					 b.name ? b.name : "-");
			/* Add a rule now and then: the index must follow. */
			if (i == 200) {
				random_rule(text, sizeof(text));
				add(POLICY_DENY, text);
			}
		}
	}
	/* The random space must make both outcomes common. */
	assert_true(matched > total / 10);
	assert_true(matched < total - total / 10);
}

static void test_name_may_be_allowed(void **state)
{
	struct policy pol;
	char msg[256];

	(void)state;
	policy_init(&pol);
	assert_false(policy_name_may_be_allowed(&pol, "example.org"));
	assert_int_equal(policy_add_rule(&pol, POLICY_ALLOW, "tcp:example.org:443",
					 "--allow", msg, sizeof(msg)), 0);
	assert_int_equal(policy_add_rule(&pol, POLICY_ALLOW, "*.pypi.org",
					 "--allow", msg, sizeof(msg)), 0);
	assert_int_equal(policy_add_rule(&pol, POLICY_DENY, "*",
					 "--deny", msg, sizeof(msg)), 0);
	assert_true(policy_name_may_be_allowed(&pol, "example.org"));
	assert_true(policy_name_may_be_allowed(&pol, "files.pypi.org"));
	assert_false(policy_name_may_be_allowed(&pol, "pypi.org"));
	assert_false(policy_name_may_be_allowed(&pol, "evil.test"));
	/* Reaching the resolver does not make every name possible. */
	assert_int_equal(policy_add_rule(&pol, POLICY_ALLOW, "udp:198.51.100.2:53",
					 "--allow", msg, sizeof(msg)), 0);
	assert_int_equal(policy_add_rule(&pol, POLICY_ALLOW, "host:53",
					 "--allow", msg, sizeof(msg)), 0);
	assert_false(policy_name_may_be_allowed(&pol, "evil.test"));
	/* An address rule: any answer might fall under it. */
	assert_int_equal(policy_add_rule(&pol, POLICY_ALLOW, "198.51.100.0/24",
					 "--allow", msg, sizeof(msg)), 0);
	assert_true(policy_name_may_be_allowed(&pol, "evil.test"));
	policy_free(&pol);

	policy_init(&pol);
	assert_int_equal(policy_parse_default(&pol, "allow", msg, sizeof(msg)), 0);
	assert_true(policy_name_may_be_allowed(&pol, "anything.test"));
	policy_free(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_may_be_allowed),
		cmocka_unit_test_setup_teardown(test_empty_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_match_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_default_when_nothing_matches,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_and_address_rules,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_matches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rule_matches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_name_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_trailing_dot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_depth, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_long_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_star_is_not_a_name_wildcard,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_idn_punycode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rules_added_after_decisions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_rule_parse.c - libFuzzer harness for policy/rule_parse.c and
 * rule_match.c: arbitrary text as one --allow RULE, and as a policy file.
 *
 * For a rule that parses, the harness checks what the parser promises:
 * sane fields, host bits clear, a lower-case valid name; that the rule,
 * written back in canonical form, parses to the same rule; and that a
 * query made to fit the rule is matched by it. For a refused one, that
 * the message is one line naming the origin. For a policy file, that a
 * failure keeps nothing, and that the indexed policy_decide() agrees with
 * a plain scan on queries made from each rule. Any broken invariant
 * abort()s, which libFuzzer reports.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *	tests/fuzz/fuzz_rule_parse.c policy/rule_parse.c \
 *	policy/rule_match.c policy/keymap.c util/util.c \
 *	-o build/fuzz_rule_parse
 *   build/fuzz_rule_parse -max_total_time=60
 *
 * (All of policy/ with -ljson-c links as well.)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/* Rules of a file checked against the plain scan */
#define FUZZ_RULES_CHECKED	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * check_message() - a refusal is one line that starts with @origin
 * @err:	the message
 * @origin:	what it must start with
 */
static void check_message(const char *err, const char *origin)
{
	fuzz_assert(*err);
	fuzz_assert(!strncmp(err, origin, strlen(origin)));
	fuzz_assert(!strchr(err, '\n'));
}

/**
 * rule_format() - a rule in canonical form: "[tcp:|udp:]HOST:MIN-MAX"
 * @r:		rule
 * @buf:	output
 * @len:	its size
 */
static void rule_format(const struct policy_rule *r, char *buf, size_t len)
{
	const char *proto = r->protos == POLICY_PROTO_TCP ? "tcp:" :
			    r->protos == POLICY_PROTO_UDP ? "udp:" : "";
	char host[300], addr[INET6_ADDRSTRLEN];

	switch (r->kind) {
	case POLICY_HOST_ANY:
		snprintf(host, sizeof(host), "*");
		break;
	case POLICY_HOST_LOOPBACK:
		snprintf(host, sizeof(host), "loopback");
		break;
	case POLICY_HOST_GATEWAY:
		snprintf(host, sizeof(host), "host");
		break;
	case POLICY_HOST_PREFIX:
		tg_addr_format(&r->addr, addr, sizeof(addr));
		snprintf(host, sizeof(host), r->addr.family == AF_INET6 ?
			 "[%s/%u]" : "%s/%u", addr, r->prefix_len);
		break;
	case POLICY_HOST_NAME:
		/* A name that is a keyword, or reads as a protocol before
		 * ':', keeps its trailing dot. */
		snprintf(host, sizeof(host), "%s%s", r->name,
			 !strcmp(r->name, "host") ||
			 !strcmp(r->name, "loopback") ||
			 !strcmp(r->name, "tcp") ||
			 !strcmp(r->name, "udp") ? "." : "");
		break;
	case POLICY_HOST_WILDCARD:
		snprintf(host, sizeof(host), "*.%s", r->name);
		break;
	}
	snprintf(buf, len, "%s%s:%u-%u", proto, host, r->port_min, r->port_max);
}

/**
 * check_fields() - what every parsed rule must look like
 * @r:		rule
 */
static void check_fields(const struct policy_rule *r)
{
	size_t i, n;

	fuzz_assert(r->protos && !(r->protos & ~POLICY_PROTO_ANY));
	fuzz_assert(r->port_min <= r->port_max);
	fuzz_assert(r->text && r->origin);
	if (r->kind == POLICY_HOST_PREFIX) {
		struct tg_endpoint m = r->addr;

		fuzz_assert(r->addr.family == AF_INET ||
			    r->addr.family == AF_INET6);
		n = tg_endpoint_addr_len(&r->addr);
		fuzz_assert(r->prefix_len <= 8 * n);
		for (i = 0; i < n; i++) {
			unsigned int keep = r->prefix_len > 8 * i ?
					    r->prefix_len - 8 * (unsigned int)i : 0;

			if (keep < 8)
				m.addr[i] &= (uint8_t)(0xff00 >> keep);
		}
		fuzz_assert(!memcmp(m.addr, r->addr.addr, n));
	}
	if (r->kind == POLICY_HOST_NAME || r->kind == POLICY_HOST_WILDCARD) {
		fuzz_assert(r->name);
		n = strlen(r->name);
		fuzz_assert(n >= 1 && n <= 253);
		fuzz_assert(strspn(r->name, "abcdefghijklmnopqrstuvwxyz"
				   "0123456789-.") == n);
		fuzz_assert(r->name[0] != '.' && r->name[n - 1] != '.');
		fuzz_assert(!strstr(r->name, ".."));
		fuzz_assert(policy_name_matches(r->name, false, r->name));
	} else {
		fuzz_assert(!r->name);
	}
}

/**
 * fitting_query() - a query that @r must match
 * @r:		rule
 * @q:		output
 * @names:	room for one name
 * @buf:	room for it, 300 bytes
 * @upper:	whether to use the highest port (else the lowest)
 */
static void fitting_query(const struct policy_rule *r, struct policy_query *q,
			  const char **names, char *buf, bool upper)
{
	memset(q, 0, sizeof(*q));
	q->protos = r->protos & POLICY_PROTO_TCP ? POLICY_PROTO_TCP :
		    POLICY_PROTO_UDP;
	q->dst.family = AF_INET;
	if (r->kind == POLICY_HOST_PREFIX) {
		q->dst = r->addr;
		/* The last address of the prefix. */
		if (upper && r->prefix_len < 8 * tg_endpoint_addr_len(&r->addr))
			q->dst.addr[tg_endpoint_addr_len(&r->addr) - 1] |= 1;
	}
	q->dst.port = upper ? r->port_max : r->port_min;
	q->scope = r->kind == POLICY_HOST_LOOPBACK ? POLICY_SCOPE_LOOPBACK :
		   r->kind == POLICY_HOST_GATEWAY ? POLICY_SCOPE_HOST :
		   POLICY_SCOPE_EXTERNAL;
	if (r->kind == POLICY_HOST_NAME || r->kind == POLICY_HOST_WILDCARD) {
		snprintf(buf, 300, "%s%s%s",
			 r->kind == POLICY_HOST_WILDCARD ? "x." : "", r->name,
			 upper ? "." : "");
		if (upper)
			buf[0] = (char)(buf[0] >= 'a' && buf[0] <= 'z' ?
					buf[0] - 'a' + 'A' : buf[0]);
		names[0] = buf;
		q->names = names;
		q->n_names = 1;
	}
}

/**
 * check_rule() - a rule that parsed: fields, round trip, a fitting query
 * @r:		rule
 */
static void check_rule(const struct policy_rule *r)
{
	char canon[400], err[512], buf[300];
	struct policy_query q;
	const char *names[1];
	const char *name;
	struct policy p2;
	int upper;

	check_fields(r);
	rule_format(r, canon, sizeof(canon));
	policy_init(&p2);
	if (policy_add_rule(&p2, r->action, canon, "canon", err, sizeof(err))) {
		fprintf(stderr, "canonical '%s' refused: %s\n", canon, err);
		abort();
	}
	fuzz_assert(p2.rules[0].kind == r->kind);
	fuzz_assert(p2.rules[0].protos == r->protos);
	fuzz_assert(p2.rules[0].port_min == r->port_min);
	fuzz_assert(p2.rules[0].port_max == r->port_max);
	fuzz_assert(p2.rules[0].prefix_len == r->prefix_len);
	fuzz_assert(!memcmp(&p2.rules[0].addr, &r->addr, sizeof(r->addr)));
	fuzz_assert(!r->name == !p2.rules[0].name);
	fuzz_assert(!r->name || !strcmp(r->name, p2.rules[0].name));
	policy_free(&p2);

	for (upper = 0; upper < 2; upper++) {
		fitting_query(r, &q, names, buf, upper);
		fuzz_assert(policy_rule_matches(r, &q, &name));
		fuzz_assert(name == (q.n_names ? q.names[0] : NULL));
	}
}

/**
 * check_index() - policy_decide() agrees with a scan, on fitting queries
 * @p:		policy
 */
static void check_index(const struct policy *p)
{
	size_t i, j, k, n = p->n_rules < FUZZ_RULES_CHECKED ?
			       p->n_rules : FUZZ_RULES_CHECKED;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++) {
			struct policy_verdict v, w = { p->default_action, NULL, NULL };
			struct policy_query q;
			const char *names[1];
			char buf[300];

			fitting_query(&p->rules[i], &q, names, buf, k);
			policy_decide(p, &q, &v);
			for (j = 0; j < p->n_rules; j++) {
				if (policy_rule_matches(&p->rules[j], &q, &w.name)) {
					w.rule = &p->rules[j];
					w.action = w.rule->action;
					break;
				}
			}
			fuzz_assert(v.rule == w.rule && v.action == w.action);
			fuzz_assert(v.name == w.name);
			fuzz_assert(v.rule && v.rule->number <= i + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];
	struct policy p;
	size_t before;
	FILE *f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	policy_init(&p);

	/* One rule: the text up to its first NUL. */
	if (!policy_add_rule(&p, POLICY_ALLOW, text, "--allow", err,
			     sizeof(err))) {
		fuzz_assert(p.n_rules == 1 && p.rules[0].number == 1);
		fuzz_assert(!strncmp(p.rules[0].text, "allow ", 6));
		fuzz_assert(!strcmp(p.rules[0].text + 6, text));
		check_rule(&p.rules[0]);
	} else {
		fuzz_assert(p.n_rules == 0);
		check_message(err, "--allow: '");
	}

	/* The whole input as a policy file, after that rule. */
	before = p.n_rules;
	f = size ? fmemopen(text, size, "r") : NULL;
	if (f) {
		enum policy_action def = p.default_action;

		if (policy_load_stream(&p, f, "fuzz.txt", err, sizeof(err))) {
			fuzz_assert(p.n_rules == before);
			fuzz_assert(p.default_action == def);
			check_message(err, "fuzz.txt");
		} else {
			size_t i;

			for (i = before; i < p.n_rules; i++) {
				fuzz_assert(p.rules[i].number == i + 1);
				check_fields(&p.rules[i]);
			}
			check_index(&p);
		}
		fclose(f);
	}
	policy_free(&p);
	free(text);
	return 0;
}

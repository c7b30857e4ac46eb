/* flow_report.c - the verdict and end-of-flow callbacks tungate-run gives
 * the stack: each new flow is looked up in the policy once, at admission;
 * each ended (or refused) flow becomes a struct flow_record for the JSON
 * log, the summary and, when denied, a line on stderr.
 *
 * The rule that decided a flow travels with it as the flow's tag, so the
 * record written when it ends names that rule.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/flow_report.h"
#include "util/util.h"

static enum policy_scope scope_for_policy(enum tg_scope scope)
{
	switch (scope) {
	case TG_SCOPE_LOOPBACK:
		return POLICY_SCOPE_LOOPBACK;
	case TG_SCOPE_HOST:
		return POLICY_SCOPE_HOST;
	default:
		return POLICY_SCOPE_EXTERNAL;
	}
}

/**
 * rule_action() - what the rule in a flow's tag (or the default) says
 */
static enum policy_action rule_action(const struct flow_report *r,
				      const struct policy_rule *rule)
{
	return rule ? rule->action : r->policy->default_action;
}

#define NAMES_PER_QUERY	8

/**
 * names_for() - names learned for @addr, for the policy and the log
 *
 * Return: how many (pointers into the table, valid until the next answer)
 */
static size_t names_for(const struct flow_report *r,
			const struct tg_endpoint *addr, const char **names)
{
	if (!r->names)
		return 0;
	return dns_names_lookup(r->names, addr, now_ms(), names,
				NAMES_PER_QUERY);
}

/**
 * host_for() - the name a flow's record carries: the one a hostname rule
 * matched, else the most recently learned one, else NULL
 */
static const char *host_for(const struct flow_report *r,
			    const struct tg_flow_info *fi,
			    const struct policy_rule *rule)
{
	const char *names[NAMES_PER_QUERY];
	size_t i, n = names_for(r, &fi->dst, names);

	if (!n)
		return NULL;
	if (rule && (rule->kind == POLICY_HOST_NAME ||
		     rule->kind == POLICY_HOST_WILDCARD)) {
		for (i = 0; i < n; i++) {
			if (policy_name_matches(rule->name,
						rule->kind == POLICY_HOST_WILDCARD,
						names[i]))
				return names[i];
		}
	}
	return names[0];
}

/**
 * flow_record_from() - the record of a flow as the stack reports it
 */
static void flow_record_from(const struct flow_report *r,
			     const struct tg_flow_info *fi,
			     struct flow_record *rec)
{
	const struct policy_rule *rule = fi->tag;

	memset(rec, 0, sizeof(*rec));
	rec->ts_ms = fi->start_ms;
	rec->proto = fi->proto == IPPROTO_TCP ? "tcp" : "udp";
	rec->src = fi->src;
	rec->dst = fi->dst;
	rec->host = host_for(r, fi, rule);
	rec->host_source = rec->host ? "dns" : NULL;
	rec->scope = scope_for_policy(fi->scope);
	if (fi->end == TG_END_DENIED)
		rec->verdict = FLOW_VERDICT_DENY;
	else if (rule_action(r, rule) == POLICY_DENY)
		rec->verdict = FLOW_VERDICT_WOULD_DENY;
	else
		rec->verdict = FLOW_VERDICT_ALLOW;
	rec->rule = rule ? rule->text : NULL;
	rec->bytes_out = fi->bytes_out;
	rec->bytes_in = fi->bytes_in;
	rec->duration_ms = fi->duration_ms;
	rec->end = tg_flow_end_name(fi->end);
}

/**
 * first_denial() - is this the first denial of this destination?
 *
 * Records it if so. Retried connections and repeated datagrams to a denied
 * destination are logged each time, but reported on stderr once.
 */
static bool first_denial_of(struct flow_report *r, uint64_t h)
{
	size_t i, n = ARRAY_SIZE(r->shown);

	h |= 1;		/* 0 marks a free slot */

	for (i = 0; i < n; i++) {
		uint64_t *slot = &r->shown[(h + i) % n];

		if (*slot == h)
			return false;
		if (!*slot) {
			*slot = h;
			return true;
		}
	}
	return true;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static bool first_denial(struct flow_report *r, const struct tg_flow_info *fi)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, fi->dst.addr,
			   sizeof(fi->dst.addr));

	h = fnv1a(h, &fi->dst.port, sizeof(fi->dst.port));
	return first_denial_of(r, fnv1a(h, &fi->proto, sizeof(fi->proto)));
}

int flow_report_init(struct flow_report *r, const struct options *o,
		     char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->policy = &o->policy;
	r->audit = o->audit;
	deny_reporter_init(&r->deny, o->verbosity < 0 ? NULL : stderr, 0, 0);
	if (o->log_path) {
		r->log = flow_log_open(o->log_path, err, errlen);
		if (!r->log)
			return -1;
	}
	r->names = dns_names_new(16384, DNS_TTL_FLOOR_S);
	if (!r->names) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o->summary) {
		r->summary = flow_summary_new();
		if (!r->summary) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

bool flow_report_verdict(void *ctx, struct tg_flow_info *fi)
{
	struct flow_report *r = ctx;
	struct policy_query q = {
		.protos = fi->proto == IPPROTO_TCP ? POLICY_PROTO_TCP
						   : POLICY_PROTO_UDP,
		.dst = fi->dst,
		.scope = scope_for_policy(fi->scope),
	};
	const char *names[NAMES_PER_QUERY];
	struct policy_verdict v;

	q.names = names;
	q.n_names = names_for(r, &fi->dst, names);
	policy_decide(r->policy, &q, &v);
	fi->tag = (void *)v.rule;
	if (v.action == POLICY_ALLOW)
		return true;
	if (!r->audit)
		return false;	/* reported by flow_report_end() at once */

	/* --audit: let it through, say so now; logged when it ends. */
	{
		struct flow_record rec;

		fi->end = TG_END_CLOSED;
		flow_record_from(r, fi, &rec);
		if (first_denial(r, fi))
			deny_report(&r->deny, &rec, v.rule, now_ms());
		r->denied++;
	}
	return true;
}

void flow_report_end(void *ctx, const struct tg_flow_info *fi)
{
	struct flow_report *r = ctx;
	struct flow_record rec;
	int err;

	flow_record_from(r, fi, &rec);
	if (rec.verdict == FLOW_VERDICT_DENY) {
		if (first_denial(r, fi))
			deny_report(&r->deny, &rec, fi->tag, now_ms());
		r->denied++;
	}
	if (r->log && (err = flow_log_write(r->log, &rec)))
		warn("writing the flow log: %s", strerror(-err));
	if (r->summary)
		flow_summary_add(r->summary, &rec);

	if (tg_verbosity >= 1) {
		char src[TG_ENDPOINT_STRLEN], dst[TG_ENDPOINT_STRLEN];

		debug("%s %s -> %s (%s) %s: out %llu B, in %llu B, %llu ms",
		      rec.proto, tg_endpoint_format(&fi->src, src, sizeof(src)),
		      tg_endpoint_format(&fi->dst, dst, sizeof(dst)),
		      tg_scope_name(fi->scope), rec.end,
		      (unsigned long long)fi->bytes_out,
		      (unsigned long long)fi->bytes_in,
		      (unsigned long long)fi->duration_ms);
	}
}

void flow_report_datagram(void *ctx, const struct tg_flow_info *fi,
			  const uint8_t *data, size_t len)
{
	struct flow_report *r = ctx;
	struct dns_answer *a;

	if (fi->proto != IPPROTO_UDP || fi->upstream.port != 53 || !r->names)
		return;
	a = malloc(sizeof(*a));		/* ~20 KiB: not on the stack */
	if (!a)
		return;
	if (!dns_parse_answer(data, len, a))
		dns_names_learn(r->names, a, now_ms());
	free(a);
}

bool flow_report_datagram_out(void *ctx, const struct tg_flow_info *fi,
			      const uint8_t *data, size_t len,
			      uint8_t *reply, size_t *reply_len)
{
	struct flow_report *r = ctx;
	struct flow_record rec;
	struct dns_query q;
	size_t cap = *reply_len;
	int err;

	*reply_len = 0;
	if (fi->proto != IPPROTO_UDP || fi->upstream.port != 53 ||
	    dns_parse_query(data, len, &q) ||
	    policy_name_may_be_allowed(r->policy, q.name))
		return true;

	/* A name no rule could let through: nothing about it leaves. */
	memset(&rec, 0, sizeof(rec));
	rec.ts_ms = wall_ms();
	rec.proto = "udp";
	rec.src = fi->src;
	rec.dst = fi->dst;
	rec.host = q.name;
	rec.host_source = "dns";
	rec.scope = scope_for_policy(fi->scope);
	rec.verdict = r->audit ? FLOW_VERDICT_WOULD_DENY : FLOW_VERDICT_DENY;
	rec.end = r->audit ? "closed" : "denied";
	r->denied++;
	if (first_denial_of(r, fnv1a(0x84222325cbf29ce4ULL, q.name, strlen(q.name))))
		deny_report(&r->deny, &rec, NULL, now_ms());
	if (r->log && (err = flow_log_write(r->log, &rec)))
		warn("writing the flow log: %s", strerror(-err));
	if (r->summary)
		flow_summary_add(r->summary, &rec);
	if (r->audit)
		return true;
	*reply_len = dns_build_error(data, len, 3, reply, cap);
	return false;
}

void flow_report_finish(struct flow_report *r, FILE *out)
{
	deny_report_flush(&r->deny);
	if (r->summary) {
		flow_summary_print(r->summary, out);
		flow_summary_free(r->summary);
		r->summary = NULL;
	}
	if (r->log) {
		flow_log_close(r->log);
		r->log = NULL;
	}
	dns_names_free(r->names);
	r->names = NULL;
}

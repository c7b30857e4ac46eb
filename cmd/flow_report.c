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
#include "peek/peek.h"
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

#define NAMES_PER_QUERY	8

/**
 * struct flow_note - what tungate-run keeps about one flow (its tag)
 * @rule:	the rule that decided it, or NULL for the default
 * @rule_text:	what the log says instead of a rule ("resolver"), or NULL
 * @action:	what the policy said (allow under --audit too)
 * @host:	the name the verdict used ("" none)
 * @host_source: where it came from ("dns", "fake", "sni", "http")
 * @dns_host:	a DNS name of the address when the program's first bytes
 *		named another ("" none)
 */
struct flow_note {
	const struct policy_rule *rule;
	const char *rule_text;
	enum policy_action action;
	char host[DNS_NAME_MAX];
	const char *host_source;
	char dns_host[DNS_NAME_MAX];
};

static void note_host(struct flow_note *note, const char *name,
		      const char *source)
{
	snprintf(note->host, sizeof(note->host), "%s", name ? name : "");
	note->host_source = name ? source : NULL;
}

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
 * flow_record_from() - the record of a flow as the stack reports it
 */
static void flow_record_from(const struct tg_flow_info *fi,
			     struct flow_record *rec)
{
	const struct flow_note *note = fi->tag;

	memset(rec, 0, sizeof(*rec));
	rec->ts_ms = fi->start_ms;
	rec->proto = fi->proto == IPPROTO_TCP ? "tcp" : "udp";
	rec->src = fi->src;
	rec->dst = fi->dst;
	rec->scope = scope_for_policy(fi->scope);
	rec->bytes_out = fi->bytes_out;
	rec->bytes_in = fi->bytes_in;
	rec->duration_ms = fi->duration_ms;
	rec->end = tg_flow_end_name(fi->end);
	if (!note) {		/* out of memory at admission: denied */
		rec->verdict = FLOW_VERDICT_DENY;
		return;
	}
	if (note->host[0]) {
		rec->host = note->host;
		rec->host_source = note->host_source;
	}
	if (note->dns_host[0])
		rec->dns_host = note->dns_host;
	if (fi->end == TG_END_DENIED)
		rec->verdict = FLOW_VERDICT_DENY;
	else if (note->action == POLICY_DENY)
		rec->verdict = FLOW_VERDICT_WOULD_DENY;
	else
		rec->verdict = FLOW_VERDICT_ALLOW;
	rec->rule = note->rule ? note->rule->text : note->rule_text;
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
	if (o->dns == OPTIONS_DNS_FAKE)
		r->fake = dns_fake_new(DNS_FAKE_MAX);
	if (o->summary)
		r->summary = flow_summary_new();
	if (!r->names || (o->dns == OPTIONS_DNS_FAKE && !r->fake) ||
	    (o->summary && !r->summary)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/**
 * report_now() - a flow the policy denies but --audit lets through: say so
 * at once (it is logged when it ends)
 */
static void report_would_deny(struct flow_report *r, struct tg_flow_info *fi)
{
	struct flow_record rec;

	fi->end = TG_END_CLOSED;
	flow_record_from(fi, &rec);
	if (first_denial(r, fi))
		deny_report(&r->deny, &rec, ((struct flow_note *)fi->tag)->rule,
			    now_ms());
	r->denied++;
}

/**
 * conclude() - the verdict for the stack, given what the policy said
 */
static enum tg_verdict conclude(struct flow_report *r, struct tg_flow_info *fi)
{
	const struct flow_note *note = fi->tag;

	if (note->action == POLICY_ALLOW)
		return TG_VERDICT_ALLOW;
	if (!r->audit)
		return TG_VERDICT_DENY;	/* reported by flow_report_end() */
	report_would_deny(r, fi);
	return TG_VERDICT_ALLOW;
}

/**
 * decide() - ask the policy about @fi with @names; note the answer
 */
static void decide(struct flow_report *r, const struct tg_flow_info *fi,
		   const struct tg_endpoint *dst, const char **names,
		   size_t n_names, struct flow_note *note,
		   struct policy_verdict *v)
{
	struct policy_query q = {
		.protos = fi->proto == IPPROTO_TCP ? POLICY_PROTO_TCP
						   : POLICY_PROTO_UDP,
		.dst = *dst,
		.scope = scope_for_policy(fi->scope),
		.names = names,
		.n_names = n_names,
	};

	policy_decide(r->policy, &q, v);
	note->rule = v->rule;
	note->action = v->action;
}

/**
 * name_rules_could_allow() - is there an allow rule by name for this
 * protocol and port? (Only then can a name in the first bytes matter.)
 */
static bool name_rules_could_allow(const struct policy *p, uint8_t proto,
				   uint16_t port)
{
	uint8_t mask = proto == IPPROTO_TCP ? POLICY_PROTO_TCP : POLICY_PROTO_UDP;
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *rule = &p->rules[i];

		if (rule->action == POLICY_ALLOW && (rule->protos & mask) &&
		    (rule->kind == POLICY_HOST_NAME ||
		     rule->kind == POLICY_HOST_WILDCARD) &&
		    port >= rule->port_min && port <= rule->port_max)
			return true;
	}
	return false;
}

/**
 * want_peek() - should the program's first bytes decide this flow?
 *
 * Only for TCP to the outside, and only where the verdict depends on a
 * name DNS cannot give: the address was never resolved in this sandbox
 * and only a name rule could let it through, or it was resolved for
 * several names that the policy treats differently.
 */
static bool want_peek(struct flow_report *r, const struct tg_flow_info *fi,
		      const char **names, size_t n, enum policy_action action)
{
	struct flow_note scratch;
	struct policy_verdict v;
	enum policy_action first = POLICY_DENY;
	size_t i;

	/* Under --dns=fake names are exact: an address the program did not
	 * get from DNS is judged as an address, never on what it claims. */
	if (fi->proto != IPPROTO_TCP || fi->scope != TG_SCOPE_EXTERNAL || r->fake)
		return false;
	if (!n)
		return action == POLICY_DENY &&
		       name_rules_could_allow(r->policy, fi->proto, fi->dst.port);
	for (i = 0; i < n; i++) {
		decide(r, fi, &fi->dst, &names[i], 1, &scratch, &v);
		if (!i)
			first = v.action;
		else if (v.action != first)
			return true;
	}
	return false;
}

static bool addr_is_loopback(const struct tg_endpoint *a)
{
	static const uint8_t v6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return !memcmp(a->addr, v6, 16) ||
	       (!memcmp(a->addr, mapped, 12) && a->addr[12] == 127);
}

static bool addr_is_unspecified(const struct tg_endpoint *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->addr, zero, tg_endpoint_addr_len(a));
}

/**
 * verdict_fake() - a flow to a made-up address (--dns=fake): its name is
 * exact; upstream is the real address the host's resolver gave
 */
static enum tg_verdict verdict_fake(struct flow_report *r,
				    struct tg_flow_info *fi,
				    struct flow_note *note)
{
	struct tg_endpoint real;
	const char *name = dns_fake_lookup(r->fake, &fi->dst, &real);
	struct policy_verdict v;

	if (!name || !real.family || addr_is_unspecified(&real)) {
		/* Stands for nothing (any more): nowhere to relay to, not
		 * even under --audit. */
		note->action = POLICY_DENY;
		note_host(note, name, "fake");
		return TG_VERDICT_DENY;
	}
	note_host(note, name, "fake");
	fi->upstream = real;
	/* A name whose real address is loopback leads to the host's own
	 * loopback: judged (and logged) as such, so "--deny host" holds. */
	if (addr_is_loopback(&real))
		fi->scope = TG_SCOPE_HOST;
	decide(r, fi, &real, &name, 1, note, &v);
	return conclude(r, fi);
}

enum tg_verdict flow_report_verdict(void *ctx, struct tg_flow_info *fi)
{
	struct flow_report *r = ctx;
	const char *names[NAMES_PER_QUERY];
	struct flow_note *note;
	struct policy_verdict v;
	size_t n;

	note = calloc(1, sizeof(*note));
	fi->tag = note;
	if (!note)
		return TG_VERDICT_DENY;
	if (fi->resolver) {
		/* The sandbox's own resolver: the names asked are what the
		 * policy looks at (flow_report_datagram_out()). */
		note->rule_text = "resolver";
		note->action = POLICY_ALLOW;
		return TG_VERDICT_ALLOW;
	}
	if (r->fake && dns_fake_in_range(&fi->dst))
		return verdict_fake(r, fi, note);

	n = names_for(r, &fi->dst, names);
	decide(r, fi, &fi->dst, names, n, note, &v);
	note_host(note, v.name ? v.name : n ? names[0] : NULL, "dns");
	if (want_peek(r, fi, names, n, v.action))
		return TG_VERDICT_PEEK;
	return conclude(r, fi);
}

enum tg_verdict flow_report_peek(void *ctx, struct tg_flow_info *fi,
				 const uint8_t *data, size_t len, bool final)
{
	struct flow_report *r = ctx;
	struct flow_note *note = fi->tag;
	const char *names[NAMES_PER_QUERY], *name;
	char found[DNS_NAME_MAX];
	enum peek_kind kind;
	struct policy_verdict v;
	size_t i, n;

	switch (peek_name(data, len, found, sizeof(found), &kind)) {
	case PEEK_MORE:
		if (!final)
			return TG_VERDICT_PEEK;
		break;
	case PEEK_FOUND:
		n = names_for(r, &fi->dst, names);
		for (i = 0; i < n && strcmp(names[i], found); i++)
			;
		if (n && i == n)	/* DNS said otherwise: keep both */
			snprintf(note->dns_host, sizeof(note->dns_host), "%s",
				 names[0]);
		name = found;
		decide(r, fi, &fi->dst, &name, 1, note, &v);
		note_host(note, found, peek_kind_name(kind));
		break;
	default:
		break;
	}
	/* No name in the first bytes: the verdict by address stands. */
	return conclude(r, fi);
}

void flow_report_end(void *ctx, const struct tg_flow_info *fi)
{
	struct flow_report *r = ctx;
	struct flow_record rec;
	int err;

	flow_record_from(fi, &rec);
	if (rec.verdict == FLOW_VERDICT_DENY) {
		if (first_denial(r, fi))
			deny_report(&r->deny, &rec,
				    fi->tag ? ((struct flow_note *)fi->tag)->rule
					    : NULL, now_ms());
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
	free(fi->tag);
}

/**
 * carries_dns() - are @fi's messages DNS? UDP from or to port 53, and
 * every flow to the sandbox's resolvers (over TCP the stack hands them
 * over one message at a time)
 */
static bool carries_dns(const struct tg_flow_info *fi)
{
	return fi->resolver ||
	       (fi->proto == IPPROTO_UDP && fi->upstream.port == 53);
}

/**
 * fake_answer() - --dns=fake: turn the resolver's answer for a name into
 * one made-up address, keeping the real ones for the gateway
 *
 * Return: length of the rewritten answer in @out, 0 to pass @a's as is
 */
static size_t fake_answer(struct flow_report *r, const struct dns_answer *a,
			  const uint8_t *msg, size_t len,
			  uint8_t *out, size_t cap)
{
	int family = a->query.qtype == 1 ? AF_INET : AF_INET6;
	struct tg_endpoint fake;
	uint32_t idx, ttl = 300;
	bool have = false;
	size_t i;

	if (a->rcode || (a->query.qtype != 1 && a->query.qtype != 28) ||
	    a->query.qclass != 1)
		return 0;
	for (i = 0; i < a->n_bindings; i++) {
		if (a->bindings[i].addr.family == family) {
			have = true;
			ttl = MIN(ttl, a->bindings[i].ttl);
		}
	}
	if (!have)
		return 0;	/* no address of that kind: nothing to hide */
	idx = dns_fake_assign(r->fake, a->query.name);
	if (!idx)
		return 0;
	dns_fake_set_real(r->fake, idx, a);
	dns_fake_address(idx, family, &fake);
	return dns_build_fake_answer(msg, len, &fake, MAX(ttl, 1U), out, cap);
}

bool flow_report_datagram(void *ctx, const struct tg_flow_info *fi,
			  const uint8_t *data, size_t len,
			  uint8_t *reply, size_t *reply_len)
{
	struct flow_report *r = ctx;
	size_t cap = *reply_len;
	struct dns_answer *a;

	*reply_len = 0;
	if (!carries_dns(fi) || !r->names)
		return true;
	a = malloc(sizeof(*a));		/* ~20 KiB: not on the stack */
	if (!a)
		return true;
	if (!dns_parse_answer(data, len, a)) {
		if (r->fake && fi->resolver)
			*reply_len = fake_answer(r, a, data, len, reply, cap);
		/* The program sees only the made-up address of a rewritten
		 * answer: the real ones stand for no name in this sandbox. */
		if (!*reply_len)
			dns_names_learn(r->names, a, now_ms());
	}
	free(a);
	return !*reply_len;
}

/**
 * refuse_query() - log and report a DNS query the gateway keeps
 * @name:	its name, or NULL if it has none a policy could judge
 */
static void refuse_query(struct flow_report *r, const struct tg_flow_info *fi,
			 const char *name)
{
	struct flow_record rec;
	int err;

	memset(&rec, 0, sizeof(rec));
	rec.ts_ms = wall_ms();
	rec.proto = fi->proto == IPPROTO_TCP ? "tcp" : "udp";
	rec.src = fi->src;
	rec.dst = fi->dst;
	rec.host = name;
	rec.host_source = name ? "dns" : NULL;
	rec.scope = scope_for_policy(fi->scope);
	rec.verdict = r->audit ? FLOW_VERDICT_WOULD_DENY : FLOW_VERDICT_DENY;
	rec.end = r->audit ? "closed" : "denied";
	r->denied++;
	if (!name || first_denial_of(r, fnv1a(0x84222325cbf29ce4ULL, name,
					      strlen(name))))
		deny_report(&r->deny, &rec, NULL, now_ms());
	if (r->log && (err = flow_log_write(r->log, &rec)))
		warn("writing the flow log: %s", strerror(-err));
	if (r->summary)
		flow_summary_add(r->summary, &rec);
}

bool flow_report_datagram_out(void *ctx, const struct tg_flow_info *fi,
			      const uint8_t *data, size_t len,
			      uint8_t *reply, size_t *reply_len)
{
	struct flow_report *r = ctx;
	struct flow_note *note = fi->tag;
	struct dns_query q;
	size_t cap = *reply_len;

	*reply_len = 0;
	if (!carries_dns(fi))
		return true;
	if (dns_parse_query(data, len, &q)) {
		/* Not one plain question for a hostname: nothing a policy by
		 * name can judge. Refused unless everything is let through. */
		if (!fi->resolver || r->audit ||
		    r->policy->default_action == POLICY_ALLOW)
			return true;
		refuse_query(r, fi, NULL);
		*reply_len = dns_build_error(data, len, 5, reply, cap);
		return false;
	}
	if (policy_name_may_be_allowed(r->policy, q.name)) {
		/* A resolver session is logged with the first name it sent. */
		if (note && fi->resolver && !note->host[0])
			note_host(note, q.name, "dns");
		return true;
	}

	/* A name no rule could let through: nothing about it leaves. */
	refuse_query(r, fi, q.name);
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
	dns_fake_free(r->fake);
	r->fake = NULL;
}

/* policy.h - which flows may happen: rules, their parsing, matching and
 * verdicts; and the reports of what happened: the JSON flow log, the
 * rate-limited denial messages and the end-of-run summary.
 *
 * Pure: no sockets, no knowledge of lwIP, namespaces or the stack. cmd/
 * turns each new flow the stack reports into a struct policy_query, asks
 * policy_decide(), and turns each ended flow into a struct flow_record.
 *
 * Rule grammar (README.md, "Policy"):
 *   RULE  := [tcp:|udp:]HOST[:PORTS]
 *   HOST  := IPv4 | IPv4/len | [IPv6] | [IPv6/len] | hostname | *.domain
 *            | * | loopback | host
 *   PORTS := N | N-M | *            (default *)
 * First match wins, in order of appearance; then the default (deny unless
 * set otherwise).
 */
#ifndef TUNGATE_POLICY_H
#define TUNGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/**
 * enum policy_action - what a rule or the default says
 */
enum policy_action {
	POLICY_DENY = 0,
	POLICY_ALLOW = 1,
};

#define POLICY_PROTO_TCP	0x1
#define POLICY_PROTO_UDP	0x2
#define POLICY_PROTO_ANY	(POLICY_PROTO_TCP | POLICY_PROTO_UDP)

/**
 * enum policy_scope - where a destination lies, seen from the sandbox
 * @POLICY_SCOPE_EXTERNAL:	the outside world
 * @POLICY_SCOPE_LOOPBACK:	the sandbox's own loopback and own addresses
 * @POLICY_SCOPE_HOST:		the host's loopback, via the gateway address
 */
enum policy_scope {
	POLICY_SCOPE_EXTERNAL,
	POLICY_SCOPE_LOOPBACK,
	POLICY_SCOPE_HOST,
};

/**
 * enum policy_host_kind - what a rule's HOST is
 * @POLICY_HOST_ANY:		"*"
 * @POLICY_HOST_PREFIX:		an address or CIDR prefix (IPv4 or IPv6)
 * @POLICY_HOST_NAME:		a hostname, exact (case-insensitive, no
 *				trailing dot)
 * @POLICY_HOST_WILDCARD:	"*.domain": names below domain, any depth,
 *				not domain itself
 * @POLICY_HOST_LOOPBACK:	"loopback": POLICY_SCOPE_LOOPBACK flows
 * @POLICY_HOST_GATEWAY:	"host": POLICY_SCOPE_HOST flows
 */
enum policy_host_kind {
	POLICY_HOST_ANY,
	POLICY_HOST_PREFIX,
	POLICY_HOST_NAME,
	POLICY_HOST_WILDCARD,
	POLICY_HOST_LOOPBACK,
	POLICY_HOST_GATEWAY,
};

/**
 * struct policy_rule - one parsed rule
 * @action:	allow or deny
 * @protos:	POLICY_PROTO_* mask
 * @kind:	what @addr / @name mean
 * @addr:	address for POLICY_HOST_PREFIX (port unused); its host bits
 *		are clear (the parser refuses "10.0.0.1/8")
 * @prefix_len:	its prefix length (32 or 128 for a single address)
 * @name:	lower-case name for NAME (the domain for WILDCARD), else NULL
 * @port_min:	first port matched
 * @port_max:	last port matched (0-65535 for "*")
 * @number:	1-based position among all rules (for messages and logs)
 * @text:	the keyword and the rule as written, e.g.
 *		"deny tcp:*.example.com:443"
 * @origin:	where it came from: "--allow" or "FILE:LINE"
 */
struct policy_rule {
	enum policy_action action;
	uint8_t protos;
	enum policy_host_kind kind;
	struct tg_endpoint addr;
	unsigned int prefix_len;
	char *name;
	uint16_t port_min;
	uint16_t port_max;
	unsigned int number;
	char *text;
	char *origin;
};

/**
 * struct policy - an ordered list of rules and a default
 * @rules:		the rules, in order of appearance
 * @n_rules:		how many
 * @cap_rules:		allocated
 * @default_action:	when nothing matches (POLICY_DENY unless set)
 * @index:		private to rule_match.c: built by the first
 *			policy_decide() after rules were added
 */
struct policy {
	struct policy_rule *rules;
	size_t n_rules;
	size_t cap_rules;
	enum policy_action default_action;
	void *index;
};

/**
 * policy_init() - an empty policy, default deny
 * @p:		policy
 */
void policy_init(struct policy *p);

/**
 * policy_free() - free the rules and index; @p is then empty, default deny
 * @p:		policy
 */
void policy_free(struct policy *p);

/**
 * policy_add_rule() - parse RULE and append it
 * @p:		policy
 * @action:	from --allow / --deny / the file's keyword
 * @text:	the RULE text (without the keyword)
 * @origin:	"--allow", "--deny" or "FILE:LINE", for messages
 * @err:	on failure: one line "ORIGIN: 'TEXT': what is wrong", e.g.
 *		"rules.txt:3: 'tcp:10.0.0.0/33': prefix length 33 is
 *		more than 32"
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set (and @p unchanged)
 */
int policy_add_rule(struct policy *p, enum policy_action action,
		    const char *text, const char *origin,
		    char *err, size_t errlen);

/**
 * policy_load_file() - read a policy file, appending its rules in order
 * @p:		policy
 * @path:	file; lines are "allow RULE", "deny RULE", "default allow",
 *		"default deny" (once), blank, or "# comment" (also after a
 *		rule); keywords in any case
 * @err:	on failure: "PATH:LINE: 'TEXT': what is wrong" (or the open
 *		error naming PATH)
 * @errlen:	size of @err
 *
 * On failure nothing from the file is kept.
 * Return: 0, or -1 with @err set
 */
int policy_load_file(struct policy *p, const char *path,
		     char *err, size_t errlen);

/**
 * policy_load_stream() - as policy_load_file(), from an open stream
 * @p:		policy
 * @f:		stream, read to its end, not closed
 * @path:	its name, for messages and rule origins
 * @err:	as for policy_load_file()
 * @errlen:	size of @err
 *
 * For tests and the fuzzer (fmemopen()); nothing is kept on failure.
 * Return: 0, or -1 with @err set
 */
int policy_load_stream(struct policy *p, FILE *f, const char *path,
		       char *err, size_t errlen);

/**
 * policy_parse_default() - "allow" or "deny" for --default
 * @p:		policy
 * @word:	the option's value (any case)
 * @err:	on failure: "--default: 'WORD': expected allow or deny"
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err quoting the bad word
 */
int policy_parse_default(struct policy *p, const char *word,
			 char *err, size_t errlen);

/**
 * struct policy_query - a new flow, as far as the policy cares
 * @protos:	POLICY_PROTO_TCP or POLICY_PROTO_UDP
 * @dst:	destination address and port, as the program asked
 * @scope:	where @dst lies
 * @names:	hostnames @dst is known by in this sandbox (DNS), lower-case,
 *		may be NULL
 * @n_names:	how many
 */
struct policy_query {
	uint8_t protos;
	struct tg_endpoint dst;
	enum policy_scope scope;
	const char *const *names;
	size_t n_names;
};

/**
 * struct policy_verdict - the answer
 * @action:	allow or deny
 * @rule:	the rule that matched, or NULL for the default
 * @name:	for a hostname rule: which of the query's names matched
 */
struct policy_verdict {
	enum policy_action action;
	const struct policy_rule *rule;
	const char *name;
};

/**
 * policy_decide() - first matching rule, else the default
 * @p:		policy
 * @q:		the flow
 * @v:		output
 *
 * Called once per flow, at admission. Fast with thousands of rules: the
 * first call after rules were added builds an index behind @p->index
 * (rule_match.c); single-threaded use only. @v->rule points into
 * @p->rules: valid until rules are added or @p is freed.
 */
void policy_decide(const struct policy *p, const struct policy_query *q,
		   struct policy_verdict *v);

/**
 * policy_name_may_be_allowed() - could a flow to an address of @name ever
 * be allowed?
 * @p:		policy
 * @name:	a DNS query name, lower-case, no trailing dot
 *
 * True if the default is allow, or some allow rule is not about names (an
 * address, a prefix, *, loopback, host: any answer might fall under it) and
 * covers more than port 53 (a rule for port 53 alone is how the resolver
 * is reached), or a name rule matches @name. Deny rules are not weighed: the answer errs
 * towards letting the query through. Used to answer NXDOMAIN, without asking
 * anyone, for names no rule could let through.
 */
bool policy_name_may_be_allowed(const struct policy *p, const char *name);

/**
 * policy_rule_matches() - does one rule match a query (the reference for
 *			   policy_decide(), exposed for tests)
 * @r:		rule
 * @q:		query
 * @name:	if not NULL: the first of @q's names a hostname rule matched,
 *		else NULL
 *
 * "*" matches every flow; "loopback" and "host" only flows of that scope;
 * an address rule matches by destination address, whatever the scope; a
 * hostname rule if any of @q's names matches.
 */
bool policy_rule_matches(const struct policy_rule *r,
			 const struct policy_query *q, const char **name);

/**
 * policy_name_matches() - does @name match a NAME or WILDCARD rule's name
 * @pattern:	rule name (lower-case, no trailing dot); @wildcard true for
 *		"*.pattern": names below it at any depth, not pattern itself
 * @name:	candidate (any case, one trailing dot allowed); IDNs only in
 *		their ASCII (xn--) form, as DNS carries them. A name with an
 *		empty label, or longer than 253 characters, matches nothing.
 */
bool policy_name_matches(const char *pattern, bool wildcard, const char *name);

/* --- Reports ----------------------------------------------------------------- */

/**
 * enum flow_verdict - what happened to a flow, for logs
 */
enum flow_verdict {
	FLOW_VERDICT_ALLOW,
	FLOW_VERDICT_DENY,
	FLOW_VERDICT_WOULD_DENY,	/* --audit: denied by policy, let through */
};

/**
 * struct flow_record - one flow, for the log and the summary
 * @ts_ms:	start, wall clock, ms since the epoch
 * @proto:	"tcp" or "udp"
 * @src:	source
 * @dst:	destination
 * @host:	hostname the verdict used, or NULL
 * @host_source: where @host came from: "dns" (an answer the gateway
 *		relayed), "fake" (--dns=fake: the made-up address stands for
 *		exactly one name), "sni" (the TLS ClientHello's server name)
 *		or "http" (the HTTP/1 Host header); NULL without @host
 * @dns_host:	when @host came from the program's first bytes ("sni",
 *		"http") and DNS had taught other names for the address: the
 *		most recent of them (the mismatch is recorded; the verdict
 *		used @host); else NULL
 * @scope:	where @dst lies
 * @verdict:	allow, deny, would_deny
 * @rule:	rule text, or NULL for the default
 * @bytes_out:	payload bytes program -> destination
 * @bytes_in:	payload bytes destination -> program
 * @duration_ms: lifetime
 * @end:	why it ended ("closed", "refused", "reset", ...), or NULL
 */
struct flow_record {
	uint64_t ts_ms;
	const char *proto;
	struct tg_endpoint src;
	struct tg_endpoint dst;
	const char *host;
	const char *host_source;
	const char *dns_host;
	enum policy_scope scope;
	enum flow_verdict verdict;
	const char *rule;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t duration_ms;
	const char *end;
};

const char *policy_scope_name(enum policy_scope scope);
const char *flow_verdict_name(enum flow_verdict v);

/**
 * struct flow_log - the --log file: one JSON object per line per flow
 */
struct flow_log;

/**
 * flow_log_open() - open (create/append) @path, or stderr for "-"
 *
 * Return: the log, or NULL with @err naming the path and the cause
 */
struct flow_log *flow_log_open(const char *path, char *err, size_t errlen);

/**
 * flow_log_write() - write one record as a JSON line (json-c) and flush it
 *
 * Fields: ts (RFC 3339 UTC with milliseconds), proto, src, dst ("ip:port",
 * "[ip]:port"), host (string or null), host_source (string or null),
 * dns_host (string, only when it differs from host), scope, verdict, rule (text, or
 * "default"), bytes_out, bytes_in, duration_ms, end.
 * Return: 0, or -errno
 */
int flow_log_write(struct flow_log *log, const struct flow_record *rec);

/**
 * flow_log_close() - flush and close (stderr is not closed)
 */
void flow_log_close(struct flow_log *log);

/* Rate of "denied" lines when struct deny_reporter leaves it at 0 */
#define DENY_REPORT_BURST	10
#define DENY_REPORT_PER_SEC	1

/**
 * struct deny_reporter - rate-limited "denied" lines on stderr
 * @out:	stream (stderr), NULL for silent (-q)
 * @burst:	lines allowed at once (0: DENY_REPORT_BURST)
 * @per_sec:	refill rate (0: DENY_REPORT_PER_SEC)
 * (private fields follow; zero them, or use deny_reporter_init())
 */
struct deny_reporter {
	FILE *out;
	unsigned int burst;
	unsigned int per_sec;
	double tokens;
	uint64_t last_ms;
	uint64_t suppressed;
	bool started;
};

/**
 * deny_reporter_init() - a reporter writing to @out, bucket full
 * @d:		reporter
 * @out:	stream, or NULL for silent
 * @burst:	lines at once (0: default)
 * @per_sec:	lines a second after the burst (0: default)
 */
void deny_reporter_init(struct deny_reporter *d, FILE *out,
			unsigned int burst, unsigned int per_sec);

/**
 * deny_report() - one line per denied (or would-be-denied) destination:
 * "tungate: denied tcp 10.12.0.2:41234 -> 203.0.113.9:443 (rule 3: deny *)"
 * "tungate: would deny ..." under --audit; "(default deny)" without a rule;
 * with @rec->host: "(api.example.com, rule 4: deny *.example.com)".
 * Lines over the rate are counted and reported as "N more denials not
 * shown" when the rate allows again, and by deny_report_flush().
 * @now_ms:	monotonic time (injected, for tests)
 */
void deny_report(struct deny_reporter *d, const struct flow_record *rec,
		 const struct policy_rule *rule, uint64_t now_ms);

/**
 * deny_report_flush() - report the count of suppressed lines, if any
 */
void deny_report_flush(struct deny_reporter *d);

/**
 * struct flow_summary - per-destination totals for --summary
 */
struct flow_summary;

struct flow_summary *flow_summary_new(void);
void flow_summary_add(struct flow_summary *s, const struct flow_record *rec);

/**
 * flow_summary_print() - a compact table: a totals line, then one row per
 * (destination host-or-address, proto, port, verdict) with flow count and
 * bytes each way in human-readable sizes; allowed rows first, denied last,
 * each group by bytes moved, most first; a stable order throughout
 */
void flow_summary_print(const struct flow_summary *s, FILE *out);
void flow_summary_free(struct flow_summary *s);

#endif /* TUNGATE_POLICY_H */

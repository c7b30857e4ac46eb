/* flow_report.h - tungate-run's glue between the stack and the policy:
 * the verdict callback (rules, --audit) and the end-of-flow callback (flow
 * log, denial lines, summary, the count --fail-on-deny looks at).
 */
#ifndef TUNGATE_FLOW_REPORT_H
#define TUNGATE_FLOW_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/options.h"
#include "dns/dns.h"
#include "policy/policy.h"
#include "stack/stack.h"

/**
 * struct flow_report - state of the reports for one run
 * @policy:	the rules
 * @audit:	--audit
 * @log:	--log, or NULL
 * @summary:	--summary table being built, or NULL
 * @deny:	rate-limited denial lines (silent with -q)
 * @names:	names learned from DNS answers the gateway relayed
 * @fake:	--dns=fake: made-up addresses and the names they stand for
 * @denied:	flows denied, or that would have been under --audit
 * @shown:	hashes of (protocol, destination) already reported denied:
 *		one line per destination, not per attempt (open addressing;
 *		when full, the rate limit alone applies)
 */
struct flow_report {
	const struct policy *policy;
	bool audit;
	struct flow_log *log;
	struct flow_summary *summary;
	struct deny_reporter deny;
	struct dns_names *names;
	struct dns_fake *fake;
	uint64_t denied;
	uint64_t shown[1024];
};

/**
 * flow_report_init() - open the log, prepare the summary
 * @r:		output
 * @o:		options (the policy must outlive @r)
 * @err:	on failure, what went wrong (the log file)
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int flow_report_init(struct flow_report *r, const struct options *o,
		     char *err, size_t errlen);

/**
 * flow_report_verdict() - tg_verdict_fn: decide by the policy
 *
 * Resolver flows are allowed (their queries are judged by name). A flow to
 * a made-up address (--dns=fake) is judged by its name and relayed to the
 * real address. Otherwise the names DNS taught for the address count; a
 * TCP flow whose verdict hangs on a name DNS cannot give is peeked into
 * (flow_report_peek()). Under --audit every flow is allowed; one that the
 * policy denies is reported at once as "would deny".
 */
enum tg_verdict flow_report_verdict(void *ctx, struct tg_flow_info *fi);

/**
 * flow_report_peek() - tg_peek_fn: decide on the TLS server name or HTTP
 * Host the program sent first; without one, the verdict by address stands
 */
enum tg_verdict flow_report_peek(void *ctx, struct tg_flow_info *fi,
				 const uint8_t *data, size_t len, bool final);

/**
 * flow_report_end() - tg_flow_end_fn: log, count, report a denial
 */
void flow_report_end(void *ctx, const struct tg_flow_info *fi);

/**
 * flow_report_datagram() - tg_datagram_fn for datagrams from upstream:
 * learn names from DNS answers
 *
 * A UDP reply from port 53 is parsed as a DNS response; the addresses it
 * gives for the query name (and its CNAME chain) are remembered for
 * hostname rules and for the log's "host". Under --dns=fake, a resolver's
 * A or AAAA answer is rewritten to one made-up address for the name.
 */
bool flow_report_datagram(void *ctx, const struct tg_flow_info *fi,
			  const uint8_t *data, size_t len,
			  uint8_t *reply, size_t *reply_len);

/**
 * flow_report_datagram_out() - tg_datagram_fn for datagrams to upstream:
 * a DNS query for a name no rule could allow is answered NXDOMAIN by the
 * gateway (nothing leaves) and logged as denied; under --audit it is
 * logged as would_deny and sent
 */
bool flow_report_datagram_out(void *ctx, const struct tg_flow_info *fi,
			      const uint8_t *data, size_t len,
			      uint8_t *reply, size_t *reply_len);

/**
 * flow_report_finish() - print the summary (if asked), flush, close the log
 * @r:		reports
 * @out:	where the summary goes (stderr)
 */
void flow_report_finish(struct flow_report *r, FILE *out);

#endif /* TUNGATE_FLOW_REPORT_H */

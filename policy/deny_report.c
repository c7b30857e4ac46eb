/* deny_report.c - the "denied" lines on stderr, one per refused flow:
 *
 *   tungate: denied tcp 10.12.0.2:41234 -> 203.0.113.9:443 (rule 3: deny *)
 *   tungate: would deny udp 10.12.0.2:5353 -> 198.51.100.7:53 (default deny)
 *   tungate: denied tcp 10.12.0.2:41240 -> 203.0.113.9:443 (ads.example.com,
 *            rule 4: deny *.example.com)              [one line in reality]
 *
 * A program retrying in a loop must not flood the terminal or the CI log,
 * so lines are rate-limited with a token bucket: @burst lines at once,
 * then @per_sec a second. The lines over the rate are counted; the count
 * is printed ("tungate: 12 more denials not shown") before the next line
 * the rate lets through, and by deny_report_flush() at the end of the run.
 * Time is passed in, so the tests control it.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

/**
 * deny_reporter_init() - a reporter writing to @out
 * @d:		reporter
 * @out:	stream (stderr), or NULL to be silent (-q)
 * @burst:	lines at once (0: DENY_REPORT_BURST)
 * @per_sec:	lines a second after that (0: DENY_REPORT_PER_SEC)
 */
void deny_reporter_init(struct deny_reporter *d, FILE *out,
			unsigned int burst, unsigned int per_sec)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->burst = burst;
	d->per_sec = per_sec;
}

/**
 * refill() - add the tokens earned since the last call
 * @d:		reporter
 * @now_ms:	monotonic time
 *
 * The first call fills the bucket.
 */
static void refill(struct deny_reporter *d, uint64_t now_ms)
{
	double burst = d->burst ? d->burst : DENY_REPORT_BURST;
	double rate = d->per_sec ? d->per_sec : DENY_REPORT_PER_SEC;

	if (!d->started) {
		d->started = true;
		d->tokens = burst;
		d->last_ms = now_ms;
		return;
	}
	if (now_ms <= d->last_ms)
		return;
	d->tokens += (double)(now_ms - d->last_ms) * rate / 1000.0;
	if (d->tokens > burst)
		d->tokens = burst;
	d->last_ms = now_ms;
}

/**
 * deny_report_flush() - report the count of suppressed lines, if any
 * @d:		reporter
 */
void deny_report_flush(struct deny_reporter *d)
{
	if (!d->suppressed)
		return;
	if (d->out) {
		fprintf(d->out, "tungate: %llu more denial%s not shown\n",
			(unsigned long long)d->suppressed,
			d->suppressed == 1 ? "" : "s");
		fflush(d->out);
	}
	d->suppressed = 0;
}

/**
 * deny_reason() - what goes in the parentheses
 * @rec:	the flow
 * @rule:	the rule that refused it, or NULL for the default
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf, e.g. "example.com, rule 3: deny *.example.com"
 */
static char *deny_reason(const struct flow_record *rec,
			 const struct policy_rule *rule, char *buf, size_t len)
{
	int n = 0;

	if (rec->host) {
		n = snprintf(buf, len, "%s, ", rec->host);
		if (n < 0 || (size_t)n >= len)
			n = 0;
		buf[n] = '\0';
		policy_printable(buf);
	}
	if (rule)
		snprintf(buf + n, len - (size_t)n, "rule %u: %s", rule->number,
			 rule->text ? rule->text : "?");
	else
		snprintf(buf + n, len - (size_t)n, "default deny");
	return buf;
}

/**
 * deny_report() - one line per denied (or would-be-denied) flow, if the
 *		   rate allows; else count it
 * @d:		reporter
 * @rec:	the flow (FLOW_VERDICT_WOULD_DENY says "would deny")
 * @rule:	the rule that refused it, or NULL for the default
 * @now_ms:	monotonic time
 */
void deny_report(struct deny_reporter *d, const struct flow_record *rec,
		 const struct policy_rule *rule, uint64_t now_ms)
{
	char src[TG_ENDPOINT_STRLEN], dst[TG_ENDPOINT_STRLEN], why[1400];

	if (!d->out)
		return;
	refill(d, now_ms);
	if (d->tokens < 1.0) {
		d->suppressed++;
		return;
	}
	d->tokens -= 1.0;
	deny_report_flush(d);
	tg_endpoint_format(&rec->src, src, sizeof(src));
	tg_endpoint_format(&rec->dst, dst, sizeof(dst));
	fprintf(d->out, "tungate: %s %s %s -> %s (%s)\n",
		rec->verdict == FLOW_VERDICT_WOULD_DENY ? "would deny" : "denied",
		rec->proto ? rec->proto : "?", src, dst,
		deny_reason(rec, rule, why, sizeof(why)));
	fflush(d->out);
}

/* options.h - tungate-run's command line: parsed into a struct options,
 * with no side effects other than printing --help and --version, so it can
 * be unit-tested.
 */
#ifndef TUNGATE_OPTIONS_H
#define TUNGATE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

/**
 * enum options_dns - --dns MODE
 * @OPTIONS_DNS_FORWARD: "forward" (default): queries to the nameservers of
 *			resolv.conf are answered by the host's resolver through
 *			the gateway; names are learned from the real answers
 * @OPTIONS_DNS_FAKE:	"fake": each name is answered with an address of its
 *			own from 198.18.0.0/15 or fdff:7467::/64 (a flow to it
 *			carries its exact name); the gateway connects to the
 *			real address
 * @OPTIONS_DNS_OFF:	"off": DNS is ordinary UDP/TCP, subject to the rules
 */
enum options_dns {
	OPTIONS_DNS_FORWARD,
	OPTIONS_DNS_FAKE,
	OPTIONS_DNS_OFF,
};

/**
 * struct options - what the command line asked for
 * @mtu:		TUN MTU (--mtu)
 * @max_flows:		flow table size (--max-flows)
 * @udp_timeout_s:	UDP session idle timeout in seconds (--udp-timeout)
 * @drain_s:		how long flows may finish after the program exits
 * @verbosity:		-1 quiet, 0 default, 1.. verbose
 * @policy:		rules from --allow, --deny, --policy, --default, in
 *			command-line order
 * @audit:		--audit: deny nothing, log what would be denied
 * @fail_on_deny:	--fail-on-deny: exit TG_EXIT_DENIED if anything was
 *			denied (or would have been)
 * @summary:		--summary: per-destination table at exit
 * @log_path:		--log FILE ("-": stderr), or NULL
 * @dns:		--dns: how the sandbox's resolver is served
 * @command:		the program and its arguments (NULL-terminated,
 *			pointing into the argv given to options_parse())
 */
struct options {
	unsigned int mtu;
	unsigned int max_flows;
	unsigned int udp_timeout_s;
	unsigned int drain_s;
	int verbosity;
	struct policy policy;
	bool audit;
	bool fail_on_deny;
	bool summary;
	const char *log_path;
	enum options_dns dns;
	char **command;
};

/* Status for --fail-on-deny when the program itself succeeded. */
#define TG_EXIT_DENIED	123

/**
 * enum options_result - what options_parse() found
 * @OPTIONS_RUN:	run @command
 * @OPTIONS_EXIT:	--help or --version printed: exit 0
 * @OPTIONS_ERROR:	bad command line; the message is in @err: exit 125
 */
enum options_result {
	OPTIONS_RUN,
	OPTIONS_EXIT,
	OPTIONS_ERROR,
};

/**
 * options_parse() - parse tungate-run's arguments
 * @o:		output, defaults filled in first; options_free() it, also
 *		after OPTIONS_ERROR
 * @argc:	argument count
 * @argv:	arguments (argv[0] is the program name)
 * @err:	message buffer for OPTIONS_ERROR, quoting the bad text
 * @errlen:	its size
 *
 * Options end at "--" or at the first non-option (the command).
 * Return: enum options_result
 */
enum options_result options_parse(struct options *o, int argc, char **argv,
				  char *err, size_t errlen);

/**
 * options_free() - free what options_parse() allocated (the policy)
 */
void options_free(struct options *o);

/**
 * options_usage() - the --help text
 */
const char *options_usage(void);

#endif /* TUNGATE_OPTIONS_H */

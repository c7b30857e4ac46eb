/* options.c - parse tungate-run's command line (see options.h).
 *
 * Errors quote what the user typed and say what was expected; the caller
 * prints them and exits with 125, as env(1) does for its own errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/options.h"
#include "netns/netns.h"
#include "stack/stack.h"

#define TUNGATE_VERSION "0.1.0"

enum {
	OPT_MTU = 0x100,
	OPT_MAX_FLOWS,
	OPT_UDP_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_VERSION,
	OPT_ALLOW,
	OPT_DENY,
	OPT_POLICY,
	OPT_DEFAULT,
	OPT_AUDIT,
	OPT_FAIL_ON_DENY,
	OPT_LOG,
	OPT_SUMMARY,
	OPT_DNS,
};

static const char usage_text[] =
"Usage: tungate-run [OPTIONS] [--] COMMAND [ARG]...\n"
"Run COMMAND in a sandbox whose only network is tungate's gateway.\n"
"\n"
"COMMAND runs in new user and network namespaces, as you, with no\n"
"capabilities. Its only route is a TUN device; every TCP connection and\n"
"UDP datagram it sends is taken by the gateway and relayed from the host.\n"
"Inside, 10.12.0.1 and fd12::1 are the host's 127.0.0.1 and ::1.\n"
"\n"
"Policy (first matching rule wins, in command-line order):\n"
"      --allow RULE       let flows matching RULE through\n"
"      --deny RULE        refuse flows matching RULE (TCP: RST, UDP: ICMP)\n"
"      --policy FILE      rules from FILE, where this option stands\n"
"      --default allow|deny  what happens to flows no rule matches\n"
"                         (default: deny)\n"
"      --audit            deny nothing; report what would have been denied\n"
"      --fail-on-deny     exit 123 if anything was denied (or would have\n"
"                         been, with --audit) even if COMMAND succeeded\n"
"  RULE is [tcp:|udp:]HOST[:PORTS]; HOST is an address, a CIDR prefix,\n"
"  [IPv6] or [IPv6/len], a hostname, *.domain, *, loopback (the sandbox's\n"
"  own loopback and addresses) or host (the host's loopback); PORTS is N,\n"
"  N-M or * (default). Example: --allow tcp:198.51.100.0/24:443\n"
"\n"
"Names:\n"
"      --dns MODE         how the sandbox's DNS is served: forward (default:\n"
"                         queries to resolv.conf's nameservers go to the\n"
"                         host's resolver, answers teach which name each\n"
"                         address stands for), fake (each name gets a\n"
"                         made-up address of its own, so every flow carries\n"
"                         its exact name) or off (DNS is ordinary traffic)\n"
"\n"
"Reports:\n"
"      --log FILE         one JSON line per flow (FILE - : stderr)\n"
"      --summary          a table per destination on stderr at exit\n"
"\n"
"Options:\n"
"      --mtu N            MTU of the sandbox's TUN device, 1280..65520\n"
"                         (default 65520)\n"
"      --max-flows N      open flows at most, TCP and UDP together\n"
"                         (default 16384); more are refused\n"
"      --udp-timeout SEC  end a UDP session after SEC idle seconds\n"
"                         (default 60)\n"
"      --drain-timeout SEC  after COMMAND exits, let open connections\n"
"                         finish for up to SEC seconds (default 5)\n"
"  -v, --verbose          report each flow on stderr (twice: more)\n"
"  -q, --quiet            no messages but errors\n"
"  -h, --help             show this help and exit\n"
"      --version          show the version and exit\n"
"\n"
"Exit status:\n"
"  COMMAND's own status, or 128+N if it was killed by signal N;\n"
"  125  tungate-run itself failed (bad option, sandbox setup)\n"
"  126  COMMAND was found but could not be run\n"
"  127  COMMAND was not found\n"
"  123  --fail-on-deny: COMMAND succeeded but a flow was denied\n"
"SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to\n"
"COMMAND. If the gateway dies, COMMAND is left with no network at all.\n";

const char *options_usage(void)
{
	return usage_text;
}

/**
 * parse_uint() - a whole decimal number within [@min, @max]
 *
 * Return: true on success
 */
static bool parse_uint(const char *text, unsigned long min, unsigned long max,
		       unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!*text || *text == '-' || *text == '+')
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}

static const struct option long_options[] = {
	{ "mtu",		required_argument, NULL, OPT_MTU },
	{ "max-flows",		required_argument, NULL, OPT_MAX_FLOWS },
	{ "udp-timeout",	required_argument, NULL, OPT_UDP_TIMEOUT },
	{ "drain-timeout",	required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "allow",		required_argument, NULL, OPT_ALLOW },
	{ "deny",		required_argument, NULL, OPT_DENY },
	{ "policy",		required_argument, NULL, OPT_POLICY },
	{ "default",		required_argument, NULL, OPT_DEFAULT },
	{ "audit",		no_argument,	   NULL, OPT_AUDIT },
	{ "fail-on-deny",	no_argument,	   NULL, OPT_FAIL_ON_DENY },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "summary",		no_argument,	   NULL, OPT_SUMMARY },
	{ "dns",		required_argument, NULL, OPT_DNS },
	{ NULL, 0, NULL, 0 },
};

/**
 * number_option() - parse the argument of a numeric option
 *
 * Return: true on success; else @err says which option and what is wrong
 */
static bool number_option(const char *name, const char *arg,
			  unsigned long min, unsigned long max,
			  unsigned int *out, char *err, size_t errlen)
{
	if (parse_uint(arg, min, max, out))
		return true;
	snprintf(err, errlen, "--%s: '%s' is not a whole number from %lu to %lu",
		 name, arg, min, max);
	return false;
}

static void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->mtu = NETNS_MTU_DEFAULT;
	o->max_flows = TG_MAX_FLOWS_DEFAULT;
	o->udp_timeout_s = TG_UDP_IDLE_MS_DEFAULT / 1000;
	o->drain_s = TG_DRAIN_MS_DEFAULT / 1000;
	policy_init(&o->policy);
}

void options_free(struct options *o)
{
	policy_free(&o->policy);
}

enum options_result options_parse(struct options *o, int argc, char **argv,
				  char *err, size_t errlen)
{
	int c;

	options_defaults(o);
	err[0] = '\0';
	opterr = 0;
	optind = 0;	/* full re-initialisation, for repeated calls */

	/* "+": stop at the first non-option, which starts the command. */
	while ((c = getopt_long(argc, argv, "+:vqh", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MTU:
			if (!number_option("mtu", optarg, NETNS_MTU_MIN,
					   NETNS_MTU_MAX, &o->mtu, err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_MAX_FLOWS:
			if (!number_option("max-flows", optarg, 1,
					   TG_MAX_FLOWS_LIMIT, &o->max_flows,
					   err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_UDP_TIMEOUT:
			if (!number_option("udp-timeout", optarg, 1, 86400,
					   &o->udp_timeout_s, err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_DRAIN_TIMEOUT:
			if (!number_option("drain-timeout", optarg, 0, 3600,
					   &o->drain_s, err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_ALLOW:
		case OPT_DENY:
			if (policy_add_rule(&o->policy,
					    c == OPT_ALLOW ? POLICY_ALLOW : POLICY_DENY,
					    optarg, c == OPT_ALLOW ? "--allow" : "--deny",
					    err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_POLICY:
			if (policy_load_file(&o->policy, optarg, err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_DEFAULT:
			if (policy_parse_default(&o->policy, optarg, err, errlen))
				return OPTIONS_ERROR;
			break;
		case OPT_AUDIT:
			o->audit = true;
			break;
		case OPT_FAIL_ON_DENY:
			o->fail_on_deny = true;
			break;
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_DNS:
			if (!strcmp(optarg, "forward")) {
				o->dns = OPTIONS_DNS_FORWARD;
			} else if (!strcmp(optarg, "fake")) {
				o->dns = OPTIONS_DNS_FAKE;
			} else if (!strcmp(optarg, "off")) {
				o->dns = OPTIONS_DNS_OFF;
			} else {
				snprintf(err, errlen, "--dns: '%s': expected forward, fake or off",
					 optarg);
				return OPTIONS_ERROR;
			}
			break;
		case 'v':
			o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return OPTIONS_EXIT;
		case OPT_VERSION:
			printf("tungate-run %s\n", TUNGATE_VERSION);
			return OPTIONS_EXIT;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value",
				 argv[optind - 1]);
			return OPTIONS_ERROR;
		default:
			if (optopt && optopt < 0x100)
				snprintf(err, errlen, "unknown option '-%c'",
					 optopt);
			else
				snprintf(err, errlen, "unknown option '%s'",
					 argv[optind - 1]);
			return OPTIONS_ERROR;
		}
	}

	if (optind >= argc) {
		snprintf(err, errlen, "no command given: tungate-run [OPTIONS] -- COMMAND");
		return OPTIONS_ERROR;
	}
	o->command = &argv[optind];
	return OPTIONS_RUN;
}

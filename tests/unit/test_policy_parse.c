/* test_policy_parse.c - unit tests of the rule parser (policy/rule_parse.c):
 * every HOST form, ports and their edges, the messages for what is wrong
 * (each quoting the rule and naming its origin), --default, and policy
 * files: comments, numbering, origins, and that nothing of a bad file is
 * kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"

static struct policy p;
static char err[512];

static int setup(void **state)
{
	(void)state;
	policy_init(&p);
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(&p);
	return 0;
}

/* Parse @text as --allow; it must be accepted. */
static const struct policy_rule *ok(const char *text)
{
	size_t n = p.n_rules;

	if (policy_add_rule(&p, POLICY_ALLOW, text, "--allow", err, sizeof(err)))
		fail_msg("'%s' refused: %s", text, err);
	assert_int_equal(p.n_rules, n + 1);
	return &p.rules[n];
}

/* Parse @text as --deny; it must be refused with @want in the message. */
static void bad(const char *text, const char *want)
{
	size_t n = p.n_rules;

	err[0] = '\0';
	if (!policy_add_rule(&p, POLICY_DENY, text, "--deny", err, sizeof(err)))
		fail_msg("'%s' accepted, expected: %s", text, want);
	assert_int_equal(p.n_rules, n);
	if (!strstr(err, want))
		fail_msg("'%s': got \"%s\", expected \"%s\"", text, err, want);
	if (strncmp(err, "--deny: '", 9))
		fail_msg("'%s': message \"%s\" does not start with the origin",
			 text, err);
}

static void expect_addr(const struct policy_rule *r, int family,
			const char *addr, unsigned int len)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(r->kind, POLICY_HOST_PREFIX);
	assert_int_equal(r->addr.family, family);
	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_memory_equal(r->addr.addr, want, family == AF_INET6 ? 16 : 4);
	assert_int_equal(r->prefix_len, len);
}

static void expect_ports(const struct policy_rule *r, unsigned int min,
			 unsigned int max)
{
	assert_int_equal(r->port_min, min);
	assert_int_equal(r->port_max, max);
}

static void test_ipv4(void **state)
{
	const struct policy_rule *r;

	(void)state;
	r = ok("10.0.0.1");
	expect_addr(r, AF_INET, "10.0.0.1", 32);
	expect_ports(r, 0, 65535);
	assert_int_equal(r->protos, POLICY_PROTO_ANY);
	assert_int_equal(r->action, POLICY_ALLOW);
	assert_string_equal(r->text, "allow 10.0.0.1");
	assert_string_equal(r->origin, "--allow");
	assert_null(r->name);

	expect_addr(ok("10.0.0.0/8"), AF_INET, "10.0.0.0", 8);
	expect_addr(ok("0.0.0.0/0"), AF_INET, "0.0.0.0", 0);
	expect_addr(ok("1.2.3.4/32"), AF_INET, "1.2.3.4", 32);
	expect_addr(ok("255.255.255.255"), AF_INET, "255.255.255.255", 32);
	expect_addr(ok("10.0.0.0/008"), AF_INET, "10.0.0.0", 8);

	r = ok("tcp:1.2.3.4:443");
	assert_int_equal(r->protos, POLICY_PROTO_TCP);
	expect_ports(r, 443, 443);
	r = ok("UDP:192.168.0.0/16:8000-9000");
	assert_int_equal(r->protos, POLICY_PROTO_UDP);
	expect_addr(r, AF_INET, "192.168.0.0", 16);
	expect_ports(r, 8000, 9000);
}

static void test_ipv6(void **state)
{
	const struct policy_rule *r;

	(void)state;
	expect_addr(ok("[::1]"), AF_INET6, "::1", 128);
	expect_addr(ok("[::/0]"), AF_INET6, "::", 0);
	expect_addr(ok("[::1/128]"), AF_INET6, "::1", 128);
	expect_addr(ok("[::ffff:1.2.3.4]"), AF_INET6, "::ffff:1.2.3.4", 128);
	r = ok("tcp:[2001:DB8::/32]:443");
	expect_addr(r, AF_INET6, "2001:db8::", 32);
	expect_ports(r, 443, 443);
	assert_int_equal(r->protos, POLICY_PROTO_TCP);
	expect_ports(ok("[fd12::1]:*"), 0, 65535);
}

static void test_ports(void **state)
{
	(void)state;
	expect_ports(ok("1.2.3.4:0"), 0, 0);
	expect_ports(ok("1.2.3.4:65535"), 65535, 65535);
	expect_ports(ok("1.2.3.4:0-65535"), 0, 65535);
	expect_ports(ok("1.2.3.4:80-80"), 80, 80);
	expect_ports(ok("1.2.3.4:*"), 0, 65535);
	expect_ports(ok("1.2.3.4:0443"), 443, 443);

	bad("1.2.3.4:65536", "port 65536 is more than 65535");
	bad("1.2.3.4:99999999999999999999999",
	    "port 99999999999999999999999 is more than 65535");
	bad("1.2.3.4:9000-8000", "port range 9000-8000 runs backwards");
	bad("1.2.3.4:", "missing port after ':'");
	bad("1.2.3.4:http", "'http' is not a port (write N, N-M or *)");
	bad("1.2.3.4:80-", "missing port number");
	bad("1.2.3.4:-80", "missing port number");
	bad("1.2.3.4:80-90-100", "'90-100' is not a port");
	bad("1.2.3.4:80x", "'80x' is not a port");
	bad("1.2.3.4:+80", "'+80' is not a port");
	bad("1.2.3.4:**", "'**' is not a port");
	bad("1.2.3.4:1-65536", "port 65536 is more than 65535");
}

static void test_keywords(void **state)
{
	const struct policy_rule *r;

	(void)state;
	r = ok("*");
	assert_int_equal(r->kind, POLICY_HOST_ANY);
	expect_ports(r, 0, 65535);
	r = ok("*:53");
	assert_int_equal(r->kind, POLICY_HOST_ANY);
	expect_ports(r, 53, 53);
	r = ok("udp:*:53");
	assert_int_equal(r->protos, POLICY_PROTO_UDP);
	r = ok("loopback:8080");
	assert_int_equal(r->kind, POLICY_HOST_LOOPBACK);
	expect_ports(r, 8080, 8080);
	r = ok("host:*");
	assert_int_equal(r->kind, POLICY_HOST_GATEWAY);
	expect_ports(r, 0, 65535);
	assert_int_equal(ok("LoopBack")->kind, POLICY_HOST_LOOPBACK);
	assert_int_equal(ok("tcp:HOST:22")->kind, POLICY_HOST_GATEWAY);

	/* With the trailing dot, they are hostnames. */
	r = ok("host.");
	assert_int_equal(r->kind, POLICY_HOST_NAME);
	assert_string_equal(r->name, "host");
	r = ok("loopback.:80");
	assert_int_equal(r->kind, POLICY_HOST_NAME);
	assert_string_equal(r->name, "loopback");
}

static void expect_name(const char *text, enum policy_host_kind kind,
			const char *name)
{
	const struct policy_rule *r = ok(text);

	assert_int_equal(r->kind, kind);
	assert_string_equal(r->name, name);
}

static void test_names(void **state)
{
	char label[80], name[300], want[300];
	int i;

	(void)state;
	expect_name("example.com", POLICY_HOST_NAME, "example.com");
	expect_name("Example.COM.", POLICY_HOST_NAME, "example.com");
	expect_name("localhost", POLICY_HOST_NAME, "localhost");
	expect_name("xn--bcher-kva.example", POLICY_HOST_NAME,
		    "xn--bcher-kva.example");
	expect_name("1e100.net", POLICY_HOST_NAME, "1e100.net");
	expect_name("a-b.c0", POLICY_HOST_NAME, "a-b.c0");
	expect_name("tcp", POLICY_HOST_NAME, "tcp");
	expect_name("*.example.com", POLICY_HOST_WILDCARD, "example.com");
	expect_name("*.Example.Com.", POLICY_HOST_WILDCARD, "example.com");
	expect_name("*.com", POLICY_HOST_WILDCARD, "com");
	expect_name("tcp:*.a.b:443", POLICY_HOST_WILDCARD, "a.b");
	assert_int_equal(p.rules[p.n_rules - 1].protos, POLICY_PROTO_TCP);

	/* A label of 63 characters, not 64. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	expect_name(name, POLICY_HOST_NAME, name);
	snprintf(name, sizeof(name), "%sa.com", label);
	bad(name, "is 64 characters long, more than 63");

	/* 253 characters in all, not 254 (the trailing dot does not count):
	 * three labels of 63 and one of 61. */
	name[0] = '\0';
	for (i = 0; i < 3; i++) {
		strcat(name, label);
		strcat(name, ".");
	}
	label[61] = '\0';
	strcat(name, label);
	assert_int_equal(strlen(name), 253);
	expect_name(name, POLICY_HOST_NAME, name);
	strcpy(want, name);
	strcat(name, ".");
	expect_name(name, POLICY_HOST_NAME, want);
	strcpy(name + 253, "a");
	bad(name, "hostname is 254 characters long, more than 253");
}

static void test_name_trailing_dot(void **state)
{
	const struct policy_rule *r;

	(void)state;
	r = ok("a.example.");
	assert_string_equal(r->name, "a.example");
	r = ok("*.example.:443");
	assert_string_equal(r->name, "example");
	expect_ports(r, 443, 443);
}

static void test_name_errors(void **state)
{
	(void)state;
	bad("exa_mple.com", "'_' is not allowed in a hostname");
	bad("a..b", "empty label (two dots in a row)");
	bad(".a", "hostname starts with a dot");
	bad("a.b..", "empty label");
	bad("-a.com", "label '-a' starts or ends with '-'");
	bad("a-.com", "label 'a-' starts or ends with '-'");
	bad("a*.com", "'*' may only be the whole leftmost label");
	bad("*.*.com", "'*' may only be the whole leftmost label");
	bad("foo.*", "'*' may only be the whole leftmost label");
	bad("**", "'*' may only be the whole leftmost label");
	bad("*.", "'*.' needs a domain after it");
	bad("*..", "'*.' needs a domain after it");
	bad("*.:80", "'*.' needs a domain after it");
	bad("b\xc3\xbc" "cher.de", "write internationalized names in "
	    "punycode (xn--...)");
	bad("foo.123", "'foo.123' is neither a hostname (its last label is "
	    "a number) nor an IPv4 address");
	bad("*.10.0.0.1", "is neither a hostname");
	bad("example.com/24", "a prefix length goes after an address, not "
	    "after a name");
	bad("a!b", "'!' is not allowed in a hostname");
	bad(".", "hostname starts with a dot");
}

/*
 * Hostnames as the grammar in docs/policy.md has them:
 *   - compared in lower case, one trailing dot ignored ("Example.COM." is
 *     "example.com"); a second trailing dot is an empty label;
 *   - "*" alone is the HOST that matches every flow, not a name: it has
 *     no name; "*." only as the whole leftmost label, followed by a
 *     domain ("*.example.com": names below it, any depth);
 *   - IDNs in their ASCII form (xn--, any case); a rule with any
 *     non-ASCII byte (UTF-8 or not) is refused, the message naming the
 *     origin, quoting the rule with the bytes escaped, and saying to use
 *     punycode. tungate converts nothing: ASCII is what DNS carries.
 */
static void test_name_idn(void **state)
{
	const struct policy_rule *r;

	(void)state;
	expect_name("xn--bcher-kva.example", POLICY_HOST_NAME,
		    "xn--bcher-kva.example");
	expect_name("XN--BCHER-KVA.Example.", POLICY_HOST_NAME,
		    "xn--bcher-kva.example");
	expect_name("*.xn--bcher-kva.example", POLICY_HOST_WILDCARD,
		    "xn--bcher-kva.example");
	r = ok("tcp:www.xn--80ak6aa92e.com:443");
	assert_string_equal(r->name, "www.xn--80ak6aa92e.com");
	expect_ports(r, 443, 443);

	assert_int_equal(policy_add_rule(&p, POLICY_ALLOW, "b\xc3\xbc" "cher"
					 ".example", "--allow", err,
					 sizeof(err)), -1);
	assert_string_equal(err, "--allow: 'b\\xc3\\xbccher.example': "
			    "non-ASCII character: write internationalized "
			    "names in punycode (xn--...)");
	bad("*.b\xc3\xbc" "cher.example", "write internationalized names in "
	    "punycode");
	bad("tcp:\xd0\xbf\xd1\x80\xd0\xb8.example:443", "--deny: 'tcp:"
	    "\\xd0\\xbf\\xd1\\x80\\xd0\\xb8.example:443': non-ASCII");
	/* Latin-1, not UTF-8: refused just the same */
	bad("b\xfc" "cher.example", "'b\\xfccher.example': non-ASCII");
	assert_int_equal(p.n_rules, 4);
}

static void test_name_star_forms(void **state)
{
	const struct policy_rule *r;

	(void)state;
	r = ok("*");
	assert_int_equal(r->kind, POLICY_HOST_ANY);
	assert_null(r->name);
	r = ok("tcp:*:443");
	assert_int_equal(r->kind, POLICY_HOST_ANY);
	assert_null(r->name);
	expect_name("*.Com.", POLICY_HOST_WILDCARD, "com");
	expect_name("*.a.b.c.example", POLICY_HOST_WILDCARD, "a.b.c.example");

	bad("*example.com", "'*' may only be the whole leftmost label");
	bad("a.*.com", "'*' may only be the whole leftmost label");
	bad("*-x.example", "'*' may only be the whole leftmost label");
	bad("*.example.com.*", "'*' may only be the whole leftmost label");
	bad("*.*", "'*' may only be the whole leftmost label");
	bad("*..example.com", "hostname starts with a dot");
	bad("*.example.com..", "empty label (two dots in a row)");
	bad("example.com..", "empty label (two dots in a row)");
	bad("..", "hostname starts with a dot");
}

static void test_address_errors(void **state)
{
	(void)state;
	bad("10.0.0.0/33", "prefix length 33 is more than 32");
	bad("[::/129]", "prefix length 129 is more than 128");
	bad("10.0.0.0/", "missing prefix length after '/'");
	bad("[::1/]", "missing prefix length after '/'");
	bad("10.0.0.0/x", "prefix length 'x' is not a number");
	bad("10.0.0.0/-1", "prefix length '-1' is not a number");
	bad("/8", "missing address before '/'");
	bad("010.0.0.1", "010 in '010.0.0.1' has a leading zero (octal is "
	    "not accepted)");
	bad("10.0.0.01", "01 in '10.0.0.01' has a leading zero");
	bad("10.0.0.256", "256 in '10.0.0.256' is more than 255");
	bad("10.0.0.99999999999", "99999999999 in '10.0.0.99999999999' is "
	    "more than 255");
	bad("1.2.3", "an IPv4 address has four numbers, '1.2.3' has 3");
	bad("1.2.3.4.5", "an IPv4 address has four numbers, '1.2.3.4.5' has 5");
	bad("10", "'10' is not a host; for port 10 on any host, write *:10");
	bad("tcp:443", "'443' is not a host; for port 443 on any host, write "
	    "*:443");
	bad("udp:8000-9000", "'8000-9000' is not a host; for ports on any "
	    "host, write *:8000-9000");
	bad("a.8-9", "'a.8-9' is neither a hostname");
	bad("10/8", "an IPv4 address has four numbers, '10' has 1");
	bad("1..2.3", "'1..2.3' has an empty number between dots");
	bad("1.2.3.4.", "has an empty number between dots");
	bad("10.0.0.1/8", "10.0.0.1/8 has host bits set; did you mean "
	    "10.0.0.0/8?");
	bad("1.2.3.4/0", "did you mean 0.0.0.0/0?");
	bad("10.0.0.129/25", "did you mean 10.0.0.128/25?");
	bad("[2001:db8::1/32]", "2001:db8::1/32 has host bits set; did you "
	    "mean [2001:db8::/32]?");
	bad("[::1/0]", "did you mean [::/0]?");
	bad("::1", "write IPv6 addresses in brackets: [::1]");
	bad("fe80::1", "write IPv6 addresses in brackets: [fe80::1]");
	bad("2001:db8::/32", "write IPv6 addresses in brackets: "
	    "[2001:db8::/32]");
	bad("tcp:::1:443", "write IPv6 addresses in brackets");
	bad("2001:db8::zz:443", "too many ':'");
	bad("[fe80::1%eth0]", "zone indexes ('%') are not supported in "
	    "'fe80::1%eth0'");
	bad("[1.2.3.4]", "write IPv4 addresses without brackets: 1.2.3.4");
	bad("[example.com]", "'example.com' is not an IPv6 address");
	bad("[]", "no address in the brackets");
	bad("[::1", "missing ']' after the IPv6 address");
	bad("[::1]/64", "write the prefix length inside the brackets: "
	    "[ADDRESS/LEN]");
	bad("[::1]x", "unexpected 'x' after ']'");
	bad("[::1]:", "missing port after ':'");
	bad("[::1]:70000", "port 70000 is more than 65535");
	bad("::1]", "']' without '['");
	bad("1.2.3.4]", "']' without '['");
}

static void test_rule_errors(void **state)
{
	char longrule[1100];

	(void)state;
	bad("", "empty rule");
	bad("tcp:", "missing host after 'tcp:'");
	bad("udp:", "missing host after 'udp:'");
	bad(":80", "missing host before ':'");
	bad("tcp::80", "missing host before ':'");
	bad("a b", "a rule has no spaces");
	bad(" 1.2.3.4", "a rule has no spaces");
	bad("1.2.3.4\t", "a rule has no spaces");
	bad("a\x01", "--deny: 'a\\x01': control character \\x01");
	bad("example.com:80:90", "too many ':'");
	bad("icmp:1.2.3.4:5", "unknown protocol 'icmp' (write tcp: or udp:)");
	bad("tcp:udp:1.2.3.4:5", "give the protocol once");
	memset(longrule, 'a', sizeof(longrule) - 1);
	longrule[sizeof(longrule) - 1] = '\0';
	bad(longrule, "rule is longer than 1024 characters");
	/* The quotation is shortened. */
	assert_non_null(strstr(err, "aaa...'"));
}

static void test_message_format(void **state)
{
	(void)state;
	assert_int_equal(policy_add_rule(&p, POLICY_DENY, "tcp:10.0.0.0/33",
					 "rules.txt:3", err, sizeof(err)), -1);
	assert_string_equal(err, "rules.txt:3: 'tcp:10.0.0.0/33': prefix "
			    "length 33 is more than 32");
	assert_int_equal(policy_add_rule(&p, POLICY_ALLOW, "it's", "--allow",
					 err, sizeof(err)), -1);
	assert_string_equal(err, "--allow: 'it\\'s': ''' is not allowed in a "
			    "hostname (letters, digits and '-' only)");
	/* A small buffer is filled, and terminated. */
	assert_int_equal(policy_add_rule(&p, POLICY_DENY, "x/1", "--deny",
					 err, 10), -1);
	assert_string_equal(err, "--deny: '");
}

static void test_numbering(void **state)
{
	(void)state;
	ok("a.example");
	assert_int_equal(policy_add_rule(&p, POLICY_DENY, "*", "--deny", err,
					 sizeof(err)), 0);
	ok("b.example");
	assert_int_equal(p.rules[0].number, 1);
	assert_int_equal(p.rules[1].number, 2);
	assert_int_equal(p.rules[2].number, 3);
	assert_string_equal(p.rules[1].text, "deny *");
	assert_string_equal(p.rules[1].origin, "--deny");
	assert_int_equal(p.rules[1].action, POLICY_DENY);
}

static void test_default(void **state)
{
	(void)state;
	assert_int_equal(p.default_action, POLICY_DENY);
	assert_int_equal(policy_parse_default(&p, "allow", err, sizeof(err)), 0);
	assert_int_equal(p.default_action, POLICY_ALLOW);
	assert_int_equal(policy_parse_default(&p, "DENY", err, sizeof(err)), 0);
	assert_int_equal(p.default_action, POLICY_DENY);
	assert_int_equal(policy_parse_default(&p, "maybe", err, sizeof(err)), -1);
	assert_string_equal(err, "--default: 'maybe': expected allow or deny");
	assert_int_equal(policy_parse_default(&p, "", err, sizeof(err)), -1);
	assert_int_equal(p.default_action, POLICY_DENY);
}

/* --- Policy files ------------------------------------------------------- */

static char path[64];

static const char *write_file(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/tungate-policy-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static int load_text(const char *text)
{
	int ret;

	write_file(text);
	ret = policy_load_file(&p, path, err, sizeof(err));
	unlink(path);
	return ret;
}

static int load_mem(const char *text, size_t len)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	assert_non_null(f);
	ret = policy_load_stream(&p, f, "rules.txt", err, sizeof(err));
	fclose(f);
	return ret;
}

static int load_str(const char *text)
{
	return load_mem(text, strlen(text));
}

static void test_file(void **state)
{
	char origin[80];

	(void)state;
	ok("first.example");
	assert_int_equal(load_text("# tungate policy\n"
				   "\n"
				   "allow tcp:*.example.com:443   # the API\n"
				   "\tdeny\t  10.0.0.0/8\r\n"
				   "   \n"
				   "DEFAULT ALLOW\n"
				   "Allow [::1]:53"), 0);
	assert_int_equal(p.n_rules, 4);
	assert_int_equal(p.default_action, POLICY_ALLOW);
	assert_string_equal(p.rules[1].text, "allow tcp:*.example.com:443");
	assert_int_equal(p.rules[1].number, 2);
	snprintf(origin, sizeof(origin), "%s:3", path);
	assert_string_equal(p.rules[1].origin, origin);
	assert_string_equal(p.rules[2].text, "deny 10.0.0.0/8");
	assert_int_equal(p.rules[2].action, POLICY_DENY);
	snprintf(origin, sizeof(origin), "%s:4", path);
	assert_string_equal(p.rules[2].origin, origin);
	assert_int_equal(p.rules[3].number, 4);
	assert_int_equal(p.rules[3].action, POLICY_ALLOW);
	expect_ports(&p.rules[3], 53, 53);
	/* Rules after the file follow on. */
	assert_int_equal(ok("last.example")->number, 5);
}

static void test_file_bad_keeps_nothing(void **state)
{
	char want[128];

	(void)state;
	ok("first.example");
	assert_int_equal(load_text("default allow\n"
				   "allow 1.2.3.4\n"
				   "deny tcp:10.0.0.0/33\n"
				   "allow 5.6.7.8\n"), -1);
	snprintf(want, sizeof(want), "%s:3: 'tcp:10.0.0.0/33': prefix length "
		 "33 is more than 32", path);
	assert_string_equal(err, want);
	assert_int_equal(p.n_rules, 1);
	assert_int_equal(p.default_action, POLICY_DENY);
	assert_int_equal(ok("next.example")->number, 2);
}

static void bad_file(const char *text, const char *want)
{
	size_t n = p.n_rules;

	err[0] = '\0';
	if (!load_str(text))
		fail_msg("file accepted: \"%s\"", text);
	assert_int_equal(p.n_rules, n);
	if (strcmp(err, want))
		fail_msg("got \"%s\", expected \"%s\"", err, want);
}

static void test_file_errors(void **state)
{
	static const char nul[] = "allow 1.2.3.4\nallow a\0b\n";
	char longline[5000];

	(void)state;
	bad_file("permit 1.2.3.4\n", "rules.txt:1: 'permit 1.2.3.4': unknown "
		 "keyword 'permit' (allow, deny or default)");
	bad_file("\n\nallow\n", "rules.txt:3: 'allow': a word must follow, as "
		 "in 'allow tcp:example.com:443'");
	bad_file("deny # nothing\n", "rules.txt:1: 'deny': a word must follow, "
		 "as in 'deny udp:*:53'");
	bad_file("allow 1.2.3.4 5.6.7.8 # two\n", "rules.txt:1: 'allow 1.2.3.4 "
		 "5.6.7.8': one rule per line; unexpected '5.6.7.8'");
	bad_file("default\n", "rules.txt:1: 'default': a word must follow, as "
		 "in 'default deny'");
	bad_file("default maybe\n", "rules.txt:1: 'default maybe': expected "
		 "'default allow' or 'default deny'");
	bad_file("default allow please\n", "rules.txt:1: 'default allow "
		 "please': expected 'default allow' or 'default deny'");
	bad_file("default allow\n# x\ndefault deny\n", "rules.txt:3: 'default "
		 "deny': a second default (the first is on line 1)");
	bad_file("allow \x1b[31m\n", "rules.txt:1: '\\x1b[31m': control "
		 "character \\x1b");
	bad_file("\x1b[2J 1.2.3.4\n", "rules.txt:1: '\\x1b[2J 1.2.3.4': "
		 "unknown keyword '?[2J' (allow, deny or default)");
	bad_file("allow ::1\n", "rules.txt:1: '::1': write IPv6 addresses in "
		 "brackets: [::1] (with a port: [ADDRESS]:PORT)");

	assert_int_equal(load_mem(nul, sizeof(nul) - 1), -1);
	assert_string_equal(err, "rules.txt:2: 'allow a': line contains a "
			    "NUL byte");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "allow ", 6);
	bad_file(longline, "rules.txt:1: 'allow aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "...': line is longer than 4096 characters");
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(p.default_action, POLICY_DENY);

	/* 4096 characters and the newline are fine. */
	memset(longline, ' ', 4096);
	memcpy(longline, "allow *", 7);
	strcpy(longline + 4096, "\n");
	assert_int_equal(load_str(longline), 0);
	assert_int_equal(p.n_rules, 1);
}

static void test_file_idn(void **state)
{
	(void)state;
	assert_int_equal(load_str("allow xn--bcher-kva.example\n"
				  "allow *.XN--BCHER-KVA.example.\n"), 0);
	assert_int_equal(p.n_rules, 2);
	assert_string_equal(p.rules[1].name, "xn--bcher-kva.example");
	assert_int_equal(p.rules[1].kind, POLICY_HOST_WILDCARD);

	bad_file("# IDN\nallow tcp:b\xc3\xbc" "cher.example:443\n",
		 "rules.txt:2: 'tcp:b\\xc3\\xbccher.example:443': non-ASCII "
		 "character: write internationalized names in punycode "
		 "(xn--...)");
	assert_int_equal(p.n_rules, 2);
}

static void test_file_empty_and_comments(void **state)
{
	(void)state;
	assert_int_equal(load_mem("", 0), 0);
	assert_int_equal(load_str("# only a comment\n\n   \t\n#allow *\n"), 0);
	assert_int_equal(p.n_rules, 0);
	/* '#' starts a comment anywhere. */
	assert_int_equal(load_str("allow a.example#comment\n"), 0);
	assert_int_equal(p.n_rules, 1);
	assert_string_equal(p.rules[0].name, "a.example");
	assert_string_equal(p.rules[0].origin, "rules.txt:1");
}

static void test_file_open_errors(void **state)
{
	(void)state;
	assert_int_equal(policy_load_file(&p, "/nonexistent/rules.txt", err,
					  sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/rules.txt: No such file or "
			    "directory");
	assert_int_equal(policy_load_file(&p, "/", err, sizeof(err)), -1);
	assert_string_equal(err, "/: Is a directory");
	assert_int_equal(p.n_rules, 0);
}

static void test_free_resets(void **state)
{
	(void)state;
	ok("*");
	assert_int_equal(policy_parse_default(&p, "allow", err, sizeof(err)), 0);
	policy_free(&p);
	assert_int_equal(p.n_rules, 0);
	assert_null(p.rules);
	assert_null(p.index);
	assert_int_equal(p.default_action, POLICY_DENY);
	assert_int_equal(ok("*")->number, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keywords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_trailing_dot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_name_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_idn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_star_forms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_address_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rule_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numbering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_bad_keeps_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_idn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_empty_and_comments,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_open_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_resets, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

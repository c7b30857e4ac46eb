/* rule_parse.c - from text to rules: one RULE from --allow / --deny, a
 * --policy file, and the word of --default.
 *
 * Theory of operation
 *
 *   RULE  := [tcp:|udp:]HOST[:PORTS]
 *   HOST  := a.b.c.d | a.b.c.d/len | [v6] | [v6/len] | name | *.domain
 *            | * | loopback | host
 *   PORTS := N | N-M | *                  (absent: *)
 *
 * A rule is parsed left to right: the protocol prefix, then HOST and PORTS
 * split at the one ':' outside brackets, then each part on its own. The
 * first thing found wrong ends the parse with one message that names
 * where the rule came from, quotes it, and says what is wrong:
 *
 *   rules.txt:3: 'tcp:10.0.0.0/33': prefix length 33 is more than 32
 *
 * Choices where the grammar leaves room:
 *   - Addresses follow inet_pton(3): IPv4 is four decimal numbers 0-255,
 *     no leading zeros, no shorthand; IPv6 goes in brackets, without a
 *     zone. Anything made only of digits and dots is taken for an IPv4
 *     address, so "10.0.0.256" is a bad address, not a hostname.
 *   - A prefix with host bits set ("10.0.0.1/8") is refused, with the
 *     masked prefix suggested: silently widening an allow rule is worse
 *     than asking for a fix.
 *   - Hostnames: LDH labels of 1-63 characters, at most 253 in all,
 *     compared in lower case, one trailing dot ignored; internationalized
 *     names in punycode (xn--); "*" only as the whole leftmost label. A
 *     last label made of digits (and '-') is refused: no top-level domain
 *     is one, and "udp:8000-9000" is more likely ports than a host.
 *   - "loopback" and "host" are keywords; a machine really called so is
 *     written with its trailing dot: "host.", "loopback.". So is one
 *     called "tcp" or "udp" when a port follows: "tcp:80" is protocol
 *     TCP and host "80" (refused, with a hint to write "*:80").
 *   - Keywords, protocols and names are case-insensitive. Ports and
 *     prefix lengths are decimal; leading zeros there are harmless and
 *     accepted.
 *   - Port 0 is a port like any other (a UDP datagram can be sent to it).
 *
 * A policy file is read whole before anything is kept: a bad line leaves
 * the policy as it was. A second "default" line in one file is an error,
 * since which one was meant cannot be told.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

/* Longest RULE accepted; no sensible one comes near. */
#define RULE_TEXT_MAX		1024
/* Longest line of a policy file. */
#define POLICY_LINE_MAX		4096
/* Most rules in a policy (rule numbers and the index use 32 bits). */
#define POLICY_RULES_MAX	1000000
/* Longest quotation of the user's text in a message. */
#define QUOTE_MAX		96
/* "PATH:LINE" */
#define ORIGIN_MAX		(PATH_MAX + 24)
/* White space between the words of a policy file's line. */
#define SPACES			" \t\v\f\r"
/* The third keyword of a policy file, after POLICY_ALLOW and POLICY_DENY. */
#define KEYWORD_DEFAULT		2
#define DIGITS			"0123456789"
#define HEXDIGITS		DIGITS "abcdefABCDEF"

/**
 * struct rule_ctx - where a rule came from, for its error message
 * @origin:	"--allow", "FILE:LINE", ...
 * @text:	the rule as given
 * @err:	message buffer
 * @errlen:	its size
 */
struct rule_ctx {
	const char *origin;
	const char *text;
	char *err;
	size_t errlen;
};

/**
 * quote() - @text made safe to print inside '...', shortened if long
 * @text:	anything
 * @buf:	output
 * @len:	its size, at least 4 * QUOTE_MAX + 4
 *
 * Control and non-ASCII bytes become \xNN, quotes and backslashes are
 * escaped, and the end of a long text becomes "...".
 *
 * Return: @buf
 */
static char *quote(const char *text, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; text[i] && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (i == QUOTE_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch < 0x20 || ch >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 0xf];
		} else {
			if (ch == '\'' || ch == '\\')
				buf[o++] = '\\';
			buf[o++] = (char)ch;
		}
	}
	buf[o] = '\0';
	return buf;
}

/**
 * fail() - write "ORIGIN: 'TEXT': MESSAGE" to the context's buffer
 * @c:		context
 * @fmt:	what is wrong, printf format
 *
 * Return: -1
 */
__attribute__((format(printf, 2, 3)))
static int fail(const struct rule_ctx *c, const char *fmt, ...)
{
	char q[4 * QUOTE_MAX + 8], what[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* Parts of a policy file's line may hold any byte but NUL. */
	for (i = 0; what[i]; i++) {
		if ((unsigned char)what[i] < 0x20 || (unsigned char)what[i] >= 0x7f)
			what[i] = '?';
	}
	if (c->errlen)
		snprintf(c->err, c->errlen, "%s: '%s': %s", c->origin,
			 quote(c->text, q, sizeof(q)), what);
	return -1;
}

/**
 * rule_clear() - free what a parsed rule owns
 * @r:		rule, zeroed afterwards
 */
static void rule_clear(struct policy_rule *r)
{
	free(r->name);
	free(r->text);
	free(r->origin);
	memset(r, 0, sizeof(*r));
}

/**
 * check_chars() - refuse spaces, control and non-ASCII bytes up front
 * @c:		context; @c->text is checked
 *
 * After this, every part of the rule can be printed as it is.
 * Return: 0, or -1 with the message set
 */
static int check_chars(const struct rule_ctx *c)
{
	const unsigned char *s = (const unsigned char *)c->text;
	size_t i;

	if (!*s)
		return fail(c, "empty rule");
	for (i = 0; s[i]; i++) {
		if (i >= RULE_TEXT_MAX)
			return fail(c, "rule is longer than %d characters",
				    RULE_TEXT_MAX);
		if (s[i] == ' ' || s[i] == '\t')
			return fail(c, "a rule has no spaces");
		if (s[i] < 0x20 || s[i] == 0x7f)
			return fail(c, "control character \\x%02x", s[i]);
		if (s[i] >= 0x80)
			return fail(c, "non-ASCII character: write "
				    "internationalized names in punycode (xn--...)");
	}
	return 0;
}

/**
 * all_of() - whether the first @len bytes of @s are all in @set
 * @s:		text
 * @len:	how many bytes
 * @set:	characters allowed
 */
static bool all_of(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!s[i] || !strchr(set, s[i]))
			return false;
	}
	return true;
}

/**
 * parse_number() - a decimal number, at most @max
 * @s:		digits (not NUL-terminated)
 * @len:	how many
 * @max:	largest value accepted
 * @val:	output
 *
 * Return: 0; -1 if @s is empty or not all digits; 1 if more than @max
 */
static int parse_number(const char *s, size_t len, unsigned long max,
			unsigned long *val)
{
	unsigned long v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= max)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*val = v;
	return v > max ? 1 : 0;
}

/**
 * parse_port() - one port number of PORTS
 * @c:		context
 * @s:		text
 * @len:	its length
 * @port:	output
 *
 * Return: 0, or -1 with the message set
 */
static int parse_port(const struct rule_ctx *c, const char *s, size_t len,
		      uint16_t *port)
{
	unsigned long v;
	int ret = parse_number(s, len, 65535, &v);

	if (ret < 0 && !len)
		return fail(c, "missing port number");
	if (ret < 0)
		return fail(c, "'%.*s' is not a port (write N, N-M or *)",
			    (int)len, s);
	if (ret > 0)
		return fail(c, "port %.*s is more than 65535", (int)len, s);
	*port = (uint16_t)v;
	return 0;
}

/**
 * parse_ports() - PORTS: "N", "N-M", "*", or nothing (NULL) for all
 * @c:		context
 * @r:		rule to fill
 * @s:		the text after HOST's ':', or NULL if there was none
 *
 * Return: 0, or -1 with the message set
 */
static int parse_ports(const struct rule_ctx *c, struct policy_rule *r,
		       const char *s)
{
	const char *dash;

	r->port_min = 0;
	r->port_max = 65535;
	if (!s || !strcmp(s, "*"))
		return 0;
	if (!*s)
		return fail(c, "missing port after ':' (write N, N-M or *)");
	dash = strchr(s, '-');
	if (!dash) {
		if (parse_port(c, s, strlen(s), &r->port_min))
			return -1;
		r->port_max = r->port_min;
		return 0;
	}
	if (parse_port(c, s, (size_t)(dash - s), &r->port_min) ||
	    parse_port(c, dash + 1, strlen(dash + 1), &r->port_max))
		return -1;
	if (r->port_min > r->port_max)
		return fail(c, "port range %u-%u runs backwards", r->port_min,
			    r->port_max);
	return 0;
}

/**
 * ipv4_why() - why text made of digits and dots is not an IPv4 address
 * @c:		context
 * @s:		the address text (NUL-terminated)
 * @prefix:	whether a prefix length followed
 *
 * Return: -1, with the message set
 */
static int ipv4_why(const struct rule_ctx *c, const char *s, bool prefix)
{
	const char *part = s;
	int n = 0;

	if (!prefix && *s && !strchr(s, '.'))
		return fail(c, "'%s' is not a host; for port %s on any host, "
			    "write *:%s", s, s, s);
	for (;;) {
		size_t len = strcspn(part, ".");
		unsigned long v;

		n++;
		if (!len)
			return fail(c, "'%s' has an empty number between dots",
				    s);
		if (parse_number(part, len, 255, &v))
			return fail(c, "%.*s in '%s' is more than 255",
				    (int)len, part, s);
		if (len > 1 && part[0] == '0')
			return fail(c, "%.*s in '%s' has a leading zero "
				    "(octal is not accepted)", (int)len, part, s);
		if (!part[len])
			break;
		part += len + 1;
	}
	return fail(c, "an IPv4 address has four numbers, '%s' has %d", s, n);
}

/**
 * ipv6_why() - why the text in brackets is not an IPv6 address
 * @c:		context
 * @s:		the address text (NUL-terminated)
 *
 * Return: -1, with the message set
 */
static int ipv6_why(const struct rule_ctx *c, const char *s)
{
	struct in_addr a4;

	if (!*s)
		return fail(c, "no address in the brackets");
	if (strchr(s, '%'))
		return fail(c, "zone indexes ('%%') are not supported in '%s'",
			    s);
	if (inet_pton(AF_INET, s, &a4) == 1)
		return fail(c, "write IPv4 addresses without brackets: %s", s);
	return fail(c, "'%s' is not an IPv6 address", s);
}

/**
 * mask_addr() - clear the bits of @addr beyond @len
 * @addr:	address bytes
 * @n:		how many (4 or 16)
 * @len:	prefix length
 */
static void mask_addr(uint8_t *addr, size_t n, unsigned int len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		addr[i] &= (uint8_t)(0xff00 >> len);
		len = 0;
	}
}

/**
 * check_host_bits() - refuse "10.0.0.1/8", suggesting "10.0.0.0/8"
 * @c:		context
 * @r:		rule with its address and prefix length set
 *
 * Return: 0, or -1 with the message set
 */
static int check_host_bits(const struct rule_ctx *c, const struct policy_rule *r)
{
	char have[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	struct tg_endpoint m = r->addr;
	size_t n = tg_endpoint_addr_len(&m);
	bool v6 = m.family == AF_INET6;

	mask_addr(m.addr, n, r->prefix_len);
	if (!memcmp(m.addr, r->addr.addr, n))
		return 0;
	tg_addr_format(&r->addr, have, sizeof(have));
	tg_addr_format(&m, want, sizeof(want));
	return fail(c, "%s/%u has host bits set; did you mean %s%s/%u%s?",
		    have, r->prefix_len, v6 ? "[" : "", want, r->prefix_len,
		    v6 ? "]" : "");
}

/**
 * parse_prefix() - an address with an optional "/len"
 * @c:		context
 * @r:		rule to fill
 * @family:	AF_INET or AF_INET6
 * @s:		"ADDR" or "ADDR/LEN" (brackets removed)
 * @len:	length of @s
 *
 * Return: 0, or -1 with the message set
 */
static int parse_prefix(const struct rule_ctx *c, struct policy_rule *r,
			int family, const char *s, size_t len)
{
	unsigned int max = family == AF_INET6 ? 128 : 32;
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char buf[INET6_ADDRSTRLEN + 16];
	unsigned long plen = max;
	int ret;

	if (alen >= sizeof(buf))
		return fail(c, "'%.24s...' is too long for an address", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.family = (sa_family_t)family;
	if (inet_pton(family, buf, r->addr.addr) != 1)
		return family == AF_INET6 ? ipv6_why(c, buf) :
					    ipv4_why(c, buf, slash);
	if (slash) {
		size_t llen = len - alen - 1;

		ret = parse_number(slash + 1, llen, max, &plen);
		if (ret < 0 && !llen)
			return fail(c, "missing prefix length after '/'");
		if (ret < 0)
			return fail(c, "prefix length '%.*s' is not a number",
				    (int)llen, slash + 1);
		if (ret > 0)
			return fail(c, "prefix length %.*s is more than %u",
				    (int)llen, slash + 1, max);
	}
	r->kind = POLICY_HOST_PREFIX;
	r->prefix_len = (unsigned int)plen;
	return check_host_bits(c, r);
}

/**
 * check_label() - one label of a hostname
 * @c:		context
 * @s:		the label
 * @len:	its length (not 0)
 *
 * Return: 0, or -1 with the message set
 */
static int check_label(const struct rule_ctx *c, const char *s, size_t len)
{
	size_t i;

	if (len > POLICY_LABEL_MAX)
		return fail(c, "label '%.16s...' is %zu characters long, more "
			    "than %d", s, len, POLICY_LABEL_MAX);
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)s[i]) || s[i] == '-')
			continue;
		if (s[i] == '*')
			return fail(c, "'*' may only be the whole leftmost "
				    "label, as in *.example.com");
		return fail(c, "'%c' is not allowed in a hostname (letters, "
			    "digits and '-' only)", s[i]);
	}
	if (s[0] == '-' || s[len - 1] == '-')
		return fail(c, "label '%.*s' starts or ends with '-'", (int)len,
			    s);
	return 0;
}

/**
 * start_of_last() - where the last label of a name starts
 * @s:		name
 * @len:	its length
 *
 * Return: the offset of its last label
 */
static size_t start_of_last(const char *s, size_t len)
{
	size_t i = len;

	while (i && s[i - 1] != '.')
		i--;
	return i;
}

/**
 * check_hostname() - LDH labels, lengths, no empty label, no number last
 * @c:		context
 * @s:		name, without "*." and without the trailing dot
 * @len:	its length
 * @wildcard:	whether "*." came before: it counts towards the 253
 *		characters, since every name it matches is that long
 *
 * Return: 0, or -1 with the message set
 */
static int check_hostname(const struct rule_ctx *c, const char *s, size_t len,
			  bool wildcard)
{
	size_t start = 0, i;
	bool digits = true;

	if (!len)
		return fail(c, "empty hostname");
	if (len + (wildcard ? 2 : 0) > POLICY_NAME_MAX)
		return fail(c, "hostname is %zu characters long, more than %d",
			    len + (wildcard ? 2 : 0), POLICY_NAME_MAX);
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (i == start)
			return fail(c, start ? "empty label (two dots in a row)"
					     : "hostname starts with a dot");
		if (check_label(c, s + start, i - start))
			return -1;
		digits = all_of(s + start, i - start, DIGITS "-");
		start = i + 1;
	}
	if (digits && !start_of_last(s, len))
		return fail(c, "'%.*s' is not a host; for ports on any host, "
			    "write *:%.*s", (int)len, s, (int)len, s);
	if (digits)
		return fail(c, "'%.*s' is neither a hostname (its last label "
			    "is a number) nor an IPv4 address", (int)len, s);
	return 0;
}

/**
 * parse_name() - "name" or "*.domain", any case, optional trailing dot
 * @c:		context
 * @r:		rule to fill
 * @s:		the HOST text
 * @len:	its length
 *
 * Return: 0, or -1 with the message set
 */
static int parse_name(const struct rule_ctx *c, struct policy_rule *r,
		      const char *s, size_t len)
{
	bool wildcard = len >= 2 && s[0] == '*' && s[1] == '.';
	size_t i;

	if (wildcard) {
		s += 2;
		len -= 2;
		if (!len || (len == 1 && s[0] == '.'))
			return fail(c, "'*.' needs a domain after it, as in "
				    "*.example.com");
	}
	if (len > 1 && s[len - 1] == '.')
		len--;
	if (check_hostname(c, s, len, wildcard))
		return -1;
	r->kind = wildcard ? POLICY_HOST_WILDCARD : POLICY_HOST_NAME;
	r->name = malloc(len + 1);
	if (!r->name)
		return fail(c, "out of memory");
	for (i = 0; i < len; i++)
		r->name[i] = (char)tolower((unsigned char)s[i]);
	r->name[len] = '\0';
	return 0;
}

/**
 * parse_host() - HOST, in any of its forms
 * @c:		context
 * @r:		rule to fill
 * @s:		the HOST text
 * @len:	its length
 *
 * Return: 0, or -1 with the message set
 */
static int parse_host(const struct rule_ctx *c, struct policy_rule *r,
		      const char *s, size_t len)
{
	const char *slash;
	size_t alen;

	if (!len)
		return fail(c, "missing host before ':'");
	if (len == 1 && s[0] == '*') {
		r->kind = POLICY_HOST_ANY;
		return 0;
	}
	if (len == 8 && !strncasecmp(s, "loopback", 8)) {
		r->kind = POLICY_HOST_LOOPBACK;
		return 0;
	}
	if (len == 4 && !strncasecmp(s, "host", 4)) {
		r->kind = POLICY_HOST_GATEWAY;
		return 0;
	}
	if (s[0] == '[')	/* split_host() checked the ']' */
		return parse_prefix(c, r, AF_INET6, s + 1, len - 2);
	slash = memchr(s, '/', len);
	if (slash == s)
		return fail(c, "missing address before '/'");
	alen = slash ? (size_t)(slash - s) : len;
	if (all_of(s, alen, DIGITS ".") && !all_of(s, alen, "."))
		return parse_prefix(c, r, AF_INET, s, len);
	if (slash)
		return fail(c, "a prefix length goes after an address, not "
			    "after a name");
	return parse_name(c, r, s, len);
}

/**
 * too_many_colons() - explain a HOST[:PORTS] with more than one ':'
 * @c:		context
 * @s:		the text after the protocol prefix
 * @proto:	whether a protocol prefix was given
 *
 * Return: -1, with the message set
 */
static int too_many_colons(const struct rule_ctx *c, const char *s, bool proto)
{
	size_t first = strcspn(s, ":");
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 16];
	size_t alen;

	/* Only hex digits, ':', '/' and the dots of a trailing IPv4 part. */
	if (all_of(s, strlen(s), HEXDIGITS ":./") &&
	    !memchr(s, '.', (size_t)(strrchr(s, ':') - s))) {
		alen = strcspn(s, "/");
		if (alen < sizeof(buf)) {
			memcpy(buf, s, alen);
			buf[alen] = '\0';
			if (inet_pton(AF_INET6, buf, &a6) == 1)
				return fail(c, "write IPv6 addresses in "
					    "brackets: [%s] (with a port: "
					    "[ADDRESS]:PORT)", s);
		}
		return fail(c, "write IPv6 addresses in brackets: "
			    "[ADDRESS]:PORT");
	}
	if ((first == 3 && (!strncasecmp(s, "tcp", 3) ||
			    !strncasecmp(s, "udp", 3))) && proto)
		return fail(c, "give the protocol once");
	if (first && strspn(s, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == first && !proto)
		return fail(c, "unknown protocol '%.*s' (write tcp: or udp:)",
			    (int)first, s);
	return fail(c, "too many ':' (write [IPv6]:PORT for IPv6)");
}

/**
 * split_host() - HOST and PORTS, at the one ':' outside brackets
 * @c:		context
 * @s:		the text after the protocol prefix
 * @proto:	whether a protocol prefix was given
 * @hlen:	output: length of HOST at the start of @s
 * @ports:	output: PORTS (NUL-terminated), or NULL if absent
 *
 * Return: 0, or -1 with the message set
 */
static int split_host(const struct rule_ctx *c, const char *s, bool proto,
		      size_t *hlen, const char **ports)
{
	const char *end, *colon;

	*ports = NULL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end)
			return fail(c, "missing ']' after the IPv6 address");
		*hlen = (size_t)(end - s) + 1;
		if (end[1] == ':')
			*ports = end + 2;
		else if (end[1] == '/')
			return fail(c, "write the prefix length inside the "
				    "brackets: [ADDRESS/LEN]");
		else if (end[1])
			return fail(c, "unexpected '%s' after ']'", end + 1);
		return 0;
	}
	if (strchr(s, ']'))
		return fail(c, "']' without '['");
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return too_many_colons(c, s, proto);
	*hlen = colon ? (size_t)(colon - s) : strlen(s);
	if (colon)
		*ports = colon + 1;
	return 0;
}

/**
 * rule_parse() - one RULE into @r
 * @r:		output; on success it owns its strings (rule_clear())
 * @action:	allow or deny
 * @text:	the RULE
 * @origin:	for messages and @r->origin
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set and @r empty
 */
static int rule_parse(struct policy_rule *r, enum policy_action action,
		      const char *text, const char *origin,
		      char *err, size_t errlen)
{
	struct rule_ctx c = { origin ? origin : "rule", text, err, errlen };
	const char *s = text, *ports;
	bool proto = false;
	size_t hlen = 0;

	memset(r, 0, sizeof(*r));
	r->action = action;
	r->protos = POLICY_PROTO_ANY;
	if (check_chars(&c))
		return -1;
	if (!strncasecmp(s, "tcp:", 4) || !strncasecmp(s, "udp:", 4)) {
		r->protos = tolower((unsigned char)s[0]) == 't' ?
			    POLICY_PROTO_TCP : POLICY_PROTO_UDP;
		proto = true;
		s += 4;
		if (!*s)
			return fail(&c, "missing host after '%.4s'", text);
	}
	if (split_host(&c, s, proto, &hlen, &ports) ||
	    parse_host(&c, r, s, hlen) || parse_ports(&c, r, ports))
		goto fail;
	if (asprintf(&r->text, "%s %s", action == POLICY_ALLOW ? "allow" :
		     "deny", text) < 0) {
		r->text = NULL;
		fail(&c, "out of memory");
		goto fail;
	}
	r->origin = strdup(c.origin);
	if (!r->origin) {
		fail(&c, "out of memory");
		goto fail;
	}
	return 0;
fail:
	rule_clear(r);
	return -1;
}

/**
 * policy_init() - an empty policy, default deny
 * @p:		policy
 */
void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_action = POLICY_DENY;
}

/**
 * policy_free() - free the rules and index; @p is empty (default deny)
 * @p:		policy
 */
void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++)
		rule_clear(&p->rules[i]);
	free(p->rules);
	policy_index_free(p);
	policy_init(p);
}

/**
 * policy_reserve() - room for @n more rules
 * @p:		policy
 * @n:		how many
 *
 * Return: 0, or -1 if that is too many or memory is out
 */
static int policy_reserve(struct policy *p, size_t n)
{
	size_t cap = p->cap_rules ? p->cap_rules : 16;
	struct policy_rule *rules;

	if (n > POLICY_RULES_MAX || p->n_rules > POLICY_RULES_MAX - n)
		return -1;
	if (p->n_rules + n <= p->cap_rules)
		return 0;
	while (cap < p->n_rules + n)
		cap *= 2;
	rules = realloc(p->rules, cap * sizeof(*rules));
	if (!rules)
		return -1;
	p->rules = rules;
	p->cap_rules = cap;
	return 0;
}

/**
 * policy_append() - move @r to the end of the policy, numbering it
 * @p:		policy with room for @r (policy_reserve())
 * @r:		rule, now owned by @p
 */
static void policy_append(struct policy *p, const struct policy_rule *r)
{
	p->rules[p->n_rules] = *r;
	p->rules[p->n_rules].number = (unsigned int)p->n_rules + 1;
	p->n_rules++;
}

/**
 * policy_add_rule() - parse RULE and append it
 * @p:		policy
 * @action:	from --allow / --deny / the file's keyword
 * @text:	the RULE text (without the keyword)
 * @origin:	"--allow", "--deny" or "FILE:LINE", for messages
 * @err:	on failure: "ORIGIN: 'TEXT': what is wrong"
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set
 */
int policy_add_rule(struct policy *p, enum policy_action action,
		    const char *text, const char *origin,
		    char *err, size_t errlen)
{
	struct rule_ctx c = { origin ? origin : "rule", text, err, errlen };
	struct policy_rule r;

	if (rule_parse(&r, action, text, origin, err, errlen))
		return -1;
	if (policy_reserve(p, 1) || policy_index_stale(p)) {
		rule_clear(&r);
		return fail(&c, p->n_rules >= POLICY_RULES_MAX ?
			    "too many rules" : "out of memory");
	}
	policy_append(p, &r);
	return 0;
}

/**
 * parse_action() - "allow" or "deny", any case
 * @word:	the word
 *
 * Return: POLICY_ALLOW, POLICY_DENY, or -1
 */
static int parse_action(const char *word)
{
	if (!strcasecmp(word, "allow"))
		return POLICY_ALLOW;
	if (!strcasecmp(word, "deny"))
		return POLICY_DENY;
	return -1;
}

/**
 * policy_parse_default() - "allow" or "deny" for --default
 * @p:		policy
 * @word:	the option's value
 * @err:	on failure: "--default: 'WORD': expected allow or deny"
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err quoting the bad word
 */
int policy_parse_default(struct policy *p, const char *word,
			 char *err, size_t errlen)
{
	struct rule_ctx c = { "--default", word, err, errlen };
	int a = parse_action(word);

	if (a < 0)
		return fail(&c, "expected allow or deny");
	p->default_action = (enum policy_action)a;
	return 0;
}

/**
 * struct file_state - a policy file being read
 * @path:	its name, for messages and rule origins
 * @line:	current line number, from 1
 * @rules:	its rules so far (only the array is used, not the index)
 * @default_line: line of its "default" line, 0 if none yet
 * @default_action: what that line said
 */
struct file_state {
	const char *path;
	unsigned long line;
	struct policy rules;
	unsigned long default_line;
	enum policy_action default_action;
};

/**
 * trim() - remove a comment and surrounding white space, in place
 * @s:		line
 *
 * Return: the first character kept
 */
static char *trim(char *s)
{
	char *end;

	s[strcspn(s, "#")] = '\0';
	s += strspn(s, SPACES);
	end = s + strlen(s);
	while (end > s && strchr(SPACES, end[-1]))
		*--end = '\0';
	return s;
}

/**
 * parse_keyword() - the first word of a line
 * @s:		the word
 * @len:	its length
 *
 * Return: POLICY_ALLOW, POLICY_DENY, KEYWORD_DEFAULT, or -1
 */
static int parse_keyword(const char *s, size_t len)
{
	if (len == 5 && !strncasecmp(s, "allow", 5))
		return POLICY_ALLOW;
	if (len == 4 && !strncasecmp(s, "deny", 4))
		return POLICY_DENY;
	if (len == 7 && !strncasecmp(s, "default", 7))
		return KEYWORD_DEFAULT;
	return -1;
}

/**
 * file_default() - a "default allow|deny" line
 * @fs:		file state
 * @c:		context quoting the line
 * @arg:	the word after "default" (NUL-terminated), or ""
 * @extra:	anything after that word
 *
 * Return: 0, or -1 with the message set
 */
static int file_default(struct file_state *fs, const struct rule_ctx *c,
			const char *arg, const char *extra)
{
	int action = parse_action(arg);

	if (action < 0 || *extra)
		return fail(c, "expected 'default allow' or 'default deny'");
	if (fs->default_line)
		return fail(c, "a second default (the first is on line %lu)",
			    fs->default_line);
	fs->default_line = fs->line;
	fs->default_action = (enum policy_action)action;
	return 0;
}

/**
 * file_rule() - an "allow RULE" or "deny RULE" line
 * @fs:		file state
 * @action:	the keyword
 * @text:	RULE
 * @origin:	"PATH:LINE"
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int file_rule(struct file_state *fs, enum policy_action action,
		     const char *text, const char *origin, char *err,
		     size_t errlen)
{
	struct rule_ctx c = { origin, text, err, errlen };
	struct policy_rule r;

	if (rule_parse(&r, action, text, origin, err, errlen))
		return -1;
	if (policy_reserve(&fs->rules, 1)) {
		rule_clear(&r);
		return fail(&c, "too many rules, or out of memory");
	}
	policy_append(&fs->rules, &r);
	return 0;
}

/**
 * file_line() - one line of a policy file: comment, blank, rule, default
 * @fs:		file state
 * @line:	the line, without its newline (modified)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Messages about the line quote all of it (without the comment); those
 * about the rule quote the rule, as for --allow.
 * Return: 0, or -1 with @err set
 */
static int file_line(struct file_state *fs, char *line, char *err,
		     size_t errlen)
{
	char origin[ORIGIN_MAX], *s = trim(line), *arg, *extra, *rule;
	struct rule_ctx c = { origin, s, err, errlen };
	size_t klen, alen;
	int kw;

	snprintf(origin, sizeof(origin), "%s:%lu", fs->path, fs->line);
	if (!*s)
		return 0;
	klen = strcspn(s, SPACES);
	arg = s + klen + strspn(s + klen, SPACES);
	alen = strcspn(arg, SPACES);
	extra = arg + alen + strspn(arg + alen, SPACES);
	kw = parse_keyword(s, klen);
	if (kw < 0)
		return fail(&c, "unknown keyword '%.*s' (allow, deny or "
			    "default)", (int)klen, s);
	if (!alen)
		return fail(&c, "a word must follow, as in '%s'",
			    kw == KEYWORD_DEFAULT ? "default deny" :
			    kw == POLICY_ALLOW ? "allow tcp:example.com:443" :
			    "deny udp:*:53");
	if (*extra && kw != KEYWORD_DEFAULT)
		return fail(&c, "one rule per line; unexpected '%s'", extra);
	rule = strndup(arg, alen);
	if (!rule)
		return fail(&c, "out of memory");
	if (kw == KEYWORD_DEFAULT)
		kw = file_default(fs, &c, rule, extra);
	else
		kw = file_rule(fs, (enum policy_action)kw, rule, origin, err,
			       errlen);
	free(rule);
	return kw;
}

/**
 * file_keep() - move a file's rules and default into the policy
 * @p:		policy
 * @fs:		the file, read without error; its rules are moved out
 *
 * Return: 0, or -1 if out of memory (nothing is kept then)
 */
static int file_keep(struct policy *p, struct file_state *fs)
{
	size_t i;

	if (policy_reserve(p, fs->rules.n_rules) || policy_index_stale(p))
		return -1;
	for (i = 0; i < fs->rules.n_rules; i++)
		policy_append(p, &fs->rules.rules[i]);
	fs->rules.n_rules = 0;
	if (fs->default_line)
		p->default_action = fs->default_action;
	return 0;
}

/**
 * policy_load_stream() - as policy_load_file(), from an open stream
 * @p:		policy
 * @f:		stream, read to its end (not closed)
 * @path:	its name, for messages and rule origins
 * @err:	on failure: "PATH:LINE: 'TEXT': what is wrong", or
 *		"PATH: cause" for a read error
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set and @p unchanged
 */
int policy_load_stream(struct policy *p, FILE *f, const char *path,
		       char *err, size_t errlen)
{
	struct file_state fs = { .path = path };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = -1;

	policy_init(&fs.rules);
	while ((n = getline(&line, &cap, f)) >= 0) {
		char origin[ORIGIN_MAX];
		struct rule_ctx c = { origin, line, err, errlen };

		fs.line++;
		snprintf(origin, sizeof(origin), "%s:%lu", path, fs.line);
		if (n - (line[n - 1] == '\n') > POLICY_LINE_MAX) {
			line[QUOTE_MAX + 1] = '\0';
			fail(&c, "line is longer than %d characters",
			     POLICY_LINE_MAX);
			goto out;
		}
		if (strlen(line) != (size_t)n) {
			fail(&c, "line contains a NUL byte");
			goto out;
		}
		line[strcspn(line, "\n")] = '\0';
		if (file_line(&fs, line, err, errlen))
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path,
			 strerror(errno ? errno : EIO));
		goto out;
	}
	if (file_keep(p, &fs)) {
		snprintf(err, errlen, "%s: too many rules, or out of memory",
			 path);
		goto out;
	}
	ret = 0;
out:
	free(line);
	policy_free(&fs.rules);
	return ret;
}

/**
 * policy_load_file() - read a policy file, appending its rules in order
 * @p:		policy
 * @path:	the file
 * @err:	on failure: "PATH:LINE: 'TEXT': what is wrong", or "PATH: cause"
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set and @p unchanged
 */
int policy_load_file(struct policy *p, const char *path,
		     char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	ret = policy_load_stream(p, f, path, err, errlen);
	fclose(f);
	return ret;
}

/* test_dns.c - unit tests for dns/: message parsing (dns_msg.c) and the
 * address -> names table (dns_names.c).
 *
 * Messages are laid out byte by byte by the small builders below (msg_*),
 * without ldns, or written out as literal bytes where compression pointers
 * matter. Every message is parsed from a heap copy of exactly its length,
 * so the ASan build catches any read past the end. Replies built by
 * dns_build_error() are read back both with ldns and with the parser.
 * The table is driven with an injected clock (now_ms arguments).
 *
 * What the parser promises (dns_msg.c), and the tests below hold it to:
 *   - Names: compression pointers are followed, to earlier names (and,
 *     as ldns allows, later ones); a pointer loop (to itself, or two
 *     pointers to each other), a pointer or a label running past the
 *     end, and label types other than 00 make the message unreadable
 *     (-EINVAL). A name is kept only if it is a hostname: lower-cased,
 *     without the trailing dot, up to 253 characters; one that ldns must
 *     escape (a '.', space, NUL or non-ASCII byte inside a label: an IDN
 *     not in punycode) is refused, never matched.
 *   - Length: a message cut anywhere (header, question, a record) is
 *     -EINVAL, unless it is a response with TC set and its question is
 *     whole: then it gives what its whole records say, and more of them
 *     as the cut moves on.
 *   - RDLENGTH: every record's data must fill it exactly, as ldns reads
 *     the type: an A record of other than 4 bytes, an AAAA of other than
 *     16, a CNAME whose target runs short of or past it, make the message
 *     unreadable wherever the record stands (with TC: it is cut there).
 *     An empty record (RDLENGTH 0) is read, and gives nothing.
 *   - Chains: CNAME records are followed from the question name, names
 *     compared case-insensitively, up to 8 names; a loop (to itself or
 *     further back), a missing link, or a target that is no hostname ends
 *     the walk. A binding's TTL is the smallest along the chain to its
 *     owner. Records of other names, other types, and the authority and
 *     additional sections are ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

/* Header flags */
#define F_QR		0x8000
#define F_TC		0x0200
#define F_RD		0x0100
#define F_RA		0x0080
#define F_OPCODE(o)	((o) << 11)

#define T_A		1
#define T_CNAME		5
#define T_TXT		16
#define T_AAAA		28
#define C_IN		1

/**
 * struct msg - a message being built
 * @b:		bytes
 * @len:	used
 */
struct msg {
	uint8_t b[8192];
	size_t len;
};

static void msg_u8(struct msg *m, uint8_t v)
{
	assert_true(m->len < sizeof(m->b));
	m->b[m->len++] = v;
}

static void msg_u16(struct msg *m, uint16_t v)
{
	msg_u8(m, v >> 8);
	msg_u8(m, v & 0xff);
}

static void msg_u32(struct msg *m, uint32_t v)
{
	msg_u16(m, v >> 16);
	msg_u16(m, v & 0xffff);
}

static void msg_raw(struct msg *m, const void *bytes, size_t n)
{
	const uint8_t *b = bytes;

	while (n--)
		msg_u8(m, *b++);
}

static void msg_header(struct msg *m, uint16_t id, uint16_t flags,
		       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	m->len = 0;
	msg_u16(m, id);
	msg_u16(m, flags);
	msg_u16(m, qd);
	msg_u16(m, an);
	msg_u16(m, ns);
	msg_u16(m, ar);
}

/* "a.b.c" as labels, uncompressed; "" is the root */
static void msg_name(struct msg *m, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, ".");

		assert_true(n > 0 && n < 64);
		msg_u8(m, (uint8_t)n);
		while (n--)
			msg_u8(m, (uint8_t)*text++);
		if (*text == '.')
			text++;
	}
	msg_u8(m, 0);
}

static void msg_question(struct msg *m, const char *name, uint16_t type)
{
	msg_name(m, name);
	msg_u16(m, type);
	msg_u16(m, C_IN);
}

static void msg_rr(struct msg *m, const char *owner, uint16_t type,
		   uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	const uint8_t *p = rdata;

	msg_name(m, owner);
	msg_u16(m, type);
	msg_u16(m, C_IN);
	msg_u32(m, ttl);
	msg_u16(m, rdlen);
	while (rdlen--)
		msg_u8(m, *p++);
}

static void msg_a(struct msg *m, const char *owner, uint32_t ttl,
		  const char *addr)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	msg_rr(m, owner, T_A, ttl, a, 4);
}

static void msg_aaaa(struct msg *m, const char *owner, uint32_t ttl,
		     const char *addr)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	msg_rr(m, owner, T_AAAA, ttl, a, 16);
}

static void msg_cname(struct msg *m, const char *owner, uint32_t ttl,
		      const char *target)
{
	struct msg t = { .len = 0 };

	msg_name(&t, target);
	msg_rr(m, owner, T_CNAME, ttl, t.b, (uint16_t)t.len);
}

/* Parsers run on a heap copy of exactly @len bytes */

static int parse_answer(const uint8_t *b, size_t len, struct dns_answer *a)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, b, len);
	ret = dns_parse_answer(copy, len, a);
	free(copy);
	return ret;
}

static int parse_query(const uint8_t *b, size_t len, struct dns_query *q)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, b, len);
	ret = dns_parse_query(copy, len, q);
	free(copy);
	return ret;
}

static void assert_binding(const struct dns_binding *b, const char *addr,
			   const char *name, uint32_t ttl)
{
	struct tg_endpoint ep;

	assert_true(tg_endpoint_parse_addr(&ep, addr));
	assert_int_equal(b->addr.family, ep.family);
	assert_int_equal(b->addr.port, 0);
	assert_memory_equal(b->addr.addr, ep.addr, tg_endpoint_addr_len(&ep));
	assert_string_equal(b->name, name);
	assert_int_equal(b->ttl, ttl);
}

static size_t build_error_raw(const uint8_t *b, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1), out[512];
	size_t n;

	assert_non_null(copy);
	memcpy(copy, b, len);
	n = dns_build_error(copy, len, 3, out, sizeof(out));
	free(copy);
	return n;
}

/* Answers */

static void test_answer_a(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 0x1234, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "example.com", 300, "93.184.216.34");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.query.id, 0x1234);
	assert_string_equal(a.query.name, "example.com");
	assert_int_equal(a.query.qtype, T_A);
	assert_int_equal(a.query.qclass, C_IN);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.n_aliases, 1);
	assert_string_equal(a.aliases[0], "example.com");
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "93.184.216.34", "example.com", 300);
}

static void test_answer_aaaa_case(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 7, F_QR | F_RA, 1, 2, 0, 0);
	msg_question(&m, "WWW.Example.COM", T_AAAA);
	msg_aaaa(&m, "www.EXAMPLE.com", 120, "2606:2800:220:1::1");
	msg_aaaa(&m, "Www.example.Com", 60, "2606:2800:220:1::2");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_string_equal(a.query.name, "www.example.com");
	assert_int_equal(a.query.qtype, T_AAAA);
	assert_int_equal(a.n_bindings, 2);
	assert_binding(&a.bindings[0], "2606:2800:220:1::1", "www.example.com", 120);
	assert_binding(&a.bindings[1], "2606:2800:220:1::2", "www.example.com", 60);
}

static void test_answer_cname_chain(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* Out of order, mixed case: a -> b (300) -> c (100) -> d (200) */
	msg_header(&m, 1, F_QR, 1, 6, 0, 0);
	msg_question(&m, "a.example", T_A);
	msg_a(&m, "D.example", 600, "192.0.2.1");
	msg_cname(&m, "c.example", 200, "d.EXAMPLE");
	msg_cname(&m, "A.example", 300, "b.example");
	msg_a(&m, "d.example", 50, "192.0.2.2");
	msg_cname(&m, "b.example", 100, "C.example");
	msg_a(&m, "b.example", 30, "192.0.2.3");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 4);
	assert_string_equal(a.aliases[0], "a.example");
	assert_string_equal(a.aliases[1], "b.example");
	assert_string_equal(a.aliases[2], "c.example");
	assert_string_equal(a.aliases[3], "d.example");
	assert_int_equal(a.n_bindings, 3);
	assert_binding(&a.bindings[0], "192.0.2.1", "d.example", 100);
	assert_binding(&a.bindings[1], "192.0.2.2", "d.example", 50);
	/* On the chain before its end: TTL of the links up to b only */
	assert_binding(&a.bindings[2], "192.0.2.3", "b.example", 30);
}

static void test_answer_cname_two_hops(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 1, F_QR, 1, 3, 0, 0);
	msg_question(&m, "www.github.com", T_A);
	msg_cname(&m, "www.github.com", 3600, "github.com");
	msg_cname(&m, "github.com", 20, "lb.github.net");
	msg_a(&m, "lb.github.net", 60, "140.82.121.3");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 3);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "140.82.121.3", "lb.github.net", 20);
}

static void test_answer_cname_loop(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 1, F_QR, 1, 4, 0, 0);
	msg_question(&m, "a.test", T_A);
	msg_cname(&m, "a.test", 10, "b.test");
	msg_cname(&m, "b.test", 10, "A.TEST");
	msg_a(&m, "b.test", 100, "198.51.100.1");
	msg_a(&m, "c.test", 100, "198.51.100.2");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 2);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "198.51.100.1", "b.test", 10);
}

static void test_answer_cname_loops(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* To itself */
	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "self.test", T_A);
	msg_cname(&m, "self.test", 10, "SELF.test.");
	msg_a(&m, "self.test", 100, "198.51.100.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 1);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "198.51.100.1", "self.test", 100);

	/* Three names round, back to the second; the chain stops at c */
	msg_header(&m, 1, F_QR, 1, 5, 0, 0);
	msg_question(&m, "a.test", T_A);
	msg_cname(&m, "c.test", 30, "b.test");
	msg_cname(&m, "b.test", 20, "c.test");
	msg_cname(&m, "a.test", 40, "b.test");
	msg_a(&m, "c.test", 100, "198.51.100.3");
	msg_a(&m, "a.test", 5, "198.51.100.4");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 3);
	assert_string_equal(a.aliases[2], "c.test");
	assert_int_equal(a.n_bindings, 2);
	assert_binding(&a.bindings[0], "198.51.100.3", "c.test", 20);
	assert_binding(&a.bindings[1], "198.51.100.4", "a.test", 5);
}

static void test_answer_cname_missing_link(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* a -> b, but the A record is for c: no binding */
	msg_header(&m, 1, F_QR, 1, 3, 0, 0);
	msg_question(&m, "a.test", T_A);
	msg_cname(&m, "a.test", 10, "b.test");
	msg_a(&m, "c.test", 100, "198.51.100.1");
	msg_cname(&m, "c.test", 10, "a.test");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 2);
	assert_int_equal(a.n_bindings, 0);

	/* A CNAME in the authority section is not a link */
	msg_header(&m, 1, F_QR, 1, 1, 1, 0);
	msg_question(&m, "a.test", T_A);
	msg_a(&m, "b.test", 100, "198.51.100.1");
	msg_cname(&m, "a.test", 10, "b.test");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 1);
	assert_int_equal(a.n_bindings, 0);
}

static void test_answer_cname_bad_target(void **state)
{
	static const uint8_t dotted[] = { 3, 'x', '.', 'y', 4, 't', 'e', 's',
					  't', 0 };
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* a -> "x.y" as one label: it would print as x\.y.test */
	msg_header(&m, 1, F_QR, 1, 3, 0, 0);
	msg_question(&m, "a.test", T_A);
	msg_rr(&m, "a.test", T_CNAME, 60, dotted, sizeof(dotted));
	msg_raw(&m, dotted, sizeof(dotted));
	msg_u16(&m, T_A);
	msg_u16(&m, C_IN);
	msg_u32(&m, 60);
	msg_u16(&m, 4);
	msg_raw(&m, "\x0a\x00\x00\x01", 4);
	msg_a(&m, "x.y.test", 60, "10.0.0.2");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 1);
	assert_int_equal(a.n_bindings, 0);

	/* The same with a space */
	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "a.test", T_A);
	msg_cname(&m, "a.test", 60, "x y.test");
	msg_a(&m, "x y.test", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 1);
	assert_int_equal(a.n_bindings, 0);
}

static void test_answer_chain_limit(void **state)
{
	struct dns_answer a;
	char from[32], to[32];
	struct msg m;
	int i;

	(void)state;
	/* n0 -> n1 -> ... -> n10, an address on n7 and one on n10 */
	msg_header(&m, 1, F_QR, 1, 12, 0, 0);
	msg_question(&m, "n0.test", T_A);
	for (i = 0; i < 10; i++) {
		snprintf(from, sizeof(from), "n%d.test", i);
		snprintf(to, sizeof(to), "n%d.test", i + 1);
		msg_cname(&m, from, 1000 - (uint32_t)i, to);
	}
	msg_a(&m, "n7.test", 5000, "203.0.113.7");
	msg_a(&m, "n10.test", 5000, "203.0.113.10");

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 8);
	assert_string_equal(a.aliases[7], "n7.test");
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "203.0.113.7", "n7.test", 994);
}

/* www.example.com A, answer owner a pointer to the question name, a CNAME
 * target compressed against "example.com" */
static const uint8_t compressed[] = {
	0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	/* 12: www.example.com A IN */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0x00, 0x01, 0x00, 0x01,
	/* 33: (ptr 12) CNAME IN 300, cdn.(ptr 16) */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
	0x00, 0x06, 3, 'c', 'd', 'n', 0xc0, 0x10,
	/* 51: (ptr 45 = cdn.example.com) A IN 60 10.1.2.3 */
	0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
	0x00, 0x04, 10, 1, 2, 3,
};

static void test_answer_compression(void **state)
{
	struct dns_answer a;

	(void)state;
	assert_int_equal(parse_answer(compressed, sizeof(compressed), &a), 0);
	assert_int_equal(a.query.id, 0xabcd);
	assert_int_equal(a.n_aliases, 2);
	assert_string_equal(a.aliases[1], "cdn.example.com");
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "10.1.2.3", "cdn.example.com", 60);
}

static void test_answer_pointer_loop(void **state)
{
	uint8_t m[sizeof(compressed)];
	struct dns_answer a;
	struct dns_query q;

	(void)state;
	/* The answer's owner points at itself */
	memcpy(m, compressed, sizeof(m));
	m[34] = 33;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);

	/* The question name: a label, then a pointer back to its start */
	memcpy(m, compressed, sizeof(m));
	m[16] = 0xc0;
	m[17] = 0x0c;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
	m[2] &= 0x7f;
	m[7] = 0;
	assert_int_equal(parse_query(m, 33, &q), -EINVAL);

	/* Two pointers to each other */
	memcpy(m, compressed, sizeof(m));
	m[51] = 0xc0;
	m[52] = 53;
	m[53] = 0xc0;
	m[54] = 51;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
}

static void test_answer_pointer_past_end(void **state)
{
	uint8_t m[sizeof(compressed)];
	struct dns_answer a;
	struct dns_query q;
	struct msg qm;

	(void)state;
	/* The answer's owner: one past the last byte, and far beyond */
	memcpy(m, compressed, sizeof(m));
	m[34] = sizeof(compressed);
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
	m[33] = 0xff;
	m[34] = 0xff;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);

	/* The CNAME target's suffix; the second owner at the last byte */
	memcpy(m, compressed, sizeof(m));
	m[50] = 200;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
	memcpy(m, compressed, sizeof(m));
	m[52] = sizeof(compressed) - 1;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);

	/* The question name, in a query */
	msg_header(&qm, 1, F_RD, 1, 0, 0, 0);
	msg_raw(&qm, "\xc0\x20", 2);
	msg_u16(&qm, T_A);
	msg_u16(&qm, C_IN);
	assert_int_equal(parse_query(qm.b, qm.len, &q), -EINVAL);
	assert_int_equal(build_error_raw(qm.b, qm.len), 0);
}

static void test_answer_forward_pointer(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	/* ldns follows a pointer to a later name, as resolvers do */
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_raw(&m, "\xc0\x12", 2);
	msg_u16(&m, T_A);
	msg_u16(&m, C_IN);
	msg_name(&m, "later.example");
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_string_equal(q.name, "later.example");
}

static void test_answer_label_past_end(void **state)
{
	uint8_t m[sizeof(compressed)];
	struct dns_answer a;
	struct dns_query q;
	struct msg qm;
	size_t i;

	(void)state;
	/* The question's first label, past the end of the message */
	memcpy(m, compressed, sizeof(m));
	m[12] = 63;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);

	/* The CNAME target's label: past the end, and past its RDLENGTH */
	memcpy(m, compressed, sizeof(m));
	m[45] = 40;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
	memcpy(m, compressed, sizeof(m));
	m[45] = 10;
	assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);

	/* A query whose last label runs past the end */
	msg_header(&qm, 1, F_RD, 1, 0, 0, 0);
	msg_name(&qm, "a.example");
	msg_u16(&qm, T_A);
	msg_u16(&qm, C_IN);
	qm.b[14] = 20;
	assert_int_equal(parse_query(qm.b, qm.len, &q), -EINVAL);
	qm.b[14] = 7;
	assert_int_equal(parse_query(qm.b, qm.len, &q), 0);
	assert_string_equal(q.name, "a.example");

	/* Label types 01 and 10 (extended, binary) are not read */
	for (i = 0; i < 2; i++) {
		memcpy(m, compressed, sizeof(m));
		m[12] = i ? 0x83 : 0x43;
		assert_int_equal(parse_answer(m, sizeof(m), &a), -EINVAL);
	}
}

static void test_answer_compressed_truncations(void **state)
{
	uint8_t m[sizeof(compressed)];
	struct dns_answer a;
	size_t len;

	(void)state;
	for (len = 0; len < sizeof(compressed); len++)
		assert_int_equal(parse_answer(compressed, len, &a), -EINVAL);

	/* With TC: the question (33 bytes) first, then each whole record */
	memcpy(m, compressed, sizeof(m));
	m[2] |= F_TC >> 8;
	for (len = 0; len <= sizeof(m); len++) {
		int ret = parse_answer(m, len, &a);

		if (len < 33) {
			assert_int_equal(ret, -EINVAL);
			continue;
		}
		assert_int_equal(ret, 0);
		assert_string_equal(a.query.name, "www.example.com");
		assert_int_equal(a.n_aliases, len < 51 ? 1 : 2);
		assert_int_equal(a.n_bindings, len < sizeof(m) ? 0 : 1);
	}
}

static void chain_message(struct msg *m, uint16_t flags)
{
	msg_header(m, 9, F_QR | flags, 1, 4, 1, 1);
	msg_question(m, "pypi.org", T_A);
	msg_cname(m, "pypi.org", 300, "dualstack.python.map.fastly.net");
	msg_a(m, "dualstack.python.map.fastly.net", 30, "151.101.0.223");
	msg_a(m, "dualstack.python.map.fastly.net", 30, "151.101.64.223");
	msg_aaaa(m, "dualstack.python.map.fastly.net", 30, "2a04:4e42::223");
	msg_cname(m, "x.org", 1, "y.org");
	msg_a(m, "pypi.org", 1, "6.6.6.6");
}

static void test_answer_truncations(void **state)
{
	struct dns_answer a;
	struct msg m;
	size_t len;

	(void)state;
	chain_message(&m, 0);
	for (len = 0; len < m.len; len++)
		assert_int_equal(parse_answer(m.b, len, &a), -EINVAL);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 3);
}

static void test_answer_truncated_tc(void **state)
{
	size_t len, ok = 0, prev = 0;
	struct dns_answer a;
	struct msg m;

	(void)state;
	chain_message(&m, F_TC);
	for (len = 0; len <= m.len; len++) {
		int ret = parse_answer(m.b, len, &a);

		if (ret) {
			assert_int_equal(ret, -EINVAL);
			assert_int_equal(a.n_bindings, 0);
			continue;
		}
		ok++;
		assert_string_equal(a.query.name, "pypi.org");
		/* Whole records only, more of them as the cut moves on */
		assert_true(a.n_bindings >= prev && a.n_bindings <= 3);
		prev = a.n_bindings;
		if (a.n_bindings)
			assert_binding(&a.bindings[0], "151.101.0.223",
				       "dualstack.python.map.fastly.net", 30);
	}
	assert_true(ok > m.len / 2);
	assert_int_equal(prev, 3);
}

static void test_answer_bad_rdlength(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* rdlength runs past the end */
	msg_header(&m, 1, F_QR, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "example.com", 60, "10.0.0.1");
	m.b[m.len - 5] = 0x40;
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	assert_int_equal(a.n_bindings, 0);

	/* An A record of 3 bytes makes the message unreadable */
	msg_header(&m, 1, F_QR, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_rr(&m, "example.com", T_A, 60, "\x0a\x00\x00", 3);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	assert_int_equal(a.n_bindings, 0);

	/* So does an AAAA record of 4 */
	msg_header(&m, 1, F_QR, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_AAAA);
	msg_rr(&m, "example.com", T_AAAA, 60, "\x0a\x00\x00\x01", 4);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	assert_int_equal(a.n_bindings, 0);
}

/* An answer for example.com: an A record of @rdlen bytes, then, if
 * @then_a, a good one */
static void rdlen_message(struct msg *m, uint16_t flags, uint16_t type,
			  uint16_t rdlen, bool then_a)
{
	static const uint8_t data[17] = {
		10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 99,
	};

	msg_header(m, 1, F_QR | flags, 1, then_a ? 2 : 1, 0, 0);
	msg_question(m, "example.com", type);
	msg_rr(m, "example.com", type, 60, data, rdlen);
	if (then_a)
		msg_a(m, "example.com", 60, "10.0.0.2");
}

static void test_answer_rdlength_mismatch(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	/* Exact: 4 and 16 bytes give their address */
	rdlen_message(&m, 0, T_A, 4, true);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 2);
	assert_binding(&a.bindings[0], "10.0.0.1", "example.com", 60);
	rdlen_message(&m, 0, T_AAAA, 16, false);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "a00:1::1", "example.com", 60);

	/* One byte more: unreadable, last or not (ldns alone would give
	 * the first 4 bytes when last, and misread what follows if not) */
	rdlen_message(&m, 0, T_A, 5, false);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	assert_int_equal(a.n_bindings, 0);
	rdlen_message(&m, 0, T_A, 5, true);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	rdlen_message(&m, 0, T_AAAA, 17, false);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	rdlen_message(&m, 0, T_AAAA, 15, false);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	rdlen_message(&m, 0, T_AAAA, 4, true);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);

	/* Empty: a record without data, no address; the rest counts */
	rdlen_message(&m, 0, T_A, 0, true);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "10.0.0.2", "example.com", 60);
	rdlen_message(&m, 0, T_AAAA, 0, false);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 0);

	/* TC: cut before the bad record, what came before stands */
	msg_header(&m, 1, F_QR | F_TC, 1, 3, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "example.com", 60, "10.0.0.1");
	msg_rr(&m, "example.com", T_A, 60, "\x0a\x00\x00\x02\x63", 5);
	msg_a(&m, "example.com", 60, "10.0.0.3");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "10.0.0.1", "example.com", 60);
}

static void test_answer_cname_rdlength(void **state)
{
	struct dns_answer a;
	struct msg m, t = { .len = 0 };

	(void)state;
	msg_name(&t, "b.example");

	/* RDLENGTH one short of the target: ldns would read past it */
	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "a.example", T_A);
	msg_rr(&m, "a.example", T_CNAME, 60, t.b, (uint16_t)(t.len - 1));
	msg_u8(&m, 0);
	msg_a(&m, "b.example", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);
	assert_int_equal(a.n_aliases, 0);

	/* One more than the target, the extra byte a root label */
	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "a.example", T_A);
	t.b[t.len] = 0;
	msg_rr(&m, "a.example", T_CNAME, 60, t.b, (uint16_t)(t.len + 1));
	msg_a(&m, "b.example", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);

	/* Exact */
	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "a.example", T_A);
	msg_rr(&m, "a.example", T_CNAME, 60, t.b, (uint16_t)t.len);
	msg_a(&m, "b.example", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 2);
	assert_binding(&a.bindings[0], "10.0.0.1", "b.example", 60);
}

static void test_answer_unrelated_ignored(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 1, F_QR, 1, 3, 1, 2);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "evil.com", 60, "10.6.6.6");
	msg_cname(&m, "other.example.com", 60, "example.com");
	msg_a(&m, "example.com", 60, "10.0.0.1");
	msg_a(&m, "example.com", 60, "10.6.6.7");	/* authority */
	msg_a(&m, "example.com", 60, "10.6.6.8");	/* additional */
	msg_rr(&m, "example.com", T_TXT, 60, "\x02hi", 3);

	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 1);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "10.0.0.1", "example.com", 60);
}

static void test_answer_nxdomain(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 77, F_QR | F_RA | 3, 1, 0, 0, 0);
	msg_question(&m, "nope.example", T_AAAA);
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.query.id, 77);
	assert_int_equal(a.n_bindings, 0);
	assert_int_equal(a.n_aliases, 1);
}

static void test_answer_ttl_top_bit(void **state)
{
	struct dns_answer a;
	struct msg m;

	(void)state;
	msg_header(&m, 1, F_QR, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "example.com", 0x80000000U, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_bindings, 1);
	assert_int_equal(a.bindings[0].ttl, 0);
}

static void test_answer_rejects(void **state)
{
	struct dns_answer a;
	struct dns_query q;
	struct msg m;

	(void)state;
	/* A query */
	msg_header(&m, 1, 0, 1, 1, 0, 0);
	msg_question(&m, "example.com", T_A);
	msg_a(&m, "example.com", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);

	/* No question */
	msg_header(&m, 1, F_QR, 0, 1, 0, 0);
	msg_a(&m, "example.com", 60, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);

	/* A question name that is not a hostname */
	msg_header(&m, 1, F_QR, 1, 0, 0, 0);
	msg_question(&m, "a b.example", T_A);
	assert_int_equal(parse_answer(m.b, m.len, &a), -EINVAL);

	assert_int_equal(dns_parse_answer(NULL, 0, &a), -EINVAL);
	assert_int_equal(dns_parse_query(NULL, 0, &q), -EINVAL);
}

/* Queries */

static void test_query_simple(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	msg_header(&m, 0xbeef, F_RD, 1, 0, 0, 0);
	msg_question(&m, "Files.PythonHosted.org", T_AAAA);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_int_equal(q.id, 0xbeef);
	assert_string_equal(q.name, "files.pythonhosted.org");
	assert_int_equal(q.qtype, T_AAAA);
	assert_int_equal(q.qclass, C_IN);

	msg_header(&m, 2, F_RD, 1, 0, 0, 0);
	msg_question(&m, "_https._tcp.xn--bcher-kva.example", T_TXT);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_string_equal(q.name, "_https._tcp.xn--bcher-kva.example");
}

static void test_query_root(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	msg_header(&m, 3, 0, 1, 0, 0, 0);
	msg_question(&m, "", 2);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_string_equal(q.name, "");
	assert_int_equal(q.qtype, 2);
}

static void test_query_rejects(void **state)
{
	struct dns_query q;
	struct msg m;
	size_t len;

	(void)state;
	msg_header(&m, 1, 0, 2, 0, 0, 0);
	msg_question(&m, "a.example", T_A);
	msg_question(&m, "b.example", T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);

	msg_header(&m, 1, 0, 0, 0, 0, 0);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);

	msg_header(&m, 1, F_QR, 1, 0, 0, 0);
	msg_question(&m, "a.example", T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);

	msg_header(&m, 1, F_OPCODE(4), 1, 0, 0, 0);
	msg_question(&m, "a.example", T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, "a\\.b.example", T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, "a.example", T_A);
	for (len = 0; len < m.len; len++)
		assert_int_equal(parse_query(m.b, len, &q), -EINVAL);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
}

/* Refusals */

static size_t build_error(const struct msg *m, uint8_t rcode, uint8_t *out,
			  size_t cap)
{
	uint8_t *copy = malloc(m->len);
	size_t n;

	assert_non_null(copy);
	memcpy(copy, m->b, m->len);
	n = dns_build_error(copy, m->len, rcode, out, cap);
	free(copy);
	return n;
}

static void test_build_error_roundtrip(void **state)
{
	struct dns_answer a;
	uint8_t out[512];
	ldns_pkt *pkt;
	struct msg m;
	size_t n;

	(void)state;
	msg_header(&m, 0xbeef, F_RD, 1, 0, 0, 0);
	msg_question(&m, "Blocked.Example.COM", T_AAAA);
	n = build_error(&m, 3, out, sizeof(out));
	assert_true(n >= 12);

	assert_int_equal(parse_answer(out, n, &a), 0);
	assert_int_equal(a.query.id, 0xbeef);
	assert_string_equal(a.query.name, "blocked.example.com");
	assert_int_equal(a.query.qtype, T_AAAA);
	assert_int_equal(a.query.qclass, C_IN);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n_bindings, 0);

	assert_int_equal(ldns_wire2pkt(&pkt, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(pkt));
	assert_true(ldns_pkt_rd(pkt));
	assert_true(ldns_pkt_ra(pkt));
	assert_false(ldns_pkt_tc(pkt));
	assert_int_equal(ldns_pkt_get_rcode(pkt), 3);
	assert_int_equal(ldns_pkt_qdcount(pkt), 1);
	assert_int_equal(ldns_pkt_ancount(pkt), 0);
	assert_int_equal(ldns_pkt_nscount(pkt), 0);
	assert_int_equal(ldns_pkt_arcount(pkt), 0);
	ldns_pkt_free(pkt);

	/* The question as the query wrote it */
	assert_int_equal(n, m.len);
	assert_memory_equal(out + 12, m.b + 12, m.len - 12);

	/* SERVFAIL, RD clear */
	msg_header(&m, 5, 0, 1, 0, 0, 0);
	msg_question(&m, "x.example", T_A);
	n = build_error(&m, 2, out, sizeof(out));
	assert_int_equal(n, m.len);
	assert_int_equal(out[2], 0x80);
	assert_int_equal(out[3], 0x82);
}

static void test_build_error_refuses(void **state)
{
	uint8_t out[512];
	struct msg m;
	size_t len;

	(void)state;
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, "x.example", T_A);
	assert_int_equal(build_error(&m, 3, out, m.len - 1), 0);
	assert_int_equal(build_error(&m, 16, out, sizeof(out)), 0);
	for (len = 0; len < m.len; len++)
		assert_int_equal(dns_build_error(m.b, len, 3, out, sizeof(out)), 0);

	msg_header(&m, 1, F_QR, 1, 0, 0, 0);
	msg_question(&m, "x.example", T_A);
	assert_int_equal(build_error(&m, 3, out, sizeof(out)), 0);

	msg_header(&m, 1, 0, 2, 0, 0, 0);
	msg_question(&m, "x.example", T_A);
	msg_question(&m, "y.example", T_A);
	assert_int_equal(build_error(&m, 3, out, sizeof(out)), 0);

	/* A name that is no hostname is still refused properly */
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, "a b.example", T_A);
	assert_int_equal(build_error(&m, 5, out, sizeof(out)), m.len);
}

/* Names */

static void assert_normalises(const char *in, const char *out)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	assert_true(dns_name_normalise(buf));
	assert_string_equal(buf, out);
}

static void assert_refused(const char *in)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	assert_false(dns_name_normalise(buf));
}

static void test_name_normalise(void **state)
{
	(void)state;
	assert_normalises("GitHub.COM", "github.com");
	assert_normalises("github.com.", "github.com");
	assert_normalises("_sip._udp.Example.org", "_sip._udp.example.org");
	assert_normalises("xn--bcher-kva.example", "xn--bcher-kva.example");
	assert_normalises("a-1.b2", "a-1.b2");
	assert_normalises("localhost", "localhost");

	assert_refused("");
	assert_refused(".");
	assert_refused("github.com..");
	assert_refused("a..b");
	assert_refused(".a");
	assert_refused("a b.com");
	assert_refused("a*.com");
	assert_refused("b\xc3\xbc" "cher.example");
	assert_refused("a\\.b");
}

static void make_name(char *buf, size_t len, size_t label)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i + 1) % (label + 1) ? 'a' : '.';
	buf[len] = '\0';
}

static void test_name_lengths(void **state)
{
	char buf[300], label[70];

	(void)state;
	memset(label, 'x', 63);
	strcpy(label + 63, ".com");
	assert_true(dns_name_normalise(label));
	memset(label, 'x', 64);
	strcpy(label + 64, ".com");
	assert_false(dns_name_normalise(label));

	/* Labels of 63 and dots: 253 characters pass, 254 do not */
	make_name(buf, 253, 63);
	assert_int_equal(buf[252], 'a');
	assert_true(dns_name_normalise(buf));
	make_name(buf, 253, 63);
	strcat(buf, ".");
	assert_true(dns_name_normalise(buf));
	assert_int_equal(strlen(buf), 253);
	make_name(buf, 254, 63);
	assert_false(dns_name_normalise(buf));
}

static void test_name_longest_on_wire(void **state)
{
	char name[300], upper[300];
	struct dns_answer a;
	struct dns_query q;
	struct msg m;
	size_t i;

	(void)state;
	/* 253 characters (255 bytes on the wire) in the question, in upper
	 * case, and as a CNAME target */
	make_name(name, 253, 63);
	for (i = 0; name[i]; i++)
		upper[i] = name[i] == '.' ? '.' : 'A';
	upper[i] = '\0';
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, upper, T_A);
	assert_int_equal(m.len, 12 + 255 + 4);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_string_equal(q.name, name);

	msg_header(&m, 1, F_QR, 1, 2, 0, 0);
	msg_question(&m, "short.example", T_A);
	msg_cname(&m, "short.example", 60, upper);
	msg_a(&m, upper, 30, "10.0.0.1");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	assert_int_equal(a.n_aliases, 2);
	assert_string_equal(a.aliases[1], name);
	assert_int_equal(a.n_bindings, 1);
	assert_binding(&a.bindings[0], "10.0.0.1", name, 30);

	/* One more byte on the wire is refused by ldns */
	make_name(name, 254, 63);
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_question(&m, name, T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);
}

static void test_query_not_hostnames(void **state)
{
	static const char *const labels[] = {
		"a.b",			/* a dot inside a label */
		"a b",
		"a\0b",
		"b\xc3\xbc" "cher",	/* IDN not in punycode */
		"a*",
		"a\\",
	};
	static const size_t lens[] = { 3, 3, 3, 6, 2, 2 };
	struct dns_query q;
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(labels); i++) {
		msg_header(&m, 1, F_RD, 1, 0, 0, 0);
		msg_u8(&m, (uint8_t)lens[i]);
		msg_raw(&m, labels[i], lens[i]);
		msg_name(&m, "example");
		msg_u16(&m, T_A);
		msg_u16(&m, C_IN);
		assert_int_equal(parse_query(m.b, m.len, &q), -EINVAL);
		assert_string_equal(q.name, "");
		/* Still refused properly */
		assert_int_equal(build_error_raw(m.b, m.len), m.len);
	}

	/* Punycode is plain LDH, in any case */
	msg_header(&m, 1, F_RD, 1, 0, 0, 0);
	msg_question(&m, "WWW.XN--Bcher-KVA.Example", T_A);
	assert_int_equal(parse_query(m.b, m.len, &q), 0);
	assert_string_equal(q.name, "www.xn--bcher-kva.example");
}

/* The table */

static struct dns_answer *answer_new(const char *qname, const char *addr,
				     uint32_t ttl)
{
	struct dns_answer *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	strcpy(a->query.name, qname);
	strcpy(a->aliases[0], qname);
	a->n_aliases = 1;
	assert_true(tg_endpoint_parse_addr(&a->bindings[0].addr, addr));
	strcpy(a->bindings[0].name, qname);
	a->bindings[0].ttl = ttl;
	a->n_bindings = 1;
	return a;
}

static void learn(struct dns_names *t, const char *name, const char *addr,
		  uint32_t ttl, uint64_t now)
{
	struct dns_answer *a = answer_new(name, addr, ttl);

	dns_names_learn(t, a, now);
	free(a);
}

static size_t lookup(const struct dns_names *t, const char *addr,
		     uint64_t now, const char **names, size_t max)
{
	struct tg_endpoint ep;

	assert_true(tg_endpoint_parse_addr(&ep, addr));
	ep.port = 443;
	return dns_names_lookup(t, &ep, now, names, max);
}

static void test_names_learn_lookup(void **state)
{
	struct dns_names *t = dns_names_new(16, 60);
	const char *names[8];

	(void)state;
	assert_non_null(t);
	learn(t, "github.com", "140.82.121.3", 300, 1000);
	learn(t, "v6.example", "2001:db8::1", 300, 1000);

	assert_int_equal(lookup(t, "140.82.121.3", 1000, names, 8), 1);
	assert_string_equal(names[0], "github.com");
	assert_int_equal(lookup(t, "2001:db8::1", 2000, names, 8), 1);
	assert_string_equal(names[0], "v6.example");
	assert_int_equal(lookup(t, "140.82.121.4", 1000, names, 8), 0);
	assert_int_equal(lookup(t, "2001:db8::2", 1000, names, 8), 0);
	/* Same bytes, other family */
	assert_int_equal(lookup(t, "::ffff:140.82.121.3", 1000, names, 8), 0);
	assert_int_equal(lookup(t, "140.82.121.3", 1000, names, 0), 0);
	dns_names_free(t);
}

static void test_names_expiry_floor(void **state)
{
	struct dns_names *t = dns_names_new(16, 60);
	const char *names[8];

	(void)state;
	learn(t, "long.example", "10.0.0.1", 300, 1000);
	learn(t, "short.example", "10.0.0.2", 5, 1000);

	assert_int_equal(lookup(t, "10.0.0.1", 1000 + 299999, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.1", 1000 + 300000, names, 8), 0);
	/* TTL 5 lives for the 60 s floor */
	assert_int_equal(lookup(t, "10.0.0.2", 1000 + 59999, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.2", 1000 + 60000, names, 8), 0);
	dns_names_free(t);

	t = dns_names_new(16, 0);
	learn(t, "zero.example", "10.0.0.3", 0, 1000);
	assert_int_equal(lookup(t, "10.0.0.3", 1000, names, 8), 0);
	learn(t, "five.example", "10.0.0.3", 5, 1000);
	assert_int_equal(lookup(t, "10.0.0.3", 5999, names, 8), 1);
	dns_names_free(t);
}

static void test_names_refresh(void **state)
{
	struct dns_names *t = dns_names_new(16, 0);
	const char *names[8];

	(void)state;
	learn(t, "a.example", "10.0.0.1", 10, 0);
	learn(t, "b.example", "10.0.0.1", 10, 0);
	assert_int_equal(lookup(t, "10.0.0.1", 0, names, 8), 2);
	assert_string_equal(names[0], "b.example");

	/* Learnt again: in front, until 8 + 10 s */
	learn(t, "a.example", "10.0.0.1", 10, 8000);
	assert_int_equal(lookup(t, "10.0.0.1", 9000, names, 8), 2);
	assert_string_equal(names[0], "a.example");
	assert_string_equal(names[1], "b.example");
	assert_int_equal(lookup(t, "10.0.0.1", 12000, names, 8), 1);
	assert_string_equal(names[0], "a.example");

	/* A shorter TTL does not shorten it */
	learn(t, "a.example", "10.0.0.1", 1, 9000);
	assert_int_equal(lookup(t, "10.0.0.1", 17999, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.1", 18000, names, 8), 0);
	dns_names_free(t);
}

static void test_names_per_address(void **state)
{
	struct dns_names *t = dns_names_new(4, 60);
	const char *names[16];
	char name[32];
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "site%d.example", i);
		learn(t, name, "151.101.0.223", 300, 1000 + (uint64_t)i);
	}
	assert_int_equal(lookup(t, "151.101.0.223", 2000, names, 16), 8);
	assert_string_equal(names[0], "site9.example");
	assert_string_equal(names[7], "site2.example");
	assert_int_equal(lookup(t, "151.101.0.223", 2000, names, 3), 3);
	assert_string_equal(names[2], "site7.example");
	dns_names_free(t);
}

static void test_names_eviction(void **state)
{
	struct dns_names *t = dns_names_new(3, 60);
	const char *names[8];

	(void)state;
	learn(t, "one.example", "10.0.0.1", 300, 0);
	learn(t, "two.example", "10.0.0.2", 300, 1);
	learn(t, "three.example", "10.0.0.3", 300, 2);
	learn(t, "one.example", "10.0.0.1", 300, 3);	/* refreshed */
	learn(t, "four.example", "2001:db8::4", 300, 4);

	assert_int_equal(lookup(t, "10.0.0.2", 5, names, 8), 0);
	assert_int_equal(lookup(t, "10.0.0.1", 5, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.3", 5, names, 8), 1);
	assert_int_equal(lookup(t, "2001:db8::4", 5, names, 8), 1);
	assert_string_equal(names[0], "four.example");

	/* Expired entries at the old end are freed: "three" outlives them */
	learn(t, "three.example", "10.0.0.3", 3600, 6);
	learn(t, "five.example", "10.0.0.5", 300, 400000);
	learn(t, "six.example", "10.0.0.6", 300, 400001);
	assert_int_equal(lookup(t, "10.0.0.3", 400002, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.5", 400002, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.6", 400002, names, 8), 1);

	/* Full of live entries: the one learned longest ago goes */
	learn(t, "seven.example", "10.0.0.7", 300, 400003);
	assert_int_equal(lookup(t, "10.0.0.3", 400004, names, 8), 0);
	assert_int_equal(lookup(t, "10.0.0.7", 400004, names, 8), 1);
	dns_names_free(t);
}

static void test_names_evict_expired_first(void **state)
{
	struct dns_names *t = dns_names_new(2, 60);
	const char *names[8];

	(void)state;
	learn(t, "long.example", "10.0.0.1", 3600, 0);
	learn(t, "short.example", "10.0.0.2", 1, 1);
	/* Full; "long" was learned first but "short" has expired */
	learn(t, "new.example", "10.0.0.3", 300, 100000);
	assert_int_equal(lookup(t, "10.0.0.1", 100001, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.3", 100001, names, 8), 1);
	assert_int_equal(lookup(t, "10.0.0.2", 1, names, 8), 0);
	dns_names_free(t);
}

static void test_names_many(void **state)
{
	struct dns_names *t = dns_names_new(100, 60);
	const char *names[8];
	char addr[32];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		learn(t, "bulk.example", addr, 300, (uint64_t)i);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(lookup(t, addr, 1000, names, 8), i >= 900);
	}
	dns_names_free(t);
}

static void test_names_from_message(void **state)
{
	struct dns_names *t = dns_names_new(16, 60);
	struct dns_answer a;
	const char *names[8];
	struct msg m;

	(void)state;
	msg_header(&m, 1, F_QR, 1, 3, 0, 0);
	msg_question(&m, "www.github.com", T_A);
	msg_cname(&m, "www.github.com", 3600, "github.com");
	msg_a(&m, "github.com", 60, "140.82.121.3");
	msg_a(&m, "evil.example", 60, "140.82.121.4");
	assert_int_equal(parse_answer(m.b, m.len, &a), 0);
	dns_names_learn(t, &a, 0);

	assert_int_equal(lookup(t, "140.82.121.3", 0, names, 8), 2);
	assert_string_equal(names[0], "www.github.com");
	assert_string_equal(names[1], "github.com");
	assert_int_equal(lookup(t, "140.82.121.4", 0, names, 8), 0);

	dns_names_learn(NULL, &a, 0);
	dns_names_learn(t, NULL, 0);
	dns_names_free(t);
	dns_names_free(NULL);
	assert_null(dns_names_new(0, 60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_a),
		cmocka_unit_test(test_answer_aaaa_case),
		cmocka_unit_test(test_answer_cname_chain),
		cmocka_unit_test(test_answer_cname_two_hops),
		cmocka_unit_test(test_answer_cname_loop),
		cmocka_unit_test(test_answer_cname_loops),
		cmocka_unit_test(test_answer_cname_missing_link),
		cmocka_unit_test(test_answer_cname_bad_target),
		cmocka_unit_test(test_answer_chain_limit),
		cmocka_unit_test(test_answer_compression),
		cmocka_unit_test(test_answer_pointer_loop),
		cmocka_unit_test(test_answer_pointer_past_end),
		cmocka_unit_test(test_answer_forward_pointer),
		cmocka_unit_test(test_answer_label_past_end),
		cmocka_unit_test(test_answer_compressed_truncations),
		cmocka_unit_test(test_answer_truncations),
		cmocka_unit_test(test_answer_truncated_tc),
		cmocka_unit_test(test_answer_bad_rdlength),
		cmocka_unit_test(test_answer_rdlength_mismatch),
		cmocka_unit_test(test_answer_cname_rdlength),
		cmocka_unit_test(test_answer_unrelated_ignored),
		cmocka_unit_test(test_answer_nxdomain),
		cmocka_unit_test(test_answer_ttl_top_bit),
		cmocka_unit_test(test_answer_rejects),
		cmocka_unit_test(test_query_simple),
		cmocka_unit_test(test_query_root),
		cmocka_unit_test(test_query_rejects),
		cmocka_unit_test(test_build_error_roundtrip),
		cmocka_unit_test(test_build_error_refuses),
		cmocka_unit_test(test_name_normalise),
		cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_name_longest_on_wire),
		cmocka_unit_test(test_query_not_hostnames),
		cmocka_unit_test(test_names_learn_lookup),
		cmocka_unit_test(test_names_expiry_floor),
		cmocka_unit_test(test_names_refresh),
		cmocka_unit_test(test_names_per_address),
		cmocka_unit_test(test_names_eviction),
		cmocka_unit_test(test_names_evict_expired_first),
		cmocka_unit_test(test_names_many),
		cmocka_unit_test(test_names_from_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_packet.c - unit tests for stack/packet_parse.c and packet_build.c.
 *
 * Packets are written by hand: a literal IPv4 SYN, and small builders
 * below (put_*) that lay out headers byte by byte without the code under
 * test. Truncated inputs are copied into heap buffers of exactly their
 * length, so the ASan build catches any read past the end. Replies are
 * parsed back with packet_parse() and their checksums verified over a
 * pseudo-header these tests assemble themselves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "stack/packet.h"

#define BUF_SIZE	2048

/* 10.0.0.2:40000 -> 93.184.216.34:80, SYN, seq 0x11223344, MSS 1460, DF,
 * TTL 64, ID 0x1c46, with a valid header checksum: written out by hand. */
static const uint8_t ipv4_syn[] = {
	0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0xde, 0xa9, 0x0a, 0x00, 0x00, 0x02,
	0x5d, 0xb8, 0xd8, 0x22,
	0x9c, 0x40, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44,
	0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

/* Builders: each writes one header at @p and returns its length */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put_addr(uint8_t *p, int af, const char *text)
{
	assert_int_equal(inet_pton(af, text, p), 1);
}

static size_t put_ipv4(uint8_t *p, uint8_t proto, const char *src,
		       const char *dst, size_t l4_len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, 20 + l4_len);
	put16(p + 4, 0x1234);
	p[8] = 64;
	p[9] = proto;
	put_addr(p + 12, AF_INET, src);
	put_addr(p + 16, AF_INET, dst);
	return 20;
}

static size_t put_ipv6(uint8_t *p, uint8_t next, const char *src,
		       const char *dst, size_t payload_len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, payload_len);
	p[6] = next;
	p[7] = 64;
	put_addr(p + 8, AF_INET6, src);
	put_addr(p + 24, AF_INET6, dst);
	return 40;
}

/* Options header (hop-by-hop, routing, destination): (len + 1) * 8 bytes */
static size_t put_ext(uint8_t *p, uint8_t next, uint8_t len)
{
	size_t n = (len + 1U) * 8;

	memset(p, 0, n);
	p[0] = next;
	p[1] = len;
	if (n > 2) {		/* PadN option over the rest */
		p[2] = 1;
		p[3] = n - 4;
	}
	return n;
}

static size_t put_frag6(uint8_t *p, uint8_t next, uint16_t offset, bool more)
{
	memset(p, 0, 8);
	p[0] = next;
	put16(p + 2, (uint16_t)(offset << 3 | more));
	put32(p + 4, 0xabcdef01);
	return 8;
}

static size_t put_ah(uint8_t *p, uint8_t next, uint8_t len)
{
	size_t n = (len + 2U) * 4;

	memset(p, 0, n);
	p[0] = next;
	p[1] = len;
	return n;
}

static size_t put_tcp(uint8_t *p, uint16_t sport, uint16_t dport,
		      uint32_t seq, uint32_t ack, uint8_t flags,
		      size_t payload_len)
{
	memset(p, 0, 20);
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	put32(p + 8, ack);
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 14, 65535);
	memset(p + 20, 'x', payload_len);
	return 20 + payload_len;
}

static size_t put_udp(uint8_t *p, uint16_t sport, uint16_t dport,
		      size_t payload_len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, 8 + payload_len);
	put16(p + 6, 0);
	memset(p + 8, 'u', payload_len);
	return 8 + payload_len;
}

static size_t put_icmp(uint8_t *p, uint8_t type, uint8_t code,
		       size_t payload_len)
{
	memset(p, 0, 8);
	p[0] = type;
	p[1] = code;
	put16(p + 4, 0x4242);
	put16(p + 6, 1);
	memset(p + 8, 'i', payload_len);
	return 8 + payload_len;
}

/* Whole packets used by several tests */

static size_t make_ipv4_tcp(uint8_t *p, uint32_t seq, uint32_t ack,
			    uint8_t flags, size_t payload_len)
{
	size_t l4 = put_tcp(p + 20, 40000, 443, seq, ack, flags, payload_len);

	return put_ipv4(p, IPPROTO_TCP, "10.0.0.2", "198.51.100.7", l4) + l4;
}

static size_t make_ipv6_tcp(uint8_t *p, uint32_t seq, uint32_t ack,
			    uint8_t flags, size_t payload_len)
{
	size_t l4 = put_tcp(p + 40, 50000, 22, seq, ack, flags, payload_len);

	return put_ipv6(p, IPPROTO_TCP, "fd00::2", "2001:db8::7", l4) + l4;
}

static size_t make_ipv4_udp(uint8_t *p, size_t payload_len)
{
	size_t l4 = put_udp(p + 20, 5353, 53, payload_len);

	return put_ipv4(p, IPPROTO_UDP, "10.0.0.2", "192.0.2.53", l4) + l4;
}

static size_t make_ipv6_udp(uint8_t *p, size_t payload_len)
{
	size_t l4 = put_udp(p + 40, 5353, 53, payload_len);

	return put_ipv6(p, IPPROTO_UDP, "fd00::2", "2001:db8::53", l4) + l4;
}

static size_t make_ipv4_icmp(uint8_t *p, uint8_t type, uint8_t code)
{
	size_t l4 = put_icmp(p + 20, type, code, 32);

	return put_ipv4(p, IPPROTO_ICMP, "10.0.0.2", "192.0.2.1", l4) + l4;
}

static size_t make_ipv6_icmp(uint8_t *p, uint8_t type, uint8_t code)
{
	size_t l4 = put_icmp(p + 40, type, code, 32);

	return put_ipv6(p, IPPROTO_ICMPV6, "fd00::2", "2001:db8::1", l4) + l4;
}

/* hop-by-hop (8) + destination options (16) + fragment (8, first) + UDP */
static size_t make_ipv6_ext_udp(uint8_t *p)
{
	size_t off = 40, l4;

	off += put_ext(p + off, IPPROTO_DSTOPTS, 0);
	off += put_ext(p + off, IPPROTO_FRAGMENT, 1);
	off += put_frag6(p + off, IPPROTO_UDP, 0, true);
	l4 = put_udp(p + off, 1234, 4321, 100);
	put_ipv6(p, IPPROTO_HOPOPTS, "fd00::2", "2001:db8::9", off - 40 + l4);
	return off + l4;
}

/* Checks */

static void assert_addr(const struct tg_endpoint *ep, const char *text)
{
	uint8_t want[16] = { 0 };
	int af = strchr(text, ':') ? AF_INET6 : AF_INET;

	put_addr(want, af, text);
	assert_int_equal(ep->family, af);
	assert_memory_equal(ep->addr, want, sizeof(want));
}

static bool endpoint_addr_equal(const struct tg_endpoint *a,
				const struct tg_endpoint *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

/* Parse a copy in a buffer of exactly @len bytes: ASan sees any overread */
static enum packet_status parse_exact(const uint8_t *pkt, size_t len,
				      struct packet_info *pi)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum packet_status st;

	assert_non_null(copy);
	memcpy(copy, pkt, len);
	st = packet_parse(copy, len, pi);
	free(copy);
	return st;
}

/* Checksum of the segment after @pi's IP header, with the pseudo-header
 * laid out here by hand (IPv4 ICMP has none): 0 if the checksum is right */
static uint16_t l4_checksum_verify(const uint8_t *pkt,
				   const struct packet_info *pi)
{
	size_t l4_len = pi->ip_len - pi->l4_offset, n = 0;
	uint8_t buf[BUF_SIZE + 40];

	if (pi->version == 4 && pi->proto != IPPROTO_ICMP) {
		memcpy(buf, pkt + 12, 8);
		buf[8] = 0;
		buf[9] = pi->proto;
		put16(buf + 10, l4_len);
		n = 12;
	} else if (pi->version == 6) {
		memcpy(buf, pkt + 8, 32);
		put32(buf + 32, l4_len);
		memset(buf + 36, 0, 3);
		buf[39] = pi->proto;
		n = 40;
	}
	assert_true(n + l4_len <= sizeof(buf));
	memcpy(buf + n, pkt + pi->l4_offset, l4_len);
	return packet_checksum(buf, n + l4_len, 0);
}

/* Every strict prefix of a valid packet is PACKET_TRUNCATED */
static void assert_prefixes_truncated(const uint8_t *pkt, size_t len)
{
	struct packet_info pi;
	size_t n;

	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	for (n = 0; n < len; n++) {
		if (parse_exact(pkt, n, &pi) != PACKET_TRUNCATED)
			fail_msg("prefix of %zu of %zu bytes not truncated",
				 n, len);
	}
}

/* Checksum */

static void test_checksum_rfc1071(void **state)
{
	/* RFC 1071 section 3: sum 0x2ddf0, folded 0xddf2 */
	static const uint8_t data[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
	};

	(void)state;
	assert_int_equal(packet_checksum_partial(data, sizeof(data), 0),
			 0x2ddf0);
	assert_int_equal(packet_checksum(data, sizeof(data), 0), 0x220d);
}

static void test_checksum_ipv4_header(void **state)
{
	/* The usual example: 192.168.0.1 -> 192.168.0.199, checksum b861 */
	uint8_t hdr[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7,
	};

	(void)state;
	assert_int_equal(packet_checksum(hdr, sizeof(hdr), 0), 0xb861);
	put16(hdr + 10, 0xb861);
	assert_int_equal(packet_checksum(hdr, sizeof(hdr), 0), 0);
}

static void test_checksum_odd_length(void **state)
{
	static const uint8_t data[] = { 0x01, 0x02, 0x03 };
	static const uint8_t padded[] = { 0x01, 0x02, 0x03, 0x00 };
	uint32_t sum;

	(void)state;
	/* 0x0102 + 0x0300 = 0x0402 */
	assert_int_equal(packet_checksum_partial(data, 3, 0), 0x0402);
	assert_int_equal(packet_checksum(data, 3, 0), 0xfbfd);
	assert_int_equal(packet_checksum(padded, 4, 0), 0xfbfd);
	assert_int_equal(packet_checksum(data, 1, 0), 0xfeff);

	/* An even block chained with an odd one */
	sum = packet_checksum_partial(data, 2, 0);
	assert_int_equal(packet_checksum(data + 2, 1, sum), 0xfbfd);
}

static void test_checksum_chain_and_carry(void **state)
{
	static const uint8_t ffff[] = { 0xff, 0xff, 0xff, 0xff };
	size_t big = 200000;
	uint8_t *ones = malloc(big);

	(void)state;
	assert_non_null(ones);
	/* Carries fold back: 0xffff + 0xffff = 0x1fffe -> 0xffff -> 0 */
	assert_int_equal(packet_checksum(ffff, sizeof(ffff), 0), 0);
	/* A starting sum with carries in its top half */
	assert_int_equal(packet_checksum(NULL, 0, 0x0001fffe), 0);
	assert_int_equal(packet_checksum(NULL, 0, 0x1234), 0xedcb);

	/* 100000 words of 0xffff overflow 32 bits unless folded */
	memset(ones, 0xff, big);
	assert_int_equal(packet_checksum(ones, big, 0), 0);
	ones[0] = 0xfe;		/* one less: sum 0xfeff... -> 0x0100 */
	assert_int_equal(packet_checksum(ones, big, 0), 0x0100);
	free(ones);
}

/* Parsing: well-formed packets */

static void test_parse_ipv4_tcp_syn(void **state)
{
	struct packet_info pi;

	(void)state;
	assert_int_equal(parse_exact(ipv4_syn, sizeof(ipv4_syn), &pi),
			 PACKET_OK);
	assert_int_equal(pi.version, 4);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_addr(&pi.src, "10.0.0.2");
	assert_addr(&pi.dst, "93.184.216.34");
	assert_int_equal(pi.src.port, 40000);
	assert_int_equal(pi.dst.port, 80);
	assert_int_equal(pi.ip_len, 44);
	assert_int_equal(pi.l4_offset, 20);
	assert_false(pi.fragment);
	assert_true(pi.has_l4);
	assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
	assert_int_equal(pi.tcp_seq, 0x11223344);
	assert_int_equal(pi.tcp_ack, 0);
	assert_int_equal(pi.payload_len, 0);	/* the MSS option is header */
	assert_int_equal(packet_checksum(ipv4_syn, 20, 0), 0);
}

static void test_parse_ipv6_tcp_syn(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv6_tcp(pkt, 0xfffffff0, 0, PACKET_TCP_SYN, 0);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.version, 6);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_addr(&pi.src, "fd00::2");
	assert_addr(&pi.dst, "2001:db8::7");
	assert_int_equal(pi.src.port, 50000);
	assert_int_equal(pi.dst.port, 22);
	assert_int_equal(pi.ip_len, 60);
	assert_int_equal(pi.l4_offset, 40);
	assert_true(pi.has_l4);
	assert_false(pi.fragment);
	assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
	assert_int_equal(pi.tcp_seq, 0xfffffff0);
}

static void test_parse_tcp_payload(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_tcp(pkt, 1000, 2000, PACKET_TCP_ACK | PACKET_TCP_PSH,
			    123);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.payload_len, 123);
	assert_int_equal(pi.tcp_seq, 1000);
	assert_int_equal(pi.tcp_ack, 2000);
	assert_int_equal(pi.tcp_flags, PACKET_TCP_ACK | PACKET_TCP_PSH);

	len = make_ipv6_tcp(pkt, 7, 9, PACKET_TCP_ACK | PACKET_TCP_FIN, 1000);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.payload_len, 1000);
	assert_int_equal(pi.ip_len, 40 + 20 + 1000);
	assert_int_equal(pi.tcp_flags, PACKET_TCP_ACK | PACKET_TCP_FIN);

	/* ECN bits stay in the flags byte */
	len = make_ipv4_tcp(pkt, 1, 0, 0xc0 | PACKET_TCP_SYN, 0);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.tcp_flags, 0xc2);
}

static void test_parse_ipv4_options(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	/* IHL 6: four bytes of NOP options before the UDP header */
	put_ipv4(pkt, IPPROTO_UDP, "10.0.0.2", "192.0.2.1", 4 + 8 + 10);
	pkt[0] = 0x46;
	memset(pkt + 20, 1, 4);
	len = 24 + put_udp(pkt + 24, 1, 2, 10);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.l4_offset, 24);
	assert_int_equal(pi.src.port, 1);
	assert_int_equal(pi.dst.port, 2);
	assert_int_equal(pi.payload_len, 10);
}

static void test_parse_udp(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_udp(pkt, 37);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_true(pi.has_l4);
	assert_int_equal(pi.src.port, 5353);
	assert_int_equal(pi.dst.port, 53);
	assert_int_equal(pi.payload_len, 37);
	assert_addr(&pi.dst, "192.0.2.53");

	len = make_ipv6_udp(pkt, 0);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.payload_len, 0);
	assert_int_equal(pi.ip_len, 48);
	assert_addr(&pi.dst, "2001:db8::53");
}

static void test_parse_udp_length_field(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	/* Shorter than the IP payload: the UDP length wins */
	len = make_ipv4_udp(pkt, 20);
	put16(pkt + 24, 8 + 5);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.payload_len, 5);

	/* Past the IP payload */
	put16(pkt + 24, 8 + 21);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);

	/* Below the header's own size */
	put16(pkt + 24, 7);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_BAD_HEADER);
	put16(pkt + 24, 0);	/* IPv6 jumbogram style: unsupported */
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_BAD_HEADER);
}

static void test_parse_icmp_echo(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_icmp(pkt, 8, 0);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_ICMP);
	assert_true(pi.has_l4);
	assert_int_equal(pi.icmp_type, 8);
	assert_int_equal(pi.icmp_code, 0);
	assert_int_equal(pi.src.port, 0);
	assert_int_equal(pi.dst.port, 0);

	len = make_ipv6_icmp(pkt, 128, 0);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_ICMPV6);
	assert_true(pi.has_l4);
	assert_int_equal(pi.icmp_type, 128);

	/* ICMPv6's number inside IPv4 is just another protocol... */
	len = make_ipv4_icmp(pkt, 128, 0);
	pkt[9] = IPPROTO_ICMPV6;
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_false(pi.has_l4);
	assert_int_equal(pi.icmp_type, 0);

	/* ... and ICMP's inside IPv6 */
	len = make_ipv6_icmp(pkt, 8, 0);
	pkt[6] = IPPROTO_ICMP;
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_ICMP);
	assert_false(pi.has_l4);
	assert_int_equal(pi.icmp_type, 0);
}

static void test_parse_icmp_short(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;

	(void)state;
	/* Every ICMP message has 8 bytes of header: 7 are too few */
	make_ipv4_icmp(pkt, 8, 0);
	put16(pkt + 2, 20 + 7);
	assert_int_equal(parse_exact(pkt, 27, &pi), PACKET_TRUNCATED);
	put16(pkt + 2, 20 + 8);
	assert_int_equal(parse_exact(pkt, 28, &pi), PACKET_OK);
	assert_true(pi.has_l4);

	make_ipv6_icmp(pkt, 128, 0);
	put16(pkt + 4, 4);
	assert_int_equal(parse_exact(pkt, 44, &pi), PACKET_TRUNCATED);
	put16(pkt + 4, 8);
	assert_int_equal(parse_exact(pkt, 48, &pi), PACKET_OK);
	assert_true(pi.has_l4);
}

static void test_parse_other_protocol(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = put_ipv4(pkt, IPPROTO_GRE, "10.0.0.2", "192.0.2.1", 4) + 4;
	memset(pkt + 20, 0, 4);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_GRE);
	assert_false(pi.has_l4);
	assert_int_equal(pi.l4_offset, 20);
	assert_int_equal(pi.ip_len, 24);
}

/* IPv6 extension headers */

static void test_parse_ipv6_ext_headers(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv6_ext_udp(pkt);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.l4_offset, 40 + 8 + 16 + 8);
	assert_true(pi.fragment);		/* first fragment, M set */
	assert_true(pi.has_l4);
	assert_int_equal(pi.src.port, 1234);
	assert_int_equal(pi.dst.port, 4321);
	assert_int_equal(pi.payload_len, 100);
	assert_int_equal(pi.ip_len, len);
}

static void test_parse_ipv6_routing_ah(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t off = 40, l4;

	(void)state;
	off += put_ext(pkt + off, IPPROTO_AH, 2);		/* 24 bytes */
	off += put_ah(pkt + off, IPPROTO_TCP, 4);		/* 24 bytes */
	l4 = put_tcp(pkt + off, 80, 8080, 5, 6, PACKET_TCP_ACK, 3);
	put_ipv6(pkt, IPPROTO_ROUTING, "fd00::2", "fd00::1", off - 40 + l4);
	assert_int_equal(parse_exact(pkt, off + l4, &pi), PACKET_OK);
	assert_int_equal(off, 40 + 24 + 24);
	assert_int_equal(pi.l4_offset, off);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_int_equal(pi.src.port, 80);
	assert_int_equal(pi.payload_len, 3);
	assert_false(pi.fragment);
}

static void test_parse_ipv6_atomic_fragment(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t l4;

	(void)state;
	/* Offset 0, M clear: a whole packet (RFC 6946) */
	put_frag6(pkt + 40, IPPROTO_UDP, 0, false);
	l4 = put_udp(pkt + 48, 7, 8, 4);
	put_ipv6(pkt, IPPROTO_FRAGMENT, "fd00::2", "fd00::1", 8 + l4);
	assert_int_equal(parse_exact(pkt, 48 + l4, &pi), PACKET_OK);
	assert_false(pi.fragment);
	assert_true(pi.has_l4);
	assert_int_equal(pi.l4_offset, 48);
}

static void test_parse_ipv6_hop_by_hop_not_first(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t off = 40, l4;

	(void)state;
	off += put_ext(pkt + off, IPPROTO_HOPOPTS, 0);
	off += put_ext(pkt + off, IPPROTO_UDP, 0);
	l4 = put_udp(pkt + off, 1, 2, 0);
	put_ipv6(pkt, IPPROTO_DSTOPTS, "fd00::2", "fd00::1", off - 40 + l4);
	assert_int_equal(parse_exact(pkt, off + l4, &pi), PACKET_BAD_HEADER);
}

static size_t make_ipv6_dstopts_chain(uint8_t *pkt, unsigned int count)
{
	size_t off = 40, l4;
	unsigned int i;

	for (i = 0; i < count; i++)
		off += put_ext(pkt + off, i + 1 < count ? IPPROTO_DSTOPTS :
			       IPPROTO_UDP, 0);
	l4 = put_udp(pkt + off, 1, 2, 0);
	put_ipv6(pkt, count ? IPPROTO_DSTOPTS : IPPROTO_UDP, "fd00::2",
		 "fd00::1", off - 40 + l4);
	return off + l4;
}

static void test_parse_ipv6_ext_limit(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv6_dstopts_chain(pkt, 16);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.l4_offset, 40 + 16 * 8);
	assert_true(pi.has_l4);

	len = make_ipv6_dstopts_chain(pkt, 17);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_BAD_HEADER);
}

static void test_parse_ipv6_esp_and_no_next(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t off = 40;

	(void)state;
	off += put_ext(pkt + off, IPPROTO_ESP, 0);
	memset(pkt + off, 0xee, 16);
	put_ipv6(pkt, IPPROTO_DSTOPTS, "fd00::2", "fd00::1", off - 40 + 16);
	assert_int_equal(parse_exact(pkt, off + 16, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_ESP);
	assert_int_equal(pi.l4_offset, 48);
	assert_false(pi.has_l4);

	put_ipv6(pkt, IPPROTO_NONE, "fd00::2", "fd00::1", 0);
	assert_int_equal(parse_exact(pkt, 40, &pi), PACKET_OK);
	assert_int_equal(pi.proto, IPPROTO_NONE);
	assert_int_equal(pi.l4_offset, 40);
	assert_false(pi.has_l4);
}

/* Fragments */

static void test_parse_ipv4_non_first_fragment(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_udp(pkt, 40);
	put16(pkt + 6, 185);			/* offset 1480, last */
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_true(pi.fragment);
	assert_false(pi.has_l4);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_addr(&pi.src, "10.0.0.2");
	assert_int_equal(pi.src.port, 0);
	assert_int_equal(pi.dst.port, 0);
	assert_int_equal(pi.payload_len, 0);

	put16(pkt + 6, 0x2000 | 185);		/* offset 1480, more */
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_true(pi.fragment);
	assert_false(pi.has_l4);

	/* A middle fragment need not start with anything parseable */
	len = put_ipv4(pkt, IPPROTO_TCP, "10.0.0.2", "192.0.2.1", 3) + 3;
	put16(pkt + 6, 0x2000 | 1);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_false(pi.has_l4);
}

static void test_parse_ipv4_first_fragment(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	/* UDP length 3000, 100 bytes in this fragment */
	len = make_ipv4_udp(pkt, 92);
	put16(pkt + 24, 3000);
	put16(pkt + 6, 0x2000);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_true(pi.fragment);
	assert_true(pi.has_l4);
	assert_int_equal(pi.src.port, 5353);
	assert_int_equal(pi.payload_len, 92);

	/* Too short for the TCP header: fine for a fragment, no L4 */
	len = put_ipv4(pkt, IPPROTO_TCP, "10.0.0.2", "192.0.2.1", 8) + 8;
	put16(pkt + 6, 0x2000);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_OK);
	assert_true(pi.fragment);
	assert_false(pi.has_l4);

	/* ... but not for a whole packet */
	put16(pkt + 6, 0x4000);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);
}

static void test_parse_ipv6_non_first_fragment(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t off = 40;

	(void)state;
	off += put_ext(pkt + off, IPPROTO_FRAGMENT, 0);
	off += put_frag6(pkt + off, IPPROTO_TCP, 181, true);
	memset(pkt + off, 0x55, 64);
	put_ipv6(pkt, IPPROTO_HOPOPTS, "fd00::2", "fd00::1", off - 40 + 64);
	assert_int_equal(parse_exact(pkt, off + 64, &pi), PACKET_OK);
	assert_true(pi.fragment);
	assert_false(pi.has_l4);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_int_equal(pi.l4_offset, 56);
	assert_int_equal(pi.src.port, 0);
	assert_int_equal(pi.tcp_flags, 0);
}

/* Malformed and truncated packets */

static void test_parse_truncations(void **state)
{
	uint8_t pkt[BUF_SIZE];
	size_t len;

	(void)state;
	assert_prefixes_truncated(ipv4_syn, sizeof(ipv4_syn));
	len = make_ipv6_tcp(pkt, 1, 2, PACKET_TCP_ACK, 10);
	assert_prefixes_truncated(pkt, len);
	len = make_ipv4_udp(pkt, 3);
	assert_prefixes_truncated(pkt, len);
	len = make_ipv6_udp(pkt, 1);
	assert_prefixes_truncated(pkt, len);
	len = make_ipv4_icmp(pkt, 8, 0);
	assert_prefixes_truncated(pkt, len);
	len = make_ipv6_icmp(pkt, 128, 0);
	assert_prefixes_truncated(pkt, len);
	len = make_ipv6_ext_udp(pkt);
	assert_prefixes_truncated(pkt, len);
}

/* Shrink the declared IPv4 length over the whole range, in a buffer of
 * just that length (ASan sees a read past it): each result must be the
 * one the rules give, and an OK one must add up */
static void test_parse_ipv4_declared_length(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len, n;

	(void)state;
	len = make_ipv4_tcp(pkt, 1, 2, PACKET_TCP_ACK, 30);
	for (n = 0; n <= len; n++) {
		enum packet_status st;

		put16(pkt + 2, n);
		st = parse_exact(pkt, MAX(n, 20), &pi);
		if (n < 20) {
			assert_int_equal(st, PACKET_BAD_HEADER);
		} else if (n < 40) {
			assert_int_equal(st, PACKET_TRUNCATED);
		} else {
			assert_int_equal(st, PACKET_OK);
			assert_int_equal(pi.ip_len, n);
			assert_int_equal(pi.payload_len, n - 40);
		}
	}
}

/* The same for IPv6, through the extension headers. With M set in the
 * fragment header, a UDP header cut short is fine (the rest would follow
 * in the next fragment); in an atomic fragment it is truncation. */
static void test_parse_ipv6_declared_length(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len, n;
	int more;

	(void)state;
	len = make_ipv6_ext_udp(pkt);	/* 40 + 32 of extensions + 108 */
	put16(pkt + 72 + 4, 8);		/* UDP length: header only */
	for (more = 0; more <= 1; more++) {
		pkt[40 + 8 + 16 + 3] = more;	/* fragment header M bit */
		for (n = 0; n <= len - 40; n++) {
			enum packet_status st;

			put16(pkt + 4, n);
			st = parse_exact(pkt, 40 + n, &pi);
			if (n < 32 || (n < 32 + 8 && !more)) {
				assert_int_equal(st, PACKET_TRUNCATED);
				continue;
			}
			assert_int_equal(st, PACKET_OK);
			assert_int_equal(pi.ip_len, 40 + n);
			assert_int_equal(pi.fragment, more);
			assert_int_equal(pi.has_l4, n >= 32 + 8);
			assert_int_equal(pi.payload_len, 0);
		}
	}
}

static void test_parse_bad_version(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;

	(void)state;
	memcpy(pkt, ipv4_syn, sizeof(ipv4_syn));
	pkt[0] = 0x55;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_VERSION);
	pkt[0] = 0x05;
	assert_int_equal(parse_exact(pkt, 1, &pi), PACKET_BAD_VERSION);
	assert_int_equal(parse_exact(pkt, 0, &pi), PACKET_TRUNCATED);
}

static void test_parse_bad_ihl(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;

	(void)state;
	memcpy(pkt, ipv4_syn, sizeof(ipv4_syn));
	pkt[0] = 0x44;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_HEADER);
	pkt[0] = 0x40;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_HEADER);
	/* IHL 15 is 60 bytes, more than the total length of 44 */
	pkt[0] = 0x4f;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_HEADER);

	/* Not caught by chance by a later check: nothing after IP here */
	put_ipv4(pkt, IPPROTO_NONE, "10.0.0.2", "192.0.2.1", 8);
	memset(pkt + 20, 0, 8);
	assert_int_equal(parse_exact(pkt, 28, &pi), PACKET_OK);
	pkt[0] = 0x44;
	assert_int_equal(parse_exact(pkt, 28, &pi), PACKET_BAD_HEADER);
}

static void test_parse_bad_tcp_data_offset(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;

	(void)state;
	memcpy(pkt, ipv4_syn, sizeof(ipv4_syn));
	pkt[32] = 4 << 4;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_HEADER);
	pkt[32] = 0;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_BAD_HEADER);
	/* 7 words: 28 bytes, but only 24 after the IP header */
	pkt[32] = 7 << 4;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi),
			 PACKET_TRUNCATED);
	pkt[32] = 6 << 4;
	assert_int_equal(parse_exact(pkt, sizeof(ipv4_syn), &pi), PACKET_OK);
}

static void test_parse_length_exceeds_buffer(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_udp(pkt, 10);
	put16(pkt + 2, len + 1);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);
	put16(pkt + 2, 0xffff);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);

	len = make_ipv6_udp(pkt, 10);
	put16(pkt + 4, len - 40 + 1);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);
	put16(pkt + 4, 0xffff);
	assert_int_equal(parse_exact(pkt, len, &pi), PACKET_TRUNCATED);
}

/* lo's MTU is 65536: a full IPv6 segment captured from it is one byte
 * longer than an IPv4 packet can be, and must still parse. */
static void test_parse_ipv6_longer_than_64k(void **state)
{
	size_t len = 40 + 65535;
	uint8_t *pkt = calloc(1, len);
	struct packet_info pi;

	(void)state;
	assert_non_null(pkt);
	put_ipv6(pkt, IPPROTO_NONE, "fd00::2", "fd00::1", 65535);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.ip_len, 40 + 65535);
	put16(pkt + 4, 65536 - 40);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(pi.ip_len, 65536);
	free(pkt);
}

static void test_parse_trailing_bytes(void **state)
{
	uint8_t pkt[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_tcp(pkt, 1, 2, PACKET_TCP_ACK, 10);
	memset(pkt + len, 0xaa, 14);
	assert_int_equal(parse_exact(pkt, len + 14, &pi), PACKET_OK);
	assert_int_equal(pi.ip_len, len);
	assert_int_equal(pi.payload_len, 10);

	len = make_ipv6_udp(pkt, 10);
	memset(pkt + len, 0xaa, 30);
	assert_int_equal(parse_exact(pkt, len + 30, &pi), PACKET_OK);
	assert_int_equal(pi.ip_len, len);
	assert_int_equal(pi.payload_len, 10);
}

/* TCP reset */

/* Parse @rst, check it answers @orig, and return its parse in @re */
static void assert_rst_answers(const uint8_t *rst, size_t len,
			       const struct packet_info *orig,
			       struct packet_info *re)
{
	assert_int_equal(parse_exact(rst, len, re), PACKET_OK);
	assert_int_equal(re->ip_len, len);
	assert_int_equal(re->version, orig->version);
	assert_int_equal(re->proto, IPPROTO_TCP);
	assert_true(re->has_l4);
	assert_true(endpoint_addr_equal(&re->src, &orig->dst));
	assert_true(endpoint_addr_equal(&re->dst, &orig->src));
	assert_int_equal(re->src.port, orig->dst.port);
	assert_int_equal(re->dst.port, orig->src.port);
	assert_int_equal(re->payload_len, 0);
	assert_int_equal(get16(rst + re->l4_offset + 14), 0);	/* window */
	assert_int_equal(rst[re->l4_offset + 12], 5 << 4);
	assert_int_equal(l4_checksum_verify(rst, re), 0);

	if (re->version == 4) {
		assert_int_equal(len, 40);
		assert_int_equal(rst[0], 0x45);
		assert_int_equal(get16(rst + 4), 0);		/* ID */
		assert_int_equal(get16(rst + 6), 0x4000);	/* DF */
		assert_int_equal(rst[8], 64);
		assert_int_equal(packet_checksum(rst, 20, 0), 0);
	} else {
		assert_int_equal(len, 60);
		assert_int_equal(get32(rst), 0x60000000);
		assert_int_equal(rst[7], 64);
	}
}

static void test_rst_for_syn(void **state)
{
	struct packet_info pi, re;
	uint8_t out[64];
	size_t n;

	(void)state;
	assert_int_equal(packet_parse(ipv4_syn, sizeof(ipv4_syn), &pi),
			 PACKET_OK);
	memset(out, 0xcc, sizeof(out));
	n = packet_build_tcp_rst(out, sizeof(out), &pi);
	assert_rst_answers(out, n, &pi, &re);
	assert_addr(&re.src, "93.184.216.34");
	assert_int_equal(re.src.port, 80);
	assert_int_equal(re.tcp_flags, PACKET_TCP_RST | PACKET_TCP_ACK);
	assert_int_equal(re.tcp_seq, 0);
	assert_int_equal(re.tcp_ack, 0x11223345);
	assert_int_equal(out[40], 0xcc);		/* nothing past it */
}

static void test_rst_for_syn_ipv6_data_fin(void **state)
{
	uint8_t pkt[BUF_SIZE], out[60];
	struct packet_info pi, re;
	size_t len, n;

	(void)state;
	/* SYN, FIN and 5 bytes: SEG.LEN 7, across the sequence wrap */
	len = make_ipv6_tcp(pkt, 0xfffffffd,
			    0, PACKET_TCP_SYN | PACKET_TCP_FIN, 5);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	n = packet_build_tcp_rst(out, sizeof(out), &pi);
	assert_rst_answers(out, n, &pi, &re);
	assert_int_equal(re.tcp_flags, PACKET_TCP_RST | PACKET_TCP_ACK);
	assert_int_equal(re.tcp_seq, 0);
	assert_int_equal(re.tcp_ack, 4);
}

static void test_rst_for_ack(void **state)
{
	uint8_t pkt[BUF_SIZE], out[60];
	struct packet_info pi, re;
	size_t len, n;

	(void)state;
	len = make_ipv6_tcp(pkt, 1000, 0xdeadbeef,
			    PACKET_TCP_ACK | PACKET_TCP_PSH, 50);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	n = packet_build_tcp_rst(out, sizeof(out), &pi);
	assert_rst_answers(out, n, &pi, &re);
	assert_addr(&re.src, "2001:db8::7");
	assert_addr(&re.dst, "fd00::2");
	assert_int_equal(re.tcp_flags, PACKET_TCP_RST);
	assert_int_equal(re.tcp_seq, 0xdeadbeef);
	assert_int_equal(re.tcp_ack, 0);

	len = make_ipv4_tcp(pkt, 1000, 77, PACKET_TCP_ACK | PACKET_TCP_FIN, 0);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	n = packet_build_tcp_rst(out, sizeof(out), &pi);
	assert_rst_answers(out, n, &pi, &re);
	assert_int_equal(re.tcp_flags, PACKET_TCP_RST);
	assert_int_equal(re.tcp_seq, 77);
}

static void test_rst_refused(void **state)
{
	uint8_t pkt[BUF_SIZE], out[64];
	struct packet_info pi;
	size_t len;

	(void)state;
	assert_int_equal(packet_parse(ipv4_syn, sizeof(ipv4_syn), &pi),
			 PACKET_OK);
	assert_int_equal(packet_build_tcp_rst(out, 39, &pi), 0);
	assert_int_equal(packet_build_tcp_rst(out, 40, &pi), 40);

	len = make_ipv6_tcp(pkt, 1, 0, PACKET_TCP_SYN, 0);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_tcp_rst(out, 59, &pi), 0);
	assert_int_equal(packet_build_tcp_rst(out, 60, &pi), 60);

	/* Never a reset for a reset */
	len = make_ipv4_tcp(pkt, 1, 2, PACKET_TCP_RST | PACKET_TCP_ACK, 0);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_tcp_rst(out, sizeof(out), &pi), 0);

	/* Not TCP, or no TCP header */
	len = make_ipv4_udp(pkt, 4);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_tcp_rst(out, sizeof(out), &pi), 0);
	len = make_ipv4_tcp(pkt, 1, 2, PACKET_TCP_SYN, 0);
	put16(pkt + 6, 10);			/* non-first fragment */
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_tcp_rst(out, sizeof(out), &pi), 0);
}

/* ICMP destination unreachable */

/* Build an error about @orig, parse it and check what it must hold */
static size_t assert_unreach(const uint8_t *orig, size_t orig_len,
			     size_t cap, enum packet_unreach reason,
			     uint8_t want_code, size_t want_quote)
{
	uint8_t *out = malloc(cap);
	struct packet_info pi, re;
	size_t n, hlen;

	assert_non_null(out);
	assert_int_equal(packet_parse(orig, orig_len, &pi), PACKET_OK);
	n = packet_build_icmp_unreach(out, cap, orig, orig_len, &pi, reason);
	hlen = pi.version == 4 ? 20 : 40;
	assert_int_equal(n, hlen + 8 + want_quote);

	assert_int_equal(parse_exact(out, n, &re), PACKET_OK);
	assert_int_equal(re.ip_len, n);
	assert_true(re.has_l4);
	assert_true(endpoint_addr_equal(&re.src, &pi.dst));
	assert_true(endpoint_addr_equal(&re.dst, &pi.src));
	assert_int_equal(re.l4_offset, hlen);
	if (pi.version == 4) {
		assert_int_equal(re.proto, IPPROTO_ICMP);
		assert_int_equal(re.icmp_type, 3);
		assert_int_equal(out[8], 64);
		assert_int_equal(packet_checksum(out, 20, 0), 0);
	} else {
		assert_int_equal(re.proto, IPPROTO_ICMPV6);
		assert_int_equal(re.icmp_type, 1);
		assert_int_equal(out[7], 64);
	}
	assert_int_equal(re.icmp_code, want_code);
	assert_int_equal(get32(out + hlen + 4), 0);	/* unused */
	assert_int_equal(l4_checksum_verify(out, &re), 0);
	assert_memory_equal(out + hlen + 8, orig, want_quote);
	free(out);
	return n;
}

static void test_unreach_ipv4(void **state)
{
	uint8_t pkt[BUF_SIZE];
	size_t len;

	(void)state;
	len = make_ipv4_udp(pkt, 100);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_PORT, 3, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_NET, 0, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_HOST, 1, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_ADMIN, 13, len);
	assert_unreach(ipv4_syn, sizeof(ipv4_syn), 1500, PACKET_UNREACH_ADMIN,
		       13, sizeof(ipv4_syn));
	/* Odd length: the checksum pads */
	len = make_ipv4_udp(pkt, 101);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_PORT, 3, len);
}

static void test_unreach_ipv6(void **state)
{
	uint8_t pkt[BUF_SIZE];
	size_t len;

	(void)state;
	len = make_ipv6_udp(pkt, 77);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_PORT, 4, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_NET, 0, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_HOST, 3, len);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_ADMIN, 1, len);
	len = make_ipv6_tcp(pkt, 1, 0, PACKET_TCP_SYN, 0);
	assert_unreach(pkt, len, 1500, PACKET_UNREACH_ADMIN, 1, len);
}

static void test_unreach_quote_capped(void **state)
{
	uint8_t pkt[BUF_SIZE];
	size_t len;

	(void)state;
	/* 576 bytes in all for IPv4, 1280 for IPv6 */
	len = make_ipv4_udp(pkt, 1400);
	assert_int_equal(assert_unreach(pkt, len, 1500, PACKET_UNREACH_PORT,
					3, 576 - 28), 576);
	len = make_ipv6_udp(pkt, 1400);
	assert_int_equal(assert_unreach(pkt, len, 1500, PACKET_UNREACH_PORT,
					4, 1280 - 48), 1280);

	/* Never more than the buffer */
	len = make_ipv4_udp(pkt, 1400);
	assert_unreach(pkt, len, 100, PACKET_UNREACH_PORT, 3, 100 - 28);
	assert_unreach(pkt, len, 56, PACKET_UNREACH_PORT, 3, 28);
	len = make_ipv6_udp(pkt, 1400);
	assert_unreach(pkt, len, 200, PACKET_UNREACH_PORT, 4, 200 - 48);
	assert_unreach(pkt, len, 96, PACKET_UNREACH_PORT, 4, 48);

	/* Trailing bytes are not part of the packet */
	len = make_ipv4_udp(pkt, 10);
	memset(pkt + len, 0xaa, 50);
	assert_unreach(pkt, len + 50, 1500, PACKET_UNREACH_PORT, 3, len);
}

static void test_unreach_too_small(void **state)
{
	uint8_t pkt[BUF_SIZE], out[BUF_SIZE];
	struct packet_info pi;
	size_t len;

	(void)state;
	len = make_ipv4_udp(pkt, 100);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_icmp_unreach(out, 55, pkt, len, &pi,
						   PACKET_UNREACH_PORT), 0);
	assert_int_equal(packet_build_icmp_unreach(out, 0, pkt, len, &pi,
						   PACKET_UNREACH_PORT), 0);
	/* The caller must keep the IP header and 8 bytes */
	assert_int_equal(packet_build_icmp_unreach(out, sizeof(out), pkt, 27,
						   &pi, PACKET_UNREACH_PORT),
			 0);
	assert_int_equal(packet_build_icmp_unreach(out, sizeof(out), pkt, 28,
						   &pi, PACKET_UNREACH_PORT),
			 56);
	assert_int_equal(packet_build_icmp_unreach(out, sizeof(out), pkt, len,
						   &pi, 42), 0);

	len = make_ipv6_udp(pkt, 100);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_icmp_unreach(out, 95, pkt, len, &pi,
						   PACKET_UNREACH_PORT), 0);
	assert_int_equal(packet_build_icmp_unreach(out, sizeof(out), pkt, 47,
						   &pi, PACKET_UNREACH_PORT),
			 0);

	/* Only what the caller kept is quoted */
	assert_int_equal(packet_build_icmp_unreach(out, sizeof(out), pkt, 100,
						   &pi, PACKET_UNREACH_PORT),
			 40 + 8 + 100);
	assert_memory_equal(out + 48, pkt, 100);

	/* A packet shorter than the minimal quote is quoted whole */
	len = put_ipv6(pkt, IPPROTO_NONE, "fd00::2", "fd00::1", 0);
	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	assert_int_equal(packet_build_icmp_unreach(out, 96, pkt, len, &pi,
						   PACKET_UNREACH_NET), 88);
}

static size_t unreach_about(const uint8_t *pkt, size_t len)
{
	uint8_t out[BUF_SIZE];
	struct packet_info pi;

	assert_int_equal(packet_parse(pkt, len, &pi), PACKET_OK);
	return packet_build_icmp_unreach(out, sizeof(out), pkt, len, &pi,
					 PACKET_UNREACH_HOST);
}

static void test_unreach_not_about_icmp_error(void **state)
{
	static const uint8_t errors4[] = { 3, 4, 5, 11, 12 };
	static const uint8_t errors6[] = { 1, 2, 3, 4, 127, 137 };
	uint8_t pkt[BUF_SIZE];
	size_t i, len;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(errors4); i++) {
		len = make_ipv4_icmp(pkt, errors4[i], 0);
		assert_int_equal(unreach_about(pkt, len), 0);
	}
	for (i = 0; i < ARRAY_SIZE(errors6); i++) {
		len = make_ipv6_icmp(pkt, errors6[i], 0);
		assert_int_equal(unreach_about(pkt, len), 0);
	}

	/* Queries are fine */
	len = make_ipv4_icmp(pkt, 8, 0);
	assert_int_equal(unreach_about(pkt, len), 20 + 8 + len);
	len = make_ipv6_icmp(pkt, 128, 0);
	assert_int_equal(unreach_about(pkt, len), 40 + 8 + len);
}

static void test_unreach_not_allowed(void **state)
{
	uint8_t pkt[BUF_SIZE];
	size_t len;

	(void)state;
	/* Non-first fragment */
	len = make_ipv4_udp(pkt, 100);
	put16(pkt + 6, 0x2000 | 100);
	assert_int_equal(unreach_about(pkt, len), 0);
	put16(pkt + 6, 0x2000);			/* the first one is fine */
	assert_int_equal(unreach_about(pkt, len), 20 + 8 + len);

	/* Multicast or broadcast destination, unspecified source */
	put16(pkt + 6, 0);
	put_addr(pkt + 16, AF_INET, "224.0.0.251");
	assert_int_equal(unreach_about(pkt, len), 0);
	put_addr(pkt + 16, AF_INET, "255.255.255.255");
	assert_int_equal(unreach_about(pkt, len), 0);
	put_addr(pkt + 16, AF_INET, "127.0.0.1");	/* loopback is fine */
	assert_int_equal(unreach_about(pkt, len), 20 + 8 + len);
	put_addr(pkt + 12, AF_INET, "0.0.0.0");
	assert_int_equal(unreach_about(pkt, len), 0);

	len = make_ipv6_udp(pkt, 10);
	put_addr(pkt + 24, AF_INET6, "ff02::fb");
	assert_int_equal(unreach_about(pkt, len), 0);
	put_addr(pkt + 24, AF_INET6, "2001:db8::53");
	put_addr(pkt + 8, AF_INET6, "::");
	assert_int_equal(unreach_about(pkt, len), 0);
	put_addr(pkt + 8, AF_INET6, "::1");
	assert_int_equal(unreach_about(pkt, len), 40 + 8 + len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_rfc1071),
		cmocka_unit_test(test_checksum_ipv4_header),
		cmocka_unit_test(test_checksum_odd_length),
		cmocka_unit_test(test_checksum_chain_and_carry),
		cmocka_unit_test(test_parse_ipv4_tcp_syn),
		cmocka_unit_test(test_parse_ipv6_tcp_syn),
		cmocka_unit_test(test_parse_tcp_payload),
		cmocka_unit_test(test_parse_ipv4_options),
		cmocka_unit_test(test_parse_udp),
		cmocka_unit_test(test_parse_udp_length_field),
		cmocka_unit_test(test_parse_icmp_echo),
		cmocka_unit_test(test_parse_icmp_short),
		cmocka_unit_test(test_parse_other_protocol),
		cmocka_unit_test(test_parse_ipv6_ext_headers),
		cmocka_unit_test(test_parse_ipv6_routing_ah),
		cmocka_unit_test(test_parse_ipv6_atomic_fragment),
		cmocka_unit_test(test_parse_ipv6_hop_by_hop_not_first),
		cmocka_unit_test(test_parse_ipv6_ext_limit),
		cmocka_unit_test(test_parse_ipv6_esp_and_no_next),
		cmocka_unit_test(test_parse_ipv4_non_first_fragment),
		cmocka_unit_test(test_parse_ipv4_first_fragment),
		cmocka_unit_test(test_parse_ipv6_non_first_fragment),
		cmocka_unit_test(test_parse_truncations),
		cmocka_unit_test(test_parse_ipv4_declared_length),
		cmocka_unit_test(test_parse_ipv6_declared_length),
		cmocka_unit_test(test_parse_bad_version),
		cmocka_unit_test(test_parse_bad_ihl),
		cmocka_unit_test(test_parse_bad_tcp_data_offset),
		cmocka_unit_test(test_parse_length_exceeds_buffer),
		cmocka_unit_test(test_parse_ipv6_longer_than_64k),
		cmocka_unit_test(test_parse_trailing_bytes),
		cmocka_unit_test(test_rst_for_syn),
		cmocka_unit_test(test_rst_for_syn_ipv6_data_fin),
		cmocka_unit_test(test_rst_for_ack),
		cmocka_unit_test(test_rst_refused),
		cmocka_unit_test(test_unreach_ipv4),
		cmocka_unit_test(test_unreach_ipv6),
		cmocka_unit_test(test_unreach_quote_capped),
		cmocka_unit_test(test_unreach_too_small),
		cmocka_unit_test(test_unreach_not_about_icmp_error),
		cmocka_unit_test(test_unreach_not_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_packet.c - libFuzzer harness for stack/packet_parse.c and
 * packet_build.c: untrusted bytes, as the sandbox writes them to the TUN.
 *
 * Each input is parsed from a heap copy of exactly its size, so ASan sees
 * any read past the end. When it parses, the harness checks that the
 * result is consistent with the input, builds a RST and every ICMP
 * unreachable error about it into buffers of exactly the capacity passed
 * (one full-size, one taken from the input), parses them back, and checks
 * their checksums. Any broken invariant abort()s, which libFuzzer reports.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *	tests/fuzz/fuzz_packet.c stack/packet_parse.c stack/packet_build.c \
 *	util/util.c -o build/fuzz_packet
 *   build/fuzz_packet -max_total_time=60
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/packet.h"

#define FUZZ_CAP_MAX	1600

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * check_consistent() - a PACKET_OK parse must describe bytes really there
 * @pi:		parse of an input of @size bytes
 * @size:	input length
 */
static void check_consistent(const struct packet_info *pi, size_t size)
{
	fuzz_assert(pi->version == 4 || pi->version == 6);
	fuzz_assert(pi->ip_len <= size);
	fuzz_assert(pi->ip_len >= (pi->version == 4 ? 20 : 40));
	fuzz_assert(pi->l4_offset <= pi->ip_len);
	fuzz_assert(pi->src.family == (pi->version == 4 ? AF_INET : AF_INET6));
	fuzz_assert(pi->dst.family == pi->src.family);

	if (!pi->has_l4) {
		fuzz_assert(!pi->src.port && !pi->dst.port);
		fuzz_assert(!pi->payload_len && !pi->tcp_flags);
		return;
	}
	switch (pi->proto) {
	case IPPROTO_TCP:
		fuzz_assert(pi->l4_offset + 20 + pi->payload_len <= pi->ip_len);
		break;
	case IPPROTO_UDP:
		fuzz_assert(pi->l4_offset + 8 + pi->payload_len <= pi->ip_len);
		break;
	case IPPROTO_ICMP:
		fuzz_assert(pi->version == 4);
		fuzz_assert(pi->l4_offset + 8 <= pi->ip_len);
		break;
	case IPPROTO_ICMPV6:
		fuzz_assert(pi->version == 6);
		fuzz_assert(pi->l4_offset + 8 <= pi->ip_len);
		break;
	default:
		fuzz_assert(0);
	}
}

/**
 * l4_checksum() - checksum over a built reply's transport part
 * @pkt:	reply
 * @re:		its parse
 *
 * Return: 0 if the transport checksum is right
 */
static uint16_t l4_checksum(const uint8_t *pkt, const struct packet_info *re)
{
	size_t l4_len = re->ip_len - re->l4_offset;
	size_t alen = re->version == 4 ? 4 : 16;
	uint32_t sum = 0;

	if (re->proto != IPPROTO_ICMP) {
		sum = packet_checksum_partial(re->src.addr, alen, 0);
		sum = packet_checksum_partial(re->dst.addr, alen, sum);
		sum += re->proto + l4_len;
	}
	return packet_checksum(pkt + re->l4_offset, l4_len, sum);
}

/**
 * check_reply() - a built reply parses, answers @pi, and checks out
 * @out:	reply
 * @len:	its length
 * @pi:		the packet it answers
 * @proto:	protocol it must carry
 */
static void check_reply(const uint8_t *out, size_t len,
			const struct packet_info *pi, uint8_t proto)
{
	struct packet_info re;

	fuzz_assert(packet_parse(out, len, &re) == PACKET_OK);
	fuzz_assert(re.ip_len == len);
	fuzz_assert(re.version == pi->version);
	fuzz_assert(re.proto == proto);
	fuzz_assert(re.has_l4 && !re.fragment);
	fuzz_assert(!memcmp(re.src.addr, pi->dst.addr, 16));
	fuzz_assert(!memcmp(re.dst.addr, pi->src.addr, 16));
	fuzz_assert(l4_checksum(out, &re) == 0);
	if (re.version == 4)
		fuzz_assert(packet_checksum(out, 20, 0) == 0);
	if (proto == IPPROTO_TCP) {
		fuzz_assert(re.tcp_flags & PACKET_TCP_RST);
		fuzz_assert(re.src.port == pi->dst.port);
		fuzz_assert(re.dst.port == pi->src.port);
	}
}

/**
 * fuzz_rst() - build the RST for @pi into exactly @cap bytes
 * @pi:		parsed input
 * @cap:	capacity
 */
static void fuzz_rst(const struct packet_info *pi, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	size_t n;

	fuzz_assert(out);
	n = packet_build_tcp_rst(out, cap, pi);
	fuzz_assert(n <= cap);
	if (n)
		check_reply(out, n, pi, IPPROTO_TCP);
	else if (cap >= 60 && pi->proto == IPPROTO_TCP && pi->has_l4)
		fuzz_assert(pi->tcp_flags & PACKET_TCP_RST);
	free(out);
}

/**
 * fuzz_unreach() - build each ICMP error about the input into @cap bytes
 * @data:	input
 * @size:	its length
 * @pi:		its parse
 * @cap:	capacity
 */
static void fuzz_unreach(const uint8_t *data, size_t size,
			 const struct packet_info *pi, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	unsigned int reason;
	size_t n, limit;

	fuzz_assert(out);
	limit = pi->version == 4 ? 576 : 1280;
	for (reason = PACKET_UNREACH_NET; reason <= PACKET_UNREACH_ADMIN;
	     reason++) {
		n = packet_build_icmp_unreach(out, cap, data, size, pi, reason);
		fuzz_assert(n <= cap && n <= limit);
		if (n)
			check_reply(out, n, pi, pi->version == 4 ?
				    IPPROTO_ICMP : IPPROTO_ICMPV6);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct packet_info pi;
	size_t cap;

	if (!copy)
		return 0;
	memcpy(copy, data, size);

	if (packet_parse(copy, size, &pi) == PACKET_OK) {
		check_consistent(&pi, size);
		/* A capacity from the input's last bytes, to try edges */
		cap = size >= 2 ? (copy[size - 2] << 8 | copy[size - 1]) %
				  FUZZ_CAP_MAX : 0;
		fuzz_rst(&pi, FUZZ_CAP_MAX);
		fuzz_rst(&pi, cap % 64);
		fuzz_unreach(copy, size, &pi, FUZZ_CAP_MAX);
		fuzz_unreach(copy, size, &pi, cap);
	}

	free(copy);
	return 0;
}

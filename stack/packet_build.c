/* packet_build.c - the packets the gateway writes into the TUN itself, and
 * the Internet checksum: a TCP RST for a connection it refuses and ICMP
 * destination unreachable errors, both addressed by a struct packet_info
 * that packet_parse() (packet_parse.c) filled. See packet.h.
 *
 * Theory of operation
 *
 * A reply goes from the offending packet's destination back to its
 * source, so it reaches the sandbox as if the remote end had answered.
 * Headers are filled in local structs and copied out, so @out needs no
 * alignment; the length is checked against @cap before the first write.
 * IPv4 replies are atomic datagrams (DF, ID 0, RFC 6864), TTL 64; IPv6
 * replies have hop limit 64 and no extension headers.
 *
 * Checksums follow RFC 1071 over big-endian 16-bit words: sums are plain
 * numbers in host order, chained through the pseudo-header, and the final
 * checksum is stored with htons().
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <string.h>

#include "stack/packet.h"

#define REPLY_TTL		64

/* ICMP error header: type, code, checksum, 4 unused bytes */
#define ICMP_ERR_HLEN		8

/* RFC 1812 4.3.2.3 and RFC 4443 2.4 (c): total size of an ICMP error */
#define ICMP4_ERR_MAX		576
#define ICMP6_ERR_MAX		1280

/* Shortest quote: IP header and 8 bytes of what it carries (RFC 792) */
#define ICMP4_QUOTE_MIN		(sizeof(struct iphdr) + 8)
#define ICMP6_QUOTE_MIN		(sizeof(struct ip6_hdr) + 8)

uint32_t packet_checksum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;

	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return acc;
}

uint16_t packet_checksum(const void *data, size_t len, uint32_t sum)
{
	sum = packet_checksum_partial(data, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/**
 * pseudo_header_sum() - sum of the TCP/UDP/ICMPv6 pseudo-header
 * @src:	source address
 * @dst:	destination address, same family
 * @proto:	transport protocol
 * @l4_len:	transport header and payload length
 *
 * IPv4 (RFC 9293 3.1): addresses, zero, protocol, 16-bit length. IPv6
 * (RFC 8200 8.1): addresses, 32-bit length, three zeros, next header. As
 * a sum of 16-bit words both come to the same thing.
 *
 * Return: unfolded sum, to continue with packet_checksum()
 */
static uint32_t pseudo_header_sum(const struct tg_endpoint *src,
				  const struct tg_endpoint *dst,
				  uint8_t proto, size_t l4_len)
{
	size_t alen = tg_endpoint_addr_len(src);
	uint32_t sum;

	sum = packet_checksum_partial(src->addr, alen, 0);
	sum = packet_checksum_partial(dst->addr, alen, sum);
	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

/**
 * ip_header_len() - length of the IP header of a reply
 * @version:	4 or 6
 *
 * Return: 20, 40, or 0 for another version
 */
static size_t ip_header_len(uint8_t version)
{
	switch (version) {
	case 4:
		return sizeof(struct iphdr);
	case 6:
		return sizeof(struct ip6_hdr);
	default:
		return 0;
	}
}

/**
 * ip4_header_write() - write an IPv4 header with its checksum
 * @out:	at least 20 bytes
 * @src:	source address
 * @dst:	destination address
 * @proto:	transport protocol
 * @l4_len:	bytes that follow the header
 */
static void ip4_header_write(uint8_t *out, const struct tg_endpoint *src,
			     const struct tg_endpoint *dst, uint8_t proto,
			     size_t l4_len)
{
	struct iphdr ih = {
		.version	= 4,
		.ihl		= sizeof(ih) / 4,
		.tot_len	= htons(sizeof(ih) + l4_len),
		.frag_off	= htons(IP_DF),
		.ttl		= REPLY_TTL,
		.protocol	= proto,
	};

	memcpy(&ih.saddr, src->addr, sizeof(ih.saddr));
	memcpy(&ih.daddr, dst->addr, sizeof(ih.daddr));
	ih.check = htons(packet_checksum(&ih, sizeof(ih), 0));
	memcpy(out, &ih, sizeof(ih));
}

/**
 * ip6_header_write() - write an IPv6 header
 * @out:	at least 40 bytes
 * @src:	source address
 * @dst:	destination address
 * @proto:	next header
 * @l4_len:	bytes that follow the header
 */
static void ip6_header_write(uint8_t *out, const struct tg_endpoint *src,
			     const struct tg_endpoint *dst, uint8_t proto,
			     size_t l4_len)
{
	struct ip6_hdr ih = {
		.ip6_flow	= htonl(6U << 28),
		.ip6_plen	= htons(l4_len),
		.ip6_nxt	= proto,
		.ip6_hlim	= REPLY_TTL,
	};

	memcpy(&ih.ip6_src, src->addr, sizeof(ih.ip6_src));
	memcpy(&ih.ip6_dst, dst->addr, sizeof(ih.ip6_dst));
	memcpy(out, &ih, sizeof(ih));
}

/**
 * ip_header_write() - write the IP header of a reply
 * @out:	at least ip_header_len(@version) bytes
 * @version:	4 or 6
 * @src:	source address
 * @dst:	destination address
 * @proto:	transport protocol
 * @l4_len:	bytes that follow the header
 */
static void ip_header_write(uint8_t *out, uint8_t version,
			    const struct tg_endpoint *src,
			    const struct tg_endpoint *dst, uint8_t proto,
			    size_t l4_len)
{
	if (version == 4)
		ip4_header_write(out, src, dst, proto, l4_len);
	else
		ip6_header_write(out, src, dst, proto, l4_len);
}

/**
 * tcp_seg_len() - SEG.LEN of a segment: payload, plus one each for SYN, FIN
 * @pi:		parsed segment
 *
 * Return: the sequence space the segment occupies
 */
static uint32_t tcp_seg_len(const struct packet_info *pi)
{
	uint32_t len = pi->payload_len;

	if (pi->tcp_flags & PACKET_TCP_SYN)
		len++;
	if (pi->tcp_flags & PACKET_TCP_FIN)
		len++;
	return len;
}

/**
 * tcp_rst_fill() - sequence, acknowledgment and flags of a reset
 * @th:		TCP header to fill
 * @pi:		segment being answered
 *
 * RFC 9293 3.10.7.1: if the segment has ACK, <SEQ=SEG.ACK><CTL=RST>;
 * otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
static void tcp_rst_fill(struct tcphdr *th, const struct packet_info *pi)
{
	if (pi->tcp_flags & PACKET_TCP_ACK) {
		th->th_seq = htonl(pi->tcp_ack);
		th->th_flags = PACKET_TCP_RST;
	} else {
		th->th_ack = htonl(pi->tcp_seq + tcp_seg_len(pi));
		th->th_flags = PACKET_TCP_RST | PACKET_TCP_ACK;
	}
}

size_t packet_build_tcp_rst(uint8_t *out, size_t cap,
			    const struct packet_info *pi)
{
	size_t hlen = ip_header_len(pi->version);
	struct tcphdr th = { 0 };
	uint32_t sum;

	if (!hlen || pi->proto != IPPROTO_TCP || !pi->has_l4)
		return 0;
	if (pi->tcp_flags & PACKET_TCP_RST)
		return 0;	/* RFC 9293 3.10.7.1: never answer a reset */
	if (cap < hlen + sizeof(th))
		return 0;

	th.th_sport = htons(pi->dst.port);
	th.th_dport = htons(pi->src.port);
	th.th_off = sizeof(th) / 4;
	tcp_rst_fill(&th, pi);

	sum = pseudo_header_sum(&pi->dst, &pi->src, IPPROTO_TCP, sizeof(th));
	th.th_sum = htons(packet_checksum(&th, sizeof(th), sum));

	ip_header_write(out, pi->version, &pi->dst, &pi->src, IPPROTO_TCP,
			sizeof(th));
	memcpy(out + hlen, &th, sizeof(th));
	return hlen + sizeof(th);
}

/**
 * unreach_code() - ICMP or ICMPv6 code for a reason
 * @version:	4 or 6
 * @reason:	why the destination is unreachable
 *
 * Return: the code, or -1 for an unknown @reason
 */
static int unreach_code(uint8_t version, enum packet_unreach reason)
{
	static const uint8_t code4[] = {
		[PACKET_UNREACH_NET]	= ICMP_NET_UNREACH,
		[PACKET_UNREACH_HOST]	= ICMP_HOST_UNREACH,
		[PACKET_UNREACH_PORT]	= ICMP_PORT_UNREACH,
		[PACKET_UNREACH_ADMIN]	= ICMP_PKT_FILTERED,
	};
	static const uint8_t code6[] = {
		[PACKET_UNREACH_NET]	= ICMP6_DST_UNREACH_NOROUTE,
		[PACKET_UNREACH_HOST]	= ICMP6_DST_UNREACH_ADDR,
		[PACKET_UNREACH_PORT]	= ICMP6_DST_UNREACH_NOPORT,
		[PACKET_UNREACH_ADMIN]	= ICMP6_DST_UNREACH_ADMIN,
	};

	if ((unsigned int)reason >= ARRAY_SIZE(code4))
		return -1;
	return version == 4 ? code4[reason] : code6[reason];
}

/**
 * icmp_is_error() - is the packet an ICMP error, or might it be?
 * @pi:		parsed packet
 *
 * ICMP errors are destination unreachable, source quench, redirect, time
 * exceeded and parameter problem (RFC 1122 3.2.2); ICMPv6 errors are the
 * types below 128, and RFC 4443 2.4 (e) adds redirects. An ICMP message
 * whose header was not parsed counts as an error: nobody can tell.
 *
 * Return: true if no ICMP error may be sent about it
 */
static bool icmp_is_error(const struct packet_info *pi)
{
	if (pi->version == 4 && pi->proto == IPPROTO_ICMP) {
		if (!pi->has_l4)
			return true;
		switch (pi->icmp_type) {
		case ICMP_DEST_UNREACH:
		case ICMP_SOURCE_QUENCH:
		case ICMP_REDIRECT:
		case ICMP_TIME_EXCEEDED:
		case ICMP_PARAMETERPROB:
			return true;
		default:
			return false;
		}
	}
	if (pi->version == 6 && pi->proto == IPPROTO_ICMPV6) {
		if (!pi->has_l4)
			return true;
		return !(pi->icmp_type & ICMP6_INFOMSG_MASK) ||
		       pi->icmp_type == ND_REDIRECT;
	}
	return false;
}

/**
 * addr_is_single_host() - may an ICMP error be sent from or to @ep?
 * @ep:		address
 *
 * RFC 1122 3.2.2: not about a datagram to a broadcast or multicast
 * address, nor from one that "does not define a single host". Loopback
 * is allowed here: the gateway may route it through the TUN.
 *
 * Return: false for IPv4 0/8, 224/4 (multicast), 240/4 (reserved and
 * broadcast), IPv6 :: and ff00::/8; true otherwise
 */
static bool addr_is_single_host(const struct tg_endpoint *ep)
{
	static const uint8_t any6[16];

	if (ep->family == AF_INET)
		return ep->addr[0] != 0 && ep->addr[0] < 224;
	return ep->addr[0] != 0xff &&
	       memcmp(ep->addr, any6, sizeof(any6)) != 0;
}

/**
 * icmp_error_forbidden() - would an ICMP error about @pi break the rules?
 * @pi:		parsed packet
 *
 * Return: true about an ICMP error, a fragment whose transport header was
 * not parsed (a non-first one, or a first one too short to tell), or a
 * packet from or to an address that is not a single host's
 */
static bool icmp_error_forbidden(const struct packet_info *pi)
{
	if (icmp_is_error(pi))
		return true;
	if (pi->fragment && !pi->has_l4)
		return true;
	return !addr_is_single_host(&pi->src) ||
	       !addr_is_single_host(&pi->dst);
}

/**
 * icmp_unreach_header() - the 8-byte header of a destination unreachable
 * @hdr:	output, checksum left 0
 * @version:	4 or 6
 * @code:	from unreach_code()
 */
static void icmp_unreach_header(uint8_t hdr[ICMP_ERR_HLEN], uint8_t version,
				int code)
{
	memset(hdr, 0, ICMP_ERR_HLEN);
	hdr[0] = version == 4 ? ICMP_DEST_UNREACH : ICMP6_DST_UNREACH;
	hdr[1] = code;
}

/**
 * icmp_quote_len() - how much of the offending packet to quote
 * @cap:	size of the output buffer
 * @orig_len:	bytes of the offending packet at hand
 * @pi:		offending packet, parsed
 *
 * As much as the 576 (IPv4) or 1280 (IPv6) byte limit of an ICMP error,
 * @cap and the packet itself allow: trailing bytes past @pi->ip_len are
 * not part of it.
 *
 * Return: bytes to quote, or 0 if @cap cannot hold the shortest quote or
 * @orig_len holds less than it (or than the whole packet, if shorter)
 */
static size_t icmp_quote_len(size_t cap, size_t orig_len,
			     const struct packet_info *pi)
{
	size_t hlen = ip_header_len(pi->version) + ICMP_ERR_HLEN;
	size_t quote_min, limit, have;

	if (pi->version == 4) {
		quote_min = ICMP4_QUOTE_MIN;
		limit = ICMP4_ERR_MAX;
	} else {
		quote_min = ICMP6_QUOTE_MIN;
		limit = ICMP6_ERR_MAX;
	}

	if (cap < hlen + quote_min)
		return 0;
	have = MIN(orig_len, (size_t)pi->ip_len);
	if (have < MIN(quote_min, (size_t)pi->ip_len))
		return 0;
	return MIN(have, MIN(cap, limit) - hlen);
}

size_t packet_build_icmp_unreach(uint8_t *out, size_t cap,
				 const uint8_t *orig, size_t orig_len,
				 const struct packet_info *pi,
				 enum packet_unreach reason)
{
	size_t hlen = ip_header_len(pi->version);
	uint8_t icmp[ICMP_ERR_HLEN];
	size_t quote, l4_len;
	uint16_t csum;
	uint32_t sum;
	uint8_t proto;
	int code;

	code = unreach_code(pi->version, reason);
	if (!hlen || code < 0 || icmp_error_forbidden(pi))
		return 0;
	quote = icmp_quote_len(cap, orig_len, pi);
	if (!quote)
		return 0;

	l4_len = sizeof(icmp) + quote;
	icmp_unreach_header(icmp, pi->version, code);
	memcpy(out + hlen, icmp, sizeof(icmp));
	memcpy(out + hlen + sizeof(icmp), orig, quote);

	if (pi->version == 4) {
		proto = IPPROTO_ICMP;
		sum = 0;	/* ICMP for IPv4 has no pseudo-header */
	} else {
		proto = IPPROTO_ICMPV6;
		sum = pseudo_header_sum(&pi->dst, &pi->src, proto, l4_len);
	}
	csum = htons(packet_checksum(out + hlen, l4_len, sum));
	memcpy(out + hlen + 2, &csum, sizeof(csum));

	ip_header_write(out, pi->version, &pi->dst, &pi->src, proto, l4_len);
	return hlen + l4_len;
}

/* packet_parse.c - packet_parse(): what the gateway needs to know about a
 * packet read from the TUN, before lwIP sees it. See packet.h for the
 * interface; packet_build.c builds the replies.
 *
 * Theory of operation
 *
 * The input is untrusted bytes from the sandbox. The parse narrows a
 * window over them: first the buffer, then the length the IP header
 * declares (bytes after it are ignored, as padding is), then what follows
 * the IPv4 options or the IPv6 extension headers. Each header is copied
 * into a local struct only after checking that it lies inside the window,
 * so nothing is read outside the buffer and nothing needs to be aligned.
 *
 * IPv6 extension headers are walked in a bounded loop: hop-by-hop (first
 * only), routing, destination options and AH are skipped by their length
 * field; a fragment header with a nonzero offset ends the walk. Anything
 * else, ESP and "no next header" included, is taken as the transport.
 *
 * Fragments: a non-first fragment carries no transport header, so only
 * the IP fields are filled (@has_l4 false). A first fragment is parsed as
 * far as it goes: if it does not hold the whole transport header, the
 * packet is still PACKET_OK, with @has_l4 false, since reassembly (lwIP's
 * job) will complete it; an unfragmented packet in that state is
 * PACKET_TRUNCATED.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>

#include "stack/packet.h"

/* More extension headers than this is an attack on parsers, not traffic */
#define IP6_EXT_MAX		16

/* Type, code, checksum and the 4 bytes every ICMP and ICMPv6 message has */
#define ICMP_HEADER_LEN		8

/**
 * endpoint_set() - fill the address part of an endpoint, port 0
 * @ep:		endpoint, cleared by the caller
 * @family:	AF_INET or AF_INET6
 * @addr:	address, network order, 4 or 16 bytes
 * @len:	4 or 16
 */
static void endpoint_set(struct tg_endpoint *ep, sa_family_t family,
			 const void *addr, size_t len)
{
	ep->family = family;
	memcpy(ep->addr, addr, len);
}

/**
 * header_missing() - status for a transport header the IP length cuts
 * @pi:		packet so far
 *
 * Return: PACKET_OK for a first fragment, whose header may continue in the
 * next fragment (@pi->has_l4 stays false); PACKET_TRUNCATED otherwise
 */
static enum packet_status header_missing(const struct packet_info *pi)
{
	return pi->fragment ? PACKET_OK : PACKET_TRUNCATED;
}

/**
 * parse_tcp() - read ports, numbers and flags of a TCP header
 * @l4:		transport header
 * @avail:	bytes from @l4 to the end of the IP packet
 * @pi:		output
 *
 * Return: PACKET_OK, PACKET_BAD_HEADER for a data offset below 5, or what
 * header_missing() says if the header and its options do not fit
 */
static enum packet_status parse_tcp(const uint8_t *l4, size_t avail,
				    struct packet_info *pi)
{
	struct tcphdr th;
	size_t hlen;

	if (avail < sizeof(th))
		return header_missing(pi);
	memcpy(&th, l4, sizeof(th));

	hlen = th.th_off * 4U;
	if (hlen < sizeof(th))
		return PACKET_BAD_HEADER;
	if (hlen > avail)
		return header_missing(pi);

	pi->src.port = ntohs(th.th_sport);
	pi->dst.port = ntohs(th.th_dport);
	pi->tcp_seq = ntohl(th.th_seq);
	pi->tcp_ack = ntohl(th.th_ack);
	pi->tcp_flags = th.th_flags;
	pi->payload_len = avail - hlen;
	pi->has_l4 = true;
	return PACKET_OK;
}

/**
 * parse_udp() - read ports and the payload length of a UDP header
 * @l4:		transport header
 * @avail:	bytes from @l4 to the end of the IP packet
 * @pi:		output
 *
 * The UDP length field gives the payload length; it may be shorter than
 * the IP payload (the rest is ignored) but not longer, except in a first
 * fragment, where the payload length counts the bytes of this fragment.
 *
 * Return: PACKET_OK, PACKET_BAD_HEADER for a UDP length below 8,
 * PACKET_TRUNCATED for one past the IP length
 */
static enum packet_status parse_udp(const uint8_t *l4, size_t avail,
				    struct packet_info *pi)
{
	struct udphdr uh;
	size_t ulen;

	if (avail < sizeof(uh))
		return header_missing(pi);
	memcpy(&uh, l4, sizeof(uh));

	ulen = ntohs(uh.uh_ulen);
	if (ulen < sizeof(uh))
		return PACKET_BAD_HEADER;
	if (ulen > avail) {
		if (!pi->fragment)
			return PACKET_TRUNCATED;
		ulen = avail;
	}

	pi->src.port = ntohs(uh.uh_sport);
	pi->dst.port = ntohs(uh.uh_dport);
	pi->payload_len = ulen - sizeof(uh);
	pi->has_l4 = true;
	return PACKET_OK;
}

/**
 * parse_icmp() - read type and code of an ICMP or ICMPv6 header
 * @l4:		transport header
 * @avail:	bytes from @l4 to the end of the IP packet
 * @pi:		output
 *
 * Return: PACKET_OK, or what header_missing() says if 8 bytes do not fit
 */
static enum packet_status parse_icmp(const uint8_t *l4, size_t avail,
				     struct packet_info *pi)
{
	if (avail < ICMP_HEADER_LEN)
		return header_missing(pi);

	pi->icmp_type = l4[0];
	pi->icmp_code = l4[1];
	pi->has_l4 = true;
	return PACKET_OK;
}

/**
 * parse_l4() - parse the transport header at @pi->l4_offset
 * @buf:	packet
 * @pi:		packet so far: version, proto, ip_len, l4_offset, fragment
 *
 * Only protocols the gateway looks into are parsed: TCP, UDP, and ICMP
 * matching the IP version. Others are PACKET_OK with @pi->has_l4 false.
 *
 * Return: PACKET_OK or why the transport header is unusable
 */
static enum packet_status parse_l4(const uint8_t *buf, struct packet_info *pi)
{
	const uint8_t *l4 = buf + pi->l4_offset;
	size_t avail = pi->ip_len - pi->l4_offset;

	switch (pi->proto) {
	case IPPROTO_TCP:
		return parse_tcp(l4, avail, pi);
	case IPPROTO_UDP:
		return parse_udp(l4, avail, pi);
	case IPPROTO_ICMP:
		if (pi->version == 4)
			return parse_icmp(l4, avail, pi);
		return PACKET_OK;
	case IPPROTO_ICMPV6:
		if (pi->version == 6)
			return parse_icmp(l4, avail, pi);
		return PACKET_OK;
	default:
		return PACKET_OK;
	}
}

/**
 * parse_ipv4() - parse an IPv4 header, then its transport header
 * @buf:	packet, first nibble 4
 * @len:	bytes in @buf
 * @pi:		output, cleared
 *
 * Return: PACKET_OK or the reason the packet is unusable
 */
static enum packet_status parse_ipv4(const uint8_t *buf, size_t len,
				     struct packet_info *pi)
{
	struct iphdr ih;
	size_t hlen, total;
	uint16_t frag;

	if (len < sizeof(ih))
		return PACKET_TRUNCATED;
	memcpy(&ih, buf, sizeof(ih));

	hlen = ih.ihl * 4U;
	total = ntohs(ih.tot_len);
	if (hlen < sizeof(ih) || total < hlen)
		return PACKET_BAD_HEADER;
	if (total > len)
		return PACKET_TRUNCATED;

	pi->version = 4;
	pi->proto = ih.protocol;
	endpoint_set(&pi->src, AF_INET, &ih.saddr, sizeof(ih.saddr));
	endpoint_set(&pi->dst, AF_INET, &ih.daddr, sizeof(ih.daddr));
	pi->ip_len = total;
	pi->l4_offset = hlen;

	frag = ntohs(ih.frag_off);
	pi->fragment = frag & (IP_MF | IP_OFFMASK);
	if (frag & IP_OFFMASK)
		return PACKET_OK;

	return parse_l4(buf, pi);
}

/**
 * ip6_ext_len() - length of an IPv6 extension header from its first bytes
 * @type:	its type (the previous header's next header field)
 * @ext:	its first two bytes: next header and length field
 *
 * Return: length in bytes, including the two bytes of @ext
 */
static size_t ip6_ext_len(uint8_t type, const struct ip6_ext *ext)
{
	switch (type) {
	case IPPROTO_FRAGMENT:
		return sizeof(struct ip6_frag);
	case IPPROTO_AH:
		return (ext->ip6e_len + 2U) * 4U;
	default:
		return (ext->ip6e_len + 1U) * 8U;
	}
}

/**
 * ip6_fragment_note() - record what a fragment header says
 * @hdr:	fragment header, its whole 8 bytes inside the packet
 * @pi:		output: @fragment set unless it is an atomic fragment
 *
 * Return: true if this is a first fragment (offset 0), whose transport
 * header follows
 */
static bool ip6_fragment_note(const uint8_t *hdr, struct packet_info *pi)
{
	struct ip6_frag fh;
	bool first;

	memcpy(&fh, hdr, sizeof(fh));
	first = !(fh.ip6f_offlg & IP6F_OFF_MASK);
	if (!first || (fh.ip6f_offlg & IP6F_MORE_FRAG))
		pi->fragment = true;
	return first;
}

/**
 * ip6_is_ext() - is @type an extension header the walk steps over?
 * @type:	next header value
 *
 * ESP (encrypted) and "no next header" end the walk as a transport does:
 * parse_l4() knows neither, so @has_l4 stays false.
 *
 * Return: true for hop-by-hop, routing, fragment, destination options, AH
 */
static bool ip6_is_ext(uint8_t type)
{
	switch (type) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
		return true;
	default:
		return false;
	}
}

/**
 * parse_ipv6_ext() - walk extension headers to the transport header
 * @buf:	packet
 * @next:	next header field of the IPv6 header
 * @pi:		packet so far: version, addresses, ip_len
 *
 * On return @pi->proto and @pi->l4_offset describe where the walk ended.
 *
 * Return: PACKET_OK or the reason the packet is unusable
 */
static enum packet_status parse_ipv6_ext(const uint8_t *buf, uint8_t next,
					 struct packet_info *pi)
{
	size_t off = sizeof(struct ip6_hdr);
	unsigned int n;

	for (n = 0; ; n++) {
		struct ip6_ext ext;
		size_t hlen;

		pi->proto = next;
		pi->l4_offset = off;

		if (!ip6_is_ext(next))
			return parse_l4(buf, pi);
		if (n == IP6_EXT_MAX)
			return PACKET_BAD_HEADER;
		if (next == IPPROTO_HOPOPTS && n)
			return PACKET_BAD_HEADER;	/* RFC 8200, 4.3 */

		if (pi->ip_len - off < sizeof(ext))
			return PACKET_TRUNCATED;
		memcpy(&ext, buf + off, sizeof(ext));
		hlen = ip6_ext_len(next, &ext);
		if (pi->ip_len - off < hlen)
			return PACKET_TRUNCATED;

		if (next == IPPROTO_FRAGMENT &&
		    !ip6_fragment_note(buf + off, pi)) {
			pi->proto = ext.ip6e_nxt;
			pi->l4_offset = off + hlen;
			return PACKET_OK;
		}

		off += hlen;
		next = ext.ip6e_nxt;
	}
}

/**
 * parse_ipv6() - parse an IPv6 header, its extensions and transport header
 * @buf:	packet, first nibble 6
 * @len:	bytes in @buf
 * @pi:		output, cleared
 *
 * Return: PACKET_OK or the reason the packet is unusable
 */
static enum packet_status parse_ipv6(const uint8_t *buf, size_t len,
				     struct packet_info *pi)
{
	struct ip6_hdr ih;
	size_t total;

	if (len < sizeof(ih))
		return PACKET_TRUNCATED;
	memcpy(&ih, buf, sizeof(ih));

	total = sizeof(ih) + ntohs(ih.ip6_plen);
	if (total > len)
		return PACKET_TRUNCATED;

	pi->version = 6;
	endpoint_set(&pi->src, AF_INET6, &ih.ip6_src, sizeof(ih.ip6_src));
	endpoint_set(&pi->dst, AF_INET6, &ih.ip6_dst, sizeof(ih.ip6_dst));
	pi->ip_len = total;

	return parse_ipv6_ext(buf, ih.ip6_nxt, pi);
}

enum packet_status packet_parse(const uint8_t *buf, size_t len,
				struct packet_info *pi)
{
	memset(pi, 0, sizeof(*pi));

	if (!len)
		return PACKET_TRUNCATED;

	switch (buf[0] >> 4) {
	case 4:
		return parse_ipv4(buf, len, pi);
	case 6:
		return parse_ipv6(buf, len, pi);
	default:
		return PACKET_BAD_VERSION;
	}
}

/* packet.h - parsing and building of the IPv4 and IPv6 packets that cross
 * the TUN: bounds-checked on every access, no allocation, no lwIP.
 *
 * The gateway parses each packet it reads from the TUN once, before lwIP
 * sees it: to learn the destination (lwIP is made to accept any address),
 * to spot TCP SYNs (admission happens before the handshake) and to drop
 * what it does not relay. It builds the few packets lwIP cannot send for
 * it: a TCP RST for a refused connection and ICMP destination unreachable
 * errors.
 *
 * Parsing is in packet_parse.c, building and checksums in packet_build.c.
 * Byte order: ports and TCP numbers in struct packet_info are host order,
 * addresses network order (as in struct tg_endpoint); checksums returned
 * by packet_checksum() are host order, to be stored with htons().
 */
#ifndef TUNGATE_PACKET_H
#define TUNGATE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define PACKET_TCP_FIN		0x01
#define PACKET_TCP_SYN		0x02
#define PACKET_TCP_RST		0x04
#define PACKET_TCP_PSH		0x08
#define PACKET_TCP_ACK		0x10

/**
 * enum packet_status - result of packet_parse()
 * @PACKET_OK:		parsed; fields below are valid
 * @PACKET_TRUNCATED:	buffer empty, shorter than the IP header or than the
 *			IP length; or the IP length too short for a header
 *			it announces (IPv6 extension header, TCP header
 *			with its options, UDP length, 8-byte ICMP header)
 * @PACKET_BAD_VERSION:	neither IPv4 nor IPv6
 * @PACKET_BAD_HEADER:	malformed: IHL < 5, IPv4 total length < IHL * 4,
 *			TCP data offset < 5, UDP length < 8, hop-by-hop
 *			options not first, more than 16 IPv6 extension
 *			headers, IPv6 packet longer than 65535 bytes
 *			(jumbograms are not supported)
 */
enum packet_status {
	PACKET_OK = 0,
	PACKET_TRUNCATED,
	PACKET_BAD_VERSION,
	PACKET_BAD_HEADER,
};

/**
 * struct packet_info - what packet_parse() learnt
 * @version:	4 or 6
 * @proto:	transport protocol (IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, other);
 *		for IPv6 the one after the extension headers (IPPROTO_ESP
 *		or IPPROTO_NONE if the walk stopped there; for a non-first
 *		fragment, the fragment header's next header)
 * @src:	source address; port set for TCP and UDP, 0 otherwise
 * @dst:	destination address; port set for TCP and UDP, 0 otherwise
 * @ip_len:	length of the IP packet from its header (<= buffer length;
 *		bytes after it, such as padding, are ignored); an IPv6 packet
 *		may be 65536 bytes and more: lo's MTU is 65536, and captured
 *		loopback packets cross the TUN
 * @l4_offset:	offset of the transport header (IPv6: after extensions)
 * @fragment:	the packet is a fragment (IPv4 MF or offset, IPv6 fragment
 *		header with M or offset; an IPv6 atomic fragment, M = 0 and
 *		offset 0, is not one). For a non-first fragment, and for a
 *		first one too short to hold the whole transport header, no
 *		transport field below is valid (@has_l4 is false). In a
 *		first fragment, @payload_len counts this fragment's bytes.
 * @has_l4:	the transport header was present and parsed: always false
 *		for protocols other than TCP, UDP, ICMP (IPv4 only) and
 *		ICMPv6 (IPv6 only)
 * @tcp_flags:	TCP flags byte as on the wire: PACKET_TCP_* and also URG
 *		(0x20), ECE (0x40), CWR (0x80); test bits with &, since an
 *		ECN-setup SYN is not == PACKET_TCP_SYN
 * @tcp_seq:	TCP sequence number, host order
 * @tcp_ack:	TCP acknowledgment number, host order
 * @payload_len: TCP payload (IP length minus headers) or UDP payload
 *		(from the UDP length field) length
 * @icmp_type:	ICMP or ICMPv6 type
 * @icmp_code:	ICMP or ICMPv6 code
 */
struct packet_info {
	uint8_t version;
	uint8_t proto;
	struct tg_endpoint src;
	struct tg_endpoint dst;
	uint32_t ip_len;
	uint16_t l4_offset;
	bool fragment;
	bool has_l4;
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint16_t payload_len;
	uint8_t icmp_type;
	uint8_t icmp_code;
};

/**
 * packet_parse() - parse an IP packet as read from the TUN (IFF_NO_PI)
 * @buf:	packet
 * @len:	bytes read
 * @pi:		output
 *
 * Walks IPv6 extension headers (hop-by-hop, routing, fragment, destination
 * options, AH; at most 16) to the transport header. Checksums are not
 * verified. Reads nothing outside @buf[0..@len); @buf needs no alignment.
 *
 * Return: PACKET_OK or the reason the packet is unusable; @pi is cleared
 * first and, unless PACKET_OK, only partly filled: do not use it then
 */
enum packet_status packet_parse(const uint8_t *buf, size_t len,
				struct packet_info *pi);

/**
 * packet_build_tcp_rst() - the RST answering a segment from the sandbox
 * @out:	output buffer
 * @cap:	its size (60 bytes always suffice)
 * @pi:		the parsed segment being answered
 *
 * Sent from the segment's destination to its source, as RFC 9293 says a
 * closed port answers: RST|ACK acknowledging the segment (SYN and FIN
 * count one) with sequence 0, or a bare RST with the segment's
 * acknowledgment number if it carried ACK. Window 0, no options; IPv4 with
 * TTL 64, DF, ID 0; IPv6 with hop limit 64. A RST is never answered.
 *
 * Return: packet length (40 for IPv4, 60 for IPv6), or 0 if @cap is too
 * small, @pi has no parsed TCP header, or the segment is itself a RST
 */
size_t packet_build_tcp_rst(uint8_t *out, size_t cap,
			    const struct packet_info *pi);

/**
 * enum packet_unreach - why a destination is unreachable
 * @PACKET_UNREACH_NET:		ICMP net unreachable / ICMPv6 no route
 * @PACKET_UNREACH_HOST:	ICMP host unreachable / ICMPv6 address unreachable
 * @PACKET_UNREACH_PORT:	ICMP / ICMPv6 port unreachable
 * @PACKET_UNREACH_ADMIN:	ICMP communication administratively prohibited
 *				(type 3 code 13) / ICMPv6 administratively
 *				prohibited (type 1 code 1)
 */
enum packet_unreach {
	PACKET_UNREACH_NET,
	PACKET_UNREACH_HOST,
	PACKET_UNREACH_PORT,
	PACKET_UNREACH_ADMIN,
};

/**
 * packet_build_icmp_unreach() - an ICMP error about a packet from the sandbox
 * @out:	output buffer
 * @cap:	its size
 * @orig:	the offending packet, from its IP header
 * @orig_len:	its length (may be a prefix of the packet: at least the IP
 *		header and 8 bytes of transport header)
 * @pi:		@orig parsed
 * @reason:	which error
 *
 * Sent from @orig's destination to its source: ICMP type 3 (code 0, 1, 3 or
 * 13) or ICMPv6 type 1 (code 0, 3, 4 or 1). Quotes as much of @orig as
 * fits in 576 bytes (IPv4) or 1280 bytes (IPv6), and never more than @cap;
 * never past @pi->ip_len, so trailing bytes are not quoted.
 *
 * As RFC 1122 3.2.2 and RFC 4443 2.4 (e) require, no error is built about
 * an ICMP error message (or ICMPv6 redirect), about an ICMP message whose
 * type is unknown, about a fragment whose transport header was not parsed
 * (a non-first fragment), or when either address is not a single host's
 * (IPv4 0/8, multicast, 240/4 and broadcast; IPv6 :: and multicast).
 * Loopback addresses are allowed: the gateway may route them.
 *
 * Return: packet length, or 0 if @cap cannot hold a minimal error (IP and
 * ICMP headers and 28 bytes of quote for IPv4, 48 for IPv6), if @orig_len
 * holds less than that quote (or the whole packet, if shorter), if
 * @reason is unknown, or if the rules above forbid an error
 */
size_t packet_build_icmp_unreach(uint8_t *out, size_t cap,
				 const uint8_t *orig, size_t orig_len,
				 const struct packet_info *pi,
				 enum packet_unreach reason);

/**
 * packet_checksum() - Internet checksum (RFC 1071) of @len bytes
 * @data:	bytes, any alignment; an odd last byte is padded with zero
 * @len:	their count
 * @sum:	partial sum to continue from (0 to start), for example a
 *		pseudo-header summed with packet_checksum_partial()
 *
 * Over a header or segment whose checksum field holds the checksum, the
 * result is 0. For UDP, a computed 0 must be sent as 0xffff.
 *
 * Return: the folded, complemented checksum in host order: store it with
 * htons() (the RFC 1071 example 00 01 f2 03 f4 f5 f6 f7 gives 0x220d)
 */
uint16_t packet_checksum(const void *data, size_t len, uint32_t sum);

/**
 * packet_checksum_partial() - unfolded 32-bit sum, to chain pseudo-headers
 * @data:	bytes, any alignment, read as big-endian 16-bit words
 * @len:	their count; must be even unless this is the last block
 * @sum:	sum to continue from (0 to start)
 *
 * Numbers can be added to the result directly in host order, for example
 * the protocol and length words of a pseudo-header.
 *
 * Return: @sum plus the words of @data, carries folded back into 32 bits
 */
uint32_t packet_checksum_partial(const void *data, size_t len, uint32_t sum);

#endif /* TUNGATE_PACKET_H */

/* peek.h - the hostname a TCP client names in its first bytes: the
 * server_name of a TLS ClientHello (tls_sni.c) or the Host of an HTTP/1.x
 * request (http_host.c), so the gateway can decide on that name before it
 * connects upstream.
 *
 * Pure: no sockets, no lwIP, no allocation. The gateway (stack/) collects
 * what the program sends on a new TCP flow, at most PEEK_MAX bytes, and
 * calls peek_name() on all of it each time more arrives, until the answer
 * is not PEEK_MORE. Every answer other than PEEK_MORE is final: more bytes
 * never change it.
 *
 * A name leaves this module lower-case, without a trailing dot, and only
 * if it is a hostname in the sense of peek_hostname(); anything else (an
 * IP literal, odd bytes, a name too long for @cap) is PEEK_NONE, never a
 * truncated or escaped name. The name is what the client claims: nothing
 * here checks that the server's address belongs to it.
 */
#ifndef TUNGATE_PEEK_H
#define TUNGATE_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes the gateway collects at most before it must decide */
#define PEEK_MAX		16384
/* Longest name, without the trailing dot, plus NUL: what @cap should be */
#define PEEK_NAME_MAX		254

/**
 * enum peek_result - what the first bytes of a flow say
 * @PEEK_FOUND:	@name holds the name
 * @PEEK_MORE:	not enough bytes yet to tell; call again with more (never
 *		returned once @len reaches PEEK_MAX)
 * @PEEK_NONE:	this protocol, but it names no host we may use: TLS without
 *		server_name, HTTP without Host, an IP literal, a name that is
 *		not a hostname, or a message that does not end within
 *		PEEK_MAX bytes
 * @PEEK_OTHER:	not this protocol, or malformed
 */
enum peek_result {
	PEEK_FOUND,
	PEEK_MORE,
	PEEK_NONE,
	PEEK_OTHER,
};

/**
 * enum peek_kind - which protocol named the host
 * @PEEK_KIND_NONE:	neither (or not known yet)
 * @PEEK_KIND_TLS:	TLS ClientHello, server_name extension
 * @PEEK_KIND_HTTP:	HTTP/1.x request, Host header or CONNECT target
 */
enum peek_kind {
	PEEK_KIND_NONE,
	PEEK_KIND_TLS,
	PEEK_KIND_HTTP,
};

/**
 * peek_name() - the host a flow's first bytes name, as TLS or as HTTP/1.x
 * @data:	what the client sent so far
 * @len:	its length; bytes past PEEK_MAX are not looked at
 * @name:	output: the name if PEEK_FOUND, else ""
 * @cap:	size of @name (PEEK_NAME_MAX)
 * @kind:	output: PEEK_KIND_TLS or PEEK_KIND_HTTP, by the first byte
 *		(0x16: TLS, an upper-case letter: HTTP); PEEK_KIND_NONE
 *		with PEEK_OTHER, and with PEEK_MORE while @len is 0
 *
 * Return: what peek_tls_sni() or peek_http_host() says; PEEK_OTHER if the
 * first byte is neither
 */
enum peek_result peek_name(const uint8_t *data, size_t len, char *name,
			   size_t cap, enum peek_kind *kind);

/**
 * peek_tls_sni() - the server_name (host_name) of a TLS ClientHello
 * @data:	TLS records as the client sent them; the ClientHello may be
 *		fragmented over several handshake records
 * @len:	length of @data
 * @name:	output: the name if PEEK_FOUND, else ""
 * @cap:	size of @name
 *
 * Records must be handshake records (22) of version 0x0301 to 0x0304,
 * 1 to 2^14 bytes long, carrying a ClientHello whose every length fits its
 * container. Bytes after the ClientHello are not looked at. Uses PEEK_MAX
 * bytes of stack.
 *
 * Return: PEEK_FOUND; PEEK_MORE while the ClientHello is incomplete;
 * PEEK_NONE without server_name, with a name that is no hostname, or for
 * a ClientHello that cannot end within PEEK_MAX bytes; PEEK_OTHER if
 * @data is not TLS or a length, type or version is wrong (or two
 * server_name extensions, or two host_name entries)
 */
enum peek_result peek_tls_sni(const uint8_t *data, size_t len, char *name,
			      size_t cap);

/**
 * peek_http_host() - the host an HTTP/1.x request is for
 * @data:	request as the client sent it
 * @len:	length of @data
 * @name:	output: the name if PEEK_FOUND, else ""
 * @cap:	size of @name
 *
 * The request line is "METHOD SP target SP HTTP/1.x", the method any
 * token; lines end in CRLF or a bare LF. The answer waits for the empty
 * line that ends the header section; what follows is not looked at. The
 * name is the Host header's (matched case-insensitively, whitespace
 * trimmed, port dropped), or for CONNECT the request target's. An
 * absolute-form target ("GET http://h/ HTTP/1.1") must name the same host
 * as the Host header, which a server would ignore.
 *
 * Return: PEEK_FOUND; PEEK_MORE while the header section is incomplete;
 * PEEK_NONE without Host, with an empty or IP-literal one ("[::1]:80",
 * "10.0.0.1"), a Host the absolute-form target contradicts, or a header
 * section longer than PEEK_MAX; PEEK_OTHER if @data is not such a request
 * (bad request line or header line, bare CR, control bytes, two Host
 * headers)
 */
enum peek_result peek_http_host(const uint8_t *data, size_t len, char *name,
				size_t cap);

/**
 * peek_kind_name() - how logs and rules spell @kind
 * @kind:	kind
 *
 * Return: "sni", "http", or NULL for PEEK_KIND_NONE (or an unknown value)
 */
const char *peek_kind_name(enum peek_kind kind);

/**
 * peek_hostname() - copy a name out of a message if it is a hostname
 * @src:	the name's bytes, not NUL-terminated; any byte value
 * @len:	their count
 * @name:	output: lower-case, one trailing dot dropped; "" on failure
 * @cap:	size of @name
 *
 * A hostname has labels of 1 to 63 characters from [A-Za-z0-9_-] (as
 * dns_name_normalise() accepts them), 253 characters at most, and a last
 * label that is not a number ("1.2.3.4", "127.1", "0x7f": what
 * inet_aton() and URL parsers read as an IPv4 address). Shared by the two
 * parsers.
 *
 * Return: true if @name holds the hostname, false if @src is none or it
 * does not fit in @cap
 */
bool peek_hostname(const uint8_t *src, size_t len, char *name, size_t cap);

#endif /* TUNGATE_PEEK_H */

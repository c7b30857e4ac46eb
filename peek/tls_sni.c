/* tls_sni.c - the server_name a TLS ClientHello asks for (RFC 8446 4.1.2,
 * RFC 6066 3), read from the records the client sent before any answer.
 *
 * Theory of operation
 *
 * A client opens TLS with one handshake message, the ClientHello, carried
 * in handshake records (content type 22) of at most 2^14 bytes each. A
 * large ClientHello (post-quantum key shares, padding) may be fragmented
 * over several records; the records' payloads joined give the handshake
 * message: type 1, a 24-bit length, the body.
 *
 * tls_gather() walks the records at the start of the data, checking each
 * header and the message type as soon as their bytes are there, and
 * copies the payloads into a buffer on the stack until the handshake
 * message is whole. A message that could not end within PEEK_MAX bytes of
 * records is PEEK_NONE as soon as its length is known.
 *
 * tls_client_hello() then reads the body with struct tls_buf, a cursor
 * whose every read is checked against the container it was cut from:
 * version, random, session id (at most 32 bytes), cipher suites (an even,
 * non-zero length), compression methods (at least one), and the
 * extensions, which must fill the rest of the body exactly. Every
 * extension is walked, also after server_name, so a malformed or second
 * server_name extension makes the whole message PEEK_OTHER rather than
 * leaving two readings of it. The server_name list must be one whole
 * list of entries, with one host_name entry at most; other name types
 * are skipped.
 *
 * A name the client sends with Encrypted Client Hello is the outer,
 * public one: the only one readable here.
 */
#include <string.h>

#include "peek/peek.h"
#include "util/util.h"

/* Record layer */
#define TLS_RECORD_HDR		5
#define TLS_RECORD_MAX		16384		/* 2^14, RFC 8446 5.1 */
#define TLS_CT_HANDSHAKE	22

/* Handshake layer */
#define TLS_HS_HDR		4
#define TLS_HS_CLIENT_HELLO	1
#define TLS_RANDOM_LEN		32
#define TLS_SESSION_ID_MAX	32

/* Extensions */
#define TLS_EXT_SERVER_NAME	0
#define TLS_SNI_HOST_NAME	0

/**
 * struct tls_buf - bytes still to read in one container
 * @p:		next byte
 * @len:	bytes left
 */
struct tls_buf {
	const uint8_t *p;
	size_t len;
};

/**
 * tls_u8() - read one byte
 * @b:		container
 * @v:		output
 *
 * Return: false if @b is empty
 */
static bool tls_u8(struct tls_buf *b, uint8_t *v)
{
	if (b->len < 1)
		return false;
	*v = b->p[0];
	b->p++;
	b->len--;
	return true;
}

/**
 * tls_u16() - read a big-endian 16-bit value
 * @b:		container
 * @v:		output
 *
 * Return: false if @b holds fewer than 2 bytes
 */
static bool tls_u16(struct tls_buf *b, uint16_t *v)
{
	if (b->len < 2)
		return false;
	*v = (uint16_t)(b->p[0] << 8 | b->p[1]);
	b->p += 2;
	b->len -= 2;
	return true;
}

/**
 * tls_take() - cut the next @n bytes of @b off as a container of their own
 * @b:		container
 * @n:		bytes
 * @sub:	output: those bytes (may be NULL to skip them)
 *
 * Return: false if @b holds fewer than @n bytes
 */
static bool tls_take(struct tls_buf *b, size_t n, struct tls_buf *sub)
{
	if (b->len < n)
		return false;
	if (sub) {
		sub->p = b->p;
		sub->len = n;
	}
	b->p += n;
	b->len -= n;
	return true;
}

/**
 * tls_vec8() - cut off a vector with a one-byte length prefix
 * @b:		container
 * @sub:	output: the vector's contents
 *
 * Return: false if the prefix or the contents overrun @b
 */
static bool tls_vec8(struct tls_buf *b, struct tls_buf *sub)
{
	uint8_t n;

	return tls_u8(b, &n) && tls_take(b, n, sub);
}

/**
 * tls_vec16() - cut off a vector with a two-byte length prefix
 * @b:		container
 * @sub:	output: the vector's contents
 *
 * Return: false if the prefix or the contents overrun @b
 */
static bool tls_vec16(struct tls_buf *b, struct tls_buf *sub)
{
	uint16_t n;

	return tls_u16(b, &n) && tls_take(b, n, sub);
}

/**
 * tls_record_header() - check as much of a record header as is there
 * @h:		header bytes
 * @have:	how many of them there are (may be under TLS_RECORD_HDR)
 * @frag_len:	output, when the header is whole: the payload length
 *
 * Return: PEEK_FOUND for a whole, good header; PEEK_MORE if the bytes
 * there are right but the header is incomplete; PEEK_OTHER otherwise
 */
static enum peek_result tls_record_header(const uint8_t *h, size_t have,
					  size_t *frag_len)
{
	if (have >= 1 && h[0] != TLS_CT_HANDSHAKE)
		return PEEK_OTHER;
	if (have >= 2 && h[1] != 3)
		return PEEK_OTHER;
	if (have >= 3 && (h[2] < 1 || h[2] > 4))
		return PEEK_OTHER;
	if (have < TLS_RECORD_HDR)
		return PEEK_MORE;

	*frag_len = (size_t)h[3] << 8 | h[4];
	if (!*frag_len || *frag_len > TLS_RECORD_MAX)
		return PEEK_OTHER;
	return PEEK_FOUND;
}

/**
 * tls_hs_length() - the length of a handshake message, from its header
 * @h:		the header, all 4 bytes (its type is checked by the caller)
 * @msg_len:	output: header and body length
 *
 * Return: PEEK_FOUND, or PEEK_NONE if the message could not end within
 * PEEK_MAX bytes of records
 */
static enum peek_result tls_hs_length(const uint8_t *h, size_t *msg_len)
{
	*msg_len = TLS_HS_HDR + ((size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]);
	if (*msg_len > PEEK_MAX - TLS_RECORD_HDR)
		return PEEK_NONE;
	return PEEK_FOUND;
}

/**
 * tls_gather() - the handshake message at the start of @data, made whole
 * @data:	records
 * @len:	their length, at most PEEK_MAX
 * @buf:	room for the message, PEEK_MAX bytes
 * @msg:	output: the whole message, header included, in @buf
 *
 * The message's first byte, in the first record, must say ClientHello.
 *
 * Return: PEEK_FOUND with @msg set; PEEK_MORE if it is not whole yet;
 * PEEK_OTHER if a record header or the message type is wrong; PEEK_NONE
 * as tls_hs_length() says
 */
static enum peek_result tls_gather(const uint8_t *data, size_t len,
				   uint8_t *buf, struct tls_buf *msg)
{
	size_t pos = 0, have = 0, msg_len = 0, frag_len = 0;
	enum peek_result r;

	while (pos < len) {
		size_t avail;

		r = tls_record_header(data + pos, len - pos, &frag_len);
		if (r != PEEK_FOUND)
			return r;
		pos += TLS_RECORD_HDR;
		avail = MIN(frag_len, len - pos);
		if (!have && avail && data[pos] != TLS_HS_CLIENT_HELLO)
			return PEEK_OTHER;

		/* have + avail <= len <= PEEK_MAX */
		memcpy(buf + have, data + pos, avail);
		have += avail;
		pos += avail;

		if (!msg_len && have >= TLS_HS_HDR) {
			r = tls_hs_length(buf, &msg_len);
			if (r != PEEK_FOUND)
				return r;
		}
		if (msg_len && have >= msg_len) {
			msg->p = buf;
			msg->len = msg_len;
			return PEEK_FOUND;
		}
	}
	return PEEK_MORE;
}

/**
 * tls_server_name() - the host_name of a server_name extension
 * @ext:	the extension's data
 * @name:	output
 * @cap:	size of @name
 *
 * Return: PEEK_FOUND; PEEK_NONE if no entry is a host_name, or it is no
 * hostname; PEEK_OTHER if the list is empty, does not fill @ext, an
 * entry overruns it, or two entries are host_names
 */
static enum peek_result tls_server_name(struct tls_buf ext, char *name,
					size_t cap)
{
	struct tls_buf list, entry, host = { NULL, 0 };
	bool have_host = false;

	if (!tls_vec16(&ext, &list) || ext.len || !list.len)
		return PEEK_OTHER;
	while (list.len) {
		uint8_t type;

		if (!tls_u8(&list, &type) || !tls_vec16(&list, &entry))
			return PEEK_OTHER;
		if (type != TLS_SNI_HOST_NAME)
			continue;
		if (have_host)
			return PEEK_OTHER;
		host = entry;
		have_host = true;
	}
	if (!have_host)
		return PEEK_NONE;
	return peek_hostname(host.p, host.len, name, cap) ? PEEK_FOUND
							  : PEEK_NONE;
}

/**
 * tls_extensions() - walk the extension block for server_name
 * @exts:	the extensions, without their length prefix
 * @name:	output
 * @cap:	size of @name
 *
 * Return: what tls_server_name() says of the one server_name extension,
 * PEEK_NONE if there is none; PEEK_OTHER if an extension overruns the
 * block, server_name comes twice, or its contents are malformed
 */
static enum peek_result tls_extensions(struct tls_buf exts, char *name,
				       size_t cap)
{
	enum peek_result r = PEEK_NONE;
	bool seen = false;

	while (exts.len) {
		struct tls_buf data;
		uint16_t type;

		if (!tls_u16(&exts, &type) || !tls_vec16(&exts, &data))
			return PEEK_OTHER;
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		if (seen)
			return PEEK_OTHER;
		seen = true;
		r = tls_server_name(data, name, cap);
		if (r == PEEK_OTHER)
			return r;
	}
	return r;
}

/**
 * tls_client_hello() - the server_name of a whole ClientHello message
 * @msg:	the handshake message, header included
 * @name:	output
 * @cap:	size of @name
 *
 * Return: PEEK_FOUND, PEEK_NONE (no extensions, or as tls_extensions()),
 * or PEEK_OTHER if a field overruns the body, the legacy version is not
 * 3.x, or the extensions do not fill the body exactly
 */
static enum peek_result tls_client_hello(struct tls_buf msg, char *name,
					 size_t cap)
{
	struct tls_buf body, session, suites, compression, exts;
	uint16_t version;
	enum peek_result r;

	if (!tls_take(&msg, TLS_HS_HDR, NULL))
		return PEEK_OTHER;
	body = msg;

	if (!tls_u16(&body, &version) || version >> 8 != 3 ||
	    !tls_take(&body, TLS_RANDOM_LEN, NULL))
		return PEEK_OTHER;
	if (!tls_vec8(&body, &session) || session.len > TLS_SESSION_ID_MAX)
		return PEEK_OTHER;
	if (!tls_vec16(&body, &suites) || !suites.len || suites.len % 2)
		return PEEK_OTHER;
	if (!tls_vec8(&body, &compression) || !compression.len)
		return PEEK_OTHER;
	if (!body.len)		/* No extensions at all */
		return PEEK_NONE;
	if (!tls_vec16(&body, &exts) || body.len)
		return PEEK_OTHER;

	r = tls_extensions(exts, name, cap);
	if (r != PEEK_FOUND && cap)
		name[0] = '\0';
	return r;
}

/* See peek.h */
enum peek_result peek_tls_sni(const uint8_t *data, size_t len, char *name,
			      size_t cap)
{
	uint8_t buf[PEEK_MAX];
	struct tls_buf msg;
	enum peek_result r;

	if (cap)
		name[0] = '\0';
	len = MIN(len, (size_t)PEEK_MAX);

	r = tls_gather(data, len, buf, &msg);
	if (r == PEEK_MORE && len >= PEEK_MAX)
		return PEEK_NONE;
	if (r != PEEK_FOUND)
		return r;
	return tls_client_hello(msg, name, cap);
}

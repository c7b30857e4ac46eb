/* peek.c - what peek/'s two parsers share: the check that makes a claimed
 * name a hostname the policy may see (peek_hostname()), and the choice of
 * parser by the first byte (peek_name()).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peek/peek.h"

/* Longest hostname, without trailing dot */
#define PEEK_HOSTNAME_LEN	(PEEK_NAME_MAX - 1)
#define PEEK_LABEL_LEN		63

/* First byte of a TLS record carrying a handshake */
#define PEEK_TLS_HANDSHAKE	0x16

/**
 * peek_label_char() - may @c appear in a label (after lower-casing)?
 * @c:		byte
 */
static bool peek_label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/**
 * peek_numeric_label() - is the label an IPv4 number to a URL parser?
 * @l:		label, lower-case
 * @n:		its length, at least 1
 *
 * Return: true for decimal digits only, or "0x" and hex digits only
 */
static bool peek_numeric_label(const char *l, size_t n)
{
	size_t i;
	bool hex = n >= 2 && l[0] == '0' && l[1] == 'x';

	for (i = hex ? 2 : 0; i < n; i++) {
		if (!(l[i] >= '0' && l[i] <= '9') &&
		    !(hex && l[i] >= 'a' && l[i] <= 'f'))
			return false;
	}
	return true;
}

/* See peek.h */
bool peek_hostname(const uint8_t *src, size_t len, char *name, size_t cap)
{
	size_t i, label = 0;

	if (!cap)
		return false;
	name[0] = '\0';
	if (len && src[len - 1] == '.')
		len--;
	if (!len || len > PEEK_HOSTNAME_LEN || len >= cap)
		return false;

	for (i = 0; i < len; i++) {
		uint8_t c = src[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c == '.') {
			if (!label)
				goto bad;
			label = 0;
		} else if (!peek_label_char(c) || ++label > PEEK_LABEL_LEN) {
			goto bad;
		}
		name[i] = (char)c;
	}
	name[len] = '\0';
	if (!label || peek_numeric_label(name + len - label, label))
		goto bad;
	return true;
bad:
	name[0] = '\0';
	return false;
}

/* See peek.h */
enum peek_result peek_name(const uint8_t *data, size_t len, char *name,
			   size_t cap, enum peek_kind *kind)
{
	enum peek_kind k;
	enum peek_result r;

	*kind = PEEK_KIND_NONE;
	if (cap)
		name[0] = '\0';
	if (!len)
		return PEEK_MORE;

	if (data[0] == PEEK_TLS_HANDSHAKE) {
		k = PEEK_KIND_TLS;
		r = peek_tls_sni(data, len, name, cap);
	} else if (data[0] >= 'A' && data[0] <= 'Z') {
		k = PEEK_KIND_HTTP;
		r = peek_http_host(data, len, name, cap);
	} else {
		return PEEK_OTHER;
	}
	if (r != PEEK_OTHER)
		*kind = k;
	return r;
}

/* See peek.h */
const char *peek_kind_name(enum peek_kind kind)
{
	switch (kind) {
	case PEEK_KIND_TLS:
		return "sni";
	case PEEK_KIND_HTTP:
		return "http";
	default:
		return NULL;
	}
}

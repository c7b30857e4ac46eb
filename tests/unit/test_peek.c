/* test_peek.c - unit tests for peek/: the server_name of a TLS ClientHello
 * (tls_sni.c), the Host of an HTTP/1.x request (http_host.c), the
 * hostname check and the choice between them.
 *
 * The ClientHellos below were captured from real clients (openssl
 * s_client, curl) connecting to a listener on 127.0.0.1; others are laid
 * out byte by byte by the small builders (msg_*, hello_*), re-split into
 * records of any size, cut short at every length, or given one wrong
 * length at a time. Every input is parsed from a heap copy of exactly its
 * length, so the ASan build catches any read past the end, and every
 * answer other than PEEK_FOUND must leave the name empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "peek/peek.h"
#include "util/util.h"

/* openssl s_client -servername x.test (OpenSSL 3.0.19) */
static const uint8_t hello_openssl13[] = {
	0x16, 0x03, 0x01, 0x01, 0x33, 0x01, 0x00, 0x01, 0x2f, 0x03, 0x03, 0x08,
	0x73, 0x46, 0x41, 0x65, 0x31, 0x51, 0xb8, 0xc6, 0x4e, 0x38, 0x94, 0xe7,
	0xc2, 0x2c, 0x24, 0xb6, 0x7c, 0x64, 0xda, 0xf0, 0x52, 0x39, 0xb1, 0x2e,
	0x0a, 0x88, 0xb9, 0x56, 0x6b, 0x2e, 0x44, 0x20, 0xc9, 0xb0, 0xab, 0x35,
	0x3a, 0x93, 0x44, 0x95, 0xe0, 0x21, 0x0b, 0xc8, 0x60, 0xe3, 0x13, 0x98,
	0xde, 0xb3, 0xa3, 0xc1, 0xe9, 0xe1, 0x15, 0x8d, 0x4a, 0xc7, 0x83, 0x13,
	0x4e, 0xc3, 0x77, 0xb4, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xa8,
	0x00, 0x00, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x00, 0x06, 0x78, 0x2e, 0x74,
	0x65, 0x73, 0x74, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00,
	0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00,
	0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01,
	0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00,
	0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06,
	0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08,
	0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03,
	0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00,
	0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01,
	0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24,
	0x00, 0x1d, 0x00, 0x20, 0xbf, 0xf7, 0x43, 0xce, 0x8c, 0xbb, 0x76, 0xda,
	0x67, 0x01, 0x5b, 0x44, 0xe6, 0x65, 0xcc, 0xdd, 0xf3, 0x5d, 0x8e, 0xcc,
	0x12, 0x26, 0x38, 0x83, 0x9a, 0x74, 0x96, 0xbd, 0x58, 0xed, 0xe6, 0x58,
};

/* openssl s_client -tls1_2 -servername Www.Example.ORG */
static const uint8_t hello_openssl12[] = {
	0x16, 0x03, 0x01, 0x00, 0xcf, 0x01, 0x00, 0x00, 0xcb, 0x03, 0x03, 0x5c,
	0x2a, 0x82, 0x1a, 0xa5, 0x93, 0xda, 0x78, 0xe0, 0xe8, 0x31, 0x50, 0xc0,
	0x6c, 0xb6, 0x6c, 0x80, 0x14, 0x0c, 0x9d, 0x4c, 0xa4, 0xbc, 0x88, 0xfb,
	0x57, 0x88, 0x7b, 0xce, 0xbe, 0xa6, 0x1b, 0x00, 0x00, 0x38, 0xc0, 0x2c,
	0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
	0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23,
	0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09,
	0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c,
	0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0x6a, 0x00, 0x00,
	0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x57, 0x77, 0x77, 0x2e, 0x45,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x4f, 0x52, 0x47, 0x00, 0x0b,
	0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a,
	0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d,
	0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07,
	0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
	0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01,
	0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02,
};

/* openssl s_client -noservername */
static const uint8_t hello_nosni[] = {
	0x16, 0x03, 0x01, 0x01, 0x24, 0x01, 0x00, 0x01, 0x20, 0x03, 0x03, 0x3c,
	0xda, 0x1d, 0x00, 0x3f, 0xa8, 0xbe, 0xe8, 0x9f, 0x4e, 0xff, 0x92, 0x49,
	0x66, 0xac, 0x21, 0xeb, 0xd8, 0x29, 0x88, 0x7c, 0x4c, 0x6b, 0x08, 0x11,
	0x77, 0xfe, 0x15, 0x9f, 0x26, 0x33, 0x70, 0x20, 0xf8, 0x5e, 0xe0, 0xf1,
	0x73, 0xce, 0xd7, 0x6b, 0xdc, 0xd0, 0x65, 0xac, 0xd1, 0xc5, 0xf7, 0x0b,
	0x87, 0x46, 0xf1, 0x9b, 0x7e, 0x39, 0x15, 0xfd, 0xe9, 0xa2, 0x52, 0xbc,
	0xbd, 0xed, 0x0b, 0x1f, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0x99,
	0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
	0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
	0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d,
	0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07,
	0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
	0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01,
	0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09,
	0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00,
	0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00,
	0x20, 0x1c, 0xb4, 0x4f, 0x76, 0x0d, 0xc1, 0xf0, 0x92, 0xb9, 0x59, 0x18,
	0x78, 0x78, 0x3c, 0x1d, 0x88, 0xd2, 0x9b, 0x83, 0xeb, 0xa8, 0xa6, 0xb5,
	0xab, 0xad, 0x21, 0x77, 0x24, 0x42, 0x5b, 0x16, 0x21,
};

/* curl https://curl.x.test:PORT/ (curl 7.88.1 on OpenSSL 3.0; a 512-byte
 * record, with the padding extension) */
static const uint8_t hello_curl[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xd3,
	0x0d, 0x62, 0x85, 0x76, 0x3d, 0xa5, 0x07, 0x63, 0xee, 0x5b, 0x65, 0x4e,
	0xc0, 0x4c, 0xa5, 0x4f, 0x67, 0x7f, 0xab, 0x34, 0xaa, 0x80, 0x62, 0xf9,
	0xf8, 0x93, 0x1f, 0x5e, 0x29, 0x39, 0xc4, 0x20, 0xf2, 0x64, 0xdc, 0x7b,
	0x2f, 0x00, 0x88, 0xa5, 0x58, 0x37, 0x7b, 0x15, 0x40, 0xe8, 0xca, 0x88,
	0x81, 0xf0, 0x4c, 0x5e, 0xa7, 0xba, 0xda, 0xaf, 0x10, 0x2c, 0x7d, 0xb6,
	0xa5, 0x02, 0xfb, 0x16, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x63, 0x75, 0x72,
	0x6c, 0x2e, 0x78, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x00, 0x0b, 0x00, 0x04,
	0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d,
	0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01,
	0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c,
	0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31,
	0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00,
	0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03,
	0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04,
	0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03,
	0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b,
	0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00,
	0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00,
	0x1d, 0x00, 0x20, 0xd8, 0x15, 0x31, 0x1e, 0x16, 0xb3, 0xb0, 0x61, 0x92,
	0x20, 0x9f, 0x2f, 0xe8, 0x6f, 0x57, 0xea, 0x57, 0xff, 0x87, 0x57, 0xbb,
	0x72, 0x28, 0x22, 0x53, 0xab, 0x46, 0x85, 0xce, 0xcf, 0xcd, 0x6d, 0x00,
	0x15, 0x00, 0xb2, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};

/* Layout of the ClientHellos hello_msg() builds: offsets in the message */
#define HS_SID_LEN	38	/* after type, length, version, random */
#define HS_SUITES_LEN	71	/* after a 32-byte session id */
#define HS_COMP_LEN	77	/* after two cipher suites */
#define HS_EXTS_LEN	79	/* after one compression method */
#define HS_EXTS		81
#define REC		5	/* record header */

#define EXT_SERVER_NAME	0
#define EXT_PADDING	21

/**
 * struct msg - bytes being built
 * @b:		bytes
 * @len:	used
 */
struct msg {
	uint8_t b[2 * PEEK_MAX];
	size_t len;
};

static void msg_u8(struct msg *m, uint8_t v)
{
	assert_true(m->len < sizeof(m->b));
	m->b[m->len++] = v;
}

static void msg_u16(struct msg *m, size_t v)
{
	assert_true(v <= 0xffff);
	msg_u8(m, (uint8_t)(v >> 8));
	msg_u8(m, (uint8_t)v);
}

static void msg_bytes(struct msg *m, const void *p, size_t n)
{
	assert_true(n <= sizeof(m->b) - m->len);
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void msg_fill(struct msg *m, uint8_t v, size_t n)
{
	while (n--)
		msg_u8(m, v);
}

/* Overwrite the big-endian 16-bit value at @off */
static void msg_put16(struct msg *m, size_t off, size_t v)
{
	assert_true(off + 2 <= m->len && v <= 0xffff);
	m->b[off] = (uint8_t)(v >> 8);
	m->b[off + 1] = (uint8_t)v;
}

/* An extension: type, length, data */
static void ext_add(struct msg *e, uint16_t type, const void *data, size_t n)
{
	msg_u16(e, type);
	msg_u16(e, n);
	msg_bytes(e, data, n);
}

/* One entry of a server_name list, @n bytes of @host */
static void sni_entry(struct msg *list, uint8_t type, const char *host,
		      size_t n)
{
	msg_u8(list, type);
	msg_u16(list, n);
	msg_bytes(list, host, n);
}

/* A server_name extension holding @list */
static void ext_sni_list(struct msg *e, const struct msg *list)
{
	msg_u16(e, EXT_SERVER_NAME);
	msg_u16(e, list->len + 2);
	msg_u16(e, list->len);
	msg_bytes(e, list->b, list->len);
}

/* A server_name extension with one host_name */
static void ext_sni(struct msg *e, const char *host)
{
	struct msg list = { .len = 0 };

	sni_entry(&list, 0, host, strlen(host));
	ext_sni_list(e, &list);
}

/* A ClientHello message, header included, with a session id, cipher
 * suites and compression methods of the given lengths (consistent, but
 * maybe not allowed); @exts NULL: no extensions */
static void hello_fields(struct msg *m, size_t sid, size_t suites,
			 size_t comp, const struct msg *exts)
{
	size_t body;

	m->len = 0;
	msg_u8(m, 1);				/* client_hello */
	msg_fill(m, 0, 3);			/* length, below */
	msg_u16(m, 0x0303);
	msg_fill(m, 0xaa, 32);			/* random */
	msg_u8(m, (uint8_t)sid);
	msg_fill(m, 0xbb, sid);
	msg_u16(m, suites);
	msg_fill(m, 0x13, suites);
	msg_u8(m, (uint8_t)comp);
	msg_fill(m, 0, comp);			/* null compression */
	if (exts) {
		msg_u16(m, exts->len);
		msg_bytes(m, exts->b, exts->len);
	}
	body = m->len - 4;
	m->b[1] = (uint8_t)(body >> 16);
	m->b[2] = (uint8_t)(body >> 8);
	m->b[3] = (uint8_t)body;
}

/* The usual ClientHello: the HS_* offsets hold */
static void hello_msg(struct msg *m, const struct msg *exts)
{
	hello_fields(m, 32, 4, 1, exts);
	assert_int_equal(m->b[HS_SID_LEN], 32);
	assert_int_equal(m->b[HS_COMP_LEN], 1);
}

/* A ClientHello with a server_name of @host and nothing else */
static void hello_sni(struct msg *m, const char *host)
{
	struct msg e = { .len = 0 };

	ext_sni(&e, host);
	hello_msg(m, &e);
}

/* @hs as handshake records of at most @frag bytes each */
static void records(struct msg *out, const uint8_t *hs, size_t len,
		    size_t frag)
{
	size_t pos, n;

	out->len = 0;
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < frag ? len - pos : frag;
		msg_u8(out, 22);
		msg_u16(out, 0x0301);
		msg_u16(out, n);
		msg_bytes(out, hs + pos, n);
	}
}

/* @hs as two handshake records, the first of @at bytes */
static void records_split(struct msg *out, const uint8_t *hs, size_t len,
			  size_t at)
{
	struct msg second;

	records(out, hs, at, at);
	records(&second, hs + at, len - at, len - at);
	second.b[2] = 0x03;			/* TLS 1.2 in the second */
	msg_bytes(out, second.b, second.len);
}

/* The handshake message of a captured single-record ClientHello */
static void real_hs(struct msg *hs, const uint8_t *rec, size_t len)
{
	assert_true(len > REC);
	assert_int_equal((size_t)rec[3] << 8 | rec[4], len - REC);
	hs->len = 0;
	msg_bytes(hs, rec + REC, len - REC);
}

/* Parsers run on a heap copy of exactly @len bytes; a name other than
 * PEEK_FOUND's must be "" */

typedef enum peek_result (*peek_fn)(const uint8_t *data, size_t len,
				    char *name, size_t cap);

static enum peek_result run(peek_fn fn, const void *b, size_t len,
			    char *name, size_t cap)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum peek_result r;

	assert_non_null(copy);
	memcpy(copy, b, len);
	memset(name, 'X', cap);
	r = fn(copy, len, name, cap);
	free(copy);
	if (cap)
		assert_non_null(memchr(name, '\0', cap));
	if (r != PEEK_FOUND && cap)
		assert_string_equal(name, "");
	return r;
}

static enum peek_result run_peek(const void *b, size_t len, char *name,
				 enum peek_kind *kind)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum peek_result r;

	assert_non_null(copy);
	memcpy(copy, b, len);
	memset(name, 'X', PEEK_NAME_MAX);
	*kind = (enum peek_kind)-1;
	r = peek_name(copy, len, name, PEEK_NAME_MAX, kind);
	free(copy);
	if (r != PEEK_FOUND)
		assert_string_equal(name, "");
	if (r == PEEK_OTHER)
		assert_int_equal(*kind, PEEK_KIND_NONE);
	return r;
}

/* peek_tls_sni() and peek_name() both give @want (and @want_name) */
static void expect_tls(const void *b, size_t len, enum peek_result want,
		       const char *want_name)
{
	char name[PEEK_NAME_MAX];
	enum peek_kind kind;

	assert_int_equal(run(peek_tls_sni, b, len, name, sizeof(name)), want);
	assert_string_equal(name, want_name ? want_name : "");
	assert_int_equal(run_peek(b, len, name, &kind), want);
	assert_string_equal(name, want_name ? want_name : "");
	if (want != PEEK_OTHER)
		assert_int_equal(kind, PEEK_KIND_TLS);
}

static void expect_tls_msg(const struct msg *m, enum peek_result want,
			   const char *want_name)
{
	expect_tls(m->b, m->len, want, want_name);
}

/* The ClientHello message @hs, as one record */
static void expect_hs(const struct msg *hs, enum peek_result want,
		      const char *want_name)
{
	struct msg rec;

	records(&rec, hs->b, hs->len, hs->len);
	expect_tls_msg(&rec, want, want_name);
}

/* Every proper prefix of @b is PEEK_MORE */
static void expect_prefixes_more(peek_fn fn, const uint8_t *b, size_t len)
{
	char name[PEEK_NAME_MAX];
	enum peek_result r;
	size_t i;

	for (i = 0; i < len; i++) {
		r = run(fn, b, i, name, sizeof(name));
		if (r != PEEK_MORE)
			fail_msg("prefix of %zu of %zu bytes: %d, not MORE", i,
				 len, r);
	}
}

/* TLS: captured ClientHellos */

static void test_tls_real_hellos(void **state)
{
	(void)state;
	expect_tls(hello_openssl13, sizeof(hello_openssl13), PEEK_FOUND,
		   "x.test");
	expect_tls(hello_openssl12, sizeof(hello_openssl12), PEEK_FOUND,
		   "www.example.org");
	expect_tls(hello_curl, sizeof(hello_curl), PEEK_FOUND, "curl.x.test");
	expect_tls(hello_nosni, sizeof(hello_nosni), PEEK_NONE, NULL);
}

static void test_tls_real_prefixes(void **state)
{
	(void)state;
	expect_prefixes_more(peek_tls_sni, hello_openssl13,
			     sizeof(hello_openssl13));
	expect_prefixes_more(peek_tls_sni, hello_openssl12,
			     sizeof(hello_openssl12));
	expect_prefixes_more(peek_tls_sni, hello_curl, sizeof(hello_curl));
	expect_prefixes_more(peek_tls_sni, hello_nosni, sizeof(hello_nosni));
}

/* Bytes after the ClientHello (early data, a second record, garbage) are
 * not looked at */
static void test_tls_trailing_bytes(void **state)
{
	static const uint8_t after[] = { 0x17, 0x03, 0x03, 0x00, 0x02, 1, 2,
					 0x00, 0xff };
	struct msg m = { .len = 0 };

	(void)state;
	msg_bytes(&m, hello_openssl13, sizeof(hello_openssl13));
	msg_bytes(&m, after, sizeof(after));
	expect_tls_msg(&m, PEEK_FOUND, "x.test");
}

/* TLS: a ClientHello fragmented over records */

static void test_tls_split_two_records(void **state)
{
	const struct {
		const uint8_t *rec;
		size_t len;
		const char *name;
	} hellos[] = {
		{ hello_openssl13, sizeof(hello_openssl13), "x.test" },
		{ hello_openssl12, sizeof(hello_openssl12), "www.example.org" },
		{ hello_curl, sizeof(hello_curl), "curl.x.test" },
		{ hello_nosni, sizeof(hello_nosni), NULL },
	};
	struct msg hs, m;
	size_t i, at;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(hellos); i++) {
		real_hs(&hs, hellos[i].rec, hellos[i].len);
		for (at = 1; at < hs.len; at++) {
			records_split(&m, hs.b, hs.len, at);
			assert_int_equal(m.len, hs.len + 2 * REC);
			expect_tls_msg(&m, hellos[i].name ? PEEK_FOUND
							  : PEEK_NONE,
				       hellos[i].name);
		}
	}
}

/* Cut short anywhere, a split ClientHello is PEEK_MORE */
static void test_tls_split_prefixes(void **state)
{
	struct msg hs, m;
	size_t at;

	(void)state;
	real_hs(&hs, hello_openssl13, sizeof(hello_openssl13));
	for (at = 1; at < hs.len; at++) {
		records_split(&m, hs.b, hs.len, at);
		expect_prefixes_more(peek_tls_sni, m.b, m.len);
	}
}

static void test_tls_tiny_records(void **state)
{
	const size_t frags[] = { 1, 2, 3, 4, 5, 7, 100 };
	struct msg hs, m;
	size_t i;

	(void)state;
	real_hs(&hs, hello_curl, sizeof(hello_curl));
	for (i = 0; i < ARRAY_SIZE(frags); i++) {
		records(&m, hs.b, hs.len, frags[i]);
		expect_tls_msg(&m, PEEK_FOUND, "curl.x.test");
	}
	records(&m, hs.b, hs.len, 1);
	expect_prefixes_more(peek_tls_sni, m.b, m.len);
}

/* TLS: records that are not a ClientHello's */

static void test_tls_bad_records(void **state)
{
	const struct {
		const char *what;
		uint8_t hdr[REC];
		size_t n;
	} bad[] = {
		{ "application data", { 23, 3, 1, 0, 10 }, 1 },
		{ "alert", { 21, 3, 3, 0, 2 }, 1 },
		{ "SSL 2 hello", { 0x80, 0x2e, 1, 3, 1 }, 1 },
		{ "major 2", { 22, 2, 0, 0, 10 }, 2 },
		{ "SSL 3.0", { 22, 3, 0, 0, 10 }, 3 },
		{ "TLS 3.5", { 22, 3, 5, 0, 10 }, 3 },
		{ "empty record", { 22, 3, 1, 0, 0 }, 5 },
		{ "record over 2^14", { 22, 3, 1, 0x40, 0x01 }, 5 },
	};
	char name[PEEK_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Refused as soon as the telling byte is there */
		if (run(peek_tls_sni, bad[i].hdr, bad[i].n, name,
			sizeof(name)) != PEEK_OTHER)
			fail_msg("%s: not PEEK_OTHER after %zu bytes",
				 bad[i].what, bad[i].n);
		if (bad[i].hdr[0] == 22)
			expect_tls(bad[i].hdr, REC, PEEK_OTHER, NULL);
	}
	/* A record of exactly 2^14 bytes is fine (so far) */
	expect_tls((const uint8_t[]){ 22, 3, 1, 0x40, 0x00, 1 }, 6, PEEK_MORE,
		   NULL);
}

static void test_tls_bad_second_record(void **state)
{
	struct msg hs, m;
	size_t at = 50;

	(void)state;
	real_hs(&hs, hello_openssl13, sizeof(hello_openssl13));
	records_split(&m, hs.b, hs.len, at);
	expect_tls_msg(&m, PEEK_FOUND, "x.test");

	m.b[REC + at] = 23;			/* not a handshake */
	expect_tls(m.b, REC + at + 1, PEEK_OTHER, NULL);
	m.b[REC + at] = 22;
	m.b[REC + at + 2] = 0;			/* SSL 3.0 */
	expect_tls(m.b, REC + at + 3, PEEK_OTHER, NULL);
	m.b[REC + at + 2] = 3;
	msg_put16(&m, REC + at + 3, 0);		/* empty */
	expect_tls_msg(&m, PEEK_OTHER, NULL);
}

static void test_tls_not_client_hello(void **state)
{
	struct msg hs;

	(void)state;
	hello_sni(&hs, "a.test");
	hs.b[0] = 2;				/* server_hello */
	expect_hs(&hs, PEEK_OTHER, NULL);
	/* Known as soon as the type is there, also in a record of its own */
	expect_tls((const uint8_t[]){ 22, 3, 1, 0, 1, 2 }, 6, PEEK_OTHER, NULL);
	expect_tls((const uint8_t[]){ 22, 3, 1, 0, 1, 1 }, 6, PEEK_MORE, NULL);
	expect_tls((const uint8_t[]){ 22, 3, 1, 0, 4, 2, 0, 0, 1 }, 9,
		   PEEK_OTHER, NULL);
	expect_tls((const uint8_t[]){ 22, 3, 1, 0, 1, 2, 22, 3, 1, 0, 3,
				      0, 0, 1 }, 14, PEEK_OTHER, NULL);
}

/* TLS: one length wrong at a time */

static void test_tls_bad_lengths(void **state)
{
	const struct {
		const char *what;
		size_t off;
		size_t value;
		int u16;
	} bad[] = {
		{ "session id over 32", HS_SID_LEN, 33, 0 },
		{ "odd cipher suites", HS_SUITES_LEN, 3, 1 },
		{ "no cipher suites", HS_SUITES_LEN, 0, 1 },
		{ "cipher suites overrun", HS_SUITES_LEN, 0x4000, 1 },
		{ "no compression", HS_COMP_LEN, 0, 0 },
		{ "compression overrun", HS_COMP_LEN, 0xff, 0 },
		{ "extensions short", HS_EXTS_LEN, 13, 1 },
		{ "extensions overrun", HS_EXTS_LEN, 15, 1 },
		{ "server_name too long", HS_EXTS + 2, 12, 1 },
		{ "server_name too short", HS_EXTS + 2, 6, 1 },
		{ "name list too long", HS_EXTS + 4, 9, 1 },
		{ "name list too short", HS_EXTS + 4, 7, 1 },
		{ "name list empty", HS_EXTS + 4, 0, 1 },
		{ "host_name overrun", HS_EXTS + 7, 6, 1 },
		{ "host_name short", HS_EXTS + 7, 4, 1 },
	};
	struct msg hs, e = { .len = 0 };
	size_t i;

	(void)state;
	ext_sni(&e, "a.tst");		/* 4 + 2 + (1 + 2 + 5) = 14 bytes */
	assert_int_equal(e.len, 14);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_FOUND, "a.tst");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct msg m = hs;
		char name[PEEK_NAME_MAX];
		struct msg rec;
		enum peek_result r;

		if (bad[i].u16)
			msg_put16(&m, bad[i].off, bad[i].value);
		else
			m.b[bad[i].off] = (uint8_t)bad[i].value;
		records(&rec, m.b, m.len, m.len);
		r = run(peek_tls_sni, rec.b, rec.len, name, sizeof(name));
		if (r != PEEK_OTHER)
			fail_msg("%s: %d, not PEEK_OTHER", bad[i].what, r);
	}
}

/* Fields whose lengths add up, but are not allowed */
static void test_tls_bad_fields(void **state)
{
	const struct {
		size_t sid, suites, comp;
		enum peek_result want;
	} cases[] = {
		{ 32, 4, 1, PEEK_FOUND },
		{ 0, 2, 1, PEEK_FOUND },
		{ 1, 200, 3, PEEK_FOUND },
		{ 33, 4, 1, PEEK_OTHER },
		{ 255, 4, 1, PEEK_OTHER },
		{ 0, 0, 1, PEEK_OTHER },
		{ 0, 3, 1, PEEK_OTHER },
		{ 0, 2, 0, PEEK_OTHER },
	};
	struct msg hs, e = { .len = 0 };
	size_t i;

	(void)state;
	ext_sni(&e, "f.test");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		hello_fields(&hs, cases[i].sid, cases[i].suites, cases[i].comp,
			     &e);
		expect_hs(&hs, cases[i].want,
			  cases[i].want == PEEK_FOUND ? "f.test" : NULL);
	}
}

/* The handshake length disagreeing with what the fields say */
static void test_tls_bad_hs_length(void **state)
{
	struct msg hs, rec;

	(void)state;
	hello_sni(&hs, "a.test");

	/* Shorter: the extensions overrun the body */
	hs.b[3]--;
	records(&rec, hs.b, hs.len, hs.len);
	expect_tls_msg(&rec, PEEK_OTHER, NULL);
	/* Shorter by all but a byte of the extension block's length */
	hs.b[3] = (uint8_t)(HS_EXTS_LEN + 1 - 4);
	records(&rec, hs.b, hs.len, hs.len);
	expect_tls_msg(&rec, PEEK_OTHER, NULL);
	/* Longer: a byte after the extensions */
	hello_sni(&hs, "a.test");
	hs.b[3]++;
	msg_u8(&hs, 0);
	expect_hs(&hs, PEEK_OTHER, NULL);
	/* Longer, not there: waits for the rest */
	hello_sni(&hs, "a.test");
	hs.b[3]++;
	expect_hs(&hs, PEEK_MORE, NULL);
	/* Legacy version not 3.x */
	hello_sni(&hs, "a.test");
	hs.b[4] = 2;
	expect_hs(&hs, PEEK_OTHER, NULL);
	/* Cut inside the random */
	hs.len = 20;
	hs.b[1] = 0;
	hs.b[2] = 0;
	hs.b[3] = 16;
	expect_hs(&hs, PEEK_OTHER, NULL);
}

/* TLS: what the server_name extension may hold */

static void test_tls_no_extensions(void **state)
{
	struct msg hs, e = { .len = 0 };

	(void)state;
	hello_msg(&hs, NULL);
	expect_hs(&hs, PEEK_NONE, NULL);
	hello_msg(&hs, &e);			/* an empty block */
	expect_hs(&hs, PEEK_NONE, NULL);
	ext_add(&e, EXT_PADDING, "\0\0\0", 3);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_NONE, NULL);
}

static void test_tls_sni_names(void **state)
{
	const struct {
		const char *sni;
		enum peek_result want;
		const char *name;
	} cases[] = {
		{ "Mixed.CASE.Example", PEEK_FOUND, "mixed.case.example" },
		{ "trailing.dot.", PEEK_FOUND, "trailing.dot" },
		{ "_srv.xn--bcher-kva.example", PEEK_FOUND,
		  "_srv.xn--bcher-kva.example" },
		{ "localhost", PEEK_FOUND, "localhost" },
		{ "10.0.0.1", PEEK_NONE, NULL },
		{ "127.1", PEEK_NONE, NULL },
		{ "::1", PEEK_NONE, NULL },
		{ "a b.test", PEEK_NONE, NULL },
		{ "a..test", PEEK_NONE, NULL },
		{ "two.dots..", PEEK_NONE, NULL },
		{ ".", PEEK_NONE, NULL },
		{ "", PEEK_NONE, NULL },
		{ "caf\xc3\xa9.test", PEEK_NONE, NULL },
		{ "a.test\n", PEEK_NONE, NULL },
	};
	struct msg hs;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		hello_sni(&hs, cases[i].sni);
		expect_hs(&hs, cases[i].want, cases[i].name);
	}
}

static void test_tls_sni_nul(void **state)
{
	struct msg hs, e = { .len = 0 }, list = { .len = 0 };

	(void)state;
	sni_entry(&list, 0, "good.test\0evil.test", 19);
	ext_sni_list(&e, &list);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_NONE, NULL);
}

static void test_tls_sni_lists(void **state)
{
	struct msg hs, e, list;

	(void)state;
	/* Another name type first is skipped */
	e.len = list.len = 0;
	sni_entry(&list, 7, "\x01\x02\x03", 3);
	sni_entry(&list, 0, "b.test", 6);
	ext_sni_list(&e, &list);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_FOUND, "b.test");

	/* Only another name type: no host name */
	e.len = list.len = 0;
	sni_entry(&list, 1, "b.test", 6);
	ext_sni_list(&e, &list);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_NONE, NULL);

	/* Two host_names: which would the server take? */
	e.len = list.len = 0;
	sni_entry(&list, 0, "a.test", 6);
	sni_entry(&list, 0, "b.test", 6);
	ext_sni_list(&e, &list);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);

	/* An empty list, or none at all */
	e.len = 0;
	ext_add(&e, EXT_SERVER_NAME, "\0\0", 2);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);
	e.len = 0;
	ext_add(&e, EXT_SERVER_NAME, "", 0);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);

	/* A whole list, then a byte more in the extension */
	e.len = list.len = 0;
	sni_entry(&list, 0, "a.test", 6);
	msg_u16(&e, EXT_SERVER_NAME);
	msg_u16(&e, list.len + 3);
	msg_u16(&e, list.len);
	msg_bytes(&e, list.b, list.len);
	msg_u8(&e, 0);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);

	/* An entry cut short inside the list */
	e.len = list.len = 0;
	sni_entry(&list, 0, "a.test", 6);
	msg_u8(&list, 0);
	ext_sni_list(&e, &list);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);
}

static void test_tls_extension_walk(void **state)
{
	struct msg hs, e;

	(void)state;
	/* server_name after others */
	e.len = 0;
	ext_add(&e, 10, "\x00\x02\x00\x1d", 4);
	ext_add(&e, 23, "", 0);
	ext_sni(&e, "later.test");
	ext_add(&e, EXT_PADDING, "\0\0", 2);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_FOUND, "later.test");

	/* Two server_name extensions */
	e.len = 0;
	ext_sni(&e, "a.test");
	ext_sni(&e, "a.test");
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);

	/* A good server_name, then an extension overrunning the block: the
	 * name found first must not come out */
	e.len = 0;
	ext_sni(&e, "a.test");
	msg_u16(&e, EXT_PADDING);
	msg_u16(&e, 10);
	msg_fill(&e, 0, 9);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);

	/* Half an extension header at the end */
	e.len = 0;
	ext_sni(&e, "a.test");
	msg_u8(&e, 0);
	hello_msg(&hs, &e);
	expect_hs(&hs, PEEK_OTHER, NULL);
}

/* TLS: how big a ClientHello may be */

/* A ClientHello message of exactly @len bytes naming @host, padded */
static void hello_sized(struct msg *hs, const char *host, size_t len)
{
	static uint8_t zeros[PEEK_MAX];
	struct msg e = { .len = 0 };
	size_t base;

	ext_sni(&e, host);
	base = HS_EXTS + e.len + 4;
	assert_true(len >= base);
	ext_add(&e, EXT_PADDING, zeros, len - base);
	hello_msg(hs, &e);
	assert_int_equal(hs->len, len);
}

static void test_tls_size_limit(void **state)
{
	char name[PEEK_NAME_MAX];
	struct msg hs, m;

	(void)state;
	/* The largest that fits in PEEK_MAX: one record, exactly PEEK_MAX */
	hello_sized(&hs, "big.test", PEEK_MAX - REC);
	records(&m, hs.b, hs.len, hs.len);
	assert_int_equal(m.len, PEEK_MAX);
	expect_tls_msg(&m, PEEK_FOUND, "big.test");
	expect_prefixes_more(peek_tls_sni, m.b, m.len);

	/* The same in two records cannot end within PEEK_MAX */
	records_split(&m, hs.b, hs.len, 1000);
	assert_int_equal(run(peek_tls_sni, m.b, PEEK_MAX - 1, name,
			     sizeof(name)), PEEK_MORE);
	expect_tls(m.b, PEEK_MAX, PEEK_NONE, NULL);
	expect_tls_msg(&m, PEEK_NONE, NULL);

	/* One byte more is known too big from its handshake header */
	hello_sized(&hs, "big.test", PEEK_MAX - REC + 1);
	records(&m, hs.b, hs.len, 8000);
	expect_tls(m.b, REC + 4, PEEK_NONE, NULL);
	expect_tls_msg(&m, PEEK_NONE, NULL);
	/* ... also when the header itself is split */
	records(&m, hs.b, 8, 2);
	expect_tls(m.b, 2 * (REC + 2), PEEK_NONE, NULL);
	assert_int_equal(run(peek_tls_sni, m.b, 2 * (REC + 2) - 1, name,
			     sizeof(name)), PEEK_MORE);
}

/* TLS: the room the caller gives */
static void test_tls_cap(void **state)
{
	char name[16];

	(void)state;
	/* "x.test" needs 7 bytes */
	assert_int_equal(run(peek_tls_sni, hello_openssl13,
			     sizeof(hello_openssl13), name, 7), PEEK_FOUND);
	assert_string_equal(name, "x.test");
	assert_int_equal(run(peek_tls_sni, hello_openssl13,
			     sizeof(hello_openssl13), name, 6), PEEK_NONE);
	assert_int_equal(run(peek_tls_sni, hello_openssl13,
			     sizeof(hello_openssl13), name, 0), PEEK_NONE);
}

/* HTTP */

/* Captured: curl http://h.x.test:40707/p?q=1 (curl 7.88.1) */
static const char request_curl[] =
	"GET /p?q=1 HTTP/1.1\r\n"
	"Host: h.x.test:40707\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";

/**
 * struct http_case - a request and what it names
 * @req:	the request
 * @want:	the answer
 * @name:	the name if PEEK_FOUND
 */
struct http_case {
	const char *req;
	enum peek_result want;
	const char *name;
};

/* peek_http_host() (and peek_name(), if it would pick HTTP) give @c's answer */
static void expect_http_case(const struct http_case *c, size_t i)
{
	size_t len = strlen(c->req);
	char name[PEEK_NAME_MAX];
	enum peek_kind kind;
	enum peek_result r;

	r = run(peek_http_host, c->req, len, name, sizeof(name));
	if (r != c->want || strcmp(name, c->name ? c->name : ""))
		fail_msg("case %zu \"%s\": %d \"%s\", not %d \"%s\"", i,
			 c->req, r, name, c->want, c->name ? c->name : "");
	if (c->req[0] < 'A' || c->req[0] > 'Z')
		return;
	r = run_peek(c->req, len, name, &kind);
	assert_int_equal(r, c->want);
	assert_string_equal(name, c->name ? c->name : "");
	if (r != PEEK_OTHER)
		assert_int_equal(kind, PEEK_KIND_HTTP);
}

static void expect_http_cases(const struct http_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		expect_http_case(&c[i], i);
}

static void test_http_real_request(void **state)
{
	(void)state;
	expect_http_case(&(struct http_case){ request_curl, PEEK_FOUND,
					      "h.x.test" }, 0);
	expect_prefixes_more(peek_http_host, (const uint8_t *)request_curl,
			     strlen(request_curl));
}

static void test_http_host_forms(void **state)
{
	static const struct http_case cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_FOUND,
		  "a.test" },
		{ "GET / HTTP/1.1\r\nhOsT: A.Test\r\n\r\n", PEEK_FOUND,
		  "a.test" },
		{ "GET / HTTP/1.1\r\nHOST:a.test\r\n\r\n", PEEK_FOUND,
		  "a.test" },
		{ "GET / HTTP/1.1\r\nHost: \t Example.COM. \t\r\n\r\n",
		  PEEK_FOUND, "example.com" },
		{ "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
		  PEEK_FOUND, "example.com" },
		{ "GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n",
		  PEEK_FOUND, "example.com" },
		{ "GET / HTTP/1.1\r\nHost: example.com.:80\r\n\r\n",
		  PEEK_FOUND, "example.com" },
		/* Other headers around it, some that merely look like it */
		{ "GET / HTTP/1.1\r\nX-Host: no.test\r\nHosts: no.test\r\n"
		  "Accept: */*\r\nHost: yes.test\r\nX-Forwarded-Host: no.test"
		  "\r\n\r\n", PEEK_FOUND, "yes.test" },
		/* Not names */
		{ "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", PEEK_NONE,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost: 127.1\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: 0x7f000001\r\n\r\n", PEEK_NONE,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost:   \r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: a.test:http\r\n\r\n", PEEK_NONE,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost: a.test:80:80\r\n\r\n", PEEK_NONE,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost: user@a.test\r\n\r\n", PEEK_NONE,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost: a test\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: a%2etest\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nHost: caf\xc3\xa9.test\r\n\r\n", PEEK_NONE,
		  NULL },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

static void test_http_versions(void **state)
{
	static const struct http_case cases[] = {
		{ "GET / HTTP/1.0\r\nHost: a.test\r\n\r\n", PEEK_FOUND,
		  "a.test" },
		{ "GET / HTTP/1.0\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", PEEK_NONE, NULL },
		{ "GET / HTTP/1.9\r\nHost: a.test\r\n\r\n", PEEK_FOUND,
		  "a.test" },
		{ "GET / HTTP/2.0\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.10\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.x\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / http/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET /\r\n\r\n", PEEK_OTHER, NULL },	/* HTTP/0.9 */
		/* The HTTP/2 connection preface */
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", PEEK_OTHER, NULL },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

static void test_http_line_ends(void **state)
{
	static const struct http_case cases[] = {
		{ "GET / HTTP/1.1\nHost: lf.test\n\n", PEEK_FOUND, "lf.test" },
		{ "GET / HTTP/1.1\r\nHost: mixed.test\n\r\n", PEEK_FOUND,
		  "mixed.test" },
		{ "GET / HTTP/1.1\nHost: mixed.test\r\n\n", PEEK_FOUND,
		  "mixed.test" },
		/* A bare CR is no line end */
		{ "GET / HTTP/1.1\rHost: cr.test\r\r", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nHost: cr.test\r\r\n\r\n", PEEK_OTHER,
		  NULL },
		{ "GET / HTTP/1.1\r\nHost: a.test\rX: y\r\n\r\n", PEEK_OTHER,
		  NULL },
		{ "GET / HTTP/1.1\r\r\nHost: a.test\r\n\r\n", PEEK_OTHER,
		  NULL },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

static void test_http_methods(void **state)
{
	static const struct http_case cases[] = {
		{ "POST /form HTTP/1.1\r\nContent-Length: 3\r\nHost: p.test"
		  "\r\n\r\nabc", PEEK_FOUND, "p.test" },
		{ "M-SEARCH * HTTP/1.1\r\nHost: m.test\r\n\r\n", PEEK_FOUND,
		  "m.test" },
		{ "OPTIONS * HTTP/1.1\r\nHost: o.test\r\n\r\n", PEEK_FOUND,
		  "o.test" },
		{ "X!#$%&'*+-.^_`|~9 / HTTP/1.1\r\nHost: t.test\r\n\r\n",
		  PEEK_FOUND, "t.test" },
		/* Methods are case-sensitive tokens; peek_name() only tries
		 * HTTP on a capital letter */
		{ "get / HTTP/1.1\r\nHost: g.test\r\n\r\n", PEEK_FOUND,
		  "g.test" },
		{ "GE(T / HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ " GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER,
		  NULL },
	};
	char name[PEEK_NAME_MAX];
	enum peek_kind kind;

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
	assert_int_equal(run_peek(cases[4].req, strlen(cases[4].req), name,
				  &kind), PEEK_OTHER);
	assert_int_equal(kind, PEEK_KIND_NONE);
}

static void test_http_connect(void **state)
{
	static const struct http_case cases[] = {
		{ "CONNECT Tunnel.Example:443 HTTP/1.1\r\n"
		  "Host: tunnel.example:443\r\n\r\n", PEEK_FOUND,
		  "tunnel.example" },
		/* The target is where the proxy connects, whatever Host says */
		{ "CONNECT target.test:443 HTTP/1.1\r\n"
		  "Host: proxy.test\r\n\r\n", PEEK_FOUND, "target.test" },
		{ "CONNECT target.test:443 HTTP/1.0\r\n\r\n", PEEK_FOUND,
		  "target.test" },
		{ "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: a.test\r\n\r\n",
		  PEEK_NONE, NULL },
		{ "CONNECT 192.0.2.1:443 HTTP/1.1\r\n\r\n", PEEK_NONE, NULL },
		{ "CONNECT a.test:https HTTP/1.1\r\n\r\n", PEEK_NONE, NULL },
		/* "connect" is some other method */
		{ "connect / HTTP/1.1\r\nHost: b.test\r\n\r\n", PEEK_FOUND,
		  "b.test" },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

static void test_http_absolute_form(void **state)
{
	static const struct http_case cases[] = {
		{ "GET http://abs.test/x HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_FOUND, "abs.test" },
		{ "GET http://ABS.test:8080?q HTTP/1.1\r\nHost: abs.test:8080"
		  "\r\n\r\n", PEEK_FOUND, "abs.test" },
		{ "GET https://abs.test#f HTTP/1.1\r\nHost: Abs.Test.\r\n\r\n",
		  PEEK_FOUND, "abs.test" },
		/* A server would go by the target: disagreeing is no name */
		{ "GET http://other.test/ HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_NONE, NULL },
		{ "GET http://abs.test@other.test/ HTTP/1.1\r\n"
		  "Host: abs.test\r\n\r\n", PEEK_NONE, NULL },
		{ "GET http://[::1]/ HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_NONE, NULL },
		{ "GET http:abs.test HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_NONE, NULL },
		{ "GET http:xxabs.test HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_NONE, NULL },
		{ "GET http://abs.test/ HTTP/1.1\r\n\r\n", PEEK_NONE, NULL },
		/* Origin-form paths with a colon are not absolute, nor is what
		 * has no scheme (starting with a letter) before its colon */
		{ "GET /a:b HTTP/1.1\r\nHost: abs.test\r\n\r\n", PEEK_FOUND,
		  "abs.test" },
		{ "GET 1ab://other.test/ HTTP/1.1\r\nHost: abs.test\r\n\r\n",
		  PEEK_FOUND, "abs.test" },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

static void test_http_malformed(void **state)
{
	static const struct http_case cases[] = {
		{ "GET  / HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET  HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1 \r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET\t/ HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET /\x01 HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER,
		  NULL },
		{ "GET /\xc3\xa9 HTTP/1.1\r\nHost: a.test\r\n\r\n", PEEK_OTHER,
		  NULL },
		/* Header lines */
		{ "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\n Host: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nX: y\r\n folded\r\nHost: a.test\r\n\r\n",
		  PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nHost a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\n: a.test\r\n\r\n", PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nHost: a.test\r\nX: \x7f\r\n\r\n",
		  PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nHo(st: a.test\r\n\r\n", PEEK_OTHER, NULL },
		/* Two Host headers, even the same */
		{ "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
		  PEEK_OTHER, NULL },
		{ "GET / HTTP/1.1\r\nHost: a.test\r\nhost: a.test\r\n\r\n",
		  PEEK_OTHER, NULL },
		/* Not HTTP at all, though it starts with a capital */
		{ "SSH-2.0-OpenSSH_9.2\r\n", PEEK_OTHER, NULL },
		{ "EHLO mail.test\r\n", PEEK_OTHER, NULL },
	};

	(void)state;
	expect_http_cases(cases, ARRAY_SIZE(cases));
}

/* A request with a NUL byte in a header value (strlen() cannot carry it) */
static void test_http_nul(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nX: a\0b\r\n"
				  "Host: a.test\r\n\r\n";
	static const char host[] = "GET / HTTP/1.1\r\nHost: a.test\0.evil\r\n"
				   "\r\n";
	char name[PEEK_NAME_MAX];

	(void)state;
	assert_int_equal(run(peek_http_host, req, sizeof(req) - 1, name,
			     sizeof(name)), PEEK_OTHER);
	assert_int_equal(run(peek_http_host, host, sizeof(host) - 1, name,
			     sizeof(name)), PEEK_OTHER);
}

/* Everything cut short is PEEK_MORE, and binary noise is refused early */
static void test_http_partial(void **state)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n",
		"GET / HTTP/1.1\nHost: a.test\n\n",
		"CONNECT a.test:443 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	};
	char name[PEEK_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		expect_prefixes_more(peek_http_host, (const uint8_t *)reqs[i],
				     strlen(reqs[i]));

	/* The Host is there, but a second one could still come */
	assert_int_equal(run(peek_http_host, reqs[0], 30, name, sizeof(name)),
			 PEEK_MORE);
	assert_memory_equal(reqs[0] + 16, "Host: a.test\r\n", 14);
	/* Refused at the first byte that cannot be right */
	assert_int_equal(run(peek_http_host, "G\x00", 2, name, sizeof(name)),
			 PEEK_OTHER);
	assert_int_equal(run(peek_http_host, "GET /\x00", 6, name,
			     sizeof(name)), PEEK_OTHER);
	assert_int_equal(run(peek_http_host, "GET / HTTP/2", 12, name,
			     sizeof(name)), PEEK_OTHER);
	assert_int_equal(run(peek_http_host, "GET / HTTP/1.1\r\nX\x01", 18,
			     name, sizeof(name)), PEEK_OTHER);
	assert_int_equal(run(peek_http_host, "GET / HTTP/1.1\r\nX: \x01", 20,
			     name, sizeof(name)), PEEK_OTHER);
}

/* A request for big.test whose header section is exactly @total bytes */
static void big_request(struct msg *m, size_t total)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: big.test\r\n";
	static const char pad[] = "X-Pad: 0123456789abcdef\r\n";
	size_t k;

	m->len = 0;
	msg_bytes(m, head, strlen(head));
	while (m->len + 2 * strlen(pad) + 2 <= total)
		msg_bytes(m, pad, strlen(pad));
	k = total - m->len - strlen("X: \r\n\r\n");
	msg_bytes(m, "X: ", 3);
	msg_fill(m, 'a', k);
	msg_bytes(m, "\r\n\r\n", 4);
	assert_int_equal(m->len, total);
}

/* A header section that does not end within PEEK_MAX bytes */
static void test_http_size_limit(void **state)
{
	char name[PEEK_NAME_MAX];
	struct msg m;

	(void)state;
	/* Ending at PEEK_MAX is fine, and a body after it is not read */
	big_request(&m, PEEK_MAX);
	msg_bytes(&m, "body", 4);
	assert_int_equal(run(peek_http_host, m.b, m.len, name, sizeof(name)),
			 PEEK_FOUND);
	assert_string_equal(name, "big.test");

	/* Ending a byte later is not */
	big_request(&m, PEEK_MAX + 1);
	assert_int_equal(run(peek_http_host, m.b, PEEK_MAX - 1, name,
			     sizeof(name)), PEEK_MORE);
	assert_int_equal(run(peek_http_host, m.b, PEEK_MAX, name,
			     sizeof(name)), PEEK_NONE);
	assert_int_equal(run(peek_http_host, m.b, m.len, name, sizeof(name)),
			 PEEK_NONE);
}

/* The hostname check */

static bool hostname(const char *src, char *name, size_t cap)
{
	return peek_hostname((const uint8_t *)src, strlen(src), name, cap);
}

static void test_hostname_chars(void **state)
{
	const struct {
		const char *in;
		const char *out;	/* NULL: refused */
	} cases[] = {
		{ "Example.COM", "example.com" },
		{ "example.com.", "example.com" },
		{ "a", "a" },
		{ "_dmarc.x-y.test", "_dmarc.x-y.test" },
		{ "-lead.trail-", "-lead.trail-" },	/* as dns/ accepts */
		{ "1a.2b", "1a.2b" },
		{ "a.b1", "a.b1" },
		{ "a.0xg", "a.0xg" },
		{ "x.9z", "x.9z" },
		{ "example.com..", NULL },
		{ ".example.com", NULL },
		{ "a..b", NULL },
		{ ".", NULL },
		{ "", NULL },
		{ "a b", NULL },
		{ "a/b", NULL },
		{ "a:80", NULL },
		{ "a@b", NULL },
		{ "a*.test", NULL },
		{ "\xff.test", NULL },
		/* A last label that is a number: an IPv4 address to some */
		{ "1.2.3.4", NULL },
		{ "1.2.3.4.", NULL },
		{ "4294967295", NULL },
		{ "a.b.3", NULL },
		{ "0x7F.1", NULL },
		{ "a.0X7f", NULL },
		{ "a.0x", NULL },
	};
	char name[PEEK_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool ok = hostname(cases[i].in, name, sizeof(name));

		if (ok != !!cases[i].out ||
		    strcmp(name, cases[i].out ? cases[i].out : ""))
			fail_msg("\"%s\": %d \"%s\"", cases[i].in, ok, name);
	}
}

static void test_hostname_lengths(void **state)
{
	char in[300], name[PEEK_NAME_MAX];
	size_t i;

	(void)state;
	/* Labels up to 63 */
	memset(in, 'a', 63);
	strcpy(in + 63, ".test");
	assert_true(hostname(in, name, sizeof(name)));
	assert_int_equal(strlen(name), 68);
	memset(in, 'a', 64);
	strcpy(in + 64, ".test");
	assert_false(hostname(in, name, sizeof(name)));
	assert_string_equal(name, "");

	/* 253 characters in all, 254 with the trailing dot */
	for (i = 0; i < 253; i++)
		in[i] = i % 2 ? '.' : 'b';
	in[253] = '\0';
	assert_true(hostname(in, name, sizeof(name)));
	assert_int_equal(strlen(name), 253);
	strcpy(in + 253, ".");
	assert_true(hostname(in, name, sizeof(name)));
	assert_int_equal(strlen(name), 253);
	strcpy(in + 253, "b");
	assert_false(hostname(in, name, sizeof(name)));
	strcpy(in + 253, "b.");
	assert_false(hostname(in, name, sizeof(name)));

	/* However much room there is */
	{
		char big[512];

		for (i = 0; i < 254; i++)
			in[i] = i % 64 == 63 ? '.' : 'c';
		in[254] = '\0';
		assert_false(hostname(in, big, sizeof(big)));
		in[253] = '\0';
		assert_true(hostname(in, big, sizeof(big)));
	}

	/* Room for the name and its NUL, or nothing */
	assert_true(hostname("abc.d", name, 6));
	assert_string_equal(name, "abc.d");
	assert_true(hostname("abc.d.", name, 6));
	assert_false(hostname("abc.de", name, 6));
	assert_string_equal(name, "");
	assert_false(hostname("a", name, 1));
	assert_false(hostname("a", name, 0));
	{
		/* Not even a NUL is written with no room (ASan watches) */
		char *none = malloc(1);

		assert_non_null(none);
		assert_false(hostname("a", none + 1, 0));
		assert_int_equal(peek_tls_sni(hello_openssl13,
					      sizeof(hello_openssl13),
					      none + 1, 0), PEEK_NONE);
		assert_int_equal(peek_http_host((const uint8_t *)request_curl,
						strlen(request_curl),
						none + 1, 0), PEEK_NONE);
		free(none);
	}

	/* Bytes are counted, not C strings */
	assert_false(peek_hostname((const uint8_t *)"a\0b", 3, name,
				   sizeof(name)));
	assert_true(peek_hostname((const uint8_t *)"a.bcdef", 3, name,
				  sizeof(name)));
	assert_string_equal(name, "a.b");
}

/* The choice between the two */

static void test_peek_name_dispatch(void **state)
{
	char name[PEEK_NAME_MAX];
	enum peek_kind kind;

	(void)state;
	assert_int_equal(run_peek(hello_openssl13, sizeof(hello_openssl13),
				  name, &kind), PEEK_FOUND);
	assert_int_equal(kind, PEEK_KIND_TLS);
	assert_string_equal(name, "x.test");
	assert_int_equal(run_peek(request_curl, strlen(request_curl), name,
				  &kind), PEEK_FOUND);
	assert_int_equal(kind, PEEK_KIND_HTTP);
	assert_string_equal(name, "h.x.test");

	/* What it is not sure of yet, it says so with the kind it expects */
	assert_int_equal(run_peek(hello_openssl13, 1, name, &kind), PEEK_MORE);
	assert_int_equal(kind, PEEK_KIND_TLS);
	assert_int_equal(run_peek("G", 1, name, &kind), PEEK_MORE);
	assert_int_equal(kind, PEEK_KIND_HTTP);
	assert_int_equal(run_peek("", 0, name, &kind), PEEK_MORE);
	assert_int_equal(kind, PEEK_KIND_NONE);

	/* No name, of a known kind */
	assert_int_equal(run_peek(hello_nosni, sizeof(hello_nosni), name,
				  &kind), PEEK_NONE);
	assert_int_equal(kind, PEEK_KIND_TLS);
	assert_int_equal(run_peek("GET / HTTP/1.0\r\n\r\n", 18, name, &kind),
			 PEEK_NONE);
	assert_int_equal(kind, PEEK_KIND_HTTP);

	/* Neither */
	assert_int_equal(run_peek("\x00\x00\x00\x01", 4, name, &kind),
			 PEEK_OTHER);
	assert_int_equal(kind, PEEK_KIND_NONE);
	assert_int_equal(run_peek("get / HTTP/1.1\r\n\r\n", 18, name, &kind),
			 PEEK_OTHER);
	assert_int_equal(run_peek("\x17\x03\x03", 3, name, &kind), PEEK_OTHER);
	assert_int_equal(kind, PEEK_KIND_NONE);
	/* Recognised by the first byte, refused after */
	assert_int_equal(run_peek("\x16\x03\x09", 3, name, &kind), PEEK_OTHER);
	assert_int_equal(kind, PEEK_KIND_NONE);
	assert_int_equal(run_peek("SSH-2.0-x\r\n", 11, name, &kind),
			 PEEK_OTHER);
	assert_int_equal(kind, PEEK_KIND_NONE);
}

static void test_peek_kind_name(void **state)
{
	(void)state;
	assert_string_equal(peek_kind_name(PEEK_KIND_TLS), "sni");
	assert_string_equal(peek_kind_name(PEEK_KIND_HTTP), "http");
	assert_null(peek_kind_name(PEEK_KIND_NONE));
	assert_null(peek_kind_name((enum peek_kind)42));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_real_hellos),
		cmocka_unit_test(test_tls_real_prefixes),
		cmocka_unit_test(test_tls_trailing_bytes),
		cmocka_unit_test(test_tls_split_two_records),
		cmocka_unit_test(test_tls_split_prefixes),
		cmocka_unit_test(test_tls_tiny_records),
		cmocka_unit_test(test_tls_bad_records),
		cmocka_unit_test(test_tls_bad_second_record),
		cmocka_unit_test(test_tls_not_client_hello),
		cmocka_unit_test(test_tls_bad_lengths),
		cmocka_unit_test(test_tls_bad_fields),
		cmocka_unit_test(test_tls_bad_hs_length),
		cmocka_unit_test(test_tls_no_extensions),
		cmocka_unit_test(test_tls_sni_names),
		cmocka_unit_test(test_tls_sni_nul),
		cmocka_unit_test(test_tls_sni_lists),
		cmocka_unit_test(test_tls_extension_walk),
		cmocka_unit_test(test_tls_size_limit),
		cmocka_unit_test(test_tls_cap),
		cmocka_unit_test(test_http_real_request),
		cmocka_unit_test(test_http_host_forms),
		cmocka_unit_test(test_http_versions),
		cmocka_unit_test(test_http_line_ends),
		cmocka_unit_test(test_http_methods),
		cmocka_unit_test(test_http_connect),
		cmocka_unit_test(test_http_absolute_form),
		cmocka_unit_test(test_http_malformed),
		cmocka_unit_test(test_http_nul),
		cmocka_unit_test(test_http_partial),
		cmocka_unit_test(test_http_size_limit),
		cmocka_unit_test(test_hostname_chars),
		cmocka_unit_test(test_hostname_lengths),
		cmocka_unit_test(test_peek_name_dispatch),
		cmocka_unit_test(test_peek_kind_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

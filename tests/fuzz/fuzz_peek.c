/* fuzz_peek.c - libFuzzer harness for peek/: arbitrary bytes as the first
 * bytes of a TCP flow, through peek_name() and both parsers.
 *
 * The first input byte picks how the rest is presented: as it is; as the
 * body of a ClientHello, wrapped in a handshake header and one record
 * with the right lengths; the same fragmented into records of 1 to 32
 * bytes (the first byte's upper bits say how many); as the extension
 * block of a ClientHello with fixed other fields; cut at its first NUL
 * into a host_name, put in a well-formed server_name extension, and more
 * extensions after it; after "GET "; after
 * "GET / HTTP/1.1\r\n"; or cut at its first NUL into a request target,
 * put between "GET " or "CONNECT " and " HTTP/1.1\r\nHost: ", and what
 * follows.
 * So the fuzzer reaches the extension walk, the header lines and the
 * request targets without having to find the outer layers first.
 *
 * Every input is parsed from a heap copy of exactly its size, and the
 * harness checks what peek.h promises: a PEEK_FOUND name is a hostname as
 * peek_hostname() writes it, any other answer leaves the name empty;
 * peek_name() says what the parser its first byte picks says, with the
 * matching kind; PEEK_MORE never comes at PEEK_MAX bytes; a smaller @cap
 * changes only whether the name fits; and an answer other than PEEK_MORE
 * on a prefix is final: the whole input gives the same. Any broken
 * invariant abort()s.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *	tests/fuzz/fuzz_peek.c peek/tls_sni.c peek/http_host.c util/util.c \
 *	-o /tmp/fuzz_peek
 *   /tmp/fuzz_peek -max_total_time=60 -max_len=20000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peek/peek.h"
#include "util/util.h"

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/* Largest record wrap_hello() writes: 2^14 */
#define FUZZ_RECORD_MAX		16384
/* Longest input: what is wrapped around it stays within 16-bit lengths */
#define FUZZ_INPUT_MAX		60000

/* How the input is presented (first byte, modulo) */
enum fuzz_mode {
	FUZZ_RAW,
	FUZZ_HELLO,
	FUZZ_HELLO_FRAGMENTED,
	FUZZ_EXTENSIONS,
	FUZZ_SNI,
	FUZZ_REQUEST_LINE,
	FUZZ_HEADERS,
	FUZZ_TARGET,
	FUZZ_MODES,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * struct answer - what one call said
 * @r:		result
 * @kind:	kind (peek_name() only)
 * @name:	name
 */
struct answer {
	enum peek_result r;
	enum peek_kind kind;
	char name[PEEK_NAME_MAX];
};

/**
 * check_name() - @a's name is what its result allows
 * @a:		answer
 */
static void check_name(const struct answer *a)
{
	char copy[PEEK_NAME_MAX];
	size_t len;

	fuzz_assert(memchr(a->name, '\0', sizeof(a->name)));
	if (a->r != PEEK_FOUND) {
		fuzz_assert(!a->name[0]);
		return;
	}
	len = strlen(a->name);
	fuzz_assert(len >= 1 && len <= PEEK_NAME_MAX - 1);
	fuzz_assert(peek_hostname((const uint8_t *)a->name, len, copy,
				  sizeof(copy)));
	fuzz_assert(!strcmp(copy, a->name));
}

/**
 * same() - two answers agree in result and name
 */
static bool same(const struct answer *a, const struct answer *b)
{
	return a->r == b->r && !strcmp(a->name, b->name);
}

/**
 * ask() - peek_name() on a heap copy of exactly @len bytes of @in
 * @in:		input
 * @len:	bytes of it to show
 * @a:		output
 */
static void ask(const uint8_t *in, size_t len, struct answer *a)
{
	uint8_t *copy = malloc(len ? len : 1);

	fuzz_assert(copy);
	memcpy(copy, in, len);
	memset(a->name, 'X', sizeof(a->name));
	a->r = peek_name(copy, len, a->name, sizeof(a->name), &a->kind);
	free(copy);
	check_name(a);
	fuzz_assert(a->r != PEEK_MORE || len < PEEK_MAX);
	fuzz_assert(!peek_kind_name(a->kind) == (a->kind == PEEK_KIND_NONE));
	if (a->r == PEEK_OTHER)
		fuzz_assert(a->kind == PEEK_KIND_NONE);
	else
		fuzz_assert(a->kind != PEEK_KIND_NONE || !len);
}

/**
 * check_parsers() - each parser on its own agrees with peek_name(), and a
 * smaller @cap only decides whether the name fits
 * @in:		input
 * @len:	its length
 * @a:		what peek_name() said
 * @cap:	a small capacity, 0 to PEEK_NAME_MAX
 */
static void check_parsers(const uint8_t *in, size_t len,
			  const struct answer *a, size_t cap)
{
	struct answer tls, http;
	char *small = malloc(cap ? cap : 1);
	enum peek_result r;

	fuzz_assert(small);
	memset(tls.name, 'X', sizeof(tls.name));
	memset(http.name, 'X', sizeof(http.name));
	tls.r = peek_tls_sni(in, len, tls.name, sizeof(tls.name));
	http.r = peek_http_host(in, len, http.name, sizeof(http.name));
	check_name(&tls);
	check_name(&http);
	if (a->kind == PEEK_KIND_TLS)
		fuzz_assert(same(a, &tls));
	if (a->kind == PEEK_KIND_HTTP)
		fuzz_assert(same(a, &http));

	r = peek_tls_sni(in, len, small, cap);
	if (tls.r == PEEK_FOUND && strlen(tls.name) < cap)
		fuzz_assert(r == PEEK_FOUND && !strcmp(small, tls.name));
	else if (tls.r == PEEK_FOUND)
		fuzz_assert(r == PEEK_NONE);
	else
		fuzz_assert(r == tls.r);
	if (cap && r != PEEK_FOUND)
		fuzz_assert(!small[0]);
	free(small);
}

/**
 * check_prefix() - an answer on @n bytes other than PEEK_MORE is final
 * @in:		input
 * @len:	its length
 * @n:		prefix length, at most @len
 * @full:	the answer on all @len bytes
 */
static void check_prefix(const uint8_t *in, size_t len, size_t n,
			 const struct answer *full)
{
	struct answer a;

	fuzz_assert(n <= len);
	ask(in, n, &a);
	if (a.r != PEEK_MORE)
		fuzz_assert(same(&a, full) && a.kind == full->kind);
}

/**
 * check() - everything the harness checks, on one input
 * @in:		input
 * @len:	its length
 * @seed:	a number from the fuzzer's input, for the cuts and the cap
 */
static void check(const uint8_t *in, size_t len, size_t seed)
{
	struct answer full;

	ask(in, len, &full);
	check_parsers(in, len, &full, seed % (PEEK_NAME_MAX + 1));
	if (!len)
		return;
	check_prefix(in, len, len - 1, &full);
	check_prefix(in, len, len / 2, &full);
	check_prefix(in, len, seed % len, &full);
}

/**
 * after() - @body after @prefix, in a new buffer
 * @prefix:	text
 * @body:	bytes
 * @n:		their count
 * @len:	output: length of the result
 *
 * Return: the bytes, malloc()ed
 */
static uint8_t *after(const char *prefix, const uint8_t *body, size_t n,
		      size_t *len)
{
	size_t k = strlen(prefix);
	uint8_t *out = malloc(k + n ? k + n : 1);

	fuzz_assert(out);
	memcpy(out, prefix, k);
	memcpy(out + k, body, n);
	*len = k + n;
	return out;
}

/**
 * request() - a request line with the target @body holds up to its first
 * NUL, then "Host: " and the rest of @body
 * @method:	"GET", "CONNECT", ...
 * @body:	bytes
 * @n:		their count
 * @len:	output: length of the result
 *
 * Return: the bytes, malloc()ed
 */
static uint8_t *request(const char *method, const uint8_t *body, size_t n,
			size_t *len)
{
	static const char middle[] = " HTTP/1.1\r\nHost: ";
	const uint8_t *nul = memchr(body, '\0', n);
	size_t target = nul ? (size_t)(nul - body) : n, k = strlen(method);
	size_t rest = nul ? n - target - 1 : 0;
	uint8_t *out = malloc(k + 1 + n + sizeof(middle)), *p = out;

	fuzz_assert(out);
	memcpy(p, method, k);
	p += k;
	*p++ = ' ';
	memcpy(p, body, target);
	p += target;
	memcpy(p, middle, sizeof(middle) - 1);
	p += sizeof(middle) - 1;
	memcpy(p, body + n - rest, rest);
	*len = (size_t)(p + rest - out);
	return out;
}

/**
 * put_record() - a handshake record header for @n bytes
 */
static uint8_t *put_record(uint8_t *p, size_t n)
{
	*p++ = 22;
	*p++ = 3;
	*p++ = 1;
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	return p;
}

/**
 * wrap_hello() - @body as a ClientHello in records of at most @frag bytes
 * @body:	ClientHello body
 * @n:		its length, below 2^16
 * @frag:	1 to 2^14
 * @len:	output: length of the result
 *
 * Return: the records, malloc()ed
 */
static uint8_t *wrap_hello(const uint8_t *body, size_t n, size_t frag,
			   size_t *len)
{
	size_t hs_len = 4 + n, records = (hs_len + frag - 1) / frag, pos;
	uint8_t *hs = malloc(hs_len), *out, *p;

	*len = records * 5 + hs_len;
	out = malloc(*len);
	fuzz_assert(hs && out);
	hs[0] = 1;
	hs[1] = (uint8_t)(n >> 16);
	hs[2] = (uint8_t)(n >> 8);
	hs[3] = (uint8_t)n;
	memcpy(hs + 4, body, n);

	for (p = out, pos = 0; pos < hs_len; pos += frag) {
		size_t k = MIN(frag, hs_len - pos);

		p = put_record(p, k);
		memcpy(p, hs + pos, k);
		p += k;
	}
	free(hs);
	return out;
}

/**
 * wrap_extensions() - @exts as the extension block of a ClientHello
 * @exts:	extensions
 * @n:		their length, below 2^16
 * @len:	output: length of the result
 *
 * Return: one record, malloc()ed
 */
static uint8_t *wrap_extensions(const uint8_t *exts, size_t n, size_t *len)
{
	static const uint8_t head[] = {
		3, 3,				/* legacy_version */
		[34] = 0,			/* zero random; no session id */
		0, 2, 0x13, 0x01,		/* one cipher suite */
		1, 0,				/* null compression */
	};
	uint8_t *body = malloc(sizeof(head) + 2 + n), *out;

	fuzz_assert(body);
	memcpy(body, head, sizeof(head));
	body[sizeof(head)] = (uint8_t)(n >> 8);
	body[sizeof(head) + 1] = (uint8_t)n;
	memcpy(body + sizeof(head) + 2, exts, n);
	out = wrap_hello(body, sizeof(head) + 2 + n, FUZZ_RECORD_MAX, len);
	free(body);
	return out;
}

/**
 * wrap_sni() - a ClientHello with a server_name from @body
 * @body:	host_name up to the first NUL, then further extensions
 * @n:		length of @body, at most FUZZ_INPUT_MAX
 * @len:	output: length of the result
 *
 * Return: one record, malloc()ed
 */
static uint8_t *wrap_sni(const uint8_t *body, size_t n, size_t *len)
{
	const uint8_t *nul = memchr(body, '\0', n);
	size_t host = nul ? (size_t)(nul - body) : n;
	size_t rest = nul ? n - host - 1 : 0;
	uint8_t *exts = malloc(9 + n), *p = exts, *out;

	fuzz_assert(exts);
	*p++ = 0;				/* server_name */
	*p++ = 0;
	*p++ = (uint8_t)((host + 5) >> 8);
	*p++ = (uint8_t)(host + 5);
	*p++ = (uint8_t)((host + 3) >> 8);	/* the list */
	*p++ = (uint8_t)(host + 3);
	*p++ = 0;				/* host_name */
	*p++ = (uint8_t)(host >> 8);
	*p++ = (uint8_t)host;
	memcpy(p, body, host);
	memcpy(p + host, body + n - rest, rest);
	out = wrap_extensions(exts, 9 + host + rest, len);
	free(exts);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body = data + 1;
	size_t n = size ? size - 1 : 0, len = 0, seed = 0, i;
	uint8_t *in = NULL;

	if (!size || n > FUZZ_INPUT_MAX)
		return 0;
	for (i = 0; i < MIN(n, sizeof(seed)); i++)
		seed = seed << 8 | body[i];

	switch (data[0] % FUZZ_MODES) {
	case FUZZ_RAW:
		in = after("", body, n, &len);
		break;
	case FUZZ_HELLO:
		in = wrap_hello(body, n, FUZZ_RECORD_MAX, &len);
		break;
	case FUZZ_HELLO_FRAGMENTED:
		in = wrap_hello(body, n, 1 + data[0] / FUZZ_MODES % 32, &len);
		break;
	case FUZZ_EXTENSIONS:
		in = wrap_extensions(body, n, &len);
		break;
	case FUZZ_SNI:
		in = wrap_sni(body, n, &len);
		break;
	case FUZZ_REQUEST_LINE:
		in = after("GET ", body, n, &len);
		break;
	case FUZZ_HEADERS:
		in = after("GET / HTTP/1.1\r\n", body, n, &len);
		break;
	case FUZZ_TARGET:
		in = request(data[0] / FUZZ_MODES % 2 ? "CONNECT" : "GET",
			     body, n, &len);
		break;
	}
	check(in, len, seed);
	free(in);
	return 0;
}

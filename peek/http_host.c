/* http_host.c - the host an HTTP/1.x request is for (RFC 9112 3, RFC 9110
 * 7.2). The hostname check and the choice between the parsers are in
 * peek.c.
 *
 * Theory of operation
 *
 * A request starts with its request line, "METHOD SP target SP HTTP/1.x",
 * then header lines "name: value", then an empty line. Lines end in CRLF,
 * or a bare LF (RFC 9112 2.2 lets a recipient accept one). The request is
 * read line by line from the start each time more bytes arrive; the last,
 * incomplete line is checked as far as it goes, so a binary protocol that
 * happens to start with a capital letter is PEEK_OTHER after a few bytes
 * rather than PEEK_MORE until PEEK_MAX. Everything a server must refuse
 * with 400 and that this parser sees is PEEK_OTHER too: a request line
 * not exactly of that form, a header line without a token name directly
 * followed by ':' (this includes obsolete line folding), a bare CR or
 * another control byte, two Host headers. A gateway that read such a
 * request one way while the server reads it another would decide on the
 * wrong name.
 *
 * The answer waits for the end of the header section, since only then is
 * it known that no second Host follows. The name then comes from:
 *
 *  - CONNECT: the request target, "host:port" (authority-form), which is
 *    where a proxy will connect;
 *  - otherwise the Host header, "host[:port]", whitespace around it
 *    trimmed. An absolute-form target ("http://host/path") makes an origin
 *    server ignore Host (RFC 9112 3.2.2), so its host must be the same
 *    name, or the answer is PEEK_NONE.
 *
 * An IP literal ("[v6]", or a last label that is a number) is not a name:
 * PEEK_NONE.
 */
#include <string.h>
#include <strings.h>

#include "peek/peek.h"
#include "util/util.h"

/**
 * struct http_request - what the request says so far
 * @method:	method token
 * @method_len:	its length
 * @target:	request target
 * @target_len:	its length
 * @host:	value of the Host header, trimmed, or NULL if none yet
 * @host_len:	its length
 */
struct http_request {
	const uint8_t *method;
	size_t method_len;
	const uint8_t *target;
	size_t target_len;
	const uint8_t *host;
	size_t host_len;
};

/**
 * http_alpha() - is @c an ASCII letter?
 * @c:		byte
 */
static bool http_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/**
 * http_tchar() - may @c appear in a token (RFC 9110 5.6.2)?
 * @c:		byte
 */
static bool http_tchar(uint8_t c)
{
	if (http_alpha(c) || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/**
 * http_field_char() - may @c appear in a field value (RFC 9110 5.5)?
 * @c:		byte: visible ASCII, space, tab, or obs-text
 */
static bool http_field_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/**
 * http_line() - the line starting at @pos
 * @data:	request
 * @len:	its length
 * @pos:	start of the line, at most @len
 * @line_len:	output: length without its LF and a CR before it; for an
 *		incomplete line, without a CR it ends in (its LF may follow)
 * @next:	output: where the next line starts, if this one is complete
 *
 * Return: true if the line is complete (its LF is there)
 */
static bool http_line(const uint8_t *data, size_t len, size_t pos,
		      size_t *line_len, size_t *next)
{
	const uint8_t *lf = memchr(data + pos, '\n', len - pos);
	size_t end = lf ? (size_t)(lf - data) : len;

	*line_len = end - pos;
	if (*line_len && data[end - 1] == '\r')
		(*line_len)--;
	*next = lf ? end + 1 : len;
	return lf != NULL;
}

/**
 * http_want() - the verdict on a line that ran out where more was needed
 * @complete:	whether the line is complete
 *
 * Return: PEEK_OTHER if the line has ended there, PEEK_MORE if it may go on
 */
static enum peek_result http_want(bool complete)
{
	return complete ? PEEK_OTHER : PEEK_MORE;
}

/**
 * http_request_line() - check "METHOD SP target SP HTTP/1.x" as far as it goes
 * @l:		the line, without its line end
 * @n:		its length
 * @complete:	whether it is all there
 * @req:	output: method and target
 *
 * Return: PEEK_FOUND for a complete, good line; PEEK_MORE if what is
 * there is right so far; PEEK_OTHER otherwise
 */
static enum peek_result http_request_line(const uint8_t *l, size_t n,
					  bool complete,
					  struct http_request *req)
{
	static const char version[] = "HTTP/1.";
	size_t i = 0, k;

	while (i < n && http_tchar(l[i]))
		i++;
	if (i == n)
		return http_want(complete);
	if (!i || l[i] != ' ')
		return PEEK_OTHER;
	req->method = l;
	req->method_len = i++;

	req->target = l + i;
	while (i < n && l[i] > ' ' && l[i] < 0x7f)
		i++;
	if (i == n)
		return http_want(complete);
	if (l + i == req->target || l[i] != ' ')
		return PEEK_OTHER;
	req->target_len = (size_t)(l + i - req->target);
	i++;

	for (k = 0; k < sizeof(version) - 1; k++, i++) {
		if (i == n)
			return http_want(complete);
		if (l[i] != version[k])
			return PEEK_OTHER;
	}
	if (i == n)
		return http_want(complete);
	if (l[i] < '0' || l[i] > '9' || i + 1 != n)
		return PEEK_OTHER;
	return complete ? PEEK_FOUND : PEEK_MORE;
}

/**
 * http_header_line() - check "name: value" as far as it goes
 * @l:		the line, without its line end; not empty if complete
 * @n:		its length
 * @complete:	whether it is all there
 * @req:	output: the Host header's value, if this is the first
 *
 * Return: PEEK_FOUND for a complete, good line; PEEK_MORE if what is
 * there is right so far; PEEK_OTHER otherwise, or for a second Host
 */
static enum peek_result http_header_line(const uint8_t *l, size_t n,
					 bool complete,
					 struct http_request *req)
{
	size_t i = 0, name_len, start, end;

	while (i < n && http_tchar(l[i]))
		i++;
	if (i == n)
		return http_want(complete);
	if (!i || l[i] != ':')
		return PEEK_OTHER;
	name_len = i++;
	for (start = i; i < n; i++) {
		if (!http_field_char(l[i]))
			return PEEK_OTHER;
	}
	if (!complete)
		return PEEK_MORE;
	if (name_len != 4 || strncasecmp((const char *)l, "host", 4))
		return PEEK_FOUND;

	if (req->host)
		return PEEK_OTHER;
	end = n;
	while (start < end && (l[start] == ' ' || l[start] == '\t'))
		start++;
	while (end > start && (l[end - 1] == ' ' || l[end - 1] == '\t'))
		end--;
	req->host = l + start;
	req->host_len = end - start;
	return PEEK_FOUND;
}

/**
 * http_authority() - the name in "host[:port]"
 * @s:		authority
 * @n:		its length
 * @name:	output
 * @cap:	size of @name
 *
 * Return: PEEK_FOUND, or PEEK_NONE if it is empty, an IP literal, has a
 * port that is not digits, or its host is no hostname
 */
static enum peek_result http_authority(const uint8_t *s, size_t n,
				       char *name, size_t cap)
{
	const uint8_t *colon = memchr(s, ':', n);
	size_t host_len = colon ? (size_t)(colon - s) : n, i;

	if (cap)
		name[0] = '\0';
	if (!n || s[0] == '[')
		return PEEK_NONE;
	for (i = host_len + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PEEK_NONE;
	}
	return peek_hostname(s, host_len, name, cap) ? PEEK_FOUND : PEEK_NONE;
}

/**
 * http_absolute_authority() - the authority of an absolute-form target
 * @t:		request target
 * @n:		its length
 * @auth:	output: start of the authority
 * @auth_len:	output: its length
 *
 * An absolute URI starts with a scheme, a letter followed by letters,
 * digits, '+', '-' or '.', then ':'. Its authority follows "//" and ends
 * at '/', '?', '#' or the end of @t; without "//" it is empty.
 *
 * Return: true if @t is absolute-form
 */
static bool http_absolute_authority(const uint8_t *t, size_t n,
				    const uint8_t **auth, size_t *auth_len)
{
	size_t i = 0, start;

	if (!n || !http_alpha(t[0]))
		return false;
	while (i < n && (http_alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') ||
			 t[i] == '+' || t[i] == '-' || t[i] == '.'))
		i++;
	if (i == n || t[i] != ':')
		return false;
	i++;

	*auth = t + i;
	*auth_len = 0;
	if (n - i < 2 || t[i] != '/' || t[i + 1] != '/')
		return true;
	start = i += 2;
	while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
		i++;
	*auth = t + start;
	*auth_len = i - start;
	return true;
}

/**
 * http_decide() - the name of a request whose header section is whole
 * @req:	its request line and Host header
 * @name:	output
 * @cap:	size of @name
 *
 * Return: PEEK_FOUND or PEEK_NONE
 */
static enum peek_result http_decide(const struct http_request *req,
				    char *name, size_t cap)
{
	char target_name[PEEK_NAME_MAX];
	const uint8_t *auth;
	size_t auth_len;
	enum peek_result r;

	if (req->method_len == 7 && !memcmp(req->method, "CONNECT", 7))
		return http_authority(req->target, req->target_len, name, cap);
	if (!req->host)
		return PEEK_NONE;

	r = http_authority(req->host, req->host_len, name, cap);
	if (r != PEEK_FOUND ||
	    !http_absolute_authority(req->target, req->target_len,
				     &auth, &auth_len))
		return r;
	if (http_authority(auth, auth_len, target_name,
			   sizeof(target_name)) != PEEK_FOUND ||
	    strcmp(target_name, name)) {
		name[0] = '\0';
		return PEEK_NONE;
	}
	return PEEK_FOUND;
}

/* See peek.h */
enum peek_result peek_http_host(const uint8_t *data, size_t len, char *name,
				size_t cap)
{
	struct http_request req = { 0 };
	size_t pos, n, next;
	enum peek_result r;
	bool complete;

	if (cap)
		name[0] = '\0';
	if (!len)
		return PEEK_MORE;
	len = MIN(len, (size_t)PEEK_MAX);

	complete = http_line(data, len, 0, &n, &next);
	r = http_request_line(data, n, complete, &req);
	for (pos = next; r == PEEK_FOUND; pos = next) {
		complete = http_line(data, len, pos, &n, &next);
		if (complete && !n)
			return http_decide(&req, name, cap);
		r = http_header_line(data + pos, n, complete, &req);
	}
	if (r == PEEK_MORE && len >= PEEK_MAX)
		return PEEK_NONE;
	return r;
}

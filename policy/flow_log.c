/* flow_log.c - the --log file: one JSON object per line per flow, for
 * tools (jq) and for people reading what a sandboxed build reached.
 *
 * A record is written when its flow ends (or is refused), as one write(2)
 * of one whole line to a descriptor opened with O_APPEND: no stdio buffer
 * can hold records back when tungate dies, and other writers to the same
 * file (another tungate-run, a shell's >>) cannot split a line.
 *
 * Every string in a record is ASCII: hostnames and rules are (the parser
 * and the DNS feature see to it), and anything else is replaced by '?'
 * here, so that the line is valid UTF-8 whatever a name held.
 *
 *   {"ts":"2026-11-26T08:30:21.123Z","proto":"tcp","src":"10.12.0.2:41234",
 *    "dst":"203.0.113.9:443","host":null,"host_source":null,
 *    ("dns_host":"a.example" only where an SNI or Host header named
 *    another host than DNS had for the address),
 *    "scope":"external",
 *    "verdict":"deny","rule":"deny *","bytes_out":0,"bytes_in":0,
 *    "duration_ms":0,"end":"denied"}
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policy/policy.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE	0
#endif

/* 9999-12-31T23:59:59Z: RFC 3339 has four-digit years */
#define TS_MAX_S	253402300799ULL

/**
 * struct flow_log - an open log
 * @fd:		descriptor, opened for append (2 for stderr)
 * @own:	whether flow_log_close() closes @fd
 */
struct flow_log {
	int fd;
	bool own;
};

/**
 * policy_scope_name() - "external", "loopback" or "host"
 * @scope:	scope
 *
 * Return: a static string
 */
const char *policy_scope_name(enum policy_scope scope)
{
	switch (scope) {
	case POLICY_SCOPE_EXTERNAL:
		return "external";
	case POLICY_SCOPE_LOOPBACK:
		return "loopback";
	case POLICY_SCOPE_HOST:
		return "host";
	}
	return "?";
}

/**
 * flow_verdict_name() - "allow", "deny" or "would_deny"
 * @v:		verdict
 *
 * Return: a static string
 */
const char *flow_verdict_name(enum flow_verdict v)
{
	switch (v) {
	case FLOW_VERDICT_ALLOW:
		return "allow";
	case FLOW_VERDICT_DENY:
		return "deny";
	case FLOW_VERDICT_WOULD_DENY:
		return "would_deny";
	}
	return "?";
}

/**
 * flow_log_open() - open (create, append) @path, or stderr for "-"
 * @path:	file name, or "-"
 * @err:	on failure: "PATH: cause"
 * @errlen:	size of @err
 *
 * Return: the log, or NULL with @err set
 */
struct flow_log *flow_log_open(const char *path, char *err, size_t errlen)
{
	struct flow_log *log = calloc(1, sizeof(*log));

	if (!log) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	if (!strcmp(path, "-")) {
		log->fd = STDERR_FILENO;
		return log;
	}
	log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		       O_NOCTTY, 0644);
	if (log->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(log);
		return NULL;
	}
	log->own = true;
	return log;
}

/**
 * format_ts() - RFC 3339 UTC with milliseconds
 * @ms:		ms since the epoch
 * @buf:	output, at least 25 bytes
 * @len:	size of @buf
 *
 * Return: @buf, e.g. "2026-11-26T08:30:21.123Z"
 */
static char *format_ts(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = MIN(ms / 1000, TS_MAX_S);
	time_t t = (time_t)s;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm) ||
	    !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return buf;
	}
	snprintf(buf + n, len - n, ".%03uZ", (unsigned int)(ms % 1000));
	return buf;
}

/**
 * add_string() - add "key": "value" (non-ASCII bytes as '?'), or null
 * @obj:	object
 * @key:	key
 * @s:		value, or NULL for null
 *
 * Return: 0, or -1 if out of memory
 */
static int add_string(struct json_object *obj, const char *key, const char *s)
{
	struct json_object *v;
	char *copy = NULL;
	size_t i;

	if (!s)
		return json_object_object_add(obj, key, NULL);
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x80)
			continue;
		if (!copy && !(copy = strdup(s)))
			return -1;
		copy[i] = '?';
	}
	v = json_object_new_string(copy ? copy : s);
	free(copy);
	if (!v || json_object_object_add(obj, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/**
 * add_u64() - add "key": N
 * @obj:	object
 * @key:	key
 * @n:		value
 *
 * Return: 0, or -1 if out of memory
 */
static int add_u64(struct json_object *obj, const char *key, uint64_t n)
{
	struct json_object *v = json_object_new_uint64(n);

	if (!v || json_object_object_add(obj, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/**
 * record_json() - the record as a JSON object, fields in log order
 * @rec:	record
 *
 * Return: a new object, or NULL if out of memory
 */
static struct json_object *record_json(const struct flow_record *rec)
{
	char ts[32], src[TG_ENDPOINT_STRLEN], dst[TG_ENDPOINT_STRLEN];
	struct json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	format_ts(rec->ts_ms, ts, sizeof(ts));
	tg_endpoint_format(&rec->src, src, sizeof(src));
	tg_endpoint_format(&rec->dst, dst, sizeof(dst));
	if (add_string(obj, "ts", ts) ||
	    add_string(obj, "proto", rec->proto) ||
	    add_string(obj, "src", src) ||
	    add_string(obj, "dst", dst) ||
	    add_string(obj, "host", rec->host) ||
	    add_string(obj, "host_source", rec->host ? rec->host_source : NULL) ||
	    (rec->dns_host && add_string(obj, "dns_host", rec->dns_host)) ||
	    add_string(obj, "scope", policy_scope_name(rec->scope)) ||
	    add_string(obj, "verdict", flow_verdict_name(rec->verdict)) ||
	    add_string(obj, "rule", rec->rule ? rec->rule : "default") ||
	    add_u64(obj, "bytes_out", rec->bytes_out) ||
	    add_u64(obj, "bytes_in", rec->bytes_in) ||
	    add_u64(obj, "duration_ms", rec->duration_ms) ||
	    add_string(obj, "end", rec->end)) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/**
 * write_all() - write @len bytes, retrying short writes and EINTR
 * @fd:		descriptor
 * @buf:	data
 * @len:	length
 *
 * Return: 0, or -errno
 */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * flow_log_write() - write one record as a JSON line, at once
 * @log:	log
 * @rec:	record
 *
 * Fields: ts (RFC 3339 UTC with milliseconds), proto, src, dst ("ip:port",
 * "[ip]:port"), host (string or null), host_source, scope, verdict, rule (its text, or
 * "default"), bytes_out, bytes_in, duration_ms, end (string or null).
 * Return: 0, or -errno
 */
int flow_log_write(struct flow_log *log, const struct flow_record *rec)
{
	struct json_object *obj = record_json(rec);
	const char *json;
	size_t len;
	char *line;
	int ret;

	if (!obj)
		return -ENOMEM;
	json = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = json ? strlen(json) : 0;
	line = json ? malloc(len + 1) : NULL;
	if (!line) {
		json_object_put(obj);
		return -ENOMEM;
	}
	memcpy(line, json, len);
	line[len] = '\n';
	ret = write_all(log->fd, line, len + 1);
	free(line);
	json_object_put(obj);
	return ret;
}

/**
 * flow_log_close() - close the log (stderr stays open)
 * @log:	log, or NULL
 */
void flow_log_close(struct flow_log *log)
{
	if (!log)
		return;
	if (log->own)
		close(log->fd);
	free(log);
}

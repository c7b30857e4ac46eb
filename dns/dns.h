/* dns.h - what DNS messages say about names, for hostname rules and flow
 * attribution: parsing queries and answers (with ldns), building the
 * refusals the gateway sends itself, and the sandbox's table of which names
 * each address was learned for.
 *
 * Pure: no sockets. The gateway (stack/) will hand this module the DNS
 * messages it relays between the program and the host's resolver; cmd/
 * looks names up when the policy needs them (struct policy_query.names).
 */
#ifndef TUNGATE_DNS_H
#define TUNGATE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Longest name in text form, without the trailing dot, plus NUL */
#define DNS_NAME_MAX		254
/* Records of one answer this module keeps at most */
#define DNS_ANSWER_MAX		64
/* A learned name is kept at least this long, whatever its TTL says, so a
 * flow that starts a little after expiry still matches */
#define DNS_TTL_FLOOR_S		60

/**
 * struct dns_query - the question of a query
 * @id:		message id
 * @name:	query name, lower-case, no trailing dot ("" for the root)
 * @qtype:	query type (1 A, 28 AAAA, ...)
 * @qclass:	query class (1 IN)
 */
struct dns_query {
	uint16_t id;
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	uint16_t qclass;
};

/**
 * struct dns_binding - one address an answer gives for a name
 * @addr:	the address (port 0)
 * @name:	the name that has it: the record's owner, on the CNAME chain
 *		(normally its end)
 * @ttl:	seconds: the smallest TTL along the chain from the query name
 */
struct dns_binding {
	struct tg_endpoint addr;
	char name[DNS_NAME_MAX];
	uint32_t ttl;
};

/**
 * struct dns_answer - what a response teaches
 * @query:	its question
 * @rcode:	response code (0 NOERROR, 3 NXDOMAIN, ...)
 * @aliases:	names on the CNAME chain from the query name, in order,
 *		query name first; every binding belongs to all of them
 * @n_aliases:	how many
 * @bindings:	A and AAAA records reachable from the query name
 * @n_bindings:	how many
 */
struct dns_answer {
	struct dns_query query;
	uint8_t rcode;
	char aliases[8][DNS_NAME_MAX];
	size_t n_aliases;
	struct dns_binding bindings[DNS_ANSWER_MAX];
	size_t n_bindings;
};

/**
 * dns_parse_query() - parse a query message (UDP payload, or a TCP message
 * without its 2-byte length prefix)
 *
 * The name must be a hostname (dns_name_normalise()) or the root: a name
 * ldns would print with escapes is refused, not matched against rules.
 * Return: 0, or -EINVAL (not one well-formed question, opcode not QUERY,
 * a response, or a name that is no hostname)
 */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);

/**
 * dns_parse_answer() - parse a response and follow its CNAME chain
 *
 * Records not on the chain from the query name (unrelated names, a
 * resolver's additional section) are ignored: a resolver cannot make an
 * address stand for a name nobody asked about. Chains longer than 8 and
 * loops stop the walk. A truncated response (TC) gives what its whole
 * records say.
 * Return: 0, or -EINVAL (unreadable, not a response to a QUERY, not one
 * question, or a question name that is no hostname)
 */
int dns_parse_answer(const uint8_t *msg, size_t len, struct dns_answer *a);

/**
 * dns_build_error() - answer @query ourselves with @rcode (3 NXDOMAIN for a
 * name no rule could allow, 2 SERVFAIL when no resolver answers)
 * @query:	the query message
 * @len:	its length
 * @rcode:	response code
 * @out:	output buffer
 * @cap:	its size
 *
 * Return: length written, or 0 if @query cannot be answered
 */
size_t dns_build_error(const uint8_t *query, size_t len, uint8_t rcode,
		       uint8_t *out, size_t cap);

/**
 * dns_name_normalise() - lower-case, strip one trailing dot, validate
 * @name:	in place
 *
 * Return: true if @name is a valid hostname afterwards
 */
bool dns_name_normalise(char *name);

/**
 * struct dns_names - the sandbox's address -> names table
 */
struct dns_names;

/**
 * dns_names_new() - an empty table
 * @max:	entries at most (the oldest expire first when full)
 * @floor_s:	minimum lifetime of an entry (DNS_TTL_FLOOR_S)
 *
 * Each address keeps its 8 most recently learned names (dns_names.c).
 * Return: the table, or NULL (@max 0 or above 2^24, or no memory)
 */
struct dns_names *dns_names_new(size_t max, unsigned int floor_s);

/**
 * dns_names_learn() - remember what an answer says
 * @now_ms:	monotonic time
 */
void dns_names_learn(struct dns_names *t, const struct dns_answer *a,
		     uint64_t now_ms);

/**
 * dns_names_lookup() - the names an address was learned for, not expired
 * @t:		table
 * @addr:	address (port ignored)
 * @now_ms:	monotonic time
 * @names:	output: pointers into the table, valid until the next learn
 * @max:	room in @names
 *
 * Return: how many names (most recently learned first)
 */
size_t dns_names_lookup(const struct dns_names *t,
			const struct tg_endpoint *addr, uint64_t now_ms,
			const char **names, size_t max);

/**
 * dns_names_free() - free the table
 */
void dns_names_free(struct dns_names *t);

/* --- Made-up addresses (--dns=fake), dns_fake.c ----------------------------- */

/**
 * struct dns_fake - names and the made-up addresses that stand for them
 */
struct dns_fake;

/* Names with a made-up address at a time; the oldest gives its up next */
#define DNS_FAKE_MAX		65536

/**
 * dns_fake_new() - an empty table
 * @max:	names at most, 1 .. 131070
 *
 * Return: the table, or NULL
 */
struct dns_fake *dns_fake_new(uint32_t max);

/**
 * dns_fake_free() - free the table (NULL is fine)
 */
void dns_fake_free(struct dns_fake *t);

/**
 * dns_fake_assign() - the index of @name's made-up address, new if needed
 * @t:		table
 * @name:	lower-case hostname
 *
 * Return: index 1..max, or 0 if out of memory
 */
uint32_t dns_fake_assign(struct dns_fake *t, const char *name);

/**
 * dns_fake_set_real() - keep the first real IPv4 and IPv6 address an
 * answer gives (for the gateway to connect to), replacing what an earlier
 * answer gave for the same family
 */
void dns_fake_set_real(struct dns_fake *t, uint32_t idx,
		       const struct dns_answer *a);

/**
 * dns_fake_address() - the made-up address of index @idx
 * @family:	AF_INET (198.18.0.0/15) or AF_INET6 (fdff:7467::/96)
 * @ep:		output (port 0)
 */
void dns_fake_address(uint32_t idx, int family, struct tg_endpoint *ep);

/**
 * dns_fake_in_range() - does @addr lie in the made-up ranges?
 */
bool dns_fake_in_range(const struct tg_endpoint *addr);

/**
 * dns_fake_lookup() - the name a made-up address stands for
 * @t:		table
 * @addr:	destination (port kept in @real)
 * @real:	the real address of the same family and @addr's port, or
 *		family 0 if the host's resolver gave none
 *
 * Return: the name (valid until the next assign), or NULL
 */
const char *dns_fake_lookup(const struct dns_fake *t,
			    const struct tg_endpoint *addr,
			    struct tg_endpoint *real);

/**
 * dns_build_fake_answer() - rewrite a resolver's answer to say: the
 * question's name has @fake, and nothing else (no CNAME chain)
 * @resp:	the resolver's response
 * @len:	its length
 * @fake:	the made-up address (A or AAAA by its family)
 * @ttl:	TTL of the record
 * @out:	output buffer
 * @cap:	its size
 *
 * Return: length written, or 0 if @resp cannot be rewritten
 */
size_t dns_build_fake_answer(const uint8_t *resp, size_t len,
			     const struct tg_endpoint *fake, uint32_t ttl,
			     uint8_t *out, size_t cap);

#endif /* TUNGATE_DNS_H */

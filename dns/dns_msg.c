/* dns_msg.c - DNS messages: queries, answers and the refusals the gateway
 * sends itself. Every byte of wire format is read and written by ldns.
 *
 * Theory of operation
 *
 * The gateway relays DNS between the program and the host's resolver. For a
 * query it needs the question (dns_parse_query()), to decide whether the
 * name could ever be allowed; a refused query gets an answer built here
 * (dns_build_error()). For a response it needs the addresses the name now
 * stands for (dns_parse_answer()), which dns_names.c remembers.
 *
 * Names leave this file in text form, lower-case, without the trailing
 * dot, and only if they are hostnames in the sense of dns_name_normalise()
 * (LDH and '_'): a name ldns would have to escape ("\032", "\.") is refused
 * rather than carried into policy matching. Only the root is allowed as "".
 *
 * An answer is walked from the question name through the CNAME records of
 * the answer section (names compared as ldns does, case-insensitively), at
 * most 8 names, stopping at a loop, a missing link, or a target that is
 * not a hostname. A and AAAA records of class IN whose owner is on that
 * chain become bindings; every other record (other names, the authority
 * and additional sections) is ignored, so a resolver cannot make an
 * address stand for a name nobody asked about. A binding's TTL is the
 * smallest along the chain up to its owner; TTLs with the top bit set
 * count as 0 (RFC 2181, 8).
 *
 * Record data is as ldns reads it for the record's type, and it must fill
 * the record's RDLENGTH exactly. ldns alone does not check that: it reads
 * an A record's 4 bytes whatever RDLENGTH says and goes on from there, so
 * an A record of 5 bytes would give its address when it comes last and
 * make the next record unreadable otherwise, and a CNAME target may run
 * past its RDLENGTH. Every record is therefore first read on its own
 * (dns_wire_records()), and one that does not fill its RDLENGTH makes the
 * message unreadable, wherever it stands: an A record must have 4 bytes,
 * an AAAA record 16 (an empty one, RDLENGTH 0, is read as a record with
 * no data and gives no address). Bytes after the last record are ignored.
 *
 * A truncated response (TC) whose records end early, cut or unreadable,
 * is cut after its last whole record, and what is there is parsed.
 * Without TC, such a message is unreadable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

/* Names on a CNAME chain, the question name included */
#define DNS_CHAIN_MAX		ARRAY_SIZE(((struct dns_answer *)0)->aliases)

/* Longest name in presentation form with its trailing dot, plus NUL */
#define DNS_TEXT_MAX		(DNS_NAME_MAX + 1)

/**
 * dns_label_char() - may @c appear in a hostname label (after lower-casing)?
 * @c:		character
 */
static bool dns_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/**
 * dns_name_normalise() - lower-case, strip one trailing dot, validate
 * @name:	in place; may be partly lower-cased when this fails
 *
 * Valid: labels of 1 to 63 characters from [a-z0-9_-] (hyphens anywhere,
 * as resolvers accept them; '_' for service names; "xn--" punycode is
 * plain LDH), 253 characters at most in all. The root ("" or ".") is not
 * a hostname.
 *
 * Return: true if @name is a valid hostname afterwards
 */
bool dns_name_normalise(char *name)
{
	size_t len = strlen(name), label = 0, i;

	if (len && name[len - 1] == '.')
		name[--len] = '\0';
	if (!len || len > DNS_NAME_MAX - 1)
		return false;

	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			name[i] = c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!dns_label_char(c) || ++label > 63)
			return false;
	}
	return label > 0;
}

/**
 * dns_rdf_name() - a domain name from ldns as a normalised hostname
 * @rdf:	name (LDNS_RDF_TYPE_DNAME)
 * @out:	output, DNS_NAME_MAX bytes: "" for the root
 *
 * Return: 0, or -EINVAL if @rdf is not a name or not a hostname
 */
static int dns_rdf_name(const ldns_rdf *rdf, char *out)
{
	char *text;
	int ret = -EINVAL;

	out[0] = '\0';
	if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	text = ldns_rdf2str(rdf);
	if (!text)
		return -EINVAL;

	if (!strcmp(text, ".")) {
		ret = 0;
	} else if (strlen(text) < DNS_TEXT_MAX) {
		char buf[DNS_TEXT_MAX];

		strcpy(buf, text);
		if (dns_name_normalise(buf) && strlen(buf) < DNS_NAME_MAX) {
			strcpy(out, buf);
			ret = 0;
		}
	}
	free(text);
	return ret;
}

/**
 * dns_ttl() - a record's TTL, values with the top bit set read as 0
 * @rr:		record
 */
static uint32_t dns_ttl(const ldns_rr *rr)
{
	uint32_t ttl = ldns_rr_ttl(rr);

	return ttl > INT32_MAX ? 0 : ttl;
}

/**
 * dns_wire_rr() - read one record of section @sect at *@pos, with ldns
 * @msg:	message
 * @len:	its length
 * @pos:	offset of the record; moved past it if it is whole
 * @sect:	its section
 *
 * A record outside the question section must end where its RDLENGTH
 * says.
 * Return: true if the record is whole and readable
 */
static bool dns_wire_rr(const uint8_t *msg, size_t len, size_t *pos,
			ldns_pkt_section sect)
{
	size_t p = *pos, end = 0;
	ldns_rdf *owner = NULL;
	ldns_rr *rr = NULL;
	bool ok;

	if (sect != LDNS_SECTION_QUESTION) {
		/* Owner, then type, class, TTL (8 bytes) and RDLENGTH */
		if (ldns_wire2dname(&owner, msg, len, &p) != LDNS_STATUS_OK)
			return false;
		ldns_rdf_deep_free(owner);
		if (p > len || len - p < 10)
			return false;
		end = p + 10 + ldns_read_uint16(msg + p + 8);
		p = *pos;
	}
	ok = ldns_wire2rr(&rr, msg, len, &p, sect) == LDNS_STATUS_OK &&
	     (sect == LDNS_SECTION_QUESTION || p == end);
	ldns_rr_free(rr);
	if (ok)
		*pos = p;
	return ok;
}

/**
 * dns_wire_records() - how many whole records each section really holds
 * @msg:	message, at least a header
 * @len:	its length
 * @count:	output: records per section, in section order, up to the
 *		first that is cut or unreadable
 *
 * Return: the length of the whole records, header included
 */
static size_t dns_wire_records(const uint8_t *msg, size_t len,
			       uint16_t count[4])
{
	static const ldns_pkt_section sect[4] = {
		LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
		LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL,
	};
	size_t pos = LDNS_HEADER_SIZE;
	bool whole = true;
	int s;

	for (s = 0; s < 4; s++) {
		uint16_t n = ldns_read_uint16(msg + LDNS_QDCOUNT_OFF + 2 * s);

		for (count[s] = 0; whole && count[s] < n; count[s]++) {
			if (!dns_wire_rr(msg, len, &pos, sect[s])) {
				whole = false;
				break;
			}
		}
	}
	return pos;
}

/**
 * dns_wire2pkt() - parse a message whose records are all whole, or the
 * whole records of a truncated response
 * @pkt:	output, to free with ldns_pkt_free()
 * @msg:	message
 * @len:	its length
 *
 * Return: 0, or -EINVAL
 */
static int dns_wire2pkt(ldns_pkt **pkt, const uint8_t *msg, size_t len)
{
	uint16_t count[4];
	ldns_status st;
	uint8_t *copy;
	size_t end;
	int s;

	*pkt = NULL;
	if (!msg || len < LDNS_HEADER_SIZE)
		return -EINVAL;
	end = dns_wire_records(msg, len, count);
	for (s = 0; s < 4; s++) {
		const uint8_t *promised = msg + LDNS_QDCOUNT_OFF + 2 * s;

		if (count[s] != ldns_read_uint16(promised))
			break;
	}
	if (s == 4) {
		st = ldns_wire2pkt(pkt, msg, len);
	} else {
		if (!LDNS_QR_WIRE(msg) || !LDNS_TC_WIRE(msg))
			return -EINVAL;
		copy = malloc(end);
		if (!copy)
			return -EINVAL;
		memcpy(copy, msg, end);
		for (s = 0; s < 4; s++)
			ldns_write_uint16(copy + LDNS_QDCOUNT_OFF + 2 * s,
					  count[s]);
		st = ldns_wire2pkt(pkt, copy, end);
		free(copy);
	}
	if (st == LDNS_STATUS_OK)
		return 0;
	*pkt = NULL;
	return -EINVAL;
}

/**
 * dns_question_rr() - the only question of a message
 * @pkt:	message
 *
 * Return: the question, or NULL if there is not exactly one
 */
static const ldns_rr *dns_question_rr(const ldns_pkt *pkt)
{
	const ldns_rr_list *qs = ldns_pkt_question(pkt);

	if (ldns_pkt_qdcount(pkt) != 1 || !qs || ldns_rr_list_rr_count(qs) != 1)
		return NULL;
	return ldns_rr_list_rr(qs, 0);
}

/**
 * dns_question() - fill @q from the question of @pkt
 * @pkt:	message, opcode QUERY
 * @q:		output
 *
 * Return: 0, or -EINVAL
 */
static int dns_question(const ldns_pkt *pkt, struct dns_query *q)
{
	const ldns_rr *rr = dns_question_rr(pkt);

	if (!rr || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY)
		return -EINVAL;
	q->id = ldns_pkt_id(pkt);
	q->qtype = (uint16_t)ldns_rr_get_type(rr);
	q->qclass = (uint16_t)ldns_rr_get_class(rr);
	return dns_rdf_name(ldns_rr_owner(rr), q->name);
}

/* See dns.h */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	ldns_pkt *pkt;
	int ret;

	memset(q, 0, sizeof(*q));
	if (dns_wire2pkt(&pkt, msg, len))
		return -EINVAL;
	ret = ldns_pkt_qr(pkt) ? -EINVAL : dns_question(pkt, q);
	ldns_pkt_free(pkt);
	if (ret)
		memset(q, 0, sizeof(*q));
	return ret;
}

/**
 * struct dns_chain - the CNAME chain being walked, in ldns form
 * @name:	names from the question name on (pointers into the packet)
 * @ttl:	smallest TTL of the CNAME records leading to each name
 * @n:		how many
 */
struct dns_chain {
	const ldns_rdf *name[DNS_CHAIN_MAX];
	uint32_t ttl[DNS_CHAIN_MAX];
	size_t n;
};

/**
 * dns_chain_index() - where @name is on @c
 * @c:		chain
 * @name:	owner name of a record
 *
 * Return: its index, or -1 if it is not on the chain
 */
static int dns_chain_index(const struct dns_chain *c, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!ldns_dname_compare(c->name[i], name))
			return (int)i;
	}
	return -1;
}

/**
 * dns_rr_is() - is @rr of class IN and @type, with one rdata field of @rdf?
 * @rr:		record
 * @type:	record type
 * @rdf:	type of its only rdata field
 */
static bool dns_rr_is(const ldns_rr *rr, ldns_rr_type type, ldns_rdf_type rdf)
{
	return ldns_rr_get_type(rr) == type &&
	       ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       ldns_rr_rd_count(rr) == 1 &&
	       ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == rdf;
}

/**
 * dns_cname_of() - the first CNAME record owned by @name
 * @an:		answer section
 * @name:	owner
 *
 * Return: the record, or NULL
 */
static const ldns_rr *dns_cname_of(const ldns_rr_list *an, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (dns_rr_is(rr, LDNS_RR_TYPE_CNAME, LDNS_RDF_TYPE_DNAME) &&
		    !ldns_dname_compare(ldns_rr_owner(rr), name))
			return rr;
	}
	return NULL;
}

/**
 * dns_chain_walk() - follow CNAME records from the question name
 * @a:		answer: query filled in; aliases and n_aliases set here
 * @c:		chain: the question name at index 0 on entry
 * @an:		answer section
 */
static void dns_chain_walk(struct dns_answer *a, struct dns_chain *c,
			   const ldns_rr_list *an)
{
	strcpy(a->aliases[0], a->query.name);
	while (c->n < DNS_CHAIN_MAX) {
		const ldns_rr *rr = dns_cname_of(an, c->name[c->n - 1]);
		const ldns_rdf *target;

		if (!rr)
			break;
		target = ldns_rr_rdf(rr, 0);
		if (dns_chain_index(c, target) >= 0 ||
		    dns_rdf_name(target, a->aliases[c->n]))
			break;
		c->name[c->n] = target;
		c->ttl[c->n] = MIN(c->ttl[c->n - 1], dns_ttl(rr));
		c->n++;
	}
	a->n_aliases = c->n;
}

/**
 * dns_binding_of() - the address of an A or AAAA record, if it has one
 * @rr:		record
 * @addr:	output, port 0
 *
 * Return: true for an A or AAAA record of class IN
 */
static bool dns_binding_of(const ldns_rr *rr, struct tg_endpoint *addr)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);

	memset(addr, 0, sizeof(*addr));
	if (dns_rr_is(rr, LDNS_RR_TYPE_A, LDNS_RDF_TYPE_A) &&
	    ldns_rdf_size(rdf) == 4)
		addr->family = AF_INET;
	else if (dns_rr_is(rr, LDNS_RR_TYPE_AAAA, LDNS_RDF_TYPE_AAAA) &&
		 ldns_rdf_size(rdf) == 16)
		addr->family = AF_INET6;
	else
		return false;
	memcpy(addr->addr, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	return true;
}

/**
 * dns_bindings_collect() - A and AAAA records owned by names on the chain
 * @a:		answer: bindings and n_bindings set here
 * @c:		chain
 * @an:		answer section
 */
static void dns_bindings_collect(struct dns_answer *a,
				 const struct dns_chain *c,
				 const ldns_rr_list *an)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		struct dns_binding *b = &a->bindings[a->n_bindings];
		int at;

		if (a->n_bindings == DNS_ANSWER_MAX)
			return;
		if (!dns_binding_of(rr, &b->addr))
			continue;
		at = dns_chain_index(c, ldns_rr_owner(rr));
		if (at < 0)
			continue;
		strcpy(b->name, a->aliases[at]);
		b->ttl = MIN(c->ttl[at], dns_ttl(rr));
		a->n_bindings++;
	}
}

/* See dns.h */
int dns_parse_answer(const uint8_t *msg, size_t len, struct dns_answer *a)
{
	struct dns_chain c = { .ttl = { UINT32_MAX }, .n = 1 };
	const ldns_rr_list *an;
	ldns_pkt *pkt;

	memset(a, 0, sizeof(*a));
	if (dns_wire2pkt(&pkt, msg, len))
		return -EINVAL;
	if (!ldns_pkt_qr(pkt) || dns_question(pkt, &a->query)) {
		ldns_pkt_free(pkt);
		memset(a, 0, sizeof(*a));
		return -EINVAL;
	}

	a->rcode = (uint8_t)ldns_pkt_get_rcode(pkt);
	c.name[0] = ldns_rr_owner(dns_question_rr(pkt));
	an = ldns_pkt_answer(pkt);
	dns_chain_walk(a, &c, an);
	dns_bindings_collect(a, &c, an);
	ldns_pkt_free(pkt);
	return 0;
}

/**
 * dns_error_pkt() - the reply to @q: its id, opcode, RD and CD and its
 * question; QR and RA set, @rcode, no records
 * @q:		query
 * @rcode:	response code, 0 to 15
 *
 * Return: the reply, or NULL
 */
static ldns_pkt *dns_error_pkt(const ldns_pkt *q, uint8_t rcode)
{
	ldns_pkt *r = ldns_pkt_new();
	ldns_rr *rr;

	if (!r)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_cd(r, ldns_pkt_cd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, rcode);

	rr = ldns_rr_clone(dns_question_rr(q));
	if (!rr || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, rr)) {
		ldns_rr_free(rr);
		ldns_pkt_free(r);
		return NULL;
	}
	return r;
}

/**
 * dns_build_error() - answer @query ourselves with @rcode
 * @query:	the query message: QR clear, opcode QUERY, one question
 * @len:	its length
 * @rcode:	response code, 0 to 15 (3 NXDOMAIN, 2 SERVFAIL, 5 REFUSED)
 * @out:	output buffer
 * @cap:	its size
 *
 * Built with ldns: the question is copied as the query wrote it (case
 * kept, as resolvers do), without EDNS. Unlike dns_parse_query(), any
 * name is accepted: a query for a name that is no hostname gets its
 * refusal too.
 *
 * Return: length written, or 0 if @query cannot be answered or @out is
 * too small
 */
size_t dns_build_error(const uint8_t *query, size_t len, uint8_t rcode,
		       uint8_t *out, size_t cap)
{
	uint8_t *wire = NULL;
	ldns_pkt *q, *r = NULL;
	size_t n = 0, size = 0;

	if (rcode > LDNS_RCODE_MASK || !query || len < LDNS_HEADER_SIZE ||
	    ldns_wire2pkt(&q, query, len) != LDNS_STATUS_OK)
		return 0;

	if (!ldns_pkt_qr(q) && ldns_pkt_get_opcode(q) == LDNS_PACKET_QUERY &&
	    dns_question_rr(q))
		r = dns_error_pkt(q, rcode);
	if (r && ldns_pkt2wire(&wire, r, &size) == LDNS_STATUS_OK &&
	    size <= cap) {
		memcpy(out, wire, size);
		n = size;
	}
	free(wire);
	ldns_pkt_free(r);
	ldns_pkt_free(q);
	return n;
}

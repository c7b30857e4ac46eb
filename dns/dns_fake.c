/* dns_fake.c - made-up addresses for --dns=fake: each name the sandbox
 * resolves gets an address of its own from 198.18.0.0/15 (RFC 2544's
 * benchmarking range, routed nowhere) and the same index in fdff:7467::/96,
 * so a flow's destination alone says exactly which name it is for, even
 * where many names share one real (CDN) address. The real addresses the
 * host's resolver gave are kept with the name: the gateway connects there.
 *
 * The table is a fixed array of entries indexed by the low bits of the
 * made-up address, plus an open-addressing hash from name to index (linear
 * probing, backward-shift deletion). Indices are handed out in turn; when
 * they run out the oldest name loses its address, as a DNS cache would
 * forget it. Pure: no sockets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

/* 198.18.0.0/15 holds 131072 addresses; index 0 and the last are unused */
#define DNS_FAKE_V4_SPAN	131072U

static const uint8_t dns_fake_v6_prefix[12] = {
	0xfd, 0xff, 0x74, 0x67,		/* ULA, global id ff:7467:0000 */
};

struct dns_fake_entry {
	char *name;
	struct tg_endpoint real4;
	struct tg_endpoint real6;
};

struct dns_fake {
	uint32_t max;
	uint32_t next;
	struct dns_fake_entry *e;	/* [max + 1]; index 0 unused */
	uint32_t *slots;		/* index, 0 empty */
	uint32_t mask;
};

static uint32_t dns_fake_hash(const char *name)
{
	uint32_t h = 2166136261U;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619U;
	return h;
}

struct dns_fake *dns_fake_new(uint32_t max)
{
	struct dns_fake *t;
	uint32_t size = 1;

	if (!max || max > DNS_FAKE_V4_SPAN - 2)
		return NULL;
	while (size < 2 * max)
		size <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max;
	t->next = 1;
	t->mask = size - 1;
	t->e = calloc((size_t)max + 1, sizeof(*t->e));
	t->slots = calloc(size, sizeof(*t->slots));
	if (!t->e || !t->slots) {
		dns_fake_free(t);
		return NULL;
	}
	return t;
}

void dns_fake_free(struct dns_fake *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; t->e && i <= t->max; i++)
		free(t->e[i].name);
	free(t->e);
	free(t->slots);
	free(t);
}

/**
 * dns_fake_slot() - the hash slot holding @name, or the empty one where it
 * would go
 */
static uint32_t dns_fake_slot(const struct dns_fake *t, const char *name)
{
	uint32_t s = dns_fake_hash(name) & t->mask;

	while (t->slots[s] && strcmp(t->e[t->slots[s]].name, name))
		s = (s + 1) & t->mask;
	return s;
}

/**
 * dns_fake_unhash() - remove index @idx from the hash (backward shift:
 * later entries of the probe run move up, so no lookup stops early)
 */
static void dns_fake_unhash(struct dns_fake *t, uint32_t idx)
{
	uint32_t s = dns_fake_slot(t, t->e[idx].name), j = s;

	for (;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (!t->slots[j])
			break;
		home = dns_fake_hash(t->e[t->slots[j]].name) & t->mask;
		/* Move it up unless its home lies cyclically in (s, j]. */
		if ((j > s && (home <= s || home > j)) ||
		    (j < s && home <= s && home > j)) {
			t->slots[s] = t->slots[j];
			s = j;
		}
	}
	t->slots[s] = 0;
}

uint32_t dns_fake_assign(struct dns_fake *t, const char *name)
{
	uint32_t s = dns_fake_slot(t, name), idx;
	char *copy;

	if (t->slots[s])
		return t->slots[s];
	copy = strdup(name);
	if (!copy)
		return 0;
	idx = t->next;
	t->next = idx == t->max ? 1 : idx + 1;
	if (t->e[idx].name) {
		/* The oldest name gives its address up. */
		dns_fake_unhash(t, idx);
		free(t->e[idx].name);
		s = dns_fake_slot(t, name);
	}
	memset(&t->e[idx], 0, sizeof(t->e[idx]));
	t->e[idx].name = copy;
	t->slots[s] = idx;
	return idx;
}

void dns_fake_set_real(struct dns_fake *t, uint32_t idx,
		       const struct dns_answer *a)
{
	bool seen4 = false, seen6 = false;
	size_t i;

	if (!idx || idx > t->max || !t->e[idx].name)
		return;

	/* Each answer replaces what an earlier one said for its family (the
	 * name moved); the other family is left as it was. */
	for (i = 0; i < a->n_bindings; i++) {
		const struct tg_endpoint *ep = &a->bindings[i].addr;

		if (ep->family == AF_INET && !seen4) {
			t->e[idx].real4 = *ep;
			seen4 = true;
		} else if (ep->family == AF_INET6 && !seen6) {
			t->e[idx].real6 = *ep;
			seen6 = true;
		}
	}
}

void dns_fake_address(uint32_t idx, int family, struct tg_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = (uint8_t)family;
	if (family == AF_INET) {
		uint32_t a = (198U << 24 | 18U << 16) + idx;

		ep->addr[0] = (uint8_t)(a >> 24);
		ep->addr[1] = (uint8_t)(a >> 16);
		ep->addr[2] = (uint8_t)(a >> 8);
		ep->addr[3] = (uint8_t)a;
		return;
	}
	memcpy(ep->addr, dns_fake_v6_prefix, sizeof(dns_fake_v6_prefix));
	ep->addr[12] = (uint8_t)(idx >> 24);
	ep->addr[13] = (uint8_t)(idx >> 16);
	ep->addr[14] = (uint8_t)(idx >> 8);
	ep->addr[15] = (uint8_t)idx;
}

bool dns_fake_in_range(const struct tg_endpoint *addr)
{
	if (addr->family == AF_INET)
		return addr->addr[0] == 198 && (addr->addr[1] & 0xfe) == 18;
	return addr->family == AF_INET6 &&
	       !memcmp(addr->addr, dns_fake_v6_prefix, sizeof(dns_fake_v6_prefix));
}

/**
 * dns_fake_index() - the index a made-up address encodes, 0 if none
 */
static uint32_t dns_fake_index(const struct dns_fake *t,
			       const struct tg_endpoint *addr)
{
	const uint8_t *a = addr->addr;
	uint32_t idx;

	if (!dns_fake_in_range(addr))
		return 0;
	if (addr->family == AF_INET)
		idx = (uint32_t)(a[1] & 1) << 16 | (uint32_t)a[2] << 8 | a[3];
	else
		idx = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
		      (uint32_t)a[14] << 8 | a[15];
	return idx && idx <= t->max && t->e[idx].name ? idx : 0;
}

const char *dns_fake_lookup(const struct dns_fake *t,
			    const struct tg_endpoint *addr,
			    struct tg_endpoint *real)
{
	uint32_t idx = dns_fake_index(t, addr);
	const struct tg_endpoint *r;

	if (!idx)
		return NULL;
	r = addr->family == AF_INET ? &t->e[idx].real4 : &t->e[idx].real6;
	memset(real, 0, sizeof(*real));
	if (r->family) {
		*real = *r;
		real->port = addr->port;
	}
	return t->e[idx].name;
}

size_t dns_build_fake_answer(const uint8_t *resp, size_t len,
			     const struct tg_endpoint *fake, uint32_t ttl,
			     uint8_t *out, size_t cap)
{
	ldns_pkt *in = NULL, *r = NULL;
	ldns_rr *q, *rr = NULL;
	ldns_rdf *rdf;
	uint8_t *wire = NULL;
	size_t n = 0, size = 0;

	if (ldns_wire2pkt(&in, resp, len) != LDNS_STATUS_OK)
		return 0;
	q = ldns_rr_list_rr(ldns_pkt_question(in), 0);
	r = ldns_pkt_new();
	rr = ldns_rr_new();
	if (!q || ldns_pkt_qdcount(in) != 1 || !r || !rr)
		goto out;

	ldns_pkt_set_id(r, ldns_pkt_id(in));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(in));
	ldns_pkt_set_rd(r, ldns_pkt_rd(in));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, LDNS_RCODE_NOERROR);
	if (!ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(q)))
		goto out;

	ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(q)));
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	if (fake->family == AF_INET) {
		ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
		rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, fake->addr);
	} else {
		ldns_rr_set_type(rr, LDNS_RR_TYPE_AAAA);
		rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, fake->addr);
	}
	if (!rdf || !ldns_rr_push_rdf(rr, rdf)) {
		ldns_rdf_deep_free(rdf);
		goto out;
	}
	if (!ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr))
		goto out;
	rr = NULL;	/* the packet owns it */
	if (ldns_pkt2wire(&wire, r, &size) == LDNS_STATUS_OK && size <= cap) {
		memcpy(out, wire, size);
		n = size;
	}
out:
	free(wire);
	ldns_rr_free(rr);
	ldns_pkt_free(r);
	ldns_pkt_free(in);
	return n;
}

/* dns_names.c - the sandbox's table of which names each address was
 * learned for, from the DNS answers the gateway relays.
 *
 * Theory of operation
 *
 * An entry is one address (IPv4 or IPv6; the port is not part of the key)
 * with up to DNS_NAMES_PER_ADDR names, most recently learned first, each
 * with its own expiry: now + max(TTL, floor) seconds. Learning an answer
 * adds, for each of its bindings, the CNAME chain from the query name down
 * to the binding's owner, query name in front (it is what a rule most
 * likely names). Re-learning a name moves it to the front and extends its
 * expiry (never shortens it). An address shared by more names than that
 * (a CDN) keeps the most recently learned ones.
 *
 * Entries live in one array of @max slots, found through a hash of the
 * address (seeded at creation, chained by slot index) and ordered on a list
 * by the time they were last learned. Each learn first frees the entries
 * at the old end of that list whose names have all expired. When the table
 * is still full, a new address takes the slot of the first expired entry
 * among the DNS_NAMES_EVICT_SCAN oldest, or else of the entry learned
 * longest ago: expired entries go before live ones, at a bounded cost (an
 * expired entry further in waits its turn).
 *
 * Names are copied (malloc) once per entry; a pointer handed out by
 * dns_names_lookup() stays valid until the next dns_names_learn() or
 * dns_names_free(). Lookups do not change the table.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns/dns.h"

/* Names kept per address: a CDN address stands for many names */
#define DNS_NAMES_PER_ADDR	8
/* Largest table dns_names_new() accepts */
#define DNS_NAMES_MAX_ENTRIES	(1U << 24)
/* Entries from the old end searched for an expired one when full */
#define DNS_NAMES_EVICT_SCAN	16
/* No slot */
#define DNS_NAMES_NONE		UINT32_MAX

/**
 * struct dns_names_name - one name of an address
 * @name:	copy, lower-case, no trailing dot
 * @expiry_ms:	monotonic time it stops counting
 */
struct dns_names_name {
	char *name;
	uint64_t expiry_ms;
};

/**
 * struct dns_names_entry - one address and its names
 * @addr:	key: family and address, port 0, unused bytes zero
 * @next:	next slot in the same hash bucket, or in the free list
 * @older:	slot learned before this one (towards the eviction end)
 * @newer:	slot learned after this one
 * @n:		names held
 * @names:	most recently learned first
 */
struct dns_names_entry {
	struct tg_endpoint addr;
	uint32_t next;
	uint32_t older;
	uint32_t newer;
	unsigned int n;
	struct dns_names_name names[DNS_NAMES_PER_ADDR];
};

/**
 * struct dns_names - the address -> names table
 * @max:	slots
 * @count:	slots in use
 * @floor_s:	minimum lifetime of a name, seconds
 * @seed:	hash seed
 * @mask:	buckets - 1 (a power of two)
 * @bucket:	first slot of each hash bucket
 * @e:		slots
 * @free:	first free slot
 * @oldest:	slot learned longest ago
 * @newest:	slot learned last
 */
struct dns_names {
	size_t max;
	size_t count;
	unsigned int floor_s;
	uint64_t seed;
	size_t mask;
	uint32_t *bucket;
	struct dns_names_entry *e;
	uint32_t free;
	uint32_t oldest;
	uint32_t newest;
};

/**
 * dns_names_mix() - a 64-bit finaliser (MurmurHash3's)
 * @x:		value
 */
static uint64_t dns_names_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/**
 * dns_names_key() - the table's key for an address: port and unused bytes 0
 * @key:	output
 * @addr:	address
 *
 * Return: false for a family that is neither IPv4 nor IPv6
 */
static bool dns_names_key(struct tg_endpoint *key, const struct tg_endpoint *addr)
{
	memset(key, 0, sizeof(*key));
	if (addr->family != AF_INET && addr->family != AF_INET6)
		return false;
	key->family = addr->family;
	memcpy(key->addr, addr->addr, tg_endpoint_addr_len(addr));
	return true;
}

/**
 * dns_names_bucket() - the bucket of @key
 * @t:		table
 * @key:	normalised address
 */
static size_t dns_names_bucket(const struct dns_names *t,
			       const struct tg_endpoint *key)
{
	uint64_t w[2];

	memcpy(w, key->addr, sizeof(w));
	return dns_names_mix(dns_names_mix(t->seed ^ key->family ^ w[0]) ^
			     w[1]) & t->mask;
}

/**
 * dns_names_find() - the slot of @key
 * @t:		table
 * @key:	normalised address
 *
 * Return: slot, or DNS_NAMES_NONE
 */
static uint32_t dns_names_find(const struct dns_names *t,
			       const struct tg_endpoint *key)
{
	uint32_t i = t->bucket[dns_names_bucket(t, key)];

	while (i != DNS_NAMES_NONE && !tg_endpoint_equal(&t->e[i].addr, key))
		i = t->e[i].next;
	return i;
}

/* See dns.h */
struct dns_names *dns_names_new(size_t max, unsigned int floor_s)
{
	struct dns_names *t;
	size_t nb = 1, i;

	if (!max || max > DNS_NAMES_MAX_ENTRIES)
		return NULL;
	while (nb < max)
		nb <<= 1;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->bucket = malloc(nb * sizeof(*t->bucket));
	t->e = calloc(max, sizeof(*t->e));
	if (!t->bucket || !t->e) {
		dns_names_free(t);
		return NULL;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ now_ms();

	t->max = max;
	t->floor_s = floor_s;
	t->mask = nb - 1;
	for (i = 0; i < nb; i++)
		t->bucket[i] = DNS_NAMES_NONE;
	for (i = 0; i < max; i++)
		t->e[i].next = i + 1 < max ? (uint32_t)(i + 1) : DNS_NAMES_NONE;
	t->free = 0;
	t->oldest = t->newest = DNS_NAMES_NONE;
	return t;
}

/**
 * dns_names_unlink() - take slot @i off the learning-order list
 * @t:		table
 * @i:		slot
 */
static void dns_names_unlink(struct dns_names *t, uint32_t i)
{
	struct dns_names_entry *e = &t->e[i];

	if (e->older != DNS_NAMES_NONE)
		t->e[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != DNS_NAMES_NONE)
		t->e[e->newer].older = e->older;
	else
		t->newest = e->older;
}

/**
 * dns_names_touch() - put slot @i at the newest end of the list
 * @t:		table
 * @i:		slot, not on the list
 */
static void dns_names_touch(struct dns_names *t, uint32_t i)
{
	struct dns_names_entry *e = &t->e[i];

	e->older = t->newest;
	e->newer = DNS_NAMES_NONE;
	if (t->newest != DNS_NAMES_NONE)
		t->e[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

/**
 * dns_names_drop_name() - free name @k of @e and close the gap
 * @e:		entry
 * @k:		index of the name
 */
static void dns_names_drop_name(struct dns_names_entry *e, unsigned int k)
{
	free(e->names[k].name);
	memmove(&e->names[k], &e->names[k + 1],
		(e->n - k - 1) * sizeof(e->names[0]));
	e->n--;
}

/**
 * dns_names_remove() - free slot @i: names, bucket chain, list
 * @t:		table
 * @i:		slot in use
 */
static void dns_names_remove(struct dns_names *t, uint32_t i)
{
	struct dns_names_entry *e = &t->e[i];
	uint32_t *p = &t->bucket[dns_names_bucket(t, &e->addr)];

	while (e->n)
		dns_names_drop_name(e, e->n - 1);
	while (*p != i)
		p = &t->e[*p].next;
	*p = e->next;
	dns_names_unlink(t, i);

	e->next = t->free;
	t->free = i;
	t->count--;
}

/**
 * dns_names_expired() - have all names of @e expired at @now_ms?
 * @e:		entry
 * @now_ms:	monotonic time
 */
static bool dns_names_expired(const struct dns_names_entry *e, uint64_t now_ms)
{
	unsigned int k;

	for (k = 0; k < e->n; k++) {
		if (e->names[k].expiry_ms > now_ms)
			return false;
	}
	return true;
}

/**
 * dns_names_sweep() - free the expired entries at the old end of the list
 * @t:		table
 * @now_ms:	monotonic time
 */
static void dns_names_sweep(struct dns_names *t, uint64_t now_ms)
{
	while (t->oldest != DNS_NAMES_NONE &&
	       dns_names_expired(&t->e[t->oldest], now_ms))
		dns_names_remove(t, t->oldest);
}

/**
 * dns_names_victim() - the slot to give up when the table is full
 * @t:		table, full
 * @now_ms:	monotonic time
 *
 * Return: the first expired among the oldest few, or else the oldest
 */
static uint32_t dns_names_victim(const struct dns_names *t, uint64_t now_ms)
{
	uint32_t i = t->oldest;
	int k;

	for (k = 0; k < DNS_NAMES_EVICT_SCAN && i != DNS_NAMES_NONE; k++) {
		if (dns_names_expired(&t->e[i], now_ms))
			return i;
		i = t->e[i].newer;
	}
	return t->oldest;
}

/**
 * dns_names_get() - the slot of @key, made (evicting one) if needed
 * @t:		table
 * @key:	normalised address
 * @now_ms:	monotonic time
 *
 * Return: slot, at the newest end of the list
 */
static uint32_t dns_names_get(struct dns_names *t, const struct tg_endpoint *key,
			      uint64_t now_ms)
{
	uint32_t i = dns_names_find(t, key);
	size_t b;

	if (i != DNS_NAMES_NONE) {
		dns_names_unlink(t, i);
		dns_names_touch(t, i);
		return i;
	}
	if (t->count == t->max)
		dns_names_remove(t, dns_names_victim(t, now_ms));

	i = t->free;
	t->free = t->e[i].next;
	t->count++;
	t->e[i].addr = *key;
	t->e[i].n = 0;
	b = dns_names_bucket(t, key);
	t->e[i].next = t->bucket[b];
	t->bucket[b] = i;
	dns_names_touch(t, i);
	return i;
}

/**
 * dns_names_add() - put @name in front of @e's names, until @expiry_ms
 * @e:		entry
 * @name:	name
 * @expiry_ms:	expiry; a name already there keeps the later of the two
 * @now_ms:	monotonic time: expired names are dropped first
 */
static void dns_names_add(struct dns_names_entry *e, const char *name,
			  uint64_t expiry_ms, uint64_t now_ms)
{
	struct dns_names_name nm = { NULL, expiry_ms };
	unsigned int k;

	for (k = 0; k < e->n; k++) {
		if (!strcmp(e->names[k].name, name)) {
			nm = e->names[k];
			nm.expiry_ms = MAX(nm.expiry_ms, expiry_ms);
			memmove(&e->names[k], &e->names[k + 1],
				(e->n - k - 1) * sizeof(e->names[0]));
			e->n--;
			break;
		}
	}
	if (!nm.name) {
		for (k = e->n; k-- > 0;) {
			if (e->names[k].expiry_ms <= now_ms)
				dns_names_drop_name(e, k);
		}
		if (e->n == DNS_NAMES_PER_ADDR)
			dns_names_drop_name(e, e->n - 1);
		nm.name = strdup(name);
		if (!nm.name)
			return;
	}
	memmove(&e->names[1], &e->names[0], e->n * sizeof(e->names[0]));
	e->names[0] = nm;
	e->n++;
}

/**
 * dns_names_chain_end() - where a binding's owner is on the CNAME chain
 * @a:		answer
 * @b:		one of its bindings
 *
 * Return: index in @a->aliases, or -1 (a binding not from a chain)
 */
static int dns_names_chain_end(const struct dns_answer *a,
			       const struct dns_binding *b)
{
	size_t i, n = MIN(a->n_aliases, ARRAY_SIZE(a->aliases));

	for (i = 0; i < n; i++) {
		if (!strncmp(a->aliases[i], b->name, DNS_NAME_MAX))
			return (int)i;
	}
	return -1;
}

/**
 * dns_names_expiry() - when a name learned now with @ttl stops counting
 * @t:		table
 * @ttl:	seconds
 * @now_ms:	monotonic time
 */
static uint64_t dns_names_expiry(const struct dns_names *t, uint32_t ttl,
				 uint64_t now_ms)
{
	uint64_t life = (uint64_t)MAX(ttl, t->floor_s) * 1000;

	return now_ms > UINT64_MAX - life ? UINT64_MAX : now_ms + life;
}

/**
 * dns_names_learn_one() - remember the names of one binding
 * @t:		table
 * @a:		answer
 * @b:		binding
 * @now_ms:	monotonic time
 */
static void dns_names_learn_one(struct dns_names *t, const struct dns_answer *a,
				const struct dns_binding *b, uint64_t now_ms)
{
	uint64_t expiry = dns_names_expiry(t, b->ttl, now_ms);
	int end = dns_names_chain_end(a, b);
	struct dns_names_entry *e;
	struct tg_endpoint key;
	char name[DNS_NAME_MAX];

	if (!dns_names_key(&key, &b->addr))
		return;
	e = &t->e[dns_names_get(t, &key, now_ms)];

	if (end < 0) {
		memcpy(name, b->name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		dns_names_add(e, name, expiry, now_ms);
		return;
	}
	for (; end >= 0; end--) {
		memcpy(name, a->aliases[end], sizeof(name));
		name[sizeof(name) - 1] = '\0';
		dns_names_add(e, name, expiry, now_ms);
	}
}

/* See dns.h */
void dns_names_learn(struct dns_names *t, const struct dns_answer *a,
		     uint64_t now_ms)
{
	size_t i;

	if (!t || !a)
		return;
	dns_names_sweep(t, now_ms);
	for (i = 0; i < MIN(a->n_bindings, DNS_ANSWER_MAX); i++)
		dns_names_learn_one(t, a, &a->bindings[i], now_ms);
}

/* See dns.h */
size_t dns_names_lookup(const struct dns_names *t,
			const struct tg_endpoint *addr, uint64_t now_ms,
			const char **names, size_t max)
{
	const struct dns_names_entry *e;
	struct tg_endpoint key;
	size_t n = 0;
	unsigned int k;
	uint32_t i;

	if (!t || !dns_names_key(&key, addr))
		return 0;
	i = dns_names_find(t, &key);
	if (i == DNS_NAMES_NONE)
		return 0;

	e = &t->e[i];
	for (k = 0; k < e->n && n < max; k++) {
		if (e->names[k].expiry_ms > now_ms)
			names[n++] = e->names[k].name;
	}
	return n;
}

/* See dns.h */
void dns_names_free(struct dns_names *t)
{
	size_t i;
	unsigned int k;

	if (!t)
		return;
	for (i = 0; t->e && i < t->max; i++) {
		for (k = 0; k < t->e[i].n; k++)
			free(t->e[i].names[k].name);
	}
	free(t->e);
	free(t->bucket);
	free(t);
}

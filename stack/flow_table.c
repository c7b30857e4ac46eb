/* flow_table.c - fixed-size flow table with a keyed, chained hash index.
 *
 * Entries live in one array allocated at start; free entries form a LIFO
 * list (recently freed entries are warm in cache); the hash index maps a
 * (protocol, source, destination) key to a chain of entry numbers. Chains
 * are short: there are at least twice as many buckets as entries, and the
 * hash is keyed with a random seed. See flow.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "stack/flow.h"

/* 64-bit mixing step (the murmur3 finaliser); good enough with a secret
 * seed for chains that only a program inside the sandbox can influence. */
static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_addr(uint64_t h, const struct tg_endpoint *ep)
{
	uint64_t w[2];

	memcpy(w, ep->addr, sizeof(w));
	h = mix64(h ^ w[0]);
	h = mix64(h ^ w[1]);
	return mix64(h ^ ((uint64_t)ep->family << 16 | ep->port));
}

static uint32_t flow_hash(const struct flow_table *t, uint8_t proto,
			  const struct tg_endpoint *src,
			  const struct tg_endpoint *dst)
{
	uint64_t h = t->seed ^ proto;

	h = hash_addr(h, src);
	h = hash_addr(h, dst);
	return (uint32_t)h & t->bucket_mask;
}

static bool flow_matches(const struct flow *f, uint8_t proto,
			 const struct tg_endpoint *src,
			 const struct tg_endpoint *dst)
{
	return f->info.proto == proto &&
	       tg_endpoint_equal(&f->info.src, src) &&
	       tg_endpoint_equal(&f->info.dst, dst);
}

int flow_table_init(struct flow_table *t, uint32_t capacity, uint64_t seed)
{
	uint32_t nbuckets = 16;
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > TG_MAX_FLOWS_LIMIT)
		return -EINVAL;
	while (nbuckets < capacity * 2)
		nbuckets <<= 1;

	/* calloc: pages of entries never used are never touched. */
	t->flows = calloc(capacity, sizeof(*t->flows));
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	if (!t->flows || !t->buckets) {
		free(t->flows);
		free(t->buckets);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	t->capacity = capacity;
	t->bucket_mask = nbuckets - 1;
	t->seed = seed;
	t->next_id = 1;

	/* Free list in index order, so the first flows use the first pages. */
	for (i = 0; i < capacity; i++) {
		t->flows[i].hash_next = i + 1 < capacity ? i + 2 : 0;
		t->flows[i].fd = -1;
	}
	t->free_head = 1;
	return 0;
}

void flow_table_fini(struct flow_table *t)
{
	free(t->flows);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct flow *flow_table_lookup(const struct flow_table *t, uint8_t proto,
			       const struct tg_endpoint *src,
			       const struct tg_endpoint *dst)
{
	uint32_t i = t->buckets[flow_hash(t, proto, src, dst)];

	while (i) {
		struct flow *f = &t->flows[i - 1];

		if (flow_matches(f, proto, src, dst))
			return f;
		i = f->hash_next;
	}
	return NULL;
}

struct flow *flow_table_insert(struct flow_table *t, uint8_t proto,
			       const struct tg_endpoint *src,
			       const struct tg_endpoint *dst,
			       enum flow_state state)
{
	uint32_t b, gen, dirty_next;
	struct flow *f;
	bool dirty;

	if (!t->free_head)
		return NULL;

	f = &t->flows[t->free_head - 1];
	t->free_head = f->hash_next;
	gen = (f->gen + 1) & FLOW_GEN_MASK;
	dirty = f->dirty;
	dirty_next = f->dirty_next;

	memset(f, 0, sizeof(*f));
	f->gen = gen;
	/* The gateway's service list may still hold this entry (it is
	 * skipped there once free): its link survives reuse. */
	f->dirty = dirty;
	f->dirty_next = dirty_next;
	f->fd = -1;
	f->state = state;
	f->info.id = t->next_id++;
	f->info.proto = proto;
	f->info.src = *src;
	f->info.dst = *dst;

	b = flow_hash(t, proto, src, dst);
	f->hash_next = t->buckets[b];
	t->buckets[b] = flow_table_index(t, f) + 1;
	t->used++;
	if (flow_table_index(t, f) >= t->high_water)
		t->high_water = flow_table_index(t, f) + 1;
	return f;
}

void flow_table_remove(struct flow_table *t, struct flow *f)
{
	uint32_t idx = flow_table_index(t, f) + 1;
	uint32_t *link = &t->buckets[flow_hash(t, f->info.proto, &f->info.src,
					       &f->info.dst)];

	while (*link && *link != idx)
		link = &t->flows[*link - 1].hash_next;
	if (*link)
		*link = f->hash_next;

	f->state = FLOW_FREE;
	f->fd = -1;
	f->hash_next = t->free_head;
	t->free_head = idx;
	t->used--;
}

struct flow *flow_table_get(const struct flow_table *t, uint32_t idx,
			    uint32_t gen)
{
	struct flow *f;

	if (idx >= t->capacity)
		return NULL;
	f = &t->flows[idx];
	if (f->state == FLOW_FREE || f->gen != gen)
		return NULL;
	return f;
}

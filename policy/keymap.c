/* keymap.c - a small hash map from byte strings to pointers, for the rule
 * index (exact names, wildcard domains, masked address prefixes) and for
 * the summary's per-destination rows.
 *
 * Open addressing with linear probing, kept at most half full, FNV-1a
 * hashes. Keys are copied; nothing is ever removed, so there are no
 * tombstones. The keys come from the user's own rules and the program's
 * own flows: there is nobody to flood the table but the user.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define KEYMAP_MIN_CAP	16

static uint64_t keymap_hash(const void *key, size_t len)
{
	const uint8_t *k = key;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/**
 * keymap_slot() - the slot holding @key, or the empty one it would take
 * @m:		map, with slots
 * @key:	key
 * @len:	its length
 * @hash:	its hash
 *
 * Return: a slot; its @key is NULL if @key is absent
 */
static struct keymap_entry *keymap_slot(const struct keymap *m,
					const void *key, size_t len,
					uint64_t hash)
{
	size_t mask = m->cap - 1, i = (size_t)hash & mask;

	for (;; i = (i + 1) & mask) {
		struct keymap_entry *e = &m->slots[i];

		if (!e->key)
			return e;
		if (e->hash == hash && e->len == len && !memcmp(e->key, key, len))
			return e;
	}
}

/**
 * keymap_get() - look @key up
 * @m:		map
 * @key:	key bytes
 * @len:	length
 *
 * Return: the value, or NULL if absent
 */
void *keymap_get(const struct keymap *m, const void *key, size_t len)
{
	if (!m->n)
		return NULL;
	return keymap_slot(m, key, len, keymap_hash(key, len))->val;
}

/**
 * keymap_grow() - double the table (or make the first one)
 * @m:		map
 *
 * Return: 0, or -1 if out of memory (the map is unchanged)
 */
static int keymap_grow(struct keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : KEYMAP_MIN_CAP, i;
	struct keymap old = *m;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -1;
	}
	m->cap = cap;
	for (i = 0; i < old.cap; i++) {
		struct keymap_entry *e = &old.slots[i];

		if (e->key)
			*keymap_slot(m, e->key, e->len, e->hash) = *e;
	}
	free(old.slots);
	return 0;
}

/**
 * keymap_put() - set the value of @key, adding it if absent
 * @m:		map
 * @key:	key bytes (copied)
 * @len:	length
 * @val:	value
 *
 * Return: 0, or -1 if out of memory (the map is unchanged)
 */
int keymap_put(struct keymap *m, const void *key, size_t len, void *val)
{
	uint64_t hash = keymap_hash(key, len);
	struct keymap_entry *e;

	if ((m->n + 1) * 2 > m->cap && keymap_grow(m))
		return -1;
	e = keymap_slot(m, key, len, hash);
	if (!e->key) {
		/* One byte more, so that an empty key is not NULL. */
		e->key = malloc(len + 1);
		if (!e->key)
			return -1;
		memcpy(e->key, key, len);
		e->len = len;
		e->hash = hash;
		m->n++;
	}
	e->val = val;
	return 0;
}

/**
 * keymap_free() - free keys and table, and each value with @free_val
 * @m:		map, left empty
 * @free_val:	called for each value, or NULL
 */
void keymap_free(struct keymap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		if (free_val)
			free_val(m->slots[i].val);
		free(m->slots[i].key);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

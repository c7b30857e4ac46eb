/* policy_int.h - what the files of policy/ share among themselves and
 * nobody else uses: a small hash map with byte-string keys (the rule index
 * and the summary), hostname normalisation (parser and matcher must agree
 * on it to the byte), and the hooks by which the parser tells the matcher
 * that its index is stale.
 */
#ifndef TUNGATE_POLICY_INT_H
#define TUNGATE_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* Longest hostname, without the trailing dot (RFC 1035 2.3.4, as text). */
#define POLICY_NAME_MAX		253
/* Longest label. */
#define POLICY_LABEL_MAX	63

/**
 * policy_printable() - replace control and non-ASCII bytes with '?'
 * @s:		string, changed in place
 *
 * For names printed on a terminal: the program chose them.
 */
static inline void policy_printable(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
	}
}

/* --- keymap.c: byte-string keys to pointers ----------------------------- */

/**
 * struct keymap_entry - one slot
 * @key:	copy of the key, NULL for an empty slot
 * @len:	its length
 * @hash:	its hash
 * @val:	the value
 */
struct keymap_entry {
	uint8_t *key;
	size_t len;
	uint64_t hash;
	void *val;
};

/**
 * struct keymap - open addressing, linear probing, at most half full
 * @slots:	table, @cap entries (a power of two), or NULL when empty
 * @cap:	number of slots
 * @n:		number of keys
 *
 * A zeroed struct keymap is an empty map. Keys are never removed.
 */
struct keymap {
	struct keymap_entry *slots;
	size_t cap;
	size_t n;
};

void *keymap_get(const struct keymap *m, const void *key, size_t len);
int keymap_put(struct keymap *m, const void *key, size_t len, void *val);
void keymap_free(struct keymap *m, void (*free_val)(void *));

/* --- rule_match.c: names and the index ---------------------------------- */

/**
 * policy_name_normalize() - a name as rules compare it
 * @name:	any case, one trailing dot allowed
 * @buf:	output, POLICY_NAME_MAX + 1 bytes: lower case, no trailing dot
 *
 * Return: its length, or -1 if it is empty, longer than POLICY_NAME_MAX
 * or has an empty label ("a..b", ".a"): such a name matches no rule
 */
int policy_name_normalize(const char *name, char buf[POLICY_NAME_MAX + 1]);

/**
 * policy_index_stale() - rules were added: rebuild at the next decision
 * @p:		policy
 *
 * Return: 0, or -1 if the index holder could not be allocated
 */
int policy_index_stale(struct policy *p);

/**
 * policy_index_free() - free the index, if any
 */
void policy_index_free(struct policy *p);

#endif /* TUNGATE_POLICY_INT_H */

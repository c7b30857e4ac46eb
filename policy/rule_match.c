/* rule_match.c - which rule a new flow meets first: matching one rule,
 * and the index that finds the first matching rule among thousands
 * without trying each.
 *
 * Theory of operation
 *
 * The answer to a query is the lowest-numbered rule that matches it, or
 * the default. policy_rule_matches() says whether one rule matches;
 * trying every rule in order with it is the reference (and the fallback
 * when memory runs out), and the index must give the same answer: the
 * unit tests cross-check the two on random rules and queries.
 *
 * Rules are grouped in buckets by what they say about the host; every
 * rule is in exactly one bucket:
 *
 *   "*"        one bucket        every query looks in it
 *   loopback   one bucket        queries with scope LOOPBACK
 *   host       one bucket        queries with scope HOST
 *   a/len      per family, the distinct prefixes sorted by first address
 *              (then shortest first), each linked to the nearest prefix
 *              enclosing it. CIDR prefixes either nest or are disjoint, so
 *              the prefixes holding an address are exactly the ancestors
 *              of the last prefix starting at or before it that hold it:
 *              one binary search, then a walk up at most 32 (128) links,
 *              in practice the one to three levels rules nest
 *   name       hash of the name: each of the query's names, looked up
 *   *.domain   hash of the domain: each proper suffix of each query
 *              name that follows a dot ("a.b.c" tries "b.c" and "c")
 *
 * Within a bucket, rules differ only in protocol and ports. A bucket's
 * port index cuts 0-65535 into segments at every rule's first port and
 * last port + 1, and stores for each segment and each protocol the lowest
 * rule covering it; a lookup is a binary search. It is built by painting
 * each rule's segments in rule order, skipping segments already painted
 * with a "next unpainted" union-find, so building takes O(k log k) for k
 * rules even when ranges overlap.
 *
 * A query looks in at most 3 + (nesting depth of prefixes) + (names x
 * labels) buckets, each in O(log k), after an O(log n) search among the
 * prefixes; it skips a bucket whose lowest rule is not below the best
 * found so far.
 *
 * The index is built on the first policy_decide() after rules were added
 * (policy_index_stale() marks it so): it lives behind policy->index, so
 * building it does not change the const struct policy. Tungate's loop is
 * single-threaded, so this is safe.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

/* No rule: above every rule index */
#define RULE_NONE	UINT32_MAX

/**
 * struct port_index - a bucket's rules by protocol and port
 * @bounds:	sorted segment starts: segment i is [bounds[i], bounds[i+1])
 *		(the last one ends at 65536); ports below bounds[0] have none
 * @n:		number of segments
 * @first:	for TCP [0] and UDP [1]: lowest rule covering each segment,
 *		or RULE_NONE; both point into the allocation of @bounds
 */
struct port_index {
	uint32_t *bounds;
	uint32_t n;
	uint32_t *first[2];
};

/**
 * struct bucket - the rules that say the same about the host
 * @rules:	their indices into policy->rules, ascending
 * @n:		how many
 * @cap:	allocated
 * @ports:	their port index
 */
struct bucket {
	uint32_t *rules;
	uint32_t n;
	uint32_t cap;
	struct port_index ports;
};

/**
 * struct prefix_node - one distinct address prefix of the rules
 * @first:	its first address (network byte order)
 * @last:	its last address
 * @len:	its prefix length
 * @parent:	index of the nearest prefix enclosing it, or -1
 * @bucket:	its rules
 */
struct prefix_node {
	uint8_t first[16];
	uint8_t last[16];
	unsigned int len;
	long parent;
	struct bucket *bucket;
};

/**
 * struct prefix_set - the prefixes of one family, sorted by @first, then
 *		       shortest first (so a prefix follows its ancestors)
 * @nodes:	the prefixes
 * @n:		how many
 * @alen:	address length: 4 or 16
 */
struct prefix_set {
	struct prefix_node *nodes;
	size_t n;
	size_t alen;
};

/**
 * struct policy_index - everything policy_decide() looks in
 * @ready:	built for the current rules
 * @failed:	building ran out of memory: scan the rules linearly
 * @any:	"*" rules
 * @loopback:	"loopback" rules
 * @gateway:	"host" rules
 * @prefixes:	address rules, by prefix_key() (owns the buckets)
 * @names:	exact hostname rules, by name
 * @wildcards:	"*.domain" rules, by domain
 * @set4:	IPv4 prefixes, for lookups
 * @set6:	IPv6 prefixes, for lookups
 */
struct policy_index {
	bool ready;
	bool failed;
	struct bucket any;
	struct bucket loopback;
	struct bucket gateway;
	struct keymap prefixes;
	struct keymap names;
	struct keymap wildcards;
	struct prefix_set set4;
	struct prefix_set set6;
};

/* Family byte, length byte, up to 16 address bytes */
#define PREFIX_KEY_LEN	18

/* --- Matching one rule -------------------------------------------------- */

/**
 * policy_name_normalize() - a name as rules compare it
 * @name:	any case, one trailing dot allowed
 * @buf:	output: lower case, no trailing dot
 *
 * A name with an empty label (".a", "a..b", "a.." after the one dot is
 * taken off) is no hostname: "*.example.com" must not take "a..example.com"
 * for a name below example.com.
 *
 * Return: its length, or -1 if empty, longer than POLICY_NAME_MAX, or with
 * an empty label
 */
int policy_name_normalize(const char *name, char buf[POLICY_NAME_MAX + 1])
{
	size_t len = strnlen(name, POLICY_NAME_MAX + 2), i;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > POLICY_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (name[i] == '.' &&
		    (!i || name[i - 1] == '.' || i == len - 1))
			return -1;
		buf[i] = (char)tolower((unsigned char)name[i]);
	}
	buf[len] = '\0';
	return (int)len;
}

/**
 * policy_name_matches() - does @name match a NAME or WILDCARD rule's name
 * @pattern:	rule name (lower case, no trailing dot)
 * @wildcard:	true for "*.pattern": names below it, any depth, not itself
 * @name:	candidate (any case, trailing dot allowed)
 *
 * Return: true if it matches
 */
bool policy_name_matches(const char *pattern, bool wildcard, const char *name)
{
	char buf[POLICY_NAME_MAX + 1];
	int len = policy_name_normalize(name, buf);
	size_t n, plen = strlen(pattern);

	if (len < 0)
		return false;
	n = (size_t)len;
	if (!wildcard)
		return n == plen && !memcmp(buf, pattern, plen);
	/* At least one character, then a dot, then the pattern. */
	return n > plen + 1 && buf[n - plen - 1] == '.' &&
	       !memcmp(buf + n - plen, pattern, plen);
}

/**
 * prefix_contains() - is @a within @prefix/@len
 * @prefix:	rule address (host bits clear)
 * @len:	prefix length
 * @a:		address
 */
static bool prefix_contains(const struct tg_endpoint *prefix, unsigned int len,
			    const struct tg_endpoint *a)
{
	size_t bytes = len / 8;
	unsigned int bits = len % 8;

	if (prefix->family != a->family || len > 8 * tg_endpoint_addr_len(a))
		return false;
	if (memcmp(prefix->addr, a->addr, bytes))
		return false;
	if (!bits)
		return true;
	return !((prefix->addr[bytes] ^ a->addr[bytes]) &
		 (uint8_t)(0xff00 >> bits));
}

/**
 * policy_rule_matches() - does one rule match a query
 * @r:		rule
 * @q:		query
 * @name:	if not NULL: set to the first of the query's names that a
 *		hostname rule matched, else NULL
 *
 * Return: true if it matches
 */
bool policy_rule_matches(const struct policy_rule *r,
			 const struct policy_query *q, const char **name)
{
	size_t i;

	if (name)
		*name = NULL;
	if (!(r->protos & q->protos) || q->dst.port < r->port_min ||
	    q->dst.port > r->port_max)
		return false;
	switch (r->kind) {
	case POLICY_HOST_ANY:
		return true;
	case POLICY_HOST_LOOPBACK:
		return q->scope == POLICY_SCOPE_LOOPBACK;
	case POLICY_HOST_GATEWAY:
		return q->scope == POLICY_SCOPE_HOST;
	case POLICY_HOST_PREFIX:
		return prefix_contains(&r->addr, r->prefix_len, &q->dst);
	case POLICY_HOST_NAME:
	case POLICY_HOST_WILDCARD:
		for (i = 0; i < q->n_names; i++) {
			if (!q->names[i] ||
			    !policy_name_matches(r->name,
						 r->kind == POLICY_HOST_WILDCARD,
						 q->names[i]))
				continue;
			if (name)
				*name = q->names[i];
			return true;
		}
		return false;
	}
	return false;
}

/**
 * decide_linear() - the reference: try every rule in order
 * @p:		policy
 * @q:		query
 * @v:		verdict, preset to the default
 */
static void decide_linear(const struct policy *p, const struct policy_query *q,
			  struct policy_verdict *v)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (policy_rule_matches(&p->rules[i], q, &v->name)) {
			v->rule = &p->rules[i];
			v->action = v->rule->action;
			return;
		}
	}
}

/* --- Buckets and their port index --------------------------------------- */

/**
 * bucket_free() - free a bucket's arrays; it is empty afterwards
 * @b:		bucket
 */
static void bucket_free(struct bucket *b)
{
	free(b->rules);
	free(b->ports.bounds);
	memset(b, 0, sizeof(*b));
}

/**
 * bucket_free_heap() - free a bucket allocated for a keymap
 * @b:		bucket
 */
static void bucket_free_heap(void *b)
{
	bucket_free(b);
	free(b);
}

/**
 * bucket_add() - append rule @i (rules come in ascending order)
 * @b:		bucket
 * @i:		rule index
 *
 * Return: 0, or -1 if out of memory
 */
static int bucket_add(struct bucket *b, uint32_t i)
{
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 2;
		uint32_t *rules = realloc(b->rules, cap * sizeof(*rules));

		if (!rules)
			return -1;
		b->rules = rules;
		b->cap = cap;
	}
	b->rules[b->n++] = i;
	return 0;
}

/* qsort() order of uint32_t */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/**
 * segment_of() - the segment holding @port
 * @pi:		port index
 * @port:	port, up to 65536
 *
 * Return: the last i with bounds[i] <= @port, or -1 if none
 */
static long segment_of(const struct port_index *pi, uint32_t port)
{
	long lo = 0, hi = (long)pi->n - 1, found = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (pi->bounds[mid] <= port) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

/**
 * next_unpainted() - union-find: first unpainted segment at or after @s
 * @next:	next[s] == s if s is unpainted, else a later segment
 * @s:		segment
 */
static uint32_t next_unpainted(uint32_t *next, uint32_t s)
{
	uint32_t root = s, t;

	while (next[root] != root)
		root = next[root];
	while (next[s] != root) {
		t = next[s];
		next[s] = root;
		s = t;
	}
	return root;
}

/**
 * port_paint() - give the protocol's unpainted segments of @r to rule @i
 * @pi:		port index with bounds
 * @first:	that protocol's segment array
 * @next:	that protocol's union-find, n + 1 entries
 * @r:		the rule
 * @i:		its index
 */
static void port_paint(const struct port_index *pi, uint32_t *first,
		       uint32_t *next, const struct policy_rule *r, uint32_t i)
{
	uint32_t s = (uint32_t)segment_of(pi, r->port_min);
	uint32_t end = (uint32_t)segment_of(pi, (uint32_t)r->port_max + 1);

	/* port_max + 1 is a bound: the segments are [s, end). */
	for (s = next_unpainted(next, s); s < end; s = next_unpainted(next, s)) {
		first[s] = i;
		next[s] = s + 1;
	}
}

/**
 * port_index_build() - a bucket's port index, from its rules
 * @b:		bucket
 * @rules:	the policy's rules
 *
 * Return: 0, or -1 if out of memory
 */
static int port_index_build(struct bucket *b, const struct policy_rule *rules)
{
	struct port_index *pi = &b->ports;
	uint32_t i, n = 0, *next;
	int proto;

	if (!b->n)
		return 0;
	/* Room for 2 bounds per rule, then the two segment arrays. */
	pi->bounds = malloc((size_t)b->n * 2 * 3 * sizeof(uint32_t));
	next = malloc(((size_t)b->n * 2 + 1) * sizeof(uint32_t));
	if (!pi->bounds || !next) {
		free(next);
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		pi->bounds[n++] = rules[b->rules[i]].port_min;
		pi->bounds[n++] = (uint32_t)rules[b->rules[i]].port_max + 1;
	}
	qsort(pi->bounds, n, sizeof(uint32_t), cmp_u32);
	for (pi->n = 0, i = 0; i < n; i++) {
		if (!pi->n || pi->bounds[pi->n - 1] != pi->bounds[i])
			pi->bounds[pi->n++] = pi->bounds[i];
	}
	pi->first[0] = pi->bounds + (size_t)b->n * 2;
	pi->first[1] = pi->first[0] + (size_t)b->n * 2;
	for (proto = 0; proto < 2; proto++) {
		for (i = 0; i < pi->n; i++) {
			pi->first[proto][i] = RULE_NONE;
			next[i] = i;
		}
		next[pi->n] = pi->n;
		for (i = 0; i < b->n; i++) {
			const struct policy_rule *r = &rules[b->rules[i]];

			if (r->protos & (proto ? POLICY_PROTO_UDP : POLICY_PROTO_TCP))
				port_paint(pi, pi->first[proto], next, r,
					   b->rules[i]);
		}
	}
	free(next);
	return 0;
}

/**
 * bucket_lookup() - the lowest rule of @b matching the query's proto/port
 * @b:		bucket, with its port index built
 * @q:		query
 *
 * Return: a rule index, or RULE_NONE
 */
static uint32_t bucket_lookup(const struct bucket *b,
			      const struct policy_query *q)
{
	const struct port_index *pi = &b->ports;
	uint32_t best = RULE_NONE;
	long s;

	if (!b->n)
		return RULE_NONE;
	s = segment_of(pi, q->dst.port);
	if (s < 0)
		return RULE_NONE;
	if (q->protos & POLICY_PROTO_TCP)
		best = pi->first[0][s];
	if ((q->protos & POLICY_PROTO_UDP) && pi->first[1][s] < best)
		best = pi->first[1][s];
	return best;
}

/**
 * bucket_consider() - lower *@best if @b has a lower matching rule
 * @b:		bucket, or NULL
 * @q:		query
 * @best:	lowest matching rule so far, or RULE_NONE
 *
 * Return: true if *@best was lowered
 */
static bool bucket_consider(const struct bucket *b,
			    const struct policy_query *q, uint32_t *best)
{
	uint32_t r;

	/* b->rules[0] is the bucket's lowest rule: skip if no better. */
	if (!b || !b->n || b->rules[0] >= *best)
		return false;
	r = bucket_lookup(b, q);
	if (r >= *best)
		return false;
	*best = r;
	return true;
}

/* --- The index ---------------------------------------------------------- */

/**
 * prefix_key() - hash key of an address masked to @len bits
 * @a:		address
 * @len:	prefix length (not more than the address has)
 * @key:	output, PREFIX_KEY_LEN bytes
 *
 * Return: the key's length
 */
static size_t prefix_key(const struct tg_endpoint *a, unsigned int len,
			 uint8_t key[PREFIX_KEY_LEN])
{
	size_t n = tg_endpoint_addr_len(a), i;

	key[0] = a->family == AF_INET6 ? 6 : 4;
	key[1] = (uint8_t)len;
	for (i = 0; i < n; i++) {
		unsigned int bits = len > 8 * i ? len - 8 * (unsigned int)i : 0;

		key[2 + i] = bits >= 8 ? a->addr[i] :
			     (uint8_t)(a->addr[i] & (0xff00 >> bits));
	}
	return 2 + n;
}

/**
 * keyed_bucket() - the bucket of @key in @m, created if absent
 * @m:		map
 * @key:	key
 * @len:	its length
 * @created:	set to whether it was created
 *
 * Return: the bucket, or NULL if out of memory
 */
static struct bucket *keyed_bucket(struct keymap *m, const void *key,
				   size_t len, bool *created)
{
	struct bucket *b = keymap_get(m, key, len);

	*created = !b;
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (b && keymap_put(m, key, len, b)) {
		free(b);
		return NULL;
	}
	return b;
}

/**
 * rule_bucket() - the bucket rule @r belongs in, created if absent
 * @ix:		index
 * @r:		rule
 *
 * Return: the bucket, or NULL if out of memory
 */
static struct bucket *rule_bucket(struct policy_index *ix,
				  const struct policy_rule *r)
{
	uint8_t key[PREFIX_KEY_LEN];
	bool created;
	size_t len;

	switch (r->kind) {
	case POLICY_HOST_ANY:
		return &ix->any;
	case POLICY_HOST_LOOPBACK:
		return &ix->loopback;
	case POLICY_HOST_GATEWAY:
		return &ix->gateway;
	case POLICY_HOST_NAME:
		return keyed_bucket(&ix->names, r->name, strlen(r->name),
				    &created);
	case POLICY_HOST_WILDCARD:
		return keyed_bucket(&ix->wildcards, r->name, strlen(r->name),
				    &created);
	case POLICY_HOST_PREFIX:
		break;
	}
	len = prefix_key(&r->addr, r->prefix_len, key);
	return keyed_bucket(&ix->prefixes, key, len, &created);
}

/**
 * index_clear() - free everything the index holds; it is not ready
 * @ix:		index
 */
static void index_clear(struct policy_index *ix)
{
	bucket_free(&ix->any);
	bucket_free(&ix->loopback);
	bucket_free(&ix->gateway);
	keymap_free(&ix->prefixes, bucket_free_heap);
	keymap_free(&ix->names, bucket_free_heap);
	keymap_free(&ix->wildcards, bucket_free_heap);
	free(ix->set4.nodes);
	free(ix->set6.nodes);
	memset(ix, 0, sizeof(*ix));
}

/**
 * build_map_ports() - build the port index of every bucket in @m
 * @m:		map of buckets
 * @rules:	the policy's rules
 *
 * Return: 0, or -1 if out of memory
 */
static int build_map_ports(struct keymap *m, const struct policy_rule *rules)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key && port_index_build(m->slots[i].val, rules))
			return -1;
	}
	return 0;
}

/**
 * node_cmp() - qsort() order of prefix nodes: first address, then length
 */
static int node_cmp(const void *pa, const void *pb)
{
	const struct prefix_node *a = pa, *b = pb;
	int c = memcmp(a->first, b->first, sizeof(a->first));

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/**
 * prefix_set_link() - sort the nodes and link each to its parent
 * @set:	prefix set with its nodes filled in
 *
 * Walks the nodes in order with a stack of the prefixes enclosing the
 * current one: a node's parent is the innermost that still holds it.
 * Return: 0, or -1 if out of memory
 */
static int prefix_set_link(struct prefix_set *set)
{
	long *stack = malloc((set->n + 1) * sizeof(*stack));
	size_t i, depth = 0;

	if (!stack)
		return -1;
	qsort(set->nodes, set->n, sizeof(*set->nodes), node_cmp);
	for (i = 0; i < set->n; i++) {
		struct prefix_node *node = &set->nodes[i];

		while (depth && memcmp(node->first,
				       set->nodes[stack[depth - 1]].last,
				       set->alen) > 0)
			depth--;
		node->parent = depth ? stack[depth - 1] : -1;
		stack[depth++] = (long)i;
	}
	free(stack);
	return 0;
}

/**
 * prefix_sets_build() - the sorted prefix sets, from the prefix buckets
 * @ix:		index with its buckets filled
 * @rules:	the policy's rules
 *
 * Return: 0, or -1 if out of memory
 */
static int prefix_sets_build(struct policy_index *ix,
			     const struct policy_rule *rules)
{
	struct prefix_set *sets[2] = { &ix->set4, &ix->set6 };
	size_t i, k;

	ix->set4.alen = 4;
	ix->set6.alen = 16;
	for (k = 0; k < 2; k++) {
		sets[k]->nodes = calloc(ix->prefixes.n + 1,
					sizeof(struct prefix_node));
		if (!sets[k]->nodes)
			return -1;
	}
	for (i = 0; i < ix->prefixes.cap; i++) {
		struct bucket *b = ix->prefixes.slots[i].val;
		const struct policy_rule *r;
		struct prefix_node *node;
		struct prefix_set *set;

		if (!ix->prefixes.slots[i].key)
			continue;
		r = &rules[b->rules[0]];
		set = sets[r->addr.family == AF_INET6];
		node = &set->nodes[set->n++];
		node->len = r->prefix_len;
		node->bucket = b;
		for (k = 0; k < set->alen; k++) {
			unsigned int bits = node->len > 8 * k ?
					    node->len - 8 * (unsigned int)k : 0;
			uint8_t host = bits >= 8 ? 0 : (uint8_t)(0xff >> bits);

			node->first[k] = r->addr.addr[k] & (uint8_t)~host;
			node->last[k] = r->addr.addr[k] | host;
		}
	}
	return prefix_set_link(&ix->set4) || prefix_set_link(&ix->set6) ?
	       -1 : 0;
}

/**
 * consider_prefixes() - the address rules covering the query's address
 * @ix:		index
 * @q:		query
 * @best:	lowest matching rule so far
 */
static void consider_prefixes(const struct policy_index *ix,
			      const struct policy_query *q, uint32_t *best)
{
	const struct prefix_set *set;
	long lo = 0, hi, i = -1;

	if (q->dst.family == AF_INET)
		set = &ix->set4;
	else if (q->dst.family == AF_INET6)
		set = &ix->set6;
	else
		return;
	/* The last node starting at or before the address... */
	for (hi = (long)set->n - 1; lo <= hi; ) {
		long mid = lo + (hi - lo) / 2;

		if (memcmp(set->nodes[mid].first, q->dst.addr, set->alen) <= 0) {
			i = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	/* ...and those of its ancestors that hold it. */
	for (; i >= 0; i = set->nodes[i].parent) {
		if (memcmp(q->dst.addr, set->nodes[i].last, set->alen) <= 0)
			bucket_consider(set->nodes[i].bucket, q, best);
	}
}

/**
 * index_build() - put every rule of @p in its bucket, then index ports
 * @ix:		index, cleared
 * @p:		policy
 *
 * Return: 0, or -1 if out of memory (then clear @ix)
 */
static int index_build(struct policy_index *ix, const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		struct bucket *b = rule_bucket(ix, &p->rules[i]);

		if (!b || bucket_add(b, (uint32_t)i))
			return -1;
	}
	if (port_index_build(&ix->any, p->rules) ||
	    port_index_build(&ix->loopback, p->rules) ||
	    port_index_build(&ix->gateway, p->rules) ||
	    build_map_ports(&ix->prefixes, p->rules) ||
	    build_map_ports(&ix->names, p->rules) ||
	    build_map_ports(&ix->wildcards, p->rules) ||
	    prefix_sets_build(ix, p->rules))
		return -1;
	return 0;
}

/**
 * consider_names() - the hostname and wildcard rules matching any name
 * @ix:		index
 * @q:		query
 * @best:	lowest matching rule so far
 * @name:	set to the query's name that matched the rule now in @best
 *
 * Names are tried in the query's order and a later name replaces an
 * earlier only with a strictly lower rule, as policy_rule_matches() does.
 */
static void consider_names(const struct policy_index *ix,
			   const struct policy_query *q, uint32_t *best,
			   const char **name)
{
	char buf[POLICY_NAME_MAX + 1];
	size_t k, i;
	int len;

	for (k = 0; k < q->n_names; k++) {
		if (!q->names[k])
			continue;
		len = policy_name_normalize(q->names[k], buf);
		if (len < 0)
			continue;
		if (bucket_consider(keymap_get(&ix->names, buf, (size_t)len),
				    q, best))
			*name = q->names[k];
		if (!ix->wildcards.n)
			continue;
		/* From 1: "*.d" needs a label before the dot. */
		for (i = 1; i < (size_t)len; i++) {
			if (buf[i] != '.')
				continue;
			if (bucket_consider(keymap_get(&ix->wildcards,
						       buf + i + 1,
						       (size_t)len - i - 1),
					    q, best))
				*name = q->names[k];
		}
	}
}

/**
 * index_ready() - the index for @p, built if stale
 * @p:		policy
 *
 * Return: the index, or NULL to scan linearly (no memory to build it)
 */
static const struct policy_index *index_ready(const struct policy *p)
{
	struct policy_index *ix = p->index;

	if (!ix)
		return NULL;
	if (!ix->ready && !ix->failed) {
		if (index_build(ix, p)) {
			index_clear(ix);
			ix->failed = true;
		} else {
			ix->ready = true;
		}
	}
	return ix->ready ? ix : NULL;
}

/**
 * policy_index_stale() - rules were added: rebuild at the next decision
 * @p:		policy
 *
 * Return: 0, or -1 if the index holder could not be allocated
 */
int policy_index_stale(struct policy *p)
{
	if (!p->index) {
		p->index = calloc(1, sizeof(struct policy_index));
		return p->index ? 0 : -1;
	}
	index_clear(p->index);
	return 0;
}

/**
 * policy_index_free() - free the index, if any
 * @p:		policy
 */
void policy_index_free(struct policy *p)
{
	if (!p->index)
		return;
	index_clear(p->index);
	free(p->index);
	p->index = NULL;
}

/**
 * policy_name_may_be_allowed() - could a flow to an address of @name ever
 * be allowed?
 * @p:		policy
 * @name:	a DNS query name; matched as policy_name_matches() does
 *
 * Return: true if the default allows, or an allow rule that is not about
 * names covers more than port 53, or an allow rule's name matches @name
 */
bool policy_name_may_be_allowed(const struct policy *p, const char *name)
{
	size_t i;

	if (p->default_action == POLICY_ALLOW)
		return true;
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->action != POLICY_ALLOW)
			continue;
		if (r->kind != POLICY_HOST_NAME && r->kind != POLICY_HOST_WILDCARD) {
			/* A rule for port 53 alone is how the resolver is
			 * reached: it says nothing about other names. */
			if (r->port_min == 53 && r->port_max == 53)
				continue;
			return true;
		}
		if (policy_name_matches(r->name, r->kind == POLICY_HOST_WILDCARD,
					name))
			return true;
	}
	return false;
}

/**
 * policy_decide() - first matching rule, else the default
 * @p:		policy
 * @q:		the flow
 * @v:		output
 */
void policy_decide(const struct policy *p, const struct policy_query *q,
		   struct policy_verdict *v)
{
	const struct policy_index *ix;
	uint32_t best = RULE_NONE;
	const char *name = NULL;

	v->action = p->default_action;
	v->rule = NULL;
	v->name = NULL;
	if (!p->n_rules)
		return;
	ix = index_ready(p);
	if (!ix) {
		decide_linear(p, q, v);
		return;
	}
	bucket_consider(&ix->any, q, &best);
	if (q->scope == POLICY_SCOPE_LOOPBACK)
		bucket_consider(&ix->loopback, q, &best);
	else if (q->scope == POLICY_SCOPE_HOST)
		bucket_consider(&ix->gateway, q, &best);
	consider_prefixes(ix, q, &best);
	consider_names(ix, q, &best, &name);
	if (best == RULE_NONE)
		return;
	v->rule = &p->rules[best];
	v->action = v->rule->action;
	if (v->rule->kind == POLICY_HOST_NAME ||
	    v->rule->kind == POLICY_HOST_WILDCARD)
		v->name = name;
}

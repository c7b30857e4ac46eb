/* flow.h - the gateway's flow table: one entry per TCP connection or UDP
 * session, found by its (protocol, source, destination) key.
 *
 * The table is a fixed array sized once (--max-flows) plus a chained hash
 * index of 32-bit entry numbers; nothing is allocated per flow on the packet
 * path. An entry number with a generation count is what epoll events carry,
 * so an event for a flow that ended in the same epoll batch is recognised
 * as stale. The table itself is pure bookkeeping (no sockets, no lwIP) and
 * is unit-tested on its own; the per-protocol state it holds is used by
 * stack/tcp_*.c and stack/udp_*.c.
 */
#ifndef TUNGATE_FLOW_H
#define TUNGATE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/stack.h"
#include "util/util.h"

struct tcp_pcb;
struct pbuf;
struct flow_dns_stream;

/* Generations wrap at 24 bits: they share an epoll event's 64 bits with
 * an entry number and a type. */
#define FLOW_GEN_MASK	0xffffffU

/**
 * enum flow_state - life of an entry
 * @FLOW_FREE:		unused
 * @FLOW_TCP_CONNECTING: SYN held; upstream connect() in progress
 * @FLOW_TCP_HANDSHAKE:	upstream connected; SYN given to lwIP, waiting for
 *			the handshake inside to complete
 * @FLOW_TCP_PEEK:	admitted for peeking: handshake inside done or under
 *			way, no upstream yet; collecting the first bytes
 * @FLOW_TCP_PEEK_CONNECTING: decided on its first bytes; upstream connect()
 *			in progress (the program is connected already)
 * @FLOW_TCP_RELAY:	both ends connected; relaying
 * @FLOW_UDP:		a UDP session
 * @FLOW_REFLECT_TCP:	a TCP connection within the sandbox's loopback,
 *			delivered by reflection (stack/loop_reflect.c)
 * @FLOW_REFLECT_UDP:	a UDP session within the sandbox's loopback
 */
enum flow_state {
	FLOW_FREE = 0,
	FLOW_TCP_CONNECTING,
	FLOW_TCP_HANDSHAKE,
	FLOW_TCP_PEEK,
	FLOW_TCP_PEEK_CONNECTING,
	FLOW_TCP_RELAY,
	FLOW_UDP,
	FLOW_REFLECT_TCP,
	FLOW_REFLECT_UDP,
};

/**
 * struct flow_tcp - TCP relay state
 * @pcb:	lwIP's connection inside; NULL before accept and after lwIP
 *		freed it (error callback)
 * @syn:	copy of the SYN, held until upstream connects (malloc)
 * @syn_len:	its length
 * @upq_head:	data received inside, not yet written to the host socket:
 *		a list of pbufs linked by ->next (each owns ->len bytes)
 * @upq_tail:	last pbuf of that list
 * @upq_off:	bytes of @upq_head already written
 * @upq_bytes:	bytes queued in total (minus @upq_off)
 * @down_buf:	host data lwIP could not take yet (rare: lwIP out of memory)
 * @down_len:	bytes in @down_buf
 * @down_off:	bytes of @down_buf already given to lwIP
 * @in_fin:	the program sent FIN
 * @out_shut:	SHUT_WR done on the host socket (after @in_fin and the queue)
 * @host_eof:	the host socket reached end of file
 * @fin_sent:	FIN handed to lwIP (after @host_eof and @down_buf)
 * @lwip_gone:	lwIP freed the pcb (reset or aborted inside)
 * @reset:	lwIP's error was a reset from the program
 */
struct flow_tcp {
	struct tcp_pcb *pcb;
	uint8_t *syn;
	uint16_t syn_len;
	struct pbuf *upq_head;
	struct pbuf *upq_tail;
	uint32_t upq_off;
	uint32_t upq_bytes;
	uint8_t *down_buf;
	uint32_t down_len;
	uint32_t down_off;
	bool in_fin;
	bool out_shut;
	bool host_eof;
	bool fin_sent;
	bool lwip_gone;
	bool reset;
};

/**
 * struct flow_reflect - a loopback flow the gateway reflects
 * @seq_hi:	per direction (0: opener to peer, 1: back), the highest
 *		sequence number seen past the end of a segment's payload
 * @seq_set:	@seq_hi holds a value (SYN seen in that direction)
 * @fin:	per direction, FIN seen
 * @fin_seq:	per direction, the FIN's sequence number: nothing after it
 *		is payload (the ACKs that follow carry FIN + 1)
 */
struct flow_reflect {
	uint32_t seq_hi[2];
	bool seq_set[2];
	bool fin[2];
	uint32_t fin_seq[2];
};

/* Queries in flight per resolver session the gateway answers SERVFAIL for
 * if the host's resolver fails or stays silent; more are sent, untracked */
#define FLOW_DNS_PENDING	8
/* Room for a SERVFAIL answer: header, one question (name <= 255) */
#define FLOW_DNS_ANSWER_MAX	288

/**
 * struct flow_dns - a resolver session's queries in flight
 * @n:		slots in use
 * @id:		per slot, the query's message id
 * @deadline:	per slot, monotonic ms after which it gets SERVFAIL
 * @len:	per slot, length of @servfail
 * @servfail:	per slot, the SERVFAIL answer, built when the query left
 */
struct flow_dns {
	unsigned int n;
	uint16_t id[FLOW_DNS_PENDING];
	uint64_t deadline[FLOW_DNS_PENDING];
	uint16_t len[FLOW_DNS_PENDING];
	uint8_t servfail[FLOW_DNS_PENDING][FLOW_DNS_ANSWER_MAX];
};

/**
 * struct flow - one entry
 * @info:	what callbacks see: id, addresses, counters
 * @state:	enum flow_state
 * @gen:	bumped each time the entry is reused
 * @fd:		host socket, -1 if none
 * @events:	epoll events registered for @fd, 0 if not registered
 * @deadline:	monotonic ms at which the current state times out, 0 none
 * @last_ms:	monotonic ms of the last activity
 * @start_mono: monotonic ms of admission
 * @hash_next:	next entry in the hash chain (or free list), index + 1
 * @dirty_next:	next entry in the gateway's service list, index + 1
 * @dirty:	on the service list (both survive the entry's reuse)
 * @tcp:	TCP state (FLOW_TCP_*)
 * @reflect:	loopback reflection state (FLOW_REFLECT_*)
 * @dns:	a UDP resolver session's queries in flight (malloc), or NULL
 * @dstream:	a TCP resolver flow's message framing (dns_stream.c), or NULL
 */
struct flow {
	struct tg_flow_info info;
	enum flow_state state;
	uint32_t gen;
	int fd;
	uint32_t events;
	uint64_t deadline;
	uint64_t last_ms;
	uint64_t start_mono;
	uint32_t hash_next;
	uint32_t dirty_next;
	bool dirty;
	struct flow_tcp tcp;
	struct flow_reflect reflect;
	struct flow_dns *dns;
	struct flow_dns_stream *dstream;
};

/**
 * struct flow_table - the table
 * @flows:	entries
 * @capacity:	number of entries
 * @used:	entries in use
 * @buckets:	hash buckets, each an entry index + 1 (0: empty)
 * @bucket_mask: number of buckets - 1 (a power of two)
 * @high_water: entries below this index have been used at least once:
 *		scans stop there
 * @free_head:	first free entry, index + 1
 * @seed:	hash key, random per table
 * @next_id:	id for the next flow
 */
struct flow_table {
	struct flow *flows;
	uint32_t capacity;
	uint32_t used;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t high_water;
	uint32_t free_head;
	uint64_t seed;
	uint64_t next_id;
};

/**
 * flow_table_init() - allocate a table of @capacity entries
 * @t:		table
 * @capacity:	entries, 1..TG_MAX_FLOWS_LIMIT
 * @seed:	hash key (random, so a program cannot aim for one chain)
 *
 * Return: 0, -EINVAL or -ENOMEM
 */
int flow_table_init(struct flow_table *t, uint32_t capacity, uint64_t seed);

/**
 * flow_table_fini() - free the table (entries must be finished already)
 */
void flow_table_fini(struct flow_table *t);

/**
 * flow_table_lookup() - find a flow by key
 * @t:		table
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @src:	source (inside)
 * @dst:	destination
 *
 * Return: the flow, or NULL
 */
struct flow *flow_table_lookup(const struct flow_table *t, uint8_t proto,
			       const struct tg_endpoint *src,
			       const struct tg_endpoint *dst);

/**
 * flow_table_insert() - take a free entry for a new key
 * @t:		table
 * @proto:	protocol
 * @src:	source
 * @dst:	destination
 * @state:	initial state (not FLOW_FREE)
 *
 * The caller has checked the key is not present. The entry is zeroed but
 * for its key, a new id and generation, fd = -1 and its service-list link.
 *
 * Return: the flow, or NULL if the table is full
 */
struct flow *flow_table_insert(struct flow_table *t, uint8_t proto,
			       const struct tg_endpoint *src,
			       const struct tg_endpoint *dst,
			       enum flow_state state);

/**
 * flow_table_remove() - unhash @f and return its entry to the free list
 */
void flow_table_remove(struct flow_table *t, struct flow *f);

/**
 * flow_table_index() - entry number of @f
 */
static inline uint32_t flow_table_index(const struct flow_table *t,
					const struct flow *f)
{
	return (uint32_t)(f - t->flows);
}

/**
 * flow_table_get() - the entry at @idx if it is in use with generation @gen
 *
 * Return: the flow, or NULL for a stale or free entry
 */
struct flow *flow_table_get(const struct flow_table *t, uint32_t idx,
			    uint32_t gen);

#endif /* TUNGATE_FLOW_H */

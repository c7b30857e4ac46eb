/* stack.h - the gateway: a userspace TCP/IP stack (lwIP) on a TUN device
 * that terminates every TCP connection and UDP datagram coming out of the
 * sandbox and relays each one through a socket of its own on the host.
 *
 * This is the interface cmd/ uses, and the one libtungate will grow from:
 * a caller hands over a configured TUN descriptor, a verdict callback that
 * admits or refuses each new flow, and a callback told when a flow ends;
 * the stack runs one epoll loop that the caller may add descriptors to.
 * The stack knows nothing of rules or logs, and nothing of namespaces.
 */
#ifndef TUNGATE_STACK_H
#define TUNGATE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct tg_stack;

/**
 * enum tg_scope - where a flow's destination lies, as seen from inside
 * @TG_SCOPE_EXTERNAL:	anywhere outside: relayed from the host's network
 * @TG_SCOPE_HOST:	the gateway address: relayed to the host's loopback
 * @TG_SCOPE_LOOPBACK:	the sandbox's own loopback or own addresses
 */
enum tg_scope {
	TG_SCOPE_EXTERNAL,
	TG_SCOPE_HOST,
	TG_SCOPE_LOOPBACK,
};

/**
 * enum tg_flow_end - why a flow ended
 * @TG_END_CLOSED:	both sides closed normally (or UDP idle timeout)
 * @TG_END_DENIED:	refused at admission by the verdict callback
 * @TG_END_REFUSED:	the upstream host refused (TCP RST, ICMP)
 * @TG_END_UNREACHABLE:	the upstream host could not be reached
 * @TG_END_RESET:	reset by either side while relaying
 * @TG_END_TIMEOUT:	a handshake or idle deadline passed
 * @TG_END_LIMIT:	the flow table was full
 * @TG_END_SHUTDOWN:	the gateway stopped while the flow was open
 * @TG_END_ERROR:	a local error (out of memory, descriptors)
 */
enum tg_flow_end {
	TG_END_CLOSED,
	TG_END_DENIED,
	TG_END_REFUSED,
	TG_END_UNREACHABLE,
	TG_END_RESET,
	TG_END_TIMEOUT,
	TG_END_LIMIT,
	TG_END_SHUTDOWN,
	TG_END_ERROR,
};

/**
 * struct tg_flow_info - one flow, as the callbacks see it
 * @id:		unique, increasing from 1
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @scope:	where @dst lies
 * @src:	the program's end (address inside the sandbox)
 * @dst:	the destination the program asked for
 * @upstream:	where the gateway relays to (differs from @dst for
 *		TG_SCOPE_HOST: the host's loopback)
 * @bytes_out:	payload bytes relayed from the program to @upstream
 * @bytes_in:	payload bytes relayed from @upstream to the program
 * @start_ms:	wall-clock time the flow was admitted (ms since the epoch)
 * @duration_ms: lifetime so far (set when the flow ends)
 * @end:	why it ended (valid in the end callback)
 * @resolver:	a DNS flow (port 53, UDP or TCP) to one of the resolvers in
 *		struct tg_stack_config: always relayed, even when the address
 *		is a loopback one inside (127.0.0.53), to the same address on
 *		the host; a query the host never answers gets SERVFAIL
 * @peeked:	the verdict was taken on the program's first bytes
 *		(TG_VERDICT_PEEK)
 * @tag:	set by the verdict callback, handed back at the end
 */
struct tg_flow_info {
	uint64_t id;
	uint8_t proto;
	enum tg_scope scope;
	struct tg_endpoint src;
	struct tg_endpoint dst;
	struct tg_endpoint upstream;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t start_ms;
	uint64_t duration_ms;
	enum tg_flow_end end;
	bool resolver;
	bool peeked;
	void *tag;
};

/**
 * enum tg_verdict - what the verdict callback says about a new flow
 * @TG_VERDICT_DENY:	refuse it: RST (TCP) or ICMP administratively
 *			prohibited (UDP), nothing is sent upstream
 * @TG_VERDICT_ALLOW:	relay it
 * @TG_VERDICT_PEEK:	TCP only (UDP: deny): complete the handshake inside
 *			without connecting upstream, collect the program's
 *			first bytes (up to TG_PEEK_MAX, for TG_PEEK_MS at
 *			most) and ask the peek callback; its answer decides
 */
enum tg_verdict {
	TG_VERDICT_DENY = 0,
	TG_VERDICT_ALLOW = 1,
	TG_VERDICT_PEEK = 2,
};

/* Bytes a peeking flow collects at most before the last peek call */
#define TG_PEEK_MAX	16384
/* How long a peeking flow waits for the program's first bytes */
#define TG_PEEK_MS	3000

/**
 * typedef tg_verdict_fn - decide whether a new flow may happen
 * @ctx:	the caller's context (struct tg_stack_config.cb_ctx)
 * @flow:	the flow; the callback may set @flow->tag
 *
 * Called once per flow, before anything is sent upstream. The callback may
 * change @flow->upstream (to relay somewhere else than @flow->dst: the
 * real address behind a made-up one, say). Return: the verdict.
 */
typedef enum tg_verdict (*tg_verdict_fn)(void *ctx, struct tg_flow_info *flow);

/**
 * typedef tg_peek_fn - decide a TCP flow on the program's first bytes
 * @ctx:	the caller's context
 * @flow:	the flow (TG_VERDICT_PEEK was its verdict); @flow->upstream
 *		may still be changed
 * @data:	the first bytes the program sent, from the start
 * @len:	how many (grows from call to call)
 * @final:	no more will come: TG_PEEK_MAX reached, TG_PEEK_MS passed,
 *		or the program closed its side; TG_VERDICT_PEEK then means deny
 *
 * Called each time more bytes arrive, until it returns allow or deny.
 * Allowed, the flow connects upstream and relays everything from the first
 * byte; if upstream then fails, the program sees a reset.
 */
typedef enum tg_verdict (*tg_peek_fn)(void *ctx, struct tg_flow_info *flow,
				      const uint8_t *data, size_t len,
				      bool final);

/**
 * typedef tg_flow_end_fn - a flow ended (also called for refused flows)
 * @ctx:	the caller's context
 * @flow:	final counters and reason
 */
typedef void (*tg_flow_end_fn)(void *ctx, const struct tg_flow_info *flow);

/**
 * typedef tg_datagram_fn - a UDP datagram about to be relayed: from the
 * program to upstream (datagram_out: a DNS query to answer locally, say),
 * or from upstream to the program (datagram_in: a DNS answer to learn
 * names from, or to rewrite)
 * @ctx:	the caller's context
 * @flow:	its flow (already admitted)
 * @data:	payload
 * @len:	its length
 * @reply:	buffer for what to send instead, always to the program
 * @reply_len:	in: room in @reply; out: its length (0: nothing)
 *
 * Return: true to relay the datagram as it is, false to drop it (and send
 * @reply to the program if @reply_len was set)
 */
typedef bool (*tg_datagram_fn)(void *ctx, const struct tg_flow_info *flow,
			       const uint8_t *data, size_t len,
			       uint8_t *reply, size_t *reply_len);

/* Resolvers a sandbox's resolv.conf may name that the gateway serves */
#define TG_RESOLVERS_MAX	8
/* A resolver query unanswered this long gets SERVFAIL from the gateway
 * (below the usual 5 s client timeout, so the program gets an answer
 * instead of retrying into a black hole) */
#define TG_RESOLVER_TIMEOUT_MS	4000

/**
 * struct tg_stack_config - how to run the stack
 * @tun_fd:	TUN descriptor (IFF_TUN, IFF_NO_PI, non-blocking); the stack
 *		owns it from tg_stack_new() on
 * @vnet_hdr:	@tun_fd was opened with IFF_VNET_HDR and TUN_F_CSUM: every
 *		packet carries a struct virtio_net_hdr, and TCP/UDP checksums
 *		are left to the other side (neither end sums the payload)
 * @mtu:	the TUN's MTU
 * @gateway4:	the gateway's IPv4 address inside (10.12.0.1); flows to it
 *		go to the host's 127.0.0.1
 * @gateway6:	the gateway's IPv6 address inside (fd12::1); flows to it go
 *		to the host's ::1
 * @sandbox4:	the sandbox's own IPv4 address (10.12.0.2)
 * @sandbox6:	the sandbox's own IPv6 address (fd12::2)
 * @prefix4:	prefix length of the sandbox's IPv4 link (24): its network
 *		and broadcast addresses are never relayed
 * @max_flows:	size of the flow table (TCP and UDP together)
 * @udp_idle_ms: a UDP session with no datagram either way for this long ends
 * @drain_ms:	after tg_stack_drain(), how long open flows may take to end
 * @resolvers:	the sandbox's DNS servers, as its resolv.conf names them
 *		(port 53): flows to them are resolver flows (@resolver in
 *		struct tg_flow_info)
 * @n_resolvers: how many
 * @verdict:	admission callback (NULL: allow everything)
 * @peek:	first-bytes callback for TG_VERDICT_PEEK (NULL: never peek)
 * @flow_end:	end-of-flow callback (may be NULL)
 * @datagram_in: called for each UDP datagram from upstream (may be NULL)
 * @datagram_out: called for each UDP datagram to upstream (may be NULL)
 * @cb_ctx:	passed to the callbacks
 */
struct tg_stack_config {
	int tun_fd;
	bool vnet_hdr;
	unsigned int mtu;
	struct tg_endpoint gateway4;
	struct tg_endpoint gateway6;
	struct tg_endpoint sandbox4;
	struct tg_endpoint sandbox6;
	unsigned int prefix4;
	unsigned int max_flows;
	unsigned int udp_idle_ms;
	unsigned int drain_ms;
	struct tg_endpoint resolvers[TG_RESOLVERS_MAX];
	unsigned int n_resolvers;
	tg_verdict_fn verdict;
	tg_peek_fn peek;
	tg_flow_end_fn flow_end;
	tg_datagram_fn datagram_in;
	tg_datagram_fn datagram_out;
	void *cb_ctx;
};

#define TG_MAX_FLOWS_DEFAULT	16384
#define TG_MAX_FLOWS_LIMIT	(1U << 20)
#define TG_UDP_IDLE_MS_DEFAULT	60000
#define TG_DRAIN_MS_DEFAULT	5000

/**
 * struct tg_stack_stats - counters over the stack's lifetime
 * @flows_tcp:		TCP flows admitted
 * @flows_udp:		UDP flows admitted
 * @flows_denied:	flows refused by the verdict callback
 * @flows_over_limit:	flows refused because the table was full
 * @flows_active:	flows open now
 * @tun_rx_packets:	packets read from the TUN
 * @tun_tx_packets:	packets written to the TUN
 * @tun_rx_dropped:	packets read but not handled (malformed, not TCP/UDP)
 * @tun_tx_errors:	packets the TUN refused
 */
struct tg_stack_stats {
	uint64_t flows_tcp;
	uint64_t flows_udp;
	uint64_t flows_denied;
	uint64_t flows_over_limit;
	uint64_t flows_active;
	uint64_t tun_rx_packets;
	uint64_t tun_tx_packets;
	uint64_t tun_rx_dropped;
	uint64_t tun_tx_errors;
};

/**
 * tg_stack_new() - set up lwIP and the event loop around a TUN descriptor
 * @cfg:	configuration (copied)
 *
 * Return: the stack, or NULL with errno set (EINVAL for a bad @cfg)
 */
struct tg_stack *tg_stack_new(const struct tg_stack_config *cfg);

/**
 * typedef tg_fd_fn - callback for a descriptor added with tg_stack_watch()
 * @arg:	as given to tg_stack_watch()
 * @events:	epoll events
 */
typedef void (*tg_fd_fn)(void *arg, uint32_t events);

/**
 * tg_stack_watch() - have the loop call @fn when @fd is readable
 * @stack:	stack
 * @fd:		descriptor (e.g. a signalfd); the caller keeps ownership
 * @fn:		callback
 * @arg:	its argument
 *
 * Return: 0, or -errno
 */
int tg_stack_watch(struct tg_stack *stack, int fd, tg_fd_fn fn, void *arg);

/**
 * tg_stack_run() - run the event loop until tg_stack_stop() or the drain ends
 * @stack:	stack
 *
 * Return: 0, or -errno if the loop itself failed (epoll, TUN read error)
 */
int tg_stack_run(struct tg_stack *stack);

/**
 * tg_stack_drain() - admit no new flow; end the loop once open flows end
 * @stack:	stack
 *
 * Flows still open after drain_ms are reset. Used when the program exits:
 * what it wrote just before exiting still reaches its destination.
 */
void tg_stack_drain(struct tg_stack *stack);

/**
 * tg_stack_stop() - end the loop at the next iteration
 * @stack:	stack
 */
void tg_stack_stop(struct tg_stack *stack);

/**
 * tg_stack_stats() - read the counters
 * @stack:	stack
 * @stats:	output
 */
void tg_stack_stats(const struct tg_stack *stack, struct tg_stack_stats *stats);

/**
 * tg_stack_free() - reset every open flow, close every descriptor, free
 * @stack:	stack, may be NULL
 *
 * Open flows are reported to the end callback with TG_END_SHUTDOWN.
 */
void tg_stack_free(struct tg_stack *stack);

/**
 * tg_scope_name() - "external", "host" or "loopback"
 */
const char *tg_scope_name(enum tg_scope scope);

/**
 * tg_flow_end_name() - short name of an end reason ("closed", "refused", ...)
 */
const char *tg_flow_end_name(enum tg_flow_end end);

#endif /* TUNGATE_STACK_H */

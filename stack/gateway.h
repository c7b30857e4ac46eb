/* gateway.h - internal interface between the files of stack/.
 *
 * lwIP's headers and glibc's socket headers do not mix well (TCP_MSS,
 * byte-order macros), so the stack is split along that line: files named
 * *_lwip.c and lwip_glue.c talk to lwIP, files named *_relay.c and
 * tun_io.c talk to the kernel, gateway.c runs the loop. This header,
 * included by all of them, uses neither: lwIP objects appear only as
 * opaque pointers.
 *
 * Flow of control: the epoll loop (gateway.c) reads the TUN (tun_io.c),
 * which admits new TCP flows (tcp_relay.c) and feeds packets to lwIP
 * (lwip_glue.c). lwIP's callbacks (tcp_lwip.c, udp_lwip.c) never do
 * socket I/O themselves: they record what happened and put the flow on
 * the service list, which the loop works through after each batch of
 * events (gateway_service()). That keeps lwIP out of reentrancy trouble
 * and batches host writes per burst of TUN reads.
 */
#ifndef TUNGATE_GATEWAY_H
#define TUNGATE_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "stack/flow.h"
#include "stack/packet.h"
#include "stack/stack.h"

struct virtio_net_hdr;

/* Largest IP packet on the TUN: 65520 from routes, 65536 captured from lo
 * (its MTU), plus room to notice anything longer. */
#define GATEWAY_PACKET_MAX	(65536 + 64)
/* Pieces of one packet written to the TUN at most (lwIP pbuf chains) */
#define TUN_IO_IOV_MAX		16
/* Packets read from the TUN per wakeup before host sockets get a turn. */
#define GATEWAY_TUN_BURST	64
/* How long the handshake inside may take once upstream has connected. */
#define GATEWAY_HANDSHAKE_MS	20000
/* Longest upstream connect() before the flow is dropped, a safety net:
 * the kernel's own SYN retries normally end it first (~130 s). */
#define GATEWAY_CONNECT_MS	180000
/* How long a resolver that let a query time out is taken for silent */
#define GATEWAY_RESOLVER_SILENT_MS	30000
/* External descriptors (signalfd, ...) the caller may add. */
#define GATEWAY_MAX_WATCHES	8

/**
 * enum gateway_ref_type - owner of an epoll event
 * @REF_TUN:	the TUN device
 * @REF_TCP:	a TCP flow's host socket
 * @REF_UDP:	a UDP flow's host socket
 * @REF_WATCH:	a descriptor added by tg_stack_watch()
 */
enum gateway_ref_type {
	REF_TUN = 1,
	REF_TCP,
	REF_UDP,
	REF_WATCH,
};

/**
 * struct gateway_watch - an external descriptor
 */
struct gateway_watch {
	int fd;
	tg_fd_fn fn;
	void *arg;
};

/**
 * struct tg_stack - the gateway (one per process: lwIP's state is global)
 * @cfg:	configuration
 * @epfd:	epoll descriptor
 * @flows:	flow table
 * @service_head: flows needing service after this batch, index + 1
 * @service_tail: last of them
 * @running:	the loop runs
 * @draining:	no new flows; stop once the table is empty
 * @drain_deadline: monotonic ms at which draining flows are reset
 * @timed_flows: flows with a deadline or an idle timeout (sweep needed)
 * @next_sweep:	monotonic ms of the next deadline sweep
 * @watches:	external descriptors
 * @n_watches:	their number
 * @stats:	counters
 * @resolver_silent_until: per resolver, monotonic ms until which it is
 *		taken for silent (a query timed out): queries get SERVFAIL
 *		at once, while still being sent, until one is answered
 * @rx_hdr:	virtio-net header of the packet being handled (vnet_hdr)
 * @tun_buf:	buffer for the packet being read from the TUN
 * @buf:	scratch buffer for one host read (relays)
 */
struct tg_stack {
	struct tg_stack_config cfg;
	int epfd;
	struct flow_table flows;
	uint32_t service_head;
	uint32_t service_tail;
	bool running;
	bool draining;
	uint64_t drain_deadline;
	uint32_t timed_flows;
	uint64_t next_sweep;
	struct gateway_watch watches[GATEWAY_MAX_WATCHES];
	unsigned int n_watches;
	struct tg_stack_stats stats;
	uint64_t resolver_silent_until[TG_RESOLVERS_MAX];
	struct virtio_net_hdr *rx_hdr;
	uint8_t *tun_buf;
	uint8_t *buf;
};

/* --- gateway.c ------------------------------------------------------------ */

/**
 * gateway_admit() - create a flow for a new key and ask the verdict
 * @g:		gateway
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @src:	source inside
 * @dst:	destination
 * @state:	initial state
 * @end:	set to why, when NULL is returned
 *
 * A TCP flow the verdict callback wants to peek into comes back in state
 * FLOW_TCP_PEEK, whatever @state said.
 *
 * Return: the new flow, or NULL when refused (table full, draining, denied;
 * the end callback has been told already)
 */
struct flow *gateway_admit(struct tg_stack *g, uint8_t proto,
			   const struct tg_endpoint *src,
			   const struct tg_endpoint *dst,
			   enum flow_state state, enum tg_flow_end *end);

/**
 * gateway_finish() - report a flow's end and free its entry
 * @g:		gateway
 * @f:		flow; its socket and lwIP state must be released already
 * @end:	reason
 */
void gateway_finish(struct tg_stack *g, struct flow *f, enum tg_flow_end end);

/**
 * gateway_flow_events() - set the epoll events wanted for a flow's socket
 * @g:		gateway
 * @f:		flow with a socket
 * @events:	EPOLLIN, EPOLLOUT or both; 0 removes the socket from epoll
 *		(EPOLLHUP cannot be masked otherwise, and would spin)
 *
 * Return: 0, or -errno
 */
int gateway_flow_events(struct tg_stack *g, struct flow *f, uint32_t events);

/**
 * gateway_mark() - put @f on the service list (idempotent)
 */
void gateway_mark(struct tg_stack *g, struct flow *f);

/**
 * gateway_set_deadline() - arm or clear (@ms 0) a flow's deadline
 */
void gateway_set_deadline(struct tg_stack *g, struct flow *f, uint64_t ms);

/**
 * gateway_scope() - where a destination lies (no upstream: per packet)
 * @cfg:	configuration (gateway and sandbox addresses)
 * @dst:	destination as the program asked
 *
 * Pure. Return: the scope
 */
enum tg_scope gateway_scope(const struct tg_stack_config *cfg,
			    const struct tg_endpoint *dst);

/**
 * gateway_is_resolver() - is @dst (address and port) one of the resolvers?
 * @cfg:	configuration
 * @dst:	destination as the program asked
 *
 * Pure.
 */
bool gateway_is_resolver(const struct tg_stack_config *cfg,
			 const struct tg_endpoint *dst);

/**
 * gateway_classify() - scope of a destination, and where to relay it
 * @cfg:	configuration (gateway and sandbox addresses)
 * @dst:	destination as the program asked
 * @upstream:	set to the address to connect to on the host
 *
 * Pure. Return: the scope
 */
enum tg_scope gateway_classify(const struct tg_stack_config *cfg,
			       const struct tg_endpoint *dst,
			       struct tg_endpoint *upstream);

/* --- loop_reflect.c ------------------------------------------------------ */

/**
 * loop_reflect_packet() - a packet to the sandbox's own loopback or address
 * @g:		gateway
 * @pkt:	the packet (written back into the TUN if its flow is allowed)
 * @len:	its length
 * @pi:		@pkt parsed
 *
 * Return: true if handled (reflected or refused), false to drop it
 */
bool loop_reflect_packet(struct tg_stack *g, const uint8_t *pkt, size_t len,
			 const struct packet_info *pi);

/**
 * loop_reflect_expire() - a reflected flow's linger or idle deadline passed
 */
void loop_reflect_expire(struct tg_stack *g, struct flow *f);

/* --- tun_io.c ------------------------------------------------------------- */

/**
 * tun_io_read_burst() - read and handle up to GATEWAY_TUN_BURST packets
 *
 * Return: 0, or -errno for a fatal TUN error
 */
int tun_io_read_burst(struct tg_stack *g);

/**
 * tun_io_write() - write one packet to the TUN, from an iovec
 *
 * With a virtio-net header on the TUN, the packet gets an empty one: its
 * checksums are complete.
 *
 * Return: 0, or -errno (the packet is dropped; counted)
 */
int tun_io_write(struct tg_stack *g, const struct iovec *iov, int iovcnt);

/**
 * tun_io_write_hdr() - tun_io_write() with the packet's virtio-net header
 * @hdr:	the header (NULL: an empty one); ignored without vnet_hdr
 */
int tun_io_write_hdr(struct tg_stack *g, const struct virtio_net_hdr *hdr,
		     const struct iovec *iov, int iovcnt);

/**
 * tun_io_send_reply() - build and send a RST or ICMP error for a packet
 * @g:		gateway
 * @pkt:	the packet from the sandbox being answered
 * @len:	its length
 * @pi:		@pkt parsed
 * @reason:	for ICMP; ignored for TCP RST
 * @rst:	true: TCP RST; false: ICMP unreachable
 */
void tun_io_send_reply(struct tg_stack *g, const uint8_t *pkt, size_t len,
		       const struct packet_info *pi,
		       enum packet_unreach reason, bool rst);

/* --- lwip_glue.c ---------------------------------------------------------- */

/**
 * lwip_glue_init() - initialise lwIP and the TUN netif
 *
 * Return: 0, or -errno
 */
int lwip_glue_init(struct tg_stack *g);

/**
 * lwip_glue_fini() - forget the gateway (lwIP's memory goes with the process)
 */
void lwip_glue_fini(struct tg_stack *g);

/**
 * lwip_glue_input() - hand a packet from the TUN to lwIP
 * @pkt:	packet (copied)
 * @len:	its length
 * @dst:	its destination, which becomes the netif's address for the
 *		time lwIP processes it
 *
 * The caller makes sure a listener (TCP SYN) or bound pcb (UDP) exists for
 * the destination port.
 *
 * Return: 0, or -ENOMEM
 */
int lwip_glue_input(const uint8_t *pkt, size_t len,
		    const struct tg_endpoint *dst);

/**
 * lwip_glue_timers() - run lwIP's due timers
 *
 * Return: ms until the next one is due
 */
uint32_t lwip_glue_timers(void);

/* --- tcp_relay.c ---------------------------------------------------------- */

/**
 * tcp_relay_syn() - a SYN from the sandbox for a flow not in the table
 * @g:		gateway
 * @pkt:	the SYN packet
 * @len:	its length
 * @pi:		@pkt parsed
 *
 * Admits the flow and starts the upstream connect; the SYN is held until
 * upstream answers, then given to lwIP (or answered with RST / ICMP).
 */
void tcp_relay_syn(struct tg_stack *g, const uint8_t *pkt, size_t len,
		   const struct packet_info *pi);

/**
 * tcp_relay_event() - epoll event on a TCP flow's host socket
 */
void tcp_relay_event(struct tg_stack *g, struct flow *f, uint32_t events);

/**
 * tcp_relay_service() - move data both ways and advance the flow's state
 */
void tcp_relay_service(struct tg_stack *g, struct flow *f);

/**
 * tcp_relay_expire() - the flow's deadline passed
 */
void tcp_relay_expire(struct tg_stack *g, struct flow *f);

/**
 * tcp_relay_shutdown() - reset a flow because the gateway stops
 */
void tcp_relay_shutdown(struct tg_stack *g, struct flow *f);

/* --- tcp_lwip.c ----------------------------------------------------------- */

/**
 * tcp_lwip_feed_syn() - give the held SYN to lwIP (upstream is connected)
 *
 * Return: 0, or -ENOMEM
 */
int tcp_lwip_feed_syn(struct tg_stack *g, struct flow *f);

/**
 * tcp_lwip_feed_packet() - give a SYN to lwIP at once (a peeking flow:
 * nothing to wait for upstream)
 *
 * Return: 0, or -ENOMEM
 */
int tcp_lwip_feed_packet(struct tg_stack *g, const struct flow *f,
			 const uint8_t *pkt, size_t len);

/**
 * tcp_lwip_upload_copy() - copy up to @cap queued inside bytes, from
 * @skip bytes into the queue (a peeking flow's first bytes, a DNS message);
 * they stay queued
 *
 * Return: bytes copied
 */
size_t tcp_lwip_upload_copy(const struct flow *f, size_t skip, uint8_t *out,
			    size_t cap);

/**
 * tcp_lwip_upload_iov() - describe queued inside data as an iovec
 * @f:		flow
 * @iov:	output
 * @max:	entries available
 *
 * Return: number of entries filled
 */
int tcp_lwip_upload_iov(const struct flow *f, struct iovec *iov, int max);

/**
 * tcp_lwip_upload_consume() - @n queued bytes reached the host socket:
 * free them and open lwIP's receive window by as much
 */
void tcp_lwip_upload_consume(struct flow *f, size_t n);

/**
 * tcp_lwip_send_space() - bytes lwIP can take for the program now
 */
size_t tcp_lwip_send_space(const struct flow *f);

/**
 * tcp_lwip_write() - queue data for the program (copied)
 *
 * Return: bytes taken (may be fewer than @len if lwIP is out of memory)
 */
size_t tcp_lwip_write(struct flow *f, const uint8_t *data, size_t len);

/**
 * tcp_lwip_output() - send what tcp_lwip_write() queued
 */
void tcp_lwip_output(struct flow *f);

/**
 * tcp_lwip_shutdown_tx() - send FIN to the program after queued data
 */
void tcp_lwip_shutdown_tx(struct flow *f);

/**
 * tcp_lwip_unacked() - bytes sent to the program but not yet acknowledged
 */
size_t tcp_lwip_unacked(const struct flow *f);

/**
 * tcp_lwip_detach() - let go of the pcb once both FINs are through (the
 * upload queue stays with the flow); lwIP finishes or frees it alone
 */
void tcp_lwip_detach(struct flow *f);

/**
 * tcp_lwip_release() - detach from lwIP: close gracefully or reset
 * @f:		flow
 * @reset:	send RST (tcp_abort) instead of closing
 *
 * Also frees the upload queue. Safe when lwIP already freed the pcb.
 */
void tcp_lwip_release(struct flow *f, bool reset);

/* --- dns_stream.c: DNS over TCP to a resolver, message by message --------- */

/**
 * dns_stream_open() - give a resolver TCP flow its framing state
 *
 * Return: 0, or -ENOMEM
 */
int dns_stream_open(struct flow *f);

/**
 * dns_stream_free() - free it (NULL state is fine)
 */
void dns_stream_free(struct flow *f);

/**
 * dns_stream_check_upload() - judge the whole queries queued from the
 * program (datagram_out); refused ones are dropped and answered
 *
 * Return: 0, or -errno (the flow must end)
 */
int dns_stream_check_upload(struct tg_stack *g, struct flow *f);

/**
 * dns_stream_sendable() - queued bytes judged and to be written upstream
 */
uint32_t dns_stream_sendable(const struct flow *f);

/**
 * dns_stream_sent() - @n of them were written
 */
void dns_stream_sent(struct flow *f, size_t n);

/**
 * dns_stream_read_host() - read whole answers from the host socket, judge
 * them (datagram_in) and give them to lwIP in order
 *
 * Return: 0, or -errno (the flow must end)
 */
int dns_stream_read_host(struct tg_stack *g, struct flow *f);

/**
 * dns_stream_idle() - nothing is waiting for lwIP
 */
bool dns_stream_idle(const struct flow *f);

/* --- udp_relay.c / udp_lwip.c --------------------------------------------- */

/**
 * udp_relay_from_inside() - a datagram from the program (lwIP reassembled it)
 * @g:		gateway
 * @src:	source inside
 * @dst:	destination as the program asked
 * @data:	payload, contiguous
 * @len:	its length
 */
void udp_relay_from_inside(struct tg_stack *g, const struct tg_endpoint *src,
			   const struct tg_endpoint *dst,
			   const uint8_t *data, size_t len);

/**
 * udp_relay_event() - epoll event on a UDP session's host socket
 */
void udp_relay_event(struct tg_stack *g, struct flow *f, uint32_t events);

/**
 * udp_relay_expire() - idle timeout check; ends the session if idle
 */
void udp_relay_expire(struct tg_stack *g, struct flow *f);

/**
 * udp_relay_close() - close the session's socket and finish it
 */
void udp_relay_close(struct tg_stack *g, struct flow *f, enum tg_flow_end end);

/**
 * udp_lwip_send() - send a datagram to the program, from the session's
 * destination address and port
 *
 * Return: 0, or -errno
 */
int udp_lwip_send(struct tg_stack *g, const struct flow *f,
		  const uint8_t *data, size_t len);

/**
 * udp_lwip_bind_port() - make sure a pcb receives datagrams to @port
 *
 * Return: 0, or -ENOMEM
 */
int udp_lwip_bind_port(struct tg_stack *g, uint16_t port);

/**
 * tcp_lwip_close_listeners() - close every listener (at gateway exit)
 */
void tcp_lwip_close_listeners(void);

/**
 * udp_lwip_close_ports() - remove every bound UDP pcb (at gateway exit)
 */
void udp_lwip_close_ports(void);

/**
 * lwip_glue_netif() - the TUN netif (for udp_sendto_if_src())
 */
struct netif *lwip_glue_netif(void);

/**
 * tcp_lwip_listen_port() - make sure a listener accepts SYNs to @port
 *
 * Return: 0, or -ENOMEM
 */
int tcp_lwip_listen_port(struct tg_stack *g, uint16_t port);

#endif /* TUNGATE_GATEWAY_H */

/* loop_reflect.c - the sandbox's own loopback traffic, policed and
 * delivered by reflection.
 *
 * Inside the sandbox, packets to 127.0.0.0/8, ::1 and the sandbox's own
 * addresses are routed into the TUN like any other (netns/ sets this up), so
 * the gateway sees them. They need no upstream: to deliver an allowed flow
 * the gateway writes each packet back into the TUN unchanged, and the
 * kernel, seeing it arrive on tun0 rather than from a local socket, delivers
 * it locally. The server's replies come out of the TUN the same way and are
 * reflected too. No lwIP, no copy, no host socket.
 *
 * Admission happens on the opening packet (TCP SYN, first UDP datagram),
 * through the same verdict as every other flow; a refused TCP flow gets a
 * RST, a refused UDP one an ICMP error. Packets of flows whose opening
 * packet the gateway never saw are dropped: a connection cannot be set up
 * around the gateway and then continued through it.
 *
 * Byte counts follow TCP sequence numbers (the highest payload end seen per
 * direction), so retransmissions are not counted twice.
 */
#include <netinet/in.h>

#include "stack/gateway.h"

/* After FIN both ways, or a RST: let the last ACKs through, then forget. */
#define REFLECT_LINGER_MS	2000
/* An established loopback TCP connection silent this long is forgotten
 * (its packets are dropped from then on). Long: it costs one entry. */
#define REFLECT_TCP_IDLE_MS	(2 * 3600 * 1000)

/* a is after b, modulo 2^32 */
static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/**
 * loop_reflect_find() - the flow a packet belongs to, in either direction
 * @dir:	set to 0 if the packet goes the way the flow was opened, else 1
 */
static struct flow *loop_reflect_find(struct tg_stack *g,
				      const struct packet_info *pi, int *dir)
{
	struct flow *f;

	f = flow_table_lookup(&g->flows, pi->proto, &pi->src, &pi->dst);
	if (f) {
		*dir = 0;
		return f;
	}
	*dir = 1;
	return flow_table_lookup(&g->flows, pi->proto, &pi->dst, &pi->src);
}

static void loop_reflect_count(struct flow *f, int dir, uint64_t bytes)
{
	if (dir == 0)
		f->info.bytes_out += bytes;
	else
		f->info.bytes_in += bytes;
}

/**
 * loop_reflect_track_tcp() - count payload and follow the connection's end
 */
static void loop_reflect_track_tcp(struct tg_stack *g, struct flow *f, int dir,
				   const struct packet_info *pi)
{
	struct flow_reflect *r = &f->reflect;
	uint32_t start = pi->tcp_seq;
	uint32_t end;

	if (pi->tcp_flags & PACKET_TCP_SYN) {
		start++;		/* the SYN takes one number */
		if (!r->seq_set[dir]) {
			r->seq_hi[dir] = start;
			r->seq_set[dir] = true;
		}
	}
	end = start + pi->payload_len;
	if ((pi->tcp_flags & PACKET_TCP_FIN) && !r->fin[dir]) {
		r->fin[dir] = true;
		r->fin_seq[dir] = end;
	}
	if (r->fin[dir] && seq_after(end, r->fin_seq[dir]))
		end = r->fin_seq[dir];
	if (r->seq_set[dir] && seq_after(end, r->seq_hi[dir])) {
		loop_reflect_count(f, dir, end - r->seq_hi[dir]);
		r->seq_hi[dir] = end;
	}

	if (pi->tcp_flags & PACKET_TCP_RST) {
		f->tcp.reset = true;
		gateway_set_deadline(g, f, now_ms() + REFLECT_LINGER_MS);
	} else if (r->fin[0] && r->fin[1]) {
		gateway_set_deadline(g, f, now_ms() + REFLECT_LINGER_MS);
	} else {
		gateway_set_deadline(g, f, f->last_ms + REFLECT_TCP_IDLE_MS);
	}
}

/**
 * loop_reflect_open() - admit a new loopback flow on its opening packet
 *
 * Return: the flow, or NULL (refused: the program has been told)
 */
static struct flow *loop_reflect_open(struct tg_stack *g, const uint8_t *pkt,
				      size_t len, const struct packet_info *pi)
{
	bool tcp = pi->proto == IPPROTO_TCP;
	enum tg_flow_end end;
	struct flow *f;

	f = gateway_admit(g, pi->proto, &pi->src, &pi->dst,
			  tcp ? FLOW_REFLECT_TCP : FLOW_REFLECT_UDP, &end);
	if (!f)
		tun_io_send_reply(g, pkt, len, pi, PACKET_UNREACH_ADMIN, tcp);
	return f;
}

bool loop_reflect_packet(struct tg_stack *g, const uint8_t *pkt, size_t len,
			 const struct packet_info *pi)
{
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
	bool tcp = pi->proto == IPPROTO_TCP;
	struct flow *f;
	int dir;

	if ((!tcp && pi->proto != IPPROTO_UDP) || !pi->has_l4)
		return false;	/* not ours to pass: dropped */

	f = loop_reflect_find(g, pi, &dir);
	if (!f) {
		bool opening = !tcp || ((pi->tcp_flags & PACKET_TCP_SYN) &&
					!(pi->tcp_flags & (PACKET_TCP_ACK |
							   PACKET_TCP_RST)));
		if (!opening)
			return false;
		f = loop_reflect_open(g, pkt, len, pi);
		if (!f)
			return true;
		dir = 0;
	}
	if (f->state != FLOW_REFLECT_TCP && f->state != FLOW_REFLECT_UDP)
		return false;	/* same key as a relayed flow: cannot be */

	f->last_ms = now_ms();
	if (tcp) {
		loop_reflect_track_tcp(g, f, dir, pi);
	} else {
		loop_reflect_count(f, dir, pi->payload_len);
		gateway_set_deadline(g, f, f->last_ms + g->cfg.udp_idle_ms);
	}
	/* Unchanged, header included: a checksum the sender's kernel left
	 * to be filled in stays so for the receiver's. */
	tun_io_write_hdr(g, g->rx_hdr, &iov, 1);
	return true;
}

void loop_reflect_expire(struct tg_stack *g, struct flow *f)
{
	enum tg_flow_end end = TG_END_CLOSED;

	if (f->state == FLOW_REFLECT_TCP) {
		if (f->tcp.reset)
			end = TG_END_RESET;
		else if (!f->reflect.fin[0] || !f->reflect.fin[1])
			end = TG_END_TIMEOUT;
	} else if (now_ms() < f->last_ms + g->cfg.udp_idle_ms) {
		gateway_set_deadline(g, f, f->last_ms + g->cfg.udp_idle_ms);
		return;
	}
	gateway_finish(g, f, end);
}

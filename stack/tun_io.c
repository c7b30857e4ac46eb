/* tun_io.c - the TUN side of the gateway: read packets in bursts, decide
 * what each one is, and write back what lwIP or the gateway answers.
 *
 * Every packet is parsed here once (stack/packet.h) before lwIP sees it:
 *  - a packet to the sandbox's own loopback or addresses is reflected
 *    (loop_reflect.c), unless it goes to a resolver the sandbox's
 *    resolv.conf names (127.0.0.53:53, say): that one is relayed;
 *  - a TCP SYN for a flow not in the table is held back for admission
 *    (tcp_relay_syn()); a SYN retransmitted while upstream still connects
 *    is dropped;
 *  - other TCP segments and UDP datagrams go to lwIP;
 *  - everything else (ICMP, multicast, malformed packets) is dropped: lwIP
 *    would otherwise answer pings for every address in the world.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stack/gateway.h"

/**
 * tun_io_subnet_edge() - the network or broadcast address of the sandbox's
 * IPv4 link (a program's subnet broadcast must not go out as unicast)
 */
static bool tun_io_subnet_edge(const struct tg_stack_config *cfg,
			       const uint8_t *addr)
{
	uint32_t a, s, mask;

	if (!cfg->prefix4 || cfg->prefix4 >= 31)
		return false;
	mask = ~0U << (32 - cfg->prefix4);
	a = (uint32_t)addr[0] << 24 | addr[1] << 16 | addr[2] << 8 | addr[3];
	s = (uint32_t)cfg->sandbox4.addr[0] << 24 | cfg->sandbox4.addr[1] << 16 |
	    cfg->sandbox4.addr[2] << 8 | cfg->sandbox4.addr[3];
	if ((a & mask) != (s & mask))
		return false;
	return (a & ~mask) == 0 || (a & ~mask) == ~mask;
}

/* Packets the gateway never relays: multicast, broadcast, unspecified. */
static bool tun_io_not_unicast(const struct tg_stack_config *cfg,
			       const struct tg_endpoint *dst)
{
	static const uint8_t zero[16];

	if (dst->family == AF_INET) {
		return dst->addr[0] >= 224 ||		/* multicast, class E */
		       !memcmp(dst->addr, zero, 4) ||
		       tun_io_subnet_edge(cfg, dst->addr);
	}
	return dst->addr[0] == 0xff || !memcmp(dst->addr, zero, 16);
}

static void tun_io_handle_tcp(struct tg_stack *g, const uint8_t *pkt,
			      size_t len, const struct packet_info *pi)
{
	uint8_t flags = pi->tcp_flags;

	if (pi->has_l4 && (flags & PACKET_TCP_SYN) &&
	    !(flags & (PACKET_TCP_ACK | PACKET_TCP_RST))) {
		struct flow *f = flow_table_lookup(&g->flows, IPPROTO_TCP,
						   &pi->src, &pi->dst);

		if (!f) {
			tcp_relay_syn(g, pkt, len, pi);
			return;
		}
		if (f->state == FLOW_TCP_CONNECTING)
			return;		/* retransmission; SYN is held */
	}
	if (lwip_glue_input(pkt, len, &pi->dst))
		g->stats.tun_rx_dropped++;
}

static void tun_io_handle(struct tg_stack *g, const uint8_t *pkt, size_t len)
{
	struct packet_info pi;

	if (packet_parse(pkt, len, &pi) != PACKET_OK ||
	    tun_io_not_unicast(&g->cfg, &pi.dst)) {
		g->stats.tun_rx_dropped++;
		return;
	}
	len = pi.ip_len;	/* trailing bytes are not part of the packet */

	/* A resolver on the sandbox's loopback (127.0.0.53) is the host's:
	 * relayed like any other flow, not reflected. */
	if (gateway_scope(&g->cfg, &pi.dst) == TG_SCOPE_LOOPBACK &&
	    !(pi.has_l4 && gateway_is_resolver(&g->cfg, &pi.dst))) {
		if (!loop_reflect_packet(g, pkt, len, &pi))
			g->stats.tun_rx_dropped++;
		return;
	}

	switch (pi.proto) {
	case IPPROTO_TCP:
		tun_io_handle_tcp(g, pkt, len, &pi);
		return;
	case IPPROTO_UDP:
		/* Non-first fragments have no port: the first one binds. */
		if ((pi.has_l4 && udp_lwip_bind_port(g, pi.dst.port)) ||
		    lwip_glue_input(pkt, len, &pi.dst))
			g->stats.tun_rx_dropped++;
		return;
	default:
		g->stats.tun_rx_dropped++;
		return;
	}
}

int tun_io_read_burst(struct tg_stack *g)
{
	size_t hl = g->cfg.vnet_hdr ? sizeof(*g->rx_hdr) : 0;
	struct iovec iov[2] = {
		{ .iov_base = g->rx_hdr, .iov_len = hl },
		{ .iov_base = g->tun_buf, .iov_len = GATEWAY_PACKET_MAX },
	};
	int i;

	for (i = 0; i < GATEWAY_TUN_BURST; i++) {
		/* The header apart: the packet stays aligned in tun_buf. */
		ssize_t n = readv(g->cfg.tun_fd, iov + !hl, 2 - !hl);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		g->stats.tun_rx_packets++;
		if ((size_t)n < hl) {
			g->stats.tun_rx_dropped++;
			continue;
		}
		tun_io_handle(g, g->tun_buf, (size_t)n - hl);
	}
	return 0;
}

int tun_io_write_hdr(struct tg_stack *g, const struct virtio_net_hdr *hdr,
		     const struct iovec *iov, int iovcnt)
{
	static const struct virtio_net_hdr none;
	struct iovec all[1 + TUN_IO_IOV_MAX];
	const struct iovec *out = iov;
	int n = iovcnt;

	if (g->cfg.vnet_hdr) {
		if (iovcnt > TUN_IO_IOV_MAX)
			return -EMSGSIZE;
		all[0].iov_base = (void *)(hdr ? hdr : &none);
		all[0].iov_len = sizeof(none);
		memcpy(all + 1, iov, sizeof(*iov) * (size_t)iovcnt);
		out = all;
		n = iovcnt + 1;
	}
	if (writev(g->cfg.tun_fd, out, n) < 0) {
		g->stats.tun_tx_errors++;
		return -errno;
	}
	g->stats.tun_tx_packets++;
	return 0;
}

int tun_io_write(struct tg_stack *g, const struct iovec *iov, int iovcnt)
{
	return tun_io_write_hdr(g, NULL, iov, iovcnt);
}

void tun_io_send_reply(struct tg_stack *g, const uint8_t *pkt, size_t len,
		       const struct packet_info *pi,
		       enum packet_unreach reason, bool rst)
{
	uint8_t out[1280];
	struct iovec iov;
	size_t n;

	if (rst)
		n = packet_build_tcp_rst(out, sizeof(out), pi);
	else
		n = packet_build_icmp_unreach(out, sizeof(out), pkt, len, pi,
					      reason);
	if (!n)
		return;
	iov.iov_base = out;
	iov.iov_len = n;
	tun_io_write(g, &iov, 1);
}

/* lwip_glue.c - lwIP's platform functions, the TUN netif, and the trick
 * that makes an unpatched lwIP accept packets for any destination.
 *
 * lwIP accepts a packet only if it is addressed to its netif, and delivers
 * TCP and UDP only to a pcb bound to the destination port. So, for each
 * packet handed over from the TUN, the netif's address is first set to the
 * packet's destination (by writing the address field directly: the netif
 * API would abort every pcb bound to the previous address), and the first
 * packet to a port creates a listener (TCP) or a bound pcb (UDP) for it.
 * An accepted TCP pcb keeps the destination as its local address, so its
 * replies carry the right source. Route hooks send every reply back into
 * the TUN, loopback destinations included.
 *
 * lwIP's state is global; so is this file's: one gateway per process.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <linux/virtio_net.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "lwip_hooks.h"

#include "stack/gateway.h"
#include "stack/lwip_glue.h"

/* The sizes lwipopts.h sets where lwIP's own sanity checks are disabled. */
_Static_assert(TCP_SND_QUEUELEN <= 0xffff, "TCP_SND_QUEUELEN fits a u16");
_Static_assert(TCP_SND_QUEUELEN >= 2 * (TCP_SND_BUF / 1220),
	       "send queue long enough for the send buffer at MSS 1220");
_Static_assert(TCP_SNDLOWAT < TCP_SND_BUF, "TCP_SNDLOWAT below TCP_SND_BUF");
_Static_assert(TCP_SNDQUEUELOWAT < TCP_SND_QUEUELEN, "queue low-water mark");
_Static_assert(TCP_WND <= (0xffffUL << TCP_RCV_SCALE), "window fits scale");
_Static_assert(TCP_WND >= TCP_MSS, "window holds a segment");
_Static_assert(TCP_MSS + 40 <= 0xffff, "a segment fits an IPv4 packet");
_Static_assert(PBUF_POOL_BUFSIZE <= 0xffff, "pool buffer size fits a u16");

static struct netif tun_netif;
static struct tg_stack *glue_gateway;
static uint64_t rand_state;

/* --- Platform functions lwIP calls ---------------------------------------- */

/**
 * sys_now() - lwIP's clock: monotonic milliseconds (wraps, as lwIP expects)
 */
u32_t sys_now(void)
{
	return (u32_t)now_ms();
}

/**
 * tg_lwip_rand() - LWIP_RAND(): xorshift64*, seeded from getrandom()
 *
 * Used for IP fragment ids and local ports; ISNs use it through the hook.
 */
uint32_t tg_lwip_rand(void)
{
	uint64_t x = rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rand_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

struct netif *tg_lwip_route4(const ip4_addr_t *dest)
{
	(void)dest;
	return netif_is_up(&tun_netif) ? &tun_netif : NULL;
}

struct netif *tg_lwip_route6(const ip6_addr_t *src, const ip6_addr_t *dest)
{
	(void)src;
	(void)dest;
	return netif_is_up(&tun_netif) ? &tun_netif : NULL;
}

u32_t tg_lwip_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		      const ip_addr_t *remote_ip, u16_t remote_port)
{
	(void)local_ip;
	(void)local_port;
	(void)remote_ip;
	(void)remote_port;
	return tg_lwip_rand();
}

/* --- Conversions (lwip_glue.h) ------------------------------------------- */

void lwip_glue_endpoint(struct tg_endpoint *ep, const ip_addr_t *ip, u16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	if (IP_IS_V6(ip)) {
		ep->family = AF_INET6;
		memcpy(ep->addr, ip_2_ip6(ip)->addr, 16);
	} else {
		ep->family = AF_INET;
		memcpy(ep->addr, &ip_2_ip4(ip)->addr, 4);
	}
}

void lwip_glue_ipaddr(ip_addr_t *ip, const struct tg_endpoint *ep)
{
	memset(ip, 0, sizeof(*ip));
	if (ep->family == AF_INET6) {
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(ip)->addr, ep->addr, 16);
	} else {
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(ip)->addr, ep->addr, 4);
	}
}

int lwip_glue_pbuf_iov(const struct pbuf *p, struct iovec *iov, int max)
{
	static uint8_t flat[GATEWAY_PACKET_MAX];
	const struct pbuf *q;
	int n = 0;

	for (q = p; q && n < max; q = q->next) {
		if (!q->len)
			continue;
		iov[n].iov_base = q->payload;
		iov[n].iov_len = q->len;
		n++;
	}
	if (!q)
		return n;
	pbuf_copy_partial(p, flat, p->tot_len, 0);
	iov[0].iov_base = flat;
	iov[0].iov_len = p->tot_len;
	return 1;
}

/* --- The TUN netif ------------------------------------------------------ */

/**
 * tun_netif_csum_offload() - leave a TCP segment's checksum to the kernel
 * @p:		the packet lwIP built (IP and TCP headers in the first pbuf)
 * @hdr:	its virtio-net header, filled in
 *
 * lwIP computes no TCP checksum on this netif (lwip_glue_init()). As a
 * driver offloading it would, the checksum field gets the pseudo-header's
 * sum and the packet is marked VIRTIO_NET_HDR_F_NEEDS_CSUM: the kernel,
 * delivering it locally, trusts it as it trusts its own loopback traffic,
 * and would compute the rest if it had to send it on. TCP segments are
 * never fragmented by lwIP (MSS below the MTU), so the header is always
 * in the packet. Anything else (UDP, ICMP) keeps lwIP's full checksums.
 */
static void tun_netif_csum_offload(struct pbuf *p, struct virtio_net_hdr *hdr)
{
	uint8_t *ip = p->payload, pseudo[40];
	size_t iphl, l4len, plen;
	uint16_t sum;

	if (p->len < 20)
		return;
	if ((ip[0] >> 4) == 4) {
		iphl = (size_t)(ip[0] & 0xf) * 4;
		if (ip[9] != IP_PROTO_TCP || iphl < 20)
			return;
		l4len = ((size_t)ip[2] << 8 | ip[3]) - iphl;
		memcpy(pseudo, ip + 12, 8);
		plen = 8;
	} else {
		iphl = 40;
		if (p->len < 40 || ip[6] != IP6_NEXTH_TCP)
			return;
		l4len = (size_t)ip[4] << 8 | ip[5];
		memcpy(pseudo, ip + 8, 32);
		plen = 32;
	}
	if (p->len < iphl + 20)
		return;
	pseudo[plen++] = 0;
	pseudo[plen++] = IP_PROTO_TCP;
	pseudo[plen++] = (uint8_t)(l4len >> 8);
	pseudo[plen++] = (uint8_t)l4len;
	sum = LWIP_CHKSUM(pseudo, (int)plen);
	memcpy(ip + iphl + 16, &sum, 2);	/* the sum, not inverted */
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = (uint16_t)iphl;
	hdr->csum_offset = 16;
}

/**
 * tun_netif_output() - write a packet lwIP built into the TUN
 * @p:		pbuf chain holding the whole IP packet
 *
 * The chain goes out as one writev(); chains are short (header pbuf plus
 * one or a few data pbufs), longer ones are flattened.
 */
static err_t tun_netif_output(struct pbuf *p)
{
	struct iovec iov[TUN_IO_IOV_MAX];
	struct virtio_net_hdr hdr = { 0 };
	int n;

	/* Before the chain may be flattened into a copy. */
	if (glue_gateway->cfg.vnet_hdr)
		tun_netif_csum_offload(p, &hdr);
	n = lwip_glue_pbuf_iov(p, iov, (int)ARRAY_SIZE(iov));
	if (tun_io_write_hdr(glue_gateway, &hdr, iov, n))
		return ERR_IF;
	return ERR_OK;
}

static err_t tun_netif_output4(struct netif *netif, struct pbuf *p,
			       const ip4_addr_t *ipaddr)
{
	(void)netif;
	(void)ipaddr;
	return tun_netif_output(p);
}

static err_t tun_netif_output6(struct netif *netif, struct pbuf *p,
			       const ip6_addr_t *ipaddr)
{
	(void)netif;
	(void)ipaddr;
	return tun_netif_output(p);
}

static err_t tun_netif_init(struct netif *netif)
{
	netif->name[0] = 't';
	netif->name[1] = 'g';
	netif->output = tun_netif_output4;
	netif->output_ip6 = tun_netif_output6;
	netif->mtu = (u16_t)glue_gateway->cfg.mtu;
#if LWIP_ND6_ALLOW_RA_UPDATES
	netif->mtu6 = (u16_t)glue_gateway->cfg.mtu;
#endif
	netif->flags = NETIF_FLAG_LINK_UP;
	/* TCP checksums are the kernel's (tun_netif_csum_offload()); what
	 * comes from the TUN is not checked again either (lwipopts.h). */
	NETIF_SET_CHECKSUM_CTRL(netif, glue_gateway->cfg.vnet_hdr ?
				(u16_t)(NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP) :
				NETIF_CHECKSUM_ENABLE_ALL);
	return ERR_OK;
}

/**
 * tun_netif_take_address() - make lwIP accept a packet for @dst
 *
 * Writes the address fields directly: netif_set_ipaddr() and
 * netif_ip6_addr_set() would abort the pcbs bound to the old address.
 */
static void tun_netif_take_address(const struct tg_endpoint *dst)
{
	if (dst->family == AF_INET) {
		memcpy(&ip_2_ip4(&tun_netif.ip_addr)->addr, dst->addr, 4);
	} else {
		memcpy(ip_2_ip6(&tun_netif.ip6_addr[0])->addr, dst->addr, 16);
	}
}

int lwip_glue_init(struct tg_stack *g)
{
	ip6_addr_t ip6;

	if (glue_gateway)
		return -EBUSY;
	if (getrandom(&rand_state, sizeof(rand_state), 0) != sizeof(rand_state))
		rand_state = now_ms() ^ 0x9e3779b97f4a7c15ULL;
	rand_state |= 1;
	glue_gateway = g;

	lwip_init();
	if (!netif_add(&tun_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4,
		       NULL, tun_netif_init, ip_input)) {
		glue_gateway = NULL;
		return -ENOMEM;
	}
	memcpy(ip6.addr, g->cfg.gateway6.addr, 16);
	netif_ip6_addr_set(&tun_netif, 0, &ip6);
	netif_ip6_addr_set_state(&tun_netif, 0, IP6_ADDR_PREFERRED);
	memcpy(&ip_2_ip4(&tun_netif.ip_addr)->addr, g->cfg.gateway4.addr, 4);
	netif_set_default(&tun_netif);
	netif_set_up(&tun_netif);
	return 0;
}

void lwip_glue_fini(struct tg_stack *g)
{
	if (glue_gateway == g) {
		netif_set_down(&tun_netif);
		glue_gateway = NULL;
	}
}

int lwip_glue_input(const uint8_t *pkt, size_t len,
		    const struct tg_endpoint *dst)
{
	struct pbuf *p;

	if (len > 0xffff)
		return -EMSGSIZE;	/* pbuf lengths are 16-bit */
	/* Right-sized copy: with malloc'ed pbufs, queued segments would
	 * otherwise each pin a 64 KiB buffer. */
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOMEM;
	memcpy(p->payload, pkt, len);

	tun_netif_take_address(dst);
	tun_netif.input(p, &tun_netif);
	return 0;
}

struct netif *lwip_glue_netif(void)
{
	return &tun_netif;
}

uint32_t lwip_glue_timers(void)
{
	sys_check_timeouts();
	return sys_timeouts_sleeptime();
}

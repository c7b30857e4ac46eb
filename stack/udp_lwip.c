/* udp_lwip.c - the lwIP side of UDP: one pcb per destination port, bound to
 * any address, receives the program's datagrams (lwIP has reassembled
 * fragments and checked checksums); replies are sent from the session's
 * original destination with udp_sendto_if_src(), so the program sees an
 * answer from the address and port it wrote to.
 */
#include <errno.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "stack/gateway.h"
#include "stack/lwip_glue.h"

static struct udp_pcb *udp_ports[65536];
static struct tg_stack *udp_gateway;

static void udp_lwip_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			  const ip_addr_t *addr, u16_t port)
{
	struct tg_endpoint src, dst;
	struct iovec iov;

	(void)arg;
	lwip_glue_endpoint(&src, addr, port);
	lwip_glue_endpoint(&dst, ip_current_dest_addr(), pcb->local_port);
	/* One piece: a datagram reassembled from fragments (a pbuf chain) is
	 * flattened, so the relay and its callback see contiguous bytes. */
	lwip_glue_pbuf_iov(p, &iov, 1);
	udp_relay_from_inside(udp_gateway, &src, &dst, iov.iov_base, iov.iov_len);
	pbuf_free(p);
}

int udp_lwip_bind_port(struct tg_stack *g, uint16_t port)
{
	struct udp_pcb *pcb;

	udp_gateway = g;
	if (udp_ports[port])
		return 0;
	pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!pcb)
		return -ENOMEM;
	ip_set_option(pcb, SOF_REUSEADDR);
	if (udp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		udp_remove(pcb);
		return -EADDRINUSE;
	}
	udp_recv(pcb, udp_lwip_recv, NULL);
	udp_ports[port] = pcb;
	return 0;
}

void udp_lwip_close_ports(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(udp_ports); i++) {
		if (udp_ports[i]) {
			udp_remove(udp_ports[i]);
			udp_ports[i] = NULL;
		}
	}
}

int udp_lwip_send(struct tg_stack *g, const struct flow *f,
		  const uint8_t *data, size_t len)
{
	struct udp_pcb *pcb = udp_ports[f->info.dst.port];
	ip_addr_t to, from;
	struct pbuf *p;
	err_t err;

	(void)g;
	if (!pcb)
		return -ENOENT;
	if (len > 0xffff - 8 - 40)
		return -EMSGSIZE;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOMEM;
	memcpy(p->payload, data, len);

	lwip_glue_ipaddr(&to, &f->info.src);
	lwip_glue_ipaddr(&from, &f->info.dst);
	err = udp_sendto_if_src(pcb, p, &to, f->info.src.port,
				lwip_glue_netif(), &from);
	pbuf_free(p);
	return err == ERR_OK ? 0 : -EIO;
}

/* lwip_glue.h - conversions the lwIP-facing files of stack/ share
 * (tcp_lwip.c, udp_lwip.c, lwip_glue.c). Includes lwIP headers: not for
 * the socket-facing files, which use gateway.h only.
 */
#ifndef TUNGATE_LWIP_GLUE_H
#define TUNGATE_LWIP_GLUE_H

#include <sys/uio.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

#include "util/util.h"

/**
 * lwip_glue_endpoint() - a tg_endpoint from an lwIP address and port
 */
void lwip_glue_endpoint(struct tg_endpoint *ep, const ip_addr_t *ip, u16_t port);

/**
 * lwip_glue_ipaddr() - an lwIP address from a tg_endpoint (port ignored)
 */
void lwip_glue_ipaddr(ip_addr_t *ip, const struct tg_endpoint *ep);

/**
 * lwip_glue_pbuf_iov() - describe a pbuf chain as an iovec
 * @p:		chain
 * @iov:	output
 * @max:	entries available
 *
 * A chain longer than @max is copied into a static buffer (one entry):
 * valid until the next call.
 *
 * Return: entries filled
 */
int lwip_glue_pbuf_iov(const struct pbuf *p, struct iovec *iov, int max);

#endif /* TUNGATE_LWIP_GLUE_H */

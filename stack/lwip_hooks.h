/* lwip_hooks.h - the lwIP hook functions tungate provides (LWIP_HOOK_FILENAME).
 *
 * lwIP includes this file into its own sources. Routing always answers the
 * TUN netif: every reply goes back into the sandbox, whatever its
 * destination, including loopback addresses lwIP would otherwise refuse.
 * Implemented in stack/lwip_glue.c.
 */
#ifndef TUNGATE_LWIP_HOOKS_H
#define TUNGATE_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

struct netif;

struct netif *tg_lwip_route4(const ip4_addr_t *dest);
struct netif *tg_lwip_route6(const ip6_addr_t *src, const ip6_addr_t *dest);
u32_t tg_lwip_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		      const ip_addr_t *remote_ip, u16_t remote_port);

#endif /* TUNGATE_LWIP_HOOKS_H */

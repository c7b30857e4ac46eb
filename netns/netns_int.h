/* netns_int.h - what the netns/ files share among themselves and nobody
 * else: opening the TUN (tun.c), applying a plan through libnl
 * (netcfg_apply.c), and explaining why namespaces are unavailable (userns.c).
 * The module's interface is netns.h.
 */
#ifndef TUNGATE_NETNS_INT_H
#define TUNGATE_NETNS_INT_H

#include "netns/netns.h"

struct nl_sock;

/**
 * tun_open() - create a TUN device in the calling thread's network namespace
 * @name:	requested device name
 * @actual:	output: the name the kernel gave it, IFNAMSIZ bytes
 * @vnet_hdr:	also IFF_VNET_HDR (a struct virtio_net_hdr before each
 *		packet) with checksum offload (TUN_F_CSUM)
 *
 * Opens /dev/net/tun (O_RDWR, O_NONBLOCK, O_CLOEXEC) and attaches it to a new
 * IFF_TUN | IFF_NO_PI device, never persistent: the device goes away with the
 * descriptor. Dies with the cause and the fix on failure.
 *
 * Return: the descriptor
 */
int tun_open(const char *name, char actual[IFNAMSIZ], bool vnet_hdr);

/**
 * netcfg_apply() - apply @plan in the network namespace @sk talks to
 * @sk:		connected NETLINK_ROUTE socket
 * @plan:	from netcfg_plan_build(); its TUN device must exist
 *
 * Dies naming the step that failed and libnl's reason.
 */
void netcfg_apply(struct nl_sock *sk, const struct netcfg_plan *plan);

/**
 * loopback_capture_apply() - send the sandbox's loopback traffic to the TUN
 * @sk:		connected NETLINK_ROUTE socket in the sandbox
 * @tun:	the TUN's interface index
 * @lo:		lo's interface index
 * @step:	set to a description of the step that failed
 *
 * See loopback_capture.c. Return: 0, or a negative libnl error
 */
int loopback_capture_apply(struct nl_sock *sk, int tun, int lo,
			   const char **step);

/**
 * userns_hint() - why user namespaces may be unavailable, and the fix
 * @err:	errno of the failed operation (unshare(), a map write, ...)
 *
 * Reads the relevant sysctls. Return: a sentence, never NULL
 */
const char *userns_hint(int err);

#endif /* TUNGATE_NETNS_INT_H */

/* lwipopts.h - lwIP compile-time configuration for the tungate gateway.
 *
 * lwIP runs with NO_SYS=1 inside the gateway's single event loop: no threads,
 * no locks, no sockets API. Only the core (IPv4, IPv6, TCP, UDP, ICMP) is
 * built. Memory comes from malloc, so the number of flows is limited by the
 * gateway's own flow table, not by fixed lwIP pools.
 *
 * Sizes are set for a TUN link with an MTU of up to 65520 bytes. Several of
 * lwIP's derived defaults overflow 16-bit fields at that size, so every such
 * value is set explicitly here and checked in stack/lwip_glue.c.
 */
#ifndef TUNGATE_LWIPOPTS_H
#define TUNGATE_LWIPOPTS_H

/* --- System ------------------------------------------------------------ */
#define NO_SYS                          1
#define LWIP_SOCKET                     0
#define LWIP_NETCONN                    0
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_TIMERS                     1
#define LWIP_NETIF_STATUS_CALLBACK      0
#define LWIP_NETIF_LINK_CALLBACK        0
#define LWIP_STATS                      0
#define LWIP_DEBUG_TIMERNAMES           0

/* --- Memory: everything from malloc ------------------------------------ */
#define MEM_LIBC_MALLOC                 1
#define MEMP_MEM_MALLOC                 1
#define MEM_ALIGNMENT                   8
/* Pools are not used for packets (the TUN reader allocates PBUF_RAM), but
 * the derived PBUF_POOL_BUFSIZE would wrap a u16 with a 64 KiB MSS. */
#define PBUF_POOL_SIZE                  4
#define PBUF_POOL_BUFSIZE               2048
#define PBUF_LINK_HLEN                  0
#define PBUF_LINK_ENCAPSULATION_HLEN    0

/* --- Link and IP ------------------------------------------------------- */
#define LWIP_ARP                        0
#define LWIP_ETHERNET                   0
#define LWIP_SINGLE_NETIF               0   /* keeps the route hooks active */
#define LWIP_NETIF_LOOPBACK             0
#define LWIP_HAVE_LOOPIF                0
#define LWIP_IPV4                       1
#define LWIP_IPV6                       1
#define IP_FORWARD                      0
#define IP_REASSEMBLY                   1
#define IP_FRAG                         1
#define IP_REASS_MAX_PBUFS              128
#define IP_DEFAULT_TTL                  64
#define LWIP_IPV6_FRAG                  1
#define LWIP_IPV6_REASS                 1
#define IPV6_FRAG_COPYHEADER            1   /* required on 64-bit */
#define LWIP_IPV6_SCOPES                0
#define LWIP_IPV6_MLD                   0
#define LWIP_IPV6_AUTOCONFIG            0
#define LWIP_IPV6_DHCP6                 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT   0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS   0
#define LWIP_ND6_QUEUEING               0
#define LWIP_ICMP                       1
#define LWIP_ICMP6                      1
#define LWIP_BROADCAST_PING             0
#define LWIP_MULTICAST_PING             0
#define LWIP_RAW                        0
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0

/* The kernel computes every checksum of what it writes to the TUN, and the
 * program inside has no capability to forge packets (no CAP_NET_RAW or
 * CAP_NET_ADMIN over the sandbox's network namespace, checked by the
 * loopback tests): checking TCP and UDP payload checksums again only costs
 * a pass over every byte (measured: docs/results.md). The IP header's and
 * ICMP's are cheap and kept. */
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_TCP              0
#define CHECKSUM_CHECK_UDP              0
#define CHECKSUM_CHECK_ICMP             1
#define CHECKSUM_CHECK_ICMP6            1

/* Checksums lwIP does compute (what it sends) use a 64-bit-wide routine. */
#include "stack/checksum.h"
#define LWIP_CHKSUM                     tg_checksum
/* With a virtio-net header on the TUN (struct tg_stack_config.vnet_hdr)
 * TCP and UDP checksums are not computed at all: the netif's flags turn
 * them off and each packet goes out marked "checksum needed", which local
 * delivery in the kernel does not need either (lwip_glue.c). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF    1

/* --- TCP --------------------------------------------------------------- */
#define LWIP_TCP                        1
#define LWIP_UDP                        1
#define LWIP_UDPLITE                    0
/* Largest MSS, for MTU 65520 over IPv4; lwIP lowers it per netif MTU and
 * per the peer's MSS option, so smaller --mtu values work unchanged. */
#define TCP_MSS                         65480
#define LWIP_WND_SCALE                  1
#define TCP_RCV_SCALE                   5
#define TCP_WND                         (1024 * 1024)
#define TCP_SND_BUF                     (1024 * 1024)
/* One queue entry per pbuf; sized for the smallest common MSS (1220, IPv6
 * minimum MTU) so the queue never caps the send buffer. Must fit a u16. */
#define TCP_SND_QUEUELEN                4096
#define TCP_SNDLOWAT                    (64 * 1024)
#define TCP_SNDQUEUELOWAT               (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE                    0
#define TCP_QUEUE_OOSEQ                 1
#define TCP_LISTEN_BACKLOG              0
#define LWIP_TCP_SACK_OUT               0
#define LWIP_TCP_TIMESTAMPS             0
#define LWIP_TCP_KEEPALIVE              0
#define LWIP_TCP_PCB_NUM_EXT_ARGS       0
/* Listeners on ANY may share a port with the connections they accepted. */
#define SO_REUSE                        1
/* The link is a local TUN: no segment can linger in the network, so a
 * short TIME_WAIT lets clients reuse ports quickly. */
#define TCP_MSL                         1000UL
#define TCP_TTL                         64
#define TCP_MAXRTX                      12
#define TCP_SYNMAXRTX                   6
/* Large MSS values trip lwIP's u16-based sanity checks; the sizes above are
 * checked by static assertions in stack/lwip_glue.c instead. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS  1

/* --- Hooks (stack/lwip_hooks.h) ---------------------------------------- */
#define LWIP_HOOK_FILENAME              "lwip_hooks.h"
#define LWIP_HOOK_IP4_ROUTE(dest)       tg_lwip_route4(dest)
#define LWIP_HOOK_IP6_ROUTE(src, dest)  tg_lwip_route6(src, dest)
#define LWIP_HOOK_TCP_ISN(li, lp, ri, rp) tg_lwip_tcp_isn(li, lp, ri, rp)

/* --- Debugging --------------------------------------------------------- */
#define LWIP_DEBUG                      0
#define LWIP_NOASSERT_ON_ERROR          0

#endif /* TUNGATE_LWIPOPTS_H */

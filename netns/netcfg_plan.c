/* netcfg_plan.c - the sandbox's network configuration as data.
 *
 * netns_config_default() fills in the documented defaults; netcfg_plan_build()
 * checks a configuration and turns it into a plan: the addresses, routes and
 * rules that netcfg_apply.c later hands to the kernel through libnl, inside
 * the sandbox's network namespace.
 *
 * Both are pure (no system calls), so the whole plan is unit-tested
 * (tests/unit/test_netcfg_plan.c) without namespaces or privileges.
 *
 * The plan for the defaults, as iproute2 would spell it:
 *
 *   ip link set tun0 mtu 65520 txqueuelen 10000 addrgenmode none up
 *   ip addr add 10.12.0.2/24 dev tun0
 *   ip addr add fd12::2/64 dev tun0 nodad
 *   ip route add default dev tun0
 *   ip -6 route add default dev tun0 src fd12::2
 *
 * The IPv6 default route names its source: without it the kernel could pick
 * a link-local address, and replies to that would never reach the sandbox.
 * Loopback capture (loopback_capture.c) needs no rules: it redirects lo's
 * egress into the TUN with tc.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>

#include "netns/netns.h"

void netns_config_default(struct netns_config *cfg)
{
	struct netns_addrs *a = &cfg->addrs;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->tun_name, "tun0");
	cfg->mtu = NETNS_MTU_DEFAULT;
	cfg->txqueuelen = NETNS_TXQUEUELEN_DEFAULT;
	cfg->capture_loopback = true;

	tg_endpoint_parse_addr(&a->sandbox4, "10.12.0.2");
	tg_endpoint_parse_addr(&a->gateway4, "10.12.0.1");
	a->prefix4 = 24;
	tg_endpoint_parse_addr(&a->sandbox6, "fd12::2");
	tg_endpoint_parse_addr(&a->gateway6, "fd12::1");
	a->prefix6 = 64;
}

/**
 * name_valid() - is @name a name the kernel accepts for a network device?
 * @name:	candidate, IFNAMSIZ bytes
 *
 * The kernel's dev_valid_name() rules: 1 to IFNAMSIZ - 1 characters, not "."
 * or "..", no '/', ':' or white space (here: no control characters either).
 *
 * Return: true if valid
 */
static bool name_valid(const char name[IFNAMSIZ])
{
	size_t len = strnlen(name, IFNAMSIZ);
	size_t i;

	if (len == 0 || len == IFNAMSIZ)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

/**
 * same_prefix() - do @a and @b share their first @prefix bits?
 * @a:		address
 * @b:		address of the same family
 * @prefix:	prefix length, at most the address length in bits
 *
 * Return: true if they do
 */
static bool same_prefix(const struct tg_endpoint *a,
			const struct tg_endpoint *b, unsigned int prefix)
{
	unsigned int bytes = prefix / 8, bits = prefix % 8;
	uint8_t mask;

	if (memcmp(a->addr, b->addr, bytes) != 0)
		return false;
	if (!bits)
		return true;
	mask = (uint8_t)(0xff << (8 - bits));
	return !((a->addr[bytes] ^ b->addr[bytes]) & mask);
}

/**
 * host_bits() - the part of @a after its first @prefix bits
 * @a:		IPv4 address
 * @prefix:	prefix length, 0..32
 *
 * Return: the host part, in host byte order
 */
static uint32_t host_bits(const struct tg_endpoint *a, unsigned int prefix)
{
	uint32_t v = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
		     (uint32_t)a->addr[2] << 8 | a->addr[3];

	return prefix >= 32 ? 0 : v & (UINT32_MAX >> prefix);
}

/**
 * unicast_ok() - can @a be a sandbox or gateway address?
 * @a:		address
 *
 * Rejects the unspecified, loopback, multicast, broadcast and link-local
 * addresses, and IPv4-mapped IPv6 ones: none of them can name the link's
 * two ends.
 *
 * Return: true if usable
 */
static bool unicast_ok(const struct tg_endpoint *a)
{
	static const uint8_t zero[16];
	const uint8_t *p = a->addr;

	if (a->family == AF_INET) {
		if (p[0] == 0 || p[0] == 127 || p[0] >= 224)	/* 0/8, lo, D, E */
			return false;
		if (p[0] == 169 && p[1] == 254)			/* link-local */
			return false;
		return true;
	}

	if (!memcmp(p, zero, 15) && (p[15] == 0 || p[15] == 1)) /* ::, ::1 */
		return false;
	if (p[0] == 0xff)					/* multicast */
		return false;
	if (p[0] == 0xfe && (p[1] & 0xc0) == 0x80)		/* fe80::/10 */
		return false;
	if (!memcmp(p, zero, 10) && p[10] == 0xff && p[11] == 0xff)
		return false;					/* v4-mapped */
	return true;
}

/**
 * link_valid() - check one family's sandbox address, gateway and prefix
 * @family:	AF_INET or AF_INET6
 * @sandbox:	the sandbox's address
 * @gateway:	the gateway's address
 * @prefix:	prefix length of the link
 *
 * Return: true if both addresses are of @family, usable as unicast
 * addresses, distinct and in the same prefix, and the prefix leaves room
 * for both (for IPv4, neither may be the network or broadcast address).
 */
static bool link_valid(sa_family_t family, const struct tg_endpoint *sandbox,
		       const struct tg_endpoint *gateway, unsigned int prefix)
{
	unsigned int max = family == AF_INET ? 32 : 128;

	if (sandbox->family != family || gateway->family != family)
		return false;
	if (prefix == 0 || prefix >= max)
		return false;
	if (!unicast_ok(sandbox) || !unicast_ok(gateway))
		return false;
	if (!memcmp(sandbox->addr, gateway->addr, max / 8))
		return false;
	if (!same_prefix(sandbox, gateway, prefix))
		return false;

	if (family == AF_INET && prefix <= 30) {
		uint32_t all = UINT32_MAX >> prefix;
		uint32_t s = host_bits(sandbox, prefix);
		uint32_t g = host_bits(gateway, prefix);

		if (s == 0 || s == all || g == 0 || g == all)
			return false;
	}
	return true;
}

/**
 * plan_addr() - append an address to @plan
 * @plan:	plan, with room left (the caller's fixed layout guarantees it)
 * @addr:	address
 * @prefix:	its prefix length
 */
static void plan_addr(struct netcfg_plan *plan, const struct tg_endpoint *addr,
		      unsigned int prefix)
{
	struct netcfg_addr *a = &plan->addrs[plan->n_addrs++];

	a->addr = *addr;
	a->addr.port = 0;
	a->prefix = prefix;
	a->nodad = addr->family == AF_INET6;
}

/**
 * plan_default_route() - append a default route through the TUN
 * @plan:	plan, with room left
 * @family:	AF_INET or AF_INET6
 * @src:	preferred source, or NULL to let the kernel choose
 */
static void plan_default_route(struct netcfg_plan *plan, sa_family_t family,
			       const struct tg_endpoint *src)
{
	struct netcfg_route *r = &plan->routes[plan->n_routes++];

	r->family = family;
	r->dst.family = family;		/* all-zero address, length 0 */
	r->dst_len = 0;
	r->table = RT_TABLE_MAIN;
	if (src) {
		r->src = *src;
		r->src.port = 0;
	}
}

int netcfg_plan_build(const struct netns_config *cfg, struct netcfg_plan *plan)
{
	const struct netns_addrs *a = &cfg->addrs;
	bool ipv6 = a->sandbox6.family != 0;

	memset(plan, 0, sizeof(*plan));

	if (!name_valid(cfg->tun_name))
		return -EINVAL;
	if (cfg->mtu < NETNS_MTU_MIN || cfg->mtu > NETNS_MTU_MAX)
		return -EINVAL;
	if (cfg->txqueuelen < NETNS_TXQUEUELEN_MIN ||
	    cfg->txqueuelen > NETNS_TXQUEUELEN_MAX)
		return -EINVAL;
	if (!link_valid(AF_INET, &a->sandbox4, &a->gateway4, a->prefix4))
		return -EINVAL;
	if (ipv6 && !link_valid(AF_INET6, &a->sandbox6, &a->gateway6,
				a->prefix6))
		return -EINVAL;

	memcpy(plan->tun_name, cfg->tun_name, sizeof(plan->tun_name));
	plan->ipv6 = ipv6;
	plan->capture_loopback = cfg->capture_loopback;
	plan->vnet_hdr = cfg->vnet_hdr;
	plan->mtu = cfg->mtu;
	plan->txqueuelen = cfg->txqueuelen;

	plan_addr(plan, &a->sandbox4, a->prefix4);
	if (ipv6)
		plan_addr(plan, &a->sandbox6, a->prefix6);

	/* IPv4 picks the TUN's only address by itself; IPv6 must be told. */
	plan_default_route(plan, AF_INET, NULL);
	if (ipv6)
		plan_default_route(plan, AF_INET6, &a->sandbox6);

	return 0;
}

/* netcfg_apply.c - hand a netcfg_plan to the kernel through libnl.
 *
 * Runs inside the sandbox's network namespace (sandbox_setup_network() calls
 * it from a thread that joined it), on a NETLINK_ROUTE socket opened there.
 * Only libnl-3 and libnl-route-3: no ip(8), no ioctl() for addresses.
 *
 * Order, each step depending on the one before:
 *
 *   lo up
 *   TUN: MTU, txqueuelen, IPv6 address generation mode "none" (while still
 *        down, so no link-local address ever appears), then up
 *   addresses (IPv6 ones with IFA_F_NODAD: usable at once, not tentative)
 *   routes through the TUN (an IPv6 preferred source must already exist)
 *   rules, added or removed
 *   loopback capture (loopback_capture.c), if the plan asks for it
 *
 * The namespace is brand new and ours alone, so nothing is expected to be
 * there already: objects are created with NLM_F_EXCL and any surprise is an
 * error. Every failure dies naming the step, as ip(8) would have spelt it,
 * and the kernel's reason: the errno from its NLMSG_ERROR reply, caught with
 * an error callback, since libnl folds many errnos into "Unspecific
 * failure"; libnl's own message when the kernel gave none.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netns/netns_int.h"

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>

/**
 * struct netcfg_ctx - one application of a plan
 * @sk:		NETLINK_ROUTE socket in the sandbox's namespace
 * @plan:	the plan
 * @ifindex:	the TUN's interface index, once known
 * @kernel_err:	errno of the kernel's last NLMSG_ERROR, 0 if none
 */
struct netcfg_ctx {
	struct nl_sock *sk;
	const struct netcfg_plan *plan;
	int ifindex;
	int kernel_err;
};

/**
 * netcfg_err_cb() - note the kernel's errno, then let libnl go on as usual
 * @nla:	sender
 * @e:		the error message
 * @arg:	struct netcfg_ctx
 *
 * Return: NL_STOP: libnl then returns its own code for the error
 */
static int netcfg_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e,
			 void *arg)
{
	struct netcfg_ctx *c = arg;

	(void)nla;
	c->kernel_err = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

/**
 * netcfg_strerror() - the best description of a failed request
 * @c:		context
 * @err:	libnl's (negative) return code
 *
 * Return: strerror() of the kernel's errno if it sent one, else libnl's text
 */
static const char *netcfg_strerror(const struct netcfg_ctx *c, int err)
{
	return c->kernel_err ? strerror(c->kernel_err) : nl_geterror(err);
}

/**
 * nl_addr_from() - a libnl address from an endpoint
 * @ep:		address (port ignored)
 * @prefix:	prefix length
 *
 * Return: new reference; dies when out of memory
 */
static struct nl_addr *nl_addr_from(const struct tg_endpoint *ep,
				    unsigned int prefix)
{
	struct nl_addr *a;

	a = nl_addr_build(ep->family, ep->addr, tg_endpoint_addr_len(ep));
	if (!a)
		die("out of memory building a netlink address");
	nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

/**
 * link_get() - look up a link by name
 * @c:		context
 * @name:	device name
 *
 * Return: new reference; dies if the link does not exist
 */
static struct rtnl_link *link_get(struct netcfg_ctx *c, const char *name)
{
	struct rtnl_link *link;
	int err;

	c->kernel_err = 0;
	err = rtnl_link_get_kernel(c->sk, 0, name, &link);
	if (err < 0)
		die("looking up device %s: %s", name, netcfg_strerror(c, err));
	return link;
}

/**
 * link_change() - send @change for @link, die naming @what on failure
 * @c:		context
 * @link:	the link as the kernel reported it
 * @change:	attributes to change
 * @what:	the step, for the message ("setting lo up")
 */
static void link_change(struct netcfg_ctx *c, struct rtnl_link *link,
			struct rtnl_link *change, const char *what)
{
	int err;

	c->kernel_err = 0;
	err = rtnl_link_change(c->sk, link, change, 0);
	if (err < 0)
		die("%s: %s", what, netcfg_strerror(c, err));
}

/**
 * link_new_change() - an empty change request, dies when out of memory
 *
 * Return: new link object
 */
static struct rtnl_link *link_new_change(void)
{
	struct rtnl_link *change = rtnl_link_alloc();

	if (!change)
		die("out of memory building a link change");
	return change;
}

/**
 * link_set_up() - bring a device up
 * @c:		context
 * @link:	the device
 * @name:	its name, for messages
 */
static void link_set_up(struct netcfg_ctx *c, struct rtnl_link *link,
			const char *name)
{
	struct rtnl_link *change = link_new_change();
	char what[64];

	snprintf(what, sizeof(what), "setting %s up", name);
	rtnl_link_set_flags(change, IFF_UP);
	link_change(c, link, change, what);
	rtnl_link_put(change);
}

/**
 * tun_configure() - MTU, queue length, no IPv6 link-local; then up
 * @c:		context, its TUN interface index set here
 */
static void tun_configure(struct netcfg_ctx *c)
{
	const struct netcfg_plan *plan = c->plan;
	struct rtnl_link *link = link_get(c, plan->tun_name);
	struct rtnl_link *change = link_new_change();
	char what[128];
	int err;

	rtnl_link_set_mtu(change, plan->mtu);
	rtnl_link_set_txqlen(change, plan->txqueuelen);
	if (plan->ipv6) {
		/* Before "up": the link-local address is made on the way up. */
		err = rtnl_link_inet6_set_addr_gen_mode(change,
						IN6_ADDR_GEN_MODE_NONE);
		if (err < 0) {
			die("setting IPv6 addrgenmode none on %s: %s",
			    plan->tun_name, nl_geterror(err));
		}
	}
	snprintf(what, sizeof(what), "setting %s mtu %u txqueuelen %u%s",
		 plan->tun_name, plan->mtu, plan->txqueuelen,
		 plan->ipv6 ? " addrgenmode none" : "");
	link_change(c, link, change, what);
	rtnl_link_put(change);

	link_set_up(c, link, plan->tun_name);

	c->ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
}

/**
 * addr_add() - add one address to the TUN
 * @c:		context
 * @pa:		the address
 */
static void addr_add(struct netcfg_ctx *c, const struct netcfg_addr *pa)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local;
	char buf[INET6_ADDRSTRLEN];
	int err;

	if (!addr)
		die("out of memory building an address");
	local = nl_addr_from(&pa->addr, pa->prefix);

	rtnl_addr_set_ifindex(addr, c->ifindex);
	rtnl_addr_set_family(addr, pa->addr.family);
	err = rtnl_addr_set_local(addr, local);	/* also sets the prefix */
	if (err >= 0 && pa->nodad)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	c->kernel_err = 0;
	if (err >= 0)
		err = rtnl_addr_add(c->sk, addr, NLM_F_EXCL);
	if (err < 0) {
		die("adding address %s/%u%s to %s: %s",
		    tg_addr_format(&pa->addr, buf, sizeof(buf)), pa->prefix,
		    pa->nodad ? " nodad" : "", c->plan->tun_name,
		    netcfg_strerror(c, err));
	}

	nl_addr_put(local);
	rtnl_addr_put(addr);
}

/**
 * route_describe() - a route as ip(8) would show it, for messages
 * @pr:		route
 * @dev:	device name
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf
 */
static char *route_describe(const struct netcfg_route *pr, const char *dev,
			    char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN + 4] = "default";
	char src[INET6_ADDRSTRLEN + 5] = "";
	char table[24] = "";
	char a[INET6_ADDRSTRLEN];

	if (pr->dst_len) {
		snprintf(dst, sizeof(dst), "%s/%u",
			 tg_addr_format(&pr->dst, a, sizeof(a)), pr->dst_len);
	}
	if (pr->src.family)
		snprintf(src, sizeof(src), " src %s",
			 tg_addr_format(&pr->src, a, sizeof(a)));
	if (pr->table != RT_TABLE_MAIN)
		snprintf(table, sizeof(table), " table %u", pr->table);

	snprintf(buf, len, "%s%s dev %s%s%s",
		 pr->family == AF_INET6 ? "-6 " : "", dst, dev, table, src);
	return buf;
}

/**
 * route_add() - add one route through the TUN
 * @c:		context
 * @pr:		the route
 */
static void route_add(struct netcfg_ctx *c, const struct netcfg_route *pr)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst, *src = NULL;
	char what[160];
	int err;

	if (!route || !nh)
		die("out of memory building a route");

	dst = nl_addr_from(&pr->dst, pr->dst_len);
	if (pr->src.family)
		src = nl_addr_from(&pr->src, pr->src.family == AF_INET6 ?
				   128 : 32);

	err = rtnl_route_set_family(route, (uint8_t)pr->family);
	if (err >= 0)
		err = rtnl_route_set_dst(route, dst);
	if (err >= 0 && src)
		err = rtnl_route_set_pref_src(route, src);
	c->kernel_err = 0;
	if (err >= 0) {
		rtnl_route_set_table(route, pr->table);
		rtnl_route_set_protocol(route, RTPROT_BOOT);
		/* No gateway: the destination is on the link, as ip(8) does
		 * it. IPv6 ignores the scope.
		 */
		rtnl_route_set_scope(route, pr->family == AF_INET ?
				     RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
		rtnl_route_nh_set_ifindex(nh, c->ifindex);
		rtnl_route_add_nexthop(route, nh);	/* route owns nh now */
		nh = NULL;
		err = rtnl_route_add(c->sk, route, NLM_F_EXCL);
	}
	if (err < 0) {
		die("adding route %s: %s",
		    route_describe(pr, c->plan->tun_name, what, sizeof(what)),
		    netcfg_strerror(c, err));
	}

	if (nh)
		rtnl_route_nh_free(nh);
	if (src)
		nl_addr_put(src);
	nl_addr_put(dst);
	rtnl_route_put(route);
}

/**
 * rule_describe() - a rule as ip(8) would show it, for messages
 * @pr:		rule
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: @buf
 */
static char *rule_describe(const struct netcfg_rule *pr, char *buf, size_t len)
{
	char sel[INET6_ADDRSTRLEN + 32] = "";
	char act[24];
	char a[INET6_ADDRSTRLEN];
	size_t n = 0;

	if (pr->iif[0])
		n += (size_t)snprintf(sel, sizeof(sel), " iif %s", pr->iif);
	if (pr->dst.family && n < sizeof(sel)) {
		snprintf(sel + n, sizeof(sel) - n, " to %s/%u",
			 tg_addr_format(&pr->dst, a, sizeof(a)), pr->dst_len);
	}

	switch (pr->action) {
	case FR_ACT_TO_TBL:
		snprintf(act, sizeof(act), "lookup %u", pr->table);
		break;
	case FR_ACT_PROHIBIT:
		snprintf(act, sizeof(act), "prohibit");
		break;
	case FR_ACT_BLACKHOLE:
		snprintf(act, sizeof(act), "blackhole");
		break;
	case FR_ACT_UNREACHABLE:
		snprintf(act, sizeof(act), "unreachable");
		break;
	default:
		snprintf(act, sizeof(act), "action %u", pr->action);
	}

	snprintf(buf, len, "%spref %u%s %s",
		 pr->family == AF_INET6 ? "-6 " : "", pr->pref, sel, act);
	return buf;
}

/**
 * rule_apply() - add or remove one policy routing rule
 * @c:		context
 * @pr:		the rule
 */
static void rule_apply(struct netcfg_ctx *c, const struct netcfg_rule *pr)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	struct nl_addr *dst = NULL;
	char what[160];
	int err = 0;

	if (!rule)
		die("out of memory building a rule");

	rtnl_rule_set_family(rule, pr->family);
	rtnl_rule_set_prio(rule, pr->pref);
	rtnl_rule_set_action(rule, pr->action);
	if (pr->action == FR_ACT_TO_TBL)
		rtnl_rule_set_table(rule, pr->table);
	if (pr->dst.family) {
		dst = nl_addr_from(&pr->dst, pr->dst_len);
		err = rtnl_rule_set_dst(rule, dst);
	}
	if (err >= 0 && pr->iif[0])
		err = rtnl_rule_set_iif(rule, pr->iif);

	c->kernel_err = 0;
	if (err >= 0 && pr->remove)
		err = rtnl_rule_delete(c->sk, rule, 0);
	else if (err >= 0)
		err = rtnl_rule_add(c->sk, rule, NLM_F_EXCL);
	if (err < 0) {
		die("%s rule %s: %s", pr->remove ? "removing" : "adding",
		    rule_describe(pr, what, sizeof(what)),
		    netcfg_strerror(c, err));
	}

	if (dst)
		nl_addr_put(dst);
	rtnl_rule_put(rule);
}

void netcfg_apply(struct nl_sock *sk, const struct netcfg_plan *plan)
{
	struct netcfg_ctx c = { .sk = sk, .plan = plan };
	struct rtnl_link *lo;
	const char *step;
	struct nl_cb *cb;
	unsigned int i;
	int lo_index, err;

	cb = nl_socket_get_cb(sk);
	if (!cb)
		die("out of memory getting netlink callbacks");
	nl_cb_err(cb, NL_CB_CUSTOM, netcfg_err_cb, &c);

	lo = link_get(&c, "lo");
	link_set_up(&c, lo, "lo");
	lo_index = rtnl_link_get_ifindex(lo);
	rtnl_link_put(lo);

	tun_configure(&c);

	for (i = 0; i < plan->n_addrs; i++)
		addr_add(&c, &plan->addrs[i]);
	for (i = 0; i < plan->n_routes; i++)
		route_add(&c, &plan->routes[i]);
	for (i = 0; i < plan->n_rules; i++)
		rule_apply(&c, &plan->rules[i]);

	if (plan->capture_loopback) {
		c.kernel_err = 0;
		err = loopback_capture_apply(sk, c.ifindex, lo_index, &step);
		if (err < 0)
			die("loopback capture: %s: %s", step,
			    netcfg_strerror(&c, err));
	}

	/* @c is going away: restore libnl's default error handling. */
	nl_cb_err(cb, NL_CB_DEFAULT, NULL, NULL);
	nl_cb_put(cb);

	debug("configured %s: mtu %u, %u address(es), %u route(s), %u rule(s)%s",
	      plan->tun_name, plan->mtu, plan->n_addrs, plan->n_routes,
	      plan->n_rules, plan->capture_loopback ? ", loopback captured" : "");
}

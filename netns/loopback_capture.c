/* loopback_capture.c - route the sandbox's own loopback traffic through
 * the gateway, with nothing left to go around it.
 *
 * Every packet the kernel delivers locally inside the sandbox leaves
 * through lo's egress: traffic to 127.0.0.0/8, ::1 and the sandbox's own
 * addresses, whatever socket options the program used (SO_BINDTODEVICE lo,
 * IP_UNICAST_IF, IP_PKTINFO, a source bound to 127.0.0.1). So instead of
 * policy routing, which sockets pinned to a device skip, one filter
 * redirects everything leaving lo into the TUN: the gateway sees it, polices
 * it, and reflects what it allows back into the TUN, where the kernel
 * delivers it locally (it now arrives on tun0, not from lo).
 *
 *   lo     clsact egress:  u32 match-all   -> mirred egress redirect tun0
 *   tun0   clsact ingress: ip6 src ::1     -> mirred ingress redirect lo
 *                          ip6 dst ::1     -> mirred ingress redirect lo
 *                          classic BPF: drop pkt_type LOOPBACK (multicast
 *                          and broadcast copies looped back to the sender)
 *   tun0   route_localnet=1, accept_local=1, rp_filter=2
 *
 * IPv6 drops ::1 arriving on any device but lo, hence the redirects back to
 * lo's ingress. IPv4 needs route_localnet (127/8 from a non-lo device) and
 * accept_local (a local address as source). Loose rp_filter on tun0 works
 * whatever "all" the namespace inherited. If the gateway dies, tun0 goes and
 * the redirect has nowhere to send: loopback traffic stops (fail closed).
 *
 * Everything needs only CAP_NET_ADMIN over the sandbox's namespace: classic
 * BPF goes to cls_bpf as bytecode (no bpf() syscall, which would need
 * privileges in the initial namespace). libnl-route 3.7 has objects for
 * the qdisc, the u32 match-all and the egress mirred; the ingress redirect
 * (its mirred object accepts only egress actions) and cls_bpf (no object)
 * are built as raw netlink messages with libnl.
 */
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>

#include "netns/netns_int.h"

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#define PARENT_INGRESS	TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define PARENT_EGRESS	TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

/* IPv6 header offsets of the source and destination addresses */
#define IP6_SRC_OFF	8
#define IP6_DST_OFF	24

/**
 * capture_devconf() - route_localnet, accept_local, loose rp_filter on tun0
 *
 * Return: 0 or a libnl error
 */
static int capture_devconf(struct nl_sock *sk, int tun)
{
	struct rtnl_link *orig = NULL, *chg = rtnl_link_alloc();
	int err;

	if (!chg)
		return -NLE_NOMEM;
	err = rtnl_link_get_kernel(sk, tun, NULL, &orig);
	if (err >= 0 &&
	    (err = rtnl_link_inet_set_conf(chg, IPV4_DEVCONF_ROUTE_LOCALNET, 1)) >= 0 &&
	    (err = rtnl_link_inet_set_conf(chg, IPV4_DEVCONF_ACCEPT_LOCAL, 1)) >= 0 &&
	    (err = rtnl_link_inet_set_conf(chg, IPV4_DEVCONF_RP_FILTER, 2)) >= 0)
		err = rtnl_link_change(sk, orig, chg, 0);
	if (orig)
		rtnl_link_put(orig);
	rtnl_link_put(chg);
	return err < 0 ? err : 0;
}

/**
 * capture_clsact() - a clsact qdisc (no options: the kind is all it takes)
 */
static int capture_clsact(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int err;

	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_CLSACT, 0));
	err = rtnl_tc_set_kind(TC_CAST(q), "clsact");
	if (err >= 0)
		err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return err < 0 ? err : 0;
}

/**
 * capture_lo_to_tun() - lo egress: every packet, redirected to the TUN
 */
static int capture_lo_to_tun(struct nl_sock *sk, int lo, int tun)
{
	struct rtnl_cls *c = rtnl_cls_alloc();
	struct rtnl_act *a = rtnl_act_alloc();
	int err = -NLE_NOMEM;

	if (!c || !a)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(c), lo);
	rtnl_tc_set_parent(TC_CAST(c), PARENT_EGRESS);
	rtnl_cls_set_prio(c, 1);
	rtnl_cls_set_protocol(c, ETH_P_ALL);
	if ((err = rtnl_tc_set_kind(TC_CAST(a), "mirred")) < 0 ||
	    (err = rtnl_mirred_set_action(a, TCA_EGRESS_REDIR)) < 0 ||
	    (err = rtnl_mirred_set_policy(a, TC_ACT_STOLEN)) < 0)
		goto out;
	rtnl_mirred_set_ifindex(a, (uint32_t)tun);
	if ((err = rtnl_tc_set_kind(TC_CAST(c), "u32")) < 0 ||
	    (err = rtnl_u32_add_key_uint32(c, 0, 0, 0, 0)) < 0 ||
	    /* TC_U32_TERMINAL: without it a match runs no action */
	    (err = rtnl_u32_set_cls_terminal(c)) < 0 ||
	    (err = rtnl_u32_add_action(c, a)) < 0)
		goto out;
	err = rtnl_cls_add(sk, c, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (a)
		rtnl_act_put(a);
	if (c)
		rtnl_cls_put(c);
	return err < 0 ? err : 0;
}

/**
 * capture_filter_msg() - start an RTM_NEWTFILTER on the TUN's ingress
 */
static struct nl_msg *capture_filter_msg(int ifindex, int prio, uint16_t proto,
					 const char *kind)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = PARENT_INGRESS,
		.tcm_info = TC_H_MAKE((uint32_t)prio << 16, htons(proto)),
	};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWTFILTER,
					      NLM_F_CREATE | NLM_F_EXCL);

	if (!m)
		return NULL;
	if (nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, TCA_KIND, kind) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/**
 * capture_v6_loopback_to_lo() - TUN ingress: ::1 at @off goes to lo
 * @off:	IP6_SRC_OFF or IP6_DST_OFF
 */
static int capture_v6_loopback_to_lo(struct nl_sock *sk, int tun, int lo,
				     int prio, int off)
{
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key keys[4];
	} s;
	struct tc_mirred mp = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_INGRESS_REDIR,
		.ifindex = (uint32_t)lo,
	};
	struct nlattr *opts, *acts, *act, *aopts;
	struct nl_msg *m;
	int i;

	memset(&s, 0, sizeof(s));
	s.sel.flags = TC_U32_TERMINAL;
	s.sel.nkeys = 4;
	for (i = 0; i < 4; i++) {
		s.keys[i].mask = 0xffffffff;
		s.keys[i].val = i == 3 ? htonl(1) : 0;		/* ::1 */
		s.keys[i].off = off + 4 * i;
	}

	m = capture_filter_msg(tun, prio, ETH_P_IPV6, "u32");
	if (!m)
		return -NLE_NOMEM;
	if (!(opts = nla_nest_start(m, TCA_OPTIONS)) ||
	    nla_put(m, TCA_U32_SEL, sizeof(s), &s) < 0 ||
	    !(acts = nla_nest_start(m, TCA_U32_ACT)) ||
	    !(act = nla_nest_start(m, 1)) ||
	    nla_put_string(m, TCA_ACT_KIND, "mirred") < 0 ||
	    !(aopts = nla_nest_start(m, TCA_ACT_OPTIONS)) ||
	    nla_put(m, TCA_MIRRED_PARMS, sizeof(mp), &mp) < 0) {
		nlmsg_free(m);
		return -NLE_NOMEM;
	}
	nla_nest_end(m, aopts);
	nla_nest_end(m, act);
	nla_nest_end(m, acts);
	nla_nest_end(m, opts);
	return nl_send_sync(sk, m);	/* frees @m */
}

/**
 * capture_drop_loop_copies() - TUN ingress: drop packets the kernel looped
 * back to itself (multicast, broadcast): they would reach local sockets
 * without passing the gateway
 */
static int capture_drop_loop_copies(struct nl_sock *sk, int tun, int prio)
{
	static struct sock_filter ops[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5 /* PACKET_LOOPBACK */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, TC_ACT_SHOT),
		BPF_STMT(BPF_RET | BPF_K, (uint32_t)TC_ACT_UNSPEC),
	};
	struct nl_msg *m = capture_filter_msg(tun, prio, ETH_P_ALL, "bpf");
	struct nlattr *opts;

	if (!m)
		return -NLE_NOMEM;
	if (!(opts = nla_nest_start(m, TCA_OPTIONS)) ||
	    nla_put_u16(m, TCA_BPF_OPS_LEN, ARRAY_SIZE(ops)) < 0 ||
	    nla_put(m, TCA_BPF_OPS, sizeof(ops), ops) < 0 ||
	    nla_put_u32(m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0 ||
	    nla_put_string(m, TCA_BPF_NAME, "tungate-loop-copies") < 0) {
		nlmsg_free(m);
		return -NLE_NOMEM;
	}
	nla_nest_end(m, opts);
	return nl_send_sync(sk, m);
}

int loopback_capture_apply(struct nl_sock *sk, int tun, int lo,
			   const char **step)
{
	int err;

	*step = "setting route_localnet, accept_local, rp_filter on the TUN";
	if ((err = capture_devconf(sk, tun)))
		return err;
	*step = "adding a clsact qdisc to lo";
	if ((err = capture_clsact(sk, lo)))
		return err;
	*step = "adding a clsact qdisc to the TUN";
	if ((err = capture_clsact(sk, tun)))
		return err;
	*step = "redirecting lo's egress into the TUN (u32, mirred)";
	if ((err = capture_lo_to_tun(sk, lo, tun)))
		return err;
	*step = "redirecting ::1 from the TUN to lo (u32, mirred ingress)";
	if ((err = capture_v6_loopback_to_lo(sk, tun, lo, 1, IP6_SRC_OFF)) < 0 ||
	    (err = capture_v6_loopback_to_lo(sk, tun, lo, 2, IP6_DST_OFF)) < 0)
		return err;
	*step = "dropping looped-back multicast on the TUN (cls_bpf)";
	if ((err = capture_drop_loop_copies(sk, tun, 3)) < 0)
		return err;
	return 0;
}

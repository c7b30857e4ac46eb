/* test_netcfg_plan.c - unit tests of netns/netcfg_plan.c and of
 * privileges_drop_all().
 *
 * The plan is pure data: the defaults must give exactly the addresses and
 * routes documented in netcfg_plan.c, and every kind of nonsense must be
 * refused with -EINVAL. The privilege drop runs in a forked child (it is
 * irreversible) which reads its own /proc/self/status back; it needs
 * CAP_SETPCAP, so it is skipped without it.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_util.h"

#include "netns/netns.h"

/* --- helpers --------------------------------------------------------------- */

/**
 * ep() - an endpoint from a literal address, failing the test if it is not
 * @text:	"10.12.0.2", "fd12::2"
 *
 * Return: the endpoint
 */
static struct tg_endpoint ep(const char *text)
{
	struct tg_endpoint e;

	assert_true(tg_endpoint_parse_addr(&e, text));
	return e;
}

/**
 * assert_addr() - @got holds the address @want
 * @got:	endpoint
 * @want:	literal address
 */
static void assert_addr(const struct tg_endpoint *got, const char *want)
{
	char buf[INET6_ADDRSTRLEN];
	struct tg_endpoint w = ep(want);

	assert_int_equal(got->family, w.family);
	assert_string_equal(tg_addr_format(got, buf, sizeof(buf)), want);
	assert_memory_equal(got->addr, w.addr, tg_endpoint_addr_len(&w));
}

/**
 * assert_zero_addr() - @got is the all-zero address of @family
 * @got:	endpoint
 * @family:	AF_INET or AF_INET6
 */
static void assert_zero_addr(const struct tg_endpoint *got, int family)
{
	static const uint8_t zero[16];

	assert_int_equal(got->family, family);
	assert_memory_equal(got->addr, zero, sizeof(zero));
}

/**
 * build() - netcfg_plan_build() on @cfg
 * @cfg:	configuration
 * @plan:	output, prefilled with garbage to catch fields left unset
 *
 * Return: its return value
 */
static int build(const struct netns_config *cfg, struct netcfg_plan *plan)
{
	memset(plan, 0xa5, sizeof(*plan));
	return netcfg_plan_build(cfg, plan);
}

/**
 * assert_rejected() - @cfg must give -EINVAL and an empty plan
 * @cfg:	configuration
 */
static void assert_rejected(const struct netns_config *cfg)
{
	struct netcfg_plan plan;

	assert_int_equal(build(cfg, &plan), -EINVAL);
	assert_int_equal(plan.n_addrs, 0);
	assert_int_equal(plan.n_routes, 0);
	assert_int_equal(plan.n_rules, 0);
}

/**
 * assert_accepted() - @cfg must give 0
 * @cfg:	configuration
 * @plan:	output
 */
static void assert_accepted(const struct netns_config *cfg,
			    struct netcfg_plan *plan)
{
	assert_int_equal(build(cfg, plan), 0);
}

/* --- defaults -------------------------------------------------------------- */

static void test_config_default(void **state)
{
	struct netns_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	netns_config_default(&cfg);

	assert_string_equal(cfg.tun_name, "tun0");
	assert_int_equal(cfg.mtu, 65520);
	assert_int_equal(cfg.txqueuelen, 10000);
	assert_addr(&cfg.addrs.sandbox4, "10.12.0.2");
	assert_addr(&cfg.addrs.gateway4, "10.12.0.1");
	assert_int_equal(cfg.addrs.prefix4, 24);
	assert_addr(&cfg.addrs.sandbox6, "fd12::2");
	assert_addr(&cfg.addrs.gateway6, "fd12::1");
	assert_int_equal(cfg.addrs.prefix6, 64);
	assert_int_equal(cfg.addrs.sandbox4.port, 0);
	assert_int_equal(cfg.addrs.gateway6.port, 0);
}

static void test_plan_default(void **state)
{
	const struct netcfg_route *r;
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);
	assert_accepted(&cfg, &plan);

	assert_string_equal(plan.tun_name, "tun0");
	assert_true(plan.ipv6);
	assert_int_equal(plan.mtu, 65520);
	assert_int_equal(plan.txqueuelen, 10000);

	assert_int_equal(plan.n_addrs, 2);
	assert_addr(&plan.addrs[0].addr, "10.12.0.2");
	assert_int_equal(plan.addrs[0].prefix, 24);
	assert_false(plan.addrs[0].nodad);
	assert_addr(&plan.addrs[1].addr, "fd12::2");
	assert_int_equal(plan.addrs[1].prefix, 64);
	assert_true(plan.addrs[1].nodad);

	assert_int_equal(plan.n_routes, 2);
	r = &plan.routes[0];
	assert_int_equal(r->family, AF_INET);
	assert_zero_addr(&r->dst, AF_INET);
	assert_int_equal(r->dst_len, 0);
	assert_int_equal(r->table, RT_TABLE_MAIN);
	assert_int_equal(r->src.family, 0);

	r = &plan.routes[1];
	assert_int_equal(r->family, AF_INET6);
	assert_zero_addr(&r->dst, AF_INET6);
	assert_int_equal(r->dst_len, 0);
	assert_int_equal(r->table, RT_TABLE_MAIN);
	assert_addr(&r->src, "fd12::2");	/* never a link-local source */

	assert_int_equal(plan.n_rules, 0);
}

static void test_plan_ports_dropped(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);
	cfg.addrs.sandbox4.port = 80;
	cfg.addrs.sandbox6.port = 443;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.addrs[0].addr.port, 0);
	assert_int_equal(plan.addrs[1].addr.port, 0);
	assert_int_equal(plan.routes[1].src.port, 0);
}

static void test_plan_ipv4_only(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);
	memset(&cfg.addrs.sandbox6, 0, sizeof(cfg.addrs.sandbox6));
	assert_accepted(&cfg, &plan);

	assert_false(plan.ipv6);
	assert_int_equal(plan.n_addrs, 1);
	assert_addr(&plan.addrs[0].addr, "10.12.0.2");
	assert_int_equal(plan.n_routes, 1);
	assert_int_equal(plan.routes[0].family, AF_INET);
}

/* --- MTU and queue length ---------------------------------------------------- */

static void test_mtu_edges(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);

	cfg.mtu = 1280;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.mtu, 1280);

	cfg.mtu = 65520;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.mtu, 65520);

	cfg.mtu = 1500;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.mtu, 1500);
}

static void test_mtu_invalid(void **state)
{
	static const unsigned int bad[] = { 0, 68, 576, 1279, 65521, 65535,
					    65536, 1u << 31, ~0u };
	struct netns_config cfg;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		netns_config_default(&cfg);
		cfg.mtu = bad[i];
		assert_rejected(&cfg);
	}
}

static void test_txqueuelen(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);

	cfg.txqueuelen = 1;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.txqueuelen, 1);
	cfg.txqueuelen = NETNS_TXQUEUELEN_MAX;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.txqueuelen, NETNS_TXQUEUELEN_MAX);

	cfg.txqueuelen = 0;
	assert_rejected(&cfg);
	cfg.txqueuelen = NETNS_TXQUEUELEN_MAX + 1;
	assert_rejected(&cfg);
}

/* --- device name ------------------------------------------------------------- */

static void test_tun_name(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "tun:0",
					   "tun 0", "tun\t0", "tun\n" };
	struct netns_config cfg;
	struct netcfg_plan plan;
	unsigned int i;

	(void)state;
	netns_config_default(&cfg);
	strcpy(cfg.tun_name, "sandbox-tun-015");	/* IFNAMSIZ - 1 */
	assert_accepted(&cfg, &plan);
	assert_string_equal(plan.tun_name, "sandbox-tun-015");

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		netns_config_default(&cfg);
		strcpy(cfg.tun_name, bad[i]);
		assert_rejected(&cfg);
	}

	/* No terminating NUL within IFNAMSIZ */
	netns_config_default(&cfg);
	memset(cfg.tun_name, 'x', sizeof(cfg.tun_name));
	assert_rejected(&cfg);
}

/* --- address families -------------------------------------------------------- */

static void test_families_mixed(void **state)
{
	struct netns_config cfg;

	(void)state;

	netns_config_default(&cfg);		/* IPv6 where IPv4 belongs */
	cfg.addrs.sandbox4 = ep("fd12::2");
	assert_rejected(&cfg);

	netns_config_default(&cfg);
	cfg.addrs.gateway4 = ep("fd12::1");
	assert_rejected(&cfg);

	netns_config_default(&cfg);		/* and the other way round */
	cfg.addrs.sandbox6 = ep("10.12.0.2");
	assert_rejected(&cfg);

	netns_config_default(&cfg);
	cfg.addrs.gateway6 = ep("10.12.0.1");
	assert_rejected(&cfg);

	netns_config_default(&cfg);		/* IPv4 is not optional */
	cfg.addrs.sandbox4.family = 0;
	assert_rejected(&cfg);

	netns_config_default(&cfg);		/* no family at all */
	cfg.addrs.gateway6.family = AF_UNIX;
	assert_rejected(&cfg);
}

/* --- prefix lengths ---------------------------------------------------------- */

static void test_prefix_edges(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;

	/* /31 and /127: the two ends of a point-to-point link */
	netns_config_default(&cfg);
	cfg.addrs.sandbox4 = ep("10.12.0.2");
	cfg.addrs.gateway4 = ep("10.12.0.3");
	cfg.addrs.prefix4 = 31;
	cfg.addrs.sandbox6 = ep("fd12::2");
	cfg.addrs.gateway6 = ep("fd12::3");
	cfg.addrs.prefix6 = 127;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.addrs[0].prefix, 31);
	assert_int_equal(plan.addrs[1].prefix, 127);

	/* /1: huge, but consistent */
	netns_config_default(&cfg);
	cfg.addrs.prefix4 = 1;
	cfg.addrs.prefix6 = 1;
	assert_accepted(&cfg, &plan);
	assert_int_equal(plan.addrs[0].prefix, 1);
	assert_int_equal(plan.addrs[1].prefix, 1);

	/* /30: the smallest IPv4 subnet with network and broadcast */
	netns_config_default(&cfg);
	cfg.addrs.sandbox4 = ep("10.12.0.6");
	cfg.addrs.gateway4 = ep("10.12.0.5");
	cfg.addrs.prefix4 = 30;
	assert_accepted(&cfg, &plan);
}

static void test_prefix_invalid(void **state)
{
	static const unsigned int bad4[] = { 0, 32, 33, 64, ~0u };
	static const unsigned int bad6[] = { 0, 128, 129, 256, ~0u };
	struct netns_config cfg;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad4); i++) {
		netns_config_default(&cfg);
		cfg.addrs.prefix4 = bad4[i];
		assert_rejected(&cfg);
	}
	for (i = 0; i < ARRAY_SIZE(bad6); i++) {
		netns_config_default(&cfg);
		cfg.addrs.prefix6 = bad6[i];
		assert_rejected(&cfg);
	}
}

/* --- addresses that cannot name the link's ends ------------------------------ */

static void test_addresses_invalid(void **state)
{
	static const struct {
		const char *sandbox, *gateway;
		unsigned int prefix;
	} bad[] = {
		{ "10.12.0.2",	 "10.12.0.2",	24 },	/* the same */
		{ "10.12.0.2",	 "10.13.0.1",	24 },	/* not on the link */
		{ "10.12.0.2",	 "10.12.0.1",	31 },	/* ditto, just */
		{ "10.12.0.0",	 "10.12.0.1",	24 },	/* network */
		{ "10.12.0.2",	 "10.12.0.255",	24 },	/* broadcast */
		{ "10.12.0.2",	 "10.12.0.3",	30 },	/* broadcast of /30 */
		{ "0.0.0.0",	 "0.0.0.1",	24 },	/* unspecified */
		{ "127.0.0.2",	 "127.0.0.1",	8 },	/* loopback */
		{ "224.0.0.2",	 "224.0.0.1",	24 },	/* multicast */
		{ "169.254.0.2", "169.254.0.1",	16 },	/* link-local */
		{ "fd12::2",	 "fd12::2",	64 },
		{ "fd12::2",	 "fd13::1",	64 },
		{ "fd12::2",	 "fd12::1",	127 },
		{ "::",		 "::2",		64 },
		{ "::1",	 "::2",		64 },
		{ "ff02::2",	 "ff02::1",	64 },
		{ "fe80::2",	 "fe80::1",	64 },
		{ "::ffff:10.12.0.2", "::ffff:10.12.0.1", 120 },
	};
	struct netns_config cfg;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct tg_endpoint s = ep(bad[i].sandbox);

		netns_config_default(&cfg);
		if (s.family == AF_INET) {
			cfg.addrs.sandbox4 = s;
			cfg.addrs.gateway4 = ep(bad[i].gateway);
			cfg.addrs.prefix4 = bad[i].prefix;
		} else {
			cfg.addrs.sandbox6 = s;
			cfg.addrs.gateway6 = ep(bad[i].gateway);
			cfg.addrs.prefix6 = bad[i].prefix;
		}
		print_message("  rejecting sandbox %s, gateway %s, /%u\n",
			      bad[i].sandbox, bad[i].gateway, bad[i].prefix);
		assert_rejected(&cfg);
	}
}

static void test_addresses_other(void **state)
{
	struct netns_config cfg;
	struct netcfg_plan plan;

	(void)state;
	netns_config_default(&cfg);
	cfg.addrs.sandbox4 = ep("198.51.100.10");
	cfg.addrs.gateway4 = ep("198.51.100.1");
	cfg.addrs.sandbox6 = ep("2001:db8::10");
	cfg.addrs.gateway6 = ep("2001:db8::1");
	assert_accepted(&cfg, &plan);

	assert_addr(&plan.addrs[0].addr, "198.51.100.10");
	assert_addr(&plan.addrs[1].addr, "2001:db8::10");
	assert_addr(&plan.routes[1].src, "2001:db8::10");
}

/* --- privileges_drop_all() --------------------------------------------------- */

/**
 * drop_child() - the forked child of test_privileges_drop_all()
 *
 * Return: exit status: 0 if all is dropped, else the number of the check
 * that failed (printed)
 */
static int drop_child(void)
{
	static const char *const zero[] = { "CapEff", "CapPrm", "CapInh",
					    "CapBnd", "CapAmb" };
	const int secbits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			    SECBIT_NO_SETUID_FIXUP |
			    SECBIT_NO_SETUID_FIXUP_LOCKED |
			    SECBIT_KEEP_CAPS_LOCKED |
			    SECBIT_NO_CAP_AMBIENT_RAISE |
			    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	unsigned long long v;
	unsigned int i;
	int rc;

	/* Something in the ambient set, to see it go */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0);

	rc = privileges_drop_all();
	if (rc) {
		fprintf(stderr, "privileges_drop_all: %s\n", strerror(-rc));
		return 1;
	}

	for (i = 0; i < ARRAY_SIZE(zero); i++) {
		if (test_status_field(zero[i], 16, &v) || v) {
			fprintf(stderr, "%s: %llx, want 0\n", zero[i], v);
			return 2 + (int)i;
		}
	}
	if (test_status_field("NoNewPrivs", 10, &v) || v != 1) {
		fprintf(stderr, "NoNewPrivs: %llu, want 1\n", v);
		return 10;
	}
	rc = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (rc != secbits) {
		fprintf(stderr, "securebits %#x, want %#x\n", rc, secbits);
		return 11;
	}
	/* Locked: clearing SECBIT_NOROOT must fail */
	if (prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) == 0) {
		fprintf(stderr, "securebits could be changed\n");
		return 12;
	}
	return 0;
}

static void test_privileges_drop_all(void **state)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	int status = -1;
	cap_t caps;
	pid_t pid;

	(void)state;
	caps = cap_get_proc();
	assert_non_null(caps);
	cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
	cap_free(caps);
	if (setpcap != CAP_SET) {
		print_message("  no CAP_SETPCAP: run as root to test this\n");
		skip();
	}

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(drop_child());

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_plan_default),
		cmocka_unit_test(test_plan_ports_dropped),
		cmocka_unit_test(test_plan_ipv4_only),
		cmocka_unit_test(test_mtu_edges),
		cmocka_unit_test(test_mtu_invalid),
		cmocka_unit_test(test_txqueuelen),
		cmocka_unit_test(test_tun_name),
		cmocka_unit_test(test_families_mixed),
		cmocka_unit_test(test_prefix_edges),
		cmocka_unit_test(test_prefix_invalid),
		cmocka_unit_test(test_addresses_invalid),
		cmocka_unit_test(test_addresses_other),
		cmocka_unit_test(test_privileges_drop_all),
	};

	return cmocka_run_group_tests_name("netcfg_plan", tests, NULL, NULL);
}

/* netns.h - the sandbox launcher: user and network namespaces, the TUN
 * device with its addresses and routes (all through libnl), and the
 * privileges of the program that runs inside.
 *
 * The module knows nothing of lwIP or of policy. Its caller (cmd/) runs the
 * launch sequence in this order:
 *
 *   netns_userns_enter()     the gateway gets its own user namespace (and
 *                            capabilities in it) but keeps the host's
 *                            network namespace for its sockets
 *   sandbox_spawn()          a child unshares a network namespace owned by
 *                            that user namespace, then waits
 *   sandbox_setup_network()  the TUN and its configuration, made from a
 *                            thread that setns()-es into the child's netns
 *   sandbox_start()          the child drops every privilege and execs
 *
 * Everything here except netcfg_plan_build() may die() on failure, with a
 * message that names the cause and the fix: it runs before the gateway.
 */
#ifndef TUNGATE_NETNS_H
#define TUNGATE_NETNS_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/**
 * struct netns_addrs - addressing of the sandbox's TUN link
 * @sandbox4:	the sandbox's IPv4 address (10.12.0.2), port unused
 * @gateway4:	the gateway's IPv4 address (10.12.0.1)
 * @prefix4:	IPv4 prefix length of the link (24)
 * @sandbox6:	the sandbox's IPv6 address (fd12::2); family 0: no IPv6 at all
 * @gateway6:	the gateway's IPv6 address (fd12::1)
 * @prefix6:	IPv6 prefix length of the link (64)
 *
 * Each gateway address must lie in its sandbox address's prefix and differ
 * from it; netcfg_plan_build() checks this.
 */
struct netns_addrs {
	struct tg_endpoint sandbox4;
	struct tg_endpoint gateway4;
	unsigned int prefix4;
	struct tg_endpoint sandbox6;
	struct tg_endpoint gateway6;
	unsigned int prefix6;
};

/**
 * struct netns_config - what the sandbox's network looks like
 * @tun_name:	TUN device name inside the sandbox ("tun0")
 * @mtu:	TUN MTU, 1280..65520 (65520)
 * @txqueuelen:	TUN transmit queue length (10000: 500 drops ACKs in bursts)
 * @addrs:	addresses of the link
 * @capture_loopback: route the sandbox's own loopback traffic through the
 *		gateway (true; netns/loopback_capture.c)
 * @vnet_hdr:	each packet on the TUN descriptor carries a struct
 *		virtio_net_hdr, and the device takes and hands over packets
 *		whose TCP/UDP checksum is left to be filled in (TUN_F_CSUM):
 *		neither the sandbox's kernel nor the gateway sums the payload
 *		(false; tungate-run sets it)
 */
struct netns_config {
	char tun_name[IFNAMSIZ];
	unsigned int mtu;
	unsigned int txqueuelen;
	struct netns_addrs addrs;
	bool capture_loopback;
	bool vnet_hdr;
};

#define NETNS_MTU_MIN		1280
#define NETNS_MTU_MAX		65520
#define NETNS_MTU_DEFAULT	65520

#define NETNS_TXQUEUELEN_MIN		1
#define NETNS_TXQUEUELEN_MAX		1000000
#define NETNS_TXQUEUELEN_DEFAULT	10000

/**
 * netns_config_default() - fill @cfg with the defaults documented above
 */
void netns_config_default(struct netns_config *cfg);

/* --- Configuration plan: pure, unit-tested -------------------------------- */

#define NETCFG_MAX_ADDRS	8
#define NETCFG_MAX_ROUTES	16
#define NETCFG_MAX_RULES	32

/**
 * struct netcfg_addr - an address to add to the TUN device
 * @addr:	address (port unused)
 * @prefix:	prefix length
 * @nodad:	IPv6: skip duplicate address detection (else it is tentative)
 */
struct netcfg_addr {
	struct tg_endpoint addr;
	unsigned int prefix;
	bool nodad;
};

/**
 * struct netcfg_route - a route through the TUN device
 * @family:	AF_INET or AF_INET6
 * @dst:	destination (port unused)
 * @dst_len:	destination prefix length; 0 with @dst all-zero is "default"
 * @table:	routing table (RT_TABLE_MAIN = 254)
 * @src:	preferred source, family 0 for none
 */
struct netcfg_route {
	sa_family_t family;
	struct tg_endpoint dst;
	unsigned int dst_len;
	uint32_t table;
	struct tg_endpoint src;
};

/**
 * struct netcfg_rule - a policy routing rule (used by loopback capture)
 * @family:	AF_INET or AF_INET6
 * @pref:	preference (priority)
 * @dst:	destination selector, family 0 for any
 * @dst_len:	its prefix length
 * @iif:	input interface selector ("lo"), empty for any
 * @table:	table to look up (for FR_ACT_TO_TBL)
 * @action:	FR_ACT_TO_TBL, FR_ACT_PROHIBIT, ...
 * @remove:	delete this rule instead of adding it (moving the "local" rule)
 */
struct netcfg_rule {
	sa_family_t family;
	uint32_t pref;
	struct tg_endpoint dst;
	unsigned int dst_len;
	char iif[IFNAMSIZ];
	uint32_t table;
	uint8_t action;
	bool remove;
};

/**
 * struct netcfg_plan - everything applied inside the sandbox, in order:
 * lo up; TUN MTU, txqueuelen, no IPv6 link-local, up; addresses; routes;
 * rules; loopback capture (if @capture_loopback)
 * @tun_name:	TUN device name
 * @ipv6:	the sandbox has IPv6: the TUN gets no link-local address (with
 *		IPv6 off, its IPv6 settings are left alone)
 * @mtu:	TUN MTU
 * @txqueuelen:	TUN transmit queue length
 * @addrs:	addresses on the TUN, @n_addrs of them
 * @routes:	routes through the TUN, @n_routes of them
 * @rules:	policy routing rules, @n_rules of them, applied in order
 */
struct netcfg_plan {
	char tun_name[IFNAMSIZ];
	bool ipv6;
	unsigned int mtu;
	unsigned int txqueuelen;
	struct netcfg_addr addrs[NETCFG_MAX_ADDRS];
	unsigned int n_addrs;
	struct netcfg_route routes[NETCFG_MAX_ROUTES];
	unsigned int n_routes;
	struct netcfg_rule rules[NETCFG_MAX_RULES];
	unsigned int n_rules;
	bool capture_loopback;
	bool vnet_hdr;
};

/**
 * netcfg_plan_build() - turn a configuration into a plan
 * @cfg:	configuration
 * @plan:	output
 *
 * Pure: no system calls. Return: 0, or -EINVAL for an inconsistent @cfg
 * (MTU out of range, address families mixed up, prefix too long).
 */
int netcfg_plan_build(const struct netns_config *cfg, struct netcfg_plan *plan);

/* --- Launch sequence --------------------------------------------------------- */

/**
 * netns_userns_enter() - move the calling process into a new user namespace
 *
 * Maps the caller's uid and gid to themselves (root: the whole range), so the
 * program later runs with the invoking user's own ids, and gives the caller
 * every capability in that namespace. The network namespace is unchanged:
 * sockets the gateway opens afterwards are host sockets. Must be called
 * while single-threaded. For root, a helper process (forked and reaped
 * here) writes the full maps from the parent namespace. Dies with the cause
 * and fix when user namespaces are unavailable (sysctl, AppArmor
 * restriction).
 */
void netns_userns_enter(void);

/**
 * struct sandbox - the program's side of the launch
 * @pid:	the child; after sandbox_start(), the program itself
 * @netns_fd:	its network namespace (O_CLOEXEC)
 * @go_fd:	write end: tells the child to drop privileges and exec (a
 *		socket, so a dead child means an error, not SIGPIPE)
 * @status_fd:	read end: EOF when exec succeeded, else the failed step and
 *		its errno
 * @cmd:	argv[0] of the program, for messages
 */
struct sandbox {
	pid_t pid;
	int netns_fd;
	int go_fd;
	int status_fd;
	const char *cmd;
};

/**
 * sandbox_spawn() - fork the child that will become the program
 * @sb:		filled in
 * @argv:	the program's argv; argv[0] is looked up in PATH
 * @exec_sigmask: signal mask the program starts with; NULL: none blocked
 *
 * The child unshares a network namespace, reports it is there, and waits
 * for sandbox_start(). It stays in the caller's session and process group
 * (the terminal and job control keep working) and keeps stdin, stdout,
 * stderr, the environment and the working directory. Returns once the
 * child's network namespace exists and @sb->netns_fd refers to it. If this
 * process dies before sandbox_start(), the child exits without running
 * anything. Must be called after netns_userns_enter(); @argv must stay
 * valid until sandbox_start().
 */
void sandbox_spawn(struct sandbox *sb, char *const argv[],
		   const sigset_t *exec_sigmask);

/**
 * sandbox_setup_network() - create and configure the TUN in the sandbox
 * @sb:		from sandbox_spawn()
 * @cfg:	configuration
 *
 * Applies netcfg_plan_build(@cfg) through libnl from a thread that joins
 * the sandbox's network namespace. Return: the TUN file descriptor (IFF_TUN,
 * IFF_NO_PI, O_NONBLOCK, O_CLOEXEC). The device exists as long as this
 * descriptor is open: if the gateway dies, the sandbox has no route at all.
 * On a kernel without IPv6 (ipv6.disable=1) the sandbox gets IPv4 only,
 * with a warning. Dies on any failure, naming the step.
 */
int sandbox_setup_network(const struct sandbox *sb,
			  const struct netns_config *cfg);

/**
 * sandbox_run_inside() - run @fn in a thread inside the sandbox's netns
 * @sb:		sandbox
 * @fn:		function; sockets it creates belong to the sandbox
 * @arg:	its argument
 *
 * Return: what @fn returned, or -errno if the thread could not join.
 */
int sandbox_run_inside(const struct sandbox *sb, int (*fn)(void *arg), void *arg);

/**
 * sandbox_start() - let the child drop privileges and exec the program
 * @sb:		sandbox
 *
 * The child drops every capability (effective, permitted, inheritable,
 * ambient and bounding sets), locks the securebits so a uid 0 exec regains
 * none, sets PR_SET_NO_NEW_PRIVS, sets every signal disposition back to
 * what this process inherited (SIG_IGN stays ignored, as across any exec;
 * everything else SIG_DFL), restores the signal mask and execs. Blocks until
 * the exec succeeded or failed.
 *
 * Return: 0 once the program runs; otherwise, after printing why, the exit
 * status to report: 127 (not found) or 126 (found, not executable). Either
 * way @sb->pid is left to the caller to reap (after a failure, it exits
 * with status 127).
 */
int sandbox_start(struct sandbox *sb);

/**
 * privileges_drop_all() - the child's privilege drop, described above
 *
 * Exposed for tests. Return: 0, or -errno.
 */
int privileges_drop_all(void);

#endif /* TUNGATE_NETNS_H */

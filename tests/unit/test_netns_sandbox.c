/* test_netns_sandbox.c - the whole launch sequence of netns.h, for real.
 *
 * Each test forks a child (the "gateway": user namespaces need a
 * single-threaded process, and what it changes cannot be undone) that runs
 * netns_userns_enter(), sandbox_spawn(), sandbox_setup_network() and
 * sandbox_start(). The sandboxed program is this very binary, run again
 * with --inside: it checks from within what it was given (identity, process
 * group, environment, signals, descriptors, capabilities, the TUN's
 * configuration, no right to change it) and sends one UDP datagram per
 * family to the gateway's addresses, which the gateway must read from the
 * TUN with the sandbox's addresses as source.
 *
 *   gateway (forked test child)             program (this binary --inside)
 *   host netns, own user namespace          sandbox netns: lo, tun0
 *        TUN fd  <========================  10.12.0.2 -> 10.12.0.1:5555
 *                                           fd12::2   -> fd12::1:5555
 *
 * Traffic never leaves the sandbox's namespace. Skipped when /dev/net/tun
 * cannot be opened (run as root, or with a 0666 node). Every wait is bounded
 * by alarm().
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_util.h"

#include "netns/netns.h"

#include <netlink/netlink.h>
#include <netlink/route/route.h>

#define UDP_PORT	5555
#define MARK_ENV	"TG_TEST_SANDBOX_MARK"
#define MARK_VALUE	"kept across the sandbox"

/* --- helpers, both sides ---------------------------------------------------- */

/**
 * file_has_line() - does @path have a line matching @pred?
 * @path:	file
 * @pred:	predicate on one line
 *
 * Return: true if some line matches
 */
static bool file_has_line(const char *path, bool (*pred)(const char *line))
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = pred(line);
	fclose(f);
	return found;
}

/* --- the program's side: --inside ----------------------------------------- */

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "inside: " __VA_ARGS__);	\
			fprintf(stderr, "\n");				\
			return __LINE__ % 100 + 1;			\
		}							\
	} while (0)

static bool if_inet6_sandbox(const char *l)
{
	return !strncmp(l, "fd120000000000000000000000000002 ", 33) &&
	       strstr(l, " tun0\n");
}

static bool if_inet6_linklocal_tun(const char *l)
{
	return !strncmp(l, "fe80", 4) && strstr(l, " tun0\n");
}

static bool route4_default_tun(const char *l)
{
	return !strncmp(l, "tun0\t00000000\t00000000\t", 23);
}

static bool route6_default_tun(const char *l)
{
	return !strncmp(l, "00000000000000000000000000000000 00 ", 36) &&
	       strstr(l, " tun0\n");
}

/**
 * inside_fds_ok() - only 0, 1 and 2 open (the gateway closed the rest)
 *
 * Return: true if so
 */
static bool inside_fds_ok(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	bool ok = true;

	if (!dir)
		return false;
	while ((d = readdir(dir))) {
		int fd = atoi(d->d_name);
		char path[64], target[256] = "";

		if (d->d_name[0] == '.' || fd <= 2 || fd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (readlink(path, target, sizeof(target) - 1) < 0)
			strcpy(target, "?");
		fprintf(stderr, "inside: leaked fd %d -> %s\n", fd, target);
		ok = false;
	}
	closedir(dir);
	return ok;
}

/**
 * inside_map_ok() - is /proc/self/@file "ID ID COUNT", a single line?
 * @file:	"uid_map" or "gid_map"
 * @id:		the id expected to map to itself
 * @count:	expected range length
 *
 * Return: true if so
 */
static bool inside_map_ok(const char *file, unsigned long id,
			  unsigned long count)
{
	unsigned long in, out, n;
	char path[64], extra[8];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	rc = fscanf(f, "%lu %lu %lu", &in, &out, &n);
	if (rc == 3 && fscanf(f, "%7s", extra) == 1)
		rc = -1;			/* a second line */
	fclose(f);
	if (rc != 3 || in != id || out != id || n != count) {
		fprintf(stderr, "inside: %s is not \"%lu %lu %lu\"\n", file, id,
			id, count);
		return false;
	}
	return true;
}

/**
 * inside_send() - one UDP datagram to the gateway's @addr
 * @family:	AF_INET or AF_INET6
 * @addr:	literal address
 *
 * Return: true if sent
 */
static bool inside_send(int family, const char *addr)
{
	struct sockaddr_storage ss;
	struct tg_endpoint ep;
	socklen_t len;
	ssize_t n;
	int s;

	if (!tg_endpoint_parse_addr(&ep, addr) || ep.family != family)
		return false;
	ep.port = UDP_PORT;
	len = tg_endpoint_to_sockaddr(&ep, &ss);
	s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	n = sendto(s, "tungate", 7, 0, (struct sockaddr *)&ss, len);
	if (n < 0)
		fprintf(stderr, "inside: sendto %s: %s\n", addr, strerror(errno));
	close(s);
	return n == 7;
}

/**
 * inside_route_delete() - try to delete the IPv4 default route
 *
 * Return: libnl's result (negative NLE code)
 */
static int inside_route_delete(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *dst = NULL;
	int err;

	if (!sk || !r)
		return -NLE_NOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err >= 0)
		err = nl_addr_parse("default", AF_INET, &dst);
	if (err >= 0) {
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		err = rtnl_route_delete(sk, r, 0);
	}
	if (dst)
		nl_addr_put(dst);
	rtnl_route_put(r);
	nl_socket_free(sk);
	return err;
}

/**
 * inside_main() - the checks the sandboxed program runs on itself
 * @argv:	--inside UID GID PGID SID CWD SIGIGN MAPCOUNT
 *
 * Return: 0, or a number telling which check failed (also printed)
 */
static int inside_main(char **argv)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff",
					    "CapBnd", "CapAmb" };
	unsigned long long v = ~0ULL, sigusr1 = 1ULL << (SIGUSR1 - 1);
	const char *mark = getenv(MARK_ENV);
	struct ifreq ifr;
	char cwd[4096];
	unsigned int i;
	int s, err;

	alarm(20);

	CHECK(inside_fds_ok(), "descriptors leaked into the program");

	for (i = 0; i < ARRAY_SIZE(caps); i++)
		CHECK(!test_status_field(caps[i], 16, &v) && v == 0, "%s %llx", caps[i], v);
	CHECK(!test_status_field("NoNewPrivs", 16, &v) && v == 1, "NoNewPrivs %llu", v);

	CHECK(getuid() == strtoul(argv[2], NULL, 10) &&
	      geteuid() == getuid(), "uid %u, want %s", getuid(), argv[2]);
	CHECK(getgid() == strtoul(argv[3], NULL, 10) &&
	      getegid() == getgid(), "gid %u, want %s", getgid(), argv[3]);
	CHECK(inside_map_ok("uid_map", strtoul(argv[2], NULL, 10),
			    strtoul(argv[8], NULL, 10)), "uid_map");
	CHECK(inside_map_ok("gid_map", strtoul(argv[3], NULL, 10),
			    strtoul(argv[8], NULL, 10)), "gid_map");
	CHECK(getpgrp() == atoi(argv[4]), "pgrp %d, want %s", getpgrp(),
	      argv[4]);
	CHECK(getsid(0) == atoi(argv[5]), "sid %d, want %s", getsid(0),
	      argv[5]);
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, argv[6]),
	      "cwd %s, want %s", cwd, argv[6]);
	CHECK(mark && !strcmp(mark, MARK_VALUE), "environment not kept");

	CHECK(!test_status_field("SigBlk", 16, &v) && v == sigusr1, "SigBlk %llx", v);
	CHECK(!test_status_field("SigIgn", 16, &v) && v == strtoull(argv[7], NULL, 16),
	      "SigIgn %llx, want %s", v, argv[7]);

	/* The TUN as netcfg_apply() left it */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "tun0");
	CHECK(!ioctl(s, SIOCGIFMTU, &ifr) && ifr.ifr_mtu == 65520,
	      "tun0 mtu %d", ifr.ifr_mtu);
	CHECK(!ioctl(s, SIOCGIFTXQLEN, &ifr) && ifr.ifr_qlen == 10000,
	      "tun0 txqueuelen %d", ifr.ifr_qlen);
	CHECK(!ioctl(s, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP),
	      "tun0 down");
	CHECK(!ioctl(s, SIOCGIFADDR, &ifr) &&
	      ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr ==
	      htonl(0x0a0c0002), "tun0 has no 10.12.0.2");
	CHECK(!ioctl(s, SIOCGIFNETMASK, &ifr) &&
	      ((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr ==
	      htonl(0xffffff00), "tun0 netmask not /24");
	strcpy(ifr.ifr_name, "lo");
	CHECK(!ioctl(s, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP),
	      "lo down");
	close(s);

	CHECK(file_has_line("/proc/net/if_inet6", if_inet6_sandbox),
	      "tun0 has no fd12::2");
	CHECK(!file_has_line("/proc/net/if_inet6", if_inet6_linklocal_tun),
	      "tun0 has a link-local address");
	CHECK(file_has_line("/proc/net/route", route4_default_tun),
	      "no IPv4 default route via tun0");
	CHECK(file_has_line("/proc/net/ipv6_route", route6_default_tun),
	      "no IPv6 default route via tun0");

	/* ... and the program cannot change it */
	err = inside_route_delete();
	CHECK(err == -NLE_PERM, "deleting the default route: %s",
	      err ? nl_geterror(err) : "succeeded");

	CHECK(inside_send(AF_INET, "10.12.0.1"), "no IPv4 datagram sent");
	CHECK(inside_send(AF_INET6, "fd12::1"), "no IPv6 datagram sent");
	return 0;
}

/* --- the gateway's side ------------------------------------------------------ */

/**
 * tun_usable() - can this process open /dev/net/tun?
 *
 * Return: true if so
 */
static bool tun_usable(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		print_message("  /dev/net/tun: %s: run as root to test this\n",
			      strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/**
 * is_test_datagram() - is @p our UDP datagram, from the sandbox's address?
 * @p:		packet read from the TUN
 * @len:	its length
 *
 * Return: 4 or 6 for a match of that family, else 0
 */
static int is_test_datagram(const uint8_t *p, size_t len)
{
	static const uint8_t src6[16] = { 0xfd, 0x12, [15] = 2 };
	static const uint8_t dst6[16] = { 0xfd, 0x12, [15] = 1 };
	static const uint8_t src4[4] = { 10, 12, 0, 2 };
	static const uint8_t dst4[4] = { 10, 12, 0, 1 };
	size_t ihl;

	if (len >= 28 && p[0] >> 4 == 4) {
		ihl = (size_t)(p[0] & 0xf) * 4;
		if (p[9] != IPPROTO_UDP || len < ihl + 8)
			return 0;
		if (memcmp(p + 12, src4, 4) || memcmp(p + 16, dst4, 4))
			return 0;
		return (p[ihl + 2] << 8 | p[ihl + 3]) == UDP_PORT ? 4 : 0;
	}
	if (len >= 48 && p[0] >> 4 == 6) {
		if (p[6] != IPPROTO_UDP)
			return 0;
		if (memcmp(p + 8, src6, 16) || memcmp(p + 24, dst6, 16))
			return 0;
		return (p[42] << 8 | p[43]) == UDP_PORT ? 6 : 0;
	}
	return 0;
}

/**
 * gateway_read_datagrams() - wait for both test datagrams on the TUN
 * @fd:		TUN descriptor
 *
 * Bounded: 10 seconds and 1000 packets.
 *
 * Return: true if both arrived
 */
static bool gateway_read_datagrams(int fd)
{
	bool got4 = false, got6 = false;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[65536];
	uint64_t deadline = now_ms() + 10000;
	int i;

	for (i = 0; i < 1000 && !(got4 && got6); i++) {
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		switch (is_test_datagram(buf, (size_t)n)) {
		case 4:
			got4 = true;
			break;
		case 6:
			got6 = true;
			break;
		}
	}
	if (!got4 || !got6)
		fprintf(stderr, "gateway: datagram missing:%s%s\n",
			got4 ? "" : " IPv4", got6 ? "" : " IPv6");
	return got4 && got6;
}

/**
 * gateway_main() - the gateway's launch sequence, in a forked child
 * @argv:	the program
 * @with_network: set up the TUN and expect the datagrams
 *
 * Return: exit status: the program's, or sandbox_start()'s 126/127, or
 * 100 + n for a failure here
 */
static int gateway_main(char *const argv[], bool with_network)
{
	struct netns_config cfg;
	struct sandbox sb;
	sigset_t mask;
	int status, rc, fd = -1;

	alarm(30);
	netns_userns_enter();

	/* What a gateway does with its own signals must not reach the
	 * program: SIGPIPE ignored here, SIGUSR1 blocked there.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);

	sandbox_spawn(&sb, argv, &mask);
	if (sb.pid <= 0 || sb.netns_fd < 0)
		return 101;

	if (with_network) {
		netns_config_default(&cfg);
		fd = sandbox_setup_network(&sb, &cfg);
		if (fd < 0)
			return 102;
		/* Not in this (host) namespace */
		if (if_nametoindex("tun0"))
			return 103;
	}

	rc = sandbox_start(&sb);
	if (waitpid(sb.pid, &status, 0) != sb.pid)
		return 104;
	if (rc)
		return WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		       rc : 105;
	if (with_network && !gateway_read_datagrams(fd))
		return 106;
	if (!WIFEXITED(status))
		return 107;
	return WEXITSTATUS(status);
}

/**
 * run_gateway() - fork, run gateway_main() there, return its exit status
 * @argv:	the program
 * @with_network: see gateway_main()
 *
 * Return: exit status
 */
static int run_gateway(char *const argv[], bool with_network)
{
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Anything above 2 in the program would be a leak. */
		close_range(3, ~0U, 0);
		_exit(gateway_main(argv, with_network));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_sandbox_network(void **state)
{
	char uid[16], gid[16], pgid[16], sid[16], sigign[32], cwd[4096];
	char count[16];
	unsigned long long ign = 0, eff = 0, setid;
	char *argv[] = { "/proc/self/exe", "--inside", uid, gid, pgid, sid,
			 cwd, sigign, count, NULL };

	(void)state;
	if (!tun_usable())
		skip();

	snprintf(uid, sizeof(uid), "%u", geteuid());
	snprintf(gid, sizeof(gid), "%u", getegid());
	snprintf(pgid, sizeof(pgid), "%d", (int)getpgrp());
	snprintf(sid, sizeof(sid), "%d", (int)getsid(0));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(test_status_field("SigIgn", 16, &ign), 0);	/* as inherited */
	snprintf(sigign, sizeof(sigign), "%llx", ign);
	/* Root maps every id if it may (CAP_SETUID and CAP_SETGID), else
	 * only its own, like everybody else.
	 */
	assert_int_equal(test_status_field("CapEff", 16, &eff), 0);
	setid = 1ULL << CAP_SETUID | 1ULL << CAP_SETGID;
	snprintf(count, sizeof(count), "%s",
		 geteuid() == 0 && (eff & setid) == setid ? "4294967295" : "1");
	assert_int_equal(setenv(MARK_ENV, MARK_VALUE, 1), 0);

	assert_int_equal(run_gateway(argv, true), 0);
}

static void test_start_not_found(void **state)
{
	char *argv[] = { "tungate-test-no-such-command", NULL };
	char *path[] = { "/nonexistent/tungate-test", NULL };

	(void)state;
	assert_int_equal(run_gateway(argv, false), 127);
	assert_int_equal(run_gateway(path, false), 127);
}

static void test_start_not_executable(void **state)
{
	char *file[] = { "/proc/self/status", NULL };	/* not executable */
	char *dir[] = { "/", NULL };

	(void)state;
	assert_int_equal(run_gateway(file, false), 126);
	assert_int_equal(run_gateway(dir, false), 126);
}

static void test_start_path_search(void **state)
{
	char dir[] = "/tmp/tungate-test-XXXXXX";
	char closed[64], searchable[64], file[96], path[160];
	char *noexec[] = { "tungate-test-noexec", NULL };
	char *absent[] = { "tungate-test-absent", NULL };
	const char *saved = getenv("PATH");
	char *old = saved ? strdup(saved) : NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(closed, sizeof(closed), "%s/closed", dir);
	snprintf(searchable, sizeof(searchable), "%s/open", dir);
	snprintf(file, sizeof(file), "%s/%s", searchable, noexec[0]);
	assert_int_equal(mkdir(closed, 0), 0);		/* not searchable */
	assert_int_equal(mkdir(searchable, 0755), 0);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	/* An unsearchable directory first: execvp() says EACCES for both */
	snprintf(path, sizeof(path), "%s:%s", closed, searchable);
	assert_int_equal(setenv("PATH", path, 1), 0);
	assert_int_equal(run_gateway(noexec, false), 126);
	assert_int_equal(run_gateway(absent, false), 127);

	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	free(old);
	unlink(file);
	rmdir(searchable);
	rmdir(closed);
	rmdir(dir);
}

static void test_start_exit_status(void **state)
{
	char *argv[] = { "sh", "-c", "exit 42", NULL };

	(void)state;
	assert_int_equal(run_gateway(argv, false), 42);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_network),
		cmocka_unit_test(test_start_not_found),
		cmocka_unit_test(test_start_not_executable),
		cmocka_unit_test(test_start_path_search),
		cmocka_unit_test(test_start_exit_status),
	};

	if (argc == 9 && !strcmp(argv[1], "--inside"))
		return inside_main(argv);

	return cmocka_run_group_tests_name("netns_sandbox", tests, NULL, NULL);
}

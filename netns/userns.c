/* userns.c - the gateway's own user namespace.
 *
 * netns_userns_enter() is the first step of the launch (see netns.h): the
 * process unshares a user namespace, which gives it every capability there,
 * and maps its own uid and gid to themselves, so the program started later
 * keeps the invoking user's identity:
 *
 *   unprivileged user     setgroups "deny", uid_map "U U 1", gid_map "G G 1"
 *   root                  uid_map and gid_map "0 0 4294967295" (every id
 *                         maps to itself; setgroups stays allowed), written
 *                         by a helper process left in the parent namespace;
 *                         or the unprivileged mapping if root lacks
 *                         CAP_SETUID or CAP_SETGID there (some containers)
 *
 * With those capabilities the sandbox's network namespace (created by the
 * child, owned by this user namespace) can be configured without privilege
 * in the host. The network namespace of this process does not change.
 *
 * When user namespaces are unavailable, userns_hint() reads the sysctls
 * that distributions use to switch them off and names the one to change.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns/netns_int.h"

/**
 * sysctl_read() - read a small integer from a /proc/sys file
 * @path:	file
 *
 * Return: its value, or -1 if it is missing or unreadable
 */
static long sysctl_read(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

const char *userns_hint(int err)
{
	bool root = geteuid() == 0;

	if (sysctl_read("/proc/sys/user/max_user_namespaces") == 0) {
		return "User namespaces are disabled (user.max_user_namespaces "
		       "= 0); enable them with: sysctl -w "
		       "user.max_user_namespaces=15000";
	}
	if (!root &&
	    sysctl_read("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		return "Unprivileged user namespaces are disabled "
		       "(kernel.unprivileged_userns_clone = 0); enable them "
		       "with: sysctl -w kernel.unprivileged_userns_clone=1, or "
		       "run tungate-run as root";
	}
	if (!root &&
	    sysctl_read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
	    == 1) {
		return "AppArmor restricts unprivileged user namespaces "
		       "(kernel.apparmor_restrict_unprivileged_userns = 1); "
		       "allow them with: sysctl -w "
		       "kernel.apparmor_restrict_unprivileged_userns=0, or "
		       "install an AppArmor profile for tungate-run that "
		       "grants \"userns\", or run tungate-run as root";
	}
	switch (err) {
	case ENOSPC:
	case EUSERS:
		return "The limit on user namespaces was reached "
		       "(user.max_user_namespaces, or more than 32 nested)";
	case EINVAL:
		return "The process was not single-threaded, or the kernel "
		       "lacks user namespace support (CONFIG_USER_NS)";
	case EPERM:
	case EACCES:
		return "A seccomp filter (as in many containers) or a security "
		       "module forbids it; try running tungate-run outside "
		       "the container, or allow unshare(CLONE_NEWUSER) there";
	default:
		return "User namespaces seem unavailable on this system";
	}
}

/**
 * userns_die() - report a failed step with the hint, and exit
 * @what:	the step ("creating a user namespace")
 * @err:	its errno
 */
__attribute__((noreturn))
static void userns_die(const char *what, int err)
{
	die("%s: %s. %s", what, strerror(err), userns_hint(err));
}

/**
 * proc_write() - write @text to /proc/self/@file in one write()
 * @file:	"uid_map", "gid_map" or "setgroups"
 * @text:	contents
 *
 * Return: 0, or -errno
 */
static int proc_write(const char *file, const char *text)
{
	char path[64];
	size_t len = strlen(text);
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

/**
 * map_self() - map one id to itself in "uid_map" or "gid_map"
 * @file:	"uid_map" or "gid_map"
 * @id:		the id
 *
 * Return: 0, or -errno
 */
static int map_self(const char *file, unsigned int id)
{
	char line[48];

	snprintf(line, sizeof(line), "%u %u 1\n", id, id);
	return proc_write(file, line);
}

/**
 * deny_setgroups() - the precondition for an unprivileged gid_map
 *
 * Return: 0, or -errno; a kernel without the file (before 3.19) needs none
 */
static int deny_setgroups(void)
{
	int rc = proc_write("setgroups", "deny\n");

	return rc == -ENOENT ? 0 : rc;
}

/**
 * map_ids_unprivileged() - map the caller's own uid and gid only
 * @uid:	effective uid
 * @gid:	effective gid
 * @uid_done:	uid_map was already written (by the root attempt)
 */
static void map_ids_unprivileged(uid_t uid, gid_t gid, bool uid_done)
{
	char what[64];
	int rc;

	if (!uid_done && (rc = map_self("uid_map", uid)) < 0) {
		snprintf(what, sizeof(what), "writing uid_map \"%u %u 1\"",
			 uid, uid);
		userns_die(what, -rc);
	}
	if ((rc = deny_setgroups()) < 0)
		userns_die("writing \"deny\" to /proc/self/setgroups", -rc);
	if ((rc = map_self("gid_map", gid)) < 0) {
		snprintf(what, sizeof(what), "writing gid_map \"%u %u 1\"",
			 gid, gid);
		userns_die(what, -rc);
	}
}

/**
 * map_written() - has this user namespace's uid_map or gid_map been set?
 * @file:	"uid_map" or "gid_map"
 *
 * Return: true if /proc/self/@file has a line
 */
static bool map_written(const char *file)
{
	char path[64], buf[8];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0;
}

/**
 * map_helper() - the helper's side of userns_unshare_root(); never returns
 * @target:	the process that unshared
 * @go_fd:	read end of the pipe that says it did
 *
 * Writes "0 0 4294967295" to the target's uid_map and gid_map. Its failures
 * show in the maps, which the target reads back.
 */
__attribute__((noreturn))
static void map_helper(pid_t target, int go_fd)
{
	static const char all[] = "0 0 4294967295\n";
	static const char *const files[] = { "uid_map", "gid_map" };
	char path[64], c;
	unsigned int i;
	ssize_t n;
	int fd;

	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);		/* the target gave up */

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)target,
			 files[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		n = write(fd, all, sizeof(all) - 1);
		close(fd);
		if (n != (ssize_t)sizeof(all) - 1)
			_exit(1);
	}
	_exit(0);
}

/**
 * userns_unshare_root() - unshare, with every id mapped to itself
 *
 * A process can never write a map wider than its own ids for a namespace it
 * has just entered: that needs CAP_SETUID and CAP_SETGID in the parent
 * namespace, which it left. A helper forked beforehand stays there and
 * writes both maps, as newuidmap(1) would. If it cannot (root without those
 * capabilities, as in some containers), the caller falls back to mapping
 * uid and gid 0 alone.
 */
static void userns_unshare_root(void)
{
	pid_t self = getpid(), helper;
	int go[2], err;

	if (pipe2(go, O_CLOEXEC))
		die("creating a pipe: %m");
	helper = fork();
	if (helper < 0)
		die("cannot fork the id map helper: %m");
	if (helper == 0) {
		close(go[1]);
		map_helper(self, go[0]);
	}
	close(go[0]);

	if (unshare(CLONE_NEWUSER)) {
		err = errno;
		close(go[1]);
		waitpid(helper, NULL, 0);
		userns_die("cannot create a user namespace", err);
	}

	if (write(go[1], "g", 1) != 1)
		die("starting the id map helper: %m");
	close(go[1]);
	/* Its exit status says little if SIGCHLD is ignored: read the maps. */
	waitpid(helper, NULL, 0);
}

void netns_userns_enter(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	bool uid_done;

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER))
			userns_die("cannot create a user namespace", errno);
		map_ids_unprivileged(uid, gid, false);
		debug("user namespace: uid %u and gid %u mapped to themselves",
		      uid, gid);
		return;
	}

	/* Root: every id to itself, so files and groups keep their owners. */
	userns_unshare_root();
	uid_done = map_written("uid_map");
	if (uid_done && map_written("gid_map")) {
		debug("user namespace: all ids mapped to themselves");
		return;
	}

	/* uid_map can only be written once: it may be done already. */
	debug("user namespace: no CAP_SETUID/CAP_SETGID in the parent "
	      "namespace, mapping uid and gid 0 only");
	map_ids_unprivileged(uid, gid, uid_done);
}

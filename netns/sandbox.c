/* sandbox.c - the child that becomes the program, and its network.
 *
 * Theory of operation (the launch sequence of netns.h, after
 * netns_userns_enter()):
 *
 *   gateway (this process)                 child
 *   ----------------------                 -----
 *   sandbox_spawn(): fork ---------------> unshare(CLONE_NEWNET)
 *                                          (owned by our user namespace)
 *     read ready pipe <------------------- write {NETNS, errno or 0}
 *     open /proc/PID/ns/net                read go socket (blocks)
 *   sandbox_setup_network():
 *     thread: setns(netns), TUN, libnl
 *   sandbox_start(): send go -----------> privileges_drop_all()
 *                                          signal dispositions, mask
 *     read status pipe <----------------- execvp(); on failure write
 *       EOF: exec done -> 0                {EXEC, errno}, _exit(127)
 *       errno -> message, 127 or 126
 *
 * The child stays in our session and process group and keeps stdin, stdout,
 * stderr, the environment and the working directory: to the terminal and to
 * job control, `tungate-run -- bash` is bash. Every descriptor this file
 * opens is close-on-exec, so the program inherits only what we inherited.
 * If the gateway dies before sandbox_start(), the child reads EOF on the go
 * socket and exits without running anything.
 *
 * The gateway keeps its host network namespace (its sockets reach the
 * world) and reaches the sandbox's from a short-lived thread that setns()-es
 * into it: sockets and TUN devices created there belong to the sandbox and
 * stay usable from any thread. The thread cannot go back (that needs
 * CAP_SYS_ADMIN in the host), so it just ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns/netns_int.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

/**
 * enum sandbox_stage - the child's step a struct sandbox_msg reports on
 * @SANDBOX_NETNS:	unshare(CLONE_NEWNET), reported on the ready pipe
 * @SANDBOX_PRIVILEGES:	privileges_drop_all(), reported on the status pipe
 * @SANDBOX_EXEC:	execvp(), reported on the status pipe
 */
enum sandbox_stage {
	SANDBOX_NETNS = 1,
	SANDBOX_PRIVILEGES,
	SANDBOX_EXEC,
};

/**
 * struct sandbox_msg - what the child tells the parent
 * @stage:	enum sandbox_stage
 * @err:	0, or the errno of that step
 */
struct sandbox_msg {
	int stage;
	int err;
};

/* Signals this process inherited as ignored, noted before main() so that
 * whatever the gateway does with its own dispositions later, the program gets
 * exactly what an exec of it by our parent would have given it.
 */
static sigset_t sandbox_inherited_ign;

/**
 * sandbox_note_ignored() - record the dispositions inherited as SIG_IGN
 */
__attribute__((constructor))
static void sandbox_note_ignored(void)
{
	struct sigaction sa;
	int sig;

	sigemptyset(&sandbox_inherited_ign);
	for (sig = 1; sig < NSIG; sig++) {
		if (!sigaction(sig, NULL, &sa) && sa.sa_handler == SIG_IGN)
			sigaddset(&sandbox_inherited_ign, sig);
	}
}

/**
 * sandbox_reset_signals() - every disposition back to what we inherited
 *
 * Handlers would be reset by execve() anyway, but a SIG_IGN set by the
 * gateway (SIGPIPE, say) would survive it. Signals the C library reserves
 * for itself refuse the change, which is fine.
 */
static void sandbox_reset_signals(void)
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		if (sigismember(&sandbox_inherited_ign, sig) == 1)
			sa.sa_handler = SIG_IGN;
		else
			sa.sa_handler = SIG_DFL;
		sigaction(sig, &sa, NULL);
	}
}

/**
 * read_full() - read exactly @len bytes unless EOF comes first
 * @fd:		descriptor
 * @buf:	output
 * @len:	bytes wanted
 *
 * Return: bytes read (0 on immediate EOF), or -1 with errno set
 */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/**
 * child_report() - send a struct sandbox_msg to the parent, from the child
 * @fd:		ready or status pipe
 * @stage:	enum sandbox_stage
 * @err:	errno, or 0
 *
 * Nothing to do if it fails: the parent is gone, or will see EOF.
 */
static void child_report(int fd, int stage, int err)
{
	struct sandbox_msg msg = { .stage = stage, .err = err };
	ssize_t n;

	do
		n = write(fd, &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
}

/**
 * path_has_file() - is there a file named @name in some $PATH directory?
 * @name:	command name, without '/'
 *
 * execvp() reports EACCES when any $PATH directory cannot be searched, even
 * if the command is nowhere: a shell says "command not found" then, and so
 * do we. Same default $PATH as execvp() when it is unset.
 *
 * Return: true if some directory has an entry of that name
 */
static bool path_has_file(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[4096];
	struct stat st;
	int len;

	if (!path)
		path = "/bin:/usr/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		len = snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - p),
			       p, end == p ? "" : "/", name);
		if (len > 0 && (size_t)len < sizeof(file) && !stat(file, &st))
			return true;
		if (!*end)
			return false;
	}
}

/**
 * sandbox_child() - the child, from fork() to exec
 * @argv:	program to run
 * @mask:	signal mask it starts with
 * @ready_fd:	write end of the ready pipe
 * @go_fd:	child end of the go socket
 * @status_fd:	write end of the status pipe (close-on-exec: EOF means exec)
 *
 * Only _exit() here: exit() would run the gateway's atexit handlers and
 * flush its stdio buffers a second time.
 */
__attribute__((noreturn))
static void sandbox_child(char *const argv[], const sigset_t *mask,
			  int ready_fd, int go_fd, int status_fd)
{
	ssize_t n;
	char go;
	int rc;

	if (unshare(CLONE_NEWNET)) {
		child_report(ready_fd, SANDBOX_NETNS, errno);
		_exit(TG_EXIT_FAILURE);
	}
	child_report(ready_fd, SANDBOX_NETNS, 0);
	close(ready_fd);

	do
		n = read(go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(TG_EXIT_FAILURE);		/* the gateway is gone */
	close(go_fd);

	rc = privileges_drop_all();
	if (rc < 0) {
		child_report(status_fd, SANDBOX_PRIVILEGES, -rc);
		_exit(TG_EXIT_FAILURE);
	}

	sandbox_reset_signals();
	sigprocmask(SIG_SETMASK, mask, NULL);

	execvp(argv[0], argv);

	rc = errno;
	if (rc == EACCES && !strchr(argv[0], '/') && !path_has_file(argv[0]))
		rc = ENOENT;
	child_report(status_fd, SANDBOX_EXEC, rc);
	_exit(127);
}

void sandbox_spawn(struct sandbox *sb, char *const argv[],
		   const sigset_t *exec_sigmask)
{
	int ready[2], go[2], status[2];
	struct sandbox_msg msg;
	char path[64];
	sigset_t mask;
	ssize_t n;
	pid_t pid;

	if (!argv || !argv[0])
		die("no command to run");

	if (exec_sigmask)
		mask = *exec_sigmask;
	else
		sigemptyset(&mask);

	if (pipe2(ready, O_CLOEXEC) || pipe2(status, O_CLOEXEC) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go))
		die("creating the sandbox's pipes: %m");

	pid = fork();
	if (pid < 0)
		die("cannot fork the sandbox process: %m");
	if (pid == 0) {
		close(ready[0]);
		close(go[0]);
		close(status[0]);
		sandbox_child(argv, &mask, ready[1], go[1], status[1]);
	}

	close(ready[1]);
	close(go[1]);
	close(status[1]);

	n = read_full(ready[0], &msg, sizeof(msg));
	close(ready[0]);
	if (n != (ssize_t)sizeof(msg)) {
		waitpid(pid, NULL, 0);
		die("the sandbox process exited before creating its network "
		    "namespace");
	}
	if (msg.err) {
		waitpid(pid, NULL, 0);
		die("cannot create the sandbox's network namespace: %s. %s",
		    strerror(msg.err), userns_hint(msg.err));
	}

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	sb->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (sb->netns_fd < 0)
		die("opening %s: %m", path);

	sb->pid = pid;
	sb->go_fd = go[0];
	sb->status_fd = status[0];
	sb->cmd = argv[0];
	debug("sandbox process %d has its network namespace", (int)pid);
}

/**
 * struct sandbox_inside - a function to run in the sandbox's netns
 * @netns_fd:	the namespace
 * @fn:		function
 * @arg:	its argument
 * @ret:	its return value, or -errno from setns()
 */
struct sandbox_inside {
	int netns_fd;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

/**
 * sandbox_inside_thread() - join the namespace, run the function, end
 * @p:		struct sandbox_inside
 *
 * Return: NULL; the result is in @p->ret
 */
static void *sandbox_inside_thread(void *p)
{
	struct sandbox_inside *in = p;

	if (setns(in->netns_fd, CLONE_NEWNET)) {
		in->ret = -errno;
		return NULL;
	}
	in->ret = in->fn(in->arg);
	return NULL;
}

int sandbox_run_inside(const struct sandbox *sb, int (*fn)(void *arg), void *arg)
{
	struct sandbox_inside in = {
		.netns_fd = sb->netns_fd, .fn = fn, .arg = arg, .ret = 0,
	};
	pthread_t thread;
	int rc;

	rc = pthread_create(&thread, NULL, sandbox_inside_thread, &in);
	if (rc)
		return -rc;
	rc = pthread_join(thread, NULL);
	if (rc)
		return -rc;
	return in.ret;
}

/**
 * ipv6_available() - does this kernel do IPv6 at all?
 *
 * False when booted with ipv6.disable=1 (or built without IPv6).
 *
 * Return: true if an IPv6 socket can be created
 */
static bool ipv6_available(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return errno != EAFNOSUPPORT;
	close(s);
	return true;
}

/**
 * sandbox_setup_inside() - create and configure the TUN, in the sandbox
 * @arg:	struct netcfg_plan, whose tun_name is updated to the real name
 *
 * Return: the TUN descriptor; dies on any failure
 */
static int sandbox_setup_inside(void *arg)
{
	struct netcfg_plan *plan = arg;
	struct nl_sock *sk;
	int fd, err;

	fd = tun_open(plan->tun_name, plan->tun_name, plan->vnet_hdr);

	sk = nl_socket_alloc();
	if (!sk)
		die("out of memory allocating a netlink socket");
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		die("opening a netlink socket in the sandbox: %s",
		    nl_geterror(err));
	}

	netcfg_apply(sk, plan);

	nl_socket_free(sk);
	return fd;
}

int sandbox_setup_network(const struct sandbox *sb,
			  const struct netns_config *cfg)
{
	struct netns_config c = *cfg;
	struct netcfg_plan plan;
	int fd;

	if (c.addrs.sandbox6.family && !ipv6_available()) {
		warn("IPv6 is disabled in this kernel: the sandbox gets IPv4 "
		     "only");
		c.addrs.sandbox6.family = 0;
	}
	if (netcfg_plan_build(&c, &plan) < 0)
		die("invalid sandbox network configuration");

	fd = sandbox_run_inside(sb, sandbox_setup_inside, &plan);
	if (fd < 0) {
		die("joining the sandbox's network namespace: %s",
		    strerror(-fd));
	}
	return fd;
}

int sandbox_start(struct sandbox *sb)
{
	struct sandbox_msg msg;
	const char go = 'g';
	ssize_t n;

	/* A socket, not a pipe: MSG_NOSIGNAL, so a dead child is EPIPE. */
	do
		n = send(sb->go_fd, &go, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		die("the sandbox process died before it could start %s",
		    sb->cmd);
	close(sb->go_fd);
	sb->go_fd = -1;

	n = read_full(sb->status_fd, &msg, sizeof(msg));
	close(sb->status_fd);
	sb->status_fd = -1;

	if (n == 0)
		return 0;	/* close-on-exec closed it: the program runs */
	if (n != (ssize_t)sizeof(msg))
		die("reading the sandbox's start status: %s",
		    n < 0 ? strerror(errno) : "short read");

	if (msg.stage == SANDBOX_PRIVILEGES)
		die("dropping privileges in the sandbox: %s",
		    strerror(msg.err));

	if (msg.err == ENOENT) {
		if (strchr(sb->cmd, '/')) {
			fprintf(stderr, "tungate-run: %s: %s\n", sb->cmd,
				strerror(msg.err));
		} else {
			fprintf(stderr, "tungate-run: %s: command not found\n",
				sb->cmd);
		}
		return 127;
	}
	fprintf(stderr, "tungate-run: %s: %s\n", sb->cmd, strerror(msg.err));
	return 126;
}

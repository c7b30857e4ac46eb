/* tungate_run.c - tungate-run: run a program in a sandbox whose only network
 * is the gateway.
 *
 * The wiring, top to bottom (docs/design.md has the picture):
 *   1. parse options; block the signals the loop will read from a signalfd
 *   2. netns: own user namespace, child in a new network namespace, TUN
 *   3. stack: lwIP gateway on the TUN, verdict and end-of-flow callbacks
 *   4. netns: the child drops every privilege and execs the program
 *   5. loop until the program exits, then drain open flows and exit with
 *      the program's status (128+N if killed by signal N)
 * Signals sent to tungate-run are passed on to the program; when the
 * program stops (^Z), tungate-run stops too, so the shell's job control
 * sees the job stop and continue as one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/flow_report.h"
#include "cmd/resolv_conf.h"
#include "cmd/options.h"
#include "netns/netns.h"
#include "stack/stack.h"
#include "util/util.h"

/* Signals passed on to the program. */
static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

/**
 * struct run - the running sandbox
 * @sb:		the program's side
 * @stack:	the gateway
 * @sigfd:	signalfd for the blocked signals
 * @status:	the program's wait status, once it ended
 * @ended:	the program ended
 * @report:	policy verdicts and flow reports
 */
struct run {
	struct sandbox sb;
	struct tg_stack *stack;
	struct flow_report report;
	int sigfd;
	int status;
	bool ended;
};

/**
 * follow_child() - reap the program; mirror its stops for job control
 */
static void follow_child(struct run *r)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED)) > 0) {
		if (pid != r->sb.pid)
			continue;
		if (WIFSTOPPED(status)) {
			/* Stop with it, so the shell sees the job stop; when
			 * continued, make sure the program continues too. */
			raise(SIGSTOP);
			kill(r->sb.pid, SIGCONT);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			r->status = status;
			r->ended = true;
			tg_stack_drain(r->stack);
		}
	}
}

/**
 * on_signal() - signalfd readable: pass signals on, follow the child
 */
static void on_signal(void *arg, uint32_t events)
{
	struct signalfd_siginfo si;
	struct run *r = arg;
	size_t i;

	(void)events;
	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			follow_child(r);
			continue;
		}
		/* The terminal sends its signals (^C, ^\) to the whole
		 * foreground process group, the program included: passing
		 * them on again would deliver them twice. */
		if (si.ssi_code == SI_KERNEL || r->ended)
			continue;
		for (i = 0; i < ARRAY_SIZE(forwarded_signals); i++) {
			if ((int)si.ssi_signo == forwarded_signals[i])
				kill(r->sb.pid, (int)si.ssi_signo);
		}
	}
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return TG_EXIT_FAILURE;
}

/**
 * block_signals() - block what the loop reads from its signalfd
 * @saved:	the mask before, for the program
 *
 * Stop signals from the terminal are blocked too: the gateway stops only
 * when the program does (follow_child()). SIGPIPE is blocked: the gateway
 * handles EPIPE per flow.
 */
static void block_signals(sigset_t *saved, sigset_t *watched)
{
	sigset_t set;
	size_t i;

	sigemptyset(watched);
	for (i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(watched, forwarded_signals[i]);
	sigaddset(watched, SIGCHLD);
	sigaddset(watched, SIGTSTP);
	sigaddset(watched, SIGTTIN);
	sigaddset(watched, SIGTTOU);

	set = *watched;
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, saved))
		die("sigprocmask: %m");
}

static void setup_stack(struct run *r, const struct options *o,
			const struct netns_config *nc, int tun_fd)
{
	struct tg_stack_config sc = {
		.tun_fd = tun_fd,
		.vnet_hdr = nc->vnet_hdr,
		.mtu = nc->mtu,
		.gateway4 = nc->addrs.gateway4,
		.gateway6 = nc->addrs.gateway6,
		.sandbox4 = nc->addrs.sandbox4,
		.sandbox6 = nc->addrs.sandbox6,
		.prefix4 = nc->addrs.prefix4,
		.max_flows = o->max_flows,
		.udp_idle_ms = o->udp_timeout_s * 1000,
		.drain_ms = o->drain_s * 1000,
		.verdict = flow_report_verdict,
		.peek = flow_report_peek,
		.flow_end = flow_report_end,
		.datagram_in = flow_report_datagram,
		.datagram_out = flow_report_datagram_out,
		.cb_ctx = &r->report,
	};

	/* The sandbox reads the host's resolv.conf: serve what it names. */
	if (o->dns != OPTIONS_DNS_OFF)
		sc.n_resolvers = (unsigned int)resolv_conf_read(
			RESOLV_CONF_PATH, sc.resolvers, TG_RESOLVERS_MAX);
	r->stack = tg_stack_new(&sc);
	if (!r->stack)
		die("starting the gateway: %m");
}

/**
 * close_all_but() - close every descriptor except @a and @b
 */
static void close_all_but(int a, int b)
{
	unsigned int lo = (unsigned int)MIN(a, b), hi = (unsigned int)MAX(a, b);

	if (lo > 0)
		close_range(0, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
}

/**
 * tun_teardown_in_background() - let a child close the TUN device last
 * @tun_fd:	the TUN descriptor (the caller closes its own copy as usual)
 *
 * The last close of a TUN descriptor unregisters the device, and the
 * kernel waits for an RCU grace period there: about 20 ms measured, most of
 * what `tungate-run true` costs. The program has ended and every flow with
 * it; nothing more can pass through the device, so the wait need not delay
 * our exit status: a child keeps a reference, everything else closed, and
 * drops it once we are gone (end of file on a pipe only we hold open). If
 * the pipe or fork() fails, the close just waits.
 */
static void tun_teardown_in_background(int tun_fd)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		return;
	switch (fork()) {
	case -1:
		close(p[0]);
		close(p[1]);
		return;
	case 0:
		break;
	default:
		close(p[0]);	/* p[1] stays open until we exit */
		return;
	}
	/* Nothing but the TUN and the pipe: the caller's own pipes must see
	 * end of file when we exit, not 20 ms later. */
	close(p[1]);
	close_all_but(tun_fd, p[0]);
	while (read(p[0], &c, 1) < 0 && errno == EINTR)
		;
	close(tun_fd);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct run r = { .sigfd = -1 };
	sigset_t saved, watched;
	struct netns_config nc;
	struct options o;
	char err[512];
	int tun_fd, ret;

	switch (options_parse(&o, argc, argv, err, sizeof(err))) {
	case OPTIONS_EXIT:
		return 0;
	case OPTIONS_ERROR:
		fprintf(stderr, "tungate-run: %s\n"
			"Try 'tungate-run --help' for more information.\n", err);
		options_free(&o);
		return TG_EXIT_FAILURE;
	case OPTIONS_RUN:
		break;
	}
	tg_verbosity = o.verbosity;
	if (flow_report_init(&r.report, &o, err, sizeof(err)))
		die("%s", err);

	netns_config_default(&nc);
	nc.mtu = o.mtu;
	nc.vnet_hdr = true;	/* checksum offload: docs/design.md */

	block_signals(&saved, &watched);
	netns_userns_enter();
	sandbox_spawn(&r.sb, o.command, &saved);
	tun_fd = sandbox_setup_network(&r.sb, &nc);
	setup_stack(&r, &o, &nc, tun_fd);
	/* From here on the gateway parses what the program sends: it needs
	 * no capability for that, so it keeps none. */
	if (privileges_drop_all())
		die("dropping the gateway's privileges: %m");

	r.sigfd = signalfd(-1, &watched, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r.sigfd < 0)
		die("signalfd: %m");
	ret = tg_stack_watch(r.stack, r.sigfd, on_signal, &r);
	if (ret)
		die("watching signals: %s", strerror(-ret));

	ret = sandbox_start(&r.sb);
	if (ret) {
		/* 126 or 127: the program never ran. */
		waitpid(r.sb.pid, NULL, 0);
		tg_stack_free(r.stack);
		close(r.sigfd);
		flow_report_finish(&r.report, stderr);
		options_free(&o);
		return ret;
	}
	debug("running %s (pid %d)", o.command[0], (int)r.sb.pid);

	/* The program may have ended before the signalfd existed. */
	follow_child(&r);
	ret = tg_stack_run(r.stack);
	if (ret)
		warn("gateway loop failed: %s", strerror(-ret));

	if (!r.ended) {
		/* Loop failure: the program must not outlive its network. */
		kill(r.sb.pid, SIGKILL);
		waitpid(r.sb.pid, &r.status, 0);
	}
	tun_teardown_in_background(tun_fd);
	tg_stack_free(r.stack);
	close(r.sigfd);
	flow_report_finish(&r.report, stderr);
	options_free(&o);

	if (ret && !r.ended)
		return TG_EXIT_FAILURE;
	ret = exit_status(r.status);
	if (ret == 0 && o.fail_on_deny && r.report.denied) {
		warn("--fail-on-deny: %llu flow(s) %sdenied",
		     (unsigned long long)r.report.denied,
		     o.audit ? "would have been " : "");
		return TG_EXIT_DENIED;
	}
	return ret;
}

/* gateway.c - the stack's event loop and the life of a flow as a whole:
 * admission (verdict callback), deadlines, the service list, draining and
 * the end-of-flow report. Implements the public interface in stack.h.
 *
 * One epoll loop owns everything. Each epoll event carries a 64-bit
 * reference: a type (TUN, TCP flow, UDP flow, external watch), a flow
 * entry number and its generation, so dispatch is a switch and a table
 * index, and an event for an entry reused within the same batch is
 * recognised as stale. One iteration:
 *
 *   lwIP timers -> service list -> epoll_wait -> dispatch -> deadlines
 *
 * where the service list collects flows that lwIP's callbacks touched
 * (data arrived, window opened, reset): their host sockets are written
 * once per batch, not once per packet.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "stack/gateway.h"

#define GATEWAY_EVENTS		64
#define REF_INDEX_MASK		0xffffffffULL

static uint64_t gateway_ref(enum gateway_ref_type type, uint32_t idx,
			    uint32_t gen)
{
	return (uint64_t)type << 56 | (uint64_t)(gen & FLOW_GEN_MASK) << 32 | idx;
}

/* --- Classification --------------------------------------------------------- */

static bool addr_is(const struct tg_endpoint *a, const struct tg_endpoint *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, tg_endpoint_addr_len(a));
}

static const uint8_t v6_loopback[16] = { [15] = 1 };

enum tg_scope gateway_scope(const struct tg_stack_config *cfg,
			    const struct tg_endpoint *dst)
{
	if (dst->family == AF_INET) {
		if (addr_is(dst, &cfg->gateway4))
			return TG_SCOPE_HOST;
		if (dst->addr[0] == 127 || addr_is(dst, &cfg->sandbox4))
			return TG_SCOPE_LOOPBACK;
		return TG_SCOPE_EXTERNAL;
	}
	if (addr_is(dst, &cfg->gateway6))
		return TG_SCOPE_HOST;
	if (!memcmp(dst->addr, v6_loopback, 16) || addr_is(dst, &cfg->sandbox6))
		return TG_SCOPE_LOOPBACK;
	return TG_SCOPE_EXTERNAL;
}

bool gateway_is_resolver(const struct tg_stack_config *cfg,
			 const struct tg_endpoint *dst)
{
	unsigned int i;

	for (i = 0; i < cfg->n_resolvers && i < TG_RESOLVERS_MAX; i++) {
		if (dst->port == cfg->resolvers[i].port &&
		    addr_is(dst, &cfg->resolvers[i]))
			return true;
	}
	return false;
}

enum tg_scope gateway_classify(const struct tg_stack_config *cfg,
			       const struct tg_endpoint *dst,
			       struct tg_endpoint *upstream)
{
	enum tg_scope scope = gateway_scope(cfg, dst);

	*upstream = *dst;
	if (scope != TG_SCOPE_HOST)
		return scope;
	/* The gateway address is the host's loopback, same port. */
	memset(upstream->addr, 0, sizeof(upstream->addr));
	if (dst->family == AF_INET) {
		upstream->addr[0] = 127;
		upstream->addr[3] = 1;
	} else {
		memcpy(upstream->addr, v6_loopback, 16);
	}
	return scope;
}

const char *tg_scope_name(enum tg_scope scope)
{
	switch (scope) {
	case TG_SCOPE_HOST:
		return "host";
	case TG_SCOPE_LOOPBACK:
		return "loopback";
	default:
		return "external";
	}
}

const char *tg_flow_end_name(enum tg_flow_end end)
{
	static const char *const names[] = {
		[TG_END_CLOSED] = "closed",
		[TG_END_DENIED] = "denied",
		[TG_END_REFUSED] = "refused",
		[TG_END_UNREACHABLE] = "unreachable",
		[TG_END_RESET] = "reset",
		[TG_END_TIMEOUT] = "timeout",
		[TG_END_LIMIT] = "limit",
		[TG_END_SHUTDOWN] = "shutdown",
		[TG_END_ERROR] = "error",
	};

	if ((unsigned int)end < ARRAY_SIZE(names) && names[end])
		return names[end];
	return "?";
}

/* --- Admission and end ------------------------------------------------------ */

static void gateway_report_refused(struct tg_stack *g,
				   struct tg_flow_info *info,
				   enum tg_flow_end end)
{
	info->id = g->flows.next_id++;
	info->end = end;
	if (g->cfg.flow_end)
		g->cfg.flow_end(g->cfg.cb_ctx, info);
}

struct flow *gateway_admit(struct tg_stack *g, uint8_t proto,
			   const struct tg_endpoint *src,
			   const struct tg_endpoint *dst,
			   enum flow_state state, enum tg_flow_end *end)
{
	struct tg_flow_info info = {
		.proto = proto,
		.src = *src,
		.dst = *dst,
		.start_ms = wall_ms(),
	};
	enum tg_verdict verdict = TG_VERDICT_ALLOW;
	struct flow *f;

	info.scope = gateway_classify(&g->cfg, dst, &info.upstream);
	info.resolver = gateway_is_resolver(&g->cfg, dst);
	if (g->draining) {
		*end = TG_END_SHUTDOWN;
		gateway_report_refused(g, &info, *end);
		return NULL;
	}
	if (g->cfg.verdict)
		verdict = g->cfg.verdict(g->cfg.cb_ctx, &info);
	/* Peeking needs a stream to peek into, and someone to ask. */
	if (verdict == TG_VERDICT_PEEK &&
	    (proto != IPPROTO_TCP || !g->cfg.peek))
		verdict = TG_VERDICT_DENY;
	if (verdict == TG_VERDICT_DENY) {
		g->stats.flows_denied++;
		*end = TG_END_DENIED;
		gateway_report_refused(g, &info, *end);
		return NULL;
	}
	f = flow_table_insert(&g->flows, proto, src, dst, state);
	if (!f) {
		g->stats.flows_over_limit++;
		*end = TG_END_LIMIT;
		gateway_report_refused(g, &info, *end);
		return NULL;
	}
	if (verdict == TG_VERDICT_PEEK)
		f->state = FLOW_TCP_PEEK;
	f->info.scope = info.scope;
	f->info.resolver = info.resolver;
	f->info.upstream = info.upstream;
	f->info.start_ms = info.start_ms;
	f->info.tag = info.tag;
	f->start_mono = f->last_ms = now_ms();

	if (proto == IPPROTO_TCP)
		g->stats.flows_tcp++;
	else
		g->stats.flows_udp++;
	g->stats.flows_active++;
	return f;
}

void gateway_finish(struct tg_stack *g, struct flow *f, enum tg_flow_end end)
{
	gateway_set_deadline(g, f, 0);
	f->info.end = end;
	f->info.duration_ms = now_ms() - f->start_mono;
	if (g->cfg.flow_end)
		g->cfg.flow_end(g->cfg.cb_ctx, &f->info);
	flow_table_remove(&g->flows, f);
	g->stats.flows_active--;
}

/* --- Epoll, service list, deadlines ----------------------------------------- */

int gateway_flow_events(struct tg_stack *g, struct flow *f, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int op;

	if (events == f->events || f->fd < 0)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else if (!f->events)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;

	ev.data.u64 = gateway_ref(f->info.proto == IPPROTO_TCP ? REF_TCP : REF_UDP,
				  flow_table_index(&g->flows, f), f->gen);
	if (epoll_ctl(g->epfd, op, f->fd, &ev))
		return -errno;
	f->events = events;
	return 0;
}

void gateway_mark(struct tg_stack *g, struct flow *f)
{
	uint32_t idx = flow_table_index(&g->flows, f) + 1;

	if (f->dirty)
		return;
	f->dirty = true;
	f->dirty_next = 0;
	if (g->service_tail)
		g->flows.flows[g->service_tail - 1].dirty_next = idx;
	else
		g->service_head = idx;
	g->service_tail = idx;
}

/**
 * gateway_service() - service every flow marked so far
 *
 * Works on a snapshot of the list: flows marked while servicing (by lwIP
 * callbacks run from tcp_output(), say) wait for the next round.
 */
static void gateway_service(struct tg_stack *g)
{
	uint32_t next = g->service_head;

	g->service_head = g->service_tail = 0;
	while (next) {
		struct flow *f = &g->flows.flows[next - 1];

		next = f->dirty_next;
		f->dirty = false;
		f->dirty_next = 0;
		switch (f->state) {
		case FLOW_TCP_HANDSHAKE:
		case FLOW_TCP_PEEK:
		case FLOW_TCP_PEEK_CONNECTING:
		case FLOW_TCP_RELAY:
			tcp_relay_service(g, f);
			break;
		default:
			break;	/* freed since it was marked */
		}
	}
}

void gateway_set_deadline(struct tg_stack *g, struct flow *f, uint64_t ms)
{
	if (!f->deadline && ms)
		g->timed_flows++;
	else if (f->deadline && !ms)
		g->timed_flows--;
	f->deadline = ms;
	if (ms && ms < g->next_sweep)
		g->next_sweep = ms;
}

static void gateway_expire(struct tg_stack *g, struct flow *f)
{
	f->deadline = 0;
	g->timed_flows--;
	switch (f->state) {
	case FLOW_UDP:
		udp_relay_expire(g, f);
		break;
	case FLOW_REFLECT_TCP:
	case FLOW_REFLECT_UDP:
		loop_reflect_expire(g, f);
		break;
	default:
		tcp_relay_expire(g, f);
		break;
	}
}

/**
 * gateway_sweep() - expire flows whose deadline passed
 *
 * Scans the entries used so far; it runs only when a deadline is due, at
 * most once per second for idle UDP sessions.
 */
static void gateway_sweep(struct tg_stack *g, uint64_t now)
{
	uint32_t i;

	if (!g->timed_flows || now < g->next_sweep)
		return;
	g->next_sweep = UINT64_MAX;
	for (i = 0; i < g->flows.high_water; i++) {
		struct flow *f = &g->flows.flows[i];

		if (f->state == FLOW_FREE || !f->deadline)
			continue;
		if (f->deadline <= now)
			gateway_expire(g, f);
		else if (f->deadline < g->next_sweep)
			g->next_sweep = f->deadline;
	}
	/* Idle deadlines move with traffic: no need to look more often. */
	if (g->next_sweep < now + 1000 && g->timed_flows)
		g->next_sweep = MAX(g->next_sweep, now + 100);
}

/* --- Public interface -------------------------------------------------------- */

static bool gateway_config_valid(const struct tg_stack_config *cfg)
{
	return cfg->tun_fd >= 0 && cfg->mtu >= 1280 && cfg->mtu <= 65520 &&
	       cfg->max_flows >= 1 && cfg->max_flows <= TG_MAX_FLOWS_LIMIT &&
	       cfg->udp_idle_ms > 0 &&
	       cfg->gateway4.family == AF_INET &&
	       cfg->sandbox4.family == AF_INET &&
	       /* IPv6 may be missing from the kernel: family 0 */
	       cfg->gateway6.family == cfg->sandbox6.family &&
	       (cfg->sandbox6.family == AF_INET6 || !cfg->sandbox6.family);
}

/**
 * gateway_tune_malloc() - keep freed packet buffers in the process
 *
 * lwIP's pbufs come from malloc (lwipopts.h), up to 64 KiB each, freed
 * and allocated again at line rate. glibc would hand the top of the heap
 * back to the kernel whenever 128 KiB are free there, and serve blocks
 * over its (moving) threshold with mmap(): both mean page faults on the
 * next allocation, measured at 9-12% of the gateway's CPU time in a bulk
 * transfer. The heap keeps its high-water mark instead.
 */
static void gateway_tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TOP_PAD, 4 * 1024 * 1024);
}

struct tg_stack *tg_stack_new(const struct tg_stack_config *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct tg_stack *g;
	uint64_t seed = 0;
	int ret;

	if (!gateway_config_valid(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	gateway_tune_malloc();
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cfg = *cfg;
	g->epfd = -1;
	g->next_sweep = UINT64_MAX;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_ms();
	g->tun_buf = malloc(GATEWAY_PACKET_MAX);
	g->rx_hdr = calloc(1, sizeof(*g->rx_hdr));
	g->buf = malloc(GATEWAY_PACKET_MAX);
	ret = flow_table_init(&g->flows, cfg->max_flows, seed);
	if (!g->tun_buf || !g->buf || !g->rx_hdr || ret)
		goto fail_errno;

	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g->epfd < 0)
		goto fail;
	ev.data.u64 = gateway_ref(REF_TUN, 0, 0);
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, cfg->tun_fd, &ev))
		goto fail;

	ret = lwip_glue_init(g);
	if (ret)
		goto fail_errno;
	return g;

fail_errno:
	errno = ret ? -ret : ENOMEM;
fail:
	ret = errno;
	if (g->epfd >= 0)
		close(g->epfd);
	flow_table_fini(&g->flows);
	free(g->tun_buf);
	free(g->rx_hdr);
	free(g->buf);
	free(g);
	errno = ret;
	return NULL;
}

int tg_stack_watch(struct tg_stack *g, int fd, tg_fd_fn fn, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i = g->n_watches;

	if (i >= GATEWAY_MAX_WATCHES)
		return -ENOSPC;
	ev.data.u64 = gateway_ref(REF_WATCH, i, 0);
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	g->watches[i] = (struct gateway_watch){ .fd = fd, .fn = fn, .arg = arg };
	g->n_watches++;
	return 0;
}

static int gateway_dispatch(struct tg_stack *g, const struct epoll_event *ev)
{
	uint64_t ref = ev->data.u64;
	uint32_t idx = (uint32_t)(ref & REF_INDEX_MASK);
	uint32_t gen = (uint32_t)(ref >> 32) & FLOW_GEN_MASK;
	struct flow *f;

	switch ((enum gateway_ref_type)(ref >> 56)) {
	case REF_TUN:
		return tun_io_read_burst(g);
	case REF_TCP:
		f = flow_table_get(&g->flows, idx, gen);
		if (f && f->info.proto == IPPROTO_TCP)
			tcp_relay_event(g, f, ev->events);
		return 0;
	case REF_UDP:
		f = flow_table_get(&g->flows, idx, gen);
		if (f && f->state == FLOW_UDP)
			udp_relay_event(g, f, ev->events);
		return 0;
	case REF_WATCH:
		if (idx < g->n_watches)
			g->watches[idx].fn(g->watches[idx].arg, ev->events);
		return 0;
	}
	return 0;
}

/**
 * gateway_reset_all() - end every open flow (gateway stops)
 * @g:		gateway
 * @tcp_open:	also TCP flows that are relaying (else only the others)
 */
static void gateway_reset_all(struct tg_stack *g, bool tcp_open)
{
	uint32_t i;

	for (i = 0; i < g->flows.high_water; i++) {
		struct flow *f = &g->flows.flows[i];

		switch (f->state) {
		case FLOW_UDP:
			udp_relay_close(g, f, TG_END_SHUTDOWN);
			break;
		case FLOW_TCP_RELAY:
		case FLOW_TCP_PEEK:
		case FLOW_TCP_PEEK_CONNECTING:
			/* The program is connected: what it sent before
			 * exiting still goes out while draining. */
			if (tcp_open)
				tcp_relay_shutdown(g, f);
			break;
		case FLOW_TCP_CONNECTING:
		case FLOW_TCP_HANDSHAKE:
			tcp_relay_shutdown(g, f);
			break;
		case FLOW_REFLECT_TCP:
		case FLOW_REFLECT_UDP:
			/* Inside the sandbox: nothing to close. */
			gateway_finish(g, f, TG_END_SHUTDOWN);
			break;
		default:
			break;
		}
	}
}

/**
 * gateway_timeout() - how long epoll_wait() may sleep
 */
static int gateway_timeout(const struct tg_stack *g, uint32_t lwip_ms,
			   uint64_t now)
{
	uint64_t t = lwip_ms;

	if (g->service_head)
		return 0;
	if (g->timed_flows)
		t = MIN(t, g->next_sweep > now ? g->next_sweep - now : 0);
	if (g->draining)
		t = MIN(t, g->drain_deadline > now ? g->drain_deadline - now : 0);
	return t > 60000 ? 60000 : (int)t;
}

int tg_stack_run(struct tg_stack *g)
{
	struct epoll_event events[GATEWAY_EVENTS];

	g->running = true;
	while (g->running) {
		uint32_t lwip_ms = lwip_glue_timers();
		uint64_t now;
		int i, n, ret;

		gateway_service(g);
		now = now_ms();
		n = epoll_wait(g->epfd, events, GATEWAY_EVENTS,
			       gateway_timeout(g, lwip_ms, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			ret = gateway_dispatch(g, &events[i]);
			if (ret)
				return ret;
		}
		gateway_service(g);

		now = now_ms();
		gateway_sweep(g, now);
		if (g->draining) {
			if (now >= g->drain_deadline)
				gateway_reset_all(g, true);
			if (!g->flows.used)
				g->running = false;
		}
	}
	return 0;
}

void tg_stack_drain(struct tg_stack *g)
{
	if (g->draining)
		return;
	g->draining = true;
	g->drain_deadline = now_ms() + g->cfg.drain_ms;
	/* UDP has no end to wait for; half-open handshakes will not finish. */
	gateway_reset_all(g, false);
}

void tg_stack_stop(struct tg_stack *g)
{
	g->running = false;
}

void tg_stack_stats(const struct tg_stack *g, struct tg_stack_stats *stats)
{
	*stats = g->stats;
}

void tg_stack_free(struct tg_stack *g)
{
	if (!g)
		return;
	gateway_reset_all(g, true);
	tcp_lwip_close_listeners();
	udp_lwip_close_ports();
	lwip_glue_fini(g);
	close(g->epfd);
	close(g->cfg.tun_fd);
	flow_table_fini(&g->flows);
	free(g->tun_buf);
	free(g->rx_hdr);
	free(g->buf);
	free(g);
}

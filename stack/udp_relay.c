/* udp_relay.c - the host side of UDP: one session per (source, destination)
 * pair, each with its own connected host socket, ended after a period with
 * no datagram either way.
 *
 * A connected socket means the kernel filters replies to the session's
 * peer and reports ICMP errors for it: a port-unreachable upstream shows
 * as ECONNREFUSED on the socket and is passed on to the program as ICMP
 * port unreachable, as if the program had talked to the host directly.
 * Datagrams the host socket cannot take right now are dropped, which is
 * what UDP would do on a congested link.
 *
 * A session with one of the sandbox's resolvers also remembers its queries
 * in flight (struct flow_dns): when the host's resolver is unreachable,
 * refuses, or does not answer within TG_RESOLVER_TIMEOUT_MS, the program
 * gets SERVFAIL from the gateway, a DNS answer it understands at once,
 * rather than an ICMP error or silence to time out on. A resolver that let
 * a query time out is taken for silent for a while: later queries are still
 * sent, but answered SERVFAIL at once unless it answers (a resolver library
 * retries each name and type; each retry would wait the timeout again).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/dns.h"
#include "stack/gateway.h"

/* Datagrams read per event: bounds one session's turn. */
#define UDP_RELAY_READS		32

/**
 * udp_relay_synth_quote() - the headers of a datagram from the program
 * @f:		session
 * @out:	output, at least 48 bytes
 *
 * ICMP errors quote the offending packet; the session keeps no packet, so
 * its IP and UDP headers are rebuilt from the addresses: that is all the
 * program's kernel needs to find the socket the error is for.
 *
 * Return: length written
 */
static size_t udp_relay_synth_quote(const struct flow *f, uint8_t *out)
{
	const struct tg_endpoint *s = &f->info.src, *d = &f->info.dst;
	uint8_t *udp;
	size_t iphl;

	if (s->family == AF_INET6) {
		memset(out, 0, 48);
		out[0] = 0x60;
		out[5] = 8;			/* payload length */
		out[6] = IPPROTO_UDP;
		out[7] = 64;
		memcpy(out + 8, s->addr, 16);
		memcpy(out + 24, d->addr, 16);
		iphl = 40;
	} else {
		memset(out, 0, 28);
		out[0] = 0x45;
		out[3] = 28;			/* total length */
		out[8] = 64;
		out[9] = IPPROTO_UDP;
		memcpy(out + 12, s->addr, 4);
		memcpy(out + 16, d->addr, 4);
		iphl = 20;
	}
	udp = out + iphl;
	udp[0] = (uint8_t)(s->port >> 8);
	udp[1] = (uint8_t)s->port;
	udp[2] = (uint8_t)(d->port >> 8);
	udp[3] = (uint8_t)d->port;
	udp[5] = 8;				/* length */
	return iphl + 8;
}

/**
 * udp_relay_icmp() - tell the program its datagrams cannot be delivered
 */
static void udp_relay_icmp(struct tg_stack *g, const struct flow *f,
			   enum packet_unreach reason)
{
	struct packet_info pi;
	uint8_t quote[48];
	size_t len;

	len = udp_relay_synth_quote(f, quote);
	if (packet_parse(quote, len, &pi) != PACKET_OK)
		return;
	tun_io_send_reply(g, quote, len, &pi, reason, false);
}

static enum packet_unreach udp_relay_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return PACKET_UNREACH_PORT;
	case ENETUNREACH:
		return PACKET_UNREACH_NET;
	case EACCES:
	case EPERM:
		return PACKET_UNREACH_ADMIN;
	default:
		return PACKET_UNREACH_HOST;
	}
}

/* --- Resolver sessions: SERVFAIL instead of silence ------------------------- */

static uint16_t udp_dns_id(const uint8_t *msg)
{
	return (uint16_t)(msg[0] << 8 | msg[1]);
}

/**
 * udp_dns_resolver() - which of the configured resolvers @f talks to
 *
 * Return: its index, or -1
 */
static int udp_dns_resolver(const struct tg_stack *g, const struct flow *f)
{
	unsigned int i;

	for (i = 0; i < g->cfg.n_resolvers && i < TG_RESOLVERS_MAX; i++) {
		if (tg_endpoint_equal(&f->info.dst, &g->cfg.resolvers[i]))
			return (int)i;
	}
	return -1;
}

/**
 * udp_dns_drop_slot() - forget the query in slot @i (the last slot moves in)
 */
static void udp_dns_drop_slot(struct flow_dns *d, unsigned int i)
{
	d->n--;
	d->id[i] = d->id[d->n];
	d->deadline[i] = d->deadline[d->n];
	d->len[i] = d->len[d->n];
	memcpy(d->servfail[i], d->servfail[d->n], d->len[d->n]);
}

/**
 * udp_dns_answer_slot() - answer the query in slot @i SERVFAIL, free it
 */
static void udp_dns_answer_slot(struct tg_stack *g, struct flow *f,
				unsigned int i)
{
	udp_lwip_send(g, f, f->dns->servfail[i], f->dns->len[i]);
	udp_dns_drop_slot(f->dns, i);
}

/**
 * udp_dns_fail_all() - the host's resolver failed: SERVFAIL for every
 * query in flight
 */
static void udp_dns_fail_all(struct tg_stack *g, struct flow *f)
{
	while (f->dns->n)
		udp_dns_answer_slot(g, f, f->dns->n - 1);
}

/**
 * udp_dns_track() - a query is going to the host's resolver: remember how
 * to answer it if that fails
 */
static void udp_dns_track(struct tg_stack *g, struct flow *f,
			  const uint8_t *msg, size_t len)
{
	struct flow_dns *d = f->dns;
	uint8_t answer[FLOW_DNS_ANSWER_MAX];
	uint64_t now = now_ms(), deadline = now + TG_RESOLVER_TIMEOUT_MS;
	int r = udp_dns_resolver(g, f);
	unsigned int i;
	size_t n;

	/* Silent lately: the answer is SERVFAIL, now (at the next sweep). */
	if (r >= 0 && g->resolver_silent_until[r] > now)
		deadline = now;

	n = dns_build_error(msg, len, 2, answer, sizeof(answer));
	if (!n)
		return;		/* not a query: nothing to answer */
	for (i = 0; i < d->n; i++) {
		if (d->id[i] == udp_dns_id(msg))
			break;		/* a retry: restart its clock */
	}
	if (i == FLOW_DNS_PENDING)
		return;
	if (i == d->n)
		d->n++;
	d->id[i] = udp_dns_id(msg);
	d->deadline[i] = deadline;
	d->len[i] = (uint16_t)n;
	memcpy(d->servfail[i], answer, n);
	if (!f->deadline || deadline < f->deadline)
		gateway_set_deadline(g, f, deadline);
}

/**
 * udp_dns_answered() - an answer came from the host's resolver
 */
static void udp_dns_answered(struct tg_stack *g, struct flow *f,
			     const uint8_t *msg, size_t len)
{
	struct flow_dns *d = f->dns;
	int r = udp_dns_resolver(g, f);
	unsigned int i;

	if (len < 12)
		return;
	if (r >= 0)
		g->resolver_silent_until[r] = 0;
	for (i = 0; i < d->n; i++) {
		if (d->id[i] == udp_dns_id(msg)) {
			udp_dns_drop_slot(d, i);
			return;
		}
	}
}

/**
 * udp_dns_expire() - SERVFAIL for queries past their deadline
 *
 * Return: the earliest deadline left, or UINT64_MAX
 */
static uint64_t udp_dns_expire(struct tg_stack *g, struct flow *f,
			       uint64_t now)
{
	int r = udp_dns_resolver(g, f);
	uint64_t next = UINT64_MAX;
	unsigned int i = 0;

	while (i < f->dns->n) {
		if (f->dns->deadline[i] <= now) {
			if (r >= 0 && g->resolver_silent_until[r] <= now)
				g->resolver_silent_until[r] =
					now + GATEWAY_RESOLVER_SILENT_MS;
			udp_dns_answer_slot(g, f, i);
			continue;
		}
		next = MIN(next, f->dns->deadline[i]);
		i++;
	}
	return next;
}

/**
 * udp_relay_upstream_error() - the host socket reported @err: an ICMP
 * error to the program, or SERVFAIL for a resolver session
 */
static void udp_relay_upstream_error(struct tg_stack *g, struct flow *f,
				     int err)
{
	if (f->dns)
		udp_dns_fail_all(g, f);
	else
		udp_relay_icmp(g, f, udp_relay_reason(err));
}

/* --- Sessions ---------------------------------------------------------------- */

void udp_relay_close(struct tg_stack *g, struct flow *f, enum tg_flow_end end)
{
	free(f->dns);
	f->dns = NULL;
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
		f->events = 0;
	}
	gateway_finish(g, f, end);
}

/**
 * udp_relay_open() - admit a session and connect its host socket
 *
 * Return: the session, or NULL (the program has been told why)
 */
static struct flow *udp_relay_open(struct tg_stack *g,
				   const struct tg_endpoint *src,
				   const struct tg_endpoint *dst)
{
	struct sockaddr_storage ss;
	enum tg_flow_end end;
	struct flow *f;
	socklen_t sl;
	int fd;

	f = gateway_admit(g, IPPROTO_UDP, src, dst, FLOW_UDP, &end);
	if (!f) {
		struct flow tmp = { .info = { .src = *src, .dst = *dst } };

		udp_relay_icmp(g, &tmp, PACKET_UNREACH_ADMIN);
		return NULL;
	}

	if (f->info.resolver) {
		f->dns = calloc(1, sizeof(*f->dns));
		if (!f->dns) {
			udp_relay_icmp(g, f, PACKET_UNREACH_HOST);
			udp_relay_close(g, f, TG_END_ERROR);
			return NULL;
		}
	}
	fd = socket(f->info.upstream.family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		udp_relay_icmp(g, f, PACKET_UNREACH_HOST);
		udp_relay_close(g, f, TG_END_ERROR);
		return NULL;
	}
	f->fd = fd;
	sl = tg_endpoint_to_sockaddr(&f->info.upstream, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		f->last_ms = now_ms();
		gateway_set_deadline(g, f, f->last_ms + g->cfg.udp_idle_ms);
		if (f->dns)	/* its queries get SERVFAIL, for a while */
			return f;
		udp_relay_icmp(g, f, udp_relay_reason(errno));
		udp_relay_close(g, f, TG_END_UNREACHABLE);
		return NULL;
	}
	if (gateway_flow_events(g, f, EPOLLIN)) {
		udp_relay_close(g, f, TG_END_ERROR);
		return NULL;
	}
	f->last_ms = now_ms();
	gateway_set_deadline(g, f, f->last_ms + g->cfg.udp_idle_ms);
	return f;
}

/**
 * udp_relay_ask() - let the caller look at a datagram before it is relayed
 * @g:		gateway
 * @f:		session
 * @fn:		datagram_out or datagram_in
 * @data:	the datagram
 * @len:	its length
 *
 * Return: true to relay it; false if the caller kept it (its answer, if
 * any, has been sent to the program)
 */
static bool udp_relay_ask(struct tg_stack *g, struct flow *f,
			  tg_datagram_fn fn, const uint8_t *data, size_t len)
{
	static uint8_t reply[4096];
	size_t reply_len = sizeof(reply);

	if (!fn || fn(g->cfg.cb_ctx, &f->info, data, len, reply, &reply_len))
		return true;
	if (reply_len && reply_len <= sizeof(reply) &&
	    !udp_lwip_send(g, f, reply, reply_len))
		f->info.bytes_in += reply_len;
	return false;
}

void udp_relay_from_inside(struct tg_stack *g, const struct tg_endpoint *src,
			   const struct tg_endpoint *dst,
			   const uint8_t *data, size_t len)
{
	struct flow *f;
	ssize_t n;

	f = flow_table_lookup(&g->flows, IPPROTO_UDP, src, dst);
	if (!f) {
		f = udp_relay_open(g, src, dst);
		if (!f)
			return;
	}
	f->last_ms = now_ms();
	if (!udp_relay_ask(g, f, g->cfg.datagram_out, data, len))
		return;

	if (f->dns)
		udp_dns_track(g, f, data, len);
	n = f->fd < 0 ? -1 : send(f->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0) {
		f->info.bytes_out += len;
		return;
	}
	/* An ICMP error for an earlier datagram surfaces here. */
	if (f->fd < 0 || errno == ECONNREFUSED || errno == ENETUNREACH ||
	    errno == EHOSTUNREACH || (f->dns && errno != EAGAIN))
		udp_relay_upstream_error(g, f, f->fd < 0 ? ENETUNREACH : errno);
}

void udp_relay_event(struct tg_stack *g, struct flow *f, uint32_t events)
{
	int i;

	(void)events;
	for (i = 0; i < UDP_RELAY_READS; i++) {
		ssize_t n = recv(f->fd, g->buf, GATEWAY_PACKET_MAX, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ECONNREFUSED || errno == ENETUNREACH ||
			    errno == EHOSTUNREACH) {
				udp_relay_upstream_error(g, f, errno);
				continue;
			}
			return;
		}
		f->last_ms = now_ms();
		if (f->dns)
			udp_dns_answered(g, f, g->buf, (size_t)n);
		if (!udp_relay_ask(g, f, g->cfg.datagram_in, g->buf, (size_t)n))
			continue;
		if (!udp_lwip_send(g, f, g->buf, (size_t)n))
			f->info.bytes_in += (uint64_t)n;
	}
}

void udp_relay_expire(struct tg_stack *g, struct flow *f)
{
	uint64_t idle_until = f->last_ms + g->cfg.udp_idle_ms;
	uint64_t now = now_ms(), next = idle_until;

	if (f->dns)
		next = MIN(next, udp_dns_expire(g, f, now));
	if (now >= idle_until) {
		if (f->dns)	/* a short --udp-timeout: answer, then go */
			udp_dns_fail_all(g, f);
		udp_relay_close(g, f, TG_END_CLOSED);
		return;
	}
	gateway_set_deadline(g, f, next);
}

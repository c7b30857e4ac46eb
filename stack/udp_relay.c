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
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

void udp_relay_close(struct tg_stack *g, struct flow *f, enum tg_flow_end end)
{
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
		int err = errno;

		udp_relay_icmp(g, f, udp_relay_reason(err));
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
 * udp_relay_ask() - let the caller look at a datagram before it goes out
 *
 * Return: true to send it upstream; false if the caller kept it (its
 * answer, if any, has been sent to the program)
 */
static bool udp_relay_ask(struct tg_stack *g, struct flow *f,
			  const uint8_t *data, size_t len)
{
	static uint8_t reply[4096];
	size_t reply_len = sizeof(reply);

	if (g->cfg.datagram_out(g->cfg.cb_ctx, &f->info, data, len, reply,
				&reply_len))
		return true;
	if (reply_len && reply_len <= sizeof(reply))
		udp_lwip_send(g, f, reply, reply_len);
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
	if (g->cfg.datagram_out && !udp_relay_ask(g, f, data, len))
		return;

	n = send(f->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0) {
		f->info.bytes_out += len;
		return;
	}
	/* An ICMP error for an earlier datagram surfaces here. */
	if (errno == ECONNREFUSED || errno == ENETUNREACH ||
	    errno == EHOSTUNREACH)
		udp_relay_icmp(g, f, udp_relay_reason(errno));
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
				udp_relay_icmp(g, f, udp_relay_reason(errno));
				continue;
			}
			return;
		}
		f->last_ms = now_ms();
		if (g->cfg.datagram_in)
			g->cfg.datagram_in(g->cfg.cb_ctx, &f->info, g->buf,
					   (size_t)n);
		if (!udp_lwip_send(g, f, g->buf, (size_t)n))
			f->info.bytes_in += (uint64_t)n;
	}
}

void udp_relay_expire(struct tg_stack *g, struct flow *f)
{
	uint64_t idle_until = f->last_ms + g->cfg.udp_idle_ms;

	if (now_ms() >= idle_until) {
		udp_relay_close(g, f, TG_END_CLOSED);
		return;
	}
	gateway_set_deadline(g, f, idle_until);
}

/* tcp_relay.c - the host side of a TCP flow: admission, the upstream
 * connect, and moving bytes between the host socket and lwIP.
 *
 * A flow goes through these states (flow.h):
 *
 *   SYN from the sandbox --admit--> CONNECTING   SYN held, connect() runs
 *     upstream refuses             -> RST to the program (ECONNREFUSED)
 *     upstream unreachable         -> ICMP unreachable to the program
 *     upstream connects            -> HANDSHAKE  SYN given to lwIP, which
 *                                                answers SYN-ACK
 *   handshake completes (accept)   -> RELAY      bytes flow both ways
 *
 * so a refused destination never looks "connected, then reset".
 *
 * A flow whose verdict depends on what the program says first (a TLS
 * ClientHello's server name, an HTTP Host header) goes another way:
 *
 *   SYN --admit (peek)--> PEEK   SYN given to lwIP at once; the program
 *                                connects; its first bytes are queued, not
 *                                acknowledged, and shown to the peek callback
 *     denied                    -> RST to the program
 *     allowed       -> PEEK_CONNECTING   upstream connect() runs
 *     upstream connects         -> RELAY  the queued bytes go first
 *     upstream fails            -> RST to the program
 *
 * While
 * relaying, each direction ends on its own: the program's FIN becomes
 * shutdown(SHUT_WR) once every byte before it reached the host socket; the
 * host's end of file becomes a FIN once every byte reached lwIP. When both
 * are done the flow ends. A reset on either side resets the other.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/gateway.h"

/* Host reads per service call: bounds one flow's turn. */
#define TCP_RELAY_READS		8
/* Buffers handed to one sendmsg(): lwIP queues one pbuf per segment. */
#define TCP_RELAY_IOV		64

/**
 * tcp_relay_close_socket() - close the host socket, with RST if @reset
 */
static void tcp_relay_close_socket(struct flow *f, bool reset)
{
	if (f->fd < 0)
		return;
	if (reset) {
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	}
	close(f->fd);		/* also leaves epoll */
	f->fd = -1;
	f->events = 0;
}

static void tcp_relay_free(struct flow *f)
{
	dns_stream_free(f);
	free(f->tcp.syn);
	f->tcp.syn = NULL;
	free(f->tcp.down_buf);
	f->tcp.down_buf = NULL;
}

/**
 * tcp_relay_end() - end a flow: release lwIP and the socket, report
 * @g:		gateway
 * @f:		flow
 * @end:	reason
 * @reset:	reset both sides (else both were closed cleanly)
 */
static void tcp_relay_end(struct tg_stack *g, struct flow *f,
			  enum tg_flow_end end, bool reset)
{
	tcp_lwip_release(f, reset);
	tcp_relay_close_socket(f, reset);
	tcp_relay_free(f);
	gateway_finish(g, f, end);
}

/**
 * tcp_relay_reply_to_syn() - answer the held SYN with a RST or ICMP error
 */
static void tcp_relay_reply_to_syn(struct tg_stack *g, const uint8_t *syn,
				   size_t len, enum packet_unreach reason,
				   bool rst)
{
	struct packet_info pi;

	if (!syn || packet_parse(syn, len, &pi) != PACKET_OK)
		return;
	tun_io_send_reply(g, syn, len, &pi, reason, rst);
}

/**
 * tcp_relay_connect_failed() - upstream connect failed with @err
 *
 * ECONNREFUSED becomes a RST, so the program sees ECONNREFUSED at once;
 * anything else an ICMP error matching the cause.
 */
/**
 * tcp_relay_connect_end() - why a flow ends whose upstream connect failed
 */
static enum tg_flow_end tcp_relay_connect_end(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EACCES:
	case EPERM:
		return TG_END_REFUSED;
	case ETIMEDOUT:
		return TG_END_TIMEOUT;
	default:
		return TG_END_UNREACHABLE;
	}
}

static void tcp_relay_connect_failed(struct tg_stack *g, struct flow *f,
				     int err)
{
	enum packet_unreach reason = PACKET_UNREACH_HOST;
	bool rst = false;

	switch (err) {
	case ECONNREFUSED:
		rst = true;
		break;
	case ENETUNREACH:
		reason = PACKET_UNREACH_NET;
		break;
	case EACCES:
	case EPERM:
		reason = PACKET_UNREACH_ADMIN;
		break;
	default:
		break;
	}
	debug("tcp flow %llu: upstream connect: %s",
	      (unsigned long long)f->info.id, strerror(err));
	tcp_relay_reply_to_syn(g, f->tcp.syn, f->tcp.syn_len, reason, rst);
	tcp_relay_end(g, f, tcp_relay_connect_end(err), true);
}

/**
 * tcp_relay_connected() - upstream is there: let lwIP answer the SYN
 */
static void tcp_relay_connected(struct tg_stack *g, struct flow *f)
{
	f->state = FLOW_TCP_HANDSHAKE;
	gateway_set_deadline(g, f, now_ms() + GATEWAY_HANDSHAKE_MS);
	/* Nothing to read before the program is connected; errors will
	 * show when relaying starts. */
	gateway_flow_events(g, f, 0);
	if (tcp_lwip_feed_syn(g, f)) {
		tcp_relay_end(g, f, TG_END_ERROR, true);
		return;
	}
	/* Accept may have happened already (it cannot: the handshake needs
	 * the program's ACK), so the flow waits in HANDSHAKE. */
}

static int tcp_relay_socket(const struct tg_endpoint *upstream)
{
	int one = 1;
	int fd;

	fd = socket(upstream->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* The program's own stack decides segment sizes; do not add delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/**
 * tcp_relay_start_connect() - open the host socket and start connect()
 *
 * Return: 1 connected already, 0 in progress, or -errno
 */
static int tcp_relay_start_connect(struct tg_stack *g, struct flow *f)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	fd = tcp_relay_socket(&f->info.upstream);
	if (fd < 0)
		return fd;
	f->fd = fd;
	sl = tg_endpoint_to_sockaddr(&f->info.upstream, &ss);
	if (!connect(fd, (struct sockaddr *)&ss, sl))
		return 1;
	if (errno != EINPROGRESS)
		return -errno;
	gateway_set_deadline(g, f, now_ms() + GATEWAY_CONNECT_MS);
	if (gateway_flow_events(g, f, EPOLLOUT))
		return -EIO;
	return 0;
}

/**
 * tcp_relay_peek_start() - a flow admitted for peeking: let lwIP answer
 * the SYN now; the program's first bytes will decide
 */
static void tcp_relay_peek_start(struct tg_stack *g, struct flow *f,
				 const uint8_t *pkt, size_t len)
{
	gateway_set_deadline(g, f, now_ms() + TG_PEEK_MS);
	if (tcp_lwip_feed_packet(g, f, pkt, len))
		tcp_relay_end(g, f, TG_END_ERROR, true);
}

/**
 * tcp_relay_peek_connected() - upstream of a peeked flow is there: relay,
 * the queued first bytes first
 */
static void tcp_relay_peek_connected(struct tg_stack *g, struct flow *f)
{
	f->state = FLOW_TCP_RELAY;
	gateway_set_deadline(g, f, 0);
	gateway_mark(g, f);
}

/**
 * tcp_relay_peek_failed() - upstream of a peeked flow failed: the program
 * is connected already, so all it can see is a reset
 */
static void tcp_relay_peek_failed(struct tg_stack *g, struct flow *f, int err)
{
	debug("tcp flow %llu: upstream connect after peeking: %s",
	      (unsigned long long)f->info.id, strerror(err));
	tcp_relay_end(g, f, tcp_relay_connect_end(err), true);
}

/**
 * tcp_relay_peek() - show the first bytes to the peek callback; act on it
 * @g:		gateway
 * @f:		flow in FLOW_TCP_PEEK
 * @final:	no more time
 */
static void tcp_relay_peek(struct tg_stack *g, struct flow *f, bool final)
{
	enum tg_verdict v;
	size_t n;
	int ret;

	if (f->tcp.lwip_gone) {
		tcp_relay_end(g, f, TG_END_RESET, true);
		return;
	}
	if (!f->tcp.pcb) {
		/* The handshake inside never completed. */
		if (final)
			tcp_relay_end(g, f, TG_END_TIMEOUT, true);
		return;
	}
	n = tcp_lwip_upload_copy(f, 0, g->buf, TG_PEEK_MAX);
	final = final || n >= TG_PEEK_MAX || f->tcp.in_fin;
	if (!n && !final)
		return;
	v = g->cfg.peek(g->cfg.cb_ctx, &f->info, g->buf, n, final);
	if (v == TG_VERDICT_PEEK && !final)
		return;
	f->info.peeked = true;
	if (v != TG_VERDICT_ALLOW) {
		g->stats.flows_denied++;
		tcp_relay_end(g, f, TG_END_DENIED, true);
		return;
	}

	f->state = FLOW_TCP_PEEK_CONNECTING;
	gateway_set_deadline(g, f, 0);
	ret = tcp_relay_start_connect(g, f);
	if (ret < 0)
		tcp_relay_peek_failed(g, f, -ret);
	else if (ret > 0)
		tcp_relay_peek_connected(g, f);
}

void tcp_relay_syn(struct tg_stack *g, const uint8_t *pkt, size_t len,
		   const struct packet_info *pi)
{
	enum tg_flow_end end;
	struct flow *f;
	int ret;

	f = gateway_admit(g, IPPROTO_TCP, &pi->src, &pi->dst,
			  FLOW_TCP_CONNECTING, &end);
	if (!f) {
		tun_io_send_reply(g, pkt, len, pi, PACKET_UNREACH_ADMIN, true);
		return;
	}
	if (f->state == FLOW_TCP_PEEK) {
		tcp_relay_peek_start(g, f, pkt, len);
		return;
	}
	if (f->info.resolver && dns_stream_open(f)) {
		tun_io_send_reply(g, pkt, len, pi, PACKET_UNREACH_HOST, true);
		tcp_relay_end(g, f, TG_END_ERROR, true);
		return;
	}

	f->tcp.syn = malloc(len);
	if (!f->tcp.syn) {
		tun_io_send_reply(g, pkt, len, pi, PACKET_UNREACH_HOST, true);
		tcp_relay_end(g, f, TG_END_ERROR, true);
		return;
	}
	memcpy(f->tcp.syn, pkt, len);
	f->tcp.syn_len = (uint16_t)len;

	ret = tcp_relay_start_connect(g, f);
	if (ret < 0)
		tcp_relay_connect_failed(g, f, -ret);
	else if (ret > 0)
		tcp_relay_connected(g, f);
}

/**
 * tcp_relay_iov_limit() - cut an iovec down to @limit bytes in all
 */
static void tcp_relay_iov_limit(struct msghdr *mh, size_t limit)
{
	size_t i;

	for (i = 0; i < mh->msg_iovlen; i++) {
		if (mh->msg_iov[i].iov_len >= limit) {
			mh->msg_iov[i].iov_len = limit;
			mh->msg_iovlen = i + 1;
			return;
		}
		limit -= mh->msg_iov[i].iov_len;
	}
}

/**
 * tcp_relay_flush_upload() - write queued inside data to the host socket
 * (for a resolver flow: the whole queries judged so far)
 *
 * Return: 0, or -errno if the host socket failed (the flow must end)
 */
static int tcp_relay_flush_upload(struct tg_stack *g, struct flow *f)
{
	struct iovec iov[TCP_RELAY_IOV];
	struct msghdr mh = { .msg_iov = iov };
	size_t limit;
	ssize_t n;
	int ret;

	if (f->dstream) {
		ret = dns_stream_check_upload(g, f);
		if (ret)
			return ret;
	}
	for (;;) {
		limit = f->dstream ? dns_stream_sendable(f) : f->tcp.upq_bytes;
		if (!limit)
			return 0;
		mh.msg_iovlen = (size_t)tcp_lwip_upload_iov(f, iov, TCP_RELAY_IOV);
		tcp_relay_iov_limit(&mh, limit);
		n = sendmsg(f->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		tcp_lwip_upload_consume(f, (size_t)n);
		f->info.bytes_out += (uint64_t)n;
		if (f->dstream) {
			dns_stream_sent(f, (size_t)n);
			/* A refused query may be at the head now. */
			ret = dns_stream_check_upload(g, f);
			if (ret)
				return ret;
		}
	}
}

/**
 * tcp_relay_push_down() - give @len bytes to lwIP; keep what it refuses
 *
 * Return: 0, or -ENOMEM
 */
static int tcp_relay_push_down(struct flow *f, const uint8_t *data, size_t len)
{
	size_t done = tcp_lwip_write(f, data, len);

	f->info.bytes_in += done;
	if (done == len)
		return 0;

	/* lwIP ran out of memory: keep the rest until it has room. */
	f->tcp.down_buf = malloc(len - done);
	if (!f->tcp.down_buf)
		return -ENOMEM;
	memcpy(f->tcp.down_buf, data + done, len - done);
	f->tcp.down_len = (uint32_t)(len - done);
	f->tcp.down_off = 0;
	return 0;
}

/**
 * tcp_relay_retry_down() - offer lwIP the data it refused earlier
 *
 * Return: true if nothing is left over
 */
static bool tcp_relay_retry_down(struct flow *f)
{
	size_t done;

	if (!f->tcp.down_buf)
		return true;
	done = tcp_lwip_write(f, f->tcp.down_buf + f->tcp.down_off,
			      f->tcp.down_len - f->tcp.down_off);
	f->tcp.down_off += (uint32_t)done;
	f->info.bytes_in += done;
	if (f->tcp.down_off < f->tcp.down_len)
		return false;
	free(f->tcp.down_buf);
	f->tcp.down_buf = NULL;
	f->tcp.down_len = f->tcp.down_off = 0;
	return true;
}

/**
 * tcp_relay_read_host() - read the host socket into lwIP while it has room
 *
 * Return: 0, or -errno if the host socket failed (the flow must end)
 */
static int tcp_relay_read_host(struct tg_stack *g, struct flow *f)
{
	int i;

	if (f->dstream)
		return dns_stream_read_host(g, f);
	if (!tcp_relay_retry_down(f))
		return 0;

	for (i = 0; i < TCP_RELAY_READS && !f->tcp.host_eof; i++) {
		size_t space = tcp_lwip_send_space(f);
		ssize_t n;

		if (!space)
			break;
		n = recv(f->fd, g->buf, MIN(space, (size_t)GATEWAY_PACKET_MAX),
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (n == 0) {
			f->tcp.host_eof = true;
			break;
		}
		if (tcp_relay_push_down(f, g->buf, (size_t)n))
			return -ENOMEM;
		if (f->tcp.down_buf)
			break;
	}
	tcp_lwip_output(f);
	return 0;
}

/**
 * tcp_relay_wanted_events() - epoll events the flow needs now
 */
static uint32_t tcp_relay_wanted_events(const struct flow *f)
{
	uint32_t ev = 0;

	if (f->dstream ? dns_stream_sendable(f) : f->tcp.upq_bytes)
		ev |= EPOLLOUT;
	if (!f->tcp.host_eof && !f->tcp.down_buf && tcp_lwip_send_space(f) &&
	    (!f->dstream || dns_stream_idle(f)))
		ev |= EPOLLIN | EPOLLRDHUP;
	return ev;
}

/**
 * tcp_relay_lwip_gone() - lwIP freed the pcb: the program reset the
 * connection, or lwIP gave up retransmitting. Pass the reset upstream.
 */
static void tcp_relay_lwip_gone(struct tg_stack *g, struct flow *f)
{
	/* Data the program sent before its RST still goes out first. */
	if (f->tcp.reset && f->fd >= 0)
		tcp_relay_flush_upload(g, f);
	tcp_relay_end(g, f, TG_END_RESET, true);
}

void tcp_relay_service(struct tg_stack *g, struct flow *f)
{
	int err;

	switch (f->state) {
	case FLOW_TCP_PEEK:
		tcp_relay_peek(g, f, false);
		return;
	case FLOW_TCP_PEEK_CONNECTING:
		if (f->tcp.lwip_gone)
			tcp_relay_end(g, f, TG_END_RESET, true);
		return;
	case FLOW_TCP_RELAY:
		break;
	default:
		return;
	}
	if (f->deadline)
		gateway_set_deadline(g, f, 0);	/* handshake done */
	if (f->tcp.lwip_gone) {
		tcp_relay_lwip_gone(g, f);
		return;
	}

	/* Program -> host, then its FIN once the queue is empty. */
	err = tcp_relay_flush_upload(g, f);
	if (err)
		goto reset;
	if (f->tcp.in_fin && !f->tcp.upq_bytes && !f->tcp.out_shut) {
		shutdown(f->fd, SHUT_WR);
		f->tcp.out_shut = true;
	}

	/* Host -> program, then the host's FIN once lwIP has every byte. */
	err = tcp_relay_read_host(g, f);
	if (err)
		goto reset;
	if (f->tcp.lwip_gone) {
		tcp_relay_lwip_gone(g, f);
		return;
	}
	if (f->tcp.host_eof && !f->tcp.down_buf && !f->tcp.fin_sent &&
	    (!f->dstream || dns_stream_idle(f))) {
		f->tcp.fin_sent = true;
		if (!f->tcp.out_shut)
			tcp_lwip_shutdown_tx(f);
		/* else: tcp_close() below sends the FIN */
	}

	if (f->tcp.fin_sent && f->tcp.out_shut) {
		tcp_relay_end(g, f, TG_END_CLOSED, false);
		return;
	}
	/* Both sides' FINs are through lwIP while the upload queue still
	 * drains to a slow host: lwIP may hold the pcb in TIME-WAIT and free
	 * it on its own, without telling us. Let go of it now. */
	if (f->tcp.fin_sent && f->tcp.in_fin)
		tcp_lwip_detach(f);
	if (gateway_flow_events(g, f, tcp_relay_wanted_events(f)))
		goto reset;
	return;

reset:
	debug("tcp flow %llu: host socket: %s", (unsigned long long)f->info.id,
	      strerror(-err));
	tcp_relay_end(g, f, TG_END_RESET, true);
}

/**
 * tcp_relay_connect_result() - how a non-blocking connect() ended
 *
 * Return: 0 connected (or still under way), else the error
 */
static int tcp_relay_connect_result(const struct flow *f)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &sl))
		err = errno;
	return err;
}

void tcp_relay_event(struct tg_stack *g, struct flow *f, uint32_t events)
{
	bool done = events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
	int err;

	switch (f->state) {
	case FLOW_TCP_CONNECTING:
		err = tcp_relay_connect_result(f);
		if (err)
			tcp_relay_connect_failed(g, f, err);
		else if (done)
			tcp_relay_connected(g, f);
		return;
	case FLOW_TCP_PEEK_CONNECTING:
		err = tcp_relay_connect_result(f);
		if (err) {
			tcp_relay_peek_failed(g, f, err);
		} else if (done) {
			gateway_flow_events(g, f, 0);
			tcp_relay_peek_connected(g, f);
		}
		return;
	case FLOW_TCP_RELAY:
		tcp_relay_service(g, f);
		return;
	default:
		return;
	}
}

void tcp_relay_expire(struct tg_stack *g, struct flow *f)
{
	switch (f->state) {
	case FLOW_TCP_CONNECTING:
		/* The kernel's own connect timeout normally comes first. */
		tcp_relay_reply_to_syn(g, f->tcp.syn, f->tcp.syn_len,
				       PACKET_UNREACH_HOST, false);
		tcp_relay_end(g, f, TG_END_TIMEOUT, true);
		return;
	case FLOW_TCP_HANDSHAKE:
	case FLOW_TCP_PEEK_CONNECTING:
		/* The program never completed the handshake, or upstream
		 * never answered. */
		tcp_relay_end(g, f, TG_END_TIMEOUT, true);
		return;
	case FLOW_TCP_PEEK:
		tcp_relay_peek(g, f, true);
		return;
	default:
		return;
	}
}

void tcp_relay_shutdown(struct tg_stack *g, struct flow *f)
{
	tcp_relay_end(g, f, TG_END_SHUTDOWN, true);
}

/* tcp_lwip.c - the lwIP side of a TCP flow: listeners, the held SYN, the
 * accepted pcb and its callbacks, and the two queues between lwIP and the
 * host socket.
 *
 * Upload (program -> host): lwIP hands received segments to the recv
 * callback; they are queued on the flow as a list of pbufs and only
 * acknowledged to lwIP (tcp_recved(), which reopens the window the program
 * sees) once tcp_relay.c has written them to the host socket. The window is
 * the backpressure: a slow host socket stops the program.
 *
 * Download (host -> program): tcp_relay.c reads the host socket only while
 * lwIP's send buffer has room (tcp_lwip_send_space()); the sent callback
 * reopens reading.
 *
 * Callbacks never touch sockets: they record the event on the flow and put
 * it on the gateway's service list (gateway.h explains why). In lwIP's
 * error callback the pcb is already freed: the pointer is cleared, nothing
 * else is touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "stack/gateway.h"
#include "stack/lwip_glue.h"

/* One listener per destination port ever seen, on any address. */
static struct tcp_pcb *tcp_listeners[65536];
static struct tg_stack *tcp_gateway;

/* --- Callbacks on accepted pcbs -------------------------------------------- */

static err_t tcp_lwip_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			   err_t err)
{
	struct flow *f = arg;
	struct pbuf *last;

	(void)pcb;
	(void)err;
	if (!f) {
		/* Detached: cannot happen (recv is cleared with arg). */
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		f->tcp.in_fin = true;
		gateway_mark(tcp_gateway, f);
		return ERR_OK;
	}

	/* Chain onto the queue. Only ->next and ->len are used from here
	 * on; nodes are freed one by one as they are written out. */
	for (last = p; last->next; last = last->next)
		;
	if (f->tcp.upq_tail)
		f->tcp.upq_tail->next = p;
	else
		f->tcp.upq_head = p;
	f->tcp.upq_tail = last;
	f->tcp.upq_bytes += p->tot_len;
	gateway_mark(tcp_gateway, f);
	return ERR_OK;
}

static err_t tcp_lwip_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct flow *f = arg;

	(void)pcb;
	(void)len;
	if (f)
		gateway_mark(tcp_gateway, f);
	return ERR_OK;
}

static void tcp_lwip_err(void *arg, err_t err)
{
	struct flow *f = arg;

	if (!f)
		return;
	f->tcp.pcb = NULL;		/* freed by lwIP already */
	f->tcp.lwip_gone = true;
	f->tcp.reset = err == ERR_RST;
	gateway_mark(tcp_gateway, f);
}

static err_t tcp_lwip_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tg_endpoint src, dst;
	struct tg_stack *g = arg;
	struct flow *f;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;

	lwip_glue_endpoint(&src, &pcb->remote_ip, pcb->remote_port);
	lwip_glue_endpoint(&dst, &pcb->local_ip, pcb->local_port);
	f = flow_table_lookup(&g->flows, IP_PROTO_TCP, &src, &dst);
	if (!f || (f->state != FLOW_TCP_HANDSHAKE &&
		   f->state != FLOW_TCP_PEEK) || f->tcp.pcb) {
		/* A handshake that completed after its flow gave up. */
		tcp_abort(pcb);
		return ERR_ABRT;
	}

	f->tcp.pcb = pcb;
	/* A peeking flow stays so until its first bytes are judged. */
	if (f->state == FLOW_TCP_HANDSHAKE)
		f->state = FLOW_TCP_RELAY;
	tcp_arg(pcb, f);
	tcp_recv(pcb, tcp_lwip_recv);
	tcp_sent(pcb, tcp_lwip_sent);
	tcp_err(pcb, tcp_lwip_err);
	/* The program's stack already coalesces; Nagle here adds delay. */
	tcp_nagle_disable(pcb);
	gateway_mark(g, f);
	return ERR_OK;
}

/* --- Interface for tcp_relay.c --------------------------------------------- */

int tcp_lwip_listen_port(struct tg_stack *g, uint16_t port)
{
	struct tcp_pcb *pcb, *lpcb;
	err_t err;

	tcp_gateway = g;
	if (tcp_listeners[port])
		return 0;

	pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (!pcb)
		return -ENOMEM;
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_abort(pcb);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG,
					       &err);
	if (!lpcb) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	tcp_arg(lpcb, g);
	tcp_accept(lpcb, tcp_lwip_accept);
	tcp_listeners[port] = lpcb;
	return 0;
}

void tcp_lwip_close_listeners(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tcp_listeners); i++) {
		if (tcp_listeners[i]) {
			tcp_close(tcp_listeners[i]);
			tcp_listeners[i] = NULL;
		}
	}
}

/**
 * tcp_lwip_forget_time_wait() - drop lwIP's TIME-WAIT pcb of @f's
 * addresses, if any: the gateway admitted a new connection on them
 *
 * The program's kernel reuses a source port as soon as its side is closed;
 * lwIP, which closed first, still holds the old connection in TIME-WAIT and
 * would answer the new SYN with an ACK for the old one, leaving the program
 * to retransmit its SYN a second later. Linux itself lets a new SYN take
 * over a TIME-WAIT connection; this does the same.
 */
static void tcp_lwip_forget_time_wait(const struct flow *f)
{
	ip_addr_t local, remote;
	struct tcp_pcb *pcb;

	lwip_glue_ipaddr(&local, &f->info.dst);
	lwip_glue_ipaddr(&remote, &f->info.src);
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->local_port == f->info.dst.port &&
		    pcb->remote_port == f->info.src.port &&
		    ip_addr_cmp(&pcb->local_ip, &local) &&
		    ip_addr_cmp(&pcb->remote_ip, &remote)) {
			tcp_abort(pcb);		/* frees a TIME-WAIT pcb */
			return;
		}
	}
}

int tcp_lwip_feed_packet(struct tg_stack *g, const struct flow *f,
			 const uint8_t *pkt, size_t len)
{
	int ret = tcp_lwip_listen_port(g, f->info.dst.port);

	if (ret)
		return ret;
	tcp_lwip_forget_time_wait(f);
	return lwip_glue_input(pkt, len, &f->info.dst);
}

int tcp_lwip_feed_syn(struct tg_stack *g, struct flow *f)
{
	int ret;

	ret = tcp_lwip_listen_port(g, f->info.dst.port);
	if (ret)
		return ret;
	tcp_lwip_forget_time_wait(f);
	ret = lwip_glue_input(f->tcp.syn, f->tcp.syn_len, &f->info.dst);
	free(f->tcp.syn);
	f->tcp.syn = NULL;
	f->tcp.syn_len = 0;
	return ret;
}

size_t tcp_lwip_upload_copy(const struct flow *f, size_t skip, uint8_t *out,
			    size_t cap)
{
	const struct pbuf *q = f->tcp.upq_head;
	uint32_t off = f->tcp.upq_off;
	size_t n = 0;

	for (; q && n < cap; q = q->next, off = 0) {
		size_t take;

		if (q->len <= off)
			continue;
		if (skip >= (size_t)(q->len - off)) {
			skip -= q->len - off;
			continue;
		}
		off += (uint32_t)skip;
		skip = 0;
		take = MIN((size_t)(q->len - off), cap - n);
		memcpy(out + n, (const uint8_t *)q->payload + off, take);
		n += take;
	}
	return n;
}

int tcp_lwip_upload_iov(const struct flow *f, struct iovec *iov, int max)
{
	const struct pbuf *q = f->tcp.upq_head;
	uint32_t off = f->tcp.upq_off;
	int n = 0;

	for (; q && n < max; q = q->next, off = 0) {
		if (q->len <= off)
			continue;
		iov[n].iov_base = (uint8_t *)q->payload + off;
		iov[n].iov_len = q->len - off;
		n++;
	}
	return n;
}

/**
 * tcp_lwip_recved() - open the window by @n bytes (tcp_recved() takes u16)
 */
static void tcp_lwip_recved(struct tcp_pcb *pcb, size_t n)
{
	while (n) {
		u16_t chunk = (u16_t)MIN(n, 0xffffU);

		tcp_recved(pcb, chunk);
		n -= chunk;
	}
}

void tcp_lwip_upload_consume(struct flow *f, size_t n)
{
	size_t left = n;

	while (left && f->tcp.upq_head) {
		struct pbuf *q = f->tcp.upq_head;
		size_t avail = q->len - f->tcp.upq_off;

		if (left < avail) {
			f->tcp.upq_off += (uint32_t)left;
			left = 0;
			break;
		}
		left -= avail;
		f->tcp.upq_head = q->next;
		f->tcp.upq_off = 0;
		q->next = NULL;
		pbuf_free(q);
	}
	if (!f->tcp.upq_head)
		f->tcp.upq_tail = NULL;
	f->tcp.upq_bytes -= (uint32_t)(n - left);
	if (f->tcp.pcb)
		tcp_lwip_recved(f->tcp.pcb, n - left);
}

static void tcp_lwip_upload_free(struct flow *f)
{
	while (f->tcp.upq_head) {
		struct pbuf *q = f->tcp.upq_head;

		f->tcp.upq_head = q->next;
		q->next = NULL;
		pbuf_free(q);
	}
	f->tcp.upq_tail = NULL;
	f->tcp.upq_off = 0;
	f->tcp.upq_bytes = 0;
}

size_t tcp_lwip_send_space(const struct flow *f)
{
	const struct tcp_pcb *pcb = f->tcp.pcb;
	size_t slots, by_queue;

	if (!pcb || (pcb->state != ESTABLISHED && pcb->state != CLOSE_WAIT))
		return 0;
	/* tcp_write() fails when the segment queue is full, even with
	 * buffer space left: leave room for one write's worth of pbufs. */
	if (pcb->snd_queuelen + 4 >= TCP_SND_QUEUELEN)
		return 0;
	slots = TCP_SND_QUEUELEN - pcb->snd_queuelen - 4;
	by_queue = slots * pcb->mss;
	/* Not tcp_sndbuf(): it clamps to 16 bits. */
	return MIN((size_t)pcb->snd_buf, by_queue);
}

size_t tcp_lwip_write(struct flow *f, const uint8_t *data, size_t len)
{
	size_t done = 0;

	if (!f->tcp.pcb)
		return 0;
	while (done < len) {
		u16_t chunk = (u16_t)MIN(len - done, 0xffffU);
		u8_t flags = TCP_WRITE_FLAG_COPY;

		if (done + chunk < len)
			flags |= TCP_WRITE_FLAG_MORE;
		if (tcp_write(f->tcp.pcb, data + done, chunk, flags) != ERR_OK)
			break;
		done += chunk;
	}
	return done;
}

void tcp_lwip_output(struct flow *f)
{
	if (f->tcp.pcb)
		tcp_output(f->tcp.pcb);
}

void tcp_lwip_shutdown_tx(struct flow *f)
{
	if (f->tcp.pcb)
		tcp_shutdown(f->tcp.pcb, 0, 1);
}

size_t tcp_lwip_unacked(const struct flow *f)
{
	if (!f->tcp.pcb)
		return 0;
	return TCP_SND_BUF - f->tcp.pcb->snd_buf;
}

/**
 * tcp_lwip_let_go() - detach the flow's pcb from lwIP and leave it to lwIP
 * @f:		flow (its pcb pointer is cleared; NULL is fine)
 * @reset:	send RST (tcp_abort) instead of closing
 *
 * Callbacks are cleared first: tcp_abort() calls the error callback.
 */
static void tcp_lwip_let_go(struct flow *f, bool reset)
{
	struct tcp_pcb *pcb = f->tcp.pcb;

	if (!pcb)
		return;
	f->tcp.pcb = NULL;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	/* Both FINs exchanged and lwIP closed first: it would now hold the
	 * connection in TIME-WAIT, on a list lwIP walks for every SYN and
	 * every pcb it frees; at a thousand connections a second that list
	 * cost half the gateway's CPU (perf). The program's kernel on the
	 * other side of the TUN loses no segment that TIME-WAIT would
	 * absorb, and tcp_abort() frees a TIME-WAIT pcb without a RST. */
	if (reset || pcb->state == TIME_WAIT) {
		tcp_abort(pcb);
		return;
	}
	/* lwIP finishes the FIN exchange on its own and frees the pcb. */
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

void tcp_lwip_detach(struct flow *f)
{
	tcp_lwip_let_go(f, false);
}

void tcp_lwip_release(struct flow *f, bool reset)
{
	tcp_lwip_upload_free(f);
	tcp_lwip_let_go(f, reset);
}

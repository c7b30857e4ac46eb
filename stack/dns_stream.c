/* dns_stream.c - DNS over TCP to the sandbox's resolvers, relayed one
 * whole message at a time in each direction, so that the same callbacks
 * that see UDP queries and answers (datagram_out, datagram_in) see these:
 * a query for a name no rule could allow is answered by the gateway, an
 * answer teaches names or is rewritten (--dns=fake), exactly as over UDP.
 *
 * A message on a TCP stream is a 2-byte length and that many bytes
 * (RFC 1035, 4.2.2). Upload: the program's bytes stay on the flow's queue
 * (tcp_lwip.c) until they hold a whole message; the callback judges it;
 * only judged messages are written to the host socket (@up_ok bytes), so a
 * refused one can be taken off the queue and answered instead. Download:
 * the host's bytes are read into @down until a message is whole, judged,
 * and appended to @out, which is what lwIP is given, in order, with the
 * gateway's own answers to refused queries among them.
 *
 * The flow's lwIP receive window and the cap on @out are the backpressure,
 * as for any TCP flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/gateway.h"

/* Answers waiting for lwIP at most; beyond, the host is not read. */
#define DNS_STREAM_OUT_MAX	(256 * 1024)
/* Reads of the host socket per service call */
#define DNS_STREAM_READS	8
/* Room for the gateway's own answer to a query */
#define DNS_STREAM_REPLY_MAX	4096

/**
 * struct flow_dns_stream - framing state of a resolver TCP flow
 * @up_ok:	bytes at the head of the upload queue judged and to be sent
 * @held:	a refused query waits behind judged ones still queued; it is
 *		dropped once they left
 * @held_len:	its length
 * @held_reply_len: length of the answer to it in @held_reply
 * @out:	framed messages for the program, not yet taken by lwIP
 * @out_len:	bytes in @out
 * @out_off:	bytes of @out already given to lwIP
 * @out_cap:	allocated
 * @down_have:	bytes of the message being read from the host, in @down
 * @down_cap:	allocated for @down
 * @down:	the message being read (length prefix included), grown to
 *		the length the prefix announces (malloc; a flow that never
 *		gets an answer costs no 64 KiB)
 * @held_reply:	the answer to the held query
 */
struct flow_dns_stream {
	uint32_t up_ok;
	bool held;
	uint32_t held_len;
	uint32_t held_reply_len;
	uint8_t *out;
	uint32_t out_len;
	uint32_t out_off;
	uint32_t out_cap;
	uint32_t down_have;
	uint32_t down_cap;
	uint8_t *down;
	uint8_t held_reply[DNS_STREAM_REPLY_MAX];
};

int dns_stream_open(struct flow *f)
{
	f->dstream = calloc(1, sizeof(*f->dstream));
	return f->dstream ? 0 : -ENOMEM;
}

void dns_stream_free(struct flow *f)
{
	if (!f->dstream)
		return;
	free(f->dstream->out);
	free(f->dstream->down);
	free(f->dstream);
	f->dstream = NULL;
}

/**
 * dns_stream_queue() - append one message, framed, to what lwIP gets
 *
 * Return: 0, or -ENOBUFS / -ENOMEM
 */
static int dns_stream_queue(struct flow_dns_stream *d, const uint8_t *msg,
			    size_t len)
{
	uint32_t need;

	if (d->out_off == d->out_len)
		d->out_off = d->out_len = 0;
	need = d->out_len + 2 + (uint32_t)len;
	if (len > 0xffff || need > DNS_STREAM_OUT_MAX)
		return -ENOBUFS;
	if (need > d->out_cap) {
		uint32_t cap = MAX(need, d->out_cap * 2);
		uint8_t *p = realloc(d->out, cap);

		if (!p)
			return -ENOMEM;
		d->out = p;
		d->out_cap = cap;
	}
	d->out[d->out_len] = (uint8_t)(len >> 8);
	d->out[d->out_len + 1] = (uint8_t)len;
	memcpy(d->out + d->out_len + 2, msg, len);
	d->out_len = need;
	return 0;
}

/**
 * dns_stream_drain() - give lwIP what it can take of @out
 *
 * Return: true if @out is empty now
 */
static bool dns_stream_drain(struct flow *f)
{
	struct flow_dns_stream *d = f->dstream;
	size_t done;

	if (d->out_off == d->out_len)
		return true;
	done = tcp_lwip_write(f, d->out + d->out_off,
			      MIN(d->out_len - d->out_off, tcp_lwip_send_space(f)));
	d->out_off += (uint32_t)done;
	f->info.bytes_in += done;
	return d->out_off == d->out_len;
}

bool dns_stream_idle(const struct flow *f)
{
	return f->dstream->out_off == f->dstream->out_len;
}

uint32_t dns_stream_sendable(const struct flow *f)
{
	return f->dstream->up_ok;
}

void dns_stream_sent(struct flow *f, size_t n)
{
	f->dstream->up_ok -= (uint32_t)n;
}

/**
 * dns_stream_ask() - show one message to a datagram callback
 * @reply:	the callback's answer instead, if it keeps the message
 * @reply_len:	in: room; out: its length
 *
 * Return: true to relay the message
 */
static bool dns_stream_ask(struct tg_stack *g, struct flow *f,
			   tg_datagram_fn fn, const uint8_t *msg, size_t len,
			   uint8_t *reply, size_t *reply_len)
{
	if (!fn) {
		*reply_len = 0;
		return true;
	}
	return fn(g->cfg.cb_ctx, &f->info, msg, len, reply, reply_len);
}

/**
 * dns_stream_drop_held() - the refused query is at the head of the queue
 * now: take it off (never sent) and queue the gateway's answer
 */
static int dns_stream_drop_held(struct flow *f)
{
	struct flow_dns_stream *d = f->dstream;
	int ret = 0;

	tcp_lwip_upload_consume(f, 2 + d->held_len);
	if (d->held_reply_len)
		ret = dns_stream_queue(d, d->held_reply, d->held_reply_len);
	d->held = false;
	d->held_len = d->held_reply_len = 0;
	return ret;
}

int dns_stream_check_upload(struct tg_stack *g, struct flow *f)
{
	struct flow_dns_stream *d = f->dstream;
	uint8_t hdr[2];
	int ret;

	for (;;) {
		size_t avail, len, reply_len = sizeof(d->held_reply);

		if (d->held) {
			if (d->up_ok)
				return 0;	/* wait: earlier ones go first */
			ret = dns_stream_drop_held(f);
			if (ret)
				return ret;
		}
		avail = f->tcp.upq_bytes - d->up_ok;
		if (avail < 2 ||
		    tcp_lwip_upload_copy(f, d->up_ok, hdr, 2) != 2)
			break;
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (avail < 2 + len)
			break;
		tcp_lwip_upload_copy(f, d->up_ok + 2, g->buf, len);
		if (dns_stream_ask(g, f, g->cfg.datagram_out, g->buf, len,
				   d->held_reply, &reply_len)) {
			d->up_ok += 2 + (uint32_t)len;
			continue;
		}
		d->held = true;
		d->held_len = (uint32_t)len;
		d->held_reply_len = (uint32_t)reply_len;
	}
	/* The program closed with half a message queued: nothing will
	 * complete it; it is not sent. */
	if (f->tcp.in_fin && !d->up_ok && f->tcp.upq_bytes)
		tcp_lwip_upload_consume(f, f->tcp.upq_bytes);
	return 0;
}

/**
 * dns_stream_message() - a whole message came from the host: judge it,
 * queue it (or what the callback gave instead) for the program
 */
static int dns_stream_message(struct tg_stack *g, struct flow *f)
{
	struct flow_dns_stream *d = f->dstream;
	static uint8_t reply[DNS_STREAM_REPLY_MAX];
	size_t len = d->down_have - 2, reply_len = sizeof(reply);

	d->down_have = 0;
	if (dns_stream_ask(g, f, g->cfg.datagram_in, d->down + 2, len, reply,
			   &reply_len))
		return dns_stream_queue(d, d->down + 2, len);
	return reply_len ? dns_stream_queue(d, reply, reply_len) : 0;
}

/**
 * dns_stream_down_room() - make @down hold at least @need bytes
 *
 * Return: 0, or -ENOMEM
 */
static int dns_stream_down_room(struct flow_dns_stream *d, size_t need)
{
	uint8_t *p;

	if (need <= d->down_cap)
		return 0;
	need = MAX(need, (size_t)512);
	p = realloc(d->down, need);
	if (!p)
		return -ENOMEM;
	d->down = p;
	d->down_cap = (uint32_t)need;
	return 0;
}

int dns_stream_read_host(struct tg_stack *g, struct flow *f)
{
	struct flow_dns_stream *d = f->dstream;
	int i, ret;

	for (i = 0; i < DNS_STREAM_READS && !f->tcp.host_eof; i++) {
		size_t want;
		ssize_t n;

		if (!dns_stream_drain(f))
			break;		/* lwIP is full: read on when it is not */
		if (d->down_have < 2)
			want = 2 - d->down_have;
		else
			want = 2 + ((size_t)d->down[0] << 8 | d->down[1]) -
			       d->down_have;
		ret = dns_stream_down_room(d, d->down_have + want);
		if (ret)
			return ret;
		n = recv(f->fd, d->down + d->down_have, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (n == 0) {
			/* Half a message at the end is not passed on. */
			f->tcp.host_eof = true;
			break;
		}
		d->down_have += (uint32_t)n;
		if (d->down_have >= 2 &&
		    d->down_have == 2 + ((uint32_t)d->down[0] << 8 | d->down[1])) {
			ret = dns_stream_message(g, f);
			if (ret)
				return ret;
		}
	}
	dns_stream_drain(f);
	tcp_lwip_output(f);
	return 0;
}

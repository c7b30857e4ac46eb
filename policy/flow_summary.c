/* flow_summary.c - the end-of-run table (--summary): where the program
 * went, how much it moved, and what the policy said, compact enough to
 * read at the bottom of a CI log:
 *
 *   tungate: summary: 7 flows (5 allowed, 2 denied)
 *     DESTINATION          PROTO   PORT  FLOWS       OUT        IN  VERDICT
 *     deb.debian.org       tcp       80      4   1.2 KiB  38.4 MiB  allow
 *     10.12.0.1            tcp     8080      1     312 B   4.0 KiB  allow
 *     203.0.113.9          tcp      443      2       0 B       0 B  deny
 *
 * One row per (destination, protocol, port, verdict); the destination is
 * the flow's hostname when it has one, else its address. Rows are sorted
 * allowed first, then would-be-denied, then denied (so denials sit last,
 * next to the program's own end), each group by bytes moved, most first;
 * ties by flows, then destination, protocol and port, so two runs that
 * did the same print the same table.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

/* Longest destination a row keeps */
#define DEST_MAX	(POLICY_NAME_MAX + 1)
/* Destination column: at least the heading, at most this wide */
#define DEST_COL_MAX	40

/**
 * struct summary_row - one destination, protocol, port and verdict
 * @dest:	hostname or address (no brackets, no port)
 * @proto:	"tcp" or "udp"
 * @port:	destination port
 * @verdict:	what happened to its flows
 * @flows:	how many flows
 * @bytes_out:	payload bytes sent, all flows
 * @bytes_in:	payload bytes received, all flows
 */
struct summary_row {
	char dest[DEST_MAX + 1];
	char proto[8];
	uint16_t port;
	enum flow_verdict verdict;
	uint64_t flows;
	uint64_t bytes_out;
	uint64_t bytes_in;
};

/**
 * struct flow_summary - rows, and a map from their key to their index
 * @rows:	the rows, in order of first appearance
 * @n:		how many
 * @cap:	allocated
 * @map:	row_key() -> row index + 1
 * @lost:	flows not counted for lack of memory
 */
struct flow_summary {
	struct summary_row *rows;
	size_t n;
	size_t cap;
	struct keymap map;
	uint64_t lost;
};

/**
 * flow_summary_new() - an empty summary
 *
 * Return: the summary, or NULL if out of memory
 */
struct flow_summary *flow_summary_new(void)
{
	return calloc(1, sizeof(struct flow_summary));
}

/**
 * flow_summary_free() - free the summary
 * @s:		summary, or NULL
 */
void flow_summary_free(struct flow_summary *s)
{
	if (!s)
		return;
	keymap_free(&s->map, NULL);
	free(s->rows);
	free(s);
}

/**
 * row_fill() - the key fields of the row @rec belongs to
 * @row:	output, zeroed but for the key fields
 * @rec:	flow
 */
static void row_fill(struct summary_row *row, const struct flow_record *rec)
{
	memset(row, 0, sizeof(*row));
	if (rec->host) {
		snprintf(row->dest, sizeof(row->dest), "%s", rec->host);
		policy_printable(row->dest);
	} else
		tg_addr_format(&rec->dst, row->dest, sizeof(row->dest));
	snprintf(row->proto, sizeof(row->proto), "%s",
		 rec->proto ? rec->proto : "?");
	row->port = rec->dst.port;
	row->verdict = rec->verdict;
}

/**
 * row_key() - the hash key of a row
 * @row:	row with its key fields
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: the key's length
 */
static size_t row_key(const struct summary_row *row, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%d/%s/%u/%s", (int)row->verdict,
			 row->proto, row->port, row->dest);

	return n < 0 ? 0 : MIN((size_t)n, len - 1);
}

/**
 * row_find() - the row for @rec's destination, added if new
 * @s:		summary
 * @rec:	flow
 *
 * Return: the row, or NULL if out of memory
 */
static struct summary_row *row_find(struct flow_summary *s,
				    const struct flow_record *rec)
{
	char key[DEST_MAX + 64];
	struct summary_row row;
	size_t len;
	uintptr_t i;

	row_fill(&row, rec);
	len = row_key(&row, key, sizeof(key));
	i = (uintptr_t)keymap_get(&s->map, key, len);
	if (i)
		return &s->rows[i - 1];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct summary_row *rows = realloc(s->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		s->rows = rows;
		s->cap = cap;
	}
	if (keymap_put(&s->map, key, len, (void *)(uintptr_t)(s->n + 1)))
		return NULL;
	s->rows[s->n] = row;
	return &s->rows[s->n++];
}

/**
 * flow_summary_add() - count a flow in its row
 * @s:		summary
 * @rec:	the flow, ended
 */
void flow_summary_add(struct flow_summary *s, const struct flow_record *rec)
{
	struct summary_row *row = row_find(s, rec);

	if (!row) {
		s->lost++;
		return;
	}
	row->flows++;
	row->bytes_out += rec->bytes_out;
	row->bytes_in += rec->bytes_in;
}

/* Allowed first, denied last */
static int verdict_rank(enum flow_verdict v)
{
	switch (v) {
	case FLOW_VERDICT_ALLOW:
		return 0;
	case FLOW_VERDICT_WOULD_DENY:
		return 1;
	case FLOW_VERDICT_DENY:
		return 2;
	}
	return 3;
}

#define CMP(a, b)	(((a) > (b)) - ((a) < (b)))

/**
 * row_cmp() - qsort() order of rows: verdict, bytes down, flows down,
 *	       destination, protocol, port
 */
static int row_cmp(const void *pa, const void *pb)
{
	const struct summary_row *a = *(const struct summary_row *const *)pa;
	const struct summary_row *b = *(const struct summary_row *const *)pb;
	uint64_t ta = a->bytes_out + a->bytes_in, tb = b->bytes_out + b->bytes_in;
	int c;

	if ((c = CMP(verdict_rank(a->verdict), verdict_rank(b->verdict))))
		return c;
	if ((c = CMP(tb, ta)) || (c = CMP(b->flows, a->flows)))
		return c;
	if ((c = strcmp(a->dest, b->dest)) || (c = strcmp(a->proto, b->proto)))
		return c;
	return CMP(a->port, b->port);
}

/**
 * human_bytes() - "512 B", "1.5 KiB", "38 MiB"
 * @n:		bytes
 * @buf:	output
 * @len:	its size
 *
 * Return: @buf
 */
static char *human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	/* 1023.5 would print as "1024": go up a unit instead. */
	while (v >= 1023.5 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 9.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

/**
 * print_heading() - the totals line
 * @s:		summary
 * @out:	stream
 */
static void print_heading(const struct flow_summary *s, FILE *out)
{
	static const char *const what[] = {
		"allowed", "would be denied", "denied",
	};
	uint64_t by[3] = { 0 }, total = 0;
	const char *sep = " (";
	size_t i;

	for (i = 0; i < s->n; i++) {
		by[verdict_rank(s->rows[i].verdict) % 3] += s->rows[i].flows;
		total += s->rows[i].flows;
	}
	fprintf(out, "tungate: summary: %" PRIu64 " flow%s", total,
		total == 1 ? "" : "s");
	for (i = 0; i < ARRAY_SIZE(by); i++) {
		if (!by[i])
			continue;
		fprintf(out, "%s%" PRIu64 " %s", sep, by[i], what[i]);
		sep = ", ";
	}
	fprintf(out, ")\n");
}

/**
 * flow_summary_print() - the table, one row per destination
 * @s:		summary
 * @out:	stream
 */
void flow_summary_print(const struct flow_summary *s, FILE *out)
{
	const struct summary_row **order;
	int w = (int)strlen("DESTINATION");
	char bo[32], bi[32];
	size_t i;

	if (s->lost)
		fprintf(out, "tungate: summary: %" PRIu64 " flows not counted "
			"(out of memory)\n", s->lost);
	if (!s->n) {
		fprintf(out, "tungate: summary: no flows\n");
		return;
	}
	order = malloc(s->n * sizeof(*order));
	if (!order) {
		fprintf(out, "tungate: summary: out of memory\n");
		return;
	}
	for (i = 0; i < s->n; i++) {
		order[i] = &s->rows[i];
		w = MAX(w, MIN((int)strlen(s->rows[i].dest), DEST_COL_MAX));
	}
	qsort(order, s->n, sizeof(*order), row_cmp);
	print_heading(s, out);
	fprintf(out, "  %-*s  %-5s  %5s  %5s  %8s  %8s  %s\n", w, "DESTINATION",
		"PROTO", "PORT", "FLOWS", "OUT", "IN", "VERDICT");
	for (i = 0; i < s->n; i++) {
		const struct summary_row *r = order[i];

		fprintf(out, "  %-*s  %-5s  %5u  %5" PRIu64 "  %8s  %8s  %s\n",
			w, r->dest, r->proto, r->port, r->flows,
			human_bytes(r->bytes_out, bo, sizeof(bo)),
			human_bytes(r->bytes_in, bi, sizeof(bi)),
			flow_verdict_name(r->verdict));
	}
	free(order);
	fflush(out);
}

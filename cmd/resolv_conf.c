/* resolv_conf.c - read the nameservers of resolv.conf (resolv_conf.h) so
 * the gateway can serve the sandbox's DNS queries to them.
 */
#include <string.h>
#include <sys/socket.h>

#include "cmd/resolv_conf.h"

/**
 * resolv_conf_add() - append @ep unless already there
 *
 * Return: the new count
 */
static size_t resolv_conf_add(struct tg_endpoint *out, size_t n, size_t max,
			      const struct tg_endpoint *ep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tg_endpoint_equal(&out[i], ep))
			return n;
	}
	if (n < max)
		out[n++] = *ep;
	return n;
}

/**
 * resolv_conf_line() - the address of a "nameserver" line, if it has one
 */
static bool resolv_conf_line(char *line, struct tg_endpoint *ep)
{
	char *p = line, *word;

	p += strspn(p, " \t");
	if (strncmp(p, "nameserver", 10) || !strchr(" \t", p[10]) || !p[10])
		return false;
	p += 10;
	p += strspn(p, " \t");
	word = p;
	p += strcspn(p, " \t\r\n#;");
	*p = '\0';
	if (!*word || !tg_endpoint_parse_addr(ep, word))
		return false;	/* fe80::1%eth0, garbage: glibc skips it too */
	ep->port = 53;
	return true;
}

size_t resolv_conf_parse(FILE *f, struct tg_endpoint *out, size_t max)
{
	struct tg_endpoint ep;
	char line[1024];
	size_t n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* An overlong line: not one glibc would use either. */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (resolv_conf_line(line, &ep))
			n = resolv_conf_add(out, n, max, &ep);
	}
	if (!n) {
		tg_endpoint_parse_addr(&ep, "127.0.0.1");
		ep.port = 53;
		n = resolv_conf_add(out, n, max, &ep);
		tg_endpoint_parse_addr(&ep, "::1");
		ep.port = 53;
		n = resolv_conf_add(out, n, max, &ep);
	}
	return n;
}

size_t resolv_conf_read(const char *path, struct tg_endpoint *out, size_t max)
{
	FILE *f = fopen(path, "re");
	size_t n = resolv_conf_parse(f, out, max);

	if (f)
		fclose(f);
	return n;
}

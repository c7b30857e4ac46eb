/* util.c - shared helpers: messages, exits, time, endpoint formatting.
 * See util.h for the interface.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

int tg_verbosity;

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	/* One write per message, so concurrent writers do not interleave. */
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s\n", prefix, line);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("tungate-run", fmt, ap);
	va_end(ap);
	exit(TG_EXIT_FAILURE);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	if (tg_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmessage("tungate", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	if (tg_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmessage("tungate", fmt, ap);
	va_end(ap);
}

static uint64_t clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

char *tg_addr_format(const struct tg_endpoint *ep, char *buf, size_t len)
{
	if (!inet_ntop(ep->family, ep->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *tg_endpoint_format(const struct tg_endpoint *ep, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	tg_addr_format(ep, addr, sizeof(addr));
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", addr, ep->port);
	else
		snprintf(buf, len, "%s:%u", addr, ep->port);
	return buf;
}

bool tg_endpoint_equal(const struct tg_endpoint *a, const struct tg_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, tg_endpoint_addr_len(a));
}

socklen_t tg_endpoint_to_sockaddr(const struct tg_endpoint *ep,
				  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET6) {
		struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;

		sa6->sin6_family = AF_INET6;
		sa6->sin6_port = htons(ep->port);
		memcpy(&sa6->sin6_addr, ep->addr, 16);
		return sizeof(*sa6);
	} else {
		struct sockaddr_in *sa4 = (struct sockaddr_in *)ss;

		sa4->sin_family = AF_INET;
		sa4->sin_port = htons(ep->port);
		memcpy(&sa4->sin_addr, ep->addr, 4);
		return sizeof(*sa4);
	}
}

bool tg_endpoint_from_sockaddr(struct tg_endpoint *ep, const struct sockaddr *sa)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sa6 = (const struct sockaddr_in6 *)sa;

		ep->family = AF_INET6;
		ep->port = ntohs(sa6->sin6_port);
		memcpy(ep->addr, &sa6->sin6_addr, 16);
		return true;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sa4 = (const struct sockaddr_in *)sa;

		ep->family = AF_INET;
		ep->port = ntohs(sa4->sin_port);
		memcpy(ep->addr, &sa4->sin_addr, 4);
		return true;
	}
	return false;
}

bool tg_endpoint_parse_addr(struct tg_endpoint *ep, const char *text)
{
	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, text, ep->addr) == 1) {
		ep->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, ep->addr) == 1) {
		ep->family = AF_INET6;
		return true;
	}
	return false;
}

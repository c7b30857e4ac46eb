/* util.h - helpers every module shares: fatal setup errors, run-time
 * messages, monotonic time, and the endpoint type (address and port) in
 * which modules exchange flow addresses without depending on each other.
 */
#ifndef TUNGATE_UTIL_H
#define TUNGATE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* tungate-run's own failure, as env(1) and timeout(1) report theirs. */
#define TG_EXIT_FAILURE		125

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

/**
 * die() - print "tungate-run: MESSAGE" on stderr and exit with status 125
 * @fmt:	printf format; "%m" gives strerror(errno)
 *
 * For setup only: once the gateway runs, errors concern one flow.
 */
__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *fmt, ...);

/**
 * warn() - print "tungate: MESSAGE" on stderr, unless quiet
 * @fmt:	printf format
 */
__attribute__((format(printf, 1, 2)))
void warn(const char *fmt, ...);

/**
 * debug() - print "tungate: MESSAGE" on stderr at verbosity >= 1
 * @fmt:	printf format
 */
__attribute__((format(printf, 1, 2)))
void debug(const char *fmt, ...);

/* 0: default, -1: quiet (-q), 1..: verbose (-v, -vv) */
extern int tg_verbosity;

/**
 * now_ms() - milliseconds from CLOCK_MONOTONIC
 */
uint64_t now_ms(void);

/**
 * wall_ms() - milliseconds since the epoch, CLOCK_REALTIME
 */
uint64_t wall_ms(void);

/**
 * struct tg_endpoint - an IPv4 or IPv6 address with a port
 * @family:	AF_INET or AF_INET6
 * @port:	port, host byte order
 * @addr:	address in network byte order; IPv4 uses the first 4 bytes
 */
struct tg_endpoint {
	sa_family_t family;
	uint16_t port;
	uint8_t addr[16];
};

/* "255.255.255.255:65535" or "[ffff:...:ffff]:65535" plus NUL */
#define TG_ENDPOINT_STRLEN	56

/**
 * tg_endpoint_format() - write "a.b.c.d:port" or "[v6]:port"
 * @ep:		endpoint
 * @buf:	output, at least TG_ENDPOINT_STRLEN bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
char *tg_endpoint_format(const struct tg_endpoint *ep, char *buf, size_t len);

/**
 * tg_addr_format() - write the address part only, without brackets
 * @ep:		endpoint
 * @buf:	output, at least INET6_ADDRSTRLEN bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
char *tg_addr_format(const struct tg_endpoint *ep, char *buf, size_t len);

/**
 * tg_endpoint_equal() - same family, address and port
 */
bool tg_endpoint_equal(const struct tg_endpoint *a, const struct tg_endpoint *b);

/**
 * tg_endpoint_addr_len() - 4 for IPv4, 16 for IPv6
 */
static inline size_t tg_endpoint_addr_len(const struct tg_endpoint *ep)
{
	return ep->family == AF_INET6 ? 16 : 4;
}

/**
 * tg_endpoint_to_sockaddr() - fill a sockaddr_in or sockaddr_in6
 * @ep:		endpoint
 * @ss:		output
 *
 * Return: length of the socket address
 */
socklen_t tg_endpoint_to_sockaddr(const struct tg_endpoint *ep,
				  struct sockaddr_storage *ss);

/**
 * tg_endpoint_from_sockaddr() - the reverse; false for other families
 */
bool tg_endpoint_from_sockaddr(struct tg_endpoint *ep, const struct sockaddr *sa);

/**
 * tg_endpoint_parse_addr() - parse a literal IPv4 or IPv6 address, no port
 * @ep:		output; port is set to 0
 * @text:	"10.12.0.1" or "fd12::1"
 *
 * Return: true on success
 */
bool tg_endpoint_parse_addr(struct tg_endpoint *ep, const char *text);

#endif /* TUNGATE_UTIL_H */

/* tgbench.c - the small-flow workloads of `make bench` (bench/run.sh): a
 * server on the host's loopback and clients run through each runner
 * (directly, in a veth namespace, slirp4netns, pasta, tungate-run).
 * iperf3 measures bulk throughput; this measures what iperf3 does not:
 *
 *   tgbench serve ADDR PORT          TCP: a minimal HTTP/1.0 server (any
 *                                    request -> "200 ok", close) and, on
 *                                    the same port, a 1-byte echo for
 *                                    connections that send 'e' first;
 *                                    UDP: echo. Runs until killed or 600 s.
 *   tgbench rate ADDR PORT SECS      short HTTP connections one after the
 *                                    other for SECS: "conns_per_s=N"
 *   tgbench rr tcp|udp ADDR PORT N   N 1-byte round trips on one flow:
 *                                    "p50_us=.. p99_us=.."
 *   tgbench hold ADDR PORT N SECS [STOPFILE]
 *                                    open N idle TCP connections, print
 *                                    "held=N" once all are up, keep them
 *                                    until SECS have passed or STOPFILE
 *                                    exists
 *
 * Every loop is bounded in count and time. Only the addresses given are
 * contacted; bench/run.sh gives loopback and lab-namespace addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVE_MAX_S	600
#define RR_MAX		1000000
#define HOLD_MAX	200000

static const char http_reply[] =
	"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
static const char http_request[] = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/**
 * addr_of() - a sockaddr for ADDR:PORT (IPv4 or IPv6 literal)
 *
 * Return: its length
 */
static socklen_t addr_of(const char *addr, const char *port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return sizeof(*s6);
	}
	fprintf(stderr, "tgbench: '%s' is not an IP address\n", addr);
	exit(2);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- serve -------------------------------------------------------------- */

/**
 * serve_conn() - data on an accepted connection: the first byte says what
 * it is ('e': echo each byte; else an HTTP request, answered and closed)
 *
 * Return: true to keep the connection
 */
static bool serve_conn(int fd, uint8_t *mode)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	if (!*mode)
		*mode = buf[0] == 'e' ? 'e' : 'h';
	if (*mode == 'e')
		return send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n;
	/* HTTP: the request fits one read in practice; answer at its end. */
	if (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4)) {
		send(fd, http_reply, sizeof(http_reply) - 1, MSG_NOSIGNAL);
		return false;
	}
	return true;
}

static int cmd_serve(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(addr, port, &ss);
	struct epoll_event ev, evs[64];
	static uint8_t modes[1 << 20];
	int one = 1, lfd, ufd, ep;
	double end = now_s() + SERVE_MAX_S;

	raise_nofile();
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ufd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || ufd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) ||
	    bind(ufd, (struct sockaddr *)&ss, sl) || listen(lfd, 4096))
		die("bind/listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = ufd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	printf("ready\n");
	fflush(stdout);

	while (now_s() < end) {
		int i, n = epoll_wait(ep, evs, 64, 1000);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c, k;

				for (k = 0; k < 64; k++) {
					c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (c < 0)
						break;
					if (c >= (int)sizeof(modes)) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
					modes[c] = 0;
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else if (fd == ufd) {
				char buf[2048];
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				ssize_t m = recvfrom(ufd, buf, sizeof(buf),
						     MSG_DONTWAIT,
						     (struct sockaddr *)&from, &fl);

				if (m > 0)
					sendto(ufd, buf, (size_t)m, 0,
					       (struct sockaddr *)&from, fl);
			} else if (!serve_conn(fd, &modes[fd])) {
				close(fd);
			}
		}
	}
	return 0;
}

/* --- clients -------------------------------------------------------------- */

static int connect_to(const struct sockaddr_storage *ss, socklen_t sl, int type)
{
	int one = 1, fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)ss, sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_rate(const char *addr, const char *port, double secs)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(addr, port, &ss);
	double t0 = now_s(), end = t0 + secs;
	long ok = 0, failed = 0;
	char buf[512];

	while (now_s() < end && failed < 1000) {
		int fd = connect_to(&ss, sl, SOCK_STREAM);
		ssize_t n, got = 0;

		if (fd < 0) {
			failed++;
			continue;
		}
		send(fd, http_request, sizeof(http_request) - 1, MSG_NOSIGNAL);
		while ((n = recv(fd, buf + got, sizeof(buf) - 1 - (size_t)got, 0)) > 0 &&
		       got + n < (ssize_t)sizeof(buf) - 1)
			got += n;
		close(fd);
		if (got > 12 && !memcmp(buf, "HTTP/1.0 200", 12))
			ok++;
		else
			failed++;
	}
	printf("conns_per_s=%.0f ok=%ld failed=%ld\n", ok / (now_s() - t0), ok,
	       failed);
	return ok ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_rr(const char *proto, const char *addr, const char *port,
		  long count)
{
	bool udp = !strcmp(proto, "udp");
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(addr, port, &ss);
	double *t = calloc((size_t)count, sizeof(*t));
	long i, done = 0;
	int fd;

	if (!t || count < 1 || count > RR_MAX)
		return 2;
	fd = connect_to(&ss, sl, udp ? SOCK_DGRAM : SOCK_STREAM);
	if (fd < 0)
		die("connect");
	for (i = 0; i < count; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t0 = now_s();
		char c = 'e';

		if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
			break;
		/* UDP may lose one: 1 s, then it counts as 1 s. */
		if (poll(&p, 1, 1000) != 1 || recv(fd, &c, 1, 0) != 1) {
			if (!udp)
				break;
		}
		t[done++] = now_s() - t0;
	}
	close(fd);
	if (!done)
		return 1;
	qsort(t, (size_t)done, sizeof(*t), cmp_double);
	printf("p50_us=%.1f p99_us=%.1f count=%ld\n", t[done / 2] * 1e6,
	       t[(done * 99) / 100] * 1e6, done);
	free(t);
	return done == count ? 0 : 1;
}

static int cmd_hold(const char *addr, const char *port, long n, double secs,
		    const char *stopfile)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(addr, port, &ss);
	double end = now_s() + secs;
	long i, up = 0;
	int *fds;

	if (n < 1 || n > HOLD_MAX)
		return 2;
	raise_nofile();
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return 2;
	for (i = 0; i < n && now_s() < end; i++) {
		char c = 'e';

		fds[i] = connect_to(&ss, sl, SOCK_STREAM);
		if (fds[i] < 0)
			break;
		/* One round trip: the flow is established at both ends. */
		if (send(fds[i], &c, 1, MSG_NOSIGNAL) == 1 &&
		    recv(fds[i], &c, 1, 0) == 1)
			up++;
	}
	printf("held=%ld\n", up);
	fflush(stdout);
	/* Idle until the time is up or the stop file appears. */
	while (now_s() < end && (!stopfile || access(stopfile, F_OK)))
		poll(NULL, 0, 100);
	for (i = 0; i < up; i++)
		close(fds[i]);
	free(fds);
	return up == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return cmd_serve(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "rate"))
		return cmd_rate(argv[2], argv[3], atof(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "rr"))
		return cmd_rr(argv[2], argv[3], argv[4], atol(argv[5]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], argv[3], atol(argv[4]), atof(argv[5]),
				argc == 7 ? argv[6] : NULL);
	fprintf(stderr, "usage: tgbench serve ADDR PORT | rate ADDR PORT SECS |"
		" rr tcp|udp ADDR PORT N | hold ADDR PORT N SECS [STOPFILE]\n");
	return 2;
}

/* udpecho: the benchmark's ceiling. Answers every UDP datagram by sending it
 * back with the DNS QR bit set, in batches (recvmmsg, sendmmsg), doing
 * nothing else: what one core can answer on loopback when the answer costs
 * nothing. dnsload against udpecho gives the packet rate a DNS server could
 * reach at best on the same machine and CPU.
 *
 * Usage: udpecho [-a ADDR] [-p PORT] [-t THREADS] [-P PORTFILE]
 * Binds ADDR:PORT (127.0.0.1, port 0 = any free port); with -t, THREADS
 * sockets with SO_REUSEPORT on the same port, one thread each. Once bound it
 * prints "ready: udp=ADDR:PORT" on stdout (and the port alone to PORTFILE),
 * then serves until SIGTERM or SIGINT and prints "echoed: N". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH   64   /* datagrams per recvmmsg/sendmmsg call */
#define BUF_LEN 4096 /* largest datagram echoed */

/* One thread: its socket and count. */
struct echo {
	pthread_t tid;   /* the thread */
	int fd;          /* bound socket */
	uint64_t echoed; /* datagrams sent back */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void *echo_run(void *arg)
{
	struct echo *e = arg;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	uint8_t(*buf)[BUF_LEN] = malloc(BATCH * sizeof(*buf));
	struct pollfd pfd = {.fd = e->fd, .events = POLLIN};
	int n, i, k;

	if (buf == NULL) {
		fputs("udpecho: out of memory\n", stderr);
		exit(1);
	}
	while (!stop) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = BUF_LEN;
			memset(&msg[i].msg_hdr, 0, sizeof(msg[i].msg_hdr));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &peer[i];
			msg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
		}
		n = recvmmsg(e->fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* Block in poll, not in recvmmsg, so that a signal ends
			 * the wait (100 ms at worst). */
			(void)poll(&pfd, 1, 100);
			continue;
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_len = msg[i].msg_len;
			if (msg[i].msg_len > 2)
				buf[i][2] |= 0x80; /* QR */
		}
		for (k = 0; k < n;) {
			int s = sendmmsg(e->fd, msg + k, (unsigned)(n - k), 0);

			if (s <= 0)
				break; /* dropped, as a server under load would */
			k += s;
		}
		e->echoed += (uint64_t)k;
	}
	free(buf);
	return NULL;
}

static int echo_socket(const struct sockaddr_storage *ss, socklen_t len, int reuse)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0), one = 1, sz = 4 << 20;

	if (fd < 0) {
		perror("udpecho: socket");
		exit(1);
	}
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		perror("udpecho: SO_REUSEPORT");
		exit(1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
		perror("udpecho: bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port_file = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	unsigned long port = 0, threads = 1, i;
	struct echo *es;
	struct sigaction sa;
	uint64_t total = 0;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "a:p:t:P:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end != '\0' || port > 65535) {
				fprintf(stderr, "udpecho: -p: bad port %s\n", optarg);
				return 1;
			}
			break;
		case 't':
			threads = strtoul(optarg, &end, 10);
			if (*end != '\0' || threads < 1 || threads > 256) {
				fprintf(stderr, "udpecho: -t: expected 1 to 256, got %s\n", optarg);
				return 1;
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		default:
			fputs("usage: udpecho [-a ADDR] [-p PORT] [-t THREADS] [-P PORTFILE]\n",
			      c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 1;
		}
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "udpecho: -a: not an IP address: %s\n", addr);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	es = calloc(threads, sizeof(*es));
	if (es == NULL) {
		fputs("udpecho: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < threads; i++) {
		es[i].fd = echo_socket(&ss, len, threads > 1);
		if (i == 0 && port == 0) {
			/* The others share the port the first one got. */
			socklen_t l = len;

			if (getsockname(es[0].fd, (struct sockaddr *)&ss, &l) != 0) {
				perror("udpecho: getsockname");
				return 1;
			}
			port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
		}
	}
	if (port_file != NULL) {
		FILE *f = fopen(port_file, "w");

		if (f == NULL || fprintf(f, "%lu\n", port) < 0 || fclose(f) != 0) {
			perror("udpecho: port file");
			return 1;
		}
	}
	printf("ready: udp=%s:%lu\n", addr, port);
	fflush(stdout);
	for (i = 0; i < threads; i++)
		if ((errno = pthread_create(&es[i].tid, NULL, echo_run, &es[i])) != 0) {
			perror("udpecho: pthread_create");
			return 1;
		}
	for (i = 0; i < threads; i++) {
		pthread_join(es[i].tid, NULL);
		total += es[i].echoed;
	}
	printf("echoed: %" PRIu64 "\n", total);
	return 0;
}

/* dnstest: a raw DNS client for the integration tests.
 *
 * It sends exactly the bytes it is given (malformed ones included) over UDP
 * or TCP and reports what the server did, one line per event, so that shell
 * tests can assert on it. Messages are given and printed as hex strings.
 *
 *   dnstest build NAME TYPE [ID]          print a standard query (RD=0, IN) as hex
 *   dnstest udp ADDR PORT HEX [WAIT_MS]   send one datagram; print the response
 *                                         or "noresponse" after WAIT_MS (1000)
 *   dnstest tcp ADDR PORT HEX...          send every message framed, all at once
 *                                         (pipelined), then read one response
 *                                         per message; "closed" if the server
 *                                         closes first, "noresponse" after
 *                                         $DNSTEST_TIMEOUT_MS (3000) in all
 *   dnstest tcp-raw ADDR PORT HEX|- MAX_MS
 *                                         send raw bytes without a frame ("-" =
 *                                         nothing), print "sent", then wait up to
 *                                         MAX_MS for the server to close:
 *                                         "closed MS" or "open MS"
 *   dnstest tcp-noread ADDR PORT N HEX HOLD_MS MAX_MS
 *                                         send HEX framed N times (as far as the
 *                                         server takes them), print "sent K in
 *                                         MS", read nothing until HOLD_MS after
 *                                         connecting ("closed MS" if a reset
 *                                         shows), then drain for up to MAX_MS:
 *                                         "closed-on-drain MS DRAIN_MS bytes=B"
 *                                         when the stream ends, "open MS
 *                                         bytes=B" if it does not
 *   dnstest random-udp ADDR PORT N SEED   send N random or mutated queries;
 *                                         print "sent N"
 *   dnstest freeport ADDR                 print a port free for both UDP and
 *                                         TCP on ADDR (for servers that cannot
 *                                         bind port 0 and report it)
 *
 * A response line reads "resp len=L id=I qr=Q opcode=O aa=A tc=T rcode=R
 * qd=.. an=.. ns=.. ar=.. hex=...". Exit status: 0 when the exchange ran
 * (whatever the server did), 2 on usage or local errors. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG 65535

static void usage(void)
{
	fprintf(stderr, "usage: dnstest build NAME TYPE [ID]\n"
			"       dnstest udp ADDR PORT HEX [WAIT_MS]\n"
			"       dnstest tcp ADDR PORT HEX...\n"
			"       dnstest tcp-raw ADDR PORT HEX|- MAX_MS\n"
			"       dnstest tcp-noread ADDR PORT N HEX HOLD_MS MAX_MS\n"
			"       dnstest random-udp ADDR PORT N SEED\n"
			"       dnstest freeport ADDR\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "dnstest: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "dnstest: bad number '%s' (%ld..%ld)\n", s, min, max);
		exit(2);
	}
	return v;
}

/* Decode hex (spaces, ':' and '.' ignored) into buf; returns the byte count. */
static size_t hex_decode(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	if (strcmp(hex, "-") == 0)
		return 0;
	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (*p == ' ' || *p == ':' || *p == '.')
			continue;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else {
			fprintf(stderr, "dnstest: bad hex character '%c'\n", *p);
			exit(2);
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap) {
			fprintf(stderr, "dnstest: message too long\n");
			exit(2);
		}
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "dnstest: odd number of hex digits\n");
		exit(2);
	}
	return n;
}

static void print_response(const uint8_t *m, size_t len)
{
	if (len < 12) {
		printf("resp len=%zu short hex=", len);
	} else {
		printf("resp len=%zu id=%u qr=%u opcode=%u aa=%u tc=%u rcode=%u "
		       "qd=%u an=%u ns=%u ar=%u hex=",
		       len, (unsigned)(m[0] << 8 | m[1]), m[2] >> 7, (m[2] >> 3) & 15,
		       (m[2] >> 2) & 1, (m[2] >> 1) & 1, m[3] & 15, (unsigned)(m[4] << 8 | m[5]),
		       (unsigned)(m[6] << 8 | m[7]), (unsigned)(m[8] << 8 | m[9]),
		       (unsigned)(m[10] << 8 | m[11]));
	}
	for (size_t i = 0; i < len; i++)
		printf("%02x", m[i]);
	printf("\n");
	fflush(stdout);
}

/* Resolve a numeric ADDR PORT into ss. */
static socklen_t make_addr(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	socklen_t len;
	int rc;

	rc = getaddrinfo(addr, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "dnstest: %s port %s: %s\n", addr, port, gai_strerror(rc));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return len;
}

static int tcp_connect(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int one = 1;
	int fd;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		printf("connect-failed %s\n", strerror(errno));
		fflush(stdout);
		exit(0);
	}
	return fd;
}

/* Encode a presentation name into wire format; returns the length. */
static size_t name_encode(const char *name, uint8_t *out)
{
	size_t n = 0;
	const char *p = name;

	while (*p != '\0' && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || n + l + 2 > 255) {
			fprintf(stderr, "dnstest: bad name '%s'\n", name);
			exit(2);
		}
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return n;
}

static unsigned type_code(const char *t)
{
	static const struct {
		const char *name;
		unsigned code;
	} types[] = {
	    {"A", 1},      {"NS", 2},     {"CNAME", 5}, {"SOA", 6},  {"PTR", 12},
	    {"MX", 15},    {"TXT", 16},   {"AAAA", 28}, {"SRV", 33}, {"DS", 43},
	    {"IXFR", 251}, {"AXFR", 252}, {"ANY", 255},
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(t, types[i].name) == 0)
			return types[i].code;
	return (unsigned)parse_num(t, 0, 65535);
}

static int cmd_build(int argc, char **argv)
{
	uint8_t m[512];
	size_t n = 12;
	unsigned type, id = 0x1234;

	if (argc < 2 || argc > 3)
		usage();
	if (argc == 3)
		id = (unsigned)parse_num(argv[2], 0, 65535);
	type = type_code(argv[1]);
	memset(m, 0, 12);
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
	m[5] = 1;
	n += name_encode(argv[0], m + n);
	m[n++] = (uint8_t)(type >> 8);
	m[n++] = (uint8_t)type;
	m[n++] = 0;
	m[n++] = 1;
	for (size_t i = 0; i < n; i++)
		printf("%02x", m[i]);
	printf("\n");
	return 0;
}

static int cmd_udp(int argc, char **argv)
{
	static uint8_t q[MAX_MSG], r[MAX_MSG];
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t alen;
	size_t qlen;
	long wait_ms = 1000, deadline;
	int fd;

	if (argc < 3 || argc > 4)
		usage();
	alen = make_addr(argv[0], argv[1], &ss);
	qlen = hex_decode(argv[2], q, sizeof(q));
	if (argc == 4)
		wait_ms = parse_num(argv[3], 0, 600000);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, alen) < 0)
		die("connect");
	if (send(fd, q, qlen, 0) < 0)
		die("send");
	deadline = now_ms() + wait_ms;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long left = deadline - now_ms();
		ssize_t got;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		got = recv(fd, r, sizeof(r), 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* ICMP port unreachable and friends: nothing came back. */
			break;
		}
		print_response(r, (size_t)got);
		close(fd);
		return 0;
	}
	printf("noresponse\n");
	close(fd);
	return 0;
}

/* Read exactly len bytes before deadline; returns 1, 0 on EOF, -1 on timeout. */
static int read_full(int fd, uint8_t *buf, size_t len, long deadline)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = deadline - now_ms();
		ssize_t got;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		got = read(fd, buf + have, len - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		have += (size_t)got;
	}
	return 1;
}

static int cmd_tcp(int argc, char **argv)
{
	static uint8_t buf[(MAX_MSG + 2) * 4], r[MAX_MSG];
	const char *env = getenv("DNSTEST_TIMEOUT_MS");
	size_t n = 0, off = 0;
	long deadline, wait_ms = 3000;
	int fd;

	if (argc < 3)
		usage();
	if (env != NULL)
		wait_ms = parse_num(env, 0, 600000);
	for (int i = 2; i < argc; i++) {
		size_t len;

		if (n + 2 + MAX_MSG > sizeof(buf)) {
			fprintf(stderr, "dnstest: too many messages\n");
			return 2;
		}
		len = hex_decode(argv[i], buf + n + 2, MAX_MSG);
		buf[n] = (uint8_t)(len >> 8);
		buf[n + 1] = (uint8_t)len;
		n += 2 + len;
	}
	fd = tcp_connect(argv[0], argv[1]);
	while (off < n) {
		ssize_t w = write(fd, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			printf("closed\n");
			close(fd);
			return 0;
		}
		off += (size_t)w;
	}
	deadline = now_ms() + wait_ms;
	for (int i = 2; i < argc; i++) {
		uint8_t hdr[2];
		int rc = read_full(fd, hdr, 2, deadline);

		if (rc == 1)
			rc = read_full(fd, r, (size_t)(hdr[0] << 8 | hdr[1]), deadline);
		if (rc == 0) {
			printf("closed\n");
			break;
		}
		if (rc < 0) {
			printf("noresponse\n");
			break;
		}
		print_response(r, (size_t)(hdr[0] << 8 | hdr[1]));
	}
	close(fd);
	return 0;
}

/* Wait until start + max_ms for the peer to close (FIN or RST) without
 * reading the data it may have sent. True when it closed. */
static bool peer_closes(int fd, long start, long max_ms)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
		long left = start + max_ms - now_ms();
		int rc;

		if (left <= 0)
			return false;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
			return true;
	}
}

/* peer_closes(), then print "closed MS" or "open MS". */
static void wait_close(int fd, long start, long max_ms)
{
	bool closed = peer_closes(fd, start, max_ms);

	printf("%s %ld\n", closed ? "closed" : "open", now_ms() - start);
	fflush(stdout);
}

static int cmd_tcp_raw(int argc, char **argv)
{
	static uint8_t buf[MAX_MSG];
	size_t len;
	long max_ms, start;
	int fd;

	if (argc != 4)
		usage();
	len = hex_decode(argv[2], buf, sizeof(buf));
	max_ms = parse_num(argv[3], 0, 600000);
	fd = tcp_connect(argv[0], argv[1]);
	if (len > 0 && write(fd, buf, len) != (ssize_t)len)
		die("write");
	start = now_ms();
	printf("sent %zu\n", len);
	fflush(stdout);
	wait_close(fd, start, max_ms);
	close(fd);
	return 0;
}

static int cmd_tcp_noread(int argc, char **argv)
{
	static uint8_t msg[MAX_MSG + 2], sink[MAX_MSG];
	size_t len, drained = 0;
	long count, sent = 0, hold_ms, max_ms, t0, drain_start;
	int fd;

	if (argc != 6)
		usage();
	count = parse_num(argv[2], 1, 10000000);
	len = hex_decode(argv[3], msg + 2, MAX_MSG);
	msg[0] = (uint8_t)(len >> 8);
	msg[1] = (uint8_t)len;
	hold_ms = parse_num(argv[4], 0, 600000);
	max_ms = parse_num(argv[5], 0, 600000);
	/* Buffers keep their default sizes: a small receive window would make
	 * the final drain crawl (no segment below the MSS is sent into it). */
	fd = tcp_connect(argv[0], argv[1]);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	t0 = now_ms();
	/* Send until done, or until the server stops taking data for 200ms. */
	while (sent < count) {
		size_t off = 0;

		while (off < len + 2) {
			ssize_t w = write(fd, msg + off, len + 2 - off);

			if (w >= 0) {
				off += (size_t)w;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};

				if (poll(&pfd, 1, 200) > 0)
					continue;
			}
			goto done;
		}
		sent++;
	}
done:
	printf("sent %ld in %ldms%s\n", sent, now_ms() - t0,
	       sent < count ? " (the server stopped reading or closed)" : "");
	fflush(stdout);
	/* Hold without reading. A FIN queued behind responses we do not read
	 * cannot reach us, so a close shows here only when the server resets. */
	if (peer_closes(fd, t0, hold_ms)) {
		printf("closed %ld\n", now_ms() - t0);
		close(fd);
		return 0;
	}
	/* Now read everything: a server that closed during the hold ends the
	 * stream right after the queued responses. */
	drain_start = now_ms();
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = drain_start + max_ms - now_ms();
		ssize_t got;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		got = read(fd, sink, sizeof(sink));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0) {
			printf("closed-on-drain %ld %ld bytes=%zu\n", now_ms() - t0,
			       now_ms() - drain_start, drained);
			close(fd);
			return 0;
		}
		drained += (size_t)got;
	}
	printf("open %ld bytes=%zu\n", now_ms() - t0, drained);
	close(fd);
	return 0;
}

static int cmd_random_udp(int argc, char **argv)
{
	static const uint8_t base[] = {
	    0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 'w',
	    'w',  'w',  0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',
	    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x0b, 0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 0x18, 0x00, 0xc0, 0x00, 0x02};
	uint8_t m[600], r[MAX_MSG];
	struct sockaddr_storage ss;
	socklen_t alen;
	long count;
	int fd;

	if (argc != 4)
		usage();
	alen = make_addr(argv[0], argv[1], &ss);
	count = parse_num(argv[2], 0, 10000000);
	srandom((unsigned)parse_num(argv[3], 0, 0x7fffffff));
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, alen) < 0)
		die("connect");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (long i = 0; i < count; i++) {
		size_t len;

		if (i % 2 == 0) {
			/* A valid query with a few bytes changed, cut or extended. */
			int flips = 1 + (int)(random() % 4);

			memcpy(m, base, sizeof(base));
			len = sizeof(base);
			for (int f = 0; f < flips; f++)
				m[random() % len] = (uint8_t)random();
			m[2] &= 0x7f; /* keep QR=0 so most get through the header check */
			switch (random() % 4) {
			case 0:
				len = (size_t)(random() % (long)(len + 1));
				break;
			case 1:
				for (size_t k = len; k < len + 40; k++)
					m[k] = (uint8_t)random();
				len += 40;
				break;
			default:
				break;
			}
		} else {
			len = (size_t)(random() % (long)sizeof(m));
			for (size_t k = 0; k < len; k++)
				m[k] = (uint8_t)random();
			if (len > 2)
				m[2] &= 0x7f;
		}
		for (;;) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (send(fd, m, len, 0) >= 0 || (errno != EAGAIN && errno != ENOBUFS))
				break;
			poll(&pfd, 1, 100);
		}
		/* Drain answers so that our receive buffer never matters. */
		while (recv(fd, r, sizeof(r), 0) > 0)
			;
	}
	printf("sent %ld\n", count);
	close(fd);
	return 0;
}

static int cmd_freeport(int argc, char **argv)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_storage ss;
		socklen_t len = make_addr(argv[0], "0", &ss);
		int t = socket(ss.ss_family, SOCK_STREAM, 0);
		int u = socket(ss.ss_family, SOCK_DGRAM, 0);
		int ok;

		if (argc != 1)
			usage();
		if (t < 0 || u < 0)
			die("socket");
		if (bind(t, (struct sockaddr *)&ss, len) < 0 ||
		    getsockname(t, (struct sockaddr *)&ss, &len) < 0)
			die("bind");
		ok = bind(u, (struct sockaddr *)&ss, len) == 0;
		close(t);
		close(u);
		if (ok) {
			printf("%u\n", ntohs(ss.ss_family == AF_INET
						 ? ((struct sockaddr_in *)&ss)->sin_port
						 : ((struct sockaddr_in6 *)&ss)->sin6_port));
			return 0;
		}
	}
	fprintf(stderr, "dnstest: no free port\n");
	return 2;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 2, argv + 2);
	if (strcmp(argv[1], "udp") == 0)
		return cmd_udp(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp") == 0)
		return cmd_tcp(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp-raw") == 0)
		return cmd_tcp_raw(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp-noread") == 0)
		return cmd_tcp_noread(argc - 2, argv + 2);
	if (strcmp(argv[1], "random-udp") == 0)
		return cmd_random_udp(argc - 2, argv + 2);
	if (strcmp(argv[1], "freeport") == 0)
		return cmd_freeport(argc - 2, argv + 2);
	usage();
	return 2;
}

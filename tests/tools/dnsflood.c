/* dnsflood: a spoofed-source flood and the resolvers caught in it, for the
 * integration test of rate limiting and cookies (tests/integration/rrl.sh).
 *
 *   dnsflood flood [-b BURST] ADDR PORT NAME SOURCES SECONDS PPS [VICTIM...]
 *       Send PPS x SECONDS queries for NAME (type A, no EDNS) at PPS in all,
 *       in turn from SOURCES addresses 127.X.Y.1, each in a /24 of its own,
 *       and from each VICTIM address (127.0.0.0/8 addresses that stand for
 *       a real resolver whose address is spoofed), BURST packets (default
 *       1) back to back from each flooding source in its turn (the victims
 *       send as many, one at a time, spread over the round): a burst larger
 *       than a rate limit's bucket is over the limit when it arrives,
 *       however fast or slow the server reads. The pace is kept, not caught
 *       up: a flooder
 *       descheduled for a while resumes at PPS (the flood then lasts longer
 *       than SECONDS) rather than sending its backlog at once, which the
 *       server's socket buffer would mostly drop. Every packet leaves the
 *       one socket (bound to the wildcard address) with its source address
 *       chosen by IP_PKTINFO, as a packet with a forged source would arrive;
 *       a NAME of the form "*.REST" asks for a new random 8-character label
 *       under REST in every packet (random labels under a wildcard);
 *       on Linux all of 127.0.0.0/8 is local, so the responses come back
 *       and are counted per source. Prints one line of key=value counts:
 *       sent, answered (TC=0), slipped (TC=1), the most answers one source
 *       got, the victims' answers, bytes both ways, and elapsed_ms, the
 *       time from the first packet to the last.
 *   dnsflood resolver ADDR PORT NAME BIND COUNT INTERVAL_MS cookie|nocookie
 *       A resolver at the address BIND: one warm-up query (printing "ready"
 *       once answered), then COUNT queries INTERVAL_MS apart. Each goes over
 *       UDP (with a DNS cookie in cookie mode: a client cookie and the last
 *       server cookie seen), waits up to 400 ms, is retried over UDP twice
 *       after a timeout, and over TCP after a TC=1 answer or the third
 *       timeout, as resolvers do. Prints the counts: queries,
 *       udp_answered, slipped, tcp_answered, timeouts, failed, badcookie.
 *
 * Exit status 0 when it ran, 2 on usage or local errors. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG 4096
#define BATCH 64
#define MAX_SOURCES 60000
#define MAX_VICTIMS 64
#define UDP_WAIT_MS 400
#define UDP_TRIES 3

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die(const char *what)
{
	fprintf(stderr, "dnsflood: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A query for name (presentation form) type A; with a COOKIE option when
 * cookie_len > 0. Returns its length. */
static size_t build_query(const char *name, uint16_t id, const uint8_t *cookie, size_t cookie_len,
			  uint8_t *out)
{
	size_t n = 12;
	const char *p = name;

	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[5] = 1; /* QDCOUNT */
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (len == 0 || len > 63 || n + len + 6 > MAX_MSG) {
			fprintf(stderr, "dnsflood: bad name '%s'\n", name);
			exit(2);
		}
		out[n++] = (uint8_t)len;
		memcpy(out + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 1; /* A */
	out[n++] = 0;
	out[n++] = 1; /* IN */
	if (cookie_len > 0) {
		out[11] = 1; /* ARCOUNT */
		out[n++] = 0;
		out[n++] = 0;
		out[n++] = 41; /* OPT */
		out[n++] = 0x04;
		out[n++] = 0xd0; /* 1232 */
		memset(out + n, 0, 4);
		n += 4;
		out[n++] = 0;
		out[n++] = (uint8_t)(4 + cookie_len);
		out[n++] = 0;
		out[n++] = 10; /* COOKIE */
		out[n++] = 0;
		out[n++] = (uint8_t)cookie_len;
		memcpy(out + n, cookie, cookie_len);
		n += cookie_len;
	}
	return n;
}

/* ---- flood ------------------------------------------------------------ */

struct source {
	struct in_addr addr;
	uint64_t sent, answered, slipped, bytes_in, bytes_out, slipped_bytes;
};

/* Index of the source whose address is dst, or -1. The sources are laid
 * out so that the address gives the index; victims are searched. */
static int source_index(const struct source *src, unsigned nsrc, unsigned total,
			struct in_addr dst)
{
	uint32_t a = ntohl(dst.s_addr);
	unsigned b2 = (a >> 16) & 0xff, b3 = (a >> 8) & 0xff;

	if (b2 >= 10) {
		unsigned g = (b2 - 10) * 250 + b3;

		if (g < nsrc && src[g].addr.s_addr == dst.s_addr)
			return (int)g;
	}
	for (unsigned j = nsrc; j < total; j++) {
		if (src[j].addr.s_addr == dst.s_addr)
			return (int)j;
	}
	return -1;
}

static int flood(int argc, char **argv)
{
	unsigned burst = 1;
	struct sockaddr_in server = {.sin_family = AF_INET}, any = {.sin_family = AF_INET};
	unsigned nsrc, seconds, pps, nvict, total;
	static struct source src[MAX_SOURCES + MAX_VICTIMS];
	unsigned *order;
	size_t cycle;
	uint8_t query[MAX_MSG], in[BATCH][MAX_MSG], rquery[BATCH][MAX_MSG];
	bool random_label;
	uint64_t rnd = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
	struct mmsghdr out_msgs[BATCH], in_msgs[BATCH];
	struct iovec out_iov[BATCH], in_iov[BATCH];
	uint8_t out_cmsg[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	uint8_t in_cmsg[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in from[BATCH];
	size_t qlen;
	uint64_t start, sent = 0, next = 0, answered = 0, slipped = 0, max_answered = 0;
	uint64_t planned, backlog_max, first_send, last_send = 0, last_recv = 0;
	uint64_t bytes_in = 0, bytes_out = 0, over_in = 0, slip_bytes = 0, vict_sent = 0,
		 vict_answered = 0, vict_slipped = 0;
	int fd, one = 1, buf = 8 << 20;

	if (argc >= 4 && strcmp(argv[2], "-b") == 0) {
		burst = (unsigned)atoi(argv[3]);
		if (burst == 0 || burst > BATCH)
			return 2;
		argv += 2;
		argc -= 2;
	}
	if (argc < 8)
		return 2;
	random_label = strncmp(argv[4], "*.", 2) == 0;
	if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1)
		return 2;
	server.sin_port = htons((uint16_t)atoi(argv[3]));
	nsrc = (unsigned)atoi(argv[5]);
	seconds = (unsigned)atoi(argv[6]);
	pps = (unsigned)atoi(argv[7]);
	nvict = (unsigned)(argc - 8);
	if (nsrc > MAX_SOURCES || nvict > MAX_VICTIMS || nsrc + nvict == 0 || pps == 0)
		return 2;
	for (unsigned i = 0; i < nsrc; i++) {
		uint32_t a = (127u << 24) | ((10u + i / 250u) << 16) | ((i % 250u) << 8) | 1u;

		src[i].addr.s_addr = htonl(a);
	}
	for (unsigned i = 0; i < nvict; i++) {
		if (inet_pton(AF_INET, argv[8 + i], &src[nsrc + i].addr) != 1)
			return 2;
	}
	total = nsrc + nvict;
	/* One round of packets: each source sends BURST, the flooding
	 * sources in bursts, the victims (a real resolver's network, whose
	 * forged packets come from anywhere) one at a time spread evenly over
	 * the round, so that their network is under pressure all the time. */
	cycle = (size_t)total * burst;
	order = malloc(cycle * sizeof(*order));
	if (order == NULL)
		die("malloc");
	for (size_t p = 0, f = 0, v = 0, vn = (size_t)nvict * burst; p < cycle; p++) {
		bool victim = (p + 1) * vn / cycle > p * vn / cycle;

		if (victim) {
			order[p] = nsrc + (unsigned)(v++ % nvict);
		} else {
			order[p] = (unsigned)(f / burst);
			f++;
		}
	}
	if (random_label) {
		char name[300];

		/* The label's 8 bytes follow the header and its length byte. */
		snprintf(name, sizeof(name), "xxxxxxxx%s", argv[4] + 1);
		qlen = build_query(name, 0x5151, NULL, 0, query);
	} else {
		qlen = build_query(argv[4], 0x5151, NULL, 0, query);
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0)
		die("bind");

	for (int i = 0; i < BATCH; i++) {
		memset(&in_msgs[i], 0, sizeof(in_msgs[i]));
		in_iov[i].iov_base = in[i];
		in_iov[i].iov_len = MAX_MSG;
		in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
		in_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	planned = (uint64_t)pps * seconds;
	/* At most 50 ms of packets (and a batch) at once. */
	backlog_max = pps / 20 > BATCH ? pps / 20 : BATCH;
	start = first_send = now_ms();
	for (;;) {
		uint64_t t = now_ms();
		uint64_t due = (t - start) * pps / 1000u;
		int n;

		if (due > planned)
			due = planned;
		if (due > sent + backlog_max) {
			/* Behind: resume at the pace, the schedule moved later. */
			start += (due - sent - backlog_max) * 1000u / pps;
			due = sent + backlog_max;
		}

		/* Send what is due, in batches, each from the next source. */
		while (sent < due) {
			unsigned k = due - sent > BATCH ? BATCH : (unsigned)(due - sent);
			int done;

			for (unsigned i = 0; i < k; i++) {
				struct msghdr *h = &out_msgs[i].msg_hdr;
				struct cmsghdr *c;
				struct in_pktinfo pi = {0};
				struct source *s = &src[order[(next + i) % cycle]];

				memset(&out_msgs[i], 0, sizeof(out_msgs[i]));
				out_iov[i].iov_base = query;
				if (random_label) {
					memcpy(rquery[i], query, qlen);
					for (int b = 0; b < 8; b++) {
						rnd ^= rnd << 13;
						rnd ^= rnd >> 7;
						rnd ^= rnd << 17;
						rquery[i][13 + b] = (uint8_t)"0123456789abcdef"[rnd & 15];
					}
					out_iov[i].iov_base = rquery[i];
				}
				out_iov[i].iov_len = qlen;
				h->msg_name = &server;
				h->msg_namelen = sizeof(server);
				h->msg_iov = &out_iov[i];
				h->msg_iovlen = 1;
				h->msg_control = out_cmsg[i];
				h->msg_controllen = sizeof(out_cmsg[i]);
				c = CMSG_FIRSTHDR(h);
				c->cmsg_level = IPPROTO_IP;
				c->cmsg_type = IP_PKTINFO;
				c->cmsg_len = CMSG_LEN(sizeof(pi));
				pi.ipi_spec_dst = s->addr;
				memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			}
			done = sendmmsg(fd, out_msgs, k, 0);
			if (done < 0) {
				if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
					break;
				die("sendmmsg");
			}
			for (int i = 0; i < done; i++) {
				struct source *s = &src[order[(next + (unsigned)i) % cycle]];

				s->sent++;
				s->bytes_out += qlen;
			}
			next += (unsigned)done;
			sent += (unsigned)done;
			if (done > 0)
				last_send = now_ms();
		}
		/* Take the responses. */
		for (int i = 0; i < BATCH; i++) {
			struct msghdr *h = &in_msgs[i].msg_hdr;

			h->msg_name = &from[i];
			h->msg_namelen = sizeof(from[i]);
			h->msg_control = in_cmsg[i];
			h->msg_controllen = sizeof(in_cmsg[i]);
			h->msg_flags = 0;
		}
		n = recvmmsg(fd, in_msgs, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &in_msgs[i].msg_hdr;
			struct cmsghdr *c;
			struct in_addr dst = {0};
			unsigned len = in_msgs[i].msg_len;
			int j;

			for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;

					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					dst = pi.ipi_addr;
				}
			}
			if (len < 12)
				continue;
			j = source_index(src, nsrc, total, dst);
			if (j < 0)
				continue;
			src[j].bytes_in += len;
			if (in[i][2] & 0x02) {
				src[j].slipped++;
				src[j].slipped_bytes += len;
			} else {
				src[j].answered++;
			}
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			die("recvmmsg");
		if (n > 0)
			last_recv = t;
		/* The last responses: half a second after the last packet, and
		 * until none came for a second (a busy server answers late), but
		 * no more than 5 s. */
		if (sent == planned && t >= last_send + 500 &&
		    (t >= last_recv + 1000 || t >= last_send + 5000))
			break;
		if (n <= 0) {
			struct pollfd p = {fd, POLLIN, 0};

			poll(&p, 1, 1);
		}
	}
	for (unsigned j = 0; j < total; j++) {
		struct source *s = &src[j];

		answered += s->answered;
		slipped += s->slipped;
		bytes_in += s->bytes_in;
		bytes_out += s->bytes_out;
		slip_bytes += s->slipped_bytes;
		/* Queries over the limit: those not answered in full. */
		over_in += (s->sent - s->answered) * qlen;
		if (j < nsrc && s->answered > max_answered)
			max_answered = s->answered;
		if (j >= nsrc) {
			vict_sent += s->sent;
			vict_answered += s->answered;
			vict_slipped += s->slipped;
		}
	}
	printf("sources=%u seconds=%u sent=%llu answered=%llu slipped=%llu max_answered=%llu "
	       "victim_sent=%llu victim_answered=%llu victim_slipped=%llu bytes_sent=%llu "
	       "bytes_received=%llu over_limit_bytes_sent=%llu slipped_bytes_received=%llu "
	       "elapsed_ms=%llu\n",
	       nsrc, seconds, (unsigned long long)sent, (unsigned long long)answered,
	       (unsigned long long)slipped, (unsigned long long)max_answered,
	       (unsigned long long)vict_sent, (unsigned long long)vict_answered,
	       (unsigned long long)vict_slipped, (unsigned long long)bytes_out,
	       (unsigned long long)bytes_in, (unsigned long long)over_in,
	       (unsigned long long)slip_bytes, (unsigned long long)(last_send - first_send));
	close(fd);
	free(order);
	return 0;
}

/* ---- resolver ---------------------------------------------------------- */

struct resolver {
	struct sockaddr_in server;
	struct sockaddr_in self;
	const char *name;
	bool cookies;
	uint8_t cookie[40]; /* client cookie, then the last server cookie */
	size_t cookie_len;  /* 8, or 8 + server cookie */
	uint16_t id;
	unsigned udp_answered, slipped, tcp_answered, timeouts, failed, badcookie;
};

/* Remember the server cookie of the response r (len bytes), if any. */
static void learn_cookie(struct resolver *rs, const uint8_t *r, size_t len)
{
	size_t p = 12;
	unsigned counts = (unsigned)(r[4] << 8 | r[5]) + (unsigned)(r[6] << 8 | r[7]) +
			  (unsigned)(r[8] << 8 | r[9]) + (unsigned)(r[10] << 8 | r[11]);

	for (unsigned i = 0; i < counts && p < len; i++) {
		uint16_t type, rdlen;

		/* Owner: labels or a pointer. */
		while (p < len && r[p] != 0 && (r[p] & 0xc0) != 0xc0)
			p += (size_t)r[p] + 1;
		p += p < len && (r[p] & 0xc0) == 0xc0 ? 2 : 1;
		if (i == 0) { /* the question: type and class */
			p += 4;
			continue;
		}
		if (p + 10 > len)
			return;
		type = (uint16_t)(r[p] << 8 | r[p + 1]);
		rdlen = (uint16_t)(r[p + 8] << 8 | r[p + 9]);
		p += 10;
		if (type == 41) {
			size_t o = p;

			while (o + 4 <= p + rdlen && o + 4 <= len) {
				uint16_t code = (uint16_t)(r[o] << 8 | r[o + 1]);
				uint16_t olen = (uint16_t)(r[o + 2] << 8 | r[o + 3]);

				if (code == 10 && olen > 8 && olen <= 40 && o + 4 + olen <= len &&
				    memcmp(r + o + 4, rs->cookie, 8) == 0) {
					memcpy(rs->cookie, r + o + 4, olen);
					rs->cookie_len = olen;
				}
				o += 4 + (size_t)olen;
			}
		}
		p += rdlen;
	}
}

/* One exchange over TCP; true when answered. */
static bool ask_tcp(struct resolver *rs, const uint8_t *q, size_t qlen)
{
	uint8_t buf[2 + MAX_MSG];
	struct sockaddr_in self = rs->self;
	size_t got = 0, want = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;

	if (fd < 0)
		die("socket");
	self.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&self, sizeof(self)) != 0 ||
	    connect(fd, (struct sockaddr *)&rs->server, sizeof(rs->server)) != 0) {
		close(fd);
		return false;
	}
	buf[0] = (uint8_t)(qlen >> 8);
	buf[1] = (uint8_t)qlen;
	memcpy(buf + 2, q, qlen);
	if (write(fd, buf, qlen + 2) != (ssize_t)(qlen + 2)) {
		close(fd);
		return false;
	}
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= 2)
			want = (size_t)(buf[0] << 8 | buf[1]) + 2;
		if (want > 0 && got >= want) {
			ok = want >= 14 && (buf[2 + 3] & 0x0f) == 0 && (buf[2 + 2] & 0x02) == 0;
			if (ok && rs->cookies)
				learn_cookie(rs, buf + 2, want - 2);
			break;
		}
	}
	close(fd);
	return ok;
}

/* Resolve once: UDP, retries, TCP. */
static bool resolve(struct resolver *rs, int fd)
{
	uint8_t q[MAX_MSG], r[MAX_MSG];
	size_t qlen;

	for (int attempt = 0; attempt < UDP_TRIES; attempt++) {
		uint64_t deadline;

		rs->id++;
		qlen = build_query(rs->name, rs->id, rs->cookie, rs->cookies ? rs->cookie_len : 0, q);
		if (send(fd, q, qlen, 0) != (ssize_t)qlen)
			die("send");
		deadline = now_ms() + UDP_WAIT_MS;
		for (;;) {
			uint64_t t = now_ms();
			struct pollfd p = {fd, POLLIN, 0};
			ssize_t n;

			if (t >= deadline || poll(&p, 1, (int)(deadline - t)) <= 0) {
				rs->timeouts++;
				break;
			}
			n = recv(fd, r, sizeof(r), 0);
			if (n < 12 || r[0] != (uint8_t)(rs->id >> 8) || r[1] != (uint8_t)rs->id)
				continue; /* a late answer to an earlier try */
			if (rs->cookies)
				learn_cookie(rs, r, (size_t)n);
			if ((r[3] & 0x0f) == 7) { /* BADCOOKIE (23): retry with the new cookie */
				rs->badcookie++;
				break;
			}
			if (r[2] & 0x02) {
				rs->slipped++;
				if (ask_tcp(rs, q, qlen)) {
					rs->tcp_answered++;
					return true;
				}
				rs->failed++;
				return false;
			}
			rs->udp_answered++;
			return true;
		}
	}
	if (ask_tcp(rs, q, qlen)) {
		rs->tcp_answered++;
		return true;
	}
	rs->failed++;
	return false;
}

static int resolver(int argc, char **argv)
{
	struct resolver rs = {.server = {.sin_family = AF_INET}, .self = {.sin_family = AF_INET}};
	unsigned count, interval;
	int fd;
	FILE *ur;

	if (argc != 9)
		return 2;
	if (inet_pton(AF_INET, argv[2], &rs.server.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[5], &rs.self.sin_addr) != 1)
		return 2;
	rs.server.sin_port = htons((uint16_t)atoi(argv[3]));
	rs.name = argv[4];
	count = (unsigned)atoi(argv[6]);
	interval = (unsigned)atoi(argv[7]);
	rs.cookies = strcmp(argv[8], "cookie") == 0;
	ur = fopen("/dev/urandom", "rb");
	if (ur == NULL || fread(rs.cookie, 1, 8, ur) != 8)
		die("/dev/urandom");
	fclose(ur);
	rs.cookie_len = 8;
	rs.id = (uint16_t)(rs.cookie[0] << 8 | rs.cookie[1]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&rs.self, sizeof(rs.self)) != 0)
		die("bind");
	if (connect(fd, (struct sockaddr *)&rs.server, sizeof(rs.server)) != 0)
		die("connect");
	if (!resolve(&rs, fd)) {
		fprintf(stderr, "dnsflood: the warm-up query was not answered\n");
		return 2;
	}
	printf("ready cookie_learned=%d\n", rs.cookie_len > 8);
	fflush(stdout);
	rs.udp_answered = rs.slipped = rs.tcp_answered = rs.timeouts = rs.failed = 0;
	rs.badcookie = 0;
	for (unsigned i = 0; i < count; i++) {
		uint64_t t0 = now_ms();

		resolve(&rs, fd);
		while (now_ms() < t0 + interval)
			poll(NULL, 0, (int)(t0 + interval - now_ms()));
	}
	printf("queries=%u udp_answered=%u slipped=%u tcp_answered=%u timeouts=%u failed=%u "
	       "badcookie=%u\n",
	       count, rs.udp_answered, rs.slipped, rs.tcp_answered, rs.timeouts, rs.failed,
	       rs.badcookie);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		rc = flood(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "resolver") == 0)
		rc = resolver(argc, argv);
	if (rc == 2)
		fprintf(stderr,
			"usage: dnsflood flood [-b BURST] ADDR PORT NAME SOURCES SECONDS PPS "
			"[VICTIM...]\n"
			"       dnsflood resolver ADDR PORT NAME BIND COUNT INTERVAL_MS "
			"cookie|nocookie\n");
	return rc;
}

/* dnsload: a minimal closed-loop UDP DNS load generator for the benchmark.
 *
 * Reads a query file, encodes every query once at start (header, question,
 * EDNS0 OPT and the ECS option when given), then keeps a fixed number of
 * queries in flight against one server for a fixed time: each thread owns a
 * connected UDP socket and sends and receives in batches with sendmmsg and
 * recvmmsg. Responses are matched to queries by DNS id; the latency of each
 * is the time from the sendmmsg call that carried it to the kernel's receive
 * timestamp of the response (SO_TIMESTAMPNS; without it, the return of the
 * recvmmsg call). With -Q the sending is paced at a fixed rate instead (the
 * in-flight limit still applies), and the thread sleeps until the next query
 * is due rather than waking for every response.
 *
 * Query file (text, one query per line, '#' starts a comment):
 *     NAME TYPE [ECS]
 * TYPE is a mnemonic (A, AAAA, MX, ...) or TYPEnnn; ECS is an EDNS Client
 * Subnet source, ADDRESS/PREFIX (IPv4 or IPv6, e.g. 192.0.2.0/24 or
 * 2001:db8:1200::/56), or "-" for none. With -B the file is dnsperf's binary
 * format instead: each message preceded by its length (2 bytes, network
 * order), sent as it is but for the id.
 *
 * The hot loop does no formatting: every packet is a 2-byte id followed by
 * the pre-encoded rest, sent as a two-part iovec.
 *
 * With -S N (IPv4 on loopback) each query leaves from one of N source
 * addresses 127.A.B.1, one per /24, chosen in turn and set per packet with
 * IP_PKTINFO: the server sees N resolvers, as a rate limiter keyed by
 * client network does in production. With -C every query carries a DNS
 * client cookie (so a server with cookies makes a server cookie for each).
 *
 * Output: "key: value" lines on stdout (see usage()). Exit 0, or 1 on a
 * usage or setup error. Linux only (sendmmsg/recvmmsg). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH         64                    /* packets per sendmmsg/recvmmsg call */
#define MAX_MSG       512                   /* largest encoded query we accept */
#define RESP_BUF      4096                  /* receive buffer per batch slot */
#define HIST_SUB_BITS 6                     /* 64 sub-buckets per power of two */
#define HIST_SIZE     (64 << HIST_SUB_BITS) /* covers every uint64_t */
#define SCAN_NS       10000000ULL           /* timeout scan period: 10 ms */

/* The encoded queries: one arena, offsets into it. */
struct corpus {
	uint8_t *buf;   /* all messages back to back, ids included */
	size_t buf_len; /* bytes used in buf */
	size_t buf_cap; /* bytes allocated for buf */
	size_t *off;    /* start of message i in buf */
	uint16_t *len;  /* length of message i */
	size_t count;   /* messages */
	size_t cap;     /* slots allocated in off and len */
};

/* Options, read-only once the threads start. */
struct opts {
	struct sockaddr_storage server; /* where to send */
	socklen_t server_len;           /* its length */
	const char *file;               /* query file */
	int binary;                     /* -B: dnsperf binary file */
	int edns;                       /* -e: OPT record on queries without ECS */
	int cookie;                     /* -C: a client cookie on every query (implies -e) */
	int dnssec_ok;                  /* -D: the DO bit on every query (implies -e) */
	unsigned sources;               /* -S: source networks 127.A.B.1, 0: the socket's own */
	unsigned edns_size;             /* advertised UDP payload size */
	int rd;                         /* -r: set RD */
	unsigned inflight;              /* -q: queries in flight (all threads) */
	double duration;                /* -l: seconds of sending */
	double rate;                    /* -Q: queries/s (all threads), 0 = closed loop */
	unsigned threads;               /* -t: threads, one socket each */
	double timeout;                 /* -T: seconds until a query counts as lost */
	uint64_t tick_ns;               /* -g: pacing granularity at a fixed rate */
	int verbose;                    /* -v: per-thread figures on stderr */
};

/* One thread's counters and state. */
struct worker {
	pthread_t tid;            /* the thread */
	unsigned index;           /* 0.. threads-1 */
	int fd;                   /* connected UDP socket */
	unsigned inflight;        /* its share of -q */
	double rate;              /* its share of -Q, 0 = closed loop */
	size_t next;              /* next corpus message to send */
	uint64_t sent;            /* queries sent */
	uint64_t received;        /* responses matched to a query in flight */
	uint64_t lost;            /* queries without a response within -T */
	uint64_t unexpected;      /* responses for no query in flight (late) */
	uint64_t short_resp;      /* responses shorter than a DNS header */
	uint64_t send_errors;     /* sendmmsg failures (ENOBUFS, ...) */
	uint64_t resp_bytes;      /* bytes of matched responses */
	uint64_t rcodes[16];      /* matched responses by rcode */
	uint64_t truncated;       /* matched responses with TC set */
	uint64_t lat_sum_ns;      /* sum of latencies */
	uint64_t lat_max_ns;      /* largest latency */
	uint64_t hist[HIST_SIZE]; /* latency histogram, see hist_index() */
	uint64_t *sent_ns;        /* per id: send time (stamp_ns()), 0 = free */
	uint16_t *free_ids;       /* stack of free ids */
	unsigned free_count;      /* ids on the stack */
	uint16_t *live;           /* ids in flight, dense */
	uint32_t *live_pos;       /* per id: its index in live */
	unsigned live_count;      /* queries in flight */
	uint64_t end_send_ns;     /* when sending stopped */
	int kstamp;               /* the socket gives receive timestamps */
};

static struct opts opt;
static struct corpus corpus;
static uint64_t start_ns;
static volatile sig_atomic_t interrupted;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("dnsload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc_or_die(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		die("out of memory");
	return q;
}

/* Pacing and run time. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Send times and timeouts: the clock of the kernel's SO_TIMESTAMPNS. */
static uint64_t stamp_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Log-linear buckets: values below 64 exactly, above with 64 sub-buckets
 * per power of two (under 1.6% relative error). */
static unsigned hist_index(uint64_t v)
{
	unsigned e;

	if (v < (1u << HIST_SUB_BITS))
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	return ((e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) |
	       (unsigned)((v >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1));
}

/* The middle of bucket i, the inverse of hist_index(). */
static double hist_value(unsigned i)
{
	unsigned e, sub;

	if (i < (1u << HIST_SUB_BITS))
		return i;
	e = (i >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	sub = i & ((1u << HIST_SUB_BITS) - 1);
	return ((double)((1ULL << HIST_SUB_BITS) | sub) + 0.5) *
	       (double)(1ULL << (e - HIST_SUB_BITS));
}

/* ---------------------------------------------------------------------------
 * Encoding */

static const struct {
	const char *name;
	uint16_t code;
} qtypes[] = {
    {"A", 1},       {"NS", 2},     {"CNAME", 5},  {"SOA", 6},    {"PTR", 12},
    {"HINFO", 13},  {"MX", 15},    {"TXT", 16},   {"AAAA", 28},  {"LOC", 29},
    {"SRV", 33},    {"NAPTR", 35}, {"DS", 43},    {"RRSIG", 46}, {"NSEC", 47},
    {"DNSKEY", 48}, {"SVCB", 64},  {"HTTPS", 65}, {"ANY", 255},  {"CAA", 257},
};

static int qtype_parse(const char *s, uint16_t *out)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		if (strcasecmp(s, qtypes[i].name) == 0) {
			*out = qtypes[i].code;
			return 0;
		}
	}
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4] != '\0') {
		errno = 0;
		v = strtoul(s + 4, &end, 10);
		if (errno == 0 && *end == '\0' && v <= 65535) {
			*out = (uint16_t)v;
			return 0;
		}
	}
	return -1;
}

/* Append the wire form of NAME (text, optional trailing dot) at p; returns
 * the bytes written or -1. */
static int name_encode(const char *name, uint8_t *p, size_t room)
{
	size_t n = 0, lab;
	const char *dot;

	if (strcmp(name, ".") == 0)
		name = "";
	while (*name != '\0') {
		dot = strchr(name, '.');
		lab = dot ? (size_t)(dot - name) : strlen(name);
		if (lab == 0 || lab > 63 || n + 1 + lab + 1 > room || n + 1 + lab + 1 > 255)
			return -1;
		p[n++] = (uint8_t)lab;
		memcpy(p + n, name, lab);
		n += lab;
		name += lab;
		if (*name == '.')
			name++;
	}
	if (n + 1 > room)
		return -1;
	p[n++] = 0;
	return (int)n;
}

/* ECS option for "ADDR/PREFIX" (RFC 7871): family, source prefix, scope 0,
 * the address truncated to the prefix. Returns the option length or -1. */
static int ecs_encode(const char *spec, uint8_t *p, size_t room)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(spec, '/');
	uint8_t raw[16];
	unsigned long prefix;
	size_t alen, bytes;
	unsigned family, maxbits;
	char *end;

	if (slash == NULL || (size_t)(slash - spec) >= sizeof(addr))
		return -1;
	memcpy(addr, spec, (size_t)(slash - spec));
	addr[slash - spec] = '\0';
	if (inet_pton(AF_INET, addr, raw) == 1) {
		family = 1;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, addr, raw) == 1) {
		family = 2;
		maxbits = 128;
	} else {
		return -1;
	}
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == slash + 1 || prefix > maxbits)
		return -1;
	bytes = (prefix + 7) / 8;
	if (prefix % 8)
		raw[bytes - 1] &= (uint8_t)(0xFF << (8 - prefix % 8));
	alen = 4 + 4 + bytes;
	if (alen > room)
		return -1;
	p[0] = 0;
	p[1] = 8; /* OPTION-CODE ECS */
	p[2] = (uint8_t)((4 + bytes) >> 8);
	p[3] = (uint8_t)(4 + bytes);
	p[4] = 0;
	p[5] = (uint8_t)family;
	p[6] = (uint8_t)prefix;
	p[7] = 0;
	memcpy(p + 8, raw, bytes);
	return (int)alen;
}

static uint8_t *corpus_slot(size_t len)
{
	if (corpus.count == corpus.cap) {
		corpus.cap = corpus.cap ? corpus.cap * 2 : 65536;
		corpus.off = xrealloc_or_die(corpus.off, corpus.cap * sizeof(*corpus.off));
		corpus.len = xrealloc_or_die(corpus.len, corpus.cap * sizeof(*corpus.len));
	}
	if (corpus.buf_len + len > corpus.buf_cap) {
		corpus.buf_cap = corpus.buf_cap ? corpus.buf_cap * 2 : 4u << 20;
		while (corpus.buf_len + len > corpus.buf_cap)
			corpus.buf_cap *= 2;
		corpus.buf = xrealloc_or_die(corpus.buf, corpus.buf_cap);
	}
	corpus.off[corpus.count] = corpus.buf_len;
	corpus.len[corpus.count] = (uint16_t)len;
	corpus.count++;
	corpus.buf_len += len;
	return corpus.buf + corpus.buf_len - len;
}

/* One text line: NAME TYPE [ECS]. Returns 0, 1 for a blank line, -1. */
static int line_encode(char *line)
{
	uint8_t msg[MAX_MSG];
	char *name, *type, *ecs, *extra, *save = NULL;
	uint16_t qtype;
	size_t n = 12;
	int k, opt_len = 0;

	if ((name = strchr(line, '#')) != NULL)
		*name = '\0';
	name = strtok_r(line, " \t\r\n", &save);
	if (name == NULL)
		return 1;
	type = strtok_r(NULL, " \t\r\n", &save);
	ecs = strtok_r(NULL, " \t\r\n", &save);
	extra = strtok_r(NULL, " \t\r\n", &save);
	if (type == NULL || extra != NULL || qtype_parse(type, &qtype) != 0)
		return -1;
	if (ecs != NULL && strcmp(ecs, "-") == 0)
		ecs = NULL;
	memset(msg, 0, 12);
	msg[2] = opt.rd ? 0x01 : 0x00;
	msg[5] = 1; /* QDCOUNT */
	if ((k = name_encode(name, msg + n, sizeof(msg) - n - 4)) < 0)
		return -1;
	n += (size_t)k;
	msg[n++] = (uint8_t)(qtype >> 8);
	msg[n++] = (uint8_t)qtype;
	msg[n++] = 0;
	msg[n++] = 1; /* IN */
	if (ecs != NULL || opt.edns) {
		uint8_t *o = msg + n;

		if (n + 11 > sizeof(msg))
			return -1;
		o[0] = 0; /* root */
		o[1] = 0;
		o[2] = 41; /* OPT */
		o[3] = (uint8_t)(opt.edns_size >> 8);
		o[4] = (uint8_t)opt.edns_size;
		memset(o + 5, 0, 4); /* ext rcode, version, flags */
		if (opt.dnssec_ok)
			o[7] = 0x80; /* DO (RFC 3225) */
		if (ecs != NULL && (opt_len = ecs_encode(ecs, o + 11, sizeof(msg) - n - 11)) < 0)
			return -1;
		if (opt.cookie) {
			static const uint8_t cookie[12] = {0, 10, 0, 8, 0x24, 0x64, 0xc4, 0xab,
							   0xcf, 0x10, 0xc9, 0x57};

			if (n + 11 + (size_t)opt_len + sizeof(cookie) > sizeof(msg))
				return -1;
			memcpy(o + 11 + opt_len, cookie, sizeof(cookie));
			opt_len += (int)sizeof(cookie);
		}
		o[9] = (uint8_t)(opt_len >> 8);
		o[10] = (uint8_t)opt_len;
		n += 11 + (size_t)opt_len;
		msg[11] = 1; /* ARCOUNT */
	}
	memcpy(corpus_slot(n), msg, n);
	return 0;
}

static void corpus_load(void)
{
	FILE *f = fopen(opt.file, "rb");
	char line[1024];
	unsigned long lineno = 0;
	uint8_t hdr[2];
	size_t len;

	if (f == NULL)
		die("%s: %s", opt.file, strerror(errno));
	if (opt.binary) {
		while (fread(hdr, 1, 2, f) == 2) {
			len = (size_t)hdr[0] << 8 | hdr[1];
			if (len < 12 || len > MAX_MSG)
				die("%s: message %zu: bad length %zu", opt.file, corpus.count + 1,
				    len);
			if (fread(corpus_slot(len), 1, len, f) != len)
				die("%s: truncated message %zu", opt.file, corpus.count);
		}
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(f))
				die("%s:%lu: line too long", opt.file, lineno);
			if (line_encode(line) < 0)
				die("%s:%lu: expected \"NAME TYPE [ADDRESS/PREFIX]\"", opt.file,
				    lineno);
		}
	}
	if (ferror(f))
		die("%s: %s", opt.file, strerror(errno));
	fclose(f);
	if (corpus.count == 0)
		die("%s: no queries", opt.file);
}

/* ---------------------------------------------------------------------------
 * The load loop */

static void id_free(struct worker *w, uint16_t id)
{
	uint32_t pos = w->live_pos[id];
	uint16_t last = w->live[--w->live_count];

	w->live[pos] = last;
	w->live_pos[last] = pos;
	w->sent_ns[id] = 0;
	w->free_ids[w->free_count++] = id;
}

/* Queries older than the timeout count as lost and free their ids. */
static void scan_timeouts(struct worker *w, uint64_t now, uint64_t timeout_ns)
{
	unsigned i = 0;
	uint16_t id;

	while (i < w->live_count) {
		id = w->live[i];
		if (now - w->sent_ns[id] >= timeout_ns) {
			w->lost++;
			id_free(w, id); /* moves the last one to i */
		} else {
			i++;
		}
	}
}

/* Room for one SCM_TIMESTAMPNS message, aligned for cmsghdr. */
union ctrl_buf {
	struct cmsghdr align;                          /* alignment */
	char buf[CMSG_SPACE(sizeof(struct timespec))]; /* the message */
};

/* The kernel's receive time of a message, or fallback. */
static uint64_t rx_stamp(struct msghdr *mh, uint64_t fallback)
{
	struct cmsghdr *c;
	struct timespec ts;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		}
	}
	return fallback;
}

/* Read what has arrived, without blocking; returns the count. */
static int receive_batch(struct worker *w, struct mmsghdr *rmsg, uint8_t (*rbuf)[RESP_BUF],
			 union ctrl_buf *ctrl)
{
	int n, i;
	uint64_t t, rt, lat;
	uint16_t id;
	const uint8_t *p;

	for (i = 0; i < BATCH; i++) {
		rmsg[i].msg_hdr.msg_control = w->kstamp ? ctrl[i].buf : NULL;
		rmsg[i].msg_hdr.msg_controllen = w->kstamp ? sizeof(ctrl[i].buf) : 0;
	}
	n = recvmmsg(w->fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	t = stamp_ns();
	for (i = 0; i < n; i++) {
		p = rbuf[i];
		if (rmsg[i].msg_len < 12) {
			w->short_resp++;
			continue;
		}
		id = (uint16_t)(p[0] << 8 | p[1]);
		if (w->sent_ns[id] == 0) {
			w->unexpected++;
			continue;
		}
		rt = w->kstamp ? rx_stamp(&rmsg[i].msg_hdr, t) : t;
		lat = rt > w->sent_ns[id] ? rt - w->sent_ns[id] : 0;
		w->hist[hist_index(lat)]++;
		w->lat_sum_ns += lat;
		if (lat > w->lat_max_ns)
			w->lat_max_ns = lat;
		w->rcodes[p[3] & 0x0F]++;
		if (p[2] & 0x02)
			w->truncated++;
		w->resp_bytes += rmsg[i].msg_len;
		w->received++;
		id_free(w, id);
	}
	return n;
}

/* Read until the socket is empty. */
static void receive_all(struct worker *w, struct mmsghdr *rmsg, uint8_t (*rbuf)[RESP_BUF],
			union ctrl_buf *ctrl)
{
	while (receive_batch(w, rmsg, rbuf, ctrl) == BATCH)
		;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct mmsghdr smsg[BATCH], rmsg[BATCH];
	struct iovec siov[BATCH][2], riov[BATCH];
	uint8_t idbuf[BATCH][2];
	uint8_t sctrl[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	uint64_t src_next = w->index;
	uint8_t(*rbuf)[RESP_BUF] = malloc(BATCH * sizeof(*rbuf));
	union ctrl_buf ctrl[BATCH];
	uint64_t timeout_ns = (uint64_t)(opt.timeout * 1e9);
	uint64_t end_ns = start_ns + (uint64_t)(opt.duration * 1e9);
	uint64_t t, stamp, next_scan, due;
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	struct timespec ts;
	unsigned i, k, want;
	int sending = 1, sent, wait_ns;
	size_t q;

	if (rbuf == NULL)
		die("out of memory");
	memset(smsg, 0, sizeof(smsg));
	memset(rmsg, 0, sizeof(rmsg));
	for (i = 0; i < BATCH; i++) {
		siov[i][0].iov_base = idbuf[i];
		siov[i][0].iov_len = 2;
		smsg[i].msg_hdr.msg_iov = siov[i];
		smsg[i].msg_hdr.msg_iovlen = 2;
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = RESP_BUF;
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	t = now_ns();
	next_scan = t + SCAN_NS;
	for (;;) {
		t = now_ns();
		if (sending && (t >= end_ns || interrupted)) {
			sending = 0;
			w->end_send_ns = t;
		}
		if (!sending && w->live_count == 0)
			break;
		if (t >= next_scan) {
			scan_timeouts(w, stamp_ns(), timeout_ns);
			next_scan = t + SCAN_NS;
			continue;
		}
		/* How many to send now: the free in-flight slots, and at a fixed
		 * rate no more than are due by now. */
		want = 0;
		if (sending) {
			want = w->inflight - w->live_count;
			if (w->rate > 0) {
				due = (uint64_t)((double)(t - start_ns) * 1e-9 * w->rate) + 1;
				due = due > w->sent ? due - w->sent : 0;
				if (due < want)
					want = (unsigned)due;
			}
			if (want > BATCH)
				want = BATCH;
		}
		if (want > 0) {
			for (k = 0; k < want; k++) {
				uint16_t id = w->free_ids[w->free_count - 1 - k];

				q = w->next;
				if (++w->next == corpus.count)
					w->next = 0;
				idbuf[k][0] = (uint8_t)(id >> 8);
				idbuf[k][1] = (uint8_t)id;
				siov[k][1].iov_base = corpus.buf + corpus.off[q] + 2;
				siov[k][1].iov_len = corpus.len[q] - 2u;
				if (opt.sources > 0) {
					struct msghdr *h = &smsg[k].msg_hdr;
					struct cmsghdr *c;
					struct in_pktinfo pi;
					uint32_t a = (uint32_t)(src_next++ % opt.sources) + 1;

					memset(&pi, 0, sizeof(pi));
					pi.ipi_spec_dst.s_addr = htonl(0x7f000001u | a << 8);
					h->msg_name = &opt.server;
					h->msg_namelen = opt.server_len;
					h->msg_control = sctrl[k];
					h->msg_controllen = sizeof(sctrl[k]);
					c = CMSG_FIRSTHDR(h);
					c->cmsg_level = IPPROTO_IP;
					c->cmsg_type = IP_PKTINFO;
					c->cmsg_len = CMSG_LEN(sizeof(pi));
					memcpy(CMSG_DATA(c), &pi, sizeof(pi));
				}
			}
			t = now_ns();
			stamp = stamp_ns();
			sent = sendmmsg(w->fd, smsg, want, 0);
			if (sent < 0) {
				w->send_errors++;
				sent = 0;
			}
			for (k = 0; k < (unsigned)sent; k++) {
				uint16_t id = w->free_ids[--w->free_count];

				w->sent_ns[id] = stamp;
				w->live_pos[id] = w->live_count;
				w->live[w->live_count++] = id;
			}
			w->sent += (unsigned)sent;
			/* Pick up what has arrived meanwhile, without blocking. */
			receive_all(w, rmsg, rbuf, ctrl);
			if (sent > 0)
				continue;
		}
		/* Wait for responses, the next scan, the end, or the next query
		 * due at a fixed rate. */
		wait_ns = (int)(next_scan - t > SCAN_NS ? SCAN_NS : next_scan - t);
		if (sending && w->rate > 0 && w->live_count < w->inflight) {
			/* Due time of the next query, rounded up to the pacing
			 * tick: one wake-up sends what a tick holds. */
			uint64_t next = (uint64_t)((double)w->sent / w->rate * 1e9);
			int64_t d;

			if (opt.tick_ns > 0)
				next = (next + opt.tick_ns - 1) / opt.tick_ns * opt.tick_ns;
			d = (int64_t)next - (int64_t)(t - start_ns);

			if (d < wait_ns)
				wait_ns = d > 0 ? (int)d : 0;
		}
		if (sending && end_ns > t && end_ns - t < (uint64_t)wait_ns)
			wait_ns = (int)(end_ns - t);
		ts.tv_sec = 0;
		ts.tv_nsec = wait_ns;
		/* At a fixed rate with receive timestamps, responses need no
		 * wake-up of their own: they are read after the next send. */
		pfd.events =
		    sending && w->rate > 0 && w->kstamp && w->live_count < w->inflight ? 0 : POLLIN;
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			receive_all(w, rmsg, rbuf, ctrl);
	}
	return NULL;
}

static int worker_socket(void)
{
	int fd = socket(opt.server.ss_family, SOCK_DGRAM, 0);
	int sz = 4 << 20;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* Room for a full window of responses; failures only cost drops. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (opt.sources > 0) {
		/* Unconnected, on every address: the responses come back to
		 * 127.A.B.1 at this port. */
		struct sockaddr_in any = {.sin_family = AF_INET};

		if (opt.server.ss_family != AF_INET)
			die("-S needs an IPv4 server");
		if (bind(fd, (const struct sockaddr *)&any, sizeof(any)) != 0)
			die("bind: %s", strerror(errno));
		return fd;
	}
	if (connect(fd, (const struct sockaddr *)&opt.server, opt.server_len) != 0)
		die("connect: %s", strerror(errno));
	return fd;
}

static void worker_init(struct worker *w, unsigned index)
{
	unsigned i;

	memset(w, 0, sizeof(*w));
	w->index = index;
	w->fd = worker_socket();
	w->kstamp = setsockopt(w->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){1}, sizeof(int)) == 0;
	w->inflight = opt.inflight / opt.threads + (index < opt.inflight % opt.threads);
	w->rate = opt.rate / opt.threads;
	/* Threads start at different points of the corpus. */
	w->next = corpus.count * index / opt.threads;
	w->sent_ns = calloc(65536, sizeof(*w->sent_ns));
	w->free_ids = calloc(65536, sizeof(*w->free_ids));
	w->live = calloc(65536, sizeof(*w->live));
	w->live_pos = calloc(65536, sizeof(*w->live_pos));
	if (!w->sent_ns || !w->free_ids || !w->live || !w->live_pos)
		die("out of memory");
	/* Ids handed out in a shuffled order (fixed seed). */
	for (i = 0; i < 65536; i++)
		w->free_ids[i] = (uint16_t)i;
	srandom(index + 1);
	for (i = 65535; i > 0; i--) {
		unsigned j = (unsigned)random() % (i + 1);
		uint16_t tmp = w->free_ids[i];

		w->free_ids[i] = w->free_ids[j];
		w->free_ids[j] = tmp;
	}
	w->free_count = 65536;
}

/* ---------------------------------------------------------------------------
 * Options and report */

static void usage(FILE *f)
{
	fputs("usage: dnsload -s ADDR [-p PORT] -d FILE [-B] [-e] [-C] [-S N] [-r] [-b SIZE]\n"
	      "               [-q INFLIGHT] [-l SECONDS] [-Q RATE [-g USEC]] [-t THREADS]\n"
	      "               [-T TIMEOUT] [-v]\n"
	      "  -s ADDR     server address (IPv4 or IPv6)\n"
	      "  -p PORT     server port (53)\n"
	      "  -d FILE     queries: lines \"NAME TYPE [ADDRESS/PREFIX|-]\", the last\n"
	      "              column an EDNS Client Subnet source; with -B dnsperf's\n"
	      "              binary format (2-byte length, message)\n"
	      "  -e          EDNS0 OPT record on queries without ECS too\n"
	      "  -C          a DNS client cookie on every query (implies -e)\n"
	      "  -D          the DNSSEC OK bit on every query (implies -e)\n"
	      "  -S N        send from N source networks 127.A.B.1 (IPv4 loopback)\n"
	      "  -b SIZE     EDNS0 UDP payload size (1232)\n"
	      "  -r          set RD (default: clear, as for an authoritative server)\n"
	      "  -q N        queries in flight, all threads together (100)\n"
	      "  -l SECONDS  how long to send (10); then wait for the last responses\n"
	      "  -Q RATE     send at RATE queries/s (all threads) instead of as fast\n"
	      "              as responses come back; -q still caps what is in flight\n"
	      "  -g USEC     with -Q: wake up at most every USEC microseconds and send\n"
	      "              what is due by then (100; 0: every query at its time)\n"
	      "  -t N        threads, each with its own socket (1)\n"
	      "  -T SECONDS  a query without response after this long is lost (1)\n"
	      "  -v          per-thread figures on stderr\n"
	      "Output, one \"key: value\" per line: queries_sent, responses, lost,\n"
	      "unexpected (responses to no query in flight), send_errors, run_s,\n"
	      "qps (responses per second of sending), p50_us p90_us p99_us p999_us\n"
	      "max_us avg_us (latency, send to receive), rcodes, truncated,\n"
	      "resp_bytes_avg, cpu_s and cpu_us_per_q (this program's own CPU).\n",
	      f);
}

static double num_arg(int c, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("-%c: expected a number from %g to %g, got \"%s\"", c, min, max, s);
	return v;
}

static void server_parse(const char *addr, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&opt.server;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.server;

	memset(&opt.server, 0, sizeof(opt.server));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		opt.server_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		opt.server_len = sizeof(*sin6);
	} else {
		die("-s: not an IP address: %s", addr);
	}
}

static double percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t want, acc = 0;
	unsigned i;

	if (total == 0)
		return 0;
	want = (uint64_t)(p * (double)total);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < HIST_SIZE; i++) {
		acc += hist[i];
		if (acc > want)
			return hist_value(i);
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *const rcode_names[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};

int main(int argc, char **argv)
{
	const char *addr = NULL;
	unsigned port = 53, i, j;
	struct worker *ws, sum;
	struct rusage ru0, ru;
	uint64_t end_ns = 0;
	double run_s, cpu_s;
	struct sigaction sa;
	int c;

	opt.edns_size = 1232;
	opt.inflight = 100;
	opt.duration = 10;
	opt.threads = 1;
	opt.timeout = 1;
	opt.tick_ns = 100000;
	while ((c = getopt(argc, argv, "s:p:d:BeCDS:b:rq:l:Q:g:t:T:vh")) != -1) {
		switch (c) {
		case 's':
			addr = optarg;
			break;
		case 'p':
			port = (unsigned)num_arg(c, optarg, 1, 65535);
			break;
		case 'd':
			opt.file = optarg;
			break;
		case 'B':
			opt.binary = 1;
			break;
		case 'e':
			opt.edns = 1;
			break;
		case 'D':
			opt.dnssec_ok = 1;
			opt.edns = 1;
			break;
		case 'C':
			opt.cookie = 1;
			opt.edns = 1;
			break;
		case 'S':
			opt.sources = (unsigned)num_arg(c, optarg, 1, 65535);
			break;
		case 'b':
			opt.edns_size = (unsigned)num_arg(c, optarg, 512, 65535);
			break;
		case 'r':
			opt.rd = 1;
			break;
		case 'q':
			opt.inflight = (unsigned)num_arg(c, optarg, 1, 1e6);
			break;
		case 'l':
			opt.duration = num_arg(c, optarg, 0.001, 86400);
			break;
		case 'Q':
			opt.rate = num_arg(c, optarg, 1, 1e8);
			break;
		case 'g':
			opt.tick_ns = (uint64_t)(num_arg(c, optarg, 0, 1e6) * 1e3);
			break;
		case 't':
			opt.threads = (unsigned)num_arg(c, optarg, 1, 256);
			break;
		case 'T':
			opt.timeout = num_arg(c, optarg, 0.001, 60);
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc || addr == NULL || opt.file == NULL) {
		usage(stderr);
		return 1;
	}
	if (opt.inflight < opt.threads)
		die("-q %u: fewer queries in flight than threads (%u)", opt.inflight, opt.threads);
	if (opt.inflight / opt.threads > 65535)
		die("-q %u: at most 65535 in flight per thread", opt.inflight);
	server_parse(addr, port);
	corpus_load();

	/* Fine-grained wake-ups for the fixed-rate mode. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ws = calloc(opt.threads, sizeof(*ws));
	if (ws == NULL)
		die("out of memory");
	for (i = 0; i < opt.threads; i++)
		worker_init(&ws[i], i);
	getrusage(RUSAGE_SELF, &ru0);
	start_ns = now_ns();
	for (i = 0; i < opt.threads; i++)
		if ((errno = pthread_create(&ws[i].tid, NULL, worker_run, &ws[i])) != 0)
			die("pthread_create: %s", strerror(errno));
	for (i = 0; i < opt.threads; i++)
		pthread_join(ws[i].tid, NULL);

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &ws[i];

		sum.sent += w->sent;
		sum.received += w->received;
		sum.lost += w->lost;
		sum.unexpected += w->unexpected;
		sum.short_resp += w->short_resp;
		sum.send_errors += w->send_errors;
		sum.resp_bytes += w->resp_bytes;
		sum.truncated += w->truncated;
		sum.lat_sum_ns += w->lat_sum_ns;
		if (w->lat_max_ns > sum.lat_max_ns)
			sum.lat_max_ns = w->lat_max_ns;
		for (j = 0; j < 16; j++)
			sum.rcodes[j] += w->rcodes[j];
		for (j = 0; j < HIST_SIZE; j++)
			sum.hist[j] += w->hist[j];
		if (w->end_send_ns > end_ns)
			end_ns = w->end_send_ns;
		if (opt.verbose)
			fprintf(stderr,
				"thread %u: sent %" PRIu64 " received %" PRIu64 " lost %" PRIu64
				"\n",
				i, w->sent, w->received, w->lost);
	}
	run_s = (double)(end_ns - start_ns) * 1e-9;
	getrusage(RUSAGE_SELF, &ru);
	/* The run's CPU, not the loading's. */
	cpu_s = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		(double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
		(double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		(double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;

	printf("mode: %s\n", opt.rate > 0 ? "fixed-rate" : "closed-loop");
	printf("queries_file: %s (%zu queries)\n", opt.file, corpus.count);
	printf("threads: %u\n", opt.threads);
	printf("inflight: %u\n", opt.inflight);
	if (opt.rate > 0)
		printf("rate: %.0f\n", opt.rate);
	printf("queries_sent: %" PRIu64 "\n", sum.sent);
	printf("responses: %" PRIu64 "\n", sum.received);
	printf("lost: %" PRIu64 "\n", sum.lost);
	printf("unexpected: %" PRIu64 "\n", sum.unexpected + sum.short_resp);
	printf("send_errors: %" PRIu64 "\n", sum.send_errors);
	printf("run_s: %.3f\n", run_s);
	printf("qps: %.0f\n", run_s > 0 ? (double)sum.received / run_s : 0.0);
	printf("p50_us: %.1f\n", percentile(sum.hist, sum.received, 0.50) / 1e3);
	printf("p90_us: %.1f\n", percentile(sum.hist, sum.received, 0.90) / 1e3);
	printf("p99_us: %.1f\n", percentile(sum.hist, sum.received, 0.99) / 1e3);
	printf("p999_us: %.1f\n", percentile(sum.hist, sum.received, 0.999) / 1e3);
	printf("max_us: %.1f\n", (double)sum.lat_max_ns / 1e3);
	printf("avg_us: %.1f\n",
	       sum.received ? (double)sum.lat_sum_ns / (double)sum.received / 1e3 : 0.0);
	printf("rcodes:");
	for (j = 0; j < 16; j++)
		if (sum.rcodes[j])
			printf(" %s=%" PRIu64, rcode_names[j], sum.rcodes[j]);
	printf("\n");
	printf("truncated: %" PRIu64 "\n", sum.truncated);
	printf("resp_bytes_avg: %.1f\n",
	       sum.received ? (double)sum.resp_bytes / (double)sum.received : 0.0);
	printf("cpu_s: %.3f\n", cpu_s);
	printf("cpu_us_per_q: %.3f\n", sum.sent ? cpu_s * 1e6 / (double)sum.sent : 0.0);
	return 0;
}

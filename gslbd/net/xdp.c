#include <config.h>

#include "gslbd/net/xdp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "gslbd/conf/conf.h"

static atomic_bool serving; /* XDP workers run (for gslbd_dns_path) */

bool xdp_path_is_serving(void)
{
	return atomic_load(&serving);
}

#ifndef HAVE_XDP

struct xdp_path {
	int unused; /* never made */
};

struct xdp_path *xdp_path_open(const struct config *cfg, const struct netaddr *listen, size_t count)
{
	(void)listen;
	(void)count;
	if (cfg->xdp_count > 0)
		log_warn("xdp: not built in (configure found no libxdp, libbpf or clang for BPF); "
			 "DNS over UDP is answered over sockets");
	return NULL;
}

size_t xdp_path_worker_count(const struct xdp_path *p)
{
	(void)p;
	return 0;
}

struct query_ctx *xdp_path_query(struct xdp_path *p, size_t i)
{
	(void)p;
	(void)i;
	return NULL;
}

int xdp_path_start(struct xdp_path *p, struct gslb_err *err)
{
	(void)p;
	(void)err;
	return 0;
}

void xdp_path_stop(struct xdp_path *p)
{
	(void)p;
}

void xdp_path_free(struct xdp_path *p)
{
	(void)p;
}

void xdp_path_describe(const struct xdp_path *p, char *buf, size_t len)
{
	(void)p;
	if (len > 0)
		buf[0] = '\0';
}

void xdp_path_counters(struct xdp_counters *out)
{
	memset(out, 0, sizeof(*out));
}

#else /* HAVE_XDP */

#include <errno.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/sockios.h>
#include <linux/udp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "common/xalloc.h"
#include "gslbd/dns/query.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/net/xdp_prog.h"

#define XDP_FRAME_SIZE 2048u /* bytes per UMEM frame: an Ethernet frame of MTU 1500 and more */
#define XDP_FRAMES     4096u /* frames per socket: 8 MiB of UMEM */
#define XDP_RING       2048u /* descriptors of the rx and tx rings (a burst of 2048 waits) */
#define XDP_BATCH      32u   /* frames read per batch (<= QUERY_BATCH_MAX) */
#define XDP_POLL_MS    100   /* how often an idle worker looks whether it must stop */
#define XDP_MAX_QUEUES 256u  /* entries of the program's socket map */
#define XDP_TTL        64    /* TTL / hop limit of responses */
#define ETH_LEN        14u
#define IP4_LEN        20u
#define IP6_LEN        40u
#define UDP_LEN        8u

/* One frame of a batch that carries a query. */
struct xdp_slot {
	uint64_t addr;                 /* its UMEM address */
	uint8_t *pkt;                  /* its bytes */
	bool v6;                       /* IPv6 (else IPv4) */
	unsigned listener;             /* listen address it reached */
	struct sockaddr_storage peer;  /* the client */
	struct sockaddr_storage local; /* the address and port it reached */
};

/* One AF_XDP socket and its thread: one queue of one interface. */
struct xdp_worker {
	unsigned id;                         /* worker number, for logs */
	char name[IF_NAMESIZE + 8];          /* "IFNAME@QUEUE" */
	const struct xdp_path *path;         /* its path (listen addresses) */
	pthread_t thread;                    /* the worker thread */
	bool started;                        /* thread was created */
	_Atomic bool stop;                   /* asked to stop */
	void *area;                          /* the UMEM (XDP_FRAMES frames) */
	struct xsk_umem *umem;               /* the UMEM registered */
	struct xsk_ring_prod fq;             /* fill ring: frames the kernel may receive into */
	struct xsk_ring_cons cq;             /* completion ring: frames transmitted */
	struct xsk_socket *xsk;              /* the socket */
	struct xsk_ring_cons rx;             /* received frames */
	struct xsk_ring_prod tx;             /* frames to transmit */
	size_t room;                         /* DNS bytes a response may have (MTU and frame) */
	struct snapshot_reader *reader;      /* QSBR registration */
	struct query_ctx *query;             /* the query pipeline's state for this thread */
	struct query_msg *msgs;              /* its batch */
	bool observed;                       /* the context has an observer (read at start) */
	uint64_t recycle[XDP_BATCH];         /* frames of a batch going back to the fill ring */
	unsigned recycle_count;              /* entries at recycle */
	struct xdp_slot slots[XDP_BATCH];    /* the batch's queries */
	unsigned order[XDP_BATCH];           /* slot of each message of the pipeline's batch */
	uint8_t (*out_bufs)[XDP_FRAME_SIZE]; /* XDP_BATCH response buffers (room <= a frame) */
	uint8_t (*in_bufs)[XDP_FRAME_SIZE];  /* observed: copies of the queries */
	_Atomic uint64_t frames;             /* frames read (written by the worker only) */
	_Atomic uint64_t invalid;            /* of them, failed the header checks */
};

/* One interface with the program attached. */
struct xdp_iface {
	char name[IF_NAMESIZE];    /* its name */
	int ifindex;               /* its index */
	struct bpf_object *obj;    /* the program's object */
	struct xdp_program *prog;  /* the program */
	enum xdp_attach_mode mode; /* how it is attached */
	bool attached;             /* it is */
};

static const struct xdp_path *active; /* the path whose workers run (main thread) */

struct xdp_path {
	struct netaddr *listen;      /* the listen addresses, ports resolved */
	bool *wildcard;              /* listen[i] is 0.0.0.0 or :: */
	size_t listen_count;         /* entries at listen */
	struct xdp_iface *ifaces;    /* interfaces with the program */
	size_t iface_count;          /* entries at ifaces */
	struct xdp_worker **workers; /* one per queue */
	size_t worker_count;         /* entries at workers */
};

/* The program, compiled at build time (xdp_prog_obj.c). */
extern const unsigned char xdp_prog_obj[];
extern const size_t xdp_prog_obj_len;

static char lib_error[256]; /* libbpf's and libxdp's last warning, for the reason */

static int lib_print(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static int lib_print(const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("xdp: %s", line);
	snprintf(lib_error, sizeof(lib_error), "%s", line);
	return 0;
}

static int bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return lib_print(fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	return lib_print(fmt, ap);
}

/* --- the frames --- */

/* The 16-bit ones' complement sum of len bytes at p, added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len > 0)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Which listen address did a datagram to addr (4 or 16 bytes of family)
 * and port reach? Returns its index, or -1. */
static int find_listener(const struct xdp_path *p, int family, const uint8_t *addr, uint16_t port)
{
	for (size_t i = 0; i < p->listen_count; i++) {
		const struct netaddr *a = &p->listen[i];

		if (a->u.sa.sa_family != family || netaddr_port(&a->u.sa) != port)
			continue;
		if (p->wildcard[i])
			return (int)i;
		if (family == AF_INET && memcmp(&a->u.sin.sin_addr, addr, 4) == 0)
			return (int)i;
		if (family == AF_INET6 && memcmp(&a->u.sin6.sin6_addr, addr, 16) == 0)
			return (int)i;
	}
	return -1;
}

/* Check the frame's Ethernet, IP and UDP headers and fill s for the query
 * it carries; msg gets the payload. Returns false for what is not a whole,
 * unfragmented UDP datagram without IP options to a listen address. */
static bool frame_parse(const struct xdp_worker *w, uint8_t *pkt, uint32_t len, struct xdp_slot *s,
			struct query_msg *msg)
{
	uint16_t proto, ulen, sport, dport;
	const uint8_t *udp;
	int li;

	if (len < ETH_LEN + IP4_LEN + UDP_LEN)
		return false;
	proto = get16(pkt + 12);
	if (proto == ETH_P_IP) {
		const uint8_t *ip = pkt + ETH_LEN;
		uint16_t tot = get16(ip + 2);

		if ((ip[0] >> 4) != 4 || (ip[0] & 0x0f) != 5 || ip[9] != IPPROTO_UDP ||
		    (get16(ip + 6) & 0x3fff) != 0 || tot < IP4_LEN + UDP_LEN || tot > len - ETH_LEN)
			return false;
		udp = ip + IP4_LEN;
		ulen = get16(udp + 4);
		if (ulen != tot - IP4_LEN)
			return false;
		s->v6 = false;
		sport = get16(udp);
		dport = get16(udp + 2);
		li = find_listener(w->path, AF_INET, ip + 16, dport);
		if (li < 0)
			return false;
		{
			struct sockaddr_in *peer = (struct sockaddr_in *)&s->peer;
			struct sockaddr_in *local = (struct sockaddr_in *)&s->local;

			memset(peer, 0, sizeof(*peer));
			peer->sin_family = AF_INET;
			peer->sin_port = htons(sport);
			memcpy(&peer->sin_addr, ip + 12, 4);
			memset(local, 0, sizeof(*local));
			local->sin_family = AF_INET;
			local->sin_port = htons(dport);
			memcpy(&local->sin_addr, ip + 16, 4);
		}
	} else if (proto == ETH_P_IPV6) {
		const uint8_t *ip = pkt + ETH_LEN;

		if (len < ETH_LEN + IP6_LEN + UDP_LEN || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP)
			return false;
		udp = ip + IP6_LEN;
		ulen = get16(udp + 4);
		if (ulen < UDP_LEN || get16(ip + 4) != ulen || ulen > len - ETH_LEN - IP6_LEN)
			return false;
		s->v6 = true;
		sport = get16(udp);
		dport = get16(udp + 2);
		li = find_listener(w->path, AF_INET6, ip + 24, dport);
		if (li < 0)
			return false;
		{
			struct sockaddr_in6 *peer = (struct sockaddr_in6 *)&s->peer;
			struct sockaddr_in6 *local = (struct sockaddr_in6 *)&s->local;

			memset(peer, 0, sizeof(*peer));
			peer->sin6_family = AF_INET6;
			peer->sin6_port = htons(sport);
			memcpy(&peer->sin6_addr, ip + 8, 16);
			memset(local, 0, sizeof(*local));
			local->sin6_family = AF_INET6;
			local->sin6_port = htons(dport);
			memcpy(&local->sin6_addr, ip + 24, 16);
		}
	} else {
		return false;
	}
	s->pkt = pkt;
	s->listener = (unsigned)li;
	msg->query = udp + UDP_LEN;
	msg->query_len = ulen - UDP_LEN;
	msg->truncated = false;
	return true;
}

/* Turn the query's frame into its response: the rlen bytes at resp after
 * the headers, Ethernet, IP addresses and UDP ports swapped, lengths, TTL
 * and checksums set. Returns the frame's length. */
static uint32_t frame_answer(uint8_t *pkt, bool v6, const uint8_t *resp, size_t rlen)
{
	uint8_t mac[6], tmp[16];
	uint8_t *ip = pkt + ETH_LEN;
	uint8_t *udp = ip + (v6 ? IP6_LEN : IP4_LEN);
	uint16_t ulen = (uint16_t)(UDP_LEN + rlen);
	uint32_t sum;

	memcpy(mac, pkt, 6);
	memcpy(pkt, pkt + 6, 6);
	memcpy(pkt + 6, mac, 6);
	memcpy(udp + UDP_LEN, resp, rlen);
	memcpy(tmp, udp, 2); /* ports */
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, tmp, 2);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	if (v6) {
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		put16(ip + 4, ulen);
		ip[7] = XDP_TTL;
		sum = csum_add(0, ip + 8, 32);
	} else {
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		put16(ip + 2, (uint16_t)(IP4_LEN + ulen));
		put16(ip + 6, 0); /* no DF, no fragment: as the sockets send (PMTUDISC_OMIT) */
		ip[8] = XDP_TTL;
		put16(ip + 10, 0);
		put16(ip + 10, csum_fold(csum_add(0, ip, IP4_LEN)));
		sum = csum_add(0, ip + 12, 8);
	}
	/* The pseudo-header's protocol and length, then UDP header and data. */
	sum += IPPROTO_UDP + ulen;
	sum = csum_add(sum, udp, ulen);
	{
		uint16_t c = csum_fold(sum);

		put16(udp + 6, c == 0 ? 0xffff : c);
	}
	return (uint32_t)(udp + ulen - pkt);
}

/* --- the worker --- */

static void fill_frames(struct xdp_worker *w, const uint64_t *addrs, unsigned n)
{
	uint32_t idx;

	if (n == 0)
		return;
	/* The fill ring holds every frame there is: there is always room. */
	while (xsk_ring_prod__reserve(&w->fq, n, &idx) != n)
		;
	for (unsigned i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&w->fq, idx + i) = addrs[i];
	xsk_ring_prod__submit(&w->fq, n);
}

/* Frames transmitted go back to the fill ring. */
static void reclaim(struct xdp_worker *w)
{
	uint64_t addrs[XDP_BATCH];
	uint32_t idx;
	unsigned n;

	while ((n = xsk_ring_cons__peek(&w->cq, XDP_BATCH, &idx)) > 0) {
		for (unsigned i = 0; i < n; i++)
			addrs[i] = *xsk_ring_cons__comp_addr(&w->cq, idx + i);
		xsk_ring_cons__release(&w->cq, n);
		fill_frames(w, addrs, n);
	}
}

/* Have the kernel transmit what is on the tx ring. In copy mode only a
 * system call sends, so it is made whether or not the ring asks for it. */
static void kick(struct xdp_worker *w)
{
	if (sendto(xsk_socket__fd(w->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
		log_ratelimited(LOG_LEVEL_WARN, "xdp %s: transmit: %s", w->name, strerror(errno));
}

/* Are there frames on the tx ring the kernel has not taken yet (a kick
 * that met a busy device, or more than it sends per call)? */
static bool tx_pending(struct xdp_worker *w)
{
	return xsk_prod_nb_free(&w->tx, XDP_RING) < XDP_RING;
}

/* Answer the slots of listener li among slots[0..n) through the pipeline
 * and transmit the responses; marks the slots done (pkt NULL). */
static void answer_listener(struct xdp_worker *w, unsigned n, unsigned li)
{
	struct query_ctx *qc = w->query;
	unsigned m = 0, out = 0;
	uint32_t tidx = 0;

	for (unsigned i = 0; i < n; i++) {
		struct xdp_slot *s = &w->slots[i];
		struct query_msg *msg = &w->msgs[m];

		if (s->pkt == NULL || s->listener != li)
			continue;
		msg->query = s->pkt + ETH_LEN + (s->v6 ? IP6_LEN : IP4_LEN) + UDP_LEN;
		msg->query_len =
		    get16(s->pkt + ETH_LEN + (s->v6 ? IP6_LEN : IP4_LEN) + 4) - UDP_LEN;
		msg->truncated = false;
		msg->peer = (const struct sockaddr *)&s->peer;
		msg->local = (const struct sockaddr *)&s->local;
		msg->resp = w->out_bufs[m];
		msg->resp_cap = w->room;
		if (w->observed) {
			/* The response overwrites the query in its frame before
			 * the observer sees it. */
			memcpy(w->in_bufs[m], msg->query, msg->query_len);
			msg->query = w->in_bufs[m];
		}
		w->order[m++] = i;
	}
	query_batch(qc, snapshot_current(), li, NULL, m);
	for (unsigned k = 0; k < m; k++)
		out += w->msgs[k].resp_len > 0;
	if (out > 0 && xsk_ring_prod__reserve(&w->tx, out, &tidx) != out) {
		reclaim(w);
		kick(w);
		if (xsk_ring_prod__reserve(&w->tx, out, &tidx) != out) {
			log_ratelimited(LOG_LEVEL_WARN,
					"xdp %s: transmit ring full: %u responses dropped", w->name,
					out);
			for (unsigned k = 0; k < m; k++)
				if (w->msgs[k].resp_len > 0)
					query_send_failed(qc, k);
			out = 0;
		}
	}
	for (unsigned k = 0, t = 0; k < m; k++) {
		struct xdp_slot *s = &w->slots[w->order[k]];

		if (w->msgs[k].resp_len == 0 || out == 0) {
			w->recycle[w->recycle_count++] = s->addr;
		} else {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&w->tx, tidx + t++);

			d->addr = s->addr;
			d->len = frame_answer(s->pkt, s->v6, w->msgs[k].resp, w->msgs[k].resp_len);
		}
		s->pkt = NULL;
	}
	if (out > 0) {
		xsk_ring_prod__submit(&w->tx, out);
		kick(w);
	}
	if (w->observed)
		query_batch_finish(qc, m);
}

/* The n frames at rx index idx: check them, answer the queries listener by
 * listener (query_batch() takes one listener's access list), recycle the rest. */
static void answer_frames(struct xdp_worker *w, uint32_t idx, unsigned n)
{
	unsigned q = 0;

	w->recycle_count = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->rx, idx + i);
		uint8_t *pkt = xsk_umem__get_data(w->area, d->addr);
		struct xdp_slot *s = &w->slots[q];

		s->addr = d->addr;
		if (frame_parse(w, pkt, d->len, s, &w->msgs[0]))
			q++;
		else
			w->recycle[w->recycle_count++] = d->addr;
	}
	xsk_ring_cons__release(&w->rx, n);
	/* One writer: a relaxed load and store, no locked instruction. */
	atomic_store_explicit(&w->frames,
			      atomic_load_explicit(&w->frames, memory_order_relaxed) + n,
			      memory_order_relaxed);
	if (q < n)
		atomic_store_explicit(
		    &w->invalid, atomic_load_explicit(&w->invalid, memory_order_relaxed) + (n - q),
		    memory_order_relaxed);
	for (unsigned i = 0; i < q; i++)
		if (w->slots[i].pkt != NULL)
			answer_listener(w, q, w->slots[i].listener);
	fill_frames(w, w->recycle, w->recycle_count);
}

/* The worker: wait for frames (poll, bounded so that a stop is seen),
 * answer a batch, repeat. Offline (for snapshot reclamation) while waiting. */
static void *xdp_main(void *arg)
{
	struct xdp_worker *w = arg;
	struct pollfd pfd;

	w->observed = query_ctx_is_observed(w->query);
	pfd.fd = xsk_socket__fd(w->xsk);
	pfd.events = POLLIN;
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		uint32_t idx;
		unsigned n;

		reclaim(w);
		n = xsk_ring_cons__peek(&w->rx, XDP_BATCH, &idx);
		if (n == 0) {
			bool pending = tx_pending(w);

			/* Responses still on the tx ring: kick again, and look
			 * again soon rather than in XDP_POLL_MS. */
			if (pending)
				kick(w);
			pfd.revents = 0;
			poll(&pfd, 1, pending ? 1 : XDP_POLL_MS);
			continue;
		}
		snapshot_reader_online(w->reader);
		answer_frames(w, idx, n);
		snapshot_reader_offline(w->reader);
	}
	return NULL;
}

/* What the kernel dropped on the socket, for the log at stop. */
static void worker_log_stats(const struct xdp_worker *w)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(xsk_socket__fd(w->xsk), SOL_XDP, XDP_STATISTICS, &st, &len) != 0)
		return;
	if (st.rx_dropped + st.rx_invalid_descs + st.tx_invalid_descs + st.rx_ring_full +
		st.rx_fill_ring_empty_descs ==
	    0)
		return;
	log_info("xdp %s: rx_dropped=%llu rx_ring_full=%llu rx_fill_ring_empty=%llu "
		 "rx_invalid=%llu tx_invalid=%llu",
		 w->name, (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
		 (unsigned long long)st.rx_fill_ring_empty_descs,
		 (unsigned long long)st.rx_invalid_descs, (unsigned long long)st.tx_invalid_descs);
}

static void worker_free(struct xdp_worker *w)
{
	if (w == NULL)
		return;
	if (w->xsk != NULL) {
		worker_log_stats(w);
		xsk_socket__delete(w->xsk);
	}
	if (w->umem != NULL)
		xsk_umem__delete(w->umem);
	if (w->area != NULL)
		munmap(w->area, (size_t)XDP_FRAMES * XDP_FRAME_SIZE);
	query_ctx_free(w->query);
	free(w->out_bufs);
	free(w->in_bufs);
	free(w);
}

/* The interface's MTU, or 1500. */
static unsigned iface_mtu(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned mtu = 1500;

	if (fd < 0)
		return mtu;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* The interface's receive queues (ethtool channels), at least 1. */
static unsigned iface_queues(const char *name)
{
	struct ethtool_channels ch;
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned n = 1;

	if (fd < 0)
		return n;
	memset(&ch, 0, sizeof(ch));
	memset(&ifr, 0, sizeof(ifr));
	ch.cmd = ETHTOOL_GCHANNELS;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ch.combined_count + ch.rx_count > 0)
		n = ch.combined_count + ch.rx_count;
	close(fd);
	return n > XDP_MAX_QUEUES ? XDP_MAX_QUEUES : n;
}

/* Make the socket of queue of iface and put it into the program's map.
 * Returns NULL with reason set. */
static struct xdp_worker *worker_new(struct xdp_path *p, struct xdp_iface *ifc, unsigned queue,
				     unsigned id, char *reason, size_t rlen)
{
	struct xdp_worker *w = xcalloc(1, sizeof(*w));
	struct xsk_umem_config ucfg;
	struct xsk_socket_config scfg;
	size_t len = (size_t)XDP_FRAMES * XDP_FRAME_SIZE;
	struct bpf_map *map;
	unsigned mtu = iface_mtu(ifc->name);
	size_t hdr = ETH_LEN + IP6_LEN + UDP_LEN;
	int rc;

	w->id = id;
	w->path = p;
	snprintf(w->name, sizeof(w->name), "%s@%u", ifc->name, queue);
	/* Room for the DNS message: the frame's and the MTU's (with the larger
	 * IPv6 header, so one limit serves both families). */
	w->room = XDP_FRAME_SIZE - hdr;
	if (mtu >= IP6_LEN + UDP_LEN + 512 && mtu - IP6_LEN - UDP_LEN < w->room)
		w->room = mtu - IP6_LEN - UDP_LEN;
	if (w->room < 512)
		w->room = 512;
	w->area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (w->area == MAP_FAILED) {
		w->area = NULL;
		snprintf(reason, rlen, "%s: UMEM: %s", w->name, strerror(errno));
		goto fail;
	}
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.fill_size = XDP_FRAMES;
	ucfg.comp_size = XDP_FRAMES;
	ucfg.frame_size = XDP_FRAME_SIZE;
	ucfg.frame_headroom = 0;
	rc = xsk_umem__create(&w->umem, w->area, len, &w->fq, &w->cq, &ucfg);
	if (rc != 0) {
		w->umem = NULL;
		snprintf(reason, rlen, "%s: cannot register the UMEM: %s%s", w->name, strerror(-rc),
			 rc == -EPERM || rc == -ENOMEM ? " (locked memory limit?)" : "");
		goto fail;
	}
	memset(&scfg, 0, sizeof(scfg));
	scfg.rx_size = XDP_RING;
	scfg.tx_size = XDP_RING;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.xdp_flags = ifc->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	scfg.bind_flags = XDP_USE_NEED_WAKEUP;
	rc = xsk_socket__create(&w->xsk, ifc->name, queue, w->umem, &w->rx, &w->tx, &scfg);
	if (rc != 0) {
		w->xsk = NULL;
		snprintf(reason, rlen, "%s: AF_XDP socket: %s", w->name, strerror(-rc));
		goto fail;
	}
	map = bpf_object__find_map_by_name(ifc->obj, "gslbd_xsks");
	if (map == NULL || (rc = xsk_socket__update_xskmap(w->xsk, bpf_map__fd(map))) != 0) {
		snprintf(reason, rlen, "%s: cannot add the socket to the program's map: %s",
			 w->name, map == NULL ? "no map" : strerror(-rc));
		goto fail;
	}
	{
		uint64_t addrs[XDP_BATCH];

		for (unsigned f = 0; f < XDP_FRAMES; f += XDP_BATCH) {
			for (unsigned i = 0; i < XDP_BATCH; i++)
				addrs[i] = (uint64_t)(f + i) * XDP_FRAME_SIZE;
			fill_frames(w, addrs, XDP_BATCH);
		}
	}
	w->query = query_ctx_new(QUERY_XDP);
	w->msgs = query_batch_msgs(w->query);
	w->out_bufs = xmalloc(XDP_BATCH * sizeof(*w->out_bufs));
	w->in_bufs = xmalloc(XDP_BATCH * sizeof(*w->in_bufs));
	w->reader = snapshot_reader_new();
	return w;
fail:
	worker_free(w);
	return NULL;
}

/* --- the program --- */

static void iface_detach(struct xdp_iface *ifc)
{
	if (ifc->attached) {
		int rc = xdp_program__detach(ifc->prog, ifc->ifindex, ifc->mode, 0);

		if (rc != 0)
			log_warn("xdp %s: cannot detach the program: %s", ifc->name, strerror(-rc));
		else
			log_info("xdp %s: program detached", ifc->name);
		ifc->attached = false;
	}
	xdp_program__close(ifc->prog);
	ifc->prog = NULL;
	bpf_object__close(ifc->obj);
	ifc->obj = NULL;
}

/* The destinations the program redirects: every listen address. */
static void prog_config(const struct xdp_path *p, struct xdp_prog_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < p->listen_count && c->count < XDP_PROG_DESTS; i++) {
		const struct netaddr *a = &p->listen[i];
		struct xdp_prog_dest *d = &c->dests[c->count++];

		d->family = a->u.sa.sa_family == AF_INET ? 4 : 6;
		d->any = p->wildcard[i];
		d->port = htons(netaddr_port(&a->u.sa));
		if (a->u.sa.sa_family == AF_INET)
			memcpy(d->addr, &a->u.sin.sin_addr, 4);
		else
			memcpy(d->addr, &a->u.sin6.sin6_addr, 16);
	}
}

/* A gslbd program left on ifc by a gslbd that could not detach it (it
 * had switched to server.user and lost CAP_NET_ADMIN, or was killed) is
 * detached; any other program stays, and the attach below fails. */
static void replace_stale(const struct xdp_iface *ifc)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);
	struct xdp_program *main_prog;

	if (mp == NULL || libxdp_get_error(mp) != 0)
		return;
	main_prog = xdp_multiprog__main_prog(mp);
	if (main_prog != NULL && xdp_multiprog__is_legacy(mp) &&
	    strcmp(xdp_program__name(main_prog), "gslbd_xdp") == 0) {
		int rc = xdp_multiprog__detach(mp);

		log_info("xdp %s: an earlier gslbd's program was attached: %s", ifc->name,
			 rc == 0 ? "detached" : strerror(-rc));
	}
	xdp_multiprog__close(mp);
}

/* Load and attach the program to ifc (native mode, else generic) and fill
 * its destinations. Returns false with reason set. */
static bool iface_attach(const struct xdp_path *p, struct xdp_iface *ifc, char *reason, size_t rlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "gslbd_xdp");
	struct xdp_prog_config c;
	struct bpf_map *map;
	uint32_t zero = 0;
	int rc;

	ifc->obj = bpf_object__open_mem(xdp_prog_obj, xdp_prog_obj_len, &opts);
	if (ifc->obj == NULL) {
		snprintf(reason, rlen, "%s: cannot open the program: %s", ifc->name,
			 strerror(errno));
		return false;
	}
	ifc->prog = xdp_program__from_bpf_obj(ifc->obj, "xdp");
	if (libxdp_get_error(ifc->prog) != 0) {
		rc = (int)libxdp_get_error(ifc->prog);
		ifc->prog = NULL;
		snprintf(reason, rlen, "%s: cannot open the program: %s", ifc->name, strerror(-rc));
		return false;
	}
	lib_error[0] = '\0';
	replace_stale(ifc);
	ifc->mode = XDP_MODE_NATIVE;
	rc = xdp_program__attach(ifc->prog, ifc->ifindex, ifc->mode, 0);
	if (rc != 0) {
		log_info("xdp %s: no native XDP (%s): attaching in generic mode", ifc->name,
			 strerror(-rc));
		ifc->mode = XDP_MODE_SKB;
		rc = xdp_program__attach(ifc->prog, ifc->ifindex, ifc->mode, 0);
	}
	if (rc != 0) {
		snprintf(reason, rlen, "%s: cannot attach the program: %s%s%s", ifc->name,
			 strerror(-rc), lib_error[0] != '\0' ? ": " : "", lib_error);
		return false;
	}
	ifc->attached = true;
	map = bpf_object__find_map_by_name(ifc->obj, "gslbd_dns");
	prog_config(p, &c);
	if (map == NULL || bpf_map_update_elem(bpf_map__fd(map), &zero, &c, BPF_ANY) != 0) {
		snprintf(reason, rlen, "%s: cannot set the program's addresses: %s", ifc->name,
			 map == NULL ? "no map" : strerror(errno));
		return false;
	}
	log_info("xdp %s: program attached in %s mode", ifc->name,
		 ifc->mode == XDP_MODE_NATIVE ? "native" : "generic");
	return true;
}

/* --- capabilities --- */

static bool has_cap(const struct __user_cap_data_struct *d, unsigned cap)
{
	return (d[cap / 32].effective & (1u << (cap % 32))) != 0;
}

/* Can this process set up XDP? NULL, or why not. */
static const char *caps_missing(char *buf, size_t len, size_t sockets)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct rlimit rl;
	rlim_t need = (rlim_t)sockets * XDP_FRAMES * XDP_FRAME_SIZE + (rlim_t)16 * 1024 * 1024;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0) {
		snprintf(buf, len, "cannot read capabilities: %s", strerror(errno));
		return buf;
	}
	if (!has_cap(d, CAP_NET_ADMIN))
		return "no CAP_NET_ADMIN (to attach the program)";
	if (!has_cap(d, CAP_NET_RAW))
		return "no CAP_NET_RAW (for AF_XDP sockets)";
#ifdef CAP_BPF
	if (!has_cap(d, CAP_BPF) && !has_cap(d, CAP_SYS_ADMIN))
		return "no CAP_BPF or CAP_SYS_ADMIN (to load the program)";
#else
	if (!has_cap(d, CAP_SYS_ADMIN))
		return "no CAP_SYS_ADMIN (to load the program)";
#endif
	if (has_cap(d, CAP_IPC_LOCK))
		return NULL;
	/* Without CAP_IPC_LOCK the UMEM counts against RLIMIT_MEMLOCK. */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < need) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < need) {
			snprintf(buf, len,
				 "locked memory limit %llu KiB below the %llu KiB the sockets "
				 "need, and no CAP_IPC_LOCK",
				 (unsigned long long)rl.rlim_cur / 1024,
				 (unsigned long long)need / 1024);
			return buf;
		}
	}
	return NULL;
}

/* --- the path --- */

static bool is_wildcard(const struct netaddr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->u.sa.sa_family == AF_INET)
		return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&a->u.sin6.sin6_addr, &any6, sizeof(any6)) == 0;
}

/* Add the interface named name (once) and return it, or NULL with reason set. */
static struct xdp_iface *path_iface(struct xdp_path *p, const char *name, char *reason, size_t rlen)
{
	struct xdp_iface *ifc;
	unsigned idx;

	for (size_t i = 0; i < p->iface_count; i++)
		if (strcmp(p->ifaces[i].name, name) == 0)
			return &p->ifaces[i];
	idx = if_nametoindex(name);
	if (idx == 0) {
		snprintf(reason, rlen, "%s: no such interface", name);
		return NULL;
	}
	ifc = &p->ifaces[p->iface_count];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = (int)idx;
	p->iface_count++;
	if (!iface_attach(p, ifc, reason, rlen))
		return NULL;
	return ifc;
}

struct xdp_path *xdp_path_open(const struct config *cfg, const struct netaddr *listen, size_t count)
{
	struct xdp_path *p;
	char reason[512], buf[256];
	const char *missing;
	size_t sockets = 0;

	if (cfg->xdp_count == 0)
		return NULL;
	libbpf_set_print(bpf_print);
	libxdp_set_print(libxdp_print);
	for (size_t i = 0; i < cfg->xdp_count; i++)
		sockets += cfg->xdp[i].queue >= 0 ? 1 : iface_queues(cfg->xdp[i].ifname);
	missing = caps_missing(buf, sizeof(buf), sockets);
	if (missing != NULL) {
		log_warn("xdp: cannot be set up: %s; DNS over UDP is answered over sockets",
			 missing);
		return NULL;
	}
	if (count > XDP_PROG_DESTS) {
		log_warn("xdp: cannot be set up: %zu listen addresses, the program matches %d at "
			 "most; DNS over UDP is answered over sockets",
			 count, XDP_PROG_DESTS);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->listen = xmalloc(count * sizeof(*p->listen));
	p->wildcard = xmalloc(count * sizeof(*p->wildcard));
	memcpy(p->listen, listen, count * sizeof(*listen));
	p->listen_count = count;
	for (size_t i = 0; i < count; i++)
		p->wildcard[i] = is_wildcard(&listen[i]);
	p->ifaces = xcalloc(cfg->xdp_count, sizeof(*p->ifaces));
	p->workers = xcalloc(sockets, sizeof(*p->workers));
	for (size_t i = 0; i < cfg->xdp_count; i++) {
		const struct config_xdp *x = &cfg->xdp[i];
		struct xdp_iface *ifc = path_iface(p, x->ifname, reason, sizeof(reason));
		unsigned first = x->queue >= 0 ? (unsigned)x->queue : 0;
		unsigned last = x->queue >= 0 ? (unsigned)x->queue + 1 : iface_queues(x->ifname);

		if (ifc == NULL)
			goto fail;
		for (unsigned q = first; q < last; q++) {
			struct xdp_worker *w = worker_new(p, ifc, q, (unsigned)p->worker_count,
							  reason, sizeof(reason));

			if (w == NULL)
				goto fail;
			p->workers[p->worker_count++] = w;
		}
	}
	return p;
fail:
	log_warn("xdp: cannot be set up: %s; DNS over UDP is answered over sockets", reason);
	xdp_path_free(p);
	return NULL;
}

size_t xdp_path_worker_count(const struct xdp_path *p)
{
	return p != NULL ? p->worker_count : 0;
}

struct query_ctx *xdp_path_query(struct xdp_path *p, size_t i)
{
	return p != NULL && i < p->worker_count ? p->workers[i]->query : NULL;
}

int xdp_path_start(struct xdp_path *p, struct gslb_err *err)
{
	if (p == NULL)
		return 0;
	for (size_t i = 0; i < p->worker_count; i++) {
		struct xdp_worker *w = p->workers[i];
		int rc = pthread_create(&w->thread, NULL, xdp_main, w);

		if (rc != 0)
			return gslb_err_setc(err, -rc, "xdp %s: pthread_create: %s", w->name,
					     strerror(rc));
		w->started = true;
	}
	atomic_store(&serving, true);
	active = p;
	return 0;
}

void xdp_path_stop(struct xdp_path *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->worker_count; i++)
		atomic_store(&p->workers[i]->stop, true);
	for (size_t i = 0; i < p->worker_count; i++) {
		struct xdp_worker *w = p->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
	}
	atomic_store(&serving, false);
	if (active == p)
		active = NULL;
}

void xdp_path_counters(struct xdp_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; active != NULL && i < active->worker_count; i++) {
		const struct xdp_worker *w = active->workers[i];
		struct xdp_statistics st;
		socklen_t len = sizeof(st);

		out->frames += atomic_load_explicit(&w->frames, memory_order_relaxed);
		out->invalid += atomic_load_explicit(&w->invalid, memory_order_relaxed);
		memset(&st, 0, sizeof(st));
		if (getsockopt(xsk_socket__fd(w->xsk), SOL_XDP, XDP_STATISTICS, &st, &len) != 0)
			continue;
		out->rx_ring_full += st.rx_ring_full;
		out->fill_ring_empty += st.rx_fill_ring_empty_descs;
		out->rx_dropped += st.rx_dropped;
	}
}

void xdp_path_free(struct xdp_path *p)
{
	if (p == NULL)
		return;
	xdp_path_stop(p);
	/* Detach first: the sockets' queues then go back to the kernel. */
	for (size_t i = 0; i < p->iface_count; i++)
		iface_detach(&p->ifaces[i]);
	for (size_t i = 0; i < p->worker_count; i++)
		worker_free(p->workers[i]);
	free(p->workers);
	free(p->ifaces);
	free(p->listen);
	free(p->wildcard);
	free(p);
}

void xdp_path_describe(const struct xdp_path *p, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; p != NULL && i < p->worker_count && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 i ? "," : " xdp=", p->workers[i]->name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

#endif /* HAVE_XDP */

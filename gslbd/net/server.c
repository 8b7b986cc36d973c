#include <config.h>

#include "gslbd/net/server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/dnstap_ring.h"
#include "gslbd/dns/query.h"
#include "gslbd/net/dnstap.h"
#include "gslbd/net/tcp.h"
#include "gslbd/net/udp.h"
#include "gslbd/net/xdp.h"

#define BIND_RETRIES 20   /* tries to find a port free for both UDP and TCP */
#define UDP_RCVBUF (4 * 1024 * 1024)
#define TCP_BACKLOG 1024

/* One configured address, bound. */
struct listener {
	struct netaddr addr; /* address with the port actually bound */
	int *udp_fds;        /* one per worker */
	int tcp_fd;          /* listening TCP socket */
	bool wildcard;       /* bound to 0.0.0.0 or :: */
};

struct server {
	struct listener *ls;       /* one per configured address */
	size_t ls_count;           /* entries at ls */
	unsigned workers;          /* UDP workers */
	struct udp_worker **udp;   /* the workers, once started: workers per address */
	size_t udp_count;          /* entries at udp */
	struct tcp_server *tcp;    /* the TCP thread, once started */
	struct dnstap_writer *dnstap; /* gives each DNS thread a ring, or NULL */
	struct xdp_path *xdp;      /* the AF_XDP path (server.xdp), or NULL: sockets only */
	struct config_xdp *xdp_cfg; /* server.xdp as it was at start (for reloads) */
	size_t xdp_cfg_count;       /* entries at xdp_cfg */
};

static bool is_wildcard(const struct netaddr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->u.sa.sa_family == AF_INET)
		return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&a->u.sin6.sin6_addr, &any6, sizeof(any6)) == 0;
}

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Make and bind one socket. Returns the fd or -errno with err set. */
static int open_socket(const struct netaddr *a, int type, bool wildcard, struct gslb_err *err)
{
	char text[NETADDR_STRLEN];
	int fd, e;

	netaddr_format(&a->u.sa, text, sizeof(text));
	fd = socket(a->u.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		return gslb_err_setc(err, -e, "%s %s: socket: %s", type == SOCK_DGRAM ? "udp" : "tcp",
				     text, strerror(e));
	}
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (a->u.sa.sa_family == AF_INET6)
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (type == SOCK_DGRAM) {
		set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
		set_int(fd, SOL_SOCKET, SO_RCVBUF, UDP_RCVBUF);
		/* Send large responses without fragmenting on stale path MTU data
		 * (as NSD and Knot do); clients that need less ask for less. */
#ifdef IP_PMTUDISC_OMIT
		if (a->u.sa.sa_family == AF_INET)
			set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
#endif
#ifdef IPV6_PMTUDISC_OMIT
		if (a->u.sa.sa_family == AF_INET6)
			set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
#endif
		if (wildcard) {
			if (a->u.sa.sa_family == AF_INET)
				set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
			else
				set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		}
	} else {
		set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	}
	if (bind(fd, &a->u.sa, a->len) != 0) {
		e = errno;
		close(fd);
		return gslb_err_setc(err, -e, "%s %s: bind: %s", type == SOCK_DGRAM ? "udp" : "tcp",
				     text, strerror(e));
	}
	if (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0) {
		e = errno;
		close(fd);
		return gslb_err_setc(err, -e, "tcp %s: listen: %s", text, strerror(e));
	}
	return fd;
}

/* Steer each query to a worker by its client network (the first
 * ipv4_prefix bits of an IPv4 source, up to 64 of an IPv6 one) rather than
 * by the kernel's hash of addresses and ports, so that the rate-limit
 * buckets of a network, kept per worker, see all of its traffic whichever
 * source ports it uses. A classic BPF program on the reuseport group
 * returns the socket's index; if it cannot be attached, the kernel's hash
 * stays and a network's limit is spread over the workers (logged). */
static void udp_steer(int fd, int family, unsigned workers, unsigned ipv4_prefix,
		      unsigned ipv6_prefix)
{
	uint32_t m4 = ipv4_prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> ipv4_prefix);
	unsigned p6 = ipv6_prefix > 64 ? 64 : ipv6_prefix;
	uint32_t m6a = p6 >= 32 ? 0xffffffffu : ~(0xffffffffu >> p6);
	uint32_t m6b = p6 <= 32 ? 0 : p6 >= 64 ? 0xffffffffu : ~(0xffffffffu >> (p6 - 32));
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12), /* source */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, m4),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 12),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 8), /* source */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, m6a),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6bu),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, m6b),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 12),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog;

	if (workers < 2)
		return;
	memset(&prog, 0, sizeof(prog)); /* the padding after len goes to the kernel too */
	if (family == AF_INET) {
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0)
		log_warn("udp: cannot steer queries to workers by client network (%s): rate "
			 "limits apply per worker",
			 strerror(errno));
}

static void listener_close(struct listener *l, unsigned workers)
{
	for (unsigned w = 0; w < workers; w++) {
		if (l->udp_fds[w] >= 0)
			close(l->udp_fds[w]);
		l->udp_fds[w] = -1;
	}
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	l->tcp_fd = -1;
}

/* Bind one address: the first UDP socket decides the port when 0 was asked
 * for, then TCP and the other workers' UDP sockets take the same port. */
static int listener_bind(struct listener *l, unsigned workers, const struct config *cfg,
			 struct gslb_err *err)
{
	bool any_port = netaddr_port(&l->addr.u.sa) == 0;
	struct netaddr want = l->addr;
	int fd;

	for (int attempt = 0; attempt < BIND_RETRIES; attempt++) {
		l->addr = want;
		fd = open_socket(&l->addr, SOCK_DGRAM, l->wildcard, err);
		if (fd < 0)
			return fd;
		l->udp_fds[0] = fd;
		if (any_port) {
			struct netaddr bound;

			bound.len = sizeof(bound.u);
			getsockname(fd, &bound.u.sa, &bound.len);
			netaddr_set_port(&l->addr, netaddr_port(&bound.u.sa));
		}
		fd = open_socket(&l->addr, SOCK_STREAM, l->wildcard, err);
		if (fd == -EADDRINUSE && any_port) {
			listener_close(l, workers);
			continue;
		}
		if (fd < 0) {
			listener_close(l, workers);
			return fd;
		}
		l->tcp_fd = fd;
		for (unsigned w = 1; w < workers; w++) {
			fd = open_socket(&l->addr, SOCK_DGRAM, l->wildcard, err);
			if (fd < 0) {
				listener_close(l, workers);
				return fd;
			}
			l->udp_fds[w] = fd;
		}
		udp_steer(l->udp_fds[0], l->addr.u.sa.sa_family, workers, cfg->rrl_ipv4_prefix,
			  cfg->rrl_ipv6_prefix);
		return 0;
	}
	return gslb_err_setc(err, GSLB_EIO, "no port free for both UDP and TCP after %d tries",
			     BIND_RETRIES);
}

int server_bind(const struct config *cfg, struct server **out, struct gslb_err *err)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	int rc;

	srv->workers = cfg->workers;
	srv->ls = xcalloc(cfg->listen_count, sizeof(*srv->ls));
	srv->ls_count = cfg->listen_count;
	for (size_t i = 0; i < cfg->listen_count; i++) {
		struct listener *l = &srv->ls[i];

		l->addr = cfg->listen[i];
		l->wildcard = is_wildcard(&l->addr);
		l->tcp_fd = -1;
		l->udp_fds = xmalloc(srv->workers * sizeof(*l->udp_fds));
		for (unsigned w = 0; w < srv->workers; w++)
			l->udp_fds[w] = -1;
	}
	for (size_t i = 0; i < srv->ls_count; i++) {
		rc = listener_bind(&srv->ls[i], srv->workers, cfg, err);
		if (rc != 0)
			goto fail;
	}
	/* XDP takes the UDP datagrams to the bound addresses and ports; the
	 * sockets stay for what it passes to the kernel, and for all of it
	 * if XDP cannot be set up. */
	srv->xdp_cfg_count = cfg->xdp_count;
	srv->xdp_cfg = xcalloc(cfg->xdp_count + 1, sizeof(*srv->xdp_cfg));
	if (cfg->xdp_count > 0) {
		memcpy(srv->xdp_cfg, cfg->xdp, cfg->xdp_count * sizeof(*cfg->xdp));
		struct netaddr *addrs = xcalloc(srv->ls_count, sizeof(*addrs));

		for (size_t i = 0; i < srv->ls_count; i++)
			addrs[i] = srv->ls[i].addr;
		srv->xdp = xdp_path_open(cfg, addrs, srv->ls_count);
		free(addrs);
	}
	*out = srv;
	return 0;
fail:
	server_free(srv);
	return rc;
}

void server_write_ports(const struct server *srv, FILE *out)
{
	for (size_t i = 0; i < srv->ls_count; i++) {
		char ip[NETADDR_STRLEN];
		unsigned port = netaddr_port(&srv->ls[i].addr.u.sa);

		netaddr_format_ip(&srv->ls[i].addr.u.sa, ip, sizeof(ip));
		fprintf(out, "dns udp %s %u\ndns tcp %s %u\n", ip, port, ip, port);
	}
}

void server_describe(const struct server *srv, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < srv->ls_count && used < len; i++) {
		char a[NETADDR_STRLEN];
		int n;

		netaddr_format(&srv->ls[i].addr.u.sa, a, sizeof(a));
		n = snprintf(buf + used, len - used, "%sdns=%s", i ? " " : "", a);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used < len)
		xdp_path_describe(srv->xdp, buf + used, len - used);
}

int server_start(struct server *srv, struct gslb_err *err)
{
	int *tcp_fds = xcalloc(srv->ls_count, sizeof(*tcp_fds));
	int rc = 0;

	/* One thread per UDP socket: workers for each listen address. */
	srv->udp_count = srv->workers * srv->ls_count;
	srv->udp = xcalloc(srv->udp_count, sizeof(*srv->udp));
	for (size_t i = 0, n = 0; i < srv->ls_count; i++) {
		for (unsigned w = 0; w < srv->workers; w++, n++) {
			struct udp_socket sock = { srv->ls[i].udp_fds[w], srv->ls[i].wildcard,
						   (unsigned)i };

			srv->ls[i].udp_fds[w] = -1; /* the worker owns it now */
			srv->udp[n] = udp_worker_new((unsigned)n, &sock, snapshot_reader_new());
			if (srv->dnstap != NULL)
				query_ctx_set_observer(udp_worker_query(srv->udp[n]),
						       dnstap_ring_observe, dnstap_ring_wants,
						       dnstap_writer_add_ring(srv->dnstap));
		}
	}
	for (size_t i = 0; i < srv->ls_count; i++) {
		tcp_fds[i] = srv->ls[i].tcp_fd;
		srv->ls[i].tcp_fd = -1;
	}
	srv->tcp = tcp_server_new(tcp_fds, srv->ls_count, snapshot_reader_new());
	if (srv->dnstap != NULL)
		query_ctx_set_observer(tcp_server_query(srv->tcp), dnstap_ring_observe,
				       dnstap_ring_wants, dnstap_writer_add_ring(srv->dnstap));
	for (size_t i = 0; srv->dnstap != NULL && i < xdp_path_worker_count(srv->xdp); i++)
		query_ctx_set_observer(xdp_path_query(srv->xdp, i), dnstap_ring_observe,
				       dnstap_ring_wants, dnstap_writer_add_ring(srv->dnstap));
	for (size_t n = 0; n < srv->udp_count && rc == 0; n++)
		rc = udp_worker_start(srv->udp[n], err);
	if (rc == 0)
		rc = tcp_server_start(srv->tcp, err);
	if (rc == 0)
		rc = xdp_path_start(srv->xdp, err);
	free(tcp_fds);
	return rc;
}

void server_stop(struct server *srv)
{
	xdp_path_stop(srv->xdp);
	for (size_t n = 0; srv->udp != NULL && n < srv->udp_count; n++)
		udp_worker_stop(srv->udp[n]);
	tcp_server_stop(srv->tcp);
}

void server_set_dnstap(struct server *srv, struct dnstap_writer *w)
{
	srv->dnstap = w;
}

int server_matches(const struct server *srv, const struct config *cfg)
{
	if (cfg->workers != srv->workers || cfg->listen_count != srv->ls_count ||
	    cfg->xdp_count != srv->xdp_cfg_count ||
	    (cfg->xdp_count > 0 &&
	     memcmp(cfg->xdp, srv->xdp_cfg, cfg->xdp_count * sizeof(*cfg->xdp)) != 0))
		return 0;
	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct netaddr *want = &cfg->listen[i];
		struct netaddr have = srv->ls[i].addr;

		/* A port of 0 in the file matches whatever port was bound. */
		if (netaddr_port(&want->u.sa) == 0)
			netaddr_set_port(&have, 0);
		if (want->len != have.len || memcmp(&want->u, &have.u, want->len) != 0)
			return 0;
	}
	return 1;
}

void server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	server_stop(srv);
	xdp_path_free(srv->xdp);
	free(srv->xdp_cfg);
	for (size_t n = 0; srv->udp != NULL && n < srv->udp_count; n++)
		udp_worker_free(srv->udp[n]);
	tcp_server_free(srv->tcp);
	for (size_t i = 0; i < srv->ls_count; i++) {
		if (srv->ls[i].udp_fds != NULL)
			listener_close(&srv->ls[i], srv->workers);
		free(srv->ls[i].udp_fds);
	}
	free(srv->ls);
	free(srv->udp);
	free(srv);
}

#include <config.h>

#include "gslbd/net/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/net/accept_guard.h"
#include "gslbd/dns/answer.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/query.h"
#include "gslbd/dns/query_metrics.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

/* Stop reading a connection's queries while this much output waits, and
 * go on when it has drained below the low mark (also the transfer chunking). */
#define TCP_OUT_HIGH (256 * 1024)
#define TCP_OUT_LOW (64 * 1024)
/* Chains of connections by client network, for the per-network cap. */
#define TCP_NET_BUCKETS 4096
/* A client network: address length (4, 16; 0 for other families), prefix
 * length, the address cut to it. */
#define TCP_NET_LEN 18

struct tcp_conn {
	struct tcp_server *srv;       /* owner */
	struct bufferevent *bev;      /* socket + buffers */
	struct netaddr peer;          /* client address */
	struct sockaddr_storage local; /* observed: the address the client connected to */
	bool has_local;               /* local was read */
	unsigned queries;             /* messages answered so far */
	bool closing;                 /* close once the output has drained */
	bool read_paused;             /* reading stopped until the output drains */
	bool in_xfr;                  /* a zone transfer is being streamed */
	const struct snapshot *xfr_snap; /* snapshot held for the transfer */
	struct xfr_state xfr;         /* transfer cursor */
	uint64_t active_ms;           /* monotonic time it was accepted, last had an answer
	                               * queued, or last saw its output read */
	struct tcp_conn *prev, *next; /* open connections, least recently active first */
	uint8_t net[TCP_NET_LEN];     /* the client's network (see TCP_NET_LEN) */
	uint32_t net_bucket;          /* its chain in srv->nets */
	struct tcp_conn *net_prev, *net_next; /* the chain's other connections */
};

struct tcp_server {
	pthread_t thread;                 /* the TCP thread */
	bool started;                     /* thread created */
	struct event_base *base;          /* its loop */
	struct snapshot_reader *reader;   /* QSBR registration */
	struct query_ctx *qctx;           /* the query pipeline's state for this thread */
	struct metrics_shard *metrics;    /* its counters (for connection events) */
	int *fds;                         /* listening sockets */
	size_t fd_count;                  /* entries at fds */
	struct evconnlistener **listeners; /* one per fd */
	struct accept_guard **guards;      /* one per listener */
	struct tcp_conn *conns;           /* open connections, least recently active first */
	struct tcp_conn *conns_tail;      /* the most recently active */
	unsigned conn_count;              /* entries in conns */
	struct tcp_conn *nets[TCP_NET_BUCKETS]; /* connections chained by client network */
	uint64_t net_seed;                /* keys the chains' hash */
	struct event *sweep;              /* closes idle connections while the pool is busy */
	uint8_t query[ANSWER_MAX_MSG];    /* the message being answered */
	uint8_t resp[2 + ANSWER_MAX_MSG]; /* length prefix + response */
};

static void conn_unlink(struct tcp_conn *c)
{
	struct tcp_server *srv = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		srv->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

/* Put c at the most recently active end of the list. */
static void conn_append(struct tcp_conn *c)
{
	struct tcp_server *srv = c->srv;

	c->prev = srv->conns_tail;
	c->next = NULL;
	if (srv->conns_tail != NULL)
		srv->conns_tail->next = c;
	else
		srv->conns = c;
	srv->conns_tail = c;
}

/* c did something worth keeping it for: an answer queued, transfer
 * progress, its output read. */
static void conn_touch(struct tcp_conn *c)
{
	c->active_ms = time_mono_ms();
	if (c->srv->conns_tail != c) {
		conn_unlink(c);
		conn_append(c);
	}
}

static void conn_free(struct tcp_conn *c)
{
	struct tcp_server *srv = c->srv;

	if (c->in_xfr)
		snapshot_unref(c->xfr_snap);
	conn_unlink(c);
	if (c->net_prev != NULL)
		c->net_prev->net_next = c->net_next;
	else
		srv->nets[c->net_bucket] = c->net_next;
	if (c->net_next != NULL)
		c->net_next->net_prev = c->net_prev;
	srv->conn_count--;
	bufferevent_free(c->bev);
	free(c);
}

/* Close c with what it has not read: reset rather than close, so the
 * kernel drops the unsent answers instead of keeping them. */
static void conn_abort(struct tcp_conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		struct linger lg = {1, 0};

		setsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	conn_free(c);
}

static const struct config *current_config(void)
{
	return snapshot_current()->config;
}

/* Send transfer messages until the output is above the high mark or the
 * transfer is over. */
static void conn_xfr_fill(struct tcp_conn *c)
{
	struct tcp_server *srv = c->srv;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (c->in_xfr && evbuffer_get_length(out) < TCP_OUT_HIGH) {
		size_t len = xfr_next(&c->xfr, srv->resp + 2, ANSWER_MAX_MSG,
				      query_ctx_scratch(srv->qctx));

		if (len == 0) {
			c->in_xfr = false;
			snapshot_unref(c->xfr_snap);
			c->xfr_snap = NULL;
			if (!c->closing)
				bufferevent_enable(c->bev, EV_READ);
			break;
		}
		srv->resp[0] = (uint8_t)(len >> 8);
		srv->resp[1] = (uint8_t)len;
		evbuffer_add(out, srv->resp, len + 2);
		conn_touch(c);
	}
}

/* Answer every complete message in the input buffer, in order. */
static void conn_process(struct tcp_conn *c)
{
	struct tcp_server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const struct snapshot *snap = snapshot_current();
	const struct config *cfg = snap->config;

	while (!c->in_xfr && !c->closing) {
		uint8_t hdr[2];
		size_t len;
		const struct answer_result *res;

		if (evbuffer_get_length(out) >= TCP_OUT_HIGH) {
			/* The client is not reading: stop reading its queries. */
			bufferevent_disable(c->bev, EV_READ);
			c->read_paused = true;
			return;
		}
		if (evbuffer_copyout(in, hdr, 2) < 2)
			break;
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, srv->query, len);
		res = query_stream(srv->qctx, snap, srv->query, len, &c->peer.u.sa,
				   c->has_local ? (const struct sockaddr *)&c->local : NULL,
				   srv->resp + 2, ANSWER_MAX_MSG);
		c->queries++;
		if (res->action == ANSWER_DROP) {
			/* RFC 7766 section 6.2.4 lets us close on a bad message. */
			c->closing = true;
			break;
		}
		if (res->action == ANSWER_XFR) {
			char peer[NETADDR_STRLEN], zone[DNAME_STRLEN];

			netaddr_format(&c->peer.u.sa, peer, sizeof(peer));
			dname_to_str(zone_origin(res->zone), zone, sizeof(zone));
			log_info("transfer started: zone=%s client=%s", zone, peer);
			snapshot_ref(snap);
			c->xfr_snap = snap;
			c->in_xfr = true;
			xfr_begin(&c->xfr, res->zone, snap->lbsig, srv->query, len);
			bufferevent_disable(c->bev, EV_READ);
			conn_xfr_fill(c);
			return;
		}
		srv->resp[0] = (uint8_t)(res->len >> 8);
		srv->resp[1] = (uint8_t)res->len;
		evbuffer_add(out, srv->resp, res->len + 2);
		conn_touch(c);
		if (cfg->tcp_max_queries != 0 && c->queries >= cfg->tcp_max_queries)
			c->closing = true;
	}
	if (c->closing) {
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(out) == 0)
			conn_free(c);
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_server *srv = c->srv;

	(void)bev;
	snapshot_reader_online(srv->reader);
	conn_process(c);
	snapshot_reader_offline(srv->reader);
}

static void conn_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_server *srv = c->srv;
	struct evbuffer *out = bufferevent_get_output(bev);

	/* The client reads what it asked for. */
	conn_touch(c);
	if (c->in_xfr) {
		/* The held snapshot keeps the zone alive; no need to go online. */
		conn_xfr_fill(c);
		return;
	}
	if (c->closing) {
		if (evbuffer_get_length(out) == 0)
			conn_free(c);
		return;
	}
	if (!c->read_paused)
		return;
	/* Output drained below the low mark: go on with queued queries. */
	c->read_paused = false;
	bufferevent_enable(bev, EV_READ);
	snapshot_reader_online(srv->reader);
	conn_process(c);
	snapshot_reader_offline(srv->reader);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    (c->in_xfr || evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		/* The client closed its side: finish sending what it asked for. */
		c->closing = true;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		metrics_count_event(c->srv->metrics, METRICS_TCP_TIMEOUT);
		if (log_get_level() >= LOG_LEVEL_DEBUG) {
			char peer[NETADDR_STRLEN];

			netaddr_format(&c->peer.u.sa, peer, sizeof(peer));
			log_debug("tcp: closing idle or stalled connection from %s", peer);
		}
		/* The client may have stopped reading. */
		conn_abort(c);
		return;
	}
	conn_free(c);
}

/* Open connections above which the pool is busy: 3/4 of the limit. */
static unsigned busy_threshold(const struct config *cfg)
{
	return (unsigned)((uint64_t)cfg->tcp_max_connections * 3 / 4);
}

/* Close the least recently active connection to make room (busy pool). */
static void close_busy(struct tcp_server *srv, struct tcp_conn *c)
{
	metrics_count_event(srv->metrics, METRICS_TCP_CLOSED_BUSY);
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		char peer[NETADDR_STRLEN];

		netaddr_format(&c->peer.u.sa, peer, sizeof(peer));
		log_debug("tcp: busy, closing the least recently active connection (from %s)", peer);
	}
	conn_abort(c);
}

/* While the pool is busy, wake when the least recently active connection
 * will have been idle for tcp_busy_timeout. */
static void sweep_arm(struct tcp_server *srv, unsigned threshold, unsigned busy_timeout_ms,
		      uint64_t now)
{
	uint64_t due, delay;
	struct timeval tv;

	if (srv->conns == NULL || srv->conn_count <= threshold)
		return;
	due = srv->conns->active_ms + busy_timeout_ms;
	delay = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000 * 1000);
	evtimer_add(srv->sweep, &tv);
}

/* The busy pool's shorter idle timeout: close connections idle for
 * tcp_busy_timeout, least recently active first, until it is no longer
 * busy. The list is in order of activity, so this stops at the first
 * connection that is young enough. */
static void tcp_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_server *srv = arg;
	const struct config *cfg;
	uint64_t now = time_mono_ms();

	(void)fd;
	(void)what;
	snapshot_reader_online(srv->reader);
	cfg = current_config();
	while (srv->conns != NULL && srv->conn_count > busy_threshold(cfg) &&
	       now - srv->conns->active_ms >= cfg->tcp_busy_timeout_ms)
		close_busy(srv, srv->conns);
	sweep_arm(srv, busy_threshold(cfg), cfg->tcp_busy_timeout_ms, now);
	snapshot_reader_offline(srv->reader);
}

/* The client network of sa (prefix lengths of rate limiting) into net;
 * returns its chain. */
static uint32_t client_net(const struct tcp_server *srv, const struct config *cfg,
			   const struct sockaddr *sa, uint8_t net[TCP_NET_LEN])
{
	uint8_t addr[16];
	size_t alen = netaddr_raw(sa, addr);
	unsigned bits = alen == 4 ? cfg->rrl_ipv4_prefix : cfg->rrl_ipv6_prefix;
	uint64_t h = srv->net_seed;

	memset(net, 0, TCP_NET_LEN);
	if (bits > alen * 8)
		bits = (unsigned)alen * 8;
	net[0] = (uint8_t)alen;
	net[1] = (uint8_t)bits;
	memcpy(net + 2, addr, bits / 8);
	if (bits % 8 != 0)
		net[2 + bits / 8] = (uint8_t)(addr[bits / 8] & (0xff00u >> (bits % 8)));
	for (size_t i = 0; i < TCP_NET_LEN; i += 8) {
		uint64_t v = 0;

		memcpy(&v, net + i, TCP_NET_LEN - i < 8 ? TCP_NET_LEN - i : 8);
		h = hash_mix64(h ^ v);
	}
	return (uint32_t)(h % TCP_NET_BUCKETS);
}

/* Connections open from the network net (chain bucket). */
static unsigned net_count(const struct tcp_server *srv, uint32_t bucket,
			  const uint8_t net[TCP_NET_LEN])
{
	unsigned n = 0;

	for (const struct tcp_conn *c = srv->nets[bucket]; c != NULL; c = c->net_next)
		n += memcmp(c->net, net, TCP_NET_LEN) == 0;
	return n;
}

static void tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		       int salen, void *arg)
{
	struct tcp_server *srv = arg;
	const struct config *cfg;
	struct tcp_conn *c;
	struct timeval tv;
	uint8_t net[TCP_NET_LEN];
	uint32_t bucket;
	unsigned threshold, busy_timeout_ms;

	snapshot_reader_online(srv->reader);
	cfg = current_config();
	/* The listener's access list: a refused client's connection is closed. */
	for (size_t i = 0; i < srv->fd_count && i < cfg->listen_count; i++) {
		const struct netacl *acl = &cfg->listen_acl[i];

		if (srv->listeners[i] == l && acl->set && !netacl_permits(acl, sa)) {
			snapshot_reader_offline(srv->reader);
			metrics_count_event(srv->metrics,
					    acl->drop ? METRICS_ACL_DROPPED : METRICS_ACL_REFUSED);
			close(fd);
			return;
		}
	}
	tv.tv_sec = cfg->tcp_idle_timeout_ms / 1000;
	tv.tv_usec = (cfg->tcp_idle_timeout_ms % 1000) * 1000;
	/* One client network takes no more than its share of the slots. */
	bucket = client_net(srv, cfg, sa, net);
	if (cfg->tcp_max_conn_per_client != 0 && net[0] != 0 &&
	    net_count(srv, bucket, net) >= cfg->tcp_max_conn_per_client) {
		char peer[NETADDR_STRLEN];
		unsigned cap = cfg->tcp_max_conn_per_client, bits = net[1];

		snapshot_reader_offline(srv->reader);
		metrics_count_event(srv->metrics, METRICS_TCP_REFUSED);
		if (inet_ntop(net[0] == 4 ? AF_INET : AF_INET6, net + 2, peer, sizeof(peer)) == NULL)
			strcpy(peer, "?");
		log_ratelimited(LOG_LEVEL_WARN,
				"tcp: connection refused: network=%s/%u has %u open "
				"(tcp_max_connections_per_client)",
				peer, bits, cap);
		close(fd);
		return;
	}
	/* A full pool admits the newcomer in place of the least recently
	 * active connection (which, under a hold, is one of the holders). */
	while (srv->conn_count >= cfg->tcp_max_connections && srv->conns != NULL)
		close_busy(srv, srv->conns);
	threshold = busy_threshold(cfg);
	busy_timeout_ms = cfg->tcp_busy_timeout_ms;
	snapshot_reader_offline(srv->reader);
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	memcpy(&c->peer.u, sa, (size_t)salen < sizeof(c->peer.u) ? (size_t)salen : sizeof(c->peer.u));
	c->peer.len = (socklen_t)salen;
	if (query_ctx_is_observed(srv->qctx)) {
		socklen_t llen = sizeof(c->local);

		c->has_local = getsockname(fd, (struct sockaddr *)&c->local, &llen) == 0;
	}
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, TCP_OUT_LOW, 0);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->active_ms = time_mono_ms();
	conn_append(c);
	memcpy(c->net, net, TCP_NET_LEN);
	c->net_bucket = bucket;
	c->net_next = srv->nets[bucket];
	if (c->net_next != NULL)
		c->net_next->net_prev = c;
	srv->nets[bucket] = c;
	srv->conn_count++;
	metrics_count_event(srv->metrics, METRICS_TCP_ACCEPTED);
	if (!evtimer_pending(srv->sweep, NULL))
		sweep_arm(srv, threshold, busy_timeout_ms, c->active_ms);
}

struct tcp_server *tcp_server_new(const int *fds, size_t count, struct snapshot_reader *reader)
{
	struct tcp_server *srv = xcalloc(1, sizeof(*srv));

	srv->reader = reader;
	srv->qctx = query_ctx_new(QUERY_TCP);
	srv->metrics = query_ctx_metrics(srv->qctx);
	srv->fds = xcalloc(count, sizeof(*srv->fds));
	memcpy(srv->fds, fds, count * sizeof(*fds));
	srv->fd_count = count;
	srv->listeners = xcalloc(count, sizeof(*srv->listeners));
	srv->guards = xcalloc(count, sizeof(*srv->guards));
	if (getrandom(&srv->net_seed, sizeof(srv->net_seed), 0) != (ssize_t)sizeof(srv->net_seed))
		srv->net_seed = hash_mix64(time_mono_us() ^ (uint64_t)(uintptr_t)srv);
	return srv;
}

struct query_ctx *tcp_server_query(struct tcp_server *srv)
{
	return srv->qctx;
}

static void *tcp_main(void *arg)
{
	struct tcp_server *srv = arg;

	event_base_dispatch(srv->base);
	return NULL;
}

int tcp_server_start(struct tcp_server *srv, struct gslb_err *err)
{
	int rc;

	srv->base = event_base_new();
	if (srv->base == NULL)
		return gslb_err_setc(err, GSLB_EIO, "tcp: cannot create event loop");
	srv->sweep = evtimer_new(srv->base, tcp_sweep, srv);
	if (srv->sweep == NULL)
		return gslb_err_setc(err, GSLB_EIO, "tcp: cannot create the sweep timer");
	for (size_t i = 0; i < srv->fd_count; i++) {
		srv->listeners[i] = evconnlistener_new(srv->base, tcp_accept, srv,
						       LEV_OPT_CLOSE_ON_FREE, -1, srv->fds[i]);
		if (srv->listeners[i] == NULL)
			return gslb_err_setc(err, GSLB_EIO, "tcp: cannot listen");
		srv->fds[i] = -1; /* the listener owns it now */
		srv->guards[i] = accept_guard_new(srv->base, srv->listeners[i], ACCEPT_GUARD_TCP);
	}
	rc = pthread_create(&srv->thread, NULL, tcp_main, srv);
	if (rc != 0)
		return gslb_err_setc(err, -rc, "tcp: pthread_create: %s", strerror(rc));
	srv->started = true;
	return 0;
}

void tcp_server_stop(struct tcp_server *srv)
{
	if (srv == NULL || !srv->started)
		return;
	event_base_loopbreak(srv->base);
	pthread_join(srv->thread, NULL);
	srv->started = false;
}

void tcp_server_free(struct tcp_server *srv)
{
	if (srv == NULL)
		return;
	tcp_server_stop(srv);
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->sweep != NULL)
		event_free(srv->sweep);
	for (size_t i = 0; i < srv->fd_count; i++) {
		accept_guard_free(srv->guards[i]);
		if (srv->listeners[i] != NULL)
			evconnlistener_free(srv->listeners[i]);
		if (srv->fds[i] >= 0)
			close(srv->fds[i]);
	}
	if (srv->base != NULL)
		event_base_free(srv->base);
	query_ctx_free(srv->qctx);
	free(srv->listeners);
	free(srv->guards);
	free(srv->fds);
	free(srv);
}

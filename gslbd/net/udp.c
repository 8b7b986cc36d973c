#include <config.h>

#include "gslbd/net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


#include "common/log.h"
#include "common/netaddr.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/rrl.h"
#include "gslbd/control/metrics.h"
#include "gslbd/dns/snapshot.h"

#define UDP_BATCH 32          /* datagrams per recvmmsg()/sendmmsg() */
#define UDP_MAX_QUERY 4096    /* larger queries are truncated by the kernel and dropped */
#define UDP_WAKE_RETRY_MS 20  /* how often stopping repeats the wake-up signal */
#define UDP_WAKE_SIGNAL SIGUSR2 /* interrupts a blocked worker that must stop */
#define UDP_CMSG_LEN 128      /* room for IP_PKTINFO / IPV6_PKTINFO */

struct udp_worker {
	unsigned id;                       /* worker number, for logs */
	pthread_t thread;                  /* the worker thread */
	bool started;                      /* thread was created */
	_Atomic bool stop;                 /* asked to stop */
	int fd;                            /* the socket (blocking; the worker closes it) */
	bool use_pktinfo;                  /* bound to a wildcard address: reply from the query's destination */
	unsigned listener;                 /* index of its listen address (for the access list) */
	struct rrl_table *rrl;             /* this worker's rate-limit buckets, or NULL */
	size_t rrl_size;                   /* the table size they were made for */
	const struct zone *zones[UDP_BATCH]; /* zone of each response of the batch (RRL counters) */
	struct snapshot_reader *reader;    /* QSBR registration */
	struct answer_scratch *scratch;    /* answer path working memory */
	struct metrics_shard *metrics;     /* this thread's counters */
	int in_dirty;                      /* in_msgs[0..in_dirty) were filled by the last receive */
	/* Batch buffers, reused for every batch. */
	struct mmsghdr in_msgs[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH];
	struct sockaddr_storage peers[UDP_BATCH];
	uint8_t in_cmsg[UDP_BATCH][UDP_CMSG_LEN];
	struct mmsghdr out_msgs[UDP_BATCH];
	struct iovec out_iov[UDP_BATCH];
	uint8_t out_cmsg[UDP_BATCH][UDP_CMSG_LEN];
	uint8_t (*in_bufs)[UDP_MAX_QUERY];      /* UDP_BATCH query buffers */
	uint8_t (*out_bufs)[ANSWER_MAX_MSG];    /* UDP_BATCH response buffers */
};

struct udp_worker *udp_worker_new(unsigned id, const struct udp_socket *sock,
				  struct snapshot_reader *reader, struct metrics_shard *metrics)
{
	struct udp_worker *w = xcalloc(1, sizeof(*w));

	w->id = id;
	w->reader = reader;
	w->metrics = metrics;
	w->fd = sock->fd;
	w->use_pktinfo = sock->use_pktinfo;
	w->listener = sock->listener;
	w->scratch = answer_scratch_new();
	w->in_bufs = xmalloc(UDP_BATCH * sizeof(*w->in_bufs));
	w->out_bufs = xmalloc(UDP_BATCH * sizeof(*w->out_bufs));
	/* The worker blocks in recvmmsg() with no timeout (a receive timeout
	 * would arm a kernel timer for every wait); udp_worker_stop() wakes it. */
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) & ~O_NONBLOCK);
	for (int i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &w->in_msgs[i].msg_hdr;

		w->in_iov[i].iov_base = w->in_bufs[i];
		w->in_iov[i].iov_len = UDP_MAX_QUERY;
		h->msg_iov = &w->in_iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &w->peers[i];
		h->msg_control = w->use_pktinfo ? w->in_cmsg[i] : NULL;
	}
	w->in_dirty = UDP_BATCH; /* lengths and flags are set before the first receive */
	return w;
}

/* Copy the destination address of a received datagram into an outgoing
 * control message so that the reply leaves from the address the query went to. */
static socklen_t reply_cmsg(const struct msghdr *in, uint8_t *out, size_t out_len)
{
	struct msghdr tmp;
	struct cmsghdr *c, *o;

	memset(&tmp, 0, sizeof(tmp));
	tmp.msg_control = out;
	tmp.msg_controllen = out_len;
	o = CMSG_FIRSTHDR(&tmp);
	for (c = CMSG_FIRSTHDR((struct msghdr *)in); c != NULL && o != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return (socklen_t)CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return (socklen_t)CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

/* Make, remake or drop the rate-limit table for cfg (on the worker's
 * thread, only when the configured size changed). */
static void rrl_table_fit(struct udp_worker *w, const struct config *cfg)
{
	size_t want = cfg->rrl_enabled ? cfg->rrl_table_size : 0;

	if (want == w->rrl_size)
		return;
	rrl_table_free(w->rrl);
	w->rrl = want > 0 ? rrl_table_new(want) : NULL;
	w->rrl_size = want;
}

/* What happens to the response of datagram i of a batch. */
enum udp_fate {
	UDP_SEND,    /* send it */
	UDP_LIMIT,   /* rate limiting decides, by its key */
	UDP_NOTHING, /* nothing to send */
};

/* The first pass over datagram i: answer it (or refuse it by the
 * listener's access list) into out_bufs[i], and if rate limiting applies,
 * compute its bucket's key and prefetch the bucket. */
static enum udp_fate udp_first_pass(struct udp_worker *w, const struct snapshot *snap,
				    const struct netacl *acl, const struct rrl_params *rp, int i,
				    size_t *len, uint64_t *key)
{
	const struct config *cfg = snap->config;
	const struct sockaddr *peer = (const struct sockaddr *)&w->peers[i];
	struct answer_result res;
	uint8_t addr[16];
	size_t alen;

	if (w->in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
		metrics_count_dropped(w->metrics);
		return UDP_NOTHING;
	}
	if (acl != NULL && acl->set && !netacl_permits(acl, peer)) {
		metrics_count_event(w->metrics, acl->drop ? METRICS_ACL_DROPPED : METRICS_ACL_REFUSED);
		if (acl->drop)
			return UDP_NOTHING;
		answer_refused(w->in_bufs[i], w->in_msgs[i].msg_len, w->out_bufs[i], ANSWER_MAX_MSG,
			       w->scratch, &res);
	} else {
		answer_query(snap, w->in_bufs[i], w->in_msgs[i].msg_len, peer, false, w->out_bufs[i],
			     ANSWER_MAX_MSG, w->scratch, &res);
	}
	metrics_count_result(w->metrics, &res);
	if (res.action != ANSWER_SEND)
		return UDP_NOTHING;
	*len = res.len;
	if (w->rrl == NULL)
		return UDP_SEND;
	/* A valid cookie proves the address; exempt networks are trusted. */
	if (res.cookie == ANSWER_COOKIE_VALID ||
	    (cfg->rrl_exempt_count > 0 &&
	     netprefix_list_contains(cfg->rrl_exempt, cfg->rrl_exempt_count, peer))) {
		metrics_count_rrl(w->metrics, &res, METRICS_RRL_EXEMPT);
		return UDP_SEND;
	}
	alen = netaddr_raw(peer, addr);
	if (alen == 0)
		return UDP_SEND;
	/* The name the key is made of lives in the scratch until the next
	 * query: the key is made now. */
	*key = rrl_key(w->rrl, rp, addr, alen, res.kind, res.rrl_name, res.rrl_name_len);
	rrl_prefetch(w->rrl, *key);
	w->zones[i] = res.zone;
	return UDP_LIMIT;
}

/* The second pass: rate limiting of datagram i's response (key made by the
 * first pass): true to send it (perhaps replaced by a truncated one, *len
 * updated), false to drop it. */
static bool udp_limit(struct udp_worker *w, const struct config *cfg, const struct rrl_params *rp,
		      uint64_t now_ms, int i, uint64_t key, size_t *len)
{
	struct answer_result res = {.zone = w->zones[i]}; /* what the per-zone counters need */
	enum rrl_verdict v;
	bool evicted;

	v = rrl_account_key(w->rrl, rp, now_ms, key, &evicted);
	if (evicted)
		metrics_count_event(w->metrics, METRICS_RRL_EVICTED);
	if (v == RRL_PASS)
		return true;
	metrics_count_rrl(w->metrics, &res, v == RRL_SLIP ? METRICS_RRL_SLIPPED : METRICS_RRL_DROPPED);
	if (cfg->rrl_log_only)
		return true;
	if (v == RRL_DROP)
		return false;
	*len = answer_slip(w->scratch, w->in_bufs[i], w->in_msgs[i].msg_len, w->out_bufs[i],
			   ANSWER_MAX_MSG);
	return *len > 0;
}

/* Answer the n datagrams just read and send the responses: every query
 * answered first (the rate-limit buckets prefetched meanwhile), then
 * limited and sent. */
static void udp_answer(struct udp_worker *w, int n)
{
	const struct snapshot *snap = snapshot_current();
	const struct config *cfg = snap->config;
	const struct netacl *acl =
	    w->listener < cfg->listen_count ? &cfg->listen_acl[w->listener] : NULL;
	struct rrl_params rp = {cfg->rrl_rate, cfg->rrl_window_ms, cfg->rrl_slip,
				cfg->rrl_ipv4_prefix, cfg->rrl_ipv6_prefix};
	uint64_t now_ms = time_mono_ms(), keys[UDP_BATCH];
	enum udp_fate fate[UDP_BATCH];
	size_t lens[UDP_BATCH];
	int out = 0;

	rrl_table_fit(w, cfg);
	answer_scratch_set_time(w->scratch, (uint32_t)time(NULL));
	for (int i = 0; i < n; i++)
		fate[i] = udp_first_pass(w, snap, acl, &rp, i, &lens[i], &keys[i]);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &w->in_msgs[i].msg_hdr;
		struct msghdr *o = &w->out_msgs[out].msg_hdr;

		if (fate[i] == UDP_NOTHING ||
		    (fate[i] == UDP_LIMIT && !udp_limit(w, cfg, &rp, now_ms, i, keys[i], &lens[i])))
			continue;
		w->out_iov[out].iov_base = w->out_bufs[i];
		w->out_iov[out].iov_len = lens[i];
		o->msg_name = &w->peers[i];
		o->msg_namelen = h->msg_namelen;
		o->msg_iov = &w->out_iov[out];
		o->msg_iovlen = 1;
		o->msg_control = NULL;
		o->msg_controllen = 0;
		o->msg_flags = 0;
		if (w->use_pktinfo) {
			socklen_t clen = reply_cmsg(h, w->out_cmsg[out], UDP_CMSG_LEN);

			if (clen > 0) {
				o->msg_control = w->out_cmsg[out];
				o->msg_controllen = clen;
			}
		}
		out++;
	}
	for (int sent = 0; sent < out;) {
		int k = sendmmsg(w->fd, w->out_msgs + sent, (unsigned)(out - sent), MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* Skip the datagram the kernel refused and go on with the rest. */
			log_ratelimited(LOG_LEVEL_WARN, "udp worker %u: sendmmsg: %s", w->id,
					strerror(errno));
			metrics_count_event(w->metrics, METRICS_UDP_SEND_ERROR);
			sent++;
			continue;
		}
		sent += k;
	}
}

/* The worker: block until at least one datagram arrives, take what else is
 * queued (MSG_WAITFORONE), answer the batch, repeat. Two system calls per
 * batch and no event loop. Offline (for snapshot reclamation) while blocked. */
static void *udp_main(void *arg)
{
	struct udp_worker *w = arg;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		int n;

		/* The kernel rewrote the lengths and flags of the headers it
		 * filled, and only those: reset them alone. */
		for (int i = 0; i < w->in_dirty; i++) {
			struct msghdr *h = &w->in_msgs[i].msg_hdr;

			h->msg_namelen = sizeof(w->peers[i]);
			h->msg_controllen = w->use_pktinfo ? UDP_CMSG_LEN : 0;
			h->msg_flags = 0;
		}
		w->in_dirty = 0;
		n = recvmmsg(w->fd, w->in_msgs, UDP_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			w->in_dirty = UDP_BATCH; /* nothing received; reset all, to be safe */
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_ratelimited(LOG_LEVEL_WARN, "udp worker %u: recvmmsg: %s", w->id,
						strerror(errno));
			continue;
		}
		w->in_dirty = n;
		snapshot_reader_online(w->reader);
		udp_answer(w, n);
		snapshot_reader_offline(w->reader);
	}
	return NULL;
}

/* SIGUSR2 only interrupts a worker's blocking recvmmsg(). */
static void on_wake(int sig)
{
	(void)sig;
}

int udp_worker_start(struct udp_worker *w, struct gslb_err *err)
{
	static bool handler_set;
	int rc;

	if (!handler_set) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_wake; /* no SA_RESTART: recvmmsg() returns EINTR */
		sigemptyset(&sa.sa_mask);
		sigaction(UDP_WAKE_SIGNAL, &sa, NULL);
		handler_set = true;
	}
	rc = pthread_create(&w->thread, NULL, udp_main, w);
	if (rc != 0)
		return gslb_err_setc(err, -rc, "udp worker %u: pthread_create: %s", w->id,
				     strerror(rc));
	w->started = true;
	return 0;
}

void udp_worker_stop(struct udp_worker *w)
{
	if (w == NULL || !w->started)
		return;
	atomic_store(&w->stop, true);
	/* A signal that lands just before the worker enters recvmmsg() is
	 * missed, so repeat it until the thread has gone. */
	for (;;) {
		struct timespec deadline;

		pthread_kill(w->thread, UDP_WAKE_SIGNAL);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += UDP_WAKE_RETRY_MS * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(w->thread, NULL, &deadline) == 0)
			break;
	}
	w->started = false;
}

void udp_worker_free(struct udp_worker *w)
{
	if (w == NULL)
		return;
	udp_worker_stop(w);
	if (w->fd >= 0)
		close(w->fd);
	answer_scratch_free(w->scratch);
	rrl_table_free(w->rrl);
	free(w->in_bufs);
	free(w->out_bufs);
	free(w);
}

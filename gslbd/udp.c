#include <config.h>

#include "gslbd/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/answer.h"
#include "gslbd/metrics.h"
#include "gslbd/snapshot.h"

#define UDP_BATCH 32          /* datagrams per recvmmsg()/sendmmsg() */
#define UDP_MAX_QUERY 4096    /* larger queries are truncated by the kernel and dropped */
#define UDP_ROUNDS 64         /* batches per wakeup before letting the loop breathe */
#define UDP_CMSG_LEN 128      /* room for IP_PKTINFO / IPV6_PKTINFO */

struct udp_sock {
	struct udp_worker *w;   /* back pointer */
	int fd;                 /* the socket */
	bool use_pktinfo;       /* reply with the query's destination address */
	struct event *ev;       /* read event on the worker's base */
};

struct udp_worker {
	unsigned id;                       /* worker number, for logs */
	pthread_t thread;                  /* the worker thread */
	bool started;                      /* thread was created */
	struct event_base *base;           /* the worker's own loop */
	struct snapshot_reader *reader;    /* QSBR registration */
	struct answer_scratch *scratch;    /* answer path working memory */
	struct metrics_shard *metrics;     /* this thread's counters */
	struct udp_sock *socks;            /* served sockets */
	size_t sock_count;                 /* entries at socks */
	struct udp_stats stats;            /* counters */
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

struct udp_worker *udp_worker_new(unsigned id, const struct udp_socket *socks, size_t count,
				  struct snapshot_reader *reader, struct metrics_shard *metrics)
{
	struct udp_worker *w = xcalloc(1, sizeof(*w));

	w->id = id;
	w->reader = reader;
	w->metrics = metrics;
	w->scratch = answer_scratch_new();
	w->in_bufs = xmalloc(UDP_BATCH * sizeof(*w->in_bufs));
	w->out_bufs = xmalloc(UDP_BATCH * sizeof(*w->out_bufs));
	w->socks = xcalloc(count, sizeof(*w->socks));
	w->sock_count = count;
	for (size_t i = 0; i < count; i++) {
		w->socks[i].w = w;
		w->socks[i].fd = socks[i].fd;
		w->socks[i].use_pktinfo = socks[i].use_pktinfo;
	}
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

/* Read, answer and send one batch. Returns the number of datagrams read,
 * or -1 when the socket has nothing more. */
static int udp_batch(struct udp_worker *w, struct udp_sock *s)
{
	const struct snapshot *snap;
	int n, out = 0;

	for (int i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &w->in_msgs[i].msg_hdr;

		w->in_iov[i].iov_base = w->in_bufs[i];
		w->in_iov[i].iov_len = UDP_MAX_QUERY;
		h->msg_name = &w->peers[i];
		h->msg_namelen = sizeof(w->peers[i]);
		h->msg_iov = &w->in_iov[i];
		h->msg_iovlen = 1;
		h->msg_control = s->use_pktinfo ? w->in_cmsg[i] : NULL;
		h->msg_controllen = s->use_pktinfo ? UDP_CMSG_LEN : 0;
		h->msg_flags = 0;
	}
	n = recvmmsg(s->fd, w->in_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_ratelimited(LOG_LEVEL_WARN, "udp worker %u: recvmmsg: %s", w->id,
					strerror(errno));
		return -1;
	}
	atomic_fetch_add_explicit(&w->stats.received, (uint64_t)n, memory_order_relaxed);
	snap = snapshot_current();
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &w->in_msgs[i].msg_hdr;
		struct msghdr *o = &w->out_msgs[out].msg_hdr;
		struct answer_result res;

		if (h->msg_flags & MSG_TRUNC) {
			atomic_fetch_add_explicit(&w->stats.dropped, 1, memory_order_relaxed);
			continue;
		}
		answer_query(snap, w->in_bufs[i], w->in_msgs[i].msg_len,
			     (const struct sockaddr *)&w->peers[i], false, w->out_bufs[out],
			     ANSWER_MAX_MSG, w->scratch, &res);
		metrics_count_result(w->metrics, &res);
		if (res.action != ANSWER_SEND) {
			atomic_fetch_add_explicit(&w->stats.dropped, 1, memory_order_relaxed);
			continue;
		}
		w->out_iov[out].iov_base = w->out_bufs[out];
		w->out_iov[out].iov_len = res.len;
		o->msg_name = &w->peers[i];
		o->msg_namelen = h->msg_namelen;
		o->msg_iov = &w->out_iov[out];
		o->msg_iovlen = 1;
		o->msg_control = NULL;
		o->msg_controllen = 0;
		o->msg_flags = 0;
		if (s->use_pktinfo) {
			socklen_t clen = reply_cmsg(h, w->out_cmsg[out], UDP_CMSG_LEN);

			if (clen > 0) {
				o->msg_control = w->out_cmsg[out];
				o->msg_controllen = clen;
			}
		}
		out++;
	}
	for (int sent = 0; sent < out;) {
		int k = sendmmsg(s->fd, w->out_msgs + sent, (unsigned)(out - sent), 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* Skip the datagram the kernel refused and go on with the rest. */
			log_ratelimited(LOG_LEVEL_WARN, "udp worker %u: sendmmsg: %s", w->id,
					strerror(errno));
			atomic_fetch_add_explicit(&w->stats.send_errors, 1, memory_order_relaxed);
			sent++;
			continue;
		}
		atomic_fetch_add_explicit(&w->stats.answered, (uint64_t)k, memory_order_relaxed);
		sent += k;
	}
	return n;
}

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *s = arg;
	struct udp_worker *w = s->w;

	(void)fd;
	(void)what;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n;

		snapshot_reader_online(w->reader);
		n = udp_batch(w, s);
		snapshot_reader_offline(w->reader);
		if (n < UDP_BATCH)
			break;
	}
}

static void *udp_main(void *arg)
{
	struct udp_worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

int udp_worker_start(struct udp_worker *w, struct gslb_err *err)
{
	int rc;

	w->base = event_base_new();
	if (w->base == NULL)
		return gslb_err_setc(err, GSLB_EIO, "udp worker %u: cannot create event loop", w->id);
	for (size_t i = 0; i < w->sock_count; i++) {
		struct udp_sock *s = &w->socks[i];

		s->ev = event_new(w->base, s->fd, EV_READ | EV_PERSIST, udp_readable, s);
		if (s->ev == NULL || event_add(s->ev, NULL) != 0)
			return gslb_err_setc(err, GSLB_EIO, "udp worker %u: cannot add read event",
					     w->id);
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
	event_base_loopbreak(w->base);
	pthread_join(w->thread, NULL);
	w->started = false;
}

const struct udp_stats *udp_worker_stats(const struct udp_worker *w)
{
	return &w->stats;
}

void udp_worker_free(struct udp_worker *w)
{
	if (w == NULL)
		return;
	udp_worker_stop(w);
	for (size_t i = 0; i < w->sock_count; i++) {
		if (w->socks[i].ev != NULL)
			event_free(w->socks[i].ev);
		if (w->socks[i].fd >= 0)
			close(w->socks[i].fd);
	}
	if (w->base != NULL)
		event_base_free(w->base);
	answer_scratch_free(w->scratch);
	free(w->in_bufs);
	free(w->out_bufs);
	free(w->socks);
	free(w);
}

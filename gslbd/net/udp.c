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
#include "gslbd/dns/query.h"
#include "gslbd/dns/snapshot.h"

#define UDP_BATCH 32          /* datagrams per recvmmsg()/sendmmsg() (<= QUERY_BATCH_MAX) */
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
	struct sockaddr_storage bound;     /* the socket's address (port of a wildcard one) */
	bool has_bound;                    /* bound was read */
	struct snapshot_reader *reader;    /* QSBR registration */
	struct query_ctx *query;           /* the query pipeline's state for this thread */
	struct query_msg *msgs;            /* its batch, pointing at the buffers below */
	bool observed;                     /* the context has an observer (read at start) */
	int in_dirty;                      /* in_msgs[0..in_dirty) were filled by the last receive */
	/* Batch buffers, reused for every batch. */
	struct mmsghdr in_msgs[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH];
	struct sockaddr_storage peers[UDP_BATCH];
	uint8_t in_cmsg[UDP_BATCH][UDP_CMSG_LEN];
	struct mmsghdr out_msgs[UDP_BATCH];
	struct iovec out_iov[UDP_BATCH];
	uint8_t out_cmsg[UDP_BATCH][UDP_CMSG_LEN];
	int out_src[UDP_BATCH];                 /* datagram of the batch each out_msgs[] answers */
	struct sockaddr_storage locals[UDP_BATCH]; /* observed: the address each query reached */
	uint8_t (*in_bufs)[UDP_MAX_QUERY];      /* UDP_BATCH query buffers */
	uint8_t (*out_bufs)[ANSWER_MAX_MSG];    /* UDP_BATCH response buffers */
};

struct udp_worker *udp_worker_new(unsigned id, const struct udp_socket *sock,
				  struct snapshot_reader *reader)
{
	struct udp_worker *w = xcalloc(1, sizeof(*w));
	socklen_t blen = sizeof(w->bound);

	w->id = id;
	w->reader = reader;
	w->fd = sock->fd;
	w->use_pktinfo = sock->use_pktinfo;
	w->listener = sock->listener;
	w->has_bound = getsockname(w->fd, (struct sockaddr *)&w->bound, &blen) == 0;
	w->query = query_ctx_new(QUERY_UDP);
	w->msgs = query_batch_msgs(w->query);
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
		/* The pipeline reads and writes these buffers directly. */
		w->msgs[i].query = w->in_bufs[i];
		w->msgs[i].peer = (const struct sockaddr *)&w->peers[i];
		w->msgs[i].resp = w->out_bufs[i];
		w->msgs[i].resp_cap = ANSWER_MAX_MSG;
	}
	w->in_dirty = UDP_BATCH; /* lengths and flags are set before the first receive */
	return w;
}

struct query_ctx *udp_worker_query(struct udp_worker *w)
{
	return w->query;
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

/* The destination address of a received datagram (IP_PKTINFO,
 * IPV6_PKTINFO) with the port of the socket, into out. */
static bool query_local(const struct udp_worker *w, const struct msghdr *in,
			struct sockaddr_storage *out)
{
	const struct cmsghdr *c;

	if (!w->has_bound)
		return false;
	for (c = CMSG_FIRSTHDR((struct msghdr *)in); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)in, (struct cmsghdr *)c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    w->bound.ss_family == AF_INET) {
			struct in_pktinfo pi;
			struct sockaddr_in *sin = (struct sockaddr_in *)out;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(sin, &w->bound, sizeof(*sin));
			sin->sin_addr = pi.ipi_addr;
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    w->bound.ss_family == AF_INET6) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(sin6, &w->bound, sizeof(*sin6));
			sin6->sin6_addr = pi.ipi6_addr;
			return true;
		}
	}
	return false;
}

/* Run the n datagrams just read through the query pipeline and send the
 * responses: every query answered first (the rate-limit buckets prefetched
 * meanwhile), then limited and sent. */
static void udp_answer(struct udp_worker *w, int n)
{
	struct query_ctx *qc = w->query;
	int out = 0;

	for (int i = 0; i < n; i++) {
		w->msgs[i].query_len = w->in_msgs[i].msg_len;
		w->msgs[i].truncated = (w->in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
	}
	if (w->use_pktinfo && w->observed) {
		for (int i = 0; i < n; i++)
			w->msgs[i].local = query_local(w, &w->in_msgs[i].msg_hdr, &w->locals[i])
						   ? (const struct sockaddr *)&w->locals[i]
						   : NULL;
	}
	query_batch(qc, snapshot_current(), w->listener,
		    w->has_bound && !w->use_pktinfo ? (const struct sockaddr *)&w->bound : NULL,
		    (unsigned)n);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &w->in_msgs[i].msg_hdr;
		struct msghdr *o = &w->out_msgs[out].msg_hdr;

		if (w->msgs[i].resp_len == 0)
			continue;
		w->out_iov[out].iov_base = w->out_bufs[i];
		w->out_iov[out].iov_len = w->msgs[i].resp_len;
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
		w->out_src[out] = i;
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
			query_send_failed(qc, (unsigned)w->out_src[sent]);
			sent++;
			continue;
		}
		sent += k;
	}
	if (w->observed)
		query_batch_finish(qc, (unsigned)n);
}

/* The worker: block until at least one datagram arrives, take what else is
 * queued (MSG_WAITFORONE), answer the batch, repeat. Two system calls per
 * batch and no event loop. Offline (for snapshot reclamation) while blocked. */
static void *udp_main(void *arg)
{
	struct udp_worker *w = arg;

	/* Observers are set before the thread starts. */
	w->observed = query_ctx_is_observed(w->query);
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
	query_ctx_free(w->query);
	free(w->in_bufs);
	free(w->out_bufs);
	free(w);
}

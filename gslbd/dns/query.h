/* The query pipeline: one DNS message from any transport, through the
 * listener's access list, the answer path, cookies and exemptions, response
 * rate limiting and slip, to the bytes to send, and one event record that
 * says what happened. Transports (UDP workers, the TCP thread, an XDP
 * driver) are thin drivers over it: they move bytes; every decision about a
 * message is taken here. The event record feeds the per-thread metrics and
 * any observer (dnstap).
 *
 * A struct query_ctx belongs to one DNS thread; nothing in it is shared.
 * Nothing here allocates or blocks per message. */
#ifndef GSLBD_DNS_QUERY_H
#define GSLBD_DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "gslbd/dns/answer.h"

struct snapshot;

/* The transport a message came over. */
enum query_transport {
	QUERY_UDP,
	QUERY_TCP,
	QUERY_XDP, /* UDP, read from an AF_XDP socket */
};

/* What response rate limiting said about a message's response. It is
 * counted even when rrl_log_only sends the response as it was. */
enum query_rrl {
	QUERY_RRL_NONE,   /* not limited: no table, TCP, nothing to send, no IP address */
	QUERY_RRL_PASS,   /* within its bucket's rate */
	QUERY_RRL_EXEMPT, /* a valid server cookie or an exempt network */
	QUERY_RRL_SLIP,   /* over the rate: slip (a truncated response) */
	QUERY_RRL_DROP,   /* over the rate: drop */
};

/* What became of a message. */
enum query_fate {
	QUERY_SENT,         /* the response at event.response was sent */
	QUERY_SLIPPED,      /* over the rate limit: a truncated response was sent */
	QUERY_RRL_DROPPED,  /* over the rate limit: nothing was sent */
	QUERY_ACL_DROPPED,  /* the listener's or the zone's access list dropped it */
	QUERY_NOT_ANSWERED, /* nothing to answer (a response, no full header, truncated datagram) */
	QUERY_XFR,          /* a zone transfer begins (TCP) */
};

/* One finished message. Every pointer is borrowed, valid only during the
 * observer call (the bytes live in the driver's buffers, the decision in the
 * thread's scratch). */
struct query_event {
	enum query_transport transport;
	enum query_fate fate;
	const struct sockaddr *peer;    /* the client (the resolver) */
	const struct sockaddr *local;   /* the address the query reached, or NULL when unknown */
	const uint8_t *query;           /* the message as received */
	size_t query_len;
	const uint8_t *response;        /* the bytes sent (the slip when slipped), or NULL */
	size_t response_len;
	struct timespec received;       /* wall clock when the message (its batch) was read */
	struct answer_result res;       /* what the answer path said; res.lb: the load-balancing
	                                 * decision, or NULL for static data (UDP: without its
	                                 * candidates, cand_count 0) */
	const struct snapshot *snap;    /* the snapshot that answered (its config names the
	                                 * pools and datacenters of res.lb) */
	/* EDNS Client Subnet of the query (RFC 7871), when it had a valid one. */
	uint8_t ecs_family;             /* 0: none; 1: IPv4; 2: IPv6 */
	uint8_t ecs_source;             /* SOURCE PREFIX-LENGTH as sent */
	uint8_t ecs_scope;              /* SCOPE PREFIX-LENGTH answered */
	uint8_t ecs_addr[16];           /* ADDRESS as sent, zero-padded */
	enum query_rrl rrl;             /* what rate limiting said */
	bool listener_denied;           /* the listener's access list refused it (REFUSED sent)
	                                 * or dropped it (fate QUERY_ACL_DROPPED) */
	bool rrl_evicted;               /* its rate-limit bucket took another client's place */
	bool send_failed;               /* the kernel refused the response: nothing was sent
	                                 * (response NULL) although the fate says otherwise */
	uint64_t skipped;               /* messages the observer did not see (sampling) since
	                                 * the one it saw before */
};

/* Something that sees every finished message of a thread (dnstap). Runs on
 * the DNS thread: must not block or allocate. */
typedef void query_observer_fn(void *arg, const struct query_event *ev);
/* Which of the messages answered from snap the observer wants: 0 none (its
 * config leaves it off), 1 all, N one in N of those answered or dropped by
 * an access list (the others are counted in the next event's skipped, and
 * cost the query path a counter). Asked when the thread's snapshot
 * changes, so that an observer that is off costs the query path nothing. */
typedef unsigned query_wants_fn(void *arg, const struct snapshot *snap);

struct query_ctx;
struct metrics_shard;
struct answer_scratch;

/* Most messages of one batch. */
#define QUERY_BATCH_MAX 64

/* New context for one DNS thread of transport. It makes and registers the
 * thread's metrics shard, so call it from the main thread before the DNS
 * thread starts. Caller owns it; query_ctx_free() accepts NULL. */
struct query_ctx *query_ctx_new(enum query_transport transport);
void query_ctx_free(struct query_ctx *ctx);
/* Call fn(arg, ev) for the finished messages of the thread (fn NULL: no
 * one) that wants(arg, snapshot) asks for (wants NULL: every one). Before
 * the thread starts: drivers may read query_ctx_is_observed() once when
 * they start. */
void query_ctx_set_observer(struct query_ctx *ctx, query_observer_fn *fn, query_wants_fn *wants,
			    void *arg);
/* Whether an observer is set: drivers then pass what only it reads
 * (struct query_msg's local). */
bool query_ctx_is_observed(const struct query_ctx *ctx);
/* The thread's counters (for transport events: connections, timeouts) and
 * answer scratch (for xfr_next()); borrowed for the life of ctx. */
struct metrics_shard *query_ctx_metrics(struct query_ctx *ctx);
struct answer_scratch *query_ctx_scratch(struct query_ctx *ctx);

/* One message of a batch, in the driver's buffers. The pointers may be set
 * once and kept from batch to batch (fixed buffers per slot); everything
 * they point to stays valid and unchanged until query_batch_finish(). */
struct query_msg {
	const uint8_t *query;         /* the message as received */
	size_t query_len;             /* its bytes */
	bool truncated;               /* it did not fit the receive buffer (not answered) */
	const struct sockaddr *peer;  /* the client */
	const struct sockaddr *local; /* the address it reached (a wildcard socket's packet
	                               * destination), read only when query_ctx_is_observed();
	                               * NULL: the batch's */
	uint8_t *resp;                /* where the response is written */
	size_t resp_cap;              /* bytes at resp (>= 512; ANSWER_MAX_MSG is always enough) */
	size_t resp_len;              /* set by query_batch(): bytes to send at resp, 0: none */
};

/* Datagrams (UDP, XDP) go through in batches of up to QUERY_BATCH_MAX:
 *
 *   fill query_batch_msgs(ctx)[0..n);
 *   query_batch(ctx, snap, listener, local, n);
 *   send each message's resp_len bytes; query_send_failed(i) for what
 *   the transport could not send;
 *   query_batch_finish(ctx, n);
 *
 * query_batch() runs in two passes, so that rate limiting's buckets are
 * prefetched while the other queries are answered: first every message
 * through the listener's access list, the answer, cookies and exemptions
 * and its bucket's key; then rate limiting's verdict and slip. Metrics are
 * counted as it goes; the observer sees the batch in query_batch_finish().
 * Call on the context's thread, online for snap (snapshot.h). */

/* The context's QUERY_BATCH_MAX messages (borrowed for the life of ctx). */
struct query_msg *query_batch_msgs(struct query_ctx *ctx);
/* Run messages [0, n) (n <= QUERY_BATCH_MAX), received on a socket of
 * the listener-th address of snap's config (for its access list; out of
 * range: none) bound to local (NULL: unknown), through the pipeline: sets
 * each message's resp_len. */
void query_batch(struct query_ctx *ctx, const struct snapshot *snap, unsigned listener,
		 const struct sockaddr *local, unsigned n);
/* The transport could not send message i's response (counted; the
 * observer sees send_failed). */
void query_send_failed(struct query_ctx *ctx, unsigned i);
/* End the batch of n messages: show them to the observer, if any. */
void query_batch_finish(struct query_ctx *ctx, unsigned n);

/* One message over a stream (TCP; no rate limiting): the qlen bytes at q
 * from peer, received at local (NULL: unknown), answered from snap into
 * resp (resp_cap >= 512). Returns the answer's result (borrowed until the
 * next call): ANSWER_SEND to send res->len bytes at resp, ANSWER_DROP to
 * send nothing, ANSWER_XFR to start a transfer of res->zone (counted, and
 * seen by the observer, as QUERY_XFR). The observer sees the message before
 * the caller queues the response. Same threads as the batch calls. */
const struct answer_result *query_stream(struct query_ctx *ctx, const struct snapshot *snap,
					 const uint8_t *q, size_t qlen, const struct sockaddr *peer,
					 const struct sockaddr *local, uint8_t *resp,
					 size_t resp_cap);

#endif

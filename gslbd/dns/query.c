#include <config.h>

#include "gslbd/dns/query.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "common/tsig.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/query_metrics.h"
#include "gslbd/dns/rrl.h"
#include "gslbd/dns/snapshot.h"

/* Log a request refused for its TSIG (rate-limited: peers choose them). */
static void log_tsig(const struct answer_result *res, const struct sockaddr *peer)
{
	char addr[NETADDR_STRLEN];

	if (res->tsig != TSIG_UNSIGNED && res->tsig != TSIG_OK) {
		netaddr_format(peer, addr, sizeof(addr));
		log_ratelimited(LOG_LEVEL_WARN, "tsig: request refused: client=%s reason=%s", addr,
				tsig_result_name(res->tsig));
	} else if (res->tsig_required) {
		netaddr_format(peer, addr, sizeof(addr));
		log_ratelimited(LOG_LEVEL_WARN,
				"tsig: transfer refused: client=%s reason=%s (its allow_transfer "
				"entry wants a key)",
				addr, res->tsig == TSIG_OK ? "other key" : "unsigned");
	}
}

/* Where message i of a batch stands after the first pass. */
enum slot_state {
	SLOT_SEND,    /* send its response */
	SLOT_LIMIT,   /* rate limiting decides, by its key */
	SLOT_NOTHING, /* nothing to send */
};

/* What the pipeline keeps about one message of a batch. */
struct query_slot {
	struct query_event ev; /* its event, filled as it goes through */
	enum slot_state state; /* after the first pass */
	uint64_t key;          /* SLOT_LIMIT: its rate-limit bucket */
	struct lb_decision lb; /* observed: a copy of the decision ev.res.lb points to */
	bool observed;         /* the observer sees it (sampling) */
};

struct query_ctx {
	enum query_transport transport; /* what the thread serves */
	struct answer_scratch *scratch; /* answer path working memory */
	struct metrics_shard *metrics;  /* the thread's counters (owned by the registry) */
	struct rrl_table *rrl;          /* the thread's rate-limit buckets, or NULL */
	size_t rrl_size;                /* the table size they were made for */
	query_observer_fn *observer;    /* sees every finished message, or NULL */
	query_wants_fn *observer_wants; /* whether it wants a snapshot's, or NULL: always */
	void *observer_arg;             /* their argument */
	unsigned observe_every;         /* the observer wants one message in this many of the
	                                 * batch's snapshot (0: none) */
	unsigned observe_left;          /* messages to leave out before the next one it sees */
	uint64_t observe_skipped;       /* left out since the last one it saw */
	/* What the batches take from the snapshot, made again when it changes. */
	const struct snapshot *snap; /* the snapshot of the last batch */
	uint64_t generation;         /* its generation (0: not published, never kept) */
	unsigned listener;           /* the listener of the last batch */
	const struct netacl *acl;    /* its access list, or NULL */
	struct rrl_params rp;        /* rate limiting's parameters */
	/* The batch being answered. */
	const struct sockaddr *local;             /* the socket's bound address, or NULL */
	uint8_t addr[16];                         /* the client address a bucket's key is made of
	                                           * (here, not on the stack: query_batch() then
	                                           * needs no stack protector) */
	struct timespec received;                 /* observed: wall clock of the batch */
	struct query_msg msgs[QUERY_BATCH_MAX];   /* the driver's side of its messages */
	struct query_slot slots[QUERY_BATCH_MAX]; /* ours */
};

struct query_ctx *query_ctx_new(enum query_transport transport)
{
	struct query_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->transport = transport;
	ctx->scratch = answer_scratch_new();
	ctx->metrics = metrics_shard_new();
	return ctx;
}

void query_ctx_free(struct query_ctx *ctx)
{
	if (ctx == NULL)
		return;
	answer_scratch_free(ctx->scratch);
	rrl_table_free(ctx->rrl);
	free(ctx);
}

void query_ctx_set_observer(struct query_ctx *ctx, query_observer_fn *fn, query_wants_fn *wants,
			    void *arg)
{
	ctx->observer = fn;
	ctx->observer_wants = wants;
	ctx->observer_arg = arg;
	ctx->snap = NULL; /* ask wants() at the next batch */
}

/* One in how many of the messages answered from snap the observer wants
 * (0: none). */
static unsigned observing(struct query_ctx *ctx, const struct snapshot *snap)
{
	unsigned every;

	if (ctx->observer == NULL)
		return 0;
	every = ctx->observer_wants != NULL ? ctx->observer_wants(ctx->observer_arg, snap) : 1;
	if (every > 0 && ctx->observe_left >= every)
		ctx->observe_left = every - 1;
	return every;
}

/* Does the observer see ev, answered or dropped by an access list (a
 * counter, when it wants one in N: the others are only counted)? Every
 * message when it wants all of them. */
static inline bool observe_pick(struct query_ctx *ctx, struct query_event *ev, bool answered)
{
	if (ctx->observe_every <= 1)
		return ctx->observe_every == 1;
	if (!answered)
		return false;
	if (ctx->observe_left > 0) {
		ctx->observe_left--;
		ctx->observe_skipped++;
		return false;
	}
	ctx->observe_left = ctx->observe_every - 1;
	ev->skipped = ctx->observe_skipped;
	ctx->observe_skipped = 0;
	return true;
}

bool query_ctx_is_observed(const struct query_ctx *ctx)
{
	return ctx->observer != NULL;
}

struct metrics_shard *query_ctx_metrics(struct query_ctx *ctx)
{
	return ctx->metrics;
}

struct answer_scratch *query_ctx_scratch(struct query_ctx *ctx)
{
	return ctx->scratch;
}

/* Make, remake or drop the rate-limit table for cfg (on the context's
 * thread, only when the configured size changed). */
static void rrl_table_fit(struct query_ctx *ctx, const struct config *cfg)
{
	size_t want = cfg->rrl_enabled ? cfg->rrl_table_size : 0;

	if (want == ctx->rrl_size)
		return;
	rrl_table_free(ctx->rrl);
	ctx->rrl = want > 0 ? rrl_table_new(want) : NULL;
	ctx->rrl_size = want;
}

/* The result of a message the answer path did not see (truncated
 * datagram, dropped by the listener's access list). */
static void result_dropped(struct answer_result *res)
{
	memset(res, 0, sizeof(*res));
	res->action = ANSWER_DROP;
	res->rcode = -1;
	res->kind = RRL_ERROR;
}

/* The Client Subnet of the query q (qlen bytes) just answered into ev, as
 * the answer path parsed it into the scratch (it parses every message that
 * has a header and is not a response). */
static void observe_ecs(const struct query_ctx *ctx, struct query_event *ev, const uint8_t *q,
			size_t qlen)
{
	const struct wire_query *wq = &ctx->scratch->q;

	ev->ecs_family = 0;
	ev->ecs_source = 0;
	ev->ecs_scope = 0;
	memset(ev->ecs_addr, 0, sizeof(ev->ecs_addr));
	if (qlen >= WIRE_HEADER_LEN && (q[2] & 0x80) == 0 && wq->has_ecs) {
		ev->ecs_family = wq->ecs_family;
		ev->ecs_source = wq->ecs_source;
		ev->ecs_scope = ev->res.ecs_scope;
		memcpy(ev->ecs_addr, wq->ecs_addr, wq->ecs_addr_len);
	}
}

/* The observer's view of the message of slot sl, answered in the first
 * pass: its Client Subnet, and a copy of the load-balancing decision and no
 * bucket name, which the next query of the batch overwrites. The copy stops
 * before the candidates (cand_count 0): they are most of the decision's
 * size (LB_MAX_POOL_DCS of them) and the observer does not read them. */
static void observe_first(struct query_ctx *ctx, const struct query_msg *m, struct query_slot *sl)
{
	struct query_event *ev = &sl->ev;

	observe_ecs(ctx, ev, m->query, m->query_len);
	if (ev->res.lb != NULL) {
		memcpy(&sl->lb, ev->res.lb, offsetof(struct lb_decision, cands));
		sl->lb.cand_count = 0;
		ev->res.lb = &sl->lb;
	}
	ev->res.rrl_name = NULL;
	ev->res.rrl_name_len = 0;
}

/* Rate limiting of the response of slot sl (to be sent to peer): exempt,
 * not limited, or its bucket's key made and the bucket prefetched. */
static inline void limit_prepare(struct query_ctx *ctx, struct query_slot *sl,
				 const struct config *cfg, const struct rrl_params *rp,
				 const struct sockaddr *peer)
{
	const struct answer_result *res = &sl->ev.res;
	size_t alen;

	/* A valid cookie proves the address; exempt networks are trusted. */
	if (res->cookie == ANSWER_COOKIE_VALID ||
	    (cfg->rrl_exempt_count > 0 &&
	     netprefix_list_contains(cfg->rrl_exempt, cfg->rrl_exempt_count, peer))) {
		sl->ev.rrl = QUERY_RRL_EXEMPT;
		return;
	}
	alen = netaddr_raw(peer, ctx->addr);
	if (alen == 0)
		return;
	/* The name the key is made of lives in the scratch until the next
	 * query: the key is made now. */
	sl->key = rrl_key(ctx->rrl, rp, ctx->addr, alen, res->kind, res->rrl_name,
			  res->rrl_name_len);
	rrl_prefetch(ctx->rrl, sl->key);
	sl->state = SLOT_LIMIT;
}

/* The first pass over message m (slot sl): the listener's access list acl
 * (NULL: none), the answer, cookies and exempt networks, the bucket's key. */
static inline void first_pass(struct query_ctx *ctx, const struct netacl *acl,
			      const struct rrl_params *rp, struct query_msg *m,
			      struct query_slot *sl)
{
	const struct snapshot *snap = ctx->snap;
	struct query_event *ev = &sl->ev;
	struct answer_result *res = &ev->res;

	sl->state = SLOT_NOTHING;
	ev->rrl = QUERY_RRL_NONE;
	ev->listener_denied = false;
	ev->rrl_evicted = false;
	ev->send_failed = false;
	ev->fate = QUERY_NOT_ANSWERED;
	ev->skipped = 0;
	sl->observed = false;
	if (m->truncated) {
		result_dropped(res);
		metrics_count_result(ctx->metrics, res);
		sl->observed = observe_pick(ctx, ev, false);
		return;
	}
	if (acl != NULL && !netacl_permits(acl, m->peer)) {
		ev->listener_denied = true;
		if (acl->drop) {
			result_dropped(res);
			ev->fate = QUERY_ACL_DROPPED;
			sl->observed = observe_pick(ctx, ev, true);
			if (sl->observed)
				observe_first(ctx, m, sl);
			return;
		}
		answer_refused(m->query, m->query_len, m->resp, m->resp_cap, ctx->scratch, res);
	} else {
		answer_query(snap, m->query, m->query_len, m->peer, false, m->resp, m->resp_cap,
			     ctx->scratch, res);
		if ((res->tsig != TSIG_UNSIGNED && res->tsig != TSIG_OK) || res->tsig_required)
			log_tsig(res, m->peer);
	}
	metrics_count_result(ctx->metrics, res);
	if (res->action == ANSWER_SEND) {
		sl->state = SLOT_SEND;
		if (ctx->rrl != NULL)
			limit_prepare(ctx, sl, snap->config, rp, m->peer);
	} else if (res->acl_denied) {
		ev->fate = QUERY_ACL_DROPPED;
	}
	sl->observed = observe_pick(ctx, ev, sl->state != SLOT_NOTHING ||
						     ev->fate == QUERY_ACL_DROPPED);
	if (sl->observed)
		observe_first(ctx, m, sl);
}

/* The second pass over message m (slot sl): rate limiting's verdict, the
 * slip, the fate and m->resp_len. */
static inline void second_pass(struct query_ctx *ctx, const struct rrl_params *rp, uint64_t now_ms,
			       struct query_msg *m, struct query_slot *sl)
{
	struct query_event *ev = &sl->ev;
	enum rrl_verdict v;

	if (sl->state != SLOT_LIMIT) {
		if (sl->state == SLOT_SEND) {
			ev->fate = QUERY_SENT;
			m->resp_len = ev->res.len;
		} else {
			m->resp_len = 0;
		}
		/* An exemption or the listener's REFUSED is all there is to count. */
		if (ev->listener_denied | (ev->rrl == QUERY_RRL_EXEMPT))
			metrics_count_fate(ctx->metrics, ev);
		return;
	}
	ev->fate = QUERY_SENT;
	m->resp_len = ev->res.len;
	v = rrl_account_key(ctx->rrl, rp, now_ms, sl->key, &ev->rrl_evicted);
	if (v == RRL_PASS) {
		ev->rrl = QUERY_RRL_PASS;
		if (ev->rrl_evicted | ev->listener_denied)
			metrics_count_fate(ctx->metrics, ev);
		return;
	}
	ev->rrl = v == RRL_SLIP ? QUERY_RRL_SLIP : QUERY_RRL_DROP;
	if (!ctx->snap->config->rrl_log_only) {
		m->resp_len = v == RRL_SLIP ? answer_slip(ctx->scratch, m->query, m->query_len,
							  m->resp, m->resp_cap)
					    : 0;
		ev->fate = m->resp_len > 0 ? QUERY_SLIPPED : QUERY_RRL_DROPPED;
	}
	metrics_count_fate(ctx->metrics, ev);
}

struct query_msg *query_batch_msgs(struct query_ctx *ctx)
{
	return ctx->msgs;
}

void query_batch(struct query_ctx *ctx, const struct snapshot *snap, unsigned listener,
		 const struct sockaddr *local, unsigned n)
{
	uint64_t now_ms = time_mono_ms();

	if (snap != ctx->snap || snap->generation != ctx->generation || snap->generation == 0 ||
	    listener != ctx->listener) {
		const struct config *cfg = snap->config;

		ctx->snap = snap;
		ctx->generation = snap->generation;
		ctx->listener = listener;
		ctx->acl = listener < cfg->listen_count && cfg->listen_acl[listener].set
			       ? &cfg->listen_acl[listener]
			       : NULL;
		ctx->rp.rate = cfg->rrl_rate;
		ctx->rp.window_ms = cfg->rrl_window_ms;
		ctx->rp.slip = cfg->rrl_slip;
		ctx->rp.ipv4_prefix = cfg->rrl_ipv4_prefix;
		ctx->rp.ipv6_prefix = cfg->rrl_ipv6_prefix;
		rrl_table_fit(ctx, cfg);
		ctx->observe_every = observing(ctx, snap);
	}
	ctx->local = local;
	/* The wall clock for the observer, when the batch may have a message
	 * it sees (at most n are picked). */
	if (ctx->observe_every == 1 || (ctx->observe_every > 1 && ctx->observe_left < n)) {
		clock_gettime(CLOCK_REALTIME, &ctx->received);
		answer_scratch_set_time(ctx->scratch, (uint32_t)ctx->received.tv_sec);
	} else {
		answer_scratch_set_time(ctx->scratch, (uint32_t)time(NULL));
	}
	for (unsigned i = 0; i < n; i++)
		first_pass(ctx, ctx->acl, &ctx->rp, &ctx->msgs[i], &ctx->slots[i]);
	for (unsigned i = 0; i < n; i++)
		second_pass(ctx, &ctx->rp, now_ms, &ctx->msgs[i], &ctx->slots[i]);
}

void query_send_failed(struct query_ctx *ctx, unsigned i)
{
	ctx->slots[i].ev.send_failed = true;
	metrics_count_event(ctx->metrics, METRICS_UDP_SEND_ERROR);
}

void query_batch_finish(struct query_ctx *ctx, unsigned n)
{
	if (ctx->observe_every == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct query_msg *m = &ctx->msgs[i];
		struct query_event *ev = &ctx->slots[i].ev;

		if (!ctx->slots[i].observed)
			continue;
		ev->transport = ctx->transport;
		ev->peer = m->peer;
		ev->local = m->local != NULL ? m->local : ctx->local;
		ev->query = m->query;
		ev->query_len = m->query_len;
		ev->response = m->resp_len > 0 && !ev->send_failed ? m->resp : NULL;
		ev->response_len = ev->response != NULL ? m->resp_len : 0;
		ev->received = ctx->received;
		ev->snap = ctx->snap;
		ctx->observer(ctx->observer_arg, ev);
	}
}

const struct answer_result *query_stream(struct query_ctx *ctx, const struct snapshot *snap,
					 const uint8_t *q, size_t qlen, const struct sockaddr *peer,
					 const struct sockaddr *local, uint8_t *resp,
					 size_t resp_cap)
{
	struct query_slot *sl = &ctx->slots[0];
	struct query_event *ev = &sl->ev;
	struct answer_result *res = &ev->res;

	answer_query(snap, q, qlen, peer, true, resp, resp_cap, ctx->scratch, res);
	if ((res->tsig != TSIG_UNSIGNED && res->tsig != TSIG_OK) || res->tsig_required)
		log_tsig(res, peer);
	ev->peer = peer;
	ev->local = local;
	ev->query = q;
	ev->query_len = qlen;
	ev->listener_denied = false;
	ev->rrl = QUERY_RRL_NONE;
	ev->rrl_evicted = false;
	ev->send_failed = false;
	ev->response = NULL;
	ev->response_len = 0;
	if (res->action == ANSWER_SEND) {
		ev->fate = QUERY_SENT;
		ev->response = resp;
		ev->response_len = res->len;
	} else if (res->action == ANSWER_XFR) {
		ev->fate = QUERY_XFR;
	} else {
		ev->fate = res->acl_denied ? QUERY_ACL_DROPPED : QUERY_NOT_ANSWERED;
	}
	metrics_count_result(ctx->metrics, res);
	metrics_count_fate(ctx->metrics, ev);
	ev->skipped = 0;
	ctx->observe_every = observing(ctx, snap);
	if (observe_pick(ctx, ev, ev->fate != QUERY_NOT_ANSWERED)) {
		ev->transport = ctx->transport;
		clock_gettime(CLOCK_REALTIME, &ev->received);
		ev->snap = snap;
		observe_ecs(ctx, ev, q, qlen);
		ctx->observer(ctx->observer_arg, ev);
	}
	return res;
}

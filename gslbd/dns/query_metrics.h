/* The per-thread counters of the query path, read by the Prometheus
 * endpoint (GET /metrics, rendered by control/metrics.c and status.c).
 *
 * Each DNS thread owns a struct metrics_shard (its struct query_ctx makes
 * one) and is its only writer (relaxed atomic stores, no sharing of cache
 * lines between threads); the main thread sums the shards when /metrics is
 * scraped. Counters are indexed by zone position, query type bucket,
 * response code and datacenter; a reload that changes the zone list bumps
 * an epoch and each shard clears its per-zone counters when it sees it
 * (Prometheus treats that as a counter reset). */
#ifndef GSLBD_DNS_QUERY_METRICS_H
#define GSLBD_DNS_QUERY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gslbd/dns/query.h"

struct answer_result;

#define METRICS_MAX_ZONES 256   /* zones counted one by one; the rest as "other" */
#define METRICS_MAX_DCS 256     /* datacenters counted one by one */
#define METRICS_MAX_POOLS 256   /* pools counted one by one */
#define METRICS_QTYPES 14       /* A NS CNAME SOA PTR MX TXT AAAA SRV DS ANY AXFR IXFR other */
#define METRICS_RCODES 7        /* NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED other */

/* Transport events counted per thread. */
enum metrics_event {
	METRICS_UDP_SEND_ERROR,   /* a response the kernel refused to send */
	METRICS_TCP_ACCEPTED,     /* TCP connections accepted */
	METRICS_TCP_REFUSED,      /* TCP connections closed at once: the client network's cap */
	METRICS_TCP_TIMEOUT,      /* TCP connections closed idle or stalled */
	METRICS_XFR,              /* zone transfers started */
	METRICS_RRL_EVICTED,      /* rate-limit buckets that took another client's place */
	METRICS_ACL_REFUSED,      /* queries a listener's or zone's access list answered REFUSED */
	METRICS_ACL_DROPPED,      /* ... or dropped */
	METRICS_COOKIE_VALID,     /* queries with a valid server cookie */
	METRICS_COOKIE_ISSUED,    /* queries given a new server cookie (none, old or renewed) */
	METRICS_COOKIE_BAD,       /* queries with a server cookie not ours (BADCOOKIE over UDP) */
	METRICS_TCP_CLOSED_BUSY,  /* TCP connections closed early: the pool was nearly full */
	METRICS_EVENTS
};

/* What response rate limiting did to a response, counted per zone. */
enum metrics_rrl {
	METRICS_RRL_DROPPED, /* over the limit: not sent */
	METRICS_RRL_SLIPPED, /* over the limit: sent truncated */
	METRICS_RRL_EXEMPT,  /* not limited: a valid cookie or an exempt network */
	METRICS_RRL_ACTIONS
};

/* How a load-balanced answer came about, counted per pool of the name. */
enum metrics_pool_outcome {
	METRICS_POOL_PREFERRED, /* from the name's own pool, a healthy datacenter */
	METRICS_POOL_FALLBACK,  /* every datacenter of it down: from its fallback pool */
	METRICS_POOL_FAIL_OPEN, /* every datacenter down: answered as if up (all_down: fail_open) */
	METRICS_POOL_OUTCOMES
};

struct metrics_shard {
	_Atomic uint64_t epoch;  /* zone epoch the per-zone counters belong to */
	_Atomic uint64_t queries[METRICS_MAX_ZONES + 1][METRICS_QTYPES][METRICS_RCODES];
	                         /* by zone (last row: no zone / other), qtype bucket, rcode */
	_Atomic uint64_t dropped;              /* queries not answered */
	_Atomic uint64_t truncated;            /* UDP answers with TC set */
	_Atomic uint64_t dc_answers[METRICS_MAX_DCS]; /* times each datacenter was in an answer */
	_Atomic uint64_t events[METRICS_EVENTS];      /* enum metrics_event */
	_Atomic uint64_t rrl[METRICS_MAX_ZONES + 1][METRICS_RRL_ACTIONS]; /* by zone, enum metrics_rrl */
	_Atomic uint64_t pool_answers[METRICS_MAX_POOLS][METRICS_POOL_OUTCOMES];
	                         /* by the name's pool, enum metrics_pool_outcome */
};

/* Register a shard for a DNS thread (main thread, before it starts). The
 * registry owns it until metrics_shutdown(). */
struct metrics_shard *metrics_shard_new(void);
/* The registered shards, for summing (main thread). */
size_t metrics_shard_count(void);
const struct metrics_shard *metrics_shard_at(size_t i);
/* Free every shard (main thread, once the DNS threads have stopped). */
void metrics_shutdown(void);
/* Current zone epoch; metrics_bump_epoch() after a reload changed zones. */
uint64_t metrics_epoch(void);
void metrics_bump_epoch(void);

/* The counting functions run on the DNS thread that owns s. */

/* Count one answered query. zone is the zone index or -1; qtype and rcode
 * as on the wire. */
void metrics_count_query(struct metrics_shard *s, uint64_t epoch, long zone, uint16_t qtype,
			 int rcode);
/* Count everything about one answer_query() result: the query by zone,
 * qtype and rcode (or as dropped), truncation, and the datacenters of its
 * load-balancing decision. */
void metrics_count_result(struct metrics_shard *s, const struct answer_result *res);
/* Count a datacenter in an answer, a dropped query, a truncated answer. */
void metrics_count_dc(struct metrics_shard *s, size_t dc);
void metrics_count_dropped(struct metrics_shard *s);
void metrics_count_truncated(struct metrics_shard *s);
void metrics_count_event(struct metrics_shard *s, enum metrics_event e);
/* Count what rate limiting did to the response res. */
void metrics_count_rrl(struct metrics_shard *s, const struct answer_result *res,
		       enum metrics_rrl action);

/* What became of one message (query.h), once metrics_count_result() has
 * counted its answer: the listener's access list, what rate limiting said,
 * a transfer started. (A failed send is an event of its own.) Inline: it
 * runs for every message and rarely counts anything. */
static inline void metrics_count_fate(struct metrics_shard *s, const struct query_event *ev)
{
	if (ev->listener_denied)
		metrics_count_event(s, ev->fate == QUERY_ACL_DROPPED ? METRICS_ACL_DROPPED
								     : METRICS_ACL_REFUSED);
	if (ev->rrl == QUERY_RRL_EXEMPT)
		metrics_count_rrl(s, &ev->res, METRICS_RRL_EXEMPT);
	else if (ev->rrl == QUERY_RRL_SLIP)
		metrics_count_rrl(s, &ev->res, METRICS_RRL_SLIPPED);
	else if (ev->rrl == QUERY_RRL_DROP)
		metrics_count_rrl(s, &ev->res, METRICS_RRL_DROPPED);
	if (ev->rrl_evicted)
		metrics_count_event(s, METRICS_RRL_EVICTED);
	if (ev->fate == QUERY_XFR)
		metrics_count_event(s, METRICS_XFR);
}

#endif

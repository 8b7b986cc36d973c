/* Counters for the Prometheus endpoint (GET /metrics).
 *
 * Each DNS thread owns a struct metrics_shard and is its only writer
 * (relaxed atomic increments, no sharing of cache lines between threads);
 * the main thread sums the shards when /metrics is scraped. Counters are
 * indexed by zone position, query type bucket, response code and datacenter;
 * a reload that changes the zone list bumps an epoch and each shard clears its
 * per-zone counters when it sees it (Prometheus treats that as a counter
 * reset). */
#ifndef GSLBD_CONTROL_METRICS_H
#define GSLBD_CONTROL_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

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

/* Register a shard for a DNS thread (main thread, before it starts). */
struct metrics_shard *metrics_shard_new(void);
/* Count one answered query (DNS thread, owner of s). zone is the zone index
 * or -1; qtype and rcode as on the wire. */
void metrics_count_query(struct metrics_shard *s, uint64_t epoch, long zone, uint16_t qtype,
			 int rcode);
struct answer_result;

/* Count everything about one answer_query() result: the query by zone,
 * qtype and rcode (or as dropped), truncation, and the datacenters and
 * outcome (enum metrics_pool_outcome) of its load-balancing decision. DNS
 * thread owning s. */
void metrics_count_result(struct metrics_shard *s, const struct answer_result *res);
/* Count a datacenter in an answer, a dropped query, a truncated answer. */
void metrics_count_dc(struct metrics_shard *s, size_t dc);
void metrics_count_dropped(struct metrics_shard *s);
void metrics_count_truncated(struct metrics_shard *s);
void metrics_count_event(struct metrics_shard *s, enum metrics_event e);
/* Count what rate limiting did to the response res (DNS thread owning s). */
void metrics_count_rrl(struct metrics_shard *s, const struct answer_result *res,
		       enum metrics_rrl action);
/* Metric name and help of an event (for /metrics). */
const char *metrics_event_name(enum metrics_event e);
const char *metrics_event_help(enum metrics_event e);
/* Label of an enum metrics_rrl. */
const char *metrics_rrl_name(enum metrics_rrl a);
/* Label of an enum metrics_pool_outcome. */
const char *metrics_pool_outcome_name(enum metrics_pool_outcome o);
/* Current zone epoch; metrics_bump_epoch() after a reload changed zones. */
uint64_t metrics_epoch(void);
void metrics_bump_epoch(void);
/* Sum every shard into out (main thread). */
void metrics_sum(struct metrics_shard *out);
/* Sum every shard's answers of datacenters 0..n-1 into out[0..n-1] (main
 * thread; n <= METRICS_MAX_DCS). */
void metrics_sum_dc_answers(uint64_t *out, size_t n);
/* Label of a qtype bucket / rcode bucket. */
const char *metrics_qtype_name(unsigned bucket);
const char *metrics_rcode_name(unsigned bucket);
void metrics_shutdown(void);

#endif

#include <config.h>

#include "gslbd/control/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/lb.h"
#include "zones/zone.h"

#define METRICS_MAX_SHARDS 1024

/* Registered shards; appended by the main thread before the threads start. */
static struct metrics_shard *shards[METRICS_MAX_SHARDS];
static size_t shard_count;
static _Atomic uint64_t zone_epoch;

static const char *const qtype_names[METRICS_QTYPES] = {
	"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "ANY", "AXFR", "IXFR", "other",
};
static const char *const rcode_names[METRICS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other",
};

static unsigned qtype_bucket(uint16_t qtype)
{
	switch (qtype) {
	case 1: return 0;
	case 2: return 1;
	case 5: return 2;
	case 6: return 3;
	case 12: return 4;
	case 15: return 5;
	case 16: return 6;
	case 28: return 7;
	case 33: return 8;
	case 43: return 9;
	case 255: return 10;
	case 252: return 11;
	case 251: return 12;
	default: return 13;
	}
}

struct metrics_shard *metrics_shard_new(void)
{
	struct metrics_shard *s;

	if (shard_count == METRICS_MAX_SHARDS)
		log_fatal("too many metrics shards (%d)", METRICS_MAX_SHARDS);
	s = xcalloc(1, sizeof(*s));
	atomic_store(&s->epoch, atomic_load(&zone_epoch));
	shards[shard_count++] = s;
	return s;
}

static void add(_Atomic uint64_t *c, uint64_t n)
{
	/* Single writer: a relaxed load and store is enough, and cheaper than
	 * a locked add. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void metrics_count_query(struct metrics_shard *s, uint64_t epoch, long zone, uint16_t qtype,
			 int rcode)
{
	unsigned z, r;

	if (atomic_load_explicit(&s->epoch, memory_order_relaxed) != epoch) {
		/* The zone list changed: per-zone counters start again. */
		for (size_t i = 0; i < METRICS_MAX_ZONES + 1; i++) {
			for (size_t q = 0; q < METRICS_QTYPES; q++)
				for (size_t k = 0; k < METRICS_RCODES; k++)
					atomic_store_explicit(&s->queries[i][q][k], 0,
							      memory_order_relaxed);
			for (size_t a = 0; a < METRICS_RRL_ACTIONS; a++)
				atomic_store_explicit(&s->rrl[i][a], 0, memory_order_relaxed);
		}
		atomic_store_explicit(&s->epoch, epoch, memory_order_relaxed);
	}
	z = zone >= 0 && zone < METRICS_MAX_ZONES ? (unsigned)zone : METRICS_MAX_ZONES;
	r = rcode >= 0 && rcode < METRICS_RCODES - 1 ? (unsigned)rcode : METRICS_RCODES - 1;
	add(&s->queries[z][qtype_bucket(qtype)][r], 1);
}

void metrics_count_dc(struct metrics_shard *s, size_t dc)
{
	if (dc < METRICS_MAX_DCS)
		add(&s->dc_answers[dc], 1);
}

void metrics_count_dropped(struct metrics_shard *s)
{
	add(&s->dropped, 1);
}

void metrics_count_truncated(struct metrics_shard *s)
{
	add(&s->truncated, 1);
}

void metrics_count_event(struct metrics_shard *s, enum metrics_event e)
{
	add(&s->events[e], 1);
}

const char *metrics_event_name(enum metrics_event e)
{
	static const char *const names[METRICS_EVENTS] = {
		"gslbd_udp_send_errors_total", "gslbd_tcp_connections_accepted_total",
		"gslbd_tcp_connections_refused_total", "gslbd_tcp_connections_timed_out_total",
		"gslbd_zone_transfers_total", "gslbd_rrl_table_evictions_total",
		"gslbd_acl_refused_total", "gslbd_acl_dropped_total",
		"gslbd_cookies_valid_total", "gslbd_cookies_issued_total",
		"gslbd_cookies_bad_total", "gslbd_tcp_connections_closed_busy_total",
	};

	return names[e];
}

const char *metrics_event_help(enum metrics_event e)
{
	static const char *const help[METRICS_EVENTS] = {
		"UDP responses the kernel refused to send.",
		"TCP connections accepted.",
		"TCP connections closed at once: their client network had "
		"tcp_max_connections_per_client open.",
		"TCP connections closed idle or stalled.",
		"Zone transfers started.",
		"Rate-limit buckets that took the place of another client's (table pressure).",
		"Queries an access list answered with REFUSED.",
		"Queries an access list dropped.",
		"Queries that came with a valid server cookie.",
		"Queries given a new server cookie.",
		"Queries with a server cookie that is not ours (BADCOOKIE over UDP).",
		"TCP connections closed before tcp_idle_timeout because more than 3/4 of "
		"tcp_max_connections were open.",
	};

	return help[e];
}

const char *metrics_rrl_name(enum metrics_rrl a)
{
	static const char *const names[METRICS_RRL_ACTIONS] = {"dropped", "slipped", "exempt"};

	return names[a];
}

const char *metrics_pool_outcome_name(enum metrics_pool_outcome o)
{
	static const char *const names[METRICS_POOL_OUTCOMES] = {"preferred", "fallback",
								 "fail_open"};

	return names[o];
}

void metrics_count_rrl(struct metrics_shard *s, const struct answer_result *res,
		       enum metrics_rrl action)
{
	long zone = res->zone != NULL ? (long)zone_index(res->zone) : -1;
	unsigned z = zone >= 0 && zone < METRICS_MAX_ZONES ? (unsigned)zone : METRICS_MAX_ZONES;

	if (atomic_load_explicit(&s->epoch, memory_order_relaxed) != metrics_epoch())
		return; /* the per-zone counters are about to be cleared */
	add(&s->rrl[z][action], 1);
}

void metrics_count_result(struct metrics_shard *s, const struct answer_result *res)
{
	if (res->acl_denied)
		metrics_count_event(s, res->action == ANSWER_DROP ? METRICS_ACL_DROPPED
								  : METRICS_ACL_REFUSED);
	if (res->action == ANSWER_DROP) {
		metrics_count_dropped(s);
		return;
	}
	metrics_count_query(s, metrics_epoch(), res->zone != NULL ? (long)zone_index(res->zone) : -1,
			    res->qtype, res->rcode);
	if (res->truncated)
		metrics_count_truncated(s);
	if (res->cookie == ANSWER_COOKIE_VALID)
		metrics_count_event(s, METRICS_COOKIE_VALID);
	else if (res->cookie == ANSWER_COOKIE_ISSUED)
		metrics_count_event(s, METRICS_COOKIE_ISSUED);
	else if (res->cookie == ANSWER_COOKIE_BAD)
		metrics_count_event(s, METRICS_COOKIE_BAD);
	if (res->lb != NULL) {
		const struct lb_decision *d = res->lb;
		enum metrics_pool_outcome o = d->failed_open             ? METRICS_POOL_FAIL_OPEN
					      : d->pool != d->asked_pool ? METRICS_POOL_FALLBACK
									 : METRICS_POOL_PREFERRED;

		for (unsigned i = 0; i < d->chosen_count; i++)
			metrics_count_dc(s, d->chosen[i]);
		if (d->asked_pool < METRICS_MAX_POOLS)
			add(&s->pool_answers[d->asked_pool][o], 1);
	}
}

uint64_t metrics_epoch(void)
{
	return atomic_load_explicit(&zone_epoch, memory_order_relaxed);
}

void metrics_bump_epoch(void)
{
	atomic_fetch_add(&zone_epoch, 1);
}

void metrics_sum(struct metrics_shard *out)
{
	uint64_t epoch = metrics_epoch();

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < shard_count; i++) {
		struct metrics_shard *s = shards[i];

		if (atomic_load_explicit(&s->epoch, memory_order_relaxed) == epoch) {
			for (size_t z = 0; z < METRICS_MAX_ZONES + 1; z++)
				for (size_t q = 0; q < METRICS_QTYPES; q++)
					for (size_t r = 0; r < METRICS_RCODES; r++)
						out->queries[z][q][r] += atomic_load_explicit(
							&s->queries[z][q][r], memory_order_relaxed);
			for (size_t z = 0; z < METRICS_MAX_ZONES + 1; z++)
				for (size_t a = 0; a < METRICS_RRL_ACTIONS; a++)
					out->rrl[z][a] += atomic_load_explicit(
					    &s->rrl[z][a], memory_order_relaxed);
		}
		out->dropped += atomic_load_explicit(&s->dropped, memory_order_relaxed);
		out->truncated += atomic_load_explicit(&s->truncated, memory_order_relaxed);
		for (size_t d = 0; d < METRICS_MAX_DCS; d++)
			out->dc_answers[d] +=
				atomic_load_explicit(&s->dc_answers[d], memory_order_relaxed);
		for (size_t e = 0; e < METRICS_EVENTS; e++)
			out->events[e] += atomic_load_explicit(&s->events[e], memory_order_relaxed);
		for (size_t p = 0; p < METRICS_MAX_POOLS; p++)
			for (size_t o = 0; o < METRICS_POOL_OUTCOMES; o++)
				out->pool_answers[p][o] += atomic_load_explicit(
				    &s->pool_answers[p][o], memory_order_relaxed);
	}
}

void metrics_sum_dc_answers(uint64_t *out, size_t n)
{
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < shard_count; i++)
		for (size_t d = 0; d < n && d < METRICS_MAX_DCS; d++)
			out[d] += atomic_load_explicit(&shards[i]->dc_answers[d],
						       memory_order_relaxed);
}

const char *metrics_qtype_name(unsigned bucket)
{
	return bucket < METRICS_QTYPES ? qtype_names[bucket] : "other";
}

const char *metrics_rcode_name(unsigned bucket)
{
	return bucket < METRICS_RCODES ? rcode_names[bucket] : "other";
}

void metrics_shutdown(void)
{
	for (size_t i = 0; i < shard_count; i++)
		free(shards[i]);
	shard_count = 0;
}

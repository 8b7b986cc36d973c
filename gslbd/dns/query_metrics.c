#include <config.h>

#include "gslbd/dns/query_metrics.h"

#include <stdlib.h>

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

size_t metrics_shard_count(void)
{
	return shard_count;
}

const struct metrics_shard *metrics_shard_at(size_t i)
{
	return shards[i];
}

void metrics_shutdown(void)
{
	for (size_t i = 0; i < shard_count; i++)
		free(shards[i]);
	shard_count = 0;
}

uint64_t metrics_epoch(void)
{
	return atomic_load_explicit(&zone_epoch, memory_order_relaxed);
}

void metrics_bump_epoch(void)
{
	atomic_fetch_add(&zone_epoch, 1);
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


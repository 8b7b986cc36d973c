/* The health and latency model (see health.h).
 *
 * Layout: one struct pair per (probe, datacenter), in a flat array indexed
 * probe * dc_count + dc. Each probed datacenter keeps its fresh pairs in a
 * list ordered by the time of their last result, oldest first, together with
 * counts of the verdicts among them; each probe region keeps, per datacenter,
 * the sum and count of the smoothed RTTs of its fresh pairs. A result moves
 * its pair to the tail of the list and staleness pops pairs off the head, so
 * a report costs O(results) (amortized) plus one re-ranking of the reporting
 * probe's region, and never scans every pair. Times are expected not to go
 * backwards (a monotonic clock); if they do, staleness is only noticed late.
 *
 * Pair verdicts:
 * - a pair without a verdict (new, or whose previous result had gone stale:
 *   an old verdict is old news) becomes UP on its first passed check, so a
 *   restart converges at once, and DOWN only after `fall` consecutive failed
 *   checks, so a single failure at start does not fail a datacenter;
 * - an UP pair becomes DOWN after `fall` consecutive failed checks, a DOWN
 *   pair UP after `rise` consecutive passed ones.
 *
 * Datacenter states (check == -1: always UP, "not probed"):
 * - with fresh pairs and quorum q (config, or floor(fresh / 2) + 1): DOWN
 *   when at least q fresh pairs say DOWN (this is tested first, so with a
 *   small explicit quorum any q probes can take a datacenter down), else UP
 *   when at least q say UP, else the state holds (also when q is more than
 *   the fresh pairs);
 * - without fresh pairs the state holds for the grace period counted from
 *   the moment the last result went stale (or from start, or from a reload
 *   that dropped every probe with data), then on_unknown decides: up gives
 *   UNKNOWN, down gives DOWN. So UNKNOWN is only ever answerable: at start
 *   (before any data, for the grace period, whatever on_unknown says) and
 *   with on_unknown=up.
 * - every change of the state value counts in health_dc_changes(),
 *   including the first UNKNOWN -> UP.
 *
 * Latency rankings: per region, the datacenters whose region RTT (mean of
 * the fresh pairs' smoothed RTTs) is known, fastest first; the previous
 * ranking is the starting point and an element passes one ahead of it only
 * when faster by more than max(rtt_ahead * pct / 100, ms). Rankings move
 * whenever their inputs change (reports, staleness), not only when a table
 * is built, so they do not depend on how often snapshots are made.
 * health_tick() also reports ranking changes (stale RTTs leaving). */
#include <config.h>

#include "gslbd/control/health.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"

#define EWMA_ALPHA 0.3        /* weight of a new RTT sample */
#define ERROR_MAX  127        /* bytes kept of a probe's error string */
#define DETAIL_MAX 200        /* bytes of " (probe: error)" in a reason: id <= 63, error <= 127 */
#define REASON_MAX 320        /* bytes of a datacenter's reason, NUL included */
#define NIL        UINT32_MAX /* end of a fresh list */

/* What decided a datacenter's state (part of its reason). */
enum phase {
	PHASE_NOT_PROBED, /* no check: always up */
	PHASE_DOWN,       /* a quorum of fresh pairs says down */
	PHASE_UP,         /* a quorum of fresh pairs says up */
	PHASE_NO_QUORUM,  /* fresh pairs, no quorum either way: held */
	PHASE_GRACE,      /* no fresh pair, within the grace period: held */
	PHASE_EXPIRED,    /* no fresh pair after the grace period: on_unknown */
};

/* One probe's view of one datacenter. */
struct pair {
	char *last_error;  /* error of the last result (at most ERROR_MAX bytes), or NULL */
	uint64_t last_ms;  /* time of the last result */
	double rtt_ms;     /* smoothed connect RTT, < 0 when none */
	int last_status;   /* HTTP status of the last result */
	double load;       /* load of the last result, when has_load */
	char *load_error;  /* why the last result has no load, or NULL */
	uint32_t prev;     /* fresh list: probe before this one, or NIL */
	uint32_t next;     /* fresh list: probe after this one, or NIL */
	uint16_t ok_run;   /* consecutive passed results (saturating) */
	uint16_t fail_run; /* consecutive failed results (saturating) */
	uint8_t verdict;   /* enum health_state after rise/fall */
	bool has_result;   /* any result at all */
	bool last_ok;      /* the last result passed */
	bool in_fresh;     /* linked in its datacenter's fresh list */
	bool has_load;     /* the last result carried a load */
};

/* A datacenter's state. */
struct dc_health {
	enum health_state state;     /* current state */
	enum phase phase;            /* what decided it */
	uint32_t head;               /* fresh list, oldest result first: first probe, or NIL */
	uint32_t tail;               /* last probe, or NIL */
	uint32_t fresh_count;        /* pairs in the fresh list */
	uint32_t up_count;           /* ... whose verdict is UP */
	uint32_t down_count;         /* ... whose verdict is DOWN */
	bool has_result;             /* some kept pair has a result */
	uint64_t last_ms;            /* newest result of any kept pair */
	uint64_t since_ms;           /* start of the grace period when no pair has a result */
	uint64_t changes;            /* state changes */
	bool touched;                /* in health->touched (during health_report) */
	bool reason_valid;           /* reason matches the key below */
	enum health_state key_state; /* state the reason was built for */
	enum phase key_phase;        /* phase the reason was built for */
	uint32_t key_fresh;          /* counts the reason was built for */
	uint32_t key_up;
	uint32_t key_down;
	char reason[REASON_MAX]; /* one-line reason */
};

/* A probe region: its probes' RTT sums and its ranking. */
struct region {
	const char *name; /* borrowed from the config */
	double lat;       /* mean position of its probes */
	double lon;
	double *rtt_sum;     /* per datacenter: sum of fresh smoothed RTTs */
	uint32_t *rtt_count; /* per datacenter: pairs summed */
	uint16_t *order;     /* current ranking (capacity dc_count) */
	size_t order_count;  /* entries at order */
	bool dirty;          /* sums changed since the last ranking */
};

struct health {
	const struct config *cfg; /* borrowed */
	size_t probe_count;       /* cfg->probe_count */
	size_t dc_count;          /* cfg->datacenter_count */
	struct pair *pairs;       /* probe_count * dc_count */
	struct dc_health *dcs;    /* dc_count */
	uint64_t *report_ms;      /* per probe: time of its last report */
	bool *has_report;         /* per probe: any report at all */
	uint32_t *probe_region;   /* per probe: index into regions */
	struct region *regions;   /* distinct probe regions, in order of appearance */
	size_t region_count;      /* entries at regions */
	uint32_t *touched;        /* datacenters a report touched (dc_count) */
	uint16_t *scratch;        /* ranking work space (dc_count) */
	uint8_t *mark;            /* ranking work space (dc_count) */
};

static uint64_t age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static const char *state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	case HEALTH_UNKNOWN:
		break;
	}
	return "unknown";
}

static const char *null_empty(const char *s)
{
	return s != NULL ? s : "";
}

static struct pair *pair_at(const struct health *h, size_t probe, size_t dc)
{
	return &h->pairs[probe * h->dc_count + dc];
}

static bool is_probed(const struct health *h, size_t dc)
{
	return h->cfg->datacenters[dc].check >= 0;
}

static bool pair_is_fresh(const struct health *h, const struct pair *p, uint64_t now)
{
	return p->has_result && age(now, p->last_ms) <= h->cfg->health_freshness_ms;
}

/* Add (sign 1) or remove (sign -1) a fresh pair's votes and RTT. */
static void contribute(struct health *h, size_t probe, size_t dc, int sign)
{
	const struct pair *p = pair_at(h, probe, dc);
	struct dc_health *d = &h->dcs[dc];

	d->fresh_count += (uint32_t)sign;
	if (p->verdict == HEALTH_UP)
		d->up_count += (uint32_t)sign;
	else if (p->verdict == HEALTH_DOWN)
		d->down_count += (uint32_t)sign;
	if (p->rtt_ms >= 0) {
		struct region *r = &h->regions[h->probe_region[probe]];

		r->rtt_count[dc] += (uint32_t)sign;
		/* An exact zero once empty, so rounding never accumulates. */
		r->rtt_sum[dc] = r->rtt_count[dc] == 0 ? 0.0 : r->rtt_sum[dc] + sign * p->rtt_ms;
		r->dirty = true;
	}
}

static void fresh_remove(struct health *h, size_t probe, size_t dc)
{
	struct pair *p = pair_at(h, probe, dc);
	struct dc_health *d = &h->dcs[dc];

	if (!p->in_fresh)
		return;
	contribute(h, probe, dc, -1);
	if (p->prev != NIL)
		pair_at(h, p->prev, dc)->next = p->next;
	else
		d->head = p->next;
	if (p->next != NIL)
		pair_at(h, p->next, dc)->prev = p->prev;
	else
		d->tail = p->prev;
	p->prev = p->next = NIL;
	p->in_fresh = false;
}

static void fresh_append(struct health *h, size_t probe, size_t dc)
{
	struct pair *p = pair_at(h, probe, dc);
	struct dc_health *d = &h->dcs[dc];

	assert(!p->in_fresh);
	p->prev = d->tail;
	p->next = NIL;
	if (d->tail != NIL)
		pair_at(h, d->tail, dc)->next = (uint32_t)probe;
	else
		d->head = (uint32_t)probe;
	d->tail = (uint32_t)probe;
	p->in_fresh = true;
	contribute(h, probe, dc, 1);
}

/* Drop the pairs of dc that went stale by now. */
static void fresh_expire(struct health *h, size_t dc, uint64_t now)
{
	struct dc_health *d = &h->dcs[dc];

	while (d->head != NIL && !pair_is_fresh(h, pair_at(h, d->head, dc), now))
		fresh_remove(h, d->head, dc);
}

/* The newest fresh pair of dc that says DOWN, or NIL. */
static uint32_t newest_down(const struct health *h, size_t dc)
{
	for (uint32_t p = h->dcs[dc].tail; p != NIL; p = pair_at(h, p, dc)->prev)
		if (pair_at(h, p, dc)->verdict == HEALTH_DOWN)
			return p;
	return NIL;
}

/* ", probe-eu: connect timeout" style detail of the newest DOWN pair, or "". */
static void down_detail(const struct health *h, size_t dc, char *buf, size_t len)
{
	uint32_t probe = newest_down(h, dc);
	const struct pair *p;

	buf[0] = '\0';
	if (probe == NIL)
		return;
	p = pair_at(h, probe, dc);
	if (p->last_error != NULL)
		snprintf(buf, len, " (%s: %s)", null_empty(h->cfg->probes[probe].id),
			 p->last_error);
	else if (p->last_status != 0)
		snprintf(buf, len, " (%s: status %d)", null_empty(h->cfg->probes[probe].id),
			 p->last_status);
	else
		snprintf(buf, len, " (%s)", null_empty(h->cfg->probes[probe].id));
}

static void reason_build(struct health *h, size_t dc, uint64_t now, uint64_t since)
{
	const struct config *cfg = h->cfg;
	struct dc_health *d = &h->dcs[dc];
	char detail[DETAIL_MAX];
	unsigned long long secs = (unsigned long long)(age(now, since) / 1000);

	switch (d->phase) {
	case PHASE_NOT_PROBED:
		snprintf(d->reason, sizeof(d->reason), "not probed");
		break;
	case PHASE_DOWN:
		down_detail(h, dc, detail, sizeof(detail));
		snprintf(d->reason, sizeof(d->reason), "%u of %u fresh probes report down%s",
			 d->down_count, d->fresh_count, detail);
		break;
	case PHASE_UP:
		snprintf(d->reason, sizeof(d->reason), "%u of %u fresh probes report up",
			 d->up_count, d->fresh_count);
		break;
	case PHASE_NO_QUORUM:
		down_detail(h, dc, detail, sizeof(detail));
		snprintf(d->reason, sizeof(d->reason),
			 "no quorum of %u: %u up, %u down of %u fresh probes; %s held%s",
			 cfg->health_quorum != 0 ? cfg->health_quorum : d->fresh_count / 2 + 1,
			 d->up_count, d->down_count, d->fresh_count, state_name(d->state), detail);
		break;
	case PHASE_GRACE:
		if (d->has_result)
			snprintf(d->reason, sizeof(d->reason),
				 "no fresh report for %llus; %s held for up to %us", secs,
				 state_name(d->state), cfg->health_grace_ms / 1000);
		else
			snprintf(d->reason, sizeof(d->reason), "no report yet");
		break;
	case PHASE_EXPIRED:
		snprintf(d->reason, sizeof(d->reason), "no %sreport for %llus; on_unknown=%s",
			 d->has_result ? "fresh " : "", secs,
			 cfg->health_on_unknown == HEALTH_UNKNOWN_UP ? "up" : "down");
		break;
	}
}

/* Decide dc's state at now. Returns true when it changed. */
static bool dc_evaluate(struct health *h, size_t dc, uint64_t now)
{
	const struct config *cfg = h->cfg;
	struct dc_health *d = &h->dcs[dc];
	enum health_state state = d->state;
	enum phase phase;
	uint64_t since = 0;
	bool changed;

	if (!is_probed(h, dc)) {
		state = HEALTH_UP;
		phase = PHASE_NOT_PROBED;
	} else {
		fresh_expire(h, dc, now);
		if (d->fresh_count > 0) {
			uint32_t q =
			    cfg->health_quorum != 0 ? cfg->health_quorum : d->fresh_count / 2 + 1;

			if (d->down_count >= q) {
				state = HEALTH_DOWN;
				phase = PHASE_DOWN;
			} else if (d->up_count >= q) {
				state = HEALTH_UP;
				phase = PHASE_UP;
			} else {
				phase = PHASE_NO_QUORUM;
			}
		} else {
			since = d->has_result ? d->last_ms + cfg->health_freshness_ms : d->since_ms;
			if (age(now, since) > cfg->health_grace_ms) {
				phase = PHASE_EXPIRED;
				state = cfg->health_on_unknown == HEALTH_UNKNOWN_UP ? HEALTH_UNKNOWN
										    : HEALTH_DOWN;
			} else {
				phase = PHASE_GRACE;
			}
		}
	}
	changed = state != d->state;
	if (changed)
		d->changes++;
	d->state = state;
	d->phase = phase;
	if (!d->reason_valid || d->key_state != state || d->key_phase != phase ||
	    d->key_fresh != d->fresh_count || d->key_up != d->up_count ||
	    d->key_down != d->down_count) {
		reason_build(h, dc, now, since);
		d->reason_valid = true;
		d->key_state = state;
		d->key_phase = phase;
		d->key_fresh = d->fresh_count;
		d->key_up = d->up_count;
		d->key_down = d->down_count;
	}
	return changed;
}

/* Region RTT of dc, < 0 when no fresh pair of the region measured it. */
static double region_rtt(const struct region *r, size_t dc)
{
	return r->rtt_count[dc] == 0 ? -1.0 : r->rtt_sum[dc] / r->rtt_count[dc];
}

/* Does the datacenter with RTT a pass one ahead of it with RTT b? */
static bool passes(const struct health *h, double a, double b)
{
	double margin = b * h->cfg->latency_hysteresis_pct / 100.0;

	if (margin < h->cfg->latency_hysteresis_ms)
		margin = h->cfg->latency_hysteresis_ms;
	return b - a > margin;
}

struct ranked {
	double rtt;  /* region RTT */
	uint16_t dc; /* datacenter index */
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rtt != y->rtt)
		return x->rtt < y->rtt ? -1 : 1;
	return (x->dc > y->dc) - (x->dc < y->dc);
}

/* Re-rank region r from its sums. Returns true when its order changed. */
static bool region_rank(struct health *h, struct region *r)
{
	uint16_t *out = h->scratch;
	struct ranked *fresh = NULL;
	size_t n = 0, fresh_count = 0;
	bool changed;

	r->dirty = false;
	memset(h->mark, 0, h->dc_count);
	/* The previous ranking first, minus datacenters without data. */
	for (size_t i = 0; i < r->order_count; i++) {
		uint16_t dc = r->order[i];

		h->mark[dc] = 1;
		if (r->rtt_count[dc] > 0)
			out[n++] = dc;
	}
	/* Then the newcomers, fastest first. */
	for (size_t dc = 0; dc < h->dc_count; dc++)
		if (!h->mark[dc] && r->rtt_count[dc] > 0)
			fresh_count++;
	if (fresh_count > 0) {
		fresh = xcalloc(fresh_count, sizeof(*fresh));
		fresh_count = 0;
		for (size_t dc = 0; dc < h->dc_count; dc++)
			if (!h->mark[dc] && r->rtt_count[dc] > 0)
				fresh[fresh_count++] =
				    (struct ranked){region_rtt(r, dc), (uint16_t)dc};
		qsort(fresh, fresh_count, sizeof(*fresh), ranked_cmp);
		for (size_t i = 0; i < fresh_count; i++)
			out[n++] = fresh[i].dc;
		free(fresh);
	}
	/* Sticky insertion sort: one passes another only by the hysteresis. */
	for (size_t i = 1; i < n; i++) {
		uint16_t x = out[i];
		double rx = region_rtt(r, x);
		size_t j = i;

		while (j > 0 && passes(h, rx, region_rtt(r, out[j - 1]))) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = x;
	}
	changed = n != r->order_count || memcmp(out, r->order, n * sizeof(*out)) != 0;
	if (changed) {
		memcpy(r->order, out, n * sizeof(*out));
		r->order_count = n;
	}
	return changed;
}

static bool rank_dirty(struct health *h)
{
	bool changed = false;

	for (size_t i = 0; i < h->region_count; i++)
		if (h->regions[i].dirty && region_rank(h, &h->regions[i]))
			changed = true;
	return changed;
}

static void pair_clear(struct pair *p)
{
	free(p->last_error);
	free(p->load_error);
	memset(p, 0, sizeof(*p));
	p->prev = p->next = NIL;
	p->rtt_ms = -1.0;
	p->verdict = HEALTH_UNKNOWN;
}

/* Replace *slot with a copy of s (at most ERROR_MAX bytes, cut at a
 * character boundary), or NULL. */
static void text_keep(char **slot, const char *s)
{
	size_t len;

	if (s == NULL) {
		free(*slot);
		*slot = NULL;
		return;
	}
	len = strnlen(s, ERROR_MAX + 1);
	/* Cut long texts at a character boundary (they end up in JSON). */
	if (len > ERROR_MAX) {
		len = ERROR_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (*slot == NULL || strlen(*slot) != len || memcmp(*slot, s, len) != 0) {
		free(*slot);
		*slot = xstrndup(s, len);
	}
}

static void pair_apply(struct health *h, struct pair *p, const struct health_result *r,
		       uint64_t now)
{
	const struct config *cfg = h->cfg;

	/* A verdict whose data went stale is no longer evidence: start over. */
	if (p->has_result && !pair_is_fresh(h, p, now)) {
		p->verdict = HEALTH_UNKNOWN;
		p->ok_run = p->fail_run = 0;
		p->rtt_ms = -1.0;
	}
	if (r->ok) {
		p->fail_run = 0;
		if (p->ok_run < UINT16_MAX)
			p->ok_run++;
		if (p->verdict == HEALTH_UNKNOWN ||
		    (p->verdict == HEALTH_DOWN && p->ok_run >= cfg->health_rise))
			p->verdict = HEALTH_UP;
	} else {
		p->ok_run = 0;
		if (p->fail_run < UINT16_MAX)
			p->fail_run++;
		if (p->verdict != HEALTH_DOWN && p->fail_run >= cfg->health_fall)
			p->verdict = HEALTH_DOWN;
	}
	if (r->rtt_ms >= 0 && isfinite(r->rtt_ms))
		p->rtt_ms = p->rtt_ms < 0 ? r->rtt_ms
					  : EWMA_ALPHA * r->rtt_ms + (1 - EWMA_ALPHA) * p->rtt_ms;
	p->last_ok = r->ok;
	p->last_status = r->status;
	p->has_load = r->has_load && r->load >= 0 && isfinite(r->load);
	p->load = p->has_load ? r->load : 0.0;
	text_keep(&p->load_error, p->has_load ? NULL : r->load_error);
	text_keep(&p->last_error, r->error);
	p->last_ms = now;
	p->has_result = true;
}

/* Allocate the model for cfg: no data, every probed datacenter UNKNOWN with
 * its grace period starting at now. */
static struct health *health_alloc(const struct config *cfg, uint64_t now_ms)
{
	struct health *h = xcalloc(1, sizeof(*h));
	size_t dcs = cfg->datacenter_count, probes = cfg->probe_count;

	h->cfg = cfg;
	h->probe_count = probes;
	h->dc_count = dcs;
	h->pairs = xcalloc(probes * dcs + 1, sizeof(*h->pairs));
	for (size_t i = 0; i < probes * dcs; i++)
		pair_clear(&h->pairs[i]);
	h->dcs = xcalloc(dcs + 1, sizeof(*h->dcs));
	for (size_t i = 0; i < dcs; i++) {
		struct dc_health *d = &h->dcs[i];

		d->state = cfg->datacenters[i].check >= 0 ? HEALTH_UNKNOWN : HEALTH_UP;
		d->head = d->tail = NIL;
		d->since_ms = now_ms;
	}
	h->report_ms = xcalloc(probes + 1, sizeof(*h->report_ms));
	h->has_report = xcalloc(probes + 1, sizeof(*h->has_report));
	h->probe_region = xcalloc(probes + 1, sizeof(*h->probe_region));
	h->regions = xcalloc(probes + 1, sizeof(*h->regions));
	for (size_t p = 0; p < probes; p++) {
		const char *name = null_empty(cfg->probes[p].region);
		size_t r = 0;

		while (r < h->region_count && strcmp(null_empty(h->regions[r].name), name) != 0)
			r++;
		if (r == h->region_count) {
			struct region *reg = &h->regions[h->region_count++];

			reg->name = cfg->probes[p].region;
			reg->rtt_sum = xcalloc(dcs + 1, sizeof(*reg->rtt_sum));
			reg->rtt_count = xcalloc(dcs + 1, sizeof(*reg->rtt_count));
			reg->order = xcalloc(dcs + 1, sizeof(*reg->order));
		}
		h->probe_region[p] = (uint32_t)r;
	}
	/* Positions: the mean of the region's probes, as the compiled maps of
	 * the latency policy place them (same numbering). */
	{
		double *lat = xcalloc(probes + 1, sizeof(*lat));
		double *lon = xcalloc(probes + 1, sizeof(*lon));
		size_t placed = latency_regions_place(cfg, lat, lon, NULL);

		assert(placed == h->region_count);
		(void)placed;
		for (size_t r = 0; r < h->region_count; r++) {
			h->regions[r].lat = lat[r];
			h->regions[r].lon = lon[r];
		}
		free(lat);
		free(lon);
	}
	h->touched = xcalloc(dcs + 1, sizeof(*h->touched));
	h->scratch = xcalloc(dcs + 1, sizeof(*h->scratch));
	h->mark = xcalloc(dcs + 1, sizeof(*h->mark));
	return h;
}

struct health *health_new(const struct config *cfg, uint64_t now_ms)
{
	struct health *h = health_alloc(cfg, now_ms);

	for (size_t i = 0; i < h->dc_count; i++)
		dc_evaluate(h, i, now_ms);
	return h;
}

void health_free(struct health *h)
{
	if (h == NULL)
		return;
	if (h->pairs != NULL)
		for (size_t i = 0; i < h->probe_count * h->dc_count; i++) {
			free(h->pairs[i].last_error);
			free(h->pairs[i].load_error);
		}
	free(h->pairs);
	free(h->dcs);
	free(h->report_ms);
	free(h->has_report);
	free(h->probe_region);
	for (size_t r = 0; r < h->region_count; r++) {
		free(h->regions[r].rtt_sum);
		free(h->regions[r].rtt_count);
		free(h->regions[r].order);
	}
	free(h->regions);
	free(h->touched);
	free(h->scratch);
	free(h->mark);
	free(h);
}

struct timed {
	uint64_t ms;    /* last result */
	uint32_t probe; /* probe index */
};

static int timed_cmp(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return (x->probe > y->probe) - (x->probe < y->probe);
}

/* Rebuild every fresh list, count and sum from the pairs (after a reload). */
static void fresh_rebuild(struct health *h, uint64_t now)
{
	struct timed *t = xcalloc(h->probe_count + 1, sizeof(*t));

	for (size_t dc = 0; dc < h->dc_count; dc++) {
		struct dc_health *d = &h->dcs[dc];
		size_t n = 0;

		d->has_result = false;
		d->last_ms = 0;
		if (!is_probed(h, dc))
			continue;
		for (size_t p = 0; p < h->probe_count; p++) {
			const struct pair *pr = pair_at(h, p, dc);

			if (!pr->has_result)
				continue;
			if (!d->has_result || pr->last_ms > d->last_ms)
				d->last_ms = pr->last_ms;
			d->has_result = true;
			if (pair_is_fresh(h, pr, now))
				t[n++] = (struct timed){pr->last_ms, (uint32_t)p};
		}
		qsort(t, n, sizeof(*t), timed_cmp);
		for (size_t i = 0; i < n; i++)
			fresh_append(h, t[i].probe, dc);
	}
	free(t);
}

static long find_probe(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->probe_count; i++)
		if (strcmp(null_empty(cfg->probes[i].id), id) == 0)
			return (long)i;
	return -1;
}

void health_reconfigure(struct health *h, const struct config *cfg, uint64_t now_ms)
{
	const struct config *old_cfg = h->cfg;
	struct health *n = health_alloc(cfg, now_ms);
	long *pmap = xcalloc(cfg->probe_count + 1, sizeof(*pmap));
	long *dmap = xcalloc(cfg->datacenter_count + 1, sizeof(*dmap));
	struct health tmp;

	for (size_t p = 0; p < n->probe_count; p++) {
		pmap[p] = find_probe(old_cfg, null_empty(cfg->probes[p].id));
		if (pmap[p] >= 0) {
			n->report_ms[p] = h->report_ms[pmap[p]];
			n->has_report[p] = h->has_report[pmap[p]];
		}
	}
	for (size_t dc = 0; dc < n->dc_count; dc++) {
		struct dc_health *nd = &n->dcs[dc];
		const struct dc_health *od;

		dmap[dc] = config_datacenter_find(old_cfg, cfg->datacenters[dc].name);
		if (dmap[dc] < 0)
			continue;
		od = &h->dcs[dmap[dc]];
		nd->changes = od->changes;
		if (!is_probed(n, dc)) {
			/* Always up from now on; a change if it was not. */
			if (od->state != HEALTH_UP)
				nd->changes++;
			continue;
		}
		if (old_cfg->datacenters[dmap[dc]].check < 0)
			continue; /* newly probed: starts as a new datacenter */
		nd->state = od->state;
		nd->since_ms = od->has_result ? now_ms : od->since_ms;
		for (size_t p = 0; p < n->probe_count; p++) {
			struct pair *op, *np;

			if (pmap[p] < 0)
				continue;
			op = pair_at(h, (size_t)pmap[p], (size_t)dmap[dc]);
			np = pair_at(n, p, dc);
			*np = *op;
			op->last_error = NULL; /* moved */
			op->load_error = NULL;
			np->prev = np->next = NIL;
			np->in_fresh = false;
		}
	}
	/* Rankings continue by region name, datacenters by name. */
	for (size_t r = 0; r < n->region_count; r++) {
		struct region *nr = &n->regions[r];

		nr->dirty = true;
		for (size_t o = 0; o < h->region_count; o++) {
			const struct region * or = &h->regions[o];

			if (strcmp(null_empty(or->name), null_empty(nr->name)) != 0)
				continue;
			for (size_t i = 0; i < or->order_count; i++) {
				long dc = config_datacenter_find(
				    cfg, old_cfg->datacenters[or->order[i]].name);

				if (dc >= 0)
					nr->order[nr->order_count++] = (uint16_t)dc;
			}
			break;
		}
	}
	free(pmap);
	free(dmap);
	/* Swap the new model in, keeping the handle. */
	tmp = *h;
	*h = *n;
	*n = tmp;
	health_free(n);
	fresh_rebuild(h, now_ms);
	for (size_t dc = 0; dc < h->dc_count; dc++)
		dc_evaluate(h, dc, now_ms);
	rank_dirty(h);
}

bool health_report(struct health *h, size_t probe, const struct health_result *results,
		   size_t count, uint64_t now_ms)
{
	size_t touched = 0;
	bool changed = false;

	if (probe >= h->probe_count)
		return false;
	h->report_ms[probe] = now_ms;
	h->has_report[probe] = true;
	for (size_t i = 0; i < count; i++) {
		const struct health_result *r = &results[i];
		struct dc_health *d;

		if (r->dc >= h->dc_count || !is_probed(h, r->dc))
			continue;
		d = &h->dcs[r->dc];
		fresh_remove(h, probe, r->dc);
		pair_apply(h, pair_at(h, probe, r->dc), r, now_ms);
		fresh_append(h, probe, r->dc);
		d->has_result = true;
		if (now_ms > d->last_ms)
			d->last_ms = now_ms;
		if (!d->touched) {
			d->touched = true;
			h->touched[touched++] = (uint32_t)r->dc;
		}
	}
	for (size_t i = 0; i < touched; i++) {
		h->dcs[h->touched[i]].touched = false;
		if (dc_evaluate(h, h->touched[i], now_ms))
			changed = true;
	}
	if (rank_dirty(h))
		changed = true;
	return changed;
}

bool health_tick(struct health *h, uint64_t now_ms)
{
	bool changed = false;

	for (size_t dc = 0; dc < h->dc_count; dc++)
		if (dc_evaluate(h, dc, now_ms))
			changed = true;
	if (rank_dirty(h))
		changed = true;
	return changed;
}

enum health_state health_dc_state(const struct health *h, size_t dc)
{
	return dc < h->dc_count ? h->dcs[dc].state : HEALTH_UNKNOWN;
}

const char *health_dc_reason(const struct health *h, size_t dc)
{
	return dc < h->dc_count ? h->dcs[dc].reason : "";
}

bool health_dc_answerable(const struct health *h, size_t dc)
{
	/* UNKNOWN exists only at start (within the grace period) and with
	 * on_unknown=up; with on_unknown=down the grace period ends in DOWN. */
	return health_dc_state(h, dc) != HEALTH_DOWN;
}

uint64_t health_dc_changes(const struct health *h, size_t dc)
{
	return dc < h->dc_count ? h->dcs[dc].changes : 0;
}

void health_pair(const struct health *h, size_t probe, size_t dc, uint64_t now_ms,
		 struct health_pair_view *out)
{
	const struct pair *p;

	memset(out, 0, sizeof(*out));
	out->verdict = HEALTH_UNKNOWN;
	out->rtt_ms = -1.0;
	if (probe >= h->probe_count || dc >= h->dc_count)
		return;
	p = pair_at(h, probe, dc);
	out->verdict = (enum health_state)p->verdict;
	out->has_result = p->has_result;
	out->fresh = pair_is_fresh(h, p, now_ms);
	out->age_ms = p->has_result ? age(now_ms, p->last_ms) : 0;
	out->last_ok = p->last_ok;
	out->rtt_ms = p->rtt_ms;
	out->last_status = p->last_status;
	out->last_error = p->last_error;
	out->has_load = p->has_load;
	out->load = p->load;
	out->load_error = p->load_error;
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

bool health_dc_load(const struct health *h, size_t dc, uint64_t now_ms, struct health_load *out)
{
	double stack[64], *v = stack;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (dc >= h->dc_count || !is_probed(h, dc))
		return false;
	if (h->probe_count > sizeof(stack) / sizeof(stack[0]))
		v = xcalloc(h->probe_count, sizeof(*v));
	for (uint32_t p = h->dcs[dc].head; p != NIL; p = pair_at(h, p, dc)->next) {
		const struct pair *pr = pair_at(h, p, dc);

		if (!pair_is_fresh(h, pr, now_ms) || !pr->has_load)
			continue;
		if (n == 0 || pr->last_ms < out->oldest_ms)
			out->oldest_ms = pr->last_ms;
		v[n++] = pr->load;
	}
	if (n > 0) {
		qsort(v, n, sizeof(*v), double_cmp);
		out->load = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
		out->samples = (unsigned)n;
	}
	if (v != stack)
		free(v);
	return n > 0;
}

uint64_t health_probe_age_ms(const struct health *h, size_t probe, uint64_t now_ms)
{
	if (probe >= h->probe_count || !h->has_report[probe])
		return UINT64_MAX;
	return age(now_ms, h->report_ms[probe]);
}

struct latency_table *health_latency_build(struct health *h, uint64_t now_ms)
{
	struct latency_table *t = xcalloc(1, sizeof(*t));

	/* Stale RTTs leave the sums before ranking. */
	for (size_t dc = 0; dc < h->dc_count; dc++)
		if (is_probed(h, dc))
			fresh_expire(h, dc, now_ms);
	rank_dirty(h);
	t->region_count = h->region_count;
	t->regions = xcalloc(h->region_count + 1, sizeof(*t->regions));
	for (size_t i = 0; i < h->region_count; i++) {
		const struct region *r = &h->regions[i];
		struct latency_region *out = &t->regions[i];

		out->name = r->name;
		out->lat = r->lat;
		out->lon = r->lon;
		out->order_count = r->order_count;
		out->order = xcalloc(r->order_count + 1, sizeof(*out->order));
		memcpy(out->order, r->order, r->order_count * sizeof(*out->order));
		out->rtt_ms = xcalloc(h->dc_count + 1, sizeof(*out->rtt_ms));
		for (size_t dc = 0; dc < h->dc_count; dc++)
			out->rtt_ms[dc] = region_rtt(r, dc);
	}
	return t;
}

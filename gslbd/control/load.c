/* The load model (see load.h).
 *
 * Shares are doubles in [0, 1]; a snapshot gets them as 32-bit thresholds
 * (latency_load.keep) that the DNS path compares with a hash of the
 * client's network, so the clients a datacenter keeps are the same from
 * one query to the next and, as the share grows or shrinks, only the
 * clients at the margin move. */
#include <config.h>

#include "gslbd/control/load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"

/* Shares are kept in steps of 1/SHARE_STEPS. */
#define SHARE_STEPS 10000.0

/* One datacenter's model. */
struct dc_load {
	double util;         /* last utilisation, < 0 unknown */
	double share;        /* clients kept, 0..1 */
	uint64_t changed_ms; /* time of the last share change */
	bool has_changed;    /* the share changed at least once */
};

struct load_model {
	const struct config *cfg; /* borrowed */
	size_t dc_count;          /* cfg->datacenter_count */
	struct dc_load *dcs;      /* dc_count */
	uint16_t *order;          /* least_load ranking */
	size_t order_count;       /* entries at order */
	uint16_t *scratch;        /* ranking work space (dc_count) */
	uint8_t *mark;            /* ranking work space (dc_count) */
	bool used;                /* some datacenter has a capacity */
};

bool load_model_is_used(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->datacenter_count; i++)
		if (cfg->datacenters[i].capacity > 0.0)
			return true;
	return false;
}

static struct load_model *model_alloc(const struct config *cfg)
{
	struct load_model *m = xcalloc(1, sizeof(*m));

	m->cfg = cfg;
	m->dc_count = cfg->datacenter_count;
	m->dcs = xcalloc(m->dc_count + 1, sizeof(*m->dcs));
	for (size_t i = 0; i < m->dc_count; i++) {
		m->dcs[i].util = -1.0;
		m->dcs[i].share = 1.0;
	}
	m->order = xcalloc(m->dc_count + 1, sizeof(*m->order));
	m->scratch = xcalloc(m->dc_count + 1, sizeof(*m->scratch));
	m->mark = xcalloc(m->dc_count + 1, sizeof(*m->mark));
	m->used = load_model_is_used(cfg);
	return m;
}

struct load_model *load_model_new(const struct config *cfg, uint64_t now_ms)
{
	(void)now_ms;
	return model_alloc(cfg);
}

void load_model_free(struct load_model *m)
{
	if (m == NULL)
		return;
	free(m->dcs);
	free(m->order);
	free(m->scratch);
	free(m->mark);
	free(m);
}

void load_model_reconfigure(struct load_model *m, const struct config *cfg)
{
	struct load_model *n = model_alloc(cfg), tmp;

	for (size_t i = 0; i < n->dc_count; i++) {
		long old = config_datacenter_find(m->cfg, cfg->datacenters[i].name);

		if (old >= 0 && cfg->datacenters[i].capacity > 0.0)
			n->dcs[i] = m->dcs[old];
	}
	for (size_t i = 0; i < m->order_count; i++) {
		long dc = config_datacenter_find(cfg, m->cfg->datacenters[m->order[i]].name);

		if (dc >= 0 && cfg->datacenters[dc].capacity > 0.0)
			n->order[n->order_count++] = (uint16_t)dc;
	}
	tmp = *m;
	*m = *n;
	*n = tmp;
	load_model_free(n);
}

/* The next share of d (util < 0: unknown) at now. */
static double next_share(const struct load_model *m, const struct dc_load *d,
			 const struct load_input *in, uint64_t now)
{
	const struct config *cfg = m->cfg;
	double high = cfg->load_high_pct / 100.0, low = cfg->load_low_pct / 100.0;
	double step = cfg->load_step_pct / 100.0;
	double util = in->known ? in->util : -1.0;

	if (d->has_changed && now - d->changed_ms < cfg->load_interval_ms)
		return d->share;
	if (util > high) {
		double target;

		/* Act on loads measured since the last change only. */
		if (d->has_changed && in->oldest_ms <= d->changed_ms)
			return d->share;
		target = d->share * high / util;
		return target > d->share - step ? target : d->share - step;
	}
	if (util < 0.0 || util < low) {
		double up = d->share + step;

		return up < 1.0 ? up : 1.0;
	}
	return d->share;
}

/* Does utilisation a pass one ahead of b? */
static bool passes(const struct load_model *m, double a, double b)
{
	return b - a > m->cfg->load_hysteresis_pct / 100.0;
}

/* Re-rank: the previous ranking first (minus datacenters without a
 * utilisation), newcomers after it lowest first, then a sticky insertion
 * sort where one passes another only by the hysteresis. */
static bool rank(struct load_model *m)
{
	uint16_t *out = m->scratch;
	size_t n = 0, kept;
	bool changed;

	memset(m->mark, 0, m->dc_count);
	for (size_t i = 0; i < m->order_count; i++) {
		uint16_t dc = m->order[i];

		m->mark[dc] = 1;
		if (m->dcs[dc].util >= 0.0)
			out[n++] = dc;
	}
	kept = n;
	for (size_t dc = 0; dc < m->dc_count; dc++) {
		size_t j;

		if (m->mark[dc] || m->dcs[dc].util < 0.0)
			continue;
		/* newcomers among themselves: plain order by utilisation */
		for (j = n; j > kept && m->dcs[out[j - 1]].util > m->dcs[dc].util; j--)
			out[j] = out[j - 1];
		out[j] = (uint16_t)dc;
		n++;
	}
	for (size_t i = 1; i < n; i++) {
		uint16_t x = out[i];
		size_t j = i;

		while (j > 0 && passes(m, m->dcs[x].util, m->dcs[out[j - 1]].util)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = x;
	}
	changed = n != m->order_count || memcmp(out, m->order, n * sizeof(*out)) != 0;
	if (changed) {
		memcpy(m->order, out, n * sizeof(*out));
		m->order_count = n;
	}
	return changed;
}

bool load_model_in_use(const struct load_model *m)
{
	return m->used;
}

bool load_model_update(struct load_model *m, const struct load_input *in, uint64_t now_ms)
{
	bool changed = false;

	for (size_t dc = 0; dc < m->dc_count; dc++) {
		struct dc_load *d = &m->dcs[dc];
		double share;

		if (!(m->cfg->datacenters[dc].capacity > 0.0))
			continue;
		d->util = in[dc].known && isfinite(in[dc].util) ? in[dc].util : -1.0;
		/* in steps of 1/10000, so that rounding noise is no change */
		share = round(next_share(m, d, &in[dc], now_ms) * SHARE_STEPS) / SHARE_STEPS;
		if (share < 0.0)
			share = 0.0;
		if (share != d->share) {
			d->share = share;
			d->changed_ms = now_ms;
			d->has_changed = true;
			changed = true;
		}
	}
	if (rank(m))
		changed = true;
	return changed;
}

double load_model_util(const struct load_model *m, size_t dc)
{
	return dc < m->dc_count ? m->dcs[dc].util : -1.0;
}

double load_model_share(const struct load_model *m, size_t dc)
{
	return dc < m->dc_count ? m->dcs[dc].share : 1.0;
}

const uint16_t *load_model_order(const struct load_model *m, size_t *count)
{
	*count = m->order_count;
	return m->order;
}

/* FNV-1a over name, mixed. */
static uint64_t name_salt(const char *name)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= UINT64_C(0x100000001b3);
	}
	return hash_mix64(h ^ UINT64_C(0x6c6f6164)); /* "load" */
}

void load_model_fill(const struct load_model *m, struct latency_table *t)
{
	free(t->loads);
	free(t->load_order);
	free(t->load_rank);
	t->loads = xcalloc(m->dc_count + 1, sizeof(*t->loads));
	for (size_t dc = 0; dc < m->dc_count; dc++) {
		const struct dc_load *d = &m->dcs[dc];
		double keep = ldexp(d->share, 32);

		t->loads[dc].util = d->util;
		t->loads[dc].keep = d->share >= 1.0 ? LATENCY_KEEP_ALL
				    : keep <= 0.0   ? 0
						    : (uint64_t)keep;
		t->loads[dc].salt = name_salt(m->cfg->datacenters[dc].name);
	}
	t->load_order = xcalloc(m->order_count + 1, sizeof(*t->load_order));
	memcpy(t->load_order, m->order, m->order_count * sizeof(*m->order));
	t->load_order_count = m->order_count;
	t->load_rank = xcalloc(m->dc_count + 1, sizeof(*t->load_rank));
	for (size_t dc = 0; dc < m->dc_count; dc++)
		t->load_rank[dc] = UINT16_MAX;
	for (size_t k = 0; k < m->order_count; k++)
		t->load_rank[m->order[k]] = (uint16_t)k;
}

/* The compiled geo decisions (lb_maps_build()): every distinct pool input
 * whose answer depends on the client's location becomes a map, and all of
 * them are compiled together in one walk of the database
 * (geo_map_set_build()).
 *
 * A pool input is what its location-dependent ranking depends on (the
 * kind of policy, the datacenters and their positions, the overrides, the
 * answers a nearest ranking keeps, the probe regions of a latency pool)
 * and the database's digest, written as bytes: pools with equal inputs
 * share a map, and a build given the maps of the config before reuses
 * every map whose input it has, so a reload that changes one pool among
 * many compiles that one alone.
 *
 * Classifying a record ranks its location for every map compiled: the
 * rankings of one set are numbered together (a class is a ranking, the
 * same in every map), so that maps that rank a region alike share its
 * subtrees, and the class vectors are kept per distinct location (the
 * records of one city differ only in what no ranking reads). Runs on the
 * thread that calls lb_maps_build(); the walk then runs on every CPU. */
#include <config.h>

#include "gslbd/dns/lb.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "geo/geo_map.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lb-internal.h"

/* Threads of a walk at most. */
#define LB_MAPS_THREADS 16

struct lb_compiled {
	struct geo_map_set *set;     /* the maps */
	struct lb_ranking *rankings; /* every map's rankings, numbered together */
	uint32_t ranking_count;      /* entries at rankings */
	uint16_t *dcs;               /* the rankings' datacenters, back to back */
	size_t dc_count;             /* entries at dcs */
	size_t bytes;                /* memory of all of it */
	size_t leaves;               /* merged networks */
	_Atomic unsigned refs;       /* struct lb_maps holding it */
};

static void compiled_unref(struct lb_compiled *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	geo_map_set_free(c->set);
	free(c->rankings);
	free(c->dcs);
	free(c);
}

/* A location as the rankings read it. */
struct loc_key {
	double lat, lon;   /* when has_coords */
	bool found;        /* has a record */
	bool has_coords;   /* lat and lon valid */
	char country[3];   /* as in struct geo_location */
	char continent[3]; /* as in struct geo_location */
};

/* Compiling one set. */
struct build {
	const struct config *cfg;     /* the config compiled */
	struct latency_table regions; /* probe regions (positions only), as in latency tables */
	uint8_t *all_up;              /* every datacenter up: rankings ignore health */
	struct lb_decision *scratch;  /* lb_rank_location()'s output */
	double *chord;                /* per datacenter: squared chord to the location */
	const size_t *pools;          /* per map of the set: a pool of its input */
	size_t count;                 /* maps of the set */
	struct lb_compiled *c;        /* the rankings being numbered */
	uint32_t ranking_cap;         /* room at c->rankings */
	size_t dc_cap;                /* room at c->dcs */
	uint32_t *slots;              /* ranking dedupe: index + 1, 0 empty */
	size_t slot_mask;             /* slot count - 1 (a power of two) */
	struct loc_key *locs;         /* locations classified */
	uint32_t *loc_classes;        /* their classes, count per location */
	size_t loc_count;             /* entries at locs */
	size_t loc_cap;               /* room at locs */
	uint32_t *loc_slots;          /* location dedupe: index + 1, 0 empty */
	size_t loc_mask;              /* loc_slots entries - 1 */
};

static uint64_t ranking_hash(uint8_t reason, int16_t region, const struct lb_candidate *c,
			     unsigned count)
{
	uint64_t h = hash_mix64(((uint64_t)reason << 32) ^ (uint64_t)(uint16_t)region ^
				((uint64_t)count << 40));

	for (unsigned i = 0; i < count; i++)
		h = hash_mix64(h ^ c[i].dc);
	return h;
}

static bool ranking_equal(const struct lb_compiled *c, const struct lb_ranking *rk, uint8_t reason,
			  int16_t region, bool truncated, const struct lb_candidate *cand,
			  unsigned count)
{
	if (rk->reason != reason || rk->region != region || rk->count != count ||
	    rk->truncated != truncated)
		return false;
	for (unsigned i = 0; i < count; i++)
		if (c->dcs[rk->first + i] != cand[i].dc)
			return false;
	return true;
}

static void grow_slots(struct build *b)
{
	size_t count = (b->slot_mask + 1) * 2;
	uint32_t *slots = xcalloc(count, sizeof(*slots));

	for (uint32_t r = 0; r < b->c->ranking_count; r++) {
		const struct lb_ranking *rk = &b->c->rankings[r];
		struct lb_candidate c[LB_MAX_POOL_DCS];
		uint64_t h;

		for (unsigned i = 0; i < rk->count; i++)
			c[i].dc = b->c->dcs[rk->first + i];
		h = ranking_hash(rk->reason, rk->region, c, rk->count);
		for (size_t s = h & (count - 1);; s = (s + 1) & (count - 1)) {
			if (slots[s] == 0) {
				slots[s] = r + 1;
				break;
			}
		}
	}
	free(b->slots);
	b->slots = slots;
	b->slot_mask = count - 1;
}

/* The index of the ranking (reason, region, truncated, the count
 * candidates' order): an equal one seen before, or a new one. */
static uint32_t add_ranking(struct build *b, uint8_t reason, int16_t region,
			    const struct lb_candidate *cand, unsigned count, bool truncated)
{
	struct lb_compiled *c = b->c;
	uint64_t h = ranking_hash(reason, region, cand, count);
	size_t s = h & b->slot_mask;
	struct lb_ranking *rk;

	for (; b->slots[s] != 0; s = (s + 1) & b->slot_mask) {
		if (ranking_equal(c, &c->rankings[b->slots[s] - 1], reason, region, truncated, cand,
				  count))
			return b->slots[s] - 1;
	}
	if (c->ranking_count == b->ranking_cap) {
		b->ranking_cap = b->ranking_cap * 2 + 16;
		c->rankings = xreallocarray(c->rankings, b->ranking_cap, sizeof(*c->rankings));
	}
	if (c->dc_count + count > b->dc_cap) {
		b->dc_cap = (c->dc_count + count) * 2;
		c->dcs = xreallocarray(c->dcs, b->dc_cap, sizeof(*c->dcs));
	}
	rk = &c->rankings[c->ranking_count];
	rk->first = (uint32_t)c->dc_count;
	rk->count = (uint8_t)count;
	rk->reason = reason;
	rk->truncated = truncated;
	rk->region = region;
	for (unsigned i = 0; i < count; i++)
		c->dcs[c->dc_count++] = cand[i].dc;
	b->slots[s] = c->ranking_count + 1;
	if ((size_t)(c->ranking_count + 1) * 2 > b->slot_mask) {
		c->ranking_count++;
		grow_slots(b);
		return c->ranking_count - 1;
	}
	return c->ranking_count++;
}

static void loc_key_of(const struct geo_location *loc, struct loc_key *k)
{
	memset(k, 0, sizeof(*k));
	k->found = loc->found;
	k->has_coords = loc->has_coords;
	if (loc->has_coords) {
		k->lat = loc->lat;
		k->lon = loc->lon;
	}
	memcpy(k->country, loc->country, sizeof(k->country));
	memcpy(k->continent, loc->continent, sizeof(k->continent));
}

static uint64_t loc_hash(const struct loc_key *k)
{
	uint64_t a, c;

	memcpy(&a, &k->lat, sizeof(a));
	memcpy(&c, &k->lon, sizeof(c));
	return hash_mix64(a ^ hash_mix64(c ^ ((uint64_t)k->found << 1 | k->has_coords) ^
					 ((uint64_t)(uint8_t)k->country[0] << 8 |
					  (uint64_t)(uint8_t)k->country[1] << 16 |
					  (uint64_t)(uint8_t)k->continent[0] << 24 |
					  (uint64_t)(uint8_t)k->continent[1] << 32)));
}

static bool loc_equal(const struct loc_key *a, const struct loc_key *b)
{
	return a->found == b->found && a->has_coords == b->has_coords && a->lat == b->lat &&
	       a->lon == b->lon && memcmp(a->country, b->country, sizeof(a->country)) == 0 &&
	       memcmp(a->continent, b->continent, sizeof(a->continent)) == 0;
}

static void grow_locs(struct build *b)
{
	size_t mask = (b->loc_mask + 1) * 2 - 1;
	uint32_t *slots = xcalloc(mask + 1, sizeof(*slots));

	for (size_t i = 0; i < b->loc_count; i++) {
		size_t s = loc_hash(&b->locs[i]) & mask;

		while (slots[s] != 0)
			s = (s + 1) & mask;
		slots[s] = (uint32_t)i + 1;
	}
	free(b->loc_slots);
	b->loc_slots = slots;
	b->loc_mask = mask;
}

/* geo_map_classify_many_fn: the ranking of loc in every map of the set,
 * ranked once per distinct location. */
static void classify(const struct geo_location *loc, void *ctx, uint32_t *classes)
{
	struct build *b = ctx;
	struct loc_key k;
	size_t s;

	loc_key_of(loc, &k);
	for (s = loc_hash(&k) & b->loc_mask; b->loc_slots[s] != 0; s = (s + 1) & b->loc_mask) {
		uint32_t i = b->loc_slots[s] - 1;

		if (loc_equal(&b->locs[i], &k)) {
			memcpy(classes, &b->loc_classes[(size_t)i * b->count],
			       b->count * sizeof(*classes));
			return;
		}
	}
	if (loc->has_coords) {
		double where[3] = {loc->xyz[0], loc->xyz[1], loc->xyz[2]};

		for (size_t dc = 0; dc < b->cfg->datacenter_count; dc++) {
			const struct config_datacenter *d = &b->cfg->datacenters[dc];
			double tmp[3];
			const double *xyz = d->xyz;

			if (xyz[0] == 0.0 && xyz[1] == 0.0 && xyz[2] == 0.0) {
				geo_unit_vector(d->lat, d->lon, tmp);
				xyz = tmp;
			}
			b->chord[dc] = geo_chord2(where, xyz);
		}
	}
	for (size_t i = 0; i < b->count; i++) {
		struct lb_decision *d = b->scratch;
		int16_t region;
		bool truncated;

		lb_rank_location(b->cfg, b->pools[i], b->all_up, &b->regions, loc,
				 loc->has_coords ? b->chord : NULL, d, &region, &truncated);
		classes[i] =
		    add_ranking(b, (uint8_t)d->reason, region, d->cands, d->cand_count, truncated);
	}
	if (b->loc_count == b->loc_cap) {
		b->loc_cap = b->loc_cap * 2 + 1024;
		b->locs = xreallocarray(b->locs, b->loc_cap, sizeof(*b->locs));
		b->loc_classes =
		    xreallocarray(b->loc_classes, b->loc_cap * b->count, sizeof(*b->loc_classes));
	}
	b->locs[b->loc_count] = k;
	memcpy(&b->loc_classes[b->loc_count * b->count], classes, b->count * sizeof(*classes));
	b->loc_slots[s] = (uint32_t)++b->loc_count;
	if (b->loc_count * 2 > b->loc_mask)
		grow_locs(b);
}

/* Does the answer of pool depend on the client's location? */
static bool pool_is_located(const struct config_pool *pool)
{
	return pool->policy == POOL_NEAREST || pool->policy == POOL_LATENCY ||
	       pool->country_count > 0 || pool->continent_count > 0;
}

/* A growing byte string. */
struct keybuf {
	uint8_t *p; /* bytes */
	size_t len; /* in use */
	size_t cap; /* allocated */
};

static void key_put(struct keybuf *k, const void *v, size_t len)
{
	if (k->len + len > k->cap) {
		k->cap = (k->len + len) * 2 + 64;
		k->p = xreallocarray(k->p, k->cap, 1);
	}
	memcpy(k->p + k->len, v, len);
	k->len += len;
}

static void key_u64(struct keybuf *k, uint64_t v)
{
	key_put(k, &v, sizeof(v));
}

static void key_list(struct keybuf *k, const struct config *cfg, const size_t *dcs, size_t n)
{
	key_u64(k, n);
	for (size_t i = 0; i < n; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[dcs[i]];

		key_u64(k, dcs[i]);
		key_put(k, &dc->lat, sizeof(dc->lat));
		key_put(k, &dc->lon, sizeof(dc->lon));
		key_put(k, dc->xyz, sizeof(dc->xyz));
	}
}

static void key_overrides(struct keybuf *k, const struct config *cfg,
			  const struct config_override *o, size_t n)
{
	key_u64(k, n);
	for (size_t i = 0; i < n; i++) {
		key_put(k, o[i].code, strlen(o[i].code) + 1);
		key_list(k, cfg, o[i].dcs, o[i].dc_count);
	}
}

/* The probe regions of cfg, as latency rankings place them. */
static size_t place_regions(const struct config *cfg, double **lat, double **lon)
{
	*lat = xcalloc(cfg->probe_count + 1, sizeof(**lat));
	*lon = xcalloc(cfg->probe_count + 1, sizeof(**lon));
	return latency_regions_place(cfg, *lat, *lon, NULL);
}

/* Append the input of located pool to k: everything its map depends on
 * but the database (rlat/rlon: the rlen probe regions). Pools with equal
 * inputs rank every location alike. */
static void key_input(struct keybuf *k, const struct config *cfg, const struct config_pool *pool,
		      const double *rlat, const double *rlon, size_t rlen)
{
	uint64_t kind = pool->policy == POOL_NEAREST ? 1 : pool->policy == POOL_LATENCY ? 2 : 3;
	size_t n = pool->dc_count < LB_MAX_POOL_DCS ? pool->dc_count : LB_MAX_POOL_DCS;
	size_t keep = lb_answer_limit(pool) + LB_RANK_SPARE;

	key_u64(k, kind);
	/* a nearest ranking keeps the answers + LB_RANK_SPARE nearest (0: all) */
	key_u64(k, kind == 1 && keep < n ? keep : 0);
	key_list(k, cfg, pool->dcs, pool->dc_count);
	key_overrides(k, cfg, pool->countries, pool->country_count);
	key_overrides(k, cfg, pool->continents, pool->continent_count);
	if (kind == 2) {
		key_u64(k, rlen);
		key_put(k, rlat, rlen * sizeof(*rlat));
		key_put(k, rlon, rlen * sizeof(*rlon));
	}
}

/* Compile the maps of m at todo[0..n-1] (pools[j] a pool of todo[j]'s
 * input) in one set. */
static int compile_set(struct lb_maps *m, const struct config *cfg, const struct geo_db *geo,
		       const size_t *todo, const size_t *pools, size_t n, struct gslb_err *err)
{
	struct build b;
	struct lb_compiled *c = xcalloc(1, sizeof(*c));
	struct geo_location none;
	struct geo_map_set_stats st;
	double *rlat, *rlon;
	uint32_t *unlocated = xmalloc(n * sizeof(*unlocated));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1 : cpus > LB_MAPS_THREADS ? LB_MAPS_THREADS : (unsigned)cpus;
	int rc;

	atomic_init(&c->refs, 1);
	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.all_up = xmalloc(cfg->datacenter_count + 1);
	memset(b.all_up, 1, cfg->datacenter_count + 1);
	b.scratch = xmalloc(sizeof(*b.scratch));
	b.chord = xcalloc(cfg->datacenter_count + 1, sizeof(*b.chord));
	b.pools = pools;
	b.count = n;
	b.c = c;
	b.slot_mask = 1023;
	b.slots = xcalloc(b.slot_mask + 1, sizeof(*b.slots));
	b.loc_mask = 4095;
	b.loc_slots = xcalloc(b.loc_mask + 1, sizeof(*b.loc_slots));
	b.regions.region_count = place_regions(cfg, &rlat, &rlon);
	if (b.regions.region_count > 0) {
		b.regions.regions = xcalloc(b.regions.region_count, sizeof(*b.regions.regions));
		for (size_t r = 0; r < b.regions.region_count; r++) {
			b.regions.regions[r].lat = rlat[r];
			b.regions.regions[r].lon = rlon[r];
		}
	}
	free(rlat);
	free(rlon);

	/* Private addresses rank as unlocated ones: the walk keeps their
	 * blocks from merging with a neighbour. */
	memset(&none, 0, sizeof(none));
	classify(&none, &b, unlocated);
	rc = geo_map_set_build(geo, n, classify, &b, unlocated, threads, &c->set, err);
	free(b.all_up);
	free(b.scratch);
	free(b.chord);
	free(b.slots);
	free(b.loc_slots);
	free(b.locs);
	free(b.loc_classes);
	free(b.regions.regions);
	if (rc != 0) {
		free(unlocated);
		compiled_unref(c);
		return rc;
	}
	geo_map_set_stats(c->set, &st);
	c->bytes = sizeof(*c) + st.bytes + c->ranking_count * sizeof(*c->rankings) +
		   c->dc_count * sizeof(*c->dcs);
	c->leaves = st.leaves;
	for (size_t j = 0; j < n; j++) {
		struct lb_pool_map *pm = &m->maps[todo[j]];

		pm->map = geo_map_set_map(c->set, j);
		pm->rankings = c->rankings;
		pm->dcs = c->dcs;
		pm->unlocated = unlocated[j];
		pm->set = c;
	}
	m->sets = xreallocarray(m->sets, m->set_count + 1, sizeof(*m->sets));
	m->sets[m->set_count++] = c;
	m->stats.compiled = n;
	free(unlocated);
	return 0;
}

/* Take the map of prev whose input is pm's, if any, into m. */
static bool reuse(struct lb_maps *m, struct lb_pool_map *pm, const struct lb_maps *prev)
{
	for (size_t i = 0; prev != NULL && i < prev->map_count; i++) {
		const struct lb_pool_map *old = &prev->maps[i];
		bool held = false;

		if (old->key_len != pm->key_len || memcmp(old->key, pm->key, pm->key_len) != 0)
			continue;
		pm->map = old->map;
		pm->rankings = old->rankings;
		pm->dcs = old->dcs;
		pm->unlocated = old->unlocated;
		pm->set = old->set;
		for (size_t s = 0; s < m->set_count; s++)
			held = held || m->sets[s] == old->set;
		if (!held) {
			atomic_fetch_add(&old->set->refs, 1);
			m->sets = xreallocarray(m->sets, m->set_count + 1, sizeof(*m->sets));
			m->sets[m->set_count++] = old->set;
		}
		return true;
	}
	return false;
}

int lb_maps_build(const struct config *cfg, const struct geo_db *geo, const struct lb_maps *prev,
		  lb_progress_fn *progress, void *progress_arg, struct lb_maps **out,
		  struct gslb_err *err)
{
	struct lb_maps *m;
	uint64_t start = time_mono_us(), digest;
	double *rlat, *rlon;
	size_t rlen, *todo, *pools, n = 0, located = 0, taken = 0;
	int rc = 0;

	*out = NULL;
	if (geo == NULL || cfg->pool_count == 0)
		return 0;
	digest = geo_db_digest(geo);
	rlen = place_regions(cfg, &rlat, &rlon);
	m = xcalloc(1, sizeof(*m));
	m->pool_map = xmalloc(cfg->pool_count * sizeof(*m->pool_map));
	m->maps = xcalloc(cfg->pool_count, sizeof(*m->maps));
	todo = xcalloc(cfg->pool_count, sizeof(*todo));
	pools = xcalloc(cfg->pool_count, sizeof(*pools));
	for (size_t p = 0; p < cfg->pool_count; p++) {
		struct keybuf k = {NULL, 0, 0};
		struct lb_pool_map *pm;

		m->pool_map[p] = UINT32_MAX;
		if (!pool_is_located(&cfg->pools[p]))
			continue;
		located++;
		key_u64(&k, digest);
		key_input(&k, cfg, &cfg->pools[p], rlat, rlon, rlen);
		for (size_t i = 0; i < m->map_count; i++) {
			if (m->maps[i].key_len == k.len &&
			    memcmp(m->maps[i].key, k.p, k.len) == 0) {
				m->pool_map[p] = (uint32_t)i;
				break;
			}
		}
		if (m->pool_map[p] != UINT32_MAX) {
			free(k.p);
			continue;
		}
		pm = &m->maps[m->map_count];
		pm->key = k.p;
		pm->key_len = k.len;
		m->pool_map[p] = (uint32_t)m->map_count++;
		if (reuse(m, pm, prev)) {
			m->stats.reused++;
		} else {
			todo[n] = m->map_count - 1;
			pools[n++] = p;
		}
	}
	free(rlat);
	free(rlon);
	/* progress: the pools whose map is taken from prev, then all */
	for (size_t p = 0; p < cfg->pool_count; p++)
		taken += m->pool_map[p] != UINT32_MAX && m->maps[m->pool_map[p]].set != NULL;
	if (progress != NULL)
		progress(progress_arg, taken, located);
	if (n > 0)
		rc = compile_set(m, cfg, geo, todo, pools, n, err);
	if (rc == 0 && progress != NULL)
		progress(progress_arg, located, located);
	free(todo);
	free(pools);
	if (rc != 0 || m->map_count == 0) {
		lb_maps_free(m);
		return rc;
	}
	m->stats.maps = m->map_count;
	for (size_t s = 0; s < m->set_count; s++) {
		m->stats.bytes += m->sets[s]->bytes;
		m->stats.leaves += m->sets[s]->leaves;
		m->stats.rankings += m->sets[s]->ranking_count;
	}
	m->stats.build_us = time_mono_us() - start;
	*out = m;
	return 0;
}

void lb_maps_free(struct lb_maps *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->map_count; i++)
		free(m->maps[i].key);
	for (size_t s = 0; s < m->set_count; s++)
		compiled_unref(m->sets[s]);
	free(m->sets);
	free(m->maps);
	free(m->pool_map);
	free(m);
}

void lb_maps_stats(const struct lb_maps *m, struct lb_maps_stats *out)
{
	if (m == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = m->stats;
}

size_t lb_maps_key(const struct config *cfg, const struct geo_db *geo, uint8_t **out)
{
	struct keybuf k = {NULL, 0, 0};
	double *rlat, *rlon;
	size_t rlen = place_regions(cfg, &rlat, &rlon);

	key_u64(&k, geo != NULL ? geo_db_digest(geo) : 0);
	key_u64(&k, cfg->pool_count);
	for (size_t p = 0; p < cfg->pool_count; p++) {
		const struct config_pool *pool = &cfg->pools[p];
		bool located = pool_is_located(pool);

		key_u64(&k, located);
		if (located)
			key_input(&k, cfg, pool, rlat, rlon, rlen);
	}
	free(rlat);
	free(rlon);
	*out = k.p;
	return k.len;
}

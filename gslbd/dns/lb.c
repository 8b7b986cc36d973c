/* Load-balanced names: the policy engine behind lb_decide().
 *
 * Runs on every DNS worker at once for every query of a load-balanced name:
 * it reads only the config, the health bytes and the GeoIP database, writes
 * only the caller's struct lb_decision, keeps no state between calls and
 * allocates nothing. Pools hold at most LB_MAX_POOL_DCS datacenters, so the
 * candidates are ranked with an insertion sort on a precomputed key (stable:
 * ties keep the listed order). Nearest ranks by the squared chord between
 * the client's unit vector and each datacenter's (config_datacenter.xyz),
 * which orders as the great-circle distance does, so ranking needs no
 * trigonometry: the client's unit vector comes with its GeoIP record, and
 * kilometres are computed only for explain (lb_decision_distances()).
 *
 * The latency policy reads the latency table of the snapshot: it takes the
 * probe region nearest the client and ranks the pool's datacenters by that
 * region's order (hysteresis is already applied when the table is built),
 * then the datacenters the region has no RTT for, nearest first. Without a
 * located client, a table, or an RTT from that region for any datacenter of
 * the pool, it decides as nearest.
 *
 * Compiled maps (lb_maps_build() in lb_maps.c, at load, off the DNS
 * threads) replace the GeoIP lookup and the distance ranking of every pool
 * that has them: the map gives the client's class, whose ranking was made
 * by lb_rank_location(), this same rank_pool() code (or, for a plain
 * nearest ranking, the same stable order of the same distances), from the
 * class's location, so compiled and direct decisions are the same by
 * construction (and check_lb checks it). */
#include <config.h>

#include "gslbd/dns/lb.h"

#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/hash.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "geo/geo_map.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lb-internal.h"

/* The DNS type AAAA (RFC 3596). Every other qtype is decided as A. */
#define QTYPE_AAAA 28

/* 2^-53: scales the top 53 bits of a hash into [0, 1). */
#define TWO_POW_MINUS_53 (1.0 / 9007199254740992.0)

/* Zero the bits of addr (len bytes) past the first prefix bits. */
static void mask_bits(uint8_t *addr, size_t len, unsigned prefix)
{
	size_t keep = prefix / 8;

	if (keep >= len)
		return;
	if (prefix % 8 != 0)
		addr[keep++] &= (uint8_t)(0xff << (8 - prefix % 8));
	memset(addr + keep, 0, len - keep);
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

void lb_client_init(struct lb_client *c, int ecs_family, uint8_t ecs_prefix,
		    const uint8_t *ecs_addr, const struct sockaddr *resolver)
{
	memset(c, 0, sizeof(*c));
	if (ecs_family == 1 || ecs_family == 2) {
		unsigned max = ecs_family == 1 ? LB_ECS_V4_MAX : LB_ECS_V6_MAX;
		unsigned prefix = ecs_prefix < max ? ecs_prefix : max;
		size_t bytes = (prefix + 7) / 8;

		c->family = ecs_family == 1 ? AF_INET : AF_INET6;
		c->prefix = (uint8_t)prefix;
		c->from_ecs = true;
		/* The option carries ceil(source prefix / 8) bytes; the cut
		 * prefix never needs more. */
		if (bytes > 0)
			memcpy(c->addr, ecs_addr, bytes);
		mask_bits(c->addr, sizeof(c->addr), prefix);
		return;
	}
	if (resolver == NULL)
		return; /* family 0: an unknown client, decided as unlocated */
	if (resolver->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)resolver;

		c->family = AF_INET;
		memcpy(c->addr, &sin->sin_addr, 4);
		c->prefix = 32;
	} else if (resolver->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)resolver;
		const uint8_t *a = (const uint8_t *)&sin6->sin6_addr;

		if (is_v4_mapped(a)) {
			c->family = AF_INET;
			memcpy(c->addr, a + 12, 4);
			c->prefix = 32;
		} else {
			c->family = AF_INET6;
			memcpy(c->addr, a, 16);
			c->prefix = 128;
		}
	}
}

const char *lb_policy_name(int policy)
{
	switch (policy) {
	case POOL_NEAREST:
		return "nearest";
	case POOL_FAILOVER:
		return "failover";
	case POOL_WEIGHTED:
		return "weighted";
	case POOL_ALL:
		return "all";
	case POOL_LATENCY:
		return "latency";
	case POOL_LEAST_LOAD:
		return "least_load";
	}
	return "unknown";
}

const char *lb_reason_name(enum lb_reason reason)
{
	switch (reason) {
	case LB_REASON_POLICY:
		return "policy";
	case LB_REASON_COUNTRY:
		return "country";
	case LB_REASON_CONTINENT:
		return "continent";
	case LB_REASON_UNLOCATED:
		return "unlocated";
	case LB_REASON_LATENCY:
		return "latency";
	case LB_REASON_LOAD:
		return "load";
	}
	return "unknown";
}

/* A datacenter's hash: FNV-1a over its name, mixed. Depends on the name
 * only, so renumbering datacenters in the config moves no client. */
static uint64_t name_hash(const char *name)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= UINT64_C(0x100000001b3);
	}
	return hash_mix64(h);
}

static uint64_t load_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

/* The sticky key of a client: its family and its address cut to /24 (IPv4)
 * or /56 (IPv6), or to the ECS source prefix when that is shorter. */
static uint64_t subnet_key(const struct lb_client *c)
{
	uint8_t a[16];
	unsigned max = c->family == AF_INET6 ? LB_ECS_V6_MAX : LB_ECS_V4_MAX;
	unsigned prefix = c->prefix < max ? c->prefix : max;
	uint64_t k;

	memcpy(a, c->addr, sizeof(a));
	mask_bits(a, sizeof(a), prefix);
	k = hash_mix64(load_be64(a) ^ ((uint64_t)(unsigned)c->family << 56) ^
		  UINT64_C(0x9e3779b97f4a7c15));
	return hash_mix64(k ^ load_be64(a + 8));
}

/* Rendezvous score of a datacenter for key: -weight / ln(u), u uniform in
 * (0, 1) from the hash of (key, datacenter). Higher wins; the winner among
 * any set is drawn with probability proportional to weight. */
static double rendezvous_score(uint64_t key, const struct config_datacenter *dc)
{
	uint64_t h = hash_mix64(key ^ name_hash(dc->name));
	double u = (double)(h >> 11) * TWO_POW_MINUS_53;

	if (u == 0.0)
		u = TWO_POW_MINUS_53;
	return -(double)dc->weight / log(u);
}

/* Where the client is, looked up at most once per decision. */
struct locate_state {
	bool done;         /* the lookup (or the decision not to) has been made */
	uint8_t scope;     /* ECS scope of a location-dependent decision */
	uint8_t block_len; /* when out->is_private: prefix length of the private block */
};

static uint8_t min_u8(unsigned a, unsigned b)
{
	return (uint8_t)(a < b ? a : b);
}

static void locate(const struct geo_db *geo, struct geo_cache *cache,
		   const struct lb_client *client, struct locate_state *ls, struct lb_decision *out)
{
	if (ls->done)
		return;
	ls->done = true;
	ls->scope = 0;
	if (geo == NULL || (client->family != AF_INET && client->family != AF_INET6))
		return; /* nothing can depend on a location we cannot have */
	if (out->is_private) {
		ls->scope = min_u8(ls->block_len, client->prefix);
		return;
	}
	/* On an error the lookup leaves "not found, prefix_len 0": scope 0. */
	(void)geo_db_lookup_cached(geo, cache, client->family, client->addr, &out->loc);
	ls->scope = min_u8(out->loc.prefix_len, client->prefix);
}

static const struct config_override *find_override(const struct config_override *list, size_t count,
						   const char *code)
{
	if (code[0] == '\0')
		return NULL;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(list[i].code, code) == 0)
			return &list[i];
	}
	return NULL;
}

_Static_assert(LB_MAX_POOL_DCS <= 256, "candidate indexes are bytes");

/* Stable sort of the n candidates at c by key[] ascending (one entry per
 * candidate, read only). An insertion sort of their indexes, then one pass
 * moving the candidates, which are bigger than an index. */
static void sort_cands(struct lb_candidate *c, const double *key, unsigned n)
{
	uint8_t idx[LB_MAX_POOL_DCS];
	struct lb_candidate sorted[LB_MAX_POOL_DCS];
	bool moved = false;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;

		while (j > 0 && key[idx[j - 1]] > key[i]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = (uint8_t)i;
		moved = moved || j != i;
	}
	if (!moved)
		return;
	for (unsigned i = 0; i < n; i++)
		sorted[i] = c[idx[i]];
	memcpy(c, sorted, n * sizeof(*c));
}

/* The probe region nearest to (lat, lon), or -1 when t has none. Ties go to
 * the first region of the table. */
static int nearest_region(const struct latency_table *t, double lat, double lon)
{
	int best = -1;
	double best_km = 0.0;

	if (t == NULL || t->regions == NULL)
		return -1;
	for (size_t i = 0; i < t->region_count && i <= (size_t)INT_MAX; i++) {
		const struct latency_region *r = &t->regions[i];
		double km = geo_distance_km(lat, lon, r->lat, r->lon);

		if (best < 0 || km < best_km) {
			best = (int)i;
			best_km = km;
		}
	}
	return best;
}

/* Rank the candidates (already in nearest order) by region r: the
 * datacenters in r->order first, in that order, then the others as they are.
 * Fills cands[].rtt_ms. Returns false, leaving the candidates as they were,
 * when r ranks none of them. */
static bool rank_latency(const struct latency_region *r, struct lb_decision *out)
{
	double rank[LB_MAX_POOL_DCS];
	bool any = false;

	for (unsigned i = 0; i < out->cand_count; i++) {
		rank[i] = (double)UINT_MAX;
		for (size_t k = 0; k < r->order_count && k < UINT_MAX; k++) {
			if (r->order[k] == out->cands[i].dc) {
				rank[i] = (double)k;
				any = true;
				break;
			}
		}
	}
	if (!any)
		return false;
	for (unsigned i = 0; i < out->cand_count; i++) {
		double rtt = r->rtt_ms != NULL ? r->rtt_ms[out->cands[i].dc] : -1.0;

		out->cands[i].rtt_ms = rtt >= 0.0 ? rtt : -1.0;
	}
	sort_cands(out->cands, rank, out->cand_count);
	return true;
}

/* The unit vector of dc: its xyz, or when that was never set (all zero,
 * which no unit vector is) computed into tmp. */
static const double *dc_xyz(const struct config_datacenter *dc, double tmp[3])
{
	if (dc->xyz[0] != 0.0 || dc->xyz[1] != 0.0 || dc->xyz[2] != 0.0)
		return dc->xyz;
	geo_unit_vector(dc->lat, dc->lon, tmp);
	return tmp;
}

static bool dc_has_family(const struct config_datacenter *dc, uint16_t qtype)
{
	if (dc->cname != NULL)
		return true;
	return qtype == QTYPE_AAAA ? dc->ipv6_count > 0 : dc->ipv4_count > 0;
}

/* Where rank_pool() takes the client's location from. */
struct rank_src {
	const struct geo_db *geo;      /* direct lookups (NULL: no database) */
	struct geo_cache *cache;       /* their cache (NULL: none) */
	const struct lb_maps *maps;    /* compiled decisions (NULL: look up directly) */
	bool located_only;             /* compiling: stop at the location-dependent order */
};

/* Fill candidate c for datacenter dc. */
static bool fill_cand(const struct config *cfg, const uint8_t *dc_up, size_t dc, uint16_t qtype,
		      struct lb_candidate *c)
{
	c->dc = (uint16_t)dc;
	c->up = dc_up[dc] != 0;
	c->has_family = dc_has_family(&cfg->datacenters[dc], qtype);
	c->chord2 = -1.0;
	c->distance_km = -1.0;
	c->score = 0.0;
	c->rtt_ms = -1.0;
	c->spilled = false;
	return c->has_family;
}

/* The place of dc in the load ranking of lat (UINT16_MAX: not ranked). */
static uint16_t load_rank(const struct latency_table *lat, uint16_t dc)
{
	if (lat->load_rank != NULL)
		return lat->load_rank[dc];
	for (size_t k = 0; k < lat->load_order_count && k < UINT16_MAX; k++)
		if (lat->load_order[k] == dc)
			return (uint16_t)k;
	return UINT16_MAX;
}

/* least_load: the candidates in the order of the load ranking, those
 * without a known utilisation after them as they were. Returns false,
 * leaving them be, when the ranking holds none of them. */
static bool rank_load(const struct latency_table *lat, struct lb_decision *out)
{
	double rank[LB_MAX_POOL_DCS];
	bool any = false;

	for (unsigned i = 0; i < out->cand_count; i++) {
		uint16_t r = load_rank(lat, out->cands[i].dc);

		rank[i] = (double)r;
		any = any || r != UINT16_MAX;
	}
	if (any)
		sort_cands(out->cands, rank, out->cand_count);
	return any;
}

/* Order the candidates by the per-query parts of the policy: weighted
 * rendezvous hashing, latency rankings (region: the probe region nearest
 * the client, -1 when none or not located). Returns the scope they need. */
static uint8_t rank_query(const struct config *cfg, const struct latency_table *lat,
			  const struct config_pool *pool, const struct lb_client *client,
			  uint64_t rnd, int region, struct lb_decision *out)
{
	double key[LB_MAX_POOL_DCS];

	switch (pool->policy) {
	case POOL_LATENCY:
		if (region >= 0 && lat != NULL && lat->regions != NULL &&
		    (size_t)region < lat->region_count && rank_latency(&lat->regions[region], out)) {
			out->reason = LB_REASON_LATENCY;
			out->region = region;
		}
		return 0;
	case POOL_WEIGHTED: {
		uint64_t hkey;
		uint8_t scope = 0;

		if (pool->weighted_random) {
			hkey = hash_mix64(rnd ^ UINT64_C(0xd6e8feb86659fd93));
		} else {
			scope = min_u8(client->family == AF_INET6 ? LB_ECS_V6_MAX : LB_ECS_V4_MAX,
				       client->prefix);
			hkey = subnet_key(client);
		}
		for (unsigned i = 0; i < out->cand_count; i++) {
			out->cands[i].score =
			    rendezvous_score(hkey, &cfg->datacenters[out->cands[i].dc]);
			key[i] = -out->cands[i].score;
		}
		sort_cands(out->cands, key, out->cand_count);
		return scope;
	}
	case POOL_LEAST_LOAD:
		/* rank_pool() fills a pool's own list in this order already */
		if (out->reason != LB_REASON_LOAD && lat != NULL && lat->load_order != NULL &&
		    rank_load(lat, out))
			out->reason = LB_REASON_LOAD;
		return 0;
	case POOL_NEAREST:
	case POOL_FAILOVER:
	case POOL_ALL:
		break;
	}
	return 0;
}

/* The key of the client's network for spill-over: its family and address
 * cut to /24 (IPv4) or /56 (IPv6), or to the shorter ECS source prefix. */
static uint64_t spill_key(const struct lb_client *c)
{
	if (c->family == AF_INET6) {
		unsigned prefix = c->prefix < LB_ECS_V6_MAX ? c->prefix : LB_ECS_V6_MAX;
		uint64_t hi = load_be64(c->addr);

		hi &= prefix == 0 ? 0 : ~UINT64_C(0) << (64 - prefix);
		return hash_mix64(hi ^ UINT64_C(0x6a09e667f3bcc909));
	} else {
		unsigned prefix = c->prefix < LB_ECS_V4_MAX ? c->prefix : LB_ECS_V4_MAX;
		uint32_t a = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 |
			     (uint32_t)c->addr[2] << 8 | c->addr[3];

		a &= prefix == 0 ? 0 : ~UINT32_C(0) << (32 - prefix);
		return hash_mix64(((uint64_t)a << 8) ^ UINT64_C(0xbb67ae8584caa73b));
	}
}

/* The ECS scope of an answer that depends on a hash of the client's
 * network (spill_key()). */
static uint8_t subnet_scope(const struct lb_client *c)
{
	return min_u8(c->family == AF_INET6 ? LB_ECS_V6_MAX : LB_ECS_V4_MAX, c->prefix);
}

/* Spill-over (nearest, latency and failover pools): walking the ranking, a
 * datacenter that keeps only part of its clients (lat->loads[].keep) keeps
 * this client when the hash of its network is below the threshold; else
 * the candidate is marked spilled, and choose() takes it only after every
 * candidate that is not, so the client goes to the next choice. Stops once
 * the answer is full of kept eligible candidates: what comes after cannot
 * change it. Returns the scope the decision now depends on (0 when no hash
 * was compared). */
static uint8_t apply_spill(const struct config_pool *pool, const struct latency_table *lat,
			   const struct lb_client *client, unsigned limit, struct lb_decision *out)
{
	unsigned filled = 0;
	uint64_t key = 0;
	bool keyed = false;

	if (lat == NULL || lat->loads == NULL ||
	    (pool->policy != POOL_NEAREST && pool->policy != POOL_LATENCY &&
	     pool->policy != POOL_FAILOVER))
		return 0;
	for (unsigned i = 0; i < out->cand_count && filled < limit; i++) {
		struct lb_candidate *c = &out->cands[i];
		uint64_t keep;

		if (!c->up || !c->has_family)
			continue;
		keep = lat->loads[c->dc].keep;
		if (keep < LATENCY_KEEP_ALL) {
			if (!keyed) {
				key = spill_key(client);
				keyed = true;
			}
			if ((hash_mix64(key ^ lat->loads[c->dc].salt) >> 32) >= keep) {
				c->spilled = true;
				continue;
			}
		}
		filled++;
	}
	return keyed ? subnet_scope(client) : 0;
}

/* Round robin of an answer of several address datacenters: rotate
 * out->chosen by a per-thread counter (evenly, or with each datacenter
 * first by its weight's share). */
static void rotate_chosen(const struct config *cfg, const struct config_pool *pool,
			  struct lb_decision *out)
{
	static _Thread_local uint32_t counter;
	uint16_t tmp[LB_MAX_ANSWERS];
	unsigned n = out->chosen_count, start = 0;
	uint32_t turn;

	if (pool->rotate == POOL_ROTATE_OFF || n < 2 || out->cname)
		return;
	turn = counter++;
	if (pool->rotate == POOL_ROTATE_WEIGHTED) {
		uint64_t total = 0, t;

		for (unsigned i = 0; i < n; i++)
			total += cfg->datacenters[out->chosen[i]].weight;
		t = total > 0 ? (uint64_t)turn % total : 0;
		for (start = 0; start + 1 < n; start++) {
			uint64_t w = cfg->datacenters[out->chosen[start]].weight;

			if (t < w)
				break;
			t -= w;
		}
	} else {
		start = turn % n;
	}
	if (start == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		tmp[i] = out->chosen[(start + i) % n];
	memcpy(out->chosen, tmp, n * sizeof(*tmp));
}

/* rank_pool() from a compiled map: one walk of the map, the class's
 * ranking copied, then the per-query parts. */
static uint8_t rank_compiled(const struct config *cfg, const struct lb_pool_map *pm,
			     const uint8_t *dc_up, const struct latency_table *lat,
			     const struct config_pool *pool, uint16_t qtype,
			     const struct lb_client *client, uint64_t rnd, struct lb_decision *out,
			     bool *any_family, bool *truncated)
{
	const struct lb_ranking *rk;
	uint8_t scope = 0, s;
	uint32_t cls = pm->unlocated;

	if (client->family == AF_INET || client->family == AF_INET6) {
		uint8_t depth = 0;

		cls = geo_map_lookup(pm->map, client->family, client->addr, &depth);
		scope = min_u8(depth, client->prefix);
	}
	rk = &pm->rankings[cls];
	*truncated = rk->truncated;
	out->reason = (enum lb_reason)rk->reason;
	out->region = -1;
	out->cand_count = rk->count;
	*any_family = false;
	for (unsigned i = 0; i < rk->count; i++)
		*any_family |= fill_cand(cfg, dc_up, pm->dcs[rk->first + i], qtype, &out->cands[i]);
	if (out->reason == LB_REASON_COUNTRY || out->reason == LB_REASON_CONTINENT)
		return scope; /* an override is the whole preference list, in its order */
	if (pool->policy == POOL_LATENCY && out->reason == LB_REASON_UNLOCATED)
		return scope;
	s = rank_query(cfg, lat, pool, client, rnd, rk->region, out);
	return s > scope ? s : scope;
}

/* Fill out->cands with the ranked candidates of pool, out->reason and
 * out->region (lat: the latency table, may be NULL).
 * Returns the ECS scope this ranking depends on; *any_family tells whether
 * some candidate can answer qtype at all. */
static uint8_t rank_pool(const struct config *cfg, const struct rank_src *src,
			 const uint8_t *dc_up, const struct latency_table *lat, size_t pool_idx,
			 uint16_t qtype, const struct lb_client *client, uint64_t rnd,
			 struct locate_state *ls, struct lb_decision *out, bool *any_family,
			 bool *truncated)
{
	const struct config_pool *pool = &cfg->pools[pool_idx];
	double key[LB_MAX_POOL_DCS]; /* sort keys, one per candidate */
	uint8_t idx[LB_MAX_POOL_DCS]; /* the order the pool's datacenters are filled in */
	double where[3];             /* the client's unit vector (when located) */
	bool by_distance;
	const struct config_override *ov = NULL;
	const size_t *list = pool->dcs;
	size_t n = pool->dc_count;
	bool has_overrides = pool->country_count > 0 || pool->continent_count > 0;
	/* latency needs the location too: for its region, and as nearest */
	bool nearest = pool->policy == POOL_NEAREST || pool->policy == POOL_LATENCY;
	uint8_t scope = 0, s;
	int region = -1;

	*truncated = false;
	if (src->maps != NULL && src->maps->pool_map[pool_idx] != UINT32_MAX)
		return rank_compiled(cfg, &src->maps->maps[src->maps->pool_map[pool_idx]], dc_up,
				     lat, pool, qtype, client, rnd, out, any_family, truncated);
	out->reason = LB_REASON_POLICY;
	out->region = -1;
	if (nearest || has_overrides) {
		locate(src->geo, src->cache, client, ls, out);
		scope = ls->scope;
	}
	if (has_overrides && out->loc.found) {
		ov = find_override(pool->countries, pool->country_count, out->loc.country);
		if (ov != NULL) {
			out->reason = LB_REASON_COUNTRY;
		} else {
			ov = find_override(pool->continents, pool->continent_count,
					   out->loc.continent);
			if (ov != NULL)
				out->reason = LB_REASON_CONTINENT;
		}
		if (ov != NULL) {
			list = ov->dcs;
			n = ov->dc_count;
		}
	}
	if (n > LB_MAX_POOL_DCS)
		n = LB_MAX_POOL_DCS;

	by_distance = nearest && out->loc.has_coords;
	for (int k = 0; by_distance && k < 3; k++)
		where[k] = out->loc.xyz[k];
	*any_family = false;
	out->cand_count = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint8_t)i;
	if (pool->policy == POOL_LEAST_LOAD && ov == NULL && lat != NULL &&
	    lat->load_order_count > 0) {
		/* filled in the load ranking's order (stable: unranked ones keep
		 * the listed order, after the ranked ones) */
		uint16_t rank[LB_MAX_POOL_DCS];
		bool any = false;

		for (size_t i = 0; i < n; i++) {
			rank[i] = load_rank(lat, (uint16_t)list[i]);
			any = any || rank[i] != UINT16_MAX;
		}
		for (size_t i = 1; i < n; i++) {
			uint8_t x = idx[i];
			size_t j = i;

			while (j > 0 && rank[idx[j - 1]] > rank[x]) {
				idx[j] = idx[j - 1];
				j--;
			}
			idx[j] = x;
		}
		if (any)
			out->reason = LB_REASON_LOAD;
	}
	for (size_t i = 0; i < n; i++) {
		struct lb_candidate *c = &out->cands[i];
		double xyz[3];

		*any_family |= fill_cand(cfg, dc_up, list[idx[i]], qtype, c);
		if (by_distance) {
			key[i] = geo_chord2(where, dc_xyz(&cfg->datacenters[list[i]], xyz));
			c->chord2 = key[i];
		}
	}
	if (ov != NULL)
		return scope; /* an override is the whole preference list, in its order */

	if (nearest) {
		if (!out->loc.has_coords) {
			out->reason = LB_REASON_UNLOCATED;
			return scope;
		}
		sort_cands(out->cands, key, out->cand_count);
		if (pool->policy == POOL_LATENCY && !src->located_only)
			region = nearest_region(lat, out->loc.lat, out->loc.lon);
	}
	if (src->located_only)
		return scope;
	s = rank_query(cfg, lat, pool, client, rnd, region, out);
	return s > scope ? s : scope;
}

static unsigned answer_limit(const struct config_pool *pool)
{
	return lb_answer_limit(pool);
}

/* Pick the answer from the ranked candidates: the first eligible one alone
 * when it is a CNAME datacenter, else up to `answers` eligible address
 * datacenters; spilled candidates only after every other eligible one.
 * ignore_health answers down ones too (fail open). Returns true when a
 * spilled candidate was chosen. */
static bool choose(const struct config *cfg, const struct config_pool *pool,
		   struct lb_decision *out, bool ignore_health)
{
	unsigned limit = answer_limit(pool), before;
	bool any_spilled = false;

	out->chosen_count = 0;
	out->cname = false;
	for (int pass = 0; pass < 2; pass++) {
		before = out->chosen_count;
		for (unsigned i = 0; i < out->cand_count && out->chosen_count < limit; i++) {
			const struct lb_candidate *c = &out->cands[i];

			if (!c->has_family || (!c->up && !ignore_health))
				continue;
			if (c->spilled != (pass == 1)) {
				any_spilled = any_spilled || c->spilled;
				continue;
			}
			if (cfg->datacenters[c->dc].cname != NULL) {
				if (out->chosen_count == 0) {
					out->chosen[0] = c->dc;
					out->chosen_count = 1;
					out->cname = true;
					return pass == 1;
				}
				continue; /* a CNAME cannot sit beside addresses */
			}
			out->chosen[out->chosen_count++] = c->dc;
		}
		if (pass == 1)
			return out->chosen_count > before;
		if (!any_spilled || out->chosen_count >= limit)
			return false;
	}
	return false;
}

void lb_decide(const struct config *cfg, const struct geo_db *geo, struct geo_cache *cache,
	       const struct lb_maps *maps, const uint8_t *dc_up, const struct latency_table *lat,
	       size_t lbname, uint16_t qtype, const struct lb_client *client, uint64_t rnd,
	       struct lb_decision *out)
{
	struct locate_state ls = {false, 0, 0};
	const struct rank_src src = {geo, cache, maps, false};
	const struct rank_src direct = {geo, cache, NULL, false};
	size_t pool_idx = cfg->lbnames[lbname].pool;
	uint8_t scope = 0;

	/* Candidates past cand_count are never read: leave them be. */
	memset(out, 0, offsetof(struct lb_decision, cands));
	out->region = -1;
	out->asked_pool = pool_idx;
	if (client->family == AF_INET || client->family == AF_INET6)
		out->is_private = geo_addr_is_private(client->family, client->addr, &ls.block_len);

	for (unsigned hop = 0;; hop++) {
		const struct config_pool *pool = &cfg->pools[pool_idx];
		bool any_family, truncated;
		uint8_t s, sp;

		out->pool = pool_idx;
		out->ttl = pool->ttl;
		s = rank_pool(cfg, &src, dc_up, lat, pool_idx, qtype, client, rnd, &ls, out,
			      &any_family, &truncated);
		sp = apply_spill(pool, lat, client, answer_limit(pool), out);
		if (truncated) {
			/* enough of the kept datacenters eligible (and not spilled):
			 * the same answer as the whole ranking; else rank the whole
			 * pool directly */
			bool spilled = choose(cfg, pool, out, false);

			if (!out->cname && (out->chosen_count < answer_limit(pool) || spilled)) {
				s = rank_pool(cfg, &direct, dc_up, lat, pool_idx, qtype, client,
					      rnd, &ls, out, &any_family, &truncated);
				sp = apply_spill(pool, lat, client, answer_limit(pool), out);
			}
		}
		if (sp > s)
			s = sp;
		if (s > scope)
			scope = s;
		if (!any_family) {
			/* No datacenter of the pool has this family: NODATA,
			 * whatever the health. */
			out->chosen_count = 0;
			out->empty = true;
			break;
		}
		(void)choose(cfg, pool, out, false);
		if (out->chosen_count > 0) {
			rotate_chosen(cfg, pool, out);
			break;
		}
		if (pool->all_down == POOL_ALL_DOWN_FAIL_OPEN) {
			(void)choose(cfg, pool, out, true);
			out->failed_open = true;
			break;
		}
		if (pool->all_down == POOL_ALL_DOWN_FALLBACK && hop < LB_MAX_FALLBACKS &&
		    pool->fallback < cfg->pool_count) {
			pool_idx = pool->fallback;
			continue;
		}
		/* empty, or the fallback chain is longer than LB_MAX_FALLBACKS */
		out->empty = true;
		break;
	}
	out->scope = scope;
}

void lb_decision_distances(struct lb_decision *d)
{
	for (unsigned i = 0; i < d->cand_count && i < LB_MAX_POOL_DCS; i++) {
		struct lb_candidate *c = &d->cands[i];

		c->distance_km = c->chord2 >= 0.0 ? geo_chord2_km(c->chord2) : -1.0;
	}
}

void lb_rank_location(const struct config *cfg, size_t pool_idx, const uint8_t *all_up,
		      const struct latency_table *regions, const struct geo_location *loc,
		      const double *chord, struct lb_decision *d, int16_t *region, bool *truncated)
{
	static const struct rank_src src = {NULL, NULL, NULL, true};
	const struct config_pool *pool = &cfg->pools[pool_idx];
	unsigned keep = answer_limit(pool) + LB_RANK_SPARE;
	struct locate_state ls = {true, 0, 0};
	struct lb_client none;
	bool any_family;

	*region = -1;
	*truncated = false;
	if (chord != NULL && pool->policy == POOL_NEAREST && loc->has_coords &&
	    (!loc->found ||
	     (find_override(pool->countries, pool->country_count, loc->country) == NULL &&
	      find_override(pool->continents, pool->continent_count, loc->continent) == NULL))) {
		/* the nearest keep of the listed order sorted stably by
		 * distance, as rank_pool() sorts it and the truncation below
		 * cuts it: each datacenter goes after those not farther */
		size_t n = pool->dc_count < LB_MAX_POOL_DCS ? pool->dc_count : LB_MAX_POOL_DCS;
		unsigned count = 0;

		memset(d, 0, offsetof(struct lb_decision, cands));
		d->reason = LB_REASON_POLICY;
		d->region = -1;
		for (size_t i = 0; i < n; i++) {
			double key = chord[pool->dcs[i]];
			unsigned j = count;

			if (count == keep && !(key < chord[d->cands[count - 1].dc]))
				continue;
			if (count < keep)
				count++;
			else
				j = count - 1;
			while (j > 0 && chord[d->cands[j - 1].dc] > key) {
				d->cands[j].dc = d->cands[j - 1].dc;
				j--;
			}
			d->cands[j].dc = (uint16_t)pool->dcs[i];
		}
		d->cand_count = count;
		*truncated = n > keep;
		return;
	}
	memset(&none, 0, sizeof(none));
	memset(d, 0, offsetof(struct lb_decision, cands));
	d->loc = *loc;
	(void)rank_pool(cfg, &src, all_up, NULL, pool_idx, 1, &none, 0, &ls, d, &any_family,
			truncated);
	if (pool->policy == POOL_LATENCY && d->reason == LB_REASON_POLICY)
		*region = (int16_t)nearest_region(regions, loc->lat, loc->lon);
	/* latency reorders by region at query time: it keeps every datacenter */
	if (pool->policy == POOL_NEAREST && d->reason == LB_REASON_POLICY && d->cand_count > keep) {
		d->cand_count = keep;
		*truncated = true;
	}
}

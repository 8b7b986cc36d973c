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
 * the pool, it decides as nearest. */
#include <config.h>

#include "gslbd/dns/lb.h"

#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "common/hash.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"

/* The DNS type AAAA (RFC 3596). Every other qtype is decided as A. */
#define QTYPE_AAAA 28

/* 2^-53: scales the top 53 bits of a hash into [0, 1). */
#define TWO_POW_MINUS_53 (1.0 / 9007199254740992.0)

/* Zero the bits of addr (len bytes) past the first prefix bits. */
static void mask_bits(uint8_t *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		unsigned first = (unsigned)i * 8;

		if (first >= prefix)
			addr[i] = 0;
		else if (prefix - first < 8)
			addr[i] &= (uint8_t)(0xff << (8 - (prefix - first)));
	}
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

/* Fill out->cands with the ranked candidates of pool, out->reason and
 * out->region (lat: the latency table, may be NULL).
 * Returns the ECS scope this ranking depends on; *any_family tells whether
 * some candidate can answer qtype at all. */
static uint8_t rank_pool(const struct config *cfg, const struct geo_db *geo,
			 struct geo_cache *cache, const uint8_t *dc_up,
			 const struct latency_table *lat, const struct config_pool *pool,
			 uint16_t qtype, const struct lb_client *client, uint64_t rnd,
			 struct locate_state *ls, struct lb_decision *out, bool *any_family)
{
	double key[LB_MAX_POOL_DCS]; /* sort keys, one per candidate */
	double where[3];             /* the client's unit vector (when located) */
	bool by_distance;
	const struct config_override *ov = NULL;
	const size_t *list = pool->dcs;
	size_t n = pool->dc_count;
	bool has_overrides = pool->country_count > 0 || pool->continent_count > 0;
	/* latency needs the location too: for its region, and as nearest */
	bool nearest = pool->policy == POOL_NEAREST || pool->policy == POOL_LATENCY;
	uint8_t scope = 0;

	out->reason = LB_REASON_POLICY;
	out->region = -1;
	if (nearest || has_overrides) {
		locate(geo, cache, client, ls, out);
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
	for (size_t i = 0; i < n; i++) {
		struct lb_candidate *c = &out->cands[i];
		const struct config_datacenter *dc = &cfg->datacenters[list[i]];
		double xyz[3];

		c->dc = (uint16_t)list[i];
		c->up = dc_up[list[i]] != 0;
		c->has_family = dc_has_family(dc, qtype);
		c->chord2 = -1.0;
		c->distance_km = -1.0;
		c->score = 0.0;
		c->rtt_ms = -1.0;
		if (by_distance) {
			key[i] = geo_chord2(where, dc_xyz(dc, xyz));
			c->chord2 = key[i];
		}
		*any_family = *any_family || c->has_family;
	}
	if (ov != NULL)
		return scope; /* an override is the whole preference list, in its order */

	switch (pool->policy) {
	case POOL_NEAREST:
	case POOL_LATENCY:
		if (!out->loc.has_coords) {
			out->reason = LB_REASON_UNLOCATED;
			break;
		}
		sort_cands(out->cands, key, out->cand_count);
		if (pool->policy == POOL_LATENCY) {
			int r = nearest_region(lat, out->loc.lat, out->loc.lon);

			if (r >= 0 && rank_latency(&lat->regions[r], out)) {
				out->reason = LB_REASON_LATENCY;
				out->region = r;
			}
		}
		break;
	case POOL_WEIGHTED: {
		uint64_t hkey;

		if (pool->weighted_random) {
			hkey = hash_mix64(rnd ^ UINT64_C(0xd6e8feb86659fd93));
		} else {
			uint8_t sticky =
			    min_u8(client->family == AF_INET6 ? LB_ECS_V6_MAX : LB_ECS_V4_MAX,
				   client->prefix);

			hkey = subnet_key(client);
			if (sticky > scope)
				scope = sticky;
		}
		for (unsigned i = 0; i < out->cand_count; i++) {
			out->cands[i].score =
			    rendezvous_score(hkey, &cfg->datacenters[out->cands[i].dc]);
			key[i] = -out->cands[i].score;
		}
		sort_cands(out->cands, key, out->cand_count);
		break;
	}
	case POOL_FAILOVER:
	case POOL_ALL:
		break;
	}
	return scope;
}

/* Pick the answer from the ranked candidates: the first eligible one alone
 * when it is a CNAME datacenter, else up to `answers` eligible address
 * datacenters. ignore_health answers down ones too (fail open). */
static void choose(const struct config *cfg, const struct config_pool *pool,
		   struct lb_decision *out, bool ignore_health)
{
	unsigned limit = pool->answers;

	if (limit == 0)
		limit = 1;
	if (limit > LB_MAX_ANSWERS)
		limit = LB_MAX_ANSWERS;
	out->chosen_count = 0;
	out->cname = false;
	for (unsigned i = 0; i < out->cand_count && out->chosen_count < limit; i++) {
		const struct lb_candidate *c = &out->cands[i];

		if (!c->has_family || (!c->up && !ignore_health))
			continue;
		if (cfg->datacenters[c->dc].cname != NULL) {
			if (out->chosen_count == 0) {
				out->chosen[0] = c->dc;
				out->chosen_count = 1;
				out->cname = true;
				return;
			}
			continue; /* a CNAME cannot sit beside addresses */
		}
		out->chosen[out->chosen_count++] = c->dc;
	}
}

void lb_decide(const struct config *cfg, const struct geo_db *geo, struct geo_cache *cache,
	       const uint8_t *dc_up, const struct latency_table *lat, size_t lbname, uint16_t qtype,
	       const struct lb_client *client, uint64_t rnd, struct lb_decision *out)
{
	struct locate_state ls = {false, 0, 0};
	size_t pool_idx = cfg->lbnames[lbname].pool;
	uint8_t scope = 0;

	/* Candidates past cand_count are never read: leave them be. */
	memset(out, 0, offsetof(struct lb_decision, cands));
	out->region = -1;
	if (client->family == AF_INET || client->family == AF_INET6)
		out->is_private = geo_addr_is_private(client->family, client->addr, &ls.block_len);

	for (unsigned hop = 0;; hop++) {
		const struct config_pool *pool = &cfg->pools[pool_idx];
		bool any_family;
		uint8_t s;

		out->pool = pool_idx;
		out->ttl = pool->ttl;
		s = rank_pool(cfg, geo, cache, dc_up, lat, pool, qtype, client, rnd, &ls, out,
			      &any_family);
		if (s > scope)
			scope = s;
		if (!any_family) {
			/* No datacenter of the pool has this family: NODATA,
			 * whatever the health. */
			out->chosen_count = 0;
			out->empty = true;
			break;
		}
		choose(cfg, pool, out, false);
		if (out->chosen_count > 0)
			break;
		if (pool->all_down == POOL_ALL_DOWN_FAIL_OPEN) {
			choose(cfg, pool, out, true);
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

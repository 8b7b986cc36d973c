/* What lb.c (the per-query decision) and lb_maps.c (the compiled geo
 * decisions) share: the layout of struct lb_maps, which lb_decide() reads
 * and lb_maps_build() makes, and the ranking of a location that the maps
 * are compiled from. Included only from gslbd/dns/lb*.c. */
#ifndef GSLBD_DNS_LB_INTERNAL_H
#define GSLBD_DNS_LB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geo/geo_db.h"
#include "geo/geo_map.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/lb.h"

struct latency_table;

/* One distinct location-dependent ranking: what every client of one class
 * of a compiled map gets before health, family and the per-query parts
 * (weighted hashing, latency rankings) apply. */
struct lb_ranking {
	uint32_t first; /* index into the dcs of its set of its first datacenter */
	uint8_t count;  /* datacenters, 1..LB_MAX_POOL_DCS */
	uint8_t reason; /* enum lb_reason: policy, country, continent or unlocated */
	bool truncated; /* only the nearest `count` of the pool's datacenters are kept */
	int16_t region; /* latency: the probe region nearest the class, -1 when none */
};

/* Nearest rankings keep the pool's answers plus this many datacenters: with
 * many datacenters the full orders are nearly as many as the database's
 * locations and would not merge. A decision that finds too few of them
 * eligible (down, or without the family) is made again from a direct
 * lookup, which is exact. */
#define LB_RANK_SPARE 2

/* Maps compiled together in one walk (lb_maps.c): their rankings, shared
 * by every map of the set, and a reference count, as the maps of a set
 * may serve several configs (a reload keeps the maps whose input it did
 * not change). */
struct lb_compiled;

/* The compiled geo decisions of one distinct pool input. */
struct lb_pool_map {
	const struct geo_map *map;         /* address -> index into rankings */
	const struct lb_ranking *rankings; /* distinct rankings, by class (the set's) */
	const uint16_t *dcs;               /* datacenter lists of every ranking, back to back */
	uint32_t unlocated;                /* class of clients of no known family */
	struct lb_compiled *set;           /* the set holding them (lb_maps holds the reference) */
	uint8_t *key;                      /* owned: the input compiled (lb_maps.c's input key) */
	size_t key_len;                    /* bytes at key */
};

struct lb_maps {
	uint32_t *pool_map;         /* per config pool: index into maps, or UINT32_MAX when
				     * the pool's answer does not depend on the location */
	struct lb_pool_map *maps;   /* distinct pool inputs */
	size_t map_count;           /* entries in use at maps */
	struct lb_compiled **sets;  /* one reference to each set the maps come from */
	size_t set_count;           /* entries at sets */
	struct lb_maps_stats stats; /* what building them took */
};

/* How many datacenters an answer of pool holds at most. */
static inline unsigned lb_answer_limit(const struct config_pool *pool)
{
	if (pool->answers == 0)
		return 1;
	return pool->answers > LB_MAX_ANSWERS ? LB_MAX_ANSWERS : pool->answers;
}

/* The ranking a client at loc gets from pool pool_idx before health and
 * the per-query parts apply, as lb_decide() orders it without maps: into
 * d (cands[].dc, cand_count, reason), *region (latency: the probe region of
 * regions nearest loc, else -1) and *truncated (nearest: only the first
 * lb_answer_limit() + LB_RANK_SPARE kept). chord (NULL: computed here)
 * holds geo_chord2() from loc to every datacenter of cfg when loc has
 * coordinates. all_up: one non-zero byte per datacenter. Any thread. */
void lb_rank_location(const struct config *cfg, size_t pool_idx, const uint8_t *all_up,
		      const struct latency_table *regions, const struct geo_location *loc,
		      const double *chord, struct lb_decision *d, int16_t *region, bool *truncated);

#endif

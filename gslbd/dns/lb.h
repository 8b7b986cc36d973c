/* Load-balanced names: which datacenters answer a query.
 *
 * lb_decide() takes the pool of a load-balanced name, the client (ECS
 * address or resolver address), the datacenters' health and the GeoIP
 * database, and fills a struct lb_decision: the datacenters to answer with,
 * in order, the TTL, and the ECS scope prefix the decision really depended
 * on. It allocates nothing and takes no lock (per-query path). The same
 * decision, with every candidate filled in, serves `gslbd --explain` and the
 * HTTP explain endpoint.
 *
 * Policies: nearest (great-circle distance), failover (listed order),
 * least_load (the load ranking of the snapshot's latency table: lowest
 * utilisation first, hysteresis applied when it was built),
 * weighted (weighted rendezvous hashing of the client subnet, so a
 * datacenter that goes away moves only its own clients; or random per
 * query), all (every healthy one, up to `answers`), latency (lowest
 * probe-measured RTT from the probe region nearest the client, nearest when
 * that region has no fresh data); country and continent
 * overrides give their own preference list. Only datacenters that can answer
 * the queried family count (a CNAME datacenter answers every family).
 * Unknown, private and unlocated clients get the pool's listed order.
 *
 * Spill-over (nearest, latency and failover pools): after the ranking, a
 * datacenter whose share (latency_load.keep) is below full keeps a client
 * only when the hash of the client's network (/24, /56 or the shorter ECS
 * source prefix) is below its share; otherwise it is answered only after
 * every other eligible candidate.
 * The scope is then that network's prefix. Round robin (policy all, rotate
 * on or weighted): the answer's order rotates by a per-thread counter;
 * it does not depend on the client. */
#ifndef GSLBD_DNS_LB_H
#define GSLBD_DNS_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h" /* LB_MAX_* */

struct config;
struct latency_table;
struct lb_maps;

/* ECS source prefixes are cut to these before the lookup (RFC 7871 11.1). */
#define LB_ECS_V4_MAX 24
#define LB_ECS_V6_MAX 56

/* The client a decision is made for. */
struct lb_client {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t addr[16];      /* address (4 or 16 bytes used), bits past prefix zero */
	uint8_t prefix;        /* significant bits: the (cut) ECS source prefix, or 32/128 */
	bool from_ecs;         /* the address came from an ECS option */
};

/* Fill c from an ECS option (family 1/2, source prefix, address bytes as
 * sent) or, when ecs_family is 0, from the resolver's socket address. Cuts
 * ECS prefixes to LB_ECS_V4_MAX/LB_ECS_V6_MAX and maps IPv4-mapped IPv6
 * resolver addresses to IPv4. */
void lb_client_init(struct lb_client *c, int ecs_family, uint8_t ecs_prefix,
		    const uint8_t *ecs_addr, const struct sockaddr *resolver);

/* Why the candidates are in the order they are. */
enum lb_reason {
	LB_REASON_POLICY,    /* the pool's policy */
	LB_REASON_COUNTRY,   /* a country override */
	LB_REASON_CONTINENT, /* a continent override */
	LB_REASON_UNLOCATED, /* no location (unknown, private or no database): listed order */
	LB_REASON_LATENCY,   /* latency rankings of the nearest probe region */
	LB_REASON_LOAD,      /* least_load: the load ranking */
};

/* One datacenter considered. */
struct lb_candidate {
	uint16_t dc;           /* index into config->datacenters */
	bool up;               /* eligible by health and admin state */
	bool has_family;       /* can answer the queried family */
	double chord2;         /* nearest: squared chord to the client (geo_chord2()); -1 when unknown */
	double distance_km;    /* that distance in km, -1 when unknown: filled only by
				  lb_decision_distances() (explain), not on the DNS path */
	double score;          /* weighted: rendezvous score (higher wins); 0 otherwise */
	double rtt_ms;         /* latency: smoothed RTT from the region, -1 when none */
	bool spilled;          /* spill-over: its datacenter does not keep this client's network
				* (chosen only after every other eligible candidate) */
};

struct lb_decision {
	size_t pool;             /* pool that answered (after fallbacks) */
	size_t asked_pool;       /* the name's own pool (before fallbacks) */
	struct geo_location loc; /* the client's location (loc.found false when unknown) */
	bool is_private;         /* the client address is in a private block */
	enum lb_reason reason;   /* what ordered the candidates */
	int region;              /* latency: index of the probe region used, -1 when none */
	uint8_t scope;           /* ECS scope prefix length to echo */
	uint32_t ttl;            /* TTL of the answer records */
	bool cname;              /* answer with the CNAME of chosen[0] only */
	bool failed_open;        /* every datacenter was down; answered as if up */
	bool empty;              /* answer NOERROR with no records (all down, or none has the family) */
	unsigned chosen_count;   /* datacenters to answer with */
	uint16_t chosen[LB_MAX_ANSWERS]; /* their indexes into config->datacenters, in answer order */
	unsigned cand_count;     /* candidates considered in the final pool */
	struct lb_candidate cands[LB_MAX_POOL_DCS]; /* the first cand_count, in the order the
						     * policy ranked them (the rest unset) */
};

/* Decide for load-balanced name lbname (index into cfg->lbnames) and qtype
 * (A or AAAA; other types are the caller's business). dc_up has one byte per
 * datacenter, non-zero when it may be answered. maps (NULL: none) holds the
 * compiled geo decisions of cfg over geo (lb_maps_build()): a pool with a
 * map is decided by one walk of it, and geo and cache are then not used for
 * it. Otherwise the client is looked up in geo (NULL: no database) through
 * cache (NULL: none), which keeps lookups and decoded records between calls
 * and belongs to the calling thread. lat holds the latency rankings per
 * probe region (NULL: none yet; the latency policy then orders as nearest).
 * rnd is a per-query random number (weighted random). Decisions from a map
 * leave out->loc unset (not found) and every cands[].chord2 at -1, and a
 * nearest ranking may hold only the pool's nearest answers + 2 datacenters
 * (when too few of them are eligible, the pool is ranked again directly):
 * explain shows the candidates of a decision without maps beside it. */
void lb_decide(const struct config *cfg, const struct geo_db *geo, struct geo_cache *cache,
	       const struct lb_maps *maps, const uint8_t *dc_up, const struct latency_table *lat,
	       size_t lbname, uint16_t qtype, const struct lb_client *client, uint64_t rnd,
	       struct lb_decision *out);

/* What compiling took (lb_maps_stats()). */
struct lb_maps_stats {
	size_t maps;       /* distinct pool inputs mapped (pools that rank alike share one) */
	size_t compiled;   /* of them, compiled by this build (in one walk of the database) */
	size_t reused;     /* of them, taken from the maps given as prev */
	size_t bytes;      /* memory of the maps and their rankings (shared parts once) */
	size_t leaves;     /* merged networks, over every map (shared subtrees once) */
	size_t rankings;   /* distinct rankings, over every map */
	uint64_t build_us; /* wall time of lb_maps_build(), microseconds */
};

/* Compile the geo decisions of every pool of cfg whose answer depends on
 * the client's location (nearest and latency policies, country and
 * continent overrides) over geo: one map per distinct pool input, all of
 * them compiled in one walk of the whole database (geo/geo_map.h,
 * geo_map_set_build(), on every CPU). Health, drains, weights and latency
 * rankings stay out of it: they apply at query time, so only a new config
 * or database needs a new build. prev (NULL: none) holds the maps of the
 * config before: a map whose input and database are unchanged is taken
 * from it, not compiled again (the two then share it; either may be freed
 * first). Returns 0 with *out (caller owns; lb_maps_free(); NULL when geo
 * is NULL or no pool depends on the location), or a negative code with err
 * set and *out NULL. The maps borrow nothing from geo. One thread at a
 * time per prev (not the DNS workers: it takes a while on a full
 * database). progress (NULL: none) is called with progress_arg, the pools
 * whose map is done and the pools that need one: before the walk (the
 * pools whose map is taken from prev done), and after it. */
typedef void lb_progress_fn(void *arg, size_t done, size_t total);
int lb_maps_build(const struct config *cfg, const struct geo_db *geo, const struct lb_maps *prev,
		  lb_progress_fn *progress, void *progress_arg, struct lb_maps **out,
		  struct gslb_err *err);
/* Free m (NULL is fine); what it shares with other maps goes with the last. */
void lb_maps_free(struct lb_maps *m);
/* Everything lb_maps_build(cfg, geo) depends on, as bytes (caller owns *out,
 * free()): configs and databases with equal keys compile to equal maps, so
 * a reload that changes none of it can keep the maps it has. Returns the
 * length. */
size_t lb_maps_key(const struct config *cfg, const struct geo_db *geo, uint8_t **out);
/* Zeroes for m == NULL. */
void lb_maps_stats(const struct lb_maps *m, struct lb_maps_stats *out);

/* Fill cands[].distance_km (kilometres from the client) from their chord2,
 * for explain: the DNS path ranks without them. */
void lb_decision_distances(struct lb_decision *d);

const char *lb_policy_name(int policy);
const char *lb_reason_name(enum lb_reason reason);

#endif

/* Compiled GeoIP decisions: a whole MaxMind database walked once, off the
 * DNS threads, into a compact read-only trie whose leaves are already the
 * caller's answer.
 *
 * The caller names the answer for a location: geo_map_build() calls
 * classify() once per distinct record of the database (and once for
 * addresses without a record) and keeps the class number it returns for
 * every network of that record. Adjacent networks of the same class are
 * merged, so a lookup returns the class and the prefix length of the largest
 * network around the address in which every address has that class: the
 * widest ECS scope that is true for it. A lookup is one walk of the trie:
 * no record decoding, no trigonometry, no allocation, no lock.
 *
 * A map gives, for every address, exactly the class that
 *   geo_addr_is_private(addr) ? private_class : classify(geo_db_lookup(addr))
 * gives (geo_db_lookup()'s rules: IPv4 in an IPv6 database, IPv4-mapped IPv6
 * addresses looked up as IPv4 with the depth counted in IPv6 bits, IPv6 in an
 * IPv4-only database not found). Private blocks never merge with their
 * neighbours, so their depth is the block's length.
 *
 * Build on one thread; a built map is immutable and may be read by any
 * number of threads. It does not point into the database: the database may
 * be closed once the map is built. */
#ifndef GSLBD_GEO_MAP_H
#define GSLBD_GEO_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "geo/geo_db.h"

/* Classes are below this. */
#define GEO_MAP_MAX_CLASSES (UINT32_C(1) << 23)

struct geo_map;

/* The class of every address located at loc (loc->found is false for
 * addresses without a record: then only prefix_len is meaningful, and the
 * rest is zero). Must return the same class for the same location and be
 * below GEO_MAP_MAX_CLASSES; ctx is geo_map_build()'s. */
typedef uint32_t (*geo_map_classify_fn)(const struct geo_location *loc, void *ctx);

/* Walk db and compile it with classify (called on this thread, once per
 * distinct record plus once for "not found") and private_class (for
 * addresses in private blocks, < GEO_MAP_MAX_CLASSES). Returns 0 with *out
 * (caller owns it; free with geo_map_free()), or a negative code with err
 * set and *out untouched:
 *   GSLB_EIO     the database's search tree or a record is corrupt
 *   GSLB_ERANGE  classify returned a class >= GEO_MAP_MAX_CLASSES */
int geo_map_build(const struct geo_db *db, geo_map_classify_fn classify, void *ctx,
		  uint32_t private_class, struct geo_map **out, struct gslb_err *err);

/* Free m (NULL is fine). No lookup may be running on it. */
void geo_map_free(struct geo_map *m);

/* The class of addr (family AF_INET with 4 bytes, or AF_INET6 with 16,
 * network byte order) and in *depth the prefix length, in the family of the
 * query, of the merged network around it: every address in that network has
 * the same class. An unknown family gives the "not found" class and depth 0.
 * Any thread; does not allocate. */
uint32_t geo_map_lookup(const struct geo_map *m, int family, const uint8_t *addr, uint8_t *depth);

/* What a map holds, for logs, status and the benchmark. */
struct geo_map_stats {
	size_t bytes;      /* memory the map owns */
	size_t nodes;      /* inner nodes of the trie */
	size_t leaves;     /* merged networks */
	size_t records;    /* distinct records classified */
	uint32_t classes;  /* 1 + the largest class seen */
	uint64_t build_us; /* time geo_map_build() took, microseconds */
};
void geo_map_stats(const struct geo_map *m, struct geo_map_stats *out);

/* Several maps compiled in one walk of the database.
 *
 * classify fills classes[0..count-1], the class of every address located
 * at loc in each of the count maps (the same rules as geo_map_classify_fn,
 * per map). It is called on the calling thread, once per distinct record
 * of the database (by its data offset) and once for "not found", before
 * the walk. The maps are then built from the one walk, split over up to
 * threads threads (each a share of the maps); subtrees equal in several
 * maps, or in several places of one, are stored once. Map i gives, for
 * every address, the class and depth that geo_map_build() with
 * classes[i] as its classifier and private_class[i] gives. */
typedef void (*geo_map_classify_many_fn)(const struct geo_location *loc, void *ctx,
					 uint32_t *classes);

struct geo_map_set;

/* Build count (>= 1) maps over db. Returns 0 with *out (caller owns it;
 * free with geo_map_set_free()), or a negative code with err set and *out
 * untouched: GSLB_EIO, GSLB_ERANGE as geo_map_build(). Like maps built
 * alone, the set borrows nothing from db. */
int geo_map_set_build(const struct geo_db *db, size_t count, geo_map_classify_many_fn classify,
		      void *ctx, const uint32_t *private_class, unsigned threads,
		      struct geo_map_set **out, struct gslb_err *err);

/* Free s and its maps (NULL is fine). No lookup may be running on them. */
void geo_map_set_free(struct geo_map_set *s);

/* Map i of s (i < count), borrowed until geo_map_set_free(s): read with
 * geo_map_lookup(); never geo_map_free() it. */
const struct geo_map *geo_map_set_map(const struct geo_map_set *s, size_t i);

/* What a set holds. */
struct geo_map_set_stats {
	size_t maps;       /* maps in the set */
	size_t bytes;      /* memory the set owns: every map's tables and the shared nodes */
	size_t nodes;      /* inner nodes, each stored once however many maps use it */
	size_t leaves;     /* merged networks laid out (a shared subtree's counted once) */
	size_t records;    /* distinct records classified */
	size_t vectors;    /* distinct class vectors among them */
	unsigned threads;  /* threads the walk ran on */
	uint64_t build_us; /* time geo_map_set_build() took, microseconds */
};
void geo_map_set_stats(const struct geo_map_set *s, struct geo_map_set_stats *out);

#endif

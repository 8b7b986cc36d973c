/* Layout of compiled zones, shared inside zones/ only.
 *
 * A zone keeps everything in a few flat arrays: the owner names in one
 * arena (empty non-terminals point into the names of their descendants), the
 * nodes in canonical order with the apex first, the RRsets of each node
 * contiguous and sorted by type, and all RDATA in one arena. An open-addressing
 * table of node indexes, keyed by owner name, finds a node in O(1). */
#ifndef GSLBD_ZONES_ZONE_INTERNAL_H
#define GSLBD_ZONES_ZONE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "zones/zone.h"

#define ZONE_SLOT_EMPTY UINT32_MAX /* free slot of a hash table */

struct zone {
	size_t index;              /* position in the set (index of the source) */
	uint8_t *names;            /* owner names arena */
	struct zone_node *nodes;   /* node_count nodes, canonical order, apex first */
	size_t node_count;         /* entries at nodes */
	struct zone_rrset *rrsets; /* rrset_count RRsets, grouped by node */
	size_t rrset_count;        /* entries at rrsets */
	uint8_t *rdata;            /* RDATA arena the RRsets point into */
	size_t rr_count;           /* records after duplicates were collapsed */
	uint32_t *table;           /* node indexes by owner name hash, ZONE_SLOT_EMPTY when free */
	uint32_t table_mask;       /* table size - 1 (a power of two minus one) */
	const struct zone_rrset *soa; /* the apex SOA RRset */
	uint32_t serial;              /* SOA SERIAL */
	uint32_t negative_ttl;        /* min(SOA TTL, SOA MINIMUM) */
};

struct zone_set {
	struct zone *zones;  /* count zones in source order */
	size_t count;        /* entries at zones */
	uint32_t *table;     /* zone indexes by origin hash, ZONE_SLOT_EMPTY when free */
	uint32_t table_mask; /* table size - 1 */
	size_t origin_min;   /* length of the shortest origin (0 without zones) */
	size_t origin_max;   /* length of the longest origin (0 without zones) */
};

#endif

/* Layout of compiled zones, shared inside zones/ only.
 *
 * A zone keeps everything in a few flat arrays: the owner names in one
 * arena (empty non-terminals point into the names of their descendants), the
 * nodes in canonical order with the apex first, the RRsets of each node
 * contiguous and sorted by type, and all RDATA in one arena. An open-addressing
 * table of node indexes, keyed by owner name, finds a node in O(1). */
#ifndef GSLBD_ZONES_ZONE_INTERNAL_H
#define GSLBD_ZONES_ZONE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "zones/sign.h"
#include "zones/zone.h"

#define ZONE_SLOT_EMPTY UINT32_MAX /* free slot of a hash table */

struct zone_mark;

struct zone {
	_Atomic unsigned long refs; /* sets holding it (zone_ref()/zone_unref(), any thread) */
	char *stamp;               /* owned: what it was loaded from (source_stamp()), to
	                            * tell whether a later load may reuse it */
	char *stamp_rest;          /* owned: the stamp but the file's identity: a later load
	                            * with the same may re-read the file by parts */
	uint8_t *image;            /* owned: the file's bytes as read, kept for a re-read by
	                            * parts (an unsigned zone), or NULL */
	size_t image_len;          /* bytes at image */
	struct zone_mark *marks;   /* owned: record boundaries of image with the parser's
	                            * state there, the first at 0, the last at its end */
	size_t mark_count;         /* entries at marks */
	uint8_t *mark_names;       /* owned: the names the marks hold */
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
	bool is_signed;               /* RRSIG records in it (signed here or in the file) */
	struct sign_keys *keys;       /* owned: the keys it was signed with here, or NULL */
	uint32_t *nsec_nodes;         /* indexes of the nodes with an NSEC RRset, in order */
	size_t nsec_count;            /* entries at nsec_nodes */
	uint32_t sig_expire;          /* expiration of the signatures made here, or 0 */
	struct zone_nsec3 nsec3;      /* NSEC3 parameters (salt points into nsec3_salt) */
	uint8_t nsec3_salt[255];
	bool has_nsec3;               /* an NSEC3PARAM at the apex and NSEC3 records */
	uint32_t *nsec3_nodes;        /* nodes with an NSEC3 RRset, in hash order */
	uint8_t (*nsec3_hash)[20];    /* their owners' hashes */
	size_t nsec3_count;
};

/* Records a signer adds to a zone (zone_sign.c), before it is rebuilt
 * with them. Owners point into the unsigned zone's names. */
struct zone_extra {
	const uint8_t *owner; /* canonical owner name */
	uint16_t type;
	uint32_t ttl;
	size_t rdoff;   /* RDATA offset in zone_extras.rd */
	uint16_t rdlen;
};

struct zone_extras {
	uint8_t *names;       /* owner names made here (NSEC3 owners), freed with it */
	uint32_t min_expire;  /* earliest expiration of the RRSIGs added (0: none yet) */
	size_t reused;        /* RRSIGs copied from the zone loaded before */
	struct zone_extra *v;
	size_t n, cap;
	uint8_t *rd;
	size_t rd_len, rd_cap;
};

/* The DNSKEY, NSEC and RRSIG records that sign the unsigned zone z with
 * keys ks (roles and times set), into ex (zeroed by the caller; free with
 * zone_extras_fini()). Dynamic nodes' NSEC list src's types for them. */
int zone_sign_extras(const struct zone *z, const struct sign_keys *ks,
		     const struct zone_source *src, const struct zone *prev,
		     struct zone_extras *ex, struct gslb_err *err);
void zone_extras_fini(struct zone_extras *ex);

struct zone_set {
	struct zone **zones; /* count zones in source order, one reference each */
	size_t read_count;   /* zones read from their files by the load that made it */
	size_t parts_count;  /* of those, zones re-read by parts (zone_set_parts_count()) */
	size_t full_count;   /* zones a re-read by parts could not do, read in full */
	size_t count;        /* entries at zones */
	uint32_t *table;     /* zone indexes by origin hash, ZONE_SLOT_EMPTY when free */
	uint32_t table_mask; /* table size - 1 */
	size_t origin_min;   /* length of the shortest origin (0 without zones) */
	size_t origin_max;   /* length of the longest origin (0 without zones) */
};

#endif

/* What the modules of geo/ share and nobody else sees: the mapped
 * database behind a struct geo_db, record decoding by offset, and the
 * private blocks. Included only from geo/. */
#ifndef GSLBD_GEO_INTERNAL_H
#define GSLBD_GEO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <maxminddb.h>

#include "geo/geo_db.h"

/* An address block: the first len bits of addr. */
struct geo_block {
	uint8_t addr[16]; /* network address, network byte order (4 bytes used for IPv4) */
	uint8_t len;      /* prefix length in bits */
};

/* The blocks geo_addr_is_private() knows, per family. */
extern const struct geo_block geo_private_v4[];
extern const size_t geo_private_v4_count;
extern const struct geo_block geo_private_v6[];
extern const size_t geo_private_v6_count;

/* The mapped database (read-only; borrowed until geo_db_close()). */
const MMDB_s *geo_db_mmdb(const struct geo_db *db);

/* Fill *out as geo_db_lookup() does for an address whose record sits at
 * offset in the data section (found, record_id, coordinates, codes, xyz;
 * prefix_len 0). Any thread. */
void geo_db_decode_at(const struct geo_db *db, uint32_t offset, struct geo_location *out);

/* Check a whole opened database before it is served: the metadata, every
 * node of the search tree, and every value of the data section that a
 * network's record reaches (a map, through at most one pointer), without
 * expanding pointers, in time about linear in the file. Returns 0, or
 * GSLB_EIO with err saying what is corrupt and where (without the file
 * name). Any thread; reads only. */
int geo_mmdb_verify(const MMDB_s *mmdb, struct gslb_err *err);

#endif

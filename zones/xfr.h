/* Zone transfers in, as a client (RFC 5936 AXFR, RFC 1995 IXFR): the query
 * to send and the responses read into a zone file.
 *
 * A struct zone_xfr is one exchange: a SOA query (the primary's serial), an
 * AXFR (the whole zone) or an IXFR from the version held in a zone file
 * (the differences applied to it; a primary may answer an IXFR with the
 * whole zone, which is taken as an AXFR). The caller moves the bytes (and
 * signs or verifies them); this reads and writes files only. One thread at a
 * time per object; any thread. */
#ifndef GSLBD_ZONES_XFR_H
#define GSLBD_ZONES_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct zone_xfr;

enum zone_xfr_kind {
	ZONE_XFR_SOA,  /* SOA query: the primary's serial */
	ZONE_XFR_AXFR, /* the whole zone */
	ZONE_XFR_IXFR, /* the differences from the version in the base file */
};

/* zone_xfr_feed() wants another message. */
#define ZONE_XFR_MORE 1

/* A new exchange for zone origin (presentation format) with message id.
 * For ZONE_XFR_IXFR, base is the zone file holding the version to update,
 * read here (its SOA is the query's); NULL otherwise. Returns 0 (caller
 * owns *out, zone_xfr_free()), or GSLB_EINVAL (origin), GSLB_ENOENT,
 * GSLB_EIO or GSLB_EPARSE (base) with err set. */
int zone_xfr_new(const char *origin, enum zone_xfr_kind kind, const char *base, uint16_t id,
		 struct zone_xfr **out, struct gslb_err *err);
void zone_xfr_free(struct zone_xfr *x);

/* The query in wire format, without TCP length prefix (caller owns *out,
 * free()). Returns 0 or GSLB_EINVAL. */
int zone_xfr_query(const struct zone_xfr *x, uint8_t **out, size_t *len, struct gslb_err *err);

/* Take one response message. Returns 0 when the exchange is complete,
 * ZONE_XFR_MORE when it needs the next message, or a negative code with err
 * set: GSLB_EPARSE (malformed, wrong id or question, records out of the
 * zone, a transfer that does not open with the zone's SOA),
 * GSLB_EUNAVAIL (an error rcode: REFUSED, NOTAUTH, NOTIMP...),
 * GSLB_ECONFLICT (an IXFR whose differences do not apply to the base:
 * deleting what it lacks, or not starting at its serial; ask an AXFR). */
int zone_xfr_feed(struct zone_xfr *x, const uint8_t *msg, size_t len, struct gslb_err *err);

/* After a complete exchange: the primary's serial. */
uint32_t zone_xfr_serial(const struct zone_xfr *x);
/* After a complete AXFR or IXFR: is there a zone to write (false: the
 * primary answered an IXFR with its SOA alone, the base is current)? */
bool zone_xfr_has_zone(const struct zone_xfr *x);
/* How the last exchange went, for logs: "axfr", "ixfr" (differences
 * applied), "ixfr-axfr" (an IXFR answered with the whole zone), "current",
 * "soa". */
const char *zone_xfr_style(const struct zone_xfr *x);
/* Records in the zone to write. */
size_t zone_xfr_rr_count(const struct zone_xfr *x);

/* Write the zone to path atomically: a temporary file beside it, synced,
 * renamed over it. The SOA comes first. Returns 0, or GSLB_EIO with err. */
int zone_xfr_write(const struct zone_xfr *x, const char *path, struct gslb_err *err);

/* The SOA serial of the zone file at path (of zone origin), or a negative
 * code (GSLB_ENOENT, GSLB_EIO, GSLB_EPARSE: no SOA) with err set. Also gives
 * the SOA's refresh, retry and expire timers (seconds) when the pointers
 * are not NULL. */
int zone_file_soa(const char *path, const char *origin, uint32_t *serial, uint32_t *refresh,
		  uint32_t *retry, uint32_t *expire, struct gslb_err *err);

/* The member zones of the catalog zone (RFC 9432, schema version 2) kept
 * in the zone file at path: the PTR targets at <unique-id>.zones.<origin>,
 * in presentation format without the final dot, in file order, each once.
 * Returns 0 (caller owns *members and each string; *count entries), or a
 * negative code with err set: GSLB_ENOENT, GSLB_EIO, GSLB_EPARSE (no SOA,
 * or a version TXT other than "2"). */
int zone_catalog_members(const char *path, const char *origin, char ***members, size_t *count,
			 struct gslb_err *err);

/* RFC 1982 serial arithmetic: is a newer than b? */
bool zone_serial_newer(uint32_t a, uint32_t b);

#endif

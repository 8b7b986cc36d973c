/* Zones compiled into compact, read-only structures.
 *
 * zone_set_load() reads RFC 1035 master files with ldns, validates them and
 * copies the data into immutable zones, held by reference in a struct
 * zone_set (a later load shares the zones whose sources did not change);
 * the ldns objects are freed before it returns. After loading, a zone_set is never modified, so any
 * number of threads may read it without locks; the lookup functions allocate
 * nothing and are fit for the per-query path. Loading reads only what it is
 * given (a set being served may be read by a loader on another thread); a
 * set is freed by one thread once no one reads it. */
#ifndef GSLBD_ZONES_ZONE_H
#define GSLBD_ZONES_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "zones/dname.h"

struct zone_set;
struct sign_keys;
struct zone;

/* A name whose answers are computed per query (a load-balanced name). It
 * becomes a node with no RRsets and ZONE_NODE_DYNAMIC set, so that the
 * delegation, wildcard and empty non-terminal rules apply to it as to any
 * other name. A "*.x" name is a dynamic wildcard. */
struct zone_dynamic {
	const char *name;  /* owner in presentation format, at or below the origin */
	uint32_t id;       /* caller's identifier, returned as zone_node.dyn_id */
	const char *where; /* "file:line:col" of its declaration, to prefix error messages */
	uint8_t types;     /* ZONE_DYN_*: what it may answer, for its NSEC type bitmap */
};

#define ZONE_DYN_A 0x01     /* the name may answer A */
#define ZONE_DYN_AAAA 0x02  /* ... AAAA */
#define ZONE_DYN_CNAME 0x04 /* ... a CNAME */

/* One DNSSEC key of a zone to sign. */
struct zone_key_source {
	const char *path;  /* the key pair's .private or .key file, or their common prefix */
	bool active;       /* signs; else its DNSKEY is only published */
	const char *where; /* "file:line:col" of its declaration, to prefix error messages */
};

/* The serial a zone signed in memory is served with when its records or
 * signatures change (names as Knot's serial-policy). */
enum zone_serial_policy {
	ZONE_SERIAL_KEEP,       /* the file's serial, always */
	ZONE_SERIAL_INCREMENT,  /* the serial served before plus one */
	ZONE_SERIAL_UNIXTIME,   /* the signing time in seconds since the epoch */
	ZONE_SERIAL_DATESERIAL, /* YYYYMMDDnn of the signing day (UTC), nn from 00 */
};

/* How to sign a zone in memory (RFC 4035): DNSKEY at the apex, RRSIG on
 * every authoritative RRset (DS included, NS at cuts and glue not), an NSEC
 * chain over every authoritative name, load-balanced names included. */
struct zone_dnssec {
	const struct zone_key_source *keys; /* key_count keys (at least one active) */
	size_t key_count;
	uint32_t validity;  /* seconds from now to the signatures' expiration */
	uint32_t inception; /* seconds the signatures' inception is backdated */
	uint32_t refresh;   /* a signature of the zone loaded before (zone_set_load_prev())
	                     * that expires later than this from now is kept */
	uint32_t jitter;    /* signatures expire up to this much before validity, spread by
	                     * owner and type; a re-signing also makes again those due within
	                     * jitter / 8 after refresh (0: all expire together) */
	uint32_t now;       /* signing time in seconds since the epoch; 0: the clock */
	bool nsec3;         /* deny with NSEC3 (RFC 5155) instead of NSEC */
	uint16_t iterations; /* NSEC3: extra hash iterations (RFC 9276: 0) */
	uint8_t salt_len;   /* NSEC3: bytes at salt (RFC 9276: 0) */
	const uint8_t *salt;
	bool opt_out;       /* NSEC3: no NSEC3 for insecure delegations (RFC 5155 6) */
	/* When the zone is signed and a version of it was served before
	 * (zone_set_load_prev()'s prev, zone_set_resign()'s cur, or else
	 * serial_before when has_serial_before): a file serial not newer
	 * (RFC 1982) than the serial served before is replaced with
	 * zone_serial_next(serial_policy, that serial, signing time), so
	 * that a version with new signatures has a new serial. KEEP: the
	 * file's serial is served as it is. */
	enum zone_serial_policy serial_policy;
	bool has_serial_before;
	uint32_t serial_before;
};

/* What a zone's progress is about. */
enum zone_progress_phase {
	ZONE_PROGRESS_READ, /* reading its file: bytes read of the file's size */
	ZONE_PROGRESS_SIGN, /* signing it in memory: records signed (the zone's, then its
			     * NSEC3 records) of the records to sign */
};

/* Told how loading a zone goes: phase of the zone origin, done of total.
 * Called every few thousand records, at the start (done 0) and once with
 * done == total at the end of the phase; while signing from the signing
 * threads, possibly at once (done grows, but two calls may arrive in
 * either order). Must be quick and thread-safe. */
typedef void zone_progress_fn(void *arg, enum zone_progress_phase phase, const char *origin,
			      size_t done, size_t total);

/* A progress callback and its argument. */
struct zone_progress {
	zone_progress_fn *fn; /* the callback */
	void *arg;            /* its first argument */
};

/* What to load: one zone. Borrowed by zone_set_load() for the call only. */
struct zone_source {
	const char *origin; /* zone name in presentation format, e.g. "example.com" */
	const char *path;   /* master file path */
	const struct zone_dynamic *dynamic; /* dynamic names of this zone, or NULL */
	size_t dynamic_count; /* entries at dynamic */
	const struct zone_dnssec *dnssec; /* sign it in memory, or NULL. A file that holds
	                                   * RRSIG records is served as it is either way. */
	const struct zone_progress *progress; /* told how reading and signing go, or NULL */
	bool reread; /* read the file even when it looks unchanged (see zone_set_load_prev()) */
	bool empty;  /* no data to serve (a secondary zone never transferred, or expired):
	              * the zone is its apex alone, without SOA (zone_soa() is NULL), and
	              * path is not read */
};

/* One RRset: all records of one type at one owner name (class IN). */
struct zone_rrset {
	uint16_t type;      /* RR type, host order */
	uint16_t rr_count;  /* number of records, >= 1 */
	uint32_t ttl;       /* TTL (RFC 2181 5.2: one TTL per RRset, the lowest if the file disagreed) */
	const uint8_t *rdata; /* rr_count records packed as: 2-byte big-endian RDLENGTH, then RDATA
	                       * in uncompressed wire format (embedded names uncompressed, with
	                       * the case the zone file gave them) */
	uint32_t rdata_len; /* total bytes at rdata */
	uint32_t file_count; /* records of it the zone file held, duplicates included (what a
	                      * re-read by parts needs; 0 where not read from a file) */
};

/* Flags of a node. */
#define ZONE_NODE_APEX 0x01        /* the zone apex */
#define ZONE_NODE_DELEGATION 0x02  /* has NS and is not the apex: a zone cut */
#define ZONE_NODE_WILDCARD 0x04    /* first label is "*" */
#define ZONE_NODE_HAS_WILDCARD 0x08 /* a child "*.<this name>" exists */
#define ZONE_NODE_EMPTY 0x10       /* empty non-terminal: exists only because a descendant does */
#define ZONE_NODE_OCCLUDED 0x20    /* strictly below a zone cut (glue or occluded data) */
#define ZONE_NODE_DYNAMIC 0x40     /* a dynamic name (struct zone_dynamic): no RRsets */
#define ZONE_NODE_NSEC3 0x80       /* the owner of an NSEC3 record: not a name of the zone
                                    * for lookups (RFC 5155 7.2.8) */

#define ZONE_DYN_NONE UINT32_MAX   /* dyn_id of nodes that are not dynamic */

/* One owner name in a zone, with its RRsets. */
struct zone_node {
	const uint8_t *name;            /* canonical owner name */
	uint8_t name_len;               /* bytes at name */
	uint8_t label_count;            /* labels, root included */
	uint16_t flags;                 /* ZONE_NODE_* */
	uint16_t rrset_count;           /* entries at rrsets */
	const struct zone_rrset *rrsets; /* sorted by type */
	const struct zone_node *cut;    /* for nodes at or below a zone cut: the highest cut node
	                                 * above or at this one; NULL for authoritative data */
	const struct zone_node *parent; /* node one label up (NULL for the apex) */
	uint32_t dyn_id;                /* ZONE_NODE_DYNAMIC: zone_dynamic.id, else ZONE_DYN_NONE */
};

/* Result kinds of zone_lookup(). */
enum zone_match {
	ZONE_MATCH_EXACT,      /* node is the queried name (may be ZONE_NODE_EMPTY) */
	ZONE_MATCH_WILDCARD,   /* no such name; node is the matching "*.<closest encloser>" */
	ZONE_MATCH_NXDOMAIN,   /* no such name and no wildcard; node is the closest encloser */
	ZONE_MATCH_DELEGATION, /* the name is at or below a zone cut; node is the cut */
};

struct zone_lookup {
	enum zone_match match;       /* which case */
	const struct zone_node *node; /* see enum zone_match */
	const struct zone_node *closest_encloser; /* deepest existing ancestor-or-self */
};

/* Load zones. Returns 0 with *out set (caller owns, free with zone_set_free()),
 * or a negative GSLB_E* code with err->msg "file:line:col: message" (the
 * column is 1 where ldns gives none; errors with no line, such as an
 * unreadable file, read "path: message") and *out untouched. Rejected: a file that
 * does not parse; a missing or second SOA at the apex; records outside the
 * origin; CNAME beside other data; two DNAMEs at a name, a DNAME beside NS
 * below the apex, any name below a DNAME (RFC 6672 2.3, NSEC3 owners
 * aside); a zone declared twice; class other than IN.
 * Out-of-zone data is an error, not silently dropped. A dynamic name that
 * has records in the file, lies at or below a zone cut or below a DNAME, is
 * outside the origin or is the apex is an error prefixed with its `where`. */
int zone_set_load(const struct zone_source *sources, size_t count, struct zone_set **out,
		  struct gslb_err *err);
/* zone_set_load(), reusing what it can of prev (the zones being served, or
 * NULL). Zones are held by reference: a zone of prev whose source is
 * unchanged (same origin and position, same file by device, inode, size and
 * modification and change times, same dynamic names, same DNSSEC settings
 * and key files) and not marked reread is shared by the new set as it is,
 * without reading its file (zone_set_read_count() tells how many were read).
 * A zone read again keeps the signatures of its prev zone for the RRsets
 * that did not change: an RRSIG of an identical RRset by a key that still
 * signs it, expiring later than the zone's dnssec.refresh from now, is
 * copied instead of made again. */
int zone_set_load_prev(const struct zone_source *sources, size_t count,
		       const struct zone_set *prev, struct zone_set **out, struct gslb_err *err);
/* The zones of cur (loaded from sources) signed again without reading a
 * file: each zone signed in memory whose earliest signature expires
 * within its refresh from now keeps its records and its keys as loaded,
 * and gets its DNSKEY, NSEC (NSEC3) and RRSIG records made again with
 * src->dnssec's times, keeping the RRSIGs that expire later than its
 * refresh from now; every other zone (not signed here, or with nothing
 * due) is shared as it is. sources give the
 * origins, dynamic names and dnssec parameters (their paths and key files
 * are not read); each origin must be a zone of cur (GSLB_ENOENT). cur is
 * only read. Returns as zone_set_load(). */
int zone_set_resign(const struct zone_source *sources, size_t count, const struct zone_set *cur,
		    struct zone_set **out, struct gslb_err *err);
/* Free a set (NULL is fine). Every pointer obtained from it dies with it
 * (a zone another set shares lives on with that set; any thread). */
void zone_set_free(struct zone_set *set);
/* How many zones of set the load that made it read from their files (the
 * others were shared with the set it was given, or re-signed). */
size_t zone_set_read_count(const struct zone_set *set);
/* Of those, how many were re-read by parts: only the bytes of the file that
 * differ from the ones the zone of the set given was read from (an unsigned
 * zone with the same origin, position and dynamic names) parsed again and
 * the zone made from that one and them; the result is the zone a full read
 * gives. */
size_t zone_set_parts_count(const struct zone_set *set);
/* How many zones could have been re-read by parts but were read in full
 * (too much changed, an RRset with records both inside and outside the
 * changed bytes, an error to report; each logged). */
size_t zone_set_full_count(const struct zone_set *set);

size_t zone_set_count(const struct zone_set *set);
/* Zone i, in the order of the sources given to zone_set_load(). */
const struct zone *zone_set_zone(const struct zone_set *set, size_t i);
/* Position of z in its set (the index of its source). */
size_t zone_index(const struct zone *z);
/* The zone with the longest origin that is a suffix of lname, or NULL. */
const struct zone *zone_set_find(const struct zone_set *set, const uint8_t *lname, size_t len);

const uint8_t *zone_origin(const struct zone *z);      /* canonical apex name */
const struct zone_node *zone_apex(const struct zone *z);
/* The apex SOA RRset; NULL for a zone with no data (zone_source.empty). */
const struct zone_rrset *zone_soa(const struct zone *z);
uint32_t zone_serial(const struct zone *z);
/* The serial after serial under policy p at now (seconds since the epoch),
 * always newer than serial (RFC 1982): INCREMENT serial + 1; UNIXTIME now,
 * DATESERIAL now's YYYYMMDD00, each when newer than serial, else serial + 1
 * (as Knot does). KEEP: serial. */
uint32_t zone_serial_next(enum zone_serial_policy p, uint32_t serial, uint32_t now);
/* Negative-answer TTL: min(SOA TTL, SOA MINIMUM) per RFC 2308 section 5. */
uint32_t zone_negative_ttl(const struct zone *z);
size_t zone_node_count(const struct zone *z);
size_t zone_rr_count(const struct zone *z);
/* Node i in canonical order (i < zone_node_count; the apex is node 0). */
const struct zone_node *zone_node_at(const struct zone *z, size_t i);

/* Is the zone signed (by zone_set_load(), or in its file)? Then DO=1
 * answers carry RRSIG and NSEC records. */
bool zone_is_signed(const struct zone *z);
/* The keys the zone was signed with in memory, or NULL (not signed by
 * gslbd: unsigned, or signed in its file). */
const struct sign_keys *zone_keys(const struct zone *z);
/* Earliest expiration of the signatures made at load (seconds since the
 * epoch), 0 when the zone was not signed in memory. */
uint32_t zone_sig_expire(const struct zone *z);
/* The node whose NSEC record matches or covers lname (at or below the
 * origin): the last name with an NSEC record not after lname in canonical
 * order. NULL when the zone has no NSEC records. */
const struct zone_node *zone_nsec_covering(const struct zone *z, const uint8_t *lname, size_t len);

/* NSEC3 parameters of a zone denying with NSEC3 (from its NSEC3PARAM). */
struct zone_nsec3 {
	uint16_t iterations;
	uint8_t salt_len;
	const uint8_t *salt;
	bool opt_out; /* the chain has opt-out records */
};
/* The zone's NSEC3 parameters, or NULL when it has no NSEC3 chain. */
const struct zone_nsec3 *zone_nsec3(const struct zone *z);
/* The NSEC3 record node that matches lname (*match true) or covers it:
 * hashes lname (no allocation). NULL when the zone has no NSEC3 chain. */
const struct zone_node *zone_nsec3_find(const struct zone *z, const uint8_t *lname, bool *match);

/* Exact node for lname (which must be in z), or NULL. Includes empty
 * non-terminals and occluded nodes. */
const struct zone_node *zone_find_node(const struct zone *z, const uint8_t *lname, size_t len);
/* Full lookup of lname (at or below the origin of z) per RFC 1034 4.3.2 and
 * RFC 4592: delegations first (the highest cut on the way down), then exact
 * match, then wildcard at the closest encloser, else NXDOMAIN. */
void zone_lookup(const struct zone *z, const uint8_t *lname, size_t len, struct zone_lookup *out);
/* The RRset of type at node, or NULL. */
const struct zone_rrset *zone_node_rrset(const struct zone_node *node, uint16_t type);

/* Walk the records of an RRset: *pos starts at 0; returns a pointer to the
 * next RDATA and sets *len, or NULL at the end. */
const uint8_t *zone_rrset_next(const struct zone_rrset *rrset, uint32_t *pos, uint16_t *len);

#endif

/* The differences between the versions of a zone, for IXFR (RFC 1995).
 *
 * When a new version of a zone replaces the one served (a reload, a
 * re-signing), journal_diff_make() compares the two compiled zones (both
 * sorted: one merge walk) into one difference: the records removed and the
 * records added, each list opened by its version's SOA. A zone's journal
 * is the list of its consecutive differences, oldest first, bounded in
 * bytes (server.journal_max): appending drops the oldest. A journal is
 * immutable and reference counted, as are its differences, so that the
 * next snapshot's journal shares them with the current one's; a snapshot
 * holds one journal per zone (snapshot_set_journals()).
 *
 * Built on the reload thread, read by the TCP thread through a held
 * snapshot; reference counts are atomic. */
#ifndef GSLBD_DNS_JOURNAL_H
#define GSLBD_DNS_JOURNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct zone;
struct zone_set;
struct config;

/* One step from serial from to serial to. Records are packed one after
 * another: owner (canonical wire form), type (2 bytes), TTL (4), RDLENGTH
 * (2), RDATA (uncompressed), all big-endian; class IN. */
struct journal_diff {
	_Atomic unsigned long refs;
	uint32_t from, to;      /* serials */
	uint8_t *del;           /* the old SOA, then the records removed */
	size_t del_len;         /* bytes at del */
	uint32_t del_count;     /* records at del */
	uint8_t *add;           /* the new SOA, then the records added */
	size_t add_len;
	uint32_t add_count;
};

/* A zone's differences, oldest first: diffs[i]->to == diffs[i + 1]->from. */
struct journal {
	_Atomic unsigned long refs;
	size_t count;                  /* entries at diffs */
	struct journal_diff **diffs;   /* each referenced */
	size_t bytes;                  /* memory of the differences, about */
};

/* The difference from old to cur (same origin). Returns it (one reference,
 * the caller's), or NULL when the serials are equal (nothing to tell a
 * secondary: a change without a new serial cannot be sent as IXFR). */
struct journal_diff *journal_diff_make(const struct zone *old, const struct zone *cur);

/* A journal of prev's differences (prev NULL: none) and d (taking its
 * reference; NULL: none) when d continues prev (else d alone), dropping the
 * oldest until its bytes are at most max_bytes (0: an empty journal).
 * Returns a journal with one reference, the caller's. */
struct journal *journal_append(const struct journal *prev, struct journal_diff *d,
			       size_t max_bytes);
struct journal *journal_ref(struct journal *j);
/* Drop a reference (NULL is fine); the last frees the journal and drops
 * its differences'. Any thread. */
void journal_unref(struct journal *j);

/* The index of the difference that starts at serial, or -1 when the
 * journal does not reach back to it. */
long journal_find(const struct journal *j, uint32_t serial);

/* Walk the packed records at p (len bytes): sets owner, type, ttl, rdata
 * and rdlen of the one at *pos and moves *pos past it. Returns 0, or -1 at
 * the end. */
int journal_rr_next(const uint8_t *p, size_t len, size_t *pos, const uint8_t **owner,
		    uint16_t *type, uint32_t *ttl, const uint8_t **rdata, uint16_t *rdlen);

/* The journals of the zones of cur (cfg's zones, in order) after prev's
 * (prev_zones and prev_journals, NULL for none; zones are matched by
 * origin): each zone's journal extended by its difference, bounded by
 * cfg->journal_max. Returns zone_set_count(cur) journals (caller owns the
 * array and a reference to each; journals_free() frees both). */
struct journal **journals_next(const struct config *cfg, const struct zone_set *prev_zones,
			       struct journal *const *prev_journals, const struct zone_set *cur);
void journals_free(struct journal **j, size_t count);

#endif

/* The immutable snapshot the DNS path reads, and its safe reclamation.
 *
 * The main thread builds a struct snapshot (config + compiled zones, later
 * health and rankings), then publishes it with one atomic pointer store.
 * Reader threads (UDP workers, the TCP thread) bracket their work with
 * snapshot_reader_online()/offline() and read snapshot_current() in between:
 * no lock, no allocation. A replaced snapshot is freed by the main thread in
 * snapshot_reclaim() once every reader has been offline or has come online
 * again since the swap (quiescent-state based reclamation), and no transfer
 * holds a reference. */
#ifndef GSLBD_DNS_SNAPSHOT_H
#define GSLBD_DNS_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct zone_set;
struct geo_db;
struct lb_maps;
struct snapshot_data;
struct lbsig_table;
struct journal;

/* Datacenter states in snapshot.dc_state. */
#define DC_STATE_UP 1      /* may be answered */
#define DC_STATE_DOWN 0    /* must not be answered (drained or failed) */

struct snapshot {
	struct config *config;     /* borrowed from data; read-only */
	struct zone_set *zones;    /* borrowed from data; zone i is config->zones[i] */
	const struct geo_db *geo;  /* borrowed from data; NULL without a GeoIP database */
	const struct lb_maps *maps; /* borrowed from data: the pools' compiled geo decisions
	                             * over geo, or NULL (no database, or no pool needs one) */
	const struct lbsig_table *lbsig; /* borrowed from data: signatures of load-balanced
	                                  * answers (lbsig.h), or NULL: none signed */
	struct journal *const *journals; /* borrowed from data: per zone, its differences
	                                  * for IXFR (journal.h), or NULL: none */
	uint8_t *dc_state;         /* owned: DC_STATE_* per config->datacenters entry */
	struct latency_table *latency; /* owned: rankings per probe region, or NULL */
	struct snapshot_data *data; /* config, zones and geo, shared by snapshots that differ
	                             * only in dc_state (reference counted, main thread) */
	uint64_t generation;       /* 1 for the first snapshot, +1 per publish */
	_Atomic unsigned long refs; /* long-lived holders (zone transfers); see snapshot_ref() */
};

/* A GeoIP database shared by every snapshot that uses it, so that a reload
 * that does not change the file keeps it (reference counted atomically:
 * any thread). */
struct geo_share;
struct geo_share *geo_share_new(struct geo_db *db); /* takes ownership of db */
struct geo_share *geo_share_ref(struct geo_share *g);
void geo_share_unref(struct geo_share *g);          /* closes the db at the last ref */
const struct geo_db *geo_share_db(const struct geo_share *g);

/* New snapshot taking ownership of cfg and zones, and of one reference to
 * geo (NULL for none), with the pools' geo decisions compiled over geo
 * (lb_maps_build(); that takes a while with a full database, and a failure
 * is logged and leaves the snapshot deciding by direct lookups), or waiting
 * for them (snapshot_set_maps_deferred()). Every
 * datacenter starts DC_STATE_UP. Any thread (a reload runs on its own);
 * one at a time. */
struct snapshot *snapshot_new(struct config *cfg, struct zone_set *zones, struct geo_share *geo);
/* Tell progress(arg, done, total) how compiling the geo decisions of every
 * later snapshot_new() goes (lb_maps_build(); NULL: nobody). Set it before
 * the first load; it is called on the thread that loads. */
void snapshot_set_maps_progress(void (*progress)(void *arg, size_t done, size_t total), void *arg);
/* Compile the geo maps after, not in, every later snapshot_new() (true), so
 * that a snapshot answers at once: it decides by direct lookups in the
 * database (the same answers and scopes) and snapshot_maps_pending() says
 * so, unless the last maps built fit its config and database (then it has
 * them at once). snapshot_maps_build() compiles them on a thread of the
 * caller's, and snapshot_with_maps() makes the snapshot that has them.
 * false (the default): snapshot_new() compiles them itself. Set it before
 * the first load. */
void snapshot_set_maps_deferred(bool deferred);
/* Does snap wait for its geo maps (deferred, not compiled yet)? Then it
 * decides by direct lookups. Any thread. */
bool snapshot_maps_pending(const struct snapshot *snap);
/* Geo maps compiled for the config and database of a snapshot that waits
 * for them. */
struct snapshot_maps;
/* Compile the maps snap waits for (the last ones built when they fit; the
 * unchanged pools' taken from them), reporting to the progress callback
 * (snapshot_set_maps_progress()). Takes a while with a full database: any
 * thread but the main loop's, while snap cannot be freed (snapshot_ref());
 * one at a time. A failure is logged and gives maps that decide by direct
 * lookups. Caller owns the result; snapshot_maps_free(). */
struct snapshot_maps *snapshot_maps_build(const struct snapshot *snap);
/* Were m built for snap's config and database, and does snap wait for them?
 * A snapshot of a config reloaded since, or one that has maps, does not. */
bool snapshot_maps_fit(const struct snapshot *snap, const struct snapshot_maps *m);
/* New snapshot sharing base's config, zones, geo and signatures, with m's
 * maps, dc_state (taking ownership; datacenter_count + 1 bytes) and latency
 * (taking ownership; may be NULL). snapshot_maps_fit(base, m) must hold.
 * Main thread. */
struct snapshot *snapshot_with_maps(const struct snapshot *base, const struct snapshot_maps *m,
				    uint8_t *dc_state, struct latency_table *latency);
/* Free maps (NULL is fine); those a snapshot uses stay with it. Any thread. */
void snapshot_maps_free(struct snapshot_maps *m);
/* New snapshot with zones (taking ownership) and base's config, GeoIP
 * database and compiled maps (or its wait for them), shared: base's zones signed again
 * (zone_set_resign()). Every datacenter starts DC_STATE_UP. Any thread,
 * while base cannot be freed (snapshot_ref()). */
struct snapshot *snapshot_new_zones(const struct snapshot *base, struct zone_set *zones);
/* Give a snapshot just made by snapshot_new() or snapshot_new_zones() the
 * signatures of its load-balanced answers (taking ownership; shared by the
 * snapshots derived from it). The thread that made it. */
void snapshot_set_lbsig(struct snapshot *snap, struct lbsig_table *t);
/* Give a snapshot just made by snapshot_new() or snapshot_new_zones() the
 * journals of its zones (journals_next(): one per zone, taking ownership of
 * the array and its references; shared by the snapshots derived from it).
 * The thread that made it. */
void snapshot_set_journals(struct snapshot *snap, struct journal **journals);
/* New snapshot sharing base's config, zones and geo, with dc_state (taking
 * ownership; config->datacenter_count bytes) and latency (taking ownership;
 * may be NULL). Main thread. */
struct snapshot *snapshot_derive(const struct snapshot *base, uint8_t *dc_state,
				 struct latency_table *latency);
/* The geo share of a snapshot (NULL for none); borrowed. */
struct geo_share *snapshot_geo_share(const struct snapshot *snap);
/* Free an unpublished snapshot and what it owns (NULL is fine). The parts
 * it shares go with their last holder, whichever thread that is. */
void snapshot_free(struct snapshot *snap);

/* One reader thread's registration. */
struct snapshot_reader;

/* Register a reader. Call from the main thread before the reader thread
 * starts; the reader starts offline. */
struct snapshot_reader *snapshot_reader_new(void);
/* Mark the calling reader as using snapshots / done with them. The pointer
 * from snapshot_current() is valid only while online. */
void snapshot_reader_online(struct snapshot_reader *r);
void snapshot_reader_offline(struct snapshot_reader *r);

/* The current snapshot (borrowed; valid until snapshot_reader_offline()),
 * or NULL before the first publish. */
const struct snapshot *snapshot_current(void);

/* Keep snap alive past snapshot_reader_offline() (for a zone transfer that
 * spans many events, or a reload that reads the snapshot being served on a
 * thread of its own); balance with snapshot_unref(). Any reader thread,
 * while online when taking the reference, or the main thread. */
void snapshot_ref(const struct snapshot *snap);
void snapshot_unref(const struct snapshot *snap);

/* Publish snap (takes ownership) as current and retire the old one. Main thread. */
void snapshot_publish(struct snapshot *snap);
/* Free retired snapshots that no reader can still see. Returns how many are
 * still waiting. Main thread, called from a timer. */
unsigned snapshot_reclaim(void);
/* At exit, after every reader thread has stopped: free everything. */
void snapshot_shutdown(void);

#endif

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
#ifndef GSLBD_GSLBD_SNAPSHOT_H
#define GSLBD_GSLBD_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct zone_set;

struct snapshot {
	struct config *config;     /* owned */
	struct zone_set *zones;    /* owned; zone i is config->zones[i] */
	uint64_t generation;       /* 1 for the first snapshot, +1 per publish */
	_Atomic unsigned long refs; /* long-lived holders (zone transfers); see snapshot_ref() */
};

/* New snapshot taking ownership of cfg and zones. Main thread. */
struct snapshot *snapshot_new(struct config *cfg, struct zone_set *zones);
/* Free an unpublished snapshot and what it owns (NULL is fine). */
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
 * spans many events); balance with snapshot_unref(). Any reader thread, while
 * online when taking the reference. */
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

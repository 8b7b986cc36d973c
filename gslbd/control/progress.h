/* Progress of the long work of a load, for the people waiting on it:
 * reading a zone file ("reading example.com: 12,000,000 of 40,000,000
 * bytes"), signing a zone in memory ("signing example.com: 412,000 of
 * 1,000,000 records") and compiling the geo decisions ("compiling geo
 * maps: 7 of 20 pools"). The work reports through the hooks below (zones/ and the
 * geo compiler take them as callbacks); what it reports is logged every
 * PROGRESS_LOG_MS while the work lasts, handed to a watcher (the daemon's
 * service manager STATUS) at most every PROGRESS_WATCH_MS once the work
 * has lasted PROGRESS_WATCH_MS, and kept for /v1/status. One piece of
 * work at a time (the start-up load, then the reload thread); reports
 * come from any thread (the signing threads at once), readers on any
 * thread. */
#ifndef GSLBD_CONTROL_PROGRESS_H
#define GSLBD_CONTROL_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/zone.h"

#define PROGRESS_LOG_MS   5000u /* between two log lines of one piece of work */
#define PROGRESS_WATCH_MS 1000u /* before the watcher hears, and between two calls */

/* What is being done, as last reported. */
struct progress_state {
	char phase[32];      /* "reading", "signing", "compiling geo maps" */
	char subject[256];   /* the zone signed, "" for the maps */
	uint64_t done;       /* units done */
	uint64_t total;      /* units to do */
	char unit[16];       /* "bytes", "records", "pools" */
	uint64_t started_ms; /* when the phase began (monotonic) */
};

/* Told the text of the progress ("signing example.com: 412,000 of
 * 1,000,000 records"), on the thread that reported it. */
typedef void progress_watch_fn(void *arg, const char *text);

/* Call watch(arg, text) as the work goes (NULL: nobody). Before any load. */
void progress_set_watcher(progress_watch_fn *watch, void *arg);

/* A new piece of work begins (a reload): forget the last one's phases. */
void progress_begin(void);
/* It ended: nothing is in progress any more. */
void progress_end(void);

/* The phase being worked on, if any: true with *out filled. */
bool progress_get(struct progress_state *out);
/* "signing example.com: 412,000 of 1,000,000 records" for st into buf. */
void progress_format(const struct progress_state *st, char *buf, size_t len);

/* The hook for zone sources (zone_source.progress): signing progress. */
const struct zone_progress *progress_zone_hook(void);
/* The callback for the geo compiler (snapshot_set_maps_progress()). */
void progress_maps(void *arg, size_t done, size_t total);
/* The geo maps are compiled (they may be, on a thread of their own, after
 * the load that asked for them has ended): their phase is over, not
 * another's. */
void progress_maps_done(void);

#endif

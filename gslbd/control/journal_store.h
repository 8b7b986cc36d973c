/* The zones' journals kept in server.storage across restarts
 * (server.journal_persist; journal_file.h is the file format). At start
 * each zone's journal is read back and kept when it ends at the serial the
 * zone was loaded with (otherwise discarded, with a log line); after every
 * load that changed a zone's journal, that journal is written again. For a
 * zone gslbd signs, the serial kept in the file is also the serial served
 * before the restart, which the serial policy must not go back from.
 *
 * Called on the thread that loads (the main thread at start, the reload
 * thread after); one load at a time. */
#ifndef GSLBD_CONTROL_JOURNAL_STORE_H
#define GSLBD_CONTROL_JOURNAL_STORE_H

#include <stddef.h>

struct config;
struct journal;
struct snapshot;
struct zone_dnssec;
struct zone_set;

/* At start, before zone i of cfg is signed: the serial its journal file
 * was written at becomes sec's serial served before (has_serial_before),
 * when journals persist and the file is good. */
void journal_store_serial_before(const struct config *cfg, size_t i, struct zone_dnssec *sec);

/* journals (zone_set_count(zones) entries, from journals_next()) of the
 * snapshot being made of cfg and zones, after prev (NULL: at start): at
 * start each entry is replaced by the journal read from its file when that
 * ends at the zone's serial; then every zone whose journal is not prev's
 * (at start: not the one read) has it written. Nothing without
 * cfg->journal_persist. */
void journal_store_sync(const struct config *cfg, const struct snapshot *prev,
			struct journal **journals, const struct zone_set *zones);

#endif

/* A zone's journal (journal.h) kept on disk, so that IXFR survives a
 * restart (server.journal_persist): one file per zone, written whole after
 * each change of the journal, atomically (a temporary file beside it,
 * synced, renamed over it). The file holds a format version, the zone's
 * origin, the serial the zone had when it was written, the journal's
 * differences and a checksum over all of it; anything that does not add
 * up (truncated, corrupt, another zone or version, differences that do
 * not chain) is refused, never trusted.
 *
 * Any thread; one writer per file at a time (the reload thread). */
#ifndef GSLBD_DNS_JOURNAL_FILE_H
#define GSLBD_DNS_JOURNAL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct journal;

/* Write j (borrowed; NULL: none), the journal of the zone origin (canonical
 * wire form) at serial, to path, replacing what is there. Returns 0, or
 * GSLB_EIO with err->msg "path: reason" (the file is then unchanged). */
int journal_file_write(const char *path, const uint8_t *origin, uint32_t serial,
		       const struct journal *j, struct gslb_err *err);

/* Read the journal of zone origin from path: *out (a journal with one
 * reference, the caller's; its oldest differences dropped past max_bytes,
 * as journal_append() does) and *serial (the zone's serial when it was
 * written). Returns 0; GSLB_ENOENT when there is no file; GSLB_EPARSE
 * with err->msg "path: reason" when it is not a journal of origin in this
 * format (truncated, corrupt, another zone); GSLB_EIO when it cannot be
 * read. *out and *serial are set only on success. */
int journal_file_read(const char *path, const uint8_t *origin, size_t max_bytes,
		      struct journal **out, uint32_t *serial, struct gslb_err *err);

#endif

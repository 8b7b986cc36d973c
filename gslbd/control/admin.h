/* Operators' overrides of datacenter health (drain, force-up), and the state
 * file that keeps them across restarts.
 *
 * The table maps datacenter names to an override; names not in the current
 * configuration are kept, so a datacenter that is renamed back or reappears
 * keeps its drain. Saving writes a temporary file, fsyncs it and renames it
 * over the old one, so a crash leaves either the old or the new state.
 * Main thread only. */
#ifndef GSLBD_CONTROL_ADMIN_H
#define GSLBD_CONTROL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum admin_state {
	ADMIN_NONE = 0,  /* no override: health decides */
	ADMIN_DRAIN,     /* never answered */
	ADMIN_FORCE_UP,  /* answered whatever health says */
};

struct admin_table;

struct admin_table *admin_table_new(void);
/* Read path (JSON written by admin_table_save()). A missing file gives an
 * empty table. Returns 0, or GSLB_EIO/GSLB_EPARSE with err "path: message". */
int admin_table_load(const char *path, struct admin_table **out, struct gslb_err *err);
/* Write the table to path atomically, creating the parent folder if missing.
 * Returns 0 or a negative code with err set. */
int admin_table_save(const struct admin_table *t, const char *path, struct gslb_err *err);
void admin_table_free(struct admin_table *t);
/* Can path be written as admin_table_save() writes it (its folder created if
 * missing, a temporary file beside it created and removed)? Returns 0 or a
 * negative code with err "path: why". */
int admin_table_check_writable(const char *path, struct gslb_err *err);
/* Move an unreadable state file aside (to "path.corrupt-UNIXTIME") so that
 * the next save does not destroy it. Returns 0 or a negative code with err
 * set; *moved_to (caller frees) gets the new name on success. */
int admin_table_quarantine(const char *path, char **moved_to, struct gslb_err *err);

/* Override of dc (ADMIN_NONE when none); *since_ms (may be NULL) gets the
 * wall-clock time it was set. */
enum admin_state admin_table_get(const struct admin_table *t, const char *dc, uint64_t *since_ms);
/* Set or clear (ADMIN_NONE) the override of dc. Returns true if it changed. */
bool admin_table_set(struct admin_table *t, const char *dc, enum admin_state st, uint64_t now_ms);

const char *admin_state_name(enum admin_state st);
/* "drain", "undrain" (ADMIN_NONE), "force-up" → state; returns 0 or GSLB_EINVAL. */
int admin_action_parse(const char *action, enum admin_state *out);

#endif

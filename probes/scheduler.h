/* The probe agent's check scheduler: runs every check of the probe config
 * in use on its own interval_ms (first runs spread over up to a second),
 * with at most conf->max_concurrent in flight (the others wait their turn
 * in order; a check still running or waiting at its next turn skips it),
 * each bounded by its timeout_ms, and keeps each check's latest result for
 * the reporter. With once, every check runs once and the report goes out
 * when the last one is done. The agent's one thread only. */
#ifndef GSLBD_PROBES_SCHEDULER_H
#define GSLBD_PROBES_SCHEDULER_H

#include <stddef.h>

#include <curl/curl.h>

#include "probes/checks.h"
#include "probes/probe-internal.h"

/* Use list (takes ownership) from now on: stops the checks of the old one,
 * logs the ready line (the first time) or the change, and starts the new
 * schedule and report cycle. */
void scheduler_apply(struct agent *a, struct pcheck_list *list);
/* Stop every check of the list in use and free it. No-op without one. */
void scheduler_clear(struct agent *a);
/* A check's transfer x is over (out of the multi handle): record and log
 * the verdict, free x, start waiting checks. */
void scheduler_check_done(struct xfer *x, CURLcode rc);
/* The results completed since the last call, now no longer fresh: an array
 * of *count items (caller frees; room for one more), borrowing from the
 * list in use until the next scheduler_apply() or scheduler_clear(). A
 * list must be in use. */
struct report_item *scheduler_take_fresh(struct agent *a, size_t *count);

#endif

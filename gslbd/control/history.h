/* The last hour of the datacenters, kept in the daemon for the status page
 * (GET /v1/history) without Prometheus: a fixed ring of events (every
 * alert the control plane makes: health changes, drains, overrides, pools
 * failing open or closed, probes stale or fresh, failed reloads, expiring
 * signatures) and a ring of samples taken every HISTORY_SAMPLE_MS, each
 * holding per datacenter the answers that carried it since the sample
 * before (from the metrics shards' per-datacenter counters) and its state.
 * Memory is bounded: HISTORY_EVENTS events and HISTORY_SAMPLES samples of
 * at most METRICS_MAX_DCS datacenters, allocated once. Datacenters are kept
 * by name, so a reload that reorders or removes them keeps their past.
 * Main thread. */
#ifndef GSLBD_CONTROL_HISTORY_H
#define GSLBD_CONTROL_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HISTORY_WINDOW_MS 3600000u /* how far back samples and events are shown */
#define HISTORY_SAMPLE_MS 10000u   /* one sample every 10 s */
#define HISTORY_SAMPLES   (HISTORY_WINDOW_MS / HISTORY_SAMPLE_MS) /* 360 */
#define HISTORY_EVENTS    512 /* events kept, the oldest overwritten */

struct alert;
struct admin_table;
struct snapshot;
struct history;

struct history *history_new(void);
void history_free(struct history *h);

/* Keep alert a (borrowed for the call) as an event. */
void history_event(struct history *h, const struct alert *a);

/* Take a sample of snap's datacenters (their answers from the metrics
 * shards, their states from snap and admin) at wall time now_ms when
 * HISTORY_SAMPLE_MS have passed since the last one (the first call always
 * takes one). Returns true when it took one. */
bool history_sample(struct history *h, const struct snapshot *snap, const struct admin_table *admin,
		    uint64_t now_ms);

/* The history as JSON (caller owns): {"now_ms", "window_ms", "sample_ms",
 * "times": [sample end times, ms], "datacenters": [{"name", "answers": [..],
 * "states": [..]}] (one value per time; the last time is now, with the
 * answers since the last sample), "events": [{"time_ms", "event",
 * "datacenter" or "pool" (when about one), "reason"}], oldest first}.
 * Only what is within HISTORY_WINDOW_MS of now_ms; only datacenters of
 * snap's config. */
json_t *history_json(const struct history *h, const struct snapshot *snap,
		     const struct admin_table *admin, uint64_t now_ms);

#endif

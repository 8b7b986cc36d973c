/* The control plane, on the main thread: loading configuration, zones and the
 * GeoIP database into snapshots, reloads, operators' overrides (drain,
 * force-up) with their state file, probe reports feeding the health and
 * latency model, and the datacenter states and latency rankings every
 * published snapshot carries. The HTTP API, the signal handlers and the
 * health timer call in here; nothing here runs on a DNS thread. */
#ifndef GSLBD_CONTROL_CONTROL_H
#define GSLBD_CONTROL_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/alerts.h"
#include "gslbd/control/report.h"

struct snapshot;
struct geo_share;

/* The control plane's state (opaque; main thread). */
struct control;

/* New control plane for the configuration at config_path (borrowed: it must
 * outlive the control plane); debug keeps debug logging across reloads.
 * Free with control_free(). */
struct control *control_new(const char *config_path, bool debug);
/* Free c and everything control_start() and the reloads made (NULL is fine). */
void control_free(struct control *c);

/* The configuration file c loads. */
const char *control_config_path(const struct control *c);

/* The JSON served at /v1/probe-config for the current configuration and its
 * ETag (borrowed until the next reload), or NULL before control_start(). */
const char *control_probe_config(const struct control *c, const char **etag);

/* Start the health model for the first snapshot (before publishing it), and
 * fill its datacenter states. */
void control_start(struct control *c, struct snapshot *snap);

/* Handle one signed report (POST /v1/reports). Returns the verdict; why
 * holds the reason when refused. Publishes a new snapshot when a
 * datacenter's state or a latency ranking changed. */
enum report_verdict control_report(struct control *c, const struct report_auth *auth,
				   const void *body, size_t len, size_t *accepted, char *why,
				   size_t why_len);
/* Apply time to the health model (about once a second); publishes on change. */
void control_tick(struct control *c);

/* Load config, zones (with the load-balanced names as dynamic nodes) and the
 * GeoIP database into a new, unpublished snapshot. keep_geo, when not NULL,
 * is reused if the configuration names the same database file and reopening
 * it fails (a bad replacement file keeps the old data). Returns 0 or a
 * negative code with err set. */
int control_load(const char *path, struct geo_share *keep_geo, struct snapshot **out,
		 struct gslb_err *err);

/* Read the state file named by snap's config into c's overrides (replacing
 * them). Returns 0 or a negative code with err set (overrides unchanged). */
int control_load_admin(struct control *c, const struct snapshot *snap, struct gslb_err *err);

/* Fill snap->dc_state from the overrides and, once started, the health model. */
void control_apply_states(const struct control *c, struct snapshot *snap);

/* Reload configuration, zones, GeoIP data and state; publish on success.
 * Returns 0, or a negative code with err set (the old snapshot stays). */
int control_reload(struct control *c, struct gslb_err *err);

/* Send every alert the control plane makes to sink (NULL: none). */
void control_set_alert_sink(struct control *c, alert_sink_fn *sink, void *arg);

/* Set an override and persist it, then publish a snapshot with the new
 * states. Returns 0, GSLB_ENOENT for an unknown datacenter, or a negative
 * code with err set when the state file cannot be written (the override
 * still applies in memory). */
int control_admin_set(struct control *c, const char *dc, enum admin_state st,
		      struct gslb_err *err);

#endif

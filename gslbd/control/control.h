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
struct snapshot_maps;
struct gslb_clock;

/* The control plane's state (opaque; main thread). */
struct control;

/* New control plane for the configuration at config_path (borrowed: it must
 * outlive the control plane); debug keeps debug logging across reloads.
 * Free with control_free(). */
struct control *control_new(const char *config_path, bool debug);
/* Read time from clock (borrowed: it must outlive c) instead of the real
 * one (gslb_clock_real, the default): every decision the control plane
 * takes by time (rise, fall, freshness, load steps, stamps of reloads,
 * overrides and alerts) follows it. Call before control_start(). */
void control_set_clock(struct control *c, const struct gslb_clock *clock);
/* Free c and everything control_start() and the reloads made (NULL is fine). */
void control_free(struct control *c);

/* The configuration file c loads. */
const char *control_config_path(const struct control *c);

/* The JSON served at /v1/probe-config for the current configuration and its
 * ETag (borrowed until the next reload), or NULL before control_start();
 * *generation (from 1, increasing whenever the text changes) and *boot
 * (random, per gslbd process: generations compare only within one) go into
 * the signed answer. */
const char *control_probe_config(const struct control *c, const char **etag,
				 uint64_t *generation, uint64_t *boot);

/* Start the health model for the first snapshot (before publishing it), and
 * fill its datacenter states. */
void control_start(struct control *c, struct snapshot *snap);

/* The first zone of snap signed in memory whose signatures expire within
 * its dnssec.refresh of now (seconds since the epoch), or NULL. The caller
 * reloads to sign it again. */
const char *control_resign_due(const struct snapshot *snap, uint32_t now);

/* Handle one signed report (POST /v1/reports). Returns the verdict; why
 * holds the reason when refused. Publishes a new snapshot when a
 * datacenter's state or a latency ranking changed. */
enum report_verdict control_report(struct control *c, const struct report_auth *auth,
				   const void *body, size_t len, size_t *accepted, char *why,
				   size_t why_len);
/* Apply time to the health model (about once a second); publishes on change. */
void control_tick(struct control *c);

/* Load config, zones (with the load-balanced names as dynamic nodes) and the
 * GeoIP database into a new, unpublished snapshot. prev (the snapshot being
 * served, or NULL): its GeoIP database is reused when the configuration
 * names the same file and that file is unchanged, has the same contents, or
 * cannot be used (a bad replacement file keeps the old data); the signatures
 * of its zones that are still good are kept (zone_set_load_prev()). A
 * database file that cannot be used at start-up (prev NULL) or at a reload
 * that names the same file is logged and counted (control_geo_status()) and
 * the snapshot has the database loaded before, or none. Returns 0 or a
 * negative code with err set. */
int control_load(const char *path, const struct snapshot *prev, struct snapshot **out,
		 struct gslb_err *err);

/* Could the last control_load() use the GeoIP database its configuration
 * names (true too when it names none)? *failures (NULL: not wanted) is the
 * number of loads since start that could not. Any thread. */
bool control_geo_status(uint64_t *failures);

/* Read the state file named by snap's config into c's overrides (replacing
 * them). Returns 0 or a negative code with err set (overrides unchanged). */
int control_load_admin(struct control *c, const struct snapshot *snap, struct gslb_err *err);

/* As control_load_admin(), for the daemon: a state file that cannot be
 * read is moved aside and logged, the overrides in memory (none at start)
 * hold; that does not stop gslbd. The problem shows in control_state_problem(), the status and the
 * metrics. */
void control_load_admin_repair(struct control *c, const struct snapshot *snap);
/* Check that the state file can be written (call it as the user gslbd runs
 * as: it may create the file's folder); logs and records the problem if not. */
void control_check_state_dir(struct control *c, const struct config *cfg);
/* What is wrong with the state file ("unreadable: ...", "not writable:
 * ..."), or NULL. */
const char *control_state_problem(const struct control *c);

/* Fill snap->dc_state from the overrides and, once started, the health model. */
void control_apply_states(const struct control *c, struct snapshot *snap);

/* Publish a snapshot like the current one (its datacenter states, latency
 * rankings measured now) with the geo maps m compiled for it, if it still
 * waits for them (snapshot_maps_fit()): true then; false when a reload has
 * replaced the config or database they were built for (they are stale).
 * Main thread. */
bool control_publish_maps(struct control *c, const struct snapshot_maps *m);

/* Sign base's zones again without reading any file: a new, unpublished
 * snapshot with base's config and GeoIP data, its zones signed in memory
 * re-signed with the keys as loaded (zone_set_resign()) and the signatures
 * of the load-balanced answers made again. Any thread; base must stay
 * alive meanwhile (snapshot_ref()). Returns 0 or a negative code with err
 * set. */
int control_load_resign(const struct snapshot *base, struct snapshot **out,
			struct gslb_err *err);

/* What started a reload. */
enum control_reload_kind {
	CONTROL_RELOAD_SIGHUP, /* SIGHUP: the config file read again */
	CONTROL_RELOAD_API,    /* POST /v1/reload: the same */
	CONTROL_RELOAD_RESIGN, /* signatures due for refresh: what is loaded signed again */
	CONTROL_RELOAD_ZONE,   /* some zones read again with the running config
	                        * (POST /v1/reload?zone=NAME, a zone transfer) */
	CONTROL_RELOAD_CATALOG, /* a catalog zone changed: the config read again with its
	                         * members */
	CONTROL_RELOAD_KINDS
};
/* "sighup", "api", "resign", "zone", "catalog". */
const char *control_reload_kind_name(enum control_reload_kind k);

/* Read the zones named (count names, origins as the config writes them)
 * again with base's config: a new, unpublished snapshot sharing base's
 * config, GeoIP data and every other zone. Any thread; base must stay
 * alive meanwhile. Returns 0 or a negative code with err set (GSLB_ENOENT:
 * a name is not a zone of the config). */
int control_load_zones(const struct snapshot *base, const char *const *names, size_t count,
		       struct snapshot **out, struct gslb_err *err);

/* A reload in two halves, so that the slow one runs off the main thread.
 *
 * control_reload_prepare(): the new snapshot, built from the config file at
 * path with base as prev (control_load()), for CONTROL_RELOAD_RESIGN from
 * base alone (control_load_resign()), for CONTROL_RELOAD_ZONE with the
 * zones named read again (control_load_zones(); names are unused by the
 * other kinds). base is the snapshot being served when the reload
 * started, kept alive by the caller (snapshot_ref()). Touches nothing of
 * the control plane: any thread. Returns 0 or a negative code with err
 * set. */
int control_reload_prepare(const char *path, enum control_reload_kind kind,
			   const struct snapshot *base, const char *const *names, size_t count,
			   struct snapshot **out, struct gslb_err *err);
/* Main thread: the zones to read again by the next CONTROL_RELOAD_ZONE
 * (added by control_reload_zone()), handed over: caller owns *names (and
 * each string), free with control_zone_names_free(). */
void control_take_zone_names(struct control *c, char ***names, size_t *count);
void control_zone_names_free(char **names, size_t count);
/* Main thread, when a reload starts (for status). */
void control_reload_started(struct control *c, enum control_reload_kind kind);
/* Main thread, when it ends: with rc == 0, snap (taking ownership) gets
 * the state file's overrides (not for a re-signing), the health and load
 * models follow its config, it gets the live datacenter states and is
 * published. When rc != 0, or that fails, snap is freed and the running
 * snapshot stays: the failure is logged ("reload failed: ..."), counted
 * and alerted (reload_failed). The outcome is kept for status and
 * metrics. Returns 0, or the failure's code with err set. */
int control_reload_finish(struct control *c, enum control_reload_kind kind,
			  struct snapshot *snap, int rc, struct gslb_err *err);

/* Both halves at once, on the main thread: reload configuration, zones,
 * GeoIP data and state (kind sighup or api), or sign again (resign).
 * Returns 0, or a negative code with err set (the old snapshot stays). */
int control_reload_kind(struct control *c, enum control_reload_kind kind,
			struct gslb_err *err);
/* control_reload_kind() for SIGHUP. */
int control_reload(struct control *c, struct gslb_err *err);

/* Told on the main thread when a reload asked for ended: rc 0 or a
 * negative code, msg the error ("" when ok), generation the one served. */
typedef void control_reload_done_fn(void *arg, int rc, const char *msg, uint64_t generation);
/* Runs a reload of kind and calls done(done_arg, ...) when one that
 * started after the request has ended (done may be NULL). */
typedef void control_reload_request_fn(void *arg, enum control_reload_kind kind,
				       control_reload_done_fn *done, void *done_arg);
/* Who runs reloads (the daemon's reload thread); without one,
 * control_reload_request() reloads at once on the calling thread. */
void control_set_reloader(struct control *c, control_reload_request_fn *fn, void *arg);
/* Ask for a reload (POST /v1/reload); done is called when it ended. */
void control_reload_request(struct control *c, enum control_reload_kind kind,
			    control_reload_done_fn *done, void *done_arg);
/* Main thread: read zone name again (with the running config), then call
 * done(done_arg, ...) as control_reload_request() does. GSLB_ENOENT at
 * once when name is not a zone of the running config. */
void control_reload_zone(struct control *c, const char *name, control_reload_done_fn *done,
			 void *done_arg);

/* DNSSEC watch, from the tick: alert (signatures_expiring, once until it
 * recovers) when the earliest signature of a zone of snap signed in memory
 * has less than half of its dnssec.refresh left at now (seconds since the
 * epoch): re-signing did not happen in time. */
void control_dnssec_check(struct control *c, const struct snapshot *snap, uint32_t now);

/* An operator's override as the fleet's shared store (etcd) holds it. An
 * override removed stays in the store with state none, so that its key's
 * revision only moves forward and the removal has a revision of its own. */
struct fleet_entry {
	char dc[128];            /* the datacenter */
	enum admin_state state;  /* drain, force-up, or none (removed) */
	uint64_t since_ms;       /* when it was set (wall clock) */
	int64_t mod_revision;    /* the store's revision of its key */
	char author[96];         /* who set it */
	char reason[160];        /* why, as they said */
};

/* Writes an override to the fleet's store (NULL reason/author allowed;
 * ADMIN_NONE is written as a removal that keeps the key), if its key is
 * still at revision expect (0: never written). Returns 0 with *revision
 * the store's revision of the write, GSLB_ECONFLICT when the key moved on,
 * or GSLB_EUNAVAIL with err set when the store cannot be reached. */
typedef int fleet_write_fn(void *arg, const char *dc, enum admin_state st, uint64_t since_ms,
			   const char *author, const char *reason, int64_t expect,
			   int64_t *revision, struct gslb_err *err);

/* The fleet link as the status shows it. */
struct fleet_status {
	bool enabled;       /* etcd is configured */
	bool connected;     /* the last request to it succeeded */
	bool synced;        /* the state was read from it since the start */
	int64_t revision;   /* its revision when last read */
	uint64_t errors;    /* requests that failed */
};

/* Use the fleet's store: writes of overrides go through write (which
 * applies them fleet-wide) before they apply here. */
void control_set_fleet_writer(struct control *c, fleet_write_fn *write, void *arg);
/* The fleet's overrides (n entries) read at the store's revision: they
 * replace the local ones (saved to the state file as the local copy) and
 * are published, with alerts for what changed. Each change is applied and
 * published on its own, in the order of the store's revisions, its alerts
 * (the override's and the states it changed) with the trigger
 * admin:DATACENTER:STATE:rREVISION, as on the gslbd that wrote it. */
void control_fleet_apply(struct control *c, const struct fleet_entry *e, size_t n,
			 int64_t revision);
/* Record the fleet link's state (for status and metrics). */
void control_fleet_status_set(struct control *c, const struct fleet_status *st);
const struct fleet_status *control_fleet_status(const struct control *c);
/* The store's revision of dc's override key, 0 when it was never written;
 * it only moves forward. */
int64_t control_fleet_revision(const struct control *c, const char *dc);
/* The author and reason of dc's override in the fleet's store, or NULL. */
const struct fleet_entry *control_fleet_entry(const struct control *c, const char *dc);

/* control_admin_set() with the revision of dc's key the operator saw
 * (-1: the last one read here), an author and a reason (may be NULL); with
 * a fleet store, GSLB_ECONFLICT when it moved on and GSLB_EUNAVAIL when the
 * store is unreachable (nothing applied then). */
int control_admin_set_rev(struct control *c, const char *dc, enum admin_state st,
			  int64_t expect, const char *author, const char *reason,
			  struct gslb_err *err);

/* Send every alert the control plane makes to sink (NULL: none). */
void control_set_alert_sink(struct control *c, alert_sink_fn *sink, void *arg);

/* Set an override and persist it, then publish a snapshot with the new
 * states. Returns 0, GSLB_ENOENT for an unknown datacenter, or a negative
 * code with err set when the state file cannot be written (the override
 * still applies in memory). */
int control_admin_set(struct control *c, const char *dc, enum admin_state st,
		      struct gslb_err *err);

#endif

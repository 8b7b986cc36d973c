/* The control plane's state, shared by the modules of gslbd/control/ that
 * read it (control.c owns it, status.c renders it). Included only from
 * gslbd/control/. Main thread. */
#ifndef GSLBD_CONTROL_CONTROL_INTERNAL_H
#define GSLBD_CONTROL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gslbd/control/admin.h"
#include "gslbd/control/alerts.h"
#include "gslbd/control/control.h"
#include "gslbd/control/report.h"

struct health;
struct history;
struct load_model;
struct zone_set;

/* Reloads as status and metrics show them. */
struct control_reloads {
	uint64_t runs[CONTROL_RELOAD_KINDS][2]; /* reloads ended, by kind: [0] ok, [1] failed */
	uint64_t failures;           /* reloads that failed, every kind */
	bool in_progress;            /* one is running */
	enum control_reload_kind running; /* its kind */
	uint64_t started_wall_ms;    /* when it started (Unix time, ms) */
	bool has_last;               /* one has ended since the start */
	enum control_reload_kind last_kind; /* the last one to end */
	bool last_ok;                /* it published its snapshot */
	char last_reason[256];       /* why it failed ("" when ok) */
	uint64_t last_wall_ms;       /* when it ended (Unix time, ms) */
	uint64_t last_duration_ms;   /* how long it took */
	uint64_t last_success_wall_ms; /* the last load that was published: start or reload */
};

struct control {
	const char *config_path;   /* the configuration file */
	char **zone_names;         /* zones the next CONTROL_RELOAD_ZONE reads again (owned) */
	size_t zone_name_count;    /* entries at zone_names */
	struct admin_table *admin; /* operators' overrides */
	bool debug;                /* -d: keep debug logging across reloads */
	const struct gslb_clock *clock; /* every time read here (gslb_clock_real by default) */
	struct health *health;     /* probe-fed health and latency model, or NULL before start */
	struct load_model *load;   /* utilisations, spill-over shares, least_load ranking (with
				    * health) */
	struct report_peer *probe_last_ts; /* per config->probes entry: replay state */
	uint64_t reports[REPORT_VERDICT_COUNT]; /* reports by verdict (metrics) */
	uint64_t report_skips[REPORT_SKIP_COUNT]; /* results of accepted reports skipped */
	char *probe_config;         /* JSON served at /v1/probe-config for the current config */
	char probe_config_etag[64]; /* its ETag */
	uint64_t probe_config_generation; /* 1, then + 1 whenever the probe config changes */
	uint64_t boot;              /* random, per process: the generation's scope */
	alert_sink_fn *alert_sink;  /* where alerts go, or NULL */
	void *alert_arg;            /* its argument */
	char trigger[192];          /* the cause of the changes being published (alert ids) */
	bool probes_stale;          /* every probe's results are older than health.freshness */
	uint64_t started_ms;        /* when control_start() ran (monotonic) */
	fleet_write_fn *fleet_write; /* writes overrides fleet-wide, or NULL */
	void *fleet_arg;            /* its argument */
	struct fleet_entry *fleet;  /* the fleet's overrides as last read */
	size_t fleet_count;         /* entries at fleet */
	int64_t fleet_wrote_rev;    /* the store's revision of this gslbd's last write, until
				     * a read has it (0: none) */
	struct fleet_status fleet_st; /* the link, for status */
	char state_problem[320];    /* what is wrong with the state file, or "" */
	uint64_t state_errors;      /* state files found unreadable or unwritable */
	struct control_reloads reloads; /* reloads and their outcome */
	control_reload_request_fn *reloader; /* runs reloads, or NULL: at once */
	void *reloader_arg;         /* its argument */
	const struct zone_set *sig_zones; /* the zones sig_low is about */
	bool *sig_low;              /* per zone of sig_zones: signatures_expiring was sent */
	struct history *history;    /* the last hour of events and answers, for the status page */
};

#endif

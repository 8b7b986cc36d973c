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
struct load_model;

struct control {
	const char *config_path;   /* the configuration file */
	struct admin_table *admin; /* operators' overrides */
	bool debug;                /* -d: keep debug logging across reloads */
	struct health *health;     /* probe-fed health and latency model, or NULL before start */
	struct load_model *load;   /* utilisations, spill-over shares, least_load ranking (with
				    * health) */
	uint64_t *probe_last_ts;   /* per config->probes entry: newest accepted report timestamp */
	uint64_t reports[REPORT_VERDICT_COUNT]; /* reports by verdict (metrics) */
	char *probe_config;         /* JSON served at /v1/probe-config for the current config */
	char probe_config_etag[64]; /* its ETag */
	alert_sink_fn *alert_sink;  /* where alerts go, or NULL */
	void *alert_arg;            /* its argument */
	char trigger[96];           /* the cause of the changes being published (alert ids) */
	bool probes_stale;          /* every probe's results are older than health.freshness */
	uint64_t started_ms;        /* when control_start() ran (monotonic) */
	fleet_write_fn *fleet_write; /* writes overrides fleet-wide, or NULL */
	void *fleet_arg;            /* its argument */
	struct fleet_entry *fleet;  /* the fleet's overrides as last read */
	size_t fleet_count;         /* entries at fleet */
	struct fleet_status fleet_st; /* the link, for status */
	char state_problem[320];    /* what is wrong with the state file, or "" */
	uint64_t state_errors;      /* state files found unreadable or unwritable */
};

#endif

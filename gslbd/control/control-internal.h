/* The control plane's state, shared by the modules of gslbd/control/ that
 * read it (control.c owns it, status.c renders it). Included only from
 * gslbd/control/. Main thread. */
#ifndef GSLBD_CONTROL_CONTROL_INTERNAL_H
#define GSLBD_CONTROL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gslbd/control/admin.h"
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
};

#endif

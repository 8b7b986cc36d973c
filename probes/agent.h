/* The probe agent: one thread running a libevent loop that drives the
 * libcurl multi-socket API. It fetches the checks from the gslbd servers
 * (GET /v1/probe-config, signed, with If-None-Match, refreshed
 * periodically, cached on disk), runs every check on its own schedule with
 * a deadline and a cap on checks in flight, and each cycle posts the latest
 * results, signed, to every server independently, with bounded retries.
 * Nothing blocks the loop. curl_global_init() must have been called.
 * agent.c wires the parts together: transport.c (libcurl over libevent),
 * scheduler.c (the checks), reporter.c (the reports) and config_fetch.c
 * (the probe config and its cache), which share probe-internal.h. */
#ifndef GSLBD_PROBES_AGENT_H
#define GSLBD_PROBES_AGENT_H

#include <stdbool.h>

#include "common/err.h"
#include "probes/probe_conf.h"

struct agent;

/* Build an agent for conf (borrowed; must outlive the agent). once: fetch
 * the config, run each check once, send one report to every server, stop.
 * Returns 0 with *out (caller frees with agent_free()), or a negative
 * GSLB_E* with err set. */
int agent_new(const struct probe_conf *conf, bool once, struct agent **out, struct gslb_err *err);

/* Run until SIGTERM or SIGINT (then 0), or with once until the cycle is
 * over: 0 when every server accepted the report, 1 otherwise (also when no
 * config could be had). */
int agent_run(struct agent *a);

/* Stop every transfer and free everything. Accepts NULL. */
void agent_free(struct agent *a);

#endif

/* What the control plane shows: the /v1/status document and the Prometheus
 * text of /metrics, rendered from the control plane and a snapshot, so that
 * they are tested without sockets. The HTTP API (gslbd/net/api.c) routes
 * to them and adds its listeners' own counters. Main thread. */
#ifndef GSLBD_CONTROL_STATUS_H
#define GSLBD_CONTROL_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct control;
struct snapshot;
struct metrics_shard;

/* The status document: generation, datacenters (state, override, health
 * and every probe's view), zones, names, probes with report ages and the
 * latency rankings, at monotonic time now_ms. Caller owns the result. */
json_t *status_json(const struct control *c, const struct snapshot *snap, uint64_t now_ms);

/* The last hour of health changes, drains and answers per datacenter
 * (history_json() in gslbd/control/history.h), at wall time now_ms.
 * Caller owns the result. */
json_t *status_history_json(const struct control *c, const struct snapshot *snap, uint64_t now_ms);

/* The Prometheus text (format 0.0.4) of the DNS counters summed in sum,
 * the datacenters, probes, reports and snapshot, at monotonic time now_ms.
 * Returns a NUL-terminated string of *len bytes; caller frees it. */
char *status_metrics_text(const struct control *c, const struct snapshot *snap,
			  const struct metrics_shard *sum, uint64_t now_ms, size_t *len);

#endif

/* gslbd's HTTP API (libevent evhttp), served on the main thread's event
 * loop beside signals and timers, so that handlers can change control state
 * and publish snapshots directly; DNS threads are never involved.
 *
 *   GET  /                                          status page (status_page.h)
 *   GET  /healthz                                   liveness
 *   GET  /v1/status                                 datacenters, overrides, zones, names
 *   GET  /v1/explain?name=N&client=IP[&ecs=P][&qtype=A|AAAA]   a live decision
 *   POST /v1/datacenters/NAME/drain|undrain|force-up  (Authorization: Bearer TOKEN)
 *   POST /v1/reload                                 (Authorization: Bearer TOKEN)
 *   POST /v1/reports, GET /v1/probe-config          (signed by a probe, common/sign.h)
 *   GET  /metrics                                   Prometheus text format
 *
 * Request bodies and headers are size-limited and connections time out. */
#ifndef GSLBD_NET_API_H
#define GSLBD_NET_API_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

struct event_base;
struct config;
struct control;
struct api;

/* Listen on every api_listen address of cfg. Returns 0 with *out (NULL when
 * the configuration has no API address), or a negative code with err set. */
int api_start(struct event_base *base, const struct config *cfg, struct control *ctl,
	      struct api **out, struct gslb_err *err);
/* " http=127.0.0.1:8053" for the ready line (empty without an API). */
void api_describe(const struct api *api, char *buf, size_t len);
/* "http tcp ADDR PORT" lines for the port file. */
void api_write_ports(const struct api *api, FILE *out);
void api_free(struct api *api);

#endif

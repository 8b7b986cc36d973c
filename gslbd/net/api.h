/* gslbd's HTTP API (gslbd/net/http_server.h), served on the main thread's event
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
 * Each api.listen entry is a listener of its own, plain HTTP or TLS
 * (gslbd/net/tls.h), serving a set of roles (enum api_role in conf.h); an
 * endpoint whose role a listener does not serve is 404 there.
 * The listener's role, the ACL, tokens (failed ones throttled per client
 * network), a tenant's rate and each endpoint's body limit are decided on
 * the request line and headers, before any body is read; connections are
 * capped in total (within a descriptor budget that leaves DNS over TCP its
 * own) and per client network, and headers and bodies have deadlines
 * (api.* options in gslbd.conf(5)). */
#ifndef GSLBD_NET_API_H
#define GSLBD_NET_API_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

struct event_base;
struct config;
struct control;
struct api;

/* Listen on every api_listen address of cfg, loading the certificates of
 * its TLS listeners. Returns 0 with *out (NULL when the configuration has no
 * API address), or a negative code with err set. */
int api_start(struct event_base *base, const struct config *cfg, struct control *ctl,
	      struct api **out, struct gslb_err *err);
/* After a reload to cfg (SIGHUP, POST /v1/reload): each listener takes the
 * roles and TLS files cfg gives it, and loads its certificate and key
 * again; one that does not load is logged and the one in use kept. A
 * listener whose address or TLS changed keeps what it has until a restart
 * (logged). api may be NULL. */
void api_reload(struct api *api, const struct config *cfg);
/* Load the certificates and keys of cfg's TLS listeners as api_start()
 * would (--check-config). Returns 0, or GSLB_EIO with err set. */
int api_check_tls(const struct config *cfg, struct gslb_err *err);
/* " http=127.0.0.1:8053 https=[::]:8443" for the ready line (empty without
 * an API). */
void api_describe(const struct api *api, char *buf, size_t len);
/* "http tcp ADDR PORT" (or https for a TLS listener) lines for the port
 * file. */
void api_write_ports(const struct api *api, FILE *out);
void api_free(struct api *api);

#endif

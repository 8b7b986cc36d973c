/* The probe agent's probe-config fetch and its disk cache. A round asks
 * the first server (GET /v1/probe-config, signed, with If-None-Match once
 * a config is in use), then the next ones while they fail; rounds repeat
 * every conf->config_refresh_ms (every 5 s at most while there is no
 * config). A new config is saved to conf->cache_file (temporary file,
 * fsync, rename) and handed to the scheduler; when no server answers and
 * none is in use yet, the cached one is used. With once, a round that
 * leaves the agent without config stops the loop with exit code 1. The
 * agent's one thread only. */
#ifndef GSLBD_PROBES_CONFIG_FETCH_H
#define GSLBD_PROBES_CONFIG_FETCH_H

#include <stddef.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "probes/probe-internal.h"

/* Start a round at server (an index into conf->servers). */
void config_fetch_start(struct agent *a, size_t server);
/* A fetch's transfer x is over (out of the multi handle): use the config,
 * or ask the next server, or end the round; frees x. */
void config_fetch_done(struct xfer *x, CURLcode rc);
/* Callback of a->refresh (arg: the agent): a new round unless one is
 * under way. */
void config_fetch_on_refresh(evutil_socket_t fd, short what, void *arg);

#endif

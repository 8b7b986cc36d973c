/* The probe agent's reporter: each report cycle (the probe config's
 * interval_ms) builds one report of the results completed since the last
 * and posts it to every server on its own, signed afresh for each attempt.
 * A transport error, 5xx or 429 is retried after 250 ms, doubling up to
 * 5 s, conf->report_retries times; another refusal is final; a send still
 * waiting to retry when a newer report goes out gives way to it. With
 * once, the loop stops when every send is over, with exit code 0 only if
 * every server accepted. The agent's one thread only. */
#ifndef GSLBD_PROBES_REPORTER_H
#define GSLBD_PROBES_REPORTER_H

#include <curl/curl.h>
#include <event2/event.h>

#include "probes/probe-internal.h"

/* Post the fresh results to every server (daemon mode: not when there are
 * none). A probe config must be in use. */
void reporter_send_all(struct agent *a);
/* A report's transfer x is over (out of the multi handle): accept, retry or
 * give up; frees x. */
void reporter_done(struct xfer *x, CURLcode rc);
/* Restart the report cycle at the interval of the probe config in use. */
void reporter_cycle_restart(struct agent *a);
/* Callback of a->report_timer (arg: the agent): rearm it, send. */
void reporter_on_timer(evutil_socket_t fd, short what, void *arg);
/* Drop every send, in flight or waiting. */
void reporter_fini(struct agent *a);

#endif

/* The probe agent's transport: libcurl's multi-socket API driven by the
 * agent's libevent loop. libcurl says which sockets to watch and when to
 * time out; transport.c watches them on a->base and calls
 * curl_multi_socket_action(), then takes every finished transfer out of
 * the multi handle and hands it to its owner by kind (config_fetch_done(),
 * scheduler_check_done(), reporter_done()), which frees it. It also signs
 * requests (common/sign.h) and reads why a server refused one. The agent's
 * one thread only; nothing here blocks or calls back from a start. */
#ifndef GSLBD_PROBES_TRANSPORT_H
#define GSLBD_PROBES_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "probes/probe-internal.h"

/* Make a->multi and a->curl_timer (on a->base, which must exist). Returns
 * 0, or -1 with a left for transport_fini(). */
int transport_init(struct agent *a);
/* Abort every transfer still active (without handing it back), then free
 * the multi handle, the watched sockets and the timer. Accepts a
 * half-built agent. */
void transport_fini(struct agent *a);

/* A new transfer of kind for url, with the options every transfer shares:
 * at most body_max bytes of the answer kept, timeout_ms for the connect
 * and for the whole. Not yet started; free it with xfer_free() unless
 * xfer_start() is called. Aborts on out-of-memory. */
struct xfer *xfer_new(struct agent *a, enum xfer_kind kind, const char *url, size_t body_max,
		      unsigned timeout_ms);
/* Free a transfer that is not (or no longer) in the multi handle. Accepts
 * NULL. */
void xfer_free(struct xfer *x);
/* Set x's headers and put it in the multi handle and the active list. */
void xfer_start(struct xfer *x);
/* Take x out of the multi handle and the active list (not freed). */
void xfer_detach(struct xfer *x);
/* Why a transfer failed, for logs and results (borrowed from x or
 * libcurl). */
const char *xfer_error(const struct xfer *x, CURLcode rc);
/* Keep the ETag of x's answer in x->etag (before xfer_start()). */
/* Keep the value of response header name (borrowed for the transfer's
 * life) in x->header_value. */
void xfer_keep_header(struct xfer *x, const char *name);
void xfer_keep_etag(struct xfer *x);
/* Add the signature headers of method/path/body (len bytes) to x->headers,
 * with a timestamp newer than any used before. */
void xfer_sign(struct xfer *x, const char *method, const char *path, const char *body, size_t len);
/* The reason a server gave for refusing a request (its JSON refusal, else
 * the start of the body), printable, in buf (len bytes). */
void xfer_refusal_reason(const struct xfer *x, char *buf, size_t len);

/* Arm ev (a timer) to fire in ms milliseconds. */
void transport_timer_add_ms(struct event *ev, uint64_t ms);

#endif

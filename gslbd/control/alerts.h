/* Alerts: the state changes operators are told about (a datacenter down or
 * up, drained, undrained or forced up, a pool failing open or closed, every
 * probe stale or one fresh again), made by the control plane and handed to
 * a sink (the webhook senders, gslbd/net/webhook.c). An alert's id is a
 * hash of its event, subject and trigger (the probe report or operator
 * action that caused it), so that every gslbd of a fleet that sees the
 * same cause sends the same id and receivers can deduplicate. Main thread;
 * pure functions but for the sink. */
#ifndef GSLBD_CONTROL_ALERTS_H
#define GSLBD_CONTROL_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "gslbd/conf/conf.h"

#define ALERT_ID_LEN 32 /* hex digits of an alert id */

struct alert {
	enum config_alert_event event; /* what happened */
	char subject[72];              /* the datacenter or pool, "" for the probes_* events */
	char reason[160];              /* why, for people */
	char trigger[192];             /* the cause, the same on every gslbd that sees it */
	uint64_t wall_ms;              /* when (Unix time, ms) */
	char id[ALERT_ID_LEN + 1];     /* set by alert_finish() */
};

/* Called with each alert (borrowed for the call). */
typedef void alert_sink_fn(const struct alert *a, void *arg);

/* Fill a's id from its event, subject and trigger. */
void alert_finish(struct alert *a);

/* The JSON body of a, sent by gslbd instance (its server.identity, or
 * NULL). Caller frees. */
char *alert_json(const struct alert *a, const char *instance);

/* The wait before retry number retry (1, 2, ...): base_ms doubled each
 * time, at most ALERT_BACKOFF_MAX_MS. */
#define ALERT_BACKOFF_MAX_MS 300000u
uint64_t alert_backoff_ms(unsigned base_ms, unsigned retry);

#endif

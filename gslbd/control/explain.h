/* Explaining a load-balancing decision to a person: which datacenters were
 * candidates, how far, how heavy, in which state, and what was answered with
 * which TTL and ECS scope. Used by `gslbd --explain` (text) and the HTTP
 * API (JSON). Any thread holding the snapshot; allocates (not for the DNS
 * path). */
#ifndef GSLBD_CONTROL_EXPLAIN_H
#define GSLBD_CONTROL_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/err.h"

struct snapshot;
struct control;

/* What to explain. */
struct explain_query {
	const char *name;   /* queried name, presentation format */
	const char *client; /* resolver address, e.g. "192.0.2.1" */
	const char *ecs;    /* ECS prefix "ADDR/LEN", or NULL */
	uint16_t qtype;     /* 1 (A) or 28 (AAAA) */
	const struct control *ctl; /* the running control plane (main thread), whose
				    * utilisations are shown as they are now; NULL:
				    * the snapshot's, as of its publication */
};

/* Decide as the DNS path would and describe it as JSON (caller owns the
 * reference). Returns NULL with err set when the name is not load-balanced
 * or an address does not parse. */
json_t *explain_json(const struct snapshot *snap, const struct explain_query *q,
		     struct gslb_err *err);
/* The same as readable text on out. Returns 0 or a negative code with err set. */
int explain_print(FILE *out, const struct snapshot *snap, const struct explain_query *q,
		  struct gslb_err *err);

#endif

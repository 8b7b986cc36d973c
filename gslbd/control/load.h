/* The load model: what the probe-reported loads make of each datacenter
 * with a capacity. From each datacenter's utilisation (the median load of
 * its fresh probes over its capacity, health_dc_load()) it keeps:
 *
 * - the spill-over share: the part of its clients a datacenter keeps. Above
 *   load.high_water a datacenter keeps what fits, share * high / util, and
 *   below load.low_water (or with no fresh load at all) it takes clients
 *   back; each change moves the share by at most load.max_step, and comes
 *   load.interval after the one before. A decrease also waits for loads
 *   measured after the last change, so that the share acts on what the
 *   last change did. Between the water marks the share holds.
 * - the least_load ranking: datacenters of known utilisation, lowest first,
 *   where one passes another only when lower by load.hysteresis percentage
 *   points, so that small oscillations do not change the leader.
 *
 * Time is a parameter (milliseconds, monotonic), so it is tested with a fake
 * clock. Main thread only. */
#ifndef GSLBD_CONTROL_LOAD_H
#define GSLBD_CONTROL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct latency_table;
struct load_model;

/* One datacenter's input to load_model_update(). */
struct load_input {
	bool known;         /* a fresh load exists */
	double util;        /* utilisation: median load / capacity (1.0 = at capacity) */
	uint64_t oldest_ms; /* time of the oldest result in that median */
};

/* New model for cfg (borrowed until load_model_reconfigure()): every share
 * full, no ranking. */
struct load_model *load_model_new(const struct config *cfg, uint64_t now_ms);
/* Adopt a reloaded cfg: datacenters keep their share and place by name. */
void load_model_reconfigure(struct load_model *m, const struct config *cfg);
void load_model_free(struct load_model *m);
/* Does cfg have a datacenter with a capacity (is there anything to model)? */
bool load_model_is_used(const struct config *cfg);
/* The same for the config m models, without looking at it again. */
bool load_model_in_use(const struct load_model *m);

/* Apply in (one entry per cfg->datacenters entry; ignored for datacenters
 * without a capacity) at now_ms. Returns true when a share or the ranking
 * changed (a new snapshot is due). */
bool load_model_update(struct load_model *m, const struct load_input *in, uint64_t now_ms);

/* A datacenter's utilisation (< 0 unknown) and share (0..1). */
double load_model_util(const struct load_model *m, size_t dc);
double load_model_share(const struct load_model *m, size_t dc);
/* The least_load ranking (borrowed until the next update). */
const uint16_t *load_model_order(const struct load_model *m, size_t *count);

/* Copy the utilisations, shares and ranking into t (replacing t->loads and
 * t->load_order). */
void load_model_fill(const struct load_model *m, struct latency_table *t);

#endif

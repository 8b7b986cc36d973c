/* What probes measured, as the policies read it from a snapshot: latency
 * rankings per probe region (the latency policy), and per datacenter the
 * utilisation, the spill-over share and the least_load ranking (computed by
 * gslbd/control/load.c). The control plane builds a table from probe
 * reports; a published snapshot owns it, and DNS threads read it without
 * locks. Immutable once built. */
#ifndef GSLBD_DNS_LATENCY_H
#define GSLBD_DNS_LATENCY_H

#include <stddef.h>
#include <stdint.h>

struct latency_region {
	const char *name;          /* region name (borrowed from the config) */
	double lat;                /* mean position of the region's probes */
	double lon;
	uint16_t *order;           /* datacenters with fresh RTT data, best first (hysteresis applied) */
	size_t order_count;        /* entries at order */
	double *rtt_ms;            /* per config->datacenters entry: smoothed RTT, < 0 if none */
};
/* latency_load.keep of a datacenter that keeps every client. */
#define LATENCY_KEEP_ALL (UINT64_C(1) << 32)

/* One datacenter's load, for the least_load policy and spill-over. */
struct latency_load {
	double util;   /* utilisation (median load / capacity), < 0 when unknown */
	uint64_t keep; /* spill-over: a client stays when the top 32 bits of its
			* network's hash mixed with salt are below this (LATENCY_KEEP_ALL:
			* every client stays; 0: none) */
	uint64_t salt; /* from the datacenter's name: each spills different clients */
};

struct latency_table {
	struct latency_region *regions; /* one per distinct probe region */
	size_t region_count;            /* entries at regions */
	struct latency_load *loads;     /* per config->datacenters entry, or NULL: no loads */
	uint16_t *load_order;           /* least_load: datacenters of known utilisation,
					 * lowest first (hysteresis applied) */
	size_t load_order_count;        /* entries at load_order */
	uint16_t *load_rank;            /* per config->datacenters entry: its index in
					 * load_order, UINT16_MAX when not ranked; or NULL */
};
struct config;

/* The probe regions of cfg numbered as every latency table numbers them:
 * distinct region names in order of first appearance among cfg->probes,
 * each placed at the mean position of its probes. Fills lat[r] and lon[r]
 * (arrays of at least cfg->probe_count entries) and, when region_of is not
 * NULL, region_of[p] for each probe. Returns the number of regions. Any
 * thread. */
size_t latency_regions_place(const struct config *cfg, double *lat, double *lon,
			     uint32_t *region_of);

/* Free t and everything it owns (NULL is fine). */
void latency_table_free(struct latency_table *t);

#endif

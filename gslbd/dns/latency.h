/* Latency rankings per probe region: what the latency policy reads from a
 * snapshot. The health model (gslbd/control/health.c) builds a table from
 * probe reports; a published snapshot owns it, and DNS threads read it
 * without locks. Immutable once built. */
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
struct latency_table {
	struct latency_region *regions; /* one per distinct probe region */
	size_t region_count;            /* entries at regions */
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

#include <config.h>

#include "gslbd/dns/latency.h"

#include <stdlib.h>
#include <string.h>

#include "gslbd/conf/conf.h"

static const char *null_empty(const char *s)
{
	return s != NULL ? s : "";
}

size_t latency_regions_place(const struct config *cfg, double *lat, double *lon,
			     uint32_t *region_of)
{
	size_t count = 0;

	for (size_t p = 0; p < cfg->probe_count; p++) {
		const char *name = null_empty(cfg->probes[p].region);
		size_t r = 0;

		while (r < p && strcmp(null_empty(cfg->probes[r].region), name) != 0)
			r++;
		if (r == p) {
			/* first of its region: count its probes' mean position */
			size_t n = 0;

			lat[count] = 0.0;
			lon[count] = 0.0;
			for (size_t q = p; q < cfg->probe_count; q++) {
				if (strcmp(null_empty(cfg->probes[q].region), name) != 0)
					continue;
				lat[count] += cfg->probes[q].lat;
				lon[count] += cfg->probes[q].lon;
				n++;
			}
			lat[count] /= (double)n;
			lon[count] /= (double)n;
			if (region_of != NULL)
				region_of[p] = (uint32_t)count;
			count++;
		} else if (region_of != NULL) {
			region_of[p] = region_of[r];
		}
	}
	return count;
}

void latency_table_free(struct latency_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->region_count; i++) {
		free(t->regions[i].order);
		free(t->regions[i].rtt_ms);
	}
	free(t->regions);
	free(t->loads);
	free(t->load_order);
	free(t->load_rank);
	free(t);
}

#include <config.h>

#include "gslbd/dns/latency.h"

#include <stdlib.h>

void latency_table_free(struct latency_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->region_count; i++) {
		free(t->regions[i].order);
		free(t->regions[i].rtt_ms);
	}
	free(t->regions);
	free(t);
}

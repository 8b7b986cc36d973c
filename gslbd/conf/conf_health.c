/* gslbd.conf "health": the options are in the table; what depends on
 * other sections is checked here. */
#include <config.h>

#include <stddef.h>

#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

int conf_health_check(struct loader *l)
{
	struct config *cfg = l->cfg;
	const struct ytree_node *at;
	const char *key;

	if (cfg->health_quorum == 0 || cfg->health_quorum <= cfg->probe_count)
		return 0;
	key = conf_option_key(l, offsetof(struct config, health_quorum), &at);
	return ytree_error_path(&l->r, at, key, "%u is more than the %zu probes configured",
				cfg->health_quorum, cfg->probe_count);
}

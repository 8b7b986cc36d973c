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

int conf_load_check(struct loader *l)
{
	struct config *cfg = l->cfg;
	const struct ytree_node *at;
	const char *key;

	if (cfg->load_low_pct < cfg->load_high_pct)
		return 0;
	key = conf_option_key(l, offsetof(struct config, load_low_pct), &at);
	if (at == NULL)
		key = conf_option_key(l, offsetof(struct config, load_high_pct), &at);
	return ytree_error_path(&l->r, at, key,
				"load.low_water (%u) must be lower than load.high_water (%u)",
				cfg->load_low_pct, cfg->load_high_pct);
}

/* gslbd.conf "geoip": the data paths, read by the option table, checked
 * together. */
#include <config.h>

#include <stddef.h>

#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

int conf_geoip_check(struct loader *l, const struct ytree_node *geoip)
{
	struct config *cfg = l->cfg;
	bool lat = cfg->geoip_latitude[0] != '\0', lon = cfg->geoip_longitude[0] != '\0';

	if (lat != lon) {
		size_t off = lat ? offsetof(struct config, geoip_longitude)
				 : offsetof(struct config, geoip_latitude);
		const struct ytree_node *at;
		const char *key = conf_option_key(l, off, &at);

		return ytree_error_path(&l->r, at, key,
					"latitude and longitude are read together: set both or "
					"neither to \"\"");
	}
	if (!lat && cfg->geoip_country[0] == '\0' && cfg->geoip_continent[0] == '\0')
		return ytree_error_path(&l->r, geoip, "geoip",
					"every data path is \"\": nothing to read");
	return 0;
}

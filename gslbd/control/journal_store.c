#include <config.h>

#include "gslbd/control/journal_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/journal_file.h"
#include "gslbd/dns/snapshot.h"
#include "zones/dname.h"
#include "zones/zone.h"

void journal_store_serial_before(const struct config *cfg, size_t i, struct zone_dnssec *sec)
{
	uint8_t origin[DNAME_MAXLEN];
	struct journal *j = NULL;
	struct gslb_err err = {""};
	uint32_t serial;
	char *path;

	if (!cfg->journal_persist || sec->serial_policy == ZONE_SERIAL_KEEP ||
	    dname_from_str(cfg->zones[i].name, origin) < 0)
		return;
	path = config_storage_file(cfg, cfg->zones[i].name, ".journal");
	if (journal_file_read(path, origin, cfg->journal_max, &j, &serial, &err) == 0) {
		sec->has_serial_before = true;
		sec->serial_before = serial;
		journal_unref(j);
	}
	free(path);
}

/* prev's journal of zone z (by origin), or NULL. */
static const struct journal *prev_journal(const struct snapshot *prev, const struct zone *z)
{
	const uint8_t *origin = zone_origin(z);
	const struct zone *old;

	if (prev == NULL || prev->journals == NULL)
		return NULL;
	old = zone_set_find(prev->zones, origin, dname_len(origin));
	if (old == NULL || !dname_equal(zone_origin(old), origin))
		return NULL;
	return prev->journals[zone_index(old)];
}

/* At start: journal i from its file when it ends at z's serial. Returns
 * whether it was taken. */
static bool read_back(const struct config *cfg, size_t i, const struct zone *z, const char *path,
		      struct journal **journals)
{
	struct journal *j = NULL;
	struct gslb_err err = {""};
	uint32_t serial;
	int rc = journal_file_read(path, zone_origin(z), cfg->journal_max, &j, &serial, &err);

	if (rc == GSLB_ENOENT)
		return false;
	if (rc != 0) {
		log_warn("journal: zone %s: %s: discarded", cfg->zones[i].name, err.msg);
		return false;
	}
	if (serial != zone_serial(z)) {
		log_info("journal: zone %s: %s was written at serial %u, the zone is at %u: "
			 "discarded",
			 cfg->zones[i].name, path, serial, zone_serial(z));
		journal_unref(j);
		return false;
	}
	log_info("journal: zone %s: %zu difference%s read from %s%s", cfg->zones[i].name, j->count,
		 j->count == 1 ? "" : "s", path,
		 j->count > 0 ? "" : " (none: IXFR from an older serial gets the whole zone)");
	journal_unref(journals[i]);
	journals[i] = j;
	return true;
}

void journal_store_sync(const struct config *cfg, const struct snapshot *prev,
			struct journal **journals, const struct zone_set *zones)
{
	if (!cfg->journal_persist)
		return;
	if (mkdir(cfg->storage, 0755) != 0 && errno != EEXIST)
		log_warn("journal: cannot make %s: %s", cfg->storage, strerror(errno));
	for (size_t i = 0; i < cfg->zone_count && i < zone_set_count(zones); i++) {
		const struct zone *z = zone_set_zone(zones, i);
		struct gslb_err err = {""};
		char *path;

		if (zone_soa(z) == NULL)
			continue; /* no data: nothing to keep */
		if (prev != NULL && prev_journal(prev, z) == journals[i])
			continue;
		path = config_storage_file(cfg, cfg->zones[i].name, ".journal");
		/* At start, a file that checks out is what it should hold. */
		if (prev != NULL || !read_back(cfg, i, z, path, journals)) {
			int rc = journal_file_write(path, zone_origin(z), zone_serial(z),
						    journals[i], &err);

			if (rc != 0)
				log_warn("journal: zone %s: %s", cfg->zones[i].name, err.msg);
		}
		free(path);
	}
}

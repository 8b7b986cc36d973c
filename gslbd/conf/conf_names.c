/* gslbd.conf "names": load-balanced names, each in a served zone and
 * answered from a pool. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"
#include "zones/dname.h"

static int lbname_read(struct loader *l, const struct ytree_node *n, size_t index,
		       uint8_t (*wire)[DNAME_MAXLEN])
{
	enum { K_NAME, K_POOL, K_XFR, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"name", "pool", "transfer_answer", NULL};
	struct config *cfg = l->cfg;
	struct config_lbname *lb = &cfg->lbnames[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96], text[DNAME_STRLEN];
	uint8_t offs[DNAME_MAXLABELS];
	unsigned labels;
	long zone = -1, pool;
	int rc, len;

	if ((rc = conf_entry_open(l, n, "names", index, "name and pool", keys, v, path,
				  sizeof(path), &lb->line, &lb->col)) != 0)
		return rc;
	if (v[K_NAME] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'name'");
	if (v[K_POOL] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'pool'");

	snprintf(kpath, sizeof(kpath), "%s.name", path);
	if ((rc = ytree_read_string(&l->r, v[K_NAME], kpath, "a domain name")) != 0)
		return rc;
	len = dname_from_str(v[K_NAME]->scalar, wire[index]);
	if (len < 0)
		return ytree_error_path(&l->r, v[K_NAME], kpath, "'%s' is not a valid domain name",
					v[K_NAME]->scalar);
	labels = dname_label_offsets(wire[index], offs);
	for (unsigned i = 1; i < labels; i++) {
		const uint8_t *lab = wire[index] + offs[i];

		if (lab[0] == 1 && lab[1] == '*')
			return ytree_error_path(&l->r, v[K_NAME], kpath,
						"'%s': '*' may only be the first label",
						v[K_NAME]->scalar);
	}
	for (size_t i = 0; i < index; i++) {
		if (dname_equal(wire[i], wire[index]))
			return ytree_error_path(&l->r, v[K_NAME], kpath,
						"duplicate name '%s' (first at line %u)",
						v[K_NAME]->scalar, cfg->lbnames[i].line);
	}
	/* The zone with the longest origin holding the name. */
	for (size_t z = 0; z < cfg->zone_count; z++) {
		if (dname_is_subdomain(wire[index], l->zone_wire[z]) &&
		    (zone < 0 || l->zone_wire_len[z] > l->zone_wire_len[zone]))
			zone = (long)z;
	}
	if (zone < 0)
		return ytree_error_path(&l->r, v[K_NAME], kpath,
					"'%s' is in none of the served zones", v[K_NAME]->scalar);
	if (l->zone_wire_len[zone] == len)
		return ytree_error_path(
		    &l->r, v[K_NAME], kpath,
		    "'%s' is the apex of zone '%s'; load-balanced names go below it",
		    v[K_NAME]->scalar, cfg->zones[zone].name);
	lb->zone = (size_t)zone;
	dname_to_str(wire[index], text, sizeof(text));
	lb->name = xstrdup(text);

	snprintf(kpath, sizeof(kpath), "%s.pool", path);
	if ((rc = ytree_read_string(&l->r, v[K_POOL], kpath, "a pool name")) != 0)
		return rc;
	pool = conf_pool_find(cfg, v[K_POOL]->scalar);
	if (pool < 0)
		return ytree_error_path(&l->r, v[K_POOL], kpath, "unknown pool '%s'",
					v[K_POOL]->scalar);
	lb->pool = (size_t)pool;

	if (v[K_XFR] == NULL)
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.transfer_answer", path);
	if ((rc = conf_dc_list_read(l, v[K_XFR], kpath, &cfg->pools[pool], &lb->xfr_dcs,
				    &lb->xfr_dc_count)) != 0)
		return rc;
	for (size_t i = 0; i < lb->xfr_dc_count && lb->xfr_dc_count > 1; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[lb->xfr_dcs[i]];

		if (dc->cname != NULL)
			return ytree_error_path(&l->r, v[K_XFR], kpath,
						"CNAME datacenter '%s' listed with others: a CNAME "
						"excludes every other record",
						dc->name);
	}
	return 0;
}

int conf_names_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	uint8_t(*wire)[DNAME_MAXLEN];
	int rc = 0;

	if ((rc = conf_section_list(l, n, "names", "load-balanced names")) != 0 ||
	    ytree_node_is_null(n))
		return rc;
	cfg->lbnames = xcalloc(n->count, sizeof(*cfg->lbnames));
	wire = xcalloc(n->count, sizeof(*wire));
	for (size_t i = 0; i < n->count; i++) {
		cfg->lbname_count = i + 1;
		if ((rc = lbname_read(l, n->items[i], i, wire)) != 0)
			break;
	}
	free(wire);
	return rc;
}

/* gslbd.conf "zones": the served zones, their files and transfer lists. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"
#include "zones/dname.h"

static int zone_read(struct loader *l, const struct ytree_node *n, size_t index,
		     uint8_t (*wire)[DNAME_MAXLEN], int *wire_len)
{
	enum { K_NAME, K_FILE, K_XFR, K_ACL, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"name", "file", "allow_transfer", "acl",
						      NULL};
	struct config *cfg = l->cfg;
	struct config_zone *z = &cfg->zones[index];
	const struct ytree_node *v[K_COUNT] = {0}, *name, *file, *xfr;
	char path[64], kpath[96];
	int rc;

	if ((rc = conf_entry_open(l, n, "zones", index, "name and file", keys, v, path,
				  sizeof(path), &z->line, &z->col)) != 0)
		return rc;
	name = v[K_NAME];
	file = v[K_FILE];
	xfr = v[K_XFR];
	if (name == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'name'");
	if (file == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'file'");

	snprintf(kpath, sizeof(kpath), "%s.name", path);
	if ((rc = ytree_read_string(&l->r, name, kpath, "a zone name")) != 0)
		return rc;
	wire_len[index] = dname_from_str(name->scalar, wire[index]);
	if (wire_len[index] < 0)
		return ytree_error_path(&l->r, name, kpath, "'%s' is not a valid domain name",
					name->scalar);
	for (size_t i = 0; i < index; i++) {
		if (wire_len[i] == wire_len[index] &&
		    memcmp(wire[i], wire[index], (size_t)wire_len[index]) == 0)
			return ytree_error_path(&l->r, name, kpath,
						"duplicate zone '%s' (first at line %u)",
						name->scalar, cfg->zones[i].line);
	}
	z->name = xstrdup(name->scalar);

	snprintf(kpath, sizeof(kpath), "%s.file", path);
	if ((rc = ytree_read_string(&l->r, file, kpath, "a file name")) != 0)
		return rc;
	z->file = ytree_path_resolve(l->r.base_dir, file->scalar);

	if (v[K_ACL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.acl", path);
		if ((rc = conf_acl_read(l, v[K_ACL], kpath, &z->acl)) != 0)
			return rc;
	}

	if (xfr != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.allow_transfer", path);
		return conf_prefixes_read(l, xfr, kpath, &z->allow_transfer,
					  &z->allow_transfer_count);
	}
	if (l->allow_transfer_count > 0) {
		z->allow_transfer = xcalloc(l->allow_transfer_count, sizeof(*z->allow_transfer));
		memcpy(z->allow_transfer, l->allow_transfer,
		       l->allow_transfer_count * sizeof(*z->allow_transfer));
		z->allow_transfer_count = l->allow_transfer_count;
	}
	return 0;
}

int conf_zones_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc = 0;

	if (n->kind != YTREE_SEQ)
		return ytree_error_path(&l->r, n, "zones", "expected a list of zones, got %s",
					ytree_node_describe(n));
	if (n->count == 0)
		return ytree_error_path(&l->r, n, "zones", "at least one zone is required");
	cfg->zones = xcalloc(n->count, sizeof(*cfg->zones));
	/* Origins stay in the loader: names are placed in zones with them. */
	l->zone_wire = xcalloc(n->count, sizeof(*l->zone_wire));
	l->zone_wire_len = xcalloc(n->count, sizeof(*l->zone_wire_len));
	for (size_t i = 0; i < n->count; i++) {
		/* Counted before reading, so config_free() sees half-read zones. */
		cfg->zone_count = i + 1;
		if ((rc = zone_read(l, n->items[i], i, l->zone_wire, l->zone_wire_len)) != 0)
			break;
	}
	return rc;
}

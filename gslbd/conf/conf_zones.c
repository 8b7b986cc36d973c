/* gslbd.conf "zones": the served zones, their files and transfer lists. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"
#include "zones/dname.h"
#include "zones/xfr.h"
#include "zones/zone.h"

/* A duration in seconds, min..max seconds. */
static int seconds_read(struct loader *l, const struct ytree_node *n, const char *path,
			unsigned long long min, unsigned long long max, uint32_t *out)
{
	unsigned long long ms;
	char why[160];

	if (n->kind != YTREE_SCALAR)
		return ytree_error_path(&l->r, n, path, "expected a duration, got %s",
					ytree_node_describe(n));
	if (ytree_parse_duration(n->scalar, min * 1000, max * 1000, &ms, why, sizeof(why)) != 0)
		return ytree_error_path(&l->r, n, path, "%s", why);
	*out = (uint32_t)(ms / 1000);
	return 0;
}

static int dnssec_key_read(struct loader *l, const struct ytree_node *n, const char *path,
			   struct config_dnssec_key *k)
{
	enum { K_FILE, K_STATE, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"file", "state", NULL};
	static const char *const states[] = {"active", "publish", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	char kpath[200];
	unsigned state = 0;
	int rc;

	k->active = true;
	k->line = n->line;
	k->col = n->col;
	if (n->kind == YTREE_SCALAR) {
		v[K_FILE] = n;
	} else if (n->kind != YTREE_MAP) {
		return ytree_error_path(&l->r, n, path,
					"expected a key file or a mapping with file and state, got %s",
					ytree_node_describe(n));
	} else if ((rc = conf_map_read(l, n, path, keys, v)) != 0) {
		return rc;
	}
	if (v[K_FILE] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'file'");
	snprintf(kpath, sizeof(kpath), "%s.file", path);
	if ((rc = ytree_read_string(&l->r, v[K_FILE], n == v[K_FILE] ? path : kpath,
				    "a key file name")) != 0)
		return rc;
	k->file = ytree_path_resolve(l->r.base_dir, v[K_FILE]->scalar);
	if (v[K_STATE] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.state", path);
		if ((rc = conf_keyword_read(l, v[K_STATE], kpath, states, "active or publish",
					    &state)) != 0)
			return rc;
		k->active = state == 0;
	}
	return 0;
}

/* dnssec.nsec3: {iterations, salt, opt_out}. */
static int nsec3_read(struct loader *l, const struct ytree_node *n, const char *path,
		      struct config_zone *z)
{
	enum { K_ITER, K_SALT, K_OPTOUT, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"iterations", "salt", "opt_out", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	char kpath[200];
	int rc;

	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path,
					"expected a mapping with iterations, salt and opt_out, got %s",
					ytree_node_describe(n));
	if ((rc = conf_map_read(l, n, path, keys, v)) != 0)
		return rc;
	if (v[K_ITER] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.iterations", path);
		if ((rc = ytree_read_uint(&l->r, v[K_ITER], kpath, 0, 100,
					  &z->nsec3_iterations)) != 0)
			return rc;
	}
	if (v[K_SALT] != NULL) {
		const char *s = v[K_SALT]->kind == YTREE_SCALAR ? v[K_SALT]->scalar : NULL;
		size_t len;

		if (s != NULL && strcmp(s, "-") == 0)
			s = "";
		len = s != NULL ? strlen(s) : 0;

		snprintf(kpath, sizeof(kpath), "%s.salt", path);
		if (s == NULL || (len % 2) != 0 || len > 2 * 255 ||
		    strspn(s, "0123456789abcdefABCDEF") != len)
			return ytree_error_path(&l->r, v[K_SALT], kpath,
						"expected hex digits (at most 255 bytes), or \"\" or "
						"\"-\" for none");
		for (size_t i = 0; i < len; i += 2) {
			unsigned b;

			sscanf(s + i, "%2x", &b);
			z->nsec3_salt[i / 2] = (uint8_t)b;
		}
		z->nsec3_salt_len = (uint8_t)(len / 2);
	}
	if (v[K_OPTOUT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.opt_out", path);
		if ((rc = conf_bool_read(l, v[K_OPTOUT], kpath, &z->nsec3_opt_out)) != 0)
			return rc;
	}
	return 0;
}

static int dnssec_read(struct loader *l, const struct ytree_node *n, const char *path,
		       struct config_zone *z)
{
	enum {
		K_KEYS,
		K_VALIDITY,
		K_REFRESH,
		K_JITTER,
		K_INCEPTION,
		K_DENIAL,
		K_NSEC3,
		K_SERIAL,
		K_COUNT
	};
	static const char *const keys[K_COUNT + 1] = {
	    "keys",  "validity", "refresh", "jitter", "inception", "denial", "nsec3",
	    "serial_policy", NULL};
	static const char *const denials[] = {"nsec", "nsec3", NULL};
	/* In the order of enum zone_serial_policy. */
	static const char *const policies[] = {"keep", "increment", "unixtime", "dateserial", NULL};
	unsigned policy;
	const struct ytree_node *v[K_COUNT] = {0};
	struct ytree_node *const *items;
	char kpath[160];
	size_t count;
	unsigned denial;
	bool any_active = false;
	int rc;

	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path,
					"expected a mapping with keys, validity, refresh, inception "
					"and denial, got %s",
					ytree_node_describe(n));
	if ((rc = conf_map_read(l, n, path, keys, v)) != 0)
		return rc;
	z->dnssec = true;
	z->sig_validity = 14 * 86400;
	z->sig_refresh = 7 * 86400;
	z->sig_inception = 3600;
	z->serial_policy = ZONE_SERIAL_INCREMENT;
	if (v[K_KEYS] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'keys'");
	snprintf(kpath, sizeof(kpath), "%s.keys", path);
	if ((rc = conf_list_items(l, v[K_KEYS], kpath, "key files", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return ytree_error_path(&l->r, v[K_KEYS], kpath, "at least one key is required");
	z->keys = xcalloc(count, sizeof(*z->keys));
	for (size_t i = 0; i < count; i++) {
		char ipath[176];

		z->key_count = i + 1;
		conf_item_path(ipath, sizeof(ipath), kpath, items, i);
		if ((rc = dnssec_key_read(l, conf_list_item(v[K_KEYS], items, i), ipath,
					  &z->keys[i])) != 0)
			return rc;
		any_active |= z->keys[i].active;
	}
	if (!any_active)
		return ytree_error_path(&l->r, v[K_KEYS], kpath,
					"no active key: at least one key must sign (state: active)");
	if (v[K_VALIDITY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.validity", path);
		if ((rc = seconds_read(l, v[K_VALIDITY], kpath, 60, 365ull * 86400,
				       &z->sig_validity)) != 0)
			return rc;
	}
	if (v[K_REFRESH] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.refresh", path);
		if ((rc = seconds_read(l, v[K_REFRESH], kpath, 10, 365ull * 86400,
				       &z->sig_refresh)) != 0)
			return rc;
	}
	if (v[K_INCEPTION] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.inception", path);
		if ((rc = seconds_read(l, v[K_INCEPTION], kpath, 0, 7ull * 86400,
				       &z->sig_inception)) != 0)
			return rc;
	}
	if (z->sig_refresh >= z->sig_validity)
		return ytree_error_path(&l->r, v[K_REFRESH] != NULL ? v[K_REFRESH] : n, path,
					"refresh must be shorter than validity (the signatures "
					"would expire before they are refreshed)");
	/* Spread over a quarter of what is left after refresh unless given;
	 * with the batch a re-signing adds (jitter / 8), signatures just made
	 * must not be due at once. */
	z->sig_jitter = (z->sig_validity - z->sig_refresh) / 4;
	if (v[K_JITTER] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.jitter", path);
		if ((rc = seconds_read(l, v[K_JITTER], kpath, 0, 365ull * 86400,
				       &z->sig_jitter)) != 0)
			return rc;
		if ((uint64_t)z->sig_jitter + z->sig_jitter / 8 >=
		    (uint64_t)z->sig_validity - z->sig_refresh)
			return ytree_error_path(&l->r, v[K_JITTER], kpath,
						"jitter (plus an eighth) must be shorter than "
						"validity minus refresh (signatures just made "
						"would be due at once)");
	}
	if (v[K_DENIAL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.denial", path);
		if ((rc = conf_keyword_read(l, v[K_DENIAL], kpath, denials, "nsec or nsec3",
					    &denial)) != 0)
			return rc;
		z->nsec3 = denial == 1;
	}
	if (v[K_SERIAL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.serial_policy", path);
		if ((rc = conf_keyword_read(l, v[K_SERIAL], kpath, policies,
					    "keep, increment, unixtime or dateserial", &policy)) != 0)
			return rc;
		z->serial_policy = policy;
	}
	if (v[K_NSEC3] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.nsec3", path);
		if (!z->nsec3)
			return ytree_error_path(&l->r, v[K_NSEC3], kpath,
						"nsec3 parameters without denial: nsec3");
		if ((rc = nsec3_read(l, v[K_NSEC3], kpath, z)) != 0)
			return rc;
	}
	return 0;
}

char *config_storage_file(const struct config *cfg, const char *name, const char *suffix)
{
	char fname[DNAME_STRLEN + 16];
	size_t len;

	snprintf(fname, sizeof(fname), "%s", name);
	len = strlen(fname);
	if (len > 1 && fname[len - 1] == '.')
		fname[len - 1] = '\0';
	for (char *c = fname; *c != '\0'; c++) {
		if (*c == '/')
			*c = '_';
		else if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	snprintf(fname + strlen(fname), sizeof(fname) - strlen(fname), "%s", suffix);
	return ytree_path_resolve(cfg->storage, fname);
}

/* Where a secondary zone without file is kept: server.storage/NAME.zone
 * (caller frees). */
static char *storage_file(const struct config *cfg, const char *name)
{
	return config_storage_file(cfg, name, ".zone");
}

/* zones[].primaries: [ADDRESS | {address, key}, ...], read as notify lists are. */
static int primaries_read(struct loader *l, const struct ytree_node *n, const char *path,
			  struct config_zone *z)
{
	struct config_notify *list = NULL;
	size_t count = 0;
	int rc;

	if ((rc = conf_notify_read(l, n, path, &list, &count)) != 0)
		return rc;
	if (count == 0) {
		free(list);
		return ytree_error_path(&l->r, n, path, "at least one primary is required");
	}
	z->primaries = xcalloc(count, sizeof(*z->primaries));
	for (size_t i = 0; i < count; i++) {
		z->primaries[i].addr = list[i].addr;
		z->primaries[i].key = list[i].key;
	}
	z->primary_count = count;
	free(list);
	return 0;
}

static int zone_read(struct loader *l, const struct ytree_node *n, size_t index,
		     uint8_t (*wire)[DNAME_MAXLEN], int *wire_len)
{
	enum { K_NAME, K_FILE, K_XFR, K_ACL, K_DNSSEC, K_NOTIFY, K_PRIMARIES, K_CATALOG, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"name",	   "file",	"allow_transfer",
						      "acl",	   "dnssec",	"notify",
						      "primaries", "catalog", NULL};
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
	if (file == NULL && v[K_PRIMARIES] == NULL)
		return ytree_error_path(&l->r, n, path,
					"missing required key 'file' (or 'primaries' for a "
					"secondary zone)");

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
	z->member_of = -1;

	if (v[K_PRIMARIES] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.primaries", path);
		if ((rc = primaries_read(l, v[K_PRIMARIES], kpath, z)) != 0)
			return rc;
	}
	if (v[K_CATALOG] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.catalog", path);
		if ((rc = conf_bool_read(l, v[K_CATALOG], kpath, &z->catalog)) != 0)
			return rc;
		if (z->catalog && z->primary_count == 0)
			return ytree_error_path(&l->r, v[K_CATALOG], kpath,
						"a catalog zone is a secondary zone: it needs "
						"primaries");
	}
	if (file != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.file", path);
		if ((rc = ytree_read_string(&l->r, file, kpath, "a file name")) != 0)
			return rc;
		z->file = ytree_path_resolve(l->r.base_dir, file->scalar);
	} else {
		/* A secondary zone kept in server.storage, under its name. */
		z->file = storage_file(cfg, z->name);
	}

	if (v[K_ACL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.acl", path);
		if ((rc = conf_acl_read(l, v[K_ACL], kpath, &z->acl)) != 0)
			return rc;
	}

	if (v[K_DNSSEC] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.dnssec", path);
		if ((rc = dnssec_read(l, v[K_DNSSEC], kpath, z)) != 0)
			return rc;
	}

	if (v[K_NOTIFY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.notify", path);
		if ((rc = conf_notify_read(l, v[K_NOTIFY], kpath, &z->notify, &z->notify_count)) != 0)
			return rc;
	} else if (l->notify_count > 0) {
		z->notify = xcalloc(l->notify_count, sizeof(*z->notify));
		memcpy(z->notify, l->notify, l->notify_count * sizeof(*z->notify));
		z->notify_count = l->notify_count;
	}

	if (xfr != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.allow_transfer", path);
		return conf_transfer_acl_read(l, xfr, kpath, &z->allow_transfer,
					      &z->allow_transfer_key, &z->allow_transfer_count);
	}
	if (l->allow_transfer_count > 0) {
		z->allow_transfer = xcalloc(l->allow_transfer_count, sizeof(*z->allow_transfer));
		memcpy(z->allow_transfer, l->allow_transfer,
		       l->allow_transfer_count * sizeof(*z->allow_transfer));
		z->allow_transfer_key = xcalloc(l->allow_transfer_count, sizeof(int));
		memcpy(z->allow_transfer_key, l->allow_transfer_key,
		       l->allow_transfer_count * sizeof(int));
		z->allow_transfer_count = l->allow_transfer_count;
	}
	return 0;
}

/* The members of each catalog zone (RFC 9432), from the catalog's file as
 * the last transfer kept it, become secondary zones after the listed ones,
 * with the catalog's primaries and the server's transfer and notify
 * lists. A member that is a zone already (listed, or in an earlier
 * catalog) is left out; a catalog not transferred yet has no members. */
static void catalog_members_add(struct loader *l)
{
	struct config *cfg = l->cfg;
	size_t listed = cfg->zone_count;

	for (size_t c = 0; c < listed; c++) {
		char **members = NULL;
		size_t count = 0;
		struct gslb_err err;

		if (!cfg->zones[c].catalog ||
		    zone_catalog_members(cfg->zones[c].file, cfg->zones[c].name, &members, &count,
					 &err) != 0)
			continue;
		for (size_t m = 0; m < count; m++) {
			uint8_t wire[DNAME_MAXLEN];
			int len = dname_from_str(members[m], wire);
			const struct config_zone *cat;
			struct config_zone *z;
			bool dup = len < 0;

			for (size_t i = 0; i < cfg->zone_count && !dup; i++)
				dup = l->zone_wire_len[i] == len &&
				      memcmp(l->zone_wire[i], wire, (size_t)len) == 0;
			if (dup) {
				free(members[m]);
				continue;
			}
			cfg->zones = xreallocarray(cfg->zones, cfg->zone_count + 1, sizeof(*cfg->zones));
			l->zone_wire = xreallocarray(l->zone_wire, cfg->zone_count + 1,
						     sizeof(*l->zone_wire));
			l->zone_wire_len = xreallocarray(l->zone_wire_len, cfg->zone_count + 1,
							 sizeof(*l->zone_wire_len));
			memcpy(l->zone_wire[cfg->zone_count], wire, (size_t)len);
			l->zone_wire_len[cfg->zone_count] = len;
			/* After the move: the catalog is in the array that grew. */
			cat = &cfg->zones[c];
			z = &cfg->zones[cfg->zone_count++];
			memset(z, 0, sizeof(*z));
			z->name = members[m];
			z->file = storage_file(cfg, z->name);
			z->line = cat->line;
			z->col = cat->col;
			z->member_of = (int)c;
			z->primaries = xcalloc(cat->primary_count, sizeof(*z->primaries));
			memcpy(z->primaries, cat->primaries, cat->primary_count * sizeof(*z->primaries));
			z->primary_count = cat->primary_count;
			if (l->notify_count > 0) {
				z->notify = xcalloc(l->notify_count, sizeof(*z->notify));
				memcpy(z->notify, l->notify, l->notify_count * sizeof(*z->notify));
				z->notify_count = l->notify_count;
			}
			if (l->allow_transfer_count > 0) {
				z->allow_transfer = xcalloc(l->allow_transfer_count,
							    sizeof(*z->allow_transfer));
				memcpy(z->allow_transfer, l->allow_transfer,
				       l->allow_transfer_count * sizeof(*z->allow_transfer));
				z->allow_transfer_key = xcalloc(l->allow_transfer_count, sizeof(int));
				memcpy(z->allow_transfer_key, l->allow_transfer_key,
				       l->allow_transfer_count * sizeof(int));
				z->allow_transfer_count = l->allow_transfer_count;
			}
		}
		free(members);
	}
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
	if (rc == 0)
		catalog_members_add(l);
	return rc;
}

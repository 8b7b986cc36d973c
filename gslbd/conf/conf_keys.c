/* gslbd.conf "keys" and "key_file": the TSIG keys; and what refers to them,
 * the transfer access lists (server.allow_transfer, zones[].allow_transfer)
 * and the secondaries told of changes (server.notify, zones[].notify). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tsig.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Add key to the config's keys unless its name is taken. */
static int key_add(struct loader *l, const struct ytree_node *at, const char *path,
		   const struct tsig_key *key)
{
	struct config *cfg = l->cfg;

	for (size_t i = 0; i < cfg->tsig_key_count; i++)
		if (cfg->tsig_keys[i].wire_len == key->wire_len &&
		    memcmp(cfg->tsig_keys[i].wire, key->wire, key->wire_len) == 0)
			return ytree_error_path(&l->r, at, path, "duplicate key '%s'", key->name);
	cfg->tsig_keys = xreallocarray(cfg->tsig_keys, cfg->tsig_key_count + 1, sizeof(*cfg->tsig_keys));
	cfg->tsig_keys[cfg->tsig_key_count++] = *key;
	return 0;
}

static int key_entry_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum { K_NAME, K_ALG, K_SECRET, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"name", "algorithm", "secret", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	struct tsig_key key;
	struct gslb_err why;
	char path[48], kpath[64];
	unsigned line, col;
	int rc;

	if ((rc = conf_entry_open(l, n, "keys", index, "name, algorithm and secret", keys, v, path,
				  sizeof(path), &line, &col)) != 0)
		return rc;
	for (int i = 0; i < K_COUNT; i++) {
		snprintf(kpath, sizeof(kpath), "%s.%s", path, keys[i]);
		if (v[i] == NULL)
			return ytree_error_path(&l->r, n, path, "missing required key '%s'", keys[i]);
		if ((rc = ytree_read_string(&l->r, v[i], kpath, "a string")) != 0)
			return rc;
	}
	rc = tsig_key_init(&key, v[K_NAME]->scalar, v[K_ALG]->scalar, v[K_SECRET]->scalar, &why);
	if (rc != 0) {
		int at = strncmp(why.msg, "unknown algorithm", 17) == 0 ? K_ALG
			 : strncmp(why.msg, "the secret", 10) == 0 ? K_SECRET
								    : K_NAME;

		snprintf(kpath, sizeof(kpath), "%s.%s", path, keys[at]);
		return ytree_error_path(&l->r, v[at], kpath, "%s", why.msg);
	}
	snprintf(kpath, sizeof(kpath), "%s.name", path);
	rc = key_add(l, v[K_NAME], kpath, &key);
	conf_wipe(&key, sizeof(key));
	return rc;
}

int conf_keys_read(struct loader *l, const struct ytree_node *keys,
		   const struct ytree_node *key_file)
{
	size_t count = 0;
	int rc;

	if (keys != NULL) {
		if ((rc = conf_section_list(l, keys, "keys", "keys")) != 0)
			return rc;
		if (keys->kind == YTREE_SEQ &&
		    (rc = conf_entries_read(l, keys, &count, key_entry_read)) != 0)
			return rc;
	}
	if (key_file != NULL) {
		struct ytree_node *const *items;
		size_t files;

		if ((rc = conf_list_items(l, key_file, "key_file", "key files", &items, &files)) != 0)
			return rc;
		for (size_t i = 0; i < files; i++) {
			const struct ytree_node *it = conf_list_item(key_file, items, i);
			struct tsig_key *loaded = NULL;
			struct gslb_err why;
			size_t n = 0;
			char ipath[64], *file;

			conf_item_path(ipath, sizeof(ipath), "key_file", items, i);
			if ((rc = ytree_read_string(&l->r, it, ipath, "a key file name")) != 0)
				return rc;
			file = ytree_path_resolve(l->r.base_dir, it->scalar);
			rc = tsig_keyfile_load(file, &loaded, &n, &why);
			free(file);
			if (rc != 0)
				return ytree_error_path(&l->r, it, ipath, "%s", why.msg);
			for (size_t k = 0; k < n && rc == 0; k++)
				rc = key_add(l, it, ipath, &loaded[k]);
			conf_wipe(loaded, n * sizeof(*loaded));
			free(loaded);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* The key named by the scalar n (path in messages): its index. */
static int key_ref_read(struct loader *l, const struct ytree_node *n, const char *path, int *out)
{
	struct config *cfg = l->cfg;
	struct tsig_key probe;
	struct gslb_err why;
	int rc;

	if ((rc = ytree_read_string(&l->r, n, path, "a key name")) != 0)
		return rc;
	/* Names compare in canonical form: "Key." is "key". */
	if (tsig_key_init(&probe, n->scalar, "hmac-sha256", "AAAA", &why) == 0) {
		for (size_t i = 0; i < cfg->tsig_key_count; i++) {
			if (cfg->tsig_keys[i].wire_len == probe.wire_len &&
			    memcmp(cfg->tsig_keys[i].wire, probe.wire, probe.wire_len) == 0) {
				*out = (int)i;
				return 0;
			}
		}
	}
	return ytree_error_path(&l->r, n, path, "unknown key '%s' (not in keys or key_file)",
				n->scalar);
}

/* An item of a list of addresses that may also be given as {address, key}
 * (ipath names it): for a mapping, the key it names (if any) into *key and
 * *it moved to its address. kpath (len bytes) gets the path of the address
 * for messages. */
static int addr_key_read(struct loader *l, const struct ytree_node **it, const char *ipath,
			 char *kpath, size_t len, int *key)
{
	enum { K_ADDR, K_KEY, K_COUNT };
	static const char *const mkeys[K_COUNT + 1] = {"address", "key", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	int rc;

	snprintf(kpath, len, "%s", ipath);
	if ((*it)->kind != YTREE_MAP)
		return 0;
	if ((rc = conf_map_read(l, *it, ipath, mkeys, v)) != 0)
		return rc;
	if (v[K_ADDR] == NULL)
		return ytree_error_path(&l->r, *it, ipath, "missing required key 'address'");
	if (v[K_KEY] != NULL) {
		snprintf(kpath, len, "%s.key", ipath);
		if ((rc = key_ref_read(l, v[K_KEY], kpath, key)) != 0)
			return rc;
	}
	snprintf(kpath, len, "%s.address", ipath);
	*it = v[K_ADDR];
	return 0;
}

int conf_transfer_acl_read(struct loader *l, const struct ytree_node *n, const char *path,
			   struct netprefix **out, int **out_keys, size_t *out_count)
{
	struct ytree_node *const *items;
	struct netprefix *list;
	int *keys;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, "address prefixes", &items, &count)) != 0)
		return rc;
	list = xcalloc(count + 1, sizeof(*list));
	keys = xcalloc(count + 1, sizeof(*keys));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[160], kpath[176];

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		keys[i] = -1;
		if ((rc = addr_key_read(l, &it, ipath, kpath, sizeof(kpath), &keys[i])) != 0 ||
		    (rc = conf_prefix_read(l, it, kpath, "an address prefix or {address, key}",
					   &list[i])) != 0)
			goto fail;
	}
	*out = list;
	*out_keys = keys;
	*out_count = count;
	return 0;
fail:
	free(list);
	free(keys);
	return rc;
}

int conf_notify_read(struct loader *l, const struct ytree_node *n, const char *path,
		     struct config_notify **out, size_t *out_count)
{
	struct ytree_node *const *items;
	struct config_notify *list;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, "secondary addresses", &items, &count)) != 0)
		return rc;
	list = xcalloc(count + 1, sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[160], kpath[176];

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		list[i].key = -1;
		if ((rc = addr_key_read(l, &it, ipath, kpath, sizeof(kpath), &list[i].key)) != 0)
			goto fail;
		if (it->kind != YTREE_SCALAR || ytree_node_is_null(it)) {
			rc = ytree_error_path(&l->r, it, kpath,
					      "expected an address or {address, key}, got %s",
					      ytree_node_describe(it));
			goto fail;
		}
		if (netaddr_parse(it->scalar, DNS_PORT, &list[i].addr) != 0) {
			rc = ytree_error_path(&l->r, it, kpath,
					      "'%s' is not an address (like 192.0.2.53, "
					      "192.0.2.53:5300 or [2001:db8::53]:53)",
					      it->scalar);
			goto fail;
		}
	}
	*out = list;
	*out_count = count;
	return 0;
fail:
	free(list);
	return rc;
}

int conf_server_notify_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n)
{
	(void)key;
	free(l->notify);
	l->notify = NULL;
	l->notify_count = 0;
	return conf_notify_read(l, n, "server.notify", &l->notify, &l->notify_count);
}

/* gslbd.conf "tokens": API tokens of tenants, each scoped to pools and
 * datacenters, read-only or read-write, with a request rate. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Longest token, in bytes. */
#define TOKEN_MAX_LEN 1023

/* A list of names of pools or datacenters (what: "pool", "datacenter")
 * into the flags in (count entries). */
static int scope_read(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *what, bool *in, long (*find)(const struct config *, const char *))
{
	struct ytree_node *const *items;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, what, &items, &count)) != 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[128];
		long k;

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if ((rc = ytree_read_string(&l->r, it, ipath, what)) != 0)
			return rc;
		k = find(l->cfg, it->scalar);
		if (k < 0)
			return ytree_error_path(&l->r, it, ipath, "no %s '%s'", what, it->scalar);
		in[k] = true;
	}
	return 0;
}

static int token_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum { K_NAME, K_TOKEN, K_TOKEN_FILE, K_POOLS, K_DCS, K_SHARED, K_ACCESS, K_RATE, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"name",	     "token",  "token_file",
						      "pools",	     "datacenters", "shared",
						      "access",	     "rate",	 NULL};
	static const char *const access_words[] = {"read", "write", NULL};
	struct config *cfg = l->cfg;
	struct config_token *t = &cfg->tokens[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96], *line = NULL, *file = NULL;
	unsigned access = 0;
	int rc;

	if ((rc = conf_entry_open(l, n, "tokens", index, "name and token", keys, v, path,
				  sizeof(path), &t->line, &t->col)) != 0)
		return rc;
	if ((rc = conf_entry_id_read(l, n, v[K_NAME], path, "name", "token", "a tenant name",
				     cfg->tokens, sizeof(*cfg->tokens),
				     offsetof(struct config_token, name),
				     offsetof(struct config_token, line), index, &t->name)) != 0)
		return rc;
	t->rate = 10;
	t->dcs = xcalloc(cfg->datacenter_count + 1, sizeof(*t->dcs));
	t->pools = xcalloc(cfg->pool_count + 1, sizeof(*t->pools));
	t->shared = xcalloc(cfg->datacenter_count + 1, sizeof(*t->shared));
	if ((v[K_TOKEN] == NULL) == (v[K_TOKEN_FILE] == NULL))
		return ytree_error_path(&l->r, n, path, "give one of 'token' and 'token_file'");
	if (v[K_TOKEN_FILE] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.token_file", path);
		rc = ytree_read_first_line(&l->r, v[K_TOKEN_FILE], kpath, TOKEN_MAX_LEN, &line,
					   &file);
		if (rc == 0 && !conf_text_is_valid(line, NULL, TOKEN_MAX_LEN))
			rc = ytree_error_path(&l->r, v[K_TOKEN_FILE], kpath,
					      "the token in '%s' must be printable ASCII without "
					      "spaces",
					      file);
		if (rc == 0) {
			t->token = line;
			line = NULL;
		}
		if (line != NULL)
			conf_wipe(line, strlen(line));
		free(line);
		free(file);
		if (rc != 0)
			return rc;
	} else {
		snprintf(kpath, sizeof(kpath), "%s.token", path);
		if ((rc = ytree_read_string(&l->r, v[K_TOKEN], kpath, "a token")) != 0)
			return rc;
		if (!conf_text_is_valid(v[K_TOKEN]->scalar, NULL, TOKEN_MAX_LEN))
			return ytree_error_path(&l->r, v[K_TOKEN], kpath,
						"the token must be 1..%d printable ASCII characters "
						"without spaces",
						TOKEN_MAX_LEN);
		t->token = xstrdup(v[K_TOKEN]->scalar);
	}
	if (strlen(t->token) < 16)
		return ytree_error_path(&l->r, v[K_TOKEN] != NULL ? v[K_TOKEN] : v[K_TOKEN_FILE],
					kpath, "the token must be at least 16 characters");
	if (cfg->api_admin_token != NULL && strcmp(cfg->api_admin_token, t->token) == 0)
		return ytree_error_path(&l->r, n, path, "the token is the admin token");
	for (size_t i = 0; i < index; i++) {
		if (strcmp(cfg->tokens[i].token, t->token) == 0)
			return ytree_error_path(&l->r, n, path, "the token is that of '%s' (line %u)",
						cfg->tokens[i].name, cfg->tokens[i].line);
	}
	if (v[K_POOLS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.pools", path);
		if ((rc = scope_read(l, v[K_POOLS], kpath, "pool", t->pools, conf_pool_find)) != 0)
			return rc;
	}
	if (v[K_DCS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.datacenters", path);
		if ((rc = scope_read(l, v[K_DCS], kpath, "datacenter", t->dcs,
				     config_datacenter_find)) != 0)
			return rc;
	}
	if (v[K_SHARED] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.shared", path);
		if ((rc = scope_read(l, v[K_SHARED], kpath, "datacenter", t->shared,
				     config_datacenter_find)) != 0)
			return rc;
		for (size_t k = 0; k < cfg->datacenter_count; k++)
			t->dcs[k] |= t->shared[k];
	}
	/* A pool brings its datacenters. */
	for (size_t p = 0; p < cfg->pool_count; p++) {
		for (size_t i = 0; t->pools[p] && i < cfg->pools[p].dc_count; i++)
			t->dcs[cfg->pools[p].dcs[i]] = true;
	}
	if (v[K_ACCESS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.access", path);
		if ((rc = conf_keyword_read(l, v[K_ACCESS], kpath, access_words, "read or write",
					    &access)) != 0)
			return rc;
	}
	t->write = access == 1;
	/* A drain by this tenant of a datacenter that a pool outside its scope
	 * also answers with moves that pool's clients too: only where the
	 * datacenter is listed under shared. */
	for (size_t p = 0; t->write && p < cfg->pool_count; p++) {
		for (size_t i = 0; !t->pools[p] && i < cfg->pools[p].dc_count; i++) {
			size_t k = cfg->pools[p].dcs[i];

			if (t->dcs[k] && !t->shared[k])
				return ytree_error_path(
				    &l->r, v[K_ACCESS], kpath,
				    "write access to datacenter '%s', which pool '%s' (not this "
				    "token's) also uses: list it under 'shared' to let this tenant "
				    "steer it for every pool, or make the token read-only",
				    cfg->datacenters[k].name, cfg->pools[p].name);
		}
	}
	if (v[K_RATE] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.rate", path);
		if ((rc = ytree_read_uint(&l->r, v[K_RATE], kpath, 1, 100000, &t->rate)) != 0)
			return rc;
	}
	return 0;
}

int conf_tokens_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "tokens", "tokens")) != 0 || ytree_node_is_null(n))
		return rc;
	cfg->tokens = xcalloc(n->count, sizeof(*cfg->tokens));
	return conf_entries_read(l, n, &cfg->token_count, token_read);
}

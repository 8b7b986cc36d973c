/* gslbd.conf "pools": datacenters and the policy picking among them,
 * per-country and per-continent overrides and fallback pools. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Index of the pool called name, or -1. */
long conf_pool_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->pool_count; i++) {
		if (cfg->pools[i].name != NULL && strcmp(cfg->pools[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

int conf_dc_list_read(struct loader *l, const struct ytree_node *n, const char *path,
		      const struct config_pool *pool, size_t **out, size_t *out_count)
{
	struct ytree_node *const *items;
	size_t count, *list;
	int rc;

	if ((rc = conf_list_items(l, n, path, "datacenter names", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return ytree_error_path(&l->r, n, path, "at least one datacenter is required");
	if (count > LB_MAX_POOL_DCS)
		return ytree_error_path(&l->r, n, path, "more than %d datacenters",
					LB_MAX_POOL_DCS);
	list = xcalloc(count, sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[160];
		long dc;
		bool in_pool = pool == NULL;

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if (it->kind != YTREE_SCALAR || ytree_node_is_null(it)) {
			rc =
			    ytree_error_path(&l->r, it, ipath, "expected a datacenter name, got %s",
					     ytree_node_describe(it));
			goto fail;
		}
		dc = config_datacenter_find(l->cfg, it->scalar);
		if (dc < 0) {
			rc = ytree_error_path(&l->r, it, ipath, "unknown datacenter '%s'",
					      it->scalar);
			goto fail;
		}
		for (size_t j = 0; pool != NULL && j < pool->dc_count; j++)
			in_pool = in_pool || pool->dcs[j] == (size_t)dc;
		if (!in_pool) {
			rc = ytree_error_path(&l->r, it, ipath,
					      "datacenter '%s' is not in pool '%s'", it->scalar,
					      pool->name);
			goto fail;
		}
		for (size_t j = 0; j < i; j++) {
			if (list[j] == (size_t)dc) {
				rc = ytree_error_path(&l->r, it, ipath, "duplicate datacenter '%s'",
						      it->scalar);
				goto fail;
			}
		}
		list[i] = (size_t)dc;
	}
	*out = list;
	*out_count = count;
	return 0;
fail:
	free(list);
	return rc;
}

/* The countries or continents mapping of a pool. */
static int overrides_read(struct loader *l, const struct ytree_node *n, const char *path,
			  struct config_pool *pool, bool continents, struct config_override **out,
			  size_t *out_count)
{
	static const char *const continent_codes[] = {"AF", "AN", "AS", "EU",
						      "NA", "OC", "SA", NULL};
	struct config_override *list;
	int rc;

	if (ytree_node_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path,
					"expected a mapping of %s codes to datacenter lists, "
					"got %s",
					continents ? "continent" : "country",
					ytree_node_describe(n));
	list = xcalloc(n->count, sizeof(*list));
	*out = list;
	for (size_t i = 0; i < n->count; i++) {
		const struct ytree_node *key = n->keys[i];
		struct config_override *o = &list[i];
		const char *code = key->scalar;
		char ipath[160];
		bool valid;

		*out_count = i + 1;
		valid =
		    strlen(code) == 2 &&
		    ((code[0] >= 'A' && code[0] <= 'Z') || (code[0] >= 'a' && code[0] <= 'z')) &&
		    ((code[1] >= 'A' && code[1] <= 'Z') || (code[1] >= 'a' && code[1] <= 'z'));
		if (valid) {
			o->code[0] = (char)(code[0] & ~0x20);
			o->code[1] = (char)(code[1] & ~0x20);
			o->code[2] = '\0';
		}
		if (valid && continents) {
			valid = false;
			for (size_t c = 0; continent_codes[c] != NULL; c++)
				valid = valid || strcmp(continent_codes[c], o->code) == 0;
		}
		if (!valid)
			return ytree_error(l->r.tree, key, l->r.err,
					   continents ? "%s: '%s' is not a continent code (AF, AN, "
							"AS, EU, NA, OC or SA)"
						      : "%s: '%s' is not a country code (two "
							"letters, like GB)",
					   path, code);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(list[j].code, o->code) == 0)
				return ytree_error(l->r.tree, key, l->r.err,
						   "%s: duplicate %s '%s' (first at line %u)", path,
						   continents ? "continent" : "country", code,
						   n->keys[j]->line);
		}
		snprintf(ipath, sizeof(ipath), "%s.%s", path, code);
		if ((rc = conf_dc_list_read(l, n->items[i], ipath, pool, &o->dcs, &o->dc_count)) !=
		    0)
			return rc;
	}
	return 0;
}

static int pool_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum {
		K_NAME,
		K_DCS,
		K_POLICY,
		K_ANSWERS,
		K_TTL,
		K_WEIGHTED,
		K_COUNTRIES,
		K_CONTINENTS,
		K_ALL_DOWN,
		K_FALLBACK,
		K_ROTATE,
		K_COUNT
	};
	static const char *const keys[K_COUNT + 1] = {
	    "name",      "datacenters", "policy",        "answers",  "ttl",    "weighted",
	    "countries", "continents",  "when_all_down", "fallback", "rotate", NULL};
	static const char *const policies[] = {"nearest", "failover",   "weighted", "all",
					       "latency", "least_load", NULL};
	static const char *const rotates[] = {"off", "on", "weighted", NULL};
	static const char *const weighted[] = {"sticky", "random", NULL};
	static const char *const all_down[] = {"fail_open", "empty", "fallback", NULL};
	struct config *cfg = l->cfg;
	struct config_pool *p = &cfg->pools[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96];
	unsigned u;
	int rc;

	if ((rc = conf_entry_open(l, n, "pools", index, "name and datacenters", keys, v, path,
				  sizeof(path), &p->line, &p->col)) != 0)
		return rc;
	if ((rc = conf_entry_id_read(l, n, v[K_NAME], path, "name", "pool", "a pool name",
				     cfg->pools, sizeof(*cfg->pools),
				     offsetof(struct config_pool, name),
				     offsetof(struct config_pool, line), index, &p->name)) != 0)
		return rc;
	if (v[K_DCS] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'datacenters'");
	snprintf(kpath, sizeof(kpath), "%s.datacenters", path);
	if ((rc = conf_dc_list_read(l, v[K_DCS], kpath, NULL, &p->dcs, &p->dc_count)) != 0)
		return rc;

	p->policy = POOL_NEAREST;
	if (v[K_POLICY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.policy", path);
		if ((rc = conf_keyword_read(
			 l, v[K_POLICY], kpath, policies,
			 "nearest, failover, weighted, all, latency or least_load", &u)) != 0)
			return rc;
		p->policy = (enum pool_policy)u;
		if (p->policy == POOL_LATENCY && cfg->probe_count == 0)
			return ytree_error_path(
			    &l->r, v[K_POLICY], kpath,
			    "policy 'latency' needs probes to measure; none are "
			    "configured");
		if (p->policy == POOL_LEAST_LOAD && cfg->probe_count == 0)
			return ytree_error_path(&l->r, v[K_POLICY], kpath,
						"policy 'least_load' needs probes to report loads; "
						"none are configured");
		if (p->policy == POOL_LEAST_LOAD) {
			bool any = false;

			for (size_t i = 0; i < p->dc_count; i++)
				any = any || cfg->datacenters[p->dcs[i]].capacity > 0.0;
			if (!any)
				return ytree_error_path(&l->r, v[K_POLICY], kpath,
							"policy 'least_load' needs datacenters "
							"with a capacity; pool '%s' has none",
							p->name);
		}
	}
	p->answers = p->policy == POOL_ALL ? LB_MAX_ANSWERS : 1;
	if (v[K_ANSWERS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.answers", path);
		if ((rc = ytree_read_uint(&l->r, v[K_ANSWERS], kpath, 1, LB_MAX_ANSWERS,
					  &p->answers)) != 0)
			return rc;
	}
	p->ttl = 30;
	if (v[K_TTL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.ttl", path);
		if ((rc = ytree_read_uint(&l->r, v[K_TTL], kpath, 0, 86400, &u)) != 0)
			return rc;
		p->ttl = u;
	}
	if (v[K_WEIGHTED] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.weighted", path);
		if ((rc = conf_keyword_read(l, v[K_WEIGHTED], kpath, weighted, "sticky or random",
					    &u)) != 0)
			return rc;
		p->weighted_random = u == 1;
	}
	if (v[K_ROTATE] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.rotate", path);
		if ((rc = conf_keyword_read(l, v[K_ROTATE], kpath, rotates, "off, on or weighted",
					    &u)) != 0)
			return rc;
		if (u != POOL_ROTATE_OFF && p->policy != POOL_ALL)
			return ytree_error_path(&l->r, v[K_ROTATE], kpath,
						"only pools with policy 'all' rotate");
		p->rotate = (enum pool_rotate)u;
	}
	if (v[K_COUNTRIES] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.countries", path);
		if ((rc = overrides_read(l, v[K_COUNTRIES], kpath, p, false, &p->countries,
					 &p->country_count)) != 0)
			return rc;
	}
	if (v[K_CONTINENTS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.continents", path);
		if ((rc = overrides_read(l, v[K_CONTINENTS], kpath, p, true, &p->continents,
					 &p->continent_count)) != 0)
			return rc;
	}
	p->all_down = POOL_ALL_DOWN_FAIL_OPEN;
	if (v[K_ALL_DOWN] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.when_all_down", path);
		if ((rc = conf_keyword_read(l, v[K_ALL_DOWN], kpath, all_down,
					    "fail_open, empty or fallback", &u)) != 0)
			return rc;
		p->all_down = (enum pool_all_down)u;
	}
	if (p->all_down == POOL_ALL_DOWN_FALLBACK && v[K_FALLBACK] == NULL)
		return ytree_error_path(
		    &l->r, n, path, "missing required key 'fallback' (when_all_down is fallback)");
	if (v[K_FALLBACK] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.fallback", path);
		if (p->all_down != POOL_ALL_DOWN_FALLBACK)
			return ytree_error_path(&l->r, v[K_FALLBACK], kpath,
						"fallback needs when_all_down: fallback");
		if ((rc = ytree_read_string(&l->r, v[K_FALLBACK], kpath, "a pool name")) != 0)
			return rc;
		/* Resolved once every pool is known. */
		l->fallback[index] = v[K_FALLBACK];
	}
	return 0;
}

/* Write the fallback chain from pool start, steps pools long, as
 * "a -> b -> c" into buf. */
static void chain_format(const struct config *cfg, size_t start, size_t steps, char *buf,
			 size_t len)
{
	size_t used = 0, p = start;

	buf[0] = '\0';
	for (size_t i = 0; i <= steps && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i > 0 ? " -> " : "",
				 cfg->pools[p].name);

		if (w < 0)
			break;
		used += (size_t)w;
		p = cfg->pools[p].fallback;
	}
}

/* Resolve the fallback names; no cycles, no chain longer than
 * LB_MAX_FALLBACKS. */
static int fallbacks_resolve(struct loader *l)
{
	struct config *cfg = l->cfg;
	char path[64], chain[512];

	for (size_t i = 0; i < cfg->pool_count; i++) {
		long f;

		if (l->fallback[i] == NULL)
			continue;
		f = conf_pool_find(cfg, l->fallback[i]->scalar);
		snprintf(path, sizeof(path), "pools[%zu].fallback", i);
		if (f < 0)
			return ytree_error_path(&l->r, l->fallback[i], path, "unknown pool '%s'",
						l->fallback[i]->scalar);
		cfg->pools[i].fallback = (size_t)f;
	}
	for (size_t i = 0; i < cfg->pool_count; i++) {
		size_t p = i, steps = 0;

		if (l->fallback[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "pools[%zu].fallback", i);
		/* A chain without a cycle has fewer than pool_count steps. */
		while (cfg->pools[p].all_down == POOL_ALL_DOWN_FALLBACK &&
		       steps <= cfg->pool_count) {
			p = cfg->pools[p].fallback;
			steps++;
			if (p == i) {
				chain_format(cfg, i, steps, chain, sizeof(chain));
				return ytree_error_path(&l->r, l->fallback[i], path,
							"fallback cycle %s", chain);
			}
		}
	}
	for (size_t i = 0; i < cfg->pool_count; i++) {
		size_t p = i, steps = 0;

		if (l->fallback[i] == NULL)
			continue;
		while (cfg->pools[p].all_down == POOL_ALL_DOWN_FALLBACK) {
			p = cfg->pools[p].fallback;
			steps++;
		}
		if (steps > LB_MAX_FALLBACKS) {
			snprintf(path, sizeof(path), "pools[%zu].fallback", i);
			chain_format(cfg, i, steps, chain, sizeof(chain));
			return ytree_error_path(&l->r, l->fallback[i], path,
						"fallback chain %s has more than %d fallbacks",
						chain, LB_MAX_FALLBACKS);
		}
	}
	return 0;
}

int conf_pools_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "pools", "pools")) != 0 || ytree_node_is_null(n))
		return rc;
	cfg->pools = xcalloc(n->count, sizeof(*cfg->pools));
	l->fallback = xcalloc(n->count, sizeof(*l->fallback));
	if ((rc = conf_entries_read(l, n, &cfg->pool_count, pool_read)) != 0)
		return rc;
	return fallbacks_resolve(l);
}

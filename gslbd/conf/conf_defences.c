/* gslbd.conf's defences: access lists (server.acl, server.listen[].acl,
 * zones[].acl, api.acl), the clients response rate limiting leaves alone
 * (rrl.exempt) and the secrets of DNS cookies (cookies.secret or
 * cookies.secret_file, and the previous one kept while a rotation spreads
 * over the servers of an NS set). The scalar keys of rrl and cookies are in
 * the option table (conf.c). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/sign.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Hex digits of a cookie secret. */
#define SECRET_HEX_LEN 32

int conf_acl_read(struct loader *l, const struct ytree_node *n, const char *path,
		  struct netacl *out)
{
	enum { K_ALLOW, K_DENY, K_ACTION, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"allow", "deny", "action", NULL};
	static const char *const actions[] = {"refuse", "drop", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	char kpath[160];
	unsigned action = 0;
	int rc;

	netacl_fini(out);
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path,
					"expected a mapping with allow, deny and action, got %s",
					ytree_node_describe(n));
	if ((rc = conf_map_read(l, n, path, keys, v)) != 0)
		return rc;
	out->set = true;
	if (v[K_ALLOW] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.allow", path);
		if ((rc = conf_prefixes_read(l, v[K_ALLOW], kpath, &out->allow,
					     &out->allow_count)) != 0)
			return rc;
	}
	if (v[K_DENY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.deny", path);
		if ((rc = conf_prefixes_read(l, v[K_DENY], kpath, &out->deny, &out->deny_count)) !=
		    0)
			return rc;
	}
	if (v[K_ACTION] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.action", path);
		if ((rc = conf_keyword_read(l, v[K_ACTION], kpath, actions, "refuse or drop",
					    &action)) != 0)
			return rc;
	}
	out->drop = action == 1;
	return 0;
}

void conf_acl_copy(struct netacl *dst, const struct netacl *src)
{
	netacl_fini(dst);
	*dst = *src;
	dst->allow = NULL;
	dst->deny = NULL;
	if (src->allow_count > 0) {
		dst->allow = xcalloc(src->allow_count, sizeof(*dst->allow));
		memcpy(dst->allow, src->allow, src->allow_count * sizeof(*dst->allow));
	}
	if (src->deny_count > 0) {
		dst->deny = xcalloc(src->deny_count, sizeof(*dst->deny));
		memcpy(dst->deny, src->deny, src->deny_count * sizeof(*dst->deny));
	}
}

int conf_server_acl_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	(void)key;
	return conf_acl_read(l, n, "server.acl", &l->cfg->server_acl);
}

int conf_api_acl_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	(void)key;
	return conf_acl_read(l, n, "api.acl", &l->cfg->api_acl);
}

int conf_etcd_endpoints_read(struct loader *l, const struct ytree_node *key,
			     const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	struct ytree_node *const *items;
	size_t count;
	int rc;

	(void)key;
	if ((rc = conf_list_items(l, n, "etcd.endpoints", "URLs", &items, &count)) != 0)
		return rc;
	for (size_t i = 0; i < cfg->etcd_endpoint_count; i++)
		free(cfg->etcd_endpoints[i]);
	free(cfg->etcd_endpoints);
	cfg->etcd_endpoints = xcalloc(count + 1, sizeof(*cfg->etcd_endpoints));
	cfg->etcd_endpoint_count = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[64];

		conf_item_path(ipath, sizeof(ipath), "etcd.endpoints", items, i);
		if ((rc = ytree_read_string(&l->r, it, ipath, "a URL")) != 0)
			return rc;
		if ((strncmp(it->scalar, "http://", 7) != 0 && strncmp(it->scalar, "https://", 8) != 0) ||
		    !conf_text_is_valid(it->scalar, NULL, 1024))
			return ytree_error_path(&l->r, it, ipath, "'%s' is not an http:// or https:// URL",
						it->scalar);
		cfg->etcd_endpoints[cfg->etcd_endpoint_count++] = xstrdup(it->scalar);
	}
	return 0;
}

int conf_rrl_exempt_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	(void)key;
	free(l->cfg->rrl_exempt);
	l->cfg->rrl_exempt = NULL;
	l->cfg->rrl_exempt_count = 0;
	return conf_prefixes_read(l, n, "rrl.exempt", &l->cfg->rrl_exempt,
				  &l->cfg->rrl_exempt_count);
}

/* cookies.secret, cookies.secret_file, cookies.previous_secret or
 * cookies.previous_secret_file, whose key is key. */
int conf_cookies_secret_read(struct loader *l, const struct ytree_node *key,
			     const struct ytree_node *n)
{
	bool previous = strncmp(key->scalar, "previous_", 9) == 0;
	bool from_file = strstr(key->scalar, "_file") != NULL;
	const struct ytree_node **seen = previous ? &l->previous_key : &l->secret_key;
	uint8_t *out = previous ? l->cfg->cookie_previous : l->cfg->cookie_secret;
	char path[64], *line = NULL, *file = NULL;
	const char *text;
	bool ok;
	int rc;

	snprintf(path, sizeof(path), "cookies.%s", key->scalar);
	if (*seen != NULL)
		return ytree_error(l->r.tree, key, l->r.err,
				   "%s: cookies.%s is set already (line %u); give one of them", path,
				   (*seen)->scalar, (*seen)->line);
	*seen = key;
	if (from_file) {
		if ((rc = ytree_read_first_line(&l->r, n, path, 256, &line, &file)) != 0) {
			if (line != NULL)
				conf_wipe(line, strlen(line));
			free(line);
			free(file);
			return rc;
		}
		text = line;
	} else {
		if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
			return ytree_error_path(&l->r, n, path, "expected a string, got %s",
						ytree_node_describe(n));
		text = n->scalar;
	}
	ok = sign_hex_decode(text, out, 16);
	if (line != NULL)
		conf_wipe(line, strlen(line));
	free(line);
	if (!ok) {
		rc = from_file ? ytree_error_path(&l->r, n, path,
						  "the first line of '%s' must be %d hex digits "
						  "(16 bytes, e.g. from 'openssl rand -hex 16')",
						  file, SECRET_HEX_LEN)
			       : ytree_error_path(&l->r, n, path,
						  "expected %d hex digits (16 bytes, e.g. from "
						  "'openssl rand -hex 16')",
						  SECRET_HEX_LEN);
		free(file);
		return rc;
	}
	free(file);
	if (previous)
		l->cfg->cookie_has_previous = true;
	return 0;
}

/* One random secret per process, so that reloads of a config without a
 * secret keep the cookies clients hold. */
static uint8_t process_secret[16];
static bool process_secret_made;

int conf_defences_finish(struct loader *l)
{
	struct config *cfg = l->cfg;

	if (l->secret_key == NULL) {
		if (l->previous_key != NULL)
			return ytree_error(l->r.tree, l->previous_key, l->r.err,
					   "cookies.%s: a previous secret needs a current one "
					   "(cookies.secret or cookies.secret_file)",
					   l->previous_key->scalar);
		if (!process_secret_made) {
			if (getrandom(process_secret, sizeof(process_secret), 0) !=
			    (ssize_t)sizeof(process_secret))
				return ytree_error(l->r.tree, ytree_root(l->r.tree), l->r.err,
						   "cookies: no secret is configured and no random "
						   "one could be made");
			process_secret_made = true;
		}
		memcpy(cfg->cookie_secret, process_secret, sizeof(process_secret));
		cfg->cookie_secret_random = true;
	}
	cfg->listen_acl = xcalloc(cfg->listen_count, sizeof(*cfg->listen_acl));
	for (size_t i = 0; i < cfg->listen_count; i++) {
		if (l->listen_acl != NULL && i < l->listen_acl_count && l->listen_acl[i].set)
			conf_acl_copy(&cfg->listen_acl[i], &l->listen_acl[i]);
		else
			conf_acl_copy(&cfg->listen_acl[i], &cfg->server_acl);
	}
	return 0;
}

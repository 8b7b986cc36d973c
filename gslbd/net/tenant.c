#include <config.h>

#include "gslbd/net/tenant.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Compare SHA-256 digests, so that neither the length nor the content of
 * a token shows in the time taken. */
static bool token_matches(const uint8_t given[SHA256_DIGEST_LENGTH], const char *token)
{
	uint8_t want[SHA256_DIGEST_LENGTH];
	bool same;

	SHA256((const unsigned char *)token, strlen(token), want);
	same = CRYPTO_memcmp(given, want, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return same;
}

enum tenant_who tenant_identify(const struct config *cfg, const char *auth, size_t *index)
{
	uint8_t given[SHA256_DIGEST_LENGTH];
	enum tenant_who who = TENANT_NONE;

	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return TENANT_NONE;
	SHA256((const unsigned char *)auth + 7, strlen(auth + 7), given);
	/* Every token is compared, whichever matches. */
	if (cfg->api_admin_token != NULL && token_matches(given, cfg->api_admin_token))
		who = TENANT_ADMIN;
	for (size_t i = 0; i < cfg->token_count; i++) {
		if (token_matches(given, cfg->tokens[i].token) && who == TENANT_NONE) {
			who = TENANT_TOKEN;
			*index = i;
		}
	}
	OPENSSL_cleanse(given, sizeof(given));
	return who;
}

struct tenant_limits {
	const struct config *cfg; /* the config the buckets are for */
	double *tokens;           /* requests left per token */
	uint64_t *stamp;          /* last refill per token (ms) */
};

struct tenant_limits *tenant_limits_new(void)
{
	return xcalloc(1, sizeof(struct tenant_limits));
}

void tenant_limits_free(struct tenant_limits *l)
{
	if (l == NULL)
		return;
	free(l->tokens);
	free(l->stamp);
	free(l);
}

bool tenant_limits_allow(struct tenant_limits *l, const struct config *cfg, size_t index,
			 uint64_t now_ms)
{
	const struct config_token *t = &cfg->tokens[index];
	double add;

	if (l->cfg != cfg) {
		free(l->tokens);
		free(l->stamp);
		l->tokens = xcalloc(cfg->token_count + 1, sizeof(*l->tokens));
		l->stamp = xcalloc(cfg->token_count + 1, sizeof(*l->stamp));
		for (size_t i = 0; i < cfg->token_count; i++) {
			l->tokens[i] = cfg->tokens[i].rate;
			l->stamp[i] = now_ms;
		}
		l->cfg = cfg;
	}
	add = (double)(now_ms - l->stamp[index]) * t->rate / 1000.0;
	l->stamp[index] = now_ms;
	l->tokens[index] += add;
	if (l->tokens[index] > t->rate)
		l->tokens[index] = t->rate;
	if (l->tokens[index] < 1.0)
		return false;
	l->tokens[index] -= 1.0;
	return true;
}

static bool dc_visible(const struct config *cfg, const struct config_token *t, const char *name)
{
	long k = name != NULL ? config_datacenter_find(cfg, name) : -1;

	return k >= 0 && t->dcs[k];
}

static bool pool_visible(const struct config *cfg, const struct config_token *t,
			 const char *name)
{
	for (size_t p = 0; name != NULL && p < cfg->pool_count; p++) {
		if (strcmp(cfg->pools[p].name, name) == 0)
			return t->pools[p];
	}
	return false;
}

/* Remove the items of array a that name what t may not see: objects by their
 * member key, strings (key NULL) by themselves. */
static void keep_visible(json_t *a, const char *key, const struct config *cfg,
			 const struct config_token *t, bool pools)
{
	for (size_t i = json_array_size(a); i-- > 0;) {
		json_t *item = json_array_get(a, i);
		const char *name = json_string_value(key != NULL ? json_object_get(item, key) : item);

		if (!(pools ? pool_visible(cfg, t, name) : dc_visible(cfg, t, name)))
			json_array_remove(a, i);
	}
}

void tenant_filter_status(json_t *st, const struct config *cfg, const struct config_token *t)
{
	json_t *latency = json_object_get(st, "latency"), *order;
	const char *region;

	keep_visible(json_object_get(st, "datacenters"), "name", cfg, t, false);
	keep_visible(json_object_get(st, "names"), "pool", cfg, t, true);
	keep_visible(json_object_get(st, "least_load"), NULL, cfg, t, false);
	json_object_foreach(latency, region, order)
		keep_visible(order, "datacenter", cfg, t, false);
	/* The zones served, the fleet link and the state file are the
	 * operator's business. */
	json_object_del(st, "zones");
	json_object_del(st, "etcd");
	json_object_del(st, "state_file");
	json_object_set_new(st, "tenant", json_string(t->name));
}

void tenant_filter_history(json_t *h, const struct config *cfg, const struct config_token *t)
{
	json_t *events = json_object_get(h, "events");

	keep_visible(json_object_get(h, "datacenters"), "name", cfg, t, false);
	/* Events about other tenants' datacenters and pools, and the
	 * operator's (probes, reloads, zones), go. */
	for (size_t i = json_array_size(events); i-- > 0;) {
		json_t *e = json_array_get(events, i);
		const char *dc = json_string_value(json_object_get(e, "datacenter"));
		const char *pool = json_string_value(json_object_get(e, "pool"));

		if (!(dc != NULL ? dc_visible(cfg, t, dc) : pool_visible(cfg, t, pool)))
			json_array_remove(events, i);
	}
	json_object_set_new(h, "tenant", json_string(t->name));
}

bool tenant_filter_explain(json_t *ex, const struct config *cfg, const struct config_token *t)
{
	if (!pool_visible(cfg, t, json_string_value(json_object_get(ex, "pool"))))
		return false;
	keep_visible(json_object_get(ex, "candidates"), "datacenter", cfg, t, false);
	keep_visible(json_object_get(ex, "answer"), "datacenter", cfg, t, false);
	return true;
}

/* Does the sample line (len bytes) carry a label datacenter="X" or
 * pool="X", and may t see every such label it carries? */
static bool sample_visible(const char *line, size_t len, const struct config *cfg,
			   const struct config_token *t)
{
	static const char *const labels[2] = {"datacenter=\"", "pool=\""};
	bool any = false;

	for (int k = 0; k < 2; k++) {
		size_t ll = strlen(labels[k]);

		for (const char *p = line; p + ll < line + len; p++) {
			char name[128];
			const char *end;

			if ((p != line && p[-1] != '{' && p[-1] != ',') ||
			    memcmp(p, labels[k], ll) != 0)
				continue;
			end = memchr(p + ll, '"', (size_t)(line + len - (p + ll)));
			if (end == NULL || (size_t)(end - (p + ll)) >= sizeof(name))
				return false;
			memcpy(name, p + ll, (size_t)(end - (p + ll)));
			name[end - (p + ll)] = '\0';
			if (!(k == 0 ? dc_visible(cfg, t, name) : pool_visible(cfg, t, name)))
				return false;
			any = true;
			break;
		}
	}
	return any;
}

char *tenant_filter_metrics(const char *text, size_t len, const struct config *cfg,
			    const struct config_token *t, size_t *out_len)
{
	char *out = xmalloc(len + 1);
	size_t used = 0, head_at = 0, head_len = 0;
	bool head_sent = false;

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) + 1 : len - at;

		if (text[at] == '#') {
			/* HELP and TYPE of a family: held until one of its samples
			 * is kept. */
			if (head_sent || (head_len > 0 && at != head_at + head_len) ||
			    (n > 6 && memcmp(text + at, "# HELP", 6) == 0)) {
				head_len = 0;
				head_sent = false;
			}
			if (head_len == 0)
				head_at = at;
			head_len += n;
		} else if (sample_visible(text + at, n, cfg, t)) {
			if (head_len > 0 && !head_sent) {
				memcpy(out + used, text + head_at, head_len);
				used += head_len;
				head_sent = true;
			}
			memcpy(out + used, text + at, n);
			used += n;
		}
		at += n;
	}
	out[used] = '\0';
	*out_len = used;
	return out;
}

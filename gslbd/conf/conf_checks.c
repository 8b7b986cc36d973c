/* gslbd.conf "checks": health checks the probes run. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check_spec.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* The rules are those of the probe config (common/check_spec.h), so that
 * every probe takes what --check-config accepts. */
#define STATUS_MIN CHECK_SPEC_STATUS_MIN
#define STATUS_MAX CHECK_SPEC_STATUS_MAX

/* Index of the check called name, or -1. */
long conf_check_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->check_count; i++) {
		if (cfg->checks[i].name != NULL && strcmp(cfg->checks[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/* One item of expect_status: "200" or "200-299", marked in want (indexed
 * by code - STATUS_MIN). */
static int status_item_read(struct loader *l, const struct ytree_node *n, const char *path,
			    bool *want)
{
	unsigned long long lo, hi;
	const char *end;
	bool overflow, overflow2;

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected a status code or range, got %s",
					ytree_node_describe(n));
	if (!ytree_scan_digits(n->scalar, &lo, &end, &overflow))
		goto syntax;
	hi = lo;
	overflow2 = false;
	if (*end == '-' && !ytree_scan_digits(end + 1, &hi, &end, &overflow2))
		goto syntax;
	if (*end != '\0')
		goto syntax;
	if (overflow || overflow2 || lo < STATUS_MIN || hi > STATUS_MAX || hi < STATUS_MIN ||
	    lo > STATUS_MAX)
		return ytree_error_path(&l->r, n, path, "%s is out of range (%d..%d)", n->scalar,
					STATUS_MIN, STATUS_MAX);
	if (hi < lo)
		return ytree_error_path(
		    &l->r, n, path, "'%s' is an empty range (the first code is larger)", n->scalar);
	for (unsigned long long c = lo; c <= hi; c++)
		want[c - STATUS_MIN] = true;
	return 0;
syntax:
	return ytree_error_path(
	    &l->r, n, path, "'%s' is not a status code or range (like 200 or 200-299)", n->scalar);
}

/* expect_status of check c: codes and ranges, stored sorted, each once. */
static int status_read(struct loader *l, const struct ytree_node *n, const char *path,
		       struct config_check *c)
{
	bool want[STATUS_MAX - STATUS_MIN + 1] = {0};
	struct ytree_node *const *items;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, "status codes or ranges", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return ytree_error_path(&l->r, n, path, "at least one status code is required");
	for (size_t i = 0; i < count; i++) {
		char ipath[160];

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if ((rc = status_item_read(l, conf_list_item(n, items, i), ipath, want)) != 0)
			return rc;
	}
	free(c->expect_status);
	c->expect_status = xcalloc(STATUS_MAX - STATUS_MIN + 1, sizeof(*c->expect_status));
	c->expect_status_count = 0;
	for (unsigned code = STATUS_MIN; code <= STATUS_MAX; code++) {
		if (want[code - STATUS_MIN])
			c->expect_status[c->expect_status_count++] = code;
	}
	return 0;
}

/* load of check c: a mapping of one source (header, json or prometheus) to
 * its name. */
static int load_read(struct loader *l, const struct ytree_node *n, const char *path,
		     struct config_check *c)
{
	static const char *const keys[] = {"header", "json", "prometheus", NULL};
	static const enum check_spec_load sources[] = {CHECK_SPEC_LOAD_HEADER, CHECK_SPEC_LOAD_JSON,
						       CHECK_SPEC_LOAD_PROMETHEUS};
	const struct ytree_node *v[3] = {0};
	const char *why;
	const struct ytree_node *name = NULL;
	char kpath[128];
	size_t which = 0;
	int rc;

	if (n->kind != YTREE_MAP || n->count != 1)
		return ytree_error_path(&l->r, n, path,
					"expected one of {header: NAME}, {json: PATH} or "
					"{prometheus: METRIC}, got %s",
					ytree_node_describe(n));
	if ((rc = conf_map_read(l, n, path, keys, v)) != 0)
		return rc;
	for (size_t k = 0; k < 3; k++)
		if (v[k] != NULL) {
			which = k;
			name = v[k];
		}
	snprintf(kpath, sizeof(kpath), "%s.%s", path, keys[which]);
	if ((rc = ytree_read_string(&l->r, name, kpath, "a name")) != 0)
		return rc;
	if ((why = check_spec_load_name_error(sources[which], name->scalar)) != NULL)
		return ytree_error_path(&l->r, name, kpath, "'%s' %s", name->scalar, why);
	c->load_source = (enum check_load_source)(which + 1);
	c->load_name = xstrdup(name->scalar);
	return 0;
}

static int check_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum {
		K_NAME,
		K_TYPE,
		K_PORT,
		K_PATH,
		K_HOST,
		K_STATUS,
		K_BODY,
		K_TLS,
		K_INTERVAL,
		K_TIMEOUT,
		K_RTT,
		K_LOAD,
		K_COUNT
	};
	static const char *const keys[K_COUNT + 1] = {
	    "name",          "type",        "port",       "path",     "host",
	    "expect_status", "expect_body", "tls_verify", "interval", "timeout",
	    "rtt",           "load",        NULL};
	static const char *const types[] = {"http", "https", "tcp", NULL};
	static const char *const rtts[] = {"connect", "first_byte", NULL};
	struct config *cfg = l->cfg;
	struct config_check *c = &cfg->checks[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96];
	const char *why;
	unsigned u;
	int rc;

	if ((rc = conf_entry_open(l, n, "checks", index, "name and type", keys, v, path,
				  sizeof(path), &c->line, &c->col)) != 0)
		return rc;
	if ((rc = conf_entry_id_read(l, n, v[K_NAME], path, "name", "check", "a check name",
				     cfg->checks, sizeof(*cfg->checks),
				     offsetof(struct config_check, name),
				     offsetof(struct config_check, line), index, &c->name)) != 0)
		return rc;

	c->type = CHECK_HTTP;
	if (v[K_TYPE] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.type", path);
		if ((rc = conf_keyword_read(l, v[K_TYPE], kpath, types, "http, https or tcp",
					    &u)) != 0)
			return rc;
		c->type = (enum check_type)u;
	}
	/* Keys that mean nothing for the type are mistakes, not defaults. */
	for (size_t k = K_PATH; k <= K_TLS; k++) {
		bool http_only = k != K_TLS;

		if (v[k] == NULL || c->type == CHECK_HTTPS || (http_only && c->type == CHECK_HTTP))
			continue;
		snprintf(kpath, sizeof(kpath), "%s.%s", path, keys[k]);
		return ytree_error_path(&l->r, v[k], kpath, "only %s checks have %s",
					http_only ? "http and https" : "https", keys[k]);
	}

	c->port = c->type == CHECK_HTTPS ? 443 : 80;
	if (v[K_PORT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.port", path);
		if ((rc = ytree_read_uint(&l->r, v[K_PORT], kpath, 1, 65535, &c->port)) != 0)
			return rc;
	}
	if (v[K_PATH] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.path", path);
		if ((rc = ytree_read_string(&l->r, v[K_PATH], kpath, "a request path")) != 0)
			return rc;
		if ((why = check_spec_path_error(v[K_PATH]->scalar)) != NULL)
			return ytree_error_path(&l->r, v[K_PATH], kpath, "'%s' %s",
						v[K_PATH]->scalar, why);
		c->path = xstrdup(v[K_PATH]->scalar);
	} else {
		c->path = xstrdup("/");
	}
	if (v[K_HOST] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.host", path);
		if ((rc = ytree_read_string(&l->r, v[K_HOST], kpath, "a host name")) != 0)
			return rc;
		if ((why = check_spec_host_error(v[K_HOST]->scalar)) != NULL)
			return ytree_error_path(&l->r, v[K_HOST], kpath, "'%s' %s",
						v[K_HOST]->scalar, why);
		c->host = xstrdup(v[K_HOST]->scalar);
	}
	if (v[K_STATUS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.expect_status", path);
		if ((rc = status_read(l, v[K_STATUS], kpath, c)) != 0)
			return rc;
	} else {
		c->expect_status = xcalloc(200, sizeof(*c->expect_status));
		for (unsigned code = 200; code <= 399; code++)
			c->expect_status[c->expect_status_count++] = code;
	}
	if (v[K_BODY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.expect_body", path);
		if ((rc = ytree_read_string(&l->r, v[K_BODY], kpath, "a string")) != 0)
			return rc;
		if ((why = check_spec_body_error(v[K_BODY]->scalar)) != NULL)
			return ytree_error_path(&l->r, v[K_BODY], kpath, "%s", why);
		c->expect_body = xstrdup(v[K_BODY]->scalar);
	}
	c->tls_verify = true;
	if (v[K_TLS] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.tls_verify", path);
		if ((rc = conf_bool_read(l, v[K_TLS], kpath, &c->tls_verify)) != 0)
			return rc;
	}
	c->interval_ms = 2000;
	if (v[K_INTERVAL] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.interval", path);
		if ((rc = ytree_read_duration(&l->r, v[K_INTERVAL], kpath,
					      CHECK_SPEC_INTERVAL_MIN_MS,
					      CHECK_SPEC_INTERVAL_MAX_MS, &c->interval_ms)) != 0)
			return rc;
	}
	c->timeout_ms = 1000;
	if (v[K_TIMEOUT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.timeout", path);
		if ((rc = ytree_read_duration(&l->r, v[K_TIMEOUT], kpath, CHECK_SPEC_TIMEOUT_MIN_MS,
					      CHECK_SPEC_TIMEOUT_MAX_MS, &c->timeout_ms)) != 0)
			return rc;
	}
	if (c->timeout_ms >= c->interval_ms) {
		const struct ytree_node *at = v[K_TIMEOUT] != NULL ? v[K_TIMEOUT] : v[K_INTERVAL];
		char t[32], i[32];

		ytree_format_duration(c->timeout_ms, t, sizeof(t));
		ytree_format_duration(c->interval_ms, i, sizeof(i));
		snprintf(kpath, sizeof(kpath), "%s.%s", path,
			 v[K_TIMEOUT] != NULL ? "timeout" : "interval");
		return ytree_error_path(&l->r, at, kpath,
					"the timeout (%s) must be shorter than the interval (%s)",
					t, i);
	}
	/* What rtt_ms measures: the TCP connect (any type) or, for HTTP, the
	 * time until the response starts (a slow backend shows, not only a
	 * long path). */
	c->rtt_first_byte = false;
	if (v[K_RTT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.rtt", path);
		if ((rc = conf_keyword_read(l, v[K_RTT], kpath, rtts, "connect or first_byte",
					    &u)) != 0)
			return rc;
		if (u == 1 && c->type == CHECK_TCP)
			return ytree_error_path(&l->r, v[K_RTT], kpath,
						"only http and https checks have rtt: first_byte");
		c->rtt_first_byte = u == 1;
	}
	if (v[K_LOAD] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.load", path);
		if (c->type == CHECK_TCP)
			return ytree_error_path(&l->r, v[K_LOAD], kpath,
						"only http and https checks have load");
		if ((rc = load_read(l, v[K_LOAD], kpath, c)) != 0)
			return rc;
	}
	/* What the probes will check: the same rules, at the check's line. */
	{
		struct check_spec spec;
		struct gslb_err e = {{0}};

		conf_check_spec(c, "datacenter", "192.0.2.1", c->port, &spec);
		rc = check_spec_validate(&spec, &e);
		check_spec_fini(&spec);
		if (rc != 0)
			return ytree_error_path(&l->r, n, path, "probes would refuse it: %s",
						e.msg);
	}
	return 0;
}

void conf_check_spec(const struct config_check *c, const char *datacenter, const char *address,
		     unsigned port, struct check_spec *out)
{
	memset(out, 0, sizeof(*out));
	out->datacenter = xstrdup(datacenter);
	out->type = c->type == CHECK_HTTPS ? CHECK_SPEC_HTTPS
		    : c->type == CHECK_TCP ? CHECK_SPEC_TCP
					   : CHECK_SPEC_HTTP;
	out->address = xstrdup(address);
	out->is_ipv6 = strchr(address, ':') != NULL;
	out->port = (uint16_t)port;
	out->interval_ms = c->interval_ms;
	out->timeout_ms = c->timeout_ms;
	if (c->type == CHECK_TCP)
		return;
	out->path = xstrdup(c->path != NULL ? c->path : "/");
	check_spec_host_set(out, c->host);
	/* Sorted codes as ranges: 200..399 is one entry, not 200. */
	out->expect = xcalloc(c->expect_status_count + 1, sizeof(*out->expect));
	for (size_t i = 0; i < c->expect_status_count; i++) {
		unsigned code = c->expect_status[i];

		if (out->expect_count > 0 && out->expect[out->expect_count - 1].hi + 1u == code)
			out->expect[out->expect_count - 1].hi = (uint16_t)code;
		else
			out->expect[out->expect_count++] =
			    (struct check_spec_status){(uint16_t)code, (uint16_t)code};
	}
	if (out->expect_count == 0)
		out->expect[out->expect_count++] = (struct check_spec_status){200, 399};
	out->expect_body = c->expect_body != NULL ? xstrdup(c->expect_body) : NULL;
	out->tls_verify = c->tls_verify;
	out->rtt_first_byte = c->rtt_first_byte;
	out->load_source = c->load_source == CHECK_LOAD_HEADER       ? CHECK_SPEC_LOAD_HEADER
			   : c->load_source == CHECK_LOAD_JSON       ? CHECK_SPEC_LOAD_JSON
			   : c->load_source == CHECK_LOAD_PROMETHEUS ? CHECK_SPEC_LOAD_PROMETHEUS
								     : CHECK_SPEC_LOAD_NONE;
	out->load_name = c->load_name != NULL ? xstrdup(c->load_name) : NULL;
}

int conf_checks_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "checks", "checks")) != 0 || ytree_node_is_null(n))
		return rc;
	cfg->checks = xcalloc(n->count, sizeof(*cfg->checks));
	return conf_entries_read(l, n, &cfg->check_count, check_read);
}

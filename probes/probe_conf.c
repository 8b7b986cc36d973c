#include <config.h>

#include "probes/probe_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/yamltree.h"

/* Most servers in one file. */
#define SERVER_MAX 64
/* Longest server URL, in bytes. */
#define SERVER_URL_MAX_LEN 1024
/* Length of one tls.pin: "sha256//" and 44 base64 characters. */
#define PIN_LEN 52
/* Most pins. */
#define PIN_MAX 16

/* State of one load. */
struct loader {
	struct ytree_reader r;               /* the parsed file, its folder, the error */
	struct probe_conf *c;                /* the config being built */
	const struct ytree_node *secret_key; /* probe.secret or probe.secret_file key seen first */
};

bool probe_id_is_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PROBE_ID_MAX_LEN)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	}
	return true;
}

/* true/yes/on or false/no/off, unquoted. */
static int bool_read(struct loader *l, const struct ytree_node *n, const char *path, bool *out)
{
	if (n->kind == YTREE_SCALAR && !n->quoted && ytree_parse_bool(n->scalar, out) == 0)
		return 0;
	return ytree_error_path(&l->r, n, path, "expected true or false, got %s",
				ytree_node_describe(n));
}

/* Store the secret s (len bytes) read from node n. */
static int secret_set(struct loader *l, const struct ytree_node *n, const char *path, const char *s,
		      size_t len, const char *where)
{
	if (len < PROBE_SECRET_MIN_LEN || len > PROBE_SECRET_MAX_LEN)
		return ytree_error_path(&l->r, n, path,
					"the secret%s must be %d..%d bytes, not %zu", where,
					PROBE_SECRET_MIN_LEN, PROBE_SECRET_MAX_LEN, len);
	l->c->secret = xmalloc(len);
	memcpy(l->c->secret, s, len);
	l->c->secret_len = len;
	return 0;
}

/* probe.secret_file: the secret is the file's first line without its line
 * ending and surrounding blanks. */
static int secret_file_read(struct loader *l, const struct ytree_node *n)
{
	static const char path[] = "probe.secret_file";
	char *line, *file, where[64];
	int rc;

	rc = ytree_read_first_line(&l->r, n, path, PROBE_SECRET_MAX_LEN, &line, &file);
	if (rc == 0) {
		snprintf(where, sizeof(where), " in '%.40s'", n->scalar);
		rc = secret_set(l, n, path, line, strlen(line), where);
	}
	if (line != NULL)
		explicit_bzero(line, strlen(line));
	free(line);
	free(file);
	return rc;
}

static int secret_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	if (l->secret_key != NULL)
		return ytree_error(l->r.tree, key, l->r.err,
				   "probe.%s: probe.%s is set already (line %u); give one of them",
				   key->scalar, l->secret_key->scalar, l->secret_key->line);
	l->secret_key = key;
	if (strcmp(key->scalar, "secret_file") == 0)
		return secret_file_read(l, n);
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, "probe.secret", "expected a string, got %s",
					ytree_node_describe(n));
	return secret_set(l, n, "probe.secret", n->scalar, strlen(n->scalar), "");
}

static int probe_section_read(struct loader *l, const struct ytree_node *n)
{
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, "probe", "expected a mapping, got %s",
					ytree_node_describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		const char *name = key->scalar;
		int rc;

		if (strcmp(name, "id") == 0) {
			rc = ytree_read_string(&l->r, val, "probe.id", "a probe id");
			if (rc == 0 && !probe_id_is_valid(val->scalar))
				rc = ytree_error_path(
				    &l->r, val, "probe.id",
				    "'%s' is not a probe id ([A-Za-z0-9_.-], 1..%d "
				    "characters)",
				    val->scalar, PROBE_ID_MAX_LEN);
			if (rc == 0)
				l->c->id = xstrdup(val->scalar);
		} else if (strcmp(name, "secret") == 0 || strcmp(name, "secret_file") == 0) {
			rc = secret_read(l, key, val);
		} else if (strcmp(name, "cache_file") == 0) {
			if (ytree_node_is_null(val) ||
			    (val->kind == YTREE_SCALAR && val->scalar[0] == '\0')) {
				rc = 0;
			} else {
				rc = ytree_read_string(&l->r, val, "probe.cache_file",
						       "a file name");
				if (rc == 0)
					l->c->cache_file =
					    ytree_path_resolve(l->r.base_dir, val->scalar);
			}
		} else if (strcmp(name, "max_concurrent") == 0) {
			rc = ytree_read_uint(&l->r, val, "probe.max_concurrent", 1, 10000,
					     &l->c->max_concurrent);
		} else {
			return ytree_error(l->r.tree, key, l->r.err, "unknown key '%s' in probe",
					   name);
		}
		if (rc != 0)
			return rc;
	}
	if (l->c->id == NULL)
		return ytree_error_path(&l->r, n, "probe", "probe.id is required");
	if (l->c->secret == NULL)
		return ytree_error_path(&l->r, n, "probe",
					"probe.secret or probe.secret_file is required");
	return 0;
}

/* A server base URL: http:// or https://, a host, no query or fragment. */
static int server_read(struct loader *l, const struct ytree_node *n, const char *path)
{
	const char *s, *host;
	size_t len;
	int rc;

	if ((rc = ytree_read_string(&l->r, n, path, "a URL")) != 0)
		return rc;
	s = n->scalar;
	len = strlen(s);
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return ytree_error_path(&l->r, n, path, "'%s' is not an http:// or https:// URL",
					s);
	if (*host == '\0' || *host == '/')
		return ytree_error_path(&l->r, n, path, "'%s' has no host", s);
	if (len > SERVER_URL_MAX_LEN)
		return ytree_error_path(&l->r, n, path, "the URL is longer than %d bytes",
					SERVER_URL_MAX_LEN);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#')
			return ytree_error_path(
			    &l->r, n, path,
			    "'%s' must be printable ASCII without spaces, query or "
			    "fragment",
			    s);
	}
	while (len > 0 && s[len - 1] == '/')
		len--;
	for (size_t i = 0; i < l->c->server_count; i++) {
		if (strlen(l->c->servers[i]) == len && strncmp(l->c->servers[i], s, len) == 0)
			return ytree_error_path(&l->r, n, path, "'%s' is listed twice", s);
	}
	l->c->servers[l->c->server_count++] = xstrndup(s, len);
	return 0;
}

static int servers_read(struct loader *l, const struct ytree_node *n)
{
	char path[32];

	if (n->kind != YTREE_SEQ)
		return ytree_error_path(&l->r, n, "servers", "expected a list of URLs, got %s",
					ytree_node_describe(n));
	if (n->count == 0)
		return ytree_error_path(&l->r, n, "servers", "at least one server is required");
	if (n->count > SERVER_MAX)
		return ytree_error_path(&l->r, n, "servers", "more than %d servers", SERVER_MAX);
	l->c->servers = xcalloc(n->count, sizeof(*l->c->servers));
	for (size_t i = 0; i < n->count; i++) {
		int rc;

		snprintf(path, sizeof(path), "servers[%zu]", i);
		if ((rc = server_read(l, n->items[i], path)) != 0)
			return rc;
	}
	return 0;
}

static int report_section_read(struct loader *l, const struct ytree_node *n)
{
	if (ytree_node_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, "report", "expected a mapping, got %s",
					ytree_node_describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		int rc;

		if (strcmp(key->scalar, "timeout") == 0)
			rc = ytree_read_duration(&l->r, val, "report.timeout", 100, 60000,
						 &l->c->report_timeout_ms);
		else if (strcmp(key->scalar, "retries") == 0)
			rc = ytree_read_uint(&l->r, val, "report.retries", 0, 10,
					     &l->c->report_retries);
		else
			return ytree_error(l->r.tree, key, l->r.err, "unknown key '%s' in report",
					   key->scalar);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int log_section_read(struct loader *l, const struct ytree_node *n)
{
	if (ytree_node_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, "log", "expected a mapping, got %s",
					ytree_node_describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		int rc;

		if (strcmp(key->scalar, "level") == 0) {
			rc = ytree_read_string(&l->r, val, "log.level", "a log level");
			if (rc == 0 && log_level_parse(val->scalar, &l->c->log_level) != 0)
				rc = ytree_error_path(
				    &l->r, val, "log.level",
				    "'%s' is not a log level (error, warning, info or "
				    "debug)",
				    val->scalar);
		} else if (strcmp(key->scalar, "syslog") == 0) {
			rc = bool_read(l, val, "log.syslog", &l->c->log_syslog);
		} else {
			return ytree_error(l->r.tree, key, l->r.err, "unknown key '%s' in log",
					   key->scalar);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* tls.pin: one "sha256//" followed by the base64 of 32 bytes, or a list of
 * them, joined with ';' as CURLOPT_PINNEDPUBLICKEY takes them. */
static int pin_read(struct loader *l, const struct ytree_node *n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const struct ytree_node *one = n;
	size_t count = 1, used = 0;
	char path[32] = "tls.pin";
	int rc;

	if (n->kind == YTREE_SEQ) {
		count = n->count;
		if (count == 0)
			return ytree_error_path(&l->r, n, path, "at least one pin is required");
		if (count > PIN_MAX)
			return ytree_error_path(&l->r, n, path, "more than %d pins", PIN_MAX);
	}
	l->c->tls_pin = xcalloc(count, PIN_LEN + 1);
	for (size_t i = 0; i < count; i++) {
		const char *s;

		if (n->kind == YTREE_SEQ) {
			one = n->items[i];
			snprintf(path, sizeof(path), "tls.pin[%zu]", i);
		}
		if ((rc = ytree_read_string(&l->r, one, path, "a pin (sha256//BASE64)")) != 0)
			return rc;
		s = one->scalar;
		if (strlen(s) != PIN_LEN || strncmp(s, "sha256//", 8) != 0 ||
		    strspn(s + 8, b64) != PIN_LEN - 9 || s[PIN_LEN - 1] != '=')
			return ytree_error_path(
			    &l->r, one, path,
			    "'%s' is not a pin: sha256// and the base64 of the "
			    "SHA-256 of the server's public key (44 characters)",
			    s);
		used += (size_t)snprintf(l->c->tls_pin + used, PIN_LEN + 2, "%s%s",
					 i > 0 ? ";" : "", s);
	}
	return 0;
}

/* tls: how the servers' certificates are checked (ca_file, pin) and the
 * client certificate shown to them (certificate, key). */
static int tls_section_read(struct loader *l, const struct ytree_node *n)
{
	const struct ytree_node *cert = NULL, *key = NULL;

	if (ytree_node_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, "tls", "expected a mapping, got %s",
					ytree_node_describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *kn = n->keys[k], *val = n->items[k];
		const char *name = kn->scalar;
		int rc;

		if (strcmp(name, "ca_file") == 0) {
			rc = ytree_read_file(&l->r, val, "tls.ca_file", &l->c->tls_ca_file);
		} else if (strcmp(name, "pin") == 0) {
			rc = pin_read(l, val);
		} else if (strcmp(name, "certificate") == 0) {
			cert = val;
			rc = ytree_read_file(&l->r, val, "tls.certificate", &l->c->tls_certificate);
		} else if (strcmp(name, "key") == 0) {
			key = val;
			rc = ytree_read_file(&l->r, val, "tls.key", &l->c->tls_key);
		} else {
			return ytree_error(l->r.tree, kn, l->r.err, "unknown key '%s' in tls",
					   name);
		}
		if (rc != 0)
			return rc;
	}
	if (cert != NULL && key == NULL)
		return ytree_error_path(&l->r, n, "tls", "tls.certificate needs tls.key");
	if (key != NULL && cert == NULL)
		return ytree_error_path(&l->r, n, "tls", "tls.key needs tls.certificate");
	return 0;
}

bool probe_conf_url_is_plain_remote(const char *url)
{
	const char *host = url + 7;
	size_t len;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	len = strcspn(host, "/");
	if (len >= 5 && strncmp(host, "[::1]", 5) == 0 && (len == 5 || host[5] == ':'))
		return false;
	if (len >= 9 && strncasecmp(host, "localhost", 9) == 0 && (len == 9 || host[9] == ':'))
		return false;
	if (strncmp(host, "127.", 4) == 0) {
		/* 127.A.B.C, all digits and dots up to the port */
		size_t n = strspn(host, "0123456789.");

		if (n == len || host[n] == ':')
			return false;
	}
	return true;
}

static int tree_read(struct loader *l)
{
	const struct ytree_node *root = ytree_root(l->r.tree);
	const struct ytree_node *probe = NULL, *servers = NULL;

	if (root->kind != YTREE_MAP)
		return ytree_error_path(&l->r, root, "(top)", "expected a mapping, got %s",
					ytree_node_describe(root));
	for (size_t k = 0; k < root->count; k++) {
		const struct ytree_node *key = root->keys[k], *val = root->items[k];
		const char *name = key->scalar;
		int rc;

		if (strcmp(name, "probe") == 0) {
			probe = val;
			rc = probe_section_read(l, val);
		} else if (strcmp(name, "servers") == 0) {
			servers = val;
			rc = servers_read(l, val);
		} else if (strcmp(name, "report") == 0) {
			rc = report_section_read(l, val);
		} else if (strcmp(name, "config_refresh") == 0) {
			rc = ytree_read_duration(&l->r, val, "config_refresh", 1000, 3600000,
						 &l->c->config_refresh_ms);
		} else if (strcmp(name, "log") == 0) {
			rc = log_section_read(l, val);
		} else if (strcmp(name, "tls") == 0) {
			rc = tls_section_read(l, val);
		} else {
			return ytree_error(l->r.tree, key, l->r.err, "unknown key '%s'", name);
		}
		if (rc != 0)
			return rc;
	}
	if (probe == NULL)
		return ytree_error_path(&l->r, root, "probe", "the probe section is required");
	if (servers == NULL)
		return ytree_error_path(&l->r, root, "servers", "at least one server is required");
	return 0;
}

static int load_tree(const struct ytree *tree, const char *base_dir, struct probe_conf **out,
		     struct gslb_err *err)
{
	struct loader l = {.r = {.tree = tree, .base_dir = base_dir, .err = err}};
	int rc;

	l.c = xcalloc(1, sizeof(*l.c));
	l.c->max_concurrent = 256;
	l.c->report_timeout_ms = 2000;
	l.c->report_retries = 2;
	l.c->config_refresh_ms = 30000;
	l.c->log_level = LOG_LEVEL_INFO;
	l.c->log_syslog = false;
	rc = tree_read(&l);
	if (rc != 0) {
		probe_conf_free(l.c);
		return rc;
	}
	*out = l.c;
	return 0;
}

int probe_conf_load(const char *path, struct probe_conf **out, struct gslb_err *err)
{
	struct ytree *tree;
	char *dir;
	int rc;

	if ((rc = ytree_load_file(path, &tree, err)) != 0)
		return rc;
	dir = ytree_path_dir(path);
	rc = load_tree(tree, dir, out, err);
	free(dir);
	ytree_free(tree);
	return rc;
}

int probe_conf_load_string(const char *name, const char *text, size_t len, const char *base_dir,
			   struct probe_conf **out, struct gslb_err *err)
{
	struct ytree *tree;
	int rc;

	if ((rc = ytree_load_string(name, text, len, &tree, err)) != 0)
		return rc;
	rc = load_tree(tree, base_dir, out, err);
	ytree_free(tree);
	return rc;
}

void probe_conf_free(struct probe_conf *c)
{
	if (c == NULL)
		return;
	free(c->id);
	if (c->secret != NULL)
		explicit_bzero(c->secret, c->secret_len);
	free(c->secret);
	free(c->cache_file);
	free(c->tls_ca_file);
	free(c->tls_pin);
	free(c->tls_certificate);
	free(c->tls_key);
	for (size_t i = 0; i < c->server_count; i++)
		free(c->servers[i]);
	free(c->servers);
	free(c);
}

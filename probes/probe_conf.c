#include <config.h>

#include "probes/probe_conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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

/* State of one load. */
struct loader {
	const struct ytree *tree;            /* the parsed file */
	const char *base_dir;                /* relative file names resolve here, or NULL */
	struct probe_conf *c;                /* the config being built */
	const struct ytree_node *secret_key; /* probe.secret or probe.secret_file key seen first */
	struct gslb_err *err;                /* where the error goes */
};

/* Report a problem with node n: "file:line:col: path: message". */
static int node_error(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int node_error(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ytree_error(l->tree, n, l->err, "%s: %s", path, msg);
}

static bool is_null(const struct ytree_node *n)
{
	return n->kind == YTREE_SCALAR && !n->quoted &&
	       (n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
		strcasecmp(n->scalar, "null") == 0);
}

/* What a node is, for "expected X, got Y" messages. */
static const char *describe(const struct ytree_node *n)
{
	if (n->kind == YTREE_MAP)
		return "a mapping";
	if (n->kind == YTREE_SEQ)
		return "a list";
	if (is_null(n))
		return "no value";
	return n->quoted ? "a quoted string" : "a scalar";
}

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

/* A non-empty string value, or an error. */
static int string_read(struct loader *l, const struct ytree_node *n, const char *path,
		       const char *what)
{
	if (n->kind != YTREE_SCALAR || is_null(n))
		return node_error(l, n, path, "expected %s, got %s", what, describe(n));
	if (n->scalar[0] == '\0')
		return node_error(l, n, path, "%s must not be empty", what);
	return 0;
}

/* An unsigned integer in min..max. */
static int uint_read(struct loader *l, const struct ytree_node *n, const char *path,
		     unsigned long min, unsigned long max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (n->kind != YTREE_SCALAR || is_null(n) || n->quoted)
		return node_error(l, n, path, "expected an unsigned integer, got %s", describe(n));
	if (n->scalar[0] < '0' || n->scalar[0] > '9')
		return node_error(l, n, path, "expected an unsigned integer, got '%s'", n->scalar);
	errno = 0;
	v = strtoul(n->scalar, &end, 10);
	if (*end != '\0')
		return node_error(l, n, path, "expected an unsigned integer, got '%s'", n->scalar);
	if (errno != 0 || v < min || v > max)
		return node_error(l, n, path, "%s is out of range (%lu..%lu)", n->scalar, min, max);
	*out = (unsigned)v;
	return 0;
}

/* "500ms", "10s", "2m", "1h" or bare seconds, in min_ms..max_ms. */
static int duration_read(struct loader *l, const struct ytree_node *n, const char *path,
			 const char *range, unsigned long long min_ms, unsigned long long max_ms,
			 unsigned *out)
{
	unsigned long long v = 0, mult;
	const char *p;

	if (n->kind != YTREE_SCALAR || is_null(n))
		return node_error(l, n, path, "expected a duration, got %s", describe(n));
	p = n->scalar;
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > ULLONG_MAX / 10 / 3600000)
			goto range;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		mult = 1000;
	else if (strcmp(p, "m") == 0)
		mult = 60000;
	else if (strcmp(p, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	v *= mult;
	if (v < min_ms || v > max_ms)
		goto range;
	*out = (unsigned)v;
	return 0;
bad:
	return node_error(
	    l, n, path, "'%s' is not a duration (like 500ms, 10s, 2m, 1h, or seconds)", n->scalar);
range:
	return node_error(l, n, path, "%s is out of range (%s)", n->scalar, range);
}

static int bool_read(struct loader *l, const struct ytree_node *n, const char *path, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	if (n->kind == YTREE_SCALAR && !n->quoted) {
		for (size_t i = 0; i < 3; i++) {
			if (strcasecmp(n->scalar, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(n->scalar, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return node_error(l, n, path, "expected true or false, got %s", describe(n));
}

/* dir + "/" + file for a relative file and a known dir; else a copy of file. */
static char *path_resolve(const char *dir, const char *file)
{
	if (file[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(file);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", file);
	return xasprintf("%s/%s", dir, file);
}

/* Store the secret s (len bytes) read from node n. */
static int secret_set(struct loader *l, const struct ytree_node *n, const char *path, const char *s,
		      size_t len, const char *where)
{
	if (len < PROBE_SECRET_MIN_LEN || len > PROBE_SECRET_MAX_LEN)
		return node_error(l, n, path, "the secret%s must be %d..%d bytes, not %zu", where,
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
	char line[PROBE_SECRET_MAX_LEN + 3];
	char *file, *start, *end, where[64];
	FILE *f;
	int rc;

	if ((rc = string_read(l, n, path, "a file name")) != 0)
		return rc;
	file = path_resolve(l->base_dir, n->scalar);
	f = fopen(file, "r");
	if (f == NULL) {
		rc = node_error(l, n, path, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		rc = ferror(f) ? node_error(l, n, path, "cannot read '%s': read error", file)
			       : node_error(l, n, path, "'%s' is empty", file);
		fclose(f);
		goto out;
	}
	fclose(f);
	if (strchr(line, '\n') == NULL && strlen(line) > PROBE_SECRET_MAX_LEN) {
		rc = node_error(l, n, path, "the first line of '%s' is longer than %d bytes", file,
				PROBE_SECRET_MAX_LEN);
		goto out;
	}
	start = line + strspn(line, " \t\r\n");
	end = start + strlen(start);
	while (end > start && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	snprintf(where, sizeof(where), " in '%.40s'", n->scalar);
	rc = secret_set(l, n, path, start, (size_t)(end - start), where);
out:
	explicit_bzero(line, sizeof(line));
	free(file);
	return rc;
}

static int secret_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	if (l->secret_key != NULL)
		return ytree_error(l->tree, key, l->err,
				   "probe.%s: probe.%s is set already (line %u); give one of them",
				   key->scalar, l->secret_key->scalar, l->secret_key->line);
	l->secret_key = key;
	if (strcmp(key->scalar, "secret_file") == 0)
		return secret_file_read(l, n);
	if (n->kind != YTREE_SCALAR || is_null(n))
		return node_error(l, n, "probe.secret", "expected a string, got %s", describe(n));
	return secret_set(l, n, "probe.secret", n->scalar, strlen(n->scalar), "");
}

static int probe_section_read(struct loader *l, const struct ytree_node *n)
{
	if (n->kind != YTREE_MAP)
		return node_error(l, n, "probe", "expected a mapping, got %s", describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		const char *name = key->scalar;
		int rc;

		if (strcmp(name, "id") == 0) {
			rc = string_read(l, val, "probe.id", "a probe id");
			if (rc == 0 && !probe_id_is_valid(val->scalar))
				rc = node_error(l, val, "probe.id",
						"'%s' is not a probe id ([A-Za-z0-9_.-], 1..%d "
						"characters)",
						val->scalar, PROBE_ID_MAX_LEN);
			if (rc == 0)
				l->c->id = xstrdup(val->scalar);
		} else if (strcmp(name, "secret") == 0 || strcmp(name, "secret_file") == 0) {
			rc = secret_read(l, key, val);
		} else if (strcmp(name, "cache_file") == 0) {
			if (is_null(val) || (val->kind == YTREE_SCALAR && val->scalar[0] == '\0')) {
				rc = 0;
			} else {
				rc = string_read(l, val, "probe.cache_file", "a file name");
				if (rc == 0)
					l->c->cache_file = path_resolve(l->base_dir, val->scalar);
			}
		} else if (strcmp(name, "max_concurrent") == 0) {
			rc = uint_read(l, val, "probe.max_concurrent", 1, 10000,
				       &l->c->max_concurrent);
		} else {
			return ytree_error(l->tree, key, l->err, "unknown key '%s' in probe", name);
		}
		if (rc != 0)
			return rc;
	}
	if (l->c->id == NULL)
		return node_error(l, n, "probe", "probe.id is required");
	if (l->c->secret == NULL)
		return node_error(l, n, "probe", "probe.secret or probe.secret_file is required");
	return 0;
}

/* A server base URL: http:// or https://, a host, no query or fragment. */
static int server_read(struct loader *l, const struct ytree_node *n, const char *path)
{
	const char *s, *host;
	size_t len;
	int rc;

	if ((rc = string_read(l, n, path, "a URL")) != 0)
		return rc;
	s = n->scalar;
	len = strlen(s);
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return node_error(l, n, path, "'%s' is not an http:// or https:// URL", s);
	if (*host == '\0' || *host == '/')
		return node_error(l, n, path, "'%s' has no host", s);
	if (len > SERVER_URL_MAX_LEN)
		return node_error(l, n, path, "the URL is longer than %d bytes",
				  SERVER_URL_MAX_LEN);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#')
			return node_error(l, n, path,
					  "'%s' must be printable ASCII without spaces, query or "
					  "fragment",
					  s);
	}
	while (len > 0 && s[len - 1] == '/')
		len--;
	for (size_t i = 0; i < l->c->server_count; i++) {
		if (strlen(l->c->servers[i]) == len && strncmp(l->c->servers[i], s, len) == 0)
			return node_error(l, n, path, "'%s' is listed twice", s);
	}
	l->c->servers[l->c->server_count++] = xstrndup(s, len);
	return 0;
}

static int servers_read(struct loader *l, const struct ytree_node *n)
{
	char path[32];

	if (n->kind != YTREE_SEQ)
		return node_error(l, n, "servers", "expected a list of URLs, got %s", describe(n));
	if (n->count == 0)
		return node_error(l, n, "servers", "at least one server is required");
	if (n->count > SERVER_MAX)
		return node_error(l, n, "servers", "more than %d servers", SERVER_MAX);
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
	if (is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return node_error(l, n, "report", "expected a mapping, got %s", describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		int rc;

		if (strcmp(key->scalar, "timeout") == 0)
			rc = duration_read(l, val, "report.timeout", "100ms..1m", 100, 60000,
					   &l->c->report_timeout_ms);
		else if (strcmp(key->scalar, "retries") == 0)
			rc = uint_read(l, val, "report.retries", 0, 10, &l->c->report_retries);
		else
			return ytree_error(l->tree, key, l->err, "unknown key '%s' in report",
					   key->scalar);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int log_section_read(struct loader *l, const struct ytree_node *n)
{
	if (is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return node_error(l, n, "log", "expected a mapping, got %s", describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		int rc;

		if (strcmp(key->scalar, "level") == 0) {
			rc = string_read(l, val, "log.level", "a log level");
			if (rc == 0 && log_level_parse(val->scalar, &l->c->log_level) != 0)
				rc = node_error(l, val, "log.level",
						"'%s' is not a log level (error, warning, info or "
						"debug)",
						val->scalar);
		} else if (strcmp(key->scalar, "syslog") == 0) {
			rc = bool_read(l, val, "log.syslog", &l->c->log_syslog);
		} else {
			return ytree_error(l->tree, key, l->err, "unknown key '%s' in log",
					   key->scalar);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int tree_read(struct loader *l)
{
	const struct ytree_node *root = ytree_root(l->tree);
	const struct ytree_node *probe = NULL, *servers = NULL;

	if (root->kind != YTREE_MAP)
		return node_error(l, root, "(top)", "expected a mapping, got %s", describe(root));
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
			rc = duration_read(l, val, "config_refresh", "1s..1h", 1000, 3600000,
					   &l->c->config_refresh_ms);
		} else if (strcmp(name, "log") == 0) {
			rc = log_section_read(l, val);
		} else {
			return ytree_error(l->tree, key, l->err, "unknown key '%s'", name);
		}
		if (rc != 0)
			return rc;
	}
	if (probe == NULL)
		return node_error(l, root, "probe", "the probe section is required");
	if (servers == NULL)
		return node_error(l, root, "servers", "at least one server is required");
	return 0;
}

static int load_tree(const struct ytree *tree, const char *base_dir, struct probe_conf **out,
		     struct gslb_err *err)
{
	struct loader l = {.tree = tree, .base_dir = base_dir, .err = err};
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
	const char *slash = strrchr(path, '/');
	struct ytree *tree;
	char *dir = NULL;
	int rc;

	if ((rc = ytree_load_file(path, &tree, err)) != 0)
		return rc;
	if (slash != NULL)
		dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
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
	for (size_t i = 0; i < c->server_count; i++)
		free(c->servers[i]);
	free(c->servers);
	free(c);
}

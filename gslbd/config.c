/* Angle brackets: "config.h" would find gslbd/config.h beside this file
 * instead of the build's config.h. */
#include <config.h>

#include "gslbd/config.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "zones/dname.h"

#define DNS_PORT 53

enum opt_type {
	OPT_UINT,     /* unsigned at offset; decimal digits, min..max */
	OPT_BOOL,     /* bool at offset; true/false, yes/no, on/off */
	OPT_STRING,   /* char * at offset, owned by the config */
	OPT_DURATION, /* unsigned milliseconds at offset; min..max in ms */
	OPT_LOGLEVEL, /* enum log_level at offset */
};

/* Option flags. */
#define OPTF_EMPTY_NULL 0x1u /* "" is stored as NULL */
#define OPTF_HOSTNAME   0x2u /* when absent, the default is the host name */

/* One scalar option of the file. */
struct option {
	const char *key;        /* "section.name" as written in the file */
	enum opt_type type;     /* how the value is read and stored */
	size_t offset;          /* member of struct config that holds it */
	const char *def;        /* default in file syntax, NULL for none */
	unsigned long long min; /* smallest value (UINT, DURATION in ms) */
	unsigned long long max; /* largest value (UINT, DURATION in ms) */
	unsigned flags;         /* OPTF_* */
	const char *help;       /* one line for --help-config and the man page */
};

#define OFF(member) offsetof(struct config, member)

/* Every scalar option. The list-valued keys (server.listen,
 * server.allow_transfer, zones) are read by code below. */
static const struct option options[] = {
    {"server.workers", OPT_UINT, OFF(workers), "0", 0, 256, 0,
     "UDP worker threads; 0 means one per online CPU"},
    {"server.user", OPT_STRING, OFF(user), NULL, 0, 0, OPTF_EMPTY_NULL,
     "user to switch to after binding when started as root; none means stay"},
    {"server.udp_max_size", OPT_UINT, OFF(udp_max_size), "1232", 512, 65535, 0,
     "largest UDP response sent to EDNS clients, in bytes"},
    {"server.tcp_idle_timeout", OPT_DURATION, OFF(tcp_idle_timeout_ms), "10s", 100, 3600000, 0,
     "close an idle or stalled TCP connection after this long"},
    {"server.tcp_max_connections", OPT_UINT, OFF(tcp_max_connections), "512", 1, 65536, 0,
     "concurrent TCP connections accepted"},
    {"server.tcp_max_queries", OPT_UINT, OFF(tcp_max_queries), "0", 0, 1000000, 0,
     "queries answered on one TCP connection before closing it; 0 means no limit"},
    {"server.identity", OPT_STRING, OFF(identity), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_HOSTNAME,
     "CH TXT answer to id.server. and hostname.bind.; \"\" refuses those queries"},
    {"server.version", OPT_STRING, OFF(version), "gslbd " PACKAGE_VERSION, 0, 0, OPTF_EMPTY_NULL,
     "CH TXT answer to version.server. and version.bind.; \"\" refuses those queries"},
    {"log.level", OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, 0,
     "log threshold: error, warning, info or debug"},
    {"log.syslog", OPT_BOOL, OFF(log_syslog), "false", 0, 0, 0,
     "log to syslog (facility daemon) instead of stderr"},
};

#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

/* State of one load. */
struct loader {
	const struct ytree *tree;         /* the parsed file */
	const char *base_dir;             /* relative zone files resolve here, or NULL */
	struct config *cfg;               /* the config being built */
	bool seen[OPTION_COUNT];          /* options the file sets */
	bool has_allow_transfer;          /* server.allow_transfer was given */
	struct netprefix *allow_transfer; /* server.allow_transfer */
	size_t allow_transfer_count;      /* entries at allow_transfer */
	struct gslb_err *err;             /* where the error goes */
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

/* Write a duration in the largest unit that divides it. */
static void format_duration(unsigned long long ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%llum", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llus", ms / 1000);
	else
		snprintf(buf, len, "%llums", ms);
}

/* Leading decimal digits of s into *v; *end after them. Returns false when
 * there are none; *overflow tells a value past ULLONG_MAX. */
static bool read_digits(const char *s, unsigned long long *v, const char **end, bool *overflow)
{
	const char *p = s;

	*v = 0;
	*overflow = false;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');

		if (*v > (ULLONG_MAX - d) / 10)
			*overflow = true;
		else
			*v = *v * 10 + d;
		p++;
	}
	*end = p;
	return p != s;
}

/* Parse "500ms", "10s", "2m", "1h" or bare seconds into ms. Returns 0,
 * GSLB_EINVAL for bad syntax or GSLB_ERANGE past ULLONG_MAX. */
static int parse_duration(const char *s, unsigned long long *ms)
{
	unsigned long long v, mult;
	const char *unit;
	bool overflow;

	if (!read_digits(s, &v, &unit, &overflow))
		return GSLB_EINVAL;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "s") == 0 || *unit == '\0')
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600000;
	else
		return GSLB_EINVAL;
	if (overflow || v > ULLONG_MAX / mult)
		return GSLB_ERANGE;
	*ms = v * mult;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return GSLB_EINVAL;
}

/* Store text s as the value of o in cfg. On error, writes the reason to why
 * and returns GSLB_EPARSE. quoted: s was written quoted (so it is a string
 * in YAML, never a number or boolean). */
static int option_set(const struct option *o, const char *s, bool quoted, struct config *cfg,
		      char *why, size_t why_len)
{
	char *member = (char *)cfg + o->offset;
	unsigned long long v;
	const char *end;
	bool overflow, b;
	enum log_level level;

	switch (o->type) {
	case OPT_UINT:
		if (quoted) {
			snprintf(why, why_len, "expected an unsigned integer, got a quoted string");
			return GSLB_EPARSE;
		}
		if (!read_digits(s, &v, &end, &overflow) || *end != '\0') {
			snprintf(why, why_len, "expected an unsigned integer, got '%s'", s);
			return GSLB_EPARSE;
		}
		if (overflow || v < o->min || v > o->max) {
			snprintf(why, why_len, "%s is out of range (%llu..%llu)", s, o->min,
				 o->max);
			return GSLB_EPARSE;
		}
		*(unsigned *)(void *)member = (unsigned)v;
		return 0;
	case OPT_DURATION: {
		char lo[32], hi[32];
		int rc = parse_duration(s, &v);

		if (rc == GSLB_EINVAL) {
			snprintf(why, why_len,
				 "'%s' is not a duration (like 500ms, 10s, 2m, 1h, or seconds)", s);
			return GSLB_EPARSE;
		}
		if (rc != 0 || v < o->min || v > o->max) {
			format_duration(o->min, lo, sizeof(lo));
			format_duration(o->max, hi, sizeof(hi));
			snprintf(why, why_len, "%s is out of range (%s..%s)", s, lo, hi);
			return GSLB_EPARSE;
		}
		*(unsigned *)(void *)member = (unsigned)v;
		return 0;
	}
	case OPT_BOOL:
		if (quoted || parse_bool(s, &b) != 0) {
			snprintf(why, why_len, "expected true or false, got %s'%s'",
				 quoted ? "the quoted string " : "", s);
			return GSLB_EPARSE;
		}
		*(bool *)(void *)member = b;
		return 0;
	case OPT_LOGLEVEL:
		if (log_level_parse(s, &level) != 0) {
			snprintf(why, why_len,
				 "'%s' is not a log level (error, warning, info or debug)", s);
			return GSLB_EPARSE;
		}
		*(enum log_level *)(void *)member = level;
		return 0;
	case OPT_STRING:
		free(*(char **)(void *)member);
		*(char **)(void *)member =
		    (*s == '\0' && (o->flags & OPTF_EMPTY_NULL)) ? NULL : xstrdup(s);
		return 0;
	}
	snprintf(why, why_len, "unknown option type");
	return GSLB_EPARSE;
}

static const char *type_name(enum opt_type type)
{
	switch (type) {
	case OPT_UINT:
		return "an unsigned integer";
	case OPT_BOOL:
		return "true or false";
	case OPT_STRING:
		return "a string";
	case OPT_DURATION:
		return "a duration";
	case OPT_LOGLEVEL:
		return "a log level";
	}
	return "a value";
}

/* Read the value node n of option o. */
static int option_read(struct loader *l, const struct option *o, const struct ytree_node *n)
{
	char why[512];

	if (n->kind != YTREE_SCALAR || is_null(n))
		return node_error(l, n, o->key, "expected %s, got %s", type_name(o->type),
				  describe(n));
	if (option_set(o, n->scalar, n->quoted, l->cfg, why, sizeof(why)) != 0)
		return node_error(l, n, o->key, "%s", why);
	return 0;
}

static void defaults_apply(struct config *cfg)
{
	char why[512];

	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (options[i].def == NULL)
			continue;
		if (option_set(&options[i], options[i].def, false, cfg, why, sizeof(why)) != 0)
			assert(!"bad default in the option table");
	}
}

/* Items of a list value: a sequence, or one scalar standing for a list of
 * one. Sets *items (NULL for a scalar) and *count. Returns 0 or an error
 * for other kinds. */
static int list_items(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *what, struct ytree_node *const **items, size_t *count)
{
	if (n->kind == YTREE_SEQ) {
		*items = n->items;
		*count = n->count;
		return 0;
	}
	if (n->kind == YTREE_SCALAR && !is_null(n)) {
		*items = NULL;
		*count = 1;
		return 0;
	}
	return node_error(l, n, path, "expected a list of %s, got %s", what, describe(n));
}

/* Item i of a list value (see list_items()). */
static const struct ytree_node *list_item(const struct ytree_node *n,
					  struct ytree_node *const *items, size_t i)
{
	return items != NULL ? items[i] : n;
}

/* Path of item i of a list for messages: "path[i]", or path for a scalar. */
static void item_path(char *buf, size_t len, const char *path, struct ytree_node *const *items,
		      size_t i)
{
	if (items != NULL)
		snprintf(buf, len, "%s[%zu]", path, i);
	else
		snprintf(buf, len, "%s", path);
}

static int listen_read(struct loader *l, const struct ytree_node *n)
{
	static const char path[] = "server.listen";
	struct ytree_node *const *items;
	struct config *cfg = l->cfg;
	size_t count;
	int rc;

	if ((rc = list_items(l, n, path, "addresses", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return node_error(l, n, path, "at least one address is required");
	free(cfg->listen);
	cfg->listen = xcalloc(count, sizeof(*cfg->listen));
	cfg->listen_count = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = list_item(n, items, i);
		struct netaddr *a = &cfg->listen[i];
		char ipath[64];

		item_path(ipath, sizeof(ipath), path, items, i);
		if (it->kind != YTREE_SCALAR || is_null(it))
			return node_error(l, it, ipath, "expected an address, got %s",
					  describe(it));
		if (netaddr_parse(it->scalar, DNS_PORT, a) != 0)
			return node_error(l, it, ipath,
					  "'%s' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)",
					  it->scalar);
		for (size_t j = 0; j < i; j++) {
			/* Port 0 asks for any free port, so repeating it is fine. */
			if (netaddr_port(&a->u.sa) != 0 && a->len == cfg->listen[j].len &&
			    memcmp(&a->u, &cfg->listen[j].u, a->len) == 0)
				return node_error(l, it, ipath, "duplicate address '%s'",
						  it->scalar);
		}
		cfg->listen_count++;
	}
	return 0;
}

/* Read a list of prefixes; *out (caller frees) gets them. */
static int prefixes_read(struct loader *l, const struct ytree_node *n, const char *path,
			 struct netprefix **out, size_t *out_count)
{
	struct ytree_node *const *items;
	struct netprefix *list;
	size_t count;
	int rc;

	if ((rc = list_items(l, n, path, "address prefixes", &items, &count)) != 0)
		return rc;
	list = xcalloc(count, sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = list_item(n, items, i);
		char ipath[160];

		item_path(ipath, sizeof(ipath), path, items, i);
		if (it->kind != YTREE_SCALAR || is_null(it)) {
			rc = node_error(l, it, ipath, "expected an address prefix, got %s",
					describe(it));
			goto fail;
		}
		if (netprefix_parse(it->scalar, &list[i]) != 0) {
			rc = node_error(l, it, ipath,
					"'%s' is not an address prefix (like 192.0.2.0/24, "
					"2001:db8::/32 or one address)",
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

/* Read a mapping section (server, log) of scalar options. */
static int section_read(struct loader *l, const char *section, const struct ytree_node *n)
{
	size_t slen = strlen(section);

	if (is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return node_error(l, n, section, "expected a mapping, got %s", describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		bool known = false;
		int rc = 0;

		for (size_t i = 0; i < OPTION_COUNT; i++) {
			if (strncmp(options[i].key, section, slen) == 0 &&
			    options[i].key[slen] == '.' &&
			    strcmp(options[i].key + slen + 1, key->scalar) == 0) {
				known = true;
				l->seen[i] = true;
				rc = option_read(l, &options[i], val);
				break;
			}
		}
		if (!known && strcmp(section, "server") == 0) {
			if (strcmp(key->scalar, "listen") == 0) {
				known = true;
				rc = listen_read(l, val);
			} else if (strcmp(key->scalar, "allow_transfer") == 0) {
				known = true;
				l->has_allow_transfer = true;
				rc = prefixes_read(l, val, "server.allow_transfer",
						   &l->allow_transfer, &l->allow_transfer_count);
			}
		}
		if (!known)
			return ytree_error(l->tree, key, l->err, "unknown key '%s' in %s",
					   key->scalar, section);
		if (rc != 0)
			return rc;
	}
	return 0;
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

/* dir + "/" + file for a relative file and a known dir; else a copy of file. */
static char *path_resolve(const char *dir, const char *file)
{
	if (file[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(file);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", file);
	return xasprintf("%s/%s", dir, file);
}

static int zone_read(struct loader *l, const struct ytree_node *n, size_t index,
		     uint8_t (*wire)[DNAME_MAXLEN], int *wire_len)
{
	struct config *cfg = l->cfg;
	struct config_zone *z = &cfg->zones[index];
	const struct ytree_node *name = NULL, *file = NULL, *xfr = NULL;
	char path[64], kpath[96];
	int rc;

	snprintf(path, sizeof(path), "zones[%zu]", index);
	if (n->kind != YTREE_MAP)
		return node_error(l, n, path, "expected a mapping with name and file, got %s",
				  describe(n));
	z->line = n->line;
	z->col = n->col;
	for (size_t k = 0; k < n->count; k++) {
		const char *key = n->keys[k]->scalar;

		if (strcmp(key, "name") == 0)
			name = n->items[k];
		else if (strcmp(key, "file") == 0)
			file = n->items[k];
		else if (strcmp(key, "allow_transfer") == 0)
			xfr = n->items[k];
		else
			return ytree_error(l->tree, n->keys[k], l->err, "unknown key '%s' in %s",
					   key, path);
	}
	if (name == NULL)
		return node_error(l, n, path, "missing required key 'name'");
	if (file == NULL)
		return node_error(l, n, path, "missing required key 'file'");

	snprintf(kpath, sizeof(kpath), "%s.name", path);
	if ((rc = string_read(l, name, kpath, "a zone name")) != 0)
		return rc;
	wire_len[index] = dname_from_str(name->scalar, wire[index]);
	if (wire_len[index] < 0)
		return node_error(l, name, kpath, "'%s' is not a valid domain name", name->scalar);
	for (size_t i = 0; i < index; i++) {
		if (wire_len[i] == wire_len[index] &&
		    memcmp(wire[i], wire[index], (size_t)wire_len[index]) == 0)
			return node_error(l, name, kpath, "duplicate zone '%s' (first at line %u)",
					  name->scalar, cfg->zones[i].line);
	}
	z->name = xstrdup(name->scalar);

	snprintf(kpath, sizeof(kpath), "%s.file", path);
	if ((rc = string_read(l, file, kpath, "a file name")) != 0)
		return rc;
	z->file = path_resolve(l->base_dir, file->scalar);

	if (xfr != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.allow_transfer", path);
		return prefixes_read(l, xfr, kpath, &z->allow_transfer, &z->allow_transfer_count);
	}
	if (l->allow_transfer_count > 0) {
		z->allow_transfer = xcalloc(l->allow_transfer_count, sizeof(*z->allow_transfer));
		memcpy(z->allow_transfer, l->allow_transfer,
		       l->allow_transfer_count * sizeof(*z->allow_transfer));
		z->allow_transfer_count = l->allow_transfer_count;
	}
	return 0;
}

static int zones_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	uint8_t(*wire)[DNAME_MAXLEN];
	int *wire_len;
	int rc = 0;

	if (n->kind != YTREE_SEQ)
		return node_error(l, n, "zones", "expected a list of zones, got %s", describe(n));
	if (n->count == 0)
		return node_error(l, n, "zones", "at least one zone is required");
	cfg->zones = xcalloc(n->count, sizeof(*cfg->zones));
	wire = xcalloc(n->count, sizeof(*wire));
	wire_len = xcalloc(n->count, sizeof(*wire_len));
	for (size_t i = 0; i < n->count; i++) {
		/* Counted before reading, so config_free() sees half-read zones. */
		cfg->zone_count = i + 1;
		if ((rc = zone_read(l, n->items[i], i, wire, wire_len)) != 0)
			break;
	}
	free(wire);
	free(wire_len);
	return rc;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	if (n > 256)
		return 256;
	return (unsigned)n;
}

static char *host_name(void)
{
	char buf[256];

	if (gethostname(buf, sizeof(buf)) != 0)
		return NULL;
	buf[sizeof(buf) - 1] = '\0';
	return buf[0] != '\0' ? xstrdup(buf) : NULL;
}

static int tree_read(struct loader *l)
{
	const struct ytree_node *root = ytree_root(l->tree);
	const struct ytree_node *zones = NULL;
	struct config *cfg = l->cfg;
	int rc;

	if (root->kind != YTREE_MAP)
		return ytree_error(l->tree, root, l->err,
				   "expected a mapping with server, log and zones, got %s",
				   describe(root));
	for (size_t k = 0; k < root->count; k++) {
		const char *key = root->keys[k]->scalar;

		rc = 0;
		if (strcmp(key, "server") == 0 || strcmp(key, "log") == 0)
			rc = section_read(l, key, root->items[k]);
		else if (strcmp(key, "zones") == 0)
			zones = root->items[k];
		else
			return ytree_error(l->tree, root->keys[k], l->err,
					   "unknown key '%s' (expected server, log or zones)", key);
		if (rc != 0)
			return rc;
	}
	/* Zones last: they inherit server.allow_transfer. */
	if (zones == NULL)
		return ytree_error(l->tree, root, l->err, "missing required key 'zones'");
	if ((rc = zones_read(l, zones)) != 0)
		return rc;

	if (cfg->listen == NULL) {
		cfg->listen = xcalloc(2, sizeof(*cfg->listen));
		if (netaddr_parse("0.0.0.0", DNS_PORT, &cfg->listen[0]) != 0 ||
		    netaddr_parse("::", DNS_PORT, &cfg->listen[1]) != 0)
			assert(!"default listen addresses do not parse");
		cfg->listen_count = 2;
	}
	if (cfg->workers == 0)
		cfg->workers = online_cpus();
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if ((options[i].flags & OPTF_HOSTNAME) && !l->seen[i]) {
			char **member = (char **)(void *)((char *)cfg + options[i].offset);

			free(*member);
			*member = host_name();
		}
	}
	return 0;
}

static int load_tree(const struct ytree *tree, const char *name, const char *base_dir,
		     struct config **out, struct gslb_err *err)
{
	struct loader l = {.tree = tree, .base_dir = base_dir, .err = err};
	int rc;

	l.cfg = xcalloc(1, sizeof(*l.cfg));
	l.cfg->path = xstrdup(name);
	defaults_apply(l.cfg);
	rc = tree_read(&l);
	free(l.allow_transfer);
	if (rc != 0) {
		config_free(l.cfg);
		return rc;
	}
	*out = l.cfg;
	return 0;
}

int config_load(const char *path, struct config **out, struct gslb_err *err)
{
	const char *slash = strrchr(path, '/');
	struct ytree *tree;
	char *dir = NULL;
	int rc;

	if ((rc = ytree_load_file(path, &tree, err)) != 0)
		return rc;
	if (slash != NULL)
		dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	rc = load_tree(tree, path, dir, out, err);
	free(dir);
	ytree_free(tree);
	return rc;
}

int config_load_string(const char *name, const char *base_dir, const char *text,
		       struct config **out, struct gslb_err *err)
{
	struct ytree *tree;
	int rc;

	if ((rc = ytree_load_string(name, text, strlen(text), &tree, err)) != 0)
		return rc;
	rc = load_tree(tree, name, base_dir, out, err);
	ytree_free(tree);
	return rc;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		free(cfg->zones[i].name);
		free(cfg->zones[i].file);
		free(cfg->zones[i].allow_transfer);
	}
	free(cfg->zones);
	free(cfg->listen);
	free(cfg->path);
	free(cfg->user);
	free(cfg->identity);
	free(cfg->version);
	free(cfg);
}

void config_print_options(FILE *out)
{
	fprintf(out, "server.listen: list of ADDR[:PORT] or [IPV6]:PORT, default "
		     "[0.0.0.0:53, \"[::]:53\"]\n"
		     "    DNS listen addresses, UDP and TCP on each; port 0 picks a free port\n");
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct option *o = &options[i];
		char lo[32], hi[32];

		if (i > 0 && strncmp(options[i - 1].key, "server.", 7) == 0 &&
		    strncmp(o->key, "server.", 7) != 0)
			fprintf(out, "server.allow_transfer: list of address prefixes, default []\n"
				     "    clients allowed AXFR/IXFR of zones that have no list of "
				     "their own\n");
		fprintf(out, "%s: ", o->key);
		switch (o->type) {
		case OPT_UINT:
			fprintf(out, "integer %llu..%llu, default %s", o->min, o->max, o->def);
			break;
		case OPT_DURATION:
			format_duration(o->min, lo, sizeof(lo));
			format_duration(o->max, hi, sizeof(hi));
			fprintf(out, "duration %s..%s, default %s", lo, hi, o->def);
			break;
		case OPT_BOOL:
			fprintf(out, "boolean, default %s", o->def);
			break;
		case OPT_LOGLEVEL:
			fprintf(out, "error|warning|info|debug, default %s", o->def);
			break;
		case OPT_STRING:
			if (o->flags & OPTF_HOSTNAME)
				fprintf(out, "string, default the host name");
			else if (o->def != NULL)
				fprintf(out, "string, default \"%s\"", o->def);
			else
				fprintf(out, "string, default none");
			break;
		}
		fprintf(out, "\n    %s\n", o->help);
	}
	fprintf(out, "zones: list of {name, file, allow_transfer}, at least one\n"
		     "    served zones; relative files resolve against the config file's folder\n");
}

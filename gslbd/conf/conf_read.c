/* The typed readers every section of gslbd.conf shares (conf-internal.h):
 * lists, entries of named mappings, numbers, names, keywords and addresses,
 * each reporting "file:line:col: path: message". */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Longest datacenter, region or pool name, in bytes. */
#define NAME_MAX_LEN 63

/* Overwrite len bytes at p with zeros (secrets, before they are freed). */
void conf_wipe(void *p, size_t len)
{
	volatile unsigned char *b = p;

	while (len-- > 0)
		*b++ = 0;
}

/* Items of a list value: a sequence, or one scalar standing for a list of
 * one. Sets *items (NULL for a scalar) and *count. Returns 0 or an error
 * for other kinds. */
int conf_list_items(struct loader *l, const struct ytree_node *n, const char *path,
		    const char *what, struct ytree_node *const **items, size_t *count)
{
	if (n->kind == YTREE_SEQ) {
		*items = n->items;
		*count = n->count;
		return 0;
	}
	if (n->kind == YTREE_SCALAR && !ytree_node_is_null(n)) {
		*items = NULL;
		*count = 1;
		return 0;
	}
	return ytree_error_path(&l->r, n, path, "expected a list of %s, got %s", what,
				ytree_node_describe(n));
}

/* Item i of a list value (see conf_list_items()). */
const struct ytree_node *conf_list_item(const struct ytree_node *n, struct ytree_node *const *items,
					size_t i)
{
	return items != NULL ? items[i] : n;
}

/* Path of item i of a list for messages: "path[i]", or path for a scalar. */
void conf_item_path(char *buf, size_t len, const char *path, struct ytree_node *const *items,
		    size_t i)
{
	if (items != NULL)
		snprintf(buf, len, "%s[%zu]", path, i);
	else
		snprintf(buf, len, "%s", path);
}

int conf_listen_address_read(struct loader *l, const struct ytree_node *n, const char *path,
			     const char *what, uint16_t default_port, struct netaddr *list,
			     size_t i)
{
	struct netaddr *a = &list[i];

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected %s, got %s", what,
					ytree_node_describe(n));
	if (netaddr_parse(n->scalar, default_port, a) != 0)
		return ytree_error_path(&l->r, n, path,
					"'%s' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)",
					n->scalar);
	for (size_t j = 0; j < i; j++) {
		/* Port 0 asks for any free port, so repeating it is fine. */
		if (netaddr_port(&a->u.sa) != 0 && a->len == list[j].len &&
		    memcmp(&a->u, &list[j].u, a->len) == 0)
			return ytree_error_path(&l->r, n, path, "duplicate address '%s'",
						n->scalar);
	}
	return 0;
}

/* Read a list of listen addresses at path into *list (replacing what is
 * there; *list_count counts the entries read so far, for config_free()).
 * Addresses without a port get default_port; may_be_empty allows []. */
int conf_listen_read(struct loader *l, const struct ytree_node *n, const char *path,
		     uint16_t default_port, bool may_be_empty, struct netaddr **list,
		     size_t *list_count, struct netacl **acls, size_t *acl_count)
{
	struct ytree_node *const *items;
	size_t count;
	int rc;

	if (may_be_empty && n->kind == YTREE_SEQ && n->count == 0) {
		free(*list);
		*list = NULL;
		*list_count = 0;
		return 0;
	}
	if ((rc = conf_list_items(l, n, path, "addresses", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return ytree_error_path(&l->r, n, path, "at least one address is required");
	free(*list);
	*list = xcalloc(count, sizeof(**list));
	*list_count = 0;
	if (acls != NULL) {
		for (size_t i = 0; i < *acl_count; i++)
			netacl_fini(&(*acls)[i]);
		free(*acls);
		*acls = xcalloc(count, sizeof(**acls));
		*acl_count = count;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[64], kpath[96];
		const char *where = ipath; /* the address's path in messages */

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if (acls != NULL && it->kind == YTREE_MAP) {
			static const char *const keys[] = {"address", "acl", NULL};
			const struct ytree_node *v[2] = {0};

			if ((rc = conf_map_read(l, it, ipath, keys, v)) != 0)
				return rc;
			if (v[0] == NULL)
				return ytree_error_path(&l->r, it, ipath,
							"missing required key 'address'");
			if (v[1] != NULL) {
				snprintf(kpath, sizeof(kpath), "%s.acl", ipath);
				if ((rc = conf_acl_read(l, v[1], kpath, &(*acls)[i])) != 0)
					return rc;
			}
			snprintf(kpath, sizeof(kpath), "%s.address", ipath);
			where = kpath;
			it = v[0];
		}
		if ((rc = conf_listen_address_read(l, it, where, "an address", default_port, *list,
						   i)) != 0)
			return rc;
		(*list_count)++;
	}
	return 0;
}

int conf_prefix_read(struct loader *l, const struct ytree_node *n, const char *path,
		     const char *what, struct netprefix *out)
{
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected %s, got %s", what,
					ytree_node_describe(n));
	if (netprefix_parse(n->scalar, out) != 0)
		return ytree_error_path(&l->r, n, path,
					"'%s' is not an address prefix (like 192.0.2.0/24, "
					"2001:db8::/32 or one address)",
					n->scalar);
	return 0;
}

/* Read a list of prefixes; *out (caller frees) gets them. */
int conf_prefixes_read(struct loader *l, const struct ytree_node *n, const char *path,
		       struct netprefix **out, size_t *out_count)
{
	struct ytree_node *const *items;
	struct netprefix *list;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, "address prefixes", &items, &count)) != 0)
		return rc;
	list = xcalloc(count, sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[160];

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if ((rc = conf_prefix_read(l, it, ipath, "an address prefix", &list[i])) != 0)
			goto fail;
	}
	*out = list;
	*out_count = count;
	return 0;
fail:
	free(list);
	return rc;
}

/* Sort the pairs of mapping n into vals[i] for keys[i] (a NULL-terminated
 * list, vals as long and zeroed by the caller). Unknown keys are errors. */
int conf_map_read(struct loader *l, const struct ytree_node *n, const char *path,
		  const char *const *keys, const struct ytree_node **vals)
{
	for (size_t k = 0; k < n->count; k++) {
		const char *key = n->keys[k]->scalar;
		size_t i = 0;

		while (keys[i] != NULL && strcmp(keys[i], key) != 0)
			i++;
		if (keys[i] == NULL)
			return ytree_error(l->r.tree, n->keys[k], l->r.err,
					   "unknown key '%s' in %s", key, path);
		vals[i] = n->items[k];
	}
	return 0;
}

/* Open entry index of the list named list (zones, checks, ...): its path
 * "list[index]" into path (path_len bytes), its position into *line and
 * *col, and its pairs into vals by keys (conf_map_read()). n must be a mapping;
 * expect names its required keys in the error otherwise. */
int conf_entry_open(struct loader *l, const struct ytree_node *n, const char *list, size_t index,
		    const char *expect, const char *const *keys, const struct ytree_node **vals,
		    char *path, size_t path_len, unsigned *line, unsigned *col)
{
	snprintf(path, path_len, "%s[%zu]", list, index);
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path, "expected a mapping with %s, got %s",
					expect, ytree_node_describe(n));
	*line = n->line;
	*col = n->col;
	return conf_map_read(l, n, path, keys, vals);
}

/* Read the identifier of entry index of a list of named mappings (key
 * `key`, e.g. "name"): required, an identifier (what_id: "a check name"),
 * and unlike those of the earlier entries: the char * at name_off of each
 * stride-byte element from first, whose line is the unsigned at line_off.
 * what names the kind in "duplicate check 'web' (first at line 5)". On
 * success *out is a copy of the identifier. */
int conf_entry_id_read(struct loader *l, const struct ytree_node *entry,
		       const struct ytree_node *id, const char *path, const char *key,
		       const char *what, const char *what_id, const void *first, size_t stride,
		       size_t name_off, size_t line_off, size_t index, char **out)
{
	char kpath[96];
	int rc;

	if (id == NULL)
		return ytree_error_path(&l->r, entry, path, "missing required key '%s'", key);
	snprintf(kpath, sizeof(kpath), "%s.%s", path, key);
	if ((rc = conf_ident_read(l, id, kpath, what_id)) != 0)
		return rc;
	for (size_t i = 0; i < index; i++) {
		const char *e = (const char *)first + i * stride;
		const char *name = *(char *const *)(const void *)(e + name_off);

		if (strcmp(name, id->scalar) == 0)
			return ytree_error_path(
			    &l->r, id, kpath, "duplicate %s '%s' (first at line %u)", what,
			    id->scalar, *(const unsigned *)(const void *)(e + line_off));
	}
	*out = xstrdup(id->scalar);
	return 0;
}

/* A decimal number (sign, digits, fraction, exponent) min..max. */
int conf_degrees_read(struct loader *l, const struct ytree_node *n, const char *path, double min,
		      double max, double *out)
{
	const char *s = n->scalar;
	char *end;
	double v;

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected a number, got %s",
					ytree_node_describe(n));
	if (n->quoted)
		return ytree_error_path(&l->r, n, path, "expected a number, got a quoted string");
	/* strtod() also takes hexadecimal, "inf" and "nan": allow decimal only. */
	if (s[strspn(s, "0123456789+-.eE")] != '\0')
		return ytree_error_path(&l->r, n, path, "expected a number, got '%s'", s);
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0')
		return ytree_error_path(&l->r, n, path, "expected a number, got '%s'", s);
	if (!isfinite(v) || v < min || v > max)
		return ytree_error_path(&l->r, n, path, "%s is out of range (%g..%g)", s, min, max);
	*out = v;
	return 0;
}

int conf_position_read(struct loader *l, const struct ytree_node *n, const char *path,
		       const struct ytree_node *lat, const struct ytree_node *lon, double *lat_out,
		       double *lon_out)
{
	char kpath[96];
	int rc;

	if (lat == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'latitude'");
	if (lon == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'longitude'");
	snprintf(kpath, sizeof(kpath), "%s.latitude", path);
	if ((rc = conf_degrees_read(l, lat, kpath, -90, 90, lat_out)) != 0)
		return rc;
	snprintf(kpath, sizeof(kpath), "%s.longitude", path);
	return conf_degrees_read(l, lon, kpath, -180, 180, lon_out);
}

/* A name of a datacenter, region or pool: 1..NAME_MAX_LEN of [A-Za-z0-9_.-]. */
int conf_ident_read(struct loader *l, const struct ytree_node *n, const char *path,
		    const char *what)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789_.-";
	int rc;

	if ((rc = ytree_read_string(&l->r, n, path, what)) != 0)
		return rc;
	if (n->scalar[strspn(n->scalar, ok)] != '\0' || strlen(n->scalar) > NAME_MAX_LEN)
		return ytree_error_path(&l->r, n, path,
					"'%s' is not a valid name (1..%d of A-Z a-z 0-9 _ . -)",
					n->scalar, NAME_MAX_LEN);
	return 0;
}

/* One of the NULL-terminated words; *out gets its index. expect lists them
 * for the message. */
int conf_keyword_read(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *const *words, const char *expect, unsigned *out)
{
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected %s, got %s", expect,
					ytree_node_describe(n));
	for (unsigned i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], n->scalar) == 0) {
			*out = i;
			return 0;
		}
	}
	return ytree_error_path(&l->r, n, path, "'%s' is not one of %s", n->scalar, expect);
}

/* A list of (possibly) absent sections reads as empty: "key:" or "key: []". */
int conf_section_list(struct loader *l, const struct ytree_node *n, const char *path,
		      const char *what)
{
	if (ytree_node_is_null(n) || n->kind == YTREE_SEQ)
		return 0;
	return ytree_error_path(&l->r, n, path, "expected a list of %s, got %s", what,
				ytree_node_describe(n));
}

int conf_entries_read(struct loader *l, const struct ytree_node *n, size_t *count,
		      conf_entry_read_fn *read)
{
	int rc;

	for (size_t i = 0; i < n->count; i++) {
		*count = i + 1;
		if ((rc = read(l, n->items[i], i)) != 0)
			return rc;
	}
	return 0;
}

/* A boolean at path. */
int conf_bool_read(struct loader *l, const struct ytree_node *n, const char *path, bool *out)
{
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, path, "expected true or false, got %s",
					ytree_node_describe(n));
	if (n->quoted || ytree_parse_bool(n->scalar, out) != 0)
		return ytree_error_path(&l->r, n, path, "expected true or false, got %s'%s'",
					n->quoted ? "the quoted string " : "", n->scalar);
	return 0;
}

/* Is s 1..max bytes, each in ok (or, when ok is NULL, printable ASCII but
 * not a space)? */
bool conf_text_is_valid(const char *s, const char *ok, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	if (ok != NULL)
		return s[strspn(s, ok)] == '\0';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e)
			return false;
	}
	return true;
}

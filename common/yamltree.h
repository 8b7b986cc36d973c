/* A YAML document read with libyaml into a small tree that remembers where
 * every node stands in the file, so that config loaders can report
 * "file:line:col: message" for any value. Read-only after loading; one
 * thread at a time. Anchors and aliases are rejected; tags are ignored. */
#ifndef GSLBD_COMMON_YAMLTREE_H
#define GSLBD_COMMON_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum ytree_kind {
	YTREE_SCALAR,
	YTREE_MAP,
	YTREE_SEQ,
};

struct ytree_node {
	enum ytree_kind kind;       /* scalar, mapping or sequence */
	unsigned line;              /* 1-based line of the node's start */
	unsigned col;               /* 1-based column of the node's start */
	const char *scalar;         /* YTREE_SCALAR: NUL-terminated value */
	bool quoted;                /* YTREE_SCALAR: written quoted (so never null/bool) */
	size_t count;               /* YTREE_MAP: pairs; YTREE_SEQ: items */
	struct ytree_node **keys;   /* YTREE_MAP: key nodes (scalars), count of them */
	struct ytree_node **items;  /* YTREE_MAP: values; YTREE_SEQ: items */
};

struct ytree;

/* Parse path. Returns 0 with *out (caller frees with ytree_free()), or a
 * negative GSLB_E* with err "path:line:col: message". An empty file gives an
 * empty mapping as root. Duplicate keys in a mapping are an error. */
int ytree_load_file(const char *path, struct ytree **out, struct gslb_err *err);
/* Same from a buffer; name is used in messages in place of a path. */
int ytree_load_string(const char *name, const char *text, size_t len, struct ytree **out,
		      struct gslb_err *err);
void ytree_free(struct ytree *t);

const struct ytree_node *ytree_root(const struct ytree *t);
/* The file name the tree was read from (for messages). */
const char *ytree_name(const struct ytree *t);
/* Value under key in a mapping, or NULL. */
const struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key);

/* Set err to "name:line:col: <fmt>" for node n; returns GSLB_EPARSE. */
int ytree_error(const struct ytree *t, const struct ytree_node *n, struct gslb_err *err,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Typed reads for config loaders. A loader keeps one ytree_reader for the
 * file it reads; every error below is "name:line:col: path: message" for the
 * node read, path being the dotted key ("probe.id", "servers[2]") the
 * messages name, and comes back as GSLB_EPARSE. */
struct ytree_reader {
	const struct ytree *tree; /* the document read (its name goes into messages) */
	const char *base_dir;     /* relative file names resolve here, or NULL */
	struct gslb_err *err;     /* where the error goes */
};

/* Set r->err to "name:line:col: path: <fmt>" for node n (or "name: path:
 * <fmt>" when n is NULL); returns GSLB_EPARSE. */
int ytree_error_path(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Is n a plain scalar read as null: empty, "~" or "null" in any case? */
bool ytree_node_is_null(const struct ytree_node *n);
/* What n is, for "expected X, got Y" messages: "a mapping", "a list",
 * "no value", "a quoted string" or "a scalar". Static storage. */
const char *ytree_node_describe(const struct ytree_node *n);

/* Check that n is a non-empty string scalar; what names the value in
 * messages ("a file name"). Returns 0 or GSLB_EPARSE. */
int ytree_read_string(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		      const char *what);
/* An unquoted unsigned decimal integer in min..max into *out (untouched on
 * error). Returns 0 or GSLB_EPARSE. */
int ytree_read_uint(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		    unsigned long long min, unsigned long long max, unsigned *out);
/* A duration (see ytree_parse_duration()) in min..max milliseconds into
 * *out (untouched on error). Returns 0 or GSLB_EPARSE. */
int ytree_read_duration(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
			unsigned long long min, unsigned long long max, unsigned *out);
/* The file named by string node n, resolved against r->base_dir, into *out
 * (what *out held is freed first; the caller owns and frees it, also on
 * errors). The file must be readable now. Returns 0 or GSLB_EPARSE. */
int ytree_read_file(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		    char **out);
/* The first line of the file named by string node n (relative names resolve
 * against r->base_dir), without its line ending and surrounding blanks, into
 * *line, and the resolved name into *file. The caller owns and frees both,
 * also on errors (either may be NULL then); a secret in *line is the
 * caller's to wipe. A file that cannot be read, is empty, or whose first
 * line is blank or longer than max bytes is an error. Returns 0 or
 * GSLB_EPARSE. */
int ytree_read_first_line(const struct ytree_reader *r, const struct ytree_node *n,
			  const char *path, size_t max, char **line, char **file);

/* Leading decimal digits of s into *v, and *end just after them. Returns
 * false when there are none; *overflow tells a value past ULLONG_MAX. */
bool ytree_scan_digits(const char *s, unsigned long long *v, const char **end, bool *overflow);
/* Parse true/yes/on or false/no/off, in any case. Returns 0 or GSLB_EINVAL
 * (*out untouched then). */
int ytree_parse_bool(const char *s, bool *out);
/* Parse a duration, "500ms", "10s", "2m", "1h", "1d" or bare seconds, into
 * *ms and check it against min..max (ms). Returns 0, or GSLB_EPARSE with
 * the reason written to why ("'x' is not a duration (...)" or "x is out of
 * range (1s..1h)"). */
int ytree_parse_duration(const char *s, unsigned long long min, unsigned long long max,
			 unsigned long long *ms, char *why, size_t why_len);
/* Write ms in the largest unit that divides it: "0", "2d", "1h", "5m",
 * "10s" or "250ms". */
void ytree_format_duration(unsigned long long ms, char *buf, size_t len);

/* dir + "/" + file for a relative file and a non-empty dir (NULL allowed);
 * else a copy of file. Caller frees. */
char *ytree_path_resolve(const char *dir, const char *file);
/* The folder of path ("/" for a file at the root), or NULL when path has
 * no slash. Caller frees. */
char *ytree_path_dir(const char *path);

#endif

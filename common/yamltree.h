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

#endif

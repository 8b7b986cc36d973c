#include <config.h>

#include "common/yamltree.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/err.h"
#include "common/xalloc.h"

/* Deepest nesting accepted; keeps the recursive builder's stack bounded
 * whatever the input. Real configs are a handful of levels deep. */
#define YTREE_MAX_DEPTH 64

/* Largest file ytree_load_file() reads. */
#define YTREE_MAX_FILE (16u * 1024 * 1024)

struct ytree {
	char *name;              /* file name for messages */
	struct ytree_node *root; /* the document's root node */
};

/* State of one parse. */
struct builder {
	yaml_parser_t parser; /* libyaml event parser over text */
	const char *name;     /* file name for messages */
	const char *text;     /* the whole input (to place reader errors) */
	size_t len;           /* bytes at text */
	struct gslb_err *err; /* where the first error goes */
};

static void node_free(struct ytree_node *n)
{
	if (n == NULL)
		return;
	free((char *)n->scalar);
	for (size_t i = 0; i < n->count; i++) {
		if (n->keys != NULL)
			node_free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n);
}

static struct ytree_node *node_new(enum ytree_kind kind, yaml_mark_t mark)
{
	struct ytree_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (unsigned)mark.line + 1;
	n->col = (unsigned)mark.column + 1;
	return n;
}

static int error_at(struct builder *b, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int error_at(struct builder *b, yaml_mark_t mark, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gslb_err_set(b->err, "%s:%u:%u: %s", b->name, (unsigned)mark.line + 1,
			    (unsigned)mark.column + 1, msg);
}

/* Turn libyaml's error state into "name:line:col: problem (context)". */
static int parser_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	yaml_mark_t mark = p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return gslb_err_setc(b->err, GSLB_EIO, "%s: out of memory reading YAML", b->name);
	case YAML_READER_ERROR:
		/* Only a byte offset is known: count lines up to it. */
		memset(&mark, 0, sizeof(mark));
		for (size_t i = 0; i < p->problem_offset && i < b->len; i++) {
			if (b->text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else {
				mark.column++;
			}
		}
		return error_at(b, mark, "%s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context != NULL)
			return error_at(b, mark, "%s (%s at line %u column %u)", problem,
					p->context, (unsigned)p->context_mark.line + 1,
					(unsigned)p->context_mark.column + 1);
		return error_at(b, mark, "%s", problem);
	default:
		return error_at(b, mark, "%s", problem);
	}
}

/* Fetch the next event; on failure, err is set and ev needs no delete. */
static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return parser_error(b);
	return 0;
}

static const char *anchor_of(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

static void append(struct ytree_node *n, struct ytree_node *key, struct ytree_node *item)
{
	if (n->kind == YTREE_MAP) {
		n->keys = xreallocarray(n->keys, n->count + 1, sizeof(*n->keys));
		n->keys[n->count] = key;
	}
	n->items = xreallocarray(n->items, n->count + 1, sizeof(*n->items));
	n->items[n->count] = item;
	n->count++;
}

static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth, struct ytree_node **out);

/* Build the items of a sequence or the pairs of a mapping whose start event
 * was already consumed, up to and including its end event. */
static int build_children(struct builder *b, struct ytree_node *n, unsigned depth)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		struct ytree_node *key = NULL, *val = NULL;

		if ((rc = next_event(b, &ev)) != 0)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->kind == YTREE_MAP) {
			if (ev.type == YAML_SEQUENCE_START_EVENT ||
			    ev.type == YAML_MAPPING_START_EVENT) {
				rc = error_at(b, ev.start_mark, "mapping keys must be scalars");
				yaml_event_delete(&ev);
				return rc;
			}
			if ((rc = build_node(b, &ev, depth + 1, &key)) != 0)
				return rc;
			if (ytree_map_get(n, key->scalar) != NULL) {
				const struct ytree_node *first = NULL;

				for (size_t i = 0; i < n->count; i++) {
					if (strcmp(n->keys[i]->scalar, key->scalar) == 0)
						first = n->keys[i];
				}
				rc = gslb_err_set(
				    b->err, "%s:%u:%u: duplicate key '%s' (first at line %u)",
				    b->name, key->line, key->col, key->scalar, first->line);
				node_free(key);
				return rc;
			}
			if ((rc = next_event(b, &ev)) != 0) {
				node_free(key);
				return rc;
			}
		}
		if ((rc = build_node(b, &ev, depth + 1, &val)) != 0) {
			node_free(key);
			return rc;
		}
		append(n, key, val);
	}
}

/* Build the node that starts with *ev (taken over: deleted here). */
static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth, struct ytree_node **out)
{
	struct ytree_node *n = NULL;
	const char *anchor = anchor_of(ev);
	int rc;

	if (ev->type == YAML_ALIAS_EVENT) {
		rc = error_at(b, ev->start_mark, "aliases (*%s) are not supported",
			      (const char *)ev->data.alias.anchor);
		goto fail;
	}
	if (anchor != NULL) {
		rc = error_at(b, ev->start_mark, "anchors (&%s) are not supported", anchor);
		goto fail;
	}
	if (depth > YTREE_MAX_DEPTH) {
		rc = error_at(b, ev->start_mark, "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		goto fail;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL) {
			rc = error_at(b, ev->start_mark, "NUL character in a scalar");
			goto fail;
		}
		n = node_new(YTREE_SCALAR, ev->start_mark);
		n->scalar = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		*out = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ? YTREE_MAP : YTREE_SEQ,
			     ev->start_mark);
		yaml_event_delete(ev);
		if ((rc = build_children(b, n, depth)) != 0) {
			node_free(n);
			return rc;
		}
		*out = n;
		return 0;
	default:
		rc = error_at(b, ev->start_mark, "unexpected YAML event %d", (int)ev->type);
		goto fail;
	}
fail:
	yaml_event_delete(ev);
	return rc;
}

/* Is n a plain scalar the YAML core schema reads as null? (Stricter about
 * case than ytree_node_is_null(), which the loaders use for values.) */
static bool is_core_null(const struct ytree_node *n)
{
	return n->kind == YTREE_SCALAR && !n->quoted &&
	       (n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
		strcmp(n->scalar, "null") == 0 || strcmp(n->scalar, "Null") == 0 ||
		strcmp(n->scalar, "NULL") == 0);
}

/* Walk the event stream: one document at most, its root node built. */
static int build_stream(struct builder *b, struct ytree_node **root)
{
	yaml_event_t ev;
	yaml_mark_t start = {0, 0, 0};
	int rc;

	*root = NULL;
	if ((rc = next_event(b, &ev)) != 0)
		return rc;
	yaml_event_delete(&ev); /* STREAM-START */
	if ((rc = next_event(b, &ev)) != 0)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		*root = node_new(YTREE_MAP, start);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((rc = next_event(b, &ev)) != 0)
		return rc;
	if ((rc = build_node(b, &ev, 0, root)) != 0)
		return rc;
	if (is_core_null(*root)) {
		/* "---" alone: an empty document, read as an empty mapping. */
		(*root)->kind = YTREE_MAP;
		free((char *)(*root)->scalar);
		(*root)->scalar = NULL;
	}
	if ((rc = next_event(b, &ev)) != 0)
		goto fail;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if ((rc = next_event(b, &ev)) != 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		rc = error_at(b, ev.start_mark, "only one YAML document is allowed");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	return 0;
fail:
	node_free(*root);
	*root = NULL;
	return rc;
}

int ytree_load_string(const char *name, const char *text, size_t len, struct ytree **out,
		      struct gslb_err *err)
{
	struct builder b = {.name = name, .text = text, .len = len, .err = err};
	struct ytree_node *root = NULL;
	struct ytree *t;
	int rc;

	if (!yaml_parser_initialize(&b.parser))
		return gslb_err_setc(err, GSLB_EIO, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	rc = build_stream(&b, &root);
	yaml_parser_delete(&b.parser);
	if (rc != 0)
		return rc;
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->root = root;
	*out = t;
	return 0;
}

int ytree_load_file(const char *path, struct ytree **out, struct gslb_err *err)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (f == NULL)
		return gslb_err_setc(err, errno == ENOENT ? GSLB_ENOENT : GSLB_EIO, "%s: %s", path,
				     strerror(errno));
	for (;;) {
		size_t n;

		if (len == cap) {
			if (cap >= YTREE_MAX_FILE) {
				rc =
				    gslb_err_setc(err, GSLB_EINVAL, "%s: file larger than %u bytes",
						  path, YTREE_MAX_FILE);
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			text = xreallocarray(text, cap, 1);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = gslb_err_setc(err, GSLB_EIO, "%s: read error", path);
		goto fail;
	}
	rc = ytree_load_string(path, text, len, out, err);
fail:
	fclose(f);
	free(text);
	return rc;
}

void ytree_free(struct ytree *t)
{
	if (t == NULL)
		return;
	node_free(t->root);
	free(t->name);
	free(t);
}

const struct ytree_node *ytree_root(const struct ytree *t)
{
	return t->root;
}

const char *ytree_name(const struct ytree *t)
{
	return t->name;
}

const struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key)
{
	if (map == NULL || map->kind != YTREE_MAP)
		return NULL;
	for (size_t i = 0; i < map->count; i++) {
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	}
	return NULL;
}

/* Set err to "name:line:col: [path: ]message" for node n, or "name: ..."
 * when n is NULL; path may be NULL. Returns GSLB_EPARSE. */
static int error_va(const struct ytree *t, const struct ytree_node *n, struct gslb_err *err,
		    const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static int error_va(const struct ytree *t, const struct ytree_node *n, struct gslb_err *err,
		    const char *path, const char *fmt, va_list ap)
{
	char msg[768] = "";
	int used = 0;

	if (path != NULL)
		used = snprintf(msg, sizeof(msg), "%s: ", path);
	if (used < 0 || (size_t)used >= sizeof(msg))
		used = (int)strlen(msg);
	vsnprintf(msg + used, sizeof(msg) - (size_t)used, fmt, ap);
	if (n == NULL)
		return gslb_err_set(err, "%s: %s", t->name, msg);
	return gslb_err_set(err, "%s:%u:%u: %s", t->name, n->line, n->col, msg);
}

int ytree_error(const struct ytree *t, const struct ytree_node *n, struct gslb_err *err,
		const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = error_va(t, n, err, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int ytree_error_path(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = error_va(r->tree, n, r->err, path, fmt, ap);
	va_end(ap);
	return rc;
}

bool ytree_node_is_null(const struct ytree_node *n)
{
	return n->kind == YTREE_SCALAR && !n->quoted &&
	       (n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
		strcasecmp(n->scalar, "null") == 0);
}

const char *ytree_node_describe(const struct ytree_node *n)
{
	if (n->kind == YTREE_MAP)
		return "a mapping";
	if (n->kind == YTREE_SEQ)
		return "a list";
	if (ytree_node_is_null(n))
		return "no value";
	return n->quoted ? "a quoted string" : "a scalar";
}

int ytree_read_string(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		      const char *what)
{
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(r, n, path, "expected %s, got %s", what,
					ytree_node_describe(n));
	if (n->scalar[0] == '\0')
		return ytree_error_path(r, n, path, "%s must not be empty", what);
	return 0;
}

int ytree_read_uint(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		    unsigned long long min, unsigned long long max, unsigned *out)
{
	unsigned long long v;
	const char *end;
	bool overflow;

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(r, n, path, "expected an unsigned integer, got %s",
					ytree_node_describe(n));
	if (n->quoted)
		return ytree_error_path(r, n, path,
					"expected an unsigned integer, got a quoted string");
	if (!ytree_scan_digits(n->scalar, &v, &end, &overflow) || *end != '\0')
		return ytree_error_path(r, n, path, "expected an unsigned integer, got '%s'",
					n->scalar);
	if (overflow || v < min || v > max)
		return ytree_error_path(r, n, path, "%s is out of range (%llu..%llu)", n->scalar,
					min, max);
	*out = (unsigned)v;
	return 0;
}

int ytree_read_duration(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
			unsigned long long min, unsigned long long max, unsigned *out)
{
	unsigned long long v;
	char why[512];

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(r, n, path, "expected a duration, got %s",
					ytree_node_describe(n));
	if (ytree_parse_duration(n->scalar, min, max, &v, why, sizeof(why)) != 0)
		return ytree_error_path(r, n, path, "%s", why);
	*out = (unsigned)v;
	return 0;
}

int ytree_read_file(const struct ytree_reader *r, const struct ytree_node *n, const char *path,
		    char **out)
{
	FILE *f;
	int rc;

	if ((rc = ytree_read_string(r, n, path, "a file name")) != 0)
		return rc;
	free(*out);
	*out = ytree_path_resolve(r->base_dir, n->scalar);
	f = fopen(*out, "r");
	if (f == NULL)
		return ytree_error_path(r, n, path, "cannot read '%s': %s", *out, strerror(errno));
	fclose(f);
	return 0;
}

int ytree_read_first_line(const struct ytree_reader *r, const struct ytree_node *n,
			  const char *path, size_t max, char **line, char **file)
{
	char *buf, *start, *end;
	FILE *f;
	int rc;

	*line = NULL;
	*file = NULL;
	if ((rc = ytree_read_string(r, n, path, "a file name")) != 0)
		return rc;
	*file = ytree_path_resolve(r->base_dir, n->scalar);
	f = fopen(*file, "r");
	if (f == NULL)
		return ytree_error_path(r, n, path, "cannot read '%s': %s", *file, strerror(errno));
	/* Room for max bytes, "\r\n" and the NUL. */
	buf = xmalloc(max + 3);
	if (fgets(buf, (int)(max + 3), f) == NULL) {
		if (ferror(f))
			rc = ytree_error_path(r, n, path, "cannot read '%s': read error", *file);
		else
			rc = ytree_error_path(r, n, path, "'%s' is empty", *file);
		fclose(f);
		goto out;
	}
	fclose(f);
	if (strchr(buf, '\n') == NULL && strlen(buf) > max) {
		rc = ytree_error_path(r, n, path, "the first line of '%s' is longer than %zu bytes",
				      *file, max);
		goto out;
	}
	start = buf + strspn(buf, " \t\r\n");
	end = start + strlen(start);
	while (end > start && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	*end = '\0';
	if (*start == '\0') {
		rc = ytree_error_path(r, n, path, "the first line of '%s' is empty", *file);
		goto out;
	}
	*line = xstrdup(start);
out:
	/* The line may be a secret: leave no copy behind in freed memory. */
	explicit_bzero(buf, max + 3);
	free(buf);
	return rc;
}

bool ytree_scan_digits(const char *s, unsigned long long *v, const char **end, bool *overflow)
{
	const char *p = s;

	*v = 0;
	*overflow = false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (*v > (ULLONG_MAX - d) / 10)
			*overflow = true;
		else
			*v = *v * 10 + d;
	}
	*end = p;
	return p != s;
}

int ytree_parse_bool(const char *s, bool *out)
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

/* Milliseconds in a day (the "d" duration unit). */
#define DAY_MS 86400000ULL

void ytree_format_duration(unsigned long long ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % DAY_MS == 0)
		snprintf(buf, len, "%llud", ms / DAY_MS);
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%llum", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", ms / 1000);
	else
		snprintf(buf, len, "%llums", ms);
}

/* Leading digits of s, then a unit, into *ms. Returns 0, GSLB_EINVAL for
 * bad syntax or GSLB_ERANGE past ULLONG_MAX. */
static int duration_parse(const char *s, unsigned long long *ms)
{
	unsigned long long v, mult;
	const char *unit;
	bool overflow;

	if (!ytree_scan_digits(s, &v, &unit, &overflow))
		return GSLB_EINVAL;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "s") == 0 || *unit == '\0')
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60000;
	else if (strcmp(unit, "h") == 0)
		mult = 3600000;
	else if (strcmp(unit, "d") == 0)
		mult = DAY_MS;
	else
		return GSLB_EINVAL;
	if (overflow || v > ULLONG_MAX / mult)
		return GSLB_ERANGE;
	*ms = v * mult;
	return 0;
}

int ytree_parse_duration(const char *s, unsigned long long min, unsigned long long max,
			 unsigned long long *ms, char *why, size_t why_len)
{
	char lo[32], hi[32];
	int rc = duration_parse(s, ms);

	if (rc == GSLB_EINVAL) {
		snprintf(why, why_len,
			 "'%s' is not a duration (like 500ms, 10s, 2m, 1h, or seconds)", s);
		return GSLB_EPARSE;
	}
	if (rc != 0 || *ms < min || *ms > max) {
		ytree_format_duration(min, lo, sizeof(lo));
		ytree_format_duration(max, hi, sizeof(hi));
		snprintf(why, why_len, "%s is out of range (%s..%s)", s, lo, hi);
		return GSLB_EPARSE;
	}
	return 0;
}

char *ytree_path_resolve(const char *dir, const char *file)
{
	if (file[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(file);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", file);
	return xasprintf("%s/%s", dir, file);
}

char *ytree_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

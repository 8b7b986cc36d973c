#include <config.h>

#include "gslbd/control/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/xalloc.h"

#define ADMIN_FILE_VERSION 1

struct admin_entry {
	char *dc;              /* datacenter name */
	enum admin_state state; /* override */
	uint64_t since_ms;     /* wall-clock time it was set */
};

struct admin_table {
	struct admin_entry *e; /* entries, any order */
	size_t count;          /* entries in use */
};

static const char *const state_names[] = { "none", "drain", "force-up" };

const char *admin_state_name(enum admin_state st)
{
	return state_names[st];
}

int admin_action_parse(const char *action, enum admin_state *out)
{
	if (strcmp(action, "drain") == 0)
		*out = ADMIN_DRAIN;
	else if (strcmp(action, "undrain") == 0)
		*out = ADMIN_NONE;
	else if (strcmp(action, "force-up") == 0)
		*out = ADMIN_FORCE_UP;
	else
		return GSLB_EINVAL;
	return 0;
}

struct admin_table *admin_table_new(void)
{
	return xcalloc(1, sizeof(struct admin_table));
}

void admin_table_free(struct admin_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->count; i++)
		free(t->e[i].dc);
	free(t->e);
	free(t);
}

static struct admin_entry *find(const struct admin_table *t, const char *dc)
{
	for (size_t i = 0; i < t->count; i++) {
		if (strcmp(t->e[i].dc, dc) == 0)
			return &t->e[i];
	}
	return NULL;
}

enum admin_state admin_table_get(const struct admin_table *t, const char *dc, uint64_t *since_ms)
{
	const struct admin_entry *e = find(t, dc);

	if (since_ms != NULL)
		*since_ms = e != NULL ? e->since_ms : 0;
	return e != NULL ? e->state : ADMIN_NONE;
}

bool admin_table_set(struct admin_table *t, const char *dc, enum admin_state st, uint64_t now_ms)
{
	struct admin_entry *e = find(t, dc);

	if (e != NULL && e->state == st)
		return false;
	if (st == ADMIN_NONE) {
		if (e == NULL)
			return false;
		free(e->dc);
		*e = t->e[--t->count];
		return true;
	}
	if (e == NULL) {
		t->e = xreallocarray(t->e, t->count + 1, sizeof(*t->e));
		e = &t->e[t->count++];
		e->dc = xstrdup(dc);
	}
	e->state = st;
	e->since_ms = now_ms;
	return true;
}

int admin_table_load(const char *path, struct admin_table **out, struct gslb_err *err)
{
	struct admin_table *t;
	json_error_t jerr;
	json_t *root, *dcs, *v;
	const char *name;

	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		if (access(path, F_OK) != 0 && errno == ENOENT) {
			*out = admin_table_new();
			return 0;
		}
		return gslb_err_setc(err, GSLB_EPARSE, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				     jerr.text);
	}
	dcs = json_object_get(root, "datacenters");
	if (!json_is_object(root) || !json_is_object(dcs) ||
	    json_integer_value(json_object_get(root, "version")) != ADMIN_FILE_VERSION) {
		json_decref(root);
		return gslb_err_setc(err, GSLB_EPARSE,
				     "%s: not a gslbd state file (want {\"version\": %d, \"datacenters\": {...}})",
				     path, ADMIN_FILE_VERSION);
	}
	t = admin_table_new();
	json_object_foreach(dcs, name, v) {
		enum admin_state st;
		const char *s = json_string_value(json_object_get(v, "admin"));

		if (s == NULL || (admin_action_parse(s, &st) != 0) || st == ADMIN_NONE) {
			admin_table_free(t);
			json_decref(root);
			return gslb_err_setc(err, GSLB_EPARSE,
					     "%s: datacenter '%s': admin must be \"drain\" or \"force-up\"",
					     path, name);
		}
		admin_table_set(t, name, st,
				(uint64_t)json_integer_value(json_object_get(v, "since_ms")));
	}
	json_decref(root);
	*out = t;
	return 0;
}

/* mkdir -p of the folder holding path. */
static void make_parent(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = dirname(copy);

	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	}
	mkdir(dir, 0755);
	free(copy);
}

int admin_table_check_writable(const char *path, struct gslb_err *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd, e, rc = 0;

	make_parent(path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		rc = gslb_err_setc(err, -e, "%s: cannot write a file there: %s", path, strerror(e));
	} else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int admin_table_quarantine(const char *path, char **moved_to, struct gslb_err *err)
{
	char *to = xasprintf("%s.corrupt-%lld", path, (long long)time(NULL));
	int e;

	if (rename(path, to) != 0) {
		e = errno;
		free(to);
		return gslb_err_setc(err, -e, "%s: cannot move aside: %s", path, strerror(e));
	}
	*moved_to = to;
	return 0;
}

int admin_table_save(const struct admin_table *t, const char *path, struct gslb_err *err)
{
	json_t *root = json_object(), *dcs = json_object();
	char *tmp = xasprintf("%s.tmp", path);
	char *text;
	int fd, e, rc = 0;
	size_t len;

	for (size_t i = 0; i < t->count; i++) {
		json_object_set_new(dcs, t->e[i].dc,
				    json_pack("{s:s, s:I}", "admin", admin_state_name(t->e[i].state),
					      "since_ms", (json_int_t)t->e[i].since_ms));
	}
	json_object_set_new(root, "version", json_integer(ADMIN_FILE_VERSION));
	json_object_set_new(root, "datacenters", dcs);
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	len = strlen(text);
	make_parent(path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		e = errno;
		rc = gslb_err_setc(err, -e, "%s: cannot write: %s", tmp, strerror(e));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		rc = gslb_err_setc(err, -e, "%s: cannot replace: %s", path, strerror(e));
		unlink(tmp);
	}
out:
	free(text);
	free(tmp);
	return rc;
}

/* gslbd.conf "probes": probe agents allowed to report, and their secrets. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Probe secrets, in bytes. */
#define SECRET_MIN_LEN 16
#define SECRET_MAX_LEN 1024

/* Is the secret at s, len bytes, free of control characters (so that a
 * probe reading it from the first line of a file gets the same bytes)? */
static bool secret_is_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* The secret or secret_file at path: exactly one of the two nodes is
 * given. */
static int secret_read(struct loader *l, const struct ytree_node *secret,
		       const struct ytree_node *file, const char *path, uint8_t **out,
		       size_t *out_len)
{
	char kpath[96], *line = NULL, *name = NULL, where[640] = "";
	const char *text;
	size_t len;
	int rc = 0;

	if (file != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.secret_file", path);
		if ((rc = ytree_read_first_line(&l->r, file, kpath, SECRET_MAX_LEN, &line,
						&name)) != 0)
			goto out;
		snprintf(where, sizeof(where), " in '%s'", name);
		text = line;
	} else {
		snprintf(kpath, sizeof(kpath), "%s.secret", path);
		if (secret->kind != YTREE_SCALAR || ytree_node_is_null(secret)) {
			rc = ytree_error_path(&l->r, secret, kpath, "expected a string, got %s",
					      ytree_node_describe(secret));
			goto out;
		}
		text = secret->scalar;
	}
	len = strlen(text);
	if (len < SECRET_MIN_LEN || len > SECRET_MAX_LEN) {
		rc = ytree_error_path(&l->r, file != NULL ? file : secret, kpath,
				      "the secret%s is %zu bytes; it must be %d..%d", where, len,
				      SECRET_MIN_LEN, SECRET_MAX_LEN);
		goto out;
	}
	if (!secret_is_text(text, len)) {
		rc = ytree_error_path(&l->r, file != NULL ? file : secret, kpath,
				      "the secret%s must not hold control characters", where);
		goto out;
	}
	*out = xmalloc(len + 1);
	memcpy(*out, text, len + 1);
	*out_len = len;
out:
	if (line != NULL)
		conf_wipe(line, strlen(line));
	free(line);
	free(name);
	return rc;
}

static int probe_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum { K_ID, K_REGION, K_LAT, K_LON, K_SECRET, K_SECRET_FILE, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {
	    "id", "region", "latitude", "longitude", "secret", "secret_file", NULL};
	struct config *cfg = l->cfg;
	struct config_probe *p = &cfg->probes[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96];
	int rc;

	if ((rc = conf_entry_open(l, n, "probes", index,
				  "id, region, latitude, longitude and secret", keys, v, path,
				  sizeof(path), &p->line, &p->col)) != 0)
		return rc;
	if ((rc = conf_entry_id_read(l, n, v[K_ID], path, "id", "probe", "a probe id", cfg->probes,
				     sizeof(*cfg->probes), offsetof(struct config_probe, id),
				     offsetof(struct config_probe, line), index, &p->id)) != 0)
		return rc;
	if (v[K_REGION] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'region'");
	snprintf(kpath, sizeof(kpath), "%s.region", path);
	if ((rc = conf_ident_read(l, v[K_REGION], kpath, "a region name")) != 0)
		return rc;
	p->region = xstrdup(v[K_REGION]->scalar);
	if ((rc = conf_position_read(l, n, path, v[K_LAT], v[K_LON], &p->lat, &p->lon)) != 0)
		return rc;
	return conf_secret_pair_read(l, n, path, v[K_SECRET], v[K_SECRET_FILE], true, &p->secret,
				     &p->secret_len);
}

int conf_secret_pair_read(struct loader *l, const struct ytree_node *n, const char *path,
			  const struct ytree_node *secret, const struct ytree_node *file,
			  bool required, uint8_t **out, size_t *out_len)
{
	char kpath[96];

	if (secret != NULL && file != NULL) {
		/* Point at the one written second. */
		bool file_later = file->line > secret->line ||
				  (file->line == secret->line && file->col > secret->col);
		const struct ytree_node *first = file_later ? secret : file;

		snprintf(kpath, sizeof(kpath), "%s.%s", path,
			 file_later ? "secret_file" : "secret");
		return ytree_error_path(&l->r, file_later ? file : secret, kpath,
					"%s is set already (line %u); give one of them",
					file_later ? "secret" : "secret_file", first->line);
	}
	if (secret == NULL && file == NULL)
		return required ? ytree_error_path(&l->r, n, path,
						   "missing required key 'secret' (or 'secret_file')")
				: 0;
	return secret_read(l, secret, file, path, out, out_len);
}

int conf_probes_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "probes", "probes")) != 0 || ytree_node_is_null(n))
		return rc;
	cfg->probes = xcalloc(n->count, sizeof(*cfg->probes));
	return conf_entries_read(l, n, &cfg->probe_count, probe_read);
}

/* gslbd.conf "api": api.listen and the admin token, given in the file
 * (api.admin_token) or read from the first line of another
 * (api.admin_token_file), never both. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Default port of api.listen. */
#define API_PORT 8053
/* Longest admin token, in bytes. */
#define TOKEN_MAX_LEN 1023

int conf_api_listen_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	(void)key;
	return conf_listen_read(l, n, "api.listen", API_PORT, true, &l->cfg->api_listen,
				&l->cfg->api_listen_count, NULL, NULL);
}

/* Read the admin token from the first line of the file named by n
 * (api.admin_token_file), without surrounding blanks. */
static int token_file_read(struct loader *l, const struct ytree_node *n)
{
	static const char path[] = "api.admin_token_file";
	char *line, *file;
	int rc;

	rc = ytree_read_first_line(&l->r, n, path, TOKEN_MAX_LEN, &line, &file);
	if (rc == 0 && !conf_text_is_valid(line, NULL, TOKEN_MAX_LEN))
		rc = ytree_error_path(&l->r, n, path,
				      "the token in '%s' must be printable ASCII without spaces",
				      file);
	if (rc == 0) {
		l->cfg->api_admin_token = line;
		line = NULL;
	}
	free(line);
	free(file);
	return rc;
}

/* api.admin_token or api.admin_token_file, whose key is key. */
int conf_api_token_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	if (l->token_key != NULL)
		return ytree_error(l->r.tree, key, l->r.err,
				   "api.%s: api.%s is set already (line %u); give one of them",
				   key->scalar, l->token_key->scalar, l->token_key->line);
	l->token_key = key;
	if (strcmp(key->scalar, "admin_token_file") == 0)
		return token_file_read(l, n);
	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, "api.admin_token", "expected a string, got %s",
					ytree_node_describe(n));
	if (!conf_text_is_valid(n->scalar, NULL, TOKEN_MAX_LEN))
		return ytree_error_path(
		    &l->r, n, "api.admin_token",
		    "the token must be 1..%d printable ASCII characters without "
		    "spaces",
		    TOKEN_MAX_LEN);
	l->cfg->api_admin_token = xstrdup(n->scalar);
	return 0;
}

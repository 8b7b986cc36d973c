/* gslbd.conf "api": api.listen and the admin token, given in the file
 * (api.admin_token) or read from the first line of another
 * (api.admin_token_file), never both. An api.listen item is an address
 * (every role, plain HTTP) or a mapping {address, roles, tls}. */
#include <config.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* Default port of api.listen. */
#define API_PORT 8053
/* Longest admin token, in bytes. */
#define TOKEN_MAX_LEN 1023
/* Shortest admin token on an API reachable beyond the host (as tenants'). */
#define TOKEN_MIN_LEN_PUBLIC 16

/* The names of the roles, in the order of their bits (enum api_role). */
static const char *const role_names[] = {"probe", "admin", "tenant", "status", "metrics", NULL};
#define ROLE_EXPECT "probe, admin, tenant, status or metrics"

void config_api_roles_format(unsigned roles, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; role_names[i] != NULL && used < len; i++) {
		int w;

		if (!(roles & (1u << i)))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used > 0 ? "," : "", role_names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* api.listen[i].roles: one role or a list of them, at least one, each once. */
static int roles_read(struct loader *l, const struct ytree_node *n, const char *path, unsigned *out)
{
	struct ytree_node *const *items;
	size_t count;
	int rc;

	if ((rc = conf_list_items(l, n, path, "roles (" ROLE_EXPECT ")", &items, &count)) != 0)
		return rc;
	if (count == 0)
		return ytree_error_path(&l->r, n, path,
					"at least one role is required (" ROLE_EXPECT ")");
	*out = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[96];
		unsigned k;

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if ((rc = conf_keyword_read(l, it, ipath, role_names, ROLE_EXPECT, &k)) != 0)
			return rc;
		if (*out & (1u << k))
			return ytree_error_path(&l->r, it, ipath, "role '%s' is listed twice",
						it->scalar);
		*out |= 1u << k;
	}
	return 0;
}

/* api.listen[i].tls: {certificate, key, client_ca}; certificate and key
 * are required. The files are read (and their PEM checked) by the API when
 * it starts and on each SIGHUP. */
static int tls_read(struct loader *l, const struct ytree_node *n, const char *path,
		    struct config_api_listener *out)
{
	enum { K_CERT, K_KEY, K_CA, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"certificate", "key", "client_ca", NULL};
	const struct ytree_node *v[K_COUNT] = {0};
	char kpath[128];
	int rc;

	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, path,
					"expected a mapping with certificate, key and client_ca, "
					"got %s",
					ytree_node_describe(n));
	if ((rc = conf_map_read(l, n, path, keys, v)) != 0)
		return rc;
	if (v[K_CERT] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'certificate'");
	if (v[K_KEY] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'key'");
	snprintf(kpath, sizeof(kpath), "%s.certificate", path);
	if ((rc = ytree_read_file(&l->r, v[K_CERT], kpath, &out->tls_certificate)) != 0)
		return rc;
	snprintf(kpath, sizeof(kpath), "%s.key", path);
	if ((rc = ytree_read_file(&l->r, v[K_KEY], kpath, &out->tls_key)) != 0)
		return rc;
	if (v[K_CA] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.client_ca", path);
		if ((rc = ytree_read_file(&l->r, v[K_CA], kpath, &out->tls_client_ca)) != 0)
			return rc;
	}
	return 0;
}

/* api.listen: a list of ADDR[:PORT] (every role, plain HTTP) or of
 * {address, roles, tls}; [] (or none) is no API. */
int conf_api_listen_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	static const char path[] = "api.listen";
	struct config *cfg = l->cfg;
	struct ytree_node *const *items;
	size_t count;
	int rc;

	(void)key;
	if (n->kind == YTREE_SEQ && n->count == 0)
		return 0;
	if (n->kind == YTREE_MAP) {
		/* one listener given as a mapping: a list of one */
		items = NULL;
		count = 1;
	} else if ((rc = conf_list_items(l, n, path, "addresses or {address, roles, tls}", &items,
					 &count)) != 0) {
		return rc;
	}
	cfg->api_listen = xcalloc(count, sizeof(*cfg->api_listen));
	cfg->api_listeners = xcalloc(count, sizeof(*cfg->api_listeners));
	for (size_t i = 0; i < count; i++) {
		static const char *const keys[] = {"address", "roles", "tls", NULL};
		const struct ytree_node *it = conf_list_item(n, items, i), *v[3] = {0};
		struct config_api_listener *lis = &cfg->api_listeners[i];
		char ipath[64], kpath[96];
		const char *where = ipath; /* the address's path in messages */

		/* counted first, so that config_free() frees a half-read entry */
		cfg->api_listen_count = i + 1;
		conf_item_path(ipath, sizeof(ipath), path, items, i);
		lis->roles = API_ROLES_ALL;
		lis->line = it->line;
		lis->col = it->col;
		if (it->kind == YTREE_MAP) {
			if ((rc = conf_map_read(l, it, ipath, keys, v)) != 0)
				return rc;
			if (v[0] == NULL)
				return ytree_error_path(&l->r, it, ipath,
							"missing required key 'address'");
			if (v[1] != NULL) {
				snprintf(kpath, sizeof(kpath), "%s.roles", ipath);
				if ((rc = roles_read(l, v[1], kpath, &lis->roles)) != 0)
					return rc;
			}
			if (v[2] != NULL) {
				snprintf(kpath, sizeof(kpath), "%s.tls", ipath);
				if ((rc = tls_read(l, v[2], kpath, lis)) != 0)
					return rc;
			}
			snprintf(kpath, sizeof(kpath), "%s.address", ipath);
			where = kpath;
			it = v[0];
		}
		if ((rc = conf_listen_address_read(l, it, where,
						   "an address or {address, roles, tls}", API_PORT,
						   cfg->api_listen, i)) != 0)
			return rc;
	}
	return 0;
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

/* Is sa a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)? */
static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
			24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

int conf_api_check(struct loader *l)
{
	const struct config *cfg = l->cfg;

	if (cfg->api_admin_token == NULL || strlen(cfg->api_admin_token) >= TOKEN_MIN_LEN_PUBLIC)
		return 0;
	for (size_t i = 0; i < cfg->api_listen_count; i++) {
		char text[NETADDR_STRLEN];

		/* Only where the admin token is taken: a probe-only listener on
		 * the internet does not make it reachable. */
		if (is_loopback(&cfg->api_listen[i].u.sa) ||
		    !(cfg->api_listeners[i].roles & API_ROLE_ADMIN))
			continue;
		netaddr_format(&cfg->api_listen[i].u.sa, text, sizeof(text));
		return ytree_error(l->r.tree, l->token_key, l->r.err,
				   "api.%s: the admin token must be at least %d characters when "
				   "the admin role is served beyond loopback (api.listen %s)",
				   l->token_key->scalar, TOKEN_MIN_LEN_PUBLIC, text);
	}
	return 0;
}

/* gslbd.conf "server": the keys the option table does not describe,
 * server.listen, server.allow_transfer (zones without a list of their
 * own inherit it) and server.xdp. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

int conf_server_listen_read(struct loader *l, const struct ytree_node *key,
			    const struct ytree_node *n)
{
	(void)key;
	return conf_listen_read(l, n, "server.listen", DNS_PORT, false, &l->cfg->listen,
				&l->cfg->listen_count, &l->listen_acl, &l->listen_acl_count);
}

int conf_server_allow_transfer_read(struct loader *l, const struct ytree_node *key,
				    const struct ytree_node *n)
{
	(void)key;
	free(l->allow_transfer);
	free(l->allow_transfer_key);
	l->allow_transfer = NULL;
	l->allow_transfer_key = NULL;
	l->allow_transfer_count = 0;
	return conf_transfer_acl_read(l, n, "server.allow_transfer", &l->allow_transfer,
				      &l->allow_transfer_key, &l->allow_transfer_count);
}

/* server.xdp: a list of "IFNAME" or "IFNAME@QUEUE" (a queue number below
 * 256, the size of the XDP program's socket map). */
int conf_server_xdp_read(struct loader *l, const struct ytree_node *key, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	struct ytree_node *const *items;
	size_t count;
	int rc;

	(void)key;
	if ((rc = conf_list_items(l, n, "server.xdp", "interfaces", &items, &count)) != 0)
		return rc;
	free(cfg->xdp);
	cfg->xdp = xcalloc(count + 1, sizeof(*cfg->xdp));
	cfg->xdp_count = 0;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		struct config_xdp *x = &cfg->xdp[cfg->xdp_count];
		const char *at;
		size_t nlen;
		char ipath[64];

		conf_item_path(ipath, sizeof(ipath), "server.xdp", items, i);
		if ((rc = ytree_read_string(&l->r, it, ipath, "an interface")) != 0)
			return rc;
		at = strchr(it->scalar, '@');
		nlen = at != NULL ? (size_t)(at - it->scalar) : strlen(it->scalar);
		if (nlen == 0 || nlen >= sizeof(x->ifname) || strcspn(it->scalar, " /:\t") < nlen)
			return ytree_error_path(
			    &l->r, it, ipath,
			    "'%s' is not an interface name (IFNAME or IFNAME@QUEUE)", it->scalar);
		memcpy(x->ifname, it->scalar, nlen);
		x->ifname[nlen] = '\0';
		x->queue = -1;
		if (at != NULL) {
			char *end;
			unsigned long q;

			if (at[1] < '0' || at[1] > '9')
				return ytree_error_path(&l->r, it, ipath,
							"'%s': queue is not a number", it->scalar);
			q = strtoul(at + 1, &end, 10);
			if (*end != '\0' || q > 255)
				return ytree_error_path(&l->r, it, ipath,
							"'%s': queue must be a number 0..255",
							it->scalar);
			x->queue = (int)q;
		}
		for (size_t j = 0; j < cfg->xdp_count; j++) {
			if (strcmp(cfg->xdp[j].ifname, x->ifname) == 0 &&
			    (cfg->xdp[j].queue == x->queue || cfg->xdp[j].queue < 0 ||
			     x->queue < 0))
				return ytree_error_path(&l->r, it, ipath, "'%s' given twice",
							it->scalar);
		}
		cfg->xdp_count++;
	}
	return 0;
}

/* gslbd.conf "server": the keys the option table does not describe,
 * server.listen and server.allow_transfer (zones without a list of their
 * own inherit it). */
#include <config.h>

#include <stdlib.h>

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

/* Incoming NOTIFY: answer it for a secondary zone's primaries, tell the hook. */
#include <config.h>

#include "gslbd/dns/notify_in.h"

#include <string.h>
#include <sys/socket.h>

#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/snapshot.h"
#include "zones/dname.h"
#include "zones/zone.h"

static notify_in_fn *hook;
static void *hook_arg;

void notify_in_set_hook(notify_in_fn *fn, void *arg)
{
	hook = fn;
	hook_arg = arg;
}

/* Is client (any port) the address of one of z's primaries? */
static bool from_primary(const struct config_zone *z, const struct sockaddr *client)
{
	for (size_t i = 0; i < z->primary_count; i++) {
		const struct sockaddr *p = &z->primaries[i].addr.u.sa;

		if (p->sa_family != client->sa_family)
			continue;
		if (p->sa_family == AF_INET &&
		    memcmp(&((const struct sockaddr_in *)(const void *)p)->sin_addr,
			   &((const struct sockaddr_in *)(const void *)client)->sin_addr, 4) == 0)
			return true;
		if (p->sa_family == AF_INET6 &&
		    memcmp(&((const struct sockaddr_in6 *)(const void *)p)->sin6_addr,
			   &((const struct sockaddr_in6 *)(const void *)client)->sin6_addr,
			   16) == 0)
			return true;
	}
	return false;
}

void notify_in_answer(struct answer_ctx *c)
{
	const struct zone *z = zone_set_find(c->snap->zones, c->q->lname, c->q->qname_len);
	const struct config_zone *cz;
	char name[DNAME_STRLEN];

	if (z == NULL || !answer_same_name(zone_origin(z), dname_len(zone_origin(z)), c->q->lname,
					   c->q->qname_len)) {
		c->rcode = WIRE_RCODE_NOTAUTH;
		return;
	}
	c->zone = z;
	cz = &c->snap->config->zones[zone_index(z)];
	if (cz->primary_count == 0 || c->client == NULL || !from_primary(cz, c->client)) {
		c->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	c->flags |= WIRE_AA;
	if (hook != NULL) {
		dname_to_str(zone_origin(z), name, sizeof(name));
		hook(hook_arg, name);
	}
}

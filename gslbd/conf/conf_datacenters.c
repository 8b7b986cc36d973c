/* gslbd.conf "datacenters": where services run, their VIPs (or CNAME
 * target), weights and the check probes run against them. */
#include <config.h>

#include <arpa/inet.h>
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf-internal.h"
#include "zones/dname.h"

/* Most datacenters in one file (indexes fit in uint16_t). */
#define DATACENTER_MAX 65535

/* A list of VIPs of one family (AF_INET: 4 bytes each, AF_INET6: 16) into
 * *out (caller frees) and *out_count. */
static int vips_read(struct loader *l, const struct ytree_node *n, const char *path, int family,
		     uint8_t **out, size_t *out_count)
{
	const char *what = family == AF_INET ? "IPv4" : "IPv6";
	size_t len = family == AF_INET ? 4 : 16;
	struct ytree_node *const *items;
	uint8_t *list;
	size_t count;
	int rc;

	if (n->kind == YTREE_SEQ && n->count == 0)
		return 0;
	if ((rc = conf_list_items(l, n, path, "addresses", &items, &count)) != 0)
		return rc;
	list = xcalloc(count, len);
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *it = conf_list_item(n, items, i);
		char ipath[96];

		conf_item_path(ipath, sizeof(ipath), path, items, i);
		if (it->kind != YTREE_SCALAR || ytree_node_is_null(it)) {
			rc = ytree_error_path(&l->r, it, ipath, "expected an %s address, got %s",
					      what, ytree_node_describe(it));
			goto fail;
		}
		if (inet_pton(family, it->scalar, list + i * len) != 1) {
			rc = ytree_error_path(&l->r, it, ipath, "'%s' is not an %s address",
					      it->scalar, what);
			goto fail;
		}
		for (size_t j = 0; j < i; j++) {
			if (memcmp(list + j * len, list + i * len, len) == 0) {
				rc = ytree_error_path(&l->r, it, ipath, "duplicate address '%s'",
						      it->scalar);
				goto fail;
			}
		}
	}
	*out = list;
	*out_count = count;
	return 0;
fail:
	free(list);
	return rc;
}

/* datacenters[].check and check_address of dc (v: their value nodes, or
 * NULL). check_address ends up "ADDR:PORT" or "[IPV6]:PORT" whenever the
 * datacenter has a check: as written, with the check's port when it has
 * none (or port 0), else the first IPv4 VIP (or IPv6 VIP) and that port. */
static int dc_check_read(struct loader *l, const struct ytree_node *n, const char *path,
			 struct config_datacenter *dc, const struct ytree_node *check,
			 const struct ytree_node *address)
{
	const struct config_check *c;
	struct netaddr a;
	char kpath[96], text[NETADDR_STRLEN];
	int rc;

	dc->check = -1;
	if (check == NULL) {
		if (address != NULL) {
			snprintf(kpath, sizeof(kpath), "%s.check_address", path);
			return ytree_error_path(&l->r, address, kpath,
						"check_address needs a check");
		}
		return 0;
	}
	snprintf(kpath, sizeof(kpath), "%s.check", path);
	if ((rc = ytree_read_string(&l->r, check, kpath, "a check name")) != 0)
		return rc;
	dc->check = conf_check_find(l->cfg, check->scalar);
	if (dc->check < 0)
		return ytree_error_path(&l->r, check, kpath, "unknown check '%s'", check->scalar);
	c = &l->cfg->checks[dc->check];
	if (address != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.check_address", path);
		if ((rc = ytree_read_string(&l->r, address, kpath, "an address")) != 0)
			return rc;
		if (netaddr_parse(address->scalar, 0, &a) != 0)
			return ytree_error_path(
			    &l->r, address, kpath,
			    "'%s' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)",
			    address->scalar);
	} else if (dc->cname != NULL) {
		return ytree_error_path(&l->r, n, path,
					"missing required key 'check_address' (a cname datacenter "
					"with a check)");
	} else {
		int family = dc->ipv4_count > 0 ? AF_INET : AF_INET6;

		inet_ntop(family, family == AF_INET ? dc->ipv4[0] : dc->ipv6[0], text,
			  sizeof(text));
		if (netaddr_parse(text, 0, &a) != 0)
			assert(!"a VIP does not parse");
	}
	if (netaddr_port(&a.u.sa) == 0)
		netaddr_set_port(&a, (uint16_t)c->port);
	netaddr_format(&a.u.sa, text, sizeof(text));
	dc->check_address = xstrdup(text);
	return 0;
}

static int datacenter_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum {
		K_NAME,
		K_REGION,
		K_LAT,
		K_LON,
		K_IPV4,
		K_IPV6,
		K_CNAME,
		K_WEIGHT,
		K_CHECK,
		K_CHECK_ADDR,
		K_CAPACITY,
		K_COUNT
	};
	static const char *const all_keys[K_COUNT + 1] = {
	    "name",  "region", "latitude", "longitude",     "ipv4",     "ipv6",
	    "cname", "weight", "check",    "check_address", "capacity", NULL};
	struct config *cfg = l->cfg;
	struct config_datacenter *dc = &cfg->datacenters[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96];
	uint8_t *vips;
	int rc;

	dc->weight = 100;
	dc->check = -1;
	if ((rc = conf_entry_open(l, n, "datacenters", index,
				  "name, latitude, longitude and addresses", all_keys, v, path,
				  sizeof(path), &dc->line, &dc->col)) != 0)
		return rc;
	if ((rc = conf_entry_id_read(
		 l, n, v[K_NAME], path, "name", "datacenter", "a datacenter name", cfg->datacenters,
		 sizeof(*cfg->datacenters), offsetof(struct config_datacenter, name),
		 offsetof(struct config_datacenter, line), index, &dc->name)) != 0)
		return rc;
	if (v[K_REGION] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.region", path);
		if ((rc = conf_ident_read(l, v[K_REGION], kpath, "a region name")) != 0)
			return rc;
		dc->region = xstrdup(v[K_REGION]->scalar);
	} else {
		dc->region = xstrdup(dc->name);
	}
	if ((rc = conf_position_read(l, n, path, v[K_LAT], v[K_LON], &dc->lat, &dc->lon)) != 0)
		return rc;
	config_datacenter_set_position(dc, dc->lat, dc->lon);
	if (v[K_IPV4] != NULL) {
		vips = NULL;
		snprintf(kpath, sizeof(kpath), "%s.ipv4", path);
		if ((rc = vips_read(l, v[K_IPV4], kpath, AF_INET, &vips, &dc->ipv4_count)) != 0)
			return rc;
		dc->ipv4 = (uint8_t(*)[4])(void *)vips;
	}
	if (v[K_IPV6] != NULL) {
		vips = NULL;
		snprintf(kpath, sizeof(kpath), "%s.ipv6", path);
		if ((rc = vips_read(l, v[K_IPV6], kpath, AF_INET6, &vips, &dc->ipv6_count)) != 0)
			return rc;
		dc->ipv6 = (uint8_t(*)[16])(void *)vips;
	}
	if (v[K_CNAME] != NULL) {
		uint8_t wire[DNAME_MAXLEN];
		char text[DNAME_STRLEN];

		snprintf(kpath, sizeof(kpath), "%s.cname", path);
		if (v[K_IPV4] != NULL || v[K_IPV6] != NULL)
			return ytree_error_path(
			    &l->r, v[K_CNAME], kpath,
			    "a datacenter has either cname or ipv4/ipv6 addresses, "
			    "not both");
		if ((rc = ytree_read_string(&l->r, v[K_CNAME], kpath, "a domain name")) != 0)
			return rc;
		if (dname_from_str(v[K_CNAME]->scalar, wire) < 0)
			return ytree_error_path(&l->r, v[K_CNAME], kpath,
						"'%s' is not a valid domain name",
						v[K_CNAME]->scalar);
		if (wire[0] == 0)
			return ytree_error_path(&l->r, v[K_CNAME], kpath,
						"the target must not be the root");
		dname_to_str(wire, text, sizeof(text));
		dc->cname = xstrdup(text);
	} else if (dc->ipv4_count == 0 && dc->ipv6_count == 0) {
		return ytree_error_path(&l->r, n, path, "needs ipv4 or ipv6 addresses, or a cname");
	}
	if (v[K_WEIGHT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.weight", path);
		if ((rc = ytree_read_uint(&l->r, v[K_WEIGHT], kpath, 1, 1000000, &dc->weight)) != 0)
			return rc;
	}
	if ((rc = dc_check_read(l, n, path, dc, v[K_CHECK], v[K_CHECK_ADDR])) != 0)
		return rc;
	if (v[K_CAPACITY] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.capacity", path);
		if ((rc = conf_degrees_read(l, v[K_CAPACITY], kpath, 0.0, 1e12, &dc->capacity)) !=
		    0)
			return rc;
		if (!(dc->capacity > 0.0))
			return ytree_error_path(&l->r, v[K_CAPACITY], kpath,
						"the capacity must be more than 0");
		if (dc->check < 0 || cfg->checks[dc->check].load_source == CHECK_LOAD_NONE)
			return ytree_error_path(&l->r, v[K_CAPACITY], kpath,
						"capacity needs a check that reads the load "
						"(checks[].load)");
	}
	return 0;
}

int conf_datacenters_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "datacenters", "datacenters")) != 0 ||
	    ytree_node_is_null(n))
		return rc;
	if (n->count > DATACENTER_MAX)
		return ytree_error_path(&l->r, n, "datacenters", "more than %d datacenters",
					DATACENTER_MAX);
	cfg->datacenters = xcalloc(n->count, sizeof(*cfg->datacenters));
	return conf_entries_read(l, n, &cfg->datacenter_count, datacenter_read);
}

long config_datacenter_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		if (cfg->datacenters[i].name != NULL && strcmp(cfg->datacenters[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

void config_datacenter_set_position(struct config_datacenter *dc, double lat, double lon)
{
	dc->lat = lat;
	dc->lon = lon;
	geo_unit_vector(lat, lon, dc->xyz);
}

#include <config.h>

#include "gslbd/control/explain.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control-internal.h"
#include "gslbd/control/health.h"
#include "gslbd/control/load.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

#define QTYPE_A 1
#define QTYPE_AAAA 28

/* Which load-balanced name answers name, as the DNS path finds it (exact or
 * through a dynamic wildcard). */
static int resolve_name(const struct snapshot *snap, const char *name, size_t *lbname,
			struct gslb_err *err)
{
	uint8_t lname[DNAME_MAXLEN];
	const struct zone *z;
	struct zone_lookup lk;
	int len = dname_from_str(name, lname);

	if (len < 0)
		return gslb_err_setc(err, GSLB_EINVAL, "'%s' is not a domain name", name);
	z = zone_set_find(snap->zones, lname, (size_t)len);
	if (z == NULL)
		return gslb_err_setc(err, GSLB_ENOENT, "'%s' is in no served zone", name);
	zone_lookup(z, lname, (size_t)len, &lk);
	if ((lk.match != ZONE_MATCH_EXACT && lk.match != ZONE_MATCH_WILDCARD) ||
	    !(lk.node->flags & ZONE_NODE_DYNAMIC))
		return gslb_err_setc(err, GSLB_ENOENT, "'%s' is not a load-balanced name", name);
	*lbname = lk.node->dyn_id;
	return 0;
}

/* Parse the client and ECS of q into c. */
static int make_client(const struct explain_query *q, struct lb_client *c, struct gslb_err *err)
{
	struct netaddr resolver;
	struct netprefix ecs;

	if (netaddr_parse(q->client, 0, &resolver) != 0)
		return gslb_err_setc(err, GSLB_EINVAL, "'%s' is not an IP address", q->client);
	if (q->ecs == NULL) {
		lb_client_init(c, 0, 0, NULL, &resolver.u.sa);
		return 0;
	}
	if (netprefix_parse(q->ecs, &ecs) != 0)
		return gslb_err_setc(err, GSLB_EINVAL,
				     "'%s' is not a prefix (ADDR/LEN with no host bits set)", q->ecs);
	lb_client_init(c, ecs.family == AF_INET ? 1 : 2, ecs.len, ecs.addr, &resolver.u.sa);
	return 0;
}

static int decide(const struct snapshot *snap, const struct explain_query *q,
		  struct lb_decision *d, struct lb_client *c, struct gslb_err *err)
{
	size_t lbname = 0;
	int rc = resolve_name(snap, q->name, &lbname, err);

	if (rc == 0)
		rc = make_client(q, c, err);
	if (rc == 0) {
		lb_decide(snap->config, snap->geo, NULL, snap->maps, snap->dc_state, snap->latency,
			  lbname, q->qtype, c, 0, d);
		if (snap->maps != NULL) {
			/* The answer and scope are the DNS path's, from the compiled
			 * maps; the location and every candidate with its distance
			 * come from looking the client up, which ranks alike. */
			struct lb_decision *full = xmalloc(sizeof(*full));

			lb_decide(snap->config, snap->geo, NULL, NULL, snap->dc_state,
				  snap->latency, lbname, q->qtype, c, 0, full);
			d->loc = full->loc;
			d->is_private = full->is_private;
			d->cand_count = full->cand_count;
			memcpy(d->cands, full->cands, full->cand_count * sizeof(full->cands[0]));
			free(full);
		}
		lb_decision_distances(d);
	}
	return rc;
}

static void format_addr(int family, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

json_t *explain_json(const struct snapshot *snap, const struct explain_query *q,
		     struct gslb_err *err)
{
	const struct config *cfg = snap->config;
	struct lb_decision d;
	struct lb_client c;
	char caddr[INET6_ADDRSTRLEN];
	json_t *root, *cands, *answer;

	if (decide(snap, q, &d, &c, err) != 0)
		return NULL;
	format_addr(c.family, c.addr, caddr, sizeof(caddr));
	root = json_pack("{s:s, s:s, s:{s:s, s:i, s:b}, s:s, s:s, s:i, s:i, s:b, s:b}", "name", q->name,
			 "qtype", q->qtype == QTYPE_AAAA ? "AAAA" : "A", "client", "address", caddr,
			 "prefix", c.prefix, "from_ecs", c.from_ecs, "pool",
			 cfg->pools[d.pool].name, "reason", lb_reason_name(d.reason), "ttl",
			 (int)d.ttl, "ecs_scope", d.scope, "failed_open", d.failed_open, "empty",
			 d.empty);
	if (d.region >= 0 && snap->latency != NULL && (size_t)d.region < snap->latency->region_count)
		json_object_set_new(root, "probe_region",
				    json_string(snap->latency->regions[d.region].name));
	if (d.loc.found || d.is_private || snap->geo != NULL) {
		json_t *loc = json_pack("{s:b, s:b, s:i}", "found", d.loc.found, "private",
					d.is_private, "prefix", d.loc.prefix_len);

		if (d.loc.has_coords) {
			json_object_set_new(loc, "latitude", json_real(d.loc.lat));
			json_object_set_new(loc, "longitude", json_real(d.loc.lon));
		}
		if (d.loc.country[0] != '\0')
			json_object_set_new(loc, "country", json_string(d.loc.country));
		if (d.loc.continent[0] != '\0')
			json_object_set_new(loc, "continent", json_string(d.loc.continent));
		json_object_set_new(root, "location", loc);
	}
	cands = json_array();
	for (unsigned i = 0; i < d.cand_count; i++) {
		const struct lb_candidate *k = &d.cands[i];
		const struct config_datacenter *dc = &cfg->datacenters[k->dc];
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:i}", "datacenter", dc->name, "region",
				      dc->region, "up", k->up, "has_family", k->has_family,
				      "weight", (int)dc->weight);

		if (k->distance_km >= 0)
			json_object_set_new(o, "distance_km", json_real(k->distance_km));
		if (k->score != 0)
			json_object_set_new(o, "score", json_real(k->score));
		if (k->rtt_ms >= 0)
			json_object_set_new(o, "rtt_ms", json_real(k->rtt_ms));
		if (snap->latency != NULL && snap->latency->loads != NULL && dc->capacity > 0.0) {
			const struct latency_load *ld = &snap->latency->loads[k->dc];
			/* The snapshot's utilisation dates from its publication,
			 * which only a change of share or ranking causes: show
			 * the model's, as status does. The share is what DNS
			 * applies, so it comes from the snapshot. */
			double util = ld->util;

			if (q->ctl != NULL && q->ctl->load != NULL)
				util = load_model_util(q->ctl->load, k->dc);
			json_object_set_new(o, "utilisation",
					    util >= 0 ? json_real(util) : json_null());
			json_object_set_new(o, "share", json_real(ldexp((double)ld->keep, -32)));
		}
		if (k->spilled)
			json_object_set_new(o, "spilled", json_true());
		json_array_append_new(cands, o);
	}
	json_object_set_new(root, "candidates", cands);
	answer = json_array();
	for (unsigned i = 0; i < d.chosen_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[d.chosen[i]];
		json_t *o = json_pack("{s:s}", "datacenter", dc->name);
		json_t *rr = json_array();
		char a[INET6_ADDRSTRLEN];

		if (d.cname) {
			json_object_set_new(o, "cname", json_string(dc->cname));
		} else if (q->qtype == QTYPE_AAAA) {
			for (size_t k = 0; k < dc->ipv6_count; k++) {
				format_addr(AF_INET6, dc->ipv6[k], a, sizeof(a));
				json_array_append_new(rr, json_string(a));
			}
		} else {
			for (size_t k = 0; k < dc->ipv4_count; k++) {
				format_addr(AF_INET, dc->ipv4[k], a, sizeof(a));
				json_array_append_new(rr, json_string(a));
			}
		}
		json_object_set_new(o, "addresses", rr);
		json_array_append_new(answer, o);
	}
	json_object_set_new(root, "answer", answer);
	return root;
}

int explain_print(FILE *out, const struct snapshot *snap, const struct explain_query *q,
		  struct gslb_err *err)
{
	json_t *j = explain_json(snap, q, err), *v, *loc;
	size_t i;

	if (j == NULL)
		return GSLB_EINVAL;
	fprintf(out, "name:      %s %s\n", q->name, json_string_value(json_object_get(j, "qtype")));
	fprintf(out, "client:    %s/%d%s\n",
		json_string_value(json_object_get(json_object_get(j, "client"), "address")),
		(int)json_integer_value(json_object_get(json_object_get(j, "client"), "prefix")),
		json_is_true(json_object_get(json_object_get(j, "client"), "from_ecs"))
			? " (from ECS)"
			: " (resolver address)");
	loc = json_object_get(j, "location");
	if (loc == NULL) {
		fprintf(out, "location:  no GeoIP database\n");
	} else if (json_is_true(json_object_get(loc, "private"))) {
		fprintf(out, "location:  private address\n");
	} else if (!json_is_true(json_object_get(loc, "found"))) {
		fprintf(out, "location:  unknown (not in the database, network /%d)\n",
			(int)json_integer_value(json_object_get(loc, "prefix")));
	} else {
		fprintf(out, "location:  country=%s continent=%s",
			json_string_value(json_object_get(loc, "country"))
				? json_string_value(json_object_get(loc, "country"))
				: "-",
			json_string_value(json_object_get(loc, "continent"))
				? json_string_value(json_object_get(loc, "continent"))
				: "-");
		if (json_object_get(loc, "latitude") != NULL)
			fprintf(out, " lat=%.4f lon=%.4f",
				json_real_value(json_object_get(loc, "latitude")),
				json_real_value(json_object_get(loc, "longitude")));
		fprintf(out, " network=/%d\n",
			(int)json_integer_value(json_object_get(loc, "prefix")));
	}
	fprintf(out, "pool:      %s (ordered by %s", json_string_value(json_object_get(j, "pool")),
		json_string_value(json_object_get(j, "reason")));
	if (json_object_get(j, "probe_region") != NULL)
		fprintf(out, " from probe region %s",
			json_string_value(json_object_get(j, "probe_region")));
	fprintf(out, ")\n");
	fprintf(out, "candidates:\n");
	json_array_foreach(json_object_get(j, "candidates"), i, v) {
		fprintf(out, "  %zu. %-16s region=%-14s %-4s%s weight=%d", i + 1,
			json_string_value(json_object_get(v, "datacenter")),
			json_string_value(json_object_get(v, "region")),
			json_is_true(json_object_get(v, "up")) ? "up" : "down",
			json_is_true(json_object_get(v, "has_family")) ? "" : " (no address of this family)",
			(int)json_integer_value(json_object_get(v, "weight")));
		if (json_object_get(v, "distance_km") != NULL)
			fprintf(out, " distance=%.0fkm",
				json_real_value(json_object_get(v, "distance_km")));
		if (json_object_get(v, "score") != NULL)
			fprintf(out, " score=%.4g", json_real_value(json_object_get(v, "score")));
		if (json_object_get(v, "rtt_ms") != NULL)
			fprintf(out, " rtt=%.1fms", json_real_value(json_object_get(v, "rtt_ms")));
		fputc('\n', out);
	}
	fprintf(out, "answer:   ");
	if (json_array_size(json_object_get(j, "answer")) == 0)
		fprintf(out, " (no records: NODATA)");
	json_array_foreach(json_object_get(j, "answer"), i, v) {
		json_t *a;
		size_t k;

		fprintf(out, " %s:", json_string_value(json_object_get(v, "datacenter")));
		if (json_object_get(v, "cname") != NULL)
			fprintf(out, " CNAME %s", json_string_value(json_object_get(v, "cname")));
		json_array_foreach(json_object_get(v, "addresses"), k, a)
			fprintf(out, " %s", json_string_value(a));
	}
	fprintf(out, "\nttl:       %d\necs scope: /%d\n",
		(int)json_integer_value(json_object_get(j, "ttl")),
		(int)json_integer_value(json_object_get(j, "ecs_scope")));
	if (json_is_true(json_object_get(j, "failed_open")))
		fprintf(out, "note:      every datacenter is down; answering with all (fail open)\n");
	json_decref(j);
	return 0;
}

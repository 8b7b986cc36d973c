#include <config.h>

#include "gslbd/control/control.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control-internal.h"
#include "gslbd/control/health.h"
#include "gslbd/control/load.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/report.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

/* Open the configured GeoIP database; see control_load(). */
static int load_geo(const struct config *cfg, struct geo_share *keep, struct geo_share **out,
		    struct gslb_err *err)
{
	struct geo_layout layout;
	struct geo_db *db;
	const char *paths[4] = { cfg->geoip_latitude, cfg->geoip_longitude, cfg->geoip_country,
				 cfg->geoip_continent };
	struct geo_path *fields[4] = { &layout.latitude, &layout.longitude, &layout.country,
				       &layout.continent };
	int rc;

	*out = NULL;
	if (cfg->geoip_database == NULL)
		return 0;
	geo_layout_city(&layout);
	for (int i = 0; i < 4; i++) {
		if (paths[i] != NULL && geo_layout_parse_path(paths[i], fields[i], err) != 0)
			return GSLB_EINVAL;
	}
	rc = geo_db_open(cfg->geoip_database, &layout, &db, err);
	if (rc == 0) {
		*out = geo_share_new(db);
		return 0;
	}
	if (keep != NULL && strcmp(geo_db_path(geo_share_db(keep)), cfg->geoip_database) == 0) {
		log_err("geoip: %s; keeping the database loaded before", err->msg);
		*out = geo_share_ref(keep);
		return 0;
	}
	return rc;
}

int control_load(const char *path, struct geo_share *keep_geo, struct snapshot **out,
		 struct gslb_err *err)
{
	struct config *cfg = NULL;
	struct zone_set *zones = NULL;
	struct zone_source *src;
	struct zone_dynamic *dyn;
	char **where;
	struct geo_share *geo = NULL;
	size_t used = 0;
	int rc;

	rc = config_load(path, &cfg, err);
	if (rc != 0)
		return rc;
	src = xcalloc(cfg->zone_count, sizeof(*src));
	dyn = xcalloc(cfg->lbname_count + 1, sizeof(*dyn));
	where = xcalloc(cfg->lbname_count + 1, sizeof(*where));
	/* Group the load-balanced names by zone, in config order. */
	for (size_t i = 0; i < cfg->zone_count; i++) {
		src[i].origin = cfg->zones[i].name;
		src[i].path = cfg->zones[i].file;
		src[i].dynamic = dyn + used;
		for (size_t n = 0; n < cfg->lbname_count; n++) {
			const struct config_lbname *lb = &cfg->lbnames[n];

			if (lb->zone != i)
				continue;
			where[used] = xasprintf("%s:%u:%u", cfg->path, lb->line, lb->col);
			dyn[used].name = lb->name;
			dyn[used].id = (uint32_t)n;
			dyn[used].where = where[used];
			used++;
			src[i].dynamic_count++;
		}
	}
	rc = zone_set_load(src, cfg->zone_count, &zones, err);
	for (size_t i = 0; i < used; i++)
		free(where[i]);
	free(where);
	free(dyn);
	free(src);
	if (rc == 0)
		rc = load_geo(cfg, keep_geo, &geo, err);
	if (rc != 0) {
		zone_set_free(zones);
		config_free(cfg);
		return rc;
	}
	*out = snapshot_new(cfg, zones, geo);
	return 0;
}

int control_load_admin(struct control *c, const struct snapshot *snap, struct gslb_err *err)
{
	struct admin_table *t;
	int rc;

	if (snap->config->state_file == NULL) {
		if (c->admin == NULL)
			c->admin = admin_table_new();
		return 0;
	}
	rc = admin_table_load(snap->config->state_file, &t, err);
	if (rc != 0)
		return rc;
	admin_table_free(c->admin);
	c->admin = t;
	return 0;
}

void control_apply_states(const struct control *c, struct snapshot *snap)
{
	const struct config *cfg = snap->config;

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		enum admin_state st = admin_table_get(c->admin, cfg->datacenters[i].name, NULL);
		bool up;

		if (st == ADMIN_DRAIN)
			up = false;
		else if (st == ADMIN_FORCE_UP || c->health == NULL)
			up = true;
		else
			up = health_dc_answerable(c->health, i);
		snap->dc_state[i] = up ? DC_STATE_UP : DC_STATE_DOWN;
	}
}

/* The probe configuration served to probes follows the configuration. */
static void make_probe_config(struct control *c, const struct config *cfg)
{
	free(c->probe_config);
	c->probe_config = report_probe_config(cfg, c->probe_config_etag);
}

/* Carry replay timestamps over to a reloaded probe list, by probe id. */
static uint64_t *remap_probe_ts(const struct control *c, const struct config *old,
				const struct config *cfg)
{
	uint64_t *ts = xcalloc(cfg->probe_count + 1, sizeof(*ts));

	for (size_t i = 0; old != NULL && i < cfg->probe_count; i++) {
		for (size_t k = 0; k < old->probe_count; k++) {
			if (strcmp(old->probes[k].id, cfg->probes[i].id) == 0)
				ts[i] = c->probe_last_ts[k];
		}
	}
	return ts;
}

/* Does any pool order by latency? Only then do rankings matter to DNS. */
static bool uses_latency(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->pool_count; i++) {
		if (cfg->pools[i].policy == POOL_LATENCY)
			return true;
	}
	return false;
}

/* Feed the health model's loads to the load model. Returns true when a
 * share or the least_load ranking changed. */
static bool load_update(struct control *c, const struct config *cfg, uint64_t now)
{
	struct load_input *in;
	bool changed;

	if (c->load == NULL || !load_model_in_use(c->load))
		return false;
	in = xcalloc(cfg->datacenter_count + 1, sizeof(*in));
	for (size_t dc = 0; dc < cfg->datacenter_count; dc++) {
		struct health_load hl;

		if (!(cfg->datacenters[dc].capacity > 0.0) ||
		    !health_dc_load(c->health, dc, now, &hl))
			continue;
		in[dc].known = true;
		in[dc].util = hl.load / cfg->datacenters[dc].capacity;
		in[dc].oldest_ms = hl.oldest_ms;
	}
	changed = load_model_update(c->load, in, now);
	free(in);
	return changed;
}

/* The measured rankings a snapshot of cfg carries, or NULL when no pool
 * needs them. */
static struct latency_table *measured_build(struct control *c, const struct config *cfg,
					    uint64_t now)
{
	struct latency_table *t;

	if (c->health == NULL || (!uses_latency(cfg) && !load_model_is_used(cfg)))
		return NULL;
	t = health_latency_build(c->health, now);
	if (c->load != NULL && load_model_is_used(cfg))
		load_model_fill(c->load, t);
	return t;
}

void control_start(struct control *c, struct snapshot *snap)
{
	uint64_t now = time_mono_ms();

	c->health = health_new(snap->config, now);
	c->load = load_model_new(snap->config, now);
	c->probe_last_ts = remap_probe_ts(c, NULL, snap->config);
	make_probe_config(c, snap->config);
	control_apply_states(c, snap);
	snap->latency = measured_build(c, snap->config, now);
}

struct control *control_new(const char *config_path, bool debug)
{
	struct control *c = xcalloc(1, sizeof(*c));

	c->config_path = config_path;
	c->debug = debug;
	return c;
}

void control_free(struct control *c)
{
	if (c == NULL)
		return;
	health_free(c->health);
	load_model_free(c->load);
	free(c->probe_last_ts);
	free(c->probe_config);
	admin_table_free(c->admin);
	free(c);
}

const char *control_config_path(const struct control *c)
{
	return c->config_path;
}

const char *control_probe_config(const struct control *c, const char **etag)
{
	*etag = c->probe_config_etag;
	return c->probe_config;
}

/* Publish a snapshot like the current one with fresh datacenter states and
 * latency rankings, unless nothing DNS reads would change. */
static void publish_states(struct control *c)
{
	const struct snapshot *cur = snapshot_current();
	bool latency = c->health != NULL &&
		       (uses_latency(cur->config) || load_model_is_used(cur->config));
	struct snapshot *snap;

	snap = snapshot_derive(cur, xmalloc(cur->config->datacenter_count + 1), NULL);
	control_apply_states(c, snap);
	if (!latency &&
	    memcmp(snap->dc_state, cur->dc_state, cur->config->datacenter_count) == 0) {
		snapshot_free(snap);
		return;
	}
	if (latency)
		snap->latency = measured_build(c, cur->config, time_mono_ms());
	for (size_t i = 0; i < cur->config->datacenter_count; i++) {
		const char *name = cur->config->datacenters[i].name;
		enum admin_state st;

		if (snap->dc_state[i] == cur->dc_state[i])
			continue;
		st = admin_table_get(c->admin, name, NULL);
		log_info("datacenter %s: now %s (%s)", name,
			 snap->dc_state[i] == DC_STATE_UP ? "answered" : "not answered",
			 st == ADMIN_DRAIN      ? "drained by operator"
			 : st == ADMIN_FORCE_UP ? "forced up by operator"
			 : c->health != NULL    ? health_dc_reason(c->health, i)
						: "admin");
	}
	snapshot_publish(snap);
}

enum report_verdict control_report(struct control *c, const struct report_auth *auth,
				   const void *body, size_t len, size_t *accepted, char *why,
				   size_t why_len)
{
	const struct config *cfg = snapshot_current()->config;
	struct health_result *results = NULL;
	enum report_verdict v;
	size_t probe = 0, count = 0;
	uint64_t ts = 0, now;
	bool changed;

	*accepted = 0;
	v = report_verify(cfg, "POST", PROBE_PROTO_PATH_REPORTS, auth, body, len, time_wall_ms(),
			  c->probe_last_ts, &probe, &ts, why, why_len);
	if (v == REPORT_OK)
		v = report_parse(cfg, probe, body, len, &results, &count, why, why_len);
	c->reports[v]++;
	if (v != REPORT_OK)
		return v;
	c->probe_last_ts[probe] = ts;
	*accepted = count;
	now = time_mono_ms();
	changed = health_report(c->health, probe, results, count, now);
	if (load_update(c, cfg, now))
		changed = true;
	if (changed)
		publish_states(c);
	report_results_free(results, count);
	return REPORT_OK;
}

void control_tick(struct control *c)
{
	uint64_t now = time_mono_ms();
	bool changed;

	if (c->health == NULL)
		return;
	changed = health_tick(c->health, now);
	if (load_update(c, snapshot_current()->config, now))
		changed = true;
	if (changed)
		publish_states(c);
}

static size_t total_records(const struct zone_set *zones)
{
	size_t n = 0;

	for (size_t i = 0; i < zone_set_count(zones); i++)
		n += zone_rr_count(zone_set_zone(zones, i));
	return n;
}

int control_reload(struct control *c, struct gslb_err *err)
{
	const struct snapshot *old = snapshot_current();
	struct snapshot *snap;
	int rc;

	rc = control_load(c->config_path, snapshot_geo_share(old), &snap, err);
	if (rc == 0) {
		rc = control_load_admin(c, snap, err);
		if (rc != 0)
			snapshot_free(snap);
	}
	if (rc != 0)
		return rc;
	if (c->health != NULL) {
		uint64_t *ts = remap_probe_ts(c, old->config, snap->config);

		free(c->probe_last_ts);
		c->probe_last_ts = ts;
		health_reconfigure(c->health, snap->config, time_mono_ms());
		load_model_reconfigure(c->load, snap->config);
		(void)load_update(c, snap->config, time_mono_ms());
		snap->latency = measured_build(c, snap->config, time_mono_ms());
		make_probe_config(c, snap->config);
	}
	control_apply_states(c, snap);
	if (!c->debug)
		log_set_level(snap->config->log_level);
	metrics_bump_epoch();
	snapshot_publish(snap);
	log_info("reload: ok generation=%llu zones=%zu records=%zu names=%zu datacenters=%zu",
		 (unsigned long long)snap->generation, zone_set_count(snap->zones),
		 total_records(snap->zones), snap->config->lbname_count,
		 snap->config->datacenter_count);
	return 0;
}

int control_admin_set(struct control *c, const char *dc, enum admin_state st,
		      struct gslb_err *err)
{
	const struct snapshot *cur = snapshot_current();
	const struct config *cfg = cur->config;
	int rc = 0;

	if (config_datacenter_find(cfg, dc) < 0)
		return gslb_err_setc(err, GSLB_ENOENT, "no datacenter '%s'", dc);
	if (!admin_table_set(c->admin, dc, st, time_wall_ms()))
		return 0;
	log_info("admin: datacenter=%s override=%s", dc, admin_state_name(st));
	if (cfg->state_file != NULL) {
		rc = admin_table_save(c->admin, cfg->state_file, err);
		if (rc != 0)
			log_err("admin: state not saved: %s", err->msg);
	}
	publish_states(c);
	return rc;
}

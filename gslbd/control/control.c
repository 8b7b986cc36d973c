#include <config.h>

#include "gslbd/control/control.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control-internal.h"
#include "gslbd/control/health.h"
#include "gslbd/control/history.h"
#include "gslbd/control/journal_store.h"
#include "gslbd/control/load.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/progress.h"
#include "gslbd/control/report.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

/* The configured GeoIP database's loads: whether the last one could use
 * the file, and how many could not. Written where configurations load,
 * read by the metrics: atomics. */
static atomic_bool geo_ok = true;
static atomic_uint_least64_t geo_failures;

bool control_geo_status(uint64_t *failures)
{
	if (failures != NULL)
		*failures = (uint64_t)atomic_load(&geo_failures);
	return atomic_load(&geo_ok);
}

/* Open the configured GeoIP database, or keep prev's; see control_load().
 * A file that cannot be used never stops gslbd: at start-up, or when a
 * reload finds the file it loaded before changed for the worse, gslbd keeps
 * what it has (that database, or none: pools that depend on the location
 * then answer as for clients not in any database), logs why and counts it.
 * Only a configuration that names another file fails on it, like any
 * configuration error. */
static int load_geo(const struct config *cfg, const struct snapshot *prev, struct geo_share **out,
		    struct gslb_err *err)
{
	struct geo_share *keep = prev != NULL ? snapshot_geo_share(prev) : NULL;
	const struct geo_db *kept = geo_share_db(keep);
	const char *prev_path = prev != NULL ? prev->config->geoip_database : NULL;
	const char *path = cfg->geoip_database;
	struct geo_layout layout;
	struct geo_db *db;
	const char *paths[4] = { cfg->geoip_latitude, cfg->geoip_longitude, cfg->geoip_country,
				 cfg->geoip_continent };
	struct geo_path *fields[4] = { &layout.latitude, &layout.longitude, &layout.country,
				       &layout.continent };
	int rc;

	*out = NULL;
	if (path == NULL) {
		atomic_store(&geo_ok, true);
		return 0;
	}
	geo_layout_city(&layout);
	for (int i = 0; i < 4; i++) {
		if (paths[i] != NULL && geo_layout_parse_path(paths[i], fields[i], err) != 0)
			return GSLB_EINVAL;
	}
	/* One copy per database: an unchanged file is not read again. */
	if (kept != NULL && geo_db_file_unchanged(kept, path, &layout)) {
		atomic_store(&geo_ok, true);
		*out = geo_share_ref(keep);
		return 0;
	}
	rc = geo_db_open(path, &layout, &db, err);
	if (rc == 0) {
		atomic_store(&geo_ok, true);
		if (kept != NULL && geo_db_digest(kept) == geo_db_digest(db) &&
		    strcmp(geo_db_path(kept), path) == 0) {
			geo_db_close(db);
			*out = geo_share_ref(keep);
			return 0;
		}
		log_info("geoip: %s: loaded (%s, built at %llu), a private copy of %llu bytes",
			 path, geo_db_type(db), (unsigned long long)geo_db_build_epoch(db),
			 (unsigned long long)geo_db_size(db));
		*out = geo_share_new(db);
		return 0;
	}
	if (rc == GSLB_EINVAL ||
	    (prev != NULL && (prev_path == NULL || strcmp(prev_path, path) != 0)))
		return rc;
	atomic_store(&geo_ok, false);
	atomic_fetch_add(&geo_failures, 1);
	if (kept != NULL) {
		log_err("geoip: %s; keeping the database loaded before (%s, built at %llu)",
			err->msg, geo_db_type(kept), (unsigned long long)geo_db_build_epoch(kept));
		*out = geo_share_ref(keep);
	} else {
		log_err("geoip: %s; serving without a GeoIP database: pools that depend on the "
			"location answer as for clients not in a database until a reload loads one",
			err->msg);
	}
	return 0;
}

/* What load-balanced name n may answer (ZONE_DYN_*): the families and
 * CNAMEs of the datacenters of its pool and the pools it falls back to. */
static uint8_t lbname_types(const struct config *cfg, size_t n)
{
	size_t pool = cfg->lbnames[n].pool;
	uint8_t t = 0;

	for (unsigned hop = 0; hop <= LB_MAX_FALLBACKS && pool < cfg->pool_count; hop++) {
		const struct config_pool *p = &cfg->pools[pool];

		for (size_t i = 0; i < p->dc_count; i++) {
			const struct config_datacenter *dc = &cfg->datacenters[p->dcs[i]];

			if (dc->cname != NULL)
				t |= ZONE_DYN_CNAME;
			if (dc->ipv4_count > 0)
				t |= ZONE_DYN_A;
			if (dc->ipv6_count > 0)
				t |= ZONE_DYN_AAAA;
		}
		if (p->all_down != POOL_ALL_DOWN_FALLBACK)
			break;
		pool = p->fallback;
	}
	return t;
}

/* What zone_set_load() needs of a config: the zones with their
 * load-balanced names and DNSSEC settings (pointing into the config). */
struct sources {
	struct zone_source *src;      /* cfg->zone_count entries */
	struct zone_dynamic *dyn;     /* the load-balanced names, grouped by zone */
	char **where;                 /* their "file:line:col" (owned) */
	size_t used;                  /* entries at dyn and where */
	struct zone_dnssec *sec;      /* per zone */
	struct zone_key_source *keys; /* every zone's keys */
	char **kwhere;                /* their "file:line:col" (owned) */
	size_t kused;                 /* entries at keys and kwhere */
};

/* A secondary zone has nothing to serve until its first transfer is kept
 * in its file, and after it expired (its file then has a sibling
 * FILE.expired, made by the transfer client and removed by the next
 * transfer, so that a restart does not serve expired data either). */
static bool secondary_is_empty(const struct config_zone *z)
{
	char expired[4096];

	if (z->primary_count == 0)
		return false;
	if (access(z->file, R_OK) != 0)
		return true;
	snprintf(expired, sizeof(expired), "%s.expired", z->file);
	return access(expired, F_OK) == 0;
}

/* Is the zone named one of names? */
static bool named(const char *const *names, size_t count, const char *zone)
{
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN];

	if (dname_from_str(zone, a) < 0)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (dname_from_str(names[i], b) >= 0 && dname_equal(a, b))
			return true;
	}
	return false;
}

static void sources_make(const struct config *cfg, const char *const *reread, size_t reread_count,
			 struct sources *s)
{
	size_t key_total = 0;

	memset(s, 0, sizeof(*s));
	s->src = xcalloc(cfg->zone_count + 1, sizeof(*s->src));
	s->dyn = xcalloc(cfg->lbname_count + 1, sizeof(*s->dyn));
	s->where = xcalloc(cfg->lbname_count + 1, sizeof(*s->where));
	for (size_t i = 0; i < cfg->zone_count; i++)
		key_total += cfg->zones[i].key_count;
	s->sec = xcalloc(cfg->zone_count + 1, sizeof(*s->sec));
	s->keys = xcalloc(key_total + 1, sizeof(*s->keys));
	s->kwhere = xcalloc(key_total + 1, sizeof(*s->kwhere));
	/* Group the load-balanced names by zone, in config order. */
	for (size_t i = 0; i < cfg->zone_count; i++) {
		struct zone_source *src = &s->src[i];

		src->origin = cfg->zones[i].name;
		src->path = cfg->zones[i].file;
		src->progress = progress_zone_hook();
		src->reread = named(reread, reread_count, cfg->zones[i].name);
		src->empty = secondary_is_empty(&cfg->zones[i]);
		src->dynamic = s->dyn + s->used;
		if (cfg->zones[i].dnssec) {
			const struct config_zone *z = &cfg->zones[i];
			struct zone_dnssec *sec = &s->sec[i];

			sec->keys = s->keys + s->kused;
			sec->key_count = z->key_count;
			sec->validity = z->sig_validity;
			sec->inception = z->sig_inception;
			sec->refresh = z->sig_refresh;
			sec->jitter = z->sig_jitter;
			sec->nsec3 = z->nsec3;
			sec->iterations = (uint16_t)z->nsec3_iterations;
			sec->salt = z->nsec3_salt;
			sec->salt_len = z->nsec3_salt_len;
			sec->opt_out = z->nsec3_opt_out;
			sec->serial_policy = (enum zone_serial_policy)z->serial_policy;
			for (size_t k = 0; k < z->key_count; k++) {
				s->kwhere[s->kused] = xasprintf("%s:%u:%u", cfg->path,
								z->keys[k].line, z->keys[k].col);
				s->keys[s->kused].path = z->keys[k].file;
				s->keys[s->kused].active = z->keys[k].active;
				s->keys[s->kused].where = s->kwhere[s->kused];
				s->kused++;
			}
			src->dnssec = sec;
		}
		for (size_t n = 0; n < cfg->lbname_count; n++) {
			const struct config_lbname *lb = &cfg->lbnames[n];

			if (lb->zone != i)
				continue;
			s->where[s->used] = xasprintf("%s:%u:%u", cfg->path, lb->line, lb->col);
			s->dyn[s->used].name = lb->name;
			s->dyn[s->used].id = (uint32_t)n;
			s->dyn[s->used].where = s->where[s->used];
			s->dyn[s->used].types = lbname_types(cfg, n);
			s->used++;
			src->dynamic_count++;
		}
	}
}

static void sources_fini(struct sources *s)
{
	for (size_t i = 0; i < s->used; i++)
		free(s->where[i]);
	for (size_t i = 0; i < s->kused; i++)
		free(s->kwhere[i]);
	free(s->where);
	free(s->dyn);
	free(s->src);
	free(s->kwhere);
	free(s->keys);
	free(s->sec);
}

/* Give snap (just made) the signatures of its load-balanced answers,
 * keeping those of prev's (NULL: none) that still hold; frees it on
 * failure. */
static int add_lbsig(struct snapshot **snap, const struct snapshot *prev, struct gslb_err *err)
{
	struct lbsig_table *sigs;
	int rc = lbsig_build((*snap)->config, (*snap)->zones, prev != NULL ? prev->lbsig : NULL,
			     &sigs, err);

	if (rc != 0) {
		snapshot_free(*snap);
		*snap = NULL;
		return rc;
	}
	snapshot_set_lbsig(*snap, sigs);
	return 0;
}

/* Give snap (just made, with its lbsig) its zones' journals: prev's
 * (NULL: none) with the difference of each zone that changed (journal.h). */
static void add_journals(struct snapshot *snap, const struct snapshot *prev)
{
	struct journal **j = journals_next(snap->config, prev != NULL ? prev->zones : NULL,
					   prev != NULL ? prev->lbsig : NULL,
					   prev != NULL ? prev->journals : NULL, snap->zones,
					   snap->lbsig);

	journal_store_sync(snap->config, prev, j, snap->zones);
	snapshot_set_journals(snap, j);
}

int control_load(const char *path, const struct snapshot *prev, struct snapshot **out,
		 struct gslb_err *err)
{
	struct config *cfg = NULL;
	struct zone_set *zones = NULL;
	struct geo_share *geo = NULL;
	struct sources s;
	int rc;

	rc = config_load(path, &cfg, err);
	if (rc != 0)
		return rc;
	sources_make(cfg, NULL, 0, &s);
	/* At start, the serials served before the restart, from the journals. */
	for (size_t i = 0; prev == NULL && i < cfg->zone_count; i++)
		if (s.src[i].dnssec != NULL)
			journal_store_serial_before(cfg, i, &s.sec[i]);
	rc = zone_set_load_prev(s.src, cfg->zone_count, prev != NULL ? prev->zones : NULL, &zones,
				err);
	sources_fini(&s);
	if (rc == 0)
		rc = load_geo(cfg, prev, &geo, err);
	if (rc != 0) {
		zone_set_free(zones);
		config_free(cfg);
		return rc;
	}
	*out = snapshot_new(cfg, zones, geo);
	rc = add_lbsig(out, prev, err);
	if (rc == 0)
		add_journals(*out, prev);
	return rc;
}

int control_load_resign(const struct snapshot *base, struct snapshot **out, struct gslb_err *err)
{
	const struct config *cfg = base->config;
	struct zone_set *zones = NULL;
	struct sources s;
	int rc;

	sources_make(cfg, NULL, 0, &s);
	rc = zone_set_resign(s.src, cfg->zone_count, base->zones, &zones, err);
	sources_fini(&s);
	if (rc != 0)
		return rc;
	*out = snapshot_new_zones(base, zones);
	rc = add_lbsig(out, base, err);
	if (rc == 0)
		add_journals(*out, base);
	return rc;
}

int control_load_zones(const struct snapshot *base, const char *const *names, size_t count,
		       struct snapshot **out, struct gslb_err *err)
{
	const struct config *cfg = base->config;
	struct zone_set *zones = NULL;
	struct sources s;
	int rc;

	for (size_t i = 0; i < count; i++) {
		bool found = false;

		for (size_t z = 0; z < cfg->zone_count && !found; z++)
			found = named(&names[i], 1, cfg->zones[z].name);
		if (!found)
			return gslb_err_setc(err, GSLB_ENOENT, "zone %s is not served", names[i]);
	}
	sources_make(cfg, names, count, &s);
	rc = zone_set_load_prev(s.src, cfg->zone_count, base->zones, &zones, err);
	sources_fini(&s);
	if (rc != 0)
		return rc;
	*out = snapshot_new_zones(base, zones);
	rc = add_lbsig(out, base, err);
	if (rc == 0)
		add_journals(*out, base);
	return rc;
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

void control_load_admin_repair(struct control *c, const struct snapshot *snap)
{
	const char *path = snap->config->state_file;
	struct gslb_err err = { "" };
	char *moved = NULL;

	c->state_problem[0] = '\0';
	if (path == NULL) {
		if (c->admin == NULL)
			c->admin = admin_table_new();
		return;
	}
	if (control_load_admin(c, snap, &err) != 0) {
		/* The overrides in memory (none at start) hold and are written
		 * back at the next change; the bad file is kept for the operator. */
		c->state_errors++;
		if (admin_table_quarantine(path, &moved, &err) == 0)
			log_err("state file unreadable: %s; moved to %s; %s", err.msg, moved,
				c->admin != NULL ? "keeping the overrides in memory"
						 : "starting with no drains or force-ups");
		else
			log_err("state file unreadable: %s; %s", err.msg,
				c->admin != NULL ? "keeping the overrides in memory"
						 : "starting with no drains or force-ups");
		snprintf(c->state_problem, sizeof(c->state_problem), "unreadable: %s", err.msg);
		free(moved);
		if (c->admin == NULL)
			c->admin = admin_table_new();
		else if (admin_table_save(c->admin, path, &err) != 0)
			log_err("state file: %s", err.msg);
	}
}

void control_check_state_dir(struct control *c, const struct config *cfg)
{
	struct gslb_err err = { "" };

	if (cfg->state_file == NULL || admin_table_check_writable(cfg->state_file, &err) == 0)
		return;
	c->state_errors++;
	log_err("state file: %s: drains and force-ups will not survive a restart", err.msg);
	snprintf(c->state_problem, sizeof(c->state_problem), "not writable: %s", err.msg);
}

const char *control_state_problem(const struct control *c)
{
	return c->state_problem[0] != '\0' ? c->state_problem : NULL;
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
	char etag[sizeof(c->probe_config_etag)];

	free(c->probe_config);
	c->probe_config = report_probe_config(cfg, etag);
	/* A new generation whenever probes would see a different config. */
	if (c->probe_config_generation == 0 || strcmp(etag, c->probe_config_etag) != 0)
		c->probe_config_generation++;
	memcpy(c->probe_config_etag, etag, sizeof(etag));
	if (c->boot == 0)
		c->boot = sign_boot_new();
}

/* Carry the probes' replay state over to a reloaded probe list, by id. */
static struct report_peer *remap_probe_ts(const struct control *c, const struct config *old,
					  const struct config *cfg)
{
	struct report_peer *ts = xcalloc(cfg->probe_count + 1, sizeof(*ts));

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
	uint64_t now = gslb_clock_mono_ms(c->clock);

	c->started_ms = now;
	c->reloads.last_success_wall_ms = gslb_clock_wall_ms(c->clock);
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
	c->history = history_new();
	c->clock = &gslb_clock_real;
	return c;
}

void control_set_clock(struct control *c, const struct gslb_clock *clock)
{
	c->clock = clock;
}

void control_free(struct control *c)
{
	if (c == NULL)
		return;
	control_zone_names_free(c->zone_names, c->zone_name_count);
	health_free(c->health);
	load_model_free(c->load);
	free(c->probe_last_ts);
	free(c->probe_config);
	admin_table_free(c->admin);
	free(c->fleet);
	free(c->sig_low);
	history_free(c->history);
	free(c);
}

const char *control_config_path(const struct control *c)
{
	return c->config_path;
}

const char *control_probe_config(const struct control *c, const char **etag,
				 uint64_t *generation, uint64_t *boot)
{
	*etag = c->probe_config_etag;
	*generation = c->probe_config_generation;
	*boot = c->boot;
	return c->probe_config;
}

void control_set_alert_sink(struct control *c, alert_sink_fn *sink, void *arg)
{
	c->alert_sink = sink;
	c->alert_arg = arg;
}

/* Make an alert of event about subject and hand it to the sink. */
static void alert(struct control *c, enum config_alert_event event, const char *subject,
		  const char *reason)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.event = event;
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	snprintf(a.trigger, sizeof(a.trigger), "%s", c->trigger);
	a.wall_ms = gslb_clock_wall_ms(c->clock);
	alert_finish(&a);
	history_event(c->history, &a); /* the status page's history keeps every alert */
	if (c->alert_sink != NULL)
		c->alert_sink(&a, c->alert_arg);
}

/* Is every datacenter of pool p down in states? */
static bool pool_all_down(const struct config_pool *p, const uint8_t *states)
{
	for (size_t i = 0; i < p->dc_count; i++) {
		if (states[p->dcs[i]] == DC_STATE_UP)
			return false;
	}
	return true;
}

/* Alerts for what changed from the states old to new. */
static void alert_states(struct control *c, const struct config *cfg, const uint8_t *old,
			 const uint8_t *new_states)
{
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const char *name = cfg->datacenters[i].name;
		enum admin_state st;
		char why[160];

		if (new_states[i] == old[i])
			continue;
		st = admin_table_get(c->admin, name, NULL);
		snprintf(why, sizeof(why), "%s",
			 st == ADMIN_DRAIN      ? "drained by operator"
			 : st == ADMIN_FORCE_UP ? "forced up by operator"
			 : c->health != NULL    ? health_dc_reason(c->health, i)
						: "admin");
		alert(c, new_states[i] == DC_STATE_UP ? CONFIG_ALERT_UP : CONFIG_ALERT_DOWN, name,
		      why);
	}
	for (size_t p = 0; p < cfg->pool_count; p++) {
		bool was = pool_all_down(&cfg->pools[p], old);
		bool is = pool_all_down(&cfg->pools[p], new_states);

		if (was != is)
			alert(c, is ? CONFIG_ALERT_FAIL_OPEN : CONFIG_ALERT_FAIL_CLOSED,
			      cfg->pools[p].name,
			      is ? "every datacenter of the pool is down"
				 : "a datacenter of the pool is answered again");
	}
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
		snap->latency = measured_build(c, cur->config, gslb_clock_mono_ms(c->clock));
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
	alert_states(c, cur->config, cur->dc_state, snap->dc_state);
	snapshot_publish(snap);
}

bool control_publish_maps(struct control *c, const struct snapshot_maps *m)
{
	const struct snapshot *cur = snapshot_current();
	size_t n = cur->config->datacenter_count;
	struct snapshot *snap;

	if (!snapshot_maps_fit(cur, m))
		return false;
	/* the states served now: drains and health changes since the build began hold */
	snap = snapshot_with_maps(
	    cur, m, xmalloc(n + 1),
	    cur->latency != NULL ? measured_build(c, cur->config, gslb_clock_mono_ms(c->clock)) : NULL);
	memcpy(snap->dc_state, cur->dc_state, n + 1);
	snapshot_publish(snap);
	if (snap->maps != NULL)
		log_info("GeoIP decisions: generation %llu answers from the compiled maps",
			 (unsigned long long)snap->generation);
	else
		log_info("GeoIP decisions: generation %llu has no maps (none compiled) and "
			 "looks clients up",
			 (unsigned long long)snap->generation);
	return true;
}

/* A report was accepted: the probes are not all stale any more. */
static void probes_fresh(struct control *c)
{
	if (c->probes_stale)
		alert(c, CONFIG_ALERT_PROBES_FRESH, "", "a probe reports again");
	c->probes_stale = false;
}

enum report_verdict control_report(struct control *c, const struct report_auth *auth,
				   const void *body, size_t len, size_t *accepted, char *why,
				   size_t why_len)
{
	const struct config *cfg = snapshot_current()->config;
	struct health_result *results = NULL;
	enum report_verdict v;
	size_t probe = 0, count = 0;
	uint64_t cycle = 0;
	struct sign_stamp st = {0, 0, 0};
	uint64_t now = gslb_clock_mono_ms(c->clock);
	bool changed;

	*accepted = 0;
	v = report_verify(cfg, "POST", PROBE_PROTO_PATH_REPORTS, auth, body, len,
			  gslb_clock_wall_ms(c->clock), now, c->probe_last_ts, &probe, &st, why,
			  why_len);
	if (v == REPORT_OK)
		v = report_parse(cfg, probe, body, len, &cycle, &results, &count, c->report_skips,
				 why, why_len);
	c->reports[v]++;
	if (v != REPORT_OK)
		return v;
	report_peer_accept(&c->probe_last_ts[probe], &st, now);
	*accepted = count;
	/* What the probe observed, named alike on every gslbd it reports to:
	 * its boot id and report cycle (each server's copy has its own seq and
	 * time). Without a cycle, the copy's time. */
	if (cycle > 0)
		snprintf(c->trigger, sizeof(c->trigger), "report:%s:%016llx:%llu",
			 cfg->probes[probe].id, (unsigned long long)st.boot,
			 (unsigned long long)cycle);
	else
		snprintf(c->trigger, sizeof(c->trigger), "report:%s:%llu", cfg->probes[probe].id,
			 (unsigned long long)st.ts_ms);
	probes_fresh(c);
	changed = health_report(c->health, probe, results, count, now);
	if (load_update(c, cfg, now))
		changed = true;
	if (changed)
		publish_states(c);
	report_results_free(results, count);
	return REPORT_OK;
}

const char *control_resign_due(const struct snapshot *snap, uint32_t now)
{
	const struct config *cfg = snap->config;

	for (size_t i = 0; i < cfg->zone_count && i < zone_set_count(snap->zones); i++) {
		uint32_t expire = zone_sig_expire(zone_set_zone(snap->zones, i));

		/* Serial arithmetic: the clock and the stamps are modulo 2^32. */
		if (expire != 0 && (int32_t)(expire - now) <= (int32_t)cfg->zones[i].sig_refresh)
			return cfg->zones[i].name;
	}
	return NULL;
}

void control_tick(struct control *c)
{
	const struct config *cfg = snapshot_current()->config;
	uint64_t now = gslb_clock_mono_ms(c->clock);
	/* Stale only once the probes have had the time to report. */
	bool stale = cfg->probe_count > 0 && c->health != NULL &&
		     now > c->started_ms + cfg->health_freshness_ms;
	bool changed;

	/* The cause of what a tick changes: time, by the second. */
	snprintf(c->trigger, sizeof(c->trigger), "tick:%llu",
		 (unsigned long long)(gslb_clock_wall_ms(c->clock) / 1000));
	for (size_t p = 0; stale && p < cfg->probe_count; p++) {
		uint64_t age = health_probe_age_ms(c->health, p, now);

		stale = age == UINT64_MAX || age > cfg->health_freshness_ms;
	}
	if (stale && !c->probes_stale)
		alert(c, CONFIG_ALERT_PROBES_STALE, "",
		      "no probe has reported for longer than health.freshness");
	c->probes_stale = stale;
	control_dnssec_check(c, snapshot_current(),
			     (uint32_t)(gslb_clock_wall_ms(c->clock) / 1000));
	(void)history_sample(c->history, snapshot_current(), c->admin, gslb_clock_wall_ms(c->clock));
	if (c->health == NULL)
		return;
	changed = health_tick(c->health, now);
	if (load_update(c, cfg, now))
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

const char *control_reload_kind_name(enum control_reload_kind k)
{
	static const char *const names[CONTROL_RELOAD_KINDS] = {"sighup", "api", "resign", "zone",
								 "catalog"};

	return k < CONTROL_RELOAD_KINDS ? names[k] : "?";
}

int control_reload_prepare(const char *path, enum control_reload_kind kind,
			   const struct snapshot *base, const char *const *names, size_t count,
			   struct snapshot **out, struct gslb_err *err)
{
	if (kind == CONTROL_RELOAD_RESIGN)
		return control_load_resign(base, out, err);
	if (kind == CONTROL_RELOAD_ZONE)
		return control_load_zones(base, names, count, out, err);
	return control_load(path, base, out, err);
}

void control_take_zone_names(struct control *c, char ***names, size_t *count)
{
	*names = c->zone_names;
	*count = c->zone_name_count;
	c->zone_names = NULL;
	c->zone_name_count = 0;
}

void control_zone_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

void control_reload_started(struct control *c, enum control_reload_kind kind)
{
	progress_begin();
	c->reloads.in_progress = true;
	c->reloads.running = kind;
	c->reloads.started_wall_ms = gslb_clock_wall_ms(c->clock);
}

/* Keep the outcome of a reload for status and metrics; alert a failure. */
static void reload_record(struct control *c, enum control_reload_kind kind, bool ok,
			  const char *reason)
{
	struct control_reloads *r = &c->reloads;
	uint64_t now = gslb_clock_wall_ms(c->clock);

	r->runs[kind][ok ? 0 : 1]++;
	r->has_last = true;
	r->last_kind = kind;
	r->last_ok = ok;
	snprintf(r->last_reason, sizeof(r->last_reason), "%s", ok ? "" : reason);
	r->last_wall_ms = now;
	r->last_duration_ms =
	    r->in_progress && now >= r->started_wall_ms ? now - r->started_wall_ms : 0;
	r->in_progress = false;
	progress_end();
	if (ok) {
		r->last_success_wall_ms = now;
		return;
	}
	r->failures++;
	snprintf(c->trigger, sizeof(c->trigger), "reload:%s:%llu", control_reload_kind_name(kind),
		 (unsigned long long)(now / 1000));
	alert(c, CONFIG_ALERT_RELOAD_FAILED, control_reload_kind_name(kind), reason);
}

int control_reload_finish(struct control *c, enum control_reload_kind kind,
			  struct snapshot *snap, int rc, struct gslb_err *err)
{
	const struct snapshot *old = snapshot_current();
	bool resign = kind == CONTROL_RELOAD_RESIGN;
	/* The running config kept: re-signing, or zones read again. */
	bool same_config = resign || kind == CONTROL_RELOAD_ZONE;

	if (rc != 0) {
		log_err("%s failed: %s; keeping generation %llu",
			resign ? "DNSSEC: re-signing" : "reload", err->msg,
			(unsigned long long)old->generation);
		reload_record(c, kind, false, err->msg);
		return rc;
	}
	if (!same_config) {
		control_load_admin_repair(c, snap);
		control_check_state_dir(c, snap->config);
	}
	if (c->health != NULL) {
		if (!same_config) {
			struct report_peer *ts = remap_probe_ts(c, old->config, snap->config);

			free(c->probe_last_ts);
			c->probe_last_ts = ts;
			health_reconfigure(c->health, snap->config, gslb_clock_mono_ms(c->clock));
			load_model_reconfigure(c->load, snap->config);
			(void)load_update(c, snap->config, gslb_clock_mono_ms(c->clock));
			make_probe_config(c, snap->config);
		}
		snap->latency = measured_build(c, snap->config, gslb_clock_mono_ms(c->clock));
	}
	control_apply_states(c, snap);
	if (!same_config) {
		if (!c->debug)
			log_set_level(snap->config->log_level);
		metrics_bump_epoch();
	}
	snapshot_publish(snap);
	reload_record(c, kind, true, "");
	if (resign)
		log_info("DNSSEC: zones signed again: generation=%llu in %llu ms",
			 (unsigned long long)snap->generation,
			 (unsigned long long)c->reloads.last_duration_ms);
	else
		log_info("reload: ok generation=%llu zones=%zu records=%zu names=%zu "
			 "datacenters=%zu in %llu ms (%s; zones read: %zu); by parts: %zu, "
			 "in full after trying by parts: %zu",
			 (unsigned long long)snap->generation, zone_set_count(snap->zones),
			 total_records(snap->zones), snap->config->lbname_count,
			 snap->config->datacenter_count,
			 (unsigned long long)c->reloads.last_duration_ms,
			 control_reload_kind_name(kind), zone_set_read_count(snap->zones),
			 zone_set_parts_count(snap->zones), zone_set_full_count(snap->zones));
	return 0;
}

int control_reload_kind(struct control *c, enum control_reload_kind kind, struct gslb_err *err)
{
	const struct snapshot *base = snapshot_current();
	struct snapshot *snap = NULL;
	int rc;

	char **names = NULL;
	size_t count = 0;

	control_reload_started(c, kind);
	if (kind == CONTROL_RELOAD_ZONE)
		control_take_zone_names(c, &names, &count);
	rc = control_reload_prepare(c->config_path, kind, base, (const char *const *)names, count,
				    &snap, err);
	control_zone_names_free(names, count);
	return control_reload_finish(c, kind, snap, rc, err);
}

int control_reload(struct control *c, struct gslb_err *err)
{
	return control_reload_kind(c, CONTROL_RELOAD_SIGHUP, err);
}

void control_set_reloader(struct control *c, control_reload_request_fn *fn, void *arg)
{
	c->reloader = fn;
	c->reloader_arg = arg;
}

void control_reload_request(struct control *c, enum control_reload_kind kind,
			    control_reload_done_fn *done, void *done_arg)
{
	struct gslb_err err = {""};
	int rc;

	if (c->reloader != NULL) {
		c->reloader(c->reloader_arg, kind, done, done_arg);
		return;
	}
	rc = control_reload_kind(c, kind, &err);
	if (done != NULL)
		done(done_arg, rc, rc != 0 ? err.msg : "", snapshot_current()->generation);
}

void control_reload_zone(struct control *c, const char *name, control_reload_done_fn *done,
			 void *done_arg)
{
	const struct config *cfg = snapshot_current()->config;
	bool found = false;
	char msg[300];

	for (size_t z = 0; z < cfg->zone_count && !found; z++)
		found = named(&name, 1, cfg->zones[z].name);
	if (!found) {
		snprintf(msg, sizeof(msg), "zone %s is not served", name);
		if (done != NULL)
			done(done_arg, GSLB_ENOENT, msg, snapshot_current()->generation);
		return;
	}
	if (!named((const char *const *)c->zone_names, c->zone_name_count, name)) {
		c->zone_names = xreallocarray(c->zone_names, c->zone_name_count + 1,
					      sizeof(*c->zone_names));
		c->zone_names[c->zone_name_count++] = xstrdup(name);
	}
	control_reload_request(c, CONTROL_RELOAD_ZONE, done, done_arg);
}

void control_dnssec_check(struct control *c, const struct snapshot *snap, uint32_t now)
{
	const struct config *cfg = snap->config;
	size_t n = zone_set_count(snap->zones);

	if (c->sig_zones != snap->zones) {
		free(c->sig_low);
		c->sig_low = xcalloc(n + 1, sizeof(*c->sig_low));
		c->sig_zones = snap->zones;
	}
	for (size_t i = 0; i < cfg->zone_count && i < n; i++) {
		uint32_t expire = zone_sig_expire(zone_set_zone(snap->zones, i));
		int32_t left = (int32_t)(expire - now); /* serial arithmetic, as above */
		bool low = expire != 0 && left < (int32_t)(cfg->zones[i].sig_refresh / 2);
		char why[160];

		if (low && !c->sig_low[i]) {
			snprintf(why, sizeof(why),
				 "the earliest signature expires in %lds, under half of "
				 "dnssec.refresh (%lus): re-signing has not happened",
				 (long)left, (unsigned long)cfg->zones[i].sig_refresh);
			log_err("DNSSEC: zone %s: %s", cfg->zones[i].name, why);
			snprintf(c->trigger, sizeof(c->trigger), "tick:%lu", (unsigned long)now);
			alert(c, CONFIG_ALERT_SIGNATURES_EXPIRING, cfg->zones[i].name, why);
		}
		c->sig_low[i] = low;
	}
}

void control_set_fleet_writer(struct control *c, fleet_write_fn *write, void *arg)
{
	c->fleet_write = write;
	c->fleet_arg = arg;
	c->fleet_st.enabled = write != NULL;
}

void control_fleet_status_set(struct control *c, const struct fleet_status *st)
{
	bool was = c->fleet_st.connected;

	c->fleet_st = *st;
	c->fleet_st.enabled = true;
	if (was && !st->connected)
		log_warn("etcd: unreachable: the last state read holds (revision %lld)",
			 (long long)st->revision);
	else if (!was && st->connected)
		log_info("etcd: connected (revision %lld)", (long long)st->revision);
}

const struct fleet_status *control_fleet_status(const struct control *c)
{
	return &c->fleet_st;
}

const struct fleet_entry *control_fleet_entry(const struct control *c, const char *dc)
{
	for (size_t i = 0; i < c->fleet_count; i++) {
		if (strcmp(c->fleet[i].dc, dc) == 0)
			return &c->fleet[i];
	}
	return NULL;
}

int64_t control_fleet_revision(const struct control *c, const char *dc)
{
	const struct fleet_entry *e = control_fleet_entry(c, dc);

	return e != NULL ? e->mod_revision : 0;
}

/* The alert trigger of a change of dc's override to st that the fleet's
 * store holds at revision: what every gslbd of the fleet derives from the
 * same store entry, whether it wrote it, read it at its next poll or
 * caught up after a restart. */
static void fleet_trigger(struct control *c, const char *dc, enum admin_state st, int64_t revision)
{
	snprintf(c->trigger, sizeof(c->trigger), "admin:%s:%s:r%lld", dc, admin_state_name(st),
		 (long long)revision);
}

/* Apply one change of dc's override to st (since since_ms) as its own
 * step: the override's alert, then the states it changed, published, with
 * c->trigger set by the caller. */
static void fleet_step(struct control *c, const char *dc, enum admin_state st, uint64_t since_ms)
{
	if (!admin_table_set(c->admin, dc, st, since_ms))
		return;
	alert(c,
	      st == ADMIN_DRAIN      ? CONFIG_ALERT_DRAINED
	      : st == ADMIN_FORCE_UP ? CONFIG_ALERT_FORCED_UP
				     : CONFIG_ALERT_UNDRAINED,
	      dc, st == ADMIN_NONE ? "override removed by operator" : "set by operator");
	publish_states(c);
}

static int by_revision(const void *a, const void *b)
{
	const struct fleet_entry *x = *(const struct fleet_entry *const *)a;
	const struct fleet_entry *y = *(const struct fleet_entry *const *)b;

	return x->mod_revision < y->mod_revision ? -1 : x->mod_revision > y->mod_revision;
}

void control_fleet_apply(struct control *c, const struct fleet_entry *e, size_t n,
			 int64_t revision)
{
	const struct config *cfg = snapshot_current()->config;
	struct admin_table *t = admin_table_new(), *old;
	const struct fleet_entry **order = xcalloc(n + 1, sizeof(*order));
	struct gslb_err err = {""};

	/* A read that started before this gslbd's own last write returned
	 * would undo it here for a poll: skip it, the next read has the write
	 * (once only: a store rebuilt from scratch starts its revisions
	 * again). */
	if (revision < c->fleet_wrote_rev) {
		c->fleet_wrote_rev = 0;
		free(order);
		admin_table_free(t);
		return;
	}
	c->fleet_wrote_rev = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].state != ADMIN_NONE)
			admin_table_set(t, e[i].dc, e[i].state, e[i].since_ms);
		order[i] = &e[i];
	}
	c->fleet_st.synced = true;
	c->fleet_st.revision = revision;
	/* Each change on its own, in the order the store took them (an
	 * override's key keeps its revision, an undrain too), so that the
	 * alerts of a change, the states it changed among them, carry its
	 * trigger as on the gslbd that wrote it, however many changes one
	 * read brings. */
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		/* Overrides the store does not hold at all (written before the
		 * fleet had a store, or a key deleted): removed first. */
		const char *dc = cfg->datacenters[i].name;
		uint64_t since = 0;
		enum admin_state before = admin_table_get(c->admin, dc, &since);
		bool held = false;

		for (size_t k = 0; k < n && !held; k++)
			held = strcmp(e[k].dc, dc) == 0;
		if (held || before == ADMIN_NONE)
			continue;
		log_info("etcd: datacenter=%s override=none (revision %lld)", dc,
			 (long long)revision);
		snprintf(c->trigger, sizeof(c->trigger), "admin:%s:none:%llu", dc,
			 (unsigned long long)since);
		fleet_step(c, dc, ADMIN_NONE, 0);
	}
	qsort(order, n, sizeof(*order), by_revision);
	for (size_t i = 0; i < n; i++) {
		const struct fleet_entry *f = order[i];

		if (config_datacenter_find(cfg, f->dc) < 0 ||
		    admin_table_get(c->admin, f->dc, NULL) == f->state)
			continue;
		log_info("etcd: datacenter=%s override=%s (revision %lld)", f->dc,
			 admin_state_name(f->state), (long long)f->mod_revision);
		fleet_trigger(c, f->dc, f->state, f->mod_revision);
		fleet_step(c, f->dc, f->state, f->since_ms);
	}
	free(order);
	free(c->fleet);
	c->fleet = n > 0 ? xcalloc(n, sizeof(*c->fleet)) : NULL;
	if (n > 0)
		memcpy(c->fleet, e, n * sizeof(*e));
	c->fleet_count = n;
	/* The store's state whole, datacenters of no configuration included. */
	old = c->admin;
	c->admin = t;
	admin_table_free(old);
	if (cfg->state_file != NULL && admin_table_save(c->admin, cfg->state_file, &err) != 0)
		log_err("etcd: local copy not saved: %s", err.msg);
	publish_states(c);
}

/* Record what this gslbd just wrote to the store at revision, so that its
 * next write expects that revision before its reader has read it. */
static void fleet_wrote(struct control *c, const char *dc, enum admin_state st, uint64_t since_ms,
			const char *author, const char *reason, int64_t revision)
{
	struct fleet_entry *f = NULL;

	for (size_t i = 0; i < c->fleet_count && f == NULL; i++) {
		if (strcmp(c->fleet[i].dc, dc) == 0)
			f = &c->fleet[i];
	}
	if (f == NULL) {
		c->fleet = xreallocarray(c->fleet, c->fleet_count + 1, sizeof(*c->fleet));
		f = &c->fleet[c->fleet_count++];
		memset(f, 0, sizeof(*f));
		snprintf(f->dc, sizeof(f->dc), "%s", dc);
	}
	c->fleet_wrote_rev = revision;
	if (revision < f->mod_revision)
		return; /* the reader was quicker */
	f->state = st;
	f->since_ms = since_ms;
	f->mod_revision = revision;
	snprintf(f->author, sizeof(f->author), "%s", author != NULL ? author : "");
	snprintf(f->reason, sizeof(f->reason), "%s", reason != NULL ? reason : "");
}

int control_admin_set(struct control *c, const char *dc, enum admin_state st,
		      struct gslb_err *err)
{
	return control_admin_set_rev(c, dc, st, -1, NULL, NULL, err);
}

int control_admin_set_rev(struct control *c, const char *dc, enum admin_state st,
			  int64_t expect, const char *author, const char *reason,
			  struct gslb_err *err)
{
	const struct snapshot *cur = snapshot_current();
	const struct config *cfg = cur->config;
	uint64_t now_ms = gslb_clock_wall_ms(c->clock), removed_since = 0;
	int64_t revision = 0;
	int rc = 0;

	if (config_datacenter_find(cfg, dc) < 0)
		return gslb_err_setc(err, GSLB_ENOENT, "no datacenter '%s'", dc);
	if (c->fleet_write != NULL) {
		/* The fleet's store first: nothing applies here unless it took it. */
		rc = c->fleet_write(c->fleet_arg, dc, st, now_ms, author, reason,
				    expect >= 0 ? expect : control_fleet_revision(c, dc), &revision,
				    err);
		if (rc != 0)
			return rc;
		fleet_wrote(c, dc, st, now_ms, author, reason, revision);
	}
	/* An override removed is known by the time of the one it removes: the
	 * same on every server of a fleet. */
	(void)admin_table_get(c->admin, dc, &removed_since);
	if (!admin_table_set(c->admin, dc, st, now_ms))
		return 0;
	log_info("admin: datacenter=%s override=%s", dc, admin_state_name(st));
	{
		uint64_t since = st == ADMIN_NONE ? removed_since : now_ms;

		/* With a store, the revision it took the change at: what the
		 * other gslbd derive when they read it. */
		if (c->fleet_write != NULL)
			fleet_trigger(c, dc, st, revision);
		else
			snprintf(c->trigger, sizeof(c->trigger), "admin:%s:%s:%llu", dc,
				 admin_state_name(st), (unsigned long long)since);
		alert(c,
		      st == ADMIN_DRAIN      ? CONFIG_ALERT_DRAINED
		      : st == ADMIN_FORCE_UP ? CONFIG_ALERT_FORCED_UP
					     : CONFIG_ALERT_UNDRAINED,
		      dc, st == ADMIN_NONE ? "override removed by operator" : "set by operator");
	}
	if (cfg->state_file != NULL) {
		rc = admin_table_save(c->admin, cfg->state_file, err);
		if (rc != 0)
			log_err("admin: state not saved: %s", err->msg);
		else
			c->state_problem[0] = '\0'; /* written: readable and writable again */
	}
	publish_states(c);
	return rc;
}

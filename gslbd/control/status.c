#include <config.h>

#include "gslbd/control/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/control-internal.h"
#include "gslbd/control/health.h"
#include "gslbd/control/history.h"
#include "gslbd/control/load.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/progress.h"
#include "gslbd/control/report.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

/* The reloads: the one running, the last one's outcome, the counts. */
static json_t *reload_json(const struct control *ctl)
{
	const struct control_reloads *r = &ctl->reloads;
	json_t *o = json_pack("{s:b, s:I, s:I}", "in_progress", r->in_progress, "failures",
			      (json_int_t)r->failures, "last_success_ms",
			      (json_int_t)r->last_success_wall_ms);

	if (r->in_progress) {
		struct progress_state ps;
		json_t *run = json_pack("{s:s, s:I}", "kind", control_reload_kind_name(r->running),
					"since_ms", (json_int_t)r->started_wall_ms);

		/* What it is doing: the phase and its counts. */
		if (progress_get(&ps)) {
			char text[400];

			progress_format(&ps, text, sizeof(text));
			json_object_set_new(
			    run, "progress",
			    json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "phase", ps.phase,
				      "subject", ps.subject, "done", (json_int_t)ps.done, "total",
				      (json_int_t)ps.total, "unit", ps.unit, "text", text));
		}
		json_object_set_new(o, "running", run);
	}
	if (r->has_last) {
		json_t *l = json_pack("{s:s, s:s, s:I, s:I}", "kind",
				      control_reload_kind_name(r->last_kind), "result",
				      r->last_ok ? "ok" : "failed", "time_ms",
				      (json_int_t)r->last_wall_ms, "duration_ms",
				      (json_int_t)r->last_duration_ms);

		if (!r->last_ok)
			json_object_set_new(l, "reason", json_string(r->last_reason));
		json_object_set_new(o, "last", l);
	}
	return o;
}

static const char *health_state_label(const struct control *ctl, size_t dc)
{
	if (ctl->health == NULL)
		return "unknown";
	switch (health_dc_state(ctl->health, dc)) {
	case HEALTH_UP:
		return "up";
	case HEALTH_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

/* What every probe says of datacenter dc. */
static json_t *pair_views(const struct control *ctl, const struct config *cfg, size_t dc,
			  uint64_t now)
{
	json_t *arr = json_array();

	for (size_t p = 0; ctl->health != NULL && p < cfg->probe_count; p++) {
		struct health_pair_view v;
		json_t *o;

		health_pair(ctl->health, p, dc, now, &v);
		if (!v.has_result)
			continue;
		o = json_pack("{s:s, s:s, s:s, s:b, s:I, s:b, s:i}", "probe", cfg->probes[p].id,
			      "region", cfg->probes[p].region, "verdict",
			      v.verdict == HEALTH_UP     ? "up"
			      : v.verdict == HEALTH_DOWN ? "down"
							 : "unknown",
			      "fresh", v.fresh, "age_ms", (json_int_t)v.age_ms, "last_ok",
			      v.last_ok, "last_status", v.last_status);
		json_object_set_new(o, "rtt_ms", v.rtt_ms >= 0 ? json_real(v.rtt_ms) : json_null());
		if (v.last_error != NULL)
			json_object_set_new(o, "last_error", json_string(v.last_error));
		if (v.has_load)
			json_object_set_new(o, "load", json_real(v.load));
		else if (v.load_error != NULL)
			json_object_set_new(o, "load_error", json_string(v.load_error));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Mean smoothed RTT to dc of the fresh probes of region, or -1. */
static double region_rtt(const struct control *ctl, const struct config *cfg, const char *region,
			 size_t dc, uint64_t now)
{
	double sum = 0;
	unsigned n = 0;

	for (size_t p = 0; ctl->health != NULL && p < cfg->probe_count; p++) {
		struct health_pair_view v;

		if (strcmp(cfg->probes[p].region, region) != 0)
			continue;
		health_pair(ctl->health, p, dc, now, &v);
		if (v.fresh && v.rtt_ms >= 0) {
			sum += v.rtt_ms;
			n++;
		}
	}
	return n > 0 ? sum / n : -1;
}

json_t *status_json(const struct control *ctl, const struct snapshot *snap, uint64_t now)
{
	const struct config *cfg = snap->config;
	json_t *dcs = json_array(), *zones = json_array(), *names = json_array();
	json_t *probes = json_array(), *latency = json_object(), *least = json_array();

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];
		uint64_t since;
		enum admin_state st = admin_table_get(ctl->admin, dc->name, &since);
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s}", "name", dc->name, "region", dc->region,
			      "state", snap->dc_state[i] == DC_STATE_UP ? "up" : "down", "admin",
			      admin_state_name(st));

		if (st != ADMIN_NONE)
			json_object_set_new(o, "admin_since_ms", json_integer((json_int_t)since));
		if (ctl->fleet_st.enabled) {
			const struct fleet_entry *fe = control_fleet_entry(ctl, dc->name);

			/* What an operator passes back as ?revision= to change it. */
			json_object_set_new(o, "admin_revision",
					    json_integer(fe != NULL ? fe->mod_revision : 0));
			/* Who set the override and why; an override removed
			 * keeps only its revision. */
			if (fe != NULL && fe->state == ADMIN_NONE)
				fe = NULL;
			if (fe != NULL && fe->author[0] != '\0')
				json_object_set_new(o, "admin_author", json_string(fe->author));
			if (fe != NULL && fe->reason[0] != '\0')
				json_object_set_new(o, "admin_reason", json_string(fe->reason));
		}
		json_object_set_new(o, "health", json_string(health_state_label(ctl, i)));
		json_object_set_new(o, "reason",
				    json_string(st == ADMIN_DRAIN      ? "drained by operator"
						: st == ADMIN_FORCE_UP ? "forced up by operator"
						: ctl->health != NULL
						    ? health_dc_reason(ctl->health, i)
						    : "no health data yet"));
		if (dc->capacity > 0.0) {
			struct health_load hl = {0, 0, 0};
			bool known =
			    ctl->health != NULL && health_dc_load(ctl->health, i, now, &hl);
			double util = ctl->load != NULL ? load_model_util(ctl->load, i) : -1.0;
			json_t *lo = json_pack(
			    "{s:f, s:i, s:f}", "capacity", dc->capacity, "samples", (int)hl.samples,
			    "share", ctl->load != NULL ? load_model_share(ctl->load, i) : 1.0);

			json_object_set_new(lo, "load", known ? json_real(hl.load) : json_null());
			json_object_set_new(lo, "utilisation",
					    util >= 0 ? json_real(util) : json_null());
			json_object_set_new(o, "load", lo);
		}
		json_object_set_new(o, "probes", pair_views(ctl, cfg, i, now));
		json_array_append_new(dcs, o);
	}
	for (size_t p = 0; p < cfg->probe_count; p++) {
		uint64_t age =
		    ctl->health != NULL ? health_probe_age_ms(ctl->health, p, now) : UINT64_MAX;
		json_t *o = json_pack("{s:s, s:s}", "id", cfg->probes[p].id, "region",
				      cfg->probes[p].region);

		json_object_set_new(o, "last_report_age_ms",
				    age == UINT64_MAX ? json_null()
						      : json_integer((json_int_t)age));
		json_array_append_new(probes, o);
	}
	/* Each region's ranking as DNS uses it (the snapshot's), with the
	 * current smoothed RTTs: the snapshot's own RTTs date from the last
	 * change of order. */
	for (size_t r = 0; snap->latency != NULL && r < snap->latency->region_count; r++) {
		const struct latency_region *reg = &snap->latency->regions[r];
		json_t *order = json_array();

		for (size_t k = 0; k < reg->order_count; k++) {
			double rtt = region_rtt(ctl, cfg, reg->name, reg->order[k], now);

			json_array_append_new(
			    order, json_pack("{s:s, s:o}", "datacenter",
					     cfg->datacenters[reg->order[k]].name, "rtt_ms",
					     rtt >= 0 ? json_real(rtt) : json_null()));
		}
		json_object_set_new(latency, reg->name, order);
	}
	for (size_t i = 0; i < zone_set_count(snap->zones); i++) {
		const struct zone *z = zone_set_zone(snap->zones, i);
		char name[DNAME_STRLEN];

		dname_to_str(zone_origin(z), name, sizeof(name));
		json_t *zo = json_pack("{s:s, s:I, s:I}", "name", name, "serial",
				       (json_int_t)zone_serial(z), "records",
				       (json_int_t)zone_rr_count(z));

		if (zone_sig_expire(z) != 0)
			json_object_set_new(zo, "signatures_expire",
					    json_integer((json_int_t)zone_sig_expire(z)));
		json_array_append_new(zones, zo);
	}
	for (size_t i = 0; i < cfg->lbname_count; i++)
		json_array_append_new(names,
				      json_pack("{s:s, s:s}", "name", cfg->lbnames[i].name, "pool",
						cfg->pools[cfg->lbnames[i].pool].name));
	/* The least_load ranking as DNS uses it (the snapshot's). */
	for (size_t k = 0; snap->latency != NULL && k < snap->latency->load_order_count; k++)
		json_array_append_new(
		    least, json_string(cfg->datacenters[snap->latency->load_order[k]].name));
	{
		json_t *st = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "generation",
				       (json_int_t)snap->generation, "datacenters", dcs, "zones", zones,
				       "names", names, "probes", probes, "latency", latency,
				       "least_load", least);
		const struct fleet_status *f = &ctl->fleet_st;

		if (cfg->state_file != NULL)
			json_object_set_new(
			    st, "state_file",
			    json_pack("{s:s, s:b, s:s?}", "path", cfg->state_file, "ok",
				      control_state_problem(ctl) == NULL, "problem",
				      control_state_problem(ctl)));

		json_object_set_new(st, "reload", reload_json(ctl));
		if (f->enabled)
			json_object_set_new(
			    st, "etcd",
			    json_pack("{s:b, s:b, s:I, s:I, s:s}", "connected", f->connected, "synced",
				      f->synced, "revision", (json_int_t)f->revision, "errors",
				      (json_int_t)f->errors, "state",
				      !f->synced      ? "local copy: not read from etcd yet"
				      : f->connected ? "in sync with the fleet"
						     : "etcd unreachable: the last state read holds"));
		return st;
	}
}

json_t *status_history_json(const struct control *ctl, const struct snapshot *snap,
			    uint64_t now_ms)
{
	return history_json(ctl->history, snap, ctl->admin, now_ms);
}

static void prom_escape(FILE *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(b, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", b);
		else
			fputc(*s, b);
	}
}

/* The zone label of metrics row z (METRICS_MAX_ZONES: no zone, "(none)")
 * into buf; false for rows no zone has. */
static bool zone_label(const struct snapshot *snap, size_t z, char *buf, size_t len)
{
	if (z < METRICS_MAX_ZONES && z >= zone_set_count(snap->zones))
		return false;
	if (z < METRICS_MAX_ZONES)
		dname_to_str(zone_origin(zone_set_zone(snap->zones, z)), buf, len);
	else
		snprintf(buf, len, "(none)");
	return true;
}

/* The series dashboards draw over time: pools (membership, datacenters
 * answered, how answers came about), operators' overrides, and what each
 * probe says of each datacenter. */
static void dashboard_metrics(FILE *b, const struct control *ctl, const struct snapshot *snap,
			      const struct metrics_shard *sum, uint64_t now)
{
	const struct config *cfg = snap->config;
	static const enum admin_state overrides[2] = {ADMIN_DRAIN, ADMIN_FORCE_UP};

	fprintf(b, "# HELP gslbd_pool_datacenter_info The datacenters of each pool (always 1).\n"
		   "# TYPE gslbd_pool_datacenter_info gauge\n");
	for (size_t p = 0; p < cfg->pool_count; p++) {
		for (size_t k = 0; k < cfg->pools[p].dc_count; k++) {
			fprintf(b, "gslbd_pool_datacenter_info{pool=\"");
			prom_escape(b, cfg->pools[p].name);
			fprintf(b, "\",datacenter=\"");
			prom_escape(b, cfg->datacenters[cfg->pools[p].dcs[k]].name);
			fprintf(b, "\"} 1\n");
		}
	}
	fprintf(b, "# HELP gslbd_pool_datacenters_up Datacenters of the pool that may be "
		   "answered (0: the pool fails open, falls back or answers empty).\n"
		   "# TYPE gslbd_pool_datacenters_up gauge\n");
	for (size_t p = 0; p < cfg->pool_count; p++) {
		unsigned up = 0;

		for (size_t k = 0; k < cfg->pools[p].dc_count; k++)
			up += snap->dc_state[cfg->pools[p].dcs[k]] == DC_STATE_UP;
		fprintf(b, "gslbd_pool_datacenters_up{pool=\"");
		prom_escape(b, cfg->pools[p].name);
		fprintf(b, "\"} %u\n", up);
	}
	fprintf(b, "# HELP gslbd_pool_answers_total Load-balanced answers by the name's pool "
		   "and outcome: preferred (its own healthy datacenters), fallback (its "
		   "fallback pool) or fail_open (every datacenter down, answered as if up).\n"
		   "# TYPE gslbd_pool_answers_total counter\n");
	for (size_t p = 0; p < cfg->pool_count && p < METRICS_MAX_POOLS; p++) {
		for (int o = 0; o < METRICS_POOL_OUTCOMES; o++) {
			fprintf(b, "gslbd_pool_answers_total{pool=\"");
			prom_escape(b, cfg->pools[p].name);
			fprintf(b, "\",outcome=\"%s\"} %llu\n", metrics_pool_outcome_name(o),
				(unsigned long long)sum->pool_answers[p][o]);
		}
	}
	fprintf(b, "# HELP gslbd_datacenter_admin_state 1 while an operator's override "
		   "(drain, force-up) holds the datacenter.\n"
		   "# TYPE gslbd_datacenter_admin_state gauge\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		enum admin_state st = admin_table_get(ctl->admin, cfg->datacenters[i].name, NULL);

		for (int k = 0; k < 2; k++) {
			fprintf(b, "gslbd_datacenter_admin_state{datacenter=\"");
			prom_escape(b, cfg->datacenters[i].name);
			fprintf(b, "\",state=\"%s\"} %d\n", admin_state_name(overrides[k]),
				st == overrides[k]);
		}
	}
	fprintf(b, "# HELP gslbd_datacenter_admin_since_timestamp_seconds When the operator's "
		   "override of the datacenter was set (seconds since the epoch).\n"
		   "# TYPE gslbd_datacenter_admin_since_timestamp_seconds gauge\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		uint64_t since = 0;

		if (admin_table_get(ctl->admin, cfg->datacenters[i].name, &since) == ADMIN_NONE)
			continue;
		fprintf(b, "gslbd_datacenter_admin_since_timestamp_seconds{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %.3f\n", (double)since / 1000.0);
	}
	fprintf(b, "# HELP gslbd_probe_datacenter_up What the probe's checks of the datacenter "
		   "say after rise and fall: 1 up, 0 down.\n"
		   "# TYPE gslbd_probe_datacenter_up gauge\n");
	for (size_t p = 0; ctl->health != NULL && p < cfg->probe_count; p++) {
		for (size_t i = 0; i < cfg->datacenter_count; i++) {
			struct health_pair_view v;

			health_pair(ctl->health, p, i, now, &v);
			if (!v.has_result || v.verdict == HEALTH_UNKNOWN)
				continue;
			fprintf(b, "gslbd_probe_datacenter_up{probe=\"");
			prom_escape(b, cfg->probes[p].id);
			fprintf(b, "\",region=\"");
			prom_escape(b, cfg->probes[p].region);
			fprintf(b, "\",datacenter=\"");
			prom_escape(b, cfg->datacenters[i].name);
			fprintf(b, "\"} %d\n", v.verdict == HEALTH_UP);
		}
	}
	fprintf(b, "# HELP gslbd_probe_rtt_seconds Smoothed round-trip time of the probe's "
		   "checks of the datacenter (fresh results only).\n"
		   "# TYPE gslbd_probe_rtt_seconds gauge\n");
	for (size_t p = 0; ctl->health != NULL && p < cfg->probe_count; p++) {
		for (size_t i = 0; i < cfg->datacenter_count; i++) {
			struct health_pair_view v;

			health_pair(ctl->health, p, i, now, &v);
			if (!v.fresh || v.rtt_ms < 0)
				continue;
			fprintf(b, "gslbd_probe_rtt_seconds{probe=\"");
			prom_escape(b, cfg->probes[p].id);
			fprintf(b, "\",region=\"");
			prom_escape(b, cfg->probes[p].region);
			fprintf(b, "\",datacenter=\"");
			prom_escape(b, cfg->datacenters[i].name);
			fprintf(b, "\"} %.6f\n", v.rtt_ms / 1000.0);
		}
	}
}

char *status_metrics_text(const struct control *ctl, const struct snapshot *snap,
			  const struct metrics_shard *sum, uint64_t now, size_t *len)
{
	const struct config *cfg = snap->config;
	char *text = NULL;
	FILE *b = open_memstream(&text, len);

	if (b == NULL)
		log_fatal("open_memstream: out of memory");
	fprintf(b, "# HELP gslbd_dns_queries_total DNS queries answered, by zone, "
		   "question type and response code.\n"
		   "# TYPE gslbd_dns_queries_total counter\n");
	for (size_t z = 0; z <= METRICS_MAX_ZONES; z++) {
		char zname[DNAME_STRLEN];

		if (!zone_label(snap, z, zname, sizeof(zname)))
			continue;
		for (unsigned q = 0; q < METRICS_QTYPES; q++) {
			for (unsigned r = 0; r < METRICS_RCODES; r++) {
				if (sum->queries[z][q][r] == 0)
					continue;
				fprintf(b, "gslbd_dns_queries_total{zone=\"");
				prom_escape(b, zname);
				fprintf(b, "\",qtype=\"%s\",rcode=\"%s\"} %llu\n",
					metrics_qtype_name(q), metrics_rcode_name(r),
					(unsigned long long)sum->queries[z][q][r]);
			}
		}
	}
	fprintf(b,
		"# HELP gslbd_dns_dropped_total Packets not answered (malformed or "
		"responses).\n# TYPE gslbd_dns_dropped_total counter\n"
		"gslbd_dns_dropped_total %llu\n"
		"# HELP gslbd_dns_truncated_total UDP answers sent with TC set.\n"
		"# TYPE gslbd_dns_truncated_total counter\ngslbd_dns_truncated_total %llu\n",
		(unsigned long long)sum->dropped, (unsigned long long)sum->truncated);
	fprintf(b, "# HELP gslbd_datacenter_answers_total Answers that carried the "
		   "datacenter.\n# TYPE gslbd_datacenter_answers_total counter\n");
	for (size_t i = 0; i < cfg->datacenter_count && i < METRICS_MAX_DCS; i++) {
		fprintf(b, "gslbd_datacenter_answers_total{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %llu\n", (unsigned long long)sum->dc_answers[i]);
	}
	fprintf(b, "# HELP gslbd_datacenter_up 1 when the datacenter may be answered "
		   "(health and overrides).\n# TYPE gslbd_datacenter_up gauge\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		fprintf(b, "gslbd_datacenter_up{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %d\n", snap->dc_state[i] == DC_STATE_UP);
	}
	fprintf(b, "# HELP gslbd_datacenter_state_changes_total Health state changes "
		   "seen by the probe model.\n"
		   "# TYPE gslbd_datacenter_state_changes_total counter\n");
	for (size_t i = 0; ctl->health != NULL && i < cfg->datacenter_count; i++) {
		fprintf(b, "gslbd_datacenter_state_changes_total{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %llu\n", (unsigned long long)health_dc_changes(ctl->health, i));
	}
	fprintf(b, "# HELP gslbd_datacenter_utilisation Median probe-reported load over "
		   "capacity (1 = at capacity).\n"
		   "# TYPE gslbd_datacenter_utilisation gauge\n");
	for (size_t i = 0; ctl->load != NULL && i < cfg->datacenter_count; i++) {
		double util = load_model_util(ctl->load, i);

		if (!(cfg->datacenters[i].capacity > 0.0) || util < 0)
			continue;
		fprintf(b, "gslbd_datacenter_utilisation{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %.6g\n", util);
	}
	fprintf(b, "# HELP gslbd_datacenter_share Spill-over: share of its clients the "
		   "datacenter keeps (0..1).\n# TYPE gslbd_datacenter_share gauge\n");
	for (size_t i = 0; ctl->load != NULL && i < cfg->datacenter_count; i++) {
		if (!(cfg->datacenters[i].capacity > 0.0))
			continue;
		fprintf(b, "gslbd_datacenter_share{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		fprintf(b, "\"} %.6g\n", load_model_share(ctl->load, i));
	}
	dashboard_metrics(b, ctl, snap, sum, now);
	fprintf(b, "# HELP gslbd_probe_report_age_seconds Time since the probe's last "
		   "accepted report.\n# TYPE gslbd_probe_report_age_seconds gauge\n");
	for (size_t p = 0; ctl->health != NULL && p < cfg->probe_count; p++) {
		uint64_t age = health_probe_age_ms(ctl->health, p, now);

		if (age == UINT64_MAX)
			continue;
		fprintf(b, "gslbd_probe_report_age_seconds{probe=\"");
		prom_escape(b, cfg->probes[p].id);
		fprintf(b, "\"} %.3f\n", (double)age / 1000.0);
	}
	fprintf(b,
		"# HELP gslbd_state_file_ok 0 when the state file could not be read (it was moved "
		"aside) or cannot be written: drains will not survive a restart.\n"
		"# TYPE gslbd_state_file_ok gauge\ngslbd_state_file_ok %d\n"
		"# HELP gslbd_state_file_errors_total State files found unreadable or "
		"unwritable.\n# TYPE gslbd_state_file_errors_total counter\n"
		"gslbd_state_file_errors_total %llu\n",
		control_state_problem(ctl) == NULL, (unsigned long long)ctl->state_errors);
	fprintf(b, "# HELP gslbd_reports_total Probe reports by result.\n"
		   "# TYPE gslbd_reports_total counter\n");
	for (int v = 0; v < REPORT_VERDICT_COUNT; v++)
		fprintf(b, "gslbd_reports_total{result=\"%s\"} %llu\n",
			v == REPORT_OK ? "accepted" : report_verdict_name(v),
			(unsigned long long)ctl->reports[v]);
	fprintf(b, "# HELP gslbd_report_results_skipped_total Results of accepted reports "
		   "skipped, by reason.\n# TYPE gslbd_report_results_skipped_total counter\n");
	for (int s = 0; s < REPORT_SKIP_COUNT; s++)
		fprintf(b, "gslbd_report_results_skipped_total{reason=\"%s\"} %llu\n",
			report_skip_name(s), (unsigned long long)ctl->report_skips[s]);
	if (ctl->fleet_st.enabled)
		fprintf(b,
			"# HELP gslbd_etcd_connected 1 when the last request to etcd succeeded.\n"
			"# TYPE gslbd_etcd_connected gauge\ngslbd_etcd_connected %d\n"
			"# HELP gslbd_etcd_synced 1 once the fleet's state was read from etcd (0: "
			"the local copy).\n# TYPE gslbd_etcd_synced gauge\ngslbd_etcd_synced %d\n"
			"# HELP gslbd_etcd_revision etcd's revision when last read.\n"
			"# TYPE gslbd_etcd_revision gauge\ngslbd_etcd_revision %lld\n"
			"# HELP gslbd_etcd_errors_total Requests to etcd that failed.\n"
			"# TYPE gslbd_etcd_errors_total counter\ngslbd_etcd_errors_total %llu\n",
			ctl->fleet_st.connected, ctl->fleet_st.synced, (long long)ctl->fleet_st.revision,
			(unsigned long long)ctl->fleet_st.errors);
	fprintf(b,
		"# HELP gslbd_reload_failures_total Reloads and DNSSEC re-signings that failed "
		"(the data loaded before kept serving).\n"
		"# TYPE gslbd_reload_failures_total counter\ngslbd_reload_failures_total %llu\n"
		"# HELP gslbd_reload_last_success_timestamp_seconds When data was last loaded "
		"and published (start, reload or re-signing).\n"
		"# TYPE gslbd_reload_last_success_timestamp_seconds gauge\n"
		"gslbd_reload_last_success_timestamp_seconds %.3f\n"
		"# HELP gslbd_reload_last_success 1 when the last reload worked (1 before any).\n"
		"# TYPE gslbd_reload_last_success gauge\ngslbd_reload_last_success %d\n"
		"# HELP gslbd_reload_last_duration_seconds How long the last reload took.\n"
		"# TYPE gslbd_reload_last_duration_seconds gauge\n"
		"gslbd_reload_last_duration_seconds %.3f\n"
		"# HELP gslbd_reload_in_progress 1 while a reload loads off the main loop.\n"
		"# TYPE gslbd_reload_in_progress gauge\ngslbd_reload_in_progress %d\n"
		"# HELP gslbd_reloads_total Reloads ended, by kind (sighup, api, resign) and "
		"result.\n# TYPE gslbd_reloads_total counter\n",
		(unsigned long long)ctl->reloads.failures,
		(double)ctl->reloads.last_success_wall_ms / 1000.0,
		!ctl->reloads.has_last || ctl->reloads.last_ok,
		(double)ctl->reloads.last_duration_ms / 1000.0, ctl->reloads.in_progress);
	for (int k = 0; k < CONTROL_RELOAD_KINDS; k++)
		for (int ok = 0; ok < 2; ok++)
			fprintf(b, "gslbd_reloads_total{kind=\"%s\",result=\"%s\"} %llu\n",
				control_reload_kind_name((enum control_reload_kind)k),
				ok == 0 ? "ok" : "failed",
				(unsigned long long)ctl->reloads.runs[k][ok]);
	fprintf(b,
		"# HELP gslbd_snapshot_generation Generation of the data being served.\n"
		"# TYPE gslbd_snapshot_generation gauge\ngslbd_snapshot_generation %llu\n",
		(unsigned long long)snap->generation);
	if (snap->config->geoip_database != NULL) {
		uint64_t geo_failures;
		bool geo_ok = control_geo_status(&geo_failures);

		fprintf(b,
			"# HELP gslbd_geo_database_ok 1 when the last load could use the GeoIP "
			"database file (0: the database loaded before, or none, is served).\n"
			"# TYPE gslbd_geo_database_ok gauge\ngslbd_geo_database_ok %d\n"
			"# HELP gslbd_geo_load_failures_total Loads that refused the GeoIP database "
			"file (unreadable, empty, changing or corrupt).\n"
			"# TYPE gslbd_geo_load_failures_total counter\n"
			"gslbd_geo_load_failures_total %llu\n",
			geo_ok ? 1 : 0, (unsigned long long)geo_failures);
	}
	if (snap->maps != NULL) {
		struct lb_maps_stats ms;

		lb_maps_stats(snap->maps, &ms);
		fprintf(b,
			"# HELP gslbd_geo_maps Compiled geo maps served (one per distinct pool "
			"input), by how their build got them: compiled in its walk of the "
			"database, or kept from the maps before.\n# TYPE gslbd_geo_maps gauge\n"
			"gslbd_geo_maps{origin=\"compiled\"} %zu\ngslbd_geo_maps{origin=\"kept\"} %zu\n"
			"# HELP gslbd_geo_maps_bytes Memory of the compiled geo maps and their "
			"rankings.\n# TYPE gslbd_geo_maps_bytes gauge\ngslbd_geo_maps_bytes %zu\n"
			"# HELP gslbd_geo_maps_compile_seconds How long the build of the geo maps "
			"served took.\n# TYPE gslbd_geo_maps_compile_seconds gauge\n"
			"gslbd_geo_maps_compile_seconds %.3f\n",
			ms.compiled, ms.reused, ms.bytes, (double)ms.build_us / 1e6);
	}
	for (int e = 0; e < METRICS_EVENTS; e++)
		fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", metrics_event_name(e),
			metrics_event_help(e), metrics_event_name(e), metrics_event_name(e),
			(unsigned long long)sum->events[e]);
	fprintf(b, "# HELP gslbd_rrl_responses_total What response rate limiting did, by "
		   "zone: dropped, slipped (sent truncated) or exempt (a valid cookie or an "
		   "exempt network).\n# TYPE gslbd_rrl_responses_total counter\n");
	for (size_t z = 0; z <= METRICS_MAX_ZONES; z++) {
		char zname[DNAME_STRLEN];

		if (!zone_label(snap, z, zname, sizeof(zname)))
			continue;
		for (int a = 0; a < METRICS_RRL_ACTIONS; a++) {
			fprintf(b, "gslbd_rrl_responses_total{zone=\"");
			prom_escape(b, zname);
			fprintf(b, "\",action=\"%s\"} %llu\n", metrics_rrl_name(a),
				(unsigned long long)sum->rrl[z][a]);
		}
	}
	fprintf(b, "# HELP gslbd_dnssec_signatures_expiry_seconds When the earliest signature "
		   "of a zone signed in memory expires (seconds since the epoch); it is signed "
		   "again dnssec.refresh before.\n"
		   "# TYPE gslbd_dnssec_signatures_expiry_seconds gauge\n");
	for (size_t z = 0; z < cfg->zone_count && z < zone_set_count(snap->zones); z++) {
		uint32_t expire = zone_sig_expire(zone_set_zone(snap->zones, z));

		if (expire == 0)
			continue;
		fprintf(b, "gslbd_dnssec_signatures_expiry_seconds{zone=\"");
		prom_escape(b, cfg->zones[z].name);
		fprintf(b, "\"} %lu\n", (unsigned long)expire);
	}
	fprintf(b, "# HELP gslbd_dnssec_online_signs_total Load-balanced answers signed while "
		   "answering (a combination of datacenters not signed in advance).\n"
		   "# TYPE gslbd_dnssec_online_signs_total counter\n"
		   "gslbd_dnssec_online_signs_total %lu\n",
		(unsigned long)atomic_load_explicit(&lbsig_online_signs, memory_order_relaxed));
	if (fclose(b) != 0 || text == NULL)
		log_fatal("open_memstream: out of memory");
	return text;
}

#include <config.h>

#include "gslbd/net/accept_guard.h"
#include "gslbd/net/api.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/sign.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/control/admin.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control.h"
#include "gslbd/control/explain.h"
#include "gslbd/control/health.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/report.h"
#include "gslbd/dns/snapshot.h"
#include "common/timeutil.h"
#include "zones/zone.h"

#define API_MAX_BODY (1024 * 1024)
#define API_MAX_HEADERS (16 * 1024)
#define API_TIMEOUT_S 10

struct api {
	struct evhttp *http;      /* the server */
	struct control *ctl;      /* control plane */
	struct netaddr *bound;    /* bound addresses */
	struct accept_guard **guards; /* one per bound address */
	size_t bound_count;       /* entries at bound and guards */
};

static void reply_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	evhttp_send_reply(req, code, code < 300 ? "OK" : "Error", buf);
	evbuffer_free(buf);
	free(text);
	json_decref(body);
}

static void reply_error(struct evhttp_request *req, int code, const char *msg)
{
	reply_json(req, code, json_pack("{s:s}", "error", msg));
}

static void peer_text(struct evhttp_request *req, char *buf, size_t len)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *host = "?";
	ev_uint16_t port = 0;

	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&host, &port);
	snprintf(buf, len, "%s:%u", host, port);
}

static void handle_healthz(struct evhttp_request *req)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add_printf(buf, "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
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
			      v.verdict == HEALTH_UP ? "up" : v.verdict == HEALTH_DOWN ? "down" : "unknown",
			      "fresh", v.fresh, "age_ms", (json_int_t)v.age_ms, "last_ok", v.last_ok,
			      "last_status", v.last_status);
		json_object_set_new(o, "rtt_ms", v.rtt_ms >= 0 ? json_real(v.rtt_ms) : json_null());
		if (v.last_error != NULL)
			json_object_set_new(o, "last_error", json_string(v.last_error));
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

static void handle_status(struct api *api, struct evhttp_request *req)
{
	const struct snapshot *snap = snapshot_current();
	const struct config *cfg = snap->config;
	json_t *dcs = json_array(), *zones = json_array(), *names = json_array();
	json_t *probes = json_array(), *latency = json_object();
	uint64_t now = time_mono_ms();

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];
		uint64_t since;
		enum admin_state st = admin_table_get(api->ctl->admin, dc->name, &since);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", dc->name, "region", dc->region,
				      "state", snap->dc_state[i] == DC_STATE_UP ? "up" : "down",
				      "admin", admin_state_name(st));

		if (st != ADMIN_NONE)
			json_object_set_new(o, "admin_since_ms", json_integer((json_int_t)since));
		json_object_set_new(o, "health", json_string(health_state_label(api->ctl, i)));
		json_object_set_new(o, "reason",
				    json_string(st == ADMIN_DRAIN      ? "drained by operator"
						: st == ADMIN_FORCE_UP ? "forced up by operator"
						: api->ctl->health != NULL
							? health_dc_reason(api->ctl->health, i)
							: "no health data yet"));
		json_object_set_new(o, "probes", pair_views(api->ctl, cfg, i, now));
		json_array_append_new(dcs, o);
	}
	for (size_t p = 0; p < cfg->probe_count; p++) {
		uint64_t age = api->ctl->health != NULL
				       ? health_probe_age_ms(api->ctl->health, p, now)
				       : UINT64_MAX;
		json_t *o = json_pack("{s:s, s:s}", "id", cfg->probes[p].id, "region",
				      cfg->probes[p].region);

		json_object_set_new(o, "last_report_age_ms",
				    age == UINT64_MAX ? json_null() : json_integer((json_int_t)age));
		json_array_append_new(probes, o);
	}
	/* Each region's ranking as DNS uses it (the snapshot's), with the
	 * current smoothed RTTs: the snapshot's own RTTs date from the last
	 * change of order. */
	for (size_t r = 0; snap->latency != NULL && r < snap->latency->region_count; r++) {
		const struct latency_region *reg = &snap->latency->regions[r];
		json_t *order = json_array();

		for (size_t k = 0; k < reg->order_count; k++) {
			double rtt = region_rtt(api->ctl, cfg, reg->name, reg->order[k], now);

			json_array_append_new(order,
					      json_pack("{s:s, s:o}", "datacenter",
							cfg->datacenters[reg->order[k]].name, "rtt_ms",
							rtt >= 0 ? json_real(rtt) : json_null()));
		}
		json_object_set_new(latency, reg->name, order);
	}
	for (size_t i = 0; i < zone_set_count(snap->zones); i++) {
		const struct zone *z = zone_set_zone(snap->zones, i);
		char name[DNAME_STRLEN];

		dname_to_str(zone_origin(z), name, sizeof(name));
		json_array_append_new(zones, json_pack("{s:s, s:I, s:I}", "name", name, "serial",
						       (json_int_t)zone_serial(z), "records",
						       (json_int_t)zone_rr_count(z)));
	}
	for (size_t i = 0; i < cfg->lbname_count; i++)
		json_array_append_new(names, json_pack("{s:s, s:s}", "name", cfg->lbnames[i].name,
						       "pool", cfg->pools[cfg->lbnames[i].pool].name));
	reply_json(req, 200,
		   json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "generation",
			     (json_int_t)snap->generation, "datacenters", dcs, "zones", zones, "names",
			     names, "probes", probes, "latency", latency));
}

static void handle_explain(struct evhttp_request *req)
{
	struct evkeyvalq params;
	struct explain_query q = { 0 };
	struct gslb_err err = { "" };
	const char *qtype;
	json_t *j;

	if (evhttp_parse_query_str(evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)) ?: "",
				   &params) != 0) {
		reply_error(req, 400, "malformed query string");
		return;
	}
	q.name = evhttp_find_header(&params, "name");
	q.client = evhttp_find_header(&params, "client");
	q.ecs = evhttp_find_header(&params, "ecs");
	qtype = evhttp_find_header(&params, "qtype");
	q.qtype = qtype != NULL && strcasecmp(qtype, "AAAA") == 0 ? 28 : 1;
	if (q.name == NULL || q.client == NULL) {
		reply_error(req, 400, "name and client are required");
	} else if (qtype != NULL && strcasecmp(qtype, "A") != 0 && strcasecmp(qtype, "AAAA") != 0) {
		reply_error(req, 400, "qtype must be A or AAAA");
	} else if ((j = explain_json(snapshot_current(), &q, &err)) == NULL) {
		reply_error(req, 400, err.msg);
	} else {
		reply_json(req, 200, j);
	}
	evhttp_clear_headers(&params);
}

/* Is the request authorised for writes? Replies and returns false if not. */
static bool authorised(struct evhttp_request *req)
{
	const char *token = snapshot_current()->config->api_admin_token;
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
					      "Authorization");
	char peer[NETADDR_STRLEN + 8];

	peer_text(req, peer, sizeof(peer));
	if (token == NULL) {
		log_warn("api: write refused: peer=%s reason=no admin token configured", peer);
		reply_error(req, 403, "no admin token is configured; write endpoints are disabled");
		return false;
	}
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != strlen(token) ||
	    CRYPTO_memcmp(auth + 7, token, strlen(token)) != 0) {
		log_warn("api: write refused: peer=%s reason=bad or missing admin token", peer);
		reply_error(req, 401, "missing or wrong admin token");
		return false;
	}
	return true;
}

/* POST /v1/datacenters/NAME/ACTION */
static void handle_admin(struct api *api, struct evhttp_request *req, const char *rest)
{
	const char *slash = strchr(rest, '/');
	enum admin_state st;
	struct gslb_err err = { "" };
	json_t *body;
	char dc[256];
	int rc;

	if (slash == NULL || (size_t)(slash - rest) >= sizeof(dc) || slash == rest) {
		reply_error(req, 404, "use /v1/datacenters/NAME/drain|undrain|force-up");
		return;
	}
	memcpy(dc, rest, (size_t)(slash - rest));
	dc[slash - rest] = '\0';
	if (admin_action_parse(slash + 1, &st) != 0) {
		reply_error(req, 404, "action must be drain, undrain or force-up");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_error(req, 405, "use POST");
		return;
	}
	if (!authorised(req))
		return;
	rc = control_admin_set(api->ctl, dc, st, &err);
	if (rc == GSLB_ENOENT) {
		reply_error(req, 404, err.msg);
		return;
	}
	body = json_pack("{s:s, s:s, s:b}", "datacenter", dc, "admin", admin_state_name(st),
			 "persisted", rc == 0 && snapshot_current()->config->state_file != NULL);
	if (rc != 0)
		json_object_set_new(body, "error", json_string(err.msg));
	reply_json(req, rc == 0 ? 200 : 500, body);
}

/* The request body as one contiguous block (NULL and 0 when empty). */
static const void *request_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return *len > 0 ? evbuffer_pullup(in, -1) : NULL;
}

static void read_auth(struct evhttp_request *req, struct report_auth *auth)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);

	auth->key = evhttp_find_header(h, SIGN_HEADER_KEY);
	auth->timestamp = evhttp_find_header(h, SIGN_HEADER_TIMESTAMP);
	auth->signature = evhttp_find_header(h, SIGN_HEADER_SIGNATURE);
}

static void handle_report(struct api *api, struct evhttp_request *req)
{
	struct report_auth auth;
	const void *body;
	size_t len, accepted = 0;
	char why[256] = "", peer[NETADDR_STRLEN + 8];
	enum report_verdict v;

	read_auth(req, &auth);
	body = request_body(req, &len);
	v = control_report(api->ctl, &auth, body, len, &accepted, why, sizeof(why));
	if (v == REPORT_OK) {
		reply_json(req, 200, json_pack("{s:I}", "accepted", (json_int_t)accepted));
		return;
	}
	peer_text(req, peer, sizeof(peer));
	log_ratelimited(LOG_LEVEL_WARN, "report rejected: probe=%s peer=%s reason=%s: %s",
			auth.key != NULL ? auth.key : "-", peer, report_verdict_name(v), why);
	reply_json(req, report_verdict_http(v),
		   json_pack("{s:s, s:s}", "error", why, "reason", report_verdict_name(v)));
}

static void handle_probe_config(struct api *api, struct evhttp_request *req)
{
	const struct config *cfg = snapshot_current()->config;
	struct report_auth auth;
	struct evbuffer *buf;
	const char *inm;
	char why[256] = "";
	size_t probe;
	uint64_t ts;
	enum report_verdict v;

	read_auth(req, &auth);
	v = report_verify(cfg, "GET", "/v1/probe-config", &auth, "", 0, time_wall_ms(), NULL, &probe,
			  &ts, why, sizeof(why));
	if (v != REPORT_OK) {
		char peer[NETADDR_STRLEN + 8];

		peer_text(req, peer, sizeof(peer));
		log_ratelimited(LOG_LEVEL_WARN, "probe-config refused: probe=%s peer=%s reason=%s: %s",
				auth.key != NULL ? auth.key : "-", peer, report_verdict_name(v), why);
		reply_json(req, report_verdict_http(v),
			   json_pack("{s:s, s:s}", "error", why, "reason", report_verdict_name(v)));
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "ETag",
			  api->ctl->probe_config_etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	if (inm != NULL && strcmp(inm, api->ctl->probe_config_etag) == 0) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, api->ctl->probe_config, strlen(api->ctl->probe_config));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void prom_escape(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void handle_metrics(struct api *api, struct evhttp_request *req)
{
	const struct snapshot *snap = snapshot_current();
	const struct config *cfg = snap->config;
	struct metrics_shard *sum = xmalloc(sizeof(*sum));
	struct evbuffer *b = evbuffer_new();
	uint64_t now = time_mono_ms();

	metrics_sum(sum);
	evbuffer_add_printf(b, "# HELP gslbd_dns_queries_total DNS queries answered, by zone, "
			       "question type and response code.\n"
			       "# TYPE gslbd_dns_queries_total counter\n");
	for (size_t z = 0; z <= METRICS_MAX_ZONES; z++) {
		char zname[DNAME_STRLEN];

		if (z < METRICS_MAX_ZONES && z >= zone_set_count(snap->zones))
			continue;
		if (z < METRICS_MAX_ZONES)
			dname_to_str(zone_origin(zone_set_zone(snap->zones, z)), zname,
				     sizeof(zname));
		else
			snprintf(zname, sizeof(zname), "(none)");
		for (unsigned q = 0; q < METRICS_QTYPES; q++) {
			for (unsigned r = 0; r < METRICS_RCODES; r++) {
				if (sum->queries[z][q][r] == 0)
					continue;
				evbuffer_add_printf(b, "gslbd_dns_queries_total{zone=\"");
				prom_escape(b, zname);
				evbuffer_add_printf(b, "\",qtype=\"%s\",rcode=\"%s\"} %llu\n",
						    metrics_qtype_name(q), metrics_rcode_name(r),
						    (unsigned long long)sum->queries[z][q][r]);
			}
		}
	}
	evbuffer_add_printf(b,
			    "# HELP gslbd_dns_dropped_total Packets not answered (malformed or "
			    "responses).\n# TYPE gslbd_dns_dropped_total counter\n"
			    "gslbd_dns_dropped_total %llu\n"
			    "# HELP gslbd_dns_truncated_total UDP answers sent with TC set.\n"
			    "# TYPE gslbd_dns_truncated_total counter\ngslbd_dns_truncated_total %llu\n",
			    (unsigned long long)sum->dropped, (unsigned long long)sum->truncated);
	evbuffer_add_printf(b, "# HELP gslbd_datacenter_answers_total Answers that carried the "
			       "datacenter.\n# TYPE gslbd_datacenter_answers_total counter\n");
	for (size_t i = 0; i < cfg->datacenter_count && i < METRICS_MAX_DCS; i++) {
		evbuffer_add_printf(b, "gslbd_datacenter_answers_total{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)sum->dc_answers[i]);
	}
	evbuffer_add_printf(b, "# HELP gslbd_datacenter_up 1 when the datacenter may be answered "
			       "(health and overrides).\n# TYPE gslbd_datacenter_up gauge\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		evbuffer_add_printf(b, "gslbd_datacenter_up{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		evbuffer_add_printf(b, "\"} %d\n", snap->dc_state[i] == DC_STATE_UP);
	}
	evbuffer_add_printf(b, "# HELP gslbd_datacenter_state_changes_total Health state changes "
			       "seen by the probe model.\n"
			       "# TYPE gslbd_datacenter_state_changes_total counter\n");
	for (size_t i = 0; api->ctl->health != NULL && i < cfg->datacenter_count; i++) {
		evbuffer_add_printf(b, "gslbd_datacenter_state_changes_total{datacenter=\"");
		prom_escape(b, cfg->datacenters[i].name);
		evbuffer_add_printf(b, "\"} %llu\n",
				    (unsigned long long)health_dc_changes(api->ctl->health, i));
	}
	evbuffer_add_printf(b, "# HELP gslbd_probe_report_age_seconds Time since the probe's last "
			       "accepted report.\n# TYPE gslbd_probe_report_age_seconds gauge\n");
	for (size_t p = 0; api->ctl->health != NULL && p < cfg->probe_count; p++) {
		uint64_t age = health_probe_age_ms(api->ctl->health, p, now);

		if (age == UINT64_MAX)
			continue;
		evbuffer_add_printf(b, "gslbd_probe_report_age_seconds{probe=\"");
		prom_escape(b, cfg->probes[p].id);
		evbuffer_add_printf(b, "\"} %.3f\n", (double)age / 1000.0);
	}
	evbuffer_add_printf(b, "# HELP gslbd_reports_total Probe reports by result.\n"
			       "# TYPE gslbd_reports_total counter\n");
	for (int v = 0; v < REPORT_VERDICT_COUNT; v++)
		evbuffer_add_printf(b, "gslbd_reports_total{result=\"%s\"} %llu\n",
				    v == REPORT_OK ? "accepted" : report_verdict_name(v),
				    (unsigned long long)api->ctl->reports[v]);
	evbuffer_add_printf(b,
			    "# HELP gslbd_snapshot_generation Generation of the data being served.\n"
			    "# TYPE gslbd_snapshot_generation gauge\ngslbd_snapshot_generation %llu\n",
			    (unsigned long long)snap->generation);
	for (int e = 0; e < METRICS_EVENTS; e++)
		evbuffer_add_printf(b, "# TYPE %s counter\n%s %llu\n", metrics_event_name(e),
				    metrics_event_name(e), (unsigned long long)sum->events[e]);
	evbuffer_add_printf(b,
			    "# HELP gslbd_accept_paused_total Times a listener stopped accepting "
			    "for %d ms: no file descriptor or memory left.\n"
			    "# TYPE gslbd_accept_paused_total counter\n",
			    ACCEPT_GUARD_PAUSE_MS);
	for (int k = 0; k < ACCEPT_GUARD_KINDS; k++)
		evbuffer_add_printf(b, "gslbd_accept_paused_total{listener=\"%s\"} %llu\n",
				    accept_guard_kind_name(k),
				    (unsigned long long)accept_guard_pauses(k));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	free(sum);
}

static void handle_reload(struct api *api, struct evhttp_request *req)
{
	struct gslb_err err = { "" };

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_error(req, 405, "use POST");
		return;
	}
	if (!authorised(req))
		return;
	log_info("reload: requested through the API");
	if (control_reload(api->ctl, &err) != 0) {
		log_err("reload failed: %s; keeping generation %llu", err.msg,
			(unsigned long long)snapshot_current()->generation);
		reply_error(req, 500, err.msg);
		return;
	}
	reply_json(req, 200, json_pack("{s:I}", "generation",
				       (json_int_t)snapshot_current()->generation));
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct api *api = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL)
		path = "/";
	if (strncmp(path, "/v1/datacenters/", 16) == 0) {
		handle_admin(api, req, path + 16);
		return;
	}
	if (strcmp(path, "/v1/reports") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			reply_error(req, 405, "use POST");
		else
			handle_report(api, req);
		return;
	}
	if (strcmp(path, "/v1/reload") == 0) {
		handle_reload(api, req);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		reply_error(req, 405, "use GET");
		return;
	}
	if (strcmp(path, "/healthz") == 0)
		handle_healthz(req);
	else if (strcmp(path, "/v1/status") == 0)
		handle_status(api, req);
	else if (strcmp(path, "/v1/explain") == 0)
		handle_explain(req);
	else if (strcmp(path, "/v1/probe-config") == 0)
		handle_probe_config(api, req);
	else if (strcmp(path, "/metrics") == 0)
		handle_metrics(api, req);
	else
		reply_error(req, 404, "no such endpoint");
}

int api_start(struct event_base *base, const struct config *cfg, struct control *ctl,
	      struct api **out, struct gslb_err *err)
{
	struct api *api;

	*out = NULL;
	if (cfg->api_listen_count == 0)
		return 0;
	api = xcalloc(1, sizeof(*api));
	api->ctl = ctl;
	api->http = evhttp_new(base);
	if (api->http == NULL) {
		free(api);
		return gslb_err_setc(err, GSLB_EIO, "api: cannot create the HTTP server");
	}
	/* Twice the report limit, so that reports a little too large reach the
	 * handler and are refused, logged and counted as too_large. */
	evhttp_set_max_body_size(api->http, 2 * (ev_ssize_t)cfg->report_max_bytes > API_MAX_BODY
						     ? 2 * (ev_ssize_t)cfg->report_max_bytes
						     : API_MAX_BODY);
	evhttp_set_max_headers_size(api->http, API_MAX_HEADERS);
	evhttp_set_timeout(api->http, API_TIMEOUT_S);
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(api->http, handle, api);
	api->bound = xcalloc(cfg->api_listen_count, sizeof(*api->bound));
	api->guards = xcalloc(cfg->api_listen_count, sizeof(*api->guards));
	for (size_t i = 0; i < cfg->api_listen_count; i++) {
		char ip[NETADDR_STRLEN], text[NETADDR_STRLEN];
		struct evhttp_bound_socket *bs;
		struct netaddr *b = &api->bound[i];

		netaddr_format_ip(&cfg->api_listen[i].u.sa, ip, sizeof(ip));
		netaddr_format(&cfg->api_listen[i].u.sa, text, sizeof(text));
		bs = evhttp_bind_socket_with_handle(api->http, ip,
						    netaddr_port(&cfg->api_listen[i].u.sa));
		if (bs == NULL) {
			api_free(api);
			return gslb_err_setc(err, GSLB_EIO, "api %s: cannot listen: %s", text,
					     strerror(errno));
		}
		b->len = sizeof(b->u);
		getsockname(evhttp_bound_socket_get_fd(bs), &b->u.sa, &b->len);
		api->guards[i] = accept_guard_new(base, evhttp_bound_socket_get_listener(bs),
						 ACCEPT_GUARD_API);
		api->bound_count++;
	}
	*out = api;
	return 0;
}

void api_describe(const struct api *api, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; api != NULL && i < api->bound_count && used < len; i++) {
		char a[NETADDR_STRLEN];
		int n;

		netaddr_format(&api->bound[i].u.sa, a, sizeof(a));
		n = snprintf(buf + used, len - used, " http=%s", a);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void api_write_ports(const struct api *api, FILE *out)
{
	for (size_t i = 0; api != NULL && i < api->bound_count; i++) {
		char ip[NETADDR_STRLEN];

		netaddr_format_ip(&api->bound[i].u.sa, ip, sizeof(ip));
		fprintf(out, "http tcp %s %u\n", ip, netaddr_port(&api->bound[i].u.sa));
	}
}

void api_free(struct api *api)
{
	if (api == NULL)
		return;
	for (size_t i = 0; i < api->bound_count; i++)
		accept_guard_free(api->guards[i]);
	if (api->http != NULL)
		evhttp_free(api->http);
	free(api->guards);
	free(api->bound);
	free(api);
}

#include <config.h>

#include "gslbd/net/accept_guard.h"
#include "gslbd/net/webhook.h"
#include "gslbd/net/api.h"
#include "gslbd/net/status_page.h"
#include "gslbd/net/tenant.h"
#include "gslbd/net/tls.h"

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
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/control/admin.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control.h"
#include "gslbd/control/explain.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/report.h"
#include "gslbd/control/status.h"
#include "gslbd/dns/snapshot.h"
#include "common/timeutil.h"

#define API_MAX_BODY (1024 * 1024)
#define API_MAX_HEADERS (16 * 1024)
#define API_TIMEOUT_S 10

/* One listener (api.listen entry): a server of its own, so that its roles
 * and TLS are its own; every listener calls handle(). */
struct api_listener {
	struct api *api;        /* owner */
	struct evhttp *http;    /* the server on this address */
	unsigned roles;         /* API_ROLE_* served */
	struct tls_server *tls; /* its certificate, or NULL: plain HTTP */
};

struct api {
	struct api_listener *listeners; /* one per bound address */
	struct control *ctl;      /* control plane */
	struct netaddr *bound;    /* bound addresses */
	struct accept_guard **guards; /* one per bound address */
	size_t bound_count;           /* entries at listeners, bound and guards */
	struct tenant_limits *limits; /* tenants' request rates */
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

/* api.acl: may the peer of req use the API? Logs a refusal. */
static bool acl_permits(struct evhttp_request *req)
{
	const struct netacl *acl = &snapshot_current()->config->api_acl;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *host = NULL;
	ev_uint16_t port = 0;
	struct netaddr a;

	if (!acl->set)
		return true;
	if (conn != NULL)
		evhttp_connection_get_peer(conn, (char **)&host, &port);
	if (host != NULL && netaddr_parse(host, port, &a) == 0 && netacl_permits(acl, &a.u.sa))
		return true;
	log_ratelimited(LOG_LEVEL_WARN, "api: refused: peer=%s:%u reason=api.acl",
			host != NULL ? host : "?", port);
	return false;
}

static void handle_healthz(struct evhttp_request *req)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add_printf(buf, "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* status, cut down to what tenant t (NULL: everyone) sees */
static void handle_status(struct api *api, struct evhttp_request *req, const struct config_token *t)
{
	const struct snapshot *snap = snapshot_current();
	json_t *st = status_json(api->ctl, snap, time_mono_ms());

	if (t != NULL)
		tenant_filter_status(st, snap->config, t);
	reply_json(req, 200, st);
}

static void handle_explain(struct evhttp_request *req, const struct config_token *t)
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
	} else if (t != NULL && !tenant_filter_explain(j, snapshot_current()->config, t)) {
		json_decref(j);
		reply_error(req, 403, "this name is not in this token's pools");
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

/* May tenant t steer datacenter dc? Replies 403 and logs if not. */
static bool tenant_may_steer(struct evhttp_request *req, const struct config_token *t,
			     const char *dc)
{
	const struct config *cfg = snapshot_current()->config;
	long k = config_datacenter_find(cfg, dc);
	char peer[NETADDR_STRLEN + 8];

	if (t->write && k >= 0 && t->dcs[k])
		return true;
	peer_text(req, peer, sizeof(peer));
	log_warn("api: write refused: peer=%s tenant=%s datacenter=%s reason=%s", peer, t->name,
		 dc, t->write ? "not one of its datacenters" : "read-only token");
	reply_error(req, 403, t->write ? "this datacenter is not one of this token's"
				       : "this token is read-only");
	return false;
}

/* POST /v1/datacenters/NAME/ACTION */
static void handle_admin(struct api *api, struct evhttp_request *req, const char *rest,
			 const struct config_token *t)
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
	if (t != NULL ? !tenant_may_steer(req, t, dc) : !authorised(req))
		return;
	if (t != NULL)
		log_info("api: tenant=%s datacenter=%s action=%s", t->name, dc, admin_state_name(st));
	{
		struct evkeyvalq params;
		const char *rev, *reason;
		char author[160], peer[NETADDR_STRLEN + 8];
		int64_t expect = -1;

		peer_text(req, peer, sizeof(peer));
		snprintf(author, sizeof(author), "%s@%s", t != NULL ? t->name : "admin", peer);
		if (evhttp_parse_query_str(
			evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)) ?: "", &params) != 0) {
			reply_error(req, 400, "malformed query string");
			return;
		}
		/* ?revision=N: the revision of the override the operator saw
		 * (admin_revision in the status); a stale one is refused. */
		rev = evhttp_find_header(&params, "revision");
		reason = evhttp_find_header(&params, "reason");
		if (rev != NULL) {
			char *end;

			expect = strtoll(rev, &end, 10);
			if (*rev == '\0' || *end != '\0' || expect < 0) {
				evhttp_clear_headers(&params);
				reply_error(req, 400, "revision must be a number");
				return;
			}
		}
		rc = control_admin_set_rev(api->ctl, dc, st, expect, author, reason, &err);
		evhttp_clear_headers(&params);
	}
	if (rc == GSLB_ENOENT) {
		reply_error(req, 404, err.msg);
		return;
	}
	if (rc == GSLB_ECONFLICT || rc == GSLB_EUNAVAIL) {
		reply_error(req, rc == GSLB_ECONFLICT ? 409 : 503, err.msg);
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
	auth->boot = evhttp_find_header(h, SIGN_HEADER_BOOT);
	auth->seq = evhttp_find_header(h, SIGN_HEADER_SEQ);
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
		   json_pack("{s:s, s:s}", PROBE_PROTO_KEY_REFUSAL_ERROR, why,
				     PROBE_PROTO_KEY_REFUSAL_REASON, report_verdict_name(v)));
}

static void handle_probe_config(struct api *api, struct evhttp_request *req)
{
	const struct config *cfg = snapshot_current()->config;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct report_auth auth;
	struct report_config_sig sig;
	struct sign_answer an;
	struct sign_stamp st;
	struct evbuffer *buf;
	const char *inm, *etag, *config;
	char why[256] = "";
	size_t probe;
	enum report_verdict v;

	read_auth(req, &auth);
	v = report_verify(cfg, "GET", PROBE_PROTO_PATH_CONFIG, &auth, "", 0, time_wall_ms(),
			  time_mono_ms(), NULL, &probe, &st, why, sizeof(why));
	if (v != REPORT_OK) {
		char peer[NETADDR_STRLEN + 8];

		peer_text(req, peer, sizeof(peer));
		log_ratelimited(LOG_LEVEL_WARN, "probe-config refused: probe=%s peer=%s reason=%s: %s",
				auth.key != NULL ? auth.key : "-", peer, report_verdict_name(v), why);
		reply_json(req, report_verdict_http(v),
			   json_pack("{s:s, s:s}", PROBE_PROTO_KEY_REFUSAL_ERROR, why,
				     PROBE_PROTO_KEY_REFUSAL_REASON, report_verdict_name(v)));
		return;
	}
	/* The answer, 304 included, is signed for this request (sign.h). */
	config = control_probe_config(api->ctl, &etag, &an.generation, &an.boot);
	inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	an.status = inm != NULL && strcmp(inm, etag) == 0 ? 304 : 200;
	an.ts_ms = time_wall_ms();
	report_probe_config_sign(cfg, probe, &st, &an, an.status == 200 ? config : "",
				 an.status == 200 ? strlen(config) : 0, &sig);
	evhttp_add_header(out, "ETag", etag);
	evhttp_add_header(out, SIGN_HEADER_BOOT, sig.boot);
	evhttp_add_header(out, SIGN_HEADER_GENERATION, sig.generation);
	evhttp_add_header(out, SIGN_HEADER_TIMESTAMP, sig.timestamp);
	evhttp_add_header(out, SIGN_HEADER_SIGNATURE, sig.signature);
	if (an.status == 304) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, config, strlen(config));
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void handle_metrics(struct api *api, struct evhttp_request *req, const struct config_token *t)
{
	struct metrics_shard *sum = xmalloc(sizeof(*sum));
	struct evbuffer *b = evbuffer_new();
	size_t len = 0;
	char *text;

	metrics_sum(sum);
	text = status_metrics_text(api->ctl, snapshot_current(), sum, time_mono_ms(), &len);
	if (t != NULL) {
		/* A tenant sees its datacenters' and pools' series, no more. */
		size_t n;
		char *mine = tenant_filter_metrics(text, len, snapshot_current()->config, t, &n);

		evbuffer_add(b, mine, n);
		free(mine);
		free(text);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "text/plain; version=0.0.4");
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		free(sum);
		return;
	}
	evbuffer_add(b, text, len);
	free(text);
	/* the listeners' counters belong to this layer */
	evbuffer_add_printf(b,
			    "# HELP gslbd_accept_paused_total Times a listener stopped accepting "
			    "for %d ms: no file descriptor or memory left.\n"
			    "# TYPE gslbd_accept_paused_total counter\n",
			    ACCEPT_GUARD_PAUSE_MS);
	for (int k = 0; k < ACCEPT_GUARD_KINDS; k++)
		evbuffer_add_printf(b, "gslbd_accept_paused_total{listener=\"%s\"} %llu\n",
				    accept_guard_kind_name(k),
				    (unsigned long long)accept_guard_pauses(k));
	{
		uint64_t sent, failed, dropped;

		webhook_counters(&sent, &failed, &dropped);
		evbuffer_add_printf(b,
				    "# HELP gslbd_alerts_total Alerts by result: sent to a webhook, "
				    "an attempt that failed, given up.\n"
				    "# TYPE gslbd_alerts_total counter\n"
				    "gslbd_alerts_total{result=\"sent\"} %llu\n"
				    "gslbd_alerts_total{result=\"failed_attempt\"} %llu\n"
				    "gslbd_alerts_total{result=\"dropped\"} %llu\n",
				    (unsigned long long)sent, (unsigned long long)failed,
				    (unsigned long long)dropped);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	free(sum);
}

/* The reload asked for by req ended: reply (the reload logged it). */
static void reload_done(void *arg, int rc, const char *msg, uint64_t generation)
{
	struct evhttp_request *req = arg;

	if (rc != 0)
		reply_error(req, rc == GSLB_EUNAVAIL ? 503 : 500, msg);
	else
		reply_json(req, 200, json_pack("{s:I}", "generation", (json_int_t)generation));
}

/* Replies once the reload has run (off the main loop, which keeps serving). */
static void handle_reload(struct api *api, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_error(req, 405, "use POST");
		return;
	}
	if (!authorised(req))
		return;
	log_info("reload: requested through the API");
	control_reload_request(api->ctl, CONTROL_RELOAD_API, reload_done, req);
}

/* The role (API_ROLE_*) a listener must serve for a request of path, or 0
 * for a path every listener answers (/healthz, and unknown paths: 404).
 * tenant: the request carries a tenant's token. */
static unsigned api_role_of_path(const char *path, bool tenant)
{
	if (strcmp(path, PROBE_PROTO_PATH_REPORTS) == 0 ||
	    strcmp(path, PROBE_PROTO_PATH_CONFIG) == 0)
		return API_ROLE_PROBE;
	if (strcmp(path, "/") == 0 || strcmp(path, "/v1/status") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_STATUS;
	if (strcmp(path, "/metrics") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_METRICS;
	if (strncmp(path, "/v1/datacenters/", 16) == 0 || strcmp(path, "/v1/reload") == 0 ||
	    strcmp(path, "/v1/explain") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_ADMIN;
	return 0;
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct api_listener *lis = arg;
	struct api *api = lis->api;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct config *cfg;
	const struct config_token *t = NULL;
	enum tenant_who who;
	size_t ti = 0;
	unsigned role;

	if (path == NULL)
		path = "/";
	if (!acl_permits(req)) {
		reply_error(req, 403, "this address may not use the API (api.acl)");
		return;
	}
	cfg = snapshot_current()->config;
	who = tenant_identify(cfg, evhttp_find_header(evhttp_request_get_input_headers(req),
						      "Authorization"),
			      &ti);
	role = api_role_of_path(path, who == TENANT_TOKEN);
	if (role != 0 && !(lis->roles & role)) {
		reply_error(req, 404, "no such endpoint");
		return;
	}
	if (who == TENANT_TOKEN) {
		t = &cfg->tokens[ti];
		if (!tenant_limits_allow(api->limits, cfg, ti, time_mono_ms())) {
			log_ratelimited(LOG_LEVEL_WARN, "api: refused: tenant=%s reason=request rate",
					t->name);
			reply_error(req, 429, "too many requests for this token");
			return;
		}
	}
	if (strncmp(path, "/v1/datacenters/", 16) == 0) {
		handle_admin(api, req, path + 16, t);
		return;
	}
	if (strcmp(path, PROBE_PROTO_PATH_REPORTS) == 0) {
		if (cmd != EVHTTP_REQ_POST)
			reply_error(req, 405, "use POST");
		else
			handle_report(api, req);
		return;
	}
	if (strcmp(path, "/v1/reload") == 0) {
		if (t != NULL)
			reply_error(req, 403, "reloads are for the admin token");
		else
			handle_reload(api, req);
		return;
	}
	/* With tenants, what the API shows is for token holders alone. */
	if (cfg->token_count > 0 && who == TENANT_NONE && strcmp(path, "/healthz") != 0 &&
	    strcmp(path, PROBE_PROTO_PATH_CONFIG) != 0 && strcmp(path, "/") != 0) {
		reply_error(req, 401, "a token is required (tokens are configured)");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		reply_error(req, 405, "use GET");
		return;
	}
	if (strcmp(path, "/") == 0)
		status_page_serve(req);
	else if (strcmp(path, "/healthz") == 0)
		handle_healthz(req);
	else if (strcmp(path, "/v1/status") == 0)
		handle_status(api, req, t);
	else if (strcmp(path, "/v1/explain") == 0)
		handle_explain(req, t);
	else if (strcmp(path, PROBE_PROTO_PATH_CONFIG) == 0)
		handle_probe_config(api, req);
	else if (strcmp(path, "/metrics") == 0)
		handle_metrics(api, req, t);
	else
		reply_error(req, 404, "no such endpoint");
}

/* A server for listener lis with the limits every listener shares. */
static struct evhttp *server_new(struct event_base *base, const struct config *cfg,
				 struct api_listener *lis)
{
	struct evhttp *http = evhttp_new(base);

	if (http == NULL)
		return NULL;
	/* Twice the report limit, so that reports a little too large reach the
	 * handler and are refused, logged and counted as too_large. */
	evhttp_set_max_body_size(http, 2 * (ev_ssize_t)cfg->report_max_bytes > API_MAX_BODY
					   ? 2 * (ev_ssize_t)cfg->report_max_bytes
					   : API_MAX_BODY);
	evhttp_set_max_headers_size(http, API_MAX_HEADERS);
	evhttp_set_timeout(http, API_TIMEOUT_S);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(http, handle, lis);
	return http;
}

/* Is a the loopback address or network? */
static bool is_loopback(const struct sockaddr *a)
{
	static const struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)a;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)a;

		return memcmp(&in6->sin6_addr, &lo6, sizeof(lo6)) == 0;
	}
	return false;
}

int api_start(struct event_base *base, const struct config *cfg, struct control *ctl,
	      struct api **out, struct gslb_err *err)
{
	struct api *api;

	*out = NULL;
	if (cfg->api_listen_count == 0)
		return 0;
	api = xcalloc(1, sizeof(*api));
	api->limits = tenant_limits_new();
	api->ctl = ctl;
	api->listeners = xcalloc(cfg->api_listen_count, sizeof(*api->listeners));
	api->bound = xcalloc(cfg->api_listen_count, sizeof(*api->bound));
	api->guards = xcalloc(cfg->api_listen_count, sizeof(*api->guards));
	for (size_t i = 0; i < cfg->api_listen_count; i++) {
		const struct config_api_listener *c = &cfg->api_listeners[i];
		char ip[NETADDR_STRLEN], text[NETADDR_STRLEN], roles[64];
		struct api_listener *lis = &api->listeners[i];
		struct evhttp_bound_socket *bs;
		struct netaddr *b = &api->bound[i];
		struct gslb_err why = { "" };
		int rc;

		netaddr_format_ip(&cfg->api_listen[i].u.sa, ip, sizeof(ip));
		netaddr_format(&cfg->api_listen[i].u.sa, text, sizeof(text));
		lis->api = api;
		lis->roles = c->roles;
		api->bound_count++;
		if (c->tls_certificate != NULL &&
		    (rc = tls_server_new(c->tls_certificate, c->tls_key, c->tls_client_ca,
					 &lis->tls, &why)) != 0) {
			api_free(api);
			return gslb_err_setc(err, rc, "%s:%u:%u: api.listen[%zu] %s: %s", cfg->path,
					     c->line, c->col, i, text, why.msg);
		}
		lis->http = server_new(base, cfg, lis);
		if (lis->http == NULL) {
			api_free(api);
			return gslb_err_setc(err, GSLB_EIO, "api: cannot create the HTTP server");
		}
		if (lis->tls != NULL)
			tls_server_attach(lis->tls, lis->http);
		bs = evhttp_bind_socket_with_handle(lis->http, ip,
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
		config_api_roles_format(lis->roles, roles, sizeof(roles));
		netaddr_format(&b->u.sa, text, sizeof(text));
		if (lis->tls != NULL)
			log_info("api %s: https roles=%s client_certificates=%s %s", text, roles,
				 c->tls_client_ca != NULL ? "required" : "no",
				 tls_server_describe(lis->tls));
		else
			log_info("api %s: http roles=%s", text, roles);
		if (lis->tls == NULL && (lis->roles & (API_ROLE_ADMIN | API_ROLE_TENANT)) &&
		    !is_loopback(&b->u.sa))
			log_warn("api %s: serves %s in plain HTTP beyond loopback: their tokens "
				 "cross the network in clear (give this listener tls, or only "
				 "the roles probe, status and metrics)",
				 text, roles);
	}
	*out = api;
	return 0;
}

int api_check_tls(const struct config *cfg, struct gslb_err *err)
{
	for (size_t i = 0; i < cfg->api_listen_count; i++) {
		const struct config_api_listener *c = &cfg->api_listeners[i];
		struct tls_server *t;
		struct gslb_err why = { "" };
		char text[NETADDR_STRLEN];
		int rc;

		if (c->tls_certificate == NULL)
			continue;
		if ((rc = tls_server_new(c->tls_certificate, c->tls_key, c->tls_client_ca, &t,
					 &why)) != 0) {
			netaddr_format(&cfg->api_listen[i].u.sa, text, sizeof(text));
			return gslb_err_setc(err, rc, "%s:%u:%u: api.listen[%zu] %s: %s", cfg->path,
					     c->line, c->col, i, text, why.msg);
		}
		tls_server_free(t);
	}
	return 0;
}

void api_reload(struct api *api, const struct config *cfg)
{
	bool same = api != NULL && cfg->api_listen_count == api->bound_count;

	if (api == NULL)
		return;
	/* The listeners stay as they were bound; their roles and TLS files
	 * follow the config while each keeps its address and its TLS or not. */
	for (size_t i = 0; same && i < api->bound_count; i++) {
		const struct netaddr *a = &cfg->api_listen[i];
		const struct netaddr *b = &api->bound[i];

		same = a->u.sa.sa_family == b->u.sa.sa_family &&
		       (cfg->api_listeners[i].tls_certificate != NULL) ==
			   (api->listeners[i].tls != NULL) &&
		       (netaddr_port(&a->u.sa) == 0 ||
			netaddr_port(&a->u.sa) == netaddr_port(&b->u.sa));
		if (same) {
			char x[NETADDR_STRLEN], y[NETADDR_STRLEN];

			netaddr_format_ip(&a->u.sa, x, sizeof(x));
			netaddr_format_ip(&b->u.sa, y, sizeof(y));
			same = strcmp(x, y) == 0;
		}
	}
	if (!same)
		log_warn("reload: api.listen changed its addresses or TLS; that takes effect at "
			 "the next restart (the listeners keep their roles and reload their "
			 "certificates from the files they have)");
	for (size_t i = 0; i < api->bound_count; i++) {
		struct api_listener *lis = &api->listeners[i];
		const struct config_api_listener *c = same ? &cfg->api_listeners[i] : NULL;
		struct gslb_err err = { "" };
		char text[NETADDR_STRLEN], roles[64];

		netaddr_format(&api->bound[i].u.sa, text, sizeof(text));
		if (c != NULL && c->roles != lis->roles) {
			lis->roles = c->roles;
			config_api_roles_format(lis->roles, roles, sizeof(roles));
			log_info("api %s: roles=%s", text, roles);
		}
		if (lis->tls == NULL)
			continue;
		if (tls_server_reload(lis->tls, c != NULL ? c->tls_certificate : NULL,
				      c != NULL ? c->tls_key : NULL,
				      c != NULL ? c->tls_client_ca : NULL, &err) != 0)
			log_err("api %s: TLS not reloaded, keeping the certificate in use (%s): %s",
				text, tls_server_describe(lis->tls), err.msg);
		else
			log_info("api %s: TLS reloaded: %s", text, tls_server_describe(lis->tls));
	}
}

void api_describe(const struct api *api, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; api != NULL && i < api->bound_count && used < len; i++) {
		char a[NETADDR_STRLEN];
		int n;

		netaddr_format(&api->bound[i].u.sa, a, sizeof(a));
		n = snprintf(buf + used, len - used, " %s=%s",
			     api->listeners[i].tls != NULL ? "https" : "http", a);
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
		fprintf(out, "%s tcp %s %u\n", api->listeners[i].tls != NULL ? "https" : "http", ip,
			netaddr_port(&api->bound[i].u.sa));
	}
}

void api_free(struct api *api)
{
	if (api == NULL)
		return;
	for (size_t i = 0; i < api->bound_count; i++) {
		accept_guard_free(api->guards[i]);
		if (api->listeners[i].http != NULL)
			evhttp_free(api->listeners[i].http);
		tls_server_free(api->listeners[i].tls);
	}
	free(api->listeners);
	free(api->guards);
	free(api->bound);
	tenant_limits_free(api->limits);
	free(api);
}

#include <config.h>

#include "gslbd/net/api.h"

#include "gslbd/net/accept_guard.h"
#include "gslbd/net/http_server.h"
#include "gslbd/net/webhook.h"
#include "gslbd/net/xdp.h"
#include "gslbd/net/status_page.h"
#include "gslbd/net/tenant.h"
#include "gslbd/net/tls.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
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

/* Longest request line and headers, in bytes. */
#define API_MAX_HEADERS (16 * 1024)
/* Largest body of an admin write or a reload (which read none). */
#define API_SMALL_BODY 1024
/* Request bodies held at once, in all (at least two reports of
 * reports.max_bytes): what clients can make the API hold; a client
 * network holds a quarter at most (at least one report). */
#define API_BODY_BUDGET (16u * 1024 * 1024)
/* Descriptors kept back for everything but API and DNS TCP connections:
 * UDP and listening sockets, zone and GeoIP files, etcd, webhooks, logs. */
#define API_FD_RESERVE 256
/* Fewest API connections the descriptor budget leaves. */
#define API_FD_MIN 16
/* Failed tokens are counted per client network over this window. */
#define AUTH_WINDOW_MS 60000
/* Entries of the failed-token table (a power of two). */
#define AUTH_SLOTS 4096

/* Refusals decided by the API itself (the server counts its own). */
enum api_refusal {
	API_REFUSED_ACL,       /* api.acl */
	API_REFUSED_AUTH,      /* missing or wrong token */
	API_REFUSED_THROTTLED, /* too many failed tokens from the network (429) */
	API_REFUSAL_KINDS
};

static const char *const api_refusal_names[API_REFUSAL_KINDS] = {"acl", "auth",
								 "auth_throttled"};

/* Failed tokens of one client network in the current window. */
struct auth_slot {
	uint8_t net[17];   /* family byte, masked address */
	uint64_t start_ms; /* window start */
	unsigned failures; /* failures since */
};

/* One listener (api.listen entry): its roles and TLS are its own; every
 * listener's requests go to on_headers() and handle(). */
struct api_listener {
	unsigned roles;         /* API_ROLE_* served */
	struct tls_server *tls; /* its certificate, or NULL: plain HTTP */
};

struct api {
	struct http_server *http;       /* the server, every listener's */
	struct api_listener *listeners; /* one per bound address */
	struct control *ctl;            /* control plane */
	struct netaddr *bound;          /* bound addresses */
	size_t bound_count;             /* entries at listeners and bound */
	struct tenant_limits *limits;   /* tenants' request rates */
	unsigned fd_cap;                /* connections the descriptor budget allows */
	struct auth_slot *auth;         /* failed tokens, AUTH_SLOTS entries */
	uint64_t refused[API_REFUSAL_KINDS]; /* refusals by kind */
};

static void reply_json(struct http_request *req, int code, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS);

	evhttp_add_header(http_request_reply_headers(req), "Content-Type", "application/json");
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	http_reply(req, code, buf);
	evbuffer_free(buf);
	free(text);
	json_decref(body);
}

static void reply_error(struct http_request *req, int code, const char *msg)
{
	reply_json(req, code, json_pack("{s:s}", "error", msg));
}

/* The query string's parameters into params (clear them after). Replies
 * 400 and returns false when malformed. */
static bool query_parse(struct http_request *req, struct evkeyvalq *params)
{
	if (evhttp_parse_query_str(http_request_query(req) ?: "", params) == 0)
		return true;
	reply_error(req, 400, "malformed query string");
	return false;
}

/* api.acl: may the peer of req use the API? Logs a refusal. */
static bool acl_permits(struct http_request *req)
{
	const struct netacl *acl = &snapshot_current()->config->api_acl;

	if (!acl->set || netacl_permits(acl, &http_request_peer(req)->u.sa))
		return true;
	log_ratelimited(LOG_LEVEL_WARN, "api: refused: peer=%s reason=api.acl",
			http_request_peer_text(req));
	return false;
}

/* ---- failed tokens, per client network ---- */

static void net_key(const struct sockaddr *sa, uint8_t key[17])
{
	uint8_t raw[16];
	size_t n = netaddr_raw(sa, raw);
	unsigned bytes = n == 4 ? 3 : 7; /* /24, /56 */

	memset(key, 0, 17);
	key[0] = (uint8_t)n;
	memcpy(key + 1, raw, bytes);
}

static struct auth_slot *auth_slot(struct api *api, const struct http_request *req)
{
	uint8_t key[17];
	uint32_t h = 2166136261u;
	struct auth_slot *s;

	net_key(&http_request_peer(req)->u.sa, key);
	for (size_t i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	s = &api->auth[h & (AUTH_SLOTS - 1)];
	/* A slot taken by another network is reused once its window is over,
	 * or at once: a collision costs the other network its count, never
	 * an innocent one a refusal. */
	if (memcmp(s->net, key, sizeof(key)) != 0) {
		memcpy(s->net, key, sizeof(key));
		s->start_ms = time_mono_ms();
		s->failures = 0;
	}
	return s;
}

/* Has req's network failed too often? Then reply 429 with Retry-After. */
static bool auth_throttled(struct api *api, struct http_request *req)
{
	const struct config *cfg = snapshot_current()->config;
	struct auth_slot *s = auth_slot(api, req);
	uint64_t now = time_mono_ms();
	char retry[32];

	if (now - s->start_ms >= AUTH_WINDOW_MS) {
		s->start_ms = now;
		s->failures = 0;
	}
	if (s->failures < cfg->api_auth_failures)
		return false;
	api->refused[API_REFUSED_THROTTLED]++;
	log_ratelimited(LOG_LEVEL_WARN, "api: refused: peer=%s reason=too many failed tokens",
			http_request_peer_text(req));
	snprintf(retry, sizeof(retry), "%llu",
		 (unsigned long long)((s->start_ms + AUTH_WINDOW_MS - now + 999) / 1000));
	evhttp_add_header(http_request_reply_headers(req), "Retry-After", retry);
	reply_error(req, 429, "too many failed tokens from this network; try again later");
	return true;
}

/* Count a failed token of req's network and log it (rate-limited): what
 * was refused ("write refused", "refused") and why. */
static void auth_failed(struct api *api, struct http_request *req, const char *what,
			const char *why)
{
	auth_slot(api, req)->failures++;
	api->refused[API_REFUSED_AUTH]++;
	log_ratelimited(LOG_LEVEL_WARN, "api: %s: peer=%s path=%s reason=%s", what,
			http_request_peer_text(req), http_request_path(req), why);
}

static void handle_healthz(struct http_request *req)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add_printf(buf, "ok\n");
	evhttp_add_header(http_request_reply_headers(req), "Content-Type", "text/plain");
	http_reply(req, 200, buf);
	evbuffer_free(buf);
}

/* status, cut down to what tenant t (NULL: everyone) sees */
static void handle_status(struct api *api, struct http_request *req, const struct config_token *t)
{
	const struct snapshot *snap = snapshot_current();
	json_t *st = status_json(api->ctl, snap, time_mono_ms());

	if (t != NULL)
		tenant_filter_status(st, snap->config, t);
	reply_json(req, 200, st);
}

/* the last hour of the datacenters, cut down to what tenant t (NULL:
 * everyone) sees */
static void handle_history(struct api *api, struct http_request *req,
			   const struct config_token *t)
{
	const struct snapshot *snap = snapshot_current();
	json_t *h = status_history_json(api->ctl, snap, time_wall_ms());

	if (t != NULL)
		tenant_filter_history(h, snap->config, t);
	reply_json(req, 200, h);
}

/* The one answer a tenant gets for any name explain does not show it. */
#define TENANT_EXPLAIN_REFUSAL \
	"no such name in this token's pools, or a client or ecs that is not an address"

static void handle_explain(struct api *api, struct http_request *req, const struct config_token *t)
{
	struct evkeyvalq params;
	struct explain_query q = { 0 };
	struct gslb_err err = { "" };
	const char *qtype;
	json_t *j;

	if (!query_parse(req, &params))
		return;
	q.name = evhttp_find_header(&params, "name");
	q.client = evhttp_find_header(&params, "client");
	q.ecs = evhttp_find_header(&params, "ecs");
	qtype = evhttp_find_header(&params, "qtype");
	q.qtype = qtype != NULL && strcasecmp(qtype, "AAAA") == 0 ? 28 : 1;
	q.ctl = api->ctl;
	if (q.name == NULL || q.client == NULL) {
		reply_error(req, 400, "name and client are required");
	} else if (qtype != NULL && strcasecmp(qtype, "A") != 0 && strcasecmp(qtype, "AAAA") != 0) {
		reply_error(req, 400, "qtype must be A or AAAA");
	} else if ((j = explain_json(snapshot_current(), &q, &err)) == NULL ||
		   (t != NULL && !tenant_filter_explain(j, snapshot_current()->config, t))) {
		/* A tenant learns nothing of names outside its pools: a name of
		 * another tenant, an unknown one and a query explain refuses
		 * all get the same answer. */
		json_decref(j);
		if (t != NULL)
			reply_error(req, 404, TENANT_EXPLAIN_REFUSAL);
		else
			reply_error(req, 400, err.msg);
	} else {
		reply_json(req, 200, j);
	}
	evhttp_clear_headers(&params);
}

/* Does req carry the admin token? Replies and returns false if not. */
static bool authorised(struct api *api, struct http_request *req)
{
	const char *token = snapshot_current()->config->api_admin_token;
	const char *auth = http_request_header(req, "Authorization");

	if (token == NULL) {
		log_ratelimited(LOG_LEVEL_WARN,
				"api: write refused: peer=%s reason=no admin token configured",
				http_request_peer_text(req));
		reply_error(req, 403, "no admin token is configured; write endpoints are disabled");
		return false;
	}
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != strlen(token) ||
	    CRYPTO_memcmp(auth + 7, token, strlen(token)) != 0) {
		auth_failed(api, req, "write refused", "bad or missing admin token");
		reply_error(req, 401, "missing or wrong admin token");
		return false;
	}
	return true;
}

/* May tenant t steer datacenter dc? Replies 403 and logs if not. */
static bool tenant_may_steer(struct http_request *req, const struct config_token *t,
			     const char *dc)
{
	const struct config *cfg = snapshot_current()->config;
	long k = config_datacenter_find(cfg, dc);

	if (t->write && k >= 0 && t->dcs[k])
		return true;
	log_ratelimited(LOG_LEVEL_WARN,
			"api: write refused: peer=%s tenant=%s datacenter=%s reason=%s",
			http_request_peer_text(req), t->name, dc,
			t->write ? "not one of its datacenters" : "read-only token");
	reply_error(req, 403, t->write ? "this datacenter is not one of this token's"
				       : "this token is read-only");
	return false;
}

/* POST /v1/datacenters/NAME/ACTION (authorised on the headers already) */
static void handle_admin(struct api *api, struct http_request *req, const char *rest,
			 const struct config_token *t)
{
	const char *slash = strchr(rest, '/');
	const struct config *cfg = snapshot_current()->config;
	enum admin_state st;
	struct gslb_err err = { "" };
	struct evkeyvalq params;
	const char *rev, *reason;
	char author[160];
	int64_t expect = -1;
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
	if (t != NULL && !tenant_may_steer(req, t, dc))
		return;
	snprintf(author, sizeof(author), "%s@%s", t != NULL ? t->name : "admin",
		 http_request_peer_text(req));
	if (!query_parse(req, &params))
		return;
	/* ?revision=N: the revision of the override the operator saw
	 * (admin_revision in the status); a stale one is refused. Revisions
	 * and reasons live in the fleet's store: without etcd they would be
	 * dropped, so they are refused rather than ignored. */
	rev = evhttp_find_header(&params, "revision");
	reason = evhttp_find_header(&params, "reason");
	if ((rev != NULL || reason != NULL) && cfg->etcd_endpoint_count == 0) {
		evhttp_clear_headers(&params);
		reply_error(req, 400,
			    "revision and reason are kept by the fleet's store (etcd.endpoints), "
			    "which is not configured; send the request without them");
		return;
	}
	if (rev != NULL) {
		char *end;

		expect = strtoll(rev, &end, 10);
		if (*rev == '\0' || *end != '\0' || expect < 0) {
			evhttp_clear_headers(&params);
			reply_error(req, 400, "revision must be a number");
			return;
		}
	}
	log_info("api: write: peer=%s who=%s datacenter=%s action=%s",
		 http_request_peer_text(req), t != NULL ? t->name : "admin", dc, slash + 1);
	rc = control_admin_set_rev(api->ctl, dc, st, expect, author, reason, &err);
	evhttp_clear_headers(&params);
	if (rc == GSLB_ENOENT) {
		reply_error(req, 404, err.msg);
		return;
	}
	if (rc == GSLB_ECONFLICT || rc == GSLB_EUNAVAIL) {
		reply_error(req, rc == GSLB_ECONFLICT ? 409 : 503, err.msg);
		return;
	}
	body = json_pack("{s:s, s:s, s:b}", "datacenter", dc, "admin", admin_state_name(st),
			 "persisted", rc == 0 && cfg->state_file != NULL);
	if (rc != 0)
		json_object_set_new(body, "error", json_string(err.msg));
	reply_json(req, rc == 0 ? 200 : 500, body);
}

static void read_auth(const struct http_request *req, struct report_auth *auth)
{
	auth->key = http_request_header(req, SIGN_HEADER_KEY);
	auth->boot = http_request_header(req, SIGN_HEADER_BOOT);
	auth->seq = http_request_header(req, SIGN_HEADER_SEQ);
	auth->timestamp = http_request_header(req, SIGN_HEADER_TIMESTAMP);
	auth->signature = http_request_header(req, SIGN_HEADER_SIGNATURE);
}

/* Refuse a report with verdict v (logged, and counted by control). */
static void report_refuse(struct http_request *req, const struct report_auth *auth,
			  enum report_verdict v, const char *why)
{
	log_ratelimited(LOG_LEVEL_WARN, "report rejected: probe=%s peer=%s reason=%s: %s",
			auth->key != NULL ? auth->key : "-", http_request_peer_text(req),
			report_verdict_name(v), why);
	reply_json(req, report_verdict_http(v),
		   json_pack("{s:s, s:s}", PROBE_PROTO_KEY_REFUSAL_ERROR, why,
			     PROBE_PROTO_KEY_REFUSAL_REASON, report_verdict_name(v)));
}

/* POST /v1/reports on its headers: a body too large, or from no known
 * probe, is refused before it is read. Returns false when refused. */
static bool report_headers(struct api *api, struct http_request *req)
{
	const struct config *cfg = snapshot_current()->config;
	struct report_auth auth;
	size_t len = http_request_content_length(req), accepted;
	bool known = false;
	char why[256] = "";
	enum report_verdict v;

	read_auth(req, &auth);
	for (size_t i = 0; auth.key != NULL && i < cfg->probe_count; i++)
		known = known || strcmp(cfg->probes[i].id, auth.key) == 0;
	if (len <= cfg->report_max_bytes && known && auth.boot != NULL && auth.seq != NULL &&
	    auth.timestamp != NULL && auth.signature != NULL) {
		http_request_set_body_limit(req, cfg->report_max_bytes);
		return true;
	}
	/* The verdict depends on the length and the headers alone here: the
	 * size and the key are checked before anything reads the body. */
	v = control_report(api->ctl, &auth, NULL, len > cfg->report_max_bytes ? len : 0, &accepted,
			   why, sizeof(why));
	if (v == REPORT_OK) {
		http_request_set_body_limit(req, cfg->report_max_bytes);
		return true;
	}
	report_refuse(req, &auth, v, why);
	return false;
}

static void handle_report(struct api *api, struct http_request *req)
{
	struct report_auth auth;
	const void *body;
	size_t len, accepted = 0;
	char why[256] = "";
	enum report_verdict v;

	read_auth(req, &auth);
	body = http_request_body(req, &len);
	v = control_report(api->ctl, &auth, body, len, &accepted, why, sizeof(why));
	if (v == REPORT_OK) {
		reply_json(req, 200, json_pack("{s:I}", "accepted", (json_int_t)accepted));
		return;
	}
	report_refuse(req, &auth, v, why);
}

static void handle_probe_config(struct api *api, struct http_request *req)
{
	const struct config *cfg = snapshot_current()->config;
	struct evkeyvalq *out = http_request_reply_headers(req);
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
		log_ratelimited(LOG_LEVEL_WARN, "probe-config refused: probe=%s peer=%s reason=%s: %s",
				auth.key != NULL ? auth.key : "-", http_request_peer_text(req),
				report_verdict_name(v), why);
		reply_json(req, report_verdict_http(v),
			   json_pack("{s:s, s:s}", PROBE_PROTO_KEY_REFUSAL_ERROR, why,
				     PROBE_PROTO_KEY_REFUSAL_REASON, report_verdict_name(v)));
		return;
	}
	/* The answer, 304 included, is signed for this request (sign.h). */
	config = control_probe_config(api->ctl, &etag, &an.generation, &an.boot);
	inm = http_request_header(req, "If-None-Match");
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
		http_reply(req, 304, NULL);
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, config, strlen(config));
	evhttp_add_header(out, "Content-Type", "application/json");
	http_reply(req, 200, buf);
	evbuffer_free(buf);
}

/* The API's own series: connections and refusals. */
static void api_metrics(const struct api *api, struct evbuffer *b)
{
	evbuffer_add_printf(b,
			    "# HELP gslbd_api_connections Open connections to the HTTP API.\n"
			    "# TYPE gslbd_api_connections gauge\n"
			    "gslbd_api_connections %u\n"
			    "# HELP gslbd_api_connections_limit Connections the HTTP API accepts "
			    "(api.max_connections within the descriptor budget).\n"
			    "# TYPE gslbd_api_connections_limit gauge\n"
			    "gslbd_api_connections_limit %u\n"
			    "# HELP gslbd_api_refused_total Requests and connections the HTTP API "
			    "refused or cut, by reason.\n"
			    "# TYPE gslbd_api_refused_total counter\n",
			    http_server_connections(api->http),
			    api->fd_cap < snapshot_current()->config->api_max_connections
				? api->fd_cap
				: snapshot_current()->config->api_max_connections);
	for (int k = 0; k < HTTP_REFUSAL_KINDS; k++)
		evbuffer_add_printf(b, "gslbd_api_refused_total{reason=\"%s\"} %llu\n",
				    http_refusal_name(k),
				    (unsigned long long)http_server_refused(api->http, k));
	for (int k = 0; k < API_REFUSAL_KINDS; k++)
		evbuffer_add_printf(b, "gslbd_api_refused_total{reason=\"%s\"} %llu\n",
				    api_refusal_names[k], (unsigned long long)api->refused[k]);
}

static void handle_metrics(struct api *api, struct http_request *req, const struct config_token *t)
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
		evhttp_add_header(http_request_reply_headers(req), "Content-Type",
				  "text/plain; version=0.0.4");
		http_reply(req, 200, b);
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
	api_metrics(api, b);
	evbuffer_add_printf(b,
			    "# HELP gslbd_dns_path Which path reads DNS over UDP: xdp (AF_XDP, "
			    "server.xdp) or socket.\n"
			    "# TYPE gslbd_dns_path gauge\n"
			    "gslbd_dns_path{path=\"xdp\"} %d\n"
			    "gslbd_dns_path{path=\"socket\"} %d\n",
			    xdp_path_is_serving() ? 1 : 0, xdp_path_is_serving() ? 0 : 1);
	{
		struct xdp_counters x;

		xdp_path_counters(&x);
		evbuffer_add_printf(
		    b,
		    "# HELP gslbd_xdp_frames_total Frames the XDP program gave to gslbd's AF_XDP "
		    "sockets: all, and those that failed the header checks (dropped).\n"
		    "# TYPE gslbd_xdp_frames_total counter\n"
		    "gslbd_xdp_frames_total{result=\"read\"} %llu\n"
		    "gslbd_xdp_frames_total{result=\"invalid\"} %llu\n"
		    "# HELP gslbd_xdp_kernel_dropped_total Frames for gslbd's AF_XDP sockets "
		    "that the kernel dropped, by reason.\n"
		    "# TYPE gslbd_xdp_kernel_dropped_total counter\n"
		    "gslbd_xdp_kernel_dropped_total{reason=\"rx_ring_full\"} %llu\n"
		    "gslbd_xdp_kernel_dropped_total{reason=\"fill_ring_empty\"} %llu\n"
		    "gslbd_xdp_kernel_dropped_total{reason=\"other\"} %llu\n",
		    (unsigned long long)x.frames, (unsigned long long)x.invalid,
		    (unsigned long long)x.rx_ring_full, (unsigned long long)x.fill_ring_empty,
		    (unsigned long long)x.rx_dropped);
	}
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
	evhttp_add_header(http_request_reply_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	http_reply(req, 200, b);
	evbuffer_free(b);
	free(sum);
}

/* The reload asked for by req ended: reply (the reload logged it). */
static void reload_done(void *arg, int rc, const char *msg, uint64_t generation)
{
	struct http_request *req = arg;

	if (rc != 0)
		reply_error(req, rc == GSLB_EUNAVAIL ? 503 : rc == GSLB_ENOENT ? 404 : 500, msg);
	else
		reply_json(req, 200, json_pack("{s:I}", "generation", (json_int_t)generation));
}

/* Replies once the reload has run (off the main loop, which keeps serving). */
static void handle_reload(struct api *api, struct http_request *req)
{
	struct evkeyvalq params = {0};
	const char *zone;

	if (!query_parse(req, &params))
		return;
	zone = evhttp_find_header(&params, "zone");
	if (zone != NULL) {
		/* ?zone=NAME: that zone's file read again, the config kept. */
		log_info("reload: zone %s requested through the API: peer=%s", zone,
			 http_request_peer_text(req));
		http_request_defer(req);
		control_reload_zone(api->ctl, zone, reload_done, req);
	} else {
		log_info("reload: requested through the API: peer=%s", http_request_peer_text(req));
		http_request_defer(req);
		control_reload_request(api->ctl, CONTROL_RELOAD_API, reload_done, req);
	}
	evhttp_clear_headers(&params);
}

/* The role (API_ROLE_*) a listener must serve for a request of path, or 0
 * for a path every listener answers (/healthz, and unknown paths: 404).
 * tenant: the request carries a tenant's token. */
static unsigned api_role_of_path(const char *path, bool tenant)
{
	if (strcmp(path, PROBE_PROTO_PATH_REPORTS) == 0 ||
	    strcmp(path, PROBE_PROTO_PATH_CONFIG) == 0)
		return API_ROLE_PROBE;
	if (strcmp(path, "/") == 0 || strcmp(path, "/v1/status") == 0 ||
	    strcmp(path, "/v1/history") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_STATUS;
	if (strcmp(path, "/metrics") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_METRICS;
	if (strncmp(path, "/v1/datacenters/", 16) == 0 || strcmp(path, "/v1/reload") == 0 ||
	    strcmp(path, "/v1/explain") == 0)
		return tenant ? API_ROLE_TENANT : API_ROLE_ADMIN;
	return 0;
}

/* What a request is, from its request line and headers. */
enum route {
	ROUTE_ADMIN,  /* /v1/datacenters/... */
	ROUTE_REPORT, /* /v1/reports */
	ROUTE_RELOAD, /* /v1/reload */
	ROUTE_READ,   /* everything else */
};

static enum route route_of(const char *path)
{
	if (strncmp(path, "/v1/datacenters/", 16) == 0)
		return ROUTE_ADMIN;
	if (strcmp(path, PROBE_PROTO_PATH_REPORTS) == 0)
		return ROUTE_REPORT;
	if (strcmp(path, "/v1/reload") == 0)
		return ROUTE_RELOAD;
	return ROUTE_READ;
}

/* Everything that can be decided without the body is decided here, before
 * any of it is read: the ACL, the method, tokens, rates and the body limit
 * of the endpoint. The handler then sees only requests let through. */
static void on_headers(struct http_request *req, void *arg)
{
	struct api *api = arg;
	const struct config *cfg = snapshot_current()->config;
	const struct api_listener *lis = &api->listeners[http_request_listener(req)];
	const char *path = http_request_path(req);
	const char *auth = http_request_header(req, "Authorization");
	enum http_method m = http_request_method(req);
	enum route r = route_of(path);
	enum tenant_who who;
	unsigned role;
	size_t ti = 0;

	if (!acl_permits(req)) {
		api->refused[API_REFUSED_ACL]++;
		reply_error(req, 403, "this address may not use the API (api.acl)");
		return;
	}
	/* The probe's endpoints take no token: their role is known now. */
	role = api_role_of_path(path, false);
	if (role == API_ROLE_PROBE && !(lis->roles & role)) {
		reply_error(req, 404, "no such endpoint");
		return;
	}
	if (r == ROUTE_REPORT) {
		/* signed by a probe: no token */
		if (m != HTTP_POST)
			reply_error(req, 405, "use POST");
		else
			(void)report_headers(api, req);
		return;
	}
	/* A network that failed too often is refused before any token is
	 * compared. */
	if ((auth != NULL || r != ROUTE_READ) && auth_throttled(api, req))
		return;
	who = tenant_identify(cfg, auth, &ti);
	role = api_role_of_path(path, who == TENANT_TOKEN);
	if (role != 0 && !(lis->roles & role)) {
		reply_error(req, 404, "no such endpoint");
		return;
	}
	if (r == ROUTE_READ ? m == HTTP_POST : m != HTTP_POST) {
		reply_error(req, 405, r == ROUTE_READ ? "use GET" : "use POST");
		return;
	}
	/* (writes without a tenant's token are the admin's: authorised()) */
	if (who == TENANT_NONE && auth != NULL && r == ROUTE_READ)
		auth_failed(api, req, "refused", "unknown token");
	if (who == TENANT_TOKEN && !tenant_limits_allow(api->limits, cfg, ti, time_mono_ms())) {
		log_ratelimited(LOG_LEVEL_WARN, "api: refused: tenant=%s reason=request rate",
				cfg->tokens[ti].name);
		reply_error(req, 429, "too many requests for this token");
		return;
	}
	if (r == ROUTE_RELOAD && who == TENANT_TOKEN) {
		reply_error(req, 403, "reloads are for the admin token");
		return;
	}
	if ((r == ROUTE_RELOAD || (r == ROUTE_ADMIN && who != TENANT_TOKEN)) &&
	    !authorised(api, req))
		return;
	/* With tenants, what the API shows is for token holders alone. */
	if (r == ROUTE_READ && cfg->token_count > 0 && who == TENANT_NONE &&
	    strcmp(path, "/healthz") != 0 && strcmp(path, PROBE_PROTO_PATH_CONFIG) != 0 &&
	    strcmp(path, "/") != 0) {
		reply_error(req, 401, "a token is required (tokens are configured)");
		return;
	}
	http_request_set_body_limit(req, r == ROUTE_READ ? 0 : API_SMALL_BODY);
}

static void handle(struct http_request *req, void *arg)
{
	struct api *api = arg;
	const char *path = http_request_path(req);
	const struct config *cfg = snapshot_current()->config;
	const struct config_token *t = NULL;
	size_t ti = 0;

	if (tenant_identify(cfg, http_request_header(req, "Authorization"), &ti) == TENANT_TOKEN)
		t = &cfg->tokens[ti];
	switch (route_of(path)) {
	case ROUTE_ADMIN:
		handle_admin(api, req, path + 16, t);
		return;
	case ROUTE_REPORT:
		handle_report(api, req);
		return;
	case ROUTE_RELOAD:
		handle_reload(api, req);
		return;
	case ROUTE_READ:
		break;
	}
	if (strcmp(path, "/") == 0)
		status_page_serve(req);
	else if (strcmp(path, "/healthz") == 0)
		handle_healthz(req);
	else if (strcmp(path, "/v1/status") == 0)
		handle_status(api, req, t);
	else if (strcmp(path, "/v1/history") == 0)
		handle_history(api, req, t);
	else if (strcmp(path, "/v1/explain") == 0)
		handle_explain(api, req, t);
	else if (strcmp(path, PROBE_PROTO_PATH_CONFIG) == 0)
		handle_probe_config(api, req);
	else if (strcmp(path, "/metrics") == 0)
		handle_metrics(api, req, t);
	else
		reply_error(req, 404, "no such endpoint");
}

/* The limits of a new connection: the config's, within the descriptor
 * budget. */
static void current_limits(struct http_limits *out, void *arg)
{
	const struct api *api = arg;
	const struct config *cfg = snapshot_current()->config;

	out->max_connections =
	    cfg->api_max_connections < api->fd_cap ? cfg->api_max_connections : api->fd_cap;
	out->max_per_client = cfg->api_max_per_client;
	out->header_timeout_ms = cfg->api_header_timeout_ms;
	out->body_timeout_ms = cfg->api_body_timeout_ms;
	out->max_header_len = API_MAX_HEADERS;
	out->max_body_total = 2 * (size_t)cfg->report_max_bytes > API_BODY_BUDGET
				  ? 2 * (size_t)cfg->report_max_bytes
				  : API_BODY_BUDGET;
	/* One network takes a quarter, so that one network alone cannot keep
	 * every probe's report out. */
	out->max_body_per_client = out->max_body_total / 4 > cfg->report_max_bytes
				       ? out->max_body_total / 4
				       : cfg->report_max_bytes;
}

/* Connections the descriptor limit leaves the API once DNS over TCP has
 * all its connections and the rest of gslbd its reserve. */
static unsigned fd_budget(const struct config *cfg)
{
	struct rlimit rl;
	unsigned long long have, need = (unsigned long long)cfg->tcp_max_connections + API_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return cfg->api_max_connections;
	have = rl.rlim_cur;
	if (have < need + API_FD_MIN)
		return API_FD_MIN;
	return have - need > 65536 ? 65536 : (unsigned)(have - need);
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
	api->auth = xcalloc(AUTH_SLOTS, sizeof(*api->auth));
	api->fd_cap = fd_budget(cfg);
	if (api->fd_cap < cfg->api_max_connections)
		log_warn("api: at most %u connections (api.max_connections is %u): the open file "
			 "limit must leave server.tcp_max_connections (%u) to DNS over TCP",
			 api->fd_cap, cfg->api_max_connections, cfg->tcp_max_connections);
	api->http = http_server_new(base, current_limits, on_headers, handle, api);
	api->listeners = xcalloc(cfg->api_listen_count, sizeof(*api->listeners));
	api->bound = xcalloc(cfg->api_listen_count, sizeof(*api->bound));
	for (size_t i = 0; i < cfg->api_listen_count; i++) {
		const struct config_api_listener *c = &cfg->api_listeners[i];
		char text[NETADDR_STRLEN], roles[64];
		struct api_listener *lis = &api->listeners[i];
		struct netaddr *b = &api->bound[i];
		struct gslb_err why = { "" };
		int rc;

		netaddr_format(&cfg->api_listen[i].u.sa, text, sizeof(text));
		lis->roles = c->roles;
		api->bound_count++;
		if (c->tls_certificate != NULL &&
		    (rc = tls_server_new(c->tls_certificate, c->tls_key, c->tls_client_ca,
					 &lis->tls, &why)) != 0) {
			api_free(api);
			return gslb_err_setc(err, rc, "%s:%u:%u: api.listen[%zu] %s: %s", cfg->path,
					     c->line, c->col, i, text, why.msg);
		}
		/* Listener i is the i-th http_server_listen(): requests name it. */
		rc = http_server_listen(api->http, &cfg->api_listen[i],
					lis->tls != NULL ? tls_server_bev_new : NULL, lis->tls, b, err);
		if (rc != 0) {
			api_free(api);
			return rc;
		}
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
	/* The server first: its connections may use the listeners' TLS. */
	http_server_free(api->http);
	for (size_t i = 0; i < api->bound_count; i++)
		tls_server_free(api->listeners[i].tls);
	free(api->listeners);
	free(api->bound);
	free(api->auth);
	tenant_limits_free(api->limits);
	free(api);
}

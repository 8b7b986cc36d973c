#include <config.h>

#include "gslbd/control/report.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/check_spec.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"

#define REPORT_KEY_MAX    63       /* longest probe id, as the config allows */
#define REPORT_ERROR_MAX  255      /* bytes kept of a result's error string */
#define REPORT_RTT_MAX    600000.0 /* largest rtt_ms accepted (10 minutes) */
#define REPORT_LOAD_MAX   1e15     /* largest load accepted */
#define REPORT_STATUS_MAX 999      /* largest HTTP status accepted */
#define REPORT_SHOWN_MAX  64       /* bytes of a sender's string quoted in a reason */

static const struct {
	const char *name; /* metric label */
	int http;         /* HTTP status of the refusal */
} verdicts[REPORT_VERDICT_COUNT] = {
    [REPORT_OK] = {"ok", 200},
    [REPORT_NO_AUTH] = {"no_auth", 401},
    [REPORT_UNKNOWN_KEY] = {"unknown_key", 401},
    [REPORT_BAD_SIGNATURE] = {"bad_signature", 401},
    [REPORT_SKEW] = {"skew", 401},
    [REPORT_REPLAY] = {"replay", 409},
    [REPORT_TOO_LARGE] = {"too_large", 413},
    [REPORT_MALFORMED] = {"malformed", 400},
};

const char *report_verdict_name(enum report_verdict v)
{
	if ((unsigned)v >= REPORT_VERDICT_COUNT)
		return "unknown";
	return verdicts[v].name;
}

int report_verdict_http(enum report_verdict v)
{
	if ((unsigned)v >= REPORT_VERDICT_COUNT)
		return 500;
	return verdicts[v].http;
}

/* Write a reason into why (which may be NULL) and return v. */
static enum report_verdict refuse(char *why, size_t why_len, enum report_verdict v, const char *fmt,
				  ...) __attribute__((format(printf, 4, 5)));

static enum report_verdict refuse(char *why, size_t why_len, enum report_verdict v, const char *fmt,
				  ...)
{
	va_list ap;

	if (why != NULL && why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return v;
}

/* Copy a string a sender chose into buf for a reason line: printable ASCII
 * only (others become '?'), cut at REPORT_SHOWN_MAX bytes with "...". */
static const char *shown(const char *s, char buf[REPORT_SHOWN_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < REPORT_SHOWN_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Format ms as seconds: "30s", "45.2s", "0.001s". */
static const char *secs(uint64_t ms, char buf[32])
{
	if (ms % 1000 == 0) {
		snprintf(buf, 32, "%" PRIu64 "s", ms / 1000);
	} else {
		char frac[4];
		int n = 3;

		snprintf(frac, sizeof(frac), "%03u", (unsigned)(ms % 1000));
		while (n > 1 && frac[n - 1] == '0')
			n--;
		snprintf(buf, 32, "%" PRIu64 ".%.*ss", ms / 1000, n, frac);
	}
	return buf;
}

static bool key_is_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= REPORT_KEY_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return i > 0;
}

static bool sig_is_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SIGN_HEX_LEN ||
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return i == SIGN_HEX_LEN;
}

/* Was boot replaced by another of p within window_ms before now? */
static bool peer_retired(const struct report_peer *p, uint64_t boot, uint64_t now,
			 uint64_t window_ms, uint64_t *ago)
{
	for (size_t i = 0; i < REPORT_RETIRED_MAX; i++) {
		if (p->retired[i] == boot && now - p->retired_ms[i] <= window_ms) {
			*ago = now - p->retired_ms[i];
			return true;
		}
	}
	return false;
}

enum report_verdict report_verify(const struct config *cfg, const char *method, const char *path,
				  const struct report_auth *auth, const void *body, size_t len,
				  uint64_t now_wall_ms, uint64_t now_mono_ms,
				  const struct report_peer *peers, size_t *probe,
				  struct sign_stamp *stamp, char *why, size_t why_len)
{
	const struct config_probe *p = NULL;
	char buf[REPORT_SHOWN_MAX + 4], d1[32], d2[32];
	struct sign_stamp st;
	uint64_t delta, ago;
	size_t i;

	/* Cheapest first, and nothing but "who are you" to unsigned senders. */
	if (len > cfg->report_max_bytes)
		return refuse(why, why_len, REPORT_TOO_LARGE,
			      "body of %zu bytes is over the limit of %u bytes", len,
			      cfg->report_max_bytes);
	if (auth == NULL || auth->key == NULL)
		return refuse(why, why_len, REPORT_NO_AUTH, "missing %s header", SIGN_HEADER_KEY);
	if (auth->boot == NULL || auth->seq == NULL)
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "missing %s header: the sender speaks probe protocol 1, this "
			      "gslbd protocol %d (upgrade gslb-probe)",
			      auth->boot == NULL ? SIGN_HEADER_BOOT : SIGN_HEADER_SEQ,
			      PROBE_PROTO_VERSION);
	if (auth->timestamp == NULL)
		return refuse(why, why_len, REPORT_NO_AUTH, "missing %s header",
			      SIGN_HEADER_TIMESTAMP);
	if (auth->signature == NULL)
		return refuse(why, why_len, REPORT_NO_AUTH, "missing %s header",
			      SIGN_HEADER_SIGNATURE);
	if (!key_is_valid(auth->key))
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "malformed %s header (want 1 to %d of A-Z a-z 0-9 _ . -)",
			      SIGN_HEADER_KEY, REPORT_KEY_MAX);
	if (!sign_boot_parse(auth->boot, &st.boot))
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "malformed %s header (want %d hex digits, not all 0)",
			      SIGN_HEADER_BOOT, SIGN_BOOT_HEX_LEN);
	if (!sign_u64_parse(auth->seq, &st.seq) || st.seq == 0)
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "malformed %s header (want a decimal number from 1)",
			      SIGN_HEADER_SEQ);
	if (!sign_u64_parse(auth->timestamp, &st.ts_ms))
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "malformed %s header (want Unix time in milliseconds)",
			      SIGN_HEADER_TIMESTAMP);
	if (!sig_is_valid(auth->signature))
		return refuse(why, why_len, REPORT_NO_AUTH,
			      "malformed %s header (want %d hex digits)", SIGN_HEADER_SIGNATURE,
			      SIGN_HEX_LEN);
	for (i = 0; i < cfg->probe_count; i++) {
		if (strcmp(cfg->probes[i].id, auth->key) == 0) {
			p = &cfg->probes[i];
			break;
		}
	}
	if (p == NULL)
		return refuse(why, why_len, REPORT_UNKNOWN_KEY, "unknown probe key '%s'",
			      shown(auth->key, buf));
	if (!sign_probe_request_check(p->secret, p->secret_len, method, path, &st,
				      body != NULL ? body : "", len, auth->signature))
		return refuse(why, why_len, REPORT_BAD_SIGNATURE,
			      "probe %s: signature does not match", p->id);
	/* Freshness only: the order comes from (boot id, seq). */
	delta = st.ts_ms > now_wall_ms ? st.ts_ms - now_wall_ms : now_wall_ms - st.ts_ms;
	if (delta > cfg->report_max_skew_ms)
		return refuse(why, why_len, REPORT_SKEW,
			      "probe %s: timestamp %s %s our clock (max %s)", p->id,
			      secs(delta, d1), st.ts_ms > now_wall_ms ? "ahead of" : "behind",
			      secs(cfg->report_max_skew_ms, d2));
	if (peers != NULL && peers[i].boot == st.boot && st.seq <= peers[i].seq)
		return refuse(why, why_len, REPORT_REPLAY,
			      "probe %s: seq %" PRIu64 " of boot %s is not newer than the last "
			      "accepted one (%" PRIu64 ")",
			      p->id, st.seq, auth->boot, peers[i].seq);
	/* A replaced boot's reports stay within the skew window for at most
	 * twice the skew after it was replaced. */
	if (peers != NULL && peers[i].boot != st.boot &&
	    peer_retired(&peers[i], st.boot, now_mono_ms, 2 * (uint64_t)cfg->report_max_skew_ms,
			 &ago))
		return refuse(why, why_len, REPORT_REPLAY,
			      "probe %s: boot %s was replaced by a newer one %s ago", p->id,
			      auth->boot, secs(ago, d1));
	*probe = i;
	*stamp = st;
	if (why != NULL && why_len > 0)
		why[0] = '\0';
	return REPORT_OK;
}

void report_peer_accept(struct report_peer *p, const struct sign_stamp *stamp, uint64_t now_mono_ms)
{
	if (p->boot != 0 && p->boot != stamp->boot) {
		size_t slot = 0;

		/* The free slot, else the one replaced longest ago. */
		for (size_t i = 0; i < REPORT_RETIRED_MAX; i++) {
			if (p->retired[i] == 0) {
				slot = i;
				break;
			}
			if (p->retired_ms[i] < p->retired_ms[slot])
				slot = i;
		}
		p->retired[slot] = p->boot;
		p->retired_ms[slot] = now_mono_ms;
	}
	p->boot = stamp->boot;
	p->seq = stamp->seq;
}

static const char *const skip_names[REPORT_SKIP_COUNT] = {
    [REPORT_SKIP_UNKNOWN_DATACENTER] = "unknown_datacenter",
    [REPORT_SKIP_DUPLICATE] = "duplicate",
    [REPORT_SKIP_INVALID] = "invalid",
};

const char *report_skip_name(enum report_skip s)
{
	return (unsigned)s < REPORT_SKIP_COUNT ? skip_names[s] : "unknown";
}

/* Datacenter names sorted for lookups by name. */
struct dc_name {
	const char *name; /* borrowed from the config */
	size_t dc;        /* index into config->datacenters */
};

static int dc_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dc_name *)a)->name, ((const struct dc_name *)b)->name);
}

/* One result as parsed, before it is copied out. */
struct parsed {
	size_t dc;              /* index into config->datacenters */
	bool ok;                /* the check passed */
	double rtt_ms;          /* -1 when absent */
	int status;             /* 0 when absent */
	const char *error;      /* in the JSON tree, or NULL */
	size_t error_len;       /* bytes of error kept */
	double load;            /* reported load, -1 when absent */
	const char *load_error; /* in the JSON tree, or NULL */
	size_t load_error_len;  /* bytes of load_error kept */
};

/* Longest prefix of s (valid UTF-8, len bytes) of at most max bytes that
 * does not split a character. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Skip reasons are report verdicts here, in the same refuse() helper. */
#define SKIP(s) ((enum report_verdict)(REPORT_VERDICT_COUNT + (s)))

/* One result: REPORT_OK with *out set, or SKIP(reason) with why set. */
static enum report_verdict parse_result(const struct config *cfg, const char *id,
					const struct dc_name *names, bool *seen, size_t i,
					json_t *r, struct parsed *out, char *why, size_t why_len)
{
	json_t *v;
	char buf[REPORT_SHOWN_MAX + 4];
	const struct dc_name *hit;
	struct dc_name key = {NULL, 0};

	if (!json_is_object(r))
		return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
			      "probe %s: " PROBE_PROTO_KEY_RESULTS "[%zu] is not an object", id, i);
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_DATACENTER);
	if (!json_is_string(v))
		return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
			      "probe %s: " PROBE_PROTO_KEY_RESULTS
			      "[%zu]." PROBE_PROTO_KEY_RESULT_DATACENTER " is not a string",
			      id, i);
	key.name = json_string_value(v);
	hit = bsearch(&key, names, cfg->datacenter_count, sizeof(names[0]), dc_name_cmp);
	if (hit == NULL)
		return refuse(why, why_len, SKIP(REPORT_SKIP_UNKNOWN_DATACENTER),
			      "probe %s: " PROBE_PROTO_KEY_RESULTS "[%zu]: unknown datacenter '%s'",
			      id, i, shown(key.name, buf));
	if (seen[hit->dc])
		return refuse(why, why_len, SKIP(REPORT_SKIP_DUPLICATE),
			      "probe %s: " PROBE_PROTO_KEY_RESULTS
			      "[%zu]: datacenter %s reported twice",
			      id, i, hit->name);
	out->dc = hit->dc;

	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_OK);
	if (!json_is_boolean(v))
		return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
			      "probe %s: " PROBE_PROTO_KEY_RESULTS
			      "[%zu]." PROBE_PROTO_KEY_RESULT_OK " is not a boolean",
			      id, i);
	out->ok = json_is_true(v);

	/* Absent or null: the target was not reached. */
	out->rtt_ms = -1;
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_RTT_MS);
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_number(v) || !(json_number_value(v) >= 0) ||
		    json_number_value(v) > REPORT_RTT_MAX)
			return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
				      "probe %s: " PROBE_PROTO_KEY_RESULTS
				      "[%zu]." PROBE_PROTO_KEY_RESULT_RTT_MS
				      " is not null or a number from 0 to %.0f",
				      id, i, REPORT_RTT_MAX);
		out->rtt_ms = json_number_value(v);
	}

	out->status = 0;
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_STATUS);
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > REPORT_STATUS_MAX)
			return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
				      "probe %s: " PROBE_PROTO_KEY_RESULTS
				      "[%zu]." PROBE_PROTO_KEY_RESULT_STATUS
				      " is not an integer from 0 to %d",
				      id, i, REPORT_STATUS_MAX);
		out->status = (int)json_integer_value(v);
	}

	out->error = NULL;
	out->error_len = 0;
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_ERROR);
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v))
			return refuse(why, why_len, SKIP(REPORT_SKIP_INVALID),
				      "probe %s: " PROBE_PROTO_KEY_RESULTS
				      "[%zu]." PROBE_PROTO_KEY_RESULT_ERROR
				      " is not a string or null",
				      id, i);
		out->error = json_string_value(v);
		out->error_len = utf8_cut(out->error, json_string_length(v), REPORT_ERROR_MAX);
	}

	/* A malformed load is ignored, not the report: health does not
	 * depend on it. */
	out->load = -1;
	out->load_error = NULL;
	out->load_error_len = 0;
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_LOAD_ERROR);
	if (json_is_string(v)) {
		out->load_error = json_string_value(v);
		out->load_error_len =
		    utf8_cut(out->load_error, json_string_length(v), REPORT_ERROR_MAX);
	}
	v = json_object_get(r, PROBE_PROTO_KEY_RESULT_LOAD);
	if (v != NULL && !json_is_null(v)) {
		if (json_is_number(v) && json_number_value(v) >= 0 &&
		    json_number_value(v) <= REPORT_LOAD_MAX) {
			out->load = json_number_value(v);
		} else {
			static const char bad[] = "malformed load in report";

			log_ratelimited(LOG_LEVEL_WARN,
					"report load ignored: probe=%s datacenter=%s "
					"reason=" PROBE_PROTO_KEY_RESULT_LOAD
					" is not a number from 0 to %.0f",
					id, hit->name, REPORT_LOAD_MAX);
			out->load_error = bad;
			out->load_error_len = sizeof(bad) - 1;
		}
	}
	seen[hit->dc] = true;
	return REPORT_OK;
}

enum report_verdict report_parse(const struct config *cfg, size_t probe, const void *body,
				 size_t len, uint64_t *cycle, struct health_result **results,
				 size_t *count, uint64_t skipped[REPORT_SKIP_COUNT], char *why,
				 size_t why_len)
{
	const char *id;
	char buf[REPORT_SHOWN_MAX + 4];
	enum report_verdict v = REPORT_MALFORMED;
	json_error_t jerr;
	json_t *root, *m, *list;
	struct dc_name *names = NULL;
	struct parsed *parsed = NULL;
	bool *seen = NULL;
	size_t n = 0, total, kept;
	char *strings;

	assert(probe < cfg->probe_count);
	id = cfg->probes[probe].id;
	*results = NULL;
	*count = 0;
	if (cycle != NULL)
		*cycle = 0;
	root = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return refuse(why, why_len, REPORT_MALFORMED,
			      "probe %s: invalid JSON at line %d column %d: %s", id, jerr.line,
			      jerr.column, shown(jerr.text, buf));
	if (!json_is_object(root)) {
		refuse(why, why_len, v, "probe %s: report is not a JSON object", id);
		goto fail;
	}
	m = json_object_get(root, PROBE_PROTO_KEY_PROBE);
	if (!json_is_string(m)) {
		refuse(why, why_len, v,
		       "probe %s: report has no \"" PROBE_PROTO_KEY_PROBE "\" string", id);
		goto fail;
	}
	if (strcmp(json_string_value(m), id) != 0) {
		refuse(why, why_len, v, "probe %s: report is signed by %s but names probe '%s'", id,
		       id, shown(json_string_value(m), buf));
		goto fail;
	}
	m = json_object_get(root, PROBE_PROTO_KEY_CYCLE);
	if (cycle != NULL && json_is_integer(m) && json_integer_value(m) > 0)
		*cycle = (uint64_t)json_integer_value(m);
	list = json_object_get(root, PROBE_PROTO_KEY_RESULTS);
	if (!json_is_array(list)) {
		refuse(why, why_len, v,
		       "probe %s: report has no \"" PROBE_PROTO_KEY_RESULTS "\" array", id);
		goto fail;
	}
	/* More results than datacenters is fine (a reload removed some); the
	 * body limit bounds them. */
	n = json_array_size(list);

	names = xcalloc(cfg->datacenter_count + 1, sizeof(names[0]));
	for (size_t i = 0; i < cfg->datacenter_count; i++)
		names[i] = (struct dc_name){cfg->datacenters[i].name, i};
	qsort(names, cfg->datacenter_count, sizeof(names[0]), dc_name_cmp);
	seen = xcalloc(cfg->datacenter_count + 1, sizeof(seen[0]));
	parsed = xcalloc(n + 1, sizeof(parsed[0]));
	kept = 0;
	for (size_t i = 0; i < n; i++) {
		char skip_why[256];
		enum report_verdict r =
		    parse_result(cfg, id, names, seen, i, json_array_get(list, i), &parsed[kept],
				 skip_why, sizeof(skip_why));

		if (r != REPORT_OK) {
			enum report_skip sk = (enum report_skip)(r - REPORT_VERDICT_COUNT);

			skipped[sk]++;
			log_ratelimited(sk == REPORT_SKIP_UNKNOWN_DATACENTER ? LOG_LEVEL_INFO
									     : LOG_LEVEL_WARN,
					"report result skipped: probe=%s reason=%s: %s", id,
					report_skip_name(sk), skip_why);
			continue;
		}
		kept++;
	}
	n = kept;
	total = n * sizeof(struct health_result) + 1;
	for (size_t i = 0; i < n; i++) {
		if (parsed[i].error != NULL)
			total += parsed[i].error_len + 1;
		if (parsed[i].load_error != NULL)
			total += parsed[i].load_error_len + 1;
	}

	/* One block: the results, then their error strings. */
	*results = xmalloc(total);
	strings = (char *)(*results + n);
	for (size_t i = 0; i < n; i++) {
		struct health_result *r = &(*results)[i];

		r->dc = parsed[i].dc;
		r->ok = parsed[i].ok;
		r->rtt_ms = parsed[i].rtt_ms;
		r->status = parsed[i].status;
		r->error = NULL;
		if (parsed[i].error != NULL) {
			memcpy(strings, parsed[i].error, parsed[i].error_len);
			strings[parsed[i].error_len] = '\0';
			r->error = strings;
			strings += parsed[i].error_len + 1;
		}
		r->has_load = parsed[i].load >= 0;
		r->load = r->has_load ? parsed[i].load : 0.0;
		r->load_error = NULL;
		if (parsed[i].load_error != NULL) {
			memcpy(strings, parsed[i].load_error, parsed[i].load_error_len);
			strings[parsed[i].load_error_len] = '\0';
			r->load_error = strings;
			strings += parsed[i].load_error_len + 1;
		}
	}
	*count = n;
	if (why != NULL && why_len > 0)
		why[0] = '\0';
	v = REPORT_OK;
fail:
	free(parsed);
	free(seen);
	free(names);
	json_decref(root);
	return v;
}

void report_results_free(struct health_result *results, size_t count)
{
	(void)count; /* one block, see report_parse() */
	free(results);
}

/* Where probes connect for dc's check c: check_address (its port winning
 * over the check's), else the first IPv4 VIP, else the first IPv6 VIP.
 * False when there is nothing to connect to (a CNAME datacenter without
 * check_address). */
static bool check_target(const struct config_datacenter *dc, const struct config_check *c,
			 char *addr, size_t addr_len, unsigned *port)
{
	struct netaddr a;

	*port = c->port;
	if (dc->check_address != NULL) {
		if (netaddr_parse(dc->check_address, (uint16_t)c->port, &a) == 0) {
			netaddr_format_ip(&a.u.sa, addr, addr_len);
			*port = netaddr_port(&a.u.sa);
		} else {
			/* The loader accepts only what netaddr_parse() does; hand
			 * anything else over as written. */
			snprintf(addr, addr_len, "%s", dc->check_address);
		}
		return true;
	}
	if (dc->ipv4_count > 0)
		return inet_ntop(AF_INET, dc->ipv4[0], addr, (socklen_t)addr_len) != NULL;
	if (dc->ipv6_count > 0)
		return inet_ntop(AF_INET6, dc->ipv6[0], addr, (socklen_t)addr_len) != NULL;
	return false;
}

/* json_object_set_new() that cannot fail quietly. */
static void set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0) {
		log_err("probe config: cannot add \"%s\"", key);
		abort();
	}
}

/* The probe config's entry for dc's check c (common/check_spec.h). */
static json_t *check_json(const struct config_datacenter *dc, const struct config_check *c,
			  const char *addr, unsigned port)
{
	struct check_spec spec;
	json_t *o;

	conf_check_spec(c, dc->name, addr, port, &spec);
	o = check_spec_to_json(&spec);
	check_spec_fini(&spec);
	return o;
}

char *report_probe_config(const struct config *cfg, char *etag)
{
	static const char digits[] = "0123456789abcdef";
	json_t *root = json_object(), *checks = json_array();
	unsigned interval = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	char *text;

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];
		const struct config_check *c;
		char addr[INET6_ADDRSTRLEN + 256];
		unsigned port;

		if (dc->check < 0 || (size_t)dc->check >= cfg->check_count)
			continue;
		c = &cfg->checks[dc->check];
		if (!check_target(dc, c, addr, sizeof(addr), &port))
			continue;
		json_array_append_new(checks, check_json(dc, c, addr, port));
		if (interval == 0 || c->interval_ms < interval)
			interval = c->interval_ms;
	}
	/* With nothing to check, probes still cycle (and re-fetch) at the
	 * default check interval. */
	set(root, PROBE_PROTO_KEY_INTERVAL_MS, json_integer(interval != 0 ? interval : 2000));
	set(root, PROBE_PROTO_KEY_CHECKS, checks);
	text = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(root);
	if (text == NULL) {
		log_err("probe config: cannot write JSON");
		abort();
	}
	if (EVP_Digest(text, strlen(text), md, &md_len, EVP_sha256(), NULL) != 1 || md_len < 16) {
		log_err("libcrypto: SHA-256 failed");
		abort();
	}
	etag[0] = '"';
	for (size_t i = 0; i < 16; i++) {
		etag[1 + 2 * i] = digits[md[i] >> 4];
		etag[2 + 2 * i] = digits[md[i] & 0xf];
	}
	etag[33] = '"';
	etag[34] = '\0';
	return text;
}

void report_probe_config_sign(const struct config *cfg, size_t probe, const struct sign_stamp *req,
			      const struct sign_answer *an, const void *body, size_t len,
			      struct report_config_sig *out)
{
	const struct config_probe *p = &cfg->probes[probe];

	assert(probe < cfg->probe_count);
	sign_boot_format(an->boot, out->boot);
	snprintf(out->generation, sizeof(out->generation), "%" PRIu64, an->generation);
	snprintf(out->timestamp, sizeof(out->timestamp), "%" PRIu64, an->ts_ms);
	sign_probe_answer(p->secret, p->secret_len, PROBE_PROTO_PATH_CONFIG, req, an,
			  body != NULL ? body : "", len, out->signature);
}

/* Probe reports and probe configuration, as the HTTP API receives and serves
 * them.
 *
 * A report is a JSON body POSTed to /v1/reports, signed (common/sign.h) with
 * the probe's secret:
 *
 *   {"probe": "probe-eu", "results": [
 *      {"datacenter": "us-east", "ok": true, "rtt_ms": 12.5, "status": 200},
 *      {"datacenter": "eu-west", "ok": false, "rtt_ms": -1, "status": 0,
 *       "error": "connect timeout"}]}
 *
 * report_verify() checks the headers and the signature, the clock skew and
 * that the timestamp is newer than the last one accepted from that probe
 * (replay); report_parse() checks the body. Every refusal has a reason, a
 * metric label and an HTTP status. The probe configuration (GET
 * /v1/probe-config) lists the checks each probe runs, with an ETag.
 * Main thread (API handlers); allocation is fine here. */
#ifndef GSLBD_CONTROL_REPORT_H
#define GSLBD_CONTROL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "gslbd/control/health.h"

struct config;

enum report_verdict {
	REPORT_OK = 0,
	REPORT_NO_AUTH,       /* signature headers missing or malformed (401) */
	REPORT_UNKNOWN_KEY,   /* key id not in config->probes (401) */
	REPORT_BAD_SIGNATURE, /* signature does not match (401) */
	REPORT_SKEW,          /* timestamp too far from our clock (401) */
	REPORT_REPLAY,        /* timestamp not newer than the last accepted one (409) */
	REPORT_TOO_LARGE,     /* body over report_max_bytes (413) */
	REPORT_MALFORMED,     /* not the JSON described above (400) */
	REPORT_VERDICT_COUNT
};

/* Metric label ("bad_signature") and HTTP status of a verdict. */
const char *report_verdict_name(enum report_verdict v);
int report_verdict_http(enum report_verdict v);

/* The signature headers of a request (NULL when absent). */
struct report_auth {
	const char *key;        /* X-GSLB-Key */
	const char *timestamp;  /* X-GSLB-Timestamp */
	const char *signature;  /* X-GSLB-Signature */
};

/* Verify a signed request (method and path as received, e.g. "POST",
 * "/v1/reports"). last_ts_ms(probe) gives the newest timestamp accepted from
 * each probe (0 if none); for reports the new one must be greater (pass NULL
 * to skip the replay check, as for GET /v1/probe-config). On REPORT_OK,
 * *probe is the index into cfg->probes and *ts_ms the request's timestamp.
 * why gets a one-line reason otherwise. */
enum report_verdict report_verify(const struct config *cfg, const char *method, const char *path,
				  const struct report_auth *auth, const void *body, size_t len,
				  uint64_t now_wall_ms, const uint64_t *last_ts_ms, size_t *probe,
				  uint64_t *ts_ms, char *why, size_t why_len);

/* Parse a report body from probe (its "probe" member must name the same
 * probe). On REPORT_OK, *results (caller frees with report_results_free())
 * holds *count entries whose error strings point into it. Unknown
 * datacenters, duplicate datacenters, wrong types and more results than
 * datacenters are REPORT_MALFORMED with why set. */
enum report_verdict report_parse(const struct config *cfg, size_t probe, const void *body,
				 size_t len, struct health_result **results, size_t *count,
				 char *why, size_t why_len);
void report_results_free(struct health_result *results, size_t count);

/* The probe configuration as JSON text (caller frees) and its ETag (a quoted
 * hash of the text, written to etag, 64 bytes room):
 *   {"interval_ms": ..., "checks": [{"datacenter": "us-east", "type": "http",
 *     "address": "192.0.2.10", "port": 80, "path": "/healthz", "host": "...",
 *     "expect_status": [200], "expect_body": "ok", "tls_verify": true,
 *     "interval_ms": 2000, "timeout_ms": 1000, "rtt": "first_byte"}, ...]}
 * ("rtt" only when the check measures time to first byte instead of connect).
 * Every probe runs every check. */
char *report_probe_config(const struct config *cfg, char *etag);

#endif

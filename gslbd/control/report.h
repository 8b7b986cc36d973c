/* Probe reports and probe configuration, as the HTTP API receives and serves
 * them.
 *
 * A report is a JSON body POSTed to /v1/reports, signed (common/sign.h) with
 * the probe's secret:
 *
 *   {"probe": "probe-eu", "results": [
 *      {"datacenter": "us-east", "ok": true, "rtt_ms": 12.5, "status": 200},
 *      {"datacenter": "eu-west", "ok": false, "rtt_ms": null, "status": 0,
 *       "error": "connect timeout"}]}
 *
 * report_verify() checks the headers and the signature (protocol 2, see
 * common/sign.h), the clock skew (freshness only) and that the probe's
 * (boot id, seq) is new (replay: a greater seq within the boot, or a new
 * boot id that was not replaced recently), so a clock step does not lock a
 * probe out. report_parse() checks the body and applies it per result:
 * results for datacenters gslbd does not know (a reload removed them) and
 * invalid results are skipped and counted, the others are kept. Every
 * refusal has a reason, a metric label and an HTTP status. The probe
 * configuration (GET /v1/probe-config) lists the checks each probe runs,
 * with an ETag; its answers are signed for the asking probe.
 * Main thread (API handlers); allocation is fine here. */
#ifndef GSLBD_CONTROL_REPORT_H
#define GSLBD_CONTROL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/sign.h"
#include "gslbd/control/health.h"

struct config;

enum report_verdict {
	REPORT_OK = 0,
	REPORT_NO_AUTH,       /* signature headers missing or malformed (401) */
	REPORT_UNKNOWN_KEY,   /* key id not in config->probes (401) */
	REPORT_BAD_SIGNATURE, /* signature does not match (401) */
	REPORT_SKEW,          /* timestamp too far from our clock (401) */
	REPORT_REPLAY,        /* (boot id, seq) not new for the probe (409) */
	REPORT_TOO_LARGE,     /* body over report_max_bytes (413) */
	REPORT_MALFORMED,     /* not the JSON described above (400) */
	REPORT_VERDICT_COUNT
};

/* Metric label ("bad_signature") and HTTP status of a verdict. */
const char *report_verdict_name(enum report_verdict v);
int report_verdict_http(enum report_verdict v);

/* The signature headers of a request (NULL when absent). */
struct report_auth {
	const char *key;       /* X-GSLB-Key */
	const char *boot;      /* X-GSLB-Boot */
	const char *seq;       /* X-GSLB-Seq */
	const char *timestamp; /* X-GSLB-Timestamp */
	const char *signature; /* X-GSLB-Signature */
};

/* Boot ids a probe replaced, remembered to refuse their reports. */
#define REPORT_RETIRED_MAX 4

/* The replay state of one probe, kept by the caller across requests (zeroed
 * at first; carried over reloads by probe id). */
struct report_peer {
	uint64_t boot;                           /* boot id accepted last, 0: none yet */
	uint64_t seq;                            /* its highest seq accepted */
	uint64_t retired[REPORT_RETIRED_MAX];    /* boot ids it replaced, 0: free slot */
	uint64_t retired_ms[REPORT_RETIRED_MAX]; /* when each was replaced (monotonic ms) */
};

/* Verify a signed request (method and path as received, e.g. "POST",
 * "/v1/reports") at now_wall_ms (for the skew) and now_mono_ms. peers (one
 * per cfg->probes entry) give the replay state: the request's seq must be
 * greater than the last accepted under the same boot id; another boot id
 * is accepted unless it was replaced within twice the allowed skew (its
 * reports may still be fresh). Pass NULL to skip the replay check (GET
 * /v1/probe-config, whose answer is bound to the request instead). On
 * REPORT_OK, *probe is the index into cfg->probes and *stamp the request's
 * boot id, seq and timestamp; why gets a one-line reason otherwise. A
 * request without X-GSLB-Boot or X-GSLB-Seq (a probe of protocol 1) is
 * REPORT_NO_AUTH with a reason saying so. */
enum report_verdict report_verify(const struct config *cfg, const char *method, const char *path,
				  const struct report_auth *auth, const void *body, size_t len,
				  uint64_t now_wall_ms, uint64_t now_mono_ms,
				  const struct report_peer *peers, size_t *probe,
				  struct sign_stamp *stamp, char *why, size_t why_len);

/* Record an accepted request of stamp in p at now_mono_ms: a new boot id
 * replaces the current one, which is remembered as replaced. */
void report_peer_accept(struct report_peer *p, const struct sign_stamp *stamp,
			uint64_t now_mono_ms);

/* Why a result of an accepted report was skipped. */
enum report_skip {
	REPORT_SKIP_UNKNOWN_DATACENTER, /* not a datacenter of the running config */
	REPORT_SKIP_DUPLICATE,          /* the same datacenter earlier in the report */
	REPORT_SKIP_INVALID,            /* a member missing or out of range (rtt_ms < 0...) */
	REPORT_SKIP_COUNT
};

/* Metric label of a skip reason ("unknown_datacenter"). */
const char *report_skip_name(enum report_skip s);

/* Parse a report body from probe (its "probe" member must name the same
 * probe). On REPORT_OK, *cycle (NULL: not wanted) is the report's "cycle",
 * 0 when it has none or not a positive integer, *results (caller frees with report_results_free())
 * holds *count entries whose error strings point into it, and skipped[r]
 * was increased by the results skipped for reason r (each also logged,
 * rate-limited). A body that is not a JSON object with the probe's name and
 * a "results" array is REPORT_MALFORMED with why set. */
enum report_verdict report_parse(const struct config *cfg, size_t probe, const void *body,
				 size_t len, uint64_t *cycle, struct health_result **results,
				 size_t *count, uint64_t skipped[REPORT_SKIP_COUNT], char *why,
				 size_t why_len);
void report_results_free(struct health_result *results, size_t count);

/* The probe configuration as JSON text (caller frees) and its ETag (a quoted
 * hash of the text, written to etag, 64 bytes room). Served to probe p for
 * its request stamp with report_probe_config_sign():
 *   {"interval_ms": ..., "checks": [{"datacenter": "us-east", "type": "http",
 *     "address": "192.0.2.10", "port": 80, "path": "/healthz", "host": "...",
 *     "expect_status": [200], "expect_body": "ok", "tls_verify": true,
 *     "interval_ms": 2000, "timeout_ms": 1000, "rtt": "first_byte"}, ...]}
 * ("rtt" only when the check measures time to first byte instead of connect).
 * Every probe runs every check. */
char *report_probe_config(const struct config *cfg, char *etag);

/* The signature headers of an answer to GET /v1/probe-config. */
struct report_config_sig {
	char boot[SIGN_BOOT_HEX_LEN + 1]; /* X-GSLB-Boot: the server's boot id */
	char generation[24];              /* X-GSLB-Generation */
	char timestamp[24];               /* X-GSLB-Timestamp: the server's clock */
	char signature[SIGN_HEX_LEN + 1]; /* X-GSLB-Signature */
};

/* Sign the answer an (status 200 with body, len bytes, or 304 with none) to
 * probe's request req, under that probe's secret. */
void report_probe_config_sign(const struct config *cfg, size_t probe,
			      const struct sign_stamp *req, const struct sign_answer *an,
			      const void *body, size_t len, struct report_config_sig *out);

#endif

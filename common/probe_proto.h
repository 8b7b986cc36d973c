/* The probe protocol's names, spelt once for both ends: gslbd
 * (gslbd/control/report.c, which parses reports and writes the probe
 * config) and gslb-probe (probes/, which reads the probe config and writes
 * reports). Macros only, no code; any thread.
 *
 * Protocol version 2 (PROBE_PROTO_VERSION). Every request carries
 * X-GSLB-Key (probe id), X-GSLB-Boot (the probe process's random boot id),
 * X-GSLB-Seq (its request number, increasing within the boot),
 * X-GSLB-Timestamp (Unix ms) and X-GSLB-Signature over all of them, the
 * method, the path and the body (common/sign.h, sign_probe_request()).
 * gslbd accepts a report when (boot id, seq) is new for the probe (a seq
 * greater than the last under the same boot id, or a new boot id not
 * replaced within twice the allowed skew) and the timestamp is within the
 * skew: clock steps do not reorder reports. Version 1 (no boot id or seq,
 * replay order by timestamp) is refused with reason "no_auth" and a message
 * naming the missing header.
 *
 * Paths:
 *   GET  /v1/probe-config  the checks, with an ETag (If-None-Match works)
 *   POST /v1/reports       the latest results of one probe
 * Probe-config answers (200 and 304) carry X-GSLB-Boot (gslbd's boot id),
 * X-GSLB-Generation (per gslbd boot id, from 1, increasing whenever the
 * config changes), X-GSLB-Timestamp (gslbd's clock) and X-GSLB-Signature
 * under the asking probe's secret over those, the status, the request's
 * boot id and seq, and the body (sign_probe_answer()). The probe refuses an
 * answer without a valid signature (a rewritten or replayed one: it is
 * bound to the request) or one of an older generation from the same gslbd
 * boot, logs why and keeps the config it has. The time is logged when far
 * off, not used to refuse: the binding to the request is the replay guard,
 * and a clock step must not lock a probe out.
 * Probe config:
 *   {"interval_ms": 2000, "checks": [{"datacenter": "us-east", "type": "http",
 *     "address": "192.0.2.10", "port": 80, "path": "/healthz", "host": "...",
 *     "expect_status": [200, "300-399"], "expect_body": "ok", "tls_verify": true,
 *     "interval_ms": 2000, "timeout_ms": 1000, "rtt": "first_byte",
 *     "load_source": "header", "load_name": "X-Load"}, ...]}
 * Report:
 *   {"probe": "probe-eu", "cycle": 42, "results": [{"datacenter": "us-east", "ok": true,
 *     "rtt_ms": 12.5, "status": 200, "error": null, "load": 42.5,
 *     "load_error": null}, ...]}
 * Results are applied one by one: a result for a datacenter gslbd does not
 * know (a reload removed it), a second one for a datacenter, or one with a
 * bad member (rtt_ms negative, ok not a boolean) is skipped and counted in
 * gslbd_report_results_skipped_total{reason}; the others count.
 * "cycle" numbers the probe's report cycles within its boot id: every
 * server gets the same body of a cycle (each copy signed with its own seq
 * and time), so (probe, boot id, cycle) names what the probe observed
 * alike on every gslbd of a fleet, and alert ids made from it agree.
 * Optional: the alerts of a report without it are named by the copy's
 * timestamp.
 * ("load" only from checks with a load source: the number read, or absent
 * with "load_error" saying why it could not be read.)
 * Refusal (any non-200 answer of gslbd to a probe):
 *   {"error": "probe p1: signature does not match", "reason": "bad_signature"} */
#ifndef GSLBD_COMMON_PROBE_PROTO_H
#define GSLBD_COMMON_PROBE_PROTO_H

/* Request paths. */
#define PROBE_PROTO_PATH_CONFIG  "/v1/probe-config"
#define PROBE_PROTO_PATH_REPORTS "/v1/reports"

/* The protocol version both ends speak. */
#define PROBE_PROTO_VERSION 2

/* Report body. */
#define PROBE_PROTO_KEY_PROBE   "probe"   /* string: the probe id, as signed */
#define PROBE_PROTO_KEY_CYCLE   "cycle"   /* integer: the report cycle, from 1 per boot id */
#define PROBE_PROTO_KEY_RESULTS "results" /* array of results */

/* One result of a report. */
#define PROBE_PROTO_KEY_RESULT_DATACENTER "datacenter" /* string */
#define PROBE_PROTO_KEY_RESULT_OK         "ok"         /* boolean */
#define PROBE_PROTO_KEY_RESULT_RTT_MS     "rtt_ms"     /* number >= 0, null: not reached */
#define PROBE_PROTO_KEY_RESULT_STATUS     "status"     /* integer, 0: none */
#define PROBE_PROTO_KEY_RESULT_ERROR      "error"      /* string or null */
#define PROBE_PROTO_KEY_RESULT_LOAD       "load"       /* number >= 0, or absent/null */
#define PROBE_PROTO_KEY_RESULT_LOAD_ERROR "load_error" /* string or null: why no load */

/* Probe config, top level. */
#define PROBE_PROTO_KEY_INTERVAL_MS "interval_ms" /* integer: report cycle */
#define PROBE_PROTO_KEY_CHECKS      "checks"      /* array of checks */

/* One check of the probe config. */
#define PROBE_PROTO_KEY_CHECK_DATACENTER    "datacenter"    /* string */
#define PROBE_PROTO_KEY_CHECK_TYPE          "type"          /* PROBE_PROTO_TYPE_* */
#define PROBE_PROTO_KEY_CHECK_ADDRESS       "address"       /* numeric IP address */
#define PROBE_PROTO_KEY_CHECK_PORT          "port"          /* integer 1..65535 */
#define PROBE_PROTO_KEY_CHECK_PATH          "path"          /* http(s): request path */
#define PROBE_PROTO_KEY_CHECK_HOST          "host"          /* http(s): Host and SNI */
#define PROBE_PROTO_KEY_CHECK_EXPECT_STATUS "expect_status" /* codes or "lo-hi" */
#define PROBE_PROTO_KEY_CHECK_EXPECT_BODY   "expect_body"   /* substring of the body */
#define PROBE_PROTO_KEY_CHECK_TLS_VERIFY    "tls_verify"    /* boolean */
#define PROBE_PROTO_KEY_CHECK_INTERVAL_MS   "interval_ms"   /* integer */
#define PROBE_PROTO_KEY_CHECK_TIMEOUT_MS    "timeout_ms"    /* integer */
#define PROBE_PROTO_KEY_CHECK_RTT           "rtt"           /* PROBE_PROTO_RTT_* */
#define PROBE_PROTO_KEY_CHECK_LOAD_SOURCE   "load_source"   /* PROBE_PROTO_LOAD_* */
#define PROBE_PROTO_KEY_CHECK_LOAD_NAME     "load_name"     /* header, JSON path or metric */

/* Values of a check's "type". */
#define PROBE_PROTO_TYPE_HTTP  "http"
#define PROBE_PROTO_TYPE_HTTPS "https"
#define PROBE_PROTO_TYPE_TCP   "tcp"

/* Values of a check's "rtt": what rtt_ms measures. */
#define PROBE_PROTO_RTT_CONNECT    "connect"    /* the TCP connect (the default) */
#define PROBE_PROTO_RTT_FIRST_BYTE "first_byte" /* up to the first response byte */

/* Values of a check's "load_source": where the load is read. */
#define PROBE_PROTO_LOAD_HEADER     "header"     /* a response header's number */
#define PROBE_PROTO_LOAD_JSON       "json"       /* a number at a dotted path of a JSON body */
#define PROBE_PROTO_LOAD_PROMETHEUS "prometheus" /* a Prometheus text metric's value */

/* A refusal's body. */
#define PROBE_PROTO_KEY_REFUSAL_ERROR  "error"  /* string: why, one line */
#define PROBE_PROTO_KEY_REFUSAL_REASON "reason" /* string: the metric label */

#endif

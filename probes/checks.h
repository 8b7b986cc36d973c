/* The checks a probe runs, as gslbd serves them (GET /v1/probe-config), the
 * verdict of one run, and the report body the probe posts (POST
 * /v1/reports). Pure functions, no I/O, so they are tested alone; the
 * event loop lives in probes/agent.c. Any thread. The JSON names are those
 * of common/probe_proto.h, which gslbd uses too.
 *
 * Probe config:
 *   {"interval_ms": 2000, "checks": [{"datacenter": "us-east", "type": "http",
 *     "address": "192.0.2.10", "port": 80, "path": "/healthz", "host": "...",
 *     "expect_status": [200, "300-399"], "expect_body": "ok", "tls_verify": true,
 *     "interval_ms": 2000, "timeout_ms": 1000, "rtt": "first_byte",
 *     "load_source": "json", "load_name": "stats.load"}, ...]}
 * ("rtt": "connect", the default, or "first_byte": what rtt_ms measures.)
 * Report:
 *   {"probe": "probe-eu", "results": [{"datacenter": "us-east", "ok": true,
 *     "rtt_ms": 12.5, "status": 200, "error": null, "load": 42,
 *     "load_error": null}, ...]}
 * (load and load_error only for checks with a load source.) */
#ifndef GSLBD_PROBES_CHECKS_H
#define GSLBD_PROBES_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/check_spec.h"
#include "common/err.h"
#include "common/sign.h"

/* Most checks accepted in one probe config. */
#define PCHECK_MAX 100000
/* Room for an error text in a result, with the NUL. */
#define PCHECK_ERROR_LEN 128

/* One check is a struct check_spec (common/check_spec.h): the description
 * and rules gslbd's config loader shares. */

/* A probe config. */
struct pcheck_list {
	unsigned interval_ms; /* report cycle: top-level interval_ms, else the smallest check's */
	struct check_spec *checks; /* the checks, in the server's order */
	size_t count;              /* entries at checks */
};

/* Parse a probe config (len bytes of JSON), each check with
 * check_spec_from_json(). Returns 0 with *out (caller frees with
 * pcheck_list_free()), or GSLB_EPARSE with err naming the member
 * ("checks[2].port: expected an integer 1..65535"). Unknown members are
 * ignored (newer servers may add some). An empty list is valid. */
int pcheck_list_parse(const char *text, size_t len, struct pcheck_list **out, struct gslb_err *err);
/* Accepts NULL. */
void pcheck_list_free(struct pcheck_list *l);

/* The outcome of one run of a check. */
struct pcheck_result {
	bool ok;                      /* the check passed */
	double rtt_ms;                /* connect (or first byte) time in ms, or -1: not reached */
	int status;                   /* HTTP status, 0 when none (tcp, or no answer) */
	char error[PCHECK_ERROR_LEN]; /* why it failed; empty when ok */
	bool has_load;                /* a load was read */
	double load;                  /* that load (>= 0) */
	char load_error[PCHECK_ERROR_LEN]; /* why no load was read (a check with a load
					    * source); empty otherwise */
};

/* Is status one of the accepted codes of c? */
bool pcheck_status_ok(const struct check_spec *c, long status);
/* Does body (len bytes, may hold NULs) contain c's expected text? True when
 * c expects none. */
bool pcheck_body_ok(const struct check_spec *c, const char *body, size_t len);

/* The verdict of one run. transport_error is NULL when the exchange (the
 * connect for tcp, the whole response for http) completed, else why it did
 * not; status and body are what came back (0 / NULL when nothing);
 * body_truncated says body is only the start of a longer one. rtt_ms is
 * the connect time (or the first byte's, see rtt_first_byte) or -1. */
void pcheck_evaluate(const struct check_spec *c, const char *transport_error, long status,
		     const char *body, size_t body_len, bool body_truncated, double rtt_ms,
		     struct pcheck_result *r);

/* Read the load of check c (with a load source) into r: from header, the
 * value of c's load header (NULL when the response had none), or from the
 * body (len bytes; body_truncated: only its start). Sets r->has_load and
 * r->load, or r->load_error saying why not. Does not touch r->ok: health
 * does not depend on the load. */
void pcheck_load_read(const struct check_spec *c, const char *header, const char *body,
		      size_t body_len, bool body_truncated, struct pcheck_result *r);

/* One result of a report. */
struct report_item {
	const char *datacenter;          /* borrowed */
	const struct pcheck_result *res; /* borrowed */
};

/* The report body of cycle (from 1 per boot id; 0: none) for probe_id
 * (compact JSON, caller frees; *len set to its length without the NUL).
 * rtt_ms is rounded to microseconds. */
char *report_body_build(const char *probe_id, uint64_t cycle, const struct report_item *items,
			size_t count, size_t *len);

/* The signature headers of a probe-config answer, in this order. */
enum pconfig_sig {
	PCONFIG_SIG_BOOT,       /* X-GSLB-Boot: the server's boot id */
	PCONFIG_SIG_GENERATION, /* X-GSLB-Generation */
	PCONFIG_SIG_TIMESTAMP,  /* X-GSLB-Timestamp: the server's clock */
	PCONFIG_SIG_SIGNATURE,  /* X-GSLB-Signature */
	PCONFIG_SIG_COUNT
};

/* Is a probe-config answer (status 200 with body, len bytes, or 304 with
 * body NULL) signed under key for the request req, and not older than the
 * config in use (have_gen from the server boot have_boot; 0, 0 for none)?
 * hdr holds the answer's headers (NULL when absent). Returns 0 with *an
 * set, or GSLB_EPARSE with why (why_len bytes) saying what is wrong:
 * unsigned, malformed, bad signature (rewritten, or replayed from another
 * request), or an older generation. */
int pconfig_answer_verify(const uint8_t *key, size_t key_len, const struct sign_stamp *req,
			  long status, const char *const hdr[PCONFIG_SIG_COUNT], const char *body,
			  size_t len, uint64_t have_boot, uint64_t have_gen, struct sign_answer *an,
			  char *why, size_t why_len);

#endif

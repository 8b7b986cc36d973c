#include <config.h>

#include "probes/checks.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/xalloc.h"

/* Bounds of the report cycle accepted from a server, in ms. */
#define INTERVAL_MIN_MS 100
#define INTERVAL_MAX_MS 86400000

int pcheck_list_parse(const char *text, size_t len, struct pcheck_list **out, struct gslb_err *err)
{
	struct pcheck_list *l;
	json_error_t jerr;
	const json_t *checks;
	json_t *root;
	unsigned interval = 0;
	int rc;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return gslb_err_set(err, "line %d column %d: %s", jerr.line, jerr.column,
				    jerr.text);
	l = xcalloc(1, sizeof(*l));
	if (!json_is_object(root)) {
		rc = gslb_err_set(err, "expected an object");
		goto fail;
	}
	checks = json_object_get(root, PROBE_PROTO_KEY_CHECKS);
	if (!json_is_array(checks)) {
		rc = gslb_err_set(err, PROBE_PROTO_KEY_CHECKS ": expected a list");
		goto fail;
	}
	if (json_array_size(checks) > PCHECK_MAX) {
		rc = gslb_err_set(err, PROBE_PROTO_KEY_CHECKS ": more than %d", PCHECK_MAX);
		goto fail;
	}
	if ((rc = check_spec_json_uint(root, PROBE_PROTO_KEY_INTERVAL_MS, "(top)", INTERVAL_MIN_MS,
				       INTERVAL_MAX_MS, &interval, err)) != 0)
		goto fail;
	if (json_array_size(checks) > 0)
		l->checks = xcalloc(json_array_size(checks), sizeof(*l->checks));
	for (size_t i = 0; i < json_array_size(checks); i++) {
		char where[48];

		snprintf(where, sizeof(where), PROBE_PROTO_KEY_CHECKS "[%zu]", i);
		l->count++;
		if ((rc = check_spec_from_json(json_array_get(checks, i), where, &l->checks[i],
					       err)) != 0)
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(l->checks[j].datacenter, l->checks[i].datacenter) == 0) {
				rc = gslb_err_set(err,
						  PROBE_PROTO_KEY_CHECKS
						  "[%zu]." PROBE_PROTO_KEY_CHECK_DATACENTER
						  ": '%s' is listed twice",
						  i, l->checks[i].datacenter);
				goto fail;
			}
		}
	}
	if (json_object_get(root, PROBE_PROTO_KEY_INTERVAL_MS) == NULL) {
		for (size_t i = 0; i < l->count; i++) {
			if (interval == 0 || l->checks[i].interval_ms < interval)
				interval = l->checks[i].interval_ms;
		}
	}
	l->interval_ms = interval != 0 ? interval : 2000;
	json_decref(root);
	*out = l;
	return 0;
fail:
	json_decref(root);
	pcheck_list_free(l);
	return rc;
}

void pcheck_list_free(struct pcheck_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		check_spec_fini(&l->checks[i]);
	free(l->checks);
	free(l);
}

bool pcheck_status_ok(const struct check_spec *c, long status)
{
	for (size_t i = 0; i < c->expect_count; i++) {
		if (status >= c->expect[i].lo && status <= c->expect[i].hi)
			return true;
	}
	return false;
}

bool pcheck_body_ok(const struct check_spec *c, const char *body, size_t len)
{
	size_t n;

	if (c->expect_body == NULL)
		return true;
	n = strlen(c->expect_body);
	if (body == NULL || n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(body + i, c->expect_body, n) == 0)
			return true;
	}
	return false;
}

void pcheck_evaluate(const struct check_spec *c, const char *transport_error, long status,
		     const char *body, size_t body_len, bool body_truncated, double rtt_ms,
		     struct pcheck_result *r)
{
	memset(r, 0, sizeof(*r));
	r->rtt_ms = rtt_ms;
	r->status = (status > 0 && status < 1000) ? (int)status : 0;
	if (transport_error != NULL) {
		/* Keep it printable ASCII: it goes into JSON as is. */
		snprintf(r->error, sizeof(r->error), "%s", transport_error);
		for (char *p = r->error; *p != '\0'; p++) {
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
		}
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "failed");
		return;
	}
	if (c->type == CHECK_SPEC_TCP) {
		r->status = 0;
		r->ok = true;
		return;
	}
	if (!pcheck_status_ok(c, status)) {
		snprintf(r->error, sizeof(r->error), "unexpected status %ld", status);
		return;
	}
	if (!pcheck_body_ok(c, body, body_len)) {
		snprintf(r->error, sizeof(r->error), "body does not contain the expected text%s",
			 body_truncated ? " (in its first bytes)" : "");
		return;
	}
	r->ok = true;
}

/* A load from text s (len bytes): a finite decimal number >= 0, nothing
 * else but surrounding blanks. */
static bool number_parse(const char *s, size_t len, double *out)
{
	char buf[64], *end;
	double v;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
			   s[len - 1] == '\n'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* decimal only: strtod() also reads hexadecimal, "inf" and "nan" */
	if (buf[strspn(buf, "0123456789+-.eE")] != '\0')
		return false;
	v = strtod(buf, &end);
	if (end == buf || *end != '\0' || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

/* The value at dotted path of a JSON body: object members, or array
 * indexes for segments of digits. */
static void load_from_json(const struct check_spec *c, const char *body, size_t len,
			   struct pcheck_result *r)
{
	json_error_t jerr;
	json_t *root = json_loadb(body != NULL ? body : "", len, 0, &jerr), *v;
	const char *p = c->load_name;
	char seg[256];

	if (root == NULL) {
		snprintf(r->load_error, sizeof(r->load_error), "body is not JSON (line %d: %.60s)",
			 jerr.line, jerr.text);
		return;
	}
	v = root;
	while (v != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(seg))
			n = sizeof(seg) - 1;
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n;
		if (*p == '.')
			p++;
		if (json_is_object(v))
			v = json_object_get(v, seg);
		else if (json_is_array(v) && seg[0] != '\0' && strspn(seg, "0123456789") == n)
			v = json_array_get(v, strtoul(seg, NULL, 10));
		else
			v = NULL;
	}
	if (v == NULL) {
		snprintf(r->load_error, sizeof(r->load_error), "no %.80s in the JSON body",
			 c->load_name);
	} else if (json_is_number(v) && json_number_value(v) >= 0 &&
		   isfinite(json_number_value(v))) {
		r->load = json_number_value(v);
		r->has_load = true;
	} else if (json_is_string(v) &&
		   number_parse(json_string_value(v), json_string_length(v), &r->load)) {
		r->has_load = true;
	} else {
		snprintf(r->load_error, sizeof(r->load_error), "%.80s is not a number >= 0",
			 c->load_name);
	}
	json_decref(root);
}

/* The value of the first sample of the metric load_name in a Prometheus
 * text exposition: a line "NAME VALUE [TS]" or "NAME{LABELS} VALUE [TS]". */
static void load_from_prometheus(const struct check_spec *c, const char *body, size_t len,
				 struct pcheck_result *r)
{
	size_t name_len = strlen(c->load_name);
	const char *p = body != NULL ? body : "", *end = p + (body != NULL ? len : 0);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *v;

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > name_len && memcmp(p, c->load_name, name_len) == 0 &&
		    (p[name_len] == ' ' || p[name_len] == '{' || p[name_len] == '\t')) {
			v = p + name_len;
			if (*v == '{') {
				v = memchr(v, '}', (size_t)(eol - v));
				v = v != NULL ? v + 1 : eol;
			}
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			/* the value ends at a blank (a timestamp may follow) */
			{
				const char *ve = v;

				while (ve < eol && *ve != ' ' && *ve != '\t' && *ve != '\r')
					ve++;
				if (number_parse(v, (size_t)(ve - v), &r->load)) {
					r->has_load = true;
					return;
				}
			}
			snprintf(r->load_error, sizeof(r->load_error),
				 "metric %.80s has no number >= 0", c->load_name);
			return;
		}
		p = eol + 1;
	}
	snprintf(r->load_error, sizeof(r->load_error), "no metric %.80s in the body", c->load_name);
}

void pcheck_load_read(const struct check_spec *c, const char *header, const char *body,
		      size_t body_len, bool body_truncated, struct pcheck_result *r)
{
	r->has_load = false;
	r->load = 0.0;
	r->load_error[0] = '\0';
	switch (c->load_source) {
	case CHECK_SPEC_LOAD_NONE:
		return;
	case CHECK_SPEC_LOAD_HEADER:
		if (header == NULL)
			snprintf(r->load_error, sizeof(r->load_error), "no %.100s header",
				 c->load_name);
		else if (number_parse(header, strlen(header), &r->load))
			r->has_load = true;
		else
			snprintf(r->load_error, sizeof(r->load_error),
				 "header %.80s is not a number >= 0", c->load_name);
		return;
	case CHECK_SPEC_LOAD_JSON:
		load_from_json(c, body, body_len, r);
		break;
	case CHECK_SPEC_LOAD_PROMETHEUS:
		load_from_prometheus(c, body, body_len, r);
		break;
	}
	if (!r->has_load && body_truncated && strlen(r->load_error) + 24 < sizeof(r->load_error))
		strcat(r->load_error, " (in its first bytes)");
	for (char *q = r->load_error; *q != '\0'; q++)
		if (*q < 0x20 || *q >= 0x7f)
			*q = '?';
}

char *report_body_build(const char *probe_id, uint64_t cycle, const struct report_item *items,
			size_t count, size_t *len)
{
	json_t *root = json_object(), *results = json_array();
	char *text;

	if (root == NULL || results == NULL)
		goto oom;
	json_object_set_new(root, PROBE_PROTO_KEY_PROBE, json_string(probe_id));
	if (cycle > 0)
		json_object_set_new(root, PROBE_PROTO_KEY_CYCLE, json_integer((json_int_t)cycle));
	for (size_t i = 0; i < count; i++) {
		const struct pcheck_result *r = items[i].res;
		json_t *o = json_object();
		json_t *rtt = json_null(); /* not reached */

		if (r->rtt_ms >= 0 && r->rtt_ms < 1e9) /* also false for NaN */
			rtt = json_real((double)(long long)(r->rtt_ms * 1000.0 + 0.5) / 1000.0);

		if (o == NULL)
			goto oom;
		json_object_set_new(o, PROBE_PROTO_KEY_RESULT_DATACENTER,
				    json_string(items[i].datacenter));
		json_object_set_new(o, PROBE_PROTO_KEY_RESULT_OK, json_boolean(r->ok));
		json_object_set_new(o, PROBE_PROTO_KEY_RESULT_RTT_MS, rtt);
		json_object_set_new(o, PROBE_PROTO_KEY_RESULT_STATUS, json_integer(r->status));
		json_object_set_new(o, PROBE_PROTO_KEY_RESULT_ERROR,
				    r->ok || r->error[0] == '\0' ? json_null()
								 : json_string(r->error));
		if (r->has_load)
			json_object_set_new(o, PROBE_PROTO_KEY_RESULT_LOAD, json_real(r->load));
		else if (r->load_error[0] != '\0')
			json_object_set_new(o, PROBE_PROTO_KEY_RESULT_LOAD_ERROR,
					    json_string(r->load_error));
		if (json_array_append_new(results, o) != 0)
			goto oom;
	}
	json_object_set_new(root, PROBE_PROTO_KEY_RESULTS, results);
	results = NULL;
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	if (text == NULL)
		goto oom;
	json_decref(root);
	*len = strlen(text);
	return text;
oom:
	/* jansson fails only when it cannot allocate (or on invalid UTF-8,
	 * which json_string() rejects: datacenter names and error texts are
	 * ASCII); treat it as xmalloc() does. */
	abort();
}

int pconfig_answer_verify(const uint8_t *key, size_t key_len, const struct sign_stamp *req,
			  long status, const char *const hdr[PCONFIG_SIG_COUNT], const char *body,
			  size_t len, uint64_t have_boot, uint64_t have_gen, struct sign_answer *an,
			  char *why, size_t why_len)
{
	static const char *const names[PCONFIG_SIG_COUNT] = {
	    SIGN_HEADER_BOOT, SIGN_HEADER_GENERATION, SIGN_HEADER_TIMESTAMP, SIGN_HEADER_SIGNATURE};

	for (size_t i = 0; i < PCONFIG_SIG_COUNT; i++) {
		if (hdr[i] == NULL) {
			snprintf(why, why_len, "unsigned answer (no %s header)", names[i]);
			return GSLB_EPARSE;
		}
	}
	an->status = (int)status;
	if (!sign_boot_parse(hdr[PCONFIG_SIG_BOOT], &an->boot) ||
	    !sign_u64_parse(hdr[PCONFIG_SIG_GENERATION], &an->generation) ||
	    !sign_u64_parse(hdr[PCONFIG_SIG_TIMESTAMP], &an->ts_ms)) {
		snprintf(why, why_len, "malformed %s, %s or %s header", SIGN_HEADER_BOOT,
			 SIGN_HEADER_GENERATION, SIGN_HEADER_TIMESTAMP);
		return GSLB_EPARSE;
	}
	if (!sign_probe_answer_check(key, key_len, PROBE_PROTO_PATH_CONFIG, req, an,
				     body != NULL ? body : "", body != NULL ? len : 0,
				     hdr[PCONFIG_SIG_SIGNATURE])) {
		snprintf(why, why_len,
			 "bad signature (altered on the way, or an answer to another request)");
		return GSLB_EPARSE;
	}
	if (an->boot == have_boot && an->generation < have_gen) {
		snprintf(why, why_len,
			 "generation %" PRIu64 " is older than the one in use (%" PRIu64 ")",
			 an->generation, have_gen);
		return GSLB_EPARSE;
	}
	return 0;
}

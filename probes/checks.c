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

/* Longest host name, path or expected body accepted, in bytes. */
#define HOST_MAX_LEN 253
#define PATH_MAX_LEN 2048
#define BODY_MAX_LEN 1024

/* Bounds of the intervals and timeouts accepted from a server, in ms. */
#define INTERVAL_MIN_MS 100
#define INTERVAL_MAX_MS 86400000
#define TIMEOUT_MIN_MS  10
#define TIMEOUT_MAX_MS  3600000

/* Printable ASCII without spaces? */
static bool is_printable(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	}
	return true;
}

/* A host name usable in a URL: letters, digits, '.', '-', '_'. */
static bool is_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > HOST_MAX_LEN)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return false;
	}
	return true;
}

/* Optional string member key of o: *out is a copy, or NULL when absent or
 * null. Returns 0 or an error for other types. */
static int opt_string(const json_t *o, const char *key, const char *where, char **out,
		      struct gslb_err *err)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return gslb_err_set(err, "%s.%s: expected a string", where, key);
	*out = xstrndup(json_string_value(v), json_string_length(v));
	if (strlen(*out) != json_string_length(v))
		return gslb_err_set(err, "%s.%s: contains a NUL", where, key);
	return 0;
}

/* Optional integer member in min..max; *out untouched when absent. */
static int opt_uint(const json_t *o, const char *key, const char *where, json_int_t min,
		    json_int_t max, unsigned *out, struct gslb_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return gslb_err_set(err, "%s.%s: expected an integer %lld..%lld", where, key,
				    (long long)min, (long long)max);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* One expect_status entry: 200, "200" or "200-299". */
static int status_range_read(const json_t *v, const char *where, size_t i,
			     struct pcheck_status_range *r, struct gslb_err *err)
{
	long lo, hi;

	if (json_is_integer(v)) {
		lo = hi = (long)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		lo = strtol(s, &end, 10);
		hi = lo;
		if (end != s && *end == '-') {
			const char *s2 = end + 1;

			hi = strtol(s2, &end, 10);
			if (end == s2)
				end = (char *)s2 - 1;
		}
		if (end == s || *end != '\0')
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
					    "[%zu]: '%s' is not a code or range",
					    where, i, s);
	} else {
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    "[%zu]: expected a code or \"lo-hi\"",
				    where, i);
	}
	if (lo < 100 || hi > 999 || lo > hi)
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    "[%zu]: codes must be 100..999, low first",
				    where, i);
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

static int check_read(const json_t *o, size_t index, struct pcheck *c, struct gslb_err *err)
{
	char where[48];
	const json_t *v;
	const char *type;
	unsigned port = 0;
	struct in6_addr a6;
	struct in_addr a4;
	int rc;

	snprintf(where, sizeof(where), PROBE_PROTO_KEY_CHECKS "[%zu]", index);
	c->tls_verify = true;
	c->interval_ms = 2000;
	c->timeout_ms = 1000;
	if (!json_is_object(o))
		return gslb_err_set(err, "%s: expected an object", where);
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_DATACENTER, where, &c->datacenter, err)) != 0)
		return rc;
	if (c->datacenter == NULL || c->datacenter[0] == '\0')
		return gslb_err_set(err, "%s." PROBE_PROTO_KEY_CHECK_DATACENTER ": required",
				    where);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_TYPE);
	type = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(type, PROBE_PROTO_TYPE_HTTP) == 0)
		c->type = PCHECK_HTTP;
	else if (strcmp(type, PROBE_PROTO_TYPE_HTTPS) == 0)
		c->type = PCHECK_HTTPS;
	else if (strcmp(type, PROBE_PROTO_TYPE_TCP) == 0)
		c->type = PCHECK_TCP;
	else
		return gslb_err_set(
		    err,
		    "%s." PROBE_PROTO_KEY_CHECK_TYPE ": expected \"" PROBE_PROTO_TYPE_HTTP
		    "\", \"" PROBE_PROTO_TYPE_HTTPS "\" or \"" PROBE_PROTO_TYPE_TCP "\"",
		    where);
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_ADDRESS, where, &c->address, err)) != 0)
		return rc;
	if (c->address == NULL)
		return gslb_err_set(err, "%s." PROBE_PROTO_KEY_CHECK_ADDRESS ": required", where);
	if (inet_pton(AF_INET, c->address, &a4) == 1)
		c->is_ipv6 = false;
	else if (inet_pton(AF_INET6, c->address, &a6) == 1)
		c->is_ipv6 = true;
	else
		return gslb_err_set(
		    err, "%s." PROBE_PROTO_KEY_CHECK_ADDRESS ": '%s' is not a numeric IP address",
		    where, c->address);
	port = c->type == PCHECK_HTTPS ? 443 : 80;
	if ((rc = opt_uint(o, PROBE_PROTO_KEY_CHECK_PORT, where, 1, 65535, &port, err)) != 0)
		return rc;
	c->port = (uint16_t)port;
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_PATH, where, &c->path, err)) != 0)
		return rc;
	if (c->path == NULL)
		c->path = xstrdup("/");
	if (c->path[0] != '/' || strlen(c->path) > PATH_MAX_LEN || !is_printable(c->path) ||
	    strchr(c->path, '#') != NULL)
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_PATH
				    ": must start with '/', printable, no spaces",
				    where);
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_HOST, where, &c->host, err)) != 0)
		return rc;
	if (c->host != NULL && c->host[0] == '\0') {
		free(c->host);
		c->host = NULL;
	}
	if (c->host != NULL && !is_hostname(c->host))
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_HOST ": '%s' is not a host name",
				    where, c->host);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_EXPECT_STATUS);
	if (v == NULL || json_is_null(v)) {
		c->expect = xcalloc(1, sizeof(*c->expect));
		c->expect[0] = (struct pcheck_status_range){200, 399};
		c->expect_count = 1;
	} else if (json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 1000) {
		c->expect = xcalloc(json_array_size(v), sizeof(*c->expect));
		for (size_t i = 0; i < json_array_size(v); i++) {
			rc = status_range_read(json_array_get(v, i), where, i, &c->expect[i], err);
			if (rc != 0)
				return rc;
			c->expect_count++;
		}
	} else {
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    ": expected a list of 1..1000 codes",
				    where);
	}
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_EXPECT_BODY, where, &c->expect_body, err)) !=
	    0)
		return rc;
	if (c->expect_body != NULL && c->expect_body[0] == '\0') {
		free(c->expect_body);
		c->expect_body = NULL;
	}
	if (c->expect_body != NULL && strlen(c->expect_body) > BODY_MAX_LEN)
		return gslb_err_set(
		    err, "%s." PROBE_PROTO_KEY_CHECK_EXPECT_BODY ": longer than %d bytes", where,
		    BODY_MAX_LEN);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_TLS_VERIFY);
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return gslb_err_set(
			    err, "%s." PROBE_PROTO_KEY_CHECK_TLS_VERIFY ": expected true or false",
			    where);
		c->tls_verify = json_is_true(v);
	}
	if ((rc = opt_uint(o, PROBE_PROTO_KEY_CHECK_INTERVAL_MS, where, INTERVAL_MIN_MS,
			   INTERVAL_MAX_MS, &c->interval_ms, err)) != 0)
		return rc;
	if ((rc = opt_uint(o, PROBE_PROTO_KEY_CHECK_TIMEOUT_MS, where, TIMEOUT_MIN_MS,
			   TIMEOUT_MAX_MS, &c->timeout_ms, err)) != 0)
		return rc;
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_RTT);
	if (v != NULL && !json_is_null(v)) {
		const char *rtt = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(rtt, PROBE_PROTO_RTT_FIRST_BYTE) == 0)
			c->rtt_first_byte = true;
		else if (strcmp(rtt, PROBE_PROTO_RTT_CONNECT) != 0)
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_RTT
					    ": expected \"" PROBE_PROTO_RTT_CONNECT
					    "\" or \"" PROBE_PROTO_RTT_FIRST_BYTE "\"",
					    where);
		if (c->rtt_first_byte && c->type == PCHECK_TCP)
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_RTT
					    ": \"" PROBE_PROTO_RTT_FIRST_BYTE
					    "\" needs an http(s) check",
					    where);
	}
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_LOAD_SOURCE);
	if (v != NULL && !json_is_null(v)) {
		const char *src = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(src, PROBE_PROTO_LOAD_HEADER) == 0)
			c->load_source = PCHECK_LOAD_HEADER;
		else if (strcmp(src, PROBE_PROTO_LOAD_JSON) == 0)
			c->load_source = PCHECK_LOAD_JSON;
		else if (strcmp(src, PROBE_PROTO_LOAD_PROMETHEUS) == 0)
			c->load_source = PCHECK_LOAD_PROMETHEUS;
		else
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_LOAD_SOURCE
					    ": expected \"" PROBE_PROTO_LOAD_HEADER
					    "\", \"" PROBE_PROTO_LOAD_JSON
					    "\" or \"" PROBE_PROTO_LOAD_PROMETHEUS "\"",
					    where);
		if (c->type == PCHECK_TCP)
			return gslb_err_set(
			    err, "%s." PROBE_PROTO_KEY_CHECK_LOAD_SOURCE ": needs an http(s) check",
			    where);
		if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_LOAD_NAME, where, &c->load_name,
				     err)) != 0)
			return rc;
		if (c->load_name == NULL || c->load_name[0] == '\0' ||
		    strlen(c->load_name) > HOST_MAX_LEN || !is_printable(c->load_name))
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_LOAD_NAME
					    ": required with a load source, printable, no spaces",
					    where);
	}
	return 0;
}

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
	if ((rc = opt_uint(root, PROBE_PROTO_KEY_INTERVAL_MS, "(top)", INTERVAL_MIN_MS,
			   INTERVAL_MAX_MS, &interval, err)) != 0)
		goto fail;
	if (json_array_size(checks) > 0)
		l->checks = xcalloc(json_array_size(checks), sizeof(*l->checks));
	for (size_t i = 0; i < json_array_size(checks); i++) {
		l->count++;
		if ((rc = check_read(json_array_get(checks, i), i, &l->checks[i], err)) != 0)
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
	for (size_t i = 0; i < l->count; i++) {
		struct pcheck *c = &l->checks[i];

		free(c->datacenter);
		free(c->address);
		free(c->path);
		free(c->host);
		free(c->expect);
		free(c->expect_body);
		free(c->load_name);
	}
	free(l->checks);
	free(l);
}

bool pcheck_status_ok(const struct pcheck *c, long status)
{
	for (size_t i = 0; i < c->expect_count; i++) {
		if (status >= c->expect[i].lo && status <= c->expect[i].hi)
			return true;
	}
	return false;
}

bool pcheck_body_ok(const struct pcheck *c, const char *body, size_t len)
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

void pcheck_evaluate(const struct pcheck *c, const char *transport_error, long status,
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
	if (c->type == PCHECK_TCP) {
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
static void load_from_json(const struct pcheck *c, const char *body, size_t len,
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
static void load_from_prometheus(const struct pcheck *c, const char *body, size_t len,
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

void pcheck_load_read(const struct pcheck *c, const char *header, const char *body, size_t body_len,
		      bool body_truncated, struct pcheck_result *r)
{
	r->has_load = false;
	r->load = 0.0;
	r->load_error[0] = '\0';
	switch (c->load_source) {
	case PCHECK_LOAD_NONE:
		return;
	case PCHECK_LOAD_HEADER:
		if (header == NULL)
			snprintf(r->load_error, sizeof(r->load_error), "no %.100s header",
				 c->load_name);
		else if (number_parse(header, strlen(header), &r->load))
			r->has_load = true;
		else
			snprintf(r->load_error, sizeof(r->load_error),
				 "header %.80s is not a number >= 0", c->load_name);
		return;
	case PCHECK_LOAD_JSON:
		load_from_json(c, body, body_len, r);
		break;
	case PCHECK_LOAD_PROMETHEUS:
		load_from_prometheus(c, body, body_len, r);
		break;
	}
	if (!r->has_load && body_truncated && strlen(r->load_error) + 24 < sizeof(r->load_error))
		strcat(r->load_error, " (in its first bytes)");
	for (char *q = r->load_error; *q != '\0'; q++)
		if (*q < 0x20 || *q >= 0x7f)
			*q = '?';
}

char *report_body_build(const char *probe_id, const struct report_item *items, size_t count,
			size_t *len)
{
	json_t *root = json_object(), *results = json_array();
	char *text;

	if (root == NULL || results == NULL)
		goto oom;
	json_object_set_new(root, PROBE_PROTO_KEY_PROBE, json_string(probe_id));
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

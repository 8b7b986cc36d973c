#include <config.h>

#include "common/check_spec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/probe_proto.h"
#include "common/xalloc.h"

/* Longest label of a DNS name. */
#define LABEL_MAX 63
/* Room for an IPv6 literal's text. */
#define V6_TEXT_MAX 64

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* len bytes at s: a DNS name of labels [A-Za-z0-9_-]{1,63} joined by '.'. */
static bool is_dns_name(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > CHECK_SPEC_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-' || s[i] == '_') {
			if (++label > LABEL_MAX)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* len bytes at s: an address of family af. */
static bool is_ip(int af, const char *s, size_t len)
{
	char buf[V6_TEXT_MAX];
	unsigned char addr[16];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, addr) == 1;
}

/* A port: 1..65535 in decimal, no sign or leading zero. */
static bool port_parse(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* Split host into its name (start, length, IPv6 or not) and port (0: none).
 * Returns NULL or why it is not a host. */
static const char *host_split(const char *host, const char **name, size_t *name_len, bool *v6,
			      uint16_t *port)
{
	const char *colon;

	*port = 0;
	*v6 = false;
	if (host == NULL || host[0] == '\0')
		return "is empty";
	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		if (end == NULL || !is_ip(AF_INET6, host + 1, (size_t)(end - host - 1)))
			return "is not an IPv6 literal in brackets";
		*name = host + 1;
		*name_len = (size_t)(end - host - 1);
		*v6 = true;
		if (end[1] == '\0')
			return NULL;
		if (end[1] != ':' || !port_parse(end + 2, port))
			return "has a bad port (want [IPV6]:1..65535)";
		return NULL;
	}
	colon = strchr(host, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		/* Two colons or more: a bare IPv6 literal, without a port. */
		if (!is_ip(AF_INET6, host, strlen(host)))
			return "is not a host name, IPv4 or IPv6 address (an IPv6 literal with a "
			       "port needs brackets)";
		*name = host;
		*name_len = strlen(host);
		*v6 = true;
		return NULL;
	}
	*name = host;
	*name_len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (colon != NULL && !port_parse(colon + 1, port))
		return "has a bad port (want NAME:1..65535)";
	if (!is_ip(AF_INET, *name, *name_len) && !is_dns_name(*name, *name_len))
		return "is not a host name (labels of A-Z a-z 0-9 - _ up to 63 bytes, 253 in "
		       "all), IPv4 or IPv6 address";
	return NULL;
}

const char *check_spec_host_error(const char *host)
{
	const char *name;
	size_t len;
	bool v6;
	uint16_t port;

	return host_split(host, &name, &len, &v6, &port);
}

void check_spec_host_set(struct check_spec *c, const char *host)
{
	const char *name = NULL;
	size_t len = 0;

	free(c->host);
	c->host = NULL;
	c->host_port = 0;
	c->host_is_ipv6 = false;
	if (host == NULL || host_split(host, &name, &len, &c->host_is_ipv6, &c->host_port) != NULL)
		return;
	c->host = xstrndup(name, len);
}

void check_spec_host_format(const struct check_spec *c, char *buf, size_t len)
{
	char port[8] = "";

	if (c->host == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (c->host_port != 0)
		snprintf(port, sizeof(port), ":%u", (unsigned)c->host_port);
	snprintf(buf, len, c->host_is_ipv6 ? "[%s]%s" : "%s%s", c->host, port);
}

const char *check_spec_path_error(const char *path)
{
	static const char chars[] = "-._~!$&'()*+,;=:@/%?";
	size_t i;

	if (path == NULL || path[0] != '/')
		return "is not a request path ('/' first)";
	for (i = 0; path[i] != '\0'; i++) {
		if (i >= CHECK_SPEC_PATH_MAX)
			return "is not a request path (longer than 1024 bytes)";
		if (!is_alnum(path[i]) && strchr(chars, path[i]) == NULL)
			return "is not a request path (URL characters only: A-Z a-z 0-9 "
			       "- . _ ~ ! $ & ' ( ) * + , ; = : @ / % ?)";
	}
	return NULL;
}

const char *check_spec_body_error(const char *body)
{
	if (body != NULL && strlen(body) > CHECK_SPEC_BODY_MAX)
		return "is longer than 1024 bytes";
	return NULL;
}

/* Is s a dotted JSON path: segments of [A-Za-z0-9_-], none empty? */
static bool is_json_path(const char *s)
{
	bool empty = true;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (empty)
				return false;
			empty = true;
		} else if (is_alnum(*s) || *s == '_' || *s == '-') {
			empty = false;
		} else {
			return false;
		}
	}
	return !empty;
}

/* Is s a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)? */
static bool is_metric_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!is_alnum(*s) && *s != '_' && *s != ':')
			return false;
	return true;
}

/* Is s a header name (RFC 9110 token)? */
static bool is_token(const char *s)
{
	static const char chars[] = "-_!#$%&'*+.^`|~";

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_alnum(*s) && strchr(chars, *s) == NULL)
			return false;
	return true;
}

const char *check_spec_load_name_error(enum check_spec_load source, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return "is empty";
	if (strlen(name) > CHECK_SPEC_LOAD_NAME_MAX)
		return "is longer than 255 bytes";
	switch (source) {
	case CHECK_SPEC_LOAD_HEADER:
		return is_token(name) ? NULL : "is not a header name";
	case CHECK_SPEC_LOAD_JSON:
		return is_json_path(name) ? NULL : "is not a dotted JSON path (like stats.load)";
	case CHECK_SPEC_LOAD_PROMETHEUS:
		return is_metric_name(name) ? NULL : "is not a Prometheus metric name";
	case CHECK_SPEC_LOAD_NONE:
		break;
	}
	return "has no load source";
}

/* Printable ASCII without spaces, 1..max bytes? */
static bool is_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || i >= max)
			return false;
	return i > 0;
}

int check_spec_validate(const struct check_spec *c, struct gslb_err *err)
{
	const char *why;
	bool http = c->type != CHECK_SPEC_TCP;

	if (c->datacenter == NULL || !is_printable(c->datacenter, CHECK_SPEC_DATACENTER_MAX))
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_DATACENTER
				    ": expected 1..255 bytes of printable ASCII");
	if (c->address == NULL ||
	    !is_ip(c->is_ipv6 ? AF_INET6 : AF_INET, c->address, strlen(c->address)))
		return gslb_err_set(
		    err, PROBE_PROTO_KEY_CHECK_ADDRESS ": '%s' is not a numeric IP address",
		    c->address != NULL ? c->address : "");
	if (c->port == 0)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_PORT ": expected 1..65535");
	if (c->interval_ms < CHECK_SPEC_INTERVAL_MIN_MS ||
	    c->interval_ms > CHECK_SPEC_INTERVAL_MAX_MS)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_INTERVAL_MS ": %u is not %d..%d",
				    c->interval_ms, CHECK_SPEC_INTERVAL_MIN_MS,
				    CHECK_SPEC_INTERVAL_MAX_MS);
	if (c->timeout_ms < CHECK_SPEC_TIMEOUT_MIN_MS || c->timeout_ms > CHECK_SPEC_TIMEOUT_MAX_MS)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_TIMEOUT_MS ": %u is not %d..%d",
				    c->timeout_ms, CHECK_SPEC_TIMEOUT_MIN_MS,
				    CHECK_SPEC_TIMEOUT_MAX_MS);
	if (c->timeout_ms >= c->interval_ms)
		return gslb_err_set(err,
				    PROBE_PROTO_KEY_CHECK_TIMEOUT_MS
				    ": %u must be shorter than " PROBE_PROTO_KEY_CHECK_INTERVAL_MS
				    " (%u)",
				    c->timeout_ms, c->interval_ms);
	if (!http) {
		if (c->host != NULL || c->expect_body != NULL || c->rtt_first_byte ||
		    c->load_source != CHECK_SPEC_LOAD_NONE)
			return gslb_err_set(err, "host, expect_body, rtt first_byte and load need "
						 "an http(s) check");
		return 0;
	}
	if ((why = check_spec_path_error(c->path)) != NULL)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_PATH ": '%s' %s",
				    c->path != NULL ? c->path : "", why);
	if (c->host != NULL) {
		char host[CHECK_SPEC_HOST_MAX + 16];

		check_spec_host_format(c, host, sizeof(host));
		if ((why = check_spec_host_error(host)) != NULL)
			return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_HOST ": '%s' %s", host, why);
	}
	if (c->expect_count == 0 || c->expect_count > CHECK_SPEC_STATUS_ENTRIES_MAX)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    ": expected 1..500 codes or ranges");
	for (size_t i = 0; i < c->expect_count; i++)
		if (c->expect[i].lo < CHECK_SPEC_STATUS_MIN ||
		    c->expect[i].hi > CHECK_SPEC_STATUS_MAX || c->expect[i].lo > c->expect[i].hi)
			return gslb_err_set(err,
					    PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
					    "[%zu]: codes must be %d..%d, low first",
					    i, CHECK_SPEC_STATUS_MIN, CHECK_SPEC_STATUS_MAX);
	if ((why = check_spec_body_error(c->expect_body)) != NULL)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_EXPECT_BODY " %s", why);
	if (c->load_source != CHECK_SPEC_LOAD_NONE &&
	    (why = check_spec_load_name_error(c->load_source, c->load_name)) != NULL)
		return gslb_err_set(err, PROBE_PROTO_KEY_CHECK_LOAD_NAME ": '%s' %s",
				    c->load_name != NULL ? c->load_name : "", why);
	return 0;
}

/* json_object_set_new() that cannot fail quietly: jansson fails only when
 * it cannot allocate, which we treat as xmalloc() does. */
static void set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		abort();
}

static const char *type_name(enum check_spec_type t)
{
	return t == CHECK_SPEC_HTTPS ? PROBE_PROTO_TYPE_HTTPS
	       : t == CHECK_SPEC_TCP ? PROBE_PROTO_TYPE_TCP
				     : PROBE_PROTO_TYPE_HTTP;
}

json_t *check_spec_to_json(const struct check_spec *c)
{
	json_t *o = json_object(), *codes;
	char host[CHECK_SPEC_HOST_MAX + 16];

	if (o == NULL)
		abort();
	set(o, PROBE_PROTO_KEY_CHECK_DATACENTER, json_string(c->datacenter));
	set(o, PROBE_PROTO_KEY_CHECK_TYPE, json_string(type_name(c->type)));
	set(o, PROBE_PROTO_KEY_CHECK_ADDRESS, json_string(c->address));
	set(o, PROBE_PROTO_KEY_CHECK_PORT, json_integer(c->port));
	set(o, PROBE_PROTO_KEY_CHECK_INTERVAL_MS, json_integer(c->interval_ms));
	set(o, PROBE_PROTO_KEY_CHECK_TIMEOUT_MS, json_integer(c->timeout_ms));
	if (c->type == CHECK_SPEC_TCP)
		return o;
	set(o, PROBE_PROTO_KEY_CHECK_PATH, json_string(c->path != NULL ? c->path : "/"));
	if (c->host != NULL) {
		check_spec_host_format(c, host, sizeof(host));
		set(o, PROBE_PROTO_KEY_CHECK_HOST, json_string(host));
	}
	codes = json_array();
	if (codes == NULL)
		abort();
	for (size_t i = 0; i < c->expect_count; i++) {
		char range[16];

		snprintf(range, sizeof(range), "%u-%u", (unsigned)c->expect[i].lo,
			 (unsigned)c->expect[i].hi);
		if (json_array_append_new(codes, c->expect[i].lo == c->expect[i].hi
						     ? json_integer(c->expect[i].lo)
						     : json_string(range)) != 0)
			abort();
	}
	set(o, PROBE_PROTO_KEY_CHECK_EXPECT_STATUS, codes);
	if (c->expect_body != NULL)
		set(o, PROBE_PROTO_KEY_CHECK_EXPECT_BODY, json_string(c->expect_body));
	set(o, PROBE_PROTO_KEY_CHECK_TLS_VERIFY, json_boolean(c->tls_verify));
	/* Only when set: the default needs no words. */
	if (c->rtt_first_byte)
		set(o, PROBE_PROTO_KEY_CHECK_RTT, json_string(PROBE_PROTO_RTT_FIRST_BYTE));
	if (c->load_source != CHECK_SPEC_LOAD_NONE && c->load_name != NULL) {
		set(o, PROBE_PROTO_KEY_CHECK_LOAD_SOURCE,
		    json_string(c->load_source == CHECK_SPEC_LOAD_HEADER ? PROBE_PROTO_LOAD_HEADER
				: c->load_source == CHECK_SPEC_LOAD_JSON
				    ? PROBE_PROTO_LOAD_JSON
				    : PROBE_PROTO_LOAD_PROMETHEUS));
		set(o, PROBE_PROTO_KEY_CHECK_LOAD_NAME, json_string(c->load_name));
	}
	return o;
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

int check_spec_json_uint(const json_t *o, const char *key, const char *where, json_int_t min,
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

/* A decimal code in s (len bytes): digits only. */
static bool code_parse(const char *s, size_t len, long *out)
{
	long v = 0;

	if (len == 0 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* One expect_status entry: 200, "200" or "200-299". */
static int status_read(const json_t *v, const char *where, size_t i, struct check_spec_status *r,
		       struct gslb_err *err)
{
	long lo = 0, hi = 0;

	if (json_is_integer(v)) {
		lo = hi = json_integer_value(v) < 0 || json_integer_value(v) > 9999
			      ? 0
			      : (long)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v), *dash = strchr(s, '-');
		size_t len = json_string_length(v);

		if (dash == NULL ? !code_parse(s, len, &lo)
				 : !code_parse(s, (size_t)(dash - s), &lo) ||
				       !code_parse(dash + 1, len - (size_t)(dash - s) - 1, &hi))
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
					    "[%zu]: '%s' is not a code or range",
					    where, i, s);
		if (dash == NULL)
			hi = lo;
	} else {
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    "[%zu]: expected a code or \"lo-hi\"",
				    where, i);
	}
	if (lo < CHECK_SPEC_STATUS_MIN || hi > CHECK_SPEC_STATUS_MAX || lo > hi)
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    "[%zu]: codes must be %d..%d, low first",
				    where, i, CHECK_SPEC_STATUS_MIN, CHECK_SPEC_STATUS_MAX);
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/* The http(s) members of o into c. */
static int http_read(const json_t *o, const char *where, struct check_spec *c, struct gslb_err *err)
{
	const json_t *v;
	const char *why;
	char *s;
	int rc;

	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_PATH, where, &c->path, err)) != 0)
		return rc;
	if (c->path == NULL)
		c->path = xstrdup("/");
	if ((why = check_spec_path_error(c->path)) != NULL)
		return gslb_err_set(err, "%s." PROBE_PROTO_KEY_CHECK_PATH ": '%.80s' %s", where,
				    c->path, why);
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_HOST, where, &s, err)) != 0) {
		free(s);
		return rc;
	}
	if (s != NULL && s[0] != '\0') {
		if ((why = check_spec_host_error(s)) != NULL) {
			rc = gslb_err_set(err, "%s." PROBE_PROTO_KEY_CHECK_HOST ": '%.80s' %s",
					  where, s, why);
			free(s);
			return rc;
		}
		check_spec_host_set(c, s);
	}
	free(s);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_EXPECT_STATUS);
	if (v == NULL || json_is_null(v)) {
		c->expect = xcalloc(1, sizeof(*c->expect));
		c->expect[0] = (struct check_spec_status){200, 399};
		c->expect_count = 1;
	} else if (json_is_array(v) && json_array_size(v) > 0 &&
		   json_array_size(v) <= CHECK_SPEC_STATUS_ENTRIES_MAX) {
		c->expect = xcalloc(json_array_size(v), sizeof(*c->expect));
		for (size_t i = 0; i < json_array_size(v); i++) {
			if ((rc = status_read(json_array_get(v, i), where, i, &c->expect[i],
					      err)) != 0)
				return rc;
			c->expect_count++;
		}
	} else {
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_EXPECT_STATUS
				    ": expected a list of 1..%d codes or ranges",
				    where, CHECK_SPEC_STATUS_ENTRIES_MAX);
	}
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_EXPECT_BODY, where, &c->expect_body, err)) !=
	    0)
		return rc;
	if (c->expect_body != NULL && c->expect_body[0] == '\0') {
		free(c->expect_body);
		c->expect_body = NULL;
	}
	if ((why = check_spec_body_error(c->expect_body)) != NULL)
		return gslb_err_set(err, "%s." PROBE_PROTO_KEY_CHECK_EXPECT_BODY " %s", where, why);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_TLS_VERIFY);
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return gslb_err_set(
			    err, "%s." PROBE_PROTO_KEY_CHECK_TLS_VERIFY ": expected true or false",
			    where);
		c->tls_verify = json_is_true(v);
	}
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_LOAD_SOURCE);
	if (v != NULL && !json_is_null(v)) {
		const char *src = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(src, PROBE_PROTO_LOAD_HEADER) == 0)
			c->load_source = CHECK_SPEC_LOAD_HEADER;
		else if (strcmp(src, PROBE_PROTO_LOAD_JSON) == 0)
			c->load_source = CHECK_SPEC_LOAD_JSON;
		else if (strcmp(src, PROBE_PROTO_LOAD_PROMETHEUS) == 0)
			c->load_source = CHECK_SPEC_LOAD_PROMETHEUS;
		else
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_LOAD_SOURCE
					    ": expected \"" PROBE_PROTO_LOAD_HEADER
					    "\", \"" PROBE_PROTO_LOAD_JSON
					    "\" or \"" PROBE_PROTO_LOAD_PROMETHEUS "\"",
					    where);
		if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_LOAD_NAME, where, &c->load_name,
				     err)) != 0)
			return rc;
		if ((why = check_spec_load_name_error(c->load_source, c->load_name)) != NULL)
			return gslb_err_set(err,
					    "%s." PROBE_PROTO_KEY_CHECK_LOAD_NAME ": '%.80s' %s",
					    where, c->load_name != NULL ? c->load_name : "", why);
	}
	return 0;
}

int check_spec_from_json(const json_t *o, const char *where, struct check_spec *c,
			 struct gslb_err *err)
{
	const json_t *v;
	const char *type;
	unsigned port;
	int rc;

	memset(c, 0, sizeof(*c));
	c->tls_verify = true;
	c->interval_ms = 2000;
	c->timeout_ms = 1000;
	if (!json_is_object(o))
		return gslb_err_set(err, "%s: expected an object", where);
	if ((rc = opt_string(o, PROBE_PROTO_KEY_CHECK_DATACENTER, where, &c->datacenter, err)) != 0)
		return rc;
	if (c->datacenter == NULL || !is_printable(c->datacenter, CHECK_SPEC_DATACENTER_MAX))
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_DATACENTER
				    ": required, 1..%d bytes of printable ASCII",
				    where, CHECK_SPEC_DATACENTER_MAX);
	v = json_object_get(o, PROBE_PROTO_KEY_CHECK_TYPE);
	type = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(type, PROBE_PROTO_TYPE_HTTP) == 0)
		c->type = CHECK_SPEC_HTTP;
	else if (strcmp(type, PROBE_PROTO_TYPE_HTTPS) == 0)
		c->type = CHECK_SPEC_HTTPS;
	else if (strcmp(type, PROBE_PROTO_TYPE_TCP) == 0)
		c->type = CHECK_SPEC_TCP;
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
	if (is_ip(AF_INET, c->address, strlen(c->address)))
		c->is_ipv6 = false;
	else if (is_ip(AF_INET6, c->address, strlen(c->address)))
		c->is_ipv6 = true;
	else
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_ADDRESS
				    ": '%.80s' is not a numeric IP address",
				    where, c->address);
	port = c->type == CHECK_SPEC_HTTPS ? 443 : 80;
	if ((rc = check_spec_json_uint(o, PROBE_PROTO_KEY_CHECK_PORT, where, 1, 65535, &port,
				       err)) != 0)
		return rc;
	c->port = (uint16_t)port;
	if ((rc = check_spec_json_uint(o, PROBE_PROTO_KEY_CHECK_INTERVAL_MS, where,
				       CHECK_SPEC_INTERVAL_MIN_MS, CHECK_SPEC_INTERVAL_MAX_MS,
				       &c->interval_ms, err)) != 0)
		return rc;
	if ((rc = check_spec_json_uint(o, PROBE_PROTO_KEY_CHECK_TIMEOUT_MS, where,
				       CHECK_SPEC_TIMEOUT_MIN_MS, CHECK_SPEC_TIMEOUT_MAX_MS,
				       &c->timeout_ms, err)) != 0)
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
	}
	if (c->type != CHECK_SPEC_TCP) {
		if ((rc = http_read(o, where, c, err)) != 0)
			return rc;
	} else if (c->rtt_first_byte) {
		return gslb_err_set(err,
				    "%s." PROBE_PROTO_KEY_CHECK_RTT
				    ": \"" PROBE_PROTO_RTT_FIRST_BYTE "\" needs an http(s) check",
				    where);
	} else if (json_object_get(o, PROBE_PROTO_KEY_CHECK_LOAD_SOURCE) != NULL &&
		   !json_is_null(json_object_get(o, PROBE_PROTO_KEY_CHECK_LOAD_SOURCE))) {
		return gslb_err_set(
		    err, "%s." PROBE_PROTO_KEY_CHECK_LOAD_SOURCE ": needs an http(s) check", where);
	}
	if ((rc = check_spec_validate(c, err)) != 0) {
		gslb_err_prefix(err, "%s", where);
		return rc;
	}
	return 0;
}

void check_spec_fini(struct check_spec *c)
{
	if (c == NULL)
		return;
	free(c->datacenter);
	free(c->address);
	free(c->path);
	free(c->host);
	free(c->expect);
	free(c->expect_body);
	free(c->load_name);
	memset(c, 0, sizeof(*c));
}

/* One health check as it travels in the probe config (GET /v1/probe-config),
 * with the rules that make it valid, written once for both ends: gslbd
 * checks gslbd.conf's checks by them (gslbd --check-config), builds the
 * probe config with check_spec_to_json(), and gslb-probe reads it back with
 * check_spec_from_json(). A check one side accepts, the other accepts too.
 * Pure functions, no I/O; any thread.
 *
 * JSON (names from common/probe_proto.h):
 *   {"datacenter": "us-east", "type": "http", "address": "192.0.2.10",
 *    "port": 80, "path": "/healthz", "host": "www.example.com:8080",
 *    "expect_status": [200, "300-399"], "expect_body": "ok",
 *    "tls_verify": true, "interval_ms": 2000, "timeout_ms": 1000,
 *    "rtt": "first_byte", "load_source": "header", "load_name": "X-Load"}
 * tcp checks carry only datacenter, type, address, port, interval_ms and
 * timeout_ms. */
#ifndef GSLBD_COMMON_CHECK_SPEC_H
#define GSLBD_COMMON_CHECK_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

/* Longest host name (without a port), as DNS allows. */
#define CHECK_SPEC_HOST_MAX 253
/* Longest request path and expected body, in bytes. */
#define CHECK_SPEC_PATH_MAX 1024
#define CHECK_SPEC_BODY_MAX 1024
/* Longest load header name, JSON path or metric name, in bytes. */
#define CHECK_SPEC_LOAD_NAME_MAX 255
/* Longest datacenter name, in bytes. */
#define CHECK_SPEC_DATACENTER_MAX 255
/* HTTP status codes a check may expect. */
#define CHECK_SPEC_STATUS_MIN 100
#define CHECK_SPEC_STATUS_MAX 599
/* Most entries of expect_status. */
#define CHECK_SPEC_STATUS_ENTRIES_MAX 500
/* Bounds of a check's interval and timeout, in ms (timeout < interval). */
#define CHECK_SPEC_INTERVAL_MIN_MS 500
#define CHECK_SPEC_INTERVAL_MAX_MS 3600000
#define CHECK_SPEC_TIMEOUT_MIN_MS  100
#define CHECK_SPEC_TIMEOUT_MAX_MS  60000

enum check_spec_type {
	CHECK_SPEC_HTTP,  /* HTTP GET; status and body checked */
	CHECK_SPEC_HTTPS, /* the same over TLS */
	CHECK_SPEC_TCP,   /* TCP connect only */
};

/* Where an http(s) check reads the datacenter's load. */
enum check_spec_load {
	CHECK_SPEC_LOAD_NONE,       /* it does not */
	CHECK_SPEC_LOAD_HEADER,     /* a number in the response header load_name */
	CHECK_SPEC_LOAD_JSON,       /* a number at the dotted path load_name of a JSON body */
	CHECK_SPEC_LOAD_PROMETHEUS, /* the value of the first sample of metric load_name */
};

/* Accepted HTTP status codes lo..hi (inclusive). */
struct check_spec_status {
	uint16_t lo; /* first accepted code */
	uint16_t hi; /* last accepted code */
};

/* One check: what to connect to and what counts as healthy. Strings are
 * owned (check_spec_fini() frees them). */
struct check_spec {
	char *datacenter;                 /* datacenter the result is about */
	enum check_spec_type type;        /* http, https or tcp */
	char *address;                    /* numeric IPv4 or IPv6 address to connect to */
	bool is_ipv6;                     /* address is IPv6 (bracketed in URLs) */
	uint16_t port;                    /* TCP port, 1..65535 */
	char *path;                       /* http(s): request path, starts with '/' */
	char *host;                       /* http(s): Host and SNI name (an IPv6 literal without
					   * brackets), or NULL: the address */
	bool host_is_ipv6;                /* host is an IPv6 literal */
	uint16_t host_port;               /* http(s): port named in the Host header, 0: none */
	struct check_spec_status *expect; /* http(s): accepted status ranges */
	size_t expect_count;              /* entries at expect (>= 1 for http(s)) */
	char *expect_body;                /* http(s): substring the body must hold, or NULL */
	bool tls_verify;                  /* https: verify the peer certificate and name */
	unsigned interval_ms;             /* time between runs */
	unsigned timeout_ms;              /* deadline of one run (< interval_ms) */
	bool rtt_first_byte;              /* http(s): rtt_ms is the time to the first byte */
	enum check_spec_load load_source; /* http(s): where the load is read */
	char *load_name; /* header name, dotted JSON path or metric name, or NULL */
};

/* Each returns NULL when its value is valid, else why not (a static
 * string: "is not a host name (...)" to follow the value in a message). */
/* A Host: a DNS name (1..253 bytes of letters, digits, '-', '_' in labels
 * of 1..63 separated by '.'), an IPv4 literal, or an IPv6 literal (bare or
 * in brackets); then optionally ":PORT" (1..65535; an IPv6 literal needs
 * its brackets then). */
const char *check_spec_host_error(const char *host);
/* '/' first, then URL characters (A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; =
 * : @ / % ?), at most CHECK_SPEC_PATH_MAX bytes. */
const char *check_spec_path_error(const char *path);
/* At most CHECK_SPEC_BODY_MAX bytes. */
const char *check_spec_body_error(const char *body);
/* A header name (token characters), a dotted JSON path (segments of
 * A-Z a-z 0-9 _ -) or a Prometheus metric name, by source, at most
 * CHECK_SPEC_LOAD_NAME_MAX bytes. */
const char *check_spec_load_name_error(enum check_spec_load source, const char *name);

/* Split a valid host (check_spec_host_error() NULL) into c->host (a copy,
 * without brackets or port), c->host_is_ipv6 and c->host_port. */
void check_spec_host_set(struct check_spec *c, const char *host);
/* c's Host as written in the probe config (brackets around an IPv6
 * literal, ":PORT" when set) into buf (len bytes; 270 are enough). */
void check_spec_host_format(const struct check_spec *c, char *buf, size_t len);

/* The rules between members: the timeout shorter than the interval, path,
 * host, codes, body, rtt first_byte and load only on http(s). Returns 0 or
 * GSLB_EPARSE with err naming the member ("timeout_ms: ..."). */
int check_spec_validate(const struct check_spec *c, struct gslb_err *err);

/* c as a JSON object (new reference; c must be valid). Ranges of status
 * codes are written as "lo-hi", single codes as numbers. */
json_t *check_spec_to_json(const struct check_spec *c);
/* Read the JSON object o into *out (zeroed first; free with
 * check_spec_fini() whatever the result). Returns 0, or GSLB_EPARSE with
 * err naming the member under where ("checks[2].port: expected an integer
 * 1..65535"). Unknown members are ignored (a newer gslbd may add some);
 * defaults: port 80 (http, tcp) or 443, path "/", expect_status 200-399,
 * tls_verify true, interval 2000 ms, timeout 1000 ms, rtt connect. */
int check_spec_from_json(const json_t *o, const char *where, struct check_spec *out,
			 struct gslb_err *err);
/* The optional integer member key of the JSON object o, in min..max, into
 * *out (untouched when it is absent). Returns 0, or GSLB_EPARSE with err
 * "where.key: expected an integer MIN..MAX". For the other members of the
 * probe config, so that they read and fail as a check's do. */
int check_spec_json_uint(const json_t *o, const char *key, const char *where, json_int_t min,
			 json_int_t max, unsigned *out, struct gslb_err *err);
/* Free what c holds (not c). Accepts a zeroed or half-read one. */
void check_spec_fini(struct check_spec *c);

#endif

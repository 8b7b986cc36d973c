/* gslb-probe's own configuration (probe.yaml): who the probe is, its secret,
 * the gslbd servers it fetches checks from and reports to, and how it
 * reports. The checks themselves come from the servers (probes/checks.h).
 * Loaded once at startup; one thread. */
#ifndef GSLBD_PROBES_PROBE_CONF_H
#define GSLBD_PROBES_PROBE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"

/* Longest probe id, in bytes ([A-Za-z0-9_.-]{1,63}). */
#define PROBE_ID_MAX_LEN 63
/* Bounds of a secret, in bytes. */
#define PROBE_SECRET_MIN_LEN 16
#define PROBE_SECRET_MAX_LEN 1024

struct probe_conf {
	char *id;                   /* probe.id: key id the requests are signed with */
	uint8_t *secret;            /* probe.secret or the first line of probe.secret_file */
	size_t secret_len;          /* bytes at secret (16..1024) */
	char *cache_file;           /* probe.cache_file: last probe-config received, or NULL */
	unsigned max_concurrent;    /* probe.max_concurrent: checks in flight (1..10000) */
	char **servers;             /* servers: base URLs without a trailing '/' */
	size_t server_count;        /* entries at servers (>= 1) */
	unsigned report_timeout_ms; /* report.timeout: per request (100ms..1m, default 2s) */
	unsigned report_retries;    /* report.retries: per report and server (0..10, default 2) */
	unsigned config_refresh_ms; /* config_refresh: re-fetch period (1s..1h, default 30s) */
	enum log_level log_level;   /* log.level */
	bool log_syslog;            /* log.syslog */
	char *tls_ca_file;          /* tls.ca_file: CAs of https servers, or NULL: the system's */
	char *tls_pin;              /* tls.pin: "sha256//B64[;...]" (server keys), or NULL */
	char *tls_certificate;      /* tls.certificate: client certificate (PEM), or NULL */
	char *tls_key;              /* tls.key: its private key (PEM), with tls_certificate */
};

/* Load path. Relative secret_file, cache_file and tls file names resolve
 * against the folder of path. Returns 0 with *out (caller frees with probe_conf_free()),
 * or a negative GSLB_E* with err "file:line:col: message". Unknown keys,
 * bad values and missing required keys (probe.id, a secret, servers) are
 * errors. */
int probe_conf_load(const char *path, struct probe_conf **out, struct gslb_err *err);

/* Same from text; name stands for the file in messages and base_dir (may be
 * NULL: the current directory) for its folder. */
int probe_conf_load_string(const char *name, const char *text, size_t len, const char *base_dir,
			   struct probe_conf **out, struct gslb_err *err);

/* Accepts NULL. Wipes the secret. */
void probe_conf_free(struct probe_conf *c);

/* Is url (a servers entry) plain http:// to a host other than loopback
 * (127.0.0.0/8, ::1, localhost)? */
bool probe_conf_url_is_plain_remote(const char *url);

/* Is s a valid probe id ([A-Za-z0-9_.-]{1,63})? */
bool probe_id_is_valid(const char *s);

#endif

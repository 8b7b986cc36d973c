/* gslbd's configuration: the YAML file (gslbd.conf(5)) loaded and validated
 * into an immutable struct config.
 *
 * One table in config.c describes every scalar option (key, type, default,
 * bounds, help); the loader, the defaults, --check-config and the man page
 * follow it. A reload builds a new struct config and swaps it in; the live one
 * is never edited. Load from one thread at a time; a loaded config is
 * read-only and may be read from any thread. */
#ifndef GSLBD_GSLBD_CONFIG_H
#define GSLBD_GSLBD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"

/* One served zone. */
struct config_zone {
	char *name;                     /* zone origin, presentation format, as written */
	char *file;                     /* master file path, resolved against the config file's folder */
	struct netprefix *allow_transfer; /* clients allowed AXFR/IXFR of this zone */
	size_t allow_transfer_count;    /* entries at allow_transfer */
	unsigned line;                  /* where the zone is declared (for later messages) */
	unsigned col;                   /* column of that declaration */
};

struct config {
	char *path;                     /* the file this was loaded from */
	struct netaddr *listen;         /* DNS listen addresses (UDP and TCP on each) */
	size_t listen_count;            /* entries at listen, >= 1 */
	unsigned workers;               /* UDP worker threads; 0 in the file means one per online CPU,
	                                 * resolved at load time so this is >= 1 */
	char *user;                     /* user to switch to after binding, or NULL to stay */
	unsigned udp_max_size;          /* largest UDP response we send with EDNS (512..65535, default 1232) */
	unsigned tcp_idle_timeout_ms;   /* close an idle or stalled TCP connection after this long */
	unsigned tcp_max_connections;   /* concurrent TCP connections accepted */
	unsigned tcp_max_queries;       /* queries answered on one connection before closing it (0 = no limit) */
	char *identity;                 /* CH TXT id.server / hostname.bind answer; NULL = refuse */
	char *version;                  /* CH TXT version.server / version.bind answer; NULL = refuse */
	enum log_level log_level;       /* log threshold */
	bool log_syslog;                /* log to syslog instead of stderr */
	struct config_zone *zones;      /* served zones */
	size_t zone_count;              /* entries at zones */
};

/* Load and validate path. Returns 0 with *out (caller owns; config_free()),
 * or a negative GSLB_E* code with err "file:line:col: message" and *out
 * untouched. Unknown keys, wrong types and out-of-range values are errors. */
int config_load(const char *path, struct config **out, struct gslb_err *err);
/* Same from text (tests); name stands for the file in messages and relative
 * zone paths resolve against base_dir. */
int config_load_string(const char *name, const char *base_dir, const char *text,
		       struct config **out, struct gslb_err *err);
void config_free(struct config *cfg);

/* Print every option with its type, default, range and help (for
 * gslbd --help-config and the man page). */
void config_print_options(FILE *out);

#endif

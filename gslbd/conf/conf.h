/* gslbd's configuration: the YAML file (gslbd.conf(5)) loaded and validated
 * into an immutable struct config.
 *
 * One table in conf.c describes every scalar option (key, type, default,
 * bounds, help); the loader, the defaults, --check-config and the man page
 * follow it. A reload builds a new struct config and swaps it in; the live one
 * is never edited. Load from one thread at a time; a loaded config is
 * read-only and may be read from any thread. */
#ifndef GSLBD_CONF_CONF_H
#define GSLBD_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/tsig.h"

/* Limits of pools, read here and relied on by the policies (gslbd/dns/lb.c). */
#define LB_MAX_POOL_DCS 64  /* datacenters in one pool */
#define LB_MAX_ANSWERS 16   /* datacenters in one answer */
#define LB_MAX_FALLBACKS 4  /* fallback pools followed at most */

/* One served zone. */
/* One DNSSEC key of a zone (zones[].dnssec.keys). */
struct config_dnssec_key {
	char *file;   /* the key pair's prefix, .key or .private file, resolved */
	bool active;  /* state active: signs; publish: DNSKEY only */
	unsigned line, col; /* where the entry is */
};

/* A primary a secondary zone is transferred from (zones[].primaries). */
struct config_primary {
	struct netaddr addr; /* address and port (53 when not given) */
	int key;             /* index into config->tsig_keys signing the exchanges, or -1 */
};

/* A secondary server a zone's changes are announced to (zones[].notify,
 * server.notify). */
struct config_notify {
	struct netaddr addr;            /* where NOTIFY is sent (port 53 unless given) */
	int key;                        /* index into config->tsig_keys signing it, or -1 */
};

struct config_zone {
	char *name;                     /* zone origin, presentation format, as written */
	char *file;                     /* master file path, resolved against the config file's folder;
	                                 * for a secondary zone, where its transfers are kept
	                                 * (default server.storage/NAME.zone) */
	struct config_primary *primaries; /* a secondary zone's primaries, or NULL */
	size_t primary_count;           /* entries at primaries; 0: a zone loaded from its file */
	bool catalog;                   /* zones[].catalog: a catalog zone (RFC 9432) whose members
	                                 * become secondary zones from the same primaries */
	int member_of;                  /* a catalog's member: the index of that catalog zone;
	                                 * -1 for a zone listed in the file */
	struct netprefix *allow_transfer; /* clients allowed AXFR/IXFR of this zone */
	int *allow_transfer_key;        /* per allow_transfer entry: the index into
	                                 * config->tsig_keys the request must be signed
	                                 * with, or -1 (signed or not) */
	size_t allow_transfer_count;    /* entries at allow_transfer */
	struct config_notify *notify;   /* secondaries sent NOTIFY on a change */
	size_t notify_count;            /* entries at notify */
	struct netacl acl;              /* who may query it (zones[].acl; empty: everyone) */
	unsigned line;                  /* where the zone is declared (for later messages) */
	unsigned col;                   /* column of that declaration */
	bool dnssec;                    /* zones[].dnssec given: signed in memory */
	struct config_dnssec_key *keys; /* dnssec.keys */
	size_t key_count;               /* entries at keys */
	uint32_t sig_validity;          /* dnssec.validity, seconds (default 14 days) */
	uint32_t sig_refresh;           /* dnssec.refresh, seconds (default 7 days) */
	uint32_t sig_jitter;            /* dnssec.jitter, seconds (default a quarter of
	                                 * validity - refresh) */
	uint32_t sig_inception;         /* dnssec.inception: backdating, seconds (default 1 h) */
	bool nsec3;                     /* dnssec.denial: nsec3 */
	unsigned nsec3_iterations;      /* dnssec.nsec3.iterations (default 0, RFC 9276) */
	uint8_t nsec3_salt[255];        /* dnssec.nsec3.salt (default none) */
	uint8_t nsec3_salt_len;         /* bytes at nsec3_salt */
	bool nsec3_opt_out;             /* dnssec.nsec3.opt_out (default false) */
	unsigned serial_policy;         /* dnssec.serial_policy: an enum zone_serial_policy
	                                 * (default ZONE_SERIAL_INCREMENT) */
};

/* One entry of server.xdp: "IFNAME" (every queue) or "IFNAME@QUEUE". */
struct config_xdp {
	char ifname[16]; /* the interface's name (IFNAMSIZ) */
	int queue;       /* its queue, -1: every queue */
};

/* Roles of an API listener (api.listen[].roles): which endpoints it serves.
 * /healthz is served by every listener. */
enum api_role {
	API_ROLE_PROBE = 1u << 0,   /* POST /v1/reports and GET /v1/probe-config */
	API_ROLE_ADMIN = 1u << 1,   /* drains, reload and explain without a tenant token */
	API_ROLE_TENANT = 1u << 2,  /* requests with a tenant's token (tokens:) */
	API_ROLE_STATUS = 1u << 3,  /* the status page / and /v1/status */
	API_ROLE_METRICS = 1u << 4, /* /metrics */
};
/* Every role: the roles of a listener given as a bare address. */
#define API_ROLES_ALL 0x1fu

/* Roles and TLS of one API listener, beside its address in api_listen. */
struct config_api_listener {
	unsigned roles;        /* API_ROLE_* bits served (default API_ROLES_ALL) */
	char *tls_certificate; /* tls.certificate: PEM chain, resolved; NULL: plain HTTP */
	char *tls_key;         /* tls.key: PEM private key, resolved (with tls_certificate) */
	char *tls_client_ca;   /* tls.client_ca: CAs of client certificates; NULL: none asked */
	unsigned line, col;    /* where the entry is */
};

/* The names of the roles in roles, "probe,admin" (empty for none), into buf. */
void config_api_roles_format(unsigned roles, char *buf, size_t len);

/* Kinds of health check a probe runs. */
enum check_type {
	CHECK_HTTP,  /* HTTP GET, status (and body) checked */
	CHECK_HTTPS, /* the same over TLS (certificate verified unless told not to) */
	CHECK_TCP,   /* TCP connect */
};

/* Where an http(s) check reads the datacenter's current load from. */
enum check_load_source {
	CHECK_LOAD_NONE,       /* no load is read */
	CHECK_LOAD_HEADER,     /* a number in a response header (load_name: the header) */
	CHECK_LOAD_JSON,       /* a number in a JSON body (load_name: a dotted path) */
	CHECK_LOAD_PROMETHEUS, /* a Prometheus text metric (load_name: its name) */
};

/* A health check definition (gslbd.conf "checks"). */
struct config_check {
	char *name;                     /* unique name, referenced by datacenters */
	enum check_type type;           /* http, https or tcp */
	unsigned port;                  /* 1..65535; default 80 (http, tcp), 443 (https) */
	char *path;                     /* http(s): request path, default "/" */
	char *host;                     /* http(s): Host header and TLS SNI, or NULL (the address) */
	unsigned *expect_status;        /* http(s): accepted status codes, default 200..399 */
	size_t expect_status_count;     /* entries at expect_status */
	char *expect_body;              /* http(s): substring the body must hold, or NULL */
	bool tls_verify;                /* https: verify the certificate (default true) */
	unsigned interval_ms;           /* time between checks (500ms..1h, default 2s) */
	unsigned timeout_ms;            /* one check's deadline (100ms..1m, default 1s; < interval) */
	bool rtt_first_byte;            /* http(s): RTT to the response's first byte, not the connect */
	enum check_load_source load_source; /* http(s): where the load is read, or CHECK_LOAD_NONE */
	char *load_name;                /* header name, JSON path or metric name; NULL without a load */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

struct check_spec;

/* The probe-config description (common/check_spec.h) of check c for
 * datacenter, connecting to address (numeric) and port; the caller frees
 * it with check_spec_fini(). Loaded checks are valid descriptions. */
void conf_check_spec(const struct config_check *c, const char *datacenter, const char *address,
		     unsigned port, struct check_spec *out);

/* A probe agent allowed to report (gslbd.conf "probes"). */
struct config_probe {
	char *id;                       /* key id the probe signs with, unique */
	char *region;                   /* region the probe measures from */
	double lat;                     /* the probe's latitude (latency policy) */
	double lon;                     /* the probe's longitude */
	uint8_t *secret;                /* HMAC-SHA256 key bytes */
	size_t secret_len;              /* bytes at secret (16..1024) */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

/* Events an alert webhook can be sent (gslbd.conf "alerts"). */
enum config_alert_event {
	CONFIG_ALERT_DOWN,         /* a datacenter is no longer answered */
	CONFIG_ALERT_UP,           /* a datacenter is answered again */
	CONFIG_ALERT_DRAINED,      /* an operator drained a datacenter */
	CONFIG_ALERT_UNDRAINED,    /* an operator removed a drain or force-up */
	CONFIG_ALERT_FORCED_UP,    /* an operator forced a datacenter up */
	CONFIG_ALERT_FAIL_OPEN,    /* every datacenter of a pool is down: its fallback answers */
	CONFIG_ALERT_FAIL_CLOSED,  /* a pool has an answerable datacenter again */
	CONFIG_ALERT_PROBES_STALE, /* no probe has reported for longer than health.freshness */
	CONFIG_ALERT_PROBES_FRESH, /* a probe reports again */
	CONFIG_ALERT_RELOAD_FAILED, /* a reload or a DNSSEC re-signing failed */
	CONFIG_ALERT_SIGNATURES_EXPIRING, /* a zone's signatures have less than half of
	                                   * dnssec.refresh left */
	CONFIG_ALERT_EVENTS
};

/* A webhook alerts are POSTed to. */
struct config_alert {
	char *url;                      /* http:// or https:// */
	uint8_t *secret;                /* HMAC-SHA256 key of the signature header, or NULL */
	size_t secret_len;              /* bytes at secret */
	unsigned events;                /* bit (1 << enum config_alert_event) per event sent */
	unsigned timeout_ms;            /* one POST's deadline (100ms..1m, default 5s) */
	unsigned retries;               /* attempts after a failed one (0..100, default 5) */
	unsigned backoff_ms;            /* wait before the first retry, doubling (default 1s) */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

/* An API token of a tenant (gslbd.conf "tokens"). */
struct config_token {
	char *name;                     /* the tenant, unique; logged instead of the token */
	char *token;                    /* the bearer token (16..1023 printable characters) */
	bool *pools;                    /* per config->pools entry: may see it */
	bool *dcs;                      /* per config->datacenters entry: may see (and steer) it;
	                                 * the datacenters of its pools included */
	bool *shared;                   /* per config->datacenters entry: listed under shared
	                                 * (steered though pools outside its scope use it) */
	bool write;                     /* may drain, undrain and force up its datacenters */
	unsigned rate;                  /* requests per second (and burst), 1..100000, default 10 */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

/* The name of an alert event ("down", "fail_open", ...). */
const char *config_alert_event_name(enum config_alert_event e);

/* What a datacenter is when no probe has said anything fresh for longer
 * than the grace period. */
enum health_unknown {
	HEALTH_UNKNOWN_UP,   /* keep answering it (default) */
	HEALTH_UNKNOWN_DOWN, /* stop answering it */
};

/* A datacenter (gslbd.conf "datacenters"): where a service runs. */
struct config_datacenter {
	char *name;                     /* unique name, e.g. "us-east" */
	char *region;                   /* region it belongs to (default: its name) */
	double lat;                     /* latitude, degrees north (-90..90) */
	double lon;                     /* longitude, degrees east (-180..180) */
	double xyz[3];                  /* unit vector of (lat, lon), geo_unit_vector(): the nearest
	                                 * policy ranks by it; set lat, lon and xyz together with
	                                 * config_datacenter_set_position() */
	uint8_t (*ipv4)[4];             /* IPv4 VIPs, network order */
	size_t ipv4_count;              /* entries at ipv4 */
	uint8_t (*ipv6)[16];            /* IPv6 VIPs, network order */
	size_t ipv6_count;              /* entries at ipv6 */
	char *cname;                    /* CNAME target (presentation, absolute) instead of VIPs, or NULL */
	unsigned weight;                /* share for the weighted policy (1..1000000, default 100) */
	double capacity;                /* the load at 100 % utilisation (> 0), or 0: none */
	long check;                     /* index into config->checks, or -1: not probed */
	char *check_address;            /* with a check: "ADDR:PORT" / "[V6]:PORT" probes connect to
	                                 * (default: first IPv4, else IPv6 VIP, and the check's port;
	                                 * required for CNAME datacenters); NULL without a check */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

/* How a pool orders its datacenters. */
enum pool_policy {
	POOL_NEAREST,  /* great-circle distance from the client's location */
	POOL_FAILOVER, /* the listed order */
	POOL_WEIGHTED, /* by weight, sticky per client subnet (or random per query) */
	POOL_ALL,      /* every healthy one, in the listed order */
	POOL_LATENCY,  /* probe-measured RTT from the probe region nearest the client */
	POOL_LEAST_LOAD, /* lowest probe-reported utilisation first (with hysteresis) */
};

/* How a pool orders the addresses of one answer. */
enum pool_rotate {
	POOL_ROTATE_OFF,      /* as ranked */
	POOL_ROTATE_ON,       /* round robin: the order rotates per query */
	POOL_ROTATE_WEIGHTED, /* round robin, each datacenter first by its weight's share */
};

/* What a pool answers when every datacenter is down. */
enum pool_all_down {
	POOL_ALL_DOWN_FAIL_OPEN, /* answer as if all were up */
	POOL_ALL_DOWN_EMPTY,     /* NOERROR with no address (NODATA) */
	POOL_ALL_DOWN_FALLBACK,  /* ask the fallback pool */
};

/* A per-country or per-continent preference list of a pool. */
struct config_override {
	char code[3];                   /* upper-case ISO country or continent code */
	size_t *dcs;                    /* indexes into config->datacenters, preferred first */
	size_t dc_count;                /* entries at dcs */
};

/* A pool (gslbd.conf "pools"): datacenters and the policy that picks among them. */
struct config_pool {
	char *name;                     /* unique name */
	size_t *dcs;                    /* indexes into config->datacenters, in the order written */
	size_t dc_count;                /* entries at dcs (1..64) */
	enum pool_policy policy;        /* ordering policy */
	unsigned answers;               /* datacenters answered at most (1..16; default 1, "all" default 16) */
	uint32_t ttl;                   /* TTL of the answers (0..86400, default 30) */
	bool weighted_random;           /* weighted: random per query instead of sticky per subnet */
	enum pool_rotate rotate;        /* all: round robin of the answer's order */
	struct config_override *countries; /* overrides by client country */
	size_t country_count;           /* entries at countries */
	struct config_override *continents; /* overrides by client continent */
	size_t continent_count;         /* entries at continents */
	enum pool_all_down all_down;    /* behaviour when every datacenter is down */
	size_t fallback;                /* POOL_ALL_DOWN_FALLBACK: index into config->pools */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

/* A load-balanced name (gslbd.conf "names"): an owner bound to a pool. */
struct config_lbname {
	char *name;                     /* owner (presentation, absolute), may start with "*." */
	size_t pool;                    /* index into config->pools */
	size_t *xfr_dcs;                /* transfer_answer: the datacenters (of the pool) whose
	                                 * answer a zone transfer carries, or NULL: all */
	size_t xfr_dc_count;            /* entries at xfr_dcs */
	size_t zone;                    /* index into config->zones of the zone holding it */
	unsigned line;                  /* where it is declared */
	unsigned col;                   /* column of that declaration */
};

struct config {
	char *path;                     /* the file this was loaded from */
	struct tsig_key *tsig_keys;     /* keys and key_file: TSIG keys, unique names */
	size_t tsig_key_count;          /* entries at tsig_keys */
	unsigned journal_max;           /* server.journal_max: bytes of differences kept per
	                                 * zone for IXFR (0: none, IXFR answered as AXFR) */
	bool journal_persist;           /* server.journal_persist: each zone's journal kept in
	                                 * storage as NAME.journal across restarts */
	struct netaddr *listen;         /* DNS listen addresses (UDP and TCP on each) */
	size_t listen_count;            /* entries at listen, >= 1 */
	struct netacl *listen_acl;      /* who may query each listener (its own acl, else
	                                 * server.acl; empty: everyone), listen_count entries */
	struct netacl server_acl;       /* server.acl, the default of listen_acl */
	struct config_xdp *xdp;         /* server.xdp: interfaces (and queues) whose DNS over
	                                 * UDP goes through AF_XDP; none: sockets only */
	size_t xdp_count;               /* entries at xdp */
	unsigned workers;               /* UDP worker threads; 0 in the file means one per online CPU,
	                                 * resolved at load time so this is >= 1 */
	char *user;                     /* user to switch to after binding, or NULL to stay */
	unsigned udp_max_size;          /* largest UDP response we send with EDNS (512..65535, default 1232) */
	unsigned tcp_idle_timeout_ms;   /* close an idle or stalled TCP connection after this long */
	unsigned tcp_max_connections;   /* concurrent TCP connections accepted */
	unsigned tcp_max_queries;       /* queries answered on one connection before closing it (0 = no limit) */
	unsigned tcp_max_conn_per_client; /* TCP connections open from one client network
	                                   * (rrl_ipv4_prefix, rrl_ipv6_prefix); 0 = no limit */
	unsigned tcp_busy_timeout_ms;   /* idle timeout while more than 3/4 of tcp_max_connections are open */
	char *identity;                 /* CH TXT id.server / hostname.bind answer; NULL = refuse */
	char *version;                  /* CH TXT version.server / version.bind answer; NULL = refuse */
	enum log_level log_level;       /* log threshold */
	bool log_syslog;                /* log to syslog instead of stderr */
	struct config_zone *zones;      /* served zones */
	size_t zone_count;              /* entries at zones */
	char *state_file;               /* admin state (drains) file, or NULL for none */
	char *storage;                  /* server.storage: folder of secondary zones' files */
	struct netaddr *api_listen;     /* HTTP API addresses (port 0 allowed); none: no API */
	size_t api_listen_count;        /* entries at api_listen */
	struct config_api_listener *api_listeners; /* roles and TLS of each api_listen entry */
	char *api_admin_token;          /* bearer token of write endpoints, or NULL: writes refused */
	struct netacl api_acl;          /* who may connect to the API (api.acl; empty: everyone) */
	unsigned api_max_connections;   /* open API connections (1..65536, default 256) */
	unsigned api_max_per_client;    /* ... from one client network (1..65536, default 32) */
	unsigned api_header_timeout_ms; /* request line and headers, in total (default 10s) */
	unsigned api_body_timeout_ms;   /* a request body, in total; writing a reply (default 30s) */
	unsigned api_auth_failures;     /* failed tokens per client network and minute (default 20) */
	bool rrl_enabled;               /* response rate limiting on UDP (default true) */
	bool rrl_log_only;              /* count what would be limited, limit nothing */
	unsigned rrl_rate;              /* responses per second per bucket (1..10000, default 100) */
	unsigned rrl_window_ms;         /* a bucket holds rate x window (1s..60s, default 2s) */
	unsigned rrl_slip;              /* every slip-th limited response sent TC=1 (0..100, default 2) */
	unsigned rrl_ipv4_prefix;       /* client network of IPv4 clients (8..32, default 24) */
	unsigned rrl_ipv6_prefix;       /* ... of IPv6 clients (32..128, default 56) */
	unsigned rrl_table_size;        /* buckets per UDP worker (1024..16777216, default 65536) */
	struct netprefix *rrl_exempt;   /* clients never limited */
	size_t rrl_exempt_count;        /* entries at rrl_exempt */
	bool cookies_enabled;           /* DNS cookies (RFC 7873, 9018; default true) */
	bool cookie_secret_random;      /* no secret configured: the process's random one */
	bool cookie_has_previous;       /* cookie_previous holds a secret */
	uint8_t cookie_secret[16];      /* makes and checks server cookies */
	uint8_t cookie_previous[16];    /* checks them too (rotation) */
	struct config_check *checks;    /* health check definitions */
	size_t check_count;             /* entries at checks */
	struct config_probe *probes;    /* probes allowed to report */
	size_t probe_count;             /* entries at probes */
	unsigned health_rise;           /* consecutive good results before a probe says up (1..100, default 2) */
	unsigned health_fall;           /* consecutive bad results before a probe says down (1..100, default 3) */
	unsigned health_quorum;         /* fresh probes that must agree; 0 = strict majority (default) */
	unsigned health_freshness_ms;   /* results older than this are ignored (1s..1h, default 10s) */
	unsigned health_grace_ms;       /* with no fresh data the last state holds this long (0..1d, default 30s) */
	enum health_unknown health_on_unknown; /* then this decides (default up) */
	unsigned report_max_skew_ms;    /* reports whose timestamp is further off are refused (1s..1h, default 30s) */
	unsigned report_max_bytes;      /* largest report body (1KiB..16MiB, default 1MiB) */
	unsigned latency_hysteresis_pct; /* latency policy: a new leader must be this much faster (0..100, default 20) */
	unsigned latency_hysteresis_ms; /* ... and at least this many ms faster (0..1000, default 5) */
	unsigned load_high_pct;         /* spill-over: utilisation % above which clients move (1..1000, 80) */
	unsigned load_low_pct;          /* ... below which they come back (0..999, default 70; < high) */
	unsigned load_step_pct;         /* ... share change per interval at most (1..100, default 10) */
	unsigned load_interval_ms;      /* ... time between share changes (500ms..1h, default 5s) */
	unsigned load_hysteresis_pct;   /* least_load: utilisation points a new leader must be lower (0..100, 10) */
	char *geoip_database;           /* MaxMind DB path, or NULL: no client locations */
	char *geoip_latitude;           /* data path of the latitude ("location.latitude") */
	char *geoip_longitude;          /* data path of the longitude ("location.longitude") */
	char *geoip_country;            /* data path of the country code ("country.iso_code") */
	char *geoip_continent;          /* data path of the continent code ("continent.code") */
	struct config_datacenter *datacenters; /* every datacenter */
	size_t datacenter_count;        /* entries at datacenters (0..65535) */
	struct config_pool *pools;      /* every pool */
	size_t pool_count;              /* entries at pools */
	char **etcd_endpoints;          /* etcd client URLs; none: operators' state is local */
	size_t etcd_endpoint_count;     /* entries at etcd_endpoints */
	char *etcd_prefix;              /* key prefix of the fleet's state (default "/gslbd/") */
	unsigned etcd_timeout_ms;       /* one request's deadline (default 2s) */
	unsigned etcd_poll_ms;          /* how often the state is read (default 200ms) */
	char *etcd_username;            /* etcd user, or NULL */
	char *etcd_password;            /* its password, or NULL */
	char *etcd_ca_file;             /* TLS: CA bundle, or NULL */
	char *etcd_cert_file;           /* TLS: client certificate, or NULL */
	char *etcd_key_file;            /* TLS: its key, or NULL */
	struct config_token *tokens;    /* tenants' API tokens */
	size_t token_count;             /* entries at tokens */
	struct config_alert *alerts;    /* webhooks */
	size_t alert_count;             /* entries at alerts */
	struct config_lbname *lbnames;  /* every load-balanced name */
	size_t lbname_count;            /* entries at lbnames */
	/* dnstap (gslbd.conf "dnstap"): at most one of the three sinks is set;
	 * none means dnstap is off. */
	char *dnstap_socket;            /* Frame Streams unix socket path, or NULL */
	char *dnstap_tcp;               /* "ADDR:PORT" of a TCP collector as written, or NULL */
	struct netaddr dnstap_tcp_addr; /* dnstap_tcp parsed */
	char *dnstap_file;              /* Frame Streams file path, or NULL */
	char *dnstap_identity;          /* Dnstap.identity, or NULL for none */
	char *dnstap_version;           /* Dnstap.version, or NULL for none */
	bool dnstap_log_queries;        /* write AUTH_QUERY messages */
	bool dnstap_log_responses;      /* write AUTH_RESPONSE messages */
	unsigned dnstap_sample;         /* write one message exchange in this many (1: all) */
	bool dnstap_only_lb;            /* only the answers of load-balanced names */
	uint32_t dnstap_rcodes;         /* bit (1 << rcode) per response code written; 0: all */
	unsigned dnstap_ring_size;      /* slots of each DNS thread's ring (a power of two;
	                                 * taken at start only) */
	bool *dnstap_zone_on;           /* zone_count flags: the zone's messages are written;
	                                 * NULL: every zone's (and those of no zone) */
};

/* Is dnstap on in cfg (a sink is configured)? */
static inline bool config_dnstap_enabled(const struct config *cfg)
{
	return cfg->dnstap_socket != NULL || cfg->dnstap_tcp != NULL || cfg->dnstap_file != NULL;
}

/* Index of the datacenter called name, or -1. */
long config_datacenter_find(const struct config *cfg, const char *name);

/* Set dc's position: lat and lon (degrees) and the matching xyz. */
void config_datacenter_set_position(struct config_datacenter *dc, double lat, double lon);

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

/* The file of zone name in server.storage: NAME with suffix (".zone",
 * ".journal"), NAME the zone's name in lower case without its final dot,
 * '/' as '_'. Caller frees. */
char *config_storage_file(const struct config *cfg, const char *name, const char *suffix);

#endif

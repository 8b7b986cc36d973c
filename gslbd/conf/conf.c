/* gslbd.conf's top level: the table of scalar options and the mapping
 * sections it describes (server, log, api, geoip, health, reports,
 * latency), the dispatch over the top-level keys and the order the list
 * sections are read in, the defaults, loading, config_free() and the
 * option listing. The list sections and the keys the table does not
 * describe are read by conf_<section>.c on the shared readers of
 * conf_read.c (conf-internal.h). */
#include <config.h>

#include "gslbd/conf/conf.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "common/yamltree.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf-internal.h"

/* Milliseconds in a day (the "d" duration unit). */
#define DAY_MS 86400000ULL

enum opt_type {
	OPT_UINT,     /* unsigned at offset; decimal digits, min..max */
	OPT_BOOL,     /* bool at offset; true/false, yes/no, on/off */
	OPT_STRING,   /* char * at offset, owned by the config */
	OPT_DURATION, /* unsigned milliseconds at offset; min..max in ms */
	OPT_LOGLEVEL, /* enum log_level at offset */
	OPT_ENUM,     /* an enum at offset: the index of the value in words */
};

/* Option flags. */
#define OPTF_EMPTY_NULL 0x1u /* "" is stored as NULL */
#define OPTF_HOSTNAME   0x2u /* when absent, the default is the host name */
#define OPTF_PATH       0x4u /* a file name: relative ones resolve against the config's folder */
#define OPTF_GEOPATH    0x8u /* a dotted data path checked with geo_layout_parse_path() */

/* One scalar option of the file. */
struct option {
	const char *key;          /* "section.name" as written in the file */
	enum opt_type type;       /* how the value is read and stored */
	size_t offset;            /* member of struct config that holds it */
	const char *def;          /* default in file syntax, NULL for none */
	unsigned long long min;   /* smallest value (UINT, DURATION in ms) */
	unsigned long long max;   /* largest value (UINT, DURATION in ms) */
	unsigned flags;           /* OPTF_* */
	const char *help;         /* one line for --help-config and the man page */
	const char *const *words; /* OPT_ENUM: the NULL-terminated values, in enum order */
};

/* OPT_ENUM members are stored through an unsigned lvalue. */
_Static_assert(sizeof(enum health_unknown) == sizeof(unsigned), "enum options are unsigned-sized");

static const char *const on_unknown_words[] = {"up", "down", NULL};

#define OFF(member) offsetof(struct config, member)

/* Every scalar option, grouped by section in the order they are printed.
 * The list-valued keys (server.listen, server.allow_transfer, api.listen,
 * zones, checks, datacenters, probes, pools, names) and the admin token
 * keys, which read a file or exclude each other, are read by the files of
 * their sections (conf_<section>.c). */
static const struct option options[] = {
    {"server.journal_max", OPT_UINT, OFF(journal_max), "1048576", 0, 1073741824, 0,
     "bytes of zone differences kept per zone to answer IXFR; 0 answers IXFR with full transfers",
     NULL},
    {"server.journal_persist", OPT_BOOL, OFF(journal_persist), "false", 0, 0, 0,
     "keep each zone's journal in server.storage so that IXFR survives a restart", NULL},
    {"server.workers", OPT_UINT, OFF(workers), "0", 0, 256, 0,
     "UDP worker threads; 0 means one per online CPU", NULL},
    {"server.user", OPT_STRING, OFF(user), NULL, 0, 0, OPTF_EMPTY_NULL,
     "user to switch to after binding when started as root; none means stay", NULL},
    {"server.udp_max_size", OPT_UINT, OFF(udp_max_size), "1232", 512, 65535, 0,
     "largest UDP response sent to EDNS clients, in bytes", NULL},
    {"server.tcp_idle_timeout", OPT_DURATION, OFF(tcp_idle_timeout_ms), "10s", 100, 3600000, 0,
     "close an idle or stalled TCP connection after this long", NULL},
    {"server.tcp_max_connections", OPT_UINT, OFF(tcp_max_connections), "512", 1, 65536, 0,
     "concurrent TCP connections accepted", NULL},
    {"server.tcp_max_queries", OPT_UINT, OFF(tcp_max_queries), "0", 0, 1000000, 0,
     "queries answered on one TCP connection before closing it; 0 means no limit", NULL},
    {"server.tcp_max_connections_per_client", OPT_UINT, OFF(tcp_max_conn_per_client), "64", 0,
     65536, 0,
     "TCP connections open at once from one client network (rrl.ipv4_prefix, rrl.ipv6_prefix); "
     "0 means no limit",
     NULL},
    {"server.tcp_busy_timeout", OPT_DURATION, OFF(tcp_busy_timeout_ms), "1s", 100, 3600000, 0,
     "idle timeout of TCP connections while more than 3/4 of tcp_max_connections are open",
     NULL},
    {"server.identity", OPT_STRING, OFF(identity), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_HOSTNAME,
     "CH TXT answer to id.server. and hostname.bind.; \"\" refuses those queries", NULL},
    {"server.version", OPT_STRING, OFF(version), "gslbd " PACKAGE_VERSION, 0, 0, OPTF_EMPTY_NULL,
     "CH TXT answer to version.server. and version.bind.; \"\" refuses those queries", NULL},
    {"server.state_file", OPT_STRING, OFF(state_file), LOCALSTATEDIR "/lib/gslbd/state.json", 0, 0,
     OPTF_EMPTY_NULL | OPTF_PATH,
     "file keeping datacenter drains and force-ups across restarts; \"\" keeps them in memory",
     NULL},
    {"server.storage", OPT_STRING, OFF(storage), LOCALSTATEDIR "/lib/gslbd/zones", 0, 0,
     OPTF_PATH,
     "folder where secondary zones (zones[].primaries) are kept as zone files between "
     "transfers and restarts",
     NULL},
    {"log.level", OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, 0,
     "log threshold: error, warning, info or debug", NULL},
    {"log.syslog", OPT_BOOL, OFF(log_syslog), "false", 0, 0, 0,
     "log to syslog (facility daemon) instead of stderr", NULL},
    {"api.max_connections", OPT_UINT, OFF(api_max_connections), "256", 1, 65536, 0,
     "open API connections; fewer if the open file limit must keep "
     "server.tcp_max_connections for DNS over TCP",
     NULL},
    {"api.max_connections_per_client", OPT_UINT, OFF(api_max_per_client), "32", 1, 65536, 0,
     "open API connections from one client network (IPv4 /24, IPv6 /56)", NULL},
    {"api.header_timeout", OPT_DURATION, OFF(api_header_timeout_ms), "10s", 100, 300000, 0,
     "a request's line and headers must arrive within this, in total (also the keep-alive "
     "idle time)",
     NULL},
    {"api.body_timeout", OPT_DURATION, OFF(api_body_timeout_ms), "30s", 100, 600000, 0,
     "a request's body must arrive within this, in total; a reply must be taken as fast", NULL},
    {"api.auth_failures", OPT_UINT, OFF(api_auth_failures), "20", 1, 100000, 0,
     "failed tokens per client network (IPv4 /24, IPv6 /56) and minute; then requests with a "
     "token get 429 until the minute is over",
     NULL},
    {"geoip.database", OPT_STRING, OFF(geoip_database), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "MaxMind DB (.mmdb) locating clients; none means every client is unlocated", NULL},
    {"geoip.latitude", OPT_STRING, OFF(geoip_latitude), "location.latitude", 0, 0, OPTF_GEOPATH,
     "data path of the latitude in a database record; \"\" does not read it", NULL},
    {"geoip.longitude", OPT_STRING, OFF(geoip_longitude), "location.longitude", 0, 0, OPTF_GEOPATH,
     "data path of the longitude in a database record; \"\" does not read it", NULL},
    {"geoip.country", OPT_STRING, OFF(geoip_country), "country.iso_code", 0, 0, OPTF_GEOPATH,
     "data path of the ISO country code in a database record; \"\" does not read it", NULL},
    {"geoip.continent", OPT_STRING, OFF(geoip_continent), "continent.code", 0, 0, OPTF_GEOPATH,
     "data path of the continent code in a database record; \"\" does not read it", NULL},
    {"health.rise", OPT_UINT, OFF(health_rise), "2", 1, 100, 0,
     "consecutive passed checks before a probe calls a datacenter up", NULL},
    {"health.fall", OPT_UINT, OFF(health_fall), "3", 1, 100, 0,
     "consecutive failed checks before a probe calls a datacenter down", NULL},
    {"health.quorum", OPT_UINT, OFF(health_quorum), "0", 0, 1000, 0,
     "fresh probes that must agree to change a datacenter's state; 0 means a strict majority",
     NULL},
    {"health.freshness", OPT_DURATION, OFF(health_freshness_ms), "10s", 1000, 3600000, 0,
     "a probe's results older than this are not counted", NULL},
    {"health.grace", OPT_DURATION, OFF(health_grace_ms), "30s", 0, DAY_MS, 0,
     "with no fresh result a datacenter keeps its last state this long", NULL},
    {"health.on_unknown", OPT_ENUM, OFF(health_on_unknown), "up", 0, 0, 0,
     "after the grace period (and before any result) a datacenter is answered (up) or not (down)",
     on_unknown_words},
    {"reports.max_skew", OPT_DURATION, OFF(report_max_skew_ms), "30s", 1000, 3600000, 0,
     "reports whose signed timestamp is further than this from gslbd's clock are refused", NULL},
    {"reports.max_bytes", OPT_UINT, OFF(report_max_bytes), "1048576", 1024, 16777216, 0,
     "largest report body accepted, in bytes", NULL},
    {"latency.hysteresis_pct", OPT_UINT, OFF(latency_hysteresis_pct), "20", 0, 100, 0,
     "latency policy: a datacenter takes the lead only when this many percent faster", NULL},
    {"latency.hysteresis_ms", OPT_UINT, OFF(latency_hysteresis_ms), "5", 0, 1000, 0,
     "latency policy: ... and at least this many milliseconds faster", NULL},
    {"load.high_water", OPT_UINT, OFF(load_high_pct), "80", 1, 1000, 0,
     "spill-over: a datacenter above this utilisation (percent of its capacity) keeps only the "
     "share of its clients that fits",
     NULL},
    {"load.low_water", OPT_UINT, OFF(load_low_pct), "70", 0, 999, 0,
     "spill-over: below this utilisation a datacenter takes its clients back, step by step", NULL},
    {"load.max_step", OPT_UINT, OFF(load_step_pct), "10", 1, 100, 0,
     "spill-over: the share of a datacenter's clients changes by at most this many percent "
     "per interval",
     NULL},
    {"load.interval", OPT_DURATION, OFF(load_interval_ms), "5s", 500, 3600000, 0,
     "spill-over: time between two changes of a datacenter's share", NULL},
    {"load.hysteresis", OPT_UINT, OFF(load_hysteresis_pct), "10", 0, 100, 0,
     "least_load policy: a datacenter takes the lead only when its utilisation is this many "
     "percentage points lower",
     NULL},
    {"rrl.enabled", OPT_BOOL, OFF(rrl_enabled), "true", 0, 0, 0,
     "limit the rate of UDP responses per client network, kind of response and name", NULL},
    {"rrl.rate", OPT_UINT, OFF(rrl_rate), "100", 1, 10000, 0,
     "responses per second to one client network for one name and kind", NULL},
    {"rrl.window", OPT_DURATION, OFF(rrl_window_ms), "2s", 1000, 60000, 0,
     "a client network may spend rate x window responses at once, then rate per second", NULL},
    {"rrl.slip", OPT_UINT, OFF(rrl_slip), "2", 0, 100, 0,
     "every slip-th limited response is sent truncated (TC=1) so real clients retry over "
     "TCP; 0 drops all",
     NULL},
    {"rrl.ipv4_prefix", OPT_UINT, OFF(rrl_ipv4_prefix), "24", 8, 32, 0,
     "IPv4 clients are limited by network of this prefix length", NULL},
    {"rrl.ipv6_prefix", OPT_UINT, OFF(rrl_ipv6_prefix), "56", 32, 128, 0,
     "IPv6 clients are limited by network of this prefix length", NULL},
    {"rrl.table_size", OPT_UINT, OFF(rrl_table_size), "131072", 1024, 16777216, 0,
     "buckets per UDP worker, 16 bytes each", NULL},
    {"rrl.log_only", OPT_BOOL, OFF(rrl_log_only), "false", 0, 0, 0,
     "count what would be limited in the metrics but send every response", NULL},
    {"etcd.prefix", OPT_STRING, OFF(etcd_prefix), "/gslbd/", 0, 0, 0,
     "key prefix of the fleet's operator state in etcd", NULL},
    {"etcd.timeout", OPT_DURATION, OFF(etcd_timeout_ms), "2s", 100, 30000, 0,
     "deadline of one request to etcd", NULL},
    {"etcd.poll", OPT_DURATION, OFF(etcd_poll_ms), "200ms", 50, 10000, 0,
     "how often the fleet's state is read from etcd", NULL},
    {"etcd.username", OPT_STRING, OFF(etcd_username), NULL, 0, 0, OPTF_EMPTY_NULL,
     "etcd user (with etcd.password)", NULL},
    {"etcd.password", OPT_STRING, OFF(etcd_password), NULL, 0, 0, OPTF_EMPTY_NULL,
     "etcd password", NULL},
    {"etcd.ca_file", OPT_STRING, OFF(etcd_ca_file), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "TLS: CA bundle that etcd's certificate is checked against", NULL},
    {"etcd.cert_file", OPT_STRING, OFF(etcd_cert_file), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "TLS: client certificate", NULL},
    {"etcd.key_file", OPT_STRING, OFF(etcd_key_file), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "TLS: the client certificate's key", NULL},
    {"cookies.enabled", OPT_BOOL, OFF(cookies_enabled), "true", 0, 0, 0,
     "DNS cookies (RFC 7873, server cookies of RFC 9018); clients with a valid one skip RRL",
     NULL},
    {"dnstap.socket", OPT_STRING, OFF(dnstap_socket), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "write dnstap to this Frame Streams unix socket (its folder must exist)", NULL},
    {"dnstap.tcp", OPT_STRING, OFF(dnstap_tcp), NULL, 0, 0, OPTF_EMPTY_NULL,
     "write dnstap to this Frame Streams TCP collector, ADDR:PORT or [IPV6]:PORT", NULL},
    {"dnstap.file", OPT_STRING, OFF(dnstap_file), NULL, 0, 0, OPTF_EMPTY_NULL | OPTF_PATH,
     "write dnstap to this Frame Streams file, made again on SIGHUP (rotation)", NULL},
    {"dnstap.identity", OPT_STRING, OFF(dnstap_identity), NULL, 0, 0,
     OPTF_EMPTY_NULL | OPTF_HOSTNAME, "Dnstap.identity of every message; \"\" leaves it out",
     NULL},
    {"dnstap.version", OPT_STRING, OFF(dnstap_version), "gslbd " PACKAGE_VERSION, 0, 0,
     OPTF_EMPTY_NULL, "Dnstap.version of every message; \"\" leaves it out", NULL},
    {"dnstap.log_queries", OPT_BOOL, OFF(dnstap_log_queries), "true", 0, 0, 0,
     "write each query received (AUTH_QUERY)", NULL},
    {"dnstap.log_responses", OPT_BOOL, OFF(dnstap_log_responses), "true", 0, 0, 0,
     "write each response sent (AUTH_RESPONSE), with the load-balancing decision", NULL},
    {"dnstap.sample", OPT_UINT, OFF(dnstap_sample), "1", 1, 1000000, 0,
     "write one query and its response in this many, per DNS thread (1: all)", NULL},
    {"dnstap.ring_size", OPT_UINT, OFF(dnstap_ring_size), "1024", 16, 1048576, 0,
     "exchanges each DNS thread holds for the writer (a power of two, 4.5 KiB each); more are "
     "dropped and counted; a restart takes a change",
     NULL},
    {"dnstap.only_load_balanced", OPT_BOOL, OFF(dnstap_only_lb), "false", 0, 0, 0,
     "write only the messages of load-balanced names", NULL},
};

#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))

/* Join the NULL-terminated words as "a, b or c" into buf. */
static void words_join(const char *const *words, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; words[i] != NULL && used < len; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep, words[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Store text s as the value of o in cfg. On error, writes the reason to why
 * and returns GSLB_EPARSE. quoted: s was written quoted (so it is a string
 * in YAML, never a number or boolean). */
static int option_set(const struct option *o, const char *s, bool quoted, struct config *cfg,
		      char *why, size_t why_len)
{
	char *member = (char *)cfg + o->offset;
	unsigned long long v;
	const char *end;
	bool overflow, b;
	enum log_level level;

	switch (o->type) {
	case OPT_UINT:
		if (quoted) {
			snprintf(why, why_len, "expected an unsigned integer, got a quoted string");
			return GSLB_EPARSE;
		}
		if (!ytree_scan_digits(s, &v, &end, &overflow) || *end != '\0') {
			snprintf(why, why_len, "expected an unsigned integer, got '%s'", s);
			return GSLB_EPARSE;
		}
		if (overflow || v < o->min || v > o->max) {
			snprintf(why, why_len, "%s is out of range (%llu..%llu)", s, o->min,
				 o->max);
			return GSLB_EPARSE;
		}
		*(unsigned *)(void *)member = (unsigned)v;
		return 0;
	case OPT_DURATION:
		if (ytree_parse_duration(s, o->min, o->max, &v, why, why_len) != 0)
			return GSLB_EPARSE;
		*(unsigned *)(void *)member = (unsigned)v;
		return 0;
	case OPT_ENUM: {
		char list[128];

		for (unsigned i = 0; o->words[i] != NULL; i++) {
			if (strcmp(o->words[i], s) == 0) {
				*(unsigned *)(void *)member = i;
				return 0;
			}
		}
		words_join(o->words, list, sizeof(list));
		snprintf(why, why_len, "'%s' is not one of %s", s, list);
		return GSLB_EPARSE;
	}
	case OPT_BOOL:
		if (quoted || ytree_parse_bool(s, &b) != 0) {
			snprintf(why, why_len, "expected true or false, got %s'%s'",
				 quoted ? "the quoted string " : "", s);
			return GSLB_EPARSE;
		}
		*(bool *)(void *)member = b;
		return 0;
	case OPT_LOGLEVEL:
		if (log_level_parse(s, &level) != 0) {
			snprintf(why, why_len,
				 "'%s' is not a log level (error, warning, info or debug)", s);
			return GSLB_EPARSE;
		}
		*(enum log_level *)(void *)member = level;
		return 0;
	case OPT_STRING:
		free(*(char **)(void *)member);
		*(char **)(void *)member =
		    (*s == '\0' && (o->flags & OPTF_EMPTY_NULL)) ? NULL : xstrdup(s);
		return 0;
	}
	snprintf(why, why_len, "unknown option type");
	return GSLB_EPARSE;
}

/* What option o takes, for "expected X" messages, into buf. */
static const char *type_name(const struct option *o, char *buf, size_t len)
{
	switch (o->type) {
	case OPT_UINT:
		return "an unsigned integer";
	case OPT_BOOL:
		return "true or false";
	case OPT_STRING:
		return "a string";
	case OPT_DURATION:
		return "a duration";
	case OPT_LOGLEVEL:
		return "a log level";
	case OPT_ENUM:
		words_join(o->words, buf, len);
		return buf;
	}
	return "a value";
}

/* Read the value node n of option o. */
static int option_read(struct loader *l, const struct option *o, const struct ytree_node *n)
{
	char **member = (char **)(void *)((char *)l->cfg + o->offset);
	char why[512], what[128];

	if (n->kind != YTREE_SCALAR || ytree_node_is_null(n))
		return ytree_error_path(&l->r, n, o->key, "expected %s, got %s",
					type_name(o, what, sizeof(what)), ytree_node_describe(n));
	if (option_set(o, n->scalar, n->quoted, l->cfg, why, sizeof(why)) != 0)
		return ytree_error_path(&l->r, n, o->key, "%s", why);
	if ((o->flags & OPTF_PATH) && *member != NULL) {
		char *resolved = ytree_path_resolve(l->r.base_dir, *member);

		free(*member);
		*member = resolved;
	}
	if (o->flags & OPTF_GEOPATH) {
		struct geo_path gp;
		struct gslb_err gerr = {{0}};

		if (geo_layout_parse_path(*member, &gp, &gerr) != 0)
			return ytree_error_path(&l->r, n, o->key, "%s", gerr.msg);
	}
	return 0;
}

static void defaults_apply(struct config *cfg)
{
	char why[512];

	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (options[i].def == NULL)
			continue;
		if (option_set(&options[i], options[i].def, false, cfg, why, sizeof(why)) != 0)
			assert(!"bad default in the option table");
	}
}

/* Keys of the mapping sections that the table does not describe: lists,
 * and keys that read a file or exclude each other. */
static const struct {
	const char *section;    /* top-level key */
	const char *key;        /* key within it */
	conf_key_read_fn *read; /* its reader, in the section's file */
} section_keys[] = {
    {"server", "listen", conf_server_listen_read},
    {"server", "allow_transfer", conf_server_allow_transfer_read},
    {"server", "notify", conf_server_notify_read},
    {"server", "xdp", conf_server_xdp_read},
    {"api", "listen", conf_api_listen_read},
    {"api", "admin_token", conf_api_token_read},
    {"api", "admin_token_file", conf_api_token_read},
    {"server", "acl", conf_server_acl_read},
    {"api", "acl", conf_api_acl_read},
    {"rrl", "exempt", conf_rrl_exempt_read},
    {"cookies", "secret", conf_cookies_secret_read},
    {"cookies", "secret_file", conf_cookies_secret_read},
    {"cookies", "previous_secret", conf_cookies_secret_read},
    {"cookies", "previous_secret_file", conf_cookies_secret_read},
    {"etcd", "endpoints", conf_etcd_endpoints_read},
    {"dnstap", "rcodes", conf_dnstap_rcodes_read},
    {"dnstap", "zones", conf_dnstap_zones_read},
};

#define SECTION_KEY_COUNT (sizeof(section_keys) / sizeof(section_keys[0]))

/* Read a mapping section (server, log, api, geoip) of scalar options. */
static int section_read(struct loader *l, const char *section, const struct ytree_node *n)
{
	size_t slen = strlen(section);

	if (ytree_node_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP)
		return ytree_error_path(&l->r, n, section, "expected a mapping, got %s",
					ytree_node_describe(n));
	for (size_t k = 0; k < n->count; k++) {
		const struct ytree_node *key = n->keys[k], *val = n->items[k];
		bool known = false;
		int rc = 0;

		for (size_t i = 0; i < OPTION_COUNT; i++) {
			if (strncmp(options[i].key, section, slen) == 0 &&
			    options[i].key[slen] == '.' &&
			    strcmp(options[i].key + slen + 1, key->scalar) == 0) {
				known = true;
				l->seen[i] = val;
				rc = option_read(l, &options[i], val);
				break;
			}
		}
		for (size_t i = 0; !known && i < SECTION_KEY_COUNT; i++) {
			if (strcmp(section_keys[i].section, section) == 0 &&
			    strcmp(section_keys[i].key, key->scalar) == 0) {
				known = true;
				rc = section_keys[i].read(l, key, val);
			}
		}
		if (!known)
			return ytree_error(l->r.tree, key, l->r.err, "unknown key '%s' in %s",
					   key->scalar, section);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *conf_option_key(const struct loader *l, size_t offset, const struct ytree_node **seen)
{
	size_t i = 0;

	while (i < OPTION_COUNT - 1 && options[i].offset != offset)
		i++;
	assert(options[i].offset == offset);
	*seen = l->seen[i];
	return options[i].key;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	if (n > 256)
		return 256;
	return (unsigned)n;
}

static char *host_name(void)
{
	char buf[256];

	if (gethostname(buf, sizeof(buf)) != 0)
		return NULL;
	buf[sizeof(buf) - 1] = '\0';
	return buf[0] != '\0' ? xstrdup(buf) : NULL;
}

static int tree_read(struct loader *l)
{
	const struct ytree_node *root = ytree_root(l->r.tree);
	const struct ytree_node *zones = NULL, *dcs = NULL, *pools = NULL, *names = NULL;
	const struct ytree_node *geoip = NULL, *checks = NULL, *probes = NULL, *alerts = NULL;
	const struct ytree_node *tokens = NULL;
	struct config *cfg = l->cfg;
	int rc;

	if (root->kind != YTREE_MAP)
		return ytree_error(l->r.tree, root, l->r.err,
				   "expected a mapping with server, log and zones, got %s",
				   ytree_node_describe(root));
	/* The TSIG keys first: transfer lists and notify lists name them. */
	{
		const struct ytree_node *keys = NULL, *key_file = NULL;

		for (size_t k = 0; k < root->count; k++) {
			if (strcmp(root->keys[k]->scalar, "keys") == 0)
				keys = root->items[k];
			else if (strcmp(root->keys[k]->scalar, "key_file") == 0)
				key_file = root->items[k];
		}
		if ((rc = conf_keys_read(l, keys, key_file)) != 0)
			return rc;
	}
	for (size_t k = 0; k < root->count; k++) {
		const char *key = root->keys[k]->scalar;

		rc = 0;
		if (strcmp(key, "keys") == 0 || strcmp(key, "key_file") == 0)
			continue;
		if (strcmp(key, "server") == 0 || strcmp(key, "log") == 0 ||
		    strcmp(key, "api") == 0 || strcmp(key, "geoip") == 0 ||
		    strcmp(key, "health") == 0 || strcmp(key, "reports") == 0 ||
		    strcmp(key, "latency") == 0 || strcmp(key, "load") == 0 ||
		    strcmp(key, "rrl") == 0 || strcmp(key, "cookies") == 0 ||
		    strcmp(key, "etcd") == 0 || strcmp(key, "dnstap") == 0)
			rc = section_read(l, key, root->items[k]);
		else if (strcmp(key, "zones") == 0)
			zones = root->items[k];
		else if (strcmp(key, "datacenters") == 0)
			dcs = root->items[k];
		else if (strcmp(key, "pools") == 0)
			pools = root->items[k];
		else if (strcmp(key, "names") == 0)
			names = root->items[k];
		else if (strcmp(key, "checks") == 0)
			checks = root->items[k];
		else if (strcmp(key, "probes") == 0)
			probes = root->items[k];
		else if (strcmp(key, "alerts") == 0)
			alerts = root->items[k];
		else if (strcmp(key, "tokens") == 0)
			tokens = root->items[k];
		else
			return ytree_error(l->r.tree, root->keys[k], l->r.err,
					   "unknown key '%s' (expected server, log, api, geoip, "
					   "health, reports, latency, load, rrl, cookies, etcd, dnstap, "
					   "zones, checks, datacenters, probes, pools, names, alerts, tokens, "
					   "keys or key_file)",
					   key);
		if (strcmp(key, "geoip") == 0)
			geoip = root->items[k];
		if (rc != 0)
			return rc;
	}
	if (geoip != NULL && (rc = conf_geoip_check(l, geoip)) != 0)
		return rc;
	/* Zones after the sections: they inherit server.allow_transfer. Then
	 * each list after the ones it refers to. */
	if (zones == NULL)
		return ytree_error(l->r.tree, root, l->r.err, "missing required key 'zones'");
	if ((rc = conf_zones_read(l, zones)) != 0)
		return rc;
	if ((rc = conf_dnstap_check(l)) != 0)
		return rc;
	if (checks != NULL && (rc = conf_checks_read(l, checks)) != 0)
		return rc;
	if (dcs != NULL && (rc = conf_datacenters_read(l, dcs)) != 0)
		return rc;
	if (probes != NULL && (rc = conf_probes_read(l, probes)) != 0)
		return rc;
	if ((rc = conf_health_check(l)) != 0)
		return rc;
	if ((rc = conf_load_check(l)) != 0)
		return rc;
	if (pools != NULL && (rc = conf_pools_read(l, pools)) != 0)
		return rc;
	if (names != NULL && (rc = conf_names_read(l, names)) != 0)
		return rc;
	if (alerts != NULL && (rc = conf_alerts_read(l, alerts)) != 0)
		return rc;
	if (tokens != NULL && (rc = conf_tokens_read(l, tokens)) != 0)
		return rc;
	if ((rc = conf_api_check(l)) != 0)
		return rc;
	/* Without api.listen there is no API: nothing listens that was not asked for. */

	if (cfg->listen == NULL) {
		cfg->listen = xcalloc(2, sizeof(*cfg->listen));
		if (netaddr_parse("0.0.0.0", DNS_PORT, &cfg->listen[0]) != 0 ||
		    netaddr_parse("::", DNS_PORT, &cfg->listen[1]) != 0)
			assert(!"default listen addresses do not parse");
		cfg->listen_count = 2;
	}
	if (cfg->workers == 0)
		cfg->workers = online_cpus();
	if ((rc = conf_defences_finish(l)) != 0)
		return rc;
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if ((options[i].flags & OPTF_HOSTNAME) && !l->seen[i]) {
			char **member = (char **)(void *)((char *)cfg + options[i].offset);

			free(*member);
			*member = host_name();
		}
	}
	return 0;
}

static int load_tree(const struct ytree *tree, const char *name, const char *base_dir,
		     struct config **out, struct gslb_err *err)
{
	struct loader l = {.r = {.tree = tree, .base_dir = base_dir, .err = err}};
	int rc;

	l.seen = xcalloc(OPTION_COUNT, sizeof(*l.seen));
	l.cfg = xcalloc(1, sizeof(*l.cfg));
	l.cfg->path = xstrdup(name);
	defaults_apply(l.cfg);
	rc = tree_read(&l);
	free(l.allow_transfer);
	free(l.allow_transfer_key);
	free(l.notify);
	for (size_t i = 0; i < l.listen_acl_count; i++)
		netacl_fini(&l.listen_acl[i]);
	free(l.listen_acl);
	free(l.zone_wire);
	free(l.zone_wire_len);
	free(l.fallback);
	free(l.seen);
	if (rc != 0) {
		config_free(l.cfg);
		return rc;
	}
	*out = l.cfg;
	return 0;
}

int config_load(const char *path, struct config **out, struct gslb_err *err)
{
	struct ytree *tree;
	char *dir;
	int rc;

	if ((rc = ytree_load_file(path, &tree, err)) != 0)
		return rc;
	dir = ytree_path_dir(path);
	rc = load_tree(tree, path, dir, out, err);
	free(dir);
	ytree_free(tree);
	return rc;
}

int config_load_string(const char *name, const char *base_dir, const char *text,
		       struct config **out, struct gslb_err *err)
{
	struct ytree *tree;
	int rc;

	if ((rc = ytree_load_string(name, text, strlen(text), &tree, err)) != 0)
		return rc;
	rc = load_tree(tree, name, base_dir, out, err);
	ytree_free(tree);
	return rc;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		free(cfg->zones[i].name);
		free(cfg->zones[i].file);
		free(cfg->zones[i].allow_transfer);
		free(cfg->zones[i].primaries);
		free(cfg->zones[i].allow_transfer_key);
		free(cfg->zones[i].notify);
		netacl_fini(&cfg->zones[i].acl);
		for (size_t k = 0; k < cfg->zones[i].key_count; k++) {
			free(cfg->zones[i].keys[k].file);
		}
		free(cfg->zones[i].keys);
	}
	free(cfg->zones);
	if (cfg->tsig_keys != NULL)
		conf_wipe(cfg->tsig_keys, cfg->tsig_key_count * sizeof(*cfg->tsig_keys));
	free(cfg->tsig_keys);
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		free(cfg->datacenters[i].name);
		free(cfg->datacenters[i].region);
		free(cfg->datacenters[i].ipv4);
		free(cfg->datacenters[i].ipv6);
		free(cfg->datacenters[i].cname);
		free(cfg->datacenters[i].check_address);
	}
	free(cfg->datacenters);
	for (size_t i = 0; i < cfg->check_count; i++) {
		free(cfg->checks[i].name);
		free(cfg->checks[i].path);
		free(cfg->checks[i].host);
		free(cfg->checks[i].expect_status);
		free(cfg->checks[i].expect_body);
		free(cfg->checks[i].load_name);
	}
	free(cfg->checks);
	for (size_t i = 0; i < cfg->probe_count; i++) {
		free(cfg->probes[i].id);
		free(cfg->probes[i].region);
		if (cfg->probes[i].secret != NULL)
			conf_wipe(cfg->probes[i].secret, cfg->probes[i].secret_len);
		free(cfg->probes[i].secret);
	}
	free(cfg->probes);
	for (size_t i = 0; i < cfg->pool_count; i++) {
		struct config_pool *p = &cfg->pools[i];

		free(p->name);
		free(p->dcs);
		for (size_t j = 0; j < p->country_count; j++)
			free(p->countries[j].dcs);
		free(p->countries);
		for (size_t j = 0; j < p->continent_count; j++)
			free(p->continents[j].dcs);
		free(p->continents);
	}
	free(cfg->pools);
	for (size_t i = 0; i < cfg->token_count; i++) {
		free(cfg->tokens[i].name);
		if (cfg->tokens[i].token != NULL)
			conf_wipe(cfg->tokens[i].token, strlen(cfg->tokens[i].token));
		free(cfg->tokens[i].token);
		free(cfg->tokens[i].pools);
		free(cfg->tokens[i].shared);
		free(cfg->tokens[i].dcs);
	}
	free(cfg->tokens);
	for (size_t i = 0; i < cfg->etcd_endpoint_count; i++)
		free(cfg->etcd_endpoints[i]);
	free(cfg->etcd_endpoints);
	free(cfg->xdp);
	free(cfg->etcd_prefix);
	free(cfg->etcd_username);
	if (cfg->etcd_password != NULL)
		conf_wipe(cfg->etcd_password, strlen(cfg->etcd_password));
	free(cfg->etcd_password);
	free(cfg->etcd_ca_file);
	free(cfg->etcd_cert_file);
	free(cfg->etcd_key_file);
	for (size_t i = 0; i < cfg->alert_count; i++) {
		free(cfg->alerts[i].url);
		if (cfg->alerts[i].secret != NULL)
			conf_wipe(cfg->alerts[i].secret, cfg->alerts[i].secret_len);
		free(cfg->alerts[i].secret);
	}
	free(cfg->alerts);
	for (size_t i = 0; i < cfg->lbname_count; i++) {
		free(cfg->lbnames[i].name);
		free(cfg->lbnames[i].xfr_dcs);
	}
	free(cfg->lbnames);
	free(cfg->state_file);
	free(cfg->storage);
	free(cfg->api_listen);
	for (size_t i = 0; cfg->api_listeners != NULL && i < cfg->api_listen_count; i++) {
		free(cfg->api_listeners[i].tls_certificate);
		free(cfg->api_listeners[i].tls_key);
		free(cfg->api_listeners[i].tls_client_ca);
	}
	free(cfg->api_listeners);
	free(cfg->api_admin_token);
	free(cfg->geoip_database);
	free(cfg->geoip_latitude);
	free(cfg->geoip_longitude);
	free(cfg->geoip_country);
	free(cfg->geoip_continent);
	if (cfg->listen_acl != NULL) {
		for (size_t i = 0; i < cfg->listen_count; i++)
			netacl_fini(&cfg->listen_acl[i]);
	}
	free(cfg->listen_acl);
	netacl_fini(&cfg->server_acl);
	netacl_fini(&cfg->api_acl);
	free(cfg->rrl_exempt);
	conf_wipe(cfg->cookie_secret, sizeof(cfg->cookie_secret));
	conf_wipe(cfg->cookie_previous, sizeof(cfg->cookie_previous));
	free(cfg->listen);
	free(cfg->path);
	free(cfg->user);
	free(cfg->identity);
	free(cfg->version);
	free(cfg->dnstap_socket);
	free(cfg->dnstap_tcp);
	free(cfg->dnstap_file);
	free(cfg->dnstap_identity);
	free(cfg->dnstap_version);
	free(cfg->dnstap_zone_on);
	free(cfg);
}

/* What follows the table's options of a section in the listing. */
static void print_section_tail(FILE *out, const char *key)
{
	if (strncmp(key, "server.", 7) == 0)
		fprintf(out,
			"server.allow_transfer: list of address prefixes or {address, key}, default []\n"
			"server.notify: list of ADDR[:PORT] or {address, key}: secondaries told of "
			"changes, default []\n"
			"    clients allowed AXFR/IXFR of zones that have no list of their own\n"
			"server.acl: {allow, deny, action: refuse|drop}, default none\n"
			"    who may query the DNS listeners without an acl of their own "
			"(listen items may be {address, acl})\n"
			"server.xdp: list of IFNAME or IFNAME@QUEUE, default []\n"
			"    interfaces whose DNS over UDP is read through AF_XDP (sockets "
			"if XDP cannot be set up)\n");
	else if (strncmp(key, "log.", 4) == 0)
		fprintf(out,
			"api.listen: list of ADDR[:PORT] or [IPV6]:PORT, default "
			"none\n"
			"    HTTP API addresses; port 0 picks a free port; [] disables the API\n"
			"    an item may be {address, roles, tls}: roles probe|admin|tenant|status|"
			"metrics (default all),\n"
			"    tls {certificate, key, client_ca}: HTTPS (TLS 1.2+), client certificates "
			"required when client_ca is set\n"
			"api.admin_token: string, default none\n"
			"    bearer token of the write endpoints; none means writes are refused\n"
			"api.admin_token_file: file name, default none\n"
			"    file whose first line is the admin token (instead of "
			"api.admin_token)\n"
			"api.acl: {allow, deny}, default none\n"
			"    who may use the API; others get 403\n");
	else if (strncmp(key, "etcd.", 5) == 0)
		fprintf(out, "etcd.endpoints: list of http:// or https:// URLs, default none\n"
			     "    etcd members holding the fleet's drains and force-ups; none: the "
			     "state file alone\n");
	else if (strncmp(key, "rrl.", 4) == 0)
		fprintf(out, "rrl.exempt: list of address prefixes, default []\n"
			     "    clients never rate-limited\n");
	else if (strncmp(key, "dnstap.", 7) == 0)
		fprintf(out, "dnstap.rcodes: list of response codes (NOERROR, NXDOMAIN, ... or 0..31), "
			     "default [] (all)\n"
			     "    write only the responses with these codes, and their queries\n"
			     "dnstap.zones: list of served zones, default [] (all)\n"
			     "    write only the messages of these zones\n");
	else if (strncmp(key, "cookies.", 8) == 0)
		fprintf(out,
			"cookies.secret: 32 hex digits, default a random one per process\n"
			"    makes and checks server cookies; every server of an NS set should "
			"share it\n"
			"cookies.secret_file: file name, default none\n"
			"    file whose first line is the secret (instead of cookies.secret)\n"
			"cookies.previous_secret, cookies.previous_secret_file: default none\n"
			"    the secret before, whose cookies stay valid during a rotation\n");
}

void config_print_options(FILE *out)
{
	fprintf(out, "server.listen: list of ADDR[:PORT] or [IPV6]:PORT, default "
		     "[0.0.0.0:53, \"[::]:53\"]\n"
		     "    DNS listen addresses, UDP and TCP on each; port 0 picks a free port\n");
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct option *o = &options[i];
		char lo[32], hi[32];

		if (i > 0 && strncmp(options[i - 1].key, o->key,
				     (size_t)(strchr(o->key, '.') - o->key) + 1) != 0)
			print_section_tail(out, options[i - 1].key);
		fprintf(out, "%s: ", o->key);
		switch (o->type) {
		case OPT_UINT:
			fprintf(out, "integer %llu..%llu, default %s", o->min, o->max, o->def);
			break;
		case OPT_DURATION:
			ytree_format_duration(o->min, lo, sizeof(lo));
			ytree_format_duration(o->max, hi, sizeof(hi));
			fprintf(out, "duration %s..%s, default %s", lo, hi, o->def);
			break;
		case OPT_BOOL:
			fprintf(out, "boolean, default %s", o->def);
			break;
		case OPT_LOGLEVEL:
			fprintf(out, "error|warning|info|debug, default %s", o->def);
			break;
		case OPT_ENUM:
			for (size_t w = 0; o->words[w] != NULL; w++)
				fprintf(out, "%s%s", w > 0 ? "|" : "", o->words[w]);
			fprintf(out, ", default %s", o->def);
			break;
		case OPT_STRING:
			if (o->flags & OPTF_HOSTNAME)
				fprintf(out, "string, default the host name");
			else if (o->def != NULL)
				fprintf(out, "%s, default \"%s\"",
					(o->flags & OPTF_PATH) ? "file name" : "string", o->def);
			else
				fprintf(out, "%s, default none",
					(o->flags & OPTF_PATH) ? "file name" : "string");
			break;
		}
		fprintf(out, "\n    %s\n", o->help);
	}
	print_section_tail(out, options[OPTION_COUNT - 1].key);
	fprintf(out,
		"tokens: list of {name, token, token_file, pools, datacenters, access, rate}, "
		"default []\n"
		"    tenants' API tokens: each sees and (access: write) steers only its pools' and "
		"datacenters' (default read, rate 10/s);\n"
		"    with tokens, the read endpoints want a token too\n"
		"alerts: list of {url, secret, secret_file, events, timeout, retries, backoff}, "
		"default []\n"
		"    webhooks state changes are POSTed to (JSON, signed with the secret): events "
		"down, up, drained, undrained,\n"
		"    forced_up, fail_open, fail_closed, probes_stale, probes_fresh, reload_failed,\n"
		"    signatures_expiring (default all); timeout 100ms..1m (5s),\n"
		"    retries 0..100 (5), backoff 100ms..10m (1s, doubling)\n"
		"keys: list of {name, algorithm, secret}: TSIG keys (hmac-sha256, hmac-sha512, ...; "
		"secret in base64), default []\n"
		"key_file: file or list of files of TSIG keys in the format of BIND and Knot\n"
		"zones: list of {name, file, allow_transfer, notify, acl, dnssec}, at least one\n"
		"    served zones; relative files resolve against the config file's folder\n"
		"    dnssec: {keys, validity, refresh, inception, denial}: sign the zone in memory;\n"
		"    keys: list of FILE or {file, state: active|publish} (ldns-keygen pairs, "
		"algorithms 13 and 15),\n"
		"    validity 1m..365d (14d), refresh 10s..365d (7d, < validity), inception "
		"0..7d (1h), denial nsec|nsec3,\n"
		"    nsec3: {iterations 0..100 (0), salt hex (none), opt_out (false)}\n"
		"checks: list of {name, type, port, path, host, expect_status, expect_body, "
		"tls_verify, interval, timeout, rtt, load}, default []\n"
		"    health checks probes run: type http|https|tcp (default http), port "
		"default 80 (443 for https), path default \"/\",\n"
		"    expect_status codes or ranges 100..599 (default 200-399), interval "
		"500ms..1h (default 2s), timeout 100ms..1m (default 1s, < interval),\n"
		"    rtt connect|first_byte (default connect; first_byte for http and https "
		"only),\n"
		"    load {header: NAME} | {json: DOTTED.PATH} | {prometheus: METRIC} (http and "
		"https only): where the datacenter's load is read\n"
		"datacenters: list of {name, region, latitude, longitude, ipv4, ipv6, cname, "
		"weight, capacity, check, check_address}, default []\n"
		"    where services run: coordinates and VIPs (or a CNAME target); weight "
		"1..1000000, default 100;\n"
		"    check names a check, check_address ADDR[:PORT] default the first VIP and "
		"the check's port;\n"
		"    capacity (a number > 0, needs a check with a load) is the load at 100 %% "
		"utilisation\n"
		"probes: list of {id, region, latitude, longitude, secret, secret_file}, "
		"default []\n"
		"    probe agents allowed to report; secret (or the first line of secret_file) "
		"16..1024 bytes\n"
		"pools: list of {name, datacenters, policy, answers, ttl, weighted, countries, "
		"continents, when_all_down, fallback, rotate}, default []\n"
		"    datacenters and how to pick among them: policy "
		"nearest|failover|weighted|all|latency|least_load, answers 1..16, ttl 0..86400 "
		"(default 30),\n"
		"    rotate off|on|weighted (policy all only, default off): round robin of the "
		"answer's order\n"
		"names: list of {name, pool, transfer_answer}, default []\n"
		"    load-balanced names, each inside a served zone, answered from a pool;\n"
		"    transfer_answer: datacenters of the pool a transfer of a signed zone answers "
		"with (default all)\n");
}

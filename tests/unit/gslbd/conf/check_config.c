/* Unit tests of gslbd/config: every option read from a file, the defaults,
 * value syntax (integers, booleans, durations, addresses, prefixes, zone
 * names), datacenters, pools, load-balanced names, checks, probes and the
 * health, reports and latency options, and the exact "file:line:col:
 * message" of each kind of error. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"

#define CONF_DIR TEST_DATA_DIR "/config"

/* A valid zones section for texts that test something else. */
#define ZONE "zones:\n  - name: example.com\n    file: a.zone\n"
/* Two datacenters after ZONE (lines 4..12). */
#define DCS                                                                                        \
	"datacenters:\n"                                                                           \
	"  - name: us-east\n"                                                                      \
	"    latitude: 40.71\n"                                                                    \
	"    longitude: -74.01\n"                                                                  \
	"    ipv4: 192.0.2.10\n"                                                                   \
	"  - name: eu-west\n"                                                                      \
	"    latitude: 53.35\n"                                                                    \
	"    longitude: -6.26\n"                                                                   \
	"    ipv6: \"2001:db8:20::1\"\n"
/* A pool of both after ZONE DCS (lines 13..15). */
#define POOL "pools:\n  - name: web\n    datacenters: [us-east, eu-west]\n"
/* The start of a second pool (line 16..17), its keys at column 5. */
#define POOL2 "  - name: p2\n    datacenters: [us-east, eu-west]\n"
/* A check after ZONE (lines 4..5), its keys at column 5. */
#define CHECK "checks:\n  - name: web\n"
/* A datacenter after ZONE (lines 4..8), its keys at column 5. */
#define DC1 "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n    ipv4: 192.0.2.1\n"
/* A probe, without its secret (4 lines), its keys at column 5. */
#define PROBE(id) "  - id: " id "\n    region: eu-west\n    latitude: 53.35\n    longitude: -6.26\n"
/* A secret long enough. */
#define SECRET "    secret: 0123456789abcdef\n"
/* 1024 bytes of text. */
#define X64   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define X1024 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64 X64
/* 64 datacenter names in a flow list. */
#define A8  "a, a, a, a, a, a, a, a, "
#define A64 A8 A8 A8 A8 A8 A8 A8 A8

static struct config *cfg;
static struct gslb_err err;

static void setup(void)
{
	cfg = NULL;
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

static int load(const char *text)
{
	return config_load_string("t.conf", "/etc/gslbd", text, &cfg, &err);
}

static void assert_addr(const struct netaddr *a, const char *want)
{
	char buf[NETADDR_STRLEN];

	netaddr_format(&a->u.sa, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void assert_prefix(const struct netprefix *p, const char *want)
{
	char buf[64];

	netprefix_format(p, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

START_TEST(test_full_file)
{
	const struct config_zone *z;

	ck_assert_int_eq(config_load(CONF_DIR "/full.conf", &cfg, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_str_eq(cfg->path, CONF_DIR "/full.conf");
	ck_assert_uint_eq(cfg->listen_count, 3);
	assert_addr(&cfg->listen[0], "127.0.0.1:5353");
	assert_addr(&cfg->listen[1], "[::1]:5354");
	assert_addr(&cfg->listen[2], "192.0.2.1:53");
	ck_assert_uint_eq(cfg->workers, 3);
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_uint_eq(cfg->udp_max_size, 4096);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 120000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 100);
	ck_assert_uint_eq(cfg->tcp_max_queries, 50);
	ck_assert_str_eq(cfg->identity, "ns1.example.net");
	ck_assert_ptr_null(cfg->version);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert(cfg->log_syslog);

	ck_assert_uint_eq(cfg->zone_count, 3);
	z = &cfg->zones[0];
	ck_assert_str_eq(z->name, "example.com");
	ck_assert_str_eq(z->file, CONF_DIR "/example.com.zone");
	ck_assert_uint_eq(z->line, 20);
	ck_assert_uint_eq(z->col, 5);
	/* Inherited from server.allow_transfer. */
	ck_assert_uint_eq(z->allow_transfer_count, 2);
	assert_prefix(&z->allow_transfer[0], "10.0.0.0/8");
	assert_prefix(&z->allow_transfer[1], "2001:db8::/32");
	z = &cfg->zones[1];
	ck_assert_str_eq(z->name, "Example.ORG.");
	ck_assert_str_eq(z->file, "/var/lib/gslbd/example.org.zone");
	ck_assert_uint_eq(z->line, 22);
	ck_assert_uint_eq(z->allow_transfer_count, 1);
	assert_prefix(&z->allow_transfer[0], "192.0.2.53/32");
	z = &cfg->zones[2];
	ck_assert_str_eq(z->file, CONF_DIR "/zones/example.net.zone");
	/* An explicit empty list overrides the server's. */
	ck_assert_uint_eq(z->allow_transfer_count, 0);
}
END_TEST

/* api.listen: bare addresses (every role, plain HTTP) beside listeners with
 * roles and TLS. The loader checks that the TLS files can be read; their
 * PEM is the API's to load, so any readable file stands in here. */
START_TEST(test_api_listeners)
{
	static const char text[] = "api:\n"
				   "  listen:\n"
				   "    - 127.0.0.1:0\n"
				   "    - address: \"[::]:8443\"\n"
				   "      roles: [probe]\n"
				   "      tls:\n"
				   "        certificate: admin.token\n"
				   "        key: " CONF_DIR "/probe.key\n"
				   "        client_ca: long.key\n"
				   "    - address: 127.0.0.1:8053\n"
				   "      roles: [admin, status, metrics, tenant]\n"
				   "    - address: 127.0.0.1:8054\n"
				   "      tls: {certificate: admin.token, key: probe.key}\n" ZONE;
	const struct config_api_listener *l;
	char roles[64];

	ck_assert_int_eq(config_load_string("t.conf", CONF_DIR, text, &cfg, &err), 0);
	ck_assert_uint_eq(cfg->api_listen_count, 4);
	assert_addr(&cfg->api_listen[0], "127.0.0.1:0");
	assert_addr(&cfg->api_listen[1], "[::]:8443");
	assert_addr(&cfg->api_listen[2], "127.0.0.1:8053");
	assert_addr(&cfg->api_listen[3], "127.0.0.1:8054");
	l = &cfg->api_listeners[0];
	ck_assert_uint_eq(l->roles, API_ROLES_ALL);
	ck_assert_ptr_null(l->tls_certificate);
	ck_assert_ptr_null(l->tls_key);
	ck_assert_ptr_null(l->tls_client_ca);
	l = &cfg->api_listeners[1];
	ck_assert_uint_eq(l->roles, API_ROLE_PROBE);
	ck_assert_str_eq(l->tls_certificate, CONF_DIR "/admin.token");
	ck_assert_str_eq(l->tls_key, CONF_DIR "/probe.key");
	ck_assert_str_eq(l->tls_client_ca, CONF_DIR "/long.key");
	ck_assert_uint_eq(l->line, 4);
	ck_assert_uint_eq(l->col, 7);
	l = &cfg->api_listeners[2];
	ck_assert_uint_eq(l->roles,
			  API_ROLE_ADMIN | API_ROLE_STATUS | API_ROLE_METRICS | API_ROLE_TENANT);
	ck_assert_ptr_null(l->tls_certificate);
	config_api_roles_format(l->roles, roles, sizeof(roles));
	ck_assert_str_eq(roles, "admin,tenant,status,metrics");
	l = &cfg->api_listeners[3];
	ck_assert_uint_eq(l->roles, API_ROLES_ALL);
	ck_assert_str_eq(l->tls_key, CONF_DIR "/probe.key");
	ck_assert_ptr_null(l->tls_client_ca);
	config_api_roles_format(API_ROLES_ALL, roles, sizeof(roles));
	ck_assert_str_eq(roles, "probe,admin,tenant,status,metrics");
	config_free(cfg);

	/* One listener as a mapping, one role as a scalar. */
	cfg = NULL;
	ck_assert_int_eq(load("api:\n  listen: {address: \"[::1]\", roles: metrics}\n" ZONE), 0);
	ck_assert_uint_eq(cfg->api_listen_count, 1);
	assert_addr(&cfg->api_listen[0], "[::1]:8053");
	ck_assert_uint_eq(cfg->api_listeners[0].roles, API_ROLE_METRICS);
}
END_TEST

START_TEST(test_xdp)
{
	/* Default: no XDP. */
	ck_assert_int_eq(load(ZONE), 0);
	ck_assert_uint_eq(cfg->xdp_count, 0);
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(load("server:\n  xdp: [eth0, veth1@0, veth1@3, \"en-p1s0\"]\n" ZONE), 0);
	ck_assert_uint_eq(cfg->xdp_count, 4);
	ck_assert_str_eq(cfg->xdp[0].ifname, "eth0");
	ck_assert_int_eq(cfg->xdp[0].queue, -1);
	ck_assert_str_eq(cfg->xdp[1].ifname, "veth1");
	ck_assert_int_eq(cfg->xdp[1].queue, 0);
	ck_assert_int_eq(cfg->xdp[2].queue, 3);
	ck_assert_str_eq(cfg->xdp[3].ifname, "en-p1s0");
	config_free(cfg);
	cfg = NULL;
	/* The longest name (15 bytes) and queue, and an empty list. */
	ck_assert_int_eq(load("server:\n  xdp: [abcdefghijklmno@255]\n" ZONE), 0);
	ck_assert_str_eq(cfg->xdp[0].ifname, "abcdefghijklmno");
	ck_assert_int_eq(cfg->xdp[0].queue, 255);
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(load("server:\n  xdp: []\n" ZONE), 0);
	ck_assert_uint_eq(cfg->xdp_count, 0);
}
END_TEST

START_TEST(test_defences)
{
	static const uint8_t secret[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	uint8_t random_secret[16];
	const struct netacl *a;

	/* Defaults: RRL and cookies on, a random secret kept across loads. */
	ck_assert_int_eq(load(ZONE), 0);
	ck_assert(cfg->rrl_enabled);
	ck_assert(!cfg->rrl_log_only);
	ck_assert_uint_eq(cfg->rrl_rate, 100);
	ck_assert_uint_eq(cfg->rrl_window_ms, 2000);
	ck_assert_uint_eq(cfg->rrl_slip, 2);
	ck_assert_uint_eq(cfg->rrl_ipv4_prefix, 24);
	ck_assert_uint_eq(cfg->rrl_ipv6_prefix, 56);
	ck_assert_uint_eq(cfg->rrl_table_size, 131072);
	ck_assert(cfg->cookies_enabled);
	ck_assert(cfg->cookie_secret_random);
	ck_assert(!cfg->cookie_has_previous);
	ck_assert(!cfg->listen_acl[0].set && !cfg->zones[0].acl.set && !cfg->api_acl.set);
	memcpy(random_secret, cfg->cookie_secret, 16);
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(load(ZONE), 0);
	ck_assert_mem_eq(cfg->cookie_secret, random_secret, 16);
	config_free(cfg);
	cfg = NULL;

	ck_assert_msg(load("server:\n"
			   "  listen:\n"
			   "    - 127.0.0.1:53\n"
			   "    - {address: \"[::1]:53\", acl: {allow: [\"::1\"], action: drop}}\n"
			   "  acl: {deny: [192.0.2.0/24]}\n"
			   "api:\n  acl: {allow: 127.0.0.1}\n"
			   "rrl:\n  rate: 5\n  window: 3s\n  slip: 0\n  log_only: yes\n"
			   "  ipv4_prefix: 32\n  ipv6_prefix: 64\n  table_size: 4096\n"
			   "  exempt: [10.0.0.0/8, \"2001:db8::/32\"]\n"
			   "cookies:\n  secret: 00112233445566778899AABBCCDDEEFF\n"
			   "  previous_secret: ffeeddccbbaa99887766554433221100\n" ZONE
			   "    acl: {allow: [198.51.100.0/24], deny: [198.51.100.7]}\n") == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(cfg->rrl_rate, 5);
	ck_assert_uint_eq(cfg->rrl_window_ms, 3000);
	ck_assert_uint_eq(cfg->rrl_slip, 0);
	ck_assert(cfg->rrl_log_only);
	ck_assert_uint_eq(cfg->rrl_ipv4_prefix, 32);
	ck_assert_uint_eq(cfg->rrl_ipv6_prefix, 64);
	ck_assert_uint_eq(cfg->rrl_table_size, 4096);
	ck_assert_uint_eq(cfg->rrl_exempt_count, 2);
	assert_prefix(&cfg->rrl_exempt[1], "2001:db8::/32");
	ck_assert(!cfg->cookie_secret_random);
	ck_assert_mem_eq(cfg->cookie_secret, secret, 16);
	ck_assert(cfg->cookie_has_previous);
	ck_assert_uint_eq(cfg->cookie_previous[0], 0xff);
	/* The first listener inherits server.acl, the second has its own. */
	ck_assert_uint_eq(cfg->listen_count, 2);
	a = &cfg->listen_acl[0];
	ck_assert(a->set && !a->drop && a->allow_count == 0 && a->deny_count == 1);
	assert_prefix(&a->deny[0], "192.0.2.0/24");
	a = &cfg->listen_acl[1];
	ck_assert(a->set && a->drop && a->allow_count == 1 && a->deny_count == 0);
	assert_prefix(&a->allow[0], "::1/128");
	ck_assert(cfg->api_acl.set && cfg->api_acl.allow_count == 1);
	a = &cfg->zones[0].acl;
	ck_assert(a->set && a->allow_count == 1 && a->deny_count == 1);
	assert_prefix(&a->deny[0], "198.51.100.7/32");
}
END_TEST

START_TEST(test_defaults)
{
	char host[256] = "";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_int_eq(config_load(CONF_DIR "/minimal.conf", &cfg, &err), 0);
	ck_assert_uint_eq(cfg->listen_count, 2);
	assert_addr(&cfg->listen[0], "0.0.0.0:53");
	assert_addr(&cfg->listen[1], "[::]:53");
	ck_assert_uint_eq(cfg->workers, cpus < 1 ? 1 : cpus > 256 ? 256 : (unsigned)cpus);
	ck_assert_uint_ge(cfg->workers, 1);
	ck_assert_ptr_null(cfg->user);
	ck_assert_uint_eq(cfg->udp_max_size, 1232);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->tcp_max_connections, 512);
	ck_assert_uint_eq(cfg->tcp_max_queries, 0);
	ck_assert_uint_eq(cfg->tcp_max_conn_per_client, 64);
	ck_assert_uint_eq(cfg->tcp_busy_timeout_ms, 1000);
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(cfg->identity, host);
	ck_assert_str_eq(cfg->version, "gslbd " PACKAGE_VERSION);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(!cfg->log_syslog);
	ck_assert_uint_eq(cfg->zone_count, 1);
	ck_assert_str_eq(cfg->zones[0].file, CONF_DIR "/example.com.zone");
	ck_assert_uint_eq(cfg->zones[0].allow_transfer_count, 0);
	ck_assert_ptr_null(cfg->zones[0].allow_transfer);

	ck_assert_str_eq(cfg->state_file, LOCALSTATEDIR "/lib/gslbd/state.json");
	ck_assert_uint_eq(cfg->api_listen_count, 0);
	ck_assert_ptr_null(cfg->api_admin_token);
	ck_assert_uint_eq(cfg->api_max_connections, 256);
	ck_assert_uint_eq(cfg->api_max_per_client, 32);
	ck_assert_uint_eq(cfg->api_header_timeout_ms, 10000);
	ck_assert_uint_eq(cfg->api_body_timeout_ms, 30000);
	ck_assert_uint_eq(cfg->api_auth_failures, 20);
	ck_assert_ptr_null(cfg->geoip_database);
	ck_assert_str_eq(cfg->geoip_latitude, "location.latitude");
	ck_assert_str_eq(cfg->geoip_longitude, "location.longitude");
	ck_assert_str_eq(cfg->geoip_country, "country.iso_code");
	ck_assert_str_eq(cfg->geoip_continent, "continent.code");
	ck_assert_uint_eq(cfg->datacenter_count, 0);
	ck_assert_ptr_null(cfg->datacenters);
	ck_assert_uint_eq(cfg->pool_count, 0);
	ck_assert_uint_eq(cfg->lbname_count, 0);
	ck_assert_int_eq(config_datacenter_find(cfg, "us-east"), -1);
	ck_assert_uint_eq(cfg->check_count, 0);
	ck_assert_ptr_null(cfg->checks);
	ck_assert_uint_eq(cfg->probe_count, 0);
	ck_assert_ptr_null(cfg->probes);
	ck_assert_uint_eq(cfg->health_rise, 2);
	ck_assert_uint_eq(cfg->health_fall, 3);
	ck_assert_uint_eq(cfg->health_quorum, 0);
	ck_assert_uint_eq(cfg->health_freshness_ms, 10000);
	ck_assert_uint_eq(cfg->health_grace_ms, 30000);
	ck_assert_int_eq(cfg->health_on_unknown, HEALTH_UNKNOWN_UP);
	ck_assert_uint_eq(cfg->report_max_skew_ms, 30000);
	ck_assert_uint_eq(cfg->report_max_bytes, 1048576);
	ck_assert_uint_eq(cfg->latency_hysteresis_pct, 20);
	ck_assert_uint_eq(cfg->latency_hysteresis_ms, 5);
	config_free(cfg);
	cfg = NULL;

	/* Pool and datacenter defaults. */
	ck_assert_int_eq(load(ZONE DCS POOL), 0);
	ck_assert_uint_eq(cfg->datacenters[0].weight, 100);
	ck_assert_str_eq(cfg->datacenters[1].region, "eu-west");
	ck_assert_int_eq(cfg->pools[0].policy, POOL_NEAREST);
	ck_assert_uint_eq(cfg->pools[0].answers, 1);
	ck_assert_uint_eq(cfg->pools[0].ttl, 30);
	ck_assert(!cfg->pools[0].weighted_random);
	ck_assert_int_eq(cfg->pools[0].all_down, POOL_ALL_DOWN_FAIL_OPEN);
	ck_assert_int_eq(cfg->datacenters[0].check, -1);
	ck_assert_ptr_null(cfg->datacenters[0].check_address);
	config_free(cfg);
	cfg = NULL;

	/* Check defaults, by type. */
	ck_assert_int_eq(load(ZONE "checks:\n  - name: h\n  - name: s\n    type: https\n"
				   "  - name: t\n    type: tcp\n"),
			 0);
	ck_assert_uint_eq(cfg->check_count, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct config_check *c = &cfg->checks[i];

		ck_assert_int_eq(c->type, i == 0 ? CHECK_HTTP : i == 1 ? CHECK_HTTPS : CHECK_TCP);
		ck_assert_uint_eq(c->port, i == 1 ? 443 : 80);
		ck_assert_str_eq(c->path, "/");
		ck_assert_ptr_null(c->host);
		ck_assert_uint_eq(c->expect_status_count, 200);
		for (unsigned j = 0; j < 200; j++)
			ck_assert_uint_eq(c->expect_status[j], 200 + j);
		ck_assert_ptr_null(c->expect_body);
		ck_assert(c->tls_verify);
		ck_assert_uint_eq(c->interval_ms, 2000);
		ck_assert_uint_eq(c->timeout_ms, 1000);
		ck_assert(!c->rtt_first_byte);
		ck_assert_uint_eq(c->line, i == 0 ? 5 : i == 1 ? 6 : 8);
		ck_assert_uint_eq(c->col, 5);
	}
}
END_TEST

/* The expected status codes of check 0, joined by spaces. */
static const char *status_list(void)
{
	static char buf[4096];

	buf[0] = '\0';
	for (size_t i = 0; i < cfg->checks[0].expect_status_count; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u", i > 0 ? " " : "",
			 cfg->checks[0].expect_status[i]);
	return buf;
}

START_TEST(test_health_file)
{
	const struct config_check *c;
	const struct config_datacenter *dc;
	const struct config_probe *p;

	ck_assert_int_eq(config_load(CONF_DIR "/health.conf", &cfg, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(cfg->health_rise, 1);
	ck_assert_uint_eq(cfg->health_fall, 5);
	ck_assert_uint_eq(cfg->health_quorum, 2);
	ck_assert_uint_eq(cfg->health_freshness_ms, 60000);
	ck_assert_uint_eq(cfg->health_grace_ms, 86400000);
	ck_assert_int_eq(cfg->health_on_unknown, HEALTH_UNKNOWN_DOWN);
	ck_assert_uint_eq(cfg->report_max_skew_ms, 5000);
	ck_assert_uint_eq(cfg->report_max_bytes, 1024);
	ck_assert_uint_eq(cfg->latency_hysteresis_pct, 0);
	ck_assert_uint_eq(cfg->latency_hysteresis_ms, 1000);

	ck_assert_uint_eq(cfg->check_count, 4);
	c = &cfg->checks[0];
	ck_assert_str_eq(c->name, "web-http");
	ck_assert_int_eq(c->type, CHECK_HTTP);
	ck_assert_uint_eq(c->port, 8080);
	ck_assert_str_eq(c->path, "/healthz?full=1");
	ck_assert_str_eq(c->host, "www.example.com");
	/* Ranges expanded, sorted, each code once. */
	ck_assert_str_eq(status_list(), "200 201 202 204");
	ck_assert_str_eq(c->expect_body, "ok");
	ck_assert(c->tls_verify);
	ck_assert_uint_eq(c->interval_ms, 2000);
	ck_assert_uint_eq(c->timeout_ms, 1500);
	ck_assert_uint_eq(c->line, 20);
	ck_assert_uint_eq(c->col, 5);
	c = &cfg->checks[1];
	ck_assert_str_eq(c->name, "tls");
	ck_assert_int_eq(c->type, CHECK_HTTPS);
	ck_assert_uint_eq(c->port, 443);
	ck_assert(!c->tls_verify);
	ck_assert_uint_eq(c->interval_ms, 3600000);
	ck_assert_uint_eq(c->timeout_ms, 60000);
	c = &cfg->checks[2];
	ck_assert_str_eq(c->name, "plain.tcp");
	ck_assert_int_eq(c->type, CHECK_TCP);
	ck_assert_uint_eq(c->port, 25);
	c = &cfg->checks[3];
	ck_assert_str_eq(c->name, "defaults");
	ck_assert_int_eq(c->type, CHECK_HTTP);
	ck_assert_uint_eq(c->port, 80);

	ck_assert_uint_eq(cfg->datacenter_count, 5);
	dc = &cfg->datacenters[0];
	ck_assert_int_eq(dc->check, 0);
	/* The first IPv4 VIP and the check's port. */
	ck_assert_str_eq(dc->check_address, "192.0.2.10:8080");
	dc = &cfg->datacenters[1];
	ck_assert_int_eq(dc->check, 1);
	/* No IPv4 VIP: the first IPv6 one. */
	ck_assert_str_eq(dc->check_address, "[2001:db8:20::1]:443");
	dc = &cfg->datacenters[2];
	ck_assert_int_eq(dc->check, 2);
	ck_assert_str_eq(dc->check_address, "127.0.0.1:18083");
	dc = &cfg->datacenters[3];
	ck_assert_str_eq(dc->cname, "edge.cdn.example.net.");
	ck_assert_int_eq(dc->check, 3);
	/* Without a port: the check's. */
	ck_assert_str_eq(dc->check_address, "[::1]:80");
	dc = &cfg->datacenters[4];
	ck_assert_int_eq(dc->check, -1);
	ck_assert_ptr_null(dc->check_address);

	ck_assert_uint_eq(cfg->probe_count, 3);
	p = &cfg->probes[0];
	ck_assert_str_eq(p->id, "probe-us");
	ck_assert_str_eq(p->region, "us-east");
	ck_assert_double_eq_tol(p->lat, 40.71, 1e-9);
	ck_assert_double_eq_tol(p->lon, -74.01, 1e-9);
	ck_assert_uint_eq(p->secret_len, 16);
	ck_assert_mem_eq(p->secret, "0123456789abcdef", 16);
	ck_assert_uint_eq(p->line, 67);
	ck_assert_uint_eq(p->col, 5);
	p = &cfg->probes[1];
	ck_assert_str_eq(p->id, "probe-eu");
	ck_assert_str_eq(p->region, "eu-west");
	ck_assert_double_eq_tol(p->lat, 53.35, 1e-9);
	ck_assert_double_eq_tol(p->lon, -6.26, 1e-9);
	/* The first line of the file, blanks trimmed. */
	ck_assert_uint_eq(p->secret_len, 32);
	ck_assert_mem_eq(p->secret, "test-only probe key, 32 bytes!!!", 32);
	p = &cfg->probes[2];
	ck_assert_str_eq(p->id, "probe.eu_2");
	ck_assert_str_eq(p->region, "eu-west");
	ck_assert_uint_eq(p->secret_len, 32);

	ck_assert_uint_eq(cfg->pool_count, 1);
	ck_assert_int_eq(cfg->pools[0].policy, POOL_LATENCY);
	ck_assert_uint_eq(cfg->pools[0].answers, 1);
}
END_TEST

/* A check's host follows the probe config's rules (common/check_spec.h):
 * what --check-config accepts, every probe takes. */
START_TEST(test_check_host_rules)
{
	static const char *const good[] = {"example.com:8080", "[2001:db8::1]:8443", "2001:db8::1",
					   "192.0.2.1:81", "under_score.example"};
	char name[300], text[600];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), ZONE "checks:\n  - {name: s, host: '%s'}\n", good[i]);
		ck_assert_msg(load(text) == 0, "%s: %s", good[i], err.msg);
		ck_assert_str_eq(cfg->checks[0].host, good[i]);
		config_free(cfg);
		cfg = NULL;
	}
	/* 253 bytes in labels of 63: the longest name, with a port too. */
	for (size_t i = 0; i < 253; i++)
		name[i] = (i + 1) % 64 == 0 ? '.' : 'a';
	name[253] = '\0';
	snprintf(text, sizeof(text), ZONE "checks:\n  - {name: s, host: '%s:443'}\n", name);
	ck_assert_msg(load(text) == 0, "%s", err.msg);
	config_free(cfg);
	cfg = NULL;
	/* 254 bytes, which probes refused while the loader took up to 255. */
	strcpy(name + 253, "a");
	snprintf(text, sizeof(text), ZONE "checks:\n  - {name: s, host: '%s'}\n", name);
	ck_assert_int_eq(load(text), GSLB_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a host name (labels of A-Z a-z 0-9 - _ up to 63 "
					      "bytes, 253 in all), IPv4 or IPv6 address"));
	ck_assert_int_eq(load(ZONE "checks:\n  - {name: s, host: 'a:b'}\n"), GSLB_EPARSE);
	ck_assert_str_eq(err.msg, "t.conf:5:21: checks[0].host: 'a:b' has a bad port (want "
				  "NAME:1..65535)");
	ck_assert_int_eq(load(ZONE "checks:\n  - {name: s, host: '2001:db8::1:99999'}\n"),
			 GSLB_EPARSE);
	ck_assert_int_eq(load(ZONE "checks:\n  - {name: s, host: '[2001:db8::1]:0'}\n"),
			 GSLB_EPARSE);
}
END_TEST

START_TEST(test_health_forms)
{
	/* Bounds, a quoted keyword, a quorum of every probe, a flow mapping. */
	ck_assert_int_eq(load("health:\n  grace: 0\n  on_unknown: \"down\"\n  quorum: 2\n"
			      "  freshness: 3600\n" ZONE
			      "checks:\n  - {name: s, type: https, host: '[::1]:8443', "
			      "tls_verify: no, interval: 500ms, timeout: 100ms}\n"
			      "probes:\n" PROBE("p1") SECRET PROBE("p2") SECRET),
			 0);
	ck_assert_uint_eq(cfg->health_grace_ms, 0);
	ck_assert_int_eq(cfg->health_on_unknown, HEALTH_UNKNOWN_DOWN);
	ck_assert_uint_eq(cfg->health_quorum, 2);
	ck_assert_uint_eq(cfg->health_freshness_ms, 3600000);
	ck_assert_str_eq(cfg->checks[0].host, "[::1]:8443");
	ck_assert(!cfg->checks[0].tls_verify);
	ck_assert_uint_eq(cfg->checks[0].interval_ms, 500);
	ck_assert_uint_eq(cfg->checks[0].timeout_ms, 100);
	ck_assert_uint_eq(cfg->probe_count, 2);
	/* What the RTT measures: first_byte for http(s), connect for any type. */
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(load(ZONE "checks:\n  - {name: a, rtt: first_byte}\n"
				   "  - {name: b, type: https, rtt: first_byte}\n"
				   "  - {name: c, type: tcp, rtt: connect}\n"
				   "  - {name: d, rtt: connect}\n"),
			 0);
	ck_assert_uint_eq(cfg->check_count, 4);
	ck_assert(cfg->checks[0].rtt_first_byte);
	ck_assert(cfg->checks[1].rtt_first_byte);
	ck_assert(!cfg->checks[2].rtt_first_byte);
	ck_assert(!cfg->checks[3].rtt_first_byte);
	/* Sections written empty. */
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(load("health:\nreports:\nlatency:\n" ZONE "checks: []\nprobes:\n"), 0);
	ck_assert_uint_eq(cfg->check_count, 0);
	ck_assert_uint_eq(cfg->probe_count, 0);
	ck_assert_uint_eq(cfg->health_rise, 2);
}
END_TEST

/* Status lists and the codes they mean. */
static const struct {
	const char *text;
	const char *codes;
} statuses[] = {
    {"200", "200"},
    {"[100, 599]", "100 599"},
    {"\"204\"", "204"},
    {"[200-203, 202-205]", "200 201 202 203 204 205"},
    {"[301, 200-200, 302]", "200 301 302"},
};

START_TEST(test_statuses)
{
	char *text = xasprintf(ZONE CHECK "    expect_status: %s\n", statuses[_i].text);

	ck_assert_int_eq(load(text), 0);
	ck_assert_str_eq(status_list(), statuses[_i].codes);
	free(text);
	config_free(cfg);
	cfg = NULL;
	/* Every code at once. */
	ck_assert_int_eq(load(ZONE CHECK "    expect_status: 100-599\n"), 0);
	ck_assert_uint_eq(cfg->checks[0].expect_status_count, 500);
	ck_assert_uint_eq(cfg->checks[0].expect_status[0], 100);
	ck_assert_uint_eq(cfg->checks[0].expect_status[499], 599);
}
END_TEST

/* Duration texts and the milliseconds they mean. */
static const struct {
	const char *text;
	unsigned ms;
} durations[] = {
    {"500ms", 500},  {"100ms", 100}, {"10s", 10000},     {"2m", 120000},
    {"1h", 3600000}, {"30", 30000},  {"\"45s\"", 45000}, {"3600", 3600000},
};

static void assert_ipv4(const uint8_t *a, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(AF_INET, a, buf, sizeof(buf)));
	ck_assert_str_eq(buf, want);
}

static void assert_ipv6(const uint8_t *a, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a, buf, sizeof(buf)));
	ck_assert_str_eq(buf, want);
}

/* The datacenter names of a list of indexes, joined by spaces. */
static const char *dc_names(const size_t *dcs, size_t count)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		ck_assert_uint_lt(dcs[i], cfg->datacenter_count);
		strcat(buf, i > 0 ? " " : "");
		strcat(buf, cfg->datacenters[dcs[i]].name);
	}
	return buf;
}

START_TEST(test_lb_file)
{
	const struct config_datacenter *dc;
	const struct config_pool *p;
	const struct config_lbname *n;

	ck_assert_int_eq(config_load(CONF_DIR "/lb.conf", &cfg, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_str_eq(cfg->state_file, CONF_DIR "/state/gslbd.json");
	ck_assert_uint_eq(cfg->api_listen_count, 3);
	assert_addr(&cfg->api_listen[0], "127.0.0.1:0");
	assert_addr(&cfg->api_listen[1], "[::1]:9000");
	assert_addr(&cfg->api_listen[2], "192.0.2.1:8053");
	/* First line of the file, blanks trimmed. */
	ck_assert_str_eq(cfg->api_admin_token, "s3cret-Token_4242");
	ck_assert_str_eq(cfg->geoip_database, CONF_DIR "/../geo/test-city.mmdb");
	ck_assert_str_eq(cfg->geoip_latitude, "loc.lat");
	ck_assert_str_eq(cfg->geoip_longitude, "loc.lon");
	ck_assert_str_eq(cfg->geoip_country, "country.iso_code");
	ck_assert_str_eq(cfg->geoip_continent, "");

	ck_assert_uint_eq(cfg->datacenter_count, 3);
	dc = &cfg->datacenters[0];
	ck_assert_str_eq(dc->name, "us-east");
	ck_assert_str_eq(dc->region, "us-east");
	ck_assert_double_eq_tol(dc->lat, 40.71, 1e-9);
	ck_assert_double_eq_tol(dc->lon, -74.01, 1e-9);
	ck_assert_uint_eq(dc->ipv4_count, 2);
	assert_ipv4(dc->ipv4[0], "192.0.2.10");
	assert_ipv4(dc->ipv4[1], "192.0.2.11");
	ck_assert_uint_eq(dc->ipv6_count, 1);
	assert_ipv6(dc->ipv6[0], "2001:db8:10::1");
	ck_assert_ptr_null(dc->cname);
	ck_assert_uint_eq(dc->weight, 100);
	ck_assert_uint_eq(dc->line, 21);
	ck_assert_uint_eq(dc->col, 5);
	dc = &cfg->datacenters[1];
	ck_assert_str_eq(dc->name, "eu-west");
	ck_assert_str_eq(dc->region, "europe");
	ck_assert_double_eq_tol(dc->lat, 53.35, 1e-9);
	ck_assert_double_eq_tol(dc->lon, -6.26, 1e-9);
	ck_assert_uint_eq(dc->ipv4_count, 1);
	assert_ipv4(dc->ipv4[0], "198.51.100.10");
	ck_assert_uint_eq(dc->ipv6_count, 1);
	assert_ipv6(dc->ipv6[0], "2001:db8:20::1");
	ck_assert_uint_eq(dc->weight, 300);
	dc = &cfg->datacenters[2];
	ck_assert_str_eq(dc->name, "ap-southeast");
	ck_assert_double_eq_tol(dc->lat, 1.35, 1e-9);
	ck_assert_double_eq_tol(dc->lon, 103.82, 1e-9);
	ck_assert_uint_eq(dc->ipv4_count, 1);
	assert_ipv4(dc->ipv4[0], "203.0.113.10");
	ck_assert_uint_eq(dc->ipv6_count, 0);
	ck_assert_ptr_null(dc->ipv6);
	ck_assert_uint_eq(dc->weight, 1000000);
	ck_assert_int_eq(config_datacenter_find(cfg, "eu-west"), 1);
	ck_assert_int_eq(config_datacenter_find(cfg, "EU-WEST"), -1);
	ck_assert_int_eq(config_datacenter_find(cfg, "nowhere"), -1);

	ck_assert_uint_eq(cfg->pool_count, 6);
	p = &cfg->pools[0];
	ck_assert_str_eq(p->name, "web");
	ck_assert_str_eq(dc_names(p->dcs, p->dc_count), "us-east eu-west ap-southeast");
	ck_assert_int_eq(p->policy, POOL_NEAREST);
	ck_assert_uint_eq(p->answers, 2);
	ck_assert_uint_eq(p->ttl, 60);
	ck_assert(!p->weighted_random);
	ck_assert_uint_eq(p->country_count, 2);
	ck_assert_str_eq(p->countries[0].code, "GB");
	ck_assert_str_eq(dc_names(p->countries[0].dcs, p->countries[0].dc_count),
			 "eu-west us-east");
	/* Codes are upper-cased; a scalar is a list of one. */
	ck_assert_str_eq(p->countries[1].code, "SG");
	ck_assert_str_eq(dc_names(p->countries[1].dcs, p->countries[1].dc_count), "ap-southeast");
	ck_assert_uint_eq(p->continent_count, 2);
	ck_assert_str_eq(p->continents[0].code, "OC");
	ck_assert_str_eq(dc_names(p->continents[0].dcs, p->continents[0].dc_count), "ap-southeast");
	ck_assert_str_eq(p->continents[1].code, "NA");
	ck_assert_str_eq(dc_names(p->continents[1].dcs, p->continents[1].dc_count), "us-east");
	ck_assert_int_eq(p->all_down, POOL_ALL_DOWN_FALLBACK);
	ck_assert_uint_eq(p->fallback, 1);
	ck_assert_uint_eq(p->line, 39);
	ck_assert_uint_eq(p->col, 5);
	p = &cfg->pools[1];
	ck_assert_str_eq(p->name, "backup");
	ck_assert_str_eq(dc_names(p->dcs, p->dc_count), "ap-southeast us-east");
	ck_assert_int_eq(p->policy, POOL_FAILOVER);
	ck_assert_uint_eq(p->answers, 1);
	ck_assert_uint_eq(p->ttl, 30);
	ck_assert_uint_eq(p->country_count, 0);
	ck_assert_uint_eq(p->continent_count, 0);
	ck_assert_int_eq(p->all_down, POOL_ALL_DOWN_EMPTY);
	p = &cfg->pools[2];
	ck_assert_str_eq(p->name, "split");
	ck_assert_int_eq(p->policy, POOL_WEIGHTED);
	ck_assert(p->weighted_random);
	ck_assert_uint_eq(p->ttl, 0);
	ck_assert_int_eq(p->all_down, POOL_ALL_DOWN_FAIL_OPEN);
	p = &cfg->pools[3];
	ck_assert_int_eq(p->policy, POOL_WEIGHTED);
	ck_assert(!p->weighted_random);
	p = &cfg->pools[4];
	ck_assert_str_eq(p->name, "every");
	ck_assert_int_eq(p->policy, POOL_ALL);
	/* "all" answers with up to 16 by default. */
	ck_assert_uint_eq(p->answers, 16);
	ck_assert_int_eq(p->all_down, POOL_ALL_DOWN_FAIL_OPEN);
	p = &cfg->pools[5];
	ck_assert_str_eq(p->name, "plain");
	ck_assert_str_eq(dc_names(p->dcs, p->dc_count), "us-east");
	ck_assert_int_eq(p->policy, POOL_NEAREST);
	ck_assert_uint_eq(p->answers, 1);

	ck_assert_uint_eq(cfg->lbname_count, 4);
	n = &cfg->lbnames[0];
	ck_assert_str_eq(n->name, "www.gslb.example.com.");
	ck_assert_uint_eq(n->pool, 0);
	/* The longest origin wins over example.com. */
	ck_assert_uint_eq(n->zone, 1);
	ck_assert_uint_eq(n->line, 72);
	ck_assert_uint_eq(n->col, 5);
	n = &cfg->lbnames[1];
	ck_assert_str_eq(n->name, "*.apps.gslb.example.com.");
	ck_assert_uint_eq(n->pool, 4);
	ck_assert_uint_eq(n->zone, 1);
	n = &cfg->lbnames[2];
	ck_assert_str_eq(n->name, "api.example.com.");
	ck_assert_uint_eq(n->pool, 2);
	ck_assert_uint_eq(n->zone, 0);
	n = &cfg->lbnames[3];
	ck_assert_uint_eq(n->pool, 1);
	ck_assert_uint_eq(n->zone, 1);
}
END_TEST

START_TEST(test_lb_forms)
{
	/* A CNAME datacenter, sections written empty, an inline token. */
	ck_assert_int_eq(load("api:\n"
			      "  listen: []\n"
			      "  admin_token: \"t0k3n!\"\n"
			      "server:\n"
			      "  state_file: \"\"\n"
			      "geoip:\n"
			      "  database: /srv/geo.mmdb\n"
			      "  country: ''\n"
			      "  continent: subdivisions.0.iso_code\n" ZONE "datacenters:\n"
			      "  - name: cdn_1.a\n"
			      "    latitude: -33.8e0\n"
			      "    longitude: 180\n"
			      "    cname: Edge.CDN.example.NET\n"
			      "    ipv4: []\n"
			      "pools:\n"
			      "  - name: p\n"
			      "    datacenters: cdn_1.a\n"
			      "    countries: {}\n"
			      "    continents:\n"
			      "names: []\n"),
			 GSLB_EPARSE);
	ck_assert_str_eq(err.msg, "t.conf:17:12: datacenters[0].cname: a datacenter has either "
				  "cname or ipv4/ipv6 addresses, not both");
	ck_assert_int_eq(load("api:\n"
			      "  listen: []\n"
			      "  admin_token: \"t0k3n!\"\n"
			      "server:\n"
			      "  state_file: \"\"\n"
			      "geoip:\n"
			      "  database: /srv/geo.mmdb\n"
			      "  country: ''\n"
			      "  continent: subdivisions.0.iso_code\n" ZONE "datacenters:\n"
			      "  - name: cdn_1.a\n"
			      "    latitude: -33.8e0\n"
			      "    longitude: 180\n"
			      "    cname: Edge.CDN.example.NET\n"
			      "pools:\n"
			      "  - name: p\n"
			      "    datacenters: cdn_1.a\n"
			      "    countries: {}\n"
			      "    continents:\n"
			      "names: []\n"),
			 0);
	ck_assert_uint_eq(cfg->api_listen_count, 0);
	ck_assert_str_eq(cfg->api_admin_token, "t0k3n!");
	ck_assert_ptr_null(cfg->state_file);
	ck_assert_str_eq(cfg->geoip_database, "/srv/geo.mmdb");
	ck_assert_str_eq(cfg->geoip_country, "");
	ck_assert_str_eq(cfg->geoip_continent, "subdivisions.0.iso_code");
	ck_assert_uint_eq(cfg->datacenter_count, 1);
	ck_assert_double_eq_tol(cfg->datacenters[0].lat, -33.8, 1e-9);
	ck_assert_double_eq_tol(cfg->datacenters[0].lon, 180, 1e-9);
	ck_assert_str_eq(cfg->datacenters[0].cname, "edge.cdn.example.net.");
	ck_assert_uint_eq(cfg->datacenters[0].ipv4_count, 0);
	ck_assert_uint_eq(cfg->datacenters[0].ipv6_count, 0);
	ck_assert_uint_eq(cfg->pool_count, 1);
	ck_assert_uint_eq(cfg->pools[0].country_count, 0);
	ck_assert_uint_eq(cfg->pools[0].continent_count, 0);
	ck_assert_uint_eq(cfg->lbname_count, 0);
	config_free(cfg);
	cfg = NULL;

	/* Relative files without a base folder stay relative; a scalar API
	 * address is a list of one; names in the root zone. */
	ck_assert_int_eq(config_load_string("t.conf", NULL,
					    "server:\n  state_file: s.json\n"
					    "api:\n  listen: \"[::1]\"\n"
					    "geoip:\n  database: g.mmdb\n"
					    "zones:\n  - name: .\n    file: root.zone\n"
					    "  - name: example\n    file: e.zone\n" DCS POOL
					    "names:\n  - name: '*'\n    pool: web\n"
					    "  - name: a.example.\n    pool: web\n",
					    &cfg, &err),
			 0);
	ck_assert_str_eq(cfg->state_file, "s.json");
	ck_assert_str_eq(cfg->geoip_database, "g.mmdb");
	ck_assert_uint_eq(cfg->api_listen_count, 1);
	assert_addr(&cfg->api_listen[0], "[::1]:8053");
	ck_assert_uint_eq(cfg->lbname_count, 2);
	ck_assert_str_eq(cfg->lbnames[0].name, "*.");
	ck_assert_uint_eq(cfg->lbnames[0].zone, 0);
	ck_assert_uint_eq(cfg->lbnames[1].zone, 1);
}
END_TEST

/* Load sources, capacities, water marks, least_load and round robin. */
START_TEST(test_load_forms)
{
	ck_assert_int_eq(
	    load("load:\n  high_water: 90\n  low_water: 60\n  max_step: 25\n"
		 "  interval: 2s\n  hysteresis: 5\n" ZONE "checks:\n"
		 "  - name: h\n    load: {header: X-Load}\n"
		 "  - name: j\n    load:\n      json: stats.0.load\n"
		 "  - name: m\n    type: https\n    load: {prometheus: 'app:load_total'}\n"
		 "  - name: plain\n"
		 "datacenters:\n"
		 "  - name: a\n    latitude: 1\n    longitude: 1\n    ipv4: 192.0.2.1\n"
		 "    check: h\n    capacity: 100\n"
		 "  - name: b\n    latitude: 2\n    longitude: 2\n    ipv4: 192.0.2.2\n"
		 "    check: j\n    capacity: 2.5e3\n"
		 "  - name: c\n    latitude: 3\n    longitude: 3\n    ipv4: 192.0.2.3\n"
		 "    check: m\n"
		 "probes:\n" PROBE("p") SECRET
		 "pools:\n"
		 "  - name: ll\n    datacenters: [a, b, c]\n    policy: least_load\n"
		 "  - name: rr\n    datacenters: [a, b, c]\n    policy: all\n"
		 "    rotate: weighted\n"
		 "  - name: near\n    datacenters: [a, b]\n"),
	    0);
	ck_assert_uint_eq(cfg->load_high_pct, 90);
	ck_assert_uint_eq(cfg->load_low_pct, 60);
	ck_assert_uint_eq(cfg->load_step_pct, 25);
	ck_assert_uint_eq(cfg->load_interval_ms, 2000);
	ck_assert_uint_eq(cfg->load_hysteresis_pct, 5);
	ck_assert_int_eq(cfg->checks[0].load_source, CHECK_LOAD_HEADER);
	ck_assert_str_eq(cfg->checks[0].load_name, "X-Load");
	ck_assert_int_eq(cfg->checks[1].load_source, CHECK_LOAD_JSON);
	ck_assert_str_eq(cfg->checks[1].load_name, "stats.0.load");
	ck_assert_int_eq(cfg->checks[2].load_source, CHECK_LOAD_PROMETHEUS);
	ck_assert_str_eq(cfg->checks[2].load_name, "app:load_total");
	ck_assert_int_eq(cfg->checks[3].load_source, CHECK_LOAD_NONE);
	ck_assert_ptr_null(cfg->checks[3].load_name);
	ck_assert_double_eq_tol(cfg->datacenters[0].capacity, 100, 1e-9);
	ck_assert_double_eq_tol(cfg->datacenters[1].capacity, 2500, 1e-9);
	ck_assert_double_eq_tol(cfg->datacenters[2].capacity, 0, 1e-9);
	ck_assert_int_eq(cfg->pools[0].policy, POOL_LEAST_LOAD);
	ck_assert_int_eq(cfg->pools[0].rotate, POOL_ROTATE_OFF);
	ck_assert_int_eq(cfg->pools[1].rotate, POOL_ROTATE_WEIGHTED);
	ck_assert_int_eq(cfg->pools[2].policy, POOL_NEAREST);
	config_free(cfg);
	cfg = NULL;

	/* defaults */
	ck_assert_int_eq(load(ZONE), 0);
	ck_assert_uint_eq(cfg->load_high_pct, 80);
	ck_assert_uint_eq(cfg->load_low_pct, 70);
	ck_assert_uint_eq(cfg->load_step_pct, 10);
	ck_assert_uint_eq(cfg->load_interval_ms, 5000);
	ck_assert_uint_eq(cfg->load_hysteresis_pct, 10);
}
END_TEST

/* The example shipped in zones/ loads and means what its comments say. */
START_TEST(test_example)
{
	const struct config_pool *p;

	ck_assert_int_eq(config_load(TEST_DATA_DIR "/../../zones/gslbd.conf.example", &cfg, &err),
			 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(cfg->listen_count, 1);
	assert_addr(&cfg->listen[0], "127.0.0.1:5300");
	ck_assert_str_eq(cfg->state_file, "/tmp/gslbd-example-state.json");
	ck_assert_uint_eq(cfg->api_listen_count, 1);
	assert_addr(&cfg->api_listen[0], "127.0.0.1:8053");
	ck_assert_str_eq(cfg->api_admin_token, "change-me");
	ck_assert_str_eq(cfg->geoip_database,
			 TEST_DATA_DIR "/../../zones/../tests/data/geo/test-city.mmdb");
	ck_assert_int_eq(access(cfg->geoip_database, R_OK), 0);
	ck_assert_uint_eq(cfg->zone_count, 2);
	ck_assert_str_eq(cfg->zones[1].name, "gslb.example.com");
	ck_assert_int_eq(access(cfg->zones[1].file, R_OK), 0);
	ck_assert_uint_eq(cfg->datacenter_count, 3);
	ck_assert_str_eq(cfg->datacenters[0].name, "us-east");
	assert_ipv4(cfg->datacenters[0].ipv4[0], "192.0.2.10");
	assert_ipv6(cfg->datacenters[1].ipv6[0], "2001:db8:20::1");
	ck_assert_uint_eq(cfg->datacenters[2].ipv6_count, 0);
	ck_assert_uint_eq(cfg->check_count, 1);
	ck_assert_str_eq(cfg->checks[0].name, "web");
	ck_assert_int_eq(cfg->checks[0].type, CHECK_HTTP);
	ck_assert_uint_eq(cfg->checks[0].port, 80);
	ck_assert_str_eq(cfg->checks[0].path, "/");
	ck_assert_uint_eq(cfg->checks[0].interval_ms, 500);
	ck_assert_uint_eq(cfg->checks[0].timeout_ms, 300);
	for (size_t i = 0; i < 3; i++) {
		char want[32];

		snprintf(want, sizeof(want), "127.0.0.1:%zu", 18081 + i);
		ck_assert_int_eq(cfg->datacenters[i].check, 0);
		ck_assert_str_eq(cfg->datacenters[i].check_address, want);
	}
	ck_assert_uint_eq(cfg->probe_count, 3);
	for (size_t i = 0; i < 3; i++) {
		static const char *const ids[] = {"probe-us", "probe-eu", "probe-ap"};

		ck_assert_str_eq(cfg->probes[i].id, ids[i]);
		/* Probes stand where the datacenters of their region are. */
		ck_assert_str_eq(cfg->probes[i].region, cfg->datacenters[i].region);
		ck_assert_double_eq_tol(cfg->probes[i].lat, cfg->datacenters[i].lat, 1e-9);
		ck_assert_double_eq_tol(cfg->probes[i].lon, cfg->datacenters[i].lon, 1e-9);
		ck_assert_uint_ge(cfg->probes[i].secret_len, 16);
		ck_assert_ptr_null(memchr(cfg->probes[i].secret, '\n', cfg->probes[i].secret_len));
		ck_assert_mem_eq(cfg->probes[i].secret, "demo-only-", 10);
	}
	ck_assert_uint_eq(cfg->health_rise, 2);
	ck_assert_uint_eq(cfg->health_fall, 2);
	ck_assert_uint_eq(cfg->health_quorum, 0);
	ck_assert_uint_eq(cfg->health_freshness_ms, 5000);
	ck_assert_uint_eq(cfg->health_grace_ms, 15000);
	ck_assert_int_eq(cfg->health_on_unknown, HEALTH_UNKNOWN_UP);
	ck_assert_uint_eq(cfg->pool_count, 1);
	p = &cfg->pools[0];
	ck_assert_str_eq(dc_names(p->dcs, p->dc_count), "us-east eu-west ap-southeast");
	ck_assert_int_eq(p->policy, POOL_NEAREST);
	ck_assert_uint_eq(p->ttl, 30);
	ck_assert_uint_eq(cfg->lbname_count, 1);
	ck_assert_str_eq(cfg->lbnames[0].name, "www.gslb.example.com.");
	ck_assert_uint_eq(cfg->lbnames[0].zone, 1);
	ck_assert_uint_eq(cfg->lbnames[0].pool, 0);
}
END_TEST

START_TEST(test_durations)
{
	char *text = xasprintf("server:\n  tcp_idle_timeout: %s\n" ZONE, durations[_i].text);

	ck_assert_int_eq(load(text), 0);
	ck_assert_uint_eq(cfg->tcp_idle_timeout_ms, durations[_i].ms);
	free(text);
}
END_TEST

/* Boolean spellings. */
static const struct {
	const char *text;
	bool value;
} bools[] = {
    {"true", true}, {"false", false}, {"yes", true},  {"no", false},
    {"on", true},   {"off", false},   {"True", true}, {"OFF", false},
};

START_TEST(test_bools)
{
	char *text = xasprintf("log:\n  syslog: %s\n" ZONE, bools[_i].text);

	ck_assert_int_eq(load(text), 0);
	ck_assert(cfg->log_syslog == bools[_i].value);
	free(text);
}
END_TEST

START_TEST(test_scalar_forms)
{
	ck_assert_int_eq(load("server:\n"
			      "  listen: 127.0.0.1:0\n"
			      "  allow_transfer: ::1\n"
			      "  workers: 256\n"
			      "  udp_max_size: 512\n"
			      "  tcp_max_connections: 65536\n"
			      "  tcp_max_queries: 1000000\n"
			      "  tcp_max_connections_per_client: 0\n"
			      "  tcp_busy_timeout: 1h\n"
			      "  identity: ''\n"
			      "  user: ''\n"
			      "log:\n"
			      "  level: warning\n"
			      "zones:\n"
			      "  - name: .\n"
			      "    file: root.zone\n"
			      "  - name: \"example.com\"\n"
			      "    file: /abs/example.com.zone\n"),
			 0);
	ck_assert_uint_eq(cfg->listen_count, 1);
	assert_addr(&cfg->listen[0], "127.0.0.1:0");
	ck_assert_uint_eq(cfg->workers, 256);
	ck_assert_uint_eq(cfg->udp_max_size, 512);
	ck_assert_uint_eq(cfg->tcp_max_connections, 65536);
	ck_assert_uint_eq(cfg->tcp_max_queries, 1000000);
	ck_assert_uint_eq(cfg->tcp_max_conn_per_client, 0);
	ck_assert_uint_eq(cfg->tcp_busy_timeout_ms, 3600000);
	ck_assert_ptr_null(cfg->identity);
	ck_assert_ptr_null(cfg->user);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_WARN);
	ck_assert_uint_eq(cfg->zone_count, 2);
	ck_assert_str_eq(cfg->zones[0].name, ".");
	ck_assert_str_eq(cfg->zones[0].file, "/etc/gslbd/root.zone");
	ck_assert_str_eq(cfg->zones[1].file, "/abs/example.com.zone");
	ck_assert_uint_eq(cfg->zones[1].allow_transfer_count, 1);
	assert_prefix(&cfg->zones[1].allow_transfer[0], "::1/128");
}
END_TEST

/* TSIG keys (inline and from a key file), transfer lists that want them,
 * notify lists (server's inherited, a zone's own) and the journal bound. */
/* dnssec.jitter: a quarter of validity minus refresh unless given; not
 * so long that signatures just made would be due (jitter plus an eighth
 * must stay under validity minus refresh). */
START_TEST(test_dnssec_jitter)
{
	static const char *const head = "zones:\n  - name: example.com\n    file: a.zone\n"
					"    dnssec:\n      keys: [Kexample.com.+013+00001]\n";
	char *text = xasprintf("%s", head);

	ck_assert_msg(load(text) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg->zones[0].sig_jitter, (14 - 7) * 86400 / 4);
	config_free(cfg);
	cfg = NULL;
	free(text);
	text = xasprintf("%s      validity: 10d\n      refresh: 2d\n      jitter: 7d\n", head);
	ck_assert_msg(load(text) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg->zones[0].sig_jitter, 7 * 86400);
	config_free(cfg);
	cfg = NULL;
	free(text);
	text = xasprintf("%s      validity: 10d\n      refresh: 2d\n      jitter: 8d\n", head);
	ck_assert_int_ne(load(text), 0);
	ck_assert_msg(strstr(err.msg, "t.conf:8:15: zones[0].dnssec.jitter: jitter (plus an "
				      "eighth) must be shorter") == err.msg,
		      "%s", err.msg);
	free(text);
}
END_TEST

START_TEST(test_tsig_notify)
{
	FILE *f = fopen("check_config_tsig.key", "w");
	char cwd[4096];
	int rc;

	ck_assert_ptr_nonnull(f);
	fputs("key \"file-key\" {\n\talgorithm hmac-sha512;\n"
	      "\tsecret \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\";\n};\n",
	      f);
	fclose(f);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	rc = config_load_string("t.conf", cwd,
					    "keys:\n"
					    "  - name: xfr.key\n"
					    "    algorithm: hmac-sha256\n"
					    "    secret: c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=\n"
					    "key_file: check_config_tsig.key\n"
					    "server:\n"
					    "  journal_max: 4096\n"
					    "  allow_transfer: [10.0.0.0/8, {address: 192.0.2.0/24, "
					    "key: XFR.KEY.}]\n"
					    "  notify: [192.0.2.53, {address: \"[2001:db8::53]:5300\", "
					    "key: file-key}]\n"
					    "zones:\n"
					    "  - name: example.com\n"
					    "    file: a.zone\n"
					    "  - name: example.net\n"
					    "    file: b.zone\n"
					    "    notify: []\n"
					    "    allow_transfer: [{address: \"::1\", key: file-key}]\n",
					    &cfg, &err);
	ck_assert_str_eq(err.msg, "");
	ck_assert_int_eq(rc, 0);
	unlink("check_config_tsig.key");
	ck_assert_uint_eq(cfg->tsig_key_count, 2);
	ck_assert_str_eq(cfg->tsig_keys[0].name, "xfr.key");
	ck_assert_int_eq(cfg->tsig_keys[0].alg, TSIG_HMAC_SHA256);
	ck_assert_uint_eq(cfg->tsig_keys[0].secret_len, 32);
	ck_assert_str_eq(cfg->tsig_keys[1].name, "file-key");
	ck_assert_int_eq(cfg->tsig_keys[1].alg, TSIG_HMAC_SHA512);
	ck_assert_uint_eq(cfg->journal_max, 4096);
	ck_assert_uint_eq(cfg->zones[0].allow_transfer_count, 2);
	assert_prefix(&cfg->zones[0].allow_transfer[1], "192.0.2.0/24");
	ck_assert_int_eq(cfg->zones[0].allow_transfer_key[0], -1);
	ck_assert_int_eq(cfg->zones[0].allow_transfer_key[1], 0);
	ck_assert_uint_eq(cfg->zones[0].notify_count, 2);
	assert_addr(&cfg->zones[0].notify[0].addr, "192.0.2.53:53");
	ck_assert_int_eq(cfg->zones[0].notify[0].key, -1);
	assert_addr(&cfg->zones[0].notify[1].addr, "[2001:db8::53]:5300");
	ck_assert_int_eq(cfg->zones[0].notify[1].key, 1);
	ck_assert_uint_eq(cfg->zones[1].notify_count, 0);
	ck_assert_uint_eq(cfg->zones[1].allow_transfer_count, 1);
	ck_assert_int_eq(cfg->zones[1].allow_transfer_key[0], 1);
}
END_TEST

START_TEST(test_paths)
{
	/* Without a base folder relative names stay relative. */
	ck_assert_int_eq(config_load_string("t.conf", NULL, ZONE, &cfg, &err), 0);
	ck_assert_str_eq(cfg->zones[0].file, "a.zone");
	ck_assert_str_eq(cfg->path, "t.conf");
	config_free(cfg);
	cfg = NULL;
	ck_assert_int_eq(config_load_string("t.conf", "/", ZONE, &cfg, &err), 0);
	ck_assert_str_eq(cfg->zones[0].file, "/a.zone");
	config_free(cfg);
	cfg = NULL;
	/* Several listeners on port 0 are distinct sockets. */
	ck_assert_int_eq(load("server:\n  listen: [127.0.0.1:0, 127.0.0.1:0]\n" ZONE), 0);
	ck_assert_uint_eq(cfg->listen_count, 2);
}
END_TEST

START_TEST(test_free)
{
	struct config *c = xcalloc(1, sizeof(*c));

	config_free(NULL);
	/* Built by hand, as tests of other modules do. */
	c->path = xstrdup("hand.conf");
	c->listen = xcalloc(1, sizeof(*c->listen));
	c->listen_count = 1;
	c->identity = xstrdup("id");
	c->zones = xcalloc(2, sizeof(*c->zones));
	c->zone_count = 2;
	c->zones[0].name = xstrdup("example.com");
	c->zones[0].file = xstrdup("example.com.zone");
	c->zones[0].allow_transfer = xcalloc(1, sizeof(*c->zones[0].allow_transfer));
	c->zones[0].allow_transfer_count = 1;
	c->zones[1].name = xstrdup("half.example");
	c->datacenters = xcalloc(2, sizeof(*c->datacenters));
	c->datacenter_count = 2;
	c->datacenters[0].name = xstrdup("dc");
	c->datacenters[0].ipv4 = xcalloc(1, sizeof(*c->datacenters[0].ipv4));
	c->datacenters[0].ipv4_count = 1;
	c->pools = xcalloc(2, sizeof(*c->pools));
	c->pool_count = 2;
	c->pools[0].name = xstrdup("p");
	c->pools[0].countries = xcalloc(1, sizeof(*c->pools[0].countries));
	c->pools[0].country_count = 1;
	c->pools[0].countries[0].dcs = xcalloc(1, sizeof(size_t));
	c->lbnames = xcalloc(1, sizeof(*c->lbnames));
	c->lbname_count = 1;
	c->datacenters[1].check_address = xstrdup("192.0.2.1:80");
	c->checks = xcalloc(2, sizeof(*c->checks));
	c->check_count = 2;
	c->checks[0].name = xstrdup("web");
	c->checks[0].path = xstrdup("/");
	c->checks[0].expect_status = xcalloc(1, sizeof(unsigned));
	c->checks[0].expect_status_count = 1;
	c->probes = xcalloc(2, sizeof(*c->probes));
	c->probe_count = 2;
	c->probes[0].id = xstrdup("p");
	c->probes[0].secret = (uint8_t *)xstrdup("0123456789abcdef");
	c->probes[0].secret_len = 16;
	c->geoip_latitude = xstrdup("lat");
	config_free(c);
}
END_TEST

/* The API's limits read from the file; a short admin token is fine while
 * the API listens on loopback alone. */
START_TEST(test_api_limits)
{
	ck_assert_int_eq(load("api:\n"
			      "  listen: [127.0.0.1:8053, '[::1]:8053', 127.1.2.3:0]\n"
			      "  admin_token: change-me\n"
			      "  max_connections: 65536\n"
			      "  max_connections_per_client: 1\n"
			      "  header_timeout: 100ms\n"
			      "  body_timeout: 10m\n"
			      "  auth_failures: 100000\n" ZONE),
			 0);
	ck_assert_str_eq(cfg->api_admin_token, "change-me");
	ck_assert_uint_eq(cfg->api_max_connections, 65536);
	ck_assert_uint_eq(cfg->api_max_per_client, 1);
	ck_assert_uint_eq(cfg->api_header_timeout_ms, 100);
	ck_assert_uint_eq(cfg->api_body_timeout_ms, 600000);
	ck_assert_uint_eq(cfg->api_auth_failures, 100000);
	config_free(cfg);
	cfg = NULL;
	/* 16 characters are enough anywhere. */
	ck_assert_int_eq(load("api:\n  listen: 0.0.0.0\n  admin_token: 0123456789abcdef\n" ZONE), 0);
	config_free(cfg);
	cfg = NULL;
	/* Beyond loopback without the admin role, the token is not taken there. */
	ck_assert_int_eq(load("api:\n  listen: [127.0.0.1, {address: 0.0.0.0:8443, roles: probe}]\n"
			      "  admin_token: change-me\n" ZONE),
			 0);
}
END_TEST

START_TEST(test_dnstap)
{
	ck_assert_int_eq(load(ZONE), 0);
	ck_assert(!config_dnstap_enabled(cfg));
	ck_assert(cfg->dnstap_log_queries);
	ck_assert(cfg->dnstap_log_responses);
	ck_assert_uint_eq(cfg->dnstap_sample, 1);
	ck_assert(!cfg->dnstap_only_lb);
	ck_assert_uint_eq(cfg->dnstap_rcodes, 0);
	ck_assert_ptr_null(cfg->dnstap_zone_on);
	ck_assert_uint_eq(cfg->dnstap_ring_size, 1024);
	ck_assert_str_eq(cfg->dnstap_version, "gslbd " PACKAGE_VERSION);
	ck_assert_ptr_nonnull(cfg->dnstap_identity); /* the host name */
	config_free(cfg);
	cfg = NULL;

	ck_assert_int_eq(load("dnstap:\n  socket: /tmp/tap.sock\n  identity: ns1\n  version: ''\n"
			      "  log_queries: false\n  sample: 100\n  only_load_balanced: true\n"
			      "  rcodes: [NOERROR, nxdomain, 5]\n  zones: [Example.COM.]\n"
			      "  ring_size: 16\n" ZONE),
			 0);
	ck_assert(config_dnstap_enabled(cfg));
	ck_assert_str_eq(cfg->dnstap_socket, "/tmp/tap.sock");
	ck_assert_ptr_null(cfg->dnstap_tcp);
	ck_assert_ptr_null(cfg->dnstap_file);
	ck_assert_str_eq(cfg->dnstap_identity, "ns1");
	ck_assert_ptr_null(cfg->dnstap_version);
	ck_assert(!cfg->dnstap_log_queries);
	ck_assert(cfg->dnstap_log_responses);
	ck_assert_uint_eq(cfg->dnstap_sample, 100);
	ck_assert(cfg->dnstap_only_lb);
	ck_assert_uint_eq(cfg->dnstap_rcodes, (1u << 0) | (1u << 3) | (1u << 5));
	ck_assert_ptr_nonnull(cfg->dnstap_zone_on);
	ck_assert(cfg->dnstap_zone_on[0]);
	ck_assert_uint_eq(cfg->dnstap_ring_size, 16);
	config_free(cfg);
	cfg = NULL;

	ck_assert_int_eq(load("dnstap:\n  tcp: \"[2001:db8::53]:6000\"\n  rcodes: []\n" ZONE), 0);
	ck_assert_str_eq(cfg->dnstap_tcp, "[2001:db8::53]:6000");
	assert_addr(&cfg->dnstap_tcp_addr, "[2001:db8::53]:6000");
	ck_assert_uint_eq(cfg->dnstap_rcodes, 0);
	config_free(cfg);
	cfg = NULL;

	ck_assert_int_eq(load("dnstap:\n  file: /tmp/gslbd-check-config.fstrm\n" ZONE), 0);
	ck_assert_str_eq(cfg->dnstap_file, "/tmp/gslbd-check-config.fstrm");
}
END_TEST

START_TEST(test_print_options)
{
	static const char *const wanted[] = {
	    "server.listen:",
	    "server.workers: integer 0..256, default 0\n",
	    "server.user: string, default none\n",
	    "server.udp_max_size: integer 512..65535, default 1232\n",
	    "server.tcp_idle_timeout: duration 100ms..1h, default 10s\n",
	    "server.tcp_max_connections: integer 1..65536, default 512\n",
	    "server.tcp_max_queries: integer 0..1000000, default 0\n",
	    "server.tcp_max_connections_per_client: integer 0..65536, default 64\n",
	    "server.tcp_busy_timeout: duration 100ms..1h, default 1s\n",
	    "server.identity: string, default the host name\n",
	    "server.version: string, default \"gslbd " PACKAGE_VERSION "\"\n",
	    "server.state_file: file name, default \"" LOCALSTATEDIR "/lib/gslbd/state.json\"\n",
	    "server.allow_transfer:",
	    "log.level: error|warning|info|debug, default info\n",
	    "log.syslog: boolean, default false\n",
	    "api.listen: list of ADDR[:PORT] or [IPV6]:PORT, default none\n",
	    "api.admin_token: string, default none\n",
	    "api.admin_token_file: file name, default none\n",
	    "api.max_connections: integer 1..65536, default 256\n",
	    "api.max_connections_per_client: integer 1..65536, default 32\n",
	    "api.header_timeout: duration 100ms..5m, default 10s\n",
	    "api.body_timeout: duration 100ms..10m, default 30s\n",
	    "api.auth_failures: integer 1..100000, default 20\n",
	    "geoip.database: file name, default none\n",
	    "geoip.latitude: string, default \"location.latitude\"\n",
	    "geoip.longitude: string, default \"location.longitude\"\n",
	    "geoip.country: string, default \"country.iso_code\"\n",
	    "geoip.continent: string, default \"continent.code\"\n",
	    "health.rise: integer 1..100, default 2\n",
	    "health.fall: integer 1..100, default 3\n",
	    "health.quorum: integer 0..1000, default 0\n",
	    "health.freshness: duration 1s..1h, default 10s\n",
	    "health.grace: duration 0..1d, default 30s\n",
	    "health.on_unknown: up|down, default up\n",
	    "reports.max_skew: duration 1s..1h, default 30s\n",
	    "reports.max_bytes: integer 1024..16777216, default 1048576\n",
	    "latency.hysteresis_pct: integer 0..100, default 20\n",
	    "latency.hysteresis_ms: integer 0..1000, default 5\n",
	    "zones:",
	    "checks:",
	    "datacenters:",
	    "probes:",
	    "pools:",
	    "names: list of {name, pool, transfer_answer}",
	    "dnstap.socket: file name, default none\n",
	    "dnstap.sample: integer 1..1000000, default 1\n",
	    "dnstap.ring_size: integer 16..1048576, default 1024\n",
	    "dnstap.rcodes: list of response codes",
	    "dnstap.zones: list of served zones",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	config_print_options(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		ck_assert_msg(strstr(buf, wanted[i]) != NULL, "'%s' missing in:\n%s", wanted[i],
			      buf);
	free(buf);
}
END_TEST

/* transfer_answer: datacenters of the name's pool, a CNAME one alone. */
START_TEST(test_transfer_answer)
{
	static const char cdn[] = "  - name: cdn\n"
				  "    latitude: 1\n"
				  "    longitude: 1\n"
				  "    cname: edge.example.net\n";

	char *text = xasprintf(ZONE DCS "%s" POOL "    answers: 2\n"
					"  - name: c\n"
					"    datacenters: [cdn, eu-west]\n"
					"names:\n"
					"  - name: www.example.com\n"
					"    pool: web\n"
					"    transfer_answer: [eu-west]\n"
					"  - name: all.example.com\n"
					"    pool: web\n"
					"  - name: c.example.com\n"
					"    pool: c\n"
					"    transfer_answer: cdn\n",
			       cdn);

	ck_assert_msg(load(text) == 0, "%s", err.msg);
	free(text);
	ck_assert_uint_eq(cfg->lbnames[0].xfr_dc_count, 1);
	ck_assert_str_eq(cfg->datacenters[cfg->lbnames[0].xfr_dcs[0]].name, "eu-west");
	ck_assert_ptr_null(cfg->lbnames[1].xfr_dcs);
	ck_assert_uint_eq(cfg->lbnames[1].xfr_dc_count, 0);
	ck_assert_uint_eq(cfg->lbnames[2].xfr_dc_count, 1);
	ck_assert_str_eq(cfg->datacenters[cfg->lbnames[2].xfr_dcs[0]].name, "cdn");
	config_free(cfg);
	cfg = NULL;

	/* Not of the pool, empty, twice, a CNAME with others. */
	static const struct {
		const char *list;
		const char *msg;
	} bad_lists[] = {
	    {"[us-east, cdn]", "t.conf:25:32: names[0].transfer_answer[1]: datacenter 'cdn' is "
			       "not in pool 'web'"},
	    {"[]", "t.conf:25:22: names[0].transfer_answer: at least one datacenter is required"},
	    {"[us-east, us-east]", "t.conf:25:32: names[0].transfer_answer[1]: duplicate "
				   "datacenter 'us-east'"},
	    {"[eu-west, cdn]", "t.conf:25:22: names[0].transfer_answer: CNAME datacenter 'cdn' "
			       "listed with others: a CNAME excludes every other record"},
	};
	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		const char *pool = strstr(bad_lists[i].list, "cdn") != NULL &&
					   strstr(bad_lists[i].list, "eu-west") != NULL
				       ? "c"
				       : "web";

		text = xasprintf(ZONE DCS "%s" POOL "  - name: c\n"
					  "    datacenters: [cdn, eu-west]\n"
					  "names:\n"
					  "  - name: www.example.com\n"
					  "    pool: %s\n"
					  "    transfer_answer: %s\n",
				 cdn, pool, bad_lists[i].list);
		ck_assert_int_eq(load(text), GSLB_EPARSE);
		ck_assert_ptr_null(cfg);
		ck_assert_str_eq(err.msg, bad_lists[i].msg);
		free(text);
	}
}
END_TEST

/* Each bad text and its whole error message. */
static const struct {
	const char *text;
	const char *msg;
} bad[] = {
    /* Unknown keys at every level. */
    {"zone:\n  - name: x\n",
     "t.conf:1:1: unknown key 'zone' (expected server, log, api, geoip, health, reports, latency, "
     "load, rrl, cookies, etcd, dnstap, zones, checks, datacenters, probes, pools, names, "
     "alerts, tokens, keys or key_file)"},
    /* TSIG keys and what names them. */
    {"keys:\n  - name: k\n    algorithm: hmac-sha3\n    secret: AAAA\n" ZONE,
     "t.conf:3:16: keys[0].algorithm: unknown algorithm 'hmac-sha3' (hmac-md5, hmac-sha1, "
     "hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)"},
    {"keys:\n  - name: k\n    algorithm: hmac-sha256\n    secret: '!!!!'\n" ZONE,
     "t.conf:4:13: keys[0].secret: the secret is not base64 (or longer than 512 bytes)"},
    {"keys:\n  - name: k\n    algorithm: hmac-sha256\n" ZONE,
     "t.conf:2:5: keys[0]: missing required key 'secret'"},
    {"keys:\n  - {name: k, algorithm: hmac-sha256, secret: AAAA}\n"
     "  - {name: K., algorithm: hmac-sha512, secret: AAAA}\n" ZONE,
     "t.conf:3:12: keys[1].name: duplicate key 'K.'"},
    {"key_file: /nonexistent/tsig.key\n" ZONE,
     "t.conf:1:11: key_file: /nonexistent/tsig.key: No such file or directory"},
    {"server:\n  allow_transfer: [{address: 10.0.0.1, key: nokey}]\n" ZONE,
     "t.conf:2:45: server.allow_transfer[0].key: unknown key 'nokey' (not in keys or key_file)"},
    {"server:\n  allow_transfer: [{key: k}]\n" ZONE,
     "t.conf:2:20: server.allow_transfer[0]: missing required key 'address'"},
    {ZONE "    notify: [192.0.2.300]\n",
     "t.conf:4:14: zones[0].notify[0]: '192.0.2.300' is not an address (like 192.0.2.53, "
     "192.0.2.53:5300 or [2001:db8::53]:53)"},
    {ZONE "    notify: [{address: 192.0.2.1, key: k, port: 1}]\n",
     "t.conf:4:43: unknown key 'port' in zones[0].notify[0]"},
    {"server:\n  journal_max: 2g\n" ZONE,
     "t.conf:2:16: server.journal_max: expected an unsigned integer, got '2g'"},
    /* dnstap. */
    {"dnstap:\n  socket: /nonexistent-dir/tap.sock\n" ZONE,
     "t.conf:2:11: dnstap.socket: the folder of socket '/nonexistent-dir/tap.sock' does not "
     "exist: /nonexistent-dir: No such file or directory"},
    {"dnstap:\n  file: /nonexistent-dir/tap.fstrm\n" ZONE,
     "t.conf:2:9: dnstap.file: cannot make file '/nonexistent-dir/tap.fstrm': folder "
     "/nonexistent-dir: No such file or directory"},
    {"dnstap:\n  file: /tmp\n" ZONE, "t.conf:2:9: dnstap.file: '/tmp' is a folder"},
    {"dnstap:\n  socket: /tmp/a.sock\n  file: /tmp/a.fstrm\n" ZONE,
     "t.conf:3:9: dnstap.file: dnstap takes one of socket, tcp and file"},
    {"dnstap:\n  tcp: 192.0.2.1\n" ZONE,
     "t.conf:2:8: dnstap.tcp: '192.0.2.1' is not ADDR:PORT or [IPV6]:PORT (numeric, port "
     "1..65535)"},
    {"dnstap:\n  tcp: tap.example:6000\n" ZONE,
     "t.conf:2:8: dnstap.tcp: 'tap.example:6000' is not ADDR:PORT or [IPV6]:PORT (numeric, port "
     "1..65535)"},
    {"dnstap:\n  socket: /tmp/" X64 X64 ".sock\n" ZONE,
     "t.conf:2:11: dnstap.socket: '/tmp/" X64 X64 ".sock' is longer than a unix socket path may "
     "be (107)"},
    {"dnstap:\n  sample: 0\n" ZONE, "t.conf:2:11: dnstap.sample: 0 is out of range (1..1000000)"},
    {"dnstap:\n  ring_size: 8\n" ZONE,
     "t.conf:2:14: dnstap.ring_size: 8 is out of range (16..1048576)"},
    {"dnstap:\n  ring_size: 1000\n" ZONE,
     "t.conf:2:14: dnstap.ring_size: 1000 is not a power of two"},
    {"dnstap:\n  rcodes: [NOERROR, NOPE]\n" ZONE,
     "t.conf:2:21: dnstap.rcodes[1]: 'NOPE' is not a response code (NOERROR, FORMERR, SERVFAIL, "
     "NXDOMAIN, NOTIMP, REFUSED, ..., or 0..31)"},
    {"dnstap:\n  rcodes: [32]\n" ZONE,
     "t.conf:2:12: dnstap.rcodes[0]: '32' is not a response code (NOERROR, FORMERR, SERVFAIL, "
     "NXDOMAIN, NOTIMP, REFUSED, ..., or 0..31)"},
    {"dnstap:\n  zones: [example.net]\n" ZONE,
     "t.conf:2:11: dnstap.zones[0]: 'example.net' is not a served zone"},
    {"dnstap:\n  bogus: 1\n" ZONE, "t.conf:2:3: unknown key 'bogus' in dnstap"},
    /* The fleet's etcd. */
    {"etcd:\n  endpoints: [127.0.0.1:2379]\n" ZONE,
     "t.conf:2:15: etcd.endpoints[0]: '127.0.0.1:2379' is not an http:// or https:// URL"},
    {"etcd:\n  poll: 10ms\n" ZONE, "t.conf:2:9: etcd.poll: 10ms is out of range (50ms..10s)"},
    /* Tenants' tokens. */
    {ZONE "tokens:\n  - name: a\n    token: short\n",
     "t.conf:6:12: tokens[0].token: the token must be at least 16 characters"},
    {ZONE "tokens:\n  - name: a\n",
     "t.conf:5:5: tokens[0]: give one of 'token' and 'token_file'"},
    {ZONE "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n    pools: [nope]\n",
     "t.conf:7:13: tokens[0].pools[0]: no pool 'nope'"},
    {ZONE "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n    access: admin\n",
     "t.conf:7:13: tokens[0].access: 'admin' is not one of read or write"},
    {ZONE "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n"
     "  - name: b\n    token: aaaaaaaaaaaaaaaaaaaa\n",
     "t.conf:7:5: tokens[1]: the token is that of 'a' (line 5)"},
    {"api:\n  admin_token: aaaaaaaaaaaaaaaaaaaa\n" ZONE
     "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n",
     "t.conf:7:5: tokens[0]: the token is the admin token"},
    /* A write token may steer a datacenter that a pool outside its scope
     * also uses only where the datacenter is listed under shared. */
    {ZONE DCS POOL POOL2 "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n"
     "    pools: [web]\n    access: write\n",
     "t.conf:22:13: tokens[0].access: write access to datacenter 'us-east', which pool 'p2' (not this "
     "token's) also uses: list it under 'shared' to let this tenant steer it for every pool, or make "
     "the token read-only"},
    {ZONE DCS POOL POOL2 "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n"
     "    pools: [web]\n    shared: [us-east]\n    access: write\n",
     "t.conf:23:13: tokens[0].access: write access to datacenter 'eu-west', which pool 'p2' (not this "
     "token's) also uses: list it under 'shared' to let this tenant steer it for every pool, or make "
     "the token read-only"},
    {ZONE DCS POOL POOL2 "tokens:\n  - name: a\n    token: aaaaaaaaaaaaaaaaaaaa\n"
     "    datacenters: [eu-west]\n    shared: [nope]\n",
     "t.conf:22:14: tokens[0].shared[0]: no datacenter 'nope'"},
    /* The API's limits, and its admin token beyond loopback. */
    {"api:\n  max_connections: 0\n" ZONE,
     "t.conf:2:20: api.max_connections: 0 is out of range (1..65536)"},
    {"api:\n  max_connections_per_client: 65537\n" ZONE,
     "t.conf:2:31: api.max_connections_per_client: 65537 is out of range (1..65536)"},
    {"api:\n  header_timeout: 50ms\n" ZONE,
     "t.conf:2:19: api.header_timeout: 50ms is out of range (100ms..5m)"},
    {"api:\n  body_timeout: 11m\n" ZONE,
     "t.conf:2:17: api.body_timeout: 11m is out of range (100ms..10m)"},
    {"api:\n  auth_failures: 0\n" ZONE,
     "t.conf:2:18: api.auth_failures: 0 is out of range (1..100000)"},
    {"api:\n  listen: [127.0.0.1:8053, 0.0.0.0:8054]\n  admin_token: change-me\n" ZONE,
     "t.conf:3:3: api.admin_token: the admin token must be at least 16 characters when the admin "
     "role is served beyond loopback (api.listen 0.0.0.0:8054)"},
    {"api:\n  admin_token: x\n  listen: '[::]:8053'\n" ZONE,
     "t.conf:2:3: api.admin_token: the admin token must be at least 16 characters when the admin "
     "role is served beyond loopback (api.listen [::]:8053)"},
    /* Alert webhooks. */
    {ZONE "alerts:\n  - url: ftp://x/\n",
     "t.conf:5:10: alerts[0].url: 'ftp://x/' is not an http:// or https:// URL"},
    {ZONE "alerts:\n  - secret: 0123456789abcdef0\n",
     "t.conf:5:5: alerts[0]: missing required key 'url'"},
    {ZONE "alerts:\n  - url: http://x/\n    events: [down, sideways]\n",
     "t.conf:6:20: alerts[0].events[1]: 'sideways' is not one of down, up, drained, undrained, "
     "forced_up, fail_open, fail_closed, probes_stale, probes_fresh, reload_failed or "
     "signatures_expiring"},
    {ZONE "alerts:\n  - url: http://x/\n    retries: 101\n",
     "t.conf:6:14: alerts[0].retries: 101 is out of range (0..100)"},
    {ZONE "alerts:\n  - url: http://x/\n    secret: short\n",
     "t.conf:6:13: alerts[0].secret: the secret is 5 bytes; it must be 16..1024"},
    {ZONE "alerts:\n  - url: http://x/\n    backoff: 10ms\n",
     "t.conf:6:14: alerts[0].backoff: 10ms is out of range (100ms..10m)"},
    /* The defences: rate limiting, cookies, access lists. */
    {"rrl:\n  rate: 0\n" ZONE, "t.conf:2:9: rrl.rate: 0 is out of range (1..10000)"},
    {"rrl:\n  window: 100ms\n" ZONE, "t.conf:2:11: rrl.window: 100ms is out of range (1s..1m)"},
    {"rrl:\n  slip: 101\n" ZONE, "t.conf:2:9: rrl.slip: 101 is out of range (0..100)"},
    {"rrl:\n  exempt: [10.0.0.1/8]\n" ZONE,
     "t.conf:2:12: rrl.exempt[0]: '10.0.0.1/8' is not an address prefix (like 192.0.2.0/24, "
     "2001:db8::/32 or one address)"},
    {"rrl:\n  burst: 3\n" ZONE, "t.conf:2:3: unknown key 'burst' in rrl"},
    {"cookies:\n  secret: 00112233\n" ZONE,
     "t.conf:2:11: cookies.secret: expected 32 hex digits (16 bytes, e.g. from 'openssl rand -hex "
     "16')"},
    {"cookies:\n  secret: 00112233445566778899aabbccddeefg\n" ZONE,
     "t.conf:2:11: cookies.secret: expected 32 hex digits (16 bytes, e.g. from 'openssl rand -hex "
     "16')"},
    {"cookies:\n  previous_secret: 00112233445566778899aabbccddeeff\n" ZONE,
     "t.conf:2:3: cookies.previous_secret: a previous secret needs a current one (cookies.secret "
     "or cookies.secret_file)"},
    {"cookies:\n  secret: 00112233445566778899aabbccddeeff\n"
     "  secret_file: /nonexistent\n" ZONE,
     "t.conf:3:3: cookies.secret_file: cookies.secret is set already (line 2); give one of them"},
    {"server:\n  acl:\n    allow: [10.0.0.0/8]\n    action: reject\n" ZONE,
     "t.conf:4:13: server.acl.action: 'reject' is not one of refuse or drop"},
    {"server:\n  acl: [10.0.0.0/8]\n" ZONE,
     "t.conf:2:8: server.acl: expected a mapping with allow, deny and action, got a list"},
    {"server:\n  listen:\n    - {acl: {deny: [0.0.0.0/0]}}\n" ZONE,
     "t.conf:3:7: server.listen[0]: missing required key 'address'"},
    {"server:\n  listen:\n    - {address: 127.0.0.1, acl: {deny: [nope]}}\n" ZONE,
     "t.conf:3:41: server.listen[0].acl.deny[0]: 'nope' is not an address prefix (like "
     "192.0.2.0/24, 2001:db8::/32 or one address)"},
    {"server:\n  listen:\n    - {address: 'x:y'}\n" ZONE,
     "t.conf:3:17: server.listen[0].address: 'x:y' is not an address (ADDR, ADDR:PORT or "
     "[IPV6]:PORT)"},
    {"api:\n  acl:\n    deny: 10.0.0.0\n    allow: 1\n" ZONE,
     "t.conf:4:12: api.acl.allow: '1' is not an address prefix (like 192.0.2.0/24, "
     "2001:db8::/32 or one address)"},
    {ZONE "    acl: {action: drop, allow: ['::1/129']}\n",
     "t.conf:4:33: zones[0].acl.allow[0]: '::1/129' is not an address prefix (like "
     "192.0.2.0/24, 2001:db8::/32 or one address)"},
    {"server:\n  workers: 1\n  listn: 127.0.0.1\n" ZONE,
     "t.conf:3:3: unknown key 'listn' in server"},
    {"log:\n  levl: info\n" ZONE, "t.conf:2:3: unknown key 'levl' in log"},
    /* server.xdp */
    {"server:\n  xdp: {a: b}\n" ZONE,
     "t.conf:2:8: server.xdp: expected a list of interfaces, got a mapping"},
    {"server:\n  xdp: [\"\"]\n" ZONE, "t.conf:2:9: server.xdp[0]: an interface must not be empty"},
    {"server:\n  xdp: [averyveryverylongname]\n" ZONE,
     "t.conf:2:9: server.xdp[0]: 'averyveryverylongname' is not an interface name (IFNAME or "
     "IFNAME@QUEUE)"},
    {"server:\n  xdp: [eth0@]\n" ZONE, "t.conf:2:9: server.xdp[0]: 'eth0@': queue is not a number"},
    {"server:\n  xdp: [eth0@256]\n" ZONE,
     "t.conf:2:9: server.xdp[0]: 'eth0@256': queue must be a number 0..255"},
    {"server:\n  xdp: [eth0@1x]\n" ZONE,
     "t.conf:2:9: server.xdp[0]: 'eth0@1x': queue must be a number 0..255"},
    {"server:\n  xdp: [eth0, eth0@1]\n" ZONE, "t.conf:2:15: server.xdp[1]: 'eth0@1' given twice"},
    {"server:\n  xdp: [\"a/b\"]\n" ZONE,
     "t.conf:2:9: server.xdp[0]: 'a/b' is not an interface name (IFNAME or IFNAME@QUEUE)"},
    {ZONE "    mastr: 1\n", "t.conf:4:5: unknown key 'mastr' in zones[0]"},
    /* Wrong types. */
    {"server:\n  workers: [1]\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got a list"},
    {"server:\n  workers: abc\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got 'abc'"},
    {"server:\n  workers: -1\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got '-1'"},
    {"server:\n  workers: +1\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got '+1'"},
    {"server:\n  workers: 0x10\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got '0x10'"},
    {"server:\n  workers: \"2\"\n" ZONE,
     "t.conf:2:12: server.workers: expected an unsigned integer, got a quoted string"},
    {"server:\n  workers:\n" ZONE,
     "t.conf:2:11: server.workers: expected an unsigned integer, got no value"},
    {"server:\n  user: {a: 1}\n" ZONE, "t.conf:2:9: server.user: expected a string, got a mapping"},
    {"server:\n  version: ~\n" ZONE,
     "t.conf:2:12: server.version: expected a string, got no value"},
    {"server: 1\n" ZONE, "t.conf:1:9: server: expected a mapping, got a scalar"},
    {"- a\n", "t.conf:1:1: expected a mapping with server, log and zones, got a list"},
    /* Out of range, low and high. */
    {"server:\n  udp_max_size: 511\n" ZONE,
     "t.conf:2:17: server.udp_max_size: 511 is out of range (512..65535)"},
    {"server:\n  udp_max_size: 65536\n" ZONE,
     "t.conf:2:17: server.udp_max_size: 65536 is out of range (512..65535)"},
    {"server:\n  workers: 257\n" ZONE, "t.conf:2:12: server.workers: 257 is out of range (0..256)"},
    {"server:\n  tcp_max_connections: 0\n" ZONE,
     "t.conf:2:24: server.tcp_max_connections: 0 is out of range (1..65536)"},
    {"server:\n  tcp_max_queries: 99999999999999999999999\n" ZONE,
     "t.conf:2:20: server.tcp_max_queries: 99999999999999999999999 is out of range "
     "(0..1000000)"},
    /* Durations. */
    {"server:\n  tcp_idle_timeout: 10x\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: '10x' is not a duration (like 500ms, 10s, 2m, "
     "1h, or seconds)"},
    {"server:\n  tcp_idle_timeout: 1.5s\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: '1.5s' is not a duration (like 500ms, 10s, 2m, "
     "1h, or seconds)"},
    {"server:\n  tcp_idle_timeout: -1s\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: '-1s' is not a duration (like 500ms, 10s, 2m, "
     "1h, or seconds)"},
    {"server:\n  tcp_idle_timeout: 99ms\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: 99ms is out of range (100ms..1h)"},
    {"server:\n  tcp_max_connections_per_client: 65537\n" ZONE,
     "t.conf:2:35: server.tcp_max_connections_per_client: 65537 is out of range (0..65536)"},
    {"server:\n  tcp_busy_timeout: 50ms\n" ZONE,
     "t.conf:2:21: server.tcp_busy_timeout: 50ms is out of range (100ms..1h)"},
    {"server:\n  tcp_idle_timeout: 61m\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: 61m is out of range (100ms..1h)"},
    {"server:\n  tcp_idle_timeout: 99999999999999999999h\n" ZONE,
     "t.conf:2:21: server.tcp_idle_timeout: 99999999999999999999h is out of range "
     "(100ms..1h)"},
    /* Booleans and log levels. */
    {"log:\n  syslog: maybe\n" ZONE,
     "t.conf:2:11: log.syslog: expected true or false, got 'maybe'"},
    {"log:\n  syslog: 'true'\n" ZONE,
     "t.conf:2:11: log.syslog: expected true or false, got the quoted string 'true'"},
    {"log:\n  level: verbose\n" ZONE,
     "t.conf:2:10: log.level: 'verbose' is not a log level (error, warning, info or debug)"},
    /* Listen addresses. */
    {"server:\n  listen: [127.0.0.1:53, 'localhost:53']\n" ZONE,
     "t.conf:2:26: server.listen[1]: 'localhost:53' is not an address (ADDR, ADDR:PORT or "
     "[IPV6]:PORT)"},
    {"server:\n  listen: 127.0.0.1:65536\n" ZONE,
     "t.conf:2:11: server.listen: '127.0.0.1:65536' is not an address (ADDR, ADDR:PORT or "
     "[IPV6]:PORT)"},
    {"server:\n  listen:\n    - 127.0.0.1:53\n    - [127.0.0.2, 127.0.0.3]\n" ZONE,
     "t.conf:4:7: server.listen[1]: expected an address, got a list"},
    {"server:\n  listen: []\n" ZONE,
     "t.conf:2:11: server.listen: at least one address is required"},
    {"server:\n  listen: [127.0.0.1:53, 127.0.0.1:53]\n" ZONE,
     "t.conf:2:26: server.listen[1]: duplicate address '127.0.0.1:53'"},
    {"server:\n  listen: {a: 1}\n" ZONE,
     "t.conf:2:11: server.listen: expected a list of addresses, got a mapping"},
    /* Transfer allow-lists. */
    {"server:\n  allow_transfer: [10.0.0.0/8, 10.0.0.1/8]\n" ZONE,
     "t.conf:2:32: server.allow_transfer[1]: '10.0.0.1/8' is not an address prefix (like "
     "192.0.2.0/24, 2001:db8::/32 or one address)"},
    {ZONE "    allow_transfer:\n      - 10.0.0.0/33\n",
     "t.conf:5:9: zones[0].allow_transfer[0]: '10.0.0.0/33' is not an address prefix (like "
     "192.0.2.0/24, 2001:db8::/32 or one address)"},
    /* Zones. */
    {"zones:\n  - name: exa..mple.com\n    file: a.zone\n",
     "t.conf:2:11: zones[0].name: 'exa..mple.com' is not a valid domain name"},
    {"zones:\n  - name: "
     "a234567890123456789012345678901234567890123456789012345678901234.com\n"
     "    file: a.zone\n",
     "t.conf:2:11: zones[0].name: "
     "'a234567890123456789012345678901234567890123456789012345678901234.com' is not a "
     "valid domain name"},
    {"zones:\n  - name: ''\n    file: a.zone\n",
     "t.conf:2:11: zones[0].name: a zone name must not be empty"},
    {"zones:\n  - name: example.com\n    file: a\n  - name: EXAMPLE.com.\n    file: b\n",
     "t.conf:4:11: zones[1].name: duplicate zone 'EXAMPLE.com.' (first at line 2)"},
    {"zones:\n  - name: example.com\n",
     "t.conf:2:5: zones[0]: missing required key 'file' (or 'primaries' for a secondary zone)"},
    {"zones:\n  - name: example.com\n    primaries: []\n",
     "t.conf:3:16: zones[0].primaries: at least one primary is required"},
    {"zones:\n  - name: example.com\n    primaries: [nowhere]\n",
     "t.conf:3:17: zones[0].primaries[0]: 'nowhere' is not an address (like 192.0.2.53, "
     "192.0.2.53:5300 or [2001:db8::53]:53)"},
    {"zones:\n  - name: example.com\n    primaries: [{address: 192.0.2.1, key: k}]\n",
     "t.conf:3:43: zones[0].primaries[0].key: unknown key 'k' (not in keys or key_file)"},
    {"zones:\n  - file: a.zone\n", "t.conf:2:5: zones[0]: missing required key 'name'"},
    {"zones:\n  - name: example.com\n    file: ''\n",
     "t.conf:3:11: zones[0].file: a file name must not be empty"},
    {"zones:\n  - example.com\n",
     "t.conf:2:5: zones[0]: expected a mapping with name and file, got a scalar"},
    {"zones: example.com\n", "t.conf:1:8: zones: expected a list of zones, got a scalar"},
    {"zones: []\n", "t.conf:1:8: zones: at least one zone is required"},
    {"server:\n  workers: 1\n", "t.conf:1:1: missing required key 'zones'"},
    {"", "t.conf:1:1: missing required key 'zones'"},
    /* YAML itself. */
    {"server:\n  workers: 1\n   listen: x\n" ZONE,
     "t.conf:3:10: mapping values are not allowed in this context"},
    {"server:\n  workers: 1\n  workers: 2\n" ZONE,
     "t.conf:3:3: duplicate key 'workers' (first at line 2)"},
    {"server: &s\n  workers: 1\n" ZONE, "t.conf:1:9: anchors (&s) are not supported"},
    /* server.state_file and api. */
    {"server:\n  state_file: [a]\n" ZONE,
     "t.conf:2:15: server.state_file: expected a string, got a list"},
    {"api:\n  listen: [127.0.0.1:80, 'x:1']\n" ZONE,
     "t.conf:2:26: api.listen[1]: 'x:1' is not an address (ADDR, ADDR:PORT or [IPV6]:PORT)"},
    {"api:\n  listen: [127.0.0.1:80, 127.0.0.1:80]\n" ZONE,
     "t.conf:2:26: api.listen[1]: duplicate address '127.0.0.1:80'"},
    {"api:\n  listen: {}\n" ZONE, "t.conf:2:11: api.listen: missing required key 'address'"},
    {"api:\n  listen: ~\n" ZONE,
     "t.conf:2:11: api.listen: expected a list of addresses or {address, roles, tls}, got no "
     "value"},
    {"api:\n  listen:\n    - roles: [probe]\n" ZONE,
     "t.conf:3:7: api.listen[0]: missing required key 'address'"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      rolls: [probe]\n" ZONE,
     "t.conf:4:7: unknown key 'rolls' in api.listen[0]"},
    {"api:\n  listen:\n    - address: [127.0.0.1]\n" ZONE,
     "t.conf:3:16: api.listen[0].address: expected an address or {address, roles, tls}, got a "
     "list"},
    {"api:\n  listen:\n    - 127.0.0.1:1\n    - address: 127.0.0.1:1\n" ZONE,
     "t.conf:4:16: api.listen[1].address: duplicate address '127.0.0.1:1'"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      roles: [probe, admn]\n" ZONE,
     "t.conf:4:22: api.listen[0].roles[1]: 'admn' is not one of probe, admin, tenant, status or "
     "metrics"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      roles: [probe, probe]\n" ZONE,
     "t.conf:4:22: api.listen[0].roles[1]: role 'probe' is listed twice"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      roles: []\n" ZONE,
     "t.conf:4:14: api.listen[0].roles: at least one role is required (probe, admin, tenant, "
     "status or metrics)"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      roles: {probe: 1}\n" ZONE,
     "t.conf:4:14: api.listen[0].roles: expected a list of roles (probe, admin, tenant, status "
     "or metrics), got a mapping"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      tls: on\n" ZONE,
     "t.conf:4:12: api.listen[0].tls: expected a mapping with certificate, key and client_ca, "
     "got a scalar"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      tls: {certificate: a.crt}\n" ZONE,
     "t.conf:4:12: api.listen[0].tls: missing required key 'key'"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      tls: {key: a.key}\n" ZONE,
     "t.conf:4:12: api.listen[0].tls: missing required key 'certificate'"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      tls: {certificate: a.crt, key: a.key, "
     "ca: x}\n" ZONE,
     "t.conf:4:45: unknown key 'ca' in api.listen[0].tls"},
    {"api:\n  listen:\n    - address: 127.0.0.1\n      tls: {certificate: no.crt, key: a.key}\n" ZONE,
     "t.conf:4:26: api.listen[0].tls.certificate: cannot read '/etc/gslbd/no.crt': No such file "
     "or directory"},
    {"api:\n  listn: 127.0.0.1\n" ZONE, "t.conf:2:3: unknown key 'listn' in api"},
    {"api:\n  admin_token: a\n  admin_token_file: " CONF_DIR "/admin.token\n" ZONE,
     "t.conf:3:3: api.admin_token_file: api.admin_token is set already (line 2); give one of them"},
    {"api:\n  admin_token_file: " CONF_DIR "/admin.token\n  admin_token: a\n" ZONE,
     "t.conf:3:3: api.admin_token: api.admin_token_file is set already (line 2); give one of them"},
    {"api:\n  admin_token_file: no-such.token\n" ZONE,
     "t.conf:2:21: api.admin_token_file: cannot read '/etc/gslbd/no-such.token': No such file or "
     "directory"},
    {"api:\n  admin_token_file: " CONF_DIR "/empty.conf\n" ZONE,
     "t.conf:2:21: api.admin_token_file: '" CONF_DIR "/empty.conf' is empty"},
    {"api:\n  admin_token_file: " CONF_DIR "/blank.token\n" ZONE,
     "t.conf:2:21: api.admin_token_file: the first line of '" CONF_DIR "/blank.token' is empty"},
    {"api:\n  admin_token_file: ''\n" ZONE,
     "t.conf:2:21: api.admin_token_file: a file name must not be empty"},
    {"api:\n  admin_token: ''\n" ZONE, "t.conf:2:16: api.admin_token: the token must be 1..1023 "
				       "printable ASCII characters without spaces"},
    {"api:\n  admin_token: 'two words'\n" ZONE,
     "t.conf:2:16: api.admin_token: the token must be 1..1023 printable ASCII characters without "
     "spaces"},
    {"api:\n  admin_token: [a]\n" ZONE,
     "t.conf:2:16: api.admin_token: expected a string, got a list"},
    /* geoip. */
    {"geoip:\n  latitude: location..latitude\n" ZONE,
     "t.conf:2:13: geoip.latitude: data path 'location..latitude': empty key"},
    {"geoip:\n  country: a.b.c.d.e.f.g\n" ZONE,
     "t.conf:2:12: geoip.country: data path 'a.b.c.d.e.f.g': more than 6 keys"},
    {"geoip:\n  continent: "
     "k234567890123456789012345678901234567890123456789\n" ZONE,
     "t.conf:2:14: geoip.continent: data path 'k234567890123456789012345678901234567890123456789': "
     "key longer than 47 bytes"},
    {"geoip:\n  longitude: ''\n" ZONE,
     "t.conf:2:14: geoip.longitude: latitude and longitude are read together: set both or "
     "neither to \"\""},
    {"geoip:\n  latitude: ''\n  longitude: ''\n  country: ''\n  continent: ''\n" ZONE,
     "t.conf:2:3: geoip: every data path is \"\": nothing to read"},
    {"geoip:\n  database: [a]\n" ZONE,
     "t.conf:2:13: geoip.database: expected a string, got a list"},
    {"geoip:\n  databse: a.mmdb\n" ZONE, "t.conf:2:3: unknown key 'databse' in geoip"},
    /* datacenters. */
    {ZONE "datacenters: {}\n",
     "t.conf:4:14: datacenters: expected a list of datacenters, got a mapping"},
    {ZONE "datacenters:\n  - us-east\n", "t.conf:5:5: datacenters[0]: expected a mapping with "
					 "name, latitude, longitude and addresses, got a scalar"},
    {ZONE "datacenters:\n  - latitude: 1\n",
     "t.conf:5:5: datacenters[0]: missing required key 'name'"},
    {ZONE "datacenters:\n  - name: us east\n", "t.conf:5:11: datacenters[0].name: 'us east' is not "
					       "a valid name (1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE "datacenters:\n  - name: "
	  "a234567890123456789012345678901234567890123456789012345678901234\n",
     "t.conf:5:11: datacenters[0].name: "
     "'a234567890123456789012345678901234567890123456789012345678901234' is not a valid name "
     "(1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE DCS "  - name: us-east\n    latitude: 1\n    longitude: 1\n    ipv4: 192.0.2.1\n",
     "t.conf:13:11: datacenters[2].name: duplicate datacenter 'us-east' (first at line 5)"},
    {ZONE "datacenters:\n  - name: a\n    region: 'x/y'\n",
     "t.conf:6:13: datacenters[0].region: 'x/y' is not a valid name (1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE "datacenters:\n  - name: a\n    longitude: 1\n    ipv4: 192.0.2.1\n",
     "t.conf:5:5: datacenters[0]: missing required key 'latitude'"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    ipv4: 192.0.2.1\n",
     "t.conf:5:5: datacenters[0]: missing required key 'longitude'"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 90.5\n    longitude: 1\n",
     "t.conf:6:15: datacenters[0].latitude: 90.5 is out of range (-90..90)"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: -180.01\n",
     "t.conf:7:16: datacenters[0].longitude: -180.01 is out of range (-180..180)"},
    {ZONE "datacenters:\n  - name: a\n    latitude: '1'\n    longitude: 1\n",
     "t.conf:6:15: datacenters[0].latitude: expected a number, got a quoted string"},
    {ZONE "datacenters:\n  - name: a\n    latitude: nan\n    longitude: 1\n",
     "t.conf:6:15: datacenters[0].latitude: expected a number, got 'nan'"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1.2.3\n    longitude: 1\n",
     "t.conf:6:15: datacenters[0].latitude: expected a number, got '1.2.3'"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n",
     "t.conf:5:5: datacenters[0]: needs ipv4 or ipv6 addresses, or a cname"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n    ipv4: []\n",
     "t.conf:5:5: datacenters[0]: needs ipv4 or ipv6 addresses, or a cname"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv4: [192.0.2.1, '2001:db8::1']\n",
     "t.conf:8:23: datacenters[0].ipv4[1]: '2001:db8::1' is not an IPv4 address"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv6: 192.0.2.1\n",
     "t.conf:8:11: datacenters[0].ipv6: '192.0.2.1' is not an IPv6 address"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv4: [192.0.2.1, 192.0.2.1]\n",
     "t.conf:8:23: datacenters[0].ipv4[1]: duplicate address '192.0.2.1'"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv6: [[1]]\n",
     "t.conf:8:12: datacenters[0].ipv6[0]: expected an IPv6 address, got a list"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv6: '2001:db8::1'\n    cname: x.example.net\n",
     "t.conf:9:12: datacenters[0].cname: a datacenter has either cname or ipv4/ipv6 addresses, not "
     "both"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    cname: x..example.net\n",
     "t.conf:8:12: datacenters[0].cname: 'x..example.net' is not a valid domain name"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    cname: .\n",
     "t.conf:8:12: datacenters[0].cname: the target must not be the root"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv4: 192.0.2.1\n    weight: 0\n",
     "t.conf:9:13: datacenters[0].weight: 0 is out of range (1..1000000)"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv4: 192.0.2.1\n    weight: 1000001\n",
     "t.conf:9:13: datacenters[0].weight: 1000001 is out of range (1..1000000)"},
    {ZONE "datacenters:\n  - name: a\n    latitude: 1\n    longitude: 1\n"
	  "    ipv4: 192.0.2.1\n    vips: 1\n",
     "t.conf:9:5: unknown key 'vips' in datacenters[0]"},
    /* pools. */
    {ZONE DCS "pools: web\n", "t.conf:13:8: pools: expected a list of pools, got a scalar"},
    {ZONE DCS "pools:\n  - name: web\n",
     "t.conf:14:5: pools[0]: missing required key 'datacenters'"},
    {ZONE DCS "pools:\n  - datacenters: us-east\n",
     "t.conf:14:5: pools[0]: missing required key 'name'"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: [us-east, us-west]\n",
     "t.conf:15:28: pools[0].datacenters[1]: unknown datacenter 'us-west'"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: [us-east, eu-west, us-east]\n",
     "t.conf:15:37: pools[0].datacenters[2]: duplicate datacenter 'us-east'"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: []\n",
     "t.conf:15:18: pools[0].datacenters: at least one datacenter is required"},
    {ZONE DCS POOL POOL2 "  - name: web\n    datacenters: us-east\n",
     "t.conf:18:11: pools[2].name: duplicate pool 'web' (first at line 14)"},
    {ZONE DCS POOL "    policy: latency\n",
     "t.conf:16:13: pools[0].policy: policy 'latency' needs probes to measure; none are "
     "configured"},
    {ZONE DCS POOL "    policy: closest\n",
     "t.conf:16:13: pools[0].policy: 'closest' is not one "
     "of nearest, failover, weighted, all, latency or least_load"},
    {ZONE DCS POOL "    answers: 0\n", "t.conf:16:14: pools[0].answers: 0 is out of range (1..16)"},
    {ZONE DCS POOL "    answers: 17\n",
     "t.conf:16:14: pools[0].answers: 17 is out of range (1..16)"},
    {ZONE DCS POOL "    ttl: 86401\n",
     "t.conf:16:10: pools[0].ttl: 86401 is out of range (0..86400)"},
    {ZONE DCS POOL "    weighted: sometimes\n",
     "t.conf:16:15: pools[0].weighted: 'sometimes' is not one of sticky or random"},
    {ZONE DCS POOL "    when_all_down: panic\n",
     "t.conf:16:20: pools[0].when_all_down: 'panic' is not one of fail_open, empty or fallback"},
    {ZONE DCS POOL "    countries:\n      GBR: [eu-west]\n",
     "t.conf:17:7: pools[0].countries: 'GBR' is not a country code (two letters, like GB)"},
    {ZONE DCS POOL "    countries:\n      G1: [eu-west]\n",
     "t.conf:17:7: pools[0].countries: 'G1' is not a country code (two letters, like GB)"},
    {ZONE DCS POOL "    countries:\n      GB: [eu-west]\n      gb: [us-east]\n",
     "t.conf:18:7: pools[0].countries: duplicate country 'gb' (first at line 17)"},
    {ZONE DCS POOL "    countries: [GB]\n", "t.conf:16:16: pools[0].countries: expected a mapping "
					    "of country codes to datacenter lists, got a list"},
    {ZONE DCS POOL "    continents:\n      XX: [eu-west]\n",
     "t.conf:17:7: pools[0].continents: 'XX' is not a continent code (AF, AN, AS, EU, NA, OC or "
     "SA)"},
    {ZONE DCS POOL "    continents:\n      EUR: eu-west\n",
     "t.conf:17:7: pools[0].continents: 'EUR' is not a continent code (AF, AN, AS, EU, NA, OC or "
     "SA)"},
    {ZONE DCS POOL "    continents:\n      EU: [eu-west, ap-southeast]\n",
     "t.conf:17:21: pools[0].continents.EU[1]: unknown datacenter 'ap-southeast'"},
    {ZONE DCS "  - name: ap-southeast\n    latitude: 1.35\n    longitude: 103.82\n"
	      "    ipv4: 203.0.113.10\n" POOL "    continents:\n      AS: [ap-southeast]\n",
     "t.conf:21:12: pools[0].continents.AS[0]: datacenter 'ap-southeast' is not in pool 'web'"},
    {ZONE DCS POOL "    countries:\n      GB: [eu-west, eu-west]\n",
     "t.conf:17:21: pools[0].countries.GB[1]: duplicate datacenter 'eu-west'"},
    {ZONE DCS POOL "    countries:\n      GB: []\n",
     "t.conf:17:11: pools[0].countries.GB: at least one datacenter is required"},
    {ZONE DCS POOL "    when_all_down: fallback\n",
     "t.conf:14:5: pools[0]: missing required key 'fallback' (when_all_down is fallback)"},
    {ZONE DCS POOL "    fallback: web\n",
     "t.conf:16:15: pools[0].fallback: fallback needs when_all_down: fallback"},
    {ZONE DCS POOL "    when_all_down: fallback\n    fallback: other\n",
     "t.conf:17:15: pools[0].fallback: unknown pool 'other'"},
    {ZONE DCS POOL "    when_all_down: fallback\n    fallback: web\n",
     "t.conf:17:15: pools[0].fallback: fallback cycle web -> web"},
    {ZONE DCS POOL "    when_all_down: fallback\n    fallback: p2\n" POOL2
		   "    when_all_down: fallback\n    fallback: web\n",
     "t.conf:17:15: pools[0].fallback: fallback cycle web -> p2 -> web"},
    {ZONE DCS "pools:\n"
	      "  - {name: a, datacenters: us-east, when_all_down: fallback, fallback: b}\n"
	      "  - {name: b, datacenters: us-east, when_all_down: fallback, fallback: c}\n"
	      "  - {name: c, datacenters: us-east, when_all_down: fallback, fallback: d}\n"
	      "  - {name: d, datacenters: us-east, when_all_down: fallback, fallback: e}\n"
	      "  - {name: e, datacenters: us-east, when_all_down: fallback, fallback: f}\n"
	      "  - {name: f, datacenters: us-east}\n",
     "t.conf:14:72: pools[0].fallback: fallback chain a -> b -> c -> d -> e -> f has more than 4 "
     "fallbacks"},
    {ZONE DCS POOL "    fallback_pool: x\n",
     "t.conf:16:5: unknown key 'fallback_pool' in pools[0]"},
    /* names. */
    {ZONE DCS POOL "names: {}\n",
     "t.conf:16:8: names: expected a list of load-balanced names, got a mapping"},
    {ZONE DCS POOL "names:\n  - name: www.example.com\n",
     "t.conf:17:5: names[0]: missing required key 'pool'"},
    {ZONE DCS POOL "names:\n  - pool: web\n", "t.conf:17:5: names[0]: missing required key 'name'"},
    {ZONE DCS POOL "names:\n  - name: www..example.com\n    pool: web\n",
     "t.conf:17:11: names[0].name: 'www..example.com' is not a valid domain name"},
    {ZONE DCS POOL "names:\n  - name: www.example.org\n    pool: web\n",
     "t.conf:17:11: names[0].name: 'www.example.org' is in none of the served zones"},
    {ZONE DCS POOL "names:\n  - name: example.com.\n    pool: web\n",
     "t.conf:17:11: names[0].name: 'example.com.' is the apex of zone 'example.com'; load-balanced "
     "names go below it"},
    {ZONE DCS POOL "names:\n  - name: a.*.example.com\n    pool: web\n",
     "t.conf:17:11: names[0].name: 'a.*.example.com': '*' may only be the first label"},
    {ZONE DCS POOL "names:\n  - name: www.example.com\n    pool: web\n"
		   "  - name: WWW.Example.Com.\n    pool: web\n",
     "t.conf:19:11: names[1].name: duplicate name 'WWW.Example.Com.' (first at line 17)"},
    {ZONE DCS POOL "names:\n  - name: www.example.com\n    pool: api\n",
     "t.conf:18:11: names[0].pool: unknown pool 'api'"},
    {ZONE "names:\n  - name: www.example.com\n    pool: web\n",
     "t.conf:6:11: names[0].pool: unknown pool 'web'"},
    {ZONE DCS POOL "names:\n  - name: www.example.com\n    pool: web\n    ttl: 5\n",
     "t.conf:19:5: unknown key 'ttl' in names[0]"},
    /* checks. */
    {ZONE "checks: web\n", "t.conf:4:9: checks: expected a list of checks, got a scalar"},
    {ZONE "checks:\n  - web\n",
     "t.conf:5:5: checks[0]: expected a mapping with name and type, got a scalar"},
    {ZONE "checks:\n  - type: http\n", "t.conf:5:5: checks[0]: missing required key 'name'"},
    {ZONE "checks:\n  - name: 'web check'\n",
     "t.conf:5:11: checks[0].name: 'web check' is not a valid name (1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE CHECK "  - name: web\n",
     "t.conf:6:11: checks[1].name: duplicate check 'web' (first at line 5)"},
    {ZONE CHECK "    type: udp\n",
     "t.conf:6:11: checks[0].type: 'udp' is not one of http, https or tcp"},
    {ZONE CHECK "    port: 0\n", "t.conf:6:11: checks[0].port: 0 is out of range (1..65535)"},
    {ZONE CHECK "    port: 65536\n",
     "t.conf:6:11: checks[0].port: 65536 is out of range (1..65535)"},
    {ZONE CHECK "    path: healthz\n",
     "t.conf:6:11: checks[0].path: 'healthz' is not a request path ('/' first)"},
    {ZONE CHECK "    path: '/a b'\n",
     "t.conf:6:11: checks[0].path: '/a b' is not a request path (URL characters only: A-Z a-z "
     "0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / % ?)"},
    {ZONE CHECK "    path: ''\n", "t.conf:6:11: checks[0].path: a request path must not be empty"},
    {ZONE CHECK "    host: 'www example'\n",
     "t.conf:6:11: checks[0].host: 'www example' is not a host name (labels of A-Z a-z 0-9 - _ "
     "up to 63 bytes, 253 in all), IPv4 or IPv6 address"},
    {ZONE CHECK "    expect_status: 200-\n",
     "t.conf:6:20: checks[0].expect_status: '200-' is not a status code or range (like 200 or "
     "200-299)"},
    {ZONE CHECK "    expect_status: [200, 2xx]\n",
     "t.conf:6:26: checks[0].expect_status[1]: '2xx' is not a status code or range (like 200 or "
     "200-299)"},
    {ZONE CHECK "    expect_status: [200, 300-299]\n",
     "t.conf:6:26: checks[0].expect_status[1]: '300-299' is an empty range (the first code is "
     "larger)"},
    {ZONE CHECK "    expect_status: 600\n",
     "t.conf:6:20: checks[0].expect_status: 600 is out of range (100..599)"},
    {ZONE CHECK "    expect_status: 99-200\n",
     "t.conf:6:20: checks[0].expect_status: 99-200 is out of range (100..599)"},
    {ZONE CHECK "    expect_status: 500-99999999999999999999999\n",
     "t.conf:6:20: checks[0].expect_status: 500-99999999999999999999999 is out of range "
     "(100..599)"},
    {ZONE CHECK "    expect_status: []\n",
     "t.conf:6:20: checks[0].expect_status: at least one status code is required"},
    {ZONE CHECK "    expect_status: [[200]]\n",
     "t.conf:6:21: checks[0].expect_status[0]: expected a status code or range, got a list"},
    {ZONE CHECK "    expect_body: ''\n",
     "t.conf:6:18: checks[0].expect_body: a string must not be empty"},
    {ZONE CHECK "    tls_verify: false\n",
     "t.conf:6:17: checks[0].tls_verify: only https checks have tls_verify"},
    {ZONE CHECK "    type: https\n    tls_verify: maybe\n",
     "t.conf:7:17: checks[0].tls_verify: expected true or false, got 'maybe'"},
    {ZONE CHECK "    type: tcp\n    path: /\n",
     "t.conf:7:11: checks[0].path: only http and https checks have path"},
    {ZONE CHECK "    type: tcp\n    expect_status: 200\n",
     "t.conf:7:20: checks[0].expect_status: only http and https checks have expect_status"},
    {ZONE CHECK "    timeout: 2s\n",
     "t.conf:6:14: checks[0].timeout: the timeout (2s) must be shorter than the interval (2s)"},
    {ZONE CHECK "    interval: 1s\n    timeout: 1500ms\n",
     "t.conf:7:14: checks[0].timeout: the timeout (1500ms) must be shorter than the interval "
     "(1s)"},
    {ZONE CHECK "    interval: 500ms\n",
     "t.conf:6:15: checks[0].interval: the timeout (1s) must be shorter than the interval "
     "(500ms)"},
    {ZONE CHECK "    interval: 499ms\n",
     "t.conf:6:15: checks[0].interval: 499ms is out of range (500ms..1h)"},
    {ZONE CHECK "    timeout: 61s\n",
     "t.conf:6:14: checks[0].timeout: 61s is out of range (100ms..1m)"},
    {ZONE CHECK "    timeout: soon\n",
     "t.conf:6:14: checks[0].timeout: 'soon' is not a duration (like 500ms, 10s, 2m, 1h, or "
     "seconds)"},
    {ZONE CHECK "    type: tcp\n    rtt: first_byte\n",
     "t.conf:7:10: checks[0].rtt: only http and https checks have rtt: first_byte"},
    {ZONE CHECK "    rtt: total\n",
     "t.conf:6:10: checks[0].rtt: 'total' is not one of connect or first_byte"},
    {ZONE CHECK "    rtt: [connect]\n",
     "t.conf:6:10: checks[0].rtt: expected connect or first_byte, got a list"},
    {ZONE CHECK "    retries: 3\n", "t.conf:6:5: unknown key 'retries' in checks[0]"},
    /* datacenters[].check and check_address. */
    {ZONE DC1 "    check: web\n", "t.conf:9:12: datacenters[0].check: unknown check 'web'"},
    {ZONE CHECK DC1 "    check: [web]\n",
     "t.conf:11:12: datacenters[0].check: expected a check name, got a list"},
    {ZONE CHECK DC1 "    check: web\n    check_address: localhost:80\n",
     "t.conf:12:20: datacenters[0].check_address: 'localhost:80' is not an address (ADDR, "
     "ADDR:PORT or [IPV6]:PORT)"},
    {ZONE CHECK DC1 "    check: web\n    check_address: 127.0.0.1:65536\n",
     "t.conf:12:20: datacenters[0].check_address: '127.0.0.1:65536' is not an address (ADDR, "
     "ADDR:PORT or [IPV6]:PORT)"},
    {ZONE CHECK DC1 "    check_address: 127.0.0.1\n",
     "t.conf:11:20: datacenters[0].check_address: check_address needs a check"},
    {ZONE CHECK "datacenters:\n  - name: cdn\n    latitude: 1\n    longitude: 1\n"
		"    cname: edge.example.net\n    check: web\n",
     "t.conf:7:5: datacenters[0]: missing required key 'check_address' (a cname datacenter with "
     "a check)"},
    /* probes. */
    {ZONE "probes: {}\n", "t.conf:4:9: probes: expected a list of probes, got a mapping"},
    {ZONE "probes:\n  - probe-eu\n", "t.conf:5:5: probes[0]: expected a mapping with id, "
				     "region, latitude, longitude and secret, got a scalar"},
    {ZONE "probes:\n  - region: eu-west\n", "t.conf:5:5: probes[0]: missing required key 'id'"},
    {ZONE "probes:\n  - id: 'probe/eu'\n",
     "t.conf:5:9: probes[0].id: 'probe/eu' is not a valid name (1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE "probes:\n" PROBE("p") SECRET PROBE("p") SECRET,
     "t.conf:10:9: probes[1].id: duplicate probe 'p' (first at line 5)"},
    {ZONE "probes:\n  - id: p\n    latitude: 1\n    longitude: 1\n" SECRET,
     "t.conf:5:5: probes[0]: missing required key 'region'"},
    {ZONE "probes:\n  - id: p\n    region: eu-west\n    longitude: 1\n" SECRET,
     "t.conf:5:5: probes[0]: missing required key 'latitude'"},
    {ZONE "probes:\n  - id: p\n    region: eu-west\n    latitude: 1\n" SECRET,
     "t.conf:5:5: probes[0]: missing required key 'longitude'"},
    {ZONE "probes:\n  - id: p\n    region: eu-west\n    latitude: 91\n    longitude: 1\n" SECRET,
     "t.conf:7:15: probes[0].latitude: 91 is out of range (-90..90)"},
    {ZONE "probes:\n" PROBE("p"), "t.conf:5:5: probes[0]: missing required key 'secret' (or "
				  "'secret_file')"},
    {ZONE "probes:\n" PROBE("p") SECRET "    secret_file: " CONF_DIR "/probe.key\n",
     "t.conf:10:18: probes[0].secret_file: secret is set already (line 9); give one of them"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: " CONF_DIR "/probe.key\n" SECRET,
     "t.conf:10:13: probes[0].secret: secret_file is set already (line 9); give one of them"},
    {ZONE "probes:\n" PROBE("p") "    secret: fifteen-bytes!!\n",
     "t.conf:9:13: probes[0].secret: the secret is 15 bytes; it must be 16..1024"},
    {ZONE "probes:\n" PROBE("p") "    secret: \"0123456789\\tabcdef\"\n",
     "t.conf:9:13: probes[0].secret: the secret must not hold control characters"},
    {ZONE "probes:\n" PROBE("p") "    secret: [a]\n",
     "t.conf:9:13: probes[0].secret: expected a string, got a list"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: no-such.key\n",
     "t.conf:9:18: probes[0].secret_file: cannot read '/etc/gslbd/no-such.key': No such file or "
     "directory"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: " CONF_DIR "/short.key\n",
     "t.conf:9:18: probes[0].secret_file: the secret in '" CONF_DIR
     "/short.key' is 15 bytes; it must be 16..1024"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: " CONF_DIR "/long.key\n",
     "t.conf:9:18: probes[0].secret_file: the first line of '" CONF_DIR
     "/long.key' is longer than 1024 bytes"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: " CONF_DIR "/blank.token\n",
     "t.conf:9:18: probes[0].secret_file: the first line of '" CONF_DIR "/blank.token' is empty"},
    {ZONE "probes:\n" PROBE("p") SECRET "    key: x\n",
     "t.conf:10:5: unknown key 'key' in probes[0]"},
    /* health, reports, latency. */
    {"health:\n  rise: 0\n" ZONE, "t.conf:2:9: health.rise: 0 is out of range (1..100)"},
    {"health:\n  fall: 101\n" ZONE, "t.conf:2:9: health.fall: 101 is out of range (1..100)"},
    {"health:\n  quorum: 1001\n" ZONE,
     "t.conf:2:11: health.quorum: 1001 is out of range (0..1000)"},
    {"health:\n  quorum: 2\n" ZONE "probes:\n" PROBE("p") SECRET,
     "t.conf:2:11: health.quorum: 2 is more than the 1 probes configured"},
    {"health:\n  freshness: 999ms\n" ZONE,
     "t.conf:2:14: health.freshness: 999ms is out of range (1s..1h)"},
    {"health:\n  grace: 25h\n" ZONE, "t.conf:2:10: health.grace: 25h is out of range (0..1d)"},
    {"health:\n  on_unknown: maybe\n" ZONE,
     "t.conf:2:15: health.on_unknown: 'maybe' is not one of up or down"},
    {"health:\n  on_unknown: [up]\n" ZONE,
     "t.conf:2:15: health.on_unknown: expected up or down, got a list"},
    {"health:\n  raise: 2\n" ZONE, "t.conf:2:3: unknown key 'raise' in health"},
    {"reports:\n  max_skew: 0s\n" ZONE,
     "t.conf:2:13: reports.max_skew: 0s is out of range (1s..1h)"},
    {"reports:\n  max_bytes: 16777217\n" ZONE,
     "t.conf:2:14: reports.max_bytes: 16777217 is out of range (1024..16777216)"},
    {"latency:\n  hysteresis_pct: 101\n" ZONE,
     "t.conf:2:19: latency.hysteresis_pct: 101 is out of range (0..100)"},
    {"latency:\n  hysteresis_ms: 1001\n" ZONE,
     "t.conf:2:18: latency.hysteresis_ms: 1001 is out of range (0..1000)"},
    {"latency: [1]\n" ZONE, "t.conf:1:10: latency: expected a mapping, got a list"},
    /* load: checks' load sources, capacities, water marks, policies. */
    {ZONE CHECK "    load: {header: 'a b'}\n",
     "t.conf:6:20: checks[0].load.header: 'a b' is not a header name"},
    {ZONE CHECK "    load: {json: 'a..b'}\n",
     "t.conf:6:18: checks[0].load.json: 'a..b' is not a dotted JSON path (like stats.load)"},
    {ZONE CHECK "    load: {prometheus: 9x}\n",
     "t.conf:6:24: checks[0].load.prometheus: '9x' is not a Prometheus metric name"},
    {ZONE CHECK "    load: {header: a, json: b}\n",
     "t.conf:6:11: checks[0].load: expected one of {header: NAME}, {json: PATH} or {prometheus: "
     "METRIC}, got a mapping"},
    {ZONE CHECK "    load: {size: a}\n", "t.conf:6:12: unknown key 'size' in checks[0].load"},
    {ZONE CHECK "    load: X-Load\n", "t.conf:6:11: checks[0].load: expected one of {header: "
				      "NAME}, {json: PATH} or {prometheus: METRIC}, got a scalar"},
    {ZONE CHECK "    type: tcp\n    load: {header: X}\n",
     "t.conf:7:11: checks[0].load: only http and https checks have load"},
    {ZONE CHECK "    load: {header: X-Load}\n" DC1 "    check: web\n    capacity: 0\n",
     "t.conf:13:15: datacenters[0].capacity: the capacity must be more than 0"},
    {ZONE CHECK "    load: {header: X-Load}\n" DC1 "    check: web\n    capacity: -5\n",
     "t.conf:13:15: datacenters[0].capacity: -5 is out of range (0..1e+12)"},
    {ZONE CHECK "    load: {header: X-Load}\n" DC1 "    check: web\n    capacity: lots\n",
     "t.conf:13:15: datacenters[0].capacity: expected a number, got 'lots'"},
    {ZONE CHECK DC1 "    check: web\n    capacity: 100\n",
     "t.conf:12:15: datacenters[0].capacity: capacity needs a check that reads the load "
     "(checks[].load)"},
    {ZONE DC1 "    capacity: 100\n", "t.conf:9:15: datacenters[0].capacity: capacity needs a check "
				     "that reads the load (checks[].load)"},
    {ZONE DCS POOL "    policy: least_load\n"
		   "probes:\n" PROBE("p") SECRET,
     "t.conf:16:13: pools[0].policy: policy 'least_load' needs datacenters with a capacity; pool "
     "'web' has none"},
    {ZONE DCS POOL "    policy: least_load\n", "t.conf:16:13: pools[0].policy: policy 'least_load' "
					       "needs probes to report loads; none are configured"},
    {ZONE DCS POOL "    rotate: on\n",
     "t.conf:16:13: pools[0].rotate: only pools with policy 'all' rotate"},
    {ZONE DCS POOL "    policy: all\n    rotate: sideways\n",
     "t.conf:17:13: pools[0].rotate: 'sideways' is not one of off, on or weighted"},
    {"load:\n  high_water: 50\n" ZONE,
     "t.conf:2:15: load.high_water: load.low_water (70) must be lower than load.high_water (50)"},
    {"load:\n  low_water: 90\n  high_water: 90\n" ZONE,
     "t.conf:2:14: load.low_water: load.low_water (90) must be lower than load.high_water (90)"},
    {"load:\n  max_step: 0\n" ZONE, "t.conf:2:13: load.max_step: 0 is out of range (1..100)"},
    {"load:\n  interval: 100ms\n" ZONE,
     "t.conf:2:13: load.interval: 100ms is out of range (500ms..1h)"},
    {"load:\n  hysteresis: 101\n" ZONE,
     "t.conf:2:15: load.hysteresis: 101 is out of range (0..100)"},
    {"load:\n  spill: on\n" ZONE, "t.conf:2:3: unknown key 'spill' in load"},
    /* Messages of every reader, and the order sections are checked in. */
    {"server:\n  allow_transfer: {a: 1}\n" ZONE,
     "t.conf:2:19: server.allow_transfer: expected a list of address prefixes, got a mapping"},
    {"server:\n  allow_transfer: [[10.0.0.0/8]]\n" ZONE,
     "t.conf:2:20: server.allow_transfer[0]: expected an address prefix or {address, key}, got a "
     "list"},
    {"api:\n  admin_token_file: " CONF_DIR "/spaced.token\n" ZONE,
     "t.conf:2:21: api.admin_token_file: the token in '" CONF_DIR
     "/spaced.token' must be printable ASCII without spaces"},
    {"zones:\n", "t.conf:1:7: zones: expected a list of zones, got no value"},
    {"zones: []\nserver:\n  workers: x\n",
     "t.conf:3:12: server.workers: expected an unsigned integer, got 'x'"},
    {"zones: []\ngeoip:\n  latitude: ''\n",
     "t.conf:3:13: geoip.latitude: latitude and longitude are read together: set both or "
     "neither to \"\""},
    {ZONE "datacenters: {}\nchecks: web\n",
     "t.conf:5:9: checks: expected a list of checks, got a scalar"},
    {ZONE "names: {}\npools: web\nprobes: {}\n",
     "t.conf:6:9: probes: expected a list of probes, got a mapping"},
    {ZONE "datacenters:\n  - name: a\n    latitude: [1]\n    longitude: 1\n",
     "t.conf:6:15: datacenters[0].latitude: expected a number, got a list"},
    {ZONE CHECK "    type: https\n    tls_verify: [true]\n",
     "t.conf:7:17: checks[0].tls_verify: expected true or false, got a list"},
    {ZONE CHECK "    type: https\n    tls_verify: 'true'\n",
     "t.conf:7:17: checks[0].tls_verify: expected true or false, got the quoted string 'true'"},
    {ZONE CHECK "    expect_body: '" X1024 "x'\n",
     "t.conf:6:18: checks[0].expect_body: is longer than 1024 bytes"},
    {ZONE CHECK "    host: ''\n", "t.conf:6:11: checks[0].host: a host name must not be empty"},
    {ZONE CHECK "    expect_status: {a: 1}\n",
     "t.conf:6:20: checks[0].expect_status: expected a list of status codes or ranges, got a "
     "mapping"},
    {ZONE CHECK DC1 "    check: web\n    check_address: [a]\n",
     "t.conf:12:20: datacenters[0].check_address: expected an address, got a list"},
    {ZONE "datacenters:\n  - name: a\n    region: [x]\n",
     "t.conf:6:13: datacenters[0].region: expected a region name, got a list"},
    {ZONE "probes:\n  - id: p\n    region: 'a b'\n",
     "t.conf:6:13: probes[0].region: 'a b' is not a valid name (1..63 of A-Z a-z 0-9 _ . -)"},
    {ZONE "probes:\n  - id: p\n    region: eu-west\n    latitude: 1\n    longitude: 181\n" SECRET,
     "t.conf:8:16: probes[0].longitude: 181 is out of range (-180..180)"},
    {ZONE "probes:\n" PROBE("p") "    secret_file: " CONF_DIR "/control.key\n",
     "t.conf:9:18: probes[0].secret_file: the secret in '" CONF_DIR
     "/control.key' must not hold control characters"},
    {ZONE "probes:\n" PROBE("p") "    secret:\n",
     "t.conf:9:12: probes[0].secret: expected a string, got no value"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: {a: 1}\n",
     "t.conf:15:18: pools[0].datacenters: expected a list of datacenter names, got a mapping"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: [[us-east]]\n",
     "t.conf:15:19: pools[0].datacenters[0]: expected a datacenter name, got a list"},
    {ZONE DCS "pools:\n  - name: web\n    datacenters: [" A64 "a]\n",
     "t.conf:15:18: pools[0].datacenters: more than 64 datacenters"},
    {ZONE DCS POOL "    continents:\n      EU: [eu-west]\n      eu: [us-east]\n",
     "t.conf:18:7: pools[0].continents: duplicate continent 'eu' (first at line 17)"},
    {ZONE DCS POOL "    when_all_down: fallback\n    fallback: [web]\n",
     "t.conf:17:15: pools[0].fallback: expected a pool name, got a list"},
    {ZONE DCS POOL "    policy: [nearest]\n",
     "t.conf:16:13: pools[0].policy: expected nearest, failover, weighted, all, latency or "
     "least_load, got a "
     "list"},
    {ZONE DCS POOL "names:\n  - name: [www.example.com]\n    pool: web\n",
     "t.conf:17:11: names[0].name: expected a domain name, got a list"},
    {ZONE DCS POOL "names:\n  - name: www.example.com\n    pool: ''\n",
     "t.conf:18:11: names[0].pool: a pool name must not be empty"},
    {ZONE DCS POOL "names:\n  - www.example.com\n",
     "t.conf:17:5: names[0]: expected a mapping with name and pool, got a scalar"},
};

START_TEST(test_invalid_text)
{
	ck_assert_int_eq(load(bad[_i].text), GSLB_EPARSE);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.msg, bad[_i].msg);
}
END_TEST

/* Error files and the message each gives. */
static const struct {
	const char *file;
	const char *msg;
} bad_files[] = {
    {"out-of-range.conf", ":7:17: server.udp_max_size: 70000 is out of range (512..65535)"},
    {"unknown-key.conf", ":3:3: unknown key 'listn' in server"},
    {"syntax-error.conf", ":4:4: did not find expected ',' or ']' (while parsing a flow "
			  "sequence at line 3 column 11)"},
    {"empty.conf", ":1:1: missing required key 'zones'"},
};

START_TEST(test_invalid_file)
{
	char *path = xasprintf("%s/%s", CONF_DIR, bad_files[_i].file);
	char *msg = xasprintf("%s%s", path, bad_files[_i].msg);

	ck_assert_int_eq(config_load(path, &cfg, &err), GSLB_EPARSE);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.msg, msg);
	free(path);
	free(msg);
}
END_TEST

START_TEST(test_too_many_datacenters)
{
	static const char head[] = ZONE "datacenters:\n";
	static const char item[] = "  - x\n";
	size_t len = sizeof(head) - 1 + 65536 * (sizeof(item) - 1);
	char *text = xmalloc(len + 1), *p = text;

	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	for (size_t i = 0; i < 65536; i++, p += sizeof(item) - 1)
		memcpy(p, item, sizeof(item) - 1);
	*p = '\0';
	ck_assert_int_eq(load(text), GSLB_EPARSE);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.msg, "t.conf:5:3: datacenters: more than 65535 datacenters");
	free(text);
}
END_TEST

START_TEST(test_missing_file)
{
	ck_assert_int_eq(config_load(CONF_DIR "/no-such.conf", &cfg, &err), GSLB_ENOENT);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.msg, CONF_DIR "/no-such.conf: No such file or directory");
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_secondary)
{
	ck_assert_msg(load("server:\n  storage: /var/lib/x\n"
			   "keys:\n  - name: k1\n    algorithm: hmac-sha256\n"
			   "    secret: AAAAAAAAAAAAAAAAAAAAAA==\n"
			   "zones:\n  - name: Sec.Example.\n"
			   "    primaries: [192.0.2.1, {address: \"[2001:db8::1]:5300\", key: k1}]\n"
			   "  - name: file.example\n    file: f.zone\n"
			   "    primaries: [192.0.2.2]\n") == 0,
		      "%s", err.msg);
	ck_assert_str_eq(cfg->storage, "/var/lib/x");
	ck_assert_uint_eq(cfg->zones[0].primary_count, 2);
	assert_addr(&cfg->zones[0].primaries[0].addr, "192.0.2.1:53");
	ck_assert_int_eq(cfg->zones[0].primaries[0].key, -1);
	assert_addr(&cfg->zones[0].primaries[1].addr, "[2001:db8::1]:5300");
	ck_assert_int_eq(cfg->zones[0].primaries[1].key, 0);
	/* Kept in storage under its name, in lower case without the final dot. */
	ck_assert_str_eq(cfg->zones[0].file, "/var/lib/x/sec.example.zone");
	ck_assert_str_eq(cfg->zones[1].file, "/etc/gslbd/f.zone");
	ck_assert_uint_eq(cfg->zones[1].primary_count, 1);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");
	TCase *limits;

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_full_file);
	tcase_add_test(valid, test_dnstap);
	tcase_add_test(valid, test_defaults);
	tcase_add_test(valid, test_defences);
	tcase_add_test(valid, test_api_listeners);
	tcase_add_test(valid, test_lb_file);
	tcase_add_test(valid, test_health_file);
	tcase_add_test(valid, test_health_forms);
	tcase_add_test(valid, test_check_host_rules);
	tcase_add_loop_test(valid, test_statuses, 0, COUNT(statuses));
	tcase_add_test(valid, test_lb_forms);
	tcase_add_test(valid, test_transfer_answer);
	tcase_add_test(valid, test_load_forms);
	tcase_add_test(valid, test_example);
	tcase_add_loop_test(valid, test_durations, 0, COUNT(durations));
	tcase_add_loop_test(valid, test_bools, 0, COUNT(bools));
	tcase_add_test(valid, test_scalar_forms);
	tcase_add_test(valid, test_tsig_notify);
	tcase_add_test(valid, test_dnssec_jitter);
	tcase_add_test(valid, test_paths);
	tcase_add_test(valid, test_free);
	tcase_add_test(valid, test_xdp);
	tcase_add_test(valid, test_print_options);
	tcase_add_test(valid, test_api_limits);
	tcase_add_test(valid, test_secondary);
	tcase_add_loop_test(invalid, test_invalid_text, 0, COUNT(bad));
	tcase_add_loop_test(invalid, test_invalid_file, 0, COUNT(bad_files));
	tcase_add_test(invalid, test_missing_file);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	/* 65,536 entries: seconds under the sanitizers, so a timeout of its own */
	limits = tcase_create("limits");
	tcase_set_timeout(limits, 60);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, test_too_many_datacenters);
	suite_add_tcase(s, limits);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

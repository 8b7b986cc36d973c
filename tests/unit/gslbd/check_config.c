/* Unit tests of gslbd/config: every option read from a file, the defaults,
 * value syntax (integers, booleans, durations, addresses, prefixes, zone
 * names), and the exact "file:line:col: message" of each kind of error. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/config.h"

#define CONF_DIR TEST_DATA_DIR "/config"

/* A valid zones section for texts that test something else. */
#define ZONE "zones:\n  - name: example.com\n    file: a.zone\n"

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
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(cfg->identity, host);
	ck_assert_str_eq(cfg->version, "gslbd " PACKAGE_VERSION);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(!cfg->log_syslog);
	ck_assert_uint_eq(cfg->zone_count, 1);
	ck_assert_str_eq(cfg->zones[0].file, CONF_DIR "/example.com.zone");
	ck_assert_uint_eq(cfg->zones[0].allow_transfer_count, 0);
	ck_assert_ptr_null(cfg->zones[0].allow_transfer);
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
	config_free(c);
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
	    "server.identity: string, default the host name\n",
	    "server.version: string, default \"gslbd " PACKAGE_VERSION "\"\n",
	    "server.allow_transfer:",
	    "log.level: error|warning|info|debug, default info\n",
	    "log.syslog: boolean, default false\n",
	    "zones:",
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

/* Each bad text and its whole error message. */
static const struct {
	const char *text;
	const char *msg;
} bad[] = {
    /* Unknown keys at every level. */
    {"zone:\n  - name: x\n", "t.conf:1:1: unknown key 'zone' (expected server, log or zones)"},
    {"server:\n  workers: 1\n  listn: 127.0.0.1\n" ZONE,
     "t.conf:3:3: unknown key 'listn' in server"},
    {"log:\n  levl: info\n" ZONE, "t.conf:2:3: unknown key 'levl' in log"},
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
    {"zones:\n  - name: example.com\n", "t.conf:2:5: zones[0]: missing required key 'file'"},
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

START_TEST(test_missing_file)
{
	ck_assert_int_eq(config_load(CONF_DIR "/no-such.conf", &cfg, &err), GSLB_ENOENT);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.msg, CONF_DIR "/no-such.conf: No such file or directory");
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_full_file);
	tcase_add_test(valid, test_defaults);
	tcase_add_loop_test(valid, test_durations, 0, COUNT(durations));
	tcase_add_loop_test(valid, test_bools, 0, COUNT(bools));
	tcase_add_test(valid, test_scalar_forms);
	tcase_add_test(valid, test_paths);
	tcase_add_test(valid, test_free);
	tcase_add_test(valid, test_print_options);
	tcase_add_loop_test(invalid, test_invalid_text, 0, COUNT(bad));
	tcase_add_loop_test(invalid, test_invalid_file, 0, COUNT(bad_files));
	tcase_add_test(invalid, test_missing_file);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
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

/* Unit tests of probes/: probe.yaml loading (values, defaults, and every
 * error with its position), probe-config parsing, check verdicts and the
 * report body. */
#include <config.h>

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/sign.h"
#include "common/xalloc.h"
#include "probes/checks.h"
#include "probes/probe_conf.h"

static struct probe_conf *conf;
static struct pcheck_list *list;
static struct gslb_err err;
static char tmpdir[256];

static void setup(void)
{
	conf = NULL;
	list = NULL;
	memset(&err, 0, sizeof(err));
	snprintf(tmpdir, sizeof(tmpdir), "tmp-check-probes.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char path[512];

	probe_conf_free(conf);
	pcheck_list_free(list);
	snprintf(path, sizeof(path), "%s/probe.key", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static int load(const char *text)
{
	return probe_conf_load_string("p.yaml", text, strlen(text), tmpdir, &conf, &err);
}

static void load_fails(const char *text, const char *msg)
{
	ck_assert_int_eq(load(text), GSLB_EPARSE);
	ck_assert_ptr_null(conf);
	ck_assert_str_eq(err.msg, msg);
}

static void write_key(const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/probe.key", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

#define SECRET "0123456789abcdef"

/* ---- probe.yaml --------------------------------------------------------- */

START_TEST(test_conf_full)
{
	ck_assert_int_eq(load("probe:\n"
			      "  id: probe-eu\n"
			      "  secret: \"" SECRET "xyz\"\n"
			      "  cache_file: cache/probe-eu.json\n"
			      "  max_concurrent: 10\n"
			      "servers:\n"
			      "  - http://127.0.0.1:8053/\n"
			      "  - https://gslb2.example.com\n"
			      "report:\n"
			      "  timeout: 500ms\n"
			      "  retries: 0\n"
			      "config_refresh: 2m\n"
			      "log:\n"
			      "  level: debug\n"
			      "  syslog: true\n"),
			 0);
	ck_assert_str_eq(conf->id, "probe-eu");
	ck_assert_uint_eq(conf->secret_len, 19);
	ck_assert_int_eq(memcmp(conf->secret, SECRET "xyz", 19), 0);
	ck_assert_str_eq(conf->cache_file + strlen(tmpdir), "/cache/probe-eu.json");
	ck_assert_uint_eq(conf->max_concurrent, 10);
	ck_assert_uint_eq(conf->server_count, 2);
	ck_assert_str_eq(conf->servers[0], "http://127.0.0.1:8053");
	ck_assert_str_eq(conf->servers[1], "https://gslb2.example.com");
	ck_assert_uint_eq(conf->report_timeout_ms, 500);
	ck_assert_uint_eq(conf->report_retries, 0);
	ck_assert_uint_eq(conf->config_refresh_ms, 120000);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert(conf->log_syslog);
}
END_TEST

START_TEST(test_conf_defaults_and_secret_file)
{
	write_key("  " SECRET "  \nsecond line ignored\n");
	ck_assert_int_eq(load("probe:\n  id: p1\n  secret_file: probe.key\n"
			      "servers: [\"http://[::1]:8053\"]\n"),
			 0);
	ck_assert_uint_eq(conf->secret_len, 16);
	ck_assert_int_eq(memcmp(conf->secret, SECRET, 16), 0);
	ck_assert_ptr_null(conf->cache_file);
	ck_assert_uint_eq(conf->max_concurrent, 256);
	ck_assert_uint_eq(conf->report_timeout_ms, 2000);
	ck_assert_uint_eq(conf->report_retries, 2);
	ck_assert_uint_eq(conf->config_refresh_ms, 30000);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert(!conf->log_syslog);
	ck_assert_str_eq(conf->servers[0], "http://[::1]:8053");
}
END_TEST

/* The pin of a key: "sha256//" and 44 base64 characters. */
#define PIN1 "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="
#define PIN2 "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

START_TEST(test_conf_tls)
{
	char want[512];

	write_key(SECRET "\n");
	ck_assert_int_eq(load("probe: {id: p, secret_file: probe.key}\n"
			      "servers: [https://gslb.example.net:8443]\n"
			      "tls:\n"
			      "  ca_file: probe.key\n"
			      "  pin: [" PIN1 ", " PIN2 "]\n"
			      "  certificate: probe.key\n"
			      "  key: probe.key\n"),
			 0);
	snprintf(want, sizeof(want), "%s/probe.key", tmpdir);
	ck_assert_str_eq(conf->tls_ca_file, want);
	ck_assert_str_eq(conf->tls_certificate, want);
	ck_assert_str_eq(conf->tls_key, want);
	ck_assert_str_eq(conf->tls_pin, PIN1 ";" PIN2);
	probe_conf_free(conf);
	conf = NULL;
	/* One pin alone; no tls section: nothing set. */
	ck_assert_int_eq(load("probe: {id: p, secret_file: probe.key}\n"
			      "servers: [https://a]\ntls: {pin: " PIN1 "}\n"),
			 0);
	ck_assert_str_eq(conf->tls_pin, PIN1);
	ck_assert_ptr_null(conf->tls_ca_file);
	ck_assert_ptr_null(conf->tls_certificate);
	probe_conf_free(conf);
	conf = NULL;
	ck_assert_int_eq(load("probe: {id: p, secret_file: probe.key}\nservers: [https://a]\n"), 0);
	ck_assert_ptr_null(conf->tls_pin);
	ck_assert_ptr_null(conf->tls_ca_file);
}
END_TEST

START_TEST(test_conf_tls_invalid)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"tls: [a]\n", "p.yaml:3:6: tls: expected a mapping, got a list"},
	    {"tls: {ca: x}\n", "p.yaml:3:7: unknown key 'ca' in tls"},
	    {"tls: {pin: sha256//abc=}\n",
	     "p.yaml:3:12: tls.pin: 'sha256//abc=' is not a pin: sha256// and the base64 of the "
	     "SHA-256 of the server's public key (44 characters)"},
	    {"tls: {pin: \"sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=xx\"}\n",
	     "p.yaml:3:12: tls.pin: 'sha1//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=xx' is not "
	     "a "
	     "pin: sha256// and the base64 of the SHA-256 of the server's public key (44 "
	     "characters)"},
	    {"tls: {pin: [" PIN1 ", 1]}\n",
	     "p.yaml:3:67: tls.pin[1]: '1' is not a pin: sha256// and the base64 of the SHA-256 of "
	     "the server's public key (44 characters)"},
	    {"tls: {pin: []}\n", "p.yaml:3:12: tls.pin: at least one pin is required"},
	    {"tls: {certificate: probe.key}\n", "p.yaml:3:6: tls: tls.certificate needs tls.key"},
	    {"tls: {key: probe.key}\n", "p.yaml:3:6: tls: tls.key needs tls.certificate"},
	};

	write_key(SECRET "\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text =
		    xasprintf("probe: {id: p, secret_file: probe.key}\nservers: [https://a]\n%s",
			      cases[i].text);

		memset(&err, 0, sizeof(err));
		load_fails(text, cases[i].msg);
		free(text);
	}
	/* An unreadable file: the message names it, resolved. */
	ck_assert_int_eq(load("probe: {id: p, secret_file: probe.key}\nservers: [https://a]\n"
			      "tls: {ca_file: no-such.pem}\n"),
			 GSLB_EPARSE);
	ck_assert_msg(strncmp(err.msg, "p.yaml:3:16: tls.ca_file: cannot read '", 39) == 0 &&
			  strstr(err.msg, "/no-such.pem': No such file or directory") != NULL,
		      "%s", err.msg);
}
END_TEST

START_TEST(test_url_plain_remote)
{
	ck_assert(probe_conf_url_is_plain_remote("http://192.0.2.1:8053"));
	ck_assert(probe_conf_url_is_plain_remote("http://gslb.example.net"));
	ck_assert(probe_conf_url_is_plain_remote("http://127.example.net:80"));
	ck_assert(probe_conf_url_is_plain_remote("http://[::2]:8053"));
	ck_assert(probe_conf_url_is_plain_remote("http://localhost.example.net"));
	ck_assert(!probe_conf_url_is_plain_remote("http://127.0.0.1:8053"));
	ck_assert(!probe_conf_url_is_plain_remote("http://127.1.2.3"));
	ck_assert(!probe_conf_url_is_plain_remote("http://[::1]:8053/"));
	ck_assert(!probe_conf_url_is_plain_remote("http://localhost:8053"));
	ck_assert(!probe_conf_url_is_plain_remote("https://192.0.2.1:8443"));
}
END_TEST

START_TEST(test_conf_invalid)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nbogus: 1\n",
	     "p.yaml:3:1: unknown key 'bogus'"},
	    {"probe:\n  id: p\n  secret: \"" SECRET "\"\n  colour: red\nservers: [http://a]\n",
	     "p.yaml:4:3: unknown key 'colour' in probe"},
	    {"probe:\n  id: p\n  secret: short\nservers: [http://a]\n",
	     "p.yaml:3:11: probe.secret: the secret must be 16..1024 bytes, not 5"},
	    {"probe:\n  id: p\n  secret: \"" SECRET "\"\n  secret_file: k\nservers: [http://a]\n",
	     "p.yaml:4:3: probe.secret_file: probe.secret is set already (line 3); give one "
	     "of them"},
	    {"probe:\n  id: \"bad id\"\n  secret: \"" SECRET "\"\nservers: [http://a]\n",
	     "p.yaml:2:7: probe.id: 'bad id' is not a probe id ([A-Za-z0-9_.-], 1..63 "
	     "characters)"},
	    {"probe:\n  secret: \"" SECRET "\"\nservers: [http://a]\n",
	     "p.yaml:2:3: probe: probe.id is required"},
	    {"probe:\n  id: p\nservers: [http://a]\n",
	     "p.yaml:2:3: probe: probe.secret or probe.secret_file is required"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\n", "p.yaml:1:1: servers: at least one "
							 "server is required"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: []\n",
	     "p.yaml:2:10: servers: at least one server is required"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers:\n  - ftp://a\n",
	     "p.yaml:3:5: servers[0]: 'ftp://a' is not an http:// or https:// URL"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers:\n  - http://a\n  - http://a/\n",
	     "p.yaml:4:5: servers[1]: 'http://a/' is listed twice"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a?x=1]\n",
	     "p.yaml:2:11: servers[0]: 'http://a?x=1' must be printable ASCII without spaces, "
	     "query or fragment"},
	    {"probe: {id: p, secret: \"" SECRET "\", max_concurrent: 0}\nservers: [http://a]\n",
	     "p.yaml:1:60: probe.max_concurrent: 0 is out of range (1..10000)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nreport:\n"
	     "  timeout: 2 s\n",
	     "p.yaml:4:12: report.timeout: '2 s' is not a duration (like 500ms, 10s, 2m, 1h, or "
	     "seconds)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nreport:\n"
	     "  timeout: 2m\n",
	     "p.yaml:4:12: report.timeout: 2m is out of range (100ms..1m)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nreport:\n"
	     "  retries: 11\n",
	     "p.yaml:4:12: report.retries: 11 is out of range (0..10)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nreport:\n"
	     "  retry: 1\n",
	     "p.yaml:4:3: unknown key 'retry' in report"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nconfig_refresh: 0s\n",
	     "p.yaml:3:17: config_refresh: 0s is out of range (1s..1h)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nlog: {level: loud}\n",
	     "p.yaml:3:14: log.level: 'loud' is not a log level (error, warning, info or "
	     "debug)"},
	    {"probe: {id: p, secret: \"" SECRET "\"}\nservers: [http://a]\nlog: {syslog: maybe}\n",
	     "p.yaml:3:15: log.syslog: expected true or false, got a scalar"},
	    {"probe: [1]\nservers: [http://a]\n", "p.yaml:1:8: probe: expected a mapping, got a "
						  "list"},
	    {"probe:\n  id: p\n  secret_file: missing.key\nservers: [http://a]\n",
	     NULL /* checked by prefix below */},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cases[i].msg == NULL) {
			ck_assert_int_eq(load(cases[i].text), GSLB_EPARSE);
			static const char want[] = "p.yaml:3:16: probe.secret_file: cannot read '";

			ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 &&
					  strstr(err.msg, "missing.key': ") != NULL,
				      "%s", err.msg);
			continue;
		}
		load_fails(cases[i].text, cases[i].msg);
	}
}
END_TEST

START_TEST(test_conf_secret_file_short)
{
	write_key("tooshort\n");
	memset(&err, 0, sizeof(err));
	load_fails("probe:\n  id: p1\n  secret_file: probe.key\nservers: [http://a]\n",
		   "p.yaml:3:16: probe.secret_file: the secret in 'probe.key' must be 16..1024 "
		   "bytes, not 8");
}
END_TEST

START_TEST(test_conf_file_positions)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/probe.key", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("probe:\n  id: p\n  secret: \"" SECRET "\"\nservers:\n  - 42\n", f);
	fclose(f);
	ck_assert_int_eq(probe_conf_load(path, &conf, &err), GSLB_EPARSE);
	ck_assert_str_eq(strstr(err.msg, "probe.key:"),
			 "probe.key:5:5: servers[0]: '42' is not an http:// or https:// URL");
	ck_assert_int_eq(strncmp(err.msg, tmpdir, strlen(tmpdir)), 0);
}
END_TEST

/* ---- probe config ------------------------------------------------------- */

static const char config_json[] =
    "{\"interval_ms\": 1500, \"checks\": ["
    "{\"datacenter\": \"us-east\", \"type\": \"http\", \"address\": \"192.0.2.10\", "
    "\"port\": 8080, \"path\": \"/healthz\", \"host\": \"www.example.com\", "
    "\"expect_status\": [200, 204, \"300-302\"], \"expect_body\": \"ok\", "
    "\"interval_ms\": 2000, \"timeout_ms\": 1000, \"new_member\": 1},"
    "{\"datacenter\": \"eu-west\", \"type\": \"https\", \"address\": \"2001:db8::1\", "
    "\"tls_verify\": false, \"host\": null, \"expect_body\": null, \"rtt\": \"first_byte\"},"
    "{\"datacenter\": \"ap\", \"type\": \"tcp\", \"address\": \"198.51.100.1\", "
    "\"port\": 22, \"interval_ms\": 500, \"timeout_ms\": 200, \"rtt\": \"connect\"}]}";

START_TEST(test_pconfig_valid)
{
	const struct check_spec *c;

	ck_assert_int_eq(pcheck_list_parse(config_json, strlen(config_json), &list, &err), 0);
	ck_assert_uint_eq(list->count, 3);
	ck_assert_uint_eq(list->interval_ms, 1500);
	c = &list->checks[0];
	ck_assert_str_eq(c->datacenter, "us-east");
	ck_assert_int_eq(c->type, CHECK_SPEC_HTTP);
	ck_assert_str_eq(c->address, "192.0.2.10");
	ck_assert(!c->is_ipv6);
	ck_assert_uint_eq(c->port, 8080);
	ck_assert_str_eq(c->path, "/healthz");
	ck_assert_str_eq(c->host, "www.example.com");
	ck_assert_uint_eq(c->expect_count, 3);
	ck_assert_uint_eq(c->expect[2].lo, 300);
	ck_assert_uint_eq(c->expect[2].hi, 302);
	ck_assert_str_eq(c->expect_body, "ok");
	ck_assert(c->tls_verify);
	ck_assert_uint_eq(c->interval_ms, 2000);
	ck_assert_uint_eq(c->timeout_ms, 1000);
	ck_assert(!c->rtt_first_byte); /* rtt left out: connect */
	c = &list->checks[1];
	ck_assert_int_eq(c->type, CHECK_SPEC_HTTPS);
	ck_assert(c->rtt_first_byte);
	ck_assert(c->is_ipv6);
	ck_assert_uint_eq(c->port, 443);
	ck_assert_str_eq(c->path, "/");
	ck_assert_ptr_null(c->host);
	ck_assert_ptr_null(c->expect_body);
	ck_assert(!c->tls_verify);
	ck_assert_uint_eq(c->expect_count, 1);
	ck_assert_uint_eq(c->expect[0].lo, 200);
	ck_assert_uint_eq(c->expect[0].hi, 399);
	c = &list->checks[2];
	ck_assert_int_eq(c->type, CHECK_SPEC_TCP);
	ck_assert_uint_eq(c->port, 22);
	ck_assert(!c->rtt_first_byte);
}
END_TEST

START_TEST(test_pconfig_interval_default)
{
	static const char text[] =
	    "{\"checks\": [{\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": \"192.0.2.1\","
	    " \"interval_ms\": 3000}, {\"datacenter\": \"b\", \"type\": \"tcp\", \"address\":"
	    " \"192.0.2.2\", \"interval_ms\": 700, \"timeout_ms\": 300}]}";

	ck_assert_int_eq(pcheck_list_parse(text, strlen(text), &list, &err), 0);
	ck_assert_uint_eq(list->interval_ms, 700);
	pcheck_list_free(list);
	list = NULL;
	ck_assert_int_eq(pcheck_list_parse("{\"checks\": []}", 14, &list, &err), 0);
	ck_assert_uint_eq(list->count, 0);
	ck_assert_uint_eq(list->interval_ms, 2000);
}
END_TEST

START_TEST(test_pconfig_invalid)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"[]", "expected an object"},
	    {"{}", "checks: expected a list"},
	    {"{\"checks\": [1]}", "checks[0]: expected an object"},
	    {"{\"checks\": [{\"type\": \"tcp\", \"address\": \"192.0.2.1\"}]}",
	     "checks[0].datacenter: required, 1..255 bytes of printable ASCII"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"icmp\", \"address\": "
	     "\"192.0.2.1\"}]}",
	     "checks[0].type: expected \"http\", \"https\" or \"tcp\""},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": "
	     "\"www.example.com\"}]}",
	     "checks[0].address: 'www.example.com' is not a numeric IP address"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": \"192.0.2.1\","
	     " \"port\": 0}]}",
	     "checks[0].port: expected an integer 1..65535"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"path\": \"x\"}]}",
	     "checks[0].path: 'x' is not a request path ('/' first)"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"host\": \"a b\"}]}",
	     "checks[0].host: 'a b' is not a host name (labels of A-Z a-z 0-9 - _ up to 63 bytes, "
	     "253 "
	     "in all), IPv4 or IPv6 address"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"expect_status\": [\"299-200\"]}]}",
	     "checks[0].expect_status[0]: codes must be 100..599, low first"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"expect_status\": []}]}",
	     "checks[0].expect_status: expected a list of 1..500 codes or ranges"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"tls_verify\": \"no\"}]}",
	     "checks[0].tls_verify: expected true or false"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"rtt\": \"total\"}]}",
	     "checks[0].rtt: expected \"connect\" or \"first_byte\""},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
	     "\"192.0.2.1\", \"rtt\": 1}]}",
	     "checks[0].rtt: expected \"connect\" or \"first_byte\""},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": "
	     "\"192.0.2.1\", \"rtt\": \"first_byte\"}]}",
	     "checks[0].rtt: \"first_byte\" needs an http(s) check"},
	    {"{\"checks\": [{\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": "
	     "\"192.0.2.1\"}, {\"datacenter\": \"a\", \"type\": \"tcp\", \"address\": "
	     "\"192.0.2.2\"}]}",
	     "checks[1].datacenter: 'a' is listed twice"},
	    {"{\"checks\": [], \"interval_ms\": 5}", "(top).interval_ms: expected an integer "
						     "100..86400000"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(
		    pcheck_list_parse(cases[i].text, strlen(cases[i].text), &list, &err),
		    GSLB_EPARSE);
		ck_assert_ptr_null(list);
		ck_assert_str_eq(err.msg, cases[i].msg);
	}
	ck_assert_int_eq(pcheck_list_parse("{\"checks\": ", 11, &list, &err), GSLB_EPARSE);
	ck_assert_ptr_null(list);
	ck_assert_int_eq(strncmp(err.msg, "line 1 column ", 14), 0);
}
END_TEST

/* ---- verdicts ------------------------------------------------------------ */

START_TEST(test_evaluate)
{
	struct pcheck_result r;
	const struct check_spec *http, *https, *tcp;

	ck_assert_int_eq(pcheck_list_parse(config_json, strlen(config_json), &list, &err), 0);
	http = &list->checks[0];
	https = &list->checks[1];
	tcp = &list->checks[2];

	ck_assert(pcheck_status_ok(http, 200));
	ck_assert(pcheck_status_ok(http, 301));
	ck_assert(!pcheck_status_ok(http, 303));
	ck_assert(!pcheck_status_ok(http, 500));
	ck_assert(pcheck_status_ok(https, 399));
	ck_assert(!pcheck_status_ok(https, 404));

	ck_assert(pcheck_body_ok(http, "all ok\n", 7));
	ck_assert(!pcheck_body_ok(http, "o k", 3));
	ck_assert(pcheck_body_ok(http, "\0\0ok", 4));
	ck_assert(!pcheck_body_ok(http, NULL, 0));
	ck_assert(pcheck_body_ok(https, NULL, 0));

	pcheck_evaluate(http, NULL, 200, "status: ok", 10, false, 1.25, &r);
	ck_assert(r.ok);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.error, "");
	ck_assert(r.rtt_ms == 1.25);

	pcheck_evaluate(http, NULL, 503, "ok", 2, false, 1.0, &r);
	ck_assert(!r.ok);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.error, "unexpected status 503");

	pcheck_evaluate(http, NULL, 200, "fine", 4, true, 1.0, &r);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.error, "body does not contain the expected text (in its first bytes)");

	pcheck_evaluate(http, "Connection refused\x01\xff", 0, NULL, 0, false, -1, &r);
	ck_assert(!r.ok);
	ck_assert(r.rtt_ms == -1);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.error, "Connection refused??");

	pcheck_evaluate(tcp, NULL, 0, NULL, 0, false, 0.5, &r);
	ck_assert(r.ok);
	pcheck_evaluate(tcp, "", 0, NULL, 0, false, -1, &r);
	ck_assert(!r.ok);
	ck_assert_str_eq(r.error, "failed");
}
END_TEST

/* ---- report body ---------------------------------------------------------- */

START_TEST(test_report_body)
{
	struct pcheck_result ok = {.ok = true, .rtt_ms = 12.3456789, .status = 200};
	struct pcheck_result bad = {.ok = false, .rtt_ms = -1, .status = 0};
	struct report_item items[2] = {{"us-east", &ok}, {"eu-west", &bad}};
	json_t *root, *res, *o;
	char *text;
	size_t len;

	snprintf(bad.error, sizeof(bad.error), "connect \"timeout\"");
	text = report_body_build("probe-eu", 7, items, 2, &len);
	ck_assert_uint_eq(len, strlen(text));
	root = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "probe")), "probe-eu");
	ck_assert_int_eq(json_integer_value(json_object_get(root, "cycle")), 7);
	res = json_object_get(root, "results");
	ck_assert_uint_eq(json_array_size(res), 2);
	o = json_array_get(res, 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "datacenter")), "us-east");
	ck_assert(json_is_true(json_object_get(o, "ok")));
	ck_assert(json_real_value(json_object_get(o, "rtt_ms")) == 12.346);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 200);
	ck_assert(json_is_null(json_object_get(o, "error")));
	o = json_array_get(res, 1);
	ck_assert(json_is_false(json_object_get(o, "ok")));
	/* Not reached: null (a negative number is refused by gslbd). */
	ck_assert(json_is_null(json_object_get(o, "rtt_ms")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "error")), "connect \"timeout\"");
	json_decref(root);
	free(text);

	text = report_body_build("p", 0, NULL, 0, &len);
	ck_assert_str_eq(text, "{\"probe\":\"p\",\"results\":[]}");
	free(text);
}
END_TEST

/* A check of type http reading the load from source with name. */
static void load_check(const char *source, const char *name)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"checks\": [{\"datacenter\": \"a\", \"type\": \"http\", \"address\": "
		 "\"192.0.2.1\", \"load_source\": \"%s\", \"load_name\": \"%s\"}]}",
		 source, name);
	pcheck_list_free(list);
	list = NULL;
	ck_assert_msg(pcheck_list_parse(text, strlen(text), &list, &err) == 0, "%s", err.msg);
}

static void assert_load(const char *header, const char *body, double want)
{
	struct pcheck_result r;

	memset(&r, 0x5a, sizeof(r));
	pcheck_load_read(&list->checks[0], header, body, body != NULL ? strlen(body) : 0, false,
			 &r);
	ck_assert_msg(r.has_load, "no load: %s", r.load_error);
	ck_assert_double_eq_tol(r.load, want, 1e-9);
	ck_assert_str_eq(r.load_error, "");
}

static void assert_no_load(const char *header, const char *body, const char *why)
{
	struct pcheck_result r;

	pcheck_load_read(&list->checks[0], header, body, body != NULL ? strlen(body) : 0, false,
			 &r);
	ck_assert(!r.has_load);
	ck_assert_str_eq(r.load_error, why);
}

/* Loads from a header, a JSON body by dotted path and a Prometheus metric,
 * and a clear reason when one cannot be read. */
START_TEST(test_load_read)
{
	load_check("header", "X-Load");
	ck_assert_int_eq(list->checks[0].load_source, CHECK_SPEC_LOAD_HEADER);
	ck_assert_str_eq(list->checks[0].load_name, "X-Load");
	assert_load("42", NULL, 42);
	assert_load(" 0.5 ", NULL, 0.5);
	assert_no_load(NULL, NULL, "no X-Load header");
	assert_no_load("lots", NULL, "header X-Load is not a number >= 0");
	assert_no_load("-3", NULL, "header X-Load is not a number >= 0");
	assert_no_load("nan", NULL, "header X-Load is not a number >= 0");
	assert_no_load("0x10", NULL, "header X-Load is not a number >= 0");

	load_check("json", "stats.workers.1.load");
	assert_load(NULL, "{\"stats\": {\"workers\": [{\"load\": 1}, {\"load\": 73.5}]}}", 73.5);
	assert_load(NULL, "{\"stats\": {\"workers\": [{}, {\"load\": \"12\"}]}}", 12);
	assert_no_load(NULL, "{\"stats\": {}}", "no stats.workers.1.load in the JSON body");
	assert_no_load(NULL, "{\"stats\": {\"workers\": [{}, {\"load\": true}]}}",
		       "stats.workers.1.load is not a number >= 0");
	assert_no_load(NULL, "<html>", "body is not JSON (line 1: '[' or '{' expected near '<')");
	assert_no_load(NULL, NULL,
		       "body is not JSON (line 1: '[' or '{' expected near end of file)");

	load_check("prometheus", "app_load");
	assert_load(NULL,
		    "# HELP app_load_total x\n# TYPE app_load gauge\napp_load_total 9\n"
		    "app_load{worker=\"a b\"} 17.25 1700000000\napp_load 3\n",
		    17.25);
	assert_load(NULL, "app_load 3e1\n", 30);
	assert_no_load(NULL, "app_load_total 9\n", "no metric app_load in the body");
	assert_no_load(NULL, "app_load NaN\n", "metric app_load has no number >= 0");

	/* a tcp check cannot read a load; the source is one of three */
	{
		static const char tcp[] = "{\"checks\": [{\"datacenter\": \"a\", \"type\": "
					  "\"tcp\", \"address\": \"192.0.2.1\", "
					  "\"load_source\": \"header\", \"load_name\": \"X\"}]}";
		static const char body[] = "{\"checks\": [{\"datacenter\": \"a\", \"type\": "
					   "\"http\", \"address\": \"192.0.2.1\", "
					   "\"load_source\": \"body\"}]}";
		static const char noname[] = "{\"checks\": [{\"datacenter\": \"a\", \"type\": "
					     "\"http\", \"address\": \"192.0.2.1\", "
					     "\"load_source\": \"json\"}]}";

		pcheck_list_free(list);
		list = NULL;
		ck_assert_int_ne(pcheck_list_parse(tcp, strlen(tcp), &list, &err), 0);
		ck_assert_str_eq(err.msg, "checks[0].load_source: needs an http(s) check");
		ck_assert_int_ne(pcheck_list_parse(body, strlen(body), &list, &err), 0);
		ck_assert_str_eq(err.msg, "checks[0].load_source: expected \"header\", \"json\" or "
					  "\"prometheus\"");
		ck_assert_int_ne(pcheck_list_parse(noname, strlen(noname), &list, &err), 0);
		ck_assert_str_eq(err.msg, "checks[0].load_name: '' is empty");
	}
}
END_TEST

/* Reports carry the load, or why there is none. */
START_TEST(test_report_load)
{
	struct pcheck_result a, b, c;
	struct report_item items[3] = {{"a", &a}, {"b", &b}, {"c", &c}};
	json_t *root, *res;
	size_t len;
	char *text;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.ok = b.ok = c.ok = true;
	a.has_load = true;
	a.load = 61.5;
	snprintf(b.load_error, sizeof(b.load_error), "no X-Load header");
	text = report_body_build("p", 0, items, 3, &len);
	root = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(root);
	res = json_object_get(root, "results");
	ck_assert(json_real_value(json_object_get(json_array_get(res, 0), "load")) == 61.5);
	ck_assert_ptr_null(json_object_get(json_array_get(res, 0), "load_error"));
	ck_assert_ptr_null(json_object_get(json_array_get(res, 1), "load"));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res, 1), "load_error")),
			 "no X-Load header");
	ck_assert_ptr_null(json_object_get(json_array_get(res, 2), "load"));
	ck_assert_ptr_null(json_object_get(json_array_get(res, 2), "load_error"));
	json_decref(root);
	free(text);
}
END_TEST

/* ---- the signed probe-config answer ------------------------------------ */

#define REQ_BOOT UINT64_C(0x1111111111111111)
#define SRV_BOOT UINT64_C(0x2222222222222222)

/* The headers of an answer signed by gslbd under key for request req. */
struct answer {
	char boot[SIGN_BOOT_HEX_LEN + 1];
	char gen[24];
	char ts[24];
	char sig[SIGN_HEX_LEN + 1];
	const char *hdr[PCONFIG_SIG_COUNT];
};

static void answer_sign(struct answer *w, const char *key, const struct sign_stamp *req, int status,
			uint64_t gen, const char *body)
{
	struct sign_answer an = {status, SRV_BOOT, gen, 1700000000123};

	sign_boot_format(SRV_BOOT, w->boot);
	snprintf(w->gen, sizeof(w->gen), "%llu", (unsigned long long)gen);
	snprintf(w->ts, sizeof(w->ts), "%llu", (unsigned long long)an.ts_ms);
	sign_probe_answer((const uint8_t *)key, strlen(key), "/v1/probe-config", req, &an, body,
			  body != NULL ? strlen(body) : 0, w->sig);
	w->hdr[PCONFIG_SIG_BOOT] = w->boot;
	w->hdr[PCONFIG_SIG_GENERATION] = w->gen;
	w->hdr[PCONFIG_SIG_TIMESTAMP] = w->ts;
	w->hdr[PCONFIG_SIG_SIGNATURE] = w->sig;
}

static int answer_check(const struct answer *w, const struct sign_stamp *req, long status,
			const char *body, uint64_t have_boot, uint64_t have_gen, char *why)
{
	struct sign_answer an;

	why[0] = '\0';
	return pconfig_answer_verify((const uint8_t *)SECRET, strlen(SECRET), req, status, w->hdr,
				     body, body != NULL ? strlen(body) : 0, have_boot, have_gen,
				     &an, why, 160);
}

START_TEST(test_answer_valid)
{
	static const char body[] = "{\"checks\":[{\"datacenter\":\"eu-west\",\"type\":\"tcp\","
				   "\"address\":\"192.0.2.20\",\"port\":22}]}";
	struct sign_stamp req = {REQ_BOOT, 7, 1700000000000};
	struct answer w;
	char why[160];

	answer_sign(&w, SECRET, &req, 200, 5, body);
	ck_assert_int_eq(answer_check(&w, &req, 200, body, 0, 0, why), 0);
	/* The same generation again, or a newer one. */
	ck_assert_int_eq(answer_check(&w, &req, 200, body, SRV_BOOT, 5, why), 0);
	ck_assert_int_eq(answer_check(&w, &req, 200, body, SRV_BOOT, 4, why), 0);
	/* Another gslbd (or a restarted one) numbers its generations afresh. */
	ck_assert_int_eq(answer_check(&w, &req, 200, body, REQ_BOOT, 9, why), 0);
	/* 304 is signed too, over an empty body. */
	answer_sign(&w, SECRET, &req, 304, 5, NULL);
	ck_assert_int_eq(answer_check(&w, &req, 304, NULL, SRV_BOOT, 5, why), 0);
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(test_answer_invalid)
{
	static const char body[] = "{\"checks\":[{\"datacenter\":\"eu-west\",\"type\":\"tcp\","
				   "\"address\":\"192.0.2.20\",\"port\":22}]}";
	/* What a proxy on the path made of it. */
	static const char rewritten[] = "{\"checks\":[{\"datacenter\":\"eu-west\",\"type\":\"tcp\","
					"\"address\":\"192.0.2.99\",\"port\":22}]}";
	struct sign_stamp req = {REQ_BOOT, 7, 1700000000000}, other = req;
	struct answer w;
	char why[160];

	answer_sign(&w, SECRET, &req, 200, 5, body);
	ck_assert_int_eq(answer_check(&w, &req, 200, rewritten, 0, 0, why), GSLB_EPARSE);
	ck_assert_str_eq(why,
			 "bad signature (altered on the way, or an answer to another request)");
	/* An old answer replayed to a later request. */
	other.seq = 8;
	ck_assert_int_eq(answer_check(&w, &other, 200, body, 0, 0, why), GSLB_EPARSE);
	ck_assert_str_eq(why,
			 "bad signature (altered on the way, or an answer to another request)");
	/* A 200 passed off as a 304 and back. */
	ck_assert_int_eq(answer_check(&w, &req, 304, NULL, 0, 0, why), GSLB_EPARSE);
	/* Signed with another key. */
	answer_sign(&w, "fedcba9876543210", &req, 200, 5, body);
	ck_assert_int_eq(answer_check(&w, &req, 200, body, 0, 0, why), GSLB_EPARSE);
	/* An older generation of the same gslbd. */
	answer_sign(&w, SECRET, &req, 200, 5, body);
	ck_assert_int_eq(answer_check(&w, &req, 200, body, SRV_BOOT, 6, why), GSLB_EPARSE);
	ck_assert_str_eq(why, "generation 5 is older than the one in use (6)");
	/* A generation header changed on the way. */
	snprintf(w.gen, sizeof(w.gen), "6");
	ck_assert_int_eq(answer_check(&w, &req, 200, body, SRV_BOOT, 6, why), GSLB_EPARSE);
	ck_assert_str_eq(why,
			 "bad signature (altered on the way, or an answer to another request)");
	/* Unsigned or malformed. */
	for (size_t i = 0; i < PCONFIG_SIG_COUNT; i++) {
		static const char *const want[] = {
		    "unsigned answer (no X-GSLB-Boot header)",
		    "unsigned answer (no X-GSLB-Generation header)",
		    "unsigned answer (no X-GSLB-Timestamp header)",
		    "unsigned answer (no X-GSLB-Signature header)",
		};

		answer_sign(&w, SECRET, &req, 200, 5, body);
		w.hdr[i] = NULL;
		ck_assert_int_eq(answer_check(&w, &req, 200, body, 0, 0, why), GSLB_EPARSE);
		ck_assert_str_eq(why, want[i]);
	}
	answer_sign(&w, SECRET, &req, 200, 5, body);
	w.hdr[PCONFIG_SIG_GENERATION] = "-5";
	ck_assert_int_eq(answer_check(&w, &req, 200, body, 0, 0, why), GSLB_EPARSE);
	ck_assert_str_eq(why,
			 "malformed X-GSLB-Boot, X-GSLB-Generation or X-GSLB-Timestamp header");
}
END_TEST

static Suite *probes_suite(void)
{
	Suite *s = suite_create("probes");
	TCase *tc;

	tc = tcase_create("conf_valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conf_full);
	tcase_add_test(tc, test_conf_defaults_and_secret_file);
	tcase_add_test(tc, test_conf_tls);
	tcase_add_test(tc, test_url_plain_remote);
	suite_add_tcase(s, tc);
	tc = tcase_create("conf_invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conf_invalid);
	tcase_add_test(tc, test_conf_tls_invalid);
	tcase_add_test(tc, test_conf_secret_file_short);
	tcase_add_test(tc, test_conf_file_positions);
	suite_add_tcase(s, tc);
	tc = tcase_create("pconfig_valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pconfig_valid);
	tcase_add_test(tc, test_pconfig_interval_default);
	suite_add_tcase(s, tc);
	tc = tcase_create("pconfig_invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pconfig_invalid);
	suite_add_tcase(s, tc);
	tc = tcase_create("evaluate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_evaluate);
	suite_add_tcase(s, tc);
	tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_body);
	tcase_add_test(tc, test_load_read);
	tcase_add_test(tc, test_report_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("answer_valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answer_valid);
	suite_add_tcase(s, tc);
	tc = tcase_create("answer_invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answer_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(probes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

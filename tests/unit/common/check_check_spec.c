/* Unit tests of common/check_spec: the check description both gslbd and
 * gslb-probe use. A table of edge cases (host:port, [v6]:port, bare IPv6
 * literals, 253- and 254-byte hosts, ports, paths, status codes, bodies,
 * intervals, load names) is read from JSON, written back and read again:
 * what is accepted comes back the same (in its canonical form), what is
 * refused is refused with the member named. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/check_spec.h"
#include "common/err.h"

/* A name of len bytes in labels of 63 ('a'...) separated by dots. */
static char *long_name(size_t len)
{
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (i + 1) % 64 == 0 ? '.' : 'a';
	if (len > 0 && s[len - 1] == '.')
		s[len - 1] = 'b';
	s[len] = '\0';
	return s;
}

/* Read text, write it back compactly with sorted keys into *out (caller
 * frees). Returns the result of check_spec_from_json(). */
static int round_trip(const char *text, char **out, struct gslb_err *err)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *back;
	struct check_spec c;
	int rc;

	ck_assert_msg(o != NULL, "%s: %s", text, jerr.text);
	*out = NULL;
	rc = check_spec_from_json(o, "checks[0]", &c, err);
	if (rc == 0) {
		ck_assert_int_eq(check_spec_validate(&c, err), 0);
		back = check_spec_to_json(&c);
		*out = json_dumps(back, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(back);
	}
	check_spec_fini(&c);
	json_decref(o);
	return rc;
}

static const struct {
	const char *in;   /* members after BASE */
	const char *want; /* canonical JSON, or NULL: refused */
	const char *why;  /* refused: the start of the reason */
} cases[] = {
    /* tcp: only what a connect needs; http members are not read */
    {"\"type\":\"tcp\",\"port\":22,\"path\":\"ignored\"",
     "{\"address\":\"192.0.2.10\",\"datacenter\":\"dc-1\",\"interval_ms\":2000,\"port\":22,"
     "\"timeout_ms\":1000,\"type\":\"tcp\"}",
     NULL},
    /* defaults of an http check */
    {"\"type\":\"http\"",
     "{\"address\":\"192.0.2.10\",\"datacenter\":\"dc-1\",\"expect_status\":[\"200-399\"],"
     "\"interval_ms\":2000,\"path\":\"/\",\"port\":80,\"timeout_ms\":1000,\"tls_verify\":true,"
     "\"type\":\"http\"}",
     NULL},
    {"\"type\":\"https\",\"address\":\"2001:db8::10\"",
     "{\"address\":\"2001:db8::10\",\"datacenter\":\"dc-1\",\"expect_status\":[\"200-399\"],"
     "\"interval_ms\":2000,\"path\":\"/\",\"port\":443,\"timeout_ms\":1000,\"tls_verify\":true,"
     "\"type\":\"https\"}",
     NULL},
    /* hosts */
    {"\"type\":\"http\",\"host\":\"www.example.com\"", "\"host\":\"www.example.com\"", NULL},
    {"\"type\":\"http\",\"host\":\"www.example.com:8080\"", "\"host\":\"www.example.com:8080\"",
     NULL},
    {"\"type\":\"http\",\"host\":\"192.0.2.99:81\"", "\"host\":\"192.0.2.99:81\"", NULL},
    {"\"type\":\"http\",\"host\":\"[2001:db8::1]:8443\"", "\"host\":\"[2001:db8::1]:8443\"", NULL},
    {"\"type\":\"http\",\"host\":\"[2001:db8::1]\"", "\"host\":\"[2001:db8::1]\"", NULL},
    /* a bare IPv6 literal gets its brackets */
    {"\"type\":\"http\",\"host\":\"2001:db8::1\"", "\"host\":\"[2001:db8::1]\"", NULL},
    {"\"type\":\"http\",\"host\":\"::ffff:192.0.2.1\"", "\"host\":\"[::ffff:192.0.2.1]\"", NULL},
    {"\"type\":\"http\",\"host\":\"under_score-1.example\"", "\"host\":\"under_score-1.example\"",
     NULL},
    {"\"type\":\"http\",\"host\":\"\"", "\"path\":\"/\"", NULL}, /* empty: none */
    {"\"type\":\"http\",\"host\":\"a b\"", NULL, "checks[0].host: 'a b' is not a host name"},
    {"\"type\":\"http\",\"host\":\"example.com:0\"", NULL,
     "checks[0].host: 'example.com:0' has a bad port"},
    {"\"type\":\"http\",\"host\":\"example.com:65536\"", NULL,
     "checks[0].host: 'example.com:65536' has a bad port"},
    {"\"type\":\"http\",\"host\":\"example.com:080\"", NULL,
     "checks[0].host: 'example.com:080' has a bad port"},
    {"\"type\":\"http\",\"host\":\"example.com:\"", NULL,
     "checks[0].host: 'example.com:' has a bad port"},
    {"\"type\":\"http\",\"host\":\"2001:db8::1:8443x\"", NULL,
     "checks[0].host: '2001:db8::1:8443x' is not a host name, IPv4 or IPv6 address (an IPv6 "
     "literal with a port needs brackets)"},
    {"\"type\":\"http\",\"host\":\"[2001:db8::zz]\"", NULL,
     "checks[0].host: '[2001:db8::zz]' is not an IPv6 literal in brackets"},
    {"\"type\":\"http\",\"host\":\"[2001:db8::1]8443\"", NULL,
     "checks[0].host: '[2001:db8::1]8443' has a bad port"},
    {"\"type\":\"http\",\"host\":\"a..b\"", NULL, "checks[0].host: 'a..b' is not a host name"},
    {"\"type\":\"http\",\"host\":\"example.com.\"", NULL,
     "checks[0].host: 'example.com.' is not a host name"},
    {"\"type\":\"http\",\"host\":7", NULL, "checks[0].host: expected a string"},
    /* ports of the address */
    {"\"type\":\"tcp\",\"port\":65535", "\"port\":65535", NULL},
    {"\"type\":\"tcp\",\"port\":0", NULL, "checks[0].port: expected an integer 1..65535"},
    {"\"type\":\"tcp\",\"port\":65536", NULL, "checks[0].port: expected an integer 1..65535"},
    {"\"type\":\"tcp\",\"port\":\"80\"", NULL, "checks[0].port: expected an integer 1..65535"},
    {"\"type\":\"tcp\",\"address\":\"www.example.com\"", NULL,
     "checks[0].address: 'www.example.com' is not a numeric IP address"},
    /* paths */
    {"\"type\":\"http\",\"path\":\"/health?full=1&x=%20\"", "\"path\":\"/health?full=1&x=%20\"",
     NULL},
    {"\"type\":\"http\",\"path\":\"health\"", NULL,
     "checks[0].path: 'health' is not a request path ('/' first)"},
    {"\"type\":\"http\",\"path\":\"/a b\"", NULL,
     "checks[0].path: '/a b' is not a request path (URL characters only"},
    {"\"type\":\"http\",\"path\":\"/a#b\"", NULL,
     "checks[0].path: '/a#b' is not a request path (URL characters only"},
    /* expected codes */
    {"\"type\":\"http\",\"expect_status\":[204,200,\"300-302\",\"404\"]",
     "\"expect_status\":[204,200,\"300-302\",404]", NULL},
    {"\"type\":\"http\",\"expect_status\":[\"100-599\"]", "\"expect_status\":[\"100-599\"]", NULL},
    {"\"type\":\"http\",\"expect_status\":[600]", NULL,
     "checks[0].expect_status[0]: codes must be 100..599, low first"},
    {"\"type\":\"http\",\"expect_status\":[99]", NULL,
     "checks[0].expect_status[0]: codes must be 100..599, low first"},
    {"\"type\":\"http\",\"expect_status\":[\"299-200\"]", NULL,
     "checks[0].expect_status[0]: codes must be 100..599, low first"},
    {"\"type\":\"http\",\"expect_status\":[\"2xx\"]", NULL,
     "checks[0].expect_status[0]: '2xx' is not a code or range"},
    {"\"type\":\"http\",\"expect_status\":[\"-200\"]", NULL,
     "checks[0].expect_status[0]: '-200' is not a code or range"},
    {"\"type\":\"http\",\"expect_status\":[]", NULL,
     "checks[0].expect_status: expected a list of 1..500 codes or ranges"},
    /* body, TLS, rtt, load */
    {"\"type\":\"http\",\"expect_body\":\"ok \\\"quoted\\\"\"",
     "\"expect_body\":\"ok \\\"quoted\\\"\"", NULL},
    {"\"type\":\"https\",\"tls_verify\":false", "\"tls_verify\":false", NULL},
    {"\"type\":\"http\",\"rtt\":\"first_byte\"", "\"rtt\":\"first_byte\"", NULL},
    {"\"type\":\"http\",\"rtt\":\"connect\"", "\"path\":\"/\"", NULL},
    {"\"type\":\"tcp\",\"rtt\":\"first_byte\"", NULL,
     "checks[0].rtt: \"first_byte\" needs an http(s) check"},
    {"\"type\":\"http\",\"load_source\":\"header\",\"load_name\":\"X-Load\"",
     "\"load_name\":\"X-Load\",\"load_source\":\"header\"", NULL},
    {"\"type\":\"http\",\"load_source\":\"json\",\"load_name\":\"stats.0.load\"",
     "\"load_name\":\"stats.0.load\",\"load_source\":\"json\"", NULL},
    {"\"type\":\"http\",\"load_source\":\"prometheus\",\"load_name\":\"node:load1\"",
     "\"load_name\":\"node:load1\",\"load_source\":\"prometheus\"", NULL},
    {"\"type\":\"http\",\"load_source\":\"json\",\"load_name\":\"a..b\"", NULL,
     "checks[0].load_name: 'a..b' is not a dotted JSON path"},
    {"\"type\":\"http\",\"load_source\":\"header\",\"load_name\":\"X Load\"", NULL,
     "checks[0].load_name: 'X Load' is not a header name"},
    {"\"type\":\"tcp\",\"load_source\":\"header\",\"load_name\":\"X\"", NULL,
     "checks[0].load_source: needs an http(s) check"},
    /* intervals and timeouts, as gslbd.conf bounds them */
    {"\"type\":\"tcp\",\"interval_ms\":500,\"timeout_ms\":100", "\"interval_ms\":500", NULL},
    {"\"type\":\"tcp\",\"interval_ms\":3600000,\"timeout_ms\":60000", "\"interval_ms\":3600000",
     NULL},
    {"\"type\":\"tcp\",\"interval_ms\":499", NULL,
     "checks[0].interval_ms: expected an integer 500..3600000"},
    {"\"type\":\"tcp\",\"timeout_ms\":60001,\"interval_ms\":70000", NULL,
     "checks[0].timeout_ms: expected an integer 100..60000"},
    {"\"type\":\"tcp\",\"interval_ms\":1000,\"timeout_ms\":1000", NULL,
     "checks[0]: timeout_ms: 1000 must be shorter than interval_ms (1000)"},
    /* the rest */
    {"\"type\":\"icmp\"", NULL, "checks[0].type: expected"},
    {"\"type\":\"tcp\",\"datacenter\":\"\"", NULL, "checks[0].datacenter: required"},
    {"\"type\":\"tcp\",\"extra\":[1,{}]", "\"type\":\"tcp\"", NULL}, /* unknown: ignored */
};

START_TEST(test_round_trip_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], *out = NULL, *again = NULL;
		struct gslb_err err = {{0}};
		int rc;

		/* BASE's members unless the case has its own (duplicates are
		 * refused by the JSON parser). */
		snprintf(
		    text, sizeof(text), "{%s%s%s}", cases[i].in,
		    strstr(cases[i].in, "\"address\"") != NULL ? "" : ",\"address\":\"192.0.2.10\"",
		    strstr(cases[i].in, "\"datacenter\"") != NULL ? ""
								  : ",\"datacenter\":\"dc-1\"");
		rc = round_trip(text, &out, &err);
		if (cases[i].want == NULL) {
			ck_assert_msg(rc == GSLB_EPARSE, "accepted %s as %s", text, out);
			ck_assert_msg(strncmp(err.msg, cases[i].why, strlen(cases[i].why)) == 0,
				      "%s: '%s', want '%s'", text, err.msg, cases[i].why);
			continue;
		}
		ck_assert_msg(rc == 0, "refused %s: %s", text, err.msg);
		ck_assert_msg(strstr(out, cases[i].want) != NULL, "%s: wrote %s, want %s", text,
			      out, cases[i].want);
		/* What was written reads back to the same text. */
		ck_assert_int_eq(round_trip(out, &again, &err), 0);
		ck_assert_str_eq(again, out);
		free(out);
		free(again);
	}
}
END_TEST

/* 253 bytes is the longest host name, with or without a port; 254 is
 * refused; a label of 64 too. */
START_TEST(test_host_lengths)
{
	char *n253 = long_name(253), *n254 = long_name(254), buf[300];
	struct check_spec c;

	memset(&c, 0, sizeof(c));
	ck_assert_uint_eq(strlen(n253), 253);
	ck_assert_ptr_null(check_spec_host_error(n253));
	snprintf(buf, sizeof(buf), "%s:65535", n253);
	ck_assert_ptr_null(check_spec_host_error(buf));
	check_spec_host_set(&c, buf);
	ck_assert_str_eq(c.host, n253);
	ck_assert_uint_eq(c.host_port, 65535);
	ck_assert(!c.host_is_ipv6);
	check_spec_host_format(&c, buf + 1, sizeof(buf) - 1);
	ck_assert_int_eq(strncmp(buf + 1, n253, 253), 0);
	ck_assert_str_eq(buf + 1 + 253, ":65535");
	ck_assert_ptr_nonnull(check_spec_host_error(n254));
	snprintf(buf, sizeof(buf), "%s:80", n254);
	ck_assert_ptr_nonnull(check_spec_host_error(buf));
	memset(buf, 'x', 64);
	strcpy(buf + 64, ".example");
	ck_assert_ptr_nonnull(check_spec_host_error(buf));
	memset(buf, 'x', 63);
	strcpy(buf + 63, ".example");
	ck_assert_ptr_null(check_spec_host_error(buf));
	check_spec_host_set(&c, "[2001:db8::7]:8443");
	ck_assert_str_eq(c.host, "2001:db8::7");
	ck_assert(c.host_is_ipv6);
	ck_assert_uint_eq(c.host_port, 8443);
	check_spec_fini(&c);
	ck_assert_ptr_null(c.host);
	free(n253);
	free(n254);
}
END_TEST

START_TEST(test_field_rules)
{
	char path[1100];

	path[0] = '/';
	memset(path + 1, 'p', 1023);
	path[1024] = '\0';
	ck_assert_ptr_null(check_spec_path_error(path));
	path[1024] = 'p';
	path[1025] = '\0';
	ck_assert_ptr_nonnull(check_spec_path_error(path));
	ck_assert_ptr_nonnull(check_spec_path_error(""));
	ck_assert_ptr_nonnull(check_spec_path_error(NULL));
	ck_assert_ptr_null(check_spec_body_error(NULL));
	ck_assert_ptr_null(check_spec_body_error(path + 1)); /* 1024 bytes */
	path[1025] = 'p';
	path[1026] = '\0';
	ck_assert_ptr_nonnull(check_spec_body_error(path + 1));
	ck_assert_ptr_null(check_spec_load_name_error(CHECK_SPEC_LOAD_HEADER, "X-Load"));
	ck_assert_ptr_nonnull(check_spec_load_name_error(CHECK_SPEC_LOAD_HEADER, ""));
	ck_assert_ptr_nonnull(check_spec_load_name_error(CHECK_SPEC_LOAD_PROMETHEUS, "1load"));
	ck_assert_ptr_nonnull(check_spec_load_name_error(CHECK_SPEC_LOAD_NONE, "x"));
	memset(path, 'h', 255);
	path[255] = '\0';
	ck_assert_ptr_null(check_spec_load_name_error(CHECK_SPEC_LOAD_HEADER, path));
	path[255] = 'h';
	path[256] = '\0';
	ck_assert_ptr_nonnull(check_spec_load_name_error(CHECK_SPEC_LOAD_HEADER, path));
}
END_TEST

static Suite *check_spec_suite(void)
{
	Suite *s = suite_create("check_spec");
	TCase *tc = tcase_create("valid");

	tcase_add_test(tc, test_round_trip_table);
	tcase_add_test(tc, test_host_lengths);
	suite_add_tcase(s, tc);
	tc = tcase_create("invalid");
	tcase_add_test(tc, test_field_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(check_spec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

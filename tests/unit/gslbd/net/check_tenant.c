/* Unit tests of gslbd/net/tenant.c: what a tenant's token sees of the
 * status document (its datacenters, its pools' names, the least_load
 * ranking of its datacenters alone; never the zones, the fleet link or the
 * state file). */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "gslbd/conf/conf.h"
#include "gslbd/net/tenant.h"

#define CONF                                                                                       \
	"zones:\n  - name: example.com\n    file: a.zone\n"                                        \
	"datacenters:\n"                                                                           \
	"  - {name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10}\n"              \
	"  - {name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10}\n"            \
	"  - {name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10}\n"        \
	"pools:\n"                                                                                 \
	"  - {name: web, datacenters: [us-east, eu-west, ap-southeast]}\n"                        \
	"  - {name: asia, datacenters: [ap-southeast]}\n"                                          \
	"tokens:\n"                                                                                \
	"  - {name: team-asia, token: team-asia-0123456789, pools: [asia]}\n"

static const char *const status_text =
    "{\"generation\": 3,"
    " \"datacenters\": [{\"name\": \"us-east\"}, {\"name\": \"eu-west\"},"
    "                   {\"name\": \"ap-southeast\"}],"
    " \"names\": [{\"name\": \"www.example.com\", \"pool\": \"web\"},"
    "             {\"name\": \"asia.example.com\", \"pool\": \"asia\"}],"
    " \"latency\": {\"eu\": [{\"datacenter\": \"eu-west\"}, {\"datacenter\": \"ap-southeast\"}]},"
    " \"least_load\": [\"eu-west\", \"ap-southeast\", \"us-east\"],"
    " \"zones\": [{\"name\": \"example.com\"}],"
    " \"etcd\": {\"connected\": true},"
    " \"state_file\": {\"path\": \"/var/lib/gslbd/state.json\", \"ok\": true},"
    " \"probes\": []}";

START_TEST(test_status_cut_to_the_tenant)
{
	struct config *cfg = NULL;
	struct gslb_err err = { "" };
	json_error_t jerr;
	json_t *st = json_loads(status_text, 0, &jerr);
	char *got;

	ck_assert_ptr_nonnull(st);
	ck_assert_msg(config_load_string("t.conf", "/etc/gslbd", CONF, &cfg, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(cfg->token_count, 1);
	tenant_filter_status(st, cfg, &cfg->tokens[0]);
	got = json_dumps(st, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(got, "{\"datacenters\":[{\"name\":\"ap-southeast\"}],\"generation\":3,"
			      "\"latency\":{\"eu\":[{\"datacenter\":\"ap-southeast\"}]},"
			      "\"least_load\":[\"ap-southeast\"],"
			      "\"names\":[{\"name\":\"asia.example.com\",\"pool\":\"asia\"}],"
			      "\"probes\":[],\"tenant\":\"team-asia\"}");
	free(got);
	json_decref(st);
	config_free(cfg);
}
END_TEST

static Suite *tenant_suite(void)
{
	Suite *s = suite_create("tenant");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, test_status_cut_to_the_tenant);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tenant_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

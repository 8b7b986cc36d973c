/* Unit tests of the control plane (gslbd/control/): a signed probe report
 * through control_report() to a published snapshot, operators' overrides
 * with their state file, the status document and the Prometheus text
 * (status.c), and explain. Each test loads a real config (written under the
 * build directory) with control_load() and publishes its snapshot as the
 * daemon does. */
#include <config.h>

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/alerts.h"
#include "gslbd/control/control.h"
#include "gslbd/control/explain.h"
#include "gslbd/control/history.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/report.h"
#include "gslbd/control/status.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/snapshot.h"

#define WORK      "check_control.tmp"
#define SECRET_US "0123456789abcdef0123"
#define SECRET_EU "fedcba9876543210fedc"

enum { DC_US, DC_EU, DC_AP };

static struct control *ctl;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Write the test config; extra goes at the end (may be ""). */
static void write_config(const char *extra)
{
	char *conf;

	mkdir(WORK, 0700);
	write_file(WORK "/gslb.test.zone",
		   "$ORIGIN gslb.test.\n$TTL 300\n"
		   "@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30\n"
		   "@ NS ns1.gslb.test.\nns1 A 192.0.2.53\n");
	conf = xasprintf(
	    "server: { listen: [127.0.0.1:0], workers: 1, state_file: state.json }\n"
	    "geoip: { database: %s/geo/test-city.mmdb }\n"
	    "zones: [ { name: gslb.test, file: gslb.test.zone } ]\n"
	    "checks: [ { name: web, type: tcp, port: 80, interval: 1s, timeout: 500ms } ]\n"
	    "health: { rise: 2, fall: 2, freshness: 30s, grace: 60s }\n"
	    "datacenters:\n"
	    "  - { name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10, "
	    "check: web }\n"
	    "  - { name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10, "
	    "check: web }\n"
	    "  - { name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10, "
	    "check: web }\n"
	    "probes:\n"
	    "  - { id: probe-us, region: us, latitude: 40.7, longitude: -74.0, secret: \"" SECRET_US
	    "\" }\n"
	    "  - { id: probe-eu, region: eu, latitude: 53.3, longitude: -6.2, secret: \"" SECRET_EU
	    "\" }\n"
	    "pools: [ { name: web, datacenters: [us-east, eu-west, ap-southeast], policy: nearest "
	    "} ]\n"
	    "names: [ { name: www.gslb.test, pool: web } ]\n%s",
	    TEST_DATA_DIR, extra);
	write_file(WORK "/gslbd.conf", conf);
	free(conf);
}

/* Load WORK/gslbd.conf into a started control plane and publish it. */
static void start(void)
{
	struct snapshot *snap = NULL;
	struct gslb_err err = {""};

	ctl = control_new(WORK "/gslbd.conf", false);
	ck_assert_msg(control_load(WORK "/gslbd.conf", NULL, &snap, &err) == 0, "%s", err.msg);
	ck_assert_msg(control_load_admin(ctl, snap, &err) == 0, "%s", err.msg);
	control_start(ctl, snap);
	snapshot_publish(snap);
}

static void stop(void)
{
	snapshot_shutdown();
	control_free(ctl);
	ctl = NULL;
}

static void setup(void)
{
	unlink(WORK "/state.json");
	write_config("");
	start();
}

static void teardown(void)
{
	stop();
	unlink(WORK "/state.json");
}

/* Send a signed report from probe (id, secret) saying datacenter dc is ok
 * or not. Returns the verdict. */
/* Sign body as probe (id, secret) at a timestamp after every earlier one
 * by at least step_ms (replay protection wants newer ones) and hand it to
 * control_report(). Returns the verdict; why gets the reason. */
static enum report_verdict report_body(const char *id, const char *secret, char *body,
				       uint64_t step_ms, size_t *accepted, char *why,
				       size_t why_len)
{
	static uint64_t last, seq;
	uint64_t ts = time_wall_ms();
	char sig[SIGN_HEX_LEN + 1], tss[32], boot[SIGN_BOOT_HEX_LEN + 1], seqs[24];
	struct report_auth auth = {id, boot, seqs, tss, sig};
	struct sign_stamp st;
	enum report_verdict v;

	if (ts < last + step_ms)
		ts = last + step_ms;
	last = ts;
	st = (struct sign_stamp){UINT64_C(0xc0ffee), ++seq, ts};
	sign_boot_format(st.boot, boot);
	snprintf(seqs, sizeof(seqs), "%llu", (unsigned long long)st.seq);
	snprintf(tss, sizeof(tss), "%llu", (unsigned long long)ts);
	sign_probe_request((const uint8_t *)secret, strlen(secret), "POST",
			   PROBE_PROTO_PATH_REPORTS, &st, body, strlen(body), sig);
	*accepted = 0;
	v = control_report(ctl, &auth, body, strlen(body), accepted, why, why_len);
	free(body);
	return v;
}

/* Send a signed report from probe (id, secret) saying datacenter dc is ok
 * or not. Returns the verdict. */
static enum report_verdict report(const char *id, const char *secret, const char *dc, bool ok)
{
	char *body = xasprintf("{\"" PROBE_PROTO_KEY_PROBE "\":\"%s\",\"" PROBE_PROTO_KEY_RESULTS
			       "\":[{\"" PROBE_PROTO_KEY_RESULT_DATACENTER
			       "\":\"%s\",\"" PROBE_PROTO_KEY_RESULT_OK
			       "\":%s,\"" PROBE_PROTO_KEY_RESULT_RTT_MS
			       "\":12.5,\"" PROBE_PROTO_KEY_RESULT_STATUS "\":0}]}",
			       id, dc, ok ? "true" : "false");
	char why[256] = "";
	size_t accepted;
	enum report_verdict v = report_body(id, secret, body, 1, &accepted, why, sizeof(why));

	ck_assert_msg(v != REPORT_OK || accepted == 1, "accepted %zu", accepted);
	return v;
}

START_TEST(test_report_to_snapshot)
{
	uint64_t gen = snapshot_current()->generation;

	ck_assert_int_eq(snapshot_current()->dc_state[DC_US], DC_STATE_UP);
	/* rise 2: two good reports from each probe make us-east UP; the state
	 * DNS reads (answered) does not change: nothing is published */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(report("probe-us", SECRET_US, "us-east", true), REPORT_OK);
		ck_assert_int_eq(report("probe-eu", SECRET_EU, "us-east", true), REPORT_OK);
	}
	ck_assert_uint_eq(snapshot_current()->generation, gen);
	/* fall 2 from both probes (a strict majority of two is both): DOWN,
	 * and a new snapshot says so */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(report("probe-us", SECRET_US, "us-east", false), REPORT_OK);
	ck_assert_int_eq(snapshot_current()->dc_state[DC_US], DC_STATE_UP);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(report("probe-eu", SECRET_EU, "us-east", false), REPORT_OK);
	ck_assert_int_eq(snapshot_current()->dc_state[DC_US], DC_STATE_DOWN);
	ck_assert_uint_gt(snapshot_current()->generation, gen);
	ck_assert_int_eq(snapshot_current()->dc_state[DC_EU], DC_STATE_UP);
	/* the snapshot shares config and maps with the first one */
	ck_assert_ptr_nonnull(snapshot_current()->maps);
}
END_TEST

/* Alerts the control plane made, as "event:subject" joined by spaces. */
static char alerts_seen[1024];
static struct alert last_alert;

/* Their triggers, "event:subject=trigger" joined by spaces. */
static char triggers_seen[2048];

static void collect_alert(const struct alert *a, void *arg)
{
	size_t n = strlen(alerts_seen), m = strlen(triggers_seen);

	(void)arg;
	snprintf(alerts_seen + n, sizeof(alerts_seen) - n, "%s%s:%s", n > 0 ? " " : "",
		 config_alert_event_name(a->event), a->subject);
	snprintf(triggers_seen + m, sizeof(triggers_seen) - m, "%s%s:%s=%s", m > 0 ? " " : "",
		 config_alert_event_name(a->event), a->subject, a->trigger);
	last_alert = *a;
}

/* A fleet_write_fn standing in for the store: takes every write at the
 * next revision. */
static int64_t store_revision = 100;

static int store_write(void *arg, const char *dc, enum admin_state st, uint64_t since_ms,
		       const char *author, const char *reason, int64_t expect, int64_t *revision,
		       struct gslb_err *err)
{
	(void)arg, (void)dc, (void)st, (void)since_ms, (void)author, (void)reason, (void)expect;
	(void)err;
	*revision = ++store_revision;
	return 0;
}

/* Changes of the fleet's store: each applied on its own in the order of
 * the store's revisions, so that the states a change alters are alerted
 * with its trigger, as on the gslbd that wrote it; and that gslbd names
 * its alerts alike. */
START_TEST(test_fleet_apply)
{
	struct fleet_entry e[3];

	control_set_alert_sink(ctl, collect_alert, NULL);
	/* Two drains read at once, listed in another order than written. */
	memset(e, 0, sizeof(e));
	snprintf(e[0].dc, sizeof(e[0].dc), "eu-west");
	e[0].state = ADMIN_DRAIN;
	e[0].since_ms = 1000;
	e[0].mod_revision = 12;
	snprintf(e[1].dc, sizeof(e[1].dc), "ap-southeast");
	e[1].state = ADMIN_DRAIN;
	e[1].since_ms = 990;
	e[1].mod_revision = 11;
	alerts_seen[0] = triggers_seen[0] = '\0';
	control_fleet_apply(ctl, e, 2, 12);
	ck_assert_str_eq(triggers_seen, "drained:ap-southeast=admin:ap-southeast:drain:r11 "
					"down:ap-southeast=admin:ap-southeast:drain:r11 "
					"drained:eu-west=admin:eu-west:drain:r12 "
					"down:eu-west=admin:eu-west:drain:r12");
	ck_assert_int_eq(snapshot_current()->dc_state[DC_EU], DC_STATE_DOWN);
	/* The undrain of eu-west is kept as state none at its own revision
	 * (the key only moves forward), read with a force-up after it. */
	e[0].state = ADMIN_NONE;
	e[0].mod_revision = 14;
	e[1].state = ADMIN_FORCE_UP;
	e[1].mod_revision = 13;
	alerts_seen[0] = triggers_seen[0] = '\0';
	control_fleet_apply(ctl, e, 2, 14);
	ck_assert_str_eq(
	    triggers_seen,
	    "forced_up:ap-southeast=admin:ap-southeast:force-up:r13 "
	    "up:ap-southeast=admin:ap-southeast:force-up:r13 "
	    "undrained:eu-west=admin:eu-west:none:r14 up:eu-west=admin:eu-west:none:r14");
	ck_assert_int_eq(control_fleet_revision(ctl, "eu-west"), 14);
	/* Read again: nothing changed, nothing said. */
	alerts_seen[0] = triggers_seen[0] = '\0';
	control_fleet_apply(ctl, e, 2, 14);
	ck_assert_str_eq(triggers_seen, "");
	/* A write through this gslbd: its alerts carry the revision the store
	 * took it at, and the next write expects that revision. */
	control_set_fleet_writer(ctl, store_write, NULL);
	ck_assert_int_eq(control_admin_set_rev(ctl, "us-east", ADMIN_DRAIN, -1, NULL, NULL, NULL),
			 0);
	ck_assert_str_eq(triggers_seen, "drained:us-east=admin:us-east:drain:r101 "
					"down:us-east=admin:us-east:drain:r101");
	ck_assert_int_eq(control_fleet_revision(ctl, "us-east"), 101);
	/* A read from before that write (in flight meanwhile) does not undo
	 * it; the next one has it, and nothing changes. */
	alerts_seen[0] = triggers_seen[0] = '\0';
	control_fleet_apply(ctl, e, 2, 14);
	ck_assert_str_eq(triggers_seen, "");
	ck_assert_int_eq(snapshot_current()->dc_state[DC_US], DC_STATE_DOWN);
	snprintf(e[2].dc, sizeof(e[2].dc), "us-east");
	e[2].state = ADMIN_DRAIN;
	e[2].mod_revision = 101;
	control_fleet_apply(ctl, e, 3, 101);
	ck_assert_str_eq(triggers_seen, "");
	ck_assert_int_eq(snapshot_current()->dc_state[DC_US], DC_STATE_DOWN);
	control_set_fleet_writer(ctl, NULL, NULL);
	control_set_alert_sink(ctl, NULL, NULL);
}
END_TEST

START_TEST(test_alerts)
{
	struct gslb_err err = {""};
	struct alert a = {.event = CONFIG_ALERT_DOWN, .subject = "eu-west", .trigger = "x"}, b;
	char *json;

	control_set_alert_sink(ctl, collect_alert, NULL);
	/* A drain: the override, then the state it changed. */
	alerts_seen[0] = '\0';
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_DRAIN, &err), 0);
	ck_assert_str_eq(alerts_seen, "drained:eu-west down:eu-west");
	ck_assert_msg(strncmp(last_alert.trigger, "admin:eu-west:drain:", 20) == 0, "%s",
		      last_alert.trigger);
	/* Drained again: nothing changes, nothing is said. */
	alerts_seen[0] = '\0';
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_DRAIN, &err), 0);
	ck_assert_str_eq(alerts_seen, "");
	/* Every datacenter of the pool drained: the pool fails open. */
	ck_assert_int_eq(control_admin_set(ctl, "us-east", ADMIN_DRAIN, &err), 0);
	alerts_seen[0] = '\0';
	ck_assert_int_eq(control_admin_set(ctl, "ap-southeast", ADMIN_DRAIN, &err), 0);
	ck_assert_str_eq(alerts_seen, "drained:ap-southeast down:ap-southeast fail_open:web");
	alerts_seen[0] = '\0';
	ck_assert_int_eq(control_admin_set(ctl, "ap-southeast", ADMIN_FORCE_UP, &err), 0);
	ck_assert_str_eq(alerts_seen, "forced_up:ap-southeast up:ap-southeast fail_closed:web");
	alerts_seen[0] = '\0';
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_NONE, &err), 0);
	ck_assert_str_eq(alerts_seen, "undrained:eu-west up:eu-west");
	/* Health: two probes, fall 2: the report that takes us-east down is
	 * the trigger. */
	ck_assert_int_eq(control_admin_set(ctl, "us-east", ADMIN_NONE, &err), 0);
	alerts_seen[0] = '\0';
	for (int i = 0; i < 2; i++) {
		report("probe-us", SECRET_US, "us-east", false);
		report("probe-eu", SECRET_EU, "us-east", false);
	}
	ck_assert_str_eq(alerts_seen, "down:us-east");
	ck_assert_msg(strncmp(last_alert.trigger, "report:probe-eu:", 16) == 0, "%s",
		      last_alert.trigger);
	/* Reports with a cycle: the trigger is what the probe observed (boot
	 * id and cycle), not the copy's time or seq, so every gslbd the probe
	 * reports to names it alike. */
	alerts_seen[0] = '\0';
	for (int i = 0; i < 2; i++) {
		const char *ids[2][2] = {{"probe-us", SECRET_US}, {"probe-eu", SECRET_EU}};

		for (int p = 0; p < 2; p++) {
			char why[256] = "";
			size_t accepted;
			char *body = xasprintf(
			    "{\"" PROBE_PROTO_KEY_PROBE "\":\"%s\",\"" PROBE_PROTO_KEY_CYCLE
			    "\":%d,\"" PROBE_PROTO_KEY_RESULTS
			    "\":[{\"" PROBE_PROTO_KEY_RESULT_DATACENTER
			    "\":\"us-east\",\"" PROBE_PROTO_KEY_RESULT_OK "\":true}]}",
			    ids[p][0], 41 + i);

			ck_assert_int_eq(report_body(ids[p][0], ids[p][1], body, 1000, &accepted,
						     why, sizeof(why)),
					 REPORT_OK);
		}
	}
	ck_assert_str_eq(alerts_seen, "up:us-east");
	ck_assert_str_eq(last_alert.trigger, "report:probe-eu:0000000000c0ffee:42");
	control_set_alert_sink(ctl, NULL, NULL);

	/* The id follows from event, subject and trigger alone. */
	b = a;
	b.wall_ms = 12345;
	snprintf(b.reason, sizeof(b.reason), "another reason");
	alert_finish(&a);
	alert_finish(&b);
	ck_assert_str_eq(a.id, b.id);
	ck_assert_uint_eq(strlen(a.id), ALERT_ID_LEN);
	snprintf(b.trigger, sizeof(b.trigger), "y");
	alert_finish(&b);
	ck_assert_str_ne(a.id, b.id);
	json = alert_json(&a, "ns1");
	ck_assert_ptr_nonnull(strstr(json, "\"event\":\"down\""));
	ck_assert_ptr_nonnull(strstr(json, "\"instance\":\"ns1\""));
	ck_assert_ptr_nonnull(strstr(json, a.id));
	free(json);
	/* Backoff: doubling from the base, capped. */
	ck_assert_uint_eq(alert_backoff_ms(300, 1), 300);
	ck_assert_uint_eq(alert_backoff_ms(300, 2), 600);
	ck_assert_uint_eq(alert_backoff_ms(300, 3), 1200);
	ck_assert_uint_eq(alert_backoff_ms(1000, 40), ALERT_BACKOFF_MAX_MS);
}
END_TEST

START_TEST(test_report_refused)
{
	uint64_t gen = snapshot_current()->generation;

	/* signed with the other probe's key */
	ck_assert_int_ne(report("probe-us", SECRET_EU, "us-east", false), REPORT_OK);
	ck_assert_int_ne(report("probe-xx", SECRET_US, "us-east", false), REPORT_OK);
	ck_assert_uint_eq(snapshot_current()->generation, gen);
}
END_TEST

START_TEST(test_admin_drain_persists)
{
	struct gslb_err err = {""};
	uint64_t since = 0;
	struct admin_table *t = NULL;

	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_DRAIN, &err), 0);
	ck_assert_int_eq(snapshot_current()->dc_state[DC_EU], DC_STATE_DOWN);
	ck_assert_int_eq(control_admin_set(ctl, "nowhere", ADMIN_DRAIN, &err), GSLB_ENOENT);
	ck_assert_msg(strstr(err.msg, "nowhere") != NULL, "%s", err.msg);
	/* the state file has it, and a restarted control plane applies it */
	ck_assert_int_eq(admin_table_load(WORK "/state.json", &t, &err), 0);
	ck_assert_int_eq(admin_table_get(t, "eu-west", &since), ADMIN_DRAIN);
	ck_assert_uint_gt(since, 0);
	admin_table_free(t);
	stop();
	start();
	ck_assert_int_eq(snapshot_current()->dc_state[DC_EU], DC_STATE_DOWN);
	/* force-up beats a down verdict; undrain gives health back */
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_FORCE_UP, &err), 0);
	ck_assert_int_eq(snapshot_current()->dc_state[DC_EU], DC_STATE_UP);
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_NONE, &err), 0);
	ck_assert_int_eq(admin_table_load(WORK "/state.json", &t, &err), 0);
	ck_assert_int_eq(admin_table_get(t, "eu-west", NULL), ADMIN_NONE);
	admin_table_free(t);
}
END_TEST

START_TEST(test_admin_bad_state_file)
{
	struct snapshot *snap = NULL;
	struct control *other = control_new(WORK "/gslbd.conf", false);
	struct gslb_err err = {""};

	write_file(WORK "/state.json", "{ \"eu-west\": ");
	ck_assert_int_eq(control_load(WORK "/gslbd.conf", NULL, &snap, &err), 0);
	ck_assert_int_ne(control_load_admin(other, snap, &err), 0);
	ck_assert_msg(strstr(err.msg, "state.json") != NULL, "%s", err.msg);
	snapshot_free(snap);
	control_free(other);
}
END_TEST

START_TEST(test_status_json)
{
	struct gslb_err err = {""};
	json_t *st, *dcs, *eu;

	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_DRAIN, &err), 0);
	ck_assert_int_eq(report("probe-us", SECRET_US, "us-east", true), REPORT_OK);
	st = status_json(ctl, snapshot_current(), time_mono_ms());
	ck_assert_uint_eq(json_integer_value(json_object_get(st, "generation")),
			  snapshot_current()->generation);
	dcs = json_object_get(st, "datacenters");
	ck_assert_uint_eq(json_array_size(dcs), 3);
	eu = json_array_get(dcs, DC_EU);
	ck_assert_str_eq(json_string_value(json_object_get(eu, "name")), "eu-west");
	ck_assert_str_eq(json_string_value(json_object_get(eu, "state")), "down");
	ck_assert_str_eq(json_string_value(json_object_get(eu, "admin")), "drain");
	ck_assert_str_eq(json_string_value(json_object_get(eu, "reason")), "drained by operator");
	/* the probe's view of us-east, and its report age */
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(dcs, DC_US), "probes")),
			  1);
	ck_assert(json_is_integer(json_object_get(json_array_get(json_object_get(st, "probes"), 0),
						  "last_report_age_ms")));
	ck_assert(json_is_null(json_object_get(json_array_get(json_object_get(st, "probes"), 1),
					       "last_report_age_ms")));
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(json_object_get(st, "names"), 0), "pool")),
			 "web");
	json_decref(st);
}
END_TEST

START_TEST(test_metrics_text)
{
	struct metrics_shard *shard = metrics_shard_new();
	struct metrics_shard *sum = xmalloc(sizeof(*sum));
	size_t len = 0;
	char *text, want[64];

	for (int i = 0; i < 3; i++)
		metrics_count_dc(shard, DC_AP);
	metrics_count_dropped(shard);
	ck_assert_int_eq(report("probe-eu", SECRET_EU, "us-east", true), REPORT_OK);
	ck_assert_int_ne(report("probe-eu", SECRET_US, "us-east", true), REPORT_OK);
	metrics_sum(sum);
	text = status_metrics_text(ctl, snapshot_current(), sum, time_mono_ms(), &len);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_msg(
	    strstr(text, "gslbd_datacenter_answers_total{datacenter=\"ap-southeast\"} 3\n"), "%s",
	    text);
	ck_assert_msg(strstr(text, "gslbd_datacenter_up{datacenter=\"eu-west\"} 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "gslbd_dns_dropped_total 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "gslbd_reports_total{result=\"accepted\"} 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "# TYPE gslbd_probe_report_age_seconds gauge\n"
				   "gslbd_probe_report_age_seconds{probe=\"probe-eu\"} "),
		      "%s", text);
	snprintf(want, sizeof(want), "gslbd_snapshot_generation %llu\n",
		 (unsigned long long)snapshot_current()->generation);
	ck_assert_msg(strstr(text, want), "%s", text);
	free(text);
	free(sum);
	metrics_shutdown();
}
END_TEST

/* The series the dashboard draws: pools, overrides, what each probe says. */
START_TEST(test_metrics_dashboard)
{
	struct metrics_shard *shard = metrics_shard_new();
	struct metrics_shard *sum = xmalloc(sizeof(*sum));
	struct lb_decision *d = xcalloc(1, sizeof(*d));
	struct answer_result res;
	struct gslb_err err = {""};
	size_t len = 0;
	char *text;

	memset(&res, 0, sizeof(res));
	res.action = ANSWER_SEND;
	res.qtype = 1;
	res.lb = d;
	d->chosen_count = 1;
	metrics_count_result(shard, &res); /* preferred */
	d->failed_open = true;
	metrics_count_result(shard, &res);
	metrics_count_result(shard, &res); /* fail_open twice */
	ck_assert_int_eq(control_admin_set(ctl, "eu-west", ADMIN_DRAIN, &err), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(report("probe-eu", SECRET_EU, "us-east", true), REPORT_OK);
		ck_assert_int_eq(report("probe-us", SECRET_US, "ap-southeast", false), REPORT_OK);
	}
	metrics_sum(sum);
	text = status_metrics_text(ctl, snapshot_current(), sum, time_mono_ms(), &len);
	ck_assert_msg(
	    strstr(text, "gslbd_pool_answers_total{pool=\"web\",outcome=\"preferred\"} 1\n"), "%s",
	    text);
	ck_assert_msg(
	    strstr(text, "gslbd_pool_answers_total{pool=\"web\",outcome=\"fallback\"} 0\n"), "%s",
	    text);
	ck_assert_msg(
	    strstr(text, "gslbd_pool_answers_total{pool=\"web\",outcome=\"fail_open\"} 2\n"), "%s",
	    text);
	ck_assert_msg(
	    strstr(text, "gslbd_pool_datacenter_info{pool=\"web\",datacenter=\"eu-west\"} 1\n"),
	    "%s", text);
	/* eu-west drained, ap-southeast down: us-east alone is answered */
	ck_assert_msg(strstr(text, "gslbd_pool_datacenters_up{pool=\"web\"} 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "gslbd_datacenter_admin_state{datacenter=\"eu-west\","
				   "state=\"drain\"} 1\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "gslbd_datacenter_admin_state{datacenter=\"us-east\","
				   "state=\"drain\"} 0\n"),
		      "%s", text);
	ck_assert_msg(
	    strstr(text, "gslbd_datacenter_admin_since_timestamp_seconds{datacenter=\"eu-west\"} "),
	    "%s", text);
	ck_assert_msg(
	    !strstr(text, "gslbd_datacenter_admin_since_timestamp_seconds{datacenter=\"us-east\"}"),
	    "%s", text);
	ck_assert_msg(strstr(text, "gslbd_probe_datacenter_up{probe=\"probe-eu\",region=\"eu\","
				   "datacenter=\"us-east\"} 1\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "gslbd_probe_datacenter_up{probe=\"probe-us\",region=\"us\","
				   "datacenter=\"ap-southeast\"} 0\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "gslbd_probe_rtt_seconds{probe=\"probe-eu\",region=\"eu\","
				   "datacenter=\"us-east\"} 0.012500\n"),
		      "%s", text);
	free(text);
	free(sum);
	free(d);
	metrics_shutdown();
}
END_TEST

/* The status page's history on a virtual clock: samples every 10 s with
 * the answers since the one before, events, the one-hour window and the
 * bound on events. */
START_TEST(test_history)
{
	struct history *h = history_new();
	struct metrics_shard *shard = metrics_shard_new();
	struct admin_table *admin = admin_table_new();
	const struct snapshot *snap = snapshot_current();
	const uint64_t t0 = 1800000000000;
	struct alert a;
	json_t *j, *us, *eu, *ev;

	for (int i = 0; i < 5; i++)
		metrics_count_dc(shard, DC_US);
	ck_assert(history_sample(h, snap, admin, t0));
	ck_assert(!history_sample(h, snap, admin, t0 + HISTORY_SAMPLE_MS - 1));
	for (int i = 0; i < 3; i++)
		metrics_count_dc(shard, DC_US);
	metrics_count_dc(shard, DC_EU);
	memset(&a, 0, sizeof(a));
	a.event = CONFIG_ALERT_DRAINED;
	snprintf(a.subject, sizeof(a.subject), "eu-west");
	snprintf(a.reason, sizeof(a.reason), "set by operator");
	a.wall_ms = t0 + 5000;
	history_event(h, &a);
	ck_assert(admin_table_set(admin, "eu-west", ADMIN_DRAIN, t0 + 5000));
	ck_assert(history_sample(h, snap, admin, t0 + HISTORY_SAMPLE_MS));
	metrics_count_dc(shard, DC_US);

	/* two samples and now; the answers of each interval; the live one */
	j = history_json(h, snap, admin, t0 + HISTORY_SAMPLE_MS + 2000);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "times")), 3);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(j, "times"), 1)),
			 (json_int_t)(t0 + HISTORY_SAMPLE_MS));
	us = json_array_get(json_object_get(j, "datacenters"), DC_US);
	eu = json_array_get(json_object_get(j, "datacenters"), DC_EU);
	ck_assert_str_eq(json_string_value(json_object_get(us, "name")), "us-east");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(us, "answers"), 0)), 5);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(us, "answers"), 1)), 3);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(us, "answers"), 2)), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(eu, "answers"), 1)), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(eu, "states"), 0)), "up");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(eu, "states"), 1)),
			 "drained");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(eu, "states"), 2)),
			 "drained");
	ev = json_array_get(json_object_get(j, "events"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "drained");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "datacenter")), "eu-west");
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "time_ms")),
			 (json_int_t)(t0 + 5000));
	json_decref(j);

	/* an hour later, what came before the window is gone; events are
	 * bounded, the newest kept */
	for (unsigned i = 0; i < HISTORY_EVENTS + 10; i++) {
		a.wall_ms = t0 + HISTORY_WINDOW_MS + i;
		history_event(h, &a);
	}
	ck_assert(history_sample(h, snap, admin, t0 + HISTORY_WINDOW_MS + 20000));
	j = history_json(h, snap, admin, t0 + HISTORY_WINDOW_MS + 20000);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "times")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "events")), HISTORY_EVENTS);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "events"), HISTORY_EVENTS - 1), "time_ms")),
	    (json_int_t)(t0 + HISTORY_WINDOW_MS + HISTORY_EVENTS + 9));
	json_decref(j);
	/* the ring of samples stays at HISTORY_SAMPLES */
	for (unsigned i = 1; i <= HISTORY_SAMPLES + 5; i++)
		ck_assert(history_sample(h, snap, admin,
					 t0 + 2 * HISTORY_WINDOW_MS + i * HISTORY_SAMPLE_MS));
	j = history_json(h, snap, admin, t0 + 2 * HISTORY_WINDOW_MS + 400 * HISTORY_SAMPLE_MS);
	ck_assert_uint_le(json_array_size(json_object_get(j, "times")), HISTORY_SAMPLES + 1);
	ck_assert_uint_gt(json_array_size(json_object_get(j, "times")), 300);
	json_decref(j);
	admin_table_free(admin);
	history_free(h);
	metrics_shutdown();
}
END_TEST

START_TEST(test_explain)
{
	struct explain_query q = {
	    .name = "www.gslb.test", .client = "127.0.0.1", .ecs = "81.2.69.0/24", .qtype = 1};
	struct gslb_err err = {""};
	json_t *j = explain_json(snapshot_current(), &q, &err);
	json_t *loc, *answer;

	ck_assert_msg(j != NULL, "%s", err.msg);
	ck_assert_str_eq(json_string_value(json_object_get(j, "pool")), "web");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "ecs_scope")), 24);
	loc = json_object_get(j, "location");
	ck_assert(json_is_true(json_object_get(loc, "found")));
	ck_assert_str_eq(json_string_value(json_object_get(loc, "country")), "GB");
	answer = json_array_get(json_object_get(j, "answer"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(answer, "datacenter")), "eu-west");
	/* every candidate, with distances, although the answer came from a map */
	ck_assert_uint_eq(json_array_size(json_object_get(j, "candidates")), 3);
	ck_assert(json_is_real(
	    json_object_get(json_array_get(json_object_get(j, "candidates"), 0), "distance_km")));
	json_decref(j);
}
END_TEST

START_TEST(test_explain_invalid)
{
	struct explain_query q = {.name = "nothere.gslb.test", .client = "127.0.0.1", .qtype = 1};
	struct gslb_err err = {""};

	ck_assert_ptr_null(explain_json(snapshot_current(), &q, &err));
	ck_assert_msg(err.msg[0] != '\0', "no message");
	q.name = "www.gslb.test";
	q.client = "not-an-address";
	ck_assert_ptr_null(explain_json(snapshot_current(), &q, &err));
	ck_assert_msg(strstr(err.msg, "not-an-address") != NULL, "%s", err.msg);
	q.client = "127.0.0.1";
	q.ecs = "81.2.69.1/24";
	ck_assert_ptr_null(explain_json(snapshot_current(), &q, &err));
}
END_TEST

/* Send a signed report from probe (id, secret) on dc, passed, with load
 * (a JSON value as text, or NULL for none). Returns the verdict. */
static enum report_verdict report_load(const char *id, const char *secret, const char *dc,
				       const char *load)
{
	char *body = xasprintf("{\"" PROBE_PROTO_KEY_PROBE "\":\"%s\",\"" PROBE_PROTO_KEY_RESULTS
			       "\":[{\"" PROBE_PROTO_KEY_RESULT_DATACENTER
			       "\":\"%s\",\"" PROBE_PROTO_KEY_RESULT_OK
			       "\":true,\"" PROBE_PROTO_KEY_RESULT_STATUS "\":200%s%s}]}",
			       id, dc, load != NULL ? ",\"" PROBE_PROTO_KEY_RESULT_LOAD "\":" : "",
			       load != NULL ? load : "");
	char why[256] = "";
	size_t accepted;
	/* a second apart: loads are told apart by their time */
	enum report_verdict v = report_body(id, secret, body, 1000, &accepted, why, sizeof(why));

	ck_assert_msg(v == REPORT_OK, "refused: %s", why);
	return v;
}

/* Reported loads through control_report() to a published snapshot: the
 * median utilisation, the spill-over share as a hash threshold, the
 * least_load ranking; shown by status, metrics and explain; a malformed
 * load is ignored and health is untouched; a reload keeps the shares. */
START_TEST(test_load_to_snapshot)
{
	const struct snapshot *snap;
	struct gslb_err err = {""};
	struct explain_query q = {"fo.gslb.test", "192.0.2.1", NULL, 1, NULL};
	json_t *j;
	char *text;
	size_t len;
	uint64_t gen;

	stop();
	write_config("");
	{
		char *conf = xasprintf(
		    "server: { listen: [127.0.0.1:0], workers: 1 }\n"
		    "zones: [ { name: gslb.test, file: gslb.test.zone } ]\n"
		    "checks: [ { name: web, load: { json: stats.load } } ]\n"
		    "load: { high_water: 80, low_water: 60, max_step: 100 }\n"
		    "datacenters:\n"
		    "  - { name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10, "
		    "check: web, capacity: 100 }\n"
		    "  - { name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10, "
		    "check: web, capacity: 100 }\n"
		    "  - { name: ap-southeast, latitude: 1.35, longitude: 103.82, "
		    "ipv4: 203.0.113.10 }\n"
		    "probes:\n"
		    "  - { id: probe-us, region: us, latitude: 40.7, longitude: -74.0, secret: "
		    "\"%s\" }\n"
		    "  - { id: probe-eu, region: eu, latitude: 53.3, longitude: -6.2, secret: "
		    "\"%s\" }\n"
		    "pools:\n"
		    "  - { name: fo, policy: failover, datacenters: [eu-west, us-east] }\n"
		    "  - { name: ll, policy: least_load, datacenters: [eu-west, us-east, "
		    "ap-southeast] }\n"
		    "names: [ { name: fo.gslb.test, pool: fo }, { name: ll.gslb.test, pool: ll } "
		    "]\n",
		    SECRET_US, SECRET_EU);

		write_file(WORK "/gslbd.conf", conf);
		free(conf);
	}
	start();
	snap = snapshot_current();
	ck_assert_ptr_nonnull(snap->latency);
	ck_assert_ptr_nonnull(snap->latency->loads);
	ck_assert_uint_eq(snap->latency->loads[DC_EU].keep, LATENCY_KEEP_ALL);
	ck_assert_uint_eq(snap->latency->load_order_count, 0);

	/* eu-west at 160 %: it keeps what fits, half its clients */
	gen = snap->generation;
	report_load("probe-us", SECRET_US, "eu-west", "160");
	snap = snapshot_current();
	ck_assert_uint_gt(snap->generation, gen);
	ck_assert_uint_eq(snap->latency->loads[DC_EU].keep, LATENCY_KEEP_ALL / 2);
	ck_assert_double_eq_tol(snap->latency->loads[DC_EU].util, 1.6, 1e-9);
	/* the median of 160 and 150 (status shows it); the share holds, so
	 * DNS has nothing new: no snapshot (its utilisations date from the
	 * last change) */
	gen = snap->generation;
	report_load("probe-eu", SECRET_EU, "eu-west", "150");
	snap = snapshot_current();
	ck_assert_uint_eq(snap->generation, gen);
	ck_assert_uint_eq(snap->latency->loads[DC_EU].keep, LATENCY_KEEP_ALL / 2);
	/* explain from the API shows the utilisation status shows (the
	 * median, 1.55), not the snapshot's of the last change (1.6) */
	ck_assert_double_eq_tol(snap->latency->loads[DC_EU].util, 1.6, 1e-9);
	q.ctl = ctl;
	j = explain_json(snap, &q, &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	text = json_dumps(j, JSON_COMPACT);
	ck_assert_msg(strstr(text, "\"utilisation\":1.55,") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"share\":0.5") != NULL, "%s", text);
	free(text);
	json_decref(j);
	q.ctl = NULL;
	/* us-east at 30 %: it leads least_load */
	report_load("probe-us", SECRET_US, "us-east", "30");
	snap = snapshot_current();
	ck_assert_uint_eq(snap->latency->load_order_count, 2);
	ck_assert_uint_eq(snap->latency->load_order[0], DC_US);
	ck_assert_uint_eq(snap->latency->load_order[1], DC_EU);
	/* a malformed load: ignored, the result (and health) kept; us-east has
	 * no fresh load now and leaves the ranking */
	report_load("probe-us", SECRET_US, "us-east", "\"busy\"");
	snap = snapshot_current();
	ck_assert_int_eq(snap->dc_state[DC_US], DC_STATE_UP);

	j = status_json(ctl, snap, time_mono_ms());
	text = json_dumps(j, JSON_COMPACT);
	ck_assert_msg(strstr(text, "\"load\":{\"capacity\":100.0,\"samples\":2,\"share\":0.5,"
				   "\"load\":155.0,\"utilisation\":1.55}") != NULL,
		      "%s", text);
	ck_assert_msg(strstr(text, "\"load_error\":\"malformed load in report\"") != NULL, "%s",
		      text);
	ck_assert_msg(strstr(text, "\"least_load\":[\"eu-west\"]") != NULL, "%s", text);
	free(text);
	json_decref(j);
	{
		struct metrics_shard sum;

		memset(&sum, 0, sizeof(sum));
		text = status_metrics_text(ctl, snap, &sum, time_mono_ms(), &len);
		ck_assert_msg(strstr(text, "gslbd_datacenter_share{datacenter=\"eu-west\"} 0.5\n"),
			      "%s", text);
		ck_assert_msg(
		    strstr(text, "gslbd_datacenter_utilisation{datacenter=\"eu-west\"} 1.55\n"),
		    "%s", text);
		free(text);
	}
	j = explain_json(snap, &q, &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	text = json_dumps(j, JSON_COMPACT);
	ck_assert_msg(strstr(text, "\"share\":0.5") != NULL, "%s", text);
	free(text);
	json_decref(j);

	/* a reload keeps the share */
	ck_assert_msg(control_reload(ctl, &err) == 0, "%s", err.msg);
	snap = snapshot_current();
	ck_assert_uint_eq(snap->latency->loads[DC_EU].keep, LATENCY_KEEP_ALL / 2);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("valid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_to_snapshot);
	tcase_add_test(tc, test_admin_drain_persists);
	tcase_add_test(tc, test_status_json);
	tcase_add_test(tc, test_metrics_text);
	tcase_add_test(tc, test_metrics_dashboard);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_explain);
	tcase_add_test(tc, test_alerts);
	tcase_add_test(tc, test_fleet_apply);
	tcase_add_test(tc, test_load_to_snapshot);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_refused);
	tcase_add_test(tc, test_admin_bad_state_file);
	tcase_add_test(tc, test_explain_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

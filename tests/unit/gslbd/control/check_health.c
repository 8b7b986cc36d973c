/* Unit tests of the health and latency model (gslbd/control/health.c): rise/fall
 * per probe, quorum of fresh probes per datacenter, freshness, grace and
 * on_unknown, reloads, RTT smoothing and latency rankings with hysteresis.
 * Time is a fake clock passed to every call. */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/health.h"

/* Datacenters of the test config; all but DC_STATIC have a check. */
enum { DC_US, DC_EU, DC_AP, DC_STATIC, DC_COUNT };
/* Probes of the test config, one per region. */
enum { P_EU, P_US, P_AP, P_COUNT };

/* A datacenter of a hand-built config. */
struct dc_spec {
	const char *name; /* datacenter name */
	bool probed;      /* has a check */
};

/* A probe of a hand-built config. */
struct probe_spec {
	const char *id;     /* key id */
	const char *region; /* region it measures from */
	double lat;         /* position */
	double lon;
};

static const struct dc_spec base_dcs[] = {
    {"us-east", true}, {"eu-west", true}, {"ap-southeast", true}, {"static", false}, {NULL, false}};
static const struct probe_spec base_probes[] = {{"probe-eu", "eu-west", 53.35, -6.26},
						{"probe-us", "us-east", 40.71, -74.01},
						{"probe-ap", "ap-southeast", 1.35, 103.82},
						{NULL, NULL, 0, 0}};

static struct config *cfg;
static struct health *h;
static uint64_t now;

static struct config *config_build(const struct dc_spec *dcs, const struct probe_spec *probes)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->check_count = 1;
	c->checks = xcalloc(1, sizeof(*c->checks));
	c->checks[0].name = xstrdup("web");
	c->checks[0].type = CHECK_HTTP;
	while (dcs[c->datacenter_count].name != NULL)
		c->datacenter_count++;
	c->datacenters = xcalloc(c->datacenter_count, sizeof(*c->datacenters));
	for (size_t i = 0; i < c->datacenter_count; i++) {
		c->datacenters[i].name = xstrdup(dcs[i].name);
		c->datacenters[i].region = xstrdup(dcs[i].name);
		c->datacenters[i].weight = 100;
		c->datacenters[i].check = dcs[i].probed ? 0 : -1;
	}
	while (probes[c->probe_count].id != NULL)
		c->probe_count++;
	c->probes = xcalloc(c->probe_count, sizeof(*c->probes));
	for (size_t i = 0; i < c->probe_count; i++) {
		c->probes[i].id = xstrdup(probes[i].id);
		c->probes[i].region = xstrdup(probes[i].region);
		c->probes[i].lat = probes[i].lat;
		c->probes[i].lon = probes[i].lon;
	}
	c->health_rise = 2;
	c->health_fall = 3;
	c->health_quorum = 0;
	c->health_freshness_ms = 10000;
	c->health_grace_ms = 30000;
	c->health_on_unknown = HEALTH_UNKNOWN_UP;
	c->latency_hysteresis_pct = 20;
	c->latency_hysteresis_ms = 5;
	return c;
}

static void config_destroy(struct config *c)
{
	for (size_t i = 0; i < c->check_count; i++)
		free(c->checks[i].name);
	free(c->checks);
	for (size_t i = 0; i < c->datacenter_count; i++) {
		free(c->datacenters[i].name);
		free(c->datacenters[i].region);
	}
	free(c->datacenters);
	for (size_t i = 0; i < c->probe_count; i++) {
		free(c->probes[i].id);
		free(c->probes[i].region);
	}
	free(c->probes);
	free(c);
}

static void setup(void)
{
	now = 1000000;
	cfg = config_build(base_dcs, base_probes);
	h = health_new(cfg, now);
}

static void teardown(void)
{
	health_free(h);
	config_destroy(cfg);
}

/* Start over after changing cfg. */
static void renew(void)
{
	health_free(h);
	h = health_new(cfg, now);
}

/* One result from probe about dc; returns what health_report() says. */
static bool report_full(size_t probe, size_t dc, bool ok, double rtt, int status, const char *error)
{
	struct health_result r = {dc, ok, rtt, status, error, false, 0, NULL};

	return health_report(h, probe, &r, 1, now);
}

static bool report(size_t probe, size_t dc, bool ok)
{
	return report_full(probe, dc, ok, ok ? 10.0 : -1.0, ok ? 200 : 0,
			   ok ? NULL : "connect timeout");
}

/* Every probe reports on dc; returns true when any report said "changed". */
static bool report_all(size_t dc, bool ok)
{
	bool changed = false;

	for (size_t p = 0; p < P_COUNT; p++)
		changed |= report(p, dc, ok);
	return changed;
}

static enum health_state verdict(size_t probe, size_t dc)
{
	struct health_pair_view v;

	health_pair(h, probe, dc, now, &v);
	return v.verdict;
}

static void assert_reason(size_t dc, const char *part)
{
	const char *reason = health_dc_reason(h, dc);

	ck_assert_msg(strstr(reason, part) != NULL, "reason '%s' lacks '%s'", reason, part);
}

START_TEST(test_startup)
{
	for (size_t dc = DC_US; dc <= DC_AP; dc++) {
		ck_assert_int_eq(health_dc_state(h, dc), HEALTH_UNKNOWN);
		ck_assert(health_dc_answerable(h, dc));
		ck_assert_str_eq(health_dc_reason(h, dc), "no report yet");
		ck_assert_uint_eq(health_dc_changes(h, dc), 0);
	}
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_STATIC), "not probed");
	ck_assert_uint_eq(health_dc_changes(h, DC_STATIC), 0);
	ck_assert_uint_eq(health_probe_age_ms(h, P_EU, now), UINT64_MAX);
	/* Within the grace period from start nothing moves. */
	now += 30000;
	ck_assert(!health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
}
END_TEST

START_TEST(test_first_ok_sets_up)
{
	struct health_pair_view v;

	ck_assert(report(P_EU, DC_US, true));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_UP);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_US), "1 of 1 fresh probes report up");
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 1);
	health_pair(h, P_EU, DC_US, now + 1500, &v);
	ck_assert(v.has_result);
	ck_assert(v.fresh);
	ck_assert(v.last_ok);
	ck_assert_uint_eq(v.age_ms, 1500);
	ck_assert_int_eq(v.last_status, 200);
	ck_assert_ptr_null(v.last_error);
	ck_assert_double_eq_tol(v.rtt_ms, 10.0, 1e-9);
	ck_assert_uint_eq(health_probe_age_ms(h, P_EU, now + 1500), 1500);
	/* The same news again is no change. */
	now += 1000;
	ck_assert(!report(P_EU, DC_US, true));
	/* Other datacenters were not touched. */
	ck_assert_int_eq(health_dc_state(h, DC_EU), HEALTH_UNKNOWN);
	ck_assert_int_eq(verdict(P_EU, DC_EU), HEALTH_UNKNOWN);
}
END_TEST

START_TEST(test_rise_fall_exact)
{
	ck_assert(report(P_EU, DC_US, true));
	/* fall = 3: two failures keep the verdict, the third flips it. */
	now += 1000;
	ck_assert(!report(P_EU, DC_US, false));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_UP);
	now += 1000;
	ck_assert(!report(P_EU, DC_US, false));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_UP);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	now += 1000;
	ck_assert(report(P_EU, DC_US, false));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_DOWN);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert(!health_dc_answerable(h, DC_US));
	/* rise = 2: one success is not enough. */
	now += 1000;
	ck_assert(!report(P_EU, DC_US, true));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_DOWN);
	/* A failure in between resets the run. */
	now += 1000;
	ck_assert(!report(P_EU, DC_US, false));
	now += 1000;
	ck_assert(!report(P_EU, DC_US, true));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_DOWN);
	now += 1000;
	ck_assert(report(P_EU, DC_US, true));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_UP);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 3);
}
END_TEST

START_TEST(test_startup_failure)
{
	/* A first failure gives no verdict: one glitch does not fail a datacenter. */
	ck_assert(!report(P_EU, DC_US, false));
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_UNKNOWN);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
	ck_assert(health_dc_answerable(h, DC_US));
	assert_reason(DC_US, "no quorum of 1: 0 up, 0 down of 1 fresh probes");
	now += 1000;
	ck_assert(!report(P_EU, DC_US, false));
	now += 1000;
	ck_assert(report(P_EU, DC_US, false));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
}
END_TEST

START_TEST(test_lying_minority)
{
	ck_assert(report_all(DC_US, true));
	ck_assert_str_eq(health_dc_reason(h, DC_US), "3 of 3 fresh probes report up");
	for (int i = 0; i < 5; i++) {
		now += 1000;
		ck_assert(!report(P_EU, DC_US, false));
		ck_assert(!report(P_US, DC_US, true));
		ck_assert(!report(P_AP, DC_US, true));
	}
	ck_assert_int_eq(verdict(P_EU, DC_US), HEALTH_DOWN);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_US), "2 of 3 fresh probes report up");
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 1);
}
END_TEST

START_TEST(test_majority_down_and_back)
{
	report_all(DC_US, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report_full(P_EU, DC_US, false, -1, 0, "connect timeout");
		report_full(P_US, DC_US, false, 3.0, 503, NULL);
		report(P_AP, DC_US, true);
	}
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert(!health_dc_answerable(h, DC_US));
	/* The newest DOWN pair explains. */
	ck_assert_str_eq(health_dc_reason(h, DC_US),
			 "2 of 3 fresh probes report down (probe-us: status 503)");
	/* The down datacenter returns after `rise` successes from a quorum. */
	now += 1000;
	ck_assert(!report_all(DC_US, true));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	now += 1000;
	ck_assert(report(P_EU, DC_US, true));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_US), "2 of 3 fresh probes report up");
	ck_assert(!report(P_US, DC_US, true));
	ck_assert_str_eq(health_dc_reason(h, DC_US), "3 of 3 fresh probes report up");
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 3);
}
END_TEST

START_TEST(test_down_reason_error)
{
	report_all(DC_EU, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_EU, DC_EU, false);
		report(P_US, DC_EU, false);
	}
	ck_assert_int_eq(health_dc_state(h, DC_EU), HEALTH_DOWN);
	ck_assert_str_eq(health_dc_reason(h, DC_EU),
			 "2 of 3 fresh probes report down (probe-us: connect timeout)");
}
END_TEST

START_TEST(test_freshness)
{
	struct health_pair_view v;

	report_all(DC_AP, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_EU, DC_AP, false);
		report(P_US, DC_AP, false);
		report(P_AP, DC_AP, true);
	}
	ck_assert_int_eq(health_dc_state(h, DC_AP), HEALTH_DOWN);
	/* Exactly at the bound a result is still fresh. */
	now += 10000;
	ck_assert(!report(P_AP, DC_AP, true));
	ck_assert_int_eq(health_dc_state(h, DC_AP), HEALTH_DOWN);
	health_pair(h, P_EU, DC_AP, now, &v);
	ck_assert(v.fresh);
	ck_assert_uint_eq(v.age_ms, 10000);
	/* One ms later the two DOWN pairs are ignored; the only fresh one says up. */
	now += 1;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_AP), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_AP), "1 of 1 fresh probes report up");
	health_pair(h, P_EU, DC_AP, now, &v);
	ck_assert(!v.fresh);
	ck_assert(v.has_result);
	ck_assert_int_eq(v.verdict, HEALTH_DOWN);
	ck_assert_str_eq(v.last_error, "connect timeout");
	/* A stale verdict is old news: the pair starts over, so one success is up. */
	report(P_EU, DC_AP, true);
	ck_assert_int_eq(verdict(P_EU, DC_AP), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_AP), "2 of 2 fresh probes report up");
}
END_TEST

START_TEST(test_grace_on_unknown_up)
{
	report_all(DC_US, true);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	/* Stale after 10 s, then 30 s of grace. */
	now += 10001;
	health_tick(h, now); /* true: the stale RTTs leave the rankings */
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 1);
	assert_reason(DC_US, "no fresh report for 0s; up held");
	now += 29999;
	ck_assert(!health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	now += 1000;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
	ck_assert(health_dc_answerable(h, DC_US));
	ck_assert_str_eq(health_dc_reason(h, DC_US), "no fresh report for 31s; on_unknown=up");
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 2);
	/* Fresh data decides again. */
	now += 1000;
	ck_assert(report(P_US, DC_US, true));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
}
END_TEST

START_TEST(test_grace_on_unknown_down)
{
	cfg->health_on_unknown = HEALTH_UNKNOWN_DOWN;
	renew();
	/* A down datacenter stays down through the grace period... */
	report_all(DC_US, true);
	report_all(DC_EU, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report_all(DC_EU, false);
	}
	ck_assert_int_eq(health_dc_state(h, DC_EU), HEALTH_DOWN);
	/* eu-west went stale 30 s ago, us-east 33 s ago: us-east ran out. */
	now += 10000 + 30000;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_EU), HEALTH_DOWN);
	assert_reason(DC_EU, "down held");
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert(!health_dc_answerable(h, DC_US));
	ck_assert_str_eq(health_dc_reason(h, DC_US), "no fresh report for 33s; on_unknown=down");
	/* Never reported on: down after the start-up grace period. */
	ck_assert_int_eq(health_dc_state(h, DC_AP), HEALTH_DOWN);
	ck_assert_str_eq(health_dc_reason(h, DC_AP), "no report for 43s; on_unknown=down");
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UP);
	/* ...and eu-west a ms later, already down: no change. */
	now += 1;
	ck_assert(!health_tick(h, now));
	ck_assert_str_eq(health_dc_reason(h, DC_EU), "no fresh report for 30s; on_unknown=down");
}
END_TEST

START_TEST(test_startup_on_unknown_down)
{
	cfg->health_on_unknown = HEALTH_UNKNOWN_DOWN;
	renew();
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
	ck_assert(health_dc_answerable(h, DC_US));
	now += 30000;
	ck_assert(!health_tick(h, now));
	now += 1;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert(!health_dc_answerable(h, DC_US));
	ck_assert_str_eq(health_dc_reason(h, DC_US), "no report for 30s; on_unknown=down");
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UP);
}
END_TEST

START_TEST(test_grace_zero)
{
	cfg->health_grace_ms = 0;
	renew();
	report(P_EU, DC_US, true);
	now += 10000;
	ck_assert(!health_tick(h, now));
	now += 1;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
}
END_TEST

START_TEST(test_quorum_explicit)
{
	cfg->health_quorum = 1;
	renew();
	report_all(DC_US, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_EU, DC_US, false);
		report(P_US, DC_US, true);
		report(P_AP, DC_US, true);
	}
	/* Quorum 1: any one probe takes it down (down is decided first). */
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert_str_eq(health_dc_reason(h, DC_US),
			 "1 of 3 fresh probes report down (probe-eu: connect timeout)");

	cfg->health_quorum = 3;
	renew();
	report_all(DC_US, true);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_EU, DC_US, false);
		report(P_US, DC_US, false);
		report(P_AP, DC_US, true);
	}
	/* Quorum 3: two of three are not enough either way. */
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	assert_reason(DC_US, "no quorum of 3: 1 up, 2 down of 3 fresh probes; up held");
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_AP, DC_US, false);
	}
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	/* Fewer fresh probes than the quorum: held. */
	now += 10001;
	report(P_EU, DC_US, true);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
}
END_TEST

START_TEST(test_not_probed)
{
	struct health_result r[] = {{DC_STATIC, false, 5.0, 0, "refused", false, 0, NULL},
				    {DC_STATIC, false, 5.0, 0, "refused", false, 0, NULL},
				    {DC_STATIC, false, 5.0, 0, "refused", false, 0, NULL}};
	struct health_pair_view v;

	ck_assert(!health_report(h, P_EU, r, 3, now));
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UP);
	health_pair(h, P_EU, DC_STATIC, now, &v);
	ck_assert(!v.has_result);
	now += 3600000;
	ck_assert(!health_tick(h, now)); /* the probed ones stay unknown (on_unknown=up) */
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UP);
	ck_assert(health_dc_answerable(h, DC_STATIC));
	ck_assert_uint_eq(health_dc_changes(h, DC_STATIC), 0);
}
END_TEST

START_TEST(test_report_one_batch)
{
	struct health_result r[] = {
	    {DC_US, true, 12.0, 200, NULL, false, 0, NULL},
	    {DC_EU, false, -1, 0, "connection refused", false, 0, NULL},
	    {DC_AP, true, 100.0, 204, NULL, false, 0, NULL},
	    {DC_US, true, 14.0, 200, NULL, false, 0, NULL}, /* a repeat is applied in order */
	};
	struct health_pair_view v;

	ck_assert(health_report(h, P_EU, r, 4, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_int_eq(health_dc_state(h, DC_EU), HEALTH_UNKNOWN);
	ck_assert_int_eq(health_dc_state(h, DC_AP), HEALTH_UP);
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_double_eq_tol(v.rtt_ms, 0.3 * 14.0 + 0.7 * 12.0, 1e-9);
	health_pair(h, P_EU, DC_EU, now, &v);
	ck_assert_str_eq(v.last_error, "connection refused");
	ck_assert(!v.last_ok);
	ck_assert_double_lt(v.rtt_ms, 0);
	health_pair(h, P_EU, DC_AP, now, &v);
	ck_assert_int_eq(v.last_status, 204);
}
END_TEST

START_TEST(test_ewma)
{
	struct health_pair_view v;
	double expect;

	report_full(P_EU, DC_US, true, 100.0, 200, NULL);
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_double_eq_tol(v.rtt_ms, 100.0, 1e-9);
	report_full(P_EU, DC_US, true, 50.0, 200, NULL);
	expect = 0.3 * 50.0 + 0.7 * 100.0; /* 85 */
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_double_eq_tol(v.rtt_ms, expect, 1e-9);
	/* Unmeasured (and nonsense) samples are ignored. */
	report_full(P_EU, DC_US, false, -1.0, 0, "refused");
	report_full(P_EU, DC_US, true, NAN, 200, NULL);
	report_full(P_EU, DC_US, true, INFINITY, 200, NULL);
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_double_eq_tol(v.rtt_ms, expect, 1e-9);
	/* A failed check with a connection still measures the connect time. */
	report_full(P_EU, DC_US, false, 5.0, 500, NULL);
	expect = 0.3 * 5.0 + 0.7 * expect;
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_double_eq_tol(v.rtt_ms, expect, 1e-9);
	ck_assert_ptr_null(v.last_error);
	ck_assert_int_eq(v.last_status, 500);
}
END_TEST

START_TEST(test_error_bounded)
{
	char long_err[300], utf8[201];
	struct health_pair_view v;

	memset(long_err, 'x', sizeof(long_err) - 1);
	long_err[sizeof(long_err) - 1] = '\0';
	report_full(P_EU, DC_US, false, -1, 0, long_err);
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_uint_eq(strlen(v.last_error), 127);
	/* Cut at a character boundary: 63 two-byte characters fit. */
	for (size_t i = 0; i < 200; i += 2) {
		utf8[i] = (char)0xc3;
		utf8[i + 1] = (char)0xa9;
	}
	utf8[200] = '\0';
	report_full(P_EU, DC_US, false, -1, 0, utf8);
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_uint_eq(strlen(v.last_error), 126);
	ck_assert_int_eq(memcmp(v.last_error, utf8, 126), 0);
	report_full(P_EU, DC_US, false, -1, 0, "short");
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert_str_eq(v.last_error, "short");
}
END_TEST

static const struct dc_spec reload_dcs[] = {{"new-dc", true},  {"ap-southeast", true},
					    {"static", false}, {"eu-west", true},
					    {"us-east", true}, {NULL, false}};
static const struct probe_spec reload_probes[] = {{"probe-new", "sa-east", -23.55, -46.63},
						  {"probe-us", "us-east", 40.71, -74.01},
						  {"probe-eu", "eu-west", 53.35, -6.26},
						  {NULL, NULL, 0, 0}};

START_TEST(test_reconfigure)
{
	struct config *cfg2 = config_build(reload_dcs, reload_probes);
	struct health_pair_view v;
	struct latency_table *t;

	/* us-east down by eu and us, ap disagrees; eu-west up with RTTs. */
	report_all(DC_US, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report(P_EU, DC_US, false);
		report(P_US, DC_US, false);
		report(P_AP, DC_US, true);
	}
	report_full(P_EU, DC_EU, true, 7.0, 200, NULL);
	report_full(P_EU, DC_AP, true, 90.0, 200, NULL);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 2);

	now += 1000;
	health_reconfigure(h, cfg2, now);
	config_destroy(cfg);
	cfg = cfg2;
	/* New indexes: new-dc 0, ap 1, static 2, eu 3, us 4; probe-new 0, us 1, eu 2. */
	ck_assert_int_eq(health_dc_state(h, 4), HEALTH_DOWN);
	ck_assert_uint_eq(health_dc_changes(h, 4), 2);
	assert_reason(4, "2 of 2 fresh probes report down (probe-");
	ck_assert_int_eq(health_dc_state(h, 3), HEALTH_UP);
	ck_assert_int_eq(health_dc_state(h, 0), HEALTH_UNKNOWN);
	ck_assert_str_eq(health_dc_reason(h, 0), "no report yet");
	ck_assert_int_eq(health_dc_state(h, 2), HEALTH_UP);
	health_pair(h, 2, 4, now, &v);
	ck_assert(v.has_result);
	ck_assert_int_eq(v.verdict, HEALTH_DOWN);
	ck_assert_str_eq(v.last_error, "connect timeout");
	health_pair(h, 0, 4, now, &v);
	ck_assert(!v.has_result);
	ck_assert_uint_eq(health_probe_age_ms(h, 2, now), 1000);
	ck_assert_uint_eq(health_probe_age_ms(h, 0, now), UINT64_MAX);

	/* Rankings follow by name; the new region has none yet. */
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->region_count, 3);
	ck_assert_str_eq(t->regions[0].name, "sa-east");
	ck_assert_uint_eq(t->regions[0].order_count, 0);
	ck_assert_str_eq(t->regions[2].name, "eu-west");
	ck_assert_uint_eq(t->regions[2].order_count, 3);
	/* us-east (10 ms) was ranked first and eu-west (7 ms) is not 5 ms faster. */
	ck_assert_uint_eq(t->regions[2].order[0], 4);
	ck_assert_uint_eq(t->regions[2].order[1], 3);
	ck_assert_uint_eq(t->regions[2].order[2], 1);
	latency_table_free(t);

	/* The kept pairs carry on counting: two successes bring us-east back. */
	now += 1000;
	report(1, 4, true);
	report(2, 4, true);
	ck_assert_int_eq(health_dc_state(h, 4), HEALTH_DOWN);
	now += 1000;
	report(1, 4, true);
	ck_assert(report(2, 4, true));
	ck_assert_int_eq(health_dc_state(h, 4), HEALTH_UP);
	ck_assert_uint_eq(health_dc_changes(h, 4), 3);
}
END_TEST

START_TEST(test_reconfigure_drops_all_data)
{
	static const struct probe_spec other[] = {{"probe-x", "eu-west", 50, 0},
						  {NULL, NULL, 0, 0}};
	struct config *cfg2 = config_build(base_dcs, other);

	report_all(DC_US, true);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	now += 5000;
	health_reconfigure(h, cfg2, now);
	config_destroy(cfg);
	cfg = cfg2;
	/* No data left: the state holds for the grace period from the reload. */
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	now += 30000;
	ck_assert(!health_tick(h, now));
	now += 1;
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UNKNOWN);
}
END_TEST

START_TEST(test_reconfigure_check_removed)
{
	static const struct dc_spec dcs2[] = {{"us-east", false},
					      {"eu-west", true},
					      {"ap-southeast", true},
					      {"static", true},
					      {NULL, false}};
	struct config *cfg2 = config_build(dcs2, base_probes);

	report_all(DC_US, true);
	for (int i = 0; i < 3; i++) {
		now += 1000;
		report_all(DC_US, false);
	}
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_DOWN);
	health_reconfigure(h, cfg2, now);
	config_destroy(cfg);
	cfg = cfg2;
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert_str_eq(health_dc_reason(h, DC_US), "not probed");
	ck_assert_uint_eq(health_dc_changes(h, DC_US), 3);
	ck_assert_int_eq(health_dc_state(h, DC_STATIC), HEALTH_UNKNOWN);
	ck_assert(health_dc_answerable(h, DC_STATIC));
}
END_TEST

/* Probe p reports the given RTTs (ms, < 0: no result) for US, EU, AP. */
static bool rtts(size_t p, double us, double eu, double ap)
{
	struct health_result r[3];
	double v[3] = {us, eu, ap};
	size_t n = 0;

	for (size_t dc = 0; dc < 3; dc++)
		if (v[dc] >= 0)
			r[n++] = (struct health_result){dc, true, v[dc], 200, NULL, false, 0, NULL};
	return health_report(h, p, r, n, now);
}

static void assert_order(const struct latency_region *r, const int *want)
{
	size_t n = 0;

	while (want[n] >= 0)
		n++;
	ck_assert_uint_eq(r->order_count, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(r->order[i] == (uint16_t)want[i], "%s: position %zu is %u, want %d",
			      r->name, i, r->order[i], want[i]);
}

START_TEST(test_latency_order)
{
	struct latency_table *t;

	rtts(P_EU, 80, 10, 200);
	rtts(P_US, 5, 75, 220);
	rtts(P_AP, 230, 170, 3);
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->region_count, 3);
	ck_assert_str_eq(t->regions[0].name, "eu-west");
	ck_assert_str_eq(t->regions[1].name, "us-east");
	ck_assert_str_eq(t->regions[2].name, "ap-southeast");
	ck_assert_double_eq_tol(t->regions[0].lat, 53.35, 1e-9);
	ck_assert_double_eq_tol(t->regions[0].lon, -6.26, 1e-9);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, DC_AP, -1});
	assert_order(&t->regions[1], (const int[]){DC_US, DC_EU, DC_AP, -1});
	assert_order(&t->regions[2], (const int[]){DC_AP, DC_EU, DC_US, -1});
	ck_assert_double_eq_tol(t->regions[0].rtt_ms[DC_US], 80, 1e-9);
	ck_assert_double_eq_tol(t->regions[2].rtt_ms[DC_EU], 170, 1e-9);
	ck_assert_double_lt(t->regions[0].rtt_ms[DC_STATIC], 0);
	latency_table_free(t);
}
END_TEST

START_TEST(test_latency_region_mean)
{
	static const struct probe_spec two[] = {{"eu-1", "eu-west", 50, -10},
						{"eu-2", "eu-west", 54, 0},
						{"us-1", "us-east", 40, -74},
						{NULL, NULL, 0, 0}};
	struct latency_table *t;

	config_destroy(cfg);
	cfg = config_build(base_dcs, two);
	renew();
	rtts(0, 80, 10, -1);
	rtts(1, 100, 20, -1);
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->region_count, 2);
	ck_assert_double_eq_tol(t->regions[0].lat, 52, 1e-9);
	ck_assert_double_eq_tol(t->regions[0].lon, -5, 1e-9);
	ck_assert_double_eq_tol(t->regions[0].rtt_ms[DC_US], 90, 1e-9);
	ck_assert_double_eq_tol(t->regions[0].rtt_ms[DC_EU], 15, 1e-9);
	ck_assert_double_lt(t->regions[0].rtt_ms[DC_AP], 0);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, -1});
	ck_assert_uint_eq(t->regions[1].order_count, 0);
	latency_table_free(t);
}
END_TEST

START_TEST(test_latency_hysteresis)
{
	struct latency_table *t;

	/* Settle every datacenter's health first, so that only rankings move. */
	ck_assert(rtts(P_EU, 44, 40, -1));
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, -1});
	latency_table_free(t);
	/* us-east's EWMA: 0.3 * 24 + 0.7 * 44 = 38, 2 ms faster: not enough
	 * (max(20 % of 40, 5) = 8). */
	ck_assert(!rtts(P_EU, 24, -1, -1));
	t = health_latency_build(h, now);
	ck_assert_double_eq_tol(t->regions[0].rtt_ms[DC_US], 38, 1e-9);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, -1});
	latency_table_free(t);
	/* 0.3 * 0 + 0.7 * 38 = 26.6, 13.4 ms faster: the leader changes. */
	ck_assert(rtts(P_EU, 0, -1, -1));
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_US, DC_EU, -1});
	latency_table_free(t);
	/* The new leader sticks too: eu-west 31, then 24.7, 1.9 ms faster. */
	ck_assert(!rtts(P_EU, -1, 10, -1));
	ck_assert(!rtts(P_EU, -1, 10, -1));
	t = health_latency_build(h, now);
	ck_assert_double_eq_tol(t->regions[0].rtt_ms[DC_EU], 24.7, 1e-9);
	assert_order(&t->regions[0], (const int[]){DC_US, DC_EU, -1});
	latency_table_free(t);
	/* Without hysteresis the plain order applies from the next change. */
	cfg->latency_hysteresis_pct = 0;
	cfg->latency_hysteresis_ms = 0;
	ck_assert(rtts(P_EU, -1, 24, -1));
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, -1});
	latency_table_free(t);
}
END_TEST

START_TEST(test_latency_hysteresis_ms)
{
	struct latency_table *t;

	/* At small RTTs the ms floor rules: 20 % of 10 is 2, the floor is 5. */
	rtts(P_EU, 12, 10, -1);
	ck_assert(!rtts(P_EU, 4, -1, -1)); /* 0.3 * 4 + 0.7 * 12 = 9.6 */
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_EU, DC_US, -1});
	latency_table_free(t);
	ck_assert(rtts(P_EU, -1, 30, -1)); /* eu 0.3 * 30 + 7 = 16, 6.4 ms slower */
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_US, DC_EU, -1});
	latency_table_free(t);
}
END_TEST

START_TEST(test_latency_stale)
{
	struct latency_table *t;

	rtts(P_EU, 30, 10, -1);
	now += 5000;
	rtts(P_EU, -1, 10, -1);
	now += 6000;
	/* us-east's only RTT is 11 s old: out of the ranking. */
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_EU, -1});
	ck_assert_double_lt(t->regions[0].rtt_ms[DC_US], 0);
	latency_table_free(t);
	now += 5000;
	ck_assert(health_tick(h, now)); /* eu-west's went stale too */
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->regions[0].order_count, 0);
	latency_table_free(t);
	/* Back with fresh data: ranked afresh. */
	rtts(P_EU, 30, 50, -1);
	t = health_latency_build(h, now);
	assert_order(&t->regions[0], (const int[]){DC_US, DC_EU, -1});
	latency_table_free(t);
}
END_TEST

START_TEST(test_latency_tick_change)
{
	rtts(P_EU, 30, 10, -1);
	now += 5000;
	rtts(P_EU, -1, 10, -1);
	now += 6000;
	/* No state changes (the grace period holds us-east), but the ranking does. */
	ck_assert(health_tick(h, now));
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	ck_assert(!health_tick(h, now + 1));
}
END_TEST

START_TEST(test_latency_no_probes)
{
	static const struct probe_spec none[] = {{NULL, NULL, 0, 0}};
	struct latency_table *t;

	config_destroy(cfg);
	cfg = config_build(base_dcs, none);
	renew();
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->region_count, 0);
	latency_table_free(t);
	latency_table_free(NULL);
}
END_TEST

START_TEST(test_bad_indexes)
{
	struct health_result r[] = {{DC_COUNT, true, 1, 200, NULL, false, 0, NULL},
				    {9999, false, 1, 0, "x", false, 0, NULL}};
	struct health_pair_view v;

	ck_assert(!health_report(h, P_COUNT, r, 1, now));
	ck_assert(!health_report(h, P_EU, r, 2, now));
	health_pair(h, P_COUNT, DC_US, now, &v);
	ck_assert(!v.has_result);
	ck_assert_int_eq(health_dc_state(h, DC_COUNT), HEALTH_UNKNOWN);
	ck_assert_uint_eq(health_probe_age_ms(h, P_COUNT, now), UINT64_MAX);
	/* An empty report still counts as the probe being alive. */
	ck_assert(!health_report(h, P_AP, NULL, 0, now));
	ck_assert_uint_eq(health_probe_age_ms(h, P_AP, now + 7), 7);
}
END_TEST

START_TEST(test_scale)
{
	struct dc_spec *dcs = xcalloc(101, sizeof(*dcs));
	struct probe_spec *probes = xcalloc(201, sizeof(*probes));
	char names[300][16];
	struct health_result *r = xcalloc(100, sizeof(*r));
	struct latency_table *t;

	for (size_t i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "dc%zu", i);
		dcs[i] = (struct dc_spec){names[i], true};
	}
	for (size_t i = 0; i < 200; i++) {
		snprintf(names[100 + i], sizeof(names[100 + i]), "p%zu", i);
		probes[i] = (struct probe_spec){names[100 + i], i % 2 ? "odd" : "even", 0, 0};
	}
	config_destroy(cfg);
	cfg = config_build(dcs, probes);
	renew();
	for (int round = 0; round < 20; round++) {
		now += 2000;
		for (size_t p = 0; p < 200; p++) {
			for (size_t d = 0; d < 100; d++)
				r[d] = (struct health_result){d,
							      (p + d + (size_t)round) % 7 != 0,
							      (double)((d * 7 + p) % 100),
							      200,
							      NULL,
							      false,
							      0,
							      NULL};
			health_report(h, p, r, 100, now);
		}
		health_tick(h, now);
	}
	for (size_t d = 0; d < 100; d++)
		ck_assert_int_eq(health_dc_state(h, d), HEALTH_UP);
	t = health_latency_build(h, now);
	ck_assert_uint_eq(t->region_count, 2);
	ck_assert_uint_eq(t->regions[0].order_count, 100);
	latency_table_free(t);
	free(r);
	free(dcs);
	free(probes);
}
END_TEST

/* One passed result from probe about dc carrying load (or, when load is
 * negative, none and load_error). */
static void report_load(size_t probe, size_t dc, double load, const char *load_error)
{
	struct health_result r = {dc,        true, 10.0, 200, NULL, load >= 0, load >= 0 ? load : 0,
				  load_error};

	health_report(h, probe, &r, 1, now);
}

/* A datacenter's load is the median of its fresh probes' latest loads: one
 * wild probe does not move it while two agree; results without a load
 * leave the median (with their reason kept) and do not touch health. */
START_TEST(test_load_median)
{
	struct health_load hl;
	struct health_pair_view v;

	ck_assert(!health_dc_load(h, DC_US, now, &hl));
	ck_assert_uint_eq(hl.samples, 0);
	report_load(P_EU, DC_US, 50, NULL);
	now += 100;
	report_load(P_US, DC_US, 1000000, NULL);
	now += 100;
	report_load(P_AP, DC_US, 54, NULL);
	ck_assert(health_dc_load(h, DC_US, now, &hl));
	ck_assert_uint_eq(hl.samples, 3);
	ck_assert_double_eq_tol(hl.load, 54, 1e-9);
	ck_assert_uint_eq(hl.oldest_ms, now - 200);
	/* the latest load of each probe counts */
	now += 100;
	report_load(P_EU, DC_US, 52, NULL);
	ck_assert(health_dc_load(h, DC_US, now, &hl));
	ck_assert_double_eq_tol(hl.load, 54, 1e-9);
	ck_assert_uint_eq(hl.oldest_ms, now - 200);
	/* a wild low value does not move it either */
	report_load(P_US, DC_US, 0, NULL);
	ck_assert(health_dc_load(h, DC_US, now, &hl));
	ck_assert_double_eq_tol(hl.load, 52, 1e-9);
	/* no load: out of the median, reason kept, health untouched */
	report_load(P_US, DC_US, -1, "no X-Load header");
	ck_assert(health_dc_load(h, DC_US, now, &hl));
	ck_assert_uint_eq(hl.samples, 2);
	ck_assert_double_eq_tol(hl.load, 53, 1e-9);
	health_pair(h, P_US, DC_US, now, &v);
	ck_assert(!v.has_load);
	ck_assert_str_eq(v.load_error, "no X-Load header");
	health_pair(h, P_EU, DC_US, now, &v);
	ck_assert(v.has_load);
	ck_assert_ptr_null(v.load_error);
	ck_assert_double_eq_tol(v.load, 52, 1e-9);
	ck_assert_int_eq(health_dc_state(h, DC_US), HEALTH_UP);
	/* stale loads leave it */
	now += cfg->health_freshness_ms + 1;
	report_load(P_AP, DC_US, 70, NULL);
	ck_assert(health_dc_load(h, DC_US, now, &hl));
	ck_assert_uint_eq(hl.samples, 1);
	ck_assert_double_eq_tol(hl.load, 70, 1e-9);
	now += cfg->health_freshness_ms + 1;
	ck_assert(!health_dc_load(h, DC_US, now, &hl));
	/* not probed: never a load */
	ck_assert(!health_dc_load(h, DC_STATIC, now, &hl));
}
END_TEST

static Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_startup);
	tcase_add_test(tc, test_load_median);
	tcase_add_test(tc, test_first_ok_sets_up);
	tcase_add_test(tc, test_rise_fall_exact);
	tcase_add_test(tc, test_startup_failure);
	tcase_add_test(tc, test_lying_minority);
	tcase_add_test(tc, test_majority_down_and_back);
	tcase_add_test(tc, test_down_reason_error);
	tcase_add_test(tc, test_freshness);
	tcase_add_test(tc, test_grace_on_unknown_up);
	tcase_add_test(tc, test_grace_on_unknown_down);
	tcase_add_test(tc, test_startup_on_unknown_down);
	tcase_add_test(tc, test_grace_zero);
	tcase_add_test(tc, test_quorum_explicit);
	tcase_add_test(tc, test_not_probed);
	tcase_add_test(tc, test_report_one_batch);
	tcase_add_test(tc, test_ewma);
	tcase_add_test(tc, test_error_bounded);
	tcase_add_test(tc, test_scale);
	suite_add_tcase(s, tc);

	tc = tcase_create("reconfigure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reconfigure);
	tcase_add_test(tc, test_reconfigure_drops_all_data);
	tcase_add_test(tc, test_reconfigure_check_removed);
	suite_add_tcase(s, tc);

	tc = tcase_create("latency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_latency_order);
	tcase_add_test(tc, test_latency_region_mean);
	tcase_add_test(tc, test_latency_hysteresis);
	tcase_add_test(tc, test_latency_hysteresis_ms);
	tcase_add_test(tc, test_latency_stale);
	tcase_add_test(tc, test_latency_tick_change);
	tcase_add_test(tc, test_latency_no_probes);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_indexes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(health_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

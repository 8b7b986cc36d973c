/* Unit tests of the load model (gslbd/control/load.c): spill-over shares
 * (what fits above the high-water mark, the gradual return below the
 * low-water mark, the cap per interval, waiting for fresh loads after a
 * change), the least_load ranking with hysteresis, reloads and what a
 * snapshot gets. Time is a fake clock passed to every call. */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/load.h"
#include "gslbd/dns/latency.h"

/* Datacenters of the test config; all but DC_NONE have a capacity. */
enum { DC_A, DC_B, DC_C, DC_NONE, DC_COUNT };

static const char *const names[DC_COUNT] = {"a", "b", "c", "none"};

static struct config *cfg;
static struct load_model *m;
static struct load_input in[DC_COUNT];
static uint64_t now;

static struct config *config_build(void)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->datacenter_count = DC_COUNT;
	c->datacenters = xcalloc(DC_COUNT, sizeof(*c->datacenters));
	for (size_t i = 0; i < DC_COUNT; i++) {
		c->datacenters[i].name = xstrdup(names[i]);
		c->datacenters[i].capacity = i == DC_NONE ? 0.0 : 100.0;
	}
	c->load_high_pct = 80;
	c->load_low_pct = 70;
	c->load_step_pct = 25;
	c->load_interval_ms = 1000;
	c->load_hysteresis_pct = 10;
	return c;
}

static void config_destroy(struct config *c)
{
	for (size_t i = 0; i < c->datacenter_count; i++)
		free(c->datacenters[i].name);
	free(c->datacenters);
	free(c);
}

static void setup(void)
{
	now = 5000000;
	cfg = config_build();
	m = load_model_new(cfg, now);
	memset(in, 0, sizeof(in));
}

static void teardown(void)
{
	load_model_free(m);
	config_destroy(cfg);
}

/* Set dc's utilisation, measured at now (known), or unknown (util < 0). */
static void util_set(size_t dc, double util)
{
	in[dc].known = util >= 0;
	in[dc].util = util;
	in[dc].oldest_ms = now;
}

/* Advance the clock by ms and update; returns what the update says. */
static bool step(uint64_t ms)
{
	now += ms;
	for (size_t dc = 0; dc < DC_COUNT; dc++)
		if (in[dc].known && in[dc].oldest_ms == now - ms)
			in[dc].oldest_ms = now; /* loads keep coming */
	return load_model_update(m, in, now);
}

static double share(size_t dc)
{
	return load_model_share(m, dc);
}

/* Above the high-water mark the share becomes what fits (share * high /
 * util), at most max_step lower per interval; with the loads following the
 * share it settles between the water marks. */
START_TEST(test_share_fits)
{
	util_set(DC_A, 1.6);
	ck_assert(step(0));
	/* 0.8 / 1.6 = 0.5, capped at 1 - 0.25 */
	ck_assert_double_eq_tol(share(DC_A), 0.75, 1e-9);
	ck_assert_double_eq_tol(share(DC_B), 1.0, 1e-9);
	/* within the interval: no change */
	ck_assert(!step(500));
	ck_assert_double_eq_tol(share(DC_A), 0.75, 1e-9);
	/* the load follows the share: 160 * 0.75 = 120 */
	util_set(DC_A, 1.2);
	ck_assert(step(500));
	/* 0.75 * 0.8 / 1.2 = 0.5 */
	ck_assert_double_eq_tol(share(DC_A), 0.5, 1e-9);
	/* 160 * 0.5 = 80: at the high-water mark, held */
	util_set(DC_A, 0.8);
	for (int i = 0; i < 20; i++)
		ck_assert(!step(1000));
	ck_assert_double_eq_tol(share(DC_A), 0.5, 1e-9);
	/* between the water marks: held */
	util_set(DC_A, 0.75);
	ck_assert(!step(1000));
	ck_assert_double_eq_tol(share(DC_A), 0.5, 1e-9);
	ck_assert_double_eq_tol(load_model_util(m, DC_A), 0.75, 1e-9);
}
END_TEST

/* A decrease waits for loads measured after the last change: the old
 * loads do not show what it did. */
START_TEST(test_share_waits_for_fresh_loads)
{
	util_set(DC_A, 1.0);
	ck_assert(step(0));
	ck_assert_double_eq_tol(share(DC_A), 0.8, 1e-9);
	in[DC_A].oldest_ms = now - 1; /* a probe's load from before the change */
	now += 5000;
	ck_assert(!load_model_update(m, in, now));
	ck_assert_double_eq_tol(share(DC_A), 0.8, 1e-9);
	in[DC_A].oldest_ms = now; /* now every probe measured again */
	ck_assert(load_model_update(m, in, now));
	ck_assert_double_eq_tol(share(DC_A), 0.64, 1e-9);
}
END_TEST

/* Below the low-water mark the share comes back by max_step per interval,
 * never above 1; without a fresh load it comes back the same way. */
START_TEST(test_share_ramps_back)
{
	util_set(DC_A, 4.0);
	util_set(DC_B, 4.0);
	/* 0.2 capped at 0.75, 0.15 at 0.5, 0.1 at 0.25, then 0.25 * 0.2 */
	ck_assert(step(0));
	ck_assert(step(1000));
	ck_assert(step(1000));
	ck_assert(step(1000));
	ck_assert_double_eq_tol(share(DC_A), 0.05, 1e-9);
	util_set(DC_A, 0.5);
	util_set(DC_B, -1);
	ck_assert(step(999)); /* b leaves the ranking, the shares hold */
	ck_assert_double_eq_tol(share(DC_A), 0.05, 1e-9);
	ck_assert(step(1));
	ck_assert_double_eq_tol(share(DC_A), 0.3, 1e-9);
	ck_assert_double_eq_tol(share(DC_B), 0.3, 1e-9);
	ck_assert(!step(500));
	ck_assert(step(500));
	ck_assert_double_eq_tol(share(DC_A), 0.55, 1e-9);
	ck_assert(step(1000));
	ck_assert_double_eq_tol(share(DC_A), 0.8, 1e-9);
	ck_assert(step(1000));
	ck_assert_double_eq_tol(share(DC_A), 1.0, 1e-9);
	ck_assert_double_eq_tol(share(DC_B), 1.0, 1e-9);
	ck_assert(!step(1000));
	ck_assert_double_eq_tol(share(DC_A), 1.0, 1e-9);
	ck_assert_double_eq_tol(load_model_util(m, DC_B), -1.0, 1e-9);
}
END_TEST

/* The rate cap holds whatever the overload, and per interval. */
START_TEST(test_share_rate_cap)
{
	cfg->load_step_pct = 10;
	util_set(DC_A, 50.0);
	for (int i = 0; i < 5; i++) {
		ck_assert(step(i == 0 ? 0 : 1000));
		ck_assert_double_eq_tol(share(DC_A), 1.0 - 0.1 * (i + 1), 1e-9);
		ck_assert(!step(100));
	}
	/* a datacenter without a capacity is not modelled */
	util_set(DC_NONE, 50.0);
	step(1000);
	ck_assert_double_eq_tol(share(DC_NONE), 1.0, 1e-9);
}
END_TEST

static void assert_order(const uint16_t *want, size_t count)
{
	size_t n;
	const uint16_t *got = load_model_order(m, &n);

	ck_assert_uint_eq(n, count);
	for (size_t i = 0; i < count; i++)
		ck_assert_uint_eq(got[i], want[i]);
}

/* least_load: lowest utilisation first; a new leader must be lower by the
 * hysteresis, so a small oscillation does not flip it; datacenters without
 * a load leave the ranking. */
START_TEST(test_least_load_hysteresis)
{
	util_set(DC_A, 0.5);
	util_set(DC_B, 0.3);
	util_set(DC_C, 0.6);
	ck_assert(step(0));
	assert_order((const uint16_t[]){DC_B, DC_A, DC_C}, 3);
	/* oscillations of 8 points around each other: no change of leader */
	for (int i = 0; i < 100; i++) {
		util_set(DC_A, i % 2 ? 0.36 : 0.44);
		util_set(DC_B, i % 2 ? 0.44 : 0.36);
		step(100);
		assert_order((const uint16_t[]){DC_B, DC_A, DC_C}, 3);
	}
	/* lower by more than 10 points: a new leader */
	util_set(DC_A, 0.30);
	util_set(DC_B, 0.41);
	ck_assert(step(100));
	assert_order((const uint16_t[]){DC_A, DC_B, DC_C}, 3);
	/* c far lower passes both */
	util_set(DC_C, 0.05);
	ck_assert(step(100));
	assert_order((const uint16_t[]){DC_C, DC_A, DC_B}, 3);
	/* a leaves (no load): the others keep their order */
	util_set(DC_A, -1);
	ck_assert(step(100));
	assert_order((const uint16_t[]){DC_C, DC_B}, 2);
	/* with no hysteresis any lower utilisation leads */
	cfg->load_hysteresis_pct = 0;
	util_set(DC_B, 0.04);
	ck_assert(step(100));
	assert_order((const uint16_t[]){DC_B, DC_C}, 2);
}
END_TEST

/* A reload keeps shares and the ranking by name; a snapshot gets the
 * shares as thresholds, utilisations and the ranking. */
START_TEST(test_reload_and_fill)
{
	struct config *cfg2;
	struct latency_table t;

	util_set(DC_A, 1.6);
	util_set(DC_B, 0.2);
	step(0);
	ck_assert_double_eq_tol(share(DC_A), 0.75, 1e-9);
	memset(&t, 0, sizeof(t));
	load_model_fill(m, &t);
	ck_assert_uint_eq(t.loads[DC_A].keep, (UINT64_C(3) << 30));
	ck_assert_uint_eq(t.loads[DC_B].keep, LATENCY_KEEP_ALL);
	ck_assert_double_eq_tol(t.loads[DC_A].util, 1.6, 1e-9);
	ck_assert_double_eq_tol(t.loads[DC_C].util, -1.0, 1e-9);
	ck_assert(t.loads[DC_A].salt != t.loads[DC_B].salt);
	ck_assert_uint_eq(t.load_order_count, 2);
	ck_assert_uint_eq(t.load_order[0], DC_B);
	ck_assert_uint_eq(t.load_rank[DC_B], 0);
	ck_assert_uint_eq(t.load_rank[DC_A], 1);
	ck_assert_uint_eq(t.load_rank[DC_C], UINT16_MAX);
	free(t.loads);
	free(t.load_order);
	free(t.load_rank);

	/* the reloaded config lists b first and drops c */
	cfg2 = config_build();
	free(cfg2->datacenters[0].name);
	free(cfg2->datacenters[1].name);
	cfg2->datacenters[0].name = xstrdup("b");
	cfg2->datacenters[1].name = xstrdup("a");
	load_model_reconfigure(m, cfg2);
	config_destroy(cfg);
	cfg = cfg2;
	ck_assert_double_eq_tol(share(0), 1.0, 1e-9);
	ck_assert_double_eq_tol(share(1), 0.75, 1e-9);
	assert_order((const uint16_t[]){0, 1}, 2);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("valid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_share_fits);
	tcase_add_test(tc, test_share_waits_for_fresh_loads);
	tcase_add_test(tc, test_share_ramps_back);
	tcase_add_test(tc, test_share_rate_cap);
	tcase_add_test(tc, test_least_load_hysteresis);
	tcase_add_test(tc, test_reload_and_fill);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Unit tests of snapshot publication and reclamation (gslbd/dns/snapshot.c):
 * generations, what readers see, and that a replaced snapshot is freed only
 * once every reader has been offline or come online again since the swap,
 * and no transfer holds a reference (snapshot_reclaim() counts what still
 * waits), that derived snapshots share their data, and that a snapshot
 * that waits for its geo maps gets them in one derived from it (with the
 * states of that one), or keeps waiting when they were built for another
 * config. Readers are driven
 * from this thread: the protocol is about states, not timing. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/snapshot.h"

#define CITY_DB TEST_DATA_DIR "/geo/test-city.mmdb"
#define LB_CONF TEST_DATA_DIR "/config/lb.conf"

/* A snapshot of an empty config, holding one reference to geo. */
static struct snapshot *new_snap(struct geo_share *geo)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	return snapshot_new(cfg, NULL, geo_share_ref(geo));
}

static struct geo_share *geo;

static void setup(void)
{
	struct geo_db *db = NULL;
	struct gslb_err err = {""};

	ck_assert_msg(geo_db_open(CITY_DB, NULL, &db, &err) == 0, "%s", err.msg);
	geo = geo_share_new(db);
}

static void teardown(void)
{
	snapshot_set_maps_deferred(false);
	snapshot_shutdown();
	geo_share_unref(geo);
	geo = NULL;
}

START_TEST(test_publish_generations)
{
	struct snapshot_reader *r = snapshot_reader_new();
	struct snapshot *a = new_snap(geo), *b = new_snap(geo);
	uint64_t gen;

	ck_assert_ptr_null(snapshot_current());
	snapshot_publish(a);
	snapshot_reader_online(r);
	ck_assert_ptr_eq(snapshot_current(), a);
	gen = a->generation;
	ck_assert_uint_ge(gen, 1);
	snapshot_reader_offline(r);
	snapshot_publish(b);
	ck_assert_ptr_eq(snapshot_current(), b);
	ck_assert_uint_eq(b->generation, gen + 1);
	/* every datacenter starts answerable */
	ck_assert_int_eq(b->dc_state[0], DC_STATE_UP);
}
END_TEST

START_TEST(test_reclaim_waits_for_readers)
{
	struct snapshot_reader *r1 = snapshot_reader_new(), *r2 = snapshot_reader_new();
	const struct snapshot *seen;

	snapshot_publish(new_snap(geo));
	snapshot_reader_online(r1); /* r1 holds the first snapshot */
	seen = snapshot_current();
	snapshot_publish(new_snap(geo));
	ck_assert_ptr_ne(snapshot_current(), seen);
	/* r2 was offline: it cannot hold the old one, but r1 can */
	ck_assert_uint_eq(snapshot_reclaim(), 1);
	ck_assert_uint_eq(snapshot_reclaim(), 1);
	snapshot_reader_online(r2);
	ck_assert_uint_eq(snapshot_reclaim(), 1);
	/* r1 coming online again is a quiescent point too */
	snapshot_reader_offline(r1);
	snapshot_reader_online(r1);
	ck_assert_uint_eq(snapshot_reclaim(), 0);
	snapshot_reader_offline(r1);
	snapshot_reader_offline(r2);
}
END_TEST

START_TEST(test_reclaim_waits_for_refs)
{
	struct snapshot_reader *r = snapshot_reader_new();
	const struct snapshot *held;

	snapshot_publish(new_snap(geo));
	snapshot_reader_online(r);
	held = snapshot_current();
	snapshot_ref(held); /* a zone transfer keeps it past going offline */
	snapshot_reader_offline(r);
	snapshot_publish(new_snap(geo));
	ck_assert_uint_eq(snapshot_reclaim(), 1);
	snapshot_unref(held);
	ck_assert_uint_eq(snapshot_reclaim(), 0);
}
END_TEST

/* Snapshots that differ only in datacenter states share config, zones and
 * the geo share: deriving takes no new reference, and the shared data goes
 * with the last snapshot using it. */
START_TEST(test_derive_shares_data)
{
	struct snapshot *a = new_snap(geo);
	struct snapshot *b;
	uint8_t *states = xmalloc(1);

	states[0] = DC_STATE_DOWN;
	b = snapshot_derive(a, states, NULL);
	ck_assert_ptr_eq(b->config, a->config);
	ck_assert_ptr_eq(b->geo, a->geo);
	ck_assert_ptr_eq(snapshot_geo_share(b), geo);
	ck_assert_int_eq(b->dc_state[0], DC_STATE_DOWN);
	ck_assert_int_eq(a->dc_state[0], DC_STATE_UP);
	snapshot_free(a);
	/* b still reads the shared data */
	ck_assert_ptr_eq(snapshot_geo_share(b), geo);
	ck_assert_str_eq(geo_db_path(b->geo), CITY_DB);
	snapshot_free(b);
}
END_TEST

/* A snapshot of lb.conf (located pools over the test database). */
static struct snapshot *lb_snap(void)
{
	struct config *cfg = NULL;
	struct gslb_err err = {""};

	ck_assert_msg(config_load(LB_CONF, &cfg, &err) == 0, "%s", err.msg);
	return snapshot_new(cfg, NULL, geo_share_ref(geo));
}

START_TEST(test_maps_deferred)
{
	struct snapshot *a, *b, *c, *d;
	struct snapshot_maps *m;
	size_t n;
	uint8_t *states;

	snapshot_set_maps_deferred(true);
	a = lb_snap();
	n = a->config->datacenter_count;
	ck_assert_uint_gt(n, 0);
	/* answered by direct lookups until the maps are compiled */
	ck_assert_ptr_null(a->maps);
	ck_assert(snapshot_maps_pending(a));
	m = snapshot_maps_build(a);
	ck_assert(snapshot_maps_fit(a, m));
	/* a snapshot of a's zones signed again waits for the same maps */
	c = snapshot_new_zones(a, NULL);
	ck_assert(snapshot_maps_pending(c));
	ck_assert(snapshot_maps_fit(c, m));
	/* the maps added to a's config, zones and the states given */
	states = xmalloc(n + 1);
	memset(states, DC_STATE_UP, n + 1);
	states[0] = DC_STATE_DOWN;
	b = snapshot_with_maps(a, m, states, NULL);
	ck_assert_ptr_nonnull(b->maps);
	ck_assert(!snapshot_maps_pending(b));
	ck_assert(!snapshot_maps_fit(b, m));
	ck_assert_ptr_eq(b->config, a->config);
	ck_assert_ptr_eq(b->zones, a->zones);
	ck_assert_ptr_eq(b->geo, a->geo);
	ck_assert_int_eq(b->dc_state[0], DC_STATE_DOWN);
	/* the same config loaded again takes the maps built at once; maps
	 * built for another config do not fit it */
	d = lb_snap();
	ck_assert_ptr_eq(d->maps, b->maps);
	ck_assert(!snapshot_maps_pending(d));
	ck_assert(!snapshot_maps_fit(d, m));
	snapshot_free(a);
	snapshot_maps_free(m);
	/* b still reads what it shared with a */
	ck_assert_uint_eq(b->config->datacenter_count, n);
	ck_assert_str_eq(geo_db_path(b->geo), CITY_DB);
	snapshot_free(b);
	snapshot_free(c);
	snapshot_free(d);
}
END_TEST

START_TEST(test_free_null)
{
	snapshot_free(NULL);
	snapshot_maps_free(NULL);
	geo_share_unref(NULL);
	ck_assert_ptr_null(geo_share_ref(NULL));
	ck_assert_ptr_null(geo_share_db(NULL));
	/* nothing retired: nothing to reclaim */
	ck_assert_uint_eq(snapshot_reclaim(), 0);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("valid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_publish_generations);
	tcase_add_test(tc, test_reclaim_waits_for_readers);
	tcase_add_test(tc, test_reclaim_waits_for_refs);
	tcase_add_test(tc, test_derive_shares_data);
	tcase_add_test(tc, test_maps_deferred);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(snapshot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

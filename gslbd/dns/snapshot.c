#include <config.h>

#include "gslbd/dns/snapshot.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/lb.h"
#include "zones/zone.h"

/* Reader states: 0 while offline, otherwise the generation that was current
 * when the reader came online. Readers are registered before their threads
 * start, so the array is only appended to by the main thread while no reader
 * runs. */
#define READER_OFFLINE 0
#define READERS_MAX 1024

struct snapshot_reader {
	_Atomic uint64_t state; /* READER_OFFLINE or the generation seen when going online */
};

/* A replaced snapshot waiting until no reader can see it. */
struct retired {
	struct snapshot *snap; /* the old snapshot */
	uint64_t until;        /* readers online since before this generation may hold it */
	struct retired *next;  /* next older entry */
};

static struct snapshot_reader *readers[READERS_MAX];
static size_t reader_count;
static _Atomic(struct snapshot *) current;
static _Atomic uint64_t current_generation;
static struct retired *retired_list; /* main thread only */

/* The shared parts below are reference counted atomically: a reload
 * builds its snapshot on a thread of its own from the one being served,
 * while the main thread derives and frees snapshots. */
struct geo_share {
	struct geo_db *db;     /* owned */
	_Atomic unsigned refs; /* holders */
};

/* Compiled geo decisions, shared by the snapshots of every config that
 * compiles to the same maps. */
struct maps_share {
	struct lb_maps *maps;  /* owned */
	uint8_t *key;          /* lb_maps_key() of what they were built from */
	size_t key_len;        /* bytes at key */
	_Atomic unsigned refs; /* holders */
};

/* A config shared by the snapshot data of its zones signed again. */
struct config_share {
	struct config *config; /* owned */
	_Atomic unsigned refs; /* holders */
};

/* The last maps built, kept so that a reload that changes nothing they
 * depend on (zones, health settings, keys, an unchanged database file)
 * reuses them instead of compiling the database again. Under maps_lock
 * (never held while compiling). */
static struct maps_share *last_maps;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
/* Who is told how compiling goes (snapshot_set_maps_progress()). */
static lb_progress_fn *maps_progress;
static void *maps_progress_arg;

void snapshot_set_maps_progress(void (*progress)(void *arg, size_t done, size_t total), void *arg)
{
	maps_progress = progress;
	maps_progress_arg = arg;
}

static void maps_share_unref(struct maps_share *m)
{
	if (m == NULL || atomic_fetch_sub(&m->refs, 1) > 1)
		return;
	lb_maps_free(m->maps);
	free(m->key);
	free(m);
}

/* The maps of cfg over db: the last ones when their key is the same, else
 * newly built, taking from the last ones every map whose pool input is
 * unchanged (NULL when there is nothing to compile or it failed). */
static struct maps_share *maps_for(const struct config *cfg, const struct geo_db *db)
{
	struct gslb_err err = {{0}};
	struct lb_maps_stats st;
	struct maps_share *m, *old;
	uint8_t *key;
	size_t key_len = lb_maps_key(cfg, db, &key);

	pthread_mutex_lock(&maps_lock);
	old = last_maps;
	if (old != NULL && old->key_len == key_len && memcmp(old->key, key, key_len) == 0) {
		atomic_fetch_add(&old->refs, 1);
		pthread_mutex_unlock(&maps_lock);
		free(key);
		log_debug("GeoIP decisions unchanged: compiled maps kept");
		return old;
	}
	/* held while compiling: its unchanged maps are taken */
	if (old != NULL)
		atomic_fetch_add(&old->refs, 1);
	pthread_mutex_unlock(&maps_lock);
	m = xcalloc(1, sizeof(*m));
	m->key = key;
	m->key_len = key_len;
	atomic_init(&m->refs, 1);
	if (lb_maps_build(cfg, db, old != NULL ? old->maps : NULL, maps_progress, maps_progress_arg,
			  &m->maps, &err) != 0) {
		log_warn("GeoIP decisions not compiled, looking clients up instead: %s", err.msg);
	} else if (m->maps != NULL) {
		/* the walk touched the whole file; queries no longer read it */
		geo_db_drop_pages(db);
		lb_maps_stats(m->maps, &st);
		log_info("GeoIP decisions compiled: %zu map(s) (%zu compiled, %zu kept), "
			 "%zu networks, %zu rankings, %zu KiB in %llu ms",
			 st.maps, st.compiled, st.reused, st.leaves, st.rankings, st.bytes / 1024,
			 (unsigned long long)(st.build_us / 1000));
	}
	maps_share_unref(old);
	atomic_fetch_add(&m->refs, 1);
	pthread_mutex_lock(&maps_lock);
	old = last_maps;
	last_maps = m;
	pthread_mutex_unlock(&maps_lock);
	maps_share_unref(old);
	return m;
}

/* What snapshots that differ only in datacenter states share. */
struct snapshot_data {
	struct config *config;   /* borrowed from cfg */
	struct config_share *cfg; /* one reference */
	struct zone_set *zones;  /* owned */
	struct geo_share *geo;   /* one reference, or NULL */
	struct maps_share *maps; /* one reference: compiled geo decisions over geo, or NULL */
	struct lbsig_table *lbsig; /* owned: signatures of load-balanced answers, or NULL */
	_Atomic unsigned refs;   /* snapshots using it */
};

struct geo_share *geo_share_new(struct geo_db *db)
{
	struct geo_share *g = xcalloc(1, sizeof(*g));

	g->db = db;
	atomic_init(&g->refs, 1);
	return g;
}

struct geo_share *geo_share_ref(struct geo_share *g)
{
	if (g != NULL)
		atomic_fetch_add(&g->refs, 1);
	return g;
}

void geo_share_unref(struct geo_share *g)
{
	if (g == NULL || atomic_fetch_sub(&g->refs, 1) > 1)
		return;
	geo_db_close(g->db);
	free(g);
}

const struct geo_db *geo_share_db(const struct geo_share *g)
{
	return g != NULL ? g->db : NULL;
}

static struct snapshot *snapshot_alloc(struct snapshot_data *data, uint8_t *dc_state,
				       struct latency_table *latency)
{
	struct snapshot *snap = xcalloc(1, sizeof(*snap));

	atomic_fetch_add(&data->refs, 1);
	snap->data = data;
	snap->config = data->config;
	snap->zones = data->zones;
	snap->geo = geo_share_db(data->geo);
	snap->maps = data->maps != NULL ? data->maps->maps : NULL;
	snap->lbsig = data->lbsig;
	snap->dc_state = dc_state;
	snap->latency = latency;
	atomic_init(&snap->refs, 0);
	return snap;
}

struct snapshot *snapshot_new(struct config *cfg, struct zone_set *zones, struct geo_share *geo)
{
	struct snapshot_data *data = xcalloc(1, sizeof(*data));
	uint8_t *dc_state = xmalloc(cfg->datacenter_count + 1);

	data->cfg = xcalloc(1, sizeof(*data->cfg));
	data->cfg->config = cfg;
	atomic_init(&data->cfg->refs, 1);
	data->config = cfg;
	data->zones = zones;
	data->geo = geo;
	if (geo != NULL)
		data->maps = maps_for(cfg, geo->db);
	memset(dc_state, DC_STATE_UP, cfg->datacenter_count + 1);
	return snapshot_alloc(data, dc_state, NULL);
}

struct snapshot *snapshot_new_zones(const struct snapshot *base, struct zone_set *zones)
{
	struct snapshot_data *data = xcalloc(1, sizeof(*data));
	const struct snapshot_data *b = base->data;
	size_t n = b->config->datacenter_count;
	uint8_t *dc_state = xmalloc(n + 1);

	atomic_fetch_add(&b->cfg->refs, 1);
	data->cfg = b->cfg;
	data->config = b->config;
	data->zones = zones;
	data->geo = geo_share_ref(b->geo);
	if (b->maps != NULL)
		atomic_fetch_add(&b->maps->refs, 1);
	data->maps = b->maps;
	memset(dc_state, DC_STATE_UP, n + 1);
	return snapshot_alloc(data, dc_state, NULL);
}

void snapshot_set_lbsig(struct snapshot *snap, struct lbsig_table *t)
{
	assert(atomic_load(&snap->data->refs) == 1 && snap->data->lbsig == NULL);
	snap->data->lbsig = t;
	snap->lbsig = t;
}

struct snapshot *snapshot_derive(const struct snapshot *base, uint8_t *dc_state,
				 struct latency_table *latency)
{
	return snapshot_alloc(base->data, dc_state, latency);
}

struct geo_share *snapshot_geo_share(const struct snapshot *snap)
{
	return snap->data->geo;
}

void snapshot_free(struct snapshot *snap)
{
	if (snap == NULL)
		return;
	if (atomic_fetch_sub(&snap->data->refs, 1) == 1) {
		if (atomic_fetch_sub(&snap->data->cfg->refs, 1) == 1) {
			config_free(snap->data->cfg->config);
			free(snap->data->cfg);
		}
		zone_set_free(snap->data->zones);
		maps_share_unref(snap->data->maps);
		lbsig_free(snap->data->lbsig);
		geo_share_unref(snap->data->geo);
		free(snap->data);
	}
	free(snap->dc_state);
	latency_table_free(snap->latency);
	free(snap);
}

struct snapshot_reader *snapshot_reader_new(void)
{
	struct snapshot_reader *r;

	if (reader_count == READERS_MAX)
		log_fatal("too many snapshot readers (%d)", READERS_MAX);
	r = xcalloc(1, sizeof(*r));
	atomic_init(&r->state, READER_OFFLINE);
	readers[reader_count++] = r;
	return r;
}

void snapshot_reader_online(struct snapshot_reader *r)
{
	/* Sequentially consistent: the state store is ordered before the
	 * reader's later load of `current`, against the main thread's store of
	 * `current` and its later loads of the states (see snapshot_reclaim). */
	atomic_store(&r->state, atomic_load(&current_generation));
}

void snapshot_reader_offline(struct snapshot_reader *r)
{
	atomic_store_explicit(&r->state, READER_OFFLINE, memory_order_release);
}

const struct snapshot *snapshot_current(void)
{
	return atomic_load(&current);
}

void snapshot_ref(const struct snapshot *snap)
{
	struct snapshot *s = (struct snapshot *)snap;

	atomic_fetch_add(&s->refs, 1);
}

void snapshot_unref(const struct snapshot *snap)
{
	struct snapshot *s = (struct snapshot *)snap;

	atomic_fetch_sub_explicit(&s->refs, 1, memory_order_release);
}

void snapshot_publish(struct snapshot *snap)
{
	struct snapshot *old;
	uint64_t gen = atomic_load(&current_generation) + 1;

	snap->generation = gen;
	old = atomic_exchange(&current, snap);
	atomic_store(&current_generation, gen);
	if (old != NULL) {
		struct retired *r = xmalloc(sizeof(*r));

		r->snap = old;
		r->until = gen;
		r->next = retired_list;
		retired_list = r;
	}
}

/* May a reader still see snapshots retired at generation until? A reader
 * that is offline holds none; one that came online at generation >= until
 * loaded `current` after it had been replaced. */
static bool readers_past(uint64_t until)
{
	for (size_t i = 0; i < reader_count; i++) {
		uint64_t st = atomic_load(&readers[i]->state);

		if (st != READER_OFFLINE && st < until)
			return false;
	}
	return true;
}

unsigned snapshot_reclaim(void)
{
	struct retired **pp = &retired_list;
	unsigned waiting = 0;

	while (*pp != NULL) {
		struct retired *r = *pp;

		if (readers_past(r->until) &&
		    atomic_load_explicit(&r->snap->refs, memory_order_acquire) == 0) {
			*pp = r->next;
			log_debug("snapshot generation %llu freed", (unsigned long long)r->snap->generation);
			snapshot_free(r->snap);
			free(r);
		} else {
			waiting++;
			pp = &r->next;
		}
	}
	return waiting;
}

void snapshot_shutdown(void)
{
	while (retired_list != NULL) {
		struct retired *r = retired_list;

		retired_list = r->next;
		snapshot_free(r->snap);
		free(r);
	}
	snapshot_free(atomic_exchange(&current, NULL));
	for (size_t i = 0; i < reader_count; i++)
		free(readers[i]);
	reader_count = 0;
	pthread_mutex_lock(&maps_lock);
	maps_share_unref(last_maps);
	last_maps = NULL;
	pthread_mutex_unlock(&maps_lock);
}

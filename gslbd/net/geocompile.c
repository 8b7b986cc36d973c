#include <config.h>

#include "gslbd/net/geocompile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/control/control.h"
#include "gslbd/control/progress.h"
#include "gslbd/dns/snapshot.h"

struct geocompile {
	struct event_base *base;     /* the main loop */
	struct control *ctl;         /* publishes the maps (main thread) */
	struct event *done_ev;       /* made active by the thread when it is done */
	bool running;                /* a build is under way, until on_done() */
	bool threaded;               /* on thread (else it ran on the main thread) */
	pthread_t thread;            /* its thread */
	const struct snapshot *from; /* the snapshot it compiles for (referenced) */
	uint64_t started_ms;         /* when it began (monotonic) */
	struct snapshot_maps *maps;  /* its result, written before done_ev is activated */
	_Atomic bool stopping;       /* geocompile_free() waits: do not start compiling */
	const char *hold;            /* GSLBD_TEST_MAPS_HOLD, or NULL */
};

/* Test builds only (the integration tests): with GSLBD_TEST_MAPS_HOLD set to
 * a path in the environment, a build waits until that file exists before it
 * compiles, so that a test can query, reload and drain while the maps are
 * deterministically not ready. Not a setting: nothing else reads it. */
static void test_hold(struct geocompile *g)
{
	const struct timespec tick = {0, 20 * 1000 * 1000};

	if (g->hold == NULL)
		return;
	while (!atomic_load(&g->stopping) && access(g->hold, F_OK) != 0)
		nanosleep(&tick, NULL);
}

static void *compile_thread(void *arg)
{
	struct geocompile *g = arg;

	test_hold(g);
	if (!atomic_load(&g->stopping))
		g->maps = snapshot_maps_build(g->from);
	progress_maps_done();
	event_active(g->done_ev, EV_TIMEOUT, 1);
	return NULL;
}

/* Compile for the current snapshot if it waits for maps. */
static void start(struct geocompile *g)
{
	const struct snapshot *cur = snapshot_current();

	if (g->running || cur == NULL || !snapshot_maps_pending(cur))
		return;
	g->from = cur;
	snapshot_ref(cur);
	g->maps = NULL;
	g->started_ms = time_mono_ms();
	log_info("GeoIP decisions: compiling the geo maps of generation %llu; direct lookups "
		 "answer meanwhile",
		 (unsigned long long)cur->generation);
	g->running = true;
	g->threaded = pthread_create(&g->thread, NULL, compile_thread, g) == 0;
	if (!g->threaded) {
		/* No thread: compile here, the main loop waits. */
		log_warn("GeoIP decisions: no thread to compile on; compiling on the main thread");
		g->maps = snapshot_maps_build(g->from);
		progress_maps_done();
		event_active(g->done_ev, EV_TIMEOUT, 1);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct geocompile *g = arg;
	uint64_t gen = g->from->generation;

	(void)fd;
	(void)what;
	if (g->threaded)
		pthread_join(g->thread, NULL);
	g->running = false;
	if (g->maps != NULL && !control_publish_maps(g->ctl, g->maps))
		log_info("GeoIP decisions: the maps of generation %llu are stale (reloaded "
			 "meanwhile): dropped",
			 (unsigned long long)gen);
	else if (g->maps != NULL)
		log_info("GeoIP decisions: maps ready %llu ms after generation %llu asked for them",
			 (unsigned long long)(time_mono_ms() - g->started_ms),
			 (unsigned long long)gen);
	snapshot_maps_free(g->maps);
	g->maps = NULL;
	snapshot_unref(g->from);
	g->from = NULL;
	/* a reload published meanwhile waits for maps of its own */
	start(g);
}

struct geocompile *geocompile_new(struct event_base *base, struct control *ctl)
{
	struct geocompile *g = xcalloc(1, sizeof(*g));
	const char *hold = getenv("GSLBD_TEST_MAPS_HOLD");

	g->base = base;
	g->ctl = ctl;
	g->hold = hold != NULL && *hold != '\0' ? hold : NULL;
	atomic_init(&g->stopping, false);
	g->done_ev = event_new(base, -1, 0, on_done, g);
	if (g->done_ev == NULL)
		log_fatal("GeoIP decisions: cannot make the compiler's event");
	return g;
}

void geocompile_kick(struct geocompile *g)
{
	if (g != NULL)
		start(g);
}

bool geocompile_busy(const struct geocompile *g)
{
	return g->running;
}

void geocompile_free(struct geocompile *g)
{
	if (g == NULL)
		return;
	atomic_store(&g->stopping, true);
	if (g->running) {
		log_info("GeoIP decisions: waiting for the maps being compiled");
		if (g->threaded)
			pthread_join(g->thread, NULL);
		snapshot_maps_free(g->maps);
		snapshot_unref(g->from);
	}
	event_free(g->done_ev);
	free(g);
}

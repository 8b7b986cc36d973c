#include <config.h>

#include "gslbd/control/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"

#define MAPS_PHASE "compiling geo maps"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool active;                /* cur holds a phase of the work going on */
static struct progress_state cur;  /* that phase */
static uint64_t logged_ms;         /* when it was last logged */
static uint64_t watched_ms;        /* when the watcher last heard */
static progress_watch_fn *watcher; /* progress_set_watcher() */
static void *watcher_arg;

void progress_set_watcher(progress_watch_fn *watch, void *arg)
{
	pthread_mutex_lock(&mu);
	watcher = watch;
	watcher_arg = arg;
	pthread_mutex_unlock(&mu);
}

void progress_begin(void)
{
	pthread_mutex_lock(&mu);
	active = false;
	pthread_mutex_unlock(&mu);
}

void progress_end(void)
{
	progress_begin();
}

void progress_maps_done(void)
{
	pthread_mutex_lock(&mu);
	if (active && strcmp(cur.phase, MAPS_PHASE) == 0)
		active = false;
	pthread_mutex_unlock(&mu);
}

bool progress_get(struct progress_state *out)
{
	bool on;

	pthread_mutex_lock(&mu);
	on = active;
	if (on)
		*out = cur;
	pthread_mutex_unlock(&mu);
	return on;
}

/* n with a comma between groups of three digits: "1,000,000". */
static void grouped(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t o = 0;

	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void progress_format(const struct progress_state *st, char *buf, size_t len)
{
	char done[40], total[40];

	grouped(st->done, done, sizeof(done));
	grouped(st->total, total, sizeof(total));
	snprintf(buf, len, "%s%s%s: %s of %s %s", st->phase, st->subject[0] != '\0' ? " " : "",
		 st->subject, done, total, st->unit);
}

/* done of total units of phase (about subject) are done. */
static void report(const char *phase, const char *subject, uint64_t done, uint64_t total,
		   const char *unit)
{
	uint64_t now = time_mono_ms();
	struct progress_state st;
	progress_watch_fn *watch;
	void *watch_arg;
	bool log_it, watch_it;
	char text[400];

	pthread_mutex_lock(&mu);
	if (!active || strcmp(cur.phase, phase) != 0 || strcmp(cur.subject, subject) != 0) {
		memset(&cur, 0, sizeof(cur));
		snprintf(cur.phase, sizeof(cur.phase), "%s", phase);
		snprintf(cur.subject, sizeof(cur.subject), "%s", subject);
		snprintf(cur.unit, sizeof(cur.unit), "%s", unit);
		cur.started_ms = now;
		logged_ms = now;
		watched_ms = 0;
		active = true;
	}
	/* The signing threads report at once: keep the furthest. */
	if (done > cur.done)
		cur.done = done;
	cur.total = total;
	log_it = now - logged_ms >= PROGRESS_LOG_MS;
	if (log_it)
		logged_ms = now;
	watch = watcher;
	watch_arg = watcher_arg;
	watch_it = watch != NULL && now - cur.started_ms >= PROGRESS_WATCH_MS &&
		   now - watched_ms >= PROGRESS_WATCH_MS;
	if (watch_it)
		watched_ms = now;
	st = cur;
	pthread_mutex_unlock(&mu);
	if (!log_it && !watch_it)
		return;
	progress_format(&st, text, sizeof(text));
	if (log_it)
		log_info("%s (%llus so far)", text,
			 (unsigned long long)((now - st.started_ms) / 1000));
	if (watch_it)
		watch(watch_arg, text);
}

static void zone_progress(void *arg, enum zone_progress_phase phase, const char *origin,
			  size_t done, size_t total)
{
	(void)arg;
	if (phase == ZONE_PROGRESS_READ)
		report("reading", origin, done, total, "bytes");
	else
		report("signing", origin, done, total, "records");
}

const struct zone_progress *progress_zone_hook(void)
{
	static const struct zone_progress hook = {zone_progress, NULL};

	return &hook;
}

void progress_maps(void *arg, size_t done, size_t total)
{
	(void)arg;
	report(MAPS_PHASE, "", done, total, "pools");
}

#include <config.h>

#include "gslbd/net/reload.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/net/notify.h"
#include "gslbd/net/sdnotify.h"
#include "gslbd/net/server.h"

/* Someone waiting for the end of a reload. */
struct waiter {
	control_reload_done_fn *done; /* called on the main thread */
	void *arg;                    /* its argument */
	struct waiter *next;          /* the next one */
};

#define KIND_BIT(k)  (1u << (k))
#define CONFIG_KINDS                                                                               \
	(KIND_BIT(CONTROL_RELOAD_SIGHUP) | KIND_BIT(CONTROL_RELOAD_API) |                          \
	 KIND_BIT(CONTROL_RELOAD_CATALOG))

struct reloader {
	struct event_base *base;       /* the main loop */
	struct control *ctl;           /* the control plane (main thread) */
	const char *path;              /* its config file, for the thread */
	const struct server *server;   /* the running listeners */
	struct event *done_ev;         /* made active by the thread when it is done */
	bool running;                  /* a thread is at work */
	pthread_t thread;              /* it */
	enum control_reload_kind kind; /* what it does */
	const struct snapshot *from;   /* the snapshot served when it started (referenced) */
	char **zones;                  /* CONTROL_RELOAD_ZONE: the zones it reads again (owned) */
	size_t zone_count;             /* entries at zones */
	/* Written by the thread before it activates done_ev; read after the join. */
	struct snapshot *result; /* the snapshot it built, or NULL */
	int rc;                  /* 0 or the failure */
	struct gslb_err err;     /* the failure */
	struct waiter *waiters;  /* told when the running reload ends */
	unsigned pending;        /* KIND_BIT()s asked for while it runs */
	struct waiter *queued[CONTROL_RELOAD_KINDS]; /* told when the next one of their kind
	                                             * (a config one for both config kinds) ends */
	bool notified;           /* RELOADING=1 sent, READY=1 owed */
	struct notifier *notifier;     /* tells secondaries of changed zones */
	void (*hook)(void *arg); /* after each config reload, or NULL */
	void *hook_arg;          /* its argument */
	void (*published)(void *arg); /* after each reload that published, or NULL */
	void *published_arg;          /* its argument */
};

static void *reload_thread(void *arg)
{
	struct reloader *r = arg;

	r->rc = control_reload_prepare(r->path, r->kind, r->from, (const char *const *)r->zones,
				       r->zone_count, &r->result, &r->err);
	event_active(r->done_ev, EV_TIMEOUT, 1);
	return NULL;
}

static void finish(struct reloader *r);

static void start(struct reloader *r, enum control_reload_kind kind)
{
	r->kind = kind;
	if (kind == CONTROL_RELOAD_ZONE)
		control_take_zone_names(r->ctl, &r->zones, &r->zone_count);
	r->from = snapshot_current();
	snapshot_ref(r->from);
	r->result = NULL;
	r->rc = 0;
	memset(&r->err, 0, sizeof(r->err));
	control_reload_started(r->ctl, kind);
	if (kind == CONTROL_RELOAD_RESIGN)
		log_info("DNSSEC: signing the zones again (generation %llu)",
			 (unsigned long long)r->from->generation);
	else if (kind == CONTROL_RELOAD_ZONE)
		log_info("reload: reading %zu zone%s again (%s%s)", r->zone_count,
			 r->zone_count == 1 ? "" : "s", r->zone_count > 0 ? r->zones[0] : "",
			 r->zone_count > 1 ? ", ..." : "");
	else
		log_info("reload: reading %s (%s)", control_config_path(r->ctl),
			 control_reload_kind_name(kind));
	r->running = true;
	if (pthread_create(&r->thread, NULL, reload_thread, r) != 0) {
		/* No thread: load here, the main loop waits. */
		log_warn("reload: no thread for it; loading on the main thread");
		r->rc = control_reload_prepare(r->path, kind, r->from,
					       (const char *const *)r->zones, r->zone_count,
					       &r->result, &r->err);
		r->running = false;
		finish(r);
	}
}

/* Tell ws (then free them) how a reload ended. */
static void tell(struct waiter *ws, int rc, const char *msg)
{
	uint64_t gen = snapshot_current()->generation;

	while (ws != NULL) {
		struct waiter *next = ws->next;

		if (ws->done != NULL)
			ws->done(ws->arg, rc, msg, gen);
		free(ws);
		ws = next;
	}
}

/* The main thread's half of a reload: publish or log, tell the waiters,
 * start what was asked for meanwhile. */
static void finish(struct reloader *r)
{
	enum control_reload_kind kind = r->kind;
	struct waiter *ws = r->waiters;
	int rc;

	r->waiters = NULL;
	rc = control_reload_finish(r->ctl, kind, r->result, r->rc, &r->err);
	r->result = NULL;
	control_zone_names_free(r->zones, r->zone_count);
	r->zones = NULL;
	r->zone_count = 0;
	if (rc == 0)
		notifier_changed(r->notifier, r->from, snapshot_current());
	snapshot_unref(r->from);
	r->from = NULL;
	if (rc == 0 && r->published != NULL)
		r->published(r->published_arg);
	if (rc == 0 && (KIND_BIT(kind) & CONFIG_KINDS) != 0 &&
	    !server_matches(r->server, snapshot_current()->config))
		log_warn("reload: listen addresses, workers or xdp changed in %s; they take "
			 "effect at the next restart",
			 control_config_path(r->ctl));
	if ((KIND_BIT(kind) & CONFIG_KINDS) != 0 && r->hook != NULL)
		r->hook(r->hook_arg);
	/* A config reload that worked signed what was due. */
	if (rc == 0 && (KIND_BIT(kind) & CONFIG_KINDS) != 0)
		r->pending &= ~KIND_BIT(CONTROL_RELOAD_RESIGN);
	tell(ws, rc, rc != 0 ? r->err.msg : "");
	if ((r->pending & CONFIG_KINDS) != 0) {
		enum control_reload_kind next =
		    (r->pending & KIND_BIT(CONTROL_RELOAD_SIGHUP))  ? CONTROL_RELOAD_SIGHUP
		    : (r->pending & KIND_BIT(CONTROL_RELOAD_API)) ? CONTROL_RELOAD_API
								    : CONTROL_RELOAD_CATALOG;

		r->pending &= ~CONFIG_KINDS;
		r->waiters = r->queued[CONTROL_RELOAD_SIGHUP];
		r->queued[CONTROL_RELOAD_SIGHUP] = NULL;
		start(r, next);
		return;
	}
	if (r->notified) {
		sdnotify_ready(snapshot_current());
		r->notified = false;
	}
	/* Zones to read again, then signatures due. */
	for (enum control_reload_kind k = CONTROL_RELOAD_ZONE;; k = CONTROL_RELOAD_RESIGN) {
		if ((r->pending & KIND_BIT(k)) != 0) {
			r->pending &= ~KIND_BIT(k);
			r->waiters = r->queued[k];
			r->queued[k] = NULL;
			start(r, k);
			return;
		}
		if (k == CONTROL_RELOAD_RESIGN)
			break;
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct reloader *r = arg;

	(void)fd;
	(void)what;
	pthread_join(r->thread, NULL);
	r->running = false;
	finish(r);
}

static void request_cb(void *arg, enum control_reload_kind kind, control_reload_done_fn *done,
		       void *done_arg)
{
	reloader_request(arg, kind, done, done_arg);
}

struct reloader *reloader_new(struct event_base *base, struct control *ctl,
			      const struct server *server)
{
	struct reloader *r = xcalloc(1, sizeof(*r));

	r->base = base;
	r->ctl = ctl;
	r->path = control_config_path(ctl);
	r->server = server;
	r->done_ev = event_new(base, -1, 0, on_done, r);
	if (r->done_ev == NULL)
		log_fatal("reload: cannot make its event");
	control_set_reloader(ctl, request_cb, r);
	r->notifier = notifier_new(base);
	return r;
}

void reloader_request(struct reloader *r, enum control_reload_kind kind,
		      control_reload_done_fn *done, void *done_arg)
{
	struct waiter *w = NULL;
	bool busy = r->running;

	if ((KIND_BIT(kind) & CONFIG_KINDS) != 0 && !r->notified) {
		sdnotify_reloading();
		r->notified = true;
	}
	if (done != NULL) {
		w = xcalloc(1, sizeof(*w));
		w->done = done;
		w->arg = done_arg;
	}
	if (!busy) {
		r->waiters = w;
		start(r, kind);
		return;
	}
	log_info("reload: %s asked for while one runs: it runs after it",
		 control_reload_kind_name(kind));
	r->pending |= KIND_BIT(kind);
	if (w != NULL) {
		/* The config kinds wait in the SIGHUP list. */
		enum control_reload_kind q =
		    (KIND_BIT(kind) & CONFIG_KINDS) != 0 ? CONTROL_RELOAD_SIGHUP : kind;

		w->next = r->queued[q];
		r->queued[q] = w;
	}
}

void reloader_notify_all(struct reloader *r)
{
	notifier_changed(r->notifier, NULL, snapshot_current());
}

bool reloader_busy(const struct reloader *r)
{
	return r->running || r->pending != 0;
}

void reloader_free(struct reloader *r)
{
	if (r == NULL)
		return;
	control_set_reloader(r->ctl, NULL, NULL);
	if (r->running) {
		log_info("reload: waiting for the one in progress to end");
		pthread_join(r->thread, NULL);
		snapshot_free(r->result);
		snapshot_unref(r->from);
	}
	tell(r->waiters, GSLB_EUNAVAIL, "gslbd is stopping: the reload was abandoned");
	for (int k = 0; k < CONTROL_RELOAD_KINDS; k++)
		tell(r->queued[k], GSLB_EUNAVAIL, "gslbd is stopping: the reload was abandoned");
	control_zone_names_free(r->zones, r->zone_count);
	event_free(r->done_ev);
	notifier_free(r->notifier);
	free(r);
}

void reloader_set_hook(struct reloader *r, void (*hook)(void *arg), void *arg)
{
	r->hook = hook;
	r->hook_arg = arg;
}

void reloader_set_published(struct reloader *r, void (*published)(void *arg), void *arg)
{
	r->published = published;
	r->published_arg = arg;
}

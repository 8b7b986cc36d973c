#include <config.h>

#include "gslbd/net/accept_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/xalloc.h"

struct accept_guard {
	struct evconnlistener *listener; /* guarded (borrowed) */
	struct event *resume;            /* re-enables the listener after a pause */
	enum accept_guard_kind kind;     /* for logs and counts */
	bool paused;                     /* disabled by the guard */
	struct accept_guard *next;       /* in the registry */
};

/* Pauses by kind, kept across guards (a new listener does not reset them). */
static _Atomic uint64_t pauses[ACCEPT_GUARD_KINDS];

/* The error callback of a listener gets the listener's accept argument,
 * which belongs to its owner (the HTTP server's, for the API): guards are found by
 * listener in this registry instead. Touched only at creation, free and on
 * accept errors. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct accept_guard *registry;

const char *accept_guard_kind_name(enum accept_guard_kind kind)
{
	return kind == ACCEPT_GUARD_TCP ? "tcp" : "api";
}

static struct accept_guard *find_guard(const struct evconnlistener *l)
{
	struct accept_guard *g;

	pthread_mutex_lock(&registry_lock);
	for (g = registry; g != NULL && g->listener != l; g = g->next)
		;
	pthread_mutex_unlock(&registry_lock);
	return g;
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct accept_guard *g = arg;

	(void)fd;
	(void)what;
	g->paused = false;
	evconnlistener_enable(g->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	struct accept_guard *g = find_guard(l);
	struct timeval tv = {0, ACCEPT_GUARD_PAUSE_MS * 1000};

	(void)arg;
	if (g == NULL)
		return;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM) {
		log_ratelimited(LOG_LEVEL_WARN, "%s: accept: %s", accept_guard_kind_name(g->kind),
				strerror(e));
		return;
	}
	log_ratelimited(LOG_LEVEL_WARN, "%s: accept: %s; not accepting for %d ms",
			accept_guard_kind_name(g->kind), strerror(e), ACCEPT_GUARD_PAUSE_MS);
	atomic_fetch_add_explicit(&pauses[g->kind], 1, memory_order_relaxed);
	if (!g->paused) {
		g->paused = true;
		evconnlistener_disable(l);
		evtimer_add(g->resume, &tv);
	}
}

struct accept_guard *accept_guard_new(struct event_base *base, struct evconnlistener *l,
				      enum accept_guard_kind kind)
{
	struct accept_guard *g = xcalloc(1, sizeof(*g));

	g->listener = l;
	g->kind = kind;
	g->resume = evtimer_new(base, resume_cb, g);
	if (g->resume == NULL)
		log_fatal("accept guard: cannot create a timer");
	pthread_mutex_lock(&registry_lock);
	g->next = registry;
	registry = g;
	pthread_mutex_unlock(&registry_lock);
	evconnlistener_set_error_cb(l, on_accept_error);
	return g;
}

uint64_t accept_guard_pauses(enum accept_guard_kind kind)
{
	return atomic_load_explicit(&pauses[kind], memory_order_relaxed);
}

void accept_guard_free(struct accept_guard *g)
{
	struct accept_guard **p;

	if (g == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	for (p = &registry; *p != NULL && *p != g; p = &(*p)->next)
		;
	if (*p == g)
		*p = g->next;
	pthread_mutex_unlock(&registry_lock);
	evconnlistener_set_error_cb(g->listener, NULL);
	if (g->paused)
		evconnlistener_enable(g->listener);
	event_free(g->resume);
	free(g);
}

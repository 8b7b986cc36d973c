/* Listeners that cannot accept for want of file descriptors or memory.
 *
 * When accept() fails with EMFILE, ENFILE, ENOBUFS or ENOMEM the connection
 * stays queued, the listening socket stays readable, and libevent would call
 * accept() again at once: the thread would spin at full CPU until a
 * descriptor frees up, starving everything else on its event loop. A guard
 * disables its listener for ACCEPT_GUARD_PAUSE_MS instead, logs (rate
 * limited) and counts the pause. Other accept errors are logged only.
 * A guard lives on the listener's event loop thread; create and free it
 * there (or before the loop runs / after it stopped). */
#ifndef GSLBD_NET_ACCEPT_GUARD_H
#define GSLBD_NET_ACCEPT_GUARD_H

#include <stdint.h>

struct event_base;
struct evconnlistener;
struct accept_guard;

#define ACCEPT_GUARD_PAUSE_MS 100

/* What a listener serves; names it in logs and in /metrics. */
enum accept_guard_kind {
	ACCEPT_GUARD_TCP, /* DNS over TCP */
	ACCEPT_GUARD_API, /* the HTTP API */
	ACCEPT_GUARD_KINDS
};

/* "tcp" or "api". */
const char *accept_guard_kind_name(enum accept_guard_kind kind);

/* Guard l (borrowed; it must outlive the guard), whose loop is base.
 * Replaces l's error callback. */
struct accept_guard *accept_guard_new(struct event_base *base, struct evconnlistener *l,
				      enum accept_guard_kind kind);

/* Pauses so far of the listeners of a kind, freed ones included (any
 * thread; for /metrics). */
uint64_t accept_guard_pauses(enum accept_guard_kind kind);

/* Re-enable the listener if paused, and free (NULL is fine). */
void accept_guard_free(struct accept_guard *g);

#endif

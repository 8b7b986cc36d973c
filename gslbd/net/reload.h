/* Reloads off the main loop: a thread of its own parses the config, loads
 * and signs the zones, opens the GeoIP database and compiles the geo maps
 * into a new snapshot (control_reload_prepare()), then wakes the main
 * loop, which only merges the live overrides and health into it and
 * publishes it (control_reload_finish()). DNS, the API, health ticks and
 * the watchdog keep going meanwhile.
 *
 * One reload runs at a time. A request while one runs is run once more
 * after it, however many came (a SIGHUP or an API reload asked during a
 * run may have edited files that run already read); a re-signing asked
 * while a config reload runs waits for it and is dropped if that reload
 * succeeded (it signed what was due). The service manager hears
 * RELOADING=1 when a config reload is asked for and READY=1 once no more
 * is queued. Zones whose serial a published reload or re-signing changed
 * are announced to their secondaries (notify.h). Create, use and free on the main thread. */
#ifndef GSLBD_NET_RELOAD_H
#define GSLBD_NET_RELOAD_H

#include <stdbool.h>

#include "gslbd/control/control.h"

struct event_base;
struct server;
struct reloader;

/* The reloads of ctl's config, woken on base; server (borrowed) is told
 * apart from what a reloaded config asks for (listeners change only at a
 * restart). Becomes ctl's reloader (control_set_reloader()). */
struct reloader *reloader_new(struct event_base *base, struct control *ctl,
			      const struct server *server);
/* Wait for the reload running (if any), tell the waiting requests it was
 * abandoned, and free r (NULL is fine). */
void reloader_free(struct reloader *r);

/* Ask for a reload of kind; done(done_arg, ...) is called on the main
 * thread when one that started after this request has ended (NULL: no one
 * waits). */
void reloader_request(struct reloader *r, enum control_reload_kind kind,
		      control_reload_done_fn *done, void *done_arg);
/* After every config reload (SIGHUP or API, failed or not), on the main
 * thread: hook(arg) — what else the daemon reads again then (the API's
 * certificates). */
void reloader_set_hook(struct reloader *r, void (*hook)(void *arg), void *arg);
/* After every reload that published a snapshot (config or re-signing), on
 * the main thread: published(arg) — the geo maps it may wait for. */
void reloader_set_published(struct reloader *r, void (*published)(void *arg), void *arg);
/* At start, once the listeners are up: NOTIFY the secondaries of every
 * zone that has data (RFC 1996 4.3: a restarted primary may have changed
 * while it was down, and secondaries then catch up at once). */
void reloader_notify_all(struct reloader *r);
/* Is a reload running or queued? */
bool reloader_busy(const struct reloader *r);

#endif

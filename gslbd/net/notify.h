/* NOTIFY (RFC 1996): when a published snapshot changes a zone (its SOA
 * serial moved: a reload, a re-signing), tell the zone's secondaries
 * (zones[].notify, server.notify) over UDP so they refresh at once instead
 * of at their next SOA refresh. Each message is signed when the
 * secondary's entry names a key (TSIG), and sent again with a doubling
 * interval (1 s, 2 s, 4 s, 8 s: five tries) until the secondary answers;
 * a newer change of the same zone replaces a NOTIFY still being retried.
 * At start every zone with data is announced (RFC 1996 4.3).
 * Logged and counted (gslbd_notify_{sent,acked,failed}_total).
 *
 * Runs on the main thread's event loop; non-blocking sockets only. Create,
 * use and free on the main thread. */
#ifndef GSLBD_NET_NOTIFY_H
#define GSLBD_NET_NOTIFY_H

struct event_base;
struct snapshot;
struct notifier;

/* A notifier on base. Caller owns it; notifier_free() accepts NULL. */
struct notifier *notifier_new(struct event_base *base);
/* Drop every NOTIFY still pending and free n. */
void notifier_free(struct notifier *n);
/* cur replaced old (both borrowed for the call): NOTIFY the secondaries
 * of each zone of cur whose serial differs from the same zone's in old
 * (old NULL: every zone, as at start); zones without data are skipped. */
void notifier_changed(struct notifier *n, const struct snapshot *old, const struct snapshot *cur);

#endif

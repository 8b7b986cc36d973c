/* The transfer client: secondary zones (zones[].primaries) kept current
 * from their primaries.
 *
 * Each secondary zone has a refresh timer and an expire timer from its SOA
 * (RFC 1034 4.3.5, RFC 1996): at refresh (or at once on a NOTIFY from a
 * primary, or at start) a worker thread asks the primaries in turn for
 * their SOA serial (over UDP first, over TCP when the answer is
 * truncated or none comes within 2 s; signed when the primary has a key)
 * and, when it is newer, takes the zone by IXFR
 * from the version held (RFC 1995; AXFR when that fails or nothing is
 * held), writes it atomically to the zone's file in server.storage, and
 * the main thread has that zone read again (control_reload_zone()). A
 * failed refresh is tried again after the SOA's retry; past expire without
 * a successful one, the zone is marked expired (FILE.expired) and answers
 * SERVFAIL until a transfer succeeds. DNS threads never wait on any of it.
 * Main thread, but for the NOTIFY hook (any thread). */
#ifndef GSLBD_NET_XFR_IN_H
#define GSLBD_NET_XFR_IN_H

#include <event2/event.h>

struct xfr_in;
struct control;
struct config;

/* Start the client for cfg's secondary zones (none: it idles). Makes
 * server.storage when missing, and sets the NOTIFY hook. */
struct xfr_in *xfr_in_new(struct event_base *base, struct control *ctl, const struct config *cfg);
/* Follow a new config: zones added start, zones gone stop, primaries
 * change. */
void xfr_in_reconfigure(struct xfr_in *x, const struct config *cfg);
/* Stop: waits for transfers under way. NULL is fine. */
void xfr_in_free(struct xfr_in *x);

#endif

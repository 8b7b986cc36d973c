/* The geo maps compiled off the DNS threads and the main loop: the daemon
 * publishes a snapshot that decides by direct lookups in the GeoIP
 * database at once (snapshot_set_maps_deferred()), and a thread of its own
 * compiles the maps it waits for (snapshot_maps_build()); back on the main
 * loop, a snapshot like the one served then - its datacenter states, its
 * config - gets them (control_publish_maps()). Maps built for a config or
 * database that a reload replaced meanwhile are dropped, and the newer
 * snapshot's are compiled next: the newest config wins, in order.
 *
 * One build at a time. Create, kick and free on the main thread. */
#ifndef GSLBD_NET_GEOCOMPILE_H
#define GSLBD_NET_GEOCOMPILE_H

#include <stdbool.h>

struct event_base;
struct control;
struct geocompile;

/* The compiler of ctl's snapshots, woken on base. */
struct geocompile *geocompile_new(struct event_base *base, struct control *ctl);
/* A snapshot was published: compile the maps the current one waits for,
 * now or after the build running (NULL is fine: nothing). */
void geocompile_kick(struct geocompile *g);
/* Is a build running? */
bool geocompile_busy(const struct geocompile *g);
/* Wait for the build running (if any), drop it and free g (NULL is fine). */
void geocompile_free(struct geocompile *g);

#endif

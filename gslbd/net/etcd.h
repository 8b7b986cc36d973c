/* The fleet's shared operator state in etcd (v3, its JSON gateway over
 * HTTP with libcurl): one key per overridden datacenter under etcd.prefix,
 * "<prefix>admin/<datacenter>", whose value is {"state", "since_ms",
 * "author", "reason"}; an undrain writes state "none" rather than deleting
 * the key, so that a key's revision only moves forward and every change
 * has a revision (the alerts of a change are named by it).
 *
 * At the start the whole prefix is read, with the request's timeout,
 * before DNS answers (unreachable: the local state file is followed, and
 * the status says so). A thread then reads it every etcd.poll and hands
 * each new revision to the main thread, which applies it (the control
 * plane publishes a snapshot); DNS never waits on etcd, and while it is
 * unreachable the last state read holds. Overrides written through the API
 * go to etcd first, in a transaction that compares the key's revision with
 * the one the operator saw: a stale write is refused (409). Create and free
 * on the main thread. */
#ifndef GSLBD_NET_ETCD_H
#define GSLBD_NET_ETCD_H

#include "common/err.h"
#include "gslbd/conf/conf.h"

struct event_base;
struct control;
struct etcd;

/* Start the fleet link of cfg (NULL when cfg has no etcd endpoints): read
 * the state once (applying it to ctl), start the reader thread, and make
 * ctl write overrides through etcd. */
struct etcd *etcd_start(const struct config *cfg, struct event_base *base, struct control *ctl);
void etcd_free(struct etcd *e);

#endif

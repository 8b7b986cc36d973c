/* NOTIFY (RFC 1996) received for secondary zones.
 *
 * The DNS threads answer a NOTIFY for a zone with primaries (zones[].primaries)
 * when it comes from one of them (by address, any port): NOERROR with AA,
 * after telling the hook the zone's name; anything else is REFUSED. The hook
 * is the transfer client's (xfr_in.c): it only queues the name and wakes its
 * loop, so the DNS threads never wait on a transfer. */
#ifndef GSLBD_DNS_NOTIFY_IN_H
#define GSLBD_DNS_NOTIFY_IN_H

/* Told the origin (presentation format, with the final dot) of a zone a
 * primary notified. Called on a DNS thread: must be quick, thread-safe and
 * must not block. */
typedef void notify_in_fn(void *arg, const char *zone);

/* Set the hook (NULL: NOTIFYs are answered and dropped). Main thread, before
 * the DNS threads start, or while none answers. */
void notify_in_set_hook(notify_in_fn *fn, void *arg);

#endif

/* Notifications to the service manager (systemd's sd_notify protocol):
 * readiness once every listener is up, RELOADING/READY around SIGHUP
 * reloads, a STATUS line with the generation and the datacenters, and the
 * watchdog keep-alive. Without libsystemd (configure --without-systemd, or
 * not found) every call does nothing. Main thread only, but for
 * sdnotify_progress(). */
#ifndef GSLBD_NET_SDNOTIFY_H
#define GSLBD_NET_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct snapshot;

/* True when gslbd runs under a service manager that listens
 * (NOTIFY_SOCKET is set and libsystemd is built in). */
bool sdnotify_is_enabled(void);
/* READY=1 with the STATUS line for snap. */
void sdnotify_ready(const struct snapshot *snap);
/* RELOADING=1 (with MONOTONIC_USEC) before a reload starts. */
void sdnotify_reloading(void);
/* STATUS= line for snap, sent only when it differs from the last one. */
void sdnotify_status(const struct snapshot *snap);
/* STATUS=text: how long work goes ("signing example.com: 412,000 of
 * 1,000,000 records"). Any thread; the next change of the snapshot's line
 * (or READY=1) replaces it. */
void sdnotify_progress(const char *text);
/* STOPPING=1 when the daemon starts shutting down. */
void sdnotify_stopping(void);
/* The watchdog interval the service manager asks for in microseconds, or 0
 * when there is none (WatchdogSec unset, or not for this process). */
uint64_t sdnotify_watchdog_usec(void);
/* WATCHDOG=1: the main loop is alive. */
void sdnotify_watchdog(void);

#endif

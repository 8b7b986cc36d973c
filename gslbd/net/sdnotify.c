#include <config.h>

#include "gslbd/net/sdnotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/log.h"
#include "common/timeutil.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/snapshot.h"

#ifdef HAVE_LIBSYSTEMD

/* The last STATUS= text sent, so that timers resend only changes. */
static char last_status[256];

static void notify(const char *msg)
{
	int rc = sd_notify(0, msg);

	if (rc < 0)
		log_warn("sd_notify '%s' failed: %s", msg, strerror(-rc));
}

/* "generation 7: 3 datacenters, 2 up, 1 down (eu-west)" */
static void format_status(const struct snapshot *snap, char *buf, size_t len)
{
	const struct config *cfg = snap->config;
	size_t up = 0, down = 0, off;

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		if (snap->dc_state[i] == DC_STATE_UP)
			up++;
		else
			down++;
	}
	off =
	    (size_t)snprintf(buf, len, "STATUS=generation %llu: %zu datacenters, %zu up, %zu down",
			     (unsigned long long)snap->generation, cfg->datacenter_count, up, down);
	for (size_t i = 0, n = 0; i < cfg->datacenter_count && off < len; i++) {
		if (snap->dc_state[i] == DC_STATE_UP)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", n++ == 0 ? " (" : ", ",
					cfg->datacenters[i].name);
		if (n == down && off < len)
			off += (size_t)snprintf(buf + off, len - off, ")");
	}
}

bool sdnotify_is_enabled(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && *s != '\0';
}

void sdnotify_status(const struct snapshot *snap)
{
	char buf[sizeof(last_status)];

	if (!sdnotify_is_enabled())
		return;
	format_status(snap, buf, sizeof(buf));
	if (strcmp(buf, last_status) == 0)
		return;
	memcpy(last_status, buf, sizeof(buf));
	notify(buf);
}

void sdnotify_progress(const char *text)
{
	char buf[512];

	/* last_status is the main thread's: not touched here. */
	if (!sdnotify_is_enabled())
		return;
	snprintf(buf, sizeof(buf), "STATUS=%s", text);
	notify(buf);
}

void sdnotify_ready(const struct snapshot *snap)
{
	char buf[sizeof(last_status) + 16];

	if (!sdnotify_is_enabled())
		return;
	format_status(snap, last_status, sizeof(last_status));
	snprintf(buf, sizeof(buf), "READY=1\n%s", last_status);
	notify(buf);
}

void sdnotify_reloading(void)
{
	char buf[64];

	if (!sdnotify_is_enabled())
		return;
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)time_mono_us());
	notify(buf);
}

void sdnotify_stopping(void)
{
	if (sdnotify_is_enabled())
		notify("STOPPING=1");
}

uint64_t sdnotify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

void sdnotify_watchdog(void)
{
	notify("WATCHDOG=1");
}

#else /* !HAVE_LIBSYSTEMD */

bool sdnotify_is_enabled(void)
{
	return false;
}

void sdnotify_ready(const struct snapshot *snap)
{
	(void)snap;
}

void sdnotify_reloading(void)
{
}

void sdnotify_status(const struct snapshot *snap)
{
	(void)snap;
}

void sdnotify_progress(const char *text)
{
	(void)text;
}

void sdnotify_stopping(void)
{
}

uint64_t sdnotify_watchdog_usec(void)
{
	return 0;
}

void sdnotify_watchdog(void)
{
}

#endif

#include <config.h>

#include "probes/agent.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "probes/config_fetch.h"
#include "probes/probe-internal.h"
#include "probes/reporter.h"
#include "probes/scheduler.h"
#include "probes/transport.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	a->exit_code = 0;
	event_base_loopbreak(a->base);
}

int agent_new(const struct probe_conf *conf, bool once, struct agent **out, struct gslb_err *err)
{
	struct agent *a = xcalloc(1, sizeof(*a));

	a->conf = conf;
	a->once = once;
	a->exit_code = 1;
	a->accepted = xcalloc(conf->server_count, sizeof(*a->accepted));
	srandom((unsigned)(time_wall_ms() ^ ((uint64_t)getpid() << 16)));
	event_set_log_callback(log_libevent_message);
	a->base = event_base_new();
	if (a->base == NULL || transport_init(a) != 0)
		goto fail;
	a->sig_term = evsignal_new(a->base, SIGTERM, on_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_signal, a);
	a->refresh = evtimer_new(a->base, config_fetch_on_refresh, a);
	a->report_timer = evtimer_new(a->base, reporter_on_timer, a);
	if (a->sig_term == NULL || a->sig_int == NULL || a->refresh == NULL ||
	    a->report_timer == NULL)
		goto fail;
	if (event_add(a->sig_term, NULL) != 0 || event_add(a->sig_int, NULL) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	agent_free(a);
	return gslb_err_setc(err, GSLB_EIO, "cannot set up the event loop or libcurl");
}

int agent_run(struct agent *a)
{
	config_fetch_start(a, 0);
	if (event_base_dispatch(a->base) < 0) {
		log_err("event loop failed");
		return 1;
	}
	return a->exit_code;
}

void agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	reporter_fini(a);
	scheduler_clear(a);
	transport_fini(a);
	if (a->sig_term != NULL)
		event_free(a->sig_term);
	if (a->sig_int != NULL)
		event_free(a->sig_int);
	if (a->refresh != NULL)
		event_free(a->refresh);
	if (a->report_timer != NULL)
		event_free(a->report_timer);
	if (a->base != NULL)
		event_base_free(a->base);
	free(a->etag);
	free(a->accepted);
	free(a);
}

#include <config.h>

#include "probes/scheduler.h"

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/xalloc.h"
#include "probes/reporter.h"
#include "probes/transport.h"

/* Bytes of a check's response body kept for expect_body (the rest is read
 * and dropped). */
#define CHECK_BODY_MAX (64u * 1024)
/* Largest random delay before a check's first run, in ms. */
#define FIRST_RUN_SPREAD_MS 1000u

/* Run state of one check of the current list. */
struct check_state {
	struct agent *a;           /* owner */
	size_t index;              /* in a->checks */
	struct event *timer;       /* next run (daemon mode) */
	struct xfer *running;      /* the run in flight, or NULL */
	bool queued;               /* waiting for a free slot */
	bool fresh;                /* completed since the last report */
	bool has_result;           /* last is set */
	struct pcheck_result last; /* latest result */
};

static const char *check_type_name(enum check_spec_type t)
{
	return t == CHECK_SPEC_HTTPS ? PROBE_PROTO_TYPE_HTTPS
	       : t == CHECK_SPEC_TCP ? PROBE_PROTO_TYPE_TCP
				     : PROBE_PROTO_TYPE_HTTP;
}

static void check_start(struct check_state *st)
{
	struct agent *a = st->a;
	const struct check_spec *c = &a->checks->checks[st->index];
	char *url, addr[64], host[CHECK_SPEC_HOST_MAX + 8];
	/* The URL's port: the one the Host names, else the one connected to. */
	unsigned url_port = c->host != NULL && c->host_port != 0 ? c->host_port : c->port;
	struct xfer *x;

	snprintf(addr, sizeof(addr), c->is_ipv6 ? "[%s]" : "%s", c->address);
	if (c->host != NULL)
		snprintf(host, sizeof(host), c->host_is_ipv6 ? "[%s]" : "%s", c->host);
	else
		snprintf(host, sizeof(host), "%s", addr);
	if (c->type == CHECK_SPEC_TCP)
		url = xasprintf("http://%s:%u/", addr, (unsigned)c->port);
	else
		url = xasprintf("%s://%s:%u%s", c->type == CHECK_SPEC_HTTPS ? "https" : "http",
				host, url_port, c->path);
	x = xfer_new(a, XFER_CHECK, url, CHECK_BODY_MAX, c->timeout_ms);
	free(url);
	x->index = st->index;
	/* A new connection every time: the connect time is what we measure. */
	curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
	if (c->type == CHECK_SPEC_TCP) {
		curl_easy_setopt(x->easy, CURLOPT_CONNECT_ONLY, 1L);
	} else {
		if (c->host != NULL) {
			/* The URL names the host (Host header, SNI, certificate
			 * name); the connection goes to the datacenter's address. */
			char *target =
			    xasprintf("%s:%u:%s:%u", host, url_port, addr, (unsigned)c->port);

			x->connect_to = curl_slist_append(NULL, target);
			free(target);
			if (x->connect_to == NULL) {
				log_err("out of memory");
				abort();
			}
			curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, x->connect_to);
		}
		if (c->load_source == CHECK_SPEC_LOAD_HEADER)
			xfer_keep_header(x, c->load_name);
		if (!c->tls_verify) {
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	st->running = x;
	a->in_flight++;
	xfer_start(x);
	log_debug("check started: datacenter=%s type=%s address=%s port=%u", c->datacenter,
		  check_type_name(c->type), c->address, (unsigned)c->port);
}

/* Start waiting checks while there is room. */
static void checks_drain_queue(struct agent *a)
{
	while (a->wait_len > 0 && a->in_flight < a->conf->max_concurrent) {
		size_t i = a->waitq[a->wait_head];

		a->wait_head = (a->wait_head + 1) % a->checks->count;
		a->wait_len--;
		a->states[i].queued = false;
		check_start(&a->states[i]);
	}
}

/* Run check st now if there is room, else queue it. */
static void check_request(struct check_state *st)
{
	struct agent *a = st->a;

	if (st->running != NULL || st->queued) {
		log_ratelimited(LOG_LEVEL_WARN,
				"check still running at its next turn, skipped: datacenter=%s",
				a->checks->checks[st->index].datacenter);
		return;
	}
	if (a->in_flight < a->conf->max_concurrent && a->wait_len == 0) {
		check_start(st);
		return;
	}
	st->queued = true;
	a->waitq[(a->wait_head + a->wait_len) % a->checks->count] = st->index;
	a->wait_len++;
}

static void on_check_timer(evutil_socket_t fd, short what, void *arg)
{
	struct check_state *st = arg;

	(void)fd;
	(void)what;
	transport_timer_add_ms(st->timer, st->a->checks->checks[st->index].interval_ms);
	check_request(st);
}

/* The RTT of a finished check in ms: the TCP connect time, or with
 * first_byte the time from the start until the first response byte (the
 * server's answer time included). -1 when that point was not reached. */
static double xfer_rtt_ms(struct xfer *x, bool first_byte)
{
#if LIBCURL_VERSION_NUM >= 0x073D00
	curl_off_t us = 0;

	if (first_byte)
		curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME_T, &us);
	else
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &us);
	return us > 0 ? (double)us / 1000.0 : -1.0;
#else
	double secs = 0;

	if (first_byte)
		curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME, &secs);
	else
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME, &secs);
	return secs > 0 ? secs * 1000.0 : -1.0;
#endif
}

void scheduler_check_done(struct xfer *x, CURLcode rc)
{
	struct agent *a = x->a;
	struct check_state *st = &a->states[x->index];
	const struct check_spec *c = &a->checks->checks[x->index];
	struct pcheck_result r;
	long status = 0;
	bool first_byte = c->rtt_first_byte && c->type != CHECK_SPEC_TCP;
	double rtt = xfer_rtt_ms(x, first_byte);
	bool was_ok = st->has_result && st->last.ok;

	if (c->type != CHECK_SPEC_TCP)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rtt < 0 && (first_byte ? status > 0 : rc == CURLE_OK || status > 0))
		rtt = 0.001; /* faster than the clock's resolution */
	pcheck_evaluate(c, rc == CURLE_OK ? NULL : xfer_error(x, rc), status, x->body, x->body_len,
			x->truncated, rtt, &r);
	if (c->load_source != CHECK_SPEC_LOAD_NONE) {
		if (rc == CURLE_OK)
			pcheck_load_read(c, x->header_value, x->body, x->body_len, x->truncated,
					 &r);
		else
			snprintf(r.load_error, sizeof(r.load_error), "no response");
		if (r.has_load)
			log_debug("check load: datacenter=%s load=%g", c->datacenter, r.load);
		else
			log_ratelimited(LOG_LEVEL_WARN,
					"check load not read: datacenter=%s reason=%s",
					c->datacenter, r.load_error);
	}
	st->last = r;
	st->fresh = true;
	st->running = NULL;
	a->in_flight--;
	if (!st->has_result || was_ok != r.ok) {
		if (r.ok)
			log_info("check ok: datacenter=%s rtt_ms=%.3f status=%d", c->datacenter,
				 r.rtt_ms, r.status);
		else
			log_info("check failed: datacenter=%s status=%d error=%s", c->datacenter,
				 r.status, r.error);
	} else {
		log_debug("check %s: datacenter=%s rtt_ms=%.3f status=%d error=%s",
			  r.ok ? "ok" : "failed", c->datacenter, r.rtt_ms, r.status, r.error);
	}
	st->has_result = true;
	xfer_free(x);
	checks_drain_queue(a);
	if (a->once) {
		a->once_done++;
		if (a->once_done == a->checks->count && !a->once_reported)
			reporter_send_all(a);
	}
}

/* Stop every check of the current list and forget it. */
void scheduler_clear(struct agent *a)
{
	if (a->checks == NULL)
		return;
	for (size_t i = 0; i < a->checks->count; i++) {
		struct check_state *st = &a->states[i];

		if (st->timer != NULL)
			event_free(st->timer);
		if (st->running != NULL) {
			xfer_detach(st->running);
			xfer_free(st->running);
		}
	}
	free(a->states);
	free(a->waitq);
	a->states = NULL;
	a->waitq = NULL;
	a->wait_head = a->wait_len = a->in_flight = 0;
	pcheck_list_free(a->checks);
	a->checks = NULL;
}

/* Use list (takes ownership) from now on. */
void scheduler_apply(struct agent *a, struct pcheck_list *list)
{
	bool first = a->checks == NULL;

	scheduler_clear(a);
	a->checks = list;
	a->states = xcalloc(list->count + 1, sizeof(*a->states));
	a->waitq = xcalloc(list->count + 1, sizeof(*a->waitq));
	if (!a->ready_logged) {
		log_info("ready: probe=%s servers=%zu checks=%zu", a->conf->id,
			 a->conf->server_count, list->count);
		a->ready_logged = true;
	} else if (!first) {
		log_info("probe config changed: checks=%zu interval_ms=%u", list->count,
			 list->interval_ms);
	}
	for (size_t i = 0; i < list->count; i++) {
		struct check_state *st = &a->states[i];

		st->a = a;
		st->index = i;
		if (a->once)
			continue;
		st->timer = evtimer_new(a->base, on_check_timer, st);
		if (st->timer == NULL) {
			log_err("out of memory");
			abort();
		}
		/* Spread the first runs so that checks do not all start at once. */
		{
			unsigned spread = list->checks[i].interval_ms < FIRST_RUN_SPREAD_MS
					      ? list->checks[i].interval_ms
					      : FIRST_RUN_SPREAD_MS;

			transport_timer_add_ms(st->timer, (uint64_t)random() % spread);
		}
	}
	if (a->once) {
		a->once_done = 0;
		for (size_t i = 0; i < list->count; i++)
			check_request(&a->states[i]);
		if (list->count == 0 && !a->once_reported)
			reporter_send_all(a);
	} else {
		reporter_cycle_restart(a);
	}
}

struct report_item *scheduler_take_fresh(struct agent *a, size_t *count)
{
	struct report_item *items = xcalloc(a->checks->count + 1, sizeof(*items));

	*count = 0;
	for (size_t i = 0; i < a->checks->count; i++) {
		struct check_state *st = &a->states[i];

		if (!st->fresh)
			continue;
		st->fresh = false;
		items[*count].datacenter = a->checks->checks[i].datacenter;
		items[*count].res = &st->last;
		(*count)++;
	}
	return items;
}

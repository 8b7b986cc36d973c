#include <config.h>

#include "probes/reporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/xalloc.h"
#include "probes/scheduler.h"
#include "probes/transport.h"

/* Bytes of a report answer kept (for the reason of a refusal). */
#define REPORT_BODY_MAX 4096u
/* First retry delay of a report; doubles per attempt up to the cap. */
#define RETRY_BASE_MS 250u
#define RETRY_MAX_MS  5000u

/* A report body shared by its sends to every server. */
struct report {
	unsigned refs; /* sends still holding it */
	char *body;    /* JSON text */
	size_t len;    /* bytes at body */
};

/* One report to one server: in flight or waiting for a retry. */
struct send {
	struct agent *a;     /* owner */
	struct report *rep;  /* shared body */
	size_t server;       /* index in conf->servers */
	unsigned attempt;    /* attempts made so far */
	struct event *retry; /* backoff timer */
	struct xfer *x;      /* the attempt in flight, or NULL while waiting */
	struct send *prev;   /* list of sends */
	struct send *next;   /* list of sends */
};

static void report_unref(struct report *rep)
{
	if (rep != NULL && --rep->refs == 0) {
		free(rep->body);
		free(rep);
	}
}

static void send_free(struct send *s)
{
	struct agent *a = s->a;

	if (s->x != NULL) {
		xfer_detach(s->x);
		xfer_free(s->x);
	}
	if (s->retry != NULL)
		event_free(s->retry);
	report_unref(s->rep);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		a->sends = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

/* once: stop the loop when the last send is over. */
static void once_maybe_finish(struct agent *a)
{
	if (!a->once || !a->once_reported || a->sends != NULL)
		return;
	a->exit_code = 0;
	for (size_t i = 0; i < a->conf->server_count; i++) {
		if (!a->accepted[i])
			a->exit_code = 1;
	}
	event_base_loopbreak(a->base);
}

/* One attempt of send s, signed afresh. */
static void send_attempt(struct send *s)
{
	struct agent *a = s->a;
	char *url = xasprintf("%s" PROBE_PROTO_PATH_REPORTS, a->conf->servers[s->server]);
	struct xfer *x = xfer_new(a, XFER_REPORT, url, REPORT_BODY_MAX, a->conf->report_timeout_ms);

	free(url);
	x->send = s;
	x->post = xmalloc(s->rep->len + 1);
	memcpy(x->post, s->rep->body, s->rep->len + 1);
	xfer_sign(x, "POST", PROBE_PROTO_PATH_REPORTS, x->post, s->rep->len);
	x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->rep->len);
	s->attempt++;
	s->x = x;
	xfer_start(x);
}

static void on_send_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_attempt(arg);
}

void reporter_done(struct xfer *x, CURLcode rc)
{
	struct send *s = x->send;
	struct agent *a = s->a;
	const char *server = a->conf->servers[s->server];
	long status = 0;
	char why[320];
	bool retry;

	s->x = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 200) {
		for (char *p = x->body; p != NULL && *p != '\0'; p++) {
			if (*p < 0x20 || *p >= 0x7f)
				*p = ' ';
		}
		log_debug("report accepted: server=%s attempt=%u answer=%.200s", server, s->attempt,
			  x->body != NULL ? x->body : "");
		if (a->once)
			a->accepted[s->server] = true;
		xfer_free(x);
		send_free(s);
		once_maybe_finish(a);
		return;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", xfer_error(x, rc));
		retry = true;
	} else {
		char reason[256];

		xfer_refusal_reason(x, reason, sizeof(reason));
		snprintf(why, sizeof(why), "HTTP %ld %s", status, reason);
		/* 4xx means the server read the report and refused it (bad
		 * signature, skew, replay, too large, malformed): sending the
		 * same again does not help. */
		retry = status >= 500 || status == 429 || status < 200;
	}
	xfer_free(x);
	if (retry && s->attempt <= a->conf->report_retries) {
		unsigned delay = RETRY_BASE_MS << (s->attempt - 1 < 5 ? s->attempt - 1 : 5);

		if (delay > RETRY_MAX_MS)
			delay = RETRY_MAX_MS;
		log_ratelimited(LOG_LEVEL_WARN,
				"report failed, retrying in %ums: server=%s attempt=%u reason=%s",
				delay, server, s->attempt, why);
		transport_timer_add_ms(s->retry, delay);
		return;
	}
	log_ratelimited(LOG_LEVEL_WARN, "report failed: server=%s attempts=%u reason=%s", server,
			s->attempt, why);
	send_free(s);
	once_maybe_finish(a);
}

/* Post the fresh results to every server, each on its own. */
void reporter_send_all(struct agent *a)
{
	struct report_item *items;
	struct report *rep;
	size_t count = 0;

	items = scheduler_take_fresh(a, &count);
	if (count == 0 && !a->once) {
		free(items);
		return;
	}
	rep = xcalloc(1, sizeof(*rep));
	/* One number per cycle, the same in every server's copy. */
	rep->body = report_body_build(a->conf->id, ++a->cycle, items, count, &rep->len);
	free(items);
	if (a->once)
		a->once_reported = true;
	for (size_t srv = 0; srv < a->conf->server_count; srv++) {
		struct send *s, *next;

		/* A send of an older report still waiting to retry is
		 * superseded: the new one has fresher results. */
		for (s = a->sends; s != NULL; s = next) {
			next = s->next;
			if (s->server == srv && s->x == NULL)
				send_free(s);
		}
		s = xcalloc(1, sizeof(*s));
		s->a = a;
		s->rep = rep;
		rep->refs++;
		s->server = srv;
		s->retry = evtimer_new(a->base, on_send_retry, s);
		if (s->retry == NULL) {
			log_err("out of memory");
			abort();
		}
		s->next = a->sends;
		if (a->sends != NULL)
			a->sends->prev = s;
		a->sends = s;
		send_attempt(s);
	}
	log_debug("report sent: results=%zu servers=%zu bytes=%zu", count, a->conf->server_count,
		  rep->len);
}

void reporter_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	transport_timer_add_ms(a->report_timer, a->checks->interval_ms);
	reporter_send_all(a);
}

void reporter_cycle_restart(struct agent *a)
{
	evtimer_del(a->report_timer);
	transport_timer_add_ms(a->report_timer, a->checks->interval_ms);
}

void reporter_fini(struct agent *a)
{
	while (a->sends != NULL)
		send_free(a->sends);
}

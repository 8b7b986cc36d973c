#include <config.h>

#include "probes/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "probes/checks.h"

/* Bytes of a check's response body kept for expect_body (the rest is read
 * and dropped). */
#define CHECK_BODY_MAX (64u * 1024)
/* Largest probe config accepted, in bytes. */
#define CONFIG_BODY_MAX (16u * 1024 * 1024)
/* Bytes of a report answer kept (for the reason of a refusal). */
#define REPORT_BODY_MAX 4096u
/* First retry delay of a report; doubles per attempt up to the cap. */
#define RETRY_BASE_MS 250u
#define RETRY_MAX_MS  5000u
/* Retry delay of the config fetch while the probe has no checks at all. */
#define NO_CONFIG_RETRY_MS 5000u
/* Largest random delay before a check's first run, in ms. */
#define FIRST_RUN_SPREAD_MS 1000u

enum xfer_kind {
	XFER_FETCH,  /* GET /v1/probe-config */
	XFER_CHECK,  /* one run of a check */
	XFER_REPORT, /* POST /v1/reports to one server */
};

struct send;

/* One curl transfer in the multi handle. */
struct xfer {
	struct agent *a;               /* owner */
	enum xfer_kind kind;           /* what it is for */
	CURL *easy;                    /* the handle, in a->multi */
	struct curl_slist *headers;    /* request headers, or NULL */
	struct curl_slist *connect_to; /* XFER_CHECK: CURLOPT_CONNECT_TO entry, or NULL */
	char errbuf[CURL_ERROR_SIZE];  /* libcurl's error text */
	char *body;                    /* response body kept so far */
	size_t body_len;               /* bytes at body */
	size_t body_max;               /* bytes kept at most */
	bool truncated;                /* more body came than body_max */
	bool fail_on_overflow;         /* abort the transfer past body_max */
	char *etag;                    /* XFER_FETCH: ETag of the response, or NULL */
	size_t index;                  /* XFER_FETCH: server; XFER_CHECK: check */
	struct send *send;             /* XFER_REPORT: what is being sent */
	char *post;                    /* XFER_REPORT: the body posted (curl does not copy it) */
	struct xfer *prev;             /* list of active transfers */
	struct xfer *next;             /* list of active transfers */
};

/* A socket libcurl asked us to watch. */
struct sock {
	struct agent *a;   /* owner */
	curl_socket_t fd;  /* the socket */
	struct event *ev;  /* read/write event, or NULL */
	struct sock *prev; /* list of watched sockets */
	struct sock *next; /* list of watched sockets */
};

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

struct agent {
	const struct probe_conf *conf; /* borrowed */
	bool once;                     /* one cycle, then stop */
	int exit_code;                 /* agent_run()'s result */
	struct event_base *base;       /* the loop */
	CURLM *multi;                  /* every transfer */
	struct event *curl_timer;      /* libcurl's timeout */
	struct event *sig_term;        /* SIGTERM */
	struct event *sig_int;         /* SIGINT */
	struct event *refresh;         /* next config fetch */
	struct event *report_timer;    /* report cycle */
	struct xfer *xfers;            /* active transfers */
	struct sock *socks;            /* watched sockets */
	struct send *sends;            /* reports in flight or waiting to retry */
	uint64_t last_ts_ms;           /* newest signature timestamp used */
	/* probe config */
	bool fetching;              /* a fetch round is under way */
	bool fetch_ok;              /* some server answered in this round */
	bool ready_logged;          /* the ready line was written */
	char *etag;                 /* ETag of the config in use, or NULL */
	struct pcheck_list *checks; /* the checks in use, or NULL before the first */
	struct check_state *states; /* one per check */
	size_t *waitq;              /* ring of checks waiting for a slot */
	size_t wait_head;           /* first entry at waitq */
	size_t wait_len;            /* entries at waitq */
	size_t in_flight;           /* checks running */
	size_t once_done;           /* once: checks completed */
	bool once_reported;         /* once: the report went out */
	bool *accepted;             /* once: each server accepted the report */
};

static void process_done(struct agent *a);
static void fetch_start(struct agent *a, size_t server);
static void check_start(struct check_state *st);

/* ---- small helpers ---------------------------------------------------- */

static void event_add_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	event_add(ev, &tv);
}

/* A signature timestamp: wall-clock ms, strictly increasing so that two
 * requests in the same millisecond are not taken for a replay. */
static uint64_t next_ts(struct agent *a)
{
	uint64_t now = time_wall_ms();

	if (now <= a->last_ts_ms)
		now = a->last_ts_ms + 1;
	a->last_ts_ms = now;
	return now;
}

/* Add the three signature headers for method/path/body to *list. */
static void sign_headers(struct agent *a, struct curl_slist **list, const char *method,
			 const char *path, const char *body, size_t len)
{
	char sig[SIGN_HEX_LEN + 1], line[128];
	uint64_t ts = next_ts(a);

	sign_request(a->conf->secret, a->conf->secret_len, method, path, ts, body, len, sig);
	snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_KEY, a->conf->id);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %" PRIu64, SIGN_HEADER_TIMESTAMP, ts);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_SIGNATURE, sig);
	*list = curl_slist_append(*list, line);
	if (*list == NULL) {
		log_err("out of memory");
		abort();
	}
}

/* ---- transfers ----------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb, room = x->body_max - x->body_len;

	if (n > room) {
		x->truncated = true;
		if (x->fail_on_overflow)
			return 0;
	}
	if (room > 0) {
		size_t take = n < room ? n : room;

		if (x->body == NULL)
			x->body = xmalloc(x->body_max + 1);
		memcpy(x->body + x->body_len, ptr, take);
		x->body_len += take;
		x->body[x->body_len] = '\0';
	}
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems, len = n;

	if (len > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		const char *v = buf + 5;

		len -= 5;
		while (len > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			len--;
		}
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		free(x->etag);
		x->etag = len > 0 && len < 256 ? xstrndup(v, len) : NULL;
	} else if (n > 5 && strncasecmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): forget the last one's. */
		free(x->etag);
		x->etag = NULL;
	}
	return n;
}

/* A new transfer of kind for url, with the options every transfer shares.
 * Not yet in the multi handle. */
static struct xfer *xfer_new(struct agent *a, enum xfer_kind kind, const char *url, size_t body_max,
			     unsigned timeout_ms)
{
	struct xfer *x = xcalloc(1, sizeof(*x));

	x->a = a;
	x->kind = kind;
	x->body_max = body_max;
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		log_err("curl_easy_init failed");
		abort();
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "gslb-probe/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return x;
}

static void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->connect_to);
	free(x->body);
	free(x->etag);
	free(x->post);
	free(x);
}

static void xfer_start(struct xfer *x)
{
	struct agent *a = x->a;
	CURLMcode mc;

	if (x->headers != NULL)
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	x->next = a->xfers;
	if (a->xfers != NULL)
		a->xfers->prev = x;
	a->xfers = x;
	mc = curl_multi_add_handle(a->multi, x->easy);
	if (mc != CURLM_OK) {
		log_err("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		abort();
	}
}

/* Take x out of the multi handle and the active list (not freed). */
static void xfer_detach(struct xfer *x)
{
	struct agent *a = x->a;

	curl_multi_remove_handle(a->multi, x->easy);
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		a->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

/* Why a transfer failed, for logs and results. */
static const char *xfer_error(const struct xfer *x, CURLcode rc)
{
	return x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
}

/* ---- libcurl <-> libevent --------------------------------------------- */

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	int action =
	    ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(a->multi, fd, action, &running);
	process_done(a);
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process_done(a);
}

static void sock_free(struct sock *so)
{
	struct agent *a = so->a;

	if (so->ev != NULL)
		event_free(so->ev);
	if (so->prev != NULL)
		so->prev->next = so->next;
	else
		a->socks = so->next;
	if (so->next != NULL)
		so->next->prev = so->prev;
	free(so);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as libcurl asks. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct agent *a = userp;
	struct sock *so = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (so != NULL) {
			curl_multi_assign(a->multi, s, NULL);
			sock_free(so);
		}
		return 0;
	}
	if (so == NULL) {
		so = xcalloc(1, sizeof(*so));
		so->a = a;
		so->fd = s;
		so->next = a->socks;
		if (a->socks != NULL)
			a->socks->prev = so;
		a->socks = so;
		curl_multi_assign(a->multi, s, so);
	}
	if (so->ev != NULL)
		event_free(so->ev);
	kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
		       ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	so->ev = event_new(a->base, s, kind, on_sock_event, a);
	if (so->ev == NULL || event_add(so->ev, NULL) != 0) {
		log_err("cannot watch socket %d", (int)s);
		return -1;
	}
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: call curl_multi_socket_action() after timeout_ms
 * (-1: never). Never called back from here directly. */
static int on_curl_timeout(CURLM *multi, long timeout_ms, void *userp)
{
	struct agent *a = userp;

	(void)multi;
	if (timeout_ms < 0)
		evtimer_del(a->curl_timer);
	else
		event_add_ms(a->curl_timer, (uint64_t)timeout_ms);
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

static const char *check_type_name(enum pcheck_type t)
{
	return t == PCHECK_HTTPS ? PROBE_PROTO_TYPE_HTTPS
	       : t == PCHECK_TCP ? PROBE_PROTO_TYPE_TCP
				 : PROBE_PROTO_TYPE_HTTP;
}

static void check_start(struct check_state *st)
{
	struct agent *a = st->a;
	const struct pcheck *c = &a->checks->checks[st->index];
	char *url, addr[64];
	struct xfer *x;

	snprintf(addr, sizeof(addr), c->is_ipv6 ? "[%s]" : "%s", c->address);
	if (c->type == PCHECK_TCP)
		url = xasprintf("http://%s:%u/", addr, (unsigned)c->port);
	else
		url = xasprintf("%s://%s:%u%s", c->type == PCHECK_HTTPS ? "https" : "http",
				c->host != NULL ? c->host : addr, (unsigned)c->port, c->path);
	x = xfer_new(a, XFER_CHECK, url, CHECK_BODY_MAX, c->timeout_ms);
	free(url);
	x->index = st->index;
	/* A new connection every time: the connect time is what we measure. */
	curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
	if (c->type == PCHECK_TCP) {
		curl_easy_setopt(x->easy, CURLOPT_CONNECT_ONLY, 1L);
	} else {
		if (c->host != NULL) {
			/* The URL names the host (Host header, SNI, certificate
			 * name); the connection goes to the datacenter's address. */
			char *target = xasprintf("%s:%u:%s:%u", c->host, (unsigned)c->port, addr,
						 (unsigned)c->port);

			x->connect_to = curl_slist_append(NULL, target);
			free(target);
			if (x->connect_to == NULL) {
				log_err("out of memory");
				abort();
			}
			curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, x->connect_to);
		}
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
	event_add_ms(st->timer, st->a->checks->checks[st->index].interval_ms);
	check_request(st);
}

static void report_send_all(struct agent *a);

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

static void check_done(struct xfer *x, CURLcode rc)
{
	struct agent *a = x->a;
	struct check_state *st = &a->states[x->index];
	const struct pcheck *c = &a->checks->checks[x->index];
	struct pcheck_result r;
	long status = 0;
	bool first_byte = c->rtt_first_byte && c->type != PCHECK_TCP;
	double rtt = xfer_rtt_ms(x, first_byte);
	bool was_ok = st->has_result && st->last.ok;

	if (c->type != PCHECK_TCP)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rtt < 0 && (first_byte ? status > 0 : rc == CURLE_OK || status > 0))
		rtt = 0.001; /* faster than the clock's resolution */
	pcheck_evaluate(c, rc == CURLE_OK ? NULL : xfer_error(x, rc), status, x->body, x->body_len,
			x->truncated, rtt, &r);
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
			report_send_all(a);
	}
}

/* Stop every check of the current list and forget it. */
static void checks_clear(struct agent *a)
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
static void checks_apply(struct agent *a, struct pcheck_list *list)
{
	bool first = a->checks == NULL;

	checks_clear(a);
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

			event_add_ms(st->timer, (uint64_t)random() % spread);
		}
	}
	if (a->once) {
		a->once_done = 0;
		for (size_t i = 0; i < list->count; i++)
			check_request(&a->states[i]);
		if (list->count == 0 && !a->once_reported)
			report_send_all(a);
	} else {
		evtimer_del(a->report_timer);
		event_add_ms(a->report_timer, list->interval_ms);
	}
}

/* ---- reports ------------------------------------------------------------- */

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
	sign_headers(a, &x->headers, "POST", PROBE_PROTO_PATH_REPORTS, x->post, s->rep->len);
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

/* The reason a server gave for refusing a report: its JSON "error" (and
 * "reason") members, else the start of the body. */
static void refusal_reason(const struct xfer *x, char *buf, size_t len)
{
	json_t *root;

	buf[0] = '\0';
	if (x->body == NULL)
		return;
	root = json_loadb(x->body, x->body_len, 0, NULL);
	if (json_is_object(root)) {
		const char *e =
		    json_string_value(json_object_get(root, PROBE_PROTO_KEY_REFUSAL_ERROR));
		const char *r =
		    json_string_value(json_object_get(root, PROBE_PROTO_KEY_REFUSAL_REASON));

		if (e != NULL || r != NULL)
			snprintf(buf, len, "%s%s%s", r != NULL ? r : "",
				 r != NULL && e != NULL ? ": " : "", e != NULL ? e : "");
	}
	json_decref(root);
	if (buf[0] == '\0')
		snprintf(buf, len, "%.200s", x->body);
	for (char *p = buf; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			*p = ' ';
	}
}

static void report_done(struct xfer *x, CURLcode rc)
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

		refusal_reason(x, reason, sizeof(reason));
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
		event_add_ms(s->retry, delay);
		return;
	}
	log_ratelimited(LOG_LEVEL_WARN, "report failed: server=%s attempts=%u reason=%s", server,
			s->attempt, why);
	send_free(s);
	once_maybe_finish(a);
}

/* Post the fresh results to every server, each on its own. */
static void report_send_all(struct agent *a)
{
	struct report_item *items;
	struct report *rep;
	size_t count = 0;

	items = xcalloc(a->checks->count + 1, sizeof(*items));
	for (size_t i = 0; i < a->checks->count; i++) {
		struct check_state *st = &a->states[i];

		if (!st->fresh)
			continue;
		st->fresh = false;
		items[count].datacenter = a->checks->checks[i].datacenter;
		items[count].res = &st->last;
		count++;
	}
	if (count == 0 && !a->once) {
		free(items);
		return;
	}
	rep = xcalloc(1, sizeof(*rep));
	rep->body = report_body_build(a->conf->id, items, count, &rep->len);
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

static void on_report_timer(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	event_add_ms(a->report_timer, a->checks->interval_ms);
	report_send_all(a);
}

/* ---- probe config -------------------------------------------------------- */

/* Write text to the cache file: a temporary file, then rename(). */
static void cache_save(struct agent *a, const char *text, size_t len)
{
	const char *path = a->conf->cache_file;
	char *tmp;
	int fd;

	if (path == NULL)
		return;
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot write the probe config cache %s: %s", tmp, strerror(errno));
		free(tmp);
		return;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("cannot write the probe config cache %s: %s", tmp,
				 strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		log_warn("cannot save the probe config cache %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
}

/* Use the cached config, if there is one. Returns true when it was used. */
static bool cache_load(struct agent *a)
{
	const char *path = a->conf->cache_file;
	struct pcheck_list *list;
	struct gslb_err err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (path == NULL)
		return false;
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno != ENOENT)
			log_warn("cannot read the probe config cache %s: %s", path,
				 strerror(errno));
		return false;
	}
	text = xmalloc(CONFIG_BODY_MAX + 1);
	len = fread(text, 1, CONFIG_BODY_MAX + 1, f);
	fclose(f);
	if (len > CONFIG_BODY_MAX || pcheck_list_parse(text, len, &list, &err) != 0) {
		log_warn("ignoring the probe config cache %s: %s", path,
			 len > CONFIG_BODY_MAX ? "too large" : err.msg);
		free(text);
		return false;
	}
	free(text);
	log_warn("no server answered; using the cached probe config %s (checks=%zu)", path,
		 list->count);
	checks_apply(a, list);
	return true;
}

/* A fetch round is over (ok: some server answered). */
static void fetch_round_done(struct agent *a, bool ok)
{
	a->fetching = false;
	if (!ok && a->checks == NULL && !cache_load(a)) {
		log_ratelimited(LOG_LEVEL_ERR, "no probe config: no server answered%s",
				a->conf->cache_file != NULL ? " and no usable cache" : "");
		if (a->once) {
			a->exit_code = 1;
			event_base_loopbreak(a->base);
			return;
		}
	}
	if (a->once)
		return;
	if (a->checks == NULL)
		event_add_ms(a->refresh, a->conf->config_refresh_ms < NO_CONFIG_RETRY_MS
					     ? a->conf->config_refresh_ms
					     : NO_CONFIG_RETRY_MS);
	else
		event_add_ms(a->refresh, a->conf->config_refresh_ms);
}

static void fetch_done(struct xfer *x, CURLcode rc)
{
	struct agent *a = x->a;
	size_t server = x->index;
	const char *url = a->conf->servers[server];
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 304 && a->checks != NULL) {
		log_debug("probe config unchanged: server=%s", url);
		xfer_free(x);
		fetch_round_done(a, true);
		return;
	}
	if (rc == CURLE_OK && status == 200) {
		struct gslb_err err = {{0}};
		struct pcheck_list *list;

		if (pcheck_list_parse(x->body != NULL ? x->body : "", x->body_len, &list, &err) ==
		    0) {
			log_debug("probe config received: server=%s checks=%zu etag=%s", url,
				  list->count, x->etag != NULL ? x->etag : "none");
			free(a->etag);
			a->etag = x->etag;
			x->etag = NULL;
			cache_save(a, x->body != NULL ? x->body : "", x->body_len);
			checks_apply(a, list);
			xfer_free(x);
			fetch_round_done(a, true);
			return;
		}
		log_ratelimited(LOG_LEVEL_WARN, "bad probe config: server=%s: %s", url, err.msg);
	} else if (rc != CURLE_OK) {
		log_ratelimited(LOG_LEVEL_WARN, "cannot fetch the probe config: server=%s: %s", url,
				xfer_error(x, rc));
	} else {
		char reason[256];

		refusal_reason(x, reason, sizeof(reason));
		log_ratelimited(LOG_LEVEL_WARN,
				"cannot fetch the probe config: server=%s: HTTP %ld %s", url,
				status, reason);
	}
	xfer_free(x);
	if (server + 1 < a->conf->server_count)
		fetch_start(a, server + 1);
	else
		fetch_round_done(a, false);
}

/* Fetch the probe config from server (then the next ones on failure). */
static void fetch_start(struct agent *a, size_t server)
{
	char *url = xasprintf("%s" PROBE_PROTO_PATH_CONFIG, a->conf->servers[server]);
	struct xfer *x = xfer_new(a, XFER_FETCH, url, CONFIG_BODY_MAX, a->conf->report_timeout_ms);

	free(url);
	a->fetching = true;
	x->index = server;
	x->fail_on_overflow = true;
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	sign_headers(a, &x->headers, "GET", PROBE_PROTO_PATH_CONFIG, "", 0);
	if (a->etag != NULL && a->checks != NULL) {
		char *h = xasprintf("If-None-Match: %s", a->etag);

		x->headers = curl_slist_append(x->headers, h);
		free(h);
	}
	xfer_start(x);
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	if (!a->fetching)
		fetch_start(a, 0);
}

/* ---- loop ------------------------------------------------------------------ */

static void process_done(struct agent *a)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(a->multi, &left)) != NULL) {
		struct xfer *x = NULL;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_detach(x);
		switch (x->kind) {
		case XFER_FETCH:
			fetch_done(x, rc);
			break;
		case XFER_CHECK:
			check_done(x, rc);
			break;
		case XFER_REPORT:
			report_done(x, rc);
			break;
		}
	}
}

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
	a->multi = curl_multi_init();
	if (a->base == NULL || a->multi == NULL)
		goto fail;
	a->curl_timer = evtimer_new(a->base, on_curl_timer, a);
	a->sig_term = evsignal_new(a->base, SIGTERM, on_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, on_signal, a);
	a->refresh = evtimer_new(a->base, on_refresh, a);
	a->report_timer = evtimer_new(a->base, on_report_timer, a);
	if (a->curl_timer == NULL || a->sig_term == NULL || a->sig_int == NULL ||
	    a->refresh == NULL || a->report_timer == NULL)
		goto fail;
	if (event_add(a->sig_term, NULL) != 0 || event_add(a->sig_int, NULL) != 0)
		goto fail;
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	*out = a;
	return 0;
fail:
	agent_free(a);
	return gslb_err_setc(err, GSLB_EIO, "cannot set up the event loop or libcurl");
}

int agent_run(struct agent *a)
{
	fetch_start(a, 0);
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
	while (a->sends != NULL)
		send_free(a->sends);
	checks_clear(a);
	while (a->xfers != NULL) {
		struct xfer *x = a->xfers;

		xfer_detach(x);
		xfer_free(x);
	}
	if (a->multi != NULL)
		curl_multi_cleanup(a->multi);
	while (a->socks != NULL)
		sock_free(a->socks);
	if (a->curl_timer != NULL)
		event_free(a->curl_timer);
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

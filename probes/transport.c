#include <config.h>

#include "probes/transport.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "probes/config_fetch.h"
#include "probes/reporter.h"
#include "probes/scheduler.h"

/* A socket libcurl asked us to watch. */
struct sock {
	struct agent *a;   /* owner */
	curl_socket_t fd;  /* the socket */
	struct event *ev;  /* read/write event, or NULL */
	struct sock *prev; /* list of watched sockets */
	struct sock *next; /* list of watched sockets */
};

static void process_done(struct agent *a);

/* ---- small helpers ---------------------------------------------------- */

void transport_timer_add_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	event_add(ev, &tv);
}

void xfer_sign(struct xfer *x, const char *method, const char *path, const char *body, size_t len)
{
	struct agent *a = x->a;
	struct curl_slist **list = &x->headers;
	char sig[SIGN_HEX_LEN + 1], line[128], boot[SIGN_BOOT_HEX_LEN + 1];

	/* The order is the seq's, whatever the clock does; the time is only
	 * checked for freshness. */
	x->stamp.boot = a->boot;
	x->stamp.seq = ++a->seq;
	x->stamp.ts_ms = time_wall_ms();
	sign_probe_request(a->conf->secret, a->conf->secret_len, method, path, &x->stamp, body, len,
			   sig);
	sign_boot_format(a->boot, boot);
	snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_KEY, a->conf->id);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_BOOT, boot);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %" PRIu64, SIGN_HEADER_SEQ, x->stamp.seq);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %" PRIu64, SIGN_HEADER_TIMESTAMP, x->stamp.ts_ms);
	*list = curl_slist_append(*list, line);
	snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_SIGNATURE, sig);
	*list = curl_slist_append(*list, line);
	if (*list == NULL) {
		log_err("out of memory");
		abort();
	}
}

/* ---- transfers ----------------------------------------------------------- */

/* Keeps at most body_max bytes; past that the transfer is aborted (the rest
 * is not downloaded), which process_done() hands back as a complete but
 * truncated answer unless fail_on_overflow. */
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
	/* Returning less than n makes libcurl stop with CURLE_WRITE_ERROR. */
	return x->truncated ? 0 : n;
}

/* The value of header name (with its ':') in the header line buf (len
 * bytes), trimmed, as a new string; NULL when buf is another header. */
static char *header_value(const char *buf, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *v = buf + nlen;

	if (len <= nlen || strncasecmp(buf, name, nlen) != 0)
		return NULL;
	len -= nlen;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	return len < 256 ? xstrndup(v, len) : xstrdup("");
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems, len = n;
	static const char *const sig_names[PCONFIG_SIG_COUNT] = {
	    [PCONFIG_SIG_BOOT] = SIGN_HEADER_BOOT ":",
	    [PCONFIG_SIG_GENERATION] = SIGN_HEADER_GENERATION ":",
	    [PCONFIG_SIG_TIMESTAMP] = SIGN_HEADER_TIMESTAMP ":",
	    [PCONFIG_SIG_SIGNATURE] = SIGN_HEADER_SIGNATURE ":",
	};

	if (x->kind == XFER_FETCH) {
		for (size_t i = 0; i < PCONFIG_SIG_COUNT; i++) {
			char *v = header_value(buf, n, sig_names[i]);

			if (v != NULL) {
				free(x->answer_sig[i]);
				x->answer_sig[i] = v;
				return n;
			}
		}
	}

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
		for (size_t i = 0; i < PCONFIG_SIG_COUNT; i++) {
			free(x->answer_sig[i]);
			x->answer_sig[i] = NULL;
		}
		free(x->header_value);
		x->header_value = NULL;
	} else if (x->want_header != NULL) {
		size_t name = strlen(x->want_header);
		const char *v = buf + name + 1;

		if (len <= name || buf[name] != ':' || strncasecmp(buf, x->want_header, name) != 0)
			return n;
		len -= name + 1;
		while (len > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			len--;
		}
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		free(x->header_value);
		x->header_value = len < 256 ? xstrndup(v, len) : NULL;
	}
	return n;
}

void xfer_keep_header(struct xfer *x, const char *name)
{
	x->want_header = name;
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
}

void xfer_keep_etag(struct xfer *x)
{
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
}

/* How a request to a gslbd server (not a check) checks the server over
 * https (probe.yaml tls): against ca_file (else the system's CAs) and the
 * pins; with pins and no ca_file, the pinned key alone is trusted (a
 * self-signed certificate, say). The client certificate goes along. */
static void server_tls(const struct probe_conf *c, CURL *easy)
{
	curl_easy_setopt(easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->tls_ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->tls_ca_file);
	if (c->tls_pin != NULL) {
		curl_easy_setopt(easy, CURLOPT_PINNEDPUBLICKEY, c->tls_pin);
		if (c->tls_ca_file == NULL) {
			curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	if (c->tls_certificate != NULL) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, c->tls_certificate);
		curl_easy_setopt(easy, CURLOPT_SSLKEY, c->tls_key);
	}
}

struct xfer *xfer_new(struct agent *a, enum xfer_kind kind, const char *url, size_t body_max,
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
	if (kind != XFER_CHECK)
		server_tls(a->conf, x->easy);
	return x;
}

void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->connect_to);
	free(x->body);
	free(x->header_value);
	free(x->etag);
	for (size_t i = 0; i < PCONFIG_SIG_COUNT; i++)
		free(x->answer_sig[i]);
	free(x->post);
	free(x);
}

void xfer_start(struct xfer *x)
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

void xfer_detach(struct xfer *x)
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

const char *xfer_error(const struct xfer *x, CURLcode rc)
{
	return x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
}

void xfer_refusal_reason(const struct xfer *x, char *buf, size_t len)
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
		transport_timer_add_ms(a->curl_timer, (uint64_t)timeout_ms);
	return 0;
}

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
		/* Stopped by on_body() at the cap: what came is the answer. */
		if (rc == CURLE_WRITE_ERROR && x->truncated && !x->fail_on_overflow)
			rc = CURLE_OK;
		switch (x->kind) {
		case XFER_FETCH:
			config_fetch_done(x, rc);
			break;
		case XFER_CHECK:
			scheduler_check_done(x, rc);
			break;
		case XFER_REPORT:
			reporter_done(x, rc);
			break;
		}
	}
}

int transport_init(struct agent *a)
{
	a->boot = sign_boot_new();
	a->multi = curl_multi_init();
	if (a->multi == NULL)
		return -1;
	a->curl_timer = evtimer_new(a->base, on_curl_timer, a);
	if (a->curl_timer == NULL)
		return -1;
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	return 0;
}

void transport_fini(struct agent *a)
{
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
}

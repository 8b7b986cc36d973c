#include <config.h>

#include "gslbd/net/etcd.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/control.h"

#define MAX_BODY (4u << 20) /* largest answer read from etcd */
/* While etcd cannot be read, one line when it starts, one summary per
 * this many ms, and one when it ends (not one per poll). */
#define OUTAGE_LOG_MS 10000u

struct etcd {
	char **endpoints;           /* client URLs */
	size_t endpoint_count;      /* entries at endpoints */
	_Atomic size_t current;     /* the endpoint that answered last */
	char *prefix;               /* "<etcd.prefix>admin/" */
	unsigned timeout_ms;        /* per request */
	unsigned poll_ms;           /* between reads */
	char *username, *password;  /* auth, or NULL */
	char *ca, *cert, *key;      /* TLS files, or NULL */
	char *instance;             /* this server's identity (values' author) */
	struct control *ctl;        /* applies what is read (main thread) */
	CURL *curl;                 /* the main thread's handle (writes) */
	struct event *wake;         /* main thread: a new read is waiting */
	pthread_t thread;           /* the reader */
	bool started;               /* the reader runs */
	pthread_mutex_t mu;         /* guards what follows */
	pthread_cond_t cv;          /* wakes the reader to stop */
	bool stop;                  /* the reader should end */
	json_t *pending;            /* the last read not yet applied: {"revision", "kvs"} */
	struct fleet_status st;     /* the link as the reader saw it */
	/* the reader's alone: the outage being logged */
	uint64_t down_since_ms;     /* when reads began to fail (monotonic), 0: they do not */
	uint64_t down_logged_ms;    /* when it was last logged */
	uint64_t down_polls;        /* reads failed since it began */
	uint64_t down_polls_logged; /* of which already logged */
};

/* Log a failed read (the reader's, err its error) at now_ms: the first of
 * an outage, then a summary every OUTAGE_LOG_MS. */
static void outage_log(struct etcd *e, const struct gslb_err *err, uint64_t now_ms)
{
	e->down_polls++;
	if (e->down_since_ms == 0) {
		e->down_since_ms = now_ms != 0 ? now_ms : 1;
		e->down_logged_ms = now_ms;
		e->down_polls_logged = e->down_polls;
		log_warn("etcd: read failed: %s (counted in gslbd_etcd_errors_total; logged again "
			 "every %us while it lasts)",
			 err->msg, OUTAGE_LOG_MS / 1000);
		return;
	}
	if (now_ms - e->down_logged_ms < OUTAGE_LOG_MS)
		return;
	log_warn("etcd: still unreachable after %llus: %llu reads failed in the last %llus; "
		 "last: %s",
		 (unsigned long long)((now_ms - e->down_since_ms) / 1000),
		 (unsigned long long)(e->down_polls - e->down_polls_logged),
		 (unsigned long long)((now_ms - e->down_logged_ms + 500) / 1000), err->msg);
	e->down_logged_ms = now_ms;
	e->down_polls_logged = e->down_polls;
}

/* A read succeeded at now_ms: say so if an outage ends. */
static void outage_end(struct etcd *e, uint64_t now_ms)
{
	if (e->down_since_ms == 0)
		return;
	log_info("etcd: reachable again after %llums and %llu failed reads (%s)",
		 (unsigned long long)(now_ms - e->down_since_ms), (unsigned long long)e->down_polls,
		 e->endpoints[atomic_load(&e->current)]);
	e->down_since_ms = 0;
	e->down_polls = 0;
}

/* ---- HTTP and the JSON gateway ------------------------------------------ */

struct buf {
	char *p;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = size * n;

	if (b->len + add > MAX_BODY)
		return 0;
	b->p = xreallocarray(b->p, b->len + add + 1, 1);
	memcpy(b->p + b->len, ptr, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static char *b64(const char *s, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	return out;
}

/* Decode base64 text; NULL when it is not. */
static char *unb64(const char *s)
{
	size_t len = strlen(s), pad = 0;
	char *out;
	int n;

	if (len % 4 != 0)
		return NULL;
	out = xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	out[n - (int)pad] = '\0';
	return out;
}

/* One POST of req (JSON) to path at endpoint i; *resp gets the JSON answer
 * (2xx only). Returns 0 or GSLB_EIO with err set. */
static int post_one(struct etcd *e, CURL *c, size_t i, const char *path, const char *body,
		    const char *auth, json_t **resp, struct gslb_err *err)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	struct buf b = {NULL, 0};
	char url[1200], line[1100];
	long status = 0;
	CURLcode rc;
	json_error_t jerr;

	snprintf(url, sizeof(url), "%s%s", e->endpoints[i], path);
	if (auth != NULL) {
		snprintf(line, sizeof(line), "Authorization: %s", auth);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (e->ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
	if (e->cert != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
	if (e->key != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK || status < 200 || status > 299) {
		gslb_err_setc(err, GSLB_EIO, "etcd %s: %s", url,
			      rc != CURLE_OK ? curl_easy_strerror(rc) : "not a 2xx answer");
		free(b.p);
		return GSLB_EIO;
	}
	*resp = json_loads(b.p != NULL ? b.p : "", 0, &jerr);
	free(b.p);
	if (*resp == NULL)
		return gslb_err_setc(err, GSLB_EIO, "etcd %s: the answer is not JSON: %s", url,
				     jerr.text);
	return 0;
}

/* The auth token for c's requests, or NULL without a user. */
static char *authenticate(struct etcd *e, CURL *c, size_t i)
{
	json_t *req, *resp = NULL;
	char *body, *token = NULL;
	struct gslb_err err = {""};

	if (e->username == NULL)
		return NULL;
	req = json_pack("{s:s, s:s}", "name", e->username, "password",
			e->password != NULL ? e->password : "");
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (post_one(e, c, i, "/v3/auth/authenticate", body, NULL, &resp, &err) == 0 &&
	    json_string_value(json_object_get(resp, "token")) != NULL)
		token = xstrdup(json_string_value(json_object_get(resp, "token")));
	else
		log_ratelimited(LOG_LEVEL_WARN, "etcd: authentication failed: %s", err.msg);
	memset(body, 0, strlen(body));
	free(body);
	json_decref(resp);
	return token;
}

/* POST req to path, trying each endpoint from the one that answered last.
 * Returns 0 with *resp, or GSLB_EIO with err saying that no member
 * answered and what each one tried did ("etcd %s: ..." for one member). */
static int post(struct etcd *e, CURL *c, const char *path, json_t *req, json_t **resp,
		struct gslb_err *err)
{
	char *body = json_dumps(req, JSON_COMPACT);
	size_t first = atomic_load(&e->current), used = 0;
	char tried[sizeof(err->msg)] = "";
	int rc = GSLB_EIO;

	for (size_t k = 0; k < e->endpoint_count && rc != 0; k++) {
		size_t i = (first + k) % e->endpoint_count;
		char *token = authenticate(e, c, i);

		if (e->username != NULL && token == NULL) {
			gslb_err_setc(err, GSLB_EIO, "etcd %s: cannot authenticate", e->endpoints[i]);
		} else {
			rc = post_one(e, c, i, path, body, token, resp, err);
			free(token);
			if (rc == 0)
				atomic_store(&e->current, i);
		}
		/* "etcd URL: why" of each member, for the message below */
		if (rc != 0 && used < sizeof(tried))
			used += (size_t)snprintf(tried + used, sizeof(tried) - used, "%s%s",
						 used > 0 ? "; " : "", err->msg + 5);
	}
	free(body);
	if (rc != 0 && e->endpoint_count > 1)
		gslb_err_setc(err, GSLB_EIO,
			      "etcd has no quorum or cannot be reached: none of its %zu members "
			      "answered (%s)",
			      e->endpoint_count, tried);
	return rc;
}

/* etcd's numbers come as strings in the JSON gateway. */
static int64_t num(const json_t *v)
{
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* The range request of the whole prefix. */
static json_t *range_request(const struct etcd *e)
{
	size_t len = strlen(e->prefix);
	char *end = xstrdup(e->prefix), *k = b64(e->prefix, len), *ek;
	json_t *req;

	end[len - 1]++; /* the first key after every key with the prefix */
	ek = b64(end, len);
	req = json_pack("{s:s, s:s}", "key", k, "range_end", ek);
	free(end);
	free(k);
	free(ek);
	return req;
}

/* ---- applying a read (main thread) -------------------------------------- */

/* The fleet entries of a range answer (kvs). Returns their count. */
static size_t entries_of(const struct etcd *e, json_t *kvs, struct fleet_entry **out)
{
	size_t plen = strlen(e->prefix), n = 0, i;
	struct fleet_entry *v = xcalloc(json_array_size(kvs) + 1, sizeof(*v));
	json_t *kv;

	json_array_foreach(kvs, i, kv)
	{
		char *key = unb64(json_string_value(json_object_get(kv, "key")) ?: "");
		char *val = unb64(json_string_value(json_object_get(kv, "value")) ?: "");
		json_t *j = val != NULL ? json_loads(val, 0, NULL) : NULL;
		const char *st = json_string_value(json_object_get(j, "state"));
		enum admin_state s = ADMIN_NONE;

		/* "none": an override removed (the key stays, so that its
		 * revision only moves forward). */
		if (key != NULL && strncmp(key, e->prefix, plen) == 0 && st != NULL &&
		    (strcmp(st, admin_state_name(ADMIN_NONE)) == 0 ||
		     admin_action_parse(st, &s) == 0) &&
		    strlen(key + plen) < sizeof(v[n].dc)) {
			snprintf(v[n].dc, sizeof(v[n].dc), "%s", key + plen);
			v[n].state = s;
			v[n].since_ms = (uint64_t)num(json_object_get(j, "since_ms"));
			v[n].mod_revision = num(json_object_get(kv, "mod_revision"));
			snprintf(v[n].author, sizeof(v[n].author), "%s",
				 json_string_value(json_object_get(j, "author")) ?: "");
			snprintf(v[n].reason, sizeof(v[n].reason), "%s",
				 json_string_value(json_object_get(j, "reason")) ?: "");
			n++;
		} else {
			log_ratelimited(LOG_LEVEL_WARN, "etcd: ignored a key under %s that is not an "
							"override",
					e->prefix);
		}
		json_decref(j);
		free(key);
		free(val);
	}
	*out = v;
	return n;
}

static void apply(struct etcd *e, json_t *read)
{
	struct fleet_entry *v;
	size_t n = entries_of(e, json_object_get(read, "kvs"), &v);

	control_fleet_apply(e->ctl, v, n, num(json_object_get(read, "revision")));
	free(v);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct etcd *e = arg;
	json_t *read;
	struct fleet_status st;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&e->mu);
	read = e->pending;
	e->pending = NULL;
	st = e->st;
	pthread_mutex_unlock(&e->mu);
	if (read != NULL) {
		apply(e, read);
		json_decref(read);
	}
	st.synced = control_fleet_status(e->ctl)->synced;
	st.revision = control_fleet_status(e->ctl)->revision;
	control_fleet_status_set(e->ctl, &st);
}

/* ---- the reader ---------------------------------------------------------- */

/* Read the prefix: {"revision", "kvs"}, or NULL with err set. */
static json_t *read_all(struct etcd *e, CURL *c, struct gslb_err *err)
{
	json_t *req = range_request(e), *resp = NULL, *out, *kvs;
	int rc = post(e, c, "/v3/kv/range", req, &resp, err);

	json_decref(req);
	if (rc != 0)
		return NULL;
	kvs = json_object_get(resp, "kvs");
	out = json_pack("{s:I, s:o}", "revision",
			(json_int_t)num(json_object_get(json_object_get(resp, "header"), "revision")),
			"kvs", kvs != NULL ? json_incref(kvs) : json_array());
	json_decref(resp);
	return out;
}

static void *reader_main(void *arg)
{
	struct etcd *e = arg;
	CURL *c = curl_easy_init();
	int64_t last = -1;

	pthread_mutex_lock(&e->mu);
	last = e->st.revision;
	while (!e->stop) {
		struct gslb_err err = {""};
		struct timespec at;
		json_t *read;
		bool changed = false;

		pthread_mutex_unlock(&e->mu);
		read = read_all(e, c, &err);
		pthread_mutex_lock(&e->mu);
		if (read == NULL) {
			/* Every failure is counted where the status and the
			 * metrics show it, as it happens. */
			changed = true;
			e->st.connected = false;
			e->st.errors++;
			outage_log(e, &err, time_mono_ms());
		} else {
			int64_t rev = num(json_object_get(read, "revision"));

			outage_end(e, time_mono_ms());
			changed = !e->st.connected;
			e->st.connected = true;
			if (rev != last) {
				json_decref(e->pending);
				e->pending = read;
				read = NULL;
				last = rev;
				changed = true;
			}
			json_decref(read);
		}
		if (changed)
			event_active(e->wake, EV_READ, 0);
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_nsec += (long)(e->poll_ms % 1000) * 1000000L;
		at.tv_sec += (time_t)(e->poll_ms / 1000) + at.tv_nsec / 1000000000L;
		at.tv_nsec %= 1000000000L;
		while (!e->stop && pthread_cond_timedwait(&e->cv, &e->mu, &at) == 0)
			;
	}
	pthread_mutex_unlock(&e->mu);
	curl_easy_cleanup(c);
	return NULL;
}

/* ---- writes (main thread, from the control plane) ----------------------- */

static int write_override(void *arg, const char *dc, enum admin_state st, uint64_t since_ms,
			  const char *author, const char *reason, int64_t expect, int64_t *revision,
			  struct gslb_err *err)
{
	struct etcd *e = arg;
	char *key = xasprintf("%s%s", e->prefix, dc), *k64 = b64(key, strlen(key)), *v64 = NULL;
	char rev[32], *text;
	json_t *req, *op, *val, *resp = NULL;
	int rc;

	snprintf(rev, sizeof(rev), "%lld", (long long)expect);
	/* A removal is written as state "none", not deleted: a deleted key
	 * would be back at revision 0, which a caller holding an old 0 could
	 * write over without a conflict, and the removal would have no
	 * revision to name its alerts by. */
	val = json_pack("{s:s, s:I, s:s, s:s}", "state", admin_state_name(st), "since_ms",
			(json_int_t)since_ms, "author", author != NULL ? author : e->instance,
			"reason", reason != NULL ? reason : "");
	text = json_dumps(val, JSON_COMPACT | JSON_SORT_KEYS);
	v64 = b64(text, strlen(text));
	free(text);
	json_decref(val);
	op = json_pack("{s:{s:s, s:s}}", "request_put", "key", k64, "value", v64);
	/* Only if the key is still where the operator saw it (0: never written). */
	req = json_pack("{s:[{s:s, s:s, s:s, s:s}], s:[o]}", "compare", "key", k64, "target", "MOD",
			"result", "EQUAL", "mod_revision", rev, "success", op);
	rc = post(e, e->curl, "/v3/kv/txn", req, &resp, err);
	json_decref(req);
	if (rc == 0 && !json_is_true(json_object_get(resp, "succeeded")))
		rc = gslb_err_setc(err, GSLB_ECONFLICT,
				   "datacenter %s was changed meanwhile (it is no longer at revision "
				   "%lld); read the status again and retry",
				   dc, (long long)expect);
	else if (rc != 0) {
		log_warn("etcd: override of %s not written: %s", dc, err->msg);
		rc = GSLB_EUNAVAIL;
	} else {
		/* The transaction's revision: the key's new mod_revision. */
		*revision = num(json_object_get(json_object_get(resp, "header"), "revision"));
	}
	json_decref(resp);
	free(key);
	free(k64);
	free(v64);
	return rc;
}

/* ---- start and stop ------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct etcd *etcd_start(const struct config *cfg, struct event_base *base, struct control *ctl)
{
	struct etcd *e;
	struct gslb_err err = {""};
	json_t *read;
	int rc;

	if (cfg->etcd_endpoint_count == 0)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->endpoints = xcalloc(cfg->etcd_endpoint_count, sizeof(*e->endpoints));
	for (size_t i = 0; i < cfg->etcd_endpoint_count; i++) {
		size_t n;

		e->endpoints[i] = xstrdup(cfg->etcd_endpoints[i]);
		n = strlen(e->endpoints[i]);
		while (n > 0 && e->endpoints[i][n - 1] == '/')
			e->endpoints[i][--n] = '\0';
	}
	e->endpoint_count = cfg->etcd_endpoint_count;
	e->prefix = xasprintf("%sadmin/", cfg->etcd_prefix);
	e->timeout_ms = cfg->etcd_timeout_ms;
	e->poll_ms = cfg->etcd_poll_ms;
	e->username = dup_or_null(cfg->etcd_username);
	e->password = dup_or_null(cfg->etcd_password);
	e->ca = dup_or_null(cfg->etcd_ca_file);
	e->cert = dup_or_null(cfg->etcd_cert_file);
	e->key = dup_or_null(cfg->etcd_key_file);
	e->instance = xstrdup(cfg->identity != NULL ? cfg->identity : "gslbd");
	e->ctl = ctl;
	e->curl = curl_easy_init();
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->wake = event_new(base, -1, 0, on_wake, e);
	e->st.enabled = true;
	control_set_fleet_writer(ctl, write_override, e);
	/* The fleet's state before the first answer, if etcd answers now. */
	read = read_all(e, e->curl, &err);
	if (read != NULL) {
		e->st.connected = true;
		apply(e, read);
		e->st.revision = num(json_object_get(read, "revision"));
		log_info("etcd: the fleet's state read at revision %lld (%s)",
			 (long long)e->st.revision, e->endpoints[atomic_load(&e->current)]);
		json_decref(read);
	} else {
		e->st.errors++;
		log_warn("etcd: %s: following the local state file until etcd answers", err.msg);
		/* The outage's first line (the reader summarises the rest). */
		e->down_since_ms = e->down_logged_ms = time_mono_ms();
		e->down_polls = e->down_polls_logged = 1;
	}
	e->st.synced = read != NULL;
	control_fleet_status_set(ctl, &e->st);
	rc = pthread_create(&e->thread, NULL, reader_main, e);
	if (rc != 0)
		log_fatal("etcd: pthread_create: %s", strerror(rc));
	e->started = true;
	return e;
}

void etcd_free(struct etcd *e)
{
	if (e == NULL)
		return;
	if (e->started) {
		pthread_mutex_lock(&e->mu);
		e->stop = true;
		pthread_cond_signal(&e->cv);
		pthread_mutex_unlock(&e->mu);
		pthread_join(e->thread, NULL);
	}
	control_set_fleet_writer(e->ctl, NULL, NULL);
	event_free(e->wake);
	json_decref(e->pending);
	curl_easy_cleanup(e->curl);
	for (size_t i = 0; i < e->endpoint_count; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e->prefix);
	free(e->username);
	if (e->password != NULL)
		memset(e->password, 0, strlen(e->password));
	free(e->password);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e->instance);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}

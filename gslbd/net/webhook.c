#include <config.h>

#include "gslbd/net/webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"

/* One alert waiting. */
struct item {
	char *body;                   /* JSON */
	char id[ALERT_ID_LEN + 1];    /* its id */
};

/* One webhook's sender. */
struct hook {
	char *url;                    /* where to POST */
	char *target;                 /* the URL's path and query: what is signed */
	uint8_t *secret;              /* HMAC key, or NULL */
	size_t secret_len;            /* bytes at secret */
	struct config_alert conf;     /* events, timeout, retries, backoff (pointers unused) */
	pthread_t thread;             /* the sender */
	pthread_mutex_t mu;           /* guards what follows */
	pthread_cond_t cv;            /* signalled on a new item and on stop */
	bool stop;                    /* asked to stop */
	struct item queue[WEBHOOK_QUEUE]; /* ring */
	size_t head;                  /* oldest item */
	size_t count;                 /* items queued */
	struct hook *next;            /* next retired hook */
};

struct webhooks {
	struct hook **hooks;          /* one per webhook of the config they were made for */
	size_t count;                 /* entries at hooks */
	struct hook *retired;         /* senders of earlier configs, joined at the end */
};

static _Atomic uint64_t sent_total, failed_total, dropped_total;

void webhook_counters(uint64_t *sent, uint64_t *failed, uint64_t *dropped)
{
	*sent = atomic_load(&sent_total);
	*failed = atomic_load(&failed_total);
	*dropped = atomic_load(&dropped_total);
}

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* One POST of it; true on a 2xx answer. */
static bool post(struct hook *h, CURL *curl, const struct item *it)
{
	struct curl_slist *hdrs = NULL;
	char line[256], sig[SIGN_HEX_LEN + 1];
	uint64_t ts = time_wall_ms();
	size_t len = strlen(it->body);
	long status = 0;
	CURLcode rc;

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	snprintf(line, sizeof(line), "%s: %s", WEBHOOK_HEADER_ID, it->id);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "%s: %" PRIu64, SIGN_HEADER_TIMESTAMP, ts);
	hdrs = curl_slist_append(hdrs, line);
	if (h->secret != NULL) {
		sign_request(h->secret, h->secret_len, "POST", h->target, ts, it->body, len, sig);
		snprintf(line, sizeof(line), "%s: %s", SIGN_HEADER_SIGNATURE, sig);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, h->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)h->conf.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gslbd/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return true;
	log_ratelimited(LOG_LEVEL_WARN, "alerts: %s: alert %s not delivered: %s", h->url, it->id,
			rc != CURLE_OK ? curl_easy_strerror(rc) : "the answer was not 2xx");
	return false;
}

/* Wait ms unless asked to stop; returns false when stopping. Holds h->mu. */
static bool wait_ms(struct hook *h, uint64_t ms)
{
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += (time_t)(ms / 1000);
	at.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	while (!h->stop) {
		if (pthread_cond_timedwait(&h->cv, &h->mu, &at) == ETIMEDOUT)
			break;
	}
	return !h->stop;
}

static void *hook_main(void *arg)
{
	struct hook *h = arg;
	CURL *curl = curl_easy_init();

	if (curl == NULL)
		log_fatal("alerts: curl_easy_init failed");
	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct item it;
		bool done = false;

		while (!h->stop && h->count == 0)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stop)
			break;
		it = h->queue[h->head];
		h->head = (h->head + 1) % WEBHOOK_QUEUE;
		h->count--;
		for (unsigned attempt = 0; attempt <= h->conf.retries && !done; attempt++) {
			if (attempt > 0 && !wait_ms(h, alert_backoff_ms(h->conf.backoff_ms, attempt)))
				break;
			pthread_mutex_unlock(&h->mu);
			done = post(h, curl, &it);
			pthread_mutex_lock(&h->mu);
			if (!done)
				atomic_fetch_add(&failed_total, 1);
		}
		if (done) {
			atomic_fetch_add(&sent_total, 1);
		} else {
			atomic_fetch_add(&dropped_total, 1);
			log_warn("alerts: %s: alert %s given up", h->url, it.id);
		}
		free(it.body);
	}
	pthread_mutex_unlock(&h->mu);
	curl_easy_cleanup(curl);
	return NULL;
}

/* The request target of url: from the first '/' after the authority. */
static char *url_target(const char *url)
{
	const char *p = strstr(url, "://"), *slash;

	slash = p != NULL ? strchr(p + 3, '/') : NULL;
	if (slash == NULL)
		return xstrdup("/");
	return xstrdup(slash);
}

static struct hook *hook_new(const struct config_alert *conf)
{
	struct hook *h = xcalloc(1, sizeof(*h));
	int rc;

	h->url = xstrdup(conf->url);
	h->target = url_target(conf->url);
	if (conf->secret != NULL) {
		h->secret = xmalloc(conf->secret_len);
		memcpy(h->secret, conf->secret, conf->secret_len);
		h->secret_len = conf->secret_len;
	}
	h->conf = *conf;
	h->conf.url = NULL;
	h->conf.secret = NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	rc = pthread_create(&h->thread, NULL, hook_main, h);
	if (rc != 0)
		log_fatal("alerts: pthread_create: %s", strerror(rc));
	return h;
}

static void hook_stop(struct hook *h)
{
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static void hook_free(struct hook *h)
{
	hook_stop(h);
	pthread_join(h->thread, NULL);
	for (size_t i = 0; i < h->count; i++)
		free(h->queue[(h->head + i) % WEBHOOK_QUEUE].body);
	if (h->secret != NULL)
		memset(h->secret, 0, h->secret_len);
	free(h->secret);
	free(h->url);
	free(h->target);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}

struct webhooks *webhooks_new(void)
{
	return xcalloc(1, sizeof(struct webhooks));
}

/* Do w's senders serve cfg's webhooks as they are? */
static bool same_hooks(const struct webhooks *w, const struct config *cfg)
{
	if (w->count != cfg->alert_count)
		return false;
	for (size_t i = 0; i < w->count; i++) {
		const struct hook *h = w->hooks[i];
		const struct config_alert *a = &cfg->alerts[i];

		if (strcmp(h->url, a->url) != 0 || h->secret_len != a->secret_len ||
		    (a->secret != NULL && memcmp(h->secret, a->secret, a->secret_len) != 0) ||
		    h->conf.events != a->events || h->conf.timeout_ms != a->timeout_ms ||
		    h->conf.retries != a->retries || h->conf.backoff_ms != a->backoff_ms)
			return false;
	}
	return true;
}

void webhooks_send(struct webhooks *w, const struct config *cfg, const struct alert *a)
{
	char *body;

	if (!same_hooks(w, cfg)) {
		/* A reload changed them: the old senders stop after what they
		 * are doing (joined at the end) and new ones start. */
		for (size_t i = 0; i < w->count; i++) {
			hook_stop(w->hooks[i]);
			w->hooks[i]->next = w->retired;
			w->retired = w->hooks[i];
		}
		free(w->hooks);
		w->hooks = xcalloc(cfg->alert_count + 1, sizeof(*w->hooks));
		w->count = cfg->alert_count;
		for (size_t i = 0; i < w->count; i++)
			w->hooks[i] = hook_new(&cfg->alerts[i]);
	}
	if (w->count == 0)
		return;
	log_info("alert: id=%s event=%s subject=%s reason=\"%s\"", a->id,
		 config_alert_event_name(a->event), a->subject, a->reason);
	body = alert_json(a, cfg->identity);
	for (size_t i = 0; i < w->count; i++) {
		struct hook *h = w->hooks[i];
		struct item *slot;

		if ((h->conf.events & (1u << a->event)) == 0)
			continue;
		pthread_mutex_lock(&h->mu);
		if (h->count == WEBHOOK_QUEUE) {
			/* Full: the oldest goes. */
			free(h->queue[h->head].body);
			h->head = (h->head + 1) % WEBHOOK_QUEUE;
			h->count--;
			atomic_fetch_add(&dropped_total, 1);
		}
		slot = &h->queue[(h->head + h->count) % WEBHOOK_QUEUE];
		slot->body = xstrdup(body);
		memcpy(slot->id, a->id, sizeof(slot->id));
		h->count++;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	free(body);
}

void webhooks_free(struct webhooks *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->count; i++)
		hook_free(w->hooks[i]);
	free(w->hooks);
	while (w->retired != NULL) {
		struct hook *h = w->retired;

		w->retired = h->next;
		hook_free(h);
	}
	free(w);
}

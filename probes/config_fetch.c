#include <config.h>

#include "probes/config_fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "probes/scheduler.h"
#include "probes/transport.h"

/* Largest probe config accepted, in bytes. */
#define CONFIG_BODY_MAX (16u * 1024 * 1024)
/* Retry delay of the config fetch while the probe has no checks at all. */
#define NO_CONFIG_RETRY_MS 5000u

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
	scheduler_apply(a, list);
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
		transport_timer_add_ms(a->refresh, a->conf->config_refresh_ms < NO_CONFIG_RETRY_MS
						       ? a->conf->config_refresh_ms
						       : NO_CONFIG_RETRY_MS);
	else
		transport_timer_add_ms(a->refresh, a->conf->config_refresh_ms);
}

/* Clock difference to a server above which the probe warns (its reports
 * would soon be refused for skew). */
#define CLOCK_WARN_MS 10000u

/* Remember the generation of the config in use, and warn about a clock far
 * from the server's. */
static void answer_accept(struct agent *a, const char *url, const struct sign_answer *an)
{
	uint64_t now = time_wall_ms();
	uint64_t d = now > an->ts_ms ? now - an->ts_ms : an->ts_ms - now;

	a->config_boot = an->boot;
	a->config_gen = an->generation;
	if (d > CLOCK_WARN_MS)
		log_ratelimited(LOG_LEVEL_WARN,
				"clock differs from the server's by %" PRIu64
				" ms: server=%s (reports may be refused for skew)",
				d, url);
}

void config_fetch_done(struct xfer *x, CURLcode rc)
{
	struct agent *a = x->a;
	size_t server = x->index;
	const char *url = a->conf->servers[server];
	struct sign_answer an;
	char why[160];
	long status = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && (status == 200 || (status == 304 && a->checks != NULL)) &&
	    pconfig_answer_verify(a->conf->secret, a->conf->secret_len, &x->stamp, status,
				  (const char *const *)x->answer_sig,
				  status == 200 ? x->body : NULL, status == 200 ? x->body_len : 0,
				  a->config_boot, a->config_gen, &an, why, sizeof(why)) != 0) {
		log_ratelimited(LOG_LEVEL_WARN,
				"probe config refused, keeping the one in use: server=%s reason=%s",
				url, why);
		goto next_server;
	}
	if (rc == CURLE_OK && status == 304 && a->checks != NULL) {
		answer_accept(a, url, &an);
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
			log_debug("probe config received: server=%s checks=%zu etag=%s "
				  "generation=%" PRIu64,
				  url, list->count, x->etag != NULL ? x->etag : "none",
				  an.generation);
			answer_accept(a, url, &an);
			free(a->etag);
			a->etag = x->etag;
			x->etag = NULL;
			cache_save(a, x->body != NULL ? x->body : "", x->body_len);
			scheduler_apply(a, list);
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

		xfer_refusal_reason(x, reason, sizeof(reason));
		log_ratelimited(LOG_LEVEL_WARN,
				"cannot fetch the probe config: server=%s: HTTP %ld %s", url,
				status, reason);
	}
next_server:
	xfer_free(x);
	if (server + 1 < a->conf->server_count)
		config_fetch_start(a, server + 1);
	else
		fetch_round_done(a, false);
}

void config_fetch_start(struct agent *a, size_t server)
{
	char *url = xasprintf("%s" PROBE_PROTO_PATH_CONFIG, a->conf->servers[server]);
	struct xfer *x = xfer_new(a, XFER_FETCH, url, CONFIG_BODY_MAX, a->conf->report_timeout_ms);

	free(url);
	a->fetching = true;
	x->index = server;
	x->fail_on_overflow = true;
	xfer_keep_etag(x);
	xfer_sign(x, "GET", PROBE_PROTO_PATH_CONFIG, "", 0);
	if (a->etag != NULL && a->checks != NULL) {
		char *h = xasprintf("If-None-Match: %s", a->etag);

		x->headers = curl_slist_append(x->headers, h);
		free(h);
	}
	xfer_start(x);
}

void config_fetch_on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	if (!a->fetching)
		config_fetch_start(a, 0);
}

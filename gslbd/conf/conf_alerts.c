/* gslbd.conf "alerts": webhooks that state changes are POSTed to. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/yamltree.h"
#include "gslbd/conf/conf-internal.h"

/* The events, in the order of enum config_alert_event. */
static const char *const event_words[] = {"down",      "up",           "drained",
					  "undrained", "forced_up",    "fail_open",
					  "fail_closed", "probes_stale", "probes_fresh",
					  "reload_failed", "signatures_expiring", NULL};

_Static_assert(sizeof(event_words) / sizeof(event_words[0]) == CONFIG_ALERT_EVENTS + 1,
	       "one word per alert event");

const char *config_alert_event_name(enum config_alert_event e)
{
	return e < CONFIG_ALERT_EVENTS ? event_words[e] : "?";
}

static int alert_read(struct loader *l, const struct ytree_node *n, size_t index)
{
	enum { K_URL, K_SECRET, K_SECRET_FILE, K_EVENTS, K_TIMEOUT, K_RETRIES, K_BACKOFF, K_COUNT };
	static const char *const keys[K_COUNT + 1] = {"url",     "secret",  "secret_file", "events",
						      "timeout", "retries", "backoff",     NULL};
	struct config_alert *a = &l->cfg->alerts[index];
	const struct ytree_node *v[K_COUNT] = {0};
	char path[64], kpath[96];
	int rc;

	if ((rc = conf_entry_open(l, n, "alerts", index, "url", keys, v, path, sizeof(path),
				  &a->line, &a->col)) != 0)
		return rc;
	a->timeout_ms = 5000;
	a->retries = 5;
	a->backoff_ms = 1000;
	a->events = (1u << CONFIG_ALERT_EVENTS) - 1;
	if (v[K_URL] == NULL)
		return ytree_error_path(&l->r, n, path, "missing required key 'url'");
	snprintf(kpath, sizeof(kpath), "%s.url", path);
	if ((rc = ytree_read_string(&l->r, v[K_URL], kpath, "a URL")) != 0)
		return rc;
	if ((strncmp(v[K_URL]->scalar, "http://", 7) != 0 &&
	     strncmp(v[K_URL]->scalar, "https://", 8) != 0) ||
	    !conf_text_is_valid(v[K_URL]->scalar, NULL, 2048))
		return ytree_error_path(&l->r, v[K_URL], kpath,
					"'%s' is not an http:// or https:// URL", v[K_URL]->scalar);
	a->url = xstrdup(v[K_URL]->scalar);
	if ((rc = conf_secret_pair_read(l, n, path, v[K_SECRET], v[K_SECRET_FILE], false,
					&a->secret, &a->secret_len)) != 0)
		return rc;
	if (v[K_EVENTS] != NULL) {
		struct ytree_node *const *items;
		size_t count;

		snprintf(kpath, sizeof(kpath), "%s.events", path);
		if ((rc = conf_list_items(l, v[K_EVENTS], kpath, "events", &items, &count)) != 0)
			return rc;
		a->events = 0;
		for (size_t i = 0; i < count; i++) {
			char ipath[128];
			unsigned e;

			conf_item_path(ipath, sizeof(ipath), kpath, items, i);
			if ((rc = conf_keyword_read(
				 l, conf_list_item(v[K_EVENTS], items, i), ipath, event_words,
				 "down, up, drained, undrained, forced_up, fail_open, fail_closed, "
				 "probes_stale, probes_fresh, reload_failed or signatures_expiring",
				 &e)) != 0)
				return rc;
			a->events |= 1u << e;
		}
	}
	if (v[K_TIMEOUT] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.timeout", path);
		if ((rc = ytree_read_duration(&l->r, v[K_TIMEOUT], kpath, 100, 60000, &a->timeout_ms)) != 0)
			return rc;
	}
	if (v[K_RETRIES] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.retries", path);
		if ((rc = ytree_read_uint(&l->r, v[K_RETRIES], kpath, 0, 100, &a->retries)) != 0)
			return rc;
	}
	if (v[K_BACKOFF] != NULL) {
		snprintf(kpath, sizeof(kpath), "%s.backoff", path);
		if ((rc = ytree_read_duration(&l->r, v[K_BACKOFF], kpath, 100, 600000, &a->backoff_ms)) != 0)
			return rc;
	}
	return 0;
}

int conf_alerts_read(struct loader *l, const struct ytree_node *n)
{
	struct config *cfg = l->cfg;
	int rc;

	if ((rc = conf_section_list(l, n, "alerts", "webhooks")) != 0 || ytree_node_is_null(n))
		return rc;
	cfg->alerts = xcalloc(n->count, sizeof(*cfg->alerts));
	return conf_entries_read(l, n, &cfg->alert_count, alert_read);
}

/* The last hour of the datacenters: rings of events and samples (see
 * history.h). */
#include <config.h>

#include "gslbd/control/history.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/alerts.h"
#include "gslbd/control/metrics.h"
#include "gslbd/dns/snapshot.h"

/* A datacenter's state in a sample, as the status page names it. */
enum history_state {
	HISTORY_ABSENT,  /* not in the config then */
	HISTORY_UP,      /* answered */
	HISTORY_DOWN,    /* not answered (health) */
	HISTORY_DRAINED, /* drained by an operator */
	HISTORY_FORCED,  /* forced up by an operator */
};

static const char *const state_names[] = {NULL, "up", "down", "drained", "forced"};

struct history_event {
	uint64_t wall_ms;              /* when */
	enum config_alert_event event; /* what */
	char subject[72];              /* the datacenter, pool, zone or reload kind, or "" */
	char reason[160];              /* why, for people */
};

struct history_sample {
	uint64_t wall_ms;                  /* when it was taken */
	uint32_t answers[METRICS_MAX_DCS]; /* per column: answers since the sample before */
	uint8_t state[METRICS_MAX_DCS];    /* per column: enum history_state */
};

struct history {
	struct history_event events[HISTORY_EVENTS]; /* ring */
	size_t event_next;                           /* where the next event goes */
	size_t event_count;                          /* events kept (<= HISTORY_EVENTS) */
	struct history_sample *samples;              /* ring of HISTORY_SAMPLES */
	size_t sample_next;                          /* where the next sample goes */
	size_t sample_count;                         /* samples kept (<= HISTORY_SAMPLES) */
	char *names[METRICS_MAX_DCS];                /* the datacenter of each column, by name */
	size_t name_count;                           /* columns in use */
	uint64_t
	    last_total[METRICS_MAX_DCS]; /* per column: its answer counter at the last sample */
};

struct history *history_new(void)
{
	struct history *h = xcalloc(1, sizeof(*h));

	h->samples = xcalloc(HISTORY_SAMPLES, sizeof(*h->samples));
	return h;
}

void history_free(struct history *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->name_count; i++)
		free(h->names[i]);
	free(h->samples);
	free(h);
}

void history_event(struct history *h, const struct alert *a)
{
	struct history_event *e = &h->events[h->event_next];

	e->wall_ms = a->wall_ms;
	e->event = a->event;
	memcpy(e->subject, a->subject, sizeof(e->subject));
	e->subject[sizeof(e->subject) - 1] = '\0';
	memcpy(e->reason, a->reason, sizeof(e->reason));
	e->reason[sizeof(e->reason) - 1] = '\0';
	h->event_next = (h->event_next + 1) % HISTORY_EVENTS;
	if (h->event_count < HISTORY_EVENTS)
		h->event_count++;
}

/* The column of datacenter name, a new one if need be; -1 when every
 * column is taken. */
static long column(struct history *h, const char *name)
{
	for (size_t i = 0; i < h->name_count; i++) {
		if (strcmp(h->names[i], name) == 0)
			return (long)i;
	}
	if (h->name_count == METRICS_MAX_DCS)
		return -1;
	h->names[h->name_count] = xstrdup(name);
	return (long)h->name_count++;
}

static long find_column(const struct history *h, const char *name)
{
	for (size_t i = 0; i < h->name_count; i++) {
		if (strcmp(h->names[i], name) == 0)
			return (long)i;
	}
	return -1;
}

static enum history_state dc_state(const struct snapshot *snap, const struct admin_table *admin,
				   size_t dc)
{
	switch (admin_table_get(admin, snap->config->datacenters[dc].name, NULL)) {
	case ADMIN_DRAIN:
		return HISTORY_DRAINED;
	case ADMIN_FORCE_UP:
		return HISTORY_FORCED;
	default:
		return snap->dc_state[dc] == DC_STATE_UP ? HISTORY_UP : HISTORY_DOWN;
	}
}

/* The answers of column k since the last sample, from total (the
 * datacenter's counter now); a counter that went back started again. */
static uint64_t answers_since(const struct history *h, size_t k, uint64_t total)
{
	return total >= h->last_total[k] ? total - h->last_total[k] : total;
}

bool history_sample(struct history *h, const struct snapshot *snap, const struct admin_table *admin,
		    uint64_t now_ms)
{
	const struct config *cfg = snap->config;
	uint64_t totals[METRICS_MAX_DCS];
	struct history_sample *s;

	if (h->sample_count > 0) {
		const struct history_sample *last =
		    &h->samples[(h->sample_next + HISTORY_SAMPLES - 1) % HISTORY_SAMPLES];

		/* (a clock stepped back takes one at once) */
		if (now_ms >= last->wall_ms && now_ms - last->wall_ms < HISTORY_SAMPLE_MS)
			return false;
	}
	metrics_sum_dc_answers(totals, METRICS_MAX_DCS);
	s = &h->samples[h->sample_next];
	memset(s, 0, sizeof(*s));
	s->wall_ms = now_ms;
	for (size_t i = 0; i < cfg->datacenter_count && i < METRICS_MAX_DCS; i++) {
		long k = column(h, cfg->datacenters[i].name);
		uint64_t n;

		if (k < 0)
			continue;
		n = answers_since(h, (size_t)k, totals[i]);
		s->answers[k] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		s->state[k] = (uint8_t)dc_state(snap, admin, i);
		h->last_total[k] = totals[i];
	}
	h->sample_next = (h->sample_next + 1) % HISTORY_SAMPLES;
	if (h->sample_count < HISTORY_SAMPLES)
		h->sample_count++;
	return true;
}

/* Does event e name a datacenter (1), a pool (2) or a zone (3)? 0: none. */
static int subject_kind(enum config_alert_event e)
{
	switch (e) {
	case CONFIG_ALERT_DOWN:
	case CONFIG_ALERT_UP:
	case CONFIG_ALERT_DRAINED:
	case CONFIG_ALERT_UNDRAINED:
	case CONFIG_ALERT_FORCED_UP:
		return 1;
	case CONFIG_ALERT_FAIL_OPEN:
	case CONFIG_ALERT_FAIL_CLOSED:
		return 2;
	case CONFIG_ALERT_SIGNATURES_EXPIRING:
		return 3;
	default:
		return 0;
	}
}

json_t *history_json(const struct history *h, const struct snapshot *snap,
		     const struct admin_table *admin, uint64_t now_ms)
{
	const struct config *cfg = snap->config;
	uint64_t since = now_ms > HISTORY_WINDOW_MS ? now_ms - HISTORY_WINDOW_MS : 0;
	uint64_t totals[METRICS_MAX_DCS];
	json_t *times = json_array(), *dcs = json_array(), *events = json_array();
	size_t first = (h->sample_next + HISTORY_SAMPLES - h->sample_count) % HISTORY_SAMPLES;

	metrics_sum_dc_answers(totals, METRICS_MAX_DCS);
	for (size_t n = 0; n < h->sample_count; n++) {
		const struct history_sample *s = &h->samples[(first + n) % HISTORY_SAMPLES];

		if (s->wall_ms >= since)
			json_array_append_new(times, json_integer((json_int_t)s->wall_ms));
	}
	json_array_append_new(times, json_integer((json_int_t)now_ms));
	for (size_t i = 0; i < cfg->datacenter_count && i < METRICS_MAX_DCS; i++) {
		long k = find_column(h, cfg->datacenters[i].name);
		json_t *answers = json_array(), *states = json_array();

		for (size_t n = 0; k >= 0 && n < h->sample_count; n++) {
			const struct history_sample *s = &h->samples[(first + n) % HISTORY_SAMPLES];

			if (s->wall_ms < since)
				continue;
			json_array_append_new(answers, json_integer(s->answers[k]));
			json_array_append_new(states, state_names[s->state[k]] != NULL
							  ? json_string(state_names[s->state[k]])
							  : json_null());
		}
		if (k < 0) {
			/* Not sampled yet: nothing before now. */
			for (size_t n = 1; n < json_array_size(times); n++) {
				json_array_append_new(answers, json_integer(0));
				json_array_append_new(states, json_null());
			}
		}
		json_array_append_new(
		    answers,
		    json_integer(
			(json_int_t)(k >= 0 ? answers_since(h, (size_t)k, totals[i]) : totals[i])));
		json_array_append_new(states, json_string(state_names[dc_state(snap, admin, i)]));
		json_array_append_new(dcs,
				      json_pack("{s:s, s:o, s:o}", "name", cfg->datacenters[i].name,
						"answers", answers, "states", states));
	}
	for (size_t n = 0; n < h->event_count; n++) {
		const struct history_event *e =
		    &h->events[(h->event_next + HISTORY_EVENTS - h->event_count + n) %
			       HISTORY_EVENTS];
		static const char *const kinds[4] = {"subject", "datacenter", "pool", "zone"};
		json_t *o;

		if (e->wall_ms < since)
			continue;
		o = json_pack("{s:I, s:s, s:s}", "time_ms", (json_int_t)e->wall_ms, "event",
			      config_alert_event_name(e->event), "reason", e->reason);
		if (e->subject[0] != '\0')
			json_object_set_new(o, kinds[subject_kind(e->event)],
					    json_string(e->subject));
		json_array_append_new(events, o);
	}
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "now_ms", (json_int_t)now_ms,
			 "window_ms", (json_int_t)HISTORY_WINDOW_MS, "sample_ms",
			 (json_int_t)HISTORY_SAMPLE_MS, "times", times, "datacenters", dcs,
			 "events", events);
}

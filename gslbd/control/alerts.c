#include <config.h>

#include "gslbd/control/alerts.h"

#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

void alert_finish(struct alert *a)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_LENGTH];
	char in[sizeof(a->subject) + sizeof(a->trigger) + 32];
	int n;

	n = snprintf(in, sizeof(in), "%s\n%s\n%s", config_alert_event_name(a->event), a->subject,
		     a->trigger);
	SHA256((const unsigned char *)in, n > 0 ? (size_t)n : 0, md);
	for (int i = 0; i < ALERT_ID_LEN / 2; i++) {
		a->id[2 * i] = digits[md[i] >> 4];
		a->id[2 * i + 1] = digits[md[i] & 0xf];
	}
	a->id[ALERT_ID_LEN] = '\0';
}

char *alert_json(const struct alert *a, const char *instance)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "id", a->id, "event",
			      config_alert_event_name(a->event), "subject", a->subject, "reason",
			      a->reason, "time_ms", (json_int_t)a->wall_ms, "trigger", a->trigger);
	char *text;

	if (j == NULL)
		log_fatal("alerts: out of memory");
	if (instance != NULL)
		json_object_set_new(j, "instance", json_string(instance));
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL)
		log_fatal("alerts: out of memory");
	return text;
}

uint64_t alert_backoff_ms(unsigned base_ms, unsigned retry)
{
	uint64_t d = base_ms;

	for (unsigned i = 1; i < retry && d < ALERT_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < ALERT_BACKOFF_MAX_MS ? d : ALERT_BACKOFF_MAX_MS;
}

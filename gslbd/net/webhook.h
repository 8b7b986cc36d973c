/* Alert webhooks: each configured webhook (gslbd.conf "alerts") has a
 * sender thread with a queue of its own, so that a slow or failing
 * receiver holds up neither DNS, nor the API, nor the other webhooks. An
 * alert is POSTed as JSON with the headers X-GSLB-Alert-Id, X-GSLB-Timestamp
 * and, with a secret, X-GSLB-Signature (HMAC-SHA256 as probe reports are
 * signed: common/sign.h, over POST, the URL's path, the timestamp and the
 * body); a failed POST (no 2xx) is retried after backoff, doubling, up to
 * the configured retries. webhooks_send() and webhooks_free() are for the
 * main thread. */
#ifndef GSLBD_NET_WEBHOOK_H
#define GSLBD_NET_WEBHOOK_H

#include <stdint.h>

#include "gslbd/conf/conf.h"
#include "gslbd/control/alerts.h"

#define WEBHOOK_HEADER_ID "X-GSLB-Alert-Id"
#define WEBHOOK_QUEUE 256 /* alerts waiting per webhook; the oldest is dropped past it */

struct webhooks;

struct webhooks *webhooks_new(void);
/* Queue a for every webhook of cfg that takes its event (the senders are
 * made again when cfg's webhooks differ from the last ones). */
void webhooks_send(struct webhooks *w, const struct config *cfg, const struct alert *a);
/* Stop every sender (a POST under way ends within its timeout) and free w. */
void webhooks_free(struct webhooks *w);

/* Alerts delivered, attempts that failed, alerts given up (all webhooks). */
void webhook_counters(uint64_t *sent, uint64_t *failed, uint64_t *dropped);

#endif

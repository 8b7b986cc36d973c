/* Tenants of the HTTP API (gslbd.conf "tokens"): who a request is (by its
 * bearer token, compared in constant time with every token), its request
 * rate, and the views of status, explain and metrics cut down to its pools
 * and datacenters. Main thread (the API's). */
#ifndef GSLBD_NET_TENANT_H
#define GSLBD_NET_TENANT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gslbd/conf/conf.h"

enum tenant_who {
	TENANT_NONE,   /* no token, or one that is nobody's */
	TENANT_ADMIN,  /* the admin token */
	TENANT_TOKEN,  /* a tenant's token */
};

/* Who the Authorization header value auth (may be NULL) is; *index gets the
 * tenant's entry of cfg->tokens for TENANT_TOKEN. */
enum tenant_who tenant_identify(const struct config *cfg, const char *auth, size_t *index);

/* Per-token request rates: a bucket per cfg->tokens entry, each holding
 * rate requests and refilled at rate per second. */
struct tenant_limits;
struct tenant_limits *tenant_limits_new(void);
void tenant_limits_free(struct tenant_limits *l);
/* May tenant index of cfg make a request at now_ms? (The buckets start
 * afresh when cfg's tokens change.) */
bool tenant_limits_allow(struct tenant_limits *l, const struct config *cfg, size_t index,
			 uint64_t now_ms);

/* Cut the /v1/status document st down to what tenant t sees. */
void tenant_filter_status(json_t *st, const struct config *cfg, const struct config_token *t);
/* Cut the /v1/history document h down to what tenant t sees: its
 * datacenters' answers and states, the events about its datacenters and
 * pools. */
void tenant_filter_history(json_t *h, const struct config *cfg, const struct config_token *t);
/* May t see the explanation ex (its pool is t's)? Cuts its candidates down
 * to t's datacenters. */
bool tenant_filter_explain(json_t *ex, const struct config *cfg, const struct config_token *t);
/* The metrics text (len bytes) cut down to the samples labelled with t's
 * datacenters or pools: a sample with both labels needs both to be t's
 * (with their HELP and TYPE lines). Caller frees;
 * *out_len gets its length. */
char *tenant_filter_metrics(const char *text, size_t len, const struct config *cfg,
			    const struct config_token *t, size_t *out_len);

#endif

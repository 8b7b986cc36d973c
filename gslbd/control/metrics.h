/* The Prometheus endpoint's view of the query path's counters (GET
 * /metrics): the sum of every DNS thread's struct metrics_shard (written by
 * gslbd/dns/query_metrics.c) and the names and help texts /metrics renders
 * them with (status.c). Main thread. */
#ifndef GSLBD_CONTROL_METRICS_H
#define GSLBD_CONTROL_METRICS_H

#include "gslbd/dns/query_metrics.h"

/* Metric name and help of an event (for /metrics). */
const char *metrics_event_name(enum metrics_event e);
const char *metrics_event_help(enum metrics_event e);
/* Label of an enum metrics_rrl. */
const char *metrics_rrl_name(enum metrics_rrl a);
/* Label of an enum metrics_pool_outcome. */
const char *metrics_pool_outcome_name(enum metrics_pool_outcome o);
/* Sum every shard into out (main thread). */
void metrics_sum(struct metrics_shard *out);
/* Sum every shard's answers of datacenters 0..n-1 into out[0..n-1] (main
 * thread; n <= METRICS_MAX_DCS). */
void metrics_sum_dc_answers(uint64_t *out, size_t n);
/* Label of a qtype bucket / rcode bucket. */
const char *metrics_qtype_name(unsigned bucket);
const char *metrics_rcode_name(unsigned bucket);

#endif

#include <config.h>

#include "gslbd/control/metrics.h"

#include <stdlib.h>
#include <string.h>


static const char *const qtype_names[METRICS_QTYPES] = {
	"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "ANY", "AXFR", "IXFR", "other",
};
static const char *const rcode_names[METRICS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other",
};

const char *metrics_event_name(enum metrics_event e)
{
	static const char *const names[METRICS_EVENTS] = {
		"gslbd_udp_send_errors_total", "gslbd_tcp_connections_accepted_total",
		"gslbd_tcp_connections_refused_total", "gslbd_tcp_connections_timed_out_total",
		"gslbd_zone_transfers_total", "gslbd_rrl_table_evictions_total",
		"gslbd_acl_refused_total", "gslbd_acl_dropped_total",
		"gslbd_cookies_valid_total", "gslbd_cookies_issued_total",
		"gslbd_cookies_bad_total", "gslbd_tcp_connections_closed_busy_total",
	};

	return names[e];
}

const char *metrics_event_help(enum metrics_event e)
{
	static const char *const help[METRICS_EVENTS] = {
		"UDP responses the kernel refused to send.",
		"TCP connections accepted.",
		"TCP connections closed at once: their client network had "
		"tcp_max_connections_per_client open.",
		"TCP connections closed idle or stalled.",
		"Zone transfers started.",
		"Rate-limit buckets that took the place of another client's (table pressure).",
		"Queries an access list answered with REFUSED.",
		"Queries an access list dropped.",
		"Queries that came with a valid server cookie.",
		"Queries given a new server cookie.",
		"Queries with a server cookie that is not ours (BADCOOKIE over UDP).",
		"TCP connections closed before tcp_idle_timeout because more than 3/4 of "
		"tcp_max_connections were open.",
	};

	return help[e];
}

const char *metrics_rrl_name(enum metrics_rrl a)
{
	static const char *const names[METRICS_RRL_ACTIONS] = {"dropped", "slipped", "exempt"};

	return names[a];
}

const char *metrics_pool_outcome_name(enum metrics_pool_outcome o)
{
	static const char *const names[METRICS_POOL_OUTCOMES] = {"preferred", "fallback",
								 "fail_open"};

	return names[o];
}

void metrics_sum(struct metrics_shard *out)
{
	uint64_t epoch = metrics_epoch();

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < metrics_shard_count(); i++) {
		const struct metrics_shard *s = metrics_shard_at(i);

		if (atomic_load_explicit(&s->epoch, memory_order_relaxed) == epoch) {
			for (size_t z = 0; z < METRICS_MAX_ZONES + 1; z++)
				for (size_t q = 0; q < METRICS_QTYPES; q++)
					for (size_t r = 0; r < METRICS_RCODES; r++)
						out->queries[z][q][r] += atomic_load_explicit(
							&s->queries[z][q][r], memory_order_relaxed);
			for (size_t z = 0; z < METRICS_MAX_ZONES + 1; z++)
				for (size_t a = 0; a < METRICS_RRL_ACTIONS; a++)
					out->rrl[z][a] += atomic_load_explicit(
					    &s->rrl[z][a], memory_order_relaxed);
		}
		out->dropped += atomic_load_explicit(&s->dropped, memory_order_relaxed);
		out->truncated += atomic_load_explicit(&s->truncated, memory_order_relaxed);
		for (size_t d = 0; d < METRICS_MAX_DCS; d++)
			out->dc_answers[d] +=
				atomic_load_explicit(&s->dc_answers[d], memory_order_relaxed);
		for (size_t e = 0; e < METRICS_EVENTS; e++)
			out->events[e] += atomic_load_explicit(&s->events[e], memory_order_relaxed);
		for (size_t p = 0; p < METRICS_MAX_POOLS; p++)
			for (size_t o = 0; o < METRICS_POOL_OUTCOMES; o++)
				out->pool_answers[p][o] += atomic_load_explicit(
				    &s->pool_answers[p][o], memory_order_relaxed);
	}
}

void metrics_sum_dc_answers(uint64_t *out, size_t n)
{
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < metrics_shard_count(); i++)
		for (size_t d = 0; d < n && d < METRICS_MAX_DCS; d++)
			out[d] += atomic_load_explicit(&metrics_shard_at(i)->dc_answers[d],
						       memory_order_relaxed);
}

const char *metrics_qtype_name(unsigned bucket)
{
	return bucket < METRICS_QTYPES ? qtype_names[bucket] : "other";
}

const char *metrics_rcode_name(unsigned bucket)
{
	return bucket < METRICS_RCODES ? rcode_names[bucket] : "other";
}


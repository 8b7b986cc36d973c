/* The health and latency model: what probe reports make of each datacenter.
 *
 * For every (probe, datacenter) pair a verdict moves to DOWN after `fall`
 * consecutive failed checks and back to UP after `rise` good ones, and the
 * connect RTT is smoothed (EWMA). A datacenter's state is decided only by
 * fresh pairs (last result younger than the freshness bound): it is DOWN when
 * at least `quorum` fresh probes say DOWN (default: a strict majority of the
 * fresh probes), UP when `quorum` fresh probes say UP, and otherwise keeps
 * its state; with no fresh probe at all the last state holds for the grace
 * period, then `on_unknown` decides. Before any report, a datacenter is
 * UNKNOWN (answered, as on_unknown=up would: see health_dc_answerable()).
 * Datacenters without a check are always UP.
 *
 * Every function takes the time as a parameter (milliseconds, monotonic for
 * freshness and grace), so the logic is tested with a fake clock. Main thread
 * only; health_latency_build() produces an immutable table for snapshots. */
#ifndef GSLBD_CONTROL_HEALTH_H
#define GSLBD_CONTROL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gslbd/dns/latency.h"

struct config;
struct health;

enum health_state {
	HEALTH_UNKNOWN = 0, /* no verdict yet, or the grace period ran out with on_unknown */
	HEALTH_UP,          /* answer it */
	HEALTH_DOWN,        /* do not answer it */
};

/* One check result of a report. */
struct health_result {
	size_t dc;          /* index into config->datacenters */
	bool ok;            /* the check passed */
	double rtt_ms;      /* connect round-trip time, < 0 when not measured */
	int status;         /* HTTP status, 0 for TCP checks or no response */
	const char *error;  /* probe's reason for a failure, or NULL (copied) */
	bool has_load;      /* the check read a load */
	double load;        /* that load (>= 0) */
	const char *load_error; /* why the check read no load, or NULL (copied) */
};

/* New model for cfg (borrowed: pass the same config to later calls until
 * health_reconfigure()). */
struct health *health_new(const struct config *cfg, uint64_t now_ms);
/* Adopt a reloaded cfg: probes and datacenters keep their state by name. */
void health_reconfigure(struct health *h, const struct config *cfg, uint64_t now_ms);
void health_free(struct health *h);

/* Apply the count results of one accepted report from probe (index into
 * cfg->probes). Returns true when a datacenter's state or a latency ranking
 * changed (a new snapshot is due). */
bool health_report(struct health *h, size_t probe, const struct health_result *results,
		   size_t count, uint64_t now_ms);
/* Apply time: results going stale, grace periods ending. Returns true when a
 * datacenter's state or a latency ranking changed. Call about once a second. */
bool health_tick(struct health *h, uint64_t now_ms);

/* A datacenter's state and a one-line reason ("2 of 3 fresh probes report
 * down: connect timeout", "no fresh report for 31s; on_unknown=up"). */
enum health_state health_dc_state(const struct health *h, size_t dc);
const char *health_dc_reason(const struct health *h, size_t dc);
/* May dc be answered? (UP, or UNKNOWN with on_unknown=up). */
bool health_dc_answerable(const struct health *h, size_t dc);
/* State changes of dc since start (for metrics). */
uint64_t health_dc_changes(const struct health *h, size_t dc);

/* What one probe says of one datacenter (status and metrics). */
struct health_pair_view {
	enum health_state verdict; /* after rise/fall */
	bool fresh;                /* last result within the freshness bound */
	bool has_result;           /* any result at all */
	uint64_t age_ms;           /* since the last result */
	bool last_ok;              /* last result passed */
	double rtt_ms;             /* smoothed RTT, < 0 when none */
	int last_status;           /* last HTTP status */
	const char *last_error;    /* last failure reason, or NULL */
	bool has_load;             /* the last result carried a load */
	double load;               /* that load */
	const char *load_error;    /* why the last result had no load, or NULL */
};
void health_pair(const struct health *h, size_t probe, size_t dc, uint64_t now_ms,
		 struct health_pair_view *out);
/* A datacenter's load as its fresh probes report it. */
struct health_load {
	double load;        /* median of the fresh probes' latest loads */
	unsigned samples;   /* fresh probes that reported one */
	uint64_t oldest_ms; /* time of the oldest of those results */
};
/* The load of dc: the median of the latest loads of its fresh probes (the
 * mean of the middle two for an even count), so that one probe cannot
 * move it while the others agree. Returns false (out zeroed) when no fresh
 * probe reported a load. */
bool health_dc_load(const struct health *h, size_t dc, uint64_t now_ms, struct health_load *out);

/* Age of the probe's last accepted report, or UINT64_MAX if none. */
uint64_t health_probe_age_ms(const struct health *h, size_t probe, uint64_t now_ms);

/* Build the rankings from the current data (fresh pairs only), keeping the
 * previous leaders unless a datacenter is faster by more than
 * max(hysteresis_pct %, hysteresis_ms). Caller owns the result; free with
 * latency_table_free() (gslbd/dns/latency.h). */
struct latency_table *health_latency_build(struct health *h, uint64_t now_ms);

#endif

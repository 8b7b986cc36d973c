/* Response rate limiting: a token bucket per (client network, kind of
 * response, name), with the semantics of BIND, NSD and Knot. The client's
 * address is folded to its network (/24 and /56 by default); answers are
 * counted per query name (per wildcard owner, "*.<closest encloser>", for
 * answers synthesised from a wildcard), NXDOMAIN, NODATA and referrals per
 * zone, errors per zone or alone. A bucket holds rate x window responses and refills at
 * rate per second; a response that finds it empty is limited: dropped, or
 * every slip-th one sent as a minimal TC=1 answer so that a real client
 * retries over TCP, which a spoofed source cannot.
 *
 * A table belongs to one thread (each UDP worker has its own, and the
 * workers' sockets are steered so that one client network always reaches
 * the same worker): no lock, no allocation after rrl_table_new(). Its size
 * is fixed: RRL_ENTRY_BYTES per entry, in sets of four; a new bucket takes
 * the place of the set's longest-idle one. */
#ifndef GSLBD_DNS_RRL_H
#define GSLBD_DNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a response is, for its bucket. */
enum rrl_kind {
	RRL_ANSWER,   /* records in the answer section: per query name or wildcard */
	RRL_NXDOMAIN, /* name error: per zone */
	RRL_NODATA,   /* no records of the type: per zone */
	RRL_REFERRAL, /* delegation: per zone */
	RRL_ERROR,    /* REFUSED, FORMERR, BADCOOKIE, ...: per zone, or alone */
	RRL_KINDS
};

/* Limits; read for every response, so they may change between calls. */
struct rrl_params {
	unsigned rate;        /* responses per second per bucket, >= 1 */
	unsigned window_ms;   /* the bucket holds rate x window (the burst) */
	unsigned slip;        /* every slip-th limited response is sent TC=1 (1..255); 0: none */
	unsigned ipv4_prefix; /* client networks: IPv4 prefix length, 0..32 */
	unsigned ipv6_prefix; /* IPv6 prefix length, 0..128 */
};

enum rrl_verdict {
	RRL_PASS, /* send the response */
	RRL_DROP, /* send nothing */
	RRL_SLIP, /* send a minimal truncated response instead */
};

/* Bytes of one entry of a table. */
#define RRL_ENTRY_BYTES 16

struct rrl_table;

/* A table of at least entries buckets (rounded up to a power of two, at
 * least 4), keyed with a random seed. */
struct rrl_table *rrl_table_new(size_t entries);
void rrl_table_free(struct rrl_table *t);
/* Buckets in t. */
size_t rrl_table_entries(const struct rrl_table *t);

/* Account one response of kind to the client addr (4 or 16 bytes), about
 * name (canonical wire form, name_len bytes; may be NULL), at now_ms (a
 * monotonic clock in milliseconds). *evicted is set when the bucket took
 * the place of another client's (table pressure). */
enum rrl_verdict rrl_account(struct rrl_table *t, const struct rrl_params *p, uint64_t now_ms,
			     const uint8_t *addr, size_t addr_len, enum rrl_kind kind,
			     const uint8_t *name, size_t name_len, bool *evicted);

/* rrl_account() in steps, for a batch: the key of the bucket, a prefetch
 * of its set (a table far larger than the caches costs a memory load per
 * response otherwise), then the accounting. */
uint64_t rrl_key(const struct rrl_table *t, const struct rrl_params *p, const uint8_t *addr,
		 size_t addr_len, enum rrl_kind kind, const uint8_t *name, size_t name_len);
void rrl_prefetch(const struct rrl_table *t, uint64_t key);
enum rrl_verdict rrl_account_key(struct rrl_table *t, const struct rrl_params *p, uint64_t now_ms,
				 uint64_t key, bool *evicted);

#endif

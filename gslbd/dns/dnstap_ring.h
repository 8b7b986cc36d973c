/* dnstap rings: the DNS threads' side of dnstap.
 *
 * Each DNS thread owns one struct dnstap_ring and is its only producer:
 * dnstap_ring_observe() (a query_observer_fn, see query.h) applies the
 * config's dnstap filters to a finished message (sampled before, by the
 * query path: dnstap_ring_wants()) and copies what the record needs into
 * the next free slot (addresses, times, the bytes of the messages written,
 * the names of the load-balancing decision with their lengths): no
 * allocation, no lock, and no system call but one eventfd write when the
 * ring fills past its wake mark while the consumer sleeps
 * (dnstap_ring_set_wake()). When the ring is full the message is dropped
 * and counted. The one consumer is the dnstap writer thread
 * (gslbd/net/dnstap.c), which takes slots in order with
 * dnstap_ring_peek()/dnstap_ring_pop() and encodes them off the query path.
 *
 * Rings are made and freed on the main thread while no DNS thread uses
 * them; every live ring counts in dnstap_stats_get(), which any thread may
 * call. */
#ifndef GSLBD_DNS_DNSTAP_RING_H
#define GSLBD_DNS_DNSTAP_RING_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct geo_db;
struct query_event;
struct snapshot;
struct dnstap_ring;

#define DNSTAP_SLOT_DATA  4096 /* bytes of query and response one slot keeps */
#define DNSTAP_RING_SLOTS 1024 /* default slots of a DNS thread's ring (dnstap.ring_size) */
#define DNSTAP_NAME_MAX   64   /* a pool's name, NUL included (conf: 1..63 bytes) */
#define DNSTAP_DCS_MAX    256  /* datacenter names answered, comma-separated, NUL included */

/* Flags of a slot. */
#define DNSTAP_F_QUERY        0x001u /* write an AUTH_QUERY */
#define DNSTAP_F_RESPONSE     0x002u /* write an AUTH_RESPONSE */
#define DNSTAP_F_LB           0x004u /* a load-balancing decision answered (pool, reason, dcs) */
#define DNSTAP_F_FAILED_OPEN  0x008u /* every datacenter was down: answered as if up */
#define DNSTAP_F_EMPTY        0x010u /* no datacenter could answer: NOERROR, no records */
#define DNSTAP_F_PRIVATE      0x020u /* the client address is in a private block */
#define DNSTAP_F_LOCAL        0x040u /* local holds the address the query reached */
#define DNSTAP_F_QUERY_CUT    0x080u /* the query did not fit the slot: its bytes are left out */
#define DNSTAP_F_RESPONSE_CUT 0x100u /* the response did not fit: its bytes are left out */
#define DNSTAP_F_TCP          0x200u /* came over TCP (else UDP) */
#define DNSTAP_F_FALLBACK     0x400u /* DNSTAP_F_LB: a fallback pool answered, not the name's own */
#define DNSTAP_F_LOCATE       0x800u /* DNSTAP_F_LB: the decision did not locate the client
				      * (a compiled geo map answered): the writer may look
				      * it up in geo */

/* A socket address of either family. */
union dnstap_addr {
	struct sockaddr sa;       /* sa_family AF_UNSPEC when unknown */
	struct sockaddr_in sin;   /* IPv4 */
	struct sockaddr_in6 sin6; /* IPv6 */
};

/* One message exchange, as the writer needs it. */
struct dnstap_slot {
	unsigned flags;             /* DNSTAP_F_* */
	int rcode;                  /* response code sent, -1 when nothing was */
	uint16_t qtype;             /* question type, 0 when unparsed */
	uint16_t query_len;         /* bytes of the query at data (0: cut, or not kept: only
				     * responses are written and the response names the question) */
	uint16_t response_len;      /* bytes of the response at data + query_len (0: none or cut) */
	uint16_t dcs_len;           /* DNSTAP_F_LB: bytes of dcs */
	uint8_t pool_len;           /* DNSTAP_F_LB: bytes of pool */
	uint8_t asked_len;          /* DNSTAP_F_FALLBACK: bytes of asked */
	uint8_t reason_len;         /* DNSTAP_F_LB: bytes of reason */
	uint8_t ecs_family;         /* the query's Client Subnet: 0 none, 1 IPv4, 2 IPv6 */
	uint8_t ecs_source;         /* its source prefix length */
	uint8_t ecs_scope;          /* the scope prefix length answered */
	uint8_t ecs_addr[16];       /* its address, zero-padded */
	union dnstap_addr peer;     /* the client (resolver) */
	union dnstap_addr local;    /* the address the query reached (DNSTAP_F_LOCAL) */
	struct timespec received;   /* wall clock when the query was read */
	struct timespec responded;  /* wall clock when the response was recorded */
	uint64_t generation;        /* the generation of the snapshot that answered */
	const struct geo_db *geo;   /* DNSTAP_F_LOCATE: the GeoIP database of that snapshot; not
				     * a reference: only compared with databases the consumer
				     * holds before it is read */
	const char *reason;         /* DNSTAP_F_LB: why, a static string (lb_reason_name(),
				     * or the pool's policy, lb_policy_name()) */
	char country[3];            /* DNSTAP_F_LB: the client's country, "" when unknown */
	char continent[3];          /* DNSTAP_F_LB: its continent, "" when unknown */
	char pool[DNSTAP_NAME_MAX]; /* DNSTAP_F_LB: the pool that answered (pool_len bytes, NUL) */
	char asked[DNSTAP_NAME_MAX]; /* DNSTAP_F_FALLBACK: the name's own pool (asked_len, NUL) */
	char dcs[DNSTAP_DCS_MAX];   /* DNSTAP_F_LB: the datacenters answered, in order,
				     * comma-separated (cut at a whole name; dcs_len, NUL) */
	uint8_t data[DNSTAP_SLOT_DATA]; /* the query, then the response */
};

/* A ring of slots (power of two, >= 2). Aborts on out-of-memory. */
struct dnstap_ring *dnstap_ring_new(unsigned slots);
void dnstap_ring_free(struct dnstap_ring *r);

/* Wake the consumer through eventfd fd (adds 1) when a slot filled brings
 * the ring to mark slots or more while *asleep is true; the producer that
 * wakes it clears *asleep. The consumer sets *asleep before it sleeps and
 * looks at the rings once more after. Before the producer starts; fd -1
 * (the default): never. asleep is borrowed for the ring's life. */
void dnstap_ring_set_wake(struct dnstap_ring *r, int fd, _Atomic bool *asleep, unsigned mark);
/* Slots filled and not yet taken (consumer). */
unsigned dnstap_ring_fill(struct dnstap_ring *r);

/* query_observer_fn for a DNS thread: arg is its struct dnstap_ring. Reads
 * the dnstap settings of ev->snap's config; does nothing when dnstap is off. */
void dnstap_ring_observe(void *arg, const struct query_event *ev);
/* query_wants_fn: 0 when snap's config writes nothing (no sink, neither
 * queries nor responses), else its dnstap.sample: sampling is the query
 * path's counter, and an exchange it leaves out never reaches the ring
 * (it is counted as filtered with the next one that does). */
unsigned dnstap_ring_wants(void *arg, const struct snapshot *snap);

/* Consumer (one thread): the oldest slot not yet taken, or NULL when the
 * ring is empty. Valid until dnstap_ring_pop(), which gives it back. */
const struct dnstap_slot *dnstap_ring_peek(struct dnstap_ring *r);
void dnstap_ring_pop(struct dnstap_ring *r);

/* Process-wide dnstap counters, for /metrics and /v1/status. */
struct dnstap_stats {
	uint64_t written;          /* messages written to the sink */
	uint64_t dropped_full;     /* exchanges dropped: their ring was full */
	uint64_t dropped_filtered; /* exchanges left out by sampling or a filter */
	uint64_t write_errors;     /* failed opens and writes of the sink */
	bool connected;            /* the sink is open (connected, for sockets) */
};

/* Sum the live rings and the writer's counters into out. Any thread. */
void dnstap_stats_get(struct dnstap_stats *out);
/* The writer's side of the counters (its thread). */
void dnstap_stats_count_written(uint64_t n);
void dnstap_stats_count_write_error(void);
void dnstap_stats_set_connected(bool connected);

#endif

/* The answer path: one DNS query in, one response out.
 *
 * answer_query() parses the query (header, question, EDNS OPT with Client
 * Subnet), finds the data in the snapshot and writes the response with name
 * compression. It takes no lock and allocates nothing: every buffer is the
 * caller's, and struct answer_scratch is per-thread working memory made once
 * with answer_scratch_new(). Call it from a reader thread that is online (see
 * snapshot.h), or from a test with a snapshot it owns.
 *
 * Behaviour (RFC 1034, 1035, 2181, 2308, 4592, 6891, 7766, 7871, 8482):
 * AA on authoritative data; NXDOMAIN/NODATA with the SOA in authority and the
 * negative TTL; CNAME chains followed inside the zone (bounded); wildcards;
 * referrals with glue; A/AAAA of NS/MX/SRV targets in additional; the
 * question's case kept; REFUSED outside served zones; NOTIMP for opcodes
 * other than QUERY; FORMERR for malformed queries; nothing at all for
 * responses (QR=1) and packets too short for a header; ANY answered with one
 * RRset over UDP (RFC 8482) and in full over TCP; AXFR/IXFR only for allowed
 * clients over TCP; EDNS with BADVERS, the advertised size capped at the
 * configured maximum, ECS validated and echoed with the scope the answer
 * depended on (the load-balancing decision; 0 for static data); TC=1 when a
 * needed RRset does not fit. */
#ifndef GSLBD_DNS_ANSWER_H
#define GSLBD_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gslbd/dns/rrl.h"

struct snapshot;
struct zone;
struct answer_scratch;
struct lb_decision;
struct lbsig_table;

/* Largest DNS message (TCP frame payload). */
#define ANSWER_MAX_MSG 65535

enum answer_action {
	ANSWER_SEND, /* send the len bytes written to resp */
	ANSWER_DROP, /* send nothing (QR=1, no full header, ...) */
	ANSWER_XFR,  /* zone transfer allowed over TCP: stream it with xfr_begin()/xfr_next() */
};

/* The DNS cookie of a query (RFC 7873). */
enum answer_cookie {
	ANSWER_COOKIE_NONE,   /* none sent, or cookies are off */
	ANSWER_COOKIE_VALID,  /* a valid server cookie: the client's address is proven,
	                       * rate limits do not apply */
	ANSWER_COOKIE_ISSUED, /* a client cookie alone (or a valid one due for renewal
	                       * is VALID): a new server cookie was sent */
	ANSWER_COOKIE_BAD,    /* a server cookie not ours or out of date */
};

struct answer_result {
	enum answer_action action;  /* what the caller does next */
	size_t len;                 /* ANSWER_SEND: bytes at resp */
	int rcode;                  /* response code sent (extended, 0..4095), -1 when dropped */
	uint16_t qtype;             /* question type, 0 when unparsed */
	const struct zone *zone;    /* zone that answered, or NULL (borrowed from the snapshot) */
	bool truncated;             /* TC was set */
	const struct lb_decision *lb; /* the load-balancing decision answered with, or NULL
	                               * (borrowed from the scratch until the next query) */
	enum rrl_kind kind;         /* what the response is, for rate limiting */
	const uint8_t *rrl_name;    /* the name its bucket is kept by: the query name, the
	                             * wildcard's owner or the zone (canonical wire form;
	                             * borrowed until the next query), or NULL */
	size_t rrl_name_len;        /* bytes at rrl_name */
	enum answer_cookie cookie;  /* what the client's DNS cookie was */
	bool acl_denied;            /* a zone's access list refused or dropped the query */
	uint8_t ecs_scope;          /* SCOPE PREFIX-LENGTH of the Client Subnet option sent
	                             * (0: none, or the answer did not depend on it) */
};

/* Per-thread working memory for the answer path. */
struct answer_scratch *answer_scratch_new(void);
void answer_scratch_free(struct answer_scratch *s);
/* The time DNS cookies are stamped and checked with, in seconds since the
 * epoch (modulo 2^32): callers set it once per batch of queries. 0 (the
 * default) reads the clock for every query. */
void answer_scratch_set_time(struct answer_scratch *s, uint32_t now);

/* Answer the qlen-byte query q from client (tcp tells the transport) into
 * resp (resp_cap bytes; ANSWER_MAX_MSG is always enough). For UDP the
 * response is kept within 512 bytes, or the EDNS size the client advertised
 * capped at the configured udp_max_size. */
void answer_query(const struct snapshot *snap, const uint8_t *q, size_t qlen,
		  const struct sockaddr *client, bool tcp, uint8_t *resp, size_t resp_cap,
		  struct answer_scratch *scratch, struct answer_result *res);

/* The minimal truncated response to the query q (qlen bytes, one that
 * answer_query() answered): header, question, a bare OPT if the query had
 * EDNS; TC=1, no records. What rate limiting "slips" to a client so that a
 * real one retries over TCP; never longer than the query. Returns its
 * length, written to resp (cap >= 512 bytes). */
size_t answer_slip(struct answer_scratch *s, const uint8_t *q, size_t qlen, uint8_t *resp,
		   size_t cap);

/* Answer the qlen-byte query q with REFUSED (a listener's access list said
 * no): header, question, bare OPT; res as answer_query() sets it (the
 * action is ANSWER_DROP for what is not a query). */
void answer_refused(const uint8_t *q, size_t qlen, uint8_t *resp, size_t resp_cap,
		    struct answer_scratch *scratch, struct answer_result *res);

/* State of one outgoing zone transfer (AXFR, or IXFR answered as AXFR per
 * RFC 1995 section 4). Caller-owned storage; no allocation. */
struct xfr_state {
	const struct zone *zone;   /* zone being sent (the snapshot must be held, snapshot_ref()) */
	const struct lbsig_table *lbsig; /* that snapshot's signed load-balanced answers, or NULL */
	uint16_t id;               /* query ID to echo */
	uint16_t qtype;            /* AXFR or IXFR, echoed in the question */
	uint8_t qname[256];        /* question name as the client wrote it */
	uint8_t qname_len;         /* bytes at qname */
	size_t node;               /* next node to send */
	uint32_t rrset;            /* next RRset within the node */
	uint32_t rr;               /* next record within the RRset */
	int phase;                 /* 0: opening SOA, 1: records, 2: closing SOA, 3: done */
	bool first;                /* no message sent yet (the first carries the question) */
};

/* Start a transfer of zone for the query q (whose answer_query() said
 * ANSWER_XFR); lbsig is the snapshot's (snapshot.lbsig): what goes out for
 * its load-balanced names. */
void xfr_begin(struct xfr_state *x, const struct zone *zone, const struct lbsig_table *lbsig,
	       const uint8_t *q, size_t qlen);
/* Write the next message of the transfer into buf (cap bytes, up to
 * ANSWER_MAX_MSG); returns its length, or 0 when the transfer is complete. */
size_t xfr_next(struct xfr_state *x, uint8_t *buf, size_t cap, struct answer_scratch *scratch);

#endif

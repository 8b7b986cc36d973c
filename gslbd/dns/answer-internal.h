/* Inside the answer path: the per-thread scratch memory and the state of
 * one answer, shared by the files of the answer path (answer.c,
 * nsec_proofs.c, answer_lb.c, xfr_out.c), the query pipeline (query.c) and
 * the unit tests; not part of the contract the network layer uses. */
#ifndef GSLBD_DNS_ANSWER_INTERNAL_H
#define GSLBD_DNS_ANSWER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "gslbd/dns/answer.h"
#include "gslbd/dns/cookie.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone.h"

struct snapshot;
struct zone_node;

/* Most CNAME records, from the zone or synthesised from a DNAME, in one
 * answer (RFC 1034 allows chains; the bound stops the loops that the
 * visited list does not catch, those through DNAMEs). Knot DNS stops at
 * the same count. */
#define ANSWER_CNAME_MAX 5
/* Most names whose A/AAAA go into the additional section. */
#define ANSWER_ADD_MAX 32
/* Most NSEC records in one response (NXDOMAIN at a wildcard under a CNAME
 * chain needs three at most). */
#define ANSWER_NSEC_MAX 4

/* A name whose addresses belong in the additional section. */
struct answer_add {
	const uint8_t *name; /* uncompressed name inside zone rdata (borrowed from the snapshot) */
	bool required;       /* glue a referral cannot do without: set TC if it does not fit */
};

struct answer_scratch {
	struct wire_query q;         /* the query being answered (ECS included) */
	struct wire_writer w;        /* the response being written */
	uint8_t lname[DNAME_MAXLEN]; /* canonical copy of a CNAME target or additional name */
	const struct zone_node *visited[ANSWER_CNAME_MAX + 1]; /* nodes of the CNAME chain so far
							       * (their CNAME or DNAME written) */
	const uint8_t *visited_name[ANSWER_CNAME_MAX + 1];     /* the names they answered (a
							       * wildcard answers many); NULL:
							       * the node's DNAME was written */
	unsigned visited_count;                                /* entries at visited */
	uint8_t chain[ANSWER_CNAME_MAX + 1][DNAME_MAXLEN];     /* canonical names of the steps after
							       * the first: CNAME targets, those
							       * synthesised from DNAMEs too */
	struct answer_add add[ANSWER_ADD_MAX];                 /* additional-section candidates */
	unsigned add_count;                                    /* entries at add */
	const struct zone_node *add_done[ANSWER_ADD_MAX];      /* nodes already in additional */
	unsigned add_done_count;                               /* entries at add_done */
	uint64_t rnd;                       /* xorshift64 state of per-query random numbers */
	uint8_t dyn_cname[2][DNAME_MAXLEN]; /* CNAME targets of load-balanced answers (two:
					     * the previous one may own the next record) */
	unsigned lb_count;                  /* load-balancing decisions of the last query */
	struct lb_decision lb;              /* the last of them (valid when lb_count > 0) */
	struct geo_cache geo_cache;         /* decoded GeoIP records (zero-filled: empty) */
	uint32_t now;                       /* cookie clock (answer_scratch_set_time()), 0: read it */
	uint8_t sigbuf[8 * SIGN_RRSIG_MAX]; /* signatures of a load-balanced RRset signed while
	                                     * answering (lbsig_sign()) */
};

/* Bytes of the COOKIE option sent: code, length, client and server cookie. */
#define COOKIE_OPT_LEN (4u + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN)

/* State of one answer_query() call, shared by the parts of the answer
 * path: answer.c (lookup, CNAME chains, referrals, EDNS, cookies),
 * nsec_proofs.c (DNSSEC denial proofs), answer_lb.c (load-balanced names)
 * and xfr_out.c (zone transfers). */
struct answer_ctx {
	const struct snapshot *snap;     /* data being served */
	struct answer_scratch *s;        /* per-thread memory */
	struct wire_query *q;            /* the parsed query (in s) */
	struct wire_writer *w;           /* the response (in s) */
	const struct sockaddr *client;   /* who asked */
	bool tcp;                        /* transport */
	uint16_t flags;                  /* response flags word without rcode */
	int rcode;                       /* extended rcode */
	bool ecs_echo;                   /* echo the Client Subnet option */
	uint8_t ecs_scope;               /* ECS scope to echo: prefix the answer depended on */
	const struct zone *zone;         /* zone that answers, once known */
	const struct zone_node *wildcard; /* the wildcard the query name matched, or NULL */
	struct wire_mark after_question; /* where a truncated response is cut back to */
	bool drop;                       /* send nothing (a zone's access list said drop) */
	bool acl_denied;                 /* a zone's access list refused the client */
	bool cookie_echo;                /* send a COOKIE option: client cookie + server_cookie */
	bool dnssec;                     /* DO=1 and the zone is signed: RRSIG and NSEC go in */
	bool negative;                   /* the last step wrote a negative answer (SOA) */
	const struct zone_node *nsec_done[ANSWER_NSEC_MAX]; /* nodes whose NSEC is written */
	unsigned nsec_done_count;        /* entries at nsec_done */
	uint8_t server_cookie[COOKIE_SERVER_LEN]; /* the server cookie to send */
};

/* Next number of the scratch's xorshift64 generator. */
static inline uint64_t answer_next_rnd(struct answer_scratch *s)
{
	uint64_t x = s->rnd;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rnd = x;
	return x;
}

/* Cut the response back to header and question and set TC (RFC 2181 9). */
static inline void answer_truncate(struct answer_ctx *c)
{
	wire_mark_restore(c->w, &c->after_question);
	c->flags |= WIRE_TC;
}

static inline bool answer_same_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static inline uint32_t answer_rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* answer.c: the RRSIG records of node that cover type, written to sec with
 * owner and ttl (the TTL the covered RRset was written with, RFC 4035 2.2).
 * Returns false, with what it wrote rolled back, when they do not fit. */
bool answer_put_sigs(struct answer_ctx *c, enum wire_section sec, const uint8_t *owner,
		     const struct zone_node *node, uint16_t type, uint32_t ttl);
/* answer.c: authoritative negative answer, the SOA in authority (RFC 2308
 * 3). Returns false after truncating when it does not fit. */
bool answer_write_negative(struct answer_ctx *c);

/* nsec_proofs.c: the DNSSEC proofs of one step of the answer (RFC 4035
 * 3.1.3, RFC 5155 7.2) at the lookup lk of lname (len bytes, canonical):
 * NODATA at a name, NODATA at a wildcard, a wildcard answer. Call only
 * when c->dnssec. Returns false when the response was truncated. */
bool nsec_proof_step(struct answer_ctx *c, const struct zone_lookup *lk, const uint8_t *lname,
		     size_t len);
/* nsec_proofs.c: NXDOMAIN proof (RFC 4035 3.1.3.2, RFC 5155 7.2.2): no
 * lname, and no wildcard at its closest encloser ce. */
bool nsec_proof_nxdomain(struct answer_ctx *c, const uint8_t *lname, size_t len,
			 const struct zone_node *ce);
/* nsec_proofs.c: the proof that the delegation cut has no DS (RFC 4035
 * 3.1.4, RFC 5155 7.2.7 via 7.2.3/7.2.4). */
bool nsec_proof_no_ds(struct answer_ctx *c, const struct zone_node *cut);

/* What answer_lb_write() did. */
enum answer_lb_result {
	ANSWER_LB_DONE,  /* the answer is complete (or truncated, or an error was set) */
	ANSWER_LB_CNAME, /* a CNAME was written: follow its target (*target) */
};

/* answer_lb.c: answer a load-balanced name (a ZONE_NODE_DYNAMIC node) for
 * owner: A and AAAA from lb_decide(), ANY as A (RFC 8482), other types
 * NODATA unless the decision is a CNAME, which is answered like a static
 * CNAME. */
enum answer_lb_result answer_lb_write(struct answer_ctx *c, const struct zone_node *node,
				      const uint8_t *owner, const uint8_t **target);

/* xfr_out.c: AXFR/IXFR queries: the apex of a served zone, an allowed
 * client, TCP (res->action ANSWER_XFR then); otherwise the rcode to answer
 * with, or the SOA for IXFR over UDP. */
void xfr_out_answer(struct answer_ctx *c, struct answer_result *res);

#endif

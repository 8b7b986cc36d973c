/* Inside the answer path: the per-thread scratch memory. Shared by
 * answer.c, the policy code that reads the parsed query (Client Subnet) and
 * the unit tests; not part of the contract the network layer uses. */
#ifndef GSLBD_DNS_ANSWER_INTERNAL_H
#define GSLBD_DNS_ANSWER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gslbd/dns/lb.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/sign.h"

struct zone_node;

/* Most CNAME records followed for one query (RFC 1034 allows chains; the
 * bound stops loops that the visited list does not catch). */
#define ANSWER_CNAME_MAX 8
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
	const struct zone_node *visited[ANSWER_CNAME_MAX + 1]; /* nodes of the CNAME chain so far */
	unsigned visited_count;                                /* entries at visited */
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

#endif

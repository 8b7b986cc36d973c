/* Signatures of load-balanced answers (DNSSEC without signing per query).
 *
 * The answer of a load-balanced name is an RRset computed per query, but
 * the RRsets it can be are few: the VIPs of each set of datacenters a pool
 * may answer with (up to its answer count), the CNAME of each CNAME
 * datacenter. lbsig_build() signs each of them once, when a config and its
 * zones are loaded (at a reload or a re-signing, what did not change keeps
 * the signatures of the table before until they are due), and keeps the
 * signatures in a read-only table the snapshot shares: a DO=1 query
 * hashes the RRset it wrote, finds its RRSIGs and copies them. The
 * signatures do not depend on health, drains or latency, so a failover
 * publishes a new snapshot with the same table. A pool with more
 * combinations than LBSIG_PRESIGN_MAX per name and type keeps the smallest
 * sets; an RRset not in the table is signed when it is answered
 * (lbsig_sign(), counted in lbsig_online_signs).
 *
 * The table also holds, for each dynamic name of a signed zone, an NSEC
 * (NSEC3) record like the zone's but listing no address type: the proof of a
 * NODATA answer for A or AAAA (every datacenter down with all_down: empty,
 * or none of the chosen ones has the family).
 *
 * And what a zone transfer carries for each dynamic name of a signed zone,
 * so that a secondary that makes no decisions serves it with answers that
 * validate: a fixed answer (the addresses of the name's transfer_answer
 * datacenters, by default every one of its pool, or when none has any the
 * CNAME of the first CNAME one) signed with the zone's keys, and an NSEC
 * (NSEC3) record listing the types of that answer in place of the zone's,
 * signed too. Health does not change it. */
#ifndef GSLBD_DNS_LBSIG_H
#define GSLBD_DNS_LBSIG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct config;
struct zone_set;
struct zone_rrset;
struct zone_node;
struct lbsig_table;

/* Most RRsets signed in advance per load-balanced name and type. */
#define LBSIG_PRESIGN_MAX 4096
/* Most records of one load-balanced RRset (16 datacenters x their VIPs). */
#define LBSIG_RR_MAX 256

/* Build the table for cfg and its zones (NULL when no load-balanced name is
 * in a zone signed in memory). prev is the table being served (NULL: none;
 * only read, its zones still alive): an RRset (answer, NSEC, NSEC3) that
 * prev holds for the same owner, identical, keeps prev's RRSIGs when each
 * key that signs it now made one there for the same zone that expires
 * later than the zone's refresh from its signing time and not before the
 * zone's earliest signature; anything else is signed. So building again
 * with nothing changed gives the same records (ECDSA signatures differ at
 * each signing), and a transfer sends the same zone under the same serial.
 * Main thread. */
int lbsig_build(const struct config *cfg, const struct zone_set *zones,
		const struct lbsig_table *prev, struct lbsig_table **out, struct gslb_err *err);
void lbsig_free(struct lbsig_table *t);

/* The RRSIG records (as a zone RRset of type RRSIG) of the RRset of
 * load-balanced name lbname, type and ttl whose records are rdata[i]
 * (len[i] bytes, n of them, any order, no duplicates); NULL when it was not
 * signed in advance. No lock, no allocation. */
const struct zone_rrset *lbsig_find(const struct lbsig_table *t, uint32_t lbname, uint16_t type,
				    uint32_t ttl, const uint8_t *const *rdata, const uint16_t *len,
				    unsigned n);

/* Sign such an RRset now (a combination the table does not hold) into out
 * (cap bytes; packed RRSIG records as in a zone RRset), for owner (the
 * name's canonical owner, "*" kept for a wildcard). Returns the records
 * written, 0 when the zone is not signed in memory, or -1. Allocates. */
int lbsig_sign(const struct lbsig_table *t, uint32_t lbname, const uint8_t *owner, uint16_t type,
	       uint32_t ttl, const uint8_t *const *rdata, const uint16_t *len, unsigned n,
	       uint8_t *out, size_t cap, struct zone_rrset *rrset);

/* The NSEC (or, in a zone denying with NSEC3, NSEC3) record of dynamic
 * name lbname that lists no address type, its owner and its signatures;
 * NULL when there is none. */
const struct zone_rrset *lbsig_nodata_nsec(const struct lbsig_table *t, uint32_t lbname,
					   const struct zone_rrset **sigs, const uint8_t **owner);

/* The RRsets a transfer of its zone carries at node (a node of the zones
 * t was built for) in place of the node's own: at a dynamic name its
 * transfer answer and their RRSIGs (and, with NSEC, its NSEC and RRSIGs);
 * at the NSEC3 record of one that record and its RRSIGs. Returns their
 * count with *out borrowed from t, or -1: the node's own go out. No lock,
 * no allocation. */
int lbsig_xfr_rrsets(const struct lbsig_table *t, const struct zone_node *node,
		     const struct zone_rrset **out);

/* Signatures made while answering (lbsig_sign()), since the start. */
extern _Atomic unsigned long lbsig_online_signs;

#endif

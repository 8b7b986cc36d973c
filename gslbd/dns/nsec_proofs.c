/* DNSSEC denial of existence for the answer path: the NSEC (RFC 4035
 * 3.1.3) and NSEC3 (RFC 5155 7.2) records and their signatures that prove
 * NXDOMAIN, NODATA, wildcard answers and unsigned delegations, and the
 * records signed in advance that stand in for a load-balanced name's NSEC
 * when it has nothing of the type to answer now. Same threads and rules as
 * answer.c: no allocation, per-thread scratch. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone.h"

/* The denial record (NSEC or NSEC3: type) of node and its signatures in
 * authority, once per response. Truncates when they do not fit (RFC 4035
 * 3.1.3). */
static bool put_denial(struct answer_ctx *c, const struct zone_node *node, uint16_t type)
{
	const struct zone_rrset *nsec = node != NULL ? zone_node_rrset(node, type) : NULL;

	if (nsec == NULL)
		return true;
	for (unsigned i = 0; i < c->nsec_done_count; i++) {
		if (c->nsec_done[i] == node)
			return true;
	}
	if (c->nsec_done_count < ANSWER_NSEC_MAX)
		c->nsec_done[c->nsec_done_count++] = node;
	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, node->name, nsec, nsec->ttl) ||
	    !answer_put_sigs(c, WIRE_AUTHORITY, node->name, node, type, nsec->ttl)) {
		answer_truncate(c);
		return false;
	}
	return true;
}

static bool put_nsec(struct answer_ctx *c, const struct zone_node *node)
{
	return put_denial(c, node, WIRE_TYPE_NSEC);
}

/* NSEC3 (RFC 5155 7.2): the record that matches or covers name; *matched
 * tells which (may be NULL). */
static bool nsec3_put(struct answer_ctx *c, const uint8_t *name, bool *matched)
{
	bool m;
	const struct zone_node *n = zone_nsec3_find(c->zone, name, &m);

	if (matched != NULL)
		*matched = m;
	return put_denial(c, n, WIRE_TYPE_NSEC3);
}

/* The name one label longer than the ancestor of lname with ce_labels
 * labels (RFC 5155 1.3, next closer name): a suffix of lname. */
static const uint8_t *next_closer(const uint8_t *lname, unsigned ce_labels)
{
	unsigned n = dname_label_count(lname);

	while (n > ce_labels + 1) {
		lname += 1 + lname[0];
		n--;
	}
	return lname;
}

/* Closest (provable) encloser proof of lname (RFC 5155 7.2.1): the NSEC3
 * matching the closest ancestor that has one, starting at ce, and the one
 * covering the next closer name. Sets *encloser to the ancestor's name. */
static bool nsec3_encloser(struct answer_ctx *c, const uint8_t *lname, const struct zone_node *ce,
			   const uint8_t **encloser)
{
	const uint8_t *name = ce != NULL ? ce->name : zone_origin(c->zone);
	bool m = false;

	/* An opt-out delegation or a name with no NSEC3 of its own: go up. */
	for (;;) {
		const struct zone_node *n = zone_nsec3_find(c->zone, name, &m);

		if (m || n == NULL || name[0] == 0 || dname_equal(name, zone_origin(c->zone)))
			break;
		name += 1 + name[0];
	}
	*encloser = name;
	if (!nsec3_put(c, name, NULL))
		return false;
	if (dname_label_count(lname) <= dname_label_count(name))
		return true; /* lname is the encloser: nothing closer to cover */
	return nsec3_put(c, next_closer(lname, dname_label_count(name)), NULL);
}

/* The NSEC3 proof that name has no data of the type asked (or no DS, at a
 * delegation): its matching record, or the closest provable encloser proof
 * (RFC 5155 7.2.3, 7.2.4). */
static bool nsec3_nodata(struct answer_ctx *c, const uint8_t *name, const struct zone_node *node)
{
	bool m;
	const uint8_t *enc;

	if (!nsec3_put(c, name, &m))
		return false;
	if (m)
		return true;
	return nsec3_encloser(c, name, node != NULL ? node->parent : NULL, &enc);
}

/* Proof that lname (canonical, in the zone) does not exist: the NSEC
 * that covers it. */
static bool deny_name(struct answer_ctx *c, const uint8_t *lname, size_t len)
{
	return put_nsec(c, zone_nsec_covering(c->zone, lname, len));
}

bool nsec_proof_nxdomain(struct answer_ctx *c, const uint8_t *lname, size_t len,
			 const struct zone_node *ce)
{
	uint8_t wild[DNAME_MAXLEN];

	if (zone_nsec3(c->zone) != NULL) {
		/* RFC 5155 7.2.2: closest encloser proof, no wildcard at it. */
		const uint8_t *enc;
		size_t elen;

		if (!nsec3_encloser(c, lname, ce, &enc))
			return false;
		elen = dname_len(enc);
		if (elen + 2 > DNAME_MAXLEN)
			return true;
		wild[0] = 1;
		wild[1] = '*';
		memcpy(wild + 2, enc, elen);
		return nsec3_put(c, wild, NULL);
	}

	if (!deny_name(c, lname, len))
		return false;
	if (ce == NULL || (size_t)ce->name_len + 2 > DNAME_MAXLEN)
		return true;
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, ce->name, ce->name_len);
	return deny_name(c, wild, (size_t)ce->name_len + 2);
}

/* The type a NODATA answer denies (ANY is answered as A). */
static uint16_t lb_denied_type(const struct answer_ctx *c)
{
	return c->q->qtype == WIRE_TYPE_ANY ? WIRE_TYPE_A : c->q->qtype;
}

/* A load-balanced name with nothing of the type to answer now, whose
 * NSEC/NSEC3 lists it (listed): write the record of the name that lists no
 * address type instead, signed in advance. Returns whether it did (or
 * truncated trying). */
static bool lb_nodata(struct answer_ctx *c, const struct zone_node *node, bool listed)
{
	const struct zone_rrset *sigs, *alt;
	const uint8_t *owner;

	if ((node->flags & ZONE_NODE_DYNAMIC) == 0 || !listed ||
	    (alt = lbsig_nodata_nsec(c->snap->lbsig, node->dyn_id, &sigs, &owner)) == NULL)
		return false;
	if (c->nsec_done_count < ANSWER_NSEC_MAX)
		c->nsec_done[c->nsec_done_count++] = node;
	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, owner, alt, alt->ttl) ||
	    !wire_put_rrset(c->w, WIRE_AUTHORITY, owner, sigs, alt->ttl))
		answer_truncate(c);
	return true;
}

/* nsec_proof_step() in a zone denying with NSEC3 (RFC 5155 7.2): NODATA (the
 * name's NSEC3), wildcard NODATA (closest encloser proof and the
 * wildcard's NSEC3), wildcard answer (the NSEC3 covering the next closer
 * name). */
static bool prove_step_nsec3(struct answer_ctx *c, const struct zone_lookup *lk,
			     const uint8_t *lname)
{
	const struct zone_node *ce = lk->closest_encloser;

	if (lk->match == ZONE_MATCH_WILDCARD) {
		if (!c->negative)
			return nsec3_put(c, next_closer(lname, ce->label_count), NULL);
		{
			const uint8_t *enc;

			return nsec3_encloser(c, lname, ce, &enc) &&
			       nsec3_put(c, lk->node->name, NULL);
		}
	}
	if (c->negative) {
		bool m;
		const struct zone_node *n3 = zone_nsec3_find(c->zone, lk->node->name, &m);
		const struct zone_rrset *rs = m ? zone_node_rrset(n3, WIRE_TYPE_NSEC3) : NULL;

		if (rs != NULL && rs->rr_count == 1 && rs->rdata_len > 8) {
			/* The bitmap follows alg, flags, iterations, salt and next hash. */
			size_t o = 2u + 5u + rs->rdata[2 + 4];

			if (o < rs->rdata_len)
				o += 1u + rs->rdata[o];
			if (o <= rs->rdata_len &&
			    lb_nodata(c, lk->node, sign_bitmap_has_type(rs->rdata + o,
									 rs->rdata_len - o,
									 lb_denied_type(c))))
				return (c->flags & WIRE_TC) == 0;
		}
		return nsec3_nodata(c, lk->node->name, lk->node);
	}
	return true;
}

/* With NSEC: NODATA at a name (its NSEC, or the NSEC covering an empty
 * non-terminal), NODATA at a wildcard (the wildcard's NSEC and the proof
 * that lname itself does not exist), a wildcard answer (that proof). */
bool nsec_proof_step(struct answer_ctx *c, const struct zone_lookup *lk, const uint8_t *lname,
		     size_t len)
{
	if (zone_nsec3(c->zone) != NULL)
		return prove_step_nsec3(c, lk, lname);
	if (c->negative) {
		const struct zone_rrset *nsec = zone_node_rrset(lk->node, WIRE_TYPE_NSEC);

		if (nsec != NULL && nsec->rr_count == 1 &&
		    lb_nodata(c, lk->node, sign_nsec_has_type(nsec->rdata + 2, nsec->rdata_len - 2,
							      lb_denied_type(c))))
			return (c->flags & WIRE_TC) == 0 &&
			       (lk->match != ZONE_MATCH_WILDCARD || deny_name(c, lname, len));
		if (lk->match == ZONE_MATCH_WILDCARD)
			return put_nsec(c, lk->node) && deny_name(c, lname, len);
		if (zone_node_rrset(lk->node, WIRE_TYPE_NSEC) != NULL)
			return put_nsec(c, lk->node);
		return deny_name(c, lname, len);
	}
	if (lk->match == ZONE_MATCH_WILDCARD)
		return deny_name(c, lname, len);
	return true;
}

bool nsec_proof_no_ds(struct answer_ctx *c, const struct zone_node *cut)
{
	return zone_nsec3(c->zone) != NULL ? nsec3_nodata(c, cut->name, cut) : put_nsec(c, cut);
}


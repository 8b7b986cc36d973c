#include <config.h>

#include "gslbd/dns/answer.h"

#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/netaddr.h"
#include "common/hash.h"
#include "gslbd/dns/cookie.h"
#include "common/xalloc.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone.h"

/* State of one answer_query() call. */
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

struct answer_scratch *answer_scratch_new(void)
{
	struct answer_scratch *s = xcalloc(1, sizeof(struct answer_scratch));
	struct timespec ts;

	/* Weighted-random pools only need numbers that differ between
	 * queries and threads, not secrecy. */
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rnd = hash_mix64((uint64_t)(uintptr_t)s ^
			    hash_mix64((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec));
	if (s->rnd == 0)
		s->rnd = UINT64_C(0x9e3779b97f4a7c15);
	return s;
}

/* Next number of the scratch's xorshift64 generator. */
static uint64_t next_rnd(struct answer_scratch *s)
{
	uint64_t x = s->rnd;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rnd = x;
	return x;
}

void answer_scratch_free(struct answer_scratch *s)
{
	free(s);
}

void answer_scratch_set_time(struct answer_scratch *s, uint32_t now)
{
	s->now = now;
}

/* Cut the response back to header and question and set TC (RFC 2181 9). */
static void truncate_response(struct answer_ctx *c)
{
	wire_mark_restore(c->w, &c->after_question);
	c->flags |= WIRE_TC;
}

static bool same_name(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Copy the uncompressed name to the scratch buffer in canonical form. */
static size_t canon_copy(struct answer_scratch *s, const uint8_t *name)
{
	size_t len = dname_len(name);

	memcpy(s->lname, name, len);
	dname_lower(s->lname);
	return len;
}

static inline uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The RRSIG records of node that cover type, written to sec with owner and
 * ttl (the TTL the covered RRset was written with, RFC 4035 2.2). Returns
 * false, with what it wrote rolled back, when they do not fit. */
static bool put_sigs(struct answer_ctx *c, enum wire_section sec, const uint8_t *owner,
		     const struct zone_node *node, uint16_t type, uint32_t ttl)
{
	const struct zone_rrset *sigs = zone_node_rrset(node, WIRE_TYPE_RRSIG);
	struct wire_mark m;
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t len;

	if (sigs == NULL)
		return true;
	wire_mark_save(c->w, &m);
	while ((rd = zone_rrset_next(sigs, &pos, &len)) != NULL) {
		if (len < 18 || (uint16_t)(rd[0] << 8 | rd[1]) != type)
			continue;
		if (!wire_put_rr(c->w, sec, owner, WIRE_TYPE_RRSIG, WIRE_CLASS_IN, ttl, rd, len)) {
			wire_mark_restore(c->w, &m);
			return false;
		}
	}
	return true;
}

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
	    !put_sigs(c, WIRE_AUTHORITY, node->name, node, type, nsec->ttl)) {
		truncate_response(c);
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

/* NXDOMAIN proof (RFC 4035 3.1.3.2): no lname, and no wildcard at its
 * closest encloser ce. */
static bool deny_nxdomain(struct answer_ctx *c, const uint8_t *lname, size_t len,
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
		truncate_response(c);
	return true;
}

/* prove_step() in a zone denying with NSEC3 (RFC 5155 7.2): NODATA (the
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

/* The DNSSEC proofs of one step of the answer (RFC 4035 3.1.3) at the
 * lookup lk of lname: NODATA at a name (its NSEC, or the NSEC covering an
 * empty non-terminal), NODATA at a wildcard (the wildcard's NSEC and the
 * proof that lname itself does not exist), a wildcard answer (that proof). */
static bool prove_step(struct answer_ctx *c, const struct zone_lookup *lk, const uint8_t *lname,
		       size_t len)
{
	if (!c->dnssec)
		return true;
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

/* Remember the targets of NS, MX and SRV records for the additional section. */
static void collect_additional(struct answer_scratch *s, const struct zone_rrset *rrset,
			       bool required)
{
	size_t skip;
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t len;

	switch (rrset->type) {
	case WIRE_TYPE_NS:
		skip = 0;
		break;
	case WIRE_TYPE_MX:
		skip = 2;
		break;
	case WIRE_TYPE_SRV:
		skip = 6;
		break;
	default:
		return;
	}
	while ((rd = zone_rrset_next(rrset, &pos, &len)) != NULL && s->add_count < ANSWER_ADD_MAX) {
		if (len <= skip)
			continue;
		s->add[s->add_count].name = rd + skip;
		s->add[s->add_count].required = required;
		s->add_count++;
	}
}

/* A and AAAA of the collected names that this zone holds (RFC 1034 4.3.2
 * step 6). Names at or below a zone cut only as glue of a referral. */
static void write_additional(struct answer_ctx *c)
{
	static const uint16_t types[2] = {WIRE_TYPE_A, WIRE_TYPE_AAAA};
	struct answer_scratch *s = c->s;
	const uint8_t *origin = zone_origin(c->zone);

	s->add_done_count = 0;
	for (unsigned i = 0; i < s->add_count; i++) {
		const struct zone_node *node;
		size_t len = canon_copy(s, s->add[i].name);
		bool dup = false;

		if (!dname_is_subdomain(s->lname, origin))
			continue;
		node = zone_find_node(c->zone, s->lname, len);
		if (node == NULL || (node->cut != NULL && !s->add[i].required))
			continue;
		for (unsigned j = 0; j < s->add_done_count && !dup; j++)
			dup = s->add_done[j] == node;
		if (dup)
			continue;
		s->add_done[s->add_done_count++] = node;
		for (unsigned t = 0; t < 2; t++) {
			const struct zone_rrset *rr = zone_node_rrset(node, types[t]);

			struct wire_mark m;

			wire_mark_save(c->w, &m);
			if (rr != NULL &&
			    !wire_put_rrset(c->w, WIRE_ADDITIONAL, s->add[i].name, rr, rr->ttl) &&
			    s->add[i].required)
				c->flags |= WIRE_TC; /* RFC 9471: in-domain glue is not optional */
			/* Signed data with its signatures, or not at all (glue has none). */
			if (rr != NULL && c->dnssec && node->cut == NULL &&
			    !put_sigs(c, WIRE_ADDITIONAL, s->add[i].name, node, rr->type, rr->ttl))
				wire_mark_restore(c->w, &m);
		}
	}
}

/* Authoritative negative answer: the SOA in authority (RFC 2308 3). */
static bool write_negative(struct answer_ctx *c)
{
	const struct zone_rrset *soa = zone_soa(c->zone);

	c->negative = true;
	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, zone_origin(c->zone), soa,
			    zone_negative_ttl(c->zone)) ||
	    (c->dnssec && !put_sigs(c, WIRE_AUTHORITY, zone_origin(c->zone), zone_apex(c->zone),
				    WIRE_TYPE_SOA, zone_negative_ttl(c->zone)))) {
		truncate_response(c);
		return false;
	}
	return true;
}

/* Referral to the cut: its NS in authority, glue in additional. */
static bool write_referral(struct answer_ctx *c, const struct zone_node *cut)
{
	const struct zone_rrset *ns = zone_node_rrset(cut, WIRE_TYPE_NS);
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t len;

	if (ns == NULL)
		return true;
	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, cut->name, ns, ns->ttl)) {
		truncate_response(c);
		return false;
	}
	if (c->dnssec) {
		/* The DS and its signatures, or the proof that there is none
		 * (RFC 4035 3.1.4). */
		const struct zone_rrset *ds = zone_node_rrset(cut, WIRE_TYPE_DS);

		if (ds == NULL) {
			if (zone_nsec3(c->zone) != NULL ? !nsec3_nodata(c, cut->name, cut)
							: !put_nsec(c, cut))
				return false;
		} else if (!wire_put_rrset(c->w, WIRE_AUTHORITY, cut->name, ds, ds->ttl) ||
			   !put_sigs(c, WIRE_AUTHORITY, cut->name, cut, WIRE_TYPE_DS, ds->ttl)) {
			truncate_response(c);
			return false;
		}
	}
	while ((rd = zone_rrset_next(ns, &pos, &len)) != NULL && c->s->add_count < ANSWER_ADD_MAX) {
		canon_copy(c->s, rd);
		c->s->add[c->s->add_count].name = rd;
		c->s->add[c->s->add_count].required = dname_is_subdomain(c->s->lname, cut->name);
		c->s->add_count++;
	}
	return true;
}

static bool write_answer_rrset(struct answer_ctx *c, const uint8_t *owner,
			       const struct zone_node *node, const struct zone_rrset *rrset)
{
	if (rrset->type == WIRE_TYPE_RRSIG) {
		/* Asked for by type: each RRSIG keeps the TTL of the RRset it
		 * covers, its original TTL (RFC 4034 3), as in a transfer. */
		const uint8_t *rd;
		uint32_t pos = 0;
		uint16_t len;

		while ((rd = zone_rrset_next(rrset, &pos, &len)) != NULL) {
			if (!wire_put_rr(c->w, WIRE_ANSWER, owner, WIRE_TYPE_RRSIG, WIRE_CLASS_IN,
					 len >= 8 ? rd_be32(rd + 4) : rrset->ttl, rd, len)) {
				truncate_response(c);
				return false;
			}
		}
		return true;
	}
	if (!wire_put_rrset(c->w, WIRE_ANSWER, owner, rrset, rrset->ttl) ||
	    (c->dnssec && !put_sigs(c, WIRE_ANSWER, owner, node, rrset->type, rrset->ttl))) {
		truncate_response(c);
		return false;
	}
	collect_additional(c->s, rrset, false);
	return true;
}

/* The data of qtype at node (exact or wildcard match), owned by owner. */
static bool write_node(struct answer_ctx *c, const struct zone_node *node, const uint8_t *owner)
{
	const struct zone_rrset *rrset;

	if (c->q->qtype == WIRE_TYPE_ANY) {
		/* RFC 8482: over UDP the first RRset of data, over TCP every
		 * RRset. RRSIGs go with the RRsets they sign; the NSEC (which
		 * sorts before CAA, TLSA, HTTPS...) only over TCP with DO=1. */
		bool wrote = false;

		for (unsigned i = 0; i < node->rrset_count; i++) {
			uint16_t type = node->rrsets[i].type;

			if (type == WIRE_TYPE_RRSIG ||
			    (type == WIRE_TYPE_NSEC && (!c->dnssec || !c->tcp)))
				continue;
			if (!write_answer_rrset(c, owner, node, &node->rrsets[i]))
				return false;
			wrote = true;
			if (!c->tcp)
				break;
		}
		return wrote || write_negative(c);
	}
	rrset = zone_node_rrset(node, c->q->qtype);
	if (rrset == NULL)
		return write_negative(c);
	return write_answer_rrset(c, owner, node, rrset);
}

/* Does the pool, or a pool it falls back to, hold a CNAME datacenter? Then
 * even the answer to a type we do not compute depends on the decision. */
static bool pool_may_cname(const struct config *cfg, size_t pool)
{
	for (unsigned hop = 0; hop <= LB_MAX_FALLBACKS && pool < cfg->pool_count; hop++) {
		const struct config_pool *p = &cfg->pools[pool];

		for (size_t i = 0; i < p->dc_count; i++) {
			if (p->dcs[i] < cfg->datacenter_count &&
			    cfg->datacenters[p->dcs[i]].cname != NULL)
				return true;
		}
		if (p->all_down != POOL_ALL_DOWN_FALLBACK)
			break;
		pool = p->fallback;
	}
	return false;
}

/* Decide for load-balanced name lbname and qtype (A or AAAA) into s->lb,
 * for the ECS address of the query or else the resolver's address. */
static const struct lb_decision *decide(struct answer_ctx *c, size_t lbname, uint16_t qtype)
{
	const struct wire_query *q = c->q;
	struct answer_scratch *s = c->s;
	struct lb_client client;

	if (q->has_ecs && q->ecs_source > 0) {
		uint8_t addr[16] = {0};

		memcpy(addr, q->ecs_addr, q->ecs_addr_len);
		lb_client_init(&client, q->ecs_family, q->ecs_source, addr, NULL);
	} else if (c->client != NULL) {
		/* RFC 7871: a source prefix of 0 asks that the client subnet not be
		 * used; the resolver's address is all we have. */
		lb_client_init(&client, 0, 0, NULL, c->client);
	} else {
		struct sockaddr_in none;

		memset(&none, 0, sizeof(none));
		none.sin_family = AF_INET;
		lb_client_init(&client, 0, 0, NULL, (const struct sockaddr *)&none);
	}
	lb_decide(c->snap->config, c->snap->geo, &s->geo_cache, c->snap->maps, c->snap->dc_state, c->snap->latency,
		  lbname, qtype, &client, next_rnd(s), &s->lb);
	s->lb_count++;
	return &s->lb;
}

/* Use the scope of decision d for the echoed Client Subnet option: the
 * largest over the decisions of one response (a CNAME chain may cross
 * several load-balanced names). A /0 source keeps scope 0. */
static void use_scope(struct answer_ctx *c, const struct lb_decision *d)
{
	uint8_t scope = !c->q->has_ecs || c->q->ecs_source == 0 ? 0 : d->scope;

	if (scope > c->q->ecs_source)
		scope = c->q->ecs_source;
	if (scope > c->ecs_scope)
		c->ecs_scope = scope;
}

/* Has the VIP at dcs[di].vips[vi] of len bytes been written already (an
 * address shared by two chosen datacenters)? RFC 2181 5: no duplicates. */
static bool vip_seen(const struct config *cfg, const struct lb_decision *d, unsigned di, size_t vi,
		     bool v6)
{
	const struct config_datacenter *dc = &cfg->datacenters[d->chosen[di]];
	const uint8_t *vip = v6 ? dc->ipv6[vi] : dc->ipv4[vi];
	size_t len = v6 ? 16 : 4;

	for (unsigned i = 0; i <= di; i++) {
		const struct config_datacenter *o = &cfg->datacenters[d->chosen[i]];
		size_t n = i == di ? vi : (v6 ? o->ipv6_count : o->ipv4_count);

		for (size_t j = 0; j < n; j++) {
			if (memcmp(v6 ? o->ipv6[j] : o->ipv4[j], vip, len) == 0)
				return true;
		}
	}
	return false;
}

/* The signatures of the load-balanced RRset of name lbname just written
 * (its n records rd[i], len[i] bytes): from the snapshot's table, or, for
 * a combination it does not hold, signed now. */
static bool put_lb_sigs(struct answer_ctx *c, const uint8_t *owner, uint32_t lbname,
			uint16_t type, uint32_t ttl, const uint8_t *const *rd, const uint16_t *len,
			unsigned n)
{
	const struct zone_rrset *sigs =
	    lbsig_find(c->snap->lbsig, lbname, type, ttl, rd, len, n);
	struct zone_rrset online;

	if (sigs == NULL) {
		const struct config *cfg = c->snap->config;
		uint8_t lowner[DNAME_MAXLEN];

		if (lbname >= cfg->lbname_count ||
		    dname_from_str(cfg->lbnames[lbname].name, lowner) < 0 ||
		    lbsig_sign(c->snap->lbsig, lbname, lowner, type, ttl, rd, len, n, c->s->sigbuf,
			       sizeof(c->s->sigbuf), &online) <= 0)
			return true; /* not signed in memory: nothing to add */
		sigs = &online;
	}
	if (!wire_put_rrset(c->w, WIRE_ANSWER, owner, sigs, ttl)) {
		truncate_response(c);
		return false;
	}
	return true;
}

/* The VIPs of the chosen datacenters as one RRset of qtype (A or AAAA),
 * all or nothing, with its signatures for DO=1. Returns the records written
 * (0: none of the family), or -1 after truncating. */
static int write_vips(struct answer_ctx *c, const uint8_t *owner, const struct lb_decision *d,
		      uint16_t qtype, uint32_t lbname)
{
	const struct config *cfg = c->snap->config;
	bool v6 = qtype == WIRE_TYPE_AAAA;
	const uint8_t *rd[LBSIG_RR_MAX];
	uint16_t rdlen[LBSIG_RR_MAX];
	struct wire_mark m;
	int written = 0;

	wire_mark_save(c->w, &m);
	for (unsigned i = 0; i < d->chosen_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[d->chosen[i]];
		size_t n = v6 ? dc->ipv6_count : dc->ipv4_count;

		for (size_t j = 0; j < n; j++) {
			if (vip_seen(cfg, d, i, j, v6))
				continue;
			if (!wire_put_rr(c->w, WIRE_ANSWER, owner, qtype, WIRE_CLASS_IN, d->ttl,
					 v6 ? dc->ipv6[j] : dc->ipv4[j], v6 ? 16 : 4)) {
				wire_mark_restore(c->w, &m);
				truncate_response(c);
				return -1;
			}
			if (written < LBSIG_RR_MAX) {
				rd[written] = v6 ? dc->ipv6[j] : dc->ipv4[j];
				rdlen[written] = v6 ? 16 : 4;
			}
			written++;
		}
	}
	if (c->dnssec && written > 0 && written <= LBSIG_RR_MAX &&
	    !put_lb_sigs(c, owner, lbname, qtype, d->ttl, rd, rdlen, (unsigned)written))
		return -1;
	return written;
}

/* What answer_dynamic() did. */
enum dyn_result {
	DYN_DONE,  /* the answer is complete (or truncated, or an error was set) */
	DYN_CNAME, /* a CNAME was written: follow its target (*target) */
};

/* Answer a load-balanced name (a ZONE_NODE_DYNAMIC node) for owner: A and
 * AAAA from lb_decide(), ANY as A (RFC 8482), other types NODATA unless the
 * decision is a CNAME, which is answered like a static CNAME. */
static enum dyn_result answer_dynamic(struct answer_ctx *c, const struct zone_node *node,
				      const uint8_t *owner, const uint8_t **target)
{
	const struct config *cfg = c->snap->config;
	struct answer_scratch *s = c->s;
	uint16_t qtype = c->q->qtype;
	const struct config_datacenter *dc;
	const struct lb_decision *d;
	uint8_t *cname;
	int n;

	if (node->dyn_id >= cfg->lbname_count) {
		c->rcode = WIRE_RCODE_SERVFAIL; /* zones and config disagree */
		c->flags &= (uint16_t)~WIRE_AA;
		return DYN_DONE;
	}
	if (qtype == WIRE_TYPE_ANY)
		qtype = WIRE_TYPE_A;
	if (qtype != WIRE_TYPE_A && qtype != WIRE_TYPE_AAAA) {
		/* Only a CNAME datacenter answers other types. */
		if (!pool_may_cname(cfg, cfg->lbnames[node->dyn_id].pool)) {
			write_negative(c);
			return DYN_DONE;
		}
		d = decide(c, node->dyn_id, WIRE_TYPE_A);
		use_scope(c, d);
		if (!d->cname || d->empty || d->chosen_count == 0) {
			write_negative(c);
			return DYN_DONE;
		}
	} else {
		d = decide(c, node->dyn_id, qtype);
		use_scope(c, d);
		if (d->empty || d->chosen_count == 0) {
			write_negative(c);
			return DYN_DONE;
		}
		if (!d->cname) {
			n = write_vips(c, owner, d, qtype, node->dyn_id);
			if (n == 0)
				write_negative(c);
			return DYN_DONE;
		}
	}
	/* A CNAME datacenter. Two buffers: the previous target may own this
	 * record. */
	dc = &cfg->datacenters[d->chosen[0]];
	cname = s->dyn_cname[owner == s->dyn_cname[0] ? 1 : 0];
	n = dc->cname != NULL ? dname_from_str(dc->cname, cname) : -1;
	if (n < 0) {
		c->rcode = WIRE_RCODE_SERVFAIL; /* the loader validated it; not reached */
		c->flags &= (uint16_t)~WIRE_AA;
		return DYN_DONE;
	}
	if (!wire_put_rr(c->w, WIRE_ANSWER, owner, WIRE_TYPE_CNAME, WIRE_CLASS_IN, d->ttl, cname,
			 (uint16_t)n)) {
		truncate_response(c);
		return DYN_DONE;
	}
	if (c->dnssec) {
		const uint8_t *rd = cname;
		uint16_t rdlen = (uint16_t)n;

		if (!put_lb_sigs(c, owner, node->dyn_id, WIRE_TYPE_CNAME, d->ttl, &rd, &rdlen, 1))
			return DYN_DONE;
	}
	if (c->q->qtype == WIRE_TYPE_CNAME)
		return DYN_DONE;
	*target = cname;
	return DYN_CNAME;
}

/* Answer from the zone: lookup, CNAME chain, referral, negative answers. */
static void answer_zone(struct answer_ctx *c)
{
	struct answer_scratch *s = c->s;
	const struct zone *z = zone_set_find(c->snap->zones, c->q->lname, c->q->qname_len);
	const uint8_t *owner = WIRE_OWNER_QNAME;
	const uint8_t *lname = c->q->lname;
	size_t llen = c->q->qname_len;
	uint16_t qtype = c->q->qtype;
	const struct netacl *acl;
	struct zone_lookup lk;
	/* The proofs of the CNAME steps (a wildcard's next closer name), for
	 * the authority section once the chain is in the answer section. */
	struct {
		struct zone_lookup lk;
		size_t len;
		uint8_t name[DNAME_MAXLEN];
	} proof[ANSWER_CNAME_MAX];
	unsigned pending;

	if (z == NULL) {
		c->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	c->zone = z;
	acl = &c->snap->config->zones[zone_index(z)].acl;
	if (acl->set && c->client != NULL && !netacl_permits(acl, c->client)) {
		c->rcode = WIRE_RCODE_REFUSED;
		c->drop = acl->drop;
		c->acl_denied = true;
		return;
	}
	c->flags |= WIRE_AA;
	c->dnssec = c->q->edns_do && zone_is_signed(z);
	s->add_count = 0;
	s->visited_count = 0;
	pending = 0;
	for (unsigned step = 0;; step++) {
		const struct zone_rrset *cname;
		const uint8_t *target = NULL;
		uint32_t pos = 0;
		uint16_t len;
		bool seen = false;

		zone_lookup(z, lname, llen, &lk);
		if (step == 0 && lk.match == ZONE_MATCH_WILDCARD)
			c->wildcard = lk.node;
		if (lk.match == ZONE_MATCH_DELEGATION) {
			/* DS lives on the parent side of the cut (RFC 4035 3.1.4.1). */
			if (qtype == WIRE_TYPE_DS &&
			    same_name(lk.node->name, lk.node->name_len, lname, llen)) {
				c->negative = false;
				if (!write_node(c, lk.node, owner) || !prove_step(c, &lk, lname, llen))
					return;
				break;
			}
			if (step == 0)
				c->flags &= (uint16_t)~WIRE_AA;
			if (!write_referral(c, lk.node))
				return;
			break;
		}
		if (lk.match == ZONE_MATCH_NXDOMAIN) {
			c->rcode = WIRE_RCODE_NXDOMAIN;
			if (!write_negative(c) ||
			    (c->dnssec && !deny_nxdomain(c, lname, llen, lk.closest_encloser)))
				return;
			break;
		}
		for (unsigned i = 0; i < s->visited_count && !seen; i++)
			seen = s->visited[i] == lk.node;
		if (seen)
			break; /* CNAME loop: the chain so far is the answer */
		s->visited[s->visited_count++] = lk.node;
		c->negative = false;
		if ((lk.node->flags & ZONE_NODE_DYNAMIC) != 0) {
			enum dyn_result r = answer_dynamic(c, lk.node, owner, &target);

			if ((c->flags & WIRE_TC) != 0)
				return;
			if (r != DYN_CNAME || step + 1 >= ANSWER_CNAME_MAX) {
				if (!prove_step(c, &lk, lname, llen))
					return;
				break;
			}
		} else {
			cname = qtype == WIRE_TYPE_CNAME || qtype == WIRE_TYPE_ANY
				    ? NULL
				    : zone_node_rrset(lk.node, WIRE_TYPE_CNAME);
			if (cname == NULL) {
				if (!write_node(c, lk.node, owner) || !prove_step(c, &lk, lname, llen))
					return;
				break;
			}
			if (!write_answer_rrset(c, owner, lk.node, cname))
				return;
			target = zone_rrset_next(cname, &pos, &len);
			if (target == NULL || step + 1 >= ANSWER_CNAME_MAX) {
				if (!prove_step(c, &lk, lname, llen))
					return;
				break;
			}
		}
		if (c->dnssec) {
			proof[pending].lk = lk;
			proof[pending].len = llen;
			memcpy(proof[pending].name, lname, llen);
			pending++;
		}
		llen = canon_copy(s, target);
		if (!dname_is_subdomain(s->lname, zone_origin(z)))
			break; /* the resolver follows targets outside the zone */
		lname = s->lname;
		owner = target;
	}
	if (pending > 0) {
		/* Each step answered its CNAME: prove it as such. */
		bool negative = c->negative, ok = true;

		c->negative = false;
		for (unsigned i = 0; i < pending && ok; i++)
			ok = prove_step(c, &proof[i].lk, proof[i].name, proof[i].len);
		c->negative = negative;
		if (!ok)
			return;
	}
	write_additional(c);
}

/* CHAOS TXT id.server / hostname.bind / version.server / version.bind. */
static void answer_chaos(struct answer_ctx *c)
{
	static const uint8_t id_server[] = "\2id\6server";
	static const uint8_t hostname_bind[] = "\10hostname\4bind";
	static const uint8_t version_server[] = "\7version\6server";
	static const uint8_t version_bind[] = "\7version\4bind";
	const struct config *cfg = c->snap->config;
	const uint8_t *n = c->q->lname;
	size_t len = c->q->qname_len;
	const char *text = NULL;
	uint8_t rd[256];
	size_t tlen;

	c->rcode = WIRE_RCODE_REFUSED;
	if (c->q->qtype != WIRE_TYPE_TXT)
		return;
	if (same_name(n, len, id_server, sizeof(id_server)) ||
	    same_name(n, len, hostname_bind, sizeof(hostname_bind)))
		text = cfg->identity;
	else if (same_name(n, len, version_server, sizeof(version_server)) ||
		 same_name(n, len, version_bind, sizeof(version_bind)))
		text = cfg->version;
	if (text == NULL)
		return;
	tlen = strlen(text);
	if (tlen > 255)
		tlen = 255;
	rd[0] = (uint8_t)tlen;
	memcpy(rd + 1, text, tlen);
	if (!wire_put_rr(c->w, WIRE_ANSWER, WIRE_OWNER_QNAME, WIRE_TYPE_TXT, WIRE_CLASS_CH, 0, rd,
			 (uint16_t)(tlen + 1))) {
		truncate_response(c);
		return;
	}
	c->rcode = WIRE_RCODE_NOERROR;
}

/* AXFR/IXFR: the apex of a served zone, an allowed client, TCP. */
static void answer_transfer(struct answer_ctx *c, struct answer_result *res)
{
	const struct config_zone *cz;
	const struct zone *z;
	const struct zone_rrset *soa;

	if (c->q->qtype == WIRE_TYPE_AXFR && !c->tcp) {
		c->rcode = WIRE_RCODE_NOTIMP; /* RFC 5936 4.2: AXFR needs TCP */
		return;
	}
	z = zone_set_find(c->snap->zones, c->q->lname, c->q->qname_len);
	if (z == NULL ||
	    !same_name(zone_origin(z), dname_len(zone_origin(z)), c->q->lname, c->q->qname_len)) {
		c->rcode = WIRE_RCODE_NOTAUTH;
		return;
	}
	c->zone = z;
	cz = &c->snap->config->zones[zone_index(z)];
	if (c->client == NULL ||
	    !netprefix_list_contains(cz->allow_transfer, cz->allow_transfer_count, c->client)) {
		c->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	if (c->q->qtype == WIRE_TYPE_IXFR && !c->q->auth_has_soa) {
		c->rcode = WIRE_RCODE_FORMERR; /* RFC 1995 3: IXFR carries the client's SOA */
		return;
	}
	if (c->tcp) {
		res->action = ANSWER_XFR;
		return;
	}
	/* IXFR over UDP: the current SOA tells the client to retry over TCP
	 * (RFC 1995 section 4). */
	soa = zone_soa(z);
	if (!wire_put_rrset(c->w, WIRE_ANSWER, WIRE_OWNER_QNAME, soa, soa->ttl))
		truncate_response(c);
}

/* Bytes of the COOKIE option sent: code, length, client and server cookie. */
#define COOKIE_OPT_LEN (4u + COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN)

/* DNS cookies (RFC 7873 5.2): judge the client's, choose the server cookie
 * to send. Returns false when the query is answered with BADCOOKIE alone. */
static bool cookie_process(struct answer_ctx *c, struct answer_result *res)
{
	const struct config *cfg = c->snap->config;
	const struct wire_query *q = c->q;
	uint8_t addr[16];
	size_t addr_len;
	uint32_t now = c->s->now != 0 ? c->s->now : (uint32_t)time(NULL);
	enum cookie_verdict v;
	bool renew;

	if (!cfg->cookies_enabled || q->cookie_len == 0 || c->client == NULL)
		return true;
	addr_len = netaddr_raw(c->client, addr);
	if (addr_len == 0)
		return true;
	v = cookie_check(cfg->cookie_secret, cfg->cookie_has_previous ? cfg->cookie_previous : NULL,
			 q->cookie, q->cookie + COOKIE_CLIENT_LEN, q->cookie_len - COOKIE_CLIENT_LEN,
			 addr, addr_len, now, &renew);
	c->cookie_echo = true;
	if (v == COOKIE_VALID && !renew)
		memcpy(c->server_cookie, q->cookie + COOKIE_CLIENT_LEN, COOKIE_SERVER_LEN);
	else
		cookie_server_make(cfg->cookie_secret, q->cookie, addr, addr_len, now,
				   c->server_cookie);
	res->cookie = v == COOKIE_VALID	     ? ANSWER_COOKIE_VALID
		      : v == COOKIE_CLIENT_ONLY ? ANSWER_COOKIE_ISSUED
						: ANSWER_COOKIE_BAD;
	/* A server cookie that is not ours: over UDP, BADCOOKIE with a good
	 * one to retry with (5.2.3); TCP has proven the address already. */
	if (v == COOKIE_INVALID && !c->tcp) {
		c->rcode = WIRE_RCODE_BADCOOKIE;
		return false;
	}
	return true;
}

/* What the response is, for rate limiting, and the name its bucket is kept
 * by: the query name for answers, or the wildcard's owner ("*.<closest
 * encloser>") when the query name matched one, so that random labels under
 * a wildcard share one bucket as BIND, Knot and NSD do; the zone for the
 * rest. */
static void classify(const struct answer_ctx *c, struct answer_result *res)
{
	res->rrl_name = NULL;
	res->rrl_name_len = 0;
	if (c->zone != NULL) {
		res->rrl_name = zone_origin(c->zone);
		res->rrl_name_len = dname_len(res->rrl_name);
	}
	if (c->rcode == WIRE_RCODE_NXDOMAIN) {
		res->kind = RRL_NXDOMAIN;
	} else if (c->rcode != WIRE_RCODE_NOERROR) {
		res->kind = RRL_ERROR;
	} else if (c->w->count[WIRE_ANSWER] > 0) {
		res->kind = RRL_ANSWER;
		if (c->wildcard != NULL) {
			res->rrl_name = c->wildcard->name;
			res->rrl_name_len = c->wildcard->name_len;
		} else {
			res->rrl_name = c->q->lname;
			res->rrl_name_len = c->q->qname_len;
		}
	} else if ((c->flags & WIRE_AA) == 0 && c->w->count[WIRE_AUTHORITY] > 0) {
		res->kind = RRL_REFERRAL;
	} else {
		res->kind = RRL_NODATA;
	}
}

/* The OPT record closing the response (RFC 6891 6.1.3). */
static void write_opt(struct answer_ctx *c, size_t limit)
{
	const struct wire_query *q = c->q;
	uint8_t *p;
	size_t rdlen = (c->ecs_echo ? 8u + q->ecs_addr_len : 0) + (c->cookie_echo ? COOKIE_OPT_LEN : 0);

	c->w->limit = limit;
	p = wire_put_opt(c->w, (uint16_t)c->snap->config->udp_max_size, c->rcode, q->edns_do, rdlen);
	if (p == NULL)
		return; /* cannot happen: the room was reserved */
	if (c->ecs_echo) {
		wire_set16(p, WIRE_EDNS_OPT_ECS);
		wire_set16(p + 2, (uint16_t)(4 + q->ecs_addr_len));
		wire_set16(p + 4, q->ecs_family);
		p[6] = q->ecs_source;
		p[7] = c->ecs_scope; /* 0 unless a load-balancing decision used the subnet */
		memcpy(p + 8, q->ecs_addr, q->ecs_addr_len);
		p += 8 + q->ecs_addr_len;
	}
	if (c->cookie_echo) {
		wire_set16(p, WIRE_EDNS_OPT_COOKIE);
		wire_set16(p + 2, COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN);
		memcpy(p + 4, q->cookie, COOKIE_CLIENT_LEN);
		memcpy(p + 4 + COOKIE_CLIENT_LEN, c->server_cookie, COOKIE_SERVER_LEN);
	}
}

void answer_query(const struct snapshot *snap, const uint8_t *q, size_t qlen,
		  const struct sockaddr *client, bool tcp, uint8_t *resp, size_t resp_cap,
		  struct answer_scratch *scratch, struct answer_result *res)
{
	struct answer_ctx c;
	struct wire_query *wq = &scratch->q;
	size_t limit, opt_len = 0;
	int parsed;

	assert(resp_cap >= 512);
	res->action = ANSWER_SEND;
	res->len = 0;
	res->rcode = -1;
	res->qtype = 0;
	res->zone = NULL;
	res->truncated = false;
	res->lb = NULL;
	res->kind = RRL_ERROR;
	res->rrl_name = NULL;
	res->rrl_name_len = 0;
	res->cookie = ANSWER_COOKIE_NONE;
	res->acl_denied = false;
	if (qlen < WIRE_HEADER_LEN || (q[2] & 0x80) != 0) {
		res->action = ANSWER_DROP;
		return;
	}
	parsed = wire_query_parse(q, qlen, wq);

	c.snap = snap;
	c.s = scratch;
	c.q = wq;
	c.w = &scratch->w;
	c.client = client;
	c.tcp = tcp;
	c.flags = (uint16_t)(WIRE_QR | (wq->flags & (0x7800 | WIRE_RD | WIRE_CD)));
	c.rcode = WIRE_RCODE_NOERROR;
	c.zone = NULL;
	c.wildcard = NULL;
	c.ecs_echo = false;
	c.ecs_scope = 0;
	c.drop = false;
	c.acl_denied = false;
	c.cookie_echo = false;
	c.dnssec = false;
	c.negative = false;
	c.nsec_done_count = 0;
	scratch->lb_count = 0;

	if (tcp) {
		limit = ANSWER_MAX_MSG;
	} else if (wq->edns_ok) {
		limit = wq->edns_size < snap->config->udp_max_size ? wq->edns_size
								   : snap->config->udp_max_size;
		if (limit < 512)
			limit = 512;
	} else {
		limit = 512;
	}
	if (limit > resp_cap)
		limit = resp_cap;
	if (wq->edns_ok) {
		/* Echo Client Subnet only where the query was understood. */
		c.ecs_echo = wq->has_ecs && parsed == WIRE_QUERY_OK;
		opt_len = WIRE_OPT_LEN + (c.ecs_echo ? 8u + wq->ecs_addr_len : 0);
		if (parsed == WIRE_QUERY_OK && wq->edns_version == 0 && wq->cookie_len > 0 &&
		    snap->config->cookies_enabled)
			opt_len += COOKIE_OPT_LEN; /* room for it (BADCOOKIE included) */
	}
	wire_writer_init(c.w, resp, limit - opt_len, wq->id, c.flags);
	if (wq->has_question)
		wire_put_question(c.w, wq->qname, wq->qname_len, wq->qtype, wq->qclass);
	wire_mark_save(c.w, &c.after_question);
	res->qtype = wq->qtype;

	if (WIRE_OPCODE(wq->flags) != 0) {
		c.rcode = WIRE_RCODE_NOTIMP;
	} else if (parsed != WIRE_QUERY_OK) {
		c.rcode = WIRE_RCODE_FORMERR;
	} else if (wq->has_edns && wq->edns_version != 0) {
		c.rcode = WIRE_RCODE_BADVERS; /* RFC 6891 6.1.3 */
		c.ecs_echo = false;
	} else if (!cookie_process(&c, res)) {
		/* BADCOOKIE: nothing but the new cookie */
	} else if (wq->qtype == 0) {
		c.rcode = WIRE_RCODE_NOTIMP;
	} else if (wq->qclass == WIRE_CLASS_CH) {
		answer_chaos(&c);
	} else if (wq->qclass != WIRE_CLASS_IN && wq->qclass != WIRE_CLASS_ANY) {
		c.rcode = WIRE_RCODE_REFUSED;
	} else if (wq->qtype == WIRE_TYPE_AXFR || wq->qtype == WIRE_TYPE_IXFR) {
		answer_transfer(&c, res);
		if (res->action == ANSWER_XFR) {
			res->rcode = WIRE_RCODE_NOERROR;
			res->zone = c.zone;
			return;
		}
	} else {
		answer_zone(&c);
	}

	res->acl_denied = c.acl_denied;
	if (c.drop) {
		res->action = ANSWER_DROP;
		res->rcode = -1;
		res->zone = c.zone;
		return;
	}
	classify(&c, res);
	if (wq->edns_ok)
		write_opt(&c, limit);
	wire_writer_finish(c.w, (uint16_t)(c.flags | (c.rcode & 0x0f)));
	res->len = c.w->len;
	res->rcode = c.rcode;
	res->zone = c.zone;
	res->truncated = (c.flags & WIRE_TC) != 0;
	res->lb = scratch->lb_count > 0 && !res->truncated && !scratch->lb.empty ? &scratch->lb : NULL;
}

/* Header, question (when it parsed) and a bare OPT (when the query had
 * EDNS) with flags and rcode, for the query parsed into s->q. */
static size_t write_minimal(struct answer_scratch *s, uint8_t *resp, size_t cap, uint16_t flags,
			    int rcode, uint16_t udp_size)
{
	const struct wire_query *q = &s->q;
	struct wire_writer *w = &s->w;

	wire_writer_init(w, resp, cap, q->id,
			 (uint16_t)(WIRE_QR | flags | (q->flags & (0x7800 | WIRE_RD | WIRE_CD))));
	if (q->has_question)
		wire_put_question(w, q->qname, q->qname_len, q->qtype, q->qclass);
	if (q->edns_ok)
		(void)wire_put_opt(w, udp_size, rcode, q->edns_do, 0);
	wire_writer_finish(w, (uint16_t)((wire_get16(resp + 2) & 0xfff0) | (rcode & 0x0f)));
	return w->len;
}

size_t answer_slip(struct answer_scratch *s, const uint8_t *q, size_t qlen, uint8_t *resp,
		   size_t cap)
{
	if (qlen < WIRE_HEADER_LEN)
		return 0;
	(void)wire_query_parse(q, qlen, &s->q);
	/* The OPT's payload size: 512 tells nothing new and is always true. */
	return write_minimal(s, resp, cap, WIRE_TC, WIRE_RCODE_NOERROR, 512);
}

void answer_refused(const uint8_t *q, size_t qlen, uint8_t *resp, size_t resp_cap,
		    struct answer_scratch *scratch, struct answer_result *res)
{
	memset(res, 0, sizeof(*res));
	res->action = ANSWER_DROP;
	res->rcode = -1;
	res->kind = RRL_ERROR;
	if (qlen < WIRE_HEADER_LEN || (q[2] & 0x80) != 0)
		return;
	(void)wire_query_parse(q, qlen, &scratch->q);
	res->action = ANSWER_SEND;
	res->qtype = scratch->q.qtype;
	res->rcode = WIRE_RCODE_REFUSED;
	res->len = write_minimal(scratch, resp, resp_cap < 512 ? resp_cap : 512, 0,
				 WIRE_RCODE_REFUSED, 512);
}

void xfr_begin(struct xfr_state *x, const struct zone *zone, const uint8_t *q, size_t qlen)
{
	size_t pos = WIRE_HEADER_LEN;
	int n;

	x->zone = zone;
	x->id = qlen >= 2 ? wire_get16(q) : 0;
	n = dname_unpack(q, qlen, &pos, x->qname, false);
	if (n < 0 || qlen - pos < 2) {
		/* answer_query() said ANSWER_XFR, so this does not happen; fall
		 * back to the zone name. */
		n = (int)dname_len(zone_origin(zone));
		memcpy(x->qname, zone_origin(zone), (size_t)n);
		x->qtype = WIRE_TYPE_AXFR;
	} else {
		x->qtype = wire_get16(q + pos);
	}
	x->qname_len = (uint8_t)n;
	x->node = 0;
	x->rrset = 0;
	x->rr = 0;
	x->phase = 0;
	x->first = true;
}

/* One SOA record of the zone as the first or last of the transfer. */
static bool xfr_put_soa(struct wire_writer *w, const struct zone *z)
{
	const struct zone_rrset *soa = zone_soa(z);
	uint32_t pos = 0;
	uint16_t len;
	const uint8_t *rd = zone_rrset_next(soa, &pos, &len);

	return wire_put_rr(w, WIRE_ANSWER, zone_origin(z), WIRE_TYPE_SOA, WIRE_CLASS_IN, soa->ttl,
			   rd, len);
}

size_t xfr_next(struct xfr_state *x, uint8_t *buf, size_t cap, struct answer_scratch *scratch)
{
	struct wire_writer *w = &scratch->w;
	const struct zone *z = x->zone;
	size_t nodes = zone_node_count(z);

	if (x->phase >= 3)
		return 0;
	if (cap > ANSWER_MAX_MSG)
		cap = ANSWER_MAX_MSG;
	wire_writer_init(w, buf, cap, x->id, WIRE_QR | WIRE_AA);
	if (x->first) {
		wire_put_question(w, x->qname, x->qname_len, x->qtype, WIRE_CLASS_IN);
		x->first = false;
	}
	if (x->phase == 0) {
		if (!xfr_put_soa(w, z))
			goto out;
		x->phase = 1;
	}
	while (x->phase == 1 && x->node < nodes) {
		const struct zone_node *n = zone_node_at(z, x->node);

		while (x->rrset < n->rrset_count) {
			const struct zone_rrset *rs = &n->rrsets[x->rrset];
			const uint8_t *rd;
			uint32_t pos = x->rr;
			uint16_t len;

			if (x->node == 0 && rs->type == WIRE_TYPE_SOA) {
				x->rrset++;
				continue;
			}
			while ((rd = zone_rrset_next(rs, &pos, &len)) != NULL) {
				/* An RRSIG keeps the TTL of the RRset it covers. */
				uint32_t ttl = rs->type == WIRE_TYPE_RRSIG && len >= 8
						   ? rd_be32(rd + 4)
						   : rs->ttl;

				if (!wire_put_rr(w, WIRE_ANSWER, n->name, rs->type, WIRE_CLASS_IN, ttl,
						 rd, len) &&
				    w->count[WIRE_ANSWER] > 0)
					goto out; /* full: continue in the next message */
				/* A record too big for an empty message is skipped. */
				x->rr = pos;
			}
			x->rrset++;
			x->rr = 0;
		}
		x->node++;
		x->rrset = 0;
	}
	if (x->phase == 1)
		x->phase = 2;
	if (x->phase == 2 && xfr_put_soa(w, z))
		x->phase = 3;
out:
	wire_writer_finish(w, WIRE_QR | WIRE_AA);
	return w->len;
}

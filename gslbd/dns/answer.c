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

void answer_scratch_free(struct answer_scratch *s)
{
	free(s);
}

void answer_scratch_set_time(struct answer_scratch *s, uint32_t now)
{
	s->now = now;
}

/* Copy the uncompressed name to the scratch buffer in canonical form. */
static size_t canon_copy(struct answer_scratch *s, const uint8_t *name)
{
	size_t len = dname_len(name);

	memcpy(s->lname, name, len);
	dname_lower(s->lname);
	return len;
}

bool answer_put_sigs(struct answer_ctx *c, enum wire_section sec, const uint8_t *owner,
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

/* The DNSSEC proofs of one step of the answer (nsec_proofs.c), when the
 * response carries them. */
static inline bool prove_step(struct answer_ctx *c, const struct zone_lookup *lk,
			      const uint8_t *lname, size_t len)
{
	return !c->dnssec || nsec_proof_step(c, lk, lname, len);
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
 * step 6), those at or below a zone cut (glue) included, as NSD and Knot
 * DNS add them: a name server of one delegation may live under another. */
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
		if (node == NULL)
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
			    !answer_put_sigs(c, WIRE_ADDITIONAL, s->add[i].name, node, rr->type, rr->ttl))
				wire_mark_restore(c->w, &m);
		}
	}
}

/* Authoritative negative answer: the SOA in authority (RFC 2308 3). */
bool answer_write_negative(struct answer_ctx *c)
{
	const struct zone_rrset *soa = zone_soa(c->zone);

	c->negative = true;
	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, zone_origin(c->zone), soa,
			    zone_negative_ttl(c->zone)) ||
	    (c->dnssec && !answer_put_sigs(c, WIRE_AUTHORITY, zone_origin(c->zone), zone_apex(c->zone),
				    WIRE_TYPE_SOA, zone_negative_ttl(c->zone)))) {
		answer_truncate(c);
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
		answer_truncate(c);
		return false;
	}
	if (c->dnssec) {
		/* The DS and its signatures, or the proof that there is none
		 * (RFC 4035 3.1.4). */
		const struct zone_rrset *ds = zone_node_rrset(cut, WIRE_TYPE_DS);

		if (ds == NULL) {
			if (!nsec_proof_no_ds(c, cut))
				return false;
		} else if (!wire_put_rrset(c->w, WIRE_AUTHORITY, cut->name, ds, ds->ttl) ||
			   !answer_put_sigs(c, WIRE_AUTHORITY, cut->name, cut, WIRE_TYPE_DS, ds->ttl)) {
			answer_truncate(c);
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
					 len >= 8 ? answer_rd_be32(rd + 4) : rrset->ttl, rd, len)) {
				answer_truncate(c);
				return false;
			}
		}
		return true;
	}
	if (!wire_put_rrset(c->w, WIRE_ANSWER, owner, rrset, rrset->ttl) ||
	    (c->dnssec && !answer_put_sigs(c, WIRE_ANSWER, owner, node, rrset->type, rrset->ttl))) {
		answer_truncate(c);
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
		return wrote || answer_write_negative(c);
	}
	rrset = zone_node_rrset(node, c->q->qtype);
	if (rrset == NULL)
		return answer_write_negative(c);
	return write_answer_rrset(c, owner, node, rrset);
}

/* What write_dname() did. */
enum dname_result {
	DNAME_FOLLOW, /* a CNAME was synthesised: follow its target */
	DNAME_STOP,   /* the answer is complete (YXDOMAIN) */
	DNAME_ABORT,  /* the response was truncated */
};

/* A name below the DNAME at node (RFC 6672 2.2, 3.2): the DNAME (once per
 * response, with its signatures), then the CNAME from owner (lname, llen
 * bytes, canonical) to lname with the DNAME owner replaced by the DNAME
 * target, unsigned, with the TTL of the DNAME; *target is that name,
 * canonical, in the scratch's chain[step + 1]. A substituted name longer
 * than 255 bytes is YXDOMAIN, with the DNAME alone. */
static enum dname_result write_dname(struct answer_ctx *c, const struct zone_node *node,
				     const uint8_t *lname, size_t llen, const uint8_t *owner,
				     unsigned step, const uint8_t **target)
{
	struct answer_scratch *s = c->s;
	const struct zone_rrset *dname = zone_node_rrset(node, WIRE_TYPE_DNAME);
	const uint8_t *rd;
	uint8_t *name = s->chain[step + 1];
	size_t prefix = llen - node->name_len, tlen;
	uint32_t pos = 0;
	uint16_t len;
	bool written = false;

	c->negative = false;
	for (unsigned i = 0; i < s->visited_count && !written; i++)
		written = s->visited[i] == node && s->visited_name[i] == NULL;
	if (!written) {
		if (!wire_put_rrset(c->w, WIRE_ANSWER, node->name, dname, dname->ttl) ||
		    (c->dnssec && !answer_put_sigs(c, WIRE_ANSWER, node->name, node,
						   WIRE_TYPE_DNAME, dname->ttl))) {
			answer_truncate(c);
			return DNAME_ABORT;
		}
		s->visited[s->visited_count] = node;
		s->visited_name[s->visited_count++] = NULL; /* its DNAME */
	}
	rd = zone_rrset_next(dname, &pos, &len);
	tlen = dname_len(rd);
	if (prefix + tlen > DNAME_MAXLEN) {
		c->rcode = WIRE_RCODE_YXDOMAIN;
		return DNAME_STOP;
	}
	memcpy(name, lname, prefix);
	memcpy(name + prefix, rd, tlen);
	dname_lower(name + prefix);
	if (!wire_put_rr(c->w, WIRE_ANSWER, owner, WIRE_TYPE_CNAME, WIRE_CLASS_IN, dname->ttl, name,
			 (uint16_t)(prefix + tlen))) {
		answer_truncate(c);
		return DNAME_ABORT;
	}
	*target = name;
	return DNAME_FOLLOW;
}

/* Answer from the zone: lookup, CNAME chain, DNAME substitution, referral,
 * negative answers. */
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
			    answer_same_name(lk.node->name, lk.node->name_len, lname, llen)) {
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
		if (lk.match == ZONE_MATCH_NXDOMAIN &&
		    zone_node_rrset(lk.closest_encloser, WIRE_TYPE_DNAME) != NULL) {
			/* Below a DNAME: its record and the CNAME made from it. */
			enum dname_result r = write_dname(c, lk.closest_encloser, lname, llen, owner,
							  step, &target);

			if (r == DNAME_ABORT)
				return;
			if (r == DNAME_STOP || qtype == WIRE_TYPE_CNAME ||
			    step + 1 >= ANSWER_CNAME_MAX)
				break;
			lname = target;
			llen = dname_len(target);
			owner = target;
			if (!dname_is_subdomain(lname, zone_origin(z)))
				break; /* the resolver follows targets outside the zone */
			continue;
		}
		if (lk.match == ZONE_MATCH_NXDOMAIN) {
			c->rcode = WIRE_RCODE_NXDOMAIN;
			if (!answer_write_negative(c) ||
			    (c->dnssec && !nsec_proof_nxdomain(c, lname, llen, lk.closest_encloser)))
				return;
			break;
		}
		/* A CNAME written again for the same name: the chain so far is
		 * the answer. A wildcard's CNAME may answer several names. */
		for (unsigned i = 0; i < s->visited_count && !seen; i++)
			seen = s->visited[i] == lk.node && s->visited_name[i] != NULL &&
			       answer_same_name(s->visited_name[i], dname_len(s->visited_name[i]),
						lname, llen);
		if (seen)
			break;
		s->visited[s->visited_count] = lk.node;
		s->visited_name[s->visited_count++] = lname;
		c->negative = false;
		if ((lk.node->flags & ZONE_NODE_DYNAMIC) != 0) {
			enum answer_lb_result r = answer_lb_write(c, lk.node, owner, &target);

			if ((c->flags & WIRE_TC) != 0)
				return;
			if (r != ANSWER_LB_CNAME || step + 1 >= ANSWER_CNAME_MAX) {
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
		llen = dname_len(target);
		memcpy(s->chain[step + 1], target, llen);
		dname_lower(s->chain[step + 1]);
		lname = s->chain[step + 1];
		if (!dname_is_subdomain(lname, zone_origin(z)))
			break; /* the resolver follows targets outside the zone */
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
	if (answer_same_name(n, len, id_server, sizeof(id_server)) ||
	    answer_same_name(n, len, hostname_bind, sizeof(hostname_bind)))
		text = cfg->identity;
	else if (answer_same_name(n, len, version_server, sizeof(version_server)) ||
		 answer_same_name(n, len, version_bind, sizeof(version_bind)))
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
		answer_truncate(c);
		return;
	}
	c->rcode = WIRE_RCODE_NOERROR;
}

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
	res->ecs_scope = 0;
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
		xfr_out_answer(&c, res);
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
	res->ecs_scope = c.ecs_echo ? c.ecs_scope : 0;
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

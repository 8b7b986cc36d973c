/* The answer path's load-balanced names: the decision (lb_decide(), for
 * the query's Client Subnet or else the resolver's address), the scope to
 * echo, the VIPs of the chosen datacenters as one RRset or a CNAME
 * datacenter's target, and their signatures (from the snapshot's table, or
 * signed while answering). Same threads and rules as answer.c. */
#include <config.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

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
		  lbname, qtype, &client, answer_next_rnd(s), &s->lb);
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
		answer_truncate(c);
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
				answer_truncate(c);
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

enum answer_lb_result answer_lb_write(struct answer_ctx *c, const struct zone_node *node,
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
		return ANSWER_LB_DONE;
	}
	if (qtype == WIRE_TYPE_ANY)
		qtype = WIRE_TYPE_A;
	if (qtype != WIRE_TYPE_A && qtype != WIRE_TYPE_AAAA) {
		/* Only a CNAME datacenter answers other types. */
		if (!pool_may_cname(cfg, cfg->lbnames[node->dyn_id].pool)) {
			answer_write_negative(c);
			return ANSWER_LB_DONE;
		}
		d = decide(c, node->dyn_id, WIRE_TYPE_A);
		use_scope(c, d);
		if (!d->cname || d->empty || d->chosen_count == 0) {
			answer_write_negative(c);
			return ANSWER_LB_DONE;
		}
	} else {
		d = decide(c, node->dyn_id, qtype);
		use_scope(c, d);
		if (d->empty || d->chosen_count == 0) {
			answer_write_negative(c);
			return ANSWER_LB_DONE;
		}
		if (!d->cname) {
			n = write_vips(c, owner, d, qtype, node->dyn_id);
			if (n == 0)
				answer_write_negative(c);
			return ANSWER_LB_DONE;
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
		return ANSWER_LB_DONE;
	}
	if (!wire_put_rr(c->w, WIRE_ANSWER, owner, WIRE_TYPE_CNAME, WIRE_CLASS_IN, d->ttl, cname,
			 (uint16_t)n)) {
		answer_truncate(c);
		return ANSWER_LB_DONE;
	}
	if (c->dnssec) {
		const uint8_t *rd = cname;
		uint16_t rdlen = (uint16_t)n;

		if (!put_lb_sigs(c, owner, node->dyn_id, WIRE_TYPE_CNAME, d->ttl, &rd, &rdlen, 1))
			return ANSWER_LB_DONE;
	}
	if (c->q->qtype == WIRE_TYPE_CNAME)
		return ANSWER_LB_DONE;
	*target = cname;
	return ANSWER_LB_CNAME;
}

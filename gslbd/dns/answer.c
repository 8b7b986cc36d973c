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
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
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
	struct wire_mark after_question; /* where a truncated response is cut back to */
	bool drop;                       /* send nothing (a zone's access list said drop) */
	bool acl_denied;                 /* a zone's access list refused the client */
	bool cookie_echo;                /* send a COOKIE option: client cookie + server_cookie */
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

			if (rr != NULL &&
			    !wire_put_rrset(c->w, WIRE_ADDITIONAL, s->add[i].name, rr, rr->ttl) &&
			    s->add[i].required)
				c->flags |= WIRE_TC; /* RFC 9471: in-domain glue is not optional */
		}
	}
}

/* Authoritative negative answer: the SOA in authority (RFC 2308 3). */
static bool write_negative(struct answer_ctx *c)
{
	const struct zone_rrset *soa = zone_soa(c->zone);

	if (!wire_put_rrset(c->w, WIRE_AUTHORITY, zone_origin(c->zone), soa,
			    zone_negative_ttl(c->zone))) {
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
	while ((rd = zone_rrset_next(ns, &pos, &len)) != NULL && c->s->add_count < ANSWER_ADD_MAX) {
		canon_copy(c->s, rd);
		c->s->add[c->s->add_count].name = rd;
		c->s->add[c->s->add_count].required = dname_is_subdomain(c->s->lname, cut->name);
		c->s->add_count++;
	}
	return true;
}

static bool write_answer_rrset(struct answer_ctx *c, const uint8_t *owner,
			       const struct zone_rrset *rrset)
{
	if (!wire_put_rrset(c->w, WIRE_ANSWER, owner, rrset, rrset->ttl)) {
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
		/* RFC 8482: one RRset over UDP, everything over TCP. */
		unsigned n = c->tcp ? node->rrset_count : (node->rrset_count > 0 ? 1 : 0);

		if (n == 0)
			return write_negative(c);
		for (unsigned i = 0; i < n; i++) {
			if (!write_answer_rrset(c, owner, &node->rrsets[i]))
				return false;
		}
		return true;
	}
	rrset = zone_node_rrset(node, c->q->qtype);
	if (rrset == NULL)
		return write_negative(c);
	return write_answer_rrset(c, owner, rrset);
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

/* The VIPs of the chosen datacenters as one RRset of qtype (A or AAAA),
 * all or nothing. Returns the records written (0: none of the family),
 * or -1 after truncating. */
static int write_vips(struct answer_ctx *c, const uint8_t *owner, const struct lb_decision *d,
		      uint16_t qtype)
{
	const struct config *cfg = c->snap->config;
	bool v6 = qtype == WIRE_TYPE_AAAA;
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
			written++;
		}
	}
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
			n = write_vips(c, owner, d, qtype);
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
	s->add_count = 0;
	s->visited_count = 0;
	for (unsigned step = 0;; step++) {
		const struct zone_rrset *cname;
		const uint8_t *target = NULL;
		uint32_t pos = 0;
		uint16_t len;
		bool seen = false;

		zone_lookup(z, lname, llen, &lk);
		if (lk.match == ZONE_MATCH_DELEGATION) {
			/* DS lives on the parent side of the cut (RFC 4035 3.1.4.1). */
			if (qtype == WIRE_TYPE_DS &&
			    same_name(lk.node->name, lk.node->name_len, lname, llen)) {
				if (!write_node(c, lk.node, owner))
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
			if (!write_negative(c))
				return;
			break;
		}
		for (unsigned i = 0; i < s->visited_count && !seen; i++)
			seen = s->visited[i] == lk.node;
		if (seen)
			break; /* CNAME loop: the chain so far is the answer */
		s->visited[s->visited_count++] = lk.node;
		if ((lk.node->flags & ZONE_NODE_DYNAMIC) != 0) {
			enum dyn_result r = answer_dynamic(c, lk.node, owner, &target);

			if ((c->flags & WIRE_TC) != 0)
				return;
			if (r != DYN_CNAME || step + 1 >= ANSWER_CNAME_MAX)
				break;
		} else {
			cname = qtype == WIRE_TYPE_CNAME || qtype == WIRE_TYPE_ANY
				    ? NULL
				    : zone_node_rrset(lk.node, WIRE_TYPE_CNAME);
			if (cname == NULL) {
				if (!write_node(c, lk.node, owner))
					return;
				break;
			}
			if (!write_answer_rrset(c, owner, cname))
				return;
			target = zone_rrset_next(cname, &pos, &len);
			if (target == NULL || step + 1 >= ANSWER_CNAME_MAX)
				break;
		}
		llen = canon_copy(s, target);
		if (!dname_is_subdomain(s->lname, zone_origin(z)))
			break; /* the resolver follows targets outside the zone */
		lname = s->lname;
		owner = target;
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
 * by: the query name for answers, the zone for the rest. */
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
		res->rrl_name = c->q->lname;
		res->rrl_name_len = c->q->qname_len;
	} else if ((c->flags & WIRE_AA) == 0 && c->w->count[WIRE_AUTHORITY] > 0) {
		res->kind = RRL_REFERRAL;
	} else {
		res->kind = RRL_NODATA;
	}
}

/* The OPT record closing the response (RFC 6891 6.1.3). */
static void write_opt(struct answer_ctx *c, size_t limit)
{
	struct wire_writer *w = c->w;
	const struct wire_query *q = c->q;
	uint8_t *p;
	size_t rdlen = (c->ecs_echo ? 8u + q->ecs_addr_len : 0) + (c->cookie_echo ? COOKIE_OPT_LEN : 0);

	w->limit = limit;
	if (w->limit - w->len < WIRE_OPT_LEN + rdlen)
		return; /* cannot happen: the room was reserved */
	p = w->buf + w->len;
	p[0] = 0;
	wire_set16(p + 1, WIRE_TYPE_OPT);
	wire_set16(p + 3, (uint16_t)c->snap->config->udp_max_size);
	p[5] = (uint8_t)(c->rcode >> 4);
	p[6] = 0;
	wire_set16(p + 7, q->edns_do ? 0x8000 : 0);
	wire_set16(p + 9, (uint16_t)rdlen);
	if (c->ecs_echo) {
		wire_set16(p + 11, WIRE_EDNS_OPT_ECS);
		wire_set16(p + 13, (uint16_t)(4 + q->ecs_addr_len));
		wire_set16(p + 15, q->ecs_family);
		p[17] = q->ecs_source;
		p[18] = c->ecs_scope; /* 0 unless a load-balancing decision used the subnet */
		memcpy(p + 19, q->ecs_addr, q->ecs_addr_len);
		p += 8 + q->ecs_addr_len;
	}
	if (c->cookie_echo) {
		wire_set16(p + 11, WIRE_EDNS_OPT_COOKIE);
		wire_set16(p + 13, COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN);
		memcpy(p + 15, q->cookie, COOKIE_CLIENT_LEN);
		memcpy(p + 15 + COOKIE_CLIENT_LEN, c->server_cookie, COOKIE_SERVER_LEN);
	}
	w->len += WIRE_OPT_LEN + rdlen;
	w->count[WIRE_ADDITIONAL]++;
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
	c.ecs_echo = false;
	c.ecs_scope = 0;
	c.drop = false;
	c.acl_denied = false;
	c.cookie_echo = false;
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
	if (q->edns_ok && w->limit - w->len >= WIRE_OPT_LEN) {
		uint8_t *p = w->buf + w->len;

		p[0] = 0;
		wire_set16(p + 1, WIRE_TYPE_OPT);
		wire_set16(p + 3, udp_size);
		p[5] = (uint8_t)(rcode >> 4);
		p[6] = 0;
		wire_set16(p + 7, q->edns_do ? 0x8000 : 0);
		wire_set16(p + 9, 0);
		w->len += WIRE_OPT_LEN;
		w->count[WIRE_ADDITIONAL]++;
	}
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
				if (!wire_put_rr(w, WIRE_ANSWER, n->name, rs->type, WIRE_CLASS_IN,
						 rs->ttl, rd, len) &&
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

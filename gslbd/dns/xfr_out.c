/* Outgoing zone transfers: whether an AXFR/IXFR query is answered with a
 * transfer (the zone's apex, an allowed client, TCP), and the transfer
 * itself, AXFR (or IXFR answered as AXFR, RFC 1995 section 4) streamed as a
 * sequence of messages on caller-owned state (struct xfr_state). Runs on
 * the TCP thread; no allocation. A load-balanced name of a zone signed in
 * memory goes out with the fixed answer and NSEC (NSEC3) lbsig made for
 * transfers (lbsig.h), in place of the node's own records. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/netaddr.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

void xfr_out_answer(struct answer_ctx *c, struct answer_result *res)
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
	    !answer_same_name(zone_origin(z), dname_len(zone_origin(z)), c->q->lname, c->q->qname_len)) {
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
		answer_truncate(c);
}

void xfr_begin(struct xfr_state *x, const struct zone *zone, const struct lbsig_table *lbsig,
	       const uint8_t *q, size_t qlen)
{
	size_t pos = WIRE_HEADER_LEN;
	int n;

	x->zone = zone;
	x->lbsig = lbsig;
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
		const struct zone_rrset *rrsets = n->rrsets;
		int count = lbsig_xfr_rrsets(x->lbsig, n, &rrsets);

		if (count < 0)
			count = n->rrset_count;
		while (x->rrset < (uint32_t)count) {
			const struct zone_rrset *rs = &rrsets[x->rrset];
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
						   ? answer_rd_be32(rd + 4)
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


/* Outgoing zone transfers: whether an AXFR/IXFR query is answered with a
 * transfer (the zone's apex, an allowed client (with the key its access
 * list entry names), TCP), and the transfer itself streamed as a sequence
 * of messages on caller-owned state (struct xfr_state): AXFR; IXFR from
 * the zone's journal (RFC 1995), the SOA alone for a client up to date, or
 * the whole zone when the journal does not reach back to the client's
 * serial (RFC 1995 section 4). Every message signed when the query was
 * (RFC 8945 5.3.1). Runs on the TCP thread; no allocation. A load-balanced
 * name of a zone signed in memory goes out with the fixed answer and NSEC
 * (NSEC3) lbsig made for transfers (lbsig.h), in place of the node's own
 * records, in AXFR and in the journal's differences alike. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/netaddr.h"
#include "common/tsig.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/query_metrics.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

/* May the client transfer the zone cz? An entry of its access list that
 * names a key wants the request signed with that key; without a key, any
 * request from the address will do. */
static bool transfer_allowed(struct answer_ctx *c, const struct config_zone *cz)
{
	const struct config *cfg = c->snap->config;
	const struct tsig_key *key = c->tsig == TSIG_OK ? c->s->tsig.key : NULL;
	bool want_key = false;

	if (c->client == NULL)
		return false;
	for (size_t i = 0; i < cz->allow_transfer_count; i++) {
		int k = cz->allow_transfer_key != NULL ? cz->allow_transfer_key[i] : -1;

		if (!netprefix_contains(&cz->allow_transfer[i], c->client))
			continue;
		if (k < 0 || key == &cfg->tsig_keys[k])
			return true;
		want_key = true;
	}
	c->tsig_required = want_key;
	return false;
}

static bool xfr_put_soa(struct wire_writer *w, const struct zone *z);

/* The journal of z that leads from serial to z's serial, and the index of
 * its first difference; NULL when it does not reach back to serial. */
static const struct journal *ixfr_journal(const struct snapshot *snap, const struct zone *z,
					  uint32_t serial, size_t *first)
{
	const struct journal *j = snap->journals != NULL ? snap->journals[zone_index(z)] : NULL;
	long i = journal_find(j, serial);

	if (i < 0 || j->diffs[j->count - 1]->to != zone_serial(z))
		return NULL;
	*first = (size_t)i;
	return j;
}

/* An IXFR over UDP answered whole: the current SOA, the differences from
 * the client's serial, the current SOA. Returns false, with nothing
 * written, when the client is current, the journal does not reach back or
 * the answer does not fit. */
static bool ixfr_udp(struct answer_ctx *c, const struct zone *z)
{
	uint32_t serial = c->q->ixfr_serial;
	const struct journal *j;
	struct wire_mark m;
	size_t first = 0;

	if ((int32_t)(serial - zone_serial(z)) >= 0 ||
	    (j = ixfr_journal(c->snap, z, serial, &first)) == NULL)
		return false;
	wire_mark_save(c->w, &m);
	if (!xfr_put_soa(c->w, z))
		goto full;
	for (size_t d = first; d < j->count; d++) {
		for (int list = 0; list < 2; list++) {
			const uint8_t *p = list == 0 ? j->diffs[d]->del : j->diffs[d]->add;
			size_t len = list == 0 ? j->diffs[d]->del_len : j->diffs[d]->add_len, pos = 0;
			const uint8_t *owner, *rd;
			uint16_t type, rdlen;
			uint32_t ttl;

			while (journal_rr_next(p, len, &pos, &owner, &type, &ttl, &rd, &rdlen) == 0)
				if (!wire_put_rr(c->w, WIRE_ANSWER, owner, type, WIRE_CLASS_IN, ttl, rd,
						 rdlen))
					goto full;
		}
	}
	if (xfr_put_soa(c->w, z))
		return true;
full:
	wire_mark_restore(c->w, &m);
	return false;
}

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
	if (!transfer_allowed(c, cz)) {
		c->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	if (zone_soa(z) == NULL) {
		c->rcode = WIRE_RCODE_SERVFAIL; /* no data: never transferred, or expired */
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
	/* IXFR over UDP: the differences when they fit (RFC 1995 section 2),
	 * else the current SOA, which tells the client to retry over TCP. */
	if (ixfr_udp(c, z))
		return;
	soa = zone_soa(z);
	if (!wire_put_rrset(c->w, WIRE_ANSWER, WIRE_OWNER_QNAME, soa, soa->ttl))
		answer_truncate(c);
}

/* Which transfer answers an IXFR from serial (RFC 1995): the SOA alone
 * when the client is current (or ahead, serial arithmetic), the
 * differences when the journal reaches back to serial and on to the
 * zone's serial, else the whole zone. */
static void ixfr_plan(struct xfr_state *x, const struct snapshot *snap, uint32_t serial)
{
	const struct zone *z = x->zone;
	const struct journal *j;
	size_t first = 0;

	if ((int32_t)(serial - zone_serial(z)) >= 0) {
		x->kind = METRICS_XFR_UPTODATE;
		return;
	}
	j = ixfr_journal(snap, z, serial, &first);
	if (j == NULL)
		return;
	x->kind = METRICS_XFR_IXFR;
	x->journal = j;
	x->diff = first;
}

void xfr_begin(struct xfr_state *x, const struct snapshot *snap, const struct zone *zone,
	       const uint8_t *q, size_t qlen, const struct tsig_ctx *tsig)
{
	size_t pos = WIRE_HEADER_LEN;
	int n;

	x->zone = zone;
	x->journal = NULL;
	x->lbsig = snap->lbsig;
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
	x->diff = 0;
	x->list = 0;
	x->pos = 0;
	x->phase = 0;
	x->first = true;
	x->bytes = 0;
	x->kind = METRICS_XFR_AXFR;
	if (x->qtype == WIRE_TYPE_IXFR) {
		struct wire_query wq;

		if (wire_query_parse(q, qlen, &wq) == WIRE_QUERY_OK && wq.auth_has_soa)
			ixfr_plan(x, snap, wq.ixfr_serial);
	}
	x->tsig_on = tsig != NULL;
	if (tsig != NULL)
		x->tsig = *tsig;
}

/* Sign the len-byte message at buf (cap bytes of room) when the transfer
 * is signed (every message, RFC 8945 5.3.1), and count it. */
static size_t xfr_finish_message(struct xfr_state *x, uint8_t *buf, size_t len, size_t cap)
{
	if (x->tsig_on)
		(void)tsig_sign(&x->tsig, buf, &len, cap, (uint64_t)time(NULL));
	x->bytes += len;
	return len;
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

/* The whole zone after the opening SOA (AXFR). Returns false when the
 * message is full. */
static bool axfr_records(struct xfr_state *x, struct wire_writer *w)
{
	const struct zone *z = x->zone;
	size_t nodes = zone_node_count(z);

	while (x->node < nodes) {
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
					return false; /* full: continue in the next message */
				/* A record too big for an empty message is skipped. */
				x->rr = pos;
			}
			x->rrset++;
			x->rr = 0;
		}
		x->node++;
		x->rrset = 0;
	}
	return true;
}

/* The differences from the client's serial on, each the removed records
 * (the old SOA first) then the added ones (the new SOA first): RFC 1995
 * section 4's sequence. Returns false when the message is full. */
static bool ixfr_records(struct xfr_state *x, struct wire_writer *w)
{
	const struct journal *j = x->journal;

	while (x->diff < j->count) {
		const struct journal_diff *d = j->diffs[x->diff];

		while (x->list < 2) {
			const uint8_t *p = x->list == 0 ? d->del : d->add;
			size_t len = x->list == 0 ? d->del_len : d->add_len, pos = x->pos;
			const uint8_t *owner, *rd;
			uint16_t type, rdlen;
			uint32_t ttl;

			while (journal_rr_next(p, len, &pos, &owner, &type, &ttl, &rd, &rdlen) == 0) {
				if (!wire_put_rr(w, WIRE_ANSWER, owner, type, WIRE_CLASS_IN, ttl, rd,
						 rdlen) &&
				    w->count[WIRE_ANSWER] > 0)
					return false;
				x->pos = pos;
			}
			x->list++;
			x->pos = 0;
		}
		x->diff++;
		x->list = 0;
	}
	return true;
}

size_t xfr_next(struct xfr_state *x, uint8_t *buf, size_t cap, struct answer_scratch *scratch)
{
	struct wire_writer *w = &scratch->w;
	const struct zone *z = x->zone;
	size_t room = x->tsig_on ? tsig_ctx_room(&x->tsig) : 0;

	if (x->phase >= 3)
		return 0;
	if (cap > ANSWER_MAX_MSG)
		cap = ANSWER_MAX_MSG;
	wire_writer_init(w, buf, cap - room, x->id, WIRE_QR | WIRE_AA);
	if (x->first) {
		wire_put_question(w, x->qname, x->qname_len, x->qtype, WIRE_CLASS_IN);
		x->first = false;
	}
	if (x->phase == 0) {
		if (!xfr_put_soa(w, z))
			goto out;
		/* Up to date: the current SOA alone (RFC 1995 section 2). */
		x->phase = x->kind == METRICS_XFR_UPTODATE ? 3 : 1;
	}
	if (x->phase == 1 && x->kind == METRICS_XFR_IXFR && !ixfr_records(x, w))
		goto out;
	if (x->phase == 1 && x->kind == METRICS_XFR_AXFR && !axfr_records(x, w))
		goto out;
	if (x->phase == 1)
		x->phase = 2;
	if (x->phase == 2 && xfr_put_soa(w, z))
		x->phase = 3;
out:
	wire_writer_finish(w, WIRE_QR | WIRE_AA);
	return xfr_finish_message(x, buf, w->len, cap);
}

#include <config.h>

#include "gslbd/dns/journal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

/* A growing byte buffer of packed records. */
struct rrbuf {
	uint8_t *p;
	size_t len, cap;
	uint32_t count;
};

static void rrbuf_put(struct rrbuf *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
		      const uint8_t *rd, uint16_t rdlen)
{
	size_t olen = dname_len(owner), need = olen + 8 + rdlen;

	if (b->cap - b->len < need) {
		b->cap = (b->cap + need) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, owner, olen);
	b->len += olen;
	wire_set16(b->p + b->len, type);
	b->p[b->len + 2] = (uint8_t)(ttl >> 24);
	b->p[b->len + 3] = (uint8_t)(ttl >> 16);
	b->p[b->len + 4] = (uint8_t)(ttl >> 8);
	b->p[b->len + 5] = (uint8_t)ttl;
	wire_set16(b->p + b->len + 6, rdlen);
	b->len += 8;
	memcpy(b->p + b->len, rd, rdlen);
	b->len += rdlen;
	b->count++;
}

/* The TTL a record is sent with: an RRSIG keeps its covered RRset's
 * (Original TTL), as AXFR sends it. */
static uint32_t rr_ttl(const struct zone_rrset *rs, const uint8_t *rd, uint16_t len)
{
	if (rs->type == WIRE_TYPE_RRSIG && len >= 8)
		return (uint32_t)rd[4] << 24 | (uint32_t)rd[5] << 16 | (uint32_t)rd[6] << 8 | rd[7];
	return rs->ttl;
}

/* Every record of rs into b. */
static void put_all(struct rrbuf *b, const uint8_t *owner, const struct zone_rrset *rs)
{
	uint32_t pos = 0;
	uint16_t len;
	const uint8_t *rd;

	while ((rd = zone_rrset_next(rs, &pos, &len)) != NULL)
		rrbuf_put(b, owner, rs->type, rr_ttl(rs, rd, len), rd, len);
}

/* Is the record rd (len bytes, TTL ttl) in rs? */
static bool rrset_has(const struct zone_rrset *rs, const uint8_t *rd, uint16_t len, uint32_t ttl)
{
	uint32_t pos = 0;
	uint16_t l;
	const uint8_t *r;

	while ((r = zone_rrset_next(rs, &pos, &l)) != NULL)
		if (l == len && memcmp(r, rd, len) == 0 && rr_ttl(rs, r, l) == ttl)
			return true;
	return false;
}

static bool same_rrset(const struct zone_rrset *a, const struct zone_rrset *b)
{
	return a->type == b->type && a->rdata_len == b->rdata_len && a->ttl == b->ttl &&
	       a->rr_count == b->rr_count && memcmp(a->rdata, b->rdata, a->rdata_len) == 0;
}

/* The records of a that are in no RRset of their type among b[0..bcount)
 * into out. A node may hold several RRsets of one type: a load-balanced
 * name's transfer view has an RRSIG RRset for each type it signs. */
static void put_missing(struct rrbuf *out, const uint8_t *owner, const struct zone_rrset *a,
			const struct zone_rrset *b, int bcount)
{
	uint32_t pos = 0;
	uint16_t len;
	const uint8_t *rd;
	bool any = false;

	for (int j = 0; j < bcount; j++) {
		if (same_rrset(a, &b[j]))
			return; /* the same RRset: the usual case */
		any = any || b[j].type == a->type;
	}
	if (!any) {
		put_all(out, owner, a);
		return;
	}
	while ((rd = zone_rrset_next(a, &pos, &len)) != NULL) {
		uint32_t ttl = rr_ttl(a, rd, len);
		bool found = false;

		for (int j = 0; j < bcount && !found; j++)
			found = b[j].type == a->type && rrset_has(&b[j], rd, len, ttl);
		if (!found)
			rrbuf_put(out, owner, a->type, ttl, rd, len);
	}
}

/* The RRsets a transfer sends for node n: its own, or a load-balanced
 * name's from lbsig. */
static int node_rrsets(const struct lbsig_table *lbsig, const struct zone_node *n,
		       const struct zone_rrset **rrsets)
{
	int count;

	*rrsets = n->rrsets;
	count = lbsig_xfr_rrsets(lbsig, n, rrsets);
	if (count < 0) {
		*rrsets = n->rrsets;
		count = n->rrset_count;
	}
	return count;
}

/* The RRsets of node a (under lbsig la) not (or not alike) in node b
 * (under lb; b NULL: none) into out; the SOA of the apex is left out (it
 * opens each list). */
static void node_missing(struct rrbuf *out, const struct zone_node *a,
			 const struct lbsig_table *la, const struct zone_node *b,
			 const struct lbsig_table *lb)
{
	const struct zone_rrset *ars, *brs = NULL;
	int acount = node_rrsets(la, a, &ars), bcount = b != NULL ? node_rrsets(lb, b, &brs) : 0;

	for (int i = 0; i < acount; i++) {
		if (ars[i].type == WIRE_TYPE_SOA && (a->flags & ZONE_NODE_APEX))
			continue;
		put_missing(out, a->name, &ars[i], brs, bcount);
	}
}

static void put_soa(struct rrbuf *b, const struct zone *z)
{
	const struct zone_rrset *soa = zone_soa(z);
	uint32_t pos = 0;
	uint16_t len;
	const uint8_t *rd = zone_rrset_next(soa, &pos, &len);

	rrbuf_put(b, zone_origin(z), WIRE_TYPE_SOA, soa->ttl, rd, len);
}

/* The difference from old to cur, whatever their serials. */
static struct journal_diff *diff_build(const struct zone *old, const struct lbsig_table *old_lbsig,
				       const struct zone *cur, const struct lbsig_table *cur_lbsig)
{
	struct rrbuf del = {0}, add = {0};
	size_t i = 0, j = 0, on = zone_node_count(old), cn = zone_node_count(cur);
	struct journal_diff *d;

	put_soa(&del, old);
	put_soa(&add, cur);
	/* Both node lists are in canonical order: one merge walk. */
	while (i < on || j < cn) {
		const struct zone_node *a = i < on ? zone_node_at(old, i) : NULL;
		const struct zone_node *b = j < cn ? zone_node_at(cur, j) : NULL;
		int c = a == NULL ? 1 : b == NULL ? -1 : dname_compare(a->name, b->name);

		if (c < 0) {
			node_missing(&del, a, old_lbsig, NULL, NULL);
			i++;
		} else if (c > 0) {
			node_missing(&add, b, cur_lbsig, NULL, NULL);
			j++;
		} else {
			node_missing(&del, a, old_lbsig, b, cur_lbsig);
			node_missing(&add, b, cur_lbsig, a, old_lbsig);
			i++;
			j++;
		}
	}
	d = xcalloc(1, sizeof(*d));
	atomic_init(&d->refs, 1);
	d->from = zone_serial(old);
	d->to = zone_serial(cur);
	d->del = del.p;
	d->del_len = del.len;
	d->del_count = del.count;
	d->add = add.p;
	d->add_len = add.len;
	d->add_count = add.count;
	return d;
}

struct journal_diff *journal_diff_make(const struct zone *old, const struct lbsig_table *old_lbsig,
				       const struct zone *cur, const struct lbsig_table *cur_lbsig)
{
	if (zone_serial(old) == zone_serial(cur))
		return NULL;
	return diff_build(old, old_lbsig, cur, cur_lbsig);
}

static void diff_unref(struct journal_diff *d);

bool journal_same_content(const struct zone *old, const struct lbsig_table *old_lbsig,
			  const struct zone *cur, const struct lbsig_table *cur_lbsig)
{
	struct journal_diff *d = diff_build(old, old_lbsig, cur, cur_lbsig);
	bool same = d->del_count == 1 && d->add_count == 1 && d->del_len == d->add_len &&
		    memcmp(d->del, d->add, d->del_len) == 0;

	diff_unref(d);
	return same;
}

static size_t diff_bytes(const struct journal_diff *d)
{
	return sizeof(*d) + d->del_len + d->add_len;
}

static void diff_unref(struct journal_diff *d)
{
	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	free(d->del);
	free(d->add);
	free(d);
}

struct journal *journal_append(const struct journal *prev, struct journal_diff *d,
			       size_t max_bytes)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	size_t n = prev != NULL ? prev->count : 0, first = 0;

	atomic_init(&j->refs, 1);
	if (d != NULL && n > 0 && prev->diffs[n - 1]->to != d->from)
		n = 0; /* a gap: what came before no longer leads here */
	if (d != NULL && prev != NULL && prev->skip && prev->skip_serial == d->from) {
		/* Clients at d->from may hold another version of it. */
		diff_unref(d);
		d = NULL;
	}
	j->diffs = xcalloc(n + 1, sizeof(*j->diffs));
	for (size_t i = 0; i < n; i++)
		j->bytes += diff_bytes(prev->diffs[i]);
	if (d != NULL)
		j->bytes += diff_bytes(d);
	/* The oldest go first. */
	while (first < n && j->bytes > max_bytes) {
		j->bytes -= diff_bytes(prev->diffs[first]);
		first++;
	}
	for (size_t i = first; i < n; i++) {
		atomic_fetch_add(&prev->diffs[i]->refs, 1);
		j->diffs[j->count++] = prev->diffs[i];
	}
	if (d != NULL) {
		if (j->bytes <= max_bytes) {
			j->diffs[j->count++] = d;
		} else {
			j->bytes -= diff_bytes(d);
			diff_unref(d);
		}
	}
	return j;
}

struct journal *journal_ref(struct journal *j)
{
	if (j != NULL)
		atomic_fetch_add(&j->refs, 1);
	return j;
}

void journal_unref(struct journal *j)
{
	if (j == NULL || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	for (size_t i = 0; i < j->count; i++)
		diff_unref(j->diffs[i]);
	free(j->diffs);
	free(j);
}

long journal_find(const struct journal *j, uint32_t serial)
{
	if (j == NULL)
		return -1;
	for (size_t i = 0; i < j->count; i++)
		if (j->diffs[i]->from == serial)
			return (long)i;
	return -1;
}

int journal_rr_next(const uint8_t *p, size_t len, size_t *pos, const uint8_t **owner,
		    uint16_t *type, uint32_t *ttl, const uint8_t **rdata, uint16_t *rdlen)
{
	size_t o = *pos, olen;

	if (o >= len)
		return -1;
	*owner = p + o;
	olen = dname_len(p + o);
	o += olen;
	*type = wire_get16(p + o);
	*ttl = (uint32_t)p[o + 2] << 24 | (uint32_t)p[o + 3] << 16 | (uint32_t)p[o + 4] << 8 |
	       p[o + 5];
	*rdlen = wire_get16(p + o + 6);
	*rdata = p + o + 8;
	*pos = o + 8 + *rdlen;
	return 0;
}

struct journal **journals_next(const struct config *cfg, const struct zone_set *prev_zones,
			       const struct lbsig_table *prev_lbsig,
			       struct journal *const *prev_journals, const struct zone_set *cur,
			       const struct lbsig_table *cur_lbsig)
{
	size_t n = zone_set_count(cur);
	struct journal **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		const struct zone *z = zone_set_zone(cur, i);
		const uint8_t *origin = zone_origin(z);
		const struct zone *old = NULL;
		const struct journal *pj = NULL;
		struct journal_diff *d = NULL;

		if (prev_zones != NULL) {
			old = zone_set_find(prev_zones, origin, dname_len(origin));
			if (old != NULL && (dname_len(zone_origin(old)) != dname_len(origin) ||
					    memcmp(zone_origin(old), origin, dname_len(origin)) != 0))
				old = NULL; /* a parent zone */
		}
		/* A zone without data (a secondary zone not transferred, or
		 * expired) has no differences to or from it. */
		if (old != NULL && (zone_soa(old) == NULL || zone_soa(z) == NULL))
			old = NULL;
		if (old != NULL && prev_journals != NULL)
			pj = prev_journals[zone_index(old)];
		if (old != NULL && zone_serial(old) == zone_serial(z)) {
			if (pj == NULL || cfg->journal_max == 0 ||
			    journal_same_content(old, prev_lbsig, z, cur_lbsig)) {
				out[i] = pj != NULL ? journal_ref((struct journal *)pj)
						    : journal_append(NULL, NULL, cfg->journal_max);
				continue;
			}
			/* New content under the same serial (a re-signing): a
			 * secondary at this serial holds the version before, so
			 * no difference leads from it any more, nor from the
			 * serial to the next one. */
			out[i] = journal_append(NULL, NULL, cfg->journal_max);
			out[i]->skip = true;
			out[i]->skip_serial = zone_serial(z);
			continue;
		}
		if (old != NULL && cfg->journal_max > 0)
			d = journal_diff_make(old, prev_lbsig, z, cur_lbsig);
		out[i] = journal_append(pj, d, cfg->journal_max);
	}
	return out;
}

void journals_free(struct journal **j, size_t count)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		journal_unref(j[i]);
	free(j);
}

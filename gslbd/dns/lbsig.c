#include <config.h>

#include "gslbd/dns/lbsig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone.h"

_Atomic unsigned long lbsig_online_signs;

/* One signed RRset. */
struct entry {
	uint64_t hash;
	uint32_t lbname;
	uint16_t type;
	uint32_t ttl;
	size_t data_off;  /* its records, packed and sorted, in the arena */
	uint32_t data_len;
	size_t sig_off;   /* its RRSIG records, packed, in the arena */
	uint32_t sig_len;
	struct zone_rrset sigs; /* pointing into the arena once built */
};

/* A signed NSEC (NSEC3) record of a load-balanced name. */
struct denial {
	bool has;                      /* made: the zone has the name's record */
	const struct zone_node *node;  /* the zone's record's node (the name's, the NSEC3's) */
	uint16_t type;                 /* NSEC or NSEC3 */
	size_t off, sig_off;           /* the record and its RRSIGs, packed, in the arena */
	uint32_t len, sig_len;         /* their bytes */
	uint32_t ttl;                  /* the zone's record's TTL */
	struct zone_rrset rrset, sigs; /* pointing into the arena once built */
};

/* Most RRsets a transfer carries at one node for a load-balanced name: A,
 * AAAA, NSEC and an RRSIG RRset for each. */
#define XFR_VIEW_MAX 6

/* What is known of one load-balanced name. */
struct name {
	const struct sign_keys *keys; /* its zone's, or NULL: not signed in memory */
	uint8_t owner[DNAME_MAXLEN];  /* canonical owner */
	const struct zone_node *node; /* its node in the zone */
	struct denial nodata;         /* NSEC (NSEC3) listing no address type */
	size_t xfr_entry[2];          /* the entries of its transfer answer: A, AAAA or a CNAME */
	unsigned xfr_count;           /* entries at xfr_entry */
	struct denial xfr;            /* NSEC (NSEC3) listing the transfer answer's types */
	/* What a transfer carries: at node, then (NSEC3) at xfr.node. */
	struct zone_rrset view[XFR_VIEW_MAX];
	unsigned view_count; /* entries of view at node */
	uint32_t zone_expire;    /* zone_sig_expire() of its zone */
	const struct name *prev; /* while building: the name of the same owner in the table
				  * before, or NULL */
};

/* The load-balanced name whose NSEC3 record a node holds. */
struct by_node {
	uintptr_t node;  /* the NSEC3 record's node */
	uint32_t lbname; /* the name */
};

/* A signed name of the table before, by owner. */
struct prev_owner {
	const uint8_t *owner;
	const struct name *name;
};

struct lbsig_table {
	struct entry *entries;
	size_t count, cap;
	uint32_t *slots; /* entry index + 1, 0 when free */
	size_t mask;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct name *names; /* cfg->lbname_count */
	size_t name_count;
	struct by_node *by_nsec3; /* names with an NSEC3 record, by its node */
	size_t by_nsec3_count;
	const struct lbsig_table *prev; /* while building: the table before, or NULL */
	struct prev_owner *prev_sorted; /* while building: prev's signed names by owner, or NULL */
	size_t prev_sorted_count;
	size_t kept; /* RRsets whose signatures came from prev */
};

/* A record to sign or look up. */
struct rec {
	const uint8_t *rd;
	uint16_t len;
};

static void sort_recs(struct rec *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct rec x = r[i];
		unsigned j = i;

		while (j > 0) {
			const struct rec *p = &r[j - 1];
			int c = memcmp(p->rd, x.rd, p->len < x.len ? p->len : x.len);

			if (c < 0 || (c == 0 && p->len <= x.len))
				break;
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

static uint64_t key_hash(uint32_t lbname, uint16_t type, uint32_t ttl, const struct rec *r,
			 unsigned n)
{
	uint64_t h = hash_mix64(((uint64_t)lbname << 32) ^ ((uint64_t)type << 16) ^ ttl ^ n);

	for (unsigned i = 0; i < n; i++) {
		uint64_t w = r[i].len;

		for (uint16_t b = 0; b < r[i].len; b++) {
			w = w << 8 | r[i].rd[b];
			if ((b & 7) == 7) {
				h = hash_mix64(h ^ w);
				w = 0;
			}
		}
		h = hash_mix64(h ^ w ^ 0x9e3779b97f4a7c15ull);
	}
	return h;
}

static bool recs_match(const uint8_t *data, uint32_t len, const struct rec *r, unsigned n)
{
	uint32_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		if (pos + 2u + r[i].len > len || (uint16_t)(data[pos] << 8 | data[pos + 1]) != r[i].len ||
		    memcmp(data + pos + 2, r[i].rd, r[i].len) != 0)
			return false;
		pos += 2u + r[i].len;
	}
	return pos == len;
}

static const struct entry *find(const struct lbsig_table *t, uint64_t h, uint32_t lbname,
				uint16_t type, uint32_t ttl, const struct rec *r, unsigned n)
{
	if (t->slots == NULL)
		return NULL;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];
		const struct entry *e;

		if (s == 0)
			return NULL;
		e = &t->entries[s - 1];
		if (e->hash == h && e->lbname == lbname && e->type == type && e->ttl == ttl &&
		    recs_match(t->arena + e->data_off, e->data_len, r, n))
			return e;
	}
}

static size_t arena_put(struct lbsig_table *t, const void *p, size_t len)
{
	size_t off = t->arena_len;

	if (t->arena_len + len > t->arena_cap) {
		while (t->arena_len + len > t->arena_cap)
			t->arena_cap = t->arena_cap ? t->arena_cap * 2 : 65536;
		t->arena = xreallocarray(t->arena, t->arena_cap, 1);
	}
	memcpy(t->arena + off, p, len);
	t->arena_len += len;
	return off;
}

static void rehash(struct lbsig_table *t, size_t size)
{
	free(t->slots);
	t->slots = xcalloc(size, sizeof(*t->slots));
	t->mask = size - 1;
	for (size_t i = 0; i < t->count; i++) {
		size_t s = t->entries[i].hash & t->mask;

		while (t->slots[s] != 0)
			s = (s + 1) & t->mask;
		t->slots[s] = (uint32_t)(i + 1);
	}
}

/* Pack sorted records (2-byte length, RDATA each) into buf. */
static uint32_t pack(const struct rec *r, unsigned n, uint8_t *buf)
{
	uint32_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		buf[pos] = (uint8_t)(r[i].len >> 8);
		buf[pos + 1] = (uint8_t)r[i].len;
		memcpy(buf + pos + 2, r[i].rd, r[i].len);
		pos += 2u + r[i].len;
	}
	return pos;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Is key one of ks's (the same DNSKEY)? */
static bool has_key(const struct sign_keys *ks, const struct sign_key *key)
{
	for (size_t i = 0; ks != NULL && i < ks->count; i++) {
		const struct sign_key *k = &ks->keys[i];

		if (k == key ||
		    (k->tag == key->tag && k->alg == key->alg && k->dnskey_len == key->dnskey_len &&
		     memcmp(k->dnskey, key->dnskey, key->dnskey_len) == 0))
			return true;
	}
	return false;
}

/* The RRSIGs at psig (plen bytes, packed; made with pkeys) of an RRset
 * identical to the one of type and ttl nm signs now, when they can stand
 * for the ones nm's keys would make: for each key that signs the type, one
 * by that key (a key of pkeys too) for the same signer, in force, expiring
 * later than refresh from the signing time and not before the earliest
 * signature of the zone (so the zone's re-signing comes first). Copied to
 * out (cap bytes) in the order of the keys; returns their bytes, or 0. */
static long kept_sigs(const struct name *nm, const struct sign_keys *pkeys, const uint8_t *psig,
		      uint32_t plen, uint16_t type, uint32_t ttl, uint8_t *out, size_t cap)
{
	const struct sign_keys *ks = nm->keys;
	size_t n = 0;

	for (size_t k = 0; k < ks->count; k++) {
		const struct sign_key *key = &ks->keys[k];
		const uint8_t *hit = NULL;
		uint16_t hlen = 0;

		if (!key->signs_data)
			continue;
		if (pkeys != ks && !has_key(pkeys, key))
			return 0;
		for (uint32_t p = 0; hit == NULL && p + 2 <= plen;) {
			uint16_t len = (uint16_t)(psig[p] << 8 | psig[p + 1]);
			const uint8_t *rd = psig + p + 2;

			p += 2u + len;
			if (p > plen || len <= 18 + ks->origin_len ||
			    (uint16_t)(rd[0] << 8 | rd[1]) != type || rd[2] != key->alg ||
			    (uint16_t)(rd[16] << 8 | rd[17]) != key->tag || rd32(rd + 4) != ttl ||
			    memcmp(rd + 18, ks->origin, ks->origin_len) != 0 ||
			    (int32_t)(rd32(rd + 8) - ks->now) <= (int32_t)ks->refresh ||
			    (int32_t)(ks->now - rd32(rd + 12)) < 0 ||
			    (nm->zone_expire != 0 && (int32_t)(rd32(rd + 8) - nm->zone_expire) < 0))
				continue;
			hit = rd;
			hlen = len;
		}
		if (hit == NULL || n + 2 + hlen > cap)
			return 0;
		out[n] = (uint8_t)(hlen >> 8);
		out[n + 1] = (uint8_t)hlen;
		memcpy(out + n + 2, hit, hlen);
		n += 2u + hlen;
	}
	return (long)n;
}

/* Sign and add one RRset (records sorted, no duplicates) unless present;
 * its entry's index at *at (unless NULL). The signatures of the same
 * RRset in the table before are kept when they are as good (kept_sigs()). */
static int add(struct lbsig_table *t, uint32_t lbname, uint16_t type, uint32_t ttl,
	       const struct rec *r, unsigned n, size_t *at, struct gslb_err *err)
{
	const struct name *nm = &t->names[lbname];
	uint64_t h = key_hash(lbname, type, ttl, r, n);
	uint8_t data[LBSIG_RR_MAX * 18];
	uint8_t sigs[8 * SIGN_RRSIG_MAX];
	struct sign_rrset rs;
	struct entry *e;
	long sl;
	const struct entry *found = find(t, h, lbname, type, ttl, r, n);
	size_t cap = nm->keys->count <= 8 ? nm->keys->count * SIGN_RRSIG_MAX : sizeof(sigs);

	if (found != NULL) {
		if (at != NULL)
			*at = (size_t)(found - t->entries);
		return 0;
	}
	rs.owner = nm->owner;
	rs.expiration = 0; /* not jittered: never before the zone's earliest */
	rs.type = type;
	rs.ttl = ttl;
	rs.rdata = data;
	rs.rdata_len = pack(r, n, data);
	rs.rr_count = (uint16_t)n;
	sl = 0;
	if (nm->prev != NULL) {
		uint32_t pl = (uint32_t)(nm->prev - t->prev->names);
		const struct entry *pe =
		    find(t->prev, key_hash(pl, type, ttl, r, n), pl, type, ttl, r, n);

		if (pe != NULL)
			sl = kept_sigs(nm, nm->prev->keys, t->prev->arena + pe->sig_off,
				       pe->sig_len, type, ttl, sigs, cap);
	}
	if (sl > 0)
		t->kept++;
	else
		sl = sign_rrset(nm->keys, &rs, sigs, cap, err);
	if (sl < 0)
		return (int)sl;
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->entries = xreallocarray(t->entries, t->cap, sizeof(*t->entries));
	}
	if (at != NULL)
		*at = t->count;
	e = &t->entries[t->count++];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->lbname = lbname;
	e->type = type;
	e->ttl = ttl;
	e->data_off = arena_put(t, data, rs.rdata_len);
	e->data_len = rs.rdata_len;
	e->sig_off = arena_put(t, sigs, (size_t)sl);
	e->sig_len = (uint32_t)sl;
	for (long p = 0; p + 2 <= sl; p += 2 + (sigs[p] << 8 | sigs[p + 1]))
		e->sigs.rr_count++;
	if ((t->count + 1) * 2 > t->mask + 1)
		rehash(t, (t->mask + 1) * 2);
	else {
		size_t s = h & t->mask;

		while (t->slots[s] != 0)
			s = (s + 1) & t->mask;
		t->slots[s] = (uint32_t)t->count;
	}
	return 0;
}

/* The VIPs of type of the datacenters dcs[idx[0..k)] without duplicates,
 * sorted, into r. */
static unsigned gather(const struct config *cfg, const size_t *dcs, const unsigned *idx,
		       unsigned k, bool v6, struct rec *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < k; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[dcs[idx[i]]];
		size_t c = v6 ? dc->ipv6_count : dc->ipv4_count;

		if (dc->cname != NULL)
			continue;
		for (size_t j = 0; j < c && n < LBSIG_RR_MAX; j++) {
			const uint8_t *a = v6 ? dc->ipv6[j] : dc->ipv4[j];
			bool dup = false;

			for (unsigned x = 0; x < n && !dup; x++)
				dup = memcmp(r[x].rd, a, v6 ? 16 : 4) == 0;
			if (dup)
				continue;
			r[n].rd = a;
			r[n].len = v6 ? 16 : 4;
			n++;
		}
	}
	sort_recs(r, n);
	return n;
}

/* Sign every set of up to pool->answers datacenters of the pool, smallest
 * first, LBSIG_PRESIGN_MAX at most per type; and its CNAMEs. */
static int sign_pool(struct lbsig_table *t, const struct config *cfg, uint32_t lbname,
		     const struct config_pool *p, struct gslb_err *err)
{
	unsigned nd = (unsigned)p->dc_count;
	unsigned kmax = p->answers < nd ? p->answers : nd;
	unsigned idx[LB_MAX_ANSWERS + 1];
	struct rec r[LBSIG_RR_MAX];
	size_t done = 0;
	int rc;

	if (kmax > LB_MAX_ANSWERS)
		kmax = LB_MAX_ANSWERS;
	for (unsigned i = 0; i < nd; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[p->dcs[i]];
		uint8_t target[DNAME_MAXLEN];
		int len;

		if (dc->cname == NULL || (len = dname_from_str(dc->cname, target)) < 0)
			continue;
		r[0].rd = target;
		r[0].len = (uint16_t)len;
		if ((rc = add(t, lbname, WIRE_TYPE_CNAME, p->ttl, r, 1, NULL, err)) != 0)
			return rc;
	}
	for (unsigned k = 1; k <= kmax && done < LBSIG_PRESIGN_MAX; k++) {
		for (unsigned i = 0; i < k; i++)
			idx[i] = i;
		for (;;) {
			for (int v6 = 0; v6 < 2; v6++) {
				unsigned n = gather(cfg, p->dcs, idx, k, v6 != 0, r);

				if (n > 0 && (rc = add(t, lbname, v6 ? WIRE_TYPE_AAAA : WIRE_TYPE_A,
						       p->ttl, r, n, NULL, err)) != 0)
					return rc;
			}
			if (++done >= LBSIG_PRESIGN_MAX)
				break;
			/* next combination of k out of nd */
			int i = (int)k - 1;

			while (i >= 0 && idx[i] == nd - k + (unsigned)i)
				i--;
			if (i < 0)
				break;
			idx[i]++;
			for (unsigned j = (unsigned)i + 1; j < k; j++)
				idx[j] = idx[j - 1] + 1;
		}
	}
	if (done >= LBSIG_PRESIGN_MAX)
		log_info("%s: %s: more than %u answer sets; the others are signed when first "
			 "answered",
			 cfg->lbnames[lbname].name, p->name, LBSIG_PRESIGN_MAX);
	return 0;
}

/* The NSEC (NSEC3) of the name's node listing types[0..nt) (and RRSIG, and
 * NSEC for an NSEC) instead of the zone's record's types, signed, into d;
 * nothing when the zone has no such record. prev: the same record of the
 * name in the table before (NULL: none), whose signatures are kept when
 * the record is identical and they are as good (kept_sigs()). */
static int sign_denial(struct lbsig_table *t, const struct name *nm, const struct zone *z,
		       const uint16_t *types, unsigned nt, const struct denial *prev,
		       struct denial *d, struct gslb_err *err)
{
	const struct zone_node *node = nm->node;
	uint16_t all[8];
	const struct zone_rrset *nsec;
	uint8_t rd[2 + 300 + 40];
	uint8_t sigs[8 * SIGN_RRSIG_MAX];
	struct sign_rrset rs;
	size_t len;
	long sl;

	if (nt > 0)
		memcpy(all, types, nt * sizeof(*types));
	all[nt++] = WIRE_TYPE_RRSIG;
	if (zone_nsec3(z) != NULL) {
		bool m;
		const struct zone_node *n3 = zone_nsec3_find(z, nm->owner, &m);
		size_t fixed;

		nsec = n3 != NULL && m ? zone_node_rrset(n3, WIRE_TYPE_NSEC3) : NULL;
		if (nsec == NULL || nsec->rr_count != 1 || nsec->rdata_len < 2 + 6)
			return 0;
		/* alg, flags, iterations, salt, next hash: kept; bitmap: replaced */
		fixed = 5u + nsec->rdata[2 + 4];
		if (2 + fixed + 1 > nsec->rdata_len)
			return 0;
		fixed += 1u + nsec->rdata[2 + fixed];
		if (2 + fixed > nsec->rdata_len || fixed > 300)
			return 0;
		memcpy(rd + 2, nsec->rdata + 2, fixed);
		len = fixed + sign_type_bitmap(all, nt, rd + 2 + fixed);
		d->node = n3;
		d->type = WIRE_TYPE_NSEC3;
	} else {
		nsec = node != NULL ? zone_node_rrset(node, WIRE_TYPE_NSEC) : NULL;
		if (nsec == NULL || nsec->rr_count != 1)
			return 0;
		all[nt++] = WIRE_TYPE_NSEC;
		len = sign_nsec_rdata(nsec->rdata + 2, all, nt, rd + 2);
		d->node = node;
		d->type = WIRE_TYPE_NSEC;
	}
	rd[0] = (uint8_t)(len >> 8);
	rd[1] = (uint8_t)len;
	rs.owner = d->node->name;
	rs.expiration = 0; /* not jittered: never before the zone's earliest */
	rs.type = d->type;
	rs.ttl = nsec->ttl;
	rs.rdata = rd;
	rs.rdata_len = (uint32_t)len + 2;
	rs.rr_count = 1;
	sl = 0;
	if (prev != NULL && prev->has && prev->type == d->type && prev->ttl == nsec->ttl &&
	    prev->len == rs.rdata_len &&
	    memcmp(t->prev->arena + prev->off, rd, rs.rdata_len) == 0 &&
	    dname_compare(prev->node->name, d->node->name) == 0)
		sl = kept_sigs(nm, nm->prev->keys, t->prev->arena + prev->sig_off, prev->sig_len,
			       d->type, nsec->ttl, sigs,
			       nm->keys->count <= 8 ? nm->keys->count * SIGN_RRSIG_MAX
						    : sizeof(sigs));
	if (sl > 0)
		t->kept++;
	else
		sl = sign_rrset(
		    nm->keys, &rs, sigs,
		    nm->keys->count <= 8 ? nm->keys->count * SIGN_RRSIG_MAX : sizeof(sigs), err);
	if (sl < 0)
		return (int)sl;
	d->has = true;
	d->ttl = nsec->ttl;
	d->off = arena_put(t, rd, len + 2);
	d->len = (uint32_t)len + 2;
	d->sig_off = arena_put(t, sigs, (size_t)sl);
	d->sig_len = (uint32_t)sl;
	return 0;
}

/* What a transfer of the zone carries for load-balanced name lbname: the
 * addresses of its transfer_answer datacenters (default: every one of its
 * pool), or when none has any the CNAME of the first CNAME one; signed,
 * with an NSEC (NSEC3) listing their types. */
static int sign_xfr(struct lbsig_table *t, const struct config *cfg, uint32_t lbname,
		    struct name *nm, const struct zone *z, struct gslb_err *err)
{
	const struct config_lbname *lb = &cfg->lbnames[lbname];
	const struct config_pool *p = &cfg->pools[lb->pool];
	const size_t *dcs = lb->xfr_dcs != NULL ? lb->xfr_dcs : p->dcs;
	size_t dc_count = lb->xfr_dcs != NULL ? lb->xfr_dc_count : p->dc_count;
	unsigned *idx = xcalloc(dc_count + 1, sizeof(*idx));
	uint16_t types[2];
	struct rec r[LBSIG_RR_MAX];
	int rc = 0;

	for (unsigned i = 0; i < dc_count; i++)
		idx[i] = i;
	for (int v6 = 0; v6 < 2 && rc == 0; v6++) {
		uint16_t type = v6 ? WIRE_TYPE_AAAA : WIRE_TYPE_A;
		unsigned n = gather(cfg, dcs, idx, (unsigned)dc_count, v6 != 0, r);

		if (n == 0)
			continue;
		rc = add(t, lbname, type, p->ttl, r, n, &nm->xfr_entry[nm->xfr_count], err);
		types[nm->xfr_count++] = type;
	}
	free(idx);
	for (size_t i = 0; i < dc_count && nm->xfr_count == 0 && rc == 0; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[dcs[i]];
		uint8_t target[DNAME_MAXLEN];
		int len;

		if (dc->cname == NULL || (len = dname_from_str(dc->cname, target)) < 0)
			continue;
		r[0].rd = target;
		r[0].len = (uint16_t)len;
		rc = add(t, lbname, WIRE_TYPE_CNAME, p->ttl, r, 1, &nm->xfr_entry[0], err);
		types[nm->xfr_count++] = WIRE_TYPE_CNAME;
	}
	if (rc != 0)
		return rc;
	return sign_denial(t, nm, z, types, nm->xfr_count, nm->prev != NULL ? &nm->prev->xfr : NULL,
			   &nm->xfr, err);
}

static void fix_rrset(struct zone_rrset *rs, const uint8_t *arena, size_t off, uint32_t len,
		      uint16_t type, uint32_t ttl)
{
	rs->type = type;
	rs->ttl = ttl;
	rs->rdata = arena + off;
	rs->rdata_len = len;
	rs->rr_count = 0;
	for (uint32_t p = 0; p + 2 <= len; p += 2u + (uint32_t)(arena[off + p] << 8 | arena[off + p + 1]))
		rs->rr_count++;
}

static void fix_denial(struct denial *d, const uint8_t *arena)
{
	if (!d->has)
		return;
	fix_rrset(&d->rrset, arena, d->off, d->len, d->type, d->ttl);
	fix_rrset(&d->sigs, arena, d->sig_off, d->sig_len, WIRE_TYPE_RRSIG, d->ttl);
}

/* The RRsets a transfer carries for name lbname (its entries' signatures
 * and its denial fixed): its answer, their RRSIGs, then the NSEC and its
 * RRSIGs at its node or (NSEC3) the NSEC3 and its RRSIGs at theirs. */
static void make_view(struct lbsig_table *t, uint32_t lbname)
{
	struct name *nm = &t->names[lbname];
	unsigned k = 0;

	for (unsigned i = 0; i < nm->xfr_count; i++) {
		const struct entry *e = &t->entries[nm->xfr_entry[i]];

		fix_rrset(&nm->view[k++], t->arena, e->data_off, e->data_len, e->type, e->ttl);
	}
	for (unsigned i = 0; i < nm->xfr_count; i++)
		nm->view[k++] = t->entries[nm->xfr_entry[i]].sigs;
	if (nm->xfr.type == WIRE_TYPE_NSEC3) {
		nm->view_count = k;
		t->by_nsec3 = xreallocarray(t->by_nsec3, t->by_nsec3_count + 1, sizeof(*t->by_nsec3));
		t->by_nsec3[t->by_nsec3_count].node = (uintptr_t)nm->xfr.node;
		t->by_nsec3[t->by_nsec3_count++].lbname = lbname;
	}
	nm->view[k++] = nm->xfr.rrset;
	nm->view[k++] = nm->xfr.sigs;
	if (nm->xfr.type == WIRE_TYPE_NSEC)
		nm->view_count = k;
}

static int cmp_by_node(const void *a, const void *b)
{
	uintptr_t x = ((const struct by_node *)a)->node, y = ((const struct by_node *)b)->node;

	return x < y ? -1 : x > y;
}

static int cmp_owner(const uint8_t *a, const uint8_t *b)
{
	size_t la = dname_len(a), lb = dname_len(b);

	return la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
}

static int cmp_prev_owner(const void *a, const void *b)
{
	return cmp_owner(((const struct prev_owner *)a)->owner,
			 ((const struct prev_owner *)b)->owner);
}

/* The signed name of owner in t->prev (the one at the same index first),
 * or NULL. */
static const struct name *prev_name(struct lbsig_table *t, size_t n, const uint8_t *owner)
{
	const struct lbsig_table *p = t->prev;
	size_t lo = 0, hi;

	if (p == NULL)
		return NULL;
	if (n < p->name_count && p->names[n].keys != NULL &&
	    cmp_owner(p->names[n].owner, owner) == 0)
		return &p->names[n];
	if (t->prev_sorted == NULL) {
		t->prev_sorted = xcalloc(p->name_count + 1, sizeof(*t->prev_sorted));
		for (size_t i = 0; i < p->name_count; i++) {
			if (p->names[i].keys == NULL)
				continue;
			t->prev_sorted[t->prev_sorted_count].owner = p->names[i].owner;
			t->prev_sorted[t->prev_sorted_count++].name = &p->names[i];
		}
		if (t->prev_sorted_count > 1)
			qsort(t->prev_sorted, t->prev_sorted_count, sizeof(*t->prev_sorted),
			      cmp_prev_owner);
	}
	hi = t->prev_sorted_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_owner(t->prev_sorted[mid].owner, owner);

		if (c == 0)
			return t->prev_sorted[mid].name;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int lbsig_build(const struct config *cfg, const struct zone_set *zones,
		const struct lbsig_table *prev, struct lbsig_table **out, struct gslb_err *err)
{
	struct lbsig_table *t = xcalloc(1, sizeof(*t));
	bool any = false;
	int rc = 0;

	*out = NULL;
	t->names = xcalloc(cfg->lbname_count + 1, sizeof(*t->names));
	t->name_count = cfg->lbname_count;
	t->prev = prev;
	rehash(t, 64);
	for (size_t n = 0; n < cfg->lbname_count && rc == 0; n++) {
		const struct config_lbname *lb = &cfg->lbnames[n];
		const struct zone *z = lb->zone < zone_set_count(zones) ? zone_set_zone(zones, lb->zone)
									: NULL;
		struct name *nm = &t->names[n];
		size_t pool = lb->pool;

		if (z == NULL || zone_keys(z) == NULL || dname_from_str(lb->name, nm->owner) < 0)
			continue;
		nm->keys = zone_keys(z);
		nm->zone_expire = zone_sig_expire(z);
		nm->prev = prev_name(t, n, nm->owner);
		any = true;
		for (unsigned hop = 0; hop <= LB_MAX_FALLBACKS && pool < cfg->pool_count && rc == 0;
		     hop++) {
			const struct config_pool *p = &cfg->pools[pool];

			rc = sign_pool(t, cfg, (uint32_t)n, p, err);
			if (p->all_down != POOL_ALL_DOWN_FALLBACK)
				break;
			pool = p->fallback;
		}
		nm->node = zone_find_node(z, nm->owner, dname_len(nm->owner));
		if (rc == 0)
			rc = sign_denial(t, nm, z, NULL, 0,
					 nm->prev != NULL ? &nm->prev->nodata : NULL, &nm->nodata,
					 err);
		if (rc == 0)
			rc = sign_xfr(t, cfg, (uint32_t)n, nm, z, err);
	}
	/* Nothing of prev is pointed to from here on. */
	free(t->prev_sorted);
	t->prev_sorted = NULL;
	t->prev_sorted_count = 0;
	t->prev = NULL;
	for (size_t n = 0; n < t->name_count; n++)
		t->names[n].prev = NULL;
	if (rc != 0 || !any) {
		lbsig_free(t);
		return rc;
	}
	for (size_t i = 0; i < t->count; i++) {
		struct entry *e = &t->entries[i];

		fix_rrset(&e->sigs, t->arena, e->sig_off, e->sig_len, WIRE_TYPE_RRSIG, e->ttl);
	}
	for (size_t n = 0; n < t->name_count; n++) {
		struct name *nm = &t->names[n];

		fix_denial(&nm->nodata, t->arena);
		fix_denial(&nm->xfr, t->arena);
		if (nm->xfr.has)
			make_view(t, (uint32_t)n);
	}
	if (t->by_nsec3_count > 1) /* by_nsec3 may be NULL when empty */
		qsort(t->by_nsec3, t->by_nsec3_count, sizeof(*t->by_nsec3), cmp_by_node);
	log_info("DNSSEC: %zu load-balanced answer RRsets signed in advance; %zu RRsets "
		 "(answers, NSEC, NSEC3) keep the signatures made before",
		 t->count, t->kept);
	*out = t;
	return 0;
}

void lbsig_free(struct lbsig_table *t)
{
	if (t == NULL)
		return;
	free(t->entries);
	free(t->slots);
	free(t->arena);
	free(t->names);
	free(t->by_nsec3);
	free(t);
}

/* The records as given, sorted, in r (n <= LBSIG_RR_MAX). */
static void to_recs(const uint8_t *const *rdata, const uint16_t *len, unsigned n, struct rec *r)
{
	for (unsigned i = 0; i < n; i++) {
		r[i].rd = rdata[i];
		r[i].len = len[i];
	}
	sort_recs(r, n);
}

const struct zone_rrset *lbsig_find(const struct lbsig_table *t, uint32_t lbname, uint16_t type,
				    uint32_t ttl, const uint8_t *const *rdata, const uint16_t *len,
				    unsigned n)
{
	struct rec r[LBSIG_RR_MAX];
	const struct entry *e;

	if (t == NULL || n == 0 || n > LBSIG_RR_MAX)
		return NULL;
	to_recs(rdata, len, n, r);
	e = find(t, key_hash(lbname, type, ttl, r, n), lbname, type, ttl, r, n);
	return e != NULL ? &e->sigs : NULL;
}

int lbsig_sign(const struct lbsig_table *t, uint32_t lbname, const uint8_t *owner, uint16_t type,
	       uint32_t ttl, const uint8_t *const *rdata, const uint16_t *len, unsigned n,
	       uint8_t *out, size_t cap, struct zone_rrset *rrset)
{
	struct rec r[LBSIG_RR_MAX];
	uint8_t *data;
	struct sign_rrset rs;
	struct gslb_err err = {{0}};
	long sl;

	if (t == NULL || lbname >= t->name_count || t->names[lbname].keys == NULL || n == 0 ||
	    n > LBSIG_RR_MAX)
		return 0;
	to_recs(rdata, len, n, r);
	data = xmalloc((size_t)n * (2 + 65535u));
	rs.owner = owner;
	rs.expiration = 0; /* not jittered: never before the zone's earliest */
	rs.type = type;
	rs.ttl = ttl;
	rs.rdata = data;
	rs.rdata_len = pack(r, n, data);
	rs.rr_count = (uint16_t)n;
	sl = sign_rrset(t->names[lbname].keys, &rs, out, cap, &err);
	free(data);
	if (sl < 0)
		return -1;
	atomic_fetch_add_explicit(&lbsig_online_signs, 1, memory_order_relaxed);
	fix_rrset(rrset, out, 0, (uint32_t)sl, WIRE_TYPE_RRSIG, ttl);
	return rrset->rr_count;
}

const struct zone_rrset *lbsig_nodata_nsec(const struct lbsig_table *t, uint32_t lbname,
					   const struct zone_rrset **sigs, const uint8_t **owner)
{
	if (t == NULL || lbname >= t->name_count || !t->names[lbname].nodata.has)
		return NULL;
	*sigs = &t->names[lbname].nodata.sigs;
	*owner = t->names[lbname].nodata.node->name;
	return &t->names[lbname].nodata.rrset;
}

int lbsig_xfr_rrsets(const struct lbsig_table *t, const struct zone_node *node,
		     const struct zone_rrset **out)
{
	const struct name *nm;

	if (t == NULL)
		return -1;
	if ((node->flags & ZONE_NODE_DYNAMIC) != 0) {
		if (node->dyn_id >= t->name_count)
			return -1;
		nm = &t->names[node->dyn_id];
		if (!nm->xfr.has || nm->node != node)
			return -1;
		*out = nm->view;
		return (int)nm->view_count;
	}
	if ((node->flags & ZONE_NODE_NSEC3) != 0) {
		size_t lo = 0, hi = t->by_nsec3_count;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t->by_nsec3[mid].node < (uintptr_t)node)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == t->by_nsec3_count || t->by_nsec3[lo].node != (uintptr_t)node)
			return -1;
		nm = &t->names[t->by_nsec3[lo].lbname];
		*out = nm->view + nm->view_count;
		return 2;
	}
	return -1;
}

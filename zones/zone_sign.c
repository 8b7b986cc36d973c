/* Signing a compiled zone: the DNSKEY RRset at the apex, an NSEC chain over
 * the authoritative names in canonical order (dynamic names included), and
 * an RRSIG for every authoritative RRset. The records are added to the zone
 * by rebuilding it (zone.c). */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone-internal.h"

#define T_NS 2
#define T_SOA 6
#define T_CNAME 5
#define T_A 1
#define T_AAAA 28
#define T_DS 43
#define T_RRSIG 46
#define T_NSEC 47
#define T_DNSKEY 48
#define T_NSEC3 50
#define T_NSEC3PARAM 51

/* One name of the NSEC3 chain. */
struct h3 {
	uint8_t hash[20];
	uint32_t node; /* index of the name's node */
};

static void extra_add(struct zone_extras *ex, const uint8_t *owner, uint16_t type, uint32_t ttl,
		      const uint8_t *rd, size_t len)
{
	if (ex->n == ex->cap) {
		ex->cap = ex->cap ? ex->cap * 2 : 256;
		ex->v = xreallocarray(ex->v, ex->cap, sizeof(*ex->v));
	}
	if (ex->rd_len + len > ex->rd_cap) {
		while (ex->rd_len + len > ex->rd_cap)
			ex->rd_cap = ex->rd_cap ? ex->rd_cap * 2 : 65536;
		ex->rd = xreallocarray(ex->rd, ex->rd_cap, 1);
	}
	memcpy(ex->rd + ex->rd_len, rd, len);
	ex->v[ex->n].owner = owner;
	ex->v[ex->n].type = type;
	ex->v[ex->n].ttl = ttl;
	ex->v[ex->n].rdoff = ex->rd_len;
	ex->v[ex->n].rdlen = (uint16_t)len;
	ex->rd_len += len;
	ex->n++;
}

void zone_extras_fini(struct zone_extras *ex)
{
	free(ex->names);
	free(ex->v);
	free(ex->rd);
	memset(ex, 0, sizeof(*ex));
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Keep the earliest expiration of the signatures added. */
static void note_expire(struct zone_extras *ex, uint32_t expire)
{
	if (ex->min_expire == 0 || (int32_t)(expire - ex->min_expire) < 0)
		ex->min_expire = expire;
}

/* Is key k of ks also a key of the zone loaded before (the same DNSKEY)? */
static bool key_was_used(const struct sign_keys *prev, const struct sign_key *k)
{
	for (size_t i = 0; prev != NULL && i < prev->count; i++) {
		const struct sign_key *p = &prev->keys[i];

		if (p->tag == k->tag && p->alg == k->alg && p->dnskey_len == k->dnskey_len &&
		    memcmp(p->dnskey, k->dnskey, k->dnskey_len) == 0)
			return true;
	}
	return false;
}

/* Copy the RRSIGs of the identical RRset of the zone loaded before, when
 * every key that signs type now made one that is still good for longer
 * than refresh. Returns whether it did. */
static bool reuse_sigs(struct zone_extras *ex, const struct sign_keys *ks, const struct zone *prev,
		       const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
		       uint32_t rdata_len, uint16_t rr_count)
{
	const struct zone_node *pn;
	const struct zone_rrset *prs, *psig;
	const uint8_t *found[16];
	uint16_t flen[16];
	size_t n = 0;

	if (prev == NULL || type == T_DNSKEY ||
	    (pn = zone_find_node(prev, owner, dname_len(owner))) == NULL)
		return false;
	prs = zone_node_rrset(pn, type);
	psig = zone_node_rrset(pn, T_RRSIG);
	if (prs == NULL || psig == NULL || prs->ttl != ttl || prs->rr_count != rr_count ||
	    prs->rdata_len != rdata_len || memcmp(prs->rdata, rdata, rdata_len) != 0)
		return false;
	for (size_t k = 0; k < ks->count; k++) {
		const struct sign_key *key = &ks->keys[k];
		const uint8_t *rd, *hit = NULL;
		uint32_t pos = 0;
		uint16_t len, hlen = 0;

		if (!(type == T_DNSKEY ? key->signs_dnskey : key->signs_data))
			continue;
		if (n == 16 || !key_was_used(prev->keys, key))
			return false;
		while (hit == NULL && (rd = zone_rrset_next(psig, &pos, &len)) != NULL) {
			if (len >= 18 && (uint16_t)(rd[0] << 8 | rd[1]) == type && rd[2] == key->alg &&
			    (uint16_t)(rd[16] << 8 | rd[17]) == key->tag && rd32(rd + 4) == ttl &&
			    sign_keep(ks, rd32(rd + 8)) &&
			    (int32_t)(ks->now - rd32(rd + 12)) >= 0) {
				hit = rd;
				hlen = len;
			}
		}
		if (hit == NULL)
			return false;
		found[n] = hit;
		flen[n++] = hlen;
	}
	for (size_t i = 0; i < n; i++) {
		extra_add(ex, owner, T_RRSIG, ttl, found[i], flen[i]);
		note_expire(ex, rd32(found[i] + 8));
	}
	ex->reused += n;
	return n > 0;
}

/* Sign one RRset and add its RRSIG records (or keep those of the zone
 * loaded before, prev, when they are as good). */
static int sign_add(struct zone_extras *ex, struct sign_ctx *ctx, const struct sign_keys *ks,
		    const struct zone *prev, const uint8_t *owner,
		    uint16_t type, uint32_t ttl, const uint8_t *rdata, uint32_t rdata_len,
		    uint16_t rr_count, struct gslb_err *err)
{
	uint8_t out[8 * SIGN_RRSIG_MAX];
	struct sign_rrset rs = {owner,	   type,     ttl,
				rdata,	   rdata_len, rr_count,
				sign_expiration(ks, owner, type)};
	size_t cap = ks->count * SIGN_RRSIG_MAX;
	uint8_t *buf = cap <= sizeof(out) ? out : xmalloc(cap);
	long n;

	if (reuse_sigs(ex, ks, prev, owner, type, ttl, rdata, rdata_len, rr_count)) {
		if (buf != out)
			free(buf);
		return 0;
	}
	n = sign_rrset_ctx(ctx, ks, &rs, buf, cap, err);
	if (n > 0)
		note_expire(ex, rs.expiration);

	for (long p = 0; n > 0 && p + 2 <= n;) {
		uint16_t l = (uint16_t)(buf[p] << 8 | buf[p + 1]);

		extra_add(ex, owner, T_RRSIG, ttl, buf + p + 2, l);
		p += 2 + l;
	}
	if (buf != out)
		free(buf);
	return n < 0 ? (int)n : 0;
}

/* The types a dynamic node may answer. */
static uint8_t dyn_types(const struct zone_source *src, uint32_t id)
{
	for (size_t i = 0; i < src->dynamic_count; i++) {
		if (src->dynamic[i].id == id)
			return src->dynamic[i].types;
	}
	return ZONE_DYN_A | ZONE_DYN_AAAA;
}

static bool has_nsec(const struct zone_node *n)
{
	return (n->flags & (ZONE_NODE_EMPTY | ZONE_NODE_OCCLUDED)) == 0;
}

/* The types the NSEC (nsec3: NSEC3) record of node p lists (RFC 4034
 * 4.1.2, RFC 5155 3.2) into types (1024 entries): at a cut only NS and DS;
 * the apex's DNSKEY (and NSEC3PARAM); what a dynamic name may answer;
 * NSEC and RRSIG for an NSEC, RRSIG for an NSEC3 only when the name has
 * signed RRsets (not an empty non-terminal or an insecure cut). */
static size_t denial_types(const struct zone_node *p, const struct zone_source *src, bool nsec3,
			   uint16_t *types)
{
	bool cut = (p->flags & ZONE_NODE_DELEGATION) != 0;
	bool signed_data = !nsec3;
	size_t nt = 0;

	for (uint16_t r = 0; r < p->rrset_count && nt < 1016; r++) {
		uint16_t t = p->rrsets[r].type;

		if (!cut || t == T_NS || t == T_DS)
			types[nt++] = t;
		if (!cut || t == T_DS)
			signed_data = true;
	}
	if ((p->flags & ZONE_NODE_APEX) != 0) {
		types[nt++] = T_DNSKEY;
		if (nsec3)
			types[nt++] = T_NSEC3PARAM;
	}
	if ((p->flags & ZONE_NODE_DYNAMIC) != 0) {
		uint8_t dt = dyn_types(src, p->dyn_id);

		if (dt & ZONE_DYN_A)
			types[nt++] = T_A;
		if (dt & ZONE_DYN_AAAA)
			types[nt++] = T_AAAA;
		if (dt & ZONE_DYN_CNAME)
			types[nt++] = T_CNAME;
		signed_data = true;
	}
	if (!nsec3)
		types[nt++] = T_NSEC;
	if (signed_data)
		types[nt++] = T_RRSIG;
	return nt;
}

/* The NSEC of node n (next: the following node with one) and the RRSIGs
 * of its RRsets. */
static int sign_node(struct zone_extras *ex, struct sign_ctx *ctx, const struct sign_keys *ks,
		     const struct zone *z, const struct zone *prev, const struct zone_source *src,
		     const struct zone_node *p, const struct zone_node *next, struct gslb_err *err)
{
	bool cut = (p->flags & ZONE_NODE_DELEGATION) != 0;
	uint16_t types[1024];
	uint8_t nsec[2 + DNAME_MAXLEN + 34 * 256];
	int rc = 0;

	if (!src->dnssec->nsec3) {
		/* the NSEC3 chain is made apart, in hash order */
		size_t len = sign_nsec_rdata(next->name, types, denial_types(p, src, false, types),
					     nsec + 2);

		extra_add(ex, p->name, T_NSEC, z->negative_ttl, nsec + 2, len);
		nsec[0] = (uint8_t)(len >> 8);
		nsec[1] = (uint8_t)len;
		rc = sign_add(ex, ctx, ks, prev, p->name, T_NSEC, z->negative_ttl, nsec,
			      (uint32_t)len + 2, 1, err);
	}
	for (uint16_t r = 0; r < p->rrset_count && rc == 0; r++) {
		const struct zone_rrset *rs = &p->rrsets[r];

		if (rs->type == T_RRSIG || rs->type == T_DNSKEY)
			continue; /* DNSKEY is signed with the keys' RRset */
		if (cut && rs->type != T_DS)
			continue; /* the child's NS and data are not ours */
		rc = sign_add(ex, ctx, ks, prev, p->name, rs->type, rs->ttl, rs->rdata,
			      rs->rdata_len, rs->rr_count, err);
	}
	return rc;
}

/* Is there an NSEC3 record for node n (RFC 5155 7.1)? Every name of the
 * zone, empty non-terminals included, but nothing below a cut, and with
 * opt-out no delegation without DS. */
static bool nsec3_has(const struct zone_node *n, bool opt_out)
{
	if ((n->flags & ZONE_NODE_OCCLUDED) != 0)
		return false;
	return !(opt_out && (n->flags & ZONE_NODE_DELEGATION) != 0 &&
		 zone_node_rrset(n, T_DS) == NULL);
}

/* The NSEC3 record of chain entry i (next: the following one) with its
 * owner at owner, and its signatures. */
static int sign_nsec3(struct zone_extras *ex, struct sign_ctx *ctx, const struct sign_keys *ks,
		      const struct zone *z, const struct zone *prev, const struct zone_source *src,
		      const struct h3 *e, const struct h3 *next, const uint8_t *owner,
		      struct gslb_err *err)
{
	const struct zone_dnssec *d = src->dnssec;
	const struct zone_node *p = &z->nodes[e->node];
	uint16_t types[1024];
	uint8_t rd[2 + 6 + 255 + 21 + 34 * 256];
	size_t nt = denial_types(p, src, true, types), len = 0;

	rd[2] = 1; /* SHA-1 */
	rd[3] = d->opt_out ? 1 : 0;
	rd[4] = (uint8_t)(d->iterations >> 8);
	rd[5] = (uint8_t)d->iterations;
	rd[6] = d->salt_len;
	if (d->salt_len > 0)
		memcpy(rd + 7, d->salt, d->salt_len);
	len = 5u + d->salt_len;
	rd[2 + len] = 20;
	memcpy(rd + 3 + len, next->hash, 20);
	len += 21;
	len += sign_type_bitmap(types, nt, rd + 2 + len);
	rd[0] = (uint8_t)(len >> 8);
	rd[1] = (uint8_t)len;
	extra_add(ex, owner, T_NSEC3, z->negative_ttl, rd + 2, len);
	return sign_add(ex, ctx, ks, prev, owner, T_NSEC3, z->negative_ttl, rd, (uint32_t)len + 2,
			1, err);
}

static int cmp_h3(const void *a, const void *b)
{
	return memcmp(((const struct h3 *)a)->hash, ((const struct h3 *)b)->hash, 20);
}

/* Records signed between two progress reports of one thread. */
#define PROGRESS_STEP 4096u

/* The progress of one zone's signing, shared by its threads. */
struct progress {
	const struct zone_progress *to; /* the caller's callback, or NULL */
	const char *origin;             /* the zone */
	_Atomic size_t done;            /* records signed */
	size_t total;                   /* records to sign */
};

/* count more records signed by one thread: tell the caller. */
static void progress_add(struct progress *pg, size_t count)
{
	size_t done;

	if (pg->to == NULL || count == 0)
		return;
	done = atomic_fetch_add(&pg->done, count) + count;
	pg->to->fn(pg->to->arg, ZONE_PROGRESS_SIGN, pg->origin, done < pg->total ? done : pg->total, pg->total);
}

/* The records of node n: what its NSEC and RRSIGs cover, for progress. */
static size_t node_records(const struct zone_node *n)
{
	size_t c = 1;

	for (size_t k = 0; k < n->rrset_count; k++)
		c += n->rrsets[k].rr_count;
	return c;
}

/* A slice of the nodes signed by one thread. */
struct part {
	const struct zone *z;
	const struct zone *prev;
	const struct sign_keys *ks;
	const struct zone_source *src;
	const uint32_t *next; /* per node with an NSEC: the index of the next one */
	size_t from, to;      /* nodes [from, to) */
	const struct h3 *chain; /* NSEC3: the chain in hash order */
	size_t chain_count;
	size_t from3, to3;    /* NSEC3: its entries [from3, to3) */
	const uint8_t *owners; /* NSEC3: owner of entry i at i * owner_len */
	size_t owner_len;
	struct zone_extras ex;
	struct progress *pg; /* shared with the other parts */
	struct gslb_err err;
	int rc;
};

static void *sign_part(void *arg)
{
	struct part *pt = arg;
	struct sign_ctx *ctx = sign_ctx_new(pt->ks);
	size_t step = 0;

	for (size_t i = pt->from; i < pt->to && pt->rc == 0; i++) {
		if (!has_nsec(&pt->z->nodes[i]))
			continue;
		pt->rc = sign_node(&pt->ex, ctx, pt->ks, pt->z, pt->prev, pt->src, &pt->z->nodes[i],
				   &pt->z->nodes[pt->next[i]], &pt->err);
		step += node_records(&pt->z->nodes[i]);
		if (step >= PROGRESS_STEP) {
			progress_add(pt->pg, step);
			step = 0;
		}
	}
	for (size_t i = pt->from3; i < pt->to3 && pt->rc == 0; i++) {
		pt->rc = sign_nsec3(&pt->ex, ctx, pt->ks, pt->z, pt->prev, pt->src, &pt->chain[i],
				    &pt->chain[(i + 1) % pt->chain_count],
				    pt->owners + i * pt->owner_len, &pt->err);
		if (++step >= PROGRESS_STEP) {
			progress_add(pt->pg, step);
			step = 0;
		}
	}
	progress_add(pt->pg, step);
	sign_ctx_free(ctx);
	return NULL;
}

/* Nodes below which signing stays on the calling thread. */
#define SIGN_THREAD_MIN_NODES 4096
#define SIGN_THREADS_MAX 8

int zone_sign_extras(const struct zone *z, const struct sign_keys *ks,
		     const struct zone_source *src, const struct zone *prev,
		     struct zone_extras *ex, struct gslb_err *err)
{
	const struct zone_node *apex = &z->nodes[0];
	const struct zone_rrset *file_keys = zone_node_rrset(apex, T_DNSKEY);
	struct part parts[SIGN_THREADS_MAX];
	pthread_t tids[SIGN_THREADS_MAX];
	struct progress pg;
	struct sign_ctx *ctx = sign_ctx_new(ks);
	uint8_t *dnskeys;
	uint32_t *next;
	struct h3 *chain = NULL;
	size_t chain_count = 0;
	size_t dk_len = 0, dk_cap, first = SIZE_MAX, last = SIZE_MAX;
	uint16_t dk_count = 0;
	uint32_t dk_ttl = file_keys != NULL ? file_keys->ttl : z->soa->ttl;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = cpus < 1 ? 1 : cpus > SIGN_THREADS_MAX ? SIGN_THREADS_MAX : (size_t)cpus;
	int rc;

	/* The DNSKEY RRset: the file's records and the configured keys. */
	dk_cap = (file_keys != NULL ? file_keys->rdata_len : 0) + ks->count * (2u + 65535u);
	dnskeys = xmalloc(dk_cap);
	if (file_keys != NULL) {
		memcpy(dnskeys, file_keys->rdata, file_keys->rdata_len);
		dk_len = file_keys->rdata_len;
		dk_count = file_keys->rr_count;
	}
	for (size_t k = 0; k < ks->count; k++) {
		const struct sign_key *key = &ks->keys[k];
		bool dup = false;
		uint32_t pos = 0;

		while (pos + 2 <= dk_len && !dup) {
			uint16_t l = (uint16_t)(dnskeys[pos] << 8 | dnskeys[pos + 1]);

			dup = l == key->dnskey_len && memcmp(dnskeys + pos + 2, key->dnskey, l) == 0;
			pos += 2u + l;
		}
		if (dup)
			continue;
		dnskeys[dk_len] = (uint8_t)(key->dnskey_len >> 8);
		dnskeys[dk_len + 1] = (uint8_t)key->dnskey_len;
		memcpy(dnskeys + dk_len + 2, key->dnskey, key->dnskey_len);
		dk_len += 2u + key->dnskey_len;
		dk_count++;
		extra_add(ex, apex->name, T_DNSKEY, dk_ttl, key->dnskey, key->dnskey_len);
	}
	rc = sign_add(ex, ctx, ks, NULL, apex->name, T_DNSKEY, dk_ttl, dnskeys, (uint32_t)dk_len,
		      dk_count, err);
	free(dnskeys);
	sign_ctx_free(ctx);
	if (rc != 0)
		return rc;

	/* The NSEC chain in canonical order: each name's next, the last's the first. */
	next = xmalloc((z->node_count + 1) * sizeof(*next));
	for (size_t i = z->node_count; i-- > 0;) {
		if (!has_nsec(&z->nodes[i]))
			continue;
		if (last == SIZE_MAX)
			last = i;
		next[i] = (uint32_t)first; /* the last one's is set below */
		first = i;
	}
	if (last != SIZE_MAX)
		next[last] = (uint32_t)first;
	if (src->dnssec->nsec3) {
		const struct zone_dnssec *d = src->dnssec;
		uint8_t param[2 + 5 + 255];
		size_t olen = 33 + dname_len(apex->name);

		/* NSEC3PARAM at the apex (flags 0: RFC 5155 4.1.2), signed. */
		param[2] = 1;
		param[3] = 0;
		param[4] = (uint8_t)(d->iterations >> 8);
		param[5] = (uint8_t)d->iterations;
		param[6] = d->salt_len;
		if (d->salt_len > 0)
			memcpy(param + 7, d->salt, d->salt_len);
		param[0] = (uint8_t)((5u + d->salt_len) >> 8);
		param[1] = (uint8_t)(5u + d->salt_len);
		extra_add(ex, apex->name, T_NSEC3PARAM, z->negative_ttl, param + 2,
			  5u + d->salt_len);
		ctx = sign_ctx_new(ks);
		rc = sign_add(ex, ctx, ks, prev, apex->name, T_NSEC3PARAM, z->negative_ttl, param,
			      7u + d->salt_len, 1, err);
		sign_ctx_free(ctx);
		if (rc != 0) {
			free(next);
			return rc;
		}
		/* The chain: every name's hash, sorted. */
		chain = xmalloc((z->node_count + 1) * sizeof(*chain));
		for (size_t i = 0; i < z->node_count; i++) {
			if (!nsec3_has(&z->nodes[i], d->opt_out))
				continue;
			sign_nsec3_hash(z->nodes[i].name, d->salt, d->salt_len, d->iterations,
					chain[chain_count].hash);
			chain[chain_count++].node = (uint32_t)i;
		}
		qsort(chain, chain_count, sizeof(*chain), cmp_h3);
		for (size_t i = 1; i < chain_count; i++) {
			if (memcmp(chain[i].hash, chain[i - 1].hash, 20) == 0) {
				char a[DNAME_STRLEN], b[DNAME_STRLEN];

				dname_to_str(z->nodes[chain[i].node].name, a, sizeof(a));
				dname_to_str(z->nodes[chain[i - 1].node].name, b, sizeof(b));
				free(chain);
				free(next);
				return gslb_err_set(err, "NSEC3 hashes of %s and %s collide: change "
						    "the salt", a, b);
			}
		}
		/* Owners: base32hex of the hash, then the origin. */
		ex->names = xmalloc(chain_count * olen + 1);
		for (size_t i = 0; i < chain_count; i++) {
			uint8_t *o = ex->names + i * olen;

			o[0] = 32;
			sign_base32hex(chain[i].hash, o + 1);
			memcpy(o + 33, apex->name, olen - 33);
		}
	}
	if (z->node_count < SIGN_THREAD_MIN_NODES)
		threads = 1;
	pg.to = src->progress;
	pg.origin = src->origin;
	atomic_init(&pg.done, 0);
	pg.total = chain_count;
	for (size_t i = 0; pg.to != NULL && i < z->node_count; i++) {
		if (has_nsec(&z->nodes[i]))
			pg.total += node_records(&z->nodes[i]);
	}
	if (pg.to != NULL)
		pg.to->fn(pg.to->arg, ZONE_PROGRESS_SIGN, pg.origin, 0, pg.total);
	memset(parts, 0, sizeof(parts));
	for (size_t t = 0; t < threads; t++) {
		parts[t].pg = &pg;
		parts[t].z = z;
		parts[t].prev = prev;
		parts[t].ks = ks;
		parts[t].src = src;
		parts[t].next = next;
		parts[t].from = z->node_count * t / threads;
		parts[t].to = z->node_count * (t + 1) / threads;
		parts[t].chain = chain;
		parts[t].chain_count = chain_count;
		parts[t].from3 = chain_count * t / threads;
		parts[t].to3 = chain_count * (t + 1) / threads;
		parts[t].owners = ex->names;
		parts[t].owner_len = 33 + dname_len(apex->name);
	}
	for (size_t t = 1; t < threads; t++) {
		if (pthread_create(&tids[t], NULL, sign_part, &parts[t]) != 0) {
			/* no thread: this one signs the slice */
			sign_part(&parts[t]);
			tids[t] = 0;
			parts[t].from = SIZE_MAX;
		}
	}
	sign_part(&parts[0]);
	for (size_t t = 1; t < threads; t++) {
		if (parts[t].from != SIZE_MAX)
			pthread_join(tids[t], NULL);
	}
	for (size_t t = 0; t < threads; t++) {
		struct zone_extras *pe = &parts[t].ex;

		if (rc == 0 && parts[t].rc != 0) {
			rc = parts[t].rc;
			*err = parts[t].err;
		}
		if (pe->min_expire != 0)
			note_expire(ex, pe->min_expire);
		ex->reused += pe->reused;
		for (size_t i = 0; rc == 0 && i < pe->n; i++)
			extra_add(ex, pe->v[i].owner, pe->v[i].type, pe->v[i].ttl,
				  pe->rd + pe->v[i].rdoff, pe->v[i].rdlen);
		zone_extras_fini(pe);
	}
	free(next);
	free(chain);
	if (rc == 0 && pg.to != NULL)
		pg.to->fn(pg.to->arg, ZONE_PROGRESS_SIGN, pg.origin, pg.total, pg.total);
	return rc;
}

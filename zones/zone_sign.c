/* Signing a compiled zone: the DNSKEY RRset at the apex, an NSEC chain over
 * the authoritative names in canonical order (dynamic names included), and
 * an RRSIG for every authoritative RRset. The records are added to the zone
 * by rebuilding it (zone.c). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

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
	free(ex->v);
	free(ex->rd);
	memset(ex, 0, sizeof(*ex));
}

/* Sign one RRset and add its RRSIG records. */
static int sign_add(struct zone_extras *ex, const struct sign_keys *ks, const uint8_t *owner,
		    uint16_t type, uint32_t ttl, const uint8_t *rdata, uint32_t rdata_len,
		    uint16_t rr_count, struct gslb_err *err)
{
	uint8_t out[8 * SIGN_RRSIG_MAX];
	struct sign_rrset rs = {owner, type, ttl, rdata, rdata_len, rr_count};
	size_t cap = ks->count * SIGN_RRSIG_MAX;
	uint8_t *buf = cap <= sizeof(out) ? out : xmalloc(cap);
	long n = sign_rrset(ks, &rs, buf, cap, err);

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

int zone_sign_extras(const struct zone *z, const struct sign_keys *ks,
		     const struct zone_source *src, struct zone_extras *ex, struct gslb_err *err)
{
	const struct zone_node *apex = &z->nodes[0];
	const struct zone_rrset *file_keys = zone_node_rrset(apex, T_DNSKEY);
	uint8_t *dnskeys;
	size_t dk_len = 0, dk_cap, first = SIZE_MAX, prev = SIZE_MAX;
	uint16_t dk_count = 0;
	uint32_t dk_ttl = file_keys != NULL ? file_keys->ttl : z->soa->ttl;
	uint16_t types[1024];
	uint8_t nsec[DNAME_MAXLEN + 34 * 256];
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
	rc = sign_add(ex, ks, apex->name, T_DNSKEY, dk_ttl, dnskeys, (uint32_t)dk_len, dk_count,
		      err);
	free(dnskeys);
	if (rc != 0)
		return rc;

	/* NSEC chain in canonical order, and the RRSIGs of each name. */
	for (size_t i = 0; i <= z->node_count; i++) {
		const struct zone_node *n;
		size_t nt = 0, len;

		if (i < z->node_count && !has_nsec(&z->nodes[i]))
			continue;
		if (i == z->node_count && prev == SIZE_MAX)
			break;
		if (prev != SIZE_MAX) {
			/* The NSEC of prev, now that its next name is known. */
			const struct zone_node *p = &z->nodes[prev];
			const struct zone_node *next = i < z->node_count ? &z->nodes[i]
									: &z->nodes[first];
			bool cut = (p->flags & ZONE_NODE_DELEGATION) != 0;

			for (uint16_t r = 0; r < p->rrset_count; r++) {
				uint16_t t = p->rrsets[r].type;

				if (!cut || t == T_NS || t == T_DS)
					types[nt++] = t;
			}
			if ((p->flags & ZONE_NODE_APEX) != 0)
				types[nt++] = T_DNSKEY;
			if ((p->flags & ZONE_NODE_DYNAMIC) != 0) {
				uint8_t dt = dyn_types(src, p->dyn_id);

				if (dt & ZONE_DYN_A)
					types[nt++] = T_A;
				if (dt & ZONE_DYN_AAAA)
					types[nt++] = T_AAAA;
				if (dt & ZONE_DYN_CNAME)
					types[nt++] = T_CNAME;
			}
			types[nt++] = T_NSEC;
			types[nt++] = T_RRSIG;
			len = sign_nsec_rdata(next->name, types, nt, nsec);
			extra_add(ex, p->name, T_NSEC, z->negative_ttl, nsec, len);
			{
				uint8_t packed[sizeof(nsec) + 2];

				packed[0] = (uint8_t)(len >> 8);
				packed[1] = (uint8_t)len;
				memcpy(packed + 2, nsec, len);
				rc = sign_add(ex, ks, p->name, T_NSEC, z->negative_ttl, packed,
					      (uint32_t)len + 2, 1, err);
				if (rc != 0)
					return rc;
			}
		}
		if (i == z->node_count)
			break;
		n = &z->nodes[i];
		if (first == SIZE_MAX)
			first = i;
		prev = i;
		for (uint16_t r = 0; r < n->rrset_count; r++) {
			const struct zone_rrset *rs = &n->rrsets[r];

			if (rs->type == T_RRSIG || rs->type == T_DNSKEY)
				continue; /* DNSKEY signed above */
			if ((n->flags & ZONE_NODE_DELEGATION) != 0 && rs->type != T_DS)
				continue; /* the child's NS and data are not ours */
			rc = sign_add(ex, ks, n->name, rs->type, rs->ttl, rs->rdata, rs->rdata_len,
				      rs->rr_count, err);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

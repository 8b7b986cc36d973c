#include <config.h>

#include "zones/sign.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "common/sha1.h"
#include "common/xalloc.h"
#include "zones/dname.h"

#define TYPE_DNSKEY 48
#define TYPE_RRSIG 46
#define CLASS_IN 1

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Key tag of DNSKEY RDATA (RFC 4034 appendix B, algorithms other than 1). */
static uint16_t key_tag(const uint8_t *rd, size_t len)
{
	uint32_t ac = 0;

	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

/* The DNSKEY record of the .key file at path, for origin. */
static int read_public(const char *path, const uint8_t *origin, struct sign_key *key,
		       struct gslb_err *err)
{
	FILE *fp = fopen(path, "r");
	ldns_rr *rr = NULL;
	int line = 0;

	if (fp == NULL)
		return gslb_err_setc(err, errno == ENOENT ? GSLB_ENOENT : GSLB_EIO,
				     "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		uint32_t ttl = 3600;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, NULL, NULL, &line);

		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN || s == LDNS_STATUS_SYNTAX_INCLUDE) {
			if (feof(fp))
				break;
			continue;
		}
		if (s != LDNS_STATUS_OK) {
			fclose(fp);
			return gslb_err_set(err, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(s));
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY)
			break;
		ldns_rr_free(rr);
		rr = NULL;
		if (feof(fp))
			break;
	}
	fclose(fp);
	if (rr == NULL)
		return gslb_err_set(err, "%s: no DNSKEY record", path);
	{
		uint8_t owner[DNAME_MAXLEN];
		const ldns_rdf *o = ldns_rr_owner(rr);
		size_t len = 0;

		if (ldns_rdf_size(o) > DNAME_MAXLEN) {
			ldns_rr_free(rr);
			return gslb_err_set(err, "%s: bad owner name", path);
		}
		memcpy(owner, ldns_rdf_data(o), ldns_rdf_size(o));
		dname_lower(owner);
		if (!dname_equal(owner, origin)) {
			char a[DNAME_STRLEN], b[DNAME_STRLEN];

			dname_to_str(owner, a, sizeof(a));
			dname_to_str(origin, b, sizeof(b));
			ldns_rr_free(rr);
			return gslb_err_set(err, "%s: the key is for %s, not for the zone %s", path, a,
					    b);
		}
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
			len += ldns_rdf_size(ldns_rr_rdf(rr, i));
		if (len < 5 || len > UINT16_MAX) {
			ldns_rr_free(rr);
			return gslb_err_set(err, "%s: bad DNSKEY record", path);
		}
		key->dnskey = xmalloc(len);
		key->dnskey_len = (uint16_t)len;
		len = 0;
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, i);

			memcpy(key->dnskey + len, ldns_rdf_data(f), ldns_rdf_size(f));
			len += ldns_rdf_size(f);
		}
	}
	ldns_rr_free(rr);
	key->flags = (uint16_t)(key->dnskey[0] << 8 | key->dnskey[1]);
	key->alg = key->dnskey[3];
	key->tag = key_tag(key->dnskey, key->dnskey_len);
	return 0;
}

int sign_key_load(const char *path, const uint8_t *origin, bool active, struct sign_key *key,
		  struct gslb_err *err)
{
	size_t n = strlen(path);
	char *prefix, *priv, *pub;
	ldns_key *k = NULL;
	ldns_rr *derived;
	struct stat st;
	FILE *fp;
	int line = 0, rc;
	ldns_status s;

	memset(key, 0, sizeof(*key));
	key->active = active;
	if (has_suffix(path, ".private"))
		n -= strlen(".private");
	else if (has_suffix(path, ".key"))
		n -= strlen(".key");
	prefix = xmalloc(n + 1);
	memcpy(prefix, path, n);
	prefix[n] = '\0';
	priv = xasprintf("%s.private", prefix);
	pub = xasprintf("%s.key", prefix);
	free(prefix);
	key->path = priv;

	rc = read_public(pub, origin, key, err);
	if (rc != 0)
		goto out;
	if ((key->flags & SIGN_FLAG_ZONE) == 0 || key->dnskey[2] != 3) {
		rc = gslb_err_set(err, "%s: not a DNSSEC zone key (flags %u, protocol %u)", pub,
				  key->flags, key->dnskey[2]);
		goto out;
	}
	if (key->alg != SIGN_ALG_ECDSAP256SHA256 && key->alg != SIGN_ALG_ED25519) {
		rc = gslb_err_set(err,
				  "%s: algorithm %u is not supported (13 ECDSAP256SHA256 or 15 "
				  "ED25519)",
				  pub, key->alg);
		goto out;
	}
	fp = fopen(priv, "r");
	if (fp == NULL) {
		rc = gslb_err_setc(err, errno == ENOENT ? GSLB_ENOENT : GSLB_EIO,
				   "%s: cannot open: %s", priv, strerror(errno));
		goto out;
	}
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		log_warn("%s: the private key may be read by others than its owner (mode %03o); "
			 "chmod 600 it",
			 priv, (unsigned)(st.st_mode & 0777));
	s = ldns_key_new_frm_fp_l(&k, fp, &line);
	fclose(fp);
	if (s != LDNS_STATUS_OK) {
		rc = gslb_err_set(err, "%s:%d: %s", priv, line, ldns_get_errorstr_by_id(s));
		goto out;
	}
	if ((unsigned)ldns_key_algorithm(k) != key->alg) {
		rc = gslb_err_set(err, "%s: algorithm %u, but %s says %u", priv,
				  (unsigned)ldns_key_algorithm(k), pub, key->alg);
		goto out;
	}
	/* The public key the private one implies must be the published one. */
	ldns_key_set_flags(k, key->flags);
	derived = ldns_key2rr(k);
	if (derived == NULL || ldns_rr_rd_count(derived) < 4 ||
	    ldns_rdf_size(ldns_rr_rdf(derived, 3)) != (size_t)key->dnskey_len - 4u ||
	    memcmp(ldns_rdf_data(ldns_rr_rdf(derived, 3)), key->dnskey + 4,
		   (size_t)key->dnskey_len - 4u) != 0) {
		ldns_rr_free(derived);
		rc = gslb_err_set(err, "%s: the private key does not match the public key in %s",
				  priv, pub);
		goto out;
	}
	ldns_rr_free(derived);
	key->pkey = ldns_key_evp_key(k);
	if (key->pkey == NULL || EVP_PKEY_up_ref(key->pkey) != 1) {
		key->pkey = NULL;
		rc = gslb_err_set(err, "%s: no usable private key", priv);
		goto out;
	}
	rc = 0;
out:
	if (k != NULL)
		ldns_key_deep_free(k);
	free(pub);
	if (rc != 0) {
		sign_key_fini(key);
		memset(key, 0, sizeof(*key));
	}
	return rc;
}

void sign_key_fini(struct sign_key *key)
{
	if (key->pkey != NULL)
		EVP_PKEY_free(key->pkey);
	free(key->dnskey);
	free(key->path);
	key->pkey = NULL;
	key->dnskey = NULL;
	key->path = NULL;
}

void sign_key_copy(struct sign_key *dst, const struct sign_key *src)
{
	*dst = *src;
	if (EVP_PKEY_up_ref(src->pkey) != 1)
		log_fatal("libcrypto: cannot take a reference to a key");
	dst->dnskey = xmalloc(src->dnskey_len ? src->dnskey_len : 1);
	memcpy(dst->dnskey, src->dnskey, src->dnskey_len);
	dst->path = src->path != NULL ? xstrdup(src->path) : NULL;
}

int sign_keys_roles(struct sign_keys *ks, struct gslb_err *err)
{
	bool any = false;

	for (size_t i = 0; i < ks->count; i++) {
		struct sign_key *k = &ks->keys[i];
		bool zsk_of_alg = false;

		k->signs_dnskey = k->signs_data = false;
		if (!k->active)
			continue;
		any = true;
		for (size_t j = 0; j < ks->count; j++) {
			const struct sign_key *o = &ks->keys[j];

			if (o->active && o->alg == k->alg && (o->flags & SIGN_FLAG_SEP) == 0)
				zsk_of_alg = true;
		}
		if ((k->flags & SIGN_FLAG_SEP) != 0) {
			k->signs_dnskey = true;
			k->signs_data = !zsk_of_alg; /* a CSK */
		} else {
			k->signs_data = true;
		}
	}
	/* An algorithm with only ZSKs still signs its DNSKEY RRset. */
	for (size_t i = 0; i < ks->count; i++) {
		struct sign_key *k = &ks->keys[i];
		bool sep_of_alg = false;

		if (!k->active)
			continue;
		for (size_t j = 0; j < ks->count; j++) {
			if (ks->keys[j].active && ks->keys[j].alg == k->alg &&
			    (ks->keys[j].flags & SIGN_FLAG_SEP) != 0)
				sep_of_alg = true;
		}
		if (!sep_of_alg)
			k->signs_dnskey = true;
	}
	if (!any)
		return gslb_err_set(err, "no active key: at least one key must sign");
	return 0;
}

/* Lower the uncompressed name at p (within end); returns its length or 0. */
static size_t lower_name(uint8_t *p, const uint8_t *end)
{
	uint8_t *s = p;

	while (p < end) {
		uint8_t l = *p;

		if (l == 0)
			return (size_t)(p + 1 - s);
		if (l > 63 || p + 1 + l > end)
			return 0;
		for (uint8_t i = 1; i <= l; i++)
			p[i] = dname_lower_byte(p[i]);
		p += 1 + l;
	}
	return 0;
}

/* RFC 4034 6.2 (with RFC 6840 5.1): lower the names embedded in RDATA. */
static void canon_rdata(uint16_t type, uint8_t *rd, size_t len)
{
	uint8_t *end = rd + len;
	size_t n;

	switch (type) {
	case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39:
		lower_name(rd, end);
		break;
	case 6: case 14: case 17: /* SOA, MINFO, RP: two names */
		n = lower_name(rd, end);
		if (n > 0)
			lower_name(rd + n, end);
		break;
	case 15: case 18: case 21: case 36: /* MX, AFSDB, RT, KX */
		if (len > 2)
			lower_name(rd + 2, end);
		break;
	case 26: /* PX */
		if (len > 2 && (n = lower_name(rd + 2, end)) > 0)
			lower_name(rd + 2 + n, end);
		break;
	case 33: /* SRV */
		if (len > 6)
			lower_name(rd + 6, end);
		break;
	case 35: { /* NAPTR: order, preference, flags, services, regexp, replacement */
		size_t o = 4;

		for (int i = 0; i < 3 && o < len; i++)
			o += 1 + rd[o];
		if (o < len)
			lower_name(rd + o, end);
		break;
	}
	default:
		break;
	}
}

struct rr_ref {
	const uint8_t *rd;
	uint16_t len;
};

static int cmp_rr(const void *a, const void *b)
{
	const struct rr_ref *x = a, *y = b;
	int c = memcmp(x->rd, y->rd, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* SHA-256 fetched once: an implicit fetch per signature costs more than
 * the signature. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

struct sign_ctx {
	const struct sign_keys *ks;
	EVP_PKEY_CTX **pctx;  /* per key: ECDSA, initialised for signing digests */
	EVP_MD_CTX **tmpl;    /* per key: Ed25519, initialised for signing */
	EVP_MD_CTX *work;     /* a copy of a template per signature */
};

struct sign_ctx *sign_ctx_new(const struct sign_keys *ks)
{
	struct sign_ctx *c = xcalloc(1, sizeof(*c));

	pthread_once(&sha256_once, sha256_fetch);
	c->ks = ks;
	c->pctx = xcalloc(ks->count + 1, sizeof(*c->pctx));
	c->tmpl = xcalloc(ks->count + 1, sizeof(*c->tmpl));
	c->work = EVP_MD_CTX_new();
	for (size_t i = 0; i < ks->count; i++) {
		const struct sign_key *k = &ks->keys[i];

		if (k->pkey == NULL)
			continue;
		if (k->alg == SIGN_ALG_ECDSAP256SHA256) {
			c->pctx[i] = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
			if (c->pctx[i] != NULL && EVP_PKEY_sign_init(c->pctx[i]) != 1) {
				EVP_PKEY_CTX_free(c->pctx[i]);
				c->pctx[i] = NULL;
			}
		} else {
			c->tmpl[i] = EVP_MD_CTX_new();
			if (c->tmpl[i] != NULL &&
			    EVP_DigestSignInit(c->tmpl[i], NULL, NULL, NULL, k->pkey) != 1) {
				EVP_MD_CTX_free(c->tmpl[i]);
				c->tmpl[i] = NULL;
			}
		}
	}
	return c;
}

void sign_ctx_free(struct sign_ctx *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ks->count; i++) {
		EVP_PKEY_CTX_free(c->pctx[i]);
		EVP_MD_CTX_free(c->tmpl[i]);
	}
	EVP_MD_CTX_free(c->work);
	free(c->pctx);
	free(c->tmpl);
	free(c);
}

/* DER ECDSA signature to r || s (32 bytes each). */
static bool ecdsa_raw(const uint8_t *der, size_t dlen, uint8_t *sig)
{
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	const BIGNUM *r, *s;
	bool ok = false;

	if (es != NULL) {
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
		ECDSA_SIG_free(es);
	}
	return ok;
}

/* Sign data with key k of ks into sig (64 bytes for both algorithms), with
 * the prepared contexts of c when given. */
static int sign_data(struct sign_ctx *c, const struct sign_keys *ks, size_t k, const uint8_t *data,
		     size_t len, uint8_t *sig, struct gslb_err *err)
{
	const struct sign_key *key = &ks->keys[k];
	uint8_t der[80];
	size_t dlen = sizeof(der);
	int rc = -1;

	if (c != NULL && key->alg == SIGN_ALG_ECDSAP256SHA256 && c->pctx[k] != NULL &&
	    sha256_md != NULL) {
		uint8_t md[32];
		unsigned mdlen = 0;

		if (EVP_Digest(data, len, md, &mdlen, sha256_md, NULL) == 1 && mdlen == 32 &&
		    EVP_PKEY_sign(c->pctx[k], der, &dlen, md, 32) == 1 && ecdsa_raw(der, dlen, sig))
			return 0;
	} else if (c != NULL && key->alg == SIGN_ALG_ED25519 && c->tmpl[k] != NULL &&
		   c->work != NULL && EVP_MD_CTX_copy_ex(c->work, c->tmpl[k]) == 1) {
		size_t slen = 64;

		if (EVP_DigestSign(c->work, sig, &slen, data, len) == 1 && slen == 64)
			return 0;
	}
	/* Without prepared contexts (or when they failed): a context of its own. */
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (ctx == NULL)
			return gslb_err_set(err, "out of memory for a signature");
		if (key->alg == SIGN_ALG_ED25519) {
			size_t slen = 64;

			if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
			    EVP_DigestSign(ctx, sig, &slen, data, len) == 1 && slen == 64)
				rc = 0;
		} else if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
			   EVP_DigestSign(ctx, der, &dlen, data, len) == 1 && ecdsa_raw(der, dlen, sig)) {
			rc = 0;
		}
		EVP_MD_CTX_free(ctx);
	}
	if (rc != 0)
		return gslb_err_set(err, "%s: signing failed", key->path);
	return 0;
}

uint32_t sign_expiration(const struct sign_keys *ks, const uint8_t *owner, uint16_t type)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	if (ks->jitter == 0)
		return ks->expiration;
	for (size_t i = 0, n = dname_len(owner); i < n; i++)
		h = (h ^ (uint8_t)tolower(owner[i])) * 16777619u;
	h = (h ^ (type >> 8)) * 16777619u;
	h = (h ^ (type & 0xff)) * 16777619u;
	return ks->expiration - h % ks->jitter;
}

long sign_rrset(const struct sign_keys *ks, const struct sign_rrset *rs, uint8_t *out, size_t cap,
		struct gslb_err *err)
{
	return sign_rrset_ctx(NULL, ks, rs, out, cap, err);
}

long sign_rrset_ctx(struct sign_ctx *c, const struct sign_keys *ks, const struct sign_rrset *rs,
		    uint8_t *out, size_t cap, struct gslb_err *err)
{
	size_t owner_len = dname_len(rs->owner);
	unsigned labels = dname_label_count(rs->owner) - 1;
	struct rr_ref *refs;
	uint8_t *canon, *data;
	size_t data_len, pos = 0, written = 0, hdr_len;
	uint32_t rp = 0;

	if (dname_is_wildcard(rs->owner))
		labels--;
	/* Canonical RDATA, sorted (RFC 4034 6.3). */
	refs = xcalloc(rs->rr_count > 0 ? rs->rr_count : 1, sizeof(*refs));
	canon = xmalloc(rs->rdata_len > 0 ? rs->rdata_len : 1);
	memcpy(canon, rs->rdata, rs->rdata_len);
	for (uint16_t i = 0; i < rs->rr_count && rp + 2 <= rs->rdata_len; i++) {
		uint16_t l = (uint16_t)(canon[rp] << 8 | canon[rp + 1]);

		refs[i].rd = canon + rp + 2;
		refs[i].len = l;
		canon_rdata(rs->type, canon + rp + 2, l);
		rp += 2u + l;
	}
	qsort(refs, rs->rr_count, sizeof(*refs), cmp_rr);
	hdr_len = 18 + ks->origin_len;
	data_len = hdr_len + (size_t)rs->rr_count * (owner_len + 10) + rs->rdata_len;
	data = xmalloc(data_len);
	/* The records part, after the RRSIG RDATA that changes per key. */
	pos = hdr_len;
	for (uint16_t i = 0; i < rs->rr_count; i++) {
		if (i > 0 && refs[i].len == refs[i - 1].len &&
		    memcmp(refs[i].rd, refs[i - 1].rd, refs[i].len) == 0)
			continue; /* duplicates count once */
		memcpy(data + pos, rs->owner, owner_len);
		dname_lower(data + pos);
		pos += owner_len;
		put16(data + pos, rs->type);
		put16(data + pos + 2, CLASS_IN);
		put32(data + pos + 4, rs->ttl);
		put16(data + pos + 8, refs[i].len);
		memcpy(data + pos + 10, refs[i].rd, refs[i].len);
		pos += 10u + refs[i].len;
	}
	for (size_t k = 0; k < ks->count; k++) {
		const struct sign_key *key = &ks->keys[k];
		bool use = rs->type == TYPE_DNSKEY ? key->signs_dnskey : key->signs_data;
		uint8_t *h = data;

		if (!use)
			continue;
		if (written + 2 + hdr_len + 64 > cap) {
			written = 0;
			gslb_err_set(err, "no room for the signatures");
			free(refs);
			free(canon);
			free(data);
			return GSLB_EINVAL;
		}
		put16(h, rs->type);
		h[2] = key->alg;
		h[3] = (uint8_t)labels;
		put32(h + 4, rs->ttl);
		put32(h + 8, rs->expiration != 0 ? rs->expiration : ks->expiration);
		put32(h + 12, ks->inception);
		put16(h + 16, key->tag);
		memcpy(h + 18, ks->origin, ks->origin_len);
		put16(out + written, (uint16_t)(hdr_len + 64));
		memcpy(out + written + 2, h, hdr_len);
		if (sign_data(c, ks, k, data, pos, out + written + 2 + hdr_len, err) != 0) {
			free(refs);
			free(canon);
			free(data);
			return GSLB_EINVAL;
		}
		written += 2 + hdr_len + 64;
	}
	free(refs);
	free(canon);
	free(data);
	return (long)written;
}

size_t sign_type_bitmap(const uint16_t *types, size_t n, uint8_t *out)
{
	uint8_t win[256][32];
	uint8_t used[256];
	size_t pos = 0;

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < n; i++) {
		unsigned w = types[i] >> 8, b = types[i] & 0xff;

		if (!used[w]) {
			memset(win[w], 0, 32);
			used[w] = 1;
		}
		win[w][b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	for (unsigned w = 0; w < 256; w++) {
		unsigned len = 32;

		if (!used[w])
			continue;
		while (len > 0 && win[w][len - 1] == 0)
			len--;
		if (len == 0)
			continue;
		out[pos] = (uint8_t)w;
		out[pos + 1] = (uint8_t)len;
		memcpy(out + pos + 2, win[w], len);
		pos += 2 + len;
	}
	return pos;
}

size_t sign_nsec_rdata(const uint8_t *next, const uint16_t *types, size_t n, uint8_t *out)
{
	size_t nl = dname_len(next);

	memcpy(out, next, nl);
	return nl + sign_type_bitmap(types, n, out + nl);
}

bool sign_bitmap_has_type(const uint8_t *bm, size_t len, uint16_t type)
{
	size_t pos = 0;

	while (pos + 2 <= len) {
		unsigned w = bm[pos], l = bm[pos + 1];

		if (pos + 2 + l > len)
			return false;
		if (w == (unsigned)(type >> 8)) {
			unsigned b = type & 0xff;

			return b / 8 < l && (bm[pos + 2 + b / 8] & (0x80 >> (b % 8))) != 0;
		}
		pos += 2 + l;
	}
	return false;
}

bool sign_nsec_has_type(const uint8_t *rd, size_t len, uint16_t type)
{
	size_t pos = 0;

	while (pos < len && rd[pos] != 0)
		pos += 1u + rd[pos];
	pos++;
	return pos <= len && sign_bitmap_has_type(rd + pos, len - pos, type);
}

void sign_nsec3_hash(const uint8_t *lname, const uint8_t *salt, uint8_t salt_len,
		     uint16_t iterations, uint8_t out[20])
{
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, lname, dname_len(lname));
	sha1_update(&s, salt, salt_len);
	sha1_final(&s, out);
	for (uint16_t i = 0; i < iterations; i++) {
		sha1_init(&s);
		sha1_update(&s, out, 20);
		sha1_update(&s, salt, salt_len);
		sha1_final(&s, out);
	}
}

static const char b32[] = "0123456789abcdefghijklmnopqrstuv";

void sign_base32hex(const uint8_t in[20], uint8_t out[32])
{
	for (unsigned i = 0; i < 32; i++) {
		unsigned bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)in[byte] << 8 | (byte + 1 < 20 ? in[byte + 1] : 0);

		out[i] = (uint8_t)b32[(v >> (11 - off)) & 31];
	}
}

bool sign_base32hex_decode(const uint8_t *in, size_t len, uint8_t out[20])
{
	if (len != 32)
		return false;
	memset(out, 0, 20);
	for (unsigned i = 0; i < 32; i++) {
		uint8_t c = dname_lower_byte(in[i]);
		unsigned v, bit = i * 5, byte = bit / 8, off = bit % 8;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'v')
			v = (unsigned)(c - 'a' + 10);
		else
			return false;
		/* 5 bits at bit offset off of byte, spilling into the next one */
		v <<= 11 - off;
		out[byte] |= (uint8_t)(v >> 8);
		if (byte + 1 < 20)
			out[byte + 1] |= (uint8_t)v;
	}
	return true;
}

/* DNSSEC signing (RFC 4033-4035): keys read from the files ldns-keygen
 * writes, RRSIG records computed with libcrypto, NSEC records of a compiled
 * zone. Used by zone_set_load() to sign a zone in memory and, through
 * zone_sign_rrset(), by the load-balanced names' signature tables. Main
 * thread only (loading); nothing here runs on the query path. */
#ifndef GSLBD_ZONES_SIGN_H
#define GSLBD_ZONES_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct zone;

/* DNSSEC algorithms gslbd signs with. */
#define SIGN_ALG_ECDSAP256SHA256 13
#define SIGN_ALG_ED25519 15

/* DNSKEY flags: zone key, secure entry point (a KSK, or a CSK alone). */
#define SIGN_FLAG_ZONE 0x0100
#define SIGN_FLAG_SEP 0x0001

/* One key of a zone. */
struct sign_key {
	void *pkey;            /* EVP_PKEY (owned) */
	uint8_t *dnskey;       /* DNSKEY RDATA from the .key file (owned) */
	uint16_t dnskey_len;   /* bytes at dnskey */
	uint16_t flags;        /* DNSKEY flags */
	uint8_t alg;           /* DNSSEC algorithm number */
	uint16_t tag;          /* key tag (RFC 4034 appendix B) */
	bool active;           /* signs (else only published in the DNSKEY RRset) */
	bool signs_dnskey;     /* signs the DNSKEY RRset */
	bool signs_data;       /* signs every other RRset */
	char *path;            /* the .private file, for messages */
};

/* The keys and the signing times of one zone. */
struct sign_keys {
	struct sign_key *keys; /* count entries */
	size_t count;
	uint32_t inception;    /* RRSIG inception (seconds since the epoch, mod 2^32) */
	uint32_t expiration;   /* RRSIG expiration */
	uint32_t now;          /* signing time */
	uint32_t refresh;      /* signatures expiring later than this from now may be kept */
	uint32_t jitter;       /* zone signatures expire up to this much before expiration,
	                        * by owner and type (sign_expiration()) */
	uint32_t batch;        /* a re-signing also makes again the signatures that would be
	                        * due within this much after refresh (sign_keep()) */
	uint8_t origin[255];   /* signer name (canonical) */
	size_t origin_len;
};

/* Read the key pair whose .private and .key files path names (the common
 * prefix, or either file) for the zone origin (canonical wire name). The
 * key must be a zone key of algorithm 13 or 15 whose owner is the origin and
 * whose public half matches the private one. A private key file that others
 * than its owner may read is logged as a warning. Fills *key; on error a
 * negative code with err->msg "message" (the caller prefixes where). */
int sign_key_load(const char *path, const uint8_t *origin, bool active, struct sign_key *key,
		  struct gslb_err *err);
void sign_key_fini(struct sign_key *key);
/* A copy of src into dst that shares its private key (reference counted:
 * signing with both from different threads is safe); free with
 * sign_key_fini(). */
void sign_key_copy(struct sign_key *dst, const struct sign_key *src);

/* Decide which active keys sign what: per algorithm, keys with the SEP flag
 * sign the DNSKEY RRset and keys without it everything else; an algorithm
 * with only SEP keys (a CSK) signs everything with them. Returns 0, or an
 * error when no key is active. */
int sign_keys_roles(struct sign_keys *ks, struct gslb_err *err);

/* One RRset to sign: its records as the zone stores them (a 2-byte RDLENGTH
 * then RDATA each, names uncompressed). */
struct sign_rrset {
	const uint8_t *owner; /* owner name, canonical (a wildcard owner keeps its "*") */
	uint16_t type;
	uint32_t ttl;         /* original TTL */
	const uint8_t *rdata; /* packed records */
	uint32_t rdata_len;
	uint16_t rr_count;
	uint32_t expiration;  /* RRSIG expiration; 0: the keys' expiration */
};

/* The expiration of the signatures of the RRset (owner, type) signed with
 * ks: its expiration less a share of jitter that depends on the owner
 * (case-insensitively) and type alone, so that the signatures of a zone
 * come due over a span of time rather than all at once, and a re-signing
 * makes again only a slice of them. */
uint32_t sign_expiration(const struct sign_keys *ks, const uint8_t *owner, uint16_t type);

/* Is a signature expiring at expiration good enough to keep at a signing
 * at ks->now: later than refresh plus batch from now? */
static inline bool sign_keep(const struct sign_keys *ks, uint32_t expiration)
{
	return (int32_t)(expiration - ks->now) > (int32_t)(ks->refresh + ks->batch);
}

/* RRSIG RDATAs of rs by every key that signs its type, appended to out as
 * packed records (2-byte RDLENGTH, RDATA), at most cap bytes. Returns the
 * bytes written (0: no key signs it), or a negative code (no room, a
 * libcrypto failure) with err set. */
long sign_rrset(const struct sign_keys *ks, const struct sign_rrset *rs, uint8_t *out, size_t cap,
		struct gslb_err *err);

/* Contexts prepared for signing many RRsets with ks from one thread
 * (several times faster than sign_rrset()'s per-signature setup). One per
 * thread; ks must outlive it. */
struct sign_ctx;
struct sign_ctx *sign_ctx_new(const struct sign_keys *ks);
void sign_ctx_free(struct sign_ctx *c);
/* sign_rrset() with the contexts of c (NULL: made per signature). */
long sign_rrset_ctx(struct sign_ctx *c, const struct sign_keys *ks, const struct sign_rrset *rs,
		    uint8_t *out, size_t cap, struct gslb_err *err);

/* Most bytes sign_rrset() writes for one key. */
#define SIGN_RRSIG_MAX (2 + 18 + 255 + 64)

/* NSEC RDATA (RFC 4034 4.1): next (canonical), then the type bitmap of the
 * types[] (n entries, any order, duplicates allowed). Returns its length
 * (out holds 255 + 2 + 8192 bytes at most; callers give 255 + 34 * 256). */
size_t sign_nsec_rdata(const uint8_t *next, const uint16_t *types, size_t n, uint8_t *out);
/* The type bitmap of types[] (n entries, any order, duplicates allowed) in
 * NSEC form (RFC 4034 4.1.2) into out (34 * 256 bytes at most); returns its
 * length. */
size_t sign_type_bitmap(const uint16_t *types, size_t n, uint8_t *out);
/* Does the type bitmap at bm (len bytes) list type? */
bool sign_bitmap_has_type(const uint8_t *bm, size_t len, uint16_t type);

/* NSEC3 hash (RFC 5155 5) of the canonical name lname with salt and
 * iterations, SHA-1: 20 bytes into out. No allocation. */
void sign_nsec3_hash(const uint8_t *lname, const uint8_t *salt, uint8_t salt_len,
		     uint16_t iterations, uint8_t out[20]);
/* The 20 bytes of in as 32 characters of base32hex (RFC 4648 7), lower case. */
void sign_base32hex(const uint8_t in[20], uint8_t out[32]);
/* The 32 base32hex characters at in (any case) into 20 bytes; false when
 * they are not that. */
bool sign_base32hex_decode(const uint8_t *in, size_t len, uint8_t out[20]);

/* Does the NSEC RDATA rd (len bytes) list type? */
bool sign_nsec_has_type(const uint8_t *rd, size_t len, uint16_t type);

#endif

/* Unit tests of the DNSSEC signer (zones/sign, zones/zone_sign): the
 * primitives against the RFCs' own examples, key loading and its errors,
 * and whole zones signed in memory compared with ldns's signer on the same
 * data and keys: the same NSEC or NSEC3 chain (owners, next names, type
 * bitmaps), RRSIGs on the same RRsets by the same keys, every RRSIG
 * verified by ldns, load-balanced names in the chain with their real types,
 * a rollover's published key, and a reload that keeps what did not change. */
#include <config.h>

#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/zone.h"

/* The zone of the DNSSEC integration test: delegations with and without
 * DS, glue, a wildcard, a CNAME chain, an empty non-terminal. */
#define ZFILE   TEST_DATA_DIR "/integ/dnssec/dnssec.test.zone"
#define ZORIGIN "dnssec.test."
#define LBFILE  TEST_DATA_DIR "/zones/lb.test.zone"

static char dir[] = "/tmp/check_sign.XXXXXX";

static void dir_setup(void)
{
	strcpy(dir, "/tmp/check_sign.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* One generated key pair, written as ldns-keygen writes it. */
struct tkey {
	ldns_key *k;  /* for ldns's signer */
	char *prefix; /* <dir>/K<origin>+<alg>+<tag> */
	uint16_t tag;
};

static void keygen(const char *origin, ldns_signing_algorithm alg, bool ksk, struct tkey *out)
{
	ldns_key *k = ldns_key_new_frm_algorithm(alg, alg == LDNS_SIGN_RSASHA256 ? 1024 : 256);
	ldns_rr *rr;
	char *path;
	FILE *f;

	ck_assert_ptr_nonnull(k);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(origin));
	ldns_key_set_flags(k, ksk ? 257 : 256);
	rr = ldns_key2rr(k);
	ck_assert_ptr_nonnull(rr);
	ldns_rr_set_ttl(rr, 3600);
	out->tag = ldns_calc_keytag(rr);
	ldns_key_set_keytag(k, out->tag);
	out->k = k;
	out->prefix = xasprintf("%s/K%s+%03u+%05u", dir, origin, (unsigned)alg, out->tag);
	path = xasprintf("%s.key", out->prefix);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ldns_rr_print(f, rr);
	fclose(f);
	free(path);
	path = xasprintf("%s.private", out->prefix);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ldns_key_print(f, k);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	free(path);
	ldns_rr_free(rr);
}

static void tkey_free(struct tkey *t)
{
	ldns_key_deep_free(t->k);
	free(t->prefix);
}

/* Every record of z as ldns records (the signer's output included). */
static ldns_rr_list *zone_rrs(const struct zone *z)
{
	static uint8_t wire[255 + 10 + 65535];
	ldns_rr_list *l = ldns_rr_list_new();

	for (size_t i = 0; i < zone_node_count(z); i++) {
		const struct zone_node *n = zone_node_at(z, i);

		for (uint16_t j = 0; j < n->rrset_count; j++) {
			const struct zone_rrset *rs = &n->rrsets[j];
			const uint8_t *rd;
			uint32_t pos = 0;
			uint16_t len;

			while ((rd = zone_rrset_next(rs, &pos, &len)) != NULL) {
				size_t o = n->name_len, p = 0;
				ldns_rr *rr = NULL;

				memcpy(wire, n->name, o);
				wire[o++] = (uint8_t)(rs->type >> 8);
				wire[o++] = (uint8_t)rs->type;
				wire[o++] = 0;
				wire[o++] = 1;
				wire[o++] = (uint8_t)(rs->ttl >> 24);
				wire[o++] = (uint8_t)(rs->ttl >> 16);
				wire[o++] = (uint8_t)(rs->ttl >> 8);
				wire[o++] = (uint8_t)rs->ttl;
				wire[o++] = (uint8_t)(len >> 8);
				wire[o++] = (uint8_t)len;
				memcpy(wire + o, rd, len);
				o += len;
				ck_assert_int_eq(
				    ldns_wire2rr(&rr, wire, o, &p, LDNS_SECTION_ANSWER),
				    LDNS_STATUS_OK);
				ldns_rr_list_push_rr(l, rr);
			}
		}
	}
	return l;
}

/* The zone file signed by ldns with keys (NSEC, or NSEC3 with the given
 * parameters): the records its signer added (RRSIG, NSEC, NSEC3 and
 * NSEC3PARAM), cloned. */
static ldns_rr_list *ldns_signed(const char *path, const char *origin, struct tkey *keys,
				 size_t nkeys, bool nsec3, uint16_t iterations, uint8_t salt_len,
				 uint8_t *salt, bool opt_out)
{
	FILE *f = fopen(path, "r");
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	ldns_zone *orig = NULL;
	ldns_dnssec_zone *dz = ldns_dnssec_zone_new();
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *added = ldns_rr_list_new(), *keyrrs = ldns_rr_list_new(), *out;
	ldns_status s;

	/* As ldns-signzone does: the records belong to orig, keyrrs and
	 * added; the signing zone only points at them. */
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ldns_zone_new_frm_fp(&orig, f, o, 300, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(f);
	ldns_rdf_deep_free(o);
	ck_assert_int_eq(ldns_dnssec_zone_add_rr(dz, ldns_zone_soa(orig)), LDNS_STATUS_OK);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(orig)); i++)
		ck_assert_int_eq(
		    ldns_dnssec_zone_add_rr(dz, ldns_rr_list_rr(ldns_zone_rrs(orig), i)),
		    LDNS_STATUS_OK);
	for (size_t i = 0; i < nkeys; i++) {
		ldns_rr *rr = ldns_key2rr(keys[i].k);

		ldns_rr_set_ttl(rr, 3600);
		ldns_rr_list_push_rr(keyrrs, rr);
		ck_assert_int_eq(ldns_dnssec_zone_add_rr(dz, rr), LDNS_STATUS_OK);
		ldns_key_list_push_key(kl, keys[i].k);
	}
	if (nsec3)
		s = ldns_dnssec_zone_sign_nsec3_flg(
		    dz, added, kl, ldns_dnssec_default_replace_signatures, NULL, LDNS_SHA1,
		    opt_out ? 1 : 0, iterations, salt_len, salt, 0);
	else
		s = ldns_dnssec_zone_sign(dz, added, kl, ldns_dnssec_default_replace_signatures,
					  NULL);
	ck_assert_int_eq(s, LDNS_STATUS_OK);
	out = ldns_rr_list_clone(added);
	ldns_dnssec_zone_free(dz);
	ldns_rr_list_deep_free(added);
	ldns_rr_list_deep_free(keyrrs);
	ldns_zone_deep_free(orig);
	/* The keys belong to the caller (ldns_key_list_free() frees those it
	 * counts). */
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	return out;
}

/* The records of l that say what a signer did, as sorted lowercase lines:
 * "owner RRSIG covered keytag", "owner NSEC|NSEC3 rdata", "owner NSEC3PARAM
 * rdata" (TTLs and signature bytes aside: ECDSA signatures differ on every
 * signing). */
static char **signer_lines(const ldns_rr_list *l, size_t *count)
{
	char **lines = xmalloc((ldns_rr_list_rr_count(l) + 1) * sizeof(*lines));
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *rd = NULL, *line;

		if (t == LDNS_RR_TYPE_RRSIG) {
			char *covered = ldns_rdf2str(ldns_rr_rdf(rr, 0));

			line = xasprintf("%s RRSIG %s %u", owner, covered,
					 (unsigned)ldns_rdf2native_int16(ldns_rr_rdf(rr, 6)));
			free(covered);
		} else if (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 ||
			   t == LDNS_RR_TYPE_NSEC3PARAM) {
			ldns_buffer *b = ldns_buffer_new(256);

			for (size_t r = 0; r < ldns_rr_rd_count(rr); r++) {
				ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, r));
				ldns_buffer_printf(b, " ");
			}
			rd = ldns_buffer_export2str(b);
			ldns_buffer_free(b);
			line = xasprintf("%s %s %s", owner,
					 t == LDNS_RR_TYPE_NSEC    ? "NSEC"
					 : t == LDNS_RR_TYPE_NSEC3 ? "NSEC3"
								   : "NSEC3PARAM",
					 rd);
		} else {
			free(owner);
			continue;
		}
		for (char *c = line; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		lines[n++] = line;
		free(owner);
		free(rd);
	}
	*count = n;
	return lines;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* gslbd's signer output for z equals ldns's for the same file and keys. */
static void same_as_ldns(const struct zone *z, ldns_rr_list *ref)
{
	ldns_rr_list *ours = zone_rrs(z);
	size_t n1, n2, i;
	char **a = signer_lines(ours, &n1), **b = signer_lines(ref, &n2);

	qsort(a, n1, sizeof(*a), str_cmp);
	qsort(b, n2, sizeof(*b), str_cmp);
	for (i = 0; i < n1 && i < n2; i++)
		ck_assert_msg(strcmp(a[i], b[i]) == 0, "gslbd: %s\nldns:  %s", a[i], b[i]);
	ck_assert_msg(n1 == n2, "gslbd has %zu signer records, ldns %zu (first extra: %s)", n1, n2,
		      n1 > n2 ? a[i] : b[i]);
	lines_free(a, n1);
	lines_free(b, n2);
	ldns_rr_list_deep_free(ours);
}

/* Every RRSIG of z verifies with z's DNSKEY RRset (ldns); returns how many. */
static size_t verify_all(const struct zone *z)
{
	ldns_rr_list *all = zone_rrs(z), *keys = ldns_rr_list_new();
	size_t checked = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(all, i)) == LDNS_RR_TYPE_DNSKEY)
			ldns_rr_list_push_rr(keys, ldns_rr_list_rr(all, i));
	ck_assert_uint_gt(ldns_rr_list_rr_count(keys), 0);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *sig = ldns_rr_list_rr(all, i);
		ldns_rr_list *rrset = ldns_rr_list_new(), *good = ldns_rr_list_new();
		ldns_rr_type covered;
		ldns_status s;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG) {
			ldns_rr_list_free(rrset);
			ldns_rr_list_free(good);
			continue;
		}
		covered = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig));
		for (size_t j = 0; j < ldns_rr_list_rr_count(all); j++) {
			ldns_rr *rr = ldns_rr_list_rr(all, j);

			if (ldns_rr_get_type(rr) == covered &&
			    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(sig)) == 0)
				ldns_rr_list_push_rr(rrset, rr);
		}
		s = ldns_verify_rrsig_keylist(rrset, sig, keys, good);
		ck_assert_msg(s == LDNS_STATUS_OK, "RRSIG %s does not verify: %s", ldns_rr2str(sig),
			      ldns_get_errorstr_by_id(s));
		checked++;
		ldns_rr_list_free(rrset);
		ldns_rr_list_free(good);
	}
	ldns_rr_list_free(keys);
	ldns_rr_list_deep_free(all);
	return checked;
}

/* Load one zone (file at path, origin) signed with the key files keys. */
static struct zone_set *load_signed(const char *origin, const char *path,
				    const struct zone_key_source *keys, size_t nkeys,
				    const struct zone_dnssec *tmpl, const struct zone_set *prev)
{
	struct zone_dnssec d = *tmpl;
	struct zone_source src = {.origin = origin, .path = path, .dnssec = &d};
	struct gslb_err err = {""};
	struct zone_set *set = NULL;

	d.keys = keys;
	d.key_count = nkeys;
	ck_assert_msg(zone_set_load_prev(&src, 1, prev, &set, &err) == 0, "load: %s", err.msg);
	ck_assert(zone_is_signed(zone_set_zone(set, 0)));
	return set;
}

static const struct zone_dnssec policy = {
    .validity = 14 * 86400, .inception = 3600, .refresh = 7 * 86400};

/* The NSEC3 chain of z (no salt, no iterations, opt-out) is closed, every
 * record has the opt-out flag, the insecure delegation has no NSEC3 and
 * the secure one has. */
static void nsec3_opt_out_chain(const struct zone *z)
{
	uint8_t owners[64][20], nexts[64][20], h[20], name[DNAME_MAXLEN];
	size_t n = 0;
	bool insecure = false, secure = false;
	uint8_t hi[20], hs[20];

	ck_assert_int_gt(dname_from_str("insecure." ZORIGIN, name), 0);
	sign_nsec3_hash(name, NULL, 0, 0, hi);
	ck_assert_int_gt(dname_from_str("secure." ZORIGIN, name), 0);
	sign_nsec3_hash(name, NULL, 0, 0, hs);
	for (size_t i = 0; i < zone_node_count(z); i++) {
		const struct zone_node *x = zone_node_at(z, i);
		const struct zone_rrset *rs = zone_node_rrset(x, 50);
		const uint8_t *rd;
		uint32_t pos = 0;
		uint16_t len;

		if (rs == NULL)
			continue;
		ck_assert(x->flags & ZONE_NODE_NSEC3);
		ck_assert_uint_lt(n, 64);
		ck_assert_uint_eq(x->name[0], 32);
		ck_assert(sign_base32hex_decode(x->name + 1, 32, owners[n]));
		rd = zone_rrset_next(rs, &pos, &len);
		/* hash 1, flags, iterations, salt length 0, hash length 20 */
		ck_assert_uint_eq(rd[0], 1);
		ck_assert_uint_eq(rd[1], 1);
		ck_assert_uint_eq(rd[4], 0);
		ck_assert_uint_eq(rd[5], 20);
		memcpy(nexts[n], rd + 6, 20);
		if (memcmp(owners[n], hi, 20) == 0)
			insecure = true;
		if (memcmp(owners[n], hs, 20) == 0)
			secure = true;
		n++;
	}
	ck_assert_uint_gt(n, 5);
	ck_assert(!insecure);
	ck_assert(secure);
	/* Owners in hash order, each naming the next, the last the first. */
	for (size_t i = 0; i < n; i++) {
		memcpy(h, owners[(i + 1) % n], 20);
		ck_assert_mem_eq(nexts[i], h, 20);
		if (i + 1 < n)
			ck_assert_int_lt(memcmp(owners[i], owners[i + 1], 20), 0);
	}
}

/* ---- primitives ------------------------------------------------------ */

START_TEST(test_nsec3_hash_rfc5155)
{
	/* RFC 5155 appendix A: salt aabbccdd, 12 iterations. */
	static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
	static const struct {
		const char *name, *hash;
	} ex[] = {
	    {"example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
	    {"a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
	    {"ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
	    {"*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
	    {"xx.example", "t644ebqk9bibcna874givr6joj62mlhv"},
	};
	uint8_t name[DNAME_MAXLEN], h[20], b32[32], back[20];

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		ck_assert_int_gt(dname_from_str(ex[i].name, name), 0);
		sign_nsec3_hash(name, salt, sizeof(salt), 12, h);
		sign_base32hex(h, b32);
		ck_assert_msg(memcmp(b32, ex[i].hash, 32) == 0, "%s: %.32s", ex[i].name, b32);
		ck_assert(sign_base32hex_decode((const uint8_t *)ex[i].hash, 32, back));
		ck_assert_mem_eq(back, h, 20);
	}
	/* Upper case decodes; wrong length or alphabet does not. */
	ck_assert(
	    sign_base32hex_decode((const uint8_t *)"0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM", 32, back));
	ck_assert(
	    !sign_base32hex_decode((const uint8_t *)"0p9mhaveqvm6t7vbl5lop2u3t2rp3to", 31, back));
	ck_assert(
	    !sign_base32hex_decode((const uint8_t *)"0p9mhaveqvm6t7vbl5lop2u3t2rp3toz", 32, back));
}
END_TEST

START_TEST(test_type_bitmap_rfc4034)
{
	/* RFC 4034 4.3: A MX RRSIG NSEC TYPE1234, types in any order, repeated. */
	static const uint16_t types[] = {47, 1234, 1, 15, 46, 1};
	static const uint8_t head[] = {0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b};
	uint8_t want[sizeof(head) + 27];
	uint8_t bm[34 * 256], rd[255 + 34 * 256], next[DNAME_MAXLEN];
	size_t n = sign_type_bitmap(types, sizeof(types) / sizeof(types[0]), bm);
	int nl = dname_from_str("host.example.com", next);

	memcpy(want, head, sizeof(head));
	memset(want + sizeof(head), 0, 26);
	want[sizeof(want) - 1] = 0x20;
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(bm, want, n);
	ck_assert(sign_bitmap_has_type(bm, n, 1));
	ck_assert(sign_bitmap_has_type(bm, n, 1234));
	ck_assert(!sign_bitmap_has_type(bm, n, 2));
	ck_assert(!sign_bitmap_has_type(bm, n, 1235));
	ck_assert(!sign_bitmap_has_type(bm, n, 65535));
	ck_assert_int_gt(nl, 0);
	n = sign_nsec_rdata(next, types, sizeof(types) / sizeof(types[0]), rd);
	ck_assert_uint_eq(n, (size_t)nl + sizeof(want));
	ck_assert_mem_eq(rd, next, (size_t)nl);
	ck_assert(sign_nsec_has_type(rd, n, 15));
	ck_assert(!sign_nsec_has_type(rd, n, 16));
	/* No types: an empty bitmap (an empty non-terminal's NSEC3). */
	ck_assert_uint_eq(sign_type_bitmap(types, 0, bm), 0);
}
END_TEST

/* ---- keys ------------------------------------------------------------ */

START_TEST(test_key_load)
{
	struct tkey ksk, other, second;
	struct sign_key k;
	struct gslb_err err = {""};
	uint8_t origin[DNAME_MAXLEN];
	char *path, *cmd;

	ck_assert_int_gt(dname_from_str(ZORIGIN, origin), 0);
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &ksk);
	keygen("other.test.", LDNS_SIGN_ED25519, false, &other);

	/* By prefix, by either file. */
	ck_assert_msg(sign_key_load(ksk.prefix, origin, true, &k, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(k.alg, 13);
	ck_assert_uint_eq(k.tag, ksk.tag);
	ck_assert_uint_eq(k.flags, 257);
	ck_assert(k.active);
	sign_key_fini(&k);
	path = xasprintf("%s.private", ksk.prefix);
	ck_assert_msg(sign_key_load(path, origin, false, &k, &err) == 0, "%s", err.msg);
	ck_assert(!k.active);
	sign_key_fini(&k);
	free(path);

	/* A key of another zone. */
	ck_assert_int_ne(sign_key_load(other.prefix, origin, true, &k, &err), 0);
	ck_assert_msg(strstr(err.msg, "other.test") != NULL, "%s", err.msg);

	/* Missing files. */
	path = xasprintf("%s/Knothere", dir);
	ck_assert_int_ne(sign_key_load(path, origin, true, &k, &err), 0);
	ck_assert_msg(strstr(err.msg, "Knothere.key") != NULL, "%s", err.msg);
	free(path);

	/* The public half of one key with the private half of another. */
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &second);
	cmd = xasprintf("cp '%s.private' '%s.private'", second.prefix, ksk.prefix);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_ne(sign_key_load(ksk.prefix, origin, true, &k, &err), 0);
	ck_assert_msg(strstr(err.msg, "the private key does not match the public key") != NULL,
		      "%s", err.msg);
	tkey_free(&second);

	/* An algorithm gslbd does not sign with (RSASHA256). */
	keygen(ZORIGIN, LDNS_SIGN_RSASHA256, false, &second);
	ck_assert_int_ne(sign_key_load(second.prefix, origin, true, &k, &err), 0);
	ck_assert_msg(strstr(err.msg, "algorithm 8 is not supported") != NULL, "%s", err.msg);
	tkey_free(&second);

	tkey_free(&ksk);
	tkey_free(&other);
}
END_TEST

/* ---- whole zones ------------------------------------------------------ */

/* A CSK (one key, SEP flag) signing everything, NSEC: ldns's chain and
 * coverage, every signature valid. */
START_TEST(test_csk_nsec_as_ldns)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_set *set;
	ldns_rr_list *ref;

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	set = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, NULL);
	ref = ldns_signed(ZFILE, ZORIGIN, &csk, 1, false, 0, 0, NULL, false);
	same_as_ldns(zone_set_zone(set, 0), ref);
	ck_assert_uint_gt(verify_all(zone_set_zone(set, 0)), 20);
	ck_assert_ptr_null(zone_nsec3(zone_set_zone(set, 0)));
	ldns_rr_list_deep_free(ref);
	zone_set_free(set);
	tkey_free(&csk);
}
END_TEST

/* DNAME RRsets are signed and listed in the type bitmaps like any other,
 * below the apex and at it (where the NSEC3 owners are below the DNAME):
 * NSEC and NSEC3 as ldns's signer makes them. */
START_TEST(test_dname_as_ldns)
{
	static const struct {
		const char *origin, *path;
	} zones[] = {
	    {"example.com.", TEST_DATA_DIR "/integ/dname.zone"},
	    {"example.", TEST_DATA_DIR "/integ/dname-apex.zone"},
	};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		for (int nsec3 = 0; nsec3 <= 1; nsec3++) {
			struct zone_dnssec d = policy;
			struct zone_key_source ks[1];
			struct zone_set *set;
			ldns_rr_list *ref;
			struct tkey csk;

			d.nsec3 = nsec3 != 0;
			keygen(zones[i].origin, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
			ks[0] = (struct zone_key_source){
			    .path = csk.prefix, .active = true, .where = "t:1:1"};
			set = load_signed(zones[i].origin, zones[i].path, ks, 1, &d, NULL);
			ref = ldns_signed(zones[i].path, zones[i].origin, &csk, 1, nsec3 != 0, 0, 0,
					  NULL, false);
			same_as_ldns(zone_set_zone(set, 0), ref);
			ck_assert_uint_gt(verify_all(zone_set_zone(set, 0)), 0);
			ldns_rr_list_deep_free(ref);
			zone_set_free(set);
			tkey_free(&csk);
		}
	}
}
END_TEST

/* KSK + ZSK of two algorithms' worth (Ed25519 here), NSEC3 with RFC 9276
 * defaults, with a salt and iterations, and with opt-out. */
START_TEST(test_ksk_zsk_nsec3_as_ldns)
{
	static uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
	static const struct {
		uint16_t iterations;
		uint8_t salt_len;
		bool opt_out;
	} v[] = {{0, 0, false}, {5, 4, false}, {0, 0, true}};
	struct tkey keys[2];
	struct zone_key_source ks[2];

	keygen(ZORIGIN, LDNS_SIGN_ED25519, true, &keys[0]);
	keygen(ZORIGIN, LDNS_SIGN_ED25519, false, &keys[1]);
	for (size_t i = 0; i < 2; i++)
		ks[i] = (struct zone_key_source){
		    .path = keys[i].prefix, .active = true, .where = "t:1:1"};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct zone_dnssec d = policy;
		struct zone_set *set;
		ldns_rr_list *ref;
		const struct zone_nsec3 *p;

		d.nsec3 = true;
		d.iterations = v[i].iterations;
		d.salt_len = v[i].salt_len;
		d.salt = salt;
		d.opt_out = v[i].opt_out;
		set = load_signed(ZORIGIN, ZFILE, ks, 2, &d, NULL);
		if (!v[i].opt_out) {
			ref = ldns_signed(ZFILE, ZORIGIN, keys, 2, true, v[i].iterations,
					  v[i].salt_len, salt, false);
			same_as_ldns(zone_set_zone(set, 0), ref);
			ldns_rr_list_deep_free(ref);
		} else {
			/* ldns keeps an NSEC3 for the insecure delegation under
			 * opt-out, which RFC 5155 6 allows but which opt-out is
			 * there to spare: gslbd leaves it out. */
			nsec3_opt_out_chain(zone_set_zone(set, 0));
		}
		ck_assert_uint_gt(verify_all(zone_set_zone(set, 0)), 20);
		ck_assert_ptr_nonnull(p = zone_nsec3(zone_set_zone(set, 0)));
		ck_assert_uint_eq(p->iterations, v[i].iterations);
		ck_assert_uint_eq(p->salt_len, v[i].salt_len);
		ck_assert(p->opt_out == v[i].opt_out);
		zone_set_free(set);
	}
	tkey_free(&keys[0]);
	tkey_free(&keys[1]);
}
END_TEST

/* Load-balanced names are in the NSEC chain with the types they answer;
 * an empty non-terminal of the file that is a load-balanced name too. */
START_TEST(test_dynamic_names_in_chain)
{
	static const struct zone_dynamic dyn[] = {
	    {.name = "www.lb.test", .id = 1, .where = "t:1:1", .types = ZONE_DYN_A | ZONE_DYN_AAAA},
	    {.name = "web.lb.test", .id = 2, .where = "t:2:1", .types = ZONE_DYN_A},
	    {.name = "alias.lb.test", .id = 3, .where = "t:3:1", .types = ZONE_DYN_CNAME},
	};
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_dnssec d = policy;
	struct zone_source src = {
	    .origin = "lb.test", .path = LBFILE, .dynamic = dyn, .dynamic_count = 3, .dnssec = &d};
	struct gslb_err err = {""};
	struct zone_set *set = NULL;
	const struct zone *z;
	uint8_t name[DNAME_MAXLEN];
	const struct zone_node *n, *prev = NULL;
	size_t nsecs = 0;

	keygen("lb.test.", LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	d.keys = ks;
	d.key_count = 1;
	ck_assert_msg(zone_set_load(&src, 1, &set, &err) == 0, "%s", err.msg);
	z = zone_set_zone(set, 0);
	verify_all(z);

	/* The chain: every authoritative name in canonical order, each NSEC
	 * naming the next, the last the apex. */
	for (size_t i = 0; i < zone_node_count(z); i++) {
		const struct zone_node *x = zone_node_at(z, i);
		const struct zone_rrset *ns = zone_node_rrset(x, 47);
		bool auth = (x->flags & (ZONE_NODE_EMPTY | ZONE_NODE_OCCLUDED)) == 0 ||
			    (x->flags & ZONE_NODE_DYNAMIC) != 0;

		ck_assert_msg(auth == (ns != NULL), "%s an NSEC record at node %zu",
			      auth ? "no" : "unexpected", i);
		if (ns == NULL)
			continue;
		if (prev != NULL) {
			const struct zone_rrset *pn = zone_node_rrset(prev, 47);
			uint32_t pos = 0;
			uint16_t len;
			const uint8_t *rd = zone_rrset_next(pn, &pos, &len);

			ck_assert(dname_equal(rd, x->name));
		}
		prev = x;
		nsecs++;
	}
	ck_assert_uint_ge(nsecs, 8);

	/* www answers A and AAAA; web (an empty non-terminal of the file) A;
	 * alias a CNAME. Each NSEC lists RRSIG and NSEC besides. */
	{
		static const struct {
			const char *name;
			uint16_t yes[4], no[3];
		} want[] = {
		    {"www.lb.test", {1, 28, 46, 47}, {5, 16, 2}},
		    {"web.lb.test", {1, 46, 47, 0}, {28, 5, 16}},
		    {"alias.lb.test", {5, 46, 47, 0}, {1, 28, 16}},
		};

		for (size_t i = 0; i < 3; i++) {
			const struct zone_rrset *ns;
			uint32_t pos = 0;
			uint16_t len;
			const uint8_t *rd;
			int nl = dname_from_str(want[i].name, name);

			ck_assert_ptr_nonnull(n = zone_find_node(z, name, (size_t)nl));
			ck_assert(n->flags & ZONE_NODE_DYNAMIC);
			ck_assert_ptr_nonnull(ns = zone_node_rrset(n, 47));
			rd = zone_rrset_next(ns, &pos, &len);
			for (size_t t = 0; t < 4 && want[i].yes[t] != 0; t++)
				ck_assert_msg(sign_nsec_has_type(rd, len, want[i].yes[t]),
					      "%s: no type %u", want[i].name, want[i].yes[t]);
			for (size_t t = 0; t < 3; t++)
				ck_assert_msg(!sign_nsec_has_type(rd, len, want[i].no[t]),
					      "%s: type %u", want[i].name, want[i].no[t]);
			/* The NSEC is signed; the name itself has no other RRset. */
			ck_assert_ptr_nonnull(zone_node_rrset(n, 46));
			ck_assert_uint_eq(n->rrset_count, 2);
		}
	}
	zone_set_free(set);
	tkey_free(&csk);
}
END_TEST

/* A pre-published key (rollover): in the DNSKEY RRset, signs nothing. */
START_TEST(test_published_key)
{
	struct tkey keys[3];
	struct zone_key_source ks[3];
	struct zone_set *set;
	ldns_rr_list *all;
	size_t dnskeys = 0, sigs = 0;

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &keys[0]);
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, false, &keys[1]);
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, false, &keys[2]);
	for (size_t i = 0; i < 3; i++)
		ks[i] = (struct zone_key_source){
		    .path = keys[i].prefix, .active = i < 2, .where = "t:1:1"};
	set = load_signed(ZORIGIN, ZFILE, ks, 3, &policy, NULL);
	all = zone_rrs(zone_set_zone(set, 0));
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY)
			dnskeys++;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		sigs++;
		ck_assert_uint_ne(ldns_rdf2native_int16(ldns_rr_rdf(rr, 6)), keys[2].tag);
		/* The KSK signs the DNSKEY RRset alone, the ZSK all the rest. */
		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_DNSKEY)
			ck_assert_uint_eq(ldns_rdf2native_int16(ldns_rr_rdf(rr, 6)), keys[0].tag);
		else
			ck_assert_uint_eq(ldns_rdf2native_int16(ldns_rr_rdf(rr, 6)), keys[1].tag);
	}
	ck_assert_uint_eq(dnskeys, 3);
	ck_assert_uint_gt(sigs, 20);
	verify_all(zone_set_zone(set, 0));
	ldns_rr_list_deep_free(all);
	zone_set_free(set);
	for (size_t i = 0; i < 3; i++)
		tkey_free(&keys[i]);
}
END_TEST

/* The RRSIG records of type covered at the node name in z, as bytes. */
static const struct zone_rrset *sigs_at(const struct zone *z, const char *s)
{
	uint8_t name[DNAME_MAXLEN];
	int n = dname_from_str(s, name);
	const struct zone_node *node = zone_find_node(z, name, (size_t)n);

	ck_assert_ptr_nonnull(node);
	return zone_node_rrset(node, 46);
}

static bool same_rrset(const struct zone_rrset *a, const struct zone_rrset *b)
{
	return a->rdata_len == b->rdata_len && memcmp(a->rdata, b->rdata, a->rdata_len) == 0;
}

/* A reload keeps the signatures of unchanged RRsets (ECDSA signatures
 * differ every time they are made, so equal bytes mean kept) and signs
 * the changed ones again. */
START_TEST(test_reload_keeps_signatures)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_set *first, *second, *third;
	char *changed = xasprintf("%s/changed.zone", dir), *cmd;

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	first = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, NULL);
	second = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, first);
	ck_assert(same_rrset(sigs_at(zone_set_zone(first, 0), "plain.dnssec.test"),
			     sigs_at(zone_set_zone(second, 0), "plain.dnssec.test")));
	ck_assert(same_rrset(sigs_at(zone_set_zone(first, 0), "c1.dnssec.test"),
			     sigs_at(zone_set_zone(second, 0), "c1.dnssec.test")));

	/* One more A record at plain: its RRSIG(A) is new, txtonly's kept. */
	cmd =
	    xasprintf("cp '%s' '%s' && echo 'plain A 192.0.2.99' >>'%s'", ZFILE, changed, changed);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	third = load_signed(ZORIGIN, changed, ks, 1, &policy, second);
	ck_assert(!same_rrset(sigs_at(zone_set_zone(second, 0), "plain.dnssec.test"),
			      sigs_at(zone_set_zone(third, 0), "plain.dnssec.test")));
	ck_assert(same_rrset(sigs_at(zone_set_zone(second, 0), "txtonly.dnssec.test"),
			     sigs_at(zone_set_zone(third, 0), "txtonly.dnssec.test")));
	verify_all(zone_set_zone(third, 0));

	/* A policy whose refresh reaches past every signature's expiration
	 * signs everything again. */
	{
		struct zone_dnssec d = policy;
		struct zone_set *fourth;

		d.refresh = d.validity + 86400;
		fourth = load_signed(ZORIGIN, changed, ks, 1, &d, third);
		ck_assert(!same_rrset(sigs_at(zone_set_zone(third, 0), "txtonly.dnssec.test"),
				      sigs_at(zone_set_zone(fourth, 0), "txtonly.dnssec.test")));
		zone_set_free(fourth);
	}
	zone_set_free(first);
	zone_set_free(second);
	zone_set_free(third);
	free(changed);
	tkey_free(&csk);
}
END_TEST

/* A signed zone whose file and keys did not change is shared by the next
 * load as it is (not read, not signed again); a key file changed makes it
 * read and signed again, keeping the signatures still good; re-signing
 * shares it while nothing is due, and makes a new zone once signatures
 * expire within refresh. */
START_TEST(test_reload_shares_signed_zone)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_set *first, *second, *third, *resigned = NULL;
	struct zone_dnssec d = policy;
	struct zone_source src = {.origin = ZORIGIN, .path = ZFILE, .dnssec = &d};
	struct gslb_err err = {""};
	char *priv;

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	first = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, NULL);
	second = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, first);
	ck_assert_ptr_eq(zone_set_zone(first, 0), zone_set_zone(second, 0));
	ck_assert_uint_eq(zone_set_read_count(second), 0);

	/* The key file rewritten (a new inode): read and signed again. */
	priv = xasprintf("cp '%s.private' '%s.tmp' && mv '%s.tmp' '%s.private'", csk.prefix,
			 csk.prefix, csk.prefix, csk.prefix);
	ck_assert_int_eq(system(priv), 0);
	free(priv);
	third = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, second);
	ck_assert_ptr_ne(zone_set_zone(second, 0), zone_set_zone(third, 0));
	ck_assert_uint_eq(zone_set_read_count(third), 1);
	ck_assert(same_rrset(sigs_at(zone_set_zone(second, 0), "plain.dnssec.test"),
			     sigs_at(zone_set_zone(third, 0), "plain.dnssec.test")));

	/* Nothing due: re-signing shares the zone. */
	d.keys = ks;
	d.key_count = 1;
	ck_assert_msg(zone_set_resign(&src, 1, third, &resigned, &err) == 0, "%s", err.msg);
	ck_assert_ptr_eq(zone_set_zone(third, 0), zone_set_zone(resigned, 0));
	zone_set_free(resigned);

	/* Due (refresh reaching past the earliest signature): a new zone with
	 * the same records. */
	d.refresh = d.validity;
	ck_assert_msg(zone_set_resign(&src, 1, third, &resigned, &err) == 0, "%s", err.msg);
	ck_assert_ptr_ne(zone_set_zone(third, 0), zone_set_zone(resigned, 0));
	ck_assert_uint_eq(zone_rr_count(zone_set_zone(third, 0)),
			  zone_rr_count(zone_set_zone(resigned, 0)));
	zone_set_free(first);
	zone_set_free(second);
	zone_set_free(third);
	zone_set_free(resigned);
	tkey_free(&csk);
}
END_TEST

/* Signing again what is loaded reads no file: with the zone file and the
 * keys gone, zone_set_resign() makes new signatures (later expiration,
 * every one valid), keeps those still good for longer than refresh, and
 * serves the same records, NSEC3 chain and DNSKEYs. */
START_TEST(test_resign_reads_no_file)
{
	struct tkey ksk, zsk;
	struct zone_key_source ks[2];
	struct zone_dnssec d = policy;
	struct zone_source src = {.origin = ZORIGIN, .dnssec = &d};
	struct zone_set *first, *again = NULL, *kept = NULL;
	struct gslb_err err = {""};
	char *copy = xasprintf("%s/resign.zone", dir), *cmd;
	const struct zone *z1, *z2;
	uint32_t t0 = (uint32_t)time(NULL);

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &ksk);
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, false, &zsk);
	ks[0] = (struct zone_key_source){.path = ksk.prefix, .active = true, .where = "t:1:1"};
	ks[1] = (struct zone_key_source){.path = zsk.prefix, .active = true, .where = "t:2:1"};
	cmd = xasprintf("cp '%s' '%s'", ZFILE, copy);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	d.keys = ks;
	d.key_count = 2;
	d.nsec3 = true;
	d.now = t0 - 86400;
	src.path = copy;
	ck_assert_msg(zone_set_load(&src, 1, &first, &err) == 0, "load: %s", err.msg);
	cmd = xasprintf("rm -f '%s' '%s'.* '%s'.*", copy, ksk.prefix, zsk.prefix);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);

	/* A day later, with refresh reaching past every signature: all new. */
	d.now = t0;
	d.refresh = d.validity;
	ck_assert_msg(zone_set_resign(&src, 1, first, &again, &err) == 0, "resign: %s", err.msg);
	z1 = zone_set_zone(first, 0);
	z2 = zone_set_zone(again, 0);
	ck_assert_uint_eq(zone_sig_expire(z2), t0 + policy.validity);
	ck_assert_uint_eq(zone_rr_count(z2), zone_rr_count(z1));
	ck_assert_uint_eq(zone_node_count(z2), zone_node_count(z1));
	ck_assert_uint_eq(zone_serial(z2), zone_serial(z1));
	ck_assert(same_rrset(zone_node_rrset(zone_apex(z1), 48), zone_node_rrset(zone_apex(z2), 48)));
	ck_assert_ptr_nonnull(zone_nsec3(z2));
	ck_assert(!same_rrset(sigs_at(z1, "plain.dnssec.test"), sigs_at(z2, "plain.dnssec.test")));
	ck_assert_uint_gt(verify_all(z2), 20);

	/* With the usual refresh the signatures just made are kept. */
	d.refresh = policy.refresh;
	ck_assert_msg(zone_set_resign(&src, 1, again, &kept, &err) == 0, "resign: %s", err.msg);
	ck_assert(same_rrset(sigs_at(z2, "plain.dnssec.test"),
			     sigs_at(zone_set_zone(kept, 0), "plain.dnssec.test")));
	ck_assert_uint_eq(zone_rr_count(zone_set_zone(kept, 0)), zone_rr_count(z1));

	/* A zone that is not loaded is an error, not a file read. */
	zone_set_free(kept);
	src.origin = "other.test";
	ck_assert_int_eq(zone_set_resign(&src, 1, again, &kept, &err), GSLB_ENOENT);
	zone_set_free(first);
	zone_set_free(again);
	free(copy);
	tkey_free(&ksk);
	tkey_free(&zsk);
}
END_TEST

/* Every RRSIG expiration of z but the DNSKEY RRset's into exp (cap),
 * returning how many. */
static size_t expirations(const struct zone *z, uint32_t *exp, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < zone_node_count(z); i++) {
		const struct zone_rrset *rs = zone_node_rrset(zone_node_at(z, i), 46);
		const uint8_t *rd;
		uint32_t pos = 0;
		uint16_t len;

		while (rs != NULL && (rd = zone_rrset_next(rs, &pos, &len)) != NULL) {
			if ((rd[0] << 8 | rd[1]) == 48)
				continue;
			ck_assert_uint_lt(n, cap);
			exp[n++] = (uint32_t)rd[8] << 24 | (uint32_t)rd[9] << 16 |
				   (uint32_t)rd[10] << 8 | rd[11];
		}
	}
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* With jitter the signatures of a zone expire over [expiration - jitter,
 * expiration], by owner and type, and the re-signing due at the earliest
 * makes again only the slice due within jitter / 8 after refresh: the
 * others keep their signatures, so a secondary's IXFR carries a slice. */
START_TEST(test_jitter_spreads_resigning)
{
	enum { NAMES = 400, CAP = 2048 };
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_dnssec d = policy;
	struct zone_source src = {.origin = ZORIGIN, .dnssec = &d};
	struct zone_set *first, *again = NULL;
	struct gslb_err err = {""};
	char *path = xasprintf("%s/jitter.zone", dir);
	FILE *f = fopen(path, "w");
	static uint32_t e1[CAP], e2[CAP];
	size_t n1, n2, distinct = 1, made = 0;
	uint32_t t0 = (uint32_t)time(NULL), due, jitter = 2 * 86400;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "$ORIGIN " ZORIGIN "\n$TTL 300\n@ SOA ns1 host 1 7200 3600 1209600 300\n"
		   "@ NS ns1\nns1 A 192.0.2.53\n");
	for (int i = 0; i < NAMES; i++)
		fprintf(f, "h%d A 192.0.2.%d\n", i, i % 250 + 1);
	fclose(f);
	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	d.keys = ks;
	d.key_count = 1;
	d.jitter = jitter;
	d.now = t0;
	src.path = path;
	ck_assert_msg(zone_set_load(&src, 1, &first, &err) == 0, "load: %s", err.msg);
	n1 = expirations(zone_set_zone(first, 0), e1, CAP);
	ck_assert_uint_gt(n1, NAMES);
	qsort(e1, n1, sizeof(*e1), cmp_u32);
	ck_assert_uint_ge(e1[0], t0 + policy.validity - jitter + 1);
	ck_assert_uint_le(e1[n1 - 1], t0 + policy.validity);
	for (size_t i = 1; i < n1; i++)
		distinct += e1[i] != e1[i - 1];
	ck_assert_uint_gt(distinct, NAMES / 2);
	ck_assert_uint_eq(zone_sig_expire(zone_set_zone(first, 0)), e1[0]);

	/* Re-signed when the earliest is due: about an eighth made again. */
	due = e1[0] - policy.refresh;
	d.now = due;
	ck_assert_msg(zone_set_resign(&src, 1, first, &again, &err) == 0, "resign: %s", err.msg);
	n2 = expirations(zone_set_zone(again, 0), e2, CAP);
	ck_assert_uint_eq(n2, n1);
	for (size_t i = 0; i < n2; i++) {
		/* Every signature after the re-signing is good past refresh. */
		ck_assert_int_gt((int32_t)(e2[i] - due), (int32_t)policy.refresh);
		made += (int32_t)(e2[i] - (t0 + policy.validity)) > 0;
	}
	ck_assert_uint_gt(made, n1 / 32);
	ck_assert_uint_lt(made, n1 / 4);
	ck_assert_int_gt((int32_t)(zone_sig_expire(zone_set_zone(again, 0)) - due),
			 (int32_t)policy.refresh);

	/* Without jitter they all expire together. */
	zone_set_free(again);
	d.jitter = 0;
	d.now = t0;
	ck_assert_msg(zone_set_load(&src, 1, &again, &err) == 0, "load: %s", err.msg);
	n2 = expirations(zone_set_zone(again, 0), e2, CAP);
	for (size_t i = 0; i < n2; i++)
		ck_assert_uint_eq(e2[i], t0 + policy.validity);
	zone_set_free(first);
	zone_set_free(again);
	unlink(path);
	free(path);
	tkey_free(&csk);
}
END_TEST

/* The serial after another under each policy: always newer (RFC 1982),
 * across the wrap too. */
START_TEST(test_serial_next)
{
	uint32_t day = 1796688000; /* 2026-12-08 00:00:00 UTC */

	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_KEEP, 7, day), 7);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_INCREMENT, 7, day), 8);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_INCREMENT, UINT32_MAX, day), 0);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_UNIXTIME, 7, day + 5), day + 5);
	/* A serial ahead of the clock (a date serial in the file) goes on by one. */
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_UNIXTIME, 2026120301, day), 2026120302);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_UNIXTIME, day + 5, day + 5), day + 6);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_DATESERIAL, 2026120301, day + 3600),
			  2026120800);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_DATESERIAL, 2026120800, day), 2026120801);
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_DATESERIAL, 2026120899, day), 2026120900);
	/* Far behind in serial arithmetic: the date is older, one more. */
	ck_assert_uint_eq(zone_serial_next(ZONE_SERIAL_DATESERIAL, 2026120800u + 0x7fffffffu, day),
			  2026120800u + 0x80000000u);
}
END_TEST

/* A re-signing under a serial policy publishes a new serial, newer than the
 * one served, with the SOA's own RRSIG over it; a file read again whose
 * serial did not move gets one too, a file whose serial moved keeps it;
 * KEEP keeps the file's. A first load takes the serial served before from
 * the source when one is given. */
START_TEST(test_serial_policy)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_dnssec d = policy;
	struct zone_source src = {.origin = ZORIGIN, .dnssec = &d};
	struct zone_set *first, *again = NULL, *third = NULL, *fourth = NULL, *fifth = NULL;
	struct gslb_err err = {""};
	char *copy = xasprintf("%s/serial.zone", dir), *cmd;
	uint32_t t0 = (uint32_t)time(NULL);

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	cmd = xasprintf("cp '%s' '%s' && chmod u+w '%s'", ZFILE, copy, copy);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	d.keys = ks;
	d.key_count = 1;
	d.now = t0 - 86400;
	d.serial_policy = ZONE_SERIAL_INCREMENT;
	src.path = copy;
	ck_assert_msg(zone_set_load(&src, 1, &first, &err) == 0, "load: %s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(first, 0)), 2026120301);

	/* Signed again a day later: every signature new, and the serial. */
	d.now = t0;
	d.refresh = d.validity;
	ck_assert_msg(zone_set_resign(&src, 1, first, &again, &err) == 0, "resign: %s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(again, 0)), 2026120302);
	ck_assert(!same_rrset(sigs_at(zone_set_zone(first, 0), ZORIGIN),
			      sigs_at(zone_set_zone(again, 0), ZORIGIN)));
	ck_assert_uint_gt(verify_all(zone_set_zone(again, 0)), 20);

	/* Read again, the file's serial unchanged (2026120301, behind the
	 * served 2026120302): served 2026120303. */
	src.reread = true;
	ck_assert_msg(zone_set_load_prev(&src, 1, again, &third, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(third, 0)), 2026120303);
	ck_assert_uint_gt(verify_all(zone_set_zone(third, 0)), 20);

	/* The file's serial moved past it: the file's stands. */
	cmd = xasprintf("sed -i 's/2026120301/2026120310/' '%s'", copy);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_msg(zone_set_load_prev(&src, 1, third, &fourth, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(fourth, 0)), 2026120310);

	/* KEEP: the file's serial, whatever was served. */
	d.serial_policy = ZONE_SERIAL_KEEP;
	ck_assert_msg(zone_set_resign(&src, 1, fourth, &fifth, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(fifth, 0)), 2026120310);
	zone_set_free(fifth);

	/* A first load told the serial served before (a restart). */
	d.serial_policy = ZONE_SERIAL_UNIXTIME;
	d.has_serial_before = true;
	d.serial_before = 2026120320;
	ck_assert_msg(zone_set_load(&src, 1, &fifth, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(zone_serial(zone_set_zone(fifth, 0)), 2026120321);
	ck_assert_uint_gt(verify_all(zone_set_zone(fifth, 0)), 20);

	zone_set_free(first);
	zone_set_free(again);
	zone_set_free(third);
	zone_set_free(fourth);
	zone_set_free(fifth);
	free(copy);
	tkey_free(&csk);
}
END_TEST

/* A file that holds RRSIG records is served as it is: not signed again. */
START_TEST(test_presigned_file)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_set *set, *again;
	char *signed_path = xasprintf("%s/signed.zone", dir);
	struct zone_source src = {.origin = ZORIGIN, .path = signed_path};
	struct gslb_err err = {""};
	ldns_rr_list *all;
	FILE *f;

	keygen(ZORIGIN, LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	set = load_signed(ZORIGIN, ZFILE, ks, 1, &policy, NULL);
	/* Write it out as a master file, as an AXFR would give it. */
	all = zone_rrs(zone_set_zone(set, 0));
	ck_assert_ptr_nonnull(f = fopen(signed_path, "w"));
	ldns_rr_list_print(f, all);
	fclose(f);
	ck_assert_int_eq(zone_set_load(&src, 1, &again, &err), 0);
	ck_assert(zone_is_signed(zone_set_zone(again, 0)));
	ck_assert_ptr_null(zone_keys(zone_set_zone(again, 0)));
	ck_assert_uint_eq(zone_rr_count(zone_set_zone(again, 0)),
			  zone_rr_count(zone_set_zone(set, 0)));
	ck_assert(same_rrset(sigs_at(zone_set_zone(set, 0), "plain.dnssec.test"),
			     sigs_at(zone_set_zone(again, 0), "plain.dnssec.test")));
	ldns_rr_list_deep_free(all);
	zone_set_free(set);
	zone_set_free(again);
	free(signed_path);
	tkey_free(&csk);
}
END_TEST

/* Calls of the progress callback of test_sign_progress. */
static size_t progress_calls, progress_first, progress_last, progress_total;
static bool progress_backwards;
static char progress_origin[64];

static size_t read_calls, read_last, read_total;

static void on_progress(void *arg, enum zone_progress_phase phase, const char *origin,
			size_t done, size_t total)
{
	(void)arg;
	if (phase == ZONE_PROGRESS_READ) {
		/* reading comes first, and ends with the file's size */
		ck_assert_uint_eq(progress_calls, 0);
		read_calls++;
		read_last = done;
		read_total = total;
		return;
	}
	if (progress_calls == 0)
		progress_first = done;
	else if (done < progress_last)
		progress_backwards = true;
	progress_calls++;
	progress_last = done;
	progress_total = total;
	snprintf(progress_origin, sizeof(progress_origin), "%s", origin);
}

/* Loading tells its progress: reading the file up to its size, then
 * signing from 0 to every record of the zone, done never above total,
 * once more at the end with done == total. */
START_TEST(test_sign_progress)
{
	struct tkey csk;
	struct zone_key_source ks[1];
	struct zone_dnssec d = policy;
	struct zone_progress pg = {on_progress, NULL};
	struct zone_source src = {
	    .origin = "lb.test", .path = LBFILE, .dnssec = &d, .progress = &pg};
	struct gslb_err err = {""};
	struct zone_set *set = NULL;
	size_t records = 0;

	keygen("lb.test.", LDNS_SIGN_ECDSAP256SHA256, true, &csk);
	ks[0] = (struct zone_key_source){.path = csk.prefix, .active = true, .where = "t:1:1"};
	d.keys = ks;
	d.key_count = 1;
	ck_assert_msg(zone_set_load(&src, 1, &set, &err) == 0, "%s", err.msg);
	ck_assert_uint_ge(progress_calls, 2);
	ck_assert_uint_eq(progress_first, 0);
	ck_assert(!progress_backwards);
	ck_assert_uint_eq(progress_last, progress_total);
	ck_assert_str_eq(progress_origin, "lb.test");
	/* total: the records of the unsigned zone, one more per name (its NSEC) */
	for (size_t i = 0; i < zone_node_count(zone_set_zone(set, 0)); i++) {
		const struct zone_node *x = zone_node_at(zone_set_zone(set, 0), i);

		if ((x->flags & (ZONE_NODE_EMPTY | ZONE_NODE_OCCLUDED)) == 0)
			records++;
	}
	ck_assert_uint_gt(progress_total, records);
	ck_assert_uint_ge(read_calls, 2);
	ck_assert_uint_gt(read_total, 0);
	ck_assert_uint_eq(read_last, read_total);
	zone_set_free(set);
	tkey_free(&csk);
}
END_TEST

static Suite *sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *prim = tcase_create("primitives");
	TCase *keys = tcase_create("keys");
	TCase *zones = tcase_create("zones");

	tcase_add_test(prim, test_nsec3_hash_rfc5155);
	tcase_add_test(prim, test_type_bitmap_rfc4034);
	tcase_add_checked_fixture(keys, dir_setup, dir_teardown);
	tcase_add_test(keys, test_key_load);
	tcase_add_checked_fixture(zones, dir_setup, dir_teardown);
	/* Signing is slow under valgrind. */
	tcase_set_timeout(zones, 120);
	tcase_add_test(zones, test_csk_nsec_as_ldns);
	tcase_add_test(zones, test_ksk_zsk_nsec3_as_ldns);
	tcase_add_test(zones, test_dname_as_ldns);
	tcase_add_test(zones, test_dynamic_names_in_chain);
	tcase_add_test(zones, test_sign_progress);
	tcase_add_test(zones, test_published_key);
	tcase_add_test(zones, test_reload_keeps_signatures);
	tcase_add_test(zones, test_reload_shares_signed_zone);
	tcase_add_test(zones, test_presigned_file);
	tcase_add_test(zones, test_resign_reads_no_file);
	tcase_add_test(zones, test_jitter_spreads_resigning);
	tcase_add_test(zones, test_serial_next);
	tcase_add_test(zones, test_serial_policy);
	suite_add_tcase(s, prim);
	suite_add_tcase(s, keys);
	suite_add_tcase(s, zones);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sign_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

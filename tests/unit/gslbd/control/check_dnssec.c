/* Unit tests of DO=1 answers (RFC 4035 3.1, RFC 5155 7.2): a config with a
 * zone signed in memory is loaded with control_load() as the daemon does,
 * queries go through answer_query(), and ldns checks the responses: every
 * RRSIG verifies with the zone's DNSKEY RRset, NXDOMAIN and NODATA carry
 * NSEC or NSEC3 proofs that ldns accepts, wildcard answers prove the next
 * closer name absent, referrals carry DS or the proof of no DS, and the
 * load-balanced answers carry the signatures made at load for every set of
 * datacenters a drain or failure can leave, without signing per query. A
 * transfer of the zone verifies as a zone, load-balanced names included,
 * and the journal sees no difference between it and itself.
 * Each test runs twice: denial with NSEC, then NSEC3. */
#include <config.h>

#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/lbsig.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

#define WORK "check_dnssec.tmp"

/* ldns_dnssec_verify_denial_nsec3() leaks the hashes it makes (libldns
 * 1.8.3); under the sanitizers, record whole allocation stacks (libldns
 * has no frame pointers) so that the leak can be told from gslbd's. The
 * same is in tests/valgrind.supp. */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *__lsan_default_suppressions(void)
{
	return "leak:ldns_dnssec_verify_denial_nsec3_match\n";
}
#define Z "gslb.test."

enum { DC_US, DC_EU };

static struct snapshot *base, *snap; /* as loaded; the one queried (base or derived) */
static struct answer_scratch *scratch;
static ldns_rr_list *dnskeys; /* the zone's DNSKEY RRset */
static int nsec3;             /* this run denies with NSEC3 */
static uint8_t resp[ANSWER_MAX_MSG];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A key pair made by ldns-keygen (ldnsutils), as an operator makes it;
 * returns its base name (static storage). */
static const char *keygen(bool ksk)
{
	static char name[2][256];
	char *cmd = xasprintf("cd " WORK " && ldns-keygen -a ECDSAP256SHA256 %s gslb.test",
			      ksk ? "-k" : "");
	FILE *p = popen(cmd, "r");
	char *out = name[ksk];

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(out, sizeof(name[0]), p));
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
	free(cmd);
	return out;
}

static ldns_pkt *query(const char *name, ldns_rr_type t, uint16_t edns_size, bool do_bit, bool tcp,
		       struct answer_result *res);

static void setup(void)
{
	struct gslb_err err = {""};
	const char *ksk, *zsk;
	char *conf, *zone, chars[201];
	ldns_pkt *p;
	struct answer_result res;

	ck_assert_int_eq(system("rm -rf " WORK), 0);
	ck_assert_int_eq(mkdir(WORK, 0700), 0);
	ksk = keygen(true);
	zsk = keygen(false);
	memset(chars, 'x', 200);
	chars[200] = '\0';
	zone = xasprintf("$ORIGIN gslb.test.\n$TTL 300\n"
			 "@ SOA ns1 hostmaster 1 3600 900 1209600 30\n"
			 "@ NS ns1\n"
			 "ns1 A 192.0.2.53\n"
			 "plain A 192.0.2.1\n"
			 "big TXT \"%s\" \"%s\"\n"
			 "*.wild TXT \"wild\"\n"
			 /* Types above RRSIG and NSEC only. */
			 "caa CAA 0 issue \"ca.example.net\"\n"
			 "caa CAA 0 iodef \"mailto:security@example.net\"\n"
			 "_443._tcp.tls TLSA 3 1 1 "
			 "0b0c8ad1a5e9f9d5b07a8b2b7c1e5d2f8a6c3e4d5f60718293a4b5c6d7e8f901\n"
			 "_443._tcp.tls CAA 0 issue \"ca.example.net\"\n"
			 "c1 CNAME plain\n"
			 "*.wc CNAME plain\n"
			 "a.b.ent A 192.0.2.3\n"
			 "insecure NS ns.insecure\n"
			 "ns.insecure A 192.0.2.54\n"
			 "secure NS ns.secure\n"
			 "secure DS 4242 13 2 "
			 "0b0c8ad1a5e9f9d5b07a8b2b7c1e5d2f8a6c3e4d5f60718293a4b5c6d7e8f901\n"
			 "ns.secure A 192.0.2.55\n",
			 chars, chars);
	write_file(WORK "/gslb.test.zone", zone);
	free(zone);
	conf =
	    xasprintf("server: { listen: [127.0.0.1:0], workers: 1, udp_max_size: 1232, "
		      "allow_transfer: [192.0.2.77] }\n"
		      "zones:\n"
		      "  - name: gslb.test\n"
		      "    file: gslb.test.zone\n"
		      "    dnssec: { keys: [%s, %s], denial: %s }\n"
		      "datacenters:\n"
		      "  - { name: us, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10, "
		      "ipv6: \"2001:db8::10\" }\n"
		      "  - { name: eu, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10 }\n"
		      "pools:\n"
		      "  - { name: fo, datacenters: [us, eu], policy: failover, ttl: 30, "
		      "when_all_down: empty }\n"
		      "  - { name: both, datacenters: [us, eu], policy: all, ttl: 30 }\n"
		      "names:\n"
		      "  - { name: www.gslb.test, pool: fo }\n"
		      "  - { name: multi.gslb.test, pool: both }\n",
		      ksk, zsk, nsec3 ? "nsec3" : "nsec");
	write_file(WORK "/gslbd.conf", conf);
	free(conf);
	ck_assert_msg(control_load(WORK "/gslbd.conf", NULL, &base, &err) == 0, "%s", err.msg);
	snap = base;
	scratch = answer_scratch_new();

	p = query(Z, LDNS_RR_TYPE_DNSKEY, 1232, true, false, &res);
	dnskeys = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
	ck_assert_ptr_nonnull(dnskeys);
	ck_assert_uint_eq(ldns_rr_list_rr_count(dnskeys), 2);
	ldns_pkt_free(p);
}

static void teardown(void)
{
	if (snap != base)
		snapshot_free(snap);
	snapshot_free(base);
	answer_scratch_free(scratch);
	ldns_rr_list_deep_free(dnskeys);
	base = snap = NULL;
	scratch = NULL;
	dnskeys = NULL;
}

/* The queried snapshot with the datacenters' states (DC_STATE_*). */
static void states(uint8_t us, uint8_t eu)
{
	uint8_t *st = xmalloc(2);

	st[DC_US] = us;
	st[DC_EU] = eu;
	if (snap != base)
		snapshot_free(snap);
	snap = snapshot_derive(base, st, NULL);
}

static ldns_pkt *query(const char *name, ldns_rr_type t, uint16_t edns_size, bool do_bit, bool tcp,
		       struct answer_result *res)
{
	ldns_pkt *q = NULL, *p = NULL;
	struct netaddr a;
	uint8_t *wire;
	size_t len;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x4242);
	if (edns_size > 0) {
		ldns_pkt_set_edns_udp_size(q, edns_size);
		ldns_pkt_set_edns_do(q, do_bit);
	}
	ldns_pkt_set_cd(q, true);
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	ck_assert_int_eq(netaddr_parse("192.0.2.77", 5353, &a), 0);
	answer_query(snap, wire, len, &a.u.sa, tcp, resp, sizeof(resp), scratch, res);
	free(wire);
	ck_assert_int_eq(res->action, ANSWER_SEND);
	ck_assert_int_eq(ldns_wire2pkt(&p, resp, res->len), LDNS_STATUS_OK);
	/* AD never set by an authoritative server; CD copied; DO echoed. */
	ck_assert(!ldns_pkt_ad(p));
	ck_assert(ldns_pkt_cd(p));
	if (edns_size > 0)
		ck_assert(ldns_pkt_edns_do(p) == do_bit);
	return p;
}

/* A DO=1 UDP query with a 1232-byte buffer. */
static ldns_pkt *ask(const char *name, ldns_rr_type t, ldns_pkt_rcode rcode)
{
	struct answer_result res;
	ldns_pkt *p = query(name, t, 1232, true, false, &res);

	ck_assert_msg(ldns_pkt_get_rcode(p) == rcode, "%s: rcode %d", name, ldns_pkt_get_rcode(p));
	ck_assert(ldns_pkt_aa(p) || ldns_pkt_ancount(p) == 0);
	ck_assert(!ldns_pkt_tc(p));
	return p;
}

/* Every RRSIG of section s verifies over the RRset it covers (same owner,
 * same section) with the zone's keys; every other RRset of the section but
 * NS at a referral is signed. Returns the RRSIGs checked. */
static size_t verify_section(ldns_pkt *p, ldns_pkt_section s)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	size_t sigs = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		bool is_sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG, covered = false;
		ldns_rr_list *rrset = ldns_rr_list_new(), *good = ldns_rr_list_new();

		for (size_t j = 0; j < ldns_rr_list_rr_count(l); j++) {
			ldns_rr *o = ldns_rr_list_rr(l, j);

			if (ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) != 0)
				continue;
			if (is_sig &&
			    ldns_rr_get_type(o) == ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)))
				ldns_rr_list_push_rr(rrset, o);
			if (!is_sig && ldns_rr_get_type(o) == LDNS_RR_TYPE_RRSIG &&
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(o)) == ldns_rr_get_type(rr))
				covered = true;
		}
		if (is_sig) {
			ldns_status st = ldns_verify_rrsig_keylist(rrset, rr, dnskeys, good);

			ck_assert_msg(st == LDNS_STATUS_OK, "%s does not verify: %s",
				      ldns_rr2str(rr), ldns_get_errorstr_by_id(st));
			sigs++;
		} else if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || s != LDNS_SECTION_AUTHORITY ||
			   ldns_pkt_aa(p)) {
			/* Glue in additional of a referral is not signed either. */
			ck_assert_msg(covered || (s == LDNS_SECTION_ADDITIONAL && !ldns_pkt_aa(p)),
				      "%s has no RRSIG", ldns_rr2str(rr));
		}
		ldns_rr_list_free(rrset);
		ldns_rr_list_free(good);
	}
	ldns_rr_list_deep_free(l);
	return sigs;
}

static size_t verify_all(ldns_pkt *p)
{
	return verify_section(p, LDNS_SECTION_ANSWER) + verify_section(p, LDNS_SECTION_AUTHORITY) +
	       verify_section(p, LDNS_SECTION_ADDITIONAL);
}

/* The denial records (NSEC or NSEC3) and RRSIGs of the authority section. */
static void denial(ldns_pkt *p, ldns_rr_list **nsecs, ldns_rr_list **sigs)
{
	*nsecs = ldns_pkt_rr_list_by_type(p, nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC,
					  LDNS_SECTION_AUTHORITY);
	*sigs = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_AUTHORITY);
	ck_assert_ptr_nonnull(*nsecs);
	ck_assert_ptr_nonnull(*sigs);
	ck_assert_ptr_null(ldns_pkt_rr_list_by_type(
	    p, nsec3 ? LDNS_RR_TYPE_NSEC : LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY));
}

/* The section's records of type t, as many as want. */
static void count(ldns_pkt *p, ldns_pkt_section s, ldns_rr_type t, size_t want)
{
	ldns_rr_list *l = ldns_pkt_rr_list_by_type(p, t, s);
	size_t n = l == NULL ? 0 : ldns_rr_list_rr_count(l);

	ck_assert_msg(n == want, "%zu %s records, want %zu", n, ldns_rr_type2str(t), want);
	ldns_rr_list_deep_free(l);
}

/* ldns accepts the response's proof that name/type does not exist. */
static void proven(ldns_pkt *p, const char *name, ldns_rr_type t)
{
	ldns_rr_list *nsecs, *sigs;
	ldns_rr *q = ldns_rr_new();
	ldns_status st;
	bool nodata = ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR;

	ldns_rr_set_owner(q, ldns_dname_new_frm_str(name));
	ldns_rr_set_type(q, t);
	ldns_rr_set_question(q, true);
	denial(p, &nsecs, &sigs);
	if (nsec3)
		st = ldns_dnssec_verify_denial_nsec3(q, nsecs, sigs, ldns_pkt_get_rcode(p), t,
						     nodata);
	else
		st = ldns_dnssec_verify_denial(q, nsecs, sigs);
	ck_assert_msg(st == LDNS_STATUS_OK, "%s %s: denial not proven: %s", name,
		      ldns_rr_type2str(t), ldns_get_errorstr_by_id(st));
	/* And the SOA with its signature. */
	ck_assert_uint_ge(ldns_pkt_nscount(p), 4);
	count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA, 1);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_free(q);
}

START_TEST(test_positive)
{
	ldns_pkt *p;
	struct answer_result res;

	nsec3 = _i;
	setup();
	p = ask("plain." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, 1);
	ck_assert_uint_eq(verify_all(p), 1);
	ldns_pkt_free(p);
	/* The apex: SOA; the DNSKEY RRset signed by the KSK. */
	p = ask(Z, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ck_assert_uint_ge(verify_all(p), 1);
	ldns_pkt_free(p);
	/* A CNAME chain: both steps signed. */
	p = ask("c1." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, 2);
	ck_assert_uint_eq(verify_section(p, LDNS_SECTION_ANSWER), 2);
	ldns_pkt_free(p);
	/* DO=0: no DNSSEC records at all. */
	p = query("c1." Z, LDNS_RR_TYPE_A, 1232, false, false, &res);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, 0);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A, 1);
	ldns_pkt_free(p);
	teardown();
}
END_TEST

START_TEST(test_nxdomain_nodata)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
		ldns_pkt_rcode rcode;
	} cases[] = {
	    {"nothere." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN},
	    {"x.y.plain." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN},
	    {"plain." Z, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR},
	    {Z, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR},
	    /* An empty non-terminal. */
	    {"b.ent." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR},
	    /* Load-balanced names: other types, and names below them. */
	    {"www." Z, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR},
	    {"multi." Z, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR},
	    {"below.www." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN},
	    /* The wildcard's owner exists with no A. */
	    {"x.wild." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR},
	};

	nsec3 = _i;
	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_pkt *p = ask(cases[i].name, cases[i].type, cases[i].rcode);

		count(p, LDNS_SECTION_ANSWER, cases[i].type, 0);
		if (strcmp(cases[i].name, "x.wild." Z) != 0)
			proven(p, cases[i].name, cases[i].type);
		ck_assert_uint_ge(verify_all(p), 2);
		ldns_pkt_free(p);
	}
	teardown();
}
END_TEST

/* A wildcard answer: the RRSIG's labels field says it was expanded, and
 * the authority proves the next closer name does not exist. */
START_TEST(test_wildcard)
{
	ldns_pkt *p;
	ldns_rr_list *txt, *nsecs, *sigs;
	ldns_rdf *name = ldns_dname_new_frm_str("host.wild." Z);

	nsec3 = _i;
	setup();
	p = ask("host.wild." Z, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	txt = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	ck_assert_ptr_nonnull(txt);
	/* host.wild.gslb.test has 4 labels; the wildcard *.wild.gslb.test 3. */
	ck_assert_uint_eq(ldns_rdf2native_int8(ldns_rr_rrsig_labels(ldns_rr_list_rr(txt, 0))), 3);
	ck_assert_uint_ge(verify_all(p), 2);
	denial(p, &nsecs, &sigs);
	if (nsec3) {
		/* One NSEC3 covers the hash of the next closer name, host.wild. */
		bool covered = false;

		for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
			ldns_rr *n = ldns_rr_list_rr(nsecs, i);
			ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(n, name);

			covered = covered || ldns_nsec_covers_name(n, h);
			ldns_rdf_deep_free(h);
		}
		ck_assert(covered);
	} else {
		ck_assert(ldns_nsec_covers_name(ldns_rr_list_rr(nsecs, 0), name));
	}
	ldns_rr_list_deep_free(txt);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(name);
	ldns_pkt_free(p);

	/* A wildcard CNAME: the chain in the answer section, the proof of the
	 * next closer name after it, in the authority section. */
	p = ask("host.wc." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME, 1);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A, 1);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, 2);
	count(p, LDNS_SECTION_ANSWER, nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC, 0);
	ck_assert_uint_ge(ldns_pkt_nscount(p), 2);
	ck_assert_uint_eq(verify_all(p), 3);
	ldns_pkt_free(p);
	teardown();
}
END_TEST

/* Referrals: DS with its RRSIG at a secure delegation, the proof of no DS
 * at an insecure one; NS and glue unsigned. A DS query is answered by the
 * parent. */
START_TEST(test_referrals)
{
	ldns_pkt *p;

	nsec3 = _i;
	setup();
	p = ask("host.secure." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ck_assert(!ldns_pkt_aa(p));
	count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_DS, 1);
	count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG, 1);
	count(p, LDNS_SECTION_AUTHORITY, nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC, 0);
	count(p, LDNS_SECTION_ADDITIONAL, LDNS_RR_TYPE_RRSIG, 0);
	ck_assert_uint_eq(verify_all(p), 1);
	ldns_pkt_free(p);

	p = ask("host.insecure." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	ck_assert(!ldns_pkt_aa(p));
	count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_DS, 0);
	count(p, LDNS_SECTION_AUTHORITY, nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC, 1);
	ck_assert_uint_eq(verify_all(p), 1);
	{
		ldns_rr_list *nsecs, *sigs;
		ldns_rr *n;

		denial(p, &nsecs, &sigs);
		n = ldns_rr_list_rr(nsecs, 0);
		/* It matches the cut: NS, no DS, no SOA. */
		ck_assert(ldns_nsec_bitmap_covers_type(
		    nsec3 ? ldns_nsec3_bitmap(n) : ldns_nsec_get_bitmap(n), LDNS_RR_TYPE_NS));
		ck_assert(!ldns_nsec_bitmap_covers_type(
		    nsec3 ? ldns_nsec3_bitmap(n) : ldns_nsec_get_bitmap(n), LDNS_RR_TYPE_DS));
		ck_assert(!ldns_nsec_bitmap_covers_type(
		    nsec3 ? ldns_nsec3_bitmap(n) : ldns_nsec_get_bitmap(n), LDNS_RR_TYPE_SOA));
		ldns_rr_list_deep_free(nsecs);
		ldns_rr_list_deep_free(sigs);
	}
	ldns_pkt_free(p);

	/* DS at the cut: the parent's signed answer; at the insecure cut, the
	 * parent's NODATA. */
	p = ask("secure." Z, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	ck_assert(ldns_pkt_aa(p));
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_DS, 1);
	ck_assert_uint_ge(verify_all(p), 1);
	ldns_pkt_free(p);
	p = ask("insecure." Z, LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	ck_assert(ldns_pkt_aa(p));
	proven(p, "insecure." Z, LDNS_RR_TYPE_DS);
	ldns_pkt_free(p);
	teardown();
}
END_TEST

/* Load-balanced answers: for each state of the datacenters, the answer's
 * RRSIG verifies over exactly the records answered, and came from the
 * table made at load (no signing on the query path). */
START_TEST(test_lb_answers)
{
	static const struct {
		uint8_t us, eu;
		const char *www; /* the failover answer's A, or NULL: none */
		size_t multi;    /* A records of the "all" answer */
	} cases[] = {
	    {DC_STATE_UP, DC_STATE_UP, "192.0.2.10", 2},
	    {DC_STATE_DOWN, DC_STATE_UP, "198.51.100.10", 1},
	    {DC_STATE_UP, DC_STATE_DOWN, "192.0.2.10", 1},
	};
	unsigned long online;

	nsec3 = _i;
	setup();
	online = lbsig_online_signs;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_pkt *p;
		ldns_rr_list *a;
		char *s;

		states(cases[i].us, cases[i].eu);
		p = ask("www." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
		a = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_A, LDNS_SECTION_ANSWER);
		ck_assert_ptr_nonnull(a);
		ck_assert_uint_eq(ldns_rr_list_rr_count(a), 1);
		s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(a, 0), 0));
		ck_assert_str_eq(s, cases[i].www);
		free(s);
		ldns_rr_list_deep_free(a);
		ck_assert_uint_eq(verify_all(p), 1);
		ldns_pkt_free(p);

		p = ask("multi." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
		count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A, cases[i].multi);
		ck_assert_uint_eq(verify_all(p), 1);
		ldns_pkt_free(p);

		/* AAAA: us has one, eu none (NODATA, proven, with www's real types). */
		p = ask("www." Z, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
		if (cases[i].us == DC_STATE_UP) {
			count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA, 1);
			ck_assert_uint_eq(verify_all(p), 1);
		} else {
			count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA, 0);
			ck_assert_uint_ge(verify_all(p), 2);
		}
		ldns_pkt_free(p);
	}
	ck_assert_uint_eq(lbsig_online_signs, online);
	ck_assert_ptr_nonnull(base->lbsig);
	teardown();
}
END_TEST

/* ANY at a signed name whose types all sort after RRSIG and NSEC (CAA,
 * TLSA): over UDP the first RRset of data with its signatures (RFC 8482),
 * never an empty answer; over TCP every RRset, and the NSEC with DO=1. */
START_TEST(test_any)
{
	static const struct {
		const char *name;
		ldns_rr_type first; /* the RRset answered over UDP */
		size_t records;     /* its records */
		size_t rrsets;      /* data RRsets at the name */
	} cases[] = {
	    {"caa." Z, LDNS_RR_TYPE_CAA, 2, 1},
	    {"_443._tcp.tls." Z, LDNS_RR_TYPE_TLSA, 1, 2},
	};
	struct answer_result res;

	nsec3 = _i;
	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ldns_pkt *p = ask(cases[i].name, LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR);

		ck_assert(ldns_pkt_aa(p));
		ck_assert_uint_eq(ldns_pkt_ancount(p), cases[i].records + 1);
		count(p, LDNS_SECTION_ANSWER, cases[i].first, cases[i].records);
		count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, 1);
		count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA, 0);
		ck_assert_uint_eq(verify_all(p), 1);
		ldns_pkt_free(p);
		/* DO=0: the same RRset, as if the zone were not signed. */
		p = query(cases[i].name, LDNS_RR_TYPE_ANY, 1232, false, false, &res);
		ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		ck_assert_uint_eq(ldns_pkt_ancount(p), cases[i].records);
		count(p, LDNS_SECTION_ANSWER, cases[i].first, cases[i].records);
		ldns_pkt_free(p);
		/* TCP: every RRset signed, and the name's NSEC. */
		p = query(cases[i].name, LDNS_RR_TYPE_ANY, 1232, true, true, &res);
		count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG, cases[i].rrsets + (nsec3 ? 0 : 1));
		count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_NSEC, nsec3 ? 0 : 1);
		ck_assert_uint_eq(verify_all(p), cases[i].rrsets + (nsec3 ? 0 : 1));
		ldns_pkt_free(p);
	}
	teardown();
}
END_TEST

/* Signed answers that do not fit a 512-byte UDP buffer: TC=1; the same
 * query over TCP gets everything. */
START_TEST(test_truncation)
{
	struct answer_result res;
	ldns_pkt *p;

	nsec3 = _i;
	setup();
	/* 400 bytes of TXT fit 512 bytes alone, not with their RRSIG. */
	p = query("big." Z, LDNS_RR_TYPE_TXT, 512, false, false, &res);
	ck_assert(!ldns_pkt_tc(p));
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT, 1);
	ldns_pkt_free(p);
	p = query("big." Z, LDNS_RR_TYPE_TXT, 512, true, false, &res);
	ck_assert_uint_le(res.len, 512);
	ck_assert(ldns_pkt_tc(p));
	ldns_pkt_free(p);
	p = query("big." Z, LDNS_RR_TYPE_TXT, 512, true, true, &res);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_gt(res.len, 512);
	ck_assert_uint_eq(verify_all(p), 1);
	ldns_pkt_free(p);
	if (nsec3) {
		/* Three NSEC3 records and four RRSIGs. */
		p = query("nothere.below.www." Z, LDNS_RR_TYPE_A, 512, true, false, &res);
		ck_assert(ldns_pkt_tc(p));
		ldns_pkt_free(p);
		p = query("nothere.below.www." Z, LDNS_RR_TYPE_A, 512, true, true, &res);
		ck_assert(!ldns_pkt_tc(p));
		ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
		proven(p, "nothere.below.www." Z, LDNS_RR_TYPE_A);
		ck_assert_uint_ge(verify_all(p), 3);
		ldns_pkt_free(p);
	}
	teardown();
}
END_TEST

/* The control plane's watch of a zone's signatures: an alert once the
 * earliest has less than half of refresh left (not before, and once until
 * it recovers); re-signing what is loaded gives later signatures and
 * keeps the config and the DNSKEYs. */
static unsigned expiring_alerts;

static void count_alert(const struct alert *a, void *arg)
{
	(void)arg;
	ck_assert_int_eq(a->event, CONFIG_ALERT_SIGNATURES_EXPIRING);
	ck_assert_str_eq(a->subject, "gslb.test");
	expiring_alerts++;
}

START_TEST(test_resign_and_watch)
{
	struct control *ctl;
	const struct zone *z;
	uint32_t expire, half;
	struct snapshot *re = NULL;
	struct gslb_err err = {""};

	nsec3 = _i;
	setup();
	ctl = control_new(WORK "/gslbd.conf", false);
	z = zone_set_zone(base->zones, 0);
	expire = zone_sig_expire(z);
	half = base->config->zones[0].sig_refresh / 2;
	expiring_alerts = 0;
	control_set_alert_sink(ctl, count_alert, NULL);
	control_dnssec_check(ctl, base, expire - half);
	ck_assert_uint_eq(expiring_alerts, 0);
	control_dnssec_check(ctl, base, expire - half + 1);
	ck_assert_uint_eq(expiring_alerts, 1);
	control_dnssec_check(ctl, base, expire - half + 2);
	ck_assert_uint_eq(expiring_alerts, 1);
	control_dnssec_check(ctl, base, expire - half);
	control_dnssec_check(ctl, base, expire - 1);
	ck_assert_uint_eq(expiring_alerts, 2);
	control_free(ctl);

	ck_assert_msg(control_load_resign(base, &re, &err) == 0, "%s", err.msg);
	ck_assert_ptr_eq(re->config, base->config);
	ck_assert_uint_ge(zone_sig_expire(zone_set_zone(re->zones, 0)), expire);
	ck_assert_uint_eq(zone_rr_count(zone_set_zone(re->zones, 0)), zone_rr_count(z));
	ck_assert_ptr_nonnull(re->lbsig);
	/* Nothing due (every signature good for longer than refresh): the
	 * zone is shared as it is, with its serial, so that a re-signing due
	 * in another zone announces nothing for this one. */
	ck_assert_ptr_eq(zone_set_zone(re->zones, 0), z);
	ck_assert_uint_eq(zone_serial(zone_set_zone(re->zones, 0)), zone_serial(z));
	snapshot_free(re);
	teardown();
}
END_TEST

/* The records of an AXFR of the zone, the closing SOA left out. */
static ldns_rr_list *transfer(void)
{
	ldns_pkt *q = NULL, *p;
	ldns_rr_list *all = ldns_rr_list_new();
	struct answer_result res;
	struct xfr_state x;
	struct netaddr a;
	uint8_t *wire;
	size_t len, n;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, Z, LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	ck_assert_int_eq(netaddr_parse("192.0.2.77", 5353, &a), 0);
	answer_query(snap, wire, len, &a.u.sa, true, resp, sizeof(resp), scratch, &res);
	ck_assert_int_eq(res.action, ANSWER_XFR);
	xfr_begin(&x, snap, res.zone, wire, len, res.tsig_ctx);
	while ((n = xfr_next(&x, resp, sizeof(resp), scratch)) > 0) {
		ldns_rr_list *c;

		ck_assert_int_eq(ldns_wire2pkt(&p, resp, n), LDNS_STATUS_OK);
		c = ldns_rr_list_clone(ldns_pkt_answer(p));
		ldns_rr_list_push_rr_list(all, c);
		ldns_rr_list_free(c);
		ldns_pkt_free(p);
	}
	free(wire);
	ldns_rr_free(ldns_rr_list_pop_rr(all));
	return all;
}

/* The records of l at owner (of type t, or of any type for 0), borrowed. */
static ldns_rr_list *at(const ldns_rr_list *l, const ldns_rdf *owner, ldns_rr_type t)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    (t == 0 || ldns_rr_get_type(rr) == t))
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

/* The NSEC (NSEC3) record of name in the transfer all, or NULL. */
static ldns_rr *denial_of(const ldns_rr_list *all, const ldns_rdf *name)
{
	ldns_rdf *h = NULL;
	ldns_rr *found = NULL;

	for (size_t j = 0; j < ldns_rr_list_rr_count(all) && found == NULL; j++) {
		ldns_rr *o = ldns_rr_list_rr(all, j);

		if (!nsec3 && ldns_rr_get_type(o) == LDNS_RR_TYPE_NSEC &&
		    ldns_dname_compare(ldns_rr_owner(o), name) == 0)
			found = o;
		if (nsec3 && ldns_rr_get_type(o) == LDNS_RR_TYPE_NSEC3) {
			if (h == NULL) {
				ldns_rdf *zone = ldns_dname_new_frm_str(Z);

				h = ldns_nsec3_hash_name_frm_nsec3(o, (ldns_rdf *)name);
				ck_assert_int_eq(ldns_dname_cat(h, zone), LDNS_STATUS_OK);
				ldns_rdf_deep_free(zone);
			}
			if (ldns_dname_compare(ldns_rr_owner(o), h) == 0)
				found = o;
		}
	}
	ldns_rdf_deep_free(h);
	return found;
}

/* A transfer of a signed zone with load-balanced names verifies as a zone:
 * each load-balanced name has its transfer answer (every datacenter of its
 * pool), every RRSIG verifies, and each NSEC (NSEC3) lists exactly the
 * types its name has in the transfer. gslbd's own answers do not change. */
START_TEST(test_transfer)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
		size_t records;
	} want[] = {
	    {"www." Z, LDNS_RR_TYPE_A, 2},
	    {"www." Z, LDNS_RR_TYPE_AAAA, 1},
	    {"multi." Z, LDNS_RR_TYPE_A, 2},
	    {"multi." Z, LDNS_RR_TYPE_AAAA, 1},
	};
	ldns_rdf *www = ldns_dname_new_frm_str("www." Z),
		 *multi = ldns_dname_new_frm_str("multi." Z);
	ldns_rr_list *all;
	size_t names = 0, lb_names = 0;
	ldns_pkt *p;

	nsec3 = _i;
	setup();
	all = transfer();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ldns_rdf *owner = ldns_dname_new_frm_str(want[i].name);
		ldns_rr_list *l = at(all, owner, want[i].type);

		ck_assert_msg(ldns_rr_list_rr_count(l) == want[i].records, "%s %s: %zu records",
			      want[i].name, ldns_rr_type2str(want[i].type),
			      ldns_rr_list_rr_count(l));
		ldns_rr_list_free(l);
		ldns_rdf_deep_free(owner);
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i), *nsec;
		ldns_rdf *bitmap;
		ldns_rr_list *l;
		size_t types = 0, listed = 0;

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG) {
			ldns_rr_list *covered = at(all, ldns_rr_owner(rr),
						   ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)));
			ldns_rr_list *good = ldns_rr_list_new();
			ldns_status st = ldns_verify_rrsig_keylist(covered, rr, dnskeys, good);

			ck_assert_msg(st == LDNS_STATUS_OK, "%s does not verify: %s",
				      ldns_rr2str(rr), ldns_get_errorstr_by_id(st));
			ldns_rr_list_free(covered);
			ldns_rr_list_free(good);
		}
		/* Once per name (not an NSEC3 owner): its NSEC (NSEC3) lists its types. */
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 ||
		    (i > 0 && ldns_dname_compare(ldns_rr_owner(rr),
						 ldns_rr_owner(ldns_rr_list_rr(all, i - 1))) == 0))
			continue;
		nsec = denial_of(all, ldns_rr_owner(rr));
		if (nsec == NULL)
			continue; /* glue below a cut */
		bitmap = ldns_rr_rdf(nsec, nsec3 ? 5 : 1);
		l = at(all, ldns_rr_owner(rr), 0);
		for (size_t j = 0; j < ldns_rr_list_rr_count(l); j++) {
			ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(l, j));
			bool first = true;

			for (size_t k = 0; k < j; k++)
				first = first && ldns_rr_get_type(ldns_rr_list_rr(l, k)) != t;
			if (!first)
				continue;
			types++;
			ck_assert_msg(ldns_nsec_bitmap_covers_type(bitmap, t),
				      "%s: %s at the name, not in its bitmap", ldns_rr2str(nsec),
				      ldns_rr_type2str(t));
		}
		for (uint16_t t = 1; t < 1024; t++)
			listed += ldns_nsec_bitmap_covers_type(bitmap, t);
		ck_assert_msg(listed == types, "%s: lists %zu types, the name has %zu",
			      ldns_rr2str(nsec), listed, types);
		names++;
		lb_names += ldns_dname_compare(ldns_rr_owner(rr), www) == 0 ||
			    ldns_dname_compare(ldns_rr_owner(rr), multi) == 0;
		ldns_rr_list_free(l);
	}
	ck_assert_uint_ge(names, 12);
	ck_assert_uint_eq(lb_names, 2);
	ldns_rdf_deep_free(www);
	ldns_rdf_deep_free(multi);
	ldns_rr_list_deep_free(all);

	/* gslbd itself still answers the failover pool's first datacenter. */
	p = ask("www." Z, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A, 1);
	ck_assert_uint_eq(verify_all(p), 1);
	ldns_pkt_free(p);
	teardown();
}
END_TEST

/* The RRSIG RRsets of the transfer view of lb (a name of the zone). */
static int view_sigs(const struct snapshot *s, const char *lb)
{
	ldns_rdf *name = ldns_dname_new_frm_str(lb);
	const struct zone *z = zone_set_zone(s->zones, 0);
	const struct zone_node *n;
	const struct zone_rrset *rs;
	int count, sigs = 0;

	ldns_dname2canonical(name);
	n = zone_find_node(z, ldns_rdf_data(name), ldns_rdf_size(name));
	ck_assert_ptr_nonnull(n);
	count = lbsig_xfr_rrsets(s->lbsig, n, &rs);
	for (int i = 0; i < count; i++)
		sigs += rs[i].type == LDNS_RR_TYPE_RRSIG;
	ldns_rdf_deep_free(name);
	return sigs;
}

/* A load-balanced name's transfer view holds an RRSIG RRset per type it
 * signs (A, AAAA, NSEC): the journal finds each record in any RRset of its
 * type at the other node, so the zone as transfers send it has the same
 * content as itself. */
START_TEST(test_journal_lb_view)
{
	const struct zone *z;

	nsec3 = _i;
	setup();
	z = zone_set_zone(base->zones, 0);
	ck_assert_int_ge(view_sigs(base, "www." Z), 2);
	ck_assert(journal_same_content(z, base->lbsig, z, base->lbsig));
	teardown();
}
END_TEST

/* The RRsets a transfer of s carries at name lb, as bytes (type, TTL,
 * records) into out; returns their length. */
static size_t view_bytes(const struct snapshot *s, const char *lb, uint8_t *out, size_t cap)
{
	ldns_rdf *name = ldns_dname_new_frm_str(lb);
	const struct zone_node *n;
	const struct zone_rrset *rs;
	size_t len = 0;
	int count;

	ldns_dname2canonical(name);
	n = zone_find_node(zone_set_zone(s->zones, 0), ldns_rdf_data(name), ldns_rdf_size(name));
	ck_assert_ptr_nonnull(n);
	count = lbsig_xfr_rrsets(s->lbsig, n, &rs);
	ck_assert_int_gt(count, 0);
	for (int i = 0; i < count; i++) {
		ck_assert_uint_le(len + 8 + rs[i].rdata_len, cap);
		memcpy(out + len, &rs[i].type, 2);
		memcpy(out + len + 2, &rs[i].ttl, 4);
		memcpy(out + len + 6, &rs[i].rr_count, 2);
		memcpy(out + len + 8, rs[i].rdata, rs[i].rdata_len);
		len += 8 + rs[i].rdata_len;
	}
	ldns_rdf_deep_free(name);
	return len;
}

/* Every RRSIG of a transfer of snap verifies over its RRset. */
static void transfer_verifies(void)
{
	ldns_rr_list *all = transfer();
	size_t sigs = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		ldns_rr_list *covered, *good;
		ldns_status st;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		covered =
		    at(all, ldns_rr_owner(rr), ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)));
		good = ldns_rr_list_new();
		st = ldns_verify_rrsig_keylist(covered, rr, dnskeys, good);
		ck_assert_msg(st == LDNS_STATUS_OK, "%s does not verify: %s", ldns_rr2str(rr),
			      ldns_get_errorstr_by_id(st));
		ldns_rr_list_free(covered);
		ldns_rr_list_free(good);
		sigs++;
	}
	ck_assert_uint_gt(sigs, 10);
	ldns_rr_list_deep_free(all);
}

/* Replace the first old in the config file with new. */
static void edit_conf(const char *old, const char *new)
{
	FILE *f = fopen(WORK "/gslbd.conf", "r");
	char buf[8192], *at;
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	at = strstr(buf, old);
	ck_assert_ptr_nonnull(at);
	*at = '\0';
	f = fopen(WORK "/gslbd.conf", "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s%s%s", buf, new, at + strlen(old));
	ck_assert_int_eq(fclose(f), 0);
}

/* A reload that changes nothing keeps the signatures of the load-balanced
 * names' RRsets (ECDSA would make other bytes), so a transfer sends the
 * same zone under the same serial and the journal sees no difference; a
 * name whose transfer answer changes gets new signatures, which verify,
 * and the other name keeps its own. */
START_TEST(test_lbsig_kept)
{
	static uint8_t a[8192], b[8192];
	struct snapshot *next = NULL, *third = NULL;
	struct gslb_err err = {""};
	size_t alen, blen;

	nsec3 = _i;
	setup();
	ck_assert_msg(control_load(WORK "/gslbd.conf", base, &next, &err) == 0, "%s", err.msg);
	ck_assert_ptr_eq(zone_set_zone(next->zones, 0), zone_set_zone(base->zones, 0));
	ck_assert_ptr_nonnull(next->lbsig);
	ck_assert(next->lbsig != base->lbsig);
	alen = view_bytes(base, "www." Z, a, sizeof(a));
	blen = view_bytes(next, "www." Z, b, sizeof(b));
	ck_assert(alen == blen && memcmp(a, b, alen) == 0);
	ck_assert(journal_same_content(zone_set_zone(base->zones, 0), base->lbsig,
				       zone_set_zone(next->zones, 0), next->lbsig));

	/* www's transfer answer: eu alone (one A, no AAAA). */
	edit_conf("{ name: www.gslb.test, pool: fo }",
		  "{ name: www.gslb.test, pool: fo, transfer_answer: [eu] }");
	ck_assert_msg(control_load(WORK "/gslbd.conf", next, &third, &err) == 0, "%s", err.msg);
	blen = view_bytes(third, "www." Z, b, sizeof(b));
	ck_assert(alen != blen || memcmp(a, b, alen) != 0);
	ck_assert_int_eq(view_sigs(third, "www." Z), nsec3 ? 1 : 2);
	ck_assert(!journal_same_content(zone_set_zone(next->zones, 0), next->lbsig,
					zone_set_zone(third->zones, 0), third->lbsig));
	alen = view_bytes(next, "multi." Z, a, sizeof(a));
	blen = view_bytes(third, "multi." Z, b, sizeof(b));
	ck_assert(alen == blen && memcmp(a, b, alen) == 0);
	snap = third;
	transfer_verifies();
	snap = base;
	snapshot_free(third);
	snapshot_free(next);
	teardown();
}
END_TEST

static Suite *dnssec_suite(void)
{
	Suite *s = suite_create("dnssec answers");
	TCase *tc = tcase_create("do");

	/* Signing (and valgrind) take a moment; _i 0: NSEC, 1: NSEC3. */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_positive, 0, 2);
	tcase_add_loop_test(tc, test_nxdomain_nodata, 0, 2);
	tcase_add_loop_test(tc, test_wildcard, 0, 2);
	tcase_add_loop_test(tc, test_referrals, 0, 2);
	tcase_add_loop_test(tc, test_lb_answers, 0, 2);
	tcase_add_loop_test(tc, test_truncation, 0, 2);
	tcase_add_loop_test(tc, test_any, 0, 2);
	tcase_add_loop_test(tc, test_resign_and_watch, 0, 2);
	tcase_add_loop_test(tc, test_transfer, 0, 2);
	tcase_add_loop_test(tc, test_journal_lb_view, 0, 2);
	tcase_add_loop_test(tc, test_lbsig_kept, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dnssec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

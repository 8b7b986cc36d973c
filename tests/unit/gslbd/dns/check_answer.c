/* Unit tests of the answer path as a function: query bytes + client +
 * snapshot in, response bytes out, parsed back with ldns. The zones are
 * tests/data/answer/example.com.zone (static data) and
 * tests/data/answer/gslb.test.zone (load-balanced names). */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/netaddr.h"
#include "common/tsig.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/dns/answer-internal.h"
#include "gslbd/dns/cookie.h"
#include "gslbd/dns/answer.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/zone.h"

#define ZONE_FILE TEST_DATA_DIR "/answer/example.com.zone"
#define ALLOWED   "127.0.0.1"
#define OTHER     "192.0.2.77"

static struct snapshot *snap;
static struct answer_scratch *scratch;
static uint8_t resp[ANSWER_MAX_MSG];

/* Serve one zone, origin from file. */
static void setup_zone(const char *origin, const char *file)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct zone_source src = {.origin = origin, .path = file};
	struct zone_set *zs = NULL;
	struct gslb_err err;

	cfg->udp_max_size = 1232;
	cfg->identity = xstrdup("ns1.test");
	cfg->version = xstrdup("gslbd-test");
	cfg->zone_count = 1;
	cfg->zones = xcalloc(1, sizeof(*cfg->zones));
	cfg->zones[0].name = xstrdup(origin);
	cfg->zones[0].file = xstrdup(file);
	cfg->zones[0].allow_transfer = xcalloc(1, sizeof(struct netprefix));
	cfg->zones[0].allow_transfer_count = 1;
	ck_assert_int_eq(netprefix_parse(ALLOWED, cfg->zones[0].allow_transfer), 0);
	err.msg[0] = '\0';
	ck_assert_msg(zone_set_load(&src, 1, &zs, &err) == 0, "%s", err.msg);
	snap = snapshot_new(cfg, zs, NULL);
	scratch = answer_scratch_new();
}

static void setup(void)
{
	setup_zone("example.com", ZONE_FILE);
}

static void setup_dname(void)
{
	setup_zone("dname.test", TEST_DATA_DIR "/answer/dname.test.zone");
}

static void teardown(void)
{
	snapshot_free(snap);
	answer_scratch_free(scratch);
	snap = NULL;
	scratch = NULL;
}

/* Answer raw query bytes; returns the parsed response (NULL if dropped). */
static ldns_pkt *ask_wire(const uint8_t *q, size_t len, bool tcp, const char *client,
			  struct answer_result *res)
{
	struct netaddr a;
	ldns_pkt *p = NULL;

	ck_assert_int_eq(netaddr_parse(client, 5353, &a), 0);
	answer_query(snap, q, len, &a.u.sa, tcp, resp, sizeof(resp), scratch, res);
	if (res->action != ANSWER_SEND)
		return NULL;
	ck_assert_uint_ge(res->len, 12);
	ck_assert_int_eq(ldns_wire2pkt(&p, resp, res->len), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_id(p), 0x4242);
	ck_assert(ldns_pkt_qr(p));
	ck_assert_int_eq(ldns_pkt_get_rcode(p), res->rcode & 0x0f);
	return p;
}

/* Query bytes for name/type/class, with EDNS when edns_size > 0 and the raw
 * EDNS options opts. Caller frees *out. */
static size_t make_query(const char *name, ldns_rr_type t, ldns_rr_class c, uint16_t edns_size,
			 const uint8_t *opts, size_t opts_len, uint8_t **out)
{
	ldns_pkt *q = NULL;
	size_t len;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, t, c, 0), LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x4242);
	if (edns_size > 0) {
		ldns_pkt_set_edns_udp_size(q, edns_size);
		if (opts_len > 0)
			ldns_pkt_set_edns_data(
			    q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, opts_len, opts));
	}
	ck_assert_int_eq(ldns_pkt2wire(out, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return len;
}

static ldns_pkt *ask_full(const char *name, ldns_rr_type t, ldns_rr_class c, uint16_t edns_size,
			  bool tcp, const char *client, struct answer_result *res)
{
	uint8_t *wire;
	size_t len = make_query(name, t, c, edns_size, NULL, 0, &wire);
	ldns_pkt *p = ask_wire(wire, len, tcp, client, res);

	free(wire);
	return p;
}

/* UDP query without EDNS from a client without transfer rights. */
static ldns_pkt *ask(const char *name, ldns_rr_type t, struct answer_result *res)
{
	ldns_pkt *p = ask_full(name, t, LDNS_RR_CLASS_IN, 0, false, OTHER, res);

	ck_assert_uint_le(res->len, 512);
	ck_assert_ptr_nonnull(p);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The records of l, as "owner ttl class type rdata" with single spaces,
 * compared as a set with the NULL-terminated want. */
static void expect_section(ldns_rr_list *l, const char *const *want, const char *what)
{
	size_t n = ldns_rr_list_rr_count(l), wn = 0;
	char **got = xcalloc(n + 1, sizeof(char *));
	const char **w;

	while (want[wn] != NULL)
		wn++;
	w = xcalloc(wn + 1, sizeof(char *));
	memcpy(w, want, wn * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));

		for (char *c = s; *c != '\0'; c++) {
			if (*c == '\t')
				*c = ' ';
		}
		s[strcspn(s, "\n")] = '\0';
		got[i] = s;
	}
	qsort(got, n, sizeof(char *), cmp_str);
	qsort(w, wn, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n || i < wn; i++) {
		ck_assert_msg(i < n && i < wn && strcmp(got[i], w[i]) == 0,
			      "%s: record %zu: got '%s', want '%s' (%zu vs %zu records)", what, i,
			      i < n ? got[i] : "(none)", i < wn ? w[i] : "(none)", n, wn);
	}
	for (size_t i = 0; i < n; i++)
		free(got[i]);
	free(got);
	free(w);
}

#define EXPECT_AN(p, ...)                                                                          \
	expect_section(ldns_pkt_answer(p), (const char *const[]){__VA_ARGS__, NULL}, "answer")
#define EXPECT_NS(p, ...)                                                                          \
	expect_section(ldns_pkt_authority(p), (const char *const[]){__VA_ARGS__, NULL}, "authority")
#define EXPECT_AR(p, ...)                                                                          \
	expect_section(ldns_pkt_additional(p), (const char *const[]){__VA_ARGS__, NULL},           \
		       "additional")
#define NONE NULL

#define SOA_NEG                                                                                    \
	"example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "   \
	"1209600 300"
#define SOA_FULL                                                                                   \
	"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "  \
	"1209600 300"

START_TEST(test_exact_case_kept)
{
	struct answer_result res;
	ldns_pkt *p = ask("WwW.ExAmple.com.", LDNS_RR_TYPE_A, &res);

	ck_assert_int_eq(res.rcode, 0);
	ck_assert_uint_eq(res.qtype, 1);
	ck_assert_ptr_eq(res.zone, zone_set_zone(snap->zones, 0));
	ck_assert(ldns_pkt_aa(p));
	ck_assert(!ldns_pkt_tc(p));
	EXPECT_AN(p, "WwW.ExAmple.com. 3600 IN A 192.0.2.80");
	EXPECT_NS(p, NONE);
	EXPECT_AR(p, NONE);
	/* The owner is a pointer to the question. */
	ck_assert(memcmp(resp + 12 + 17 + 4, "\300\14", 2) == 0);
	ck_assert_uint_eq(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_negative)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("www.example.com.", LDNS_RR_TYPE_MX, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);

	p = ask("nope.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NXDOMAIN);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);

	/* Empty non-terminal: NODATA, even with a wildcard beside it. */
	p = ask("y.w2.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);
	p = ask("q.y.w2.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NXDOMAIN);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_wildcard)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("Q.w2.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "Q.w2.example.com. 3600 IN A 192.0.2.98");
	ldns_pkt_free(p);
	p = ask("a.b.wild.example.com.", LDNS_RR_TYPE_TXT, &res);
	EXPECT_AN(p, "a.b.wild.example.com. 3600 IN TXT \"wild\"");
	ldns_pkt_free(p);
	p = ask("a.wild.example.com.", LDNS_RR_TYPE_MX, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_cname)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("alias.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	/* Names compress case-insensitively: the target's labels after "Www"
	 * point into the question. */
	EXPECT_AN(p, "alias.example.com. 3600 IN CNAME Www.example.com.",
		  "Www.example.com. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);

	p = ask("alias.example.com.", LDNS_RR_TYPE_CNAME, &res);
	EXPECT_AN(p, "alias.example.com. 3600 IN CNAME Www.example.com.");
	ldns_pkt_free(p);

	p = ask("chain1.example.com.", LDNS_RR_TYPE_AAAA, &res);
	EXPECT_AN(p, "chain1.example.com. 3600 IN CNAME chain2.example.com.",
		  "chain2.example.com. 3600 IN CNAME www.example.com.",
		  "www.example.com. 3600 IN AAAA 2001:db8::80");
	ldns_pkt_free(p);

	/* The chain ends in NODATA: SOA, NOERROR. */
	p = ask("alias.example.com.", LDNS_RR_TYPE_MX, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "alias.example.com. 3600 IN CNAME Www.example.com.");
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);

	p = ask("loop1.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "loop1.example.com. 3600 IN CNAME loop2.example.com.",
		  "loop2.example.com. 3600 IN CNAME loop1.example.com.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	p = ask("dangling.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NXDOMAIN);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "dangling.example.com. 3600 IN CNAME nothere.example.com.");
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);

	p = ask("outside.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "outside.example.com. 3600 IN CNAME www.example.net.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* Into a delegation: the CNAME, then the referral; AA stays. */
	p = ask("tosub.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "tosub.example.com. 3600 IN CNAME host.sub.example.com.");
	EXPECT_NS(p, "sub.example.com. 3600 IN NS ns.sub.example.com.",
		  "sub.example.com. 3600 IN NS ns.other.example.net.");
	EXPECT_AR(p, "ns.sub.example.com. 3600 IN A 192.0.2.200",
		  "ns.sub.example.com. 3600 IN AAAA 2001:db8::200");
	ldns_pkt_free(p);
}
END_TEST

#define DNAME_SOA_NEG                                                                              \
	"dname.test. 300 IN SOA ns1.dname.test. hostmaster.dname.test. 2024010101 7200 3600 "      \
	"1209600 300"
#define DNAME_SUB "sub.dname.test. 600 IN DNAME target.dname.test."

/* RFC 6672 2.2, 3.2: the DNAME, the CNAME made from it (its TTL, the
 * query's prefix), then the target's answer. */
START_TEST(test_dname)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("host.sub.dname.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, DNAME_SUB, "host.sub.dname.test. 600 IN CNAME host.target.dname.test.",
		  "host.target.dname.test. 3600 IN A 192.0.2.10");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* The target does not exist: NXDOMAIN after the substitution. */
	p = ask("deep.x.sub.dname.test.", LDNS_RR_TYPE_TXT, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NXDOMAIN);
	EXPECT_AN(p, DNAME_SUB, "deep.x.sub.dname.test. 600 IN CNAME deep.x.target.dname.test.");
	EXPECT_NS(p, DNAME_SOA_NEG);
	ldns_pkt_free(p);

	/* The owner itself is not substituted. */
	p = ask("sub.dname.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, DNAME_SOA_NEG);
	ldns_pkt_free(p);
	p = ask("sub.dname.test.", 39, &res);
	EXPECT_AN(p, DNAME_SUB);
	ldns_pkt_free(p);

	/* Asked for the CNAME: not followed. */
	p = ask("host.sub.dname.test.", LDNS_RR_TYPE_CNAME, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, DNAME_SUB, "host.sub.dname.test. 600 IN CNAME host.target.dname.test.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* Out of the zone: the resolver follows. */
	p = ask("a.ext.dname.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "ext.dname.test. 3600 IN DNAME example.net.",
		  "a.ext.dname.test. 3600 IN CNAME a.example.net.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* A loop: each DNAME once, five CNAMEs in all. */
	p = ask("a.loopa.dname.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "loopa.dname.test. 3600 IN DNAME loopb.dname.test.",
		  "loopb.dname.test. 3600 IN DNAME loopa.dname.test.",
		  "a.loopa.dname.test. 3600 IN CNAME a.loopb.dname.test.",
		  "a.loopa.dname.test. 3600 IN CNAME a.loopb.dname.test.",
		  "a.loopa.dname.test. 3600 IN CNAME a.loopb.dname.test.",
		  "a.loopb.dname.test. 3600 IN CNAME a.loopa.dname.test.",
		  "a.loopb.dname.test. 3600 IN CNAME a.loopa.dname.test.");
	ldns_pkt_free(p);

	/* Too long: YXDOMAIN with the DNAME alone. */
	p = ask("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.long.dname.test.",
		LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_YXDOMAIN);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "long.dname.test. 3600 IN DNAME "
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
		     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.dname.test.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* Below a delegation the referral wins over an occluded DNAME. */
	p = ask("y.x.deleg.dname.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(!ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, "deleg.dname.test. 3600 IN NS ns.example.net.");
	ldns_pkt_free(p);
}
END_TEST

/* Addresses of name servers under a sibling delegation go into referrals
 * and the apex NS answer; a wildcard's CNAME loop ends when a name comes
 * back (NSD and Knot DNS answer both so). */
START_TEST(test_sibling_glue_and_wildcard_loop)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("fnni.dname.test.", LDNS_RR_TYPE_SOA, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(!ldns_pkt_aa(p));
	EXPECT_NS(p, "fnni.dname.test. 3600 IN NS ns.sib.dname.test.");
	EXPECT_AR(p, "ns.sib.dname.test. 3600 IN AAAA 2001:db8::53");
	ldns_pkt_free(p);

	p = ask("dname.test.", LDNS_RR_TYPE_NS, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "dname.test. 3600 IN NS ns1.dname.test.",
		  "dname.test. 3600 IN NS ns.sib.dname.test.");
	EXPECT_AR(p, "ns1.dname.test. 3600 IN A 192.0.2.53",
		  "ns.sib.dname.test. 3600 IN AAAA 2001:db8::53");
	ldns_pkt_free(p);

	p = ask("mybankcard.campus.dname.test.", LDNS_RR_TYPE_NS, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "mybankcard.campus.dname.test. 3600 IN CNAME example.uni.campus.dname.test.",
		  "example.uni.campus.dname.test. 3600 IN CNAME example.uni.campus.dname.test.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_referral_and_ds)
{
	struct answer_result res;
	ldns_pkt *p;
	const char *names[] = {"host.sub.example.com.", "sub.example.com.", "ns.sub.example.com.",
			       "x.sub.example.com."};
	const ldns_rr_type types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_A,
				      LDNS_RR_TYPE_DS};

	for (size_t i = 0; i < 4; i++) {
		p = ask(names[i], types[i], &res);
		ck_assert_int_eq(res.rcode, 0);
		ck_assert_msg(!ldns_pkt_aa(p), "AA on referral for %s", names[i]);
		EXPECT_AN(p, NONE);
		EXPECT_NS(p, "sub.example.com. 3600 IN NS ns.sub.example.com.",
			  "sub.example.com. 3600 IN NS ns.other.example.net.");
		EXPECT_AR(p, "ns.sub.example.com. 3600 IN A 192.0.2.200",
			  "ns.sub.example.com. 3600 IN AAAA 2001:db8::200");
		ldns_pkt_free(p);
	}
	/* DS at the cut comes from the parent side, authoritatively. */
	p = ask("sub.example.com.", LDNS_RR_TYPE_DS, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "sub.example.com. 3600 IN DS 12345 8 2 "
		     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);
	p = ask("nods.example.com.", LDNS_RR_TYPE_DS, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);
	/* A referral whose NS target is authoritative data: no glue needed,
	 * the address comes along. */
	p = ask("a.nods.example.com.", LDNS_RR_TYPE_A, &res);
	ck_assert(!ldns_pkt_aa(p));
	EXPECT_NS(p, "nods.example.com. 3600 IN NS ns1.example.com.");
	EXPECT_AR(p, "ns1.example.com. 3600 IN A 192.0.2.53",
		  "ns1.example.com. 3600 IN AAAA 2001:db8::53");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_additional)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("example.com.", LDNS_RR_TYPE_MX, &res);
	EXPECT_AN(p, "example.com. 3600 IN MX 10 Mail.example.com.");
	EXPECT_AR(p, "Mail.example.com. 3600 IN A 192.0.2.25",
		  "Mail.example.com. 3600 IN AAAA 2001:db8::25");
	ldns_pkt_free(p);
	p = ask("example.com.", LDNS_RR_TYPE_NS, &res);
	EXPECT_AN(p, "example.com. 3600 IN NS ns1.example.com.",
		  "example.com. 3600 IN NS ns2.example.net.");
	EXPECT_AR(p, "ns1.example.com. 3600 IN A 192.0.2.53",
		  "ns1.example.com. 3600 IN AAAA 2001:db8::53");
	ldns_pkt_free(p);
	p = ask("_sip._tcp.example.com.", LDNS_RR_TYPE_SRV, &res);
	EXPECT_AN(p, "_sip._tcp.example.com. 3600 IN SRV 0 5 5060 www.example.com.");
	EXPECT_AR(p, "www.example.com. 3600 IN A 192.0.2.80",
		  "www.example.com. 3600 IN AAAA 2001:db8::80");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_any)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("example.com.", LDNS_RR_TYPE_ANY, &res);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "example.com. 3600 IN A 192.0.2.1");
	ldns_pkt_free(p);
	p = ask_full("example.com.", LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, 0, true, OTHER, &res);
	EXPECT_AN(
	    p, "example.com. 3600 IN A 192.0.2.1", SOA_FULL,
	    "example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.net.",
	    "example.com. 3600 IN MX 10 Mail.example.com.", "example.com. 3600 IN TXT \"apex\"");
	EXPECT_AR(p, "ns1.example.com. 3600 IN A 192.0.2.53",
		  "ns1.example.com. 3600 IN AAAA 2001:db8::53",
		  "Mail.example.com. 3600 IN A 192.0.2.25",
		  "Mail.example.com. 3600 IN AAAA 2001:db8::25");
	ldns_pkt_free(p);
	p = ask("y.w2.example.com.", LDNS_RR_TYPE_ANY, &res);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, SOA_NEG);
	ldns_pkt_free(p);
	/* ANY at a CNAME returns the CNAME without following it. */
	p = ask("alias.example.com.", LDNS_RR_TYPE_ANY, &res);
	EXPECT_AN(p, "alias.example.com. 3600 IN CNAME Www.example.com.");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_chaos_and_refused)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask_full("id.server.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert_ptr_null(res.zone);
	EXPECT_AN(p, "id.server. 0 CH TXT \"ns1.test\"");
	ldns_pkt_free(p);
	p = ask_full("VERSION.bind.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0, false, OTHER, &res);
	EXPECT_AN(p, "VERSION.bind. 0 CH TXT \"gslbd-test\"");
	ldns_pkt_free(p);
	free(snap->config->version);
	snap->config->version = NULL;
	p = ask_full("version.server.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	EXPECT_AN(p, NONE);
	ldns_pkt_free(p);
	p = ask_full("hostname.bind.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	p = ask_full("foo.bar.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	p = ask_full("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_HS, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	/* Not a served zone: REFUSED without AA. */
	p = ask("www.example.org.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ck_assert(!ldns_pkt_aa(p));
	ck_assert_ptr_null(res.zone);
	EXPECT_AN(p, NONE);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	/* Class ANY is answered like IN. */
	p = ask_full("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "www.example.com. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);
}
END_TEST

/* The OPT record at the end of resp (res->len bytes), with rdlen bytes of options. */
static const uint8_t *opt_at_end(const struct answer_result *res, size_t rdlen)
{
	const uint8_t *o = resp + res->len - 11 - rdlen;

	ck_assert_uint_eq(o[0], 0);
	ck_assert_uint_eq(wire_get16(o + 1), WIRE_TYPE_OPT);
	ck_assert_uint_eq(wire_get16(o + 9), rdlen);
	return o;
}

/* The cookie secrets of the tests. */
static const uint8_t secret_a[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t secret_b[16] = {0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t client_cookie[8] = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57};

/* Ask www.example.com A from OTHER with the COOKIE option of len bytes at
 * cookie (client, then server) at time now. */
static ldns_pkt *ask_cookie(const uint8_t *cookie, size_t len, bool tcp, uint32_t now,
			    struct answer_result *res)
{
	uint8_t opts[4 + 40], *wire;
	size_t qlen;
	ldns_pkt *p;

	opts[0] = 0;
	opts[1] = WIRE_EDNS_OPT_COOKIE;
	opts[2] = 0;
	opts[3] = (uint8_t)len;
	memcpy(opts + 4, cookie, len);
	qlen = make_query("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, opts, 4 + len,
			  &wire);
	answer_scratch_set_time(scratch, now);
	p = ask_wire(wire, qlen, tcp, OTHER, res);
	free(wire);
	return p;
}

/* The COOKIE option of the response (a 24-byte one is expected) into out. */
static void response_cookie(const struct answer_result *res, uint8_t out[24])
{
	const uint8_t *o = opt_at_end(res, 28);

	ck_assert_uint_eq(wire_get16(o + 11), WIRE_EDNS_OPT_COOKIE);
	ck_assert_uint_eq(wire_get16(o + 13), 24);
	memcpy(out, o + 15, 24);
	ck_assert_mem_eq(out, client_cookie, 8);
}

START_TEST(test_cookies)
{
	struct config *cfg = (struct config *)snap->config;
	uint8_t addr[4] = {192, 0, 2, 77}, want[16], got[24], q[24];
	const uint32_t t0 = 1800000000u;
	struct answer_result res;
	ldns_pkt *p;

	cfg->cookies_enabled = true;
	memcpy(cfg->cookie_secret, secret_a, 16);
	/* A client cookie alone: answered, and given a server cookie. */
	p = ask_cookie(client_cookie, 8, false, t0, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_ISSUED);
	response_cookie(&res, got);
	cookie_server_make(secret_a, client_cookie, addr, 4, t0, want);
	ck_assert_mem_eq(got + 8, want, 16);
	ldns_pkt_free(p);
	memcpy(q, got, 24);

	/* Sent back a minute later: valid, and sent back as it was. */
	p = ask_cookie(q, 24, false, t0 + 60, &res);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_VALID);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	response_cookie(&res, got);
	ck_assert_mem_eq(got, q, 24);
	ldns_pkt_free(p);

	/* Forty minutes later: valid, and renewed. */
	p = ask_cookie(q, 24, false, t0 + 2400, &res);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_VALID);
	response_cookie(&res, got);
	cookie_server_make(secret_a, client_cookie, addr, 4, t0 + 2400, want);
	ck_assert_mem_eq(got + 8, want, 16);
	ldns_pkt_free(p);

	/* Not ours (a flipped bit): BADCOOKIE over UDP, with a good cookie
	 * and no answer (RFC 7873 5.2.3); answered over TCP. */
	q[23] ^= 1;
	p = ask_cookie(q, 24, false, t0 + 60, &res);
	ck_assert_int_eq(res.rcode, WIRE_RCODE_BADCOOKIE);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_BAD);
	ck_assert_int_eq(res.kind, RRL_ERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert_uint_eq(resp[3] & 0x0f, WIRE_RCODE_BADCOOKIE & 0x0f);
	ck_assert_uint_eq(opt_at_end(&res, 28)[5], WIRE_RCODE_BADCOOKIE >> 4);
	response_cookie(&res, got);
	cookie_server_make(secret_a, client_cookie, addr, 4, t0 + 60, want);
	ck_assert_mem_eq(got + 8, want, 16);
	ldns_pkt_free(p);
	p = ask_cookie(q, 24, true, t0 + 60, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	q[23] ^= 1;

	/* Rotation: secret_b current, secret_a previous: still valid, renewed
	 * with secret_b; once secret_a is gone, BADCOOKIE. */
	memcpy(cfg->cookie_secret, secret_b, 16);
	memcpy(cfg->cookie_previous, secret_a, 16);
	cfg->cookie_has_previous = true;
	p = ask_cookie(q, 24, false, t0 + 60, &res);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_VALID);
	response_cookie(&res, got);
	cookie_server_make(secret_b, client_cookie, addr, 4, t0 + 60, want);
	ck_assert_mem_eq(got + 8, want, 16);
	ldns_pkt_free(p);
	cfg->cookie_has_previous = false;
	p = ask_cookie(q, 24, false, t0 + 60, &res);
	ck_assert_int_eq(res.rcode, WIRE_RCODE_BADCOOKIE);
	ldns_pkt_free(p);

	/* Wrong lengths are FORMERR (RFC 7873 5.2.2). */
	p = ask_cookie(q, 9, false, t0, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ldns_pkt_free(p);
	p = ask_cookie(q, 7, false, t0, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ldns_pkt_free(p);

	/* Cookies off: no option, no verdict. */
	cfg->cookies_enabled = false;
	p = ask_cookie(q, 24, false, t0, &res);
	ck_assert_int_eq(res.cookie, ANSWER_COOKIE_NONE);
	opt_at_end(&res, 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_rrl_kinds_and_slip)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
		enum rrl_kind kind;
		const char *key; /* the name the bucket is kept by */
	} cases[] = {
		{"WWW.example.com", LDNS_RR_TYPE_A, RRL_ANSWER, "\3www\7example\3com"},
		{"nothere.example.com", LDNS_RR_TYPE_A, RRL_NXDOMAIN, "\7example\3com"},
		{"www.example.com", LDNS_RR_TYPE_MX, RRL_NODATA, "\7example\3com"},
		{"host.sub.example.com", LDNS_RR_TYPE_A, RRL_REFERRAL, "\7example\3com"},
		{"www.example.org", LDNS_RR_TYPE_A, RRL_ERROR, NULL},
		/* Synthesised from a wildcard: the wildcard's owner. */
		{"Random-1.wild.example.com", LDNS_RR_TYPE_TXT, RRL_ANSWER,
		 "\1*\4wild\7example\3com"},
		{"a.b.wild.example.com", LDNS_RR_TYPE_A, RRL_ANSWER, "\1*\4wild\7example\3com"},
		{"q.w2.example.com", LDNS_RR_TYPE_A, RRL_ANSWER, "\1*\2w2\7example\3com"},
		/* A name that exists beside the wildcard keeps its own. */
		{"z.y.w2.example.com", LDNS_RR_TYPE_A, RRL_ANSWER, "\1z\1y\2w2\7example\3com"},
		{"x.wild.example.com", LDNS_RR_TYPE_MX, RRL_NODATA, "\7example\3com"},
	};
	struct answer_result res;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *wire;
		size_t qlen = make_query(cases[i].name, cases[i].type, LDNS_RR_CLASS_IN, 1232, NULL,
					 0, &wire);
		ldns_pkt *p = ask_wire(wire, qlen, false, OTHER, &res), *slip = NULL;
		size_t len;

		ck_assert_msg(res.kind == cases[i].kind, "%s: kind %d", cases[i].name, res.kind);
		if (cases[i].key == NULL) {
			ck_assert_ptr_null(res.rrl_name);
		} else {
			ck_assert_uint_eq(res.rrl_name_len, strlen(cases[i].key) + 1);
			ck_assert_mem_eq(res.rrl_name, cases[i].key, res.rrl_name_len);
		}
		/* The slipped form: the question, TC, an OPT, nothing else, and
		 * never longer than the query. */
		len = answer_slip(scratch, wire, qlen, resp, sizeof(resp));
		ck_assert_uint_le(len, qlen);
		ck_assert_int_eq(ldns_wire2pkt(&slip, resp, len), LDNS_STATUS_OK);
		ck_assert(ldns_pkt_tc(slip) && ldns_pkt_qr(slip));
		ck_assert_uint_eq(ldns_pkt_qdcount(slip), 1);
		ck_assert_uint_eq(ldns_pkt_ancount(slip) + ldns_pkt_nscount(slip), 0);
		ck_assert_uint_eq(ldns_pkt_id(slip), 0x4242);
		ck_assert_int_eq(ldns_pkt_get_rcode(slip), LDNS_RCODE_NOERROR);
		ck_assert(ldns_pkt_edns(slip));
		ldns_pkt_free(slip);
		ldns_pkt_free(p);
		free(wire);
	}
}
END_TEST

/* Answers to random labels under a wildcard, from one network, are
 * limited as answers to one fixed name are: they share the bucket of the
 * wildcard's owner. */
START_TEST(test_rrl_wildcard)
{
	static const struct rrl_params p = {
	    .rate = 10, .window_ms = 1000, .slip = 0, .ipv4_prefix = 24, .ipv6_prefix = 56};
	struct rrl_table *t = rrl_table_new(4096);
	unsigned passed[2] = {0, 0};

	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 200; i++) {
			char name[64], ip[32];
			uint8_t *wire, addr[16];
			struct answer_result res;
			ldns_pkt *pk;
			size_t qlen;
			bool evicted;

			/* Round 0: one fixed name; round 1: a new label every time. */
			snprintf(name, sizeof(name), round == 0 ? "fixed.wild.example.com"
								: "r%u-%x.wild.example.com",
				 i, i * 2654435761u);
			snprintf(ip, sizeof(ip), "198.51.100.%u", 1 + i % 250);
			qlen = make_query(name, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 1232, NULL, 0,
					  &wire);
			pk = ask_wire(wire, qlen, false, ip, &res);
			ck_assert_uint_eq(ldns_pkt_ancount(pk), 1);
			ck_assert_int_eq(res.kind, RRL_ANSWER);
			ck_assert_int_eq(inet_pton(AF_INET, ip, addr), 1);
			/* A minute apart: the bucket is full again. */
			passed[round] += rrl_account(t, &p, 1000 + round * 60000, addr, 4, res.kind, res.rrl_name,
						     res.rrl_name_len, &evicted) == RRL_PASS;
			ldns_pkt_free(pk);
			free(wire);
		}
	}
	/* rate x window: 10 of 200, whether the labels are fixed or random. */
	ck_assert_uint_eq(passed[0], 10);
	ck_assert_uint_eq(passed[1], 10);
	rrl_table_free(t);
}
END_TEST

START_TEST(test_acls)
{
	struct config *cfg = (struct config *)snap->config;
	struct netacl *acl = &cfg->zones[0].acl;
	struct answer_result res;
	uint8_t *wire;
	size_t qlen;
	ldns_pkt *p;

	/* A listener's refusal: REFUSED, question echoed. */
	qlen = make_query("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, NULL, 0, &wire);
	answer_refused(wire, qlen, resp, sizeof(resp), scratch, &res);
	ck_assert_int_eq(res.action, ANSWER_SEND);
	ck_assert_int_eq(ldns_wire2pkt(&p, resp, res.len), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	free(wire);

	/* The zone's list: 192.0.2.0/24 denied, 192.0.2.77 (OTHER) allowed back. */
	acl->deny = xcalloc(1, sizeof(*acl->deny));
	acl->deny_count = 1;
	ck_assert_int_eq(netprefix_parse("192.0.2.0/24", acl->deny), 0);
	acl->set = true;
	p = ask_full("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, "192.0.2.1",
		     &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ck_assert(res.acl_denied);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert(!ldns_pkt_aa(p));
	ldns_pkt_free(p);
	p = ask_full("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	acl->allow = xcalloc(1, sizeof(*acl->allow));
	acl->allow_count = 1;
	ck_assert_int_eq(netprefix_parse(OTHER, acl->allow), 0);
	p = ask_full("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	/* With an allow list, others are refused; with drop, not answered. */
	p = ask_full("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	acl->drop = true;
	p = ask_full("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, "192.0.2.1",
		     &res);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(res.action, ANSWER_DROP);
	ck_assert(res.acl_denied);
	/* Outside the zone, the zone's list does not apply. */
	p = ask_full("www.example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, "192.0.2.1",
		     &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_edns)
{
	static const uint8_t ecs[] = {0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2};
	struct answer_result res;
	const uint8_t *o;
	uint8_t *wire;
	size_t len;
	ldns_pkt *p;

	p = ask_full("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4096, false, OTHER,
		     &res);
	ck_assert(ldns_pkt_edns(p));
	ck_assert_uint_eq(ldns_pkt_edns_udp_size(p), 1232);
	ck_assert_uint_eq(ldns_pkt_edns_version(p), 0);
	ck_assert(!ldns_pkt_edns_do(p));
	EXPECT_AN(p, "www.example.com. 3600 IN A 192.0.2.80");
	opt_at_end(&res, 0);
	ldns_pkt_free(p);

	/* Client Subnet echoed with scope 0, and stored for policies. */
	len = make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, ecs,
			 sizeof(ecs), &wire);
	p = ask_wire(wire, len, false, OTHER, &res);
	free(wire);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "www.example.com. 3600 IN A 192.0.2.80");
	o = opt_at_end(&res, sizeof(ecs));
	ck_assert(memcmp(o + 11, ecs, sizeof(ecs)) == 0);
	ck_assert(scratch->q.has_ecs);
	ck_assert_uint_eq(scratch->q.ecs_source, 24);
	ldns_pkt_free(p);

	/* ECS echoed in REFUSED too. */
	len = make_query("www.example.org.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, ecs,
			 sizeof(ecs), &wire);
	p = ask_wire(wire, len, false, OTHER, &res);
	free(wire);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	o = opt_at_end(&res, sizeof(ecs));
	ck_assert(memcmp(o + 11, ecs, sizeof(ecs)) == 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_edns_do_and_badvers)
{
	struct answer_result res;
	const uint8_t *o;
	uint8_t *wire;
	size_t len;
	ldns_pkt *p;

	len =
	    make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, NULL, 0, &wire);
	wire[len - 11 + 7] = 0x80; /* DO */
	p = ask_wire(wire, len, false, OTHER, &res);
	ck_assert(ldns_pkt_edns_do(p)); /* RFC 3225: copied */
	ldns_pkt_free(p);

	wire[len - 11 + 6] = 1; /* version 1 */
	p = ask_wire(wire, len, false, OTHER, &res);
	free(wire);
	ck_assert_int_eq(res.rcode, 16);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), 0);
	ck_assert(!ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	o = opt_at_end(&res, 0);
	ck_assert_uint_eq(o[5], 1); /* extended rcode 16 >> 4 */
	ck_assert_uint_eq(o[6], 0); /* version 0 */
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_truncation)
{
	struct answer_result res;
	ldns_pkt *p;

	p = ask("big.example.com.", LDNS_RR_TYPE_TXT, &res);
	ck_assert(ldns_pkt_tc(p));
	ck_assert(ldns_pkt_aa(p));
	ck_assert_int_eq(res.rcode, 0);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);

	/* An EDNS size below 512 counts as 512. */
	p = ask_full("big.example.com.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 100, false, OTHER,
		     &res);
	ck_assert(ldns_pkt_tc(p));
	ck_assert(ldns_pkt_edns(p));
	ck_assert_uint_le(res.len, 512);
	ldns_pkt_free(p);

	p = ask_full("big.example.com.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 1232, false, OTHER,
		     &res);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 10);
	ck_assert_uint_le(res.len, 1232);
	ldns_pkt_free(p);

	p = ask_full("big.example.com.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0, true, OTHER, &res);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 10);
	ldns_pkt_free(p);
}
END_TEST

/* An IXFR query with the client's SOA in authority (serial 1). */
static size_t make_ixfr(uint8_t *b)
{
	static const uint8_t q[] = "\x42\x42\0\0\0\1\0\0\0\1\0\0"
				   "\7example\3com\0\0\xfb\0\1"
				   "\300\14\0\6\0\1\0\0\0\0\0\26\0\0"
				   "\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

	memcpy(b, q, sizeof(q) - 1);
	return sizeof(q) - 1;
}

START_TEST(test_transfer_decisions)
{
	struct answer_result res;
	uint8_t ixfr[128];
	size_t ilen = make_ixfr(ixfr);
	ldns_pkt *p;

	p = ask_full("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, true, ALLOWED, &res);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(res.action, ANSWER_XFR);
	ck_assert_ptr_eq(res.zone, zone_set_zone(snap->zones, 0));
	ck_assert_uint_eq(res.qtype, LDNS_RR_TYPE_AXFR);
	p = ask_wire(ixfr, ilen, true, ALLOWED, &res);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(res.action, ANSWER_XFR);

	p = ask_full("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, true, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	p = ask_full("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, false, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(p);
	p = ask_full("www.example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, true, ALLOWED,
		     &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTAUTH);
	ldns_pkt_free(p);
	p = ask_full("example.org.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, true, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTAUTH);
	ldns_pkt_free(p);

	/* IXFR over UDP: the SOA alone, so the client retries over TCP. */
	p = ask_wire(ixfr, ilen, false, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, SOA_FULL);
	ldns_pkt_free(p);
	p = ask_wire(ixfr, ilen, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	/* IXFR without the client's SOA. */
	p = ask_full("example.com.", LDNS_RR_TYPE_IXFR, LDNS_RR_CLASS_IN, 0, false, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ldns_pkt_free(p);
}
END_TEST

/* Sign the query at q (len bytes, room for cap) with key at time now. */
static size_t sign_query(uint8_t *q, size_t len, size_t cap, const struct tsig_key *key,
			 uint64_t now, struct tsig_ctx *ctx)
{
	tsig_ctx_init(ctx, key);
	ck_assert_int_eq(tsig_sign(ctx, q, &len, cap, now), 0);
	return len;
}

/* TSIG in the answer path: an access list entry that wants a key refuses
 * unsigned transfers; a signed one is streamed with every message signed
 * (verified as a client would); a signed SOA query gets a signed answer;
 * an unknown key, a bad MAC and a stale time get NOTAUTH with the TSIG
 * error (RFC 8945 5.2). */
START_TEST(test_transfer_tsig)
{
	struct config *cfg = snap->config;
	struct tsig_key other;
	struct tsig_ctx client;
	struct answer_result res;
	struct tsig_rr rr;
	struct xfr_state x;
	uint8_t q[512], *wire, *buf = xmalloc(ANSWER_MAX_MSG);
	size_t len, n, messages = 0;
	uint64_t now = (uint64_t)time(NULL);
	ldns_pkt *p;

	cfg->tsig_keys = xcalloc(1, sizeof(*cfg->tsig_keys));
	cfg->tsig_key_count = 1;
	ck_assert_int_eq(tsig_key_init(&cfg->tsig_keys[0], "xfr", "hmac-sha256",
				       "c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=", NULL),
			 0);
	ck_assert_int_eq(tsig_key_init(&other, "other", "hmac-sha256",
				       "c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=", NULL),
			 0);
	cfg->zones[0].allow_transfer_key = xcalloc(1, sizeof(int));

	/* Unsigned, from an address whose entry wants the key: refused. */
	p = ask_full("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, true, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_REFUSED);
	ck_assert(res.tsig_required);
	ldns_pkt_free(p);

	/* Signed: a transfer, every message signed. */
	len = make_query("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	memcpy(q, wire, len);
	free(wire);
	len = sign_query(q, len, sizeof(q), &cfg->tsig_keys[0], now, &client);
	p = ask_wire(q, len, true, ALLOWED, &res);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(res.action, ANSWER_XFR);
	ck_assert_int_eq(res.tsig, TSIG_OK);
	ck_assert_ptr_nonnull(res.tsig_ctx);
	xfr_begin(&x, snap, res.zone, q, len, res.tsig_ctx);
	while ((n = xfr_next(&x, buf, 600, scratch)) > 0) {
		ck_assert_uint_le(n, 600);
		ck_assert_int_eq(tsig_verify_next(&client, buf, n, now), TSIG_OK);
		messages++;
	}
	ck_assert_uint_gt(messages, 2);
	tsig_ctx_fini(&client);

	/* Signed under a key gslbd does not know: BADKEY, unsigned, naming it. */
	len = make_query("example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	memcpy(q, wire, len);
	free(wire);
	len = sign_query(q, len, sizeof(q), &other, now, &client);
	p = ask_wire(q, len, true, ALLOWED, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTAUTH);
	ck_assert_int_eq(res.tsig, TSIG_BADKEY);
	ck_assert_int_eq(tsig_find(resp, res.len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADKEY);
	ck_assert_uint_eq(rr.mac_len, 0);
	ck_assert_mem_eq(rr.key, "\5other", 7);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);

	/* A signed SOA query over UDP: a signed answer. */
	len = make_query("example.com.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 1232, NULL, 0, &wire);
	memcpy(q, wire, len);
	free(wire);
	len = sign_query(q, len, sizeof(q), &cfg->tsig_keys[0], now, &client);
	p = ask_wire(q, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, SOA_FULL);
	ck_assert_int_eq(tsig_verify_next(&client, resp, res.len, now), TSIG_OK);
	ldns_pkt_free(p);
	tsig_ctx_fini(&client);

	/* A bad MAC: BADSIG, unsigned. */
	len = make_query("example.com.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	memcpy(q, wire, len);
	free(wire);
	len = sign_query(q, len, sizeof(q), &cfg->tsig_keys[0], now, &client);
	q[len - 8] ^= 1; /* the MAC's last byte */
	p = ask_wire(q, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTAUTH);
	ck_assert_int_eq(res.tsig, TSIG_BADSIG);
	ck_assert_int_eq(tsig_find(resp, res.len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADSIG);
	ldns_pkt_free(p);

	/* Signed 20 minutes ago: BADTIME, signed, with our time. */
	len = make_query("example.com.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	memcpy(q, wire, len);
	free(wire);
	len = sign_query(q, len, sizeof(q), &cfg->tsig_keys[0], now - 1200, &client);
	p = ask_wire(q, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTAUTH);
	ck_assert_int_eq(res.tsig, TSIG_BADTIME);
	ck_assert_int_eq(tsig_find(resp, res.len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADTIME);
	ck_assert_uint_eq(rr.other_len, 6);
	ck_assert_int_eq(tsig_verify_next(&client, resp, res.len, now - 1200), TSIG_ERROR);
	ldns_pkt_free(p);
	tsig_ctx_fini(&client);
	free(buf);
}
END_TEST

START_TEST(test_transfer_stream)
{
	const struct zone *z = zone_set_zone(snap->zones, 0);
	struct answer_result res;
	struct xfr_state x;
	uint8_t *wire, *buf = xmalloc(ANSWER_MAX_MSG);
	size_t len, n, total = 0, messages = 0, soa_count = 0;
	ldns_rr_list *all = ldns_rr_list_new();
	ldns_pkt *p;

	len = make_query("Example.com.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	p = ask_wire(wire, len, true, ALLOWED, &res);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(res.action, ANSWER_XFR);
	xfr_begin(&x, snap, res.zone, wire, len, res.tsig_ctx);
	/* Small messages force the records over several of them. */
	while ((n = xfr_next(&x, buf, 600, scratch)) > 0) {
		ck_assert_uint_le(n, 600);
		ck_assert_int_eq(ldns_wire2pkt(&p, buf, n), LDNS_STATUS_OK);
		ck_assert_uint_eq(ldns_pkt_id(p), 0x4242);
		ck_assert(ldns_pkt_aa(p) && ldns_pkt_qr(p));
		ck_assert_int_eq(ldns_pkt_get_rcode(p), 0);
		ck_assert_uint_eq(ldns_pkt_qdcount(p), messages == 0 ? 1 : 0);
		ck_assert_uint_gt(ldns_pkt_ancount(p), 0);
		for (size_t i = 0; i < ldns_pkt_ancount(p); i++) {
			ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_answer(p), i));

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				soa_count++;
			ldns_rr_list_push_rr(all, rr);
		}
		total += ldns_pkt_ancount(p);
		messages++;
		ldns_pkt_free(p);
		ck_assert_uint_lt(messages, 1000);
	}
	free(wire);
	ck_assert_uint_gt(messages, 2);
	ck_assert_uint_eq(total, zone_rr_count(z) + 1);
	ck_assert_uint_eq(soa_count, 2);
	ck_assert_int_eq(ldns_rr_compare(ldns_rr_list_rr(all, 0), ldns_rr_list_rr(all, total - 1)),
			 0);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(all, 0)), LDNS_RR_TYPE_SOA);
	/* Every record of the zone file is there. */
	{
		ldns_zone *zf = NULL;
		FILE *f = fopen(ZONE_FILE, "r");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(ldns_zone_new_frm_fp(&zf, f, NULL, 0, LDNS_RR_CLASS_IN),
				 LDNS_STATUS_OK);
		fclose(f);
		/* ldns keeps the SOA apart; the stream has it twice. */
		ck_assert_uint_eq(ldns_rr_list_rr_count(ldns_zone_rrs(zf)) + 2, total);
		ck_assert_int_eq(ldns_rr_compare(ldns_zone_soa(zf), ldns_rr_list_rr(all, 0)), 0);
		for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(zf)); i++) {
			ldns_rr *want = ldns_rr_list_rr(ldns_zone_rrs(zf), i);
			bool found = false;

			for (size_t j = 0; j < total && !found; j++)
				found = ldns_rr_compare(want, ldns_rr_list_rr(all, j)) == 0;
			ck_assert_msg(found, "record %zu of the zone file not transferred", i);
		}
		ldns_zone_deep_free(zf);
	}
	/* Done stays done. */
	ck_assert_uint_eq(xfr_next(&x, buf, 600, scratch), 0);
	ldns_rr_list_deep_free(all);
	free(buf);
}
END_TEST

START_TEST(test_drop)
{
	struct answer_result res;
	uint8_t *wire;
	size_t len;

	len = make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	ck_assert_ptr_null(ask_wire(wire, 11, false, OTHER, &res));
	ck_assert_int_eq(res.action, ANSWER_DROP);
	ck_assert_int_eq(res.rcode, -1);
	wire[2] |= 0x80; /* QR */
	ck_assert_ptr_null(ask_wire(wire, len, false, OTHER, &res));
	ck_assert_int_eq(res.action, ANSWER_DROP);
	free(wire);
}
END_TEST

START_TEST(test_notimp)
{
	struct answer_result res;
	uint8_t *wire;
	size_t len;
	ldns_pkt *p;

	len =
	    make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, NULL, 0, &wire);
	wire[2] |= 2 << 3; /* opcode STATUS */
	p = ask_wire(wire, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTIMPL);
	ck_assert_int_eq(ldns_pkt_get_opcode(p), LDNS_PACKET_STATUS);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ck_assert(ldns_pkt_edns(p));
	ldns_pkt_free(p);
	/* No question to echo. */
	wire[5] = 0;
	p = ask_wire(wire, 12, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTIMPL);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 0);
	ldns_pkt_free(p);
	free(wire);
}
END_TEST

START_TEST(test_formerr)
{
	static const uint8_t bad_ecs[] = {0, 8, 0, 7, 0, 1, 24, 8, 192, 0, 2};
	struct answer_result res;
	uint8_t *wire, buf[512];
	size_t len;
	ldns_pkt *p;

	len = make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, NULL, 0, &wire);
	/* Trailing bytes: FORMERR with the question. */
	memcpy(buf, wire, len);
	buf[len] = 0;
	p = ask_wire(buf, len + 1, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ck_assert(!ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	ldns_pkt_free(p);
	/* Two questions: FORMERR without one. */
	memcpy(buf, wire, len);
	memcpy(buf + len, wire + 12, len - 12);
	buf[5] = 2;
	p = ask_wire(buf, 2 * len - 12, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 0);
	ldns_pkt_free(p);
	/* Truncated question. */
	p = ask_wire(wire, len - 2, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 0);
	ldns_pkt_free(p);
	/* qtype 0. */
	memcpy(buf, wire, len);
	buf[len - 3] = 0;
	p = ask_wire(buf, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(p);
	free(wire);

	/* Bad Client Subnet: FORMERR, the OPT echoed without options. */
	len = make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, bad_ecs,
			 sizeof(bad_ecs), &wire);
	p = ask_wire(wire, len, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ck_assert(ldns_pkt_edns(p));
	opt_at_end(&res, 0);
	ldns_pkt_free(p);
	free(wire);

	/* OPT owned by a non-root name: FORMERR without OPT. */
	len =
	    make_query("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, NULL, 0, &wire);
	memcpy(buf, wire, len - 11);
	memcpy(buf + len - 11, "\1x", 2);
	memcpy(buf + len - 9, wire + len - 10, 10);
	p = ask_wire(buf, len + 1, false, OTHER, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_FORMERR);
	ck_assert(!ldns_pkt_edns(p));
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	free(wire);
}
END_TEST

/* Load-balanced names: a config of datacenters, pools and names over the
 * zone tests/data/answer/gslb.test.zone, with the GeoIP database
 * tests/data/geo/test-city.mmdb (81.2.69.0/24 London, 192.0.2.0/24 New York,
 * 203.0.113.0/24 Singapore, 2001:db8:100::/48 London, 2001:db8:200::/48 New
 * York). */
#define LB_ZONE_FILE TEST_DATA_DIR "/answer/gslb.test.zone"
#define LB_GEO_FILE  TEST_DATA_DIR "/geo/test-city.mmdb"

enum { DC_US, DC_EU, DC_AP, DC_EDGE, DC_EXT, DC_BIG, DC_COUNT };
enum { LP_WEB, LP_EMPTY, LP_CDN, LP_EXT, LP_ALL, LP_BIG, LP_COUNT };

#define LB_SOA_NEG                                                                                 \
	"gslb.test. 300 IN SOA ns1.gslb.test. hostmaster.gslb.test. 1 7200 3600 1209600 300"

static void add_v4(struct config_datacenter *dc, const char *s)
{
	dc->ipv4 = xreallocarray(dc->ipv4, dc->ipv4_count + 1, sizeof(*dc->ipv4));
	ck_assert_int_eq(inet_pton(AF_INET, s, dc->ipv4[dc->ipv4_count]), 1);
	dc->ipv4_count++;
}

static void add_v6(struct config_datacenter *dc, const char *s)
{
	dc->ipv6 = xreallocarray(dc->ipv6, dc->ipv6_count + 1, sizeof(*dc->ipv6));
	ck_assert_int_eq(inet_pton(AF_INET6, s, dc->ipv6[dc->ipv6_count]), 1);
	dc->ipv6_count++;
}

static void set_dc(struct config *cfg, int i, const char *name, double lat, double lon)
{
	cfg->datacenters[i].name = xstrdup(name);
	cfg->datacenters[i].region = xstrdup(name);
	config_datacenter_set_position(&cfg->datacenters[i], lat, lon);
	cfg->datacenters[i].weight = 100;
}

static void set_pool(struct config *cfg, int i, const char *name, enum pool_policy policy,
		     unsigned answers, uint32_t ttl, enum pool_all_down all_down, const int *dcs,
		     size_t n)
{
	struct config_pool *p = &cfg->pools[i];

	p->name = xstrdup(name);
	p->policy = policy;
	p->answers = answers;
	p->ttl = ttl;
	p->all_down = all_down;
	p->dcs = xcalloc(n, sizeof(*p->dcs));
	for (size_t j = 0; j < n; j++)
		p->dcs[j] = (size_t)dcs[j];
	p->dc_count = n;
}

static const struct {
	const char *name;
	int pool;
} lb_names[] = {
    {"www.gslb.test", LP_WEB},    {"empty.gslb.test", LP_EMPTY}, {"cdn.gslb.test", LP_CDN},
    {"ext.gslb.test", LP_EXT},    {"all.gslb.test", LP_ALL},     {"big.gslb.test", LP_BIG},
    {"*.wild.gslb.test", LP_WEB},
};
#define LB_NAME_COUNT (sizeof(lb_names) / sizeof(lb_names[0]))

static void setup_lb(void)
{
	static const int web[] = {DC_US, DC_EU, DC_AP};
	static const int cdn[] = {DC_EDGE};
	static const int ext[] = {DC_EXT};
	static const int big[] = {DC_BIG};
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct zone_dynamic dyn[LB_NAME_COUNT] = {{0}};
	struct zone_source src = {.origin = "gslb.test", .path = LB_ZONE_FILE};
	struct zone_set *zs = NULL;
	struct geo_db *db = NULL;
	struct gslb_err err;

	cfg->udp_max_size = 1232;
	cfg->zone_count = 1;
	cfg->zones = xcalloc(1, sizeof(*cfg->zones));
	cfg->zones[0].name = xstrdup("gslb.test");
	cfg->zones[0].file = xstrdup(LB_ZONE_FILE);

	cfg->datacenter_count = DC_COUNT;
	cfg->datacenters = xcalloc(DC_COUNT, sizeof(*cfg->datacenters));
	set_dc(cfg, DC_US, "us-east", 40.71, -74.01);
	add_v4(&cfg->datacenters[DC_US], "192.0.2.10");
	add_v4(&cfg->datacenters[DC_US], "192.0.2.11");
	add_v6(&cfg->datacenters[DC_US], "2001:db8::10");
	set_dc(cfg, DC_EU, "eu-west", 53.35, -6.26);
	add_v4(&cfg->datacenters[DC_EU], "198.51.100.10");
	add_v6(&cfg->datacenters[DC_EU], "2001:db8:1::10");
	set_dc(cfg, DC_AP, "ap-southeast", 1.35, 103.82);
	add_v4(&cfg->datacenters[DC_AP], "203.0.113.10");
	set_dc(cfg, DC_EDGE, "edge", 0, 0);
	cfg->datacenters[DC_EDGE].cname = xstrdup("Edge.gslb.test.");
	set_dc(cfg, DC_EXT, "ext", 0, 0);
	cfg->datacenters[DC_EXT].cname = xstrdup("lb.example.net.");
	set_dc(cfg, DC_BIG, "big", 0, 0);
	for (int i = 0; i < 40; i++) {
		char a[64];

		snprintf(a, sizeof(a), "2001:db8:9::%x", i + 1);
		add_v6(&cfg->datacenters[DC_BIG], a);
	}

	cfg->pool_count = LP_COUNT;
	cfg->pools = xcalloc(LP_COUNT, sizeof(*cfg->pools));
	set_pool(cfg, LP_WEB, "web", POOL_NEAREST, 1, 30, POOL_ALL_DOWN_FAIL_OPEN, web, 3);
	set_pool(cfg, LP_EMPTY, "web-empty", POOL_NEAREST, 1, 45, POOL_ALL_DOWN_EMPTY, web, 3);
	set_pool(cfg, LP_CDN, "cdn", POOL_FAILOVER, 1, 60, POOL_ALL_DOWN_FAIL_OPEN, cdn, 1);
	set_pool(cfg, LP_EXT, "ext", POOL_FAILOVER, 1, 70, POOL_ALL_DOWN_FAIL_OPEN, ext, 1);
	set_pool(cfg, LP_ALL, "all", POOL_ALL, 16, 20, POOL_ALL_DOWN_FAIL_OPEN, web, 3);
	set_pool(cfg, LP_BIG, "big", POOL_FAILOVER, 1, 10, POOL_ALL_DOWN_FAIL_OPEN, big, 1);

	cfg->lbname_count = LB_NAME_COUNT;
	cfg->lbnames = xcalloc(LB_NAME_COUNT, sizeof(*cfg->lbnames));
	for (size_t i = 0; i < LB_NAME_COUNT; i++) {
		cfg->lbnames[i].name = xstrdup(lb_names[i].name);
		cfg->lbnames[i].pool = (size_t)lb_names[i].pool;
		cfg->lbnames[i].zone = 0;
		dyn[i].name = lb_names[i].name;
		dyn[i].id = (uint32_t)i;
		dyn[i].where = "test";
	}
	src.dynamic = dyn;
	src.dynamic_count = LB_NAME_COUNT;

	err.msg[0] = '\0';
	ck_assert_msg(zone_set_load(&src, 1, &zs, &err) == 0, "%s", err.msg);
	ck_assert_msg(geo_db_open(LB_GEO_FILE, NULL, &db, &err) == 0, "%s", err.msg);
	snap = snapshot_new(cfg, zs, geo_share_new(db));
	scratch = answer_scratch_new();
}

static void expect_rdf(const ldns_rdf *rdf, const char *want)
{
	char *got = ldns_rdf2str(rdf);

	ck_assert_str_eq(got, want);
	free(got);
}

/* An ECS option: family 1 or 2, source prefix, address text. Returns its length. */
static size_t make_ecs(uint8_t *buf, int family, uint8_t source, const char *addr)
{
	uint8_t a[16];
	size_t alen = (source + 7u) / 8;

	ck_assert_int_eq(inet_pton(family == 1 ? AF_INET : AF_INET6, addr, a), 1);
	wire_set16(buf, WIRE_EDNS_OPT_ECS);
	wire_set16(buf + 2, (uint16_t)(4 + alen));
	wire_set16(buf + 4, (uint16_t)family);
	buf[6] = source;
	buf[7] = 0;
	memcpy(buf + 8, a, alen);
	return 8 + alen;
}

/* Ask over UDP with EDNS and an ECS option for addr/source (family 1 or 2)
 * from resolver client; check the option is echoed with the same address
 * and return the response, with the echoed scope in *scope. */
static ldns_pkt *ask_ecs(const char *name, ldns_rr_type t, int family, uint8_t source,
			 const char *addr, const char *client, struct answer_result *res,
			 uint8_t *scope)
{
	uint8_t ecs[32], *wire;
	size_t elen = make_ecs(ecs, family, source, addr);
	size_t len = make_query(name, t, LDNS_RR_CLASS_IN, 1232, ecs, elen, &wire);
	ldns_pkt *p = ask_wire(wire, len, false, client, res);
	const uint8_t *o;

	free(wire);
	ck_assert_ptr_nonnull(p);
	o = opt_at_end(res, elen);
	ck_assert(memcmp(o + 11, ecs, 7) == 0);
	ck_assert(memcmp(o + 19, ecs + 8, elen - 8) == 0);
	*scope = o[18];
	return p;
}

START_TEST(test_lb_ecs_locations)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* London: eu-west (Dublin) is nearest. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	ck_assert(!ldns_pkt_tc(p));
	EXPECT_AN(p, "www.gslb.test. 30 IN A 198.51.100.10");
	EXPECT_NS(p, NONE);
	ck_assert_uint_eq(scope, 24);
	ck_assert_uint_eq(scratch->lb_count, 1);
	ck_assert_uint_eq(scratch->lb.pool, LP_WEB);
	ck_assert_uint_eq(scratch->lb.chosen[0], DC_EU);
	ldns_pkt_free(p);

	/* New York: every VIP of us-east. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "192.0.2.0", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 192.0.2.10", "www.gslb.test. 30 IN A 192.0.2.11");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);

	/* Singapore. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "203.0.113.0", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 203.0.113.10");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);

	/* A longer source is cut to /24 for the lookup; the scope is what
	 * the decision used. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 32, "203.0.113.77", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 203.0.113.10");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);

	/* IPv6 subnets: London and New York. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 2, 48, "2001:db8:100::", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 198.51.100.10");
	ck_assert_uint_eq(scope, 48);
	ldns_pkt_free(p);
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_AAAA, 2, 56, "2001:db8:200::", OTHER, &res,
		    &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN AAAA 2001:db8::10");
	ck_assert_uint_eq(scope, 48);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_family)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* ap-southeast has no IPv6: the nearest datacenter that has one. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_AAAA, 1, 24, "203.0.113.0", OTHER, &res, &scope);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "www.gslb.test. 30 IN AAAA 2001:db8:1::10");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);

	/* Policy all: every datacenter in listed order, only the queried family. */
	p = ask_ecs("all.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "203.0.113.0", OTHER, &res, &scope);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 4);
	expect_rdf(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0), "192.0.2.10");
	EXPECT_AN(p, "all.gslb.test. 20 IN A 192.0.2.10", "all.gslb.test. 20 IN A 192.0.2.11",
		  "all.gslb.test. 20 IN A 198.51.100.10", "all.gslb.test. 20 IN A 203.0.113.10");
	ck_assert_uint_eq(scope, 0); /* the answer does not depend on the client */
	ldns_pkt_free(p);
	p = ask("all.gslb.test.", LDNS_RR_TYPE_AAAA, &res);
	EXPECT_AN(p, "all.gslb.test. 20 IN AAAA 2001:db8::10",
		  "all.gslb.test. 20 IN AAAA 2001:db8:1::10");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_drain)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* eu-west drained: London goes to the next nearest, us-east. */
	snap->dc_state[DC_EU] = DC_STATE_DOWN;
	for (int i = 0; i < 20; i++) {
		p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res,
			    &scope);
		EXPECT_AN(p, "www.gslb.test. 30 IN A 192.0.2.10",
			  "www.gslb.test. 30 IN A 192.0.2.11");
		ldns_pkt_free(p);
	}
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_AAAA, 1, 24, "203.0.113.0", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN AAAA 2001:db8::10");
	ldns_pkt_free(p);

	/* Every datacenter down. fail_open: answered as if all were up. */
	snap->dc_state[DC_US] = DC_STATE_DOWN;
	snap->dc_state[DC_AP] = DC_STATE_DOWN;
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 198.51.100.10");
	ck_assert(scratch->lb.failed_open);
	ldns_pkt_free(p);

	/* empty: NODATA with the SOA, the decision's scope echoed. */
	p = ask_ecs("empty.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, LB_SOA_NEG);
	ck_assert(scratch->lb.empty);
	ck_assert_uint_eq(scope, scratch->lb.scope);
	ldns_pkt_free(p);

	/* Back up: the empty pool answers again. */
	memset(snap->dc_state, DC_STATE_UP, DC_COUNT);
	p = ask_ecs("empty.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	EXPECT_AN(p, "empty.gslb.test. 45 IN A 198.51.100.10");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_no_ecs)
{
	struct answer_result res;
	ldns_pkt *p;

	/* The resolver's address decides; no option is added. */
	p = ask_full("www.gslb.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1232, false, "81.2.69.53",
		     &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 198.51.100.10");
	opt_at_end(&res, 0);
	ldns_pkt_free(p);
	p = ask_full("www.gslb.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, false, "203.0.113.9",
		     &res);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 203.0.113.10");
	ck_assert(!ldns_pkt_edns(p));
	ldns_pkt_free(p);
	p = ask_full("www.gslb.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, true, "2001:db8:200::1",
		     &res);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 192.0.2.10", "www.gslb.test. 30 IN A 192.0.2.11");
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_ecs_zero_source)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* Source /0: the client opted out; the resolver's address decides and
	 * the scope is 0. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_A, 1, 0, "0.0.0.0", "203.0.113.9", &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 203.0.113.10");
	ck_assert_uint_eq(scope, 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_other_types)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* MX: NODATA with the SOA and scope 0. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_MX, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, LB_SOA_NEG);
	ck_assert_uint_eq(scope, 0);
	ldns_pkt_free(p);
	p = ask("www.gslb.test.", LDNS_RR_TYPE_TXT, &res);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, LB_SOA_NEG);
	ldns_pkt_free(p);

	/* ANY: answered as A, one RRset, over UDP and TCP. */
	p = ask_ecs("www.gslb.test.", LDNS_RR_TYPE_ANY, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 198.51.100.10");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);
	p = ask_full("www.gslb.test.", LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, 0, true, "192.0.2.1",
		     &res);
	EXPECT_AN(p, "www.gslb.test. 30 IN A 192.0.2.10", "www.gslb.test. 30 IN A 192.0.2.11");
	ldns_pkt_free(p);

	/* Static data beside load-balanced names: scope 0. */
	p = ask_ecs("static.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	EXPECT_AN(p, "static.gslb.test. 3600 IN A 192.0.2.99");
	ck_assert_uint_eq(scope, 0);
	ldns_pkt_free(p);

	/* Names under a load-balanced name do not exist. */
	p = ask("x.www.gslb.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, LDNS_RCODE_NXDOMAIN);
	EXPECT_NS(p, LB_SOA_NEG);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_wildcard_and_case)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	p = ask_ecs("Foo.Wild.GSLB.test.", LDNS_RR_TYPE_A, 1, 24, "203.0.113.0", OTHER, &res,
		    &scope);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "Foo.Wild.GSLB.test. 30 IN A 203.0.113.10");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);
	/* Without ECS the resolver (in New York) is the client. */
	p = ask("a.b.wild.gslb.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "a.b.wild.gslb.test. 30 IN A 192.0.2.10",
		  "a.b.wild.gslb.test. 30 IN A 192.0.2.11");
	ldns_pkt_free(p);

	/* The owner points at the question, in the client's case. */
	p = ask("WwW.GsLb.TeSt.", LDNS_RR_TYPE_A, &res);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	expect_rdf(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), "WwW.GsLb.TeSt.");
	ck_assert(memcmp(resp + 12 + 15 + 4, "\300\14", 2) == 0);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 30);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_cname)
{
	struct answer_result res;
	uint8_t scope;
	ldns_pkt *p;

	/* A CNAME datacenter, followed inside the zone. */
	p = ask_ecs("cdn.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "81.2.69.0", OTHER, &res, &scope);
	ck_assert_int_eq(res.rcode, 0);
	ck_assert(ldns_pkt_aa(p));
	EXPECT_AN(p, "cdn.gslb.test. 60 IN CNAME edge.gslb.test.",
		  "edge.gslb.test. 3600 IN A 192.0.2.200");
	ck_assert_uint_eq(scope, scratch->lb.scope);
	ldns_pkt_free(p);
	p = ask("cdn.gslb.test.", LDNS_RR_TYPE_AAAA, &res);
	EXPECT_AN(p, "cdn.gslb.test. 60 IN CNAME edge.gslb.test.",
		  "edge.gslb.test. 3600 IN AAAA 2001:db8::200");
	ldns_pkt_free(p);
	/* Other types get the CNAME too, then what the target has. */
	p = ask("cdn.gslb.test.", LDNS_RR_TYPE_MX, &res);
	EXPECT_AN(p, "cdn.gslb.test. 60 IN CNAME edge.gslb.test.");
	EXPECT_NS(p, LB_SOA_NEG);
	ldns_pkt_free(p);
	p = ask("cdn.gslb.test.", LDNS_RR_TYPE_CNAME, &res);
	EXPECT_AN(p, "cdn.gslb.test. 60 IN CNAME edge.gslb.test.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* A target outside the zone is left to the resolver. */
	p = ask("ext.gslb.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, "ext.gslb.test. 70 IN CNAME lb.example.net.");
	EXPECT_NS(p, NONE);
	ldns_pkt_free(p);

	/* A static CNAME to a load-balanced name. */
	p = ask_ecs("alias.gslb.test.", LDNS_RR_TYPE_A, 1, 24, "192.0.2.0", OTHER, &res, &scope);
	EXPECT_AN(p, "alias.gslb.test. 3600 IN CNAME www.gslb.test.",
		  "www.gslb.test. 30 IN A 192.0.2.10", "www.gslb.test. 30 IN A 192.0.2.11");
	ck_assert_uint_eq(scope, 24);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_truncation)
{
	struct answer_result res;
	ldns_pkt *p;

	/* 40 AAAA records do not fit 512 bytes: TC, no partial RRset. */
	p = ask("big.gslb.test.", LDNS_RR_TYPE_AAAA, &res);
	ck_assert(ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	p = ask_full("big.gslb.test.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, 0, true, OTHER, &res);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 40);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 39)), 10);
	ldns_pkt_free(p);
	/* No IPv4 there: NODATA. */
	p = ask("big.gslb.test.", LDNS_RR_TYPE_A, &res);
	ck_assert_int_eq(res.rcode, 0);
	EXPECT_AN(p, NONE);
	EXPECT_NS(p, LB_SOA_NEG);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_lb_rnd)
{
	struct answer_scratch *other = answer_scratch_new();

	ck_assert(scratch->rnd != 0);
	ck_assert(other->rnd != 0);
	ck_assert(scratch->rnd != other->rnd);
	answer_scratch_free(other);
}
END_TEST

static Suite *answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");
	TCase *lb = tcase_create("lb");
	TCase *dname = tcase_create("dname");

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_exact_case_kept);
	tcase_add_test(valid, test_negative);
	tcase_add_test(valid, test_wildcard);
	tcase_add_test(valid, test_cname);
	tcase_add_test(valid, test_referral_and_ds);
	tcase_add_test(valid, test_additional);
	tcase_add_test(valid, test_any);
	tcase_add_test(valid, test_chaos_and_refused);
	tcase_add_test(valid, test_edns);
	tcase_add_test(valid, test_edns_do_and_badvers);
	tcase_add_test(valid, test_cookies);
	tcase_add_test(valid, test_rrl_kinds_and_slip);
	tcase_add_test(valid, test_rrl_wildcard);
	tcase_add_test(valid, test_acls);
	tcase_add_test(valid, test_truncation);
	tcase_add_test(valid, test_transfer_decisions);
	tcase_add_test(valid, test_transfer_stream);
	tcase_add_test(valid, test_transfer_tsig);
	tcase_add_test(invalid, test_drop);
	tcase_add_test(invalid, test_notimp);
	tcase_add_test(invalid, test_formerr);
	tcase_add_checked_fixture(lb, setup_lb, teardown);
	tcase_add_test(lb, test_lb_ecs_locations);
	tcase_add_test(lb, test_lb_family);
	tcase_add_test(lb, test_lb_drain);
	tcase_add_test(lb, test_lb_no_ecs);
	tcase_add_test(lb, test_lb_ecs_zero_source);
	tcase_add_test(lb, test_lb_other_types);
	tcase_add_test(lb, test_lb_wildcard_and_case);
	tcase_add_test(lb, test_lb_cname);
	tcase_add_test(lb, test_lb_truncation);
	tcase_add_test(lb, test_lb_rnd);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	suite_add_tcase(s, lb);
	tcase_add_checked_fixture(dname, setup_dname, teardown);
	tcase_add_test(dname, test_dname);
	tcase_add_test(dname, test_sibling_glue_and_wildcard_loop);
	suite_add_tcase(s, dname);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(answer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

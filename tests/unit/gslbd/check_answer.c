/* Unit tests of the answer path as a function: query bytes + client +
 * snapshot in, response bytes out, parsed back with ldns. The zone is
 * tests/data/answer/example.com.zone. */
#include <config.h>

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/answer-internal.h"
#include "gslbd/answer.h"
#include "gslbd/config.h"
#include "gslbd/snapshot.h"
#include "gslbd/wire.h"
#include "zones/zone.h"

#define ZONE_FILE TEST_DATA_DIR "/answer/example.com.zone"
#define ALLOWED   "127.0.0.1"
#define OTHER     "192.0.2.77"

static struct snapshot *snap;
static struct answer_scratch *scratch;
static uint8_t resp[ANSWER_MAX_MSG];

static void setup(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct zone_source src = {.origin = "example.com", .path = ZONE_FILE};
	struct zone_set *zs = NULL;
	struct gslb_err err;

	cfg->udp_max_size = 1232;
	cfg->identity = xstrdup("ns1.test");
	cfg->version = xstrdup("gslbd-test");
	cfg->zone_count = 1;
	cfg->zones = xcalloc(1, sizeof(*cfg->zones));
	cfg->zones[0].name = xstrdup("example.com");
	cfg->zones[0].file = xstrdup(ZONE_FILE);
	cfg->zones[0].allow_transfer = xcalloc(1, sizeof(struct netprefix));
	cfg->zones[0].allow_transfer_count = 1;
	ck_assert_int_eq(netprefix_parse(ALLOWED, cfg->zones[0].allow_transfer), 0);
	err.msg[0] = '\0';
	ck_assert_msg(zone_set_load(&src, 1, &zs, &err) == 0, "%s", err.msg);
	snap = snapshot_new(cfg, zs, NULL);
	scratch = answer_scratch_new();
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
	xfr_begin(&x, res.zone, wire, len);
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

static Suite *answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

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
	tcase_add_test(valid, test_truncation);
	tcase_add_test(valid, test_transfer_decisions);
	tcase_add_test(valid, test_transfer_stream);
	tcase_add_test(invalid, test_drop);
	tcase_add_test(invalid, test_notimp);
	tcase_add_test(invalid, test_formerr);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
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

/* Unit tests of the defences of the answer path, as pure functions with a
 * fake clock: SipHash-2-4, DNS server cookies against the test vectors of
 * RFC 9018 appendix A, response rate limiting (refill, burst, slip cadence,
 * folding of addresses into networks, kinds and names, table pressure) and
 * access lists. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/siphash.h"
#include "gslbd/dns/cookie.h"
#include "gslbd/dns/rrl.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	ck_assert_uint_eq(strlen(s), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The raw bytes of an address and their count. */
static size_t addr_of(const char *text, uint8_t out[16])
{
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	ck_assert_int_eq(inet_pton(AF_INET6, text, out), 1);
	return 16;
}

START_TEST(test_siphash_reference)
{
	/* The reference vector of the SipHash paper: key 00..0f, message 00..0e. */
	uint8_t key[16], msg[15], out[8], want[8];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	siphash24(key, msg, sizeof(msg), out);
	hex("e545be4961ca29a1", want, 8);
	ck_assert_mem_eq(out, want, 8);
	/* The empty message (first line of the reference's vectors.h). */
	siphash24(key, msg, 0, out);
	hex("310e0edd47db6f72", want, 8);
	ck_assert_mem_eq(out, want, 8);
}
END_TEST

/* One vector of RFC 9018 appendix A: the server cookie made for a client. */
static void expect_made(const char *secret_hex, const char *cc_hex, const char *ip, uint32_t now,
			const char *want_hex)
{
	uint8_t secret[16], cc[8], addr[16], out[16], want[16];
	size_t alen = addr_of(ip, addr);

	hex(secret_hex, secret, 16);
	hex(cc_hex, cc, 8);
	hex(want_hex, want, 16);
	cookie_server_make(secret, cc, addr, alen, now, out);
	ck_assert_mem_eq(out, want, 16);
}

START_TEST(test_cookie_rfc9018_vectors)
{
	/* A.1: learning a new server cookie. */
	expect_made("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100",
		    1559731985, "010000005cf79f111f8130c3eee29480");
	/* A.2: the same client, 40 minutes later, renewed. */
	expect_made("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100",
		    1559734385, "010000005cf7a871d4a564a1442aca77");
	/* A.3: another client. */
	expect_made("e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203",
		    1559734700, "010000005cf7a9acf73a7810aca2381e");
	/* A.4: an IPv6 client after the secret was rolled over. */
	expect_made("445536bcd2513298075a5d379663c962", "22681ab97d52c298",
		    "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961,
		    "010000005cf7c609a6bb79d16625507a");
}
END_TEST

/* Judge the full cookie (client + server, hex) from ip at now. */
static enum cookie_verdict judge(const char *current_hex, const char *previous_hex,
				 const char *cookie_hex, const char *ip, uint32_t now, bool *renew)
{
	uint8_t cur[16], prev[16], ck[40], addr[16];
	size_t n = strlen(cookie_hex) / 2, alen = addr_of(ip, addr);

	hex(current_hex, cur, 16);
	if (previous_hex != NULL)
		hex(previous_hex, prev, 16);
	hex(cookie_hex, ck, n);
	return cookie_check(cur, previous_hex != NULL ? prev : NULL, ck, ck + 8, n - 8, addr, alen,
			    now, renew);
}

START_TEST(test_cookie_check)
{
	static const char s1[] = "e5e973e5a6b2a43f48e7dc849e37bfcf";
	static const char a1[] = "2464c4abcf10c957010000005cf79f111f8130c3eee29480";
	bool renew;

	/* A.1's cookie comes back 40 minutes later (A.2): valid, due for renewal. */
	ck_assert_int_eq(judge(s1, NULL, a1, "198.51.100.100", 1559734385, &renew), COOKIE_VALID);
	ck_assert(renew);
	/* ... and a minute after it was made: valid, sent back as it is. */
	ck_assert_int_eq(judge(s1, NULL, a1, "198.51.100.100", 1559732045, &renew), COOKIE_VALID);
	ck_assert(!renew);
	/* A.3: the reserved bytes the client sent are part of the hash (the
	 * cookie was stamped 1559727985). */
	ck_assert_int_eq(judge(s1, NULL, "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
			       "203.0.113.203", 1559728000, &renew),
			 COOKIE_VALID);
	/* From another address, it is not ours. */
	ck_assert_int_eq(judge(s1, NULL, "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
			       "203.0.113.204", 1559728000, &renew),
			 COOKIE_INVALID);
	/* A.4: made with the old secret; valid while it is the previous one,
	 * and renewed with the current; invalid once it is gone. */
	ck_assert_int_eq(judge("445536bcd2513298075a5d379663c962",
			       "dd3bdf9344b678b185a6f5cb60fca715",
			       "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
			       "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961, &renew),
			 COOKIE_VALID);
	ck_assert(renew);
	ck_assert_int_eq(judge("445536bcd2513298075a5d379663c962", NULL,
			       "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
			       "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961, &renew),
			 COOKIE_INVALID);
	/* A client cookie alone. */
	ck_assert_int_eq(judge(s1, NULL, "2464c4abcf10c957", "198.51.100.100", 1559734385, &renew),
			 COOKIE_CLIENT_ONLY);
	/* Lengths other than 16 and other versions are not ours. */
	ck_assert_int_eq(judge(s1, NULL, "2464c4abcf10c9570100000000000000", "198.51.100.100",
			       1559734385, &renew),
			 COOKIE_INVALID);
	ck_assert_int_eq(judge(s1, NULL, "2464c4abcf10c957020000005cf79f111f8130c3eee29480",
			       "198.51.100.100", 1559731985, &renew),
			 COOKIE_INVALID);
	/* A flipped bit of the hash. */
	ck_assert_int_eq(judge(s1, NULL, "2464c4abcf10c957010000005cf79f111f8130c3eee29481",
			       "198.51.100.100", 1559731985, &renew),
			 COOKIE_INVALID);
}
END_TEST

START_TEST(test_cookie_age)
{
	static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t cc[8] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11};
	static const struct {
		uint32_t made, at;
		enum cookie_verdict want;
		bool renew;
	} cases[] = {
		{1000000, 1000000, COOKIE_VALID, false},
		{1000000, 1000000 + 1799, COOKIE_VALID, false},
		{1000000, 1000000 + 1800, COOKIE_VALID, true},
		{1000000, 1000000 + 3600, COOKIE_VALID, true},
		{1000000, 1000000 + 3601, COOKIE_INVALID, false},
		{1000000 + 300, 1000000, COOKIE_VALID, false},  /* clocks 5 minutes apart */
		{1000000 + 301, 1000000, COOKIE_INVALID, false},
		{4294964696u, 1000, COOKIE_VALID, true},         /* an hour old across the wrap */
	};
	uint8_t addr[4] = {192, 0, 2, 1}, sc[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool renew;

		cookie_server_make(secret, cc, addr, 4, cases[i].made, sc);
		ck_assert_msg(cookie_check(secret, NULL, cc, sc, 16, addr, 4, cases[i].at, &renew) ==
				  cases[i].want,
			      "case %zu", i);
		if (cases[i].want == COOKIE_VALID)
			ck_assert_msg(renew == cases[i].renew, "case %zu renew", i);
	}
}
END_TEST

static const struct rrl_params params = {
	.rate = 10, .window_ms = 1000, .slip = 2, .ipv4_prefix = 24, .ipv6_prefix = 56};

/* Account one answer about www.example. from ip at now_ms. */
static enum rrl_verdict hit(struct rrl_table *t, const struct rrl_params *p, const char *ip,
			    uint64_t now_ms, enum rrl_kind kind, const char *name)
{
	uint8_t addr[16];
	size_t alen = addr_of(ip, addr);
	bool evicted;

	return rrl_account(t, p, now_ms, addr, alen, kind, (const uint8_t *)name,
			   name != NULL ? strlen(name) + 1 : 0, &evicted);
}

/* Responses passed of n sent at now_ms. */
static unsigned passes(struct rrl_table *t, const struct rrl_params *p, const char *ip,
		       uint64_t now_ms, unsigned n, enum rrl_kind kind, const char *name)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += hit(t, p, ip, now_ms, kind, name) == RRL_PASS;
	return ok;
}

START_TEST(test_rrl_refill)
{
	struct rrl_table *t = rrl_table_new(1024);
	struct rrl_params p = params;
	uint64_t now = 5000000;

	/* A full bucket: rate x window at once, then nothing. */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now, 50, RRL_ANSWER, "\3www"), 10);
	/* 100 ms later: one more (10 per second). */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now + 100, 50, RRL_ANSWER, "\3www"), 1);
	/* 50 ms more: half a response, not yet one. */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now + 150, 5, RRL_ANSWER, "\3www"), 0);
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now + 200, 5, RRL_ANSWER, "\3www"), 1);
	/* An idle minute fills the bucket, no more. */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now + 60000, 50, RRL_ANSWER, "\3www"), 10);
	/* A longer window holds more. */
	p.window_ms = 3000;
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", now + 120000, 100, RRL_ANSWER, "\3www"), 30);
	/* Over 10 s of a steady flood (1000 a second), rate x time pass. */
	{
		unsigned ok = 0;

		p.window_ms = 1000;
		for (uint64_t ms = 0; ms < 10000; ms++)
			ok += passes(t, &p, "192.0.2.9", now + ms, 1, RRL_ANSWER, "\3www");
		ck_assert_uint_ge(ok, 100);
		ck_assert_uint_le(ok, 110); /* the first second's burst + 10 a second */
	}
	rrl_table_free(t);
}
END_TEST

START_TEST(test_rrl_slip)
{
	struct rrl_table *t = rrl_table_new(1024);
	struct rrl_params p = params;
	unsigned drops = 0, slips = 0;

	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", 1000, 10, RRL_ANSWER, "\3www"), 10);
	/* slip 2: every other limited response is slipped, in turn. */
	for (int i = 0; i < 10; i++) {
		enum rrl_verdict v = hit(t, &p, "192.0.2.1", 1000, RRL_ANSWER, "\3www");

		ck_assert_int_eq(v, i % 2 == 0 ? RRL_DROP : RRL_SLIP);
	}
	/* slip 3, then 1 (every one), then 0 (none). */
	p.slip = 3;
	for (int i = 0; i < 30; i++) {
		enum rrl_verdict v = hit(t, &p, "192.0.2.2", 2000, RRL_ANSWER, "\3www");

		drops += v == RRL_DROP;
		slips += v == RRL_SLIP;
	}
	ck_assert_uint_eq(slips, 20 / 3);
	ck_assert_uint_eq(drops, 20 - 20 / 3);
	p.slip = 1;
	ck_assert_int_eq(hit(t, &p, "192.0.2.2", 2000, RRL_ANSWER, "\3www"), RRL_SLIP);
	ck_assert_int_eq(hit(t, &p, "192.0.2.2", 2000, RRL_ANSWER, "\3www"), RRL_SLIP);
	p.slip = 0;
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(hit(t, &p, "192.0.2.2", 2000, RRL_ANSWER, "\3www"), RRL_DROP);
	rrl_table_free(t);
}
END_TEST

START_TEST(test_rrl_folding)
{
	struct rrl_table *t = rrl_table_new(1024);
	struct rrl_params p = params;

	/* Addresses of one /24 share a bucket; the next /24 has its own. */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", 1000, 6, RRL_ANSWER, "\3www"), 6);
	ck_assert_uint_eq(passes(t, &p, "192.0.2.200", 1000, 6, RRL_ANSWER, "\3www"), 4);
	ck_assert_uint_eq(passes(t, &p, "192.0.3.1", 1000, 20, RRL_ANSWER, "\3www"), 10);
	/* IPv6: a /56 shares, the next /56 does not. */
	ck_assert_uint_eq(passes(t, &p, "2001:db8:0:100::1", 1000, 6, RRL_ANSWER, "\3www"), 6);
	ck_assert_uint_eq(passes(t, &p, "2001:db8:0:1ff::2", 1000, 6, RRL_ANSWER, "\3www"), 4);
	ck_assert_uint_eq(passes(t, &p, "2001:db8:0:200::1", 1000, 20, RRL_ANSWER, "\3www"), 10);
	/* A /16 folding puts both IPv4 networks in one bucket. */
	p.ipv4_prefix = 16;
	ck_assert_uint_eq(passes(t, &p, "10.1.2.3", 1000, 6, RRL_ANSWER, "\3www"), 6);
	ck_assert_uint_eq(passes(t, &p, "10.1.200.3", 1000, 6, RRL_ANSWER, "\3www"), 4);
	/* Kinds and names have buckets of their own. */
	p.ipv4_prefix = 24;
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_ANSWER, "\3www"), 10);
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_ANSWER, "\4mail"), 10);
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_NXDOMAIN, "\7example"), 10);
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_NODATA, "\7example"), 10);
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_ERROR, NULL), 10);
	ck_assert_uint_eq(passes(t, &p, "198.51.100.1", 1000, 20, RRL_REFERRAL, "\7example"), 10);
	rrl_table_free(t);
}
END_TEST

START_TEST(test_rrl_pressure)
{
	/* 1024 buckets and 100,000 networks: each new one takes the place of
	 * the longest idle of its set, the memory stays what it was, and a
	 * network seen again after being evicted starts with a full bucket. */
	struct rrl_table *t = rrl_table_new(1000);
	struct rrl_params p = params;
	unsigned evictions = 0;

	ck_assert_uint_eq(rrl_table_entries(t), 1024);
	for (unsigned i = 0; i < 100000; i++) {
		uint8_t addr[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), 0};
		bool evicted;

		addr[1] = (uint8_t)(i >> 8);
		addr[2] = (uint8_t)i;
		addr[0] = (uint8_t)(10 + (i >> 16));
		ck_assert_int_eq(rrl_account(t, &p, 1000 + i / 100, addr, 4, RRL_ANSWER, NULL, 0,
					     &evicted),
				 RRL_PASS);
		evictions += evicted;
	}
	ck_assert_uint_ge(evictions, 100000 - 1024);
	/* A bucket in active use survives a stream of new networks in its set
	 * better than idle ones: one hammered network keeps being limited. */
	ck_assert_uint_eq(passes(t, &p, "192.0.2.1", 3000, 20, RRL_ANSWER, NULL), 10);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t addr[4] = {172, 16, (uint8_t)i, 0};
		bool evicted;

		rrl_account(t, &p, 3000, addr, 4, RRL_ANSWER, NULL, 0, &evicted);
		ck_assert_int_eq(hit(t, &p, "192.0.2.1", 3000, RRL_ANSWER, NULL) == RRL_PASS, 0);
	}
	ck_assert_uint_eq(RRL_ENTRY_BYTES, 16);
	rrl_table_free(t);
}
END_TEST

static struct netprefix prefix(const char *s)
{
	struct netprefix p;

	ck_assert_int_eq(netprefix_parse(s, &p), 0);
	return p;
}

static bool permits(const struct netacl *acl, const char *ip)
{
	struct netaddr a;

	ck_assert_int_eq(netaddr_parse(ip, 53, &a), 0);
	return netacl_permits(acl, &a.u.sa);
}

START_TEST(test_acl)
{
	struct netprefix allow[2] = {prefix("10.1.0.0/16"), prefix("2001:db8::/32")};
	struct netprefix deny[2] = {prefix("10.0.0.0/8"), prefix("10.1.2.0/24")};
	struct netacl none = {0}, only_deny = {.deny = deny, .deny_count = 2},
		      both = {.allow = allow, .allow_count = 2, .deny = deny, .deny_count = 2},
		      only_allow = {.allow = allow, .allow_count = 2};

	ck_assert(permits(&none, "192.0.2.1"));
	ck_assert(!permits(&only_deny, "10.9.9.9"));
	ck_assert(permits(&only_deny, "192.0.2.1"));
	/* The longest prefix decides: 10.1/16 allowed inside a denied 10/8,
	 * 10.1.2/24 denied again inside it. */
	ck_assert(permits(&both, "10.1.3.4"));
	ck_assert(!permits(&both, "10.1.2.4"));
	ck_assert(!permits(&both, "10.2.0.1"));
	/* With an allow list, what it does not hold is refused. */
	ck_assert(!permits(&both, "192.0.2.1"));
	ck_assert(permits(&only_allow, "2001:db8::53"));
	ck_assert(!permits(&only_allow, "2001:db9::53"));
	/* IPv4-mapped IPv6 addresses match IPv4 prefixes. */
	ck_assert(permits(&only_allow, "::ffff:10.1.0.1"));
}
END_TEST

static Suite *defences_suite(void)
{
	Suite *s = suite_create("defences");
	TCase *tc = tcase_create("cookies");

	tcase_add_test(tc, test_siphash_reference);
	tcase_add_test(tc, test_cookie_rfc9018_vectors);
	tcase_add_test(tc, test_cookie_check);
	tcase_add_test(tc, test_cookie_age);
	suite_add_tcase(s, tc);
	tc = tcase_create("rrl");
	tcase_add_test(tc, test_rrl_refill);
	tcase_add_test(tc, test_rrl_slip);
	tcase_add_test(tc, test_rrl_folding);
	tcase_add_test(tc, test_rrl_pressure);
	suite_add_tcase(s, tc);
	tc = tcase_create("acl");
	tcase_add_test(tc, test_acl);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(defences_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Unit tests of request signatures (common/sign.c) and probe reports
 * (gslbd/control/report.c): signing, verification verdicts, report parsing and the
 * probe configuration JSON, against a configuration built by hand. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/check_spec.h"
#include "common/sign.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/report.h"

#define NOW     UINT64_C(1700000000000) /* the wall clock of every verify test */
#define REPORTS "/v1/reports"

enum { DC_US, DC_EU, DC_AP, DC_CDN, DC_STATIC, DC_COUNT };
enum { CK_HTTP, CK_HTTPS, CK_TCP, CK_COUNT };

static struct config *cfg;

static void add_probe(struct config_probe *p, const char *id, const char *region,
		      const char *secret)
{
	p->id = xstrdup(id);
	p->region = xstrdup(region);
	p->secret = (uint8_t *)xstrdup(secret);
	p->secret_len = strlen(secret);
}

static void add_dc(struct config_datacenter *dc, const char *name, const char *v4, const char *v6,
		   const char *cname, long check, const char *check_address)
{
	dc->name = xstrdup(name);
	dc->region = xstrdup(name);
	dc->weight = 100;
	dc->check = check;
	dc->check_address = check_address != NULL ? xstrdup(check_address) : NULL;
	dc->cname = cname != NULL ? xstrdup(cname) : NULL;
	if (v4 != NULL) {
		dc->ipv4 = xcalloc(1, sizeof(dc->ipv4[0]));
		ck_assert_int_eq(inet_pton(AF_INET, v4, dc->ipv4[0]), 1);
		dc->ipv4_count = 1;
	}
	if (v6 != NULL) {
		dc->ipv6 = xcalloc(1, sizeof(dc->ipv6[0]));
		ck_assert_int_eq(inet_pton(AF_INET6, v6, dc->ipv6[0]), 1);
		dc->ipv6_count = 1;
	}
}

static void setup(void)
{
	struct config_check *c;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->report_max_skew_ms = 30000;
	cfg->report_max_bytes = 4096;

	cfg->probe_count = 2;
	cfg->probes = xcalloc(cfg->probe_count, sizeof(cfg->probes[0]));
	add_probe(&cfg->probes[0], "probe-eu", "eu-west", "secret-of-probe-eu");
	add_probe(&cfg->probes[1], "probe-us", "us-east", "secret-of-probe-us");

	cfg->check_count = CK_COUNT;
	cfg->checks = xcalloc(cfg->check_count, sizeof(cfg->checks[0]));
	c = &cfg->checks[CK_HTTP];
	c->name = xstrdup("web-http");
	c->type = CHECK_HTTP;
	c->port = 80;
	c->path = xstrdup("/healthz");
	c->host = xstrdup("www.example.com");
	c->expect_status = xcalloc(2, sizeof(c->expect_status[0]));
	c->expect_status[0] = 200;
	c->expect_status[1] = 204;
	c->expect_status_count = 2;
	c->expect_body = xstrdup("ok");
	c->tls_verify = true;
	c->interval_ms = 2000;
	c->timeout_ms = 1000;
	c = &cfg->checks[CK_HTTPS];
	c->name = xstrdup("web-https");
	c->type = CHECK_HTTPS;
	c->port = 443;
	c->path = xstrdup("/");
	c->tls_verify = false;
	c->interval_ms = 5000;
	c->timeout_ms = 2000;
	c = &cfg->checks[CK_TCP];
	c->name = xstrdup("ssh");
	c->type = CHECK_TCP;
	c->port = 22;
	c->interval_ms = 1000;
	c->timeout_ms = 500;

	cfg->datacenter_count = DC_COUNT;
	cfg->datacenters = xcalloc(cfg->datacenter_count, sizeof(cfg->datacenters[0]));
	add_dc(&cfg->datacenters[DC_US], "us-east", "192.0.2.10", "2001:db8::10", NULL, CK_HTTP,
	       NULL);
	add_dc(&cfg->datacenters[DC_EU], "eu-west", NULL, "2001:db8::20", NULL, CK_TCP, NULL);
	add_dc(&cfg->datacenters[DC_AP], "ap-south", "198.51.100.30", NULL, NULL, CK_HTTPS,
	       "127.0.0.1:8081");
	add_dc(&cfg->datacenters[DC_CDN], "cdn", NULL, NULL, "edge.cdn.example.", CK_HTTP, NULL);
	add_dc(&cfg->datacenters[DC_STATIC], "static", "203.0.113.5", NULL, NULL, -1, NULL);
}

static void teardown(void)
{
	/* config_free() frees hand-built configs too. */
	config_free(cfg);
	cfg = NULL;
}

/* ---- signatures ---- */

/* hex(HMAC-SHA256(key, msg)) straight from libcrypto, as a reference. */
static void hmac_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
		     char out[SIGN_HEX_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;

	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &mac_len));
	ck_assert_uint_eq(mac_len, 32);
	for (unsigned i = 0; i < mac_len; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

START_TEST(test_sign_known_answer)
{
	static const uint8_t key1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
	const char *body = "{\"probe\":\"probe-eu\",\"results\":[]}";
	const char *secret = "secret-of-probe-eu";
	char ref[SIGN_HEX_LEN + 1], sig[SIGN_HEX_LEN + 1], *msg;

	/* RFC 4231 test cases 1 and 2 validate the reference. */
	hmac_hex(key1, sizeof(key1), "Hi There", 8, ref);
	ck_assert_str_eq(ref, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, ref);
	ck_assert_str_eq(ref, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* The request format: METHOD \n PATH \n TIMESTAMP \n BODY. */
	msg = xasprintf("POST\n/v1/reports\n1700000000000\n%s", body);
	hmac_hex(secret, strlen(secret), msg, strlen(msg), ref);
	sign_request((const uint8_t *)secret, strlen(secret), "POST", REPORTS, NOW, body,
		     strlen(body), sig);
	ck_assert_str_eq(sig, ref);
	ck_assert_str_eq(sig, "8d1fe7f5800441aa21b19576ec5a381591558c12115718dc2702e5f4fca8459f");
	free(msg);

	/* Protocol 2: a tag, the method, path, boot id, seq and timestamp, each
	 * on its line, then the body. */
	{
		struct sign_stamp st = {UINT64_C(0x00000000000000a1), 7, NOW};

		msg = xasprintf("gslb-probe-2 request\nPOST\n/v1/reports\n00000000000000a1\n7\n"
				"1700000000000\n%s",
				body);
		hmac_hex(secret, strlen(secret), msg, strlen(msg), ref);
		sign_probe_request((const uint8_t *)secret, strlen(secret), "POST", REPORTS, &st,
				   body, strlen(body), sig);
		ck_assert_str_eq(sig, ref);
		free(msg);
		msg = xasprintf("gslb-probe-2 answer\n/v1/probe-config\n00000000000000a1\n7\n304\n"
				"b2b2b2b2b2b2b2b2\n9\n1700000000001\n");
		hmac_hex(secret, strlen(secret), msg, strlen(msg), ref);
		sign_probe_answer(
		    (const uint8_t *)secret, strlen(secret), "/v1/probe-config", &st,
		    &(struct sign_answer){304, UINT64_C(0xb2b2b2b2b2b2b2b2), 9, NOW + 1}, "", 0,
		    sig);
		ck_assert_str_eq(sig, ref);
		free(msg);
	}

	/* Empty body, timestamp 0. */
	hmac_hex(secret, strlen(secret), "GET\n/v1/probe-config\n0\n", 23, ref);
	sign_request((const uint8_t *)secret, strlen(secret), "GET", "/v1/probe-config", 0, NULL, 0,
		     sig);
	ck_assert_str_eq(sig, ref);
	ck_assert_uint_eq(strlen(sig), SIGN_HEX_LEN);
}
END_TEST

START_TEST(test_sign_check_valid)
{
	const uint8_t *key = (const uint8_t *)"0123456789abcdef";
	const char body[] = "some body";
	char sig[SIGN_HEX_LEN + 1], upper[SIGN_HEX_LEN + 1];

	sign_request(key, 16, "POST", REPORTS, 42, body, sizeof(body) - 1, sig);
	ck_assert(sign_check(key, 16, "POST", REPORTS, 42, body, sizeof(body) - 1, sig));
	/* Hex digits in either case decode to the same signature. */
	for (size_t i = 0; i <= SIGN_HEX_LEN; i++)
		upper[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 'a' + 'A' : sig[i]);
	ck_assert(sign_check(key, 16, "POST", REPORTS, 42, body, sizeof(body) - 1, upper));
}
END_TEST

START_TEST(test_sign_check_invalid)
{
	const uint8_t *key = (const uint8_t *)"0123456789abcdef";
	const char body[] = "some body";
	const size_t len = sizeof(body) - 1;
	char sig[SIGN_HEX_LEN + 1], bad[SIGN_HEX_LEN + 2];

	sign_request(key, 16, "POST", REPORTS, 42, body, len, sig);
	/* Every part of the request is covered. */
	ck_assert(!sign_check((const uint8_t *)"0123456789abcdeF", 16, "POST", REPORTS, 42, body,
			      len, sig));
	ck_assert(!sign_check(key, 15, "POST", REPORTS, 42, body, len, sig));
	ck_assert(!sign_check(key, 16, "GET", REPORTS, 42, body, len, sig));
	ck_assert(!sign_check(key, 16, "POST", "/v1/report", 42, body, len, sig));
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 43, body, len, sig));
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len - 1, sig));
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, "some bodY", len, sig));
	/* The separators matter: moving a byte across a boundary changes it. */
	ck_assert(!sign_check(key, 16, "POST\n/v1", "/reports", 42, body, len, sig));
	/* One digit flipped, too short, too long, not hex, NULL. */
	memcpy(bad, sig, sizeof(sig));
	bad[10] = bad[10] == '0' ? '1' : '0';
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, bad));
	memcpy(bad, sig, sizeof(sig));
	bad[SIGN_HEX_LEN - 1] = '\0';
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, bad));
	memcpy(bad, sig, sizeof(sig));
	bad[SIGN_HEX_LEN] = '0';
	bad[SIGN_HEX_LEN + 1] = '\0';
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, bad));
	memcpy(bad, sig, sizeof(sig));
	bad[0] = 'g';
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, bad));
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, ""));
	ck_assert(!sign_check(key, 16, "POST", REPORTS, 42, body, len, NULL));
}
END_TEST

/* ---- verification ---- */

/* Headers of a request signed by probe (index into cfg->probes, or -1 for a
 * secret no probe has) as boot and seq at ts over path and body. */
struct signed_req {
	char key[80];
	char boot[SIGN_BOOT_HEX_LEN + 1];
	char seq[24];
	char ts[32];
	char sig[SIGN_HEX_LEN + 1];
	struct report_auth auth;
};

#define BOOT_A UINT64_C(0x00000000000000a1) /* a probe process */
#define BOOT_B UINT64_C(0xb2b2b2b2b2b2b2b2) /* the same probe restarted */
#define MONO   UINT64_C(5000000)            /* the monotonic clock of verify tests */

static void sign_as_seq(struct signed_req *r, long probe, const char *method, const char *path,
			uint64_t boot, uint64_t seq, uint64_t ts, const char *body)
{
	const struct config_probe *p = probe >= 0 ? &cfg->probes[probe] : NULL;
	const char *other = "not-the-right-secret";
	struct sign_stamp st = {boot, seq, ts};

	snprintf(r->key, sizeof(r->key), "%s", p != NULL ? p->id : "probe-eu");
	sign_boot_format(boot, r->boot);
	snprintf(r->seq, sizeof(r->seq), "%" PRIu64, seq);
	snprintf(r->ts, sizeof(r->ts), "%" PRIu64, ts);
	if (p != NULL)
		sign_probe_request(p->secret, p->secret_len, method, path, &st, body, strlen(body),
				   r->sig);
	else
		sign_probe_request((const uint8_t *)other, strlen(other), method, path, &st, body,
				   strlen(body), r->sig);
	r->auth = (struct report_auth){r->key, r->boot, r->seq, r->ts, r->sig};
}

/* Signed as boot BOOT_A, seq 1. */
static void sign_as(struct signed_req *r, long probe, const char *method, const char *path,
		    uint64_t ts, const char *body)
{
	sign_as_seq(r, probe, method, path, BOOT_A, 1, ts, body);
}

static const char body_eu[] = "{\"probe\":\"probe-eu\",\"results\":[]}";

/* report_verify() of a POST /v1/reports of body_eu with auth at NOW. */
static enum report_verdict verify(const struct report_auth *auth, const struct report_peer *last,
				  size_t *probe, struct sign_stamp *st, char *why, size_t why_len)
{
	return report_verify(cfg, "POST", REPORTS, auth, body_eu, strlen(body_eu), NOW, MONO, last,
			     probe, st, why, why_len);
}

START_TEST(test_verify_valid)
{
	struct signed_req r;
	struct report_peer last[2] = {{.boot = BOOT_A, .seq = 4}, {.boot = BOOT_A, .seq = 100}};
	size_t probe = 99;
	struct sign_stamp ts = {0, 0, 0};
	char why[256] = "x";

	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 5, NOW - 1000, body_eu);
	ck_assert_int_eq(verify(&r.auth, NULL, &probe, &ts, why, sizeof(why)), REPORT_OK);
	ck_assert_uint_eq(probe, 0);
	ck_assert_uint_eq(ts.ts_ms, NOW - 1000);
	ck_assert_uint_eq(ts.boot, BOOT_A);
	ck_assert_uint_eq(ts.seq, 5);
	ck_assert_str_eq(why, "");
	/* Newer than the last accepted from this probe; the other's does not count. */
	ck_assert_int_eq(verify(&r.auth, last, &probe, &ts, why, sizeof(why)), REPORT_OK);

	/* The second probe with its own key. */
	sign_as_seq(&r, 1, "POST", REPORTS, BOOT_A, 101, NOW, body_eu);
	ck_assert_int_eq(verify(&r.auth, last, &probe, &ts, why, sizeof(why)), REPORT_OK);
	ck_assert_uint_eq(probe, 1);

	/* The skew bound is inclusive on both sides. */
	sign_as(&r, 0, "POST", REPORTS, NOW + 30000, body_eu);
	ck_assert_int_eq(verify(&r.auth, NULL, &probe, &ts, why, sizeof(why)), REPORT_OK);
	sign_as(&r, 0, "POST", REPORTS, NOW - 30000, body_eu);
	ck_assert_int_eq(verify(&r.auth, NULL, &probe, &ts, why, sizeof(why)), REPORT_OK);

	/* GET with an empty body, no replay check, NULL why. */
	sign_as(&r, 1, "GET", "/v1/probe-config", NOW, "");
	ck_assert_int_eq(report_verify(cfg, "GET", "/v1/probe-config", &r.auth, NULL, 0, NOW, MONO,
				       NULL, &probe, &ts, NULL, 0),
			 REPORT_OK);
	ck_assert_uint_eq(probe, 1);

	/* A body of exactly report_max_bytes is fine. */
	{
		char *big = xmalloc(cfg->report_max_bytes + 1);

		memset(big, ' ', cfg->report_max_bytes);
		big[cfg->report_max_bytes] = '\0';
		sign_as(&r, 0, "POST", REPORTS, NOW, big);
		ck_assert_int_eq(report_verify(cfg, "POST", REPORTS, &r.auth, big,
					       cfg->report_max_bytes, NOW, MONO, NULL, &probe, &ts,
					       why, sizeof(why)),
				 REPORT_OK);
		free(big);
	}
}
END_TEST

START_TEST(test_verdict_names)
{
	static const struct {
		enum report_verdict v;
		const char *name;
		int http;
	} want[] = {
	    {REPORT_OK, "ok", 200},
	    {REPORT_NO_AUTH, "no_auth", 401},
	    {REPORT_UNKNOWN_KEY, "unknown_key", 401},
	    {REPORT_BAD_SIGNATURE, "bad_signature", 401},
	    {REPORT_SKEW, "skew", 401},
	    {REPORT_REPLAY, "replay", 409},
	    {REPORT_TOO_LARGE, "too_large", 413},
	    {REPORT_MALFORMED, "malformed", 400},
	};

	ck_assert_uint_eq(sizeof(want) / sizeof(want[0]), REPORT_VERDICT_COUNT);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(report_verdict_name(want[i].v), want[i].name);
		ck_assert_int_eq(report_verdict_http(want[i].v), want[i].http);
	}
}
END_TEST

/* Expect verdict v with a reason equal to want. */
#define CK_VERIFY(auth, last, v, want)                                                             \
	do {                                                                                       \
		char why_[256] = "";                                                               \
		size_t probe_ = 99;                                                                \
		struct sign_stamp ts_ = {7, 7, 7};                                                 \
		ck_assert_int_eq(verify(auth, last, &probe_, &ts_, why_, sizeof(why_)), v);        \
		ck_assert_str_eq(why_, want);                                                      \
		ck_assert_uint_eq(probe_, 99);                                                     \
		ck_assert_uint_eq(ts_.ts_ms, 7);                                                   \
	} while (0)

START_TEST(test_verify_too_large)
{
	struct signed_req r;
	char *big = xmalloc(cfg->report_max_bytes + 2);
	char why[256];
	size_t probe;
	struct sign_stamp ts;

	memset(big, ' ', cfg->report_max_bytes + 1);
	big[cfg->report_max_bytes + 1] = '\0';
	sign_as(&r, 0, "POST", REPORTS, NOW, big);
	ck_assert_int_eq(report_verify(cfg, "POST", REPORTS, &r.auth, big,
				       cfg->report_max_bytes + 1, NOW, MONO, NULL, &probe, &ts, why,
				       sizeof(why)),
			 REPORT_TOO_LARGE);
	ck_assert_str_eq(why, "body of 4097 bytes is over the limit of 4096 bytes");
	/* Size comes first, even before the headers. */
	ck_assert_int_eq(report_verify(cfg, "POST", REPORTS, NULL, big, cfg->report_max_bytes + 1,
				       NOW, MONO, NULL, &probe, &ts, why, sizeof(why)),
			 REPORT_TOO_LARGE);
	free(big);
}
END_TEST

START_TEST(test_verify_no_auth)
{
	static const char *const bad_keys[] = {
	    "",
	    "probe eu",
	    "probe-eu\n",
	    "probé",
	    "a123456789012345678901234567890123456789012345678901234567890123", /* 64 */
	};
	static const char *const bad_ts[] = {"",
					     "abc",
					     "-5",
					     "+5",
					     " 5",
					     "5 ",
					     "0123",
					     "1.5",
					     "18446744073709551616",
					     "123456789012345678901"};
	static const char *const bad_sigs[] = {
	    "",
	    "8d1fe7f5800441aa21b19576ec5a381591558c12115718dc2702e5f4fca8459",   /* 63 */
	    "8d1fe7f5800441aa21b19576ec5a381591558c12115718dc2702e5f4fca8459f0", /* 65 */
	    "8d1fe7f5800441aa21b19576ec5a381591558c12115718dc2702e5f4fca8459g",
	};
	struct signed_req r;
	struct report_auth a;

	sign_as(&r, 0, "POST", REPORTS, NOW, body_eu);
	CK_VERIFY(NULL, NULL, REPORT_NO_AUTH, "missing X-GSLB-Key header");
	a = r.auth;
	a.key = NULL;
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH, "missing X-GSLB-Key header");
	/* A probe of protocol 1 is told why. */
	a = r.auth;
	a.boot = NULL;
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
		  "missing X-GSLB-Boot header: the sender speaks probe protocol 1, this gslbd "
		  "protocol 2 (upgrade gslb-probe)");
	a = r.auth;
	a.seq = NULL;
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
		  "missing X-GSLB-Seq header: the sender speaks probe protocol 1, this gslbd "
		  "protocol 2 (upgrade gslb-probe)");
	for (size_t i = 0; i < 5; i++) {
		static const char *const bad_boots[] = {"", "0000000000000000", "00000000000000a",
							"00000000000000a1f", "00000000000000ag"};

		a = r.auth;
		a.boot = bad_boots[i];
		CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
			  "malformed X-GSLB-Boot header (want 16 hex digits, not all 0)");
	}
	for (size_t i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]) + 1; i++) {
		a = r.auth;
		a.seq = i < sizeof(bad_ts) / sizeof(bad_ts[0]) ? bad_ts[i] : "0";
		CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
			  "malformed X-GSLB-Seq header (want a decimal number from 1)");
	}
	a = r.auth;
	a.timestamp = NULL;
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH, "missing X-GSLB-Timestamp header");
	a = r.auth;
	a.signature = NULL;
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH, "missing X-GSLB-Signature header");
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		a = r.auth;
		a.key = bad_keys[i];
		CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
			  "malformed X-GSLB-Key header (want 1 to 63 of A-Z a-z 0-9 _ . -)");
	}
	for (size_t i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		a = r.auth;
		a.timestamp = bad_ts[i];
		CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
			  "malformed X-GSLB-Timestamp header (want Unix time in milliseconds)");
	}
	for (size_t i = 0; i < sizeof(bad_sigs) / sizeof(bad_sigs[0]); i++) {
		a = r.auth;
		a.signature = bad_sigs[i];
		CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
			  "malformed X-GSLB-Signature header (want 64 hex digits)");
	}
	/* Malformed headers are reported before an unknown key. */
	a = r.auth;
	a.key = "nobody";
	a.signature = "xyz";
	CK_VERIFY(&a, NULL, REPORT_NO_AUTH,
		  "malformed X-GSLB-Signature header (want 64 hex digits)");
}
END_TEST

START_TEST(test_verify_unknown_key)
{
	struct signed_req r;
	struct report_auth a;
	char long_key[64];

	sign_as(&r, 0, "POST", REPORTS, NOW, body_eu);
	a = r.auth;
	a.key = "probe-xx";
	CK_VERIFY(&a, NULL, REPORT_UNKNOWN_KEY, "unknown probe key 'probe-xx'");
	/* Keys are case-sensitive; the longest well-formed key is shown whole. */
	a.key = "PROBE-EU";
	CK_VERIFY(&a, NULL, REPORT_UNKNOWN_KEY, "unknown probe key 'PROBE-EU'");
	memset(long_key, 'k', 63);
	long_key[63] = '\0';
	a.key = long_key;
	CK_VERIFY(&a, NULL, REPORT_UNKNOWN_KEY,
		  "unknown probe key "
		  "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk'");
}
END_TEST

START_TEST(test_verify_bad_signature)
{
	static const char *want = "probe probe-eu: signature does not match";
	struct signed_req r;
	struct report_peer last[2] = {{.boot = 0}, {.boot = 0}};

	/* A secret that is not the probe's. */
	sign_as(&r, -1, "POST", REPORTS, NOW, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	/* The other probe's secret under this probe's key. */
	sign_as(&r, 1, "POST", REPORTS, NOW, body_eu);
	snprintf(r.key, sizeof(r.key), "probe-eu");
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	/* Signed for another method, path, timestamp or body. */
	sign_as(&r, 0, "GET", REPORTS, NOW, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	sign_as(&r, 0, "POST", "/v1/probe-config", NOW, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	sign_as(&r, 0, "POST", REPORTS, NOW, body_eu);
	snprintf(r.ts, sizeof(r.ts), "%" PRIu64, NOW + 1);
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	sign_as(&r, 0, "POST", REPORTS, NOW, "{\"probe\":\"probe-eu\",\"results\":[ ]}");
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	/* The boot id and the seq are signed. */
	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 7, NOW, body_eu);
	snprintf(r.seq, sizeof(r.seq), "8");
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 7, NOW, body_eu);
	sign_boot_format(BOOT_B, r.boot);
	CK_VERIFY(&r.auth, NULL, REPORT_BAD_SIGNATURE, want);
	/* An unsigned sender learns nothing about skew or replay. */
	sign_as(&r, -1, "POST", REPORTS, NOW + 3600000, body_eu);
	last[0] = (struct report_peer){.boot = BOOT_A, .seq = 1000};
	CK_VERIFY(&r.auth, last, REPORT_BAD_SIGNATURE, want);
}
END_TEST

START_TEST(test_verify_skew)
{
	struct signed_req r;
	struct report_peer last[2] = {{.boot = BOOT_A, .seq = 1000}, {.boot = 0}};

	sign_as(&r, 0, "POST", REPORTS, NOW + 45000, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_SKEW,
		  "probe probe-eu: timestamp 45s ahead of our clock (max 30s)");
	sign_as(&r, 0, "POST", REPORTS, NOW - 30001, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_SKEW,
		  "probe probe-eu: timestamp 30.001s behind our clock (max 30s)");
	sign_as(&r, 1, "POST", REPORTS, NOW - 3600500, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_SKEW,
		  "probe probe-us: timestamp 3600.5s behind our clock (max 30s)");
	/* Skew is checked before replay. */
	sign_as(&r, 0, "POST", REPORTS, 1, body_eu);
	CK_VERIFY(&r.auth, last, REPORT_SKEW,
		  "probe probe-eu: timestamp 1699999999.999s behind our clock (max 30s)");
	cfg->report_max_skew_ms = 1500;
	sign_as(&r, 0, "POST", REPORTS, NOW + 1600, body_eu);
	CK_VERIFY(&r.auth, NULL, REPORT_SKEW,
		  "probe probe-eu: timestamp 1.6s ahead of our clock (max 1.5s)");
}
END_TEST

START_TEST(test_verify_replay)
{
	struct signed_req r;
	struct report_peer last[2] = {{.boot = BOOT_A, .seq = 10}, {.boot = 0}};

	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 10, NOW, body_eu);
	CK_VERIFY(&r.auth, last, REPORT_REPLAY,
		  "probe probe-eu: seq 10 of boot 00000000000000a1 is not newer than the last "
		  "accepted one (10)");
	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 3, NOW + 1000, body_eu);
	CK_VERIFY(&r.auth, last, REPORT_REPLAY,
		  "probe probe-eu: seq 3 of boot 00000000000000a1 is not newer than the last "
		  "accepted one (10)");
	/* Only the reporting probe's state counts. */
	last[1] = (struct report_peer){.boot = BOOT_B, .seq = 2};
	sign_as_seq(&r, 1, "POST", REPORTS, BOOT_B, 2, NOW, body_eu);
	CK_VERIFY(&r.auth, last, REPORT_REPLAY,
		  "probe probe-us: seq 2 of boot b2b2b2b2b2b2b2b2 is not newer than the last "
		  "accepted one (2)");
}
END_TEST

/* verify() then report_peer_accept() as gslbd does, at wall now and
 * monotonic mono. */
static enum report_verdict take(struct report_peer *peers, uint64_t boot, uint64_t seq, uint64_t ts,
				uint64_t now, uint64_t mono)
{
	struct signed_req r;
	struct sign_stamp st;
	size_t probe;
	enum report_verdict v;

	sign_as_seq(&r, 0, "POST", REPORTS, boot, seq, ts, body_eu);
	v = report_verify(cfg, "POST", REPORTS, &r.auth, body_eu, strlen(body_eu), now, mono, peers,
			  &probe, &st, NULL, 0);
	if (v == REPORT_OK)
		report_peer_accept(&peers[probe], &st, mono);
	return v;
}

/* A clock step does not lock a probe out: the order is (boot id, seq); the
 * timestamp only has to be within the skew. */
START_TEST(test_verify_clock_step)
{
	struct report_peer peers[2];

	memset(peers, 0, sizeof(peers));
	/* Stamped 25 s ahead (within the skew), then the clock steps back. */
	ck_assert_int_eq(take(peers, BOOT_A, 1, NOW + 25000, NOW, MONO), REPORT_OK);
	ck_assert_int_eq(take(peers, BOOT_A, 2, NOW + 1000, NOW + 1000, MONO + 1000), REPORT_OK);
	/* An NTP step back of 20 s. */
	ck_assert_int_eq(take(peers, BOOT_A, 3, NOW - 18000, NOW + 2000, MONO + 2000), REPORT_OK);
	ck_assert_int_eq(take(peers, BOOT_A, 4, NOW - 17000, NOW + 3000, MONO + 3000), REPORT_OK);
	/* Replays of any of them are still refused. */
	ck_assert_int_eq(take(peers, BOOT_A, 4, NOW - 17000, NOW + 3000, MONO + 3000),
			 REPORT_REPLAY);
	ck_assert_int_eq(take(peers, BOOT_A, 2, NOW + 1000, NOW + 3000, MONO + 3000),
			 REPORT_REPLAY);
	ck_assert_uint_eq(peers[0].boot, BOOT_A);
	ck_assert_uint_eq(peers[0].seq, 4);
	ck_assert_uint_eq(peers[1].boot, 0);
}
END_TEST

/* A restarted probe (a new boot id) is accepted at once, whatever its clock
 * within the skew; the old boot's reports are refused while they may be
 * fresh, and a boot replaced long ago may come back. */
START_TEST(test_verify_new_boot)
{
	struct report_peer peers[2];
	char why[256];
	struct signed_req r;
	struct sign_stamp st;
	size_t probe;

	memset(peers, 0, sizeof(peers));
	ck_assert_int_eq(take(peers, BOOT_A, 500, NOW, NOW, MONO), REPORT_OK);
	/* Restarted, with its clock 29 s behind: seq starts again at 1. */
	ck_assert_int_eq(take(peers, BOOT_B, 1, NOW - 29000, NOW + 500, MONO + 500), REPORT_OK);
	ck_assert_uint_eq(peers[0].boot, BOOT_B);
	ck_assert_uint_eq(peers[0].seq, 1);
	ck_assert_uint_eq(peers[0].retired[0], BOOT_A);
	/* A captured report of the old boot, replayed. */
	sign_as_seq(&r, 0, "POST", REPORTS, BOOT_A, 501, NOW, body_eu);
	ck_assert_int_eq(report_verify(cfg, "POST", REPORTS, &r.auth, body_eu, strlen(body_eu),
				       NOW + 1000, MONO + 1500, peers, &probe, &st, why,
				       sizeof(why)),
			 REPORT_REPLAY);
	ck_assert_str_eq(why, "probe probe-eu: boot 00000000000000a1 was replaced by a newer one "
			      "1s ago");
	/* Up to twice the skew after it was replaced. */
	ck_assert_int_eq(take(peers, BOOT_A, 502, NOW + 60000, NOW + 60000, MONO + 60500),
			 REPORT_REPLAY);
	ck_assert_int_eq(take(peers, BOOT_A, 503, NOW + 60001, NOW + 60001, MONO + 60501),
			 REPORT_OK);
	ck_assert_uint_eq(peers[0].boot, BOOT_A);
	/* Boots replaced in turn: the oldest slot is reused. */
	for (uint64_t b = 1; b <= REPORT_RETIRED_MAX + 1; b++)
		ck_assert_int_eq(take(peers, 0x1000 + b, 1, NOW, NOW, MONO + 70000 + b), REPORT_OK);
	for (uint64_t b = 1; b <= REPORT_RETIRED_MAX; b++)
		ck_assert_int_eq(take(peers, 0x1000 + b, 2, NOW, NOW, MONO + 70100), REPORT_REPLAY);
}
END_TEST

/* ---- report bodies ---- */

/* Results skipped by the last parse(), by reason. */
static uint64_t skipped[REPORT_SKIP_COUNT];

static enum report_verdict parse(size_t probe, const char *body, struct health_result **res,
				 size_t *count, char *why, size_t why_len)
{
	memset(skipped, 0, sizeof(skipped));
	return report_parse(cfg, probe, body, strlen(body), NULL, res, count, skipped, why,
			    why_len);
}

START_TEST(test_parse_valid)
{
	const char *body = "{\"probe\": \"probe-eu\", \"version\": 3, \"results\": ["
			   "{\"datacenter\": \"us-east\", \"ok\": true, \"rtt_ms\": 12.5, "
			   "\"status\": 200, \"error\": null, \"extra\": [1, {}]},"
			   "{\"datacenter\": \"eu-west\", \"ok\": false, \"rtt_ms\": null, "
			   "\"status\": 0, \"error\": \"connect timeout\"},"
			   "{\"datacenter\": \"static\", \"ok\": true},"
			   "{\"datacenter\": \"ap-south\", \"ok\": false, \"rtt_ms\": 600000, "
			   "\"status\": 999}]}";
	struct health_result *res = NULL;
	size_t count = 0;
	char why[256] = "x";

	ck_assert_int_eq(parse(0, body, &res, &count, why, sizeof(why)), REPORT_OK);
	ck_assert_str_eq(why, "");
	ck_assert_uint_eq(count, 4);
	ck_assert_uint_eq(res[0].dc, DC_US);
	ck_assert(res[0].ok);
	ck_assert(res[0].rtt_ms == 12.5);
	ck_assert_int_eq(res[0].status, 200);
	ck_assert_ptr_null(res[0].error);
	ck_assert_uint_eq(res[1].dc, DC_EU);
	ck_assert(!res[1].ok);
	ck_assert(res[1].rtt_ms == -1);
	ck_assert_int_eq(res[1].status, 0);
	ck_assert_str_eq(res[1].error, "connect timeout");
	/* Defaults of the optional members. */
	ck_assert_uint_eq(res[2].dc, DC_STATIC);
	ck_assert(res[2].rtt_ms == -1);
	ck_assert_int_eq(res[2].status, 0);
	ck_assert_ptr_null(res[2].error);
	ck_assert_uint_eq(res[3].dc, DC_AP);
	ck_assert(res[3].rtt_ms == 600000);
	ck_assert_int_eq(res[3].status, 999);
	report_results_free(res, count);

	/* No results at all; the other probe. */
	ck_assert_int_eq(
	    parse(1, "{\"results\":[],\"probe\":\"probe-us\"}", &res, &count, why, sizeof(why)),
	    REPORT_OK);
	ck_assert_uint_eq(count, 0);
	report_results_free(res, count);

	/* One result for every datacenter is the most there can be. */
	ck_assert_int_eq(parse(1,
			       "{\"probe\":\"probe-us\",\"results\":["
			       "{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":0},"
			       "{\"datacenter\":\"static\",\"ok\":true,\"rtt_ms\":3},"
			       "{\"datacenter\":\"ap-south\",\"ok\":true},"
			       "{\"datacenter\":\"eu-west\",\"ok\":true},"
			       "{\"datacenter\":\"us-east\",\"ok\":true}]}",
			       &res, &count, NULL, 0),
			 REPORT_OK);
	ck_assert_uint_eq(count, 5);
	ck_assert_uint_eq(res[0].dc, DC_CDN);
	ck_assert(res[0].rtt_ms == 0);
	ck_assert(res[1].rtt_ms == 3);
	ck_assert_uint_eq(res[4].dc, DC_US);
	report_results_free(res, count);
}
END_TEST

START_TEST(test_parse_error_truncated)
{
	char err[600], body[1200];
	struct health_result *res = NULL;
	size_t count = 0;

	/* 254 ASCII bytes then a 2-byte character: the cut at 255 bytes would
	 * split it, so it goes whole. */
	memset(err, 'a', 254);
	strcpy(err + 254, "\xc3\xa9tail");
	snprintf(body, sizeof(body),
		 "{\"probe\":\"probe-eu\",\"results\":[{\"datacenter\":\"us-east\",\"ok\":false,"
		 "\"error\":\"%s\"}]}",
		 err);
	ck_assert_int_eq(parse(0, body, &res, &count, NULL, 0), REPORT_OK);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(strlen(res[0].error), 254);
	ck_assert_int_eq(strncmp(res[0].error, err, 254), 0);
	report_results_free(res, count);

	/* Exactly 255 bytes are kept whole; 256 ASCII bytes lose the last. */
	memset(err, 'b', 256);
	err[256] = '\0';
	snprintf(body, sizeof(body),
		 "{\"probe\":\"probe-eu\",\"results\":[{\"datacenter\":\"us-east\",\"ok\":false,"
		 "\"error\":\"%.255s\"},{\"datacenter\":\"eu-west\",\"ok\":false,\"error\":\"%s\"},"
		 "{\"datacenter\":\"cdn\",\"ok\":false,\"error\":\"\"}]}",
		 err, err);
	ck_assert_int_eq(parse(0, body, &res, &count, NULL, 0), REPORT_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(strlen(res[0].error), 255);
	ck_assert_uint_eq(strlen(res[1].error), 255);
	ck_assert_int_eq(strncmp(res[1].error, err, 255), 0);
	ck_assert_str_eq(res[2].error, "");
	report_results_free(res, count);
}
END_TEST

START_TEST(test_parse_invalid)
{
	static const struct {
		const char *body;
		const char *why; /* expected start of the reason */
	} bad[] = {
	    {"", "probe probe-eu: invalid JSON at line 1 column 0"},
	    {"{\"probe\":\"probe-eu\",\"results\":[]", "probe probe-eu: invalid JSON"},
	    {"{\"probe\":\"probe-eu\",\"results\":[]} x", "probe probe-eu: invalid JSON"},
	    {"{\"probe\":\"probe-eu\",\"probe\":\"probe-eu\",\"results\":[]}",
	     "probe probe-eu: invalid JSON"},
	    {"\"probe-eu\"", "probe probe-eu: invalid JSON"},
	    {"[{\"probe\":\"probe-eu\",\"results\":[]}]",
	     "probe probe-eu: report is not a JSON object"},
	    {"{\"results\":[]}", "probe probe-eu: report has no \"probe\" string"},
	    {"{\"probe\":7,\"results\":[]}", "probe probe-eu: report has no \"probe\" string"},
	    {"{\"probe\":\"probe-us\",\"results\":[]}",
	     "probe probe-eu: report is signed by probe-eu but names probe 'probe-us'"},
	    {"{\"probe\":\"probe-eu\"}", "probe probe-eu: report has no \"results\" array"},
	    {"{\"probe\":\"probe-eu\",\"results\":{}}",
	     "probe probe-eu: report has no \"results\" array"},
	    /* A duplicate key inside a result is refused by the JSON parser. */
	    {"{\"probe\":\"probe-eu\",\"results\":[{\"datacenter\":\"us-east\",\"ok\":true,"
	     "\"ok\":false}]}",
	     "probe probe-eu: invalid JSON"},
	    /* NUL inside a string is not accepted. */
	    {"{\"probe\":\"probe-eu\",\"results\":[{\"datacenter\":\"us-east\\u0000x\","
	     "\"ok\":true}]}",
	     "probe probe-eu: invalid JSON"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct health_result *res = (struct health_result *)&res;
		size_t count = 42;
		char why[256] = "";

		ck_assert_msg(parse(0, bad[i].body, &res, &count, why, sizeof(why)) ==
				  REPORT_MALFORMED,
			      "accepted %s", bad[i].body);
		ck_assert_msg(strncmp(why, bad[i].why, strlen(bad[i].why)) == 0,
			      "%s: reason '%s', want '%s'", bad[i].body, why, bad[i].why);
		ck_assert_ptr_null(res);
		ck_assert_uint_eq(count, 0);
	}
}
END_TEST

/* A bad result is skipped and counted, the report and its other results
 * are applied: a reload that removed a datacenter does not blind failover
 * until the probes refetch their config. */
START_TEST(test_parse_skipped)
{
	static const struct {
		const char *result;   /* the bad result, between two good ones */
		enum report_skip why; /* counted as */
	} bad[] = {
	    {"1", REPORT_SKIP_INVALID},
	    {"{\"ok\":true}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":null,\"ok\":true}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"mars\",\"ok\":true}", REPORT_SKIP_UNKNOWN_DATACENTER},
	    {"{\"datacenter\":\"US-EAST\",\"ok\":true}", REPORT_SKIP_UNKNOWN_DATACENTER},
	    {"{\"datacenter\":\"us-east\",\"ok\":false}", REPORT_SKIP_DUPLICATE},
	    {"{\"datacenter\":\"cdn\"}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":1}", REPORT_SKIP_INVALID},
	    /* A negative rtt_ms, -1 included (not reached is null). */
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":-1.5}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":-1}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":-0.001}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":600000.5}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"rtt_ms\":\"12\"}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"status\":-1}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"status\":1000}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"status\":200.0}", REPORT_SKIP_INVALID},
	    {"{\"datacenter\":\"cdn\",\"ok\":true,\"error\":5}", REPORT_SKIP_INVALID},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct health_result *res = NULL;
		size_t count = 42;
		char body[512], why[256] = "x";

		snprintf(body, sizeof(body),
			 "{\"probe\":\"probe-eu\",\"results\":[{\"datacenter\":\"us-east\","
			 "\"ok\":true,\"rtt_ms\":3},%s,{\"datacenter\":\"eu-west\",\"ok\":false,"
			 "\"rtt_ms\":null}]}",
			 bad[i].result);
		ck_assert_msg(parse(0, body, &res, &count, why, sizeof(why)) == REPORT_OK,
			      "refused %s: %s", body, why);
		ck_assert_msg(count == 2, "%s: %zu results kept", body, count);
		ck_assert_uint_eq(res[0].dc, DC_US);
		ck_assert(res[0].rtt_ms == 3);
		ck_assert_uint_eq(res[1].dc, DC_EU);
		ck_assert(res[1].rtt_ms == -1);
		for (int k = 0; k < REPORT_SKIP_COUNT; k++)
			ck_assert_msg(skipped[k] == (k == (int)bad[i].why),
				      "%s: skipped[%s] = %llu", body, report_skip_name(k),
				      (unsigned long long)skipped[k]);
		report_results_free(res, count);
	}
	ck_assert_str_eq(report_skip_name(REPORT_SKIP_UNKNOWN_DATACENTER), "unknown_datacenter");
	ck_assert_str_eq(report_skip_name(REPORT_SKIP_DUPLICATE), "duplicate");
	ck_assert_str_eq(report_skip_name(REPORT_SKIP_INVALID), "invalid");
}
END_TEST

/* After a reload that removed datacenters, a probe still reports them (and
 * more results than there are datacenters now): the known ones count. */
START_TEST(test_parse_removed_datacenters)
{
	struct health_result *res = NULL;
	size_t count = 0;

	ck_assert_int_eq(parse(0,
			       "{\"probe\":\"probe-eu\",\"results\":["
			       "{\"datacenter\":\"old-1\",\"ok\":true},"
			       "{\"datacenter\":\"old-2\",\"ok\":true},"
			       "{\"datacenter\":\"old-3\",\"ok\":true},"
			       "{\"datacenter\":\"old-4\",\"ok\":true},"
			       "{\"datacenter\":\"old-5\",\"ok\":true},"
			       "{\"datacenter\":\"ap-south\",\"ok\":false},"
			       "{\"datacenter\":\"static\",\"ok\":true}]}",
			       &res, &count, NULL, 0),
			 REPORT_OK);
	ck_assert_uint_eq(count, 2);
	ck_assert_uint_eq(res[0].dc, DC_AP);
	ck_assert(!res[0].ok);
	ck_assert_uint_eq(res[1].dc, DC_STATIC);
	ck_assert_uint_eq(skipped[REPORT_SKIP_UNKNOWN_DATACENTER], 5);
	report_results_free(res, count);
}
END_TEST

START_TEST(test_parse_invalid_shown)
{
	/* A sender's strings are quoted printable and short in reasons: 64
	 * bytes at most, then "...". */
	char xs[101], body[300], want[256];
	struct health_result *res;
	size_t count;
	char why[256];

	memset(xs, 'x', 100);
	xs[100] = '\0';
	snprintf(body, sizeof(body), "{\"probe\":\"a\\nb\\u00e9%s\",\"results\":[]}", xs);
	snprintf(want, sizeof(want),
		 "probe probe-eu: report is signed by probe-eu but names probe 'a?b??%.59s...'",
		 xs);
	ck_assert_int_eq(parse(0, body, &res, &count, why, sizeof(why)), REPORT_MALFORMED);
	ck_assert_str_eq(why, want);
	/* A short why buffer is cut, not overrun. */
	why[5] = 'Z';
	ck_assert_int_eq(parse(0, body, &res, &count, why, 5), REPORT_MALFORMED);
	ck_assert_str_eq(why, "prob");
	ck_assert_int_eq(why[5], 'Z');
}
END_TEST

/* ---- probe configuration ---- */

static json_t *find_check(json_t *checks, const char *dc)
{
	size_t i;
	json_t *c;

	json_array_foreach(checks, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "datacenter")), dc) == 0)
			return c;
	}
	return NULL;
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_int_t int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

START_TEST(test_probe_config)
{
	char etag[64];
	char *text = report_probe_config(cfg, etag);
	json_error_t jerr;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *checks, *c, *codes;

	ck_assert_msg(root != NULL, "%s", jerr.text);
	ck_assert_uint_eq(json_object_size(root), 2);
	ck_assert_int_eq(int_of(root, "interval_ms"), 1000);
	checks = json_object_get(root, "checks");
	ck_assert(json_is_array(checks));
	/* cdn (CNAME without check_address) and static (no check) are left out. */
	ck_assert_uint_eq(json_array_size(checks), 3);
	ck_assert_ptr_null(find_check(checks, "cdn"));
	ck_assert_ptr_null(find_check(checks, "static"));

	c = find_check(checks, "us-east");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(str_of(c, "type"), "http");
	ck_assert_str_eq(str_of(c, "address"), "192.0.2.10");
	ck_assert_int_eq(int_of(c, "port"), 80);
	ck_assert_str_eq(str_of(c, "path"), "/healthz");
	ck_assert_str_eq(str_of(c, "host"), "www.example.com");
	ck_assert_str_eq(str_of(c, "expect_body"), "ok");
	ck_assert(json_is_true(json_object_get(c, "tls_verify")));
	ck_assert_int_eq(int_of(c, "interval_ms"), 2000);
	ck_assert_int_eq(int_of(c, "timeout_ms"), 1000);
	codes = json_object_get(c, "expect_status");
	ck_assert_uint_eq(json_array_size(codes), 2);
	ck_assert_int_eq(json_integer_value(json_array_get(codes, 0)), 200);
	ck_assert_int_eq(json_integer_value(json_array_get(codes, 1)), 204);

	/* TCP: only what a connect needs; IPv6-only datacenter. */
	ck_assert_ptr_nonnull(strstr(text,
				     "{\"address\":\"2001:db8::20\",\"datacenter\":\"eu-west\","
				     "\"interval_ms\":1000,\"port\":22,\"timeout_ms\":500,"
				     "\"type\":\"tcp\"}"));

	/* check_address and its port win; the default status list is written out. */
	c = find_check(checks, "ap-south");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(str_of(c, "type"), "https");
	ck_assert_str_eq(str_of(c, "address"), "127.0.0.1");
	ck_assert_int_eq(int_of(c, "port"), 8081);
	ck_assert_str_eq(str_of(c, "path"), "/");
	ck_assert_ptr_null(json_object_get(c, "host"));
	ck_assert_ptr_null(json_object_get(c, "expect_body"));
	ck_assert(json_is_false(json_object_get(c, "tls_verify")));
	/* Consecutive codes travel as one range. */
	codes = json_object_get(c, "expect_status");
	ck_assert_uint_eq(json_array_size(codes), 1);
	ck_assert_str_eq(json_string_value(json_array_get(codes, 0)), "200-399");
	json_decref(root);
	free(text);
}
END_TEST

START_TEST(test_probe_config_addresses)
{
	struct config_datacenter *cdn = &cfg->datacenters[DC_CDN];
	struct config_datacenter *ap = &cfg->datacenters[DC_AP];
	char etag[64];
	char *text;
	json_t *root, *checks, *c;

	cdn->check_address = xstrdup("[2001:db8::99]:8443");
	free(ap->check_address);
	ap->check_address = xstrdup("127.0.0.2"); /* no port: the check's */
	text = report_probe_config(cfg, etag);
	root = json_loads(text, 0, NULL);
	checks = json_object_get(root, "checks");
	ck_assert_uint_eq(json_array_size(checks), 4);
	c = find_check(checks, "cdn");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(str_of(c, "address"), "2001:db8::99");
	ck_assert_int_eq(int_of(c, "port"), 8443);
	c = find_check(checks, "ap-south");
	ck_assert_str_eq(str_of(c, "address"), "127.0.0.2");
	ck_assert_int_eq(int_of(c, "port"), 443);
	json_decref(root);
	free(text);

	/* No check at all: an empty list and the default cycle. */
	for (size_t i = 0; i < cfg->datacenter_count; i++)
		cfg->datacenters[i].check = -1;
	text = report_probe_config(cfg, etag);
	ck_assert_str_eq(text, "{\"checks\":[],\"interval_ms\":2000}");
	free(text);
}
END_TEST

/* "rtt" is written only for first_byte checks; the default (connect) is
 * left out, so configs without it keep their text and tag. */
START_TEST(test_probe_config_rtt)
{
	char etag1[64], etag2[64];
	char *t1 = report_probe_config(cfg, etag1), *t2;
	json_t *root, *checks;

	ck_assert_ptr_null(strstr(t1, "\"rtt\""));
	cfg->checks[CK_HTTP].rtt_first_byte = true;
	t2 = report_probe_config(cfg, etag2);
	ck_assert_str_ne(etag1, etag2);
	root = json_loads(t2, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(root);
	checks = json_object_get(root, "checks");
	ck_assert_str_eq(str_of(find_check(checks, "us-east"), "rtt"), "first_byte");
	ck_assert_ptr_null(json_object_get(find_check(checks, "ap-south"), "rtt"));
	ck_assert_ptr_null(json_object_get(find_check(checks, "eu-west"), "rtt"));
	json_decref(root);
	free(t1);
	free(t2);
}
END_TEST

/* Loads in reports: a number kept; a malformed one ignored with a reason,
 * the rest of the result (and the report) accepted. */
START_TEST(test_parse_load)
{
	const char *body = "{\"probe\": \"probe-eu\", \"results\": ["
			   "{\"datacenter\": \"us-east\", \"ok\": true, \"load\": 61.5},"
			   "{\"datacenter\": \"eu-west\", \"ok\": true, \"load\": null, "
			   "\"load_error\": \"no X-Load header\"},"
			   "{\"datacenter\": \"static\", \"ok\": true, \"load\": \"high\"},"
			   "{\"datacenter\": \"ap-south\", \"ok\": false, \"load\": -4}]}";
	struct health_result *res = NULL;
	size_t count = 0;
	char why[256] = "x";

	ck_assert_int_eq(parse(0, body, &res, &count, why, sizeof(why)), REPORT_OK);
	ck_assert_uint_eq(count, 4);
	ck_assert(res[0].has_load);
	ck_assert(res[0].load == 61.5);
	ck_assert_ptr_null(res[0].load_error);
	ck_assert(!res[1].has_load);
	ck_assert_str_eq(res[1].load_error, "no X-Load header");
	ck_assert(!res[2].has_load);
	ck_assert(res[2].ok);
	ck_assert_str_eq(res[2].load_error, "malformed load in report");
	ck_assert(!res[3].has_load);
	ck_assert(!res[3].ok);
	ck_assert_str_eq(res[3].load_error, "malformed load in report");
	report_results_free(res, count);
}
END_TEST

/* A check's load source reaches the probes. */
START_TEST(test_probe_config_load)
{
	char etag[64];
	char *text;
	json_t *root, *checks;

	cfg->checks[CK_HTTP].load_source = CHECK_LOAD_JSON;
	cfg->checks[CK_HTTP].load_name = xstrdup("stats.load");
	text = report_probe_config(cfg, etag);
	root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(root);
	checks = json_object_get(root, "checks");
	ck_assert_str_eq(str_of(find_check(checks, "us-east"), "load_source"), "json");
	ck_assert_str_eq(str_of(find_check(checks, "us-east"), "load_name"), "stats.load");
	ck_assert_ptr_null(json_object_get(find_check(checks, "ap-south"), "load_source"));
	json_decref(root);
	free(text);
}
END_TEST

START_TEST(test_probe_config_etag)
{
	char etag1[64], etag2[64], etag3[64], hex[33];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	char *t1 = report_probe_config(cfg, etag1);
	char *t2 = report_probe_config(cfg, etag2);
	char *t3;

	/* Same config, same text and tag. */
	ck_assert_str_eq(t1, t2);
	ck_assert_str_eq(etag1, etag2);
	/* The tag is the first 128 bits of SHA-256 of the text, quoted. */
	ck_assert_uint_eq(strlen(etag1), 34);
	ck_assert_int_eq(EVP_Digest(t1, strlen(t1), md, &md_len, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_int_eq(etag1[0], '"');
	ck_assert_int_eq(etag1[33], '"');
	ck_assert_int_eq(strncmp(etag1 + 1, hex, 32), 0);

	/* Any change to a check changes the tag. */
	cfg->checks[CK_TCP].timeout_ms = 600;
	t3 = report_probe_config(cfg, etag3);
	ck_assert_str_ne(t1, t3);
	ck_assert_str_ne(etag1, etag3);
	free(t3);
	cfg->checks[CK_TCP].timeout_ms = 500;
	t3 = report_probe_config(cfg, etag3);
	ck_assert_str_eq(etag1, etag3);
	free(t3);
	free(cfg->checks[CK_HTTP].expect_body);
	cfg->checks[CK_HTTP].expect_body = xstrdup("OK");
	t3 = report_probe_config(cfg, etag3);
	ck_assert_str_ne(etag1, etag3);
	free(t3);
	free(t1);
	free(t2);
}
END_TEST

/* What gslbd serves, the probe's reader (check_spec_from_json()) takes,
 * for every host form the loader accepts: host:port, [v6]:port, a bare
 * IPv6 literal; and the longest load header name. */
START_TEST(test_probe_config_codec)
{
	static const char *const hosts[][2] = {
	    {"www.example.com:8080", "www.example.com:8080"},
	    {"[2001:db8::1]:8443", "[2001:db8::1]:8443"},
	    {"2001:db8::1", "[2001:db8::1]"},
	    {"192.0.2.1:81", "192.0.2.1:81"},
	};
	char name[256];

	memset(name, 'h', 255);
	name[255] = '\0';
	cfg->checks[CK_HTTP].load_source = CHECK_LOAD_HEADER;
	cfg->checks[CK_HTTP].load_name = xstrdup(name);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char etag[64], *text;
		json_t *root, *checks, *c;
		size_t k;

		free(cfg->checks[CK_HTTP].host);
		cfg->checks[CK_HTTP].host = xstrdup(hosts[i][0]);
		text = report_probe_config(cfg, etag);
		root = json_loads(text, 0, NULL);
		checks = json_object_get(root, "checks");
		ck_assert_uint_eq(json_array_size(checks), 3);
		json_array_foreach(checks, k, c)
		{
			struct check_spec spec;
			struct gslb_err err = {{0}};

			ck_assert_msg(check_spec_from_json(c, "checks[0]", &spec, &err) == 0,
				      "%s: %s", text, err.msg);
			if (strcmp(spec.datacenter, "us-east") == 0) {
				char host[300];

				check_spec_host_format(&spec, host, sizeof(host));
				ck_assert_str_eq(host, hosts[i][1]);
				ck_assert_str_eq(spec.load_name, name);
			}
			check_spec_fini(&spec);
		}
		json_decref(root);
		free(text);
	}
}
END_TEST

/* The probe config's answer is signed for the asking probe and request:
 * the body, status, generation, server boot and time, the request's boot
 * id and seq are all covered. */
START_TEST(test_probe_config_sign)
{
	char etag[64];
	char *text = report_probe_config(cfg, etag);
	struct sign_stamp req = {BOOT_A, 42, NOW};
	struct sign_answer an = {200, BOOT_B, 3, NOW + 5};
	struct report_config_sig sig;
	const struct config_probe *p = &cfg->probes[1];
	size_t len = strlen(text);

	report_probe_config_sign(cfg, 1, &req, &an, text, len, &sig);
	ck_assert_str_eq(sig.boot, "b2b2b2b2b2b2b2b2");
	ck_assert_str_eq(sig.generation, "3");
	ck_assert_str_eq(sig.timestamp, "1700000000005");
	ck_assert(sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					  text, len, sig.signature));
	/* Another probe's key, request, status, generation, time or body. */
	ck_assert(!sign_probe_answer_check(cfg->probes[0].secret, cfg->probes[0].secret_len,
					   "/v1/probe-config", &req, &an, text, len,
					   sig.signature));
	req.seq = 41;
	ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					   text, len, sig.signature));
	req.seq = 42;
	an.generation = 4;
	ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					   text, len, sig.signature));
	an.generation = 3;
	an.status = 304;
	ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					   text, len, sig.signature));
	an.status = 200;
	an.ts_ms++;
	ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					   text, len, sig.signature));
	an.ts_ms--;
	text[strstr(text, "192.0.2.10") - text + 9] = '1';
	ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config", &req, &an,
					   text, len, sig.signature));
	/* A request signature is not an answer signature. */
	{
		char rsig[SIGN_HEX_LEN + 1];

		sign_probe_request(p->secret, p->secret_len, "GET", "/v1/probe-config", &req, "", 0,
				   rsig);
		ck_assert(!sign_probe_answer_check(p->secret, p->secret_len, "/v1/probe-config",
						   &req, &an, "", 0, rsig));
	}
	free(text);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sign_known_answer);
	tcase_add_test(tc, test_sign_check_valid);
	tcase_add_test(tc, test_verdict_names);
	tcase_add_test(tc, test_verify_valid);
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_load);
	tcase_add_test(tc, test_parse_error_truncated);
	tcase_add_test(tc, test_probe_config);
	tcase_add_test(tc, test_probe_config_addresses);
	tcase_add_test(tc, test_probe_config_etag);
	tcase_add_test(tc, test_probe_config_rtt);
	tcase_add_test(tc, test_probe_config_load);
	tcase_add_test(tc, test_probe_config_sign);
	tcase_add_test(tc, test_probe_config_codec);
	tcase_add_test(tc, test_verify_clock_step);
	tcase_add_test(tc, test_verify_new_boot);
	tcase_add_test(tc, test_parse_removed_datacenters);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sign_check_invalid);
	tcase_add_test(tc, test_verify_too_large);
	tcase_add_test(tc, test_verify_no_auth);
	tcase_add_test(tc, test_verify_unknown_key);
	tcase_add_test(tc, test_verify_bad_signature);
	tcase_add_test(tc, test_verify_skew);
	tcase_add_test(tc, test_verify_replay);
	tcase_add_test(tc, test_parse_invalid);
	tcase_add_test(tc, test_parse_invalid_shown);
	tcase_add_test(tc, test_parse_skipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

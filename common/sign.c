#include <config.h>

#include "common/sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#else
#include <openssl/hmac.h>
#endif

#include "common/log.h"

#define SIGN_MAC_LEN 32 /* bytes of an HMAC-SHA256 */

/* libcrypto fails here only when it cannot allocate (HMAC-SHA256 is in
 * every provider), which we treat like xmalloc() does. */
static void crypto_fail(const char *what)
{
	log_err("libcrypto: %s failed", what);
	abort();
}

/* mac = HMAC-SHA256(key, the count parts concatenated). */
static void mac_parts(const uint8_t *key, size_t key_len, const void *const *parts,
		      const size_t *lens, size_t count, uint8_t mac[SIGN_MAC_LEN])
{
	static const uint8_t empty_key[1];

	/* A zero-length key is legal HMAC but some providers want a pointer. */
	if (key_len == 0)
		key = empty_key;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t out_len = 0;

	if (m == NULL)
		crypto_fail("EVP_MAC_fetch(HMAC)");
	ctx = EVP_MAC_CTX_new(m);
	if (ctx == NULL)
		crypto_fail("EVP_MAC_CTX_new");
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		crypto_fail("EVP_MAC_init");
	for (size_t i = 0; i < count; i++)
		if (lens[i] > 0 && EVP_MAC_update(ctx, parts[i], lens[i]) != 1)
			crypto_fail("EVP_MAC_update");
	if (EVP_MAC_final(ctx, mac, &out_len, SIGN_MAC_LEN) != 1 || out_len != SIGN_MAC_LEN)
		crypto_fail("EVP_MAC_final");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
#else
	HMAC_CTX *ctx = HMAC_CTX_new();
	unsigned out_len = 0;

	if (ctx == NULL)
		crypto_fail("HMAC_CTX_new");
	if (HMAC_Init_ex(ctx, key, (int)key_len, EVP_sha256(), NULL) != 1)
		crypto_fail("HMAC_Init_ex");
	for (size_t i = 0; i < count; i++)
		if (lens[i] > 0 && HMAC_Update(ctx, parts[i], lens[i]) != 1)
			crypto_fail("HMAC_Update");
	if (HMAC_Final(ctx, mac, &out_len) != 1 || out_len != SIGN_MAC_LEN)
		crypto_fail("HMAC_Final");
	HMAC_CTX_free(ctx);
#endif
}

/* mac = HMAC-SHA256(key, method "\n" path "\n" decimal(ts_ms) "\n" body). */
static void sign_mac(const uint8_t *key, size_t key_len, const char *method, const char *path,
		     uint64_t ts_ms, const void *body, size_t body_len, uint8_t mac[SIGN_MAC_LEN])
{
	char ts[24];
	int ts_len = snprintf(ts, sizeof(ts), "%" PRIu64, ts_ms);
	const void *parts[] = {method, "\n", path, "\n", ts, "\n", body};
	size_t lens[] = {strlen(method), 1, strlen(path), 1, (size_t)ts_len, 1, body_len};

	mac_parts(key, key_len, parts, lens, sizeof(parts) / sizeof(parts[0]), mac);
}

/* The lines of the probe protocol's signed texts: "tag\n" then each field
 * and "\n", then the body. */
struct lines {
	const void *parts[24]; /* the pieces */
	size_t lens[24];       /* their lengths */
	size_t count;          /* pieces so far */
	char nums[10][24];     /* room for formatted numbers */
	size_t num_count;      /* numbers so far */
};

static void lines_add(struct lines *l, const char *s)
{
	l->parts[l->count] = s;
	l->lens[l->count++] = strlen(s);
	l->parts[l->count] = "\n";
	l->lens[l->count++] = 1;
}

static void lines_dec(struct lines *l, uint64_t v)
{
	char *buf = l->nums[l->num_count++];

	snprintf(buf, 24, "%" PRIu64, v);
	lines_add(l, buf);
}

static void lines_hex(struct lines *l, uint64_t v)
{
	char *buf = l->nums[l->num_count++];

	sign_boot_format(v, buf);
	lines_add(l, buf);
}

static void lines_mac(struct lines *l, const uint8_t *key, size_t key_len, const void *body,
		      size_t body_len, uint8_t mac[SIGN_MAC_LEN])
{
	l->parts[l->count] = body != NULL ? body : "";
	l->lens[l->count++] = body != NULL ? body_len : 0;
	mac_parts(key, key_len, l->parts, l->lens, l->count, mac);
}

static void probe_request_mac(const uint8_t *key, size_t key_len, const char *method,
			      const char *path, const struct sign_stamp *st, const void *body,
			      size_t body_len, uint8_t mac[SIGN_MAC_LEN])
{
	struct lines l = {.count = 0};

	lines_add(&l, "gslb-probe-2 request");
	lines_add(&l, method);
	lines_add(&l, path);
	lines_hex(&l, st->boot);
	lines_dec(&l, st->seq);
	lines_dec(&l, st->ts_ms);
	lines_mac(&l, key, key_len, body, body_len, mac);
}

static void probe_answer_mac(const uint8_t *key, size_t key_len, const char *path,
			     const struct sign_stamp *req, const struct sign_answer *an,
			     const void *body, size_t body_len, uint8_t mac[SIGN_MAC_LEN])
{
	struct lines l = {.count = 0};

	lines_add(&l, "gslb-probe-2 answer");
	lines_add(&l, path);
	lines_hex(&l, req->boot);
	lines_dec(&l, req->seq);
	lines_dec(&l, an->status >= 0 ? (uint64_t)an->status : 0);
	lines_hex(&l, an->boot);
	lines_dec(&l, an->generation);
	lines_dec(&l, an->ts_ms);
	lines_mac(&l, key, key_len, body, body_len, mac);
}

static void mac_hex(uint8_t mac[SIGN_MAC_LEN], char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < SIGN_MAC_LEN; i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 0xf];
	}
	out[SIGN_HEX_LEN] = '\0';
	OPENSSL_cleanse(mac, SIGN_MAC_LEN);
}

/* Does hex match want? Constant time in the content; wipes want. */
static bool mac_same(uint8_t want[SIGN_MAC_LEN], const char *hex)
{
	uint8_t got[SIGN_MAC_LEN];
	bool same;

	same = hex != NULL && sign_hex_decode(hex, got, SIGN_MAC_LEN) &&
	       CRYPTO_memcmp(want, got, SIGN_MAC_LEN) == 0;
	OPENSSL_cleanse(want, SIGN_MAC_LEN);
	return same;
}

void sign_request(const uint8_t *key, size_t key_len, const char *method, const char *path,
		  uint64_t ts_ms, const void *body, size_t body_len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t mac[SIGN_MAC_LEN];

	sign_mac(key, key_len, method, path, ts_ms, body, body_len, mac);
	for (size_t i = 0; i < SIGN_MAC_LEN; i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 0xf];
	}
	out[SIGN_HEX_LEN] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool sign_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]);
		int lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * len] == '\0';
}

bool sign_check(const uint8_t *key, size_t key_len, const char *method, const char *path,
		uint64_t ts_ms, const void *body, size_t body_len, const char *hex)
{
	uint8_t want[SIGN_MAC_LEN], got[SIGN_MAC_LEN];
	bool same;

	/* The shape of hex is not secret: reject bad lengths and digits early. */
	if (hex == NULL || !sign_hex_decode(hex, got, SIGN_MAC_LEN))
		return false;
	sign_mac(key, key_len, method, path, ts_ms, body, body_len, want);
	same = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return same;
}

uint64_t sign_boot_new(void)
{
	uint64_t boot = 0;

	while (boot == 0)
		if (RAND_bytes((unsigned char *)&boot, sizeof(boot)) != 1)
			crypto_fail("RAND_bytes");
	return boot;
}

void sign_boot_format(uint64_t boot, char out[SIGN_BOOT_HEX_LEN + 1])
{
	snprintf(out, SIGN_BOOT_HEX_LEN + 1, "%016" PRIx64, boot);
}

bool sign_boot_parse(const char *s, uint64_t *boot)
{
	uint8_t b[SIGN_BOOT_HEX_LEN / 2];
	uint64_t v = 0;

	if (s == NULL || !sign_hex_decode(s, b, sizeof(b)))
		return false;
	for (size_t i = 0; i < sizeof(b); i++)
		v = v << 8 | b[i];
	*boot = v;
	return v != 0;
}

bool sign_u64_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || i >= 20 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return i > 0;
}

void sign_probe_request(const uint8_t *key, size_t key_len, const char *method, const char *path,
			const struct sign_stamp *st, const void *body, size_t body_len, char *out)
{
	uint8_t mac[SIGN_MAC_LEN];

	probe_request_mac(key, key_len, method, path, st, body, body_len, mac);
	mac_hex(mac, out);
}

bool sign_probe_request_check(const uint8_t *key, size_t key_len, const char *method,
			      const char *path, const struct sign_stamp *st, const void *body,
			      size_t body_len, const char *hex)
{
	uint8_t want[SIGN_MAC_LEN];

	probe_request_mac(key, key_len, method, path, st, body, body_len, want);
	return mac_same(want, hex);
}

void sign_probe_answer(const uint8_t *key, size_t key_len, const char *path,
		       const struct sign_stamp *req, const struct sign_answer *an, const void *body,
		       size_t body_len, char *out)
{
	uint8_t mac[SIGN_MAC_LEN];

	probe_answer_mac(key, key_len, path, req, an, body, body_len, mac);
	mac_hex(mac, out);
}

bool sign_probe_answer_check(const uint8_t *key, size_t key_len, const char *path,
			     const struct sign_stamp *req, const struct sign_answer *an,
			     const void *body, size_t body_len, const char *hex)
{
	uint8_t want[SIGN_MAC_LEN];

	probe_answer_mac(key, key_len, path, req, an, body, body_len, want);
	return mac_same(want, hex);
}

#include <config.h>

#include "common/sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
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

/* mac = HMAC-SHA256(key, method "\n" path "\n" decimal(ts_ms) "\n" body),
 * fed part by part. */
static void sign_mac(const uint8_t *key, size_t key_len, const char *method, const char *path,
		     uint64_t ts_ms, const void *body, size_t body_len, uint8_t mac[SIGN_MAC_LEN])
{
	char ts[24];
	int ts_len = snprintf(ts, sizeof(ts), "%" PRIu64, ts_ms);
	const void *parts[] = {method, "\n", path, "\n", ts, "\n", body};
	size_t lens[] = {strlen(method), 1, strlen(path), 1, (size_t)ts_len, 1, body_len};
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
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
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
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (lens[i] > 0 && HMAC_Update(ctx, parts[i], lens[i]) != 1)
			crypto_fail("HMAC_Update");
	if (HMAC_Final(ctx, mac, &out_len) != 1 || out_len != SIGN_MAC_LEN)
		crypto_fail("HMAC_Final");
	HMAC_CTX_free(ctx);
#endif
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

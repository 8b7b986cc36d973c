#include <config.h>

#include "gslbd/dns/cookie.h"

#include <string.h>

#include "common/siphash.h"

/* Client Cookie | Version | Reserved | Timestamp | Client IP. */
#define HASH_INPUT_MAX (COOKIE_CLIENT_LEN + 8 + 16)

/* The 8-byte hash over the client cookie, the first 8 bytes of the server
 * cookie (version, reserved, timestamp) as given, and the address. */
static void cookie_hash(const uint8_t secret[COOKIE_SECRET_LEN], const uint8_t cc[COOKIE_CLIENT_LEN],
			const uint8_t head[8], const uint8_t *addr, size_t addr_len, uint8_t out[8])
{
	uint8_t in[HASH_INPUT_MAX];

	memcpy(in, cc, COOKIE_CLIENT_LEN);
	memcpy(in + COOKIE_CLIENT_LEN, head, 8);
	memcpy(in + COOKIE_CLIENT_LEN + 8, addr, addr_len);
	siphash24(secret, in, COOKIE_CLIENT_LEN + 8 + addr_len, out);
}

void cookie_server_make(const uint8_t secret[COOKIE_SECRET_LEN], const uint8_t cc[COOKIE_CLIENT_LEN],
			const uint8_t *addr, size_t addr_len, uint32_t now,
			uint8_t out[COOKIE_SERVER_LEN])
{
	out[0] = 1; /* version */
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(now >> 24);
	out[5] = (uint8_t)(now >> 16);
	out[6] = (uint8_t)(now >> 8);
	out[7] = (uint8_t)now;
	cookie_hash(secret, cc, out, addr, addr_len, out + 8);
}

/* Constant-time comparison of 8 bytes. */
static bool same8(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;

	for (int i = 0; i < 8; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

enum cookie_verdict cookie_check(const uint8_t current[COOKIE_SECRET_LEN],
				 const uint8_t *previous, const uint8_t cc[COOKIE_CLIENT_LEN],
				 const uint8_t *sc,
				 size_t sc_len, const uint8_t *addr, size_t addr_len, uint32_t now,
				 bool *renew)
{
	uint8_t h[8];
	uint32_t ts;
	int32_t age;

	*renew = false;
	if (sc_len == 0)
		return COOKIE_CLIENT_ONLY;
	if (sc_len != COOKIE_SERVER_LEN || sc[0] != 1)
		return COOKIE_INVALID;
	ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 | (uint32_t)sc[6] << 8 | sc[7];
	/* Serial number arithmetic (RFC 1982): the stamp is at most 2^31 s away. */
	age = (int32_t)(now - ts);
	if (age > COOKIE_MAX_AGE || age < -COOKIE_MAX_AHEAD)
		return COOKIE_INVALID;
	cookie_hash(current, cc, sc, addr, addr_len, h);
	if (!same8(h, sc + 8)) {
		if (previous == NULL)
			return COOKIE_INVALID;
		cookie_hash(previous, cc, sc, addr, addr_len, h);
		if (!same8(h, sc + 8))
			return COOKIE_INVALID;
		*renew = true; /* made with the previous secret: hand out a current one */
	}
	if (age >= COOKIE_RENEW_AGE)
		*renew = true;
	return COOKIE_VALID;
}

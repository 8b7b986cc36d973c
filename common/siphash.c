#include <config.h>

#include "common/siphash.h"

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

#define SIPROUND                                                                           \
	do {                                                                               \
		v0 += v1;                                                                  \
		v1 = rotl(v1, 13);                                                         \
		v1 ^= v0;                                                                  \
		v0 = rotl(v0, 32);                                                         \
		v2 += v3;                                                                  \
		v3 = rotl(v3, 16);                                                         \
		v3 ^= v2;                                                                  \
		v0 += v3;                                                                  \
		v3 = rotl(v3, 21);                                                         \
		v3 ^= v0;                                                                  \
		v2 += v1;                                                                  \
		v1 = rotl(v1, 17);                                                         \
		v1 ^= v2;                                                                  \
		v2 = rotl(v2, 32);                                                         \
	} while (0)

void siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len, uint8_t out[8])
{
	const uint8_t *p = in;
	uint64_t k0 = get_le64(key), k1 = get_le64(key + 8);
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7;
	const uint8_t *end = p + (len - left);

	for (; p != end; p += 8) {
		m = get_le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	b = v0 ^ v1 ^ v2 ^ v3;
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(b >> (8 * i));
}

/* Small hash helpers shared by modules. Pure functions, any thread. */
#ifndef GSLBD_COMMON_HASH_H
#define GSLBD_COMMON_HASH_H

#include <stdint.h>

/* splitmix64's finaliser: a bijective 64-bit mixer with full avalanche. */
static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

#endif

/* SipHash-2-4 (Aumasson and Bernstein), the keyed 64-bit hash that DNS
 * server cookies use (RFC 9018). Pure function, any thread. */
#ifndef GSLBD_COMMON_SIPHASH_H
#define GSLBD_COMMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a SipHash key. */
#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of the len bytes at in under key; the 8 output bytes go to out
 * in the reference implementation's (little-endian) byte order. */
void siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len, uint8_t out[8]);

#endif

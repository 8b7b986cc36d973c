/* SHA-1 (FIPS 180-4), for NSEC3 owner hashes (RFC 5155), which the query
 * path computes for negative answers: no allocation, no library lookup.
 * Not for anything that needs collision resistance. */
#ifndef GSLBD_COMMON_SHA1_H
#define GSLBD_COMMON_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20

struct sha1 {
	uint32_t h[5];
	uint64_t len;      /* bytes hashed */
	uint8_t buf[64];   /* pending block */
	size_t fill;       /* bytes at buf */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN]);

#endif

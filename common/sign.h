/* Request signatures shared by gslbd and gslb-probe: HMAC-SHA256 under a
 * probe's secret over the method, path, timestamp and body, so that a report
 * cannot be forged, altered or moved to another endpoint, and (with the
 * receiver's timestamp checks) not replayed. Any thread; no allocation.
 *
 * Headers carrying it: X-GSLB-Key (probe id), X-GSLB-Timestamp (Unix time in
 * milliseconds, decimal), X-GSLB-Signature (lower-case hex). */
#ifndef GSLBD_COMMON_SIGN_H
#define GSLBD_COMMON_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_HEX_LEN 64 /* hex digits of a signature */

#define SIGN_HEADER_KEY "X-GSLB-Key"
#define SIGN_HEADER_TIMESTAMP "X-GSLB-Timestamp"
#define SIGN_HEADER_SIGNATURE "X-GSLB-Signature"

/* out (SIGN_HEX_LEN + 1 bytes) = hex(HMAC-SHA256(key, method "\n" path "\n"
 * decimal(ts_ms) "\n" body)). */
void sign_request(const uint8_t *key, size_t key_len, const char *method, const char *path,
		  uint64_t ts_ms, const void *body, size_t body_len, char *out);

/* Exactly 2 x len hex digits (either case) at hex into len bytes at out.
 * Returns false (out partly written) for anything else. */
bool sign_hex_decode(const char *hex, uint8_t *out, size_t len);

/* Does hex match the signature of the request? Constant time in the
 * signature's content. */
bool sign_check(const uint8_t *key, size_t key_len, const char *method, const char *path,
		uint64_t ts_ms, const void *body, size_t body_len, const char *hex);

#endif

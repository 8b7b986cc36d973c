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

/* ---- the probe protocol (version 2, common/probe_proto.h) ----------------
 * A probe process picks a random boot id when it starts and numbers its
 * requests 1, 2, 3...; gslbd accepts a report when (boot id, seq) is new
 * for that probe, so replay protection does not depend on clocks. The
 * timestamp is only a freshness check. gslbd signs its answer to a signed
 * request (the probe config) under the same key, bound to that request's
 * boot id and seq, so that an old answer cannot be replayed to a new
 * request. */

#define SIGN_HEADER_BOOT "X-GSLB-Boot"             /* 16 lower-case hex digits, not all 0 */
#define SIGN_HEADER_SEQ "X-GSLB-Seq"               /* decimal, 1.. */
#define SIGN_HEADER_GENERATION "X-GSLB-Generation" /* answers: decimal */
#define SIGN_BOOT_HEX_LEN 16                       /* hex digits of a boot id */

/* Who sent a request, and when, as signed. */
struct sign_stamp {
	uint64_t boot;  /* the sender's boot id (random, not 0) */
	uint64_t seq;   /* its request number, from 1, increasing */
	uint64_t ts_ms; /* its wall clock, Unix ms */
};

/* What an answer to a signed request carries, as signed. */
struct sign_answer {
	int status;          /* HTTP status (200, 304) */
	uint64_t boot;       /* the server's boot id */
	uint64_t generation; /* the server's config generation (per boot, increasing) */
	uint64_t ts_ms;      /* the server's wall clock, Unix ms */
};

/* A fresh random boot id (never 0). Aborts if the system has no randomness. */
uint64_t sign_boot_new(void);
/* boot as SIGN_BOOT_HEX_LEN lower-case hex digits and a NUL into out. */
void sign_boot_format(uint64_t boot, char out[SIGN_BOOT_HEX_LEN + 1]);
/* Exactly SIGN_BOOT_HEX_LEN hex digits, not all zero. */
bool sign_boot_parse(const char *s, uint64_t *boot);
/* Decimal without sign, spaces or leading zeros, that fits in 64 bits. */
bool sign_u64_parse(const char *s, uint64_t *out);

/* out (SIGN_HEX_LEN + 1 bytes) = hex(HMAC-SHA256(key, "gslb-probe-2 request\n"
 * method "\n" path "\n" hex(boot) "\n" decimal(seq) "\n" decimal(ts_ms) "\n"
 * body)). */
void sign_probe_request(const uint8_t *key, size_t key_len, const char *method, const char *path,
			const struct sign_stamp *st, const void *body, size_t body_len, char *out);
bool sign_probe_request_check(const uint8_t *key, size_t key_len, const char *method,
			      const char *path, const struct sign_stamp *st, const void *body,
			      size_t body_len, const char *hex);

/* out = hex(HMAC-SHA256(key, "gslb-probe-2 answer\n" path "\n" hex(req->boot)
 * "\n" decimal(req->seq) "\n" decimal(status) "\n" hex(boot) "\n"
 * decimal(generation) "\n" decimal(ts_ms) "\n" body)): the answer an to the
 * request req for path. */
void sign_probe_answer(const uint8_t *key, size_t key_len, const char *path,
		       const struct sign_stamp *req, const struct sign_answer *an, const void *body,
		       size_t body_len, char *out);
bool sign_probe_answer_check(const uint8_t *key, size_t key_len, const char *path,
			     const struct sign_stamp *req, const struct sign_answer *an,
			     const void *body, size_t body_len, const char *hex);

#endif

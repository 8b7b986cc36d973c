/* Transaction signatures (TSIG, RFC 8945): shared secret keys, their
 * algorithms and the BIND/Knot key file format, signing a DNS message
 * (request, response, and the messages of a multi-message TCP stream, RFC
 * 8945 5.3.1) and verifying one (BADSIG, BADKEY, BADTIME, BADTRUNC). Used by
 * the outgoing side (transfers, NOTIFY, SOA answers) and the incoming side
 * (a transfer client) alike.
 *
 * Keys are plain values (no allocation). A struct tsig_ctx belongs to one
 * thread; it holds libcrypto state only between tsig_verify_next() calls of
 * one stream and is released by tsig_ctx_fini(). Any thread. */
#ifndef GSLBD_COMMON_TSIG_H
#define GSLBD_COMMON_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define TSIG_TYPE 250        /* RR type TSIG */
#define TSIG_CLASS_ANY 255   /* its class */
#define TSIG_MAC_MAX 64      /* longest MAC (HMAC-SHA512) */
#define TSIG_SECRET_MAX 512  /* longest secret accepted, bytes */
#define TSIG_NAME_MAX 255    /* longest key name, wire bytes */
#define TSIG_FUDGE 300       /* seconds of clock skew allowed (RFC 8945 10) */
/* Most bytes a TSIG record takes: owner, fixed fields, algorithm name,
 * MAC, other data (6 bytes, BADTIME). */
#define TSIG_RR_MAX (TSIG_NAME_MAX + 10 + 30 + 16 + TSIG_MAC_MAX + 6)

/* TSIG error codes (RFC 8945 3, the Error field; rcode of a response that
 * carries one is NOTAUTH). */
#define TSIG_ERR_NONE 0
#define TSIG_ERR_BADSIG 16
#define TSIG_ERR_BADKEY 17
#define TSIG_ERR_BADTIME 18
#define TSIG_ERR_BADTRUNC 22

enum tsig_alg {
	TSIG_HMAC_MD5,
	TSIG_HMAC_SHA1,
	TSIG_HMAC_SHA224,
	TSIG_HMAC_SHA256,
	TSIG_HMAC_SHA384,
	TSIG_HMAC_SHA512,
	TSIG_ALG_COUNT
};

/* A shared secret key. */
struct tsig_key {
	char name[TSIG_NAME_MAX * 4 + 1];   /* presentation form, as written */
	uint8_t wire[TSIG_NAME_MAX];        /* canonical (lower-case) wire form */
	uint8_t wire_len;                   /* bytes at wire */
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;                  /* bytes at secret */
};

/* The algorithm called name ("hmac-sha256", trailing dot and case
 * ignored; "hmac-md5.sig-alg.reg.int" too). Returns 0 or GSLB_ENOENT. */
int tsig_alg_from_name(const char *name, enum tsig_alg *out);
/* Its name as written in TSIG records and key files ("hmac-sha256"). */
const char *tsig_alg_name(enum tsig_alg alg);
/* Bytes of the algorithm's MAC. */
size_t tsig_alg_mac_len(enum tsig_alg alg);

/* Fill *key from a name, an algorithm name and a base64 secret. Returns 0,
 * or GSLB_EINVAL with err set to the reason (no position). */
int tsig_key_init(struct tsig_key *key, const char *name, const char *alg,
		  const char *secret_b64, struct gslb_err *err);

/* Read the keys of a file in the format BIND and Knot write
 * (tsig-keygen, keymgr -t):
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * with #, // and C comments. Returns 0 with *keys (caller frees with
 * free()) and *count set, or GSLB_EIO/GSLB_EPARSE with err set to
 * "file:line:col: message"; *keys is untouched then. */
int tsig_keyfile_load(const char *path, struct tsig_key **keys, size_t *count,
		      struct gslb_err *err);

/* The TSIG record of a message, found by tsig_find(). */
struct tsig_rr {
	size_t start;             /* offset of the record (its owner name) */
	const uint8_t *alg;       /* algorithm name, uncompressed wire form, in the message */
	uint8_t alg_len;          /* bytes at alg */
	uint8_t key[TSIG_NAME_MAX]; /* key name, canonical wire form */
	uint8_t key_len;          /* bytes at key */
	uint64_t time_signed;     /* seconds since the epoch (48 bits) */
	uint16_t fudge;           /* seconds */
	const uint8_t *mac;       /* in the message */
	uint16_t mac_len;         /* bytes at mac */
	uint16_t orig_id;         /* Original ID */
	uint16_t error;           /* TSIG_ERR_* */
	const uint8_t *other;     /* Other Data, in the message */
	uint16_t other_len;       /* bytes at other */
};

/* Find the TSIG record of the len-byte message msg. Returns 1 with *rr set
 * when it has one (the last record, RFC 8945 5.1), 0 when it has none, or
 * GSLB_EPARSE when the message is malformed or a TSIG record is anywhere
 * but last (the receiver answers FORMERR). */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr);

/* What tsig_verify_request() or tsig_verify_next() found. */
enum tsig_result {
	TSIG_OK,       /* signed with a known key, MAC and time good */
	TSIG_UNSIGNED, /* no TSIG record (a request; a stream's intermediate message) */
	TSIG_FORMERR,  /* malformed, TSIG not last, MAC longer than the algorithm's or
	                * shorter than RFC 8945 5.2.2.1 allows */
	TSIG_BADKEY,   /* unknown key or algorithm */
	TSIG_BADSIG,   /* the MAC does not verify */
	TSIG_BADTIME,  /* the MAC verifies but time signed is outside the fudge */
	TSIG_BADTRUNC, /* the MAC verifies but is truncated (not accepted) */
	TSIG_ERROR,    /* a response carrying a TSIG error from the peer (ctx->peer_error) */
};

/* A short lower-case name of a result for logs and metrics ("badsig"). */
const char *tsig_result_name(enum tsig_result r);

/* One signed exchange: a request and its response(s), either side. */
struct tsig_ctx {
	const struct tsig_key *key; /* borrowed; NULL: nothing to sign with */
	uint8_t mac[TSIG_MAC_MAX];  /* the last MAC of the exchange (the request's, then
	                             * each signed response's): prior MAC of the next */
	uint16_t mac_len;           /* bytes at mac; 0: none yet */
	uint16_t orig_id;           /* the request's ID (Original ID of the responses) */
	uint16_t error;             /* TSIG error the next signed message carries */
	uint64_t request_time;      /* the request's time signed (BADTIME's other data) */
	unsigned signed_count;      /* messages signed or verified so far */
	unsigned unsigned_count;    /* unsigned messages since the last signed one */
	uint16_t peer_error;        /* error field of a TSIG_ERROR response */
	void *run;                  /* running MAC over unsigned messages (verify) */
	uint8_t echo_key[TSIG_NAME_MAX]; /* key name of the request (for BADKEY answers) */
	uint8_t echo_key_len;
	uint8_t echo_alg[TSIG_NAME_MAX]; /* its algorithm name, wire form */
	uint8_t echo_alg_len;
};

/* An empty exchange under key (NULL: unsigned). */
void tsig_ctx_init(struct tsig_ctx *ctx, const struct tsig_key *key);
/* Release the libcrypto state; ctx may be reused after tsig_ctx_init(). */
void tsig_ctx_fini(struct tsig_ctx *ctx);

/* Server side: verify the request msg (len bytes) against keys (count of
 * them) at time now (seconds since the epoch). On TSIG_OK, ctx is ready to
 * sign responses (tsig_sign()); on TSIG_BADSIG, TSIG_BADKEY, TSIG_BADTIME
 * and TSIG_BADTRUNC, ctx is ready to sign the error response RFC 8945 5.2
 * asks for (NOTAUTH: unsigned TSIG record for BADKEY and BADSIG, signed for
 * BADTIME and BADTRUNC). TSIG_UNSIGNED and TSIG_FORMERR leave ctx empty. */
enum tsig_result tsig_verify_request(struct tsig_ctx *ctx, const uint8_t *msg, size_t len,
				     const struct tsig_key *keys, size_t count, uint64_t now);

/* Append a TSIG record to the message at msg (*len bytes, cap bytes of
 * room; its ARCOUNT is incremented) at time now. The first message of an
 * exchange is signed with the full variables (a request when ctx has no
 * MAC yet; else a response over the request's MAC); later ones, the
 * messages of a TCP stream, with the timers only over the previous MAC
 * (RFC 8945 5.3.1). An error of BADKEY or BADSIG writes an unsigned
 * record. Returns 0, or GSLB_ENOSPC when it does not fit (msg unchanged). */
int tsig_sign(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now);

/* Client side: verify the next response msg (len bytes) of the exchange
 * whose request tsig_sign() signed under ctx. The first response must be
 * signed; in a stream, messages without TSIG are folded into the MAC of
 * the next signed one (TSIG_UNSIGNED; the caller refuses more than 99 in a
 * row and a stream that ends on one). A response with a TSIG error gives
 * TSIG_ERROR. */
enum tsig_result tsig_verify_next(struct tsig_ctx *ctx, const uint8_t *msg, size_t len,
				  uint64_t now);

/* Bytes tsig_sign() adds under key (room to keep free in a response). */
size_t tsig_rr_len(const struct tsig_key *key);
/* Bytes the next tsig_sign() under ctx adds at most (error answers
 * included). */
size_t tsig_ctx_room(const struct tsig_ctx *ctx);

#endif

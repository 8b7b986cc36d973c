/* DNS cookies (RFC 7873) with the interoperable server cookie of RFC 9018:
 * Version 1 | Reserved | Timestamp | SipHash-2-4(Client Cookie | Version |
 * Reserved | Timestamp | Client IP) under a 16-byte secret that every
 * server of the NS set shares. A cookie made with the current or the
 * previous secret is valid, so the secret can be rotated without rejecting
 * clients. Pure functions over caller memory: any thread, no allocation. */
#ifndef GSLBD_DNS_COOKIE_H
#define GSLBD_DNS_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COOKIE_SECRET_LEN 16 /* bytes of a server secret (a SipHash key) */
#define COOKIE_CLIENT_LEN 8  /* bytes of a client cookie */
#define COOKIE_SERVER_LEN 16 /* bytes of the server cookies made here */
#define COOKIE_SERVER_MIN 8  /* shortest server cookie a client may send (RFC 7873 4.2) */
#define COOKIE_SERVER_MAX 32 /* longest */
/* A server cookie younger than this is sent back as it came, older ones are
 * replaced (RFC 9018 4.3: half an hour), past COOKIE_MAX_AGE they are
 * invalid; one stamped more than COOKIE_MAX_AHEAD in the future is too. */
#define COOKIE_RENEW_AGE 1800
#define COOKIE_MAX_AGE 3600
#define COOKIE_MAX_AHEAD 300

enum cookie_verdict {
	COOKIE_CLIENT_ONLY, /* no server cookie: give the client one */
	COOKIE_VALID,       /* ours, in date: the client's address is proven */
	COOKIE_INVALID,     /* a server cookie that is not ours, or out of date */
};

/* The server cookie for client cookie cc from the address addr (4 or 16
 * bytes, family AF_INET or AF_INET6) at time now (seconds since the epoch,
 * modulo 2^32), made with secret, into out. */
void cookie_server_make(const uint8_t secret[COOKIE_SECRET_LEN], const uint8_t cc[COOKIE_CLIENT_LEN],
			const uint8_t *addr, size_t addr_len, uint32_t now,
			uint8_t out[COOKIE_SERVER_LEN]);

/* Judge the server cookie sc (sc_len bytes; 0 when the client sent only
 * its client cookie) that came with client cookie cc from addr at now,
 * against the current secret and the previous one (NULL: none). *renew is
 * set when a COOKIE_VALID cookie should be replaced: made with the previous
 * secret, or old. */
enum cookie_verdict cookie_check(const uint8_t current[COOKIE_SECRET_LEN],
				 const uint8_t *previous, const uint8_t cc[COOKIE_CLIENT_LEN],
				 const uint8_t *sc,
				 size_t sc_len, const uint8_t *addr, size_t addr_len, uint32_t now,
				 bool *renew);

#endif

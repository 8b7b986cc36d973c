/* Domain names in wire format (RFC 1035 3.1): a sequence of length-prefixed
 * labels ending with the root label (a zero byte), at most 255 bytes.
 *
 * "lname" below means a name in canonical form: uncompressed wire format
 * with ASCII letters lowered. Everything here is a pure function over
 * caller-owned buffers: no allocation, safe from any thread, fit for the
 * per-query path. */
#ifndef GSLBD_ZONES_DNAME_H
#define GSLBD_ZONES_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN 255      /* longest wire name, root label included */
#define DNAME_MAXLABELS 128   /* most labels a name can have, root included */
#define DNAME_MAXLABELLEN 63  /* longest label */
#define DNAME_STRLEN 1024     /* enough for any name in presentation format with escapes */

/* Read the possibly compressed name that starts at pkt[*pos] of a message
 * of pkt_len bytes. Writes its uncompressed form to out (DNAME_MAXLEN bytes
 * room), lowered when lower is true, and advances *pos past the name as it
 * stands in the message. Compression pointers must point strictly backwards
 * (which also bounds loops); labels with the top bits 01 or 10 are invalid.
 * Returns the name's length (>= 1), or GSLB_EPARSE for a bad name
 * (truncated, label type, pointer loop or forward pointer, over 255 bytes). */
int dname_unpack(const uint8_t *pkt, size_t pkt_len, size_t *pos, uint8_t *out, bool lower);

/* Length of the uncompressed name at name (which must be valid). */
size_t dname_len(const uint8_t *name);
/* Number of labels, root included (the root name has 1). */
unsigned dname_label_count(const uint8_t *name);
/* Fill offs[i] with the offset of label i; returns the label count (root
 * included). offs needs DNAME_MAXLABELS entries. */
unsigned dname_label_offsets(const uint8_t *name, uint8_t *offs);

/* One byte with an ASCII capital lowered (DNS names compare ASCII letters
 * without case, RFC 4343). */
static inline uint8_t dname_lower_byte(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* Lower ASCII letters of a name in place. */
void dname_lower(uint8_t *name);
/* Case-insensitive equality of two uncompressed names. */
bool dname_equal(const uint8_t *a, const uint8_t *b);
/* Is name equal to or below parent? (both canonical). */
bool dname_is_subdomain(const uint8_t *name, const uint8_t *parent);
/* Is the first label "*"? */
bool dname_is_wildcard(const uint8_t *name);
/* Hash of a canonical name of len bytes (stable within a process). */
uint32_t dname_hash(const uint8_t *lname, size_t len);
/* DNSSEC canonical order (RFC 4034 6.1) of two canonical names: <0, 0, >0. */
int dname_compare(const uint8_t *a, const uint8_t *b);

/* Presentation format to wire: "www.example.com" or "www.example.com." (a
 * relative name is taken as absolute), "\." and "\DDD" escapes, "." or "" for
 * the root. Writes canonical (lowered) form. Returns length or GSLB_EPARSE. */
int dname_from_str(const char *s, uint8_t *out);
/* Wire to presentation format with a trailing dot, escaping as RFC 4343. */
void dname_to_str(const uint8_t *name, char *buf, size_t len);

#endif

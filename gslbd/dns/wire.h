/* DNS wire format for the answer path: query parsing (header, question,
 * the other sections, EDNS OPT with Client Subnet) and a response writer
 * with name compression.
 *
 * Everything works on caller-owned memory and allocates nothing; a struct
 * wire_query or struct wire_writer belongs to one thread at a time. */
#ifndef GSLBD_DNS_WIRE_H
#define GSLBD_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/dname.h"

struct zone_rrset;

#define WIRE_HEADER_LEN 12

/* Header flag bits (second 16-bit word of the header, host order). */
#define WIRE_QR            0x8000
#define WIRE_AA            0x0400
#define WIRE_TC            0x0200
#define WIRE_RD            0x0100
#define WIRE_RA            0x0080
#define WIRE_AD            0x0020
#define WIRE_CD            0x0010
#define WIRE_OPCODE(flags) (((flags) >> 11) & 0x0f)

/* Response codes. */
#define WIRE_RCODE_NOERROR  0
#define WIRE_RCODE_FORMERR  1
#define WIRE_RCODE_SERVFAIL 2
#define WIRE_RCODE_NXDOMAIN 3
#define WIRE_RCODE_NOTIMP   4
#define WIRE_RCODE_REFUSED  5
#define WIRE_RCODE_YXDOMAIN 6 /* RFC 6672 2.2: a DNAME substitution too long */
#define WIRE_RCODE_NOTAUTH  9
#define WIRE_RCODE_BADVERS  16
#define WIRE_RCODE_BADCOOKIE 23 /* RFC 7873 */

/* Types and classes the answer path treats specially. */
#define WIRE_TYPE_A     1
#define WIRE_TYPE_NS    2
#define WIRE_TYPE_CNAME 5
#define WIRE_TYPE_SOA   6
#define WIRE_TYPE_PTR   12
#define WIRE_TYPE_MX    15
#define WIRE_TYPE_TXT   16
#define WIRE_TYPE_AAAA  28
#define WIRE_TYPE_SRV   33
#define WIRE_TYPE_DNAME 39
#define WIRE_TYPE_OPT   41
#define WIRE_TYPE_DS    43
#define WIRE_TYPE_RRSIG 46
#define WIRE_TYPE_NSEC  47
#define WIRE_TYPE_DNSKEY 48
#define WIRE_TYPE_NSEC3 50
#define WIRE_TYPE_IXFR  251
#define WIRE_TYPE_AXFR  252
#define WIRE_TYPE_ANY   255
#define WIRE_CLASS_IN   1
#define WIRE_CLASS_CH   3
#define WIRE_CLASS_ANY  255

#define WIRE_EDNS_OPT_ECS 8  /* EDNS option code of Client Subnet (RFC 7871) */
#define WIRE_EDNS_OPT_COOKIE 10 /* EDNS option code of COOKIE (RFC 7873) */
#define WIRE_COOKIE_MAX 40   /* longest COOKIE option: client 8 + server 8..32 */
#define WIRE_OPT_LEN      11 /* OPT record without options */

/* Results of wire_query_parse(). */
#define WIRE_QUERY_OK      0
#define WIRE_QUERY_FORMERR 1 /* answer FORMERR; see has_question and edns_ok */

/* A parsed query. Pointers are borrowed from the packet given to
 * wire_query_parse(). */
struct wire_query {
	uint16_t id;       /* query ID */
	uint16_t flags;    /* header flags word */
	uint16_t qdcount;  /* header counts */
	uint16_t ancount;  /* ... */
	uint16_t nscount;  /* ... */
	uint16_t arcount;  /* ... */
	bool has_question; /* the question parsed (echo it in any response) */
	const uint8_t
	    *qname;        /* question name as the client wrote it (uncompressed, at offset 12) */
	uint8_t qname_len; /* bytes at qname and lname */
	uint16_t qtype;    /* question type */
	uint16_t qclass;   /* question class */
	uint8_t lname[DNAME_MAXLEN]; /* question name, canonical (lowered) */
	bool has_edns;               /* an OPT record was present */
	bool edns_ok;         /* the OPT record itself parsed (echo an OPT, even in FORMERR) */
	uint8_t edns_version; /* EDNS version of the OPT */
	bool edns_do;         /* DNSSEC OK bit */
	uint16_t edns_size;   /* advertised UDP payload size */
	bool has_ecs;         /* a valid Client Subnet option was present */
	uint8_t ecs_family;   /* 1 = IPv4, 2 = IPv6 (RFC 7871 address family numbers) */
	uint8_t ecs_source;   /* source prefix length in bits */
	uint8_t ecs_addr_len; /* bytes at ecs_addr: ceil(ecs_source / 8) */
	uint8_t ecs_addr[16]; /* address bytes as sent (bits past the prefix are zero) */
	bool auth_has_soa;    /* the authority section holds a SOA (IXFR) */
	uint8_t cookie_len;   /* bytes of the first COOKIE option (8, or 16..40); 0: none */
	uint8_t cookie[WIRE_COOKIE_MAX]; /* its data: client cookie, then server cookie */
};

/* Parse the len-byte query pkt (len >= WIRE_HEADER_LEN). Returns
 * WIRE_QUERY_OK, or WIRE_QUERY_FORMERR for a query to answer with FORMERR:
 * QDCOUNT != 1, a bad or truncated question name (compression is not
 * accepted there), truncated records in any section, an OPT outside the
 * additional section, a second OPT, an OPT owner other than the root,
 * malformed EDNS options, an invalid Client Subnet option (RFC 7871 section
 * 7.1), a COOKIE option of a wrong length (RFC 7873 5.2.2), or bytes after the last record. Fields past the failure keep
 * defaults (has_question, edns_ok tell what may be echoed). */
int wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q);

/* Sections of a response. */
enum wire_section {
	WIRE_ANSWER = 0,
	WIRE_AUTHORITY = 1,
	WIRE_ADDITIONAL = 2,
};

/* Most names a response remembers for compression. */
#define WIRE_COMP_MAX 64

/* A name suffix already in the packet: its first label at off, the rest of
 * the suffix given by entry parent (-1: the root follows). */
struct wire_comp {
	uint16_t off;   /* packet offset of the label */
	int16_t parent; /* index of the entry of the next label, or -1 */
};

/* Owner argument meaning "the question name": written as a pointer to
 * offset 12 so that the client's case is kept. */
#define WIRE_OWNER_QNAME ((const uint8_t *)0)

/* Response writer over a caller buffer. Writes never go past limit; a
 * record or RRset that does not fit leaves the packet as it was. */
struct wire_writer {
	uint8_t *buf;                         /* the message (caller-owned) */
	size_t len;                           /* bytes written so far */
	size_t limit;                         /* bytes the message may use */
	uint16_t qdcount;                     /* questions written (0 or 1) */
	uint16_t count[3];                    /* records per section */
	unsigned comp_count;                  /* entries used in comp */
	struct wire_comp comp[WIRE_COMP_MAX]; /* compression table */
};

/* Position to roll back to. */
struct wire_mark {
	size_t len;          /* writer length */
	unsigned comp_count; /* compression entries */
	uint16_t count[3];   /* section counts */
};

/* Start a message in buf with a 12-byte header: id and flags, all counts
 * zero. limit <= the buffer's size. */
void wire_writer_init(struct wire_writer *w, uint8_t *buf, size_t limit, uint16_t id,
		      uint16_t flags);
/* Append the question (qname uncompressed, of qname_len bytes) and remember
 * its labels for compression. Returns false if it does not fit. */
bool wire_put_question(struct wire_writer *w, const uint8_t *qname, size_t qname_len,
		       uint16_t qtype, uint16_t qclass);
/* Append one record with rdata (rdlen bytes, names uncompressed) of type;
 * the owner and the names inside NS, CNAME, PTR, MX and SOA rdata are
 * compressed, other rdata is copied (RFC 3597). Returns false, with
 * nothing written, if it does not fit. */
bool wire_put_rr(struct wire_writer *w, enum wire_section sec, const uint8_t *owner, uint16_t type,
		 uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* Append every record of rrset with owner and ttl, class IN. All or
 * nothing: returns false, with nothing written, if it does not fit. */
bool wire_put_rrset(struct wire_writer *w, enum wire_section sec, const uint8_t *owner,
		    const struct zone_rrset *rrset, uint32_t ttl);
/* Append the OPT record (RFC 6891 6.1.2) closing a response: owner root,
 * udp_size as the payload size, the upper 8 bits of the extended rcode, the
 * DO bit, and room for rdlen bytes of options. Returns where the options
 * go (the caller writes exactly rdlen bytes there), or NULL, with nothing
 * written, if the record does not fit. */
uint8_t *wire_put_opt(struct wire_writer *w, uint16_t udp_size, int rcode, bool dnssec_ok,
		      size_t rdlen);
/* Write the section counts into the header and set the header flags word;
 * the message is w->len bytes. */
void wire_writer_finish(struct wire_writer *w, uint16_t flags);

static inline void wire_mark_save(const struct wire_writer *w, struct wire_mark *m)
{
	m->len = w->len;
	m->comp_count = w->comp_count;
	m->count[0] = w->count[0];
	m->count[1] = w->count[1];
	m->count[2] = w->count[2];
}

static inline void wire_mark_restore(struct wire_writer *w, const struct wire_mark *m)
{
	w->len = m->len;
	w->comp_count = m->comp_count;
	w->count[0] = m->count[0];
	w->count[1] = m->count[1];
	w->count[2] = m->count[2];
}

static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline void wire_set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif

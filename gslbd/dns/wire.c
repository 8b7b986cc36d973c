#include <config.h>

#include "gslbd/dns/wire.h"

#include <string.h>

#include "zones/dname.h"
#include "zones/zone.h"

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Lower the ASCII letters of the eight bytes in w (SWAR: per byte, no
 * carries between bytes since each addition stays below 0x100). */
static inline uint64_t lower64(uint64_t w)
{
	const uint64_t high = UINT64_C(0x8080808080808080);
	uint64_t low7 = w & ~high;
	uint64_t ge_a = low7 + UINT64_C(0x3f3f3f3f3f3f3f3f); /* high bit: >= 'A' */
	uint64_t gt_z = low7 + UINT64_C(0x2525252525252525); /* high bit: > 'Z' */

	return w | ((ge_a & ~gt_z & ~w & high) >> 2);
}

/* The question name at pkt[WIRE_HEADER_LEN]: uncompressed, so it is checked
 * by its length bytes alone and then copied to out lowered a word at a time
 * (length bytes are below 64 and stay as they are). Returns its length, or
 * -1 for what dname_unpack() rejects and for any compression pointer (which
 * the question may not use). */
static int parse_qname(const uint8_t *pkt, size_t len, uint8_t *out)
{
	const uint8_t *name = pkt + WIRE_HEADER_LEN;
	size_t p = WIRE_HEADER_LEN;
	size_t n, i;
	uint64_t w;

	for (;;) {
		uint8_t c;

		if (p >= len)
			return -1;
		c = pkt[p];
		if (c == 0)
			break;
		if ((c & 0xc0) != 0)
			return -1;
		p += 1 + (size_t)c;
		/* The labels so far plus the root label must fit. */
		if (p - WIRE_HEADER_LEN + 1 > DNAME_MAXLEN)
			return -1;
	}
	n = p - WIRE_HEADER_LEN + 1;
	if (n < 8) {
		for (i = 0; i < n; i++)
			out[i] = (uint8_t)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + ('a' - 'A')
									  : name[i]);
		return (int)n;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, name + i, 8);
		w = lower64(w);
		memcpy(out + i, &w, 8);
	}
	if (i < n) {
		/* The last eight bytes, overlapping what is done. */
		memcpy(&w, name + n - 8, 8);
		w = lower64(w);
		memcpy(out + n - 8, &w, 8);
	}
	return (int)n;
}

/* Check a Client Subnet option (RFC 7871 section 6 and 7.1) and store it. */
static int parse_ecs(struct wire_query *q, const uint8_t *d, uint16_t olen)
{
	uint16_t family;
	uint8_t source, scope, alen;

	if (q->has_ecs || olen < 4)
		return WIRE_QUERY_FORMERR;
	family = wire_get16(d);
	source = d[2];
	scope = d[3];
	alen = (uint8_t)(olen - 4);
	if (family == 1) {
		if (source > 32)
			return WIRE_QUERY_FORMERR;
	} else if (family == 2) {
		if (source > 128)
			return WIRE_QUERY_FORMERR;
	} else {
		return WIRE_QUERY_FORMERR;
	}
	if (scope != 0 || olen - 4 != (source + 7) / 8)
		return WIRE_QUERY_FORMERR;
	if ((source & 7) != 0 && (d[4 + alen - 1] & (0xffu >> (source & 7))) != 0)
		return WIRE_QUERY_FORMERR;
	q->has_ecs = true;
	q->ecs_family = (uint8_t)family;
	q->ecs_source = source;
	q->ecs_addr_len = alen;
	memcpy(q->ecs_addr, d + 4, alen);
	return WIRE_QUERY_OK;
}

/* The OPT record (RFC 6891 section 6.1): class is the payload size, the TTL
 * holds extended rcode, version and flags, the rdata a list of options. */
static int parse_opt(struct wire_query *q, uint16_t rclass, uint32_t ttl, const uint8_t *rd,
		     uint16_t rdlen)
{
	size_t p = 0;

	q->edns_size = rclass;
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & 0x8000) != 0;
	while (p < rdlen) {
		uint16_t olen;

		if (rdlen - p < 4)
			return WIRE_QUERY_FORMERR;
		olen = wire_get16(rd + p + 2);
		if (rdlen - p - 4 < olen)
			return WIRE_QUERY_FORMERR;
		p += 4 + (size_t)olen;
	}
	q->edns_ok = true;
	if (q->edns_version != 0)
		return WIRE_QUERY_OK; /* BADVERS: the options mean nothing to us */
	for (p = 0; p < rdlen;) {
		uint16_t code = wire_get16(rd + p);
		uint16_t olen = wire_get16(rd + p + 2);

		if (code == WIRE_EDNS_OPT_ECS && parse_ecs(q, rd + p + 4, olen) != WIRE_QUERY_OK)
			return WIRE_QUERY_FORMERR;
		if (code == WIRE_EDNS_OPT_COOKIE && q->cookie_len == 0) {
			/* Only the first COOKIE counts (RFC 7873 5.2). */
			if (olen != 8 && (olen < 16 || olen > WIRE_COOKIE_MAX))
				return WIRE_QUERY_FORMERR;
			q->cookie_len = (uint8_t)olen;
			memcpy(q->cookie, rd + p + 4, olen);
		}
		p += 4 + (size_t)olen;
	}
	return WIRE_QUERY_OK;
}

int wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	size_t pos = WIRE_HEADER_LEN;
	unsigned total, an_ns;
	int n;

	q->id = wire_get16(pkt);
	q->flags = wire_get16(pkt + 2);
	q->qdcount = wire_get16(pkt + 4);
	q->ancount = wire_get16(pkt + 6);
	q->nscount = wire_get16(pkt + 8);
	q->arcount = wire_get16(pkt + 10);
	q->has_question = false;
	q->qtype = 0;
	q->qclass = 0;
	q->has_edns = false;
	q->edns_ok = false;
	q->edns_version = 0;
	q->edns_do = false;
	q->edns_size = 0;
	q->has_ecs = false;
	q->auth_has_soa = false;
	q->cookie_len = 0;
	if (q->qdcount != 1)
		return WIRE_QUERY_FORMERR;
	n = parse_qname(pkt, len, q->lname);
	if (n < 0)
		return WIRE_QUERY_FORMERR;
	pos += (size_t)n;
	if (len - pos < 4)
		return WIRE_QUERY_FORMERR;
	q->qname = pkt + WIRE_HEADER_LEN;
	q->qname_len = (uint8_t)n;
	q->qtype = wire_get16(pkt + pos);
	q->qclass = wire_get16(pkt + pos + 2);
	q->has_question = true;
	pos += 4;

	an_ns = (unsigned)q->ancount + q->nscount;
	total = an_ns + q->arcount;
	for (unsigned i = 0; i < total; i++) {
		uint8_t owner[DNAME_MAXLEN];
		uint16_t type, rclass, rdlen;
		uint32_t ttl;

		n = dname_unpack(pkt, len, &pos, owner, false);
		if (n < 0 || len - pos < 10)
			return WIRE_QUERY_FORMERR;
		type = wire_get16(pkt + pos);
		rclass = wire_get16(pkt + pos + 2);
		ttl = get32(pkt + pos + 4);
		rdlen = wire_get16(pkt + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			return WIRE_QUERY_FORMERR;
		if (type == WIRE_TYPE_OPT) {
			if (i < an_ns || q->has_edns)
				return WIRE_QUERY_FORMERR;
			q->has_edns = true;
			if (n != 1)
				return WIRE_QUERY_FORMERR;
			if (parse_opt(q, rclass, ttl, pkt + pos, rdlen) != WIRE_QUERY_OK)
				return WIRE_QUERY_FORMERR;
		} else if (type == WIRE_TYPE_SOA && i >= q->ancount && i < an_ns) {
			q->auth_has_soa = true;
		}
		pos += rdlen;
	}
	if (pos != len)
		return WIRE_QUERY_FORMERR;
	return WIRE_QUERY_OK;
}

void wire_writer_init(struct wire_writer *w, uint8_t *buf, size_t limit, uint16_t id,
		      uint16_t flags)
{
	w->buf = buf;
	w->len = WIRE_HEADER_LEN;
	w->limit = limit;
	w->qdcount = 0;
	w->count[0] = 0;
	w->count[1] = 0;
	w->count[2] = 0;
	w->comp_count = 0;
	wire_set16(buf, id);
	wire_set16(buf + 2, flags);
	memset(buf + 4, 0, 8);
}

/* Case-insensitive equality of two labels (each starting at its length byte). */
static inline bool label_equal(const uint8_t *a, const uint8_t *b)
{
	unsigned n = a[0];

	if (n != b[0])
		return false;
	if (n >= 4) {
		uint32_t x, y, u, v;

		/* Same bytes (the usual case when equal): two overlapping
		 * words cover the label. */
		memcpy(&x, a + 1, 4);
		memcpy(&y, b + 1, 4);
		memcpy(&u, a + n - 3, 4);
		memcpy(&v, b + n - 3, 4);
		if (n <= 8 && x == y && u == v)
			return true;
	}
	for (unsigned i = 1; i <= n; i++) {
		if (a[i] != b[i] && dname_lower_byte(a[i]) != dname_lower_byte(b[i]))
			return false;
	}
	return true;
}

/* Remember labels 0..count-1 of the name just written at start (label
 * offsets offs), whose remaining suffix is entry parent. Stops when the
 * table is full or offsets no longer fit a pointer. */
static void comp_add(struct wire_writer *w, size_t start, const uint8_t *offs, unsigned count,
		     int parent)
{
	while (count > 0) {
		size_t off = start + offs[count - 1];

		if (w->comp_count >= WIRE_COMP_MAX || off >= 0x4000)
			return;
		w->comp[w->comp_count].off = (uint16_t)off;
		w->comp[w->comp_count].parent = (int16_t)parent;
		parent = (int)w->comp_count++;
		count--;
	}
}

/* Append the uncompressed name (valid wire format), pointing to the longest
 * suffix already in the packet when compress is set. */
static bool put_name(struct wire_writer *w, const uint8_t *name, bool compress)
{
	uint8_t offs[DNAME_MAXLABELS];
	unsigned n = 0, m;
	size_t p = 0, need;
	int cur = -1;

	while (name[p] != 0) {
		offs[n++] = (uint8_t)p;
		p += (size_t)name[p] + 1;
	}
	m = n;
	if (compress) {
		/* Walk from the top label down while the suffix is known. */
		while (m > 0) {
			const uint8_t *lab = name + offs[m - 1];
			int found = -1;

			for (unsigned e = 0; e < w->comp_count; e++) {
				if (w->comp[e].parent == cur &&
				    label_equal(w->buf + w->comp[e].off, lab)) {
					found = (int)e;
					break;
				}
			}
			if (found < 0)
				break;
			cur = found;
			m--;
		}
	}
	need = m == n ? p + 1 : (size_t)offs[m] + 2;
	if (m == n)
		cur = -1;
	if (w->limit - w->len < need)
		return false;
	if (m == n) {
		memcpy(w->buf + w->len, name, p + 1);
	} else {
		memcpy(w->buf + w->len, name, offs[m]);
		wire_set16(w->buf + w->len + offs[m], (uint16_t)(0xc000 | w->comp[cur].off));
	}
	comp_add(w, w->len, offs, m, cur);
	w->len += need;
	return true;
}

bool wire_put_question(struct wire_writer *w, const uint8_t *qname, size_t qname_len,
		       uint16_t qtype, uint16_t qclass)
{
	struct wire_mark m;

	if (w->limit - w->len < qname_len + 4)
		return false;
	wire_mark_save(w, &m);
	if (!put_name(w, qname, false)) {
		wire_mark_restore(w, &m);
		return false;
	}
	wire_set16(w->buf + w->len, qtype);
	wire_set16(w->buf + w->len + 2, qclass);
	w->len += 4;
	w->qdcount++;
	return true;
}

/* Append rdata of type, compressing the names of the types RFC 3597
 * section 4 allows. */
static bool put_rdata(struct wire_writer *w, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	size_t fixed;

	switch (type) {
	case WIRE_TYPE_NS:
	case WIRE_TYPE_CNAME:
	case WIRE_TYPE_PTR:
		return put_name(w, rd, true);
	case WIRE_TYPE_MX:
		if (rdlen < 3 || w->limit - w->len < 2)
			break;
		memcpy(w->buf + w->len, rd, 2);
		w->len += 2;
		return put_name(w, rd + 2, true);
	case WIRE_TYPE_SOA: {
		size_t l1 = dname_len(rd), l2;

		if (!put_name(w, rd, true))
			return false;
		l2 = dname_len(rd + l1);
		if (!put_name(w, rd + l1, true))
			return false;
		fixed = rdlen - l1 - l2;
		if (w->limit - w->len < fixed)
			return false;
		memcpy(w->buf + w->len, rd + l1 + l2, fixed);
		w->len += fixed;
		return true;
	}
	default:
		break;
	}
	if (w->limit - w->len < rdlen)
		return false;
	memcpy(w->buf + w->len, rd, rdlen);
	w->len += rdlen;
	return true;
}

/* Type, class, TTL, RDLENGTH and rdata after an owner already written. */
static bool put_rr_body(struct wire_writer *w, uint16_t type, uint16_t rclass, uint32_t ttl,
			const uint8_t *rd, uint16_t rdlen)
{
	size_t start;

	if (w->limit - w->len < 10)
		return false;
	wire_set16(w->buf + w->len, type);
	wire_set16(w->buf + w->len + 2, rclass);
	set32(w->buf + w->len + 4, ttl);
	w->len += 10;
	start = w->len;
	if (!put_rdata(w, type, rd, rdlen))
		return false;
	wire_set16(w->buf + start - 2, (uint16_t)(w->len - start));
	return true;
}

static bool put_pointer(struct wire_writer *w, uint16_t off)
{
	if (w->limit - w->len < 2)
		return false;
	wire_set16(w->buf + w->len, (uint16_t)(0xc000 | off));
	w->len += 2;
	return true;
}

static bool put_owner(struct wire_writer *w, const uint8_t *owner)
{
	if (owner == WIRE_OWNER_QNAME)
		return put_pointer(w, WIRE_HEADER_LEN);
	return put_name(w, owner, true);
}

bool wire_put_rr(struct wire_writer *w, enum wire_section sec, const uint8_t *owner, uint16_t type,
		 uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	struct wire_mark m;

	wire_mark_save(w, &m);
	if (!put_owner(w, owner) || !put_rr_body(w, type, rclass, ttl, rdata, rdlen)) {
		wire_mark_restore(w, &m);
		return false;
	}
	w->count[sec]++;
	return true;
}

bool wire_put_rrset(struct wire_writer *w, enum wire_section sec, const uint8_t *owner,
		    const struct zone_rrset *rrset, uint32_t ttl)
{
	struct wire_mark m;
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t rdlen, ptr = 0;
	bool first = true;

	wire_mark_save(w, &m);
	while ((rd = zone_rrset_next(rrset, &pos, &rdlen)) != NULL) {
		size_t start = w->len;
		bool ok;

		if (first) {
			ok = put_owner(w, owner);
			/* Later records point at the first owner. */
			if (ok && w->buf[start] >= 0xc0)
				ptr = wire_get16(w->buf + start) & 0x3fff;
			else if (ok && start < 0x4000)
				ptr = (uint16_t)start;
		} else {
			ok = ptr != 0 ? put_pointer(w, ptr) : put_owner(w, owner);
		}
		if (!ok || !put_rr_body(w, rrset->type, WIRE_CLASS_IN, ttl, rd, rdlen)) {
			wire_mark_restore(w, &m);
			return false;
		}
		w->count[sec]++;
		first = false;
	}
	return true;
}

uint8_t *wire_put_opt(struct wire_writer *w, uint16_t udp_size, int rcode, bool dnssec_ok,
		      size_t rdlen)
{
	uint8_t *p;

	if (w->limit - w->len < WIRE_OPT_LEN + rdlen)
		return NULL;
	p = w->buf + w->len;
	p[0] = 0;
	wire_set16(p + 1, WIRE_TYPE_OPT);
	wire_set16(p + 3, udp_size);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0;
	wire_set16(p + 7, dnssec_ok ? 0x8000 : 0);
	wire_set16(p + 9, (uint16_t)rdlen);
	w->len += WIRE_OPT_LEN + rdlen;
	w->count[WIRE_ADDITIONAL]++;
	return p + WIRE_OPT_LEN;
}

void wire_writer_finish(struct wire_writer *w, uint16_t flags)
{
	wire_set16(w->buf + 2, flags);
	wire_set16(w->buf + 4, w->qdcount);
	wire_set16(w->buf + 6, w->count[0]);
	wire_set16(w->buf + 8, w->count[1]);
	wire_set16(w->buf + 10, w->count[2]);
}

#include <config.h>

#include "zones/dname.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

int dname_unpack(const uint8_t *pkt, size_t pkt_len, size_t *pos, uint8_t *out, bool lower)
{
	size_t p = *pos;
	size_t seg = *pos; /* start of the run of labels being read; pointers go below it */
	size_t after = 0;  /* where the name ends in the message, once a pointer was taken */
	bool jumped = false;
	size_t n = 0;

	for (;;) {
		uint8_t c;

		if (p >= pkt_len)
			return GSLB_EPARSE;
		c = pkt[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= pkt_len)
				return GSLB_EPARSE;
			target = ((size_t)(c & 0x3f) << 8) | pkt[p + 1];
			/* Strictly below the current run: the sequence of runs
			 * decreases, so no loop can last. */
			if (target >= seg)
				return GSLB_EPARSE;
			if (!jumped) {
				after = p + 2;
				jumped = true;
			}
			p = seg = target;
			continue;
		}
		if ((c & 0xc0) != 0)
			return GSLB_EPARSE; /* 01 (extended) and 10 (reserved) label types */
		if (c == 0) {
			if (n + 1 > DNAME_MAXLEN)
				return GSLB_EPARSE;
			out[n++] = 0;
			p++;
			break;
		}
		/* The label plus the root label still to come must fit. */
		if (n + 1 + c + 1 > DNAME_MAXLEN)
			return GSLB_EPARSE;
		if (p + 1 + c > pkt_len)
			return GSLB_EPARSE;
		out[n] = c;
		if (lower) {
			for (size_t i = 1; i <= c; i++)
				out[n + i] = dname_lower_byte(pkt[p + i]);
		} else {
			memcpy(out + n + 1, pkt + p + 1, c);
		}
		n += 1 + (size_t)c;
		p += 1 + (size_t)c;
	}
	*pos = jumped ? after : p;
	return (int)n;
}

size_t dname_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n] != 0)
		n += 1 + (size_t)name[n];
	return n + 1;
}

unsigned dname_label_count(const uint8_t *name)
{
	unsigned count = 1;
	size_t n = 0;

	while (name[n] != 0) {
		n += 1 + (size_t)name[n];
		count++;
	}
	return count;
}

unsigned dname_label_offsets(const uint8_t *name, uint8_t *offs)
{
	unsigned count = 0;
	size_t n = 0;

	while (name[n] != 0) {
		offs[count++] = (uint8_t)n;
		n += 1 + (size_t)name[n];
	}
	offs[count++] = (uint8_t)n;
	return count;
}

void dname_lower(uint8_t *name)
{
	size_t n = 0;

	while (name[n] != 0) {
		uint8_t len = name[n];

		for (size_t i = 1; i <= len; i++)
			name[n + i] = dname_lower_byte(name[n + i]);
		n += 1 + (size_t)len;
	}
}

bool dname_equal(const uint8_t *a, const uint8_t *b)
{
	size_t n = 0;

	for (;;) {
		uint8_t len = a[n];

		if (b[n] != len)
			return false;
		if (len == 0)
			return true;
		for (size_t i = 1; i <= len; i++) {
			if (dname_lower_byte(a[n + i]) != dname_lower_byte(b[n + i]))
				return false;
		}
		n += 1 + (size_t)len;
	}
}

bool dname_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
	size_t nlen = dname_len(name);
	size_t plen = dname_len(parent);
	size_t n = 0;

	if (nlen < plen)
		return false;
	/* Walk to the label boundary that leaves plen bytes. */
	while (nlen - n > plen)
		n += 1 + (size_t)name[n];
	if (nlen - n != plen)
		return false;
	return dname_equal(name + n, parent);
}

bool dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

/* Little-endian loads, so that the hash does not depend on the host. */
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t load_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

#define HASH_MUL UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_MUL;
	return h ^ (h >> 47);
}

uint32_t dname_hash(const uint8_t *lname, size_t len)
{
	/* Eight bytes at a time. The last word is the last eight bytes of the
	 * name (overlapping the previous word), or two overlapping 4-byte
	 * reads, or three single bytes: together with the length, which seeds
	 * the hash, every byte is covered and nothing past len is read. */
	uint64_t h = HASH_MUL ^ len;
	const uint8_t *p = lname;
	size_t n = len;
	uint64_t w;

	while (n > 8) {
		h = hash_step(h, load_le64(p));
		p += 8;
		n -= 8;
	}
	if (len >= 8)
		w = load_le64(lname + len - 8);
	else if (len >= 4)
		w = load_le32(lname) | (uint64_t)load_le32(lname + len - 4) << 32;
	else if (len > 0)
		w = lname[0] | (uint64_t)lname[len / 2] << 8 | (uint64_t)lname[len - 1] << 16;
	else
		w = 0;
	h = hash_step(h, w) * HASH_MUL;
	return (uint32_t)(h ^ (h >> 32));
}

int dname_compare(const uint8_t *a, const uint8_t *b)
{
	uint8_t aoffs[DNAME_MAXLABELS], boffs[DNAME_MAXLABELS];
	unsigned an = dname_label_offsets(a, aoffs);
	unsigned bn = dname_label_offsets(b, boffs);

	/* From the label next to the root towards the left (RFC 4034 6.1). */
	for (unsigned i = an - 1, j = bn - 1; i > 0 && j > 0;) {
		const uint8_t *la = a + aoffs[--i];
		const uint8_t *lb = b + boffs[--j];
		unsigned min = la[0] < lb[0] ? la[0] : lb[0];

		for (unsigned k = 1; k <= min; k++) {
			uint8_t ca = dname_lower_byte(la[k]), cb = dname_lower_byte(lb[k]);

			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	return 0;
}

int dname_from_str(const char *s, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	if (p[0] == '\0' || (p[0] == '.' && p[1] == '\0')) {
		out[0] = 0;
		return 1;
	}
	while (*p != '\0') {
		size_t lpos = n;
		size_t llen = 0;

		/* Each byte written leaves room for the root label. */
		if (n >= DNAME_MAXLEN - 1)
			return GSLB_EPARSE;
		n++;
		while (*p != '\0' && *p != '.') {
			unsigned c;

			if (*p == '\\') {
				p++;
				if (p[0] >= '0' && p[0] <= '9') {
					if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
						return GSLB_EPARSE;
					c = (unsigned)(p[0] - '0') * 100 +
					    (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
					if (c > 255)
						return GSLB_EPARSE;
					p += 3;
				} else if (*p == '\0') {
					return GSLB_EPARSE;
				} else {
					c = *p++;
				}
			} else {
				c = *p++;
			}
			if (llen == DNAME_MAXLABELLEN || n >= DNAME_MAXLEN - 1)
				return GSLB_EPARSE;
			out[n++] = dname_lower_byte((uint8_t)c);
			llen++;
		}
		if (llen == 0)
			return GSLB_EPARSE; /* empty label: ".a", "a..b" */
		out[lpos] = (uint8_t)llen;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return (int)n;
}

void dname_to_str(const uint8_t *name, char *buf, size_t len)
{
	size_t o = 0;
	size_t n = 0;

	if (len == 0)
		return;
	if (name[0] == 0) {
		if (len > 1)
			buf[o++] = '.';
		buf[o] = '\0';
		return;
	}
	while (name[n] != 0) {
		uint8_t llen = name[n];

		for (size_t i = 1; i <= llen; i++) {
			uint8_t c = name[n + i];
			char tmp[5];
			size_t tlen;

			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '@' || c == '$') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tlen = 2;
			} else if (c < 0x21 || c > 0x7e) {
				tmp[0] = '\\';
				tmp[1] = (char)('0' + c / 100);
				tmp[2] = (char)('0' + c / 10 % 10);
				tmp[3] = (char)('0' + c % 10);
				tlen = 4;
			} else {
				tmp[0] = (char)c;
				tlen = 1;
			}
			if (o + tlen >= len)
				goto out;
			memcpy(buf + o, tmp, tlen);
			o += tlen;
		}
		if (o + 1 >= len)
			goto out;
		buf[o++] = '.';
		n += 1 + (size_t)llen;
	}
out:
	buf[o] = '\0';
}

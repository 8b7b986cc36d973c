#include <config.h>

#include "gslbd/dns/journal_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"

/* The layout, all numbers big-endian:
 *   "GSLBDJNL" | version (4) | flags (4) | serial (4) | skip_serial (4) |
 *   count (4) | origin (wire form) |
 *   count x [ from (4) | to (4) | del_count (4) | del_len (4) | add_count (4) |
 *             add_len (4) | del_len bytes | add_len bytes ] |
 *   FNV-1a 64 of everything before it (8) */
#define JF_MAGIC     "GSLBDJNL"
#define JF_VERSION   1u
#define JF_FLAG_SKIP 1u
#define JF_HEAD      28 /* magic to count */
#define JF_DIFF_HEAD 24
#define JF_SUM       8

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A growing buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_put(struct buf *b, const void *p, size_t len)
{
	if (b->cap - b->len < len) {
		b->cap = (b->cap + len) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void buf_put32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	put32(x, v);
	buf_put(b, x, 4);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int journal_file_write(const char *path, const uint8_t *origin, uint32_t serial,
		       const struct journal *j, struct gslb_err *err)
{
	struct buf b = {0};
	uint8_t sum[JF_SUM];
	uint64_t h;
	char *tmp = xasprintf("%s.tmp", path);
	size_t count = j != NULL ? j->count : 0;
	int fd, e;

	buf_put(&b, JF_MAGIC, 8);
	buf_put32(&b, JF_VERSION);
	buf_put32(&b, j != NULL && j->skip ? JF_FLAG_SKIP : 0);
	buf_put32(&b, serial);
	buf_put32(&b, j != NULL && j->skip ? j->skip_serial : 0);
	buf_put32(&b, (uint32_t)count);
	buf_put(&b, origin, dname_len(origin));
	for (size_t i = 0; i < count; i++) {
		const struct journal_diff *d = j->diffs[i];

		buf_put32(&b, d->from);
		buf_put32(&b, d->to);
		buf_put32(&b, d->del_count);
		buf_put32(&b, (uint32_t)d->del_len);
		buf_put32(&b, d->add_count);
		buf_put32(&b, (uint32_t)d->add_len);
		buf_put(&b, d->del, d->del_len);
		buf_put(&b, d->add, d->add_len);
	}
	h = fnv1a(b.p, b.len);
	put32(sum, (uint32_t)(h >> 32));
	put32(sum + 4, (uint32_t)h);
	buf_put(&b, sum, JF_SUM);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, b.p, b.len) != 0 || fsync(fd) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	free(b.p);
	return 0;
fail:
	free(tmp);
	free(b.p);
	return gslb_err_setc(err, GSLB_EIO, "%s: cannot write: %s", path, strerror(e));
}

/* The length of the uncompressed name at p (at most len bytes), or 0 when
 * it is not one. */
static size_t name_len(const uint8_t *p, size_t len)
{
	size_t o = 0;

	while (o < len && o < DNAME_MAXLEN) {
		uint8_t l = p[o];

		if (l == 0)
			return o + 1;
		if (l > 63)
			return 0;
		o += 1 + (size_t)l;
	}
	return 0;
}

/* Do the len bytes at p hold exactly count packed records (journal.h), the
 * first a SOA of serial? */
static bool records_ok(const uint8_t *p, size_t len, uint32_t count, uint32_t serial)
{
	size_t o = 0;

	for (uint32_t i = 0; i < count; i++) {
		size_t nl = name_len(p + o, len - o), rdlen;
		uint16_t type;

		if (nl == 0 || len - o - nl < 8)
			return false;
		o += nl;
		type = wire_get16(p + o);
		rdlen = wire_get16(p + o + 6);
		o += 8;
		if (len - o < rdlen)
			return false;
		if (i == 0) {
			/* SOA: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM */
			size_t m, r;

			if (type != WIRE_TYPE_SOA || (m = name_len(p + o, rdlen)) == 0 ||
			    (r = name_len(p + o + m, rdlen - m)) == 0 || m + r + 20 != rdlen ||
			    get32(p + o + m + r) != serial)
				return false;
		}
		o += rdlen;
	}
	return o == len;
}

static void diff_free(struct journal_diff *d)
{
	if (d == NULL)
		return;
	free(d->del);
	free(d->add);
	free(d);
}

/* Parse the file's bytes; 0 or -1 with why set. */
static int parse(const uint8_t *p, size_t len, const uint8_t *origin, size_t max_bytes,
		 struct journal **out, uint32_t *serial, const char **why)
{
	uint64_t h;
	uint32_t flags, count, skip_serial, last = 0;
	size_t o, ol = dname_len(origin);
	struct journal *j;

	if (len < JF_HEAD + 1 + JF_SUM || memcmp(p, JF_MAGIC, 8) != 0) {
		*why = "not a journal file";
		return -1;
	}
	h = fnv1a(p, len - JF_SUM);
	if (get32(p + len - JF_SUM) != (uint32_t)(h >> 32) ||
	    get32(p + len - JF_SUM + 4) != (uint32_t)h) {
		*why = "checksum mismatch (truncated or corrupt)";
		return -1;
	}
	len -= JF_SUM;
	if (get32(p + 8) != JF_VERSION) {
		*why = "unknown format version";
		return -1;
	}
	flags = get32(p + 12);
	*serial = get32(p + 16);
	skip_serial = get32(p + 20);
	count = get32(p + 24);
	o = JF_HEAD;
	if (name_len(p + o, len - o) != ol || memcmp(p + o, origin, ol) != 0) {
		*why = "the journal of another zone";
		return -1;
	}
	o += ol;
	j = journal_append(NULL, NULL, max_bytes);
	for (uint32_t i = 0; i < count; i++) {
		struct journal_diff *d;
		struct journal *next;
		uint32_t dl, al;

		if (len - o < JF_DIFF_HEAD) {
			*why = "truncated difference";
			goto fail;
		}
		dl = get32(p + o + 12);
		al = get32(p + o + 20);
		if (len - o - JF_DIFF_HEAD < (size_t)dl + al) {
			*why = "truncated difference";
			goto fail;
		}
		d = xcalloc(1, sizeof(*d));
		atomic_init(&d->refs, 1);
		d->from = get32(p + o);
		d->to = get32(p + o + 4);
		d->del_count = get32(p + o + 8);
		d->del_len = dl;
		d->add_count = get32(p + o + 16);
		d->add_len = al;
		o += JF_DIFF_HEAD;
		if ((i > 0 && d->from != last) || !records_ok(p + o, dl, d->del_count, d->from) ||
		    !records_ok(p + o + dl, al, d->add_count, d->to)) {
			diff_free(d);
			*why = "malformed difference";
			goto fail;
		}
		d->del = xmalloc(dl ? dl : 1);
		memcpy(d->del, p + o, dl);
		d->add = xmalloc(al ? al : 1);
		memcpy(d->add, p + o + dl, al);
		o += (size_t)dl + al;
		last = d->to;
		next = journal_append(j, d, max_bytes);
		journal_unref(j);
		j = next;
	}
	if (o != len || (count > 0 && last != *serial)) {
		*why =
		    o != len ? "trailing bytes" : "the last difference does not reach the serial";
		goto fail;
	}
	if (flags & JF_FLAG_SKIP) {
		j->skip = true;
		j->skip_serial = skip_serial;
	}
	*out = j;
	return 0;
fail:
	journal_unref(j);
	return -1;
}

int journal_file_read(const char *path, const uint8_t *origin, size_t max_bytes,
		      struct journal **out, uint32_t *serial, struct gslb_err *err)
{
	struct stat st;
	uint8_t *p;
	size_t got = 0;
	const char *why = NULL;
	uint32_t s = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return gslb_err_setc(err, GSLB_ENOENT, "%s: no journal", path);
		return gslb_err_setc(err, GSLB_EIO, "%s: cannot open: %s", path, strerror(e));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gslb_err_setc(err, GSLB_EIO, "%s: not a regular file", path);
	}
	/* What journal_max allows, and the headers of many differences. */
	if ((unsigned long long)st.st_size > (unsigned long long)max_bytes * 2 + (1u << 20)) {
		close(fd);
		return gslb_err_setc(err, GSLB_EPARSE, "%s: larger than journal_max allows", path);
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	rc = parse(p, got, origin, max_bytes, out, &s, &why);
	free(p);
	if (rc != 0)
		return gslb_err_setc(err, GSLB_EPARSE, "%s: %s", path, why);
	*serial = s;
	return 0;
}

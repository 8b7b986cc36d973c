#include <config.h>

#include "zones/zone.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ldns/ldns.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "zones/dname.h"
#include "zones/sign.h"
#include "zones/xfr.h"
#include "zones/zone-internal.h"

/* Loading goes in three steps. Parsing turns each ldns record into a small
 * fixed-size entry (struct trec) whose owner is a node of a temporary table
 * and whose RDATA is copied into one growing arena; the ldns record is freed
 * at once, so a large zone never exists twice. Then the dynamic names get
 * their nodes, the empty non-terminals are added, the nodes sorted into
 * canonical order and the records sorted in place by node and type. Last,
 * duplicates are collapsed, RRsets checked, everything copied into the final
 * exact-size arrays and the dynamic nodes checked and flagged. */

#define DEFAULT_TTL 3600

/* A node while loading. */
struct tnode {
	uint32_t name_off; /* offset of the owner name in the names arena */
	uint32_t hash;     /* dname_hash() of the name */
	uint8_t len;       /* name length */
};

/* A record while loading. */
struct trec {
	uint32_t node;  /* owner: index into tnodes, then into the zone's nodes */
	uint32_t ttl;   /* TTL as written */
	uint32_t line;  /* line of the record in the file */
	uint32_t rdoff; /* offset of the RDATA in the temporary arena */
	uint16_t type;  /* RR type */
	uint16_t rdlen; /* RDATA length */
	uint32_t count; /* records of the file it stands for (see zone_rrset.file_count) */
};

struct loader {
	const char *path;      /* zone file, for messages */
	const uint8_t *origin; /* canonical origin */
	size_t origin_len;     /* bytes at origin */
	struct gslb_err *err;  /* where errors go */
	uint8_t *names;        /* owner names arena (kept by the zone) */
	size_t names_len;      /* bytes used at names */
	size_t names_cap;      /* bytes allocated at names */
	struct tnode *tnodes;  /* nodes in order of appearance */
	size_t tnode_count;    /* entries used at tnodes */
	size_t tnode_cap;      /* entries allocated at tnodes */
	uint32_t *table;       /* tnode indexes by name hash (kept by the zone) */
	size_t table_size;     /* slots at table, a power of two */
	struct trec *recs;     /* records in file order */
	size_t rec_count;      /* entries used at recs */
	size_t rec_cap;        /* entries allocated at recs */
	uint8_t *rd;           /* RDATA of recs */
	size_t rd_len;         /* bytes used at rd */
	size_t rd_cap;         /* bytes allocated at rd */
	size_t soa_rec;        /* index of the first apex SOA record, SIZE_MAX if none */
	uint32_t last_node;    /* owner of the previous record, UINT32_MAX at first */
};

/* Grow *p (of *cap elements of size bytes) to hold at least need elements. */
static void grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 1024;

	if (need <= *cap)
		return;
	while (c < need)
		c *= 2;
	*p = xreallocarray(*p, c, size);
	*cap = c;
}

static int perr(struct loader *ld, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set "path:line:1: message" and return GSLB_EPARSE. */
static int perr(struct loader *ld, unsigned long line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gslb_err_set(ld->err, "%s:%lu:1: %s", ld->path, line ? line : 1, msg);
}

static bool tnode_is(const struct loader *ld, uint32_t i, const uint8_t *lname, size_t len)
{
	return ld->tnodes[i].len == len &&
	       memcmp(ld->names + ld->tnodes[i].name_off, lname, len) == 0;
}

static void table_rehash(struct loader *ld, size_t size)
{
	uint32_t *t = xmalloc(size * sizeof(*t));
	size_t mask = size - 1;

	memset(t, 0xff, size * sizeof(*t));
	for (size_t i = 0; i < ld->tnode_count; i++) {
		size_t slot = ld->tnodes[i].hash & mask;

		while (t[slot] != ZONE_SLOT_EMPTY)
			slot = (slot + 1) & mask;
		t[slot] = (uint32_t)i;
	}
	free(ld->table);
	ld->table = t;
	ld->table_size = size;
}

/* Find the slot of lname, or the free slot where it belongs. */
static size_t table_slot(const struct loader *ld, const uint8_t *lname, size_t len, uint32_t hash)
{
	size_t mask = ld->table_size - 1;
	size_t slot = hash & mask;

	for (;;) {
		uint32_t i = ld->table[slot];

		if (i == ZONE_SLOT_EMPTY ||
		    (ld->tnodes[i].hash == hash && tnode_is(ld, i, lname, len)))
			return slot;
		slot = (slot + 1) & mask;
	}
}

/* Add a node named by len bytes at names + name_off (already in the arena). */
static uint32_t tnode_add(struct loader *ld, uint32_t name_off, size_t len, uint32_t hash,
			  size_t slot)
{
	uint32_t i = (uint32_t)ld->tnode_count;

	grow((void **)&ld->tnodes, &ld->tnode_cap, ld->tnode_count + 1, sizeof(*ld->tnodes));
	ld->tnodes[i].name_off = name_off;
	ld->tnodes[i].hash = hash;
	ld->tnodes[i].len = (uint8_t)len;
	ld->tnode_count++;
	ld->table[slot] = i;
	/* Keep the load at or below 0.7. */
	if (ld->tnode_count * 10 > ld->table_size * 7)
		table_rehash(ld, ld->table_size * 2);
	return i;
}

/* The node of owner lname, added (with its name copied) when new. */
static int owner_node(struct loader *ld, const uint8_t *lname, size_t len, uint32_t *out)
{
	uint32_t hash, off;
	size_t slot;

	/* Records of one owner tend to follow each other. */
	if (ld->last_node != UINT32_MAX && tnode_is(ld, ld->last_node, lname, len)) {
		*out = ld->last_node;
		return 0;
	}
	hash = dname_hash(lname, len);
	slot = table_slot(ld, lname, len, hash);
	if (ld->table[slot] != ZONE_SLOT_EMPTY) {
		*out = ld->last_node = ld->table[slot];
		return 0;
	}
	if (ld->tnode_count >= UINT32_MAX - 1 || ld->names_len + len > UINT32_MAX)
		return GSLB_ERANGE;
	grow((void **)&ld->names, &ld->names_cap, ld->names_len + len, 1);
	off = (uint32_t)ld->names_len;
	memcpy(ld->names + off, lname, len);
	ld->names_len += len;
	*out = ld->last_node = tnode_add(ld, off, len, hash, slot);
	return 0;
}

/* Copy one parsed record; the caller frees rr. */
/* Add one record: owner lname (any case), RDATA rd of rdlen bytes in
 * uncompressed wire format. */
static int add_raw(struct loader *ld, const uint8_t *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rd, size_t rdlen, unsigned long line, uint32_t count)
{
	uint8_t lname[DNAME_MAXLEN];
	char name[DNAME_STRLEN];
	struct trec *r;
	uint32_t node;

	memcpy(lname, owner, dname_len(owner));
	dname_lower(lname);
	if (!dname_is_subdomain(lname, ld->origin)) {
		char origin[DNAME_STRLEN];

		dname_to_str(lname, name, sizeof(name));
		dname_to_str(ld->origin, origin, sizeof(origin));
		return perr(ld, line, "%s is outside the zone %s", name, origin);
	}
	if (type == LDNS_RR_TYPE_SOA && !dname_equal(lname, ld->origin)) {
		dname_to_str(lname, name, sizeof(name));
		return perr(ld, line, "SOA record of %s is not at the zone apex", name);
	}
	if (ld->rec_count >= UINT32_MAX || ld->rd_len + rdlen > UINT32_MAX)
		return perr(ld, line, "zone too large");
	if (owner_node(ld, lname, dname_len(lname), &node) != 0)
		return perr(ld, line, "zone too large");

	grow((void **)&ld->recs, &ld->rec_cap, ld->rec_count + 1, sizeof(*ld->recs));
	grow((void **)&ld->rd, &ld->rd_cap, ld->rd_len + rdlen, 1);
	r = &ld->recs[ld->rec_count];
	r->node = node;
	r->ttl = ttl;
	r->line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	r->rdoff = (uint32_t)ld->rd_len;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->count = count;
	memcpy(ld->rd + ld->rd_len, rd, rdlen);
	ld->rd_len += rdlen;

	if (type == LDNS_RR_TYPE_SOA) {
		if (ld->soa_rec == SIZE_MAX) {
			ld->soa_rec = ld->rec_count;
		} else {
			const struct trec *first = &ld->recs[ld->soa_rec];

			/* An identical copy is collapsed later; another one is an error. */
			if (first->rdlen != rdlen ||
			    memcmp(ld->rd + first->rdoff, ld->rd + r->rdoff, rdlen) != 0)
				return perr(
				    ld, line,
				    "second SOA record at the zone apex (first on line %lu)",
				    (unsigned long)first->line);
		}
	}
	ld->rec_count++;
	return 0;
}

static int add_record(struct loader *ld, const ldns_rr *rr, unsigned long line)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	char name[DNAME_STRLEN];
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	const ldns_rr_descriptor *desc = ldns_rr_descript(type);
	size_t rd_count = ldns_rr_rd_count(rr);
	uint8_t rd[UINT16_MAX];
	size_t rdlen = 0;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return perr(ld, line, "class other than IN");
	if (ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME || ldns_rdf_size(owner) == 0 ||
	    ldns_rdf_size(owner) > DNAME_MAXLEN)
		return perr(ld, line, "bad owner name");
	for (size_t i = 0; i < rd_count; i++)
		rdlen += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((desc != NULL && rd_count < ldns_rr_descriptor_minimum(desc)) || rdlen > UINT16_MAX) {
		uint8_t lname[DNAME_MAXLEN];

		memcpy(lname, ldns_rdf_data(owner), ldns_rdf_size(owner));
		dname_lower(lname);
		dname_to_str(lname, name, sizeof(name));
		return perr(ld, line, "record of %s has %s data", name,
			    rdlen > UINT16_MAX ? "more than 65535 bytes of" : "no");
	}
	rdlen = 0;
	for (size_t i = 0; i < rd_count; i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);

		memcpy(rd + rdlen, ldns_rdf_data(f), ldns_rdf_size(f));
		rdlen += ldns_rdf_size(f);
	}
	return add_raw(ld, ldns_rdf_data(owner), type, ldns_rr_ttl(rr), rd, rdlen, line, 1);
}

/* Records read between two progress reports. */
#define READ_PROGRESS_STEP 4096u

/* The parser's state between two records: what a later re-read by parts
 * must restore to resume parsing there. */
struct pstate {
	uint32_t ttl;     /* $TTL in force */
	ldns_rdf *origin; /* $ORIGIN in force */
	ldns_rdf *prev;   /* owner of the previous record (for a blank owner) */
	int line;         /* lines read */
};

/* Told at each record boundary of a parse (its start included): off is
 * the offset in the buffer, st the state there. Returns true to stop. */
typedef bool boundary_fn(void *arg, size_t off, const struct pstate *st);

/* Parse buf[start, len) from state st (updated) into ld, calling fn at the
 * start, every every-th record boundary and the end, until fn stops it or
 * the end of buf; *end is the offset where it stopped. ldns reads a record
 * through its closing parenthesis and its line's end, so a boundary is
 * always at the start of a line. (Telling the offset costs: not at each
 * record of a whole file.) */
static int parse_buf(struct loader *ld, const uint8_t *buf, size_t len, size_t start,
		     struct pstate *st, unsigned every, boundary_fn *fn, void *arg, size_t *end)
{
	unsigned calls = 0;
	FILE *fp = NULL;
	size_t off = start;
	int ret = 0;

	if (fn(arg, off, st))
		goto out;
	if (len > start) {
		fp = fmemopen((void *)(uintptr_t)(buf + start), len - start, "r");
		if (fp == NULL)
			return gslb_err_setc(ld->err, GSLB_EIO, "%s: %s", ld->path,
					     strerror(errno));
		/* ldns reads a byte at a time: each should not be a call down,
		 * nor take a lock (the stream is this thread's alone). */
		setvbuf(fp, NULL, _IOFBF, 1 << 16);
		__fsetlocking(fp, FSETLOCKING_BYCALLER);
	}
	off = len;
	while (fp != NULL && !feof(fp)) {
		ldns_rr *rr = NULL;
		ldns_status s =
		    ldns_rr_new_frm_fp_l(&rr, fp, &st->ttl, &st->origin, &st->prev, &st->line);
		off_t at;

		switch (s) {
		case LDNS_STATUS_OK:
			ret = add_record(ld, rr, (unsigned long)st->line);
			ldns_rr_free(rr);
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			ret = perr(ld, (unsigned long)st->line, "$INCLUDE is not supported");
			break;
		default:
			ret = perr(ld, (unsigned long)st->line, "%s", ldns_get_errorstr_by_id(s));
			break;
		}
		if (ret != 0)
			goto out;
		if (++calls < every && !feof(fp))
			continue;
		calls = 0;
		at = ftello(fp);
		off = at >= 0 && (size_t)at <= len - start ? start + (size_t)at : len;
		if (fn(arg, off, st))
			break;
	}
out:
	if (fp != NULL)
		fclose(fp);
	*end = off;
	return ret;
}

/* A record boundary of a zone file as read, with the parser's state there
 * (struct pstate); names are offsets in a names arena. */
struct zone_mark {
	size_t off;      /* byte offset in the file */
	uint32_t line;   /* lines before it */
	uint32_t ttl;    /* $TTL in force */
	uint32_t origin; /* $ORIGIN in force: offset in the arena */
	uint32_t prev;   /* previous owner: offset in the arena */
};

/* Boundaries kept: one every MARK_STEP records (and at the end). */
#define MARK_STEP 64u

/* Marks being made, with their names' arena. */
struct marks {
	struct zone_mark *v;
	size_t n, cap;
	uint8_t *names;
	size_t names_len, names_cap;
};

/* The offset of name (len bytes) in m's arena: the last one's if equal. */
static uint32_t marks_name(struct marks *m, const uint8_t *name, size_t len, uint32_t last)
{
	uint32_t off;

	if (m->n > 0 && last + len <= m->names_len && dname_len(m->names + last) == len &&
	    memcmp(m->names + last, name, len) == 0)
		return last;
	grow((void **)&m->names, &m->names_cap, m->names_len + len, 1);
	off = (uint32_t)m->names_len;
	memcpy(m->names + off, name, len);
	m->names_len += len;
	return off;
}

/* Add a mark at off with state (ttl, origin, prev, line); one at the
 * same offset as the last replaces it. */
static void marks_add(struct marks *m, size_t off, uint32_t line, uint32_t ttl,
		      const uint8_t *origin, const uint8_t *prev)
{
	struct zone_mark k;
	uint32_t lo = m->n > 0 ? m->v[m->n - 1].origin : 0, lp = m->n > 0 ? m->v[m->n - 1].prev : 0;

	if (m->n > 0 && m->v[m->n - 1].off == off)
		m->n--;
	k.off = off;
	k.line = line;
	k.ttl = ttl;
	k.origin = marks_name(m, origin, dname_len(origin), lo);
	k.prev = marks_name(m, prev, dname_len(prev), lp);
	grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = k;
}

static void marks_add_state(struct marks *m, size_t off, const struct pstate *st)
{
	marks_add(m, off, (uint32_t)st->line, st->ttl, ldns_rdf_data(st->origin),
		  ldns_rdf_data(st->prev));
}

static void marks_fini(struct marks *m)
{
	free(m->v);
	free(m->names);
}

/* Does the state st hold what mark k of names says? */
static bool state_is(const struct pstate *st, const struct zone_mark *k, const uint8_t *names)
{
	const uint8_t *o = names + k->origin, *p = names + k->prev;

	return st->ttl == k->ttl && ldns_rdf_size(st->origin) == dname_len(o) &&
	       memcmp(ldns_rdf_data(st->origin), o, dname_len(o)) == 0 &&
	       ldns_rdf_size(st->prev) == dname_len(p) &&
	       memcmp(ldns_rdf_data(st->prev), p, dname_len(p)) == 0;
}

/* Set st (its names freed first) to mark k of names. */
static void state_set(struct pstate *st, const struct zone_mark *k, const uint8_t *names)
{
	ldns_rdf_deep_free(st->origin);
	ldns_rdf_deep_free(st->prev);
	st->ttl = k->ttl;
	st->line = (int)k->line;
	st->origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, dname_len(names + k->origin),
					   names + k->origin);
	st->prev =
	    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, dname_len(names + k->prev), names + k->prev);
}

/* A whole file's parse: progress reports and (m not NULL) marks, every
 * MARK_STEP records. */
struct full_parse {
	const struct zone_source *src;
	struct marks *m;
	size_t size;
	unsigned calls; /* boundaries told */
};

static bool full_boundary(void *arg, size_t off, const struct pstate *st)
{
	struct full_parse *fp = arg;
	const struct zone_progress *pg = fp->src->progress;

	if (fp->m != NULL)
		marks_add_state(fp->m, off, st);
	if (pg != NULL && fp->calls > 0 && fp->calls % (READ_PROGRESS_STEP / MARK_STEP) == 0 &&
	    off < fp->size)
		pg->fn(pg->arg, ZONE_PROGRESS_READ, fp->src->origin, off, fp->size);
	fp->calls++;
	return false;
}

/* The initial state of a parse for origin. */
static void state_init(struct pstate *st, const uint8_t *origin, size_t origin_len)
{
	st->ttl = DEFAULT_TTL;
	st->line = 0;
	st->origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, origin_len, origin);
	st->prev = ldns_rdf_clone(st->origin);
}

static void state_fini(struct pstate *st)
{
	ldns_rdf_deep_free(st->origin);
	ldns_rdf_deep_free(st->prev);
}

/* Parse a whole file of size bytes at buf into ld; with m, mark its
 * record boundaries. */
static int parse_file(struct loader *ld, const uint8_t *buf, size_t size,
		      const struct zone_source *src, struct marks *m)
{
	const struct zone_progress *pg = src->progress;
	struct full_parse fp = {.src = src, .m = m, .size = size};
	struct pstate st;
	size_t end;
	int ret;

	state_init(&st, ld->origin, ld->origin_len);
	if (pg != NULL)
		pg->fn(pg->arg, ZONE_PROGRESS_READ, src->origin, 0, size);
	ret = parse_buf(ld, buf, size, 0, &st, MARK_STEP, full_boundary, &fp, &end);
	if (ret == 0 && m != NULL)
		marks_add_state(m, size, &st); /* the end, whatever came last */
	if (ret == 0 && pg != NULL)
		pg->fn(pg->arg, ZONE_PROGRESS_READ, src->origin, size, size);
	state_fini(&st);
	return ret;
}

/* The whole file at path into *buf (caller frees) and *len. */
static int read_whole(const char *path, uint8_t **buf, size_t *len, struct gslb_err *err)
{
	FILE *fp = fopen(path, "r");
	struct stat sb;
	size_t cap, n = 0;
	uint8_t *p;

	if (fp == NULL) {
		int e = errno;

		return gslb_err_setc(err, e == ENOENT ? GSLB_ENOENT : GSLB_EIO,
				     "%s: cannot open: %s", path, strerror(e));
	}
	cap = fstat(fileno(fp), &sb) == 0 && sb.st_size > 0 ? (size_t)sb.st_size + 1 : 65536;
	p = xmalloc(cap);
	for (;;) {
		size_t r = fread(p + n, 1, cap - n, fp);

		n += r;
		if (n < cap)
			break;
		cap *= 2;
		p = xreallocarray(p, cap, 1);
	}
	if (ferror(fp)) {
		fclose(fp);
		free(p);
		return gslb_err_setc(err, GSLB_EIO, "%s: read error", path);
	}
	fclose(fp);
	*buf = p;
	*len = n;
	return 0;
}

/* Add an empty non-terminal for every missing name between an owner and the
 * apex. Such a name is a suffix of the owner's, so it shares its bytes. */
static void add_empty_nonterminals(struct loader *ld)
{
	/* tnode_count grows inside the loop; new nodes are walked too, which is
	 * harmless: their parents exist by then. */
	for (size_t i = 0; i < ld->tnode_count; i++) {
		uint32_t off = ld->tnodes[i].name_off;
		size_t len = ld->tnodes[i].len;

		while (len > ld->origin_len) {
			const uint8_t *name = ld->names + off;
			size_t skip = 1 + (size_t)name[0];
			uint32_t hash;
			size_t slot;

			off += (uint32_t)skip;
			len -= skip;
			if (len == ld->origin_len)
				break; /* the apex always exists */
			hash = dname_hash(ld->names + off, len);
			slot = table_slot(ld, ld->names + off, len, hash);
			if (ld->table[slot] != ZONE_SLOT_EMPTY)
				break; /* it and all its ancestors exist */
			tnode_add(ld, off, len, hash, slot);
		}
	}
}

/* Canonical order (RFC 4034 6.1) of two nodes. Both names are canonical and
 * end in the origin, so only the labels in front of it are compared. */
static int cmp_node(const struct loader *ld, uint32_t a, uint32_t b)
{
	const uint8_t *na = ld->names + ld->tnodes[a].name_off;
	const uint8_t *nb = ld->names + ld->tnodes[b].name_off;
	size_t ra = ld->tnodes[a].len - ld->origin_len, rb = ld->tnodes[b].len - ld->origin_len;
	uint8_t aoffs[DNAME_MAXLABELS], boffs[DNAME_MAXLABELS];
	unsigned an = 0, bn = 0;

	for (size_t o = 0; o < ra; o += 1 + (size_t)na[o])
		aoffs[an++] = (uint8_t)o;
	for (size_t o = 0; o < rb; o += 1 + (size_t)nb[o])
		boffs[bn++] = (uint8_t)o;
	while (an > 0 && bn > 0) {
		const uint8_t *la = na + aoffs[--an], *lb = nb + boffs[--bn];
		int c = memcmp(la + 1, lb + 1, la[0] < lb[0] ? la[0] : lb[0]);

		if (c != 0)
			return c;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return an == bn ? 0 : an < bn ? -1 : 1;
}

/* Stable merge sort of n node indexes, tmp holding n / 2 + 1 entries. */
static void sort_nodes(uint32_t *v, uint32_t *tmp, size_t n, const struct loader *ld)
{
	size_t h, i, j, k;

	if (n <= 12) {
		for (i = 1; i < n; i++) {
			uint32_t x = v[i];

			for (j = i; j > 0 && cmp_node(ld, v[j - 1], x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	h = n / 2;
	sort_nodes(v, tmp, h, ld);
	sort_nodes(v + h, tmp, n - h, ld);
	if (cmp_node(ld, v[h - 1], v[h]) <= 0)
		return; /* already in order */
	memcpy(tmp, v, h * sizeof(*v));
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n)
		v[k++] = cmp_node(ld, v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

/* Records by node (its final index by then), type, then RDATA, so that an
 * RRset is contiguous and duplicates are adjacent. */
static int cmp_rec(const struct loader *ld, const struct trec *ra, const struct trec *rb)
{
	size_t min;
	int c;

	if (ra->node != rb->node)
		return ra->node < rb->node ? -1 : 1;
	if (ra->type != rb->type)
		return ra->type < rb->type ? -1 : 1;
	min = ra->rdlen < rb->rdlen ? ra->rdlen : rb->rdlen;
	c = memcmp(ld->rd + ra->rdoff, ld->rd + rb->rdoff, min);
	if (c != 0)
		return c;
	if (ra->rdlen != rb->rdlen)
		return ra->rdlen < rb->rdlen ? -1 : 1;
	return 0;
}

static void swap_rec(struct trec *a, struct trec *b)
{
	struct trec t = *a;

	*a = *b;
	*b = t;
}

/* In-place quicksort of the records (no second copy of a large array). */
static void sort_recs(const struct loader *ld, struct trec *v, size_t n)
{
	struct trec t;

	while (n > 12) {
		size_t m = n / 2;
		ptrdiff_t i = -1, j = (ptrdiff_t)n;
		struct trec pivot;

		/* Median of three, which also copes with sorted input. */
		if (cmp_rec(ld, &v[m], &v[0]) < 0)
			swap_rec(&v[m], &v[0]);
		if (cmp_rec(ld, &v[n - 1], &v[m]) < 0) {
			swap_rec(&v[n - 1], &v[m]);
			if (cmp_rec(ld, &v[m], &v[0]) < 0)
				swap_rec(&v[m], &v[0]);
		}
		pivot = v[m];
		for (;;) {
			do
				i++;
			while (cmp_rec(ld, &v[i], &pivot) < 0);
			do
				j--;
			while (cmp_rec(ld, &pivot, &v[j]) < 0);
			if (i >= j)
				break;
			swap_rec(&v[i], &v[j]);
		}
		/* [0, j] and [j + 1, n): recurse into the smaller part. */
		if ((size_t)j + 1 < n - ((size_t)j + 1)) {
			sort_recs(ld, v, (size_t)j + 1);
			v += j + 1;
			n -= (size_t)j + 1;
		} else {
			sort_recs(ld, v + j + 1, n - ((size_t)j + 1));
			n = (size_t)j + 1;
		}
	}
	for (size_t a = 1; a < n; a++) {
		size_t b;

		t = v[a];
		for (b = a; b > 0 && cmp_rec(ld, &v[b - 1], &t) > 0; b--)
			v[b] = v[b - 1];
		v[b] = t;
	}
}

/* Sort the records; those of a zone compiled again come in order but for
 * a few at the end (zone_patch()): those are sorted alone and merged in
 * from the back, moving each record at most once. */
static void sort_recs_mostly(const struct loader *ld, struct trec *v, size_t n)
{
	size_t sorted = 1, m;
	struct trec *tail;

	while (sorted < n && cmp_rec(ld, &v[sorted - 1], &v[sorted]) <= 0)
		sorted++;
	m = n - sorted;
	if (n < 2 || m == 0)
		return;
	if (m > n / 8) {
		sort_recs(ld, v, n);
		return;
	}
	tail = xmalloc(m * sizeof(*tail));
	memcpy(tail, v + sorted, m * sizeof(*tail));
	sort_recs(ld, tail, m);
	for (size_t i = sorted, k = n, t = m; t > 0;) {
		if (i > 0 && cmp_rec(ld, &v[i - 1], &tail[t - 1]) > 0)
			v[--k] = v[--i];
		else
			v[--k] = tail[--t];
	}
	free(tail);
}

/* Track the problem that comes first in the file. */
struct problem {
	unsigned long line;  /* line of the problem, ULONG_MAX while none */
	const char *what;    /* what is wrong */
	const uint8_t *name; /* at which owner name */
};

static void problem(struct problem *pb, unsigned long line, const char *what, const uint8_t *name)
{
	if (line < pb->line) {
		pb->line = line;
		pb->what = what;
		pb->name = name;
	}
}

/* Check the sorted records recs[s..e) of one node and count what they become:
 * *rrsets RRsets, *rrs records, *bytes of packed RDATA. */
static void check_node(const struct loader *ld, size_t s, size_t e, const uint8_t *name,
		       size_t *rrsets, size_t *rrs, size_t *bytes, struct problem *pb)
{
	unsigned long cname_line[2] = {ULONG_MAX, ULONG_MAX};
	unsigned long dname_line[2] = {ULONG_MAX, ULONG_MAX};
	unsigned long other_line = ULONG_MAX, ns_line = ULONG_MAX;
	size_t set_rrs = 0, types = 0;

	for (size_t k = s; k < e; k++) {
		const struct trec *r = &ld->recs[k];
		bool first_of_type = k == s || ld->recs[k - 1].type != r->type;

		if (!first_of_type && cmp_rec(ld, r - 1, r) == 0)
			continue; /* RFC 2181 5: duplicates collapse */
		if (first_of_type) {
			(*rrsets)++;
			set_rrs = 0;
			if (++types > UINT16_MAX)
				problem(pb, r->line, "too many RRsets", name);
		}
		(*rrs)++;
		*bytes += 2 + (size_t)r->rdlen;
		if (++set_rrs > UINT16_MAX)
			problem(pb, r->line, "more than 65535 records in one RRset", name);
		if (r->type == LDNS_RR_TYPE_CNAME || r->type == LDNS_RR_TYPE_DNAME) {
			unsigned long *l = r->type == LDNS_RR_TYPE_CNAME ? cname_line : dname_line;

			if (r->line < l[0]) {
				l[1] = l[0];
				l[0] = r->line;
			} else if (r->line < l[1]) {
				l[1] = r->line;
			}
		}
		if (r->type == LDNS_RR_TYPE_NS && r->line < ns_line)
			ns_line = r->line;
		if (r->type != LDNS_RR_TYPE_CNAME && r->type != LDNS_RR_TYPE_RRSIG &&
		    r->type != LDNS_RR_TYPE_NSEC) {
			if (r->line < other_line)
				other_line = r->line;
		}
	}
	if (cname_line[1] != ULONG_MAX)
		problem(pb, cname_line[1], "more than one CNAME record", name);
	if (cname_line[0] != ULONG_MAX && other_line != ULONG_MAX)
		problem(pb, cname_line[0] > other_line ? cname_line[0] : other_line,
			"CNAME and other data", name);
	/* RFC 6672 2.4: one DNAME per name, none beside a CNAME (above) and,
	 * but at the apex, none at a zone cut. */
	if (dname_line[1] != ULONG_MAX)
		problem(pb, dname_line[1], "more than one DNAME record", name);
	if (dname_line[0] != ULONG_MAX && ns_line != ULONG_MAX &&
	    !(ld->origin_len == dname_len(name) && memcmp(ld->origin, name, ld->origin_len) == 0))
		problem(pb, dname_line[0] > ns_line ? dname_line[0] : ns_line,
			"DNAME and NS (a zone cut)", name);
}

/* Is the node of the records recs[s..e) below the DNAME at *dname (the
 * last node with a DNAME, in canonical order, which puts a name's
 * descendants right after it)? RFC 6672 2.3: a DNAME owner has no
 * descendants. NSEC3 owners (hashes below the apex) are not names of the
 * zone. Updates *dname when the node has a DNAME. */
static void check_below_dname(const struct loader *ld, size_t s, size_t e, const uint8_t *name,
			      const uint8_t **dname, struct problem *pb)
{
	unsigned long line = ULONG_MAX;
	bool has_dname = false;

	for (size_t k = s; k < e; k++) {
		uint16_t type = ld->recs[k].type;

		if (type == LDNS_RR_TYPE_DNAME)
			has_dname = true;
		if (type != LDNS_RR_TYPE_NSEC3 && type != LDNS_RR_TYPE_RRSIG &&
		    ld->recs[k].line < line)
			line = ld->recs[k].line;
	}
	if (line == ULONG_MAX)
		return;
	if (*dname != NULL && !dname_equal(name, *dname) && dname_is_subdomain(name, *dname)) {
		problem(pb, line, "data below a DNAME", name);
		return;
	}
	if (has_dname)
		*dname = name;
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Equality of two names of len bytes, a word at a time for the short names
 * of the lookup path (cheaper than a call to memcmp). */
static inline bool name_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint64_t x, y;
	uint32_t u, v;

	while (len > 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
		a += 8;
		b += 8;
		len -= 8;
	}
	if (len == 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	if (len >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		memcpy(&u, a + len - 4, 4);
		memcpy(&v, b + len - 4, 4);
		return u == v;
	}
	for (size_t i = 0; i < len; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

static const struct zone_node *table_find(const struct zone *z, const uint8_t *lname, size_t len)
{
	uint32_t mask = z->table_mask;
	uint32_t slot = dname_hash(lname, len) & mask;

	for (;;) {
		uint32_t i = z->table[slot];
		const struct zone_node *n;

		if (i == ZONE_SLOT_EMPTY)
			return NULL;
		n = &z->nodes[i];
		if (n->name_len == len && name_eq(n->name, lname, len))
			return n;
		slot = (slot + 1) & mask;
	}
}

/* Steps two and three: from the loader's temporary data to the zone. The
 * order of the steps keeps the peak memory low: each temporary array is
 * freed as soon as its successor exists. */
static int build(struct loader *ld, struct zone *z)
{
	size_t n = ld->tnode_count;
	uint32_t *order = NULL, *rank = NULL, *tmp = NULL;
	struct problem pb = {.line = ULONG_MAX};
	const uint8_t *dname = NULL; /* owner of the last DNAME on the way */
	unsigned long soa_line = ld->soa_rec < ld->rec_count ? ld->recs[ld->soa_rec].line : 0;
	size_t rrsets = 0, rrs = 0, bytes = 0;
	size_t set_i = 0, rd_o = 0;

	/* Canonical order of the nodes; the apex comes first. */
	order = xmalloc(n * sizeof(*order));
	tmp = xmalloc((n / 2 + 1) * sizeof(*tmp));
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_nodes(order, tmp, n, ld);
	free(tmp);
	rank = xmalloc(n * sizeof(*rank));
	for (size_t i = 0; i < n; i++)
		rank[order[i]] = (uint32_t)i;

	/* Nodes. The names arena and the table move to the zone; table slots
	 * keep their places, only the indexes they hold are renumbered. */
	z->names = ld->names;
	ld->names = NULL;
	for (size_t s = 0; s < ld->table_size; s++) {
		if (ld->table[s] != ZONE_SLOT_EMPTY)
			ld->table[s] = rank[ld->table[s]];
	}
	z->table = ld->table;
	z->table_mask = (uint32_t)(ld->table_size - 1);
	ld->table = NULL;
	z->nodes = xcalloc(n, sizeof(*z->nodes));
	z->node_count = n;
	for (size_t i = 0; i < n; i++) {
		const struct tnode *t = &ld->tnodes[order[i]];
		struct zone_node *node = &z->nodes[i];

		node->name = z->names + t->name_off;
		node->name_len = t->len;
		node->label_count = (uint8_t)dname_label_count(node->name);
		node->flags = ZONE_NODE_EMPTY; /* until a record says otherwise */
		node->dyn_id = ZONE_DYN_NONE;  /* until mark_dynamic() */
	}
	free(ld->tnodes);
	ld->tnodes = NULL;
	free(order);

	/* Records grouped by node in canonical order, then by type. */
	for (size_t r = 0; r < ld->rec_count; r++)
		ld->recs[r].node = rank[ld->recs[r].node];
	free(rank);
	sort_recs_mostly(ld, ld->recs, ld->rec_count);
	for (size_t s = 0, e; s < ld->rec_count; s = e) {
		const uint8_t *name = z->nodes[ld->recs[s].node].name;

		for (e = s + 1; e < ld->rec_count && ld->recs[e].node == ld->recs[s].node; e++)
			;
		check_node(ld, s, e, name, &rrsets, &rrs, &bytes, &pb);
		check_below_dname(ld, s, e, name, &dname, &pb);
	}
	if (pb.line != ULONG_MAX) {
		char str[DNAME_STRLEN];

		dname_to_str(pb.name, str, sizeof(str));
		return perr(ld, pb.line, "%s at %s", pb.what, str);
	}

	/* Final RRsets and RDATA, exact size. */
	z->rrsets = xcalloc(rrsets ? rrsets : 1, sizeof(*z->rrsets));
	z->rdata = xmalloc(bytes ? bytes : 1);
	z->rrset_count = rrsets;
	z->rr_count = rrs;
	for (size_t k = 0; k < ld->rec_count; k++) {
		const struct trec *r = &ld->recs[k];
		struct zone_node *node = &z->nodes[r->node];
		bool first_of_type = k == 0 || r[-1].node != r->node || r[-1].type != r->type;
		struct zone_rrset *set;

		if (!first_of_type && cmp_rec(ld, r - 1, r) == 0) {
			/* A collapsed duplicate still counts for the TTL. */
			set = &z->rrsets[set_i - 1];
			if (r->ttl < set->ttl)
				set->ttl = r->ttl;
			set->file_count += r->count;
			continue;
		}
		if (first_of_type) {
			if (node->rrset_count == 0) {
				node->rrsets = &z->rrsets[set_i];
				node->flags &= (uint16_t)~ZONE_NODE_EMPTY;
			}
			node->rrset_count++;
			set = &z->rrsets[set_i++];
			set->type = r->type;
			set->ttl = r->ttl;
			set->rdata = z->rdata + rd_o;
		} else {
			set = &z->rrsets[set_i - 1];
		}
		if (r->ttl < set->ttl)
			set->ttl = r->ttl; /* RFC 2181 5.2: the lowest */
		set->rr_count++;
		set->file_count += r->count;
		set->rdata_len += 2 + (uint32_t)r->rdlen;
		z->rdata[rd_o] = (uint8_t)(r->rdlen >> 8);
		z->rdata[rd_o + 1] = (uint8_t)r->rdlen;
		memcpy(z->rdata + rd_o + 2, ld->rd + r->rdoff, r->rdlen);
		rd_o += 2 + (size_t)r->rdlen;
	}
	free(ld->recs);
	ld->recs = NULL;
	free(ld->rd);
	ld->rd = NULL;

	/* Flags, parents and cuts; a parent comes before its children. */
	z->nodes[0].flags |= ZONE_NODE_APEX;
	for (size_t i = 1; i < n; i++) {
		struct zone_node *node = &z->nodes[i];
		size_t plen = node->name_len - 1u - node->name[0];
		const struct zone_node *parent =
		    plen == z->nodes[0].name_len
			? &z->nodes[0]
			: table_find(z, node->name + 1 + node->name[0], plen);
		struct zone_node *p = &z->nodes[parent - z->nodes];

		node->parent = parent;
		if (parent->cut != NULL) {
			node->cut = parent->cut;
			node->flags |= ZONE_NODE_OCCLUDED;
		}
		if (zone_node_rrset(node, LDNS_RR_TYPE_NS) != NULL) {
			node->flags |= ZONE_NODE_DELEGATION;
			if (node->cut == NULL)
				node->cut = node;
		}
		if (dname_is_wildcard(node->name)) {
			node->flags |= ZONE_NODE_WILDCARD;
			p->flags |= ZONE_NODE_HAS_WILDCARD;
		}
	}

	z->soa = zone_node_rrset(&z->nodes[0], LDNS_RR_TYPE_SOA);
	if (z->soa != NULL) {
		/* RDATA: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM */
		const uint8_t *rd = z->soa->rdata + 2;
		size_t len = (size_t)z->soa->rdata[0] << 8 | z->soa->rdata[1];
		uint8_t name[DNAME_MAXLEN];
		size_t o = 0;
		uint32_t minimum;

		if (dname_unpack(rd, len, &o, name, false) < 0 ||
		    dname_unpack(rd, len, &o, name, false) < 0 || o + 20 != len)
			return perr(ld, soa_line, "malformed SOA record");
		z->serial = be32(rd + o);
		minimum = be32(rd + o + 16);
		z->negative_ttl = minimum < z->soa->ttl ? minimum : z->soa->ttl;
	}
	return 0;
}

/* A dynamic name while loading: where its owner name lies in the names
 * arena, which moves to the zone unchanged. */
struct dref {
	uint32_t name_off; /* offset of the canonical name in the names arena */
	uint8_t len;       /* name length */
};

/* Add a node for each dynamic name of src, before the empty non-terminals
 * are added (so that an empty non-terminal it names becomes its node and
 * its own ancestors are completed like those of any owner). Checks what
 * needs no cuts: the name's syntax, that it is below the origin, and that a
 * source does not list it twice. Fills dref[i] for src->dynamic[i]. */
static int add_dynamic(struct loader *ld, const struct zone_source *src, struct dref *dref)
{
	/* Nodes from here on are dynamic names; earlier ones own records. */
	uint32_t owners = (uint32_t)ld->tnode_count;

	for (size_t i = 0; i < src->dynamic_count; i++) {
		const struct zone_dynamic *d = &src->dynamic[i];
		const char *where = d->where != NULL ? d->where : ld->path;
		uint8_t lname[DNAME_MAXLEN];
		char name[DNAME_STRLEN], origin[DNAME_STRLEN];
		int len = d->name != NULL ? dname_from_str(d->name, lname) : GSLB_EPARSE;
		size_t before = ld->tnode_count;
		uint32_t node;

		if (len < 0)
			return gslb_err_set(ld->err, "%s: invalid name '%s'", where,
					    d->name != NULL ? d->name : "");
		dname_to_str(lname, name, sizeof(name));
		dname_to_str(ld->origin, origin, sizeof(origin));
		if (!dname_is_subdomain(lname, ld->origin))
			return gslb_err_set(ld->err, "%s: %s is outside the zone %s", where, name,
					    origin);
		if ((size_t)len == ld->origin_len)
			return gslb_err_set(ld->err,
					    "%s: %s is the apex of the zone; a load-balanced "
					    "name cannot be",
					    where, name);
		if (owner_node(ld, lname, (size_t)len, &node) != 0)
			return gslb_err_set(ld->err, "%s: zone too large", where);
		if (node >= owners && ld->tnode_count == before) {
			size_t j = 0;

			while (dref[j].name_off != ld->tnodes[node].name_off)
				j++;
			return gslb_err_setc(
			    ld->err, GSLB_EEXIST, "%s: %s is listed twice (first at %s)", where,
			    name, src->dynamic[j].where != NULL ? src->dynamic[j].where : ld->path);
		}
		dref[i].name_off = ld->tnodes[node].name_off;
		dref[i].len = (uint8_t)len;
	}
	return 0;
}

/* After build(): reject dynamic names at or below a cut or with records of
 * their own, then flag the nodes. */
static int mark_dynamic(struct loader *ld, const struct zone_source *src, const struct dref *dref,
			struct zone *z)
{
	for (size_t i = 0; i < src->dynamic_count; i++) {
		const struct zone_dynamic *d = &src->dynamic[i];
		const char *where = d->where != NULL ? d->where : ld->path;
		const struct zone_node *found =
		    table_find(z, z->names + dref[i].name_off, dref[i].len);
		struct zone_node *node = &z->nodes[found - z->nodes];
		char name[DNAME_STRLEN];

		dname_to_str(node->name, name, sizeof(name));
		if (node->cut != NULL) {
			char cut[DNAME_STRLEN];

			dname_to_str(node->cut->name, cut, sizeof(cut));
			return gslb_err_set(ld->err, "%s: name %s is at or below the delegation %s",
					    where, name, cut);
		}
		for (const struct zone_node *up = node->parent; up != NULL; up = up->parent) {
			if (zone_node_rrset(up, LDNS_RR_TYPE_DNAME) != NULL) {
				char dn[DNAME_STRLEN];

				dname_to_str(up->name, dn, sizeof(dn));
				return gslb_err_set(ld->err, "%s: name %s is below the DNAME at %s",
						    where, name, dn);
			}
		}
		for (uint16_t r = 0; r < node->rrset_count; r++) {
			/* Its NSEC and their signatures are what a signer gives it. */
			if (node->rrsets[r].type == LDNS_RR_TYPE_NSEC ||
			    node->rrsets[r].type == LDNS_RR_TYPE_RRSIG)
				continue;
			return gslb_err_set(ld->err,
					    "%s: %s has records in %s; a load-balanced name cannot",
					    where, name, ld->path);
		}
		/* It exists in its own right now, not only for its descendants. */
		node->flags = (uint16_t)((node->flags & ~ZONE_NODE_EMPTY) | ZONE_NODE_DYNAMIC);
		node->dyn_id = d->id;
	}
	return 0;
}

static void zone_fini(struct zone *z)
{
	if (z->keys != NULL) {
		for (size_t i = 0; i < z->keys->count; i++)
			sign_key_fini(&z->keys->keys[i]);
		free(z->keys->keys);
		free(z->keys);
	}
	free(z->nsec_nodes);
	free(z->nsec3_nodes);
	free(z->nsec3_hash);
	free(z->names);
	free(z->nodes);
	free(z->rrsets);
	free(z->rdata);
	free(z->table);
	free(z->image);
	free(z->marks);
	free(z->mark_names);
}

static void loader_fini(struct loader *ld)
{
	free(ld->names);
	free(ld->tnodes);
	free(ld->table);
	free(ld->recs);
	free(ld->rd);
}

/* From the parsed records of ld on: the dynamic names, the empty
 * non-terminals, the compiled zone z. */
static int finish(struct loader *ld, const struct zone_source *src, struct zone *z)
{
	struct dref *dref = NULL;
	int ret = 0;

	if (src->dynamic_count > 0) {
		dref = xcalloc(src->dynamic_count, sizeof(*dref));
		ret = add_dynamic(ld, src, dref);
		if (ret != 0)
			goto out;
	}
	/* No more names: give back the slack of the arena. */
	ld->names = xreallocarray(ld->names, ld->names_len, 1);
	ld->names_cap = ld->names_len;
	add_empty_nonterminals(ld);
	ret = build(ld, z);
	if (ret == 0)
		ret = mark_dynamic(ld, src, dref, z);
out:
	free(dref);
	return ret;
}

/* *ld empty, for src's zone at origin. */
static void loader_reset(struct loader *ld, const struct zone_source *src, const uint8_t *origin,
			 size_t origin_len, struct gslb_err *err)
{
	memset(ld, 0, sizeof(*ld));
	ld->path = src->path;
	ld->origin = origin;
	ld->origin_len = origin_len;
	ld->err = err;
	ld->soa_rec = SIZE_MAX;
	ld->last_node = UINT32_MAX;
}

static void loader_init(struct loader *ld, const struct zone_source *src, const uint8_t *origin,
			size_t origin_len, struct gslb_err *err)
{
	uint32_t apex;

	loader_reset(ld, src, origin, origin_len, err);
	ld->table_size = 1024;
	ld->table = xmalloc(ld->table_size * sizeof(*ld->table));
	memset(ld->table, 0xff, ld->table_size * sizeof(*ld->table));
	/* The apex node first, so that it exists even in a zone without records. */
	owner_node(ld, origin, origin_len, &apex);
}

/* The NSEC3 chain: its parameters from the apex's NSEC3PARAM, its owners
 * flagged (they are not names of the zone) and indexed by hash. */
static void index_nsec3(struct zone *z)
{
	const struct zone_rrset *param = zone_node_rrset(&z->nodes[0], LDNS_RR_TYPE_NSEC3PARAM);
	size_t n = 0;

	if (param == NULL || param->rdata_len < 7 || param->rdata[2] != 1)
		return;
	z->nsec3.iterations = (uint16_t)(param->rdata[4] << 8 | param->rdata[5]);
	z->nsec3.salt_len = param->rdata[6];
	if (7u + z->nsec3.salt_len > param->rdata_len)
		return;
	memcpy(z->nsec3_salt, param->rdata + 7, z->nsec3.salt_len);
	z->nsec3.salt = z->nsec3_salt;
	for (size_t i = 0; i < z->node_count; i++) {
		if (zone_node_rrset(&z->nodes[i], LDNS_RR_TYPE_NSEC3) != NULL)
			n++;
	}
	if (n == 0)
		return;
	z->nsec3_nodes = xmalloc(n * sizeof(*z->nsec3_nodes));
	z->nsec3_hash = xmalloc(n * sizeof(*z->nsec3_hash));
	for (size_t i = 0; i < z->node_count; i++) {
		struct zone_node *node = &z->nodes[i];
		const struct zone_rrset *rs = zone_node_rrset(node, LDNS_RR_TYPE_NSEC3);

		if (rs == NULL || node->parent != &z->nodes[0] ||
		    !sign_base32hex_decode(node->name + 1, node->name[0],
					   z->nsec3_hash[z->nsec3_count]))
			continue;
		if (rs->rdata_len > 3 && (rs->rdata[3] & 1) != 0)
			z->nsec3.opt_out = true;
		node->flags |= ZONE_NODE_NSEC3;
		z->nsec3_nodes[z->nsec3_count++] = (uint32_t)i;
	}
	/* Nodes are in canonical order, and base32hex keeps the order of the hashes. */
	z->has_nsec3 = z->nsec3_count > 0;
}

/* The nodes with an NSEC RRset, for zone_nsec_covering(). */
static void index_nsec(struct zone *z)
{
	size_t n = 0;

	for (size_t i = 0; i < z->node_count; i++) {
		for (uint16_t r = 0; r < z->nodes[i].rrset_count; r++) {
			if (z->nodes[i].rrsets[r].type == LDNS_RR_TYPE_RRSIG)
				z->is_signed = true;
			if (z->nodes[i].rrsets[r].type == LDNS_RR_TYPE_NSEC)
				n++;
		}
	}
	index_nsec3(z);
	if (n == 0)
		return;
	z->nsec_nodes = xmalloc(n * sizeof(*z->nsec_nodes));
	for (size_t i = 0; i < z->node_count; i++) {
		if (zone_node_rrset(&z->nodes[i], LDNS_RR_TYPE_NSEC) != NULL)
			z->nsec_nodes[z->nsec_count++] = (uint32_t)i;
	}
}

/* Load the keys of src->dnssec for z. */
static int load_keys(const struct zone_source *src, const struct zone *z, struct sign_keys **out,
		     struct gslb_err *err)
{
	const struct zone_dnssec *d = src->dnssec;
	struct sign_keys *ks = xcalloc(1, sizeof(*ks));
	uint32_t now = d->now != 0 ? d->now : (uint32_t)time(NULL);
	int rc = 0;

	ks->keys = xcalloc(d->key_count > 0 ? d->key_count : 1, sizeof(*ks->keys));
	ks->origin_len = dname_len(z->nodes[0].name);
	memcpy(ks->origin, z->nodes[0].name, ks->origin_len);
	ks->inception = now - d->inception;
	ks->expiration = now + d->validity;
	ks->now = now;
	ks->refresh = d->refresh;
	ks->jitter = d->jitter < d->validity ? d->jitter : 0;
	ks->batch = ks->jitter / 8;
	for (size_t i = 0; i < d->key_count && rc == 0; i++) {
		struct gslb_err kerr = {{0}};

		rc = sign_key_load(d->keys[i].path, ks->origin, d->keys[i].active, &ks->keys[i],
				   &kerr);
		if (rc != 0) {
			gslb_err_setc(err, rc, "%s: %s",
				      d->keys[i].where != NULL ? d->keys[i].where : src->path,
				      kerr.msg);
			break;
		}
		ks->count++;
		for (size_t j = 0; j < i; j++) {
			if (ks->keys[j].tag == ks->keys[i].tag &&
			    ks->keys[j].alg == ks->keys[i].alg &&
			    ks->keys[j].dnskey_len == ks->keys[i].dnskey_len &&
			    memcmp(ks->keys[j].dnskey, ks->keys[i].dnskey,
				   ks->keys[i].dnskey_len) == 0) {
				rc = gslb_err_set(err, "%s: the same key is listed twice",
						  d->keys[i].where != NULL ? d->keys[i].where
									   : src->path);
				break;
			}
		}
	}
	if (rc == 0 && (rc = sign_keys_roles(ks, err)) != 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		gslb_err_set(err, "%s: %s", d->key_count > 0 && d->keys[0].where != NULL
						? d->keys[0].where : src->path, msg);
	}
	if (rc != 0) {
		for (size_t i = 0; i < ks->count; i++)
			sign_key_fini(&ks->keys[i]);
		free(ks->keys);
		free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

/* Copies of the keys of the zone loaded before, with the signing times of
 * src->dnssec: the keys as loaded, no file read. */
static struct sign_keys *copy_keys(const struct zone_source *src, const struct sign_keys *from)
{
	const struct zone_dnssec *d = src->dnssec;
	struct sign_keys *ks = xcalloc(1, sizeof(*ks));
	uint32_t now = d->now != 0 ? d->now : (uint32_t)time(NULL);

	*ks = *from;
	ks->keys = xcalloc(from->count > 0 ? from->count : 1, sizeof(*ks->keys));
	for (size_t i = 0; i < from->count; i++)
		sign_key_copy(&ks->keys[i], &from->keys[i]);
	ks->inception = now - d->inception;
	ks->expiration = now + d->validity;
	ks->now = now;
	ks->refresh = d->refresh;
	ks->jitter = d->jitter < d->validity ? d->jitter : 0;
	ks->batch = ks->jitter / 8;
	return ks;
}

/* Records a signer adds, left out when a zone signed here is signed again:
 * RRSIG, NSEC, NSEC3, NSEC3PARAM and the DNSKEYs of its keys (the file's
 * other DNSKEYs stay). */
static bool made_by_signer(const struct zone *cur, const struct zone_node *n, uint16_t type,
			   const uint8_t *rd, uint16_t len)
{
	if (type == LDNS_RR_TYPE_RRSIG || type == LDNS_RR_TYPE_NSEC ||
	    type == LDNS_RR_TYPE_NSEC3 || type == LDNS_RR_TYPE_NSEC3PARAM)
		return true;
	if (type != LDNS_RR_TYPE_DNSKEY || n != &cur->nodes[0])
		return false;
	for (size_t k = 0; k < cur->keys->count; k++) {
		const struct sign_key *key = &cur->keys->keys[k];

		if (key->dnskey_len == len && memcmp(key->dnskey, rd, len) == 0)
			return true;
	}
	return false;
}

/* Add every record of the compiled zone z to ld, but with drop_signed
 * those the signer made (made_by_signer()), and with hit (a bit per RRset
 * of z) those of the RRsets flagged. Returns 0 or add_raw()'s error. */
static int add_records_hit(struct loader *ld, const struct zone *z, bool drop_signed,
			   const uint8_t *hit)
{
	int rc = 0;

	for (size_t i = 0; i < z->node_count && rc == 0; i++) {
		const struct zone_node *n = &z->nodes[i];

		for (uint16_t r = 0; r < n->rrset_count && rc == 0; r++) {
			const struct zone_rrset *rs = &n->rrsets[r];
			size_t x = (size_t)(rs - z->rrsets);
			const uint8_t *rd;
			uint32_t pos = 0;
			uint16_t len;

			if (hit != NULL && (hit[x / 8] & (1u << (x % 8))))
				continue;
			while (rc == 0 && (rd = zone_rrset_next(rs, &pos, &len)) != NULL) {
				if (drop_signed && made_by_signer(z, n, rs->type, rd, len))
					continue;
				/* The RRset's first record stands for all its file's. */
				rc = add_raw(ld, n->name, rs->type, rs->ttl, rd, len, 0,
					     pos == 2u + len ? rs->file_count : 0);
			}
		}
	}
	return rc;
}

static int add_records(struct loader *ld, const struct zone *z, bool drop_signed)
{
	return add_records_hit(ld, z, drop_signed, NULL);
}

static int add_records_but(struct loader *ld, const struct zone *z, const uint8_t *hit)
{
	return add_records_hit(ld, z, false, hit);
}

uint32_t zone_serial_next(enum zone_serial_policy p, uint32_t serial, uint32_t now)
{
	uint32_t want;

	switch (p) {
	case ZONE_SERIAL_KEEP:
		return serial;
	case ZONE_SERIAL_UNIXTIME:
		want = now;
		break;
	case ZONE_SERIAL_DATESERIAL: {
		time_t t = (time_t)now;
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL)
			return serial + 1;
		want = (uint32_t)(tm.tm_year + 1900) * 1000000u +
		       (uint32_t)(tm.tm_mon + 1) * 10000u + (uint32_t)tm.tm_mday * 100u;
		break;
	}
	default:
		return serial + 1;
	}
	return zone_serial_newer(want, serial) ? want : serial + 1;
}

/* Write serial into z's SOA (z is being built: its arena is its own). */
static void set_serial(struct zone *z, uint32_t serial)
{
	uint8_t *rd = (uint8_t *)(uintptr_t)z->soa->rdata + 2;
	size_t len = (size_t)z->soa->rdata[0] << 8 | z->soa->rdata[1], o = 0;
	uint8_t name[DNAME_MAXLEN];

	if (dname_unpack(rd, len, &o, name, false) < 0 ||
	    dname_unpack(rd, len, &o, name, false) < 0 || o + 20 != len)
		return; /* finish() checked it */
	rd[o] = (uint8_t)(serial >> 24);
	rd[o + 1] = (uint8_t)(serial >> 16);
	rd[o + 2] = (uint8_t)(serial >> 8);
	rd[o + 3] = (uint8_t)serial;
	z->serial = serial;
}

/* The serial policy of src for z, about to be signed, when before (NULL:
 * none) or the serial src names was served before. */
static void apply_serial_policy(const struct zone_source *src, struct zone *z,
				const struct zone *before)
{
	const struct zone_dnssec *d = src->dnssec;
	uint32_t last, now, serial;

	if (d->serial_policy == ZONE_SERIAL_KEEP || z->soa == NULL)
		return;
	if (before != NULL && before->soa != NULL)
		last = before->serial;
	else if (d->has_serial_before)
		last = d->serial_before;
	else
		return;
	if (zone_serial_newer(z->serial, last))
		return; /* the file's serial moved on: it stands */
	now = d->now != 0 ? d->now : (uint32_t)time(NULL);
	serial = zone_serial_next(d->serial_policy, last, now);
	log_info("zone %s: serial %u (file %u, served before %u)", src->origin, serial, z->serial,
		 last);
	set_serial(z, serial);
}

/* Sign the unsigned zone *z: add the DNSKEY, NSEC and RRSIG records by
 * compiling it again with them. The keys are read from src's files, or,
 * with keep_keys, copied from prev (a re-signing that reads nothing). */
static int sign_zone(const struct zone_source *src, struct zone *z, const struct zone *prev,
		     bool keep_keys, struct gslb_err *err)
{
	struct zone_extras ex = {0};
	struct sign_keys *ks;
	struct loader ld;
	struct zone signed_z;
	uint32_t min_expire;
	size_t reused;
	int rc = 0;

	if (keep_keys)
		ks = copy_keys(src, prev->keys);
	else
		rc = load_keys(src, z, &ks, err);
	if (rc != 0)
		return rc;
	apply_serial_policy(src, z, prev);
	rc = zone_sign_extras(z, ks, src, prev != NULL && prev->keys != NULL ? prev : NULL, &ex,
			      err);
	if (rc != 0) {
		zone_extras_fini(&ex);
		z->keys = ks; /* freed with z */
		return rc;
	}
	memset(&signed_z, 0, sizeof(signed_z));
	loader_init(&ld, src, z->nodes[0].name, dname_len(z->nodes[0].name), err);
	rc = add_records(&ld, z, false);
	for (size_t i = 0; i < ex.n && rc == 0; i++)
		rc = add_raw(&ld, ex.v[i].owner, ex.v[i].type, ex.v[i].ttl, ex.rd + ex.v[i].rdoff,
			     ex.v[i].rdlen, 0, 1);
	/* The owners point into z: done with it only now. */
	if (rc == 0)
		rc = finish(&ld, src, &signed_z);
	min_expire = ex.min_expire;
	reused = ex.reused;
	zone_extras_fini(&ex);
	loader_fini(&ld);
	if (rc != 0) {
		zone_fini(&signed_z);
		z->keys = ks;
		return rc;
	}
	zone_fini(z);
	*z = signed_z;
	z->keys = ks;
	z->sig_expire = min_expire != 0 ? min_expire : ks->expiration;
	if (reused > 0)
		log_info("zone %s: %zu signatures kept from the zone loaded before", src->origin,
			 reused);
	return 0;
}

/* Zone z from the file's size bytes at buf (taken: kept by an unsigned
 * zone for a later re-read by parts, else freed). */
static int zone_load(const struct zone_source *src, const uint8_t *origin, size_t origin_len,
		     struct zone *z, const struct zone *prev, uint8_t *buf, size_t size,
		     struct gslb_err *err)
{
	struct loader ld;
	struct marks m = {0};
	bool keep = src->dnssec == NULL;
	int ret;

	loader_init(&ld, src, origin, origin_len, err);
	ret = parse_file(&ld, buf, size, src, keep ? &m : NULL);
	if (ret != 0)
		goto out;
	if (ld.soa_rec == SIZE_MAX) {
		char name[DNAME_STRLEN];

		dname_to_str(origin, name, sizeof(name));
		ret = perr(&ld, 1, "no SOA record at the zone apex %s", name);
		goto out;
	}
	ret = finish(&ld, src, z);
	if (ret != 0)
		goto out;
	index_nsec(z);
	if (z->is_signed) {
		char name[DNAME_STRLEN];

		dname_to_str(origin, name, sizeof(name));
		log_info("zone %s: %s holds signatures: served as it is%s", name, src->path,
			 src->dnssec != NULL ? ", its dnssec keys unused" : "");
	} else if (src->dnssec != NULL) {
		loader_fini(&ld);
		memset(&ld, 0, sizeof(ld));
		ret = sign_zone(src, z, prev, false, err);
		if (ret == 0)
			index_nsec(z);
	} else if (keep) {
		z->image = buf;
		z->image_len = size;
		buf = NULL;
		z->marks = m.v;
		z->mark_count = m.n;
		z->mark_names = m.names;
		m.v = NULL;
		m.names = NULL;
	}
out:
	free(buf);
	marks_fini(&m);
	loader_fini(&ld);
	return ret;
}

/* A re-read by parts under way: the zone read before (its file's bytes
 * and marks), the new file, and the marks made for it. */
struct patch {
	const struct zone *pz;
	const uint8_t *buf; /* the new file */
	size_t len;
	struct marks nm; /* its marks */
	uint64_t *index; /* old chunks by the hash of their first PATCH_KEY bytes:
			  * hash << 32 | chunk, sorted */
	size_t index_count;
	size_t i;       /* the old mark where the changed part began */
	size_t j;       /* the old mark where it ends (SIZE_MAX: not found) */
	size_t start;   /* where it began in the new file */
	size_t budget;  /* new bytes a changed part may span before the whole file is read */
	unsigned calls; /* parser calls in this part */
};

#define PATCH_KEY 16u

static uint32_t key_hash(const uint8_t *p)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < PATCH_KEY; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* May the old chunk t (marks t to t + 1) stand at offset off of the new
 * file, parsed from state st? Same bytes, same state at its start, and a
 * chunk that does not end a line only as the end of both files. */
static bool chunk_fits(const struct patch *pt, size_t t, size_t off, const struct pstate *st)
{
	const struct zone_mark *mk = pt->pz->marks;
	const uint8_t *old = pt->pz->image;
	size_t a = mk[t].off, b = mk[t + 1].off, clen = b - a;

	if (pt->len - off < clen || memcmp(pt->buf + off, old + a, clen) != 0)
		return false;
	if (clen > 0 && old[b - 1] != '\n' && !(b == pt->pz->image_len && off + clen == pt->len))
		return false;
	return st == NULL || state_is(st, &mk[t], pt->pz->mark_names);
}

/* At a record boundary of a changed part of the new file: do the old
 * chunks resume here (the first that fits after the one the part began
 * at), or does the new file end? */
static bool part_boundary(void *arg, size_t off, const struct pstate *st)
{
	struct patch *pt = arg;
	size_t k = pt->pz->mark_count - 1;

	if (pt->calls > 0 && pt->calls % MARK_STEP == 0)
		marks_add_state(&pt->nm, off, st);
	pt->calls++;
	if (off >= pt->len) {
		pt->j = k;
		return true;
	}
	if (off - pt->start > pt->budget)
		return true; /* too much changed: read it all */
	if (pt->len - off >= PATCH_KEY) {
		uint64_t h = key_hash(pt->buf + off);
		size_t lo = 0, hi = pt->index_count;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (pt->index[mid] >> 32 < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < pt->index_count && pt->index[lo] >> 32 == h; lo++) {
			size_t t = (uint32_t)pt->index[lo];

			if (t > pt->i && chunk_fits(pt, t, off, st)) {
				pt->j = t;
				return true;
			}
		}
	}
	return false;
}

/* Stop at offset *arg. */
static bool stop_at(void *arg, size_t off, const struct pstate *st)
{
	(void)st;
	return off >= *(const size_t *)arg;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Make room in ld for nodes names, recs records and rd bytes of RDATA. */
static void loader_reserve(struct loader *ld, size_t nodes, size_t recs, size_t rd)
{
	size_t size = ld->table_size;

	grow((void **)&ld->tnodes, &ld->tnode_cap, nodes, sizeof(*ld->tnodes));
	grow((void **)&ld->recs, &ld->rec_cap, recs, sizeof(*ld->recs));
	grow((void **)&ld->rd, &ld->rd_cap, rd, 1);
	while (nodes * 10 > size * 7)
		size *= 2;
	if (size != ld->table_size)
		table_rehash(ld, size);
}

/* ld (zeroed) made to hold pz's nodes, with the same indexes and names,
 * and the records of its RRsets but those flagged in hit; no hashing nor
 * name handling, as they are known good. Returns false, with ld left for
 * loader_fini(), when a node would be left without records (it may have
 * to go, and the zone be compiled from its records instead). ldn holds the
 * records that will be added to it. */
static bool loader_from_zone(struct loader *ld, const struct zone *pz, const uint8_t *hit,
			     const struct loader *ldn, const struct zone_source *src,
			     const uint8_t *origin, size_t origin_len, struct gslb_err *err)
{
	size_t names_len = 0, rd_len = 0;

	loader_reset(ld, src, origin, origin_len, err);
	for (size_t n = 0; n < pz->node_count; n++) {
		const struct zone_node *node = &pz->nodes[n];
		size_t end = (size_t)(node->name - pz->names) + node->name_len;
		bool left = node->rrset_count == 0;

		if (end > names_len)
			names_len = end;
		for (uint16_t r = 0; r < node->rrset_count && !left; r++) {
			size_t x = (size_t)(&node->rrsets[r] - pz->rrsets);

			left = !(hit[x / 8] & (1u << (x % 8)));
		}
		if (!left) {
			/* All its RRsets change: do the new parts give it any? */
			uint32_t h = dname_hash(node->name, node->name_len);

			if (ldn->table[table_slot(ldn, node->name, node->name_len, h)] ==
			    ZONE_SLOT_EMPTY)
				return false;
		}
	}
	if (pz->rrset_count > 0)
		rd_len = (size_t)(pz->rrsets[pz->rrset_count - 1].rdata - pz->rdata) +
			 pz->rrsets[pz->rrset_count - 1].rdata_len;
	ld->names = xmalloc(names_len ? names_len : 1);
	memcpy(ld->names, pz->names, names_len);
	ld->names_len = ld->names_cap = names_len;
	ld->table_size = (size_t)pz->table_mask + 1;
	ld->table = xmalloc(ld->table_size * sizeof(*ld->table));
	memcpy(ld->table, pz->table, ld->table_size * sizeof(*ld->table));
	grow((void **)&ld->tnodes, &ld->tnode_cap, pz->node_count + ldn->tnode_count,
	     sizeof(*ld->tnodes));
	grow((void **)&ld->recs, &ld->rec_cap, pz->rr_count + ldn->rec_count + 1,
	     sizeof(*ld->recs));
	grow((void **)&ld->rd, &ld->rd_cap, rd_len + ldn->rd_len + 1, 1);
	for (size_t n = 0; n < pz->node_count; n++) {
		const struct zone_node *node = &pz->nodes[n];
		struct tnode *t = &ld->tnodes[n];

		t->name_off = (uint32_t)(node->name - pz->names);
		t->len = node->name_len;
		t->hash = dname_hash(node->name, node->name_len);
		for (uint16_t r = 0; r < node->rrset_count; r++) {
			const struct zone_rrset *rs = &node->rrsets[r];
			size_t x = (size_t)(rs - pz->rrsets);
			const uint8_t *rd;
			uint32_t pos = 0;
			uint16_t len;

			if (hit[x / 8] & (1u << (x % 8)))
				continue;
			while ((rd = zone_rrset_next(rs, &pos, &len)) != NULL) {
				struct trec *tr = &ld->recs[ld->rec_count];

				if (rs->type == LDNS_RR_TYPE_SOA && n == 0 &&
				    ld->soa_rec == SIZE_MAX)
					ld->soa_rec = ld->rec_count;
				tr->node = (uint32_t)n;
				tr->ttl = rs->ttl;
				tr->line = 0;
				tr->rdoff = (uint32_t)ld->rd_len;
				tr->type = rs->type;
				tr->rdlen = len;
				/* The RRset's first record stands for all its file's. */
				tr->count = pos == 2u + len ? rs->file_count : 0;
				memcpy(ld->rd + ld->rd_len, rd, len);
				ld->rd_len += len;
				ld->rec_count++;
			}
		}
	}
	ld->tnode_count = pz->node_count;
	return true;
}

/* The RRset of pz the record r of ld belongs to, or NULL. */
static const struct zone_rrset *rec_rrset(const struct zone *pz, const struct loader *ld,
					  const struct trec *r)
{
	const struct tnode *t = &ld->tnodes[r->node];
	const struct zone_node *n = table_find(pz, ld->names + t->name_off, t->len);

	return n != NULL ? zone_node_rrset(n, r->type) : NULL;
}

/* Zone z from pz (read from src's file before, unsigned, with its bytes
 * kept) and the new file's size bytes at buf: only the parts of the file
 * that differ are parsed, the old records there taken out of pz and the
 * new ones put in. The result is the zone a full read gives: the parts
 * between are the same bytes parsed from the same state; an RRset the
 * changed parts touch must have all its records there (its file_count),
 * so that the records elsewhere are known. Returns 0 (buf taken), or 1
 * with *why set when the file must be read in full (z untouched, buf not
 * taken). */
static int zone_patch(const struct zone_source *src, const uint8_t *origin, size_t origin_len,
		      struct zone *z, const struct zone *pz, uint8_t *buf, size_t len,
		      const char **why, struct gslb_err *err)
{
	const struct zone_mark *mk = pz->marks;
	const uint8_t *old = pz->image;
	size_t k = pz->mark_count - 1, i = 0, q = 0, parts = 0, bytes = 0;
	uint32_t nline = 0;
	struct patch pt = {.pz = pz, .buf = buf, .len = len, .budget = len / 4 + 4096};
	struct loader ldo, ldn, ld;
	struct pstate st, ost;
	uint32_t *idx = NULL;
	uint8_t *hit = NULL;
	bool last_part = false;
	struct gslb_err perr_ = {""};
	int ret = 1;

	*why = NULL;
	loader_init(&ldo, src, origin, origin_len, &perr_);
	loader_init(&ldn, src, origin, origin_len, &perr_);
	memset(&ld, 0, sizeof(ld));
	state_init(&st, origin, origin_len);
	state_init(&ost, origin, origin_len);

	/* The old chunks by their first bytes. */
	pt.index = xcalloc(k + 1, sizeof(*pt.index));
	for (size_t t = 0; t < k; t++) {
		if (mk[t + 1].off - mk[t].off >= PATCH_KEY)
			pt.index[pt.index_count++] =
			    (uint64_t)key_hash(old + mk[t].off) << 32 | (uint32_t)t;
	}
	qsort(pt.index, pt.index_count, sizeof(*pt.index), cmp_u64);

	while (i < k || q < len) {
		size_t p, e, target;

		if (i < k && chunk_fits(&pt, i, q, NULL)) {
			marks_add(&pt.nm, q, nline, mk[i].ttl, pz->mark_names + mk[i].origin,
				  pz->mark_names + mk[i].prev);
			nline += mk[i + 1].line - mk[i].line;
			q += mk[i + 1].off - mk[i].off;
			i++;
			last_part = false;
			continue;
		}
		/* A changed part: the new file parsed from q until old chunks
		 * fit again, and the old bytes it replaces. */
		state_set(&st, &mk[i], pz->mark_names);
		st.line = (int)nline;
		marks_add_state(&pt.nm, q, &st);
		pt.i = i;
		pt.j = SIZE_MAX;
		pt.start = q;
		pt.calls = 0;
		if (parse_buf(&ldn, buf, len, q, &st, 1, part_boundary, &pt, &p) != 0) {
			*why = "a changed part does not parse";
			goto out;
		}
		if (pt.j == SIZE_MAX) {
			*why = "too much changed";
			goto out;
		}
		state_set(&ost, &mk[i], pz->mark_names);
		target = mk[pt.j].off;
		if (parse_buf(&ldo, old, pz->image_len, mk[i].off, &ost, 1, stop_at, &target, &e) !=
			0 ||
		    e != target) {
			*why = "the file read before does not parse again";
			goto out;
		}
		parts++;
		bytes += p - q;
		nline = (uint32_t)st.line;
		i = pt.j;
		q = p;
		last_part = true;
	}
	if (last_part)
		marks_add_state(&pt.nm, len, &st);
	else
		marks_add(&pt.nm, len, nline, mk[k].ttl, pz->mark_names + mk[k].origin,
			  pz->mark_names + mk[k].prev);
	for (size_t t = 1; t + 1 < pt.nm.n; t++) {
		if (buf[pt.nm.v[t].off - 1] != '\n') {
			*why = "a record boundary is not at a line start";
			goto out;
		}
	}

	/* The RRsets the old parts held must be there whole, and the new parts
	 * may only touch those or new ones. */
	hit = xcalloc(pz->rrset_count / 8 + 1, 1);
	idx = xcalloc(ldo.rec_count + 1, sizeof(*idx));
	for (size_t r = 0; r < ldo.rec_count; r++) {
		const struct zone_rrset *rs = rec_rrset(pz, &ldo, &ldo.recs[r]);

		if (rs == NULL) {
			*why = "a record read before is not in the zone";
			goto out;
		}
		idx[r] = (uint32_t)(rs - pz->rrsets);
	}
	qsort(idx, ldo.rec_count, sizeof(*idx), cmp_u32);
	for (size_t s = 0, e; s < ldo.rec_count; s = e) {
		for (e = s + 1; e < ldo.rec_count && idx[e] == idx[s]; e++)
			;
		if (pz->rrsets[idx[s]].file_count != e - s) {
			*why = "an RRset the change touches has records elsewhere in the file";
			goto out;
		}
		hit[idx[s] / 8] |= (uint8_t)(1u << (idx[s] % 8));
	}
	for (size_t r = 0; r < ldn.rec_count; r++) {
		const struct zone_rrset *rs = rec_rrset(pz, &ldn, &ldn.recs[r]);
		size_t x = rs != NULL ? (size_t)(rs - pz->rrsets) : 0;

		if (rs != NULL && !(hit[x / 8] & (1u << (x % 8)))) {
			*why = "an RRset the change touches has records elsewhere in the file";
			goto out;
		}
	}

	/* The zone: pz's records but those RRsets', and the new parts'. */
	if (!loader_from_zone(&ld, pz, hit, &ldn, src, origin, origin_len, &perr_)) {
		loader_fini(&ld);
		loader_init(&ld, src, origin, origin_len, &perr_);
		loader_reserve(&ld, pz->node_count + ldn.tnode_count, pz->rr_count + ldn.rec_count,
			       (size_t)(pz->rrsets[pz->rrset_count - 1].rdata - pz->rdata) +
				   pz->rrsets[pz->rrset_count - 1].rdata_len + ldn.rd_len);
		if (add_records_but(&ld, pz, hit) != 0) {
			*why = "the zone does not compile";
			goto out;
		}
	}
	for (size_t r = 0; r < ldn.rec_count; r++) {
		const struct trec *t = &ldn.recs[r];

		if (add_raw(&ld, ldn.names + ldn.tnodes[t->node].name_off, t->type, t->ttl,
			    ldn.rd + t->rdoff, t->rdlen, t->line, 1) != 0) {
			*why = "the zone does not compile";
			goto out;
		}
	}
	if (ld.soa_rec == SIZE_MAX || finish(&ld, src, z) != 0) {
		zone_fini(z);
		memset(z, 0, sizeof(*z));
		*why = "the zone does not compile";
		goto out;
	}
	index_nsec(z);
	if (z->is_signed) {
		zone_fini(z);
		memset(z, 0, sizeof(*z));
		*why = "the file holds signatures now";
		goto out;
	}
	z->image = buf;
	z->image_len = len;
	z->marks = pt.nm.v;
	z->mark_count = pt.nm.n;
	z->mark_names = pt.nm.names;
	pt.nm.v = NULL;
	pt.nm.names = NULL;
	log_info("zone %s: %s re-read by parts: %zu changed part(s), %zu of %zu bytes parsed, "
		 "%zu records out, %zu in",
		 src->origin, src->path, parts, bytes, len, ldo.rec_count, ldn.rec_count);
	ret = 0;
out:
	(void)err;
	free(hit);
	free(idx);
	free(pt.index);
	marks_fini(&pt.nm);
	state_fini(&st);
	state_fini(&ost);
	loader_fini(&ldo);
	loader_fini(&ldn);
	loader_fini(&ld);
	return ret;
}

/* Read zone z from src's file: by parts from pz when it allows
 * (zone_patch()), else in full. *parts tells which. */
static int zone_read(const struct zone_source *src, const uint8_t *origin, size_t origin_len,
		     struct zone *z, const struct zone *pz, bool may_patch, int *parts,
		     struct gslb_err *err)
{
	const struct zone_progress *pg = src->progress;
	const char *why = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = read_whole(src->path, &buf, &len, err);

	*parts = 0;
	if (ret != 0)
		return ret;
	if (may_patch && pz != NULL && pz->image != NULL && pz->mark_count > 0 &&
	    pz->rrset_count > 0) {
		if (pg != NULL)
			pg->fn(pg->arg, ZONE_PROGRESS_READ, src->origin, 0, len);
		if (zone_patch(src, origin, origin_len, z, pz, buf, len, &why, err) == 0) {
			if (pg != NULL)
				pg->fn(pg->arg, ZONE_PROGRESS_READ, src->origin, len, len);
			*parts = 1;
			return 0;
		}
		log_info("zone %s: %s read in full: %s", src->origin, src->path, why);
		*parts = -1;
	}
	return zone_load(src, origin, origin_len, z, pz, buf, len, err);
}

/* Zone z from the compiled zone cur, read from nothing but cur: a zone
 * signed here is unsigned and signed again with its keys (keeping the
 * signatures that are still good for longer than refresh); any other is
 * compiled again as it is. src gives the dynamic names and the signing
 * parameters; its files are not read. */
static int zone_resign(const struct zone_source *src, const uint8_t *origin, size_t origin_len,
		       struct zone *z, const struct zone *cur, struct gslb_err *err)
{
	bool resign = cur->keys != NULL && src->dnssec != NULL;
	struct loader ld;
	int ret = 0;

	loader_init(&ld, src, origin, origin_len, err);
	ret = add_records(&ld, cur, resign);
	if (ret == 0)
		ret = finish(&ld, src, z);
	if (ret == 0)
		index_nsec(z);
	loader_fini(&ld);
	if (ret == 0 && resign) {
		ret = sign_zone(src, z, cur, true, err);
		if (ret == 0)
			index_nsec(z);
	}
	return ret;
}

static size_t set_slot(const struct zone_set *set, const uint8_t *lname, size_t len)
{
	uint32_t mask = set->table_mask;
	uint32_t slot = dname_hash(lname, len) & mask;

	for (;;) {
		uint32_t i = set->table[slot];

		if (i == ZONE_SLOT_EMPTY)
			return slot;
		if (set->zones[i]->node_count > 0) {
			const struct zone_node *apex = &set->zones[i]->nodes[0];

			if (apex->name_len == len && name_eq(apex->name, lname, len))
				return slot;
		}
		slot = (slot + 1) & mask;
	}
}

/* Append to a growing string. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)(n > 0 ? n : 0) + 64;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	b->len += (size_t)n;
}

/* What identifies the file at path as read: device, inode, size, times. */
static void stamp_file(struct sbuf *b, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		sbuf_add(b, "|%s:-", path);
		return;
	}
	sbuf_add(b, "|%s:%llu:%llu:%lld:%lld.%09ld:%lld.%09ld", path,
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* Everything a compiled zone depends on, as one string (caller owns): its
 * origin, position, file (by identity: a changed file gets a new
 * modification time or inode), dynamic names and DNSSEC parameters with
 * their key files. Two loads with equal stamps compile equal zones, but
 * for the signatures' times, which zone_sig_expire() tells. */
static char *source_stamp(const struct zone_source *src, size_t index, bool file)
{
	struct sbuf b = {0};

	sbuf_add(&b, "%s|%zu|%d", src->origin, index, src->empty ? 1 : 0);
	if (!src->empty && file)
		stamp_file(&b, src->path);
	else if (!src->empty)
		sbuf_add(&b, "|%s", src->path);
	for (size_t i = 0; i < src->dynamic_count; i++)
		sbuf_add(&b, "|d:%s:%u:%u", src->dynamic[i].name, (unsigned)src->dynamic[i].id,
			 (unsigned)src->dynamic[i].types);
	if (src->dnssec != NULL) {
		const struct zone_dnssec *d = src->dnssec;

		sbuf_add(&b, "|s:%u:%u:%u:%u:%u:%d:%u:%d:%d:", d->validity, d->inception, d->refresh,
			 d->jitter, d->now, d->nsec3 ? 1 : 0, (unsigned)d->iterations,
			 d->opt_out ? 1 : 0, (int)d->serial_policy);
		for (size_t i = 0; i < d->salt_len; i++)
			sbuf_add(&b, "%02x", d->salt[i]);
		for (size_t i = 0; i < d->key_count; i++) {
			char *kp = xasprintf("%s.key", d->keys[i].path);
			char *pp = xasprintf("%s.private", d->keys[i].path);

			sbuf_add(&b, "|k:%d", d->keys[i].active ? 1 : 0);
			stamp_file(&b, d->keys[i].path);
			stamp_file(&b, kp);
			stamp_file(&b, pp);
			free(kp);
			free(pp);
		}
	}
	return b.p;
}

static struct zone *zone_ref(const struct zone *z)
{
	struct zone *m = (struct zone *)z;

	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

static void zone_unref(struct zone *z)
{
	if (z == NULL || atomic_fetch_sub_explicit(&z->refs, 1, memory_order_acq_rel) != 1)
		return;
	zone_fini(z);
	free(z->stamp);
	free(z->stamp_rest);
	free(z);
}

/* A zone made without a file: the apex alone, no SOA (zone_soa() NULL).
 * It holds the zone's place while there is nothing to serve. */
static int zone_empty(const struct zone_source *src, const uint8_t *origin, size_t origin_len,
		      struct zone *z, struct gslb_err *err)
{
	struct loader ld;
	int ret;

	loader_init(&ld, src, origin, origin_len, err);
	ret = finish(&ld, src, z);
	loader_fini(&ld);
	return ret;
}

int zone_set_load(const struct zone_source *sources, size_t count, struct zone_set **out,
		  struct gslb_err *err)
{
	return zone_set_load_prev(sources, count, NULL, out, err);
}

/* Re-signing: would signing z again (with src's parameters) remake any of
 * its signatures? Not while the earliest expires later than refresh from
 * now: every one would be kept, and z is shared as it is (with a serial
 * policy, a zone not due keeps its serial). */
static bool resign_due(const struct zone_source *src, const struct zone *z)
{
	const struct zone_dnssec *d = src->dnssec;
	uint32_t now;

	if (d == NULL || z->keys == NULL || z->sig_expire == 0)
		return true;
	now = d->now != 0 ? d->now : (uint32_t)time(NULL);
	return (int32_t)(z->sig_expire - now) <= (int32_t)d->refresh;
}

/* zone_set_load_prev(), or with resign zone_set_resign() (prev: cur). */
static int set_load(const struct zone_source *sources, size_t count, const struct zone_set *prev,
		    bool resign, struct zone_set **out, struct gslb_err *err)
{
	struct zone_set *set = xcalloc(1, sizeof(*set));
	uint8_t(*origins)[DNAME_MAXLEN] = xcalloc(count ? count : 1, sizeof(*origins));
	size_t size = 4;
	int ret = 0;

	while (size < count * 2)
		size *= 2;
	set->zones = xcalloc(count ? count : 1, sizeof(*set->zones));
	set->table = xmalloc(size * sizeof(*set->table));
	memset(set->table, 0xff, size * sizeof(*set->table));
	set->table_mask = (uint32_t)(size - 1);

	/* Names first, so that a duplicate is reported before any file is read. */
	for (size_t i = 0; i < count; i++) {
		if (dname_from_str(sources[i].origin, origins[i]) < 0) {
			ret = gslb_err_setc(err, GSLB_EINVAL, "%s: invalid zone name '%s'",
					    sources[i].path, sources[i].origin);
			goto fail;
		}
		for (size_t j = 0; j < i; j++) {
			if (dname_equal(origins[i], origins[j])) {
				char name[DNAME_STRLEN];

				dname_to_str(origins[i], name, sizeof(name));
				ret = gslb_err_setc(err, GSLB_EEXIST, "%s: zone %s is listed twice",
						    sources[i].path, name);
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < count; i++) {
		size_t len = dname_len(origins[i]);
		const struct zone *pz = prev != NULL ? zone_set_find(prev, origins[i], len) : NULL;
		char *stamp;
		struct zone *z;

		if (pz != NULL && !dname_equal(pz->nodes[0].name, origins[i]))
			pz = NULL;
		stamp = source_stamp(&sources[i], i, true);
		if (pz != NULL && !sources[i].reread && pz->stamp != NULL &&
		    strcmp(pz->stamp, stamp) == 0 &&
		    (!resign || pz->keys == NULL || !resign_due(&sources[i], pz))) {
			/* Unchanged (and, re-signing, not signed here or not
			 * due): shared. */
			free(stamp);
			set->zones[i] = zone_ref(pz);
			set->count = i + 1;
		} else {
			z = xcalloc(1, sizeof(*z));
			set->zones[i] = z;
			set->count = i + 1; /* free the half-built zone too */
			if (resign && pz == NULL)
				ret = gslb_err_setc(err, GSLB_ENOENT, "zone %s is not loaded",
						    sources[i].origin);
			else if (sources[i].empty)
				ret = zone_empty(&sources[i], origins[i], len, z, err);
			else if (resign)
				ret = zone_resign(&sources[i], origins[i], len, z, pz, err);
			if (!resign && !sources[i].empty) {
				char *rest = source_stamp(&sources[i], i, false);
				int parts;

				ret = zone_read(&sources[i], origins[i], len, z, pz,
						pz != NULL && pz->stamp_rest != NULL &&
						    strcmp(pz->stamp_rest, rest) == 0,
						&parts, err);
				z->stamp_rest = rest;
				if (parts > 0)
					set->parts_count++;
				else if (parts < 0)
					set->full_count++;
			}
			/* After loading: signing replaces the whole struct. */
			z->refs = 1;
			z->index = i;
			if (ret != 0) {
				free(stamp);
				goto fail;
			}
			/* Re-signed, it still stands for what pz was loaded from. */
			if (resign && pz->stamp != NULL) {
				free(stamp);
				stamp = xstrdup(pz->stamp);
			}
			z->stamp = stamp;
			if (!resign)
				set->read_count++;
		}
		set->table[set_slot(set, set->zones[i]->nodes[0].name, len)] = (uint32_t)i;
		if (i == 0 || len < set->origin_min)
			set->origin_min = len;
		if (len > set->origin_max)
			set->origin_max = len;
	}
	set->count = count;
	free(origins);
	*out = set;
	return 0;
fail:
	free(origins);
	zone_set_free(set);
	return ret;
}

int zone_set_load_prev(const struct zone_source *sources, size_t count,
		       const struct zone_set *prev, struct zone_set **out, struct gslb_err *err)
{
	return set_load(sources, count, prev, false, out, err);
}

int zone_set_resign(const struct zone_source *sources, size_t count, const struct zone_set *cur,
		    struct zone_set **out, struct gslb_err *err)
{
	return set_load(sources, count, cur, true, out, err);
}

void zone_set_free(struct zone_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++)
		zone_unref(set->zones[i]);
	free(set->zones);
	free(set->table);
	free(set);
}

size_t zone_set_read_count(const struct zone_set *set)
{
	return set->read_count;
}

size_t zone_set_parts_count(const struct zone_set *set)
{
	return set->parts_count;
}

size_t zone_set_full_count(const struct zone_set *set)
{
	return set->full_count;
}

size_t zone_set_count(const struct zone_set *set)
{
	return set->count;
}

const struct zone *zone_set_zone(const struct zone_set *set, size_t i)
{
	return set->zones[i];
}

size_t zone_index(const struct zone *z)
{
	return z->index;
}

const struct zone *zone_set_find(const struct zone_set *set, const uint8_t *lname, size_t len)
{
	size_t o = 0;

	if (set->count == 0)
		return NULL;
	/* Suffixes longer than every origin cannot match: skip them unhashed
	 * (lname[o] is not the root while len - o > origin_max >= 1). */
	while (len - o > set->origin_max)
		o += 1 + (size_t)lname[o];
	if (set->count == 1) {
		const struct zone_node *apex = &set->zones[0]->nodes[0];

		/* One zone: compare, no hash. */
		if (len - o == apex->name_len && name_eq(apex->name, lname + o, len - o))
			return set->zones[0];
		return NULL;
	}
	/* Then the longest suffix first, down to the shortest origin. */
	while (len - o >= set->origin_min) {
		uint32_t i = set->table[set_slot(set, lname + o, len - o)];

		if (i != ZONE_SLOT_EMPTY)
			return set->zones[i];
		if (lname[o] == 0)
			break;
		o += 1 + (size_t)lname[o];
	}
	return NULL;
}

const uint8_t *zone_origin(const struct zone *z)
{
	return z->nodes[0].name;
}

const struct zone_node *zone_apex(const struct zone *z)
{
	return &z->nodes[0];
}

const struct zone_rrset *zone_soa(const struct zone *z)
{
	return z->soa;
}

uint32_t zone_serial(const struct zone *z)
{
	return z->serial;
}

uint32_t zone_negative_ttl(const struct zone *z)
{
	return z->negative_ttl;
}

size_t zone_node_count(const struct zone *z)
{
	return z->node_count;
}

size_t zone_rr_count(const struct zone *z)
{
	return z->rr_count;
}

const struct zone_node *zone_node_at(const struct zone *z, size_t i)
{
	return &z->nodes[i];
}

const struct zone_node *zone_find_node(const struct zone *z, const uint8_t *lname, size_t len)
{
	return table_find(z, lname, len);
}

void zone_lookup(const struct zone *z, const uint8_t *lname, size_t len, struct zone_lookup *out)
{
	const struct zone_node *apex = &z->nodes[0];
	const struct zone_node *ce = NULL;
	size_t o = 0;

	/* The deepest existing name on the way up from lname: each suffix is
	 * lname + o, looked up by hash. */
	while (len - o >= apex->name_len) {
		ce = table_find(z, lname + o, len - o);
		if (ce != NULL && (ce->flags & ZONE_NODE_NSEC3) != 0)
			ce = NULL; /* an NSEC3 owner is not a name of the zone */
		if (ce != NULL || lname[o] == 0)
			break;
		o += 1 + (size_t)lname[o];
	}
	if (ce == NULL) {
		ce = apex; /* lname is not in z: treat it as a miss below the apex */
		o = len;
	}
	out->closest_encloser = ce;
	if (ce->cut != NULL) {
		out->match = ZONE_MATCH_DELEGATION;
		out->node = ce->cut;
	} else if (o == 0) {
		out->match = ZONE_MATCH_EXACT;
		out->node = ce;
	} else if (ce->flags & ZONE_NODE_HAS_WILDCARD) {
		uint8_t wild[DNAME_MAXLEN + 2];

		wild[0] = 1;
		wild[1] = '*';
		memcpy(wild + 2, ce->name, ce->name_len);
		out->match = ZONE_MATCH_WILDCARD;
		out->node = table_find(z, wild, (size_t)ce->name_len + 2);
	} else {
		out->match = ZONE_MATCH_NXDOMAIN;
		out->node = ce;
	}
}

const struct zone_rrset *zone_node_rrset(const struct zone_node *node, uint16_t type)
{
	for (uint16_t i = 0; i < node->rrset_count; i++) {
		if (node->rrsets[i].type == type)
			return &node->rrsets[i];
		if (node->rrsets[i].type > type)
			break;
	}
	return NULL;
}

const uint8_t *zone_rrset_next(const struct zone_rrset *rrset, uint32_t *pos, uint16_t *len)
{
	const uint8_t *p;

	if (*pos + 2 > rrset->rdata_len)
		return NULL;
	p = rrset->rdata + *pos;
	*len = (uint16_t)(p[0] << 8 | p[1]);
	*pos += 2 + (uint32_t)*len;
	return p + 2;
}

bool zone_is_signed(const struct zone *z)
{
	return z->is_signed;
}

const struct sign_keys *zone_keys(const struct zone *z)
{
	return z->keys;
}

uint32_t zone_sig_expire(const struct zone *z)
{
	return z->sig_expire;
}

const struct zone_node *zone_nsec_covering(const struct zone *z, const uint8_t *lname, size_t len)
{
	size_t lo = 0, hi = z->nsec_count;

	(void)len;
	if (hi == 0)
		return NULL;
	/* The last NSEC owner <= lname; the apex (first) is <= every name in the zone. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (dname_compare(z->nodes[z->nsec_nodes[mid]].name, lname) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return &z->nodes[z->nsec_nodes[lo]];
}

const struct zone_nsec3 *zone_nsec3(const struct zone *z)
{
	return z->has_nsec3 ? &z->nsec3 : NULL;
}

const struct zone_node *zone_nsec3_find(const struct zone *z, const uint8_t *lname, bool *match)
{
	uint8_t h[20];
	size_t lo = 0, hi;

	*match = false;
	if (!z->has_nsec3)
		return NULL;
	sign_nsec3_hash(lname, z->nsec3.salt, z->nsec3.salt_len, z->nsec3.iterations, h);
	hi = z->nsec3_count;
	/* The last hash <= h; before the first one, the last one covers it (the chain wraps). */
	if (memcmp(z->nsec3_hash[0], h, 20) > 0)
		return &z->nodes[z->nsec3_nodes[z->nsec3_count - 1]];
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(z->nsec3_hash[mid], h, 20) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	*match = memcmp(z->nsec3_hash[lo], h, 20) == 0;
	return &z->nodes[z->nsec3_nodes[lo]];
}

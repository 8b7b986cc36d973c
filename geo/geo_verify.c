/* Checking a whole MaxMind database before it is served: see
 * geo_mmdb_verify() in geo-internal.h.
 *
 * The search tree is read node by node with MMDB_read_node(); both
 * records of every node must be a node, "empty" or an offset inside the
 * data section. Every distinct data offset a record names must hold a map
 * (through at most one pointer), and is then checked value by value: the
 * control byte, the size, that the payload lies inside the data section,
 * the sizes numbers may have, that map keys are strings, and that pointers
 * point inside the data section at something other than a pointer. A
 * pointer's target is checked once, as a value of its own, from a work
 * list: nothing is expanded, so the work is about one pass over the data
 * section whatever the pointers do, and a budget of values bounds even a
 * file made to overlap its records. The format is the MaxMind DB File
 * Format Specification, version 2.0.
 *
 * A big file is checked on VERIFY_THREADS threads: each reads a share of
 * the nodes and checks the values its records reach, with a work list
 * and a budget of its own; the bitmap of the offsets put on a work list is
 * shared (atomic), so each value is still checked once. */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "geo/geo-internal.h"

/* Value types of the data section. */
enum {
	T_EXTENDED = 0,
	T_POINTER = 1,
	T_UTF8 = 2,
	T_DOUBLE = 3,
	T_BYTES = 4,
	T_UINT16 = 5,
	T_UINT32 = 6,
	T_MAP = 7,
	T_INT32 = 8,
	T_UINT64 = 9,
	T_UINT128 = 10,
	T_ARRAY = 11,
	T_CONTAINER = 12,
	T_END = 13,
	T_BOOL = 14,
	T_FLOAT = 15,
};

/* Bytes of "\xab\xcd\xefMaxMind.com", before the metadata. */
#define META_MARKER_LEN 14

/* Deepest nesting of maps and arrays accepted (libmaxminddb's own limit). */
#define MAX_DEPTH 512

/* Threads that check a file, and the nodes that make it worth them (the
 * test databases have a few hundred: they are checked on two threads too). */
#define VERIFY_THREADS  2
#define VERIFY_MT_NODES 256u

struct vwalk {
	const uint8_t *d;     /* the data section */
	uint32_t size;        /* its length */
	_Atomic uint8_t *queued; /* bitmap of offsets put on a work list (shared) */
	uint32_t *work;       /* offsets waiting to be checked */
	size_t work_count;    /* entries at work */
	size_t work_cap;      /* room at work */
	uint64_t budget;      /* values that may still be checked */
	struct gslb_err *err; /* where the reason goes */
};

/* One value's head: its type, the size field (for a pointer: its target)
 * and where its payload starts. */
struct head {
	unsigned type;
	uint32_t size;
	uint32_t payload;
};

static bool bad(struct vwalk *w, uint32_t off, const char *why)
{
	gslb_err_setc(w->err, GSLB_EIO, "corrupt data section at offset %u: %s", off, why);
	return false;
}

static bool read_head(struct vwalk *w, uint32_t off, struct head *h)
{
	uint32_t at = off, s, n;
	uint8_t c;

	if (at >= w->size)
		return bad(w, off, "value past the end");
	c = w->d[at++];
	h->type = c >> 5;
	if (h->type == T_POINTER) {
		unsigned ss = (c >> 3) & 3u;
		uint32_t v = ss == 3 ? 0 : c & 7u;
		static const uint32_t bias[4] = {0, 2048, 526336, 0};

		if (ss + 1 > w->size - at)
			return bad(w, off, "pointer past the end");
		for (unsigned i = 0; i <= ss; i++)
			v = (v << 8) | w->d[at++];
		h->size = v + bias[ss];
		h->payload = at;
		if (h->size < v || h->size >= w->size)
			return bad(w, off, "pointer past the end");
		return true;
	}
	if (h->type == T_EXTENDED) {
		if (at >= w->size)
			return bad(w, off, "value past the end");
		h->type = 7u + w->d[at++];
		if (h->type < T_INT32 || h->type > T_FLOAT)
			return bad(w, off, "unknown type");
	}
	s = c & 0x1fu;
	if (s >= 29) {
		n = s - 28;
		if (n > w->size - at)
			return bad(w, off, "size past the end");
		s = 0;
		for (uint32_t i = 0; i < n; i++)
			s = (s << 8) | w->d[at++];
		s += n == 1 ? 29 : n == 2 ? 285 : 65821;
	}
	h->size = s;
	h->payload = at;
	return true;
}

static void enqueue(struct vwalk *w, uint32_t off)
{
	uint8_t bit = (uint8_t)(1u << (off % 8));

	if (atomic_load_explicit(&w->queued[off / 8], memory_order_relaxed) & bit)
		return;
	if (atomic_fetch_or_explicit(&w->queued[off / 8], bit, memory_order_relaxed) & bit)
		return;
	if (w->work_count == w->work_cap) {
		w->work_cap = w->work_cap * 2 + 1024;
		w->work = xreallocarray(w->work, w->work_cap, sizeof(*w->work));
	}
	w->work[w->work_count++] = off;
}

/* The target of the pointer h at off: inside the data section and not a
 * pointer itself (libmaxminddb refuses those). Fills *t with its head. */
static bool follow(struct vwalk *w, uint32_t off, const struct head *h, struct head *t)
{
	if (!read_head(w, h->size, t))
		return false;
	if (t->type == T_POINTER)
		return bad(w, off, "pointer to a pointer");
	return true;
}

/* The head at off into *h and, for a pointer, its target's head into *t
 * (see follow()); for any other value *t is *h. */
static bool read_deref(struct vwalk *w, uint32_t off, struct head *h, struct head *t)
{
	if (!read_head(w, off, h))
		return false;
	if (h->type != T_POINTER) {
		*t = *h;
		return true;
	}
	return follow(w, off, h, t);
}

static bool check_value(struct vwalk *w, uint32_t off, unsigned depth, uint32_t *end);

/* A map key: a string, or a pointer to one. */
static bool check_key(struct vwalk *w, uint32_t off, uint32_t *end)
{
	struct head h, t;

	if (!read_deref(w, off, &h, &t))
		return false;
	if (t.type != T_UTF8 || t.size > w->size - t.payload)
		return bad(w, off, "map key is not a string");
	/* after a pointer, or after the string itself */
	*end = h.type == T_POINTER ? h.payload : t.payload + t.size;
	return true;
}

/* Check the value at off (nested depth deep); *end is the offset after it. */
static bool check_value(struct vwalk *w, uint32_t off, unsigned depth, uint32_t *end)
{
	struct head h, t;
	uint32_t at;

	if (w->budget == 0)
		return bad(w, off, "more values than the data section can hold");
	w->budget--;
	if (depth > MAX_DEPTH)
		return bad(w, off, "nested too deep");
	if (!read_head(w, off, &h))
		return false;
	switch (h.type) {
	case T_POINTER:
		if (!follow(w, off, &h, &t))
			return false;
		enqueue(w, h.size);
		*end = h.payload;
		return true;
	case T_MAP:
	case T_ARRAY:
		at = h.payload;
		for (uint32_t i = 0; i < h.size; i++) {
			if (h.type == T_MAP && !check_key(w, at, &at))
				return false;
			if (!check_value(w, at, depth + 1, &at))
				return false;
		}
		*end = at;
		return true;
	case T_DOUBLE:
		if (h.size != 8)
			return bad(w, off, "double of a size other than 8");
		break;
	case T_FLOAT:
		if (h.size != 4)
			return bad(w, off, "float of a size other than 4");
		break;
	case T_UINT16:
	case T_UINT32:
	case T_INT32:
	case T_UINT64:
	case T_UINT128: {
		static const uint32_t most[T_UINT128 + 1] = {[T_UINT16] = 2,
							     [T_UINT32] = 4,
							     [T_INT32] = 4,
							     [T_UINT64] = 8,
							     [T_UINT128] = 16};

		if (h.size > most[h.type])
			return bad(w, off, "integer too long for its type");
		break;
	}
	case T_BOOL:
		if (h.size > 1)
			return bad(w, off, "boolean other than 0 or 1");
		*end = h.payload;
		return true;
	case T_UTF8:
	case T_BYTES:
		break;
	default:
		return bad(w, off, "type not allowed in the data section");
	}
	if (h.size > w->size - h.payload)
		return bad(w, off, "value past the end");
	*end = h.payload + h.size;
	return true;
}

/* A search tree record's data: a map, or a pointer to one. */
static bool check_record(struct vwalk *w, uint32_t off)
{
	struct head h, t;

	if (!read_deref(w, off, &h, &t))
		return false;
	if (t.type != T_MAP)
		return bad(w, off, "a network's record is not a map");
	enqueue(w, off);
	return true;
}

/* One thread's share: nodes [from, to) and the values they reach. */
struct vshare {
	struct vwalk w;      /* its walk (the bitmap shared) */
	struct gslb_err err; /* its failure */
	const MMDB_s *mmdb;  /* the database */
	uint32_t from, to;   /* its nodes */
	bool ok;             /* no failure */
};

static void *verify_run(void *arg)
{
	struct vshare *sh = arg;
	struct vwalk *w = &sh->w;
	MMDB_search_node_s node;
	bool ok = true;

	for (uint32_t n = sh->from; ok && n < sh->to; n++) {
		int status = MMDB_read_node(sh->mmdb, n, &node);

		if (status != MMDB_SUCCESS) {
			gslb_err_setc(w->err, GSLB_EIO, "corrupt search tree at node %u: %s", n,
				      MMDB_strerror(status));
			ok = false;
			break;
		}
		/* (libmaxminddb before 1.8 does not fail for these) */
		if (node.left_record_type == MMDB_RECORD_TYPE_INVALID ||
		    node.right_record_type == MMDB_RECORD_TYPE_INVALID) {
			gslb_err_setc(w->err, GSLB_EIO,
				      "corrupt search tree at node %u: a record points outside "
				      "the database",
				      n);
			ok = false;
			break;
		}
		if (node.left_record_type == MMDB_RECORD_TYPE_DATA)
			ok = check_record(w, node.left_record_entry.offset);
		if (ok && node.right_record_type == MMDB_RECORD_TYPE_DATA)
			ok = check_record(w, node.right_record_entry.offset);
	}
	while (ok && w->work_count > 0) {
		uint32_t end;

		ok = check_value(w, w->work[--w->work_count], 0, &end);
	}
	free(w->work);
	w->work = NULL;
	sh->ok = ok;
	return NULL;
}

int geo_mmdb_verify(const MMDB_s *mmdb, struct gslb_err *err)
{
	const struct MMDB_metadata_s *md = &mmdb->metadata;
	struct vwalk w;
	struct vshare sh[VERIFY_THREADS];
	pthread_t tid[VERIFY_THREADS];
	bool started[VERIFY_THREADS];
	unsigned threads;

	if (md->ip_version != 4 && md->ip_version != 6)
		return gslb_err_setc(err, GSLB_EIO, "corrupt metadata: ip_version %u",
				     (unsigned)md->ip_version);
	if (md->node_count == 0)
		return gslb_err_setc(err, GSLB_EIO, "corrupt metadata: no search tree");
	if (md->record_size != 24 && md->record_size != 28 && md->record_size != 32)
		return gslb_err_setc(err, GSLB_EIO, "corrupt metadata: record size %u",
				     (unsigned)md->record_size);
	memset(&w, 0, sizeof(w));
	w.d = mmdb->data_section;
	/* libmaxminddb's data section runs to the end of the file; the
	 * format's ends where the metadata's marker starts. */
	if (mmdb->metadata_section < mmdb->data_section + META_MARKER_LEN ||
	    mmdb->metadata_section - META_MARKER_LEN - mmdb->data_section >
		(ptrdiff_t)mmdb->data_section_size)
		return gslb_err_setc(err, GSLB_EIO, "corrupt metadata: it overlaps the data");
	w.size = (uint32_t)(mmdb->metadata_section - META_MARKER_LEN - mmdb->data_section);
	/* Every value takes at least one byte; overlapping records may visit
	 * some twice or more, never this many times (each thread's share). */
	w.budget = (uint64_t)w.size * 4 + 1024;
	w.queued = xcalloc((size_t)w.size / 8 + 1, 1);
	threads = md->node_count >= VERIFY_MT_NODES ? VERIFY_THREADS : 1;
	for (unsigned t = 0, from = 0; t < threads; t++) {
		uint32_t part = md->node_count / threads + (t < md->node_count % threads);

		sh[t].w = w;
		sh[t].w.err = &sh[t].err;
		memset(&sh[t].err, 0, sizeof(sh[t].err));
		sh[t].mmdb = mmdb;
		sh[t].from = from;
		sh[t].to = from + part;
		from += part;
		started[t] = t > 0 && pthread_create(&tid[t], NULL, verify_run, &sh[t]) == 0;
	}
	for (unsigned t = 0; t < threads; t++)
		if (!started[t])
			verify_run(&sh[t]);
	for (unsigned t = 0; t < threads; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
	free((void *)w.queued);
	/* the first share's failure first, as one thread would have found it */
	for (unsigned t = 0; t < threads; t++) {
		if (!sh[t].ok) {
			if (err != NULL)
				*err = sh[t].err;
			return GSLB_EIO;
		}
	}
	return 0;
}

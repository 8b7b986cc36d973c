/* Compiled GeoIP decisions: see geo_map.h.
 *
 * Building walks the database's search tree depth first with
 * MMDB_read_node(). Every record is classified once (memoised by its data
 * offset) and the walk returns, for each subtree, either a leaf (the class
 * of all of it) or a node of a binary trie; two leaf children of the same
 * class merge into one leaf, so the trie holds the merged networks. The
 * private blocks are laid over the walk: a subtree inside one is a leaf of
 * private_class, a subtree crossing one's edge is split down to it (the
 * walk carries the set of blocks its path still agrees with). Subtrees
 * that no block touches depend only on their database node, so they are
 * compiled once and shared: the IPv4 subtree that IPv6 databases alias at
 * ::ffff:0:0/96, 2002::/16 and elsewhere is compiled once for all of them.
 *
 * Then the trie is laid out for lookups: for each root (IPv4, IPv6) a table
 * of 65,536 entries indexed by the address's first 16 bits, each a leaf with
 * its class and depth or the index of a node, and below it the nodes in
 * depth-first order (a node's first child next to it), each two 32-bit
 * references. A lookup reads one table entry and walks the nodes bit by
 * bit until a leaf; the depth is the number of bits read.
 *
 * References: bit 31 set is a leaf, its class in bits 0..22; in a table
 * entry bits 24..28 hold the leaf's depth (0..16). While building, bit 30
 * marks a leaf that must not merge (the IPv4-mapped range of the IPv6 tree,
 * which lookups never walk: merging it with a neighbour would claim a
 * scope the IPv4 answers do not share). Other references are node indexes. */
#include <config.h>

#include "geo/geo_map.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "geo/geo-internal.h"

#define REF_LEAF        (UINT32_C(1) << 31)
#define REF_NOMERGE     (UINT32_C(1) << 30)
#define REF_CLASS       (GEO_MAP_MAX_CLASSES - 1)
#define REF_DEPTH_SHIFT 24
#define REF_DEPTH_MASK  UINT32_C(0x1f)
#define TOP_BITS        16
#define TOP_SIZE        (1u << TOP_BITS)
#define MEMO_NONE       UINT32_MAX

struct geo_map {
	uint32_t *top4;             /* IPv4 root: TOP_SIZE entries */
	uint32_t *top6;             /* IPv6 root: TOP_SIZE entries */
	uint32_t (*nodes)[2];       /* both roots' nodes below the tables */
	size_t node_count;          /* entries at nodes */
	uint32_t not_found;         /* class of addresses without a record */
	struct geo_map_stats stats; /* what building found */
};

/* A block laid over a walk: every address in it is the leaf ref. */
struct overlay {
	uint8_t addr[16]; /* network address */
	uint8_t len;      /* prefix length */
	uint32_t ref;     /* the leaf its addresses get */
};

struct builder {
	const struct geo_db *db;      /* the database walked */
	const MMDB_s *mmdb;           /* its mapped file */
	uint32_t node_count;          /* search tree nodes */
	geo_map_classify_fn classify; /* the caller's classifier */
	void *ctx;                    /* its argument */
	uint32_t not_found;           /* class of empty records */
	uint32_t max_class;           /* largest class seen */
	uint32_t (*tn)[2];            /* the trie being built */
	size_t tn_count;              /* nodes in use at tn */
	size_t tn_cap;                /* room at tn */
	uint32_t *memo;               /* per database node: its trie ref when no block
				       * touches it, MEMO_NONE before */
	uint32_t *rkeys;              /* record memo: data offset + 1, 0 empty */
	uint32_t *rvals;              /* record memo: class */
	size_t rmask;                 /* record memo slots - 1 */
	size_t records;               /* records classified */
	const struct overlay *over;   /* blocks of the walk in progress */
	size_t over_count;            /* entries at over */
	unsigned max_depth;           /* 32 or 128 */
	uint64_t reads;               /* database nodes read */
	int rc;                       /* 0, or the first error */
	struct gslb_err *err;         /* where errors go */
};

static uint32_t leaf(uint32_t cls)
{
	return REF_LEAF | cls;
}

static bool is_leaf(uint32_t ref)
{
	return (ref & REF_LEAF) != 0;
}

static int fail(struct builder *b, int code, const char *what)
{
	if (b->rc == 0)
		b->rc = gslb_err_setc(b->err, code, "%s: %s", geo_db_path(b->db), what);
	return b->rc;
}

static uint32_t checked_class(struct builder *b, uint32_t cls)
{
	if (cls >= GEO_MAP_MAX_CLASSES) {
		if (b->rc == 0)
			b->rc = gslb_err_setc(b->err, GSLB_ERANGE,
					      "%s: class %u out of range (at most %u)",
					      geo_db_path(b->db), cls, GEO_MAP_MAX_CLASSES - 1);
		return 0;
	}
	if (cls > b->max_class)
		b->max_class = cls;
	return cls;
}

static void grow_records(struct builder *b);

/* The first slot of data offset off in a record memo of mask + 1 slots. */
static size_t record_slot(uint32_t off, size_t mask)
{
	return (size_t)(((uint64_t)off * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & mask;
}

/* The class of the record at data offset off, classified once. */
static uint32_t record_class(struct builder *b, uint32_t off)
{
	size_t s = record_slot(off, b->rmask);
	struct geo_location loc;
	uint32_t cls;

	for (; b->rkeys[s] != 0; s = (s + 1) & b->rmask) {
		if (b->rkeys[s] == off + 1)
			return b->rvals[s];
	}
	geo_db_decode_at(b->db, off, &loc);
	cls = checked_class(b, b->classify(&loc, b->ctx));
	b->rkeys[s] = off + 1;
	b->rvals[s] = cls;
	if (++b->records * 2 > b->rmask)
		grow_records(b);
	return cls;
}

static void grow_records(struct builder *b)
{
	size_t old = b->rmask + 1, mask = old * 2 - 1;
	uint32_t *keys = xcalloc(mask + 1, sizeof(*keys));
	uint32_t *vals = xcalloc(mask + 1, sizeof(*vals));

	for (size_t i = 0; i < old; i++) {
		size_t s;

		if (b->rkeys[i] == 0)
			continue;
		s = record_slot(b->rkeys[i] - 1, mask);
		while (keys[s] != 0)
			s = (s + 1) & mask;
		keys[s] = b->rkeys[i];
		vals[s] = b->rvals[i];
	}
	free(b->rkeys);
	free(b->rvals);
	b->rkeys = keys;
	b->rvals = vals;
	b->rmask = mask;
}

/* Bit number bit (0 = the top) of addr. */
static unsigned bit_at(const uint8_t *addr, unsigned bit)
{
	return (addr[bit / 8] >> (7 - bit % 8)) & 1u;
}

static uint32_t new_node(struct builder *b, uint32_t left, uint32_t right)
{
	if (b->tn_count == b->tn_cap) {
		b->tn_cap = b->tn_cap * 2 + 4096;
		b->tn = xreallocarray(b->tn, b->tn_cap, sizeof(*b->tn));
	}
	b->tn[b->tn_count][0] = left;
	b->tn[b->tn_count][1] = right;
	return (uint32_t)b->tn_count++;
}

/* The trie of the subtree at database record value rec, at depth bits.
 * near has a bit set for each block whose first depth bits are the walk's
 * path so far: the blocks this subtree meets (almost always none). */
static uint32_t walk(struct builder *b, uint64_t rec, unsigned depth, uint32_t near)
{
	MMDB_search_node_s node;
	uint64_t kids[2];
	uint32_t ref, out[2];
	bool is_node = rec < b->node_count;

	if (b->rc != 0)
		return leaf(0);
	for (size_t i = 0; near != 0 && i < b->over_count; i++) {
		if ((near & (UINT32_C(1) << i)) != 0 && b->over[i].len == depth)
			return b->over[i].ref; /* inside block i */
	}
	if (!is_node) {
		if (rec == b->node_count)
			ref = leaf(b->not_found);
		else if (rec - b->node_count - 16 >= b->mmdb->data_section_size)
			return fail(b, GSLB_EIO, "corrupt search tree (record past the data)"),
			       leaf(0);
		else
			ref = leaf(record_class(b, (uint32_t)(rec - b->node_count - 16)));
		if (near == 0)
			return ref;
		/* a block starts inside this network: split it down to the block */
		kids[0] = kids[1] = rec;
	} else {
		if (near == 0 && b->memo[rec] != MEMO_NONE)
			return b->memo[rec];
		if (depth >= b->max_depth)
			return fail(b, GSLB_EIO, "corrupt search tree (too deep)"), leaf(0);
		/* The walk reads the whole file once: give its pages back as it
		 * goes, so that they do not all count in the resident set. */
		if ((++b->reads & 0x3ffff) == 0)
			geo_db_drop_pages(b->db);
		if (MMDB_read_node(b->mmdb, (uint32_t)rec, &node) != MMDB_SUCCESS ||
		    node.left_record_type == MMDB_RECORD_TYPE_INVALID ||
		    node.right_record_type == MMDB_RECORD_TYPE_INVALID)
			return fail(b, GSLB_EIO, "corrupt search tree"), leaf(0);
		kids[0] = node.left_record;
		kids[1] = node.right_record;
	}
	for (unsigned k = 0; k < 2; k++) {
		uint32_t kid_near = 0;

		for (size_t i = 0; near != 0 && i < b->over_count; i++) {
			if ((near & (UINT32_C(1) << i)) != 0 && bit_at(b->over[i].addr, depth) == k)
				kid_near |= UINT32_C(1) << i;
		}
		out[k] = walk(b, kids[k], depth + 1, kid_near);
	}
	if (is_leaf(out[0]) && out[0] == out[1] && (out[0] & REF_NOMERGE) == 0)
		ref = out[0];
	else
		ref = new_node(b, out[0], out[1]);
	if (is_node && near == 0)
		b->memo[rec] = ref;
	return ref;
}

/* Compile one root: start at record value rec with the blocks at over. */
static uint32_t walk_root(struct builder *b, uint64_t rec, unsigned max_depth,
			  const struct overlay *over, size_t over_count)
{
	b->max_depth = max_depth;
	b->over = over;
	b->over_count = over_count;
	return walk(b, rec, 0, (UINT32_C(1) << over_count) - 1);
}

/* Laying out: the trie's nodes below the tables, copied depth first. */
struct layout {
	uint32_t (*tn)[2];    /* the trie's nodes */
	uint32_t *moved;      /* per trie node: its final index, MEMO_NONE before */
	uint32_t (*nodes)[2]; /* the final nodes */
	size_t count;         /* in use at nodes */
	size_t leaves;        /* leaves laid out */
};

static uint32_t copy_node(struct layout *l, uint32_t ref)
{
	uint32_t at;

	if (is_leaf(ref)) {
		l->leaves++;
		return ref & (REF_LEAF | REF_CLASS);
	}
	if (l->moved[ref] != MEMO_NONE)
		return l->moved[ref];
	at = (uint32_t)l->count++;
	l->moved[ref] = at;
	for (int k = 0; k < 2; k++) {
		uint32_t kid = copy_node(l, l->tn[ref][k]);

		l->nodes[at][k] = kid;
	}
	return at;
}

static void fill_top(struct layout *l, uint32_t *top, uint32_t ref, unsigned depth, uint32_t prefix)
{
	if (is_leaf(ref)) {
		uint32_t first = prefix << (TOP_BITS - depth), n = 1u << (TOP_BITS - depth);
		uint32_t v = REF_LEAF | (ref & REF_CLASS) | ((uint32_t)depth << REF_DEPTH_SHIFT);

		for (uint32_t i = 0; i < n; i++)
			top[first + i] = v;
		l->leaves++;
		return;
	}
	if (depth == TOP_BITS) {
		top[prefix] = copy_node(l, ref);
		return;
	}
	fill_top(l, top, l->tn[ref][0], depth + 1, prefix << 1);
	fill_top(l, top, l->tn[ref][1], depth + 1, (prefix << 1) | 1);
}

static void add_blocks(struct overlay *o, size_t *n, const struct geo_block *blocks, size_t count,
		       unsigned len_of_addr, uint32_t ref)
{
	for (size_t i = 0; i < count; i++, (*n)++) {
		memset(o[*n].addr, 0, sizeof(o[*n].addr));
		memcpy(o[*n].addr, blocks[i].addr, len_of_addr);
		o[*n].len = blocks[i].len;
		o[*n].ref = ref;
	}
}

int geo_map_build(const struct geo_db *db, geo_map_classify_fn classify, void *ctx,
		  uint32_t private_class, struct geo_map **out, struct gslb_err *err)
{
	uint64_t start = time_mono_us();
	const MMDB_s *mmdb = geo_db_mmdb(db);
	struct builder b;
	struct layout l;
	struct overlay o4[8], o6[8];
	size_t n4 = 0, n6 = 0;
	struct geo_location none;
	struct geo_map *m;
	uint32_t root4, root6, priv;
	bool v6db = mmdb->metadata.ip_version == 6;

	memset(&b, 0, sizeof(b));
	b.db = db;
	b.mmdb = mmdb;
	b.node_count = mmdb->metadata.node_count;
	b.classify = classify;
	b.ctx = ctx;
	b.err = err;
	b.rmask = 4095;
	b.rkeys = xcalloc(b.rmask + 1, sizeof(*b.rkeys));
	b.rvals = xcalloc(b.rmask + 1, sizeof(*b.rvals));
	b.memo = xmalloc(((size_t)b.node_count + 1) * sizeof(*b.memo));
	memset(b.memo, 0xff, ((size_t)b.node_count + 1) * sizeof(*b.memo));
	memset(&none, 0, sizeof(none));
	b.not_found = checked_class(&b, classify(&none, ctx));
	/* private blocks merge with nothing, not even their own class */
	priv = leaf(checked_class(&b, private_class)) | REF_NOMERGE;

	/* IPv4: the private blocks of IPv4 (also what IPv4-mapped addresses
	 * get). IPv6: its own private blocks, and the IPv4-mapped range, which
	 * lookups send to the IPv4 root, as a leaf that merges with nothing. */
	add_blocks(o4, &n4, geo_private_v4, geo_private_v4_count, 4, priv);
	add_blocks(o6, &n6, geo_private_v6, geo_private_v6_count, 16, priv);
	memset(o6[n6].addr, 0, sizeof(o6[n6].addr));
	o6[n6].addr[10] = o6[n6].addr[11] = 0xff;
	o6[n6].len = 96;
	o6[n6].ref = leaf(b.not_found) | REF_NOMERGE;
	n6++;

	if (v6db) {
		/* IPv4 lives at ::/96; geo_db_open() had libmaxminddb find it. An
		 * empty region or a record reached before bit 96 covers all of
		 * IPv4 (geo_db_lookup() gives it prefix 0). */
		root6 = walk_root(&b, 0, 128, o6, n6);
		root4 = walk_root(&b, mmdb->ipv4_start_node.node_value, 32, o4, n4);
	} else {
		root4 = walk_root(&b, 0, 32, o4, n4);
		/* an IPv4 tree places no IPv6 address */
		root6 = walk_root(&b, b.node_count, 128, o6, n6);
	}
	free(b.memo);
	free(b.rkeys);
	free(b.rvals);
	if (b.rc != 0) {
		free(b.tn);
		return b.rc;
	}

	m = xcalloc(1, sizeof(*m));
	m->top4 = xmalloc(TOP_SIZE * sizeof(*m->top4));
	m->top6 = xmalloc(TOP_SIZE * sizeof(*m->top6));
	memset(&l, 0, sizeof(l));
	l.tn = b.tn;
	l.moved = xmalloc((b.tn_count + 1) * sizeof(*l.moved));
	memset(l.moved, 0xff, (b.tn_count + 1) * sizeof(*l.moved));
	l.nodes = xmalloc((b.tn_count + 1) * sizeof(*l.nodes));
	fill_top(&l, m->top4, root4, 0, 0);
	fill_top(&l, m->top6, root6, 0, 0);
	free(l.moved);
	free(b.tn);
	m->nodes = xreallocarray(l.nodes, l.count + 1, sizeof(*l.nodes));
	m->node_count = l.count;
	m->not_found = b.not_found;
	m->stats.bytes = sizeof(*m) + 2 * TOP_SIZE * sizeof(*m->top4) + l.count * sizeof(*m->nodes);
	m->stats.nodes = l.count;
	m->stats.leaves = l.leaves;
	m->stats.records = b.records;
	m->stats.classes = b.max_class + 1;
	m->stats.build_us = time_mono_us() - start;
	*out = m;
	return 0;
}

void geo_map_free(struct geo_map *m)
{
	if (m == NULL)
		return;
	free(m->top4);
	free(m->top6);
	free(m->nodes);
	free(m);
}

uint32_t geo_map_lookup(const struct geo_map *m, int family, const uint8_t *addr, uint8_t *depth)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const uint32_t *top;
	unsigned bias = 0, bit = TOP_BITS;
	uint32_t ref;

	if (family == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
		family = AF_INET;
		addr += 12;
		bias = 96;
	}
	if (family == AF_INET) {
		top = m->top4;
	} else if (family == AF_INET6) {
		top = m->top6;
	} else {
		*depth = 0;
		return m->not_found;
	}
	ref = top[((unsigned)addr[0] << 8) | addr[1]];
	if (is_leaf(ref)) {
		*depth = (uint8_t)(bias + ((ref >> REF_DEPTH_SHIFT) & REF_DEPTH_MASK));
		return ref & REF_CLASS;
	}
	do {
		ref = m->nodes[ref][(addr[bit / 8] >> (7 - bit % 8)) & 1];
		bit++;
	} while (!is_leaf(ref));
	*depth = (uint8_t)(bias + bit);
	return ref & REF_CLASS;
}

void geo_map_stats(const struct geo_map *m, struct geo_map_stats *out)
{
	*out = m->stats;
}

/* Several maps in one walk (geo_map_set_build()).
 *
 * First a pass over the search tree's nodes in file order finds every
 * record a node names and the nodes that more than one record names (in
 * MaxMind's files the IPv4 subtree, which IPv6 databases alias). Every
 * distinct record is decoded and classified for all the maps at once, on
 * the calling thread; the class vectors are kept once per distinct vector
 * ("rows"), and a record becomes its row's number.
 *
 * Then the walk, as geo_map_build()'s, split over threads by maps: each
 * thread walks the tree for its share of the maps. A subtree's result is a
 * vector of references, one per map; while every map sees one row it is
 * only that row's number (no work per map), and two children of one row
 * merge as such. Inner nodes are hash-consed in the thread's store: a
 * subtree equal in several maps, or in several places, is one node. The
 * nodes named more than once are memoised per thread. Laying out then
 * copies each map's nodes under its tables, depth first, into one array
 * that every map of the set shares; a node shared in the store is copied
 * once. */

#define ROW_NONE       0 /* addresses without a record */
#define ROW_PRIV       1 /* private blocks: merge with nothing */
#define ROW_MAPPED     2 /* IPv4-mapped range of the IPv6 tree: "not found", no merging */
#define ROW_FIRST      3 /* the first row of records */
#define CONS_CACHE     4096
#define MAX_NODES      (UINT32_C(1) << 30)
#define DECODE_THREADS 16
#define MEMO_DEPTH     12 /* see set_walk() */

struct geo_map_set {
	struct geo_map *maps;           /* count maps, their nodes at nodes */
	size_t count;                   /* entries at maps */
	uint32_t (*nodes)[2];           /* every map's nodes */
	struct geo_map_set_stats stats; /* what building found */
};

/* What every thread of a build reads (written before they start). */
struct set_shared {
	const struct geo_db *db; /* the database walked */
	const MMDB_s *mmdb;      /* its mapped file */
	uint32_t node_count;     /* search tree nodes */
	size_t count;            /* maps */
	uint32_t *rows;          /* row r's class in map i: rows[r * count + i] */
	size_t row_count;        /* rows in use */
	size_t row_cap;          /* room for rows */
	uint32_t *vslots;        /* row dedupe: row + 1, 0 empty */
	size_t vmask;            /* vslots entries - 1 */
	uint32_t *offs;          /* the records' data offsets, ascending */
	uint32_t *offrows;       /* their rows */
	uint64_t (*marks)[2];    /* per 64 bytes of the data section: a bit per byte where
				  * a record starts, and the bits set before (one cache
				  * line for both) */
	size_t records;          /* records classified (entries at offs) */
	unsigned threads;        /* threads of the build */
	uint8_t *seen;           /* 2 bits per node: named once, named more than once */
};

/* A block laid over a walk of a set: its addresses get row. */
struct set_overlay {
	uint8_t addr[16]; /* network address */
	uint8_t len;      /* prefix length */
	uint32_t row;     /* ROW_PRIV or ROW_MAPPED */
};

/* A subtree's result: one reference per map of the walker, either the
 * leaves of one row (refs NULL) or refs[]. */
struct vec {
	uint32_t row;         /* when refs is NULL: every map gets its leaf of this row */
	const uint32_t *refs; /* else: the walker's n references */
};

/* A memoised node's result. */
struct memo_entry {
	uint32_t row; /* as vec.row */
	uint32_t at;  /* index of its references at mrefs, or MEMO_NONE for a row */
};

/* One thread's walk: maps lo .. lo + n - 1. */
struct walker {
	const struct set_shared *sh;    /* the shared part */
	size_t lo;                      /* first map */
	size_t n;                       /* maps */
	uint32_t (*tn)[2];              /* hash-consed nodes */
	size_t tn_count;                /* in use at tn */
	size_t tn_cap;                  /* room at tn */
	uint32_t (*hslots)[3];          /* by (left, right): left, right, node + 1 (0 empty) */
	size_t hmask;                   /* hslots entries - 1 */
	uint32_t (*cache)[3];           /* recent (left, right, node), direct mapped */
	uint32_t *stack;                /* 2 vectors per depth, n references each */
	uint32_t *root_buf;             /* a root's vector */
	uint32_t *roots;                /* per map: IPv4 root, then IPv6 root (2n) */
	uint32_t *mkeys;                /* memo: node + 1, 0 empty */
	struct memo_entry *mvals;       /* memo: results */
	size_t mmask;                   /* mkeys entries - 1 */
	size_t mcount;                  /* memo entries */
	uint32_t *mrefs;                /* memoised vectors' references */
	size_t mrefs_count;             /* in use at mrefs */
	size_t mrefs_cap;               /* room at mrefs */
	const struct set_overlay *over; /* blocks of the walk in progress */
	size_t over_count;              /* entries at over */
	unsigned max_depth;             /* 32 or 128 */
	uint64_t reads;                 /* database nodes read */
	int rc;                         /* 0, or the first error */
	struct gslb_err err;            /* its message */
};

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
	return hash_mix64(((uint64_t)a << 32) | b);
}

static uint64_t vector_hash(const uint32_t *v, size_t n)
{
	uint64_t h = UINT64_C(0x6a09e667f3bcc909);

	for (size_t i = 0; i < n; i++)
		h = hash_mix64(h ^ v[i]);
	return h;
}

static void grow_vslots(struct set_shared *sh)
{
	size_t mask = (sh->vmask + 1) * 2 - 1;
	uint32_t *slots = xcalloc(mask + 1, sizeof(*slots));

	for (size_t r = ROW_FIRST; r < sh->row_count; r++) {
		size_t s = vector_hash(&sh->rows[r * sh->count], sh->count) & mask;

		while (slots[s] != 0)
			s = (s + 1) & mask;
		slots[s] = (uint32_t)r + 1;
	}
	free(sh->vslots);
	sh->vslots = slots;
	sh->vmask = mask;
}

/* Room for one more row at the end of sh->rows. */
static uint32_t *row_room(struct set_shared *sh)
{
	if (sh->row_count == sh->row_cap) {
		sh->row_cap = sh->row_cap * 2 + 64;
		sh->rows = xreallocarray(sh->rows, sh->row_cap * sh->count, sizeof(*sh->rows));
	}
	return &sh->rows[sh->row_count * sh->count];
}

/* The row of the vector just written at row_room(): an equal row before,
 * or this one. */
static uint32_t row_intern(struct set_shared *sh)
{
	const uint32_t *v = &sh->rows[sh->row_count * sh->count];
	size_t s = vector_hash(v, sh->count) & sh->vmask;
	uint32_t r;

	for (; sh->vslots[s] != 0; s = (s + 1) & sh->vmask) {
		r = sh->vslots[s] - 1;
		if (memcmp(&sh->rows[(size_t)r * sh->count], v, sh->count * sizeof(*v)) == 0)
			return r;
	}
	r = (uint32_t)sh->row_count++;
	sh->vslots[s] = r + 1;
	if ((sh->row_count - ROW_FIRST) * 2 > sh->vmask)
		grow_vslots(sh);
	return r;
}

static int check_classes(const struct set_shared *sh, const uint32_t *v, struct gslb_err *err)
{
	for (size_t i = 0; i < sh->count; i++)
		if (v[i] >= GEO_MAP_MAX_CLASSES)
			return gslb_err_setc(err, GSLB_ERANGE,
					     "%s: class %u out of range (at most %u)",
					     geo_db_path(sh->db), v[i], GEO_MAP_MAX_CLASSES - 1);
	return 0;
}

/* The bits set in v (without the popcnt instruction, which a portable
 * build does not assume: libgcc's fallback is a call). */
static unsigned popcount64(uint64_t v)
{
	v = v - ((v >> 1) & UINT64_C(0x5555555555555555));
	v = (v & UINT64_C(0x3333333333333333)) + ((v >> 2) & UINT64_C(0x3333333333333333));
	v = (v + (v >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (unsigned)((v * UINT64_C(0x0101010101010101)) >> 56);
}

/* The row of the record at data offset off (UINT32_MAX: not classified):
 * its index among the records is the number of marks before it. */
static uint32_t record_row(const struct set_shared *sh, uint32_t off)
{
	const uint64_t *m = sh->marks[off / 64];
	uint64_t below = (UINT64_C(1) << (off % 64)) - 1;

	if ((m[0] >> (off % 64) & 1) == 0)
		return UINT32_MAX;
	return sh->offrows[m[1] + popcount64(m[0] & below)];
}

static void mark_named(struct set_shared *sh, uint64_t node)
{
	uint8_t *b = &sh->seen[node / 4];
	unsigned shift = (unsigned)(node % 4) * 2;

	if ((*b >> shift & 1u) != 0)
		*b = (uint8_t)(*b | 2u << shift);
	*b = (uint8_t)(*b | 1u << shift);
}

static bool named_twice(const struct set_shared *sh, uint64_t node)
{
	return (sh->seen[node / 4] >> ((node % 4) * 2) & 2u) != 0;
}

/* Records decoded in a chunk, on the threads of the build. */
#define DECODE_CHUNK 32768

struct decoder {
	const struct set_shared *sh; /* the records at sh->offs */
	size_t first;                /* the first record to decode */
	size_t count;                /* how many */
	struct geo_location *out;    /* their locations */
};

static void *decode_run(void *arg)
{
	const struct decoder *d = arg;

	for (size_t i = 0; i < d->count; i++)
		geo_db_decode_at(d->sh->db, d->sh->offs[d->first + i], &d->out[i]);
	return NULL;
}

/* Decode every record at sh->offs (chunk by chunk, each split over the
 * threads) and classify it on this thread, in offset order: its row into
 * sh->offrows. */
static int classify_records(struct set_shared *sh, geo_map_classify_many_fn classify, void *ctx,
			    struct gslb_err *err)
{
	struct geo_location *locs = xmalloc(DECODE_CHUNK * sizeof(*locs));
	struct decoder d[DECODE_THREADS];
	pthread_t tid[DECODE_THREADS];
	bool started[DECODE_THREADS];
	unsigned threads = sh->threads < DECODE_THREADS ? sh->threads : DECODE_THREADS;
	int rc = 0;

	for (size_t first = 0; first < sh->records && rc == 0; first += DECODE_CHUNK) {
		size_t count =
		    sh->records - first < DECODE_CHUNK ? sh->records - first : DECODE_CHUNK;

		for (unsigned t = 0, at = 0; t < threads; t++) {
			size_t part = count / threads + (t < count % threads);

			d[t].sh = sh;
			d[t].first = first + at;
			d[t].count = part;
			d[t].out = locs + at;
			at += (unsigned)part;
			started[t] = t > 0 && pthread_create(&tid[t], NULL, decode_run, &d[t]) == 0;
		}
		(void)decode_run(&d[0]);
		for (unsigned t = 1; t < threads; t++) {
			if (started[t])
				(void)pthread_join(tid[t], NULL);
			else
				(void)decode_run(&d[t]);
		}
		for (size_t i = 0; i < count; i++) {
			uint32_t *classes = row_room(sh);

			classify(&locs[i], ctx, classes);
			if ((rc = check_classes(sh, classes, err)) != 0)
				break;
			sh->offrows[first + i] = row_intern(sh);
		}
		if ((first / DECODE_CHUNK) % 8 == 7)
			geo_db_drop_pages(sh->db);
	}
	free(locs);
	return rc;
}

/* The pass over the nodes: the records they name marked in a bitmap of
 * the data section (so that they come out in offset order, each once),
 * each then decoded and classified once; nodes named twice marked. */
static int scan(struct set_shared *sh, geo_map_classify_many_fn classify, void *ctx,
		struct gslb_err *err)
{
	const MMDB_s *mmdb = sh->mmdb;
	size_t words = mmdb->data_section_size / 64 + 1;

	sh->marks = xcalloc(words, sizeof(*sh->marks));
	for (uint32_t i = 0; i < sh->node_count; i++) {
		MMDB_search_node_s node;
		uint64_t rec[2];

		/* a node that cannot be read is the walk's to report */
		if (MMDB_read_node(mmdb, i, &node) != MMDB_SUCCESS)
			continue;
		rec[0] = node.left_record;
		rec[1] = node.right_record;
		for (unsigned k = 0; k < 2; k++) {
			uint64_t off = rec[k] - sh->node_count - 16;

			if (rec[k] < sh->node_count)
				mark_named(sh, rec[k]);
			else if (rec[k] > sh->node_count && off < mmdb->data_section_size)
				sh->marks[off / 64][0] |= UINT64_C(1) << (off % 64);
		}
		if ((i & 0x3ffff) == 0x3ffff)
			geo_db_drop_pages(sh->db);
	}
	for (size_t w = 0; w < words; w++) {
		sh->marks[w][1] = sh->records;
		sh->records += (size_t)popcount64(sh->marks[w][0]);
	}
	sh->offs = xmalloc((sh->records + 1) * sizeof(*sh->offs));
	sh->offrows = xmalloc((sh->records + 1) * sizeof(*sh->offrows));
	for (size_t w = 0, n = 0; w < words; w++)
		for (uint64_t m = sh->marks[w][0]; m != 0; m &= m - 1)
			sh->offs[n++] = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(m));
	return classify_records(sh, classify, ctx, err);
}

static int wfail(struct walker *w, int code, const char *what)
{
	if (w->rc == 0)
		w->rc = gslb_err_setc(&w->err, code, "%s: %s", geo_db_path(w->sh->db), what);
	return w->rc;
}

/* Map lo + j's reference in v. */
static uint32_t vec_ref(const struct walker *w, const struct vec *v, size_t j)
{
	uint32_t r;

	if (v->refs != NULL)
		return v->refs[j];
	r = leaf(w->sh->rows[(size_t)v->row * w->sh->count + w->lo + j]);
	return v->row == ROW_PRIV || v->row == ROW_MAPPED ? r | REF_NOMERGE : r;
}

static void grow_hslots(struct walker *w)
{
	size_t mask = (w->hmask + 1) * 2 - 1;
	uint32_t(*slots)[3] = xcalloc(mask + 1, sizeof(*slots));

	for (size_t id = 0; id < w->tn_count; id++) {
		size_t s = pair_hash(w->tn[id][0], w->tn[id][1]) & mask;

		while (slots[s][2] != 0)
			s = (s + 1) & mask;
		slots[s][0] = w->tn[id][0];
		slots[s][1] = w->tn[id][1];
		slots[s][2] = (uint32_t)id + 1;
	}
	free(w->hslots);
	w->hslots = slots;
	w->hmask = mask;
}

/* The node (left, right): an equal one made before, or a new one. The
 * slots hold the pair, so that a lookup reads one of them. */
static uint32_t cons(struct walker *w, uint32_t left, uint32_t right)
{
	uint64_t h = pair_hash(left, right);
	uint32_t *c = w->cache[(h >> 48) & (CONS_CACHE - 1)];
	size_t s = h & w->hmask;
	uint32_t id;

	if (c[2] != MEMO_NONE && c[0] == left && c[1] == right)
		return c[2];
	for (; w->hslots[s][2] != 0; s = (s + 1) & w->hmask) {
		if (w->hslots[s][0] == left && w->hslots[s][1] == right) {
			id = w->hslots[s][2] - 1;
			goto found;
		}
	}
	if (w->tn_count >= MAX_NODES) {
		wfail(w, GSLB_ERANGE, "too many networks");
		return leaf(0);
	}
	if (w->tn_count == w->tn_cap) {
		w->tn_cap = w->tn_cap * 2 + 4096;
		w->tn = xreallocarray(w->tn, w->tn_cap, sizeof(*w->tn));
	}
	id = (uint32_t)w->tn_count++;
	w->tn[id][0] = left;
	w->tn[id][1] = right;
	w->hslots[s][0] = left;
	w->hslots[s][1] = right;
	w->hslots[s][2] = id + 1;
	if (w->tn_count * 4 > w->hmask * 3)
		grow_hslots(w);
found:
	c[0] = left;
	c[1] = right;
	c[2] = id;
	return id;
}

/* The result of a node whose children gave a and b, into buf (n refs). */
static void combine(struct walker *w, const struct vec *a, const struct vec *b, struct vec *res,
		    uint32_t *buf)
{
	if (a->refs == NULL && b->refs == NULL && a->row == b->row && a->row != ROW_PRIV &&
	    a->row != ROW_MAPPED) {
		*res = *a;
		return;
	}
	for (size_t j = 0; j < w->n; j++) {
		uint32_t ra = vec_ref(w, a, j), rb = vec_ref(w, b, j);

		if (ra == rb && is_leaf(ra) && (ra & REF_NOMERGE) == 0)
			buf[j] = ra;
		else
			buf[j] = cons(w, ra, rb);
	}
	res->row = ROW_NONE;
	res->refs = buf;
}

static size_t memo_slot(uint64_t node, size_t mask)
{
	return (size_t)hash_mix64(node) & mask;
}

static bool memo_get(struct walker *w, uint64_t node, struct vec *res, uint32_t *buf)
{
	for (size_t s = memo_slot(node, w->mmask); w->mkeys[s] != 0; s = (s + 1) & w->mmask) {
		const struct memo_entry *e = &w->mvals[s];

		if (w->mkeys[s] != node + 1)
			continue;
		res->row = e->row;
		res->refs = NULL;
		if (e->at != MEMO_NONE) {
			memcpy(buf, &w->mrefs[e->at], w->n * sizeof(*buf));
			res->refs = buf;
		}
		return true;
	}
	return false;
}

static void memo_put(struct walker *w, uint64_t node, const struct vec *v)
{
	size_t s = memo_slot(node, w->mmask);
	struct memo_entry e = {v->row, MEMO_NONE};

	if (v->refs != NULL) {
		if (w->mrefs_count + w->n > w->mrefs_cap) {
			w->mrefs_cap = (w->mrefs_count + w->n) * 2;
			w->mrefs = xreallocarray(w->mrefs, w->mrefs_cap, sizeof(*w->mrefs));
		}
		e.at = (uint32_t)w->mrefs_count;
		memcpy(&w->mrefs[w->mrefs_count], v->refs, w->n * sizeof(*w->mrefs));
		w->mrefs_count += w->n;
	}
	while (w->mkeys[s] != 0)
		s = (s + 1) & w->mmask;
	w->mkeys[s] = (uint32_t)node + 1;
	w->mvals[s] = e;
	if (++w->mcount * 2 > w->mmask) {
		size_t mask = (w->mmask + 1) * 2 - 1;
		uint32_t *keys = xcalloc(mask + 1, sizeof(*keys));
		struct memo_entry *vals = xcalloc(mask + 1, sizeof(*vals));

		for (size_t i = 0; i <= w->mmask; i++) {
			if (w->mkeys[i] == 0)
				continue;
			s = memo_slot(w->mkeys[i] - 1, mask);
			while (keys[s] != 0)
				s = (s + 1) & mask;
			keys[s] = w->mkeys[i];
			vals[s] = w->mvals[i];
		}
		free(w->mkeys);
		free(w->mvals);
		w->mkeys = keys;
		w->mvals = vals;
		w->mmask = mask;
	}
}

/* walk() for every map of w at once: the result of the subtree at record
 * value rec (when a record: of row row, UINT32_MAX if not classified), at
 * depth bits, into res (its references, if any, at buf). */
static void set_walk(struct walker *w, uint64_t rec, uint32_t row, unsigned depth, uint32_t near,
		     struct vec *res, uint32_t *buf)
{
	const struct set_shared *sh = w->sh;
	bool is_node = rec < sh->node_count, memo = false;
	MMDB_search_node_s node;
	uint64_t kids[2];
	uint32_t kid_rows[2];
	struct vec kv[2];

	res->row = ROW_NONE;
	res->refs = NULL;
	if (w->rc != 0)
		return;
	for (size_t i = 0; near != 0 && i < w->over_count; i++) {
		if ((near & (UINT32_C(1) << i)) != 0 && w->over[i].len == depth) {
			res->row = w->over[i].row; /* inside block i */
			return;
		}
	}
	if (!is_node) {
		if (rec == sh->node_count)
			row = ROW_NONE;
		else if (rec - sh->node_count - 16 >= sh->mmdb->data_section_size) {
			wfail(w, GSLB_EIO, "corrupt search tree (record past the data)");
			return;
		} else if (row == UINT32_MAX &&
			   (row = record_row(sh, (uint32_t)(rec - sh->node_count - 16))) ==
			       UINT32_MAX) {
			wfail(w, GSLB_EIO, "corrupt search tree (a record not classified)");
			return;
		}
		res->row = row;
		if (near == 0)
			return;
		/* a block starts inside this network: split it down to the block */
		kids[0] = kids[1] = rec;
		kid_rows[0] = kid_rows[1] = row;
	} else {
		/* Named twice, or near the top of an IPv4 tree (also at ::/96
		 * of an IPv6 one), which the IPv6 walk, the IPv4 walk and the
		 * aliases reach with different blocks laid over: what one walk
		 * found beside the blocks' paths serves the others. */
		memo =
		    near == 0 && (named_twice(sh, rec) ||
				  (w->max_depth == 32 ? depth <= MEMO_DEPTH
						      : depth >= 96 && depth <= 96 + MEMO_DEPTH));
		if (memo && memo_get(w, rec, res, buf))
			return;
		if (depth >= w->max_depth) {
			wfail(w, GSLB_EIO, "corrupt search tree (too deep)");
			return;
		}
		if (w->lo == 0 && (++w->reads & 0x3ffff) == 0)
			geo_db_drop_pages(sh->db);
		if (MMDB_read_node(sh->mmdb, (uint32_t)rec, &node) != MMDB_SUCCESS ||
		    node.left_record_type == MMDB_RECORD_TYPE_INVALID ||
		    node.right_record_type == MMDB_RECORD_TYPE_INVALID) {
			wfail(w, GSLB_EIO, "corrupt search tree");
			return;
		}
		kids[0] = node.left_record;
		kids[1] = node.right_record;
		kid_rows[0] = kid_rows[1] = UINT32_MAX;
	}
	for (unsigned k = 0; k < 2; k++) {
		uint32_t kid_near = 0;

		for (size_t i = 0; near != 0 && i < w->over_count; i++) {
			if ((near & (UINT32_C(1) << i)) != 0 && bit_at(w->over[i].addr, depth) == k)
				kid_near |= UINT32_C(1) << i;
		}
		set_walk(w, kids[k], kid_rows[k], depth + 1, kid_near, &kv[k],
			 &w->stack[((size_t)(depth + 1) * 2 + k) * w->n]);
	}
	if (w->rc != 0)
		return;
	combine(w, &kv[0], &kv[1], res, buf);
	if (memo)
		memo_put(w, rec, res);
}

static void set_walk_root(struct walker *w, uint64_t rec, unsigned max_depth,
			  const struct set_overlay *over, size_t over_count, uint32_t *roots)
{
	struct vec v;

	w->max_depth = max_depth;
	w->over = over;
	w->over_count = over_count;
	uint32_t row = UINT32_MAX;

	if (rec > w->sh->node_count && rec - w->sh->node_count - 16 <= UINT32_MAX)
		row = record_row(w->sh, (uint32_t)(rec - w->sh->node_count - 16));
	set_walk(w, rec, row, 0, (UINT32_C(1) << over_count) - 1, &v, w->root_buf);
	for (size_t j = 0; j < w->n; j++)
		roots[j] = vec_ref(w, &v, j);
}

static void add_set_blocks(struct set_overlay *o, size_t *n, const struct geo_block *blocks,
			   size_t count, unsigned len_of_addr, uint32_t row)
{
	for (size_t i = 0; i < count; i++, (*n)++) {
		memset(o[*n].addr, 0, sizeof(o[*n].addr));
		memcpy(o[*n].addr, blocks[i].addr, len_of_addr);
		o[*n].len = blocks[i].len;
		o[*n].row = row;
	}
}

static void *walker_run(void *arg)
{
	struct walker *w = arg;
	const struct set_shared *sh = w->sh;
	const MMDB_s *mmdb = sh->mmdb;
	struct set_overlay o4[8], o6[8];
	size_t n4 = 0, n6 = 0;

	add_set_blocks(o4, &n4, geo_private_v4, geo_private_v4_count, 4, ROW_PRIV);
	add_set_blocks(o6, &n6, geo_private_v6, geo_private_v6_count, 16, ROW_PRIV);
	memset(o6[n6].addr, 0, sizeof(o6[n6].addr));
	o6[n6].addr[10] = o6[n6].addr[11] = 0xff;
	o6[n6].len = 96;
	o6[n6].row = ROW_MAPPED;
	n6++;
	if (mmdb->metadata.ip_version == 6) {
		set_walk_root(w, 0, 128, o6, n6, w->roots + w->n);
		set_walk_root(w, mmdb->ipv4_start_node.node_value, 32, o4, n4, w->roots);
	} else {
		set_walk_root(w, 0, 32, o4, n4, w->roots);
		set_walk_root(w, sh->node_count, 128, o6, n6, w->roots + w->n);
	}
	/* what the walk alone needed */
	free(w->hslots);
	free(w->cache);
	free(w->stack);
	free(w->mkeys);
	free(w->mvals);
	free(w->mrefs);
	w->hslots = NULL;
	w->cache = NULL;
	w->stack = NULL;
	w->mkeys = NULL;
	w->mvals = NULL;
	w->mrefs = NULL;
	return NULL;
}

static void walker_init(struct walker *w, const struct set_shared *sh, size_t lo, size_t n)
{
	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->lo = lo;
	w->n = n;
	w->hmask = 65535;
	w->hslots = xcalloc(w->hmask + 1, sizeof(*w->hslots));
	w->cache = xmalloc(CONS_CACHE * sizeof(*w->cache));
	for (size_t i = 0; i < CONS_CACHE; i++)
		w->cache[i][2] = MEMO_NONE;
	/* depths 1..128 use the stack, two vectors each */
	w->stack = xmalloc((size_t)130 * 2 * n * sizeof(*w->stack));
	w->root_buf = xmalloc(n * sizeof(*w->root_buf));
	w->roots = xmalloc(2 * n * sizeof(*w->roots));
	w->mmask = 63;
	w->mkeys = xcalloc(w->mmask + 1, sizeof(*w->mkeys));
	w->mvals = xcalloc(w->mmask + 1, sizeof(*w->mvals));
}

static void walker_fini(struct walker *w)
{
	free(w->tn);
	free(w->hslots);
	free(w->cache);
	free(w->stack);
	free(w->root_buf);
	free(w->roots);
	free(w->mkeys);
	free(w->mvals);
	free(w->mrefs);
}

void geo_map_set_free(struct geo_map_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->count; i++) {
		free(s->maps[i].top4);
		free(s->maps[i].top6);
	}
	free(s->maps);
	free(s->nodes);
	free(s);
}

/* Lay the walkers' maps out into s. */
static void set_layout(struct geo_map_set *s, struct walker *w, size_t threads)
{
	struct layout l;
	size_t total = 0;

	for (size_t t = 0; t < threads; t++)
		total += w[t].tn_count;
	memset(&l, 0, sizeof(l));
	l.nodes = xmalloc((total + 1) * sizeof(*l.nodes));
	for (size_t t = 0; t < threads; t++) {
		l.tn = w[t].tn;
		l.moved = xmalloc((w[t].tn_count + 1) * sizeof(*l.moved));
		memset(l.moved, 0xff, (w[t].tn_count + 1) * sizeof(*l.moved));
		for (size_t j = 0; j < w[t].n; j++) {
			struct geo_map *m = &s->maps[w[t].lo + j];

			m->top4 = xmalloc(TOP_SIZE * sizeof(*m->top4));
			m->top6 = xmalloc(TOP_SIZE * sizeof(*m->top6));
			fill_top(&l, m->top4, w[t].roots[j], 0, 0);
			fill_top(&l, m->top6, w[t].roots[w[t].n + j], 0, 0);
		}
		free(l.moved);
		free(w[t].tn);
		w[t].tn = NULL;
	}
	s->nodes = xreallocarray(l.nodes, l.count + 1, sizeof(*l.nodes));
	s->stats.nodes = l.count;
	s->stats.leaves = l.leaves;
	for (size_t i = 0; i < s->count; i++) {
		s->maps[i].nodes = s->nodes;
		s->maps[i].node_count = l.count;
	}
}

int geo_map_set_build(const struct geo_db *db, size_t count, geo_map_classify_many_fn classify,
		      void *ctx, const uint32_t *private_class, unsigned threads,
		      struct geo_map_set **out, struct gslb_err *err)
{
	uint64_t start = time_mono_us();
	const MMDB_s *mmdb = geo_db_mmdb(db);
	struct set_shared sh;
	struct walker *w = NULL;
	pthread_t *tid = NULL;
	bool *started = NULL;
	struct geo_map_set *s = NULL;
	struct geo_location none;
	uint32_t *v;
	int rc;

	if (count == 0)
		return gslb_err_setc(err, GSLB_EINVAL, "%s: no maps to build", geo_db_path(db));
	if (mmdb->metadata.node_count >= UINT32_C(1) << 31)
		return gslb_err_setc(err, GSLB_EIO, "%s: search tree too big", geo_db_path(db));
	if (threads == 0)
		threads = 1;
	memset(&sh, 0, sizeof(sh));
	sh.db = db;
	sh.mmdb = mmdb;
	sh.node_count = mmdb->metadata.node_count;
	sh.count = count;
	sh.threads = threads; /* decoding: every thread; the walk: one per map at most */
	if (threads > count)
		threads = (unsigned)count;
	sh.vmask = 4095;
	sh.vslots = xcalloc(sh.vmask + 1, sizeof(*sh.vslots));
	sh.seen = xcalloc((size_t)sh.node_count / 4 + 1, 1);

	/* rows 0..2: not found, private, the IPv4-mapped range */
	memset(&none, 0, sizeof(none));
	v = row_room(&sh);
	classify(&none, ctx, v);
	if ((rc = check_classes(&sh, v, err)) != 0)
		goto fail;
	sh.row_count++;
	v = row_room(&sh);
	memcpy(v, private_class, count * sizeof(*v));
	if ((rc = check_classes(&sh, v, err)) != 0)
		goto fail;
	sh.row_count++;
	v = row_room(&sh);
	memcpy(v, sh.rows, count * sizeof(*v));
	sh.row_count++;
	if (mmdb->metadata.ip_version == 6 && mmdb->ipv4_start_node.node_value < sh.node_count) {
		/* walked as the IPv4 root too */
		mark_named(&sh, mmdb->ipv4_start_node.node_value);
		mark_named(&sh, mmdb->ipv4_start_node.node_value);
	}
	if ((rc = scan(&sh, classify, ctx, err)) != 0)
		goto fail;
	free(sh.vslots);
	sh.vslots = NULL;

	w = xcalloc(threads, sizeof(*w));
	tid = xcalloc(threads, sizeof(*tid));
	started = xcalloc(threads, sizeof(*started));
	for (size_t t = 0, lo = 0; t < threads; t++) {
		size_t n = count / threads + (t < count % threads);

		walker_init(&w[t], &sh, lo, n);
		lo += n;
	}
	for (size_t t = 1; t < threads; t++)
		started[t] = pthread_create(&tid[t], NULL, walker_run, &w[t]) == 0;
	(void)walker_run(&w[0]);
	for (size_t t = 1; t < threads; t++) {
		if (started[t])
			(void)pthread_join(tid[t], NULL);
		else
			(void)walker_run(&w[t]); /* no thread: on this one */
	}
	for (size_t t = 0; t < threads; t++) {
		if (w[t].rc != 0) {
			rc = gslb_err_setc(err, w[t].rc, "%s", w[t].err.msg);
			goto fail;
		}
	}

	s = xcalloc(1, sizeof(*s));
	s->count = count;
	s->maps = xcalloc(count, sizeof(*s->maps));
	for (size_t i = 0; i < count; i++) {
		s->maps[i].not_found = sh.rows[i];
		s->maps[i].stats.bytes = 2 * TOP_SIZE * sizeof(*s->maps[i].top4);
		s->maps[i].stats.records = sh.records;
	}
	set_layout(s, w, threads);
	s->stats.maps = count;
	s->stats.bytes = sizeof(*s) + count * (sizeof(*s->maps) + 2 * TOP_SIZE * sizeof(uint32_t)) +
			 s->stats.nodes * sizeof(*s->nodes);
	s->stats.records = sh.records;
	s->stats.vectors = sh.row_count - ROW_FIRST;
	s->stats.threads = threads;
	rc = 0;
fail:
	for (size_t t = 0; w != NULL && t < threads; t++)
		walker_fini(&w[t]);
	free(w);
	free(tid);
	free(started);
	free(sh.rows);
	free(sh.vslots);
	free(sh.offs);
	free(sh.offrows);
	free(sh.marks);
	free(sh.seen);
	if (rc != 0)
		return rc;
	s->stats.build_us = time_mono_us() - start;
	*out = s;
	return 0;
}

const struct geo_map *geo_map_set_map(const struct geo_map_set *s, size_t i)
{
	return &s->maps[i];
}

void geo_map_set_stats(const struct geo_map_set *s, struct geo_map_set_stats *out)
{
	*out = s->stats;
}

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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "common/err.h"
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
	const struct builder *b; /* the trie */
	uint32_t *moved;         /* per trie node: its final index, MEMO_NONE before */
	uint32_t (*nodes)[2];    /* the final nodes */
	size_t count;            /* in use at nodes */
	size_t leaves;           /* leaves laid out */
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
		uint32_t kid = copy_node(l, l->b->tn[ref][k]);

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
	fill_top(l, top, l->b->tn[ref][0], depth + 1, prefix << 1);
	fill_top(l, top, l->b->tn[ref][1], depth + 1, (prefix << 1) | 1);
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
	l.b = &b;
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

/* Unit tests of zones/zone: loading master files into a zone set, the
 * compiled structure, lookups (RFC 1034 4.3.2, RFC 4592) and load errors. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "zones/dname.h"
#include "zones/zone.h"

#define ZDIR TEST_DATA_DIR "/zones/"

#define T_A     1
#define T_NS    2
#define T_CNAME 5
#define T_SOA   6
#define T_MX    15
#define T_TXT   16
#define T_AAAA  28
#define T_SRV   33
#define T_DS    43

static struct zone_set *set;
static const struct zone *ex;    /* example.com */
static const struct zone *child; /* child.example.com */
static const struct zone *dup;   /* dup.test */
static const struct zone *lb;    /* lb.test, with dynamic names */

/* The dynamic names of lb.test in the valid set. */
static const struct zone_dynamic lb_dyn[] = {
    {.name = "www.lb.test", .id = 7, .where = "t.conf:1:9"},
    {.name = "Web.LB.test.", .id = 8, .where = "t.conf:2:9"},   /* an ENT of the file */
    {.name = "*.pool.lb.test", .id = 0, .where = "t.conf:3:9"}, /* dynamic wildcard */
    {.name = "a.b.deep.lb.test", .id = 10, .where = "t.conf:4:9"},
    {.name = "b.deep.lb.test", .id = 11, .where = "t.conf:5:9"}, /* an ENT of a dynamic name */
    {.name = "*.web.lb.test", .id = 12, .where = "t.conf:6:9"},
};

static void set_setup(void)
{
	const struct zone_source src[] = {
	    {.origin = "example.com", .path = ZDIR "example.com.zone"},
	    {.origin = "Child.Example.COM.", .path = ZDIR "child.example.com.zone"},
	    {.origin = "dup.test", .path = ZDIR "dup.test.zone"},
	    {.origin = "lb.test",
	     .path = ZDIR "lb.test.zone",
	     .dynamic = lb_dyn,
	     .dynamic_count = sizeof(lb_dyn) / sizeof(lb_dyn[0])},
	};
	struct gslb_err err = {""};
	int ret = zone_set_load(src, 4, &set, &err);

	ck_assert_msg(ret == 0, "load failed: %d %s", ret, err.msg);
	ex = zone_set_zone(set, 0);
	child = zone_set_zone(set, 1);
	dup = zone_set_zone(set, 2);
	lb = zone_set_zone(set, 3);
}

static void set_teardown(void)
{
	zone_set_free(set);
	set = NULL;
}

/* Wire form of a name given as a string; static buffer for one use. */
static const uint8_t *N(const char *s, size_t *len)
{
	static uint8_t buf[4][DNAME_MAXLEN];
	static int next;
	uint8_t *b = buf[next++ % 4];
	int n = dname_from_str(s, b);

	ck_assert_int_gt(n, 0);
	if (len != NULL)
		*len = (size_t)n;
	return b;
}

static const struct zone_node *node(const struct zone *z, const char *s)
{
	size_t len;
	const uint8_t *n = N(s, &len);

	return zone_find_node(z, n, len);
}

static void lookup(const struct zone *z, const char *s, struct zone_lookup *out)
{
	size_t len;
	const uint8_t *n = N(s, &len);

	memset(out, 0, sizeof(*out));
	zone_lookup(z, n, len, out);
}

static bool node_is(const struct zone_node *n, const char *s)
{
	return n != NULL && dname_equal(n->name, N(s, NULL));
}

START_TEST(test_set)
{
	size_t len;
	const uint8_t *n;

	ck_assert_uint_eq(zone_set_count(set), 4);
	ck_assert_uint_eq(zone_index(ex), 0);
	ck_assert_uint_eq(zone_index(child), 1);
	ck_assert_uint_eq(zone_index(dup), 2);
	ck_assert(dname_equal(zone_origin(child), N("child.example.com", NULL)));
	ck_assert_mem_eq(zone_origin(child), N("child.example.com", NULL), 19);

	n = N("www.example.com", &len);
	ck_assert_ptr_eq(zone_set_find(set, n, len), ex);
	n = N("example.com", &len);
	ck_assert_ptr_eq(zone_set_find(set, n, len), ex);
	n = N("child.example.com", &len);
	ck_assert_ptr_eq(zone_set_find(set, n, len), child);
	n = N("a.b.www.child.example.com", &len);
	ck_assert_ptr_eq(zone_set_find(set, n, len), child);
	n = N("xchild.example.com", &len);
	ck_assert_ptr_eq(zone_set_find(set, n, len), ex);
	n = N("com", &len);
	ck_assert_ptr_null(zone_set_find(set, n, len));
	n = N("example.org", &len);
	ck_assert_ptr_null(zone_set_find(set, n, len));
	n = N(".", &len);
	ck_assert_ptr_null(zone_set_find(set, n, len));
}
END_TEST

START_TEST(test_soa)
{
	const struct zone_rrset *soa = zone_soa(ex);

	ck_assert_ptr_nonnull(soa);
	ck_assert_uint_eq(soa->type, T_SOA);
	ck_assert_uint_eq(soa->rr_count, 1);
	ck_assert_uint_eq(soa->ttl, 3600);
	ck_assert_uint_eq(zone_serial(ex), 2024010101u);
	ck_assert_uint_eq(zone_negative_ttl(ex), 300); /* the MINIMUM is lower */
	ck_assert_uint_eq(zone_serial(child), 7);
	ck_assert_uint_eq(zone_negative_ttl(child), 30); /* the SOA TTL is lower */
	ck_assert_ptr_eq(zone_node_rrset(zone_apex(ex), T_SOA), soa);
}
END_TEST

START_TEST(test_structure)
{
	const struct zone_node *apex = zone_apex(ex);
	size_t count = zone_node_count(ex);

	ck_assert_ptr_eq(apex, zone_node_at(ex, 0));
	ck_assert_uint_eq(apex->flags, ZONE_NODE_APEX | ZONE_NODE_HAS_WILDCARD);
	ck_assert_ptr_null(apex->parent);
	ck_assert_ptr_null(apex->cut);
	ck_assert_uint_eq(apex->label_count, 3);
	ck_assert_uint_eq(apex->name_len, 13);
	/* A, NS, SOA, MX: sorted by type. */
	ck_assert_uint_eq(apex->rrset_count, 4);
	ck_assert_uint_eq(apex->rrsets[0].type, T_A);
	ck_assert_uint_eq(apex->rrsets[1].type, T_NS);
	ck_assert_uint_eq(apex->rrsets[2].type, T_SOA);
	ck_assert_uint_eq(apex->rrsets[3].type, T_MX);
	ck_assert_uint_eq(apex->rrsets[1].rr_count, 2);
	ck_assert_ptr_null(zone_node_rrset(apex, T_AAAA));

	/* Canonical order and parents, every ancestor present. */
	for (size_t i = 1; i < count; i++) {
		const struct zone_node *a = zone_node_at(ex, i - 1), *b = zone_node_at(ex, i);
		const uint8_t *pname = b->name + 1 + b->name[0];

		ck_assert_int_lt(dname_compare(a->name, b->name), 0);
		ck_assert_ptr_nonnull(b->parent);
		ck_assert(dname_equal(b->parent->name, pname));
		ck_assert_uint_eq(b->parent->label_count + 1, b->label_count);
		ck_assert_ptr_eq(zone_find_node(ex, b->name, b->name_len), b);
		ck_assert_uint_eq(b->flags & ZONE_NODE_APEX, 0);
		if (b->flags & ZONE_NODE_EMPTY)
			ck_assert_uint_eq(b->rrset_count, 0);
		else
			ck_assert_uint_gt(b->rrset_count, 0);
	}
	/* 25 records written, one duplicate. */
	ck_assert_uint_eq(zone_rr_count(ex), 25);
	/* Names are lowered; $ORIGIN changes are followed. */
	ck_assert_ptr_nonnull(node(ex, "mixed.case.example.com"));
	ck_assert_ptr_nonnull(node(ex, "x.other.example.com"));
	ck_assert_uint_eq(node(ex, "other.example.com")->flags, ZONE_NODE_EMPTY);
	ck_assert_ptr_null(node(ex, "nothere.example.com"));
}
END_TEST

START_TEST(test_rdata)
{
	const struct zone_rrset *rs;
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t len;
	static const uint8_t a80[] = {192, 0, 2, 80}, a81[] = {192, 0, 2, 81};
	/* sizeof includes the NUL that is the root label. */
	static const uint8_t mx[] = "\000\012\004Mail\007example\003com";
	static const uint8_t srv[] = "\000\012\000\074\023\304\003sip\007example\003com";

	/* Two A records after the duplicate collapsed; the lowest TTL. */
	rs = zone_node_rrset(node(ex, "web.example.com"), T_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->rr_count, 2);
	ck_assert_uint_eq(rs->ttl, 300);
	ck_assert_uint_eq(rs->rdata_len, 12);
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert_ptr_nonnull(rd);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(rd, a80, 4);
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert_ptr_nonnull(rd);
	ck_assert_mem_eq(rd, a81, 4);
	ck_assert_ptr_null(zone_rrset_next(rs, &pos, &len));

	/* Embedded names keep the case of the file. */
	rs = zone_node_rrset(zone_apex(ex), T_MX);
	pos = 0;
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert_uint_eq(len, sizeof(mx));
	ck_assert_mem_eq(rd, mx, sizeof(mx));

	rs = zone_node_rrset(node(ex, "_sip._tcp.example.com"), T_SRV);
	ck_assert_ptr_nonnull(rs);
	pos = 0;
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert_uint_eq(len, sizeof(srv));
	ck_assert_mem_eq(rd, srv, sizeof(srv));
	ck_assert_uint_eq(node(ex, "_tcp.example.com")->flags, ZONE_NODE_EMPTY);

	/* The CNAME chain alias -> www -> web. */
	rs = zone_node_rrset(node(ex, "alias.example.com"), T_CNAME);
	pos = 0;
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert(dname_equal(rd, N("www.example.com", NULL)));
	rs = zone_node_rrset(node(ex, "www.example.com"), T_CNAME);
	pos = 0;
	rd = zone_rrset_next(rs, &pos, &len);
	ck_assert(dname_equal(rd, N("web.example.com", NULL)));
	ck_assert_uint_eq(node(ex, "www.example.com")->rrset_count, 1);
}
END_TEST

START_TEST(test_duplicates)
{
	const struct zone_rrset *rs;

	ck_assert_uint_eq(zone_rr_count(dup), 4);
	ck_assert_uint_eq(zone_soa(dup)->rr_count, 1);
	rs = zone_node_rrset(zone_apex(dup), T_NS);
	ck_assert_uint_eq(rs->ttl, 100);
	rs = zone_node_rrset(node(dup, "ns.dup.test"), T_A);
	ck_assert_uint_eq(rs->rr_count, 2);
	ck_assert_uint_eq(rs->ttl, 50); /* also from a collapsed duplicate */
}
END_TEST

START_TEST(test_lookup_exact)
{
	struct zone_lookup l;

	lookup(ex, "example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_ptr_eq(l.node, zone_apex(ex));
	ck_assert_ptr_eq(l.closest_encloser, zone_apex(ex));

	lookup(ex, "www.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert(node_is(l.node, "www.example.com"));

	/* The wildcard owner itself. */
	lookup(ex, "*.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, ZONE_NODE_WILDCARD);

	/* Empty non-terminals exist. */
	lookup(ex, "ent.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, ZONE_NODE_EMPTY);
	lookup(ex, "b.c.ent.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, ZONE_NODE_EMPTY);
	lookup(ex, "a.b.c.ent.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, 0);
	lookup(ex, "wild.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, ZONE_NODE_EMPTY | ZONE_NODE_HAS_WILDCARD);
}
END_TEST

START_TEST(test_lookup_wildcard)
{
	struct zone_lookup l;

	lookup(ex, "nothere.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.example.com"));
	ck_assert_ptr_eq(l.closest_encloser, zone_apex(ex));

	lookup(ex, "a.b.nothere.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.example.com"));

	lookup(ex, "x.wild.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.wild.example.com"));
	ck_assert(node_is(l.closest_encloser, "wild.example.com"));

	/* Below an existing name the apex wildcard does not apply (RFC 4592). */
	lookup(ex, "x.www.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "www.example.com"));
	lookup(ex, "x.ent.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "ent.example.com"));
	ck_assert_ptr_eq(l.closest_encloser, l.node);
	lookup(ex, "a.x.b.c.ent.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "b.c.ent.example.com"));

	/* No wildcard at all. */
	lookup(dup, "nothere.dup.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert_ptr_eq(l.node, zone_apex(dup));
}
END_TEST

START_TEST(test_lookup_delegation)
{
	const struct zone_node *sub = node(ex, "sub.example.com");
	const struct zone_node *glue = node(ex, "ns.sub.example.com");
	const struct zone_node *below = node(ex, "below.sub.example.com");
	struct zone_lookup l;

	ck_assert_ptr_nonnull(sub);
	ck_assert_uint_eq(sub->flags, ZONE_NODE_DELEGATION);
	ck_assert_ptr_eq(sub->cut, sub);
	ck_assert_uint_eq(glue->flags, ZONE_NODE_OCCLUDED);
	ck_assert_ptr_eq(glue->cut, sub);
	ck_assert_uint_eq(below->flags, ZONE_NODE_OCCLUDED | ZONE_NODE_EMPTY);
	ck_assert_ptr_eq(below->cut, sub);
	ck_assert_ptr_eq(node(ex, "deep.below.sub.example.com")->cut, sub);

	lookup(ex, "sub.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert_ptr_eq(l.node, sub);
	lookup(ex, "ns.sub.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert_ptr_eq(l.node, sub);
	ck_assert_ptr_eq(l.closest_encloser, glue);
	lookup(ex, "deep.below.sub.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert_ptr_eq(l.node, sub);
	lookup(ex, "x.y.sub.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert_ptr_eq(l.node, sub);
	ck_assert_ptr_eq(l.closest_encloser, sub);

	/* A child zone served next to its parent: the parent delegates. */
	lookup(ex, "www.child.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert(node_is(l.node, "child.example.com"));
	ck_assert_ptr_nonnull(zone_node_rrset(l.node, T_DS));
	lookup(child, "www.child.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_ptr_nonnull(zone_node_rrset(l.node, T_A));
	lookup(child, "child.example.com", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->flags, ZONE_NODE_APEX);
	ck_assert_ptr_nonnull(zone_node_rrset(l.node, T_NS));
}
END_TEST

/* Structure of a whole zone: canonical order, parents, the table, flags
 * against RRsets, dyn_id against ZONE_NODE_DYNAMIC. */
static void check_structure(const struct zone *z)
{
	const struct zone_node *apex = zone_apex(z);

	ck_assert_ptr_eq(apex, zone_node_at(z, 0));
	ck_assert_uint_eq(apex->dyn_id, ZONE_DYN_NONE);
	ck_assert_uint_eq(apex->flags & ZONE_NODE_DYNAMIC, 0);
	for (size_t i = 1; i < zone_node_count(z); i++) {
		const struct zone_node *a = zone_node_at(z, i - 1), *b = zone_node_at(z, i);

		ck_assert_int_lt(dname_compare(a->name, b->name), 0);
		ck_assert_ptr_nonnull(b->parent);
		ck_assert(dname_equal(b->parent->name, b->name + 1 + b->name[0]));
		ck_assert_uint_eq(b->parent->label_count + 1, b->label_count);
		ck_assert_ptr_eq(zone_find_node(z, b->name, b->name_len), b);
		if (b->flags & ZONE_NODE_DYNAMIC) {
			ck_assert_uint_ne(b->dyn_id, ZONE_DYN_NONE);
			ck_assert_uint_eq(b->rrset_count, 0);
			ck_assert_uint_eq(b->flags & (ZONE_NODE_EMPTY | ZONE_NODE_OCCLUDED |
						      ZONE_NODE_DELEGATION),
					  0);
			ck_assert_ptr_null(b->cut);
		} else {
			ck_assert_uint_eq(b->dyn_id, ZONE_DYN_NONE);
			ck_assert_uint_eq(b->rrset_count == 0, (b->flags & ZONE_NODE_EMPTY) != 0);
		}
	}
}

START_TEST(test_dynamic_structure)
{
	const struct zone_node *n;

	check_structure(ex);
	check_structure(child);
	check_structure(dup);
	check_structure(lb);
	/* 6 dynamic names, ENTs pool, deep; apex, ns, static, *, app.web,
	 * fixed.pool, sub, ns.sub. */
	ck_assert_uint_eq(zone_node_count(lb), 16);
	ck_assert_uint_eq(zone_rr_count(lb), 9);

	n = node(lb, "www.lb.test");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->flags, ZONE_NODE_DYNAMIC);
	ck_assert_uint_eq(n->dyn_id, 7);
	ck_assert_uint_eq(n->rrset_count, 0);
	ck_assert_ptr_null(zone_node_rrset(n, T_A));
	ck_assert_ptr_eq(n->parent, zone_apex(lb));

	/* An empty non-terminal named dynamic keeps its children. */
	n = node(lb, "web.lb.test");
	ck_assert_uint_eq(n->flags, ZONE_NODE_DYNAMIC | ZONE_NODE_HAS_WILDCARD);
	ck_assert_uint_eq(n->dyn_id, 8);
	ck_assert_ptr_eq(node(lb, "app.web.lb.test")->parent, n);
	ck_assert_uint_eq(node(lb, "app.web.lb.test")->flags, 0);
	ck_assert_ptr_eq(node(lb, "*.web.lb.test")->parent, n);

	/* A dynamic wildcard; id 0 is an id like any other. */
	n = node(lb, "*.pool.lb.test");
	ck_assert_uint_eq(n->flags, ZONE_NODE_DYNAMIC | ZONE_NODE_WILDCARD);
	ck_assert_uint_eq(n->dyn_id, 0);
	ck_assert_uint_eq(node(lb, "pool.lb.test")->flags,
			  ZONE_NODE_EMPTY | ZONE_NODE_HAS_WILDCARD);
	ck_assert_uint_eq(node(lb, "pool.lb.test")->dyn_id, ZONE_DYN_NONE);
	ck_assert_uint_eq(node(lb, "*.web.lb.test")->flags, ZONE_NODE_DYNAMIC | ZONE_NODE_WILDCARD);
	ck_assert_uint_eq(node(lb, "*.web.lb.test")->dyn_id, 12);

	/* Empty non-terminals above a dynamic name, one of them dynamic itself. */
	n = node(lb, "a.b.deep.lb.test");
	ck_assert_uint_eq(n->flags, ZONE_NODE_DYNAMIC);
	ck_assert_uint_eq(n->dyn_id, 10);
	ck_assert(node_is(n->parent, "b.deep.lb.test"));
	ck_assert_uint_eq(n->parent->flags, ZONE_NODE_DYNAMIC);
	ck_assert_uint_eq(n->parent->dyn_id, 11);
	ck_assert(node_is(n->parent->parent, "deep.lb.test"));
	ck_assert_uint_eq(n->parent->parent->flags, ZONE_NODE_EMPTY);
	ck_assert_ptr_eq(n->parent->parent->parent, zone_apex(lb));

	/* The static data around them is unchanged. */
	ck_assert_uint_eq(zone_apex(lb)->flags, ZONE_NODE_APEX | ZONE_NODE_HAS_WILDCARD);
	ck_assert_uint_eq(node(lb, "*.lb.test")->flags, ZONE_NODE_WILDCARD);
	ck_assert_uint_eq(node(lb, "*.lb.test")->dyn_id, ZONE_DYN_NONE);
	ck_assert_uint_eq(node(lb, "sub.lb.test")->flags, ZONE_NODE_DELEGATION);
	ck_assert_uint_eq(node(lb, "ns.sub.lb.test")->flags, ZONE_NODE_OCCLUDED);
	ck_assert_ptr_nonnull(zone_node_rrset(node(lb, "static.lb.test"), T_A));
}
END_TEST

START_TEST(test_dynamic_lookup)
{
	struct zone_lookup l;

	/* Exact dynamic names. */
	lookup(lb, "WWW.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert(node_is(l.node, "www.lb.test"));
	ck_assert_uint_eq(l.node->dyn_id, 7);
	lookup(lb, "web.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->dyn_id, 8);
	lookup(lb, "b.deep.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->dyn_id, 11);

	/* A static wildcard beside a dynamic exact name: names that do not
	 * exist match it, names below the dynamic name do not. */
	lookup(lb, "nothere.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.lb.test"));
	ck_assert_uint_eq(l.node->flags & ZONE_NODE_DYNAMIC, 0);
	lookup(lb, "x.www.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "www.lb.test"));
	ck_assert(node_is(l.closest_encloser, "www.lb.test"));
	lookup(lb, "x.deep.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "deep.lb.test"));

	/* The dynamic wildcard matches names below pool that do not exist. */
	lookup(lb, "x.pool.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.pool.lb.test"));
	ck_assert(node_is(l.closest_encloser, "pool.lb.test"));
	ck_assert_uint_eq(l.node->flags & ZONE_NODE_DYNAMIC, ZONE_NODE_DYNAMIC);
	ck_assert_uint_eq(l.node->dyn_id, 0);
	lookup(lb, "a.b.c.pool.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert(node_is(l.node, "*.pool.lb.test"));
	lookup(lb, "x.web.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_WILDCARD);
	ck_assert_uint_eq(l.node->dyn_id, 12);
	ck_assert(node_is(l.closest_encloser, "web.lb.test"));
	/* The wildcard owner itself is an exact match. */
	lookup(lb, "*.pool.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->dyn_id, 0);

	/* An explicit name blocks the dynamic wildcard, at and below it. */
	lookup(lb, "fixed.pool.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_ptr_nonnull(zone_node_rrset(l.node, T_A));
	ck_assert_uint_eq(l.node->dyn_id, ZONE_DYN_NONE);
	lookup(lb, "x.fixed.pool.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	ck_assert(node_is(l.node, "fixed.pool.lb.test"));
	lookup(lb, "app.web.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_EXACT);
	ck_assert_uint_eq(l.node->dyn_id, ZONE_DYN_NONE);
	lookup(lb, "x.app.web.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);
	/* So does an empty non-terminal. */
	lookup(lb, "x.b.deep.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_NXDOMAIN);

	/* Delegations still come first. */
	lookup(lb, "x.sub.lb.test", &l);
	ck_assert_int_eq(l.match, ZONE_MATCH_DELEGATION);
	ck_assert(node_is(l.node, "sub.lb.test"));
}
END_TEST

/* The set must not load; err must start with "file:line:1: " and contain what. */
static void expect_fail(const char *file, const char *origin, int code, unsigned line,
			const char *what)
{
	char path[512], prefix[600];
	struct zone_source src = {.origin = origin, .path = path};
	struct zone_set *out = (struct zone_set *)&prefix; /* must stay untouched */
	struct gslb_err err = {""};
	int ret;

	snprintf(path, sizeof(path), "%s%s", ZDIR, file);
	ret = zone_set_load(&src, 1, &out, &err);
	ck_assert_msg(ret == code, "%s: got %d (%s), want %d", file, ret, err.msg, code);
	ck_assert_ptr_eq(out, (struct zone_set *)&prefix);
	if (line > 0) {
		snprintf(prefix, sizeof(prefix), "%s:%u:1: ", path, line);
		ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0,
			      "%s: got '%s', want '%s'", file, err.msg, prefix);
	}
	ck_assert_msg(strstr(err.msg, what) != NULL, "%s: '%s' lacks '%s'", file, err.msg, what);
}

START_TEST(test_bad_zones)
{
	expect_fail("bad-syntax.zone", "bad.test", GSLB_EPARSE, 3, "could not parse");
	expect_fail("bad-nosoa.zone", "bad.test", GSLB_EPARSE, 1, "no SOA record");
	expect_fail("bad-soa-below.zone", "bad.test", GSLB_EPARSE, 3, "not at the zone apex");
	expect_fail("bad-soa-twice.zone", "bad.test", GSLB_EPARSE, 3, "second SOA record");
	expect_fail("bad-outside.zone", "bad.test", GSLB_EPARSE, 3,
		    "www.example.org. is outside the zone bad.test.");
	expect_fail("bad-cname-other.zone", "bad.test", GSLB_EPARSE, 4,
		    "CNAME and other data at www.bad.test.");
	expect_fail("bad-cname-twice.zone", "bad.test", GSLB_EPARSE, 4,
		    "more than one CNAME record at www.bad.test.");
	expect_fail("bad-cname-apex.zone", "bad.test", GSLB_EPARSE, 2, "CNAME and other data");
	expect_fail("bad-class.zone", "bad.test", GSLB_EPARSE, 2, "class other than IN");
	expect_fail("bad-include.zone", "bad.test", GSLB_EPARSE, 2, "$INCLUDE");
	/* A zone file whose records belong to another origin. */
	expect_fail("example.com.zone", "child.example.com", GSLB_EPARSE, 10,
		    "example.com. is outside the zone child.example.com.");
}
END_TEST

/* RFC 6672 2.3, 2.4: one DNAME per name, nothing below it, no DNAME at a
 * zone cut nor beside a CNAME; the apex may have one beside SOA and NS. */
START_TEST(test_dname_rules)
{
	const struct zone_source apex = {.origin = "dname-apex.test",
					 .path = ZDIR "dname-apex.test.zone"};
	const struct zone_node *n;
	struct zone_lookup lk;
	struct zone_set *out = NULL;
	struct gslb_err err = {""};
	const struct zone *z;
	uint8_t name[DNAME_MAXLEN];
	int len;

	expect_fail("bad-dname-twice.zone", "bad.test", GSLB_EPARSE, 4,
		    "more than one DNAME record at old.bad.test.");
	expect_fail("bad-dname-below.zone", "bad.test", GSLB_EPARSE, 4,
		    "data below a DNAME at www.old.bad.test.");
	expect_fail("bad-dname-ns.zone", "bad.test", GSLB_EPARSE, 4,
		    "DNAME and NS (a zone cut) at cut.bad.test.");
	expect_fail("bad-dname-cname.zone", "bad.test", GSLB_EPARSE, 3,
		    "CNAME and other data at old.bad.test.");

	ck_assert_msg(zone_set_load(&apex, 1, &out, &err) == 0, "%s", err.msg);
	z = zone_set_zone(out, 0);
	n = zone_apex(z);
	ck_assert_ptr_nonnull(zone_node_rrset(n, 39));
	ck_assert_ptr_nonnull(zone_node_rrset(n, T_NS));
	ck_assert_uint_eq(n->flags & ZONE_NODE_DELEGATION, 0);
	/* A name below it does not exist: the answer path substitutes at
	 * the closest encloser, the DNAME's owner. */
	len = dname_from_str("www.dname-apex.test", name);
	ck_assert_int_gt(len, 0);
	zone_lookup(z, name, (size_t)len, &lk);
	ck_assert_int_eq(lk.match, ZONE_MATCH_NXDOMAIN);
	ck_assert_ptr_eq(lk.closest_encloser, n);
	zone_set_free(out);

	/* Nor may a load-balanced name live below a DNAME. */
	{
		const struct zone_dynamic dyn = {.name = "www.dname-apex.test", .id = 1,
						 .where = "gslbd.conf:9:5", .types = ZONE_DYN_A};
		struct zone_source src = apex;

		src.dynamic = &dyn;
		src.dynamic_count = 1;
		out = NULL;
		ck_assert_int_eq(zone_set_load(&src, 1, &out, &err), GSLB_EPARSE);
		ck_assert_ptr_null(out);
		ck_assert_str_eq(err.msg, "gslbd.conf:9:5: name www.dname-apex.test. is below the "
					  "DNAME at dname-apex.test.");
	}
}
END_TEST

START_TEST(test_bad_sources)
{
	const struct zone_source twice[] = {
	    {.origin = "example.com", .path = ZDIR "example.com.zone"},
	    {.origin = "EXAMPLE.com.", .path = ZDIR "example.com.zone"},
	};
	const struct zone_source later_bad[] = {
	    {.origin = "example.com", .path = ZDIR "example.com.zone"},
	    {.origin = "bad.test", .path = ZDIR "bad-nosoa.zone"},
	};
	struct zone_set *out = NULL;
	struct gslb_err err = {""};

	expect_fail("does-not-exist.zone", "bad.test", GSLB_ENOENT, 0, "cannot open");
	expect_fail("bad-nosoa.zone", "a..b", GSLB_EINVAL, 0, "invalid zone name");
	ck_assert_int_eq(zone_set_load(twice, 2, &out, &err), GSLB_EEXIST);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err.msg, "example.com. is listed twice") != NULL, "%s", err.msg);
	/* A failure after a good zone frees what was built. */
	ck_assert_int_eq(zone_set_load(later_bad, 2, &out, &err), GSLB_EPARSE);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad-nosoa.zone:1:1: no SOA record"));
	/* Nothing to load is fine. */
	ck_assert_int_eq(zone_set_load(NULL, 0, &out, &err), 0);
	ck_assert_uint_eq(zone_set_count(out), 0);
	zone_set_free(out);
	zone_set_free(NULL);
}
END_TEST

/* Loading lb.test (after example.com, which must not matter) with the one
 * dynamic name given must fail with code and exactly the message want, in
 * which "%s" stands for the path of the zone file. */
static void expect_dyn_fail(const char *name, int code, const char *want)
{
	const struct zone_dynamic dyn[] = {
	    {.name = "ok.lb.test", .id = 2, .where = "g.conf:2:1"},
	    {.name = name, .id = 3, .where = "t.conf:9:11"},
	};
	const struct zone_source src[] = {
	    {.origin = "example.com", .path = ZDIR "example.com.zone"},
	    {.origin = "lb.test", .path = ZDIR "lb.test.zone", .dynamic = dyn, .dynamic_count = 2},
	};
	struct zone_set *out = (struct zone_set *)&src; /* must stay untouched */
	struct gslb_err err = {""};
	const char *path = strstr(want, "%s");
	char msg[1024];
	int ret = zone_set_load(src, 2, &out, &err);

	if (path != NULL)
		snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(path - want), want,
			 ZDIR "lb.test.zone", path + 2);
	else
		snprintf(msg, sizeof(msg), "%s", want);
	ck_assert_msg(ret == code, "%s: got %d (%s), want %d", name, ret, err.msg, code);
	ck_assert_ptr_eq(out, (struct zone_set *)&src);
	ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_bad_dynamic)
{
	const struct zone_dynamic twice[] = {
	    {.name = "a.lb.test", .id = 1, .where = "t.conf:1:9"},
	    {.name = "b.lb.test", .id = 2, .where = "t.conf:2:9"},
	    {.name = "A.LB.TEST.", .id = 3, .where = "t.conf:3:9"},
	};
	const struct zone_dynamic twice_wild[] = {
	    {.name = "*.x.lb.test", .id = 1, .where = "t.conf:1:9"},
	    {.name = "x.lb.test", .id = 2, .where = "t.conf:2:9"},
	    {.name = "*.X.lb.test", .id = 3, .where = "t.conf:3:9"},
	};
	struct zone_source src = {.origin = "lb.test", .path = ZDIR "lb.test.zone"};
	struct zone_set *out = NULL;
	struct gslb_err err = {""};

	expect_dyn_fail("lb.example.org", GSLB_EPARSE,
			"t.conf:9:11: lb.example.org. is outside the zone lb.test.");
	expect_dyn_fail("test", GSLB_EPARSE, "t.conf:9:11: test. is outside the zone lb.test.");
	expect_dyn_fail("LB.test.", GSLB_EPARSE,
			"t.conf:9:11: lb.test. is the apex of the zone; a load-balanced name "
			"cannot be");
	expect_dyn_fail("static.lb.test", GSLB_EPARSE,
			"t.conf:9:11: static.lb.test. has records in %s; a load-balanced name "
			"cannot");
	expect_dyn_fail("*.lb.test", GSLB_EPARSE,
			"t.conf:9:11: *.lb.test. has records in %s; a load-balanced name cannot");
	expect_dyn_fail("ns.lb.test.", GSLB_EPARSE,
			"t.conf:9:11: ns.lb.test. has records in %s; a load-balanced name cannot");
	expect_dyn_fail(
	    "sub.lb.test", GSLB_EPARSE,
	    "t.conf:9:11: name sub.lb.test. is at or below the delegation sub.lb.test.");
	expect_dyn_fail("ns.sub.lb.test", GSLB_EPARSE,
			"t.conf:9:11: name ns.sub.lb.test. is at or below the delegation "
			"sub.lb.test.");
	expect_dyn_fail("www.x.sub.lb.test", GSLB_EPARSE,
			"t.conf:9:11: name www.x.sub.lb.test. is at or below the delegation "
			"sub.lb.test.");
	expect_dyn_fail("*.sub.lb.test", GSLB_EPARSE,
			"t.conf:9:11: name *.sub.lb.test. is at or below the delegation "
			"sub.lb.test.");
	expect_dyn_fail("a..lb.test", GSLB_EPARSE, "t.conf:9:11: invalid name 'a..lb.test'");
	expect_dyn_fail(
	    "x234567890123456789012345678901234567890123456789012345678901234.lb.test", GSLB_EPARSE,
	    "t.conf:9:11: invalid name "
	    "'x234567890123456789012345678901234567890123456789012345678901234.lb.test'");
	expect_dyn_fail("ok.lb.test", GSLB_EEXIST,
			"t.conf:9:11: ok.lb.test. is listed twice (first at g.conf:2:1)");

	src.dynamic = twice;
	src.dynamic_count = 3;
	ck_assert_int_eq(zone_set_load(&src, 1, &out, &err), GSLB_EEXIST);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.msg, "t.conf:3:9: a.lb.test. is listed twice (first at t.conf:1:9)");
	src.dynamic = twice_wild;
	ck_assert_int_eq(zone_set_load(&src, 1, &out, &err), GSLB_EEXIST);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.msg, "t.conf:3:9: *.x.lb.test. is listed twice (first at t.conf:1:9)");
	/* The two without the repeat load. */
	src.dynamic_count = 2;
	ck_assert_int_eq(zone_set_load(&src, 1, &out, &err), 0);
	ck_assert_uint_eq(zone_find_node(zone_set_zone(out, 0), N("x.lb.test", NULL), 11)->dyn_id,
			  2);
	zone_set_free(out);
}
END_TEST

static Suite *zones_suite(void)
{
	Suite *s = suite_create("zones");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, set_setup, set_teardown);
	tcase_add_test(valid, test_set);
	tcase_add_test(valid, test_soa);
	tcase_add_test(valid, test_structure);
	tcase_add_test(valid, test_rdata);
	tcase_add_test(valid, test_duplicates);
	tcase_add_test(valid, test_lookup_exact);
	tcase_add_test(valid, test_lookup_wildcard);
	tcase_add_test(valid, test_lookup_delegation);
	tcase_add_test(valid, test_dynamic_structure);
	tcase_add_test(valid, test_dynamic_lookup);
	tcase_add_test(invalid, test_bad_zones);
	tcase_add_test(invalid, test_bad_sources);
	tcase_add_test(invalid, test_dname_rules);
	tcase_add_test(invalid, test_bad_dynamic);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zones_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

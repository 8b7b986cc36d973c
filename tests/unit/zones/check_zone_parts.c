/* Unit tests of re-reading a zone file by parts (zone_set_load_prev() with
 * the zone read before): each edit of the file gives, by parts or in full,
 * the zone a full read of the new file gives, and the edits that can be
 * done by parts are. */
#include <config.h>

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "zones/dname.h"
#include "zones/zone.h"

static char dir[] = "check_zone_parts.XXXXXX";
static char path[600];
static char *text; /* the file's content */
static size_t text_len;

static const struct zone_dynamic dyn[] = {
    {.name = "lb.parts.test", .id = 3, .where = "t.conf:1:1", .types = ZONE_DYN_A},
    {.name = "x.y.lb2.parts.test", .id = 4, .where = "t.conf:2:1", .types = ZONE_DYN_A},
};

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void put(const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ck_assert_int_gt(n, 0);
	text = realloc(text, text_len + (size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text + text_len, line, (size_t)n + 1);
	text_len += (size_t)n;
}

/* The file the edits start from: several hundred records, so that it has
 * many boundaries where a re-read may resume. */
static void base_text(void)
{
	free(text);
	text = NULL;
	text_len = 0;
	put("; a zone to edit\n$ORIGIN parts.test.\n$TTL 300\n");
	put("@ IN SOA ns1 hostmaster (\n\t1 ; serial\n\t7200 3600 1209600 300 )\n");
	put("@ NS ns1\nns1 A 192.0.2.1\n");
	for (int i = 0; i < 200; i++) {
		if (i == 120)
			put("spread TXT \"first\"\n");
		put("h%d A 10.0.%d.%d\n", i, i / 256, i % 256);
		if (i % 10 == 0)
			put("\tAAAA 2001:db8::%x\n", i);
	}
	put("mx MX 10 mail\n$TTL 600\n");
	for (int i = 0; i < 100; i++)
		put("g%d 120 A 10.1.0.%d\n", i, i);
	put("$ORIGIN sub.parts.test.\n");
	for (int i = 0; i < 100; i++)
		put("s%d A 10.2.0.%d\n", i, i);
	put("multi TXT ( \"a\"\n\t\"b\" ) ; two lines\n");
	put("$ORIGIN parts.test.\ndup A 10.9.9.9\ndup A 10.9.9.9\n");
	for (int i = 0; i < 150; i++) {
		if (i == 100)
			put("spread TXT \"second\"\n");
		put("t%d.lb2 A 10.3.0.%d\n", i, i);
	}
	put("last A 10.4.4.4\n");
}

static void write_text(void)
{
	char tmp[700];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, text_len, fp), text_len);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* Replace the first from in text by to. */
static void edit(const char *from, const char *to)
{
	char *at = strstr(text, from);
	size_t fl = strlen(from), tl = strlen(to), off;

	ck_assert_msg(at != NULL, "no '%s' in the file", from);
	off = (size_t)(at - text);
	if (tl < fl)
		memmove(text + off + tl, text + off + fl, text_len - off - fl + 1);
	text = realloc(text, text_len - fl + tl + 1);
	ck_assert_ptr_nonnull(text);
	if (tl > fl)
		memmove(text + off + tl, text + off + fl, text_len - off - fl + 1);
	memcpy(text + off, to, tl);
	text_len = text_len - fl + tl;
}

static void source(struct zone_source *src)
{
	memset(src, 0, sizeof(*src));
	src->origin = "parts.test";
	src->path = path;
	src->dynamic = dyn;
	src->dynamic_count = sizeof(dyn) / sizeof(dyn[0]);
	src->reread = true; /* whatever the file's times say */
}

static size_t node_index(const struct zone *z, const struct zone_node *n)
{
	return n == NULL ? SIZE_MAX : (size_t)(n - zone_node_at(z, 0));
}

/* a and b are the same zone, down to each RRset's records of the file. */
static void same_zone(const struct zone *a, const struct zone *b, const char *step)
{
	ck_assert_msg(zone_node_count(a) == zone_node_count(b), "%s: %zu nodes, %zu in full", step,
		      zone_node_count(a), zone_node_count(b));
	ck_assert_uint_eq(zone_rr_count(a), zone_rr_count(b));
	ck_assert_uint_eq(zone_serial(a), zone_serial(b));
	ck_assert_uint_eq(zone_negative_ttl(a), zone_negative_ttl(b));
	for (size_t i = 0; i < zone_node_count(a); i++) {
		const struct zone_node *x = zone_node_at(a, i), *y = zone_node_at(b, i);
		char name[DNAME_STRLEN];

		dname_to_str(y->name, name, sizeof(name));
		ck_assert_msg(x->name_len == y->name_len &&
				  memcmp(x->name, y->name, x->name_len) == 0,
			      "%s: node %zu differs (%s in full)", step, i, name);
		ck_assert_msg(x->flags == y->flags && x->dyn_id == y->dyn_id &&
				  x->rrset_count == y->rrset_count &&
				  x->label_count == y->label_count,
			      "%s: node %s differs", step, name);
		ck_assert_uint_eq(node_index(a, x->parent), node_index(b, y->parent));
		ck_assert_uint_eq(node_index(a, x->cut), node_index(b, y->cut));
		for (uint16_t r = 0; r < x->rrset_count; r++) {
			const struct zone_rrset *p = &x->rrsets[r], *q = &y->rrsets[r];

			ck_assert_msg(
			    p->type == q->type && p->ttl == q->ttl && p->rr_count == q->rr_count &&
				p->rdata_len == q->rdata_len &&
				memcmp(p->rdata, q->rdata, p->rdata_len) == 0 &&
				p->file_count == q->file_count,
			    "%s: RRset %u of %s differs (ttl %u/%u, records %u/%u, in the "
			    "file %u/%u)",
			    step, (unsigned)q->type, name, p->ttl, q->ttl, p->rr_count, q->rr_count,
			    p->file_count, q->file_count);
		}
		ck_assert_ptr_eq(zone_find_node(a, x->name, x->name_len), x);
	}
}

/* Load the file as it is now, from *cur (the zone read before) and in full;
 * both must agree (or fail alike). parts: 1 must have been read by parts,
 * 0 must not, -1 either. On success *cur becomes the new set. */
static void step(struct zone_set **cur, const char *what, int parts)
{
	struct zone_source src;
	struct zone_set *inc = NULL, *full = NULL;
	struct gslb_err e1 = {""}, e2 = {""};
	int r1, r2;

	write_text();
	source(&src);
	r1 = zone_set_load_prev(&src, 1, *cur, &inc, &e1);
	r2 = zone_set_load(&src, 1, &full, &e2);
	ck_assert_msg(r1 == r2, "%s: %d (%s) by parts, %d (%s) in full", what, r1, e1.msg, r2,
		      e2.msg);
	if (r1 != 0) {
		ck_assert_str_eq(e1.msg, e2.msg);
		ck_assert_int_ne(parts, 1);
		return;
	}
	if (parts >= 0)
		ck_assert_msg(zone_set_parts_count(inc) == (size_t)parts,
			      "%s: %zu zones by parts, expected %d", what,
			      zone_set_parts_count(inc), parts);
	if (parts == 0)
		ck_assert_uint_eq(zone_set_full_count(inc), 1);
	same_zone(zone_set_zone(inc, 0), zone_set_zone(full, 0), what);
	zone_set_free(full);
	zone_set_free(*cur);
	*cur = inc;
}

START_TEST(test_parts)
{
	struct zone_set *cur = NULL;
	struct zone_source src;
	struct gslb_err err = {""};
	char *saved;
	size_t saved_len;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/parts.test.zone", dir);
	base_text();
	write_text();
	source(&src);
	ck_assert_int_eq(zone_set_load(&src, 1, &cur, &err), 0);

	step(&cur, "unchanged", 1);
	step(&cur, (edit("1 ; serial", "2 ; serial"), "serial in a multi-line SOA"), 1);
	step(&cur, (edit("h5 A 10.0.0.5\n", "h5 A 10.0.0.105\n"), "a longer address"), 1);
	step(&cur, (edit("h7 A 10.0.0.7\n", ""), "a name deleted"), 1);
	step(&cur,
	     (edit("h20 A 10.0.0.20\n", "h20 A 10.0.0.20\nh20b A 10.0.0.250\n"), "a name added"),
	     1);
	step(&cur,
	     (edit("spread TXT \"first\"", "spread TXT \"first2\""),
	      "an RRset with records elsewhere"),
	     0);
	step(&cur,
	     (edit("\tAAAA 2001:db8::a\n", "\tAAAA 2001:db8::a\n\tAAAA 2001:db8::b\n"),
	      "a record added under a blank owner"),
	     1);
	step(&cur, (edit("h0 A", "; first\nh0 A"), "a comment at the start"), 1);
	step(&cur, (edit("; a zone to edit\n", ""), "the first line deleted"), 1);
	step(&cur, (edit("last A 10.4.4.4\n", "last A 10.4.4.5"), "the end, no newline"), 1);
	step(&cur,
	     (edit("last A 10.4.4.5", "last A 10.4.4.5\nnew1 A 10.5.5.5\n"), "appended at the end"),
	     1);
	step(&cur, (edit("\"b\" )", "\"bb\"\n\t\"c\" )"), "a multi-line record"), 1);
	step(&cur, (edit("g50 120 A", "g50 A"), "the $TTL in force used"), 1);
	step(&cur, (edit("$TTL 600", "$TTL 900"), "a $TTL changed"), -1);
	step(&cur,
	     (edit("$ORIGIN sub.parts.test.", "$ORIGIN sub2.parts.test."), "an $ORIGIN changed"),
	     -1);
	step(&cur, (edit("$ORIGIN parts.test.\ndup", "dup"), "an $ORIGIN deleted"), -1);
	step(&cur, (edit("dup A 10.9.9.9\n", ""), "one of two duplicates deleted"), 1);
	step(&cur, (edit("t10.lb2 A", "t10.lb2 60 A"), "a lower TTL in an RRset"), 1);
	step(&cur, (edit("h100 A", "lb A"), "a record at a load-balanced name"), 0);
	step(&cur, (edit("lb A", "h100 A"), "undone"), -1);

	/* Errors: read in full, reported as a full read does. */
	saved = strdup(text);
	saved_len = text_len;
	step(&cur, (edit("h30 A 10.0.0.30", "h30 A ( 10.0.0.30"), "an open parenthesis"), -1);
	memcpy(text, saved, saved_len + 1);
	text_len = saved_len;
	step(&cur, (edit("h31 A", "$INCLUDE other.zone\nh31 A"), "an $INCLUDE"), 0);
	memcpy(text, saved, saved_len + 1);
	text_len = saved_len;
	step(&cur, (edit("h32 A", "h32 CNAME x\nh32 A"), "a CNAME beside other data"), 0);
	text = realloc(text, saved_len + 1);
	memcpy(text, saved, saved_len + 1);
	text_len = saved_len;
	free(saved);
	step(&cur, "back to good", 1);

	/* Everything different: read in full. */
	base_text();
	for (size_t i = 0; i < text_len; i++)
		if (text[i] == '.' && i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9')
			text[i - 1] = text[i - 1] == '9' ? '8' : '9';
	step(&cur, "all addresses changed", 0);

	zone_set_free(cur);
	free(text);
	text = NULL;
	remove(path);
	remove(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("zone_parts");
	TCase *tc = tcase_create("parts");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

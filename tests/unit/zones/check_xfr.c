/* Unit tests of zones/xfr: AXFR and IXFR (RFC 1995) responses read into a
 * zone file; the IXFR differences applied to the version held. Responses
 * are made with ldns from records written as text. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/err.h"
#include "zones/xfr.h"

#define SOA(n) "x.test. 300 IN SOA ns.x.test. h.x.test. " #n " 60 30 600 60"

static char dir[64];
static char base[128], out[128];

static void setup(void)
{
	FILE *fp;

	snprintf(dir, sizeof(dir), "check_xfr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/base.zone", dir);
	snprintf(out, sizeof(out), "%s/out.zone", dir);
	fp = fopen(base, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(SOA(1) "\n"
		     "x.test. 300 IN NS ns.x.test.\n"
		     "ns.x.test. 300 IN A 192.0.2.1\n"
		     "a.x.test. 300 IN A 192.0.2.10\n"
		     "b.x.test. 300 IN A 192.0.2.11\n",
	      fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static void teardown(void)
{
	remove(base);
	remove(out);
	remove(dir);
}

/* A response with id, question x.test/qtype and the records (text, NULL
 * ended) as its answer, in wire form (caller frees). */
static uint8_t *response(uint16_t id, ldns_rr_type qtype, ldns_pkt_rcode rcode,
			 const char *const *rrs, size_t *len)
{
	ldns_pkt *p =
	    ldns_pkt_query_new(ldns_dname_new_frm_str("x.test."), qtype, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; rrs != NULL && rrs[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, rrs[i], 300, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static int feed(struct zone_xfr *x, ldns_rr_type qtype, const char *const *rrs)
{
	struct gslb_err err = {""};
	size_t len;
	uint8_t *w = response(7, qtype, LDNS_RCODE_NOERROR, rrs, &len);
	int rc = zone_xfr_feed(x, w, len, &err);

	free(w);
	return rc;
}

/* The written zone as sorted lines "owner type rdata" (TTL and class aside,
 * the owner in lower case: compression may take the case of an earlier name). */
static char *zone_text(const char *path)
{
	char cmd[512];
	char *buf = calloc(1, 8192);
	FILE *fp;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "awk '{ $1 = tolower($1); $2 = \"\"; $3 = \"\"; print }' %s | sort", path);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, 8191, fp);
	buf[n] = '\0';
	pclose(fp);
	return buf;
}

START_TEST(test_axfr)
{
	static const char *const m1[] = {SOA(5), "x.test. 300 IN NS ns.x.test.",
					 "ns.x.test. 300 IN A 192.0.2.1", NULL};
	static const char *const m2[] = {"c.x.test. 300 IN TXT \"hello\"", SOA(5), NULL};
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};
	char *t;

	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_AXFR, NULL, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_AXFR, m1), ZONE_XFR_MORE);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_AXFR, m2), 0);
	ck_assert_uint_eq(zone_xfr_serial(x), 5);
	ck_assert(zone_xfr_has_zone(x));
	ck_assert_str_eq(zone_xfr_style(x), "axfr");
	ck_assert_uint_eq(zone_xfr_rr_count(x), 4);
	ck_assert_int_eq(zone_xfr_write(x, out, &err), 0);
	zone_xfr_free(x);
	t = zone_text(out);
	ck_assert_str_eq(t, "c.x.test.   TXT \"hello\"\n"
			    "ns.x.test.   A 192.0.2.1\n"
			    "x.test.   NS ns.x.test.\n"
			    "x.test.   SOA ns.x.test. h.x.test. 5 60 30 600 60\n");
	free(t);
}
END_TEST

START_TEST(test_ixfr_apply)
{
	/* 1 -> 2: b removed, c added; 2 -> 3: a changes address. */
	static const char *const m1[] = {SOA(3),
					 SOA(1),
					 "b.x.test. 300 IN A 192.0.2.11",
					 SOA(2),
					 "c.x.test. 300 IN A 192.0.2.12",
					 NULL};
	static const char *const m2[] = {SOA(2), "A.X.test. 300 IN A 192.0.2.10",
					 SOA(3), "a.x.test. 300 IN A 192.0.2.20",
					 SOA(3), NULL};
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};
	uint32_t serial = 0;
	uint8_t *q;
	size_t qlen;
	ldns_pkt *qp = NULL;
	char *t;

	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_IXFR, base, 7, &x, &err), 0);
	/* The query carries the version held (RFC 1995 3). */
	ck_assert_int_eq(zone_xfr_query(x, &q, &qlen, &err), 0);
	ck_assert_int_eq(ldns_wire2pkt(&qp, q, qlen), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(qp), 0)),
			 LDNS_RR_TYPE_IXFR);
	ck_assert_uint_eq(ldns_pkt_nscount(qp), 1);
	ldns_pkt_free(qp);
	free(q);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, m1), ZONE_XFR_MORE);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, m2), 0);
	ck_assert_str_eq(zone_xfr_style(x), "ixfr");
	ck_assert_uint_eq(zone_xfr_serial(x), 3);
	ck_assert_int_eq(zone_xfr_write(x, out, &err), 0);
	zone_xfr_free(x);
	t = zone_text(out);
	ck_assert_str_eq(t, "a.x.test.   A 192.0.2.20\n"
			    "c.x.test.   A 192.0.2.12\n"
			    "ns.x.test.   A 192.0.2.1\n"
			    "x.test.   NS ns.x.test.\n"
			    "x.test.   SOA ns.x.test. h.x.test. 3 60 30 600 60\n");
	free(t);
	ck_assert_int_eq(zone_file_soa(out, "x.test", &serial, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(serial, 3);
}
END_TEST

START_TEST(test_ixfr_current_and_axfr)
{
	static const char *const cur[] = {SOA(1), NULL};
	static const char *const whole[] = {SOA(9), "x.test. 300 IN NS ns.x.test.", SOA(9), NULL};
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};

	/* The SOA alone, not newer: the zone is current. */
	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_IXFR, base, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, cur), 0);
	ck_assert(!zone_xfr_has_zone(x));
	ck_assert_str_eq(zone_xfr_style(x), "current");
	zone_xfr_free(x);
	/* The whole zone in answer to an IXFR. */
	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_IXFR, base, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, whole), 0);
	ck_assert_str_eq(zone_xfr_style(x), "ixfr-axfr");
	ck_assert_uint_eq(zone_xfr_rr_count(x), 2);
	zone_xfr_free(x);
}
END_TEST

START_TEST(test_ixfr_conflict)
{
	/* Deletes a record the zone does not hold. */
	static const char *const lacks[] = {SOA(2), SOA(1), "z.x.test. 300 IN A 192.0.2.99",
					    SOA(2), SOA(2), NULL};
	/* Starts from another serial. */
	static const char *const other[] = {SOA(3), SOA(2), SOA(3), SOA(3), NULL};
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};

	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_IXFR, base, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, lacks), GSLB_ECONFLICT);
	zone_xfr_free(x);
	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_IXFR, base, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_IXFR, other), GSLB_ECONFLICT);
	zone_xfr_free(x);
}
END_TEST

START_TEST(test_bad_responses)
{
	static const char *const m[] = {SOA(5), NULL};
	static const char *const outside[] = {SOA(5), "y.test. 300 IN A 192.0.2.1", SOA(5), NULL};
	static const char *const nosoa[] = {"a.x.test. 300 IN A 192.0.2.1", NULL};
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};
	size_t len;
	uint8_t *w;

	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_AXFR, NULL, 7, &x, &err), 0);
	w = response(8, LDNS_RR_TYPE_AXFR, LDNS_RCODE_NOERROR, m, &len); /* another id */
	ck_assert_int_eq(zone_xfr_feed(x, w, len, &err), GSLB_EPARSE);
	free(w);
	w = response(7, LDNS_RR_TYPE_AXFR, LDNS_RCODE_REFUSED, NULL, &len);
	ck_assert_int_eq(zone_xfr_feed(x, w, len, &err), GSLB_EUNAVAIL);
	ck_assert_str_eq(err.msg, "the primary answered REFUSED");
	free(w);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_AXFR, nosoa), GSLB_EPARSE);
	zone_xfr_free(x);
	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_AXFR, NULL, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_AXFR, outside), GSLB_EPARSE);
	zone_xfr_free(x);
	/* The SOA query. */
	ck_assert_int_eq(zone_xfr_new("x.test", ZONE_XFR_SOA, NULL, 7, &x, &err), 0);
	ck_assert_int_eq(feed(x, LDNS_RR_TYPE_SOA, m), 0);
	ck_assert_uint_eq(zone_xfr_serial(x), 5);
	ck_assert(!zone_xfr_has_zone(x));
	zone_xfr_free(x);
	ck_assert(zone_serial_newer(1, 0xffffffffu));
	ck_assert(!zone_serial_newer(0xffffffffu, 1));
}
END_TEST

START_TEST(test_catalog)
{
	char path[160];
	char **m = NULL;
	size_t n = 0;
	struct gslb_err err = {""};
	FILE *fp;

	snprintf(path, sizeof(path), "%s/cat.zone", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("$ORIGIN cat.test.\n$TTL 0\n@ SOA invalid. invalid. 1 60 30 600 0\n@ NS invalid.\n"
	      "version TXT \"2\"\n"
	      "a1.zones PTR one.example.\n"
	      "b2.zones PTR Two.Example.\n"
	      "c3.zones PTR one.example.\n"    /* listed twice: once */
	      "group.b2.zones TXT \"g\"\n"     /* a property, not a member */
	      "x.y.zones PTR deep.example.\n", /* two labels below: not a member */
	      fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(zone_catalog_members(path, "cat.test", &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m[0], "one.example");
	ck_assert_str_eq(m[1], "Two.Example");
	for (size_t i = 0; i < n; i++)
		free(m[i]);
	free(m);
	/* Another schema version is refused. */
	fp = fopen(path, "w");
	fputs("$ORIGIN cat.test.\n@ 0 SOA invalid. invalid. 1 60 30 600 0\nversion 0 TXT \"1\"\n",
	      fp);
	fclose(fp);
	ck_assert_int_eq(zone_catalog_members(path, "cat.test", &m, &n, &err), GSLB_EPARSE);
	remove(path);
}
END_TEST

static Suite *xfr_suite(void)
{
	Suite *s = suite_create("xfr");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_axfr);
	tcase_add_test(valid, test_ixfr_apply);
	tcase_add_test(valid, test_ixfr_current_and_axfr);
	tcase_add_test(valid, test_catalog);
	tcase_add_test(invalid, test_ixfr_conflict);
	tcase_add_test(invalid, test_bad_responses);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xfr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

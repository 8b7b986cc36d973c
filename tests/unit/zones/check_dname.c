/* Unit tests of zones/dname: wire names from packets and strings,
 * canonical order and the small helpers. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "zones/dname.h"

/* A message: 12 header bytes, then "example.com" at 12, then
 * "WWW" + pointer to 12 at 25, then "a" + pointer to 25 at 31. */
static uint8_t pkt[64];
static size_t pkt_len;

static void pkt_setup(void)
{
	static const uint8_t names[] = "\007example\003com\000\003WWW\300\014\001a\300\031";

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt + 12, names, sizeof(names) - 1);
	pkt_len = 12 + sizeof(names) - 1;
}

static void pkt_teardown(void)
{
	pkt_len = 0;
}

/* With its terminating NUL, the literal is the 17-byte wire name. */
static const uint8_t www_example_com[] = "\003www\007example\003com";

START_TEST(test_unpack_valid)
{
	uint8_t out[DNAME_MAXLEN];
	size_t pos = 12;

	ck_assert_int_eq(dname_unpack(pkt, pkt_len, &pos, out, true), 13);
	ck_assert_uint_eq(pos, 25);
	ck_assert_mem_eq(out, www_example_com + 4, 13);

	/* One pointer: *pos ends just past it; case kept or lowered. */
	pos = 25;
	ck_assert_int_eq(dname_unpack(pkt, pkt_len, &pos, out, false), 17);
	ck_assert_uint_eq(pos, 31);
	ck_assert_mem_eq(out, "\3WWW", 4);
	pos = 25;
	ck_assert_int_eq(dname_unpack(pkt, pkt_len, &pos, out, true), 17);
	ck_assert_mem_eq(out, www_example_com, sizeof(www_example_com));

	/* Two pointers in a row. */
	pos = 31;
	ck_assert_int_eq(dname_unpack(pkt, pkt_len, &pos, out, true), 19);
	ck_assert_uint_eq(pos, 35);
	ck_assert_mem_eq(out, "\1a\3www\7example\3com", 19);

	/* The root name. */
	pkt[40] = 0;
	pos = 40;
	ck_assert_int_eq(dname_unpack(pkt, 41, &pos, out, true), 1);
	ck_assert_uint_eq(pos, 41);
	ck_assert_uint_eq(out[0], 0);
}
END_TEST

START_TEST(test_unpack_longest)
{
	/* 3 labels of 63, one of 61 and the root: exactly 255 bytes. */
	uint8_t msg[300], out[DNAME_MAXLEN];
	size_t n = 0, pos = 0;

	for (int i = 0; i < 3; i++) {
		msg[n++] = 63;
		memset(msg + n, 'x', 63);
		n += 63;
	}
	msg[n++] = 61;
	memset(msg + n, 'y', 61);
	n += 61;
	msg[n++] = 0;
	ck_assert_uint_eq(n, 255);
	ck_assert_int_eq(dname_unpack(msg, n, &pos, out, true), 255);
	ck_assert_uint_eq(pos, 255);
	ck_assert_uint_eq(dname_len(out), 255);
	ck_assert_uint_eq(dname_label_count(out), 5);
}
END_TEST

static void expect_bad(const uint8_t *msg, size_t len, size_t start)
{
	uint8_t out[DNAME_MAXLEN];
	size_t pos = start;

	ck_assert_int_eq(dname_unpack(msg, len, &pos, out, true), GSLB_EPARSE);
	ck_assert_uint_eq(pos, start);
}

START_TEST(test_unpack_invalid)
{
	uint8_t msg[600];

	/* Pointer to itself, forwards, and into its own name. */
	memcpy(msg, "\300\000", 2);
	expect_bad(msg, 2, 0);
	memcpy(msg, "\300\002\000", 3);
	expect_bad(msg, 3, 0);
	memcpy(msg, "\001a\300\000", 4);
	expect_bad(msg, 4, 0);
	/* A loop between two names: 0 -> 4 is forward from 0. */
	memcpy(msg, "\001a\300\004\001b\300\000", 8);
	expect_bad(msg, 8, 0);
	expect_bad(msg, 8, 4);
	/* Truncation: label, root, pointer cut in half, start past the end. */
	memcpy(msg, "\005ab", 3);
	expect_bad(msg, 3, 0);
	memcpy(msg, "\002ab", 3);
	expect_bad(msg, 3, 0);
	memcpy(msg, "\000\300", 2);
	expect_bad(msg, 2, 1);
	expect_bad(msg, 2, 2);
	expect_bad(msg, 0, 0);
	/* Label types 01 and 10. */
	memcpy(msg, "\101a\000", 3);
	expect_bad(msg, 3, 0);
	memcpy(msg, "\201a\000", 3);
	expect_bad(msg, 3, 0);
	/* 4 labels of 63: 257 bytes. */
	for (int i = 0; i < 4; i++) {
		msg[i * 64] = 63;
		memset(msg + i * 64 + 1, 'x', 63);
	}
	msg[256] = 0;
	expect_bad(msg, 257, 0);
	/* Too long only once the pointer is followed. */
	msg[257] = 63;
	memset(msg + 258, 'z', 63);
	msg[321] = 0xc0;
	msg[322] = 64; /* the last three 63-byte labels and the root: 193 bytes */
	{
		uint8_t out[DNAME_MAXLEN];
		size_t pos = 64;

		ck_assert_int_eq(dname_unpack(msg, 323, &pos, out, true), 193);
	}
	expect_bad(msg, 323, 257);
}
END_TEST

START_TEST(test_from_str_valid)
{
	uint8_t out[DNAME_MAXLEN], back[DNAME_MAXLEN];
	char buf[DNAME_STRLEN];

	ck_assert_int_eq(dname_from_str("www.Example.COM", out), 17);
	ck_assert_mem_eq(out, www_example_com, 17);
	ck_assert_int_eq(dname_from_str("www.example.com.", out), 17);
	ck_assert_mem_eq(out, www_example_com, 17);
	ck_assert_int_eq(dname_from_str(".", out), 1);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_int_eq(dname_from_str("", out), 1);
	dname_to_str(out, buf, sizeof(buf));
	ck_assert_str_eq(buf, ".");

	/* Escapes: "\." stays inside the label, "\DDD" is a byte. */
	ck_assert_int_eq(dname_from_str("a\\.b.\\065\\\\\\000.", out), 9);
	ck_assert_mem_eq(out, "\3a.b\3a\\\0\0", 9);
	dname_to_str(out, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a\\.b.a\\\\\\000.");
	ck_assert_int_eq(dname_from_str(buf, back), 9);
	ck_assert_mem_eq(back, out, 9);

	/* Special and non-printable bytes come back escaped. */
	ck_assert_int_eq(dname_from_str("\\@\\$\\(\\)\\;\\\"\\032\\255.x", out), 12);
	dname_to_str(out, buf, sizeof(buf));
	ck_assert_str_eq(buf, "\\@\\$\\(\\)\\;\\\"\\032\\255.x.");
	ck_assert_int_eq(dname_from_str(buf, back), 12);
	ck_assert_mem_eq(back, out, 12);

	/* Too small a buffer truncates but terminates. */
	dname_from_str("www.example.com", out);
	dname_to_str(out, buf, 5);
	ck_assert_str_eq(buf, "www.");
}
END_TEST

START_TEST(test_from_str_limits)
{
	char s[400];
	uint8_t out[DNAME_MAXLEN];

	/* A 63-byte label passes; 3*64 + 62 + 1 = 255 bytes passes. */
	memset(s, 'a', 63);
	strcpy(s + 63, ".b");
	ck_assert_int_eq(dname_from_str(s, out), 67);
	memset(s, 'x', sizeof(s));
	s[63] = s[127] = s[191] = '.';
	s[191 + 62] = '\0';
	ck_assert_int_eq(dname_from_str(s, out), 255);
}
END_TEST

START_TEST(test_from_str_invalid)
{
	static const char *const bad[] = {"a..b",  ".a",   "..",  "a.b..",
					  "\\256", "\\12", "a\\", "\\0x1"};
	char s[400];
	uint8_t out[DNAME_MAXLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dname_from_str(bad[i], out) == GSLB_EPARSE, "accepted '%s'", bad[i]);
	/* A 64-byte label. */
	memset(s, 'a', 64);
	s[64] = '\0';
	ck_assert_int_eq(dname_from_str(s, out), GSLB_EPARSE);
	/* 256 bytes. */
	memset(s, 'x', sizeof(s));
	s[63] = s[127] = s[191] = '.';
	s[191 + 63] = '\0';
	ck_assert_int_eq(dname_from_str(s, out), GSLB_EPARSE);
	/* Far too long, in short labels. */
	for (int i = 0; i < 200; i++) {
		s[2 * i] = 'a';
		s[2 * i + 1] = '.';
	}
	s[399] = '\0';
	ck_assert_int_eq(dname_from_str(s, out), GSLB_EPARSE);
}
END_TEST

START_TEST(test_compare_order)
{
	/* RFC 4034 6.1, in order. */
	static const char *const names[] = {
	    "example",         "a.example",      "yljkjljk.a.example",
	    "Z.a.example",     "zABC.a.EXAMPLE", "z.example",
	    "\\001.z.example", "*.z.example",    "\\200.z.example"};
	size_t count = sizeof(names) / sizeof(names[0]);
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN];

	for (size_t i = 0; i < count; i++) {
		ck_assert_int_gt(dname_from_str(names[i], a), 0);
		ck_assert_int_eq(dname_compare(a, a), 0);
		for (size_t j = 0; j < count; j++) {
			int c;

			ck_assert_int_gt(dname_from_str(names[j], b), 0);
			c = dname_compare(a, b);
			if (i < j)
				ck_assert_msg(c < 0, "%s !< %s", names[i], names[j]);
			else if (i > j)
				ck_assert_msg(c > 0, "%s !> %s", names[i], names[j]);
			else
				ck_assert_int_eq(c, 0);
		}
	}
	/* The root sorts first. */
	dname_from_str(".", a);
	dname_from_str("a", b);
	ck_assert_int_lt(dname_compare(a, b), 0);
}
END_TEST

START_TEST(test_helpers)
{
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN], offs[DNAME_MAXLABELS];
	uint8_t upper[] = {3, 'W', 'w', 'W', 2, 'C', 'o', 0};

	dname_from_str("www.example.com", a);
	ck_assert_uint_eq(dname_len(a), 17);
	ck_assert_uint_eq(dname_label_count(a), 4);
	ck_assert_uint_eq(dname_label_offsets(a, offs), 4);
	ck_assert_uint_eq(offs[0], 0);
	ck_assert_uint_eq(offs[1], 4);
	ck_assert_uint_eq(offs[2], 12);
	ck_assert_uint_eq(offs[3], 16);
	dname_from_str(".", b);
	ck_assert_uint_eq(dname_label_count(b), 1);
	ck_assert_uint_eq(dname_label_offsets(b, offs), 1);
	ck_assert_uint_eq(offs[0], 0);

	dname_from_str("example.com", b);
	ck_assert(dname_is_subdomain(a, b));
	ck_assert(dname_is_subdomain(b, b));
	ck_assert(!dname_is_subdomain(b, a));
	dname_from_str("ample.com", b);
	ck_assert(!dname_is_subdomain(a, b)); /* a suffix, but not at a label boundary */
	dname_from_str("com", b);
	ck_assert(dname_is_subdomain(a, b));
	dname_from_str("org", b);
	ck_assert(!dname_is_subdomain(a, b));
	dname_from_str(".", b);
	ck_assert(dname_is_subdomain(a, b));

	ck_assert(!dname_is_wildcard(a));
	dname_from_str("*.example.com", b);
	ck_assert(dname_is_wildcard(b));
	dname_from_str("**.example.com", b);
	ck_assert(!dname_is_wildcard(b));

	dname_from_str("www.co", b);
	ck_assert(dname_equal(upper, b));
	ck_assert(!dname_equal(upper, a));
	dname_lower(upper);
	ck_assert_mem_eq(upper, b, sizeof(upper));
	ck_assert_uint_eq(dname_hash(upper, sizeof(upper)), dname_hash(b, sizeof(upper)));
	ck_assert_uint_ne(dname_hash(a, 17), dname_hash(b, sizeof(upper)));
}
END_TEST

static Suite *dname_suite(void)
{
	Suite *s = suite_create("dname");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, pkt_setup, pkt_teardown);
	tcase_add_checked_fixture(invalid, pkt_setup, pkt_teardown);
	tcase_add_test(valid, test_unpack_valid);
	tcase_add_test(valid, test_unpack_longest);
	tcase_add_test(valid, test_from_str_valid);
	tcase_add_test(valid, test_from_str_limits);
	tcase_add_test(valid, test_compare_order);
	tcase_add_test(valid, test_helpers);
	tcase_add_test(invalid, test_unpack_invalid);
	tcase_add_test(invalid, test_from_str_invalid);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dname_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

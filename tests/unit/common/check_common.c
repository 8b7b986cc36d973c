/* Unit tests of common/: address and prefix parsing and matching. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/netaddr.h"

START_TEST(test_netaddr_parse_valid)
{
	struct netaddr a;
	char buf[NETADDR_STRLEN];

	ck_assert_int_eq(netaddr_parse("127.0.0.1:5353", 53, &a), 0);
	netaddr_format(&a.u.sa, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1:5353");
	ck_assert_int_eq(netaddr_parse("[::1]:0", 53, &a), 0);
	netaddr_format(&a.u.sa, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[::1]:0");
	ck_assert_int_eq(netaddr_parse("::1", 53, &a), 0);
	ck_assert_uint_eq(netaddr_port(&a.u.sa), 53);
	ck_assert_int_eq(netaddr_parse("192.0.2.1", 5300, &a), 0);
	ck_assert_uint_eq(netaddr_port(&a.u.sa), 5300);
}
END_TEST

START_TEST(test_netaddr_parse_invalid)
{
	static const char *const bad[] = { "", "1.2.3.4:", "1.2.3.4:65536", "[::1", "[::1]x",
					   "example.com:53", "1.2.3.4:5x", "300.1.1.1" };
	struct netaddr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netaddr_parse(bad[i], 53, &a) == GSLB_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_netprefix_valid)
{
	struct netprefix p;
	struct netaddr a;
	char buf[64];

	ck_assert_int_eq(netprefix_parse("192.0.2.0/24", &p), 0);
	netprefix_format(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.0/24");
	ck_assert_int_eq(netaddr_parse("192.0.2.200", 0, &a), 0);
	ck_assert(netprefix_contains(&p, &a.u.sa));
	ck_assert_int_eq(netaddr_parse("192.0.3.1", 0, &a), 0);
	ck_assert(!netprefix_contains(&p, &a.u.sa));
	/* IPv4-mapped IPv6 matches the IPv4 prefix. */
	ck_assert_int_eq(netaddr_parse("::ffff:192.0.2.7", 0, &a), 0);
	ck_assert(netprefix_contains(&p, &a.u.sa));
	ck_assert_int_eq(netprefix_parse("2001:db8::/33", &p), 0);
	ck_assert_int_eq(netaddr_parse("2001:db8:7fff::1", 0, &a), 0);
	ck_assert(netprefix_contains(&p, &a.u.sa));
	ck_assert_int_eq(netaddr_parse("2001:db8:8000::1", 0, &a), 0);
	ck_assert(!netprefix_contains(&p, &a.u.sa));
	ck_assert_int_eq(netprefix_parse("0.0.0.0/0", &p), 0);
	ck_assert(!netprefix_contains(&p, &a.u.sa)); /* family differs */
	ck_assert_int_eq(netprefix_parse("10.1.2.3", &p), 0);
	ck_assert_uint_eq(p.len, 32);
}
END_TEST

START_TEST(test_netprefix_invalid)
{
	static const char *const bad[] = { "192.0.2.1/24", "10.0.0.0/33", "::/129", "10.0.0.0/",
					   "10.0.0.0/x", "/8", "2001:db8::1/32" };
	struct netprefix p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(netprefix_parse(bad[i], &p) == GSLB_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_test(valid, test_netaddr_parse_valid);
	tcase_add_test(valid, test_netprefix_valid);
	tcase_add_test(invalid, test_netaddr_parse_invalid);
	tcase_add_test(invalid, test_netprefix_invalid);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(common_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

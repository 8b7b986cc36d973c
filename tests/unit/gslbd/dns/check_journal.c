/* Unit tests of gslbd/dns/journal: the difference of two versions of a
 * zone (records removed and added, each list opened by its SOA; a changed
 * TTL is a removal and an addition; names gone or new), the journal's
 * bound in bytes (oldest dropped), a gap that restarts it, and finding a
 * client's serial. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

static struct zone_set *load(const char *text)
{
	char path[64];
	FILE *f;
	struct zone_source src = {.origin = "example.com"};
	struct zone_set *set = NULL;
	struct gslb_err err;

	snprintf(path, sizeof(path), "check_journal-%d.zone", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	src.path = path;
	ck_assert_msg(zone_set_load(&src, 1, &set, &err) == 0, "%s", err.msg);
	unlink(path);
	return set;
}

#define HEAD(serial)                                                                       \
	"$ORIGIN example.com.\n$TTL 300\n"                                                 \
	"@ SOA ns1 host " serial " 7200 3600 1209600 300\n"                                \
	"@ NS ns1\nns1 A 192.0.2.53\n"

/* The records of a packed list as "owner type ttl first-rdata-byte" lines. */
static void list_text(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t pos = 0, o = 0;
	const uint8_t *owner, *rd;
	uint16_t type, rdlen;
	uint32_t ttl;

	out[0] = '\0';
	while (journal_rr_next(p, len, &pos, &owner, &type, &ttl, &rd, &rdlen) == 0) {
		char name[DNAME_STRLEN];

		dname_to_str(owner, name, sizeof(name));
		o += (size_t)snprintf(out + o, cap - o, "%s %u %u %u;", name, type, ttl,
				      rdlen > 0 ? rd[rdlen - 1] : 0);
	}
}

START_TEST(test_diff)
{
	struct zone_set *a = load(HEAD("1") "www A 192.0.2.1\nwww A 192.0.2.2\n"
					     "old TXT \"x\"\nttl 60 A 192.0.2.9\n");
	struct zone_set *b = load(HEAD("2") "www A 192.0.2.2\nwww A 192.0.2.3\n"
					     "new AAAA 2001:db8::1\nttl 120 A 192.0.2.9\n");
	struct journal_diff *d =
	    journal_diff_make(zone_set_zone(a, 0), zone_set_zone(b, 0));
	char text[1024];

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->from, 1);
	ck_assert_uint_eq(d->to, 2);
	list_text(d->del, d->del_len, text, sizeof(text));
	ck_assert_str_eq(text, "example.com. 6 300 44;old.example.com. 16 300 120;"
			       "ttl.example.com. 1 60 9;www.example.com. 1 300 1;");
	ck_assert_uint_eq(d->del_count, 4);
	list_text(d->add, d->add_len, text, sizeof(text));
	ck_assert_str_eq(text, "example.com. 6 300 44;new.example.com. 28 300 1;"
			       "ttl.example.com. 1 120 9;www.example.com. 1 300 3;");
	ck_assert_uint_eq(d->add_count, 4);
	/* The same serial: nothing to send. */
	ck_assert_ptr_null(journal_diff_make(zone_set_zone(b, 0), zone_set_zone(b, 0)));
	{
		struct journal *j = journal_append(NULL, d, 1 << 20);

		ck_assert_uint_eq(j->count, 1);
		ck_assert_int_eq(journal_find(j, 1), 0);
		ck_assert_int_eq(journal_find(j, 2), -1);
		journal_unref(j);
	}
	zone_set_free(a);
	zone_set_free(b);
}
END_TEST

START_TEST(test_bound_and_gap)
{
	struct zone_set *v[5];
	struct journal *j = NULL, *next;
	char serial[64];

	for (int i = 0; i < 5; i++) {
		char text[512];

		snprintf(serial, sizeof(serial), "%d", i + 1);
		snprintf(text, sizeof(text), HEAD("%s") "www A 192.0.2.%d\n", serial, i + 1);
		v[i] = load(text);
	}
	/* Room for about two differences. */
	for (int i = 1; i < 5; i++) {
		struct journal_diff *d = journal_diff_make(zone_set_zone(v[i - 1], 0),
							   zone_set_zone(v[i], 0));
		size_t one = sizeof(*d) + d->del_len + d->add_len;

		next = journal_append(j, d, 2 * one + one / 2);
		journal_unref(j);
		j = next;
	}
	ck_assert_uint_eq(j->count, 2);
	ck_assert_int_eq(journal_find(j, 1), -1);
	ck_assert_int_eq(journal_find(j, 2), -1);
	ck_assert_int_eq(journal_find(j, 3), 0);
	ck_assert_int_eq(journal_find(j, 4), 1);
	ck_assert_uint_eq(j->diffs[1]->to, 5);
	/* A difference that does not continue the journal restarts it. */
	next = journal_append(j, journal_diff_make(zone_set_zone(v[0], 0), zone_set_zone(v[2], 0)),
			      1 << 20);
	ck_assert_uint_eq(next->count, 1);
	ck_assert_int_eq(journal_find(next, 1), 0);
	journal_unref(next);
	/* A bound of 0 keeps nothing. */
	next = journal_append(j, journal_diff_make(zone_set_zone(v[3], 0), zone_set_zone(v[4], 0)),
			      0);
	ck_assert_uint_eq(next->count, 0);
	ck_assert_uint_eq(next->bytes, 0);
	journal_unref(next);
	journal_unref(j);
	for (int i = 0; i < 5; i++)
		zone_set_free(v[i]);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *valid = tcase_create("valid");

	tcase_add_test(valid, test_diff);
	tcase_add_test(valid, test_bound_and_gap);
	suite_add_tcase(s, valid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

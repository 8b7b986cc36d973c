/* Unit tests of gslbd/dns/journal_file: a journal written and read back
 * is the same (differences, serial, the re-signing mark), the bound drops
 * the oldest on reading, and a file that is absent, of another zone,
 * truncated at any length or corrupted anywhere (the checksum recomputed
 * too, so that the structure checks are reached) is refused, never
 * trusted, never a crash. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gslbd/dns/journal.h"
#include "gslbd/dns/journal_file.h"
#include "zones/dname.h"
#include "zones/zone.h"

static char path[64], zpath[64];

static struct zone_set *load(const char *origin, const char *text)
{
	FILE *f;
	struct zone_source src = {.origin = origin, .path = zpath};
	struct zone_set *set = NULL;
	struct gslb_err err;

	f = fopen(zpath, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_msg(zone_set_load(&src, 1, &set, &err) == 0, "%s", err.msg);
	unlink(zpath);
	return set;
}

#define HEAD(serial)                                                                               \
	"$ORIGIN example.com.\n$TTL 300\n"                                                         \
	"@ SOA ns1 host " serial " 7200 3600 1209600 300\n"                                        \
	"@ NS ns1\nns1 A 192.0.2.53\n"

/* A journal of example.com from 1 to 2 to 3; *origin set. */
static struct journal *make(uint8_t *origin)
{
	struct zone_set *v1 = load("example.com", HEAD("1") "www A 192.0.2.1\n");
	struct zone_set *v2 = load("example.com", HEAD("2") "www A 192.0.2.2\nnew TXT \"x\"\n");
	struct zone_set *v3 = load("example.com", HEAD("3") "www A 192.0.2.3\n");
	struct journal *a, *b, *c;

	a = journal_append(NULL, NULL, 1 << 20);
	b = journal_append(
	    a, journal_diff_make(zone_set_zone(v1, 0), NULL, zone_set_zone(v2, 0), NULL), 1 << 20);
	c = journal_append(
	    b, journal_diff_make(zone_set_zone(v2, 0), NULL, zone_set_zone(v3, 0), NULL), 1 << 20);
	memcpy(origin, zone_origin(zone_set_zone(v1, 0)),
	       dname_len(zone_origin(zone_set_zone(v1, 0))));
	journal_unref(a);
	journal_unref(b);
	zone_set_free(v1);
	zone_set_free(v2);
	zone_set_free(v3);
	ck_assert_uint_eq(c->count, 2);
	return c;
}

static uint8_t *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void spill(const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* The file's checksum made right again after an edit. */
static void reseal(uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i + 8 < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 8; i++)
		p[len - 8 + i] = (uint8_t)(h >> (56 - 8 * i));
}

/* Read path; when it is accepted, walk every record of it (what IXFR
 * does), which must stay inside the buffers. Returns read's code. */
static int read_walk(const uint8_t *origin)
{
	struct journal *j = NULL;
	struct gslb_err err = {""};
	uint32_t serial;
	int rc = journal_file_read(path, origin, 1 << 20, &j, &serial, &err);

	if (rc != 0) {
		ck_assert_int_eq(rc, GSLB_EPARSE);
		return rc;
	}
	for (size_t i = 0; i < j->count; i++) {
		const struct journal_diff *d = j->diffs[i];
		const uint8_t *owner, *rd;
		uint16_t type, rdlen;
		uint32_t ttl, n = 0;
		size_t pos = 0;

		while (journal_rr_next(d->del, d->del_len, &pos, &owner, &type, &ttl, &rd,
				       &rdlen) == 0)
			n++;
		ck_assert_uint_eq(n, d->del_count);
		ck_assert_uint_eq(pos, d->del_len);
	}
	journal_unref(j);
	return rc;
}

static void setup(void)
{
	snprintf(path, sizeof(path), "check_journal_file-%d.journal", (int)getpid());
	snprintf(zpath, sizeof(zpath), "check_journal_file-%d.zone", (int)getpid());
}

static void teardown(void)
{
	unlink(path);
}

START_TEST(test_round_trip)
{
	uint8_t origin[DNAME_MAXLEN], other[DNAME_MAXLEN];
	struct journal *j = make(origin), *back = NULL;
	struct gslb_err err = {""};
	uint32_t serial = 0;
	char tmp[80];

	ck_assert_int_eq(journal_file_read(path, origin, 1 << 20, &back, &serial, &err),
			 GSLB_ENOENT);
	ck_assert_int_eq(journal_file_write(path, origin, 3, j, &err), 0);
	/* Renamed into place: no temporary file left. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(journal_file_read(path, origin, 1 << 20, &back, &serial, &err), 0);
	ck_assert_uint_eq(serial, 3);
	ck_assert_uint_eq(back->count, 2);
	ck_assert(!back->skip);
	for (size_t i = 0; i < 2; i++) {
		const struct journal_diff *a = j->diffs[i], *b = back->diffs[i];

		ck_assert_uint_eq(a->from, b->from);
		ck_assert_uint_eq(a->to, b->to);
		ck_assert_uint_eq(a->del_count, b->del_count);
		ck_assert_uint_eq(a->add_count, b->add_count);
		ck_assert_uint_eq(a->del_len, b->del_len);
		ck_assert_uint_eq(a->add_len, b->add_len);
		ck_assert_mem_eq(a->del, b->del, a->del_len);
		ck_assert_mem_eq(a->add, b->add, a->add_len);
	}
	ck_assert_int_eq(journal_find(back, 1), 0);
	journal_unref(back);

	/* The bound: only the newest difference fits. */
	ck_assert_int_eq(journal_file_read(path, origin, j->bytes - 1, &back, &serial, &err), 0);
	ck_assert_uint_eq(back->count, 1);
	ck_assert_uint_eq(back->diffs[0]->from, 2);
	journal_unref(back);

	/* Another zone's name: refused. */
	ck_assert_int_gt(dname_from_str("example.net", other), 0);
	ck_assert_int_eq(journal_file_read(path, other, 1 << 20, &back, &serial, &err),
			 GSLB_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "another zone"));

	/* The serial written must be where the differences lead. */
	ck_assert_int_eq(journal_file_write(path, origin, 4, j, &err), 0);
	ck_assert_int_eq(journal_file_read(path, origin, 1 << 20, &back, &serial, &err),
			 GSLB_EPARSE);

	/* No journal, and the mark of a re-signing under the same serial. */
	journal_unref(j);
	j = journal_append(NULL, NULL, 1 << 20);
	j->skip = true;
	j->skip_serial = 7;
	ck_assert_int_eq(journal_file_write(path, origin, 7, j, &err), 0);
	ck_assert_int_eq(journal_file_read(path, origin, 1 << 20, &back, &serial, &err), 0);
	ck_assert_uint_eq(serial, 7);
	ck_assert_uint_eq(back->count, 0);
	ck_assert(back->skip);
	ck_assert_uint_eq(back->skip_serial, 7);
	journal_unref(back);
	journal_unref(j);
}
END_TEST

/* Truncated at every length, every byte flipped: refused (the checksum). */
START_TEST(test_truncated_and_flipped)
{
	uint8_t origin[DNAME_MAXLEN];
	struct journal *j = make(origin);
	struct gslb_err err = {""};
	uint8_t *good;
	size_t len;

	ck_assert_int_eq(journal_file_write(path, origin, 3, j, &err), 0);
	journal_unref(j);
	good = slurp(&len);
	for (size_t n = 0; n < len; n++) {
		spill(good, n);
		ck_assert_int_eq(read_walk(origin), GSLB_EPARSE);
	}
	for (size_t i = 0; i < len; i++) {
		good[i] ^= 0x5a;
		spill(good, len);
		ck_assert_int_eq(read_walk(origin), GSLB_EPARSE);
		good[i] ^= 0x5a;
	}
	spill(good, len);
	ck_assert_int_eq(read_walk(origin), 0);
	free(good);
}
END_TEST

/* Corrupted with the checksum made right: the structure checks refuse
 * what does not hold together, and what they accept can be walked. */
START_TEST(test_corrupt_resealed)
{
	uint8_t origin[DNAME_MAXLEN];
	struct journal *j = make(origin);
	struct gslb_err err = {""};
	uint8_t *good, *p;
	size_t len;
	unsigned refused = 0;

	ck_assert_int_eq(journal_file_write(path, origin, 3, j, &err), 0);
	journal_unref(j);
	good = slurp(&len);
	p = malloc(len);
	srand(1982);
	for (int round = 0; round < 4000; round++) {
		int edits = 1 + rand() % 4;

		memcpy(p, good, len);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand() % (len - 8);

			p[at] = round % 3 == 0 ? (uint8_t)rand()
					       : (uint8_t)(p[at] ^ (1u << (rand() % 8)));
		}
		reseal(p, len);
		spill(p, len);
		if (read_walk(origin) != 0)
			refused++;
	}
	/* Each byte flipped in the header and length fields is caught. */
	for (size_t i = 8; i < 28; i++) {
		memcpy(p, good, len);
		p[i] ^= 0x80;
		reseal(p, len);
		spill(p, len);
		(void)read_walk(origin);
	}
	ck_assert_uint_gt(refused, 1000);
	free(p);
	free(good);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("journal_file");
	TCase *tc = tcase_create("file");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_truncated_and_flipped);
	tcase_add_test(tc, test_corrupt_resealed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

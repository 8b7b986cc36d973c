/* Unit tests of geo/: mmdb lookups against the databases written by
 * tests/data/geo/make-test-mmdb.pl (whose header lists the networks),
 * layouts, private blocks and great-circle distance. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <maxminddb.h>

#include "common/err.h"
#include "geo/geo_db.h"

#define CITY_DB TEST_DATA_DIR "/geo/test-city.mmdb"
#define FLAT_DB TEST_DATA_DIR "/geo/test-flat.mmdb"

static struct geo_db *city;
static struct geo_db *flat;

static void open_dbs(void)
{
	struct geo_layout layout;
	struct gslb_err err = {""};

	ck_assert_msg(geo_db_open(CITY_DB, NULL, &city, &err) == 0, "%s", err.msg);
	geo_layout_flat(&layout);
	ck_assert_msg(geo_db_open(FLAT_DB, &layout, &flat, &err) == 0, "%s", err.msg);
}

static void close_dbs(void)
{
	geo_db_close(city);
	geo_db_close(flat);
	city = NULL;
	flat = NULL;
}

/* Parse a textual address into family + bytes. */
static int parse_ip(const char *s, uint8_t addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	ck_assert_msg(inet_pton(AF_INET6, s, addr) == 1, "bad test address %s", s);
	return AF_INET6;
}

static struct geo_location lookup(const struct geo_db *db, const char *ip)
{
	struct geo_location loc;
	uint8_t addr[16];
	int family = parse_ip(ip, addr);

	memset(&loc, 0xa5, sizeof(loc));
	ck_assert_msg(geo_db_lookup(db, family, addr, &loc) == 0, "lookup %s failed", ip);
	return loc;
}

struct city_case {
	const char *ip;        /* address looked up */
	const char *country;   /* expected country code */
	const char *continent; /* expected continent code */
	double lat;            /* expected latitude */
	double lon;            /* expected longitude */
	unsigned prefix;       /* expected prefix length in the query's family */
};

static const struct city_case city_cases[] = {
    {"81.2.69.160", "GB", "EU", 51.5142, -0.0931, 24},
    {"81.2.69.0", "GB", "EU", 51.5142, -0.0931, 24},
    {"81.2.69.255", "GB", "EU", 51.5142, -0.0931, 24},
    {"2.125.160.216", "GB", "EU", 53.4808, -2.2426, 20},
    {"2.125.175.255", "GB", "EU", 53.4808, -2.2426, 20},
    {"198.51.100.7", "IE", "EU", 53.3498, -6.2603, 24},
    {"192.0.2.1", "US", "NA", 40.7128, -74.0060, 24},
    {"203.0.113.200", "SG", "AS", 1.3521, 103.8198, 24},
    {"45.0.12.34", "AU", "OC", -33.8688, 151.2093, 16},
    {"177.0.200.1", "BR", "SA", -23.5505, -46.6333, 16},
    {"41.0.0.1", "ZA", "AF", -26.2041, 28.0473, 16},
    {"37.0.0.0", "FR", "EU", 48.8566, 2.3522, 28},
    {"37.0.0.15", "FR", "EU", 48.8566, 2.3522, 28},
    {"2001:db8:100::1", "GB", "EU", 51.5142, -0.0931, 48},
    {"2001:db8:100:ffff:ffff:ffff:ffff:ffff", "GB", "EU", 51.5142, -0.0931, 48},
    {"2001:db8:200:1::1", "US", "NA", 40.7128, -74.0060, 48},
    {"2001:db8:300::1", "SG", "AS", 1.3521, 103.8198, 40},
    {"2001:db8:3ab:cd::1", "SG", "AS", 1.3521, 103.8198, 40},
    /* IPv4-mapped: the IPv4 network, counted in IPv6 bits. */
    {"::ffff:192.0.2.1", "US", "NA", 40.7128, -74.0060, 120},
    {"::ffff:37.0.0.9", "FR", "EU", 48.8566, 2.3522, 124},
    {"::ffff:45.0.255.255", "AU", "OC", -33.8688, 151.2093, 112},
    /* IPv4-compatible (::/96) is where the IPv4 data lives. */
    {"::192.0.2.1", "US", "NA", 40.7128, -74.0060, 120},
    /* 6to4 (2002::/16) is aliased to the IPv4 data. */
    {"2002:c000:0201::1", "US", "NA", 40.7128, -74.0060, 40},
    {"2002:2d00:1::", "AU", "OC", -33.8688, 151.2093, 32},
};

START_TEST(test_city_found)
{
	const struct city_case *c = &city_cases[_i];
	struct geo_location loc = lookup(city, c->ip);

	ck_assert_msg(loc.found, "%s not found", c->ip);
	ck_assert_msg(loc.has_coords, "%s has no coordinates", c->ip);
	ck_assert_str_eq(loc.country, c->country);
	ck_assert_str_eq(loc.continent, c->continent);
	ck_assert_double_eq_tol(loc.lat, c->lat, 1e-9);
	ck_assert_double_eq_tol(loc.lon, c->lon, 1e-9);
	ck_assert_msg(loc.prefix_len == c->prefix, "%s: prefix %u, expected %u", c->ip,
		      loc.prefix_len, c->prefix);
}
END_TEST

/* The IPv4 networks in test-city.mmdb, to work out independently how big the
 * empty region around a not-found address is. */
static const char *const city_v4_networks[] = {
    "81.2.69.0/24", "2.125.160.0/20", "198.51.100.0/24", "192.0.2.0/24", "203.0.113.0/24",
    "45.0.0.0/16",  "177.0.0.0/16",   "41.0.0.0/16",     "37.0.0.0/28",  "62.0.0.0/24",
};

static uint32_t v4_mask(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* Shortest prefix around ip that overlaps none of the networks: what a
 * minimal search tree reports for an address that is not found. */
static unsigned empty_region_v4(const char *ip)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, ip, &a), 1);
	for (unsigned len = 0; len <= 32; len++) {
		uint32_t blk = ntohl(a.s_addr) & v4_mask(len);
		bool overlaps = false;

		for (size_t i = 0; i < sizeof(city_v4_networks) / sizeof(city_v4_networks[0]);
		     i++) {
			char buf[32], *slash;
			struct in_addr n;
			unsigned nlen, common;

			snprintf(buf, sizeof(buf), "%s", city_v4_networks[i]);
			slash = strchr(buf, '/');
			*slash = '\0';
			nlen = (unsigned)atoi(slash + 1);
			ck_assert_int_eq(inet_pton(AF_INET, buf, &n), 1);
			common = len < nlen ? len : nlen;
			if ((ntohl(n.s_addr) & v4_mask(common)) == (blk & v4_mask(common)))
				overlaps = true;
		}
		if (!overlaps)
			return len;
	}
	ck_abort_msg("%s lies in a network", ip);
	return 0;
}

START_TEST(test_city_not_found)
{
	static const char *const v4[] = {"8.8.8.8",         "10.1.2.3",      "0.0.0.1",
					 "2.125.176.0",     "2.125.159.255", "37.0.0.16",
					 "81.2.70.1",       "192.0.3.0",     "203.0.112.255",
					 "255.255.255.255", "45.1.0.0",      "62.0.1.0"};
	struct geo_location loc;

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		char mapped[64];
		unsigned want = empty_region_v4(v4[i]);

		loc = lookup(city, v4[i]);
		ck_assert_msg(!loc.found, "%s found", v4[i]);
		ck_assert(!loc.has_coords);
		ck_assert_str_eq(loc.country, "");
		ck_assert_str_eq(loc.continent, "");
		ck_assert_uint_eq(loc.record_id, 0);
		ck_assert_msg(loc.prefix_len == want, "%s: prefix %u, expected %u", v4[i],
			      loc.prefix_len, want);
		snprintf(mapped, sizeof(mapped), "::ffff:%s", v4[i]);
		loc = lookup(city, mapped);
		ck_assert_msg(!loc.found, "%s found", mapped);
		ck_assert_msg(loc.prefix_len == 96 + want, "%s: prefix %u, expected %u", mapped,
			      loc.prefix_len, 96 + want);
	}
	/* Spot checks of the computation above. */
	ck_assert_uint_eq(lookup(city, "8.8.8.8").prefix_len, 5);
	ck_assert_uint_eq(lookup(city, "37.0.0.16").prefix_len, 28);
	ck_assert_uint_eq(lookup(city, "2.125.176.0").prefix_len, 20);

	/* IPv6: the three 2001:db8 networks sit in 2001:db8:0000-03ff::/38. */
	loc = lookup(city, "2001:db8::1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 40);
	loc = lookup(city, "2001:db8:400::1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 38);
	loc = lookup(city, "2001:db8:101::1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 48);
	loc = lookup(city, "2001:db8:3ff:ffff::1");
	ck_assert(loc.found);
	loc = lookup(city, "2001:db8:400::");
	ck_assert(!loc.found);
	/* 2800::/5 holds nothing (2001::/32 and 2002::/16 sit in 2000::/5). */
	loc = lookup(city, "2a00::1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 5);
}
END_TEST

START_TEST(test_city_no_location)
{
	struct geo_location loc = lookup(city, "62.0.0.5");

	ck_assert(loc.found);
	ck_assert(!loc.has_coords);
	ck_assert(loc.lat == 0.0 && loc.lon == 0.0);
	ck_assert_str_eq(loc.country, "DE");
	ck_assert_str_eq(loc.continent, "EU");
	ck_assert_uint_eq(loc.prefix_len, 24);
}
END_TEST

START_TEST(test_city_record_id)
{
	struct geo_location a = lookup(city, "81.2.69.1");
	struct geo_location b = lookup(city, "81.2.69.254");
	struct geo_location c = lookup(city, "2001:db8:100::1");
	struct geo_location d = lookup(city, "192.0.2.1");
	struct geo_location e = lookup(city, "2001:db8:200::1");

	/* One record per network, and the writer stores identical records
	 * once: London in IPv4 and IPv6 share it, New York likewise. */
	ck_assert_uint_eq(a.record_id, b.record_id);
	ck_assert_uint_eq(a.record_id, c.record_id);
	ck_assert_uint_eq(d.record_id, e.record_id);
	ck_assert_uint_ne(a.record_id, d.record_id);
}
END_TEST

START_TEST(test_city_metadata)
{
	ck_assert_str_eq(geo_db_type(city), "GeoIP2-City");
	ck_assert_str_eq(geo_db_path(city), CITY_DB);
	ck_assert_int_eq(geo_db_ip_version(city), 6);
	ck_assert_uint_eq(geo_db_build_epoch(city), 1700000000u);
	ck_assert_str_eq(geo_db_type(flat), "gslbd-test-flat");
	ck_assert_int_eq(geo_db_ip_version(flat), 4);
}
END_TEST

START_TEST(test_flat_layout)
{
	struct geo_location loc;

	loc = lookup(flat, "192.0.2.77");
	ck_assert(loc.found && loc.has_coords);
	ck_assert_str_eq(loc.country, "US");
	ck_assert_str_eq(loc.continent, "NA");
	ck_assert_double_eq_tol(loc.lat, 40.7128, 1e-9);
	ck_assert_double_eq_tol(loc.lon, -74.0060, 1e-9);
	ck_assert_uint_eq(loc.prefix_len, 24);

	loc = lookup(flat, "203.0.113.5");
	ck_assert(loc.found && loc.has_coords);
	ck_assert_str_eq(loc.country, "SG");
	ck_assert_str_eq(loc.continent, "AS");
	ck_assert_uint_eq(loc.prefix_len, 25);

	/* Malformed values are ignored, the record is still found. */
	loc = lookup(flat, "203.0.113.200");
	ck_assert(loc.found);
	ck_assert(!loc.has_coords);
	ck_assert_str_eq(loc.country, "");
	ck_assert_str_eq(loc.continent, "");
	ck_assert_uint_eq(loc.prefix_len, 25);

	/* IPv4 tree: mapped addresses are looked up as IPv4. */
	loc = lookup(flat, "::ffff:198.51.100.1");
	ck_assert(loc.found && loc.has_coords);
	ck_assert_str_eq(loc.country, "IE");
	ck_assert_uint_eq(loc.prefix_len, 120);

	/* ...and other IPv6 addresses are nowhere. */
	loc = lookup(flat, "2001:db8:100::1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 0);

	/* 8 is 00001000, every network starts with bit 1. */
	loc = lookup(flat, "8.8.8.8");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 1);
	loc = lookup(flat, "192.0.3.1");
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 24);
}
END_TEST

START_TEST(test_layout_mismatch)
{
	struct geo_location loc;
	struct geo_layout layout;
	struct geo_db *db = NULL;
	struct gslb_err err = {""};

	/* The City layout finds the flat records but none of their fields. */
	ck_assert_msg(geo_db_open(FLAT_DB, NULL, &db, &err) == 0, "%s", err.msg);
	loc = lookup(db, "192.0.2.1");
	ck_assert(loc.found);
	ck_assert(!loc.has_coords);
	ck_assert_str_eq(loc.country, "");
	ck_assert_str_eq(loc.continent, "");
	geo_db_close(db);

	/* A layout built from dotted paths: only the registered country. */
	memset(&layout, 0, sizeof(layout));
	ck_assert_int_eq(
	    geo_layout_parse_path("registered_country.iso_code", &layout.country, &err), 0);
	ck_assert_int_eq(geo_layout_parse_path("", &layout.continent, &err), 0);
	ck_assert_msg(geo_db_open(CITY_DB, &layout, &db, &err) == 0, "%s", err.msg);
	loc = lookup(db, "177.0.0.1");
	ck_assert(loc.found);
	ck_assert(!loc.has_coords);
	ck_assert_str_eq(loc.country, "BR");
	ck_assert_str_eq(loc.continent, "");
	ck_assert_uint_eq(loc.prefix_len, 16);
	geo_db_close(db);

	/* A path that runs into a string instead of a map reads nothing. */
	ck_assert_int_eq(geo_layout_parse_path("country.iso_code.x", &layout.country, &err), 0);
	ck_assert_int_eq(geo_layout_parse_path("continent.names.en", &layout.continent, &err), 0);
	ck_assert_msg(geo_db_open(CITY_DB, &layout, &db, &err) == 0, "%s", err.msg);
	loc = lookup(db, "177.0.0.1");
	ck_assert(loc.found);
	ck_assert_str_eq(loc.country, "");
	ck_assert_str_eq(loc.continent, ""); /* "South America" is no code */
	geo_db_close(db);
}
END_TEST

START_TEST(test_layout_parse_valid)
{
	struct geo_path p;
	struct geo_layout l;
	struct gslb_err err = {""};
	char buf[128];

	ck_assert_int_eq(geo_layout_parse_path("location.latitude", &p, &err), 0);
	ck_assert_uint_eq(p.count, 2);
	ck_assert_str_eq(p.keys[0], "location");
	ck_assert_str_eq(p.keys[1], "latitude");
	geo_path_format(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "location.latitude");

	ck_assert_int_eq(geo_layout_parse_path("latitude", &p, &err), 0);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_str_eq(p.keys[0], "latitude");

	ck_assert_int_eq(geo_layout_parse_path("subdivisions.0.iso_code", &p, &err), 0);
	ck_assert_uint_eq(p.count, 3);
	ck_assert_str_eq(p.keys[1], "0");

	ck_assert_int_eq(geo_layout_parse_path("a.b.c.d.e.f", &p, &err), 0);
	ck_assert_uint_eq(p.count, GEO_PATH_MAX_KEYS);
	geo_path_format(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.b.c.d.e.f");
	geo_path_format(&p, buf, 6); /* truncated at a key boundary */
	ck_assert_str_eq(buf, "a.b.c");

	ck_assert_int_eq(geo_layout_parse_path("", &p, &err), 0);
	ck_assert_uint_eq(p.count, 0);
	geo_path_format(&p, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");

	geo_layout_city(&l);
	geo_path_format(&l.latitude, buf, sizeof(buf));
	ck_assert_str_eq(buf, "location.latitude");
	geo_path_format(&l.longitude, buf, sizeof(buf));
	ck_assert_str_eq(buf, "location.longitude");
	geo_path_format(&l.country, buf, sizeof(buf));
	ck_assert_str_eq(buf, "country.iso_code");
	geo_path_format(&l.continent, buf, sizeof(buf));
	ck_assert_str_eq(buf, "continent.code");
	geo_layout_flat(&l);
	geo_path_format(&l.continent, buf, sizeof(buf));
	ck_assert_str_eq(buf, "continent_code");
}
END_TEST

struct private_case {
	const char *ip;  /* address */
	bool is_private; /* expected answer */
	unsigned len;    /* expected block length when private */
};

static const struct private_case private_cases[] = {
    {"10.0.0.1", true, 8},
    {"10.255.255.255", true, 8},
    {"11.0.0.1", false, 0},
    {"9.255.255.255", false, 0},
    {"172.16.0.1", true, 12},
    {"172.31.255.255", true, 12},
    {"172.32.0.0", false, 0},
    {"172.15.255.255", false, 0},
    {"192.168.1.1", true, 16},
    {"192.169.0.0", false, 0},
    {"127.0.0.1", true, 8},
    {"169.254.10.1", true, 16},
    {"169.255.0.1", false, 0},
    {"100.64.0.1", true, 10},
    {"100.127.255.255", true, 10},
    {"100.128.0.0", false, 0},
    {"100.63.255.255", false, 0},
    {"192.0.2.1", false, 0},
    {"8.8.8.8", false, 0},
    {"::1", true, 128},
    {"::2", false, 0},
    {"::", false, 0},
    {"fe80::1", true, 10},
    {"febf:ffff::1", true, 10},
    {"fec0::1", false, 0},
    {"fc00::1", true, 7},
    {"fd12:3456::1", true, 7},
    {"fe00::1", false, 0},
    {"2001:db8::1", false, 0},
    {"::ffff:10.1.2.3", true, 104},
    {"::ffff:192.168.0.1", true, 112},
    {"::ffff:100.100.0.1", true, 106},
    {"::ffff:8.8.8.8", false, 0},
};

START_TEST(test_private)
{
	const struct private_case *c = &private_cases[_i];
	uint8_t addr[16], len = 0xee;
	int family = parse_ip(c->ip, addr);
	bool got = geo_addr_is_private(family, addr, &len);

	ck_assert_msg(got == c->is_private, "%s: private=%d", c->ip, got);
	if (got)
		ck_assert_msg(len == c->len, "%s: block /%u, expected /%u", c->ip, len, c->len);
	else
		ck_assert_uint_eq(len, 0xee); /* untouched */
	ck_assert(geo_addr_is_private(family, addr, NULL) == c->is_private);
}
END_TEST

START_TEST(test_distance)
{
	const double R = GEO_EARTH_RADIUS_KM;
	double d;

	/* London - New York: about 5570 km. */
	d = geo_distance_km(51.5074, -0.1278, 40.7128, -74.0060);
	ck_assert_msg(fabs(d - 5570.0) < 55.7, "London-New York %f km", d);
	ck_assert_double_eq_tol(geo_distance_km(40.7128, -74.0060, 51.5074, -0.1278), d, 1e-9);
	/* Sydney - Singapore: about 6300 km. */
	d = geo_distance_km(-33.8688, 151.2093, 1.3521, 103.8198);
	ck_assert_msg(fabs(d - 6300.0) < 63.0, "Sydney-Singapore %f km", d);
	/* Zero. */
	ck_assert_double_eq_tol(geo_distance_km(51.5, -0.1, 51.5, -0.1), 0.0, 1e-9);
	ck_assert_double_eq_tol(geo_distance_km(90.0, 0.0, 90.0, 123.0), 0.0, 1e-6);
	/* Antipodes: half the circumference. */
	ck_assert_double_eq_tol(geo_distance_km(0.0, 0.0, 0.0, 180.0), M_PI * R, 1e-6);
	ck_assert_double_eq_tol(geo_distance_km(90.0, 0.0, -90.0, 0.0), M_PI * R, 1e-6);
	/* Haversine loses precision next to antipodes: a metre is plenty. */
	ck_assert_double_eq_tol(geo_distance_km(40.0, -74.0, -40.0, 106.0), M_PI * R, 1e-3);
	/* A quarter: pole to equator; and across the antimeridian. */
	ck_assert_double_eq_tol(geo_distance_km(90.0, 0.0, 0.0, 45.0), M_PI * R / 2, 1e-6);
	ck_assert_double_eq_tol(geo_distance_km(0.0, 179.5, 0.0, -179.5), M_PI * R / 180, 1e-6);
}
END_TEST

/* Concurrent readers on one database, each checking every answer. */
static void *lookup_thread(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(city_cases) / sizeof(city_cases[0]); i++) {
			struct geo_location loc;
			uint8_t addr[16];
			int family = AF_INET;

			if (inet_pton(AF_INET, city_cases[i].ip, addr) != 1) {
				family = AF_INET6;
				(void)inet_pton(AF_INET6, city_cases[i].ip, addr);
			}
			if (geo_db_lookup(city, family, addr, &loc) != 0 || !loc.found ||
			    strcmp(loc.country, city_cases[i].country) != 0 ||
			    loc.prefix_len != city_cases[i].prefix)
				bad++;
		}
	}
	return (void *)bad;
}

START_TEST(test_concurrent)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, lookup_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_msg(bad == NULL, "thread %d: %ld bad answers", i, (long)bad);
	}
}
END_TEST

/* The record cache. */

/* Every address the tests above look up, found or not. */
static const char *const cache_ips[] = {
    "81.2.69.160",   "81.2.69.0",       "2.125.160.216",   "198.51.100.7",     "192.0.2.1",
    "203.0.113.200", "45.0.12.34",      "177.0.200.1",     "41.0.0.1",         "37.0.0.15",
    "62.0.0.5",      "2001:db8:100::1", "2001:db8:300::1", "::ffff:192.0.2.1", "2002:2d00:1::",
    "8.8.8.8",       "10.1.2.3",        "2001:db8::1",     "2a00::1",          "::ffff:8.8.8.8",
};

static void assert_same_location(const struct geo_location *a, const struct geo_location *b,
				 const char *ip)
{
	ck_assert_msg(a->found == b->found && a->has_coords == b->has_coords, "%s", ip);
	ck_assert_msg(a->lat == b->lat && a->lon == b->lon, "%s", ip);
	ck_assert_msg(memcmp(a->xyz, b->xyz, sizeof(a->xyz)) == 0, "%s", ip);
	ck_assert_msg(strcmp(a->country, b->country) == 0, "%s", ip);
	ck_assert_msg(strcmp(a->continent, b->continent) == 0, "%s", ip);
	ck_assert_msg(a->prefix_len == b->prefix_len && a->record_id == b->record_id, "%s", ip);
}

static struct geo_location lookup_cached(const struct geo_db *db, struct geo_cache *cache,
					 const char *ip)
{
	struct geo_location loc;
	uint8_t addr[16];
	int family = parse_ip(ip, addr);

	memset(&loc, 0xa5, sizeof(loc));
	ck_assert_msg(geo_db_lookup_cached(db, cache, family, addr, &loc) == 0, "lookup %s failed",
		      ip);
	return loc;
}

/* The cache entry holding record id, or NULL. */
static struct geo_cache_entry *cache_find(struct geo_cache *cache, uint32_t id)
{
	for (size_t i = 0; i < GEO_CACHE_SIZE; i++) {
		if (cache->entries[i].gen != 0 && cache->entries[i].record_id == id)
			return &cache->entries[i];
	}
	return NULL;
}

START_TEST(test_cache_same_as_uncached)
{
	struct geo_cache *cache = calloc(1, sizeof(*cache));
	size_t n = sizeof(cache_ips) / sizeof(cache_ips[0]);

	ck_assert_ptr_nonnull(cache);
	/* Three rounds: misses, then hits, all interleaved with the flat
	 * database sharing the same cache. */
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {
			struct geo_location want = lookup(city, cache_ips[i]);
			struct geo_location got = lookup_cached(city, cache, cache_ips[i]);

			assert_same_location(&got, &want, cache_ips[i]);
			if (strchr(cache_ips[i], ':') == NULL) {
				want = lookup(flat, cache_ips[i]);
				got = lookup_cached(flat, cache, cache_ips[i]);
				assert_same_location(&got, &want, cache_ips[i]);
			}
		}
		for (size_t i = 0; i < sizeof(city_cases) / sizeof(city_cases[0]); i++) {
			struct geo_location want = lookup(city, city_cases[i].ip);
			struct geo_location got = lookup_cached(city, cache, city_cases[i].ip);

			assert_same_location(&got, &want, city_cases[i].ip);
		}
	}
	/* No cache at all is geo_db_lookup(). */
	for (size_t i = 0; i < n; i++) {
		struct geo_location want = lookup(city, cache_ips[i]);
		struct geo_location got = lookup_cached(city, NULL, cache_ips[i]);

		assert_same_location(&got, &want, cache_ips[i]);
	}
	free(cache);
}
END_TEST

START_TEST(test_cache_hit_and_invalidation)
{
	struct geo_cache *cache = malloc(sizeof(*cache));
	struct geo_cache_entry *e;
	struct geo_location loc;
	struct gslb_err err = {""};
	uint8_t addr[16];

	ck_assert_ptr_nonnull(cache);
	memset(cache, 0x5a, sizeof(*cache));
	geo_cache_init(cache);
	for (size_t i = 0; i < GEO_CACHE_SIZE; i++)
		ck_assert_uint_eq(cache->entries[i].gen, 0);

	/* A miss fills an entry; a hit is served from it (changed here to
	 * tell the two apart), for every network sharing the record. */
	loc = lookup_cached(city, cache, "81.2.69.160");
	ck_assert_str_eq(loc.country, "GB");
	e = cache_find(cache, loc.record_id);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->has_coords);
	ck_assert_str_eq(e->country, "GB");
	memcpy(e->country, "ZZ", 3);
	e->lat = 1.5;
	ck_assert_str_eq(lookup_cached(city, cache, "81.2.69.1").country, "ZZ");
	ck_assert(lookup_cached(city, cache, "2001:db8:100::1").lat == 1.5);
	/* Not-found addresses leave the cache alone. */
	loc = lookup_cached(city, cache, "8.8.8.8");
	ck_assert(!loc.found);
	ck_assert_str_eq(loc.country, "");

	/* Another database with a record at the same offset does not see it:
	 * every slot claims flat's record, decoded from city. */
	loc = lookup(flat, "192.0.2.77");
	for (size_t i = 0; i < GEO_CACHE_SIZE; i++) {
		cache->entries[i] = *e;
		cache->entries[i].record_id = loc.record_id;
	}
	loc = lookup_cached(flat, cache, "192.0.2.77");
	ck_assert_str_eq(loc.country, "US");
	ck_assert_double_eq_tol(loc.lat, 40.7128, 1e-9);
	/* ...and replaces the one stale entry in its slot */
	{
		size_t us = 0;

		for (size_t i = 0; i < GEO_CACHE_SIZE; i++)
			us += strcmp(cache->entries[i].country, "US") == 0;
		ck_assert_uint_eq(us, 1);
	}
	geo_cache_init(cache);

	/* Neither does the same file opened again, wherever it is mapped. */
	loc = lookup_cached(city, cache, "192.0.2.1");
	e = cache_find(cache, loc.record_id);
	ck_assert_ptr_nonnull(e);
	memcpy(e->country, "ZZ", 3);
	ck_assert_str_eq(lookup_cached(city, cache, "192.0.2.2").country, "ZZ");
	geo_db_close(city);
	city = NULL;
	ck_assert_msg(geo_db_open(CITY_DB, NULL, &city, &err) == 0, "%s", err.msg);
	loc = lookup_cached(city, cache, "192.0.2.2");
	ck_assert_str_eq(loc.country, "US");
	ck_assert_double_eq_tol(loc.lon, -74.0060, 1e-9);

	/* Errors fill nothing. */
	memset(addr, 0, sizeof(addr));
	ck_assert_int_eq(geo_db_lookup_cached(city, cache, AF_UNIX, addr, &loc), GSLB_EINVAL);
	ck_assert(!loc.found);
	free(cache);
}
END_TEST

/* The nets entry holding addr (family's length), or NULL. */
static struct geo_net_entry *net_find(struct geo_cache *cache, const char *ip)
{
	uint8_t addr[16];
	int family = parse_ip(ip, addr);
	size_t len = family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < GEO_NET_CACHE_SIZE; i++) {
		struct geo_net_entry *n = &cache->nets[i];

		if (n->gen != 0 && n->v6 == (family == AF_INET6) && memcmp(n->addr, addr, len) == 0)
			return n;
	}
	return NULL;
}

START_TEST(test_cache_nets)
{
	struct geo_cache *cache = calloc(1, sizeof(*cache));
	struct geo_net_entry *n;
	struct geo_location gb, us, loc;

	ck_assert_ptr_nonnull(cache);
	gb = lookup(city, "81.2.69.160");
	us = lookup(city, "192.0.2.1");
	ck_assert_str_eq(gb.country, "GB");
	ck_assert_str_eq(us.country, "US");

	/* A lookup remembers all it found; the next lookup of the same
	 * address reads only that (changed here to tell the two apart). */
	loc = lookup_cached(city, cache, "81.2.69.160");
	assert_same_location(&loc, &gb, "81.2.69.160");
	n = net_find(cache, "81.2.69.160");
	ck_assert_ptr_nonnull(n);
	ck_assert(n->found && n->has_coords);
	ck_assert_uint_eq(n->record_id, gb.record_id);
	ck_assert_uint_eq(n->netmask, gb.prefix_len);
	ck_assert(memcmp(n->country, "GB", 2) == 0); /* no NUL in the entry */
	memcpy(n->country, "ZZ", 2);
	n->netmask = 9;
	n->lat = us.lat;
	n->lon = us.lon;
	memcpy(n->xyz, us.xyz, sizeof(n->xyz));
	loc = lookup_cached(city, cache, "81.2.69.160");
	ck_assert_str_eq(loc.country, "ZZ");
	ck_assert_uint_eq(loc.prefix_len, 9);
	ck_assert_uint_eq(loc.record_id, gb.record_id);
	ck_assert(memcmp(loc.xyz, us.xyz, sizeof(loc.xyz)) == 0);
	/* ...and so does its IPv4-mapped form, counted in IPv6 bits. */
	loc = lookup_cached(city, cache, "::ffff:81.2.69.160");
	ck_assert_str_eq(loc.country, "ZZ");
	ck_assert_uint_eq(loc.prefix_len, 96 + 9);
	/* Another address, and an IPv6 address starting with the same bytes,
	 * take the tree. */
	loc = lookup_cached(city, cache, "81.2.69.161");
	ck_assert_str_eq(loc.country, "GB");
	loc = lookup_cached(city, cache, "5102:45a0::");
	ck_assert(net_find(cache, "5102:45a0::") != NULL);
	ck_assert(memcmp(net_find(cache, "81.2.69.160")->country, "ZZ", 2) == 0);

	/* Room for many clients: of 5000 addresses looked up in turn, nearly
	 * all are still there (two ways per set: a direct-mapped table of the
	 * same size would keep about 86%), each once, the last one surely. */
	{
		unsigned held = 0;
		char ip[32];

		geo_cache_init(cache);
		for (unsigned i = 0; i < 5000; i++) {
			snprintf(ip, sizeof(ip), "45.%u.%u.1", i / 250, i % 250);
			(void)lookup_cached(city, cache, ip);
		}
		for (size_t i = 0; i < GEO_NET_CACHE_SIZE; i++)
			held += cache->nets[i].gen != 0;
		ck_assert_msg(held >= 4700 && held <= 5000, "%u of 5000 addresses cached", held);
		n = net_find(cache, ip);
		ck_assert_ptr_nonnull(n);
		n->netmask = 1;
		ck_assert_uint_eq(lookup_cached(city, cache, ip).prefix_len, 1);
		geo_cache_init(cache);
	}

	/* Not found is remembered too, prefix and all. */
	loc = lookup_cached(city, cache, "8.8.8.8");
	ck_assert(!loc.found);
	n = net_find(cache, "8.8.8.8");
	ck_assert_ptr_nonnull(n);
	ck_assert(!n->found);
	ck_assert_uint_eq(lookup_cached(city, cache, "8.8.8.8").prefix_len, loc.prefix_len);

	/* The flat database, another generation, does not see city's entry. */
	gb = lookup(flat, "81.2.69.160");
	loc = lookup_cached(flat, cache, "81.2.69.160");
	assert_same_location(&loc, &gb, "flat 81.2.69.160");
	free(cache);
}
END_TEST

START_TEST(test_unit_vector)
{
	static const double pts[][2] = {
	    {51.5074, -0.1278}, {40.7128, -74.0060}, {-33.8688, 151.2093}, {1.3521, 103.8198},
	    {90.0, 0.0},        {-90.0, 45.0},       {0.0, 180.0},         {0.0, -179.5},
	    {53.35, -6.26},     {53.3498, -6.2603},  {40.0, -74.0},        {-40.0, 106.0},
	};
	size_t n = sizeof(pts) / sizeof(pts[0]);
	double v[3];

	geo_unit_vector(0.0, 0.0, v);
	ck_assert_double_eq_tol(v[0], 1.0, 1e-15);
	geo_unit_vector(0.0, 90.0, v);
	ck_assert_double_eq_tol(v[1], 1.0, 1e-15);
	geo_unit_vector(90.0, 0.0, v);
	ck_assert_double_eq_tol(v[2], 1.0, 1e-15);
	/* The chord gives the haversine distance, and orders as it does. */
	for (size_t i = 0; i < n; i++) {
		double a[3];

		geo_unit_vector(pts[i][0], pts[i][1], a);
		ck_assert_double_eq_tol(a[0] * a[0] + a[1] * a[1] + a[2] * a[2], 1.0, 1e-12);
		for (size_t j = 0; j < n; j++) {
			double b[3],
			    hj = geo_distance_km(pts[i][0], pts[i][1], pts[j][0], pts[j][1]);

			geo_unit_vector(pts[j][0], pts[j][1], b);
			ck_assert_double_eq_tol(geo_chord2_km(geo_chord2(a, b)), hj, 1e-6);
			for (size_t k = 0; k < n; k++) {
				double c[3], hk = geo_distance_km(pts[i][0], pts[i][1], pts[k][0],
								  pts[k][1]);

				geo_unit_vector(pts[k][0], pts[k][1], c);
				if (hj < hk - 1e-6)
					ck_assert(geo_chord2(a, b) < geo_chord2(a, c));
			}
		}
	}
	ck_assert(geo_chord2_km(0.0) == 0.0);
	ck_assert(geo_chord2_km(-1e-17) == 0.0);
	ck_assert_double_eq_tol(geo_chord2_km(4.0 + 1e-15), M_PI * GEO_EARTH_RADIUS_KM, 1e-9);
}
END_TEST

/* Invalid input. */

START_TEST(test_open_missing)
{
	struct geo_db *db = (struct geo_db *)&db;
	struct gslb_err err = {""};
	const char *path = TEST_DATA_DIR "/geo/no-such.mmdb";

	ck_assert_int_eq(geo_db_open(path, NULL, &db, &err), GSLB_ENOENT);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "cannot open") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_open_not_mmdb)
{
	struct geo_db *db = (struct geo_db *)&db;
	struct gslb_err err = {""};
	const char *script = TEST_DATA_DIR "/geo/make-test-mmdb.pl";

	ck_assert_int_eq(geo_db_open(script, NULL, &db, &err), GSLB_EIO);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strncmp(err.msg, script, strlen(script)) == 0, "%s", err.msg);

	ck_assert_int_eq(geo_db_open(TEST_DATA_DIR "/geo", NULL, &db, &err), GSLB_EIO);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strstr(err.msg, "not a regular file") != NULL, "%s", err.msg);
}
END_TEST

/* Copy the first len bytes of src into a new file under the build directory. */
static void write_prefix(const char *src, char *tmpl, long len)
{
	FILE *in = fopen(src, "rb");
	int fd = mkstemp(tmpl);
	char buf[8192];
	size_t n;

	ck_assert(in != NULL);
	ck_assert(fd >= 0);
	while (len > 0 &&
	       (n = fread(buf, 1, sizeof(buf) < (size_t)len ? sizeof(buf) : (size_t)len, in)) > 0) {
		ck_assert(write(fd, buf, n) == (ssize_t)n);
		len -= (long)n;
	}
	fclose(in);
	close(fd);
}

START_TEST(test_open_truncated)
{
	char tmpl[] = "geo-truncated-XXXXXX";
	struct geo_db *db = (struct geo_db *)&db;
	struct gslb_err err = {""};

	write_prefix(CITY_DB, tmpl, 1000);
	ck_assert_int_eq(geo_db_open(tmpl, NULL, &db, &err), GSLB_EIO);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strncmp(err.msg, tmpl, strlen(tmpl)) == 0, "%s", err.msg);
	unlink(tmpl);

	/* An empty file. */
	strcpy(tmpl, "geo-truncated-XXXXXX");
	write_prefix(CITY_DB, tmpl, 0);
	ck_assert_int_eq(geo_db_open(tmpl, NULL, &db, &err), GSLB_EIO);
	unlink(tmpl);
}
END_TEST

/* A database file changed or corrupted on disk. */

/* All of the file at path, in *len bytes (caller frees). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	ck_assert_msg(f != NULL, "%s", path);
	ck_assert(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	ck_assert(n > 0);
	rewind(f);
	p = malloc((size_t)n);
	ck_assert(p != NULL);
	ck_assert(fread(p, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Write p into the file at path in place: the same inode, no truncation,
 * as a careless copy (cp, dd conv=notrunc) does. */
static void write_in_place(const char *path, const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY);

	ck_assert_msg(fd >= 0, "%s", path);
	ck_assert(pwrite(fd, p, len, 0) == (ssize_t)len);
	close(fd);
}

/* A new file under the build directory holding p; its name in tmpl. */
static void write_new(char *tmpl, const uint8_t *p, size_t len)
{
	int fd = mkstemp(tmpl);

	ck_assert(fd >= 0);
	ck_assert(write(fd, p, len) == (ssize_t)len);
	close(fd);
}

/* Deterministic bytes (xorshift64). */
static void scribble(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 32);
	}
}

/* Where the test city database's search tree ends and its data section
 * and metadata start. */
static void city_sections(size_t *tree_end, size_t *meta_start)
{
	static const uint8_t marker[] = "\xab\xcd\xefMaxMind.com";
	MMDB_s mmdb;
	size_t len;
	uint8_t *p = slurp(CITY_DB, &len);

	ck_assert_int_eq(MMDB_open(CITY_DB, MMDB_MODE_MMAP, &mmdb), MMDB_SUCCESS);
	*tree_end = (size_t)mmdb.metadata.node_count * mmdb.metadata.record_size / 4;
	MMDB_close(&mmdb);
	*meta_start = 0;
	for (size_t i = 0; i + sizeof(marker) - 1 <= len; i++) {
		if (memcmp(p + i, marker, sizeof(marker) - 1) == 0)
			*meta_start = i;
	}
	ck_assert(*meta_start > *tree_end + 16);
	free(p);
}

/* Every city case looked up in db, into out[]. */
static void lookup_all(const struct geo_db *db, struct geo_location *out)
{
	for (size_t i = 0; i < sizeof(city_cases) / sizeof(city_cases[0]); i++)
		out[i] = lookup(db, city_cases[i].ip);
}

START_TEST(test_file_changed_under_open_db)
{
	enum { N = sizeof(city_cases) / sizeof(city_cases[0]) };
	struct geo_location before[N], after[N];
	char tmpl[] = "geo-inplace-XXXXXX";
	struct gslb_err err = {""};
	struct geo_db *db = NULL, *again = (struct geo_db *)&again;
	uint8_t *orig, *noise;
	uint64_t digest;
	size_t len;

	orig = slurp(CITY_DB, &len);
	write_new(tmpl, orig, len);
	ck_assert_msg(geo_db_open(tmpl, NULL, &db, &err) == 0, "%s", err.msg);
	ck_assert(geo_db_file_unchanged(db, tmpl, NULL));
	digest = geo_db_digest(db);
	ck_assert_uint_eq(geo_db_size(db), len);
	lookup_all(db, before);
	ck_assert(before[0].found);
	ck_assert_str_eq(before[0].country, "GB");

	/* Truncated in place: the open database still answers as before (a
	 * mapping of the file itself would die of SIGBUS here). */
	ck_assert(truncate(tmpl, 0) == 0);
	ck_assert(!geo_db_file_unchanged(db, tmpl, NULL));
	lookup_all(db, after);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	ck_assert_int_eq(geo_db_open(tmpl, NULL, &again, &err), GSLB_EIO);
	ck_assert(again == (struct geo_db *)&again);
	ck_assert_msg(strstr(err.msg, "empty") != NULL, "%s", err.msg);

	/* Random bytes of the same size written in place: the same answers. */
	noise = malloc(len);
	ck_assert(noise != NULL);
	scribble(noise, len, 18);
	write_in_place(tmpl, noise, len);
	lookup_all(db, after);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	ck_assert_int_eq(geo_db_open(tmpl, NULL, &again, &err), GSLB_EIO);
	ck_assert(again == (struct geo_db *)&again);
	ck_assert_msg(strncmp(err.msg, tmpl, strlen(tmpl)) == 0, "%s", err.msg);

	/* Pages given back are read again from the private copy, unchanged. */
	geo_db_drop_pages(db);
	lookup_all(db, after);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	ck_assert(geo_db_digest(db) == digest);
	ck_assert_str_eq(geo_db_path(db), tmpl);
	geo_db_close(db);
	unlink(tmpl);
	free(noise);
	free(orig);
}
END_TEST

/* Open a copy of the test city database with bytes [from, to) replaced by
 * random ones: it must be refused, with the file named and why. */
static void expect_refused(size_t from, size_t to, uint64_t seed, const char *why)
{
	char tmpl[] = "geo-corrupt-XXXXXX";
	struct gslb_err err = {""};
	struct geo_db *db = (struct geo_db *)&db;
	size_t len;
	uint8_t *p = slurp(CITY_DB, &len);

	ck_assert(from < to && to <= len);
	scribble(p + from, to - from, seed);
	write_new(tmpl, p, len);
	ck_assert_msg(geo_db_open(tmpl, NULL, &db, &err) == GSLB_EIO,
		      "bytes %zu..%zu of %zu, seed %llu: accepted", from, to, len,
		      (unsigned long long)seed);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strncmp(err.msg, tmpl, strlen(tmpl)) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, why) != NULL, "seed %llu: %s", (unsigned long long)seed,
		      err.msg);
	unlink(tmpl);
	free(p);
}

START_TEST(test_open_corrupt)
{
	size_t tree_end, meta, len;
	uint8_t *p = slurp(CITY_DB, &len);

	free(p);
	city_sections(&tree_end, &meta);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		/* The whole file, as a random overwrite of the same size. */
		expect_refused(0, len, seed, "cannot open");
		/* The search tree, metadata intact. */
		expect_refused(0, tree_end, seed, "search tree");
		/* The data section, search tree and metadata intact. */
		expect_refused(tree_end + 16, meta, seed, "corrupt data section");
	}
	/* One record of the tree pointing past the data: the first node's
	 * left record (28-bit records: the first three bytes and the top
	 * nibble of the fourth). */
	p = slurp(CITY_DB, &len);
	{
		char tmpl[] = "geo-corrupt-XXXXXX";
		struct gslb_err err = {""};
		struct geo_db *db = NULL;

		memset(p, 0xff, 3);
		p[3] |= 0xf0;
		write_new(tmpl, p, len);
		ck_assert_int_eq(geo_db_open(tmpl, NULL, &db, &err), GSLB_EIO);
		ck_assert_msg(strstr(err.msg, "search tree") != NULL, "%s", err.msg);
		unlink(tmpl);
	}
	free(p);
}
END_TEST

START_TEST(test_file_unchanged)
{
	char tmpl[] = "geo-same-XXXXXX", tmpl2[] = "geo-same-XXXXXX";
	struct gslb_err err = {""};
	struct geo_layout flat_layout;
	struct geo_db *db = NULL, *db2 = NULL;
	size_t len;
	uint8_t *p = slurp(CITY_DB, &len);

	write_new(tmpl, p, len);
	ck_assert_msg(geo_db_open(tmpl, NULL, &db, &err) == 0, "%s", err.msg);
	ck_assert(geo_db_file_unchanged(db, tmpl, NULL));
	geo_layout_flat(&flat_layout);
	ck_assert(!geo_db_file_unchanged(db, tmpl, &flat_layout));
	ck_assert(!geo_db_file_unchanged(db, CITY_DB, NULL));
	/* The same bytes renamed over it: another file, the same digest. */
	write_new(tmpl2, p, len);
	ck_assert(rename(tmpl2, tmpl) == 0);
	ck_assert(!geo_db_file_unchanged(db, tmpl, NULL));
	ck_assert_msg(geo_db_open(tmpl, NULL, &db2, &err) == 0, "%s", err.msg);
	ck_assert(geo_db_digest(db) == geo_db_digest(db2));
	geo_db_close(db2);
	unlink(tmpl);
	ck_assert(!geo_db_file_unchanged(db, tmpl, NULL));
	geo_db_close(db);
	free(p);
}
END_TEST

/* A hand-made IPv4 database: one node whose left half (0.0.0.0/1) has the
 * record at data offset 0 of data[] and whose right half is empty, record
 * size 24, written under the build directory (its name in tmpl). */
static void write_tiny_mmdb(char *tmpl, const uint8_t *data, size_t data_len)
{
	static const uint8_t tree[6] = {0, 0, 17, 0, 0, 1}; /* 1 + 16 + 0, empty */
	static const uint8_t marker[] = "\xab\xcd\xefMaxMind.com";
	/* The metadata map; each key a string of its length (0x40 + n). */
	static const char meta[] = "\xe9" /* 9 pairs */
				   "\x5b"
				   "binary_format_major_version"
				   "\xa1\x02" /* uint16 2 */
				   "\x5b"
				   "binary_format_minor_version"
				   "\xa0" /* uint16 0 */
				   "\x4b"
				   "build_epoch"
				   "\x01\x02\x01" /* uint64 1 */
				   "\x4d"
				   "database_type"
				   "\x44"
				   "Tiny"
				   "\x4a"
				   "ip_version"
				   "\xa1\x04" /* uint16 4 */
				   "\x4a"
				   "node_count"
				   "\xc1\x01" /* uint32 1 */
				   "\x4b"
				   "record_size"
				   "\xa1\x18" /* uint16 24 */
				   "\x49"
				   "languages"
				   "\x00\x04" /* [] */
				   "\x4b"
				   "description"
				   "\xe0"; /* {} */
	static const uint8_t zeros[16];
	int fd = mkstemp(tmpl);

	ck_assert(fd >= 0);
	ck_assert(write(fd, tree, sizeof(tree)) == (ssize_t)sizeof(tree));
	ck_assert(write(fd, zeros, sizeof(zeros)) == (ssize_t)sizeof(zeros));
	ck_assert(write(fd, data, data_len) == (ssize_t)data_len);
	ck_assert(write(fd, marker, sizeof(marker) - 1) == (ssize_t)sizeof(marker) - 1);
	ck_assert(write(fd, meta, sizeof(meta) - 1) == (ssize_t)sizeof(meta) - 1);
	close(fd);
}

/* Open a tiny database with data[] (flat layout): refused with why in the
 * error, or (why NULL) accepted, placing 1.2.3.4 in country ("" for
 * none). */
static void open_tiny(const uint8_t *data, size_t len, const char *why, const char *country)
{
	char tmpl[] = "geo-tiny-XXXXXX";
	struct gslb_err err = {""};
	struct geo_layout layout;
	struct geo_location loc;
	struct geo_db *db = NULL;
	uint8_t addr[4] = {1, 2, 3, 4};
	int rc;

	write_tiny_mmdb(tmpl, data, len);
	geo_layout_flat(&layout);
	rc = geo_db_open(tmpl, &layout, &db, &err);
	unlink(tmpl);
	if (why != NULL) {
		ck_assert_msg(rc == GSLB_EIO, "accepted, expected '%s'", why);
		ck_assert_msg(strstr(err.msg, why) != NULL, "%s", err.msg);
		return;
	}
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_int_eq(geo_db_lookup(db, AF_INET, addr, &loc), 0);
	ck_assert(loc.found);
	ck_assert_str_eq(loc.country, country);
	geo_db_close(db);
}

START_TEST(test_verify_data)
{
	/* {"country_code": "GB"}: read through the flat layout. */
	static const uint8_t good[] = {0xe1, 0x4c, 'c', 'o', 'u', 'n',  't', 'r', 'y',
				       '_',  'c',  'o', 'd', 'e', 0x42, 'G', 'B'};
	/* {"a": -> 5}, at 5 an array of two pointers to itself: endless for a
	 * decoder that expands pointers, one look for the check. */
	static const uint8_t loop[] = {0xe1, 0x41, 'a', 0x20, 5, 0x02, 0x04, 0x20, 5, 0x20, 5};
	/* {"a": -> 5}, at 5 a pointer. */
	static const uint8_t ptr2[] = {0xe1, 0x41, 'a', 0x20, 5, 0x20, 0};
	/* {uint16 1: "x"} */
	static const uint8_t key[] = {0xe1, 0xa1, 1, 0x41, 'x'};
	/* "GB": not a map. */
	static const uint8_t notmap[] = {0x42, 'G', 'B'};
	/* {"a": a string of 20 bytes, 2 there before the metadata} */
	static const uint8_t longstr[] = {0xe1, 0x41, 'a', 0x54, 'x', 'y'};
	/* {"a": a string of 4381 bytes, past the end of the file} */
	static const uint8_t hugestr[] = {0xe1, 0x41, 'a', 0x5e, 0x10, 0x00, 'x', 'y'};
	/* {"a": -> 200}, past the end */
	static const uint8_t far[] = {0xe1, 0x41, 'a', 0x20, 200};
	/* {"a": a double of 4 bytes} */
	static const uint8_t dbl[] = {0xe1, 0x41, 'a', 0x64, 0, 0, 0, 0};

	open_tiny(good, sizeof(good), NULL, "GB");
	open_tiny(loop, sizeof(loop), NULL, "");
	open_tiny(ptr2, sizeof(ptr2), "pointer to a pointer", NULL);
	open_tiny(key, sizeof(key), "map key is not a string", NULL);
	open_tiny(notmap, sizeof(notmap), "record is not a map", NULL);
	open_tiny(longstr, sizeof(longstr), "value past the end", NULL);
	open_tiny(hugestr, sizeof(hugestr), "value past the end", NULL);
	open_tiny(far, sizeof(far), "pointer past the end", NULL);
	open_tiny(dbl, sizeof(dbl), "double of a size other than 8", NULL);
}
END_TEST

START_TEST(test_open_bad_layout)
{
	struct geo_db *db = (struct geo_db *)&db;
	struct gslb_err err = {""};
	struct geo_layout l;

	/* Latitude without longitude. */
	geo_layout_city(&l);
	l.longitude.count = 0;
	ck_assert_int_eq(geo_db_open(CITY_DB, &l, &db, &err), GSLB_EINVAL);
	ck_assert(db == (struct geo_db *)&db);
	ck_assert_msg(strncmp(err.msg, CITY_DB ": layout:", strlen(CITY_DB ": layout:")) == 0, "%s",
		      err.msg);
	ck_assert_msg(strstr(err.msg, "latitude and longitude") != NULL, "%s", err.msg);

	/* Nothing to read. */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(geo_db_open(CITY_DB, &l, &db, &err), GSLB_EINVAL);
	ck_assert_msg(strstr(err.msg, "no field") != NULL, "%s", err.msg);

	/* An empty key. */
	geo_layout_city(&l);
	l.country.keys[1][0] = '\0';
	ck_assert_int_eq(geo_db_open(CITY_DB, &l, &db, &err), GSLB_EINVAL);
	ck_assert_msg(strstr(err.msg, "country path: key 2 is empty") != NULL, "%s", err.msg);

	/* A key without its NUL. */
	geo_layout_city(&l);
	memset(l.continent.keys[0], 'x', GEO_KEY_SIZE);
	ck_assert_int_eq(geo_db_open(CITY_DB, &l, &db, &err), GSLB_EINVAL);
	ck_assert_msg(strstr(err.msg, "not terminated") != NULL, "%s", err.msg);

	/* Too many keys. */
	geo_layout_city(&l);
	l.latitude.count = GEO_PATH_MAX_KEYS + 1;
	ck_assert_int_eq(geo_db_open(CITY_DB, &l, &db, &err), GSLB_EINVAL);
	ck_assert(db == (struct geo_db *)&db);
}
END_TEST

START_TEST(test_layout_parse_invalid)
{
	static const char *const bad[] = {
	    ".",  "a..b",          ".a",
	    "a.", "a.b.c.d.e.f.g", "location.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	struct gslb_err err;
	struct geo_path p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		err.msg[0] = '\0';
		ck_assert_msg(geo_layout_parse_path(bad[i], &p, &err) == GSLB_EINVAL,
			      "accepted '%s'", bad[i]);
		ck_assert_msg(strstr(err.msg, bad[i]) != NULL, "%s", err.msg);
		ck_assert_uint_eq(p.count, 0x5a5a5a5au); /* untouched */
	}
}
END_TEST

START_TEST(test_lookup_bad_family)
{
	struct geo_location loc;
	uint8_t addr[16] = {192, 0, 2, 1};

	memset(&loc, 0xa5, sizeof(loc));
	ck_assert_int_eq(geo_db_lookup(city, AF_UNIX, addr, &loc), GSLB_EINVAL);
	ck_assert(!loc.found);
	ck_assert_uint_eq(loc.prefix_len, 0);
	ck_assert(!geo_addr_is_private(AF_UNIX, addr, NULL));
}
END_TEST

static Suite *geo_suite(void)
{
	Suite *s = suite_create("geo");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, open_dbs, close_dbs);
	tcase_add_loop_test(tc, test_city_found, 0, sizeof(city_cases) / sizeof(city_cases[0]));
	tcase_add_test(tc, test_city_not_found);
	tcase_add_test(tc, test_city_no_location);
	tcase_add_test(tc, test_city_record_id);
	tcase_add_test(tc, test_city_metadata);
	tcase_add_test(tc, test_flat_layout);
	tcase_add_test(tc, test_layout_mismatch);
	tcase_add_test(tc, test_layout_parse_valid);
	tcase_add_loop_test(tc, test_private, 0, sizeof(private_cases) / sizeof(private_cases[0]));
	tcase_add_test(tc, test_distance);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_cache_same_as_uncached);
	tcase_add_test(tc, test_cache_hit_and_invalidation);
	tcase_add_test(tc, test_cache_nets);
	tcase_add_test(tc, test_unit_vector);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, open_dbs, close_dbs);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_not_mmdb);
	tcase_add_test(tc, test_open_truncated);
	tcase_add_test(tc, test_file_changed_under_open_db);
	tcase_add_test(tc, test_open_corrupt);
	tcase_add_test(tc, test_file_unchanged);
	tcase_add_test(tc, test_verify_data);
	tcase_add_test(tc, test_open_bad_layout);
	tcase_add_test(tc, test_layout_parse_invalid);
	tcase_add_test(tc, test_lookup_bad_family);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(geo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

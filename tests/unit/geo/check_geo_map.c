/* Unit tests of geo/geo_map.c: compiled maps against the direct lookup
 *   geo_addr_is_private() ? private_class : classify(geo_db_lookup())
 * over the databases of tests/data/geo/ (and GeoLite2-City when
 * GSLBD_GEOLITE2_CITY names one), with several classifiers, random
 * addresses from a fixed seed, and checks that every depth is a true scope. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/err.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "geo/geo_map.h"

#define CITY_DB TEST_DATA_DIR "/geo/test-city.mmdb"
#define FLAT_DB TEST_DATA_DIR "/geo/test-flat.mmdb"

/* Addresses of the differential tests. */
#define DIFF_COUNT 1000000

/* Addresses per differential run: fewer under valgrind, which make
 * check-valgrind marks by setting CK_TIMEOUT_MULTIPLIER. */
static size_t diff_count(void)
{
	return getenv("CK_TIMEOUT_MULTIPLIER") != NULL ? 20000 : DIFF_COUNT;
}
/* One address in this many also has its scope sampled. */
#define SCOPE_EVERY 8
/* The class of private blocks: also the "no country" class of by_country,
 * so a private block next to unknown space must still not merge with it. */
#define PRIVATE_CLASS 0

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

/* What classifiers count, through ctx (NULL: nothing). */
struct calls {
	size_t count;     /* calls */
	size_t not_found; /* calls for "not found" */
};

static void count_call(void *ctx, const struct geo_location *loc)
{
	struct calls *c = ctx;

	if (c == NULL)
		return;
	c->count++;
	if (!loc->found)
		c->not_found++;
}

/* 0 for no country (and not found), else 1 + the code as a base-26 number. */
static uint32_t by_country(const struct geo_location *loc, void *ctx)
{
	count_call(ctx, loc);
	if (loc->country[0] == '\0')
		return 0;
	return 1 + (uint32_t)(loc->country[0] - 'A') * 26 + (uint32_t)(loc->country[1] - 'A');
}

/* The nearest of a few fixed points by the chord of loc->xyz; unlocated
 * addresses are class NEAR_COUNT. */
#define NEAR_COUNT 5
static uint32_t by_nearest(const struct geo_location *loc, void *ctx)
{
	/* Ashburn, Frankfurt, Singapore, Sao Paulo, Sydney */
	static const double points[NEAR_COUNT][2] = {
	    {39.04, -77.49}, {50.11, 8.68}, {1.35, 103.82}, {-23.55, -46.63}, {-33.87, 151.21}};
	double best = INFINITY;
	uint32_t cls = NEAR_COUNT;

	count_call(ctx, loc);
	if (!loc->has_coords)
		return NEAR_COUNT;
	for (uint32_t i = 0; i < NEAR_COUNT; i++) {
		double p[3], a[3] = {loc->xyz[0], loc->xyz[1], loc->xyz[2]};
		double d;

		geo_unit_vector(points[i][0], points[i][1], p);
		d = geo_chord2(a, p);
		if (d < best) {
			best = d;
			cls = i;
		}
	}
	return cls;
}

/* Many small classes: the record's offset mod 7, and 7 for not found. */
static uint32_t by_record(const struct geo_location *loc, void *ctx)
{
	count_call(ctx, loc);
	return loc->found ? loc->record_id % 7 : 7;
}

/* The same class for everything. */
static uint32_t constant(const struct geo_location *loc, void *ctx)
{
	count_call(ctx, loc);
	return 1;
}

struct classifier {
	const char *name;       /* for messages */
	geo_map_classify_fn fn; /* the classifier */
};

static const struct classifier classifiers[] = {
    {"country", by_country},
    {"nearest", by_nearest},
    {"record", by_record},
};
#define CLASSIFIER_COUNT (sizeof(classifiers) / sizeof(classifiers[0]))

/* splitmix64: a small PRNG with a fixed seed, so runs repeat. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void rng_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rng_next(state);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(buf + i, &v, n);
	}
}

/* Keep the first len bits of net and take the rest from addr. */
static void put_prefix(uint8_t *addr, const uint8_t *net, unsigned len)
{
	unsigned i;

	for (i = 0; i + 8 <= len; i += 8)
		addr[i / 8] = net[i / 8];
	if (i < len) {
		uint8_t mask = (uint8_t)(0xff << (8 - (len - i)));

		addr[i / 8] = (uint8_t)((net[i / 8] & mask) | (addr[i / 8] & ~mask));
	}
}

/* Networks of the test databases and of populated real space: addresses
 * are drawn inside them, at their edges and just outside. */
static const char *const nets[] = {
    "81.2.69.0/24",      "2.125.160.0/20", "198.51.100.0/24",   "192.0.2.0/24",
    "203.0.113.0/24",    "45.0.0.0/16",    "177.0.0.0/16",      "41.0.0.0/16",
    "37.0.0.0/28",       "62.0.0.0/24",    "2001:db8:100::/48", "2001:db8:200::/48",
    "2001:db8:300::/40", "2001::/16",      "2400::/12",         "2600::/12",
    "2800::/12",         "2a00::/12",      "2c00::/12",         "2a02::/16",
    "2a01::/16",         "2604::/16",      "2406::/16",         "2003::/16",
    "10.0.0.0/8",        "172.16.0.0/12",  "192.168.0.0/16",    "127.0.0.0/8",
    "169.254.0.0/16",    "100.64.0.0/10",  "::1/128",           "fe80::/10",
    "fc00::/7",
};
#define NET_COUNT (sizeof(nets) / sizeof(nets[0]))

/* Parse "addr/len" into family, bytes and length. */
static int parse_net(const char *s, uint8_t addr[16], unsigned *len)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	*len = (unsigned)atoi(slash + 1);
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		return AF_INET;
	ck_assert_msg(inet_pton(AF_INET6, buf, addr) == 1, "bad test network %s", s);
	return AF_INET6;
}

/* Draw one test address into addr and return its family. */
static int gen_addr(uint64_t *rng, uint8_t addr[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned kind = (unsigned)(rng_next(rng) % 10);
	uint8_t net[16];
	unsigned len;
	int family;

	rng_fill(rng, addr, 16);
	switch (kind) {
	case 0:
	case 1: /* uniform IPv4 */
		return AF_INET;
	case 2: /* uniform IPv6 */
		return AF_INET6;
	case 3: /* 2000::/3 */
		addr[0] = (uint8_t)(0x20 | (addr[0] & 0x1f));
		return AF_INET6;
	case 4: /* ::ffff:0:0/96, IPv4-mapped */
		memcpy(addr, mapped, 12);
		return AF_INET6;
	case 5: /* ::/96 */
		memset(addr, 0, 12);
		return AF_INET6;
	case 6: /* 2002::/16, 6to4 */
		addr[0] = 0x20;
		addr[1] = 0x02;
		return AF_INET6;
	default: /* inside a listed network, at its edges or just outside */
		family = parse_net(nets[rng_next(rng) % NET_COUNT], net, &len);
		put_prefix(addr, net, len);
		if (family == AF_INET6 || (rng_next(rng) & 3) != 0) {
			unsigned bits = family == AF_INET ? 32 : 128;
			unsigned edge = (unsigned)(rng_next(rng) % 4);

			/* 0: random inside; 1: first; 2: last; 3: next outside
			 * (last + 1, or first - 1 with the carry). */
			if (edge != 0) {
				uint8_t fill = edge == 1 ? 0x00 : 0xff;
				uint8_t host[16];

				memset(host, fill, sizeof(host));
				memcpy(net, addr, 16);
				memcpy(addr, host, 16);
				put_prefix(addr, net, len);
				if (edge == 3 && len > 0) {
					int i = (int)bits / 8 - 1;

					while (i >= 0 && ++addr[i] == 0)
						i--;
				}
			}
			return family;
		}
		/* Some IPv4 networks as IPv4-mapped addresses. */
		memmove(addr + 12, addr, 4);
		memcpy(addr, mapped, 12);
		return AF_INET6;
	}
}

static char *addr_str(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "(family %d)", family);
	return buf;
}

/* Lookups that failed in the hot loops, which avoid ck_assert(): Check
 * sends a message to its parent process for every assertion. */
static size_t lookup_errors;

/* The class the map must give: the direct lookup. */
static uint32_t direct_class(const struct geo_db *db, geo_map_classify_fn fn, int family,
			     const uint8_t *addr)
{
	struct geo_location loc;

	if (geo_addr_is_private(family, addr, NULL))
		return PRIVATE_CLASS;
	if (geo_db_lookup(db, family, addr, &loc) != 0)
		lookup_errors++;
	return fn(&loc, NULL);
}

static struct geo_map *build(const struct geo_db *db, geo_map_classify_fn fn, struct calls *calls)
{
	struct gslb_err err = {""};
	struct geo_map *m = NULL;

	ck_assert_msg(geo_map_build(db, fn, calls, PRIVATE_CLASS, &m, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(m);
	return m;
}

static void print_stats(const char *what, const char *name, const struct geo_map *m)
{
	struct geo_map_stats st;

	geo_map_stats(m, &st);
	fprintf(stderr,
		"geo_map %s/%s: build %.1f ms, %zu records, %u classes, %zu nodes, "
		"%zu leaves, %zu bytes\n",
		what, name, (double)st.build_us / 1000.0, st.records, st.classes, st.nodes,
		st.leaves, st.bytes);
}

/* Check an address: the class against the direct lookup (counting
 * differences), the depth against the family and private blocks, and for
 * scope the first, last and a random address of the network around it. */
static void check_one(const struct geo_db *db, const struct geo_map *m, geo_map_classify_fn fn,
		      int family, const uint8_t *addr, uint32_t want, bool scope, uint64_t *rng,
		      size_t *diffs, size_t *violations)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t depth, block_len, net[16], probe[16];
	unsigned bits = family == AF_INET ? 32 : 128;
	uint32_t got = geo_map_lookup(m, family, addr, &depth);

	if (got != want) {
		if (*diffs == 0)
			fprintf(stderr, "first difference: %s map %u direct %u\n",
				addr_str(family, addr, buf, sizeof(buf)), got, want);
		(*diffs)++;
	}
	if (depth > bits)
		ck_abort_msg("%s: depth %u", addr_str(family, addr, buf, sizeof(buf)), depth);
	if (geo_addr_is_private(family, addr, &block_len)) {
		if (depth != block_len)
			ck_abort_msg("%s: private depth %u, block /%u",
				     addr_str(family, addr, buf, sizeof(buf)), depth, block_len);
	} else if (family == AF_INET6 && addr[10] == 0xff && addr[11] == 0xff &&
		   memcmp(addr, "\0\0\0\0\0\0\0\0\0\0", 10) == 0 && depth < 96) {
		ck_abort_msg("%s: mapped depth %u", addr_str(family, addr, buf, sizeof(buf)),
			     depth);
	}
	if (!scope)
		return;
	memcpy(net, addr, 16);
	for (int k = 0; k < 3; k++) {
		memset(probe, k == 0 ? 0x00 : 0xff, sizeof(probe));
		if (k == 2)
			rng_fill(rng, probe, sizeof(probe));
		put_prefix(probe, net, depth);
		if (direct_class(db, fn, family, probe) != got) {
			if (*violations == 0)
				fprintf(stderr, "first scope violation: %s/%u, at %s\n",
					addr_str(family, addr, buf, sizeof(buf)), depth,
					addr_str(family, probe, (char[INET6_ADDRSTRLEN]){0},
						 INET6_ADDRSTRLEN));
			(*violations)++;
		}
	}
}

/* count random addresses over db: every map of classifiers[] against one
 * direct lookup each, and scopes for one address in SCOPE_EVERY. Returns
 * the nanoseconds per map lookup. */
static void differential(const struct geo_db *db, const char *what, size_t count, uint64_t seed)
{
	struct geo_map *maps[CLASSIFIER_COUNT];
	size_t diffs[CLASSIFIER_COUNT] = {0}, violations[CLASSIFIER_COUNT] = {0};
	uint64_t rng = seed, rng2 = seed ^ UINT64_C(0x5555);
	size_t private_count = 0, found = 0;
	uint8_t addr[16];

	for (size_t c = 0; c < CLASSIFIER_COUNT; c++) {
		struct calls calls = {0, 0};
		struct geo_map_stats st;

		maps[c] = build(db, classifiers[c].fn, &calls);
		geo_map_stats(maps[c], &st);
		print_stats(what, classifiers[c].name, maps[c]);
		/* Once per distinct record, once for "not found". */
		ck_assert_uint_eq(calls.not_found, 1);
		ck_assert_uint_eq(calls.count, st.records + 1);
	}
	for (size_t i = 0; i < count; i++) {
		struct geo_location loc;
		int family = gen_addr(&rng, addr);
		bool is_private;

		memset(&loc, 0, sizeof(loc));
		is_private = geo_addr_is_private(family, addr, NULL);

		if (is_private) {
			private_count++;
		} else {
			if (geo_db_lookup(db, family, addr, &loc) != 0)
				lookup_errors++;
			found += loc.found;
		}
		for (size_t c = 0; c < CLASSIFIER_COUNT; c++) {
			uint32_t want = is_private ? PRIVATE_CLASS : classifiers[c].fn(&loc, NULL);

			check_one(db, maps[c], classifiers[c].fn, family, addr, want,
				  i % SCOPE_EVERY == 0, &rng2, &diffs[c], &violations[c]);
		}
	}
	ck_assert_uint_eq(lookup_errors, 0);
	for (size_t c = 0; c < CLASSIFIER_COUNT; c++)
		ck_assert_msg(diffs[c] == 0 && violations[c] == 0,
			      "%s/%s: %zu differences, %zu scope violations in %zu addresses", what,
			      classifiers[c].name, diffs[c], violations[c], count);

	fprintf(stderr, "geo_map %s: %zu addresses (%zu private, %zu found), 0 differences\n", what,
		count, private_count, found);
	for (size_t c = 0; c < CLASSIFIER_COUNT; c++)
		geo_map_free(maps[c]);
}

START_TEST(test_differential_city)
{
	differential(city, "test-city", diff_count(), 1);
}
END_TEST

START_TEST(test_differential_flat)
{
	differential(flat, "test-flat", diff_count(), 2);
}
END_TEST

START_TEST(test_differential_geolite2)
{
	const char *path = getenv("GSLBD_GEOLITE2_CITY");
	struct gslb_err err = {""};
	struct geo_db *db = NULL;

	if (path == NULL || path[0] == '\0' || strcmp(path, "none") == 0) {
		/* In CI the database is fetched first: its absence is a failure,
		 * unless the run leaves it out on purpose ("none"). */
		const char *ci = getenv("CI");

		ck_assert_msg((path != NULL && strcmp(path, "none") == 0) || ci == NULL ||
				  strcmp(ci, "true") != 0,
			      "CI=true and GSLBD_GEOLITE2_CITY is not set "
			      "(tests/tools/fetch-geolite2.sh)");
		fprintf(stderr,
			"geo_map: GSLBD_GEOLITE2_CITY not set or none, GeoLite2 test skipped\n");
		return;
	}
	ck_assert_msg(geo_db_open(path, NULL, &db, &err) == 0, "%s", err.msg);
	differential(db, "GeoLite2-City", diff_count(), 3);
	geo_db_close(db);
}
END_TEST

/* Maps built in one set: the classifiers of set_fns[], one per map, with a
 * private class each. */
static geo_map_classify_fn const set_fns[] = {by_country, by_nearest, by_record, by_country,
					      constant, by_nearest, by_record};
#define SET_COUNT (sizeof(set_fns) / sizeof(set_fns[0]))

static void classify_all(const struct geo_location *loc, void *ctx, uint32_t *classes)
{
	size_t *calls = ctx;

	(*calls)++;
	for (size_t i = 0; i < SET_COUNT; i++)
		classes[i] = set_fns[i](loc, NULL);
}

/* Every map of a set (built on threads threads) gives every address the
 * class and the depth the map of its classifier built alone gives. */
static void set_differential(const struct geo_db *db, const char *what, size_t count,
			     unsigned threads, uint64_t seed)
{
	struct geo_map *alone[SET_COUNT];
	struct geo_map_set *set = NULL;
	struct geo_map_set_stats st;
	struct gslb_err err = {""};
	uint32_t priv[SET_COUNT];
	size_t calls = 0, diffs = 0, alone_nodes = 0;
	uint64_t rng = seed;
	uint8_t addr[16];

	for (size_t i = 0; i < SET_COUNT; i++) {
		struct geo_map_stats ms;

		priv[i] = PRIVATE_CLASS + (uint32_t)i % 3;
		ck_assert_msg(geo_map_build(db, set_fns[i], NULL, priv[i], &alone[i], &err) == 0,
			      "%s", err.msg);
		geo_map_stats(alone[i], &ms);
		alone_nodes += ms.nodes;
	}
	ck_assert_msg(geo_map_set_build(db, SET_COUNT, classify_all, &calls, priv, threads, &set,
					&err) == 0,
		      "%s", err.msg);
	geo_map_set_stats(set, &st);
	fprintf(stderr,
		"geo_map_set %s: %zu maps on %u thread(s) in %.1f ms, %zu records, %zu vectors, "
		"%zu nodes (%zu alone), %zu bytes\n",
		what, st.maps, st.threads, (double)st.build_us / 1000.0, st.records, st.vectors,
		st.nodes, alone_nodes, st.bytes);
	/* once per distinct record, once for "not found" */
	ck_assert_uint_eq(calls, st.records + 1);
	ck_assert_uint_eq(st.maps, SET_COUNT);
	/* the repeated classifiers' maps are stored once */
	ck_assert_uint_lt(st.nodes, alone_nodes);
	for (size_t n = 0; n < count; n++) {
		int family = gen_addr(&rng, addr);

		for (size_t i = 0; i < SET_COUNT; i++) {
			uint8_t d1 = 0, d2 = 0;
			uint32_t c1 = geo_map_lookup(alone[i], family, addr, &d1);
			uint32_t c2 = geo_map_lookup(geo_map_set_map(set, i), family, addr, &d2);

			if (c1 != c2 || d1 != d2) {
				char buf[INET6_ADDRSTRLEN];

				if (diffs == 0)
					fprintf(stderr, "first difference: map %zu %s: %u/%u alone, %u/%u in the set\n",
						i, addr_str(family, addr, buf, sizeof(buf)), c1, d1, c2, d2);
				diffs++;
			}
		}
	}
	ck_assert_msg(diffs == 0, "%s: %zu differences", what, diffs);
	for (size_t i = 0; i < SET_COUNT; i++)
		geo_map_free(alone[i]);
	geo_map_set_free(set);
	geo_map_set_free(NULL);
}

START_TEST(test_set_same_as_alone)
{
	size_t count = diff_count() / 4;

	set_differential(city, "test-city", count, 1, 11);
	set_differential(city, "test-city", count, 2, 12);
	set_differential(flat, "test-flat", count, 3, 13);
	set_differential(flat, "test-flat", count, 100, 14);
}
END_TEST

START_TEST(test_set_geolite2)
{
	const char *path = getenv("GSLBD_GEOLITE2_CITY");
	struct gslb_err err = {""};
	struct geo_db *db = NULL;

	if (path == NULL || path[0] == '\0' || strcmp(path, "none") == 0) {
		fprintf(stderr,
			"geo_map: GSLBD_GEOLITE2_CITY not set or none, GeoLite2 set test skipped\n");
		return;
	}
	ck_assert_msg(geo_db_open(path, NULL, &db, &err) == 0, "%s", err.msg);
	set_differential(db, "GeoLite2-City", diff_count(), 2, 15);
	geo_db_close(db);
}
END_TEST

/* Class GEO_MAP_MAX_CLASSES for Singapore in the second map. */
static void too_big_in_one(const struct geo_location *loc, void *ctx, uint32_t *classes)
{
	(void)ctx;
	classes[0] = 1;
	classes[1] = strcmp(loc->country, "SG") == 0 ? GEO_MAP_MAX_CLASSES : 1;
}

START_TEST(test_set_out_of_range)
{
	struct gslb_err err = {""};
	struct geo_map_set *set = (struct geo_map_set *)&err; /* must stay untouched */
	const uint32_t priv[2] = {0, 0}, bad_priv[2] = {0, GEO_MAP_MAX_CLASSES};

	ck_assert_int_eq(geo_map_set_build(city, 2, too_big_in_one, NULL, priv, 2, &set, &err),
			 GSLB_ERANGE);
	ck_assert_ptr_eq(set, (struct geo_map_set *)&err);
	ck_assert_str_ne(err.msg, "");
	err.msg[0] = '\0';
	ck_assert_int_eq(geo_map_set_build(city, 2, classify_all, &(size_t){0}, bad_priv, 1, &set,
					   &err),
			 GSLB_ERANGE);
	ck_assert_ptr_eq(set, (struct geo_map_set *)&err);
	ck_assert_str_ne(err.msg, "");
}
END_TEST

/* Look ip up in m: the class, with the depth in *depth. */
static uint32_t lookup(const struct geo_map *m, const char *ip, uint8_t *depth)
{
	uint8_t addr[16];
	int family = AF_INET;

	if (inet_pton(AF_INET, ip, addr) != 1) {
		ck_assert_msg(inet_pton(AF_INET6, ip, addr) == 1, "bad test address %s", ip);
		family = AF_INET6;
	}
	*depth = 0xaa;
	return geo_map_lookup(m, family, addr, depth);
}

struct depth_case {
	const char *ip; /* address looked up */
	uint32_t cls;   /* expected class (by_country) */
	unsigned depth; /* expected depth */
};

#define CC(a, b) (1 + (uint32_t)((a) - 'A') * 26 + (uint32_t)((b) - 'A'))

static const struct depth_case city_depths[] = {
    {"81.2.69.160", CC('G', 'B'), 24},         /* IPv4 on an IPv6 database */
    {"::ffff:81.2.69.160", CC('G', 'B'), 120}, /* mapped: 96 + 24 */
    {"::81.2.69.160", CC('G', 'B'), 120},      /* the IPv4 subtree at ::/96 */
    {"2002:5102:45a0::1", CC('G', 'B'), 40},   /* 6to4 alias */
    {"2.125.175.255", CC('G', 'B'), 20},
    {"37.0.0.15", CC('F', 'R'), 28},
    {"2001:db8:3ff::1", CC('S', 'G'), 40},
    {"10.1.2.3", PRIVATE_CLASS, 8},
    {"172.31.255.255", PRIVATE_CLASS, 12},
    {"192.168.0.1", PRIVATE_CLASS, 16},
    {"127.0.0.1", PRIVATE_CLASS, 8},
    {"169.254.1.1", PRIVATE_CLASS, 16},
    {"100.127.0.1", PRIVATE_CLASS, 10},
    {"::ffff:10.1.2.3", PRIVATE_CLASS, 104},
    {"::ffff:100.64.0.0", PRIVATE_CLASS, 106},
    {"::1", PRIVATE_CLASS, 128},
    {"fe80::1", PRIVATE_CLASS, 10},
    {"fdff::1", PRIVATE_CLASS, 7},
    /* Not private as IPv6 (::/96 is not mapped): 10/8 is empty in the
     * database, and so is all of 8.0.0.0/5 around it. */
    {"::10.1.2.3", 0, 101},
    {"2002:a01:203::", 0, 21}, /* 6to4 of a private address: not private */
};

START_TEST(test_depths_city)
{
	const struct depth_case *c = &city_depths[_i];
	struct geo_map *m = build(city, by_country, NULL);
	uint8_t depth;
	uint32_t cls = lookup(m, c->ip, &depth);

	ck_assert_msg(cls == c->cls && depth == c->depth, "%s: class %u depth %u, want %u /%u",
		      c->ip, cls, depth, c->cls, c->depth);
	geo_map_free(m);
}
END_TEST

/* With one class for everything, only private blocks split the space. */
static const struct depth_case constant_depths[] = {
    {"8.8.8.8", 1, 7},          /* 8.0.0.0/7 ends where 10/8 begins */
    {"1.2.3.4", 1, 5},          /* 0.0.0.0/5 */
    {"2001:db8::1", 1, 3},      /* 2000::/3 */
    {"::ffff:8.8.8.8", 1, 103}, /* 96 + 7 */
    {"10.0.0.0", 2, 8},         {"::ffff:10.0.0.0", 2, 104}, {"fe80::", 2, 10},
};

START_TEST(test_depths_constant)
{
	const struct depth_case *c = &constant_depths[_i];
	const struct geo_db *dbs[2] = {city, flat};

	for (int d = 0; d < 2; d++) {
		struct gslb_err err = {""};
		struct geo_map *m = NULL;
		uint8_t depth;
		uint32_t cls;

		ck_assert_msg(geo_map_build(dbs[d], constant, NULL, 2, &m, &err) == 0, "%s",
			      err.msg);
		cls = lookup(m, c->ip, &depth);
		/* In the city database, ::/96 holds the IPv4 subtree with ::1
		 * in it: 2001:db8::1 is still alone in 2000::/3. */
		ck_assert_msg(cls == c->cls && depth == c->depth,
			      "db %d %s: class %u depth %u, want %u /%u", d, c->ip, cls, depth,
			      c->cls, c->depth);
		geo_map_free(m);
	}
}
END_TEST

START_TEST(test_flat_ipv6)
{
	struct geo_map *m = build(flat, by_country, NULL);
	uint8_t depth;

	/* An IPv4 database: IPv6 is not found, mapped addresses are IPv4. */
	ck_assert_uint_eq(lookup(m, "2001:db8:100::1", &depth), 0);
	ck_assert_uint_eq(lookup(m, "192.0.2.1", &depth), CC('U', 'S'));
	ck_assert_uint_eq(depth, 24);
	ck_assert_uint_eq(lookup(m, "::ffff:192.0.2.1", &depth), CC('U', 'S'));
	ck_assert_uint_eq(depth, 120);
	/* The bad record: no country. */
	ck_assert_uint_eq(lookup(m, "203.0.113.200", &depth), 0);
	ck_assert_uint_eq(lookup(m, "::1", &depth), PRIVATE_CLASS);
	ck_assert_uint_eq(depth, 128);
	geo_map_free(m);
}
END_TEST

START_TEST(test_unknown_family)
{
	struct geo_map *m = build(city, by_nearest, NULL);
	uint8_t addr[16] = {192, 0, 2, 1}, depth = 0xaa;

	ck_assert_uint_eq(geo_map_lookup(m, AF_UNIX, addr, &depth), NEAR_COUNT);
	ck_assert_uint_eq(depth, 0);
	geo_map_free(m);
}
END_TEST

/* Each record classified once: record ids seen. */
struct seen_ids {
	uint32_t ids[64]; /* record ids classified */
	size_t count;     /* ids in use */
	size_t none;      /* "not found" calls */
};

static uint32_t record_once(const struct geo_location *loc, void *ctx)
{
	struct seen_ids *s = ctx;

	if (!loc->found) {
		s->none++;
		return 0;
	}
	for (size_t i = 0; i < s->count; i++)
		ck_assert_msg(s->ids[i] != loc->record_id, "record %u classified twice",
			      loc->record_id);
	ck_assert_uint_lt(s->count, 64);
	s->ids[s->count++] = loc->record_id;
	return loc->record_id % 5;
}

START_TEST(test_stats)
{
	struct seen_ids seen;
	struct gslb_err err = {""};
	struct geo_map *m = NULL;
	struct geo_map_stats st;

	memset(&seen, 0, sizeof(seen));
	ck_assert_msg(geo_map_build(city, record_once, &seen, 9, &m, &err) == 0, "%s", err.msg);
	geo_map_stats(m, &st);
	ck_assert_uint_eq(seen.none, 1);
	/* 13 networks, the two London ones and the two New York ones may
	 * share records; at least the 9 different places. */
	ck_assert_uint_eq(st.records, seen.count);
	ck_assert_uint_ge(st.records, 9);
	ck_assert_uint_le(st.records, 13);
	ck_assert_uint_eq(st.classes, 10);
	ck_assert_uint_gt(st.nodes, 0);
	ck_assert_uint_gt(st.leaves, st.records);
	ck_assert_uint_gt(st.bytes, 2 * 65536 * 4);
	geo_map_free(m);
	geo_map_free(NULL);
}
END_TEST

/* Class GEO_MAP_MAX_CLASSES for Singapore, fine for the rest. */
static uint32_t too_big_for_sg(const struct geo_location *loc, void *ctx)
{
	(void)ctx;
	return strcmp(loc->country, "SG") == 0 ? GEO_MAP_MAX_CLASSES : 1;
}

static uint32_t too_big_for_none(const struct geo_location *loc, void *ctx)
{
	(void)ctx;
	return loc->found ? 1 : UINT32_MAX;
}

START_TEST(test_class_out_of_range)
{
	struct gslb_err err = {""};
	struct geo_map *m = (struct geo_map *)&err; /* must stay untouched */

	ck_assert_int_eq(geo_map_build(city, too_big_for_sg, NULL, 0, &m, &err), GSLB_ERANGE);
	ck_assert_ptr_eq(m, (struct geo_map *)&err);
	ck_assert_str_ne(err.msg, "");

	err.msg[0] = '\0';
	ck_assert_int_eq(geo_map_build(flat, too_big_for_sg, NULL, 0, &m, &err), GSLB_ERANGE);
	ck_assert_ptr_eq(m, (struct geo_map *)&err);
	ck_assert_str_ne(err.msg, "");

	err.msg[0] = '\0';
	ck_assert_int_eq(geo_map_build(city, too_big_for_none, NULL, 0, &m, &err), GSLB_ERANGE);
	ck_assert_ptr_eq(m, (struct geo_map *)&err);
	ck_assert_str_ne(err.msg, "");

	err.msg[0] = '\0';
	ck_assert_int_eq(geo_map_build(city, by_country, NULL, GEO_MAP_MAX_CLASSES, &m, &err),
			 GSLB_ERANGE);
	ck_assert_ptr_eq(m, (struct geo_map *)&err);
	ck_assert_str_ne(err.msg, "");
}
END_TEST

/* Copies of the city database with a record of the search tree changed.
 * Past the data section: geo_db_open() refuses it. Back up the tree, a loop
 * of valid records: lookups stop after 128 bits, so the open accepts it, and
 * a walk of the whole tree refuses it. Written in the build directory. */
START_TEST(test_corrupt_tree)
{
	const char *path = "check_geo_map-corrupt.mmdb";
	struct gslb_err err = {""};
	struct geo_db *db = NULL;
	struct geo_map *m = NULL;
	static uint8_t orig[1 << 16], buf[1 << 16];
	size_t len;
	FILE *f;

	f = fopen(CITY_DB, "rb");
	ck_assert_ptr_nonnull(f);
	len = fread(orig, 1, sizeof(orig), f);
	fclose(f);
	ck_assert_uint_lt(len, sizeof(orig));
	for (int loop = 0; loop < 2; loop++) {
		/* Record size 28: the right record of node n is the low half
		 * of byte 7n + 3 and bytes 7n + 4..6. Past the data: node 0's;
		 * a loop: node 2's, back to node 1 (libmaxminddb refuses a
		 * record naming the root). */
		size_t at = loop ? 14 : 0;

		memcpy(buf, orig, len);
		buf[at + 3] = (uint8_t)((buf[at + 3] & 0xf0) | (loop ? 0 : 0x0f));
		buf[at + 4] = buf[at + 5] = loop ? 0 : 0xff;
		buf[at + 6] = loop ? 1 : 0xff;
		f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
		if (!loop) {
			ck_assert_int_eq(geo_db_open(path, NULL, &db, &err), GSLB_EIO);
			ck_assert_msg(strstr(err.msg, "corrupt search tree") != NULL, "%s",
				      err.msg);
			continue;
		}
		ck_assert_msg(geo_db_open(path, NULL, &db, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(geo_map_build(db, by_country, NULL, 0, &m, &err), GSLB_EIO);
		ck_assert_ptr_null(m);
		ck_assert_msg(strstr(err.msg, "too deep") != NULL, "%s", err.msg);
		{
			struct geo_map_set *set = NULL;
			const uint32_t priv[SET_COUNT] = {0};

			err.msg[0] = '\0';
			ck_assert_int_eq(geo_map_set_build(db, SET_COUNT, classify_all, &(size_t){0},
							   priv, 2, &set, &err),
					 GSLB_EIO);
			ck_assert_ptr_null(set);
			ck_assert_msg(strstr(err.msg, "too deep") != NULL, "%s", err.msg);
		}
		geo_db_close(db);
	}
	remove(path);
}
END_TEST

static Suite *geo_map_suite(void)
{
	Suite *s = suite_create("geo_map");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, open_dbs, close_dbs);
	/* A million addresses each, several lookups per address. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_differential_city);
	tcase_add_test(tc, test_differential_flat);
	tcase_add_test(tc, test_differential_geolite2);
	tcase_add_loop_test(tc, test_depths_city, 0,
			    (int)(sizeof(city_depths) / sizeof(city_depths[0])));
	tcase_add_loop_test(tc, test_depths_constant, 0,
			    (int)(sizeof(constant_depths) / sizeof(constant_depths[0])));
	tcase_add_test(tc, test_flat_ipv6);
	tcase_add_test(tc, test_unknown_family);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_set_same_as_alone);
	tcase_add_test(tc, test_set_geolite2);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, open_dbs, close_dbs);
	tcase_add_test(tc, test_class_out_of_range);
	tcase_add_test(tc, test_corrupt_tree);
	tcase_add_test(tc, test_set_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(geo_map_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

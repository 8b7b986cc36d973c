/* lbbench: the per-query cost of the load-balancing policies, in process.
 *
 * Builds a config of eight datacenters (capacity 100, a check reading the
 * load) and one pool per policy, compiles the geo maps over a GeoIP
 * database (as the daemon does) and calls lb_decide() for a fixed array of
 * client /24s (ECS), variant after variant, round after round, so that the
 * variants compared share the machine's state. Prints per variant the
 * median over the rounds of the nanoseconds per decision and its ratio to
 * the variant it is compared with:
 *
 *   nearest               the baseline: compiled map, no load data
 *   nearest+loads         the same with a load table, every share full
 *   nearest+spill         four of the eight datacenters keep half their clients
 *   failover              no load data
 *   failover+spill        its first two datacenters keep half their clients
 *   least_load            ranked by the load ranking
 *   all                   four answers, as ranked
 *   all+rotate            four answers, round robin
 *
 *   lbbench [-r ROUNDS] [-n DECISIONS] [MMDB]
 *
 * MMDB defaults to the test database (tests/data/geo/test-city.mmdb). Not
 * run by make check; see tests/bench/README.md.
 *
 *   lbbench -c CONFIG [-k CLIENTS] [MMDB]
 *
 * compares instead: the geo maps of CONFIG's pools (lb_maps_build(), all of
 * them in one walk) against direct lookups, for CLIENTS (1,000,000) random
 * clients (IPv4 and IPv6 anywhere or in populated space, by ECS with a
 * random prefix or by resolver address), each on a random load-balanced
 * name, A or AAAA, with a random datacenter down one time in four: the
 * same answer, and a client drawn inside the returned scope gets it too
 * from the direct lookups. Prints the differences (exit 1 if any). */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/latency.h"
#include "gslbd/dns/lb.h"
#include "tests/tools/lbtest.h"

#define DC_COUNT 8
#define CLIENTS  65536
#define QT_A     1

/* Load-balanced names of the config, in order. */
enum { N_NEAR, N_FO, N_LL, N_ALL, N_ALLRR };

static const char config_text[] =
    "zones:\n  - name: example.com\n    file: x.zone\n"
    "checks:\n  - name: c\n    load: {header: X-Load}\n"
    "datacenters:\n"
    "  - {name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.1, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: us-west, latitude: 37.77, longitude: -122.42, ipv4: 192.0.2.2, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 192.0.2.3, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: eu-central, latitude: 50.11, longitude: 8.68, ipv4: 192.0.2.4, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 192.0.2.5, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: ap-northeast, latitude: 35.68, longitude: 139.69, ipv4: 192.0.2.6, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: sa-east, latitude: -23.55, longitude: -46.63, ipv4: 192.0.2.7, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "  - {name: af-south, latitude: -33.92, longitude: 18.42, ipv4: 192.0.2.8, check: c, "
    "check_address: 127.0.0.1, capacity: 100}\n"
    "probes:\n  - {id: p, region: eu-west, latitude: 53.35, longitude: -6.26, "
    "secret: 0123456789abcdef}\n"
    "pools:\n"
    "  - {name: near, datacenters: [us-east, us-west, eu-west, eu-central, ap-southeast, "
    "ap-northeast, sa-east, af-south]}\n"
    "  - {name: fo, policy: failover, datacenters: [eu-west, eu-central, us-east, us-west]}\n"
    "  - {name: ll, policy: least_load, datacenters: [us-east, us-west, eu-west, eu-central, "
    "ap-southeast, ap-northeast, sa-east, af-south]}\n"
    "  - {name: all, policy: all, answers: 4, datacenters: [us-east, us-west, eu-west, "
    "eu-central]}\n"
    "  - {name: allrr, policy: all, answers: 4, rotate: on, datacenters: [us-east, us-west, "
    "eu-west, eu-central]}\n"
    "names:\n"
    "  - {name: near.example.com, pool: near}\n"
    "  - {name: fo.example.com, pool: fo}\n"
    "  - {name: ll.example.com, pool: ll}\n"
    "  - {name: all.example.com, pool: all}\n"
    "  - {name: allrr.example.com, pool: allrr}\n";

/* A random client, as check_lb draws them. */
static struct lb_client random_client(uint64_t *x)
{
	static const uint8_t v4_firsts[] = {81, 1, 2, 5, 24, 31, 37, 41, 45, 62, 77, 89, 100,
					    103, 110, 150, 175, 180, 190, 200, 202, 210, 217};

	return lbtest_client(x, v4_firsts, sizeof(v4_firsts));
}

/* lbbench -c: see the top of the file. */
static int compare(const char *conf, const char *mmdb, unsigned clients)
{
	struct config *cfg = NULL;
	struct geo_db *geo = NULL;
	struct lb_maps *maps = NULL;
	struct lb_maps_stats st;
	struct gslb_err err = {""};
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	unsigned diffs = 0, scope_diffs = 0, located = 0, wider = 0;
	uint8_t *up;

	if (config_load(conf, &cfg, &err) != 0 || geo_db_open(mmdb, NULL, &geo, &err) != 0 ||
	    lb_maps_build(cfg, geo, NULL, NULL, NULL, &maps, &err) != 0) {
		fprintf(stderr, "lbbench: %s\n", err.msg);
		return 1;
	}
	if (cfg->lbname_count == 0 || maps == NULL) {
		fprintf(stderr, "lbbench: %s: no pool depends on the location\n", conf);
		return 1;
	}
	lb_maps_stats(maps, &st);
	up = xmalloc(cfg->datacenter_count + 1);
	for (unsigned i = 0; i < clients; i++) {
		struct lb_client c = random_client(&x), in;
		size_t name = (size_t)(lbtest_next(&x) % cfg->lbname_count);
		uint16_t qtype = (i & 1) ? 28 : QT_A;
		struct lb_decision a, b, o;

		memset(up, 1, cfg->datacenter_count + 1);
		if (i % 4 == 0)
			up[lbtest_next(&x) % cfg->datacenter_count] = 0;
		lb_decide(cfg, geo, NULL, NULL, up, NULL, name, qtype, &c, i, &a);
		lb_decide(cfg, geo, NULL, maps, up, NULL, name, qtype, &c, i, &b);
		if (!lbtest_same_answer(&a, &b)) {
			if (diffs++ < 5)
				fprintf(stderr, "client %u name %zu: differs (first %u/%u)\n", i,
					name, a.chosen[0], b.chosen[0]);
		}
		located += a.loc.has_coords;
		wider += b.scope < a.scope;
		/* another client inside the scope returned: the same answer */
		in = lbtest_inside_scope(&c, b.scope, &x);
		lb_decide(cfg, geo, NULL, NULL, up, NULL, name, qtype, &in, i, &o);
		if (!lbtest_same_answer(&b, &o)) {
			if (scope_diffs++ < 5)
				fprintf(stderr, "client %u name %zu: scope /%u not true\n", i, name,
					b.scope);
		}
	}
	printf("lbbench: %s: %zu maps (%zu KiB, %llu ms), %u clients (%u located, %u scopes "
	       "wider), %u differences, %u scopes not true\n",
	       conf, st.maps, st.bytes / 1024, (unsigned long long)(st.build_us / 1000), clients,
	       located, wider, diffs, scope_diffs);
	free(up);
	lb_maps_free(maps);
	geo_db_close(geo);
	config_free(cfg);
	return diffs == 0 && scope_diffs == 0 ? 0 : 1;
}

/* One measured variant. */
struct variant {
	const char *name;                /* as printed */
	size_t lbname;                   /* load-balanced name decided */
	const struct latency_table *lat; /* load data, or NULL */
	int base;                        /* index of the variant compared with, or -1 */
	double *ns;                      /* per round: ns per decision */
};

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	double *c = xcalloc(n, sizeof(*c)), m;

	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), dbl_cmp);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

int main(int argc, char **argv)
{
	const char *mmdb = TEST_DATA_DIR "/geo/test-city.mmdb";
	unsigned rounds = 9, decisions = 2000000;
	struct config *cfg = NULL;
	struct geo_db *geo = NULL;
	struct lb_maps *maps = NULL;
	struct gslb_err err = {""};
	static struct lb_client clients[CLIENTS];
	static struct latency_load full[DC_COUNT], spill[DC_COUNT];
	static uint16_t order[DC_COUNT] = {5, 3, 1, 7, 0, 2, 4, 6};
	struct latency_table t_full = {NULL, 0, full, order, DC_COUNT, NULL};
	struct latency_table t_spill = {NULL, 0, spill, order, DC_COUNT, NULL};
	uint8_t up[DC_COUNT];
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15), sink = 0;
	int opt;
	const char *conf = NULL;
	unsigned compared = 1000000;
	struct variant v[] = {
	    {"nearest", N_NEAR, NULL, -1, NULL},
	    {"nearest+loads", N_NEAR, &t_full, 0, NULL},
	    {"nearest+spill", N_NEAR, &t_spill, 0, NULL},
	    {"failover", N_FO, NULL, -1, NULL},
	    {"failover+spill", N_FO, &t_spill, 3, NULL},
	    {"least_load", N_LL, &t_full, 0, NULL},
	    {"all", N_ALL, NULL, -1, NULL},
	    {"all+rotate", N_ALLRR, NULL, 6, NULL},
	};
	size_t nv = sizeof(v) / sizeof(v[0]);

	while ((opt = getopt(argc, argv, "r:n:c:k:")) != -1) {
		if (opt == 'r')
			rounds = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'n')
			decisions = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'c')
			conf = optarg;
		else if (opt == 'k')
			compared = (unsigned)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: lbbench [-r ROUNDS] [-n DECISIONS] [MMDB]\n"
					"       lbbench -c CONFIG [-k CLIENTS] [MMDB]\n");
			return 1;
		}
	}
	if (optind < argc)
		mmdb = argv[optind];
	if (conf != NULL)
		return compare(conf, mmdb, compared);
	if (rounds == 0 || decisions == 0) {
		fprintf(stderr, "lbbench: rounds and decisions must be > 0\n");
		return 1;
	}
	if (config_load_string("lbbench.conf", "/", config_text, &cfg, &err) != 0 ||
	    geo_db_open(mmdb, NULL, &geo, &err) != 0 ||
	    lb_maps_build(cfg, geo, NULL, NULL, NULL, &maps, &err) != 0) {
		fprintf(stderr, "lbbench: %s\n", err.msg);
		return 1;
	}
	memset(up, 1, sizeof(up));
	for (size_t i = 0; i < DC_COUNT; i++) {
		full[i].util = spill[i].util = 0.1 * (double)(i + 1);
		full[i].keep = LATENCY_KEEP_ALL;
		spill[i].keep = i % 2 == 0 ? LATENCY_KEEP_ALL / 2 : LATENCY_KEEP_ALL;
		full[i].salt = spill[i].salt = UINT64_C(0x9e3779b97f4a7c15) * (i + 1);
	}
	{
		static uint16_t rank[DC_COUNT];

		for (size_t k = 0; k < DC_COUNT; k++)
			rank[order[k]] = (uint16_t)k;
		t_full.load_rank = t_spill.load_rank = rank;
	}
	/* the failover pool's first two (eu-west, eu-central) spill */
	spill[2].keep = spill[3].keep = LATENCY_KEEP_ALL / 2;
	/* client /24s: half inside the database's networks (81.2.69.x and
	 * friends), half anywhere */
	for (size_t i = 0; i < CLIENTS; i++) {
		static const uint8_t firsts[] = {81, 89, 2, 175, 202, 216, 217, 67};
		uint8_t a[4];

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		a[0] = (i & 1) ? firsts[(x >> 40) % sizeof(firsts)] : (uint8_t)(x >> 56);
		a[1] = (uint8_t)(x >> 16);
		a[2] = (uint8_t)(x >> 24);
		a[3] = 0;
		lb_client_init(&clients[i], 1, 24, a, NULL);
	}
	for (size_t k = 0; k < nv; k++)
		v[k].ns = xcalloc(rounds, sizeof(double));
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t k = 0; k < nv; k++) {
			struct lb_decision d;
			uint64_t start = time_mono_us();

			for (unsigned i = 0; i < decisions; i++) {
				lb_decide(cfg, geo, NULL, maps, up, v[k].lat, v[k].lbname, QT_A,
					  &clients[i & (CLIENTS - 1)], i, &d);
				sink += d.chosen[0] + d.scope;
			}
			v[k].ns[r] = (double)(time_mono_us() - start) * 1000.0 / decisions;
		}
	}
	printf("lbbench: %u rounds x %u decisions, %d datacenters, database %s\n", rounds,
	       decisions, DC_COUNT, mmdb);
	printf("%-16s %10s %10s %10s\n", "variant", "ns/query", "vs", "ratio");
	for (size_t k = 0; k < nv; k++) {
		double m = median(v[k].ns, rounds);

		if (v[k].base < 0) {
			printf("%-16s %10.1f\n", v[k].name, m);
		} else {
			double *ratio = xcalloc(rounds, sizeof(*ratio));

			/* the median of the per-round ratios: paired rounds */
			for (unsigned r = 0; r < rounds; r++)
				ratio[r] = v[k].ns[r] / v[v[k].base].ns[r];
			printf("%-16s %10.1f %10s %10.3f\n", v[k].name, m, v[v[k].base].name,
			       median(ratio, rounds));
			free(ratio);
		}
	}
	for (size_t k = 0; k < nv; k++)
		free(v[k].ns);
	lb_maps_free(maps);
	geo_db_close(geo);
	config_free(cfg);
	return sink == 42 ? 2 : 0; /* keeps the decisions from being optimised away */
}

/* Unit tests of the load-balancing policy engine (gslbd/dns/lb.c): client
 * set-up from ECS or the resolver's address, every policy (latency with a
 * hand-made latency table), overrides, health, all-down handling, CNAME
 * datacenters and the ECS scope of each kind of decision. Client locations
 * come from tests/data/geo/test-city.mmdb (make-test-mmdb.pl lists its
 * networks). */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/xalloc.h"
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/health.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/snapshot.h"
#include "tests/tools/lbtest.h"

#define CITY_DB GEO_DATA_DIR "/test-city.mmdb"

#define QT_A    1
#define QT_AAAA 28

/* Datacenters of the test config. */
enum { DC_US, DC_EU, DC_AP, DC_CDN, DC_COUNT };

/* Pools of the test config; load-balanced name i uses pool i. */
enum {
	P_NEAREST,     /* nearest [us, eu, ap] */
	P_NEAREST2,    /* nearest [us, eu, ap], answers 2 */
	P_FAILOVER,    /* failover [eu, us, ap] */
	P_ALL,         /* all [us, eu, ap] */
	P_WEIGHTED,    /* weighted sticky [us, eu, ap] */
	P_RANDOM,      /* weighted random [us, eu, ap] */
	P_OVERRIDE,    /* nearest [us, eu, ap] with country and continent overrides */
	P_EMPTY,       /* failover [ap], when_all_down empty */
	P_FALLBACK,    /* failover [us], when_all_down fallback -> P_NEAREST */
	P_CNAME,       /* failover [cdn, us] */
	P_CNAME_MULTI, /* all [us, cdn, eu], answers 2 */
	P_V4ONLY,      /* failover [ap] */
	P_CHAIN0,      /* failover [ap] -> P_CHAIN1 -> ... -> P_CHAIN5 */
	P_CHAIN1,
	P_CHAIN2,
	P_CHAIN3,
	P_CHAIN4,
	P_CHAIN5,   /* failover [us] */
	P_LATENCY,  /* latency [us, eu, ap], fallback -> P_FAILOVER */
	P_LATENCY2, /* latency [us, eu, ap], answers 2 */
	P_COUNT
};

/* Probe regions of the test latency table. */
enum {
	R_EU, /* eu-west, Dublin: eu-west, us-east, ap-southeast */
	R_US, /* us-east, New York: us-east, eu-west, ap-southeast */
	R_AP, /* ap-southeast, Singapore: ap-southeast only */
	R_AF, /* af-south, Johannesburg: eu-west, ap-southeast, us-east */
	R_COUNT
};

static struct config *cfg;
static struct geo_db *geo;
static uint8_t up[DC_COUNT];

static void add_dc(size_t i, const char *name, double lat, double lon, const char *v4,
		   const char *v6, const char *cname)
{
	struct config_datacenter *dc = &cfg->datacenters[i];

	dc->name = xstrdup(name);
	dc->region = xstrdup(name);
	config_datacenter_set_position(dc, lat, lon);
	dc->weight = 100;
	if (v4 != NULL) {
		dc->ipv4 = xcalloc(1, sizeof(*dc->ipv4));
		ck_assert(inet_pton(AF_INET, v4, dc->ipv4[0]) == 1);
		dc->ipv4_count = 1;
	}
	if (v6 != NULL) {
		dc->ipv6 = xcalloc(1, sizeof(*dc->ipv6));
		ck_assert(inet_pton(AF_INET6, v6, dc->ipv6[0]) == 1);
		dc->ipv6_count = 1;
	}
	if (cname != NULL)
		dc->cname = xstrdup(cname);
}

/* A list of datacenter indexes ending at -1, copied to the heap. */
static size_t *dc_list(size_t *count, const int *dcs)
{
	size_t n = 0;
	size_t *out;

	while (dcs[n] >= 0)
		n++;
	out = xcalloc(n, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = (size_t)dcs[i];
	*count = n;
	return out;
}

static struct config_pool *add_pool(size_t i, const char *name, enum pool_policy policy,
				    unsigned answers, const int *dcs)
{
	struct config_pool *p = &cfg->pools[i];

	p->name = xstrdup(name);
	p->dcs = dc_list(&p->dc_count, dcs);
	p->policy = policy;
	p->answers = answers;
	p->ttl = 30 + (uint32_t)i;
	p->all_down = POOL_ALL_DOWN_FAIL_OPEN;
	return p;
}

static void set_override(struct config_override *o, const char *code, const int *dcs)
{
	snprintf(o->code, sizeof(o->code), "%s", code);
	o->dcs = dc_list(&o->dc_count, dcs);
}

static void setup(void)
{
	static const int three[] = {DC_US, DC_EU, DC_AP, -1};
	struct gslb_err err = {""};
	struct config_pool *p;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->datacenter_count = DC_COUNT;
	cfg->datacenters = xcalloc(DC_COUNT, sizeof(*cfg->datacenters));
	add_dc(DC_US, "us-east", 40.71, -74.01, "192.0.2.10", "2001:db8::10", NULL);
	add_dc(DC_EU, "eu-west", 53.35, -6.26, "198.51.100.10", "2001:db8::20", NULL);
	add_dc(DC_AP, "ap-southeast", 1.35, 103.82, "203.0.113.10", NULL, NULL);
	add_dc(DC_CDN, "cdn", 0.0, 0.0, NULL, NULL, "lb.cdn.example.net.");

	cfg->pool_count = P_COUNT;
	cfg->pools = xcalloc(P_COUNT, sizeof(*cfg->pools));
	add_pool(P_NEAREST, "nearest", POOL_NEAREST, 1, three);
	add_pool(P_NEAREST2, "nearest2", POOL_NEAREST, 2, three);
	add_pool(P_FAILOVER, "failover", POOL_FAILOVER, 1, (const int[]){DC_EU, DC_US, DC_AP, -1});
	add_pool(P_ALL, "all", POOL_ALL, 16, three);
	add_pool(P_WEIGHTED, "weighted", POOL_WEIGHTED, 1, three);
	p = add_pool(P_RANDOM, "random", POOL_WEIGHTED, 1, three);
	p->weighted_random = true;

	p = add_pool(P_OVERRIDE, "override", POOL_NEAREST, 1, three);
	p->country_count = 2;
	p->countries = xcalloc(2, sizeof(*p->countries));
	set_override(&p->countries[0], "GB", (const int[]){DC_AP, DC_EU, -1});
	set_override(&p->countries[1], "DE", (const int[]){DC_US, -1});
	p->continent_count = 2;
	p->continents = xcalloc(2, sizeof(*p->continents));
	set_override(&p->continents[0], "EU", (const int[]){DC_US, DC_EU, -1});
	set_override(&p->continents[1], "OC", (const int[]){DC_EU, -1});

	p = add_pool(P_EMPTY, "empty", POOL_FAILOVER, 1, (const int[]){DC_AP, -1});
	p->all_down = POOL_ALL_DOWN_EMPTY;
	p = add_pool(P_FALLBACK, "fallback", POOL_FAILOVER, 1, (const int[]){DC_US, -1});
	p->all_down = POOL_ALL_DOWN_FALLBACK;
	p->fallback = P_NEAREST;
	add_pool(P_CNAME, "cname", POOL_FAILOVER, 1, (const int[]){DC_CDN, DC_US, -1});
	add_pool(P_CNAME_MULTI, "cname-multi", POOL_ALL, 2,
		 (const int[]){DC_US, DC_CDN, DC_EU, -1});
	add_pool(P_V4ONLY, "v4only", POOL_FAILOVER, 1, (const int[]){DC_AP, -1});
	p = add_pool(P_LATENCY, "latency", POOL_LATENCY, 1, three);
	p->all_down = POOL_ALL_DOWN_FALLBACK;
	p->fallback = P_FAILOVER;
	add_pool(P_LATENCY2, "latency2", POOL_LATENCY, 2, three);
	for (size_t i = P_CHAIN0; i <= P_CHAIN5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "chain%zu", i - P_CHAIN0);
		p = add_pool(i, name, POOL_FAILOVER, 1,
			     i == P_CHAIN5 ? (const int[]){DC_US, -1} : (const int[]){DC_AP, -1});
		if (i != P_CHAIN5) {
			p->all_down = POOL_ALL_DOWN_FALLBACK;
			p->fallback = i + 1;
		}
	}

	cfg->lbname_count = P_COUNT;
	cfg->lbnames = xcalloc(P_COUNT, sizeof(*cfg->lbnames));
	for (size_t i = 0; i < P_COUNT; i++) {
		cfg->lbnames[i].name = xstrdup(cfg->pools[i].name);
		cfg->lbnames[i].pool = i;
	}

	memset(up, DC_STATE_UP, sizeof(up));
	ck_assert_msg(geo_db_open(CITY_DB, NULL, &geo, &err) == 0, "%s", err.msg);
}

static void free_override(struct config_override *o, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(o[i].dcs);
	free(o);
}

static void teardown(void)
{
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		struct config_datacenter *dc = &cfg->datacenters[i];

		free(dc->name);
		free(dc->region);
		free(dc->ipv4);
		free(dc->ipv6);
		free(dc->cname);
	}
	free(cfg->datacenters);
	for (size_t i = 0; i < cfg->pool_count; i++) {
		struct config_pool *p = &cfg->pools[i];

		free(p->name);
		free(p->dcs);
		free_override(p->countries, p->country_count);
		free_override(p->continents, p->continent_count);
	}
	free(cfg->pools);
	for (size_t i = 0; i < cfg->lbname_count; i++)
		free(cfg->lbnames[i].name);
	free(cfg->lbnames);
	free(cfg);
	cfg = NULL;
	geo_db_close(geo);
	geo = NULL;
}

/* A client from an ECS option with this prefix, or from the resolver's
 * address when prefix is negative. */
static struct lb_client client_of(const char *ip, int prefix)
{
	struct lb_client c;
	uint8_t addr[16] = {0};
	int family = AF_INET;

	if (inet_pton(AF_INET, ip, addr) != 1) {
		ck_assert_msg(inet_pton(AF_INET6, ip, addr) == 1, "bad test address %s", ip);
		family = AF_INET6;
	}
	if (prefix >= 0) {
		lb_client_init(&c, family == AF_INET ? 1 : 2, (uint8_t)prefix, addr, NULL);
	} else if (family == AF_INET) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr, 4);
		lb_client_init(&c, 0, 0, NULL, (const struct sockaddr *)&sin);
	} else {
		struct sockaddr_in6 sin6;

		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr, 16);
		lb_client_init(&c, 0, 0, NULL, (const struct sockaddr *)&sin6);
	}
	return c;
}

static struct lb_decision decide_full(const struct geo_db *db, const struct latency_table *lat,
				      size_t pool, uint16_t qtype, const char *ip, int prefix,
				      uint64_t rnd)
{
	struct lb_decision d;
	struct lb_client c = client_of(ip, prefix);

	memset(&d, 0xa5, sizeof(d)); /* lb_decide must fill everything */
	lb_decide(cfg, db, NULL, NULL, up, lat, pool, qtype, &c, rnd, &d);
	lb_decision_distances(&d);
	ck_assert_uint_le(d.chosen_count, LB_MAX_ANSWERS);
	ck_assert_uint_le(d.cand_count, LB_MAX_POOL_DCS);
	ck_assert(d.region >= -1);
	if (d.reason != LB_REASON_LATENCY) {
		ck_assert_int_eq(d.region, -1);
		for (unsigned i = 0; i < d.cand_count; i++)
			ck_assert(d.cands[i].rtt_ms == -1.0);
	}
	return d;
}

static struct lb_decision decide_with(const struct geo_db *db, size_t pool, uint16_t qtype,
				      const char *ip, int prefix, uint64_t rnd)
{
	return decide_full(db, NULL, pool, qtype, ip, prefix, rnd);
}

static struct lb_decision decide(size_t pool, uint16_t qtype, const char *ip, int prefix)
{
	return decide_with(geo, pool, qtype, ip, prefix, 0);
}

/* The only datacenter chosen. */
static unsigned one(const struct lb_decision *d)
{
	ck_assert_uint_eq(d->chosen_count, 1);
	ck_assert(!d->empty);
	return d->chosen[0];
}

static unsigned pick(size_t pool, uint16_t qtype, const char *ip, int prefix)
{
	struct lb_decision d = decide(pool, qtype, ip, prefix);

	return one(&d);
}

static uint8_t region_prefix(const char *ip)
{
	struct geo_location loc;
	uint8_t addr[16];
	int family = inet_pton(AF_INET, ip, addr) == 1 ? AF_INET : AF_INET6;

	ck_assert(family == AF_INET || inet_pton(AF_INET6, ip, addr) == 1);
	ck_assert_int_eq(geo_db_lookup(geo, family, addr, &loc), 0);
	ck_assert(!loc.found);
	return loc.prefix_len;
}

START_TEST(test_client_init)
{
	static const uint8_t v4[4] = {192, 0, 2, 77};
	static const uint8_t v4_20[3] = {10, 1, 31};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8};
	struct lb_client c;
	struct sockaddr_in6 sin6;

	lb_client_init(&c, 1, 32, v4, NULL);
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 24);
	ck_assert(c.from_ecs);
	ck_assert_mem_eq(c.addr, ((uint8_t[]){192, 0, 2, 0}), 4);

	/* ceil(20 / 8) = 3 bytes on the wire; bits past /20 dropped */
	lb_client_init(&c, 1, 20, v4_20, NULL);
	ck_assert_uint_eq(c.prefix, 20);
	ck_assert_mem_eq(c.addr, ((uint8_t[]){10, 1, 16, 0}), 4);

	lb_client_init(&c, 2, 64, v6, NULL);
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 56);
	ck_assert_mem_eq(c.addr, ((uint8_t[16]){0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 0}), 16);

	lb_client_init(&c, 2, 0, NULL, NULL);
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 0);
	ck_assert_mem_eq(c.addr, ((uint8_t[16]){0}), 16);

	c = client_of("192.0.2.77", -1);
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 32);
	ck_assert(!c.from_ecs);
	ck_assert_mem_eq(c.addr, v4, 4);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert(inet_pton(AF_INET6, "::ffff:192.0.2.77", &sin6.sin6_addr) == 1);
	lb_client_init(&c, 0, 0, NULL, (const struct sockaddr *)&sin6);
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_uint_eq(c.prefix, 32);
	ck_assert_mem_eq(c.addr, v4, 4);

	c = client_of("2001:db8:1:2:3:4:5:6", -1);
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 128);

	/* an unknown ECS family falls back to the resolver's address */
	lb_client_init(&c, 3, 24, v4, (const struct sockaddr *)&sin6);
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert(!c.from_ecs);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(lb_policy_name(POOL_NEAREST), "nearest");
	ck_assert_str_eq(lb_policy_name(POOL_FAILOVER), "failover");
	ck_assert_str_eq(lb_policy_name(POOL_WEIGHTED), "weighted");
	ck_assert_str_eq(lb_policy_name(POOL_ALL), "all");
	ck_assert_str_eq(lb_policy_name(POOL_LATENCY), "latency");
	ck_assert_str_eq(lb_policy_name(99), "unknown");
	ck_assert_str_eq(lb_reason_name(LB_REASON_POLICY), "policy");
	ck_assert_str_eq(lb_reason_name(LB_REASON_COUNTRY), "country");
	ck_assert_str_eq(lb_reason_name(LB_REASON_CONTINENT), "continent");
	ck_assert_str_eq(lb_reason_name(LB_REASON_UNLOCATED), "unlocated");
	ck_assert_str_eq(lb_reason_name(LB_REASON_LATENCY), "latency");
}
END_TEST

START_TEST(test_nearest)
{
	struct lb_decision d;

	d = decide(P_NEAREST, QT_A, "81.2.69.0", 24); /* London */
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(d.loc.found);
	ck_assert_str_eq(d.loc.country, "GB");
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	ck_assert_uint_eq(d.pool, P_NEAREST);
	ck_assert_uint_eq(d.ttl, 30 + P_NEAREST);
	ck_assert(!d.cname && !d.failed_open && !d.is_private);
	/* every candidate, nearest first, with distances */
	ck_assert_uint_eq(d.cand_count, 3);
	ck_assert_uint_eq(d.cands[0].dc, DC_EU);
	ck_assert_uint_eq(d.cands[1].dc, DC_US);
	ck_assert_uint_eq(d.cands[2].dc, DC_AP);
	ck_assert(d.cands[0].distance_km > 400 && d.cands[0].distance_km < 500);
	ck_assert(d.cands[1].distance_km > 5500 && d.cands[1].distance_km < 5600);
	ck_assert(d.cands[2].distance_km > d.cands[1].distance_km);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert(d.cands[i].up && d.cands[i].has_family);
		ck_assert(d.cands[i].score == 0.0);
	}

	ck_assert_uint_eq(pick(P_NEAREST, QT_A, "192.0.2.0", 24), DC_US);
	ck_assert_uint_eq(pick(P_NEAREST, QT_A, "203.0.113.0", 24), DC_AP);
	/* Dublin is eu-west itself; the resolver's own address works too */
	d = decide(P_NEAREST, QT_A, "198.51.100.53", -1);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(d.cands[0].distance_km < 5);
	/* Sydney: ap-southeast */
	ck_assert_uint_eq(pick(P_NEAREST, QT_A, "45.0.1.0", 24), DC_AP);
}
END_TEST

START_TEST(test_nearest_ipv6)
{
	struct lb_decision d;

	d = decide(P_NEAREST, QT_AAAA, "2001:db8:100:ab00::", 56);
	ck_assert_uint_eq(one(&d), DC_EU);
	d = decide(P_NEAREST, QT_A, "2001:db8:200::", 56);
	ck_assert_uint_eq(one(&d), DC_US);
	d = decide(P_NEAREST, QT_A, "2001:db8:300::", 56);
	ck_assert_uint_eq(one(&d), DC_AP);
	/* IPv4-mapped resolver address: located as IPv4 */
	d = decide(P_NEAREST, QT_A, "::ffff:81.2.69.1", -1);
	ck_assert_uint_eq(one(&d), DC_EU);
}
END_TEST

START_TEST(test_nearest_family)
{
	struct lb_decision d;

	/* Singapore asks AAAA: ap-southeast has no IPv6, eu-west is nearer
	 * than us-east */
	d = decide(P_NEAREST, QT_AAAA, "203.0.113.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_uint_eq(d.cands[0].dc, DC_AP);
	ck_assert(!d.cands[0].has_family);
	ck_assert(d.cands[0].up);
	d = decide(P_NEAREST, QT_AAAA, "2001:db8:300::", 56);
	ck_assert_uint_eq(one(&d), DC_EU);

	/* answers 2 for AAAA: only the two IPv6 datacenters */
	d = decide(P_NEAREST2, QT_AAAA, "203.0.113.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_EU);
	ck_assert_uint_eq(d.chosen[1], DC_US);

	/* a pool without any datacenter of the family: NODATA, even when up */
	d = decide(P_V4ONLY, QT_AAAA, "192.0.2.1", -1);
	ck_assert(d.empty);
	ck_assert(!d.failed_open);
	ck_assert_uint_eq(d.chosen_count, 0);
	ck_assert_uint_eq(d.cand_count, 1);
	d = decide(P_V4ONLY, QT_A, "192.0.2.1", -1);
	ck_assert_uint_eq(one(&d), DC_AP);
}
END_TEST

START_TEST(test_nearest_down)
{
	struct lb_decision d;

	up[DC_EU] = 0; /* drained */
	d = decide(P_NEAREST, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_uint_eq(d.cands[0].dc, DC_EU);
	ck_assert(!d.cands[0].up);
	ck_assert(!d.failed_open);
	d = decide(P_NEAREST, QT_A, "198.51.100.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	d = decide(P_NEAREST2, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	ck_assert_uint_eq(d.chosen[1], DC_AP);

	/* a drained datacenter is never chosen, from anywhere */
	for (unsigned i = 0; i < 256; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "%u.2.69.0", i);
		d = decide(P_NEAREST2, QT_A, ip, 24);
		for (unsigned j = 0; j < d.chosen_count; j++)
			ck_assert_uint_ne(d.chosen[j], DC_EU);
		d = decide(P_ALL, QT_A, ip, 24);
		for (unsigned j = 0; j < d.chosen_count; j++)
			ck_assert_uint_ne(d.chosen[j], DC_EU);
	}
}
END_TEST

START_TEST(test_nearest_answers)
{
	struct lb_decision d;

	d = decide(P_NEAREST2, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_EU);
	ck_assert_uint_eq(d.chosen[1], DC_US);
	d = decide(P_NEAREST2, QT_A, "203.0.113.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_AP);
	ck_assert_uint_eq(d.chosen[1], DC_EU);

	/* equal distances keep the listed order */
	config_datacenter_set_position(&cfg->datacenters[DC_US], 53.35, -6.26);
	config_datacenter_set_position(&cfg->datacenters[DC_AP], 53.35, -6.26);
	d = decide(P_NEAREST, QT_A, "192.0.2.0", 24);
	ck_assert_uint_eq(d.cands[0].dc, DC_US);
	ck_assert_uint_eq(d.cands[1].dc, DC_EU);
	ck_assert_uint_eq(d.cands[2].dc, DC_AP);
	ck_assert(d.cands[0].distance_km == d.cands[2].distance_km);
	cfg->pools[P_NEAREST].dcs[0] = DC_AP;
	cfg->pools[P_NEAREST].dcs[2] = DC_US;
	d = decide(P_NEAREST, QT_A, "192.0.2.0", 24);
	ck_assert_uint_eq(d.cands[0].dc, DC_AP);
	ck_assert_uint_eq(d.cands[1].dc, DC_EU);
	ck_assert_uint_eq(d.cands[2].dc, DC_US);
}
END_TEST

START_TEST(test_unlocated)
{
	struct lb_decision d;

	/* unknown, private, no database: the listed order */
	d = decide(P_NEAREST, QT_A, "8.8.8.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	ck_assert(!d.loc.found);
	ck_assert(d.cands[0].distance_km < 0);
	d = decide(P_NEAREST, QT_A, "10.1.2.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert(d.is_private);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	d = decide_with(NULL, P_NEAREST, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	/* found without coordinates (62.0.0.0/24, DE) */
	d = decide(P_NEAREST, QT_A, "62.0.0.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert(d.loc.found);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
}
END_TEST

START_TEST(test_failover)
{
	struct lb_decision d;

	d = decide(P_FAILOVER, QT_A, "203.0.113.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	ck_assert_uint_eq(d.cands[0].dc, DC_EU);
	ck_assert_uint_eq(d.cands[1].dc, DC_US);
	ck_assert_uint_eq(d.cands[2].dc, DC_AP);
	ck_assert(!d.loc.found); /* failover never looks the client up */
	up[DC_EU] = 0;
	ck_assert_uint_eq(pick(P_FAILOVER, QT_A, "1.2.3.4", -1), DC_US);
	up[DC_US] = 0;
	ck_assert_uint_eq(pick(P_FAILOVER, QT_A, "1.2.3.4", -1), DC_AP);
	/* AAAA: ap-southeast cannot answer; all IPv6 ones down -> fail open
	 * to the first IPv6 one */
	d = decide(P_FAILOVER, QT_AAAA, "1.2.3.4", -1);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(d.failed_open);
	up[DC_EU] = 1;
	d = decide(P_FAILOVER, QT_AAAA, "1.2.3.4", -1);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(!d.failed_open);
}
END_TEST

START_TEST(test_all)
{
	struct lb_decision d;

	d = decide(P_ALL, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 3);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	ck_assert_uint_eq(d.chosen[1], DC_EU);
	ck_assert_uint_eq(d.chosen[2], DC_AP);
	d = decide(P_ALL, QT_AAAA, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	ck_assert_uint_eq(d.chosen[1], DC_EU);
	up[DC_US] = 0;
	d = decide(P_ALL, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_EU);
	ck_assert_uint_eq(d.chosen[1], DC_AP);
	up[DC_US] = 1;
	cfg->pools[P_ALL].answers = 2;
	d = decide(P_ALL, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	ck_assert_uint_eq(d.chosen[1], DC_EU);
}
END_TEST

/* The datacenter a weighted decision picks for the /24 number i. */
static unsigned weighted_pick(size_t pool, unsigned i)
{
	char ip[32];
	struct lb_decision d;

	snprintf(ip, sizeof(ip), "11.%u.%u.0", i / 256, i % 256);
	d = decide(pool, QT_A, ip, 24);
	return one(&d);
}

START_TEST(test_weighted_distribution)
{
	static const unsigned weights[3] = {100, 200, 700};
	unsigned counts[DC_COUNT] = {0};
	const unsigned total = 10000;

	for (unsigned i = 0; i < 3; i++)
		cfg->datacenters[i].weight = weights[i];
	for (unsigned i = 0; i < total; i++)
		counts[weighted_pick(P_WEIGHTED, i)]++;
	for (unsigned i = 0; i < 3; i++) {
		double share = (double)counts[i] / total, want = weights[i] / 1000.0;

		ck_assert_msg(share > want - 0.025 && share < want + 0.025,
			      "%s got %.3f of the clients, weight share %.3f",
			      cfg->datacenters[i].name, share, want);
	}
}
END_TEST

START_TEST(test_weighted_equal)
{
	unsigned counts[DC_COUNT] = {0};
	const unsigned total = 10000;

	for (unsigned i = 0; i < total; i++)
		counts[weighted_pick(P_WEIGHTED, i)]++;
	for (unsigned i = 0; i < 3; i++)
		ck_assert_msg(counts[i] > 3000 && counts[i] < 3667, "%s: %u of %u",
			      cfg->datacenters[i].name, counts[i], total);
}
END_TEST

START_TEST(test_weighted_sticky)
{
	struct lb_decision d, e;

	for (unsigned i = 0; i < 200; i++) {
		char a[32], b[32], net[32];
		unsigned dc;

		snprintf(a, sizeof(a), "11.7.%u.1", i);
		snprintf(b, sizeof(b), "11.7.%u.250", i);
		snprintf(net, sizeof(net), "11.7.%u.0", i);
		d = decide(P_WEIGHTED, QT_A, a, -1);
		dc = one(&d);
		ck_assert_int_eq(d.reason, LB_REASON_POLICY);
		ck_assert(d.cands[0].score > d.cands[1].score);
		ck_assert(d.cands[1].score >= d.cands[2].score);
		ck_assert_uint_eq(d.cands[0].dc, dc);
		ck_assert_uint_eq(pick(P_WEIGHTED, QT_A, b, -1), dc);
		ck_assert_uint_eq(pick(P_WEIGHTED, QT_A, net, 24), dc);
		ck_assert_uint_eq(pick(P_WEIGHTED, QT_A, net, 32), dc);
		/* the same answer again, whatever rnd */
		e = decide_with(geo, P_WEIGHTED, QT_A, a, -1, i * 7919u);
		ck_assert_uint_eq(one(&e), dc);
		ck_assert(e.cands[0].score == d.cands[0].score);
	}
}
END_TEST

/* The hash depends on datacenter names, not on their places in the lists. */
START_TEST(test_weighted_order_free)
{
	enum { N = 2000 };
	static unsigned char before[N];
	size_t *dcs = cfg->pools[P_WEIGHTED].dcs;

	for (unsigned i = 0; i < N; i++)
		before[i] = (unsigned char)weighted_pick(P_WEIGHTED, i);
	dcs[0] = DC_AP;
	dcs[1] = DC_US;
	dcs[2] = DC_EU;
	for (unsigned i = 0; i < N; i++)
		ck_assert_uint_eq(weighted_pick(P_WEIGHTED, i), before[i]);

	/* renumber: us-east and ap-southeast swap places in the config */
	{
		struct config_datacenter tmp = cfg->datacenters[DC_US];

		cfg->datacenters[DC_US] = cfg->datacenters[DC_AP];
		cfg->datacenters[DC_AP] = tmp;
	}
	for (unsigned i = 0; i < N; i++) {
		unsigned want = before[i] == DC_US ? DC_AP : before[i] == DC_AP ? DC_US : before[i];

		ck_assert_uint_eq(weighted_pick(P_WEIGHTED, i), want);
	}
}
END_TEST

START_TEST(test_weighted_minimal_movement)
{
	enum { N = 10000 };
	static unsigned char before[N];
	unsigned moved = 0, on_eu = 0;

	for (unsigned i = 0; i < N; i++) {
		before[i] = (unsigned char)weighted_pick(P_WEIGHTED, i);
		on_eu += before[i] == DC_EU;
	}
	ck_assert(on_eu > 0);
	up[DC_EU] = 0;
	for (unsigned i = 0; i < N; i++) {
		unsigned now = weighted_pick(P_WEIGHTED, i);

		ck_assert_uint_ne(now, DC_EU);
		if (before[i] != DC_EU)
			ck_assert_msg(now == before[i], "client %u moved from %u to %u", i,
				      before[i], now);
		moved += now != before[i];
	}
	/* only eu-west's clients moved */
	ck_assert_uint_eq(moved, on_eu);
	up[DC_EU] = 1;
	for (unsigned i = 0; i < N; i++)
		ck_assert_uint_eq(weighted_pick(P_WEIGHTED, i), before[i]);

	/* raising one weight moves clients only towards that datacenter */
	cfg->datacenters[DC_AP].weight = 300;
	for (unsigned i = 0; i < N; i++) {
		unsigned now = weighted_pick(P_WEIGHTED, i);

		ck_assert(now == before[i] || now == DC_AP);
	}
}
END_TEST

START_TEST(test_weighted_random)
{
	unsigned seen[DC_COUNT] = {0};
	struct lb_decision d, e;

	for (uint64_t rnd = 0; rnd < 300; rnd++) {
		d = decide_with(geo, P_RANDOM, QT_A, "11.1.1.0", 24, rnd);
		e = decide_with(geo, P_RANDOM, QT_A, "11.1.1.0", 24, rnd);
		ck_assert_uint_eq(one(&d), one(&e));
		seen[one(&d)]++;
		ck_assert_uint_eq(d.scope, 0);
	}
	for (unsigned i = 0; i < 3; i++)
		ck_assert_msg(seen[i] > 50, "%s chosen %u times of 300", cfg->datacenters[i].name,
			      seen[i]);
	/* different clients, same rnd: the same answer */
	d = decide_with(geo, P_RANDOM, QT_A, "11.1.1.0", 24, 42);
	e = decide_with(geo, P_RANDOM, QT_A, "192.0.2.0", 24, 42);
	ck_assert_uint_eq(one(&d), one(&e));
}
END_TEST

START_TEST(test_override_country)
{
	struct lb_decision d;

	/* GB -> [ap-southeast, eu-west]; the country beats continent EU */
	d = decide(P_OVERRIDE, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_COUNTRY);
	ck_assert_uint_eq(d.cand_count, 2);
	ck_assert_uint_eq(d.cands[0].dc, DC_AP);
	ck_assert_uint_eq(d.cands[1].dc, DC_EU);
	d = decide(P_OVERRIDE, QT_A, "2001:db8:100::", 56);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_COUNTRY);
	/* AAAA: ap-southeast cannot, eu-west next in the list */
	d = decide(P_OVERRIDE, QT_AAAA, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	/* DE without a location still has a country */
	d = decide(P_OVERRIDE, QT_A, "62.0.0.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_COUNTRY);
	/* down members are skipped within the list */
	up[DC_AP] = 0;
	d = decide(P_OVERRIDE, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	/* the list is the whole preference: us-east is up but not used */
	up[DC_EU] = 0;
	d = decide(P_OVERRIDE, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert(d.failed_open);
	cfg->pools[P_OVERRIDE].all_down = POOL_ALL_DOWN_EMPTY;
	d = decide(P_OVERRIDE, QT_A, "81.2.69.0", 24);
	ck_assert(d.empty);
	ck_assert_uint_eq(d.chosen_count, 0);
}
END_TEST

START_TEST(test_override_continent)
{
	struct lb_decision d;

	/* Paris and Dublin: continent EU -> [us-east, eu-west] */
	d = decide(P_OVERRIDE, QT_A, "37.0.0.0", 28);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	d = decide(P_OVERRIDE, QT_A, "198.51.100.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	/* Sydney: OC -> [eu-west] (nearest would be ap-southeast) */
	d = decide(P_OVERRIDE, QT_A, "45.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	ck_assert_uint_eq(d.cand_count, 1);
	/* no override for NA, AS or unlocated clients: the policy */
	d = decide(P_OVERRIDE, QT_A, "192.0.2.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	d = decide(P_OVERRIDE, QT_A, "203.0.113.0", 24);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	d = decide(P_OVERRIDE, QT_A, "8.8.8.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	/* overrides work for other policies too */
	cfg->pools[P_OVERRIDE].policy = POOL_FAILOVER;
	d = decide(P_OVERRIDE, QT_A, "45.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	ck_assert_uint_eq(d.scope, 16);
}
END_TEST

START_TEST(test_all_down)
{
	struct lb_decision d;

	memset(up, 0, sizeof(up));
	/* fail_open: the policy's first choice, as if up */
	d = decide(P_NEAREST, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(d.failed_open);
	ck_assert(!d.empty);
	ck_assert(!d.cands[0].up);
	d = decide(P_NEAREST2, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert(d.failed_open);
	d = decide(P_ALL, QT_AAAA, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert(d.failed_open);

	/* empty */
	d = decide(P_EMPTY, QT_A, "81.2.69.0", 24);
	ck_assert(d.empty);
	ck_assert(!d.failed_open);
	ck_assert_uint_eq(d.chosen_count, 0);
	ck_assert_uint_eq(d.pool, P_EMPTY);
	ck_assert_uint_eq(d.ttl, 30 + P_EMPTY);

	/* fallback: decided in the fallback pool (nearest; fails open there) */
	d = decide(P_FALLBACK, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.pool, P_NEAREST);
	ck_assert_uint_eq(d.ttl, 30 + P_NEAREST);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(d.failed_open);
	ck_assert_uint_eq(d.scope, 24); /* max(failover 0, nearest 24) */

	up[DC_AP] = 1;
	d = decide(P_FALLBACK, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.pool, P_NEAREST);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert(!d.failed_open);
	ck_assert_uint_eq(d.cand_count, 3);
	ck_assert_uint_eq(d.cands[0].dc, DC_EU);
	/* the fallback pool's scope depends on the client: unlocated here */
	d = decide(P_FALLBACK, QT_A, "8.8.8.0", 24);
	ck_assert_uint_eq(d.scope, region_prefix("8.8.8.0") < 24 ? region_prefix("8.8.8.0") : 24);
	/* us-east back up: no fallback, failover scope 0 */
	up[DC_US] = 1;
	d = decide(P_FALLBACK, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.pool, P_FALLBACK);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_uint_eq(d.scope, 0);
}
END_TEST

START_TEST(test_fallback_limit)
{
	struct lb_decision d;

	up[DC_AP] = 0;
	/* chain1 -> chain5 is LB_MAX_FALLBACKS hops: answered */
	ck_assert_int_eq(P_CHAIN5 - P_CHAIN1, LB_MAX_FALLBACKS);
	d = decide(P_CHAIN1, QT_A, "192.0.2.1", -1);
	ck_assert_uint_eq(d.pool, P_CHAIN5);
	ck_assert_uint_eq(one(&d), DC_US);
	/* chain0 needs one hop more: empty */
	d = decide(P_CHAIN0, QT_A, "192.0.2.1", -1);
	ck_assert(d.empty);
	ck_assert_uint_eq(d.chosen_count, 0);
	ck_assert(!d.failed_open);
}
END_TEST

START_TEST(test_cname)
{
	struct lb_decision d;

	d = decide(P_CNAME, QT_A, "192.0.2.1", -1);
	ck_assert_uint_eq(one(&d), DC_CDN);
	ck_assert(d.cname);
	d = decide(P_CNAME, QT_AAAA, "192.0.2.1", -1);
	ck_assert_uint_eq(one(&d), DC_CDN);
	ck_assert(d.cname);
	ck_assert(d.cands[0].has_family);
	up[DC_CDN] = 0;
	d = decide(P_CNAME, QT_A, "192.0.2.1", -1);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert(!d.cname);
	/* beside address datacenters the CNAME one is skipped */
	up[DC_CDN] = 1;
	d = decide(P_CNAME_MULTI, QT_A, "192.0.2.1", -1);
	ck_assert(!d.cname);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	ck_assert_uint_eq(d.chosen[1], DC_EU);
	/* unless it comes first: then it answers alone */
	up[DC_US] = 0;
	d = decide(P_CNAME_MULTI, QT_A, "192.0.2.1", -1);
	ck_assert(d.cname);
	ck_assert_uint_eq(one(&d), DC_CDN);
}
END_TEST

/* ECS scope of each kind of decision. */
START_TEST(test_scope)
{
	uint8_t region = region_prefix("8.8.8.0");

	ck_assert(region > 0 && region < 24);
	/* located */
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "81.2.69.0", 24).scope, 24);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "81.2.69.0", 22).scope, 22);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "45.0.0.0", 16).scope, 16);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "45.0.0.0", 12).scope, 12);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "45.0.7.0", 24).scope, 16);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "37.0.0.0", 24).scope, 24); /* Paris /28 */
	/* London /16: 81.2.0.0 lies in an empty region */
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "81.2.0.0", 16).scope,
			  region_prefix("81.2.0.0") < 16 ? region_prefix("81.2.0.0") : 16);
	/* unlocated: the empty region */
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "8.8.8.0", 24).scope, region);
	/* private: the block */
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "10.1.2.0", 24).scope, 8);
	ck_assert_uint_eq(decide(P_NEAREST, QT_A, "192.168.1.0", 24).scope, 16);
	/* no database */
	ck_assert_uint_eq(decide_with(NULL, P_NEAREST, QT_A, "81.2.69.0", 24, 0).scope, 0);
	/* policies that do not depend on the client */
	ck_assert_uint_eq(decide(P_FAILOVER, QT_A, "81.2.69.0", 24).scope, 0);
	ck_assert_uint_eq(decide(P_ALL, QT_A, "81.2.69.0", 24).scope, 0);
	ck_assert_uint_eq(decide(P_RANDOM, QT_A, "81.2.69.0", 24).scope, 0);
	ck_assert_uint_eq(decide(P_CNAME, QT_A, "81.2.69.0", 24).scope, 0);
	/* weighted sticky: the hashed subnet */
	ck_assert_uint_eq(decide(P_WEIGHTED, QT_A, "81.2.69.0", 24).scope, 24);
	ck_assert_uint_eq(decide(P_WEIGHTED, QT_A, "81.2.64.0", 20).scope, 20);
	ck_assert_uint_eq(decide(P_WEIGHTED, QT_A, "2001:db8:100::", 56).scope, 56);
	ck_assert_uint_eq(decide(P_WEIGHTED, QT_A, "2001:db8:100::", 48).scope, 48);
	/* IPv6 */
	ck_assert_uint_eq(decide(P_NEAREST, QT_AAAA, "2001:db8:100:ff00::", 56).scope, 48);
	ck_assert_uint_eq(decide(P_NEAREST, QT_AAAA, "2001:db8:300::", 56).scope, 40);
	ck_assert_uint_eq(decide(P_NEAREST, QT_AAAA, "fd00:1:2:3::", 56).scope, 7);
	/* overrides make any policy location-dependent */
	ck_assert_uint_eq(decide(P_OVERRIDE, QT_A, "81.2.69.0", 24).scope, 24);
	ck_assert_uint_eq(decide(P_OVERRIDE, QT_A, "45.0.0.0", 16).scope, 16);
	cfg->pools[P_OVERRIDE].policy = POOL_WEIGHTED;
	/* weighted sticky with overrides, no override applies: both matter */
	ck_assert_uint_eq(decide(P_OVERRIDE, QT_A, "203.0.113.0", 24).scope, 24);
	ck_assert_uint_eq(decide(P_OVERRIDE, QT_A, "8.8.8.0", 24).scope, 24);
	/* an override applies: only the location */
	ck_assert_uint_eq(decide(P_OVERRIDE, QT_A, "45.0.0.0", 24).scope, 16);
}
END_TEST

/* The latency table of the `latency` TCase, rebuilt before every test. RTTs
 * in ms per datacenter (us, eu, ap, cdn), -1 for none. af-south keeps
 * eu-west ahead of the slightly faster ap-southeast, as hysteresis does. */
static uint16_t lat_order[R_COUNT][DC_COUNT];
static double lat_rtt[R_COUNT][DC_COUNT];
static struct latency_region lat_regions[R_COUNT];
static struct latency_table lat_table;

static void set_region(unsigned r, const char *name, double lat, double lon, const int *order,
		       const double *rtt)
{
	struct latency_region *reg = &lat_regions[r];

	reg->name = name;
	reg->lat = lat;
	reg->lon = lon;
	reg->order = lat_order[r];
	reg->order_count = 0;
	while (order[reg->order_count] >= 0) {
		lat_order[r][reg->order_count] = (uint16_t)order[reg->order_count];
		reg->order_count++;
	}
	reg->rtt_ms = lat_rtt[r];
	memcpy(lat_rtt[r], rtt, sizeof(lat_rtt[r]));
}

static void lat_setup(void)
{
	set_region(R_EU, "eu-west", 53.35, -6.26, (const int[]){DC_EU, DC_US, DC_AP, -1},
		   (const double[DC_COUNT]){80.0, 5.0, 180.0, -1.0});
	set_region(R_US, "us-east", 40.71, -74.01, (const int[]){DC_US, DC_EU, DC_AP, -1},
		   (const double[DC_COUNT]){3.0, 75.0, 220.0, -1.0});
	set_region(R_AP, "ap-southeast", 1.35, 103.82, (const int[]){DC_AP, -1},
		   (const double[DC_COUNT]){-1.0, -1.0, 4.0, -1.0});
	set_region(R_AF, "af-south", -26.20, 28.05, (const int[]){DC_EU, DC_AP, DC_US, -1},
		   (const double[DC_COUNT]){230.0, 165.0, 160.0, -1.0});
	lat_table.regions = lat_regions;
	lat_table.region_count = R_COUNT;
}

static struct lb_decision decide_lat(size_t pool, uint16_t qtype, const char *ip, int prefix)
{
	return decide_full(geo, &lat_table, pool, qtype, ip, prefix, 0);
}

/* The candidates of d are exactly the datacenters at want, in that order. */
static void assert_cands(const struct lb_decision *d, const int *want)
{
	unsigned n = 0;

	while (want[n] >= 0) {
		ck_assert_uint_lt(n, d->cand_count);
		ck_assert_msg(d->cands[n].dc == want[n], "candidate %u is %s, want %s", n,
			      cfg->datacenters[d->cands[n].dc].name,
			      cfg->datacenters[want[n]].name);
		n++;
	}
	ck_assert_uint_eq(d->cand_count, n);
}

START_TEST(test_latency_region)
{
	struct lb_decision d;

	/* London: the eu-west region (Dublin) is the nearest */
	d = decide_lat(P_LATENCY, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.region, R_EU);
	ck_assert_uint_eq(d.pool, P_LATENCY);
	ck_assert_uint_eq(d.ttl, 30 + P_LATENCY);
	ck_assert(d.loc.found && !d.failed_open && !d.empty);
	assert_cands(&d, (const int[]){DC_EU, DC_US, DC_AP, -1});
	ck_assert(d.cands[0].rtt_ms == 5.0);
	ck_assert(d.cands[1].rtt_ms == 80.0);
	ck_assert(d.cands[2].rtt_ms == 180.0);
	/* distances are still filled in, for explain */
	ck_assert(d.cands[0].distance_km > 400 && d.cands[0].distance_km < 500);
	for (unsigned i = 0; i < 3; i++)
		ck_assert(d.cands[i].up && d.cands[i].has_family && d.cands[i].score == 0.0);

	/* New York: the us-east region */
	d = decide_lat(P_LATENCY, QT_A, "192.0.2.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.region, R_US);
	assert_cands(&d, (const int[]){DC_US, DC_EU, DC_AP, -1});
	ck_assert(d.cands[0].rtt_ms == 3.0);
	d = decide_lat(P_LATENCY, QT_AAAA, "2001:db8:200::", 56);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.region, R_US);

	/* Singapore: the ap-southeast region ranks only ap-southeast; the
	 * others follow nearest first (eu-west before the listed us-east) */
	d = decide_lat(P_LATENCY, QT_A, "203.0.113.0", 24);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.region, R_AP);
	assert_cands(&d, (const int[]){DC_AP, DC_EU, DC_US, -1});
	ck_assert(d.cands[0].rtt_ms == 4.0);
	ck_assert(d.cands[1].rtt_ms == -1.0);
	ck_assert(d.cands[2].rtt_ms == -1.0);
	ck_assert(d.cands[1].distance_km < d.cands[2].distance_km);
	/* Sydney has no region of its own: ap-southeast is the nearest */
	d = decide_lat(P_LATENCY, QT_A, "45.0.1.0", 24);
	ck_assert_int_eq(d.region, R_AP);
	ck_assert_uint_eq(one(&d), DC_AP);

	/* answers 2, and AAAA where ap-southeast has no IPv6 */
	d = decide_lat(P_LATENCY2, QT_A, "203.0.113.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_AP);
	ck_assert_uint_eq(d.chosen[1], DC_EU);
	d = decide_lat(P_LATENCY2, QT_AAAA, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_EU);
	ck_assert_uint_eq(d.chosen[1], DC_US);
	d = decide_lat(P_LATENCY, QT_AAAA, "203.0.113.0", 24);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert(!d.cands[0].has_family);
}
END_TEST

/* The region's ranking wins over distance, and its order (hysteresis
 * applied) over the raw RTTs. */
START_TEST(test_latency_beats_distance)
{
	struct lb_decision d;

	/* Johannesburg: ap-southeast is the nearest datacenter */
	ck_assert_uint_eq(pick(P_NEAREST, QT_A, "41.0.0.0", 16), DC_AP);
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.region, R_AF);
	assert_cands(&d, (const int[]){DC_EU, DC_AP, DC_US, -1});
	ck_assert(d.cands[0].rtt_ms == 165.0);
	ck_assert(d.cands[1].rtt_ms == 160.0);
	ck_assert(d.cands[2].rtt_ms == 230.0);
	ck_assert(d.cands[1].distance_km < d.cands[0].distance_km);

	/* a new ranking moves the client */
	lat_order[R_AF][0] = DC_US;
	lat_order[R_AF][2] = DC_EU;
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_US);
	assert_cands(&d, (const int[]){DC_US, DC_AP, DC_EU, -1});

	/* a datacenter without a fresh RTT goes after every ranked one, even
	 * when it is the nearest */
	lat_order[R_EU][0] = DC_US;
	lat_order[R_EU][1] = DC_AP;
	lat_regions[R_EU].order_count = 2;
	lat_rtt[R_EU][DC_EU] = -1.0;
	d = decide_lat(P_LATENCY, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.region, R_EU);
	assert_cands(&d, (const int[]){DC_US, DC_AP, DC_EU, -1});
	ck_assert(d.cands[2].rtt_ms == -1.0);
	ck_assert(d.cands[2].distance_km < d.cands[0].distance_km);

	/* the ranking may list datacenters outside the pool: skipped */
	cfg->pools[P_LATENCY].dcs[0] = DC_AP;
	cfg->pools[P_LATENCY].dc_count = 2; /* [ap, eu] */
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_AP);
	assert_cands(&d, (const int[]){DC_AP, DC_EU, -1});
	cfg->pools[P_LATENCY].dcs[0] = DC_US;
	cfg->pools[P_LATENCY].dc_count = 3;
}
END_TEST

START_TEST(test_latency_down)
{
	struct lb_decision d;

	up[DC_EU] = 0;
	d = decide_lat(P_LATENCY, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_uint_eq(d.cands[0].dc, DC_EU);
	ck_assert(!d.cands[0].up);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert(!d.failed_open);
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_AP);
	d = decide_lat(P_LATENCY2, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_AP);
	ck_assert_uint_eq(d.chosen[1], DC_US);

	/* all down: fail open in latency order (nearest would say ap) */
	memset(up, 0, sizeof(up));
	d = decide_lat(P_LATENCY2, QT_A, "41.0.0.0", 16);
	ck_assert(d.failed_open);
	ck_assert_uint_eq(d.chosen_count, 2);
	ck_assert_uint_eq(d.chosen[0], DC_EU);
	ck_assert_uint_eq(d.chosen[1], DC_AP);
	/* fallback to a failover pool: decided there, no region */
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(d.pool, P_FAILOVER);
	ck_assert(d.failed_open);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	ck_assert_int_eq(d.region, -1);
	ck_assert_uint_eq(d.scope, 16); /* the latency pool looked at the client */

	/* fallback into a latency pool */
	cfg->pools[P_NEAREST].policy = POOL_LATENCY;
	up[DC_AP] = 1;
	d = decide_lat(P_FALLBACK, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.pool, P_NEAREST);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.region, R_EU);
	assert_cands(&d, (const int[]){DC_EU, DC_US, DC_AP, -1});
	ck_assert_uint_eq(d.scope, 24);
}
END_TEST

/* Decides pool for ip/prefix with and without the latency table, and
 * checks the latency-less decision is exactly nearest's. */
static void assert_as_nearest(const struct latency_table *lat, const char *ip, int prefix)
{
	struct lb_decision d = decide_full(geo, lat, P_LATENCY, QT_A, ip, prefix, 0);
	struct lb_decision n = decide(P_NEAREST, QT_A, ip, prefix);

	ck_assert_int_ne(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.reason, n.reason);
	ck_assert_int_eq(d.region, -1);
	ck_assert_uint_eq(d.scope, n.scope);
	ck_assert_uint_eq(d.cand_count, n.cand_count);
	for (unsigned i = 0; i < d.cand_count; i++) {
		ck_assert_uint_eq(d.cands[i].dc, n.cands[i].dc);
		ck_assert(d.cands[i].distance_km == n.cands[i].distance_km);
		ck_assert(d.cands[i].rtt_ms == -1.0);
	}
	ck_assert_uint_eq(one(&d), one(&n));
}

START_TEST(test_latency_no_data)
{
	struct latency_table empty = {NULL, 0, NULL, NULL, 0, NULL};
	struct lb_decision d;

	/* no table yet, or one without regions: nearest */
	assert_as_nearest(NULL, "81.2.69.0", 24);
	assert_as_nearest(NULL, "41.0.0.0", 16);
	d = decide_full(geo, NULL, P_LATENCY, QT_A, "41.0.0.0", 16, 0);
	ck_assert_uint_eq(one(&d), DC_AP); /* af-south would say eu-west */
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	assert_as_nearest(&empty, "41.0.0.0", 16);
	empty.regions = lat_regions; /* region_count 0 still means none */
	assert_as_nearest(&empty, "41.0.0.0", 16);

	/* the nearest region has no RTT for any datacenter of the pool:
	 * nearest, not another region */
	lat_regions[R_AF].order_count = 0;
	assert_as_nearest(&lat_table, "41.0.0.0", 16);
	lat_order[R_AF][0] = DC_CDN;
	lat_regions[R_AF].order_count = 1;
	lat_rtt[R_AF][DC_CDN] = 2.0;
	assert_as_nearest(&lat_table, "41.0.0.0", 16);
	d = decide_lat(P_LATENCY, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_AP);
	/* other regions are unaffected */
	d = decide_lat(P_LATENCY, QT_A, "81.2.69.0", 24);
	ck_assert_int_eq(d.region, R_EU);
}
END_TEST

START_TEST(test_latency_unlocated)
{
	struct lb_decision d;

	/* unknown, private, no database, no coordinates: the listed order */
	d = decide_lat(P_LATENCY, QT_A, "8.8.8.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	assert_cands(&d, (const int[]){DC_US, DC_EU, DC_AP, -1});
	assert_as_nearest(&lat_table, "8.8.8.0", 24);
	d = decide_lat(P_LATENCY, QT_A, "10.1.2.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert(d.is_private);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	d = decide_full(NULL, &lat_table, P_LATENCY, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	ck_assert_int_eq(d.region, -1);
	d = decide_lat(P_LATENCY, QT_A, "62.0.0.0", 24); /* DE, no coordinates */
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert(d.loc.found);
	ck_assert_int_eq(d.reason, LB_REASON_UNLOCATED);
	ck_assert_int_eq(d.region, -1);
}
END_TEST

/* ECS scope: the location decides, as for nearest. */
START_TEST(test_latency_scope)
{
	static const struct {
		const char *ip;
		int prefix;
	} clients[] = {
	    {"81.2.69.0", 24},      {"81.2.69.0", 22},    {"45.0.0.0", 16},
	    {"45.0.0.0", 12},       {"45.0.7.0", 24},     {"41.0.0.0", 24},
	    {"37.0.0.0", 24},       {"81.2.0.0", 16},     {"8.8.8.0", 24},
	    {"10.1.2.0", 24},       {"192.168.1.0", 24},  {"2001:db8:100:ff00::", 56},
	    {"2001:db8:300::", 56}, {"fd00:1:2:3::", 56}, {"192.0.2.1", -1},
	};

	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct lb_decision d =
		    decide_lat(P_LATENCY, QT_A, clients[i].ip, clients[i].prefix);
		struct lb_decision n = decide(P_NEAREST, QT_A, clients[i].ip, clients[i].prefix);

		ck_assert_msg(d.scope == n.scope, "%s/%d: scope %u, nearest %u", clients[i].ip,
			      clients[i].prefix, d.scope, n.scope);
	}
	ck_assert_uint_eq(decide_lat(P_LATENCY, QT_A, "81.2.69.0", 24).scope, 24);
	ck_assert_uint_eq(decide_lat(P_LATENCY, QT_A, "45.0.7.0", 24).scope, 16);
	ck_assert_uint_eq(decide_lat(P_LATENCY, QT_A, "10.1.2.0", 24).scope, 8);
	ck_assert_uint_eq(decide_lat(P_LATENCY, QT_A, "8.8.8.0", 24).scope,
			  region_prefix("8.8.8.0"));
	ck_assert_uint_eq(decide_full(NULL, &lat_table, P_LATENCY, QT_A, "81.2.69.0", 24, 0).scope,
			  0);
	/* the same without a table */
	ck_assert_uint_eq(decide_full(geo, NULL, P_LATENCY, QT_A, "81.2.69.0", 22, 0).scope, 22);
}
END_TEST

START_TEST(test_latency_override)
{
	struct lb_decision d;

	cfg->pools[P_OVERRIDE].policy = POOL_LATENCY;
	/* GB -> [ap-southeast, eu-west], whatever eu-west's region says */
	d = decide_lat(P_OVERRIDE, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_COUNTRY);
	assert_cands(&d, (const int[]){DC_AP, DC_EU, -1});
	ck_assert_uint_eq(d.scope, 24);
	/* Paris: continent EU -> [us-east, eu-west] */
	d = decide_lat(P_OVERRIDE, QT_A, "37.0.0.0", 28);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	/* Sydney: continent OC -> [eu-west] */
	d = decide_lat(P_OVERRIDE, QT_A, "45.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_CONTINENT);
	/* no override for ZA (AF) or US (NA): latency */
	d = decide_lat(P_OVERRIDE, QT_A, "41.0.0.0", 16);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_LATENCY);
	ck_assert_int_eq(d.region, R_AF);
	d = decide_lat(P_OVERRIDE, QT_A, "192.0.2.0", 24);
	ck_assert_uint_eq(one(&d), DC_US);
	ck_assert_int_eq(d.region, R_US);
}
END_TEST

/* The same decision with a GeoIP record cache as without, on a miss and
 * on a hit, for every policy that locates the client. */
START_TEST(test_cache_same_decisions)
{
	static const char *const ips[] = {"81.2.69.160", "81.2.69.7",  "192.0.2.1",
					  "203.0.113.9", "45.0.12.34", "2001:db8:100::1",
					  "62.0.0.5",    "8.8.8.8",    "10.1.2.3"};
	static const int pools[] = {P_NEAREST, P_NEAREST2, P_OVERRIDE, P_LATENCY, P_WEIGHTED};
	struct geo_cache *cache = xcalloc(1, sizeof(*cache));

	for (int round = 0; round < 2; round++) {
		for (size_t p = 0; p < sizeof(pools) / sizeof(pools[0]); p++) {
			for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
				struct lb_client c = client_of(ips[i], -1);
				struct lb_decision a, b;

				lb_decide(cfg, geo, NULL, NULL, up, &lat_table, (size_t)pools[p], QT_A,
					  &c, 0, &a);
				lb_decide(cfg, geo, cache, NULL, up, &lat_table, (size_t)pools[p], QT_A,
					  &c, 0, &b);
				ck_assert_msg(memcmp(&a.loc, &b.loc, sizeof(a.loc)) == 0, "%s",
					      ips[i]);
				ck_assert_int_eq(a.reason, b.reason);
				ck_assert_int_eq(a.region, b.region);
				ck_assert_uint_eq(a.scope, b.scope);
				ck_assert_uint_eq(a.chosen_count, b.chosen_count);
				ck_assert_uint_eq(a.cand_count, b.cand_count);
				for (unsigned k = 0; k < a.cand_count; k++) {
					ck_assert_uint_eq(a.cands[k].dc, b.cands[k].dc);
					ck_assert(a.cands[k].chord2 == b.cands[k].chord2);
				}
				for (unsigned k = 0; k < a.chosen_count; k++)
					ck_assert_uint_eq(a.chosen[k], b.chosen[k]);
			}
		}
	}
	free(cache);
}
END_TEST

/* Loads of every test datacenter: utilisations, shares (keep) and the
 * least_load ranking, as the control plane publishes them. */
static struct latency_load test_loads[DC_COUNT];

static void loads_reset(struct latency_table *t)
{
	for (size_t i = 0; i < DC_COUNT; i++) {
		test_loads[i].util = -1.0;
		test_loads[i].keep = LATENCY_KEEP_ALL;
		test_loads[i].salt = UINT64_C(0x9e3779b97f4a7c15) * (i + 1);
	}
	t->loads = test_loads;
}

/* least_load ranks by the table's load ranking, unknown ones after it in
 * the listed order; health still applies; the answer does not depend on
 * the client (scope 0). */
START_TEST(test_least_load)
{
	static uint16_t order[] = {DC_AP, DC_US};
	struct latency_table t = {NULL, 0, NULL, NULL, 0, NULL};
	struct lb_decision d;

	cfg->pools[P_FAILOVER].policy = POOL_LEAST_LOAD; /* [eu, us, ap] */
	/* no table, or no ranking: the listed order */
	d = decide_full(geo, NULL, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_EU);
	ck_assert_int_eq(d.reason, LB_REASON_POLICY);
	loads_reset(&t);
	d = decide_full(geo, &t, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_EU);
	t.load_order = order;
	t.load_order_count = 2;
	d = decide_full(geo, &t, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_int_eq(d.reason, LB_REASON_LOAD);
	ck_assert_uint_eq(d.scope, 0);
	ck_assert_uint_eq(d.cands[0].dc, DC_AP);
	ck_assert_uint_eq(d.cands[1].dc, DC_US);
	ck_assert_uint_eq(d.cands[2].dc, DC_EU);
	/* AP has no IPv6: the next one */
	d = decide_full(geo, &t, P_FAILOVER, QT_AAAA, "2001:db8::1", 48, 0);
	ck_assert_uint_eq(one(&d), DC_US);
	up[DC_AP] = 0;
	d = decide_full(geo, &t, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_US);
	up[DC_US] = 0;
	d = decide_full(geo, &t, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_EU);
	/* least_load does not spill */
	up[DC_AP] = up[DC_US] = 1;
	test_loads[DC_AP].keep = 0;
	d = decide_full(geo, &t, P_FAILOVER, QT_A, "81.2.69.0", 24, 0);
	ck_assert_uint_eq(one(&d), DC_AP);
	ck_assert_uint_eq(d.scope, 0);
}
END_TEST

/* The first datacenter of a failover decision for the /24 number i. */
static unsigned spill_pick(const struct latency_table *t, unsigned i, uint8_t *scope)
{
	char ip[32];
	struct lb_decision d;

	snprintf(ip, sizeof(ip), "11.%u.%u.0", i / 256, i % 256);
	d = decide_full(geo, t, P_FAILOVER, QT_A, ip, 24, 0);
	*scope = d.scope;
	return one(&d);
}

/* Spill-over: a datacenter keeps the share of the client networks its keep
 * threshold says, the same ones every time, a subset of those it keeps at
 * a larger share; the others go to the next choice; the scope is the
 * client's network whenever a share was applied, 0 otherwise. */
START_TEST(test_spill_share)
{
	struct latency_table t = {NULL, 0, NULL, NULL, 0, NULL};
	static bool kept_half[4096];
	unsigned kept = 0, kept_quarter = 0;
	uint8_t scope;

	loads_reset(&t);
	for (unsigned i = 0; i < 4096; i++) {
		ck_assert_uint_eq(spill_pick(&t, i, &scope), DC_EU);
		ck_assert_uint_eq(scope, 0);
	}
	test_loads[DC_EU].keep = LATENCY_KEEP_ALL / 2;
	for (unsigned i = 0; i < 4096; i++) {
		unsigned dc = spill_pick(&t, i, &scope);

		ck_assert(dc == DC_EU || dc == DC_US);
		ck_assert_uint_eq(scope, 24);
		kept_half[i] = dc == DC_EU;
		kept += dc == DC_EU;
		/* sticky */
		ck_assert_uint_eq(spill_pick(&t, i, &scope), dc);
	}
	ck_assert_msg(kept > 4096 * 45 / 100 && kept < 4096 * 55 / 100, "kept %u of 4096", kept);
	test_loads[DC_EU].keep = LATENCY_KEEP_ALL / 4;
	for (unsigned i = 0; i < 4096; i++) {
		unsigned dc = spill_pick(&t, i, &scope);

		kept_quarter += dc == DC_EU;
		/* a smaller share keeps a subset: only clients at the margin move */
		ck_assert(dc != DC_EU || kept_half[i]);
	}
	ck_assert_msg(kept_quarter > 4096 * 20 / 100 && kept_quarter < 4096 * 30 / 100,
		      "kept %u of 4096", kept_quarter);
	/* the next choice spills too, independently: a quarter of the rest
	 * stays on US, the others go to AP */
	test_loads[DC_EU].keep = 0;
	test_loads[DC_US].keep = LATENCY_KEEP_ALL / 4;
	kept = 0;
	for (unsigned i = 0; i < 4096; i++)
		kept += spill_pick(&t, i, &scope) == DC_US;
	ck_assert_msg(kept > 4096 * 20 / 100 && kept < 4096 * 30 / 100, "kept %u of 4096", kept);
	/* when everything spills the ranking still answers: spilled ones last */
	test_loads[DC_US].keep = 0;
	test_loads[DC_AP].keep = 0;
	ck_assert_uint_eq(spill_pick(&t, 7, &scope), DC_EU);
	/* a shorter ECS source prefix is the scope; a spilled datacenter that
	 * is down changes nothing */
	{
		struct lb_decision d;

		test_loads[DC_US].keep = LATENCY_KEEP_ALL;
		d = decide_full(geo, &t, P_FAILOVER, QT_A, "11.1.0.0", 16, 0);
		ck_assert_uint_eq(d.scope, 16);
		up[DC_EU] = 0;
		d = decide_full(geo, &t, P_FAILOVER, QT_A, "11.1.0.0", 16, 0);
		ck_assert_uint_eq(one(&d), DC_US);
		ck_assert_uint_eq(d.scope, 0);
		up[DC_EU] = 1;
		d = decide_full(geo, &t, P_FAILOVER, QT_AAAA, "2001:db8:1:2:3::", 64, 0);
		ck_assert_uint_eq(d.scope, 56);
		/* all and weighted pools do not spill */
		d = decide_full(geo, &t, P_ALL, QT_A, "11.1.0.0", 24, 0);
		ck_assert_uint_eq(d.chosen_count, 3);
		ck_assert_uint_eq(d.scope, 0);
	}
}
END_TEST

/* The datacenter after dc in the cycle us, eu, ap. */
static unsigned next_of(unsigned dc)
{
	return dc == DC_US ? DC_EU : dc == DC_EU ? DC_AP : DC_US;
}

/* Round robin: over 3n queries each of three datacenters is at each
 * position n times; weighted, each comes first by its weight's share; the
 * scope stays 0. */
START_TEST(test_rotate)
{
	unsigned at[DC_COUNT][3] = {{0}};
	struct lb_decision d;

	cfg->pools[P_ALL].rotate = POOL_ROTATE_ON;
	for (unsigned i = 0; i < 300; i++) {
		d = decide(P_ALL, QT_A, "81.2.69.0", 24);
		ck_assert_uint_eq(d.chosen_count, 3);
		ck_assert_uint_eq(d.scope, 0);
		for (unsigned k = 0; k < 3; k++)
			at[d.chosen[k]][k]++;
		/* a rotation keeps the cyclic order us, eu, ap */
		for (unsigned k = 0; k < 3; k++)
			ck_assert_uint_eq(d.chosen[(k + 1) % 3], next_of(d.chosen[k]));
	}
	for (unsigned dc = DC_US; dc <= DC_AP; dc++)
		for (unsigned k = 0; k < 3; k++)
			ck_assert_uint_eq(at[dc][k], 100);
	/* two eligible: each first half of the time */
	memset(at, 0, sizeof(at));
	up[DC_EU] = 0;
	for (unsigned i = 0; i < 100; i++) {
		d = decide(P_ALL, QT_A, "81.2.69.0", 24);
		ck_assert_uint_eq(d.chosen_count, 2);
		at[d.chosen[0]][0]++;
	}
	ck_assert_uint_eq(at[DC_US][0], 50);
	ck_assert_uint_eq(at[DC_AP][0], 50);
	up[DC_EU] = 1;
	/* weighted: 100, 200, 100 */
	memset(at, 0, sizeof(at));
	cfg->pools[P_ALL].rotate = POOL_ROTATE_WEIGHTED;
	cfg->datacenters[DC_EU].weight = 200;
	for (unsigned i = 0; i < 400; i++) {
		d = decide(P_ALL, QT_A, "81.2.69.0", 24);
		ck_assert_uint_eq(d.chosen_count, 3);
		at[d.chosen[0]][0]++;
	}
	ck_assert_uint_eq(at[DC_US][0], 100);
	ck_assert_uint_eq(at[DC_EU][0], 200);
	ck_assert_uint_eq(at[DC_AP][0], 100);
	/* off: as ranked */
	cfg->pools[P_ALL].rotate = POOL_ROTATE_OFF;
	d = decide(P_ALL, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen[0], DC_US);
	d = decide(P_ALL, QT_A, "81.2.69.0", 24);
	ck_assert_uint_eq(d.chosen[0], DC_US);
}
END_TEST

/* The clients: IPv4 anywhere or in the test database's networks. */
static struct lb_client random_client(uint64_t *x)
{
	static const uint8_t v4_firsts[] = {81, 192, 203, 45, 37, 41, 62, 10, 2, 89};

	return lbtest_client(x, v4_firsts, sizeof(v4_firsts));
}

/* Fail unless a and b answer alike. Plain comparisons, and a Check call only
 * on a difference: these run hundreds of thousands of times, and each Check
 * assertion costs a write to the test runner. */
static void assert_same_answer(const struct lb_decision *a, const struct lb_decision *b,
			       const char *what, unsigned i)
{
	if (!lbtest_same_answer(a, b))
		ck_abort_msg("%s %u: pool %zu/%zu reason %d/%d region %d/%d chosen %u/%u (first "
			     "%u/%u)",
			     what, i, a->pool, b->pool, a->reason, b->reason, a->region, b->region,
			     a->chosen_count, b->chosen_count, a->chosen[0], b->chosen[0]);
}

/* Place the config's probes where the latency table's regions are, as they
 * are in the daemon (the compiler places regions from the probes). */
static void place_probes(void)
{
	static const char *const names[R_COUNT] = {"eu-west", "us-east", "ap-southeast",
						   "af-south"};

	cfg->probe_count = R_COUNT;
	cfg->probes = xcalloc(R_COUNT, sizeof(*cfg->probes));
	for (size_t r = 0; r < R_COUNT; r++) {
		cfg->probes[r].region = (char *)names[r];
		cfg->probes[r].lat = lat_regions[r].lat;
		cfg->probes[r].lon = lat_regions[r].lon;
	}
}

static void unplace_probes(void)
{
	free(cfg->probes);
	cfg->probes = NULL;
	cfg->probe_count = 0;
}

/* What compare_compiled() saw. */
struct compared {
	unsigned wider;   /* scopes wider than the direct decision's */
	unsigned located; /* clients the database places */
	size_t maps;      /* maps built */
};

/* lb_maps_build()'s progress: calls, and the last (done, total). */
static size_t built_calls, built_done, built_total;

static void on_built(void *arg, size_t done, size_t total)
{
	(void)arg;
	/* 0 (no map taken from before), then every located pool */
	ck_assert_uint_eq(done, built_calls == 0 ? 0 : total);
	built_calls++;
	built_done = done;
	built_total = total;
}

/* count random clients over every pool (datacenter down_dc down every
 * down_every-th), decided over db with and without compiled maps: the same
 * answers; and a client drawn inside every returned scope gets the same
 * answer from the direct lookups. */
static struct compared compare_maps(const struct geo_db *db, const struct lb_maps *maps,
				    unsigned count, size_t down_dc, unsigned down_every, uint64_t seed)
{
	struct compared out = {0, 0, 0};
	struct lb_maps_stats st;
	uint64_t x = seed;

	lb_maps_stats(maps, &st);
	out.maps = st.maps;
	for (unsigned i = 0; i < count; i++) {
		struct lb_client c = random_client(&x);
		size_t pool = (size_t)(lbtest_next(&x) % P_COUNT);
		uint16_t qtype = (i & 1) ? QT_AAAA : QT_A;
		struct lb_decision a, b, o;
		struct lb_client in;

		up[down_dc] = (i % down_every) == 0 ? DC_STATE_DOWN : DC_STATE_UP;
		lb_decide(cfg, db, NULL, NULL, up, &lat_table, pool, qtype, &c, i, &a);
		lb_decide(cfg, db, NULL, maps, up, &lat_table, pool, qtype, &c, i, &b);
		assert_same_answer(&a, &b, "client", i);
		/* merged networks give wider scopes; a private block inside an
		 * empty region can give a narrower one, which is still true */
		out.wider += b.scope < a.scope;
		out.located += a.loc.has_coords;
		in = lbtest_inside_scope(&c, b.scope, &x);
		lb_decide(cfg, db, NULL, NULL, up, &lat_table, pool, qtype, &in, i, &o);
		assert_same_answer(&b, &o, "inside scope of client", i);
	}
	return out;
}

/* compare_maps() over maps built for cfg over db. */
static struct compared compare_compiled(const struct geo_db *db, unsigned count, size_t down_dc,
					unsigned down_every, uint64_t seed)
{
	struct lb_maps *maps = NULL;
	struct gslb_err err = {""};
	struct compared out;

	built_calls = 0;
	ck_assert_msg(lb_maps_build(cfg, db, NULL, on_built, NULL, &maps, &err) == 0, "%s",
		      err.msg);
	ck_assert_ptr_nonnull(maps);
	/* progress: before the walk and after it, up to every located pool,
	 * which share the maps */
	ck_assert_uint_eq(built_calls, 2);
	ck_assert_uint_eq(built_done, built_total);
	out = compare_maps(db, maps, count, down_dc, down_every, seed);
	ck_assert_uint_ge(built_total, out.maps);
	lb_maps_free(maps);
	return out;
}

/* Compiled decisions (lb_maps_build()) answer every client as the direct
 * lookups do, for every pool, and every client inside a returned scope gets
 * the same answer from the direct lookups. */
START_TEST(test_compiled_same_decisions)
{
	struct compared r;

	place_probes();
	r = compare_compiled(geo, 200000, DC_EU, 7, UINT64_C(0x2545f4914f6cdd1d));
	/* nearest, nearest2, override, latency, latency2: three inputs */
	ck_assert_uint_eq(r.maps, 3);
	/* merging must have widened some scopes */
	ck_assert_uint_gt(r.wider, 0);
	unplace_probes();
}
END_TEST

/* A build given the maps before compiles only the inputs that changed:
 * here one pool's datacenters, listed in another order. The maps taken
 * over outlive the build they came from, and every decision is still the
 * direct lookups'. */
START_TEST(test_compiled_reuse)
{
	struct lb_maps *before = NULL, *after = NULL, *same = NULL;
	struct lb_maps_stats st;
	struct gslb_err err = {""};
	struct config_pool *p = &cfg->pools[P_NEAREST];
	size_t tmp;
	struct compared r;

	place_probes();
	ck_assert_msg(lb_maps_build(cfg, geo, NULL, NULL, NULL, &before, &err) == 0, "%s", err.msg);
	lb_maps_stats(before, &st);
	ck_assert_uint_eq(st.maps, 3);
	ck_assert_uint_eq(st.compiled, 3);
	ck_assert_uint_eq(st.reused, 0);

	/* nothing changed: everything taken over, and kept once before goes */
	ck_assert_msg(lb_maps_build(cfg, geo, before, NULL, NULL, &same, &err) == 0, "%s", err.msg);
	lb_maps_stats(same, &st);
	ck_assert_uint_eq(st.maps, 3);
	ck_assert_uint_eq(st.compiled, 0);
	ck_assert_uint_eq(st.reused, 3);
	lb_maps_free(before);
	r = compare_maps(geo, same, 20000, DC_EU, 7, UINT64_C(0x159e3779b97f4a7c));
	ck_assert_uint_eq(r.maps, 3);

	tmp = p->dcs[0];
	p->dcs[0] = p->dcs[2];
	p->dcs[2] = tmp;
	ck_assert_msg(lb_maps_build(cfg, geo, same, NULL, NULL, &after, &err) == 0, "%s", err.msg);
	lb_maps_stats(after, &st);
	/* nearest (now apart from nearest2), nearest2, override, latency */
	ck_assert_uint_eq(st.maps, 4);
	ck_assert_uint_eq(st.compiled, 1);
	ck_assert_uint_eq(st.reused, 3);
	lb_maps_free(same);
	r = compare_maps(geo, after, 100000, DC_EU, 7, UINT64_C(0x7f4a7c159e3779b9));
	ck_assert_uint_eq(r.maps, 4);
	lb_maps_free(after);
	unplace_probes();
}
END_TEST

/* Spill-over on the compiled maps: the same answers as the direct lookups
 * (the ranking comes from the map, the shares apply after it), and every
 * client inside a returned scope gets the same answer. */
START_TEST(test_spill_compiled)
{
	place_probes();
	loads_reset(&lat_table);
	test_loads[DC_US].keep = LATENCY_KEEP_ALL / 2;
	test_loads[DC_EU].keep = LATENCY_KEEP_ALL / 3;
	(void)compare_compiled(geo, 100000, DC_AP, 5, UINT64_C(0x1234567887654321));
	lat_table.loads = NULL;
	unplace_probes();
}
END_TEST

/* The same with a real GeoLite2-City when GSLBD_GEOLITE2_CITY names one:
 * 1,000,000 random clients (20,000 under valgrind, where
 * CK_TIMEOUT_MULTIPLIER is set). */
START_TEST(test_compiled_geolite2)
{
	const char *path = getenv("GSLBD_GEOLITE2_CITY");
	unsigned count = getenv("CK_TIMEOUT_MULTIPLIER") != NULL ? 20000 : 1000000;
	struct geo_db *real = NULL;
	struct gslb_err err = {""};
	struct compared r;

	if (path == NULL || path[0] == '\0' || strcmp(path, "none") == 0) {
		/* In CI the database is fetched first: its absence is a failure,
		 * unless the run leaves it out on purpose ("none"). */
		const char *ci = getenv("CI");

		ck_assert_msg((path != NULL && strcmp(path, "none") == 0) || ci == NULL ||
				  strcmp(ci, "true") != 0,
			      "CI=true and GSLBD_GEOLITE2_CITY is not set "
			      "(tests/tools/fetch-geolite2.sh)");
		fprintf(stderr,
			"test_compiled_geolite2: GSLBD_GEOLITE2_CITY not set or none, not run\n");
		return;
	}
	ck_assert_msg(geo_db_open(path, NULL, &real, &err) == 0, "%s", err.msg);
	place_probes();
	r = compare_compiled(real, count, DC_US, 5, UINT64_C(0x9e3779b97f4a7c15));
	fprintf(stderr, "test_compiled_geolite2: %u clients, %u located, %u scopes wider\n", count,
		r.located, r.wider);
	ck_assert_uint_gt(r.located, count / 10);
	ck_assert_uint_gt(r.wider, count / 10);
	unplace_probes();
	geo_db_close(real);
}
END_TEST

/* Without a database or a located pool there is nothing to compile. */
START_TEST(test_compiled_nothing)
{
	struct lb_maps *maps = (struct lb_maps *)&maps;
	struct gslb_err err = {""};
	struct lb_maps_stats st;

	ck_assert_int_eq(lb_maps_build(cfg, NULL, NULL, NULL, NULL, &maps, &err), 0);
	ck_assert_ptr_null(maps);
	lb_maps_stats(NULL, &st);
	ck_assert_uint_eq(st.maps, 0);
	for (size_t i = 0; i < cfg->pool_count; i++) {
		cfg->pools[i].policy = POOL_FAILOVER;
		cfg->pools[i].country_count = 0;
		cfg->pools[i].continent_count = 0;
	}
	ck_assert_int_eq(lb_maps_build(cfg, geo, NULL, NULL, NULL, &maps, &err), 0);
	ck_assert_ptr_null(maps);
	/* teardown frees the override lists by count: put them back */
	cfg->pools[P_OVERRIDE].country_count = 2;
	cfg->pools[P_OVERRIDE].continent_count = 2;
}
END_TEST

/* A big pool: nearest ranks all of its datacenters as the haversine
 * distance does, ties in the listed order. */
START_TEST(test_nearest_many)
{
	enum { MANY = LB_MAX_POOL_DCS };
	struct config_pool *p = &cfg->pools[P_NEAREST];
	uint8_t many_up[MANY];
	unsigned ref[MANY];
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	struct lb_client c = client_of("81.2.69.160", -1);
	struct lb_decision d;
	double ref_km[MANY];

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		free(cfg->datacenters[i].name);
		free(cfg->datacenters[i].region);
		free(cfg->datacenters[i].ipv4);
		free(cfg->datacenters[i].ipv6);
		free(cfg->datacenters[i].cname);
	}
	free(cfg->datacenters);
	cfg->datacenter_count = MANY;
	cfg->datacenters = xcalloc(MANY, sizeof(*cfg->datacenters));
	free(p->dcs);
	p->dcs = xcalloc(MANY, sizeof(*p->dcs));
	p->dc_count = MANY;
	for (unsigned i = 0; i < MANY; i++) {
		char name[16];
		double lat, lon;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		lat = (double)(x % 1600) / 10.0 - 80.0;
		lon = (double)((x >> 20) % 3600) / 10.0 - 180.0;
		if (i % 9 == 4) { /* some share a place with the one before */
			lat = cfg->datacenters[i - 1].lat;
			lon = cfg->datacenters[i - 1].lon;
		}
		snprintf(name, sizeof(name), "dc%u", i);
		add_dc(i, name, lat, lon, "192.0.2.10", NULL, NULL);
		p->dcs[i] = MANY - 1 - i; /* listed backwards */
		many_up[i] = 1;
	}
	lb_decide(cfg, geo, NULL, NULL, many_up, NULL, P_NEAREST, QT_A, &c, 0, &d);
	lb_decision_distances(&d);
	ck_assert_uint_eq(d.cand_count, MANY);
	/* reference: stable insertion sort of the listed order by haversine */
	for (unsigned i = 0; i < MANY; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[p->dcs[i]];
		double km = geo_distance_km(d.loc.lat, d.loc.lon, dc->lat, dc->lon);
		unsigned j = i;

		while (j > 0 && ref_km[j - 1] > km) {
			ref[j] = ref[j - 1];
			ref_km[j] = ref_km[j - 1];
			j--;
		}
		ref[j] = (unsigned)p->dcs[i];
		ref_km[j] = km;
	}
	for (unsigned i = 0; i < MANY; i++) {
		ck_assert_msg(d.cands[i].dc == ref[i], "rank %u: dc%u, expected dc%u", i,
			      d.cands[i].dc, ref[i]);
		/* The client's unit vector is kept in float precision. */
		ck_assert_double_eq_tol(d.cands[i].distance_km, ref_km[i], 1e-3);
	}
	ck_assert_uint_eq(d.chosen[0], ref[0]);

	/* Compiled, the 64 datacenters' rankings keep the nearest three; with
	 * many of them down, decisions rank the whole pool again: the same
	 * answers for every client either way. */
	{
		struct lb_maps *maps = NULL;
		struct gslb_err err = {""};
		uint64_t r = UINT64_C(0x853c49e6748fea9b);
		unsigned again = 0;

		ck_assert_msg(lb_maps_build(cfg, geo, NULL, NULL, NULL, &maps, &err) == 0, "%s", err.msg);
		for (unsigned i = 0; i < 50000; i++) {
			struct lb_client cl = random_client(&r);
			struct lb_decision a, b;
			unsigned down = (i % 4) == 0 ? 60 : (i % 4) * 8;

			for (unsigned k = 0; k < MANY; k++)
				many_up[k] = (lbtest_next(&r) % 64) >= down;
			lb_decide(cfg, geo, NULL, NULL, many_up, NULL, P_NEAREST, QT_A, &cl, 0, &a);
			lb_decide(cfg, geo, NULL, maps, many_up, NULL, P_NEAREST, QT_A, &cl, 0, &b);
			assert_same_answer(&a, &b, "client", i);
			again += b.cand_count == MANY && a.reason == LB_REASON_POLICY;
		}
		/* some decisions needed the whole ranking */
		ck_assert_uint_gt(again, 0);
		lb_maps_free(maps);
	}
}
END_TEST

static Suite *lb_suite(void)
{
	Suite *s = suite_create("lb");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_client_init);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_nearest);
	tcase_add_test(tc, test_nearest_ipv6);
	tcase_add_test(tc, test_nearest_family);
	tcase_add_test(tc, test_nearest_answers);
	tcase_add_test(tc, test_unlocated);
	tcase_add_test(tc, test_failover);
	tcase_add_test(tc, test_all);
	tcase_add_test(tc, test_weighted_distribution);
	tcase_add_test(tc, test_weighted_equal);
	tcase_add_test(tc, test_weighted_sticky);
	tcase_add_test(tc, test_weighted_order_free);
	tcase_add_test(tc, test_weighted_minimal_movement);
	tcase_add_test(tc, test_weighted_random);
	tcase_add_test(tc, test_override_country);
	tcase_add_test(tc, test_override_continent);
	tcase_add_test(tc, test_cname);
	tcase_add_test(tc, test_scope);
	tcase_add_test(tc, test_least_load);
	tcase_add_test(tc, test_spill_share);
	tcase_add_test(tc, test_rotate);
	suite_add_tcase(s, tc);

	tc = tcase_create("unhealthy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nearest_down);
	tcase_add_test(tc, test_all_down);
	tcase_add_test(tc, test_fallback_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("latency");
	/* hundreds of thousands of decisions: slow under the sanitizers */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, lat_setup, NULL);
	tcase_add_test(tc, test_latency_region);
	tcase_add_test(tc, test_latency_beats_distance);
	tcase_add_test(tc, test_latency_down);
	tcase_add_test(tc, test_latency_no_data);
	tcase_add_test(tc, test_latency_unlocated);
	tcase_add_test(tc, test_latency_scope);
	tcase_add_test(tc, test_latency_override);
	tcase_add_test(tc, test_cache_same_decisions);
	tcase_add_test(tc, test_compiled_same_decisions);
	tcase_add_test(tc, test_compiled_reuse);
	tcase_add_test(tc, test_compiled_nothing);
	tcase_add_test(tc, test_spill_compiled);
	tcase_add_test(tc, test_nearest_many);
	suite_add_tcase(s, tc);

	/* a real database: its own timeout */
	tc = tcase_create("geolite2");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, lat_setup, NULL);
	tcase_add_test(tc, test_compiled_geolite2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lb_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Unit tests of dnstap: the DNS threads' rings (gslbd/dns/dnstap_ring.c:
 * filters, sampling, a full ring drops and counts, bounded copies) and the
 * writer's encoder (gslbd/net/dnstap.c), whose output is decoded back with
 * protobuf-c and checked field by field. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/dnstap.pb-c.h"
#include "common/err.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/dnstap_ring.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/query.h"
#include "gslbd/dns/snapshot.h"
#include "geo/geo_db.h"
#include "gslbd/net/dnstap.h"

#define CONF_HEAD                                                                                  \
	"zones:\n  - name: example.com\n    file: a.zone\n"                                        \
	"datacenters:\n"                                                                           \
	"  - name: us-east\n    latitude: 40.71\n    longitude: -74.01\n    ipv4: 192.0.2.10\n"    \
	"  - name: eu-west\n    latitude: 53.35\n    longitude: -6.26\n    ipv4: 198.51.100.10\n"  \
	"pools:\n  - name: web\n    datacenters: [us-east, eu-west]\n    answers: 2\n"       \
	"  - name: web-dr\n    datacenters: [us-east]\n"

/* www.example.com A: a query, and a response to it (QR, AA). */
static const uint8_t query_bytes[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
				      0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
				      'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};
static const uint8_t response_bytes[] = {0x12, 0x34, 0x85, 0x00, 0,   1,   0,   0,   0,   0,   0,
					 0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
					 'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};

static struct config *cfg;
static struct snapshot snap;
static struct dnstap_ring *ring;
static struct lb_decision dec;
static struct sockaddr_in peer, local;

/* Load CONF_HEAD with a dnstap section of extra lines. */
static void load(const char *dnstap)
{
	char text[2048];
	struct gslb_err err;

	config_free(cfg);
	snprintf(text, sizeof(text), "%sdnstap:\n  socket: /tmp/check-dnstap.sock\n%s", CONF_HEAD,
		 dnstap);
	ck_assert_msg(config_load_string("t.conf", "/tmp", text, &cfg, &err) == 0, "%s", err.msg);
	snap.config = cfg;
}

static void setup(void)
{
	cfg = NULL;
	memset(&snap, 0, sizeof(snap));
	snap.generation = 42;
	load("");
	ring = dnstap_ring_new(4);
	memset(&dec, 0, sizeof(dec));
	dec.pool = 0;
	dec.reason = LB_REASON_POLICY;
	dec.scope = 24;
	dec.chosen_count = 2;
	dec.chosen[0] = 1;
	dec.chosen[1] = 0;
	peer.sin_family = AF_INET;
	peer.sin_port = htons(5353);
	inet_pton(AF_INET, "192.0.2.99", &peer.sin_addr);
	local.sin_family = AF_INET;
	local.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.53", &local.sin_addr);
}

static void teardown(void)
{
	dnstap_ring_free(ring);
	config_free(cfg);
	cfg = NULL;
}

/* A sent answer (lb: with the decision) with an ECS of 81.2.69.0/24. */
static void event(struct query_event *ev, bool lb, int rcode)
{
	memset(ev, 0, sizeof(*ev));
	ev->transport = QUERY_UDP;
	ev->fate = QUERY_SENT;
	ev->peer = (const struct sockaddr *)&peer;
	ev->local = (const struct sockaddr *)&local;
	ev->query = query_bytes;
	ev->query_len = sizeof(query_bytes);
	ev->response = response_bytes;
	ev->response_len = sizeof(response_bytes);
	ev->received.tv_sec = 1700000000;
	ev->received.tv_nsec = 123456789;
	ev->res.action = ANSWER_SEND;
	ev->res.len = sizeof(response_bytes);
	ev->res.rcode = rcode;
	ev->res.qtype = 1;
	ev->res.lb = lb ? &dec : NULL;
	ev->snap = &snap;
	ev->ecs_family = 1;
	ev->ecs_source = 24;
	ev->ecs_scope = 24;
	ev->ecs_addr[0] = 81;
	ev->ecs_addr[1] = 2;
	ev->ecs_addr[2] = 69;
}

/* Exchanges in the ring (taking them). */
static unsigned drain(void)
{
	unsigned n = 0;

	while (dnstap_ring_peek(ring) != NULL) {
		dnstap_ring_pop(ring);
		n++;
	}
	return n;
}

START_TEST(test_ring_copy)
{
	struct query_event ev;
	const struct dnstap_slot *s;

	event(&ev, true, 0);
	ck_assert_ptr_null(dnstap_ring_peek(ring));
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->flags &
			      (DNSTAP_F_QUERY | DNSTAP_F_RESPONSE | DNSTAP_F_LB | DNSTAP_F_LOCAL),
			  DNSTAP_F_QUERY | DNSTAP_F_RESPONSE | DNSTAP_F_LB | DNSTAP_F_LOCAL);
	ck_assert(!(s->flags & DNSTAP_F_TCP));
	ck_assert_uint_eq(s->query_len, sizeof(query_bytes));
	ck_assert_uint_eq(s->response_len, sizeof(response_bytes));
	ck_assert(memcmp(s->data, query_bytes, sizeof(query_bytes)) == 0);
	ck_assert(memcmp(s->data + s->query_len, response_bytes, sizeof(response_bytes)) == 0);
	ck_assert_str_eq(s->pool, "web");
	ck_assert_str_eq(s->dcs, "eu-west,us-east");
	ck_assert_str_eq(s->reason, "nearest");
	ck_assert_uint_eq(s->generation, 42);
	ck_assert_int_eq(s->rcode, 0);
	/* The event's memory may go: the slot holds copies. */
	ev.query = NULL;
	dnstap_ring_pop(ring);
	ck_assert_ptr_null(dnstap_ring_peek(ring));
}
END_TEST

/* The names come with their lengths; only what is written is copied: no
 * response bytes without responses, no query without queries when the
 * response names the question. */
START_TEST(test_ring_lengths_and_kinds)
{
	static const uint8_t noq[] = {0x12, 0x34, 0x85, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	struct query_event ev;
	const struct dnstap_slot *s;
	char extra[512];

	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->pool_len, 3);
	ck_assert_uint_eq(s->dcs_len, strlen("eu-west,us-east"));
	ck_assert_uint_eq(s->reason_len, strlen("nearest"));
	dnstap_ring_pop(ring);
	load("  log_responses: false\n");
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->flags & (DNSTAP_F_QUERY | DNSTAP_F_RESPONSE), DNSTAP_F_QUERY);
	ck_assert_uint_eq(s->query_len, sizeof(query_bytes));
	ck_assert_uint_eq(s->response_len, 0);
	dnstap_ring_pop(ring);
	load("  log_queries: false\n");
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->query_len, 0);
	ck_assert_uint_eq(s->response_len, sizeof(response_bytes));
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=1 name=www.example.com. pool=web reason=nearest "
				"dc=eu-west,us-east ecs=81.2.69.0/24 scope=24 gen=42");
	dnstap_ring_pop(ring);
	/* A response without the question (FORMERR): the query names it. */
	event(&ev, false, 1);
	ev.response = noq;
	ev.response_len = sizeof(noq);
	ev.ecs_family = 0;
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->query_len, sizeof(query_bytes));
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=0 name=www.example.com. gen=42");
	dnstap_ring_pop(ring);
}
END_TEST

/* A ring that fills to its mark while the consumer sleeps wakes it once
 * (an eventfd write) and says it is awake; below the mark, or awake,
 * nothing. */
START_TEST(test_ring_wake)
{
	struct query_event ev;
	_Atomic bool asleep = true;
	int fd = eventfd(0, EFD_NONBLOCK);
	uint64_t v;

	ck_assert_int_ge(fd, 0);
	dnstap_ring_set_wake(ring, fd, &asleep, 2);
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	ck_assert_int_lt(read(fd, &v, sizeof(v)), 0);
	ck_assert(asleep);
	dnstap_ring_observe(ring, &ev);
	ck_assert_int_eq(read(fd, &v, sizeof(v)), sizeof(v));
	ck_assert_uint_eq(v, 1);
	ck_assert(!asleep);
	ck_assert_uint_eq(dnstap_ring_fill(ring), 2);
	dnstap_ring_observe(ring, &ev); /* awake: no write */
	ck_assert_int_lt(read(fd, &v, sizeof(v)), 0);
	ck_assert_uint_eq(drain(), 3);
	dnstap_ring_set_wake(ring, -1, NULL, 0);
	close(fd);
}
END_TEST

START_TEST(test_ring_full)
{
	struct query_event ev;
	struct dnstap_stats before, after;

	event(&ev, true, 0);
	dnstap_stats_get(&before);
	for (int i = 0; i < 6; i++)
		dnstap_ring_observe(ring, &ev);
	dnstap_stats_get(&after);
	ck_assert_uint_eq(after.dropped_full - before.dropped_full, 2);
	ck_assert_uint_eq(drain(), 4);
	/* Room again. */
	dnstap_ring_observe(ring, &ev);
	ck_assert_uint_eq(drain(), 1);
}
END_TEST

START_TEST(test_ring_filters)
{
	struct query_event ev;
	struct dnstap_stats before, after;

	load("  only_load_balanced: true\n  rcodes: [NOERROR]\n");
	dnstap_stats_get(&before);
	event(&ev, false, 0); /* static: left out */
	dnstap_ring_observe(ring, &ev);
	event(&ev, true, 3); /* NXDOMAIN: left out */
	dnstap_ring_observe(ring, &ev);
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	dnstap_stats_get(&after);
	ck_assert_uint_eq(after.dropped_filtered - before.dropped_filtered, 2);
	ck_assert_uint_eq(drain(), 1);

	/* One in three: the query path samples (check_query); the ring says
	 * so, and counts what it left out as filtered. Responses only. */
	load("  sample: 3\n  log_queries: false\n");
	ck_assert_uint_eq(dnstap_ring_wants(ring, &snap), 3);
	event(&ev, true, 0);
	ev.skipped = 2;
	dnstap_stats_get(&before);
	dnstap_ring_observe(ring, &ev);
	dnstap_stats_get(&after);
	ck_assert_uint_eq(after.dropped_filtered - before.dropped_filtered, 2);
	ck_assert_uint_eq(dnstap_ring_peek(ring)->flags & (DNSTAP_F_QUERY | DNSTAP_F_RESPONSE),
			  DNSTAP_F_RESPONSE);
	ck_assert_uint_eq(drain(), 1);
	load("");
	ck_assert_uint_eq(dnstap_ring_wants(ring, &snap), 1);
	load("  log_queries: false\n  log_responses: false\n");
	ck_assert_uint_eq(dnstap_ring_wants(ring, &snap), 0);
}
END_TEST

START_TEST(test_ring_off)
{
	struct query_event ev;
	struct gslb_err err;
	struct dnstap_stats before, after;

	config_free(cfg);
	ck_assert_int_eq(config_load_string("t.conf", "/tmp", CONF_HEAD, &cfg, &err), 0);
	snap.config = cfg;
	dnstap_stats_get(&before);
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	dnstap_stats_get(&after);
	ck_assert_ptr_null(dnstap_ring_peek(ring));
	ck_assert_uint_eq(after.dropped_filtered, before.dropped_filtered);
}
END_TEST

START_TEST(test_ring_bounds)
{
	static uint8_t big[DNSTAP_SLOT_DATA + 1];
	struct query_event ev;
	const struct dnstap_slot *s;

	/* Nothing to record: no header. */
	event(&ev, false, -1);
	ev.fate = QUERY_NOT_ANSWERED;
	dnstap_ring_observe(ring, &ev);
	ck_assert_ptr_null(dnstap_ring_peek(ring));
	/* A response that does not fit beside its query: left out, said so. */
	event(&ev, true, 0);
	memcpy(big, response_bytes, sizeof(response_bytes));
	ev.response = big;
	ev.response_len = DNSTAP_SLOT_DATA - sizeof(query_bytes) + 1;
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_ptr_nonnull(s);
	ck_assert(s->flags & DNSTAP_F_RESPONSE_CUT);
	ck_assert_uint_eq(s->response_len, 0);
	ck_assert_uint_eq(s->query_len, sizeof(query_bytes));
	dnstap_ring_pop(ring);
	/* A query too long for a slot. */
	event(&ev, false, 0);
	ev.query = big;
	ev.query_len = sizeof(big);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert(s->flags & DNSTAP_F_QUERY_CUT);
	ck_assert_uint_eq(s->query_len, 0);
	ck_assert_uint_eq(s->response_len, sizeof(response_bytes));
	dnstap_ring_pop(ring);
	/* Dropped by an access list: the query alone. */
	event(&ev, false, -1);
	ev.fate = QUERY_ACL_DROPPED;
	ev.response = NULL;
	ev.response_len = 0;
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->flags & (DNSTAP_F_QUERY | DNSTAP_F_RESPONSE), DNSTAP_F_QUERY);
	dnstap_ring_pop(ring);
}
END_TEST

/* Encode the ring's one slot (response or query) and decode it. What was
 * encoded by hand (the constant parts once, the rest straight into the
 * buffer) must be what protobuf-c packs from the decoded message, byte for
 * byte: the same fields, order and lengths. */
static Dnstap__Dnstap *encode_decode(bool response, const char *identity, const char *version)
{
	static uint8_t buf[16384], again[16384];
	size_t len;
	const struct dnstap_slot *s = dnstap_ring_peek(ring);
	struct dnstap_enc *e = dnstap_enc_new(identity, version);
	Dnstap__Dnstap *d;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_le(dnstap_enc_room(e), sizeof(buf));
	len = dnstap_encode(e, s, response, NULL, buf, sizeof(buf));
	dnstap_enc_free(e);
	ck_assert_uint_gt(len, 0);
	d = dnstap__dnstap__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(dnstap__dnstap__get_packed_size(d), len);
	ck_assert_uint_eq(dnstap__dnstap__pack(d, again), len);
	ck_assert(memcmp(buf, again, len) == 0);
	return d;
}

static void assert_bytes(const ProtobufCBinaryData *b, const void *want, size_t len)
{
	ck_assert_uint_eq(b->len, len);
	ck_assert(memcmp(b->data, want, len) == 0);
}

START_TEST(test_encode_response)
{
	struct query_event ev;
	Dnstap__Dnstap *d;
	const Dnstap__Message *m;
	static const uint8_t peer4[] = {192, 0, 2, 99}, local4[] = {127, 0, 0, 53};
	const char *extra = "gslb=1 name=www.example.com. pool=web reason=nearest "
			    "dc=eu-west,us-east ecs=81.2.69.0/24 scope=24 gen=42";

	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	d = encode_decode(true, "ns1", "gslbd test");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->type, DNSTAP__DNSTAP__TYPE__MESSAGE);
	assert_bytes(&d->identity, "ns1", 3);
	assert_bytes(&d->version, "gslbd test", 10);
	ck_assert(d->has_extra);
	assert_bytes(&d->extra, extra, strlen(extra));
	m = d->message;
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->type, DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE);
	ck_assert_int_eq(m->socket_family, DNSTAP__SOCKET_FAMILY__INET);
	ck_assert_int_eq(m->socket_protocol, DNSTAP__SOCKET_PROTOCOL__UDP);
	assert_bytes(&m->query_address, peer4, 4);
	ck_assert_uint_eq(m->query_port, 5353);
	assert_bytes(&m->response_address, local4, 4);
	ck_assert_uint_eq(m->response_port, 53);
	ck_assert_uint_eq(m->query_time_sec, 1700000000);
	ck_assert_uint_eq(m->query_time_nsec, 123456789);
	ck_assert(m->has_response_time_sec);
	ck_assert(!m->has_query_message);
	assert_bytes(&m->response_message, response_bytes, sizeof(response_bytes));
	ck_assert_ptr_nonnull(m->policy);
	ck_assert_str_eq(m->policy->type, "gslb");
	assert_bytes(&m->policy->rule, "web", 3);
	ck_assert_int_eq(m->policy->action, DNSTAP__POLICY__ACTION__LOCAL_DATA);
	ck_assert_int_eq(m->policy->match, DNSTAP__POLICY__MATCH__CLIENT_IP);
	assert_bytes(&m->policy->value, "eu-west,us-east", 15);
	dnstap__dnstap__free_unpacked(d, NULL);
}
END_TEST

START_TEST(test_encode_query)
{
	struct query_event ev;
	Dnstap__Dnstap *d;
	const Dnstap__Message *m;

	event(&ev, true, 0);
	ev.transport = QUERY_TCP;
	dnstap_ring_observe(ring, &ev);
	d = encode_decode(false, NULL, NULL);
	ck_assert(!d->has_identity);
	ck_assert(!d->has_version);
	ck_assert(!d->has_extra);
	m = d->message;
	ck_assert_int_eq(m->type, DNSTAP__MESSAGE__TYPE__AUTH_QUERY);
	ck_assert_int_eq(m->socket_protocol, DNSTAP__SOCKET_PROTOCOL__TCP);
	assert_bytes(&m->query_message, query_bytes, sizeof(query_bytes));
	ck_assert(!m->has_response_message);
	ck_assert_ptr_null(m->policy);
	dnstap__dnstap__free_unpacked(d, NULL);
}
END_TEST

START_TEST(test_encode_static_and_flags)
{
	struct query_event ev;
	const struct dnstap_slot *s;
	char extra[512];
	struct sockaddr_in6 p6 = {.sin6_family = AF_INET6, .sin6_port = htons(1)};
	Dnstap__Dnstap *d;

	/* Static data: no policy, gslb=0. */
	event(&ev, false, 0);
	ev.ecs_family = 0;
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=0 name=www.example.com. gen=42");
	dnstap_ring_pop(ring);
	/* Every datacenter down, the client located, over IPv6, no datacenter answered. */
	dec.failed_open = true;
	dec.empty = true;
	dec.reason = LB_REASON_COUNTRY;
	dec.loc.found = true;
	memcpy(dec.loc.country, "GB", 3);
	memcpy(dec.loc.continent, "EU", 3);
	inet_pton(AF_INET6, "2001:db8::1", &p6.sin6_addr);
	event(&ev, true, 0);
	ev.peer = (const struct sockaddr *)&p6;
	ev.local = NULL;
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra,
			 "gslb=1 name=www.example.com. pool=web reason=country dc=- failopen=1 "
			 "empty=1 country=GB continent=EU ecs=81.2.69.0/24 scope=24 gen=42");
	d = encode_decode(true, NULL, NULL);
	ck_assert_int_eq(d->message->socket_family, DNSTAP__SOCKET_FAMILY__INET6);
	ck_assert_uint_eq(d->message->query_address.len, 16);
	ck_assert(!d->message->has_response_address);
	ck_assert_int_eq(d->message->policy->action, DNSTAP__POLICY__ACTION__NODATA);
	dnstap__dnstap__free_unpacked(d, NULL);
	dnstap_ring_pop(ring);
}
END_TEST

/* A fallback pool answered: fallback=1 and the name's own pool, after dc=,
 * the policy's reason kept. */
START_TEST(test_encode_fallback)
{
	struct query_event ev;
	const struct dnstap_slot *s;
	char extra[512];

	dec.asked_pool = 0;
	dec.pool = 1;
	dec.chosen_count = 1;
	dec.chosen[0] = 0;
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_ne(s->flags & DNSTAP_F_FALLBACK, 0);
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=1 name=www.example.com. pool=web-dr reason=nearest "
				"dc=us-east fallback=1 asked=web ecs=81.2.69.0/24 scope=24 gen=42");
	dnstap_ring_pop(ring);
	/* The same decision from the name's own pool says nothing of it. */
	dec.pool = 0;
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_eq(s->flags & DNSTAP_F_FALLBACK, 0);
	dnstap_extra_format(s, NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=1 name=www.example.com. pool=web reason=nearest "
				"dc=us-east ecs=81.2.69.0/24 scope=24 gen=42");
	dnstap_ring_pop(ring);
}
END_TEST

/* Lengths on both sides of one varint byte (127/128), a long identity and
 * a long decision text: still what protobuf-c packs. */
START_TEST(test_encode_lengths)
{
	struct query_event ev;
	Dnstap__Dnstap *d;
	char id[301];

	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	for (size_t n = 0; n < sizeof(id); n += 37) {
		d = encode_decode(true, id + n, n % 2 ? "v" : NULL);
		ck_assert_uint_eq(d->identity.len, sizeof(id) - 1 - n);
		dnstap__dnstap__free_unpacked(d, NULL);
		d = encode_decode(false, id + n, NULL);
		dnstap__dnstap__free_unpacked(d, NULL);
	}
	dnstap_ring_pop(ring);
	/* Decision texts from short (< 128 bytes: no ECS, one datacenter)
	 * to long. */
	dec.chosen_count = 1;
	event(&ev, true, 0);
	ev.ecs_family = 0;
	dnstap_ring_observe(ring, &ev);
	d = encode_decode(true, NULL, NULL);
	ck_assert_uint_lt(d->extra.len, 128);
	dnstap__dnstap__free_unpacked(d, NULL);
	dnstap_ring_pop(ring);
	dec.chosen_count = 2;
	dec.failed_open = true;
	dec.loc.found = true;
	memcpy(dec.loc.country, "GB", 3);
	memcpy(dec.loc.continent, "EU", 3);
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	d = encode_decode(true, NULL, NULL);
	ck_assert_uint_ge(d->extra.len, 128);
	dnstap__dnstap__free_unpacked(d, NULL);
	dnstap_ring_pop(ring);
}
END_TEST

/* A decision that did not locate the client (a compiled map) asks the
 * writer to; the location it finds goes into the text. */
START_TEST(test_encode_located)
{
	struct query_event ev;
	const struct dnstap_slot *s;
	struct geo_location loc = {.found = true, .country = "SG", .continent = "AS"};
	char extra[512];

	snap.geo = (const struct geo_db *)&loc; /* compared, never read */
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	ck_assert_uint_ne(s->flags & DNSTAP_F_LOCATE, 0);
	ck_assert_ptr_eq(s->geo, snap.geo);
	dnstap_extra_format(s, &loc, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=1 name=www.example.com. pool=web reason=nearest "
				"dc=eu-west,us-east country=SG continent=AS ecs=81.2.69.0/24 "
				"scope=24 gen=42");
	dnstap_ring_pop(ring);
	/* Located by the decision, or private: nothing to look up. */
	dec.loc.found = true;
	memcpy(dec.loc.country, "GB", 3);
	memcpy(dec.loc.continent, "EU", 3);
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	ck_assert_uint_eq(dnstap_ring_peek(ring)->flags & DNSTAP_F_LOCATE, 0);
	dnstap_ring_pop(ring);
	dec.loc.found = false;
	dec.is_private = true;
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	ck_assert_uint_eq(dnstap_ring_peek(ring)->flags & DNSTAP_F_LOCATE, 0);
	dnstap_ring_pop(ring);
	/* No database: nothing either. */
	dec.is_private = false;
	snap.geo = NULL;
	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	ck_assert_uint_eq(dnstap_ring_peek(ring)->flags & DNSTAP_F_LOCATE, 0);
	dnstap_ring_pop(ring);
}
END_TEST

/* Names come from a memo of the names written lately: more names than it
 * holds, each written twice, an escaped one among them, each right. */
START_TEST(test_encode_names)
{
	struct dnstap_enc *e = dnstap_enc_new(NULL, NULL);
	static uint8_t buf[16384];
	struct query_event ev;

	for (int round = 0; round < 2; round++) {
		for (int n = 0; n < 12; n++) {
			uint8_t q[64] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
			char want[64], extra[128];
			size_t len = 12;
			Dnstap__Dnstap *d;

			q[len++] = n == 5 ? 3 : 2;
			q[len++] = 'n';
			q[len++] = (uint8_t)('a' + n);
			if (n == 5)
				q[len++] = ' ';
			memcpy(q + len, "\7example\0\0\1\0\1", 13);
			len += 13;
			event(&ev, false, 0);
			ev.ecs_family = 0;
			ev.query = q;
			ev.query_len = len;
			ev.response = q;
			ev.response_len = len;
			dnstap_ring_observe(ring, &ev);
			len = dnstap_encode(e, dnstap_ring_peek(ring), true, NULL, buf, sizeof(buf));
			ck_assert_uint_gt(len, 0);
			d = dnstap__dnstap__unpack(NULL, len, buf);
			ck_assert_ptr_nonnull(d);
			snprintf(extra, sizeof(extra), "%.*s", (int)d->extra.len, d->extra.data);
			snprintf(want, sizeof(want), "gslb=0 name=n%c%s.example. gen=42", 'a' + n,
				 n == 5 ? "\\032" : "");
			ck_assert_str_eq(extra, want);
			dnstap__dnstap__free_unpacked(d, NULL);
			dnstap_ring_pop(ring);
		}
	}
	dnstap_enc_free(e);
}
END_TEST

START_TEST(test_encode_invalid)
{
	struct query_event ev;
	uint8_t small[16],
	    odd[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', ' ', '=', 0, 0, 1, 0, 1};
	char extra[256];
	const struct dnstap_slot *s;
	struct dnstap_enc *e;

	event(&ev, true, 0);
	dnstap_ring_observe(ring, &ev);
	s = dnstap_ring_peek(ring);
	/* Does not fit: nothing. */
	e = dnstap_enc_new(NULL, NULL);
	ck_assert_uint_eq(dnstap_encode(e, s, true, NULL, small, sizeof(small)), 0);
	dnstap_enc_free(e);
	/* Truncated text stays terminated within its buffer. */
	ck_assert_uint_lt(dnstap_extra_format(s, NULL, extra, 20), 20);
	ck_assert_uint_eq(strlen(extra), 19);
	dnstap_ring_pop(ring);
	/* A name with a space and '=' is escaped; the collector's tokens stay whole. */
	event(&ev, false, 0);
	ev.query = odd;
	ev.query_len = sizeof(odd);
	ev.response = odd;
	ev.response_len = sizeof(odd);
	ev.ecs_family = 0;
	dnstap_ring_observe(ring, &ev);
	dnstap_extra_format(dnstap_ring_peek(ring), NULL, extra, sizeof(extra));
	ck_assert_str_eq(extra, "gslb=0 name=a\\032\\061. gen=42");
	dnstap_ring_pop(ring);
}
END_TEST

static Suite *dnstap_suite(void)
{
	Suite *s = suite_create("dnstap");
	TCase *ring_tc = tcase_create("ring");
	TCase *enc = tcase_create("encoder");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(ring_tc, setup, teardown);
	tcase_add_test(ring_tc, test_ring_copy);
	tcase_add_test(ring_tc, test_ring_full);
	tcase_add_test(ring_tc, test_ring_filters);
	tcase_add_test(ring_tc, test_ring_off);
	tcase_add_test(ring_tc, test_ring_lengths_and_kinds);
	tcase_add_test(ring_tc, test_ring_wake);
	suite_add_tcase(s, ring_tc);
	tcase_add_checked_fixture(enc, setup, teardown);
	tcase_add_test(enc, test_encode_response);
	tcase_add_test(enc, test_encode_query);
	tcase_add_test(enc, test_encode_static_and_flags);
	tcase_add_test(enc, test_encode_fallback);
	tcase_add_test(enc, test_encode_lengths);
	tcase_add_test(enc, test_encode_located);
	tcase_add_test(enc, test_encode_names);
	suite_add_tcase(s, enc);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(invalid, test_ring_bounds);
	tcase_add_test(invalid, test_encode_invalid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dnstap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

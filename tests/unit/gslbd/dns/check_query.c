/* Unit tests of the query pipeline (gslbd/dns/query.c) as a function: a
 * batch of datagrams or one stream message + snapshot in, the bytes to send,
 * the counters and what an observer saw out. The zone is
 * tests/data/answer/example.com.zone. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "common/netaddr.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/query.h"
#include "gslbd/dns/query_metrics.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

#define ZONE_FILE TEST_DATA_DIR "/answer/example.com.zone"
#define ALLOWED   "127.0.0.1"
#define CLIENT    "198.51.100.1"
#define DENIED    "192.0.2.66"
#define MSGS      8

static struct snapshot *snap;
static struct query_ctx *ctx;
static uint8_t queries[MSGS][512];
static uint8_t resps[MSGS][ANSWER_MAX_MSG];
static struct sockaddr_storage peers[MSGS];
static struct query_event seen[MSGS]; /* what the observer saw, in order */
static unsigned seen_count;

static void observe(void *arg, const struct query_event *ev)
{
	ck_assert_ptr_eq(arg, &seen_count);
	ck_assert_uint_lt(seen_count, MSGS);
	seen[seen_count] = *ev;
	seen_count++;
}

/* query_wants_fn: what wants_answer says; counts the questions. */
static unsigned wants_answer;
static unsigned wants_asked;

static unsigned wants(void *arg, const struct snapshot *from)
{
	ck_assert_ptr_eq(arg, &seen_count);
	ck_assert_ptr_nonnull(from);
	wants_asked++;
	return wants_answer;
}

static void setup(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct zone_source src = {.origin = "example.com", .path = ZONE_FILE};
	struct zone_set *zs = NULL;
	struct gslb_err err;
	struct netacl *acl;

	cfg->udp_max_size = 1232;
	cfg->identity = xstrdup("ns1.test");
	cfg->version = xstrdup("gslbd-test");
	cfg->zone_count = 1;
	cfg->zones = xcalloc(1, sizeof(*cfg->zones));
	cfg->zones[0].name = xstrdup("example.com");
	cfg->zones[0].file = xstrdup(ZONE_FILE);
	cfg->zones[0].allow_transfer = xcalloc(1, sizeof(struct netprefix));
	cfg->zones[0].allow_transfer_count = 1;
	ck_assert_int_eq(netprefix_parse(ALLOWED, cfg->zones[0].allow_transfer), 0);
	/* One listener whose access list drops DENIED. */
	cfg->listen_count = 1;
	cfg->listen = xcalloc(1, sizeof(*cfg->listen));
	ck_assert_int_eq(netaddr_parse("127.0.0.1", 53, &cfg->listen[0]), 0);
	cfg->listen_acl = xcalloc(1, sizeof(*cfg->listen_acl));
	acl = &cfg->listen_acl[0];
	acl->deny = xcalloc(1, sizeof(*acl->deny));
	acl->deny_count = 1;
	ck_assert_int_eq(netprefix_parse(DENIED, acl->deny), 0);
	acl->drop = true;
	acl->set = true;
	/* A bucket of one response: the second answer to a client is limited,
	 * every second limited one slips. */
	cfg->rrl_enabled = true;
	cfg->rrl_rate = 1;
	cfg->rrl_window_ms = 1000;
	cfg->rrl_slip = 2;
	cfg->rrl_ipv4_prefix = 24;
	cfg->rrl_ipv6_prefix = 56;
	cfg->rrl_table_size = 1024;
	err.msg[0] = '\0';
	ck_assert_msg(zone_set_load(&src, 1, &zs, &err) == 0, "%s", err.msg);
	snap = snapshot_new(cfg, zs, NULL);
	ctx = query_ctx_new(QUERY_UDP);
	seen_count = 0;
}

static void teardown(void)
{
	query_ctx_free(ctx);
	snapshot_free(snap);
	metrics_shutdown();
	ctx = NULL;
	snap = NULL;
}

/* The query for name/type (with the Client Subnet 192.0.2.0/24 when ecs)
 * into queries[i]; returns its length. */
static size_t put_query(unsigned i, const char *name, ldns_rr_type t, bool ecs)
{
	static const uint8_t ecs_opt[] = {0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2};
	ldns_pkt *q = NULL;
	uint8_t *wire;
	size_t len;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x4242);
	if (ecs) {
		ldns_pkt_set_edns_udp_size(q, 1232);
		ldns_pkt_set_edns_data(
		    q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, sizeof(ecs_opt), ecs_opt));
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ck_assert_uint_le(len, sizeof(queries[i]));
	memcpy(queries[i], wire, len);
	free(wire);
	ldns_pkt_free(q);
	return len;
}

/* Message i of the batch: queries[i] (len bytes) from client. */
static void set_msg(unsigned i, size_t len, const char *client)
{
	struct query_msg *m = &query_batch_msgs(ctx)[i];
	struct sockaddr_in *sin = (struct sockaddr_in *)&peers[i];

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5300);
	ck_assert_int_eq(inet_pton(AF_INET, client, &sin->sin_addr), 1);
	m->query = queries[i];
	m->query_len = len;
	m->truncated = false;
	m->peer = (const struct sockaddr *)sin;
	m->local = NULL;
	m->resp = resps[i];
	m->resp_cap = ANSWER_MAX_MSG;
}

START_TEST(test_batch_fates)
{
	const struct metrics_shard *ms = query_ctx_metrics(ctx);
	struct query_msg *msgs = query_batch_msgs(ctx);
	struct sockaddr_in local;
	unsigned slipped = 0, dropped = 0;
	ldns_pkt *p = NULL;

	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	query_ctx_set_observer(ctx, observe, NULL, &seen_count);
	ck_assert(query_ctx_is_observed(ctx));
	set_msg(0, put_query(0, "www.example.com.", LDNS_RR_TYPE_A, true), CLIENT);
	for (unsigned i = 1; i < 5; i++)
		set_msg(i, put_query(i, "www.example.com.", LDNS_RR_TYPE_A, false), CLIENT);
	set_msg(5, put_query(5, "www.example.com.", LDNS_RR_TYPE_A, false), DENIED);
	set_msg(6, put_query(6, "www.example.com.", LDNS_RR_TYPE_A, false), "203.0.113.9");
	msgs[6].truncated = true;
	set_msg(7, put_query(7, "www.example.com.", LDNS_RR_TYPE_A, false), "203.0.113.9");
	queries[7][2] |= 0x80; /* a response: not answered */

	query_batch(ctx, snap, 0, (const struct sockaddr *)&local, MSGS);
	query_send_failed(ctx, 4);
	query_batch_finish(ctx, MSGS);
	ck_assert_uint_eq(seen_count, MSGS);

	/* The first answer passes, with its Client Subnet in the event. */
	ck_assert_int_eq(seen[0].fate, QUERY_SENT);
	ck_assert_int_eq(seen[0].transport, QUERY_UDP);
	ck_assert_int_eq(seen[0].rrl, QUERY_RRL_PASS);
	ck_assert_ptr_eq(seen[0].response, resps[0]);
	ck_assert_uint_eq(seen[0].response_len, msgs[0].resp_len);
	ck_assert_uint_gt(seen[0].response_len, 12);
	ck_assert_ptr_eq(seen[0].query, queries[0]);
	ck_assert_ptr_eq(seen[0].peer, (const struct sockaddr *)&peers[0]);
	ck_assert_ptr_eq(seen[0].local, (const struct sockaddr *)&local);
	ck_assert_ptr_eq(seen[0].snap, snap);
	ck_assert_int_eq(seen[0].res.rcode, 0);
	ck_assert_uint_eq(seen[0].ecs_family, 1);
	ck_assert_uint_eq(seen[0].ecs_source, 24);
	ck_assert_uint_eq(seen[0].ecs_scope, 0);
	ck_assert_uint_eq(seen[0].ecs_addr[0], 192);
	ck_assert_uint_eq(seen[0].ecs_addr[2], 2);
	ck_assert_uint_eq(seen[1].ecs_family, 0);
	/* The rest of the client's answers are over the rate: every second
	 * one slips as a truncated response, the others are dropped. */
	for (unsigned i = 1; i < 5; i++) {
		if (seen[i].fate == QUERY_SLIPPED) {
			slipped++;
			ck_assert_int_eq(seen[i].rrl, QUERY_RRL_SLIP);
			if (i == 4)
				continue; /* its send failed (below) */
			ck_assert_uint_eq(seen[i].response_len, msgs[i].resp_len);
			ck_assert_int_eq(ldns_wire2pkt(&p, seen[i].response, seen[i].response_len),
					 LDNS_STATUS_OK);
			ck_assert(ldns_pkt_tc(p));
			ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
			ldns_pkt_free(p);
			p = NULL;
		} else {
			ck_assert_int_eq(seen[i].fate, QUERY_RRL_DROPPED);
			ck_assert_int_eq(seen[i].rrl, QUERY_RRL_DROP);
			ck_assert_ptr_null(seen[i].response);
			ck_assert_uint_eq(msgs[i].resp_len, 0);
			dropped++;
		}
	}
	ck_assert_uint_eq(slipped, 2);
	ck_assert_uint_eq(dropped, 2);
	/* The kernel refused message 4: nothing was sent. */
	ck_assert(seen[4].send_failed);
	ck_assert_ptr_null(seen[4].response);
	ck_assert_uint_eq(seen[4].response_len, 0);
	/* The listener's access list, a truncated datagram, a response. */
	ck_assert_int_eq(seen[5].fate, QUERY_ACL_DROPPED);
	ck_assert(seen[5].listener_denied);
	ck_assert_ptr_null(seen[5].response);
	ck_assert_uint_eq(msgs[5].resp_len, 0);
	ck_assert_int_eq(seen[6].fate, QUERY_NOT_ANSWERED);
	ck_assert_uint_eq(msgs[6].resp_len, 0);
	ck_assert_int_eq(seen[7].fate, QUERY_NOT_ANSWERED);
	ck_assert_uint_eq(msgs[7].resp_len, 0);

	/* The counters say the same. */
	ck_assert_uint_eq(ms->events[METRICS_ACL_DROPPED], 1);
	ck_assert_uint_eq(ms->events[METRICS_UDP_SEND_ERROR], 1);
	ck_assert_uint_eq(ms->dropped, 2);
	ck_assert_uint_eq(ms->rrl[zone_index(seen[0].res.zone)][METRICS_RRL_SLIPPED], 2);
	ck_assert_uint_eq(ms->rrl[zone_index(seen[0].res.zone)][METRICS_RRL_DROPPED], 2);
}
END_TEST

START_TEST(test_log_only_and_no_observer)
{
	const struct metrics_shard *ms = query_ctx_metrics(ctx);
	struct query_msg *msgs = query_batch_msgs(ctx);

	((struct config *)snap->config)->rrl_log_only = true;
	/* The listener's access list refuses rather than drops. */
	((struct config *)snap->config)->listen_acl[0].drop = false;
	ck_assert(!query_ctx_is_observed(ctx));
	for (unsigned i = 0; i < 3; i++)
		set_msg(i, put_query(i, "www.example.com.", LDNS_RR_TYPE_A, false), CLIENT);
	set_msg(3, put_query(3, "www.example.com.", LDNS_RR_TYPE_A, false), DENIED);
	query_batch(ctx, snap, 0, NULL, 4);
	query_batch_finish(ctx, 4);
	/* Everything is sent in full; what would have been limited is counted. */
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_gt(msgs[i].resp_len, 12);
		ck_assert_uint_eq(resps[i][2] & 0x02, 0); /* TC clear */
	}
	ck_assert_uint_eq(ms->rrl[0][METRICS_RRL_SLIPPED] + ms->rrl[0][METRICS_RRL_DROPPED], 2);
	/* REFUSED (rcode 5) to the denied client, counted as refused. */
	ck_assert_uint_gt(msgs[3].resp_len, 12);
	ck_assert_uint_eq(resps[3][3] & 0x0f, 5);
	ck_assert_uint_eq(ms->events[METRICS_ACL_REFUSED], 1);
	ck_assert_uint_eq(ms->events[METRICS_ACL_DROPPED], 0);
	ck_assert_uint_eq(seen_count, 0);
}
END_TEST

START_TEST(test_stream)
{
	const struct metrics_shard *ms = query_ctx_metrics(ctx);
	const struct answer_result *res;
	struct sockaddr_in peer;
	size_t len;

	query_ctx_set_observer(ctx, observe, NULL, &seen_count);
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ALLOWED, &peer.sin_addr), 1);
	/* A transfer begins: the event says so and it is counted. */
	len = put_query(0, "example.com.", LDNS_RR_TYPE_AXFR, false);
	res = query_stream(ctx, snap, queries[0], len, (const struct sockaddr *)&peer, NULL,
			   resps[0], ANSWER_MAX_MSG);
	ck_assert_int_eq(res->action, ANSWER_XFR);
	ck_assert_uint_eq(seen_count, 1);
	ck_assert_int_eq(seen[0].fate, QUERY_XFR);
	ck_assert_int_eq(seen[0].transport, QUERY_UDP);
	ck_assert_ptr_null(seen[0].response);
	ck_assert_uint_eq(ms->events[METRICS_XFR], 1);
	/* An answer: sent, never rate limited. */
	for (unsigned i = 0; i < 3; i++) {
		len = put_query(1, "www.example.com.", LDNS_RR_TYPE_A, true);
		res = query_stream(ctx, snap, queries[1], len, (const struct sockaddr *)&peer, NULL,
				   resps[1], ANSWER_MAX_MSG);
		ck_assert_int_eq(res->action, ANSWER_SEND);
		ck_assert_int_eq(seen[1 + i].fate, QUERY_SENT);
		ck_assert_int_eq(seen[1 + i].rrl, QUERY_RRL_NONE);
		ck_assert_ptr_eq(seen[1 + i].response, resps[1]);
		ck_assert_uint_eq(seen[1 + i].response_len, res->len);
		ck_assert_uint_eq(seen[1 + i].ecs_source, 24);
	}
	ck_assert_uint_eq(ms->events[METRICS_XFR], 1);
}
END_TEST

/* An observer that wants none of a snapshot's messages sees none of them,
 * in batches and streams; one that wants them sees every one. */
START_TEST(test_observer_wants)
{
	struct sockaddr_in peer;
	size_t len;

	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ALLOWED, &peer.sin_addr), 1);
	for (int want = 0; want < 2; want++) {
		seen_count = 0;
		wants_asked = 0;
		wants_answer = want;
		query_ctx_set_observer(ctx, observe, wants, &seen_count);
		ck_assert(query_ctx_is_observed(ctx));
		for (unsigned i = 0; i < 2; i++)
			set_msg(i, put_query(i, "www.example.com.", LDNS_RR_TYPE_A, false), ALLOWED);
		query_batch(ctx, snap, 0, NULL, 2);
		query_batch_finish(ctx, 2);
		ck_assert_uint_ge(wants_asked, 1);
		len = put_query(2, "www.example.com.", LDNS_RR_TYPE_A, false);
		query_stream(ctx, snap, queries[2], len, (const struct sockaddr *)&peer, NULL,
			     resps[2], ANSWER_MAX_MSG);
		ck_assert_uint_eq(seen_count, want ? 3 : 0);
	}
}
END_TEST

/* One in three: the observer sees the first answered message and every
 * third after it, each saying how many it did not see; a message that is
 * not answered (truncated) is not counted. */
START_TEST(test_observer_sampled)
{
	struct query_msg *msgs = query_batch_msgs(ctx);

	seen_count = 0;
	wants_answer = 3;
	query_ctx_set_observer(ctx, observe, wants, &seen_count);
	for (unsigned i = 0; i < 7; i++)
		set_msg(i, put_query(i, "www.example.com.", LDNS_RR_TYPE_A, false), ALLOWED);
	msgs[1].truncated = true;
	query_batch(ctx, snap, 0, NULL, 7);
	query_batch_finish(ctx, 7);
	ck_assert_uint_eq(seen_count, 2);
	ck_assert_ptr_eq(seen[0].query, queries[0]);
	ck_assert_uint_eq(seen[0].skipped, 0);
	ck_assert_ptr_eq(seen[1].query, queries[4]);
	ck_assert_uint_eq(seen[1].skipped, 2);
	ck_assert_uint_gt(seen[1].received.tv_sec, 0);
}
END_TEST

static Suite *query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("valid");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_batch_fates);
	tcase_add_test(tc, test_log_only_and_no_observer);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_observer_wants);
	tcase_add_test(tc, test_observer_sampled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(query_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

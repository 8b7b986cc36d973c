/* Unit tests of gslbd/dns/wire.c: query parsing (EDNS, Client Subnet, garbage)
 * and the compressing response writer, read back with ldns. */
#include <config.h>

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

/* A query under construction. */
struct pkt {
	uint8_t b[1024]; /* bytes */
	size_t len;      /* bytes used */
};

static void put16(struct pkt *p, uint16_t v)
{
	p->b[p->len++] = (uint8_t)(v >> 8);
	p->b[p->len++] = (uint8_t)v;
}

static void put_bytes(struct pkt *p, const void *d, size_t n)
{
	if (n > 0)
		memcpy(p->b + p->len, d, n);
	p->len += n;
}

/* Header with the given counts, then "WwW.Example.COM A IN". */
static void start(struct pkt *p, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	p->len = 0;
	put16(p, 0xbeef);
	put16(p, 0x0100);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
	put_bytes(p, "\3WwW\7Example\3COM", 17);
	put16(p, 1);
	put16(p, 1);
}

/* OPT record with version and the given option bytes. */
static void put_opt(struct pkt *p, uint8_t version, bool dnssec_ok, const uint8_t *opts, size_t n)
{
	p->b[p->len++] = 0;
	put16(p, WIRE_TYPE_OPT);
	put16(p, 4096);
	p->b[p->len++] = 0;
	p->b[p->len++] = version;
	put16(p, dnssec_ok ? 0x8000 : 0);
	put16(p, (uint16_t)n);
	put_bytes(p, opts, n);
}

/* An ECS option: family, source, scope, address bytes. */
static size_t ecs(uint8_t *out, uint16_t family, uint8_t source, uint8_t scope, const uint8_t *addr,
		  size_t alen)
{
	out[0] = 0;
	out[1] = WIRE_EDNS_OPT_ECS;
	out[2] = (uint8_t)((4 + alen) >> 8);
	out[3] = (uint8_t)(4 + alen);
	out[4] = (uint8_t)(family >> 8);
	out[5] = (uint8_t)family;
	out[6] = source;
	out[7] = scope;
	if (alen > 0)
		memcpy(out + 8, addr, alen);
	return 8 + alen;
}

/* A question of the given wire name (len bytes) for type A. */
static void question(struct pkt *p, const uint8_t *name, size_t len)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, 0);
	put16(p, 1);
	put16(p, 0);
	put16(p, 0);
	put16(p, 0);
	put_bytes(p, name, len);
	put16(p, 1);
	put16(p, 1);
}

/* Names whose labels span the word-at-a-time copy: long mixed-case labels
 * are lowered exactly, 255 bytes is the limit, labels of 64 are refused. */
START_TEST(test_parse_long_names)
{
	uint8_t name[300], want[300];
	struct wire_query q;
	struct pkt p;
	size_t len = 0;

	/* 63 + 63 + 63 + 61 label bytes, with length bytes and root: 255. */
	for (int l = 0; l < 4; l++) {
		unsigned n = l < 3 ? 63 : 61;

		name[len] = want[len] = (uint8_t)n;
		len++;
		for (unsigned i = 0; i < n; i++, len++) {
			name[len] = (uint8_t)((i % 2) ? 'A' + (i % 26) : 'a' + (i % 26));
			want[len] = (uint8_t)('a' + (i % 26));
		}
	}
	name[len] = want[len] = 0;
	len++;
	ck_assert_uint_eq(len, 255);
	question(&p, name, len);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert_uint_eq(q.qname_len, 255);
	ck_assert(memcmp(q.qname, name, len) == 0);
	ck_assert(memcmp(q.lname, want, len) == 0);
	/* One byte more (the last label 62 long): 256, refused. */
	name[len - 62 - 1] = 62;
	memmove(name + len - 62 + 62, name + len - 1, 1);
	name[len - 1] = 'x';
	name[len] = 0;
	question(&p, name, len + 1);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* A label of 64 bytes. */
	name[0] = 64;
	memset(name + 1, 'Q', 64);
	name[65] = 0;
	question(&p, name, 66);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* Non-letters are kept as they are; only A-Z are lowered. */
	memcpy(name, "\x0b@[`{Z_9-\xc3\x89Z\0", 13);
	question(&p, name, 13);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert(memcmp(q.lname, "\x0b@[`{z_9-\xc3\x89z\0", 13) == 0);
}
END_TEST

START_TEST(test_parse_plain)
{
	struct wire_query q;
	struct pkt p;

	start(&p, 1, 0, 0, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert_uint_eq(q.id, 0xbeef);
	ck_assert(q.has_question);
	ck_assert_uint_eq(q.qname_len, 17);
	ck_assert(memcmp(q.qname, "\3WwW\7Example\3COM", 17) == 0);
	ck_assert(memcmp(q.lname, "\3www\7example\3com", 17) == 0);
	ck_assert_uint_eq(q.qtype, 1);
	ck_assert_uint_eq(q.qclass, 1);
	ck_assert(!q.has_edns);
	ck_assert(!q.has_ecs);
}
END_TEST

START_TEST(test_parse_edns_ecs)
{
	static const uint8_t v4[] = {192, 0, 2};
	static const uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x80};
	uint8_t opts[64];
	size_t n;
	struct wire_query q;
	struct pkt p;

	/* IPv4 /24 and an unknown option that is ignored. */
	n = ecs(opts, 1, 24, 0, v4, sizeof(v4));
	memcpy(opts + n, "\xfd\xe9\0\2ab", 6);
	n += 6;
	start(&p, 1, 0, 0, 1);
	put_opt(&p, 0, true, opts, n);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert(q.has_edns && q.edns_ok && q.edns_do);
	ck_assert_uint_eq(q.edns_size, 4096);
	ck_assert_uint_eq(q.edns_version, 0);
	ck_assert(q.has_ecs);
	ck_assert_uint_eq(q.ecs_family, 1);
	ck_assert_uint_eq(q.ecs_source, 24);
	ck_assert_uint_eq(q.ecs_addr_len, 3);
	ck_assert(memcmp(q.ecs_addr, v4, 3) == 0);

	/* IPv6 /49: the last byte keeps its top bit only. */
	n = ecs(opts, 2, 49, 0, v6, sizeof(v6));
	start(&p, 1, 0, 0, 1);
	put_opt(&p, 0, false, opts, n);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert(q.has_ecs && !q.edns_do);
	ck_assert_uint_eq(q.ecs_family, 2);
	ck_assert_uint_eq(q.ecs_source, 49);
	ck_assert_uint_eq(q.ecs_addr_len, 7);

	/* /0 carries no address. */
	n = ecs(opts, 1, 0, 0, NULL, 0);
	start(&p, 1, 0, 0, 1);
	put_opt(&p, 0, false, opts, n);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert(q.has_ecs);
	ck_assert_uint_eq(q.ecs_addr_len, 0);

	/* Version 1 parses; the caller answers BADVERS. */
	start(&p, 1, 0, 0, 1);
	put_opt(&p, 1, false, NULL, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert_uint_eq(q.edns_version, 1);
}
END_TEST

START_TEST(test_parse_other_sections)
{
	struct wire_query q;
	struct pkt p;

	/* A record in the answer section and a SOA in authority (IXFR) parse. */
	start(&p, 1, 1, 1, 0);
	put_bytes(&p, "\300\14\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 16);
	put_bytes(&p, "\300\20\0\6\0\1\0\0\0\0\0\26\0\0", 14);
	put_bytes(&p, "\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_OK);
	ck_assert(q.auth_has_soa);
}
END_TEST

START_TEST(test_parse_invalid)
{
	static const uint8_t v4[] = {192, 0, 3};
	uint8_t opts[64];
	struct wire_query q;
	struct pkt p;
	size_t n;

	start(&p, 0, 0, 0, 0);
	ck_assert_int_eq(wire_query_parse(p.b, 12, &q), WIRE_QUERY_FORMERR);
	ck_assert(!q.has_question);
	start(&p, 2, 0, 0, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* Truncated question. */
	start(&p, 1, 0, 0, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len - 1, &q), WIRE_QUERY_FORMERR);
	ck_assert(!q.has_question);
	ck_assert_int_eq(wire_query_parse(p.b, 20, &q), WIRE_QUERY_FORMERR);
	/* Compressed question name. */
	p.len = 12;
	put_bytes(&p, "\300\2\0\1\0\1", 6);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* Trailing bytes. */
	start(&p, 1, 0, 0, 0);
	put16(&p, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	ck_assert(q.has_question);
	/* ANCOUNT promises a record that is not there. */
	start(&p, 1, 1, 0, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* Garbage in additional. */
	start(&p, 1, 0, 0, 1);
	put_bytes(&p, "\377\377\377", 3);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* Two OPT records. */
	start(&p, 1, 0, 0, 2);
	put_opt(&p, 0, false, NULL, 0);
	put_opt(&p, 0, false, NULL, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* OPT in the answer section. */
	start(&p, 1, 1, 0, 0);
	put_opt(&p, 0, false, NULL, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	/* OPT owned by a name other than the root. */
	start(&p, 1, 0, 0, 1);
	p.b[p.len++] = 1;
	p.b[p.len++] = 'x';
	put_opt(&p, 0, false, NULL, 0);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	ck_assert(!q.edns_ok);
	/* An option running past the OPT rdata. */
	start(&p, 1, 0, 0, 1);
	put_opt(&p, 0, false, (const uint8_t *)"\0\10\0\11\0\1\30", 7);
	ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	ck_assert(!q.edns_ok);

	/* Client Subnet errors: the OPT itself is fine (echoed in FORMERR). */
	{
		struct {
			uint16_t family;
			uint8_t source, scope;
			size_t alen;
		} bad[] = {
		    {3, 24, 0, 3},   /* unknown family */
		    {1, 33, 0, 5},   /* source too long for IPv4 */
		    {2, 129, 0, 16}, /* source too long for IPv6 */
		    {1, 24, 8, 3},   /* scope set in a query */
		    {1, 24, 0, 4},   /* address longer than the prefix */
		    {1, 24, 0, 2},   /* address shorter than the prefix */
		    {1, 23, 0, 3},   /* bits set past the prefix (192.0.3 / 23) */
		};
		static const uint8_t addr[16] = {192, 0, 3, 0};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n = ecs(opts, bad[i].family, bad[i].source, bad[i].scope,
				bad[i].family == 1 && bad[i].alen <= 3 ? v4 : addr, bad[i].alen);
			start(&p, 1, 0, 0, 1);
			put_opt(&p, 0, false, opts, n);
			ck_assert_msg(wire_query_parse(p.b, p.len, &q) == WIRE_QUERY_FORMERR,
				      "ECS case %zu accepted", i);
			ck_assert(q.edns_ok);
			ck_assert(!q.has_ecs);
		}
		/* Two ECS options. */
		n = ecs(opts, 1, 24, 0, (const uint8_t *)"\300\0\2", 3);
		n += ecs(opts + n, 1, 24, 0, (const uint8_t *)"\300\0\2", 3);
		start(&p, 1, 0, 0, 1);
		put_opt(&p, 0, false, opts, n);
		ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
		/* ECS option shorter than its fixed part. */
		start(&p, 1, 0, 0, 1);
		put_opt(&p, 0, false, (const uint8_t *)"\0\10\0\2\0\1", 6);
		ck_assert_int_eq(wire_query_parse(p.b, p.len, &q), WIRE_QUERY_FORMERR);
	}
}
END_TEST

/* Records for the writer tests, built by hand in the packed zone format. */
struct rrset_buf {
	struct zone_rrset rs; /* the RRset */
	uint8_t data[512];    /* its packed rdata */
};

static void rrset_init(struct rrset_buf *b, uint16_t type, uint32_t ttl)
{
	b->rs.type = type;
	b->rs.ttl = ttl;
	b->rs.rr_count = 0;
	b->rs.rdata = b->data;
	b->rs.rdata_len = 0;
}

static void rrset_add(struct rrset_buf *b, const void *rd, size_t n)
{
	b->data[b->rs.rdata_len] = (uint8_t)(n >> 8);
	b->data[b->rs.rdata_len + 1] = (uint8_t)n;
	memcpy(b->data + b->rs.rdata_len + 2, rd, n);
	b->rs.rdata_len += (uint32_t)(n + 2);
	b->rs.rr_count++;
}

static char *rr_str(ldns_rr_list *l, size_t i)
{
	char *s = ldns_rr2str(ldns_rr_list_rr(l, i));

	for (char *c = s; *c != '\0'; c++) {
		if (*c == '\t')
			*c = ' ';
	}
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static void assert_rr(ldns_rr_list *l, size_t i, const char *want)
{
	char *s = rr_str(l, i);

	ck_assert_str_eq(s, want);
	free(s);
}

START_TEST(test_writer_compression)
{
	uint8_t buf[512];
	struct wire_writer w;
	struct rrset_buf a, cname, mx, soa, srv;
	ldns_pkt *pkt = NULL;
	char *s;

	rrset_init(&a, WIRE_TYPE_A, 300);
	rrset_add(&a, "\300\0\2\1", 4);
	rrset_add(&a, "\300\0\2\2", 4);
	rrset_init(&cname, WIRE_TYPE_CNAME, 60);
	rrset_add(&cname, "\3www\7example\3com", 17);
	rrset_init(&mx, WIRE_TYPE_MX, 60);
	rrset_add(&mx, "\0\12\4Mail\7EXAMPLE\3com", 20);
	rrset_init(&soa, WIRE_TYPE_SOA, 60);
	rrset_add(&soa,
		  "\3ns1\7example\3com\0\4host\7example\3com\0"
		  "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5",
		  17 + 18 + 20);
	rrset_init(&srv, WIRE_TYPE_SRV, 60);
	rrset_add(&srv, "\0\0\0\5\23\304\3www\7example\3com", 6 + 17);

	wire_writer_init(&w, buf, sizeof(buf), 0x1234, WIRE_QR | WIRE_AA);
	ck_assert(wire_put_question(&w, (const uint8_t *)"\3WwW\7Example\3COM", 17, 1, 1));
	ck_assert(wire_put_rrset(&w, WIRE_ANSWER, WIRE_OWNER_QNAME, &a.rs, 300));
	/* Owner pointer to 12, then the second record points to the same. */
	ck_assert(memcmp(buf + 33, "\300\14\0\1\0\1", 6) == 0);
	ck_assert(memcmp(buf + 33 + 16, "\300\14", 2) == 0);
	ck_assert(wire_put_rrset(&w, WIRE_ANSWER, (const uint8_t *)"\5alias\7example\3com",
				 &cname.rs, 60));
	/* "alias" then a pointer to "Example.COM" of the question (offset 16). */
	ck_assert(memcmp(buf + 65, "\5alias\300\20", 8) == 0);
	/* The CNAME target is all pointer: to the question at 12. */
	ck_assert(memcmp(buf + 65 + 8 + 10, "\300\14", 2) == 0);
	ck_assert(
	    wire_put_rrset(&w, WIRE_AUTHORITY, (const uint8_t *)"\7example\3com", &soa.rs, 60));
	ck_assert(
	    wire_put_rrset(&w, WIRE_ADDITIONAL, (const uint8_t *)"\7example\3com", &mx.rs, 60));
	ck_assert(wire_put_rrset(&w, WIRE_ADDITIONAL, (const uint8_t *)"\4_sip\7example\3com",
				 &srv.rs, 60));
	/* The SRV target stays uncompressed (RFC 2782). */
	ck_assert(memcmp(buf + w.len - 17, "\3www\7example\3com", 17) == 0);
	wire_writer_finish(&w, WIRE_QR | WIRE_AA);
	ck_assert_uint_eq(w.count[WIRE_ANSWER], 3);

	ck_assert_int_eq(ldns_wire2pkt(&pkt, buf, w.len), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_id(pkt), 0x1234);
	ck_assert(ldns_pkt_aa(pkt));
	s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
	ck_assert_str_eq(s, "WwW.Example.COM.");
	free(s);
	assert_rr(ldns_pkt_answer(pkt), 0, "WwW.Example.COM. 300 IN A 192.0.2.1");
	assert_rr(ldns_pkt_answer(pkt), 1, "WwW.Example.COM. 300 IN A 192.0.2.2");
	assert_rr(ldns_pkt_answer(pkt), 2, "alias.Example.COM. 60 IN CNAME WwW.Example.COM.");
	assert_rr(ldns_pkt_authority(pkt), 0,
		  "Example.COM. 60 IN SOA ns1.Example.COM. host.Example.COM. 1 2 3 4 5");
	assert_rr(ldns_pkt_additional(pkt), 0, "Example.COM. 60 IN MX 10 Mail.Example.COM.");
	assert_rr(ldns_pkt_additional(pkt), 1,
		  "_sip.Example.COM. 60 IN SRV 0 5 5060 www.example.com.");
	ldns_pkt_free(pkt);
}
END_TEST

START_TEST(test_writer_rollback)
{
	uint8_t buf[512];
	struct wire_writer w;
	struct rrset_buf a;
	struct wire_mark m;

	rrset_init(&a, WIRE_TYPE_A, 300);
	for (int i = 0; i < 4; i++)
		rrset_add(&a, "\300\0\2\1", 4);
	wire_writer_init(&w, buf, 12 + 21 + 16 * 3, 1, 0);
	ck_assert(wire_put_question(&w, (const uint8_t *)"\3www\7example\3com", 17, 1, 1));
	wire_mark_save(&w, &m);
	/* Three of four records would fit: nothing is written. */
	ck_assert(
	    !wire_put_rrset(&w, WIRE_ANSWER, (const uint8_t *)"\3www\7example\3com", &a.rs, 300));
	ck_assert_uint_eq(w.len, m.len);
	ck_assert_uint_eq(w.count[WIRE_ANSWER], 0);
	ck_assert_uint_eq(w.comp_count, m.comp_count);
	/* A single record fits. */
	ck_assert(wire_put_rr(&w, WIRE_ANSWER, WIRE_OWNER_QNAME, 1, 1, 5,
			      (const uint8_t *)"\1\2\3\4", 4));
	ck_assert_uint_eq(w.len, m.len + 16);
	/* A question does not fit into a nearly full message. */
	w.limit = w.len + 20;
	ck_assert(!wire_put_question(&w, (const uint8_t *)"\3www\7example\3com", 17, 1, 1));
}
END_TEST

START_TEST(test_writer_table_full)
{
	uint8_t buf[8192];
	struct wire_writer w;
	ldns_pkt *pkt = NULL;
	uint8_t name[64];

	/* More distinct names than the table holds: later ones are written in
	 * full and the message stays valid. */
	wire_writer_init(&w, buf, sizeof(buf), 1, WIRE_QR);
	ck_assert(wire_put_question(&w, (const uint8_t *)"\7example\3com", 13, 1, 1));
	for (int i = 0; i < 100; i++) {
		int n = snprintf((char *)name + 1, sizeof(name) - 1, "h%d", i);

		name[0] = (uint8_t)n;
		memcpy(name + 1 + n, "\7example\3com", 13);
		ck_assert(
		    wire_put_rr(&w, WIRE_ANSWER, name, 1, 1, 1, (const uint8_t *)"\1\2\3\4", 4));
	}
	ck_assert_uint_eq(w.comp_count, WIRE_COMP_MAX);
	wire_writer_finish(&w, WIRE_QR);
	ck_assert_int_eq(ldns_wire2pkt(&pkt, buf, w.len), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_ancount(pkt), 100);
	assert_rr(ldns_pkt_answer(pkt), 99, "h99.example.com. 1 IN A 1.2.3.4");
	ldns_pkt_free(pkt);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_test(valid, test_parse_plain);
	tcase_add_test(valid, test_parse_long_names);
	tcase_add_test(valid, test_parse_edns_ecs);
	tcase_add_test(valid, test_parse_other_sections);
	tcase_add_test(valid, test_writer_compression);
	tcase_add_test(valid, test_writer_rollback);
	tcase_add_test(valid, test_writer_table_full);
	tcase_add_test(invalid, test_parse_invalid);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

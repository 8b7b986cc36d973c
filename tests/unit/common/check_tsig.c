/* Unit tests of common/tsig: requests signed by dig verify (hmac-sha256,
 * hmac-sha512), BADSIG, BADKEY, BADTIME, BADTRUNC and FORMERR, the error
 * answers RFC 8945 5.2 asks for, a multi-message stream with unsigned
 * messages (RFC 8945 5.3.1), and the key file format of BIND and Knot. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/tsig.h"

/* dig -y hmac-sha256:transfer.key.:c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=
 *     example.com SOA +noedns +nocookie   (signed at 0x6b172b03) */
static const uint8_t q256[] = {
	0x63, 0xd5, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x06, 0x00, 0x01, 0x08, 0x74, 0x72, 0x61, 0x6e, 0x73, 0x66,
	0x65, 0x72, 0x03, 0x6b, 0x65, 0x79, 0x00, 0x00, 0xfa, 0x00, 0xff, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x3d, 0x0b, 0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73,
	0x68, 0x61, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x6b, 0x17, 0x2b, 0x03,
	0x01, 0x2c, 0x00, 0x20, 0xb4, 0x2f, 0x56, 0xbd, 0xbd, 0x66, 0xbf, 0x16,
	0x44, 0x26, 0x64, 0x09, 0xd9, 0x64, 0xef, 0x39, 0xe6, 0xca, 0xe5, 0x6f,
	0x9c, 0xcc, 0xde, 0x95, 0x8d, 0xf2, 0x17, 0x1f, 0x6c, 0x3f, 0xf0, 0xea,
	0x63, 0xd5, 0x00, 0x00, 0x00, 0x00
};
#define Q256_TIME 0x6b172b03u

/* dig -y hmac-sha512:Other-Key:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
 *     example.com IXFR=5 +notcp +noedns   (signed at 0x6b172b08) */
static const uint8_t q512[] = {
	0x93, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0xfb, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x06, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x09, 0x6f, 0x74, 0x68, 0x65, 0x72, 0x2d, 0x6b, 0x65,
	0x79, 0x00, 0x00, 0xfa, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d,
	0x0b, 0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x35, 0x31, 0x32,
	0x00, 0x00, 0x00, 0x6b, 0x17, 0x2b, 0x08, 0x01, 0x2c, 0x00, 0x40, 0xaf,
	0xfa, 0xe6, 0x8c, 0xbe, 0x9d, 0x8e, 0x0c, 0xfe, 0xe0, 0xa6, 0xe2, 0xdc,
	0xb8, 0x2a, 0x88, 0xbc, 0xb5, 0xd3, 0x8f, 0xbe, 0x86, 0x93, 0xaa, 0xd5,
	0x31, 0x05, 0x67, 0xb3, 0x88, 0xf6, 0x86, 0x19, 0x6b, 0x38, 0xd8, 0x6a,
	0x5c, 0xb8, 0x91, 0x59, 0xa0, 0xce, 0x7a, 0xa9, 0x56, 0x8a, 0x45, 0x74,
	0x3d, 0x20, 0x15, 0x45, 0xf9, 0xc6, 0x1c, 0x55, 0x58, 0x17, 0x15, 0x74,
	0x14, 0x40, 0xb1, 0x93, 0x18, 0x00, 0x00, 0x00, 0x00
};
#define Q512_TIME 0x6b172b08u

static struct tsig_key keys[3];
static struct gslb_err err;
static uint8_t buf[4096];

static void setup(void)
{
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tsig_key_init(&keys[0], "other-key", "hmac-sha512",
				       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", &err),
			 0);
	ck_assert_int_eq(tsig_key_init(&keys[1], "Transfer.Key.", "hmac-sha256",
				       "c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=", &err),
			 0);
	ck_assert_int_eq(tsig_key_init(&keys[2], "wrong", "hmac-sha256",
				       "d3Jvbmctd3Jvbmctd3Jvbmc=", &err),
			 0);
}

START_TEST(test_dig_vectors_verify)
{
	struct tsig_ctx ctx;

	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys, 3, Q256_TIME), TSIG_OK);
	ck_assert_ptr_eq(ctx.key, &keys[1]);
	ck_assert_uint_eq(ctx.mac_len, 32);
	ck_assert_int_eq(tsig_verify_request(&ctx, q512, sizeof(q512), keys, 3, Q512_TIME + 299),
			 TSIG_OK);
	ck_assert_ptr_eq(ctx.key, &keys[0]);
	ck_assert_uint_eq(ctx.mac_len, 64);
	/* Unsigned: nothing to verify. */
	memcpy(buf, q256, 29);
	buf[11] = 0;
	ck_assert_int_eq(tsig_verify_request(&ctx, buf, 29, keys, 3, Q256_TIME), TSIG_UNSIGNED);
}
END_TEST

/* A response message m of a stream to the 29-byte request req. */
static size_t response(uint8_t *resp, const uint8_t *req, int m)
{
	memcpy(resp, req, 29);
	resp[2] |= 0x84;
	resp[11] = 0;
	resp[26] = (uint8_t)m; /* differ per message (the question's type) */
	return 29;
}

/* Sign a request under each algorithm, verify it as a server, sign a
 * stream of responses and verify them as the client: every message signed,
 * then (as RFC 8945 5.3.1 allows) two unsigned ones folded into the next
 * MAC by both sides. */
START_TEST(test_round_trip_stream)
{
	static const enum tsig_alg all[] = {TSIG_HMAC_MD5, TSIG_HMAC_SHA1, TSIG_HMAC_SHA224,
					    TSIG_HMAC_SHA256, TSIG_HMAC_SHA384, TSIG_HMAC_SHA512};

	for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++) {
		struct tsig_key k;
		struct tsig_ctx client, server;
		uint8_t req[512], resp[512];
		size_t len = 29, rlen;

		ck_assert_int_eq(tsig_key_init(&k, "k", tsig_alg_name(all[a]),
					       "c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=", &err),
				 0);
		memcpy(req, q256, 29);
		req[11] = 0;
		tsig_ctx_init(&client, &k);
		ck_assert_int_eq(tsig_sign(&client, req, &len, sizeof(req), 1000), 0);
		ck_assert_uint_eq(len, 29 + tsig_rr_len(&k));
		ck_assert_int_eq(tsig_verify_request(&server, req, len, &k, 1, 1100), TSIG_OK);
		for (int m = 0; m < 3; m++) {
			rlen = response(resp, req, m);
			ck_assert_int_eq(tsig_sign(&server, resp, &rlen, sizeof(resp), 1100), 0);
			ck_assert_int_eq(tsig_verify_next(&client, resp, rlen, 1100), TSIG_OK);
		}
		/* A changed message does not verify. */
		rlen = response(resp, req, 3);
		ck_assert_int_eq(tsig_sign(&server, resp, &rlen, sizeof(resp), 1100), 0);
		resp[26] ^= 1;
		ck_assert_int_eq(tsig_verify_next(&client, resp, rlen, 1100), TSIG_BADSIG);
		tsig_ctx_fini(&client);
		tsig_ctx_fini(&server);
	}
}
END_TEST

/* The client folds unsigned messages into the next MAC: a signer that
 * skipped them (signing only its own view) does not verify. */
START_TEST(test_stream_unsigned_messages)
{
	struct tsig_ctx client, server;
	uint8_t req[512], resp[512];
	size_t len = 29, rlen;

	memcpy(req, q256, 29);
	req[11] = 0;
	tsig_ctx_init(&client, &keys[1]);
	ck_assert_int_eq(tsig_sign(&client, req, &len, sizeof(req), 1000), 0);
	ck_assert_int_eq(tsig_verify_request(&server, req, len, keys, 2, 1000), TSIG_OK);
	rlen = response(resp, req, 0);
	ck_assert_int_eq(tsig_sign(&server, resp, &rlen, sizeof(resp), 1000), 0);
	ck_assert_int_eq(tsig_verify_next(&client, resp, rlen, 1000), TSIG_OK);
	rlen = response(resp, req, 1);
	ck_assert_int_eq(tsig_verify_next(&client, resp, rlen, 1000), TSIG_UNSIGNED);
	ck_assert_uint_eq(client.unsigned_count, 1);
	rlen = response(resp, req, 2);
	ck_assert_int_eq(tsig_sign(&server, resp, &rlen, sizeof(resp), 1000), 0);
	ck_assert_int_eq(tsig_verify_next(&client, resp, rlen, 1000), TSIG_BADSIG);
	tsig_ctx_fini(&client);
	tsig_ctx_fini(&server);
}
END_TEST

START_TEST(test_errors)
{
	struct tsig_ctx ctx;
	struct tsig_rr rr;
	size_t len;

	/* BADKEY: an unknown key; the answer is unsigned, naming it. */
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys + 2, 1, Q256_TIME),
			 TSIG_BADKEY);
	memcpy(buf, q256, 29);
	buf[2] |= 0x80;
	buf[11] = 0;
	len = 29;
	ck_assert_int_eq(tsig_sign(&ctx, buf, &len, sizeof(buf), Q256_TIME), 0);
	ck_assert_int_eq(tsig_find(buf, len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADKEY);
	ck_assert_uint_eq(rr.mac_len, 0);
	ck_assert_uint_eq(rr.key_len, 14);
	ck_assert_mem_eq(rr.key, "\x08transfer\x03key", 14);
	/* BADKEY: right name, other algorithm. */
	keys[1].alg = TSIG_HMAC_SHA512;
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys, 2, Q256_TIME),
			 TSIG_BADKEY);
	keys[1].alg = TSIG_HMAC_SHA256;
	/* BADSIG: the message changed, or the secret differs. */
	memcpy(buf, q256, sizeof(q256));
	buf[13] ^= 0x20; /* eXample: the MAC covers case */
	ck_assert_int_eq(tsig_verify_request(&ctx, buf, sizeof(q256), keys, 2, Q256_TIME),
			 TSIG_BADSIG);
	len = 29;
	buf[2] |= 0x80;
	buf[11] = 0;
	ck_assert_int_eq(tsig_sign(&ctx, buf, &len, sizeof(buf), Q256_TIME), 0);
	ck_assert_int_eq(tsig_find(buf, len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADSIG);
	ck_assert_uint_eq(rr.mac_len, 0);
	keys[1].secret[0] ^= 1;
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys, 2, Q256_TIME),
			 TSIG_BADSIG);
	keys[1].secret[0] ^= 1;
	/* BADTIME: outside the fudge (300 s); the answer is signed and
	 * carries our time. */
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys, 2, Q256_TIME + 301),
			 TSIG_BADTIME);
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), keys, 2, Q256_TIME - 301),
			 TSIG_BADTIME);
	memcpy(buf, q256, 29);
	buf[2] |= 0x80;
	buf[11] = 0;
	len = 29;
	ck_assert_int_eq(tsig_sign(&ctx, buf, &len, sizeof(buf), Q256_TIME - 301), 0);
	ck_assert_int_eq(tsig_find(buf, len, &rr), 1);
	ck_assert_uint_eq(rr.error, TSIG_ERR_BADTIME);
	ck_assert_uint_eq(rr.mac_len, 32);
	ck_assert_uint_eq(rr.time_signed, Q256_TIME);
	ck_assert_uint_eq(rr.other_len, 6);
	/* Truncated MAC: 16 of 32 bytes verify but are not accepted; fewer
	 * than 16 is FORMERR. */
	memcpy(buf, q256, sizeof(q256));
	len = sizeof(q256);
	{
		size_t macpos = 76; /* MAC size field at 74 */
		size_t tail = len - (macpos + 32);

		buf[75] = 16;
		memmove(buf + macpos + 16, buf + macpos + 32, tail);
		len -= 16;
		buf[52] = (uint8_t)(buf[52] - 16); /* rdlength low byte */
		ck_assert_int_eq(tsig_verify_request(&ctx, buf, len, keys, 2, Q256_TIME),
				 TSIG_BADTRUNC);
		buf[75] = 8;
		memmove(buf + macpos + 8, buf + macpos + 16, tail);
		len -= 8;
		buf[52] = (uint8_t)(buf[52] - 8);
		ck_assert_int_eq(tsig_verify_request(&ctx, buf, len, keys, 2, Q256_TIME),
				 TSIG_FORMERR);
	}
	/* TSIG not last: FORMERR. */
	memcpy(buf, q256, sizeof(q256));
	memcpy(buf + sizeof(q256), "\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x01\x02\x03\x04", 15);
	buf[11] = 2;
	ck_assert_int_eq(tsig_verify_request(&ctx, buf, sizeof(q256) + 15, keys, 2, Q256_TIME),
			 TSIG_FORMERR);
	/* No room. */
	memcpy(buf, q256, 29);
	buf[11] = 0;
	len = 29;
	tsig_ctx_init(&ctx, &keys[1]);
	ck_assert_int_eq(tsig_sign(&ctx, buf, &len, 60, 1), GSLB_ENOSPC);
	ck_assert_uint_eq(len, 29);
}
END_TEST

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "tsig-keys-%d.conf", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_keyfile_valid)
{
	struct tsig_key *k = NULL;
	size_t n = 0;
	char *path = write_tmp("# tsig-keygen output\n"
			       "key \"transfer.key\" {\n"
			       "\talgorithm hmac-sha256;\n"
			       "\tsecret \"c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=\";\n"
			       "};\n"
			       "/* a second one */ key other-key { algorithm \"hmac-sha512\"; // x\n"
			       " secret \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"; };\n");
	struct tsig_ctx ctx;

	ck_assert_int_eq(tsig_keyfile_load(path, &k, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(k[0].name, "transfer.key");
	ck_assert_int_eq(k[0].alg, TSIG_HMAC_SHA256);
	ck_assert_uint_eq(k[0].secret_len, 32);
	ck_assert_int_eq(k[1].alg, TSIG_HMAC_SHA512);
	ck_assert_int_eq(tsig_verify_request(&ctx, q256, sizeof(q256), k, n, Q256_TIME), TSIG_OK);
	free(k);
	unlink(path);
}
END_TEST

static void keyfile_fails(const char *text, const char *msg)
{
	struct tsig_key *k = NULL;
	size_t n = 0;
	char *path = write_tmp(text);
	char want[512];

	ck_assert_int_ne(tsig_keyfile_load(path, &k, &n, &err), 0);
	ck_assert_ptr_null(k);
	snprintf(want, sizeof(want), "%s%s", path, msg);
	ck_assert_str_eq(err.msg, want);
	unlink(path);
}

START_TEST(test_keyfile_invalid)
{
	keyfile_fails("key k { algorithm hmac-sha256; secret \"!!\"; };\n",
		      ":1:39: key 'k': the secret is not base64 (or longer than 512 bytes)");
	keyfile_fails("key k {\n  algorithm hmac-sha3;\n  secret \"AAAA\";\n};\n",
		      ":2:13: key 'k': unknown algorithm 'hmac-sha3' (hmac-md5, hmac-sha1, "
		      "hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)");
	keyfile_fails("key k { algorithm hmac-sha256; }\n",
		      ":2:1: expected ';', got the end of the file");
	keyfile_fails("key k { algorithm hmac-sha256; };\n",
		      ":1:1: key 'k' needs an algorithm and a secret");
	keyfile_fails("options { };\n", ":1:1: expected 'key', got 'options'");
	keyfile_fails("key k { algorithm hmac-sha256; secret \"AAAA\"; colour red; };\n",
		      ":1:47: unknown key option 'colour' (algorithm or secret)");
	keyfile_fails("key k { secret \"AAAA\"; algorithm hmac-sha256; };\n"
		      "key K. { secret \"AAAA\"; algorithm hmac-sha256; };\n",
		      ":2:49: duplicate key 'K.'");
	keyfile_fails("key \"k { };\n", ":1:5: unterminated string");
}
END_TEST

static Suite *tsig_suite(void)
{
	Suite *s = suite_create("tsig");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, setup, NULL);
	tcase_add_checked_fixture(invalid, setup, NULL);
	tcase_add_test(valid, test_dig_vectors_verify);
	tcase_add_test(valid, test_round_trip_stream);
	tcase_add_test(valid, test_stream_unsigned_messages);
	tcase_add_test(valid, test_keyfile_valid);
	tcase_add_test(invalid, test_errors);
	tcase_add_test(invalid, test_keyfile_invalid);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tsig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

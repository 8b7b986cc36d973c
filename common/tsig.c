#include <config.h>

#include "common/tsig.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#else
#include <openssl/hmac.h>
#endif

#include "common/log.h"

static const struct {
	const char *name;   /* as written in records and key files */
	const char *digest; /* libcrypto's name */
	size_t mac_len;
} algs[TSIG_ALG_COUNT] = {
	[TSIG_HMAC_MD5] = {"hmac-md5.sig-alg.reg.int", "MD5", 16},
	[TSIG_HMAC_SHA1] = {"hmac-sha1", "SHA1", 20},
	[TSIG_HMAC_SHA224] = {"hmac-sha224", "SHA224", 28},
	[TSIG_HMAC_SHA256] = {"hmac-sha256", "SHA256", 32},
	[TSIG_HMAC_SHA384] = {"hmac-sha384", "SHA384", 48},
	[TSIG_HMAC_SHA512] = {"hmac-sha512", "SHA512", 64},
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int tsig_alg_from_name(const char *name, enum tsig_alg *out)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (int i = 0; i < TSIG_ALG_COUNT; i++) {
		const char *n = algs[i].name;

		if ((strlen(n) == len && strncasecmp(n, name, len) == 0) ||
		    (i == TSIG_HMAC_MD5 && len == 8 && strncasecmp(name, "hmac-md5", 8) == 0)) {
			*out = (enum tsig_alg)i;
			return 0;
		}
	}
	return GSLB_ENOENT;
}

const char *tsig_alg_name(enum tsig_alg alg)
{
	return algs[alg].name;
}

size_t tsig_alg_mac_len(enum tsig_alg alg)
{
	return algs[alg].mac_len;
}

/* Presentation name (with \. and \DDD escapes) into canonical wire form. */
static int name_to_wire(const char *s, uint8_t *out, uint8_t *out_len)
{
	size_t pos = 0;

	if (strcmp(s, ".") == 0 || *s == '\0') {
		out[0] = 0;
		*out_len = 1;
		return 0;
	}
	while (*s != '\0') {
		size_t lab = pos++;
		unsigned n = 0;

		while (*s != '\0' && *s != '.') {
			unsigned c = (unsigned char)*s++;

			if (c == '\\') {
				if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
				    isdigit((unsigned char)s[2])) {
					c = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
					    (unsigned)(s[2] - '0');
					s += 3;
					if (c > 255)
						return GSLB_EINVAL;
				} else if (*s != '\0') {
					c = (unsigned char)*s++;
				} else {
					return GSLB_EINVAL;
				}
			}
			if (++n > 63 || pos >= TSIG_NAME_MAX - 1)
				return GSLB_EINVAL;
			out[pos++] = (uint8_t)tolower((int)c);
		}
		if (n == 0)
			return GSLB_EINVAL;
		out[lab] = (uint8_t)n;
		if (*s == '.')
			s++;
	}
	out[pos++] = 0;
	*out_len = (uint8_t)pos;
	return 0;
}

/* Unpack the (possibly compressed) name at *pos of msg into canonical wire
 * form; *pos moves past it. Returns its length or -1. */
static int name_unpack(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out)
{
	size_t p = *pos, n = 0;
	bool jumped = false;
	unsigned hops = 0;

	for (;;) {
		unsigned l;

		if (p >= len)
			return -1;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > 64)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = true;
			p = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if (l > 63 || p + 1 + l > len || n + 1 + l > TSIG_NAME_MAX)
			return -1;
		out[n++] = (uint8_t)l;
		for (unsigned i = 0; i < l; i++)
			out[n++] = (uint8_t)tolower(msg[p + 1 + i]);
		p += 1 + l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*pos = p;
	return (int)n;
}

/* Skip a name at *pos without unpacking it. */
static int name_skip(const uint8_t *msg, size_t len, size_t *pos)
{
	uint8_t tmp[TSIG_NAME_MAX];

	return name_unpack(msg, len, pos, tmp) < 0 ? -1 : 0;
}

static int b64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t len = strlen(in), pad = 0;
	unsigned char buf[TSIG_SECRET_MAX * 4 / 3 + 8];
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return GSLB_EINVAL;
	if (strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len)
		return GSLB_EINVAL;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad || (size_t)n - pad > cap)
		return GSLB_EINVAL;
	*out_len = (size_t)n - pad;
	memcpy(out, buf, *out_len);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int tsig_key_init(struct tsig_key *key, const char *name, const char *alg,
		  const char *secret_b64, struct gslb_err *err)
{
	memset(key, 0, sizeof(*key));
	if (strlen(name) >= sizeof(key->name) || name_to_wire(name, key->wire, &key->wire_len) != 0)
		return gslb_err_setc(err, GSLB_EINVAL, "'%s' is not a valid key name", name);
	snprintf(key->name, sizeof(key->name), "%s", name);
	if (tsig_alg_from_name(alg, &key->alg) != 0)
		return gslb_err_setc(err, GSLB_EINVAL,
				     "unknown algorithm '%s' (hmac-md5, hmac-sha1, hmac-sha224, "
				     "hmac-sha256, hmac-sha384 or hmac-sha512)",
				     alg);
	if (b64_decode(secret_b64, key->secret, sizeof(key->secret), &key->secret_len) != 0 ||
	    key->secret_len == 0)
		return gslb_err_setc(err, GSLB_EINVAL,
				     "the secret is not base64 (or longer than %d bytes)",
				     TSIG_SECRET_MAX);
	return 0;
}

/* ---- key files ----------------------------------------------------------- */

struct kf {
	const char *path;
	const char *s;   /* text */
	size_t pos;
	unsigned line, col;
	char tok[1024];  /* the last token */
	bool quoted;     /* it was a quoted string */
	unsigned tline, tcol; /* where it began */
};

static void kf_advance(struct kf *f)
{
	if (f->s[f->pos] == '\n') {
		f->line++;
		f->col = 1;
	} else {
		f->col++;
	}
	f->pos++;
}

/* Next token: a word, a quoted string or one of { } ;. Returns false at the
 * end, or with err set on an unterminated string or comment. */
static int kf_next(struct kf *f, struct gslb_err *err)
{
	size_t n = 0;

	for (;;) {
		char c = f->s[f->pos];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			kf_advance(f);
		} else if (c == '#' || (c == '/' && f->s[f->pos + 1] == '/')) {
			while (f->s[f->pos] != '\0' && f->s[f->pos] != '\n')
				kf_advance(f);
		} else if (c == '/' && f->s[f->pos + 1] == '*') {
			unsigned l = f->line, co = f->col;

			kf_advance(f);
			kf_advance(f);
			while (f->s[f->pos] != '\0' &&
			       !(f->s[f->pos] == '*' && f->s[f->pos + 1] == '/'))
				kf_advance(f);
			if (f->s[f->pos] == '\0')
				return gslb_err_set(err, "%s:%u:%u: unterminated comment", f->path, l, co);
			kf_advance(f);
			kf_advance(f);
		} else {
			break;
		}
	}
	f->tline = f->line;
	f->tcol = f->col;
	f->quoted = false;
	f->tok[0] = '\0';
	if (f->s[f->pos] == '\0')
		return 1;
	if (strchr("{};", f->s[f->pos]) != NULL) {
		f->tok[0] = f->s[f->pos];
		f->tok[1] = '\0';
		kf_advance(f);
		return 0;
	}
	if (f->s[f->pos] == '"') {
		f->quoted = true;
		kf_advance(f);
		while (f->s[f->pos] != '"') {
			if (f->s[f->pos] == '\0' || f->s[f->pos] == '\n')
				return gslb_err_set(err, "%s:%u:%u: unterminated string", f->path,
						    f->tline, f->tcol);
			if (n + 1 >= sizeof(f->tok))
				return gslb_err_set(err, "%s:%u:%u: string too long", f->path, f->tline,
						    f->tcol);
			f->tok[n++] = f->s[f->pos];
			kf_advance(f);
		}
		kf_advance(f);
		f->tok[n] = '\0';
		return 0;
	}
	while (f->s[f->pos] != '\0' && strchr(" \t\r\n{};\"#", f->s[f->pos]) == NULL) {
		if (n + 1 >= sizeof(f->tok))
			return gslb_err_set(err, "%s:%u:%u: word too long", f->path, f->tline, f->tcol);
		f->tok[n++] = f->s[f->pos];
		kf_advance(f);
	}
	f->tok[n] = '\0';
	return 0;
}

static int kf_expect(struct kf *f, const char *what, struct gslb_err *err)
{
	int rc = kf_next(f, err);

	if (rc < 0)
		return rc;
	if (rc > 0 || f->quoted || strcmp(f->tok, what) != 0)
		return gslb_err_set(err, "%s:%u:%u: expected '%s', got %s%s%s", f->path, f->tline,
				    f->tcol, what, rc > 0 ? "the end of the file" : "'",
				    rc > 0 ? "" : f->tok, rc > 0 ? "" : "'");
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* One "key NAME { ... };" statement after the word key. */
static int kf_key(struct kf *f, struct tsig_key *k, struct gslb_err *err)
{
	char name[sizeof(k->name)], alg[64] = "", secret[sizeof(f->tok)] = "";
	unsigned kline = f->tline, kcol = f->tcol, sline = 0, scol = 0, aline = 0, acol = 0;
	struct gslb_err why;
	int rc;

	if ((rc = kf_next(f, err)) != 0 || strchr("{};", f->tok[0]) != NULL)
		return rc < 0 ? rc
			      : gslb_err_set(err, "%s:%u:%u: expected a key name", f->path, f->tline,
					     f->tcol);
	copy_str(name, sizeof(name), f->tok);
	if ((rc = kf_expect(f, "{", err)) != 0)
		return rc;
	for (;;) {
		unsigned l, c;
		char word[32];

		if ((rc = kf_next(f, err)) < 0)
			return rc;
		if (rc > 0)
			return gslb_err_set(err, "%s:%u:%u: key '%s' is not closed", f->path, kline,
					    kcol, name);
		if (!f->quoted && strcmp(f->tok, "}") == 0)
			break;
		l = f->tline;
		c = f->tcol;
		copy_str(word, sizeof(word), f->tok);
		if (strcmp(word, "algorithm") != 0 && strcmp(word, "secret") != 0)
			return gslb_err_set(err,
					    "%s:%u:%u: unknown key option '%s' (algorithm or secret)",
					    f->path, l, c, f->tok);
		if ((rc = kf_next(f, err)) != 0 || (!f->quoted && strchr("{};", f->tok[0]) != NULL))
			return rc < 0 ? rc
				      : gslb_err_set(err, "%s:%u:%u: '%s' needs a value", f->path, l,
						     c, word);
		if (word[0] == 'a') {
			copy_str(alg, sizeof(alg), f->tok);
			aline = f->tline;
			acol = f->tcol;
		} else {
			copy_str(secret, sizeof(secret), f->tok);
			sline = f->tline;
			scol = f->tcol;
		}
		if ((rc = kf_expect(f, ";", err)) != 0)
			return rc;
	}
	if ((rc = kf_expect(f, ";", err)) != 0)
		return rc;
	if (alg[0] == '\0' || secret[0] == '\0')
		return gslb_err_set(err, "%s:%u:%u: key '%s' needs an algorithm and a secret",
				    f->path, kline, kcol, name);
	if (tsig_key_init(k, name, alg, secret, &why) != 0) {
		bool on_alg = tsig_alg_from_name(alg, &k->alg) != 0;

		rc = gslb_err_set(err, "%s:%u:%u: key '%s': %s", f->path,
				  on_alg ? aline : sline, on_alg ? acol : scol, name, why.msg);
		OPENSSL_cleanse(secret, sizeof(secret));
		return rc;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return 0;
}

int tsig_keyfile_load(const char *path, struct tsig_key **keys, size_t *count,
		      struct gslb_err *err)
{
	struct kf f = {.path = path, .line = 1, .col = 1};
	struct tsig_key *out = NULL;
	size_t n = 0;
	char *text = NULL;
	size_t cap = 0, len = 0;
	FILE *fp = fopen(path, "r");
	int rc;

	if (fp == NULL)
		return gslb_err_setc(err, GSLB_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			text = realloc(text, cap);
			if (text == NULL) {
				fclose(fp);
				return gslb_err_setc(err, GSLB_EIO, "%s: out of memory", path);
			}
		}
		got = fread(text + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		fclose(fp);
		free(text);
		return gslb_err_setc(err, GSLB_EIO, "%s: read error", path);
	}
	fclose(fp);
	text[len] = '\0';
	if (strlen(text) != len) {
		rc = gslb_err_set(err, "%s: not a text file (NUL byte)", path);
		goto fail;
	}
	f.s = text;
	for (;;) {
		struct tsig_key *grown;

		if ((rc = kf_next(&f, err)) < 0)
			goto fail;
		if (rc > 0)
			break;
		if (f.quoted || strcmp(f.tok, "key") != 0) {
			rc = gslb_err_set(err, "%s:%u:%u: expected 'key', got '%s'", path, f.tline,
					  f.tcol, f.tok);
			goto fail;
		}
		grown = realloc(out, (n + 1) * sizeof(*out));
		if (grown == NULL) {
			rc = gslb_err_setc(err, GSLB_EIO, "%s: out of memory", path);
			goto fail;
		}
		out = grown;
		if ((rc = kf_key(&f, &out[n], err)) != 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (out[i].wire_len == out[n].wire_len &&
			    memcmp(out[i].wire, out[n].wire, out[n].wire_len) == 0) {
				rc = gslb_err_setc(err, GSLB_EEXIST, "%s:%u:%u: duplicate key '%s'",
						   path, f.tline, f.tcol, out[n].name);
				goto fail;
			}
		}
		n++;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	*keys = out;
	*count = n;
	return 0;
fail:
	if (out != NULL)
		OPENSSL_cleanse(out, (n + 1) * sizeof(*out));
	free(out);
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/* ---- HMAC ---------------------------------------------------------------- */

/* libcrypto fails here only when it cannot allocate (every algorithm here
 * is in the default provider), which we treat like xmalloc() does. */
static void crypto_fail(const char *what)
{
	log_err("libcrypto: %s failed", what);
	abort();
}

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
typedef EVP_MAC_CTX hmac_ctx;

/* The HMAC implementation, fetched from the provider once: a fetch per
 * message was a provider lookup for every signed query. */
static EVP_MAC *hmac_mac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static hmac_ctx *hmac_new(const struct tsig_key *k)
{
	EVP_MAC *m;
	char digest[16];
	OSSL_PARAM params[2];
	hmac_ctx *ctx;

	snprintf(digest, sizeof(digest), "%s", algs[k->alg].digest);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	pthread_once(&hmac_once, hmac_fetch);
	m = hmac_mac;
	if (m == NULL)
		crypto_fail("EVP_MAC_fetch(HMAC)");
	ctx = EVP_MAC_CTX_new(m);
	if (ctx == NULL)
		crypto_fail("EVP_MAC_CTX_new");
	if (EVP_MAC_init(ctx, k->secret, k->secret_len, params) != 1)
		crypto_fail("EVP_MAC_init");
	return ctx;
}

static void hmac_update(hmac_ctx *ctx, const void *p, size_t len)
{
	if (len > 0 && EVP_MAC_update(ctx, p, len) != 1)
		crypto_fail("EVP_MAC_update");
}

static size_t hmac_final(hmac_ctx *ctx, uint8_t *mac)
{
	size_t out = 0;

	if (EVP_MAC_final(ctx, mac, &out, TSIG_MAC_MAX) != 1)
		crypto_fail("EVP_MAC_final");
	EVP_MAC_CTX_free(ctx);
	return out;
}

static void hmac_free(hmac_ctx *ctx)
{
	EVP_MAC_CTX_free(ctx);
}
#else
typedef HMAC_CTX hmac_ctx;

static hmac_ctx *hmac_new(const struct tsig_key *k)
{
	HMAC_CTX *ctx = HMAC_CTX_new();

	if (ctx == NULL)
		crypto_fail("HMAC_CTX_new");
	if (HMAC_Init_ex(ctx, k->secret, (int)k->secret_len,
			 EVP_get_digestbyname(algs[k->alg].digest), NULL) != 1)
		crypto_fail("HMAC_Init_ex");
	return ctx;
}

static void hmac_update(hmac_ctx *ctx, const void *p, size_t len)
{
	if (len > 0 && HMAC_Update(ctx, p, len) != 1)
		crypto_fail("HMAC_Update");
}

static size_t hmac_final(hmac_ctx *ctx, uint8_t *mac)
{
	unsigned out = 0;

	if (HMAC_Final(ctx, mac, &out) != 1)
		crypto_fail("HMAC_Final");
	HMAC_CTX_free(ctx);
	return out;
}

static void hmac_free(hmac_ctx *ctx)
{
	HMAC_CTX_free(ctx);
}
#endif

/* ---- messages ------------------------------------------------------------ */

int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr)
{
	size_t pos = 12, last = 0;
	unsigned qd, total;
	uint16_t type = 0, rdlen = 0;

	if (len < 12)
		return GSLB_EPARSE;
	qd = get16(msg + 4);
	total = (unsigned)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	for (unsigned i = 0; i < qd; i++) {
		if (name_skip(msg, len, &pos) != 0 || len - pos < 4)
			return GSLB_EPARSE;
		pos += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		last = pos;
		if (name_skip(msg, len, &pos) != 0 || len - pos < 10)
			return GSLB_EPARSE;
		type = get16(msg + pos);
		rdlen = get16(msg + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			return GSLB_EPARSE;
		if (type == TSIG_TYPE && (i + 1 != total || get16(msg + 10) == 0))
			return GSLB_EPARSE; /* RFC 8945 5.1: only the last additional record */
		pos += rdlen;
	}
	if (total == 0 || type != TSIG_TYPE)
		return 0;
	{
		size_t p = last, end;
		int n = name_unpack(msg, len, &p, rr->key);

		if (n < 0)
			return GSLB_EPARSE;
		rr->start = last;
		rr->key_len = (uint8_t)n;
		if (get16(msg + p + 2) != TSIG_CLASS_ANY)
			return GSLB_EPARSE;
		p += 10;
		end = p + rdlen;
		rr->alg = msg + p;
		/* The algorithm name is never compressed (RFC 8945 4.2). */
		for (;;) {
			if (p >= end)
				return GSLB_EPARSE;
			if ((msg[p] & 0xc0) != 0)
				return GSLB_EPARSE;
			if (msg[p] == 0) {
				p++;
				break;
			}
			p += 1 + (size_t)msg[p];
		}
		rr->alg_len = (uint8_t)(msg + p - rr->alg);
		if (end - p < 10)
			return GSLB_EPARSE;
		rr->time_signed = (uint64_t)get16(msg + p) << 32 | (uint64_t)get16(msg + p + 2) << 16 |
				  get16(msg + p + 4);
		rr->fudge = get16(msg + p + 6);
		rr->mac_len = get16(msg + p + 8);
		p += 10;
		if (end - p < (size_t)rr->mac_len + 6)
			return GSLB_EPARSE;
		rr->mac = msg + p;
		p += rr->mac_len;
		rr->orig_id = get16(msg + p);
		rr->error = get16(msg + p + 2);
		rr->other_len = get16(msg + p + 4);
		p += 6;
		if ((size_t)(end - p) != rr->other_len)
			return GSLB_EPARSE;
		rr->other = msg + p;
	}
	return 1;
}

void tsig_ctx_init(struct tsig_ctx *ctx, const struct tsig_key *key)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->key = key;
}

void tsig_ctx_fini(struct tsig_ctx *ctx)
{
	if (ctx->run != NULL)
		hmac_free(ctx->run);
	ctx->run = NULL;
}

const char *tsig_result_name(enum tsig_result r)
{
	switch (r) {
	case TSIG_OK:
		return "ok";
	case TSIG_UNSIGNED:
		return "unsigned";
	case TSIG_FORMERR:
		return "formerr";
	case TSIG_BADKEY:
		return "badkey";
	case TSIG_BADSIG:
		return "badsig";
	case TSIG_BADTIME:
		return "badtime";
	case TSIG_BADTRUNC:
		return "badtrunc";
	case TSIG_ERROR:
		return "error";
	}
	return "?";
}

size_t tsig_rr_len(const struct tsig_key *key)
{
	return (size_t)key->wire_len + 10 + strlen(algs[key->alg].name) + 2 + 10 +
	       algs[key->alg].mac_len + 6;
}

size_t tsig_ctx_room(const struct tsig_ctx *ctx)
{
	if (ctx->key != NULL)
		return tsig_rr_len(ctx->key) + 6;
	return (size_t)ctx->echo_key_len + 10 + ctx->echo_alg_len + 10 + 6 + 6;
}

/* Feed the MAC's input of one message: the prior MAC (when there is
 * one), the message up to its TSIG record (tsig_start; with ID orig_id and
 * ARCOUNT less the TSIG record), then the variables: all of them for the
 * first message, the timers only for later ones. */
static void mac_message(hmac_ctx *h, const struct tsig_ctx *ctx, const uint8_t *msg,
			size_t tsig_start, bool has_tsig, const uint8_t *alg, size_t alg_len,
			uint64_t time_signed, uint16_t fudge, uint16_t error, const uint8_t *other,
			uint16_t other_len, bool full)
{
	uint8_t hdr[12], v[16];

	memcpy(hdr, msg, 12);
	if (has_tsig) {
		set16(hdr, ctx->orig_id);
		set16(hdr + 10, (uint16_t)(get16(hdr + 10) - 1));
	}
	hmac_update(h, hdr, 12);
	hmac_update(h, msg + 12, tsig_start - 12);
	if (full) {
		hmac_update(h, ctx->key->wire, ctx->key->wire_len);
		set16(v, TSIG_CLASS_ANY);
		memset(v + 2, 0, 4); /* TTL */
		hmac_update(h, v, 6);
		/* The algorithm name in canonical (lower-case) form. */
		for (size_t i = 0; i < alg_len; i++) {
			uint8_t c = (uint8_t)tolower(alg[i]);

			hmac_update(h, &c, 1);
		}
		set48(v, time_signed);
		set16(v + 6, fudge);
		set16(v + 8, error);
		set16(v + 10, other_len);
		hmac_update(h, v, 12);
		hmac_update(h, other, other_len);
	} else {
		set48(v, time_signed);
		set16(v + 6, fudge);
		hmac_update(h, v, 8);
	}
}

static hmac_ctx *mac_start(const struct tsig_ctx *ctx)
{
	hmac_ctx *h = hmac_new(ctx->key);

	if (ctx->mac_len > 0) {
		uint8_t l[2];

		set16(l, ctx->mac_len);
		hmac_update(h, l, 2);
		hmac_update(h, ctx->mac, ctx->mac_len);
	}
	return h;
}

/* Write the wire form of an algorithm name ("hmac-sha256.") to out. */
static size_t alg_wire(enum tsig_alg alg, uint8_t *out)
{
	uint8_t len;

	(void)name_to_wire(algs[alg].name, out, &len);
	return len;
}

int tsig_sign(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
	const struct tsig_key *k = ctx->key;
	uint8_t alg_buf[64], mac[TSIG_MAC_MAX], other[6];
	const uint8_t *alg = alg_buf, *owner;
	size_t alg_len, owner_len, p = *len, mac_len = 0, need;
	uint16_t other_len = 0;
	bool full = ctx->signed_count == 0;
	bool unsigned_rr = k == NULL || ctx->error == TSIG_ERR_BADKEY ||
			   ctx->error == TSIG_ERR_BADSIG;

	if (k != NULL) {
		alg_len = alg_wire(k->alg, alg_buf);
		owner = k->wire;
		owner_len = k->wire_len;
	} else {
		/* An error response to a request under a key we do not have. */
		if (ctx->echo_key_len == 0)
			return GSLB_EINVAL;
		alg = ctx->echo_alg;
		alg_len = ctx->echo_alg_len;
		owner = ctx->echo_key;
		owner_len = ctx->echo_key_len;
	}
	need = owner_len + 10 + alg_len + 10 + (unsigned_rr ? 0 : algs[k->alg].mac_len) + 6 + 6;
	if (*len < 12 || cap < *len || cap - *len < need)
		return GSLB_ENOSPC;
	if (ctx->mac_len == 0 && ctx->signed_count == 0 && ctx->error == TSIG_ERR_NONE)
		ctx->orig_id = get16(msg); /* a request */
	if (ctx->error == TSIG_ERR_BADTIME) {
		/* RFC 8945 5.2.3: the server's time in Other Data, signed over
		 * the request's time. */
		set48(other, now);
		other_len = 6;
		now = ctx->request_time;
	}
	if (!unsigned_rr) {
		hmac_ctx *h = mac_start(ctx);

		mac_message(h, ctx, msg, *len, false, alg, alg_len, now, TSIG_FUDGE, ctx->error,
			    other, other_len, full);
		mac_len = hmac_final(h, mac);
	}
	memcpy(msg + p, owner, owner_len);
	p += owner_len;
	set16(msg + p, TSIG_TYPE);
	set16(msg + p + 2, TSIG_CLASS_ANY);
	memset(msg + p + 4, 0, 4);
	p += 10; /* rdlength at p - 2, set below */
	memcpy(msg + p, alg, alg_len);
	p += alg_len;
	set48(msg + p, now);
	set16(msg + p + 6, TSIG_FUDGE);
	set16(msg + p + 8, (uint16_t)mac_len);
	p += 10;
	memcpy(msg + p, mac, mac_len);
	p += mac_len;
	set16(msg + p, ctx->orig_id);
	set16(msg + p + 2, ctx->error);
	set16(msg + p + 4, other_len);
	p += 6;
	memcpy(msg + p, other, other_len);
	p += other_len;
	set16(msg + *len + owner_len + 8, (uint16_t)(p - (*len + owner_len + 10)));
	set16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
	*len = p;
	memcpy(ctx->mac, mac, mac_len);
	ctx->mac_len = (uint16_t)mac_len;
	ctx->signed_count++;
	return 0;
}

/* Check the MAC of rr in msg under ctx (with ctx->run holding unsigned
 * messages folded in, if any). */
static enum tsig_result check_mac(struct tsig_ctx *ctx, const uint8_t *msg,
				  const struct tsig_rr *rr, bool full, uint8_t *mac_out)
{
	size_t full_len = algs[ctx->key->alg].mac_len;
	size_t min = full_len / 2 > 10 ? full_len / 2 : 10;
	uint8_t mac[TSIG_MAC_MAX];
	hmac_ctx *h;

	if (rr->mac_len > full_len || rr->mac_len < min) {
		if (ctx->run != NULL)
			hmac_free(ctx->run);
		ctx->run = NULL;
		return TSIG_FORMERR;
	}
	h = ctx->run != NULL ? ctx->run : mac_start(ctx);
	ctx->run = NULL;
	mac_message(h, ctx, msg, rr->start, true, rr->alg, rr->alg_len, rr->time_signed,
		    rr->fudge, rr->error, rr->other, rr->other_len, full);
	hmac_final(h, mac);
	if (CRYPTO_memcmp(mac, rr->mac, rr->mac_len) != 0)
		return TSIG_BADSIG;
	memcpy(mac_out, rr->mac, rr->mac_len);
	return rr->mac_len < full_len ? TSIG_BADTRUNC : TSIG_OK;
}

static bool time_ok(const struct tsig_rr *rr, uint64_t now)
{
	uint64_t d = now > rr->time_signed ? now - rr->time_signed : rr->time_signed - now;

	return d <= rr->fudge;
}

enum tsig_result tsig_verify_request(struct tsig_ctx *ctx, const uint8_t *msg, size_t len,
				     const struct tsig_key *keys, size_t count, uint64_t now)
{
	struct tsig_rr rr;
	enum tsig_alg alg;
	char algname[TSIG_NAME_MAX * 4];
	enum tsig_result r;
	size_t i, o = 0;
	int found = tsig_find(msg, len, &rr);

	tsig_ctx_init(ctx, NULL);
	if (found < 0)
		return TSIG_FORMERR;
	if (found == 0)
		return TSIG_UNSIGNED;
	/* The algorithm name as text, for tsig_alg_from_name(). */
	for (size_t p = 0; p < rr.alg_len && rr.alg[p] != 0; p += 1 + rr.alg[p]) {
		if (o + rr.alg[p] + 2 >= sizeof(algname))
			break;
		if (o > 0)
			algname[o++] = '.';
		memcpy(algname + o, rr.alg + p + 1, rr.alg[p]);
		o += rr.alg[p];
	}
	algname[o] = '\0';
	for (i = 0; i < count; i++)
		if (keys[i].wire_len == rr.key_len && memcmp(keys[i].wire, rr.key, rr.key_len) == 0)
			break;
	ctx->orig_id = rr.orig_id;
	ctx->request_time = rr.time_signed;
	memcpy(ctx->echo_key, rr.key, rr.key_len);
	ctx->echo_key_len = rr.key_len;
	memcpy(ctx->echo_alg, rr.alg, rr.alg_len);
	ctx->echo_alg_len = rr.alg_len;
	if (i == count || tsig_alg_from_name(algname, &alg) != 0 || alg != keys[i].alg) {
		/* RFC 8945 5.2.1: an unsigned answer naming the key and
		 * algorithm of the request. */
		ctx->key = NULL;
		ctx->error = TSIG_ERR_BADKEY;
		return TSIG_BADKEY;
	}
	ctx->key = &keys[i];
	r = check_mac(ctx, msg, &rr, true, ctx->mac);
	if (r == TSIG_FORMERR) {
		ctx->key = NULL;
		return r;
	}
	if (r == TSIG_BADSIG) {
		ctx->error = TSIG_ERR_BADSIG;
		return r;
	}
	ctx->mac_len = rr.mac_len;
	if (!time_ok(&rr, now)) {
		ctx->error = TSIG_ERR_BADTIME;
		return TSIG_BADTIME;
	}
	if (r == TSIG_BADTRUNC) {
		ctx->error = TSIG_ERR_BADTRUNC;
		return r;
	}
	return TSIG_OK;
}

enum tsig_result tsig_verify_next(struct tsig_ctx *ctx, const uint8_t *msg, size_t len,
				  uint64_t now)
{
	struct tsig_rr rr;
	uint8_t mac[TSIG_MAC_MAX];
	enum tsig_result r;
	int found = tsig_find(msg, len, &rr);

	if (found < 0)
		return TSIG_FORMERR;
	if (found == 0) {
		if (ctx->signed_count < 2) /* the request and the first response */
			return TSIG_UNSIGNED;
		if (ctx->run == NULL)
			ctx->run = mac_start(ctx);
		hmac_update(ctx->run, msg, len);
		ctx->unsigned_count++;
		return TSIG_UNSIGNED;
	}
	if (rr.key_len != ctx->key->wire_len || memcmp(rr.key, ctx->key->wire, rr.key_len) != 0) {
		tsig_ctx_fini(ctx);
		return TSIG_BADKEY;
	}
	if (rr.error != TSIG_ERR_NONE && rr.mac_len == 0) {
		ctx->peer_error = rr.error;
		tsig_ctx_fini(ctx);
		return TSIG_ERROR;
	}
	r = check_mac(ctx, msg, &rr, ctx->signed_count < 2, mac);
	if (r != TSIG_OK && r != TSIG_BADTRUNC)
		return r;
	if (rr.error != TSIG_ERR_NONE) {
		ctx->peer_error = rr.error;
		return TSIG_ERROR;
	}
	if (!time_ok(&rr, now))
		return TSIG_BADTIME;
	if (r == TSIG_BADTRUNC)
		return r;
	memcpy(ctx->mac, mac, rr.mac_len);
	ctx->mac_len = rr.mac_len;
	ctx->signed_count++;
	ctx->unsigned_count = 0;
	return TSIG_OK;
}

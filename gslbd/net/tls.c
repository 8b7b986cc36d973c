#include <config.h>

#include "gslbd/net/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/xalloc.h"

/* Session id context: sessions of one listener's clients resume there. */
static const unsigned char SESSION_CONTEXT[] = "gslbd-api";

struct tls_server {
	SSL_CTX *ctx;          /* context of new connections */
	char *certificate;     /* the files ctx was loaded from */
	char *key;             /* ... */
	char *client_ca;       /* ... or NULL */
	char description[512]; /* tls_server_describe() */
};

/* OpenSSL's reasons for the last failure, first to last, "a: b: c" (and
 * the queue emptied). */
static void ssl_reason(char *buf, size_t len)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0 && used < len) {
		const char *r = ERR_reason_error_string(e);
		char code[32];
		int w;

		if (r == NULL) {
			snprintf(code, sizeof(code), "error %08lX", e);
			r = code;
		}
		w = snprintf(buf + used, len - used, "%s%s", used > 0 ? ": " : "", r);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown error");
	ERR_clear_error();
}

/* Never ask for a pass phrase on a terminal: an encrypted key is an error. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* "subject=... sha256=... not_after=..." of cert into buf. */
static void describe(X509 *cert, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	char subject[256] = "?", fp[3 * EVP_MAX_MD_SIZE + 1] = "", after[32] = "?";
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	struct tm tm;

	X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
	if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
		for (unsigned i = 0; i < md_len; i++)
			snprintf(fp + 3 * i, sizeof(fp) - 3 * i, "%02X:", md[i]);
		fp[3 * md_len - 1] = '\0';
	}
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(after, sizeof(after), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "subject=%s sha256=%s not_after=%s", subject, fp, after);
}

/* A context from the files, or NULL with err set. */
static SSL_CTX *ctx_load(const char *certificate, const char *key, const char *client_ca,
			 char *description, size_t description_len, struct gslb_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	X509 *cert;

	ERR_clear_error();
	if (ctx == NULL) {
		ssl_reason(why, sizeof(why));
		gslb_err_setc(err, GSLB_EIO, "TLS: cannot create a context: %s", why);
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_reason(why, sizeof(why));
		gslb_err_setc(err, GSLB_EIO, "TLS: cannot require TLS 1.2: %s", why);
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_id_context(ctx, SESSION_CONTEXT, sizeof(SESSION_CONTEXT) - 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, certificate) != 1) {
		ssl_reason(why, sizeof(why));
		gslb_err_setc(err, GSLB_EIO, "TLS certificate %s: %s", certificate, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		unsigned long e = ERR_peek_last_error();

		ssl_reason(why, sizeof(why));
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			gslb_err_setc(err, GSLB_EIO, "TLS key %s does not match the certificate %s",
				      key, certificate);
		else
			gslb_err_setc(err, GSLB_EIO, "TLS key %s: %s", key, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(why, sizeof(why));
		gslb_err_setc(err, GSLB_EIO, "TLS key %s does not match the certificate %s: %s",
			      key, certificate, why);
		goto fail;
	}
	if (client_ca != NULL) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);

		if (names == NULL || sk_X509_NAME_num(names) == 0 ||
		    SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
			if (names != NULL)
				sk_X509_NAME_pop_free(names, X509_NAME_free);
			ssl_reason(why, sizeof(why));
			gslb_err_setc(err, GSLB_EIO, "TLS client_ca %s: no CA certificate: %s",
				      client_ca, why);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	cert = SSL_CTX_get0_certificate(ctx);
	if (cert == NULL) {
		gslb_err_setc(err, GSLB_EIO, "TLS certificate %s: no certificate", certificate);
		goto fail;
	}
	describe(cert, description, description_len);
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		log_warn("TLS certificate %s has expired: %s", certificate, description);
	else if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
		log_warn("TLS certificate %s is not valid yet: %s", certificate, description);
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

int tls_server_new(const char *certificate, const char *key, const char *client_ca,
		   struct tls_server **out, struct gslb_err *err)
{
	struct tls_server *t = xcalloc(1, sizeof(*t));

	*out = NULL;
	t->ctx = ctx_load(certificate, key, client_ca, t->description, sizeof(t->description), err);
	if (t->ctx == NULL) {
		free(t);
		return GSLB_EIO;
	}
	t->certificate = xstrdup(certificate);
	t->key = xstrdup(key);
	t->client_ca = client_ca != NULL ? xstrdup(client_ca) : NULL;
	*out = t;
	return 0;
}

int tls_server_reload(struct tls_server *t, const char *certificate, const char *key,
		      const char *client_ca, struct gslb_err *err)
{
	char description[sizeof(t->description)];
	SSL_CTX *ctx;
	char *c, *k, *ca;

	if (certificate == NULL) {
		certificate = t->certificate;
		key = t->key;
		client_ca = t->client_ca;
	}
	ctx = ctx_load(certificate, key, client_ca, description, sizeof(description), err);
	if (ctx == NULL)
		return GSLB_EIO;
	c = xstrdup(certificate);
	k = xstrdup(key);
	ca = client_ca != NULL ? xstrdup(client_ca) : NULL;
	free(t->certificate);
	free(t->key);
	free(t->client_ca);
	t->certificate = c;
	t->key = k;
	t->client_ca = ca;
	/* Open connections hold references to the old context. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	memcpy(t->description, description, sizeof(description));
	return 0;
}

struct bufferevent *tls_server_bev_new(struct event_base *base, int fd, void *arg)
{
	struct tls_server *t = arg;
	SSL *ssl = SSL_new(t->ctx);
	struct bufferevent *bev;

	if (ssl == NULL) {
		log_ratelimited(LOG_LEVEL_ERR, "TLS: cannot create a connection: out of memory");
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_ratelimited(LOG_LEVEL_ERR, "TLS: cannot create a bufferevent: out of memory");
		return NULL;
	}
	/* Clients that close without close_notify are common and harmless
	 * for HTTP/1.1 with Content-Length. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

const char *tls_server_describe(const struct tls_server *t)
{
	return t->description;
}

void tls_server_free(struct tls_server *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->certificate);
	free(t->key);
	free(t->client_ca);
	free(t);
}

/* TLS for the HTTP API's listeners (OpenSSL through libevent_openssl): one
 * struct tls_server per listener holds the SSL_CTX of its certificate, key
 * and optional client CA, and makes each new connection of its listener a
 * TLS bufferevent (http_server_listen()'s bufferevent maker). TLS 1.2 and later only, no
 * renegotiation. With a client CA, a client must show a certificate that
 * chains to it or the handshake fails.
 *
 * A reload builds a new SSL_CTX from the files and swaps it in only when
 * the whole of it loads: a bad certificate or key is refused with a reason
 * and the previous one keeps serving. Connections already open keep the
 * context they started with. Main thread only (the API's loop). */
#ifndef GSLBD_NET_TLS_H
#define GSLBD_NET_TLS_H

#include "common/err.h"

struct bufferevent;
struct event_base;
struct tls_server;

/* Load certificate (a PEM chain, leaf first), key (PEM, unencrypted) and,
 * unless NULL, client_ca (PEM CAs). Returns 0 with *out (caller frees with
 * tls_server_free()), or GSLB_EIO with err naming the file and OpenSSL's
 * reason. The paths are copied. */
int tls_server_new(const char *certificate, const char *key, const char *client_ca,
		   struct tls_server **out, struct gslb_err *err);

/* Load the files again and use them for new connections: those named, or
 * when certificate is NULL the ones loaded last. Returns 0, or GSLB_EIO
 * with err set and t unchanged. */
int tls_server_reload(struct tls_server *t, const char *certificate, const char *key,
		      const char *client_ca, struct gslb_err *err);

/* A TLS bufferevent (server side, handshake pending) on the accepted
 * socket fd with t's current context (arg is t), or NULL when out of
 * memory (the caller closes fd). An http_bev_fn (http_server.h). */
struct bufferevent *tls_server_bev_new(struct event_base *base, int fd, void *arg);

/* "subject=CN=api.example.net sha256=AB:CD:... not_after=2027-01-01T00:00:00Z"
 * of the certificate in use, for the log. */
const char *tls_server_describe(const struct tls_server *t);

/* Accepts NULL. */
void tls_server_free(struct tls_server *t);

#endif

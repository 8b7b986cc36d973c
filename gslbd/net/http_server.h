/* A small HTTP/1.1 server on libevent bufferevents for gslbd's API.
 *
 * libevent 2.1's evhttp reads a whole request, body included, before the
 * application sees any of it, and offers no hook at accept time: nothing
 * can be refused before its body is buffered, and connections cannot be
 * counted. This server gives those decisions to its user:
 *
 *   - at accept: a connection cap in total and per client network (IPv4
 *     /24, IPv6 /56); over a cap the connection is closed at once;
 *   - after the request line and headers, before any body byte is read:
 *     the headers callback refuses (with any status, Connection: close) or
 *     sets the body limit of the request (default 0: no body); the bodies
 *     held at once have a budget in all and per client network (503 with
 *     Retry-After beyond it);
 *   - deadlines: the whole header block (from the connection or the end of
 *     the previous reply) and the whole body each have a total deadline,
 *     not an idle one; a reply that cannot be written in time is dropped.
 *
 * Bodies need a Content-Length (chunked requests get 411). HEAD replies
 * carry the headers of the GET reply and no body; CONNECT and other
 * methods get 405 and the connection is closed; a NUL or another control
 * byte in the header block, a CR not before an LF, and a control byte or
 * tab in the request target get 400. A line ends at LF (a CR before it
 * is dropped), and the first empty line ends the header block. Requests
 * are handled one at a time per connection (keep-alive, no pipelining in
 * parallel).
 *
 * One server, any number of listeners; each listener may create its
 * connections' bufferevents itself (TLS), as evhttp_set_bevcb() does.
 * Everything runs on the server's event loop thread. */
#ifndef GSLBD_NET_HTTP_SERVER_H
#define GSLBD_NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/netaddr.h"

struct event_base;
struct bufferevent;
struct evbuffer;
struct evkeyvalq;
struct http_server;
struct http_request;

/* What a request asks (other methods are refused by the server). */
enum http_method {
	HTTP_GET,  /* GET */
	HTTP_HEAD, /* HEAD: the GET reply without its body */
	HTTP_POST, /* POST */
};

/* Limits, read again at every accept (so a reload applies to new
 * connections). */
struct http_limits {
	unsigned max_connections;   /* open connections in total */
	unsigned max_per_client;    /* ... per client network */
	unsigned header_timeout_ms; /* request line and headers, in total */
	unsigned body_timeout_ms;   /* the body, in total; also writing a reply */
	size_t max_header_len;      /* request line and headers, in bytes */
	size_t max_body_total;      /* bodies being read or handled at once, in bytes */
	size_t max_body_per_client; /* ... of them from one client network */
};

/* Why the server itself refused or cut a connection (metrics). */
enum http_refusal {
	HTTP_REFUSED_CONNECTIONS,        /* the total cap */
	HTTP_REFUSED_CLIENT_CONNECTIONS, /* the cap per client network */
	HTTP_REFUSED_HEADER_TIMEOUT,     /* headers not complete in time */
	HTTP_REFUSED_BODY_TIMEOUT,       /* body not complete in time */
	HTTP_REFUSED_HEADER_SIZE,        /* header block too long, or over 100 fields (431) */
	HTTP_REFUSED_BAD_REQUEST,        /* malformed request line or header (400) */
	HTTP_REFUSED_METHOD,             /* CONNECT, PUT, ... (405) */
	HTTP_REFUSED_BODY_SIZE,          /* body over the request's limit (413), or chunked (411) */
	HTTP_REFUSED_BODY_MEMORY,        /* bodies at once over max_body_total (503) */
	HTTP_REFUSAL_KINDS
};

/* Limits in force for a new connection; arg as given to http_server_new(). */
typedef void http_limits_fn(struct http_limits *out, void *arg);
/* The request line and headers are in, no body has been read. Either reply
 * (http_reply(): the connection closes if a body was announced) or set the
 * body limit with http_request_set_body_limit() and return. */
typedef void http_headers_fn(struct http_request *req, void *arg);
/* The whole request is in: reply with http_reply() before returning, or
 * call http_request_defer() and reply later (the request stays valid
 * until then, or until http_server_free(); should the connection close
 * meanwhile, that reply is dropped). */
typedef void http_handler_fn(struct http_request *req, void *arg);
/* Make the bufferevent of a new connection on fd (e.g. TLS, which then
 * handshakes within the header deadline); NULL refuses it (the server
 * closes fd). */
typedef struct bufferevent *http_bev_fn(struct event_base *base, int fd, void *arg);

/* A server on base calling limits, headers and handler with arg. Caller
 * owns it; http_server_free(). */
struct http_server *http_server_new(struct event_base *base, http_limits_fn *limits,
				    http_headers_fn *headers, http_handler_fn *handler, void *arg);

/* Listen on addr (port 0: a free one); bev (may be NULL: plain TCP) makes
 * the connections' bufferevents, with bev_arg. The bound address goes to
 * *bound. Returns 0, or a negative GSLB_E* code with err set. */
int http_server_listen(struct http_server *srv, const struct netaddr *addr, http_bev_fn *bev,
		       void *bev_arg, struct netaddr *bound, struct gslb_err *err);

/* Open connections, and refusals by kind since the start (for /metrics). */
unsigned http_server_connections(const struct http_server *srv);
uint64_t http_server_refused(const struct http_server *srv, enum http_refusal kind);
/* "connections", "client_connections", ... (metric labels). */
const char *http_refusal_name(enum http_refusal kind);

/* Close every connection and listener; NULL is fine. */
void http_server_free(struct http_server *srv);

/* The request, borrowed until the reply is sent. */
enum http_method http_request_method(const struct http_request *req);
/* The path as sent ("/v1/status") and the raw query string (NULL: none). */
const char *http_request_path(const struct http_request *req);
const char *http_request_query(const struct http_request *req);
/* A request header (first of its name, case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/* The announced body length (Content-Length, 0 without one). */
size_t http_request_content_length(const struct http_request *req);
/* The body, contiguous (NULL when empty); in the handler only. */
const void *http_request_body(struct http_request *req, size_t *len);
/* The client's address, and "ADDR:PORT" of it. */
const struct netaddr *http_request_peer(const struct http_request *req);
const char *http_request_peer_text(const struct http_request *req);
/* The listener it came in on: 0 for the first http_server_listen(), ...
 * (for what each listener may serve). */
size_t http_request_listener(const struct http_request *req);
/* From the headers callback: accept a body of up to len bytes. */
void http_request_set_body_limit(struct http_request *req, size_t len);
/* Headers of the reply (add with evhttp_add_header()). */
struct evkeyvalq *http_request_reply_headers(struct http_request *req);
/* Close the connection once the reply is sent. */
void http_request_set_close(struct http_request *req);
/* From the handler: the reply comes later, from the same thread. */
void http_request_defer(struct http_request *req);
/* Has a reply been sent? */
bool http_request_replied(const struct http_request *req);

/* Reply with code and body (may be NULL; its contents are taken). A HEAD
 * reply gets the Content-Length of body and no body. Once per request. */
void http_reply(struct http_request *req, int code, struct evbuffer *body);

#endif

#include <config.h>

#include "gslbd/net/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/net/accept_guard.h"

/* Client networks counted together for the per-client cap. */
#define CLIENT_V4_PREFIX 24
#define CLIENT_V6_PREFIX 56
/* Buckets of the client table (a power of two). */
#define CLIENT_BUCKETS 1024
/* Connections the kernel queues before accept() (nginx's default): a
 * burst of connections is taken at the loop's pace, not dropped. */
#define LISTEN_BACKLOG 511
/* Longest request target, in bytes. */
#define TARGET_MAX 8192
/* Most header fields in a request: each costs an allocation of its own
 * (a block of "a:" lines would cost 30 times its size while its reply
 * waits to be taken). */
#define HEADERS_MAX 100
/* After a reply that leaves a body unread, the connection is read and
 * dropped for this long or this many bytes before it is closed, so that
 * the client reads the reply rather than a reset (a "lingering close"). */
#define LINGER_MS    1000
#define LINGER_BYTES (256 * 1024)

/* Open connections of one client network. */
struct client {
	uint8_t net[17];     /* family byte, then the masked address */
	unsigned count;      /* open connections */
	size_t reserved;     /* of the body budget, held by its connections */
	struct client *next; /* in its bucket */
};

struct listener {
	struct evconnlistener *lev; /* accepting */
	struct accept_guard *guard; /* pauses it when out of descriptors */
	http_bev_fn *bev;           /* makes connections' bufferevents, or NULL */
	void *bev_arg;              /* its argument */
	struct http_server *srv;    /* owner */
	size_t index;               /* in the order of http_server_listen() calls */
};

enum conn_state {
	CONN_HEAD,    /* reading the request line and headers */
	CONN_BODY,    /* reading the body */
	CONN_HANDLE,  /* in the handler */
	CONN_WRITING, /* writing the reply */
	CONN_LINGER,  /* replied and shut down; dropping what still comes */
};

struct http_request {
	struct http_conn *conn;   /* connection */
	enum http_method method;  /* what it asks */
	char *path;               /* decoded path */
	char *query;              /* raw query string, or NULL */
	struct evkeyvalq headers; /* request headers */
	struct evkeyvalq reply;   /* reply headers */
	struct evbuffer *body;    /* the body, once read */
	size_t content_length;    /* announced body length */
	size_t body_limit;        /* largest body accepted */
	bool http10;              /* HTTP/1.0: close after the reply */
	bool keep_alive10;        /* HTTP/1.0 with Connection: keep-alive */
	bool close;               /* close after the reply */
	bool linger;              /* ... after a lingering close: a body is unread */
	bool replied;             /* a reply was sent */
	bool deferred;            /* the handler replies later */
	size_t reserved;          /* bytes of the server's body budget it holds */
};

struct http_conn {
	struct http_server *srv;        /* owner */
	struct bufferevent *bev;        /* the connection */
	struct event *deadline;         /* header or body deadline */
	struct client *client;          /* its network's count */
	struct netaddr peer;            /* client address */
	char peer_text[NETADDR_STRLEN]; /* "ADDR:PORT" */
	struct http_limits lim;         /* limits taken at accept */
	enum conn_state state;          /* what it does now */
	unsigned served;                /* requests answered */
	size_t lingered;                /* bytes dropped in CONN_LINGER */
	size_t scanned;                 /* input searched for the header's end */
	bool plain;                     /* a plain TCP socket (not TLS) */
	bool handshaken;                /* TLS: the handshake is done */
	size_t listener;                /* index of the listener that accepted it */
	bool active;                    /* a request is set up in req */
	bool orphan;                    /* closed while req was deferred: freed by its reply */
	struct http_request req;        /* the current request */
	struct http_conn *prev, *next;  /* in the server's list */
};

struct http_server {
	struct event_base *base;                /* the loop */
	http_limits_fn *limits;                 /* current limits */
	http_headers_fn *headers;               /* decides on headers */
	http_handler_fn *handler;               /* answers */
	void *arg;                              /* their argument */
	struct listener **listeners;            /* accepting */
	size_t listener_count;                  /* entries at listeners */
	struct http_conn *conns;                /* open connections */
	struct http_conn *orphans;              /* closed ones whose deferred reply is owed */
	unsigned conn_count;                    /* entries in conns */
	struct client *clients[CLIENT_BUCKETS]; /* open connections by network */
	uint64_t refused[HTTP_REFUSAL_KINDS];   /* refusals by kind */
	size_t body_reserved;                   /* bodies being read or handled, in bytes */
};

static const char *const refusal_names[HTTP_REFUSAL_KINDS] = {
    "connections",  "client_connections", "header_timeout",
    "body_timeout", "header_size",        "bad_request",
    "method",       "body_size",          "body_memory",
};

const char *http_refusal_name(enum http_refusal kind)
{
	return refusal_names[kind];
}

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);

/* ---- client networks ---- */

static void client_key(const struct sockaddr *sa, uint8_t key[17])
{
	uint8_t raw[16];
	size_t n = netaddr_raw(sa, raw);
	unsigned bits = n == 4 ? CLIENT_V4_PREFIX : CLIENT_V6_PREFIX;

	memset(key, 0, 17);
	key[0] = (uint8_t)n;
	for (unsigned i = 0; i < n && i * 8 < bits; i++)
		key[1 + i] =
		    bits - i * 8 >= 8 ? raw[i] : (uint8_t)(raw[i] & (0xff << (8 - (bits - i * 8))));
}

static size_t client_bucket(const uint8_t key[17])
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (CLIENT_BUCKETS - 1);
}

static struct client *client_find(struct http_server *srv, const uint8_t key[17], bool add)
{
	struct client **head = &srv->clients[client_bucket(key)], *c;

	for (c = *head; c != NULL; c = c->next)
		if (memcmp(c->net, key, 17) == 0)
			return c;
	if (!add)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	memcpy(c->net, key, 17);
	c->next = *head;
	*head = c;
	return c;
}

static void client_release(struct http_server *srv, struct client *c)
{
	struct client **p;

	if (c == NULL || --c->count > 0)
		return;
	for (p = &srv->clients[client_bucket(c->net)]; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	free(c);
}

/* ---- requests ---- */

/* Give back req's share of the body budget. */
static void request_unreserve(struct http_request *req)
{
	if (req->reserved > 0) {
		req->conn->srv->body_reserved -= req->reserved;
		req->conn->client->reserved -= req->reserved;
		req->reserved = 0;
	}
}

static void request_reset(struct http_request *req)
{
	request_unreserve(req);
	free(req->path);
	free(req->query);
	evhttp_clear_headers(&req->headers);
	evhttp_clear_headers(&req->reply);
	if (req->body != NULL)
		evbuffer_free(req->body);
	memset(req, 0, sizeof(*req));
}

static void request_init(struct http_conn *c)
{
	request_reset(&c->req);
	c->req.conn = c;
	TAILQ_INIT(&c->req.headers);
	TAILQ_INIT(&c->req.reply);
	c->active = true;
}

enum http_method http_request_method(const struct http_request *req)
{
	return req->method;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

const char *http_request_query(const struct http_request *req)
{
	return req->query;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	return evhttp_find_header(&req->headers, name);
}

size_t http_request_content_length(const struct http_request *req)
{
	return req->content_length;
}

const void *http_request_body(struct http_request *req, size_t *len)
{
	*len = req->body != NULL ? evbuffer_get_length(req->body) : 0;
	return *len > 0 ? evbuffer_pullup(req->body, -1) : NULL;
}

const struct netaddr *http_request_peer(const struct http_request *req)
{
	return &req->conn->peer;
}

size_t http_request_listener(const struct http_request *req)
{
	return req->conn->listener;
}

const char *http_request_peer_text(const struct http_request *req)
{
	return req->conn->peer_text;
}

void http_request_set_body_limit(struct http_request *req, size_t len)
{
	req->body_limit = len;
}

struct evkeyvalq *http_request_reply_headers(struct http_request *req)
{
	return &req->reply;
}

void http_request_set_close(struct http_request *req)
{
	req->close = true;
}

void http_request_defer(struct http_request *req)
{
	req->deferred = true;
}

bool http_request_replied(const struct http_request *req)
{
	return req->replied;
}

/* ---- connections ---- */

/* Close c. A request whose reply is deferred stays valid: the connection
 * closes (it counts no more against the caps), and the struct waits for
 * http_reply(), which drops the reply and frees it, in srv->orphans. */
static void conn_free(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	bool owed = c->state == CONN_HANDLE && c->req.deferred && !c->req.replied;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	srv->conn_count--;
	request_unreserve(&c->req); /* before its client network goes */
	client_release(srv, c->client);
	c->client = NULL;
	if (c->deadline != NULL)
		event_free(c->deadline);
	c->deadline = NULL;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (owed) {
		c->orphan = true;
		c->next = srv->orphans;
		if (srv->orphans != NULL)
			srv->orphans->prev = c;
		srv->orphans = c;
		return;
	}
	request_reset(&c->req);
	free(c);
}

/* Free c, closed while its request was deferred. */
static void orphan_free(struct http_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->orphans = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	request_reset(&c->req);
	free(c);
}

static void deadline_start(struct http_conn *c, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(c->deadline, &tv);
}

static const char *status_text(int code)
{
	switch (code) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return code < 300 ? "OK" : code < 500 ? "Error" : "Server Error";
	}
}

void http_reply(struct http_request *req, int code, struct evbuffer *body)
{
	struct http_conn *c = req->conn;
	struct evbuffer *out;
	struct evkeyval *h;
	size_t len = body != NULL ? evbuffer_get_length(body) : 0;
	bool no_body = code == 204 || code == 304 || (code >= 100 && code < 200);

	if (req->replied)
		return;
	req->replied = true;
	if (c->orphan) {
		/* the client is gone */
		if (body != NULL)
			evbuffer_drain(body, len);
		orphan_free(c);
		return;
	}
	out = bufferevent_get_output(c->bev);
	/* A body announced and not read: nothing else can follow on this
	 * connection. */
	if ((c->state == CONN_HEAD && req->content_length > 0) || c->state == CONN_BODY)
		req->close = req->linger = true;
	if (req->http10 || code == 408)
		req->close = true;
	/* A reply before the whole request was read: what the client still
	 * sends must not turn the close into a reset that loses the reply. */
	if (req->close && (c->state == CONN_HEAD || c->state == CONN_BODY))
		req->linger = true;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", code, status_text(code));
	TAILQ_FOREACH(h, &req->reply, next)
	evbuffer_add_printf(out, "%s: %s\r\n", h->key, h->value);
	if (!no_body)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	if (req->close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (req->keep_alive10)
		/* an HTTP/1.0 client takes a reply without it for a close */
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add(out, "\r\n", 2);
	if (!no_body && req->method != HTTP_HEAD && body != NULL)
		evbuffer_add_buffer(out, body);
	else if (body != NULL)
		evbuffer_drain(body, len);
	/* The reply has the body deadline, in total. */
	evtimer_del(c->deadline);
	deadline_start(c, c->lim.body_timeout_ms);
	c->state = CONN_WRITING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* Refuse req with code and a short JSON error, counting kind. */
static void refuse(struct http_conn *c, enum http_refusal kind, int code, const char *msg)
{
	struct evbuffer *b = evbuffer_new();

	c->srv->refused[kind]++;
	if (!c->active)
		request_init(c);
	c->req.close = true;
	evhttp_add_header(&c->req.reply, "Content-Type", "application/json");
	if (code == 405)
		evhttp_add_header(&c->req.reply, "Allow", "GET, HEAD, POST");
	evbuffer_add_printf(b, "{\n  \"error\": \"%s\"\n}\n", msg);
	http_reply(&c->req, code, b);
	evbuffer_free(b);
}

static void conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_input(c->bev));

	(void)fd;
	(void)what;
	if (c->state == CONN_LINGER || c->state == CONN_WRITING) {
		if (c->state == CONN_WRITING)
			log_ratelimited(LOG_LEVEL_WARN,
					"api: peer=%s reply not taken in %u ms, closing",
					c->peer_text, c->lim.body_timeout_ms);
		conn_free(c);
	} else if (c->state == CONN_BODY) {
		log_ratelimited(LOG_LEVEL_WARN, "api: peer=%s body not complete in %u ms, closing",
				c->peer_text, c->lim.body_timeout_ms);
		refuse(c, HTTP_REFUSED_BODY_TIMEOUT, 408, "the body did not arrive in time");
	} else if (c->state == CONN_HEAD && !c->plain && !c->handshaken) {
		/* No TLS yet: a 408 could only wait for the handshake, for
		 * the body deadline more. */
		c->srv->refused[HTTP_REFUSED_HEADER_TIMEOUT]++;
		log_ratelimited(LOG_LEVEL_WARN,
				"api: peer=%s TLS handshake not complete in %u ms, closing",
				c->peer_text, c->lim.header_timeout_ms);
		conn_free(c);
	} else if (c->state == CONN_HEAD && (pending > 0 || c->active || c->served == 0)) {
		log_ratelimited(LOG_LEVEL_WARN,
				"api: peer=%s headers not complete in %u ms, closing", c->peer_text,
				c->lim.header_timeout_ms);
		refuse(c, HTTP_REFUSED_HEADER_TIMEOUT, 408, "the headers did not arrive in time");
	} else {
		/* an idle keep-alive connection */
		conn_free(c);
	}
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)bev;
	/* A TLS handshake that completed; everything else ends the connection. */
	if (what & BEV_EVENT_CONNECTED) {
		c->handshaken = true;
		return;
	}
	conn_free(c);
}

/* Is s a token (RFC 9110 tchar)? */
static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!(((unsigned char)*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return false;
	return true;
}

/* Parse the request line and headers in block (len bytes, the blank line
 * excluded, NUL-terminated by the caller) into c->req. Returns 0, or an
 * HTTP status with *msg set and the refusal kind in *kind. */
static int parse_head(struct http_conn *c, char *block, size_t len, const char **msg,
		      enum http_refusal *kind)
{
	struct http_request *req = &c->req;
	char *line, *next, *sp1, *sp2, *q;
	bool have_length = false;
	unsigned fields = 0;
	struct evhttp_uri *uri;

	*kind = HTTP_REFUSED_BAD_REQUEST;
	/* Bytes that have no place in a header block: NUL and control
	 * characters other than tab, CR and LF. */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)block[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f) {
			*msg = ch == 0 ? "a NUL byte in the request header"
				       : "a control character in the request header";
			return 400;
		}
		/* A CR ends a line only with the LF after it (the last line's
		 * LF is not in block), in the request line as in headers. */
		if (ch == '\r' && i + 1 < len && block[i + 1] != '\n') {
			*msg = "a bare CR in the request header";
			return 400;
		}
	}
	next = strchr(block, '\n');
	if (next != NULL)
		*next++ = '\0';
	line = block;
	if (*line != '\0' && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL) {
		*msg = "malformed request line";
		return 400;
	}
	*sp1 = *sp2 = '\0';
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		req->http10 = false;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		req->http10 = true;
	else {
		*msg = "only HTTP/1.0 and HTTP/1.1 are spoken here";
		return 400;
	}
	if (strcmp(line, "GET") == 0)
		req->method = HTTP_GET;
	else if (strcmp(line, "HEAD") == 0)
		req->method = HTTP_HEAD;
	else if (strcmp(line, "POST") == 0)
		req->method = HTTP_POST;
	else {
		*kind = HTTP_REFUSED_METHOD;
		*msg = is_token(line) ? "use GET, HEAD or POST" : "malformed method";
		return is_token(line) ? 405 : 400;
	}
	if (sp1[1] != '/' || strlen(sp1 + 1) > TARGET_MAX) {
		*msg = "the request target must be a path";
		return 400;
	}
	/* evhttp's parser lets a tab (or a CR) into the path and the query,
	 * and on into handlers and logs. */
	for (q = sp1 + 1; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			*msg = "a control character in the request target";
			return 400;
		}
	/* As evhttp parses targets; the path is kept as sent (not decoded). */
	uri = evhttp_uri_parse_with_flags(sp1 + 1, EVHTTP_URI_NONCONFORMANT);
	if (uri == NULL || evhttp_uri_get_path(uri) == NULL || evhttp_uri_get_host(uri) != NULL) {
		if (uri != NULL)
			evhttp_uri_free(uri);
		*msg = "malformed request target";
		return 400;
	}
	req->path = xstrdup(evhttp_uri_get_path(uri));
	q = (char *)evhttp_uri_get_query(uri);
	req->query = q != NULL ? xstrdup(q) : NULL;
	evhttp_uri_free(uri);
	/* One header a line; obsolete line folding is refused. */
	for (line = next; line != NULL; line = next) {
		char *colon, *value, *end;

		if (++fields > HEADERS_MAX) {
			*kind = HTTP_REFUSED_HEADER_SIZE;
			*msg = "too many header fields";
			return 431;
		}
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		if (end > line && end[-1] == '\r')
			*--end = '\0';
		colon = strchr(line, ':');
		if (*line == ' ' || *line == '\t' || colon == NULL || colon == line) {
			*msg = "malformed header line";
			return 400;
		}
		*colon = '\0';
		if (!is_token(line)) {
			*msg = "malformed header name";
			return 400;
		}
		value = colon + 1;
		value += strspn(value, " \t");
		while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (strcasecmp(line, "Transfer-Encoding") == 0) {
			*kind = HTTP_REFUSED_BODY_SIZE;
			*msg = "request bodies need a Content-Length";
			return 411;
		}
		if (strcasecmp(line, "Content-Length") == 0) {
			char *e;
			unsigned long long n;

			errno = 0;
			n = strtoull(value, &e, 10);
			if (*value < '0' || *value > '9' || *e != '\0' || errno != 0 ||
			    (have_length && n != req->content_length) || n > SIZE_MAX / 2) {
				*msg = "malformed Content-Length";
				return 400;
			}
			have_length = true;
			req->content_length = (size_t)n;
		}
		if (strcasecmp(line, "Connection") == 0 && strcasecmp(value, "close") == 0)
			req->close = true;
		if (req->http10 && strcasecmp(line, "Connection") == 0 &&
		    strcasecmp(value, "keep-alive") == 0) {
			req->http10 = false;
			req->keep_alive10 = true;
		}
		evhttp_add_header(&req->headers, line, value);
	}
	return 0;
}

/* Hand a complete request to the handler. */
static void dispatch(struct http_conn *c)
{
	evtimer_del(c->deadline);
	c->state = CONN_HANDLE;
	bufferevent_disable(c->bev, EV_READ);
	c->srv->handler(&c->req, c->srv->arg);
	if (!c->req.replied && !c->req.deferred) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add_printf(b, "{\n  \"error\": \"no reply\"\n}\n");
		http_reply(&c->req, 500, b);
		evbuffer_free(b);
	}
}

/* The body is complete when the input holds content_length bytes. */
static void read_body(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	if (evbuffer_get_length(in) < c->req.content_length)
		return;
	c->req.body = evbuffer_new();
	evbuffer_remove_buffer(in, c->req.body, c->req.content_length);
	dispatch(c);
}

/* Find the end of the header block in in, from *scanned on (bytes already
 * searched without a match; updated). Returns true with *len the bytes of
 * the block before the LF that ends its last line and *skip the bytes of
 * the terminator ("\n\n" or "\n\r\n"). */
static bool find_head_end(struct evbuffer *in, size_t *scanned, size_t *len, size_t *skip)
{
	size_t have = evbuffer_get_length(in);
	struct evbuffer_ptr at;

	/* A terminator may straddle what was searched and what is new. */
	if (evbuffer_ptr_set(in, &at, *scanned > 2 ? *scanned - 2 : 0, EVBUFFER_PTR_SET) != 0)
		return false;
	for (;;) {
		struct evbuffer_ptr lf = evbuffer_search(in, "\n", 1, &at);
		char next[2];
		size_t n;

		if (lf.pos < 0)
			break;
		n = have - (size_t)lf.pos - 1 < 2 ? have - (size_t)lf.pos - 1 : 2;
		if (n > 0) {
			struct evbuffer_ptr after = lf;

			evbuffer_ptr_set(in, &after, 1, EVBUFFER_PTR_ADD);
			evbuffer_copyout_from(in, &after, next, n);
		}
		if (n >= 1 && next[0] == '\n') {
			*len = (size_t)lf.pos;
			*skip = 2;
			return true;
		}
		if (n == 2 && next[0] == '\r' && next[1] == '\n') {
			*len = (size_t)lf.pos;
			*skip = 3;
			return true;
		}
		if (n < 2 && (n == 0 || next[0] == '\r'))
			break; /* undecided until more comes */
		at = lf;
		evbuffer_ptr_set(in, &at, 1, EVBUFFER_PTR_ADD);
	}
	*scanned = have;
	return false;
}

static void read_head(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t have = evbuffer_get_length(in), len, skip;
	const char *msg = NULL;
	enum http_refusal kind;
	char *block;
	int code;

	if (have == 0)
		return;
	if (!c->active)
		request_init(c);
	/* The first empty line ends the block, as parse_head() reads lines: a
	 * line ends at LF, a CR before it is dropped, so "\n\n" and "\n\r\n"
	 * both end it (another reading would let the block end elsewhere
	 * than where a proxy in front ends it). The search resumes where the
	 * last one stopped: a header sent a byte at a time costs linear work. */
	if (!find_head_end(in, &c->scanned, &len, &skip)) {
		if (have > c->lim.max_header_len)
			refuse(c, HTTP_REFUSED_HEADER_SIZE, 431, "the request header is too long");
		return;
	}
	if (len > c->lim.max_header_len) {
		refuse(c, HTTP_REFUSED_HEADER_SIZE, 431, "the request header is too long");
		return;
	}
	block = xmalloc(len + 1);
	evbuffer_remove(in, block, len);
	evbuffer_drain(in, skip);
	c->scanned = 0;
	block[len] = '\0';
	code = parse_head(c, block, len, &msg, &kind);
	free(block);
	if (code != 0) {
		log_ratelimited(LOG_LEVEL_WARN, "api: refused: peer=%s reason=%s", c->peer_text,
				msg);
		refuse(c, kind, code, msg);
		return;
	}
	c->srv->headers(&c->req, c->srv->arg);
	if (c->req.replied)
		return;
	if (c->req.content_length > c->req.body_limit) {
		log_ratelimited(LOG_LEVEL_WARN,
				"api: refused: peer=%s path=%s reason=body of %zu bytes over the "
				"limit of %zu",
				c->peer_text, c->req.path, c->req.content_length,
				c->req.body_limit);
		refuse(c, HTTP_REFUSED_BODY_SIZE, 413,
		       c->req.body_limit == 0 ? "this request takes no body"
					      : "the body is too large");
		return;
	}
	if (c->req.content_length == 0) {
		dispatch(c);
		return;
	}
	/* Bodies held at once are bounded in all: a client that may send one
	 * (a probe key is no secret) cannot make the server hold more. */
	if (c->srv->body_reserved + c->req.content_length > c->lim.max_body_total ||
	    c->client->reserved + c->req.content_length > c->lim.max_body_per_client) {
		log_ratelimited(LOG_LEVEL_WARN,
				"api: refused: peer=%s path=%s reason=no room for a body of %zu "
				"bytes (%zu of %zu held, %zu by its network)",
				c->peer_text, c->req.path, c->req.content_length,
				c->srv->body_reserved, c->lim.max_body_total, c->client->reserved);
		evhttp_add_header(&c->req.reply, "Retry-After", "1");
		refuse(c, HTTP_REFUSED_BODY_MEMORY, 503, "too many bodies at once; try again");
		return;
	}
	c->req.reserved = c->req.content_length;
	c->client->reserved += c->req.reserved;
	c->srv->body_reserved += c->req.reserved;
	/* The body has a deadline of its own, and the input may hold it all
	 * and no more. */
	evtimer_del(c->deadline);
	c->state = CONN_BODY;
	deadline_start(c, c->lim.body_timeout_ms);
	bufferevent_setwatermark(c->bev, EV_READ, 0, c->req.content_length);
	{
		const char *expect = evhttp_find_header(&c->req.headers, "Expect");

		/* (an HTTP/1.0 client is not sent one: RFC 9110 10.1.1) */
		if (expect != NULL && strcasecmp(expect, "100-continue") == 0 && !c->req.http10 &&
		    !c->req.keep_alive10 && evbuffer_get_length(in) == 0)
			evbuffer_add_printf(bufferevent_get_output(c->bev),
					    "HTTP/1.1 100 Continue\r\n\r\n");
	}
	read_body(c);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (c->state == CONN_HEAD) {
		read_head(c);
	} else if (c->state == CONN_BODY) {
		read_body(c);
	} else if (c->state == CONN_LINGER) {
		struct evbuffer *in = bufferevent_get_input(bev);

		c->lingered += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		if (c->lingered > LINGER_BYTES)
			conn_free(c);
	}
}

static void conn_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (c->state != CONN_WRITING || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (c->req.close && c->plain &&
	    (c->req.linger || evbuffer_get_length(bufferevent_get_input(bev)) > 0)) {
		/* The reply is out; what the client still sends is dropped for
		 * a while, so that it reads the reply before a reset. */
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		c->state = CONN_LINGER;
		bufferevent_setwatermark(bev, EV_READ, 0, 0);
		bufferevent_disable(bev, EV_WRITE);
		bufferevent_enable(bev, EV_READ);
		deadline_start(c, LINGER_MS);
		conn_read(bev, c);
		return;
	}
	if (c->req.close) {
		conn_free(c);
		return;
	}
	/* Keep-alive: the next request has the header deadline again. */
	c->served++;
	request_reset(&c->req);
	c->active = false;
	c->state = CONN_HEAD;
	bufferevent_setwatermark(c->bev, EV_READ, 0, c->lim.max_header_len + 1);
	deadline_start(c, c->lim.header_timeout_ms);
	bufferevent_enable(c->bev, EV_READ);
	read_head(c);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct listener *l = arg;
	struct http_server *srv = l->srv;
	struct http_limits lim;
	struct http_conn *c;
	struct client *cl;
	uint8_t key[17];
	struct timeval wt;

	(void)lev;
	srv->limits(&lim, srv->arg);
	client_key(sa, key);
	cl = client_find(srv, key, false);
	if (srv->conn_count >= lim.max_connections ||
	    (cl != NULL && cl->count >= lim.max_per_client)) {
		enum http_refusal k = srv->conn_count >= lim.max_connections
					  ? HTTP_REFUSED_CONNECTIONS
					  : HTTP_REFUSED_CLIENT_CONNECTIONS;
		char text[NETADDR_STRLEN];

		srv->refused[k]++;
		netaddr_format(sa, text, sizeof(text));
		log_ratelimited(
		    LOG_LEVEL_WARN, "api: refused: peer=%s reason=%s limit (%u)", text,
		    k == HTTP_REFUSED_CONNECTIONS ? "connection" : "per-client connection",
		    k == HTTP_REFUSED_CONNECTIONS ? lim.max_connections : lim.max_per_client);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->lim = lim;
	memcpy(&c->peer.u, sa,
	       (size_t)salen < sizeof(c->peer.u) ? (size_t)salen : sizeof(c->peer.u));
	c->peer.len = (socklen_t)salen;
	netaddr_format(sa, c->peer_text, sizeof(c->peer_text));
	c->plain = l->bev == NULL;
	c->listener = l->index;
	c->bev = l->bev != NULL ? l->bev(srv->base, fd, l->bev_arg)
				: bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(srv->base, conn_deadline, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev == NULL)
			close(fd);
		else
			bufferevent_free(c->bev);
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		return;
	}
	c->client = client_find(srv, key, true);
	c->client->count++;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->conn_count++;
	c->state = CONN_HEAD;
	/* A reply the client does not read in time is dropped. */
	wt.tv_sec = lim.body_timeout_ms / 1000;
	wt.tv_usec = (lim.body_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, lim.max_header_len + 1);
	deadline_start(c, lim.header_timeout_ms);
	bufferevent_enable(c->bev, EV_READ);
}

struct http_server *http_server_new(struct event_base *base, http_limits_fn *limits,
				    http_headers_fn *headers, http_handler_fn *handler, void *arg)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->limits = limits;
	srv->headers = headers;
	srv->handler = handler;
	srv->arg = arg;
	return srv;
}

int http_server_listen(struct http_server *srv, const struct netaddr *addr, http_bev_fn *bev,
		       void *bev_arg, struct netaddr *bound, struct gslb_err *err)
{
	char text[NETADDR_STRLEN];
	struct listener *l;
	int fd, on = 1;

	netaddr_format(&addr->u.sa, text, sizeof(text));
	fd = socket(addr->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gslb_err_setc(err, GSLB_EIO, "api %s: socket: %s", text, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (addr->u.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, &addr->u.sa, addr->len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int e = errno;

		close(fd);
		return gslb_err_setc(err, GSLB_EIO, "api %s: cannot listen: %s", text, strerror(e));
	}
	bound->len = sizeof(bound->u);
	getsockname(fd, &bound->u.sa, &bound->len);
	l = xcalloc(1, sizeof(*l));
	l->srv = srv;
	l->bev = bev;
	l->bev_arg = bev_arg;
	l->index = srv->listener_count;
	l->lev = evconnlistener_new(srv->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (l->lev == NULL) {
		close(fd);
		free(l);
		return gslb_err_setc(err, GSLB_EIO, "api %s: cannot listen", text);
	}
	l->guard = accept_guard_new(srv->base, l->lev, ACCEPT_GUARD_API);
	srv->listeners =
	    xreallocarray(srv->listeners, srv->listener_count + 1, sizeof(*srv->listeners));
	srv->listeners[srv->listener_count++] = l;
	return 0;
}

unsigned http_server_connections(const struct http_server *srv)
{
	return srv->conn_count;
}

uint64_t http_server_refused(const struct http_server *srv, enum http_refusal kind)
{
	return srv->refused[kind];
}

void http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		conn_free(srv->conns);
	while (srv->orphans != NULL)
		orphan_free(srv->orphans);
	for (size_t i = 0; i < srv->listener_count; i++) {
		accept_guard_free(srv->listeners[i]->guard);
		evconnlistener_free(srv->listeners[i]->lev);
		free(srv->listeners[i]);
	}
	free(srv->listeners);
	free(srv);
}

/* Fuzz target for the API's HTTP/1.1 server (gslbd/net/http_server.c):
 * the input is what one client sends on one connection, pipelined
 * requests, bodies and garbage alike, fed to the real server through a
 * socket pair and the real event loop.
 *
 * The first two bytes are not sent: byte 0 picks the server's behaviour
 * (body limit, deferred replies, a connection closed while a reply is
 * deferred, refusals on the headers) and the client's (never reading,
 * closing at once); byte 1 is the size of the pieces the rest is sent in
 * (0: all at once), so that every split of a request is tried.
 *
 * Checked: what the parser hands the handler (a path that starts with
 * '/', no control byte in the path, the query or a header, header names
 * that are tokens, a body of exactly the announced length within the
 * limit), and once the connection is gone, that nothing is left counted
 * (connections, client networks, body budget). With libFuzzer:
 * tests/fuzz/libfuzzer.sh http; otherwise tests/fuzz/replay.c replays
 * the corpus. The server's own file is included so that connections can
 * be made from a socket pair without a listening socket. */
#include "gslbd/net/http_server.c"

#include <stdio.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte 0 of the input. */
#define F_LIMIT       0x03 /* body limit: 0, 5, 100 or 4096 */
#define F_DEFER       0x04 /* replies come from a timer, later */
#define F_DROP        0x08 /* ... and the connection is closed before */
#define F_NO_READ     0x10 /* the client never reads */
#define F_CLOSE       0x20 /* the client closes rather than shuts down */
#define F_REFUSE      0x40 /* paths starting "/r" are refused on headers */
#define F_SMALL_HEADS 0x80 /* a header block of 64 bytes at most */

static const size_t limits_by_flag[] = {0, 5, 100, 4096};

static struct event_base *fuzz_base;
static struct event *later;           /* replies to deferred requests */
static uint8_t flags;                 /* byte 0 */
static struct http_request *owed[64]; /* deferred, not replied yet */
static size_t owed_count;             /* entries in owed */

static void fuzz_limits(struct http_limits *out, void *arg)
{
	(void)arg;
	*out = (struct http_limits){.max_connections = 4,
				    .max_per_client = 4,
				    .header_timeout_ms = 2000,
				    .body_timeout_ms = 2000,
				    .max_header_len = (flags & F_SMALL_HEADS) ? 64 : 1024,
				    .max_body_total = 150,
				    .max_body_per_client = 120};
}

static bool clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* What the parser hands on is well formed, whatever came in. */
static void check_request(struct http_request *req)
{
	const char *path = http_request_path(req), *q = http_request_query(req);
	struct evkeyval *h;

	if (path == NULL || path[0] != '/' || !clean(path) || (q != NULL && !clean(q)))
		abort();
	if (http_request_method(req) > HTTP_POST)
		abort();
	TAILQ_FOREACH(h, &req->headers, next)
	{
		if (!is_token(h->key) || strchr(h->value, '\r') != NULL ||
		    strchr(h->value, '\n') != NULL)
			abort();
		if (strcasecmp(h->key, "Transfer-Encoding") == 0)
			abort(); /* refused with 411 */
	}
}

static void fuzz_headers(struct http_request *req, void *arg)
{
	(void)arg;
	check_request(req);
	if ((flags & F_REFUSE) && strncmp(http_request_path(req), "/r", 2) == 0) {
		http_reply(req, 403, NULL);
		return;
	}
	http_request_set_body_limit(req, limits_by_flag[flags & F_LIMIT]);
}

static void reply(struct http_request *req)
{
	struct evbuffer *b = evbuffer_new();
	const char *path = http_request_path(req);
	int code = path[1] == 'n' ? 304 : path[1] == 'z' ? 204 : path[1] == 'e' ? 500 : 200;
	bool gone = req->conn->orphan; /* then req is freed by the reply */

	evbuffer_add_printf(b, "%s %zu\n", path, http_request_content_length(req));
	if (http_request_query(req) != NULL && strstr(http_request_query(req), "close") != NULL)
		http_request_set_close(req);
	evhttp_add_header(http_request_reply_headers(req), "Content-Type", "text/plain");
	http_reply(req, code, b);
	if (evbuffer_get_length(b) != 0 || (!gone && !http_request_replied(req)))
		abort(); /* the body is taken, and the reply is sent */
	evbuffer_free(b);
}

static void fuzz_handler(struct http_request *req, void *arg)
{
	size_t len;
	const void *body = http_request_body(req, &len);

	(void)arg;
	check_request(req);
	if (len != http_request_content_length(req) || len > limits_by_flag[flags & F_LIMIT] ||
	    (len > 0) != (body != NULL))
		abort();
	if ((flags & F_DEFER) && owed_count < sizeof(owed) / sizeof(owed[0])) {
		http_request_defer(req);
		owed[owed_count++] = req;
		event_active(later, EV_TIMEOUT, 1);
		return;
	}
	reply(req);
}

/* The deferred replies, and with F_DROP the connection goes first (as
 * when the client resets it while a reload runs). */
static void reply_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (size_t i = 0; i < owed_count; i++) {
		struct http_conn *c = owed[i]->conn;

		if ((flags & F_DROP) && !c->orphan)
			conn_event(c->bev, BEV_EVENT_ERROR, c);
		reply(owed[i]);
	}
	owed_count = 0;
}

/* Nothing counted once every connection is gone. */
static void check_released(const struct http_server *srv)
{
	if (srv->conns != NULL)
		return;
	if (srv->conn_count != 0 || srv->body_reserved != 0 || srv->orphans != NULL)
		abort();
	for (size_t i = 0; i < CLIENT_BUCKETS; i++)
		if (srv->clients[i] != NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4321)};
	struct http_server *srv;
	struct listener l = {0};
	size_t off = 0, chunk;
	int sv[2];
	bool shut = false;

	if (size < 2)
		return 0;
	if (fuzz_base == NULL) {
		log_set_level(LOG_LEVEL_ERR);
		fuzz_base = event_base_new();
		later = event_new(fuzz_base, -1, 0, reply_later, NULL);
		if (fuzz_base == NULL || later == NULL)
			abort();
	}
	flags = data[0];
	chunk = data[1] != 0 ? data[1] : size;
	data += 2;
	size -= 2;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	sin.sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
	srv = http_server_new(fuzz_base, fuzz_limits, fuzz_headers, fuzz_handler, NULL);
	l.srv = srv;
	on_accept(NULL, sv[0], (struct sockaddr *)&sin, sizeof(sin), &l);
	if (srv->conn_count != 1)
		abort();
	/* Send piece by piece, the loop turning between pieces, until the
	 * server has closed and every deferred reply was given. */
	for (size_t turn = 0; turn < size / chunk + 64; turn++) {
		char sink[4096];

		if (off < size) {
			size_t n = size - off < chunk ? size - off : chunk;
			ssize_t w = send(sv[1], data + off, n, MSG_NOSIGNAL);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				off = size; /* the server closed */
		} else if (!shut) {
			shut = true;
			if (flags & F_CLOSE) {
				close(sv[1]);
				sv[1] = -1;
			} else {
				shutdown(sv[1], SHUT_WR);
			}
		}
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		while (sv[1] >= 0 && !(flags & F_NO_READ) && recv(sv[1], sink, sizeof(sink), 0) > 0)
			;
		if (shut && srv->conns == NULL && owed_count == 0)
			break;
	}
	if (owed_count > 0)
		reply_later(-1, 0, NULL);
	check_released(srv);
	http_server_free(srv);
	if (sv[1] >= 0)
		close(sv[1]);
	return 0;
}

/* Unit tests of the API's HTTP/1.1 server (gslbd/net/http_server.c): a
 * server on 127.0.0.1:0 and raw clients in the same thread, the event loop
 * pumped between their steps. What is decided on the headers, what the
 * parser refuses, keep-alive, HEAD, deadlines and connection caps. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "common/netaddr.h"
#include "gslbd/net/http_server.h"

static struct event_base *base;
static struct http_server *srv;
static struct netaddr bound;
static struct http_limits lim;
static unsigned handled;     /* handler calls */
static size_t body_limit;    /* what the headers callback allows */
static char last_body[64];   /* the handler's last body (truncated) */
static size_t last_listener; /* ... and its listener */

static void limits(struct http_limits *out, void *arg)
{
	(void)arg;
	*out = lim;
}

/* /refuse is refused on its headers; the rest gets body_limit. */
static void on_headers(struct http_request *req, void *arg)
{
	(void)arg;
	if (strcmp(http_request_path(req), "/refuse") == 0) {
		http_reply(req, 403, NULL);
		return;
	}
	http_request_set_body_limit(req, body_limit);
}

/* Echo "path?query body-length" with the X-Echo header back. */
static void handler(struct http_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	const char *q = http_request_query(req), *x = http_request_header(req, "X-Echo");
	const void *body;
	size_t len;

	(void)arg;
	handled++;
	last_listener = http_request_listener(req);
	body = http_request_body(req, &len);
	snprintf(last_body, sizeof(last_body), "%.*s", (int)(len < 60 ? len : 60),
		 body != NULL ? (const char *)body : "");
	evbuffer_add_printf(b, "%s%s%s %zu %s", http_request_path(req), q != NULL ? "?" : "",
			    q != NULL ? q : "", len, x != NULL ? x : "-");
	http_reply(req, 200, b);
	evbuffer_free(b);
}

static void setup(void)
{
	struct netaddr a;
	struct gslb_err err = {{0}};

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	lim = (struct http_limits){.max_connections = 100,
				   .max_per_client = 100,
				   .header_timeout_ms = 2000,
				   .body_timeout_ms = 2000,
				   .max_header_len = 1024,
				   .max_body_total = 150,
				   .max_body_per_client = 120};
	handled = 0;
	body_limit = 100;
	last_body[0] = '\0';
	last_listener = 99;
	srv = http_server_new(base, limits, on_headers, handler, NULL);
	ck_assert_int_eq(netaddr_parse("127.0.0.1", 0, &a), 0);
	ck_assert_int_eq(http_server_listen(srv, &a, NULL, NULL, &bound, &err), 0);
}

static void teardown(void)
{
	http_server_free(srv);
	event_base_free(base);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int client(const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (src != NULL) {
		struct sockaddr_in sin = {.sin_family = AF_INET};

		inet_pton(AF_INET, src, &sin.sin_addr);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	ck_assert_int_eq(connect(fd, &bound.u.sa, bound.len), 0);
	return fd;
}

static void send_text(int fd, const char *text, size_t len)
{
	ck_assert_int_eq(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

#define SEND(fd, text) send_text(fd, text, sizeof(text) - 1)

/* What came back on a connection. */
struct got {
	char buf[8192]; /* bytes received */
	size_t len;     /* of them */
	bool closed;    /* the server closed */
};

/* Has g n complete responses (HEAD: no body)? */
static bool complete(const struct got *g, int n, bool head)
{
	const char *p = g->buf, *end = g->buf + g->len;

	for (int i = 0; i < n; i++) {
		const char *hdr_end = strstr(p, "\r\n\r\n"), *cl;
		size_t body = 0;

		if (hdr_end == NULL || hdr_end >= end)
			return false;
		cl = strstr(p, "Content-Length: ");
		if (cl != NULL && cl < hdr_end && !head && strncmp(p, "HTTP/1.1 100", 12) != 0)
			body = strtoul(cl + 16, NULL, 10);
		if (hdr_end + 4 + body > end)
			return false;
		p = hdr_end + 4 + body;
	}
	return true;
}

/* Pump the loop and read fd until n responses are in, or it closes, or
 * wait_ms passes (n 0: until it closes). */
static void pump(int fd, struct got *g, int n, bool head, int wait_ms)
{
	long deadline = now_ms() + wait_ms;

	while (now_ms() < deadline && !g->closed && (n == 0 || !complete(g, n, head))) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 2) <= 0)
			continue;
		r = recv(fd, g->buf + g->len, sizeof(g->buf) - 1 - g->len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			g->closed = true;
		else if (r > 0)
			g->len += (size_t)r;
		g->buf[g->len] = '\0';
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Send text on a new connection and read one response (and a close if
 * wait_close). */
static void exchange(const char *text, size_t len, struct got *g, bool wait_close)
{
	int fd = client(NULL);

	memset(g, 0, sizeof(*g));
	send_text(fd, text, len);
	pump(fd, g, wait_close ? 0 : 1, strncmp(text, "HEAD", 4) == 0, 2000);
	close(fd);
}

#define EXCHANGE(text, g, wait_close) exchange(text, sizeof(text) - 1, g, wait_close)

static void assert_status(const struct got *g, const char *status)
{
	ck_assert_msg(strncmp(g->buf, status, strlen(status)) == 0, "expected '%s', got '%s'",
		      status, g->buf);
}

static bool has(const struct got *g, const char *text)
{
	return strstr(g->buf, text) != NULL;
}

START_TEST(test_get_and_query)
{
	struct got g;

	EXCHANGE("GET /v1/explain?name=a&client=1 HTTP/1.1\r\nHost: x\r\nX-Echo:  hi \r\n\r\n", &g,
		 false);
	assert_status(&g, "HTTP/1.1 200 OK\r\n");
	ck_assert(has(&g, "Content-Length: 32\r\n"));
	ck_assert(has(&g, "\r\n\r\n/v1/explain?name=a&client=1 0 hi"));
	ck_assert(!has(&g, "Connection: close"));
	ck_assert_uint_eq(last_listener, 0);
}
END_TEST

START_TEST(test_keepalive_pipelined)
{
	struct got g = {0};
	int fd = client(NULL);
	static const char two[] = "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3"
				  "\r\n\r\nxyzGET /c HTTP/1.1\r\nConnection: close\r\n\r\n";

	send_text(fd, two, sizeof(two) - 1);
	pump(fd, &g, 0, false, 2000);
	close(fd);
	ck_assert(g.closed);
	ck_assert_uint_eq(handled, 3);
	ck_assert(has(&g, "/a 0 -"));
	ck_assert(has(&g, "/b 3 -"));
	ck_assert(has(&g, "/c 0 -"));
	ck_assert_str_eq(last_body, "");
}
END_TEST

/* The first empty line ends the header block however its line ends
 * ("\n\r\n" too), and what follows is the next request, not headers of
 * this one: the server reads the block where a proxy in front reads it. */
START_TEST(test_head_ends_at_first_empty_line)
{
	struct got g = {0};
	int fd = client(NULL);
	static const char two[] = "GET /a HTTP/1.1\r\nX-Echo: 1\n\r\nGET /b HTTP/1.1\r\nX-Echo: 2"
				  "\r\n\r\n";

	send_text(fd, two, sizeof(two) - 1);
	pump(fd, &g, 2, false, 2000);
	ck_assert_msg(has(&g, "/a 0 1") && has(&g, "/b 0 2"), "got '%s'", g.buf);
	ck_assert_uint_eq(handled, 2);
	/* the same end, split at each of its bytes */
	memset(&g, 0, sizeof(g));
	SEND(fd, "GET /c HTTP/1.1\nX-Echo: 3\n");
	pump(fd, &g, 1, false, 100);
	SEND(fd, "\r");
	pump(fd, &g, 1, false, 100);
	ck_assert_uint_eq(g.len, 0);
	SEND(fd, "\n");
	pump(fd, &g, 1, false, 2000);
	ck_assert_msg(has(&g, "/c 0 3"), "got '%s'", g.buf);
	close(fd);
}
END_TEST

START_TEST(test_post_body)
{
	struct got g;

	EXCHANGE("POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &g, false);
	assert_status(&g, "HTTP/1.1 200 OK\r\n");
	ck_assert(has(&g, "/p 5 -"));
	ck_assert_str_eq(last_body, "hello");
}
END_TEST

START_TEST(test_head_has_no_body)
{
	struct got g = {0};
	int fd = client(NULL);

	static const char text[] = "HEAD /h HTTP/1.1\r\n\r\nGET /h2 HTTP/1.1\r\n\r\n";
	static const char want[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nHTTP/1.1 200";

	send_text(fd, text, sizeof(text) - 1);
	pump(fd, &g, 2, true, 2000);
	close(fd);
	/* The HEAD reply announces the GET's length; the next bytes are the
	 * next reply's. */
	ck_assert_msg(strncmp(g.buf, want, sizeof(want) - 1) == 0, "got '%s'", g.buf);
}
END_TEST

START_TEST(test_expect_continue)
{
	struct got g = {0};
	int fd = client(NULL);

	static const char text[] =
	    "POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";

	send_text(fd, text, sizeof(text) - 1);
	pump(fd, &g, 1, false, 2000);
	ck_assert_str_eq(g.buf, "HTTP/1.1 100 Continue\r\n\r\n");
	send_text(fd, "ok", 2);
	pump(fd, &g, 2, false, 2000);
	close(fd);
	ck_assert(has(&g, "\r\n\r\nHTTP/1.1 200 OK\r\n"));
	ck_assert_str_eq(last_body, "ok");
}
END_TEST

/* ... but not to an HTTP/1.0 client. */
START_TEST(test_expect_continue_http10)
{
	struct got g = {0};
	int fd = client(NULL);

	SEND(fd, "POST /e HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
	pump(fd, &g, 1, false, 200);
	SEND(fd, "ok");
	pump(fd, &g, 0, false, 2000);
	close(fd);
	assert_status(&g, "HTTP/1.1 200 OK\r\n");
	ck_assert_str_eq(last_body, "ok");
}
END_TEST

START_TEST(test_http10_closes)
{
	struct got g;

	EXCHANGE("GET /old HTTP/1.0\r\n\r\n", &g, true);
	assert_status(&g, "HTTP/1.1 200 OK\r\n");
	ck_assert(has(&g, "Connection: close\r\n"));
	ck_assert(g.closed);
}
END_TEST

/* HTTP/1.0 with Connection: keep-alive: the reply says the connection
 * stays, and it does. */
START_TEST(test_http10_keepalive)
{
	struct got g = {0};
	int fd = client(NULL);

	SEND(fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	pump(fd, &g, 1, false, 2000);
	assert_status(&g, "HTTP/1.1 200 OK\r\n");
	ck_assert_msg(has(&g, "Connection: keep-alive\r\n"), "got '%s'", g.buf);
	SEND(fd, "GET /again HTTP/1.0\r\n\r\n");
	pump(fd, &g, 0, false, 2000);
	close(fd);
	ck_assert(has(&g, "/again 0 -"));
	ck_assert(g.closed);
	ck_assert_uint_eq(handled, 2);
}
END_TEST

/* Each malformed request, the status it gets, and the connection closes;
 * the handler never runs. */
static const struct {
	const char *text;   /* the request */
	size_t len;         /* its length (NULs inside) */
	const char *status; /* expected status line */
} bad[] = {
#define BAD(t, s)                                                                                  \
	{                                                                                          \
		t, sizeof(t) - 1, s                                                                \
	}
    BAD("GET /n HTTP/1.1\r\nX-A: a\0b\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n HTTP/1.1\r\nX-A: a\rb\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n HTTP/1.1\r\nX-A: a\x01"
	"b\r\n\r\n",
	"HTTP/1.1 400 "),
    BAD("GET /n HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n HTTP/1.1\r\nX A: a\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n HTTP/1.1\r\nNoColon\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n HTTP/2.0\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n\rx HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n\r HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n?a=\tb HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET /n\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET http://h/n HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("GET //h/n HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("POST /n HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "HTTP/1.1 400 "),
    BAD("POST /n HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400 "),
    BAD("POST /n HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "HTTP/1.1 400 "),
    BAD("POST /n HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
	"HTTP/1.1 411 "),
    BAD("POST /n HTTP/1.1\r\nContent-Length: 101\r\n\r\n", "HTTP/1.1 413 "),
    BAD("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", "HTTP/1.1 405 "),
    BAD("BREW /pot HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "),
    BAD("POST /refuse HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", "HTTP/1.1 403 "),
#undef BAD
};

START_TEST(test_bad_request)
{
	struct got g;

	exchange(bad[_i].text, bad[_i].len, &g, true);
	assert_status(&g, bad[_i].status);
	ck_assert(has(&g, "Connection: close\r\n"));
	ck_assert_msg(g.closed, "request %d: the connection stays open", _i);
	ck_assert_uint_eq(handled, 0);
}
END_TEST

START_TEST(test_header_too_long)
{
	struct got g;
	char text[2048];

	memset(text, 'a', sizeof(text));
	memcpy(text, "GET / HTTP/1.1\r\nX-Long: ", 24);
	exchange(text, sizeof(text), &g, true);
	assert_status(&g, "HTTP/1.1 431 ");
	ck_assert(g.closed);
}
END_TEST

/* 100 header fields are taken, 101 get 431 (each costs an allocation:
 * short lines would cost many times their size). */
START_TEST(test_header_fields)
{
	struct got g;
	char text[1024];
	size_t n;

	for (int fields = 100; fields <= 101; fields++) {
		n = (size_t)snprintf(text, sizeof(text), "GET /f HTTP/1.1\r\n");
		for (int i = 0; i < fields; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "a:\n");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\r\n");
		exchange(text, n, &g, fields > 100);
		assert_status(&g, fields == 100 ? "HTTP/1.1 200 " : "HTTP/1.1 431 ");
	}
	ck_assert_uint_eq(handled, 1);
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_HEADER_SIZE), 1);
}
END_TEST

/* A deadline, not an idle timeout: a byte every 50 ms does not hold the
 * connection past it. */
static void trickle(const char *start, const char *status)
{
	struct got g = {0};
	int fd = client(NULL);
	long t0 = now_ms(), took;

	send_text(fd, start, strlen(start));
	while (!g.closed && now_ms() - t0 < 2000) {
		(void)send(fd, "a", 1, MSG_NOSIGNAL);
		pump(fd, &g, 0, false, 50);
	}
	took = now_ms() - t0;
	close(fd);
	ck_assert_msg(g.closed, "still open after %ld ms", took);
	ck_assert_int_ge(took, 280);
	ck_assert_int_lt(took, 1500);
	assert_status(&g, status);
	ck_assert_uint_eq(handled, 0);
}

START_TEST(test_header_deadline)
{
	lim.header_timeout_ms = 300;
	trickle("GET / HTTP/1.1\r\nX-Slow: ", "HTTP/1.1 408 ");
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_HEADER_TIMEOUT), 1);
}
END_TEST

START_TEST(test_body_deadline)
{
	lim.body_timeout_ms = 300;
	lim.max_body_total = lim.max_body_per_client = 1000;
	body_limit = 1000;
	trickle("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", "HTTP/1.1 408 ");
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_BODY_TIMEOUT), 1);
}
END_TEST

/* Is fd closed by the server without a reply? */
static bool refused(int fd)
{
	struct got g = {0};

	send_text(fd, "GET / HTTP/1.1\r\n\r\n", 18);
	pump(fd, &g, 1, false, 1000);
	return g.closed && g.len == 0;
}

START_TEST(test_connection_caps)
{
	int fds[8], n = 0, extra;

	lim.max_per_client = 2;
	lim.max_connections = 3;
	fds[n++] = client("127.0.0.1");
	fds[n++] = client("127.0.0.2");
	for (int i = 0; i < n; i++) {
		struct got g = {0};

		send_text(fds[i], "GET / HTTP/1.1\r\n\r\n", 18);
		pump(fds[i], &g, 1, false, 1000);
		assert_status(&g, "HTTP/1.1 200 ");
	}
	/* a third from the same /24 */
	extra = client("127.0.0.3");
	ck_assert(refused(extra));
	close(extra);
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_CLIENT_CONNECTIONS), 1);
	/* another network fills the total, one more is refused */
	fds[n++] = client("127.0.1.1");
	{
		struct got g = {0};

		send_text(fds[n - 1], "GET / HTTP/1.1\r\n\r\n", 18);
		pump(fds[n - 1], &g, 1, false, 1000);
		assert_status(&g, "HTTP/1.1 200 ");
	}
	ck_assert_uint_eq(http_server_connections(srv), 3);
	extra = client("127.0.2.1");
	ck_assert(refused(extra));
	close(extra);
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_CONNECTIONS), 1);
	/* a slot frees when a connection closes */
	close(fds[0]);
	for (long t0 = now_ms(); http_server_connections(srv) > 2 && now_ms() - t0 < 1000;)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(http_server_connections(srv), 2);
	for (int i = 1; i < n; i++)
		close(fds[i]);
}
END_TEST

/* ... and per client network. */
START_TEST(test_body_budget_per_client)
{
	struct got g = {0}, g2 = {0};
	int a = client("127.0.0.1"), b = client("127.0.0.2");

	SEND(a, "POST /a HTTP/1.1\r\nContent-Length: 80\r\n\r\n");
	pump(a, &g, 1, false, 200);
	ck_assert_uint_eq(g.len, 0);
	/* 80 + 50 fits the 150 in all, not the 120 of one network */
	SEND(b, "POST /b HTTP/1.1\r\nContent-Length: 50\r\n\r\n");
	pump(b, &g2, 1, false, 2000);
	assert_status(&g2, "HTTP/1.1 503 ");
	close(b);
	close(a);
}
END_TEST

/* Bodies being read at once have a budget in all. */
START_TEST(test_body_budget)
{
	struct got g = {0}, g2 = {0};
	int a = client("127.0.0.1"), b = client("127.0.1.1");

	SEND(a, "POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
	pump(a, &g, 1, false, 200);
	ck_assert_uint_eq(g.len, 0);
	SEND(b, "POST /b HTTP/1.1\r\nContent-Length: 60\r\n\r\n");
	pump(b, &g2, 1, false, 2000);
	assert_status(&g2, "HTTP/1.1 503 ");
	ck_assert(has(&g2, "Retry-After: 1\r\n"));
	ck_assert_uint_eq(http_server_refused(srv, HTTP_REFUSED_BODY_MEMORY), 1);
	close(b);
	/* once the first body is in and answered, the budget is free again */
	memset(g.buf, 'x', 100);
	send_text(a, g.buf, 100);
	memset(&g, 0, sizeof(g));
	pump(a, &g, 1, false, 2000);
	assert_status(&g, "HTTP/1.1 200 ");
	SEND(a, "POST /c HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
	memset(g.buf, 'y', 100);
	send_text(a, g.buf, 100);
	memset(&g, 0, sizeof(g));
	pump(a, &g, 1, false, 2000);
	assert_status(&g, "HTTP/1.1 200 ");
	close(a);
}
END_TEST

static Suite *http_server_suite(void)
{
	Suite *s = suite_create("http_server");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_get_and_query);
	tcase_add_test(valid, test_keepalive_pipelined);
	tcase_add_test(valid, test_head_ends_at_first_empty_line);
	tcase_add_test(valid, test_post_body);
	tcase_add_test(valid, test_head_has_no_body);
	tcase_add_test(valid, test_expect_continue);
	tcase_add_test(valid, test_expect_continue_http10);
	tcase_add_test(valid, test_http10_closes);
	tcase_add_test(valid, test_http10_keepalive);
	tcase_add_loop_test(invalid, test_bad_request, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(invalid, test_header_too_long);
	tcase_add_test(invalid, test_header_fields);
	tcase_add_test(invalid, test_header_deadline);
	tcase_add_test(invalid, test_body_deadline);
	tcase_add_test(invalid, test_connection_caps);
	tcase_add_test(invalid, test_body_budget);
	tcase_add_test(invalid, test_body_budget_per_client);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_server_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

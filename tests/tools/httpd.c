/* A small HTTP/1.1 server for tests and the demo: a datacenter backend for
 * probes to check, and a stand-in for gslbd's probe endpoints. One thread,
 * poll(), every answer closes the connection.
 *
 *   httpd [-6] [-p PORT_FILE] [-l PORT] [-D DELAY_MS] [-d DIR] [-k KEY_ID -s SECRET]
 *         [-c CONFIG_JSON] [-r STATUS] [-C CLOSED_PORT_FILE]
 *
 * Listens on 127.0.0.1 (::1 with -6), port PORT (-l) or any free port, and writes the port
 * to PORT_FILE (-p). -D delays every answer by DELAY_MS (a slow datacenter).
 * Paths:
 *   GET /                 answers 200 "ok"
 *   GET /status/NNN       answers status NNN
 *   GET /body/TEXT        answers 200 with TEXT
 *   GET /delay/MS         answers 200 "late" after MS milliseconds
 *   GET /v1/probe-config  checks the signature (-k/-s; 401 when wrong),
 *                         answers CONFIG_JSON with ETag "cfg1" (304 when
 *                         If-None-Match matches), signed as gslbd signs it
 *                         (generation 1)
 *   POST /v1/reports      checks the signature (401 when wrong), saves the
 *                         body to DIR/report.N.json and the headers to
 *                         DIR/report.N.hdr (N = 1, 2, ...), answers 200
 *                         {"accepted": 1} or, with -r, STATUS with a JSON
 *                         refusal; refused signatures go to DIR/rejected.N
 * Every request line and Host header is appended to DIR/requests.log.
 * -C binds a second port without listening (connections to it are refused)
 * and writes it to CLOSED_PORT_FILE. Stops on SIGTERM or SIGINT. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/sign.h"

#define MAX_CLIENTS 64
#define REQ_MAX     (1024 * 1024)

struct client {
	int fd;            /* socket, or -1 */
	char *req;         /* request bytes read */
	size_t req_len;    /* bytes at req */
	char *resp;        /* response, once the request is complete */
	size_t resp_len;   /* bytes at resp */
	size_t resp_off;   /* bytes of resp written */
	uint64_t ready_at; /* monotonic ms when resp may be written */
};

static volatile sig_atomic_t stop;
static const char *dir = ".";
static const char *key_id;
static const char *secret;
static char *config_json;
static int forced_status;
static uint64_t global_delay_ms; /* -D: added to every answer */
static unsigned report_count;
static unsigned rejected_count;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *what) __attribute__((noreturn));

static void die(const char *what)
{
	fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Write len bytes to path through a temporary file and rename(). */
static void write_file(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(tmp);
	if (rename(tmp, path) != 0)
		die(path);
}

static void append_log(const char *line)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/requests.log", dir);
	f = fopen(path, "a");
	if (f == NULL)
		die(path);
	fprintf(f, "%s\n", line);
	fclose(f);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die(path);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Value of header name in the header block hdrs (NUL-terminated, lines end
 * in CRLF), copied into out; false when absent. */
static bool header_get(const char *hdrs, const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);

	for (const char *p = strstr(hdrs, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *end = strstr(line, "\r\n"), *v;

		if (end == NULL || end == line)
			break;
		if ((size_t)(end - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			v = line + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, len, "%.*s", (int)(end - v), v);
			return true;
		}
	}
	return false;
}

/* Is the request signed by key_id with secret (probe protocol 2)? Sets
 * *st to its boot id, seq and time. */
static bool signature_ok(const char *hdrs, const char *method, const char *path, const char *body,
			 size_t body_len, struct sign_stamp *st)
{
	char key[128], ts[64], sig[128], boot[64], seq[64];

	memset(st, 0, sizeof(*st));
	if (key_id == NULL)
		return true;
	if (!header_get(hdrs, SIGN_HEADER_KEY, key, sizeof(key)) ||
	    !header_get(hdrs, SIGN_HEADER_BOOT, boot, sizeof(boot)) ||
	    !header_get(hdrs, SIGN_HEADER_SEQ, seq, sizeof(seq)) ||
	    !header_get(hdrs, SIGN_HEADER_TIMESTAMP, ts, sizeof(ts)) ||
	    !header_get(hdrs, SIGN_HEADER_SIGNATURE, sig, sizeof(sig)))
		return false;
	if (strcmp(key, key_id) != 0 || !sign_boot_parse(boot, &st->boot) ||
	    !sign_u64_parse(seq, &st->seq) || !sign_u64_parse(ts, &st->ts_ms))
		return false;
	return sign_probe_request_check((const uint8_t *)secret, strlen(secret), method, path, st,
					body, body_len, sig);
}

/* The headers signing a probe-config answer (status, body) to request st,
 * as gslbd writes them, into out (len bytes), after extra. */
static void answer_headers(const struct sign_stamp *st, int status, const char *body,
			   const char *extra, char *out, size_t len)
{
	struct sign_answer an = {status, UINT64_C(0x5e17e5), 1, (uint64_t)time(NULL) * 1000};
	char sig[SIGN_HEX_LEN + 1] = "", boot[SIGN_BOOT_HEX_LEN + 1];

	if (secret != NULL)
		sign_probe_answer((const uint8_t *)secret, strlen(secret), "/v1/probe-config", st,
				  &an, body, strlen(body), sig);
	sign_boot_format(an.boot, boot);
	snprintf(out, len,
		 "%s%s: %s\r\n%s: %" PRIu64 "\r\n%s: %" PRIu64 "\r\n%s: %s\r\n", extra,
		 SIGN_HEADER_BOOT, boot, SIGN_HEADER_GENERATION, an.generation,
		 SIGN_HEADER_TIMESTAMP, an.ts_ms, SIGN_HEADER_SIGNATURE, sig);
}

static void respond(struct client *c, int status, const char *extra_headers, const char *body,
		    uint64_t delay_ms)
{
	size_t blen = strlen(body);
	int n;

	c->resp = malloc(blen + 512);
	if (c->resp == NULL)
		die("malloc");
	n = snprintf(c->resp, blen + 512,
		     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
		     status, blen, extra_headers, body);
	c->resp_len = (size_t)n;
	c->resp_off = 0;
	/* now_ms() truncates: one more millisecond makes the delay at least
	 * what was asked, never a fraction less. */
	c->ready_at = now_ms() + delay_ms + global_delay_ms;
	if (delay_ms + global_delay_ms > 0)
		c->ready_at++;
}

/* The request in c is complete: build the answer. */
static void handle(struct client *c, size_t hdr_len, size_t body_len)
{
	char method[16], path[1024], host[256] = "", inm[128] = "", line[1400], ah[512];
	const char *body = c->req + hdr_len;
	struct sign_stamp st;
	char *hdrs;

	hdrs = strndup(c->req, hdr_len);
	if (hdrs == NULL)
		die("strndup");
	if (sscanf(hdrs, "%15s %1023s", method, path) != 2) {
		respond(c, 400, "", "bad request\n", 0);
		free(hdrs);
		return;
	}
	header_get(hdrs, "Host", host, sizeof(host));
	snprintf(line, sizeof(line), "%s %s host=%s", method, path, host);
	append_log(line);
	if (strncmp(path, "/status/", 8) == 0) {
		char text[64];

		snprintf(text, sizeof(text), "status %d\n", atoi(path + 8));
		respond(c, atoi(path + 8), "", text, 0);
	} else if (strncmp(path, "/body/", 6) == 0) {
		respond(c, 200, "", path + 6, 0);
	} else if (strncmp(path, "/delay/", 7) == 0) {
		respond(c, 200, "", "late\n", strtoull(path + 7, NULL, 10));
	} else if (strcmp(method, "GET") == 0 && strcmp(path, "/v1/probe-config") == 0) {
		if (!signature_ok(hdrs, "GET", path, "", 0, &st)) {
			respond(c, 401, "Content-Type: application/json\r\n",
				"{\"error\":\"bad signature\",\"reason\":\"bad_signature\"}", 0);
		} else if (config_json == NULL) {
			respond(c, 404, "", "no config\n", 0);
		} else if (header_get(hdrs, "If-None-Match", inm, sizeof(inm)) &&
			   strcmp(inm, "\"cfg1\"") == 0) {
			answer_headers(&st, 304, "", "ETag: \"cfg1\"\r\n", ah, sizeof(ah));
			respond(c, 304, ah, "", 0);
		} else {
			answer_headers(&st, 200, config_json,
				       "ETag: \"cfg1\"\r\nContent-Type: application/json\r\n", ah,
				       sizeof(ah));
			respond(c, 200, ah, config_json, 0);
		}
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/reports") == 0) {
		char file[4096];

		if (!signature_ok(hdrs, "POST", path, body, body_len, &st)) {
			snprintf(file, sizeof(file), "%s/rejected.%u", dir, ++rejected_count);
			write_file(file, hdrs, hdr_len);
			respond(c, 401, "Content-Type: application/json\r\n",
				"{\"error\":\"bad signature\",\"reason\":\"bad_signature\"}", 0);
		} else {
			report_count++;
			snprintf(file, sizeof(file), "%s/report.%u.hdr", dir, report_count);
			write_file(file, hdrs, hdr_len);
			snprintf(file, sizeof(file), "%s/report.%u.json", dir, report_count);
			write_file(file, body, body_len);
			if (forced_status != 0)
				respond(c, forced_status, "Content-Type: application/json\r\n",
					"{\"error\":\"refused by the test\",\"reason\":\"forced\"}",
					0);
			else
				respond(c, 200, "Content-Type: application/json\r\n",
					"{\"accepted\":1}", 0);
		}
	} else if (strcmp(path, "/") == 0) {
		respond(c, 200, "", "ok\n", 0);
	} else {
		respond(c, 404, "", "not found\n", 0);
	}
	free(hdrs);
}

/* Has c a whole request? Then answer it. */
static void try_complete(struct client *c)
{
	char *end, cl[32];
	size_t hdr_len, body_len = 0;

	if (c->resp != NULL)
		return;
	c->req[c->req_len] = '\0';
	end = strstr(c->req, "\r\n\r\n");
	if (end == NULL)
		return;
	hdr_len = (size_t)(end - c->req) + 4;
	{
		char *hdrs = strndup(c->req, hdr_len);

		if (hdrs == NULL)
			die("strndup");
		if (header_get(hdrs, "Content-Length", cl, sizeof(cl)))
			body_len = strtoul(cl, NULL, 10);
		free(hdrs);
	}
	if (c->req_len < hdr_len + body_len)
		return;
	handle(c, hdr_len, body_len);
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->req);
	free(c->resp);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static bool use_ipv6; /* -6: listen on ::1 */

static int bind_loopback(bool do_listen, const char *port_file, unsigned port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} u;
	socklen_t len = sizeof(u);
	char text[32];
	int fd, one = 1;

	memset(&u, 0, sizeof(u));
	if (use_ipv6) {
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = htons((uint16_t)port);
		u.sin6.sin6_addr = in6addr_loopback;
	} else {
		u.sin.sin_family = AF_INET;
		u.sin.sin_port = htons((uint16_t)port);
		u.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	fd = socket(u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &u.sa, use_ipv6 ? sizeof(u.sin6) : sizeof(u.sin)) != 0)
		die("bind");
	if (do_listen && listen(fd, 64) != 0)
		die("listen");
	if (getsockname(fd, &u.sa, &len) != 0)
		die("getsockname");
	snprintf(text, sizeof(text), "%u\n",
		 (unsigned)ntohs(use_ipv6 ? u.sin6.sin6_port : u.sin.sin_port));
	if (port_file != NULL)
		write_file(port_file, text, strlen(text));
	return fd;
}

int main(int argc, char **argv)
{
	struct client clients[MAX_CLIENTS];
	const char *port_file = NULL, *closed_file = NULL;
	int opt, lfd, closed_fd = -1;

	unsigned port = 0;

	while ((opt = getopt(argc, argv, "6p:l:D:d:k:s:c:r:C:")) != -1) {
		switch (opt) {
		case '6':
			use_ipv6 = true;
			break;
		case 'l':
			port = (unsigned)atoi(optarg);
			break;
		case 'D':
			global_delay_ms = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			port_file = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			key_id = optarg;
			break;
		case 's':
			secret = optarg;
			break;
		case 'c':
			config_json = read_all(optarg);
			break;
		case 'r':
			forced_status = atoi(optarg);
			break;
		case 'C':
			closed_file = optarg;
			break;
		default:
			fprintf(stderr, "usage: httpd [-6] [-p PORT_FILE] [-l PORT] [-D DELAY_MS] [-d DIR] "
					"[-k KEY -s SECRET] [-c CONFIG] [-r STATUS] "
					"[-C CLOSED_PORT_FILE]\n");
			return 2;
		}
	}
	if ((port_file == NULL && port == 0) || (key_id != NULL) != (secret != NULL)) {
		fprintf(stderr, "httpd: -p or -l is required; -k and -s go together\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		memset(&clients[i], 0, sizeof(clients[i]));
		clients[i].fd = -1;
	}
	if (closed_file != NULL)
		closed_fd = bind_loopback(false, closed_file, 0);
	lfd = bind_loopback(true, port_file, port);
	while (!stop) {
		struct pollfd pfd[MAX_CLIENTS + 1];
		int map[MAX_CLIENTS + 1], n = 0, timeout = -1;
		uint64_t now = now_ms();

		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];

			if (c->fd < 0)
				continue;
			if (c->resp != NULL && c->ready_at > now) {
				int wait = (int)(c->ready_at - now);

				if (timeout < 0 || wait < timeout)
					timeout = wait;
				continue;
			}
			pfd[n].fd = c->fd;
			pfd[n].events = c->resp != NULL ? POLLOUT : POLLIN;
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int k = 0; k < n; k++) {
			struct client *c;

			if (pfd[k].revents == 0)
				continue;
			if (map[k] < 0) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;

				if (fd < 0)
					continue;
				for (int i = 0; i < MAX_CLIENTS && slot < 0; i++) {
					if (clients[i].fd < 0)
						slot = i;
				}
				if (slot < 0) {
					close(fd);
					continue;
				}
				clients[slot].fd = fd;
				clients[slot].req = malloc(REQ_MAX + 1);
				if (clients[slot].req == NULL)
					die("malloc");
				continue;
			}
			c = &clients[map[k]];
			if (c->resp == NULL) {
				ssize_t r = read(c->fd, c->req + c->req_len, REQ_MAX - c->req_len);

				if (r <= 0) {
					client_close(c);
					continue;
				}
				c->req_len += (size_t)r;
				try_complete(c);
				if (c->resp == NULL && c->req_len == REQ_MAX)
					client_close(c);
			} else {
				ssize_t w =
				    write(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off);

				if (w <= 0) {
					client_close(c);
					continue;
				}
				c->resp_off += (size_t)w;
				if (c->resp_off == c->resp_len) {
					shutdown(c->fd, SHUT_WR);
					client_close(c);
				}
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	}
	close(lfd);
	if (closed_fd >= 0)
		close(closed_fd);
	free(config_json);
	return 0;
}

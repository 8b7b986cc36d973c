#include <config.h>

#include "ctl/decisions.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fstrm.h>
#include <jansson.h>

#include "common/dnstap.pb-c.h"
#include "common/netaddr.h"
#include "common/xalloc.h"

#define CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define FIELD_MAX    256

/* One answer with its decision. */
struct row {
	char time[32];          /* response time, UTC */
	char resolver[64];      /* the resolver's address */
	char proto[4];          /* udp or tcp */
	char name[FIELD_MAX];   /* the name asked */
	char pool[FIELD_MAX];   /* the pool that answered */
	char dc[FIELD_MAX];     /* the datacenters answered, comma-separated, or "-" */
	char reason[FIELD_MAX]; /* why */
	char country[8];        /* the client's country, or "" */
	char continent[8];      /* its continent, or "" */
	char ecs[64];           /* the Client Subnet asked for, or "" */
	char scope[8];          /* the scope answered, or "" */
	char gen[24];           /* the snapshot generation */
	char notes[64];         /* failopen, empty, private */
	int id;                 /* the message ID, -1 when the response is not there */
};

/* What was read. */
struct reading {
	const struct decisions_opts *o; /* the command */
	struct netprefix client;        /* o->client parsed */
	struct row *rows;               /* file: the last o->count matches, a ring */
	size_t seen;                    /* matches so far */
};

static void copy_field(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Fill r from the extra text (gslbd.conf(5), DNSTAP). false when it is not
 * a load-balanced answer. */
static bool extra_parse(const uint8_t *text, size_t len, struct row *r)
{
	const char *p = (const char *)text, *end = p + len;
	bool lb = false;

	while (p < end) {
		const char *tok = p, *eq, *stop = memchr(p, ' ', (size_t)(end - p));
		size_t klen;

		if (stop == NULL)
			stop = end;
		p = stop + 1;
		eq = memchr(tok, '=', (size_t)(stop - tok));
		if (eq == NULL)
			continue;
		klen = (size_t)(eq - tok);
		eq++;
#define FIELD(key, dst)                                                                            \
	else if (klen == strlen(key) && memcmp(tok, key, klen) == 0)                               \
	    copy_field(dst, sizeof(dst), eq, (size_t)(stop - eq))
		if (klen == 4 && memcmp(tok, "gslb", 4) == 0)
			lb = stop - eq == 1 && *eq == '1';
		FIELD("name", r->name);
		FIELD("pool", r->pool);
		FIELD("dc", r->dc);
		FIELD("reason", r->reason);
		FIELD("country", r->country);
		FIELD("continent", r->continent);
		FIELD("ecs", r->ecs);
		FIELD("scope", r->scope);
		FIELD("gen", r->gen);
		else if ((klen == 8 && memcmp(tok, "failopen", 8) == 0) ||
			 (klen == 5 && memcmp(tok, "empty", 5) == 0) ||
			 (klen == 7 && memcmp(tok, "private", 7) == 0))
		{
			size_t n = strlen(r->notes);

			snprintf(r->notes + n, sizeof(r->notes) - n, "%s%.*s", n > 0 ? "," : "",
				 (int)klen, tok);
		}
#undef FIELD
	}
	return lb;
}

/* Does name a equal b, ignoring case and a final dot? */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static bool has_dc(const char *list, const char *dc)
{
	size_t n = strlen(dc);

	for (const char *p = list; *p != '\0';) {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

		if (len == n && memcmp(p, dc, n) == 0)
			return true;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return false;
}

/* The client of the answer in the filter's network: its ECS network (the
 * address sent) when it had one, else the resolver. */
static bool client_matches(const struct reading *rd, const struct row *r, const Dnstap__Message *m)
{
	uint8_t addr[16] = {0};

	if (r->ecs[0] != '\0') {
		char a[64];
		char *slash;

		snprintf(a, sizeof(a), "%s", r->ecs);
		slash = strchr(a, '/');
		if (slash != NULL)
			*slash = '\0';
		if (inet_pton(AF_INET, a, addr) == 1)
			return netprefix_contains_raw(&rd->client, AF_INET, addr);
		if (inet_pton(AF_INET6, a, addr) == 1)
			return netprefix_contains_raw(&rd->client, AF_INET6, addr);
		return false;
	}
	if (!m->has_query_address || (m->query_address.len != 4 && m->query_address.len != 16))
		return false;
	return netprefix_contains_raw(&rd->client, m->query_address.len == 4 ? AF_INET : AF_INET6,
				      m->query_address.data);
}

static void row_print(const struct decisions_opts *o, const struct row *r)
{
	if (o->json) {
		json_t *j =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", r->time, "resolver",
			      r->resolver, "transport", r->proto, "name", r->name, "pool", r->pool,
			      "datacenters", r->dc, "reason", r->reason);
		char *text;

		if (r->country[0] != '\0')
			json_object_set_new(j, "country", json_string(r->country));
		if (r->continent[0] != '\0')
			json_object_set_new(j, "continent", json_string(r->continent));
		if (r->ecs[0] != '\0')
			json_object_set_new(j, "ecs", json_string(r->ecs));
		if (r->scope[0] != '\0')
			json_object_set_new(j, "scope", json_integer(atoi(r->scope)));
		if (r->gen[0] != '\0')
			json_object_set_new(j, "generation", json_integer(atoll(r->gen)));
		if (r->notes[0] != '\0')
			json_object_set_new(j, "notes", json_string(r->notes));
		if (r->id >= 0)
			json_object_set_new(j, "id", json_integer(r->id));
		text = json_dumps(j, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(j);
	} else {
		char where[24];

		snprintf(where, sizeof(where), "%s%s%s", r->country, r->continent[0] ? "/" : "",
			 r->continent);
		printf("%-24s %-22s %-3s %-28s %-10s %-20s %-10s %-6s %-18s %-5s %-5s %s\n",
		       r->time, r->resolver, r->proto, r->name, r->pool, r->dc, r->reason,
		       where[0] != '\0' ? where : "-", r->ecs[0] != '\0' ? r->ecs : "-",
		       r->scope[0] != '\0' ? r->scope : "-", r->gen[0] != '\0' ? r->gen : "-",
		       r->notes);
	}
	fflush(stdout);
}

static void header_print(const struct decisions_opts *o)
{
	if (!o->json)
		printf("%-24s %-22s %-3s %-28s %-10s %-20s %-10s %-6s %-18s %-5s %-5s %s\n", "TIME",
		       "RESOLVER", "TR", "NAME", "POOL", "DATACENTERS", "REASON", "WHERE", "ECS",
		       "SCOPE", "GEN", "NOTES");
}

/* One data frame: a row when it is a matching load-balanced answer. */
static bool frame_row(struct reading *rd, const uint8_t *data, size_t len, struct row *r)
{
	const struct decisions_opts *o = rd->o;
	Dnstap__Dnstap *d = dnstap__dnstap__unpack(NULL, len, data);
	const Dnstap__Message *m;
	bool ok = false;

	if (d == NULL)
		return false;
	m = d->message;
	memset(r, 0, sizeof(*r));
	if (m == NULL || m->type != DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE || !d->has_extra ||
	    !extra_parse(d->extra.data, d->extra.len, r))
		goto out;
	r->id = m->has_response_message && m->response_message.len >= 2
		    ? m->response_message.data[0] << 8 | m->response_message.data[1]
		    : -1;
	if (m->has_response_time_sec) {
		time_t t = (time_t)m->response_time_sec;
		struct tm tm;
		char day[24];

		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(
		    r->time, sizeof(r->time), "%s.%03uZ", day,
		    (unsigned)(m->has_response_time_nsec ? m->response_time_nsec / 1000000 : 0));
	}
	if (m->has_query_address && (m->query_address.len == 4 || m->query_address.len == 16)) {
		char ip[INET6_ADDRSTRLEN];

		inet_ntop(m->query_address.len == 4 ? AF_INET : AF_INET6, m->query_address.data, ip,
			  sizeof(ip));
		if (m->has_query_port)
			snprintf(r->resolver, sizeof(r->resolver),
				 m->query_address.len == 4 ? "%s:%u" : "[%s]:%u", ip,
				 (unsigned)m->query_port);
		else
			snprintf(r->resolver, sizeof(r->resolver), "%s", ip);
	}
	snprintf(r->proto, sizeof(r->proto), "%s",
		 m->has_socket_protocol && m->socket_protocol == DNSTAP__SOCKET_PROTOCOL__TCP
		     ? "tcp"
		     : "udp");
	if (o->name != NULL && !same_name(r->name, o->name))
		goto out;
	if (o->dc != NULL && !has_dc(r->dc, o->dc))
		goto out;
	if (o->client != NULL && !client_matches(rd, r, m))
		goto out;
	ok = true;
out:
	dnstap__dnstap__free_unpacked(d, NULL);
	return ok;
}

/* Read every frame of reader fr. live: print each match at once and stop
 * after o->count (0: never); else keep the last o->count. */
static int read_stream(struct reading *rd, struct fstrm_reader *fr, bool live)
{
	const uint8_t *data;
	size_t len;
	fstrm_res res;
	struct row r;

	while ((res = fstrm_reader_read(fr, &data, &len)) == fstrm_res_success) {
		if (!frame_row(rd, data, len, &r))
			continue;
		if (live) {
			row_print(rd->o, &r);
			if (++rd->seen == rd->o->count)
				return 0;
		} else {
			rd->rows[rd->seen++ % rd->o->count] = r;
		}
	}
	return res == fstrm_res_stop ? 0 : -1;
}

static struct fstrm_reader_options *reader_options(void)
{
	struct fstrm_reader_options *ropt = fstrm_reader_options_init();

	fstrm_reader_options_add_content_type(ropt, CONTENT_TYPE, strlen(CONTENT_TYPE));
	return ropt;
}

static int from_file(struct reading *rd)
{
	const struct decisions_opts *o = rd->o;
	struct fstrm_file_options *fopt = fstrm_file_options_init();
	struct fstrm_reader_options *ropt = reader_options();
	struct fstrm_reader *fr;
	int rc = 0;
	FILE *probe = fopen(o->file, "rb");

	if (probe == NULL) {
		fprintf(stderr, "gslbctl: %s: %s\n", o->file, strerror(errno));
		fstrm_file_options_destroy(&fopt);
		fstrm_reader_options_destroy(&ropt);
		return 1;
	}
	fclose(probe);
	fstrm_file_options_set_file_path(fopt, o->file);
	fr = fstrm_file_reader_init(fopt, ropt);
	fstrm_file_options_destroy(&fopt);
	fstrm_reader_options_destroy(&ropt);
	if (fr == NULL || fstrm_reader_open(fr) != fstrm_res_success) {
		fprintf(stderr, "gslbctl: %s: not a dnstap Frame Streams file\n", o->file);
		if (fr != NULL)
			fstrm_reader_destroy(&fr);
		return 1;
	}
	rd->rows = xcalloc(o->count, sizeof(*rd->rows));
	if (read_stream(rd, fr, false) != 0) {
		/* A file still being written ends without its STOP frame. */
		fprintf(stderr, "gslbctl: %s: the stream ends early (still being written?)\n",
			o->file);
	}
	fstrm_reader_destroy(&fr);
	header_print(o);
	for (size_t i = rd->seen > o->count ? rd->seen - o->count : 0; i < rd->seen; i++)
		row_print(o, &rd->rows[i % o->count]);
	free(rd->rows);
	return rc;
}

/* The accepted connection under libfstrm: reads and writes in full. */
static fstrm_res conn_read(void *obj, void *data, size_t count)
{
	int fd = *(int *)obj;
	uint8_t *p = data;

	while (count > 0) {
		ssize_t n = read(fd, p, count);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return fstrm_res_stop;
		if (n < 0)
			return fstrm_res_failure;
		p += n;
		count -= (size_t)n;
	}
	return fstrm_res_success;
}

static fstrm_res conn_write(void *obj, const struct iovec *iov, int iovcnt)
{
	int fd = *(int *)obj;

	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left > 0) {
			ssize_t n = write(fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return fstrm_res_failure;
			p += n;
			left -= (size_t)n;
		}
	}
	return fstrm_res_success;
}

static fstrm_res conn_open(void *obj)
{
	(void)obj;
	return fstrm_res_success;
}

static fstrm_res conn_close(void *obj)
{
	(void)obj;
	return fstrm_res_success;
}

static fstrm_res conn_destroy(void *obj)
{
	int *fd = obj;

	close(*fd);
	free(fd);
	return fstrm_res_success;
}

static int from_socket(struct reading *rd)
{
	const struct decisions_opts *o = rd->o;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int lfd;

	if (strlen(o->socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "gslbctl: %s: too long for a unix socket path\n", o->socket);
		return 2;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", o->socket);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(o->socket);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(lfd, 4) != 0) {
		fprintf(stderr, "gslbctl: %s: %s\n", o->socket, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return 1;
	}
	header_print(o);
	for (;;) {
		int *fd = xmalloc(sizeof(*fd));
		struct fstrm_reader_options *ropt;
		struct fstrm_rdwr *rdwr;
		struct fstrm_reader *fr;

		*fd = accept(lfd, NULL, NULL);
		if (*fd < 0) {
			free(fd);
			if (errno == EINTR)
				continue;
			fprintf(stderr, "gslbctl: %s: accept: %s\n", o->socket, strerror(errno));
			break;
		}
		rdwr = fstrm_rdwr_init(fd);
		fstrm_rdwr_set_destroy(rdwr, conn_destroy);
		fstrm_rdwr_set_open(rdwr, conn_open);
		fstrm_rdwr_set_close(rdwr, conn_close);
		fstrm_rdwr_set_read(rdwr, conn_read);
		fstrm_rdwr_set_write(rdwr, conn_write); /* bidirectional: READY, ACCEPT, START */
		ropt = reader_options();
		fr = fstrm_reader_init(ropt, &rdwr);
		fstrm_reader_options_destroy(&ropt);
		if (fr == NULL) {
			fstrm_rdwr_destroy(&rdwr);
			continue;
		}
		read_stream(rd, fr, true);
		fstrm_reader_destroy(&fr);
		if (o->count > 0 && rd->seen >= o->count)
			break;
	}
	close(lfd);
	unlink(o->socket);
	return 0;
}

int decisions_run(const struct decisions_opts *o)
{
	struct reading rd = {.o = o};

	if ((o->file == NULL) == (o->socket == NULL)) {
		fprintf(stderr, "gslbctl: decisions reads one of --file FILE and --socket PATH\n");
		return 2;
	}
	if (o->client != NULL && netprefix_parse(o->client, &rd.client) != 0) {
		fprintf(stderr, "gslbctl: '%s' is not a network (ADDR/LEN, no host bits set)\n",
			o->client);
		return 2;
	}
	if (o->file != NULL)
		return o->count == 0 ? 2 : from_file(&rd);
	return from_socket(&rd);
}

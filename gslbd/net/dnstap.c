#include <config.h>

#include "gslbd/net/dnstap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fstrm.h>

#include "common/dnstap.pb-c.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/dnstap_ring.h"

#define WRITER_BATCH       128 /* frames per writev (libfstrm writes 128 at most per call) */
#define WRITER_FRAME_MAX   (2 * DNSTAP_SLOT_DATA + 2048) /* one encoded message at most */
#define WRITER_IDLE_MIN_MS 2                             /* first wait when every ring was empty */
#define WRITER_IDLE_MAX_MS                                                                         \
	20                    /* the wait doubles while they stay empty: a ring of                 \
			       * 1024 slots holds 50,000 queries/s for this long */
#define WRITER_MAX_RINGS 1024 /* DNS threads */
#define WRITER_FILL_DIV  4    /* after a drain, wait until the busiest ring is about
			       * 1/WRITER_FILL_DIV full at the rate just seen */

/* Where the messages go. */
enum sink_kind {
	SINK_NONE,
	SINK_UNIX,
	SINK_TCP,
	SINK_FILE,
};

/* A sink as configured (the writer thread's copy). */
struct sink_conf {
	enum sink_kind kind; /* which */
	char *path;          /* SINK_UNIX, SINK_FILE: the path */
	struct netaddr addr; /* SINK_TCP: the collector */
	char *identity;      /* Dnstap.identity, or NULL */
	char *version;       /* Dnstap.version, or NULL */
	unsigned serial;     /* bumped by every reconfiguration */
};

/* The transport under libfstrm (its fstrm_rdwr object). */
struct sink_io {
	enum sink_kind kind; /* which */
	char path[108];      /* SINK_UNIX, SINK_FILE */
	struct netaddr addr; /* SINK_TCP */
	int fd;              /* open descriptor, or -1 */
};

struct dnstap_writer {
	pthread_t thread;                            /* the writer thread */
	bool started;                                /* thread created */
	pthread_mutex_t lock;                        /* guards next and stop */
	pthread_cond_t wake;                         /* signalled on reconfiguration and stop */
	struct sink_conf next;                       /* latest configuration (under lock) */
	bool stop;                                   /* asked to stop (under lock) */
	struct dnstap_ring *rings[WRITER_MAX_RINGS]; /* one per DNS thread */
	size_t ring_count;                           /* entries at rings */
	unsigned ring_slots;           /* slots of each ring (dnstap.ring_size at start) */
	const struct config *last_cfg; /* the config last taken (main thread), not dereferenced */
	/* The thread's own state. */
	struct sink_conf cur;           /* the configuration in use */
	struct fstrm_writer *fw;        /* the open sink, or NULL */
	unsigned backoff_ms;            /* wait before the next open after a failure */
	unsigned idle_ms;               /* wait before the next look at the rings */
	uint64_t last_drain_ms;         /* monotonic time of the last drain that took some */
	uint64_t next_open_ms;          /* monotonic time of the next open */
	bool warned;                    /* a failure was logged since the last success */
	uint8_t *frames;                /* WRITER_BATCH encoded messages */
	struct iovec iov[WRITER_BATCH]; /* the batch */
};

static void sink_conf_fini(struct sink_conf *c)
{
	free(c->path);
	free(c->identity);
	free(c->version);
	memset(c, 0, sizeof(*c));
}

static void sink_conf_from(struct sink_conf *c, const struct config *cfg)
{
	unsigned serial = c->serial;

	sink_conf_fini(c);
	c->serial = serial + 1;
	if (cfg->dnstap_socket != NULL) {
		c->kind = SINK_UNIX;
		c->path = xstrdup(cfg->dnstap_socket);
	} else if (cfg->dnstap_tcp != NULL) {
		c->kind = SINK_TCP;
		c->addr = cfg->dnstap_tcp_addr;
	} else if (cfg->dnstap_file != NULL) {
		c->kind = SINK_FILE;
		c->path = xstrdup(cfg->dnstap_file);
	}
	c->identity = cfg->dnstap_identity != NULL ? xstrdup(cfg->dnstap_identity) : NULL;
	c->version = cfg->dnstap_version != NULL ? xstrdup(cfg->dnstap_version) : NULL;
}

static void sink_conf_copy(struct sink_conf *dst, const struct sink_conf *src)
{
	sink_conf_fini(dst);
	*dst = *src;
	dst->path = src->path != NULL ? xstrdup(src->path) : NULL;
	dst->identity = src->identity != NULL ? xstrdup(src->identity) : NULL;
	dst->version = src->version != NULL ? xstrdup(src->version) : NULL;
}

static void sink_describe(const struct sink_conf *c, char *buf, size_t len)
{
	char a[NETADDR_STRLEN];

	switch (c->kind) {
	case SINK_UNIX:
		snprintf(buf, len, "socket %s", c->path);
		break;
	case SINK_TCP:
		netaddr_format(&c->addr.u.sa, a, sizeof(a));
		snprintf(buf, len, "tcp %s", a);
		break;
	case SINK_FILE:
		snprintf(buf, len, "file %s", c->path);
		break;
	default:
		snprintf(buf, len, "none");
	}
}

/* libfstrm transport: sockets with bounded sends and reads, or a file. */

static fstrm_res io_open(void *obj)
{
	struct sink_io *io = obj;
	struct timeval tv = {DNSTAP_IO_TIMEOUT_MS / 1000, (DNSTAP_IO_TIMEOUT_MS % 1000) * 1000};

	if (io->fd >= 0)
		return fstrm_res_success;
	if (io->kind == SINK_FILE) {
		io->fd = open(io->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		return io->fd >= 0 ? fstrm_res_success : fstrm_res_failure;
	}
	if (io->kind == SINK_UNIX) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", io->path);
		io->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (io->fd < 0)
			return fstrm_res_failure;
		setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(io->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fstrm_res_success;
	} else {
		io->fd = socket(io->addr.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (io->fd < 0)
			return fstrm_res_failure;
		setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(io->fd, &io->addr.u.sa, io->addr.len) == 0)
			return fstrm_res_success;
	}
	close(io->fd);
	io->fd = -1;
	return fstrm_res_failure;
}

static fstrm_res io_close(void *obj)
{
	struct sink_io *io = obj;

	if (io->fd < 0)
		return fstrm_res_failure;
	close(io->fd);
	io->fd = -1;
	return fstrm_res_success;
}

static fstrm_res io_read(void *obj, void *data, size_t count)
{
	struct sink_io *io = obj;
	uint8_t *p = data;

	while (count > 0) {
		ssize_t n = read(io->fd, p, count);

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

static fstrm_res io_write(void *obj, const struct iovec *iov_in, int iovcnt)
{
	struct sink_io *io = obj;
	struct iovec iov[WRITER_BATCH * 2 + 8];
	int first = 0;

	if (io->fd < 0 || iovcnt > (int)(sizeof(iov) / sizeof(iov[0])))
		return fstrm_res_failure;
	memcpy(iov, iov_in, (size_t)iovcnt * sizeof(*iov));
	while (first < iovcnt) {
		struct msghdr m = {.msg_iov = iov + first, .msg_iovlen = (size_t)(iovcnt - first)};
		ssize_t n = io->kind == SINK_FILE ? writev(io->fd, iov + first, iovcnt - first)
						  : sendmsg(io->fd, &m, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fstrm_res_failure; /* EAGAIN: the collector stopped reading */
		while (first < iovcnt && (size_t)n >= iov[first].iov_len) {
			n -= (ssize_t)iov[first].iov_len;
			first++;
		}
		if (first < iovcnt) {
			iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
			iov[first].iov_len -= (size_t)n;
		}
	}
	return fstrm_res_success;
}

static fstrm_res io_destroy(void *obj)
{
	struct sink_io *io = obj;

	if (io->fd >= 0)
		close(io->fd);
	free(io);
	return fstrm_res_success;
}

/* Open the configured sink: a Frame Streams writer, handshake done. */
static struct fstrm_writer *sink_open(const struct sink_conf *c)
{
	struct sink_io *io = xcalloc(1, sizeof(*io));
	struct fstrm_writer_options *wopt;
	struct fstrm_rdwr *rdwr;
	struct fstrm_writer *fw;

	io->kind = c->kind;
	io->fd = -1;
	if (c->path != NULL)
		snprintf(io->path, sizeof(io->path), "%s", c->path);
	io->addr = c->addr;
	rdwr = fstrm_rdwr_init(io);
	fstrm_rdwr_set_destroy(rdwr, io_destroy);
	fstrm_rdwr_set_open(rdwr, io_open);
	fstrm_rdwr_set_close(rdwr, io_close);
	fstrm_rdwr_set_write(rdwr, io_write);
	if (c->kind != SINK_FILE)
		fstrm_rdwr_set_read(rdwr, io_read); /* sockets: bidirectional handshake */
	wopt = fstrm_writer_options_init();
	fstrm_writer_options_add_content_type(wopt, DNSTAP_CONTENT_TYPE,
					      strlen(DNSTAP_CONTENT_TYPE));
	fw = fstrm_writer_init(wopt, &rdwr);
	fstrm_writer_options_destroy(&wopt);
	if (fw == NULL) {
		if (rdwr != NULL)
			fstrm_rdwr_destroy(&rdwr);
		return NULL;
	}
	if (fstrm_writer_open(fw) != fstrm_res_success) {
		fstrm_writer_destroy(&fw);
		return NULL;
	}
	return fw;
}

/* Encoding. */

/* A text being written into a buffer: what does not fit is cut, and the
 * text stays NUL-terminated. Written for the writer's loop: no stdio. */
struct text {
	char *p;   /* next byte */
	char *end; /* the last byte of the buffer (kept for the NUL) */
};

static void put_mem(struct text *t, const char *s, size_t n)
{
	if (n > (size_t)(t->end - t->p))
		n = (size_t)(t->end - t->p);
	memcpy(t->p, s, n);
	t->p += n;
	*t->p = '\0';
}

#define PUT_LIT(t, lit) put_mem((t), (lit), sizeof(lit) - 1)

static void put_str(struct text *t, const char *s)
{
	put_mem(t, s, strlen(s));
}

static void put_char(struct text *t, char c)
{
	put_mem(t, &c, 1);
}

static void put_uint(struct text *t, uint64_t v)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	put_mem(t, digits + i, sizeof(digits) - i);
}

/* A byte a name writes as it is: printable, not a space, '=', '\' or '.'
 * (bitmap of 0x21..0x7e less those). */
static const uint64_t plain_map[2] = {0xdfffbffe00000000u, 0x7fffffffefffffffu};
#define PLAIN(c) ((c) < 128 && (plain_map[(c) >> 6] >> ((c)&63) & 1))

/* The question name of message m (len bytes) in presentation form, with
 * spaces, '=', '\', a dot inside a label and what is not printable as
 * \DDD. false (nothing written) when it has no question. */
static bool put_qname(struct text *t, const uint8_t *m, size_t len)
{
	size_t off = 12, end;
	char *start = t->p;

	if (len < 12 || (m[4] == 0 && m[5] == 0))
		return false;
	/* Check the labels first, so that a bad name writes nothing. */
	for (end = off; end < len && m[end] != 0; end += 1u + m[end]) {
		if (m[end] > 63)
			return false;
	}
	if (end >= len)
		return false;
	if (m[off] == 0)
		put_char(t, '.');
	while (m[off] != 0) {
		uint8_t l = m[off++], i, run;

		/* The usual label has nothing to escape: one copy. */
		for (i = 0; i < l && PLAIN(m[off + i]); i++)
			;
		if (i == l) {
			put_mem(t, (const char *)m + off, l);
			put_char(t, '.');
			off += l;
			continue;
		}
		for (i = 0, run = 0; i <= l; i++) {
			uint8_t c = i < l ? m[off + i] : 0;

			if (i < l && PLAIN(c))
				continue;
			/* Copy the plain run before c at once, then escape c. */
			put_mem(t, (const char *)m + off + run, (size_t)(i - run));
			run = (uint8_t)(i + 1);
			if (i < l) {
				char esc[4] = {'\\', (char)('0' + c / 100),
					       (char)('0' + c / 10 % 10), (char)('0' + c % 10)};

				put_mem(t, esc, 4);
			}
		}
		put_char(t, '.');
		off += l;
	}
	return t->p > start;
}

size_t dnstap_extra_format(const struct dnstap_slot *s, char *buf, size_t cap)
{
	struct text t = {buf, buf + cap - 1};
	char ip[INET6_ADDRSTRLEN], *mark;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (s->flags & DNSTAP_F_LB)
		PUT_LIT(&t, "gslb=1");
	else
		PUT_LIT(&t, "gslb=0");
	mark = t.p;
	PUT_LIT(&t, " name=");
	if (!put_qname(&t, s->data + s->query_len, s->response_len) &&
	    !put_qname(&t, s->data, s->query_len)) {
		t.p = mark; /* no question to name */
		*mark = '\0';
	}
	if (s->flags & DNSTAP_F_LB) {
		PUT_LIT(&t, " pool=");
		put_str(&t, s->pool);
		PUT_LIT(&t, " reason=");
		put_str(&t, s->reason != NULL ? s->reason : "unknown");
		PUT_LIT(&t, " dc=");
		put_str(&t, s->dcs[0] != '\0' ? s->dcs : "-");
		if (s->flags & DNSTAP_F_FALLBACK) {
			PUT_LIT(&t, " fallback=1 asked=");
			put_str(&t, s->asked);
		}
		if (s->flags & DNSTAP_F_FAILED_OPEN)
			PUT_LIT(&t, " failopen=1");
		if (s->flags & DNSTAP_F_EMPTY)
			PUT_LIT(&t, " empty=1");
		if (s->country[0] != '\0') {
			PUT_LIT(&t, " country=");
			put_str(&t, s->country);
		}
		if (s->continent[0] != '\0') {
			PUT_LIT(&t, " continent=");
			put_str(&t, s->continent);
		}
		if (s->flags & DNSTAP_F_PRIVATE)
			PUT_LIT(&t, " private=1");
	}
	bool ecs = false;

	if (s->ecs_family == 1) {
		ecs = true;
		PUT_LIT(&t, " ecs=");
		for (int i = 0; i < 4; i++) {
			if (i > 0)
				put_char(&t, '.');
			put_uint(&t, s->ecs_addr[i]);
		}
	} else if (s->ecs_family == 2 && inet_ntop(AF_INET6, s->ecs_addr, ip, sizeof(ip)) != NULL) {
		ecs = true;
		PUT_LIT(&t, " ecs=");
		put_str(&t, ip);
	}
	if (ecs) {
		put_char(&t, '/');
		put_uint(&t, s->ecs_source);
		PUT_LIT(&t, " scope=");
		put_uint(&t, s->ecs_scope);
	}
	PUT_LIT(&t, " gen=");
	put_uint(&t, s->generation);
	return (size_t)(t.p - buf);
}

/* The protobuf wire format, written by hand: the schema is small and fixed
 * (common/dnstap.proto), and this costs a fraction of protobuf-c's
 * reflective packing on the writer's loop. The unit tests decode what it
 * writes with protobuf-c. Fields go in field-number order, as protobuf-c
 * writes them. */
enum {
	PB_VARINT = 0,
	PB_BYTES = 2,
	PB_FIXED32 = 5,
};

/* Field numbers (common/dnstap.proto). */
enum {
	DT_IDENTITY = 1,
	DT_VERSION = 2,
	DT_EXTRA = 3,
	DT_MESSAGE = 14,
	DT_TYPE = 15,
	M_TYPE = 1,
	M_SOCKET_FAMILY = 2,
	M_SOCKET_PROTOCOL = 3,
	M_QUERY_ADDRESS = 4,
	M_RESPONSE_ADDRESS = 5,
	M_QUERY_PORT = 6,
	M_RESPONSE_PORT = 7,
	M_QUERY_TIME_SEC = 8,
	M_QUERY_TIME_NSEC = 9,
	M_QUERY_MESSAGE = 10,
	M_RESPONSE_TIME_SEC = 12,
	M_RESPONSE_TIME_NSEC = 13,
	M_RESPONSE_MESSAGE = 14,
	M_POLICY = 15,
	P_TYPE = 1,
	P_RULE = 2,
	P_ACTION = 3,
	P_MATCH = 4,
	P_VALUE = 5,
};

/* A buffer being written; ok turns false (and stays) when it overflows. */
struct pb {
	uint8_t *p;   /* next byte */
	uint8_t *end; /* one past the last */
	bool ok;      /* everything fitted */
};

static void pb_varint_long(struct pb *b, uint64_t v)
{
	do {
		if (b->p == b->end) {
			b->ok = false;
			return;
		}
		*b->p++ = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v > 0);
}

static inline void pb_varint(struct pb *b, uint64_t v)
{
	if (v < 0x80 && b->p < b->end)
		*b->p++ = (uint8_t)v; /* keys and most lengths: one store, inlined */
	else
		pb_varint_long(b, v);
}

static void pb_key(struct pb *b, unsigned field, unsigned type)
{
	pb_varint(b, (uint64_t)field << 3 | type);
}

static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	pb_key(b, field, PB_VARINT);
	pb_varint(b, v);
}

static void pb_fixed32(struct pb *b, unsigned field, uint32_t v)
{
	pb_key(b, field, PB_FIXED32);
	if (b->end - b->p < 4) {
		b->ok = false;
		return;
	}
	for (int i = 0; i < 4; i++)
		*b->p++ = (uint8_t)(v >> (8 * i));
}

static void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len)
{
	pb_key(b, field, PB_BYTES);
	pb_varint(b, len);
	if ((size_t)(b->end - b->p) < len) {
		b->ok = false;
		return;
	}
	memcpy(b->p, data, len);
	b->p += len;
}

/* The address of a as field addr_field; its port as port_field. */
static void pb_addr(struct pb *b, const union dnstap_addr *a, unsigned addr_field)
{
	if (a->sa.sa_family == AF_INET)
		pb_bytes(b, addr_field, &a->sin.sin_addr, 4);
	else if (a->sa.sa_family == AF_INET6)
		pb_bytes(b, addr_field, &a->sin6.sin6_addr, 16);
}

static void pb_port(struct pb *b, const union dnstap_addr *a, unsigned port_field)
{
	if (a->sa.sa_family == AF_INET)
		pb_uint(b, port_field, ntohs(a->sin.sin_port));
	else if (a->sa.sa_family == AF_INET6)
		pb_uint(b, port_field, ntohs(a->sin6.sin6_port));
}

/* The Message of slot s into b. */
static void message_write(struct pb *b, const struct dnstap_slot *s, bool response)
{
	pb_uint(b, M_TYPE,
		response ? DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE
			 : DNSTAP__MESSAGE__TYPE__AUTH_QUERY);
	if (s->peer.sa.sa_family == AF_INET || s->peer.sa.sa_family == AF_INET6)
		pb_uint(b, M_SOCKET_FAMILY,
			s->peer.sa.sa_family == AF_INET ? DNSTAP__SOCKET_FAMILY__INET
							: DNSTAP__SOCKET_FAMILY__INET6);
	pb_uint(b, M_SOCKET_PROTOCOL,
		s->flags & DNSTAP_F_TCP ? DNSTAP__SOCKET_PROTOCOL__TCP
					: DNSTAP__SOCKET_PROTOCOL__UDP);
	pb_addr(b, &s->peer, M_QUERY_ADDRESS);
	if (s->flags & DNSTAP_F_LOCAL)
		pb_addr(b, &s->local, M_RESPONSE_ADDRESS);
	pb_port(b, &s->peer, M_QUERY_PORT);
	if (s->flags & DNSTAP_F_LOCAL)
		pb_port(b, &s->local, M_RESPONSE_PORT);
	pb_uint(b, M_QUERY_TIME_SEC, (uint64_t)s->received.tv_sec);
	pb_fixed32(b, M_QUERY_TIME_NSEC, (uint32_t)s->received.tv_nsec);
	if (!response) {
		if (s->query_len > 0)
			pb_bytes(b, M_QUERY_MESSAGE, s->data, s->query_len);
		return;
	}
	pb_uint(b, M_RESPONSE_TIME_SEC, (uint64_t)s->responded.tv_sec);
	pb_fixed32(b, M_RESPONSE_TIME_NSEC, (uint32_t)s->responded.tv_nsec);
	if (s->response_len > 0)
		pb_bytes(b, M_RESPONSE_MESSAGE, s->data + s->query_len, s->response_len);
	if (s->flags & DNSTAP_F_LB) {
		uint8_t pol[16 + DNSTAP_NAME_MAX + DNSTAP_DCS_MAX];
		struct pb p = {pol, pol + sizeof(pol), true};

		pb_bytes(&p, P_TYPE, "gslb", 4);
		pb_bytes(&p, P_RULE, s->pool, strlen(s->pool));
		pb_uint(&p, P_ACTION,
			s->flags & DNSTAP_F_EMPTY ? DNSTAP__POLICY__ACTION__NODATA
						  : DNSTAP__POLICY__ACTION__LOCAL_DATA);
		pb_uint(&p, P_MATCH, DNSTAP__POLICY__MATCH__CLIENT_IP);
		pb_bytes(&p, P_VALUE, s->dcs, strlen(s->dcs));
		if (!p.ok)
			b->ok = false;
		else
			pb_bytes(b, M_POLICY, pol, (size_t)(p.p - pol));
	}
}

size_t dnstap_encode(const struct dnstap_slot *s, bool response, const char *identity,
		     const char *version, uint8_t *buf, size_t cap)
{
	uint8_t msg[2 * DNSTAP_SLOT_DATA + 1024];
	struct pb m = {msg, msg + sizeof(msg), true};
	struct pb b = {buf, buf + cap, true};
	char extra[2048];

	message_write(&m, s, response);
	if (!m.ok)
		return 0;
	if (identity != NULL)
		pb_bytes(&b, DT_IDENTITY, identity, strlen(identity));
	if (version != NULL)
		pb_bytes(&b, DT_VERSION, version, strlen(version));
	if (response)
		pb_bytes(&b, DT_EXTRA, extra, dnstap_extra_format(s, extra, sizeof(extra)));
	pb_bytes(&b, DT_MESSAGE, msg, (size_t)(m.p - msg));
	pb_uint(&b, DT_TYPE, DNSTAP__DNSTAP__TYPE__MESSAGE);
	return b.ok ? (size_t)(b.p - buf) : 0;
}

/* The thread. */

static void sink_close(struct dnstap_writer *w)
{
	if (w->fw != NULL)
		fstrm_writer_destroy(&w->fw); /* a STOP frame, bounded by the timeouts */
	w->fw = NULL;
	dnstap_stats_set_connected(false);
}

static void sink_failed(struct dnstap_writer *w, const char *what)
{
	char d[160];

	sink_close(w);
	dnstap_stats_count_write_error();
	w->next_open_ms = time_mono_ms() + w->backoff_ms;
	w->backoff_ms =
	    w->backoff_ms * 2 > DNSTAP_BACKOFF_MAX_MS ? DNSTAP_BACKOFF_MAX_MS : w->backoff_ms * 2;
	if (!w->warned) {
		sink_describe(&w->cur, d, sizeof(d));
		log_warn("dnstap: %s: %s failed; trying again every %u ms at most", d, what,
			 DNSTAP_BACKOFF_MAX_MS);
		w->warned = true;
	}
}

/* Open the sink if it is time to. */
static void sink_try_open(struct dnstap_writer *w)
{
	char d[160];

	if (w->fw != NULL || w->cur.kind == SINK_NONE || time_mono_ms() < w->next_open_ms)
		return;
	w->fw = sink_open(&w->cur);
	if (w->fw == NULL) {
		sink_failed(w, "open");
		return;
	}
	sink_describe(&w->cur, d, sizeof(d));
	log_info("dnstap: writing to %s", d);
	w->backoff_ms = DNSTAP_BACKOFF_MIN_MS;
	w->warned = false;
	dnstap_stats_set_connected(true);
}

/* Encode and write up to one batch from the rings. Returns the exchanges
 * taken. */
static size_t drain_batch(struct dnstap_writer *w)
{
	size_t taken = 0;
	int n = 0;

	for (size_t i = 0; i < w->ring_count && n + 2 <= WRITER_BATCH; i++) {
		const struct dnstap_slot *s;

		while (n + 2 <= WRITER_BATCH && (s = dnstap_ring_peek(w->rings[i])) != NULL) {
			for (int resp = 0; resp < 2; resp++) {
				uint8_t *f = w->frames + (size_t)n * WRITER_FRAME_MAX;
				size_t len;

				if (!(s->flags & (resp ? DNSTAP_F_RESPONSE : DNSTAP_F_QUERY)))
					continue;
				len = dnstap_encode(s, resp, w->cur.identity, w->cur.version, f,
						    WRITER_FRAME_MAX);
				if (len == 0)
					continue;
				w->iov[n].iov_base = f;
				w->iov[n].iov_len = len;
				n++;
			}
			dnstap_ring_pop(w->rings[i]);
			taken++;
		}
	}
	if (n > 0) {
		if (fstrm_writer_writev(w->fw, w->iov, n) == fstrm_res_success)
			dnstap_stats_count_written((uint64_t)n);
		else
			sink_failed(w, "write");
	}
	return taken;
}

/* Take a new configuration, if any. Under w->lock. */
static void take_config(struct dnstap_writer *w)
{
	bool same;

	if (w->next.serial == w->cur.serial)
		return;
	same = w->next.kind == w->cur.kind && w->next.kind != SINK_FILE &&
	       ((w->next.path == NULL && w->cur.path == NULL) ||
		(w->next.path != NULL && w->cur.path != NULL &&
		 strcmp(w->next.path, w->cur.path) == 0)) &&
	       (w->next.kind != SINK_TCP ||
		(w->next.addr.len == w->cur.addr.len &&
		 memcmp(&w->next.addr.u, &w->cur.addr.u, w->next.addr.len) == 0));
	sink_conf_copy(&w->cur, &w->next);
	if (!same) {
		/* A new sink, or a file to make again (rotation). */
		sink_close(w);
		w->backoff_ms = DNSTAP_BACKOFF_MIN_MS;
		w->next_open_ms = 0;
		w->warned = false;
	}
}

/* The wait after a drain that took taken exchanges (from the busiest
 * ring, most) elapsed_ms after the one before: long enough for the next
 * drain to fill big writes, short enough that the rings stay far from full
 * (taken counts every ring: at least the busiest one)
 * at that rate. One system call and one wake-up then carry many frames. */
static unsigned pace_ms(const struct dnstap_writer *w, size_t taken, uint64_t elapsed_ms)
{
	uint64_t ms;

	if (taken == 0)
		return WRITER_IDLE_MIN_MS;
	ms = (uint64_t)w->ring_slots / WRITER_FILL_DIV * (elapsed_ms > 0 ? elapsed_ms : 1) / taken;
	if (ms < WRITER_IDLE_MIN_MS)
		return WRITER_IDLE_MIN_MS;
	return ms > WRITER_IDLE_MAX_MS ? WRITER_IDLE_MAX_MS : (unsigned)ms;
}

static void *writer_main(void *arg)
{
	struct dnstap_writer *w = arg;

	for (;;) {
		bool stop;

		pthread_mutex_lock(&w->lock);
		take_config(w);
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		sink_try_open(w);
		if (w->fw != NULL) {
			size_t taken = 0, got;

			/* Write what is there; on stop, what is left. */
			while ((got = drain_batch(w)) > 0 && w->fw != NULL)
				taken += got;
			if (taken > 0) {
				uint64_t now = time_mono_ms();

				w->idle_ms = pace_ms(w, taken, now - w->last_drain_ms);
				w->last_drain_ms = now;
			}
		}
		if (stop)
			break;
		pthread_mutex_lock(&w->lock);
		if (!w->stop && w->next.serial == w->cur.serial && w->cur.kind == SINK_NONE) {
			pthread_cond_wait(&w->wake, &w->lock); /* off: nothing to drain */
		} else if (!w->stop && w->next.serial == w->cur.serial) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)w->idle_ms * 1000000L;
			w->idle_ms = w->idle_ms * 2 > WRITER_IDLE_MAX_MS ? WRITER_IDLE_MAX_MS
									 : w->idle_ms * 2;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->wake, &w->lock, &until);
		}
		pthread_mutex_unlock(&w->lock);
	}
	sink_close(w);
	return NULL;
}

struct dnstap_writer *dnstap_writer_new(const struct config *cfg)
{
	struct dnstap_writer *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	sink_conf_from(&w->next, cfg);
	w->last_cfg = cfg;
	w->ring_slots = cfg->dnstap_ring_size >= 2 ? cfg->dnstap_ring_size : DNSTAP_RING_SLOTS;
	w->backoff_ms = DNSTAP_BACKOFF_MIN_MS;
	w->idle_ms = WRITER_IDLE_MIN_MS;
	w->frames = xmalloc((size_t)WRITER_BATCH * WRITER_FRAME_MAX);
	return w;
}

struct dnstap_ring *dnstap_writer_add_ring(struct dnstap_writer *w)
{
	struct dnstap_ring *r;

	if (w->ring_count == WRITER_MAX_RINGS)
		abort(); /* our own bug: more DNS threads than the server makes */
	r = dnstap_ring_new(w->ring_slots);
	w->rings[w->ring_count++] = r;
	return r;
}

int dnstap_writer_start(struct dnstap_writer *w, struct gslb_err *err)
{
	int rc = pthread_create(&w->thread, NULL, writer_main, w);

	if (rc != 0)
		return gslb_err_setc(err, -rc, "dnstap writer: pthread_create: %s", strerror(rc));
	w->started = true;
	return 0;
}

void dnstap_writer_reconfigure(struct dnstap_writer *w, const struct config *cfg)
{
	if (w == NULL || cfg == w->last_cfg)
		return; /* a failed reload: the running config, sink and file stay */
	w->last_cfg = cfg;
	pthread_mutex_lock(&w->lock);
	sink_conf_from(&w->next, cfg);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void dnstap_writer_free(struct dnstap_writer *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->ring_count; i++)
		dnstap_ring_free(w->rings[i]);
	sink_conf_fini(&w->cur);
	sink_conf_fini(&w->next);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->frames);
	free(w);
}

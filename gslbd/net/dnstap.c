#include <config.h>

#include "gslbd/net/dnstap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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
#include "geo/geo_db.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/dnstap_ring.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/snapshot.h"

#define WRITER_BUF_LEN   (256 * 1024) /* frames gathered for one write at most (more when
				       * a long identity needs it: 4 exchanges at least) */
#define WRITER_TAKE      64           /* exchanges taken from one ring before the next */
#define WRITER_IDLE_MIN_MS 1          /* shortest sleep between looks at the rings */
#define WRITER_MAX_RINGS 1024         /* DNS threads */
#define WRITER_FILL_DIV  4            /* after a drain, sleep until the busiest ring is about
				       * 1/WRITER_FILL_DIV full at the rate just seen */
#define WRITER_WAKE_DIV  2            /* a ring 1/WRITER_WAKE_DIV full wakes the writer */

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
	pthread_mutex_t lock;                        /* guards next, next_geo and stop */
	int wake_fd;                                 /* eventfd: new config, stop, a full ring */
	_Atomic bool asleep;                         /* sleeping: a filling ring wakes it */
	struct sink_conf next;                       /* latest configuration (under lock) */
	struct geo_share *next_geo;                  /* latest GeoIP database (a reference) */
	bool stop;                                   /* asked to stop (under lock) */
	struct dnstap_ring *rings[WRITER_MAX_RINGS]; /* one per DNS thread */
	size_t ring_count;                           /* entries at rings */
	unsigned ring_slots;           /* slots of each ring (dnstap.ring_size at start) */
	const struct config *last_cfg; /* the config last taken (main thread), not dereferenced */
	/* The thread's own state. */
	struct sink_conf cur;           /* the configuration in use */
	struct dnstap_enc *enc;         /* cur's constant parts, encoded */
	struct geo_share *geo[2];       /* databases to locate clients in (references): the
					 * latest and the one before, or NULL */
	struct geo_cache *cache;        /* their lookups (made at the first) */
	struct fstrm_writer *fw;        /* the open sink, or NULL */
	struct sink_io *io;             /* its transport (owned by fw) */
	unsigned backoff_ms;            /* wait before the next open after a failure */
	unsigned idle_ms;               /* wait before the next look at the rings */
	uint64_t last_drain_ms;         /* monotonic time of the last drain that took some */
	uint64_t next_open_ms;          /* monotonic time of the next open */
	bool warned;                    /* a failure was logged since the last success */
	uint8_t *buf;                   /* frames waiting for one write */
	size_t buf_cap;                 /* bytes it has room for */
	size_t buf_len;                 /* bytes at buf */
	uint64_t buf_frames;            /* frames at buf */
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
	struct iovec iov[64]; /* control frames: a few pieces */
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

/* Open the configured sink: a Frame Streams writer, handshake done; *iop
 * its transport, owned by the writer. */
static struct fstrm_writer *sink_open(const struct sink_conf *c, struct sink_io **iop)
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
	*iop = io;
	return fw;
}

/* Encoding.
 *
 * The protobuf wire format, written by hand: the schema is small and fixed
 * (common/dnstap.proto), and this costs a fraction of protobuf-c's
 * reflective packing on the writer's loop. The unit tests decode what it
 * writes with protobuf-c. Fields go in field-number order, as protobuf-c
 * writes them. Every length is known before its bytes are written, so each
 * message goes straight into the output buffer, once: the room it needs at
 * most is reserved first (dnstap_enc_room()), and nothing is checked field
 * by field. What does not change between messages (identity and version)
 * is encoded once per configuration. */
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

/* The key of a field below 16: one byte. */
#define KEY(field, type) ((uint8_t)((field) << 3 | (type)))

#define EXTRA_MAX 2048 /* Dnstap.extra at most: a 255-byte name escaped and the rest fit */
#define FIELDS_MAX 512 /* a Message's fields and keys but its DNS bytes, policy included */

/* Names written lately, by their wire form (a few hot names make most of
 * the traffic): one is copied, not escaped again. */
#define NAME_MEMO 8
struct name_memo {
	struct {
		uint16_t wire_len;    /* bytes at wire, 0: empty */
		uint16_t text_len;    /* bytes at text */
		uint8_t wire[255];    /* the name as in the message */
		char text[4 * 255];   /* its presentation form */
	} e[NAME_MEMO];
};

struct dnstap_enc {
	uint8_t *head;           /* identity and version, as fields of Dnstap */
	size_t head_len;         /* bytes at head */
	struct name_memo *names; /* names written lately */
};

static uint8_t *put_varint_long(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Keys and most lengths take 1 or 2 bytes, the times in seconds 5 (from
 * 1978 to 3058): those without a loop. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	if (v < 0x80) {
		*p = (uint8_t)v;
		return p + 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)v | 0x80;
		p[1] = (uint8_t)(v >> 7);
		return p + 2;
	}
	if (v >= UINT64_C(1) << 28 && v < UINT64_C(1) << 35) {
		p[0] = (uint8_t)v | 0x80;
		p[1] = (uint8_t)(v >> 7) | 0x80;
		p[2] = (uint8_t)(v >> 14) | 0x80;
		p[3] = (uint8_t)(v >> 21) | 0x80;
		p[4] = (uint8_t)(v >> 28);
		return p + 5;
	}
	return put_varint_long(p, v);
}

static inline size_t varint_len(uint64_t v)
{
	size_t n = 1;

	if (v < 0x80)
		return 1;
	if (v < 0x4000)
		return 2;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_bytes(uint8_t *p, uint8_t key, const void *data, size_t len)
{
	*p++ = key;
	p = put_varint(p, len);
	memcpy(p, data, len);
	return p + len;
}

static uint8_t *put_fixed32(uint8_t *p, uint8_t key, uint32_t v)
{
	*p++ = key;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

struct dnstap_enc *dnstap_enc_new(const char *identity, const char *version)
{
	struct dnstap_enc *e = xcalloc(1, sizeof(*e));
	size_t il = identity != NULL ? strlen(identity) : 0;
	size_t vl = version != NULL ? strlen(version) : 0;
	uint8_t *p;

	e->head = xmalloc(2 + il + vl + 20);
	p = e->head;
	if (identity != NULL)
		p = put_bytes(p, KEY(DT_IDENTITY, PB_BYTES), identity, il);
	if (version != NULL)
		p = put_bytes(p, KEY(DT_VERSION, PB_BYTES), version, vl);
	e->head_len = (size_t)(p - e->head);
	e->names = xcalloc(1, sizeof(*e->names));
	return e;
}

void dnstap_enc_free(struct dnstap_enc *e)
{
	if (e == NULL)
		return;
	free(e->head);
	free(e->names);
	free(e);
}

size_t dnstap_enc_room(const struct dnstap_enc *e)
{
	/* Dnstap: the head, extra, the Message (its fields, the DNS bytes of
	 * the slot) and type, each key and length at most 3 bytes. */
	return e->head_len + 3 + EXTRA_MAX + 4 + FIELDS_MAX + DNSTAP_SLOT_DATA + 2;
}

/* Text. The room is reserved before (EXTRA_MAX): nothing is checked. */

#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

static char *put_mem(char *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *put_uint(char *p, uint64_t v)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return put_mem(p, digits + i, sizeof(digits) - i);
}

static char *put_u8(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* A byte a name writes as it is: printable, not a space, '=', '\' or '.'. */
static const uint8_t plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

/* The question name of message m (len bytes) in presentation form, with
 * spaces, '=', '\', a dot inside a label and what is not printable as
 * \DDD, at p (room for 4 bytes per byte of a name of 255 bytes). NULL
 * (nothing meaningful written) when it has no question or the name is not
 * one (a label over 63 bytes, past the end, longer than 255 bytes). */
static char *put_name(char *p, const uint8_t *m, size_t end);

/* The same through memo (NULL: none). */
static char *put_qname(char *p, const uint8_t *m, size_t len, struct name_memo *memo)
{
	size_t off = 12, end, wire_len;
	char *q;
	unsigned i;

	if (len < 12 || (m[4] == 0 && m[5] == 0))
		return NULL;
	/* Check the labels first, so that a bad name writes nothing. */
	for (end = off; end < len && m[end] != 0; end += 1u + m[end]) {
		if (m[end] > 63 || end + 1u + m[end] >= len)
			return NULL;
	}
	wire_len = end - off + 1;
	if (end >= len || wire_len > 255)
		return NULL;
	if (memo == NULL)
		return put_name(p, m, end);
	i = (unsigned)(wire_len ^ m[off + 1] ^ (m[end - 1] * 7u)) % NAME_MEMO;
	if (memo->e[i].wire_len == wire_len && memcmp(memo->e[i].wire, m + off, wire_len) == 0) {
		memcpy(p, memo->e[i].text, memo->e[i].text_len);
		return p + memo->e[i].text_len;
	}
	q = put_name(p, m, end);
	memo->e[i].wire_len = (uint16_t)wire_len;
	memo->e[i].text_len = (uint16_t)(q - p);
	memcpy(memo->e[i].wire, m + off, wire_len);
	memcpy(memo->e[i].text, p, (size_t)(q - p));
	return q;
}

/* The name at offset 12 of m, its labels checked, ending with the zero
 * byte at end. */
static char *put_name(char *p, const uint8_t *m, size_t end)
{
	size_t off = 12;
	unsigned escape = 0;

	if (m[off] == 0) {
		*p++ = '.';
		return p;
	}
	for (size_t l = off; l < end; l += 1u + m[l]) {
		for (size_t i = l + 1; i <= l + m[l]; i++)
			escape |= plain[m[i]] ^ 1u;
	}
	if (!escape) {
		/* The labels after their lengths, each length made a dot. */
		memcpy(p, m + off + 1, end - off);
		for (size_t l = m[off]; off + 1 + l < end; off += 1 + l, l = m[off])
			p[off + l - 12] = '.';
		p[end - 13] = '.';
		return p + (end - 12);
	}
	while (m[off] != 0) {
		const uint8_t *l = m + off + 1;
		uint8_t n = m[off];

		for (uint8_t i = 0; i < n; i++) {
			uint8_t c = l[i];

			if (plain[c]) {
				*p++ = (char)c;
			} else {
				p[0] = '\\';
				p[1] = (char)('0' + c / 100);
				p[2] = (char)('0' + c / 10 % 10);
				p[3] = (char)('0' + c % 10);
				p += 4;
			}
		}
		*p++ = '.';
		off += 1u + n;
	}
	return p;
}

/* The decision text of s at p (EXTRA_MAX bytes of room); returns the end. */
static char *extra_write(const struct dnstap_slot *s, const struct geo_location *loc,
			 struct name_memo *memo, char *p)
{
	const char *country = s->country, *continent = s->continent;
	char *q;

	if (s->flags & DNSTAP_F_LB)
		p = PUT_LIT(p, "gslb=1 name=");
	else
		p = PUT_LIT(p, "gslb=0 name=");
	q = put_qname(p, s->data + s->query_len, s->response_len, memo);
	if (q == NULL)
		q = put_qname(p, s->data, s->query_len, memo);
	p = q != NULL ? q : p - 6; /* no question to name */
	if (s->flags & DNSTAP_F_LB) {
		p = PUT_LIT(p, " pool=");
		p = put_mem(p, s->pool, s->pool_len);
		p = PUT_LIT(p, " reason=");
		if (s->reason != NULL)
			p = put_mem(p, s->reason, s->reason_len);
		else
			p = PUT_LIT(p, "unknown");
		p = PUT_LIT(p, " dc=");
		if (s->dcs_len > 0)
			p = put_mem(p, s->dcs, s->dcs_len);
		else
			*p++ = '-';
		if (s->flags & DNSTAP_F_FALLBACK) {
			p = PUT_LIT(p, " fallback=1 asked=");
			p = put_mem(p, s->asked, s->asked_len);
		}
		if (s->flags & DNSTAP_F_FAILED_OPEN)
			p = PUT_LIT(p, " failopen=1");
		if (s->flags & DNSTAP_F_EMPTY)
			p = PUT_LIT(p, " empty=1");
		if (loc != NULL && loc->found) {
			country = loc->country;
			continent = loc->continent;
		}
		/* Codes are 2 letters or "" (struct geo_location). */
		if (country[0] != '\0') {
			p = PUT_LIT(p, " country=");
			p = put_mem(p, country, country[1] != '\0' ? 2 : 1);
		}
		if (continent[0] != '\0') {
			p = PUT_LIT(p, " continent=");
			p = put_mem(p, continent, continent[1] != '\0' ? 2 : 1);
		}
		if (s->flags & DNSTAP_F_PRIVATE)
			p = PUT_LIT(p, " private=1");
	}
	if (s->ecs_family == 1 || s->ecs_family == 2) {
		char ip[INET6_ADDRSTRLEN];

		p = PUT_LIT(p, " ecs=");
		if (s->ecs_family == 1) {
			for (int i = 0; i < 4; i++) {
				if (i > 0)
					*p++ = '.';
				p = put_u8(p, s->ecs_addr[i]);
			}
		} else if (inet_ntop(AF_INET6, s->ecs_addr, ip, sizeof(ip)) != NULL) {
			p = put_mem(p, ip, strlen(ip));
		}
		*p++ = '/';
		p = put_u8(p, s->ecs_source);
		p = PUT_LIT(p, " scope=");
		p = put_u8(p, s->ecs_scope);
	}
	p = PUT_LIT(p, " gen=");
	return put_uint(p, s->generation);
}

size_t dnstap_extra_format(const struct dnstap_slot *s, const struct geo_location *loc, char *buf,
			   size_t cap)
{
	char text[EXTRA_MAX];
	size_t len;

	if (cap == 0)
		return 0;
	len = (size_t)(extra_write(s, loc, NULL, text) - text);
	if (len > cap - 1)
		len = cap - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return len;
}

/* Message fields 2 to 9 of s (the same in its query and its response):
 * family, protocol, addresses, ports, the query's time. Room: 64 bytes. */
static uint8_t *common_write(const struct dnstap_slot *s, uint8_t *p)
{
	const union dnstap_addr *a = &s->peer, *l = &s->local;
	bool local = (s->flags & DNSTAP_F_LOCAL) && (l->sa.sa_family == AF_INET ||
						     l->sa.sa_family == AF_INET6);

	if (a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6) {
		*p++ = KEY(M_SOCKET_FAMILY, PB_VARINT);
		*p++ = a->sa.sa_family == AF_INET ? DNSTAP__SOCKET_FAMILY__INET
						  : DNSTAP__SOCKET_FAMILY__INET6;
	}
	*p++ = KEY(M_SOCKET_PROTOCOL, PB_VARINT);
	*p++ = s->flags & DNSTAP_F_TCP ? DNSTAP__SOCKET_PROTOCOL__TCP
				       : DNSTAP__SOCKET_PROTOCOL__UDP;
	if (a->sa.sa_family == AF_INET)
		p = put_bytes(p, KEY(M_QUERY_ADDRESS, PB_BYTES), &a->sin.sin_addr, 4);
	else if (a->sa.sa_family == AF_INET6)
		p = put_bytes(p, KEY(M_QUERY_ADDRESS, PB_BYTES), &a->sin6.sin6_addr, 16);
	if (local && l->sa.sa_family == AF_INET)
		p = put_bytes(p, KEY(M_RESPONSE_ADDRESS, PB_BYTES), &l->sin.sin_addr, 4);
	else if (local)
		p = put_bytes(p, KEY(M_RESPONSE_ADDRESS, PB_BYTES), &l->sin6.sin6_addr, 16);
	if (a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6) {
		*p++ = KEY(M_QUERY_PORT, PB_VARINT);
		p = put_varint(p, ntohs(a->sa.sa_family == AF_INET ? a->sin.sin_port
								    : a->sin6.sin6_port));
	}
	if (local) {
		*p++ = KEY(M_RESPONSE_PORT, PB_VARINT);
		p = put_varint(p, ntohs(l->sa.sa_family == AF_INET ? l->sin.sin_port
								    : l->sin6.sin6_port));
	}
	*p++ = KEY(M_QUERY_TIME_SEC, PB_VARINT);
	p = put_varint(p, (uint64_t)s->received.tv_sec);
	return put_fixed32(p, KEY(M_QUERY_TIME_NSEC, PB_FIXED32), (uint32_t)s->received.tv_nsec);
}

/* One Dnstap message of s at p (dnstap_enc_room() bytes of room): its
 * AUTH_RESPONSE when response, else its AUTH_QUERY, with common (Message
 * fields 2 to 9, common_len bytes) and loc (NULL: the slot's own location)
 * in the decision text. Returns the end. */
static uint8_t *message_write(const struct dnstap_enc *e, const struct dnstap_slot *s,
			      bool response, const uint8_t *common, size_t common_len,
			      const struct geo_location *loc, uint8_t *p)
{
	size_t body = 2 + common_len, pol = 0, rlen = s->response_len, qlen = s->query_len;

	memcpy(p, e->head, e->head_len);
	p += e->head_len;
	if (response) {
		/* The text goes 2 bytes on (a length up to 16383), and back 1
		 * when it is shorter than 128 bytes. */
		char *t = (char *)p + 3;
		size_t n = (size_t)(extra_write(s, loc, e->names, t) - t);

		*p++ = KEY(DT_EXTRA, PB_BYTES);
		if (n < 0x80) {
			*p++ = (uint8_t)n;
			memmove(p, t, n);
		} else {
			p = put_varint(p, n);
		}
		p += n;
		body += 1 + varint_len((uint64_t)s->responded.tv_sec) + 5;
		if (rlen > 0)
			body += 1 + varint_len(rlen) + rlen;
		if (s->flags & DNSTAP_F_LB) {
			pol = 6 + 2 + s->pool_len + 2 + 2 + 1 + varint_len(s->dcs_len) + s->dcs_len;
			body += 1 + varint_len(pol) + pol;
		}
	} else if (qlen > 0) {
		body += 1 + varint_len(qlen) + qlen;
	}
	*p++ = KEY(DT_MESSAGE, PB_BYTES);
	p = put_varint(p, body);
	*p++ = KEY(M_TYPE, PB_VARINT);
	*p++ = response ? DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE : DNSTAP__MESSAGE__TYPE__AUTH_QUERY;
	memcpy(p, common, common_len);
	p += common_len;
	if (!response) {
		if (qlen > 0)
			p = put_bytes(p, KEY(M_QUERY_MESSAGE, PB_BYTES), s->data, qlen);
	} else {
		*p++ = KEY(M_RESPONSE_TIME_SEC, PB_VARINT);
		p = put_varint(p, (uint64_t)s->responded.tv_sec);
		p = put_fixed32(p, KEY(M_RESPONSE_TIME_NSEC, PB_FIXED32),
				(uint32_t)s->responded.tv_nsec);
		if (rlen > 0)
			p = put_bytes(p, KEY(M_RESPONSE_MESSAGE, PB_BYTES), s->data + qlen, rlen);
		if (s->flags & DNSTAP_F_LB) {
			*p++ = KEY(M_POLICY, PB_BYTES);
			p = put_varint(p, pol);
			p = put_bytes(p, KEY(P_TYPE, PB_BYTES), "gslb", 4);
			p = put_bytes(p, KEY(P_RULE, PB_BYTES), s->pool, s->pool_len);
			*p++ = KEY(P_ACTION, PB_VARINT);
			*p++ = s->flags & DNSTAP_F_EMPTY ? DNSTAP__POLICY__ACTION__NODATA
							 : DNSTAP__POLICY__ACTION__LOCAL_DATA;
			*p++ = KEY(P_MATCH, PB_VARINT);
			*p++ = DNSTAP__POLICY__MATCH__CLIENT_IP;
			p = put_bytes(p, KEY(P_VALUE, PB_BYTES), s->dcs, s->dcs_len);
		}
	}
	*p++ = KEY(DT_TYPE, PB_VARINT);
	*p++ = DNSTAP__DNSTAP__TYPE__MESSAGE;
	return p;
}

size_t dnstap_encode(const struct dnstap_enc *e, const struct dnstap_slot *s, bool response,
		     const struct geo_location *loc, uint8_t *buf, size_t cap)
{
	uint8_t common[64], *tmp, *end;
	size_t common_len = (size_t)(common_write(s, common) - common), len;

	if (cap >= dnstap_enc_room(e))
		return (size_t)(message_write(e, s, response, common, common_len, loc, buf) - buf);
	tmp = xmalloc(dnstap_enc_room(e));
	end = message_write(e, s, response, common, common_len, loc, tmp);
	len = (size_t)(end - tmp);
	if (len <= cap)
		memcpy(buf, tmp, len);
	free(tmp);
	return len <= cap ? len : 0;
}

/* The frames of s (its query, its response, as the flags say) at p, each
 * a 4-byte big-endian length and the message; room: twice
 * dnstap_enc_room() + 8. Adds the frames written to *frames. */
static uint8_t *exchange_write(const struct dnstap_enc *e, const struct dnstap_slot *s,
			       const struct geo_location *loc, uint8_t *p, uint64_t *frames)
{
	uint8_t common[64];
	size_t common_len = (size_t)(common_write(s, common) - common);

	for (int resp = 0; resp < 2; resp++) {
		uint8_t *end;
		uint32_t len;

		if (!(s->flags & (resp ? DNSTAP_F_RESPONSE : DNSTAP_F_QUERY)))
			continue;
		end = message_write(e, s, resp, common, common_len, loc, p + 4);
		len = (uint32_t)(end - (p + 4));
		p[0] = (uint8_t)(len >> 24);
		p[1] = (uint8_t)(len >> 16);
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p = end;
		(*frames)++;
	}
	return p;
}

/* The thread. */

static void sink_close(struct dnstap_writer *w)
{
	if (w->fw != NULL)
		fstrm_writer_destroy(&w->fw); /* a STOP frame, bounded by the timeouts */
	w->fw = NULL;
	w->io = NULL;
	w->buf_len = 0;
	w->buf_frames = 0;
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
	w->fw = sink_open(&w->cur, &w->io);
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

/* Write the frames gathered, in one system call when the sink takes them
 * all: data frames go straight to the transport under libfstrm, which
 * keeps the handshake and the STOP frame. false when the sink failed. */
static bool flush(struct dnstap_writer *w)
{
	const uint8_t *p = w->buf;
	size_t left = w->buf_len;

	while (left > 0) {
		ssize_t n = w->io->kind == SINK_FILE ? write(w->io->fd, p, left)
						     : send(w->io->fd, p, left, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sink_failed(w, "write"); /* EAGAIN: the collector stopped reading */
			return false;
		}
		p += n;
		left -= (size_t)n;
	}
	dnstap_stats_count_written(w->buf_frames);
	w->buf_len = 0;
	w->buf_frames = 0;
	return true;
}

/* Where s's client is, when its decision did not say and the database that
 * answered is one the writer holds; NULL otherwise. */
static const struct geo_location *locate(struct dnstap_writer *w, const struct dnstap_slot *s,
					 struct geo_location *loc)
{
	const struct geo_db *db = NULL;
	struct lb_client c;

	if (!(s->flags & DNSTAP_F_LOCATE) || s->geo == NULL)
		return NULL;
	for (int i = 0; i < 2; i++) {
		if (w->geo[i] != NULL && geo_share_db(w->geo[i]) == s->geo)
			db = s->geo;
	}
	if (db == NULL)
		return NULL; /* a database no longer held: it may be gone */
	if (w->cache == NULL)
		w->cache = xcalloc(1, sizeof(*w->cache));
	lb_client_init(&c, s->ecs_family, s->ecs_source, s->ecs_addr, &s->peer.sa);
	if (c.family == 0 || geo_db_lookup_cached(db, w->cache, c.family, c.addr, loc) != 0)
		return NULL;
	return loc->found ? loc : NULL;
}

/* Encode and write what the rings hold, a few exchanges of each ring in
 * turn. Returns the exchanges taken. */
static size_t drain(struct dnstap_writer *w)
{
	size_t taken = 0, room = 2 * dnstap_enc_room(w->enc) + 8, got;

	do {
		got = 0;
		for (size_t i = 0; i < w->ring_count && w->fw != NULL; i++) {
			const struct dnstap_slot *s;

			for (unsigned k = 0;
			     k < WRITER_TAKE && (s = dnstap_ring_peek(w->rings[i])) != NULL; k++) {
				struct geo_location where;
				const struct geo_location *loc = locate(w, s, &where);

				if (w->buf_cap - w->buf_len < room && !flush(w))
					return taken + got;
				w->buf_len = (size_t)(exchange_write(w->enc, s, loc,
								     w->buf + w->buf_len,
								     &w->buf_frames) -
						      w->buf);
				dnstap_ring_pop(w->rings[i]);
				got++;
			}
		}
		taken += got;
	} while (got > 0 && w->fw != NULL);
	if (w->buf_len > 0 && w->fw != NULL)
		flush(w);
	return taken;
}

/* Take a new configuration, if any. Under w->lock. */
static void take_config(struct dnstap_writer *w)
{
	size_t room;
	bool same;

	if (w->next_geo != w->geo[0]) {
		geo_share_unref(w->geo[1]);
		w->geo[1] = w->geo[0];
		w->geo[0] = w->next_geo != NULL ? geo_share_ref(w->next_geo) : NULL;
	}
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
	} else if (w->buf_len > 0) {
		flush(w); /* frames with the identity before */
	}
	dnstap_enc_free(w->enc);
	w->enc = dnstap_enc_new(w->cur.identity, w->cur.version);
	room = 2 * dnstap_enc_room(w->enc) + 8;
	if (w->buf_cap < 4 * room) {
		w->buf_cap = 4 * room;
		free(w->buf);
		w->buf = xmalloc(w->buf_cap);
		w->buf_len = 0; /* flushed or dropped above */
		w->buf_frames = 0;
	}
}

/* The sleep after a drain that took taken exchanges (from the busiest
 * ring, most) elapsed_ms after the one before: long enough for the next
 * drain to fill big writes, short enough that the rings stay far from full
 * (taken counts every ring: at least the busiest one) at that rate, and
 * never longer than DNSTAP_LATENCY_MS. One system call and one wake-up then
 * carry many frames. */
static unsigned pace_ms(const struct dnstap_writer *w, size_t taken, uint64_t elapsed_ms)
{
	uint64_t ms;

	ms = (uint64_t)w->ring_slots / WRITER_FILL_DIV * (elapsed_ms > 0 ? elapsed_ms : 1) / taken;
	if (ms < WRITER_IDLE_MIN_MS)
		return WRITER_IDLE_MIN_MS;
	return ms > DNSTAP_LATENCY_MS ? DNSTAP_LATENCY_MS : (unsigned)ms;
}

/* Is a ring past its wake mark? */
static bool rings_filling(struct dnstap_writer *w)
{
	for (size_t i = 0; i < w->ring_count; i++) {
		if (dnstap_ring_fill(w->rings[i]) >= w->ring_slots / WRITER_WAKE_DIV)
			return true;
	}
	return false;
}

/* Sleep timeout_ms (-1: until woken) or until the eventfd is written. With
 * the sink open, a ring filling up wakes the thread too. */
static void writer_sleep(struct dnstap_writer *w, int timeout_ms)
{
	struct pollfd pfd = {.fd = w->wake_fd, .events = POLLIN};
	bool wakeable = w->fw != NULL;
	uint64_t v;

	if (wakeable) {
		atomic_store(&w->asleep, true);
		if (rings_filling(w)) {
			atomic_store(&w->asleep, false);
			return;
		}
	}
	if (poll(&pfd, 1, timeout_ms) > 0 && read(w->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another reader took it; nothing else can fail */
	}
	if (wakeable)
		atomic_store(&w->asleep, false);
}

static void *writer_main(void *arg)
{
	struct dnstap_writer *w = arg;

	for (;;) {
		bool stop, pending;
		int timeout;

		/* What was answered before a reconfiguration goes to the sink
		 * it was answered for (a file being rotated keeps it). */
		pthread_mutex_lock(&w->lock);
		pending = w->next.serial != w->cur.serial;
		pthread_mutex_unlock(&w->lock);
		if (pending && w->fw != NULL)
			drain(w);
		pthread_mutex_lock(&w->lock);
		take_config(w);
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		sink_try_open(w);
		if (w->fw != NULL) {
			/* Write what is there; on stop, what is left. */
			size_t taken = drain(w);

			if (taken > 0) {
				uint64_t now = time_mono_ms();

				w->idle_ms = pace_ms(w, taken, now - w->last_drain_ms);
				w->last_drain_ms = now;
			} else {
				/* Nothing came: look less often, up to the bound. */
				w->idle_ms = w->idle_ms * 2 > DNSTAP_LATENCY_MS ? DNSTAP_LATENCY_MS
										: w->idle_ms * 2;
			}
		}
		if (stop)
			break;
		if (w->cur.kind == SINK_NONE) {
			timeout = -1; /* off: nothing to drain */
		} else if (w->fw == NULL) {
			uint64_t now = time_mono_ms();

			timeout = w->next_open_ms > now ? (int)(w->next_open_ms - now) : 0;
		} else {
			timeout = (int)w->idle_ms;
		}
		writer_sleep(w, timeout);
	}
	sink_close(w);
	return NULL;
}

/* Wake the thread (configuration, stop). */
static void writer_wake(struct dnstap_writer *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the thread wakes anyway */
	}
}

struct dnstap_writer *dnstap_writer_new(const struct config *cfg)
{
	struct dnstap_writer *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		log_fatal("dnstap writer: eventfd: %s", strerror(errno));
	sink_conf_from(&w->next, cfg);
	w->last_cfg = cfg;
	w->ring_slots = cfg->dnstap_ring_size >= 2 ? cfg->dnstap_ring_size : DNSTAP_RING_SLOTS;
	w->backoff_ms = DNSTAP_BACKOFF_MIN_MS;
	w->idle_ms = WRITER_IDLE_MIN_MS;
	w->enc = dnstap_enc_new(NULL, NULL);
	w->buf_cap = WRITER_BUF_LEN;
	w->buf = xmalloc(w->buf_cap);
	return w;
}

struct dnstap_ring *dnstap_writer_add_ring(struct dnstap_writer *w)
{
	struct dnstap_ring *r;

	if (w->ring_count == WRITER_MAX_RINGS)
		abort(); /* our own bug: more DNS threads than the server makes */
	r = dnstap_ring_new(w->ring_slots);
	dnstap_ring_set_wake(r, w->wake_fd, &w->asleep, w->ring_slots / WRITER_WAKE_DIV);
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
	pthread_mutex_unlock(&w->lock);
	writer_wake(w);
}

void dnstap_writer_set_geo(struct dnstap_writer *w, struct geo_share *geo)
{
	struct geo_share *old = NULL;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	if (geo != w->next_geo) {
		old = w->next_geo;
		w->next_geo = geo != NULL ? geo_share_ref(geo) : NULL;
	}
	pthread_mutex_unlock(&w->lock);
	geo_share_unref(old);
}

void dnstap_writer_free(struct dnstap_writer *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_mutex_unlock(&w->lock);
		writer_wake(w);
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->ring_count; i++)
		dnstap_ring_free(w->rings[i]);
	sink_conf_fini(&w->cur);
	sink_conf_fini(&w->next);
	geo_share_unref(w->next_geo);
	geo_share_unref(w->geo[0]);
	geo_share_unref(w->geo[1]);
	free(w->cache);
	dnstap_enc_free(w->enc);
	close(w->wake_fd);
	pthread_mutex_destroy(&w->lock);
	free(w->buf);
	free(w);
}

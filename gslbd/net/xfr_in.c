/* The transfer client: refresh timers, NOTIFY, transfers on worker threads. */
#include <config.h>

#include "gslbd/net/xfr_in.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "common/timeutil.h"
#include "common/tsig.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control.h"
#include "gslbd/dns/notify_in.h"
#include "gslbd/dns/snapshot.h"
#include "zones/xfr.h"

#define XFR_CONNECT_TIMEOUT_MS 5000  /* a primary must accept within this */
#define XFR_IO_TIMEOUT_MS      10000 /* and send each message within this */
#define XFR_UDP_TIMEOUT_MS     2000  /* a SOA query over UDP: TCP after this */
#define XFR_TRY_TCP            2     /* exchange_udp(): ask again over TCP */
#define XFR_RETRY_NODATA       10    /* seconds between tries while nothing is held */
#define XFR_MIN_TIMER          1     /* the shortest refresh, retry or expire (seconds) */
#define XFR_NOTIFY_QUEUE       64    /* NOTIFYs waiting for the main loop */

struct xfr_in;

/* A primary as a transfer uses it: address and key copied from the config
 * (which a reload may free while a transfer runs). */
struct xprimary {
	struct netaddr addr; /* its address and port */
	bool has_key;        /* exchanges signed with key (TSIG) */
	struct tsig_key key; /* the key */
};

/* One secondary zone (main thread). */
struct szone {
	struct xfr_in *owner;
	char *name;             /* origin as the config writes it */
	char *file;             /* where it is kept */
	struct xprimary *prims; /* its primaries */
	size_t prim_count;
	struct event *refresh_ev; /* the next refresh (or retry) */
	struct event *expire_ev;  /* when the data held expires */
	bool running;             /* a transfer thread works for it */
	bool again;               /* NOTIFYed meanwhile: refresh once more after it */
	bool gone;                /* no longer in the config: freed when its thread ends */
	bool pending_cfg;         /* primaries changed while a transfer ran */
	bool catalog;             /* a catalog zone: a change reads the config again */
	bool member;              /* a catalog's member: its files go when it leaves */
	bool has_data;            /* a zone file is held */
	bool expired;             /* it expired (FILE.expired exists) */
	uint32_t serial, refresh, retry, expire; /* its SOA's */
	int64_t last_ok_ms; /* last successful refresh (monotonic ms: a stepped clock moves nothing) */
	struct szone *next;
};

/* One refresh on a worker thread: the inputs are copies, the outputs are
 * read by the main thread after the join. */
struct job {
	struct szone *z;
	pthread_t thread;
	struct event *done_ev;
	char *name, *file;
	struct xprimary *prims; /* borrowed from z: z and its primaries outlive the job */
	size_t prim_count;
	bool have;       /* the file holds a current version to update */
	uint32_t serial; /* its serial */
	/* outputs */
	int rc;
	struct gslb_err err;
	bool changed;      /* a new version was written */
	const char *style; /* zone_xfr_style() */
	uint32_t new_serial, refresh, retry, expire;
	size_t rr_count;
	char from[NETADDR_STRLEN]; /* the primary that answered */
	uint64_t ms;               /* how long it took */
};

struct xfr_in {
	struct event_base *base;
	struct control *ctl;
	struct szone *zones;
	struct event *notify_ev; /* made active by the NOTIFY hook */
	pthread_mutex_t lock;    /* guards the queue below */
	char queue[XFR_NOTIFY_QUEUE][256];
	size_t queued;
	size_t running; /* jobs under way */
	bool stopping;  /* xfr_in_free(): transfers end, nothing is read again */
};

/* ---- the worker thread ---------------------------------------------------- */

/* Signing a request and verifying its responses (TSIG, RFC 8945): the one
 * place where a primary's key applies. Without a key, nothing is signed
 * and a signed response is not checked. */
static int request_sign(const struct xprimary *p, struct tsig_ctx *ctx, uint8_t **msg, size_t *len,
			struct gslb_err *err)
{
	size_t cap;

	tsig_ctx_init(ctx, p->has_key ? &p->key : NULL);
	if (!p->has_key)
		return 0;
	cap = *len + tsig_ctx_room(ctx);
	*msg = xreallocarray(*msg, cap, 1);
	if (tsig_sign(ctx, *msg, len, cap, (uint64_t)time(NULL)) != 0)
		return gslb_err_setc(err, GSLB_ENOSPC, "TSIG key %s: cannot sign the request",
				     p->key.name);
	return 0;
}

static int response_verify(const struct xprimary *p, struct tsig_ctx *ctx, const uint8_t *msg,
			   size_t len, bool first, struct gslb_err *err)
{
	enum tsig_result r;

	if (!p->has_key)
		return 0;
	r = tsig_verify_next(ctx, msg, len, (uint64_t)time(NULL));
	if (r == TSIG_OK || (r == TSIG_UNSIGNED && !first && ctx->unsigned_count < 100))
		return 0;
	return gslb_err_setc(err, GSLB_EUNAVAIL, "TSIG key %s: the response %s", p->key.name,
			     r == TSIG_UNSIGNED ? "is not signed"
			     : r == TSIG_ERROR
				 ? "carries a TSIG error (the primary refused the key)"
				 : tsig_result_name(r));
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

static int connect_to(const struct netaddr *a, struct gslb_err *err)
{
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return gslb_err_setc(err, GSLB_EIO, "socket: %s", strerror(errno));
	if (connect(fd, &a->u.sa, a->len) != 0 && errno != EINPROGRESS) {
		gslb_err_setc(err, GSLB_EIO, "connect: %s", strerror(errno));
		close(fd);
		return GSLB_EIO;
	}
	if (wait_fd(fd, POLLOUT, XFR_CONNECT_TIMEOUT_MS) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		gslb_err_setc(err, GSLB_EIO, "connect: %s",
			      soerr != 0 ? strerror(soerr) : "timed out");
		close(fd);
		return GSLB_EIO;
	}
	return fd;
}

static int io_all(int fd, uint8_t *buf, size_t len, bool out, struct gslb_err *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (wait_fd(fd, out ? POLLOUT : POLLIN, XFR_IO_TIMEOUT_MS) != 0)
			return gslb_err_setc(err, GSLB_EIO, "timed out");
		n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
			: recv(fd, buf + done, len - done, 0);
		if (n == 0)
			return gslb_err_setc(err, GSLB_EIO, "connection closed by the primary");
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return gslb_err_setc(err, GSLB_EIO, "%s", strerror(errno));
		}
		done += (size_t)n;
	}
	return 0;
}

/* One exchange with primary p over TCP: the query of x, then its responses
 * until x is complete. */
static int exchange(const struct xprimary *p, struct zone_xfr *x, struct gslb_err *err)
{
	struct tsig_ctx ctx;
	uint8_t *q = NULL, *buf = NULL;
	uint8_t hdr[2];
	size_t qlen = 0;
	bool first = true;
	int fd, rc;

	tsig_ctx_init(&ctx, NULL);
	rc = zone_xfr_query(x, &q, &qlen, err);
	if (rc == 0)
		rc = request_sign(p, &ctx, &q, &qlen, err);
	if (rc != 0) {
		free(q);
		tsig_ctx_fini(&ctx);
		return rc;
	}
	fd = connect_to(&p->addr, err);
	if (fd < 0) {
		free(q);
		tsig_ctx_fini(&ctx);
		return fd;
	}
	hdr[0] = (uint8_t)(qlen >> 8);
	hdr[1] = (uint8_t)qlen;
	rc = io_all(fd, hdr, 2, true, err);
	if (rc == 0)
		rc = io_all(fd, q, qlen, true, err);
	free(q);
	buf = xmalloc(65535);
	while (rc == 0) {
		size_t len;

		rc = io_all(fd, hdr, 2, false, err);
		if (rc != 0)
			break;
		len = (size_t)hdr[0] << 8 | hdr[1];
		rc = io_all(fd, buf, len, false, err);
		if (rc == 0)
			rc = response_verify(p, &ctx, buf, len, first, err);
		first = false;
		if (rc == 0)
			rc = zone_xfr_feed(x, buf, len, err);
		if (rc == ZONE_XFR_MORE)
			rc = 0;
		else
			break;
	}
	/* A signed exchange ends on a signed message (RFC 8945 5.3.1). */
	if (rc == 0 && p->has_key && ctx.unsigned_count > 0)
		rc = gslb_err_setc(err, GSLB_EUNAVAIL,
				   "TSIG key %s: the last message is not signed", p->key.name);
	free(buf);
	close(fd);
	tsig_ctx_fini(&ctx);
	return rc;
}

/* The SOA query of x to primary p over UDP, as any query (RFC 1034 4.3.5),
 * signed when p has a key. Returns 0 once answered, XFR_TRY_TCP with err
 * set when the answer is truncated (TC), none comes within
 * XFR_UDP_TIMEOUT_MS (or the primary's port is closed to UDP), or the
 * answer is not a good one (an error rcode: Knot refuses queries to a
 * catalog zone over UDP; a TSIG that does not verify; malformed), or a
 * negative code for a query that cannot be made. Datagrams that are not
 * the answer (another ID, not a response) are ignored. */
static int exchange_udp(const struct xprimary *p, struct zone_xfr *x, struct gslb_err *err)
{
	struct tsig_ctx ctx;
	uint8_t *q = NULL, *buf = NULL;
	size_t qlen = 0;
	uint64_t deadline = time_mono_ms() + XFR_UDP_TIMEOUT_MS;
	int fd = -1, rc;

	tsig_ctx_init(&ctx, NULL);
	rc = zone_xfr_query(x, &q, &qlen, err);
	if (rc == 0)
		rc = request_sign(p, &ctx, &q, &qlen, err);
	if (rc != 0)
		goto out;
	fd = socket(p->addr.u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, &p->addr.u.sa, p->addr.len) != 0 ||
	    send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen) {
		gslb_err_setc(err, GSLB_EIO, "send: %s", strerror(errno));
		rc = XFR_TRY_TCP;
		goto out;
	}
	buf = xmalloc(65535);
	gslb_err_setc(err, GSLB_EIO, "no answer");
	rc = XFR_TRY_TCP;
	for (;;) {
		uint64_t now = time_mono_ms();
		ssize_t n;

		if (now >= deadline || wait_fd(fd, POLLIN, (int)(deadline - now)) != 0)
			break; /* no answer */
		n = recv(fd, buf, 65535, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			/* ICMP port unreachable and the like */
			gslb_err_setc(err, GSLB_EIO, "%s", strerror(errno));
			break;
		}
		if (n < 12 || buf[0] != q[0] || buf[1] != q[1] || !(buf[2] & 0x80))
			continue; /* not the answer */
		if (buf[2] & 0x02) {
			gslb_err_setc(err, GSLB_EIO, "truncated");
			break;
		}
		rc = response_verify(p, &ctx, buf, (size_t)n, true, err);
		if (rc == 0)
			rc = zone_xfr_feed(x, buf, (size_t)n, err);
		if (rc == ZONE_XFR_MORE)
			gslb_err_setc(err, GSLB_EPARSE, "an incomplete SOA answer");
		if (rc != 0)
			rc = XFR_TRY_TCP;
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(q);
	tsig_ctx_fini(&ctx);
	return rc;
}

static uint16_t new_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (uint16_t)(time_mono_ms() * 2654435761u >> 7);
	return id;
}

/* Remove path.suffix (it may not exist). */
static void remove_sibling(const char *path, const char *suffix)
{
	char *s = xasprintf("%s%s", path, suffix);

	(void)unlink(s);
	free(s);
}

/* Create (or update the time of) path.suffix. */
static void touch_sibling(const char *path, const char *suffix)
{
	char *s = xasprintf("%s%s", path, suffix);
	int fd = open(s, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		(void)futimens(fd, NULL);
		close(fd);
	}
	free(s);
}

/* Refresh from primary p (RFC 1034 4.3.5): its serial, then a transfer
 * when newer (IXFR from what is held, AXFR when that fails). */
static int refresh_from(struct job *j, const struct xprimary *p, struct gslb_err *err)
{
	struct zone_xfr *x = NULL;
	uint32_t serial;
	int rc;

	rc = zone_xfr_new(j->name, ZONE_XFR_SOA, NULL, new_id(), &x, err);
	if (rc == 0)
		rc = exchange_udp(p, x, err);
	if (rc == XFR_TRY_TCP) {
		log_debug("xfr: zone %s: no SOA answer over UDP from %s (%s): asking over TCP",
			  j->name, j->from, err->msg);
		memset(err, 0, sizeof(*err));
		/* A fresh exchange: the UDP answer may have been fed in part. */
		zone_xfr_free(x);
		x = NULL;
		rc = zone_xfr_new(j->name, ZONE_XFR_SOA, NULL, new_id(), &x, err);
		if (rc == 0)
			rc = exchange(p, x, err);
	}
	serial = rc == 0 ? zone_xfr_serial(x) : 0;
	zone_xfr_free(x);
	x = NULL;
	if (rc != 0)
		return rc;
	if (j->have && !zone_serial_newer(serial, j->serial)) {
		j->style = "current";
		j->new_serial = j->serial;
		return 0;
	}
	rc = GSLB_ENOENT;
	if (j->have) {
		rc = zone_xfr_new(j->name, ZONE_XFR_IXFR, j->file, new_id(), &x, err);
		if (rc == 0)
			rc = exchange(p, x, err);
		if (rc != 0) {
			log_info("xfr: zone %s: IXFR from %s failed (%s); trying AXFR", j->name,
				 j->from, err->msg);
			zone_xfr_free(x);
			x = NULL;
		}
	}
	if (rc != 0) {
		rc = zone_xfr_new(j->name, ZONE_XFR_AXFR, NULL, new_id(), &x, err);
		if (rc == 0)
			rc = exchange(p, x, err);
	}
	if (rc == 0 && zone_xfr_has_zone(x)) {
		/* The version served stays at FILE.prev until the new one loads. */
		char *prev = xasprintf("%s.prev", j->file);

		(void)unlink(prev);
		if (link(j->file, prev) != 0 && errno != ENOENT)
			log_debug("xfr: zone %s: no %s: %s", j->name, prev, strerror(errno));
		free(prev);
		rc = zone_xfr_write(x, j->file, err);
		j->changed = rc == 0;
	}
	if (rc == 0) {
		j->style = zone_xfr_style(x);
		j->new_serial = zone_xfr_serial(x);
		j->rr_count = zone_xfr_rr_count(x);
	}
	zone_xfr_free(x);
	return rc;
}

static void *job_thread(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = time_mono_ms();

	j->rc = GSLB_EUNAVAIL;
	snprintf(j->err.msg, sizeof(j->err.msg), "no primary");
	for (size_t i = 0; i < j->prim_count; i++) {
		struct gslb_err e = {""};

		netaddr_format(&j->prims[i].addr.u.sa, j->from, sizeof(j->from));
		j->rc = refresh_from(j, &j->prims[i], &e);
		if (j->rc == 0)
			break;
		snprintf(j->err.msg, sizeof(j->err.msg), "%s: %s", j->from, e.msg);
	}
	if (j->rc == 0) {
		struct gslb_err e = {""};

		/* What is held now, and that it was found current now. */
		if (zone_file_soa(j->file, j->name, &j->new_serial, &j->refresh, &j->retry,
				  &j->expire, &e) != 0)
			log_warn("xfr: zone %s: %s", j->name, e.msg);
		remove_sibling(j->file, ".expired");
		touch_sibling(j->file, ".refreshed");
	}
	j->ms = time_mono_ms() - t0;
	event_active(j->done_ev, EV_TIMEOUT, 1);
	return NULL;
}

/* ---- the main thread ------------------------------------------------------ */

static void job_start(struct szone *z);
static bool same_name(const char *a, const char *b);
static void set_primaries(struct szone *z, const struct config *cfg, const struct config_zone *cz);

static void schedule(struct event *ev, uint32_t seconds)
{
	struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};

	evtimer_add(ev, &tv);
}

static uint32_t at_least(uint32_t v, uint32_t min)
{
	return v < min ? min : v;
}

/* What a reload asked for by the transfer client is about. */
struct read_ctx {
	char *name;   /* the zone */
	char *file;   /* its file */
	bool restore; /* after a transfer: on failure, put FILE.prev back */
};

static struct read_ctx *read_ctx_new(const struct szone *z, bool restore)
{
	struct read_ctx *r = xcalloc(1, sizeof(*r));

	r->name = xstrdup(z->name);
	r->file = xstrdup(z->file);
	r->restore = restore;
	return r;
}

static void on_zone_read(void *arg, int rc, const char *msg, uint64_t generation)
{
	struct read_ctx *r = arg;
	char *prev = xasprintf("%s.prev", r->file);

	if (rc != 0) {
		log_err("xfr: zone %s: not served from its transfer: %s", r->name, msg);
		/* Keep on disk what is served, so that a restart loads it. */
		if (r->restore && rename(prev, r->file) == 0)
			log_warn("xfr: zone %s: the version served before is kept in %s", r->name,
				 r->file);
	} else {
		log_info("xfr: zone %s: served (generation %llu)", r->name,
			 (unsigned long long)generation);
		(void)unlink(prev);
	}
	free(prev);
	free(r->name);
	free(r->file);
	free(r);
}

static void szone_free(struct szone *z)
{
	if (z == NULL)
		return;
	event_free(z->refresh_ev);
	event_free(z->expire_ev);
	free(z->prims);
	free(z->name);
	free(z->file);
	free(z);
}

/* Arm the expire timer from the last successful refresh. */
static void arm_expire(struct szone *z)
{
	int64_t now = (int64_t)time_mono_ms();
	int64_t at = z->last_ok_ms + (int64_t)at_least(z->expire, XFR_MIN_TIMER) * 1000;

	evtimer_del(z->expire_ev);
	if (!z->has_data || z->expired)
		return;
	schedule(z->expire_ev, at > now ? (uint32_t)((at - now + 999) / 1000) : 0);
}

static void on_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct szone *z = j->z;
	struct xfr_in *x = z->owner;

	(void)fd;
	(void)what;
	pthread_join(j->thread, NULL);
	event_free(j->done_ev);
	x->running--;
	z->running = false;
	if (!z->gone && z->pending_cfg) {
		const struct config *cfg = snapshot_current()->config;

		z->pending_cfg = false;
		for (size_t i = 0; i < cfg->zone_count; i++) {
			if (cfg->zones[i].primary_count > 0 &&
			    same_name(cfg->zones[i].name, z->name))
				set_primaries(z, cfg, &cfg->zones[i]);
		}
	}
	if (z->gone) {
		szone_free(z);
	} else if (x->stopping) {
		/* gslbd stops: what was written is read at the next start. */
	} else if (j->rc == 0) {
		z->last_ok_ms = (int64_t)time_mono_ms();
		z->serial = j->new_serial;
		z->refresh = j->refresh;
		z->retry = j->retry;
		z->expire = j->expire;
		if (j->changed || z->expired) {
			log_info("xfr: zone %s: serial %u by %s from %s (%zu records) in %llu ms",
				 z->name, j->new_serial, j->style, j->from, j->rr_count,
				 (unsigned long long)j->ms);
			z->has_data = true;
			z->expired = false;
			if (z->catalog) {
				/* Its members are zones of the config: read it again. */
				log_info("xfr: catalog %s changed: reading the configuration "
					 "again with its members",
					 z->name);
				control_reload_request(x->ctl, CONTROL_RELOAD_CATALOG, on_zone_read,
						       read_ctx_new(z, true));
			} else {
				control_reload_zone(x->ctl, z->name, on_zone_read,
						    read_ctx_new(z, true));
			}
		} else {
			log_debug("xfr: zone %s: serial %u is current at %s", z->name, z->serial,
				  j->from);
		}
		arm_expire(z);
		schedule(z->refresh_ev, at_least(z->refresh, XFR_MIN_TIMER));
	} else {
		uint32_t retry = z->has_data ? at_least(z->retry, XFR_MIN_TIMER) : XFR_RETRY_NODATA;

		log_warn("xfr: zone %s: refresh failed: %s; next try in %u s", z->name, j->err.msg,
			 retry);
		schedule(z->refresh_ev, retry);
		/* An expiry that came while it ran waited for it: now, if due. */
		if (!evtimer_pending(z->expire_ev, NULL))
			arm_expire(z);
	}
	if (!z->gone && !x->stopping && z->again) {
		z->again = false;
		job_start(z);
	}
	free(j->name);
	free(j->file);
	free(j);
}

static void job_start(struct szone *z)
{
	struct job *j;

	if (z->running) {
		z->again = true;
		return;
	}
	evtimer_del(z->refresh_ev);
	j = xcalloc(1, sizeof(*j));
	j->z = z;
	j->name = xstrdup(z->name);
	j->file = xstrdup(z->file);
	j->prims = z->prims;
	j->prim_count = z->prim_count;
	j->have = z->has_data && !z->expired;
	j->serial = z->serial;
	j->done_ev = event_new(z->owner->base, -1, 0, on_job_done, j);
	z->running = true;
	z->owner->running++;
	if (pthread_create(&j->thread, NULL, job_thread, j) != 0) {
		log_err("xfr: zone %s: no thread for the transfer", z->name);
		z->running = false;
		z->owner->running--;
		event_free(j->done_ev);
		free(j->name);
		free(j->file);
		free(j);
		schedule(z->refresh_ev, XFR_RETRY_NODATA);
	}
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_start(arg);
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct szone *z = arg;

	(void)fd;
	(void)what;
	/* While a refresh runs, its end decides (it arms this again if it fails). */
	if (z->running || !z->has_data || z->expired)
		return;
	log_warn("xfr: zone %s: expired (no refresh for %u s): answering SERVFAIL", z->name,
		 z->expire);
	z->expired = true;
	touch_sibling(z->file, ".expired");
	control_reload_zone(z->owner->ctl, z->name, on_zone_read, read_ctx_new(z, false));
}

/* Names equal as domain names (case and final dot aside). */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static struct szone *find(struct xfr_in *x, const char *name)
{
	for (struct szone *z = x->zones; z != NULL; z = z->next) {
		if (same_name(z->name, name))
			return z;
	}
	return NULL;
}

/*
 * The monotonic time of a refresh recorded by a file's mtime, from the
 * file's age on the wall clock. This is the one place the wall clock is
 * read: a mtime in the future (the clock stepped back) counts as now, and
 * the expire timer runs on the monotonic clock from then on.
 */
static int64_t held_since(time_t mtime)
{
	time_t wall = time(NULL);
	int64_t age = wall > mtime ? (int64_t)(wall - mtime) * 1000 : 0;

	return (int64_t)time_mono_ms() - age; /* before boot when older than that */
}

/* What the file holds: serial, timers, when last found current. */
static void read_held(struct szone *z)
{
	struct gslb_err err = {""};
	struct stat st;
	char *s;

	z->has_data = zone_file_soa(z->file, z->name, &z->serial, &z->refresh, &z->retry,
				    &z->expire, &err) == 0;
	if (!z->has_data) {
		if (access(z->file, F_OK) == 0)
			log_warn("xfr: zone %s: %s", z->name, err.msg);
		return;
	}
	s = xasprintf("%s.expired", z->file);
	z->expired = access(s, F_OK) == 0;
	free(s);
	s = xasprintf("%s.refreshed", z->file);
	if (stat(s, &st) == 0 || stat(z->file, &st) == 0)
		z->last_ok_ms = held_since(st.st_mtime);
	free(s);
	log_info("xfr: zone %s: serial %u held in %s%s", z->name, z->serial, z->file,
		 z->expired ? " (expired)" : "");
}

/* The primaries of cz from cfg; not while a transfer borrows them. */
static void set_primaries(struct szone *z, const struct config *cfg, const struct config_zone *cz)
{
	free(z->prims);
	z->prims = xcalloc(cz->primary_count, sizeof(*z->prims));
	z->prim_count = cz->primary_count;
	for (size_t i = 0; i < cz->primary_count; i++) {
		int k = cz->primaries[i].key;

		z->prims[i].addr = cz->primaries[i].addr;
		z->prims[i].has_key = k >= 0 && (size_t)k < cfg->tsig_key_count;
		if (z->prims[i].has_key)
			z->prims[i].key = cfg->tsig_keys[k];
	}
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct xfr_in *x = arg;
	char names[XFR_NOTIFY_QUEUE][256];
	size_t n;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&x->lock);
	n = x->queued;
	memcpy(names, x->queue, n * sizeof(names[0]));
	x->queued = 0;
	pthread_mutex_unlock(&x->lock);
	for (size_t i = 0; i < n; i++) {
		struct szone *z = find(x, names[i]);

		if (z == NULL)
			continue;
		log_info("xfr: zone %s: NOTIFY: refreshing", z->name);
		job_start(z);
	}
}

/* A DNS thread: queue the name, wake the main loop. */
static void notify_hook(void *arg, const char *zone)
{
	struct xfr_in *x = arg;
	bool wake = false;

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->queued; i++) {
		if (strcmp(x->queue[i], zone) == 0)
			goto out;
	}
	if (x->queued < XFR_NOTIFY_QUEUE) {
		snprintf(x->queue[x->queued++], sizeof(x->queue[0]), "%s", zone);
		wake = true;
	}
out:
	pthread_mutex_unlock(&x->lock);
	if (wake)
		event_active(x->notify_ev, EV_READ, 1);
}

void xfr_in_reconfigure(struct xfr_in *x, const struct config *cfg)
{
	struct szone **pp;

	/* Zones gone from the config stop. */
	for (struct szone *z = x->zones; z != NULL; z = z->next)
		z->gone = true;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		struct szone *z;

		if (cz->primary_count == 0)
			continue;
		z = find(x, cz->name);
		if (z != NULL && !z->gone)
			continue; /* listed twice by name: the config refuses that */
		if (z == NULL) {
			z = xcalloc(1, sizeof(*z));
			z->owner = x;
			z->name = xstrdup(cz->name);
			z->refresh_ev = event_new(x->base, -1, 0, on_refresh, z);
			z->expire_ev = event_new(x->base, -1, 0, on_expire, z);
			z->next = x->zones;
			x->zones = z;
		}
		z->gone = false;
		z->catalog = cz->catalog;
		z->member = cz->member_of >= 0;
		if (z->running) {
			/* Its thread reads the primaries: they change after it. */
			z->pending_cfg = true;
		} else {
			set_primaries(z, cfg, cz);
		}
		if (z->file == NULL || strcmp(z->file, cz->file) != 0) {
			free(z->file);
			z->file = xstrdup(cz->file);
			read_held(z);
			arm_expire(z);
			/* At start (or a new file): ask the primaries at once. */
			schedule(z->refresh_ev, 0);
		}
	}
	for (pp = &x->zones; *pp != NULL;) {
		struct szone *z = *pp;

		if (!z->gone) {
			pp = &z->next;
			continue;
		}
		*pp = z->next;
		log_info("xfr: zone %s: no longer a secondary zone%s", z->name,
			 z->member ? " (removed from its catalog): its files removed" : "");
		if (z->member) {
			(void)unlink(z->file);
			remove_sibling(z->file, ".expired");
			remove_sibling(z->file, ".refreshed");
			remove_sibling(z->file, ".prev");
		}
		evtimer_del(z->refresh_ev);
		evtimer_del(z->expire_ev);
		if (!z->running)
			szone_free(z);
	}
}

struct xfr_in *xfr_in_new(struct event_base *base, struct control *ctl, const struct config *cfg)
{
	struct xfr_in *x = xcalloc(1, sizeof(*x));
	bool any = false;

	x->base = base;
	x->ctl = ctl;
	pthread_mutex_init(&x->lock, NULL);
	x->notify_ev = event_new(base, -1, 0, on_notify, x);
	for (size_t i = 0; i < cfg->zone_count; i++)
		any |= cfg->zones[i].primary_count > 0;
	if (any && mkdir(cfg->storage, 0755) != 0 && errno != EEXIST)
		log_warn("xfr: cannot make server.storage %s: %s", cfg->storage, strerror(errno));
	notify_in_set_hook(notify_hook, x);
	xfr_in_reconfigure(x, cfg);
	return x;
}

void xfr_in_free(struct xfr_in *x)
{
	if (x == NULL)
		return;
	notify_in_set_hook(NULL, NULL);
	x->stopping = true;
	/* Let the transfers under way end (each within its timeouts). */
	while (x->running > 0)
		event_base_loop(x->base, EVLOOP_ONCE);
	while (x->zones != NULL) {
		struct szone *z = x->zones;

		x->zones = z->next;
		szone_free(z);
	}
	event_free(x->notify_ev);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

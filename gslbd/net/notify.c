#include <config.h>

#include "gslbd/net/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "common/tsig.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/query_metrics.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/dns/wire.h"
#include "zones/dname.h"
#include "zones/zone.h"

#define NOTIFY_TRIES 5          /* messages sent before giving up (RFC 1996 3.6) */
#define NOTIFY_FIRST_WAIT_MS 1000 /* wait for an answer, doubling per retry */
#define NOTIFY_MSG_MAX 1024

/* One NOTIFY to one secondary, until it is answered or given up. */
struct job {
	struct notifier *n;
	struct job *next;
	struct netaddr to;             /* the secondary */
	char zone[DNAME_STRLEN];       /* the zone, for logs */
	uint8_t origin[DNAME_MAXLEN];  /* its canonical name */
	size_t origin_len;
	uint32_t serial;               /* the serial announced */
	bool has_key;                  /* sign with key */
	struct tsig_key key;           /* a copy (the config may go with a reload) */
	struct tsig_ctx tsig;          /* the exchange of the last message sent */
	uint8_t msg[NOTIFY_MSG_MAX];   /* the message, unsigned */
	size_t msg_len;
	uint16_t id;                   /* its ID (new per try) */
	unsigned tries;                /* sent so far */
	int fd;                        /* connected UDP socket */
	struct event *ev;              /* readable, or the retry timer */
};

struct notifier {
	struct event_base *base;
	struct metrics_shard *metrics; /* this thread's counters */
	struct job *jobs;              /* pending */
};

struct notifier *notifier_new(struct event_base *base)
{
	struct notifier *n = xcalloc(1, sizeof(*n));

	n->base = base;
	n->metrics = metrics_shard_new();
	return n;
}

static void job_free(struct job *j)
{
	if (j->ev != NULL)
		event_free(j->ev);
	if (j->fd >= 0)
		close(j->fd);
	tsig_ctx_fini(&j->tsig);
	memset(&j->key, 0, sizeof(j->key));
	free(j);
}

static void job_remove(struct job *j)
{
	struct job **p = &j->n->jobs;

	while (*p != NULL && *p != j)
		p = &(*p)->next;
	if (*p == j)
		*p = j->next;
	job_free(j);
}

void notifier_free(struct notifier *n)
{
	if (n == NULL)
		return;
	while (n->jobs != NULL) {
		struct job *j = n->jobs;

		n->jobs = j->next;
		job_free(j);
	}
	free(n);
}

static void job_send(struct job *j);

/* The secondary answered, or the wait is over. */
static void job_event(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	char peer[NETADDR_STRLEN];
	uint8_t buf[NOTIFY_MSG_MAX * 4];
	ssize_t len;

	netaddr_format(&j->to.u.sa, peer, sizeof(peer));
	if (what & EV_TIMEOUT) {
		if (j->tries < NOTIFY_TRIES) {
			job_send(j);
			return;
		}
		log_warn("notify: no answer: zone=%s serial=%u secondary=%s tries=%u", j->zone,
			 j->serial, peer, j->tries);
		metrics_count_event(j->n->metrics, METRICS_NOTIFY_FAILED);
		job_remove(j);
		return;
	}
	while ((len = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		unsigned rcode;

		if (len < WIRE_HEADER_LEN || wire_get16(buf) != j->id ||
		    (wire_get16(buf + 2) & WIRE_QR) == 0 || WIRE_OPCODE(wire_get16(buf + 2)) != 4)
			continue; /* not the answer to this message */
		if (j->has_key) {
			enum tsig_result r = tsig_verify_next(&j->tsig, buf, (size_t)len,
							      (uint64_t)time(NULL));

			if (r != TSIG_OK) {
				log_ratelimited(LOG_LEVEL_WARN,
						"notify: answer not accepted: zone=%s secondary=%s "
						"tsig=%s%s%u",
						j->zone, peer, tsig_result_name(r),
						r == TSIG_ERROR ? " error=" : "",
						r == TSIG_ERROR ? j->tsig.peer_error : 0);
				if (r == TSIG_ERROR || r == TSIG_UNSIGNED) {
					/* The secondary refused our key: retrying
					 * will not help. */
					metrics_count_event(j->n->metrics, METRICS_NOTIFY_FAILED);
					job_remove(j);
					return;
				}
				continue;
			}
		}
		rcode = wire_get16(buf + 2) & 0x0f;
		if (rcode != WIRE_RCODE_NOERROR) {
			log_warn("notify: refused: zone=%s serial=%u secondary=%s rcode=%u", j->zone,
				 j->serial, peer, rcode);
			metrics_count_event(j->n->metrics, METRICS_NOTIFY_FAILED);
		} else {
			log_info("notify: acknowledged: zone=%s serial=%u secondary=%s tries=%u",
				 j->zone, j->serial, peer, j->tries);
			metrics_count_event(j->n->metrics, METRICS_NOTIFY_ACKED);
		}
		job_remove(j);
		return;
	}
}

/* Send (again) with a new ID, and wait for the answer. */
static void job_send(struct job *j)
{
	uint8_t out[NOTIFY_MSG_MAX + TSIG_RR_MAX];
	size_t len = j->msg_len;
	struct timeval tv;
	unsigned wait_ms = NOTIFY_FIRST_WAIT_MS << j->tries;

	if (RAND_bytes((unsigned char *)&j->id, sizeof(j->id)) != 1)
		j->id = (uint16_t)(random() & 0xffff);
	memcpy(out, j->msg, len);
	wire_set16(out, j->id);
	if (j->has_key) {
		tsig_ctx_fini(&j->tsig);
		tsig_ctx_init(&j->tsig, &j->key);
		(void)tsig_sign(&j->tsig, out, &len, sizeof(out), (uint64_t)time(NULL));
	}
	j->tries++;
	if (send(j->fd, out, len, 0) < 0) {
		char peer[NETADDR_STRLEN];

		netaddr_format(&j->to.u.sa, peer, sizeof(peer));
		log_ratelimited(LOG_LEVEL_WARN, "notify: send to %s: %s", peer, strerror(errno));
	} else {
		metrics_count_event(j->n->metrics, METRICS_NOTIFY_SENT);
	}
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	event_add(j->ev, &tv);
}

/* Build the NOTIFY of zone z: header (opcode NOTIFY, AA), the question
 * <origin> SOA IN, and the SOA in the answer section (RFC 1996 3.7). */
static size_t build(const struct zone *z, uint8_t *buf, size_t cap)
{
	struct wire_writer w;
	const struct zone_rrset *soa = zone_soa(z);
	const uint8_t *rd;
	uint32_t pos = 0;
	uint16_t rdlen;

	wire_writer_init(&w, buf, cap, 0, (uint16_t)(4 << 11 | WIRE_AA));
	wire_put_question(&w, zone_origin(z), dname_len(zone_origin(z)), WIRE_TYPE_SOA,
			  WIRE_CLASS_IN);
	rd = zone_rrset_next(soa, &pos, &rdlen);
	(void)wire_put_rr(&w, WIRE_ANSWER, zone_origin(z), WIRE_TYPE_SOA, WIRE_CLASS_IN, soa->ttl,
			  rd, rdlen);
	wire_writer_finish(&w, (uint16_t)(4 << 11 | WIRE_AA));
	return w.len;
}

static bool same_addr(const struct netaddr *a, const struct netaddr *b)
{
	return a->len == b->len && memcmp(&a->u, &b->u, a->len) == 0;
}

static void notify_one(struct notifier *n, const struct config *cfg, const char *name,
		       const struct zone *z, const struct config_notify *to)
{
	struct job *j, **p;
	int fd;

	/* A NOTIFY of the zone still pending to this secondary is outdated. */
	for (p = &n->jobs; *p != NULL;) {
		j = *p;
		if (j->origin_len == dname_len(zone_origin(z)) &&
		    memcmp(j->origin, zone_origin(z), j->origin_len) == 0 &&
		    same_addr(&j->to, &to->addr)) {
			*p = j->next;
			job_free(j);
			continue;
		}
		p = &j->next;
	}
	fd = socket(to->addr.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, &to->addr.u.sa, to->addr.len) != 0) {
		char peer[NETADDR_STRLEN];

		netaddr_format(&to->addr.u.sa, peer, sizeof(peer));
		log_warn("notify: cannot reach %s: %s", peer, strerror(errno));
		metrics_count_event(n->metrics, METRICS_NOTIFY_FAILED);
		if (fd >= 0)
			close(fd);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->n = n;
	j->fd = fd;
	j->to = to->addr;
	snprintf(j->zone, sizeof(j->zone), "%s", name);
	j->origin_len = dname_len(zone_origin(z));
	memcpy(j->origin, zone_origin(z), j->origin_len);
	j->serial = zone_serial(z);
	j->has_key = to->key >= 0;
	if (j->has_key)
		j->key = cfg->tsig_keys[to->key];
	j->msg_len = build(z, j->msg, sizeof(j->msg));
	j->ev = event_new(n->base, fd, EV_READ | EV_PERSIST, job_event, j);
	if (j->ev == NULL)
		log_fatal("notify: cannot make an event");
	j->next = n->jobs;
	n->jobs = j;
	job_send(j);
}

void notifier_changed(struct notifier *n, const struct snapshot *old, const struct snapshot *cur)
{
	const struct config *cfg = cur->config;

	for (size_t i = 0; i < cfg->zone_count && i < zone_set_count(cur->zones); i++) {
		const struct zone *z = zone_set_zone(cur->zones, i);
		const struct zone *before = NULL;

		/* Nothing to announce for a zone without data (a secondary zone
		 * not transferred yet, or expired). */
		if (cfg->zones[i].notify_count == 0 || zone_soa(z) == NULL)
			continue;
		if (old != NULL)
			before = zone_set_find(old->zones, zone_origin(z), dname_len(zone_origin(z)));
		if (before != NULL && (dname_len(zone_origin(before)) != dname_len(zone_origin(z)) ||
				       memcmp(zone_origin(before), zone_origin(z),
					      dname_len(zone_origin(z))) != 0))
			before = NULL; /* a parent zone, not this one */
		if (before != NULL && zone_serial(before) == zone_serial(z))
			continue;
		log_info("notify: zone=%s serial=%u: telling %zu secondaries", cfg->zones[i].name,
			 zone_serial(z), cfg->zones[i].notify_count);
		for (size_t k = 0; k < cfg->zones[i].notify_count; k++)
			notify_one(n, cfg, cfg->zones[i].name, z, &cfg->zones[i].notify[k]);
	}
}

#include <config.h>

#include "gslbd/dns/dnstap_ring.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/dns/lb.h"
#include "gslbd/dns/query.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

struct dnstap_ring {
	alignas(64) _Atomic uint64_t head; /* next slot the producer fills */
	_Atomic uint64_t dropped_full;     /* producer: dropped, the ring was full */
	_Atomic uint64_t dropped_filtered; /* producer: left out by sampling or a filter */
	alignas(64) _Atomic uint64_t tail; /* next slot the consumer takes */
	alignas(64) unsigned mask;         /* slots - 1 */
	unsigned wake_mark;                /* fill at which a sleeping consumer is woken */
	int wake_fd;                       /* eventfd that wakes it, or -1 */
	_Atomic bool *asleep;              /* the consumer sleeps (NULL: never woken) */
	struct dnstap_slot *slots;         /* the slots (untouched pages stay unmapped) */
	struct dnstap_ring *next;          /* the list of live rings */
};

/* Live rings and the writer's counters. */
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dnstap_ring *rings;
static _Atomic uint64_t freed_full, freed_filtered; /* counts of rings freed */
static _Atomic uint64_t stat_written, stat_write_errors;
static _Atomic bool stat_connected;

struct dnstap_ring *dnstap_ring_new(unsigned slots)
{
	struct dnstap_ring *r;

	if (slots < 2 || (slots & (slots - 1)) != 0)
		abort(); /* our own bug: callers pass a power of two */
	r = xcalloc(1, sizeof(*r));
	r->mask = slots - 1;
	r->wake_fd = -1;
	r->slots = xcalloc(slots, sizeof(*r->slots));
	pthread_mutex_lock(&rings_lock);
	r->next = rings;
	rings = r;
	pthread_mutex_unlock(&rings_lock);
	return r;
}

void dnstap_ring_free(struct dnstap_ring *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&rings_lock);
	for (struct dnstap_ring **p = &rings; *p != NULL; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	atomic_fetch_add(&freed_full, atomic_load(&r->dropped_full));
	atomic_fetch_add(&freed_filtered, atomic_load(&r->dropped_filtered));
	pthread_mutex_unlock(&rings_lock);
	free(r->slots);
	free(r);
}

void dnstap_ring_set_wake(struct dnstap_ring *r, int fd, _Atomic bool *asleep, unsigned mark)
{
	r->wake_fd = fd;
	r->asleep = asleep;
	r->wake_mark = mark;
}

unsigned dnstap_ring_fill(struct dnstap_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	return (unsigned)(atomic_load_explicit(&r->head, memory_order_acquire) - tail);
}

/* Is the exchange ev one the config writes (filters only, not sampling)? */
static bool wanted(const struct config *cfg, const struct query_event *ev)
{
	if (cfg->dnstap_only_lb && ev->res.lb == NULL)
		return false;
	if (cfg->dnstap_rcodes != 0 && (ev->res.rcode < 0 || ev->res.rcode >= 32 ||
					!(cfg->dnstap_rcodes & (1u << ev->res.rcode))))
		return false;
	if (cfg->dnstap_zone_on != NULL) {
		size_t z;

		if (ev->res.zone == NULL)
			return false;
		z = zone_index(ev->res.zone);
		if (z >= cfg->zone_count || !cfg->dnstap_zone_on[z])
			return false;
	}
	return true;
}

static void addr_copy(union dnstap_addr *dst, const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET)
		memcpy(&dst->sin, sa, sizeof(dst->sin));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		memcpy(&dst->sin6, sa, sizeof(dst->sin6));
	else
		dst->sa.sa_family = AF_UNSPEC;
}

/* Copy name (NUL-terminated, cap bytes at most with the NUL) to dst:
 * returns its length, or -1 (dst untouched) when it does not fit. */
static int name_copy(char *dst, size_t cap, const char *name)
{
	size_t n = strnlen(name, cap);

	if (n == cap)
		return -1;
	memcpy(dst, name, n + 1);
	return (int)n;
}

/* The decision's names, copied while the snapshot is held, with their
 * lengths (the writer measures nothing again). */
static void decision_copy(struct dnstap_slot *s, const struct snapshot *snap,
			  const struct lb_decision *d)
{
	const struct config *cfg = snap->config;
	const char *reason;
	size_t len = 0;
	int n;

	s->flags |= DNSTAP_F_LB | (d->failed_open ? DNSTAP_F_FAILED_OPEN : 0) |
		    (d->empty ? DNSTAP_F_EMPTY : 0) | (d->is_private ? DNSTAP_F_PRIVATE : 0);
	s->pool_len = 0;
	s->pool[0] = '\0';
	if (d->pool < cfg->pool_count) {
		n = name_copy(s->pool, sizeof(s->pool), cfg->pools[d->pool].name);
		s->pool_len = n > 0 ? (uint8_t)n : 0;
		if (d->asked_pool != d->pool && d->asked_pool < cfg->pool_count) {
			n = name_copy(s->asked, sizeof(s->asked), cfg->pools[d->asked_pool].name);
			s->asked_len = n > 0 ? (uint8_t)n : 0;
			if (n < 0)
				s->asked[0] = '\0';
			s->flags |= DNSTAP_F_FALLBACK;
		}
		reason = d->reason == LB_REASON_POLICY ? lb_policy_name(cfg->pools[d->pool].policy)
						       : lb_reason_name(d->reason);
	} else {
		reason = lb_reason_name(d->reason);
	}
	s->reason = reason;
	s->reason_len = (uint8_t)strlen(reason);
	for (unsigned i = 0; i < d->chosen_count && !d->empty; i++) {
		if (d->chosen[i] >= cfg->datacenter_count)
			continue;
		/* A name and its comma, or the first name: cut at a whole name. */
		if (len > 0)
			s->dcs[len++] = ',';
		n = name_copy(s->dcs + len, sizeof(s->dcs) - len,
			      cfg->datacenters[d->chosen[i]].name);
		if (n < 0) {
			len -= len > 0;
			break;
		}
		len += (size_t)n;
	}
	s->dcs[len] = '\0';
	s->dcs_len = (uint16_t)len;
	if (d->loc.found) {
		memcpy(s->country, d->loc.country, sizeof(s->country));
		memcpy(s->continent, d->loc.continent, sizeof(s->continent));
	} else {
		s->country[0] = '\0';
		s->continent[0] = '\0';
		/* A compiled map ranked without a location: the writer may look
		 * the client up in the snapshot's database, off this path. */
		s->geo = snap->geo;
		if (snap->geo != NULL && !d->is_private)
			s->flags |= DNSTAP_F_LOCATE;
	}
}

unsigned dnstap_ring_wants(void *arg, const struct snapshot *snap)
{
	const struct config *cfg = snap->config;

	(void)arg;
	if (!config_dnstap_enabled(cfg) || (!cfg->dnstap_log_queries && !cfg->dnstap_log_responses))
		return 0;
	return cfg->dnstap_sample > 1 ? cfg->dnstap_sample : 1;
}

void dnstap_ring_observe(void *arg, const struct query_event *ev)
{
	struct dnstap_ring *r = arg;
	const struct config *cfg = ev->snap->config;
	bool log_q = cfg->dnstap_log_queries, log_r = cfg->dnstap_log_responses;
	struct dnstap_slot *s;
	uint64_t head, tail;
	size_t room;

	/* Those sampling left out (dnstap_ring_wants()) count as filtered. */
	if (ev->skipped > 0)
		atomic_store_explicit(
		    &r->dropped_filtered,
		    atomic_load_explicit(&r->dropped_filtered, memory_order_relaxed) + ev->skipped,
		    memory_order_relaxed);
	if (!config_dnstap_enabled(cfg) || (!log_q && !log_r) || ev->query == NULL ||
	    ev->fate == QUERY_NOT_ANSWERED)
		return;
	if (!wanted(cfg, ev)) {
		atomic_store_explicit(
		    &r->dropped_filtered,
		    atomic_load_explicit(&r->dropped_filtered, memory_order_relaxed) + 1,
		    memory_order_relaxed);
		return;
	}
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask) {
		atomic_store_explicit(&r->dropped_full,
				      atomic_load_explicit(&r->dropped_full, memory_order_relaxed) +
					  1,
				      memory_order_relaxed);
		return;
	}
	s = &r->slots[head & r->mask];
	s->flags = (log_q ? DNSTAP_F_QUERY : 0) |
		   (log_r && ev->response != NULL ? DNSTAP_F_RESPONSE : 0) |
		   (ev->transport == QUERY_TCP ? DNSTAP_F_TCP : 0);
	s->rcode = ev->response != NULL ? ev->res.rcode : -1;
	s->qtype = ev->res.qtype;
	s->ecs_family = ev->ecs_family;
	if (ev->ecs_family != 0) {
		s->ecs_source = ev->ecs_source;
		s->ecs_scope = ev->ecs_scope;
		memcpy(s->ecs_addr, ev->ecs_addr, sizeof(s->ecs_addr));
	}
	addr_copy(&s->peer, ev->peer);
	addr_copy(&s->local, ev->local);
	if (s->local.sa.sa_family != AF_UNSPEC)
		s->flags |= DNSTAP_F_LOCAL;
	s->received = ev->received;
	if (s->flags & DNSTAP_F_RESPONSE)
		clock_gettime(CLOCK_REALTIME, &s->responded);
	s->generation = ev->snap->generation;
	if (ev->res.lb != NULL)
		decision_copy(s, ev->snap, ev->res.lb);
	s->query_len = 0;
	s->response_len = 0;
	/* The query is kept when it is written, and when the response is
	 * written without a question: the writer names it from the query. */
	if (log_q || !(s->flags & DNSTAP_F_RESPONSE) || ev->response_len < 12 ||
	    (ev->response[4] | ev->response[5]) == 0) {
		if (ev->query_len <= DNSTAP_SLOT_DATA) {
			memcpy(s->data, ev->query, ev->query_len);
			s->query_len = (uint16_t)ev->query_len;
		} else {
			s->flags |= DNSTAP_F_QUERY_CUT;
		}
	}
	room = DNSTAP_SLOT_DATA - s->query_len;
	if (s->flags & DNSTAP_F_RESPONSE) {
		if (ev->response_len <= room) {
			memcpy(s->data + s->query_len, ev->response, ev->response_len);
			s->response_len = (uint16_t)ev->response_len;
		} else {
			s->flags |= DNSTAP_F_RESPONSE_CUT;
		}
	}
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	/* Wake a sleeping writer when the ring fills up (rare: it paces its
	 * sleeps to find the ring far below the mark). */
	if (head + 1 - tail >= r->wake_mark && r->asleep != NULL &&
	    atomic_load_explicit(r->asleep, memory_order_relaxed) &&
	    atomic_exchange_explicit(r->asleep, false, memory_order_relaxed)) {
		uint64_t one = 1;

		if (write(r->wake_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is full, the writer is awake anyway. */
		}
	}
}

const struct dnstap_slot *dnstap_ring_peek(struct dnstap_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return tail == head ? NULL : &r->slots[tail & r->mask];
}

void dnstap_ring_pop(struct dnstap_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

void dnstap_stats_get(struct dnstap_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&rings_lock);
	out->dropped_full = atomic_load(&freed_full);
	out->dropped_filtered = atomic_load(&freed_filtered);
	for (const struct dnstap_ring *r = rings; r != NULL; r = r->next) {
		out->dropped_full += atomic_load_explicit(&r->dropped_full, memory_order_relaxed);
		out->dropped_filtered +=
		    atomic_load_explicit(&r->dropped_filtered, memory_order_relaxed);
	}
	pthread_mutex_unlock(&rings_lock);
	out->written = atomic_load_explicit(&stat_written, memory_order_relaxed);
	out->write_errors = atomic_load_explicit(&stat_write_errors, memory_order_relaxed);
	out->connected = atomic_load_explicit(&stat_connected, memory_order_relaxed);
}

void dnstap_stats_count_written(uint64_t n)
{
	atomic_fetch_add_explicit(&stat_written, n, memory_order_relaxed);
}

void dnstap_stats_count_write_error(void)
{
	atomic_fetch_add_explicit(&stat_write_errors, 1, memory_order_relaxed);
}

void dnstap_stats_set_connected(bool connected)
{
	atomic_store_explicit(&stat_connected, connected, memory_order_relaxed);
}

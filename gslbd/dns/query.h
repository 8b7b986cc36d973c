/* The query pipeline: one DNS message from any transport, through the
 * listener's access list, the answer path, cookies and exemptions, response
 * rate limiting and slip, to the bytes to send, and one event record that
 * says what happened. Transports (UDP workers, the TCP thread, an XDP
 * driver) are thin drivers over it: they move bytes; every decision about a
 * message is taken here. The event record feeds the per-thread metrics and
 * any observer (dnstap).
 *
 * A struct query_ctx belongs to one DNS thread; nothing in it is shared.
 * Nothing here allocates or blocks per message. */
#ifndef GSLBD_DNS_QUERY_H
#define GSLBD_DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "gslbd/dns/answer.h"

struct snapshot;

/* The transport a message came over. */
enum query_transport {
	QUERY_UDP,
	QUERY_TCP,
	QUERY_XDP, /* UDP, read from an AF_XDP socket */
};

/* What became of a message. */
enum query_fate {
	QUERY_SENT,         /* the response at event.response was sent */
	QUERY_SLIPPED,      /* over the rate limit: a truncated response was sent */
	QUERY_RRL_DROPPED,  /* over the rate limit: nothing was sent */
	QUERY_ACL_DROPPED,  /* the listener's or the zone's access list dropped it */
	QUERY_NOT_ANSWERED, /* nothing to answer (a response, no full header, truncated datagram) */
	QUERY_XFR,          /* a zone transfer begins (TCP) */
};

/* One finished message. Every pointer is borrowed, valid only during the
 * observer call (the bytes live in the driver's buffers, the decision in the
 * thread's scratch). */
struct query_event {
	enum query_transport transport;
	enum query_fate fate;
	const struct sockaddr *peer;    /* the client (the resolver) */
	const struct sockaddr *local;   /* the address the query reached, or NULL when unknown */
	const uint8_t *query;           /* the message as received */
	size_t query_len;
	const uint8_t *response;        /* the bytes sent (the slip when slipped), or NULL */
	size_t response_len;
	struct timespec received;       /* wall clock when the message (its batch) was read */
	struct answer_result res;       /* what the answer path said; res.lb: the load-balancing
	                                 * decision, or NULL for static data */
	const struct snapshot *snap;    /* the snapshot that answered (its config names the
	                                 * pools and datacenters of res.lb) */
	/* EDNS Client Subnet of the query (RFC 7871), when it had a valid one. */
	uint8_t ecs_family;             /* 0: none; 1: IPv4; 2: IPv6 */
	uint8_t ecs_source;             /* SOURCE PREFIX-LENGTH as sent */
	uint8_t ecs_scope;              /* SCOPE PREFIX-LENGTH answered */
	uint8_t ecs_addr[16];           /* ADDRESS as sent, zero-padded */
};

/* Something that sees every finished message of a thread (dnstap). Runs on
 * the DNS thread: must not block or allocate. */
typedef void query_observer_fn(void *arg, const struct query_event *ev);

#endif

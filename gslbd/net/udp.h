/* UDP workers: each thread owns one SO_REUSEPORT socket (so a server has
 * workers x listen addresses of them), blocks in recvmmsg() for a batch of
 * queries, runs the batch through the query pipeline (gslbd/dns/query.h:
 * the listener's access list, the answer, cookies and exemptions, response
 * rate limiting with a table per worker - the sockets are steered so that a
 * client network always reaches the same worker, see server.c - and slip)
 * and sends the responses with sendmmsg(): two system calls per batch, no
 * event loop, no lock and no allocation per query. Create, start and stop
 * from the main thread; stopping interrupts the blocked call with SIGUSR2. */
#ifndef GSLBD_NET_UDP_H
#define GSLBD_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct query_ctx;
struct snapshot_reader;
struct udp_worker;

/* One socket a worker serves. */
struct udp_socket {
	int fd;            /* bound UDP socket (the worker makes it blocking and closes it) */
	bool use_pktinfo;  /* bound to a wildcard address: reply from the query's destination */
	unsigned listener; /* index of its address in the config's listen list (its acl) */
};

/* New worker serving sock (takes ownership of its fd), with its own query
 * pipeline context (and so its own metrics shard). Main thread. */
struct udp_worker *udp_worker_new(unsigned id, const struct udp_socket *sock,
				  struct snapshot_reader *reader);
/* Its query pipeline context (borrowed until udp_worker_free()): set an
 * observer on it before udp_worker_start(). */
struct query_ctx *udp_worker_query(struct udp_worker *w);
/* Start its thread. Returns 0 or a negative errno with err set. */
int udp_worker_start(struct udp_worker *w, struct gslb_err *err);
/* Ask the thread to stop and join it. */
void udp_worker_stop(struct udp_worker *w);
void udp_worker_free(struct udp_worker *w);

#endif

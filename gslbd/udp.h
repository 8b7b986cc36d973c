/* UDP workers: each thread owns an event loop and one SO_REUSEPORT socket per
 * listen address, reads queries in batches with recvmmsg(), answers them with
 * answer_query() from the current snapshot and sends the responses with
 * sendmmsg(). No lock and no allocation per query. Create, start and stop
 * from the main thread. */
#ifndef GSLBD_GSLBD_UDP_H
#define GSLBD_GSLBD_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct snapshot_reader;
struct metrics_shard;
struct udp_worker;

/* One socket a worker serves. */
struct udp_socket {
	int fd;            /* bound, non-blocking UDP socket (the worker closes it) */
	bool use_pktinfo;  /* bound to a wildcard address: reply from the query's destination */
};

/* Per-worker counters, read by other threads (relaxed). */
struct udp_stats {
	_Atomic uint64_t received; /* datagrams read */
	_Atomic uint64_t answered; /* responses sent */
	_Atomic uint64_t dropped;  /* datagrams not answered (malformed, QR=1, ...) */
	_Atomic uint64_t send_errors; /* responses the kernel refused */
};

/* New worker serving count sockets (takes ownership of the fds), counting
 * into metrics (borrowed). */
struct udp_worker *udp_worker_new(unsigned id, const struct udp_socket *socks, size_t count,
				  struct snapshot_reader *reader, struct metrics_shard *metrics);
/* Start its thread. Returns 0 or a negative errno with err set. */
int udp_worker_start(struct udp_worker *w, struct gslb_err *err);
/* Ask the thread to stop and join it. */
void udp_worker_stop(struct udp_worker *w);
const struct udp_stats *udp_worker_stats(const struct udp_worker *w);
void udp_worker_free(struct udp_worker *w);

#endif

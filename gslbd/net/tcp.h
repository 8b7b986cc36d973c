/* DNS over TCP (RFC 7766) on its own thread and event loop: 2-byte framing,
 * pipelined queries answered in order, an idle timeout that also closes
 * connections stalled half-way through a message or that stop reading,
 * output back-pressure per connection, a connection limit, a cap per client
 * network, a shorter idle timeout while the pool is busy (more than 3/4 of
 * the limit open) and the least recently active connection closed to admit
 * a new one when it is full, and zone transfers streamed in bounded chunks.
 * Each message goes through the query pipeline (gslbd/dns/query.h; no rate
 * limiting over TCP); the listener's access list is applied at accept.
 * Create, start and stop from the main thread. */
#ifndef GSLBD_NET_TCP_H
#define GSLBD_NET_TCP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct query_ctx;
struct snapshot_reader;
struct tcp_server;

/* New server on count listening sockets (bound and listening; takes
 * ownership of the fds), with its own query pipeline context (and so its
 * own metrics shard). Limits come from the current snapshot's config. */
struct tcp_server *tcp_server_new(const int *fds, size_t count, struct snapshot_reader *reader);
/* Its query pipeline context (borrowed until tcp_server_free()): set an
 * observer on it before tcp_server_start(). */
struct query_ctx *tcp_server_query(struct tcp_server *srv);
int tcp_server_start(struct tcp_server *srv, struct gslb_err *err);
/* Stop the thread, close every connection and join. */
void tcp_server_stop(struct tcp_server *srv);
void tcp_server_free(struct tcp_server *srv);

#endif

/* The AF_XDP fast path for DNS over UDP (server.xdp): an XDP program on
 * each named interface (gslbd/net/xdp_prog.bpf.c) hands the UDP datagrams
 * sent to gslbd's listen addresses and port to one AF_XDP socket per queue,
 * and passes everything else (ARP, ICMP, TCP, other ports, fragments, IP
 * options) to the kernel. Each socket has its worker thread: it reads a
 * batch of frames from its receive ring, checks their Ethernet, IP and UDP
 * headers, runs the DNS payloads through the query pipeline
 * (gslbd/dns/query.h, QUERY_XDP: access lists, answers, cookies, rate
 * limiting as over sockets) and writes each response into the frame its
 * query came in, addresses and ports swapped and checksums made, and
 * transmits it. Nothing is allocated per query and no system call is made
 * per datagram.
 *
 * The UDP sockets of the same addresses stay open beside it (and TCP is
 * never redirected), so when XDP cannot be set up - no capability, no
 * driver support, the program refused, no such interface - gslbd answers
 * over sockets after one warning that says why. Open, start, stop and free
 * from the main thread. */
#ifndef GSLBD_NET_XDP_H
#define GSLBD_NET_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/netaddr.h"

struct config;
struct query_ctx;
struct xdp_path;

/* Set up XDP on cfg's server.xdp interfaces for the listen addresses
 * listen[0..count) (bound, their ports resolved; index i is listener i
 * for the access lists): attach the program, fill its map, make the
 * sockets. Returns the path (caller owns it; xdp_path_free()), or NULL
 * when cfg names no interface or XDP cannot be set up - then one warning
 * with the reason has been logged and the sockets serve. Needs
 * CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF (or CAP_SYS_ADMIN) and enough
 * locked memory (CAP_IPC_LOCK or RLIMIT_MEMLOCK), so call it before
 * privileges are dropped. */
struct xdp_path *xdp_path_open(const struct config *cfg, const struct netaddr *listen,
			       size_t count);
/* Its workers (one per queue; 0 for NULL) and the query pipeline context
 * of the i-th (borrowed until xdp_path_free()): set an observer on it
 * before xdp_path_start(), as on udp_worker_query(). */
size_t xdp_path_worker_count(const struct xdp_path *p);
struct query_ctx *xdp_path_query(struct xdp_path *p, size_t i);
/* Start the worker threads. Returns 0 or a negative errno with err set. */
int xdp_path_start(struct xdp_path *p, struct gslb_err *err);
/* Stop and join the worker threads (NULL: nothing). */
void xdp_path_stop(struct xdp_path *p);
/* Stop, close the sockets and detach the program from the interfaces
 * (accepts NULL). */
void xdp_path_free(struct xdp_path *p);
/* Does XDP serve DNS over UDP now (workers running)? For /metrics's
 * gslbd_dns_path. Any thread. */
bool xdp_path_is_serving(void);
/* What the XDP path saw since it started, summed over its sockets. */
struct xdp_counters {
	uint64_t frames;          /* frames the program redirected to the sockets */
	uint64_t invalid;         /* of them, failed the header checks (dropped) */
	uint64_t rx_ring_full;    /* frames the kernel dropped: a socket's rx ring was full */
	uint64_t fill_ring_empty; /* frames the kernel dropped: no free frame to copy into */
	uint64_t rx_dropped;      /* frames the kernel dropped for another reason */
};
/* Its counters into *out (zeros without a serving path). Main thread. */
void xdp_path_counters(struct xdp_counters *out);
/* "xdp=veth0@0,veth0@1" for the ready line, or "" (buf of len bytes). */
void xdp_path_describe(const struct xdp_path *p, char *buf, size_t len);

#endif

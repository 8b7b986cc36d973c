/* The listening side of gslbd: binds every configured address (UDP with one
 * SO_REUSEPORT socket per worker, and TCP), resolves port 0 to one free port
 * shared by UDP and TCP, and runs the UDP workers and the TCP thread.
 * Main thread only. */
#ifndef GSLBD_NET_SERVER_H
#define GSLBD_NET_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/netaddr.h"

struct config;
struct dnstap_writer;
struct server;

/* Bind every listener of cfg with workers UDP sockets each. Returns 0 with
 * *out (free with server_free()), or a negative code with err set. */
int server_bind(const struct config *cfg, struct server **out, struct gslb_err *err);
/* Write "dns udp ADDR PORT" / "dns tcp ADDR PORT" lines to out. */
void server_write_ports(const struct server *srv, FILE *out);
/* "dns=127.0.0.1:5353 dns=[::1]:5353" for the ready line. */
void server_describe(const struct server *srv, char *buf, size_t len);
/* Make a dnstap ring from w for each DNS thread at server_start() (w
 * borrowed; it must outlive the server's threads). */
void server_set_dnstap(struct server *srv, struct dnstap_writer *w);
/* Start the worker threads. */
int server_start(struct server *srv, struct gslb_err *err);
/* Stop and join every thread. */
void server_stop(struct server *srv);
/* Does cfg ask for the same listeners and workers as the running server? */
int server_matches(const struct server *srv, const struct config *cfg);
void server_free(struct server *srv);

#endif

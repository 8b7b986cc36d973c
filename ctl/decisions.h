/* gslbctl decisions: which datacenters resolvers were answered with, and
 * why, read from gslbd's dnstap (a Frame Streams file, or live as the
 * collector of a unix socket). Each AUTH_RESPONSE of a load-balanced name
 * carries the decision in Dnstap.extra (gslbd.conf(5), DNSTAP); this lists
 * them, filtered by name, datacenter and client network. */
#ifndef GSLBD_CTL_DECISIONS_H
#define GSLBD_CTL_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>

/* What to read and show. */
struct decisions_opts {
	const char *file;   /* read this dnstap file, or NULL */
	const char *socket; /* or listen on this unix socket for gslbd's stream */
	const char *name;   /* only this name (case-insensitive, final dot optional), or NULL */
	const char *dc;     /* only answers that include this datacenter, or NULL */
	const char *client; /* only clients (ECS network, else resolver) in this prefix, or NULL */
	size_t count;       /* file: the last count answers; socket: stop after count */
	bool json;          /* one JSON object per line instead of columns */
};

/* Run the command. Returns a gslbctl exit status (0 ok, 1 the stream could
 * not be read, 2 usage error). */
int decisions_run(const struct decisions_opts *o);

#endif

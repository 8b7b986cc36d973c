/* The dnstap writer: one thread that drains every DNS thread's ring
 * (gslbd/dns/dnstap_ring.h), encodes each exchange as Dnstap protobuf
 * messages (AUTH_QUERY, AUTH_RESPONSE with the load-balancing decision in
 * Message.policy and Dnstap.extra) and writes them as Frame Streams (content
 * type "protobuf:dnstap.Dnstap", libfstrm) to the configured sink: a unix
 * socket or a TCP collector (bidirectional handshake; every send and read
 * bounded by DNSTAP_IO_TIMEOUT_MS) or a file. A sink that cannot be opened
 * or fails is opened again with a backoff; meanwhile the rings fill and
 * drop, and DNS never waits. A file is made again (truncated) on every
 * reconfiguration: SIGHUP rotates it.
 *
 * Create, reconfigure and free from the main thread. */
#ifndef GSLBD_NET_DNSTAP_H
#define GSLBD_NET_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct config;
struct dnstap_ring;
struct dnstap_slot;
struct dnstap_writer;

#define DNSTAP_CONTENT_TYPE   "protobuf:dnstap.Dnstap"
#define DNSTAP_IO_TIMEOUT_MS  2000 /* a collector that does not read for this long fails */
#define DNSTAP_BACKOFF_MIN_MS 100  /* first wait before opening a failed sink again */
#define DNSTAP_BACKOFF_MAX_MS 2000 /* the wait doubles up to this */

/* A writer for cfg's dnstap settings (dnstap may be off; it then idles). */
struct dnstap_writer *dnstap_writer_new(const struct config *cfg);
/* A ring for one DNS thread, drained by w (w owns it). Before
 * dnstap_writer_start(). */
struct dnstap_ring *dnstap_writer_add_ring(struct dnstap_writer *w);
/* Start the thread. Returns 0 or a negative errno with err set. */
int dnstap_writer_start(struct dnstap_writer *w, struct gslb_err *err);
/* Take cfg's sink, identity and version (after a reload or a SIGHUP): a
 * changed sink is opened anew, and a file is made again even when
 * unchanged (rotation). The config last taken again (a failed reload)
 * changes nothing. The filters need nothing here: the DNS threads read them from
 * each query's snapshot. */
void dnstap_writer_reconfigure(struct dnstap_writer *w, const struct config *cfg);
/* Stop the thread (what the rings hold is written first, if the sink
 * takes it), close the sink and free the rings. Accepts NULL. */
void dnstap_writer_free(struct dnstap_writer *w);

/* The decision text of Dnstap.extra for slot s (gslbd.conf(5), DNSTAP):
 * NUL-terminated into buf (cap bytes). Returns its length. */
size_t dnstap_extra_format(const struct dnstap_slot *s, char *buf, size_t cap);
/* Encode slot s as one Dnstap message: its AUTH_RESPONSE when response is
 * true, else its AUTH_QUERY; identity and version may be NULL. Returns the
 * length written to buf, or 0 when it does not fit in cap bytes. */
size_t dnstap_encode(const struct dnstap_slot *s, bool response, const char *identity,
		     const char *version, uint8_t *buf, size_t cap);

#endif

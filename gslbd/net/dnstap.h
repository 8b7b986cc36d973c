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
 * The thread sleeps between drains for as long as keeps the busiest ring
 * about a quarter full at the rate just seen, DNSTAP_LATENCY_MS at most
 * (longer and longer up to it while the rings stay empty): a message
 * reaches the sink within about that long. A ring that fills to half
 * while the thread sleeps wakes it (an eventfd write, the only system
 * call the DNS threads make for dnstap, and a rare one).
 *
 * A decision from the compiled geo maps does not locate the client; the
 * writer looks it up (the ECS address, else the resolver's) in the GeoIP
 * database of the snapshot that answered, when it holds that database
 * (dnstap_writer_set_geo(): the latest and the one before), for
 * country= and continent=.
 *
 * Create, reconfigure and free from the main thread. */
#ifndef GSLBD_NET_DNSTAP_H
#define GSLBD_NET_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct config;
struct dnstap_enc;
struct dnstap_ring;
struct dnstap_slot;
struct dnstap_writer;
struct geo_location;
struct geo_share;

#define DNSTAP_CONTENT_TYPE   "protobuf:dnstap.Dnstap"
#define DNSTAP_IO_TIMEOUT_MS  2000 /* a collector that does not read for this long fails */
#define DNSTAP_BACKOFF_MIN_MS 100  /* first wait before opening a failed sink again */
#define DNSTAP_BACKOFF_MAX_MS 2000 /* the wait doubles up to this */
#define DNSTAP_LATENCY_MS     100  /* the writer sleeps this long at most between drains */

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
/* The GeoIP database the current snapshot uses (NULL: none), to locate the
 * clients of decisions that did not (takes a reference; the writer keeps
 * it and the one before). Main thread, at start and after each reload. */
void dnstap_writer_set_geo(struct dnstap_writer *w, struct geo_share *geo);
/* Stop the thread (what the rings hold is written first, if the sink
 * takes it), close the sink and free the rings. Accepts NULL. */
void dnstap_writer_free(struct dnstap_writer *w);

/* The parts of every message that come from the configuration (identity
 * and version, each NULL for none), encoded once. Caller owns it;
 * dnstap_enc_free() accepts NULL. */
struct dnstap_enc *dnstap_enc_new(const char *identity, const char *version);
void dnstap_enc_free(struct dnstap_enc *e);
/* Bytes one message of a slot may take at most. */
size_t dnstap_enc_room(const struct dnstap_enc *e);

/* The decision text of Dnstap.extra for slot s (gslbd.conf(5), DNSTAP),
 * with the location loc when it was found (NULL: the slot's own):
 * NUL-terminated into buf (cap bytes), cut when longer. Returns its
 * length. */
size_t dnstap_extra_format(const struct dnstap_slot *s, const struct geo_location *loc, char *buf,
			   size_t cap);
/* Encode slot s as one Dnstap message with e's constant parts: its
 * AUTH_RESPONSE when response is true, else its AUTH_QUERY; loc as for
 * dnstap_extra_format(). Returns the length written to buf, or 0 when it
 * does not fit in cap bytes. */
size_t dnstap_encode(const struct dnstap_enc *e, const struct dnstap_slot *s, bool response,
		     const struct geo_location *loc, uint8_t *buf, size_t cap);

#endif

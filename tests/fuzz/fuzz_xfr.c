/* Fuzz target for the transfer client's response reader (zones/xfr.c):
 * byte 0 picks AXFR (even) or IXFR (odd) of "fuzz.example", the IXFR from
 * the version in tests/fuzz/fuzz.zone; the rest is a TCP stream of
 * 2-byte-length-prefixed messages, fed in order until the exchange ends.
 * The query's id is the first message's, so that input goes past the id
 * check. A complete transfer is written to a file and loaded as a zone: it
 * never crashes or leaks, and an error always has a message. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zones/xfr.h"
#include "zones/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/gslbd-fuzz-xfr-XXXXXX";
	struct zone_xfr *x = NULL;
	struct gslb_err err = {""};
	enum zone_xfr_kind kind;
	size_t pos = 1;
	uint16_t id;
	int rc = ZONE_XFR_MORE;

	if (size < 5)
		return 0;
	kind = (data[0] & 1) != 0 ? ZONE_XFR_IXFR : ZONE_XFR_AXFR;
	id = (uint16_t)(data[3] << 8 | data[4]);
	if (zone_xfr_new("fuzz.example", kind, FUZZ_DATA_DIR "/fuzz.zone", id, &x, &err) != 0)
		abort();
	while (rc == ZONE_XFR_MORE && pos + 2 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		err.msg[0] = '\0';
		rc = zone_xfr_feed(x, data + pos, len, &err);
		pos += len;
		if (rc < 0 && err.msg[0] == '\0')
			abort();
	}
	if (rc == 0 && zone_xfr_has_zone(x)) {
		int fd = mkstemp(path);
		struct zone_source src = {.origin = "fuzz.example", .path = path};
		struct zone_set *set = NULL;

		if (fd < 0)
			abort();
		close(fd);
		if (zone_xfr_write(x, path, &err) != 0)
			abort();
		if (zone_set_load(&src, 1, &set, &err) == 0)
			zone_set_free(set);
		unlink(path);
	}
	zone_xfr_free(x);
	return 0;
}

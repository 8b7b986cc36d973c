/* Fuzz target for the zone loader: arbitrary bytes as a master file for
 * "fuzz.example". Loading either succeeds (and every node can be looked up)
 * or fails with a message naming the file and line; it never crashes or
 * leaks. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zones/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/gslbd-fuzz-zone-XXXXXX";
	struct zone_source src = { .origin = "fuzz.example", .path = path };
	struct zone_set *set = NULL;
	struct gslb_err err = { "" };
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (zone_set_load(&src, 1, &set, &err) == 0) {
		const struct zone *z = zone_set_zone(set, 0);

		for (size_t i = 0; i < zone_node_count(z); i++) {
			const struct zone_node *n = zone_node_at(z, i);
			struct zone_lookup lk;

			if (zone_find_node(z, n->name, n->name_len) != n)
				abort();
			zone_lookup(z, n->name, n->name_len, &lk);
		}
		zone_set_free(set);
	} else if (strncmp(err.msg, path, strlen(path)) != 0) {
		fprintf(stderr, "error does not name the file: %s\n", err.msg);
		abort();
	}
	unlink(path);
	return 0;
}

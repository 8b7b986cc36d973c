/* Fuzz target for the journal files of server.journal_persist
 * (gslbd/dns/journal_file.c): the input is a journal file of
 * "fuzz.example" without its checksum, which is computed and appended
 * here so that the input reaches the checks past it (a flipped byte alone
 * is caught by the checksum, tests/unit/gslbd/dns/check_journal_file.c).
 * A journal read back is walked record by record as IXFR would, and
 * written again; it never crashes or leaks, and a refusal always has a
 * message. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gslbd/dns/journal.h"
#include "gslbd/dns/journal_file.h"
#include "zones/dname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/gslbd-fuzz-journal-XXXXXX";
	uint8_t origin[DNAME_MAXLEN], sum[8];
	uint64_t h = 0xcbf29ce484222325ull;
	struct journal *j = NULL;
	struct gslb_err err = {""};
	uint32_t serial;
	FILE *f;
	int fd, rc;

	if (dname_from_str("fuzz.example", origin) < 0)
		abort();
	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 8; i++)
		sum[i] = (uint8_t)(h >> (56 - 8 * i));
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fwrite(sum, 1, 8, f) != 8)
		abort();
	fclose(f);
	rc = journal_file_read(path, origin, 1 << 16, &j, &serial, &err);
	if (rc != 0 && err.msg[0] == '\0')
		abort();
	if (rc == 0) {
		for (size_t i = 0; i < j->count; i++) {
			const struct journal_diff *d = j->diffs[i];
			const uint8_t *owner, *rd;
			uint16_t type, rdlen;
			uint32_t ttl, n = 0;
			size_t pos = 0;

			while (journal_rr_next(d->add, d->add_len, &pos, &owner, &type, &ttl, &rd,
					       &rdlen) == 0)
				n++;
			if (n != d->add_count || pos != d->add_len)
				abort();
		}
		if (journal_file_write(path, origin, serial, j, &err) != 0)
			abort();
		journal_unref(j);
	}
	unlink(path);
	return 0;
}

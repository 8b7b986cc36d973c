/* Fuzz target for the answer path: arbitrary bytes as a query, over UDP and
 * over TCP, against a zone that exercises every lookup case. Any crash,
 * sanitizer report or response that ldns cannot parse back is a bug. The
 * configuration (fuzz.conf) adds load-balanced names under every policy and
 * signs both zones (NSEC and NSEC3), so that DO=1 queries walk the signing
 * and denial paths. With libFuzzer: `make fuzz`; otherwise tests/fuzz/replay.c
 * replays the corpus. */
#include <config.h>

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "gslbd/dns/answer.h"
#include "gslbd/control/control.h"
#include "gslbd/dns/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snapshot *snap;
static struct answer_scratch *scratch;
static uint8_t resp[ANSWER_MAX_MSG];

static void setup(void)
{
	struct gslb_err err;

	if (control_load(FUZZ_DATA_DIR "/fuzz.conf", NULL, &snap, &err) != 0) {
		fprintf(stderr, "fuzz setup: %s\n", err.msg);
		abort();
	}
	/* Drain one datacenter so that health filtering is exercised too. */
	snap->dc_state[1] = DC_STATE_DOWN;
	scratch = answer_scratch_new();
}

/* A response we send must parse as DNS. */
static void check_response(const uint8_t *buf, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK) {
		fprintf(stderr, "response of %zu bytes does not parse\n", len);
		abort();
	}
	ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in client = { .sin_family = AF_INET, .sin_port = htons(5353) };
	struct answer_result res;

	if (snap == NULL)
		setup();
	client.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int tcp = 0; tcp <= 1; tcp++) {
		answer_query(snap, data, size, (const struct sockaddr *)&client, tcp, resp,
			     sizeof(resp), scratch, &res);
		if (res.action == ANSWER_SEND) {
			size_t len = res.len;

			if (!tcp && res.len > 1232 && res.len > 512)
				abort(); /* UDP answers stay within the negotiated size */
			if (resp[3] & 0x20)
				abort(); /* AD: never from an authoritative server */
			check_response(resp, res.len);
			/* What rate limiting slips instead: no longer than the query. */
			len = answer_slip(scratch, data, size, resp, sizeof(resp));
			if (len > size && size >= 12)
				abort();
			check_response(resp, len);
		} else if (res.action == ANSWER_XFR) {
			struct xfr_state x;
			size_t n;
			int messages = 0;

			xfr_begin(&x, res.zone, snap->lbsig, data, size);
			while ((n = xfr_next(&x, resp, sizeof(resp), scratch)) > 0) {
				check_response(resp, n);
				if (++messages > 10000)
					abort(); /* a transfer must end */
			}
		}
	}
	return 0;
}

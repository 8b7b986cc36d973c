/* Fuzz target for probe reports: arbitrary bytes as the body of a POST
 * /v1/reports, verified and parsed against a fixed configuration (two
 * probes, three datacenters).
 *
 * Each input goes through twice: once signed correctly, so that it always
 * reaches report_parse(), and once with headers cut from the input itself
 * (up to three lines: key, timestamp, signature; the rest is the body), which
 * must never verify. Any crash, sanitizer report, leak or result outside the
 * documented bounds is a bug. With libFuzzer: tests/fuzz/libfuzzer.sh report;
 * otherwise tests/fuzz/replay.c replays the corpus. */
#include <config.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sign.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW UINT64_C(1700000000000)

static struct config *cfg;

static void setup(void)
{
	static const char *const dcs[] = {"us-east", "eu-west", "ap-south"};
	static const char *const probes[] = {"probe-eu", "probe-us"};

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->report_max_skew_ms = 30000;
	cfg->report_max_bytes = 1 << 20;
	cfg->check_count = 1;
	cfg->checks = xcalloc(1, sizeof(cfg->checks[0]));
	cfg->checks[0].name = xstrdup("tcp");
	cfg->checks[0].type = CHECK_TCP;
	cfg->checks[0].port = 80;
	cfg->checks[0].interval_ms = 2000;
	cfg->checks[0].timeout_ms = 1000;
	cfg->probe_count = 2;
	cfg->probes = xcalloc(cfg->probe_count, sizeof(cfg->probes[0]));
	for (size_t i = 0; i < cfg->probe_count; i++) {
		cfg->probes[i].id = xstrdup(probes[i]);
		cfg->probes[i].region = xstrdup(probes[i] + 6);
		cfg->probes[i].secret = (uint8_t *)xasprintf("secret of %s", probes[i]);
		cfg->probes[i].secret_len = strlen((char *)cfg->probes[i].secret);
	}
	cfg->datacenter_count = 3;
	cfg->datacenters = xcalloc(cfg->datacenter_count, sizeof(cfg->datacenters[0]));
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		struct config_datacenter *dc = &cfg->datacenters[i];

		dc->name = xstrdup(dcs[i]);
		dc->region = xstrdup(dcs[i]);
		dc->ipv4 = xcalloc(1, sizeof(dc->ipv4[0]));
		dc->ipv4[0][0] = 192;
		dc->ipv4[0][3] = (uint8_t)(i + 1);
		dc->ipv4_count = 1;
		dc->check = 0;
	}
}

static void check_results(const struct health_result *res, size_t count)
{
	if (count > cfg->datacenter_count)
		abort();
	for (size_t i = 0; i < count; i++) {
		if (res[i].dc >= cfg->datacenter_count)
			abort();
		if (!(res[i].rtt_ms == -1 || (res[i].rtt_ms >= 0 && res[i].rtt_ms <= 600000)))
			abort();
		if (res[i].status < 0 || res[i].status > 999)
			abort();
		if (res[i].error != NULL && strlen(res[i].error) > 255)
			abort();
		for (size_t j = 0; j < i; j++)
			if (res[j].dc == res[i].dc)
				abort();
	}
}

/* Verify and parse body as probe's report, correctly signed. */
static void signed_report(size_t probe, const uint8_t *body, size_t len)
{
	const struct config_probe *p = &cfg->probes[probe];
	char ts[32], sig[SIGN_HEX_LEN + 1], why[512], boot[SIGN_BOOT_HEX_LEN + 1];
	struct report_auth auth = {p->id, boot, "1", ts, sig};
	struct sign_stamp st = {0xb007, 1, NOW}, got_st;
	struct health_result *res;
	uint64_t skipped[REPORT_SKIP_COUNT] = {0};
	size_t got, count;
	enum report_verdict v;

	snprintf(ts, sizeof(ts), "%" PRIu64, NOW);
	sign_boot_format(st.boot, boot);
	sign_probe_request(p->secret, p->secret_len, "POST", "/v1/reports", &st, body, len, sig);
	v = report_verify(cfg, "POST", "/v1/reports", &auth, body, len, NOW, 1, NULL, &got, &got_st,
			  why, sizeof(why));
	if (v == REPORT_TOO_LARGE)
		return;
	if (v != REPORT_OK || got != probe || got_st.ts_ms != NOW || got_st.seq != 1)
		abort();
	v = report_parse(cfg, probe, body, len, NULL, &res, &count, skipped, why, sizeof(why));
	if (v == REPORT_OK) {
		check_results(res, count);
		report_results_free(res, count);
	} else if (v != REPORT_MALFORMED || why[0] == '\0' || res != NULL || count != 0) {
		abort();
	}
}

/* Take the next line of data (without its '\n') as a new string. */
static char *take_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl != NULL ? (size_t)(nl - *data) : *size;
	char *s = xstrndup((const char *)*data, n);

	*data += n + (nl != NULL);
	*size -= n + (nl != NULL);
	return s;
}

/* Headers from the input: whatever comes out, it is never REPORT_OK. */
static void garbage_headers(const uint8_t *data, size_t size)
{
	char *key = take_line(&data, &size);
	char *ts = take_line(&data, &size);
	char *sig = take_line(&data, &size);
	struct report_auth auth = {key, "00000000000000a1", "7", ts, sig};
	struct report_peer last[2] = {{.boot = 1, .seq = 1}, {.boot = 1, .seq = 1}};
	char why[512] = "";
	size_t probe;
	struct sign_stamp ts_ms;
	enum report_verdict v;

	v = report_verify(cfg, "POST", "/v1/reports", &auth, data, size, NOW, 1, last, &probe,
			  &ts_ms, why, sizeof(why));
	if (v == REPORT_OK || v >= REPORT_VERDICT_COUNT || why[0] == '\0' ||
	    strchr(why, '\n') != NULL)
		abort();
	/* The same without any headers, and with a NULL why. */
	if (report_verify(cfg, "GET", "/v1/probe-config", NULL, data, size, NOW, 1, NULL, &probe,
			  &ts_ms, NULL, 0) == REPORT_OK)
		abort();
	free(key);
	free(ts);
	free(sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (cfg == NULL)
		setup();
	signed_report(0, data, size);
	signed_report(1, data, size);
	garbage_headers(data, size);
	return 0;
}

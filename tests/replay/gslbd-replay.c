/* gslbd-replay: run a scenario (a .rpl file of tests/replay) against the control
 * plane on a virtual clock.
 *
 *   gslbd-replay SCENARIO.rpl
 *
 * The scenario's CONFIG block is written to tests/replay/SCENARIO.tmp/
 * gslbd.conf under the current directory (the build directory under make
 * check; SCENARIO.tmp/ where there is no tests/replay/), with @DATA@ made
 * the tests/data folder; the folder is removed when the scenario passes.
 * The config is loaded with
 * control_load() and started as the daemon does, with a clock that moves
 * only when the scenario says so and control_tick() every 250 ms of it (the
 * daemon's health tick). Reports are signed with the probes' secrets from
 * the config and go through control_report(), so they are verified, parsed
 * and applied as a real probe's are; queries go through answer_query() on
 * the published snapshot. No socket, no thread, no sleep: a scenario gives
 * the same result on a busy machine as on an idle one. The first EXPECT that
 * does not hold ends the run (exit 1) with the scenario's file and line; a
 * bad scenario exits 2. The format is described in tests/README.md. */
#include <config.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/netaddr.h"
#include "common/probe_proto.h"
#include "common/sign.h"
#include "common/timeutil.h"
#include "common/xalloc.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/admin.h"
#include "gslbd/control/alerts.h"
#include "gslbd/control/control.h"
#include "gslbd/control/report.h"
#include "gslbd/control/status.h"
#include "gslbd/dns/answer.h"
#include "gslbd/dns/snapshot.h"

#define TICK_MS    250 /* gslbd's HEALTH_TICK_MS: control_tick() this often */
#define MONO_START 1000000u
#define WALL_START UINT64_C(1800000000000)
#define MAX_LINES  4096
#define MAX_SCAN   4096
#define MAX_WORDS  64

/* The virtual clock. */
static uint64_t mono = MONO_START, wall = WALL_START, next_tick = MONO_START + TICK_MS;

static uint64_t virt_mono(void *arg)
{
	(void)arg;
	return mono;
}

static uint64_t virt_wall(void *arg)
{
	(void)arg;
	return wall;
}

static const struct gslb_clock virt_clock = {virt_mono, virt_wall, NULL};

/* The scenario. */
static const char *scen_path;
static char *lines[MAX_LINES];
static unsigned line_no[MAX_LINES];
static size_t line_count;
static unsigned cur_line;
static char workdir[1024], conf_path[1100];

/* The control plane and what the steps left to look at. */
static struct control *ctl;
static struct answer_scratch *scratch;
static uint8_t resp[ANSWER_MAX_MSG];
static char last_answer[512];  /* datacenters answered, "a,b", or "none" */
static int last_scope = -1;    /* ECS scope of the last answer, -1: none */
static char last_rcode[16];    /* its rcode */
static char alerts_seen[8192]; /* "event:subject ..." since the last EXPECT alerts */
static struct {
	char addr[INET6_ADDRSTRLEN];
	char dc[128];
	int scope;
} scan[MAX_SCAN], prev_scan[MAX_SCAN];
static size_t scan_count, prev_scan_count;
static uint64_t probe_seq;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	va_list ap;

	printf("[t=+%llu.%03llus] ", (unsigned long long)((mono - MONO_START) / 1000),
	       (unsigned long long)((mono - MONO_START) % 1000));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void die(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int rc, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%u: %s", scen_path, cur_line, rc == 1 ? "FAIL at virtual time " : "");
	if (rc == 1)
		fprintf(stderr, "+%llu ms: ", (unsigned long long)(mono - MONO_START));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

/* ---- the scenario file ---------------------------------------------------- */

static char *subst_data(const char *s)
{
	const char *at = strstr(s, "@DATA@");
	char *r;

	if (at == NULL)
		return xstrdup(s);
	r = xasprintf("%.*s%s%s", (int)(at - s), s, TEST_DATA_DIR, at + 6);
	if (strstr(r, "@DATA@") != NULL) {
		char *again = subst_data(r);

		free(r);
		return again;
	}
	return r;
}

/* Read the file: the CONFIG block to the config file, the steps to lines. */
static void read_scenario(void)
{
	FILE *in = fopen(scen_path, "r"), *conf = NULL;
	char buf[4096], *base, *dot;
	unsigned n = 0;
	bool in_config = false, had_config = false;

	if (in == NULL)
		die(2, "cannot open: %s", strerror(errno));
	base = strrchr(scen_path, '/');
	base = xstrdup(base != NULL ? base + 1 : scen_path);
	dot = strrchr(base, '.');
	if (dot != NULL)
		*dot = '\0';
	snprintf(workdir, sizeof(workdir), "%s%s.tmp",
		 access("tests/replay", W_OK) == 0 ? "tests/replay/" : "", base);
	free(base);
	if (mkdir(workdir, 0700) != 0 && errno != EEXIST)
		die(2, "mkdir %s: %s", workdir, strerror(errno));
	snprintf(conf_path, sizeof(conf_path), "%s/gslbd.conf", workdir);
	while (fgets(buf, sizeof(buf), in) != NULL) {
		size_t len = strlen(buf);
		char *s = buf;

		n++;
		cur_line = n;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (in_config) {
			if (strcmp(buf, "CONFIG_END") == 0) {
				in_config = false;
				fclose(conf);
				conf = NULL;
			} else {
				char *l = subst_data(buf);

				fprintf(conf, "%s\n", l);
				free(l);
			}
			continue;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (strcmp(s, "CONFIG") == 0) {
			if (had_config)
				die(2, "a second CONFIG block");
			conf = fopen(conf_path, "w");
			if (conf == NULL)
				die(2, "%s: %s", conf_path, strerror(errno));
			in_config = had_config = true;
			continue;
		}
		if (line_count == MAX_LINES)
			die(2, "more than %d steps", MAX_LINES);
		lines[line_count] = xstrdup(s);
		line_no[line_count++] = n;
	}
	fclose(in);
	if (in_config)
		die(2, "CONFIG without CONFIG_END");
	if (!had_config)
		die(2, "no CONFIG block");
}

/* Split s (modified) into words; a word may be "quoted". Returns the count. */
static size_t split(char *s, char **w)
{
	size_t n = 0;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == ';')
			break;
		if (n == MAX_WORDS)
			die(2, "too many words");
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			if (end == NULL)
				die(2, "unterminated quote");
			*end = '\0';
			w[n++] = s + 1;
			s = end + 1;
			continue;
		}
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

/* "500ms", "2s", "1.5s", "3m" in milliseconds. */
static uint64_t parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		die(2, "bad duration '%s'", s);
	if (strcmp(end, "ms") == 0)
		return (uint64_t)llround(v);
	if (strcmp(end, "s") == 0)
		return (uint64_t)llround(v * 1000);
	if (strcmp(end, "m") == 0)
		return (uint64_t)llround(v * 60000);
	die(2, "bad duration '%s' (ms, s or m)", s);
}

/* ---- the control plane ---------------------------------------------------- */

static void collect_alert(const struct alert *a, void *arg)
{
	size_t n = strlen(alerts_seen);

	(void)arg;
	snprintf(alerts_seen + n, sizeof(alerts_seen) - n, "%s%s:%s", n > 0 ? " " : "",
		 config_alert_event_name(a->event), a->subject);
}

/* Load the config and start the control plane on the virtual clock, as the
 * daemon starts (the state file's overrides included). */
static void start(void)
{
	struct snapshot *snap = NULL;
	struct gslb_err err = {""};

	ctl = control_new(conf_path, false);
	control_set_clock(ctl, &virt_clock);
	control_set_alert_sink(ctl, collect_alert, NULL);
	if (control_load(conf_path, NULL, &snap, &err) != 0)
		die(2, "config: %s", err.msg);
	control_load_admin_repair(ctl, snap);
	control_start(ctl, snap);
	snapshot_publish(snap);
}

static void stop(void)
{
	snapshot_shutdown();
	control_free(ctl);
	ctl = NULL;
}

static const struct config *cfg(void)
{
	return snapshot_current()->config;
}

static ssize_t dc_index(const char *name)
{
	ssize_t i = config_datacenter_find(cfg(), name);

	if (i < 0)
		die(2, "no datacenter '%s' in the config", name);
	return i;
}

/* Move the clock by ms, ticking on the way as the daemon's timer would. */
static void advance(uint64_t ms)
{
	uint64_t target = mono + ms;

	while (next_tick <= target) {
		wall += next_tick - mono;
		mono = next_tick;
		control_tick(ctl);
		next_tick += TICK_MS;
	}
	wall += target - mono;
	mono = target;
}

/* ---- steps ------------------------------------------------------------------ */

/* REPORT PROBE[,PROBE...] dc=NAME up|down [rtt=MS] [load=N] [status=N] [error=TEXT]
 *        [dc=NAME ...] */
static void step_report(char **w, size_t n)
{
	char probes[512], *save = NULL, *id;
	json_t *results = json_array();

	if (n < 3)
		die(2, "REPORT PROBE dc=NAME up|down ...");
	for (size_t i = 2; i < n; i++) {
		json_t *r = json_array_size(results) > 0
				? json_array_get(results, json_array_size(results) - 1)
				: NULL;

		if (strncmp(w[i], "dc=", 3) == 0) {
			(void)dc_index(w[i] + 3);
			r = json_pack(
			    "{s:s, s:b, s:n, s:i, s:n}", PROBE_PROTO_KEY_RESULT_DATACENTER,
			    w[i] + 3, PROBE_PROTO_KEY_RESULT_OK, 1, PROBE_PROTO_KEY_RESULT_RTT_MS,
			    PROBE_PROTO_KEY_RESULT_STATUS, 200, PROBE_PROTO_KEY_RESULT_ERROR);
			json_array_append_new(results, r);
			continue;
		}
		if (r == NULL)
			die(2, "REPORT: '%s' before any dc=", w[i]);
		if (strcmp(w[i], "up") == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_OK, json_true());
			if (json_is_null(json_object_get(r, PROBE_PROTO_KEY_RESULT_RTT_MS)))
				json_object_set_new(r, PROBE_PROTO_KEY_RESULT_RTT_MS,
						    json_real(1.0));
		} else if (strcmp(w[i], "down") == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_OK, json_false());
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_STATUS, json_integer(0));
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_ERROR,
					    json_string("connection refused"));
		} else if (strncmp(w[i], "rtt=", 4) == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_RTT_MS,
					    json_real(strtod(w[i] + 4, NULL)));
		} else if (strncmp(w[i], "load=", 5) == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_LOAD,
					    json_real(strtod(w[i] + 5, NULL)));
		} else if (strncmp(w[i], "status=", 7) == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_STATUS,
					    json_integer(atoi(w[i] + 7)));
		} else if (strncmp(w[i], "error=", 6) == 0) {
			json_object_set_new(r, PROBE_PROTO_KEY_RESULT_ERROR, json_string(w[i] + 6));
		} else {
			die(2, "REPORT: unknown '%s'", w[i]);
		}
	}
	snprintf(probes, sizeof(probes), "%s", w[1]);
	for (id = strtok_r(probes, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save)) {
		const struct config *c = cfg();
		json_t *doc = json_pack("{s:s, s:O}", PROBE_PROTO_KEY_PROBE, id,
					PROBE_PROTO_KEY_RESULTS, results);
		char *body = json_dumps(doc, JSON_COMPACT);
		char sig[SIGN_HEX_LEN + 1], tss[32], boot[SIGN_BOOT_HEX_LEN + 1], seqs[24];
		struct report_auth auth = {id, boot, seqs, tss, sig};
		struct sign_stamp st = {UINT64_C(0x5eed), ++probe_seq, wall};
		size_t p, accepted = 0;
		char why[256] = "";
		enum report_verdict v;

		for (p = 0; p < c->probe_count && strcmp(c->probes[p].id, id) != 0; p++)
			;
		if (p == c->probe_count)
			die(2, "no probe '%s' in the config", id);
		sign_boot_format(st.boot, boot);
		snprintf(seqs, sizeof(seqs), "%llu", (unsigned long long)st.seq);
		snprintf(tss, sizeof(tss), "%llu", (unsigned long long)st.ts_ms);
		sign_probe_request(c->probes[p].secret, c->probes[p].secret_len, "POST",
				   PROBE_PROTO_PATH_REPORTS, &st, body, strlen(body), sig);
		v = control_report(ctl, &auth, body, strlen(body), &accepted, why, sizeof(why));
		if (v != REPORT_OK)
			die(1, "report from %s refused: %s: %s", id, report_verdict_name(v), why);
		free(body);
		json_decref(doc);
	}
	json_decref(results);
}

/* DRAIN|UNDRAIN|FORCEUP DC */
static void step_admin(char **w, size_t n, enum admin_state st)
{
	struct gslb_err err = {""};

	if (n != 2)
		die(2, "%s DC", w[0]);
	(void)dc_index(w[1]);
	if (control_admin_set(ctl, w[1], st, &err) != 0)
		die(1, "%s %s: %s", w[0], w[1], err.msg);
}

/* The datacenter whose VIP rr (A or AAAA) is, or "?ADDR". */
static void dc_of_rr(const ldns_rr *rr, char *out, size_t len)
{
	const struct config *c = cfg();
	const ldns_rdf *d = ldns_rr_rdf(rr, 0);
	const uint8_t *a = ldns_rdf_data(d);
	size_t alen = ldns_rdf_size(d);
	char text[INET6_ADDRSTRLEN] = "?";

	for (size_t i = 0; i < c->datacenter_count; i++) {
		const struct config_datacenter *dc = &c->datacenters[i];

		for (size_t k = 0; alen == 4 && k < dc->ipv4_count; k++) {
			if (memcmp(dc->ipv4[k], a, 4) == 0) {
				snprintf(out, len, "%s", dc->name);
				return;
			}
		}
		for (size_t k = 0; alen == 16 && k < dc->ipv6_count; k++) {
			if (memcmp(dc->ipv6[k], a, 16) == 0) {
				snprintf(out, len, "%s", dc->name);
				return;
			}
		}
	}
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, a, text, sizeof(text));
	snprintf(out, len, "?%s", text);
}

/* Ask name/type from client with an ECS option for ecs ("ADDR/LEN" or
 * NULL); the datacenters answered go to dcs ("a,b" or "none"), the ECS
 * scope to *scope (-1 without), the rcode to last_rcode. */
static void ask(const char *name, const char *type, const char *client, const char *ecs, char *dcs,
		size_t dcs_len, int *scope)
{
	ldns_rr_type t = ldns_get_rr_type_by_name(type);
	ldns_pkt *q = NULL, *p = NULL;
	struct answer_result res;
	struct netaddr from;
	uint8_t *wire, opt[32];
	size_t qlen, used = 0;
	ldns_rr_list *an;

	if (t == 0)
		die(2, "bad type '%s'", type);
	if (netaddr_parse(client, 5353, &from) != 0)
		die(2, "bad client '%s'", client);
	if (ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		die(2, "bad name '%s'", name);
	ldns_pkt_set_id(q, 0x4242);
	ldns_pkt_set_edns_udp_size(q, 1232);
	if (ecs != NULL) {
		char addr[64], *slash;
		uint8_t a[16];
		unsigned bits;
		int fam;

		snprintf(addr, sizeof(addr), "%s", ecs);
		slash = strchr(addr, '/');
		if (slash == NULL)
			die(2, "ecs=ADDR/LEN");
		*slash = '\0';
		bits = (unsigned)atoi(slash + 1);
		fam = strchr(addr, ':') != NULL ? 2 : 1;
		if (inet_pton(fam == 1 ? AF_INET : AF_INET6, addr, a) != 1 ||
		    bits > (fam == 1 ? 32u : 128u))
			die(2, "bad ecs '%s'", ecs);
		opt[0] = 0;
		opt[1] = 8; /* CLIENT-SUBNET */
		opt[2] = 0;
		opt[3] = (uint8_t)(4 + (bits + 7) / 8);
		opt[4] = 0;
		opt[5] = (uint8_t)fam;
		opt[6] = (uint8_t)bits;
		opt[7] = 0;
		memcpy(opt + 8, a, (bits + 7) / 8);
		ldns_pkt_set_edns_data(
		    q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 8 + (bits + 7) / 8, opt));
	}
	if (ldns_pkt2wire(&wire, q, &qlen) != LDNS_STATUS_OK)
		die(2, "cannot make the query");
	ldns_pkt_free(q);
	answer_query(snapshot_current(), wire, qlen, &from.u.sa, false, resp, sizeof(resp), scratch,
		     &res);
	free(wire);
	if (res.action != ANSWER_SEND)
		die(1, "%s %s: no response", name, type);
	if (ldns_wire2pkt(&p, resp, res.len) != LDNS_STATUS_OK)
		die(1, "%s %s: response does not parse", name, type);
	snprintf(last_rcode, sizeof(last_rcode), "%s",
		 ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(p)) != NULL
		     ? ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(p))->name
		     : "?");
	an = ldns_pkt_answer(p);
	dcs[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		char dc[80];
		const char *last;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_AAAA)
			continue;
		dc_of_rr(rr, dc, sizeof(dc));
		/* A datacenter with several VIPs counts once, where it first comes. */
		last = strrchr(dcs, ',');
		last = last != NULL ? last + 1 : dcs;
		if (strcmp(last, dc) == 0)
			continue;
		used = strlen(dcs);
		snprintf(dcs + used, dcs_len - used, "%s%s", used > 0 ? "," : "", dc);
	}
	if (dcs[0] == '\0')
		snprintf(dcs, dcs_len, "none");
	*scope = -1;
	if (ldns_pkt_edns_data(p) != NULL) {
		const uint8_t *o = ldns_rdf_data(ldns_pkt_edns_data(p));
		size_t olen = ldns_rdf_size(ldns_pkt_edns_data(p));

		for (size_t i = 0; i + 4 <= olen;) {
			unsigned code = (unsigned)o[i] << 8 | o[i + 1];
			unsigned len = (unsigned)o[i + 2] << 8 | o[i + 3];

			if (code == 8 && len >= 4 && i + 4 + len <= olen)
				*scope = o[i + 7];
			i += 4 + len;
		}
	}
	ldns_pkt_free(p);
}

/* Find NAME=VALUE among w[from..n), or def. */
static const char *opt_word(char **w, size_t n, size_t from, const char *key, const char *def)
{
	size_t k = strlen(key);

	for (size_t i = from; i < n; i++) {
		if (strncmp(w[i], key, k) == 0 && w[i][k] == '=')
			return w[i] + k + 1;
	}
	return def;
}

/* QUERY NAME [type=A] [client=IP] [ecs=ADDR/LEN] */
static void step_query(char **w, size_t n)
{
	if (n < 2)
		die(2, "QUERY NAME [type=T] [client=IP] [ecs=ADDR/LEN]");
	ask(w[1], opt_word(w, n, 2, "type", "A"), opt_word(w, n, 2, "client", "127.0.0.1"),
	    opt_word(w, n, 2, "ecs", NULL), last_answer, sizeof(last_answer), &last_scope);
	trace("  -> %s %s%s", last_rcode, last_answer, last_scope >= 0 ? "" : " (no ECS)");
}

/* SCAN NAME ecs=A.B.C.0/24 count=N [type=A] [client=IP]: N consecutive
 * client /24s (or /56s for IPv6 is not supported) from A.B.C.0. */
static void step_scan(char **w, size_t n)
{
	const char *ecs = opt_word(w, n, 2, "ecs", NULL);
	unsigned count = (unsigned)atoi(opt_word(w, n, 2, "count", "0"));
	struct in_addr base;
	char addr[32], *slash;

	if (n < 2 || ecs == NULL || count == 0 || count > MAX_SCAN)
		die(2, "SCAN NAME ecs=ADDR/24 count=N (N <= %d)", MAX_SCAN);
	snprintf(addr, sizeof(addr), "%s", ecs);
	slash = strchr(addr, '/');
	if (slash == NULL || strcmp(slash, "/24") != 0)
		die(2, "SCAN: ecs=ADDR/24");
	*slash = '\0';
	if (inet_pton(AF_INET, addr, &base) != 1)
		die(2, "SCAN: bad address '%s'", addr);
	memcpy(prev_scan, scan, sizeof(scan));
	prev_scan_count = scan_count;
	for (unsigned i = 0; i < count; i++) {
		struct in_addr a = {htonl(ntohl(base.s_addr) + (i << 8))};
		char net[64], text[INET_ADDRSTRLEN], dcs[128];

		inet_ntop(AF_INET, &a, text, sizeof(text));
		snprintf(scan[i].addr, sizeof(scan[i].addr), "%s", text);
		snprintf(net, sizeof(net), "%s/24", text);
		ask(w[1], opt_word(w, n, 2, "type", "A"), opt_word(w, n, 2, "client", "127.0.0.1"),
		    net, dcs, sizeof(dcs), &scan[i].scope);
		/* The first datacenter answered. */
		*strchrnul(dcs, ',') = '\0';
		snprintf(scan[i].dc, sizeof(scan[i].dc), "%s", dcs);
	}
	scan_count = count;
}

/* The status document's object for datacenter name (borrowed from st). */
static json_t *status_dc(json_t *st, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(st, "datacenters"), i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	}
	die(2, "no datacenter '%s' in the status", name);
}

/* The names of a JSON array of datacenters (strings, or objects with
 * "datacenter"), joined with commas. */
static void join_dcs(json_t *arr, char *out, size_t len)
{
	size_t i, used = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(arr, i, v)
	{
		const char *s = json_is_string(v)
				    ? json_string_value(v)
				    : json_string_value(json_object_get(v, "datacenter"));

		snprintf(out + used, len - used, "%s%s", i > 0 ? "," : "", s != NULL ? s : "?");
		used = strlen(out);
	}
	if (out[0] == '\0')
		snprintf(out, len, "none");
}

static void expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		die(1, "%s: expected '%s', got '%s'", what, want, got);
}

/* EXPECT WHAT ARGS... */
static void step_expect(char **w, size_t n)
{
	const char *what = n > 1 ? w[1] : "";
	char got[sizeof(alerts_seen)];
	json_t *st;

	if (strcmp(what, "answer") == 0 && n == 3) {
		expect_str("answer", last_answer, w[2]);
		return;
	}
	if (strcmp(what, "rcode") == 0 && n == 3) {
		expect_str("rcode", last_rcode, w[2]);
		return;
	}
	if (strcmp(what, "scope") == 0 && n == 3) {
		snprintf(got, sizeof(got), "%d", last_scope);
		expect_str("ECS scope", got, w[2]);
		return;
	}
	if (strcmp(what, "alerts") == 0) {
		char want[1024] = "";

		for (size_t i = 2; i < n; i++) {
			size_t u = strlen(want);

			snprintf(want + u, sizeof(want) - u, "%s%s", i > 2 ? " " : "", w[i]);
		}
		if (strcmp(want, "none") == 0)
			want[0] = '\0';
		snprintf(got, sizeof(got), "%s", alerts_seen);
		alerts_seen[0] = '\0';
		expect_str("alerts", got, want);
		return;
	}
	if (strcmp(what, "scan") == 0 && n == 4) {
		/* EXPECT scan DC MIN..MAX: clients answered DC first */
		unsigned k = 0, lo, hi;

		if (sscanf(w[3], "%u..%u", &lo, &hi) != 2) {
			if (sscanf(w[3], "%u", &lo) != 1)
				die(2, "EXPECT scan DC N or MIN..MAX");
			hi = lo;
		}
		for (size_t i = 0; i < scan_count; i++)
			k += strcmp(scan[i].dc, w[2]) == 0;
		if (k < lo || k > hi)
			die(1, "scan: %s answered to %u of %zu clients, not %u..%u", w[2], k,
			    scan_count, lo, hi);
		trace("  scan: %s answered to %u of %zu clients", w[2], k, scan_count);
		return;
	}
	if (strcmp(what, "scan-scope") == 0 && n == 3) {
		for (size_t i = 0; i < scan_count; i++) {
			if (scan[i].scope != atoi(w[2]))
				die(1, "scan: client %s/24 got scope %d, not %s", scan[i].addr,
				    scan[i].scope, w[2]);
		}
		return;
	}
	if (strcmp(what, "scan-same") == 0 && n == 2) {
		/* the same clients got the same datacenters as in the scan before */
		if (scan_count != prev_scan_count)
			die(1, "scan-same: %zu clients now, %zu before", scan_count,
			    prev_scan_count);
		for (size_t i = 0; i < scan_count; i++) {
			if (strcmp(scan[i].dc, prev_scan[i].dc) != 0)
				die(1, "scan-same: client %s/24 got %s, %s before", scan[i].addr,
				    scan[i].dc, prev_scan[i].dc);
		}
		return;
	}
	st = status_json(ctl, snapshot_current(), mono);
	if ((strcmp(what, "health") == 0 || strcmp(what, "state") == 0 ||
	     strcmp(what, "admin") == 0) &&
	    n == 4) {
		snprintf(got, sizeof(got), "%s",
			 json_string_value(json_object_get(status_dc(st, w[2]), what)));
		expect_str(what, got, w[3]);
	} else if (strcmp(what, "reason") == 0 && n == 4) {
		const char *r = json_string_value(json_object_get(status_dc(st, w[2]), "reason"));

		if (r == NULL || strstr(r, w[3]) == NULL)
			die(1, "reason of %s: '%s' does not say '%s'", w[2], r != NULL ? r : "",
			    w[3]);
	} else if ((strcmp(what, "share") == 0 || strcmp(what, "util") == 0) && n == 4) {
		json_t *lo = json_object_get(status_dc(st, w[2]), "load");
		json_t *v =
		    json_object_get(lo, strcmp(what, "share") == 0 ? "share" : "utilisation");

		if (!json_is_number(v))
			snprintf(got, sizeof(got), "none");
		else if (strcmp(what, "share") == 0)
			snprintf(got, sizeof(got), "%g", json_number_value(v));
		else
			snprintf(got, sizeof(got), "%.0f", json_number_value(v) * 100);
		expect_str(what, got, w[3]);
	} else if (strcmp(what, "ranking") == 0 && n == 4) {
		join_dcs(json_object_get(json_object_get(st, "latency"), w[2]), got, sizeof(got));
		expect_str("ranking", got, w[3]);
	} else if (strcmp(what, "least_load") == 0 && n == 3) {
		join_dcs(json_object_get(st, "least_load"), got, sizeof(got));
		expect_str("least_load", got, w[2]);
	} else {
		die(2, "unknown EXPECT '%s' with %zu arguments", what, n - 2);
	}
	json_decref(st);
}

/* Does line start with the word w? */
static bool first_word_is(const char *line, const char *w)
{
	size_t n = strlen(w);

	return strncmp(line, w, n) == 0 &&
	       (line[n] == '\0' || line[n] == ' ' || line[n] == '\t' || line[n] == ';');
}

/* Run lines [from, to); REPEAT N ... END blocks nest. */
static void run(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		char *copy = xstrdup(lines[i]), *w[MAX_WORDS];
		size_t n = split(copy, w);

		cur_line = line_no[i];
		if (n == 0) {
			free(copy);
			continue;
		}
		if (strcmp(w[0], "REPEAT") == 0) {
			unsigned times = n == 2 ? (unsigned)atoi(w[1]) : 0, depth = 1;
			size_t end;

			for (end = i + 1; end < to; end++) {
				if (first_word_is(lines[end], "REPEAT"))
					depth++;
				else if (first_word_is(lines[end], "END") && --depth == 0)
					break;
			}
			if (end == to)
				die(2, "REPEAT without END");
			free(copy);
			for (unsigned k = 0; k < times; k++)
				run(i + 1, end);
			i = end;
			continue;
		}
		if (strcmp(w[0], "TIME") != 0)
			trace("%s", lines[i]);
		if (strcmp(w[0], "TIME") == 0) {
			if (n != 2 || w[1][0] != '+')
				die(2, "TIME +DURATION");
			advance(parse_duration(w[1] + 1));
		} else if (strcmp(w[0], "REPORT") == 0) {
			step_report(w, n);
		} else if (strcmp(w[0], "DRAIN") == 0) {
			step_admin(w, n, ADMIN_DRAIN);
		} else if (strcmp(w[0], "UNDRAIN") == 0) {
			step_admin(w, n, ADMIN_NONE);
		} else if (strcmp(w[0], "FORCEUP") == 0) {
			step_admin(w, n, ADMIN_FORCE_UP);
		} else if (strcmp(w[0], "RESTART") == 0) {
			/* gslbd stopped and started again: a new control plane from
			 * the config and the state file, health from nothing. */
			stop();
			start();
		} else if (strcmp(w[0], "QUERY") == 0) {
			step_query(w, n);
		} else if (strcmp(w[0], "SCAN") == 0) {
			step_scan(w, n);
		} else if (strcmp(w[0], "EXPECT") == 0) {
			step_expect(w, n);
		} else {
			die(2, "unknown step '%s'", w[0]);
		}
		free(copy);
	}
}

/* Remove the work folder (its files, flat). */
static void remove_workdir(void)
{
	DIR *d = opendir(workdir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[sizeof(workdir) + 300];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", workdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(workdir);
}

int main(int argc, char **argv)
{
	char state[1200];

	if (argc != 2) {
		fprintf(stderr, "usage: gslbd-replay SCENARIO.rpl\n");
		return 2;
	}
	scen_path = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_scenario();
	/* A scenario starts without overrides. */
	snprintf(state, sizeof(state), "%s/state.json", workdir);
	unlink(state);
	scratch = answer_scratch_new();
	start();
	run(0, line_count);
	stop();
	answer_scratch_free(scratch);
	for (size_t i = 0; i < line_count; i++)
		free(lines[i]);
	printf("PASS %s (%llu ms of virtual time)\n", scen_path,
	       (unsigned long long)(mono - MONO_START));
	remove_workdir();
	return 0;
}

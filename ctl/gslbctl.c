/* gslbctl: the operator's command-line client of gslbd's HTTP API. It shows
 * the status of datacenters, probes, zones and names, drains, undrains and
 * forces up datacenters, explains a load-balancing decision and asks for a
 * reload. One request per run, with libcurl (easy interface) and jansson.
 *
 * Exit status: 0 success, 1 the server refused (4xx/5xx, or an answer that
 * cannot be understood), 2 usage error, 3 the server cannot be reached. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/xalloc.h"
#include "ctl/decisions.h"

#define DEFAULT_URL        "http://127.0.0.1:8053"
#define CONNECT_TIMEOUT_MS 2000L
#define TOTAL_TIMEOUT_MS   10000L
/* A reload replies when it has ended: a big signed zone takes minutes. */
#define RELOAD_TIMEOUT_MS  900000L
/* Longest response body accepted; status of a large deployment fits easily. */
#define MAX_RESPONSE_LEN (64u * 1024 * 1024)
/* Longest admin token read from a file. */
#define MAX_TOKEN_LEN 4096

enum exit_code {
	EXIT_OK = 0,          /* success */
	EXIT_REFUSED = 1,     /* the server answered with an error */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_UNREACHABLE = 3, /* no answer from the server */
	EXIT_DISAGREE = 4,    /* fleet status: the servers disagree */
};

/* Settings from the command line and the environment. */
struct opts {
	const char *url;   /* base URL without a trailing slash (owned by main) */
	const char *token; /* admin token, or NULL */
	const char *ecs;   /* explain: ECS prefix, or NULL */
	bool aaaa;         /* explain: the AAAA answer */
	bool json;         /* print the server's JSON as it is */
	char **fleet;      /* -s URL1,URL2,...: every server (owned by main), or NULL */
	size_t fleet_count; /* entries at fleet */
	const char *cacert; /* --cacert: CAs an https server's certificate must chain to, or NULL */
	const char *cert;   /* --cert: client certificate (PEM), or NULL */
	const char *key;    /* --key: its private key (PEM), or NULL: in the --cert file */
	struct decisions_opts dec; /* decisions: what to read and the filters */
};

/* A response being received, then received. */
struct response {
	char *body;     /* NUL-terminated body (caller frees) */
	size_t len;     /* bytes at body */
	bool too_large; /* the body went over MAX_RESPONSE_LEN */
	long code;      /* HTTP status */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gslbctl [-s URL] [-t TOKEN | -T TOKEN-FILE] [--cacert FILE] [--json] COMMAND "
		"[ARGS]\n"
		"\n"
		"commands:\n"
		"  status             datacenters, probes, zones and names\n"
		"  drain DC           stop answering with datacenter DC\n"
		"  undrain DC         remove the operator's override of DC\n"
		"  force-up DC        answer with DC whatever its health\n"
		"  explain NAME CLIENT-IP [--ecs PREFIX] [--aaaa]\n"
		"                     how NAME is answered for a resolver at CLIENT-IP\n"
		"  reload [ZONE]      reload configuration, zones and GeoIP data; with ZONE,\n"
		"                     read that zone's file again with the running config\n"
		"  decisions (--file FILE | --socket PATH) [--name NAME] [--dc DC]\n"
		"            [--client PREFIX] [-n COUNT]\n"
		"                     the datacenters load-balanced answers gave, and why, from\n"
		"                     gslbd's dnstap: the last COUNT (default 20) in FILE, or\n"
		"                     live as the collector on the unix socket PATH\n"
		"\n"
		"options:\n"
		"  -s, --server URL   the HTTP API (default $GSLBCTL_URL, else %s); URL1,URL2,...\n"
		"                     for a fleet: status side by side, drains sent to each\n"
		"  -t, --token TOKEN  admin token (default $GSLBCTL_TOKEN)\n"
		"  -T, --token-file FILE\n"
		"                     read the admin token from the first line of FILE\n"
		"      --cacert FILE  https: check the server's certificate against the CAs in\n"
		"                     FILE (default $GSLBCTL_CACERT, else the system's)\n"
		"      --cert FILE    https: show this client certificate (PEM)\n"
		"      --key FILE     https: the client certificate's key (default: in --cert)\n"
		"      --json         print the server's JSON answer as it is\n"
		"      --ecs PREFIX   explain: the query carries this EDNS Client Subnet\n"
		"      --aaaa         explain: the AAAA answer instead of A\n"
		"      --name, --dc, --client, -n, --file, --socket: see decisions\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"\n"
		"exit status: 0 ok, 1 the server refused, 2 usage error, 3 server unreachable,\n"
		"4 the servers of a fleet disagree\n",
		DEFAULT_URL);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("gslbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(gslbctl -h for help)\n", stderr);
	return EXIT_USAGE;
}

/* Read the first line of path into a new string (*out, caller frees).
 * Returns 0, or -1 with a message printed. */
static int read_token_file(const char *path, char **out)
{
	char buf[MAX_TOKEN_LEN + 2];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "gslbctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fprintf(stderr, "gslbctl: %s: %s\n", path,
			ferror(f) ? strerror(errno)
				  : "empty file, expected the token on its first line");
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n > MAX_TOKEN_LEN) {
		fprintf(stderr, "gslbctl: %s: the token is longer than %d bytes\n", path,
			MAX_TOKEN_LEN);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "gslbctl: %s: the first line is empty\n", path);
		return -1;
	}
	*out = xstrndup(buf, n);
	return 0;
}

/* A token goes into a header line: no control characters. */
static bool token_is_valid(const char *token)
{
	for (const unsigned char *p = (const unsigned char *)token; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;

	if (n > MAX_RESPONSE_LEN - r->len) {
		r->too_large = true;
		return 0;
	}
	r->body = xreallocarray(r->body, r->len + n + 1, 1);
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* One request: method "GET" or "POST" (empty body) to o->url + path, with
 * the admin token when with_token. Fills *r (caller frees r->body). Returns
 * EXIT_OK when an HTTP response came back (whatever its status), else
 * EXIT_UNREACHABLE or EXIT_REFUSED with the reason printed. */
static int request(const struct opts *o, const char *method, const char *path, bool with_token,
		   struct response *r)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	char *url = xasprintf("%s%s", o->url, path);
	char *auth = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;
	int ret = EXIT_OK;

	memset(r, 0, sizeof(*r));
	if (c == NULL) {
		fprintf(stderr, "gslbctl: cannot initialise libcurl\n");
		free(url);
		return EXIT_UNREACHABLE;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (with_token && o->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", o->token);
		headers = curl_slist_append(headers, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 strncmp(path, "/v1/reload", 10) == 0 ? RELOAD_TIMEOUT_MS : TOTAL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gslbctl/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->cert != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
	if (o->key != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, o->key);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	rc = curl_easy_perform(c);
	if (r->too_large) {
		fprintf(stderr, "gslbctl: %s %s: the response is larger than %u bytes\n", method,
			url, MAX_RESPONSE_LEN);
		ret = EXIT_REFUSED;
	} else if (rc != CURLE_OK) {
		fprintf(stderr, "gslbctl: cannot reach %s: %s\n", o->url,
			errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		ret = EXIT_UNREACHABLE;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	}
	if (r->body == NULL)
		r->body = xstrdup("");
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (auth != NULL) {
		/* the token should not linger in freed memory */
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(url);
	return ret;
}

/* Turn a response into its JSON document (*out, caller owns the reference).
 * A 2xx with a JSON object gives EXIT_OK; anything else prints the reason
 * (the server's "error" text with the HTTP status) and gives EXIT_REFUSED. */
static int response_json(const struct response *r, const char *what, json_t **out)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->len, 0, &jerr);
	const char *msg = json_string_value(json_object_get(j, "error"));

	*out = NULL;
	if (r->code < 200 || r->code > 299) {
		if (msg == NULL) {
			/* not our JSON: show the first line of a text body */
			int n = r->body[0] == '<' ? 0 : (int)strcspn(r->body, "\r\n");

			fprintf(stderr, "gslbctl: %s: the server refused (HTTP %ld)%s%.*s\n", what,
				r->code, n > 0 ? ": " : "", n > 200 ? 200 : n, r->body);
		} else {
			fprintf(stderr, "gslbctl: %s: the server refused (HTTP %ld): %s\n", what,
				r->code, msg);
		}
		json_decref(j);
		return EXIT_REFUSED;
	}
	if (!json_is_object(j)) {
		fprintf(stderr, "gslbctl: %s: the server's answer is not a JSON object%s%s\n", what,
			j == NULL ? ": " : "", j == NULL ? jerr.text : "");
		json_decref(j);
		return EXIT_REFUSED;
	}
	*out = j;
	return EXIT_OK;
}

/* Print the raw body for --json (with a final newline). */
static void print_raw(const struct response *r)
{
	fputs(r->body, stdout);
	if (r->len == 0 || r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

/* ---- text of JSON values ------------------------------------------------- */

/* v as text in buf: strings as they are, numbers as short decimals, booleans
 * yes/no, missing or null "-". Returns buf. */
static const char *vtext(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.6g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, len, "yes");
	else if (json_is_false(v))
		snprintf(buf, len, "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

/* Member key of o as text (see vtext). */
static const char *mtext(const json_t *o, const char *key, char *buf, size_t len)
{
	return vtext(json_object_get(o, key), buf, len);
}

/* A number of milliseconds as "2.5ms", "71ms" or "3.2s"; "-" when missing
 * or negative (no measurement). */
static const char *ms_text(const json_t *v, char *buf, size_t len)
{
	double ms;

	if (!json_is_number(v) || (ms = json_number_value(v)) < 0)
		snprintf(buf, len, "-");
	else if (ms < 10)
		snprintf(buf, len, "%.1fms", ms);
	else if (ms < 1000)
		snprintf(buf, len, "%.0fms", ms);
	else
		snprintf(buf, len, "%.1fs", ms / 1000);
	return buf;
}

/* ---- aligned tables ------------------------------------------------------ */

/* Rows of text cells printed with every column padded to its widest cell. */
struct table {
	size_t cols;  /* cells per row */
	size_t rows;  /* rows so far (the header is row 0) */
	char **cells; /* rows * cols owned strings */
};

static void table_init(struct table *t, size_t cols)
{
	t->cols = cols;
	t->rows = 0;
	t->cells = NULL;
}

/* Add a row of t->cols strings (copied). */
static void table_add(struct table *t, const char *const *cells)
{
	t->cells = xreallocarray(t->cells, (t->rows + 1) * t->cols, sizeof(*t->cells));
	for (size_t i = 0; i < t->cols; i++)
		t->cells[t->rows * t->cols + i] = xstrdup(cells[i] != NULL ? cells[i] : "-");
	t->rows++;
}

/* Print with indent spaces before each row and free the cells. */
static void table_print_fini(struct table *t, int indent)
{
	size_t *w = xcalloc(t->cols, sizeof(*w));

	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->cols; i++) {
			size_t n = strlen(t->cells[r * t->cols + i]);

			if (n > w[i])
				w[i] = n;
		}
	for (size_t r = 0; r < t->rows; r++) {
		printf("%*s", indent, "");
		for (size_t i = 0; i < t->cols; i++) {
			const char *s = t->cells[r * t->cols + i];

			if (i + 1 == t->cols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int)w[i], s);
		}
	}
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	t->cells = NULL;
	t->rows = 0;
}

/* ---- status -------------------------------------------------------------- */

/* Does some element of the array a have member key? */
static bool any_has(const json_t *a, const char *key)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_object_get(v, key) != NULL)
			return true;
	}
	return false;
}

static void print_datacenters(const json_t *dcs)
{
	bool health = any_has(dcs, "health");
	struct table t;
	size_t i;
	json_t *dc;

	table_init(&t, health ? 6 : 5);
	if (health)
		table_add(&t, (const char *[]){"DATACENTER", "REGION", "STATE", "HEALTH", "ADMIN",
					       "REASON"});
	else
		table_add(&t, (const char *[]){"DATACENTER", "REGION", "STATE", "ADMIN", "REASON"});
	json_array_foreach(dcs, i, dc)
	{
		char n[256], r[256], s[64], h[64], a[64], why[512];

		mtext(dc, "name", n, sizeof(n));
		mtext(dc, "region", r, sizeof(r));
		mtext(dc, "state", s, sizeof(s));
		mtext(dc, "health", h, sizeof(h));
		mtext(dc, "admin", a, sizeof(a));
		mtext(dc, "reason", why, sizeof(why));
		if (health)
			table_add(&t, (const char *[]){n, r, s, h, a, why});
		else
			table_add(&t, (const char *[]){n, r, s, a, why});
	}
	table_print_fini(&t, 0);
}

/* A number as "%g", or as a percentage of 1 ("12.5%"), or "-" when v is
 * not a number. */
static const char *num_text(const json_t *v, bool percent, char *buf, size_t len)
{
	if (!json_is_number(v))
		snprintf(buf, len, "-");
	else if (percent)
		snprintf(buf, len, "%.1f%%", json_number_value(v) * 100);
	else
		snprintf(buf, len, "%g", json_number_value(v));
	return buf;
}

/* The datacenters with a capacity: load, utilisation and spill-over share. */
static void print_loads(const json_t *dcs)
{
	struct table t;
	bool any = false;
	size_t i;
	json_t *dc;

	json_array_foreach(dcs, i, dc) any = any || json_is_object(json_object_get(dc, "load"));
	if (!any)
		return;
	table_init(&t, 6);
	table_add(&t, (const char *[]){"DATACENTER", "LOAD", "CAPACITY", "UTILISATION", "SHARE",
				       "PROBES"});
	json_array_foreach(dcs, i, dc)
	{
		const json_t *l = json_object_get(dc, "load");
		char n[256], ld[64], cap[64], u[64], sh[64], pr[32];

		if (!json_is_object(l))
			continue;
		table_add(&t, (const char *[]){
				  mtext(dc, "name", n, sizeof(n)),
				  num_text(json_object_get(l, "load"), false, ld, sizeof(ld)),
				  num_text(json_object_get(l, "capacity"), false, cap, sizeof(cap)),
				  num_text(json_object_get(l, "utilisation"), true, u, sizeof(u)),
				  num_text(json_object_get(l, "share"), true, sh, sizeof(sh)),
				  num_text(json_object_get(l, "samples"), false, pr, sizeof(pr))});
	}
	printf("\n");
	table_print_fini(&t, 0);
}

/* Each datacenter's "probes": what every probe said about it. */
static void print_dc_probes(const json_t *dcs)
{
	size_t i;
	json_t *dc;

	json_array_foreach(dcs, i, dc)
	{
		const json_t *probes = json_object_get(dc, "probes");
		struct table t;
		char name[256];
		size_t k;
		json_t *p;

		if (json_array_size(probes) == 0)
			continue;
		printf("\nprobes of %s:\n", mtext(dc, "name", name, sizeof(name)));
		table_init(&t, 8);
		table_add(&t, (const char *[]){"PROBE", "REGION", "VERDICT", "FRESH", "AGE", "RTT",
					       "STATUS", "ERROR"});
		json_array_foreach(probes, k, p)
		{
			char id[256], r[256], v[64], f[16], age[32], rtt[32], st[32], err[512];

			table_add(&t, (const char *[]){
					  mtext(p, "probe", id, sizeof(id)),
					  mtext(p, "region", r, sizeof(r)),
					  mtext(p, "verdict", v, sizeof(v)),
					  mtext(p, "fresh", f, sizeof(f)),
					  ms_text(json_object_get(p, "age_ms"), age, sizeof(age)),
					  ms_text(json_object_get(p, "rtt_ms"), rtt, sizeof(rtt)),
					  mtext(p, "last_status", st, sizeof(st)),
					  mtext(p, "last_error", err, sizeof(err))});
		}
		table_print_fini(&t, 2);
	}
}

/* The top-level "probes" (who reports, how recently) and "latency"
 * (measured RTTs per region). */
static void print_probes_latency(const json_t *root)
{
	const json_t *probes = json_object_get(root, "probes");
	const json_t *latency = json_object_get(root, "latency");

	if (json_array_size(probes) > 0) {
		struct table t;
		size_t i;
		json_t *p;

		printf("\nprobes:\n");
		table_init(&t, 3);
		table_add(&t, (const char *[]){"PROBE", "REGION", "LAST REPORT"});
		json_array_foreach(probes, i, p)
		{
			char id[256], r[256], age[32];
			const json_t *a = json_object_get(p, "last_report_age_ms");

			ms_text(a, age, sizeof(age));
			if (strcmp(age, "-") == 0)
				snprintf(age, sizeof(age), "never");
			else
				strncat(age, " ago", sizeof(age) - strlen(age) - 1);
			table_add(&t, (const char *[]){mtext(p, "id", id, sizeof(id)),
						       mtext(p, "region", r, sizeof(r)), age});
		}
		table_print_fini(&t, 2);
	}
	if (json_is_object(latency) && json_object_size(latency) > 0) {
		struct table t;
		const char *region;
		json_t *list;

		printf("\nround-trip times by region:\n");
		table_init(&t, 3);
		table_add(&t, (const char *[]){"REGION", "DATACENTER", "RTT"});
		json_object_foreach((json_t *)latency, region, list)
		{
			size_t k;
			json_t *e;

			json_array_foreach(list, k, e)
			{
				char dc[256], rtt[32];

				table_add(&t, (const char *[]){
						  region, mtext(e, "datacenter", dc, sizeof(dc)),
						  ms_text(json_object_get(e, "rtt_ms"), rtt,
							  sizeof(rtt))});
			}
		}
		table_print_fini(&t, 2);
	}
}

static void print_zones_names(const json_t *root)
{
	const json_t *zones = json_object_get(root, "zones");
	const json_t *names = json_object_get(root, "names");
	struct table t;
	size_t i;
	json_t *v;

	if (json_array_size(zones) > 0) {
		printf("\n");
		table_init(&t, 3);
		table_add(&t, (const char *[]){"ZONE", "SERIAL", "RECORDS"});
		json_array_foreach(zones, i, v)
		{
			char n[512], s[32], r[32];

			table_add(&t, (const char *[]){mtext(v, "name", n, sizeof(n)),
						       mtext(v, "serial", s, sizeof(s)),
						       mtext(v, "records", r, sizeof(r))});
		}
		table_print_fini(&t, 0);
	}
	if (json_array_size(names) > 0) {
		printf("\n");
		table_init(&t, 2);
		table_add(&t, (const char *[]){"NAME", "POOL"});
		json_array_foreach(names, i, v)
		{
			char n[512], p[256];

			table_add(&t, (const char *[]){mtext(v, "name", n, sizeof(n)),
						       mtext(v, "pool", p, sizeof(p))});
		}
		table_print_fini(&t, 0);
	}
}

static int cmd_status(const struct opts *o)
{
	struct response r;
	json_t *j;
	int rc = request(o, "GET", "/v1/status", false, &r);

	if (rc == EXIT_OK)
		rc = response_json(&r, "status", &j);
	if (rc == EXIT_OK && o->json) {
		print_raw(&r);
		json_decref(j);
	} else if (rc == EXIT_OK) {
		const json_t *dcs = json_object_get(j, "datacenters");
		char gen[32];

		if (json_object_get(j, "generation") != NULL)
			printf("generation: %s\n\n", mtext(j, "generation", gen, sizeof(gen)));
		if (json_array_size(dcs) == 0)
			printf("no datacenters\n");
		else
			print_datacenters(dcs);
		print_loads(dcs);
		print_dc_probes(dcs);
		print_probes_latency(j);
		print_zones_names(j);
		json_decref(j);
	}
	free(r.body);
	return rc;
}

/* ---- the fleet: several servers at once ------------------------------- */

/* What one datacenter is on one server, as one cell: "up", "down:drain"... */
static void dc_cell(const json_t *dc, char *buf, size_t len)
{
	char s[32], a[32];

	mtext(dc, "state", s, sizeof(s));
	mtext(dc, "admin", a, sizeof(a));
	if (strcmp(a, "none") == 0 || strcmp(a, "-") == 0 || a[0] == '\0')
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s:%s", s, a);
}

/* status of every server side by side; exit 3 if one is unreachable, 4 if
 * they disagree on a datacenter (its state or override), else 0. */
static int cmd_fleet_status(const struct opts *o)
{
	size_t n = o->fleet_count;
	json_t **st = xcalloc(n, sizeof(*st));
	bool unreachable = false, disagree = false;
	json_t *names = json_array(), *dc;
	struct table t;
	size_t i;

	for (size_t k = 0; k < n; k++) {
		struct opts one = *o;
		struct response r = {0};

		one.url = o->fleet[k];
		one.fleet = NULL;
		if (request(&one, "GET", "/v1/status", false, &r) != EXIT_OK ||
		    response_json(&r, o->fleet[k], &st[k]) != EXIT_OK) {
			st[k] = NULL;
			unreachable = true;
		}
		free(r.body);
		json_array_foreach(st[k] != NULL ? json_object_get(st[k], "datacenters") : NULL, i,
				   dc)
		{
			const char *name = json_string_value(json_object_get(dc, "name"));
			bool seen = false;
			json_t *v;
			size_t j;

			json_array_foreach(names, j, v) seen = seen || strcmp(json_string_value(v), name) == 0;
			if (name != NULL && !seen)
				json_array_append_new(names, json_string(name));
		}
	}
	table_init(&t, n + 2);
	{
		const char **row = xcalloc(n + 2, sizeof(*row));

		row[0] = "DATACENTER";
		for (size_t k = 0; k < n; k++)
			row[k + 1] = o->fleet[k];
		row[n + 1] = "AGREE";
		table_add(&t, row);
		json_array_foreach(names, i, dc)
		{
			char (*cells)[96] = xcalloc(n, sizeof(*cells));
			bool same = true;

			row[0] = json_string_value(dc);
			for (size_t k = 0; k < n; k++) {
				json_t *d, *mine = NULL;
				size_t j;

				json_array_foreach(st[k] != NULL ? json_object_get(st[k], "datacenters")
								 : NULL,
						   j, d)
				{
					if (strcmp(json_string_value(json_object_get(d, "name")),
						   row[0]) == 0)
						mine = d;
				}
				if (st[k] == NULL)
					snprintf(cells[k], sizeof(cells[k]), "unreachable");
				else if (mine == NULL)
					snprintf(cells[k], sizeof(cells[k]), "absent");
				else
					dc_cell(mine, cells[k], sizeof(cells[k]));
				row[k + 1] = cells[k];
				if (st[k] != NULL && k > 0 && st[0] != NULL && strcmp(cells[k], cells[0]) != 0)
					same = false;
			}
			row[n + 1] = same ? "yes" : "NO";
			disagree = disagree || !same;
			table_add(&t, row);
			free(cells);
		}
		free(row);
	}
	table_print_fini(&t, 0);
	for (size_t k = 0; k < n; k++) {
		char gen[32];

		const json_t *etcd = st[k] != NULL ? json_object_get(st[k], "etcd") : NULL;

		if (st[k] == NULL) {
			printf("%s: unreachable\n", o->fleet[k]);
		} else if (etcd != NULL) {
			char rev[32], state[128];

			printf("%s: generation %s, etcd revision %s (%s)\n", o->fleet[k],
			       mtext(st[k], "generation", gen, sizeof(gen)),
			       mtext(etcd, "revision", rev, sizeof(rev)),
			       mtext(etcd, "state", state, sizeof(state)));
			/* Operator state of another generation than the first's. */
			if (st[0] != NULL && json_object_get(st[0], "etcd") != NULL &&
			    json_integer_value(json_object_get(etcd, "revision")) !=
				json_integer_value(json_object_get(json_object_get(st[0], "etcd"),
								   "revision")))
				disagree = true;
		} else {
			printf("%s: generation %s\n", o->fleet[k],
			       mtext(st[k], "generation", gen, sizeof(gen)));
		}
	}
	for (size_t k = 0; k < n; k++)
		json_decref(st[k]);
	if (disagree)
		printf("the servers disagree (rows marked NO, or another etcd revision)\n");
	json_decref(names);
	free(st);
	return unreachable ? EXIT_UNREACHABLE : disagree ? EXIT_DISAGREE : EXIT_OK;
}

/* The status of server url, or NULL when it cannot be had. */
static json_t *status_of(const struct opts *o, const char *url)
{
	struct opts one = *o;
	struct response r = {0};
	json_t *j = NULL;

	one.url = url;
	one.fleet = NULL;
	if (request(&one, "GET", "/v1/status", false, &r) != EXIT_OK ||
	    response_json(&r, url, &j) != EXIT_OK)
		j = NULL;
	free(r.body);
	return j;
}

/* The override ("drain", "force-up", "none") datacenter dc has in status
 * st, or NULL. */
static const char *admin_in(const json_t *st, const char *dc)
{
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(st, "datacenters"), i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "name")) ?: "", dc) == 0)
			return json_string_value(json_object_get(d, "admin"));
	}
	return NULL;
}

static int cmd_admin(const struct opts *o, const char *action, const char *dc);

/* With etcd the fleet shares one state: the override is written once,
 * through the first server that answers, and each server is watched (up
 * to 5 s) until it shows it. */
static int fleet_admin_etcd(const struct opts *o, const char *action, const char *dc)
{
	const char *want = strcmp(action, "undrain") == 0 ? "none" : action;
	int rc = EXIT_UNREACHABLE, worst = EXIT_OK;
	struct timespec pause = {0, 100000000L};

	for (size_t k = 0; k < o->fleet_count && rc == EXIT_UNREACHABLE; k++) {
		struct opts one = *o;

		one.url = o->fleet[k];
		one.fleet = NULL;
		printf("%s: written through it: ", o->fleet[k]);
		fflush(stdout);
		rc = cmd_admin(&one, action, dc);
		if (rc != EXIT_OK)
			printf("not written\n");
	}
	if (rc != EXIT_OK)
		return rc;
	for (size_t k = 0; k < o->fleet_count; k++) {
		json_t *st = NULL;
		const char *have = NULL;

		for (int tries = 0; tries < 50; tries++) {
			json_decref(st);
			st = status_of(o, o->fleet[k]);
			have = st != NULL ? admin_in(st, dc) : NULL;
			if (have != NULL && strcmp(have, want) == 0)
				break;
			nanosleep(&pause, NULL);
		}
		if (st == NULL) {
			printf("%s: unreachable\n", o->fleet[k]);
			worst = EXIT_UNREACHABLE;
		} else if (have != NULL && strcmp(have, want) == 0) {
			printf("%s: applied (%s: %s)\n", o->fleet[k], dc, want);
		} else {
			printf("%s: not applied (%s: %s)\n", o->fleet[k], dc, have != NULL ? have : "?");
			if (worst == EXIT_OK)
				worst = EXIT_DISAGREE;
		}
		json_decref(st);
	}
	return worst;
}

/* ---- writes ----------------------------------------------------------- */

static int cmd_admin(const struct opts *o, const char *action, const char *dc)
{
	CURL *c = curl_easy_init();
	char *esc = c != NULL ? curl_easy_escape(c, dc, 0) : NULL;
	char *path, *what;
	struct response r = {0};
	json_t *j = NULL;
	int rc;

	if (esc == NULL) {
		fprintf(stderr, "gslbctl: cannot initialise libcurl\n");
		curl_easy_cleanup(c);
		return EXIT_UNREACHABLE;
	}
	path = xasprintf("/v1/datacenters/%s/%s", esc, action);
	what = xasprintf("%s %s", action, dc);
	curl_free(esc);
	curl_easy_cleanup(c);
	rc = request(o, "POST", path, true, &r);
	if (rc == EXIT_OK)
		rc = response_json(&r, what, &j);
	if (rc == EXIT_OK) {
		if (o->json)
			print_raw(&r);
		else
			printf("%s: %s\n", dc, action);
	}
	json_decref(j);
	free(r.body);
	free(path);
	free(what);
	return rc;
}

static int cmd_reload(const struct opts *o, const char *zone)
{
	struct response r = {0};
	json_t *j = NULL;
	char *path = NULL;
	int rc = EXIT_OK;

	if (zone != NULL) {
		CURL *c = curl_easy_init();
		char *ez = c != NULL ? curl_easy_escape(c, zone, 0) : NULL;

		if (ez == NULL) {
			fprintf(stderr, "gslbctl: cannot initialise libcurl\n");
			rc = EXIT_UNREACHABLE;
		} else {
			path = xasprintf("/v1/reload?zone=%s", ez);
		}
		curl_free(ez);
		curl_easy_cleanup(c);
		if (rc != EXIT_OK)
			return rc;
	}
	rc = request(o, "POST", path != NULL ? path : "/v1/reload", true, &r);
	free(path);

	if (rc == EXIT_OK)
		rc = response_json(&r, "reload", &j);
	if (rc == EXIT_OK) {
		char gen[32];

		if (o->json)
			print_raw(&r);
		else
			printf("reloaded: generation %s\n",
			       mtext(j, "generation", gen, sizeof(gen)));
	}
	json_decref(j);
	free(r.body);
	return rc;
}

/* ---- explain ------------------------------------------------------------- */

static void print_location(const json_t *j)
{
	const json_t *loc = json_object_get(j, "location");
	char a[256], b[256], p[32];

	mtext(loc, "prefix", p, sizeof(p));
	if (loc == NULL) {
		printf("location:  no GeoIP database\n");
	} else if (json_is_true(json_object_get(loc, "private"))) {
		printf("location:  private address\n");
	} else if (!json_is_true(json_object_get(loc, "found"))) {
		printf("location:  unknown (not in the database, network /%s)\n", p);
	} else {
		printf("location:  country=%s continent=%s", mtext(loc, "country", a, sizeof(a)),
		       mtext(loc, "continent", b, sizeof(b)));
		if (json_is_number(json_object_get(loc, "latitude")) &&
		    json_is_number(json_object_get(loc, "longitude")))
			printf(" lat=%.4f lon=%.4f",
			       json_number_value(json_object_get(loc, "latitude")),
			       json_number_value(json_object_get(loc, "longitude")));
		printf(" network=/%s\n", p);
	}
}

static void print_candidates(const json_t *j)
{
	const json_t *cands = json_object_get(j, "candidates");
	size_t i;
	json_t *v;

	printf("candidates:\n");
	if (json_array_size(cands) == 0)
		printf("  (none)\n");
	json_array_foreach(cands, i, v)
	{
		char dc[256], r[256], s[64], w[32], rtt[32];
		const json_t *up = json_object_get(v, "up");
		const json_t *x;

		if (json_is_string(json_object_get(v, "state")))
			mtext(v, "state", s, sizeof(s));
		else
			snprintf(s, sizeof(s), "%s", json_is_true(up) ? "up" : "down");
		printf("  %zu. %-16s region=%-14s %-4s", i + 1,
		       mtext(v, "datacenter", dc, sizeof(dc)), mtext(v, "region", r, sizeof(r)), s);
		if (json_is_false(json_object_get(v, "has_family")))
			printf(" (no address of this family)");
		printf(" weight=%s", mtext(v, "weight", w, sizeof(w)));
		if (json_is_number(x = json_object_get(v, "distance_km")))
			printf(" distance=%.0fkm", json_number_value(x));
		if ((x = json_object_get(v, "rtt_ms")) != NULL)
			printf(" rtt=%s", ms_text(x, rtt, sizeof(rtt)));
		if (json_is_number(x = json_object_get(v, "score")))
			printf(" score=%.4g", json_number_value(x));
		printf("\n");
	}
}

static void print_answer(const json_t *j)
{
	const json_t *answer = json_object_get(j, "answer");
	size_t i;
	json_t *v;

	printf("answer:   ");
	if (json_array_size(answer) == 0)
		printf(" (no records: NODATA)");
	json_array_foreach(answer, i, v)
	{
		const json_t *cname = json_object_get(v, "cname");
		char dc[256], buf[512];
		size_t k;
		json_t *a;

		printf(" %s:", mtext(v, "datacenter", dc, sizeof(dc)));
		if (cname != NULL)
			printf(" CNAME %s", vtext(cname, buf, sizeof(buf)));
		json_array_foreach(json_object_get(v, "addresses"), k, a)
		    printf(" %s", vtext(a, buf, sizeof(buf)));
	}
	printf("\n");
}

static void print_explain(const json_t *j)
{
	const json_t *client = json_object_get(j, "client");
	char a[512], b[64], c[256];

	printf("name:      %s %s\n", mtext(j, "name", a, sizeof(a)),
	       mtext(j, "qtype", b, sizeof(b)));
	if (client != NULL)
		printf("client:    %s/%s%s\n", mtext(client, "address", a, sizeof(a)),
		       mtext(client, "prefix", b, sizeof(b)),
		       json_is_true(json_object_get(client, "from_ecs")) ? " (from ECS)"
									 : " (resolver address)");
	print_location(j);
	printf("pool:      %s (ordered by %s)\n", mtext(j, "pool", a, sizeof(a)),
	       mtext(j, "reason", c, sizeof(c)));
	print_candidates(j);
	print_answer(j);
	printf("ttl:       %s\n", mtext(j, "ttl", a, sizeof(a)));
	printf("ecs scope: /%s\n", mtext(j, "ecs_scope", a, sizeof(a)));
	if (json_is_true(json_object_get(j, "failed_open")))
		printf("note:      every datacenter is down; answering with all (fail open)\n");
}

static int cmd_explain(const struct opts *o, const char *name, const char *client)
{
	CURL *c = curl_easy_init();
	char *en = NULL, *ec = NULL, *ee = NULL, *path = NULL;
	struct response r = {0};
	json_t *j = NULL;
	int rc = EXIT_OK;

	if (c != NULL) {
		en = curl_easy_escape(c, name, 0);
		ec = curl_easy_escape(c, client, 0);
		if (o->ecs != NULL)
			ee = curl_easy_escape(c, o->ecs, 0);
	}
	if (en == NULL || ec == NULL || (o->ecs != NULL && ee == NULL)) {
		fprintf(stderr, "gslbctl: cannot initialise libcurl\n");
		rc = EXIT_UNREACHABLE;
	} else {
		path = xasprintf("/v1/explain?name=%s&client=%s%s%s%s", en, ec,
				 ee != NULL ? "&ecs=" : "", ee != NULL ? ee : "",
				 o->aaaa ? "&qtype=AAAA" : "");
		rc = request(o, "GET", path, false, &r);
	}
	if (rc == EXIT_OK)
		rc = response_json(&r, "explain", &j);
	if (rc == EXIT_OK) {
		if (o->json)
			print_raw(&r);
		else
			print_explain(j);
	}
	json_decref(j);
	free(r.body);
	free(path);
	curl_free(en);
	curl_free(ec);
	curl_free(ee);
	curl_easy_cleanup(c);
	return rc;
}

/* ---- main ---------------------------------------------------------------- */

/* Run the command argv[0..argc-1]. */
static int run(const struct opts *o, int argc, char **argv)
{
	const char *cmd = argv[0];

	if ((o->ecs != NULL || o->aaaa) && strcmp(cmd, "explain") != 0)
		return usage_error("--ecs and --aaaa go with explain only");
	if (strcmp(cmd, "decisions") == 0) {
		struct decisions_opts d = o->dec;

		if (argc != 1)
			return usage_error("decisions takes options only");
		d.json = o->json;
		return decisions_run(&d);
	}
	if (o->dec.file != NULL || o->dec.socket != NULL || o->dec.name != NULL ||
	    o->dec.dc != NULL || o->dec.client != NULL)
		return usage_error("--file, --socket, --name, --dc and --client go with decisions "
				   "only");
	if (strcmp(cmd, "status") == 0) {
		if (argc != 1)
			return usage_error("status takes no arguments");
		return o->fleet != NULL ? cmd_fleet_status(o) : cmd_status(o);
	}
	if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0 ||
	    strcmp(cmd, "force-up") == 0) {
		int worst = EXIT_OK;

		if (argc != 2 || argv[1][0] == '\0')
			return usage_error("%s takes one DATACENTER", cmd);
		if (o->fleet == NULL)
			return cmd_admin(o, cmd, argv[1]);
		{
			json_t *st = status_of(o, o->fleet[0]);
			bool etcd = st != NULL && json_object_get(st, "etcd") != NULL;

			json_decref(st);
			if (etcd)
				return fleet_admin_etcd(o, cmd, argv[1]);
		}
		/* Every server, each told apart: which applied it. */
		for (size_t k = 0; k < o->fleet_count; k++) {
			struct opts one = *o;
			int rc;

			one.url = o->fleet[k];
			one.fleet = NULL;
			printf("%s: ", o->fleet[k]);
			fflush(stdout);
			rc = cmd_admin(&one, cmd, argv[1]);
			if (rc != EXIT_OK) {
				printf("not applied\n");
				if (worst == EXIT_OK || rc == EXIT_UNREACHABLE)
					worst = rc;
			}
		}
		return worst;
	}
	if (o->fleet != NULL)
		return usage_error("%s asks one server: give -s one URL", cmd);
	if (strcmp(cmd, "explain") == 0) {
		if (argc != 3)
			return usage_error("explain takes NAME CLIENT-IP [--ecs PREFIX] [--aaaa]");
		return cmd_explain(o, argv[1], argv[2]);
	}
	if (strcmp(cmd, "reload") == 0) {
		if (argc > 2)
			return usage_error("reload takes at most one zone name");
		return cmd_reload(o, argc == 2 ? argv[1] : NULL);
	}
	return usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	enum {
		OPT_JSON = 256,
		OPT_ECS,
		OPT_AAAA,
		OPT_CACERT,
		OPT_CERT,
		OPT_KEY,
		OPT_FILE,
		OPT_SOCKET,
		OPT_NAME,
		OPT_DC,
		OPT_CLIENT
	};
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"token", required_argument, NULL, 't'},
	    {"token-file", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"cacert", required_argument, NULL, OPT_CACERT},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"ecs", required_argument, NULL, OPT_ECS},
	    {"aaaa", no_argument, NULL, OPT_AAAA},
	    {"file", required_argument, NULL, OPT_FILE},
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"dc", required_argument, NULL, OPT_DC},
	    {"client", required_argument, NULL, OPT_CLIENT},
	    {"count", required_argument, NULL, 'n'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	const char *url = getenv("GSLBCTL_URL"), *token = NULL, *token_file = NULL;
	char *url_copy = NULL, *file_token = NULL;
	size_t n;
	int opt, rc;

	if (url == NULL || url[0] == '\0')
		url = DEFAULT_URL;
	o.dec.count = 20;
	while ((opt = getopt_long(argc, argv, "s:t:T:n:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			url = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'T':
			token_file = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_CACERT:
			o.cacert = optarg;
			break;
		case OPT_CERT:
			o.cert = optarg;
			break;
		case OPT_KEY:
			o.key = optarg;
			break;
		case OPT_ECS:
			o.ecs = optarg;
			break;
		case OPT_AAAA:
			o.aaaa = true;
			break;
		case OPT_FILE:
			o.dec.file = optarg;
			break;
		case OPT_SOCKET:
			o.dec.socket = optarg;
			break;
		case OPT_NAME:
			o.dec.name = optarg;
			break;
		case OPT_DC:
			o.dec.dc = optarg;
			break;
		case OPT_CLIENT:
			o.dec.client = optarg;
			break;
		case 'n': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' || v > 1000000)
				return usage_error("-n takes a count 0..1000000");
			o.dec.count = (size_t)v;
			break;
		}
		case 'V':
			printf("gslbctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fputs("(gslbctl -h for help)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("a command is required");
	if (token != NULL && token_file != NULL)
		return usage_error("-t and -T exclude each other");
	if (o.cacert == NULL && getenv("GSLBCTL_CACERT") != NULL &&
	    getenv("GSLBCTL_CACERT")[0] != '\0')
		o.cacert = getenv("GSLBCTL_CACERT");
	if (o.key != NULL && o.cert == NULL)
		return usage_error("--key goes with --cert");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return usage_error("the server URL '%s' is not http:// or https://", url);
	if (token_file != NULL) {
		if (read_token_file(token_file, &file_token) != 0)
			return EXIT_USAGE;
		token = file_token;
	} else if (token == NULL) {
		token = getenv("GSLBCTL_TOKEN");
		if (token != NULL && token[0] == '\0')
			token = NULL;
	}
	if (token != NULL && !token_is_valid(token)) {
		rc = usage_error("the admin token holds control characters");
		goto out;
	}
	/* the paths start with '/' */
	url_copy = xstrdup(url);
	n = strlen(url_copy);
	while (n > 0 && url_copy[n - 1] == '/')
		url_copy[--n] = '\0';
	o.url = url_copy;
	if (strchr(url_copy, ',') != NULL) {
		/* -s URL1,URL2,...: the fleet */
		char *save = NULL;

		o.fleet = xcalloc(strlen(url_copy) + 1, sizeof(*o.fleet));
		for (char *u = strtok_r(url_copy, ",", &save); u != NULL;
		     u = strtok_r(NULL, ",", &save)) {
			size_t m = strlen(u);

			while (m > 0 && u[m - 1] == '/')
				u[--m] = '\0';
			if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
				rc = usage_error("the server URL '%s' is not http:// or https://", u);
				goto out;
			}
			o.fleet[o.fleet_count++] = u;
		}
		o.url = o.fleet[0];
	}
	o.token = token;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "gslbctl: cannot initialise libcurl\n");
		rc = EXIT_UNREACHABLE;
	} else {
		rc = run(&o, argc - optind, argv + optind);
		curl_global_cleanup();
	}
out:
	free(o.fleet);
	free(url_copy);
	if (file_token != NULL) {
		memset(file_token, 0, strlen(file_token));
		free(file_token);
	}
	return rc;
}

#include <config.h>

#include "gslbd/net/status_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "gslbd/conf/conf.h"
#include "gslbd/dns/lb.h"
#include "gslbd/net/http_server.h"
#include "gslbd/dns/snapshot.h"
#include "gslbd/net/status_assets.h"

/* Map coordinates: equirectangular, viewBox 0 0 360 180. */
#define MAP_X(lon) ((lon) + 180.0)
#define MAP_Y(lat) (90.0 - (lat))

static const char *all_down_name(enum pool_all_down a)
{
	switch (a) {
	case POOL_ALL_DOWN_FAIL_OPEN:
		return "fail-open";
	case POOL_ALL_DOWN_EMPTY:
		return "empty";
	case POOL_ALL_DOWN_FALLBACK:
		return "fallback";
	}
	return "?";
}

/* Append s with the HTML special characters escaped. */
static void add_escaped(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, s, 1);
		}
	}
}

static const char *dc_state_name(const struct snapshot *snap, size_t i)
{
	return snap->dc_state[i] == DC_STATE_UP ? "up" : "down";
}

/* The static parts the script needs: coordinates and pools. */
static void add_config_json(struct evbuffer *b, const struct config *cfg)
{
	json_t *dcs = json_array(), *probes = json_array(), *pools = json_array();
	json_t *root;
	char *text;

	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];

		json_array_append_new(dcs,
				      json_pack("{s:s, s:s, s:f, s:f}", "name", dc->name, "region",
						dc->region, "lat", dc->lat, "lon", dc->lon));
	}
	for (size_t i = 0; i < cfg->probe_count; i++) {
		const struct config_probe *p = &cfg->probes[i];

		json_array_append_new(probes,
				      json_pack("{s:s, s:s, s:f, s:f}", "id", p->id, "region",
						p->region, "lat", p->lat, "lon", p->lon));
	}
	for (size_t i = 0; i < cfg->pool_count; i++) {
		const struct config_pool *pool = &cfg->pools[i];
		json_t *members = json_array();

		for (size_t k = 0; k < pool->dc_count; k++)
			json_array_append_new(members,
					      json_string(cfg->datacenters[pool->dcs[k]].name));
		json_array_append_new(
		    pools,
		    json_pack("{s:s, s:s, s:o, s:i, s:s, s:b}", "name", pool->name, "policy",
			      lb_policy_name(pool->policy), "datacenters", members, "answers",
			      (int)pool->answers, "all_down", all_down_name(pool->all_down),
			      "has_overrides", pool->country_count + pool->continent_count > 0));
	}
	root = json_pack("{s:o, s:o, s:o}", "datacenters", dcs, "probes", probes, "pools", pools);
	/* JSON_ESCAPE_SLASH: no "</script>" can end the block early. */
	text = json_dumps(root, JSON_COMPACT | JSON_ESCAPE_SLASH);
	evbuffer_add_printf(b, "<script type=\"application/json\" id=\"gslb-config\">%s</script>\n",
			    text);
	free(text);
	json_decref(root);
}

static void add_map(struct evbuffer *b, const struct snapshot *snap)
{
	const struct config *cfg = snap->config;

	evbuffer_add_printf(b, "<section id=\"map\"><h2>Map</h2>\n"
			       "<svg id=\"world\" viewBox=\"0 8 360 150\" role=\"img\" "
			       "aria-label=\"datacenters and probes on a world map\">\n");
	evbuffer_add(b, status_land_svg, strlen(status_land_svg));
	/* Probe to datacenter lines, grey until the script knows the verdicts. */
	evbuffer_add_printf(b, "<g id=\"links\">\n");
	for (size_t p = 0; p < cfg->probe_count; p++) {
		const struct config_probe *pr = &cfg->probes[p];

		for (size_t i = 0; i < cfg->datacenter_count; i++) {
			const struct config_datacenter *dc = &cfg->datacenters[i];

			if (dc->check < 0)
				continue;
			evbuffer_add_printf(
			    b, "<g class=\"link v-unknown\" id=\"l-p%zu-d%zu\"><title>", p, i);
			add_escaped(b, pr->id);
			evbuffer_add_printf(b, " &#8594; ");
			add_escaped(b, dc->name);
			evbuffer_add_printf(
			    b,
			    "</title><line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
			    "y2=\"%.2f\"/><text x=\"%.2f\" y=\"%.2f\"></text></g>\n",
			    MAP_X(pr->lon), MAP_Y(pr->lat), MAP_X(dc->lon), MAP_Y(dc->lat),
			    (MAP_X(pr->lon) + MAP_X(dc->lon)) / 2,
			    (MAP_Y(pr->lat) + MAP_Y(dc->lat)) / 2);
		}
	}
	evbuffer_add_printf(b, "</g>\n<g id=\"probes\">\n");
	for (size_t p = 0; p < cfg->probe_count; p++) {
		const struct config_probe *pr = &cfg->probes[p];

		evbuffer_add_printf(b,
				    "<g class=\"probe\" id=\"m-probe-%zu\"><rect x=\"%.2f\" "
				    "y=\"%.2f\" width=\"2.4\" height=\"2.4\"/><text x=\"%.2f\" "
				    "y=\"%.2f\">",
				    p, MAP_X(pr->lon) - 1.2, MAP_Y(pr->lat) - 1.2,
				    MAP_X(pr->lon) + 2, MAP_Y(pr->lat) + 4.5);
		add_escaped(b, pr->id);
		evbuffer_add_printf(b, "</text></g>\n");
	}
	evbuffer_add_printf(b, "</g>\n<g id=\"dcs\">\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];
		const char *st = dc_state_name(snap, i);

		evbuffer_add_printf(
		    b,
		    "<g class=\"dc st-%s\" id=\"m-dc-%zu\" data-state=\"%s\"><circle "
		    "cx=\"%.2f\" cy=\"%.2f\" r=\"2.6\"/><text x=\"%.2f\" y=\"%.2f\">",
		    st, i, st, MAP_X(dc->lon), MAP_Y(dc->lat), MAP_X(dc->lon) + 3,
		    MAP_Y(dc->lat) - 2.5);
		add_escaped(b, dc->name);
		evbuffer_add_printf(b, "</text></g>\n");
	}
	evbuffer_add_printf(
	    b, "</g>\n</svg>\n<p class=\"legend small\">"
	       "<span><span class=\"badge st-up\">up</span></span>"
	       "<span><span class=\"badge st-down\">down</span></span>"
	       "<span><span class=\"badge st-drained\">drained</span></span>"
	       "<span><span class=\"badge st-forced\">forced</span></span>"
	       "<span><span class=\"badge st-unknown\">unknown</span></span>"
	       "Squares are probes; lines are their verdicts (green up, red down, grey "
	       "unknown, dashed stale) with the smoothed RTT.</p></section>\n");
}

/* The last hour (GET /v1/history), drawn by the script: a timeline row per
 * datacenter, the answer share and the events. */
static void add_history(struct evbuffer *b, const struct config *cfg)
{
	evbuffer_add_printf(
	    b,
	    "<section id=\"history\"><h2>Last hour</h2>\n"
	    "<noscript><p class=\"small\">The timeline is drawn by the page's script; "
	    "GET /v1/history has the same data as JSON.</p></noscript>\n"
	    "<h3>State</h3><svg id=\"timeline\" viewBox=\"0 0 1000 %zu\" role=\"img\" "
	    "aria-label=\"state of each datacenter over time\"></svg>\n"
	    "<h3>Answer share</h3><svg id=\"share\" viewBox=\"0 0 1000 100\" role=\"img\" "
	    "aria-label=\"share of the answers per datacenter over time\"></svg>\n"
	    "<p class=\"legend small\" id=\"share-legend\"></p>\n"
	    "<h3>Events</h3><table id=\"event-table\"><thead><tr><th>time</th><th>event</th>"
	    "<th>about</th><th>reason</th></tr></thead><tbody></tbody></table></section>\n",
	    cfg->datacenter_count * 22 + 24);
}

static void add_tables(struct evbuffer *b, const struct snapshot *snap)
{
	const struct config *cfg = snap->config;

	evbuffer_add_printf(b, "<section><h2>Datacenters</h2><table id=\"dc-table\"><thead><tr>"
			       "<th>datacenter</th><th>region</th><th>state</th><th>override</th>"
			       "<th>reason</th><th>load</th><th>probes</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < cfg->datacenter_count; i++) {
		const struct config_datacenter *dc = &cfg->datacenters[i];
		const char *st = dc_state_name(snap, i);

		evbuffer_add_printf(b, "<tr id=\"dc-%zu\" data-state=\"%s\" data-name=\"", i, st);
		add_escaped(b, dc->name);
		evbuffer_add_printf(b, "\"><td class=\"name\">");
		add_escaped(b, dc->name);
		evbuffer_add_printf(b, "</td><td>");
		add_escaped(b, dc->region);
		evbuffer_add_printf(
		    b,
		    "</td><td><span class=\"badge st-%s\">%s</span></td><td "
		    "class=\"admin\"></td><td class=\"reason\"></td><td class=\"load "
		    "small\"></td><td class=\"votes small\"></td></tr>\n",
		    st, st);
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");

	evbuffer_add_printf(b, "<section><h2>Probes</h2><table id=\"probe-table\"><thead><tr>"
			       "<th>probe</th><th>region</th><th>location</th><th>last report</th>"
			       "</tr></thead><tbody>\n");
	for (size_t p = 0; p < cfg->probe_count; p++) {
		const struct config_probe *pr = &cfg->probes[p];

		evbuffer_add_printf(b, "<tr id=\"probe-%zu\" data-id=\"", p);
		add_escaped(b, pr->id);
		evbuffer_add_printf(b, "\"><td>");
		add_escaped(b, pr->id);
		evbuffer_add_printf(b, "</td><td>");
		add_escaped(b, pr->region);
		evbuffer_add_printf(b,
				    "</td><td>%.2f, %.2f</td><td class=\"age\">see /v1/status</td>"
				    "</tr>\n",
				    pr->lat, pr->lon);
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");

	evbuffer_add_printf(b, "<section><h2>Pools</h2><table id=\"pool-table\"><thead><tr>"
			       "<th>pool</th><th>policy</th><th>datacenters</th><th>names</th>"
			       "<th>answer near each probe region</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < cfg->pool_count; i++) {
		const struct config_pool *pool = &cfg->pools[i];
		bool first = true;

		evbuffer_add_printf(b, "<tr id=\"pool-%zu\"><td>", i);
		add_escaped(b, pool->name);
		evbuffer_add_printf(b, "</td><td>%s%s</td><td>", lb_policy_name(pool->policy),
				    pool->country_count + pool->continent_count > 0
					? " (with country/continent overrides)"
					: "");
		for (size_t k = 0; k < pool->dc_count; k++) {
			if (k > 0)
				evbuffer_add(b, ", ", 2);
			add_escaped(b, cfg->datacenters[pool->dcs[k]].name);
		}
		evbuffer_add_printf(b, "</td><td>");
		for (size_t n = 0; n < cfg->lbname_count; n++) {
			if (cfg->lbnames[n].pool != i)
				continue;
			if (!first)
				evbuffer_add(b, "<br>", 4);
			first = false;
			add_escaped(b, cfg->lbnames[n].name);
		}
		evbuffer_add_printf(b, "</td><td class=\"answers small\"></td></tr>\n");
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");
}

void status_page_serve(struct http_request *req)
{
	const struct snapshot *snap = snapshot_current();
	struct evkeyvalq *h = http_request_reply_headers(req);
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width, "
			       "initial-scale=1\"><link rel=\"icon\" href=\"data:,\">"
			       "<title>gslbd status</title>\n<style>\n");
	evbuffer_add(b, status_page_css, strlen(status_page_css));
	evbuffer_add_printf(b,
			    "</style></head><body>\n<header><h1>gslbd %s</h1>"
			    "<span class=\"meta\" id=\"gen\">generation %llu</span>"
			    "<span class=\"meta\" id=\"conn\">static (server-rendered)</span>"
			    "<span class=\"meta\" id=\"updated\"></span></header>\n"
			    "<div id=\"js-error\" hidden></div>\n<main>\n",
			    PACKAGE_VERSION, (unsigned long long)snap->generation);
	add_map(b, snap);
	add_history(b, snap->config);
	add_tables(b, snap);
	evbuffer_add_printf(b, "</main>\n");
	add_config_json(b, snap->config);
	evbuffer_add_printf(b, "<script>\n");
	evbuffer_add(b, status_page_js, strlen(status_page_js));
	evbuffer_add_printf(b, "</script>\n</body></html>\n");

	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* Everything is inline; nothing may come from elsewhere. */
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; script-src 'unsafe-inline'; style-src "
			  "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
			  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	http_reply(req, 200, b);
	evbuffer_free(b);
}

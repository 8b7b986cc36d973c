#!/bin/sh
# The status page in a real browser: three backends (tests/tools/httpd),
# three gslb-probe processes and gslbd on loopback; headless Chromium
# (Debian package chromium) loads http://127.0.0.1:PORT/ and
# tests/integration/statuspage.py reads the DOM through the DevTools
# protocol. Every datacenter must show up in the table and on the map;
# killing eu-west's backend must show it down (within a generous 10 s: a
# browser, probes and checks on a machine that may be busy; how soon gslbd
# takes it down is tests/replay/failover.rpl's to assert); a JavaScript
# error or console error fails. Then ap-southeast is drained through the
# admin API and the page's "Last hour" (GET /v1/history) must show
# eu-west's health change and the drain on their timelines and in the
# event list, with the answer share of the dig queries sent before.
# Screenshots before, after and of the history go to
# tests/integration/statuspage*.png in the build dir. Without JavaScript,
# the server-rendered page must carry the same states (checked with curl).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

# CI installs Chromium (.ci/install-deps): a missing browser is a failure.
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || fail "chromium not found: install the Debian package chromium"
command -v python3 >/dev/null 2>&1 || fail "python3 not found: install the Debian package python3"
BOUND_MS=10000
SHOT=$top_builddir/tests/integration/statuspage.png
SHOT_DOWN=$top_builddir/tests/integration/statuspage-down.png
SHOT_HISTORY=$top_builddir/tests/integration/statuspage-history.png
rm -f "$SHOT" "$SHOT_DOWN" "$SHOT_HISTORY"

# page_state NAME: what the server-rendered HTML (no JavaScript) says of
# datacenter NAME, from $WORK/page.html.
page_state() {
	sed -n "s|.*<tr id=\"dc-[0-9]*\" data-state=\"\([a-z]*\)\" data-name=\"$1\">.*|\1|p" "$WORK/page.html"
}

# get_page: GET / into $WORK/page.html; fails unless it is our HTML page.
get_page() {
	local code
	code=$(curl -s -o "$WORK/page.html" -D "$WORK/page.headers" -w '%{http_code}' \
		--max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/") || fail "GET / failed"
	[ "$code" = 200 ] || fail "GET / answered $code"
	grep -qi '^content-type: text/html' "$WORK/page.headers" || fail "GET / is not text/html"
}

step "start three backends, gslbd and three probes; wait until all are up"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
CONF=$WORK/gslbd.conf
render_probe_config "$CONF"
gslbd_start "$CONF"
api_port
URL=http://127.0.0.1:$G_HTTP
for id in $PROBE_IDS; do
	probe_start $id "$URL"
done
wait_until all_dcs_up 10 || api_fail "the datacenters are not all up with three fresh probes"

step "without JavaScript: GET / is one page with the map and the tables"
get_page
for dc in us-east eu-west ap-southeast; do
	[ "$(page_state $dc)" = up ] || fail "the static table does not show $dc up"
	grep -q "id=\"m-dc-[0-9]*\" data-state=\"up\"" "$WORK/page.html" || fail "no map marker for $dc"
done
grep -q '<svg id="world"' "$WORK/page.html" && grep -q 'class="land"' "$WORK/page.html" ||
	fail "the page has no world map"
# Self-contained: no address outside the page itself.
if grep -Eo '(src|href)="[^"]*"' "$WORK/page.html" | grep -Ev '"(#[^"]*|data:[^"]*)"$'; then
	fail "the page loads something from elsewhere"
fi
grep -qi '^content-security-policy: default-src .none.' "$WORK/page.headers" ||
	fail "GET / has no Content-Security-Policy"
grep -Eq 'method="post"|/drain|/reload' "$WORK/page.html" && fail "the page offers a write action"

step "GET /v1/history: answers counted per datacenter, as the status's roles"
for net in 3.0.0.0/24 81.0.0.0/24 1.0.0.0/24; do
	q www.gslb.example.net A +subnet=$net
	assert_rcode NOERROR
	q fo.gslb.example.net A +subnet=$net
	assert_rcode NOERROR
done
api_get /v1/history
assert_api_code 200
[ "$(api_jq '[.datacenters[].answers[]] | add')" -ge 6 ] ||
	api_fail "the history does not count the 6 answers just sent"
assert_api_jq '(.times | length) == (.datacenters[0].answers | length)' true
assert_api_jq '.datacenters | map(.name) | join(",")' us-east,eu-west,ap-southeast

step "in Chromium: all up, then kill eu-west's backend: shown down within ${BOUND_MS}ms; the history shows it and a drain of ap-southeast"
python3 "$top_srcdir/tests/integration/statuspage.py" --chromium "$CHROMIUM" --url "$URL/" \
	--profile "$WORK/chromium-profile" --expect us-east,eu-west,ap-southeast \
	--victim eu-west --kill-pid "${BACKEND_PID[eu-west]}" --bound-ms "$BOUND_MS" \
	--timeout-factor "$TF" --screenshot "$SHOT" --screenshot-down "$SHOT_DOWN" \
	--drain ap-southeast --token "$PROBE_TOKEN" --screenshot-history "$SHOT_HISTORY" ||
	fail "the browser check failed (chromium log: $WORK/chromium.log)"
backend_stop eu-west
for f in "$SHOT" "$SHOT_DOWN" "$SHOT_HISTORY"; do
	[ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f is not a PNG"
done

step "without JavaScript: the server-rendered page shows eu-west down too"
wait_until 'get_page; [ "$(page_state eu-west)" = down ]' 5 || fail "GET / still shows eu-west up"
[ "$(page_state us-east)" = up ] || fail "GET / should show us-east up"

step "HEAD / and stop cleanly"
code=$(curl -s -I -o /dev/null -w '%{http_code}' "$URL/") && [ "$code" = 200 ] || fail "HEAD / answered $code"
for id in $PROBE_IDS; do
	probe_stop $id
done
gslbd_stop
echo "PASS"

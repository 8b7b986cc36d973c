#!/bin/sh
# The HTTP API under attack by clients without a token (finding 2 of issue
# 18, and the API's smaller findings): 1,000 connections announcing big
# bodies are refused on their headers and gslbd's memory does not grow;
# slow headers and a slow body are cut at their deadlines (total, not
# idle); the connection caps per client network and in total hold while
# other networks are served; a failed-token flood gets 429 and leaves few
# log lines; HEAD has no body, a NUL in a header gets 400, CONNECT 405 and
# a close; a report over the hard limit is logged and counted. /healthz
# keeps answering throughout (its p99 is printed for each attack).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"
need_api_tools
# AddressSanitizer keeps freed memory in quarantine (256 MB by default),
# which the memory checks below would count as growth: a small quarantine.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
# Other loopback networks stand for other clients.
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.1.1", 0))' 2>/dev/null ||
	skip "cannot bind 127.0.1.1"

HOLDERS=${HOLDERS:-1000}
HEADER_S=2
BODY_S=3
TOKEN=t0ken

# render LIMITS...: the geo config with these api settings.
render() {
	render_geo_config "$WORK/gslbd.conf.new"
	awk -v extra="$*" '
		{ print }
		/^api:$/ { n = split(extra, kv, " "); for (i = 1; i <= n; i++) { sub("=", ": ", kv[i]); print "  " kv[i] } }
	' "$WORK/gslbd.conf.new" >"$WORK/gslbd.conf.tmp" && mv "$WORK/gslbd.conf.tmp" "$WORK/gslbd.conf"
	cat >>"$WORK/gslbd.conf" <<-EOF
	probes:
	  - id: probe-x
	    region: us-east
	    latitude: 39.04
	    longitude: -77.49
	    secret: "0123456789abcdef0123456789abcdef"
	EOF
}

attack() {
	TF=$TF python3 "$top_srcdir/tests/integration/apiguard.py" "$1" "$G_HTTP" "${@:2}" \
		>"$WORK/attack.out" 2>&1
	local rc=$?
	cat "$WORK/attack.out"
	[ "$rc" -eq 0 ] || fail "$1: $(grep FAIL "$WORK/attack.out" | head -n 1)"
}

render max_connections=$((HOLDERS + 200)) max_connections_per_client=$((HOLDERS + 100)) \
	header_timeout=$((HEADER_S * TF))s body_timeout=$((BODY_S * TF))s auth_failures=10
gslbd_start "$WORK/gslbd.conf"
api_port

step "admin writes: logged with the peer; revision and reason without etcd refused"
api_post "/v1/datacenters/us-east/drain?reason=maintenance" "$TOKEN"
assert_api_code 400
api_jq .error | grep -q 'etcd' || api_fail "the refusal does not say why"
api_post "/v1/datacenters/us-east/drain?revision=3" "$TOKEN"
assert_api_code 400
api_post /v1/datacenters/us-east/undrain "$TOKEN"
assert_api_code 200
log_wait 'api: write: peer=127\.0\.0\.1:[0-9]+ who=admin datacenter=us-east action=undrain' 5

step "$HOLDERS connections announce 1 MiB bodies without a token: refused on the headers"
attack holders "$HOLDERS" "$G_PID" 1048576
growth=$(sed -n 's/^hwm_growth_kb=//p' "$WORK/attack.out")
case $TEST_WRAPPER in
*valgrind*) echo "(memory not checked under valgrind)" ;;
*) [ "$growth" -lt $((64 * 1024)) ] || fail "gslbd grew by $((growth / 1024)) MB under $HOLDERS body holders" ;;
esac
wait_until "curl -s http://127.0.0.1:$G_HTTP/metrics | grep -q '^gslbd_api_connections 1$'" 10 ||
	fail "the holders' connections are still open: $(curl -s "http://127.0.0.1:$G_HTTP/metrics" | grep '^gslbd_api_connections')"

step "$HOLDERS reports of 1 MiB with a probe's key: bodies within the budget, the rest 503"
attack holders "$HOLDERS" "$G_PID" 1048576 probe-x
growth=$(sed -n 's/^hwm_growth_kb=//p' "$WORK/attack.out")
case $TEST_WRAPPER in
*valgrind*) ;;
*) [ "$growth" -lt $((64 * 1024)) ] || fail "gslbd grew by $((growth / 1024)) MB under $HOLDERS keyed reports" ;;
esac
grep -q '^busy=[1-9]' "$WORK/attack.out" || fail "no report was told to wait (503)"

step "slow headers (a byte every 0.5 s) are cut at the header deadline"
attack slow_headers $((HEADER_S * TF))
log_wait "headers not complete in $((HEADER_S * TF * 1000)) ms" 5

step "a slow body is cut at the body deadline"
attack slow_body $((BODY_S * TF)) "$TOKEN"
log_wait "body not complete in $((BODY_S * TF * 1000)) ms" 5
grep -q 'reload: requested through the API' "$G_LOG" && fail "a reload whose body never came ran"

step "a failed-token flood gets 429 and a few log lines"
lines0=$(wc -l <"$G_LOG")
attack auth_flood 2000 "$TOKEN"
lines=$(($(wc -l <"$G_LOG") - lines0))
echo "log lines during the flood: $lines"
[ "$lines" -lt 100 ] || fail "the flood wrote $lines log lines"

step "HEAD has no body, a NUL in a header gets 400, CONNECT gets 405 and a close"
attack protocol

step "a report over the hard limit is refused on its headers, logged and counted"
attack big_report $((3 * 1024 * 1024))
log_wait 'report rejected: probe=probe-x .* reason=too_large' 5
api_get /metrics
echo "$API_BODY" | grep -q '^gslbd_reports_total{result="too_large"} [1-9]' ||
	fail "too large reports are not counted: $(echo "$API_BODY" | grep too_large)"

step "the refusals are in the metrics"
for r in header_timeout body_timeout auth auth_throttled bad_request method body_size body_memory; do
	echo "$API_BODY" | grep -q "^gslbd_api_refused_total{reason=\"$r\"} [1-9]" ||
		fail "gslbd_api_refused_total{reason=\"$r\"} is not counted: $(echo "$API_BODY" | grep gslbd_api_refused)"
done

step "connection caps: per client network and in total (after a reload)"
render max_connections=12 max_connections_per_client=5 \
	header_timeout=$((HEADER_S * TF))s body_timeout=$((BODY_S * TF))s auth_failures=10
kill -HUP "$G_PID"
log_wait 'reload: ok' 10
# The earlier attacks' connections are gone (they count against the total).
wait_until "curl -s http://127.0.0.1:$G_HTTP/metrics | grep -q '^gslbd_api_connections 1$'" 10 ||
	fail "connections of the earlier attacks are still open"
attack caps 5 12
api_get /metrics
for r in connections client_connections; do
	echo "$API_BODY" | grep -q "^gslbd_api_refused_total{reason=\"$r\"} [1-9]" ||
		fail "gslbd_api_refused_total{reason=\"$r\"} is not counted"
done
echo "$API_BODY" | grep -q '^gslbd_api_connections_limit 12$' || fail "gslbd_api_connections_limit is not 12"

step "DNS is answered after it all"
q www.gslb.example.com A
assert_rcode NOERROR
gslbd_stop

step "the API's descriptor budget: API connections never starve DNS over TCP"
# 400 descriptors: DNS over TCP keeps its 64 and 256 stay in reserve, so
# the API takes at most 80 connections, however many are asked for.
render max_connections=1000 max_connections_per_client=1000
TEST_WRAPPER="prlimit --nofile=400:400 $TEST_WRAPPER" gslbd_start "$WORK/gslbd.conf" budget
api_port
# (valgrind keeps a few descriptors of the limit for itself)
budget=$(sed -n 's/.*api: at most \([0-9]*\) connections (api.max_connections is 1000).*/\1/p' "$G_LOG")
[ -n "$budget" ] && [ "$budget" -le 80 ] && [ "$budget" -ge 60 ] ||
	fail "no word of the API's descriptor budget: $(grep 'api:' "$G_LOG")"
TF=$TF python3 "$top_srcdir/tests/integration/apiguard.py" hold "$G_HTTP" 450 "$WORK/hold.ready" &
HOLDER=$!
BG_PIDS="$BG_PIDS $HOLDER"
wait_until "[ -s '$WORK/hold.ready' ]" 20 || fail "the holder did not open its connections"
q +tcp www.gslb.example.com A
assert_rcode NOERROR
curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/metrics" >/dev/null &&
	fail "the API served a request beyond its connection limit"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
wait_until "api_get /metrics; [ \"\$API_CODE\" = 200 ]" 10 || fail "the API does not recover"
echo "$API_BODY" | grep -q "^gslbd_api_connections_limit $budget\$" ||
	fail "gslbd_api_connections_limit is not $budget"
echo "$API_BODY" | grep -q '^gslbd_api_refused_total{reason="connections"} [1-9]' ||
	fail "connections over the budget are not counted"
gslbd_stop
echo PASS

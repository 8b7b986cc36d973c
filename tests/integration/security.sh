#!/bin/sh
# Refused reports and the other guarded endpoints of gslbd's HTTP API,
# with requests signed here with openssl: a wrong secret, an unknown key,
# missing headers (a probe of protocol 1), a stale timestamp, a replay, a
# body over reports.max_bytes and malformed JSON are refused with the right
# status and reason, counted, logged, and change nothing (no new snapshot,
# same datacenter states, same accepted count); results for an unknown
# datacenter or with wrong types are skipped and counted, the report
# accepted.
# DNS keeps answering during a burst of 500 forged reports. The admin
# endpoints want the token; GET /v1/probe-config wants a signature and
# honours If-None-Match.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

US4=192.0.2.10
AP4=203.0.113.10
LONDON=81.2.69.0/24
MAX_BYTES=2048
KEY=probe-us
SECRET=$(probe_secret $KEY)
BURST=500

# No probe runs here: the reports below are the only ones, and with a long
# freshness nothing goes stale while the test runs.
CONF=$WORK/gslbd.conf
render_probe_config "$CONF" FRESHNESS=1h MAX_BYTES=$MAX_BYTES
gslbd_start "$CONF"
api_port

# body FILE EU_OK: a report of probe-us with eu-west's result EU_OK.
body() {
	printf '{"probe":"%s","results":[%s,%s,%s]}' $KEY \
		'{"datacenter":"us-east","ok":true,"rtt_ms":2.0,"status":200,"error":null}' \
		"{\"datacenter\":\"eu-west\",\"ok\":$2,\"rtt_ms\":3.0,\"status\":200,\"error\":null}" \
		'{"datacenter":"ap-southeast","ok":true,"rtt_ms":4.0,"status":200,"error":null}' >"$1"
}

# london: the A records of www from London (ECS) on one line, in LA.
london() {
	q +subnet=$LONDON www.gslb.example.net A
	assert_rcode NOERROR
	LA=$(answer_addrs | tr '\n' ' ')
}

# fingerprint: what must not change: the generation, each datacenter's
# state and health and each probe's verdict and last result.
fingerprint() {
	api_get /v1/status
	assert_api_code 200
	api_jq '[.generation, (.datacenters[] | [.name, .state, .health, .admin,
		(.probes[] | [.probe, .verdict, .last_ok, .last_status, .rtt_ms])])] | tostring'
}

reports() {
	metric "gslbd_reports_total{result=\"$1\"}"
}

# Rejection log lines are rate-limited per second: refused_request runs
# at most 3 refused requests in one second of the wall clock, so that
# every one of them is logged.
RL_COUNT=0
rl_gate() {
	local s
	if [ "$RL_COUNT" -ge 3 ]; then
		s=$(date +%s)
		wait_until '[ "$(date +%s)" != "$s" ]' 2 || fail "the clock does not move"
		RL_COUNT=0
	fi
	RL_COUNT=$((RL_COUNT + 1))
}

# refused CODE REASON PROBE-IN-LOG: the last request got CODE with
# "reason": REASON, the refusal is counted, logged and changed nothing.
refused() {
	local code=$1 reason=$2 who=$3 n
	assert_api_code "$code"
	assert_api_jq .reason "$reason"
	[ -n "$(api_jq .error)" ] || api_fail "no error text"
	n=$(reports "$reason")
	[ "$n" = $((${COUNT[$reason]:-0} + 1)) ] ||
		fail "gslbd_reports_total{result=\"$reason\"} is $n, expected $((${COUNT[$reason]:-0} + 1))"
	COUNT[$reason]=$n
	[ "$(reports accepted)" = "$ACCEPTED" ] || fail "the accepted count moved"
	[ "$(fingerprint)" = "$FP" ] || fail "a refused report ($reason) changed the status: $(fingerprint)"
	LOG_PAT="report rejected: probe=$who .*reason=$reason"
	wait_until 'grep -Eq -- "$LOG_PAT" "$G_LOG"' 2 || fail "no log line matching '$LOG_PAT'"
}
declare -A COUNT

step "a valid report is accepted and takes eu-west down"
body "$WORK/down.json" false
for i in 1 2; do
	signed_post $KEY "$SECRET" "$WORK/down.json"
	assert_api_code 200
	assert_api_jq .accepted 3
done
api_get /v1/status
[ "$(dc_field eu-west .health)" = down ] || api_fail "eu-west should be down after fall=2 reports"
london
[ "$LA" = "$US4 " ] || qfail "London should get us-east while eu-west is down"
ACCEPTED=$(reports accepted)
[ "$ACCEPTED" = 2 ] || fail "gslbd_reports_total{result=\"accepted\"} is $ACCEPTED, expected 2"
FP=$(fingerprint)
body "$WORK/up.json" true

step "forged signature (another secret): 401 bad_signature"
rl_gate
signed_post $KEY "not-the-secret-of-probe-us-0123" "$WORK/up.json"
refused 401 bad_signature $KEY
rl_gate
signed_post $KEY "$(probe_secret probe-eu)" "$WORK/up.json"
refused 401 bad_signature $KEY

step "a good signature over another body: 401 bad_signature"
rl_gate
ts=$(now_ms)
sign_headers "$SECRET" POST /v1/reports "$ts" "$WORK/down.json"
api_request /v1/reports -X POST -H "Content-Type: application/json" -H "X-GSLB-Key: $KEY" \
	"${SIGN_HDRS[@]}" --data-binary "@$WORK/up.json"
refused 401 bad_signature $KEY

step "unknown key: 401 unknown_key"
rl_gate
signed_post probe-nobody "$SECRET" "$WORK/up.json"
refused 401 unknown_key probe-nobody

step "missing headers (a probe of protocol 1 lacks boot and seq): 401 no_auth"
ts=$(now_ms)
sig=$(sign "$SECRET" POST /v1/reports "$ts" "$WORK/up.json")
for missing in key boot seq timestamp signature all; do
	rl_gate
	hdrs=()
	[ $missing = key ] || [ $missing = all ] || hdrs+=(-H "X-GSLB-Key: $KEY")
	[ $missing = boot ] || [ $missing = all ] || hdrs+=(-H "X-GSLB-Boot: $SIGN_BOOT")
	[ $missing = seq ] || [ $missing = all ] || hdrs+=(-H "X-GSLB-Seq: $ts")
	[ $missing = timestamp ] || [ $missing = all ] || hdrs+=(-H "X-GSLB-Timestamp: $ts")
	[ $missing = signature ] || [ $missing = all ] || hdrs+=(-H "X-GSLB-Signature: $sig")
	API_CMD="curl POST /v1/reports without the $missing header(s)"
	api_request /v1/reports -X POST -H "Content-Type: application/json" "${hdrs[@]}" \
		--data-binary "@$WORK/up.json"
	if [ $missing = key ] || [ $missing = all ]; then
		refused 401 no_auth -
	else
		refused 401 no_auth $KEY
	fi
	case $missing in
	boot | seq) api_jq .error | grep -q 'probe protocol 1, this gslbd protocol 2' ||
		api_fail "the refusal does not name the protocol versions" ;;
	esac
done

step "stale timestamp (10 minutes ago): 401 skew"
rl_gate
signed_post $KEY "$SECRET" "$WORK/up.json" $(($(now_ms) - 600000))
refused 401 skew $KEY
rl_gate
signed_post $KEY "$SECRET" "$WORK/up.json" $(($(now_ms) + 600000))
refused 401 skew $KEY

step "oversized body (over reports.max_bytes=$MAX_BYTES): 413 too_large"
rl_gate
{
	printf '{"probe":"%s","results":[],"pad":"' $KEY
	head -c $((MAX_BYTES + 100)) /dev/zero | tr '\0' x
	printf '"}'
} >"$WORK/big.json"
signed_post $KEY "$SECRET" "$WORK/big.json"
refused 413 too_large $KEY

step "malformed JSON, not this probe's, no results array: 400 malformed"
i=0
for bad in \
	'{"probe":"probe-us","results":[' \
	'not json at all' \
	'["probe-us"]' \
	'{"probe":"probe-eu","results":[]}' \
	'{"probe":"probe-us","results":{"datacenter":"eu-west","ok":true}}'; do
	i=$((i + 1))
	printf '%s' "$bad" >"$WORK/bad-$i.json"
	rl_gate
	signed_post $KEY "$SECRET" "$WORK/bad-$i.json"
	API_CMD="$API_CMD: $bad"
	refused 400 malformed $KEY
done

step "unknown datacenter, wrong types, negative rtt_ms: the result is skipped and counted"
skipped() {
	metric "gslbd_report_results_skipped_total{reason=\"$1\"}"
}
for bad in \
	'{"datacenter":"us-west","ok":true}:unknown_datacenter' \
	'{"datacenter":"eu-west","ok":"yes"}:invalid' \
	'{"datacenter":"eu-west","ok":true,"rtt_ms":"fast"}:invalid' \
	'{"datacenter":"eu-west","ok":true,"rtt_ms":-1}:invalid' \
	'{"datacenter":"eu-west","ok":true,"rtt_ms":-0.5}:invalid' \
	'{"datacenter":"eu-west","ok":true,"status":"200"}:invalid' \
	'{"datacenter":"eu-west","ok":true,"error":42}:invalid'; do
	reason=${bad##*:}
	before=$(skipped "$reason")
	i=$((i + 1))
	printf '{"probe":"probe-us","results":[%s]}' "${bad%:*}" >"$WORK/bad-$i.json"
	signed_post $KEY "$SECRET" "$WORK/bad-$i.json"
	API_CMD="$API_CMD: ${bad%:*}"
	assert_api_code 200
	assert_api_jq .accepted 0
	ACCEPTED=$((ACCEPTED + 1))
	[ "$(reports accepted)" = "$ACCEPTED" ] || fail "the report was not counted as accepted"
	[ "$(skipped "$reason")" = $((before + 1)) ] ||
		fail "gslbd_report_results_skipped_total{reason=\"$reason\"} did not count ${bad%:*}"
	[ "$(fingerprint)" = "$FP" ] || fail "a skipped result ($bad) changed the status: $(fingerprint)"
done
log_wait 'report result skipped: probe=probe-us reason=invalid: probe probe-us: results\[0\].rtt_ms is not null or a number' 2

step "replay: the same request twice is refused the second time (409 replay)"
# The first one is a valid report (eu-west up once: not yet rise=2).
ts=$(now_ms)
sign_headers "$SECRET" POST /v1/reports "$ts" "$WORK/up.json"
replay() {
	API_CMD="curl POST /v1/reports (key $KEY, ts $ts, sent again)"
	api_request /v1/reports -X POST -H "Content-Type: application/json" -H "X-GSLB-Key: $KEY" \
		"${SIGN_HDRS[@]}" --data-binary "@$WORK/up.json"
}
replay
assert_api_code 200
ACCEPTED=$((ACCEPTED + 1))
[ "$(reports accepted)" = "$ACCEPTED" ] || fail "the first copy was not counted as accepted"
api_get /v1/status
[ "$(dc_field eu-west .health)" = down ] || api_fail "one passed check must not raise eu-west (rise 2)"
FP=$(fingerprint)
rl_gate
replay
refused 409 replay $KEY
# An older seq of the same boot id, correctly signed, is a replay too.
rl_gate
signed_post $KEY "$SECRET" "$WORK/up.json" $((ts - 1))
refused 409 replay $KEY

step "a burst of $BURST forged reports: refused, DNS keeps answering"
ts=$(now_ms)
sign_headers "not-the-secret-of-probe-us-0123" POST /v1/reports "$ts" "$WORK/up.json"
urls=()
for ((i = 0; i < BURST; i++)); do
	urls+=(-o /dev/null "http://127.0.0.1:$G_HTTP/v1/reports")
done
curl -s --no-progress-meter --parallel --parallel-max 16 --max-time $((30 * TF)) -X POST \
	-H "Content-Type: application/json" -H "X-GSLB-Key: $KEY" "${SIGN_HDRS[@]}" \
	--data-binary "@$WORK/up.json" \
	-w '%{http_code}\n' "${urls[@]}" >"$WORK/burst.codes" 2>"$WORK/burst.err" &
burst=$!
BG_PIDS="$BG_PIDS $burst"
n=0
worst=0
while kill -0 $burst 2>/dev/null && ! proc_is_zombie $burst; do
	t=$(now_ms)
	london
	t=$(($(now_ms) - t))
	[ "$LA" = "$US4 " ] || qfail "wrong answer during the burst"
	[ $t -le $worst ] || worst=$t
	n=$((n + 1))
done
wait $burst
bg_forget $burst
echo "burst: $n queries answered during the burst, slowest in ${worst}ms"
[ "$n" -ge 1 ] || fail "the burst ended before any query could be made"
[ "$worst" -le $((1000 * TF)) ] || fail "a query took ${worst}ms during the burst"
codes=$(sort "$WORK/burst.codes" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
[ "$codes" = "401:$BURST " ] || fail "burst answers: $codes (expected 401:$BURST)"
n=$(reports bad_signature)
[ "$n" = $((${COUNT[bad_signature]} + BURST)) ] ||
	fail "gslbd_reports_total{result=\"bad_signature\"} is $n, expected $((${COUNT[bad_signature]} + BURST))"
[ "$(reports accepted)" = "$ACCEPTED" ] || fail "the accepted count moved"
[ "$(fingerprint)" = "$FP" ] || fail "the burst changed the status"
# The refusals are logged, rate-limited: not 500 lines.
n=$(grep -c 'report rejected: .*reason=bad_signature' "$G_LOG")
[ "$n" -lt $((BURST / 2)) ] || fail "$n rejection lines: the log is not rate-limited"

step "admin endpoints need the token"
for path in /v1/datacenters/us-east/drain /v1/reload; do
	api_post $path
	assert_api_code 401
	api_post $path wrong-token-0123456789
	assert_api_code 401
done
api_request /v1/datacenters/us-east/drain -X POST -H "Authorization: Bearer"
assert_api_code 401
api_request /v1/datacenters/us-east/drain -X POST -H "Authorization: Basic $PROBE_TOKEN"
assert_api_code 401
# A probe's signature is no admin token.
ts=$(now_ms)
sign_headers "$SECRET" POST /v1/datacenters/us-east/drain "$ts" /dev/null
api_request /v1/datacenters/us-east/drain -X POST -H "X-GSLB-Key: $KEY" "${SIGN_HDRS[@]}"
assert_api_code 401
[ "$(fingerprint)" = "$FP" ] || fail "a refused admin request changed the status"
grep -q 'write refused: .*reason=bad or missing admin token' "$G_LOG" ||
	fail "refused admin writes are not logged"
api_post /v1/datacenters/us-east/drain "$PROBE_TOKEN"
assert_api_code 200
log_wait 'datacenter us-east: now not answered \(drained by operator\)' 2
london
[ "$LA" = "$AP4 " ] || qfail "us-east is drained and eu-west down: London should get ap-southeast"
api_post /v1/datacenters/us-east/undrain "$PROBE_TOKEN"
assert_api_code 200
london
[ "$LA" = "$US4 " ] || qfail "us-east is back"
FP=$(fingerprint)

step "GET /v1/probe-config: signed, with an ETag and If-None-Match"
api_get /v1/probe-config
assert_api_code 401
assert_api_jq .reason no_auth
# signed_get PATH KEY SECRET [HEADER...]: sets API_CODE, API_BODY, ETAG.
signed_get() {
	local path=$1 key=$2 secret=$3 ts
	shift 3
	ts=$(now_ms)
	sign_headers "$secret" GET "$path" "$ts" /dev/null
	API_CMD="curl GET $path (key $key)"
	api_request "$path" -X GET -D "$WORK/hdr" -H "X-GSLB-Key: $key" "${SIGN_HDRS[@]}" "$@"
	ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^\r]*\)\r*$/\1/p' "$WORK/hdr")
}
signed_get /v1/probe-config $KEY "not-the-secret-of-probe-us-0123"
assert_api_code 401
assert_api_jq .reason bad_signature
signed_get /v1/probe-config probe-nobody "$SECRET"
assert_api_code 401
assert_api_jq .reason unknown_key
signed_get /v1/probe-config $KEY "$SECRET"
assert_api_code 200
[ -n "$ETAG" ] || api_fail "no ETag header"
assert_api_jq '.checks | length' 3
assert_api_jq '[.checks[].datacenter] | sort | join(" ")' "ap-southeast eu-west us-east"
assert_api_jq '[.checks[] | .address, .path, .interval_ms, .timeout_ms] | unique | map(tostring) | join(" ")' \
	"300 500 / 127.0.0.1"
etag=$ETAG
signed_get /v1/probe-config $KEY "$SECRET" -H "If-None-Match: $etag"
assert_api_code 304
[ -z "$API_BODY" ] || api_fail "a 304 has no body"
grep -qi '^X-GSLB-Signature: [0-9a-f]\{64\}' "$WORK/hdr" || api_fail "the 304 is not signed"
[ "$ETAG" = "$etag" ] || api_fail "the ETag changed: $etag -> $ETAG"
signed_get /v1/probe-config $KEY "$SECRET" -H 'If-None-Match: "something-else"'
assert_api_code 200
# No replay check on config fetches: the same timestamp may come twice.
[ "$(fingerprint)" = "$FP" ] || fail "config fetches changed the status"
[ "$(reports accepted)" = "$ACCEPTED" ] || fail "config fetches counted as reports"

step "stop cleanly"
gslbd_stop
echo "PASS"

#!/bin/sh
# The probe protocol against a hostile path and a changing gslbd, with real
# processes on loopback: three backends (tests/tools/httpd) for us-east,
# eu-west and ap-southeast, three gslb-probe processes and gslbd, the
# probes talking to gslbd through a python3 proxy (configproxy.py).
#  1. The proxy rewrites eu-west's check in /v1/probe-config: every probe
#     refuses the answer (bad signature, logged), keeps its config and goes
#     on checking the real eu-west; no datacenter goes down.
#  2. gslbd is reloaded with ap-southeast removed while the probes still
#     have the old config (the proxy blocks config fetches): their results
#     for ap-southeast are skipped and counted, the others accepted at once;
#     no report is refused and every probe stays fresh.
#  3. A report stamped 25 s ahead (within the skew) and then reports on time,
#     and one after a step back, are all accepted (the order is the seq's);
#     a replay is still refused; a restarted probe is accepted at once.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools
command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"

# status: GET /v1/status into API_BODY (for dc_field).
status() {
	api_get /v1/status
	assert_api_code 200
}

# stays SECONDS CMD: CMD holds at every poll for SECONDS (times TF).
stays() {
	local end=$(($(now_ms) + $(awk -v s="$1" -v f="$TF" 'BEGIN { printf "%d", s * f * 1000 }')))
	local n=0
	while [ "$(now_ms)" -lt "$end" ]; do
		eval "$2" || return 1
		n=$((n + 1))
		sleep 0.05
	done
	[ "$n" -ge 3 ]
}

# requests_to DC: requests the backend of DC has seen.
requests_to() {
	wc -l <"$WORK/backend-$1/requests.log"
}

reports() {
	metric "gslbd_reports_total{result=\"$1\"}"
}

skipped() {
	metric "gslbd_report_results_skipped_total{reason=\"$1\"}"
}

step "start three backends, gslbd, the proxy and three probes behind it"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
CONF=$WORK/gslbd.conf
render_probe_config "$CONF"
gslbd_start "$CONF"
api_port
MODE=$WORK/proxy.mode
echo pass >"$MODE"
python3 "$top_srcdir/tests/integration/configproxy.py" "$G_HTTP" "$WORK/proxy.port" "$MODE" \
	"$WORK/proxy.rewrites" eu-west 2>"$WORK/proxy.log" &
BG_PIDS="$BG_PIDS $!"
wait_until "[ -s '$WORK/proxy.port' ]" 5 || fail "the proxy did not start: $(cat "$WORK/proxy.log")"
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port")
for id in $PROBE_IDS; do
	PROBE_REFRESH=1s probe_start $id "$PROXY"
done
wait_until all_dcs_up 10 || {
	status
	api_fail "the datacenters are not all up with three fresh probes"
}

step "1: the proxy rewrites eu-west's check address: the probes refuse it"
echo rewrite >"$MODE"
before=$(requests_to eu-west)
for id in $PROBE_IDS; do
	wait_until "grep -q 'probe config refused, keeping the one in use: server=$PROXY reason=bad signature' '$WORK/$id.log'" 5 ||
		fail "probe $id did not refuse the rewritten config: $(tail -n 5 "$WORK/$id.log")"
done
[ "$(cat "$WORK/proxy.rewrites")" -ge 3 ] || fail "the proxy rewrote fewer configs than there are probes"
# Longer than interval x fall + a report cycle, with config refreshes in
# between: nothing moves.
stays 2.5 all_dcs_up || { status; api_fail "a datacenter went down behind the rewriting proxy"; }
grep -q 'probe config refused' "$WORK/probe-us.log" || fail "no refusal logged"
n=$(grep -c 'probe config refused' "$WORK/probe-us.log")
[ "$n" -ge 2 ] || fail "probe-us refused only $n rewritten configs in 2.5s (config_refresh 1s)"
after=$(requests_to eu-west)
[ "$after" -ge $((before + 6)) ] || fail "eu-west's real backend got $((after - before)) checks in 2.5s"
echo "probe config: $(cat "$WORK/proxy.rewrites") rewritten answers refused; eu-west checked $((after - before)) times meanwhile"

step "2: a reload removes ap-southeast; the probes' old config keeps being understood"
echo block >"$MODE"
awk '/^  - name: ap-southeast$/ { skip = 1; next }
	skip && /^(  - |[a-z])/ { skip = 0 }
	!skip' "$CONF" | sed 's/, ap-southeast\]/]/' >"$CONF.new" || fail "cannot write $CONF.new"
grep -Eq -- "- name: ap-southeast|ap-southeast\]" "$CONF.new" && fail "ap-southeast is still in $CONF.new"
mv "$CONF.new" "$CONF"
malformed=$(reports malformed)
unknown=$(skipped unknown_datacenter)
kill -HUP "$G_PID"
log_wait 'reload: ok .*datacenters=2' 5
# Two freshness periods (3s each): without per-result reports every probe
# would go stale and every datacenter's health unknown.
stays 7 'all_dcs_up && [ "$(curl -s "http://127.0.0.1:$G_HTTP/v1/status" | jq ".datacenters | length")" = 2 ]' ||
	{ status; api_fail "a datacenter or a probe lost its health after the reload"; }
[ "$(reports malformed)" = "$malformed" ] || fail "reports were refused after the reload"
n=$(skipped unknown_datacenter)
[ "$n" -gt "$unknown" ] || fail "no result for the removed datacenter was skipped ($unknown -> $n)"
echo "reload: $((n - unknown)) results for ap-southeast skipped, no report refused"
echo pass >"$MODE"

step "3: a report stamped 25s ahead, then on time and after a step back: all accepted"
probe_stop probe-ap
SECRET=$(probe_secret probe-ap)
BODY=$WORK/ap-report.json
printf '{"probe":"probe-ap","results":[%s,%s]}' \
	'{"datacenter":"us-east","ok":true,"rtt_ms":1.5,"status":200,"error":null}' \
	'{"datacenter":"eu-west","ok":true,"rtt_ms":2.5,"status":200,"error":null}' >"$BODY"
now=$(now_ms)
signed_post probe-ap "$SECRET" "$BODY" $((now + 25000)) "" 1
assert_api_code 200
for seq in 2 3 4; do
	signed_post probe-ap "$SECRET" "$BODY" "$(now_ms)" "" $seq
	assert_api_code 200
done
# An NTP step back of 20s.
signed_post probe-ap "$SECRET" "$BODY" $(($(now_ms) - 20000)) "" 5
assert_api_code 200
# The same seq again is a replay, whatever its time.
signed_post probe-ap "$SECRET" "$BODY" "$(now_ms)" "" 5
assert_api_code 409
assert_api_jq .reason replay
# The probe restarted: a new boot id, accepted at once. Two report cycles
# of every probe later, none was refused.
replays=$(reports replay)
accepted=$(reports accepted)
PROBE_REFRESH=1s probe_start probe-ap "$PROXY"
restarted=$(now_ms)
# ap_since_restart: probe-ap's last accepted report is newer than its restart.
ap_since_restart() {
	local age
	age=$(metric 'gslbd_probe_report_age_seconds{probe="probe-ap"}')
	[ -n "$age" ] && awk -v a="$age" -v d=$(($(now_ms) - restarted)) 'BEGIN { exit !(a * 1000 < d) }'
}
wait_until ap_since_restart 5 || fail "the restarted probe's reports are not accepted"
wait_until '[ "$(reports accepted)" -ge "$((accepted + 6))" ]' 5 ||
	fail "the probes' reports are not accepted after the restart"
[ "$(reports replay)" = "$replays" ] || fail "reports of the restarted probe were taken for replays"
grep -q 'report failed' "$WORK/probe-ap.log" &&
	fail "the restarted probe's reports were refused: $(grep 'report failed' "$WORK/probe-ap.log" | head -n 3)"
wait_until all_dcs_up 5 || { status; api_fail "not all up after the restart"; }

step "stop cleanly"
for id in $PROBE_IDS; do
	probe_stop $id
done
gslbd_stop
echo "PASS"

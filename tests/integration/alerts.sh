#!/bin/sh
# Alerts to webhooks: a drain, an undrain and a datacenter taken down by
# probe reports reach a webhook receiver as exactly the expected alerts,
# signed, with ids that follow from their cause; a second receiver that
# fails twice gets its alert on the third attempt after backoff while DNS
# keeps answering at once; the counters show it.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"

KEY=probe-us
SECRET=$(probe_secret $KEY)
HOOK_SECRET=webhook-secret-0123456789
LONDON=81.2.69.0/24

# receiver NAME SECRET FAIL_FIRST: start tests/integration/webhook.py; its
# port goes to HOOK_PORT[NAME], its log is $WORK/NAME.jsonl.
declare -A HOOK_PORT
receiver() {
	local pf=$WORK/$1.port
	python3 "$top_srcdir/tests/integration/webhook.py" "$pf" "$WORK/$1.jsonl" "$2" "$3" \
		2>"$WORK/$1.err" &
	BG_PIDS="$BG_PIDS $!"
	wait_until "[ -s '$pf' ]" 5 || fail "webhook receiver $1 did not start: $(cat "$WORK/$1.err")"
	HOOK_PORT[$1]=$(cat "$pf")
	: >>"$WORK/$1.jsonl"
}
receiver good "$HOOK_SECRET" 0
receiver flaky - 2

CONF=$WORK/gslbd.conf
render_probe_config "$CONF" FRESHNESS=1h
cat >>"$CONF" <<EOF
alerts:
  - url: http://127.0.0.1:${HOOK_PORT[good]}/hooks/gslbd?team=dns
    secret: $HOOK_SECRET
    events: [down, up, drained, undrained, forced_up, fail_open, fail_closed]
  - url: http://127.0.0.1:${HOOK_PORT[flaky]}/
    events: [drained]
    retries: 3
    backoff: 300ms
    timeout: 2s
EOF
gslbd_start "$CONF"
api_port

# lines NAME: alerts the receiver NAME got.
lines() { grep -c . "$WORK/$1.jsonl"; }
# events NAME FROM: "event:subject" of the alerts from line FROM on, sorted.
events() {
	tail -n +"$2" "$WORK/$1.jsonl" | jq -r '.body.event + ":" + .body.subject' | sort | tr '\n' ' '
}

step "a drain: 'drained' and 'down' for eu-west, signed, ids as the headers say"
n0=$(lines good)
api_post /v1/datacenters/eu-west/drain "$PROBE_TOKEN"
assert_api_code 200
wait_until '[ "$(lines good)" -ge $((n0 + 2)) ]' 5 || fail "the alerts of the drain did not arrive: $(cat "$WORK/good.jsonl")"
got=$(events good $((n0 + 1)))
[ "$got" = "down:eu-west drained:eu-west " ] || fail "alerts of the drain: $got"
tail -n +$((n0 + 1)) "$WORK/good.jsonl" | jq -e -s 'all(.signed and .path == "/hooks/gslbd?team=dns"
	and .id == .body.id and (.id | length) == 32 and .status == 204
	and (.body.trigger | startswith("admin:eu-west:drain:")) and .body.instance == "integ-failover")' >/dev/null ||
	fail "unsigned or inconsistent alerts: $(tail -n 2 "$WORK/good.jsonl")"

step "the failing receiver gets the drain on its third attempt; DNS answers meanwhile"
t0=$(now_ms)
q +subnet=$LONDON www.gslb.example.net A
assert_rcode NOERROR
[ $(($(now_ms) - t0)) -lt $((1000 * TF)) ] || fail "DNS answered in $(($(now_ms) - t0)) ms while alerts are retried"
wait_until '[ "$(lines flaky)" -ge 3 ]' 10 || fail "the failing receiver got $(lines flaky) attempts"
jq -e -s 'length == 3 and ([.[].status] == [500, 500, 204]) and ([.[].id] | unique | length) == 1
	and all(.body.event == "drained" and .signed)' "$WORK/flaky.jsonl" >/dev/null ||
	fail "attempts: $(cat "$WORK/flaky.jsonl")"
ts=$(jq -s '[.[].ts | tonumber]' "$WORK/flaky.jsonl")
gap=$(jq -n "$ts | .[2] - .[1]")
[ "$gap" -ge 500 ] || fail "the second retry came $gap ms after the first (backoff 300 ms, doubling)"
[ "$(metric 'gslbd_alerts_total{result="failed_attempt"}')" -ge 2 ] || fail "failed attempts not counted"

step "an undrain: 'undrained' and 'up'"
n0=$(lines good)
api_post /v1/datacenters/eu-west/undrain "$PROBE_TOKEN"
assert_api_code 200
wait_until '[ "$(lines good)" -ge $((n0 + 2)) ]' 5 || fail "the alerts of the undrain did not arrive"
got=$(events good $((n0 + 1)))
[ "$got" = "undrained:eu-west up:eu-west " ] || fail "alerts of the undrain: $got"

step "reports take eu-west down: one 'down' alert, its trigger the report"
body() {
	printf '{"probe":"%s","results":[%s,%s,%s]}' $KEY \
		'{"datacenter":"us-east","ok":true,"rtt_ms":2.0,"status":200,"error":null}' \
		"{\"datacenter\":\"eu-west\",\"ok\":$2,\"rtt_ms\":3.0,\"status\":200,\"error\":null}" \
		'{"datacenter":"ap-southeast","ok":true,"rtt_ms":4.0,"status":200,"error":null}' >"$1"
}
body "$WORK/down.json" false
n0=$(lines good)
for i in 1 2; do
	signed_post $KEY "$SECRET" "$WORK/down.json"
	assert_api_code 200
done
wait_until '[ "$(lines good)" -ge $((n0 + 1)) ]' 5 || fail "no alert for the failed datacenter"
got=$(events good $((n0 + 1)))
[ "$got" = "down:eu-west " ] || fail "alerts of the failure: $got"
trigger=$(tail -n 1 "$WORK/good.jsonl" | jq -r .body.trigger)
[ "$trigger" = "report:$KEY:$SIGNED_TS" ] || fail "trigger $trigger, expected the second report's"
# The id is a hash of event, subject and trigger: what another gslbd fed
# the same reports computes too.
want=$(printf 'down\neu-west\n%s' "$trigger" | sha256sum | cut -c1-32)
[ "$(tail -n 1 "$WORK/good.jsonl" | jq -r .id)" = "$want" ] || fail "the alert id is not the hash of its cause"

step "nothing more was sent than the events asked for"
# A check for what must not come: give it half a second (x TF) to come.
wait_until 'false' 0.5 || true
[ "$(lines good)" -eq 5 ] || fail "the receiver got $(lines good) alerts, expected 5: $(cat "$WORK/good.jsonl")"
[ "$(lines flaky)" -eq 3 ] || fail "the failing receiver got $(lines flaky) requests, expected 3"
[ "$(metric 'gslbd_alerts_total{result="sent"}')" -eq 6 ] ||
	fail "gslbd_alerts_total{result=\"sent\"} is $(metric 'gslbd_alerts_total{result="sent"}'), expected 6"

gslbd_stop
echo PASS

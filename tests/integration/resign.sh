#!/bin/sh
# DNSSEC refresh signs what is loaded and never reads gslbd.conf: with the
# config on disk broken (a YAML syntax error) and the zone file edited, the
# refresh timer still renews the signatures, the load-balanced answers'
# included (ldns-verify-zone passes on a transfer afterwards), and neither
# edit is served. A SIGHUP then fails:
# "reload failed: FILE:LINE:COL", gslbd_reload_failures_total 1, the last
# reload's kind, result and reason in /v1/status, and a reload_failed
# alert at the webhook; the old data keeps serving and refreshing.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"
for t in ldns-keygen ldns-verify-zone; do
	command -v $t >/dev/null 2>&1 || fail "$t not found (Debian package ldnsutils)"
done

ZONE=dnssec.test
TOKEN=resign-t0ken-0123456789
cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone" ||
	fail "cannot copy the zone"
KSK=$(dnssec_keygen -k $ZONE)
ZSK=$(dnssec_keygen $ZONE)
chmod 600 "$WORK"/keys/*.private

python3 "$top_srcdir/tests/integration/webhook.py" "$WORK/hook.port" "$WORK/hook.jsonl" - 0 \
	2>"$WORK/hook.err" &
BG_PIDS="$BG_PIDS $!"
wait_until "[ -s '$WORK/hook.port' ]" 5 || fail "webhook receiver did not start: $(cat "$WORK/hook.err")"
: >>"$WORK/hook.jsonl"

# Signatures valid for 2 minutes and refreshed 115 s before they expire:
# the first refresh is due 5 s after the start.
CONF=$WORK/gslbd.conf
LISTEN='    - 127.0.0.1:0'
if have_ipv6; then
	LISTEN="$LISTEN"$'\n''    - "[::1]:0"'
fi
cat >"$CONF" <<EOF
server:
  listen:
$LISTEN
  workers: 1
  state_file: state.json
log:
  level: info
api:
  listen: "127.0.0.1:0"
  admin_token: "$TOKEN"
alerts:
  - url: http://127.0.0.1:$(cat "$WORK/hook.port")/
    events: [reload_failed, signatures_expiring]
zones:
  - name: $ZONE
    file: dnssec.test.zone
    allow_transfer: [127.0.0.1]
    dnssec:
      keys:
        - keys/$KSK
        - keys/$ZSK
      validity: 2m
      refresh: 115s
datacenters:
  - name: one
    latitude: 40.71
    longitude: -74.01
    ipv4: 192.0.2.10
pools:
  - name: primary
    datacenters: [one]
    policy: failover
names:
  - name: www.$ZONE
    pool: primary
EOF
gslbd_start "$CONF"
api_port

expiry() {
	api_get /metrics
	echo "$API_BODY" | awk -v z="{zone=\"$ZONE\"}" \
		'$1 == "gslbd_dnssec_signatures_expiry_seconds" z { print $2 }'
}

step "broken config and an edited zone on disk: the refresh renews the signatures anyway"
E1=$(expiry)
[ -n "$E1" ] || fail "no gslbd_dnssec_signatures_expiry_seconds for $ZONE"
q www.$ZONE A +dnssec
W1=$(echo "$OUT" | awk '$4 == "RRSIG" && $5 == "A" { print $9; exit }')
[ -n "$W1" ] || fail "no RRSIG with the load-balanced answer: $OUT"
cp "$CONF" "$CONF.good"
echo "oops: [unclosed" >>"$CONF"
printf 'new\tA\t192.0.2.99\n' >>"$WORK/dnssec.test.zone"
log_wait "signatures of zone $ZONE are due for refresh" 15
refreshed() { [ "$(expiry)" -gt "$E1" ]; }
wait_until refreshed 15 || fail "the signatures' expiry did not move after the refresh: $(expiry) <= $E1"
log_wait 'DNSSEC: zones signed again' 5
if grep -Eq 'reload failed|re-signing failed' "$G_LOG"; then
	fail "a refresh failed: $(grep failed "$G_LOG" | head -n 1)"
fi
q new.$ZONE A
assert_rcode NXDOMAIN
q www.$ZONE A +dnssec
assert_rcode NOERROR
assert_section_match answer "^www\.$ZONE\. [0-9]+ IN RRSIG A "
# The load-balanced answer's signature was due too: made again, not kept.
W2=$(echo "$OUT" | awk '$4 == "RRSIG" && $5 == "A" { print $9; exit }')
[ "$W2" -gt "$W1" ] || fail "the load-balanced answer's RRSIG expires at $W2, as before the refresh ($W1)"
dnssec_verify_zone $ZONE "$KSK"
api_get /v1/status
assert_api_code 200
assert_api_jq '.reload.last.kind + " " + .reload.last.result' "resign ok"
assert_api_jq '.reload.failures' 0
assert_api_jq ".zones[] | select(.name == \"$ZONE.\") | .signatures_expire > $E1" true
[ "$(metric 'gslbd_reloads_total{kind="resign",result="ok"}')" -ge 1 ] ||
	fail "gslbd_reloads_total{kind=resign,result=ok} is not counted"

step "SIGHUP with the broken config: counted, in /v1/status, alerted; the old data stays"
kill -HUP "$G_PID"
log_wait 'reload failed' 10
grep 'reload failed' "$G_LOG" | grep -Eq "gslbd\.conf:[0-9]+:[0-9]+: .*keeping generation" ||
	fail "expected 'reload failed: .../gslbd.conf:LINE:COL: ...', got: $(grep 'reload failed' "$G_LOG")"
[ "$(metric gslbd_reload_failures_total)" = 1 ] ||
	fail "gslbd_reload_failures_total is $(metric gslbd_reload_failures_total), expected 1"
[ "$(metric gslbd_reload_last_success)" = 0 ] || fail "gslbd_reload_last_success is not 0"
api_get /v1/status
assert_api_jq '.reload.last.kind + " " + .reload.last.result' "sighup failed"
assert_api_jq '.reload.failures' 1
assert_api_jq '.reload.last.reason | test("gslbd\\.conf:[0-9]+:[0-9]+: ")' true
wait_until '[ "$(grep -c . "$WORK/hook.jsonl")" -ge 1 ]' 5 || fail "no alert reached the webhook"
jq -e -s 'length == 1 and .[0].body.event == "reload_failed" and .[0].body.subject == "sighup"
	and (.[0].body.reason | test("gslbd\\.conf:")) and (.[0].body.trigger | startswith("reload:sighup:"))' \
	"$WORK/hook.jsonl" >/dev/null || fail "alerts: $(cat "$WORK/hook.jsonl")"
q www.$ZONE A +dnssec
assert_rcode NOERROR
assert_section_match answer "^www\.$ZONE\. [0-9]+ IN RRSIG A "
q new.$ZONE A
assert_rcode NXDOMAIN

step "the good config again: a SIGHUP applies the zone edit"
cp "$CONF.good" "$CONF"
kill -HUP "$G_PID"
log_wait 'reload: ok' 10
q new.$ZONE A
assert_rcode NOERROR
assert_answer_contains "new.$ZONE. 300 IN A 192.0.2.99"
[ "$(metric gslbd_reload_last_success)" = 1 ] || fail "gslbd_reload_last_success is not 1"
dnssec_verify_zone $ZONE "$KSK"

step "stop"
gslbd_stop
echo "PASS"

#!/bin/sh
# End-to-end failover with real processes on loopback: three backends
# (tests/tools/httpd) stand in for the datacenters us-east, eu-west and
# ap-southeast, three gslb-probe processes for three probe regions, and
# gslbd (health rise 2, fall 2, freshness 3s) answers a nearest and a
# failover pool. Killing eu-west's backend takes it out of the answers
# (within a generous 10 s: real checks, real reports, a busy machine);
# restarted on the same port it comes back, not before rise checks, and
# stays. /metrics and gslbctl status show it. Then lying reporters (signed
# here with openssl) take the place of real probes: one of three saying down
# changes nothing, two take it down. The exact timing (gone with the fall-th
# failed report, back with the rise-th good one) is asserted on a virtual
# clock by tests/replay/failover.rpl.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

US4=192.0.2.10
EU4=198.51.100.10
LONDON=81.2.69.0/24
NAME=www.gslb.example.net

# conf_value KEY: the value of "  KEY: VALUE" in the rendered config.
conf_value() {
	awk -v k="$1:" '$1 == k { print $2; exit }' "$CONF"
}

# london [NAME]: query NAME (default www) for A from London (ECS); LA is
# the answer's addresses on one line ("ADDR ADDR ").
london() {
	q +subnet=$LONDON "${1:-$NAME}" A
	assert_rcode NOERROR
	LA=$(answer_addrs | tr '\n' ' ')
}

# status: GET /v1/status into API_BODY (for dc_field).
status() {
	api_get /v1/status
	assert_api_code 200
}

# metric_dc NAME DC: gslbd's metric NAME for datacenter DC.
metric_dc() {
	metric "$1{datacenter=\"$2\"}"
}

step "start three backends, gslbd and three probes; wait until all are up"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
CONF=$WORK/gslbd.conf
render_probe_config "$CONF"
# The check interval, for the floor on coming back (rise checks).
INTERVAL_MS=$(conf_value interval)
case $INTERVAL_MS in
*ms) INTERVAL_MS=${INTERVAL_MS%ms} ;;
*s) INTERVAL_MS=$((${INTERVAL_MS%s} * 1000)) ;;
*) fail "cannot read the check interval from $CONF" ;;
esac
RISE=$(conf_value rise)
# Real processes on a machine that may be busy: the bound only catches a
# failover that does not happen. (Exactly fall failed checks, an interval
# apart, on a virtual clock: tests/replay/failover.rpl.)
BOUND_MS=10000
gslbd_start "$CONF"
api_port
URL=http://127.0.0.1:$G_HTTP
for id in $PROBE_IDS; do
	probe_start $id "$URL"
done
wait_until all_dcs_up 10 || {
	status
	api_fail "the datacenters are not all up with three fresh probes"
}
london && [ "$LA" = "$EU4 " ] || qfail "London should get eu-west ($EU4)"
london fo.gslb.example.net && [ "$LA" = "$EU4 " ] || qfail "the failover pool should start on eu-west"
[ "$(metric_dc gslbd_datacenter_up eu-west)" = 1 ] || fail "gslbd_datacenter_up{eu-west} is not 1"
changes0=$(metric_dc gslbd_datacenter_state_changes_total eu-west)
[ -n "$changes0" ] || fail "no gslbd_datacenter_state_changes_total{eu-west}"

step "kill eu-west's backend: it leaves the answers"
t0=$(now_ms)
backend_stop eu-west
wait_until 'london && [ "$LA" != "$EU4 " ]' $((BOUND_MS / 1000)) || qfail "eu-west still answered for London"
took=$(($(now_ms) - t0))
london && [ "$LA" = "$US4 " ] || qfail "London should now get us-east ($US4)"
printf 'failover: eu-west left the answers after %d.%03ds (bound %d.%03ds%s)\n' \
	$((took / 1000)) $((took % 1000)) $((BOUND_MS / 1000)) $((BOUND_MS % 1000)) \
	"$([ "$TF" = 1 ] || echo ", x$TF under the wrapper")"
[ "$took" -le $((BOUND_MS * TF)) ] || fail "failover took ${took}ms, more than $((BOUND_MS * TF))ms"
london fo.gslb.example.net && [ "$LA" = "$US4 " ] || qfail "the failover pool should move to us-east"

step "status, /metrics and gslbctl show eu-west down with a reason"
wait_until 'status; [ "$(dc_field eu-west .health)" = down ]' 5 || api_fail "eu-west health is not down"
reason=$(dc_field eu-west .reason)
case $reason in
*"fresh probes report down"*) ;;
*) api_fail "eu-west reason: '$reason'" ;;
esac
[ "$(dc_field eu-west .state)" = down ] || api_fail "eu-west state is not down"
[ "$(dc_field us-east .health)" = up ] || api_fail "us-east should stay up"
[ "$(metric_dc gslbd_datacenter_up eu-west)" = 0 ] || fail "gslbd_datacenter_up{eu-west} is not 0"
[ "$(metric_dc gslbd_datacenter_up us-east)" = 1 ] || fail "gslbd_datacenter_up{us-east} is not 1"
changes1=$(metric_dc gslbd_datacenter_state_changes_total eu-west)
[ "$changes1" -gt "$changes0" ] ||
	fail "gslbd_datacenter_state_changes_total{eu-west} did not grow ($changes0 -> $changes1)"
GSLBCTL=$top_builddir/ctl/gslbctl
if [ -x "$GSLBCTL" ]; then
	"$GSLBCTL" -s "$URL" status >"$WORK/ctl.out" 2>&1 || fail "gslbctl status failed: $(cat "$WORK/ctl.out")"
	row=$(awk '$1 == "eu-west" { print; exit }' "$WORK/ctl.out")
	echo "$row" | grep -q ' down ' && echo "$row" | grep -q 'fresh probes report down' ||
		fail "gslbctl status: eu-west should be down with its reason: '$row'"
else
	echo "gslbctl not built: status table not checked"
fi

step "restart eu-west's backend on the same port: it returns after rise"
t0=$(now_ms)
backend_start eu-west "${BACKEND_PORT[eu-west]}"
wait_until 'london && [ "$LA" = "$EU4 " ]' 20 || qfail "eu-west did not come back for London"
took=$(($(now_ms) - t0))
echo "failover: eu-west back in the answers after $((took / 1000)).$(printf %03d $((took % 1000)))s"
# It cannot come back before rise passed checks (the first one may be due at
# once, the second an interval later).
[ "$took" -ge $((INTERVAL_MS * (RISE - 1) - 100)) ] ||
	fail "eu-west came back after ${took}ms, before $RISE passed checks could have run"
london fo.gslb.example.net && [ "$LA" = "$EU4 " ] || qfail "the failover pool should return to eu-west"

step "no flapping: eu-west stays in the answers"
end=$(($(now_ms) + 2000))
n=0
while [ "$(now_ms)" -lt "$end" ]; do
	london && [ "$LA" = "$EU4 " ] || qfail "eu-west left the answers again (sample $n)"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n samples in 2s"
[ "$(metric_dc gslbd_datacenter_up eu-west)" = 1 ] || fail "gslbd_datacenter_up{eu-west} is not 1"
[ "$(metric_dc gslbd_datacenter_state_changes_total eu-west)" -gt "$changes1" ] ||
	fail "gslbd_datacenter_state_changes_total{eu-west} did not grow when it came back"
wait_until all_dcs_up 5 || { status; api_fail "not all up again"; }

# ---- lying probes ------------------------------------------------------------

# liar_start ID: replace probe ID with a loop that reports, signed with its
# secret, eu-west down and the others up once per check interval. Each answer's
# status goes to $WORK/liar-ID.codes.
liar_start() {
	local id=$1 secret body=$WORK/liar-$1.json
	secret=$(probe_secret "$id")
	probe_stop "$id"
	printf '{"probe":"%s","results":[%s,%s,%s]}' "$id" \
		'{"datacenter":"us-east","ok":true,"rtt_ms":1.0,"status":200,"error":null}' \
		'{"datacenter":"eu-west","ok":false,"rtt_ms":null,"status":0,"error":"connection refused"}' \
		'{"datacenter":"ap-southeast","ok":true,"rtt_ms":1.0,"status":200,"error":null}' >"$body"
	(
		while :; do
			signed_post "$id" "$secret" "$body"
			echo "$API_CODE" >>"$WORK/liar-$id.codes"
			# The report cycle of a real probe (pacing, not synchronisation).
			sleep "$(awk -v ms="$INTERVAL_MS" 'BEGIN { print ms / 1000 }')"
		done
	) &
	BG_PIDS="$BG_PIDS $!"
}

# verdict ID: what probe ID says of eu-west in /v1/status (status first).
verdict() {
	dc_field eu-west ".probes[] | select(.probe == \"$1\") | .verdict"
}

step "one lying probe of three: eu-west stays up"
liar_start probe-ap
wait_until 'status; [ "$(verdict probe-ap)" = down ]' 10 ||
	api_fail "probe-ap's lies were not taken: $(sort "$WORK/liar-probe-ap.codes" | uniq -c)"
grep -qv '^200$' "$WORK/liar-probe-ap.codes" &&
	fail "a lying report was refused: $(sort "$WORK/liar-probe-ap.codes" | uniq -c)"
end=$(($(now_ms) + 1500))
while [ "$(now_ms)" -lt "$end" ]; do
	london && [ "$LA" = "$EU4 " ] || qfail "one probe of three took eu-west down"
done
status
[ "$(dc_field eu-west .health)" = up ] || api_fail "eu-west health should stay up"
[ "$(verdict probe-ap)" = down ] || api_fail "probe-ap should still say down"
case $(dc_field eu-west .reason) in
*"2 of 3 fresh probes report up"*) ;;
*) api_fail "eu-west reason: $(dc_field eu-west .reason)" ;;
esac

step "two lying probes of three: eu-west goes down"
liar_start probe-eu
wait_until 'london && [ "$LA" = "$US4 " ]' 10 || qfail "two probes of three did not take eu-west down"
status
[ "$(dc_field eu-west .health)" = down ] || api_fail "eu-west health should be down"
case $(dc_field eu-west .reason) in
*"2 of 3 fresh probes report down"*) ;;
*) api_fail "eu-west reason: $(dc_field eu-west .reason)" ;;
esac
[ "$(dc_field us-east .health)" = up ] || api_fail "us-east should stay up"

step "stop cleanly"
probe_stop probe-us
gslbd_stop
echo "PASS"

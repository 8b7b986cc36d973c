#!/bin/sh
# gslbctl for several name servers at once (-s URL1,URL2): status side by
# side, with the datacenters they disagree on flagged and an unreachable
# server named; a drain sent to every server, each one reporting whether it
# applied it, and what dig gets from each moving with it.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

GSLBCTL=${GSLBCTL_BIN:-$top_builddir/ctl/gslbctl}
[ -x "$GSLBCTL" ] || fail "$GSLBCTL not built"
unset GSLBCTL_URL GSLBCTL_TOKEN
LONDON=81.2.69.0/24
EU4=198.51.100.10
US4=192.0.2.10

# start_ns A|B: a gslbd with its own config, log, ports and state file.
start_ns() {
	render_probe_config "$WORK/$1.conf" STATE_FILE="state-$1.json" FRESHNESS=1h
	gslbd_start "$WORK/$1.conf" "gslbd-$1"
	api_port
	printf -v "PID_$1" %s "$G_PID"
	printf -v "UDP_$1" %s "$G_UDP"
	printf -v "URL_$1" %s "http://127.0.0.1:$G_HTTP"
	BG_PIDS="$BG_PIDS $G_PID"
	G_PID=
}
start_ns A
start_ns B
FLEET=$URL_A,$URL_B

ctl() {
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	$TEST_WRAPPER "$GSLBCTL" -t "$PROBE_TOKEN" "$@" >"$WORK/ctl.out" 2>"$WORK/ctl.err"
	CTL_RC=$?
	CTL_OUT=$(cat "$WORK/ctl.out")
}
# london UDP-PORT: the address www answers London with on that server.
london() {
	Q_UDP=$1 q +subnet=$LONDON www.gslb.example.net A
	answer_addrs | head -n 1
}

step "two servers that agree"
ctl -s "$FLEET" status
echo "$CTL_OUT"
[ "$CTL_RC" -eq 0 ] || fail "fleet status exited $CTL_RC: $(cat "$WORK/ctl.err")"
echo "$CTL_OUT" | grep -q "^DATACENTER  *$URL_A  *$URL_B  *AGREE" || fail "no side-by-side header"
echo "$CTL_OUT" | grep -q "^eu-west  *up  *up  *yes" || fail "eu-west is not shown up on both"

step "a drain sent to the fleet: both apply it, both answer without eu-west"
[ "$(london "$UDP_A")" = "$EU4" ] && [ "$(london "$UDP_B")" = "$EU4" ] || fail "London is not on eu-west"
ctl -s "$FLEET" drain eu-west
echo "$CTL_OUT"
[ "$CTL_RC" -eq 0 ] || fail "fleet drain exited $CTL_RC"
[ "$(echo "$CTL_OUT" | grep -c ": eu-west: drain$")" -eq 2 ] || fail "not applied on both: $CTL_OUT"
[ "$(london "$UDP_A")" = "$US4" ] && [ "$(london "$UDP_B")" = "$US4" ] || fail "London still on eu-west"
ctl -s "$FLEET" status
[ "$CTL_RC" -eq 0 ] || fail "the fleet disagrees after a fleet drain"
echo "$CTL_OUT" | grep -q "^eu-west  *down:drain  *down:drain  *yes" || fail "eu-west: $CTL_OUT"

step "a drain sent to one server alone: the fleet view flags it"
ctl -s "$URL_A" drain us-east
ctl -s "$FLEET" status
echo "$CTL_OUT"
[ "$CTL_RC" -eq 4 ] || fail "fleet status exited $CTL_RC, expected 4 (they disagree)"
echo "$CTL_OUT" | grep -q "^us-east  *down:drain  *up  *NO" || fail "us-east not flagged"
echo "$CTL_OUT" | grep -q "^eu-west .* yes" || fail "eu-west flagged though they agree"

step "a server down: named unreachable; a drain says where it was not applied"
kill -TERM "$PID_B"
wait_exit "$PID_B" 10 || fail "gslbd B did not stop"
bg_forget "$PID_B"
ctl -s "$FLEET" status
[ "$CTL_RC" -eq 3 ] || fail "fleet status exited $CTL_RC with a server down, expected 3"
echo "$CTL_OUT" | grep -q "^$URL_B: unreachable" || fail "B not named unreachable: $CTL_OUT"
ctl -s "$FLEET" undrain us-east
echo "$CTL_OUT"
[ "$CTL_RC" -eq 3 ] || fail "fleet undrain exited $CTL_RC with a server down, expected 3"
echo "$CTL_OUT" | grep -q "^$URL_A: us-east: undrain$" || fail "A did not apply it: $CTL_OUT"
echo "$CTL_OUT" | grep -q "^$URL_B: not applied$" || fail "B not reported: $CTL_OUT"

step "one-server commands refuse a fleet"
ctl -s "$FLEET" reload
[ "$CTL_RC" -eq 2 ] || fail "reload with a fleet exited $CTL_RC, expected 2"

use_a() { G_PID=$PID_A; G_LOG=$WORK/gslbd-A.log; }
use_a
gslbd_stop
echo PASS

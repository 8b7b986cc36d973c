#!/bin/sh
# The latency policy end to end: three backends (tests/tools/httpd), three
# gslb-probe processes (one per region) and gslbd, all on loopback. The
# check measures rtt: first_byte, so a backend that answers slowly (httpd
# -D) is a far datacenter; restarting it with another delay moves it.
#
#   baseline     eu-west answers at once, us-east after 100 ms, ap-southeast
#                after 200 ms: a London client gets eu-west
#   slow         eu-west now takes 300 ms: London moves to us-east (the next
#                fastest), while eu-west stays healthy
#   clear win    ap-southeast answers at once: London moves to it
#
# and /v1/status shows the per-region rankings with rtt_ms, /v1/explain
# reason "latency". (Under valgrind every delay is doubled.) Each move is
# waited for with a generous bound: real checks on a busy machine. The
# smoothing and the hysteresis (a challenger faster by less than max(40 %,
# 10 ms) does not take over) are asserted sample by sample on a virtual
# clock in tests/replay/latency.rpl, where a loaded machine's noise cannot
# reach them.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

PROBE=$top_builddir/probes/gslb-probe
HTTPD=$top_builddir/tests/tools/httpd
[ -x "$PROBE" ] || fail "$PROBE not built"
[ -x "$HTTPD" ] || fail "$HTTPD not built"

SECRET=latency-test-secret-0123456789
NAME=www.gslb.example.com
LONDON=81.2.69.0/24
US4=192.0.2.10
EU4=198.51.100.10
AP4=203.0.113.10
DCS="us-east eu-west ap-southeast"
REGIONS="us-east eu-west ap-southeast"
# Backend delays (ms). The probes' own time adds to every measurement; only
# the differences matter, and they are doubled when that time is larger and
# noisier (under valgrind). The check's deadline leaves room for the slowest
# backend; probes report every interval.
# The deadline is generous (a loaded machine adds to every answer): a check
# that times out gives no RTT sample at all.
if [ "$TF" -gt 1 ]; then
	SCALE=2 INTERVAL=1s TIMEOUT=900ms FRESHNESS=30s
else
	SCALE=1 INTERVAL=1s TIMEOUT=900ms FRESHNESS=10s
fi
D_US=$((100 * SCALE))
D_AP=$((200 * SCALE))
D_SLOW=$((300 * SCALE))
# The bound on each move (seconds, x TF): it only catches one that does not
# happen (a few samples of smoothing are due; tests/replay/latency.rpl).
MOVE_S=30

declare -A B_PID B_PORT P_PID

# ---- backends ----------------------------------------------------------------

# backend_start DC DELAY_MS [PORT]: run httpd for DC (any free port, or PORT
# when restarting) and wait for its port file.
backend_start() {
	local dc=$1 delay=$2 port=${3:-} dir=$WORK/backend-$1

	mkdir -p "$dir"
	rm -f "$dir/port"
	"$HTTPD" -p "$dir/port" ${port:+-l "$port"} -D "$delay" -d "$dir" 2>>"$dir/stderr" &
	B_PID[$dc]=$!
	BG_PIDS="$BG_PIDS $!"
	wait_until "[ -s '$dir/port' ]" 5 || fail "backend $dc did not start: $(cat "$dir/stderr")"
	B_PORT[$dc]=$(cat "$dir/port")
	[ -z "$port" ] || [ "${B_PORT[$dc]}" = "$port" ] ||
		fail "backend $dc restarted on port ${B_PORT[$dc]}, not $port"
}

# backend_restart DC DELAY_MS: same port, another delay.
backend_restart() {
	local dc=$1

	kill -TERM "${B_PID[$dc]}"
	wait_exit "${B_PID[$dc]}" 5 || fail "backend $dc did not stop"
	backend_start "$dc" "$2" "${B_PORT[$dc]}"
	echo "backend $dc restarted with -D $2 (port ${B_PORT[$dc]})"
}

# ---- probes ------------------------------------------------------------------

# probe_start ID: run gslb-probe ID (under TEST_WRAPPER) against gslbd and
# wait for its ready line.
probe_start() {
	local id=$1 conf=$WORK/$1.yaml log=$WORK/$1.log

	printf '%s\n' "$SECRET" >"$WORK/$id.key"
	cat >"$conf" <<-EOF
		probe:
		  id: $id
		  secret_file: $id.key
		servers:
		  - http://127.0.0.1:$G_HTTP
		report:
		  timeout: $((2 * TF))s
		  retries: 1
		log:
		  level: info
	EOF
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	$TEST_WRAPPER "$PROBE" -c "$conf" >"$log" 2>&1 &
	P_PID[$id]=$!
	BG_PIDS="$BG_PIDS $!"
	wait_until "grep -q 'ready: probe=$id servers=1 checks=3' '$log'" 10 ||
		fail "probe $id not ready: $(tail -n 5 "$log")"
}

probe_stop() {
	local id=$1 rc

	kill -TERM "${P_PID[$id]}"
	wait_exit "${P_PID[$id]}" 10 || fail "probe $id still running after SIGTERM"
	rc=$WAIT_RC
	[ "$rc" -eq 0 ] || fail "probe $id exited with status $rc: $(tail -n 5 "$WORK/$id.log")"
}

# ---- what gslbd says ---------------------------------------------------------

# london: the first address answered to the London client.
london() {
	q +subnet="$LONDON" "$NAME" A
	assert_rcode NOERROR
	answer_addrs | head -n 1
}

# dc_of ADDR: the datacenter of an answered address.
dc_of() {
	case $1 in
	"$US4") echo us-east ;;
	"$EU4") echo eu-west ;;
	"$AP4") echo ap-southeast ;;
	*) echo "?$1" ;;
	esac
}

# rtt REGION DC: rtt_ms of DC in REGION's ranking of /v1/status (empty when
# not ranked); order REGION: the ranking, datacenter names joined by spaces.
rtt() {
	api_jq ".latency[\"$1\"][]? | select(.datacenter == \"$2\") | .rtt_ms"
}

order() {
	api_jq "[.latency[\"$1\"][]?.datacenter] | join(\" \")"
}

status() {
	api_get /v1/status
	assert_api_code 200
}

show_latency() {
	echo "rankings: $(echo "$API_BODY" | jq -c '.latency')"
	echo "probe-eu: $(echo "$API_BODY" | jq -c '[.datacenters[] |
		{(.name): (.probes[] | select(.probe == "probe-eu") | .rtt_ms)}] | add')"
}

# all_ranked: every region ranks every datacenter.
all_ranked() {
	local r
	status
	for r in $REGIONS; do
		[ "$(api_jq ".latency[\"$r\"] | length")" = 3 ] || return 1
	done
}

# rtt_between REGION DC LO HI: LO <= rtt_ms < HI.
rtt_between() {
	local v
	v=$(rtt "$1" "$2")
	[ -n "$v" ] && awk -v v="$v" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= lo && v < hi) }'
}

# live_rtt REGION DC: the smoothed rtt_ms of DC from REGION's one probe
# (probe-us, probe-eu, probe-ap), which is the region's RTT. Taken from the
# datacenter's probes: the rankings' rtt_ms are those of the table in the
# current snapshot, which is rebuilt when an order changes.
live_rtt() {
	api_jq ".datacenters[] | select(.name == \"$2\") | .probes[] |
		select(.probe == \"probe-${1%%-*}\") | .rtt_ms // empty"
}

# rtt_less REGION A B: A's live rtt_ms < B's.
rtt_less() {
	local a b
	a=$(live_rtt "$1" "$2")
	b=$(live_rtt "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { exit !(a < b) }'
}

# wait_london DC SECONDS: poll until London is answered DC; prints the time.
wait_london() {
	local dc=$1 start got
	start=$(now_ms)
	wait_until '[ "$(dc_of "$(london)")" = "'"$dc"'" ]' "$2" || {
		status
		show_latency
		qfail "London not moved to $dc within $2s (x$TF); last answer $(dc_of "$(london)")"
	}
	got=$(($(now_ms) - start))
	echo "London -> $dc after ${got} ms"
}

# explain_london: /v1/explain for London into API_BODY.
explain_london() {
	api_get "/v1/explain?name=$NAME&client=127.0.0.1&ecs=$LONDON"
	assert_api_code 200
}

# ---- start everything -------------------------------------------------------

backend_start us-east "$D_US"
backend_start eu-west 0
backend_start ap-southeast "$D_AP"

CONF=$WORK/gslbd.conf
cp "$DATA/latency/gslb.example.com.zone" "$WORK/" && chmod u+w "$WORK/gslb.example.com.zone" ||
	fail "cannot copy the zone"
render_config "$CONF.tmp" TEMPLATE=latency/gslbd-latency.conf.in
sed -e "s|@MMDB@|$top_srcdir/tests/data/geo/test-city.mmdb|" -e "s/@SECRET@/$SECRET/" \
	-e "s/@PORT_US@/${B_PORT[us-east]}/" -e "s/@PORT_EU@/${B_PORT[eu-west]}/" \
	-e "s/@PORT_AP@/${B_PORT[ap-southeast]}/" -e "s/@INTERVAL@/$INTERVAL/" \
	-e "s/@TIMEOUT@/$TIMEOUT/" -e "s/@FRESHNESS@/$FRESHNESS/" "$CONF.tmp" >"$CONF" ||
	fail "cannot render $CONF"
gslbd_start "$CONF"
api_port

step "before any report: ordered as nearest"
[ "$(dc_of "$(london)")" = eu-west ] || qfail "London should get eu-west before any report"
explain_london
assert_api_jq .reason policy

step "the probe config carries rtt: first_byte"
if command -v openssl >/dev/null 2>&1; then
	sign_headers "$SECRET" GET /v1/probe-config "$(now_ms)" /dev/null
	API_CMD="curl GET http://127.0.0.1:$G_HTTP/v1/probe-config (signed)"
	api_request /v1/probe-config -H "X-GSLB-Key: probe-eu" "${SIGN_HDRS[@]}"
	assert_api_code 200
	assert_api_jq '[.checks[].rtt] | join(" ")' "first_byte first_byte first_byte"
else
	echo "(openssl not found: probe config not fetched)"
fi

for p in probe-us probe-eu probe-ap; do
	probe_start "$p"
done
grep -q 'ready: probe=probe-eu servers=1 checks=3' "$WORK/probe-eu.log" || fail "probe-eu not ready"

# ---- baseline -------------------------------------------------------------------

step "baseline: every region ranks eu-west < us-east < ap-southeast"
wait_until all_ranked 20 || {
	show_latency
	fail "not every region ranks three datacenters within $((20 * TF))s"
}
for r in $REGIONS; do
	wait_until "status; [ \"\$(order $r)\" = 'eu-west us-east ap-southeast' ]" 20 || {
		show_latency
		fail "region $r: expected the order 'eu-west us-east ap-southeast', got '$(order "$r")'"
	}
	rtt_between "$r" us-east "$D_US" 1000000 ||
		api_fail "region $r: us-east rtt_ms $(rtt "$r" us-east) should be >= $D_US (first byte)"
	rtt_between "$r" eu-west 0 "$D_US" ||
		api_fail "region $r: eu-west rtt_ms $(rtt "$r" eu-west) should be < $D_US"
done
show_latency
[ "$(dc_of "$(london)")" = eu-west ] || qfail "baseline: London should get eu-west"
explain_london
assert_api_jq .reason latency
assert_api_jq '.answer[0].datacenter' eu-west
echo "ok: baseline London -> eu-west by latency"

# ---- a slow datacenter --------------------------------------------------------

step "eu-west answers after $D_SLOW ms: London moves to us-east"
backend_restart eu-west "$D_SLOW"
wait_london us-east $MOVE_S
status
show_latency
rtt_less eu-west us-east eu-west ||
	api_fail "eu-west region: us-east should now be faster than eu-west"
# Still healthy: it is the ranking that moved London, not a failure.
assert_api_jq '.datacenters[] | select(.name == "eu-west") | .health' up
explain_london
assert_api_jq .reason latency
assert_api_jq '.answer[0].datacenter' us-east
assert_api_jq '.candidates[] | select(.datacenter == "eu-west") | .up' true
# A client near ap-southeast follows once its own region's probes have
# seen enough slow answers (every region measures the same loopback
# backends, each at its own pace).
singapore() {
	q +subnet=203.0.113.0/24 "$NAME" A
	assert_rcode NOERROR
	answer_addrs | head -n 1
}
wait_until '[ "$(singapore)" = "$US4" ]' $MOVE_S || {
	show_latency
	qfail "Singapore not moved to us-east within ${MOVE_S}s (x$TF)"
}
echo "ok: slow eu-west loses London to us-east"

# ---- a clear win ------------------------------------------------------------------

step "ap-southeast answers at once: London moves to it"
backend_restart ap-southeast 0
wait_london ap-southeast $MOVE_S
status
show_latency
explain_london
assert_api_jq .reason latency
assert_api_jq '.answer[0].datacenter' ap-southeast
echo "ok: clearly faster ap-southeast takes London"

# ---- stop ----------------------------------------------------------------------------

step "stop the probes and gslbd"
for p in probe-us probe-eu probe-ap; do
	probe_stop "$p"
done
gslbd_stop
for dc in $DCS; do
	kill -TERM "${B_PID[$dc]}"
done
exit 0

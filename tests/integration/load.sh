#!/bin/sh
# Load-aware steering end to end: three backends (loadbackend.py) report
# their load in a header, a JSON body and a Prometheus metric; three
# gslb-probe processes read it; gslbd (capacity 100 each, high water 80 %,
# low water 60 %, max step 25 %, interval 1s, least_load hysteresis 10
# points) answers a failover pool that spills, a least_load pool and a
# round-robin pool. The test changes the loads at run time:
#
#   least_load   follows the lowest utilisation, and does not change its
#                leader while two loads oscillate within the hysteresis
#   wild probe   one probe (signed reports sent from here) claiming a huge
#                load changes nothing while the two others agree
#   spill        eu-west's demand goes to 160 % of its capacity (its
#                backend's load follows the share of clients it keeps): its
#                share goes down in steps of 25 % to 0.5, and over 512 client
#                /24s (ECS) it keeps half, each answer scoped /24, the same
#                /24s each time; back to 50 % it regains them step by step
#   round robin  over 300 queries each address is at each position 100
#                times, within one per UDP worker (each worker counts alone)
#
# /v1/status, /v1/explain and /metrics show loads, utilisations and shares.
# The steps' sizes and timing (one max_step per load interval) are asserted
# report by report on a virtual clock in tests/replay/load.rpl; here the
# shares seen while polling must be steps of that sequence, in order.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools
command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"

US4=192.0.2.10
EU4=198.51.100.10
AP4=203.0.113.10
WORKERS=2
INTERVAL_MS=1000

declare -A LB_PID LB_PORT

# lb_start DC [FEEDBACK]: a loadbackend.py for DC, its demand in
# $WORK/demand-DC; with FEEDBACK its load follows DC's share in /v1/status.
lb_start() {
	local dc=$1 pf=$WORK/lb-$1.port
	rm -f "$pf"
	python3 "$top_srcdir/tests/integration/loadbackend.py" --port-file "$pf" \
		--demand-file "$WORK/demand-$dc" \
		${2:+--share-url "http://127.0.0.1:$G_HTTP/v1/status" --dc "$dc"} \
		2>>"$WORK/lb-$dc.err" &
	LB_PID[$dc]=$!
	BG_PIDS="$BG_PIDS $!"
	wait_until "[ -s '$pf' ]" 10 || fail "backend $dc did not start: $(cat "$WORK/lb-$dc.err")"
	LB_PORT[$dc]=$(cat "$pf")
}

# demand DC N: the backend of DC now reports load N (x its share).
demand() {
	echo "$2" >"$WORK/demand-$1.tmp" && mv "$WORK/demand-$1.tmp" "$WORK/demand-$1"
}

status() {
	api_get /v1/status
	assert_api_code 200
}

# util DC (in percent) / share DC: from /v1/status.
util() {
	status
	dc_field "$1" '.load.utilisation * 100 | round'
}

share() {
	status
	dc_field "$1" '.load.share'
}

# utils_are "U_US U_EU U_AP": every datacenter's utilisation (percent),
# from three fresh probes, is this.
utils_are() {
	status
	[ "$(api_jq '[.datacenters[] | .load.samples] | join(" ")' 2>/dev/null)" = "3 3 3" ] &&
		[ "$(api_jq '[.datacenters[] | .load.utilisation * 100 | round] | join(" ")' 2>/dev/null)" = "$1" ]
}

# probes_say DC LOAD: every probe's latest load of DC is LOAD.
probes_say() {
	status
	[ "$(dc_field "$1" '[.probes[] | .load] | unique | join(" ")' 2>/dev/null)" = "$2" ] &&
		[ "$(dc_field "$1" '.probes | length')" = 3 ]
}

# first NAME: the first address answered for NAME (no ECS).
first() {
	q "$1" A
	assert_rcode NOERROR
	answer_addrs | head -n 1
}

# ll_is ADDR N: the least_load pool answers ADDR N times in a row.
ll_is() {
	local i got
	for i in $(seq "$2"); do
		got=$(first ll.gslb.example.net)
		[ "$got" = "$1" ] || return 1
	done
}

# spill_scan FILE: ask fo.gslb.example.net for 512 client /24s by ECS
# (11.0.0.0/24 .. 11.1.255.0/24) in one dig batch; FILE gets "NET ADDR
# SCOPE" per client, in the clients' order. A response dig mistook (see
# dig_reflected), or one lost (a slow server under valgrind), is asked
# again alone.
spill_scan() {
	local out=$1 batch=$WORK/batch i net
	: >"$batch"
	for i in $(seq 0 511); do
		echo "fo.gslb.example.net A +subnet=11.$((i / 256)).$((i % 256)).0/24" >>"$batch"
	done
	dig @127.0.0.1 -p "$G_UDP" +norecurse +time="$DIG_TIME" +tries=2 -f "$batch" 2>&1 |
		awk '/^; CLIENT-SUBNET: / { split($3, p, "/"); net = p[1]; scope = p[3] }
		     /^fo\.gslb\.example\.net\.[ \t]/ && $4 == "A" && net != "" {
			print net, $5, scope; net = "" }' >"$out"
	for i in $(seq 0 511); do
		net=11.$((i / 256)).$((i % 256)).0
		grep -q "^$net " "$out" && continue
		q +subnet="$net/24" fo.gslb.example.net A
		assert_rcode NOERROR
		echo "$net $(answer_addrs | head -n 1) $(ecs_scope | cut -d/ -f3)" >>"$out"
	done
	[ "$(wc -l <"$out")" -eq 512 ] || fail "spill scan: $(wc -l <"$out") answers for 512 clients"
	# In the order of the clients, whichever were asked again.
	sort -t. -k2,2n -k3,3n "$out" >"$out.sorted" && mv "$out.sorted" "$out"
}

# share_trace DC FINAL SECONDS: poll DC's share until it is FINAL; TRACE
# gets the distinct values seen in order, TRACE_MS the time of each.
share_trace() {
	local dc=$1 want=$2 deadline=$(($(now_ms) + $3 * 1000 * TF)) s last=
	TRACE= TRACE_MS=
	while :; do
		s=$(share "$dc")
		if [ "$s" != "$last" ]; then
			TRACE="$TRACE $s" TRACE_MS="$TRACE_MS $(now_ms)" last=$s
		fi
		[ "$s" = "$want" ] && break
		[ "$(now_ms)" -lt "$deadline" ] || fail "share of $dc: $TRACE, not $want after $3 s"
		sleep 0.05
	done
	TRACE=${TRACE# } TRACE_MS=${TRACE_MS# }
	echo "share of $dc: $TRACE"
}

step "start gslbd, three backends reporting loads 30, 50, 70 and three probes"
for id in $PROBE_IDS; do
	probe_secret "$id" >"$WORK/$id.key"
done
demand us-east 30
demand eu-west 50
demand ap-southeast 70
# gslbd first (the eu-west backend reads its share), with placeholder
# ports; the backends' ports come with a reload.
CONF=$WORK/gslbd.conf
cp "$DATA/failover/gslb.example.net.zone" "$WORK/" && chmod u+w "$WORK/gslb.example.net.zone" ||
	fail "cannot copy the zone"
render_config "$CONF.in" TEMPLATE=load/gslbd.conf.in
render() {
	sed -e "s|@US_PORT@|${LB_PORT[us-east]:-1}|" -e "s|@EU_PORT@|${LB_PORT[eu-west]:-1}|" \
		-e "s|@AP_PORT@|${LB_PORT[ap-southeast]:-1}|" -e "s|@FRESHNESS@|$((3 * TF))s|" \
		-e "s|@INTERVAL@|$((INTERVAL_MS * TF))ms|" "$CONF.in" >"$CONF" || fail "cannot render $CONF"
}
render
gslbd_start "$CONF"
api_port
lb_start us-east
lb_start eu-west feedback
lb_start ap-southeast
render
kill -HUP "$G_PID"
wait_until "grep -q 'reload: ok' '$G_LOG'" 10 || fail "gslbd did not reload: $(tail -n 3 "$G_LOG")"
for id in $PROBE_IDS; do
	probe_start $id "http://127.0.0.1:$G_HTTP"
done
wait_until "all_dcs_up && utils_are '30 50 70'" 15 || api_fail "no loads 30/50/70 from three probes"
status
for dc in us-east eu-west ap-southeast; do
	[ "$(dc_field $dc '.load.capacity')" = 100 ] || api_fail "$dc: capacity is not 100"
	[ "$(dc_field $dc '.load.share')" = 1 ] || api_fail "$dc: share is not 1"
	[ "$(dc_field $dc '[.probes[].load] | join(" ")')" != "" ] || api_fail "$dc: no probe loads"
done
[ "$(dc_field eu-west '[.probes[].load] | unique | join(" ")')" = 50 ] ||
	api_fail "eu-west: the probes do not all say 50"
[ "$(metric 'gslbd_datacenter_utilisation{datacenter="ap-southeast"}')" = 0.7 ] ||
	fail "gslbd_datacenter_utilisation{ap-southeast} is not 0.7"
[ "$(metric 'gslbd_datacenter_share{datacenter="eu-west"}')" = 1 ] ||
	fail "gslbd_datacenter_share{eu-west} is not 1"

step "least_load: the lowest utilisation leads (us-east 30 %), scope 0"
wait_until "ll_is $US4 3" 5 || qfail "least_load should answer us-east"
q +subnet=11.0.0.0/24 ll.gslb.example.net A
assert_addrs "$US4"
assert_ecs 11.0.0.0/24/0
api_get "/v1/explain?name=ll.gslb.example.net&client=11.0.0.1"
assert_api_code 200
assert_api_jq .reason load
assert_api_jq '.candidates[0].datacenter' us-east
assert_api_jq '.candidates[0].utilisation * 100 | round' 30

step "least_load hysteresis: us-east and eu-west oscillate within 10 points, no flip"
for round in "45 40" "38 45" "46 39" "41 44" "47 40"; do
	set -- $round
	demand us-east "$1"
	demand eu-west "$2"
	wait_until "probes_say us-east $1 && probes_say eu-west $2 && utils_are '$1 $2 70'" 10 ||
		api_fail "loads $round not seen"
	ll_is "$US4" 3 || qfail "least_load left us-east at loads $round"
done
status
[ "$(api_jq '.least_load[0]')" = us-east ] || api_fail "least_load ranking does not lead with us-east"

step "least_load: eu-west 25 points lower takes the lead"
demand eu-west 20
wait_until "ll_is $EU4 1" 5 || qfail "least_load did not move to eu-west"
ll_is "$EU4" 3 || qfail "least_load flapped after moving to eu-west"
wait_until "probes_say eu-west 20 && probes_say us-east 47" 10 ||
	api_fail "the probes do not all say eu-west 20, us-east 47"

step "a probe claiming a huge load changes nothing while two others agree"
probe_stop probe-ap
LIAR=$WORK/liar.json
cat >"$LIAR" <<-EOF
	{"probe": "probe-ap", "results": [
	 {"datacenter": "us-east", "ok": true, "rtt_ms": 1, "status": 200, "load": 47},
	 {"datacenter": "eu-west", "ok": true, "rtt_ms": 1, "status": 200, "load": 100000},
	 {"datacenter": "ap-southeast", "ok": true, "rtt_ms": 1, "status": 200, "load": 70}]}
	EOF
for i in $(seq 8); do
	signed_post probe-ap "$(probe_secret probe-ap)" "$LIAR"
	assert_api_code 200
	status
	[ "$(dc_field eu-west '.load.samples')" = 3 ] || api_fail "the liar's load is not counted"
	[ "$(dc_field eu-west '.load.utilisation * 100 | round')" = 20 ] || api_fail "one probe moved eu-west's load"
	[ "$(dc_field eu-west '.load.share')" = 1 ] || api_fail "one probe moved eu-west's share"
	ll_is "$EU4" 1 || qfail "one probe moved the least_load leader"
	q +subnet=11.0.7.0/24 fo.gslb.example.net A
	assert_addrs "$EU4"
	assert_ecs 11.0.7.0/24/0
	wait_until "false" 0.3 || :
done
probe_start probe-ap "http://127.0.0.1:$G_HTTP"

step "spill: eu-west at 160 % keeps the share that fits, 0.5, by client /24"
demand us-east 30
demand eu-west 160
share_trace eu-west 0.5 $((8 * INTERVAL_MS / 1000 + 5))
# Polling may miss a step on a busy machine: what it saw must be a part of
# the sequence, in order.
case $TRACE in
"1 0.75 0.5" | "1 0.5") ;;
*) fail "eu-west's share went $TRACE, not 1 0.75 0.5 (steps of 25 %)" ;;
esac
# settled: at the high-water mark (160 x 0.5 = 80), the share holds
wait_until "[ \"\$(util eu-west)\" = 80 ]" 5 || api_fail "eu-west's load did not follow its share"
[ "$(share eu-west)" = 0.5 ] || api_fail "eu-west's share moved at the high-water mark"
[ "$(metric 'gslbd_datacenter_share{datacenter="eu-west"}')" = 0.5 ] ||
	fail "gslbd_datacenter_share{eu-west} is not 0.5"
"$top_builddir/ctl/gslbctl" -s "http://127.0.0.1:$G_HTTP" status >"$WORK/ctl.out" 2>&1 ||
	fail "gslbctl status failed: $(cat "$WORK/ctl.out")"
grep -Eq '^eu-west +80 +100 +80\.0% +50\.0% +3$' "$WORK/ctl.out" ||
	fail "gslbctl status does not show eu-west at 80 % with a share of 50 %: $(cat "$WORK/ctl.out")"
spill_scan "$WORK/scan1"
kept=$(awk -v a="$EU4" '$2 == a' "$WORK/scan1" | wc -l)
moved=$(awk -v a="$US4" '$2 == a' "$WORK/scan1" | wc -l)
echo "eu-west keeps $kept of 512 client /24s, $moved moved to us-east"
[ $((kept + moved)) -eq 512 ] ||
	fail "answers other than eu-west and us-east: $(awk '{print $2}' "$WORK/scan1" | sort | uniq -c)"
[ "$kept" -ge 220 ] && [ "$kept" -le 292 ] || fail "eu-west kept $kept of 512 client /24s, not about 256"
[ "$(awk '$3 != 24' "$WORK/scan1" | wc -l)" -eq 0 ] ||
	fail "answers not scoped /24: $(awk '$3 != 24' "$WORK/scan1" | head -n 3)"
spill_scan "$WORK/scan2"
cmp -s "$WORK/scan1" "$WORK/scan2" || fail "the same client /24s did not get the same answers"
api_get "/v1/explain?name=fo.gslb.example.net&client=$(awk -v a="$US4" '$2 == a { print $1; exit }' "$WORK/scan1")"
assert_api_code 200
assert_api_jq '.candidates[] | select(.datacenter == "eu-west") | .spilled' true
assert_api_jq '.candidates[] | select(.datacenter == "eu-west") | .share' 0.5

step "spill: back to 50 % eu-west regains its clients step by step"
demand eu-west 50
share_trace eu-west 1 $((8 * INTERVAL_MS / 1000 + 5))
case $TRACE in
"0.5 0.75 1" | "0.5 1") ;;
*) fail "eu-west's share went $TRACE, not 0.5 0.75 1 (steps of 25 %)" ;;
esac
spill_scan "$WORK/scan3"
[ "$(awk -v a="$EU4" '$2 == a && $3 == 0' "$WORK/scan3" | wc -l)" -eq 512 ] ||
	fail "eu-west did not take back every client /24 (scope 0)"

step "round robin: each address at each position equally often over 300 queries"
: >"$WORK/rr-batch"
for i in $(seq 300); do
	echo "rr.gslb.example.net A" >>"$WORK/rr-batch"
done
dig @127.0.0.1 -p "$G_UDP" +norecurse +time="$DIG_TIME" +tries=2 +noall +answer \
	-f "$WORK/rr-batch" 2>&1 | awk '$4 == "A" { print n++ % 3, $5 }' >"$WORK/rr"
[ "$(wc -l <"$WORK/rr")" -eq 900 ] || fail "round robin: $(wc -l <"$WORK/rr") addresses for 300 answers of 3"
for pos in 0 1 2; do
	for a in $US4 $EU4 $AP4; do
		n=$(awk -v p=$pos -v a="$a" '$1 == p && $2 == a' "$WORK/rr" | wc -l)
		[ "$n" -ge $((100 - WORKERS)) ] && [ "$n" -le $((100 + WORKERS)) ] ||
			fail "round robin: $a at position $pos $n times of 300, not 100 (+-$WORKERS)"
	done
done
q +subnet=11.0.0.0/24 rr.gslb.example.net A
assert_ecs 11.0.0.0/24/0

step "stop the probes and gslbd"
for id in $PROBE_IDS; do
	probe_stop $id
done
gslbd_stop

#!/bin/sh
# Two gslbd servers with the same configuration (own ports and state files)
# and three gslb-probe processes reporting to both: once converged they give
# the same answers to clients from London, New York and Singapore (IPv4 and
# IPv6 ECS), and when a backend dies both move the same way. One of them is
# restarted (SIGTERM, started again with the same state file and API port):
# a drain made before the restart still holds, and its health is rebuilt
# from the probes' reports (within a generous bound here; within one report
# cycle on a virtual clock in tests/replay/restart.rpl).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools

US4=192.0.2.10
EU4=198.51.100.10
AP4=203.0.113.10
# Real processes on a machine that may be busy: the bound on rebuilding
# the health only catches one that does not happen. (The probes report once
# per check interval, 500 ms: tests/replay/restart.rpl asserts one cycle.)
REBUILD_MS=10000
# Clients (ECS) and what they get with everything up: "NAME TYPE ECS ADDRS".
CLIENTS=(
	"www A 81.2.69.0/24 $EU4"
	"www A 192.0.2.0/24 $US4"
	"www A 203.0.113.0/24 $AP4"
	"www AAAA 2001:db8:100::/56 2001:db8:20::1"
	"www AAAA 2001:db8:200::/56 2001:db8:10::1"
	"www AAAA 2001:db8:300::/56 2001:db8:30::1"
	"fo A 192.0.2.0/24 $EU4"
	"fo AAAA 2001:db8:300::/56 2001:db8:20::1"
)

# start_twin A|B [API_PORT]: start gslbd A or B (config, log, ports and
# state file named after it); its ports go to UDP_A/HTTP_A or UDP_B/HTTP_B.
start_twin() {
	local t=$1
	render_probe_config "$WORK/$t.conf" STATE_FILE="state-$t.json" API_PORT="${2:-0}"
	gslbd_start "$WORK/$t.conf" "gslbd-$t"
	api_port
	printf -v "PID_$t" %s "$G_PID"
	printf -v "UDP_$t" %s "$G_UDP"
	printf -v "HTTP_$t" %s "$G_HTTP"
	printf -v "LOG_$t" %s "$G_LOG"
	BG_PIDS="$BG_PIDS $G_PID"
	G_PID=
}

# use_twin A|B: point q, api_* and gslbd_stop at that server.
use_twin() {
	local p=PID_$1 u=UDP_$1 h=HTTP_$1 l=LOG_$1
	G_PID=${!p}
	Q_UDP=${!u}
	G_UDP=${!u}
	G_HTTP=${!h}
	G_LOG=${!l}
}

# answers A|B: one line per client: the addresses and the ECS scope.
answers() {
	local c name type ecs
	use_twin "$1"
	for c in "${CLIENTS[@]}"; do
		read -r name type ecs _ <<<"$c"
		q +subnet="$ecs" "$name.gslb.example.net" "$type"
		assert_rcode NOERROR
		echo "$name $type $ecs: $(answer_addrs | tr '\n' ' ')$(ecs_scope)"
	done
}

# expected [DC-VIP=REPLACEMENT...]: what every client should get, with the
# replacements (for a datacenter that is down or drained).
expected() {
	local c name type ecs addrs kv
	for c in "${CLIENTS[@]}"; do
		read -r name type ecs addrs <<<"$c"
		for kv in "$@"; do
			[ "$addrs" != "${kv%%=*}" ] || addrs=${kv#*=}
		done
		echo "$name $type $ecs: $addrs "
	done
}

# same_answers EXPECTED: both servers give EXPECTED (ECS scopes aside, which
# must match between them).
same_answers() {
	local a b
	a=$(answers A)
	b=$(answers B)
	[ "$a" = "$b" ] && [ "$(echo "$a" | sed 's/ [^ ]*$/ /')" = "$1" ]
}

show_twins() {
	echo "---- expected"
	echo "$1"
	echo "---- A"
	answers A
	echo "---- B"
	answers B
	echo "----"
}

# dc_health TWIN DC: the health of DC in TWIN's /v1/status.
dc_health() {
	use_twin "$1"
	api_get /v1/status
	dc_field "$2" .health
}

step "three backends, two gslbd, three probes reporting to both"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done
start_twin A
start_twin B
for id in $PROBE_IDS; do
	probe_start $id "http://127.0.0.1:$HTTP_A" "http://127.0.0.1:$HTTP_B"
done
wait_until "all_dcs_up $HTTP_A && all_dcs_up $HTTP_B" 10 || fail "the twins did not converge"

step "converged: both give the same answers"
want=$(expected)
same_answers "$want" || { show_twins "$want"; fail "the twins answer differently"; }

step "eu-west's backend dies: both move the same way"
backend_stop eu-west
want=$(expected "$EU4=$US4" "2001:db8:20::1=2001:db8:10::1")
wait_until 'same_answers "$want"' 10 || { show_twins "$want"; fail "the twins did not both move"; }
[ "$(dc_health A eu-west)" = down ] && [ "$(dc_health B eu-west)" = down ] ||
	fail "eu-west should be down on both"

step "eu-west comes back on both"
backend_start eu-west "${BACKEND_PORT[eu-west]}"
want=$(expected)
wait_until "all_dcs_up $HTTP_A && all_dcs_up $HTTP_B" 10 || fail "eu-west did not come back"
wait_until 'same_answers "$want"' 5 || { show_twins "$want"; fail "the twins answer differently"; }

step "drain us-east on B, then restart B with the same state file"
use_twin B
api_post /v1/datacenters/us-east/drain "$PROBE_TOKEN"
assert_api_code 200
q +subnet=192.0.2.0/24 www.gslb.example.net A
assert_rcode NOERROR
[ "$(answer_addrs)" = "$EU4" ] || qfail "B: New York should get eu-west while us-east is drained"
grep -q '"us-east"' "$WORK/state-B.json" || fail "the drain is not in B's state file"
bg_forget "$G_PID"
gslbd_stop
start_twin B "$HTTP_B"
t0=$(now_ms)
use_twin B
api_get /v1/status
assert_api_code 200
[ "$(dc_field us-east .admin)" = drain ] || api_fail "B forgot the drain across the restart"
wait_until '[ "$(dc_health B us-east)$(dc_health B eu-west)$(dc_health B ap-southeast)" = upupup ]' \
	$((REBUILD_MS / 1000)) || { api_get /v1/status; api_fail "B's health not rebuilt"; }
took=$(($(now_ms) - t0))
echo "twin: B's health rebuilt ${took}ms after its restart (bound ${REBUILD_MS}ms x$TF)"
use_twin B
q +subnet=192.0.2.0/24 www.gslb.example.net A
assert_rcode NOERROR
[ "$(answer_addrs)" = "$EU4" ] || qfail "B: us-east should still be drained after the restart"
wait_until "all_dcs_up $HTTP_B" 5 || { api_get /v1/status; api_fail "not every probe reports to B"; }
use_twin A
q +subnet=192.0.2.0/24 www.gslb.example.net A
[ "$(answer_addrs)" = "$US4" ] || qfail "A has no drain: New York should get us-east"

step "undrain on B: both agree again"
use_twin B
api_post /v1/datacenters/us-east/undrain "$PROBE_TOKEN"
assert_api_code 200
want=$(expected)
same_answers "$want" || { show_twins "$want"; fail "the twins answer differently"; }

step "stop cleanly"
for id in $PROBE_IDS; do
	probe_stop $id
done
for t in A B; do
	use_twin $t
	bg_forget "$G_PID"
	gslbd_stop
done
echo "PASS"

#!/bin/sh
# One fleet through etcd: a three-member etcd cluster and three gslbd on
# loopback. A drain through one gslbd is in all three's answers within a
# second (measured); a gslbd stopped while the fleet's state changes
# answers with the fleet's state from its first answer after a restart;
# two writes with the same (then stale) revision: one is refused 409, and
# after an undrain the old revision 0 is refused too; with etcd's quorum
# lost, DNS keeps answering with the last state, the status and metrics
# count every failed read as it happens, the log says so once (and once
# more when etcd is back), and writes are refused 503 saying there is no
# quorum. One webhook receiver gets the alerts of all three servers: every
# event (drains through one server, two of them at once, a restarted
# server catching up, a backend failing under a gslb-probe that reports to
# all three) comes under one id, once from each server.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_probe_tools
command -v etcd >/dev/null 2>&1 || fail "etcd not found (Debian package etcd-server)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian package python3)"

LONDON=81.2.69.0/24
NEWYORK=192.0.2.0/24
US4=192.0.2.10
EU4=198.51.100.10
AP4=203.0.113.10

# ---- the etcd cluster ------------------------------------------------------
declare -A CPORT PPORT EPID
for m in e1 e2 e3; do
	CPORT[$m]=$("$DNSTEST" freeport 127.0.0.1)
	PPORT[$m]=$("$DNSTEST" freeport 127.0.0.1)
done
CLUSTER="e1=http://127.0.0.1:${PPORT[e1]},e2=http://127.0.0.1:${PPORT[e2]},e3=http://127.0.0.1:${PPORT[e3]}"
ENDPOINTS="http://127.0.0.1:${CPORT[e1]}, http://127.0.0.1:${CPORT[e2]}, http://127.0.0.1:${CPORT[e3]}"
# etcd_member NAME: start member NAME (again: its data dir holds its state).
etcd_member() {
	local m=$1
	etcd --name "$m" --data-dir "$WORK/$m" \
		--listen-client-urls "http://127.0.0.1:${CPORT[$m]}" \
		--advertise-client-urls "http://127.0.0.1:${CPORT[$m]}" \
		--listen-peer-urls "http://127.0.0.1:${PPORT[$m]}" \
		--initial-advertise-peer-urls "http://127.0.0.1:${PPORT[$m]}" \
		--initial-cluster "$CLUSTER" --initial-cluster-state new \
		--initial-cluster-token "gslbd-test-$$" >>"$WORK/$m.log" 2>&1 &
	EPID[$m]=$!
	BG_PIDS="$BG_PIDS $!"
}
for m in e1 e2 e3; do
	etcd_member $m
done
for m in e1 e2 e3; do
	wait_until "curl -s --max-time 1 http://127.0.0.1:${CPORT[$m]}/health | grep -q '\"health\":\"true\"'" 30 ||
		fail "etcd member $m is not healthy: $(tail -n 5 "$WORK/$m.log")"
done
echo "etcd cluster: $ENDPOINTS"

# ---- one alert receiver, the datacenters' backends ----------------------------
HOOK=$WORK/hook.jsonl
python3 "$top_srcdir/tests/integration/webhook.py" "$WORK/hook.port" "$HOOK" - 0 \
	2>"$WORK/hook.err" &
BG_PIDS="$BG_PIDS $!"
wait_until "[ -s '$WORK/hook.port' ]" 5 || fail "webhook receiver did not start: $(cat "$WORK/hook.err")"
: >>"$HOOK"
for dc in us-east eu-west ap-southeast; do
	backend_start $dc
done

# hook_lines: alerts received so far.
hook_lines() { grep -c . "$HOOK"; }
# alerts_once FROM COPIES WANT: the alerts received after line FROM, once
# COPIES servers each sent theirs, grouped by id, are WANT: sorted
# "event:subject*COPIES" words, one per event. An event that two servers
# name differently shows as two groups of fewer copies.
alerts_once() {
	local from=$1 copies=$2 want=$3 n got
	n=$(echo $want | wc -w)
	wait_until '[ "$(hook_lines)" -ge $((from + n * copies)) ]' 10 ||
		fail "expected $((n * copies)) alerts, got $(($(hook_lines) - from)): $(tail -n +$((from + 1)) "$HOOK" | jq -c '[.id[0:8], .body.event, .body.subject, .body.trigger, .body.instance]')"
	# A copy more would be a bug too: give it a moment (x TF) to come.
	wait_until 'false' 0.3 || true
	got=$(tail -n +$((from + 1)) "$HOOK" | jq -s -r 'group_by(.id) |
		map(.[0].body.event + ":" + .[0].body.subject + "*" + (length | tostring)) | sort | join(" ")')
	[ "$got" = "$want" ] ||
		fail "alerts by id: $got, expected $want: $(tail -n +$((from + 1)) "$HOOK" | jq -c '[.id[0:8], .body.event, .body.subject, .body.trigger, .body.instance]')"
	echo "alerts: $got"
}

# ---- three gslbd -------------------------------------------------------------
declare -A NS_PID NS_UDP NS_HTTP
# start_ns NAME: a gslbd of the fleet (its own state file, log and identity).
start_ns() {
	render_probe_config "$WORK/$1.conf" STATE_FILE="state-$1.json" FRESHNESS=1h
	sed -i "s/identity: \"integ-failover\"/identity: \"ns-$1\"/" "$WORK/$1.conf"
	cat >>"$WORK/$1.conf" <<EOF
etcd:
  endpoints: [$ENDPOINTS]
  timeout: 500ms
  poll: 100ms
alerts:
  - url: http://127.0.0.1:$(cat "$WORK/hook.port")/
    events: [down, up, drained, undrained, forced_up, fail_open, fail_closed]
EOF
	gslbd_start "$WORK/$1.conf" "gslbd-$1"
	api_port
	NS_PID[$1]=$G_PID
	NS_UDP[$1]=$G_UDP
	NS_HTTP[$1]=$G_HTTP
	BG_PIDS="$BG_PIDS $G_PID"
	G_PID=
}
# answer NAME ECS: the first address gslbd NAME answers www with.
answer() {
	Q_UDP=${NS_UDP[$1]} q +subnet="$2" www.gslb.example.net A
	answer_addrs | head -n 1
}
# admin NAME ACTION DC [QUERY]: POST through gslbd NAME; status in CODE.
admin() {
	CODE=$(curl -s -o "$WORK/admin.out" -w '%{http_code}' --max-time $((5 * TF)) -X POST \
		-H "Authorization: Bearer $PROBE_TOKEN" \
		"http://127.0.0.1:${NS_HTTP[$1]}/v1/datacenters/$3/$2${4:+?$4}")
	echo "$CODE" >"$WORK/admin.code" # for a call in the background
}
status_of() { curl -s --max-time $((5 * TF)) "http://127.0.0.1:${NS_HTTP[$1]}/v1/status"; }

start_ns a
start_ns b
start_ns c
for n in a b c; do
	[ "$(answer $n $LONDON)" = "$EU4" ] || fail "$n does not answer London with eu-west"
	[ "$(status_of $n | jq -r .etcd.state)" = "in sync with the fleet" ] || fail "$n is not in sync"
done

step "a drain through a reaches b and c within a second"
h0=$(hook_lines)
t0=$(now_ms)
admin a drain eu-west "reason=maintenance"
[ "$CODE" = 200 ] || fail "drain through a: HTTP $CODE $(cat "$WORK/admin.out")"
wait_until '[ "$(answer b $LONDON)" = "$US4" ] && [ "$(answer c $LONDON)" = "$US4" ]' 5 ||
	fail "b or c still answer London with eu-west"
ms=$(($(now_ms) - t0))
echo "the drain was in all three servers' answers after $ms ms"
[ "$ms" -le $((1000 * TF)) ] || fail "the drain took $ms ms to reach the fleet (more than 1 s)"
[ "$(answer a $LONDON)" = "$US4" ] || fail "a itself does not follow its drain"
author=$(status_of c | jq -r '.datacenters[] | select(.name == "eu-west") | .admin_author + " / " + .admin_reason')
case $author in
admin@127.0.0.1:*" / maintenance") ;;
*) fail "c does not show who drained eu-west and why: $author" ;;
esac
alerts_once "$h0" 3 "down:eu-west*3 drained:eu-west*3"

step "a server down while the fleet's state changes follows it from its first answer"
kill -TERM "${NS_PID[c]}"
wait_exit "${NS_PID[c]}" 10 || fail "c did not stop"
bg_forget "${NS_PID[c]}"
h0=$(hook_lines)
admin a undrain eu-west
[ "$CODE" = 200 ] || fail "undrain through a: HTTP $CODE"
admin b drain us-east
[ "$CODE" = 200 ] || fail "drain through b: HTTP $CODE"
alerts_once "$h0" 2 "down:us-east*2 drained:us-east*2 undrained:eu-west*2 up:eu-west*2"
h1=$(hook_lines)
# c's own state file still says eu-west is drained, us-east not.
jq -e '.datacenters["eu-west"].admin == "drain"' "$WORK/state-c.json" >/dev/null ||
	fail "c's local copy should still hold the old drain"
start_ns c
[ "$(answer c $LONDON)" = "$EU4" ] || fail "c's first answer for London does not follow the fleet"
[ "$(answer c $NEWYORK)" = "$EU4" ] || fail "c's answer for New York does not follow the fleet's drain of us-east"
# c catches up on both changes with the ids a and b sent them under.
alerts_once "$h0" 3 "down:us-east*3 drained:us-east*3 undrained:eu-west*3 up:eu-west*3"
tail -n +$((h1 + 1)) "$HOOK" | jq -e -s 'length == 4 and all(.body.instance == "ns-c")' >/dev/null ||
	fail "the catch-up alerts are not c's four"
admin a undrain us-east
[ "$CODE" = 200 ] || fail "undrain us-east: HTTP $CODE"

step "two writes from the same revision: one is refused 409"
rev=$(status_of a | jq -r '.datacenters[] | select(.name == "ap-southeast") | .admin_revision')
[ "$rev" = 0 ] || fail "ap-southeast should have no override yet (revision $rev)"
admin a drain ap-southeast "revision=$rev" &
p1=$!
CODE_B=$(curl -s -o "$WORK/admin-b.out" -w '%{http_code}' --max-time $((5 * TF)) -X POST \
	-H "Authorization: Bearer $PROBE_TOKEN" \
	"http://127.0.0.1:${NS_HTTP[b]}/v1/datacenters/ap-southeast/force-up?revision=$rev")
wait "$p1"
CODE_A=$(cat "$WORK/admin.code")
echo "the two writes: $CODE_A $CODE_B"
# Whichever came second found the key moved on from revision 0.
case "$CODE_A $CODE_B" in
"200 409" | "409 200") ;;
*) fail "two writes from revision $rev: $CODE_A and $CODE_B, expected one 409" ;;
esac
# a acts on what it has read: once it has read the winner's write, its
# undrain goes through.
wait_until '[ "$(status_of a | jq -r ".datacenters[] | select(.name == \"ap-southeast\") | .admin_revision")" != 0 ]' 5 ||
	fail "a did not read the write that won"
admin a undrain ap-southeast
[ "$CODE" = 200 ] || fail "undrain ap-southeast: HTTP $CODE"
# The undrain moved the key's revision on, not back to 0: a caller still
# holding the 0 it read before either write is refused.
rev=$(status_of a | jq -r '.datacenters[] | select(.name == "ap-southeast") | .admin_revision')
[ "$rev" -gt 0 ] || fail "ap-southeast's revision went back to $rev after the undrain"
admin b drain ap-southeast "revision=0"
[ "$CODE" = 409 ] || fail "a write from the revision 0 of before: HTTP $CODE, expected 409"
wait_until '[ "$(status_of c | jq -r ".datacenters[] | select(.name == \"ap-southeast\") | .admin_revision")" = "$rev" ]' 5 ||
	fail "c does not show ap-southeast at revision $rev"
admin c drain ap-southeast "revision=$rev"
[ "$CODE" = 200 ] || fail "a write from the current revision $rev: HTTP $CODE"
admin c undrain ap-southeast
[ "$CODE" = 200 ] || fail "undrain ap-southeast through c: HTTP $CODE"

step "two drains through a at once: every server names each event alike"
# Both land within one poll of b and c, which read them together.
wait_until 'false' 0.5 || true
h0=$(hook_lines)
admin a drain eu-west &
p1=$!
CODE_B=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * TF)) -X POST \
	-H "Authorization: Bearer $PROBE_TOKEN" "http://127.0.0.1:${NS_HTTP[a]}/v1/datacenters/ap-southeast/drain")
wait "$p1"
[ "$(cat "$WORK/admin.code") $CODE_B" = "200 200" ] || fail "the two drains: $(cat "$WORK/admin.code") $CODE_B"
alerts_once "$h0" 3 "down:ap-southeast*3 down:eu-west*3 drained:ap-southeast*3 drained:eu-west*3"
h0=$(hook_lines)
admin a undrain eu-west &
p1=$!
CODE_B=$(curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * TF)) -X POST \
	-H "Authorization: Bearer $PROBE_TOKEN" "http://127.0.0.1:${NS_HTTP[a]}/v1/datacenters/ap-southeast/undrain")
wait "$p1"
[ "$(cat "$WORK/admin.code") $CODE_B" = "200 200" ] || fail "the two undrains: $(cat "$WORK/admin.code") $CODE_B"
alerts_once "$h0" 3 "undrained:ap-southeast*3 undrained:eu-west*3 up:ap-southeast*3 up:eu-west*3"

step "gslbctl for the fleet: one write through etcd, applied by every server"
GSLBCTL=$top_builddir/ctl/gslbctl
FLEET="http://127.0.0.1:${NS_HTTP[a]},http://127.0.0.1:${NS_HTTP[b]},http://127.0.0.1:${NS_HTTP[c]}"
"$GSLBCTL" -s "$FLEET" -t "$PROBE_TOKEN" drain eu-west >"$WORK/ctl.out" 2>&1 ||
	fail "gslbctl fleet drain: $(cat "$WORK/ctl.out")"
cat "$WORK/ctl.out"
[ "$(grep -c "written through it" "$WORK/ctl.out")" -eq 1 ] || fail "written more than once"
[ "$(grep -c ": applied (eu-west: drain)" "$WORK/ctl.out")" -eq 3 ] || fail "not applied by all three"
wait_until '"$GSLBCTL" -s "$FLEET" status >"$WORK/ctl.out" 2>&1' 5 ||
	fail "the servers disagree: $(cat "$WORK/ctl.out")"
grep -q "etcd revision .* (in sync with the fleet)" "$WORK/ctl.out" || fail "no etcd revision in: $(cat "$WORK/ctl.out")"
"$GSLBCTL" -s "$FLEET" -t "$PROBE_TOKEN" undrain eu-west >"$WORK/ctl.out" 2>&1 ||
	fail "gslbctl fleet undrain: $(cat "$WORK/ctl.out")"

step "a probe reporting to the three: a backend's failure is one alert id per event"
probe_start probe-eu "http://127.0.0.1:${NS_HTTP[a]}" "http://127.0.0.1:${NS_HTTP[b]}" \
	"http://127.0.0.1:${NS_HTTP[c]}"
for n in a b c; do
	wait_until '[ "$(status_of $n | jq -r ".datacenters[] | select(.name == \"eu-west\") | .health")" = up ]' 10 ||
		fail "$n does not have eu-west up from the probe: $(status_of $n | jq -c .datacenters)"
done
wait_until 'false' 0.5 || true
h0=$(hook_lines)
EU_PORT=${BACKEND_PORT[eu-west]}
backend_stop eu-west
alerts_once "$h0" 3 "down:eu-west*3"
tail -n +$((h0 + 1)) "$HOOK" | jq -e -s 'all(.body.trigger | test("^report:probe-eu:[0-9a-f]{16}:[0-9]+$"))' >/dev/null ||
	fail "the trigger is not the probe's cycle: $(tail -n 1 "$HOOK" | jq -r .body.trigger)"
h0=$(hook_lines)
backend_start eu-west "$EU_PORT"
alerts_once "$h0" 3 "up:eu-west*3"
probe_stop probe-eu

step "etcd loses its quorum: DNS answers on, status and metrics say so, writes 503"
kill -TERM "${EPID[e2]}" "${EPID[e3]}"
wait_exit "${EPID[e2]}" 10 && wait_exit "${EPID[e3]}" 10 || fail "etcd members did not stop"
bg_forget "${EPID[e2]}"
bg_forget "${EPID[e3]}"
wait_until '[ "$(status_of a | jq -r .etcd.connected)" = false ]' 10 ||
	fail "a does not say etcd is unreachable: $(status_of a | jq -c .etcd)"
G_HTTP=${NS_HTTP[a]}
# Every failed read counts while it lasts, not when etcd is back.
e0=$(metric gslbd_etcd_errors_total)
wait_until '[ "$(metric gslbd_etcd_errors_total)" -ge $((e0 + 8)) ]' $((15 * TF)) ||
	fail "gslbd_etcd_errors_total stays at $(metric gslbd_etcd_errors_total) during the outage (from $e0)"
[ "$(status_of a | jq -r .etcd.errors)" -ge $((e0 + 8)) ] ||
	fail "the status counts $(status_of a | jq -r .etcd.errors) errors, /metrics more than $((e0 + 8))"
# ... and the log says so once, not once per read.
warned=$(grep -c 'etcd: read failed\|etcd: still unreachable\|warn.*etcd: etcd ' "$WORK/gslbd-a.log")
echo "a: $(metric gslbd_etcd_errors_total) failed reads, $warned lines in the log"
[ "$warned" -le 2 ] || fail "$warned log lines for the outage: $(grep 'etcd:' "$WORK/gslbd-a.log" | tail -n 5)"
for n in a b c; do
	t0=$(now_ms)
	[ "$(answer $n $LONDON)" = "$EU4" ] || fail "$n stopped answering London with eu-west"
	[ $(($(now_ms) - t0)) -lt $((1000 * TF)) ] || fail "$n's answer was slow with etcd down"
done
[ "$(metric gslbd_etcd_connected)" = 0 ] || fail "gslbd_etcd_connected is not 0"
admin a drain eu-west
[ "$CODE" = 503 ] || fail "a write without a quorum: HTTP $CODE, expected 503"
jq -r .error "$WORK/admin.out"
grep -q "no quorum or cannot be reached: none of its 3 members answered" "$WORK/admin.out" ||
	fail "the 503 does not say etcd has no quorum: $(cat "$WORK/admin.out")"
[ "$(answer a $LONDON)" = "$EU4" ] || fail "a refused write changed the answers"

step "etcd back: one line says so"
etcd_member e2
etcd_member e3
wait_until '[ "$(status_of a | jq -r .etcd.connected)" = true ]' $((30 * TF)) ||
	fail "a does not reconnect: $(status_of a | jq -c .etcd)"
G_LOG=$WORK/gslbd-a.log
log_wait 'etcd: reachable again after [0-9]*ms and [0-9]* failed reads' 5

for n in a b c; do
	G_PID=${NS_PID[$n]}
	G_LOG=$WORK/gslbd-$n.log
	bg_forget "$G_PID"
	gslbd_stop
done
echo PASS

#!/usr/bin/env bash
# dnstap's cost in gslbd side by side with Knot DNS's mod-dnstap: both serve
# the same static zone (tests/data/integ/diff.zone) to the same static
# queries, each once with dnstap off and once with every query and response
# written to its own fstrm_capture on a unix socket. The four servers run
# side by side on SERVER_CPU (0), one UDP worker each, and take in turn a
# paced dnsload (RATE queries/s, 20000, for SECONDS_RUN, 10, on CLIENT_CPU,
# 1), ROUNDS (5) times, each round in another order; the CPU time of a
# server's threads (their schedstat, in nanoseconds) around its run, over
# the responses dnsload got, is its CPU microseconds per answered query. It prints the medians and, for each server, the median of
# the per-round on/off ratios. The goal: gslbd's ratio at or below Knot's.
#
#   tests/bench/dnstap-knot.sh [BUILD-DIR]
#
# Knobs: RATE, SECONDS_RUN, ROUNDS, SERVER_CPU, CLIENT_CPU, KNOTD, GSLBD,
# DNSLOAD, KEEP=1 (keep the work directory). Needs knotd 3.x with
# mod-dnstap (Debian knot, knot-module-dnstap), fstrm_capture, dig,
# taskset, python3.
set -euo pipefail
build=$(cd "${1:-.}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
RATE=${RATE:-20000}
SECONDS_RUN=${SECONDS_RUN:-10}
ROUNDS=${ROUNDS:-5}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
for t in "$GSLBD" "$DNSLOAD" "$KNOTD"; do
	[ -x "$t" ] || { echo "dnstap-knot: no $t" >&2; exit 1; }
done
for t in fstrm_capture dig taskset python3; do
	command -v $t >/dev/null || { echo "dnstap-knot: $t not found" >&2; exit 1; }
done
work=$(mktemp -d)
pids=
cleanup() {
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	wait 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] && echo "dnstap-knot: work directory $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# A port free for both UDP and TCP on 127.0.0.1.
freeport() {
	if [ -x "$build/tests/tools/dnstest" ]; then
		"$build/tests/tools/dnstest" freeport 127.0.0.1
	else
		python3 -c 'import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: t.close(); u.close()'
	fi
}

# capture TAG: fstrm_capture on $work/TAG.sock into $work/TAG.fstrm, ready.
capture() {
	fstrm_capture -t protobuf:dnstap.Dnstap -u "$work/$1.sock" -w "$work/$1.fstrm" \
		>"$work/capture.$1.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 100); do [ -S "$work/$1.sock" ] && break; sleep 0.1; done
	[ -S "$work/$1.sock" ] || { echo "dnstap-knot: fstrm_capture did not listen" >&2; exit 1; }
}

cat >"$work/queries" <<'EOF'
www.example.org A -
www.example.org AAAA -
mail.example.org A -
example.org MX -
example.org SOA -
alias.example.org A -
nothere.example.org A -
EOF

declare -A spid sport
kuser=
[ "$(id -u)" -eq 0 ] && kuser='    user: root:root'
for tag in knot-off knot-on; do
	d=$work/$tag
	mkdir -p "$d"
	cp "$src/tests/data/integ/diff.zone" "$d/diff.zone"
	chmod u+w "$d/diff.zone"
	sport[$tag]=$(freeport)
	sed -e "s|@DIR@|$d|g" -e "s|@PORT@|${sport[$tag]}|g" -e "s|^@USER@\$|$kuser\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1|" \
		-e 's/any: info/any: warning/' \
		"$src/tests/data/integ/knot.conf.in" >"$d/knot.conf"
	if [ $tag = knot-on ]; then
		capture $tag
		sed -i -e "s|^template:\$|mod-dnstap:\n  - id: tap\n    sink: \"unix:$work/$tag.sock\"\n    log-queries: on\n    log-responses: on\ntemplate:|" \
			-e "s|^  - id: default\$|  - id: default\n    global-module: mod-dnstap/tap|" "$d/knot.conf"
	fi
	taskset -c "$SERVER_CPU" "$KNOTD" -c "$d/knot.conf" >"$work/$tag.log" 2>&1 &
	spid[$tag]=$!
	pids="$pids $!"
done
for tag in gslbd-off gslbd-on; do
	sed -e 's/^@LISTEN@$/    - 127.0.0.1:0/' -e 's/@TCP_IDLE_TIMEOUT@/10s/' \
		-e 's/@TCP_MAX_CONNECTIONS@/64/' -e 's/^  state_file: .*/  state_file: ""/' \
		"$src/tests/data/integ/gslbd-diff.conf.in" >"$work/$tag.conf"
	printf 'rrl:\n  enabled: false\n' >>"$work/$tag.conf"
	cp "$src/tests/data/integ/diff.zone" "$work/diff.zone"
	if [ $tag = gslbd-on ]; then
		capture $tag
		printf 'dnstap:\n  socket: %s\n' "$work/$tag.sock" >>"$work/$tag.conf"
	fi
	(cd "$work" && exec taskset -c "$SERVER_CPU" "$GSLBD" -c "$tag.conf" \
		--port-file "$tag.ports" >"$work/$tag.log" 2>&1) &
	spid[$tag]=$!
	pids="$pids $!"
done
tags="gslbd-off gslbd-on knot-off knot-on"
for tag in $tags; do
	for _ in $(seq 300); do
		if [ -z "${sport[$tag]:-}" ] && [ -s "$work/$tag.ports" ]; then
			sport[$tag]=$(awk '$1 == "dns" && $2 == "udp" { print $4; exit }' "$work/$tag.ports")
		fi
		kill -0 "${spid[$tag]}" 2>/dev/null || break
		[ -n "${sport[$tag]:-}" ] &&
			dig @127.0.0.1 -p "${sport[$tag]}" +time=1 +tries=1 example.org SOA 2>/dev/null |
			grep -q 'status: NOERROR' && continue 2
		sleep 0.1
	done
	cat "$work/$tag.log" >&2
	echo "dnstap-knot: $tag does not answer" >&2
	exit 1
done

# cpu_ns PID: CPU time of PID's threads so far, in nanoseconds, from their
# schedstat (exact; utime + stime of /proc/PID/stat counts 10 ms ticks).
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'
}
# load TAG: one paced run; "us/query responses".
load() {
	local t0 t1 out n
	t0=$(cpu_ns "${spid[$1]}")
	out=$(taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "${sport[$1]}" -d "$work/queries" \
		-Q "$RATE" -l "$SECONDS_RUN" -q 200 -T 3)
	t1=$(cpu_ns "${spid[$1]}")
	n=$(echo "$out" | awk '$1 == "responses:" { print $2 }')
	awk -v t=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.3f %d", t / 1e3 / n, n }'
}
for tag in $tags; do load "$tag" >/dev/null; done # warm-up
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	# Each round starts with another server: none always runs first.
	set -- $tags
	for _ in $(seq $(((r - 1) % 4))); do set -- "$@" "$1"; shift; done
	for tag in "$@"; do
		echo "$r $tag $(load "$tag")" | tee -a "$work/runs"
	done
done
# Every server with dnstap on must have written a record.
for tag in gslbd-on knot-on; do
	kill -TERM "${spid[$tag]}"
	for _ in $(seq 100); do kill -0 "${spid[$tag]}" 2>/dev/null || break; sleep 0.1; done
done
sleep 1
for tag in gslbd-on knot-on; do
	[ -s "$work/$tag.fstrm" ] || echo "dnstap-knot: WARNING: $tag wrote no dnstap data" >&2
	echo "$tag dnstap file: $(stat -c %s "$work/$tag.fstrm" 2>/dev/null || echo 0) bytes"
done
echo "dnstap-knot: $ROUNDS rounds x ${SECONDS_RUN}s at $RATE q/s, servers on CPU $SERVER_CPU," \
	"dnsload on CPU $CLIENT_CPU, $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end," \
	"$("$KNOTD" -V 2>&1 | head -1)"
python3 - "$work/runs" <<'PY'
import statistics, sys
cost = {}
for r, tag, us, n in (l.split() for l in open(sys.argv[1])):
    cost.setdefault(tag, {})[r] = float(us)
for tag in ('gslbd-off', 'gslbd-on', 'knot-off', 'knot-on'):
    print('%-10s CPU us/query %.3f' % (tag, statistics.median(cost[tag].values())))
rat = {}
for s in ('gslbd', 'knot'):
    on, off = cost[s + '-on'], cost[s + '-off']
    rat[s] = statistics.median(on[r] / off[r] for r in off)
    print('%-6s on/off %.3f  (median of the per-round ratios)' % (s, rat[s]))
print('gslbd ratio %s Knot ratio' % ('<=' if rat['gslbd'] <= rat['knot'] else '>'))
PY
echo "per run: taskset -c $CLIENT_CPU dnsload -s 127.0.0.1 -p PORT -d queries" \
	"-Q $RATE -l $SECONDS_RUN -q 200 -T 3; CPU = the threads' /proc/PID/task/*/schedstat"

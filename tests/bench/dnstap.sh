#!/usr/bin/env bash
# The cost of dnstap: instructions per query of gslbd's threads but the
# main one (the UDP worker, the dnstap writer, TCP and the rest; the main
# thread's start-up, GeoIP compile and metrics are left out), counted by
# callgrind, for the same paced query load with dnstap off, with every query
# and response written to fstrm_capture on a unix socket, and with 1 in 100
# exchanges written (dnstap.sample: 100). Instructions are a measure that a
# shared, noisy machine does not disturb; the goal is at most 1.10x (all)
# and 1.02x (1 in 100) of off.
#
#   tests/bench/dnstap.sh [BUILD-DIR]
#   tests/bench/dnstap.sh BUILD-DIR cpu
#
# The cpu mode measures CPU time instead, system calls included: the three
# gslbd (off, all, sample) run side by side on SERVER_CPU (0), each with its
# own fstrm_capture for the sinks, and take a paced dnsload (CPU_RATE
# queries/s, 20000, for CPU_SECONDS, 10, on CLIENT_CPU, 1) in turn, ROUNDS
# (5) times, each round in another order; the CPU time of gslbd's threads
# (their schedstat, in nanoseconds) around each run, over the responses
# dnsload got, gives its CPU microseconds per answered query. It prints the medians and the median
# of the per-round ratios.
#
# The load: tests/bench/dnsload paced at RATE queries/s for SECONDS_RUN
# seconds over the queries of the integration tests' geo zone (load-balanced
# names with and without ECS, static names), as the geo tests' config
# serves them (tests/data/integ/geo). Knobs: RATE (2000), SECONDS_RUN (10),
# KEEP=1 (keep the work directory).
set -euo pipefail
build=$(cd "${1:-.}" && pwd)
mode=${2:-callgrind}
src=$(cd "$(dirname "$0")/../.." && pwd)
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
RATE=${RATE:-2000}
SECONDS_RUN=${SECONDS_RUN:-10}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "dnstap: no $t (run from a build directory)" >&2; exit 1; }
done
need="fstrm_capture curl"
[ "$mode" = cpu ] && need="$need taskset python3" || need="$need valgrind"
for t in $need; do
	command -v $t >/dev/null || { echo "dnstap: $t not found" >&2; exit 1; }
done
work=$(mktemp -d)
pids=
[ "${KEEP:-0}" = 1 ] || trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT
cp "$src"/tests/data/integ/geo/*.zone "$work/"
cp "$src/tests/data/geo/test-city.mmdb" "$work/geo.mmdb"
sed -e 's/^@LISTEN@$/    - 127.0.0.1:0/' -e 's/@TCP_IDLE_TIMEOUT@/10s/' \
	-e 's/@TCP_MAX_CONNECTIONS@/64/' -e 's/^  workers: .*/  workers: 1/' \
	-e 's/^  state_file: .*/  state_file: ""/' -e 's/^  level: info/  level: warning/' \
	"$src/tests/data/integ/geo/gslbd-geo.conf.in" >"$work/base.conf"
printf 'rrl:\n  enabled: false\n' >>"$work/base.conf"
cat >"$work/queries" <<'EOF'
www.gslb.example.com A 81.2.69.0/24
www.gslb.example.com A 192.0.2.0/24
www.gslb.example.com A 203.0.113.0/24
www.gslb.example.com A -
www.gslb.example.com AAAA 81.2.69.0/24
static.gslb.example.com A -
all.gslb.example.com A -
EOF

# capture TAG: fstrm_capture on $work/TAG.sock into $work/TAG.fstrm, ready.
capture() {
	rm -f "$work/$1.sock"
	fstrm_capture -t protobuf:dnstap.Dnstap -u "$work/$1.sock" -w "$work/$1.fstrm" \
		>"$work/capture.$1.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 100); do [ -S "$work/$1.sock" ] && break; sleep 0.1; done
	[ -S "$work/$1.sock" ] || { echo "dnstap: fstrm_capture did not listen" >&2; exit 1; }
}

if [ "$mode" = cpu ]; then
	CPU_RATE=${CPU_RATE:-20000}
	CPU_SECONDS=${CPU_SECONDS:-10}
	ROUNDS=${ROUNDS:-5}
	SERVER_CPU=${SERVER_CPU:-0}
	CLIENT_CPU=${CLIENT_CPU:-1}
	declare -A gpid gport
	for tag in off all sample; do
		cp "$work/base.conf" "$work/$tag.conf"
		case $tag in
		all) capture all; printf 'dnstap:\n  socket: %s\n' "$work/all.sock" >>"$work/$tag.conf" ;;
		sample)
			capture sample
			printf 'dnstap:\n  socket: %s\n  sample: 100\n' "$work/sample.sock" \
				>>"$work/$tag.conf"
			;;
		esac
		(cd "$work" && exec taskset -c "$SERVER_CPU" "$GSLBD" -c "$tag.conf" \
			--port-file "$tag.ports" >"$work/gslbd.$tag.log" 2>&1) &
		gpid[$tag]=$!
		pids="$pids $!"
	done
	for tag in off all sample; do
		for _ in $(seq 300); do grep -q 'ready:' "$work/gslbd.$tag.log" 2>/dev/null && break; sleep 0.1; done
		gport[$tag]=$(awk '$1 == "dns" && $2 == "udp" { print $4; exit }' "$work/$tag.ports")
		[ -n "${gport[$tag]}" ] || { echo "dnstap: gslbd ($tag) did not start" >&2; exit 1; }
	done
	# cpu_ns PID: CPU time of PID's threads so far, in nanoseconds, from their
	# schedstat (exact; utime + stime of /proc/PID/stat counts 10 ms ticks).
	cpu_ns() {
		cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'
	}
	# load TAG: one paced run against gslbd TAG; "us/query responses".
	load() {
		local t0 t1 out n
		t0=$(cpu_ns "${gpid[$1]}")
		out=$(taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "${gport[$1]}" -d "$work/queries" \
			-Q "$CPU_RATE" -l "$CPU_SECONDS" -q 200 -T 3)
		t1=$(cpu_ns "${gpid[$1]}")
		n=$(echo "$out" | awk '$1 == "responses:" { print $2 }')
		awk -v t=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.3f %d", t / 1e3 / n, n }'
	}
	for tag in off all sample; do load "$tag" >/dev/null; done # warm-up
	for r in $(seq "$ROUNDS"); do
		# Each round starts with another server: none always runs first.
		case $((r % 3)) in
		1) order="off all sample" ;;
		2) order="all sample off" ;;
		*) order="sample off all" ;;
		esac
		for tag in $order; do
			echo "$r $tag $(load "$tag")" | tee -a "$work/runs"
		done
	done
	echo "dnstap cpu: $ROUNDS rounds x ${CPU_SECONDS}s at $CPU_RATE q/s, gslbd on CPU $SERVER_CPU," \
		"dnsload on CPU $CLIENT_CPU, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	python3 - "$work/runs" <<'PY'
import statistics, sys
cost = {}
for r, tag, us, n in (l.split() for l in open(sys.argv[1])):
    cost.setdefault(tag, {})[r] = float(us)
for tag in ('off', 'all', 'sample'):
    print('%-8s CPU us/query %.3f' % (tag, statistics.median(cost[tag].values())))
rat = lambda v: statistics.median(cost[v][r] / cost['off'][r] for r in cost['off'])
print('all/off %.3f   sample 1/100 / off %.3f  (medians of the per-round ratios)'
      % (rat('all'), rat('sample')))
PY
	echo "per run: taskset -c $CLIENT_CPU dnsload -s 127.0.0.1 -p PORT -d queries" \
		"-Q $CPU_RATE -l $CPU_SECONDS -q 200 -T 3; CPU = the threads' /proc/PID/task/*/schedstat"
	exit 0
fi

# run TAG [DNSTAP-LINES]: gslbd under callgrind with that dnstap section,
# the load, then "TAG queries Ir Ir/query".
run() {
	local tag=$1 dnstap=${2:-} port http n ir cap=
	cp "$work/base.conf" "$work/$tag.conf"
	if [ -n "$dnstap" ]; then
		printf 'dnstap:\n%s\n' "$dnstap" >>"$work/$tag.conf"
		rm -f "$work/tap.sock"
		fstrm_capture -t protobuf:dnstap.Dnstap -u "$work/tap.sock" -w "$work/$tag.fstrm" \
			>"$work/capture.$tag.log" 2>&1 &
		cap=$!
		pids="$pids $cap"
		for _ in $(seq 100); do [ -S "$work/tap.sock" ] && break; sleep 0.1; done
	fi
	(cd "$work" && exec valgrind --tool=callgrind --separate-threads=yes \
		--callgrind-out-file="$work/cg.$tag" \
		"$GSLBD" -c "$tag.conf" --port-file "$tag.ports" >"$work/gslbd.$tag.log" 2>&1) &
	local g=$!
	pids="$pids $g"
	for _ in $(seq 600); do grep -q 'ready:' "$work/gslbd.$tag.log" 2>/dev/null && break; sleep 0.1; done
	port=$(awk '$1 == "dns" && $2 == "udp" { print $4; exit }' "$work/$tag.ports")
	http=$(awk '$1 == "http" { print $4; exit }' "$work/$tag.ports")
	"$DNSLOAD" -s 127.0.0.1 -p "$port" -d "$work/queries" -Q "$RATE" -l "$SECONDS_RUN" -q 50 \
		-T 3 >"$work/dnsload.$tag.out"
	n=$(curl -s "http://127.0.0.1:$http/metrics" |
		awk '/^gslbd_dns_queries_total/ { s += $2 } END { print s }')
	kill -TERM "$g"
	wait "$g" || true
	if [ -n "$cap" ]; then
		kill -TERM "$cap"
		wait "$cap" || true
	fi
	ir=$(cat "$work"/cg.$tag-* | awk '/^thread: / { t = $2 } /^summary:/ && t != 1 { s += $2 } END { print s }')
	awk -v t="$tag" -v n="$n" -v ir="$ir" 'BEGIN { printf "%-8s queries %d  Ir %d  Ir/query %.0f\n", t, n, ir, ir / n }'
}

off=$(run off)
echo "$off"
all=$(run all "  socket: $work/tap.sock")
echo "$all"
s100=$(run sample "  socket: $work/tap.sock
  sample: 100")
echo "$s100"
printf '%s\n%s\n%s\n' "$off" "$all" "$s100" | awk '
	{ q[NR] = $NF }
	END { printf "all/off %.3f   sample 1/100 / off %.3f\n", q[2] / q[1], q[3] / q[1] }'

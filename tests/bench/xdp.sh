#!/bin/bash
# The AF_XDP path against sockets, on a veth pair between two network
# namespaces (made here; root): gslbd on XDP (server.xdp, port 53), gslbd
# on sockets (port 5353) and gdnsd on sockets (port 5300) serve the quick
# zone of run.sh in the server namespace, each pinned to SERVER_CPU;
# dnsload runs in the client namespace on LOAD_CPU. Rounds alternate
# between the three servers; each run is a closed-loop dnsload run of
# DURATION seconds, and the figures per server are medians over ROUNDS:
#
#   qps        answered queries per second (closed loop, INFLIGHT in flight)
#   lost       queries without an answer (a run with losses is marked)
#   proc_us/q  the server process's CPU (utime + stime of all its threads,
#              /proc/PID/stat) per answered query
#   core_us/q  the server's CPU busy in all (user, system, softirq: what the
#              kernel did on it for the server's packets too, /proc/stat) per
#              answered query
#
# and the ratios XDP / sockets (CPU per query) and XDP / gdnsd (qps). See
# tests/bench/README.md for what veth in copy mode limits.
#
#   tests/bench/xdp.sh [BUILD_DIR]
#
# Environment: ROUNDS [5], DURATION [5] seconds, INFLIGHT [64], HOSTS [3000],
# SERVER_CPU [0], LOAD_CPU [1], KEEP=1 keeps the work directory,
# RESULTS=FILE copies the summary there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
helper=$here/bench.py
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
INFLIGHT=${INFLIGHT:-64}
HOSTS=${HOSTS:-3000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
ORIGIN=bench.example

die() {
	echo "xdp bench: $*" >&2
	exit 1
}
log() { echo "[$(date +%T)] $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP)"
[ -x "$GSLBD" ] || die "$GSLBD not built"
[ -x "$DNSLOAD" ] || die "$DNSLOAD not built (make tests/bench/dnsload)"
for t in ip taskset python3 dig gdnsd; do
	command -v $t >/dev/null || die "$t not found"
done

WORK=$(mktemp -d /tmp/gslbd-xdp-bench.XXXXXX)
SNS=gslbd-bs-$$
CNS=gslbd-bc-$$
SIF=gbs$$
CIF=gbc$$
S4=10.54.0.1
C4=10.54.0.2
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$SNS" 2>/dev/null || true
	ip netns del "$CNS" 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "work dir kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

in_s() { ip netns exec "$SNS" "$@"; }
in_c() { ip netns exec "$CNS" "$@"; }

ip netns add "$SNS"
ip netns add "$CNS"
ip link add "$SIF" netns "$SNS" type veth peer name "$CIF" netns "$CNS"
in_s ip link set lo up
in_c ip link set lo up
in_s ip addr add $S4/24 dev "$SIF"
in_c ip addr add $C4/24 dev "$CIF"
in_s ip link set "$SIF" up
in_c ip link set "$CIF" up

python3 "$helper" zone "$WORK/$ORIGIN.zone" $ORIGIN "$HOSTS" >/dev/null
python3 "$helper" queries "$WORK/queries" $ORIGIN "$HOSTS" 100000

gslbd_conf() { # DIR PORT xdp|socket
	mkdir -p "$1"
	cp "$WORK/$ORIGIN.zone" "$1/"
	{
		echo "server:"
		echo "  listen: [\"$S4:$2\"]"
		echo "  workers: 1"
		[ "$3" = xdp ] && echo "  xdp: [$SIF]"
		echo "  state_file: state.json"
		echo "log:"
		echo "  level: info"
		echo "rrl:"
		echo "  exempt: [$C4/32]"
		echo "zones:"
		echo "  - name: $ORIGIN"
		echo "    file: $ORIGIN.zone"
	} >"$1/gslbd.conf"
}

# start NAME PORT CMD...: start a server in the server namespace on
# SERVER_CPU; wait until it answers; sets SPID[NAME].
declare -A SPID PORT
start() {
	local name=$1 port=$2 i
	shift 2
	ip netns exec "$SNS" taskset -c "$SERVER_CPU" "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	PORT[$name]=$port
	for i in $(seq 1 200); do
		if in_c dig @$S4 -p "$port" +time=1 +tries=1 +short h1.$ORIGIN A >/dev/null 2>&1; then
			break
		fi
		sleep 0.05
	done
	in_c dig @$S4 -p "$port" +time=1 +tries=1 +short h1.$ORIGIN A | grep -q . ||
		die "$name does not answer: $(tail -n 5 "$WORK/$name.log")"
}

gslbd_conf "$WORK/xdp" 53 xdp
gslbd_conf "$WORK/sock" 5353 socket
start xdp 53 "$GSLBD" -c "$WORK/xdp/gslbd.conf"
SPID[xdp]=${PIDS[-1]}
grep -q "xdp=$SIF@0" "$WORK/xdp.log" || die "gslbd is not on XDP: $(cat "$WORK/xdp.log")"
start sock 5353 "$GSLBD" -c "$WORK/sock/gslbd.conf"
SPID[sock]=${PIDS[-1]}
mkdir -p "$WORK/gdnsd/zones" "$WORK/gdnsd/run" "$WORK/gdnsd/state"
cp "$WORK/$ORIGIN.zone" "$WORK/gdnsd/zones/$ORIGIN"
cat >"$WORK/gdnsd/config" <<EOF
options => {
  listen => [ $S4 ]
  dns_port => 5300
  udp_threads => 1
  tcp_threads => 1
  run_dir => $WORK/gdnsd/run
  state_dir => $WORK/gdnsd/state
}
EOF
start gdnsd 5300 gdnsd -c "$WORK/gdnsd" start
SPID[gdnsd]=${PIDS[-1]}
# gdnsd start stays in the foreground; the pid of ip netns exec is that of
# taskset, which execs the server: the same process.

proc_cpu() { awk '{ print $1 }' < <(python3 "$helper" cpu "$1"); }
core_cpu() { python3 "$helper" cpubusy "$SERVER_CPU"; }

# run NAME ROUND: one closed-loop run; appends "qps lost proc_us core_us".
run() {
	local name=$1 out=$WORK/$1.run$2 p0 p1 c0 c1 n
	p0=$(proc_cpu "${SPID[$name]}")
	c0=$(core_cpu)
	in_c taskset -c "$LOAD_CPU" "$DNSLOAD" -s $S4 -p "${PORT[$name]}" -d "$WORK/queries" \
		-q "$INFLIGHT" -l "$DURATION" >"$out" 2>&1
	p1=$(proc_cpu "${SPID[$name]}")
	c1=$(core_cpu)
	n=$(awk '$1 == "responses:" { print $2 }' "$out")
	awk -v n="$n" -v p0="$p0" -v p1="$p1" -v c0="$c0" -v c1="$c1" \
		'$1 == "qps:" { q = $2 } $1 == "lost:" { l = $2 }
		END { printf "%s %s %.3f %.3f\n", q, l, (p1 - p0) * 1e6 / n, (c1 - c0) * 1e6 / n }' \
		"$out" >>"$WORK/$name.figures"
	log "$name round $2: $(tail -n 1 "$WORK/$name.figures") (qps lost proc_us/q core_us/q)"
}

log "warm-up"
for name in xdp sock gdnsd; do
	in_c taskset -c "$LOAD_CPU" "$DNSLOAD" -s $S4 -p "${PORT[$name]}" -d "$WORK/queries" \
		-q "$INFLIGHT" -l 1 >/dev/null 2>&1
done
for r in $(seq 1 "$ROUNDS"); do
	for name in xdp sock gdnsd; do
		run $name "$r"
	done
done

median() { # FILE COLUMN
	awk -v c="$2" '{ print $c }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
{
	echo "AF_XDP bench: veth pair, server on CPU $SERVER_CPU, dnsload on CPU $LOAD_CPU,"
	echo "$ROUNDS rounds x ${DURATION}s closed loop, $INFLIGHT in flight, zone of $HOSTS hosts"
	echo "kernel $(uname -r), $(gdnsd -V 2>&1 | grep -m1 -o 'gdnsd version [^ ]*' || true)"
	printf '%-22s %10s %8s %10s %10s\n' server qps lost proc_us/q core_us/q
	for name in xdp sock gdnsd; do
		f=$WORK/$name.figures
		printf '%-22s %10.0f %8s %10.3f %10.3f\n' \
			"$([ $name = xdp ] && echo 'gslbd XDP' || { [ $name = sock ] && echo 'gslbd sockets' || echo 'gdnsd sockets'; })" \
			"$(median "$f" 1)" "$(awk '{ s += $2 } END { print s }' "$f")" \
			"$(median "$f" 3)" "$(median "$f" 4)"
		eval "qps_$name=$(median "$f" 1) proc_$name=$(median "$f" 3) core_$name=$(median "$f" 4)"
	done
	awk -v a="$proc_xdp" -v b="$proc_sock" -v c="$core_xdp" -v d="$core_sock" \
		-v q="$qps_xdp" -v g="$qps_gdnsd" -v s="$qps_sock" 'BEGIN {
		printf "XDP / sockets, process CPU per query: %.2f\n", a / b
		printf "XDP / sockets, server core CPU per query: %.2f\n", c / d
		printf "XDP / gdnsd qps: %.2f   XDP / gslbd sockets qps: %.2f\n", q / g, q / s
	}'
	if [ "$(cat "$WORK"/*.figures | awk '{ s += $2 } END { print s }')" -eq 0 ]; then
		echo "lost: none in any round (each qps is a rate without loss)"
	else
		echo "lost: total over the rounds; a server with losses was driven past what it answers"
	fi
} | tee "$WORK/results.txt"
[ -n "${RESULTS:-}" ] && cp "$WORK/results.txt" "$RESULTS"
exit 0

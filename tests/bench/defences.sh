#!/usr/bin/env bash
# The cost of the defences: gslbd's CPU per query with response rate
# limiting and DNS cookies on (the defaults) and off, on the same traffic.
#
# Normal load: load-balanced queries (nearest, the GeoLite2-City database,
# every query with its own ECS /24 drawn at random, 1,000,000 of them) from
# SOURCES resolver networks (dnsload -S: 127.A.B.1, one per /24), each far
# under the rate limit, every query with a DNS client cookie (so that with
# cookies on, each answer makes a server cookie: SipHash-2-4, the dearest
# case). A flood: the same queries from 16 networks at a fixed FLOOD_RATE,
# far over the limit: with the defences on nearly every packet is dropped
# or slipped, and the CPU per packet is what a flood costs.
#
# Both servers run at once, pinned to SERVER_CPU; the runs alternate
# (ROUNDS of each) and the medians are reported.
#
#   GSLBD_GEOLITE2_CITY=/path/GeoLite2-City.mmdb tests/bench/defences.sh [BUILD-DIR]
#
# Knobs: OFF_CONF and ON_CONF (the YAML that turns the defences off and
# on, to compare others: e.g. ON_CONF='cookies: { enabled: false }' for
# rate limiting alone), ROUNDS (3), SECONDS_RUN (10), SOURCES (50000), INFLIGHT (200),
# FLOOD_RATE (100000), SERVER_CPU (0), CLIENT_CPU (1), KEEP=1.
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
DB=${GSLBD_GEOLITE2_CITY:?set GSLBD_GEOLITE2_CITY to a GeoLite2-City.mmdb}
ROUNDS=${ROUNDS:-3}
SECONDS_RUN=${SECONDS_RUN:-10}
SOURCES=${SOURCES:-50000}
INFLIGHT=${INFLIGHT:-200}
FLOOD_RATE=${FLOOD_RATE:-100000}
OFF_CONF=${OFF_CONF:-$'rrl: { enabled: false }\ncookies: { enabled: false }'}
ON_CONF=${ON_CONF:-'cookies: { secret: 000102030405060708090a0b0c0d0e0f }'}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "defences: no $t (run from a build directory)" >&2; exit 1; }
done
work=$(mktemp -d)
pids=
[ "${KEEP:-0}" = 1 ] || trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT

printf '%s\n' '$ORIGIN gslb.test.' '$TTL 300' \
	'@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30' '@ NS ns1.gslb.test.' \
	'ns1 A 192.0.2.53' >"$work/gslb.test.zone"
conf() { # conf on|off
	cat <<EOC
server: { listen: [127.0.0.1:0], workers: 1, state_file: "" }
log: { level: info }
geoip: { database: $DB }
zones: [ { name: gslb.test, file: gslb.test.zone } ]
datacenters:
  - { name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10 }
  - { name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10 }
  - { name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10 }
pools: [ { name: web, datacenters: [us-east, eu-west, ap-southeast], policy: nearest } ]
names: [ { name: www.gslb.test, pool: web } ]
EOC
	if [ "$1" = off ]; then
		printf '%s\n' "$OFF_CONF"
	else
		printf '%s\n' "$ON_CONF"
	fi
}
python3 - "$work/queries.txt" <<'PY'
import random, sys
r = random.Random(7)
with open(sys.argv[1], 'w') as f:
    for _ in range(1000000):
        a = r.randrange(1, 224)
        while a in (10, 127):
            a = r.randrange(1, 224)
        f.write('www.gslb.test A %d.%d.%d.0/24\n' % (a, r.randrange(256), r.randrange(256)))
PY

declare -A pid port
for v in off on; do
	conf "$v" >"$work/$v.conf"
	taskset -c "$SERVER_CPU" "$GSLBD" -c "$work/$v.conf" --port-file "$work/$v.ports" \
		2>"$work/$v.log" &
	pid[$v]=$!
	pids="$pids ${pid[$v]}"
done
for v in off on; do
	for _ in $(seq 600); do grep -q 'ready:' "$work/$v.log" 2>/dev/null && break; sleep 0.1; done
	grep -q 'ready:' "$work/$v.log" || { echo "defences: gslbd ($v) did not start" >&2; cat "$work/$v.log" >&2; exit 1; }
	port[$v]=$(awk '$2 == "udp" { print $4; exit }' "$work/$v.ports")
done

cpu_s() { # CPU seconds (user + system) of process $1
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.4f", ($14 + $15) / hz }' "/proc/$1/stat"
}
field() { awk -v k="$1:" '$1 == k { print $2; exit }' "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run() { # run VARIANT OUT DNSLOAD-ARGS...: sets RUN_CPU_US (per packet sent), RUN_QPS
	local v=$1 out=$2 c0 c1 sent
	shift 2
	c0=$(cpu_s "${pid[$v]}")
	taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "${port[$v]}" -d "$work/queries.txt" \
		-l "$SECONDS_RUN" "$@" >"$out"
	c1=$(cpu_s "${pid[$v]}")
	sent=$(field queries_sent "$out")
	RUN_CPU_US=$(awk -v a="$c0" -v b="$c1" -v n="$sent" 'BEGIN { printf "%.3f", (b - a) * 1e6 / n }')
	RUN_QPS=$(field qps "$out")
}

declare -A cpu qps resp
for v in off on; do
	run "$v" "$work/$v.warm" -q "$INFLIGHT" -S "$SOURCES" -C # warm-up
done
for r in $(seq "$ROUNDS"); do
	for v in off on; do
		run "$v" "$work/$v.normal.$r" -q "$INFLIGHT" -S "$SOURCES" -C
		cpu[$v.normal]+=" $RUN_CPU_US" qps[$v.normal]+=" $RUN_QPS"
		echo "normal $v round $r: ${RUN_CPU_US} us/query, ${RUN_QPS} qps, lost $(field lost "$work/$v.normal.$r")" >&2
	done
	for v in off on; do
		run "$v" "$work/$v.flood.$r" -Q "$FLOOD_RATE" -q 20000 -T 0.05 -S 16 -C
		cpu[$v.flood]+=" $RUN_CPU_US"
		resp[$v.flood]+=" $(field responses "$work/$v.flood.$r")/$(field queries_sent "$work/$v.flood.$r")"
		echo "flood $v round $r: ${RUN_CPU_US} us/packet, responses $(field responses "$work/$v.flood.$r") of $(field queries_sent "$work/$v.flood.$r")" >&2
	done
done
off=$(median ${cpu[off.normal]})
on=$(median ${cpu[on.normal]})
echo "gslbd defences benchmark: $(nproc) CPUs, 1 UDP worker on CPU $SERVER_CPU, dnsload on CPU $CLIENT_CPU"
echo "normal load ($SOURCES resolver networks, 1,000,000 ECS /24s, a client cookie on every query, closed loop -q $INFLIGHT, ${SECONDS_RUN}s x $ROUNDS):"
echo "  off: $off us CPU/query (runs:${cpu[off.normal]}), qps$(printf ' %s' ${qps[off.normal]})"
echo "  on:  $on us CPU/query (runs:${cpu[on.normal]}), qps$(printf ' %s' ${qps[on.normal]})"
echo "  on/off: $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
echo "flood (16 networks at $FLOOD_RATE packets/s, fixed rate, ${SECONDS_RUN}s x $ROUNDS):"
echo "  off: $(median ${cpu[off.flood]}) us CPU/packet, responses/sent:${resp[off.flood]}"
echo "  on:  $(median ${cpu[on.flood]}) us CPU/packet, responses/sent:${resp[on.flood]}"
for v in off on; do
	echo "  rss $v: $(awk '/^VmRSS:/ { print $2, $3 }' "/proc/${pid[$v]}/status"), peak $(awk '/^VmHWM:/ { print $2, $3 }' "/proc/${pid[$v]}/status")"
done

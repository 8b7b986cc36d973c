#!/usr/bin/env bash
# Load-aware policies end to end: gslbd's CPU time per query for names
# whose pools use the load data against the same names without it, in
# paired rounds (each variant right after its baseline, ROUNDS times), so
# that the machine's drift hits both alike. One gslbd, one UDP worker on
# SERVER_CPU; dnsload on CLIENT_CPU as fast as answers come back; every
# query with its own ECS /24 (half in the GeoIP database's networks).
#
# Sixteen datacenters: a-0..a-7 have a capacity and a check with a load,
# b-0..b-7 are the same places without. One signed report (sent here with
# openssl and curl, as a probe would) gives a-0..a-3 a load of 160 % (then
# 80 %): their spill-over share is 0.5; the others are at 50 %.
#
#   baseline     variant          what differs
#   nearest      nearest+spill    nearest over a-* (four spill) vs b-*
#   failover     failover+spill   failover [a-0..a-3] (all spill) vs [b-0..b-3]
#   nearest      least_load       least_load over a-* vs nearest over b-*
#   all          all+rotate       four answers, round robin vs as ranked
#
# Prints per pair the median over the rounds of gslbd's CPU microseconds
# per query and of the per-round ratio variant / baseline, and the commands.
#
#   tests/bench/load-paired.sh [BUILD-DIR]
#
# Knobs: ROUNDS (5), SECONDS_RUN (2), INFLIGHT (100), SERVER_CPU (0),
# CLIENT_CPU (1), DB (tests/data/geo/test-city.mmdb), KEEP=1. Needs
# python3, openssl, curl, jq and taskset; dnsload is built by make.
set -euo pipefail
build=${1:-.}
src=$(cd "$(dirname "$0")/../.." && pwd)
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
DB=${DB:-$src/tests/data/geo/test-city.mmdb}
ROUNDS=${ROUNDS:-5}
SECONDS_RUN=${SECONDS_RUN:-2}
INFLIGHT=${INFLIGHT:-100}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "load-paired: no $t (run from a build directory)" >&2; exit 1; }
done
for c in python3 openssl curl jq taskset; do
	command -v $c >/dev/null || { echo "load-paired: $c not found" >&2; exit 1; }
done
work=$(mktemp -d)
cleanup() {
	if [ -n "${pid:-}" ]; then
		kill "$pid" 2>/dev/null || :
	fi
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
secret=bench-secret-0123456789abcdef

{
	cat <<EOC
server: { listen: [127.0.0.1:0], workers: 1 }
log: { level: info }
rrl: { exempt: [127.0.0.0/8] }
api: { listen: "127.0.0.1:0" }
geoip: { database: $DB }
zones: [ { name: gslb.test, file: gslb.test.zone } ]
checks: [ { name: c, load: { header: X-Load } } ]
probes: [ { id: p, region: eu, latitude: 50, longitude: 8, secret: $secret } ]
health: { freshness: 1h, grace: 1h }
load: { high_water: 80, low_water: 60, max_step: 100, interval: 500ms }
datacenters:
EOC
	i=0
	for pos in "40.71 -74.01" "37.77 -122.42" "53.35 -6.26" "50.11 8.68" "1.35 103.82" \
		"35.68 139.69" "-23.55 -46.63" "-33.92 18.42"; do
		set -- $pos
		echo "  - { name: a-$i, latitude: $1, longitude: $2, ipv4: 192.0.2.$((i + 1)), check: c, check_address: 127.0.0.1:9, capacity: 100 }"
		echo "  - { name: b-$i, latitude: $1, longitude: $2, ipv4: 198.51.100.$((i + 1)) }"
		i=$((i + 1))
	done
	cat <<EOC
pools:
  - { name: near-a, datacenters: [a-0, a-1, a-2, a-3, a-4, a-5, a-6, a-7] }
  - { name: near-b, datacenters: [b-0, b-1, b-2, b-3, b-4, b-5, b-6, b-7] }
  - { name: fo-a, policy: failover, datacenters: [a-2, a-3, a-0, a-1] }
  - { name: fo-b, policy: failover, datacenters: [b-2, b-3, b-0, b-1] }
  - { name: ll, policy: least_load, datacenters: [a-0, a-1, a-2, a-3, a-4, a-5, a-6, a-7] }
  - { name: all, policy: all, answers: 4, datacenters: [b-0, b-1, b-2, b-3] }
  - { name: allrr, policy: all, answers: 4, rotate: on, datacenters: [b-0, b-1, b-2, b-3] }
names:
EOC
	for n in near-a near-b fo-a fo-b ll all allrr; do
		echo "  - { name: $n.gslb.test, pool: $n }"
	done
} >"$work/gslbd.conf"
printf '%s\n' '$ORIGIN gslb.test.' '$TTL 300' \
	'@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30' '@ NS ns1.gslb.test.' \
	'ns1 A 192.0.2.53' >"$work/gslb.test.zone"
python3 - "$work" <<'PY'
import random, sys
names = ['near-a', 'near-b', 'fo-a', 'fo-b', 'll', 'all', 'allrr']
firsts = [81, 89, 2, 175, 202, 216, 217, 67]
for n in names:
    r = random.Random(7)  # the same clients for every name
    with open('%s/%s.txt' % (sys.argv[1], n), 'w') as f:
        for i in range(65536):
            a = r.choice(firsts) if i % 2 else r.randrange(1, 224)
            f.write('%s.gslb.test A %d.%d.%d.0/24\n' % (n, a, r.randrange(256), r.randrange(256)))
PY

taskset -c "$SERVER_CPU" "$GSLBD" -c "$work/gslbd.conf" --port-file "$work/ports" \
	2>"$work/gslbd.log" &
pid=$!
for _ in $(seq 300); do grep -q 'ready:' "$work/gslbd.log" && break; sleep 0.1; done
grep -q 'ready:' "$work/gslbd.log" || { cat "$work/gslbd.log" >&2; exit 1; }
dns=$(awk '$1 == "dns" && $2 == "udp" { print $4; exit }' "$work/ports")
http=$(awk '$1 == "http" { print $4; exit }' "$work/ports")

# report LOAD_A0_3: one signed report: a-0..a-3 at LOAD, the others at 50.
report() {
	local body=$work/report.json ts sig i
	{
		printf '{"probe": "p", "results": ['
		for i in 0 1 2 3 4 5 6 7; do
			[ $i = 0 ] || printf ','
			printf '{"datacenter": "a-%d", "ok": true, "rtt_ms": 1, "status": 200, "load": %s}' \
				$i "$([ $i -lt 4 ] && echo "$1" || echo 50)"
		done
		printf ']}'
	} >"$body"
	# Probe protocol 2: one boot id, the timestamp as the (increasing) seq.
	ts=$(($(date +%s%N) / 1000000))
	sig=$({ printf 'gslb-probe-2 request\nPOST\n/v1/reports\n00000000000000b1\n%s\n%s\n' "$ts" "$ts"
		cat "$body"; } | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
	curl -sf -o /dev/null -X POST -H "X-GSLB-Key: p" -H "X-GSLB-Boot: 00000000000000b1" \
		-H "X-GSLB-Seq: $ts" -H "X-GSLB-Timestamp: $ts" \
		-H "X-GSLB-Signature: $sig" --data-binary "@$body" "http://127.0.0.1:$http/v1/reports"
}
report 160
sleep 0.01
report 80
shares=$(curl -sf "http://127.0.0.1:$http/v1/status" |
	jq -r '[.datacenters[] | select(.load) | .load.share] | join(" ")')
[ "$shares" = "0.5 0.5 0.5 0.5 1 1 1 1" ] ||
	{ echo "load-paired: shares are '$shares', not 0.5 x4 and 1 x4" >&2; exit 1; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# measure NAME: gslbd CPU us per query over one dnsload run of NAME's file.
measure() {
	local t0 t1 out n
	t0=$(cpu_ticks)
	out=$(taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "$dns" -d "$work/$1.txt" \
		-q "$INFLIGHT" -l "$SECONDS_RUN")
	t1=$(cpu_ticks)
	n=$(echo "$out" | awk '$1 == "responses:" { print $2 }')
	echo "$(awk -v t=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.4f", t * 1e6 / hz / n }') $n"
}
pairs="near-b:near-a:nearest:nearest+spill fo-b:fo-a:failover:failover+spill
near-b:ll:nearest:least_load all:allrr:all:all+rotate"
measure near-b >/dev/null # warm-up
for r in $(seq "$ROUNDS"); do
	for p in $pairs; do
		IFS=: read -r b v _ _ <<<"$p"
		set -- $(measure "$b")
		echo "$r $b $1 $2" >>"$work/runs"
		set -- $(measure "$v")
		echo "$r $v $1 $2" >>"$work/runs"
	done
done
kill "$pid"
wait "$pid" 2>/dev/null || :
pid=
{
	echo "load-paired: $ROUNDS rounds x ${SECONDS_RUN}s per name, dnsload -q $INFLIGHT," \
		"gslbd on CPU $SERVER_CPU, dnsload on CPU $CLIENT_CPU, $(nproc) CPUs," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-16s %10s %-16s %10s %8s\n' baseline us/query variant us/query ratio
	for p in $pairs; do
		IFS=: read -r b v bl vl <<<"$p"
		python3 - "$work/runs" "$b" "$v" "$bl" "$vl" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
b, v = sys.argv[2], sys.argv[3]
cost = {}
for r, name, us, n in runs:
    cost.setdefault(name, {})[r] = float(us)
rounds = sorted(cost[b])
ratios = [cost[v][r] / cost[b][r] for r in rounds]
print('%-16s %10.3f %-16s %10.3f %8.3f' % (sys.argv[4], statistics.median(cost[b].values()),
      sys.argv[5], statistics.median(cost[v].values()), statistics.median(ratios)))
PY
	done
	echo "commands: taskset -c $SERVER_CPU gslbd -c gslbd.conf --port-file ports;"
	echo "  per name: taskset -c $CLIENT_CPU dnsload -s 127.0.0.1 -p PORT -d NAME.txt -q $INFLIGHT -l $SECONDS_RUN"
	echo "  gslbd CPU = utime + stime of /proc/PID/stat around each run"
} | tee "$work/results.txt"
[ -z "${RESULTS:-}" ] || cp "$work/results.txt" "$RESULTS"

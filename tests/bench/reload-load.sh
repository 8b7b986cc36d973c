#!/usr/bin/env bash
# Reloads under load: gslbd answers a steady stream of load-balanced
# queries (dnsload at a fixed rate, every query with its own ECS /24) while
# it is reloaded twice: once with a datacenter moved (the geo maps are
# compiled again) and once with a new GeoIP database put in place by
# rename (opened, digested and compiled). The same run without reloads
# comes first. Reports, per run, what dnsload saw (lost queries, latency
# percentiles) and how long each reload took by gslbd's log.
#
#   GSLBD_GEOLITE2_CITY=/path/GeoLite2-City.mmdb tests/bench/reload-load.sh [BUILD-DIR]
#
# Knobs: RATE (20000 queries/s), SECONDS_RUN (20), SERVER_CPU (0),
# CLIENT_CPU (1), KEEP=1 keeps the work directory. Needs python3 and
# taskset; dnsload is built by make.
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
DB=${GSLBD_GEOLITE2_CITY:?set GSLBD_GEOLITE2_CITY to a GeoLite2-City.mmdb}
RATE=${RATE:-20000}
SECONDS_RUN=${SECONDS_RUN:-20}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "reload-load: no $t (run from a build directory)" >&2; exit 1; }
done
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'kill "${pid:-0}" 2>/dev/null; rm -rf "$work"' EXIT

cp "$DB" "$work/geo.mmdb"
# A second database with other contents: the same data, one byte of the
# metadata's description changed (the digest differs, so it is compiled).
python3 - "$DB" "$work/geo2.mmdb" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
marker = b'\xab\xcd\xefMaxMind.com'
at = data.rfind(marker)
i = data.find(b'GeoLite2', at)
if at < 0 or i < 0:
    sys.exit('reload-load: no metadata description to change')
data[i] = ord('g')
open(sys.argv[2], 'wb').write(data)
PY
conf() { # conf EU-LONGITUDE
	cat <<EOC
server: { listen: [127.0.0.1:0], workers: 1 }
log: { level: info }
rrl: { exempt: [127.0.0.0/8] }
geoip: { database: $work/geo.mmdb }
zones: [ { name: gslb.test, file: gslb.test.zone } ]
datacenters:
  - { name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10 }
  - { name: eu-west, latitude: 53.35, longitude: $1, ipv4: 198.51.100.10 }
  - { name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10 }
pools: [ { name: web, datacenters: [us-east, eu-west, ap-southeast], policy: nearest } ]
names: [ { name: www.gslb.test, pool: web } ]
EOC
}
printf '%s\n' '$ORIGIN gslb.test.' '$TTL 300' \
	'@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30' '@ NS ns1.gslb.test.' \
	'ns1 A 192.0.2.53' >"$work/gslb.test.zone"
python3 - "$work/queries.txt" <<'PY'
import random, sys
r = random.Random(7)
with open(sys.argv[1], 'w') as f:
    for _ in range(200000):
        a = r.randrange(1, 224)
        while a in (10, 127):
            a = r.randrange(1, 224)
        f.write('www.gslb.test A %d.%d.%d.0/24\n' % (a, r.randrange(256), r.randrange(256)))
PY

run() { # run NAME RELOADS(0|1)
	local name=$1 reloads=$2 port
	conf -6.26 >"$work/gslbd.conf"
	cp "$DB" "$work/geo.mmdb"
	: >"$work/$name.log"
	taskset -c "$SERVER_CPU" "$GSLBD" -c "$work/gslbd.conf" --port-file "$work/ports" \
		2>"$work/$name.log" &
	pid=$!
	for _ in $(seq 600); do grep -q 'ready:' "$work/$name.log" && break; sleep 0.1; done
	grep -q 'ready:' "$work/$name.log" || { cat "$work/$name.log" >&2; exit 1; }
	port=$(awk '$1 == "dns" && $2 == "udp" { print $4; exit }' "$work/ports")
	taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "$port" -e -d "$work/queries.txt" \
		-Q "$RATE" -q 2000 -l "$SECONDS_RUN" >"$work/$name.out" &
	local load=$!
	if [ "$reloads" = 1 ]; then
		sleep $((SECONDS_RUN / 4))
		conf -0.13 >"$work/gslbd.conf.new" && mv "$work/gslbd.conf.new" "$work/gslbd.conf"
		kill -HUP "$pid"
		for _ in $(seq 300); do [ "$(grep -c 'reload: ok' "$work/$name.log")" -ge 1 ] && break; sleep 0.1; done
		sleep $((SECONDS_RUN / 4))
		cp "$work/geo2.mmdb" "$work/geo.new" && mv "$work/geo.new" "$work/geo.mmdb"
		kill -HUP "$pid"
		for _ in $(seq 300); do [ "$(grep -c 'reload: ok' "$work/$name.log")" -ge 2 ] && break; sleep 0.1; done
	fi
	wait "$load"
	kill "$pid"
	wait "$pid" || true
	echo "== $name"
	grep -E '^(queries_sent|responses|lost|p50_us|p99_us|p999_us|max_us):' "$work/$name.out" | tr '\n' ' '
	echo
	grep -E 'compiled|reload: ok|SIGHUP|reload' "$work/$name.log" | sed 's/^[^ ]* //'
}
echo "rate $RATE queries/s for $SECONDS_RUN s, gslbd on CPU $SERVER_CPU, dnsload on CPU $CLIENT_CPU"
run steady 0
run reloads 1

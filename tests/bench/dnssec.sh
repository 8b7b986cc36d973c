#!/usr/bin/env bash
# The cost of DNSSEC on the query path: gslbd's CPU per query with the DO
# bit set on every query against the same queries without it, one signed
# zone, the same server.
#
# Load-balanced: the geo scenario of defences.sh (nearest over three
# datacenters, the GeoLite2-City database, 1,000,000 random ECS /24s) in a
# zone signed in memory (a KSK and a ZSK, ECDSAP256SHA256, made here with
# ldns-keygen): a DO=1 answer copies the RRSIG of its RRset from the
# signatures made at load. Static: a name of the same zone, answered from
# the signed zone data. NXDOMAIN: random names under the zone (SOA, two
# NSEC and their RRSIGs per answer).
#
# Optionally (KNOTD set to a knotd binary, Debian package knot), Knot DNS
# with automatic signing of the same static zone from the same keys,
# DO=1, for the static and NXDOMAIN queries; both servers pinned to
# SERVER_CPU, one at a time.
#
#   GSLBD_GEOLITE2_CITY=/path/GeoLite2-City.mmdb tests/bench/dnssec.sh [BUILD-DIR]
#
# Optionally (PDNS_SERVER set to a pdns_server binary, Debian packages
# pdns-server and pdns-backend-geoip), PowerDNS with www as a LUA record
# (pickclosest over the three datacenters, ECS honoured) signed online
# with the same keys, DO=0 and DO=1, on the load-balanced queries.
#
# Last, a zone of BIG records (1,000,000; 0 skips it), one A record per
# name, signed in memory: the time from start to the first answer, the
# time of a reload that changes nothing (signatures kept) and of one that
# changes a record and the serial, and the memory.
#
# Knobs: ROUNDS (3), SECONDS_RUN (8), INFLIGHT (200), SERVER_CPU (0),
# CLIENT_CPU (1), DENIAL (nsec or nsec3), KNOTD, PDNS_SERVER, BIG (1000000),
# QUERIES (1; 0: the big zone alone), KEEP=1.
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
DB=${GSLBD_GEOLITE2_CITY:?set GSLBD_GEOLITE2_CITY to a GeoLite2-City.mmdb}
ROUNDS=${ROUNDS:-3}
SECONDS_RUN=${SECONDS_RUN:-8}
INFLIGHT=${INFLIGHT:-200}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
DENIAL=${DENIAL:-nsec}
KNOTD=${KNOTD:-}
PDNS_SERVER=${PDNS_SERVER:-}
BIG=${BIG:-1000000}
QUERIES=${QUERIES:-1}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "dnssec: no $t (run from a build directory)" >&2; exit 1; }
done
command -v ldns-keygen >/dev/null || { echo "dnssec: ldns-keygen not found (ldnsutils)" >&2; exit 1; }
work=$(mktemp -d)
pids=
[ "${KEEP:-0}" = 1 ] || trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT

# big_zone: the zone of BIG records, its start, reloads and memory.
big_zone() {
	mkdir -p "$work/big"
	python3 - "$work/big/big.test.zone" "$BIG" <<'PY'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], 'w') as f:
    f.write('$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 h 1 3600 900 1209600 30\n@ NS ns1\nns1 A 192.0.2.1\n')
    for i in range(n):
        f.write('h%d A 10.%d.%d.%d\n' % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
	bksk=$(cd "$work/big" && ldns-keygen -a ECDSAP256SHA256 -k big.test)
	bzsk=$(cd "$work/big" && ldns-keygen -a ECDSAP256SHA256 big.test)
	cat >"$work/big/gslbd.conf" <<EOC
server: { listen: [127.0.0.1:0], state_file: "" }
zones:
  - name: big.test
    file: big.test.zone
    dnssec: { keys: [$bksk, $bzsk], denial: $DENIAL }
EOC
	ms() { date +%s%3N; }
	t0=$(ms)
	"$GSLBD" -c "$work/big/gslbd.conf" --port-file "$work/big/ports" 2>"$work/big/log" &
	bpid=$!
	pids="$pids $bpid"
	until grep -q 'ready:' "$work/big/log" 2>/dev/null; do
		kill -0 $bpid 2>/dev/null || { cat "$work/big/log" >&2; exit 1; }
		sleep 0.05
	done
	bport=$(awk '$2 == "udp" { print $4; exit }' "$work/big/ports")
	t1=$(ms)
	dig +dnssec +noall +answer @127.0.0.1 -p "$bport" h7.big.test A | grep -q RRSIG ||
		{ echo "dnssec: the big zone answers without RRSIG" >&2; exit 1; }
	reload() { # reload N: SIGHUP, wait for the Nth "reload: ok"; prints ms
		local s
		s=$(ms)
		kill -HUP $bpid
		until [ "$(grep -c 'reload: ok' "$work/big/log")" -ge "$1" ]; do sleep 0.05; done
		echo $(($(ms) - s))
	}
	same=$(reload 1)
	sed -i -e 's/^@ SOA ns1 h 1 /@ SOA ns1 h 2 /' -e 's/^h7 A .*/h7 A 192.0.2.7/' \
		"$work/big/big.test.zone"
	changed=$(reload 2)
	echo "big zone: $BIG records ($(grep -o 'records=[0-9]*' "$work/big/log" | head -n 1) with DNSKEY, RRSIG and $DENIAL), $(nproc) CPUs"
	echo "  start to first answer: $((t1 - t0)) ms"
	echo "  reload, nothing changed: $same ms ($(grep -o '[0-9]* signatures kept' "$work/big/log" | head -n 1))"
	echo "  reload, one record and the serial changed: $changed ms ($(grep -o '[0-9]* signatures kept' "$work/big/log" | tail -n 1))"
	echo "  rss: $(awk '/^VmRSS:/ { print $2, $3 }' "/proc/$bpid/status"), peak $(awk '/^VmHWM:/ { print $2, $3 }' "/proc/$bpid/status")"
}

[ "$QUERIES" = 1 ] || { big_zone; exit 0; }

printf '%s\n' '$ORIGIN gslb.test.' '$TTL 300' \
	'@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30' '@ NS ns1.gslb.test.' \
	'ns1 A 192.0.2.53' 'static A 192.0.2.80' 'static AAAA 2001:db8::80' \
	'mail MX 10 static' >"$work/gslb.test.zone"
KSK=$(cd "$work" && ldns-keygen -a ECDSAP256SHA256 -k gslb.test)
ZSK=$(cd "$work" && ldns-keygen -a ECDSAP256SHA256 gslb.test)
cat >"$work/gslbd.conf" <<EOC
server: { listen: [127.0.0.1:0], workers: 1, state_file: "" }
api: { listen: "127.0.0.1:0" }
log: { level: info }
rrl: { enabled: false }
cookies: { enabled: false }
geoip: { database: $DB }
zones:
  - name: gslb.test
    file: gslb.test.zone
    dnssec: { keys: [$KSK, $ZSK], denial: $DENIAL }
datacenters:
  - { name: us-east, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10 }
  - { name: eu-west, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10 }
  - { name: ap-southeast, latitude: 1.35, longitude: 103.82, ipv4: 203.0.113.10 }
pools: [ { name: web, datacenters: [us-east, eu-west, ap-southeast], policy: nearest } ]
names: [ { name: www.gslb.test, pool: web } ]
EOC
python3 - "$work" <<'PY'
import random, sys
r = random.Random(7)
d = sys.argv[1]
with open(d + '/lb.txt', 'w') as f:
    for _ in range(1000000):
        a = r.randrange(1, 224)
        while a in (10, 127):
            a = r.randrange(1, 224)
        f.write('www.gslb.test A %d.%d.%d.0/24\n' % (a, r.randrange(256), r.randrange(256)))
with open(d + '/static.txt', 'w') as f:
    for t in ('A', 'AAAA', 'MX'):
        f.write('%s.gslb.test %s -\n' % ('mail' if t == 'MX' else 'static', t))
with open(d + '/nx.txt', 'w') as f:
    for i in range(100000):
        f.write('n%x.gslb.test A -\n' % r.getrandbits(40))
PY

cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.4f", ($14 + $15) / hz }' "/proc/$1/stat"; }
field() { awk -v k="$1:" '$1 == k { print $2; exit }' "$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# start NAME CMD...: run a server pinned to SERVER_CPU.
taskset -c "$SERVER_CPU" "$GSLBD" -c "$work/gslbd.conf" --port-file "$work/g.ports" \
	2>"$work/g.log" &
gpid=$!
pids="$pids $gpid"
for _ in $(seq 600); do grep -q 'ready:' "$work/g.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'ready:' "$work/g.log" || { echo "dnssec: gslbd did not start" >&2; cat "$work/g.log" >&2; exit 1; }
gport=$(awk '$2 == "udp" { print $4; exit }' "$work/g.ports")

# run PID PORT QUERIES DNSLOAD-FLAGS: sets RUN_CPU_US, RUN_QPS
run() {
	local p=$1 port=$2 qf=$3 c0 c1 n out=$work/run.out
	shift 3
	c0=$(cpu_s "$p")
	taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "$port" -d "$work/$qf" \
		-l "$SECONDS_RUN" -q "$INFLIGHT" "$@" >"$out"
	c1=$(cpu_s "$p")
	n=$(field responses "$out")
	RUN_CPU_US=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.3f", (b - a) * 1e6 / n }')
	RUN_QPS=$(field qps "$out")
	[ "$(field lost "$out")" = 0 ] || echo "  (lost $(field lost "$out") queries)" >&2
}

declare -A cpu qps
run "$gpid" "$gport" lb.txt -e # warm-up
for r in $(seq "$ROUNDS"); do
	for kind in lb static nx; do
		for v in do0 do1; do
			flag=-e
			[ $v = do1 ] && flag=-D
			run "$gpid" "$gport" $kind.txt $flag
			cpu[$kind.$v]+=" $RUN_CPU_US"
			qps[$kind.$v]+=" $RUN_QPS"
			echo "gslbd $kind $v round $r: $RUN_CPU_US us/query, $RUN_QPS qps" >&2
		done
	done
done
online=$(curl -s "http://$(awk '$1 == "http" { print $3 ":" $4; exit }' "$work/g.ports")/metrics" 2>/dev/null |
	awk '$1 == "gslbd_dnssec_online_signs_total" { print $2 }') || online=?

echo "gslbd DNSSEC benchmark: $(nproc) CPUs, 1 UDP worker on CPU $SERVER_CPU, dnsload on CPU $CLIENT_CPU, denial $DENIAL"
for kind in lb static nx; do
	a=$(median ${cpu[$kind.do0]})
	b=$(median ${cpu[$kind.do1]})
	echo "$kind: DO=0 $a us CPU/query (runs:${cpu[$kind.do0]}), DO=1 $b (runs:${cpu[$kind.do1]}): DO=1/DO=0 $(awk -v a="$b" -v b="$a" 'BEGIN { printf "%.3f", a / b }')"
done
echo "load-balanced answers signed while answering (gslbd_dnssec_online_signs_total): ${online:-?}"

if [ -n "$KNOTD" ]; then
	# Knot with automatic signing of the same zone, from the same keys.
	mkdir -p "$work/knot"
	grep -v -e '^www' "$work/gslb.test.zone" >"$work/knot/gslb.test.zone"
	kport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$work/knot/knot.conf" <<EOK
server:
    listen: 127.0.0.1@$kport
    rundir: $work/knot
$( [ "$(id -u)" -eq 0 ] && echo '    user: root:root')
database:
    storage: $work/knot
policy:
  - id: manual
    manual: on
    nsec3: $( [ "$DENIAL" = nsec3 ] && echo on || echo off)
template:
  - id: default
    storage: $work/knot
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
zone:
  - domain: gslb.test
    file: gslb.test.zone
    dnssec-signing: on
    dnssec-policy: manual
EOK
	keymgr -c "$work/knot/knot.conf" gslb.test import-bind "$work/$KSK.private" >/dev/null
	keymgr -c "$work/knot/knot.conf" gslb.test import-bind "$work/$ZSK.private" >/dev/null
	taskset -c "$SERVER_CPU" "$KNOTD" -c "$work/knot/knot.conf" >"$work/knot.log" 2>&1 &
	kpid=$!
	pids="$pids $kpid"
	for _ in $(seq 100); do
		dig +short +time=1 +tries=1 @127.0.0.1 -p "$kport" gslb.test SOA >/dev/null 2>&1 && break
		sleep 0.2
	done
	for r in $(seq "$ROUNDS"); do
		for kind in static nx; do
			run "$kpid" "$kport" $kind.txt -D
			cpu[knot.$kind]+=" $RUN_CPU_US"
			echo "knot $kind do1 round $r: $RUN_CPU_US us/query, $RUN_QPS qps" >&2
		done
	done
	for kind in static nx; do
		echo "knot $kind DO=1: $(median ${cpu[knot.$kind]}) us CPU/query (runs:${cpu[knot.$kind]}); gslbd $(median ${cpu[$kind.do1]})"
	done
fi
if [ -n "$PDNS_SERVER" ]; then
	# PowerDNS: the same zone with www as a LUA record answering the
	# nearest of the three datacenters for the client or its ECS subnet
	# (pickclosest, locations from the GeoIP backend on the same
	# GeoLite2-City), signed online with the same keys (bind backend with
	# a DNSSEC database, keys imported with pdnsutil), default caches.
	pd=$work/pdns
	mkdir -p "$pd"
	{ grep -v -e '^www' "$work/gslb.test.zone"
	  echo "www 30 LUA A \"pickclosest({'192.0.2.10','198.51.100.10','203.0.113.10'})\""
	} >"$pd/gslb.test.zone"
	echo "zone \"gslb.test\" { type master; file \"$pd/gslb.test.zone\"; };" >"$pd/named.conf"
	echo 'domains: []' >"$pd/geo.yaml"
	pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$pd/pdns.conf" <<EOP
launch=bind,geoip
bind-config=$pd/named.conf
bind-dnssec-db=$pd/dnssec.sqlite3
geoip-database-files=mmdb:$DB
geoip-zones-file=$pd/geo.yaml
enable-lua-records=yes
edns-subnet-processing=yes
local-address=127.0.0.1
local-port=$pport
socket-dir=$pd
daemon=no
guardian=no
write-pid=no
disable-syslog=yes
receiver-threads=1
distributor-threads=1
loglevel=4
EOP
	pdnsutil --config-dir="$pd" create-bind-db "$pd/dnssec.sqlite3" >/dev/null
	pdnsutil --config-dir="$pd" import-zone-key gslb.test "$work/$KSK.private" ksk >/dev/null
	pdnsutil --config-dir="$pd" import-zone-key gslb.test "$work/$ZSK.private" zsk >/dev/null
	taskset -c "$SERVER_CPU" "$PDNS_SERVER" --config-dir="$pd" >"$work/pdns.log" 2>&1 &
	ppid=$!
	pids="$pids $ppid"
	for _ in $(seq 100); do
		dig +dnssec +noall +answer +time=1 +tries=1 +subnet=81.2.69.0/24 @127.0.0.1 -p "$pport" \
			www.gslb.test A 2>/dev/null | grep -q RRSIG && break
		sleep 0.2
	done
	dig +dnssec +noall +answer +subnet=81.2.69.0/24 @127.0.0.1 -p "$pport" www.gslb.test A |
		grep -q 'RRSIG' || { echo "dnssec: PowerDNS gives no signed LUA answer" >&2; cat "$work/pdns.log" >&2; exit 1; }
	for r in $(seq "$ROUNDS"); do
		for v in do0 do1; do
			flag=-e
			[ $v = do1 ] && flag=-D
			run "$ppid" "$pport" lb.txt $flag
			cpu[pdns.$v]+=" $RUN_CPU_US"
			echo "pdns lb $v round $r: $RUN_CPU_US us/query, $RUN_QPS qps" >&2
		done
	done
	echo "pdns lb: DO=0 $(median ${cpu[pdns.do0]}) us CPU/query (runs:${cpu[pdns.do0]}), DO=1 $(median ${cpu[pdns.do1]}) (runs:${cpu[pdns.do1]}); gslbd DO=1 $(median ${cpu[lb.do1]})"
fi
echo "rss gslbd: $(awk '/^VmRSS:/ { print $2, $3 }' "/proc/$gpid/status")"
kill $pids 2>/dev/null || true
pids=

[ "$BIG" -eq 0 ] || big_zone

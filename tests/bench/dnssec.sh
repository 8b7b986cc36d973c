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
# Optionally (PDNS_SERVER set to a pdns_server binary; for this benchmark
# only, so not in .ci/install-deps' list: Debian packages pdns-server, with
# pdnsutil, pdns-backend-bind and pdns-backend-geoip), PowerDNS on the
# load-balanced queries, DO=0 and DO=1: the same zone with www a LUA record
# answering the datacenter nearest the client or its ECS subnet (locations
# from its GeoIP backend on the same database), signed online with the same
# keys (imported with pdnsutil; if that fails, keys of pdnsutil secure-zone,
# and the output says so), one receiver thread pinned to SERVER_CPU; once
# with its packet and query caches off, once with its default caches. It
# must first give a signed A, and a different datacenter, the one gslbd
# gives, for a European, an American and an Asian ECS subnet.
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
[ "${KEEP:-0}" = 1 ] || trap 'kill $pids 2>/dev/null || true; rm -rf "$work"' EXIT

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
	# PowerDNS: the same zone from the bind backend, signed online with the
	# same two keys (imported into a bind-dnssec-db), www a LUA record
	# answering the datacenter nearest the client or its ECS subnet, the
	# locations from the GeoIP backend on the same GeoLite2-City.
	#
	# Not pickclosest(): it ranks the candidate addresses by where the GeoIP
	# database puts the addresses themselves, and the VIPs here are
	# documentation addresses it has no location for, so all tie at 0,0 and
	# it answers one at random. The record is a script instead: latlon()
	# (bestwho: the ECS address when edns-subnet-processing is on and the
	# query has one, else the source), then the largest cosine of the
	# central angle to each datacenter's coordinates, which orders as the
	# great-circle distance does, as gslbd's nearest does; ties and clients
	# without a location (latlon() is then "0 0") get the first listed, as
	# in gslbd. PowerDNS 4.7 makes a new Lua state for every LUA answer.
	command -v pdnsutil >/dev/null || { echo "dnssec: pdnsutil not found (pdns-server)" >&2; exit 1; }
	pd=$work/pdns
	mkdir -p "$pd"
	lua=";local la,lo=latlon():match('(%S+) (%S+)') la,lo=math.rad(tonumber(la)),math.rad(tonumber(lo))"
	lua+=" if la==0 and lo==0 then return '192.0.2.10' end local best,bc"
	lua+=" for _,d in ipairs({{'192.0.2.10',40.71,-74.01},{'198.51.100.10',53.35,-6.26},{'203.0.113.10',1.35,103.82}}) do"
	lua+=" local p=math.rad(d[2]) local c=math.sin(la)*math.sin(p)+math.cos(la)*math.cos(p)*math.cos(lo-math.rad(d[3]))"
	lua+=" if not bc or c>bc then best,bc=d[1],c end end return best"
	{ grep -v -e '^www' "$work/gslb.test.zone"; echo "www 30 IN LUA A \"$lua\""; } >"$pd/gslb.test.zone"
	echo "zone \"gslb.test\" { type master; file \"$pd/gslb.test.zone\"; };" >"$pd/named.conf"
	# the GeoIP backend serves no zone here; it is launched for its lookups
	echo 'domains: []' >"$pd/geo.yaml"
	# One receiver thread and one distributor (which then runs in the
	# receiver: "operating unthreaded"), as gslbd's one worker; the port is
	# given at start. The caches are set per run below. At INFLIGHT 200 a
	# few of the first queries of a run overflow its socket's receive
	# buffer (Udp RcvbufErrors): dnsload reports them lost.
	cat >"$pd/pdns.conf" <<EOP
launch=bind,geoip
bind-config=$pd/named.conf
bind-dnssec-db=$pd/dnssec.sqlite3
geoip-database-files=mmdb:$DB
geoip-zones-file=$pd/geo.yaml
enable-lua-records=yes
edns-subnet-processing=yes
local-address=127.0.0.1
socket-dir=$pd
daemon=no
guardian=no
write-pid=no
disable-syslog=yes
receiver-threads=1
distributor-threads=1
loglevel=4
EOP
	pu() { pdnsutil --config-dir="$pd" "$@" 2>>"$pd/pdnsutil.log"; }
	pu create-bind-db "$pd/dnssec.sqlite3" >/dev/null
	ztag=
	if kid=$(pu import-zone-key gslb.test "$work/$KSK.private" ksk | tail -n 1) &&
		zid=$(pu import-zone-key gslb.test "$work/$ZSK.private" zsk | tail -n 1) &&
		pu activate-zone-key gslb.test "$kid" >/dev/null &&
		pu activate-zone-key gslb.test "$zid" >/dev/null; then
		ztag=$((10#${ZSK##*+}))
		pkeys="the same keys, imported ($KSK, $ZSK)"
	else
		# a fresh database, keys of PowerDNS's own making
		rm -f "$pd/dnssec.sqlite3"
		pu create-bind-db "$pd/dnssec.sqlite3" >/dev/null
		pu secure-zone gslb.test >/dev/null ||
			{ echo "dnssec: pdnsutil could neither import the keys nor secure gslb.test" >&2; cat "$pd/pdnsutil.log" >&2; exit 1; }
		pkeys="keys made by pdnsutil secure-zone, NOT the same keys: importing $KSK, $ZSK failed"
		echo "dnssec: pdnsutil import-zone-key failed, PowerDNS signs with keys of its own:" >&2
		tail -n 5 "$pd/pdnsutil.log" >&2
	fi
	free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	# pdns_start [SETTING...]: PowerDNS pinned to SERVER_CPU on a free
	# port, SETTINGs over pdns.conf; sets ppid, pport once it gives a
	# signed answer for www.
	pdns_start() {
		pport=$(free_port)
		taskset -c "$SERVER_CPU" "$PDNS_SERVER" --config-dir="$pd" --local-port="$pport" "$@" \
			>"$pd/log" 2>&1 &
		ppid=$!
		pids="$pids $ppid"
		for _ in $(seq 100); do
			dig +dnssec +noall +answer +time=1 +tries=1 +subnet=81.2.69.0/24 @127.0.0.1 -p "$pport" \
				www.gslb.test A 2>/dev/null | grep -q RRSIG && return 0
			kill -0 "$ppid" 2>/dev/null || break
			sleep 0.2
		done
		echo "dnssec: PowerDNS ($*) gives no signed answer for www.gslb.test" >&2
		cat "$pd/log" >&2
		exit 1
	}
	pdns_stop() {
		kill "$ppid" 2>/dev/null || true
		wait "$ppid" 2>/dev/null || true
		pids=${pids/ $ppid/}
	}
	# pdns_check: a signed A for an ECS subnet (RRSIG by the imported
	# ZSK), a different datacenter for a European, an American and an
	# Asian subnet, each the one gslbd answers; and how many of the last
	# 200 ECS subnets of the load-balanced set the two answer alike.
	pdns_check() {
		local ans a g got='' s
		ans=$(dig +dnssec +noall +answer +subnet=81.2.69.0/24 @127.0.0.1 -p "$pport" www.gslb.test A)
		if ! awk '$4 == "A" { a = 1 } $4 == "RRSIG" && $5 == "A" { s = 1 } END { exit !(a && s) }' <<<"$ans"; then
			echo "dnssec: PowerDNS answers www.gslb.test A (ECS 81.2.69.0/24, DO=1) without an A and its RRSIG:" >&2
			echo "$ans" >&2
			exit 1
		fi
		if [ -n "$ztag" ] && ! awk -v t="$ztag" '$4 == "RRSIG" && $5 == "A" && $11 == t { f = 1 } END { exit !f }' <<<"$ans"; then
			echo "dnssec: PowerDNS signs www with another key than the ZSK $ZSK (tag $ztag):" >&2
			echo "$ans" >&2
			exit 1
		fi
		for s in 81.2.69.0/24 8.8.8.0/24 1.0.16.0/24; do
			a=$(dig +short +subnet=$s @127.0.0.1 -p "$pport" www.gslb.test A)
			g=$(dig +short +subnet=$s @127.0.0.1 -p "$gport" www.gslb.test A)
			if [ "$a" != "$g" ] || grep -q -x -F -e "$a" <<<"$got"; then
				echo "dnssec: PowerDNS does not answer by ECS subnet: $s gets $a (gslbd: $g; earlier subnets: $(echo $got))" >&2
				exit 1
			fi
			got+="$a"$'\n'
		done
		tail -n 200 "$work/lb.txt" | awk '{ print $1, $2, "+subnet=" $3 }' >"$pd/sample.txt"
		dig +short +time=2 +tries=2 @127.0.0.1 -p "$pport" -f "$pd/sample.txt" >"$pd/sample.pdns"
		dig +short +time=2 +tries=2 @127.0.0.1 -p "$gport" -f "$pd/sample.txt" >"$pd/sample.gslbd"
		agree="$(paste -d ' ' "$pd/sample.pdns" "$pd/sample.gslbd" | awk '$1 == $2 { n++ } END { print n + 0 }')/200"
	}
	# Each run starts a slice of its own of lb.txt (dnsload starts its
	# file from the top every run): the packet cache keys on the whole
	# query, ECS included, and keeps an answer cache-ttl (20 s), so
	# replaying the previous rounds' subnets would be served from it. A
	# slice is 1/(2 ROUNDS + 1) of the million lines, far more than a run
	# sends; both configurations get the same slices.
	pdns_slice() {
		local n=$(($1 * 1000000 / (2 * ROUNDS + 1) + 1))
		{ tail -n +"$n" "$work/lb.txt"; head -n $((n - 1)) "$work/lb.txt"; } >"$pd/lb.txt"
	}
	# Caches off: the cost of every answer (the signature cache stays: it
	# is how PowerDNS signs online, and gslbd copies signatures made at
	# load). Then the defaults operators run with: packet cache and query
	# cache 20 s, negative query cache 60 s.
	declare -A phits pagree pconf=([nocache]="packet and query caches off" [cache]="default caches")
	for c in nocache cache; do
		if [ $c = nocache ]; then
			pdns_start --cache-ttl=0 --query-cache-ttl=0 --negquery-cache-ttl=0
		else
			pdns_start
		fi
		pdns_check
		pdns_slice 0
		run "$ppid" "$pport" pdns/lb.txt -D # warm-up
		i=0
		for r in $(seq "$ROUNDS"); do
			for v in do0 do1; do
				flag=-e
				[ $v = do1 ] && flag=-D
				i=$((i + 1))
				pdns_slice $i
				run "$ppid" "$pport" pdns/lb.txt $flag
				cpu[pdns.$c.$v]+=" $RUN_CPU_US"
				qps[pdns.$c.$v]+=" $RUN_QPS"
				echo "pdns $c lb $v round $r: $RUN_CPU_US us/query, $RUN_QPS qps" >&2
			done
		done
		phits[$c]="packet cache $(pdns_control --socket-dir="$pd" show packetcache-hit 2>/dev/null || echo ?) hits, $(pdns_control --socket-dir="$pd" show packetcache-miss 2>/dev/null || echo ?) misses"
		pagree[$c]=$agree
		pdns_stop
	done
	echo "PowerDNS $("$PDNS_SERVER" --version 2>&1 | grep -o 'Server [0-9][^ ]*' | head -n 1 | cut -d ' ' -f 2): www a LUA record (nearest by latlon()), signed online with $pkeys"
	for c in nocache cache; do
		echo "pdns lb, ${pconf[$c]}: DO=1 $(median ${cpu[pdns.$c.do1]}) us CPU/query (runs:${cpu[pdns.$c.do1]}; $(median ${qps[pdns.$c.do1]}) qps), DO=0 $(median ${cpu[pdns.$c.do0]}) (runs:${cpu[pdns.$c.do0]}); gslbd DO=1 $(median ${cpu[lb.do1]}), DO=0 $(median ${cpu[lb.do0]}); ${phits[$c]}; same answer as gslbd for ${pagree[$c]} ECS subnets"
	done
fi
echo "rss gslbd: $(awk '/^VmRSS:/ { print $2, $3 }' "/proc/$gpid/status")"
kill $pids 2>/dev/null || true
pids=

[ "$BIG" -eq 0 ] || big_zone

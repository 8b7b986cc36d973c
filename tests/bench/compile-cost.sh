#!/usr/bin/env bash
# What compiling the geo decisions costs: for several numbers of
# datacenters and pools, the time from starting gslbd to its first answer,
# the build time and memory of the maps, the peak resident set, and a
# reload that changes one pool's datacenters; gdnsd (plugin_geoip, one map
# per pool) started side by side on the same database for the time to its
# first answer and its peak resident set.
#
#   GSLBD_GEOLITE2_CITY=/path/GeoLite2-City.mmdb tests/bench/compile-cost.sh [BUILD-DIR]
#
# Each run starts `gslbd -c CONF` on a generated config (one UDP worker,
# a free loopback port), asks `dig` for n0.gslb.test until it answers
# (first_s: seconds since the start), takes the build time, networks and
# the maps' memory from its "GeoIP decisions compiled" log line and the
# peak resident set from /proc/PID/status (VmHWM), then drops one more
# datacenter from pool p0 and sends SIGHUP: reload_ms is that reload's
# build, with in parentheses how many maps it compiled ("1 compiled, N
# kept" in the log). gdnsd gets the same datacenters and pools
# (pools past the datacenters' count, which add country overrides, have
# no gdnsd equivalent here: "-").
#
# Knobs: DCS ("3 30": datacenters per run), POOLS ("1 20": pools per run;
# each pool ranks a different subset of the datacenters, so that none
# shares another's map), GDNSD (gdnsd, "" to leave it out), KEEP=1 keeps
# the work directory.
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DB=${GSLBD_GEOLITE2_CITY:?set GSLBD_GEOLITE2_CITY to a GeoLite2-City.mmdb}
DCS=${DCS:-3 30}
POOLS=${POOLS:-1 20}
GDNSD=${GDNSD-gdnsd}
[ -x "$GSLBD" ] || { echo "compile-cost: no gslbd at $GSLBD" >&2; exit 1; }
command -v dig >/dev/null || { echo "compile-cost: needs dig (Debian: bind9-dnsutils)" >&2; exit 1; }
if [ -n "$GDNSD" ] && ! command -v "$GDNSD" >/dev/null; then
	echo "compile-cost: no $GDNSD (Debian: gdnsd); GDNSD= leaves it out" >&2
	exit 1
fi
work=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# freeport: a loopback port free for both UDP and TCP
freeport() {
	python3 -c '
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", t.getsockname()[1]))
    except OSError:
        continue
    print(t.getsockname()[1])
    break'
}

now() { date +%s.%N; }

# wait_answer PORT START: poll n0.gslb.test until it has an answer (10
# minutes at most); prints the seconds since START.
wait_answer() {
	local port=$1 start=$2 deadline=$(($(date +%s) + 600))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if dig +short +tries=1 +time=1 @127.0.0.1 -p "$port" n0.gslb.test A 2>/dev/null |
			grep -q '^[0-9]'; then
			awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

hwm_mib() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

# Thirty cities for datacenters (latitude, longitude).
cities=(40.71,-74.01 53.35,-6.26 1.35,103.82 37.77,-122.42 51.51,-0.13 50.11,8.68
	35.68,139.69 -33.87,151.21 -23.55,-46.63 19.08,72.88 25.20,55.27 55.76,37.62
	-26.20,28.05 43.65,-79.38 41.88,-87.63 32.78,-96.80 47.61,-122.33 48.86,2.35
	52.37,4.90 59.33,18.07 45.46,9.19 40.42,-3.70 37.57,126.98 22.32,114.17
	-37.81,144.96 -34.60,-58.38 19.43,-99.13 6.52,3.38 30.04,31.24 13.76,100.50)

gen() { # gen DCS POOLS DIR PORT
	local n=$1 pools=$2 dir=$3 port=$4
	mkdir -p "$dir"
	{
		echo "server: { listen: [127.0.0.1:$port], workers: 1 }"
		echo "geoip: { database: \"$DB\" }"
		echo "zones: [ { name: gslb.test, file: gslb.test.zone } ]"
		echo "datacenters:"
		for ((i = 0; i < n; i++)); do
			c=${cities[$((i % 30))]}
			echo "  - { name: dc$i, latitude: ${c%,*}, longitude: ${c#*,}, ipv4: 192.0.2.$((i + 1)) }"
		done
		echo "pools:"
		for ((p = 0; p < pools; p++)); do
			# every datacenter but one (a different one per pool), from 3 up
			list=""
			for ((i = 0; i < n; i++)); do
				if [ "$n" -gt 2 ] && [ $((i % n)) = $((p % n)) ] && [ "$pools" -gt 1 ]; then
					continue
				fi
				list="$list${list:+, }dc$i"
			done
			if [ "$p" -ge "$n" ]; then # more pools than datacenters: add overrides
				echo "  - { name: p$p, datacenters: [$list], policy: nearest, countries: { C$p: [${list%%,*}] } }" |
					sed "s/C$p/$(printf '%s' "AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT" | cut -d' ' -f$(((p % 20) + 1)))/"
			else
				echo "  - { name: p$p, datacenters: [$list], policy: nearest }"
			fi
		done
		echo "names:"
		for ((p = 0; p < pools; p++)); do
			echo "  - { name: n$p.gslb.test, pool: p$p }"
		done
	} >"$dir/gslbd.conf"
	printf '%s\n' '$ORIGIN gslb.test.' '$TTL 300' \
		'@ SOA ns1.gslb.test. h.gslb.test. 1 3600 900 1209600 30' '@ NS ns1.gslb.test.' \
		'ns1 A 192.0.2.53' >"$dir/gslb.test.zone"
}

# gen_gdnsd DCS POOLS DIR PORT: the same pools for gdnsd (no overrides)
gen_gdnsd() {
	local n=$1 pools=$2 dir=$3 port=$4 p i c list coords dcmap
	mkdir -p "$dir/zones" "$dir/geoip"
	ln -s "$DB" "$dir/geoip/city.mmdb"
	{
		printf '%s\n' '$TTL 300' '@ SOA ns1 h 1 3600 900 1209600 30' '@ NS ns1' 'ns1 A 192.0.2.53'
		for ((p = 0; p < pools; p++)); do
			echo "n$p 30 DYNA geoip!r$p"
		done
	} >"$dir/zones/gslb.test"
	{
		echo "options => { listen => [ 127.0.0.1 ], dns_port => $port, udp_threads => 1,"
		echo "  tcp_threads => 1, run_dir => $dir/run, state_dir => $dir/state }"
		echo "plugins => { geoip => { maps => {"
		for ((p = 0; p < pools; p++)); do
			list="" coords=""
			for ((i = 0; i < n; i++)); do
				if [ "$n" -gt 2 ] && [ "$i" = $((p % n)) ] && [ "$pools" -gt 1 ]; then
					continue
				fi
				c=${cities[$((i % 30))]}
				list="$list dc$i"
				coords="$coords dc$i => [ ${c%,*}, ${c#*,} ]"
			done
			echo "  m$p => { geoip2_db => city.mmdb, datacenters => [$list ],"
			echo "    auto_dc_coords => {$coords } }"
		done
		echo "} resources => {"
		for ((p = 0; p < pools; p++)); do
			dcmap=""
			for ((i = 0; i < n; i++)); do
				if [ "$n" -gt 2 ] && [ "$i" = $((p % n)) ] && [ "$pools" -gt 1 ]; then
					continue
				fi
				dcmap="$dcmap dc$i => 192.0.2.$((i + 1))"
			done
			echo "  r$p => { map => m$p, dcmap => {$dcmap } }"
		done
		echo "} } }"
	} >"$dir/config"
}

# stop PID: SIGTERM and wait
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	pid=
}

printf '%-4s %-5s %-5s %-8s %-9s %-8s %-7s %-7s %-9s | %-7s %-7s\n' dcs pools maps build_ms \
	leaves map_kib first_s hwm_mib reload_ms gdnsd_s g_hwm
for n in $DCS; do
	for p in $POOLS; do
		dir=$work/d$n-p$p
		port=$(freeport)
		gen "$n" "$p" "$dir" "$port"
		start=$(now)
		"$GSLBD" -c "$dir/gslbd.conf" >"$dir/out" 2>"$dir/err" &
		pid=$!
		first=$(wait_answer "$port" "$start") || { cat "$dir/err" >&2; exit 1; }
		hwm=$(hwm_mib "$pid")
		line=$(grep -m1 'GeoIP decisions compiled' "$dir/err" || true)
		[ -n "$line" ] || { echo "compile-cost: no compile line" >&2; cat "$dir/err" >&2; exit 1; }
		maps=$(echo "$line" | sed -n 's/.*compiled: \([0-9]*\) map.*/\1/p')
		leaves=$(echo "$line" | sed -n 's/.* \([0-9]*\) networks.*/\1/p')
		kib=$(echo "$line" | sed -n 's/.* \([0-9]*\) KiB.*/\1/p')
		ms=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
		# reload: pool p0 loses one more datacenter (when it has two)
		reload=-
		if [ "$n" -gt 2 ]; then
			sed -i '/name: p0,/s/dc1, //' "$dir/gslbd.conf"
			kill -HUP "$pid"
			deadline=$(($(date +%s) + 600))
			until grep -q 'reload: ok' "$dir/err" || [ "$(date +%s)" -ge "$deadline" ]; do
				sleep 0.05
			done
			line=$(grep 'GeoIP decisions compiled' "$dir/err" | sed -n 2p || true)
			reload=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
			case $line in
			*" compiled, "*) reload="$reload($(echo "$line" | sed -n 's/.*(\([0-9]*\) compiled.*/\1/p'))" ;;
			esac
		fi
		stop "$pid"
		g_first=- g_hwm=-
		if [ -n "$GDNSD" ] && [ "$p" -le "$n" ]; then
			port=$(freeport)
			gen_gdnsd "$n" "$p" "$dir/gdnsd" "$port"
			start=$(now)
			"$GDNSD" -c "$dir/gdnsd" start >"$dir/gdnsd.out" 2>&1 &
			pid=$!
			g_first=$(wait_answer "$port" "$start") || { cat "$dir/gdnsd.out" >&2; exit 1; }
			g_hwm=$(hwm_mib "$pid")
			stop "$pid"
		fi
		printf '%-4s %-5s %-5s %-8s %-9s %-8s %-7s %-7s %-9s | %-7s %-7s\n' "$n" "$p" "$maps" \
			"$ms" "$leaves" "$kib" "$first" "$hwm" "${reload:--}" "$g_first" "$g_hwm"
	done
done

#!/usr/bin/env bash
# What compiling the geo decisions costs: build time and peak memory of
# gslbd with a GeoIP database for several numbers of datacenters and
# pools. Each run is `gslbd -d --check-config` on a generated config, which
# loads everything the daemon loads (config, zones, the database) and
# compiles every pool's decisions; the figures come from its "GeoIP
# decisions compiled" log line and /usr/bin/time's maximum resident set.
#
#   GSLBD_GEOLITE2_CITY=/path/GeoLite2-City.mmdb tests/bench/compile-cost.sh [BUILD-DIR]
#
# Knobs: DCS ("3 30": datacenters per run), POOLS ("1 20": pools per run;
# each pool ranks a different subset of the datacenters, so that none
# shares another's map), KEEP=1 keeps the work directory.
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DB=${GSLBD_GEOLITE2_CITY:?set GSLBD_GEOLITE2_CITY to a GeoLite2-City.mmdb}
DCS=${DCS:-3 30}
POOLS=${POOLS:-1 20}
[ -x "$GSLBD" ] || { echo "compile-cost: no gslbd at $GSLBD" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "compile-cost: needs /usr/bin/time (Debian: time)" >&2; exit 1; }
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

# Thirty cities for datacenters (latitude, longitude).
cities=(40.71,-74.01 53.35,-6.26 1.35,103.82 37.77,-122.42 51.51,-0.13 50.11,8.68
	35.68,139.69 -33.87,151.21 -23.55,-46.63 19.08,72.88 25.20,55.27 55.76,37.62
	-26.20,28.05 43.65,-79.38 41.88,-87.63 32.78,-96.80 47.61,-122.33 48.86,2.35
	52.37,4.90 59.33,18.07 45.46,9.19 40.42,-3.70 37.57,126.98 22.32,114.17
	-37.81,144.96 -34.60,-58.38 19.43,-99.13 6.52,3.38 30.04,31.24 13.76,100.50)

gen() { # gen DCS POOLS DIR
	local n=$1 pools=$2 dir=$3
	mkdir -p "$dir"
	{
		echo "server: { listen: [127.0.0.1:0], workers: 1 }"
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

printf '%-5s %-6s %-6s %-10s %-10s %-12s %-10s\n' dcs pools maps build_ms leaves map_kib peak_rss_mib
for n in $DCS; do
	for p in $POOLS; do
		dir=$work/d$n-p$p
		gen "$n" "$p" "$dir"
		/usr/bin/time -f '%M' -o "$dir/rss" "$GSLBD" -d --check-config -c "$dir/gslbd.conf" \
			>"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
		line=$(grep 'GeoIP decisions compiled' "$dir/err" || true)
		[ -n "$line" ] || { echo "compile-cost: no compile line" >&2; cat "$dir/err" >&2; exit 1; }
		maps=$(echo "$line" | sed -n 's/.*compiled: \([0-9]*\) map.*/\1/p')
		leaves=$(echo "$line" | sed -n 's/.* \([0-9]*\) networks.*/\1/p')
		kib=$(echo "$line" | sed -n 's/.* \([0-9]*\) KiB.*/\1/p')
		ms=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
		printf '%-5s %-6s %-6s %-10s %-10s %-12s %-10s\n' "$n" "$p" "$maps" "$ms" "$leaves" "$kib" \
			"$(($(cat "$dir/rss") / 1024))"
	done
done

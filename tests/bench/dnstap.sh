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
#
# The load: tests/bench/dnsload paced at RATE queries/s for SECONDS_RUN
# seconds over the queries of the integration tests' geo zone (load-balanced
# names with and without ECS, static names), as the geo tests' config
# serves them (tests/data/integ/geo). Knobs: RATE (2000), SECONDS_RUN (10),
# KEEP=1 (keep the work directory).
set -euo pipefail
build=$(cd "${1:-.}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
GSLBD=${GSLBD:-$build/gslbd/gslbd}
DNSLOAD=${DNSLOAD:-$build/tests/bench/dnsload}
RATE=${RATE:-2000}
SECONDS_RUN=${SECONDS_RUN:-10}
for t in "$GSLBD" "$DNSLOAD"; do
	[ -x "$t" ] || { echo "dnstap: no $t (run from a build directory)" >&2; exit 1; }
done
for t in valgrind fstrm_capture curl; do
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

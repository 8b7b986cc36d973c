#!/usr/bin/env bash
# Reloading one zone among many: gslbd serves ZONES zones (RECORDS records
# each); one zone file is changed and gslbd reloaded (SIGHUP, then
# POST /v1/reload?zone=NAME), ROUNDS times each; then every zone file is
# touched and gslbd reloaded (every file read again, as a reload that
# shares no zone does). Reports the reload times gslbd logs, per kind:
# min, median and max in ms, and how many zones each reload read.
#
#   tests/bench/reload-zones.sh [BUILD-DIR]
#
# Knobs: ZONES (1000), RECORDS (200), ROUNDS (5), KEEP=1 keeps the work
# directory. GSLBD=path runs another binary (one without per-zone reloads
# reads every zone at each reload: compare).
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
ZONES=${ZONES:-1000}
RECORDS=${RECORDS:-200}
ROUNDS=${ROUNDS:-5}
[ -x "$GSLBD" ] || { echo "reload-zones: no $GSLBD (run from a build directory)" >&2; exit 1; }
command -v curl >/dev/null || { echo "reload-zones: needs curl" >&2; exit 1; }
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'kill "${pid:-0}" 2>/dev/null; rm -rf "$work"' EXIT

zone_file() { # zone_file N SERIAL
	local n=$1 serial=$2
	{
		printf '$ORIGIN z%d.bench.\n$TTL 300\n' "$n"
		printf '@ SOA ns hostmaster %d 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n' "$serial"
		awk -v r="$RECORDS" 'BEGIN { for (i = 0; i < r; i++)
			printf "h%d A 198.51.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1 }'
	} >"$work/z$n.zone.tmp"
	mv "$work/z$n.zone.tmp" "$work/z$n.zone"
}

{
	cat <<CONF
server:
  listen: ["127.0.0.1:0"]
  workers: 1
  state_file: ""
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
  admin_token: bench-token-0123456789
zones:
CONF
	for n in $(seq 1 "$ZONES"); do
		printf '  - name: z%d.bench\n    file: z%d.zone\n' "$n" "$n"
		zone_file "$n" 1
	done
} >"$work/gslbd.conf"

"$GSLBD" -c "$work/gslbd.conf" --port-file "$work/ports" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	grep -q 'ready:' "$work/log" && break
	kill -0 "$pid" || { cat "$work/log"; exit 1; }
	sleep 0.1
done
grep -q 'ready:' "$work/log" || { echo "reload-zones: gslbd not ready" >&2; exit 1; }
api=$(grep -o 'http=[^ ]*' "$work/log" | head -n 1 | cut -d= -f2)

# reload_wait: wait for one more "reload: ok" line; print its ms and zones read.
reload_wait() {
	local before=$1
	for _ in $(seq 1 3000); do
		[ "$(grep -c 'reload: ok' "$work/log" || true)" -gt "$before" ] && break
		sleep 0.01
	done
	grep 'reload: ok' "$work/log" | tail -n 1 |
		sed -E 's/.* in ([0-9]+) ms \(([a-z]+); zones read: ([0-9]+)\).*/\1 \3/; s/.* in ([0-9]+) ms$/\1 all/'
}

report() { # report NAME FILE
	sort -n "$2" | awk -v name="$1" '{ ms[NR] = $1; rd = $2 }
		END { printf "%-28s n=%d min=%d median=%d max=%d ms, zones read per reload: %s\n",
			name, NR, ms[1], ms[int((NR + 1) / 2)], ms[NR], rd }'
}

: >"$work/one" ; : >"$work/api" ; : >"$work/all"
for r in $(seq 1 "$ROUNDS"); do
	n=$(( (r * 37) % ZONES + 1 ))
	zone_file "$n" $((r + 1))
	before=$(grep -c 'reload: ok' "$work/log" || true)
	kill -HUP "$pid"
	reload_wait "$before" >>"$work/one"

	zone_file "$n" $((r + 100))
	before=$(grep -c 'reload: ok' "$work/log" || true)
	curl -fsS -X POST -H 'Authorization: Bearer bench-token-0123456789' \
		"http://$api/v1/reload?zone=z$n.bench" >/dev/null ||
		echo "reload-zones: POST /v1/reload?zone= refused (older binary?)" >&2
	reload_wait "$before" >>"$work/api"

	for m in $(seq 1 "$ZONES"); do touch "$work/z$m.zone"; done
	before=$(grep -c 'reload: ok' "$work/log" || true)
	kill -HUP "$pid"
	reload_wait "$before" >>"$work/all"
done
echo "gslbd: $GSLBD; $ZONES zones of $RECORDS records"
report "SIGHUP, one zone changed" "$work/one"
report "reload?zone=NAME" "$work/api"
report "SIGHUP, every file touched" "$work/all"

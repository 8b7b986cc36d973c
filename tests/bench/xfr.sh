#!/usr/bin/env bash
# gslbd as a primary at scale: an NSD secondary of a 1,000,000-record zone
# under a TSIG key. Measures the first full transfer (AXFR), then a
# one-record change: time from the reload (SIGHUP) until NSD answers the new
# data through NOTIFY and IXFR, and the bytes of the IXFR against the AXFR
# (gslbd_xfr_bytes_total), how gslbd read the file again (by parts or in
# full) and its resident memory. Last, reloads that change CHANGES records each
# fill the journal to its bound (journal_max): its bytes and gslbd's
# resident memory.
#
#   tests/bench/xfr.sh [BUILD-DIR]
#
# Knobs: RECORDS (1000000), CHANGES (20000), ROUNDS (6; 0: the one-record
# change alone), JOURNAL_MAX
# (4194304 bytes), KEEP=1 keeps the work directory. Needs python3, dig,
# curl and nsd (Debian: apt-get install nsd bind9-dnsutils curl).
set -euo pipefail
build=${1:-.}
GSLBD=${GSLBD:-$build/gslbd/gslbd}
NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
RECORDS=${RECORDS:-1000000}
CHANGES=${CHANGES:-20000}
ROUNDS=${ROUNDS:-6}
JOURNAL_MAX=${JOURNAL_MAX:-4194304}
for t in "$GSLBD" "$NSD"; do
	[ -x "$t" ] || { echo "xfr: no $t" >&2; exit 1; }
done
for t in python3 dig curl; do
	command -v "$t" >/dev/null || { echo "xfr: $t not found" >&2; exit 1; }
done
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'kill "${gpid:-0}" "${npid:-0}" 2>/dev/null; rm -rf "$work"' EXIT
SECRET=c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=
now_ms() { date +%s%3N; }

# zone SERIAL CHANGED-FROM CHANGED-TO: RECORDS records; hosts
# [FROM, TO) get .2 instead of .1 as their last octet.
zone() {
	python3 - "$1" "$2" "$3" "$RECORDS" >"$work/big.test.zone" <<'PY'
import sys
serial, lo, hi, n = map(int, sys.argv[1:])
out = sys.stdout
out.write("$ORIGIN big.test.\n$TTL 3600\n")
out.write("@ SOA ns1 hostmaster %d 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n" % serial)
for i in range(n - 3):
    last = 2 if lo <= i < hi else 1
    out.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, last))
PY
}
metric() {
	# awk reads it all: curl fails (and the pipeline with it) when its
	# reader goes first.
	curl -s "http://127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m && !done { print $2; done = 1 }'
}
wait_for() { # wait_for SECONDS CMD...
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

zone 1 0 0
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/gslbd.conf" <<EOC
server:
  listen: ["127.0.0.1:0"]
  workers: 1
  state_file: ""
  journal_max: $JOURNAL_MAX
log: { level: info }
api: { listen: ["127.0.0.1:0"] }
keys: [{name: xfr, algorithm: hmac-sha256, secret: "$SECRET"}]
zones:
  - name: big.test
    file: big.test.zone
    allow_transfer: [{address: 127.0.0.1, key: xfr}]
    notify: [{address: "127.0.0.1:$nport", key: xfr}]
EOC
t0=$(now_ms)
"$GSLBD" -c "$work/gslbd.conf" --port-file "$work/ports" >"$work/gslbd.log" 2>&1 &
gpid=$!
wait_for 300 grep -q 'ready:' "$work/gslbd.log" || { tail "$work/gslbd.log"; exit 1; }
echo "gslbd: $RECORDS records loaded in $(($(now_ms) - t0)) ms, RSS $(awk '/^VmRSS/ { print $2 }' "/proc/$gpid/status") kB"
dport=$(awk '$2 == "tcp" { print $4; exit }' "$work/ports")
http=$(awk '$1 == "http" { print $4; exit }' "$work/ports")

mkdir -p "$work/nsd"
cat >"$work/nsd/nsd.conf" <<EOC
server:
  ip-address: 127.0.0.1
  port: $nport
  username: ""
  chroot: ""
  zonesdir: "$work/nsd"
  pidfile: "$work/nsd/nsd.pid"
  database: ""
  zonelistfile: "$work/nsd/zone.list"
  xfrdfile: "$work/nsd/xfrd.state"
  xfrdir: "$work/nsd"
  logfile: "$work/nsd/nsd.log"
remote-control:
  control-enable: no
key:
  name: xfr
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: big.test
  zonefile: big.test.zone
  request-xfr: 127.0.0.1@$dport xfr
  allow-notify: 127.0.0.1 xfr
EOC
answers() { # answers NAME ADDR: NSD answers NAME A with ADDR (NSD must run)
	kill -0 "$npid" 2>/dev/null || { cat "$work/nsd/stderr.log" >&2; exit 1; }
	[ "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$nport" "$1" A 2>/dev/null)" = "$2" ]
}
t0=$(now_ms)
"$NSD" -d -c "$work/nsd/nsd.conf" >"$work/nsd/stderr.log" 2>&1 &
npid=$!
wait_for 600 answers h5.big.test 10.0.0.1 || { tail "$work/nsd/nsd.log"; exit 1; }
axfr_ms=$(($(now_ms) - t0))
axfr_bytes=$(metric 'gslbd_xfr_bytes_total{type="axfr"}')
echo "NSD: first transfer (AXFR) served after $axfr_ms ms, $axfr_bytes bytes"

# One record changes.
zone 2 5 6
t0=$(now_ms)
kill -HUP "$gpid"
wait_for 600 answers h5.big.test 10.0.0.2 || { tail "$work/nsd/nsd.log"; exit 1; }
change_ms=$(($(now_ms) - t0))
# NSD may answer before gslbd has logged its reload.
wait_for 60 grep -q 'reload: ok generation=2 .* in [0-9]* ms' "$work/gslbd.log"
ixfr_bytes=$(metric 'gslbd_xfr_bytes_total{type="ixfr"}')
reload_ms=$(grep -o 'reload: ok generation=2 .* in [0-9]* ms' "$work/gslbd.log" | awk '{ print $(NF - 1) }')
echo "one-record change: NSD answers it $change_ms ms after SIGHUP (gslbd's reload: $reload_ms ms);"
echo "  IXFR $ixfr_bytes bytes vs AXFR $axfr_bytes bytes; axfr transfers: $(metric 'gslbd_xfr_total{type="axfr"}')"
# How the file was read: by parts (only the bytes that changed parsed), or in full.
echo "  $(grep -o 'big.test.zone \(re-read by parts\|read in full\): .*' "$work/gslbd.log" | tail -n 1 || echo 'read in full')"
sleep 1 # the version replaced is freed once no thread reads it
echo "  RSS after the change: $(awk '/^VmRSS/ { print $2 }' "/proc/$gpid/status") kB," \
	"peak so far $(awk '/^VmHWM/ { print $2 }' "/proc/$gpid/status") kB"

# The journal at its bound: CHANGES records change per reload.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$gpid/status"; }
echo "journal: journal_max=$JOURNAL_MAX, $CHANGES records changed per reload, RSS before: $(rss) kB"
for r in $(seq 1 "$ROUNDS"); do
	zone $((2 + r)) $((r * CHANGES)) $(((r + 1) * CHANGES))
	kill -HUP "$gpid"
	wait_for 600 grep -q "reload: ok generation=$((2 + r)) " "$work/gslbd.log"
	echo "  reload $r: journal $(metric 'gslbd_journal_bytes{zone="big.test"}') bytes," \
		"$(metric 'gslbd_journal_differences{zone="big.test"}') differences, RSS $(rss) kB"
done
[ "$ROUNDS" -gt 0 ] || exit 0
wait_for 600 answers "h$((ROUNDS * CHANGES)).big.test" 10.$(((ROUNDS * CHANGES >> 16) & 255)).$(((ROUNDS * CHANGES >> 8) & 255)).2 ||
	echo "  (NSD did not catch up within 600 s)"
echo "  NSD caught up: ixfr transfers $(metric 'gslbd_xfr_total{type="ixfr"}'), axfr $(metric 'gslbd_xfr_total{type="axfr"}'), ixfr bytes $(metric 'gslbd_xfr_bytes_total{type="ixfr"}')"

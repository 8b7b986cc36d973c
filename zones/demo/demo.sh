#!/bin/bash
# The gslbd demo: three datacenters on one machine. Starts, from a built
# source tree (./configure && make):
#   - three backends (tests/tools/httpd) on 127.0.0.1:18081 (us-east),
#     18082 (eu-west) and 18083 (ap-southeast),
#   - gslbd with zones/gslbd.conf.example (DNS 127.0.0.1:5300, API
#     127.0.0.1:8053),
#   - three probes (probes/gslb-probe, zones/demo/probe-*.yaml), one per
#     region, checking the backends and reporting to gslbd,
# waits until the probes report, prints how to watch a failover, and runs
# until Ctrl-C or SIGTERM, then stops everything it started.
#
#   zones/demo/demo.sh
#
# Logs, PID files and the backends' request logs go to $GSLBD_DEMO_DIR
# (default /tmp/gslbd-demo). GSLBD_BUILDDIR names the build directory for
# builds outside the source tree (default: the source tree).

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
BUILD=${GSLBD_BUILDDIR:-$SRC}
DIR=${GSLBD_DEMO_DIR:-/tmp/gslbd-demo}
CONF=$SRC/zones/gslbd.conf.example
GSLBD=$BUILD/gslbd/gslbd
GSLBCTL=$BUILD/ctl/gslbctl
PROBE=$BUILD/probes/gslb-probe
HTTPD=$BUILD/tests/tools/httpd
TOKEN=change-me
DCS="us-east eu-west ap-southeast"
PROBES="probe-us probe-eu probe-ap"
READY_SECONDS=${GSLBD_DEMO_TIMEOUT:-20}

port_of() {
	case $1 in
	us-east) echo 18081 ;;
	eu-west) echo 18082 ;;
	ap-southeast) echo 18083 ;;
	esac
}

say() {
	printf '%s\n' "$*"
}

die() {
	say "demo: $*" >&2
	exit 1
}

for f in "$GSLBD" "$GSLBCTL" "$PROBE" "$HTTPD"; do
	[ -x "$f" ] || die "$f not found: build first (./configure && make), or set GSLBD_BUILDDIR"
done
command -v dig >/dev/null 2>&1 || say "demo: note: dig not found (Debian package bind9-dnsutils)"

mkdir -p "$DIR" || die "cannot create $DIR"
# A demo still running would own the ports.
for f in "$DIR"/*.pid; do
	[ -e "$f" ] || continue
	pid=$(cat "$f" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		die "$(basename "$f" .pid) of an earlier demo still runs (pid $pid): stop that demo first"
	fi
	rm -f "$f"
done

STARTED=
STOPPING=

# stop_all: SIGTERM to everything started (backends as their PID files say
# now, so a backend restarted by hand stops too), then wait for them.
stop_all() {
	local f pid pids=

	[ -z "$STOPPING" ] || return
	STOPPING=1
	for f in "$DIR"/probe-*.pid "$DIR"/gslbd.pid "$DIR"/us-east.pid "$DIR"/eu-west.pid \
		"$DIR"/ap-southeast.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		rm -f "$f"
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
	done
	for pid in $STARTED; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $STARTED; do
		wait "$pid" 2>/dev/null
	done
	# Backends restarted by hand are not our children: wait for them to go.
	for pid in $pids; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
}

on_signal() {
	say ""
	say "demo: stopping"
	stop_all
	say "demo: stopped (logs in $DIR)"
	exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

# until_ok SECONDS WHAT CMD...: run CMD until it succeeds, or die after
# SECONDS naming WHAT.
until_ok() {
	local secs=$1 what=$2 end
	shift 2
	end=$((SECONDS + secs))
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || die "$what not ready after ${secs}s"
		sleep 0.1
	done
}

# alive NAME LOG: the process of NAME.pid runs; else show its log and die.
alive() {
	local pid
	pid=$(cat "$DIR/$1.pid" 2>/dev/null)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		say "demo: $1 exited; the end of $2:" >&2
		tail -n 20 "$2" >&2
		exit 1
	fi
}

# ---- backends -----------------------------------------------------------------

backend_cmd() {
	local dc=$1
	printf '%s -l %s -d %s 2>>%s & echo $! >%s' "$HTTPD" "$(port_of "$dc")" "$DIR/$dc" \
		"$DIR/$dc.log" "$DIR/$dc.pid"
}

for dc in $DCS; do
	mkdir -p "$DIR/$dc"
	rm -f "$DIR/$dc/port"
	: >"$DIR/$dc.log"
	"$HTTPD" -l "$(port_of "$dc")" -p "$DIR/$dc/port" -d "$DIR/$dc" 2>>"$DIR/$dc.log" &
	echo $! >"$DIR/$dc.pid"
	STARTED="$STARTED $!"
done
for dc in $DCS; do
	until_ok 5 "backend $dc" eval "alive $dc $DIR/$dc.log; [ -s $DIR/$dc/port ]"
done

# ---- gslbd --------------------------------------------------------------------

: >"$DIR/gslbd.log"
"$GSLBD" -c "$CONF" >>"$DIR/gslbd.log" 2>&1 &
echo $! >"$DIR/gslbd.pid"
STARTED="$STARTED $!"
until_ok 10 gslbd eval "alive gslbd $DIR/gslbd.log; grep -q 'ready:' $DIR/gslbd.log"

# ---- probes ---------------------------------------------------------------------

for p in $PROBES; do
	: >"$DIR/$p.log"
	"$PROBE" -c "$SRC/zones/demo/$p.yaml" >>"$DIR/$p.log" 2>&1 &
	echo $! >"$DIR/$p.pid"
	STARTED="$STARTED $!"
done
for p in $PROBES; do
	until_ok 10 "$p" eval "alive $p $DIR/$p.log; grep -q 'ready: probe=$p' $DIR/$p.log"
done

# Every datacenter is up by the probes' reports (not just "unknown").
probes_report() {
	local out
	out=$("$GSLBCTL" -t "$TOKEN" status 2>/dev/null) || return 1
	for p in $PROBES; do
		echo "$out" | grep -q "$p" || return 1
	done
	[ "$("$GSLBCTL" -t "$TOKEN" --json status 2>/dev/null |
		grep -o '"health": *"up"' | wc -l)" -ge 3 ]
}
until_ok "$READY_SECONDS" "the probes' reports" probes_report

# ---- what to do now ----------------------------------------------------------------

cat <<EOF

gslbd demo running (logs in $DIR):
  gslbd        DNS 127.0.0.1:5300, API 127.0.0.1:8053   pid $(cat "$DIR/gslbd.pid")
  backends     us-east 127.0.0.1:18081 pid $(cat "$DIR/us-east.pid"), eu-west 127.0.0.1:18082 pid $(cat "$DIR/eu-west.pid"), ap-southeast 127.0.0.1:18083 pid $(cat "$DIR/ap-southeast.pid")
  probes       probe-us, probe-eu, probe-ap (each checks every backend every 500 ms)
  status page  http://127.0.0.1:8053/ (a map of datacenters and probes; /metrics for Prometheus)

In another terminal (from $SRC):

  # a client in London (EDNS Client Subnet) gets eu-west, 198.51.100.10
  dig @127.0.0.1 -p 5300 www.gslb.example.com +subnet=81.2.69.0/24 +short
  $GSLBCTL -t $TOKEN status

  # take eu-west's backend down: within about 1 to 2 s the probes report it down
  # and London gets the next nearest healthy datacenter, us-east (192.0.2.10)
  kill \$(cat $DIR/eu-west.pid)
  dig @127.0.0.1 -p 5300 www.gslb.example.com +subnet=81.2.69.0/24 +short
  $GSLBCTL -t $TOKEN status

  # bring it back: after two good checks London is on eu-west again
  $(backend_cmd eu-west)

  # why an answer is what it is
  $GSLBCTL -t $TOKEN explain www.gslb.example.com 127.0.0.1 --ecs 81.2.69.0/24

Ctrl-C stops the demo.
EOF

# ---- run until told to stop -------------------------------------------------------

while :; do
	for name in gslbd $PROBES; do
		pid=$(cat "$DIR/$name.pid" 2>/dev/null)
		if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
			# Ctrl-C reaches our children too: let our own trap run first.
			sleep 0.5
			alive "$name" "$DIR/$name.log"
		fi
	done
	sleep 1 &
	wait $!
done

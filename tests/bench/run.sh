#!/usr/bin/env bash
# Benchmark gslbd against gdnsd and Knot DNS on loopback.
#
# Usage: tests/bench/run.sh [MODE...] [GSLBD]
#   quick (default)  throughput, latency and CPU per query on a ~7,500-record
#                    zone; one server at a time, server on CPU 0, dnsperf on
#                    CPU 1
#   big              a 1,000,000-record zone: time until the first answer and
#                    peak RSS after a short query load
#   geo              a load-balanced name (3 datacenters, policy nearest)
#                    queried with EDNS Client Subnet from many /24s: gslbd
#                    against gdnsd's plugin_geoip on the same MaxMind DB
#   reports          gslbd alone: DNS throughput and CPU per query with and
#                    without 50 probes POSTing signed reports on the HTTP API
#   paired           gslbd and gdnsd side by side on CPU 0 (one idle while
#                    the other is measured), max-rate runs alternating
#                    between them for ROUNDS rounds, on the quick zone and
#                    on the geo scenario (10,000 subnets): the median of the
#                    per-round CPU-per-query ratios, which a drifting
#                    background load touches alike
#   corpus           the geo scenario at scale: gslbd and gdnsd on a real
#                    GeoLite2-City (GSLBD_GEOLITE2_CITY, required), a
#                    1,000,000-query corpus from 500,000 client /24s drawn
#                    from its networks; max qps with dnsload and dnsperf,
#                    server CPU per query, p99 at a fixed rate, VmHWM, and
#                    the udpecho ceiling
#   corpus-paired    the corpus scenario in the paired layout, with dnsload
#   all              quick and big
#   Several modes may be given (e.g. "geo reports").
#   GSLBD            a gslbd binary or a build directory holding gslbd/gslbd;
#                    default $GSLBD, else ./gslbd/gslbd (run from a build dir)
#
# Environment (defaults in brackets):
#   SERVERS [gslbd gdnsd knot]  servers to run, in order; missing ones are
#                               skipped
#   DURATION [10]  seconds of the fixed-rate run
#   MAX_DURATION [5] REPEAT [3]  seconds and count of the max-rate runs
#                  (each max-rate figure is the median over the runs)
#   WARMUP [3]     seconds of the warm-up run
#   RATE [20000]   queries/second of the fixed-rate latency run
#   CLIENTS [4]    dnsperf -c;  OUTSTANDING [100]  dnsperf -q
#   HOSTS [3000]   host names in the quick zone
#   BIG_RECORDS [1000000]  records in the big zone
#   GEO_NETWORKS [10000]  /24 networks in the generated City database
#   GEO_SUBNETS [100 10000]  distinct client /24s of the two geo query files
#                  (the CPU per query of both is compared)
#   GEO_CHECK [500]  networks whose answers are checked before measuring
#   GSLBD_GEOLITE2_CITY  a GeoLite2-City.mmdb: geo mode also reports the
#                  servers' memory with it
#   ROUNDS [7]     rounds of the paired mode (MAX_DURATION seconds per run)
#   CORPUS_QUERIES [1000000] CORPUS_SUBNETS [500000] CORPUS_SUBNETS6 [50000]
#                  queries, distinct client /24s and /56s of the corpus
#   CORPUS_DRAW [networks]  networks: every database network alike, then a
#                  /24 (/56) in it; space: every /24 (/56) covered alike
#   CORPUS_CHECK [500]  corpus /24s whose answers are checked
#   WORKERS [1]    UDP workers of gslbd (workers:) and gdnsd (udp_threads)
#                  in the corpus modes; above 1 the servers are pinned to
#                  SERVER_CPU,CLIENT_CPU and share CLIENT_CPU with the
#                  generators
#   INFLIGHT [200] dnsload -q (queries in flight, closed loop)
#   LOAD_THREADS [1, or 2 x WORKERS]  dnsload -t (sockets, one per thread)
#   SERVER_CPUS [SERVER_CPU, or SERVER_CPU,CLIENT_CPU with WORKERS > 1]
#                  taskset list of the servers and udpecho in the corpus
#                  modes (CLIENT_CPU may be a list too)
#   DNSLOAD, UDPECHO  the tools (default: tests/bench/ of the build dir)
#   REPORT_DCS [30] REPORT_PROBES [50]  datacenters and probes (reports mode)
#   REPORT_CPUS [$SERVER_CPU]  CPU sets gslbd is pinned to in reports mode,
#                  one pass each (e.g. "0 0,1")
#   SERVER_CPU [0] CLIENT_CPU [1]  CPUs for taskset
#   PERF [0]       1: after the measured runs, one more max-rate run under
#                  perf record; top objects/functions go to the summary
#   EDNS [0]       1: queries carry an EDNS0 OPT record (dnsperf -e)
#   KEEP [0]       1: keep the work dir (configs, logs, dnsperf output)
#   RESULTS        also copy results.txt to this path
#
# Everything the script starts is stopped on exit.
#
# Space-separated lists (SERVERS, per-run figures) are split on purpose.
# shellcheck disable=SC2086

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helper="$here/bench.py"

modes=
while [ $# -gt 0 ]; do
	case "$1" in
	quick | big | geo | reports | paired | corpus) modes="$modes $1" ;;
	corpus-paired) modes="$modes corpus_paired" ;;
	all) modes="$modes quick big" ;;
	-h | --help)
		sed -n '2,/^# Space/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
	shift
done
modes=${modes:-quick}
gslbd_arg=${1:-${GSLBD:-./gslbd/gslbd}}
if [ -d "$gslbd_arg" ]; then
	if [ -x "$gslbd_arg/gslbd/gslbd" ]; then
		gslbd_arg=$gslbd_arg/gslbd/gslbd
	else
		gslbd_arg=$gslbd_arg/gslbd
	fi
fi
GSLBD_BIN=$gslbd_arg
case "$GSLBD_BIN" in
/*) ;;
*) GSLBD_BIN=$PWD/$GSLBD_BIN ;;
esac

# dnsload and udpecho are built beside gslbd (make builds them).
BUILD_DIR=$(cd "$(dirname "$GSLBD_BIN")/.." 2>/dev/null && pwd || echo .)
DNSLOAD=${DNSLOAD:-$BUILD_DIR/tests/bench/dnsload}
UDPECHO=${UDPECHO:-$BUILD_DIR/tests/bench/udpecho}

SERVERS=${SERVERS:-gslbd gdnsd knot}
DURATION=${DURATION:-10}
MAX_DURATION=${MAX_DURATION:-5}
REPEAT=${REPEAT:-3}
WARMUP=${WARMUP:-3}
RATE=${RATE:-20000}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-100}
HOSTS=${HOSTS:-3000}
BIG_RECORDS=${BIG_RECORDS:-1000000}
GEO_NETWORKS=${GEO_NETWORKS:-10000}
GEO_SUBNETS=${GEO_SUBNETS:-100 10000}
GEO_CHECK=${GEO_CHECK:-500}
ROUNDS=${ROUNDS:-7}
REPORT_DCS=${REPORT_DCS:-30}
REPORT_PROBES=${REPORT_PROBES:-50}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
REPORT_CPUS=${REPORT_CPUS:-$SERVER_CPU}
PERF=${PERF:-0}
EDNS=${EDNS:-0}
KEEP=${KEEP:-0}
WORKERS=${WORKERS:-1}
if [ "$WORKERS" -gt 1 ]; then
	LOAD_THREADS=${LOAD_THREADS:-$((2 * WORKERS))}
	SERVER_CPUS=${SERVER_CPUS:-$SERVER_CPU,$CLIENT_CPU}
else
	LOAD_THREADS=${LOAD_THREADS:-1}
	SERVER_CPUS=${SERVER_CPUS:-$SERVER_CPU}
fi
INFLIGHT=${INFLIGHT:-200}
CORPUS_QUERIES=${CORPUS_QUERIES:-1000000}
CORPUS_SUBNETS=${CORPUS_SUBNETS:-500000}
CORPUS_SUBNETS6=${CORPUS_SUBNETS6:-50000}
CORPUS_DRAW=${CORPUS_DRAW:-networks}
CORPUS_CHECK=${CORPUS_CHECK:-500}
ORIGIN=bench.example
# Which generator max_run, load_run and paired_scenario use: dnsperf or
# dnsload (corpus modes).
LOADER=dnsperf
# 1: the query files are dnsperf -B binary files (geo, reports).
BINARY=0
QUERY_COUNT=${QUERY_COUNT:-100000}
READY_DEADLINE=${READY_DEADLINE:-300}

for tool in python3 dnsperf taskset dig; do
	command -v "$tool" >/dev/null || {
		echo "run.sh: $tool not found" >&2
		exit 1
	}
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gslbd-bench.XXXXXX")
SPID=
PERF_PID=
WAITER=
CLIENT=
GEN=
PAIRED_PIDS=
# Config variant: conf_NAME$VARIANT writes the server's config.
VARIANT=
# Pin the server to this CPU list (start_server).
PIN=

cleanup() {
	local rc=$?
	if [ -n "$PERF_PID" ] && kill -0 "$PERF_PID" 2>/dev/null; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
	fi
	local p
	for p in $WAITER $CLIENT $GEN; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	stop_server
	for p in $PAIRED_PIDS; do
		SPID=$p
		stop_server
	done
	if [ "$KEEP" = 1 ]; then
		echo "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# Every command that matters goes to commands.txt as it runs.
note_cmd() { printf '%s\n' "$*" >>"$WORK/commands.txt"; }

now() { date +%s.%N; }

# fmt EXPR: evaluate with awk, print with the given printf format.
calc() { awk "BEGIN { v = $2; printf \"$1\", v }"; }

# ---------------------------------------------------------------------------
# Server configs. Each writer takes NAME ZONEFILE and sets PORT and the
# start command in CMD (an array).

# gslbd_cmd DIR: run gslbd on DIR/gslbd.conf, reporting its ports in
# DIR/ports (start_server reads the port from there).
gslbd_cmd() {
	rm -f "$1/ports"
	CMD=("$GSLBD_BIN" -c "$1/gslbd.conf" --port-file "$1/ports")
	PORT=
}

conf_gslbd() {
	local dir=$WORK/gslbd
	mkdir -p "$dir"
	cp "$2" "$dir/$ORIGIN.zone"
	cat >"$dir/gslbd.conf" <<-EOF
		server:
		  listen:
		    - 127.0.0.1:0
		  workers: 1
		  tcp_max_connections: 64
		log:
		  level: warning
		rrl:
		  exempt: [127.0.0.0/8]
		zones:
		  - name: $ORIGIN
		    file: $ORIGIN.zone
	EOF
	gslbd_cmd "$dir"
}

conf_gdnsd() {
	local dir=$WORK/gdnsd
	PORT=$(python3 "$helper" freeport)
	mkdir -p "$dir/zones"
	cp "$2" "$dir/zones/$ORIGIN"
	cat >"$dir/config" <<-EOF
		options => {
		  listen => [ 127.0.0.1 ]
		  dns_port => $PORT
		  udp_threads => 1
		  tcp_threads => 1
		  run_dir => $dir/run
		  state_dir => $dir/state
		}
	EOF
	CMD=(gdnsd -c "$dir" start)
}

conf_knot() {
	local dir=$WORK/knot
	PORT=$(python3 "$helper" freeport)
	rm -rf "$dir"
	mkdir -p "$dir/run" "$dir/db"
	cp "$2" "$dir/$ORIGIN.zone"
	local user=
	[ "$(id -u)" = 0 ] && user="    user: root:root"
	cat >"$dir/knot.conf" <<-EOF
		server:
		    rundir: "$dir/run"
		$user
		    listen: 127.0.0.1@$PORT
		    udp-workers: 1
		    tcp-workers: 1
		    background-workers: 1
		database:
		    storage: "$dir/db"
		log:
		  - target: stderr
		    any: warning
		template:
		  - id: default
		    storage: "$dir"
		    semantic-checks: off
		    zonefile-sync: -1
		    zonefile-load: whole
		    journal-content: none
		zone:
		  - domain: $ORIGIN.
		    file: "$ORIGIN.zone"
	EOF
	CMD=(knotd -c "$dir/knot.conf")
}

have_server() {
	case "$1" in
	gslbd) [ -x "$GSLBD_BIN" ] ;;
	gdnsd) command -v gdnsd >/dev/null ;;
	knot) command -v knotd >/dev/null ;;
	*) return 1 ;;
	esac
}

server_version() {
	case "$1" in
	gslbd) { "$GSLBD_BIN" -V 2>&1 || true; } | head -n1 ;;
	gdnsd) { gdnsd -V 2>&1 || true; } | grep -m1 version ;;
	knot) { knotd -V 2>&1 || true; } | head -n1 ;;
	esac || true
}

# start_server NAME ZONEFILE: start pinned to SERVER_CPU, wait until it
# answers the SOA; sets SPID, PORT, READY_MS.
start_server() {
	local name=$1 zone=$2 t0 t1 portspec deadline
	"conf_$name$VARIANT" "$name" "$zone"
	portspec=$PORT
	[ "$name" = gslbd ] && portspec=@$WORK/gslbd${VARIANT//_/-}/ports
	# The poller starts first and says when it is up, so that the clock
	# starts after the interpreter's own start-up, not before.
	rm -f "$WORK/ready.up" "$WORK/ready.out" "$WORK/ready.pid"
	python3 "$helper" wait 127.0.0.1 "$portspec" "$ORIGIN" "$READY_DEADLINE" \
		"$WORK/ready.up" "$WORK/ready.pid" >"$WORK/ready.out" &
	WAITER=$!
	deadline=$(($(date +%s) + 30))
	while [ ! -e "$WORK/ready.up" ]; do
		if ! kill -0 "$WAITER" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
			log "the readiness poller did not start"
			return 1
		fi
		sleep 0.01
	done
	note_cmd "taskset -c ${PIN:-$SERVER_CPU} ${CMD[*]}"
	t0=$(now)
	taskset -c "${PIN:-$SERVER_CPU}" "${CMD[@]}" >"$WORK/$name.log" 2>&1 &
	SPID=$!
	echo "$SPID" >"$WORK/ready.pid"
	if ! wait "$WAITER"; then
		WAITER=
		log "$name did not answer the SOA within ${READY_DEADLINE}s (or exited); log:"
		tail -n 20 "$WORK/$name.log" >&2
		return 1
	fi
	WAITER=
	read -r t1 PORT <"$WORK/ready.out"
	READY_MS=$(calc %.0f "($t1 - $t0) * 1000")
	log "$name: pid $SPID, port $PORT, answering after $READY_MS ms"
}

stop_server() {
	[ -n "$SPID" ] || return 0
	local pid=$SPID
	SPID=
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# dnsperf_run OUT ARGS...: run dnsperf on CLIENT_CPU against the server.
dnsperf_run() {
	local out=$1
	shift
	local cmd=(taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -T 1
		-c "$CLIENTS" -q "$OUTSTANDING")
	[ "$EDNS" = 1 ] && [ "$BINARY" = 0 ] && cmd+=(-e)
	[ "$BINARY" = 1 ] && cmd+=(-B)
	cmd+=("$@")
	note_cmd "${cmd[*]}"
	# In the background, so that a signal runs the EXIT trap at once.
	"${cmd[@]}" >"$out" 2>&1 &
	CLIENT=$!
	if ! wait "$CLIENT"; then
		CLIENT=
		log "dnsperf failed:"
		tail -n 5 "$out" >&2
		return 1
	fi
	CLIENT=
}

# cpu_of PID: utime+stime of PID in seconds; cpu_of PID user: utime only.
cpu_of() {
	local total user
	read -r total user < <(python3 "$helper" cpu "$1")
	if [ "${2:-}" = user ]; then echo "$user"; else echo "$total"; fi
}

# median V...: the median of the numbers (lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# fmt_list FORMAT V...: the numbers in FORMAT, space-separated.
fmt_list() {
	local f=$1
	shift
	echo "$@" | awk -v f="$f" '{ for (i = 1; i <= NF; i++) printf "%s" f, (i > 1 ? " " : ""), $i }'
}

# main_cpu PID: CPU seconds of PID's main thread.
main_cpu() { python3 "$helper" tasks "$1" | awk -v p="$1" '$1 == p { print $3 }'; }

# dnsload_run OUT ARGS...: run dnsload (LOAD_THREADS threads) on CLIENT_CPU
# against the server; a query file ending in .bin is dnsperf's binary format,
# any other is dnsload's text format, sent with EDNS0 on every query.
dnsload_run() {
	local out=$1 a
	shift
	local cmd=(taskset -c "$CLIENT_CPU" "$DNSLOAD" -s 127.0.0.1 -p "$PORT" -t "$LOAD_THREADS")
	# A text file gets EDNS0 on every query (-e): the corpus queries all
	# carry an OPT record, as in its binary twin for dnsperf.
	local binary=
	for a in "$@"; do
		case "$a" in *.bin) binary=1 ;; esac
	done
	if [ -n "$binary" ]; then cmd+=(-B); else cmd+=(-e); fi
	cmd+=("$@")
	note_cmd "${cmd[*]}"
	"${cmd[@]}" >"$out" 2>&1 &
	CLIENT=$!
	if ! wait "$CLIENT"; then
		CLIENT=
		log "dnsload failed:"
		tail -n 5 "$out" >&2
		return 1
	fi
	CLIENT=
}

# load_run OUT ARGS...: dnsperf_run or dnsload_run, as LOADER says.
load_run() {
	if [ "$LOADER" = dnsload ]; then
		dnsload_run "$@" -q "$INFLIGHT"
	else
		dnsperf_run "$@"
	fi
}

# max_run OUT QUERYFILE: one max-rate run of MAX_DURATION seconds against
# the server SPID on PORT, dnsperf (or, with LOADER=dnsload, dnsload -q
# INFLIGHT; RUN_CCPU is then dnsload's own CPU per query, us) output in
# OUT. Sets RUN_QPS, RUN_AVG
# (latency, us), RUN_LOST, RUN_CPU and RUN_USR (server CPU and user CPU,
# us per query), RUN_WCPU (us per query of every thread but the main one),
# RUN_MAIN (main-thread CPU, ms per second), RUN_UTIL (server CPU %) and
# RUN_OTHER (% of SERVER_CPU busy with anything else: other processes,
# interrupts, steal; high values spoil the run).
max_run() {
	local out=$1 file=$2 c0 c1 u0 u1 m0 m1 b0 b1 t0 t1 n
	c0=$(cpu_of "$SPID")
	u0=$(cpu_of "$SPID" user)
	m0=$(main_cpu "$SPID")
	b0=$(python3 "$helper" cpubusy "$SERVER_CPU")
	t0=$(now)
	if [ "$LOADER" = dnsload ]; then
		dnsload_run "$out" -d "$file" -l "$MAX_DURATION" -q "$INFLIGHT"
	else
		dnsperf_run "$out" -d "$file" -l "$MAX_DURATION"
	fi
	t1=$(now)
	c1=$(cpu_of "$SPID")
	u1=$(cpu_of "$SPID" user)
	m1=$(main_cpu "$SPID")
	b1=$(python3 "$helper" cpubusy "$SERVER_CPU")
	RUN_CCPU=-
	if [ "$LOADER" = dnsload ]; then
		read -r RUN_QPS RUN_AVG RUN_LOST n _ _ _ RUN_CCPU < <(python3 "$helper" dnsload "$out")
	else
		read -r RUN_QPS RUN_AVG RUN_LOST n < <(python3 "$helper" perf "$out")
	fi
	RUN_CPU=$(calc %.3f "($c1 - $c0) * 1e6 / $n")
	RUN_USR=$(calc %.3f "($u1 - $u0) * 1e6 / $n")
	RUN_WCPU=$(calc %.3f "(($c1 - $c0) - ($m1 - $m0)) * 1e6 / $n")
	RUN_MAIN=$(calc %.1f "($m1 - $m0) * 1000 / ($t1 - $t0)")
	RUN_UTIL=$(calc %.0f "($c1 - $c0) * 100 / $MAX_DURATION")
	RUN_OTHER=$(calc %.0f "(($b1 - $b0) - ($c1 - $c0)) * 100 / $MAX_DURATION")
}

rcodes_of() { sed -n 's/^ *Response codes: *//p' "$1"; }

respsize_of() { sed -n 's/^ *Average packet size:.*response *//p' "$1"; }

perf_start() {
	[ "$PERF" = 1 ] && command -v perf >/dev/null || return 0
	note_cmd "taskset -c $CLIENT_CPU perf record -g -o $WORK/perf-$1.data -p $SPID"
	taskset -c "$CLIENT_CPU" perf record -q -g -o "$WORK/perf-$1.data" -p "$SPID" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 0.2
}

perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=
	perf report -i "$WORK/perf-$1.data" --no-children --percent-limit 0.2 \
		--stdio -g none --sort dso,symbol 2>/dev/null |
		grep -v '^#' | grep -v '^$' | sed 's/[ -]*$//' >"$WORK/perf-$1.txt" || true
	perf report -i "$WORK/perf-$1.data" --no-children --stdio -g none --sort dso 2>/dev/null |
		grep -v '^#' | grep -v '^$' | sed 's/[ -]*$//' >"$WORK/perf-$1-dso.txt" || true
}

# Spot check: a few names of each kind must get the same answer set
# (rcode + sorted rdata) from every server; the first server is the
# reference.
spot_names() {
	cat <<-EOF
		$ORIGIN SOA
		$ORIGIN NS
		$ORIGIN MX
		h0.$ORIGIN A
		h3.$ORIGIN A
		h2.$ORIGIN AAAA
		h5.$ORIGIN TXT
		www8.$ORIGIN A
		www8.$ORIGIN AAAA
		m10.$ORIGIN MX
		foo.wild.$ORIGIN A
		a.b.wild.$ORIGIN AAAA
		nx1.$ORIGIN A
		h1.$ORIGIN MX
		ns1.$ORIGIN A
	EOF
}

spot_answers() {
	local q t
	spot_names | while read -r q t; do
		# Only records owned by the query name: servers may or may not
		# chase an in-zone CNAME, both are correct.
		printf '%s %s: %s %s\n' "$q" "$t" \
			"$(dig +norec +time=2 +tries=1 @127.0.0.1 -p "$PORT" "$q" "$t" |
				sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" \
			"$(dig +norec +noall +answer +time=2 +tries=1 @127.0.0.1 -p "$PORT" "$q" "$t" |
				awk -v q="$q." 'tolower($1) == tolower(q) { $2 = ""; print }' |
				sort | tr '\n' ' ')"
	done
}

declare -A R

# ---------------------------------------------------------------------------
# quick_prepare: the quick zone and query mix (once).
quick_prepare() {
	[ -n "${QUICK_RECORDS:-}" ] && return 0
	read -r _ QUICK_RECORDS < <(python3 "$helper" zone "$WORK/quick.zone" "$ORIGIN" "$HOSTS")
	python3 "$helper" queries "$WORK/quick.queries" "$ORIGIN" "$HOSTS" "$QUERY_COUNT"
	note_cmd "python3 $helper zone $WORK/quick.zone $ORIGIN $HOSTS"
	note_cmd "python3 $helper queries $WORK/quick.queries $ORIGIN $HOSTS $QUERY_COUNT"
	log "quick: zone $ORIGIN with $QUICK_RECORDS records, $QUERY_COUNT queries"
}

quick() {
	local zone=$WORK/quick.zone queries=$WORK/quick.queries name c0 c1 n
	quick_prepare
	QUICK_SERVERS=
	local ref=
	for name in $SERVERS; do
		if ! have_server "$name"; then
			log "quick: skipping $name (not found)"
			continue
		fi
		QUICK_SERVERS="$QUICK_SERVERS $name"
		R[$name.version]=$(server_version "$name")
		start_server "$name" "$zone"
		R[$name.ready]=$READY_MS

		spot_answers >"$WORK/spot-$name.txt"
		if [ -z "$ref" ]; then
			ref=$name
		elif ! diff -u "$WORK/spot-$ref.txt" "$WORK/spot-$name.txt" \
			>"$WORK/spot-$name.diff"; then
			log "quick: WARNING $name answers differ from $ref:"
			cat "$WORK/spot-$name.diff" >&2
			R[$name.spot]="differs from $ref"
		fi

		log "quick: $name warm-up ${WARMUP}s"
		dnsperf_run "$WORK/$name.warmup.out" -d "$queries" -l "$WARMUP"

		# REPEAT max-rate runs of MAX_DURATION seconds; each figure is the
		# median over the runs.
		local r qps avg lost cpu usr util other
		qps='' avg='' lost='' cpu='' usr='' util='' other=''
		for r in $(seq 1 "$REPEAT"); do
			log "quick: $name max rate run $r/$REPEAT, ${MAX_DURATION}s"
			max_run "$WORK/$name.max$r.out" "$queries"
			qps+=" $RUN_QPS" avg+=" $RUN_AVG" lost+=" $RUN_LOST" cpu+=" $RUN_CPU"
			usr+=" $RUN_USR" util+=" $RUN_UTIL" other+=" $RUN_OTHER"
		done
		R[$name.qps]=$(median $qps)
		R[$name.avg]=$(median $avg)
		R[$name.lost]=$(median $lost)
		R[$name.cpu]=$(calc %.2f "$(median $cpu)")
		R[$name.usr]=$(calc %.2f "$(median $usr)")
		R[$name.cpuutil]=$(median $util)
		R[$name.other]=$(median $other)
		R[$name.qpsall]=$(fmt_list %.0f $qps)
		R[$name.cpuall]=$(fmt_list %.2f $cpu)
		R[$name.usrall]=$(fmt_list %.2f $usr)
		R[$name.rcodes]=$(rcodes_of "$WORK/$name.max1.out")
		R[$name.rsize]=$(respsize_of "$WORK/$name.max1.out")

		log "quick: $name fixed rate $RATE qps ${DURATION}s"
		c0=$(cpu_of "$SPID")
		dnsperf_run "$WORK/$name.rate.out" -d "$queries" -l "$DURATION" -Q "$RATE" -v
		c1=$(cpu_of "$SPID")
		read -r _ R[$name.ravg] R[$name.rlost] n \
			< <(python3 "$helper" perf "$WORK/$name.rate.out")
		read -r _ R[$name.p50] R[$name.p90] R[$name.p99] R[$name.p999] R[$name.pmax] \
			< <(python3 "$helper" hist "$WORK/$name.rate.out")
		R[$name.rcpu]=$(calc %.2f "($c1 - $c0) * 1e6 / $n")
		read -r R[$name.hwm] R[$name.rss] < <(python3 "$helper" hwm "$SPID")

		# Profile in a run of its own, so that perf does not disturb the
		# figures above.
		if [ "$PERF" = 1 ]; then
			log "quick: $name max rate under perf, ${MAX_DURATION}s"
			perf_start "$name"
			dnsperf_run "$WORK/$name.perf.out" -d "$queries" -l "$MAX_DURATION"
			perf_stop "$name"
		fi
		stop_server
	done
}

big() {
	local zone=$WORK/big.zone queries=$WORK/big.queries name hosts
	log "big: generating a $BIG_RECORDS-record zone"
	read -r hosts BIG_REAL < <(python3 "$helper" zone-records "$zone" "$ORIGIN" "$BIG_RECORDS")
	python3 "$helper" queries "$queries" "$ORIGIN" "$hosts" "$QUERY_COUNT"
	note_cmd "python3 $helper zone-records $zone $ORIGIN $BIG_RECORDS"
	note_cmd "python3 $helper queries $queries $ORIGIN $hosts $QUERY_COUNT"
	BIG_SIZE=$(du -m "$zone" | cut -f1)
	BIG_SERVERS=
	for name in $SERVERS; do
		if ! have_server "$name"; then
			log "big: skipping $name (not found)"
			continue
		fi
		BIG_SERVERS="$BIG_SERVERS $name"
		R[$name.version]=$(server_version "$name")
		# Drop the page cache's advantage for nobody: the zone was just
		# written, so every server reads it from cache alike.
		start_server "$name" "$zone"
		R[$name.bready]=$READY_MS
		R[$name.bcpu0]=$(calc %.2f "$(cpu_of "$SPID")")
		read -r R[$name.bhwm0] R[$name.brss0] < <(python3 "$helper" hwm "$SPID")
		log "big: $name query load ${WARMUP}s"
		dnsperf_run "$WORK/$name.big.out" -d "$queries" -l "$WARMUP"
		read -r R[$name.bqps] _ _ _ < <(python3 "$helper" perf "$WORK/$name.big.out")
		R[$name.brcodes]=$(rcodes_of "$WORK/$name.big.out")
		read -r R[$name.bhwm] R[$name.brss] < <(python3 "$helper" hwm "$SPID")
		stop_server
	done
}

# ---------------------------------------------------------------------------
# geo: one load-balanced name, three datacenters, policy nearest, queried
# with ECS from many /24s; gslbd against gdnsd's plugin_geoip.

GEO_NAME=www.$ORIGIN
# name latitude longitude VIP
GEO_DCS="us-east 40.71 -74.01 192.0.2.10
eu-west 53.35 -6.26 198.51.100.10
ap-southeast 1.35 103.82 203.0.113.10"

# The small zone around the load-balanced name.
geo_zone() {
	cat <<-EOF
		\$ORIGIN $ORIGIN.
		\$TTL 3600
		@ 300 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
		@ IN NS ns1
		ns1 IN A 192.0.2.53
		h1 IN A 192.0.2.1
	EOF
}

# conf_*_geo NAME MMDB: the mmdb comes as the "zone" argument.
conf_gslbd_geo() {
	local dir=$WORK/gslbd-geo mmdb=$2 n lat lon vip
	mkdir -p "$dir"
	geo_zone >"$dir/$ORIGIN.zone"
	{
		cat <<-EOF
			server:
			  listen:
			    - 127.0.0.1:0
			  workers: 1
			  tcp_max_connections: 64
			  state_file: ""
			log:
			  level: warning
			rrl:
			  exempt: [127.0.0.0/8]
			geoip:
			  database: $mmdb
			zones:
			  - name: $ORIGIN
			    file: $ORIGIN.zone
			datacenters:
		EOF
		while read -r n lat lon vip; do
			printf '  - name: %s\n    latitude: %s\n    longitude: %s\n    ipv4: %s\n' \
				"$n" "$lat" "$lon" "$vip"
		done <<<"$GEO_DCS"
		cat <<-EOF
			pools:
			  - name: web
			    datacenters: [us-east, eu-west, ap-southeast]
			    policy: nearest
			    ttl: 30
			names:
			  - name: $GEO_NAME
			    pool: web
		EOF
	} >"$dir/gslbd.conf"
	gslbd_cmd "$dir"
}

conf_gdnsd_geo() {
	local dir=$WORK/gdnsd-geo mmdb=$2 n lat lon vip coords='' dcmap=''
	PORT=$(python3 "$helper" freeport)
	rm -rf "$dir"
	mkdir -p "$dir/zones" "$dir/geoip"
	# gdnsd reads GeoIP databases from its config's geoip/ folder.
	ln "$mmdb" "$dir/geoip/bench.mmdb" 2>/dev/null || cp "$mmdb" "$dir/geoip/bench.mmdb"
	{
		geo_zone
		echo "www 30 DYNA geoip!web"
	} >"$dir/zones/$ORIGIN"
	while read -r n lat lon vip; do
		coords+="          $n => [ $lat, $lon ]"$'\n'
		dcmap+="          $n => $vip"$'\n'
	done <<<"$GEO_DCS"
	cat >"$dir/config" <<-EOF
		options => {
		  listen => [ 127.0.0.1 ]
		  dns_port => $PORT
		  udp_threads => 1
		  tcp_threads => 1
		  run_dir => $dir/run
		  state_dir => $dir/state
		}
		plugins => {
		  geoip => {
		    maps => {
		      m => {
		        geoip2_db => bench.mmdb
		        datacenters => [ us-east, eu-west, ap-southeast ]
		        auto_dc_coords => {
		$coords        }
		      }
		    }
		    resources => {
		      web => {
		        map => m
		        dcmap => {
		$dcmap        }
		      }
		    }
		  }
		}
	EOF
	CMD=(gdnsd -c "$dir" start)
}

# max_runs NAME TAG QUERYFILE...: REPEAT max-rate runs of MAX_DURATION
# seconds, the query files taken in turn (interleaved, so that a drift in
# the background load touches all of them alike). For each file index i:
# R[NAME.TAG.i.qps|cpu|usr|other|lost] (medians) and R[NAME.TAG.i.cpuall]
# (every run).
max_runs() {
	local name=$1 tag=$2
	shift 2
	local files=("$@") r i
	declare -A acc=()
	for r in $(seq 1 "$REPEAT"); do
		for i in "${!files[@]}"; do
			log "$tag: $name max rate run $r/$REPEAT, file $((i + 1))/${#files[@]}, ${MAX_DURATION}s"
			max_run "$WORK/$name.$tag.$i.max$r.out" "${files[$i]}"
			acc[$i.qps]+=" $RUN_QPS" acc[$i.lost]+=" $RUN_LOST" acc[$i.cpu]+=" $RUN_CPU"
			acc[$i.usr]+=" $RUN_USR" acc[$i.other]+=" $RUN_OTHER"
		done
	done
	for i in "${!files[@]}"; do
		R[$name.$tag.$i.qps]=$(median ${acc[$i.qps]})
		R[$name.$tag.$i.lost]=$(median ${acc[$i.lost]})
		R[$name.$tag.$i.cpu]=$(calc %.2f "$(median ${acc[$i.cpu]})")
		R[$name.$tag.$i.usr]=$(calc %.2f "$(median ${acc[$i.usr]})")
		R[$name.$tag.$i.other]=$(median ${acc[$i.other]})
		R[$name.$tag.$i.qpsall]=$(fmt_list %.0f ${acc[$i.qps]})
		R[$name.$tag.$i.cpuall]=$(fmt_list %.2f ${acc[$i.cpu]})
	done
}

# rate_run NAME TAG QUERYFILE: one fixed-rate run; R[NAME.TAG.p50|p99|
# p999|ravg|rcpu|rlost].
rate_run() {
	local name=$1 tag=$2 file=$3 c0 c1 n
	log "$tag: $name fixed rate $RATE qps ${DURATION}s"
	c0=$(cpu_of "$SPID")
	dnsperf_run "$WORK/$name.$tag.rate.out" -d "$file" -l "$DURATION" -Q "$RATE" -v
	c1=$(cpu_of "$SPID")
	read -r _ R[$name.$tag.ravg] R[$name.$tag.rlost] n \
		< <(python3 "$helper" perf "$WORK/$name.$tag.rate.out")
	read -r _ R[$name.$tag.p50] _ R[$name.$tag.p99] R[$name.$tag.p999] _ \
		< <(python3 "$helper" hist "$WORK/$name.$tag.rate.out")
	R[$name.$tag.rcpu]=$(calc %.2f "($c1 - $c0) * 1e6 / $n")
}

geo_prepare() {
	[ -n "${GEO_MMDB:-}" ] && return 0
	if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
		log "geo: needs perl with MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl)"
		return 1
	fi
	local s
	GEO_NETS=$WORK/geo-networks.tsv
	GEO_MMDB=$WORK/bench-city.mmdb
	GEO_DCFILE=$WORK/geo-dcs.txt
	printf '%s\n' "$GEO_DCS" >"$GEO_DCFILE"
	python3 "$helper" geo-networks "$GEO_NETS" "$GEO_NETWORKS" >/dev/null
	note_cmd "python3 $helper geo-networks $GEO_NETS $GEO_NETWORKS"
	perl "$here/make-bench-mmdb.pl" "$GEO_NETS" "$GEO_MMDB" >/dev/null
	note_cmd "perl $here/make-bench-mmdb.pl $GEO_NETS $GEO_MMDB"
	GEO_MMDB_KIB=$(($(stat -c %s "$GEO_MMDB") / 1024))
	GEO_QFILES=()
	for s in $GEO_SUBNETS; do
		python3 "$helper" geo-queries "$WORK/geo-$s.bin" "$GEO_NETS" "$GEO_NAME" "$s" \
			"$QUERY_COUNT" >/dev/null
		note_cmd "python3 $helper geo-queries $WORK/geo-$s.bin $GEO_NETS $GEO_NAME $s $QUERY_COUNT"
		GEO_QFILES+=("$WORK/geo-$s.bin")
	done
	log "geo: $GEO_NETWORKS networks, ${GEO_MMDB_KIB} KiB mmdb, query files for $GEO_SUBNETS client /24s"
}

geo() {
	local name ref=''
	geo_prepare
	GEO_SERVERS=
	BINARY=1
	VARIANT=_geo
	for name in $SERVERS; do
		case "$name" in gslbd | gdnsd) ;; *) continue ;; esac
		if ! have_server "$name"; then
			log "geo: skipping $name (not found)"
			continue
		fi
		GEO_SERVERS="$GEO_SERVERS $name"
		R[$name.version]=$(server_version "$name")
		start_server "$name" "$GEO_MMDB"
		R[$name.geo.ready]=$READY_MS

		# Every answer must be the datacenter nearest to the network's
		# coordinates (computed here), for both servers.
		python3 "$helper" geo-check 127.0.0.1 "$PORT" "$GEO_NAME" "$GEO_NETS" "$GEO_DCFILE" \
			"$GEO_CHECK" >"$WORK/geo-check-$name.txt"
		note_cmd "python3 $helper geo-check 127.0.0.1 $PORT $GEO_NAME $GEO_NETS $GEO_DCFILE $GEO_CHECK"
		R[$name.geo.check]=$(tail -n 1 "$WORK/geo-check-$name.txt")
		R[$name.geo.scopes]=$(sed '$d' "$WORK/geo-check-$name.txt" | awk '{ print "/" $4 }' |
			sort | uniq -c | sort -rn | head -n 4 | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')
		log "geo: $name answers: ${R[$name.geo.check]} nearest as expected"
		if [ -z "$ref" ]; then
			ref=$name
		elif ! diff <(awk '{ print $1, $3 }' "$WORK/geo-check-$ref.txt") \
			<(awk '{ print $1, $3 }' "$WORK/geo-check-$name.txt") >"$WORK/geo-check-$name.diff"; then
			R[$name.geo.diff]="$(grep -c '^>' "$WORK/geo-check-$name.diff") answers differ from $ref"
			log "geo: WARNING $name: ${R[$name.geo.diff]}"
		fi

		log "geo: $name warm-up ${WARMUP}s"
		dnsperf_run "$WORK/$name.geo.warmup.out" -d "${GEO_QFILES[-1]}" -l "$WARMUP"
		max_runs "$name" geo "${GEO_QFILES[@]}"
		rate_run "$name" geo "${GEO_QFILES[-1]}"
		R[$name.geo.rcodes]=$(rcodes_of "$WORK/$name.geo.0.max1.out")
		read -r R[$name.geo.hwm] R[$name.geo.rss] < <(python3 "$helper" hwm "$SPID")
		if [ "$PERF" = 1 ]; then
			log "geo: $name max rate under perf, ${MAX_DURATION}s"
			perf_start "$name-geo"
			dnsperf_run "$WORK/$name.geo.perf.out" -d "${GEO_QFILES[-1]}" -l "$MAX_DURATION"
			perf_stop "$name-geo"
		fi
		stop_server

		# Memory with a real GeoLite2-City database, when there is one.
		if [ -n "${GSLBD_GEOLITE2_CITY:-}" ] && [ -r "$GSLBD_GEOLITE2_CITY" ]; then
			start_server "$name" "$GSLBD_GEOLITE2_CITY"
			R[$name.geolite.ready]=$READY_MS
			dnsperf_run "$WORK/$name.geolite.out" -d "${GEO_QFILES[-1]}" -l "$WARMUP"
			read -r R[$name.geolite.hwm] R[$name.geolite.rss] < <(python3 "$helper" hwm "$SPID")
			stop_server
		fi
	done
	BINARY=0
	VARIANT=
}

# ---------------------------------------------------------------------------
# paired: gslbd and gdnsd started side by side, both pinned to SERVER_CPU;
# in each of ROUNDS rounds one max-rate run against each (the order swapped
# every round), so that both see the same background. Per scenario:
# R[paired.SCEN.NAME.cpu|usr|qps] (medians), R[paired.SCEN.ratio|rmin|rmax]
# (median, lowest and highest per-round gslbd/gdnsd CPU per query) and
# R[paired.SCEN.ratios] (every round).

# paired_scenario SCEN DATA QUERYFILE: one scenario (VARIANT and BINARY set
# by the caller); DATA is the zone or the GeoIP database.
paired_scenario() {
	local scen=$1 data=$2 file=$3 name r order
	declare -A pid=() port=() acc=()
	for name in gslbd gdnsd; do
		start_server "$name" "$data" || return 1
		pid[$name]=$SPID
		port[$name]=$PORT
		PAIRED_PIDS="$PAIRED_PIDS $SPID"
		SPID=
	done
	for name in gslbd gdnsd; do
		SPID=${pid[$name]} PORT=${port[$name]}
		log "paired: $scen: $name warm-up ${WARMUP}s"
		load_run "$WORK/paired.$scen.$name.warmup.out" -d "$file" -l "$WARMUP"
	done
	for r in $(seq 1 "$ROUNDS"); do
		order="gslbd gdnsd"
		[ $((r % 2)) = 0 ] && order="gdnsd gslbd"
		for name in $order; do
			SPID=${pid[$name]} PORT=${port[$name]}
			log "paired: $scen: round $r/$ROUNDS, $name, ${MAX_DURATION}s"
			max_run "$WORK/paired.$scen.$name.$r.out" "$file"
			acc[$name.$r]=$RUN_CPU
			acc[$name.cpu]+=" $RUN_CPU" acc[$name.usr]+=" $RUN_USR" acc[$name.qps]+=" $RUN_QPS"
		done
		acc[ratio]+=" $(calc %.3f "${acc[gslbd.$r]} / ${acc[gdnsd.$r]}")"
	done
	for name in gslbd gdnsd; do
		R[paired.$scen.$name.cpu]=$(calc %.2f "$(median ${acc[$name.cpu]})")
		R[paired.$scen.$name.usr]=$(calc %.2f "$(median ${acc[$name.usr]})")
		R[paired.$scen.$name.qps]=$(calc %.0f "$(median ${acc[$name.qps]})")
		SPID=${pid[$name]}
		stop_server
	done
	PAIRED_PIDS=
	R[paired.$scen.ratio]=$(calc %.2f "$(median ${acc[ratio]})")
	R[paired.$scen.rmin]=$(printf '%s\n' ${acc[ratio]} | sort -g | head -n 1)
	R[paired.$scen.rmax]=$(printf '%s\n' ${acc[ratio]} | sort -g | tail -n 1)
	R[paired.$scen.ratios]=$(echo ${acc[ratio]})
}

paired() {
	local name
	for name in gslbd gdnsd; do
		if ! have_server "$name"; then
			log "paired: needs gslbd and gdnsd ($name not found)"
			return 1
		fi
		R[$name.version]=$(server_version "$name")
	done
	quick_prepare
	paired_scenario quick "$WORK/quick.zone" "$WORK/quick.queries"
	if geo_prepare; then
		BINARY=1
		VARIANT=_geo
		paired_scenario geo "$GEO_MMDB" "${GEO_QFILES[-1]}"
		BINARY=0
		VARIANT=
	fi
	PAIRED_DONE=1
}

# ---------------------------------------------------------------------------
# reports: gslbd with REPORT_DCS datacenters (one pool, every datacenter
# checked) and REPORT_PROBES probes; DNS load with and without the probes
# POSTing signed reports (each probe once a second, a result for every
# datacenter).

conf_gslbd_reports() {
	local dir=$WORK/gslbd-reports i lat lon names=''
	mkdir -p "$dir"
	geo_zone >"$dir/$ORIGIN.zone"
	: >"$dir/probes.txt"
	: >"$dir/dcs.txt"
	{
		cat <<-EOF
			server:
			  listen:
			    - 127.0.0.1:0
			  workers: 1
			  tcp_max_connections: 64
			  state_file: ""
			log:
			  level: warning
			rrl:
			  exempt: [127.0.0.0/8]
			api:
			  listen: 127.0.0.1:0
			geoip:
			  database: $GEO_MMDB
			zones:
			  - name: $ORIGIN
			    file: $ORIGIN.zone
			checks:
			  - name: web
			    type: http
			    port: 80
			    path: /healthz
			    interval: 1s
			    timeout: 500ms
			datacenters:
		EOF
		for i in $(seq 0 $((REPORT_DCS - 1))); do
			# Spread over the world on a grid, deterministic.
			lat=$(((i * 37) % 120 - 55))
			lon=$(((i * 71) % 360 - 180))
			printf '  - name: dc%02d\n    latitude: %s\n    longitude: %s\n    ipv4: 192.0.2.%d\n    check: web\n' \
				"$i" "$lat" "$lon" "$((i + 1))"
			printf 'dc%02d\n' "$i" >>"$dir/dcs.txt"
			names+="${names:+, }dc$(printf %02d "$i")"
		done
		echo "probes:"
		for i in $(seq 0 $((REPORT_PROBES - 1))); do
			printf '  - id: probe%02d\n    region: r%d\n    latitude: %d\n    longitude: %d\n    secret: bench-probe-secret-%02d\n' \
				"$i" "$((i % 5))" "$(((i * 13) % 120 - 55))" "$(((i * 29) % 360 - 180))" "$i"
			printf 'probe%02d bench-probe-secret-%02d\n' "$i" "$i" >>"$dir/probes.txt"
		done
		cat <<-EOF
			pools:
			  - name: web
			    datacenters: [$names]
			    policy: nearest
			    ttl: 30
			names:
			  - name: $GEO_NAME
			    pool: web
		EOF
	} >"$dir/gslbd.conf"
	gslbd_cmd "$dir"
}

gen_start() {
	local dir=$WORK/gslbd-reports
	note_cmd "taskset -c $CLIENT_CPU python3 $helper reports $API_URL $dir/probes.txt $dir/dcs.txt"
	taskset -c "$CLIENT_CPU" python3 "$helper" reports "$API_URL" "$dir/probes.txt" "$dir/dcs.txt" \
		>"$WORK/reports-gen.out" 2>&1 &
	GEN=$!
	# Let it reach its steady rate (and the datacenters get their first
	# verdicts) before the DNS load starts.
	sleep 2
}

# gen_stop: stop the generator; its counts (sent ok failed statuses) are
# added to GEN_TOTAL.
gen_stop() {
	local s o f st
	kill -TERM "$GEN" 2>/dev/null || true
	wait "$GEN" 2>/dev/null || true
	GEN=
	read -r s o f st <"$WORK/reports-gen.out" || true
	GEN_SENT=$((GEN_SENT + ${s:-0}))
	GEN_OK=$((GEN_OK + ${o:-0}))
	GEN_FAILED=$((GEN_FAILED + ${f:-0}))
	[ "${st:--}" = - ] || GEN_STATUS="$GEN_STATUS $st"
}

# main_cpu PID: CPU seconds of the main thread (the API, TCP, reloads).
reports_pass() {
	local cpus=$1 tag=rep$2 r phase g0 g1 a0 a1 qfile
	PIN=$cpus
	VARIANT=_reports
	BINARY=1
	qfile=${GEO_QFILES[-1]}
	start_server gslbd "$GEO_MMDB"
	API_URL=http://127.0.0.1:$(awk '$1 == "http" { print $4; exit }' "$WORK/gslbd-reports/ports")
	R[$tag.cpus]=$cpus
	dnsperf_run "$WORK/$tag.warmup.out" -d "$qfile" -l "$WARMUP"
	GEN_SENT=0 GEN_OK=0 GEN_FAILED=0 GEN_STATUS=
	a0=$(python3 "$helper" metric "$API_URL" 'gslbd_reports_total{result="accepted"}')
	g0=$(python3 "$helper" metric "$API_URL" gslbd_snapshot_generation)
	declare -A acc=()
	for r in $(seq 1 "$REPEAT"); do
		for phase in off on; do
			[ "$phase" = on ] && gen_start
			log "reports: cpus $cpus, reports $phase, max rate run $r/$REPEAT, ${MAX_DURATION}s"
			max_run "$WORK/$tag.$phase.max$r.out" "$qfile"
			[ "$phase" = on ] && gen_stop
			# wcpu: the worker's share (everything but the main thread);
			# main: main-thread CPU per second of the run (the API's cost).
			acc[$phase.qps]+=" $RUN_QPS" acc[$phase.lost]+=" $RUN_LOST" acc[$phase.cpu]+=" $RUN_CPU"
			acc[$phase.wcpu]+=" $RUN_WCPU" acc[$phase.main]+=" $RUN_MAIN" acc[$phase.other]+=" $RUN_OTHER"
		done
	done
	for phase in off on; do
		R[$tag.$phase.qps]=$(median ${acc[$phase.qps]})
		R[$tag.$phase.lost]=$(median ${acc[$phase.lost]})
		R[$tag.$phase.cpu]=$(calc %.2f "$(median ${acc[$phase.cpu]})")
		R[$tag.$phase.wcpu]=$(calc %.2f "$(median ${acc[$phase.wcpu]})")
		R[$tag.$phase.main]=$(median ${acc[$phase.main]})
		R[$tag.$phase.other]=$(median ${acc[$phase.other]})
		R[$tag.$phase.qpsall]=$(fmt_list %.0f ${acc[$phase.qps]})
		R[$tag.$phase.cpuall]=$(fmt_list %.2f ${acc[$phase.cpu]})
	done
	rate_run "$tag" off "$qfile"
	gen_start
	rate_run "$tag" on "$qfile"
	gen_stop
	a1=$(python3 "$helper" metric "$API_URL" 'gslbd_reports_total{result="accepted"}')
	g1=$(python3 "$helper" metric "$API_URL" gslbd_snapshot_generation)
	R[$tag.accepted]=$((a1 - a0))
	R[$tag.generations]=$((g1 - g0))
	R[$tag.sent]=$GEN_SENT
	R[$tag.genok]=$GEN_OK
	R[$tag.genfailed]=$GEN_FAILED
	R[$tag.status]=${GEN_STATUS:- -}
	python3 "$helper" metric "$API_URL" 'gslbd_datacenter_up{datacenter="dc00"}' >"$WORK/$tag.up"
	R[$tag.dc00up]=$(cat "$WORK/$tag.up")
	read -r R[$tag.hwm] _ < <(python3 "$helper" hwm "$SPID")
	if [ "$PERF" = 1 ]; then
		gen_start
		log "reports: max rate with reports under perf, ${MAX_DURATION}s"
		perf_start "$tag"
		dnsperf_run "$WORK/$tag.perf.out" -d "$qfile" -l "$MAX_DURATION"
		perf_stop "$tag"
		gen_stop
	fi
	stop_server
	PIN=
	VARIANT=
	BINARY=0
}

reports() {
	local cpus k=0
	if ! have_server gslbd; then
		log "reports: gslbd not found"
		return 1
	fi
	geo_prepare
	R[gslbd.version]=$(server_version gslbd)
	REPORT_TAGS=
	for cpus in $REPORT_CPUS; do
		reports_pass "$cpus" "$k"
		REPORT_TAGS="$REPORT_TAGS rep$k"
		k=$((k + 1))
	done
}

# ---------------------------------------------------------------------------
# corpus: the geo scenario at scale. gslbd and gdnsd (plugin_geoip, city
# auto mode) on a real GeoLite2-City, a 1,000,000-query corpus drawn from
# its networks (bench.py corpus), dnsload and dnsperf as generators, and
# udpecho as the ceiling.

# name latitude longitude IPv4 IPv6
CORPUS_DCS="us-east 40.71 -74.01 192.0.2.10 2001:db8:10::10
eu-west 53.35 -6.26 198.51.100.10 2001:db8:20::10
ap-southeast 1.35 103.82 203.0.113.10 2001:db8:30::10"

# The corpus zone: the geo zone plus the static names of the mix.
corpus_zone() {
	geo_zone
	printf 'h%d IN A 10.1.%d.%d\n' $(for i in $(seq 0 999); do echo "$i $((i >> 8)) $((i & 255))"; done)
	printf 'h%d IN AAAA 2001:db8:100::%x\n' $(for i in $(seq 0 2 999); do echo "$i $i"; done)
}

conf_gslbd_corpus() {
	local dir=$WORK/gslbd-corpus mmdb=$2 n lat lon v4 v6
	mkdir -p "$dir"
	corpus_zone >"$dir/$ORIGIN.zone"
	{
		cat <<-EOF
			server:
			  listen:
			    - 127.0.0.1:0
			  workers: $WORKERS
			  tcp_max_connections: 64
			  state_file: ""
			log:
			  level: warning
			rrl:
			  exempt: [127.0.0.0/8]
			geoip:
			  database: $mmdb
			zones:
			  - name: $ORIGIN
			    file: $ORIGIN.zone
			datacenters:
		EOF
		while read -r n lat lon v4 v6; do
			printf '  - name: %s\n    latitude: %s\n    longitude: %s\n    ipv4: %s\n    ipv6: %s\n' \
				"$n" "$lat" "$lon" "$v4" "$v6"
		done <<<"$CORPUS_DCS"
		cat <<-EOF
			pools:
			  - name: web
			    datacenters: [us-east, eu-west, ap-southeast]
			    policy: nearest
			    ttl: 30
			names:
			  - name: $GEO_NAME
			    pool: web
		EOF
	} >"$dir/gslbd.conf"
	gslbd_cmd "$dir"
}

conf_gdnsd_corpus() {
	local dir=$WORK/gdnsd-corpus mmdb=$2 n lat lon v4 v6 coords='' dcmap=''
	PORT=$(python3 "$helper" freeport)
	rm -rf "$dir"
	mkdir -p "$dir/zones" "$dir/geoip"
	ln -s "$mmdb" "$dir/geoip/city.mmdb"
	{
		corpus_zone
		echo "www 30 DYNA geoip!web"
	} >"$dir/zones/$ORIGIN"
	while read -r n lat lon v4 v6; do
		coords+="          $n => [ $lat, $lon ]"$'\n'
		dcmap+="          $n => { addrs_v4 => { a => $v4 }, addrs_v6 => { a => $v6 } }"$'\n'
	done <<<"$CORPUS_DCS"
	cat >"$dir/config" <<-EOF
		options => {
		  listen => [ 127.0.0.1 ]
		  dns_port => $PORT
		  udp_threads => $WORKERS
		  tcp_threads => 1
		  run_dir => $dir/run
		  state_dir => $dir/state
		}
		plugins => {
		  geoip => {
		    maps => {
		      m => {
		        geoip2_db => city.mmdb
		        datacenters => [ us-east, eu-west, ap-southeast ]
		        auto_dc_coords => {
		$coords        }
		      }
		    }
		    resources => {
		      web => {
		        map => m
		        dcmap => {
		$dcmap        }
		      }
		    }
		  }
		}
	EOF
	CMD=(gdnsd -c "$dir" start)
}

corpus_prepare() {
	[ -n "${CORPUS_TXT:-}" ] && return 0
	if [ -z "${GSLBD_GEOLITE2_CITY:-}" ] || [ ! -r "$GSLBD_GEOLITE2_CITY" ]; then
		log "corpus: needs a GeoLite2-City database: set GSLBD_GEOLITE2_CITY to its path"
		log "  (GSLBD_GEOLITE2_CITY=\$(sh tests/tools/fetch-geolite2.sh) fetches one)"
		return 1
	fi
	local tool
	for tool in "$DNSLOAD" "$UDPECHO"; do
		if [ ! -x "$tool" ]; then
			log "corpus: $tool not found (run make in the build directory, or set DNSLOAD/UDPECHO)"
			return 1
		fi
	done
	log "corpus: walking $GSLBD_GEOLITE2_CITY, drawing $CORPUS_SUBNETS /24s and $CORPUS_SUBNETS6 /56s"
	note_cmd "python3 $helper corpus $GSLBD_GEOLITE2_CITY $WORK $ORIGIN $GEO_NAME $CORPUS_QUERIES $CORPUS_SUBNETS $CORPUS_SUBNETS6 $CORPUS_DRAW $CORPUS_CHECK"
	python3 "$helper" corpus "$GSLBD_GEOLITE2_CITY" "$WORK" "$ORIGIN" "$GEO_NAME" "$CORPUS_QUERIES" \
		"$CORPUS_SUBNETS" "$CORPUS_SUBNETS6" "$CORPUS_DRAW" "$CORPUS_CHECK" >"$WORK/corpus.info" || {
		log "corpus: generating the corpus failed"
		return 1
	}
	CORPUS_TXT=$WORK/corpus.txt
	CORPUS_BIN=$WORK/corpus.bin
	CORPUS_DCFILE=$WORK/corpus-dcs.txt
	awk '{ print $1, $2, $3, $4 }' <<<"$CORPUS_DCS" >"$CORPUS_DCFILE"
	CORPUS_MIX=$(sed -n 's/^mix //p' "$WORK/corpus.info")
	CORPUS_DB=$(sed -n 's/^database //p' "$WORK/corpus.info")
	CORPUS_DB_KIB=$(($(stat -L -c %s "$GSLBD_GEOLITE2_CITY") / 1024))
	log "corpus: $(grep -c . "$CORPUS_TXT") queries: $CORPUS_MIX"
}

# corpus_udpecho: dnsload against udpecho (WORKERS threads) pinned like the
# servers: the packet rate ceiling. R[udpecho.corpus.qps|cpu|ccpu|qpsall].
corpus_udpecho() {
	local r qps='' cpu='' ccpu='' c0 c1 n q cc
	rm -f "$WORK/udpecho.port"
	note_cmd "taskset -c ${PIN:-$SERVER_CPU} $UDPECHO -t $WORKERS -P $WORK/udpecho.port"
	taskset -c "${PIN:-$SERVER_CPU}" "$UDPECHO" -t "$WORKERS" -P "$WORK/udpecho.port" \
		>"$WORK/udpecho.log" 2>&1 &
	SPID=$!
	for _ in $(seq 1 500); do
		[ -s "$WORK/udpecho.port" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.01
	done
	if [ ! -s "$WORK/udpecho.port" ]; then
		log "corpus: udpecho did not start:"
		cat "$WORK/udpecho.log" >&2
		return 1
	fi
	PORT=$(cat "$WORK/udpecho.port")
	for r in $(seq 1 "$REPEAT"); do
		log "corpus: udpecho ceiling run $r/$REPEAT, ${MAX_DURATION}s"
		c0=$(cpu_of "$SPID")
		dnsload_run "$WORK/udpecho.max$r.out" -d "$CORPUS_TXT" -l "$MAX_DURATION" -q "$INFLIGHT"
		c1=$(cpu_of "$SPID")
		read -r q _ _ n _ _ _ cc < <(python3 "$helper" dnsload "$WORK/udpecho.max$r.out")
		qps+=" $q" ccpu+=" $cc"
		cpu+=" $(calc %.3f "($c1 - $c0) * 1e6 / $n")"
	done
	R[udpecho.corpus.qps]=$(median $qps)
	R[udpecho.corpus.cpu]=$(calc %.2f "$(median $cpu)")
	R[udpecho.corpus.ccpu]=$(calc %.2f "$(median $ccpu)")
	R[udpecho.corpus.qpsall]=$(fmt_list %.0f $qps)
	stop_server
}

corpus() {
	local name ref='' r c0 c1 n l
	corpus_prepare || return 1
	PIN=$SERVER_CPUS
	CORPUS_SERVERS=
	corpus_udpecho
	VARIANT=_corpus
	for name in $SERVERS; do
		case "$name" in gslbd | gdnsd) ;; *) continue ;; esac
		if ! have_server "$name"; then
			log "corpus: skipping $name (not found)"
			continue
		fi
		CORPUS_SERVERS="$CORPUS_SERVERS $name"
		R[$name.version]=$(server_version "$name")
		start_server "$name" "$GSLBD_GEOLITE2_CITY"
		R[$name.corpus.ready]=$READY_MS

		# A sample of the corpus /24s (with a location in the database):
		# the answer must be the nearest datacenter.
		python3 "$helper" geo-check 127.0.0.1 "$PORT" "$GEO_NAME" "$WORK/corpus-check.tsv" \
			"$CORPUS_DCFILE" "$CORPUS_CHECK" >"$WORK/corpus-check-$name.txt"
		note_cmd "python3 $helper geo-check 127.0.0.1 $PORT $GEO_NAME $WORK/corpus-check.tsv $CORPUS_DCFILE $CORPUS_CHECK"
		R[$name.corpus.check]=$(tail -n 1 "$WORK/corpus-check-$name.txt")
		R[$name.corpus.scopes]=$(sed '$d' "$WORK/corpus-check-$name.txt" | awk '{ print "/" $4 }' |
			sort | uniq -c | sort -rn | head -n 4 | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')
		log "corpus: $name answers: ${R[$name.corpus.check]} nearest as expected"
		if [ -z "$ref" ]; then
			ref=$name
		elif ! diff <(awk '{ print $1, $3 }' "$WORK/corpus-check-$ref.txt") \
			<(awk '{ print $1, $3 }' "$WORK/corpus-check-$name.txt") >"$WORK/corpus-check-$name.diff"; then
			R[$name.corpus.diff]="$(grep -c '^>' "$WORK/corpus-check-$name.diff") answers differ from $ref"
			log "corpus: WARNING $name: ${R[$name.corpus.diff]}"
		fi

		log "corpus: $name warm-up ${WARMUP}s"
		LOADER=dnsload load_run "$WORK/$name.corpus.warmup.out" -d "$CORPUS_TXT" -l "$WARMUP"

		# Max rate: REPEAT rounds of one dnsload and one dnsperf run.
		declare -A acc=()
		for r in $(seq 1 "$REPEAT"); do
			for LOADER in dnsload dnsperf; do
				log "corpus: $name max rate run $r/$REPEAT with $LOADER, ${MAX_DURATION}s"
				if [ "$LOADER" = dnsload ]; then
					max_run "$WORK/$name.corpus.$LOADER.max$r.out" "$CORPUS_TXT"
				else
					BINARY=1 max_run "$WORK/$name.corpus.$LOADER.max$r.out" "$CORPUS_BIN"
				fi
				acc[$LOADER.qps]+=" $RUN_QPS" acc[$LOADER.cpu]+=" $RUN_CPU" acc[$LOADER.usr]+=" $RUN_USR"
				acc[$LOADER.lost]+=" $RUN_LOST" acc[$LOADER.other]+=" $RUN_OTHER"
				acc[$LOADER.ccpu]+=" $RUN_CCPU"
			done
		done
		LOADER=dnsperf
		for l in dnsload dnsperf; do
			R[$name.corpus.$l.qps]=$(median ${acc[$l.qps]})
			R[$name.corpus.$l.cpu]=$(calc %.2f "$(median ${acc[$l.cpu]})")
			R[$name.corpus.$l.usr]=$(calc %.2f "$(median ${acc[$l.usr]})")
			R[$name.corpus.$l.lost]=$(median ${acc[$l.lost]})
			R[$name.corpus.$l.other]=$(median ${acc[$l.other]})
			R[$name.corpus.$l.qpsall]=$(fmt_list %.0f ${acc[$l.qps]})
			R[$name.corpus.$l.cpuall]=$(fmt_list %.2f ${acc[$l.cpu]})
		done
		R[$name.corpus.ccpu]=$(calc %.2f "$(median ${acc[dnsload.ccpu]})")
		R[$name.corpus.rcodes]=$(sed -n 's/^rcodes: *//p' "$WORK/$name.corpus.dnsload.max1.out")
		R[$name.corpus.prcodes]=$(rcodes_of "$WORK/$name.corpus.dnsperf.max1.out")

		# Tail latency at a fixed rate (dnsload -Q; at most 10 x INFLIGHT
		# in flight, so that a stall shows as latency, not as a cap).
		log "corpus: $name fixed rate $RATE qps ${DURATION}s (dnsload)"
		c0=$(cpu_of "$SPID")
		dnsload_run "$WORK/$name.corpus.rate.out" -d "$CORPUS_TXT" -l "$DURATION" -Q "$RATE" \
			-q $((10 * INFLIGHT))
		c1=$(cpu_of "$SPID")
		read -r _ _ R[$name.corpus.rlost] n R[$name.corpus.p50] R[$name.corpus.p99] \
			R[$name.corpus.p999] _ < <(python3 "$helper" dnsload "$WORK/$name.corpus.rate.out")
		R[$name.corpus.rcpu]=$(calc %.2f "($c1 - $c0) * 1e6 / $n")
		read -r R[$name.corpus.hwm] R[$name.corpus.rss] < <(python3 "$helper" hwm "$SPID")
		if [ "$PERF" = 1 ]; then
			log "corpus: $name max rate under perf, ${MAX_DURATION}s"
			perf_start "$name-corpus"
			LOADER=dnsload load_run "$WORK/$name.corpus.perf.out" -d "$CORPUS_TXT" -l "$MAX_DURATION"
			perf_stop "$name-corpus"
		fi
		stop_server
	done
	VARIANT=
	PIN=
}

# corpus-paired: the corpus scenario in the paired layout (both servers up
# on the same CPUs, ROUNDS rounds of alternating dnsload max-rate runs).
corpus_paired() {
	local name
	for name in gslbd gdnsd; do
		if ! have_server "$name"; then
			log "corpus-paired: needs gslbd and gdnsd ($name not found)"
			return 1
		fi
		R[$name.version]=$(server_version "$name")
	done
	corpus_prepare || return 1
	PIN=$SERVER_CPUS
	VARIANT=_corpus
	LOADER=dnsload
	paired_scenario corpus "$GSLBD_GEOLITE2_CITY" "$CORPUS_TXT"
	LOADER=dnsperf
	VARIANT=
	PIN=
	PAIRED_DONE=1
}

# ratio A B: A/B with two decimals, or "-".
ratio() {
	case "$1$2" in
	*nan* | "" | *-*) echo - ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }' ;;
	esac
}

us() {
	if [ "$1" = nan ]; then
		echo nan
	else
		calc %.0f "$1 * 1e6"
	fi
}

report() {
	local out=$WORK/results.txt name ref
	{
		echo "gslbd benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r)"
		grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //' || true
		echo "server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU (-T 1 -c $CLIENTS -q $OUTSTANDING$([ "$EDNS" = 1 ] && echo ' -e'))"
		echo "background load before start: ${BACKGROUND}% of all CPUs"
		for name in $SERVERS; do
			[ -n "${R[$name.version]:-}" ] && echo "  $name: ${R[$name.version]}"
		done
		if [ -n "${QUICK_SERVERS:-}" ]; then
			echo
			echo "== quick: zone $ORIGIN, $QUICK_RECORDS records, $QUERY_COUNT-query mix;" \
				"max rate: median of $REPEAT x ${MAX_DURATION}s, fixed rate: ${DURATION}s"
			echo
			printf '%-7s %9s %8s %9s %9s %5s | %7s %7s %7s %8s %9s %9s | %8s %8s\n' \
				server qps avg_us cpu_us/q usr_us/q cpu% p50_us p90_us p99_us p99.9_us avg_us cpu_us/q ready_ms hwm_KiB
			printf '%-7s %9s %8s %9s %9s %5s | %-57s |\n' "" "(max rate)" "" "" "" "" \
				"(fixed rate $RATE qps, dnsperf -v per-query latency)"
			for name in $QUICK_SERVERS; do
				printf '%-7s %9.0f %8s %9s %9s %5s | %7s %7s %7s %8s %9s %9s | %8s %8s\n' \
					"$name" "${R[$name.qps]}" "$(us "${R[$name.avg]}")" "${R[$name.cpu]}" "${R[$name.usr]}" \
					"${R[$name.cpuutil]}" "${R[$name.p50]}" "${R[$name.p90]}" "${R[$name.p99]}" \
					"${R[$name.p999]}" "$(us "${R[$name.ravg]}")" "${R[$name.rcpu]}" \
					"${R[$name.ready]}" "${R[$name.hwm]}"
			done
			for ref in gdnsd knot; do
				case " $QUICK_SERVERS " in *" gslbd "*) ;; *) break ;; esac
				case " $QUICK_SERVERS " in *" $ref "*) ;; *) continue ;; esac
				printf '%-7s %9s %8s %9s %9s %5s | %7s %7s %7s %8s %9s %9s | %8s %8s\n' \
					"g/${ref:0:5}" \
					"$(ratio "${R[gslbd.qps]}" "${R[$ref.qps]}")" \
					"$(ratio "${R[gslbd.avg]}" "${R[$ref.avg]}")" \
					"$(ratio "${R[gslbd.cpu]}" "${R[$ref.cpu]}")" \
					"$(ratio "${R[gslbd.usr]}" "${R[$ref.usr]}")" "" \
					"$(ratio "${R[gslbd.p50]}" "${R[$ref.p50]}")" \
					"$(ratio "${R[gslbd.p90]}" "${R[$ref.p90]}")" \
					"$(ratio "${R[gslbd.p99]}" "${R[$ref.p99]}")" \
					"$(ratio "${R[gslbd.p999]}" "${R[$ref.p999]}")" \
					"$(ratio "${R[gslbd.ravg]}" "${R[$ref.ravg]}")" \
					"$(ratio "${R[gslbd.rcpu]}" "${R[$ref.rcpu]}")" \
					"$(ratio "${R[gslbd.ready]}" "${R[$ref.ready]}")" \
					"$(ratio "${R[gslbd.hwm]}" "${R[$ref.hwm]}")"
			done
			echo
			for name in $QUICK_SERVERS; do
				echo "  $name: max-rate runs qps ${R[$name.qpsall]}, cpu_us/q ${R[$name.cpuall]}, usr_us/q ${R[$name.usrall]}"
				echo "  $name: lost ${R[$name.lost]} (max) / ${R[$name.rlost]} (fixed);" \
					"CPU $SERVER_CPU used by others ${R[$name.other]}%;" \
					"average response ${R[$name.rsize]} bytes;"
				echo "    rcodes ${R[$name.rcodes]}${R[$name.spot]:+; SPOT CHECK ${R[$name.spot]}}"
			done
		fi
		if [ -n "${BIG_SERVERS:-}" ]; then
			echo
			echo "== big: zone $ORIGIN, $BIG_REAL records, ${BIG_SIZE} MiB master file"
			echo
			printf '%-7s %9s %10s %11s %11s %11s %9s\n' server ready_ms load_cpu_s rss0_KiB hwm_KiB rss_KiB qps
			for name in $BIG_SERVERS; do
				printf '%-7s %9s %10s %11s %11s %11s %9.0f\n' "$name" "${R[$name.bready]}" "${R[$name.bcpu0]}" \
					"${R[$name.brss0]}" "${R[$name.bhwm]}" "${R[$name.brss]}" "${R[$name.bqps]}"
			done
			for ref in gdnsd knot; do
				case " $BIG_SERVERS " in *" gslbd "*) ;; *) break ;; esac
				case " $BIG_SERVERS " in *" $ref "*) ;; *) continue ;; esac
				printf '%-7s %9s %10s %11s %11s %11s %9s\n' "g/${ref:0:5}" \
					"$(ratio "${R[gslbd.bready]}" "${R[$ref.bready]}")" \
					"$(ratio "${R[gslbd.bcpu0]}" "${R[$ref.bcpu0]}")" \
					"$(ratio "${R[gslbd.brss0]}" "${R[$ref.brss0]}")" \
					"$(ratio "${R[gslbd.bhwm]}" "${R[$ref.bhwm]}")" \
					"$(ratio "${R[gslbd.brss]}" "${R[$ref.brss]}")" \
					"$(ratio "${R[gslbd.bqps]}" "${R[$ref.bqps]}")"
			done
			echo
			for name in $BIG_SERVERS; do
				echo "  $name: rcodes ${R[$name.brcodes]}"
			done
		fi
		if [ -n "${GEO_SERVERS:-}" ]; then
			local subs i s
			read -ra subs <<<"$GEO_SUBNETS"
			echo
			echo "== geo: $GEO_NAME, 3 datacenters, policy nearest, TTL 30; A queries with ECS"
			echo "   (/24) from ${subs[*]} distinct client /24s; generated City mmdb with"
			echo "   $GEO_NETWORKS /24 networks (${GEO_MMDB_KIB} KiB); max rate: median of $REPEAT x ${MAX_DURATION}s,"
			echo "   fixed rate: $RATE qps ${DURATION}s with the ${subs[-1]}-subnet file"
			echo
			printf '%-7s %8s %9s %9s %9s | %7s %7s %8s %9s | %8s %8s\n' \
				server subnets qps cpu_us/q usr_us/q p50_us p99_us p99.9_us cpu_us/q ready_ms hwm_KiB
			for name in $GEO_SERVERS; do
				for i in "${!subs[@]}"; do
					if [ "$i" = $((${#subs[@]} - 1)) ]; then
						printf '%-7s %8s %9.0f %9s %9s | %7s %7s %8s %9s | %8s %8s\n' \
							"$name" "${subs[$i]}" "${R[$name.geo.$i.qps]}" "${R[$name.geo.$i.cpu]}" \
							"${R[$name.geo.$i.usr]}" "${R[$name.geo.p50]}" "${R[$name.geo.p99]}" \
							"${R[$name.geo.p999]}" "${R[$name.geo.rcpu]}" "${R[$name.geo.ready]}" \
							"${R[$name.geo.hwm]}"
					else
						printf '%-7s %8s %9.0f %9s %9s |\n' "$name" "${subs[$i]}" \
							"${R[$name.geo.$i.qps]}" "${R[$name.geo.$i.cpu]}" "${R[$name.geo.$i.usr]}"
					fi
				done
			done
			case " $GEO_SERVERS " in
			*" gslbd "*"gdnsd "* | *" gdnsd "*"gslbd "*)
				for i in "${!subs[@]}"; do
					if [ "$i" = $((${#subs[@]} - 1)) ]; then
						printf '%-7s %8s %9s %9s %9s | %7s %7s %8s %9s | %8s %8s\n' g/gdnsd "${subs[$i]}" \
							"$(ratio "${R[gslbd.geo.$i.qps]}" "${R[gdnsd.geo.$i.qps]}")" \
							"$(ratio "${R[gslbd.geo.$i.cpu]}" "${R[gdnsd.geo.$i.cpu]}")" \
							"$(ratio "${R[gslbd.geo.$i.usr]}" "${R[gdnsd.geo.$i.usr]}")" \
							"$(ratio "${R[gslbd.geo.p50]}" "${R[gdnsd.geo.p50]}")" \
							"$(ratio "${R[gslbd.geo.p99]}" "${R[gdnsd.geo.p99]}")" \
							"$(ratio "${R[gslbd.geo.p999]}" "${R[gdnsd.geo.p999]}")" \
							"$(ratio "${R[gslbd.geo.rcpu]}" "${R[gdnsd.geo.rcpu]}")" \
							"$(ratio "${R[gslbd.geo.ready]}" "${R[gdnsd.geo.ready]}")" \
							"$(ratio "${R[gslbd.geo.hwm]}" "${R[gdnsd.geo.hwm]}")"
					else
						printf '%-7s %8s %9s %9s %9s |\n' g/gdnsd "${subs[$i]}" \
							"$(ratio "${R[gslbd.geo.$i.qps]}" "${R[gdnsd.geo.$i.qps]}")" \
							"$(ratio "${R[gslbd.geo.$i.cpu]}" "${R[gdnsd.geo.$i.cpu]}")" \
							"$(ratio "${R[gslbd.geo.$i.usr]}" "${R[gdnsd.geo.$i.usr]}")"
					fi
				done
				;;
			esac
			echo
			for name in $GEO_SERVERS; do
				echo "  $name: answers checked against the nearest datacenter: ${R[$name.geo.check]}${R[$name.geo.diff]:+; ${R[$name.geo.diff]}}"
				echo "    ECS scopes returned (most common): ${R[$name.geo.scopes]}"
				for i in "${!subs[@]}"; do
					echo "    ${subs[$i]} subnets: max-rate qps ${R[$name.geo.$i.qpsall]}, cpu_us/q ${R[$name.geo.$i.cpuall]}; CPU $SERVER_CPU used by others ${R[$name.geo.$i.other]}%"
				done
				echo "    growth of cpu_us/q from ${subs[0]} to ${subs[-1]} subnets: $(ratio "${R[$name.geo.$((${#subs[@]} - 1)).cpu]}" "${R[$name.geo.0.cpu]}")x;" \
					"lost ${R[$name.geo.0.lost]} (max) / ${R[$name.geo.rlost]} (fixed); rcodes ${R[$name.geo.rcodes]}"
			done
			if [ -n "${GSLBD_GEOLITE2_CITY:-}" ] && [ -r "$GSLBD_GEOLITE2_CITY" ]; then
				echo "  With $GSLBD_GEOLITE2_CITY ($(($(stat -c %s "$GSLBD_GEOLITE2_CITY") / 1024)) KiB):"
				for name in $GEO_SERVERS; do
					echo "    $name: ready_ms ${R[$name.geolite.ready]}, hwm_KiB ${R[$name.geolite.hwm]}, rss_KiB ${R[$name.geolite.rss]}"
				done
			else
				echo "  No GeoLite2-City database (set GSLBD_GEOLITE2_CITY): memory with a"
				echo "  full-size database was not measured."
			fi
		fi
		if [ -n "${CORPUS_SERVERS:-}" ]; then
			local l
			echo
			echo "== corpus: $GEO_NAME, 3 datacenters, policy nearest, TTL 30, on $CORPUS_DB"
			echo "   ($GSLBD_GEOLITE2_CITY, ${CORPUS_DB_KIB} KiB); $CORPUS_QUERIES queries: $CORPUS_MIX;"
			echo "   $CORPUS_SUBNETS client /24s and $CORPUS_SUBNETS6 /56s drawn by $CORPUS_DRAW; WORKERS=$WORKERS" \
				"(server on CPU $SERVER_CPUS), generators on CPU $CLIENT_CPU"
			echo "   max rate: median of $REPEAT x ${MAX_DURATION}s per generator (dnsload -q $INFLIGHT -t $LOAD_THREADS;" \
				"dnsperf -c $CLIENTS -q $OUTSTANDING);"
			echo "   fixed rate: dnsload -Q $RATE for ${DURATION}s"
			echo
			printf '%-8s %9s %8s %8s %9s %8s | %7s %7s %8s %8s | %8s %8s\n' \
				server dnsload dns_cpu cli_cpu dnsperf prf_cpu p50_us p99_us p99.9_us cpu_us/q ready_ms hwm_KiB
			printf '%-8s %9s %8s %8s %9s %8s | %-34s |\n' "" "qps" "us/q" "us/q" "qps" "us/q" \
				"(fixed rate $RATE qps, dnsload)"
			printf '%-8s %9.0f %8s %8s %9s %8s |\n' udpecho "${R[udpecho.corpus.qps]}" \
				"${R[udpecho.corpus.cpu]}" "${R[udpecho.corpus.ccpu]}" - -
			for name in $CORPUS_SERVERS; do
				printf '%-8s %9.0f %8s %8s %9.0f %8s | %7s %7s %8s %8s | %8s %8s\n' "$name" \
					"${R[$name.corpus.dnsload.qps]}" "${R[$name.corpus.dnsload.cpu]}" "${R[$name.corpus.ccpu]}" \
					"${R[$name.corpus.dnsperf.qps]}" "${R[$name.corpus.dnsperf.cpu]}" \
					"${R[$name.corpus.p50]}" "${R[$name.corpus.p99]}" "${R[$name.corpus.p999]}" \
					"${R[$name.corpus.rcpu]}" "${R[$name.corpus.ready]}" "${R[$name.corpus.hwm]}"
			done
			case " $CORPUS_SERVERS " in
			*" gslbd "*"gdnsd "* | *" gdnsd "*"gslbd "*)
				printf '%-8s %9s %8s %8s %9s %8s | %7s %7s %8s %8s | %8s %8s\n' g/gdnsd \
					"$(ratio "${R[gslbd.corpus.dnsload.qps]}" "${R[gdnsd.corpus.dnsload.qps]}")" \
					"$(ratio "${R[gslbd.corpus.dnsload.cpu]}" "${R[gdnsd.corpus.dnsload.cpu]}")" "" \
					"$(ratio "${R[gslbd.corpus.dnsperf.qps]}" "${R[gdnsd.corpus.dnsperf.qps]}")" \
					"$(ratio "${R[gslbd.corpus.dnsperf.cpu]}" "${R[gdnsd.corpus.dnsperf.cpu]}")" \
					"$(ratio "${R[gslbd.corpus.p50]}" "${R[gdnsd.corpus.p50]}")" \
					"$(ratio "${R[gslbd.corpus.p99]}" "${R[gdnsd.corpus.p99]}")" \
					"$(ratio "${R[gslbd.corpus.p999]}" "${R[gdnsd.corpus.p999]}")" \
					"$(ratio "${R[gslbd.corpus.rcpu]}" "${R[gdnsd.corpus.rcpu]}")" \
					"$(ratio "${R[gslbd.corpus.ready]}" "${R[gdnsd.corpus.ready]}")" \
					"$(ratio "${R[gslbd.corpus.hwm]}" "${R[gdnsd.corpus.hwm]}")"
				;;
			esac
			echo
			echo "  udpecho: dnsload runs qps ${R[udpecho.corpus.qpsall]}"
			for name in $CORPUS_SERVERS; do
				echo "  $name: answers checked against the nearest datacenter: ${R[$name.corpus.check]}${R[$name.corpus.diff]:+; ${R[$name.corpus.diff]}}"
				echo "    ECS scopes returned (most common): ${R[$name.corpus.scopes]}"
				for l in dnsload dnsperf; do
					# With WORKERS > 1 the server spans both CPUs and the
					# generator runs on one of them: no "others" figure.
					echo "    $l: max-rate qps ${R[$name.corpus.$l.qpsall]}, cpu_us/q ${R[$name.corpus.$l.cpuall]}," \
						"usr_us/q ${R[$name.corpus.$l.usr]}; lost ${R[$name.corpus.$l.lost]}$([ "$WORKERS" = 1 ] &&
							echo "; CPU $SERVER_CPU used by others ${R[$name.corpus.$l.other]}%")"
				done
				echo "    rcodes (dnsload) ${R[$name.corpus.rcodes]}; (dnsperf) ${R[$name.corpus.prcodes]};" \
					"fixed rate lost ${R[$name.corpus.rlost]}; rss_KiB ${R[$name.corpus.rss]}"
			done
			echo "  (dnsload/dnsperf qps: max rate with each generator; dns_cpu/prf_cpu: server"
			echo "  CPU per query under each; cli_cpu: dnsload's own CPU per query sent; udpecho:"
			echo "  the same dnsload against a UDP echo on the server's CPU, the ceiling)"
		fi
		if [ -n "${PAIRED_DONE:-}" ]; then
			local scen
			echo
			echo "== paired: gslbd and gdnsd side by side on CPU $SERVER_CPU, $ROUNDS rounds of one"
			echo "   ${MAX_DURATION}s max-rate run each (order swapped every round)"
			echo
			printf '%-22s %9s %9s %9s %9s | %7s %7s %7s\n' scenario \
				gslbd_cpu gdnsd_cpu gslbd_usr gdnsd_usr 'g/d' min max
			for scen in quick geo corpus; do
				[ -n "${R[paired.$scen.ratio]:-}" ] || continue
				printf '%-22s %9s %9s %9s %9s | %7s %7s %7s\n' \
					"$(case $scen in quick) echo "quick (static zone)" ;; geo) echo "geo (${GEO_SUBNETS##* } subnets)" ;;
						*) echo "corpus (dnsload)" ;; esac)" \
					"${R[paired.$scen.gslbd.cpu]}" "${R[paired.$scen.gdnsd.cpu]}" \
					"${R[paired.$scen.gslbd.usr]}" "${R[paired.$scen.gdnsd.usr]}" \
					"${R[paired.$scen.ratio]}" "${R[paired.$scen.rmin]}" "${R[paired.$scen.rmax]}"
			done
			for scen in quick geo corpus; do
				[ -n "${R[paired.$scen.ratio]:-}" ] || continue
				echo "  $scen: per-round gslbd/gdnsd CPU per query: ${R[paired.$scen.ratios]};" \
					"qps ($([ $scen = corpus ] && echo dnsload || echo dnsperf-capped))" \
					"${R[paired.$scen.gslbd.qps]} vs ${R[paired.$scen.gdnsd.qps]}"
			done
			echo "  (cpu/usr: server CPU and user CPU per query in us, medians over the rounds;"
			echo "  g/d: median of the per-round ratios, min and max of them)"
		fi
		if [ -n "${REPORT_TAGS:-}" ]; then
			local tag
			echo
			echo "== reports: gslbd, $REPORT_DCS datacenters in one pool (all checked), $REPORT_PROBES probes;"
			echo "   load: every probe POSTs a signed report with $REPORT_DCS results each second"
			echo "   ($REPORT_PROBES POSTs/s, one keep-alive connection, generator on CPU $CLIENT_CPU"
			echo "   with dnsperf); DNS: the geo query file; median of $REPEAT x ${MAX_DURATION}s,"
			echo "   runs without and with reports alternating; fixed rate $RATE qps ${DURATION}s"
			echo
			printf '%-6s %-7s %9s %9s %9s %8s | %7s %7s %8s %9s\n' \
				cpus reports qps cpu_us/q wrk_us/q main_ms/s p50_us p99_us p99.9_us cpu_us/q
			for tag in $REPORT_TAGS; do
				for phase in off on; do
					printf '%-6s %-7s %9.0f %9s %9s %8s | %7s %7s %8s %9s\n' "${R[$tag.cpus]}" "$phase" \
						"${R[$tag.$phase.qps]}" "${R[$tag.$phase.cpu]}" "${R[$tag.$phase.wcpu]}" \
						"${R[$tag.$phase.main]}" "${R[$tag.$phase.p50]}" "${R[$tag.$phase.p99]}" \
						"${R[$tag.$phase.p999]}" "${R[$tag.$phase.rcpu]}"
				done
				printf '%-6s %-7s %9s %9s %9s %8s | %7s %7s %8s %9s\n' "${R[$tag.cpus]}" on/off \
					"$(ratio "${R[$tag.on.qps]}" "${R[$tag.off.qps]}")" \
					"$(ratio "${R[$tag.on.cpu]}" "${R[$tag.off.cpu]}")" \
					"$(ratio "${R[$tag.on.wcpu]}" "${R[$tag.off.wcpu]}")" "" \
					"$(ratio "${R[$tag.on.p50]}" "${R[$tag.off.p50]}")" \
					"$(ratio "${R[$tag.on.p99]}" "${R[$tag.off.p99]}")" \
					"$(ratio "${R[$tag.on.p999]}" "${R[$tag.off.p999]}")" \
					"$(ratio "${R[$tag.on.rcpu]}" "${R[$tag.off.rcpu]}")"
			done
			echo
			for tag in $REPORT_TAGS; do
				echo "  cpus ${R[$tag.cpus]}: reports sent ${R[$tag.sent]}, HTTP 200 ${R[$tag.genok]}, failed ${R[$tag.genfailed]} (statuses${R[$tag.status]});"
				echo "    gslbd_reports_total{result=\"accepted\"} grew by ${R[$tag.accepted]};" \
					"snapshots published ${R[$tag.generations]}; dc00 up=${R[$tag.dc00up]}; hwm_KiB ${R[$tag.hwm]}"
				for phase in off on; do
					echo "    reports $phase: max-rate qps ${R[$tag.$phase.qpsall]}, cpu_us/q ${R[$tag.$phase.cpuall]};" \
						"lost ${R[$tag.$phase.lost]}; CPU $SERVER_CPU used by others ${R[$tag.$phase.other]}%"
				done
			done
		fi
		echo
		echo "Legend: qps/avg_us = dnsperf at full speed (dnsperf usually saturates"
		echo "its CPU first, so qps is capped by the client); cpu_us/q = server"
		echo "utime+stime (/proc/PID/stat, all threads) per completed query; usr_us/q"
		echo "= utime alone (the server's own code, without the kernel); cpu% ="
		echo "server CPU use during the max-rate run; p50..p99.9 = per-query latency"
		echo "at the fixed rate; ready_ms = spawn to first SOA answer; hwm = VmHWM;"
		echo "rss0 = VmRSS right after the first answer; load_cpu_s = server CPU time"
		echo "(all threads) spent until then; g/X = gslbd divided by X."
		echo "geo: subnets = distinct client /24s in the ECS options of the query file."
		echo "reports: wrk_us/q = CPU per query of every thread but the main one (the"
		echo "UDP worker); main_ms/s = main-thread CPU (HTTP API, TCP) in ms per second"
		echo "of run; on/off = with reports divided by without."
		echo
		echo "Commands:"
		sed 's/^/  /' "$WORK/commands.txt"
		if [ "$PERF" = 1 ]; then
			for name in $SERVERS gslbd-geo gdnsd-geo ${REPORT_TAGS:-}; do
				[ -s "$WORK/perf-$name.txt" ] || continue
				echo
				echo "perf (extra max-rate run), $name, by object:"
				head -n 6 "$WORK/perf-$name-dso.txt" | sed 's/^/  /'
				echo "perf, $name, top symbols:"
				head -n 20 "$WORK/perf-$name.txt" | sed 's/^/  /'
				echo "perf, $name, top user-space symbols:"
				grep -v '\[k\]' "$WORK/perf-$name.txt" | head -n 15 | sed 's/^/  /' || true
			done
		fi
	} >"$out"
	echo
	cat "$out"
	if [ -n "${RESULTS:-}" ]; then
		cp "$out" "$RESULTS"
	fi
}

: >"$WORK/commands.txt"
log "work dir: $WORK; gslbd: $GSLBD_BIN"
# Background load over one second before anything starts: the figures are
# only comparable on an otherwise idle machine.
bg0=$(python3 "$helper" cpubusy "")
sleep 1
bg1=$(python3 "$helper" cpubusy "")
BACKGROUND=$(calc %.0f "($bg1 - $bg0) * 100 / $(nproc)")
if [ "$BACKGROUND" -gt 10 ]; then
	log "WARNING: the machine is ${BACKGROUND}% busy before the benchmark; figures will be noisy"
fi
for mode in $modes; do
	"$mode"
done
report

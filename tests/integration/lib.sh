# Helpers for the integration tests, sourced by every tests/integration/*.sh
# (bash). A test starts its own gslbd from tests/data/integ/gslbd.conf.in on
# loopback with port 0, reads the bound ports from --port-file, queries it
# with dig or tests/tools/dnstest and asserts on the answers.
#
# Environment (set by make check): top_srcdir, top_builddir, TEST_WRAPPER
# (e.g. valgrind; the daemon runs under it). INTEG_TIME_FACTOR multiplies
# every deadline (default 1, or 10 when TEST_WRAPPER is set). KEEP=1 keeps
# the work dir of a test that passed.
#
# Exit codes: 0 pass, 1 fail, 77 skip (a client or tool is missing).
# Nothing sleeps to synchronise: everything polls with a deadline.

set -u

: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:?top_builddir must be set (run through make check)}"
TEST_WRAPPER=${TEST_WRAPPER-}

TEST_NAME=$(basename "$0" .sh)
DATA=$top_srcdir/tests/data/integ
# GSLBD_BIN runs another binary in place of gslbd (for trying the tests).
GSLBD=${GSLBD_BIN:-$top_builddir/gslbd/gslbd}
DNSTEST=$top_builddir/tests/tools/dnstest

if [ -n "${INTEG_TIME_FACTOR:-}" ]; then
	TF=$INTEG_TIME_FACTOR
elif [ -n "$TEST_WRAPPER" ]; then
	TF=10
else
	TF=1
fi
# dig's own per-query timeout (seconds).
DIG_TIME=$((2 * TF))

skip() {
	echo "SKIP: $*"
	exit 77
}

command -v dig >/dev/null 2>&1 || skip "dig not found (Debian package bind9-dnsutils)"
[ -x "$GSLBD" ] || { echo "FAIL: $GSLBD not built"; exit 1; }
[ -x "$DNSTEST" ] || { echo "FAIL: $DNSTEST not built"; exit 1; }

# ---- work dir and cleanup ------------------------------------------------

WORK=$top_builddir/tests/integration/tmp.$$-$TEST_NAME
rm -rf "$WORK"
mkdir -p "$WORK"
G_PID=
BG_PIDS=
CURRENT_STEP=

on_exit() {
	local rc=$?
	local p

	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$G_PID" ]; then
		kill -TERM "$G_PID" 2>/dev/null
		wait "$G_PID" 2>/dev/null
	fi
	if [ -z "${KEEP:-}" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then
		rm -rf "$WORK"
	else
		echo "work dir kept: $WORK"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 1' INT TERM

# Current time in milliseconds.
now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		echo $((t / 1000))
	else
		echo $(($(date +%s%N) / 1000000))
	fi
}

fail() {
	echo "FAIL: ${CURRENT_STEP:+[$CURRENT_STEP] }$*"
	if [ -n "${G_LOG:-}" ] && [ -f "$G_LOG" ]; then
		echo "---- last lines of $G_LOG"
		tail -n 40 "$G_LOG"
		echo "----"
	fi
	exit 1
}

# step TEXT: name what the following assertions check (shown on failure).
step() {
	CURRENT_STEP=$*
	echo "-- $*"
}

# wait_until CMD SECONDS: run CMD (a string, eval'ed) until it succeeds or
# SECONDS (times TF; may be fractional like 0.5) pass. Returns 1 on timeout.
wait_until() {
	local cmd=$1
	local ms
	ms=$(awk -v s="$2" -v f="$TF" 'BEGIN { printf "%d", s * f * 1000 }')
	local deadline=$(($(now_ms) + ms))

	while :; do
		if eval "$cmd"; then
			return 0
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.02
	done
}

# ---- the daemon ------------------------------------------------------------

have_ipv6() {
	[ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

# render_config OUT [VAR=VALUE...]: fill a config template from
# tests/data/integ. Variables: TEMPLATE (default gslbd.conf.in),
# TCP_IDLE_TIMEOUT (default 10s), TCP_MAX_CONNECTIONS (default 64). The zone
# files are copied into the work dir beside the config (so tests may edit
# them) unless they are there already.
render_config() {
	local out=$1
	shift
	local template=gslbd.conf.in idle=10s maxconn=64 listen kv z

	for kv in "$@"; do
		case $kv in
		TEMPLATE=*) template=${kv#*=} ;;
		TCP_IDLE_TIMEOUT=*) idle=${kv#*=} ;;
		TCP_MAX_CONNECTIONS=*) maxconn=${kv#*=} ;;
		*) fail "render_config: unknown setting $kv" ;;
		esac
	done
	listen='    - 127.0.0.1:0'
	if have_ipv6; then
		listen="$listen"$'\n''    - "[::1]:0"'
	fi
	for z in "$DATA"/*.zone; do
		[ -f "$WORK/${z##*/}" ] || cp "$z" "$WORK/${z##*/}"
		chmod u+w "$WORK/${z##*/}"
	done
	awk -v listen="$listen" -v idle="$idle" -v maxconn="$maxconn" '
		/^@LISTEN@$/ { print listen; next }
		{ gsub(/@TCP_IDLE_TIMEOUT@/, idle); gsub(/@TCP_MAX_CONNECTIONS@/, maxconn); print }
	' "$DATA/$template" >"$out" || fail "cannot render $out"
}

# gslbd_start CONF [NAME]: start gslbd in the background (log in
# $WORK/NAME.log, default gslbd.log) and wait for "ready:".
# Sets G_PID, G_LOG, G_PORTFILE, G_UDP and G_TCP (127.0.0.1 ports), G_UDP6
# and G_TCP6 (::1 ports, empty without IPv6). Fails fast when the daemon
# exits or logs an error line before it is ready (unless G_START_ERRORS_OK is
# set: a test of what is logged at start).
gslbd_start() {
	local conf=$1

	G_LOG=$WORK/${2:-gslbd}.log
	G_PORTFILE=$WORK/${2:-gslbd}.ports
	# Without server.state_file gslbd reads and writes the installed
	# default, shared by every test that runs at the same time: a drain
	# made by one would take a datacenter out of another's answers.
	grep -q '^ *state_file:' "$conf" ||
		fail "$conf names no server.state_file: tests keep theirs in the work dir"
	rm -f "$G_PORTFILE"
	: >"$G_LOG"
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	$TEST_WRAPPER "$GSLBD" -c "$conf" --port-file "$G_PORTFILE" >>"$G_LOG" 2>&1 &
	G_PID=$!
	local deadline=$(($(now_ms) + 10000 * TF))
	while ! grep -q 'ready:' "$G_LOG"; do
		if ! kill -0 "$G_PID" 2>/dev/null || proc_is_zombie "$G_PID"; then
			wait "$G_PID"
			local rc=$?
			G_PID=
			fail "gslbd exited with status $rc before it was ready"
		fi
		if [ -z "${G_START_ERRORS_OK:-}" ] && grep -q '\[error\]' "$G_LOG"; then
			fail "gslbd logged an error while starting: $(grep '\[error\]' "$G_LOG" | head -n 1)"
		fi
		[ "$(now_ms)" -lt "$deadline" ] || fail "gslbd not ready after $((10 * TF))s"
		sleep 0.02
	done
	[ -s "$G_PORTFILE" ] || fail "gslbd is ready but $G_PORTFILE is empty"
	G_UDP=$(awk '$1 == "dns" && $2 == "udp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
	G_TCP=$(awk '$1 == "dns" && $2 == "tcp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
	G_UDP6=$(awk '$1 == "dns" && $2 == "udp" && ($3 == "::1" || $3 == "[::1]") { print $4; exit }' "$G_PORTFILE")
	G_TCP6=$(awk '$1 == "dns" && $2 == "tcp" && ($3 == "::1" || $3 == "[::1]") { print $4; exit }' "$G_PORTFILE")
	[ -n "$G_UDP" ] && [ -n "$G_TCP" ] ||
		fail "no 127.0.0.1 udp/tcp lines in the port file: $(cat "$G_PORTFILE")"
	if have_ipv6; then
		[ -n "$G_UDP6" ] && [ -n "$G_TCP6" ] ||
			fail "no ::1 udp/tcp lines in the port file: $(cat "$G_PORTFILE")"
	fi
	echo "gslbd pid $G_PID udp $G_UDP tcp $G_TCP${G_UDP6:+ udp6 $G_UDP6 tcp6 $G_TCP6}"
}

proc_is_zombie() {
	[ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# wait_exit PID SECONDS: wait for our child PID to end; its status goes to
# WAIT_RC. Returns 1 when it is still running at the deadline. (Not to be
# called in a $(...) subshell: only this shell can wait for its children.)
wait_exit() {
	local pid=$1
	WAIT_RC=
	if ! wait_until "! kill -0 $pid 2>/dev/null || proc_is_zombie $pid" "$2"; then
		return 1
	fi
	wait "$pid"
	WAIT_RC=$?
}

# need_knot: KNOTD and KNOTC, Knot's server and control programs (from the
# environment or the PATH); fails if either is missing.
need_knot() {
	KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
	KNOTC=${KNOTC:-$(command -v knotc || echo /usr/sbin/knotc)}
	[ -x "$KNOTD" ] && [ -x "$KNOTC" ] || fail "knotd/knotc not found (Debian package knot)"
}

# knot_conf_head: the server: and database: sections of a Knot config in
# KDIR listening on 127.0.0.1@KPORT (user root:root when the tests run as
# root).
knot_conf_head() {
	cat <<CONF
server:
    rundir: "$KDIR"
    listen: 127.0.0.1@$KPORT
CONF
	[ "$(id -u)" -ne 0 ] || printf '    user: root:root\n'
	cat <<CONF
database:
    storage: "$KDIR"
CONF
}

# nsd_secondary_start DIR PORT: NSD serving from DIR on 127.0.0.1:PORT, its
# config the server part made here and then standard input (its key: and
# zone: parts); started in the background (output in DIR/stderr.log, log in
# DIR/nsd.log), its pid in NSD_PID and in BG_PIDS.
nsd_secondary_start() {
	local dir=$1 port=$2

	mkdir -p "$dir"
	{
		cat <<CONF
server:
  ip-address: 127.0.0.1
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  pidfile: "$dir/nsd.pid"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  logfile: "$dir/nsd.log"
  verbosity: 2
remote-control:
  control-enable: no
CONF
		cat
	} >"$dir/nsd.conf"
	"$NSD" -d -c "$dir/nsd.conf" >"$dir/stderr.log" 2>&1 &
	NSD_PID=$!
	BG_PIDS="$BG_PIDS $NSD_PID"
}

# primary_start LOG WHAT PORT ZONE SECONDS CMD...: run the primary server
# CMD in the background (output appended to LOG; its pid in PRIMARY_PID and
# in BG_PIDS) and wait up to SECONDS until it answers ZONE SOA on
# 127.0.0.1:PORT; fails showing LOG if it does not (WHAT names it).
primary_start() {
	local log=$1 what=$2 port=$3 zone=$4 secs=$5
	shift 5
	"$@" >>"$log" 2>&1 &
	PRIMARY_PID=$!
	BG_PIDS="$BG_PIDS $PRIMARY_PID"
	wait_until "primary_ready $port $zone" "$secs" || {
		cat "$log"
		fail "$what does not answer on port $port"
	}
}
# primary_ready PORT ZONE: the server at PRIMARY_PID answers ZONE SOA.
primary_ready() {
	kill -0 "$PRIMARY_PID" 2>/dev/null || return 2
	Q_UDP=$1 Q_TCP=$1 q +notcp "$2" SOA
	[ "$(got_rcode)" = NOERROR ]
}
# primary_stop PID WHAT: end the server PID started by primary_start.
primary_stop() {
	kill -TERM "$1"
	wait_exit "$1" 10 || fail "$2 still running after SIGTERM"
	BG_PIDS=${BG_PIDS/ $1/}
}

# unbound_validator_conf DIR PORT: the server: options of a validating
# Unbound on 127.0.0.1:PORT, its files in DIR, that asks servers on
# localhost and caches nothing; the caller adds trust-anchor lines and the
# sections after them.
unbound_validator_conf() {
	cat <<EOF
server:
	interface: 127.0.0.1
	port: $2
	do-ip6: no
	do-not-query-localhost: no
	username: ""
	chroot: ""
	directory: "$1"
	pidfile: "$1/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	val-log-level: 2
	module-config: "validator iterator"
	qname-minimisation: no
	aggressive-nsec: no
	prefetch: no
	cache-max-ttl: 0
	cache-max-negative-ttl: 0
	access-control: 127.0.0.0/8 allow
	# test. is one of the names Unbound answers itself (RFC 6761): not here.
	local-zone: "test." nodefault
EOF
}

# secondary_conf_head STORAGE: the server: section of a secondary's
# gslbd.conf, its zones transferred into STORAGE: GPORT on 127.0.0.1 and on
# ::1 where the machine has it (lib.sh asks there), one worker, no state.
secondary_conf_head() {
	local listen="\"127.0.0.1:$GPORT\""
	have_ipv6 && listen="$listen, \"[::1]:$GPORT\""
	cat <<CONF
server:
  listen: [$listen]
  workers: 1
  state_file: ""
  storage: $1
CONF
}

# gslbd_alive: the daemon is still running.
gslbd_alive() {
	[ -n "$G_PID" ] && kill -0 "$G_PID" 2>/dev/null && ! proc_is_zombie "$G_PID"
}

# gslbd_stop: SIGTERM, wait with a deadline, assert exit status 0 (99 from
# valgrind means it found errors) and the "exiting" line.
gslbd_stop() {
	local rc
	[ -n "$G_PID" ] || fail "gslbd_stop: not running"
	gslbd_alive || fail "gslbd died before it was told to stop"
	kill -TERM "$G_PID"
	wait_exit "$G_PID" 10 || fail "gslbd still running $((10 * TF))s after SIGTERM"
	rc=$WAIT_RC
	G_PID=
	if [ "$rc" -eq 99 ] && [ -n "$TEST_WRAPPER" ]; then
		fail "the wrapper ($TEST_WRAPPER) reported errors (exit 99)"
	fi
	[ "$rc" -eq 0 ] || fail "gslbd exited with status $rc after SIGTERM, expected 0"
	grep -q 'exiting' "$G_LOG" || fail "no 'exiting' line in the log after SIGTERM"
	case $TEST_WRAPPER in
	*valgrind*)
		if grep -q 'definitely lost: [1-9]' "$G_LOG"; then
			fail "valgrind reports definite leaks"
		fi
		;;
	esac
}

# log_wait PATTERN SECONDS: wait for an extended regex in the daemon log.
log_wait() {
	LOG_PAT=$1
	wait_until 'grep -Eq -- "$LOG_PAT" "$G_LOG"' "$2" ||
		fail "no log line matching '$1' within $2s (x$TF)"
}

# notify_listen SOCK OUT [stamp]: stand in for systemd's NOTIFY_SOCKET. A
# python3 listener (in BG_PIDS) on the datagram socket SOCK writes each
# datagram on one line of OUT, its newlines shown as '|'; with stamp, after
# the monotonic time in ms and a space ("MS MESSAGE"). Returns once SOCK
# exists and OUT is there.
notify_listen() {
	python3 -c '
import socket, sys, time
stamp = len(sys.argv) > 3
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    m = s.recv(4096).decode().replace("\n", "|")
    out.write("%d %s\n" % (time.monotonic() * 1000, m) if stamp else m + "\n")
' "$@" &
	BG_PIDS="$BG_PIDS $!"
	wait_until "[ -S '$1' ]" 5 || fail "the notify listener did not start"
	: >>"$2"
}

# ---- DNSSEC ----------------------------------------------------------------

# dnssec_keygen [-k] ZONE: an ECDSAP256SHA256 key pair for ZONE (-k: a KSK)
# made by ldns-keygen in $WORK/keys, its file name prefix on stdout.
dnssec_keygen() {
	mkdir -p "$WORK/keys"
	(cd "$WORK/keys" && ldns-keygen -a ECDSAP256SHA256 "$@") || fail "ldns-keygen $*"
}

# dnssec_verify_zone ZONE KSK: a transfer of ZONE passes ldns-verify-zone
# with $WORK/keys/KSK.key as the trust anchor.
dnssec_verify_zone() {
	local z=$1 ksk=$2
	q axfr "$z" +onesoa
	assert_out_lacks "Transfer failed"
	echo "$OUT" | grep -v '^;' >"$WORK/$z.axfr"
	if ! ldns-verify-zone -k "$WORK/keys/$ksk.key" "$WORK/$z.axfr" >"$WORK/verify.out" 2>&1; then
		cat "$WORK/verify.out"
		fail "ldns-verify-zone fails on the transfer of $z"
	fi
}

# ---- queries ---------------------------------------------------------------

# q DIG-ARGS...: query gslbd on 127.0.0.1 (UDP, or TCP for +tcp, AXFR, IXFR
# and ANY without +notcp, as dig does). Output in $OUT, command in $QCMD.
# Q_ADDR / Q_UDP / Q_TCP override the target (e.g. ::1 or another server).
q() {
	local a tcp=0 notcp=0 any=0 port addr=${Q_ADDR:-127.0.0.1}
	for a in "$@"; do
		case $a in
		+tcp | +vc) tcp=1 ;;
		+notcp | +novc) notcp=1 ;;
		axfr | AXFR | ixfr=* | IXFR=*) tcp=1 ;;
		any | ANY) any=1 ;;
		esac
	done
	if [ $any = 1 ] && [ $notcp = 0 ]; then
		tcp=1
	fi
	if [ $tcp = 1 ]; then
		port=${Q_TCP:-$G_TCP}
	else
		port=${Q_UDP:-$G_UDP}
	fi
	QCMD="dig @$addr -p $port +norecurse +time=$DIG_TIME +tries=1 $*"
	local try
	for try in 1 2 3 4 5; do
		OUT=$(dig "@$addr" -p "$port" +norecurse +time="$DIG_TIME" +tries=1 "$@" 2>&1)
		QRC=$?
		dig_reflected "$OUT" || break
	done
}

# dig_reflected OUTPUT: true when dig read back its own query. dig sets
# SO_REUSEPORT on its UDP socket, so when both it and the server run as the
# same user the kernel may give dig the server's port as its source port;
# the connected socket then wins the delivery of its own datagram and dig
# prints the query as the "response" (QR clear). Not the server's doing:
# callers ask again.
dig_reflected() {
	case $1 in
	*"Warning: query response not set"*) return 0 ;;
	esac
	return 1
}

show_query() {
	echo "query: $QCMD"
	echo "---- response"
	echo "$OUT"
	echo "----"
}

# Fail showing the query and its full response.
qfail() {
	show_query
	fail "$*"
}

got_rcode() {
	echo "$OUT" | sed -n 's/.*->>HEADER<<- .*status: \([A-Z0-9]*\),.*/\1/p' | head -n 1
}

got_flags() {
	echo "$OUT" | sed -n 's/^;; flags: \([^;]*\);.*/\1/p' | head -n 1
}

# section NAME: the RRs of question|answer|authority|additional, one per
# line with whitespace squeezed to single spaces (OPT is not included).
section() {
	local name
	name=$(echo "$1" | tr '[:lower:]' '[:upper:]')
	echo "$OUT" | awk -v s=";; $name SECTION:" '
		$0 == s { on = 1; next }
		on && /^$/ { exit }
		on { $1 = $1; print }'
}

# opt_lines: the OPT pseudo-section as dig prints it (EDNS version, flags,
# size, options).
opt_lines() {
	echo "$OUT" | awk '
		/^;; OPT PSEUDOSECTION:/ { on = 1; next }
		on && (/^;; / || /^$/) { exit }
		on { print }'
}

# assert_opt_contains TEXT / assert_opt_lacks TEXT: in the OPT pseudo-section.
assert_opt_contains() {
	opt_lines | grep -qF -- "$1" || qfail "expected '$1' in the OPT pseudo-section"
}

assert_opt_lacks() {
	if opt_lines | grep -qF -- "$1"; then
		qfail "did not expect '$1' in the OPT pseudo-section"
	fi
}

assert_answered() {
	[ "$QRC" -eq 0 ] && echo "$OUT" | grep -q -- '->>HEADER<<-' ||
		qfail "no response (dig exit $QRC)"
}

assert_rcode() {
	assert_answered
	local got
	got=$(got_rcode)
	[ "$got" = "$1" ] || qfail "rcode: expected $1, got $got"
}

assert_flag() {
	assert_answered
	case " $(got_flags) " in
	*" $1 "*) ;;
	*) qfail "flag $1 expected, flags are: $(got_flags)" ;;
	esac
}

assert_noflag() {
	assert_answered
	case " $(got_flags) " in
	*" $1 "*) qfail "flag $1 not expected, flags are: $(got_flags)" ;;
	esac
}

# assert_section_contains SECTION "owner ttl class type rdata" (exact line,
# single spaces).
assert_section_contains() {
	assert_answered
	section "$1" | grep -qxF -- "$2" ||
		qfail "$1 section: expected the record '$2'"
}

assert_section_lacks() {
	assert_answered
	if section "$1" | grep -qxF -- "$2"; then
		qfail "$1 section: the record '$2' is not expected"
	fi
}

# assert_section_match SECTION ERE: some line matches the extended regex.
assert_section_match() {
	assert_answered
	section "$1" | grep -qE -- "$2" ||
		qfail "$1 section: expected a record matching /$2/"
}

assert_answer_contains() {
	assert_section_contains answer "$1"
}

# assert_section_count SECTION N
assert_section_count() {
	assert_answered
	local n
	n=$(section "$1" | grep -c .)
	[ "$n" -eq "$2" ] || qfail "$1 section: expected $2 records, got $n"
}

# assert_out_contains TEXT: the dig output has TEXT (fixed string).
assert_out_contains() {
	echo "$OUT" | grep -qF -- "$1" || qfail "expected '$1' in the output"
}

assert_out_lacks() {
	if echo "$OUT" | grep -qF -- "$1"; then
		qfail "did not expect '$1' in the output"
	fi
}

# assert_www_ok: the server still answers a normal query (after abuse).
assert_www_ok() {
	q www.example.com A
	assert_rcode NOERROR
	assert_answer_contains "www.example.com. 600 IN A 192.0.2.80"
}

# ---- raw messages ----------------------------------------------------------

# raw_udp HEX [WAIT_MS]: send HEX to gslbd over UDP; the dnstest line in $RAW.
raw_udp() {
	RAW=$("$DNSTEST" udp 127.0.0.1 "$G_UDP" "$1" "${2:-$((1000 * TF))}") ||
		fail "dnstest udp failed: $RAW"
}

# raw_field NAME: a field (rcode, qr, tc, an...) of the response in $RAW.
raw_field() {
	echo "$RAW" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

assert_raw_noresponse() {
	[ "$RAW" = noresponse ] || fail "expected no response, got: $RAW"
}

assert_raw_rcode() {
	case $RAW in
	resp*) ;;
	*) fail "expected a response with rcode $1, got: $RAW" ;;
	esac
	[ "$(raw_field rcode)" = "$1" ] ||
		fail "expected rcode $1, got $(raw_field rcode): $RAW"
}

# rcode numbers for raw_field comparisons.
RC_NOERROR=0
RC_FORMERR=1
RC_NXDOMAIN=3
RC_NOTIMP=4
RC_REFUSED=5

# ---- load-balanced names and the HTTP API ----------------------------------

GEO_DATA=$DATA/geo
GEO_DB_DIR=$top_srcdir/tests/data/geo

# The answers of the datacenters of geo/gslbd-geo.conf.in: us-east's and
# eu-west's IPv4 and IPv6 addresses and ap-southeast's IPv4 address (it has
# no IPv6). Scripts with configs of their own set these to theirs.
US4='192.0.2.10 192.0.2.11'
EU4='198.51.100.10'
AP4='203.0.113.10'
US6='2001:db8:10::1'
EU6='2001:db8:20::1'

# render_geo_config OUT [MMDB]: render geo/gslbd-geo.conf.in (see
# render_config) with the zones of tests/data/integ/geo beside it in the work
# dir and geo.mmdb a copy of MMDB (default tests/data/geo/test-city.mmdb; a
# symbolic link when MMDB is not under the source tree, e.g. a large GeoLite2
# file).
render_geo_config() {
	local out=$1 db=${2:-$GEO_DB_DIR/test-city.mmdb} z

	for z in "$GEO_DATA"/*.zone; do
		[ -f "$WORK/${z##*/}" ] || cp "$z" "$WORK/${z##*/}"
		chmod u+w "$WORK/${z##*/}"
	done
	rm -f "$WORK/geo.mmdb"
	case $db in
	"$top_srcdir"/*) cp "$db" "$WORK/geo.mmdb" && chmod u+w "$WORK/geo.mmdb" ;;
	*) ln -s "$db" "$WORK/geo.mmdb" ;;
	esac || fail "cannot put $db in the work dir"
	render_config "$out" TEMPLATE=geo/gslbd-geo.conf.in
}

# geo_maps: "compiling" or "ready" - /v1/status's geo.maps of the running
# gslbd (api_port first); empty without an answer.
geo_maps() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/v1/status" |
		jq -r '.geo.maps // empty' 2>/dev/null
}

# wait_maps_ready [SECONDS]: the compiled geo maps answer (default 20s).
wait_maps_ready() {
	wait_until '[ "$(geo_maps)" = ready ]' "${1:-20}" ||
		fail "the geo maps are not ready: geo.maps is '$(geo_maps)'"
}

# need_api_tools: skip (77) without curl and jq.
need_api_tools() {
	command -v curl >/dev/null 2>&1 || skip "curl not found (Debian package curl)"
	command -v jq >/dev/null 2>&1 || skip "jq not found (Debian package jq)"
}

# api_port: set G_HTTP to the API's 127.0.0.1 port from the port file of the
# running gslbd (fails when it has none).
api_port() {
	G_HTTP=$(awk '$1 == "http" && $2 == "tcp" && $3 == "127.0.0.1" { print $4; exit }' "$G_PORTFILE")
	[ -n "$G_HTTP" ] || fail "no 'http tcp 127.0.0.1' line in the port file: $(cat "$G_PORTFILE")"
	grep -q "ready:.* http=127\.0\.0\.1:$G_HTTP" "$G_LOG" ||
		fail "the ready line does not list http=127.0.0.1:$G_HTTP"
}

# api_get PATH / api_post PATH [TOKEN]: one request to the API (api_port
# first). Sets API_CODE (HTTP status, 000 without a response) and API_BODY;
# the command is in API_CMD. TOKEN, when given, goes in Authorization: Bearer.
api_get() {
	API_CMD="curl GET http://127.0.0.1:$G_HTTP$1"
	api_request "$1" -X GET
}

api_post() {
	API_CMD="curl POST http://127.0.0.1:$G_HTTP$1${2:+ (token $2)}"
	if [ -n "${2:-}" ]; then
		api_request "$1" -X POST -H "Authorization: Bearer $2"
	else
		api_request "$1" -X POST
	fi
}

api_request() {
	local path=$1 body=$WORK/api-body.$$
	shift
	API_CODE=$(curl -s -o "$body" -w '%{http_code}' --max-time $((5 * TF)) "$@" \
		"http://127.0.0.1:$G_HTTP$path")
	API_BODY=$(cat "$body" 2>/dev/null)
	rm -f "$body"
}

# Fail showing the API request and its response.
api_fail() {
	echo "request: $API_CMD"
	echo "---- response $API_CODE"
	echo "$API_BODY"
	echo "----"
	fail "$*"
}

assert_api_code() {
	[ "$API_CODE" = "$1" ] || api_fail "HTTP status: expected $1, got $API_CODE"
}

# api_jq FILTER: jq -r FILTER on API_BODY.
api_jq() {
	echo "$API_BODY" | jq -r "$1"
}

# assert_api_jq FILTER VALUE: jq -r FILTER on API_BODY prints exactly VALUE.
assert_api_jq() {
	local got
	got=$(api_jq "$1" 2>&1)
	[ "$got" = "$2" ] || api_fail "$1: expected '$2', got '$got'"
}

# answer_addrs: the A/AAAA rdata of the answer section, one per line, in
# order.
answer_addrs() {
	section answer | awk '$4 == "A" || $4 == "AAAA" { print $5 }'
}

# assert_addrs "ADDR ADDR...": the answer's A/AAAA records are exactly these,
# in this order.
assert_addrs() {
	local got
	got=$(answer_addrs | tr '\n' ' ')
	[ "${got% }" = "$1" ] || qfail "answer addresses: expected '$1', got '${got% }'"
}

# ecs_scope: "ADDR/SOURCE/SCOPE" of the CLIENT-SUBNET option dig printed, or
# empty when the response has none.
ecs_scope() {
	opt_lines | sed -n 's/^; CLIENT-SUBNET: \([^ ]*\).*/\1/p' | head -n 1
}

assert_ecs() {
	local got
	got=$(ecs_scope)
	[ "$got" = "$1" ] || qfail "CLIENT-SUBNET: expected '$1', got '$got'"
}

# ---- probes, backends and signed requests ----------------------------------
# For the tests with real probe agents (failover.sh, security.sh, twin.sh):
# tests/tools/httpd backends stand in for datacenters, gslb-probe processes
# (under TEST_WRAPPER, like the daemon) for probe regions, and requests are
# signed here with openssl as common/sign.h describes.

PROBE_BIN=$top_builddir/probes/gslb-probe
HTTPD_BIN=$top_builddir/tests/tools/httpd
PROBE_IDS="probe-us probe-eu probe-ap"
PROBE_TOKEN=failover-t0ken-0123456789
declare -A BACKEND_PID BACKEND_PORT PROBE_PID

# need_probe_tools: skip (77) without curl, jq or openssl; fail when
# gslb-probe or httpd is not built.
need_probe_tools() {
	need_api_tools
	command -v openssl >/dev/null 2>&1 || skip "openssl not found (Debian package openssl)"
	[ -x "$PROBE_BIN" ] || fail "$PROBE_BIN not built"
	[ -x "$HTTPD_BIN" ] || fail "$HTTPD_BIN not built"
}

# probe_secret ID: the secret of a probe (also written to $WORK/ID.key).
probe_secret() {
	echo "secret-of-$1-0123456789"
}

bg_forget() {
	local p out=
	for p in $BG_PIDS; do
		[ "$p" = "$1" ] || out="$out $p"
	done
	BG_PIDS=$out
}

# backend_start NAME [PORT]: a tests/tools/httpd on 127.0.0.1 (any free
# port, or PORT) standing in for datacenter NAME; BACKEND_PORT[NAME] is set.
backend_start() {
	local name=$1 port=${2:-} pf=$WORK/backend-$1.port
	rm -f "$pf"
	mkdir -p "$WORK/backend-$name"
	if [ -n "$port" ]; then
		"$HTTPD_BIN" -l "$port" -p "$pf" -d "$WORK/backend-$name" 2>>"$WORK/backend-$name.err" &
	else
		"$HTTPD_BIN" -p "$pf" -d "$WORK/backend-$name" 2>>"$WORK/backend-$name.err" &
	fi
	BACKEND_PID[$name]=$!
	BG_PIDS="$BG_PIDS $!"
	wait_until "[ -s '$pf' ]" 5 || fail "backend $name did not start: $(cat "$WORK/backend-$name.err")"
	BACKEND_PORT[$name]=$(cat "$pf")
	[ -z "$port" ] || [ "${BACKEND_PORT[$name]}" = "$port" ] ||
		fail "backend $name listens on ${BACKEND_PORT[$name]}, not $port"
}

# backend_stop NAME: SIGTERM and wait for it.
backend_stop() {
	local pid=${BACKEND_PID[$1]}
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 5 || fail "backend $1 still running after SIGTERM"
	bg_forget "$pid"
	BACKEND_PID[$1]=
}

# render_probe_config OUT [VAR=VALUE...]: render failover/gslbd.conf.in with
# the backends' ports (backend_start us-east, eu-west and ap-southeast
# first), the probe secrets in $WORK/ID.key, the zone and geo.mmdb beside
# it. Variables: API_PORT (default 0), STATE_FILE (state.json), FRESHNESS
# (3s), MAX_BYTES (1048576).
render_probe_config() {
	local out=$1 api=0 state=state.json fresh=3s maxb=1048576 kv id
	shift
	for kv in "$@"; do
		case $kv in
		API_PORT=*) api=${kv#*=} ;;
		STATE_FILE=*) state=${kv#*=} ;;
		FRESHNESS=*) fresh=${kv#*=} ;;
		MAX_BYTES=*) maxb=${kv#*=} ;;
		*) fail "render_probe_config: unknown setting $kv" ;;
		esac
	done
	for id in $PROBE_IDS; do
		probe_secret "$id" >"$WORK/$id.key"
	done
	cp "$DATA/failover/gslb.example.net.zone" "$WORK/" &&
		cp "$GEO_DB_DIR/test-city.mmdb" "$WORK/geo.mmdb" &&
		chmod u+w "$WORK/gslb.example.net.zone" "$WORK/geo.mmdb" ||
		fail "cannot copy the zone and GeoIP database to $WORK"
	render_config "$out.tmp" TEMPLATE=failover/gslbd.conf.in
	sed -e "s|@API_PORT@|$api|" -e "s|@STATE_FILE@|$state|" -e "s|@FRESHNESS@|$fresh|" \
		-e "s|@MAX_BYTES@|$maxb|" -e "s|@TOKEN@|$PROBE_TOKEN|" \
		-e "s|@US_PORT@|${BACKEND_PORT[us-east]:-1}|" \
		-e "s|@EU_PORT@|${BACKEND_PORT[eu-west]:-1}|" \
		-e "s|@AP_PORT@|${BACKEND_PORT[ap-southeast]:-1}|" "$out.tmp" >"$out" &&
		rm -f "$out.tmp" || fail "cannot render $out"
}

# probe_start ID URL...: run gslb-probe ID (under TEST_WRAPPER) reporting to
# the gslbd API URLs; its log is $WORK/ID.log. Waits for its ready line.
# PROBE_REFRESH sets its config_refresh (default 30s).
probe_start() {
	local id=$1 conf=$WORK/$1.yaml u
	shift
	{
		echo "probe:"
		echo "  id: $id"
		echo "  secret_file: $id.key"
		echo "servers:"
		for u in "$@"; do
			echo "  - $u"
		done
		echo "report:"
		echo "  timeout: $((2 * TF))s"
		echo "  retries: 1"
		echo "config_refresh: ${PROBE_REFRESH:-30s}"
		echo "log:"
		echo "  level: info"
	} >"$conf"
	probe_run "$id" "$conf"
}

# probe_run ID CONF: run gslb-probe ID (under TEST_WRAPPER) with the config
# CONF; its log is $WORK/ID.log, its pid PROBE_PID[ID]. Waits for its ready
# line.
probe_run() {
	local id=$1 conf=$2 log=$WORK/$1.log
	: >"$log"
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line on purpose
	$TEST_WRAPPER "$PROBE_BIN" -c "$conf" >>"$log" 2>&1 &
	PROBE_PID[$id]=$!
	BG_PIDS="$BG_PIDS $!"
	wait_until "grep -q 'ready: probe=$id' '$log'" 10 ||
		fail "probe $id not ready: $(tail -n 5 "$log")"
}

# probe_stop ID: SIGTERM, assert a clean exit (and no valgrind errors).
probe_stop() {
	local id=$1 pid=${PROBE_PID[$1]}
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 10 || fail "probe $id still running after SIGTERM"
	bg_forget "$pid"
	PROBE_PID[$id]=
	[ "$WAIT_RC" -eq 0 ] || fail "probe $id exited with $WAIT_RC: $(tail -n 20 "$WORK/$id.log")"
	case $TEST_WRAPPER in
	*valgrind*)
		if grep -q 'definitely lost: [1-9]' "$WORK/$id.log"; then
			fail "valgrind reports definite leaks in probe $id"
		fi
		;;
	esac
}

# The boot id requests signed here carry (probe protocol 2, common/sign.h):
# one per test run, as if from one probe process. Their seq is their
# timestamp unless given, so that later requests have greater ones.
SIGN_BOOT=$(printf '%08x%08x' $((RANDOM << 16 | RANDOM)) $((RANDOM << 16 | RANDOM | 1)))

# sign SECRET METHOD PATH TS FILE [SEQ] [BOOT]: hex HMAC-SHA256 of the
# request (FILE holds the body; /dev/null for none) as BOOT (default
# SIGN_BOOT) with SEQ (default TS).
sign() {
	{
		printf 'gslb-probe-2 request\n%s\n%s\n%s\n%s\n%s\n' "$2" "$3" "${7:-$SIGN_BOOT}" \
			"${6:-$4}" "$4"
		cat "$5"
	} | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1
}

# sign_headers SECRET METHOD PATH TS FILE [SEQ] [BOOT]: the boot, seq,
# timestamp and signature headers of that request, as curl arguments in
# the array SIGN_HDRS (add -H "X-GSLB-Key: ..." yourself).
sign_headers() {
	SIGN_HDRS=(-H "X-GSLB-Boot: ${7:-$SIGN_BOOT}" -H "X-GSLB-Seq: ${6:-$4}"
		-H "X-GSLB-Timestamp: $4" -H "X-GSLB-Signature: $(sign "$@")")
}

# signed_post KEY SECRET FILE [TS] [PORT] [SEQ] [BOOT]: POST FILE to
# /v1/reports (of the API on PORT, default G_HTTP) signed as KEY with
# SECRET at TS (default now), as BOOT (default SIGN_BOOT) with SEQ (default
# TS). Sets API_CODE, API_BODY, API_CMD and SIGNED_TS. Safe in a subshell.
signed_post() {
	local key=$1 secret=$2 file=$3 port=${5:-$G_HTTP} out
	SIGNED_TS=${4:-$(now_ms)}
	sign_headers "$secret" POST /v1/reports "$SIGNED_TS" "$file" "${6:-$SIGNED_TS}" \
		"${7:-$SIGN_BOOT}"
	API_CMD="curl POST http://127.0.0.1:$port/v1/reports (key $key, ts $SIGNED_TS, seq ${6:-$SIGNED_TS}, body $file)"
	out=$(mktemp "$WORK/signed.XXXXXX")
	API_CODE=$(curl -s -o "$out" -w '%{http_code}' --max-time $((5 * TF)) -X POST \
		-H "Content-Type: application/json" -H "X-GSLB-Key: $key" "${SIGN_HDRS[@]}" \
		--data-binary "@$file" "http://127.0.0.1:$port/v1/reports")
	API_BODY=$(cat "$out")
	rm -f "$out"
}

# metric NAME{LABELS}: its value in /metrics (empty when absent).
metric() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:$G_HTTP/metrics" |
		awk -v m="$1" '$1 == m { print $2; exit }'
}

# dc_field DC FILTER: jq FILTER on datacenter DC of the /v1/status answer
# in API_BODY (api_get /v1/status first).
dc_field() {
	api_jq ".datacenters[] | select(.name == \"$1\") | $2"
}

# all_dcs_up [PORT]: every datacenter's health is up and every probe's
# verdict on it is a fresh up (in /v1/status of the API on PORT).
all_dcs_up() {
	curl -s --max-time $((5 * TF)) "http://127.0.0.1:${1:-$G_HTTP}/v1/status" |
		jq -e --argjson n "$(echo $PROBE_IDS | wc -w)" '.datacenters | length > 0 and
			all(.health == "up" and (.probes | length == $n and
				all(.fresh and .verdict == "up")))' >/dev/null 2>&1
}

# Helpers for the integration tests, sourced by every tests/integration/*.sh
# (bash). A test starts its own gslbd from tests/data/integ/gslbd.conf.in on
# loopback with port 0, reads the bound ports from --port-file, queries it
# with dig or tests/tools/dnstest and asserts on the answers.
#
# Environment (set by make check): top_srcdir, top_builddir, TEST_WRAPPER
# (e.g. valgrind; the daemon runs under it). INTEG_TIME_FACTOR multiplies
# every deadline (default 1, or 10 when TEST_WRAPPER is set).
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
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
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
# exits or logs an error line before it is ready.
gslbd_start() {
	local conf=$1

	G_LOG=$WORK/${2:-gslbd}.log
	G_PORTFILE=$WORK/${2:-gslbd}.ports
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
		if grep -q '\[error\]' "$G_LOG"; then
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
	OUT=$(dig "@$addr" -p "$port" +norecurse +time="$DIG_TIME" +tries=1 "$@" 2>&1)
	QRC=$?
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

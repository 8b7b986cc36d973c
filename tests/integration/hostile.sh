#!/bin/sh
# Hostile and broken clients: malformed UDP messages (no answer or FORMERR,
# and the server keeps answering), random packets, and TCP clients that stall
# (half a frame, nothing at all, never reading) while others are served; the
# stalled ones are closed after tcp_idle_timeout; tcp_max_connections holds,
# and a full pool admits a newcomer in place of the least recently active.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

IDLE_MS=$((1000 * TF))
render_config "$WORK/gslbd.conf" TCP_IDLE_TIMEOUT="${IDLE_MS}ms"
gslbd_start "$WORK/gslbd.conf"

QWWW=$("$DNSTEST" build www.example.com A 4660)    # ID 0x1234
QBIG=$("$DNSTEST" build big.example.com TXT 4661)
HDR_QD1=123400000001000000000000
HDR_QD0=123400000000000000000000
HDR_QD2=123400000002000000000000
QTAIL=00010001 # type A, class IN

# bad_udp NAME HEX EXPECT: send HEX, expect "noresponse" or an rcode number,
# then check that a normal query is still answered.
bad_udp() {
	step "$1"
	raw_udp "$2"
	if [ "$3" = noresponse ]; then
		assert_raw_noresponse
	else
		assert_raw_rcode "$3"
		[ "$(raw_field qr)" = 1 ] || fail "QR not set: $RAW"
		[ "$(raw_field an)" = 0 ] || fail "records in a FORMERR answer: $RAW"
	fi
	assert_www_ok
}

label63=3f$(printf '61%.0s' $(seq 63))
label64=40$(printf '61%.0s' $(seq 64))

bad_udp "empty datagram" - noresponse
bad_udp "header shorter than 12 bytes" 1234000000010000 noresponse
bad_udp "QR=1 (a response)" "${QWWW:0:4}80${QWWW:6}" noresponse
bad_udp "QDCOUNT=0" "$HDR_QD0" $RC_FORMERR
bad_udp "QDCOUNT=2" "${HDR_QD2}${QWWW:24}${QWWW:24}" $RC_FORMERR
bad_udp "QDCOUNT=1 without a question" "$HDR_QD1" $RC_FORMERR
bad_udp "compression loop in the qname" "${HDR_QD1}c00c${QTAIL}" $RC_FORMERR
bad_udp "two pointers pointing at each other" "${HDR_QD1}c00ec00c0001" $RC_FORMERR
bad_udp "compression pointer forward" "${HDR_QD1}c012${QTAIL}03777777076578616d706c6503636f6d00" $RC_FORMERR
bad_udp "label length 64" "${HDR_QD1}${label64}076578616d706c6503636f6d00${QTAIL}" $RC_FORMERR
bad_udp "name longer than 255 bytes" "${HDR_QD1}${label63}${label63}${label63}${label63}00${QTAIL}" $RC_FORMERR
bad_udp "question cut in the type" "${QWWW:0:$((${#QWWW} - 6))}" $RC_FORMERR
bad_udp "question cut in the name" "${HDR_QD1}037777770765786d" $RC_FORMERR

step "a name of exactly 255 bytes is valid (NXDOMAIN or REFUSED, not FORMERR)"
# 3 x (1+63) + (1+61) + root = 255
raw_udp "${HDR_QD1}${label63}${label63}${label63}3d$(printf '61%.0s' $(seq 61))00${QTAIL}"
case $(raw_field rcode) in
$RC_REFUSED | $RC_NXDOMAIN) ;;
*) fail "255-byte name: expected REFUSED or NXDOMAIN, got: $RAW" ;;
esac

step "1000 random and mutated packets"
out=$("$DNSTEST" random-udp 127.0.0.1 "$G_UDP" 1000 12345) || fail "dnstest random-udp: $out"
gslbd_alive || fail "gslbd died on random packets"
assert_www_ok
q +tcp www.example.com A
assert_rcode NOERROR

step "pipelined TCP queries are all answered"
RAW=$(DNSTEST_TIMEOUT_MS=$((3000 * TF)) "$DNSTEST" tcp 127.0.0.1 "$G_TCP" "$QWWW" "$QBIG" \
	"$("$DNSTEST" build nothere.example.com A 4662)")
ids=$(echo "$RAW" | tr ' ' '\n' | sed -n 's/^id=//p' | sort | tr '\n' ' ')
[ "$ids" = "4660 4661 4662 " ] || fail "pipelined responses: expected IDs 4660 4661 4662, got: $RAW"

step "a malformed message over TCP gets FORMERR"
RAW=$("$DNSTEST" tcp 127.0.0.1 "$G_TCP" "$HDR_QD0")
assert_raw_rcode $RC_FORMERR

# bg NAME CMD...: run a dnstest client in the background, output in
# $WORK/NAME.out; its PID in $BG_LAST.
bg() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>&1 &
	BG_LAST=$!
	BG_PIDS="$BG_PIDS $BG_LAST"
}

# time_query DIG-ARGS: q, and fail if the answer took longer than 500ms (x TF).
time_query() {
	local t0 t1
	t0=$(now_ms)
	q "$@"
	t1=$(now_ms)
	assert_rcode NOERROR
	[ $((t1 - t0)) -lt $((500 * TF)) ] || qfail "answer took $((t1 - t0))ms while clients stall"
}

HOLD_MAX=$((IDLE_MS * 5))
step "stalled TCP clients"
bg half "$DNSTEST" tcp-raw 127.0.0.1 "$G_TCP" "0021${QWWW:0:20}" "$HOLD_MAX"
PID_HALF=$BG_LAST
bg silent "$DNSTEST" tcp-raw 127.0.0.1 "$G_TCP" - "$HOLD_MAX"
PID_SILENT=$BG_LAST
# 40000 answers of 800 bytes: far more than the socket buffers on both sides
# hold, so the server is left with answers it cannot write.
bg noread "$DNSTEST" tcp-noread 127.0.0.1 "$G_TCP" 40000 "$QBIG" $((IDLE_MS * 3)) "$HOLD_MAX"
PID_NOREAD=$BG_LAST
wait_until 'grep -q "^sent" "$WORK/half.out" && grep -q "^sent" "$WORK/silent.out" && grep -q "^sent" "$WORK/noread.out"' 5 ||
	fail "stalling clients did not start: $(cat "$WORK"/*.out)"
echo "noread client: $(head -n 1 "$WORK/noread.out")"

step "others are answered while clients stall"
for i in 1 2 3; do
	time_query +notcp www.example.com A
	time_query +tcp www.example.com A
done
if [ -n "$G_TCP6" ]; then
	Q_ADDR=::1 Q_TCP=$G_TCP6 time_query +tcp www.example.com AAAA
fi

step "stalled clients closed after tcp_idle_timeout (${IDLE_MS}ms)"
for c in half silent; do
	eval "pid=\$PID_$(echo $c | tr '[:lower:]' '[:upper:]')"
	wait_exit "$pid" $((HOLD_MAX / 1000 + 5)) || fail "$c client still running"
	res=$(tail -n 1 "$WORK/$c.out")
	case $res in
	closed*) ;;
	*) fail "$c client: the server did not close it within ${HOLD_MAX}ms: $res" ;;
	esac
	ms=${res#closed }
	[ "$ms" -ge $((IDLE_MS / 2)) ] || fail "$c client closed after ${ms}ms, before the idle timeout"
	echo "$c client: $res"
done
# The client that never reads cannot see a FIN queued behind the answers it
# does not read; it holds for three idle timeouts, then drains: the stream
# must end at once (the server closed it while it stalled), not an idle
# timeout after the drain.
wait_exit "$PID_NOREAD" $((HOLD_MAX * 2 / 1000 + 5)) || fail "noread client still running"
res=$(tail -n 1 "$WORK/noread.out")
echo "noread client: $res"
set -- $res
case $1 in
closed) [ "$2" -ge $((IDLE_MS / 2)) ] || fail "noread client reset after $2ms, before the idle timeout" ;;
closed-on-drain)
	[ "$3" -lt $((IDLE_MS / 2)) ] ||
		fail "noread client: the stream ended $3ms after it started reading; the server did not close the stalled connection (tcp_idle_timeout ${IDLE_MS}ms) while it held"
	;;
*) fail "noread client: the server never closed the stalled connection: $res" ;;
esac
gslbd_alive || fail "gslbd died"
assert_www_ok
gslbd_stop

step "tcp_max_connections: 4"
render_config "$WORK/gslbd-limit.conf" TCP_MAX_CONNECTIONS=4 TCP_IDLE_TIMEOUT="$((5 * TF))s"
# Only the full pool's eviction here, not the busy pool's shorter timeout.
sed -i 's/^  tcp_max_connections: .*/&\n  tcp_busy_timeout: 1h/' "$WORK/gslbd-limit.conf"
gslbd_start "$WORK/gslbd-limit.conf" gslbd-limit
api_port
HOLD_MAX=$((20000 * TF))
HOLDS=
for i in 1 2 3 4; do
	bg "hold$i" "$DNSTEST" tcp-raw 127.0.0.1 "$G_TCP" - "$HOLD_MAX"
	HOLDS="$HOLDS $BG_LAST"
done
holds_connected() {
	local i
	for i in 1 2 3 4; do
		grep -q "^sent" "$WORK/hold$i.out" || return 1
	done
}
wait_until holds_connected 5 ||
	fail "holding clients did not connect: $(cat "$WORK"/hold*.out)"
wait_until '[ "$(metric gslbd_tcp_connections_accepted_total)" -ge 4 ]' 5 ||
	fail "the server did not accept the four holding connections"
# A fifth client is served in place of the least recently active holder:
# one holder is closed, the other three stay.
RAW=$(DNSTEST_TIMEOUT_MS=$((3000 * TF)) "$DNSTEST" tcp 127.0.0.1 "$G_TCP" "$QWWW")
case $RAW in
resp*rcode=0*) ;;
*) fail "a fifth TCP connection was not served in place of an idle one: $RAW" ;;
esac
echo "fifth connection: $RAW"
closed_holds() {
	cat "$WORK"/hold[1-4].out | grep -c "^closed"
}
wait_until '[ "$(closed_holds)" -ge 1 ]' 5 || fail "no holder was closed for the fifth connection"
[ "$(closed_holds)" -eq 1 ] || fail "$(closed_holds) holders were closed for one newcomer"
[ "$(metric gslbd_tcp_connections_closed_busy_total)" -eq 1 ] ||
	fail "gslbd_tcp_connections_closed_busy_total is not 1"
step "UDP unaffected by the TCP limit"
q +notcp www.example.com A
assert_rcode NOERROR
step "a new connection works once others close"
set -- $HOLDS
for p in "$@"; do
	kill "$p" 2>/dev/null
	wait_exit "$p" 5
done
q +tcp www.example.com A
assert_rcode NOERROR

step "stop"
gslbd_stop
echo "PASS"

#!/bin/sh
# Facing the internet: a spoofed-source flood (thousands of 127.0.0.0/8
# source addresses, each far above the rate limit, some of them forging the
# addresses of a real resolver's network) against the load-balanced name,
# while two real resolvers in that network keep asking: the one with DNS
# cookies is answered over UDP (>= 99 %), the one without gets every answer,
# over TCP when limited, the forged network is slipped TC=1 answers, every
# flooding network gets no more than its rate, the bytes sent to sources
# over their limit stay below the bytes they sent, and the daemon's memory stays put. Then the log-only mode, the
# access lists of listeners, zones and the API, and BADCOOKIE; random labels
# under a wildcard from one network are limited as one fixed name is.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
need_api_tools

FLOOD=$top_builddir/tests/tools/dnsflood
[ -x "$FLOOD" ] || fail "$FLOOD not built"
NAME=www.gslb.example.com
RATE=10
SECS=4
# Sources and packets scale down with the time factor (valgrind), so each
# source still sends about 3x its rate, in bursts of BURST packets back to
# back: more than the bucket (RATE x 1s window) holds, so that each burst is
# over the limit when it reaches the server, however fast or slow the
# server reads (with one packet per source in turn, a server that reads
# fewer than SOURCES x RATE packets a second would see no source over its
# limit at all).
SOURCES=$((1000 / TF))
PPS=$((30000 / TF))
BURST=16
VICTIMS="127.0.0.101 127.0.0.102 127.0.0.103 127.0.0.104 127.0.0.105 127.0.0.106 127.0.0.107 127.0.0.108 127.0.0.109 127.0.0.110"

CONF=$WORK/gslbd.conf
render_geo_config "$CONF"
printf '*.wild\tA\t192.0.2.99\n' >>"$WORK/gslb.example.com.zone"
write_defences() {
	cat >"$WORK/defences.conf" <<EOF
rrl:
  rate: $RATE
  window: 1s
  slip: 2
  log_only: ${1:-false}
  exempt: [127.0.9.0/24]
cookies:
  secret: 000102030405060708090a0b0c0d0e0f
EOF
}
write_defences
cp "$CONF" "$WORK/base.conf"
cat "$WORK/base.conf" "$WORK/defences.conf" >"$CONF"
gslbd_start "$CONF"
api_port

# kv FILE KEY: the value of KEY=VALUE in the last line of FILE.
kv() {
	tail -n 1 "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# assert_has_a: the last answer holds A records.
assert_has_a() {
	section answer | grep -q "IN[[:space:]]A[[:space:]]" || qfail "expected A records"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$G_PID/status"
}

step "resolvers under their limit are answered"
q -b 127.0.0.53 "$NAME" A
assert_rcode NOERROR
assert_has_a

step "flood: $SOURCES sources + the resolvers' network, $PPS packets/s for ${SECS}s"
RSS0=$(rss_kb)
"$FLOOD" resolver 127.0.0.1 "$G_UDP" "$NAME" 127.0.0.53 $((SECS * 1000 / 40)) 40 cookie \
	>"$WORK/cookie.out" 2>&1 &
COOKIE_PID=$!
"$FLOOD" resolver 127.0.0.1 "$G_UDP" "$NAME" 127.0.0.54 $((SECS * 1000 / 100)) 100 nocookie \
	>"$WORK/nocookie.out" 2>&1 &
NOCOOKIE_PID=$!
BG_PIDS="$COOKIE_PID $NOCOOKIE_PID"
wait_until 'grep -q "^ready cookie_learned=1" "$WORK/cookie.out" && grep -q "^ready" "$WORK/nocookie.out"' 5 ||
	fail "the resolvers did not start: $(cat "$WORK/cookie.out" "$WORK/nocookie.out")"
# shellcheck disable=SC2086 # the victims are separate arguments
"$FLOOD" flood -b $BURST 127.0.0.1 "$G_UDP" "$NAME" "$SOURCES" "$SECS" "$PPS" $VICTIMS >"$WORK/flood.out" ||
	fail "dnsflood flood failed: $(cat "$WORK/flood.out")"
wait_exit "$COOKIE_PID" 30 || fail "the cookie resolver did not finish"
[ "$WAIT_RC" -eq 0 ] || fail "the cookie resolver failed: $(cat "$WORK/cookie.out")"
wait_exit "$NOCOOKIE_PID" 60 || fail "the resolver without cookies did not finish"
[ "$WAIT_RC" -eq 0 ] || fail "the resolver without cookies failed: $(cat "$WORK/nocookie.out")"
BG_PIDS=
RSS1=$(rss_kb)
echo "flood:     $(tail -n 1 "$WORK/flood.out")"
echo "cookie:    $(tail -n 1 "$WORK/cookie.out")"
echo "no cookie: $(tail -n 1 "$WORK/nocookie.out")"
echo "rss: ${RSS0} kB before, ${RSS1} kB after"

step "the flood was far over the limit"
sent=$(kv "$WORK/flood.out" sent)
answered=$(kv "$WORK/flood.out" answered)
slipped=$(kv "$WORK/flood.out" slipped)
# The most a network may get: a full bucket (rate x window) and the rate
# for every second of the flood, one second more for the timing of the
# start and the end. The flood keeps its pace rather than catching up after
# the flooder was descheduled, so it may last longer than SECS: its
# duration is measured.
# flood_secs FILE: the flood's duration in whole seconds, rounded up.
flood_secs() {
	echo $((($(kv "$1" elapsed_ms) + 999) / 1000))
}
LIMIT=$((RATE * ($(flood_secs "$WORK/flood.out") + 2)))
[ "$sent" -ge $((SOURCES * SECS * RATE * 2)) ] ||
	fail "the flood sent $sent packets, fewer than twice the limit of every source"
[ "$answered" -lt $((sent / 2)) ] || fail "$answered of $sent flood packets were answered"
[ "$slipped" -gt 0 ] || fail "no slipped (TC=1) response to the flood"

step "every flooding network got at most its rate ($LIMIT)"
max=$(kv "$WORK/flood.out" max_answered)
[ "$max" -le "$LIMIT" ] || fail "a flooding source got $max answers, more than $LIMIT"
[ "$max" -ge "$RATE" ] || fail "a flooding source got $max answers: was the flood answered at all?"
# The resolvers' network, forged from 10 addresses (that the kernel alone
# would spread over the workers) is one bucket too.
vict=$(kv "$WORK/flood.out" victim_answered)
[ "$vict" -le "$LIMIT" ] ||
	fail "the forged resolvers' network got $vict answers, more than $LIMIT (one network, one bucket)"
[ "$(kv "$WORK/flood.out" victim_slipped)" -gt 0 ] ||
	fail "the forged resolvers' network was never slipped a TC=1 answer"

step "the bytes sent over the limit stay below the bytes received"
over_in=$(kv "$WORK/flood.out" over_limit_bytes_sent)
slip_out=$(kv "$WORK/flood.out" slipped_bytes_received)
[ "$slip_out" -lt "$over_in" ] ||
	fail "$slip_out bytes of slipped answers for $over_in bytes of queries over the limit"
echo "amplification over the limit: $slip_out / $over_in bytes;" \
	"all in all $(kv "$WORK/flood.out" bytes_received) / $(kv "$WORK/flood.out" bytes_sent)"

step "the resolver with cookies was answered over UDP (>= 99 %)"
cq=$(kv "$WORK/cookie.out" queries)
cu=$(kv "$WORK/cookie.out" udp_answered)
[ "$((cu * 100))" -ge "$((cq * 99))" ] || fail "answered $cu of $cq over UDP"
[ "$(kv "$WORK/cookie.out" failed)" -eq 0 ] || fail "the cookie resolver lost queries"

# Its network's bucket is shared with the forged resolvers, so which of its
# limited queries are slipped and which dropped (slip: 2 alternates over the
# whole bucket) depends on how their packets interleave: a dropped one is
# retried and, after its tries, asked over TCP, as a resolver does. Either
# way it must get every answer, some over TCP.
step "the resolver without cookies got every answer, over TCP when limited"
nq=$(kv "$WORK/nocookie.out" queries)
[ "$(kv "$WORK/nocookie.out" failed)" -eq 0 ] || fail "the resolver without cookies lost queries"
[ "$(kv "$WORK/nocookie.out" tcp_answered)" -gt 0 ] || fail "it never got through over TCP"
[ "$(kv "$WORK/nocookie.out" tcp_answered)" -le "$(($(kv "$WORK/nocookie.out" slipped) + $(kv "$WORK/nocookie.out" timeouts)))" ] ||
	fail "it went over TCP without being slipped or timing out"
echo "$nq queries: $(kv "$WORK/nocookie.out" udp_answered) over UDP," \
	"$(kv "$WORK/nocookie.out" tcp_answered) over TCP"

step "memory stayed bounded"
[ $((RSS1 - RSS0)) -lt 16384 ] || fail "RSS grew from $RSS0 kB to $RSS1 kB during the flood"

step "metrics count what was limited, per zone"
m_drop=$(metric 'gslbd_rrl_responses_total{zone="gslb.example.com.",action="dropped"}')
m_slip=$(metric 'gslbd_rrl_responses_total{zone="gslb.example.com.",action="slipped"}')
m_exempt=$(metric 'gslbd_rrl_responses_total{zone="gslb.example.com.",action="exempt"}')
m_valid=$(metric gslbd_cookies_valid_total)
echo "dropped=$m_drop slipped=$m_slip exempt=$m_exempt cookies_valid=$m_valid"
[ "${m_drop:-0}" -gt 0 ] && [ "${m_slip:-0}" -gt 0 ] && [ "${m_exempt:-0}" -ge "$cq" ] &&
	[ "${m_valid:-0}" -ge "$cq" ] || fail "metrics do not show the flood"

step "the server answers afterwards"
q -b 127.0.1.1 "$NAME" A
assert_rcode NOERROR
assert_has_a

step "BADCOOKIE for a server cookie that is not ours; answered over TCP"
q -b 127.0.1.2 +cookie=2464c4abcf10c957010000005cf79f111f8130c3eee29480 +nobadcookie +notcp "$NAME" A
assert_rcode BADCOOKIE
assert_opt_contains "COOKIE: 2464c4abcf10c957"
q -b 127.0.1.2 +tcp +cookie=2464c4abcf10c957010000005cf79f111f8130c3eee29480 "$NAME" A
assert_rcode NOERROR
assert_has_a

step "an exempt network is never limited"
"$FLOOD" flood 127.0.0.1 "$G_UDP" "$NAME" 0 1 200 127.0.9.1 >"$WORK/flood-exempt.out" ||
	fail "dnsflood flood failed"
echo "exempt: $(tail -n 1 "$WORK/flood-exempt.out")"
[ "$(kv "$WORK/flood-exempt.out" victim_answered)" -eq "$(kv "$WORK/flood-exempt.out" victim_sent)" ] ||
	fail "the exempt network was limited"

step "random labels under a wildcard are limited as one fixed name"
WSECS=2
WPPS=$((800 / TF))
"$FLOOD" flood 127.0.0.1 "$G_UDP" fixed.wild.gslb.example.com 0 $WSECS $WPPS 127.0.20.1 \
	>"$WORK/flood-fixed.out" || fail "dnsflood flood failed"
"$FLOOD" flood 127.0.0.1 "$G_UDP" '*.wild.gslb.example.com' 0 $WSECS $WPPS 127.0.21.1 \
	>"$WORK/flood-random.out" || fail "dnsflood flood failed"
fixed=$(kv "$WORK/flood-fixed.out" victim_answered)
random=$(kv "$WORK/flood-random.out" victim_answered)
rsent=$(kv "$WORK/flood-random.out" victim_sent)
echo "answered from one /24: fixed name $fixed of $(kv "$WORK/flood-fixed.out" victim_sent)," \
	"random labels $random of $rsent"
WLIMIT=$((RATE * ($(flood_secs "$WORK/flood-random.out") + 2)))
[ "$fixed" -ge "$RATE" ] && [ "$random" -ge "$RATE" ] || fail "the wildcard was not answered"
q -b 127.0.22.1 "random-$$.wild.gslb.example.com" A
assert_rcode NOERROR
assert_has_a
[ "$rsent" -gt "$((2 * WLIMIT))" ] || fail "only $rsent random-label queries were sent"
[ "$random" -le "$WLIMIT" ] ||
	fail "random labels under the wildcard got $random answers, more than $WLIMIT (one bucket)"

step "log-only: everything is answered, the limits are only counted"
write_defences true
cat "$WORK/base.conf" "$WORK/defences.conf" >"$CONF"
kill -HUP "$G_PID"
log_wait 'reload: ok' 10
# (a reload that reads the zones again starts the per-zone counters anew)
before=$(metric 'gslbd_rrl_responses_total{zone="gslb.example.com.",action="dropped"}')
"$FLOOD" flood 127.0.0.1 "$G_UDP" "$NAME" 5 1 250 >"$WORK/flood2.out" ||
	fail "dnsflood flood failed"
echo "log-only flood: $(tail -n 1 "$WORK/flood2.out")"
[ "$(kv "$WORK/flood2.out" answered)" -eq "$(kv "$WORK/flood2.out" sent)" ] ||
	fail "log-only mode did not answer everything"
after=$(metric 'gslbd_rrl_responses_total{zone="gslb.example.com.",action="dropped"}')
[ "$after" -gt "$before" ] || fail "log-only mode counted nothing"

step "access lists: listener refuses, zone drops, API forbids"
cat "$WORK/base.conf" "$WORK/defences.conf" >"$CONF"
sed -i 's/^server:$/server:\n  acl: {deny: [127.0.5.0\/24]}/' "$CONF"
sed -i 's/^api:$/api:\n  acl: {allow: [127.0.0.1]}/' "$CONF"
sed -i 's/^    file: gslb.example.com.zone$/&\n    acl: {deny: [127.0.6.0\/24], action: drop}/' "$CONF"
kill -HUP "$G_PID"
wait_until '[ "$(grep -c "reload: ok" "$G_LOG")" -ge 2 ]' 10 || fail "the second reload did not happen"
q -b 127.0.5.1 "$NAME" A
assert_rcode REFUSED
assert_section_count answer 0
q -b 127.0.6.1 +tries=1 +time=1 "$NAME" A
echo "$OUT" | grep -q "timed out" || qfail "the zone's access list should drop 127.0.6.1"
q -b 127.0.7.1 "$NAME" A
assert_rcode NOERROR
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.7.1 "http://127.0.0.1:$G_HTTP/v1/status")
[ "$code" = 403 ] || fail "the API answered $code to 127.0.7.1, outside api.acl"
api_get /v1/status
assert_api_code 200
[ "$(metric gslbd_acl_refused_total)" -ge 1 ] && [ "$(metric gslbd_acl_dropped_total)" -ge 1 ] ||
	fail "the access lists' counters did not move"

gslbd_stop
echo PASS

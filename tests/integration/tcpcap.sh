#!/bin/sh
# TCP slots under a hold. Idle connections from one network take no more
# than tcp_max_connections_per_client, so 560 of them from 127.0.0.1 leave
# the rest of the 512 slots to others: 20 queries over TCP from another
# network are all answered. When holders in many networks fill the pool, a
# newcomer is admitted in place of the least recently active connection and
# the busy pool closes idle ones after tcp_busy_timeout. And during such a
# hold, a spoofed UDP flood in a resolver's network, whose slipped (TC=1)
# answers send the resolver over to TCP, costs it no more than 1 % of its
# queries. (The loopback /24 is 127.0.0.0/24: the other networks are
# 127.0.1.0/24 and up.)
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"
command -v curl >/dev/null 2>&1 || skip "curl not found (Debian package curl)"
HOLD=$top_srcdir/tests/integration/tcphold.py
FLOOD=$top_builddir/tests/tools/dnsflood
[ -x "$FLOOD" ] || fail "$FLOOD not built"
NAME=www.example.com
HOLD_SECS=$((120 * TF))

# kv FILE KEY: the value of KEY=VALUE in the last line of FILE (0 if none).
kv() {
	local v
	v=$(tail -n 1 "$1" 2>/dev/null | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }')
	echo "${v:-0}"
}

# hold NAME COUNT SRC...: COUNT idle connections from each SRC, in the
# background; waits until every one has connected or failed.
hold() {
	local name=$1 count=$2
	shift 2
	python3 "$HOLD" 127.0.0.1 "$G_TCP" "$WORK/$name.status" "$HOLD_SECS" "$count" "$@" \
		2>"$WORK/$name.err" &
	BG_PIDS="$BG_PIDS $!"
	HOLD_PID=$!
	wait_until "[ \$((\$(kv '$WORK/$name.status' connected) + \$(kv '$WORK/$name.status' failed))) -ge $((count * $#)) ]" $((30 * TF)) ||
		fail "the holders of $name did not connect: $(cat "$WORK/$name.status" "$WORK/$name.err" 2>/dev/null)"
}

unhold() {
	kill "$HOLD_PID" 2>/dev/null
	wait_exit "$HOLD_PID" 10
	bg_forget "$HOLD_PID"
}

# legit SRC N: N queries over TCP from SRC, each on a connection of its
# own; sets LEGIT to the number answered with NOERROR and an A record.
legit() {
	local i
	LEGIT=0
	for i in $(seq "$2"); do
		q -b "$1" +tcp "$NAME" A
		if [ "$QRC" = 0 ] && echo "$OUT" | grep -q "status: NOERROR" &&
			echo "$OUT" | grep -q "IN[[:space:]]A[[:space:]]192.0.2.80"; then
			LEGIT=$((LEGIT + 1))
		fi
	done
}

# ---- one network holds 560 connections; the defaults: 512 slots, 64 a network
render_config "$WORK/gslbd.conf" TCP_MAX_CONNECTIONS=512 TCP_IDLE_TIMEOUT=$((HOLD_SECS))s
gslbd_start "$WORK/gslbd.conf"
api_port

step "560 idle connections from 127.0.0.1: 64 stay, the rest are closed"
hold one 560 127.0.0.1
wait_until "[ \$(kv '$WORK/one.status' open) -le 64 ]" $((10 * TF)) ||
	fail "127.0.0.1 holds more than 64 connections: $(cat "$WORK/one.status")"
echo "holder: $(cat "$WORK/one.status")"
[ "$(kv "$WORK/one.status" open)" -eq 64 ] || fail "127.0.0.1 should keep 64 connections"
refused=$(metric gslbd_tcp_connections_refused_total)
[ "${refused:-0}" -ge 496 ] || fail "gslbd_tcp_connections_refused_total is ${refused:-none}, not >= 496"

step "meanwhile another network's 20 TCP queries are all answered"
legit 127.0.1.2 20
echo "answered over TCP from 127.0.1.2: $LEGIT of 20 (holder: $(cat "$WORK/one.status"))"
[ "$LEGIT" -eq 20 ] || fail "only $LEGIT of 20 TCP queries were answered during the hold"
[ "$(kv "$WORK/one.status" open)" -eq 64 ] || fail "the holder's 64 connections did not stay"
unhold
gslbd_stop

# ---- holders in 12 networks, more than a small pool holds
step "a full pool admits newcomers in place of the least recently active"
render_config "$WORK/small.conf" TCP_MAX_CONNECTIONS=64 TCP_IDLE_TIMEOUT=$((HOLD_SECS))s
sed -i 's/^  tcp_max_connections: .*/&\n  tcp_max_connections_per_client: 8\n  tcp_busy_timeout: '$((1000 * TF))'ms/' \
	"$WORK/small.conf"
gslbd_start "$WORK/small.conf" small
api_port
SRCS=
for i in $(seq 10 21); do
	SRCS="$SRCS 127.0.$i.1"
done
# shellcheck disable=SC2086 # one argument per source
hold many 8 $SRCS
echo "holders: $(cat "$WORK/many.status")"
legit 127.0.1.2 20
echo "answered over TCP from 127.0.1.2: $LEGIT of 20 (holders: $(cat "$WORK/many.status"))"
[ "$LEGIT" -eq 20 ] || fail "only $LEGIT of 20 TCP queries were answered with the pool full"

step "the busy pool closes idle connections after tcp_busy_timeout, down to 3/4"
wait_until "[ \$(kv '$WORK/many.status' open) -le 48 ]" $((10 * TF)) ||
	fail "the idle holders were not closed down to 48: $(cat "$WORK/many.status")"
echo "holders: $(cat "$WORK/many.status")"
busy=$(metric gslbd_tcp_connections_closed_busy_total)
echo "closed busy: $busy"
[ "${busy:-0}" -ge $((96 - 48)) ] || fail "gslbd_tcp_connections_closed_busy_total is ${busy:-none}"
unhold
gslbd_stop

# ---- a hold and a spoofed UDP flood: the resolver falls back to TCP
step "hold + spoofed flood: a resolver without cookies is answered (>= 99 %)"
render_config "$WORK/flood.conf" TCP_MAX_CONNECTIONS=512 TCP_IDLE_TIMEOUT=$((HOLD_SECS))s
cat >>"$WORK/flood.conf" <<EOF
rrl:
  rate: 10
  window: 1s
  slip: 2
EOF
gslbd_start "$WORK/flood.conf" flood
api_port
SRCS="127.0.0.1"
for i in $(seq 30 39); do
	SRCS="$SRCS 127.0.$i.1"
done
# shellcheck disable=SC2086 # one argument per source
hold flood 64 $SRCS
echo "holders: $(cat "$WORK/flood.status")"
SECS=4
COUNT=$((SECS * 1000 / 40))
"$FLOOD" resolver 127.0.0.1 "$G_UDP" "$NAME" 127.0.1.53 "$COUNT" 40 nocookie \
	>"$WORK/resolver.out" 2>&1 &
RES_PID=$!
BG_PIDS="$BG_PIDS $RES_PID"
wait_until 'grep -q "^ready" "$WORK/resolver.out"' $((5 * TF)) ||
	fail "the resolver did not start: $(cat "$WORK/resolver.out")"
"$FLOOD" flood 127.0.0.1 "$G_UDP" "$NAME" 0 "$SECS" $((4000 / TF)) \
	127.0.1.101 127.0.1.102 127.0.1.103 127.0.1.104 127.0.1.105 >"$WORK/flood.out" ||
	fail "dnsflood flood failed: $(cat "$WORK/flood.out")"
wait_exit "$RES_PID" $((60 * TF)) || fail "the resolver did not finish"
[ "$WAIT_RC" -eq 0 ] || fail "the resolver failed: $(cat "$WORK/resolver.out")"
bg_forget "$RES_PID"
echo "flood:    $(tail -n 1 "$WORK/flood.out")"
echo "resolver: $(tail -n 1 "$WORK/resolver.out")"
echo "holders:  $(cat "$WORK/flood.status")"
queries=$(kv "$WORK/resolver.out" queries)
failed=$(kv "$WORK/resolver.out" failed)
answered=$((queries - failed))
echo "resolver without cookies: $answered of $queries answered" \
	"($(kv "$WORK/resolver.out" tcp_answered) over TCP after $(kv "$WORK/resolver.out" slipped) slipped)"
[ "$queries" -gt 0 ] || fail "the resolver asked nothing"
[ "$(kv "$WORK/resolver.out" slipped)" -gt 0 ] || fail "the flood slipped the resolver nothing"
[ "$((answered * 100))" -ge "$((queries * 99))" ] || fail "the resolver lost $failed of $queries queries"
unhold
gslbd_stop
echo PASS

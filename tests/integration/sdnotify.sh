#!/bin/sh
# gslbd under a service manager, without systemd: a python3 listener on a
# datagram socket stands in for systemd's NOTIFY_SOCKET. gslbd must send
# READY=1 with a STATUS= line once listening, WATCHDOG=1 at a quarter of
# WATCHDOG_USEC, RELOADING=1 then READY=1 around a SIGHUP reload (a failed
# one too) and STOPPING=1 on SIGTERM. A reload that signs a large zone says
# how far it is while it runs: STATUS=signing ZONE: N of M records, and
# the same in /v1/status. Skipped when gslbd was built without libsystemd
# (configure --without-systemd).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" ||
	skip "gslbd built without libsystemd"
command -v python3 >/dev/null 2>&1 || fail "python3 not found: install the Debian package python3"
command -v ldns-keygen >/dev/null 2>&1 || fail "ldns-keygen not found: install the Debian package ldnsutils"
need_api_tools

SOCK=$WORK/notify.sock
MSGS=$WORK/notify.msgs
# Each datagram on one line, its newlines shown as '|'.
notify_listen "$SOCK" "$MSGS"

# count REGEX: datagrams matching REGEX so far.
count() {
	grep -Ec -- "$1" "$MSGS"
}

step "READY=1 with STATUS= once listening, then WATCHDOG=1 every 50ms"
CONF=$WORK/gslbd.conf
render_config "$CONF"
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=200000
gslbd_start "$CONF"
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_until '[ "$(count "^READY=1\|STATUS=generation 1: [0-9]+ datacenters, [0-9]+ up, [0-9]+ down")" = 1 ]' 5 ||
	fail "no READY=1 with STATUS=generation 1: $(cat "$MSGS")"
grep -q 'ready:' "$G_LOG" || fail "READY=1 came before the ready: log line"
[ "$(head -n 1 "$MSGS" | cut -c1-8)" = "READY=1|" ] || fail "the first message is not READY=1: $(head -n 1 "$MSGS")"
log_wait 'systemd watchdog: keep-alive every 50 ms' 2
w0=$(count '^WATCHDOG=1$')
t0=$(now_ms)
wait_until '[ "$(count "^WATCHDOG=1$")" -ge $((w0 + 5)) ]' 2 || fail "fewer than 5 WATCHDOG=1 in 2s"
echo "watchdog: 5 keep-alives in $(($(now_ms) - t0)) ms"

step "SIGHUP: RELOADING=1, then READY=1 with generation 2"
kill -HUP "$G_PID"
wait_until '[ "$(count "^READY=1\|STATUS=generation 2:")" = 1 ]' 5 || fail "no READY=1 for generation 2: $(grep -v WATCHDOG "$MSGS")"
seq=$(grep -v '^WATCHDOG' "$MSGS" | cut -d'|' -f1 | tr '\n' ' ')
[ "$seq" = "READY=1 RELOADING=1 READY=1 " ] || fail "messages so far: $seq"
grep -q '^RELOADING=1|MONOTONIC_USEC=[0-9][0-9]*$' "$MSGS" || fail "RELOADING=1 without MONOTONIC_USEC"

step "a failed reload: RELOADING=1, then READY=1 still at generation 2"
cp "$CONF" "$CONF.good"
echo "no_such_section: 1" >>"$CONF"
kill -HUP "$G_PID"
log_wait 'reload failed' 5
wait_until '[ "$(count "^READY=1\|STATUS=generation 2:")" = 2 ]' 5 || fail "no READY=1 after the failed reload: $(grep -v WATCHDOG "$MSGS")"
[ "$(count '^RELOADING=1')" = 2 ] || fail "expected two RELOADING=1"
cp "$CONF.good" "$CONF"

step "a reload signing a large zone: STATUS= and /v1/status say how far it is"
api_port
# Large enough that signing takes seconds on a busy machine.
NAMES=100000
awk -v n=$NAMES 'BEGIN {
	print "$ORIGIN big.test."; print "$TTL 300"
	print "@ SOA ns1 hostmaster 1 3600 900 1209600 30"; print "@ NS ns1"; print "ns1 A 127.0.0.1"
	for (i = 0; i < n; i++) printf "h%d A 192.0.2.%d\n", i, i % 250 + 1
}' >"$WORK/big.test.zone" || fail "cannot write the large zone"
KSK=$(dnssec_keygen -k big.test)
ZSK=$(dnssec_keygen big.test)
chmod 600 "$WORK"/keys/*.private
awk -v ksk="$KSK" -v zsk="$ZSK" '{ print } /^zones:$/ {
	print "  - name: big.test"; print "    file: big.test.zone"; print "    dnssec:"
	print "      keys: [keys/" ksk ", keys/" zsk "]"
}' "$CONF.good" >"$CONF" || fail "cannot add the large zone to $CONF"
t0=$(now_ms)
kill -HUP "$G_PID"
# progress_json: the running reload's progress in /v1/status, or null.
progress_json() { api_get /v1/status && echo "$API_BODY" | jq -c '.reload.running.progress'; }
wait_until 'progress_json | jq -e ".phase == \"signing\" and .subject == \"big.test\" and .unit == \"records\"
	and .total > $NAMES and .done <= .total" >/dev/null' 60 ||
	fail "/v1/status never showed the signing of big.test in progress: $(progress_json)"
echo "/v1/status: $(progress_json)"
wait_until 'grep -Eq "^STATUS=signing big.test: [0-9,]+ of [0-9,]+ records$" "$MSGS"' 60 ||
	fail "no STATUS=signing big.test: N of M records: $(grep -v WATCHDOG "$MSGS" | tail -n 3)"
grep -E "^STATUS=signing big.test:" "$MSGS" | head -n 3
wait_until '[ "$(count "^READY=1\|STATUS=generation 3:")" = 1 ]' 120 ||
	fail "no READY=1 for generation 3 after signing: $(grep -v WATCHDOG "$MSGS" | tail -n 3)"
took=$(($(now_ms) - t0))
echo "the reload signing $NAMES names took $took ms"
[ "$(api_get /v1/status && api_jq '.reload.running')" = null ] || fail "a reload still shows as running"
# The log tells how far it is every 5 s of signing.
if [ "$took" -gt 12000 ]; then
	grep -Eq 'signing big.test: [0-9,]+ of [0-9,]+ records \([0-9]+s so far\)' "$G_LOG" ||
		fail "no progress line in the log during $took ms of reload"
fi

step "SIGTERM: STOPPING=1"
gslbd_stop
[ "$(count '^STOPPING=1$')" = 1 ] || fail "no STOPPING=1: $(grep -v WATCHDOG "$MSGS" | tail -n 3)"
echo "PASS"

#!/bin/sh
# gslbd as the primary of real secondaries: NSD and Knot transfer
# example.com under TSIG keys (one inline, one from a key file in BIND's
# format); a reload that changes one record and the serial sends NOTIFY,
# and both secondaries answer the new data at once (their SOA refresh is
# two hours) after an IXFR of the one change, not a full transfer (counted
# in gslbd_xfr_total and gslbd_xfr_bytes_total). A secondary with a wrong
# secret is refused (BADSIG) and says so; unsigned transfers are refused.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
[ -x "$NSD" ] || fail "nsd not found (Debian package nsd; sh .ci/install-deps test)"
[ -x "$KNOTD" ] || fail "knotd not found (Debian package knot; sh .ci/install-deps test)"
command -v curl >/dev/null 2>&1 || fail "curl not found"

SECRET=c2VjcmV0LXNlY3JldC1zZWNyZXQtMzItYnl0ZXMhISE=
KSECRET=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
WRONG=d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc=
NPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for nsd"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
[ "$NPORT" != "$KPORT" ] || KPORT=$("$DNSTEST" freeport 127.0.0.1)

# ---- gslbd -------------------------------------------------------------------

cp "$DATA/example.com.zone" "$DATA/example.net.zone" "$WORK/"
chmod u+w "$WORK"/*.zone
cat >"$WORK/knot.key" <<KEY
# as tsig-keygen writes it
key "knot-key" {
	algorithm hmac-sha512;
	secret "$KSECRET";
};
KEY
listen='"127.0.0.1:0"'
! have_ipv6 || listen="$listen, \"[::1]:0\""
cat >"$WORK/gslbd.conf" <<CONF
server:
  listen: [$listen]
  workers: 1
  state_file: state.json
  journal_max: 65536
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
keys:
  - name: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
key_file: knot.key
zones:
  - name: example.com
    file: example.com.zone
    allow_transfer:
      - {address: 127.0.0.1, key: xfr-key}
      - {address: 127.0.0.1, key: knot-key}
    notify:
      - {address: "127.0.0.1:$NPORT", key: xfr-key}
      - {address: "127.0.0.1:$KPORT", key: knot-key}
  - name: example.net
    file: example.net.zone
    allow_transfer: [{address: 127.0.0.1, key: xfr-key}]
CONF
gslbd_start "$WORK/gslbd.conf"
G_HTTP=$(awk '$1 == "http" { print $4; exit }' "$G_PORTFILE")

step "unsigned and wrongly signed transfers are refused"
q axfr example.com
assert_out_contains "Transfer failed"
q -y "hmac-sha256:xfr-key:$WRONG" axfr example.com
assert_out_contains "tsig indicates error"
q -y "hmac-sha256:xfr-key:$SECRET" axfr example.com
assert_out_lacks "Transfer failed"
assert_out_contains "XFR size: 59 records"
[ "$(metric 'gslbd_tsig_failures_total{reason="unsigned"}')" -ge 1 ] || fail "unsigned refusal not counted"
[ "$(metric 'gslbd_tsig_failures_total{reason="badsig"}')" -ge 1 ] || fail "BADSIG not counted"
log_wait 'tsig: request refused: client=127.0.0.1:[0-9]+ reason=badsig' 5

# ---- NSD and Knot as secondaries ----------------------------------------------

NDIR=$WORK/nsd
nsd_secondary_start "$NDIR" "$NPORT" <<CONF
key:
  name: xfr-key
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: example.com
  zonefile: example.com.zone
  request-xfr: 127.0.0.1@$G_TCP xfr-key
  allow-notify: 127.0.0.1 xfr-key
CONF

KDIR=$WORK/knot
mkdir -p "$KDIR"
{
	knot_conf_head
	cat <<CONF
key:
  - id: knot-key
    algorithm: hmac-sha512
    secret: $KSECRET
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $WRONG
remote:
  - id: gslbd
    address: 127.0.0.1@$G_TCP
    key: knot-key
  - id: gslbd-wrong-key
    address: 127.0.0.1@$G_TCP
    key: xfr-key
acl:
  - id: notify
    address: 127.0.0.1
    key: knot-key
    action: notify
template:
  - id: default
    storage: "$KDIR"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: example.com
    master: gslbd
    acl: notify
  - domain: example.net
    master: gslbd-wrong-key
log:
  - target: stderr
    any: info
CONF
} >"$KDIR/knot.conf"
"$KNOTD" -c "$KDIR/knot.conf" >"$KDIR/knot.log" 2>&1 &
KNOT_PID=$!
BG_PIDS="$BG_PIDS $KNOT_PID"

# serves PORT NAME ADDR: the server on PORT answers NAME A with ADDR.
serves() {
	Q_UDP=$1 q +notcp "$2" A
	[ "$(got_rcode)" = NOERROR ] && echo "$OUT" | grep -q "IN[[:space:]]*A[[:space:]]*$3\$"
}

step "NSD (port $NPORT) and Knot (port $KPORT) transfer example.com"
wait_until "serves $NPORT www.example.com 192.0.2.80" 20 || {
	cat "$NDIR/nsd.log" "$NDIR/stderr.log"
	fail "NSD does not serve example.com from gslbd"
}
wait_until "serves $KPORT www.example.com 192.0.2.80" 20 || {
	cat "$KDIR/knot.log"
	fail "Knot does not serve example.com from gslbd"
}
axfr_before=$(metric 'gslbd_xfr_total{type="axfr"}')
axfr_bytes_before=$(metric 'gslbd_xfr_bytes_total{type="axfr"}')
[ "$axfr_before" -ge 3 ] || fail "expected the secondaries' full transfers, got $axfr_before"

step "a secondary with a wrong key is refused and says so"
wait_until "grep -Eiq 'example\.net.*(BADSIG|signature|TSIG)' '$KDIR/knot.log'" 20 || {
	cat "$KDIR/knot.log"
	fail "Knot does not report the refused transfer of example.net"
}
grep -Ei 'example\.net.*(BADSIG|signature|TSIG)' "$KDIR/knot.log" | head -n 1
Q_UDP=$KPORT q +notcp www.example.net A
[ "$(got_rcode)" != NOERROR ] || fail "Knot serves example.net although its key is wrong"

step "a reload that changes one record: NOTIFY, then IXFR"
ixfr_before=$(metric 'gslbd_xfr_total{type="ixfr"}')
sed -i -e 's/2024010101/2024010102/' -e 's/^www\([[:space:]].*A[[:space:]]*\)192\.0\.2\.80$/www\1192.0.2.81/' \
	"$WORK/example.com.zone"
grep -q '192.0.2.81' "$WORK/example.com.zone" || fail "the zone edit did not apply"
t0=$(now_ms)
kill -HUP "$G_PID"
log_wait 'notify: zone=example.com serial=2024010102: telling 2 secondaries' 10
wait_until "serves $NPORT www.example.com 192.0.2.81" 10 || {
	cat "$NDIR/nsd.log"
	fail "NSD does not answer the new data within 10s of the reload"
}
t_nsd=$(($(now_ms) - t0))
wait_until "serves $KPORT www.example.com 192.0.2.81" 10 || {
	cat "$KDIR/knot.log"
	fail "Knot does not answer the new data within 10s of the reload"
}
t_knot=$(($(now_ms) - t0))
echo "new data served: NSD after ${t_nsd} ms, Knot after ${t_knot} ms (SOA refresh: 7200 s)"
log_wait 'notify: acknowledged: zone=example.com serial=2024010102 secondary=127.0.0.1:'"$NPORT" 10
log_wait 'notify: acknowledged: zone=example.com serial=2024010102 secondary=127.0.0.1:'"$KPORT" 10
[ "$(metric gslbd_notify_acked_total)" -ge 2 ] || fail "NOTIFY answers not counted"

ixfr=$(($(metric 'gslbd_xfr_total{type="ixfr"}') - ixfr_before))
axfr=$(($(metric 'gslbd_xfr_total{type="axfr"}') - axfr_before))
ixfr_bytes=$(metric 'gslbd_xfr_bytes_total{type="ixfr"}')
axfr_each=$(((axfr_bytes_before) / axfr_before))
echo "after the change: $ixfr IXFR ($ixfr_bytes bytes in all), $axfr AXFR; one AXFR: $axfr_each bytes"
[ "$ixfr" -ge 2 ] || fail "expected an IXFR from each secondary, got $ixfr"
[ "$axfr" -eq 0 ] || fail "the change was sent as $axfr full transfers"
[ $((ixfr_bytes / ixfr)) -lt $((axfr_each / 4)) ] ||
	fail "an IXFR of one record is not much smaller than a full transfer"

step "IXFR over UDP: the differences when they fit, the SOA alone when current"
q -y "hmac-sha256:xfr-key:$SECRET" +notcp ixfr=2024010101 example.com
assert_out_contains "(UDP)"
for rr in 'www.example.com..*IN.*A.*192.0.2.80' 'www.example.com..*IN.*A.*192.0.2.81'; do
	echo "$OUT" | grep -q "$rr" || qfail "the UDP IXFR lacks $rr"
done
[ "$(echo "$OUT" | grep -c 'IN[[:space:]]*SOA')" -eq 4 ] || qfail "the UDP IXFR is not SOA, old SOA, -, new SOA, +, SOA"
q -y "hmac-sha256:xfr-key:$SECRET" +notcp ixfr=2024010102 example.com
[ "$(echo "$OUT" | grep -c 'IN[[:space:]]*SOA')" -eq 1 ] || qfail "a current client gets more than the SOA"

kill -TERM "$NSD_PID" "$KNOT_PID"
wait_exit "$NSD_PID" 10 || fail "nsd still running after SIGTERM"
wait_exit "$KNOT_PID" 10 || fail "knotd still running after SIGTERM"
BG_PIDS=
gslbd_stop
echo PASS

#!/bin/sh
# A re-signing reaches the secondaries: NSD and Knot are secondaries of
# dnssec.test, which gslbd signs with signatures valid for 2 minutes and
# refreshed 110 s before they expire (a re-signing every 10 s). Each
# re-signing publishes a new serial (dnssec.serial_policy, increment by
# default), sends NOTIFY, and both take it by IXFR (the changed RRSIGs and
# the SOA), not AXFR; their copies then pass ldns-verify-zone and carry
# the new signatures (a later expiration). With serial_policy: keep the
# serial stays the file's and nothing is announced.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
[ -x "$NSD" ] || fail "nsd not found (Debian package nsd; .ci/install-deps installs it)"
need_knot
for t in ldns-keygen ldns-verify-zone curl; do
	command -v $t >/dev/null 2>&1 || fail "$t not found (.ci/install-deps installs it)"
done

ZONE=dnssec.test
KSK=$(dnssec_keygen -k $ZONE)
ZSK=$(dnssec_keygen $ZONE)
chmod 600 "$WORK"/keys/*.private
cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone" ||
	fail "cannot copy the zone"
LISTEN='"127.0.0.1:0"'
! have_ipv6 || LISTEN="$LISTEN, \"[::1]:0\""
NPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for nsd"
KPORT=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for knotd"
[ "$NPORT" != "$KPORT" ] || KPORT=$("$DNSTEST" freeport 127.0.0.1)

# conf POLICY: gslbd.conf with dnssec.serial_policy POLICY ("" for the default).
conf() {
	cat >"$WORK/gslbd.conf" <<CONF
server:
  listen: [$LISTEN]
  workers: 1
  state_file: state.json
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
zones:
  - name: $ZONE
    file: dnssec.test.zone
    allow_transfer: [127.0.0.1]
    notify: ["127.0.0.1:$NPORT", "127.0.0.1:$KPORT"]
    dnssec:
      keys: [keys/$KSK, keys/$ZSK]
      validity: 2m
      refresh: 110s
${1:+      serial_policy: $1}
CONF
}

# serial PORT: the SOA serial the server on PORT answers.
serial() {
	Q_UDP=$1 q +notcp $ZONE SOA
	echo "$OUT" | awk '$4 == "SOA" { print $7; exit }'
}

# soa_sig_expiration FILE: the expiration of the SOA's RRSIG in a transfer.
soa_sig_expiration() {
	awk '$4 == "RRSIG" && $5 == "SOA" { print $9; exit }' "$1"
}

conf ""
gslbd_start "$WORK/gslbd.conf"
G_HTTP=$(awk '$1 == "http" { print $4; exit }' "$G_PORTFILE")
[ "$(serial "$G_UDP")" = 2026120301 ] || fail "gslbd does not serve the file's serial at start"

NDIR=$WORK/nsd
nsd_secondary_start "$NDIR" "$NPORT" <<CONF
zone:
  name: $ZONE
  zonefile: $ZONE.zone
  request-xfr: 127.0.0.1@$G_TCP NOKEY
  allow-notify: 127.0.0.1 NOKEY
  provide-xfr: 127.0.0.1 NOKEY
CONF

KDIR=$WORK/knot
mkdir -p "$KDIR"
{
	knot_conf_head
	cat <<CONF
remote:
  - id: gslbd
    address: 127.0.0.1@$G_TCP
acl:
  - id: local
    address: 127.0.0.1
    action: [notify, transfer]
template:
  - id: default
    storage: "$KDIR"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: $ZONE
    master: gslbd
    acl: local
log:
  - target: stderr
    any: info
CONF
} >"$KDIR/knot.conf"
"$KNOTD" -c "$KDIR/knot.conf" >"$KDIR/knot.log" 2>&1 &
KNOT_PID=$!
BG_PIDS="$BG_PIDS $KNOT_PID"

step "NSD and Knot transfer the signed zone"
wait_until '[ -n "$(serial "$NPORT")" ]' 20 || { cat "$NDIR/nsd.log"; fail "NSD has no copy"; }
wait_until '[ -n "$(serial "$KPORT")" ]' 20 || { cat "$KDIR/knot.log"; fail "Knot has no copy"; }
S0=$(serial "$NPORT")
wait_until '[ "$(serial "$KPORT")" = "$S0" ]' 20 || fail "Knot is not at serial $S0 as NSD is"
Q_TCP=$NPORT q axfr $ZONE
echo "$OUT" | grep -v '^;' >"$WORK/nsd0.axfr"
E0=$(soa_sig_expiration "$WORK/nsd0.axfr")
[ -n "$E0" ] || fail "NSD's copy has no RRSIG over the SOA"

step "a re-signing publishes a new serial; NOTIFY; NSD and Knot take it by IXFR"
axfr0=$(metric 'gslbd_xfr_total{type="axfr"}')
ixfr0=$(metric 'gslbd_xfr_total{type="ixfr"}')
axfr_bytes0=$(metric 'gslbd_xfr_bytes_total{type="axfr"}')
ixfr_bytes0=$(metric 'gslbd_xfr_bytes_total{type="ixfr"}')
n0=$(grep -c 'DNSSEC: zones signed again' "$G_LOG")
wait_until '[ "$(grep -c "DNSSEC: zones signed again" "$G_LOG")" -gt "$n0" ]' 30 ||
	fail "no re-signing within 30 s"
t0=$(now_ms)
S1=$(serial "$G_UDP")
[ "$S1" -gt "$S0" ] || fail "the re-signing kept serial $S1 (NSD holds $S0)"
log_wait "notify: zone=$ZONE serial=$S1: telling 2 secondaries" 5
# At least S1 (a later re-signing may have come meanwhile).
wait_until '[ "$(serial "$NPORT")" -ge "$S1" ]' 10 || {
	cat "$NDIR/nsd.log"
	fail "NSD does not hold serial $S1 within 10 s of the re-signing"
}
t_nsd=$(($(now_ms) - t0))
wait_until '[ "$(serial "$KPORT")" -ge "$S1" ]' 10 || {
	cat "$KDIR/knot.log"
	fail "Knot does not hold serial $S1 within 10 s of the re-signing"
}
t_knot=$(($(now_ms) - t0))
ixfr=$(($(metric 'gslbd_xfr_total{type="ixfr"}') - ixfr0))
axfr=$(($(metric 'gslbd_xfr_total{type="axfr"}') - axfr0))
ixfr_bytes=$(($(metric 'gslbd_xfr_bytes_total{type="ixfr"}') - ixfr_bytes0))
[ "$ixfr" -ge 2 ] || fail "NSD and Knot did not both ask an IXFR ($ixfr)"
[ "$axfr" -eq 0 ] || fail "the re-signing went as $axfr AXFR"
echo "re-signing to serial $S1 held: NSD ${t_nsd} ms, Knot ${t_knot} ms; IXFR: $((ixfr_bytes / ixfr)) bytes each ($ixfr); one AXFR: $((axfr_bytes0 / axfr0)) bytes"

step "the secondaries' copies verify and carry the new signatures"
for sec in NSD:$NPORT Knot:$KPORT; do
	Q_TCP=${sec#*:} q axfr $ZONE
	assert_out_lacks "Transfer failed"
	echo "$OUT" | grep -v '^;' >"$WORK/${sec%:*}1.axfr"
	if ! ldns-verify-zone -k "$WORK/keys/$KSK.key" "$WORK/${sec%:*}1.axfr" >"$WORK/verify.out" 2>&1; then
		cat "$WORK/verify.out"
		fail "ldns-verify-zone fails on ${sec%:*}'s copy"
	fi
	E1=$(soa_sig_expiration "$WORK/${sec%:*}1.axfr")
	[ "$E1" -gt "$E0" ] || fail "${sec%:*}'s SOA RRSIG expires at $E1, not later than $E0"
	echo "${sec%:*}'s SOA signature expiration: $E0 -> $E1 ($(grep -c RRSIG "$WORK/${sec%:*}1.axfr") RRSIGs)"
done

step "serial_policy: keep: a re-signing keeps the serial and tells no one"
gslbd_stop
conf keep
cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone"
gslbd_start "$WORK/gslbd.conf"
log_wait "notify: zone=$ZONE serial=2026120301: telling 2 secondaries" 5
n0=$(grep -c 'DNSSEC: zones signed again' "$G_LOG")
lines0=$(wc -l <"$G_LOG")
wait_until '[ "$(grep -c "DNSSEC: zones signed again" "$G_LOG")" -gt "$n0" ]' 30 ||
	fail "no re-signing within 30 s"
[ "$(serial "$G_UDP")" = 2026120301 ] || fail "serial_policy keep changed the serial"
! tail -n +$((lines0 + 1)) "$G_LOG" | grep -q "notify: zone=$ZONE" ||
	fail "a re-signing with serial_policy keep was announced"

kill -TERM "$NSD_PID" "$KNOT_PID"
wait_exit "$NSD_PID" 10 || fail "nsd still running after SIGTERM"
wait_exit "$KNOT_PID" 10 || fail "knotd still running after SIGTERM"
bg_forget "$NSD_PID"
bg_forget "$KNOT_PID"
gslbd_stop
echo PASS

#!/bin/sh
# IXFR of a zone gslbd signs in memory, load-balanced names included: NSD
# transfers dnssec.test (NSEC, then NSEC3) from gslbd; a reload that
# changes records and the serial (a record changed, one added, one removed:
# new RRSIGs and a new NSEC/NSEC3 chain around them) reaches NSD by NOTIFY
# and IXFR, not AXFR; what NSD then holds is record for record what an AXFR
# from gslbd sends (the load-balanced names' transfer answers included),
# and it verifies (ldns-verify-zone). A drain and a reload that keeps the
# serial change nothing a transfer sends (the load-balanced names'
# signatures are kept), so the journal stays and the next change, of one
# record, reaches NSD by an IXFR that carries that record, its RRSIG and
# the SOAs only. The bytes of both IXFRs are printed.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
[ -x "$NSD" ] || fail "nsd not found (Debian package nsd; .ci/install-deps installs it)"
for t in ldns-keygen ldns-verify-zone curl; do
	command -v $t >/dev/null 2>&1 || fail "$t not found (.ci/install-deps installs it)"
done

ZONE=dnssec.test
TOKEN=ixfr-dnssec-t0ken-0123456789
KSK=$(dnssec_keygen -k $ZONE)
ZSK=$(dnssec_keygen $ZONE)
chmod 600 "$WORK"/keys/*.private
LISTEN='"127.0.0.1:0"'
! have_ipv6 || LISTEN="$LISTEN, \"[::1]:0\""

# normalise: RR lines only, whitespace squeezed, names lowercased, sorted.
normalise() {
	grep -v '^;' | grep -v '^$' | awk '{ $1 = $1; print }' | tr '[:upper:]' '[:lower:]' | sort -u
}

# run DENIAL: the whole scenario with nsec or nsec3.
run() {
	local denial=$1 nport ndir=$WORK/nsd-$1 npid
	cp "$DATA/dnssec/dnssec.test.zone" "$WORK/" && chmod u+w "$WORK/dnssec.test.zone"
	nport=$("$DNSTEST" freeport 127.0.0.1) || fail "no free port for nsd"
	cat >"$WORK/gslbd.conf" <<CONF
server:
  listen: [$LISTEN]
  workers: 1
  state_file: state.json
log:
  level: info
api:
  listen: ["127.0.0.1:0"]
  admin_token: "$TOKEN"
zones:
  - name: $ZONE
    file: dnssec.test.zone
    allow_transfer: [127.0.0.1]
    notify: ["127.0.0.1:$nport"]
    dnssec:
      keys: [keys/$KSK, keys/$ZSK]
      denial: $denial
datacenters:
  - {name: one, latitude: 40.71, longitude: -74.01, ipv4: 192.0.2.10, ipv6: "2001:db8:10::1"}
  - {name: two, latitude: 53.35, longitude: -6.26, ipv4: 198.51.100.10}
pools:
  - {name: primary, datacenters: [one, two], policy: failover, ttl: 30}
names:
  - {name: www.$ZONE, pool: primary}
  - {name: "*.lbwild.$ZONE", pool: primary}
CONF
	gslbd_start "$WORK/gslbd.conf" "gslbd-$denial"
	G_HTTP=$(awk '$1 == "http" { print $4; exit }' "$G_PORTFILE")

	nsd_secondary_start "$ndir" "$nport" <<CONF
zone:
  name: $ZONE
  zonefile: $ZONE.zone
  request-xfr: 127.0.0.1@$G_TCP NOKEY
  allow-notify: 127.0.0.1 NOKEY
  provide-xfr: 127.0.0.1 NOKEY
CONF
	npid=$NSD_PID
	NPORT=$nport
	step "[$denial] NSD transfers the signed zone"
	wait_until "nsd_serial_is 2026120301" 20 || { cat "$ndir/nsd.log"; fail "NSD has no copy"; }

	step "[$denial] a change of three records reaches NSD by IXFR"
	local axfr0 ixfr0 bytes0 abytes0 n
	axfr0=$(metric 'gslbd_xfr_total{type="axfr"}')
	ixfr0=$(metric 'gslbd_xfr_total{type="ixfr"}')
	bytes0=$(metric 'gslbd_xfr_bytes_total{type="ixfr"}')
	sed -i -e 's/2026120301/2026120302/' -e 's/^plain\([[:space:]]*\)A[[:space:]]*192\.0\.2\.1$/plain\1A\t192.0.2.9/' \
		-e '/^txtonly/d' "$WORK/dnssec.test.zone"
	echo 'added		A	192.0.2.77' >>"$WORK/dnssec.test.zone"
	kill -HUP "$G_PID"
	wait_until "nsd_serial_is 2026120302" 20 || { cat "$ndir/nsd.log"; fail "NSD did not get the change"; }
	[ $(($(metric 'gslbd_xfr_total{type="ixfr"}') - ixfr0)) -ge 1 ] || fail "no IXFR"
	[ "$(metric 'gslbd_xfr_total{type="axfr"}')" -eq "$axfr0" ] || fail "the change went as an AXFR"
	echo "[$denial] IXFR of the three-record change: $(($(metric 'gslbd_xfr_bytes_total{type="ixfr"}') - bytes0)) bytes"

	step "[$denial] NSD's copy is what an AXFR from gslbd sends, and verifies"
	q axfr $ZONE
	echo "$OUT" | normalise >"$WORK/gslbd.rrs"
	Q_TCP=$nport q axfr $ZONE
	assert_out_lacks "Transfer failed"
	echo "$OUT" | grep -v '^;' >"$WORK/nsd.axfr"
	normalise <"$WORK/nsd.axfr" >"$WORK/nsd.rrs"
	grep -q '^added\.dnssec\.test\. .* a 192\.0\.2\.77$' "$WORK/nsd.rrs" || fail "NSD lacks the added record"
	! grep -q '^txtonly' "$WORK/nsd.rrs" || fail "NSD keeps the removed record"
	grep -q '^www\.dnssec\.test\. .* a ' "$WORK/nsd.rrs" || fail "NSD lacks the load-balanced name's answer"
	if ! cmp -s "$WORK/gslbd.rrs" "$WORK/nsd.rrs"; then
		diff "$WORK/gslbd.rrs" "$WORK/nsd.rrs" | head -20
		fail "NSD's copy after IXFR differs from gslbd's AXFR (< gslbd, > NSD)"
	fi
	if ! ldns-verify-zone -k "$WORK/keys/$KSK.key" "$WORK/nsd.axfr" >"$WORK/verify.out" 2>&1; then
		cat "$WORK/verify.out"
		fail "ldns-verify-zone fails on NSD's copy"
	fi

	step "[$denial] after a drain and a reload that keeps the serial, one record changed goes by a small IXFR"
	api_post /v1/datacenters/one/drain "$TOKEN"
	assert_api_code 200
	n=$(grep -c 'reload: ok' "$G_LOG")
	kill -HUP "$G_PID"
	wait_until '[ "$(grep -c "reload: ok" "$G_LOG")" -gt '"$n"' ]' 20 || fail "the reload did not end"
	axfr0=$(metric 'gslbd_xfr_total{type="axfr"}')
	ixfr0=$(metric 'gslbd_xfr_total{type="ixfr"}')
	bytes0=$(metric 'gslbd_xfr_bytes_total{type="ixfr"}')
	abytes0=$(metric 'gslbd_xfr_bytes_total{type="axfr"}')
	sed -i -e 's/2026120302/2026120303/' -e 's/^plain\([[:space:]]*\)A[[:space:]]*192\.0\.2\.9$/plain\1A\t192.0.2.8/' \
		"$WORK/dnssec.test.zone"
	kill -HUP "$G_PID"
	wait_until "nsd_serial_is 2026120303" 20 || { cat "$ndir/nsd.log"; fail "NSD did not get the change"; }
	n=$(($(metric 'gslbd_xfr_bytes_total{type="ixfr"}') - bytes0))
	echo "[$denial] the one-record change: IXFR $n bytes, AXFR $(($(metric 'gslbd_xfr_bytes_total{type="axfr"}') - abytes0)) bytes"
	[ $(($(metric 'gslbd_xfr_total{type="ixfr"}') - ixfr0)) -ge 1 ] || fail "no IXFR"
	[ "$(metric 'gslbd_xfr_total{type="axfr"}')" -eq "$axfr0" ] ||
		fail "the change went as an AXFR: the journal did not survive the reload"
	# The SOA (four times) and its RRSIG, the old and new A and their RRSIGs:
	# under 900 bytes; the load-balanced names' RRSIGs removed and added again
	# would more than double it.
	[ "$n" -lt 1200 ] || fail "the IXFR of one record carries $n bytes"
	Q_TCP=$nport q axfr $ZONE
	echo "$OUT" | grep -v '^;' >"$WORK/nsd.axfr"
	grep -q '^plain\.dnssec\.test\..*A[[:space:]]*192\.0\.2\.8$' "$WORK/nsd.axfr" || fail "NSD lacks the changed record"
	if ! ldns-verify-zone -k "$WORK/keys/$KSK.key" "$WORK/nsd.axfr" >"$WORK/verify.out" 2>&1; then
		cat "$WORK/verify.out"
		fail "ldns-verify-zone fails on NSD's copy after the second IXFR"
	fi
	kill -TERM "$npid"
	wait_exit "$npid" 10 || fail "nsd still running"
	bg_forget "$npid"
	gslbd_stop
}

nsd_serial_is() {
	Q_UDP=$NPORT q +notcp $ZONE SOA
	echo "$OUT" | grep -q "IN[[:space:]]*SOA.* $1 "
}

run nsec
run nsec3
echo PASS

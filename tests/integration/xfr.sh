#!/bin/sh
# Zone transfers: AXFR over TCP from an allowed client returns the whole zone
# between two SOAs; IXFR is answered (as a full transfer, RFC 1995 section 4,
# or with the SOA alone when the client is current); zones without the client
# in allow_transfer are refused; transfers over UDP are not served.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not found (Debian package ldnsutils)"

render_config "$WORK/gslbd.conf"
gslbd_start "$WORK/gslbd.conf"

# normalise: RR lines only, whitespace squeezed, names lowercased.
normalise() {
	grep -v '^;' | grep -v '^$' | awk '{ $1 = $1; print }' | tr '[:upper:]' '[:lower:]'
}

ldns-read-zone "$WORK/example.com.zone" | normalise | sort >"$WORK/zone.rrs" ||
	fail "ldns-read-zone cannot read the zone"
zone_count=$(grep -c . "$WORK/zone.rrs")
SOA='example.com. 3600 in soa ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300'

# check_transfer: $OUT holds a dig transfer of example.com; assert SOA
# first and last and exactly the zone's records in between.
check_transfer() {
	echo "$OUT" | normalise >"$WORK/xfr.rrs"
	[ "$(head -n 1 "$WORK/xfr.rrs")" = "$SOA" ] || qfail "transfer does not start with the SOA"
	[ "$(tail -n 1 "$WORK/xfr.rrs")" = "$SOA" ] || qfail "transfer does not end with the SOA"
	n=$(grep -c . "$WORK/xfr.rrs")
	[ "$n" -eq $((zone_count + 1)) ] ||
		qfail "transfer has $n records, expected $((zone_count + 1)) (zone + closing SOA)"
	sed '$d' "$WORK/xfr.rrs" | sort >"$WORK/xfr.sorted"
	if ! cmp -s "$WORK/zone.rrs" "$WORK/xfr.sorted"; then
		show_query
		diff "$WORK/zone.rrs" "$WORK/xfr.sorted"
		fail "transferred records differ from the zone file (< zone, > transfer)"
	fi
}

step "AXFR from an allowed client"
q axfr example.com
assert_out_lacks "Transfer failed"
check_transfer

step "AXFR with the question in mixed case"
q axfr ExAmPlE.CoM
assert_out_lacks "Transfer failed"
check_transfer

if [ -n "$G_TCP6" ]; then
	step "AXFR over IPv6 (::1 allowed)"
	Q_ADDR=::1 Q_TCP=$G_TCP6 q axfr example.com
	assert_out_lacks "Transfer failed"
	check_transfer
fi

step "IXFR from an older serial: the whole zone"
q ixfr=2024010100 example.com
assert_out_lacks "Transfer failed"
check_transfer

step "IXFR at the current serial: the SOA alone or the whole zone"
q ixfr=2024010101 example.com
assert_out_lacks "Transfer failed"
echo "$OUT" | normalise >"$WORK/ixfr.rrs"
[ "$(head -n 1 "$WORK/ixfr.rrs")" = "$SOA" ] || qfail "IXFR response does not start with the SOA"
n=$(grep -c . "$WORK/ixfr.rrs")
[ "$n" -eq 1 ] || [ "$n" -eq $((zone_count + 1)) ] || qfail "IXFR: $n records"

step "AXFR of a zone with an empty allow-list: refused"
q axfr example.net
assert_out_contains "Transfer failed"
q axfr sub.example.com
assert_out_contains "Transfer failed"
RAW=$("$DNSTEST" tcp 127.0.0.1 "$G_TCP" "$("$DNSTEST" build example.net AXFR 778)")
assert_raw_rcode $RC_REFUSED
[ "$(raw_field an)" = 0 ] || fail "refused AXFR returned records: $RAW"

step "AXFR of a zone we do not serve: refused"
q axfr example.org
assert_out_contains "Transfer failed"

step "AXFR over UDP: not served"
raw_udp "$("$DNSTEST" build example.com AXFR 777)"
case $RAW in
resp*) ;;
*) fail "AXFR over UDP: expected an error response, got: $RAW" ;;
esac
rc=$(raw_field rcode)
[ "$rc" = $RC_REFUSED ] || [ "$rc" = $RC_NOTIMP ] || [ "$rc" = $RC_FORMERR ] ||
	fail "AXFR over UDP: rcode $rc, expected REFUSED, NOTIMP or FORMERR: $RAW"
[ "$(raw_field an)" = 0 ] || fail "AXFR over UDP returned records: $RAW"

step "normal queries still answered after the transfers"
assert_www_ok
q +tcp www.example.com A
assert_rcode NOERROR

step "stop"
gslbd_stop
echo "PASS"

#!/bin/sh
# Load-balanced names with a real GeoLite2-City (or GeoIP2-City) database:
# set GSLBD_GEOLITE2_CITY to its .mmdb file to run this test; it is skipped
# otherwise (the database is not distributed with gslbd).
#
# The probes are networks that MaxMind's own documentation and test database
# (MaxMind-DB, source-data/GeoIP2-City-Test.json) use, in Great Britain, the
# United States and East/South-East Asia. Databases change, so each probe's
# country is read from the database first (mmdblookup when installed, else
# gslbd's --explain) and the expected datacenter follows from it; every one
# of the three datacenters must be expected by at least one probe.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

DB=${GSLBD_GEOLITE2_CITY:-}
[ -n "$DB" ] || skip "set GSLBD_GEOLITE2_CITY to a GeoLite2-City .mmdb file to run this test"
[ -r "$DB" ] || skip "GSLBD_GEOLITE2_CITY=$DB is not readable"
case $DB in
/*) ;;
*) DB=$PWD/$DB ;;
esac

US4='192.0.2.10 192.0.2.11'
EU4='198.51.100.10'
AP4='203.0.113.10'

CONF=$WORK/gslbd.conf
render_geo_config "$CONF" "$DB"
out=$("$GSLBD" -c "$CONF" --check-config 2>&1) || fail "$DB is not accepted: $out"
gslbd_start "$CONF"

# country ADDR: the ISO country code the database gives ADDR (empty if none).
country() {
	local c
	if command -v mmdblookup >/dev/null 2>&1; then
		c=$(mmdblookup --file "$DB" --ip "$1" country iso_code 2>/dev/null |
			sed -n 's/^ *"\([A-Z][A-Z]\)" <utf8_string>.*/\1/p')
	else
		c=$("$GSLBD" -c "$CONF" --explain www.gslb.example.com 127.0.0.1 --ecs "$1/32" 2>/dev/null |
			sed -n 's/^location: *country=\([A-Z][A-Z]\) .*/\1/p')
	fi
	echo "$c"
}

# The datacenter (its first IPv4 address) nearest to most of a country.
expect_for() {
	case $1 in
	GB | IE | FR | DE | NL | BE | ES | PT | SE | NO | DK | IS) echo "$EU4" ;;
	US | CA) echo "$US4" ;;
	SG | MY | ID | TH | VN | PH | CN | HK | TW | JP | KR | IN | AU) echo "$AP4" ;;
	*) echo "" ;;
	esac
}

# ECS prefixes. The documentation ranges at the end are only in the test
# database of this tree, so that pointing GSLBD_GEOLITE2_CITY at
# tests/data/geo/test-city.mmdb (the same layout) checks this script.
PROBES="81.2.69.160/27 2.125.160.216/29 216.160.83.56/29 214.0.0.0/24 \
175.16.199.0/24 202.196.224.0/20 8.8.8.0/24 192.0.2.0/24 203.0.113.0/24"

seen=
checked=0
for p in $PROBES; do
	# gslbd looks up the ECS address cut to /24.
	addr=${p%/*}
	[ "${p#*/}" -le 24 ] || addr=${addr%.*}.0
	cc=$(country "$addr")
	want=$(expect_for "$cc")
	step "$p (country ${cc:-none})"
	if [ -z "$want" ]; then
		echo "not checked: no expectation for country '${cc:-none}'"
		continue
	fi
	q +subnet="$p" www.gslb.example.com A
	assert_rcode NOERROR
	assert_flag aa
	assert_addrs "$want"
	scope=$(ecs_scope)
	case $scope in
	"$p"/[0-9]*) ;;
	*) qfail "CLIENT-SUBNET: expected $p/SCOPE, got '$scope'" ;;
	esac
	[ "${scope##*/}" -ge 1 ] || qfail "scope 0 for a located client"
	seen="$seen $want"
	checked=$((checked + 1))
done
for w in "$EU4" "$US4" "$AP4"; do
	case $seen in
	*"$w"*) ;;
	*) fail "no probe was located near the datacenter answering $w; the database ($DB) places none of $PROBES there" ;;
	esac
done
echo "$checked probes checked"

step "stop"
gslbd_stop
echo "PASS"

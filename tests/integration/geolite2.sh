#!/bin/sh
# Load-balanced names with a real GeoLite2-City (or GeoIP2-City) database:
# set GSLBD_GEOLITE2_CITY to its .mmdb file to run this test; it is skipped
# otherwise (the database is not distributed with gslbd), or with
# GSLBD_GEOLITE2_CITY=none. In CI (CI=true) a missing database fails.
#
# The probes are residential networks in London, New York and Singapore
# (IPv4 and IPv6) and networks that MaxMind's own documentation and test
# database (MaxMind-DB, source-data/GeoIP2-City-Test.json) use, in Great
# Britain, the United States and East Asia. Databases change, so each probe's
# country is read from the database first (mmdblookup when installed, else
# gslbd's --explain) and the expected datacenter follows from it; every one
# of the three datacenters must be expected by at least one probe.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || exit 77
	exec bash "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

DB=${GSLBD_GEOLITE2_CITY:-}
[ "$DB" != none ] || skip "GSLBD_GEOLITE2_CITY=none: left out on purpose"
if [ -z "$DB" ]; then
	[ "${CI:-}" != true ] || fail "CI=true and GSLBD_GEOLITE2_CITY is not set (tests/tools/fetch-geolite2.sh)"
	skip "set GSLBD_GEOLITE2_CITY to a GeoLite2-City .mmdb file to run this test"
fi
[ -r "$DB" ] || fail "GSLBD_GEOLITE2_CITY=$DB is not readable"
command -v python3 >/dev/null 2>&1 || skip "python3 not found (Debian package python3)"
case $DB in
/*) ;;
*) DB=$PWD/$DB ;;
esac

CONF=$WORK/gslbd.conf
render_geo_config "$CONF" "$DB"
out=$("$GSLBD" -c "$CONF" --check-config 2>&1) || fail "$DB is not accepted: $out"
gslbd_start "$CONF"
# The compiled maps answer what follows: direct lookups, which answer until
# they are ready, give the same datacenters but may give narrower scopes,
# and the A and AAAA answers of a probe are compared.
log_wait 'answers from the compiled maps' 60

# country ADDR: the ISO country code the database gives ADDR (empty if none).
country() {
	local c
	if command -v mmdblookup >/dev/null 2>&1; then
		c=$(mmdblookup --file "$DB" --ip "$1" country iso_code 2>/dev/null |
			sed -n 's/^ *"\([A-Z][A-Z]\)" <utf8_string>.*/\1/p')
	else
		case $1 in
		*:*) set -- "$1/128" ;;
		*) set -- "$1/32" ;;
		esac
		c=$("$GSLBD" -c "$CONF" --explain www.gslb.example.com 127.0.0.1 --ecs "$1" 2>/dev/null |
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

# loc ADDR: "LAT LON COUNTRY" of the record the database gives ADDR, from
# libmaxminddb's own mmdblookup (empty without it or without a record).
loc() {
	command -v mmdblookup >/dev/null 2>&1 || return 0
	mmdblookup --file "$DB" --ip "$1" location 2>/dev/null | awk -v cc="$(country "$1")" '
		/"latitude"/ { getline; lat = $1 }
		/"longitude"/ { getline; lon = $1 }
		END { if (lat != "") print lat, lon, cc }'
}

# city ADDR: the English city name the database gives ADDR (for the log).
city() {
	command -v mmdblookup >/dev/null 2>&1 || return 0
	mmdblookup --file "$DB" --ip "$1" city names en 2>/dev/null |
		sed -n 's/^ *"\(.*\)" <utf8_string>.*/\1/p'
}

# last_addr PREFIX: the last address of a network ("10.1.0.0/16" -> 10.1.255.255).
last_addr() {
	python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1], strict=False)[-1])' "$1"
}

# first_addr ADDR/LEN: ADDR cut to LEN bits, as gslbd looks it up.
first_addr() {
	python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1], strict=False)[0])' "$1"
}

# The datacenter answering AAAA (its IPv6 address) for most of a country:
# ap-southeast has no IPv6 address, so Asia gets the nearer of the other two.
expect6_for() {
	case $1 in
	GB | IE | FR | DE | NL | BE | ES | PT | SE | NO | DK | IS) echo "$EU6" ;;
	US | CA) echo "$US6" ;;
	SG | MY | ID | TH | VN | PH | CN | HK | TW | JP | KR | IN) echo "$EU6" ;;
	*) echo "" ;;
	esac
}

# ECS prefixes: residential networks in London, New York (Brooklyn) and
# Singapore, IPv4 and IPv6; networks that MaxMind's documentation and test
# database use; and documentation ranges, which are only in the test
# database of this tree, so that pointing GSLBD_GEOLITE2_CITY at
# tests/data/geo/test-city.mmdb (the same layout) checks this script.
PROBES="217.138.1.0/24 66.108.1.0/24 116.14.1.0/24 \
2a00:23c4:1::/56 2604:2000:1::/56 2406:3003:1::/56 \
81.2.69.160/27 2.125.160.216/29 216.160.83.56/29 214.0.0.0/24 \
175.16.199.0/24 202.196.224.0/20 8.8.8.0/24 192.0.2.0/24 203.0.113.0/24"

seen=
checked=0
for p in $PROBES; do
	# gslbd looks up the ECS address cut to /24 (IPv4) or /56 (IPv6).
	case $p in
	*:*) [ "${p#*/}" -le 56 ] && cut=$p || cut=${p%/*}/56 ;;
	*) [ "${p#*/}" -le 24 ] && cut=$p || cut=${p%/*}/24 ;;
	esac
	addr=$(first_addr "$cut")
	cc=$(country "$addr")
	want=$(expect_for "$cc")
	want6=$(expect6_for "$cc")
	step "$p (country ${cc:-none}, city $(city "$addr"))"
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
	scope=${scope##*/}
	[ "$scope" -ge 1 ] || qfail "scope 0 for a located client"
	# The scope is the merged network of the answer: every address in it
	# gets the same answer. Its last address, asked for alone, does.
	if [ "$scope" -lt "${cut#*/}" ]; then
		edge=$(last_addr "$addr/$scope")
		case $edge in
		*:*) edge_p=$edge/128 ;;
		*) edge_p=$edge/32 ;;
		esac
		q +subnet="$edge_p" www.gslb.example.com A
		assert_rcode NOERROR
		assert_addrs "$want"
		echo "scope /$scope: $addr is at '$(loc "$addr")', $edge at '$(loc "$edge")': same answer"
	fi
	if [ -n "$want6" ]; then
		q +subnet="$p" www.gslb.example.com AAAA
		assert_rcode NOERROR
		assert_addrs "$want6"
		[ "$(ecs_scope)" = "$p/$scope" ] || qfail "AAAA: scope differs from A's /$scope"
	fi
	echo "A $want, AAAA ${want6:-(not checked)}, scope /$scope"
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
